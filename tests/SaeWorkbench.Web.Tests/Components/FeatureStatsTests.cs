using Bunit;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The feature page's statistics panel (bUnit).</summary>
public sealed class FeatureStatsTests : MudComponentTest
{
    private IRenderedComponent<FeatureStats> Render(Latent latent, long? tokens) =>
        Context.Render<FeatureStats>(p => p.Add(s => s.Latent, latent).Add(s => s.TokensAnalysed, tokens));

    [Fact]
    public void An_analysed_latent_shows_density_max_and_mean()
    {
        var cut = Render(new Latent { Index = 3, Density = 0.012345, MaxActivation = 12.3456, MeanActivation = 2.5 }, 1_000_000);
        Assert.Equal(0.012345.ToString("P4"), cut.Find("[data-testid=stat-density]").TextContent);
        Assert.Equal("12.35", cut.Find("[data-testid=stat-max]").TextContent);
        Assert.Equal("2.5", cut.Find("[data-testid=stat-mean]").TextContent);
        Assert.Empty(cut.FindAll("[data-testid=dead-latent]"));
        Assert.Empty(cut.FindAll("[data-testid=not-analysed]"));
        Assert.Contains(1_000_000.ToString("N0"), cut.Markup);
    }

    [Fact]
    public void A_dead_latent_says_so()
    {
        var cut = Render(new Latent { Index = 4, Density = 0, IsDead = true, MaxActivation = 0 }, 2048);
        var alert = cut.Find("[data-testid=dead-latent]");
        Assert.Contains("dead", alert.TextContent);
        Assert.Contains(2048.ToString("N0"), alert.TextContent);
        Assert.Equal("0 (dead)", cut.Find("[data-testid=stat-density]").TextContent);
    }

    [Fact]
    public void An_unanalysed_latent_shows_dashes_and_how_to_analyse()
    {
        var cut = Render(new Latent { Index = 5 }, null);
        Assert.Equal("—", cut.Find("[data-testid=stat-density]").TextContent);
        Assert.Equal("—", cut.Find("[data-testid=stat-max]").TextContent);
        Assert.Contains("sae-analyze", cut.Find("[data-testid=not-analysed]").TextContent);
        Assert.Equal("Statistics", cut.Find("[role=region]").GetAttribute("aria-label"));
    }
}
