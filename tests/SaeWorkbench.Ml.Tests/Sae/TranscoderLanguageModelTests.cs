using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

[Collection(TorchThreadsCollection.Name)]
public sealed class TranscoderLanguageModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saetclm-").FullName;
    private readonly Gpt2Model _model = TinyTranscoderModel.Create();

    public void Dispose()
    {
        _model.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    [Fact]
    public void A_pair_source_row_holds_the_input_and_output_activations_of_the_same_token()
    {
        using var scope = NewDisposeScope();
        var windows = TinyTranscoderModel.Windows(4, 8, seed: 1);
        using var source = new LanguageModelActivationSource(_model, TinyTranscoderModel.In, windows, "tiny", bufferTokens: 28, seed: 3,
            outputHookName: TinyTranscoderModel.Out);
        Assert.Equal((32, 32, 64), (source.InputWidth, source.OutputWidth, source.Width));
        var rows = source.NextBatch(14);                                                   // [14, 64], shuffled
        var tokens = tensor(windows.SelectMany(w => w).ToArray(), [4, 8]);
        var x = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.In)[.., 1..].reshape(-1, 32);   // BOS skipped
        var y = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.Out)[.., 1..].reshape(-1, 32);
        for (var r = 0; r < 14; r++)
        {
            var distances = (x - rows[r, ..32]).norm(dim: 1);
            var match = distances.argmin().item<long>();
            Assert.True(distances[match].item<float>() < 1e-5, $"row {r}'s input is not one of the model's");
            Assert.True(rows[r, 32..].allclose(y[match], rtol: 1e-5, atol: 1e-5), $"row {r}'s output is another token's");
        }
    }

    [Fact]
    public void A_pair_source_refuses_an_output_hook_that_does_not_come_after_the_input()
    {
        var e = Assert.Throws<ArgumentException>(() => new LanguageModelActivationSource(_model, TinyTranscoderModel.Out, TinyTranscoderModel.Windows(2, 8, 1),
            "tiny", bufferTokens: 8, outputHookName: TinyTranscoderModel.In));
        Assert.Contains("does not come after", e.Message);
    }

    [Fact]
    public void Ce_splice_of_a_transcoder_equals_replacing_the_output_hook_by_its_prediction_by_hand()
    {
        using var scope = NewDisposeScope();
        using var tc = TinyTranscoderModel.RandomTranscoder(skip: true);
        var windows = TinyTranscoderModel.Windows(3, 10, seed: 2);
        var metrics = LanguageModelLossMetrics.Evaluate(_model, TinyTranscoderModel.In, tc, windows, outputHookName: TinyTranscoderModel.Out);

        // By hand: x from a plain run, ŷ = f(x)·W_dec + b_dec + x·W_skipᵀ, spliced at the output hook except at BOS.
        var tokens = tensor(windows.SelectMany(w => w).ToArray(), [3, 10]);
        var x = TinyTranscoderModel.Read(_model, tokens, TinyTranscoderModel.In).reshape(-1, 32);
        var f = tc.Encode(x);
        var yHat = (matmul(f, tc.WDec) + tc.BDec + matmul(x, tc.Form.WSkip!.t())).reshape(3, 10, 32);
        Tensor logits;
        using (no_grad())
        using (_model.AddHook(TinyTranscoderModel.Out, a => where(tokens.eq(Tests.Lm.TinyModels.Config.BosTokenId).unsqueeze(-1), a, yHat)))
            logits = _model.Forward(tokens);
        var logp = logits[.., ..^1].to(float64).log_softmax(-1);
        var nll = -logp.gather(-1, tokens[.., 1..].unsqueeze(-1)).squeeze(-1);             // [3, 9]: next-token losses of positions 0…8
        var ceByHand = nll[.., 1..].mean().item<double>();                                  // position 0 holds BOS and is not scored
        Assert.Equal(24, metrics.Positions);
        Assert.Equal(ceByHand, metrics.CeSae, 6);
        Assert.NotEqual(metrics.CeClean, metrics.CeSae);
        Assert.Throws<ArgumentException>(() => LanguageModelLossMetrics.Evaluate(_model, TinyTranscoderModel.In, tc, windows));
    }

    [Theory]
    [InlineData(SaeArchitecture.Relu, DictionaryKind.Transcoder)]
    [InlineData(SaeArchitecture.BatchTopK, DictionaryKind.SkipTranscoder)]
    public void A_transcoder_trained_on_the_mlp_exports_to_saelens_and_reads_back_through_our_reader(SaeArchitecture arch, DictionaryKind kind)
    {
        var train = TinyTranscoderModel.Windows(150, 16, seed: 1);
        var heldOut = TinyTranscoderModel.Windows(16, 16, seed: 2);
        var cfg = new SaeTrainingConfig
        {
            Architecture = arch, Kind = kind, Latents = 64, K = 8, L1Coefficient = 0.5, BatchSize = 128, TrainingTokens = 128 * 120,
            LearningRate = 5e-3, ScalingBatches = 4, GeometricMedianSamples = 512, LogEvery = 10, CheckpointEvery = 0,
        };
        SaeTrainingResult result;
        var progress = new List<SaeTrainingProgress>();
        using (var source = new LanguageModelActivationSource(_model, TinyTranscoderModel.In, train, "tiny", bufferTokens: 1024, seed: 1,
                   outputHookName: TinyTranscoderModel.Out))
            result = SaeTrainingRun.Train(source, cfg, Path.Combine(_dir, "ckpt"), new Progress(progress.Add));
        using var tc = result.Autoencoder;
        Assert.True(progress[^1].Loss < progress[0].Loss, $"loss {progress[0].Loss} → {progress[^1].Loss}");

        SaeMetrics metrics;
        using (var eval = new LanguageModelActivationSource(_model, TinyTranscoderModel.In, heldOut, "tiny", bufferTokens: 200, seed: 2,
                   outputHookName: TinyTranscoderModel.Out))
            metrics = SaeMetrics.Evaluate(tc, eval, tokens: 200, batchSize: 100);
        var lm = LanguageModelLossMetrics.Evaluate(_model, TinyTranscoderModel.In, tc, heldOut, outputHookName: TinyTranscoderModel.Out);
        Assert.True(metrics.Fvu < 0.5, $"FVU on the MLP output {metrics.Fvu}");
        // This random tiny model barely uses its first MLP (zeroing it moves CE by ~1e-4), so CE loss recovered is no
        // measure of quality here; the splice itself is checked against a hand splice in the test above.
        Assert.True(double.IsFinite(lm.CeSae) && lm.Positions == 16 * 14, $"CE spliced {lm.CeSae} over {lm.Positions} positions");

        var folder = Path.Combine(_dir, "tc");
        SaeDictionaryExport.Save(folder, result, cfg, new SaeLensMetadata
        {
            ModelName = "tiny", HookName = TinyTranscoderModel.In, HookNameOut = TinyTranscoderModel.Out, ContextSize = 16,
        }, metrics, lm);
        using var loaded = SaeLensFolder.Load(folder, _model);
        Assert.Equal(kind == DictionaryKind.SkipTranscoder ? "jumprelu_skip_transcoder" : "transcoder", loaded.SourceArchitecture);
        Assert.Equal(TinyTranscoderModel.Out, loaded.Metadata.HookNameOut);
        using var scope = NewDisposeScope();
        var x = TinyTranscoderModel.Read(_model, tensor(heldOut[0], [1, 16]), TinyTranscoderModel.In)[0];
        Assert.True(loaded.Autoencoder.Encode(x).allclose(tc.Encode(x), rtol: 1e-6, atol: 1e-6));
        Assert.True(loaded.Autoencoder.Reconstruct(x).allclose(tc.Reconstruct(x), rtol: 1e-6, atol: 1e-6));
    }

    private sealed class Progress(Action<SaeTrainingProgress> report) : IProgress<SaeTrainingProgress>
    {
        public void Report(SaeTrainingProgress value) => report(value);
    }
}
