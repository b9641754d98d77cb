using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Web.Components.Features;

namespace SaeWorkbench.Web.Tests.Components;

public sealed class FeatureExamplesHtmlTests
{
    private static FeatureExampleView Example(FeatureExampleKind kind, int bin, int rank, Random rng) => new(kind, bin, rank,
        Enumerable.Range(0, 64).Select(_ => rng.Next(50_000)).ToArray(), Enumerable.Range(0, 64).Select(t => t == 40 ? 9f : (float)rng.NextDouble()).ToArray(),
        40, 9, rank, 40);

    [Fact]
    public void A_full_dashboards_example_markup_comes_in_pieces_below_the_large_object_heap_that_join_into_both_sections()
    {
        var rng = new Random(1);
        var view = new FeatureDashboardView(1, 7, 1, 1000, null, 10, 0.01, 9, 1, false, new long[50],
            Enumerable.Range(0, 20).Select(r => Example(FeatureExampleKind.Top, 0, r, rng)).ToList(),
            Enumerable.Range(0, 5).Select(b => new FeatureIntervalView(b, b * 1.8, (b + 1) * 1.8, 100, 0.2,
                Enumerable.Range(0, 5).Select(r => Example(FeatureExampleKind.Interval, b, r, rng)).ToList())).ToList(),
            [], [], new long[50], 0, 1, []);

        var pieces = FeatureDashboardCache.ExamplesHtml(view, tokenizer: null);

        Assert.True(pieces.Count > 1, "a whole dashboard's markup is longer than one piece");
        Assert.All(pieces, p => Assert.True(p.Length * sizeof(char) < 85_000, $"a piece of {p.Length} characters would go to the large-object heap"));
        var document = new AngleSharp.Html.Parser.HtmlParser().ParseDocument(string.Concat(pieces));
        Assert.Equal(20, document.QuerySelectorAll("[data-testid=top-examples] > .example").Length);
        Assert.Equal(5, document.QuerySelectorAll("[data-testid=interval]").Length);
        Assert.All(document.QuerySelectorAll("[data-testid=interval]"), i => Assert.Equal(5, i.QuerySelectorAll(".example").Length));
        Assert.Equal(45, document.QuerySelectorAll(".tok.peak").Length);
    }
}
