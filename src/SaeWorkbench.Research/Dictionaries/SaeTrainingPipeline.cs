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
/// Model → corpus windows → activations at a hook → SAE training (resumable) → held-out evaluation (docs/science.md §4)
/// → SAELens folder. The job and the CLI both run this; the caller owns the thread.
/// </summary>
public static class SaeTrainingPipeline
{
    public static SaeTrainingOutcome Run(SaeTrainingRequest request, string modelFolder, string corpusFolder, string outputFolder,
        string checkpointFolder, IProgress<SaeTrainingProgress>? progress, Action<string>? status, CancellationToken ct, string? computeDtype = null)
    {
        var config = request.ToConfig();
        status?.Invoke("loading the model");
        // In the model's compute dtype, after the memory check (docs/science.md §10.2); float32 when none is given.
        using var loaded = Models.ModelMemory.Load(modelFolder, computeDtype);
        var model = loaded.Model;
        HookPoints.RequireKnown(model.HookNames, request.Hook);
        // A transcoder (docs/science.md §12) reads Hook and predicts HookOut, both collected in one forward pass.
        var hookOut = config.IsTranscoder ? request.HookOut : null;
        if (hookOut is not null) TranscoderHooks.Check(model.HookNames, request.Hook, hookOut);
        var context = request.ContextSize > 0 ? Math.Min(request.ContextSize, model.ContextLength) : model.ContextLength;
        var corpus = new TextCorpus(corpusFolder);
        var modelName = Path.GetFileName(Path.TrimEndingDirectorySeparator(modelFolder));
        // In a seeded random order, not the corpus's file order (docs/science.md §3.3): the demo's files are years, and a
        // run that read them in order ended fitted to the latest speeches (held-out L0 46 for k = 32).
        var trainWindows = WindowOrder.TrainingWindows(corpus, loaded.Tokenizer, context, request.Seed);

        status?.Invoke($"training {request.Arch} with {request.Latents} latents on {request.Hook}{(hookOut is null ? "" : $" → {hookOut}")}");
        SaeTrainingResult result;
        using (var source = new LanguageModelActivationSource(model, request.Hook, trainWindows, modelName,
                   request.BufferTokens, seed: request.Seed, outputHookName: hookOut))
        {
            result = SaeTrainingRun.Train(source, config, checkpointFolder, progress, ct);
        }
        ct.ThrowIfCancellationRequested();

        status?.Invoke("evaluating on held-out tokens");
        var (metrics, lm) = Evaluate(model, loaded.Tokenizer, corpus, request.Hook, result.Autoencoder, context, request.EvalTokens,
            request.BufferTokens, request.Seed, hookOut);

        var metadata = new SaeLensMetadata
        {
            ModelName = modelName,
            HookName = request.Hook,
            HookNameOut = hookOut,
            ContextSize = context,
            DatasetPath = corpusFolder,
            PrependBos = true,
            // What SAELens's training runner records about its activations, true of ours: TransformerLens hook names,
            // context windows concatenated across documents with BOS between them, and BOS positions left out.
            Extras = new JsonObject
            {
                ["model_class_name"] = "HookedTransformer",
                ["seqpos_slice"] = new JsonArray((JsonNode?)null),
                ["model_from_pretrained_kwargs"] = new JsonObject { ["center_writing_weights"] = false },
                ["exclude_special_tokens"] = new JsonArray(model.BosTokenId),
                ["sequence_separator_token"] = "bos",
                ["disable_concat_sequences"] = false,
            },
        };
        SaeDictionaryExport.Save(outputFolder, result, config, metadata, metrics, lm);
        return new SaeTrainingOutcome(outputFolder, modelName, model.HookWidth(request.Hook), metrics, lm, result, config);
    }

    /// <summary>
    /// docs/science.md §4 metrics of <paramref name="sae"/> on held-out tokens (the corpus's validation split; its
    /// training split when it has no validation documents): reconstruction metrics over up to
    /// <paramref name="evalTokens"/> tokens, CE loss recovered / ΔLM loss / KL over up to 64 windows. A transcoder
    /// (docs/science.md §12) is measured at its output hook <paramref name="hookOut"/>: reconstruction metrics on y,
    /// and CE with ŷ spliced there.
    /// </summary>
    public static (SaeMetrics Metrics, LanguageModelLossMetrics LanguageModel) Evaluate(IHookedLanguageModel model,
        Ml.Lm.Tokenization.ITokenizer tokenizer, TextCorpus corpus, string hook, SparseAutoencoder sae, int context, long evalTokens,
        int bufferTokens, int seed, string? hookOut = null)
    {
        // Shuffled (docs/science.md §4): the metrics read only the first evalTokens tokens, which in file order are the
        // split's earliest files (on the demo, about 100k tokens: the speeches of 1792–1851, 13 of the 32 held out).
        var heldOut = WindowOrder.HeldOutWindows(corpus, tokenizer, context, seed);
        if (heldOut.Count == 0) throw new InvalidDataException($"the corpus in {corpus.Folder} yields no {context}-token windows to evaluate on");
        var tokens = Math.Max(1, Math.Min(evalTokens, heldOut.Count * (long)(context - 1) / 2));
        // At most half the held-out tokens, like the count: BOS and padding positions are skipped, so a buffer of all
        // windows × (context − 1) can ask a small corpus for more tokens than it yields.
        var buffer = (int)Math.Max(2, Math.Min(bufferTokens, heldOut.Count * (long)(context - 1) / 2));
        SaeMetrics metrics;
        using (var eval = new LanguageModelActivationSource(model, hook, heldOut, "eval", buffer, seed: seed + 1, outputHookName: hookOut))
        {
            metrics = SaeMetrics.Evaluate(sae, eval, tokens, (int)Math.Min(4096, tokens));
        }
        var lm = LanguageModelLossMetrics.Evaluate(model, hook, sae, heldOut.Take(64), outputHookName: hookOut);
        return (metrics, lm);
    }

    /// <summary>The final metrics as the JSON object stored with a dictionary (the same object cfg.json carries).</summary>
    public static JsonObject MetricsJson(SaeMetrics m, LanguageModelLossMetrics lm) => SaeDictionaryExport.MetricsJson(m, lm);
}
