using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Features;

namespace SaeWorkbench.Web.Tests.Features;

public sealed class FeatureCatalogTests : IClassFixture<FeatureCatalogTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public WorkbenchFactory Factory { get; } = new();
        public long DictionaryId { get; private set; }
        public List<Latent> Latents { get; } = [];
        public HashSet<int> DescribedAsDates { get; } = [];

        /// <summary>The best current score of each scored latent, as seeded.</summary>
        public Dictionary<int, double> BestScores { get; } = [];

        public async Task InitializeAsync()
        {
            var db = Factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
            await using var ctx = await db.CreateDbContextAsync();
            var user = new WorkbenchUser { UserName = "u" };
            ctx.Users.Add(user);
            var d = new SaeDictionary { Name = "d", ModelName = "m", HookName = "h", Architecture = "topk", DIn = 8, DSae = 600, SaePath = "/x" };
            ctx.Dictionaries.Add(d);
            await ctx.SaveChangesAsync();
            DictionaryId = d.Id;
            var random = new Random(5);
            string[] tags = ["syntax", "entity", "topic/semantic"];
            for (var i = 0; i < 600; i++)
            {
                var dead = i % 17 == 0;
                var density = dead ? 0 : Math.Pow(10, -4 + 4 * random.NextDouble());
                var labelled = i % 5 == 0;
                Latents.Add(new Latent
                {
                    DictionaryId = d.Id, Index = i, Density = density, IsDead = dead, MaxActivation = dead ? 0 : 10 * random.NextDouble(),
                    LabelStatus = labelled ? (i % 10 == 0 ? LabelStatus.Accepted : LabelStatus.Proposed) : LabelStatus.Unlabelled,
                    ConsensusLabel = labelled ? $"label {i} {(i % 3 == 0 ? "numbers" : "words")}" : null,
                    ConsensusTag = labelled ? tags[i % 3] : null,
                    // What some latents fire on: " war" and " warm" (a search for "war" finds both), in tokens or context only.
                    TopTokens = i % 50 == 4 ? LatentPreview.EncodeTokens([new(" war", 12), new(" battle", 3)])
                        : i % 50 == 6 ? LatentPreview.EncodeTokens([new(" warm", 5)]) : i % 50 == 8 ? LatentPreview.EncodeTokens([new(" the", 9)]) : null,
                    TopContext = i % 50 == 8 ? LatentPreview.EncodeContext(new ContextSnippet("after the long", " War", " of 1812")) : null,
                });
            }
            ctx.Latents.AddRange(Latents);
            await ctx.SaveChangesAsync();
            // Interpretations that are not the consensus are searched too.
            foreach (var i in new[] { 7, 8, 9 })
            {
                ctx.Interpretations.Add(new Interpretation { LatentId = Latents[i].Id, AuthorId = user.Id, Label = "years", Description = "fires on **dates** like 1865" });
                DescribedAsDates.Add(i);
            }
            var deleted = new Interpretation { LatentId = Latents[11].Id, AuthorId = user.Id, Label = "deleted", Description = "dates", IsDeleted = true };
            ctx.Interpretations.Add(deleted);
            await ctx.SaveChangesAsync();
            // Scores: model scores of the current version count, a stale version's and a deleted interpretation's do not;
            // the human detection score counts where people rated it. The best of them is the latent's.
            var interpretations = await ctx.Interpretations.Where(i => i.Label == "years").OrderBy(i => i.Id).ToListAsync();
            ExplanationScore Score(Interpretation i, string scorer, double accuracy, int version = 1) =>
                new() { InterpretationId = i.Id, InterpretationVersion = version, Scorer = scorer, ModelName = "rater", PromptVersion = "v1", BalancedAccuracy = accuracy };
            ctx.ExplanationScores.AddRange(
                Score(interpretations[0], "detection", 0.8), Score(interpretations[0], "fuzzing", 0.55),
                Score(interpretations[1], "fuzzing", 0.6), Score(interpretations[1], "detection", 0.95, version: 0),
                Score(interpretations[2], "detection", 0.65), Score(deleted, "detection", 0.99));
            interpretations[2].DetectionScore = 0.7;
            interpretations[2].DetectionRatings = 3;
            await ctx.SaveChangesAsync();
            BestScores[7] = 0.8;
            BestScores[8] = 0.6;
            BestScores[9] = 0.7;
        }

        public Task DisposeAsync()
        {
            Factory.Dispose();
            return Task.CompletedTask;
        }
    }

    private readonly Fixture _f;
    private readonly FeatureCatalog _catalog;

    public FeatureCatalogTests(Fixture f)
    {
        _f = f;
        _catalog = f.Factory.Services.GetRequiredService<FeatureCatalog>();
    }

    [Fact]
    public async Task Filters_and_sort_match_a_brute_force_query()
    {
        var query = new FeatureQuery { Dead = false, MinDensity = 0.001, MaxDensity = 0.5, Sort = FeatureSort.Density, Descending = true, PageSize = 20, Page = 2 };
        var page = await _catalog.QueryAsync(_f.DictionaryId, query);
        var expected = _f.Latents.Where(l => !l.IsDead && l.Density >= 0.001 && l.Density <= 0.5)
            .OrderByDescending(l => l.Density).ThenBy(l => l.Index).ToList();
        Assert.Equal(expected.Count, page.Total);
        Assert.Equal(expected.Skip(40).Take(20).Select(l => l.Index), page.Rows.Select(r => r.Index));
    }

    [Fact]
    public async Task Dense_dead_tag_and_status_filters_match_brute_force()
    {
        var dense = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Dense = true, PageSize = 200 });
        Assert.Equal(_f.Latents.Count(l => l.Density > 0.1), dense.Total);
        var dead = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Dead = true, PageSize = 200 });
        Assert.Equal(_f.Latents.Where(l => l.IsDead).Select(l => l.Index), dead.Rows.Select(r => r.Index));
        var tagged = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Tag = "entity", Status = LabelStatus.Accepted, PageSize = 200 });
        Assert.Equal(_f.Latents.Where(l => l.ConsensusTag == "entity" && l.LabelStatus == LabelStatus.Accepted).Select(l => l.Index), tagged.Rows.Select(r => r.Index));
    }

    [Fact]
    public async Task Search_finds_consensus_labels_and_live_interpretations_but_not_deleted_ones()
    {
        var numbers = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "NUMBERS", PageSize = 200 });
        Assert.Equal(_f.Latents.Where(l => l.ConsensusLabel?.Contains("numbers") == true).Select(l => l.Index), numbers.Rows.Select(r => r.Index));
        var dates = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "dates" });
        Assert.Equal(_f.DescribedAsDates.Order(), dates.Rows.Select(r => r.Index));
        var wildcard = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "%" });
        Assert.Equal(0, wildcard.Total);
    }

    /// <summary>Every index of the view, page by page, as the list shows it.</summary>
    private async Task<List<int>> ListOrderAsync(FeatureQuery query)
    {
        var all = new List<int>();
        for (var page = 0; ; page++)
        {
            var rows = (await _catalog.QueryAsync(_f.DictionaryId, query with { Page = page, PageSize = FeatureQuery.MaxPageSize })).Rows;
            all.AddRange(rows.Select(r => r.Index));
            if (rows.Count < FeatureQuery.MaxPageSize) return all;
        }
    }

    [Fact]
    public async Task List_order_across_pages_matches_brute_force()
    {
        var query = new FeatureQuery { Sort = FeatureSort.MaxActivation, Descending = true, Dead = false };
        var indices = await ListOrderAsync(query);
        Assert.Equal(_f.Latents.Where(l => !l.IsDead).OrderByDescending(l => l.MaxActivation).ThenBy(l => l.Index).Select(l => l.Index), indices);
    }

    /// <summary>
    /// Every sort and direction, with density bounds (written for the planner differently unless sorted by
    /// density) and without, page by page through the deferred join, equals LINQ over the seeded rows, totals included.
    /// </summary>
    [Theory]
    [InlineData(FeatureSort.Index, false)]
    [InlineData(FeatureSort.Index, true)]
    [InlineData(FeatureSort.Density, false)]
    [InlineData(FeatureSort.Density, true)]
    [InlineData(FeatureSort.MaxActivation, false)]
    [InlineData(FeatureSort.MaxActivation, true)]
    [InlineData(FeatureSort.LabelStatus, false)]
    [InlineData(FeatureSort.LabelStatus, true)]
    public async Task Every_sort_with_and_without_density_bounds_pages_like_brute_force(FeatureSort sort, bool descending)
    {
        static IOrderedEnumerable<Latent> Order(IEnumerable<Latent> rows, FeatureSort sort, bool descending)
        {
            // SQLite sorts NULL first and LabelStatus as text (Accepted < Proposed < Unlabelled); ties by ascending index.
            Func<Latent, object?> key = sort switch
            {
                FeatureSort.Density => l => l.Density ?? double.NegativeInfinity,
                FeatureSort.MaxActivation => l => l.MaxActivation ?? double.NegativeInfinity,
                FeatureSort.LabelStatus => l => l.LabelStatus.ToString(),
                _ => l => l.Index,
            };
            var ordered = descending ? rows.OrderByDescending(key, Comparer<object?>.Default) : rows.OrderBy(key, Comparer<object?>.Default);
            return ordered.ThenBy(l => l.Index);
        }
        foreach (var (query, expected) in new[]
        {
            (new FeatureQuery { Sort = sort, Descending = descending }, _f.Latents.AsEnumerable()),
            (new FeatureQuery { Sort = sort, Descending = descending, Dense = false, MinDensity = 0.0005, MaxDensity = 0.05 },
                _f.Latents.Where(l => l.Density <= 0.1 && l.Density >= 0.0005 && l.Density <= 0.05)),
            (new FeatureQuery { Sort = sort, Descending = descending, Dense = true, Dead = false }, _f.Latents.Where(l => l.Density > 0.1 && !l.IsDead)),
        })
        {
            Assert.Equal(Order(expected, sort, descending).Select(l => l.Index), await ListOrderAsync(query));
            var deep = await _catalog.QueryAsync(_f.DictionaryId, query with { Page = 3, PageSize = 25 });
            Assert.Equal(expected.Count(), deep.Total);
            Assert.Equal(Order(expected, sort, descending).Skip(75).Take(25).Select(l => l.Index), deep.Rows.Select(r => r.Index));
        }
    }

    [Theory]
    [InlineData(FeatureSort.Index, false)]
    [InlineData(FeatureSort.Index, true)]
    [InlineData(FeatureSort.Density, false)]
    [InlineData(FeatureSort.Density, true)]
    [InlineData(FeatureSort.MaxActivation, true)]
    [InlineData(FeatureSort.LabelStatus, false)]
    [InlineData(FeatureSort.LabelStatus, true)]
    public async Task Neighbours_are_the_rows_around_a_latent_in_the_list_order(FeatureSort sort, bool descending)
    {
        // Ties (dead latents share density 0, statuses repeat) must break by index exactly as the list does.
        var query = new FeatureQuery { Sort = sort, Descending = descending, MaxDensity = 0.9 };
        var order = await ListOrderAsync(query);
        foreach (var position in new[] { 0, 1, order.Count / 2, order.Count - 2, order.Count - 1 })
        {
            var (previous, next) = await _catalog.NeighboursAsync(_f.DictionaryId, order[position], query);
            Assert.Equal(position > 0 ? order[position - 1] : null, previous);
            Assert.Equal(position + 1 < order.Count ? order[position + 1] : null, next);
        }
        var outside = _f.Latents.First(l => l.Density > 0.9);
        Assert.Equal((null, null), await _catalog.NeighboursAsync(_f.DictionaryId, outside.Index, query));
    }

    [Fact]
    public async Task Neighbours_walk_the_whole_list_with_missing_keys_and_ties_in_every_order()
    {
        // A dictionary part-analysed: NULL density and max activation (SQLite orders them first ascending, last
        // descending), repeated keys, and every label status; j from the first latent must visit the list in order.
        var dbFactory = _f.Factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        long dictionaryId;
        await using (var ctx = await dbFactory.CreateDbContextAsync())
        {
            var d = new SaeDictionary { Name = "partly analysed", ModelName = "m", HookName = "h", Architecture = "topk", DIn = 8, DSae = 40, SaePath = "/y" };
            ctx.Dictionaries.Add(d);
            await ctx.SaveChangesAsync();
            dictionaryId = d.Id;
            LabelStatus[] statuses = [LabelStatus.Unlabelled, LabelStatus.Proposed, LabelStatus.Accepted];
            for (var i = 0; i < 40; i++)
            {
                ctx.Latents.Add(new Latent
                {
                    DictionaryId = d.Id, Index = (i * 7) % 40,
                    Density = i % 4 == 0 ? null : (i % 5) * 0.01, MaxActivation = i % 6 == 0 ? null : (i % 3) * 1.5,
                    LabelStatus = statuses[(i / 3) % 3],
                });
            }
            await ctx.SaveChangesAsync();
        }
        foreach (var sort in Enum.GetValues<FeatureSort>().Where(s => s != FeatureSort.BestScore)) // nothing is scored here
        {
            foreach (var descending in new[] { false, true })
            {
                var query = new FeatureQuery { Sort = sort, Descending = descending };
                var order = (await _catalog.QueryAsync(dictionaryId, query with { PageSize = FeatureQuery.MaxPageSize })).Rows.Select(r => r.Index).ToList();
                Assert.Equal(40, order.Count);
                for (var position = 0; position < order.Count; position++)
                {
                    var (previous, next) = await _catalog.NeighboursAsync(dictionaryId, order[position], query);
                    Assert.True(Equals(position > 0 ? order[position - 1] : (int?)null, previous), $"{sort} desc={descending} at {position}: previous {previous}");
                    Assert.True(Equals(position + 1 < order.Count ? order[position + 1] : (int?)null, next), $"{sort} desc={descending} at {position}: next {next}");
                }
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Pages_by_index_match_brute_force_with_and_without_gaps_in_the_indices(bool gaps)
    {
        // Without gaps (indices 0 … n − 1) deep pages are index ranges; with a gap they fall back to OFFSET. Both must
        // page exactly like the list order, ascending and descending, including a short last page and past the end.
        var dbFactory = _f.Factory.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        var indices = Enumerable.Range(0, 47).Select(i => gaps && i >= 20 ? i + 5 : i).ToList();
        long dictionaryId;
        await using (var ctx = await dbFactory.CreateDbContextAsync())
        {
            var d = new SaeDictionary { Name = gaps ? "gaps" : "no gaps", ModelName = "m", HookName = "h", Architecture = "topk", DIn = 8, DSae = 60, SaePath = "/z" };
            ctx.Dictionaries.Add(d);
            await ctx.SaveChangesAsync();
            dictionaryId = d.Id;
            foreach (var i in indices.OrderBy(i => (i * 13) % 47)) ctx.Latents.Add(new Latent { DictionaryId = d.Id, Index = i, Density = 0.01 });
            await ctx.SaveChangesAsync();
        }
        foreach (var descending in new[] { false, true })
        {
            var expected = descending ? indices.OrderDescending().ToList() : indices.Order().ToList();
            for (var page = 0; page <= 5; page++)
            {
                var result = await _catalog.QueryAsync(dictionaryId, new FeatureQuery { Descending = descending, Page = page, PageSize = 10 });
                Assert.Equal(47, result.Total);
                Assert.Equal(expected.Skip(page * 10).Take(10), result.Rows.Select(r => r.Index));
            }
        }
    }

    /// <summary>The list as LINQ over the seeded rows: SQLite's order (NULL first, status as text), ties by index.</summary>
    private List<int> Reference(FeatureQuery q)
    {
        bool Has(string? text, string word) => text?.Contains(word, StringComparison.OrdinalIgnoreCase) == true;
        var rows = _f.Latents.Where(l =>
            (q.Dead is not { } dead || l.IsDead == dead)
            && (q.Dense is not { } dense || (dense ? l.Density > q.DenseThreshold : l.Density is null || l.Density <= q.DenseThreshold))
            && (q.MinDensity is not { } min || l.Density >= min) && (q.MaxDensity is not { } max || l.Density <= max)
            && (q.Tag is null || l.ConsensusTag == q.Tag) && (q.Status is null || l.LabelStatus == q.Status)
            && (q.MinScore is not { } score || (_f.BestScores.TryGetValue(l.Index, out var best) && best >= score))
            && (q.Sort != FeatureSort.BestScore || _f.BestScores.ContainsKey(l.Index))
            && (q.Search is not { } word || Has(l.ConsensusLabel, word) || Has(l.TopTokens, word) || Has(l.TopContext, word)
                || (_f.DescribedAsDates.Contains(l.Index) && (Has("years", word) || Has("fires on **dates** like 1865", word)))));
        Func<Latent, object?> key = q.Sort switch
        {
            FeatureSort.Density => l => l.Density ?? double.NegativeInfinity,
            FeatureSort.MaxActivation => l => l.MaxActivation ?? double.NegativeInfinity,
            FeatureSort.LabelStatus => l => l.LabelStatus.ToString(),
            FeatureSort.BestScore => l => _f.BestScores[l.Index],
            _ => l => l.Index,
        };
        var ordered = q.Descending ? rows.OrderByDescending(key, Comparer<object?>.Default) : rows.OrderBy(key, Comparer<object?>.Default);
        return ordered.ThenBy(l => l.Index).Select(l => l.Index).ToList();
    }

    [Fact]
    public async Task Every_filter_and_sort_pages_and_counts_like_brute_force()
    {
        // Each filter alone and several together, every sort and direction, on the first page, a middle one and past the end.
        FeatureQuery[] filters =
        [
            new(), new() { Dead = true }, new() { Dead = false }, new() { Dense = true }, new() { Dense = false, DenseThreshold = 0.01 },
            new() { MinDensity = 0.001 }, new() { MaxDensity = 0.01 }, new() { MinDensity = 0.001, MaxDensity = 0.1 },
            new() { Tag = "entity" }, new() { Status = LabelStatus.Proposed }, new() { Search = "numbers" }, new() { Search = "DATES" },
            new() { Search = "war" }, new() { Search = "5_%\\" }, new() { MinScore = 0.65 }, new() { MinScore = 0 },
            new() { Dead = false, MinDensity = 0.0001, Status = LabelStatus.Accepted, Tag = "syntax", Search = "label" },
        ];
        // Each sort runs in both directions across the filters, alternating, so that every (filter, sort) pair is
        // compared once: each new combination costs EF a query compilation, which dominates this test's time.
        var compared = 0;
        foreach (var (filter, f) in filters.Select((q, i) => (q, i)))
        foreach (var sort in Enum.GetValues<FeatureSort>())
        {
            var descending = (f + (int)sort) % 2 == 1;
            var expected = Reference(filter with { Sort = sort, Descending = descending });
            foreach (var (page, size) in new[] { (0, 50), (3, 17), (40, 10) })
            {
                var result = await _catalog.QueryAsync(_f.DictionaryId, filter with { Sort = sort, Descending = descending, Page = page, PageSize = size });
                Assert.True(expected.Count == result.Total, $"{filter.ToQueryString()} {sort} desc={descending}: total {result.Total}, expected {expected.Count}");
                Assert.Equal(expected.Skip(page * size).Take(size), result.Rows.Select(r => r.Index));
                compared += result.Rows.Count;
            }
        }
        Assert.True(compared > 2_000, $"only {compared} rows compared");
    }

    [Fact]
    public async Task Search_finds_latents_by_what_they_fire_on()
    {
        var war = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "war", PageSize = 200 });
        var expected = _f.Latents.Where(l => l.Index % 50 is 4 or 6 or 8).Select(l => l.Index).ToList();
        Assert.Equal(expected, war.Rows.Select(r => r.Index));
        var row = war.Rows.First(r => r.Index % 50 == 4);
        Assert.Equal([new TokenCount(" war", 12), new TokenCount(" battle", 3)], row.Tokens);
        Assert.Equal(new ContextSnippet("after the long", " War", " of 1812"), war.Rows.First(r => r.Index % 50 == 8).Context);
        // Only what the latent fires on: " battle" is a token of the " war" latents alone.
        Assert.Equal(_f.Latents.Where(l => l.Index % 50 == 4).Select(l => l.Index), (await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "battle", PageSize = 200 })).Rows.Select(r => r.Index));
    }

    [Fact]
    public async Task Score_sort_lists_the_scored_latents_best_first_and_ignores_stale_and_deleted_scores()
    {
        var best = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Sort = FeatureSort.BestScore, Descending = true });
        Assert.Equal([7, 9, 8], best.Rows.Select(r => r.Index));
        Assert.Equal([0.8, 0.7, 0.6], best.Rows.Select(r => r.BestScore));
        Assert.Equal(3, best.Total);
        var worst = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Sort = FeatureSort.BestScore });
        Assert.Equal([8, 9, 7], worst.Rows.Select(r => r.Index));
        // Other sorts show the score of the scored rows too.
        Assert.Equal(0.8, (await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "years" })).Rows.Single(r => r.Index == 7).BestScore);
        var atLeast = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { MinScore = 0.7 });
        Assert.Equal([7, 9], atLeast.Rows.Select(r => r.Index));
    }

    [Fact]
    public async Task An_empty_list_says_which_filters_left_nothing()
    {
        var none = await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery { Search = "zebra", MinDensity = 0.5, Status = LabelStatus.Accepted });
        Assert.Equal(0, none.Total);
        Assert.Equal("No latent matches the search \"zebra\" (it matches labels, interpretations, top tokens and top contexts), density ≥ 50 %, status Accepted. "
                     + "Remove a filter or widen a bound to see more; a shorter search word matches more.", none.EmptyReason);
        Assert.Null((await _catalog.QueryAsync(_f.DictionaryId, new FeatureQuery())).EmptyReason);
    }

    [Theory]
    [InlineData(FeatureSort.Index, false)]
    [InlineData(FeatureSort.Index, true)]
    [InlineData(FeatureSort.Density, false)]
    [InlineData(FeatureSort.Density, true)]
    [InlineData(FeatureSort.MaxActivation, false)]
    [InlineData(FeatureSort.MaxActivation, true)]
    [InlineData(FeatureSort.LabelStatus, false)]
    [InlineData(FeatureSort.LabelStatus, true)]
    [InlineData(FeatureSort.BestScore, true)]
    public async Task Position_is_n_of_N_in_the_list_order(FeatureSort sort, bool descending)
    {
        var query = new FeatureQuery { Sort = sort, Descending = descending, MaxDensity = 0.9 };
        var order = Reference(query);
        foreach (var at in new[] { 0, 1, order.Count / 2, order.Count - 1 })
            Assert.Equal((at + 1, order.Count), await _catalog.PositionAsync(_f.DictionaryId, order[at], query));
        Assert.Null(await _catalog.PositionAsync(_f.DictionaryId, _f.Latents.First(l => l.Density > 0.9).Index, query));
    }

    [Fact]
    public void Query_round_trips_through_the_url()
    {
        var query = new FeatureQuery { Search = "a b&c", Sort = FeatureSort.BestScore, Descending = true, Dead = false, MinDensity = 1e-5, MinScore = 0.75, Tag = "syntax", Status = LabelStatus.Proposed, Page = 3, PageSize = 100 };
        var url = query.ToQueryString();
        var parsed = FeatureQuery.Parse(url.TrimStart('?').Split('&').Select(p => p.Split('=')).ToDictionary(p => p[0], p => (string?)Uri.UnescapeDataString(p[1])));
        Assert.Equal(query, parsed);
        Assert.Equal(new FeatureQuery(), FeatureQuery.Parse(new Dictionary<string, string?> { ["sort"] = "bogus", ["page"] = "-4", ["minDensity"] = "NaN" }));
    }
}
