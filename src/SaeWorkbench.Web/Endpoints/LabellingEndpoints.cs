using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Features;
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
        var api = app.MapGroup("/api").TranslatesRefusals().WithTags("Labelling");
        api.MapGet("/dictionaries/{dictionaryId:long}/latents", ListLatents)
            .WithName("ListLatents").WithSummary("A dictionary's latents as the feature list shows them: the same filters and sorts, paged by skip and take.")
            .WithDescription("Filters: q (text in labels, interpretations, top tokens and contexts), status (Unlabelled, Proposed, Accepted), tag, "
                             + "dead, dense (true/false), minDensity and maxDensity (fractions, 0.001 = 0.1 %), minScore (best explanation score, 0-1). "
                             + "sort: index, density, maxActivation, labelStatus or bestScore (scored latents only); desc=true reverses it. "
                             + "skip >= 0, take 1-" + FeatureQuery.MaxPageSize + " (default 100). Blind mode hides consensus labels and scores as on the page.");
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

    /// <summary>The feature list's read model (<see cref="FeatureCatalog"/>) over HTTP; malformed filters are refused by name.</summary>
    public static async Task<Results<Ok<Page<LatentListItem>>, ValidationProblem, ProblemHttpResult>> ListLatents(
        long dictionaryId, FeatureCatalog catalog, ClaimsPrincipal user, CancellationToken ct,
        string? skip = null, string? take = null, string? q = null, string? status = null, string? tag = null, string? sort = null, string? desc = null,
        string? dead = null, string? dense = null, string? minDensity = null, string? maxDensity = null, string? minScore = null)
    {
        var errors = new Dictionary<string, string[]>();
        int Int(string name, string? text, int fallback, int min, int max)
        {
            if (text is null) return fallback;
            if (int.TryParse(text, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var v) && v >= min && v <= max) return v;
            errors[name] = [$"{name} is a whole number from {min} to {max}."];
            return fallback;
        }
        bool? Bool(string name, string? text)
        {
            if (text is null) return null;
            if (bool.TryParse(text, out var v)) return v;
            errors[name] = [$"{name} is true or false."];
            return null;
        }
        double? Fraction(string name, string? text)
        {
            if (text is null) return null;
            if (double.TryParse(text, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var v) && v is >= 0 and <= 1) return v;
            errors[name] = [$"{name} is a number from 0 to 1."];
            return null;
        }
        TEnum? Named<TEnum>(string name, string? text, string choices) where TEnum : struct, Enum
        {
            if (text is null) return null;
            // Names only: Enum.TryParse also takes numbers, which are not part of the API.
            if (!text.Any(char.IsDigit) && Enum.TryParse<TEnum>(text, ignoreCase: true, out var v) && Enum.IsDefined(v)) return v;
            errors[name] = [$"{name} is one of {choices}."];
            return null;
        }
        var from = Int("skip", skip, 0, 0, int.MaxValue - FeatureQuery.MaxPageSize);
        var count = Int("take", take, 100, 1, FeatureQuery.MaxPageSize);
        var query = new FeatureQuery
        {
            Search = q, Tag = tag,
            Status = Named<LabelStatus>("status", status, "Unlabelled, Proposed, Accepted"),
            Sort = Named<FeatureSort>("sort", sort, "index, density, maxActivation, labelStatus, bestScore") ?? FeatureSort.Index,
            Descending = Bool("desc", desc) ?? false,
            Dead = Bool("dead", dead), Dense = Bool("dense", dense),
            MinDensity = Fraction("minDensity", minDensity), MaxDensity = Fraction("maxDensity", maxDensity), MinScore = Fraction("minScore", minScore),
        };
        if (errors.Count > 0) return TypedResults.ValidationProblem(errors);
        var (rows, total) = await catalog.RangeAsync(dictionaryId, query, from, count, Actor.From(user), ct);
        if (total == 0 && !await catalog.DictionaryExistsAsync(dictionaryId, ct))
            return Problem(Outcome<Page<LatentListItem>>.NotFound($"Dictionary {dictionaryId}"));
        return TypedResults.Ok(new Page<LatentListItem>(rows.Select(LatentListItem.From).ToList(), total, from, count));
    }

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
