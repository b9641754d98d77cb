using SaeWorkbench.Data.Models;
using SaeWorkbench.Ml.Lm;

namespace SaeWorkbench.Research.Models;

/// <summary>What a person asks to register: a folder under the import roots, a name (default: the folder's), a compute dtype.</summary>
public sealed record ModelRegistration(string Path, string? Name = null, string? ComputeDtype = null);

/// <summary>
/// Every reason a registration or change was refused, each one a sentence naming the field; <paramref name="field"/> is
/// the request field they fall under ("model" for a folder, "computeDtype" for a dtype change).
/// </summary>
public sealed class ModelRegistrationException(IReadOnlyList<string> problems, string field = "model")
    : Labelling.Services.RefusedException(field, problems, " ")
{
    public IReadOnlyList<string> Problems => Messages;
}

/// <summary>
/// A model folder checked without loading its weights: its real path and description, or every problem found
/// (<see cref="Info"/> is null when the folder cannot be described).
/// </summary>
public sealed record ModelFolderCheck(string Path, string? FullPath, ModelFolderInfo? Info, IReadOnlyList<string> Problems);

/// <summary>A folder found under the import roots, with the registration it has (if any).</summary>
public sealed record FoundModel(ModelFolderCheck Check, RegisteredModel? Registered);

public sealed record DictionaryUse(long Id, string Name, string HookName);

public sealed record JobUse(long Id, string Kind, string State);

/// <summary>Where a model folder is used: dictionaries recorded with it, jobs whose parameters name it.</summary>
public sealed record ModelUsage(IReadOnlyList<DictionaryUse> Dictionaries, IReadOnlyList<JobUse> Jobs)
{
    /// <summary>Jobs still queued or running; finished ones are history and do not hold a model.</summary>
    public IEnumerable<JobUse> ActiveJobs => Jobs.Where(j => j.State is "Queued" or "Running");

    public bool InUse => Dictionaries.Count > 0 || ActiveJobs.Any();

    public string Describe() =>
        Dictionaries.Count == 0 && Jobs.Count == 0 ? "not used"
            : string.Join("; ", new[]
            {
                Dictionaries.Count > 0 ? $"{Dictionaries.Count} dictionar{(Dictionaries.Count == 1 ? "y" : "ies")} ({string.Join(", ", Dictionaries.Take(5).Select(d => $"#{d.Id} {d.Name}"))}{(Dictionaries.Count > 5 ? ", …" : "")})" : null,
                Jobs.Count > 0 ? $"{Jobs.Count} job{(Jobs.Count == 1 ? "" : "s")} ({string.Join(", ", Jobs.Take(5).Select(j => $"#{j.Id} {j.Kind} {j.State.ToLowerInvariant()}"))}{(Jobs.Count > 5 ? ", …" : "")})" : null,
            }.OfType<string>());
}

/// <summary>A registered model as the Models page and the API show it: what its folder holds now (or why it cannot be
/// read), its memory estimate at its compute dtype, and where it is used.</summary>
public sealed record RegisteredModelView(RegisteredModel Model, ModelFolderInfo? Info, string? Problem, ModelUsage Usage);

/// <summary>One hook point: its TransformerLens name, width, and the Hugging Face module it reads (docs/science.md §10.2).</summary>
public sealed record HookPointView(string Name, int Width, string? HuggingFaceModule)
{
    public static IReadOnlyList<HookPointView> Of(ModelFolderInfo info) =>
        info.HookNames.Select(h => new HookPointView(h, info.HookWidths.GetValueOrDefault(h), HookModules.HuggingFaceName(info.Family, h))).ToList();
}
