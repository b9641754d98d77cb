using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Formats;

/// <summary>Where an SAE's activations come from: the <c>metadata</c> of a SAELens cfg.json (docs/science.md §8).</summary>
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

    /// <summary>A transcoder's output hook (SAELens <c>hook_name_out</c>), else null.</summary>
    public string? HookNameOut { get; init; }

    /// <summary>Other metadata keys, kept in order (ours: "saeworkbench" with the training config and final metrics).</summary>
    public JsonObject Extras { get; init; } = new();
}

/// <summary>
/// A dictionary read from disk in any published format (docs/science.md §11), with where it came from and what the
/// reader folded into the weights or keeps as an input transform (<see cref="Transforms"/>, shown on the dictionary page).
/// </summary>
public sealed record SaeLensSae(SparseAutoencoder Autoencoder, SaeLensMetadata Metadata, float[]? Log10Density) : IDisposable
{
    /// <summary>The format read: SAELens v6, SAELens pre-6, Gemma Scope 1, Gemma Scope 2, Llama Scope, sparsify, dictionary_learning.</summary>
    public string Format { get; init; } = SaeFormatNames.SaeLens;

    /// <summary>The architecture as the file names it (e.g. "jumprelu_skip_transcoder", "AutoEncoderTopK").</summary>
    public string SourceArchitecture { get; init; } = "";

    /// <summary>Sentences saying what was folded into the weights or applied as an input transform, and why.</summary>
    public IReadOnlyList<string> Transforms { get; init; } = [];

    public void Dispose() => Autoencoder.Dispose();
}

/// <summary>
/// The SAELens SAE folder (docs/science.md §8): cfg.json, sae_weights.safetensors (W_enc, b_enc, W_dec, b_dec, threshold
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
        ["model_name", "hook_name", "hook_point", "hook_head_index", "prepend_bos", "context_size", "dataset_path", "neuronpedia_id", "sae_lens_version", "hook_name_out"];


    public static string ArchitectureName(SaeArchitecture a) => a switch
    {
        SaeArchitecture.Relu => "standard",
        SaeArchitecture.TopK => "topk",
        SaeArchitecture.JumpRelu => "jumprelu",
        SaeArchitecture.Gated => "gated",
        _ => throw new ArgumentException($"{a} SAEs are saved in their inference form (JumpReLU)"),
    };

    /// <summary>The SAELens v6 architecture name of a dictionary, or null when SAELens has none for it (a TopK transcoder).</summary>
    public static string? ArchitectureNameOrNull(SparseAutoencoder sae) =>
        sae.IsTranscoder && sae.Architecture is not (SaeArchitecture.Relu or SaeArchitecture.JumpRelu) ? null : ArchitectureName(sae);

    /// <summary>The SAELens v6 architecture name of a dictionary, transcoders included (docs/science.md §11).</summary>
    public static string ArchitectureName(SparseAutoencoder sae)
    {
        if (!sae.IsTranscoder) return ArchitectureName(sae.Architecture);
        var skip = sae.Form.WSkip is not null ? "skip_" : "";
        return sae.Architecture switch
        {
            SaeArchitecture.Relu => $"{skip}transcoder",
            SaeArchitecture.JumpRelu => $"jumprelu_{skip}transcoder",
            _ => throw new ArgumentException($"SAELens has no {sae.Architecture} transcoder architecture"),
        };
    }

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
            ["architecture"] = ArchitectureName(sae),
            ["d_in"] = sae.DIn,
            ["d_sae"] = sae.DSae,
            ["dtype"] = "float32",
            ["device"] = "cpu",
            ["apply_b_dec_to_input"] = sae.Form.ApplyBDecToInput,
            ["normalize_activations"] = sae.Form.Normalization switch
            {
                InputNormalization.LayerNorm => "layer_norm",
                InputNormalization.ConstantNormRescale => "constant_norm_rescale",
                _ => "none",
            },
            // SAELens feeds attn.hook_z as [.., heads, d_head] and flattens it only under "hook_z"; a dictionary trained
            // here on our (already flattened) hook_z needs the field too, or SAELens would multiply unflattened heads
            // (docs/science.md §11).
            ["reshape_activations"] = sae.Form.HookZ || m.HookName.EndsWith("attn.hook_z", StringComparison.Ordinal) ? "hook_z" : "none",
        };
        if (sae.IsTranscoder) cfg["d_out"] = sae.DOut;
        if (m.HookNameOut is not null) meta["hook_name_out"] = m.HookNameOut;
        // Only SAELens's TopKSAEConfig has these two fields; its other configs do not write them.
        if (sae.Architecture == SaeArchitecture.TopK) (cfg["k"], cfg["rescale_acts_by_decoder_norm"]) = (sae.K, false);
        cfg["metadata"] = meta;
        return cfg;
    }

    /// <summary>Reads a SAELens folder and checks the SAE fits <paramref name="model"/>'s hook (exists, same width).</summary>
    public static SaeLensSae Load(string folder, IHookedLanguageModel model) => SaeFolders.Load(folder, model);

    /// <summary>
    /// Reads a SAELens folder of any config generation (docs/science.md §11): v6 (flat fields plus nested
    /// <c>metadata</c>) and before 6.0 (flat; <c>hook_point</c>, <c>activation_fn_str</c>, boolean
    /// <c>normalize_activations</c>). Every field that changes the maths is honoured or refused, never ignored.
    /// </summary>
    public static SaeLensSae Load(string folder) => Load(folder, new SaeLoadOptions());

    public static SaeLensSae Load(string folder, SaeLoadOptions options) => SaeLensReader.Read(folder, options);
}
