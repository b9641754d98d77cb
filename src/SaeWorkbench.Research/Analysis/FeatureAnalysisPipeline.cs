using System.Text.Json;
using SaeWorkbench.Ml.Activations;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Ml.Corpora;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Analysis;

/// <summary>
/// What an analysis run produced: the stored dashboards, and the docs/science.md §4 metrics of the SAE on held-out tokens
/// (the same object a training run stores), which a dictionary not trained here has from no other source.
/// </summary>
public sealed record FeatureAnalysisOutcome(long AnalysisId, long TokensAnalysed, int Latents, int Dead, System.Text.Json.Nodes.JsonObject Metrics);

/// <summary>
/// Model + SAE + corpus → docs/science.md §6 dashboards for every latent (two streaming passes), logit effects through the
/// final LayerNorm's scale, decoder neighbours → <see cref="FeatureAnalysisStore"/>. The job and the CLI run this;
/// the caller owns the thread. Works the same on an imported SAE as on one trained here.
/// </summary>
public static class FeatureAnalysisPipeline
{
    /// <summary>Progress spent on the two passes over the corpus; the rest is logit effects, neighbours and storage.</summary>
    private const double PassesShare = 0.85;

    public static FeatureAnalysisOutcome Run(FeatureAnalysisRequest request, string modelFolder, string saeFolder, string corpusFolder,
        FeatureAnalysisStore store, long? jobId, Action<double, string> report, CancellationToken ct, string? computeDtype = null,
        SaeLoadOptions? saeOptions = null)
    {
        report(0, "loading the model and the SAE");
        // In the model's compute dtype, after the memory check (docs/science.md §10.2); float32 when none is given.
        using var loaded = Models.ModelMemory.Load(modelFolder, computeDtype);
        // An imported dictionary is read with its stored import options (Dictionaries.RegisteredSae.OptionsOf).
        using var sae = SaeFolders.Load(saeFolder, saeOptions);
        var model = loaded.Model;
        var hook = sae.Metadata.HookName;
        HookPoints.RequireKnown(model.HookNames, hook);
        // A transcoder's latents are read at its input hook (the dashboards encode there), and its decoder rows live at
        // its output hook: their logit effects are residual-stream effects only when that hook writes the residual.
        string? hookOut = null;
        if (sae.Autoencoder.IsTranscoder)
        {
            hookOut = sae.Metadata.HookNameOut ?? throw new ArgumentException("the transcoder names no output hook (hook_name_out)");
            if (!model.HookNames.Contains(hookOut) || model.HookWidth(hookOut) != model.DModel || !TranscoderHooks.WritesResidualStream(hookOut))
                throw new ArgumentException($"the transcoder writes '{hookOut}', which is not added to the residual stream (hook_mlp_out, hook_attn_out, " +
                                            "hook_resid_*), so its decoder rows have no logit effects; analysis of this pair is not supported");
        }
        var context = request.ContextSize > 0 ? request.ContextSize : sae.Metadata.ContextSize > 0 ? sae.Metadata.ContextSize : model.ContextLength;
        context = Math.Min(context, model.ContextLength);
        var corpus = new TextCorpus(corpusFolder);
        IEnumerable<long[]> Windows() =>
            TokenWindows.Enumerate(corpus, loaded.Tokenizer, CorpusSplit.All, context).Select(w => Array.ConvertAll(w, t => (long)t));
        var options = new DashboardOptions { Seed = request.Seed };
        var autoencoder = sae.Autoencoder;

        var builder = FeatureDashboardRun.Compute(model, hook, autoencoder, Windows, request.Tokens, options, request.WindowsPerBatch,
            progress: new ActionProgress(p => report(PassesShare * p, p < 0.5 ? "pass 1 of 2: density, max, top contexts" : "pass 2 of 2: histograms and interval samples")),
            ct: ct);
        if (builder.Tokens == 0) throw new InvalidDataException($"the corpus at {corpusFolder} yields no tokens to analyse");

        report(PassesShare, "logit effects and decoder neighbours");
        LatentLogitEffects[] logits;
        LatentNeighbours[] neighbours;
        using (var unembedding = Unembedding.Of(model))
        using (var scope = NewDisposeScope())
        {
            var wDec = autoencoder.WDec.cpu();
            logits = LogitEffects.Compute(wDec, unembedding.WU, unembedding.LnScale, ct: ct, finalNorm: unembedding.NormKind);
            neighbours = DecoderNeighbours.Compute(wDec, ct: ct);
        }

        // The final metrics exactly as a training run measures them (held-out split, same function), so an imported
        // dictionary's L0, explained variance and CE loss recovered compare with one trained here. A transcoder is
        // measured on what it predicts (docs/science.md §12): FVU against its output hook's activations, and ŷ spliced
        // in at the output hook for CE and KL. Before storing: a failure here leaves the previous analysis in place.
        report(0.87, "L0, explained variance and CE loss recovered on held-out tokens");
        var (metrics, lm) = Dictionaries.SaeTrainingPipeline.Evaluate(model, loaded.Tokenizer, corpus, hook, autoencoder, context,
            Math.Min(request.Tokens, Ml.Sae.SaeTrainingDefaults.EvalTokens), Ml.Sae.SaeTrainingDefaults.BufferTokens, request.Seed, hookOut);
        var metricsJson = Dictionaries.SaeTrainingPipeline.MetricsJson(metrics, lm);
        ct.ThrowIfCancellationRequested();

        report(0.9, "storing the dashboards");
        var settings = JsonSerializer.Serialize(new
        {
            options, context, hook, hookOut, logitEffects = "(W_dec,i ⊙ ln_f γ) · W_U (TransformerLens folded W_U)", histogram = "equal-width over (0, max]",
            method = "two exact passes; top contexts by min-heap, interval samples by seeded reservoir sampling",
        });
        var header = new FeatureAnalysisHeader(request.DictionaryId, jobId, corpusFolder, builder.Tokens, settings);
        var latents = builder.Latents;
        var analysisId = store.SaveAsync(header, latents,
                i =>
                {
                    var dashboard = builder.Dashboard(i);
                    var (topTokens, topContext) = Features.LatentPreview.From(dashboard, loaded.Tokenizer);
                    return new LatentAnalysisResult(dashboard, logits[i], neighbours[i], topTokens, topContext);
                },
                progress: new ActionProgress(p => report(0.9 + 0.1 * p, "storing the dashboards")), ct: ct)
            .GetAwaiter().GetResult();
        var dead = Enumerable.Range(0, latents).Count(i => builder.Dashboard(i).Statistics.IsDead);

        report(1, $"{latents} latents over {builder.Tokens:N0} tokens; {dead} dead; held-out L0 {metrics.L0:F1}, " +
                  $"explained variance {metrics.ExplainedVariance:P1}, CE loss recovered {lm.CeLossRecovered:P1}");
        return new FeatureAnalysisOutcome(analysisId, builder.Tokens, latents, dead, metricsJson);
    }

    /// <summary>Reports on the calling thread (Progress&lt;T&gt; would post to the thread pool).</summary>
    private sealed class ActionProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
