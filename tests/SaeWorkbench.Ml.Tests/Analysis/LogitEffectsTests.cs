using SaeWorkbench.Ml.Analysis;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Analysis;

public class LogitEffectsTests
{
    [Fact]
    public void Logit_effects_equal_the_centred_W_dec_times_gamma_times_W_U_computed_directly()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(3);
        var wDec = randn(new long[] { 9, 6 }, generator: gen);
        var wU = randn(new long[] { 6, 40 }, generator: gen);
        var gamma = rand(new long[] { 6 }, generator: gen) + 0.5;
        var effects = LogitEffects.Compute(wDec, wU, gamma, top: 4, bins: 8, chunk: 4);
        var direct = matmul((wDec - wDec.mean(new long[] { 1 }, keepdim: true)) * gamma, wU).data<float>().ToArray();
        for (var i = 0; i < 9; i++)
        {
            var row = direct.AsSpan(i * 40, 40).ToArray();
            var order = Enumerable.Range(0, 40).OrderByDescending(j => row[j]).ToArray();
            Assert.Equal(order.Take(4), effects[i].Positive.Select(e => e.TokenId));
            Assert.Equal(order.Reverse().Take(4), effects[i].Negative.Select(e => e.TokenId));
            foreach (var e in effects[i].Positive.Concat(effects[i].Negative)) Assert.Equal(row[e.TokenId], e.Effect, 5);
            float lo = row.Min(), hi = row.Max();
            Assert.Equal(lo, effects[i].HistogramMin, 5);
            Assert.Equal(hi, effects[i].HistogramMax, 5);
            var expected = new long[8];
            foreach (var x in row) expected[Math.Clamp((int)Math.Floor((x - lo) / (hi - lo) * 8), 0, 7)]++;
            Assert.Equal(40, effects[i].Histogram.Sum());
            Assert.Equal(expected, effects[i].Histogram);
        }
    }

    [Fact]
    public void A_LayerNorm_model_centres_the_direction_before_the_scale_in_a_hand_computed_case()
    {
        using var scope = NewDisposeScope();
        // W_dec,0 = (1, 2, 3): mean 2, centred (−1, 0, 1); γ = (2, 1, 0.5) gives (−2, 0, 0.5).
        var wDec = tensor(new float[] { 1, 2, 3 }).reshape(1, 3);
        var gamma = tensor(new float[] { 2, 1, 0.5f });
        // Token columns: e₀, e₁, e₂ and (1, 1, 1).
        var wU = tensor(new float[] { 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1 }).reshape(3, 4);
        var effects = LogitEffects.Compute(wDec, wU, gamma, top: 4, bins: 4)[0];
        var byToken = effects.Positive.ToDictionary(e => e.TokenId, e => e.Effect);
        Assert.Equal(-2f, byToken[0], 6);
        Assert.Equal(0f, byToken[1], 6);
        Assert.Equal(0.5f, byToken[2], 6);
        Assert.Equal(-1.5f, byToken[3], 6);
        Assert.Equal(2, effects.Positive[0].TokenId);
        Assert.Equal(0, effects.Negative[0].TokenId);
    }

    [Fact]
    public void An_RMSNorm_model_keeps_the_mean_of_the_direction_in_a_hand_computed_case()
    {
        using var scope = NewDisposeScope();
        // No centring: (1, 2, 3) ⊙ (2, 1, 0.5) = (2, 2, 1.5).
        var wDec = tensor(new float[] { 1, 2, 3 }).reshape(1, 3);
        var gamma = tensor(new float[] { 2, 1, 0.5f });
        var wU = tensor(new float[] { 1, 0, 0, 1, 0, 1, 0, 1, 0, 0, 1, 1 }).reshape(3, 4);
        var effects = LogitEffects.Compute(wDec, wU, gamma, top: 4, bins: 4, finalNorm: SaeWorkbench.Ml.Lm.NormKind.RmsNorm)[0];
        var byToken = effects.Positive.ToDictionary(e => e.TokenId, e => e.Effect);
        Assert.Equal(2f, byToken[0], 6);
        Assert.Equal(2f, byToken[1], 6);
        Assert.Equal(1.5f, byToken[2], 6);
        Assert.Equal(5.5f, byToken[3], 6);
    }

    [Fact]
    public void Neighbours_match_brute_force_cosines_and_exclude_the_latent_itself()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(4);
        var wDec = randn(new long[] { 13, 5 }, generator: gen);
        var rows = Enumerable.Range(0, 13).Select(i => wDec[i].data<float>().ToArray()).ToArray();
        double Cos(float[] a, float[] b) =>
            a.Zip(b, (x, y) => (double)x * y).Sum() / Math.Sqrt(a.Sum(x => (double)x * x) * b.Sum(x => (double)x * x));
        var neighbours = DecoderNeighbours.Compute(wDec, count: 3, chunk: 5);
        for (var i = 0; i < 13; i++)
        {
            var expected = Enumerable.Range(0, 13).Where(j => j != i).OrderByDescending(j => Cos(rows[i], rows[j])).Take(3).ToArray();
            Assert.Equal(expected, neighbours[i].Neighbours);
            for (var r = 0; r < 3; r++) Assert.Equal(Cos(rows[i], rows[expected[r]]), neighbours[i].Cosines[r], 5);
        }
    }
}
