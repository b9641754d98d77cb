using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Analysis;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>
/// Running a text through a dictionary: which latents fire on each token (the "what fires" page's API). Any signed-in
/// user; each call is one model pass against the caller's budget (a spent budget answers 429, LabellingApiServices).
/// </summary>
public static class AnalysisEndpoints
{
    /// <summary>The text to run and how many latents to list per token (1–20, default 5).</summary>
    public sealed record WhatFiresRequest(string? Text, int? PerToken);

    public static IEndpointRouteBuilder MapAnalysisEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/dictionaries").TranslatesRefusals().WithTags("Analysis");
        api.MapPost("/{dictionaryId:long}/what-fires", WhatFires).RequireAuthorization()
            .WithName("WhatFires")
            .WithSummary("Which latents fire on a text: each token's strongest latents with their labels (hidden ones omitted in blind mode), and the strongest over the text.");
        return app;
    }

    public static async Task<Results<Ok<WhatFiresResult>, ValidationProblem, ProblemHttpResult, UnauthorizedHttpResult>> WhatFires(
        long dictionaryId, WhatFiresRequest request, WhatFiresService service, ClaimsPrincipal user, CancellationToken ct)
    {
        if (Actor.From(user) is not { } actor) return TypedResults.Unauthorized();
        // Refusals (a bad text or perToken 400, an unknown dictionary 404, one that cannot be run 409) through RefusalFilter.
        return TypedResults.Ok(await service.RunAsync(actor, dictionaryId, request.Text, request.PerToken ?? 5, ct));
    }
}
