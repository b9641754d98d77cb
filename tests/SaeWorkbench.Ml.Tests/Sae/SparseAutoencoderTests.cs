using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class SparseAutoencoderTests
{
    // d = 2, m = 3. x = [3, 2], b_dec = [1, 1] → x − b_dec = [2, 1];
    // pre = [2, 1] · [[1, 0, 1], [0, 1, −1]] + [0, −0.5, 0] = [2, 0.5, 1].
    private static SparseAutoencoder Hand(SaeArchitecture arch, int k = 0, float[]? threshold = null) => new(arch, k,
        tensor(new float[] { 1, 0, 1, 0, 1, -1 }, new long[] { 2, 3 }),
        tensor(new float[] { 0, -0.5f, 0 }),
        tensor(new float[] { 1, 0, 0, 1, 1, 1 }, new long[] { 3, 2 }),
        tensor(new float[] { 1, 1 }),
        threshold is null ? null : tensor(threshold));

    private static float[] Row(Tensor t) => t.reshape(-1).data<float>().ToArray();
    private static Tensor X => tensor(new float[] { 3, 2 }, new long[] { 1, 2 });

    [Fact]
    public void Relu_forward_matches_a_hand_computed_example()
    {
        using var scope = NewDisposeScope();
        using var sae = Hand(SaeArchitecture.Relu);
        Assert.Equal(new float[] { 2, 0.5f, 1 }, Row(sae.Encode(X)));
        // x̂ = 2·[1, 0] + 0.5·[0, 1] + 1·[1, 1] + [1, 1] = [4, 2.5]
        Assert.Equal(new float[] { 4, 2.5f }, Row(sae.Reconstruct(X)));
    }

    [Fact]
    public void TopK_forward_matches_a_hand_computed_example()
    {
        using var scope = NewDisposeScope();
        using var sae = Hand(SaeArchitecture.TopK, k: 2);
        Assert.Equal(new float[] { 2, 0, 1 }, Row(sae.Encode(X)));
        Assert.Equal(new float[] { 4, 2 }, Row(sae.Reconstruct(X)));
    }

    [Fact]
    public void JumpRelu_forward_matches_a_hand_computed_example()
    {
        using var scope = NewDisposeScope();
        using var sae = Hand(SaeArchitecture.JumpRelu, threshold: new[] { 0.6f, 0.6f, 1.5f });
        Assert.Equal(new float[] { 2, 0, 0 }, Row(sae.Encode(X)));
        Assert.Equal(new float[] { 3, 1 }, Row(sae.Reconstruct(X)));
    }

    [Fact]
    public void BatchTopK_training_forward_keeps_the_k_times_batch_largest_activations_of_the_batch()
    {
        using var scope = NewDisposeScope();
        // Second token x = [1, 1] gives pre = [0, −0.5, 0]: nothing positive. With k = 1 and B = 2 the two kept
        // activations are both in the first token (2 and 1), so L0 = [2, 0], mean 1, and latents 0 and 2 fired.
        var cfg = new SaeTrainingConfig { Architecture = SaeArchitecture.BatchTopK, Latents = 3, K = 1, BatchSize = 2, TrainingTokens = 2 };
        using var g = new Generator().manual_seed(0);
        using var state = SaeTrainingState.Initialise(cfg, 2, tensor(new float[] { 1, 1 }), g);
        using var hand = Hand(SaeArchitecture.Relu);
        state.WEnc.copy_(hand.WEnc); state.BEnc.copy_(hand.BEnc); state.WDec.copy_(hand.WDec);
        var r = SaeTrainingStep.Compute(state, tensor(new float[] { 3, 2, 1, 1 }, new long[] { 2, 2 }), 0);
        Assert.Equal(1f, r.L0.item<float>());
        Assert.Equal(new[] { true, false, true }, r.FiredMask.data<bool>().ToArray());
        Assert.Equal(1f, r.SmallestKept!.item<float>());
    }

    [Fact]
    public void TopK_keeps_exactly_k_latents_per_token()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(4);
        using var sae = new SparseAutoencoder(SaeArchitecture.TopK, 5, randn(new long[] { 16, 64 }, generator: g),
            full(64, 100f), randn(new long[] { 64, 16 }, generator: g), zeros(16));   // every pre-activation positive
        var f = sae.Encode(randn(new long[] { 50, 16 }, generator: g));
        Assert.All((f > 0).sum(1).data<long>().ToArray(), n => Assert.Equal(5, n));
    }

    [Fact]
    public void Folding_the_activation_scale_gives_an_sae_on_raw_activations_with_the_same_latents()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(9);
        using var trained = new SparseAutoencoder(SaeArchitecture.TopK, 4, randn(new long[] { 8, 32 }, generator: g),
            randn(new long[] { 32 }, generator: g), randn(new long[] { 32, 8 }, generator: g), randn(new long[] { 8 }, generator: g));
        const double s = 0.37;
        using var folded = trained.FoldActivationScale(s);
        var x = randn(new long[] { 20, 8 }, generator: g) * 10;
        var latentsScaled = trained.Encode(x * s);
        var latentsRaw = folded.Encode(x);
        Assert.True((latentsScaled - latentsRaw).abs().max().item<float>() < 1e-4);
        var expected = trained.Reconstruct(x * s) / s;
        Assert.True((folded.Reconstruct(x) - expected).abs().max().item<float>() < 1e-4);
    }

    [Fact]
    public void K_not_below_the_number_of_latents_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => new SaeTrainingConfig { Latents = 16, K = 16 }.Validate(8));
        Assert.Contains("k must be between 1 and latents - 1", e.Message);
    }
}
