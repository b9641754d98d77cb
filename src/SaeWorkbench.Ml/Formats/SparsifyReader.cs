using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// EleutherAI sparsify (docs/science.md §11): one folder per hook point named by the Hugging Face module
/// (<c>layers.10</c>, <c>layers.10.mlp</c>) with <c>cfg.json</c> and <c>sae.safetensors</c> (<c>encoder.weight [n, d]</c>,
/// <c>encoder.bias</c>, <c>W_dec [n, d]</c>, <c>b_dec</c>, optional <c>W_skip [d, d]</c>). As <c>SparseCoder.encode</c>:
/// subtract b_dec (not for transcoders), linear, ReLU, top-k; decode f·W_dec + b_dec, plus x·W_skipᵀ.
/// </summary>
internal static class SparsifyReader
{
    public const string Config = "cfg.json";
    public const string Weights = "sae.safetensors";

    /// <summary>Whether <paramref name="folder"/> looks like a sparsify folder (a cfg.json with sparsify's fields).</summary>
    public static bool Matches(string folder)
    {
        if (!File.Exists(Path.Combine(folder, Weights)) || !File.Exists(Path.Combine(folder, Config))) return false;
        try
        {
            var cfg = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, Config))) as JsonObject;
            return cfg is not null && (cfg.ContainsKey("expansion_factor") || cfg.ContainsKey("num_latents")) && !cfg.ContainsKey("d_sae");
        }
        catch (System.Text.Json.JsonException) { return false; }
    }

    public static SaeLensSae Read(string folder)
    {
        var cfgPath = Path.Combine(folder, Config);
        var cfg = JsonFields.Read(cfgPath);
        var dIn = cfg.RequireInt("d_in");
        var activation = cfg.String("activation") ?? "topk";
        if (activation != "topk")
            throw new SaeFormatException(cfgPath, "activation", $"'{activation}' is not supported (only \"topk\")");
        if (cfg.Bool("signed") == true) throw new SaeFormatException(cfgPath, "signed", "signed latents are not supported");
        var numLatents = cfg.Int("num_latents") ?? 0;
        var dSae = numLatents > 0 ? numLatents : dIn * cfg.RequireInt("expansion_factor");
        var k = cfg.RequireInt("k");
        if (k > dSae) throw new SaeFormatException(cfgPath, "k", $"{k} is outside 1…d_sae ({dSae})");
        var transcode = cfg.Bool("transcode") ?? false;
        var skip = cfg.Bool("skip_connection") ?? false;

        var path = Path.Combine(folder, Weights);
        var tensors = Safetensors.Load(path);
        try
        {
            using var scope = NewDisposeScope();
            var known = new[] { "encoder.weight", "encoder.bias", "W_dec", "b_dec", "W_skip" };
            foreach (var name in tensors.Keys)
                if (!known.Contains(name)) throw new SaeFormatException(path, name, $"is not a sparsify tensor ({string.Join(", ", known)})");
            var wEnc = WeightReading.Take(tensors, path, "encoder.weight", dSae, dIn).to(float32).t();   // [d, n]
            var bEnc = WeightReading.Take(tensors, path, "encoder.bias", dSae).to(float32);
            var wDec = WeightReading.Take(tensors, path, "W_dec", dSae, dIn).to(float32);
            var bDec = WeightReading.Take(tensors, path, "b_dec", dIn).to(float32);
            Tensor? wSkip = null;
            if (skip) wSkip = WeightReading.Take(tensors, path, "W_skip", dIn, dIn).to(float32);
            else if (tensors.ContainsKey("W_skip")) throw new SaeFormatException(path, "W_skip", "is present but cfg.json's skip_connection is not true");
            var transforms = new List<string> { "sparsify: ReLU then top-k of the pre-activations (the same latents as top-k then ReLU)." };
            if (transcode) transforms.Add("transcoder: b_dec is not subtracted from the input.");
            if (skip) transforms.Add("skip_connection: x·W_skipᵀ of the raw input is added to the output.");

            var module = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
            string hook;
            string? hookOut = null;
            if (transcode)
            {
                var pair = HookNameMapping.ResolveTranscoder(module);
                hook = pair?.In ?? "";
                hookOut = pair?.Out;
            }
            else hook = HookNameMapping.Resolve(module) ?? "";
            if (hook.Length == 0) transforms.Add($"the folder name '{module}' has no hook mapping; choose the hook at import.");
            var runConfig = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar))!, "config.json");
            var model = "";
            if (File.Exists(runConfig))
            {
                try { model = (JsonNode.Parse(File.ReadAllText(runConfig)) as JsonObject)?["model"]?.ToString() ?? ""; }
                catch (System.Text.Json.JsonException) { }
            }
            var sae = new SparseAutoencoder(SaeArchitecture.TopK, k, wEnc, bEnc, wDec, bDec, null,
                new SaeForm { ApplyBDecToInput = !transcode, Transcoder = transcode, WSkip = wSkip });
            return new SaeLensSae(sae, new SaeLensMetadata
            {
                ModelName = model, HookName = hook, HookNameOut = hookOut, SaeLensVersion = "",
                Extras = new JsonObject { ["hf_module"] = module },
            }, null)
            {
                Format = SaeFormatNames.Sparsify,
                SourceArchitecture = transcode ? (skip ? "topk skip transcoder" : "topk transcoder") : "topk",
                Transforms = transforms,
            };
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
