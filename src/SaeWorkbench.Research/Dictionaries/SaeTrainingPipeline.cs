using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Sae;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>Everything a finished training run produced.</summary>
public sealed record SaeTrainingOutcome(string SaeFolder, string ModelName, int DIn, SaeMetrics Metrics,
    LanguageModelLossMetrics LanguageModelMetrics, SaeTrainingResult Result, SaeTrainingConfig Config);

/// <summary>
/// Model → corpus windows → activations at a hook → SAE training (resumable) → held-out evaluation (SCIENCE.md §4)
/// → SAELens folder. The job and the CLI both run this; the caller owns the thread.
/// </summary>
public static class SaeTrainingPipeline
{
    public static SaeTrainingOutcome Run(SaeTrainingRequest request, string modelFolder, string corpusFolder, string outputFolder,
        string checkpointFolder, IProgress<SaeTrainingProgress>? progress, Action<string>? status, CancellationToken ct)
    {
        var config = request.ToConfig();
        status?.Invoke("loading the model");
        using var loaded = HuggingFaceGpt2.Load(modelFolder, TorchRuntime.BestDevice());
        var model = loaded.Model;
        if (!model.HookNames.Contains(request.Hook))
            throw new ArgumentException($"unknown hook '{request.Hook}'; valid hooks: {string.Join(", ", model.HookNames)}");
        var context = request.ContextSize > 0 ? Math.Min(request.ContextSize, model.ContextLength) : model.ContextLength;
        var corpus = new TextCorpus(corpusFolder);
        var modelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(modelFolder));
        IEnumerable<long[]> Windows(CorpusSplit split) =>
            TokenWindows.Enumerate(corpus, loaded.Tokenizer, split, context).Select(w => Array.ConvertAll(w, t => (long)t));

        status?.Invoke($"training {request.Arch} with {request.Latents} latents on {request.Hook}");
        SaeTrainingResult result;
        using (var source = new LanguageModelActivationSource(model, request.Hook, Windows(CorpusSplit.Train), modelName,
                   request.BufferTokens, seed: request.Seed))
        {
            result = SaeTrainingRun.Train(source, config, checkpointFolder, progress, ct);
        }
        ct.ThrowIfCancellationRequested();

        status?.Invoke("evaluating on held-out tokens");
        var heldOut = Windows(CorpusSplit.Validation).Take(4096).ToList();
        if (heldOut.Count == 0) heldOut = Windows(CorpusSplit.Train).Take(64).ToList();
        var evalTokens = Math.Min(request.EvalTokens, heldOut.Count * (long)(context - 1) / 2);
        var evalBuffer = (int)Math.Max(2, Math.Min(request.BufferTokens, heldOut.Count * (long)(context - 1)));
        SaeMetrics metrics;
        using (var eval = new LanguageModelActivationSource(model, request.Hook, heldOut, modelName, evalBuffer, seed: request.Seed + 1))
        {
            metrics = SaeMetrics.Evaluate(result.Autoencoder, eval, Math.Max(1, evalTokens), Math.Min(4096, (int)Math.Max(1, evalTokens)));
        }
        var lm = LanguageModelLossMetrics.Evaluate(model, request.Hook, result.Autoencoder, heldOut.Take(64));

        var metadata = new SaeLensMetadata
        {
            ModelName = modelName,
            HookName = request.Hook,
            ContextSize = context,
            DatasetPath = corpusFolder,
            PrependBos = true,
        };
        SaeDictionaryExport.Save(outputFolder, result, config, metadata, metrics, lm);
        return new SaeTrainingOutcome(outputFolder, modelName, model.HookWidth(request.Hook), metrics, lm, result, config);
    }

    /// <summary>The final metrics as the JSON object stored with a dictionary.</summary>
    public static JsonObject MetricsJson(SaeMetrics m, LanguageModelLossMetrics lm) => new()
    {
        ["tokens"] = m.Tokens,
        ["l0"] = m.L0,
        ["mse"] = m.Mse,
        ["fvu"] = m.Fvu,
        ["explained_variance"] = m.ExplainedVariance,
        ["cosine"] = m.Cosine,
        ["l2_ratio"] = m.L2Ratio,
        ["dead_fraction"] = m.DeadFraction,
        ["dense_fraction_1pct"] = m.DenseFraction1,
        ["dense_fraction_10pct"] = m.DenseFraction10,
        ["ce_clean"] = lm.CeClean,
        ["ce_sae"] = lm.CeSae,
        ["ce_zero"] = lm.CeZero,
        ["ce_loss_recovered"] = lm.CeLossRecovered,
        ["delta_lm_loss"] = lm.DeltaLmLoss,
        ["kl"] = lm.Kl,
    };
}
