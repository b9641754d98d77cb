using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Tests.Crowd;
using SaeWorkbench.Research.Tests.LabellingServices;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Research.Tests.Features;

/// <summary>
/// The list's text search (one substring test of Latent.SearchText, kept by LatentSearchTexts on every save) against a
/// brute-force search of the texts a person sees, after random writes of every kind; case and characters beyond ASCII
/// on both providers.
/// </summary>
public sealed class FeatureSearchTests
{
    /// <summary>
    /// The fields a search looks in, read here from every row with the application's own parsers: the consensus label,
    /// each top token's text, the strongest context as it reads, and each live interpretation's label and description.
    /// </summary>
    private static async Task<Dictionary<long, List<string>>> FieldsAsync(WorkbenchDbContext db, long dictionaryId)
    {
        var latents = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId).ToListAsync();
        var interpretations = await db.Interpretations.AsNoTracking().Where(i => !i.IsDeleted).OrderBy(i => i.Id).ToListAsync();
        return latents.ToDictionary(l => l.Id, l =>
        {
            var fields = new List<string?> { l.ConsensusLabel };
            fields.AddRange(LatentPreview.ParseTokens(l.TopTokens).Select(t => t.Token));
            fields.Add(LatentPreview.ParseContext(l.TopContext) is { } c ? c.Before + c.Peak + c.After : null);
            foreach (var i in interpretations.Where(i => i.LatentId == l.Id)) fields.AddRange([i.Label, i.Description]);
            return fields.Where(f => !string.IsNullOrEmpty(f)).Select(f => f!).ToList();
        });
    }

    /// <summary>The indices whose fields hold <paramref name="word"/>, ignoring case, in index order.</summary>
    private static List<int> BruteForce(Dictionary<long, List<string>> fields, Dictionary<long, int> indexOf, string word) =>
        fields.Where(f => f.Value.Any(text => text.ToLowerInvariant().Contains(word.ToLowerInvariant(), StringComparison.Ordinal)))
            .Select(f => indexOf[f.Key]).Order().ToList();

    private static async Task<List<int>> SearchAsync(FeatureCatalog catalog, long dictionaryId, string word, Actor viewer) =>
        (await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = word, PageSize = FeatureQuery.MaxPageSize }, viewer)).Rows.Select(r => r.Index).ToList();

    private static InterpretationDraft Draft(string label, string description = "") => new(label, description, 3, null);

    [Fact]
    public async Task The_stored_search_text_finds_what_brute_force_finds_after_every_kind_of_write()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var catalog = s.Get<FeatureCatalog>();
        var rng = new Random(11);
        string[] words = ["Dates", "YEARS", "naïve", "Émile", "war", "o'clock", "back\\slash", "say \"hi\"", "100%", "snake_case"];
        string Word() => words[rng.Next(words.Length)];
        string Text() => $"{Word()} {Word()}";
        var kinds = new Dictionary<string, int>();
        for (var step = 0; step < 60; step++)
        {
            await using var db = s.Db();
            var live = await db.Interpretations.Where(i => !i.IsDeleted).ToListAsync();
            var all = await db.Interpretations.ToListAsync();
            var kind = live.Count < 3 ? 0 : rng.Next(8);
            var latent = s.Latents[rng.Next(CrowdDatabase.LatentCount)];
            string what;
            switch (kind)
            {
                case 0: // a new interpretation, through the labelling service
                    Assert.True((await s.Labelling.CreateInterpretationAsync(s.Labellers[rng.Next(s.Labellers.Count)], latent, Draft(Text(), Text()))).Succeeded);
                    what = "a new interpretation";
                    break;
                case 1: // an edit of its label and description
                {
                    var i = live[rng.Next(live.Count)];
                    var edit = await s.Labelling.EditInterpretationAsync(s.Labellers.First(a => a.UserId == i.AuthorId), i.Id, i.Version, Draft(Text(), Text()));
                    Assert.True(edit.Succeeded, edit.Kind + " " + edit.Message);
                    what = "an edit";
                    break;
                }
                case 2: // a deletion (soft)
                {
                    var deletion = await s.Labelling.DeleteInterpretationAsync(s.Reviewer with { Role = Role.Admin }, live[rng.Next(live.Count)].Id);
                    Assert.True(deletion.Succeeded, deletion.Kind + " " + deletion.Message);
                    what = "a deletion";
                    break;
                }
                case 3: // a review that moves the consensus label onto the latent
                {
                    var open = live.Where(i => i.Review == Data.Labelling.ReviewDecision.None).ToList();
                    if (open.Count == 0) continue;
                    var review = await s.Labelling.ReviewAsync(s.Reviewer, open[rng.Next(open.Count)].Id, rng.Next(3) > 0 ? ReviewStatus.Accepted : ReviewStatus.Rejected, "because");
                    Assert.True(review.Succeeded, review.Kind + " " + review.Message);
                    what = "a review";
                    break;
                }
                case 4: // new previews, as a save writes them
                {
                    var row = await db.Latents.SingleAsync(l => l.Id == latent);
                    row.TopTokens = rng.Next(4) == 0 ? null : LatentPreview.EncodeTokens([new(" " + Word(), 1 + rng.Next(20)), new(Word(), 2)]);
                    row.TopContext = rng.Next(4) == 0 ? null : LatentPreview.EncodeContext(new ContextSnippet("in the " + Word(), " " + Word(), " of " + Word()));
                    await db.SaveChangesAsync();
                    what = "new previews";
                    break;
                }
                case 5: // an interpretation removed for good or moved to another latent
                {
                    var i = all[rng.Next(all.Count)];
                    if (rng.Next(2) == 0) db.Interpretations.Remove(i);
                    else i.LatentId = latent;
                    await db.SaveChangesAsync();
                    what = "an interpretation removed or moved";
                    break;
                }
                case 6: // previews written past the save, as an analysis does, then its refresh
                {
                    await db.Latents.Where(l => l.Id == latent).ExecuteUpdateAsync(u => u
                        .SetProperty(l => l.TopTokens, LatentPreview.EncodeTokens([new(" " + Word(), 3)]))
                        .SetProperty(l => l.TopContext, LatentPreview.EncodeContext(new ContextSnippet("after the ", Word(), "."))));
                    await LatentSearchTexts.RefreshDictionaryAsync(db, s.DictionaryId);
                    what = "an analysis's previews";
                    break;
                }
                default: // a vote changes nothing that is searched
                {
                    var i = live[rng.Next(live.Count)];
                    await s.Labelling.VoteAsync(s.Labellers.First(a => a.UserId != i.AuthorId), i.Id, 1);
                    what = "a vote";
                    break;
                }
            }
            kinds[what] = kinds.GetValueOrDefault(what) + 1;
            await using var read = s.Db();
            var fields = await FieldsAsync(read, s.DictionaryId);
            var indexOf = await read.Latents.Where(l => l.DictionaryId == s.DictionaryId).ToDictionaryAsync(l => l.Id, l => l.Index);
            // Every stored text equals the rule, and a search for any word (in any case) finds what brute force finds.
            var stored = await read.Latents.AsNoTracking().Where(l => l.DictionaryId == s.DictionaryId).ToDictionaryAsync(l => l.Id, l => l.SearchText);
            foreach (var (id, f) in fields)
                Assert.True(string.Join(LatentSearchTexts.Separator, f).ToLowerInvariant() == stored[id], $"latent {indexOf[id]} after step {step} ({what}): stored '{stored[id]}'");
            foreach (var word in new[] { Word(), Word().ToUpperInvariant(), Word()[1..^1] })
                Assert.Equal(BruteForce(fields, indexOf, word), await SearchAsync(catalog, s.DictionaryId, word, s.Reviewer));
        }
        Assert.Equal(8, kinds.Count); // every kind of write happened
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Search_ignores_case_beyond_ascii_and_takes_quotes_backslashes_and_wildcards_literally(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        long dictionaryId;
        await using (var db = s.Db())
        {
            dictionaryId = (await db.Latents.SingleAsync(l => l.Id == s.LatentId)).DictionaryId;
            db.Latents.AddRange(
                new Latent { DictionaryId = dictionaryId, Index = 0, TopTokens = LatentPreview.EncodeTokens([new(" \"Émile\\", 7), new(" naïve", 2)]) },
                new Latent { DictionaryId = dictionaryId, Index = 1, TopContext = LatentPreview.EncodeContext(new ContextSnippet("l'École des", " BEAUX", "-arts 100%")) },
                new Latent { DictionaryId = dictionaryId, Index = 2, TopTokens = LatentPreview.EncodeTokens([new("snake_case", 3)]) });
            await db.SaveChangesAsync();
        }
        Assert.True((await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, Draft("Café ÖL", "Fires on **ÉTÉ** and Ärger"))).Succeeded);
        var catalog = s.Get<FeatureCatalog>();
        async Task<List<int>> Find(string word) => await SearchAsync(catalog, dictionaryId, word, s.Admin);

        Assert.Equal([0], await Find("émile"));
        Assert.Equal([0], await Find("\"ÉMILE\\"));   // the quote and the backslash as a person sees them
        Assert.Equal([0], await Find("NAÏVE"));
        Assert.Equal([1], await Find("école des beaux-ARTS"));  // the context reads as one text across its peak
        Assert.Equal([5], await Find("café öl"));
        Assert.Equal([5], await Find("été"));
        Assert.Equal([5], await Find("ärger"));
        // Wildcards of LIKE are plain characters.
        Assert.Equal([1], await Find("100%"));
        Assert.Equal([2], await Find("e_c"));
        Assert.Empty(await Find("n%ve"));
        // A count is not text a person searches for, and no match runs across two fields.
        Assert.Empty(await Find("7"));
        Assert.Empty(await Find("émile\\ naïve"));
        Assert.Empty(await Find("émile\\naïve"));
        Assert.Empty(await Find("\"émile\\\u001F naïve"));
    }

    [Fact]
    public async Task A_word_whose_kept_total_passes_the_index_limit_pages_without_reading_the_index_and_a_rare_word_reads_it()
    {
        await using var s = await ServiceDatabase.StartAsync("Sqlite");
        long dictionaryId;
        await using (var db = s.Db())
        {
            dictionaryId = (await db.Latents.SingleAsync(l => l.Id == s.LatentId)).DictionaryId;
            for (var i = 0; i < LatentSearchIndex.SqliteMostHits + 100; i++)
                db.Latents.Add(new Latent { DictionaryId = dictionaryId, Index = 10 + i, ConsensusLabel = i % 7 == 0 ? $"rare {i}" : $"common {i}" });
            await db.SaveChangesAsync();
        }
        var catalog = s.Get<FeatureCatalog>();
        var query = new FeatureQuery { Search = "common", Sort = FeatureSort.Index, Descending = true };
        var first = await catalog.QueryAsync(dictionaryId, query, s.Admin); // a full page: the total is counted and kept
        var expected = Enumerable.Range(0, LatentSearchIndex.SqliteMostHits + 100).Where(i => i % 7 != 0).Select(i => 10 + i).OrderDescending().ToList();
        Assert.Equal(expected.Count, first.Total);
        Assert.True(first.Total > LatentSearchIndex.SqliteMostHits);

        // Without the index, a page of the common word still reads (its kept total says the index would not be used)...
        await using (var db = s.Db())
            foreach (var sql in LatentSearchIndex.SqliteDrop) await db.Database.ExecuteSqlRawAsync(sql);
        var second = await catalog.QueryAsync(dictionaryId, query with { Page = 1 }, s.Admin);
        Assert.Equal(expected.Skip(50).Take(50), second.Rows.Select(r => r.Index));
        Assert.Equal(first.Total, second.Total);
        // ...while a word with no kept total asks the index first.
        await Assert.ThrowsAnyAsync<Microsoft.Data.Sqlite.SqliteException>(() => catalog.QueryAsync(dictionaryId, query with { Search = "rare" }, s.Admin));
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task The_indexed_search_finds_what_brute_force_finds_for_needles_of_every_length_common_and_rare(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        long dictionaryId;
        string[] labels = ["The war of 1812", "the \"quoted\" war", "back\\slash and 100% proof", "snake_case_name", "naïve ÉMILE", "the end", "war", "Ab", "x%y_z"];
        await using (var db = s.Db())
        {
            dictionaryId = (await db.Latents.SingleAsync(l => l.Id == s.LatentId)).DictionaryId;
            for (var i = 0; i < 40; i++)
                db.Latents.Add(new Latent
                {
                    DictionaryId = dictionaryId, Index = 10 + i, ConsensusLabel = labels[i % labels.Length],
                    TopTokens = LatentPreview.EncodeTokens([new(i % 3 == 0 ? " the" : " ship", 2)]),
                });
            await db.SaveChangesAsync();
        }
        var catalog = s.Get<FeatureCatalog>();
        await using var read = s.Db();
        var fields = await FieldsAsync(read, dictionaryId);
        var indexOf = await read.Latents.Where(l => l.DictionaryId == dictionaryId).ToDictionaryAsync(l => l.Id, l => l.Index);
        // One and two characters (the substring test), three (one trigram) and more; common ("the", held by most) and rare.
        string[] needles = ["t", "%", "_", "\\", "\"", "é", "ab", "12", "0%", "_c", "\"q", "the", "THE", "war", "Ïve", "0% p", "e_n", "%y_",
            "\\sl", "\"qu", "ote", "the war", "war of 1812", "\"quoted\"", "back\\slash", "100% proof", "snake_case", "NAÏVE émile", "x%y_z", "x%y", "ship", "not anywhere"];
        foreach (var needle in needles)
            Assert.True(BruteForce(fields, indexOf, needle).SequenceEqual(await SearchAsync(catalog, dictionaryId, needle, s.Admin)), $"{provider}: '{needle}'");
    }

    [Fact]
    public async Task Start_up_repairs_search_texts_written_past_the_save()
    {
        await using var s = await CrowdDatabase.StartAsync();
        Assert.True((await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[4], Draft("Years", "four digits"))).Succeeded);
        await using (var db = s.Db())
        {
            // As a database from before the column, or another tool writing to the file, would leave them.
            await db.Latents.Where(l => l.Id == s.Latents[4]).ExecuteUpdateAsync(u => u.SetProperty(l => l.SearchText, ""));
            await db.Latents.Where(l => l.Id == s.Latents[6]).ExecuteUpdateAsync(u => u.SetProperty(l => l.TopTokens, LatentPreview.EncodeTokens([new(" Kings", 2)])));
            Assert.Equal(2, await LatentSearchTexts.RepairAsync(db));
            Assert.Equal(0, await LatentSearchTexts.RepairAsync(db)); // only rows that differ are written
        }
        var catalog = s.Get<FeatureCatalog>();
        Assert.Equal([4], await SearchAsync(catalog, s.DictionaryId, "DIGITS", s.Reviewer));
        Assert.Equal([6], await SearchAsync(catalog, s.DictionaryId, "kings", s.Reviewer));
    }

    [Fact]
    public async Task A_save_that_fails_leaves_no_search_text_behind()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await using var db = s.Db();
        var latent = await db.Latents.SingleAsync(l => l.Id == s.Latents[4]);
        latent.TopTokens = LatentPreview.EncodeTokens([new(" zebra", 2)]);
        db.ExplanationScores.Add(new Data.Explanations.ExplanationScore { InterpretationId = 999_999, InterpretationVersion = 1, Scorer = "detection", ModelName = "r", PromptVersion = "v1", BalancedAccuracy = 0.8 });
        await Assert.ThrowsAsync<DbUpdateException>(() => db.SaveChangesAsync());
        Assert.Empty(await SearchAsync(s.Get<FeatureCatalog>(), s.DictionaryId, "zebra", s.Reviewer));
    }
}
