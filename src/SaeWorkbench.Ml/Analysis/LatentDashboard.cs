namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// One context of a latent: the tokens around a position where it fired, clipped to the document and window, with
/// the latent's activation on each of them. <see cref="PeakOffset"/> indexes the position the example is for.
/// </summary>
public sealed record DashboardExample(int[] TokenIds, float[] Activations, int PeakOffset, long WindowIndex, int Position)
{
    public float PeakActivation => Activations[PeakOffset];
}

/// <summary>An equal-width interval (BinMin, BinMax] with the share of all activations in it and random examples.</summary>
public sealed record IntervalSample(int Bin, double BinMin, double BinMax, long Count, double Share, IReadOnlyList<DashboardExample> Examples);

/// <summary>docs/science.md §6 statistics of one latent over the analysed (non-BOS, non-padding) tokens.</summary>
public sealed record LatentStatistics(int Index, long ActiveCount, long Tokens, float MaxActivation, double MeanActivation)
{
    /// <summary>Fraction of analysed tokens with f &gt; 0.</summary>
    public double Density => Tokens == 0 ? 0 : (double)ActiveCount / Tokens;

    /// <summary>Never fired (<see cref="LatentLiveness"/>): marked, not dropped.</summary>
    public bool IsDead => LatentLiveness.IsDead(ActiveCount);
}

/// <summary>The activation side of one latent's dashboard.</summary>
public sealed record LatentDashboard(
    LatentStatistics Statistics,
    long[] Histogram,
    IReadOnlyList<DashboardExample> TopExamples,
    IReadOnlyList<IntervalSample> Intervals);
