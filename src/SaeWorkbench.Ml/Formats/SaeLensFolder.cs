using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>Where an SAE's activations come from: the <c>metadata</c> of a SAELens cfg.json (SCIENCE.md §8).</summary>
public sealed record SaeLensMetadata
{
    public string ModelName { get; init; } = "";
    public string HookName { get; init; } = "";
    public int? HookHeadIndex { get; init; }
    public bool PrependBos { get; init; } = true;
    public int ContextSize { get; init; }
    public string DatasetPath { get; init; } = "";
    public string? NeuronpediaId { get; init; }
    public string SaeLensVersion { get; init; } = SaeLensFolder.SaeLensVersion;

    /// <summary>Other metadata keys, kept in order (ours: "saeworkbench" with the training config and final metrics).</summary>
    public JsonObject Extras { get; init; } = new();
}

/// <summary>An SAE read from a SAELens folder.</summary>
public sealed record SaeLensSae(SparseAutoencoder Autoencoder, SaeLensMetadata Metadata, float[]? Log10Density) : IDisposable
{
    public void Dispose() => Autoencoder.Dispose();
}

/// <summary>
/// The SAELens SAE folder (SCIENCE.md §8): cfg.json, sae_weights.safetensors (W_enc, b_enc, W_dec, b_dec, threshold
/// for jumprelu), optional sparsity.safetensors (log10 density). Writes a temporary folder and moves it into place;
/// the same SAE and metadata always give the same bytes.
/// </summary>
public static class SaeLensFolder
{
    public const string SaeLensVersion = "6.5.1";
    public const string ConfigFile = "cfg.json";
    public const string WeightsFile = "sae_weights.safetensors";
    public const string SparsityFile = "sparsity.safetensors";

    private static readonly string[] KnownMetadata =
        ["model_name", "hook_name", "hook_point", "hook_head_index", "prepend_bos", "context_size", "dataset_path", "neuronpedia_id", "sae_lens_version"];


    public static string ArchitectureName(SaeArchitecture a) => a switch
    {
        SaeArchitecture.Relu => "standard",
        SaeArchitecture.TopK => "topk",
        SaeArchitecture.JumpRelu => "jumprelu",
        _ => throw new ArgumentException($"{a} SAEs are saved in their inference form (JumpReLU)"),
    };

