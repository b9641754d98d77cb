using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Hosting;

/// <summary>
/// <c>Authorization: Bearer sae_…</c> signs the request in as the token's owner with the
/// roles the owner has now (read on every request, so a role change or a revocation takes effect at
/// once). Requests without a bearer header keep using the Identity cookie.
/// </summary>
public static class ApiTokenAuthentication
{
    public const string Scheme = "ApiToken";

    /// <summary>The default scheme: picks the token handler for bearer requests, else the Identity cookie.</summary>
    public const string SelectorScheme = "WorkbenchAuth";

    /// <summary>Claim carrying the token's id (rate limits are partitioned by it).</summary>
    public const string TokenIdClaim = "api_token_id";

    public static IServiceCollection AddApiTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthentication(o =>
            {
                o.DefaultScheme = SelectorScheme;
                o.DefaultAuthenticateScheme = SelectorScheme;
                o.DefaultChallengeScheme = SelectorScheme;
                o.DefaultForbidScheme = SelectorScheme;
            })
            .AddPolicyScheme(SelectorScheme, "Identity cookie or API token", o => o.ForwardDefaultSelector = ctx =>
                HasBearer(ctx.Request) ? Scheme : IdentityConstants.ApplicationScheme)
            .AddScheme<AuthenticationSchemeOptions, ApiTokenAuthenticationHandler>(Scheme, "API token", _ => { });
        return services;
    }

    public static bool IsTokenRequest(ClaimsPrincipal user) => user.Identity?.AuthenticationType == Scheme;

    internal static bool HasBearer(HttpRequest request) =>
        request.Headers.Authorization.ToString().StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase);
}

public sealed class ApiTokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder,
    ApiTokenService tokens, UserManager<WorkbenchUser> users, IUserClaimsPrincipalFactory<WorkbenchUser> principals)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!ApiTokenAuthentication.HasBearer(Request)) return AuthenticateResult.NoResult();
        var token = Request.Headers.Authorization.ToString()["Bearer ".Length..].Trim();
        var owner = await tokens.ValidateAsync(token, Context.RequestAborted);
        if (owner is null) return AuthenticateResult.Fail("The API token is unknown or revoked.");
        var user = await users.FindByIdAsync(owner.UserId);
        if (user is null || await users.IsLockedOutAsync(user)) return AuthenticateResult.Fail("The token's account is locked or gone.");
        var identityPrincipal = await principals.CreateAsync(user);
        var claims = identityPrincipal.Claims.Append(new Claim(ApiTokenAuthentication.TokenIdClaim, owner.TokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        var principal = new ClaimsPrincipal(new ClaimsIdentity(claims, ApiTokenAuthentication.Scheme, ClaimTypes.Name, ClaimTypes.Role));
        return AuthenticateResult.Success(new AuthenticationTicket(principal, ApiTokenAuthentication.Scheme));
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Task.CompletedTask;
    }
}
