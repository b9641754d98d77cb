using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Components.Authorization;
using Microsoft.AspNetCore.Identity;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Web.Hosting;

/// <summary>
/// One authorization policy per <see cref="WorkbenchAction"/>, named after it (so an attribute can name it with
/// <c>nameof(WorkbenchAction.X)</c>), admitting the roles <see cref="Permissions"/> lets do it.
/// </summary>
public static class PermissionPolicies
{
    public static string For(WorkbenchAction action) => action.ToString();

    /// <summary>Answers 401/403 before the handler runs unless the caller's role may do <paramref name="action"/>.</summary>
    public static TBuilder RequirePermission<TBuilder>(this TBuilder builder, WorkbenchAction action) where TBuilder : IEndpointConventionBuilder =>
        builder.RequireAuthorization(For(action));

    internal static AuthorizationBuilder AddPermissionPolicies(this AuthorizationBuilder authorization)
    {
        foreach (var action in Enum.GetValues<WorkbenchAction>())
            authorization.AddPolicy(For(action), p => p.RequireRole(WorkbenchRoles.AtLeast(Permissions.LeastRole(action))));
        return authorization;
    }
}

public static class AuthExtensions
{
    public static WebApplicationBuilder AddWorkbenchAuth(this WebApplicationBuilder builder)
    {
        var services = builder.Services;
        services.AddCascadingAuthenticationState();
        services.AddIdentity<WorkbenchUser, IdentityRole>(o =>
            {
                o.User.RequireUniqueEmail = false;
                o.User.AllowedUserNameCharacters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._@";
                o.Password.RequiredLength = 8;
                o.Password.RequireNonAlphanumeric = false;
                o.Password.RequireUppercase = false;
                o.Password.RequireLowercase = true;
                o.Password.RequireDigit = true;
                // Failed log-ins never lock an account (the log-in page signs in with lockoutOnFailure: false and is throttled
                // per client instead, LoginThrottle): a lockout anyone can trigger locks everyone out. A lockout end set on
                // an account by other means is still honoured.
                o.Lockout.AllowedForNewUsers = true;
                o.SignIn.RequireConfirmedAccount = false;
            })
            .AddEntityFrameworkStores<WorkbenchDbContext>()
            .AddDefaultTokenProviders();
        // Role changes reach signed-in users within this interval, without signing them out.
        services.Configure<SecurityStampValidatorOptions>(o => o.ValidationInterval = TimeSpan.FromSeconds(30));
        services.ConfigureApplicationCookie(o =>
        {
            o.LoginPath = "/account/login";
            o.LogoutPath = "/account/logout";
            o.AccessDeniedPath = "/account/access-denied";
            o.Cookie.Name = "saeworkbench.auth";
            o.Cookie.HttpOnly = true;
            // Strict: no request started by another site carries the session, top-level navigations included (a link from
            // elsewhere opens the log-in page, or the page without the session, instead). Nothing here needs Lax: log-in, log-out and
            // the Blazor circuit are same-origin requests. "Site" ignores the port, so a page on another port of this host
            // is same-site and still gets the cookie: SameOriginRequests checks the Origin for that case.
            o.Cookie.SameSite = SameSiteMode.Strict;
            o.SlidingExpiration = true;
            o.ExpireTimeSpan = TimeSpan.FromDays(14);
            // APIs and hubs answer 401/403 instead of redirecting to a page.
            o.Events.OnRedirectToLogin = ctx => IsApi(ctx.Request) ? Status(ctx.Response, 401) : Redirect(ctx);
            o.Events.OnRedirectToAccessDenied = ctx => IsApi(ctx.Request) ? Status(ctx.Response, 403) : Redirect(ctx);
        });
        services.AddAuthorizationBuilder()
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build())
            .AddPermissionPolicies();
        return builder;
    }

    private static bool IsApi(HttpRequest r) => r.Path.StartsWithSegments("/api") || r.Path.StartsWithSegments("/hubs");

    private static Task Status(HttpResponse response, int code)
    {
        response.StatusCode = code;
        return Task.CompletedTask;
    }

    private static Task Redirect(Microsoft.AspNetCore.Authentication.RedirectContext<Microsoft.AspNetCore.Authentication.Cookies.CookieAuthenticationOptions> ctx)
    {
        ctx.Response.Redirect(ctx.RedirectUri);
        return Task.CompletedTask;
    }
}
