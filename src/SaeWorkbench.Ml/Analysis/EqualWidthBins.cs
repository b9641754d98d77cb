namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// The one rule for equal-width bins over (0, max] (docs/science.md §6): bin j holds (j·max/n, (j+1)·max/n], so the
/// maximum falls in the last bin. Used by the histogram, the interval samples and every test that checks them.
/// </summary>
public static class EqualWidthBins
{
    /// <summary>Bin of a positive activation <paramref name="value"/> ≤ <paramref name="max"/>.</summary>
    public static int Of(double value, double max, int bins)
    {
        if (max <= 0) return 0;
        var b = (int)Math.Ceiling(value / max * bins) - 1;
        return Math.Clamp(b, 0, bins - 1);
    }

    /// <summary>Lower (exclusive) edge of bin <paramref name="bin"/>.</summary>
    public static double Lower(int bin, double max, int bins) => max * bin / bins;

    /// <summary>Upper (inclusive) edge of bin <paramref name="bin"/>.</summary>
    public static double Upper(int bin, double max, int bins) => max * (bin + 1) / bins;
}
