using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class SaeOptimizerTests
{
    private const int D = 12, M = 40;

    private static SaeTrainingState State(double clip) =>
        SaeTrainingState.Initialise(new SaeTrainingConfig
        {
            Architecture = SaeArchitecture.TopK, Latents = M, K = 3, BatchSize = 8, TrainingTokens = 800, GradClipNorm = clip,
        }, D, zeros(D), new Generator().manual_seed(4));

    /// <summary>Gradients as the sparse step returns them: W_enc's a transposed view of an [m, d] tensor.</summary>
    private static Dictionary<string, Tensor> Gradients(Generator gen, bool transposedWEnc = true)
    {
        var wEncT = randn(new long[] { M, D }, generator: gen);
        return new Dictionary<string, Tensor>
        {
            ["W_enc"] = transposedWEnc ? wEncT.t() : wEncT.t().contiguous(),
            ["b_enc"] = randn(new long[] { M }, generator: gen),
            ["W_dec"] = randn(new long[] { M, D }, generator: gen),
            ["b_dec"] = randn(new long[] { D }, generator: gen),
        };
    }

    [Theory]
    [InlineData(0.5)]   // the gradient norm is ~14: clipped
    [InlineData(0.0)]   // no clipping
    public void Fused_update_equals_Adam_written_out_in_float64_with_clipping_and_unit_norm_decoder(double clip)
    {
        using var scope = NewDisposeScope();
        using var state = State(clip);
        var cfg = state.Config;
        var p = state.Parameters.ToDictionary(kv => kv.Key, kv => kv.Value.to(float64));
        var m = p.ToDictionary(kv => kv.Key, kv => zeros_like(kv.Value));
        var v = p.ToDictionary(kv => kv.Key, kv => zeros_like(kv.Value));
        using var gen = new Generator().manual_seed(8);
        for (var t = 1; t <= 3; t++)
        {
            var grads = Gradients(gen);
            var g = grads.ToDictionary(kv => kv.Key, kv => kv.Value.to(float64));
            const double lr = 1e-2;
            SaeOptimizer.Apply(state, grads, lr);

            g["W_dec"] = g["W_dec"] - p["W_dec"] * (g["W_dec"] * p["W_dec"]).sum(1, keepdim: true);
            if (clip > 0)
            {
                var total = Math.Sqrt(g.Values.Sum(x => (x * x).sum().item<double>()));
                var factor = Math.Min(1.0, clip / (total + 1e-6));
                if (clip == 0.5) Assert.True(factor < 1, "the test should clip");
                foreach (var k in g.Keys.ToList()) g[k] = g[k] * factor;
            }
            var bias1 = 1 - Math.Pow(cfg.AdamBeta1, t);
            var bias2 = 1 - Math.Pow(cfg.AdamBeta2, t);
            foreach (var k in p.Keys.ToList())
            {
                m[k] = m[k] * cfg.AdamBeta1 + g[k] * (1 - cfg.AdamBeta1);
                v[k] = v[k] * cfg.AdamBeta2 + g[k] * g[k] * (1 - cfg.AdamBeta2);
                p[k] = p[k] - m[k] * (lr / bias1) / (v[k].sqrt() / Math.Sqrt(bias2) + 1e-8);
            }
            p["W_dec"] = p["W_dec"] / p["W_dec"].norm(1, keepdim: true);
            foreach (var k in p.Keys)
            {
                var diff = (state.Parameters[k].to(float64) - p[k]).abs().max().item<double>();
                Assert.True(diff < 1e-5, $"step {t}: {k} differs from the float64 Adam by {diff}");
                var mDiff = (state.AdamFirstMoment[k].to(float64) - m[k]).abs().max().item<double>();
                Assert.True(mDiff < 1e-5, $"step {t}: the first moment of {k} differs by {mDiff}");
            }
        }
        Assert.Equal(3, state.Step);
    }

    [Fact]
    public void A_transposed_gradient_view_updates_exactly_like_its_contiguous_copy()
    {
        using var scope = NewDisposeScope();
        using var viewState = State(1.0);
        using var copyState = State(1.0);
        using var gen1 = new Generator().manual_seed(2);
        using var gen2 = new Generator().manual_seed(2);
        for (var t = 0; t < 3; t++)
        {
            var view = Gradients(gen1, transposedWEnc: true);
            var copy = Gradients(gen2, transposedWEnc: false);
            Assert.False(view["W_enc"].is_contiguous());
            SaeOptimizer.Apply(viewState, view, 1e-2);
            SaeOptimizer.Apply(copyState, copy, 1e-2);
        }
        foreach (var (name, param) in viewState.Parameters)
        {
            Assert.True(param.eq(copyState.Parameters[name]).all().item<bool>(), $"{name} differs");
            Assert.True(viewState.AdamSecondMoment[name].eq(copyState.AdamSecondMoment[name]).all().item<bool>(), $"v of {name} differs");
        }
    }
}
