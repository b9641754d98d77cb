using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Ml.Formats;
using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// What an import needs: the dictionary folder (or, for a release, the folder holding many), the model folder its
/// activations come from, and a name (for a release, the release's name). The options are those of <c>sae inspect</c>
/// and <c>sae encode</c> (docs/science.md §11): <paramref name="CentreWritingWeights"/> overrides the centring a SAELens
/// folder records (null: as recorded), <paramref name="NormScalingFactor"/> is the dataset norm scaling factor a SAELens
/// folder with <c>normalize_activations: "expected_average_only_in"</c> needs; both are stored with the dictionary and
/// used by every later load. <paramref name="ImportDespiteModelMismatch"/> imports a dictionary whose config names
/// another model (a fine-tuned or renamed copy), recorded in the import notes.
/// </summary>
public sealed record SaeImportRequest(string SaeFolder, string ModelFolder, string? Name = null,
    bool? CentreWritingWeights = null, double? NormScalingFactor = null, bool ImportDespiteModelMismatch = false)
{
    [System.Text.Json.Serialization.JsonIgnore]
    public SaeLoadOptions LoadOptions => new() { CentreWritingWeights = CentreWritingWeights, NormScalingFactor = NormScalingFactor };
}

/// <summary>The reasons an import was refused, each one a sentence a person can act on.</summary>
public sealed class ImportValidationException(IReadOnlyList<string> errors) : Labelling.Services.RefusedException("import", errors, " ")
{
    public IReadOnlyList<string> Errors => Messages;
}

/// <summary>A model folder that can be used: its hooks with their widths.</summary>
public sealed record ModelFolderReport(string Folder, int DModel, int Layers, int VocabSize, IReadOnlyDictionary<string, int> HookWidths);

/// <summary>
/// Imports an SAELens folder or checks a Hugging Face GPT-2 folder from the server's disk. Paths go
/// through <see cref="ServerPathPolicy"/> (inside <see cref="WorkbenchSettings.ImportRoots"/> after following links);
/// every problem is reported, not only the first. Labelers and up.
/// </summary>
public sealed class DictionaryImporter(DictionaryRegistry registry, ServerPathPolicy folders)
{
    public const string AuditAction = "dictionary.import";

    /// <summary>The folders imports may read from (absolute, links followed).</summary>
    public IReadOnlyList<string> AllowedRoots => folders.Roots;

    /// <summary>Checks a Hugging Face GPT-2 folder without loading its weights; throws <see cref="ImportValidationException"/>.</summary>
    public ModelFolderReport InspectModel(string folder)
    {
        var errors = new List<string>();
        var report = InspectModel(folder, errors);
        if (report is null) throw new ImportValidationException(errors);
        return report;
    }

    /// <summary>
    /// Checks one dictionary folder (any published format, docs/science.md §11) against the model folder's hooks and
    /// registers it (one audit entry). A refused dictionary leaves the database unchanged.
    /// </summary>
    public async Task<SaeDictionary> ImportSaeLensAsync(SaeImportRequest request, Actor actor, CancellationToken ct = default)
    {
        RequireLabeler(actor);
        var (model, members) = CheckRelease(request, single: true);
        var loaded = LoadChecked(members[0], model, request.LoadOptions);
        try
        {
            var mismatch = await CheckModelNameAsync(loaded, members[0], model, request.ImportDespiteModelMismatch, ct);
            var name = string.IsNullOrWhiteSpace(request.Name)
                ? $"{Path.GetFileName(members[0].TrimEnd(Path.DirectorySeparatorChar))} (imported)"
                : request.Name.Trim();
            return await Register(loaded, members[0], name, null, model, request.LoadOptions, mismatch, actor, ct);
        }
        finally
        {
            loaded.Dispose();
        }
    }

