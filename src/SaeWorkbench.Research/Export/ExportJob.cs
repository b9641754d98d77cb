using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Export;

/// <summary>Parameters of an "export" job.</summary>
public sealed record ExportRequest
{
    public long DictionaryId { get; init; }

    /// <summary>all | labelled | accepted.</summary>
    public string Only { get; init; } = "all";

    public bool Contexts { get; init; } = true;
    public bool Pseudonymise { get; init; }

    /// <summary>bundle | neuronpedia.</summary>
    public string Format { get; init; } = "bundle";

    /// <summary>Neuronpedia only: the creator id its rows carry; empty means "saeworkbench".</summary>
    public string? CreatorId { get; init; }

    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DictionaryId <= 0) errors.Add("dictionaryId: a dictionary id is required");
        try { ExportOptions.ParseScope(Only); }
        catch (ArgumentException e) { errors.Add(e.Message); }
        try { ExportOptions.ParseFormat(Format); }
        catch (ArgumentException e) { errors.Add(e.Message); }
        if (CreatorId is { Length: > 200 }) errors.Add("creatorId: at most 200 characters");
        return errors;
    }

    public ExportOptions ToOptions() => new(ExportOptions.ParseScope(Only), Contexts, Pseudonymise, Zip: true, ExportOptions.ParseFormat(Format), CreatorId);
}

/// <summary>
/// The "export" job writes a dictionary's bundle as bundle.zip into the job's folder, with progress.
/// Only a Reviewer or Admin may export: the job checks its owner's role when it runs, whoever queued it.
/// </summary>
public sealed class ExportJob : IJobKind
{
    public const string KindName = "export";
    public const string BundleFileName = "bundle.zip";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => KindName;

    public string Description => "Export a dictionary as a bundle (SAELens weights, feature catalog with provenance, Neuronpedia explanations, governance report) or in Neuronpedia's bulk-export layout.";

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        ExportRequest? request;
        try { request = parameters.Deserialize<ExportRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        return request is null ? ["parameters: missing"] : request.Validate();
    }

    public object? Run(JobContext context)
    {
        var request = context.Parameters.Deserialize<ExportRequest>(Json)!;
        var dbFactory = context.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>();
        string? ownerId;
        using (var db = dbFactory.CreateDbContext())
        {
            ownerId = db.Jobs.AsNoTracking().Where(j => j.Id == context.JobId).Select(j => j.OwnerId).FirstOrDefault();
            if (ownerId is not null)
            {
                var roles = (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == ownerId select r.Name!).ToList();
                Permissions.Require(WorkbenchRoles.Highest(roles), WorkbenchAction.Export);
            }
        }
        var output = Path.Combine(context.ArtifactsDirectory, BundleFileName);
        if (File.Exists(output)) File.Delete(output); // a resumed attempt starts over
        var progress = new Progress(context);
        var options = request.ToOptions();
        if (options.Format == ExportFormat.Neuronpedia)
        {
            var np = context.Services.GetRequiredService<NeuronpediaExporter>()
                .ExportAsync(request.DictionaryId, options, output, progress, context.Cancellation).GetAwaiter().GetResult();
            return new
            {
                dictionaryId = request.DictionaryId, format = "neuronpedia", file = BundleFileName, bytes = new FileInfo(output).Length,
                modelId = np.ModelId, sourceId = np.SourceId, features = np.Features, activations = np.Activations, explanations = np.Explanations,
            };
        }
        var exporter = context.Services.GetRequiredService<BundleExporter>();
        var result = exporter.ExportAsync(request.DictionaryId, options, output, ownerId, progress, context.Cancellation)
            .GetAwaiter().GetResult();
        var m = result.Manifest;
        return new
        {
            dictionaryId = request.DictionaryId, format = "bundle", bundleId = m.BundleId, file = BundleFileName, bytes = new FileInfo(output).Length,
            latents = m.Counts.Latents, labelled = m.Counts.Labelled, accepted = m.Counts.Accepted, interpretations = m.Counts.Interpretations,
            only = m.Options.Only, contexts = m.Options.Contexts, pseudonymised = m.Options.Pseudonymised, saeSha256 = m.Dictionary.SaeSha256,
        };
    }

    private sealed class Progress(JobContext context) : IProgress<(double Progress, string Message)>
    {
        public void Report((double Progress, string Message) value) => context.Report(value.Progress, value.Message);
    }
}

public static class ExportServiceCollectionExtensions
{
    /// <summary>Bundle export (job "export") and import, detection scores for the catalog, label carry-over.</summary>
    public static IServiceCollection AddExports(this IServiceCollection services)
    {
        services.AddSingleton<IDetectionScoreSource, InterpretationColumnsDetectionScores>();
        services.AddSingleton<BundleExporter>();
        services.AddSingleton<NeuronpediaExporter>();
        services.AddSingleton<BundleImporter>();
        services.AddSingleton<CarryOver.LabelCarryOver>();
        return services.AddJobKind<ExportJob>();
    }
}
