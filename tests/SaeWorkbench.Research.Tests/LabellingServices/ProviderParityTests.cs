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
}
