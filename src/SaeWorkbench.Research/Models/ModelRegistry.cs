using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Data.Models;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using static TorchSharp.torch;

namespace SaeWorkbench.Research.Models;

/// <summary>
/// The models a workspace offers by name (docs/architecture.md §1): the folders found under the import roots, the ones
/// an Admin registered with their compute dtype, and where each is used. Registering, unregistering and changing the
/// dtype are Admin work (<see cref="WorkbenchAction.ManageModels"/>) and are audited.
/// </summary>
public sealed class ModelRegistry(IDbContextFactory<WorkbenchDbContext> dbFactory, ModelFolderInspector inspector, ServerPathPolicy folders)
    : IModelComputeDtypes
{
    public const string RegisterAction = "model.register";
    public const string UnregisterAction = "model.unregister";
    public const string ComputeDtypeAction = "model.compute-dtype";

    /// <summary>Job parameters that name a model folder (training: model; SAE import: modelFolder).</summary>
    private static readonly string[] ModelParameters = ["model", "modelFolder"];

    public async Task<IReadOnlyList<RegisteredModel>> ListAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RegisteredModels.AsNoTracking().OrderBy(m => m.Name).ToListAsync(ct);
    }

    public async Task<RegisteredModel?> FindAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.RegisteredModels.AsNoTracking().SingleOrDefaultAsync(m => m.Id == id, ct);
    }

    /// <summary>Every model folder under the import roots, each with its registration when it has one.</summary>
    public async Task<IReadOnlyList<FoundModel>> ScanAsync(string computeDtype = ComputeDtypes.Float32, CancellationToken ct = default)
    {
        var dtype = ComputeDtypes.Normalize(computeDtype) ?? throw new ModelRegistrationException([DtypeProblem(computeDtype)]);
        var found = await Task.Run(() => inspector.Scan(dtype), ct);
        var registered = (await ListAsync(ct)).ToDictionary(m => m.FolderPath, StringComparer.Ordinal);
        return found.Select(f => new FoundModel(f, f.FullPath is { } p ? registered.GetValueOrDefault(p) : null)).ToList();
    }

    /// <summary>A folder a person named, checked as registering it would check it (nothing is written).</summary>
    public ModelFolderCheck Check(string path, string computeDtype = ComputeDtypes.Float32) =>
        inspector.Check(path, ComputeDtypes.Normalize(computeDtype) ?? ComputeDtypes.Float32);

    /// <summary>The hook points of a folder a person named (confined like <see cref="Check"/>); none when it cannot be described.</summary>
    public IReadOnlyList<HookPointView> HookPoints(string path) =>
        string.IsNullOrWhiteSpace(path) ? [] : inspector.Check(path, ComputeDtypes.Float32).Info is { } info ? HookPointView.Of(info) : [];

    /// <summary>
    /// Registers the folder at <paramref name="request"/>'s path. Every problem is reported at once (the folder's, the
    /// name's, the dtype's) and nothing is written unless there are none.
    /// </summary>
    public async Task<RegisteredModel> RegisterAsync(ModelRegistration request, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        var problems = new List<string>();
        var dtype = ComputeDtypes.Normalize(request.ComputeDtype ?? ComputeDtypes.Float32);
        if (dtype is null) problems.Add(DtypeProblem(request.ComputeDtype));
        else if (ComputeDtypes.Unsupported(dtype, DefaultDevice()) is { } why)
            problems.Add($"computeDtype: {why}.");
        var check = inspector.Check(request.Path, dtype ?? ComputeDtypes.Float32);
        problems.AddRange(check.Problems);
        var name = string.IsNullOrWhiteSpace(request.Name)
            ? check.FullPath is { } full ? Path.GetFileName(Path.TrimEndingDirectorySeparator(full)) : ""
            : request.Name.Trim();
        if (name.Length > 200) problems.Add("name: at most 200 characters.");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        if (name.Length > 0 && await db.RegisteredModels.AnyAsync(m => m.Name == name, ct))
            problems.Add($"name: a model named '{name}' is already registered.");
        if (check.FullPath is { } folder && await db.RegisteredModels.Where(m => m.FolderPath == folder).Select(m => m.Name).FirstOrDefaultAsync(ct) is { } other)
            problems.Add($"path: this folder is already registered as '{other}'.");
        if (problems.Count > 0 || check.Info is not { } info) throw new ModelRegistrationException(problems);

        var model = new RegisteredModel
        {
            Name = name,
            FolderPath = check.FullPath!,
            Family = info.Family,
            Parameters = info.Parameters,
            StoredDtype = info.StoredDtype,
            ComputeDtype = dtype!,
            RegisteredById = actor.UserId,
        };
        db.RegisteredModels.Add(model);
        await db.SaveChangesAsync(ct);
        AuditRecorder.Add(db, actor, RegisterAction, nameof(RegisteredModel), model.Id, null,
            new { model.Name, model.FolderPath, model.Family, model.ComputeDtype }, DateTimeOffset.UtcNow);
        await db.SaveChangesAsync(ct);
        return model;
    }

    /// <summary>Dictionaries whose model folder is <paramref name="folder"/>, and jobs whose parameters name it.</summary>
    public async Task<ModelUsage> UsageAsync(string folder, CancellationToken ct = default) => (await UsagesAsync([folder], ct))[0];

    /// <summary>Every registered model with what its folder holds now, its memory estimate and its usage.</summary>
    public async Task<IReadOnlyList<RegisteredModelView>> DescribeAsync(CancellationToken ct = default)
    {
        var models = await ListAsync(ct);
        var usages = await UsagesAsync(models.Select(m => m.FolderPath).ToList(), ct);
        var device = DefaultDevice();
        return await Task.Run(() => models.Select((m, i) =>
        {
            try { return new RegisteredModelView(m, ModelMemory.Inspect(m.FolderPath, m.ComputeDtype, device), null, usages[i]); }
            catch (Exception e) when (e is Ml.Lm.LanguageModelFolderException or IOException or UnauthorizedAccessException or ArgumentException
                                          or InvalidDataException or JsonException or FormatException or InvalidOperationException)
            {
                return new RegisteredModelView(m, null, e.Message, usages[i]);
            }
        }).ToList(), ct);
    }

    private async Task<IReadOnlyList<ModelUsage>> UsagesAsync(IReadOnlyList<string> modelFolders, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Paths were recorded as real absolute paths by confined imports and training runs; older rows may hold another
        // spelling of the same folder, so each recorded path is resolved the same way before it is compared.
        var dictionaries = (await db.Dictionaries.AsNoTracking().Where(d => d.ModelPath != null)
                .Select(d => new { d.Id, d.Name, d.HookName, d.ModelPath }).ToListAsync(ct))
            .Select(d => (Folder: RealFolder(d.ModelPath!), Use: new DictionaryUse(d.Id, d.Name, d.HookName))).ToList();
        var jobs = (await db.Jobs.AsNoTracking().OrderBy(j => j.Id).Select(j => new { j.Id, j.Kind, j.State, j.ParametersJson }).ToListAsync(ct))
            .SelectMany(j => NamedModels(j.ParametersJson).Select(RealFolder).Distinct()
                .Select(folder => (Folder: folder, Use: new JobUse(j.Id, j.Kind, j.State.ToString())))).ToList();
        return modelFolders.Select(folder =>
        {
            var target = RealFolder(folder);
            return new ModelUsage(dictionaries.Where(d => target is not null && d.Folder == target).Select(d => d.Use).ToList(),
                jobs.Where(j => target is not null && j.Folder == target).Select(j => j.Use).ToList());
        }).ToList();
    }

    /// <summary>Removes a registration (never the folder). Refused while a dictionary or an unfinished job uses it.</summary>
    public async Task UnregisterAsync(long id, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var model = await db.RegisteredModels.SingleOrDefaultAsync(m => m.Id == id, ct)
                    ?? throw new KeyNotFoundException($"There is no registered model #{id}.");
        var usage = await UsageAsync(model.FolderPath, ct);
        if (usage.InUse)
        {
            var users = new List<string>();
            if (usage.Dictionaries.Count > 0) users.Add($"{usage.Dictionaries.Count} dictionar{(usage.Dictionaries.Count == 1 ? "y" : "ies")} ({string.Join(", ", usage.Dictionaries.Select(d => $"#{d.Id}"))})");
            var active = usage.ActiveJobs.ToList();
            if (active.Count > 0) users.Add($"{active.Count} unfinished job{(active.Count == 1 ? "" : "s")} ({string.Join(", ", active.Select(j => $"#{j.Id}"))})");
            throw new InvalidOperationException($"'{model.Name}' is in use by {string.Join(" and ", users)}; it stays registered until nothing uses it.");
        }
        db.RegisteredModels.Remove(model);
        AuditRecorder.Add(db, actor, UnregisterAction, nameof(RegisteredModel), model.Id,
            new { model.Name, model.FolderPath, model.Family }, null, DateTimeOffset.UtcNow);
        await db.SaveChangesAsync(ct);
    }

    /// <summary>Sets the dtype the inference host and the jobs load this model in; refused when the device cannot run it.</summary>
    public async Task<RegisteredModel> SetComputeDtypeAsync(long id, string computeDtype, Actor actor, CancellationToken ct = default)
    {
        Require(actor);
        var dtype = ComputeDtypes.Normalize(computeDtype) ?? throw new ModelRegistrationException([DtypeProblem(computeDtype)], "computeDtype");
        if (ComputeDtypes.Unsupported(dtype, DefaultDevice()) is { } why) throw new ModelRegistrationException([$"computeDtype: {why}."], "computeDtype");
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var model = await db.RegisteredModels.SingleOrDefaultAsync(m => m.Id == id, ct)
                    ?? throw new KeyNotFoundException($"There is no registered model #{id}.");
        var before = model.ComputeDtype;
        model.ComputeDtype = dtype;
        AuditRecorder.Add(db, actor, ComputeDtypeAction, nameof(RegisteredModel), model.Id, new { ComputeDtype = before }, new { ComputeDtype = dtype },
            DateTimeOffset.UtcNow);
        await db.SaveChangesAsync(ct);
        return model;
    }

    /// <summary>
    /// The dtype to load <paramref name="folder"/> in: its registration's, else float32 (the default on every device).
    /// Synchronous: the inference queue's thread and the job threads call it before loading.
    /// </summary>
    public string ComputeDtypeOf(string folder)
    {
        var real = ServerPathPolicy.RealPath(Path.GetFullPath(folder)) ?? Path.GetFullPath(folder);
        using var db = dbFactory.CreateDbContext();
        return db.RegisteredModels.AsNoTracking().Where(m => m.FolderPath == real).Select(m => m.ComputeDtype).FirstOrDefault()
               ?? ComputeDtypes.Float32;
    }

    /// <summary>The device models load on in this process (CUDA when present).</summary>
    public static Device DefaultDevice() => Ml.Runtime.TorchRuntime.BestDevice();

    /// <summary>A recorded or requested folder as a comparable real path (links followed, no trailing separator).</summary>
    private string? RealFolder(string path)
    {
        string? real;
        try { real = folders.Resolve(path) ?? ServerPathPolicy.RealPath(Path.GetFullPath(path)); }
        catch (Exception e) when (e is ArgumentException or NotSupportedException or PathTooLongException) { return null; }
        return real is null ? null : Path.TrimEndingDirectorySeparator(real);
    }

    private static IEnumerable<string> NamedModels(string parametersJson)
    {
        JsonDocument doc;
        try { doc = JsonDocument.Parse(parametersJson); }
        catch (JsonException) { yield break; }
        using (doc)
        {
            if (doc.RootElement.ValueKind != JsonValueKind.Object) yield break;
            foreach (var property in doc.RootElement.EnumerateObject())
                if (property.Value.ValueKind == JsonValueKind.String && ModelParameters.Contains(property.Name, StringComparer.OrdinalIgnoreCase)
                    && property.Value.GetString() is { Length: > 0 } value)
                    yield return value;
        }
    }

    /// <summary>The permission table's refusal (<see cref="RefusedException"/>, Forbidden) for anyone below the action's role.</summary>
    private static void Require(Actor actor) => Permissions.Require(actor.Role, WorkbenchAction.ManageModels);

    private static string DtypeProblem(string? value) =>
        $"computeDtype: '{value}' is not supported; supported: {string.Join(", ", ComputeDtypes.Names)}.";
}
