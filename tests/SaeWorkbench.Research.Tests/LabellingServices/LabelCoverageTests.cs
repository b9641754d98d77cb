using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Dictionaries;

namespace SaeWorkbench.Research.Tests.LabellingServices;

/// <summary>A dictionary's labelled and reviewed coverage, for the Dictionaries page.</summary>
public sealed class LabelCoverageTests
{
    [Fact]
    public async Task Coverage_counts_proposed_and_accepted_latents_per_dictionary()
    {
        await using var s = await ServiceDatabase.StartAsync();
        long other;
        await using (var db = s.Db())
        {
            var d = new SaeDictionary { Name = "e", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 5, SaePath = "/y" };
            db.Dictionaries.Add(d);
            await db.SaveChangesAsync();
            other = d.Id;
            var statuses = new[] { LabelStatus.Accepted, LabelStatus.Proposed, LabelStatus.Proposed, LabelStatus.Unlabelled, LabelStatus.Accepted };
            for (var i = 0; i < statuses.Length; i++) db.Latents.Add(new Latent { DictionaryId = d.Id, Index = i, LabelStatus = statuses[i] });
            await db.SaveChangesAsync();
        }
        var coverage = await s.Get<DictionaryRegistry>().CoverageAsync();
        Assert.Equal(new LabelCoverage(4, 2), coverage[other]);
        Assert.False(coverage.ContainsKey(await FirstDictionaryAsync(s))); // its one latent is unlabelled
    }

    private static async Task<long> FirstDictionaryAsync(ServiceDatabase s)
    {
        await using var db = s.Db();
        return db.Latents.Single(l => l.Id == s.LatentId).DictionaryId;
    }
}
