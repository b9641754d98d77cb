using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Ml.Formats;

/// <summary>The layouts <see cref="SaeFolders"/> recognises, one reader each (docs/science.md §11).</summary>
public enum SaeFolderFormat
{
    SaeLens,
    GemmaScope1,
    GemmaScope2,
    LlamaScope,
    Sparsify,
    DictionaryLearning,
}

/// <summary>
/// One entry point for every published dictionary format: detects a folder's layout by its files, reads it with that
/// format's reader, and finds the member folders of a release (a folder holding many dictionaries: per layer, width
/// or L0). Readers fold what is exact into the weights, keep per-token transforms as part of the dictionary and refuse
/// the rest naming the file and field; <see cref="SaeLensSae.Transforms"/> says which.
/// </summary>
public static class SaeFolders
{
    /// <summary>The layout of <paramref name="folder"/>, or null when no reader recognises it.</summary>
    public static SaeFolderFormat? Detect(string folder)
    {
        if (!Directory.Exists(folder)) return null;
        bool Has(string file) => File.Exists(Path.Combine(folder, file));
        if (Has(SaeLensFolder.ConfigFile) && Has(SaeLensFolder.WeightsFile)) return SaeFolderFormat.SaeLens;
        if (SparsifyReader.Matches(folder)) return SaeFolderFormat.Sparsify;
        if (Has(GemmaScopeReader.Params1)) return SaeFolderFormat.GemmaScope1;
        if (Has(GemmaScopeReader.Params2) && Has(GemmaScopeReader.Config2)) return SaeFolderFormat.GemmaScope2;
        if (Has(LlamaScopeReader.Config) && Has(LlamaScopeReader.Weights)) return SaeFolderFormat.LlamaScope;
        if (Has(DictionaryLearningReader.Weights) && Has(DictionaryLearningReader.Config)) return SaeFolderFormat.DictionaryLearning;
        return null;
    }

    /// <summary>The file holding a dictionary folder's weights (what its SHA-256 identifies).</summary>
    public static string WeightsFile(string folder) => Path.Combine(folder, Detect(folder) switch
    {
        SaeFolderFormat.GemmaScope1 => GemmaScopeReader.Params1,
        SaeFolderFormat.GemmaScope2 => GemmaScopeReader.Params2,
        SaeFolderFormat.LlamaScope => LlamaScopeReader.Weights,
        SaeFolderFormat.Sparsify => SparsifyReader.Weights,
        SaeFolderFormat.DictionaryLearning => DictionaryLearningReader.Weights,
        _ => SaeLensFolder.WeightsFile,
    });

    /// <summary>
    /// The L0 a dictionary was published at, when its folder says: Gemma Scope's <c>average_l0_N</c> folder or
    /// config <c>l0</c>, or k for TopK; null otherwise.
    /// </summary>
    public static double? PublishedL0(string folder, SaeLensSae dictionary)
    {
        var name = Path.GetFileName(Path.GetFullPath(folder).TrimEnd(Path.DirectorySeparatorChar));
        if (name.StartsWith("average_l0_", StringComparison.Ordinal) && double.TryParse(name["average_l0_".Length..], System.Globalization.CultureInfo.InvariantCulture, out var l0))
            return l0;
        if (dictionary.Metadata.Extras["l0"] is { } node && node.GetValueKind() == System.Text.Json.JsonValueKind.Number) return node.GetValue<double>();
        return dictionary.Autoencoder.K > 0 ? dictionary.Autoencoder.K : null;
    }

