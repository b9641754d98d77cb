using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// The role × endpoint × hub-method matrix. Every endpoint of the running app (from its <see cref="EndpointDataSource"/>) and
/// every public hub method (by reflection) must be in the tables below, which name the least role that may call it; each is
/// called as Admin, Reviewer, Labeler, Viewer and anonymously, and the roles below that must be refused (401/403, or the
/// log-in / access-denied page) while the others are let through. A new endpoint or hub method fails until it is added here.
/// </summary>
public sealed class RoleMatrixTests(RoleMatrixTests.Fixture f) : IClassFixture<RoleMatrixTests.Fixture>
{
    private const string Anyone = "Anonymous";
    private const string User = WorkbenchRoles.Viewer;
    private const string Labeler = WorkbenchRoles.Labeler;
    private const string Reviewer = WorkbenchRoles.Reviewer;
    private const string Admin = WorkbenchRoles.Admin;

    /// <summary>Callers from least to most privileged.</summary>
    private static readonly string[] Callers = [Anyone, User, Labeler, Reviewer, Admin];

    /// <summary>"METHOD route pattern" → the least role that may call it. Pages are called with GET only.</summary>
    public static readonly IReadOnlyDictionary<string, string> EndpointTable = new Dictionary<string, string>
    {
        ["GET /"] = User,
        ["GET /_blazor"] = User,
        ["GET /_blazor/disconnect/"] = User,
        ["GET /_blazor/initializers/"] = User,
        ["GET /_blazor/negotiate"] = User,
        ["GET /_framework/opaque-redirect"] = User,
        ["GET /account/access-denied"] = User,
        ["GET /account/change-password"] = User,
        ["GET /account/login"] = Anyone,
        ["GET /account/logout-confirm"] = User,
        ["GET /account/register"] = Anyone,
        ["POST /account/logout"] = User,
        ["GET /admin/audit"] = Admin,
        ["GET /admin/settings"] = Admin,
        ["GET /admin/users"] = Admin,
        ["GET /admin/explanations"] = Admin,
        ["GET /dictionaries"] = User,
        ["GET /dictionaries/{DictionaryId:long}/explanations"] = User,
        ["GET /dictionaries/{DictionaryId:long}/features"] = User,
        ["GET /dictionaries/{DictionaryId:long}/features/{Index:int}"] = User,
        ["GET /error"] = Anyone,
        ["GET /exports"] = User,
        ["GET /features"] = User,
        ["GET /what-fires"] = User,
        ["GET /health"] = Anyone,
        ["GET /hubs/workbench"] = User,
        ["GET /hubs/workbench/negotiate"] = User,
        ["GET /jobs"] = User,
        ["GET /jobs/{Id:long}"] = User,
        ["GET /labelling"] = User,
        ["GET /labelling/rate/{InterpretationId:long}"] = User,
        ["GET /labelling/scopes/{ScopeId:long}/agreement"] = User,
        ["GET /labelling/scopes/{ScopeId:long}/queue"] = User,
        ["GET /labelling/scopes/{ScopeId:long}/reviews"] = User,
        ["GET /latents/{LatentId:long}"] = User,
        ["GET /models"] = User,
        ["GET /not-found"] = Anyone,
        ["GET /openapi/{documentName}.json"] = Anyone,
        ["GET /steering"] = User,
        ["GET /steering/{Id:long}"] = User,
        ["GET /api/admin/settings/labelling"] = Admin,
        ["PUT /api/admin/settings/labelling"] = Admin,
        ["GET /api/admin/users"] = Admin,
        ["GET /api/explanations/provider"] = Admin,
        ["GET /api/explanations/provider/models"] = Admin,
        ["PUT /api/explanations/provider"] = Admin,
        ["POST /api/explanations/estimate/{kind}"] = Labeler,
        ["GET /api/explanations/scores/{dictionaryId:long}/{scorer}"] = User,
        ["PUT /api/admin/users/{id}/role"] = Admin,
        ["GET /api/audit/"] = Admin,
        ["GET /api/audit/export"] = Admin,
        ["GET /api/dictionaries/"] = User,
        ["GET /api/dictionaries/{dictionaryId:long}"] = User,
        ["GET /api/dictionaries/{dictionaryId:long}/summary"] = User,
        ["GET /api/dictionaries/{dictionaryId:long}/features/{index:int}/dashboard"] = User,
        ["GET /api/dictionaries/{dictionaryId:long}/latents"] = User,
        ["POST /api/dictionaries/{dictionaryId:long}/what-fires"] = User,
        ["POST /api/dictionaries/{dictionaryId:long}/carryover/all"] = Admin,
        ["POST /api/dictionaries/{dictionaryId:long}/carryover/suggest"] = Reviewer,
        ["GET /api/exports"] = Reviewer,
        ["POST /api/exports"] = Reviewer,
        ["GET /api/exports/{jobId:long}/download"] = Reviewer,
        ["POST /api/imports"] = Admin,
        ["PUT /api/interpretations/{id:long}"] = Labeler,
        ["DELETE /api/interpretations/{id:long}"] = Admin,
        ["GET /api/interpretations/{id:long}/detection"] = User,
        ["POST /api/interpretations/{id:long}/detection"] = Labeler,
        ["POST /api/interpretations/{id:long}/detection/open"] = Labeler,
        ["POST /api/interpretations/{id:long}/review"] = Reviewer,
        ["GET /api/interpretations/{id:long}/versions"] = User,
        ["PUT /api/interpretations/{id:long}/vote"] = Labeler,
        ["DELETE /api/interpretations/{id:long}/vote"] = Labeler,
        ["GET /api/jobs/"] = User,
        ["POST /api/jobs/"] = Labeler,
        ["GET /api/jobs/{id:long}"] = User,
        ["POST /api/jobs/{id:long}/cancel"] = Labeler,
        ["GET /api/latents/{latentId:long}"] = User,
        ["POST /api/latents/{latentId:long}/comments"] = Labeler,
        ["GET /api/latents/{latentId:long}/interpretations"] = User,
        ["POST /api/latents/{latentId:long}/interpretations"] = Labeler,
        ["GET /api/latents/{latentId:long}/suggestions"] = User,
        ["GET /api/latents/{latentId:long}/viewers"] = User,
        ["GET /api/models/"] = User,
        ["GET /api/models/found"] = Labeler,
        ["POST /api/models/"] = Admin,
        ["PUT /api/models/{id:long}/compute-dtype"] = Admin,
        ["DELETE /api/models/{id:long}"] = Admin,
        ["GET /api/notifications/"] = User,
        ["POST /api/notifications/read-all"] = User,
        ["POST /api/notifications/{id:long}/read"] = User,
        ["GET /api/scopes"] = User,
        ["POST /api/scopes"] = Reviewer,
        ["GET /api/scopes/{scopeId:long}/agreement"] = User,
        ["POST /api/scopes/{scopeId:long}/next"] = Labeler,
        ["GET /api/scopes/{scopeId:long}/progress"] = User,
        ["POST /api/scopes/{scopeId:long}/skip"] = Labeler,
        ["GET /api/scopes/{scopeId:long}/look"] = Labeler,
        ["GET /api/scopes/{scopeId:long}/submissions"] = Labeler,
        ["PUT /api/scopes/{scopeId:long}/submissions/{interpretationId:long}"] = Labeler,
        ["GET /api/scopes/{scopeId:long}/reviews"] = Reviewer,
        ["POST /api/scopes/{scopeId:long}/reviews/{interpretationId:long}"] = Reviewer,
        ["POST /api/suggestions/{id:long}/accept"] = Labeler,
        ["POST /api/suggestions/{id:long}/reject"] = Labeler,
        ["GET /api/steering/comparisons"] = User,
        ["GET /api/steering/comparisons/{id:long}"] = User,
        ["POST /api/steering/runs"] = Labeler,
        ["POST /api/steering/sweeps"] = Labeler,
        ["GET /api/tokens/"] = User,
        ["POST /api/tokens/"] = User,
        ["DELETE /api/tokens/{id:long}"] = User,
    };

