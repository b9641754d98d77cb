using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;
using static SaeWorkbench.Web.Endpoints.OutcomeResults;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// The crowd-labelling REST API — scopes, "next", skip, progress, agreement and detection ratings. The
/// policy on each route answers 401/403 early; the services authorise again from the caller's role and audit.
/// </summary>
public static class CrowdEndpoints
{
    public static IEndpointRouteBuilder MapCrowdEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").TranslatesRefusals().WithTags("Crowd labelling");
        api.MapGet("/scopes", ListScopes).RequireAuthorization()
            .WithName("ListScopes").WithSummary("Labelling scopes, newest first (optionally of one dictionary).");
        api.MapGet("/scopes/{scopeId:long}/progress", Progress).RequireAuthorization()
            .WithName("ScopeProgress").WithSummary("Progress of a scope (latents with N labels, some, none) and of each person.");
        api.MapGet("/scopes/{scopeId:long}/agreement", ScopeAgreement).RequireAuthorization()
            .WithName("ScopeAgreement").WithSummary("Krippendorff's alpha on tags (nominal) and confidence (interval), per scope and labeller pair, and per labeller.");
        api.MapGet("/scopes/{scopeId:long}/look", Look).RequirePermission(WorkbenchAction.LabelInQueue)
            .WithName("QueueLook").WithSummary("What the queue would hand the caller, claiming nothing: their held latent or the next one, progress, dense latents left out (Labeler).");
        api.MapGet("/scopes/{scopeId:long}/submissions", MySubmissions).RequirePermission(WorkbenchAction.LabelInQueue)
            .WithName("MyQueueSubmissions").WithSummary("The caller's own interpretations of the scope's latents, newest first (Labeler).");
        api.MapGet("/scopes/{scopeId:long}/reviews", PendingReviews).RequirePermission(WorkbenchAction.Review)
            .WithName("ScopeReviewQueue").WithSummary("Interpretations of the scope's latents awaiting review, oldest first, without the caller's own (Reviewer).");
        api.MapGet("/interpretations/{id:long}/detection", DetectionScore).RequireAuthorization()
            .WithName("DetectionScore").WithSummary("An interpretation's human detection score: balanced accuracy, precision, recall over all ratings.");

