using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Web.Hosting;

namespace SaeWorkbench.Web.Endpoints;

/// <summary>A signed-in user's personal API tokens.</summary>
public static class ApiTokenEndpoints
{
    public static IEndpointRouteBuilder MapApiTokenEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/tokens").TranslatesRefusals().WithTags("API tokens");
        api.MapGet("/", List).WithName("ListApiTokens").WithSummary("Your API tokens (prefix, dates; never the secret).");
        api.MapPost("/", Create).WithName("CreateApiToken")
            .WithSummary("Create a token; the response is the only time it is shown. Needs a browser session, not a token.");
        api.MapDelete("/{id:long}", Revoke).WithName("RevokeApiToken").WithSummary("Revoke a token; it answers 401 from then on.");
        return app;
    }

    public sealed record CreateTokenRequest(string? Name);

    public static async Task<Ok<IReadOnlyList<ApiTokenInfo>>> List(ApiTokenService tokens, ClaimsPrincipal user, CancellationToken ct) =>
        TypedResults.Ok(await tokens.ListAsync(OutcomeResults.ActorOf(user), ct));

    /// <summary>A token cannot mint further tokens, so a leaked one cannot outlive its revocation.</summary>
    public static async Task<Results<Created<CreatedApiToken>, ValidationProblem, ProblemHttpResult>> Create(
        CreateTokenRequest request, ApiTokenService tokens, ClaimsPrincipal user, CancellationToken ct)
    {
        if (ApiTokenAuthentication.IsTokenRequest(user))
            return TypedResults.Problem("Create API tokens from a signed-in browser session, not with another token.", statusCode: StatusCodes.Status403Forbidden);
        var result = await tokens.CreateAsync(OutcomeResults.ActorOf(user), request.Name, ct);
        return OutcomeResults.Created(result, v => $"/api/tokens/{v.Info.Id}");
    }

    public static async Task<Results<Ok<ApiTokenInfo>, ValidationProblem, ProblemHttpResult>> Revoke(
        long id, ApiTokenService tokens, ClaimsPrincipal user, CancellationToken ct) =>
        OutcomeResults.Answer(await tokens.RevokeAsync(OutcomeResults.ActorOf(user), id, ct));
}
