using Bunit;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The feature list's filters (bUnit): each control changes one part of the query and goes back to page 1.</summary>
public sealed class FeatureFiltersTests : MudComponentTest
{
    private readonly List<FeatureQuery> _changes = [];
    private static readonly FeatureQuery Start = new() { Page = 3, Sort = FeatureSort.Density, Descending = true };

    /// <summary>The option a select shows: prerendered HTML marks it selected (the renderer turns the select's value into that).</summary>
    private static string? Selected(AngleSharp.Dom.IElement select) =>
        select.QuerySelector("option[selected]")?.GetAttribute("value") ?? select.GetAttribute("value");

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
    public void Dead_dense_status_and_tag_filters_map_to_the_query()
    {
        var cut = Render();
        cut.Find("select[data-testid=filter-dead]").Change("yes");
        cut.Find("select[data-testid=filter-dense]").Change("no");
        cut.Find("select[data-testid=filter-status]").Change(nameof(LabelStatus.Accepted));
        cut.Find("select[data-testid=filter-status]").Change("any");
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
        // Density bounds are typed in percent, like the column; the query (and the URL) hold fractions.
        cut.Find("input[data-testid=filter-min-density]").Change("0.1");
        cut.Find("input[data-testid=filter-max-density]").Change("50");
        cut.Find("input[data-testid=filter-tag]").Change("syntax");
        cut.Find("input[data-testid=filter-min-density]").Change("");
        cut.Find("input[data-testid=filter-min-score]").Change("0.75");
        Assert.Equal(0.001, _changes[0].MinDensity);
        Assert.Equal(0.5, _changes[1].MaxDensity);
        Assert.Equal("syntax", _changes[2].Tag);
        Assert.Null(_changes[3].MinDensity);   // clearing the field clears the bound
        Assert.Equal(0.75, _changes[4].MinScore);
    }

    [Fact]
    public void Sort_and_direction_change_and_the_controls_show_the_current_query()
    {
        var shown = Context.Render<FeatureFilters>(p => p.Add(f => f.Query, Start with { Dead = false, Status = LabelStatus.Proposed, MinDensity = 0.0025, MinScore = 0.6, Tag = "entity", Search = "dates" }));
        Assert.Equal("Density", Selected(shown.Find("select[data-testid=filter-sort]")));
        Assert.Equal("no", Selected(shown.Find("select[data-testid=filter-dead]")));
        Assert.Equal("any", Selected(shown.Find("select[data-testid=filter-dense]")));
        Assert.Equal("Proposed", Selected(shown.Find("select[data-testid=filter-status]")));
        Assert.Equal("0.25", shown.Find("input[data-testid=filter-min-density]").GetAttribute("value"));   // percent
        Assert.Equal("0.6", shown.Find("input[data-testid=filter-min-score]").GetAttribute("value"));
        Assert.Equal("entity", shown.Find("input[data-testid=filter-tag]").GetAttribute("value"));
        Assert.Equal("dates", shown.Find("#feature-search").GetAttribute("value"));
        Assert.True(shown.Find("input[data-testid=filter-descending]").HasAttribute("checked"));

        var cut = Render();
        cut.Find("select[data-testid=filter-sort]").Change(nameof(FeatureSort.MaxActivation));
        cut.Find("input[data-testid=filter-descending]").Change(false);
        cut.Find("select[data-testid=filter-sort]").Change(nameof(FeatureSort.BestScore));
        Assert.Equal(Start with { Sort = FeatureSort.MaxActivation, Page = 0 }, _changes[0]);
        Assert.Equal(Start with { Descending = false, Page = 0 }, _changes[1]);
        Assert.Equal(Start with { Sort = FeatureSort.BestScore, Page = 0 }, _changes[2]);
        // Every control has an accessible name (its label).
        Assert.All(cut.FindAll("input, select"), e => Assert.Equal("LABEL", e.ParentElement?.TagName));
    }
}
