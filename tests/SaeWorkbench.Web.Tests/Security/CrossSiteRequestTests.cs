using System.Net;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// A page on another origin — another port of the same host included, which SameSite does not separate — cannot use the
/// signed-in user's cookie: hub connections and cookie-authenticated writes must come from the workbench's own origin.
/// </summary>
public sealed class CrossSiteRequestTests(CrossSiteRequestTests.Fixture f) : IClassFixture<CrossSiteRequestTests.Fixture>
{
    private const string Evil = "http://localhost:9999";
    private const string Own = "http://localhost";

    public sealed class Fixture : IAsyncLifetime
    {
        public ClientAddressHost Host { get; } = new();
        public HttpClient Alice { get; private set; } = null!;
        public string Cookie { get; private set; } = "";
        public string Token { get; private set; } = "";
        public string AliceId { get; private set; } = "";

        public async Task InitializeAsync()
        {
            await Host.RegisterAsync("alice", "password1");
            Alice = Host.CreateBrowserlikeClient();
            var login = await WorkbenchFactory.LoginAsync(Alice, "alice", "password1");
            Assert.Equal(HttpStatusCode.Redirect, login.StatusCode);
            LoginCookies = login.Headers.GetValues("Set-Cookie").ToList();
            Cookie = string.Join("; ", LoginCookies.Select(c => c.Split(';')[0]));
            await using var db = Db();
            AliceId = (await db.Users.SingleAsync(u => u.UserName == "alice")).Id;
            var created = await Host.Services.GetRequiredService<ApiTokenService>().CreateAsync(new Actor(AliceId, "alice", Role.Admin), "script");
            Token = created.Value!.Token;
        }

        public List<string> LoginCookies { get; private set; } = [];

        public WorkbenchDbContext Db() => Host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

        public async Task<long> UnreadNotificationAsync()
        {
            await using var db = Db();
            var n = new Notification { UserId = AliceId, Text = "someone mentioned you" };
            db.Notifications.Add(n);
            await db.SaveChangesAsync();
            return n.Id;
        }

        public async Task<bool> IsReadAsync(long id)
        {
            await using var db = Db();
            return (await db.Notifications.SingleAsync(n => n.Id == id)).ReadAt is not null;
        }

        public Task DisposeAsync()
        {
            Host.Dispose();
            return Task.CompletedTask;
        }
    }

