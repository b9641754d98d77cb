using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

[Collection(TorchThreadsCollection.Name)]
public sealed class TranscoderTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saetc-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static SaeTrainingState State(SaeArchitecture arch, DictionaryKind kind, int dIn, int dOut, int m, int deadLatents, long seed)
    {
        var cfg = new SaeTrainingConfig
        {
            Architecture = arch, Kind = kind, Latents = m, K = 4, BatchSize = 16, TrainingTokens = 1600, DeadWindowSteps = 5,
            JumpReluBandwidth = 0.5, JumpReluInitialThreshold = 0.2,
        };
        using var gen = new Generator().manual_seed(seed);
        var state = SaeTrainingState.Initialise(cfg, dIn, randn(new long[] { dOut }, generator: gen) * 0.1, gen);
        state.Parameters["b_enc"].copy_(randn(new long[] { m }, generator: gen) * 0.1);
        // A skip matrix starts at 0; give it a value so that its path (and its gradient's use of x) is exercised.
        state.WSkip?.copy_(randn(new long[] { dOut, dIn }, generator: gen) * 0.1);
        if (deadLatents > 0) state.StepsSinceFired[TensorIndex.Slice(0, deadLatents)].fill_(10);
        return state;
    }

    [Theory]
    [InlineData(SaeArchitecture.Relu, DictionaryKind.Transcoder, 0)]
    [InlineData(SaeArchitecture.Relu, DictionaryKind.SkipTranscoder, 0)]
    [InlineData(SaeArchitecture.JumpRelu, DictionaryKind.Transcoder, 0)]
    [InlineData(SaeArchitecture.JumpRelu, DictionaryKind.SkipTranscoder, 0)]
    [InlineData(SaeArchitecture.BatchTopK, DictionaryKind.SkipTranscoder, 10)]
    public void Hand_written_transcoder_step_has_the_loss_and_gradients_of_the_dense_autograd_reference(SaeArchitecture arch, DictionaryKind kind, int dead)
    {
        using var scope = NewDisposeScope();
        using var state = State(arch, kind, dIn: 8, dOut: 6, m: 32, deadLatents: dead, seed: 7);
        using var gen = new Generator().manual_seed(11);
        var x = randn(new long[] { 16, 8 }, generator: gen);
        var y = randn(new long[] { 16, 6 }, generator: gen);
        var result = SaeTrainingStep.Compute(state, x, y, sparsityCoefficient: 0.3);
        var (refLoss, refGrads) = DenseReferenceStep.Compute(state, x, 0.3, y);

        Assert.Equal(refLoss, result.Loss.item<float>(), 1e-5);
        Assert.Equal(refGrads.Keys.OrderBy(n => n), result.Gradients.Keys.OrderBy(n => n));
        Assert.Equal(kind == DictionaryKind.SkipTranscoder, result.Gradients.ContainsKey("W_skip"));
        foreach (var (name, expected) in refGrads)
        {
            var diff = (result.Gradients[name] - expected).abs().max().item<float>();
            Assert.True(diff <= 1e-5, $"{arch} {kind} gradient of {name} differs from autograd by {diff}");
            Assert.True(expected.abs().max().item<float>() > 0 || name == "log_threshold", $"gradient of {name} is all zero: the test would not catch a bug");
        }
    }

    [Fact]
    public void A_topk_transcoder_is_refused_naming_what_to_use_instead()
    {
        var cfg = new SaeTrainingConfig { Architecture = SaeArchitecture.TopK, Kind = DictionaryKind.Transcoder, Latents = 32, K = 4 };
        var e = Assert.Throws<ArgumentException>(() => cfg.Validate(8));
        Assert.Contains("topk transcoder", e.Message);
        Assert.Contains("batchtopk", e.Message);
    }

    [Fact]
    public void A_transcoder_config_refuses_a_source_of_one_hook_and_an_sae_refuses_a_pair_source()
    {
        using var scope = NewDisposeScope();
        using var pairs = new TensorPairSource(randn(64, 8), randn(64, 6));
        var sae = new SaeTrainingConfig { Architecture = SaeArchitecture.Relu, Latents = 16, BatchSize = 16, TrainingTokens = 64 };
        Assert.Contains("one hook", Assert.Throws<ArgumentException>(() => SaeTrainingRun.Train(pairs, sae, null)).Message);
        using var toy = new SaeWorkbench.Ml.Sae.Synthetic.ToySuperposition(8, 16, 0.1, SaeWorkbench.Ml.Sae.Synthetic.FeatureMagnitude.Uniform01, seed: 1);
        var transcoder = sae with { Kind = DictionaryKind.Transcoder };
        Assert.Contains("(input, output)", Assert.Throws<ArgumentException>(() => SaeTrainingRun.Train(toy, transcoder, null)).Message);
    }

    [Fact]
    public void Folding_the_input_and_output_scales_predicts_raw_outputs_from_raw_inputs()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator().manual_seed(4);
        var form = new SaeForm { ApplyBDecToInput = false, Transcoder = true, WSkip = randn(new long[] { 6, 8 }, generator: g) };
        using var scaled = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, randn(new long[] { 8, 20 }, generator: g), randn(new long[] { 20 }, generator: g),
            randn(new long[] { 20, 6 }, generator: g), randn(new long[] { 6 }, generator: g), rand(new long[] { 20 }, generator: g), form);
        var x = randn(new long[] { 10, 8 }, generator: g) * 7;
        const double sIn = 0.3, sOut = 2.5;
        using var raw = scaled.FoldTranscoderScales(sIn, sOut);
        Assert.True(raw.Encode(x).allclose(scaled.Encode(x * sIn), rtol: 1e-5, atol: 1e-5));
        Assert.True(raw.Reconstruct(x).allclose(scaled.Reconstruct(x * sIn) / sOut, rtol: 1e-4, atol: 1e-5));
    }

    /// <summary>y = sparse code of x decoded (+ a dense linear map of x when <paramref name="skip"/>), the truth a transcoder can learn.</summary>
    /// <param name="seed">Seeds the inputs; the map itself is always the same.</param>
    private static (Tensor X, Tensor Y) SparseMap(int n, bool skip, long seed)
    {
        using var map = new Generator().manual_seed(99);
        var enc = randn(new long[] { 12, 24 }, generator: map);
        var dec = randn(new long[] { 24, 10 }, generator: map) * 0.5;
        var linear = randn(new long[] { 12, 10 }, generator: map);
        using var g = new Generator().manual_seed(seed);
        var x = randn(new long[] { n, 12 }, generator: g);
        var f = nn.functional.relu(matmul(x, enc) - 2.5);                        // sparse: a few of the 24 latents per token
        var y = matmul(f, dec) + 1.0;
        if (skip) y = y + matmul(x, linear);
        return (x * 3, y);                                                         // input and output on different scales
    }

    [Theory]
    [InlineData(SaeArchitecture.Relu, DictionaryKind.Transcoder)]
    [InlineData(SaeArchitecture.Relu, DictionaryKind.SkipTranscoder)]
    [InlineData(SaeArchitecture.BatchTopK, DictionaryKind.SkipTranscoder)]
    [InlineData(SaeArchitecture.JumpRelu, DictionaryKind.Transcoder)]
    public void Training_a_tiny_transcoder_reduces_the_loss_and_reconstructs_y(SaeArchitecture arch, DictionaryKind kind)
    {
        using var scope = NewDisposeScope();
        var skip = kind == DictionaryKind.SkipTranscoder;
        var (x, y) = SparseMap(4096, skip, seed: 1);
        using var source = new TensorPairSource(x, y);
        var cfg = new SaeTrainingConfig
        {
            Architecture = arch, Kind = kind, Latents = 48, K = 4, L1Coefficient = 0.5, L0Coefficient = 0.05, BatchSize = 128, TrainingTokens = 128 * 200,
            LearningRate = 1e-2, ScalingBatches = 4, GeometricMedianSamples = 1024, LogEvery = 10, CheckpointEvery = 0, DeadWindowSteps = 50,
        };
        var progress = new List<SaeTrainingProgress>();
        var result = SaeTrainingRun.Train(source, cfg, null, new SyncProgress(progress.Add));
        using var tc = result.Autoencoder;
        Assert.True(tc.IsTranscoder);
        Assert.Equal(skip, tc.Form.WSkip is not null);
        Assert.NotNull(result.OutputActivationScale);
        Assert.True(progress[^1].Loss < progress[0].Loss / 3, $"loss {progress[0].Loss} → {progress[^1].Loss}");

        var (hx, hy) = SparseMap(1024, skip, seed: 2);                              // held out; the folded weights take raw x
        using var held = new TensorPairSource(hx, hy);
        var metrics = SaeMetrics.Evaluate(tc, held, 1024, 256);
        Assert.True(metrics.Fvu < 0.2, $"{arch} {kind}: FVU on y {metrics.Fvu}");
        Assert.True(metrics.L0 < 24, $"L0 {metrics.L0}");
    }

    private sealed class SyncProgress(Action<SaeTrainingProgress> report) : IProgress<SaeTrainingProgress>
    {
        public void Report(SaeTrainingProgress value) => report(value);
    }
}
