using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Activations;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>Reconstruction and sparsity metrics of docs/science.md §4 over a set of evaluated tokens.</summary>
/// <param name="Tokens">Tokens evaluated.</param>
/// <param name="L0">Mean number of latents with f_i &gt; 0 per token.</param>
/// <param name="Mse">Mean over tokens of ‖x − x̂‖².</param>
/// <param name="Fvu">Σ‖x − x̂‖² / Σ‖x − x̄‖², x̄ the mean over the evaluated tokens (centred).</param>
/// <param name="Cosine">Mean cosine similarity of x and x̂.</param>
/// <param name="L2Ratio">Mean ‖x̂‖/‖x‖ (&lt; 1 means shrinkage).</param>
/// <param name="Density">Per latent, the fraction of tokens with f_i &gt; 0.</param>
public sealed record SaeMetrics(long Tokens, double L0, double Mse, double Fvu, double Cosine, double L2Ratio, float[] Density)
{
    public double ExplainedVariance => 1 - Fvu;

    /// <summary>Latents that never fired on the evaluated tokens.</summary>
    public double DeadFraction => Density.Count(d => Analysis.LatentLiveness.IsDead(d)) / (double)Density.Length;

    /// <summary>Latents firing on more than 1% of tokens.</summary>
    public double DenseFraction1 => Density.Count(d => d > 0.01) / (double)Density.Length;

    /// <summary>Latents firing on more than 10% of tokens.</summary>
    public double DenseFraction10 => Density.Count(d => d > 0.1) / (double)Density.Length;

    /// <summary>What SAELens adds to a density before the log10, so a dead latent reads −10 rather than −∞.</summary>
    public const double Log10DensityEpsilon = 1e-10;

    /// <summary>log10(density + 1e-10) per latent (−10 for dead latents), as SAELens's sparsity.safetensors stores it.</summary>
    public float[] Log10Density => Density.Select(d => (float)Math.Log10(d + Log10DensityEpsilon)).ToArray();

    /// <summary>
    /// The density back from a stored log10 value (ours, SAELens's, or an old −∞): 10^l − 1e-10, and 0 where that is
    /// below half the epsilon (no real run measures a density that small: it would take 10¹⁰ tokens).
    /// </summary>
    public static double DensityFromLog10(float log10)
    {
        var d = Math.Pow(10, log10) - Log10DensityEpsilon;
        return d < Log10DensityEpsilon / 2 ? 0 : d;
    }

    /// <summary>
    /// Histogram of log10 density of the live latents: <paramref name="bins"/> equal bins over [<paramref name="min"/>, 0];
    /// live latents below <paramref name="min"/> go to the first bin; dead latents are counted apart.
    /// </summary>
    public (double[] Edges, int[] Counts, int Dead) Log10DensityHistogram(int bins = 50, double min = -8)
    {
        var edges = Enumerable.Range(0, bins + 1).Select(i => min + (0 - min) * i / bins).ToArray();
        var counts = new int[bins];
        var dead = 0;
        foreach (var d in Density)
        {
            if (d <= 0) { dead++; continue; }
            var bin = (int)Math.Floor((Math.Log10(d) - min) / (0 - min) * bins);
            counts[Math.Clamp(bin, 0, bins - 1)]++;
        }
        return (edges, counts, dead);
    }

