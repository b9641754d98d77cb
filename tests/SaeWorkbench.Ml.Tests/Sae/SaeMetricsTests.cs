using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class SaeMetricsTests
{
    private static SparseAutoencoder RandomRelu(int d, int m, long seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(seed);
        return new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { d, m }, generator: g),
            randn(new long[] { m }, generator: g) * 0.1 - 0.5, randn(new long[] { m, d }, generator: g) * 0.3,
            randn(new long[] { d }, generator: g));
    }

    [Fact]
    public void Metrics_equal_a_brute_force_computation_with_variance_centred_on_the_mean()
    {
        using var scope = NewDisposeScope();
        using var sae = RandomRelu(6, 20, 1);
        using var g = new Generator().manual_seed(2);
        var x = randn(new long[] { 300, 6 }, generator: g) + 3.0;   // far from zero: centred ≠ about-zero variance
        using var acc = new SaeMetricsAccumulator(sae);
        acc.Add(x[..100]);
        acc.Add(x[100..]);
        var m = acc.Result();

        var x64 = x.to(float64);
        var f = sae.Encode(x);
        var xHat = sae.Decode(f).to(float64);
        var fvu = (x64 - xHat).square().sum().item<double>() / (x64 - x64.mean(new long[] { 0 })).square().sum().item<double>();
        var aboutZero = (x64 - xHat).square().sum().item<double>() / x64.square().sum().item<double>();
        Assert.Equal(fvu, m.Fvu, 1e-9);
        Assert.NotEqual(aboutZero, m.Fvu, 1e-3);
        Assert.Equal(1 - fvu, m.ExplainedVariance, 1e-9);
        Assert.Equal((x64 - xHat).square().sum(1).mean().item<double>(), m.Mse, 1e-9);
        Assert.Equal((f > 0).sum(1).to(float64).mean().item<double>(), m.L0, 1e-9);
        Assert.Equal(nn.functional.cosine_similarity(x64, xHat, 1).mean().item<double>(), m.Cosine, 1e-6);
        Assert.Equal((xHat.norm(dim: 1) / x64.norm(dim: 1)).mean().item<double>(), m.L2Ratio, 1e-9);
        var density = (f > 0).to(float64).mean(new long[] { 0 }).to(float32).data<float>().ToArray();
        Assert.Equal(density, m.Density);
        Assert.Equal(density.Count(d => d == 0) / 20.0, m.DeadFraction);
        Assert.Equal(density.Count(d => d > 0.1) / 20.0, m.DenseFraction10);
        var (_, counts, dead) = m.Log10DensityHistogram();
        Assert.Equal(20, counts.Sum() + dead);
    }

    /// <summary>W_enc = [I, −I], W_dec = [I; −I]: x̂ = ReLU(x) − ReLU(−x) = x exactly.</summary>
    private static SparseAutoencoder Identity(int d, double weight = 1)
    {
        using var scope = NewDisposeScope();
        var eye = torch.eye(d) * weight;
        return new SparseAutoencoder(SaeArchitecture.Relu, 0, cat(new[] { eye, -eye }, 1), zeros(2 * d),
            cat(new[] { eye, -eye }, 0), zeros(d));
    }

    [Fact]
    public void Ce_loss_recovered_is_one_for_an_identity_sae_and_zero_for_an_sae_that_outputs_zeros()
    {
        using var model = new TinyHookedModel();
        var windows = model.GreedyWindows(6, 10, 3);
        using var identity = Identity(model.DModel);
        using var zero = Identity(model.DModel, weight: 0);
        var id = LanguageModelLossMetrics.Evaluate(model, TinyHookedModel.ResidPost, identity, windows, 4);
        var z = LanguageModelLossMetrics.Evaluate(model, TinyHookedModel.ResidPost, zero, windows, 4);

        Assert.True(id.CeZero > id.CeClean + 0.01, "zero ablation must hurt, or the metric is undefined");
        Assert.Equal(1.0, id.CeLossRecovered, 1e-9);
        Assert.Equal(0.0, id.DeltaLmLoss, 1e-9);
        Assert.Equal(0.0, id.Kl, 1e-9);
        Assert.Equal(0.0, z.CeLossRecovered, 1e-9);
        Assert.True(z.Kl > 0);
        Assert.Equal(6 * 8, id.Positions); // 9 positions with a next token, minus BOS, per window
    }

    [Fact]
    public void Ce_loss_recovered_refuses_an_unknown_hook_and_lists_the_valid_ones()
    {
        using var model = new TinyHookedModel();
        using var sae = Identity(model.DModel);
        var e = Assert.Throws<ArgumentException>(() => LanguageModelLossMetrics.Evaluate(model, "blocks.9.hook_resid_post", sae,
            TinyHookedModel.RandomWindows(1, 4, 16, 1)));
        Assert.Contains(TinyHookedModel.ResidPost, e.Message);
    }
}
