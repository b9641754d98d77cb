using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Tests.Shared;

namespace SaeWorkbench.Research.Tests.LabellingServices;

/// <summary>Behaviour that differs between SQLite and PostgreSQL unless the code takes care.</summary>
public sealed class ProviderParityTests
{
    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Concurrent_votes_by_many_people_are_all_counted(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        var i = (await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, new InterpretationDraft("Fires on dates", "Years.", 4, "entity"))).Value!;
        var voters = Enumerable.Range(0, 12).Select(n => new Actor($"u-voter-{n}", $"voter{n}", Role.Labeler)).ToList();
        await using (var db = s.Db())
        {
            foreach (var v in voters) db.Users.Add(new WorkbenchUser { Id = v.UserId, UserName = v.UserName, NormalizedUserName = v.UserName.ToUpperInvariant() });
            await db.SaveChangesAsync();
        }

        // All at once: on PostgreSQL the transactions are serializable and retried, on SQLite they queue.
        var results = await Task.WhenAll(voters.Select((v, n) => Task.Run(() => s.Labelling.VoteAsync(v, i.Id, n % 3 == 0 ? -1 : 1))));

        Assert.All(results, r => Assert.Equal(OutcomeKind.Ok, r.Kind));
        await using var check = s.Db();
        var row = await check.Interpretations.SingleAsync(x => x.Id == i.Id);
        Assert.Equal((8, 4, 4), (row.UpVotes, row.DownVotes, row.Score));
        Assert.Equal(12, await check.Votes.CountAsync(v => v.InterpretationId == i.Id));
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task Feature_search_ignores_case_on_both_providers(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, new InterpretationDraft("French Nouns", "Mostly LE and la.", 4, "entity"));
        long dictionaryId;
        await using (var db = s.Db()) dictionaryId = (await db.Latents.SingleAsync(l => l.Id == s.LatentId)).DictionaryId;
        var catalog = s.Get<FeatureCatalog>();

        Assert.Equal(1, (await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = "french nouns" })).Total);
        Assert.Equal(1, (await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = "le AND" })).Total);
        Assert.Equal(0, (await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = "german" })).Total);
        // LIKE wildcards in the text are literal characters.
        Assert.Equal(0, (await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = "fr%ch" })).Total);
    }

    [Theory]
    [MemberData(nameof(TestServers.Providers), MemberType = typeof(TestServers))]
    public async Task The_feature_list_reads_the_same_views_on_both_providers(string provider)
    {
        await using var s = await ServiceDatabase.StartAsync(provider);
        long dictionaryId;
        await using (var db = s.Db())
        {
            var first = await db.Latents.SingleAsync(l => l.Id == s.LatentId);
            dictionaryId = first.DictionaryId;
            var taken = await db.Latents.Where(l => l.DictionaryId == dictionaryId).Select(l => l.Index).ToListAsync();
            for (var i = 0; i < 30; i++)
                if (!taken.Contains(100 + i))
                    db.Latents.Add(new SaeWorkbench.Data.Dictionaries.Latent
                    {
                        DictionaryId = dictionaryId, Index = 100 + i, Density = 0.001 * (i + 1), MaxActivation = 30 - i,
                        TopTokens = i % 3 == 0 ? LatentPreview.EncodeTokens([new(" War", 4)]) : LatentPreview.EncodeTokens([new(" the", 9)]),
                    });
            await db.SaveChangesAsync();
        }
        var interpretation = (await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, new InterpretationDraft("French nouns", "", 4, "entity"))).Value!;
        await using (var db = s.Db())
        {
            db.ExplanationScores.Add(new SaeWorkbench.Data.Explanations.ExplanationScore
            {
                InterpretationId = interpretation.Id, InterpretationVersion = 1, Scorer = "detection", ModelName = "rater", PromptVersion = "v1", BalancedAccuracy = 0.9,
            });
            await db.SaveChangesAsync();
        }
        var catalog = s.Get<FeatureCatalog>();

        // Case-insensitive search in what latents fire on; the score sort and its filter; a density range in order.
        var war = await catalog.QueryAsync(dictionaryId, new FeatureQuery { Search = "war" });
        Assert.Equal(Enumerable.Range(0, 10).Select(i => 100 + 3 * i), war.Rows.Select(r => r.Index));
        Assert.Equal(10, war.Total);
        var scored = await catalog.QueryAsync(dictionaryId, new FeatureQuery { Sort = FeatureSort.BestScore, Descending = true });
        Assert.Equal(0.9, Assert.Single(scored.Rows).BestScore);
        Assert.Equal(1, (await catalog.QueryAsync(dictionaryId, new FeatureQuery { MinScore = 0.85 })).Total);
        var dense = new FeatureQuery { MinDensity = 0.0105, MaxDensity = 0.0195, Sort = FeatureSort.MaxActivation, Descending = true, PageSize = 3, Page = 1 };
        var page = await catalog.QueryAsync(dictionaryId, dense);
        Assert.Equal(9, page.Total);   // densities 0.011 … 0.019 (indices 110 … 118)
        Assert.Equal([113, 114, 115], page.Rows.Select(r => r.Index));
        Assert.Equal((4, 9), await catalog.PositionAsync(dictionaryId, 113, dense));
        Assert.Equal((112, 114), await catalog.NeighboursAsync(dictionaryId, 113, dense));
    }
}