    /// <summary>Reads the dictionary in <paramref name="folder"/> in whichever format it is.</summary>
    public static SaeLensSae Load(string folder, SaeLoadOptions? options = null)
    {
        options ??= new SaeLoadOptions();
        var format = Detect(folder) ?? throw new FileNotFoundException(
            $"{folder}: no dictionary found. Expected one of: SAELens (cfg.json + sae_weights.safetensors), sparsify (cfg.json + sae.safetensors), " +
            "Gemma Scope (params.npz, or config.json + params.safetensors), Llama Scope (hyperparams.json + checkpoints/final.safetensors), " +
            "dictionary_learning (ae.pt + config.json).", folder);
        if (format != SaeFolderFormat.SaeLens && options.NormScalingFactor is not null)
            throw new ArgumentException($"{folder}: a norm scaling factor applies to SAELens folders with normalize_activations \"expected_average_only_in\" only");
        if (format != SaeFolderFormat.SaeLens && options.CentreWritingWeights == true)
            throw new ArgumentException($"{folder}: centring inputs (center_writing_weights) applies to SAELens folders trained on TransformerLens only");
        return format switch
        {
            SaeFolderFormat.SaeLens => SaeLensReader.Read(folder, options),
            SaeFolderFormat.GemmaScope1 => GemmaScopeReader.ReadVersion1(folder),
            SaeFolderFormat.GemmaScope2 => GemmaScopeReader.ReadVersion2(folder),
            SaeFolderFormat.LlamaScope => LlamaScopeReader.Read(folder),
            SaeFolderFormat.Sparsify => SparsifyReader.Read(folder),
            SaeFolderFormat.DictionaryLearning => DictionaryLearningReader.Read(folder),
            _ => throw new InvalidOperationException(),
        };
    }

    /// <summary>Reads a dictionary and checks it against <paramref name="model"/>: its hooks exist and have its widths.</summary>
    public static SaeLensSae Load(string folder, IHookedLanguageModel model, SaeLoadOptions? options = null)
    {
        var loaded = Load(folder, options);
        try
        {
            var widths = model.HookNames.ToDictionary(h => h, model.HookWidth, StringComparer.Ordinal);
            var problem = CheckAgainst(loaded, widths);
            if (problem is not null) throw new InvalidDataException($"{folder}: {problem}");
            return loaded;
        }
        catch
        {
            loaded.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Why <paramref name="dictionary"/> does not fit a model with hooks <paramref name="hookWidths"/> (a missing or
    /// unknown hook, a width mismatch; each with the valid choices), or null when it fits.
    /// </summary>
    public static string? CheckAgainst(SaeLensSae dictionary, IReadOnlyDictionary<string, int> hookWidths)
    {
        var sae = dictionary.Autoencoder;
        string Choices(int width)
        {
            var hooks = hookWidths.Where(kv => kv.Value == width).Select(kv => kv.Key).ToList();
            return hooks.Count == 0 ? "none" : string.Join(", ", hooks);
        }
        string? Check(string what, string? hook, int width)
        {
            var who = what == "input" ? "Hook" : "Output hook";
            var dim = what == "input" ? "d_in" : "d_out";
            if (string.IsNullOrEmpty(hook)) return $"The dictionary names no {what} hook. Hooks of width {width} in this model: {Choices(width)}.";
            if (!hookWidths.TryGetValue(hook, out var w))
                return $"{who} '{hook}' of the SAE is not a hook of the model. Valid hooks: {string.Join(", ", hookWidths.Keys)}. Hooks of width {width}: {Choices(width)}.";
            if (w != width) return $"The SAE's {dim} is {width} but hook '{hook}' of the model has width {w}. Hooks of width {width}: {Choices(width)}.";
            return null;
        }
        return Check("input", dictionary.Metadata.HookName, sae.DIn)
               ?? (sae.IsTranscoder ? Check("output", dictionary.Metadata.HookNameOut, sae.DOut) : null);
    }

    /// <summary>
    /// The dictionaries under <paramref name="root"/>: the root itself when it is one, else every folder below it (up
    /// to four levels, e.g. Gemma Scope's <c>layer_L/width_W/average_l0_N</c>) that is one, in path order.
    /// </summary>
    public static IReadOnlyList<string> Discover(string root, int maxDepth = 4)
    {
        var found = new List<string>();
        void Walk(string folder, int depth)
        {
            if (Detect(folder) is not null)
            {
                found.Add(Path.GetFullPath(folder));
                return;
            }
            if (depth == maxDepth) return;
            foreach (var child in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
            {
                if (Path.GetFileName(child).StartsWith('.')) continue;
                if ((File.GetAttributes(child) & FileAttributes.ReparsePoint) != 0) continue;   // never follow links out of the release
                Walk(child, depth + 1);
            }
        }
        if (Directory.Exists(root)) Walk(root, 0);
        return found;
    }
}
