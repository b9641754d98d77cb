using SaeWorkbench.Ml.Runtime;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// Llama Scope (docs/science.md §11): <c>hyperparams.json</c> (<c>d_model, d_sae, hook_point_in/out,
/// jump_relu_threshold, dataset_average_activation_norm.in</c>) and <c>checkpoints/final.safetensors</c>
/// (<c>encoder.weight [d_sae, d]</c>, <c>decoder.weight [d, d_sae]</c>, biases). Read as SAELens's Llama Scope loader
/// reads it: inputs scaled by s = √d / average norm (folded: W_enc·s, W_dec/s, b_dec/s), the scalar threshold scaled
/// by the same s for every latent, no b_dec subtraction, JumpReLU with ReLU before the threshold.
/// </summary>
internal static class LlamaScopeReader
{
    public const string Config = "hyperparams.json";
    public static readonly string Weights = Path.Combine("checkpoints", "final.safetensors");

    public static SaeLensSae Read(string folder)
    {
        var cfgPath = Path.Combine(folder, Config);
        var cfg = JsonFields.Read(cfgPath);
        var d = cfg.RequireInt("d_model");
        var dSae = cfg.RequireInt("d_sae");
        var hookIn = cfg.String("hook_point_in") ?? cfg.String("hook_point") ?? throw new SaeFormatException(cfgPath, "hook_point_in", "is missing");
        var hookOut = cfg.String("hook_point_out") ?? hookIn;
        if (hookOut != hookIn)
            throw new SaeFormatException(cfgPath, "hook_point_out", $"'{hookOut}' differs from hook_point_in '{hookIn}': Llama Scope transcoders are not supported");
        if (cfg.String("act_fn") is { } act && act != "jumprelu")
            throw new SaeFormatException(cfgPath, "act_fn", $"'{act}' is not \"jumprelu\"");
        if (cfg.String("norm_activation") is { } normMode && normMode != "dataset-wise")
            throw new SaeFormatException(cfgPath, "norm_activation", $"'{normMode}' is not \"dataset-wise\" (the only input scaling SAELens's loader reproduces)");
        var threshold = cfg.Double("jump_relu_threshold") ?? throw new SaeFormatException(cfgPath, "jump_relu_threshold", "is missing");
        var norms = cfg.Object("dataset_average_activation_norm") ?? throw new SaeFormatException(cfgPath, "dataset_average_activation_norm", "is missing");
        var normIn = norms["in"]?.GetValue<double>() ?? throw new SaeFormatException(cfgPath, "dataset_average_activation_norm.in", "is missing");
        if (!(normIn > 0) || !double.IsFinite(normIn)) throw new SaeFormatException(cfgPath, "dataset_average_activation_norm.in", $"{normIn} is not a positive number");
        if (norms["out"]?.GetValue<double>() is { } normOut && Math.Abs(normOut - normIn) > 1e-6 * normIn)
            throw new SaeFormatException(cfgPath, "dataset_average_activation_norm.out", $"{normOut} differs from .in {normIn}; SAELens's loader scales by .in only");
        var s = Math.Sqrt(d) / normIn;

        var path = Path.Combine(folder, Weights);
        var tensors = Safetensors.Load(path);
        try
        {
            using var scope = NewDisposeScope();
            var wEnc = WeightReading.Take(tensors, path, "encoder.weight", dSae, d).to(float32).t();  // [d, d_sae]
            var bEnc = WeightReading.Take(tensors, path, "encoder.bias", dSae).to(float32);
            var wDec = WeightReading.Take(tensors, path, "decoder.weight", d, dSae).to(float32).t();  // [d_sae, d]
            var bDec = WeightReading.Take(tensors, path, "decoder.bias", d).to(float32);
            var hook = HookNameMapping.Resolve(hookIn) ?? "";
            var sae = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, wEnc.Times(s), bEnc, wDec.DividedBy(s), bDec.DividedBy(s),
                ones(dSae, dtype: float32).Times(threshold * s), new SaeForm { ApplyBDecToInput = false });
            var transforms = new List<string>
            {
                $"Llama Scope: inputs are scaled by √d / dataset_average_activation_norm.in = {s:R}; folded into W_enc (×s), W_dec and b_dec (÷s), as SAELens's loader and fold_activation_norm_scaling_factor do.",
                $"jump_relu_threshold {threshold:R} is one threshold for every latent, scaled by the same s as SAELens's loader does ({threshold * s:R}).",
                "b_dec is not subtracted from the input (apply_b_dec_to_input false); JumpReLU applies ReLU before the threshold.",
            };
            if (hook.Length == 0) transforms.Add($"hook_point_in '{hookIn}' has no hook mapping; choose it at import.");
            return new SaeLensSae(sae, new SaeLensMetadata
            {
                ModelName = cfg.String("model_name") ?? "meta-llama/Llama-3.1-8B",
                HookName = hook,
                ContextSize = 1024,
                SaeLensVersion = "",
                Extras = new JsonObject { ["hook_point_in"] = hookIn },
            }, null)
            {
                Format = SaeFormatNames.LlamaScope,
                SourceArchitecture = "jumprelu",
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