        var writes = api.MapGroup("").RequireRateLimiting(LabellingApiServices.WritePolicy);
        writes.MapPost("/scopes", CreateScope).RequirePermission(WorkbenchAction.ManageScopes)
            .WithName("CreateScope").WithSummary("Make a labelling scope from a dictionary, a saved filter or a list of indices (Reviewer).");
        writes.MapPost("/scopes/{scopeId:long}/next", Next).RequirePermission(WorkbenchAction.LabelInQueue)
            .WithName("QueueNext").WithSummary("Claim the next latent to label in a scope (Labeler); 200 with a null assignment when none is left.");
        writes.MapPut("/scopes/{scopeId:long}/submissions/{interpretationId:long}", EditSubmission).RequirePermission(WorkbenchAction.EditOwnInterpretation)
            .WithName("EditQueueSubmission").WithSummary("Back: edit your own interpretation of a latent of the scope as a new version (409 on a stale baseVersion).");
        writes.MapPost("/scopes/{scopeId:long}/reviews/{interpretationId:long}", ReviewInScope).RequirePermission(WorkbenchAction.Review)
            .WithName("ScopeReviewDecision").WithSummary("Accept or reject (reason required) an interpretation from the scope's reviewer queue (Reviewer).");
        writes.MapPost("/scopes/{scopeId:long}/skip", Skip).RequirePermission(WorkbenchAction.LabelInQueue)
            .WithName("QueueSkip").WithSummary("Skip a latent of the scope with a reason (Labeler).");
        writes.MapPost("/interpretations/{id:long}/detection/open", OpenRating).RequirePermission(WorkbenchAction.RateDetection)
            .WithName("OpenDetectionRating").WithSummary("The 20 contexts to rate for an interpretation, without activations (Labeler; not your own).");
        writes.MapPost("/interpretations/{id:long}/detection", Rate).RequirePermission(WorkbenchAction.RateDetection)
            .WithName("RateDetection").WithSummary("Submit which contexts (by position) match the interpretation; once per rater.");
        return app;
    }

    public sealed record RatingRequest(IReadOnlyList<int>? Matching);

    public static async Task<Ok<IReadOnlyList<ScopeView>>> ListScopes(LabellingQueueService queue, long? dictionaryId, CancellationToken ct) =>
        TypedResults.Ok(await queue.ListScopesAsync(dictionaryId, ct));

    public static async Task<Results<Created<ScopeView>, ValidationProblem, ProblemHttpResult>> CreateScope(
        ScopeRequest request, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await queue.CreateScopeAsync(ActorOf(user), request, ct);
        return Created(result, v => $"/api/scopes/{v.Id}");
    }

    /// <summary><c>?includeDense=true</c> also hands out dense latents (left out by default).</summary>
    public static async Task<Results<Ok<QueueNext>, ValidationProblem, ProblemHttpResult>> Next(
        long scopeId, bool? includeDense, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await queue.NextAsync(ActorOf(user), scopeId, includeDense ?? false, ct));

    public static async Task<Results<Ok<QueueLook>, ValidationProblem, ProblemHttpResult>> Look(
        long scopeId, bool? includeDense, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await queue.LookAsync(ActorOf(user), scopeId, includeDense ?? false, ct));

    public static async Task<Results<Ok<IReadOnlyList<QueueSubmission>>, ValidationProblem, ProblemHttpResult>> MySubmissions(
        long scopeId, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await queue.MySubmissionsAsync(ActorOf(user), scopeId, ct));

    public static async Task<Results<Ok<EditOutcomeView>, ValidationProblem, ProblemHttpResult>> EditSubmission(
        long scopeId, long interpretationId, SubmissionEditRequest request, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await queue.EditSubmissionAsync(ActorOf(user), scopeId, interpretationId, request.BaseVersion,
            new InterpretationDraft(request.Label, request.Description, request.Confidence, request.Tag), ct));

    public static async Task<Results<Ok<IReadOnlyList<ReviewQueueItem>>, ValidationProblem, ProblemHttpResult>> PendingReviews(
        long scopeId, ReviewQueueService reviews, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await reviews.PendingAsync(ActorOf(user), scopeId, ct));

    public static async Task<Results<Ok<InterpretationView>, ValidationProblem, ProblemHttpResult>> ReviewInScope(
        long scopeId, long interpretationId, QueueReviewRequest request, ReviewQueueService reviews, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await reviews.DecideAsync(ActorOf(user), scopeId, interpretationId, request.Decision, request.Reason, ct));

    public static async Task<Results<Ok<QueueProgress>, ValidationProblem, ProblemHttpResult>> Skip(
        long scopeId, SkipRequest request, bool? includeDense, LabellingQueueService queue, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await queue.SkipAsync(ActorOf(user), scopeId, request.LatentId, request.Reason, includeDense ?? false, ct));

    public static async Task<Results<Ok<ScopeProgressView>, ValidationProblem, ProblemHttpResult>> Progress(
        long scopeId, LabellingQueueService queue, CancellationToken ct) =>
        Answer(await queue.ProgressAsync(scopeId, ct));

    public static async Task<Results<Ok<ScopeAgreementView>, NotFound>> ScopeAgreement(long scopeId, AgreementService agreement, CancellationToken ct) =>
        await agreement.ForScopeAsync(scopeId, ct) is { } view ? TypedResults.Ok(view) : TypedResults.NotFound();

    /// <summary>An interpretation the caller may not see answers as one without ratings (as an unused id does).</summary>
    public static async Task<Ok<DetectionScore>> DetectionScore(long id, DetectionScoringService detection, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok((await detection.ScoresAsync(Actor.From(user), [id], ct)).GetValueOrDefault(id) ?? DetectionScoring.Score([]));

    public static async Task<Results<Ok<DetectionSessionView>, ValidationProblem, ProblemHttpResult>> OpenRating(
        long id, DetectionScoringService detection, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await detection.OpenAsync(ActorOf(user), id, ct));

    public static async Task<Results<Ok<DetectionScoreView>, ValidationProblem, ProblemHttpResult>> Rate(
        long id, RatingRequest request, DetectionScoringService detection, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await detection.SubmitAsync(ActorOf(user), id, request.Matching ?? [], ct));
}
