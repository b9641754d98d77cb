using Bunit;
using SaeWorkbench.Ml.Interventions;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Web.Components.Steering;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The steering page's output pieces (bUnit): the KL strip's scale and the marks on tokens that differ from the baseline.</summary>
public sealed class SteeringViewsTests : MudComponentTest
{
    [Fact]
    public void The_kl_strip_draws_its_scale_from_zero_to_the_shared_maximum()
    {
        var own = Context.Render<KlStrip>(p => p.Add(k => k.Values, [0.5, null, 2.0]));
        Assert.Equal("2 nats", own.Find("[data-testid=kl-scale-max]").TextContent.Trim());
        Assert.Equal(3, own.FindAll(".kl-cell").Count);
        // A sweep passes the sample's largest KL so that its columns share one scale.
        var shared = Context.Render<KlStrip>(p => p.Add(k => k.Values, [0.5, 2.0]).Add(k => k.Max, 4.0));
        Assert.Equal("4 nats", shared.Find("[data-testid=kl-scale-max]").TextContent.Trim());
        Assert.Contains("0.500", shared.FindAll(".kl-cell")[1].GetAttribute("style"));   // 0.05 + 0.9 × 2/4
    }

    [Fact]
    public void Tokens_that_differ_from_the_baseline_are_marked_and_escaped()
    {
        SideToken T(string text) => new(1, text, FinishReason.None, []);
        var cut = Context.Render<ContinuationView>(p => p.Add(c => c.Heading, "α = 8").Add(c => c.Tokens, [T(" the"), T(" <war>")])
            .Add(c => c.Changed, [false, true]));
        var tokens = cut.FindAll(".gen-tok");
        Assert.Equal(2, tokens.Count);
        Assert.DoesNotContain("changed", tokens[0].ClassList);
        Assert.Contains("changed", tokens[1].ClassList);
        Assert.Equal(" <war>", tokens[1].TextContent);
        Assert.DoesNotContain("<war>", cut.Markup);
    }
}
