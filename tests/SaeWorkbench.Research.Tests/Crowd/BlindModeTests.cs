using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Crowd;

public sealed class BlindModeTests
{
    private static InterpretationDraft Draft(string label) => new(label, "", 3, "entity");

    [Fact]
    public async Task In_a_blind_scope_a_labeller_sees_no_one_elses_work_until_they_submitted_their_own()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var (ann, ben, cat) = (s.Labellers[0], s.Labellers[1], s.Labellers[2]);
        var latent = s.Latents[2];
        var annsWork = (await s.Labelling.CreateInterpretationAsync(ann, latent, Draft("years"))).Value!;
        // Cat cannot vote on what he may not see (it answers Not found); a Reviewer can.
        Assert.Equal(OutcomeKind.NotFound, (await s.Labelling.VoteAsync(cat, annsWork.Id, 1)).Kind);
        Assert.True((await s.Labelling.VoteAsync(s.Reviewer, annsWork.Id, 1)).Succeeded);
        await s.Labelling.AddCommentAsync(cat, latent, "looks like years to me");

        var benBefore = (await s.Labelling.GetLatentAsync(ben, latent)).Value!;
        var benListBefore = (await s.Get<SaeWorkbench.Research.Features.FeatureCatalog>().QueryAsync(s.DictionaryId, new SaeWorkbench.Research.Features.FeatureQuery { PageSize = 50 }, ben)).Rows;
        var reviewer = (await s.Labelling.GetLatentAsync(s.Reviewer, latent)).Value!;
        await s.Labelling.CreateInterpretationAsync(ben, latent, Draft("numbers"));
        var benAfter = (await s.Labelling.GetLatentAsync(ben, latent)).Value!;

        Assert.Empty(benBefore.Interpretations);
        Assert.Empty(benBefore.Comments);
        Assert.Equal(InterpretationVisibility.HiddenStatus, benBefore.Consensus.Status);
        Assert.Null(benBefore.Consensus.Label);
        Assert.True(benListBefore.Single(l => l.Index == 2).ConsensusHidden);
        Assert.Null(benListBefore.Single(l => l.Index == 2).ConsensusLabel);
        Assert.False(benListBefore.Single(l => l.Index == 3).ConsensusHidden);   // not blind: shown as is
        Assert.Equal(SaeWorkbench.Data.Dictionaries.LabelStatus.Unlabelled, benListBefore.Single(l => l.Index == 3).LabelStatus);
        Assert.Equal(["years"], reviewer.Interpretations.Select(i => i.Label));
        Assert.Equal("years", reviewer.Consensus.Label);
        Assert.Equal(["numbers", "years"], benAfter.Interpretations.Select(i => i.Label).Order());
        Assert.Equal("years", benAfter.Consensus.Label);
    }

    [Fact]
    public async Task The_cached_list_starts_hiding_as_soon_as_a_blind_scope_is_created()
    {
        // With no blind scope the list skips blind mode (a cached answer); creating one clears that answer at once.
        await using var s = await CrowdDatabase.StartAsync();
        var catalog = s.Get<SaeWorkbench.Research.Features.FeatureCatalog>();
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var years = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[2], Draft("calendar years"))).Value!;
        await s.Labelling.VoteAsync(s.Labellers[2], years.Id, 1);
        var search = new SaeWorkbench.Research.Features.FeatureQuery { Search = "calendar", PageSize = 50 };

        var before = await catalog.QueryAsync(s.DictionaryId, search, ben);
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var after = await catalog.QueryAsync(s.DictionaryId, search, ben);
        var allAfter = await catalog.QueryAsync(s.DictionaryId, new SaeWorkbench.Research.Features.FeatureQuery { PageSize = 50 }, ben);

        Assert.Equal([2], before.Rows.Select(r => r.Index));
        Assert.Equal("calendar years", before.Rows.Single().ConsensusLabel);
        Assert.Empty(after.Rows);
        Assert.True(allAfter.Rows.Single(r => r.Index == 2).ConsensusHidden);
    }

    [Fact]
    public async Task The_feature_list_hides_a_blind_latents_consensus_and_keeps_it_out_of_label_filters()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: true, kind: "List", definition: "2");
        var catalog = s.Get<SaeWorkbench.Research.Features.FeatureCatalog>();
        var (ann, ben) = (s.Labellers[0], s.Labellers[1]);
        var years = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[2], Draft("calendar years"))).Value!;
        var days = (await s.Labelling.CreateInterpretationAsync(ann, s.Latents[3], Draft("calendar days"))).Value!;
        await s.Labelling.VoteAsync(s.Reviewer, years.Id, 1);   // the workspace threshold is one vote (blind: a Reviewer's)
        await s.Labelling.VoteAsync(s.Labellers[2], days.Id, 1);
        var all = new SaeWorkbench.Research.Features.FeatureQuery { PageSize = 50 };
        var search = new SaeWorkbench.Research.Features.FeatureQuery { Search = "calendar", PageSize = 50 };

        var benRows = (await catalog.QueryAsync(s.DictionaryId, all, ben)).Rows;
        var benSearch = await catalog.QueryAsync(s.DictionaryId, search, ben);
        var reviewerRows = (await catalog.QueryAsync(s.DictionaryId, all, s.Reviewer)).Rows;
        var reviewerSearch = await catalog.QueryAsync(s.DictionaryId, search, s.Reviewer);
        var annRows = (await catalog.QueryAsync(s.DictionaryId, all, ann)).Rows;

        var hidden = benRows.Single(r => r.Index == 2);
        Assert.True(hidden.ConsensusHidden);
        Assert.Null(hidden.ConsensusLabel);
        Assert.Equal(SaeWorkbench.Data.Dictionaries.LabelStatus.Unlabelled, hidden.LabelStatus);
        Assert.Equal("calendar days", benRows.Single(r => r.Index == 3).ConsensusLabel);   // not blind
        Assert.Equal([3], benSearch.Rows.Select(r => r.Index));
        Assert.Equal([2, 3], reviewerSearch.Rows.Select(r => r.Index).Order());
        Assert.Equal("calendar years", reviewerRows.Single(r => r.Index == 2).ConsensusLabel);
        Assert.Equal("calendar years", annRows.Single(r => r.Index == 2).ConsensusLabel);   // her own work
    }

    [Fact]
    public async Task Outside_blind_scopes_everyone_sees_everything()
    {
        await using var s = await CrowdDatabase.StartAsync();
        await s.ScopeAsync(blind: false, kind: "List", definition: "2");
        await s.ScopeAsync(blind: true, kind: "List", definition: "5");
        var latent = s.Latents[2];
        await s.Labelling.CreateInterpretationAsync(s.Labellers[0], latent, Draft("years"));

        var ben = (await s.Labelling.GetLatentAsync(s.Labellers[1], latent)).Value!;
        var anonymous = (await s.Labelling.GetLatentAsync(null, latent)).Value!;

        Assert.Equal(["years"], ben.Interpretations.Select(i => i.Label));
        Assert.Equal(["years"], anonymous.Interpretations.Select(i => i.Label));
    }
}
