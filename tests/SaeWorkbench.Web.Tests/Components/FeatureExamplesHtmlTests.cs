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
    public void A_full_dashboards_example_markup_comes_in_pieces_below_the_large_object_heap_each_of_whole_example_rows()
    {
        var rng = new Random(1);
        var view = new FeatureDashboardView(1, 7, 1, 1000, null, 10, 0.01, 9, 1, false, new long[50],
            Enumerable.Range(0, 20).Select(r => Example(FeatureExampleKind.Top, 0, r, rng)).ToList(),
            Enumerable.Range(0, 5).Select(b => new FeatureIntervalView(b, b * 1.8, (b + 1) * 1.8, 100, 0.2,
                Enumerable.Range(0, 5).Select(r => Example(FeatureExampleKind.Interval, b, r, rng)).ToList())).ToList(),
            [], [], new long[50], 0, 1, []);

        var examples = FeatureDashboardCache.ExamplesHtml(view, tokenizer: null);

        Assert.True(examples.Top.Count > 1, "the top contexts' markup is longer than one piece");
        Assert.All(examples.Pieces, p => Assert.True(p.Value.Length * sizeof(char) < 85_000, $"a piece of {p.Value.Length} characters would go to the large-object heap"));
        // The interactive renderer parses each piece on its own: every piece must be a run of complete example rows.
        var parser = new AngleSharp.Html.Parser.HtmlParser();
        int Rows(IEnumerable<Microsoft.AspNetCore.Components.MarkupString> pieces) => pieces.Sum(p =>
        {
            var body = parser.ParseDocument("<body>" + p.Value + "</body>").Body!;
            Assert.All(body.Children, c => Assert.Equal("example", c.ClassName));
            return body.Children.Length;
        });
        Assert.Equal(20, Rows(examples.Top));
        Assert.Equal(5, examples.Intervals.Count);
        Assert.All(examples.Intervals, i => Assert.Equal(5, Rows(i.Examples)));
        Assert.Equal("(7.2, 9] · 20.0 % of activations", examples.Intervals[0].Heading);
        Assert.Equal(45, examples.Pieces.Sum(p => parser.ParseDocument(p.Value).QuerySelectorAll(".tok.peak").Length));
    }

    [Fact]
    public void Corpus_text_in_a_dashboards_examples_stays_text_and_never_becomes_markup()
    {
        var tokenizer = SaeWorkbench.Ml.Lm.Tokenization.BpeTrainer.Train(["one two <script>alert(1)</script> <b>bold</b> \"'&"], 300);
        var ids = tokenizer.Encode(" <script>alert(1)</script> <b>bold</b> \"'&");
        var acts = ids.Select((_, i) => (float)i).ToArray();
        var example = new FeatureExampleView(FeatureExampleKind.Top, 0, 0, ids, acts, ids.Length - 1, acts[^1], 0, ids.Length - 1);
        var view = new FeatureDashboardView(1, 7, 1, 1000, null, 10, 0.01, acts[^1], 1, false, new long[50], [example],
            [new FeatureIntervalView(0, 0, acts[^1], 1, 1, [example with { Kind = FeatureExampleKind.Interval }])], [], [], new long[50], 0, 1, []);

        var examples = FeatureDashboardCache.ExamplesHtml(view, tokenizer);

        var parser = new AngleSharp.Html.Parser.HtmlParser();
        foreach (var piece in examples.Pieces)
        {
            var body = parser.ParseDocument("<body>" + piece.Value + "</body>").Body!;
            Assert.Empty(body.QuerySelectorAll("script, b"));
            Assert.Contains("<script>alert(1)</script>", body.QuerySelector(".heatmap")!.TextContent);
            Assert.Contains("\"'&", body.QuerySelector(".heatmap")!.TextContent);
        }
    }
}
