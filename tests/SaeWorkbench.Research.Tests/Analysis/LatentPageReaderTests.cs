using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Tests.Crowd;

namespace SaeWorkbench.Research.Tests.Analysis;

public sealed class LatentPageReaderTests
{
    [Fact]
    public async Task The_header_names_the_dictionary_model_and_hook_of_the_latent()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var header = await s.Get<LatentPageReader>().GetAsync(s.DictionaryId, 3, s.Viewer);

        Assert.NotNull(header);
        Assert.Equal(3, header.Latent.Index);
        Assert.Equal(("d", "m", "blocks.0.hook_resid_post"), (header.DictionaryName, header.ModelName, header.HookName));
        Assert.Null(header.AnalysisId); // never analysed
    }

    [Fact]
    public async Task A_blind_latents_consensus_is_blank_for_a_labeller_until_they_wrote_their_own_and_shown_to_a_reviewer()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var years = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[2], new InterpretationDraft("years", "", 3, "entity"))).Value!;
        await s.Labelling.VoteAsync(s.Reviewer, years.Id, 1);
        var reader = s.Get<LatentPageReader>();

        var benBefore = (await reader.GetAsync(s.DictionaryId, 2, ben))!.Latent;
        var reviewer = (await reader.GetAsync(s.DictionaryId, 2, s.Reviewer))!.Latent;
        await s.Labelling.CreateInterpretationAsync(ben, s.Latents[2], new InterpretationDraft("numbers", "", 3, "entity"));
        var benAfter = await reader.LatentAsync(s.DictionaryId, 2, ben);

        Assert.Equal((LabelStatus.Unlabelled, null, null), (benBefore.LabelStatus, benBefore.ConsensusLabel, benBefore.ConsensusTag));
        Assert.Equal("years", reviewer.ConsensusLabel);
        Assert.Equal("years", benAfter!.ConsensusLabel);
    }

    [Theory]
    [InlineData(99, 11)]  // past the end: the last index
    [InlineData(-4, 0)]   // below the start: the first
    public async Task A_missing_index_offers_the_nearest_one_that_exists(int asked, int nearest)
    {
        await using var s = await CrowdDatabase.StartAsync();
        var reader = s.Get<LatentPageReader>();

        Assert.Null(await reader.GetAsync(s.DictionaryId, asked, s.Viewer));
        Assert.Equal(new MissingLatent("d", CrowdDatabase.LatentCount + 2, nearest), await reader.MissingAsync(s.DictionaryId, asked));
    }

    [Fact]
    public async Task A_gap_in_the_indices_offers_the_closer_neighbour_and_a_missing_dictionary_offers_none()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await using (var db = s.Db())
        {
            db.Latents.RemoveRange(db.Latents.Where(l => l.DictionaryId == s.DictionaryId && l.Index >= 4 && l.Index <= 8));
            await db.SaveChangesAsync();
        }
        var reader = s.Get<LatentPageReader>();

        Assert.Equal(3, (await reader.MissingAsync(s.DictionaryId, 5)).NearestIndex);
        Assert.Equal(9, (await reader.MissingAsync(s.DictionaryId, 7)).NearestIndex);
        Assert.Equal(new MissingLatent(null, 0, null), await reader.MissingAsync(s.DictionaryId + 100, 1));
    }
}
