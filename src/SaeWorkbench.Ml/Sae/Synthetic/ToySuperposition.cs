using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Activations;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae.Synthetic;

/// <summary>How a firing ground-truth feature's magnitude is drawn (docs/science.md §5).</summary>
public enum FeatureMagnitude
{
    Uniform01,
    Exponential1,
}

/// <summary>
/// Toy superposition (docs/science.md §5): n ground-truth unit directions in R^d (n &gt; d allowed), each firing
/// independently with probability p and magnitude U(0,1) or Exp(1); each sample is the sum of the firing
/// directions. The batch starting at token position P is a function of (seed, P) only, so the stream is
/// reproducible and seekable.
/// </summary>
public sealed class ToySuperposition : IActivationSource
{
    private readonly double _firingProbability;
    private readonly FeatureMagnitude _magnitude;
    private readonly long _seed;

    /// <summary>Ground-truth directions [n, d], unit rows.</summary>
    public Tensor Directions { get; }

    public int Width { get; }
    public int FeatureCount { get; }
    public string ModelName => "";
    public string HookName => "synthetic";
    public long Position { get; private set; }

    public ToySuperposition(int d, int n, double firingProbability, FeatureMagnitude magnitude, long seed)
    {
        if (d < 1 || n < 1) throw new ArgumentException($"need d ≥ 1 and n ≥ 1, got d={d}, n={n}");
        if (firingProbability is <= 0 or > 1) throw new ArgumentException($"firing probability must be in (0, 1], got {firingProbability}");
        Width = d;
        FeatureCount = n;
        _firingProbability = firingProbability;
        _magnitude = magnitude;
        _seed = seed;
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(seed);
        var dirs = randn(new long[] { n, d }, generator: gen);
        Directions = (dirs / dirs.norm(1, keepdim: true)).DetachFromDisposeScope();
    }

    public Tensor NextBatch(int batchSize)
    {
        using var scope = NewDisposeScope();
        // Mix seed and position into one 63-bit generator seed (splitmix-style), so batches are independent.
        var mixed = unchecked((ulong)_seed * 0x9E3779B97F4A7C15UL ^ (ulong)Position * 0xBF58476D1CE4E5B9UL);
        using var gen = new Generator().manual_seed((long)(mixed >> 1));
        var fires = rand(new long[] { batchSize, FeatureCount }, generator: gen).Lt(_firingProbability);
        var u = rand(new long[] { batchSize, FeatureCount }, generator: gen);
        var magnitudes = _magnitude == FeatureMagnitude.Uniform01 ? u : -u.SubtractedFrom(1).log();   // Exp(1) by inversion
        var x = mm(magnitudes * fires.to(float32), Directions);                             // [B, d]
        Position += batchSize;
        return x.MoveToOuterDisposeScope();
    }

    public void Seek(long position) => Position = position;

    public void Dispose() => Directions.Dispose();
}