    private static HttpRequestMessage Post(string path, string? origin = null, string? fetchSite = null)
    {
        // A body-less form post, as a hostile page's <form method=post> sends it.
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new FormUrlEncodedContent([]) };
        if (origin is not null) request.Headers.Add("Origin", origin);
        if (fetchSite is not null) request.Headers.Add("Sec-Fetch-Site", fetchSite);
        return request;
    }

    [Fact]
    public async Task A_form_post_from_another_port_is_refused_and_marks_nothing_read()
    {
        var id = await f.UnreadNotificationAsync();
        var refused = await f.Alice.SendAsync(Post("/api/notifications/read-all", Evil));
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("Workbench:AllowedOrigins", await refused.Content.ReadAsStringAsync());
        Assert.False(await f.IsReadAsync(id));

        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(Post($"/api/notifications/{id}/read", "null"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(Post("/api/scopes/1/next", Evil))).StatusCode);
        Assert.False(await f.IsReadAsync(id));

        var own = await f.Alice.SendAsync(Post("/api/notifications/read-all", Own));
        Assert.True(own.IsSuccessStatusCode, own.StatusCode.ToString());
        Assert.True(await f.IsReadAsync(id));
    }

    [Fact]
    public async Task Without_an_Origin_header_a_same_site_or_cross_site_fetch_is_refused_by_Sec_Fetch_Site()
    {
        var id = await f.UnreadNotificationAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(Post("/api/notifications/read-all", fetchSite: "same-site"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(Post("/api/notifications/read-all", fetchSite: "cross-site"))).StatusCode);
        Assert.False(await f.IsReadAsync(id));
        Assert.True((await f.Alice.SendAsync(Post("/api/notifications/read-all", fetchSite: "same-origin"))).IsSuccessStatusCode);
        Assert.True(await f.IsReadAsync(id));
    }

    [Fact]
    public async Task The_workbench_hub_refuses_a_cookie_connection_from_another_origin_and_nothing_is_created()
    {
        await using var db = f.Db();
        var before = await db.Interpretations.CountAsync();
        var evil = Hub(Evil);
        var e = await Assert.ThrowsAsync<HttpRequestException>(() => evil.StartAsync());
        Assert.Equal(HttpStatusCode.Forbidden, e.StatusCode);
        Assert.Equal(before, await db.Interpretations.CountAsync());

        await using var own = Hub(Own);
        await own.StartAsync();
        Assert.Contains("alice", await own.InvokeAsync<List<string>>("GetOnlineUsers"));
    }

    [Fact]
    public async Task Blazors_circuit_hub_refuses_another_origin()
    {
        var evil = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        evil.Headers.Add("Origin", Evil);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(evil)).StatusCode);
        var upgrade = new HttpRequestMessage(HttpMethod.Get, "/_blazor?id=x");
        upgrade.Headers.Add("Origin", Evil);
        Assert.Equal(HttpStatusCode.Forbidden, (await f.Alice.SendAsync(upgrade)).StatusCode);

        var own = new HttpRequestMessage(HttpMethod.Post, "/_blazor/negotiate?negotiateVersion=1");
        own.Headers.Add("Origin", Own);
        Assert.Equal(HttpStatusCode.OK, (await f.Alice.SendAsync(own)).StatusCode);
    }

    [Fact]
    public async Task A_log_in_form_posted_from_another_origin_is_refused()
    {
        var client = f.Host.CreateBrowserlikeClient();
        var page = await client.GetStringAsync("/account/login");
        var token = System.Text.RegularExpressions.Regex.Match(page, "name=\"__RequestVerificationToken\" value=\"([^\"]+)\"").Groups[1].Value;
        var form = new HttpRequestMessage(HttpMethod.Post, "/account/login")
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["_handler"] = "login", ["__RequestVerificationToken"] = WebUtility.HtmlDecode(token),
                ["Input.UserName"] = "alice", ["Input.Password"] = "password1",
            }),
        };
        form.Headers.Add("Origin", Evil);
        var response = await client.SendAsync(form);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.False(response.Headers.TryGetValues("Set-Cookie", out var cookies) && cookies.Any(c => c.StartsWith("saeworkbench.auth", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Bearer_token_calls_need_no_Origin_check()
    {
        var id = await f.UnreadNotificationAsync();
        var client = f.Host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", f.Token);
        var response = await client.SendAsync(Post("/api/notifications/read-all", Evil));
        Assert.True(response.IsSuccessStatusCode, response.StatusCode.ToString());
        Assert.True(await f.IsReadAsync(id));
    }

    [Fact]
    public void The_session_cookie_is_SameSite_Strict_and_HttpOnly()
    {
        var auth = f.LoginCookies.Single(c => c.StartsWith("saeworkbench.auth=", StringComparison.Ordinal));
        Assert.Contains("samesite=strict", auth, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("httponly", auth, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task An_origin_listed_in_AllowedOrigins_is_accepted_and_others_still_refused()
    {
        await using var proxied = f.Host.WithWebHostBuilder(b => b.UseSetting("Workbench:AllowedOrigins:0", "https://workbench.example.org"));
        var client = proxied.CreateClient(new Microsoft.AspNetCore.Mvc.Testing.WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("Cookie", f.Cookie);
        var id = await f.UnreadNotificationAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await client.SendAsync(Post("/api/notifications/read-all", "https://workbench.example.org:8443"))).StatusCode);
        Assert.False(await f.IsReadAsync(id));
        Assert.True((await client.SendAsync(Post("/api/notifications/read-all", "https://WORKBENCH.example.org"))).IsSuccessStatusCode);
        Assert.True(await f.IsReadAsync(id));
    }

    private HubConnection Hub(string origin)
    {
        var server = f.Host.Server;
        return new HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Headers["Cookie"] = f.Cookie;
                o.Headers["Origin"] = origin;
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
            })
            .Build();
    }
}