    /// <summary>Public hub method → the least role that may call it (connecting at all needs a signed-in user).</summary>
    public static readonly IReadOnlyDictionary<string, string> HubTable = new Dictionary<string, string>
    {
        ["Comment"] = Labeler,
        ["CreateInterpretation"] = Labeler,
        ["DeleteInterpretation"] = Admin,
        ["EditInterpretation"] = Labeler,
        ["GetLatentViewers"] = User,
        ["GetOnlineUsers"] = User,
        ["JoinLatent"] = User,
        ["LeaveLatent"] = User,
        ["MarkNotificationRead"] = User,
        ["Review"] = Reviewer,
        ["Vote"] = Labeler,
    };

    public sealed class Fixture : IAsyncLifetime
    {
        public ClientAddressHost Host { get; } = new(
            ("Workbench:RateLimits:WritesPerMinute", "100000"),
            ("Workbench:RateLimits:JobsPerMinute", "100000"),
            ("Workbench:RateLimits:TokensPerMinute", "100000"));

        /// <summary>Role → the Cookie header of a signed-in user in that role (none for anonymous).</summary>
        public Dictionary<string, string?> Cookies { get; } = new() { [Anyone] = null };

        /// <summary>Role → an API token of that user (for the hub).</summary>
        public Dictionary<string, string> Tokens { get; } = [];