    /// <summary>Evaluates <paramref name="sae"/> on <paramref name="tokens"/> tokens read from <paramref name="source"/>.</summary>
    /// <remarks>
    /// A transcoder is measured on the output it predicts (docs/science.md §12): the source must be an
    /// <see cref="IActivationPairSource"/> of its input and output hooks, and every metric compares ŷ with y.
    /// </remarks>
    public static SaeMetrics Evaluate(SparseAutoencoder sae, IActivationSource source, long tokens, int batchSize = 4096)
    {
        var pairs = source as IActivationPairSource;
        var outputWidth = pairs?.OutputWidth ?? 0;
        if (sae.IsTranscoder)
        {
            if (outputWidth == 0)
                throw new ArgumentException("a transcoder is evaluated on (input, output) pairs: give a source that reads its input and output hooks");
            if (pairs!.InputWidth != sae.DIn || outputWidth != sae.DOut)
                throw new ArgumentException($"the transcoder maps width {sae.DIn} → {sae.DOut} but the activations at '{source.HookName}' → " +
                                            $"'{pairs.OutputHookName}' have widths {pairs.InputWidth} → {outputWidth}");
        }
        else if (outputWidth > 0)
            throw new ArgumentException($"an SAE reads one hook, but this source also reads '{pairs!.OutputHookName}'");
        else if (source.Width != sae.DIn)
            throw new ArgumentException($"the SAE takes width {sae.DIn} but the activations at '{source.HookName}' have width {source.Width}");
        using var acc = new SaeMetricsAccumulator(sae);
        for (long done = 0; done < tokens; done += batchSize)
        {
            using var scope = NewDisposeScope();
            var rows = source.NextBatch((int)Math.Min(batchSize, tokens - done));
            if (sae.IsTranscoder) acc.Add(rows.narrow(1, 0, sae.DIn), rows.narrow(1, sae.DIn, sae.DOut));
            else acc.Add(rows);
        }
        return acc.Result();
    }
}

/// <summary>
/// Streams batches through an SAE and accumulates the sums of docs/science.md §4 in float64; for a transcoder the
/// reconstruction target is the output activation y (§12).
/// </summary>
public sealed class SaeMetricsAccumulator(SparseAutoencoder sae) : IDisposable
{
    private readonly Tensor _sumX = zeros(sae.DOut, dtype: float64).DetachFromDisposeScope();
    private readonly Tensor _firings = zeros(sae.DSae, dtype: float64).DetachFromDisposeScope();
    private double _sumSquaredNorm, _sumSquaredError, _sumCosine, _sumL2Ratio, _sumL0;
    private long _tokens;

    /// <summary>Adds a batch of activations [B, d] of an SAE.</summary>
    public void Add(Tensor x)
    {
        if (sae.IsTranscoder) throw new ArgumentException("a transcoder's metrics need its output activations too: call Add(x, y)");
        Add(x, x);
    }

    /// <summary>Adds a batch of inputs x [B, d_in] and the activations <paramref name="target"/> [B, d_out] the dictionary must reproduce.</summary>
    public void Add(Tensor x, Tensor target)
    {
        using var scope = NewDisposeScope();
        var f = sae.Encode(x);
        var xHat = sae.Decode(f, x);
        var x64 = target.to(float64);
        var err = xHat.to(float64) - x64;
        var xNorm = x64.norm(dim: 1);
        var hatNorm = xHat.to(float64).norm(dim: 1);
        var active = f.Gt(0);
        _sumX.PlusInPlace(x64.sum(dim: 0));
        _firings.PlusInPlace(active.sum(dim: 0).to(float64));
        _sumSquaredNorm += x64.Squared().sum().item<double>();
        _sumSquaredError += err.Squared().sum().item<double>();
        _sumCosine += ((x64 * xHat.to(float64)).sum(1) / (xNorm * hatNorm).ClampMin(1e-30)).sum().item<double>();
        _sumL2Ratio += (hatNorm / xNorm.ClampMin(1e-30)).sum().item<double>();
        _sumL0 += active.sum().to(float64).item<double>();
        _tokens += x.shape[0];
    }

    public SaeMetrics Result()
    {
        if (_tokens == 0) throw new InvalidOperationException("no tokens were evaluated");
        using var scope = NewDisposeScope();
        // Σ‖x − x̄‖² = Σ‖x‖² − N‖x̄‖², in float64.
        var mean = _sumX.DividedBy(_tokens);
        var centred = _sumSquaredNorm - _tokens * mean.Squared().sum().item<double>();
        var density = _firings.DividedBy(_tokens).to(float32).data<float>().ToArray();
        return new SaeMetrics(_tokens, _sumL0 / _tokens, _sumSquaredError / _tokens, _sumSquaredError / centred,
            _sumCosine / _tokens, _sumL2Ratio / _tokens, density);
    }

    public void Dispose()
    {
        _sumX.Dispose();
        _firings.Dispose();
    }
}
