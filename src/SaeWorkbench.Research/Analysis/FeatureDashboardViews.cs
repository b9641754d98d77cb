using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Analysis;

namespace SaeWorkbench.Research.Analysis;

/// <summary>One stored context: token ids with the latent's activation on each (float16 precision), peak marked.</summary>
public sealed record FeatureExampleView(FeatureExampleKind Kind, int Bin, int Rank, int[] TokenIds, float[] Activations, int PeakOffset,
    double PeakActivation, long WindowIndex, int Position);

/// <summary>An equal-width interval (BinMin, BinMax] — not a quantile — with its share of activations and samples.</summary>
public sealed record FeatureIntervalView(int Bin, double BinMin, double BinMax, long Count, double Share, IReadOnlyList<FeatureExampleView> Examples);

/// <summary>A nearby latent by decoder cosine.</summary>
public readonly record struct FeatureNeighbourView(int LatentIndex, float Cosine);

/// <summary>Everything a feature page shows for one latent (docs/science.md §6), from the dictionary's current analysis.</summary>
public sealed record FeatureDashboardView(
    long LatentId,
    int LatentIndex,
    long AnalysisId,
    long TokensAnalysed,
    DateTimeOffset? AnalysedAt,
    long ActiveCount,
    double Density,
    double MaxActivation,
    double MeanActivation,
    bool IsDead,
    long[] Histogram,
    IReadOnlyList<FeatureExampleView> TopExamples,
    IReadOnlyList<FeatureIntervalView> Intervals,
    TokenEffect[] LogitPositive,
    TokenEffect[] LogitNegative,
    long[] LogitHistogram,
    double LogitHistogramMin,
    double LogitHistogramMax,
    IReadOnlyList<FeatureNeighbourView> Neighbours);

/// <summary>
/// Label-free summary of a dictionary's current analysis. <see cref="Alive"/> = <see cref="Latents"/> − <see cref="Dead"/>:
/// the <see cref="Dense"/> latents are alive too.
/// </summary>
public sealed record DictionaryAnalysisSummary(
    long AnalysisId,
    long TokensAnalysed,
    DateTimeOffset? AnalysedAt,
    int Latents,
    int Dead,
    int Dense,
    int Alive,
    double DenseThreshold,
    double Log10DensityMin,
    double Log10DensityMax,
    long[] Log10DensityHistogram,
    string MetricsJson);
