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
        await s.Labelling.VoteAsync(cat, annsWork.Id, 1);
        await s.Labelling.AddCommentAsync(cat, latent, "looks like years to me");

        var benBefore = (await s.Labelling.GetLatentAsync(ben, latent)).Value!;
        var benListBefore = (await s.Labelling.ListLatentsAsync(s.DictionaryId, 0, 50, actor: ben)).Value!;
        var reviewer = (await s.Labelling.GetLatentAsync(s.Reviewer, latent)).Value!;
        await s.Labelling.CreateInterpretationAsync(ben, latent, Draft("numbers"));
        var benAfter = (await s.Labelling.GetLatentAsync(ben, latent)).Value!;

        Assert.Empty(benBefore.Interpretations);
        Assert.Empty(benBefore.Comments);
        Assert.Equal(BlindModePolicy.HiddenStatus, benBefore.Consensus.Status);
        Assert.Null(benBefore.Consensus.Label);
        Assert.Equal(BlindModePolicy.HiddenStatus, benListBefore.Items.Single(l => l.Index == 2).Consensus.Status);
        Assert.Equal("Unlabelled", benListBefore.Items.Single(l => l.Index == 3).Consensus.Status);   // not blind: shown as is
        Assert.Equal(["years"], reviewer.Interpretations.Select(i => i.Label));
        Assert.Equal("years", reviewer.Consensus.Label);
        Assert.Equal(["numbers", "years"], benAfter.Interpretations.Select(i => i.Label).Order());
        Assert.Equal("years", benAfter.Consensus.Label);
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
