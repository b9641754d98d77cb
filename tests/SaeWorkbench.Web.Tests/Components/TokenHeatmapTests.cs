using System.Globalization;
using System.Text.RegularExpressions;
using Bunit;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Layout;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Tests.Components;

/// <summary>The token heatmap (bUnit, no browser).</summary>
public sealed partial class TokenHeatmapTests : MudComponentTest
{
    private static readonly Gpt2Tokenizer Tokenizer =
        BpeTrainer.Train(["the cat sat on the mat", "the clerk wrote <script>alert(1)</script> here", "tabs\tand\nnewlines"], 300);

    private IRenderedComponent<TokenHeatmap> Render(string text, Func<int, float> activation, double max, int peak = -1)
    {
        var ids = Tokenizer.Encode(text);
        return Context.Render<TokenHeatmap>(p => p
            .Add(h => h.TokenIds, ids)
            .Add(h => h.Activations, ids.Select((_, i) => activation(i)).ToList())
            .Add(h => h.Max, max)
            .Add(h => h.PeakOffset, peak)
            .Add(h => h.Tokenizer, Tokenizer));
    }

    [GeneratedRegex(@"^--a:([0-9.]+)$")]
    private static partial Regex AlphaPattern();

    private static double Alpha(AngleSharp.Dom.IElement token)
    {
        var style = token.GetAttribute("style") ?? "";
        var m = AlphaPattern().Match(style);
        return m.Success ? double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    [Fact]
    public void Colours_scale_with_activation_relative_to_the_latents_max()
    {
        var cut = Render("the cat sat on the mat", i => i, max: 4);
        var tokens = cut.FindAll(".tok");
        Assert.True(tokens.Count >= 6, $"{tokens.Count} tokens");
        var alphas = tokens.Select(Alpha).ToList();
        Assert.Equal(0, alphas[0]); // activation 0: no colour at all
        Assert.Null(tokens[0].GetAttribute("style") is { Length: > 0 } s ? s : null);
        for (var i = 1; i <= 4; i++) Assert.True(alphas[i] > alphas[i - 1], $"alpha {alphas[i]} at {i} not above {alphas[i - 1]}");
        Assert.Equal(WorkbenchTheme.HeatmapAlpha(0.5), alphas[2], 3);
        Assert.Equal(WorkbenchTheme.HeatmapMaxAlpha, alphas[4], 3);
        Assert.Equal(WorkbenchTheme.HeatmapMaxAlpha, alphas[5], 3); // above the max: clamped, not brighter
        Assert.Equal(tokens[3].TextContent + ": 3", tokens[3].GetAttribute("title")); // the value on hover
    }

    [Fact]
    public void Markup_in_a_token_is_escaped_text_never_an_element()
    {
        const string text = "the clerk wrote <script>alert(1)</script> here";
        var cut = Render(text, _ => 1, max: 1);
        Assert.Empty(cut.FindAll("script"));
        Assert.DoesNotContain("<script", cut.Markup);
        Assert.Contains("&lt;", cut.Markup);
        Assert.Contains("<script>alert(1)</script>", cut.Find(".heatmap").TextContent);
    }

    [Fact]
    public void The_peak_token_is_marked_once_and_named_for_screen_readers()
    {
        var cut = Render("the cat sat on the mat", i => i == 2 ? 7.5f : 1, max: 7.5, peak: 2);
        var peak = Assert.Single(cut.FindAll(".tok.peak"));
        Assert.Equal(cut.FindAll(".tok")[2].TextContent, peak.TextContent);
        Assert.Equal(peak.TextContent + ": 7.5", peak.GetAttribute("title"));
        var label = cut.Find(".heatmap").GetAttribute("aria-label");
        Assert.Contains("peak 7.5", label);
        Assert.Contains(peak.TextContent, label);
    }

    [Fact]
    public void Spaces_tabs_and_newlines_are_visible()
    {
        var cut = Render("tabs\tand\nnewlines the", _ => 0, max: 1);
        var shown = cut.Find(".heatmap").TextContent;
        Assert.Contains("→", shown);
        Assert.Contains("↵", shown);
        Assert.Contains("·", shown); // the leading space of " the"
        Assert.DoesNotContain("\t", shown);
        Assert.DoesNotContain("\n", shown);
        Assert.StartsWith("·", TokenText.Readable(Tokenizer, Tokenizer.Encode(" the")[0]));
    }
}