    /// <summary>
    /// Imports every dictionary under a release folder (one per layer, width or L0) into one release group. Every
    /// member is read and checked first; if any is refused, nothing is written and every reason is reported.
    /// </summary>
    public async Task<IReadOnlyList<SaeDictionary>> ImportReleaseAsync(SaeImportRequest request, Actor actor,
        IProgress<(double Fraction, string Message)>? progress = null, CancellationToken ct = default)
    {
        RequireLabeler(actor);
        var (model, members) = CheckRelease(request, single: false);
        var errors = new List<string>();
        for (var i = 0; i < members.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report((0.5 * i / members.Count, $"checking {i + 1}/{members.Count}: {Relative(request, members[i])}"));
            try
            {
                using var checkedSae = LoadChecked(members[i], model, request.LoadOptions);
                await CheckModelNameAsync(checkedSae, members[i], model, request.ImportDespiteModelMismatch, ct);
            }
            catch (ImportValidationException e) { errors.AddRange(e.Errors); }
        }
        if (errors.Count > 0) throw new ImportValidationException(errors);
        var release = string.IsNullOrWhiteSpace(request.Name) ? Path.GetFileName(members.Count == 1 ? members[0] : CheckFolder("Release folder", request.SaeFolder, [])!) : request.Name.Trim();
        var registered = new List<SaeDictionary>();
        for (var i = 0; i < members.Count; i++)
        {
            ct.ThrowIfCancellationRequested();
            progress?.Report((0.5 + 0.5 * i / members.Count, $"importing {i + 1}/{members.Count}: {Relative(request, members[i])}"));
            using var loaded = LoadChecked(members[i], model, request.LoadOptions);
            var mismatch = await CheckModelNameAsync(loaded, members[i], model, request.ImportDespiteModelMismatch, ct);
            var rel = Relative(request, members[i]);
            registered.Add(await Register(loaded, members[i], $"{release} / {rel}", release, model, request.LoadOptions, mismatch, actor, ct));
        }
        progress?.Report((1, $"imported {registered.Count} dictionaries from {release}"));
        return registered;
    }

    /// <summary>The model folder's hooks and the dictionary folders to import; throws with every reason when a path is unusable.</summary>
    public (ModelFolderReport Model, IReadOnlyList<string> Members) CheckRelease(SaeImportRequest request, bool single)
    {
        var errors = new List<string>();
        var model = InspectModel(request.ModelFolder, errors);
        var folder = CheckFolder(single ? "SAE folder" : "Release folder", request.SaeFolder, errors);
        IReadOnlyList<string> members = [];
        if (folder is not null)
        {
            members = single ? (SaeFolders.Detect(folder) is null ? [] : [folder]) : SaeFolders.Discover(folder);
            if (members.Count == 0)
                errors.Add(single && SaeFolders.Discover(folder).Count > 1
                    ? $"SAE folder: {folder} holds several dictionaries; import it as a release."
                    : File.Exists(Path.Combine(folder, SaeLensFolder.ConfigFile))
                        ? $"SAE folder: {SaeLensFolder.WeightsFile} is missing in {folder}."
                        : $"SAE folder: {folder} holds no dictionary: {SaeLensFolder.ConfigFile} is missing (SAELens), and there are no Gemma Scope, Llama Scope, sparsify or dictionary_learning files either.");
            // The policy's folder check already followed every link below the folder, so every member is inside the roots.
        }
        if (request.NormScalingFactor is { } s && !(s > 0 && double.IsFinite(s)))
            errors.Add($"Norm scaling factor: {s.ToString(System.Globalization.CultureInfo.InvariantCulture)} is not a positive number.");
        else if (request.NormScalingFactor is not null && members.Count > 1)
            errors.Add($"Norm scaling factor: each of the {members.Count} dictionaries of a release has its own; import them one by one with theirs.");
        if (errors.Count > 0) throw new ImportValidationException(errors);
        return (model!, members);
    }

    /// <summary>Reads one dictionary and checks it fits the model; throws <see cref="ImportValidationException"/> naming the folder.</summary>
    private static SaeLensSae LoadChecked(string folder, ModelFolderReport model, SaeLoadOptions options)
    {
        SaeLensSae sae;
        try { sae = SaeFolders.Load(folder, options); }
        catch (Exception e) when (e is IOException or InvalidDataException or ArgumentException or InvalidOperationException
                                      or FormatException or System.Text.Json.JsonException)
        {
            throw new ImportValidationException([$"SAE folder: {e.Message}"]);
        }
        if (SaeFolders.CheckAgainst(sae, model.HookWidths) is { } problem)
        {
            sae.Dispose();
            throw new ImportValidationException([$"{folder}: {problem} (model {model.Folder})"]);
        }
        return sae;
    }

