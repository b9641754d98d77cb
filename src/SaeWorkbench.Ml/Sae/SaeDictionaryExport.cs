using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Saves a trained SAE as a SAELens v6 folder (docs/science.md §8, §11) with our extras in cfg.json's metadata under
/// "saeworkbench": the training config, the activation scale that was folded in, and the final metrics under
/// "metrics", the key the importer reads back. sparsity.safetensors holds log10(density + 1e-10) of the final
/// evaluation, as SAELens writes it.
/// </summary>
public static class SaeDictionaryExport
{
    public const string ExtrasKey = "saeworkbench";

    /// <summary>The key of the final metrics inside <see cref="ExtrasKey"/>.</summary>
    public const string MetricsKey = "metrics";

    /// <summary>The final metrics as one JSON object: stored with a dictionary, written into cfg.json, read back on import.</summary>
    public static JsonObject MetricsJson(SaeMetrics finalMetrics, LanguageModelLossMetrics? languageModelMetrics = null)
    {
        var metrics = new JsonObject
        {
            ["tokens"] = finalMetrics.Tokens,
            ["l0"] = finalMetrics.L0,
            ["mse"] = finalMetrics.Mse,
            ["fvu"] = finalMetrics.Fvu,
            ["explained_variance"] = finalMetrics.ExplainedVariance,
            ["cosine"] = finalMetrics.Cosine,
            ["l2_ratio"] = finalMetrics.L2Ratio,
            ["dead_fraction"] = finalMetrics.DeadFraction,
            ["dense_fraction_1pct"] = finalMetrics.DenseFraction1,
            ["dense_fraction_10pct"] = finalMetrics.DenseFraction10,
        };
        if (languageModelMetrics is { } lm)
        {
            metrics["ce_clean"] = lm.CeClean;
            metrics["ce_sae"] = lm.CeSae;
            metrics["ce_zero"] = lm.CeZero;
            metrics["ce_loss_recovered"] = lm.CeLossRecovered;
            metrics["delta_lm_loss"] = lm.DeltaLmLoss;
            metrics["kl"] = lm.Kl;
        }
        return metrics;
    }

    public static void Save(string folder, SaeTrainingResult result, SaeTrainingConfig config, SaeLensMetadata metadata,
        SaeMetrics finalMetrics, LanguageModelLossMetrics? languageModelMetrics = null)
    {
        if (result.Autoencoder.IsTranscoder && string.IsNullOrEmpty(metadata.HookNameOut))
            throw new ArgumentException("a transcoder's export must name its output hook (hook_name_out)");
        var extras = metadata.Extras.DeepClone().AsObject();
        // SAELens's training runner records the version that trained the SAE beside the one that wrote it.
        if (!extras.ContainsKey("sae_lens_training_version")) extras["sae_lens_training_version"] = metadata.SaeLensVersion;
        extras[ExtrasKey] = new JsonObject
        {
            ["training_config"] = JsonNode.Parse(JsonSerializer.Serialize(config, SaeCheckpoint.Json)),
            ["activation_scale_folded"] = result.ActivationScale,
            ["steps"] = result.Steps,
            ["training_tokens"] = result.Tokens,
            [MetricsKey] = MetricsJson(finalMetrics, languageModelMetrics),
        };
        // A transcoder's output has its own scale (docs/science.md §12), folded into W_dec, b_dec and W_skip.
        if (result.OutputActivationScale is { } sOut) extras[ExtrasKey]!["output_activation_scale_folded"] = sOut;
        SaeLensFolder.Save(folder, result.Autoencoder, metadata with { Extras = extras }, finalMetrics.Log10Density);
    }
}
