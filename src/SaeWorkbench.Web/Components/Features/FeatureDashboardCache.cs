using System.Globalization;
using System.Text;
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
/// for 8 % of the time.
/// </summary>
public sealed record FeatureDashboardMarkup(FeatureDashboardView View, FeatureExamplesMarkup Examples);

/// <summary>The example rows of a dashboard: the top contexts and each interval's, as pieces of whole example elements.</summary>
public sealed record FeatureExamplesMarkup(IReadOnlyList<MarkupString> Top, IReadOnlyList<IntervalExamplesMarkup> Intervals)
{
    public static FeatureExamplesMarkup Empty { get; } = new([], []);

    /// <summary>Every piece, top contexts first.</summary>
    public IEnumerable<MarkupString> Pieces => Top.Concat(Intervals.SelectMany(i => i.Examples));
}

/// <summary>One interval's heading text (plain text, encoded when rendered) and its example rows.</summary>
public sealed record IntervalExamplesMarkup(string Heading, IReadOnlyList<MarkupString> Examples);

/// <summary>
/// Keeps recently viewed dashboards with their example markup in memory, so a feature page is rendered without the
/// dashboard's two queries and without writing its ~1,900 token spans again. What it buys (`browse`, docs/performance.md):
/// a feature page's CPU falls from 11.2–11.5 ms to 9.4 ms with its dashboard cached, about a fifth more pages per core.
/// An analysis never changes once written (a new run gets a new id and becomes current), so entries are keyed by latent
/// and analysis and never go stale: the page reads the current analysis id with the latent. Bounded by size (the
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
        var markup = new FeatureDashboardMarkup(view, ExamplesHtml(view, tokens.TokenizerFor(modelPath)));
        // A new analysis may have become current since the caller looked: cache only what matches the key.
        if (view.AnalysisId == analysisId)
            _cache.Set(key, markup, new MemoryCacheEntryOptions { Size = EstimatedBytes(markup) });
        return markup;
    }

    private static long EstimatedBytes(FeatureDashboardMarkup m)
    {
        var examples = m.View.TopExamples.Concat(m.View.Intervals.SelectMany(i => i.Examples)).Sum(e => e.TokenIds.Length * 8L + 128);
        return 2L * m.Examples.Pieces.Sum(p => (long)p.Value.Length + 64) + examples + 4096;
    }

    /// <summary>Characters after which a piece of example markup is closed (2 bytes each: well below the LOH's 85,000 bytes).</summary>
    public const int PieceChars = 16_000;

    /// <summary>
    /// The example rows of "Top activating contexts" and of each interval (highest first), each list cut between whole
    /// examples into pieces of about <see cref="PieceChars"/> characters. A piece holds only complete example elements:
    /// the interactive renderer parses every <see cref="MarkupString"/> on its own, so a piece that ended inside an open
    /// container would close it early and spill the following rows out of it (the prerendered HTML, parsed as one
    /// document, did not show this). The containers themselves are written by <c>FeatureExamples.razor</c>.
    /// </summary>
    public static FeatureExamplesMarkup ExamplesHtml(FeatureDashboardView d, SaeWorkbench.Ml.Lm.Tokenization.ITokenizer? tokenizer)
    {
        var html = new StringBuilder(PieceChars + 4096);
        IReadOnlyList<MarkupString> Pieces(IEnumerable<FeatureExampleView> examples)
        {
            var pieces = new List<MarkupString>();
            foreach (var e in examples)
            {
                HeatmapHtml.AppendExample(html, e.TokenIds, e.Activations, e.PeakOffset, e.PeakActivation, d.MaxActivation, tokenizer, HeatmapWindow.FeaturePage);
                if (html.Length < PieceChars) continue;
                pieces.Add(new MarkupString(html.ToString()));
                html.Clear();
            }
            if (html.Length > 0) pieces.Add(new MarkupString(html.ToString()));
            html.Clear();
            return pieces;
        }
        var top = Pieces(d.TopExamples);
        var intervals = d.Intervals.OrderByDescending(b => b.BinMax).Select(bin => new IntervalExamplesMarkup(
            $"({bin.BinMin.ToString("G3", CultureInfo.InvariantCulture)}, {bin.BinMax.ToString("G3", CultureInfo.InvariantCulture)}] · "
            + $"{bin.Share.ToString("P1", CultureInfo.InvariantCulture)} of activations",
            Pieces(bin.Examples))).ToList();
        return new FeatureExamplesMarkup(top, intervals);
    }

    public void Dispose() => _cache.Dispose();
}
