using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Web.Hosting;

/// <summary>
/// Refuses requests that another page made in the user's name (docs/architecture.md §9). The browser
/// attaches the session cookie to requests from any page of the same site — and a site ignores the port, so a page served
/// on another port of this host counts — which SameSite cannot stop. Checked here: every request to the hubs (the
/// workbench hub and Blazor's circuit hub, WebSocket upgrades included) and every unsafe request (POST, PUT, PATCH,
/// DELETE) that does not carry a bearer token. Such a request must come from this workbench's own origin
/// (<c>scheme://host:port</c> of the request) or one listed in <c>Workbench:AllowedOrigins</c>: judged by its
/// <c>Origin</c> header, else by <c>Sec-Fetch-Site</c>. A request with neither header is not from a browser page
/// (browsers send one of them on every such request) and passes. Bearer-token calls pass: a page cannot make the
/// browser add an Authorization header to another origin without CORS, which the workbench does not enable.
/// </summary>
public sealed class SameOriginRequests
{
    private static readonly string[] HubPaths = ["/hubs", "/_blazor"];

    private readonly RequestDelegate _next;
    private readonly ILogger<SameOriginRequests> _logger;
    private readonly HashSet<string> _allowed;

    public SameOriginRequests(RequestDelegate next, WorkbenchSettings settings, ILogger<SameOriginRequests> logger)
    {
        _next = next;
        _logger = logger;
        _allowed = new HashSet<string>(settings.AllowedOrigins.SelectMany(o => o.Split(',', ';')).Where(o => !string.IsNullOrWhiteSpace(o)).Select(ParseSetting), StringComparer.Ordinal);
    }

    public Task InvokeAsync(HttpContext http)
    {
        if (!NeedsCheck(http.Request) || IsSameOrigin(http.Request, out var seen)) return _next(http);
        _logger.LogWarning("Refused {Method} {Path}: it came from {Origin}, not from this workbench", http.Request.Method, http.Request.Path, seen);
        http.Response.StatusCode = StatusCodes.Status403Forbidden;
        return http.Response.WriteAsJsonAsync(new
        {
            title = "Cross-origin request refused",
            status = 403,
            detail = $"This request came from {seen}, not from this workbench's own pages. If the workbench is served at that address, add it to Workbench:AllowedOrigins.",
        });
    }

    private static bool NeedsCheck(HttpRequest request)
    {
        if (HubPaths.Any(p => request.Path.StartsWithSegments(p))) return !ApiTokenAuthentication.HasBearer(request);
        return !(HttpMethods.IsGet(request.Method) || HttpMethods.IsHead(request.Method) || HttpMethods.IsOptions(request.Method)
                 || HttpMethods.IsTrace(request.Method))
               && !ApiTokenAuthentication.HasBearer(request);
    }

    private bool IsSameOrigin(HttpRequest request, out string seen)
    {
        var origin = request.Headers.Origin.ToString();
        if (!string.IsNullOrEmpty(origin))
        {
            seen = $"the origin '{origin}'";
            var normalised = Normalise(origin);
            return normalised is not null && (normalised == Own(request) || _allowed.Contains(normalised));
        }
        var site = request.Headers["Sec-Fetch-Site"].ToString();
        seen = $"a {site} page";
        return site.Length == 0 || site is "same-origin" or "none";
    }

    private static string Own(HttpRequest request) => Normalise($"{request.Scheme}://{request.Host}") ?? "";

    /// <summary><c>scheme://host[:port]</c> in lower case without a default port, or null when it is not an http(s) origin ("null" included).</summary>
    internal static string? Normalise(string origin)
    {
        if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)) return null;
        return uri.IsDefaultPort ? $"{uri.Scheme}://{uri.IdnHost}" : $"{uri.Scheme}://{uri.IdnHost}:{uri.Port}";
    }

    private static string ParseSetting(string value)
    {
        var trimmed = value.Trim().TrimEnd('/');
        if (Normalise(trimmed) is not { } origin || !Uri.TryCreate(trimmed, UriKind.Absolute, out var uri) || uri.AbsolutePath != "/"
            || !string.IsNullOrEmpty(uri.Query))
            throw new InvalidOperationException(
                $"Workbench:AllowedOrigins: '{value}' is not an origin; write scheme://host[:port], e.g. https://workbench.example.org.");
        return origin;
    }
}

public static class SameOriginRequestsExtensions
{
    /// <summary>Refuses hub connections and cookie-authenticated writes that another origin's page made (see <see cref="SameOriginRequests"/>).</summary>
    public static IApplicationBuilder UseSameOriginRequests(this IApplicationBuilder app) => app.UseMiddleware<SameOriginRequests>();
}
