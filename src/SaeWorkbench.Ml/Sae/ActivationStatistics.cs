using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Activations;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>Statistics of the activations taken before training (docs/science.md §3).</summary>
public static class ActivationStatistics
{
    /// <summary>s = √d / E‖x‖ over <paramref name="batches"/> batches read from the source.</summary>
    public static double ScalingFactor(IActivationSource source, int batches, int batchSize)
    {
        double normSum = 0;
        long count = 0;
        for (var i = 0; i < batches; i++)
        {
            using var scope = NewDisposeScope();
            var x = source.NextBatch(batchSize);
            normSum += x.norm(dim: 1).to(float64).sum().item<double>();
            count += x.shape[0];
        }
        var meanNorm = normSum / count;
        if (!(meanNorm > 0) || double.IsInfinity(meanNorm))
            throw new InvalidDataException($"mean activation norm is {meanNorm}; cannot scale activations");
        return Math.Sqrt(source.Width) / meanNorm;
    }

    /// <summary>
    /// s = √d / E‖x‖ computed separately on the first <paramref name="inputWidth"/> columns (a transcoder's input) and
    /// on the rest (its output), over <paramref name="batches"/> batches: input and output of a transcoder live on
    /// different scales (a normalised MLP input against the MLP's output), so each gets its own factor (docs/science.md §12).
    /// </summary>
    public static (double Input, double Output) PairScalingFactors(IActivationSource source, int inputWidth, int batches, int batchSize)
    {
        var outputWidth = source.Width - inputWidth;
        if (inputWidth < 1 || outputWidth < 1)
            throw new ArgumentException($"a pair of activations needs both widths ≥ 1; got input {inputWidth} of {source.Width} columns");
        double inSum = 0, outSum = 0;
        long count = 0;
        for (var i = 0; i < batches; i++)
        {
            using var scope = NewDisposeScope();
            var rows = source.NextBatch(batchSize);
            inSum += rows.narrow(1, 0, inputWidth).norm(dim: 1).to(float64).sum().item<double>();
            outSum += rows.narrow(1, inputWidth, outputWidth).norm(dim: 1).to(float64).sum().item<double>();
            count += rows.shape[0];
        }
        double Factor(double sum, int width, string what)
        {
            var meanNorm = sum / count;
            if (!(meanNorm > 0) || double.IsInfinity(meanNorm))
                throw new InvalidDataException($"mean {what} activation norm is {meanNorm}; cannot scale activations");
            return Math.Sqrt(width) / meanNorm;
        }
        return (Factor(inSum, inputWidth, "input"), Factor(outSum, outputWidth, "output"));
    }

    /// <summary>
    /// Geometric median of the rows of <paramref name="points"/> [N, d] by Weiszfeld iterations, starting at the mean.
    /// </summary>
    public static Tensor GeometricMedian(Tensor points, int maxIterations = 100, double tolerance = 1e-6)
    {
        using var scope = NewDisposeScope();
        var p = points.to(float64);
        var y = p.mean(new long[] { 0 });
        for (var i = 0; i < maxIterations; i++)
        {
            using var inner = NewDisposeScope();
            var w = (p - y).norm(dim: 1).ClampMin(1e-12).Into(1.0);                    // [N]
            var next = (w.unsqueeze(1) * p).sum(dim: 0) / w.sum();
            var moved = (next - y).norm().item<double>();
            y = next.MoveToOuterDisposeScope();
            if (moved <= tolerance * (1 + y.norm().item<double>())) break;
        }
        return y.to(float32).MoveToOuterDisposeScope();
    }
}