    /// <summary>Writes <paramref name="sae"/> (taking raw activations) to <paramref name="folder"/>, replacing an existing SAE folder.</summary>
    public static void Save(string folder, SparseAutoencoder sae, SaeLensMetadata metadata, float[]? log10Density = null)
    {
        if (log10Density is not null && log10Density.Length != sae.DSae)
            throw new ArgumentException($"sparsity has {log10Density.Length} entries, the SAE has {sae.DSae} latents");
        var full = Path.GetFullPath(folder);
        var parent = Path.GetDirectoryName(full)!;
        Directory.CreateDirectory(parent);
        var temp = Path.Combine(parent, $".{Path.GetFileName(full)}.tmp-{Guid.NewGuid():N}");
        Directory.CreateDirectory(temp);
        try
        {
            // As SAELens's save_model writes it: json.dump with its defaults (docs/science.md §11).
            File.WriteAllText(Path.Combine(temp, ConfigFile), PythonJson.Dump(ConfigJson(sae, metadata)), new UTF8Encoding(false));
            Safetensors.Save(Path.Combine(temp, WeightsFile), sae.Tensors());
            if (log10Density is not null)
            {
                using var scope = NewDisposeScope();
                Safetensors.Save(Path.Combine(temp, SparsityFile), new Dictionary<string, Tensor> { ["sparsity"] = tensor(log10Density) });
            }
            if (Directory.Exists(full))
            {
                if (!File.Exists(Path.Combine(full, ConfigFile)) && Directory.EnumerateFileSystemEntries(full).Any())
                    throw new IOException($"{full} exists and is not an SAE folder; refusing to replace it");
                Directory.Delete(full, recursive: true);
            }
            Directory.Move(temp, full);
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
    }

    private static JsonObject ConfigJson(SparseAutoencoder sae, SaeLensMetadata m)
    {
        var meta = new JsonObject
        {
            ["model_name"] = m.ModelName,
            ["hook_name"] = m.HookName,
            ["hook_head_index"] = m.HookHeadIndex,
            ["prepend_bos"] = m.PrependBos,
            ["context_size"] = m.ContextSize,
            ["dataset_path"] = m.DatasetPath,
            ["sae_lens_version"] = m.SaeLensVersion,
        };
        if (m.NeuronpediaId is not null) meta["neuronpedia_id"] = m.NeuronpediaId;      // SAELens writes only what is set
        foreach (var (k, v) in m.Extras) meta[k] = v?.DeepClone();
        var cfg = new JsonObject
        {
            ["architecture"] = ArchitectureName(sae.Architecture),
            ["d_in"] = sae.DIn,
            ["d_sae"] = sae.DSae,
            ["dtype"] = "float32",
            ["device"] = "cpu",
            ["apply_b_dec_to_input"] = true,
            ["normalize_activations"] = "none",
            ["reshape_activations"] = "none",
        };
        // Only SAELens's TopKSAEConfig has these two fields; its other configs do not write them.
        if (sae.Architecture == SaeArchitecture.TopK) (cfg["k"], cfg["rescale_acts_by_decoder_norm"]) = (sae.K, false);
        cfg["metadata"] = meta;
        return cfg;
    }

    /// <summary>Reads a SAELens folder and checks the SAE fits <paramref name="model"/>'s hook (exists, same width).</summary>
    public static SaeLensSae Load(string folder, IHookedLanguageModel model)
    {
        var loaded = Load(folder);
        var hook = loaded.Metadata.HookName;
        if (!model.HookNames.Contains(hook))
        {
            loaded.Dispose();
            throw new InvalidDataException($"{folder}: hook '{hook}' is not a hook of this model; valid hooks: {string.Join(", ", model.HookNames)}");
        }
        if (model.HookWidth(hook) != loaded.Autoencoder.DIn)
        {
            var d = loaded.Autoencoder.DIn;
            loaded.Dispose();
            throw new InvalidDataException($"{folder}: the SAE's d_in is {d} but hook '{hook}' has width {model.HookWidth(hook)}");
        }
        return loaded;
    }

    /// <summary>Reads a SAELens folder, accepting old cfg key names (hook_point, activation_fn_str).</summary>
    public static SaeLensSae Load(string folder)
    {
        var cfgPath = Path.Combine(folder, ConfigFile);
        if (!File.Exists(cfgPath)) throw new FileNotFoundException($"{folder} is not a SAELens SAE folder: {ConfigFile} is missing", cfgPath);
        var cfg = JsonNode.Parse(File.ReadAllText(cfgPath)) as JsonObject
                  ?? throw new InvalidDataException($"{cfgPath} is not a JSON object");
        var meta = cfg["metadata"] as JsonObject ?? new JsonObject();
        // Old cfgs keep metadata at the top level and use other names.
        JsonNode? Field(string name, string? oldName = null) =>
            meta[name] ?? cfg[name] ?? (oldName is null ? null : meta[oldName] ?? cfg[oldName]);
        int RequireInt(string name) => Field(name)?.GetValue<int>() ?? throw new InvalidDataException($"{cfgPath} has no '{name}'");

        var dIn = RequireInt("d_in");
        var dSae = RequireInt("d_sae");
        var activationFn = (cfg["activation_fn"] ?? cfg["activation_fn_str"])?.GetValue<string>();
        var archName = cfg["architecture"]?.GetValue<string>() ?? (activationFn == "topk" ? "topk" : "standard");
        if (archName == "standard" && activationFn == "topk") archName = "topk";
        var arch = archName switch
        {
            "standard" => SaeArchitecture.Relu,
            "topk" => SaeArchitecture.TopK,
            "jumprelu" => SaeArchitecture.JumpRelu,
            _ => throw new InvalidDataException($"{cfgPath}: architecture '{archName}' is not supported (standard, topk, jumprelu)"),
        };
        var k = arch == SaeArchitecture.TopK
            ? (cfg["k"] ?? (cfg["activation_fn_kwargs"] as JsonObject)?["k"])?.GetValue<int>()
              ?? throw new InvalidDataException($"{cfgPath}: a topk SAE needs 'k'")
            : 0;

        var weightsPath = Path.Combine(folder, WeightsFile);
        if (!File.Exists(weightsPath)) throw new FileNotFoundException($"{folder}: {WeightsFile} is missing", weightsPath);
        var tensors = Safetensors.Load(weightsPath);
        try
        {
            Tensor Take(string name, params long[] shape)
            {
                if (!tensors.TryGetValue(name, out var t))
                    throw new InvalidDataException($"{weightsPath}: tensor '{name}' is missing");
                if (!t.shape.SequenceEqual(shape))
                    throw new InvalidDataException($"{weightsPath}: tensor '{name}' has shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", shape)}] for d_in={dIn}, d_sae={dSae}");
                return t;
            }
            var sae = new SparseAutoencoder(arch, k, Take("W_enc", dIn, dSae), Take("b_enc", dSae), Take("W_dec", dSae, dIn),
                Take("b_dec", dIn), arch == SaeArchitecture.JumpRelu ? Take("threshold", dSae) : null);

            var extras = new JsonObject();
            foreach (var (key, v) in meta)
                if (!KnownMetadata.Contains(key)) extras[key] = v?.DeepClone();
            var metadata = new SaeLensMetadata
            {
                ModelName = Field("model_name")?.GetValue<string>() ?? "",
                HookName = Field("hook_name", "hook_point")?.GetValue<string>() ?? "",
                HookHeadIndex = Field("hook_head_index")?.GetValue<int?>(),
                PrependBos = Field("prepend_bos")?.GetValue<bool>() ?? true,
                ContextSize = Field("context_size")?.GetValue<int>() ?? 0,
                DatasetPath = Field("dataset_path")?.GetValue<string>() ?? "",
                NeuronpediaId = Field("neuronpedia_id")?.GetValue<string>(),
                SaeLensVersion = Field("sae_lens_version")?.GetValue<string>() ?? "",
                Extras = extras,
            };
            return new SaeLensSae(sae, metadata, LoadSparsity(folder, dSae));
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }

    private static float[]? LoadSparsity(string folder, int dSae)
    {
        var path = Path.Combine(folder, SparsityFile);
        if (!File.Exists(path)) return null;
        var tensors = Safetensors.Load(path);
        try
        {
            if (!tensors.TryGetValue("sparsity", out var s)) throw new InvalidDataException($"{path}: tensor 'sparsity' is missing");
            if (s.NumberOfElements != dSae) throw new InvalidDataException($"{path}: 'sparsity' has {s.NumberOfElements} entries, expected d_sae = {dSae}");
            return s.to(float32).data<float>().ToArray();
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
    }
}
