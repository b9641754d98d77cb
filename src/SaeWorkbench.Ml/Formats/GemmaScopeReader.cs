using SaeWorkbench.Ml.Runtime;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// Gemma Scope (docs/science.md §11). Version 1: <c>params.npz</c> with W_enc, W_dec, b_enc, b_dec, threshold in a
/// folder such as <c>layer_20/width_16k/average_l0_71</c>; version 2: <c>config.json</c> (<c>hf_hook_point_in/out</c>,
/// <c>architecture: "jump_relu"</c>) and <c>params.safetensors</c> with lowercase names, plus
/// <c>affine_skip_connection</c> [d_in, d_out] for affine transcoders. Both encode as SAELens's JumpReLU with
/// <c>apply_b_dec_to_input: false</c>: f = ReLU(x·W_enc + b_enc)·1[pre &gt; θ], x̂ = f·W_dec + b_dec (+ x·affine).
/// </summary>
internal static partial class GemmaScopeReader
{
    public const string Params1 = "params.npz";
    public const string Params2 = "params.safetensors";
    public const string Config2 = "config.json";

    public static SaeLensSae ReadVersion1(string folder)
    {
        var path = Path.Combine(folder, Params1);
        var tensors = NumpyArchive.Load(path);
        try
        {
            var wEncRaw = WeightReading.Take(tensors, path, "W_enc", Dim(tensors, path, "W_enc", 0), Dim(tensors, path, "W_enc", 1));
            var dIn = (int)wEncRaw.shape[0];
            var dSae = (int)wEncRaw.shape[1];
            var known = new[] { "W_enc", "W_dec", "b_enc", "b_dec", "threshold", "scaling_factor" };
            foreach (var name in tensors.Keys)
                if (!known.Contains(name)) throw new SaeFormatException(path, name, $"is not a Gemma Scope tensor ({string.Join(", ", known[..5])})");
            if (tensors.TryGetValue("scaling_factor", out var sf) && !WeightReading.Check(sf, path, "scaling_factor", dSae).Eq(1).all().item<bool>())
                throw new SaeFormatException(path, "scaling_factor", "is not all ones; SAELens refuses such a Gemma Scope file too");
            var full = Path.GetFullPath(folder);
            if (full.Contains("embedding", StringComparison.Ordinal))
                throw new SaeFormatException(path, "(folder)", "Gemma Scope embedding SAEs read the √d-scaled embedding, which SAELens rescales by √d_in; not supported here");
            var layer = LayerOf(full);
            var (hook, hookZ) = full switch
            {
                _ when layer is null => ("", false),
                _ when full.Contains("-res", StringComparison.Ordinal) => ($"blocks.{layer}.hook_resid_post", false),
                _ when full.Contains("-mlp", StringComparison.Ordinal) => ($"blocks.{layer}.hook_mlp_out", false),
                _ when full.Contains("-att", StringComparison.Ordinal) => ($"blocks.{layer}.attn.hook_z", true),
                _ => ("", false),
            };
            var transforms = new List<string>
            {
                "Gemma Scope: b_dec is not subtracted from the input (apply_b_dec_to_input false, as SAELens loads it); JumpReLU applies ReLU before the threshold.",
            };
            if (hookZ) transforms.Add("attention SAE: reads attn.hook_z with heads flattened to heads·d_head (input transform).");
            if (hook.Length == 0) transforms.Add("the hook could not be read from the folder path (…-res/-mlp/-att…/layer_L/…); choose it at import.");
            var sae = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, wEncRaw,
                WeightReading.Take(tensors, path, "b_enc", dSae), WeightReading.Take(tensors, path, "W_dec", dSae, dIn),
                WeightReading.Take(tensors, path, "b_dec", dIn), WeightReading.Take(tensors, path, "threshold", dSae),
                new SaeForm { ApplyBDecToInput = false, HookZ = hookZ });
            var model = ModelMatch().Match(full) is { Success: true } m ? $"gemma-2-{m.Groups[1].Value}" : "";
            return new SaeLensSae(sae, new SaeLensMetadata { ModelName = model, HookName = hook, ContextSize = 1024, SaeLensVersion = "" }, null)
            {
                Format = SaeFormatNames.GemmaScope1,
                SourceArchitecture = "jumprelu",
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    public static SaeLensSae ReadVersion2(string folder)
    {
        var cfgPath = Path.Combine(folder, Config2);
        var cfg = JsonFields.Read(cfgPath);
        var arch = cfg.String("architecture") ?? "jump_relu";
        if (arch != "jump_relu") throw new SaeFormatException(cfgPath, "architecture", $"'{arch}' is not \"jump_relu\"");
        var hookIn = cfg.String("hf_hook_point_in") ?? throw new SaeFormatException(cfgPath, "hf_hook_point_in", "is missing");
        var hookOut = cfg.String("hf_hook_point_out") ?? hookIn;
        var transcoder = hookOut != hookIn || cfg.String("type") == "transcoder";
        var path = Path.Combine(folder, Params2);
        var tensors = Safetensors.Load(path);
        try
        {
            if (tensors.TryGetValue("w_dec", out var wd) && wd.dim() != 2)
                throw new SaeFormatException(path, "w_dec", $"has shape {WeightReading.Shape(wd)}: cross-layer transcoders (one decoder per later layer) are not supported");
            var known = new[] { "w_enc", "w_dec", "b_enc", "b_dec", "threshold", "affine_skip_connection" };
            foreach (var name in tensors.Keys)
                if (!known.Contains(name)) throw new SaeFormatException(path, name, $"is not a Gemma Scope 2 tensor ({string.Join(", ", known)})");
            var wEnc = WeightReading.Take(tensors, path, "w_enc", Dim(tensors, path, "w_enc", 0), Dim(tensors, path, "w_enc", 1));
            var dIn = (int)wEnc.shape[0];
            var dSae = (int)wEnc.shape[1];
            if (cfg.Int("width") is { } width && width != dSae)
                throw new SaeFormatException(cfgPath, "width", $"{width} differs from w_enc's {dSae} latents");
            var wDec = WeightReading.Take(tensors, path, "w_dec", dSae, Dim(tensors, path, "w_dec", 1));
            var dOut = (int)wDec.shape[1];
            var affine = tensors.ContainsKey("affine_skip_connection");
            if (affine && !transcoder) throw new SaeFormatException(path, "affine_skip_connection", "is present but config.json describes an SAE (same input and output hook)");
            if (!transcoder && dOut != dIn) throw new SaeFormatException(path, "w_dec", $"writes width {dOut} but the SAE reads {dIn}");
            var transforms = new List<string>
            {
                "Gemma Scope 2: b_dec is not subtracted from the input (apply_b_dec_to_input false, as SAELens loads it); JumpReLU applies ReLU before the threshold.",
            };
            using var scope = NewDisposeScope();
            Tensor? skip = null;
            if (affine)
            {
                // Stored [d_in, d_out] and applied as x·A; SAELens keeps W_skip = Aᵀ [d_out, d_in].
                skip = WeightReading.Take(tensors, path, "affine_skip_connection", dIn, dOut).t();
                transforms.Add("affine_skip_connection: the transcoder's affine skip x·A is added to its output (kept as W_skip = Aᵀ).");
            }
            var gemma = true;
            var inHook = HookNameMapping.Resolve(hookIn, gemma) ?? "";
            var outHook = transcoder ? HookNameMapping.Resolve(hookOut, gemma) ?? "" : null;
            if (inHook.Length == 0) transforms.Add($"hf_hook_point_in '{hookIn}' has no hook mapping; choose it at import.");
            var hookZ = inHook.EndsWith("attn.hook_z", StringComparison.Ordinal);
            if (hookZ) transforms.Add("attention SAE: reads attn.hook_z with heads flattened to heads·d_head (input transform).");
            var sae = new SparseAutoencoder(SaeArchitecture.JumpRelu, 0, wEnc, WeightReading.Take(tensors, path, "b_enc", dSae), wDec,
                WeightReading.Take(tensors, path, "b_dec", dOut), WeightReading.Take(tensors, path, "threshold", dSae),
                new SaeForm { ApplyBDecToInput = false, Transcoder = transcoder, WSkip = skip, HookZ = hookZ });
            var extras = new JsonObject { ["hf_hook_point_in"] = hookIn };
            if (transcoder) extras["hf_hook_point_out"] = hookOut;
            if (cfg.Node("l0") is { } l0) extras["l0"] = l0.DeepClone();
            return new SaeLensSae(sae, new SaeLensMetadata
            {
                ModelName = cfg.String("model_name") ?? "",
                HookName = inHook,
                HookNameOut = outHook,
                ContextSize = 1024,
                SaeLensVersion = "",
                Extras = extras,
            }, null)
            {
                Format = SaeFormatNames.GemmaScope2,
                SourceArchitecture = transcoder ? (affine ? "jumprelu_skip_transcoder" : "jumprelu_transcoder") : "jumprelu",
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    /// <summary>A tensor's size along <paramref name="axis"/> once it is known to be 2-D, for the shape check.</summary>
    internal static long Dim(IReadOnlyDictionary<string, Tensor> tensors, string path, string name, int axis)
    {
        if (!tensors.TryGetValue(name, out var t)) throw new SaeFormatException(path, name, "tensor is missing");
        if (t.dim() != 2) throw new SaeFormatException(path, name, $"has shape {WeightReading.Shape(t)}, expected 2 dimensions");
        return t.shape[axis];
    }

    private static string? LayerOf(string path) => LayerRegex().Match(path) is { Success: true } m ? m.Groups[1].Value : null;

    [GeneratedRegex(@"layer_(\d+)")]
    private static partial Regex LayerRegex();

    [GeneratedRegex(@"gemma-scope-(\d+b)")]
    private static partial Regex ModelMatch();
}
