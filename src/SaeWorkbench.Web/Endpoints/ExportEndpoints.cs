using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.CarryOver;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Export;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Settings;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Bundles and carry-over over HTTP. Reviewers and Admins export and download bundles (a bundle can
/// name every contributor); only Admins import (an import creates accounts and a dictionary). Carry-over suggestions
/// are computed by Reviewers, accepted or rejected by Labelers, carried over wholesale by Admins.
/// </summary>
public static class ExportEndpoints
{
    public const long MaxImportBytes = 4L << 30;

    public static IEndpointRouteBuilder MapExportEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").TranslatesRefusals().WithTags("Exports");
        // Writes share the labelling API's per-token rate limit.
        var writes = api.MapGroup("").RequireRateLimiting(LabellingApiServices.WritePolicy);
        api.MapGet("/exports", List).RequirePermission(WorkbenchAction.Export).WithSummary("Export jobs, newest first.");
        writes.MapPost("/exports", Create).RequirePermission(WorkbenchAction.Export)
            .WithSummary("Queue an export job: dictionaryId, only (all | labelled | accepted), contexts, pseudonymise.");
        api.MapGet("/exports/{jobId:long}/download", Download).RequirePermission(WorkbenchAction.Export).WithSummary("The bundle (.zip) of a finished export job.");
        writes.MapPost("/imports", Import).RequirePermission(WorkbenchAction.ImportBundle)
            .WithSummary("Import a bundle: the request body is the bundle's .zip (Content-Type: application/zip).");
        writes.MapPost("/dictionaries/{dictionaryId:long}/carryover/suggest", Suggest).RequirePermission(WorkbenchAction.SuggestCarryOver)
            .WithSummary("Match this dictionary's latents to older dictionaries on the same model and hook (decoder cosine ≥ 0.9) and store label suggestions.");
        writes.MapPost("/dictionaries/{dictionaryId:long}/carryover/all", CarryAll).RequirePermission(WorkbenchAction.CarryOverAll)
            .WithSummary("Carry every pending suggestion over as interpretations by the Admin (one audited action).");
        api.MapGet("/latents/{latentId:long}/suggestions", Suggestions).WithSummary("Pending label suggestions for a latent.");
        writes.MapPost("/suggestions/{id:long}/accept", Accept).RequirePermission(WorkbenchAction.WriteInterpretation).WithSummary("Accept a suggestion: it becomes your interpretation.");
        writes.MapPost("/suggestions/{id:long}/reject", Reject).RequirePermission(WorkbenchAction.WriteInterpretation).WithSummary("Reject a suggestion.");
        return app;
    }

    public static async Task<Ok<IReadOnlyList<JobSnapshot>>> List(JobService jobs, CancellationToken ct) =>
        TypedResults.Ok<IReadOnlyList<JobSnapshot>>((await jobs.ListAsync(500, ct)).Where(j => j.Kind == ExportJob.KindName).ToList());

    public static async Task<Results<Created<JobSnapshot>, ValidationProblem, ProblemHttpResult>> Create(ExportRequest request, JobService jobs,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = OutcomeResults.ActorOf(user);
        if (!actor.Can(WorkbenchAction.Export)) return OutcomeResults.Forbidden(actor.Role, WorkbenchAction.Export);
        // A refused export (JobValidationException) answers 400 with its errors under "job", as /api/jobs does (RefusalFilter).
        var job = await jobs.EnqueueAsync(ExportJob.KindName, JsonSerializer.Serialize(request, new JsonSerializerOptions(JsonSerializerDefaults.Web)), actor.UserId, ct);
        return TypedResults.Created($"/api/jobs/{job.Id}", job);
    }

    public static async Task<Results<PhysicalFileHttpResult, NotFound, ProblemHttpResult>> Download(long jobId, JobService jobs, WorkbenchPaths paths,
        ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = OutcomeResults.ActorOf(user);
        if (!actor.Can(WorkbenchAction.Export)) return OutcomeResults.Forbidden(actor.Role, WorkbenchAction.Export);
        var job = await jobs.GetAsync(jobId, ct);
        if (job is null || job.Kind != ExportJob.KindName) return TypedResults.NotFound();
        if (job.State != JobState.Succeeded)
            return TypedResults.Problem($"Export job {jobId} is {job.State}; its bundle is ready when it has succeeded.", statusCode: StatusCodes.Status409Conflict);
        var file = Path.Combine(paths.JobDirectory(jobId), ExportJob.BundleFileName);
        if (!File.Exists(file)) return TypedResults.NotFound();
        var dictionaryId = JsonDocument.Parse(job.ParametersJson).RootElement.TryGetProperty("dictionaryId", out var d) ? d.GetInt64() : 0;
        return TypedResults.PhysicalFile(file, "application/zip", $"dictionary-{dictionaryId}-bundle-{jobId}.zip");
    }

    public static async Task<Results<Ok<ImportResult>, Created<ImportResult>, ProblemHttpResult>> Import(HttpContext http, BundleImporter importer,
        WorkbenchPaths paths, ClaimsPrincipal user, CancellationToken ct)
    {
        var actor = OutcomeResults.ActorOf(user);
        if (!actor.Can(WorkbenchAction.ImportBundle)) return OutcomeResults.Forbidden(actor.Role, WorkbenchAction.ImportBundle);
        if (!string.Equals(http.Request.ContentType?.Split(';')[0].Trim(), "application/zip", StringComparison.OrdinalIgnoreCase))
            return TypedResults.Problem("Send the bundle's .zip as the request body with Content-Type: application/zip.", statusCode: StatusCodes.Status415UnsupportedMediaType);
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBytes;
        var uploads = Path.Combine(paths.DataDirectory, "imports", ".uploads");
        Directory.CreateDirectory(uploads);
        var file = Path.Combine(uploads, $"{Guid.NewGuid():N}.zip");
        try
        {
            await using (var output = File.Create(file)) await http.Request.Body.CopyToAsync(output, ct);
            var result = await importer.ImportAsync(file, actor, ct);
            return result.Created ? TypedResults.Created($"/api/dictionaries/{result.DictionaryId}/latents", result) : TypedResults.Ok(result);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static async Task<Results<Ok<CarryOverSummary>, ValidationProblem, ProblemHttpResult>> Suggest(long dictionaryId, LabelCarryOver carryOver,
        ClaimsPrincipal user, long? sourceDictionaryId, CancellationToken ct) =>
        OutcomeResults.Answer(await carryOver.SuggestAsync(OutcomeResults.ActorOf(user), dictionaryId, sourceDictionaryId, ct: ct));

    public static async Task<Results<Ok<int>, ValidationProblem, ProblemHttpResult>> CarryAll(long dictionaryId, LabelCarryOver carryOver,
        ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await carryOver.CarryAllAsync(OutcomeResults.ActorOf(user), dictionaryId, ct));

    public static async Task<Ok<IReadOnlyList<SuggestionView>>> Suggestions(long latentId, LabelCarryOver carryOver, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await carryOver.PendingForLatentAsync(Actor.From(user), latentId, ct));

    public static async Task<Results<Ok<long>, ValidationProblem, ProblemHttpResult>> Accept(long id, LabelCarryOver carryOver, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await carryOver.AcceptAsync(OutcomeResults.ActorOf(user), id, ct));

    public static async Task<Results<Ok<long>, ValidationProblem, ProblemHttpResult>> Reject(long id, LabelCarryOver carryOver, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await carryOver.RejectAsync(OutcomeResults.ActorOf(user), id, ct));
}
