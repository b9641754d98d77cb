using SaeWorkbench.Research.Labelling;
using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Ml.Lm.Generation;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Research.Steering;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Steering over REST (docs/science.md §7): a comparison, a strength sweep, the saved comparisons. Runs are checked and
/// queued by <see cref="SteeringService"/> exactly as from the page; a spent model-pass budget answers 429 with
/// Retry-After (the rate-limit middleware), a full model queue 503.
/// </summary>
public static class SteeringEndpoints
{
    public static IEndpointRouteBuilder MapSteeringEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/steering").TranslatesRefusals().WithTags("Steering");
        api.MapPost("/runs", Run).RequirePermission(WorkbenchAction.RunSteering)
            .WithSummary("Baseline and intervened continuations of a prompt, sampled in one batch with the same seed.");
        api.MapPost("/sweeps", Sweep).RequirePermission(WorkbenchAction.RunSteering)
            .WithSummary("A strength sweep: the baseline and one continuation per strength, in one batch with the same seed.");
        api.MapGet("/comparisons", List).RequireAuthorization()
            .WithSummary("Saved comparisons, newest first; search matches titles, tags and prompts, or filter by dictionary and latent.");
        api.MapGet("/comparisons/{id:long}", Get).RequireAuthorization().WithSummary("A saved comparison with its settings, outputs and reviews.");
        return app;
    }

    public static Task<Results<Ok<SteeringRun>, ValidationProblem, UnauthorizedHttpResult, ProblemHttpResult>> Run(
        SteeringRequest request, SteeringService steering, ClaimsPrincipal user, CancellationToken ct) =>
        Refusals(user, actor => steering.RunAsync(actor, request, ct: ct));

    public static Task<Results<Ok<SteeringSweepRun>, ValidationProblem, UnauthorizedHttpResult, ProblemHttpResult>> Sweep(
        SteeringSweepRequest request, SteeringService steering, ClaimsPrincipal user, CancellationToken ct) =>
        Refusals(user, actor => steering.SweepAsync(actor, request, ct: ct));

    public static async Task<Ok<IReadOnlyList<SteeringComparisonSummary>>> List(SteeringService steering, string? search = null,
        long? dictionaryId = null, int? latent = null, int take = 50, CancellationToken ct = default) =>
        TypedResults.Ok(await steering.ListAsync(search, dictionaryId, latent, take, ct));

    public static async Task<Results<Ok<SteeringComparisonView>, NotFound>> Get(long id, SteeringService steering, CancellationToken ct) =>
        await steering.GetAsync(id, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();

    /// <summary>A run as the signed-in caller; its refusals (400 per field, 403, 429, 503) are answered by RefusalFilter.</summary>
    private static async Task<Results<Ok<T>, ValidationProblem, UnauthorizedHttpResult, ProblemHttpResult>> Refusals<T>(
        ClaimsPrincipal user, Func<Actor, Task<T>> run) =>
        Actor.From(user) is not { } actor ? TypedResults.Unauthorized() : TypedResults.Ok(await run(actor));
}
