using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Crowd;

public sealed class AgreementServiceTests
{
    [Fact]
    public async Task Scope_agreement_is_alpha_over_each_labellers_latest_tag_and_confidence_with_the_latents_behind_it()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "1-4");
        var (ann, ben, cat) = (s.Labellers[0], s.Labellers[1], s.Labellers[2]);
        async Task<long> Label(Actor who, int index, string tag, int confidence) =>
            (await s.Labelling.CreateInterpretationAsync(who, s.Latents[index], new InterpretationDraft($"{who.UserName} {index}", "", confidence, tag))).Value!.Id;
        // Tags: agree on 1 and 2, disagree on 3. Hand-computed (Krippendorff 2011, §C): values e,e,s,s,e,s;
        // o_ee = o_ss = 2, o_es = o_se = 1, n = 6: D_o = 2/6, D_e = 2·3·3/30 = 0.6, α = 1 − (1/3)/0.6 = 4/9.
        // Confidence (interval): 4,4 | 2,2 | 5,3: D_o = 8/6, D_e = 88/30, α = 1 − (4/3)/(44/15) = 6/11.
        await Label(ann, 1, "entity", 4); await Label(ben, 1, "entity", 4);
        await Label(ann, 2, "syntax", 2); await Label(ben, 2, "syntax", 2);
        await Label(ann, 3, "entity", 5);
        var accepted = await Label(ben, 3, "syntax", 3);
        await Label(cat, 4, "syntax", 3);   // alone on latent 4: no information on agreement
        await s.Labelling.ReviewAsync(s.Reviewer, accepted, ReviewStatus.Accepted, null);

        var view = (await s.Get<SaeWorkbench.Research.Crowd.AgreementService>().ForScopeAsync(scope.Id))!;

        Assert.Equal(3, view.LatentsWithTwoOrMore);
        Assert.Equal(4.0 / 9, view.TagAlpha.Alpha!.Value, 12);
        Assert.Equal(3, view.TagAlpha.Latents);
        Assert.Equal(6.0 / 11, view.ConfidenceAlpha.Alpha!.Value, 12);
        var pair = Assert.Single(view.Pairs);
        Assert.Equal((ann.UserId, ben.UserId, 3), (pair.UserA, pair.UserB, pair.SharedLatents));
        Assert.Equal(2.0 / 3, pair.TagPercentAgreement!.Value, 12);
        Assert.Equal(4.0 / 9, pair.TagAlpha.Alpha!.Value, 12);
        var benRow = view.Labellers.Single(l => l.UserId == ben.UserId);
        Assert.Equal((3, 1, 3, 1), (benRow.Labels, benRow.Partners, benRow.SharedLatents, benRow.Accepted));
        Assert.Equal(2.0 / 3, benRow.TagAgreementWithOthers!.Value, 12);
        Assert.Equal(1.0 / 3, benRow.AcceptedRate!.Value, 12);
        var catRow = view.Labellers.Single(l => l.UserId == cat.UserId);
        Assert.Equal((1, 0, null), (catRow.Labels, catRow.Partners, catRow.TagAgreementWithOthers));
    }

    [Fact]
    public async Task Without_two_labellers_on_any_latent_alpha_is_undefined_with_a_reason()
    {
        await using var s = await CrowdDatabase.StartAsync();
        var scope = await s.ScopeAsync(kind: "List", definition: "1-2");
        await s.Labelling.CreateInterpretationAsync(s.Labellers[0], s.Latents[1], new InterpretationDraft("a", "", 3, "entity"));

        var view = (await s.Get<SaeWorkbench.Research.Crowd.AgreementService>().ForScopeAsync(scope.Id))!;

        Assert.Null(view.TagAlpha.Alpha);
        Assert.Equal("No unit was coded by two or more coders.", view.TagAlpha.UndefinedReason);
        Assert.Empty(view.Pairs);
    }
}
