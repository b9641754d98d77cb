using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>What an SAELens import needs: the SAE folder, the model folder its activations come from, a name.</summary>
public sealed record SaeImportRequest(string SaeFolder, string ModelFolder, string? Name = null);

/// <summary>The reasons an import was refused, each one a sentence a person can act on.</summary>
public sealed class ImportValidationException(IReadOnlyList<string> errors) : Exception(string.Join(" ", errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>A model folder that can be used: its hooks with their widths.</summary>
public sealed record ModelFolderReport(string Folder, int DModel, int Layers, int VocabSize, IReadOnlyDictionary<string, int> HookWidths);

/// <summary>
/// Issue 6 §1: imports an SAELens folder or checks a Hugging Face GPT-2 folder from the server's disk. Paths must lie
/// under <see cref="WorkbenchSettings.ImportRoots"/>; every problem is reported, not only the first. Labelers and up.
/// </summary>
public sealed class DictionaryImporter(DictionaryRegistry registry, WorkbenchPaths paths, WorkbenchSettings settings)
{
    public const string AuditAction = "dictionary.import";

    /// <summary>The folders imports may read from (absolute).</summary>
    public IReadOnlyList<string> AllowedRoots =>
        settings.ImportRoots.Count > 0
            ? settings.ImportRoots.Select(paths.Resolve).ToList()
            : [paths.ContentRoot, paths.DataDirectory];

    /// <summary>Checks a Hugging Face GPT-2 folder without loading its weights; throws <see cref="ImportValidationException"/>.</summary>
    public ModelFolderReport InspectModel(string folder)
    {
        var errors = new List<string>();
        var report = InspectModel(folder, errors);
        if (report is null) throw new ImportValidationException(errors);
        return report;
    }

    /// <summary>Checks the SAE folder against the model folder's hook and registers it (one audit entry).</summary>
    public async Task<SaeDictionary> ImportSaeLensAsync(SaeImportRequest request, Actor actor, CancellationToken ct = default)
    {
        if (actor.Role < Role.Labeler)
            throw new UnauthorizedAccessException($"A {actor.Role} cannot import dictionaries; ask an Admin for the Labeler role.");
        var errors = new List<string>();
        var model = InspectModel(request.ModelFolder, errors);
        var saeFolder = CheckFolder("SAE folder", request.SaeFolder, errors);
        SaeLensSae? sae = null;
        if (saeFolder is not null)
        {
            if (!File.Exists(Path.Combine(saeFolder, SaeLensFolder.ConfigFile)))
                errors.Add($"SAE folder: {saeFolder} is not a SAELens folder: {SaeLensFolder.ConfigFile} is missing.");
            else if (!File.Exists(Path.Combine(saeFolder, SaeLensFolder.WeightsFile)))
                errors.Add($"SAE folder: {SaeLensFolder.WeightsFile} is missing in {saeFolder}.");
            else
            {
                try { sae = SaeLensFolder.Load(saeFolder); }
                catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException
                                              or FormatException or System.Text.Json.JsonException)
                {
                    errors.Add($"SAE folder: {e.Message}");
                }
            }
        }
        try
        {
            if (sae is not null && model is not null)
            {
                var hook = sae.Metadata.HookName;
                var dIn = sae.Autoencoder.DIn;
                if (string.IsNullOrEmpty(hook))
                    errors.Add($"SAE folder: cfg.json names no hook (hook_name or hook_point). Hooks of width {dIn} in this model: {HooksOfWidth(model, dIn)}.");
                else if (!model.HookWidths.TryGetValue(hook, out var width))
                    errors.Add($"Hook '{hook}' of the SAE is not a hook of the model in {model.Folder}. Valid hooks: {string.Join(", ", model.HookWidths.Keys)}.");
                else if (width != dIn)
                    errors.Add($"The SAE's d_in is {dIn} but hook '{hook}' of the model has width {width}. Hooks of width {dIn}: {HooksOfWidth(model, dIn)}.");
            }
            if (errors.Count > 0) throw new ImportValidationException(errors);
            var name = string.IsNullOrWhiteSpace(request.Name)
                ? $"{Path.GetFileName(saeFolder!.TrimEnd(Path.DirectorySeparatorChar))} (imported)"
                : request.Name.Trim();
            var metrics = sae!.Metadata.Extras["saeworkbench"]?["metrics"]?.ToJsonString() ?? "{}";
            return await registry.RegisterAsync(saeFolder!, name, model!.Folder, metrics, "{}", 0, null, actor.UserId, ct, actor);
        }
        finally
        {
            sae?.Dispose();
        }
    }

    private static string HooksOfWidth(ModelFolderReport model, int width)
    {
        var hooks = model.HookWidths.Where(kv => kv.Value == width).Select(kv => kv.Key).ToList();
        return hooks.Count == 0 ? "none" : string.Join(", ", hooks);
    }

    private ModelFolderReport? InspectModel(string folder, List<string> errors)
    {
        var full = CheckFolder("Model folder", folder, errors);
        if (full is null) return null;
        var config = Path.Combine(full, HuggingFaceModels.ConfigFile);
        var weights = Path.Combine(full, HuggingFaceModels.WeightsFile);
        var before = errors.Count;
        if (!File.Exists(config)) errors.Add($"Model folder: {HuggingFaceModels.ConfigFile} is missing in {full}.");
        if (!File.Exists(weights) && !File.Exists(Path.Combine(full, HuggingFaceModels.IndexFile)))
            errors.Add(File.Exists(Path.Combine(full, "pytorch_model.bin"))
                ? $"Model folder: only pytorch_model.bin is there; pickled PyTorch weights are not read (they can run code). Convert once with Python: AutoModelForCausalLM.from_pretrained(dir).save_pretrained(dir, safe_serialization=True), which writes {HuggingFaceModels.WeightsFile}."
                : $"Model folder: {HuggingFaceModels.WeightsFile} (or {HuggingFaceModels.IndexFile} with its shards) is missing in {full}.");
        if (!SaeWorkbench.Ml.Lm.Tokenization.Gpt2Tokenizer.ExistsIn(full))
            errors.Add($"Model folder: no tokenizer in {full} (vocab.json + merges.txt, or tokenizer.json).");
        if (errors.Count > before || !File.Exists(config)) return null;
        try
        {
            var info = HuggingFaceModels.Inspect(full);
            return new ModelFolderReport(full, info.DModel, info.Layers, info.VocabSize,
                new Dictionary<string, int>(info.HookWidths, StringComparer.Ordinal));
        }
        catch (Exception e) when (e is LanguageModelFolderException or IOException or ArgumentException or System.Text.Json.JsonException)
        {
            errors.Add($"Model folder: {e.Message}");
            return null;
        }
    }

    /// <summary>The absolute folder when it exists and lies under an allowed root; otherwise adds the reason.</summary>
    private string? CheckFolder(string what, string folder, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            errors.Add($"{what}: enter a path.");
            return null;
        }
        var full = paths.Resolve(folder.Trim()).TrimEnd(Path.DirectorySeparatorChar);
        var roots = AllowedRoots;
        if (!roots.Any(r => IsUnder(full, r)))
        {
            errors.Add($"{what}: {full} is outside the folders imports may read ({string.Join(", ", roots)}); an Admin can add one to Workbench:ImportRoots.");
            return null;
        }
        if (!Directory.Exists(full))
        {
            errors.Add($"{what}: {full} does not exist.");
            return null;
        }
        return full;
    }

    private static bool IsUnder(string path, string root)
    {
        var r = root.TrimEnd(Path.DirectorySeparatorChar);
        return path.Equals(r, StringComparison.Ordinal) || path.StartsWith(r + Path.DirectorySeparatorChar, StringComparison.Ordinal);
    }
}
