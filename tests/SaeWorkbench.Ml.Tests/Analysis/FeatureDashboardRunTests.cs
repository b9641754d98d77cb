using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Sae;
using SaeWorkbench.Ml.Tests.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Analysis;

public class FeatureDashboardRunTests
{
    private static SparseAutoencoder RandomRelu(int d, int m, int seed)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(seed);
        return new SparseAutoencoder(SaeArchitecture.Relu, 0, randn(new long[] { d, m }, generator: gen), randn(new long[] { m }, generator: gen) - 0.5,
            randn(new long[] { m, d }, generator: gen), zeros(d));
    }

    [Fact]
    public void A_run_over_the_model_matches_encoding_every_window_directly()
    {
        using var model = new TinyHookedModel(vocab: 16, dModel: 8, context: 16, seed: 2);
        using var sae = RandomRelu(8, 12, 5);
        var windows = TinyHookedModel.RandomWindows(10, 16, 16, seed: 3);
        var builder = FeatureDashboardRun.Compute(model, TinyHookedModel.ResidPost, sae, () => windows, tokens: 9 * 16,
            new DashboardOptions { TopExamples = 3 }, windowsPerBatch: 4);
        var counted = new long[12];
        var max = new float[12];
        foreach (var w in windows.Take(9))
        {
            using var scope = NewDisposeScope();
            var f = FeatureDashboardRun.Encode(model, TinyHookedModel.ResidPost, sae, tensor(w, new long[] { 1, w.Length }))[0];
            for (var t = 1; t < w.Length; t++)
            for (var i = 0; i < 12; i++)
            {
                var v = f[t, i].item<float>();
                if (v > 0) { counted[i]++; max[i] = Math.Max(max[i], v); }
            }
        }
        Assert.Equal(9 * 15, builder.Tokens);
        for (var i = 0; i < 12; i++)
        {
            Assert.Equal(counted[i], builder.Dashboard(i).Statistics.ActiveCount);
            Assert.Equal(max[i], builder.Dashboard(i).Statistics.MaxActivation, 5);
        }
    }

    [Fact]
    public void Test_text_ranks_latents_by_max_activation_and_refuses_long_texts()
    {
        using var model = new TinyHookedModel(vocab: 16, dModel: 8, context: 16, seed: 2);
        using var sae = RandomRelu(8, 12, 5);
        int[] text = [3, 7, 7, 1, 9];
        var result = TestText.Run(model, TinyHookedModel.ResidPost, sae, text, id => $"t{id}", new TestTextOptions { Latent = 4, Count = 3 });
        using var scope = NewDisposeScope();
        var f = FeatureDashboardRun.Encode(model, TinyHookedModel.ResidPost, sae, tensor(new long[] { 0, 3, 7, 7, 1, 9 }, new long[] { 1, 6 }))[0];
        Assert.Equal(6, result.Tokens.Count);
        for (var t = 0; t < 6; t++) Assert.Equal(f[t, 4].item<float>(), result.Tokens[t].LatentActivation);
        var maxima = f[1..].amax(new long[] { 0 }).data<float>().ToArray();
        var expected = Enumerable.Range(0, 12).Where(i => maxima[i] > 0).OrderByDescending(i => maxima[i]).Take(3).ToArray();
        Assert.Equal(expected, result.TopOverText.Select(x => x.Latent));
        var e = Assert.Throws<ArgumentException>(() =>
            TestText.Run(model, TinyHookedModel.ResidPost, sae, Enumerable.Repeat(1, 16).ToArray(), id => "", new TestTextOptions()));
        Assert.Contains("context of 16 tokens", e.Message);
    }

    [Fact]
    public void No_tensors_leak_across_a_run_logit_effects_and_neighbours()
    {
        using var model = new TinyHookedModel(vocab: 16, dModel: 8, context: 16, seed: 2);
        using var sae = RandomRelu(8, 12, 5);
        var windows = TinyHookedModel.RandomWindows(6, 16, 16, seed: 3);
        using var wU = randn(8, 16);
        void Run()
        {
            FeatureDashboardRun.Compute(model, TinyHookedModel.ResidPost, sae, () => windows, tokens: 96, windowsPerBatch: 2);
            LogitEffects.Compute(sae.WDec, wU, chunk: 5);
            DecoderNeighbours.Compute(sae.WDec, chunk: 5);
        }
        Run(); // warm-up: lazily created native state
        var before = DisposeScopeManager.Statistics.ThreadTotalLiveCount;
        Run();
        Assert.Equal(before, DisposeScopeManager.Statistics.ThreadTotalLiveCount);
    }
}

