namespace SaeWorkbench.Data.Analysis;

public enum FeatureExampleKind
{
    /// <summary>One of the top activating contexts; <see cref="FeatureExample.Rank"/> 0 is the strongest.</summary>
    Top,

    /// <summary>A random sample from equal-width interval bin <see cref="FeatureExample.Bin"/>.</summary>
    Interval,
}

/// <summary>
/// One context of a latent: token ids (int32 LE) and the latent's activation on each (float16 LE), with the peak's
/// offset. Stored as ids and numbers, never rendered text.
/// </summary>
public class FeatureExample
{
    public long Id { get; set; }
    public long AnalysisId { get; set; }
    public long LatentId { get; set; }
    public FeatureExampleKind Kind { get; set; }

    /// <summary>Interval bin (0 for top examples).</summary>
    public int Bin { get; set; }

    public int Rank { get; set; }
    public byte[] TokenIds { get; set; } = [];
    public byte[] Activations { get; set; } = [];
    public int PeakOffset { get; set; }

    /// <summary>Full-precision activation at the peak (the blob is float16).</summary>
    public double PeakActivation { get; set; }

    /// <summary>Which analysed window and position the peak came from.</summary>
    public long WindowIndex { get; set; }
    public int Position { get; set; }
}
