using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Dictionaries;

/// <summary>
/// Imports a release — a folder holding many published dictionaries (per layer, width or L0) — in one job with
/// progress. Every member is checked before anything is written; a refused member fails the job with every reason and
/// leaves the database unchanged. Runs as the job's owner, who must be a Labeler or above.
/// </summary>
public sealed class DictionaryImportJob : IJobKind
{
    public const string KindName = "dictionary-import";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public string Name => KindName;

    public string Description => "Import a release of published dictionaries (SAELens, Gemma Scope, Llama Scope, sparsify, dictionary_learning) from the server's disk.";

    public IReadOnlyList<string> Validate(JsonElement parameters)
    {
        SaeImportRequest? request;
        try { request = parameters.Deserialize<SaeImportRequest>(Json); }
        catch (JsonException e) { return [$"parameters: {e.Message}"]; }
        if (request is null) return ["parameters: missing"];
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(request.SaeFolder)) errors.Add("saeFolder: enter the release folder.");
        if (string.IsNullOrWhiteSpace(request.ModelFolder)) errors.Add("modelFolder: enter the model folder.");
        return errors;
    }

    public object? Run(JobContext context)
    {
        var request = context.Parameters.Deserialize<SaeImportRequest>(Json)!;
        var actor = Owner(context) ?? throw new RefusedException(OutcomeKind.Forbidden,
            ValidationResult.Fail("owner", "A release import must be queued by a signed-in Labeler."));
        var importer = context.Services.GetRequiredService<DictionaryImporter>();
        var imported = importer.ImportReleaseAsync(request, actor, new Progress(context), context.Cancellation).GetAwaiter().GetResult();
        return new { dictionaryIds = imported.Select(d => d.Id).ToArray(), count = imported.Count };
    }

    private static Actor? Owner(JobContext context)
    {
        using var db = context.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();
        var ownerId = db.Jobs.AsNoTracking().Where(j => j.Id == context.JobId).Select(j => j.OwnerId).FirstOrDefault();
        if (ownerId is null) return null;
        var user = db.Users.AsNoTracking().FirstOrDefault(u => u.Id == ownerId);
        if (user is null) return null;
        var roles = (from ur in db.UserRoles join r in db.Roles on ur.RoleId equals r.Id where ur.UserId == ownerId select r.Name!).ToList();
        return new Actor(user.Id, user.UserName ?? user.Id, WorkbenchRoles.Highest(roles));
    }

    private sealed class Progress(JobContext context) : IProgress<(double Fraction, string Message)>
    {
        public void Report((double Fraction, string Message) value) => context.Report(value.Fraction, value.Message);
    }
}
