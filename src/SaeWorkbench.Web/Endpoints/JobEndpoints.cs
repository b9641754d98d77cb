using System.Security.Claims;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

public static class JobEndpoints
{
    public static IEndpointRouteBuilder MapJobEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/jobs").TranslatesRefusals().WithTags("Jobs");
        api.MapGet("/", List).WithSummary("The latest jobs.");
        api.MapGet("/{id:long}", Get).WithSummary("One job.");
        api.MapPost("/", Create).RequirePermission(WorkbenchAction.QueueJob).WithSummary("Queue a job (kind + parameters).");
        api.MapPost("/{id:long}/cancel", Cancel).RequirePermission(WorkbenchAction.QueueJob).WithSummary("Cancel a queued or running job.");
        return app;
    }

    /// <summary>A job to queue; <c>Requires</c> (cpu | cuda) restricts it to runners declaring that capability.</summary>
    public sealed record CreateJobRequest(string Kind, JsonElement? Parameters, string? Requires = null);

    public static async Task<Ok<IReadOnlyList<JobSnapshot>>> List(JobService jobs, CancellationToken ct) =>
        TypedResults.Ok(await jobs.ListAsync(100, ct));

    public static async Task<Results<Ok<JobSnapshot>, NotFound>> Get(long id, JobService jobs, CancellationToken ct) =>
        await jobs.GetAsync(id, ct) is { } j ? TypedResults.Ok(j) : TypedResults.NotFound();

    public static async Task<Results<Created<JobSnapshot>, ValidationProblem>> Create(CreateJobRequest request, JobService jobs,
        ClaimsPrincipal user, UserManager<WorkbenchUser> users, CancellationToken ct)
    {
        // A refused job (JobValidationException) answers 400 with its errors under "job" through RefusalFilter.
        var job = await jobs.EnqueueAsync(request.Kind, request.Parameters?.GetRawText() ?? "{}", users.GetUserId(user), request.Requires, ct);
        return TypedResults.Created($"/api/jobs/{job.Id}", job);
    }

    /// <summary>Owners cancel their jobs; roles that may cancel anyone's (<see cref="WorkbenchAction.CancelAnyJob"/>) cancel any.</summary>
    public static async Task<Results<NoContent, NotFound, ProblemHttpResult>> Cancel(long id, JobService jobs, ClaimsPrincipal user, CancellationToken ct)
    {
        var job = await jobs.GetAsync(id, ct);
        if (job is null) return TypedResults.NotFound();
        var actor = OutcomeResults.ActorOf(user);
        if (!JobService.CanCancel(job, actor)) return OutcomeResults.Forbidden(actor.Role, WorkbenchAction.CancelAnyJob);
        return await jobs.CancelAsync(id, ct) ? TypedResults.NoContent() : TypedResults.NotFound();
    }
}
