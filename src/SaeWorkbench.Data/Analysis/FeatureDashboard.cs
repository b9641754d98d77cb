namespace SaeWorkbench.Data.Analysis;

/// <summary>
/// The compact, per-latent part of a feature page (docs/science.md §6) for one analysis. Arrays are little-endian blobs
/// (<see cref="PackedArrays"/>): counts int64, token ids and latent indices int32, values float32.
/// </summary>
public class FeatureDashboard
{
    public long AnalysisId { get; set; }
    public long LatentId { get; set; }
    public int LatentIndex { get; set; }

    public long ActiveCount { get; set; }
    public double Density { get; set; }
    public double MaxActivation { get; set; }
    public double MeanActivation { get; set; }
    public bool IsDead { get; set; }

    /// <summary>int64 counts of non-zero activations in equal-width bins over (0, max].</summary>
    public byte[] Histogram { get; set; } = [];

    /// <summary>int64 counts per equal-width interval bin over (0, max] (the share is count / ActiveCount).</summary>
    public byte[] IntervalCounts { get; set; } = [];

    /// <summary>int32 token ids / float32 effects of the most promoted tokens, strongest first.</summary>
    public byte[] LogitPositiveTokens { get; set; } = [];
    public byte[] LogitPositiveValues { get; set; } = [];

    /// <summary>int32 token ids / float32 effects of the most suppressed tokens, strongest first.</summary>
    public byte[] LogitNegativeTokens { get; set; } = [];
    public byte[] LogitNegativeValues { get; set; } = [];

    /// <summary>int64 counts of vocabulary logit effects in equal-width bins over [min, max].</summary>
    public byte[] LogitHistogram { get; set; } = [];
    public double LogitHistogramMin { get; set; }
    public double LogitHistogramMax { get; set; }

    /// <summary>int32 latent indices / float32 decoder cosines of the nearest latents, nearest first.</summary>
    public byte[] NeighbourIndices { get; set; } = [];
    public byte[] NeighbourCosines { get; set; } = [];

    /// <summary>
    /// The tokens the latent peaks on in its top contexts with how many of them peak there, as decoded text (a
    /// LatentPreview encoding); null when the analysis had no tokenizer or the latent never fired.
    /// </summary>
    public string? TopTokens { get; set; }

    /// <summary>A short window of the strongest context around its peak, as decoded text (a LatentPreview encoding).</summary>
    public string? TopContext { get; set; }
}
