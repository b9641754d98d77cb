using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using SaeWorkbench.Ml.Lm.Tokenization;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Web.Components.Layout;

namespace SaeWorkbench.Web.Components.Shared;

/// <summary>
/// The markup of a token heatmap, written straight into a string: a context of 41 tokens is one
/// markup frame instead of ~250 render-tree frames, which is most of what a feature page with 45 contexts costs to
/// prerender. Every piece of corpus text goes through <see cref="HtmlEncoder"/>; nothing from the corpus becomes markup.
/// Tokens colour by activation / max (0 = no colour; the opacity is the token's <c>--a</c>), show their value on hover
/// ("token: value" in the title), and the peak is outlined. With a
/// <see cref="HeatmapWindow"/>, tokens outside the window around the peak are marked <c>far</c> and stay hidden until
/// the example is expanded (wwwroot/keyboard.js toggles it; app.css hides them).
/// </summary>
public static class HeatmapHtml
{
    private static readonly HtmlEncoder Encoder = HtmlEncoder.Default;

    // Readable, HTML-encoded text of each token id, per tokenizer: decoding and encoding 1,845 tokens was a third of a
    // feature page's markup cost. Bounded by the vocabulary; goes with its tokenizer.
    private static readonly ConditionalWeakTable<ITokenizer, ConcurrentDictionary<int, (string Text, string Html)>> TokenCache = new();

    private static (string Text, string Html) Token(ITokenizer? tokenizer, int id)
    {
        if (tokenizer is null) { var raw = ReadableToken.Of(null, id); return (raw, Encoder.Encode(raw)); }
        return TokenCache.GetOrCreateValue(tokenizer).GetOrAdd(id, static (i, t) =>
        {
            var text = ReadableToken.Of(t, i);
            return (text, Encoder.Encode(text));
        }, tokenizer);
    }

    /// <summary>Appends <c>&lt;span class="heatmap"&gt;…&lt;/span&gt;</c> for the tokens to <paramref name="html"/>.</summary>
    public static void Append(StringBuilder html, IReadOnlyList<int> tokenIds, IReadOnlyList<float> activations, int peakOffset,
        double max, ITokenizer? tokenizer, HeatmapWindow? window = null)
    {
        if (activations.Count != tokenIds.Count)
            throw new ArgumentException($"{tokenIds.Count} tokens but {activations.Count} activations.", nameof(activations));
        var tokens = new (string Text, string Html)[tokenIds.Count];
        for (var i = 0; i < tokens.Length; i++) tokens[i] = Token(tokenizer, tokenIds[i]);
        html.Append("<span class=\"heatmap\" data-testid=\"heatmap\" role=\"group\" aria-label=\"");
        Encoded(html, Label(tokens, activations, peakOffset));
        html.Append("\">");
        Span<char> buffer = stackalloc char[32];
        for (var i = 0; i < tokens.Length; i++)
        {
            var a = activations[i];
            var far = window is { } w && peakOffset >= 0 && (i < peakOffset - w.Before || i > peakOffset + w.After);
            html.Append("<span class=\"tok").Append(i == peakOffset ? " peak" : "").Append(far ? " far" : "").Append('"');
            var alpha = WorkbenchTheme.HeatmapAlpha(max > 0 ? a / max : 0);
            // The opacity only; app.css paints rgba(var(--heat-rgb), var(--a)). A page holds ~1,800 tokens, so every byte
            // of a token's markup is ~2 KB of each response (and of the dashboard cache).
            if (alpha > 0) html.Append(" style=\"--a:").Append(AlphaText(alpha)).Append('"');
            // Formatted once, straight into a buffer on the stack: no string per token.
            if (!a.TryFormat(buffer, out var length, "G4", CultureInfo.InvariantCulture)) throw new InvalidOperationException("activation did not format");
            html.Append(" title=\"").Append(tokens[i].Html).Append(": ").Append(buffer[..length]).Append("\">").Append(tokens[i].Html).Append("</span>");
        }
        html.Append("</span>");
    }

    /// <summary>The heatmap alone, as a string.</summary>
    public static string Render(IReadOnlyList<int> tokenIds, IReadOnlyList<float> activations, int peakOffset, double max,
        ITokenizer? tokenizer, HeatmapWindow? window = null)
    {
        var html = new StringBuilder(Math.Min(tokenIds.Count * 160, 16_000));
        Append(html, tokenIds, activations, peakOffset, max, tokenizer, window);
        return html.ToString();
    }

    /// <summary>
    /// One example row of a feature page: the peak value, the heatmap and, when tokens lie outside
    /// <paramref name="window"/>, a button that shows the whole stored context.
    /// </summary>
    public static void AppendExample(StringBuilder html, IReadOnlyList<int> tokenIds, IReadOnlyList<float> activations, int peakOffset,
        double peakActivation, double max, ITokenizer? tokenizer, HeatmapWindow window)
    {
        var hasFar = peakOffset >= 0 && (peakOffset - window.Before > 0 || peakOffset + window.After < tokenIds.Count - 1);
        html.Append("<div class=\"example\"><span class=\"act\">")
            .Append(peakActivation.ToString("G3", CultureInfo.InvariantCulture)).Append("</span>");
        if (hasFar)
            html.Append("<button type=\"button\" class=\"ctx-toggle\" data-testid=\"expand-context\" aria-expanded=\"false\" ")
                .Append("title=\"Show the whole context\" aria-label=\"Show the whole context\">⋯</button>");
        Append(html, tokenIds, activations, peakOffset, max, tokenizer, hasFar ? window : null);
        html.Append("</div>");
    }

    // "0.000" … "1.000": the highlight's opacity to 3 decimals (what "F3" writes), one string per step.
    private static readonly string[] Alphas = Enumerable.Range(0, 1001).Select(i => (i / 1000.0).ToString("F3", CultureInfo.InvariantCulture)).ToArray();

    private static string AlphaText(double alpha) =>
        alpha is >= 0 and <= 1 ? Alphas[(int)Math.Round(alpha * 1000, MidpointRounding.AwayFromZero)] : alpha.ToString("F3", CultureInfo.InvariantCulture);

    /// <summary>What a screen reader hears for the whole context instead of every token's colour.</summary>
    private static string Label((string Text, string Html)[] tokens, IReadOnlyList<float> activations, int peakOffset)
    {
        if (peakOffset < 0 || peakOffset >= tokens.Length) return $"Context of {tokens.Length} tokens";
        return $"Context of {tokens.Length} tokens; peak {activations[peakOffset].ToString("G3", CultureInfo.InvariantCulture)} at \"{tokens[peakOffset].Text}\"";
    }

    /// <summary>HTML-encodes text for an element's content or a quoted attribute value alike.</summary>
    private static void Encoded(StringBuilder html, string text) => html.Append(Encoder.Encode(text));
}

/// <summary>Tokens shown around the peak before an example is expanded.</summary>
public readonly record struct HeatmapWindow(int Before, int After)
{
    /// <summary>The feature page's default: 12 tokens of lead-in, 4 after the peak.</summary>
    public static HeatmapWindow FeaturePage { get; } = new(12, 4);
}
