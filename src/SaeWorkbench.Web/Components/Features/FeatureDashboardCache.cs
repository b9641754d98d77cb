using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Components;
using Microsoft.Extensions.Caching.Memory;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Web.Components.Shared;

namespace SaeWorkbench.Web.Components.Features;

/// <summary>
/// A latent's dashboard and the ready markup of its example contexts (top activations and interval samples), in pieces
/// that each stay below the large-object heap's 85,000 bytes: one string of the whole ~100 KB would be allocated there
/// for every latent read, and the full (generation 2) collections that they cause paused the feature page's 50 clients
/// for 8 % of the time (issue 6).
/// </summary>
public sealed record FeatureDashboardMarkup(FeatureDashboardView View, IReadOnlyList<MarkupString> Examples);

/// <summary>
/// Keeps recently viewed dashboards with their example markup in memory (issue 6 performance: a feature page is
/// prerendered from this instead of two queries and ~1,900 token spans per request). An analysis never changes once
/// written (a new run gets a new id and becomes current), so entries are keyed by latent and analysis and never go
/// stale: the page looks up the current analysis id in the same query that loads the latent. Bounded by size (LRU-ish
/// compaction of <see cref="MemoryCache"/>).
/// </summary>
public sealed class FeatureDashboardCache(FeatureDashboardReader reader, TokenText tokens) : IDisposable
{
    /// <summary>About 64 MB of cached dashboards (roughly 200–300 latents of 45 contexts each).</summary>
    public const long SizeLimitBytes = 64L << 20;

    private readonly MemoryCache _cache = new(new MemoryCacheOptions { SizeLimit = SizeLimitBytes, CompactionPercentage = 0.25 });

    private readonly record struct Key(long LatentId, long AnalysisId, string? ModelPath);

    /// <summary>
    /// The dashboard of latent row <paramref name="latentId"/> from analysis <paramref name="analysisId"/> (the current
    /// one); null when there is none. Token text comes from the tokenizer in <paramref name="modelPath"/>.
    /// </summary>
    public async Task<FeatureDashboardMarkup?> GetAsync(long latentId, long analysisId, string? modelPath, CancellationToken ct = default)
    {
        var key = new Key(latentId, analysisId, modelPath);
        if (_cache.TryGetValue(key, out FeatureDashboardMarkup? hit)) return hit;
        var view = await reader.GetAsync(latentId, ct);
        if (view is null) return null;
        var markup = new FeatureDashboardMarkup(view, ExamplesHtml(view, tokens.TokenizerFor(modelPath)).Select(p => new MarkupString(p)).ToList());
        // A new analysis may have become current since the caller looked: cache only what matches the key.
        if (view.AnalysisId == analysisId)
            _cache.Set(key, markup, new MemoryCacheEntryOptions { Size = EstimatedBytes(markup) });
        return markup;
    }

    private static long EstimatedBytes(FeatureDashboardMarkup m)
    {
        var examples = m.View.TopExamples.Concat(m.View.Intervals.SelectMany(i => i.Examples)).Sum(e => e.TokenIds.Length * 8L + 128);
        return 2L * m.Examples.Sum(p => (long)p.Value.Length) + examples + 4096;
    }

    /// <summary>Characters after which a piece of example markup is closed (2 bytes each: well below the LOH's 85,000 bytes).</summary>
    public const int PieceChars = 16_000;

    /// <summary>
    /// The "Top activating contexts" and "Interval samples" sections, in the order they are written, cut between
    /// examples into pieces of about <see cref="PieceChars"/> characters (concatenated, they are the sections' markup).
    /// </summary>
    public static IReadOnlyList<string> ExamplesHtml(FeatureDashboardView d, SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? tokenizer)
    {
        var pieces = new List<string>();
        var html = new StringBuilder(PieceChars + 4096);
        void Cut()
        {
            if (html.Length < PieceChars) return;
            pieces.Add(html.ToString());
            html.Clear();
        }
        var window = HeatmapWindow.FeaturePage;
        html.Append("<h2 class=\"mud-typography mud-typography-h6 mt-4\">Top activating contexts</h2>");
        html.Append("<div class=\"examples\" data-testid=\"top-examples\">");
        foreach (var e in d.TopExamples)
        {
            HeatmapHtml.AppendExample(html, e.TokenIds, e.Activations, e.PeakOffset, e.PeakActivation, d.MaxActivation, tokenizer, window);
            Cut();
        }
        html.Append("</div>");
        html.Append("<h2 class=\"mud-typography mud-typography-h6 mt-4\">Interval samples</h2>");
        html.Append("<span class=\"mud-typography mud-typography-caption\">Equal-width intervals of (0, max] — not quantiles — with each interval's ")
            .Append("share of the activations and up to 5 random examples.</span>");
        foreach (var bin in d.Intervals.OrderByDescending(b => b.BinMax))
        {
            html.Append("<div class=\"interval\" data-testid=\"interval\"><h3 class=\"mud-typography mud-typography-subtitle2\">(")
                .Append(bin.BinMin.ToString("G3", CultureInfo.InvariantCulture)).Append(", ")
                .Append(bin.BinMax.ToString("G3", CultureInfo.InvariantCulture)).Append("] · ")
                .Append(HtmlEncoder.Default.Encode(bin.Share.ToString("P1", CultureInfo.InvariantCulture))).Append(" of activations</h3>");
            foreach (var e in bin.Examples)
            {
                HeatmapHtml.AppendExample(html, e.TokenIds, e.Activations, e.PeakOffset, e.PeakActivation, d.MaxActivation, tokenizer, window);
                Cut();
            }
            html.Append("</div>");
        }
        if (html.Length > 0) pieces.Add(html.ToString());
        return pieces;
    }

    public void Dispose() => _cache.Dispose();
}