        public async Task InitializeAsync()
        {
            foreach (var role in new[] { Admin, Reviewer, Labeler, User })
            {
                var name = "matrix-" + role.ToLowerInvariant();
                await using (var scope = Host.Services.CreateAsyncScope())
                {
                    var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
                    var (user, errors) = await accounts.RegisterAsync(name, "password1");
                    Assert.True(user is not null, string.Join("; ", errors));
                    Assert.Empty(await accounts.SetRoleAsync(user!.Id, role));
                    var actor = new Research.Labelling.Services.Actor(user.Id, name, WorkbenchRoles.Highest([role]));
                    Tokens[role] = (await Host.Services.GetRequiredService<Research.Labelling.Services.ApiTokenService>().CreateAsync(actor, "matrix")).Value!.Token;
                }
                var client = Host.CreateBrowserlikeClient();
                var login = await WorkbenchFactory.LoginAsync(client, name, "password1");
                Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
                Cookies[role] = string.Join("; ", login.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]));
            }
        }

        public Task DisposeAsync()
        {
            Host.Dispose();
            return Task.CompletedTask;
        }
    }

    /// <summary>One callable endpoint: its table key, the method and a URL with made-up route values.</summary>
    private sealed record Call(string Key, string Method, string Url, bool IsPage);

    private IReadOnlyList<Call> AppEndpoints()
    {
        var calls = new List<Call>();
        foreach (var endpoint in f.Host.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var pattern = endpoint.RoutePattern;
            if (IsStaticFile(endpoint)) continue;
            var isPage = endpoint.Metadata.GetMetadata<Microsoft.AspNetCore.Components.Endpoints.ComponentTypeMetadata>() is not null;
            var methods = endpoint.Metadata.GetMetadata<HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            foreach (var method in isPage ? ["GET"] : methods)
                calls.Add(new Call($"{method} {pattern.RawText}", method, UrlOf(pattern), isPage));
        }
        return calls.DistinctBy(c => c.Key).OrderBy(c => c.Key, StringComparer.Ordinal).ToList();
    }

    /// <summary>Files served as they are (scripts, styles, fonts): anonymous by design and not part of the matrix.</summary>
    private static bool IsStaticFile(RouteEndpoint endpoint) =>
        endpoint.Metadata.Any(m => m.GetType().Name.Contains("StaticAsset", StringComparison.Ordinal))
        || endpoint.RoutePattern.Parameters.Any(p => p.ParameterPolicies.Any(x => x.Content == "file"))
        || (endpoint.RoutePattern.PathSegments.LastOrDefault()?.Parts.LastOrDefault() is RoutePatternLiteralPart { Content: var last } && Path.HasExtension(last)
            && !last.EndsWith(".json", StringComparison.Ordinal));

    private static string UrlOf(RoutePattern pattern)
    {
        var url = new StringBuilder();
        foreach (var segment in pattern.PathSegments)
        {
            url.Append('/');
            foreach (var part in segment.Parts)
                url.Append(part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternSeparatorPart separator => separator.Content,
                    RoutePatternParameterPart p when p.ParameterPolicies.Any(x => x.Content is "long" or "int") => "987654321",
                    RoutePatternParameterPart p when p.Name == "documentName" => "v1",
                    RoutePatternParameterPart => "no-such-thing",
                    _ => "",
                });
        }
        return url.Length == 0 ? "/" : url.ToString();
    }

    private async Task<string> OutcomeAsync(Call call, string caller)
    {
        using var client = f.Host.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        var request = new HttpRequestMessage(new HttpMethod(call.Method), call.Url);
        if (f.Cookies[caller] is { } cookie) request.Headers.Add("Cookie", cookie);
        if (call.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
        using var response = await client.SendAsync(request);
        var location = response.Headers.Location?.OriginalString ?? "";
        return response.StatusCode switch
        {
            // A crash is neither: the made-up request must get an answer (a 400 for a bad body, a 404 for a missing id).
            >= HttpStatusCode.InternalServerError => "error",
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => "refused",
            HttpStatusCode.Redirect or HttpStatusCode.Found when location.Contains("/account/login", StringComparison.OrdinalIgnoreCase)
                                                               || location.Contains("/account/access-denied", StringComparison.OrdinalIgnoreCase) => "refused",
            _ => "allowed",
        } + $" ({(int)response.StatusCode})";
    }

    private static bool Admits(string least, string caller) => Array.IndexOf(Callers, caller) >= Array.IndexOf(Callers, least);

    [Fact]
    public void Every_endpoint_of_the_app_is_in_the_table_and_every_row_of_the_table_is_an_endpoint()
    {
        var keys = AppEndpoints().Select(c => c.Key).ToHashSet();
        var missing = keys.Where(k => !EndpointTable.ContainsKey(k)).ToList();
        var stale = EndpointTable.Keys.Where(k => !keys.Contains(k)).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"Endpoints without a row (add them with the least role that may call them):\n{string.Join("\n", missing)}\nRows without an endpoint:\n{string.Join("\n", stale)}");
    }

    [Fact]
    public async Task Every_endpoint_admits_exactly_the_roles_its_row_names()
    {
        var wrong = new List<string>();
        foreach (var call in AppEndpoints().Where(c => EndpointTable.ContainsKey(c.Key)))
            foreach (var caller in Callers)
            {
                var outcome = await OutcomeAsync(call, caller);
                var expected = Admits(EndpointTable[call.Key], caller) ? "allowed" : "refused";
                if (!outcome.StartsWith(expected, StringComparison.Ordinal)) wrong.Add($"{call.Key} as {caller}: {outcome}, expected {expected}");
            }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>The hub's public methods, as a client sees them (not the connection events it overrides).</summary>
    private static IReadOnlyList<MethodInfo> HubMethods() =>
        typeof(WorkbenchHub).GetMethods(BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
            .Where(m => !m.IsSpecialName && m.GetBaseDefinition().DeclaringType == typeof(WorkbenchHub))
            .OrderBy(m => m.Name, StringComparer.Ordinal).ToList();

    [Fact]
    public void Every_public_hub_method_is_in_the_table_and_every_row_is_a_method()
    {
        var names = HubMethods().Select(m => m.Name).ToHashSet();
        var missing = names.Where(n => !HubTable.ContainsKey(n)).ToList();
        var stale = HubTable.Keys.Where(n => !names.Contains(n)).ToList();
        Assert.True(missing.Count == 0 && stale.Count == 0,
            $"Hub methods without a row:\n{string.Join("\n", missing)}\nRows without a method:\n{string.Join("\n", stale)}");
    }

    [Fact]
    public async Task Anonymous_callers_cannot_connect_to_the_hub()
    {
        var server = f.Host.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => connection.StartAsync());
        Assert.Equal(HttpStatusCode.Unauthorized, e.StatusCode);
    }

    [Fact]
    public async Task Every_hub_method_admits_exactly_the_roles_its_row_names()
    {
        var isService = f.Host.Services.GetRequiredService<IServiceProviderIsService>();
        var wrong = new List<string>();
        foreach (var caller in Callers.Skip(1))
        {
            await using var hub = await ConnectAsync(f.Tokens[caller]);
            foreach (var method in HubMethods().Where(m => HubTable.ContainsKey(m.Name)))
            {
                var args = method.GetParameters().Where(p => !isService.IsService(p.ParameterType)).Select(p => ArgumentFor(p.ParameterType)).ToArray();
                string outcome;
                try
                {
                    var answer = await hub.InvokeCoreAsync<System.Text.Json.JsonElement>(method.Name, args);
                    outcome = answer.ValueKind == System.Text.Json.JsonValueKind.Object && answer.TryGetProperty("outcome", out var o) && o.GetString() == "Forbidden"
                        ? "refused" : "allowed";
                }
                catch (HubException e)
                {
                    outcome = "error: " + e.Message;
                }
                var expected = Admits(HubTable[method.Name], caller) ? "allowed" : "refused";
                if (outcome != expected) wrong.Add($"{method.Name} as {caller}: {outcome}, expected {expected}");
            }
        }
        Assert.True(wrong.Count == 0, string.Join("\n", wrong));
    }

    /// <summary>A made-up argument of a hub parameter's type: ids that exist nowhere, a valid review decision, a short text.</summary>
    private static object? ArgumentFor(Type type) => type switch
    {
        _ when type == typeof(long) || type == typeof(int) => 987654321,
        _ when type == typeof(long?) || type == typeof(int?) => null,
        _ when type == typeof(string) => "Accepted",
        _ when type == typeof(HubInterpretation) => new HubInterpretation("matrix", "", null, 3),
        _ => throw new NotSupportedException($"The matrix has no made-up value for a hub parameter of type {type}; add one to ArgumentFor."),
    };

    private async Task<HubConnection> ConnectAsync(string token)
    {
        var server = f.Host.Server;
        var connection = new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
                o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }
}
