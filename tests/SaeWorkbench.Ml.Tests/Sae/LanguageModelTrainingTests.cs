using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Ml.Tests.Sae;

public sealed class LanguageModelTrainingTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("saelm-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_topk_sae_trained_on_a_model_hook_reconstructs_held_out_tokens_and_exports_to_saelens()
    {
        using var model = new TinyHookedModel(vocab: 16, dModel: 8);
        var train = TinyHookedModel.RandomWindows(200, 16, 16, seed: 1);
        var heldOut = TinyHookedModel.RandomWindows(20, 16, 16, seed: 2);
        var cfg = new SaeTrainingConfig
        {
            Architecture = SaeArchitecture.TopK, Latents = 32, K = 4, BatchSize = 128, TrainingTokens = 128 * 150,
            LearningRate = 3e-3, ScalingBatches = 4, GeometricMedianSamples = 512, LogEvery = 50, CheckpointEvery = 0,
        };
        using var source = new LanguageModelActivationSource(model, TinyHookedModel.ResidPost, train, "tiny", bufferTokens: 1024, seed: 1);
        var progress = new List<SaeTrainingProgress>();
        var result = SaeTrainingRun.Train(source, cfg, Path.Combine(_dir, "ckpt"), new SyncProgress(progress.Add));
        using var sae = result.Autoencoder;
        Assert.Equal(new long[] { 50, 100, 150 }, progress.Select(p => p.Step));
        Assert.All(progress, p => Assert.True(p.TokensPerSecond > 0));

        using var eval = new LanguageModelActivationSource(model, TinyHookedModel.ResidPost, heldOut, "tiny", bufferTokens: 256, seed: 2);
        var metrics = SaeMetrics.Evaluate(sae, eval, tokens: 256, batchSize: 64);
        var lm = LanguageModelLossMetrics.Evaluate(model, TinyHookedModel.ResidPost, sae, heldOut);
        Assert.True(metrics.Fvu < 0.5, $"FVU {metrics.Fvu}");
        Assert.True(metrics.L0 <= 4);
        Assert.True(lm.CeLossRecovered > 0.5, $"CE loss recovered {lm.CeLossRecovered}");

        var folder = Path.Combine(_dir, "sae");
        SaeDictionaryExport.Save(folder, result, cfg, new SaeLensMetadata { ModelName = "tiny", HookName = TinyHookedModel.ResidPost, ContextSize = 16 },
            metrics, lm);
        using var loaded = SaeLensFolder.Load(folder, model);
        Assert.Equal(4, loaded.Autoencoder.K);
        Assert.Equal(metrics.Log10Density, loaded.Log10Density);
        Assert.Equal(metrics.Fvu, loaded.Metadata.Extras[SaeDictionaryExport.ExtrasKey]![SaeDictionaryExport.MetricsKey]!["fvu"]!.GetValue<double>());
    }

    private sealed class SyncProgress(Action<SaeTrainingProgress> report) : IProgress<SaeTrainingProgress>
    {
        public void Report(SaeTrainingProgress value) => report(value);
    }
}
