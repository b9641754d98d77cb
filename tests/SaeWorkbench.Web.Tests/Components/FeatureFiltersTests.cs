using Bunit;
using MudBlazor;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The feature list's filters (bUnit): each control changes one part of the query and goes back to page 1.</summary>
public sealed class FeatureFiltersTests : MudComponentTest
{
    private readonly List<FeatureQuery> _changes = [];
    private static readonly FeatureQuery Start = new() { Page = 3, Sort = FeatureSort.Density, Descending = true };

    private IRenderedComponent<FeatureFilters> Render() =>
        Context.Render<FeatureFilters>(p => p.Add(f => f.Query, Start).Add(f => f.QueryChanged, q => _changes.Add(q)));

    [Fact]
    public void Searching_sets_the_text_and_keeps_the_sort()
    {
        var cut = Render();
        Assert.Equal("search", cut.Find("[role=search]").GetAttribute("role"));
        cut.Find("input[data-testid=feature-search]").Change("dates");
        var q = Assert.Single(_changes);
        Assert.Equal(Start with { Search = "dates", Page = 0 }, q);
        Assert.Contains("q=dates", q.ToQueryString());
    }

    [Fact]
    public async Task Dead_dense_status_and_tag_filters_map_to_the_query()
    {
        var cut = Render();
        MudSelect<string> Select(string label) => cut.FindComponents<MudSelect<string>>().Single(s => s.Instance.Label == label).Instance;
        await cut.InvokeAsync(() => Select("Dead").ValueChanged.InvokeAsync("yes"));
        await cut.InvokeAsync(() => Select("Dense (>10%)").ValueChanged.InvokeAsync("no"));
        await cut.InvokeAsync(() => Select("Label status").ValueChanged.InvokeAsync(nameof(LabelStatus.Accepted)));
        await cut.InvokeAsync(() => Select("Label status").ValueChanged.InvokeAsync("any"));
        Assert.Equal([true, null, null, null], _changes.Select(c => c.Dead));
        Assert.Equal([null, false, null, null], _changes.Select(c => c.Dense));
        Assert.Equal([null, null, LabelStatus.Accepted, null], _changes.Select(c => c.Status));
        Assert.All(_changes, c => Assert.Equal(0, c.Page));
        Assert.All(_changes, c => Assert.Equal(FeatureSort.Density, c.Sort));
    }

    [Fact]
    public void Density_range_and_tag_fields_set_their_bounds()
    {
        var cut = Render();
        var numeric = cut.FindComponents<MudNumericField<double?>>();
        numeric.Single(n => n.Instance.Label == "Min density").Find("input").Change("0.001");
        numeric.Single(n => n.Instance.Label == "Max density").Find("input").Change("0.5");
        cut.FindComponents<MudTextField<string>>().Single(t => t.Instance.Label == "Tag").Find("input").Change("syntax");
        Assert.Equal(0.001, _changes[0].MinDensity);
        Assert.Equal(0.5, _changes[1].MaxDensity);
        Assert.Equal("syntax", _changes[2].Tag);
    }
}
