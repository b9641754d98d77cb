using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class TrainingConventionsTests
{
    [Fact]
    public void Geometric_median_ignores_an_outlier_that_moves_the_mean()
    {
        using var scope = NewDisposeScope();
        // Four corners of the unit square plus one far outlier: the mean moves to (20.4, 20.4). On the diagonal (t, t)
        // the sum of distances is stationary where 2(2t − 1)/√(2t² − 2t + 1) = √2, i.e. t = 1/2 + 1/(2√3) ≈ 0.7887.
        var points = tensor(new float[] { 0, 0, 1, 0, 0, 1, 1, 1, 100, 100 }, new long[] { 5, 2 });
        var median = ActivationStatistics.GeometricMedian(points).data<float>().ToArray();
        Assert.Equal(0.5 + 1 / (2 * Math.Sqrt(3)), median[0], 1e-4);
        Assert.Equal(median[0], median[1], 1e-4);
    }

    [Fact]
    public void Geometric_median_of_collinear_points_is_the_middle_one()
    {
        using var scope = NewDisposeScope();
        var points = tensor(new float[] { 0, 0, 1, 0, 10, 0 }, new long[] { 3, 2 });
        var median = ActivationStatistics.GeometricMedian(points, maxIterations: 500).data<float>().ToArray();
        Assert.Equal(1.0, median[0], 1e-2);
        Assert.Equal(0.0, median[1], 1e-6);
    }

    [Fact]
    public void Learning_rate_warms_up_linearly_and_decays_to_zero_over_the_last_fifth()
    {
        var cfg = new SaeTrainingConfig { LearningRate = 1e-3, TrainingTokens = 1000, BatchSize = 1, LrWarmupFraction = 0.01, LrDecay = true };
        Assert.Equal(1e-4, SaeOptimizer.LearningRate(cfg, 0), 12);      // step 1 of 10 warm-up steps
        Assert.Equal(1e-3, SaeOptimizer.LearningRate(cfg, 9), 12);
        Assert.Equal(1e-3, SaeOptimizer.LearningRate(cfg, 799), 12);
        Assert.Equal(0.5e-3, SaeOptimizer.LearningRate(cfg, 900), 12);
        Assert.Equal(1e-3 / 200, SaeOptimizer.LearningRate(cfg, 999), 12);
    }

    [Fact]
    public void Sparsity_coefficient_warms_up_linearly_over_the_first_five_percent_of_steps()
    {
        var cfg = new SaeTrainingConfig { Architecture = SaeArchitecture.Relu, L1Coefficient = 2, TrainingTokens = 1000, BatchSize = 1 };
        Assert.Equal(2.0 / 50, SaeOptimizer.SparsityCoefficient(cfg, 0), 12);
        Assert.Equal(1.0, SaeOptimizer.SparsityCoefficient(cfg, 24), 12);
        Assert.Equal(2.0, SaeOptimizer.SparsityCoefficient(cfg, 50), 12);
    }

    [Fact]
    public void Activation_scale_makes_the_mean_norm_root_d()
    {
        using var scope = NewDisposeScope();
        using var data = new SaeWorkbench.Ml.Sae.Synthetic.ToySuperposition(16, 32, 0.2, SaeWorkbench.Ml.Sae.Synthetic.FeatureMagnitude.Uniform01, seed: 4);
        var s = ActivationStatistics.ScalingFactor(data, batches: 4, batchSize: 256);
        data.Seek(0);
        var x = cat(Enumerable.Range(0, 4).Select(_ => data.NextBatch(256)).ToArray(), 0) * s;
        Assert.Equal(4.0, x.norm(dim: 1).mean().item<float>(), 1e-4);
    }
}
