using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.AspNetCore.Mvc;
using SaeWorkbench.Data.Accounts;

namespace SaeWorkbench.Web.Endpoints;

public static class AccountEndpoints
{
    public static IEndpointRouteBuilder MapAccountEndpoints(this IEndpointRouteBuilder app)
    {
        // A form post with the antiforgery token (the layout's log-out button).
        app.MapPost("/account/logout", Logout).WithTags("Account");
        return app;
    }

    public static async Task<RedirectHttpResult> Logout(SignInManager<WorkbenchUser> signIn, [FromForm] string? returnUrl)
    {
        await signIn.SignOutAsync();
        return TypedResults.LocalRedirect("/account/login");
    }
}
