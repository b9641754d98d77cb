using System.Text;
using AngleSharp.Html.Parser;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>A feature page's example rows, with the context around the peak and "expand for more context".</summary>
public sealed class HeatmapHtmlTests
{
    private static readonly Gpt2Tokenizer Tokenizer =
        BpeTrainer.Train(["one two three four five six seven eight nine ten eleven twelve <b>bold</b>"], 300);

    private static AngleSharp.Dom.IElement Example(int[] ids, float[] acts, int peak, HeatmapWindow window)
    {
        var html = new StringBuilder();
        HeatmapHtml.AppendExample(html, ids, acts, peak, acts[peak], acts.Max(), Tokenizer, window);
        var document = new HtmlParser().ParseDocument("<body>" + html + "</body>");
        return Assert.Single(document.QuerySelectorAll(".example"));
    }

    [Fact]
    public void Tokens_outside_the_window_around_the_peak_are_marked_far_and_a_button_expands_them()
    {
        var ids = Enumerable.Range(0, 41).Select(i => Tokenizer.Encode(" seven")[0]).ToArray();
        var acts = Enumerable.Range(0, 41).Select(i => i == 32 ? 5f : 0.1f * (i % 3)).ToArray();
        var example = Example(ids, acts, peak: 32, new HeatmapWindow(12, 4));
        var tokens = example.QuerySelectorAll(".tok");
        Assert.Equal(41, tokens.Length); // the whole stored context is in the page
        var far = tokens.Select((t, i) => (Far: t.ClassList.Contains("far"), i)).Where(t => t.Far).Select(t => t.i).ToList();
        Assert.Equal(Enumerable.Range(0, 20).Concat(Enumerable.Range(37, 4)), far); // kept: 20..36 = peak − 12 … peak + 4
        Assert.Contains("peak", tokens[32].ClassList);
        Assert.DoesNotContain("far", tokens[32].ClassList);
        var toggle = example.QuerySelector("button.ctx-toggle")!;
        Assert.Equal("false", toggle.GetAttribute("aria-expanded"));
        Assert.Equal("button", toggle.GetAttribute("type"));
        Assert.False(string.IsNullOrWhiteSpace(toggle.GetAttribute("aria-label")));
        Assert.Equal("5", example.QuerySelector(".act")!.TextContent);
    }

    [Fact]
    public void A_context_that_fits_the_window_has_no_button_and_no_hidden_tokens()
    {
        var ids = Tokenizer.Encode(" one two three four five").Take(6).ToArray();
        var acts = ids.Select((_, i) => (float)i).ToArray();
        var example = Example(ids, acts, peak: ids.Length - 1, new HeatmapWindow(12, 4));
        Assert.Null(example.QuerySelector(".ctx-toggle"));
        Assert.Empty(example.QuerySelectorAll(".tok.far"));
    }

    [Fact]
    public void Token_text_is_encoded_in_content_titles_and_the_label()
    {
        var ids = Tokenizer.Encode(" <b>bold</b>\"'&");
        var acts = ids.Select(_ => 1f).ToArray();
        var html = HeatmapHtml.Render(ids, acts, 0, 1, Tokenizer);
        Assert.DoesNotContain("<b>", html);
        var document = new HtmlParser().ParseDocument("<body>" + html + "</body>");
        Assert.Empty(document.QuerySelectorAll("b"));
        var heatmap = document.QuerySelector(".heatmap")!;
        Assert.Equal("·<b>bold</b>\"'&", heatmap.TextContent);
        Assert.All(heatmap.QuerySelectorAll(".tok"), t => Assert.StartsWith(t.TextContent + ": ", t.GetAttribute("title")));
        Assert.Contains(TokenText.Readable(Tokenizer, ids[0]), heatmap.GetAttribute("aria-label"));
    }

    [Fact]
    public void Token_and_activation_counts_must_match()
    {
        Assert.Throws<ArgumentException>(() => HeatmapHtml.Render([1, 2, 3], [1f, 2f], 0, 1, Tokenizer));
    }
}
