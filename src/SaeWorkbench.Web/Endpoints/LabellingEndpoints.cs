using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;
using static SaeWorkbench.Web.Endpoints.OutcomeResults;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// The labelling REST API. Handlers are thin: the policy on each write answers 401/403 early,
/// and <see cref="LabellingService"/> authorises again from the caller's role and applies the rules.
/// </summary>
public static partial class LabellingEndpoints
{
    public static IEndpointRouteBuilder MapLabellingEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api").WithTags("Labelling");
        api.MapGet("/dictionaries/{dictionaryId:long}/latents", ListLatents)
            .WithName("ListLatents").WithSummary("A dictionary's latents with their consensus labels, by index (paged; status filters).");
        api.MapGet("/latents/{latentId:long}", GetLatent)
            .WithName("GetLatent").WithSummary("A latent's labelling panel: consensus, interpretations in display order, comments.");
        api.MapGet("/latents/{latentId:long}/interpretations", ListInterpretations)
            .WithName("ListInterpretations").WithSummary("A latent's interpretations, accepted first then by score, with the caller's vote.");
        api.MapGet("/interpretations/{id:long}/versions", GetVersions)
            .WithName("GetInterpretationVersions").WithSummary("Every saved version of an interpretation, oldest first.");

        var writes = api.MapGroup("").RequireRateLimiting(LabellingApiServices.WritePolicy);
        writes.MapPost("/latents/{latentId:long}/interpretations", CreateInterpretation).RequirePermission(WorkbenchAction.WriteInterpretation)
            .WithName("CreateInterpretation").WithSummary("Write an interpretation of a latent (Labeler).");
        writes.MapPut("/interpretations/{id:long}", EditInterpretation).RequirePermission(WorkbenchAction.EditOwnInterpretation)
            .WithName("EditInterpretation").WithSummary("Save a new version of your interpretation; 409 with both versions if baseVersion is stale (Labeler, author only).");
        writes.MapDelete("/interpretations/{id:long}", DeleteInterpretation).RequirePermission(WorkbenchAction.Delete)
            .WithName("DeleteInterpretation").WithSummary("Soft-delete an interpretation (Admin).");
        writes.MapPut("/interpretations/{id:long}/vote", Vote).RequirePermission(WorkbenchAction.Vote)
            .WithName("Vote").WithSummary("Cast or change your vote: +1 or -1 (Labeler; not on your own).");
        writes.MapDelete("/interpretations/{id:long}/vote", RetractVote).RequirePermission(WorkbenchAction.Vote)
            .WithName("RetractVote").WithSummary("Retract your vote (Labeler).");
        writes.MapPost("/interpretations/{id:long}/review", Review).RequirePermission(WorkbenchAction.Review)
            .WithName("Review").WithSummary("Accept, reject (reason required) or reset to pending someone else's interpretation (Reviewer).");
        writes.MapPost("/latents/{latentId:long}/comments", Comment).RequirePermission(WorkbenchAction.Comment)
            .WithName("Comment").WithSummary("Comment on a latent or one of its interpretations; @mentions notify (Labeler).");

        MapAudit(api);
        return app;
    }

    public sealed record InterpretationRequest(string? Label, string? Description, string? Tag, int Confidence);

    public sealed record EditRequest(int BaseVersion, string? Label, string? Description, string? Tag, int Confidence);

    public sealed record VoteRequest(int Value);

    public static async Task<Results<Ok<Page<LatentSummary>>, ValidationProblem, ProblemHttpResult>> ListLatents(
        long dictionaryId, LabellingService labelling, int? skip, int? take, LabelStatus? status, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.ListLatentsAsync(dictionaryId, skip ?? 0, take ?? 100, status, ct, Actor.From(user)));

    public static async Task<Results<Ok<LatentLabelling>, ValidationProblem, ProblemHttpResult>> GetLatent(
        long latentId, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.GetLatentAsync(Actor.From(user), latentId, ct));

    public static async Task<Results<Ok<IReadOnlyList<InterpretationView>>, ValidationProblem, ProblemHttpResult>> ListInterpretations(
        long latentId, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct)
    {
        var panel = await labelling.GetLatentAsync(Actor.From(user), latentId, ct);
        return panel.Succeeded
            ? TypedResults.Ok(panel.Value!.Interpretations)
            : Answer(new Outcome<IReadOnlyList<InterpretationView>>(panel.Kind, null, panel.Validation));
    }

    public static async Task<Results<Ok<IReadOnlyList<VersionView>>, ValidationProblem, ProblemHttpResult>> GetVersions(
        long id, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.GetVersionsAsync(Actor.From(user), id, ct));

    public static async Task<Results<Created<InterpretationView>, ValidationProblem, ProblemHttpResult>> CreateInterpretation(
        long latentId, InterpretationRequest request, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await labelling.CreateInterpretationAsync(ActorOf(user), latentId,
            new InterpretationDraft(request.Label, request.Description, request.Confidence, request.Tag), ct);
        return Created(result, v => $"/api/interpretations/{v.Id}");
    }

    public static async Task<Results<Ok<EditOutcomeView>, Conflict<EditConflict>, ValidationProblem, ProblemHttpResult>> EditInterpretation(
        long id, EditRequest request, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await labelling.EditInterpretationAsync(ActorOf(user), id, request.BaseVersion,
            new InterpretationDraft(request.Label, request.Description, request.Confidence, request.Tag), ct);
        return result.Kind switch
        {
            OutcomeKind.Ok => TypedResults.Ok(result.Value!),
            OutcomeKind.Conflict => TypedResults.Conflict(result.Conflict!),
            OutcomeKind.Invalid => Invalid(result),
            _ => Problem(result),
        };
    }

    public static async Task<Results<Ok<InterpretationView>, ValidationProblem, ProblemHttpResult>> DeleteInterpretation(
        long id, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.DeleteInterpretationAsync(ActorOf(user), id, ct));

    public static async Task<Results<Ok<VoteOutcome>, ValidationProblem, ProblemHttpResult>> Vote(
        long id, VoteRequest request, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.VoteAsync(ActorOf(user), id, request.Value, ct));

    public static async Task<Results<Ok<VoteOutcome>, ValidationProblem, ProblemHttpResult>> RetractVote(
        long id, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct) =>
        Answer(await labelling.VoteAsync(ActorOf(user), id, null, ct));

    public static async Task<Results<Ok<InterpretationView>, ValidationProblem, ProblemHttpResult>> Review(
        long id, ReviewRequest request, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct)
    {
        if (!Enum.TryParse<ReviewStatus>(request.Decision, ignoreCase: true, out var decision) || !Enum.IsDefined(decision) || int.TryParse(request.Decision, out _))
            return TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["decision"] = ["The decision is Accepted, Rejected or Pending."] });
        return Answer(await labelling.ReviewAsync(ActorOf(user), id, decision, request.Reason, ct));
    }

    public static async Task<Results<Created<CommentView>, ValidationProblem, ProblemHttpResult>> Comment(
        long latentId, CommentRequest request, LabellingService labelling, ClaimsPrincipal user, CancellationToken ct)
    {
        var result = await labelling.AddCommentAsync(ActorOf(user), latentId, request.Body, request.InterpretationId, ct);
        return Created(result, v => $"/api/latents/{latentId}#comment-{v.Id}");
    }
}
