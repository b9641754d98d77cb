using Microsoft.AspNetCore.Http.HttpResults;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Web.Hosting;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Web.Endpoints;

public static class AdminEndpoints
{
    public static IEndpointRouteBuilder MapAdminEndpoints(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/admin").TranslatesRefusals().RequirePermission(WorkbenchAction.ManageUsers).WithTags("Admin");
        api.MapGet("/users", ListUsers).WithSummary("Every account with its role.");
        api.MapPut("/users/{id}/role", SetRole).WithSummary("Give an account a role.");
        return app;
    }

    public sealed record SetRoleRequest(string Role);

    public static async Task<Ok<IReadOnlyList<UserSummary>>> ListUsers(AccountService accounts) => TypedResults.Ok(await accounts.ListAsync());

    public static async Task<Results<NoContent, ValidationProblem>> SetRole(string id, SetRoleRequest request, AccountService accounts, System.Security.Claims.ClaimsPrincipal user)
    {
        var errors = await accounts.SetRoleAsync(OutcomeResults.ActorOf(user), id, request.Role);
        return errors.Count == 0
            ? TypedResults.NoContent()
            : TypedResults.ValidationProblem(new Dictionary<string, string[]> { ["role"] = errors.ToArray() });
    }
}
