using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Explanations.Providers;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Machine explanations (docs/science.md §13): the provider settings (Admins; the key goes in, never out), the cost
/// estimate of an explain or score job, and scores. Jobs themselves are queued through /api/jobs (kinds "explain"
/// and "score").
/// </summary>
public static class ExplanationEndpoints
{
    public static IEndpointRouteBuilder MapExplanationEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/explanations").TranslatesRefusals().WithTags("Explanations");
        api.MapGet("/provider", GetProvider).RequirePermission(WorkbenchAction.ManageExplanationProvider).WithSummary("The explanation provider settings: a registered local model or an OpenAI-compatible endpoint (never the key).");
        api.MapGet("/provider/models", LocalModels).RequirePermission(WorkbenchAction.ManageExplanationProvider).WithSummary("The registered models a local provider can use, each with why it cannot when it cannot (no chat template).");
        api.MapPut("/provider", PutProvider).RequirePermission(WorkbenchAction.ManageExplanationProvider).WithSummary("Change the provider; apiKey null keeps, empty removes.");
        api.MapPost("/estimate/{kind}", Estimate).RequirePermission(WorkbenchAction.QueueJob).WithSummary("Requests, tokens and time an explain or score job would take.");
        api.MapGet("/scores/{dictionaryId:long}/{scorer}", Distribution).WithSummary("Score histogram of a dictionary, people vs models.");
        return app;
    }

    public static async Task<Ok<ProviderSettingsView>> GetProvider(ProviderSettingsService providers, CancellationToken ct) =>
        TypedResults.Ok(await providers.GetAsync(ct));

    public static async Task<Ok<IReadOnlyList<LocalModelOption>>> LocalModels(ProviderSettingsService providers, CancellationToken ct) =>
        TypedResults.Ok(await providers.LocalModelsAsync(ct));

    public static async Task<Results<Ok<ProviderSettingsView>, ValidationProblem, UnauthorizedHttpResult>> PutProvider(ProviderSettingsInput input,
        ProviderSettingsService providers, ClaimsPrincipal user, CancellationToken ct)
    {
        if (Actor.From(user) is not { } actor) return TypedResults.Unauthorized();
        var result = await providers.UpdateAsync(actor, input, ct);
        return result.Succeeded ? TypedResults.Ok(result.Value!) : TypedResults.ValidationProblem(result.Validation.ToProblemErrors());
    }

    public static async Task<Results<Ok<ExplanationEstimate>, ValidationProblem>> Estimate(string kind, ExplanationJobRequest request,
        ExplanationEstimator estimator, CancellationToken ct) =>
        TypedResults.Ok(await estimator.EstimateAsync(kind, request, ct));

    public static async Task<Results<Ok<ScoreDistribution>, ValidationProblem>> Distribution(long dictionaryId, string scorer,
        ExplanationScoreReader scores, CancellationToken ct) =>
        Scorers.All.Contains(scorer)
            ? TypedResults.Ok(await scores.DistributionAsync(dictionaryId, scorer, ct))
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["scorer"] = [$"use {string.Join(" or ", Scorers.All)}"] });
}