    /// <summary>
    /// Refuses a dictionary whose config names a model that is none of the target model's names (its folder name, its
    /// registered names, the name its Hugging Face config records), listing the registered models that do match; with
    /// <paramref name="despite"/>, returns the note to record instead. Null when the names match, the dictionary names
    /// no model, or the target records no name of its own and is not registered (its folder name alone is too weak to
    /// refuse on).
    /// </summary>
    private async Task<string?> CheckModelNameAsync(SaeLensSae sae, string folder, ModelFolderReport model, bool despite, CancellationToken ct)
    {
        var named = sae.Metadata.ModelName;
        if (string.IsNullOrWhiteSpace(named)) return null;
        var registered = await registry.RegisteredModelsAsync(ct);
        static string Full(string path) => Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        static string FolderName(string path) => Path.GetFileName(Full(path));
        var own = registered.Where(r => Full(r.FolderPath) == Full(model.Folder)).Select(r => r.Name).ToList();
        var recorded = ModelNames.RecordedIn(model.Folder);
        List<string> known = [FolderName(model.Folder), .. own, .. recorded];
        if (known.Any(n => ModelNames.Same(n, named))) return null;
        if (own.Count == 0 && recorded.Count == 0) return null;
        var names = string.Join(", ", known.Distinct(StringComparer.OrdinalIgnoreCase).Select(n => $"'{n}'"));
        if (despite)
            return $"Imported anyway: the model differs. The dictionary's config names model '{named}'; it was imported on {model.Folder} ({names}).";
        var matching = registered.Where(r => ModelNames.Same(r.Name, named) || ModelNames.Same(FolderName(r.FolderPath), named)
                                             || ModelNames.RecordedIn(r.FolderPath).Any(n => ModelNames.Same(n, named)))
            .Select(r => $"{r.Name} ({r.FolderPath})").ToList();
        throw new ImportValidationException([
            $"{folder}: the dictionary was trained on model '{named}', but the model folder {model.Folder} is {names}. " +
            (matching.Count == 0 ? $"No registered model is '{named}'." : $"Registered models that match: {string.Join(", ", matching)}.") +
            " For a fine-tuned or renamed copy of that model, import anyway: the model differs (importDespiteModelMismatch)."]);
    }

    private async Task<SaeDictionary> Register(SaeLensSae sae, string folder, string name, string? release, ModelFolderReport model,
        SaeLoadOptions options, string? modelMismatch, Actor actor, CancellationToken ct)
    {
        var metrics = sae.Metadata.Extras["saeworkbench"]?["metrics"]?.ToJsonString() ?? "{}";
        var info = ImportInfo.Of(sae, folder, release, options, modelMismatch);
        return await registry.RegisterAsync(sae, folder, name, model.Folder, metrics, info.ToJson(), 0, null, actor.UserId, ct, actor);
    }

    private string Relative(SaeImportRequest request, string member)
    {
        var root = (folders.Resolve(request.SaeFolder) ?? request.SaeFolder.Trim()).TrimEnd(Path.DirectorySeparatorChar);
        var rel = Path.GetRelativePath(root, member);
        return rel == "." ? Path.GetFileName(member) : rel;
    }

    private static void RequireLabeler(Actor actor)
    {
        Permissions.Require(actor.Role, WorkbenchAction.ImportDictionary);
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
        if (!SaeWorkbench.Ml.Lm.Tokenization.TokenizerFolder.ExistsIn(full))
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

    /// <summary>
    /// The real folder when it exists inside the import roots (links followed, the files under it included); otherwise
    /// adds the policy's reason, which does not say whether the path exists.
    /// </summary>
    private string? CheckFolder(string what, string folder, List<string> errors)
    {
        if (string.IsNullOrWhiteSpace(folder))
        {
            errors.Add($"{what}: enter a path.");
            return null;
        }
        var check = folders.Folder(folder);
        if (check.Error is { } error) errors.Add($"{what}: {error}.");
        return check.FullPath;
    }
}
