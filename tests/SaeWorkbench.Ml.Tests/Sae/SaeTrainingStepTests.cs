using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class SaeTrainingStepTests
{
    private static SaeTrainingState State(SaeArchitecture arch, int d, int m, int k, int deadLatents, long seed)
    {
        var cfg = new SaeTrainingConfig
        {
            Architecture = arch, Latents = m, K = k, BatchSize = 16, TrainingTokens = 1600, DeadWindowSteps = 5,
            JumpReluBandwidth = 0.5, JumpReluInitialThreshold = 0.2,
        };
        using var gen = new Generator().manual_seed(seed);
        var state = SaeTrainingState.Initialise(cfg, d, randn(new long[] { d }, generator: gen) * 0.1, gen);
        state.Parameters["b_enc"].copy_(randn(new long[] { m }, generator: gen) * 0.1);
        if (deadLatents > 0) state.StepsSinceFired[TensorIndex.Slice(0, deadLatents)].fill_(10);
        return state;
    }

    [Theory]
    [InlineData(SaeArchitecture.TopK, 0)]
    [InlineData(SaeArchitecture.TopK, 2)]   // fewer dead latents than k_aux = d/2
    [InlineData(SaeArchitecture.TopK, 10)]  // more dead latents than k_aux
    [InlineData(SaeArchitecture.BatchTopK, 10)]
    [InlineData(SaeArchitecture.Relu, 0)]
    [InlineData(SaeArchitecture.JumpRelu, 0)]
    public void Hand_written_step_has_the_loss_and_gradients_of_the_dense_autograd_reference(SaeArchitecture arch, int dead)
    {
        using var scope = NewDisposeScope();
        using var state = State(arch, d: 8, m: 32, k: 4, deadLatents: dead, seed: 7);
        using var gen = new Generator().manual_seed(11);
        var x = randn(new long[] { 16, 8 }, generator: gen);
        var result = SaeTrainingStep.Compute(state, x, sparsityCoefficient: 0.3);
        var (refLoss, refGrads) = DenseReferenceStep.Compute(state, x, 0.3);

        Assert.Equal(refLoss, result.Loss.item<float>(), 1e-5);
        Assert.Equal(refGrads.Keys.OrderBy(n => n), result.Gradients.Keys.OrderBy(n => n));
        foreach (var (name, expected) in refGrads)
        {
            var diff = (result.Gradients[name] - expected).abs().max().item<float>();
            Assert.True(diff <= 1e-5, $"{arch} gradient of {name} differs from autograd by {diff}");
            Assert.True(expected.abs().max().item<float>() > 0 || name == "log_threshold", $"gradient of {name} is all zero: the test would not catch a bug");
        }
    }

    [Fact]
    public void JumpRelu_gradients_match_autograd_when_the_L0_controller_has_shifted_every_threshold()
    {
        using var scope = NewDisposeScope();
        using var state = State(SaeArchitecture.JumpRelu, d: 8, m: 32, k: 4, deadLatents: 0, seed: 7);
        state.LogThresholdOffset!.fill_(-0.7);                  // θ_i = exp(ℓ_i − 0.7): the gate and the STE both see it
        using var gen = new Generator().manual_seed(11);
        var x = randn(new long[] { 16, 8 }, generator: gen);
        var result = SaeTrainingStep.Compute(state, x, sparsityCoefficient: 0.3);
        var (refLoss, refGrads) = DenseReferenceStep.Compute(state, x, 0.3);
        Assert.Equal(refLoss, result.Loss.item<float>(), 1e-5);
        foreach (var (name, expected) in refGrads)
            Assert.True((result.Gradients[name] - expected).abs().max().item<float>() <= 1e-5, $"gradient of {name} differs from autograd");
        Assert.True(refGrads["log_threshold"].abs().max().item<float>() > 0);
        // The offset is in force: lower thresholds let more latents fire than the same ℓ without it.
        state.LogThresholdOffset.fill_(0.0);
        Assert.True(result.L0.item<float>() > SaeTrainingStep.Compute(state, x, 0.3).L0.item<float>());
    }

    [Fact]
    public void JumpRelu_threshold_gradient_is_not_zero_when_pre_activations_are_near_the_threshold()
    {
        using var scope = NewDisposeScope();
        using var state = State(SaeArchitecture.JumpRelu, d: 8, m: 32, k: 4, deadLatents: 0, seed: 3);
        using var gen = new Generator().manual_seed(5);
        var result = SaeTrainingStep.Compute(state, randn(new long[] { 16, 8 }, generator: gen), sparsityCoefficient: 0.3);
        Assert.True(result.Gradients["log_threshold"].abs().max().item<float>() > 0);
    }

    [Fact]
    public void BatchTopK_keeps_k_times_batch_activations_over_the_whole_batch()
    {
        using var scope = NewDisposeScope();
        using var state = State(SaeArchitecture.BatchTopK, d: 8, m: 32, k: 3, deadLatents: 0, seed: 1);
        state.Parameters["b_enc"].fill_(5.0); // every pre-activation positive, so exactly k·B are kept
        using var gen = new Generator().manual_seed(2);
        var result = SaeTrainingStep.Compute(state, randn(new long[] { 16, 8 }, generator: gen), 0);
        Assert.Equal(3.0, result.L0.item<float>(), 1e-6);
    }
}
