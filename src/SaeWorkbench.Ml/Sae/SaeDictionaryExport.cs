using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Saves a trained SAE as a SAELens folder (SCIENCE.md §8) with our extras in cfg.json's metadata under
/// "saeworkbench": the training config, the activation scale that was folded in, and the final metrics.
/// sparsity.safetensors holds the log10 density of the final evaluation.
/// </summary>
public static class SaeDictionaryExport
{
    public const string ExtrasKey = "saeworkbench";

    public static void Save(string folder, SaeTrainingResult result, SaeTrainingConfig config, SaeLensMetadata metadata,
        SaeMetrics finalMetrics, LanguageModelLossMetrics? languageModelMetrics = null)
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
        var extras = metadata.Extras.DeepClone().AsObject();
        extras[ExtrasKey] = new JsonObject
        {
            ["training_config"] = JsonNode.Parse(JsonSerializer.Serialize(config, SaeCheckpoint.Json)),
            ["activation_scale_folded"] = result.ActivationScale,
            ["steps"] = result.Steps,
            ["training_tokens"] = result.Tokens,
            ["final_metrics"] = metrics,
        };
        SaeLensFolder.Save(folder, result.Autoencoder, metadata with { Extras = extras }, finalMetrics.Log10Density);
    }
}
