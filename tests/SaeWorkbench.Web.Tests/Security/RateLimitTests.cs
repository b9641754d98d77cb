using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.SignalR;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Security;

/// <summary>
/// Limits are per user and per kind of work, across every way in: more tokens, the cookie and hub connections share one
/// budget. A refusal is 429 with Retry-After (REST) or a hub error, and changes nothing.
/// </summary>
public sealed class RateLimitTests(RateLimitTests.Fixture f) : IClassFixture<RateLimitTests.Fixture>
{
    public sealed class Fixture : IAsyncLifetime
    {
        public ClientAddressHost Host { get; } = new(
            ("Workbench:RateLimits:WritesPerMinute", "3"),
            ("Workbench:RateLimits:JobsPerMinute", "2"),
            ("Workbench:RateLimits:TokensPerMinute", "3"));

        public long LatentId { get; private set; }

        public async Task InitializeAsync()
        {
            await Host.RegisterAsync("admin", "password1");
            await using var db = Db();
            var dictionary = new SaeDictionary { Name = "rate", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 8, SaePath = "/none" };
            db.Dictionaries.Add(dictionary);
            await db.SaveChangesAsync();
            var latent = new Latent { DictionaryId = dictionary.Id, Index = 0 };
            db.Latents.Add(latent);
            await db.SaveChangesAsync();
            LatentId = latent.Id;
        }

        public WorkbenchDbContext Db() => Host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

        /// <summary>A user in <paramref name="role"/> with <paramref name="tokens"/> API tokens (made through the service, which counts them too).</summary>
        public async Task<(string Id, List<string> Tokens)> UserAsync(string name, string role, int tokens)
        {
            await using var scope = Host.Services.CreateAsyncScope();
            var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
            var (user, errors) = await accounts.RegisterAsync(name, "password1");
            Assert.True(user is not null, string.Join("; ", errors));
            Assert.Empty(await accounts.SetRoleAsync(user!.Id, role));
            var list = new List<string>();
            for (var n = 0; n < tokens; n++)
            {
                var created = await Host.Services.GetRequiredService<ApiTokenService>().CreateAsync(new Actor(user.Id, name, WorkbenchRoles.Highest([role])), $"t{n}");
                list.Add(created.Value!.Token);
            }
            return (user.Id, list);
        }

        public HttpClient TokenClient(string token)
        {
            var client = Host.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            return client;
        }

        public async Task<HubConnection> HubAsync(string token)
        {
            var server = Host.Server;
            var hub = new HubConnectionBuilder()
                .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
                {
                    o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                    o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
                    o.AccessTokenProvider = () => Task.FromResult<string?>(token);
                })
                .Build();
            await hub.StartAsync();
            return hub;
        }

        public async Task<int> CommentsByAsync(string userId)
        {
            await using var db = Db();
            return await db.Comments.CountAsync(c => c.AuthorId == userId);
        }

        public Task DisposeAsync()
        {
            Host.Dispose();
            return Task.CompletedTask;
        }
    }

    private Task<HttpResponseMessage> CommentAsync(HttpClient client, string body) =>
        client.PostAsJsonAsync($"/api/latents/{f.LatentId}/comments", new { body });

    private static void AssertTooManyRequests(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
        Assert.True(int.Parse(response.Headers.GetValues("Retry-After").Single()) is > 0 and <= 60);
    }

    [Fact]
    public async Task Three_tokens_and_the_cookie_share_one_write_budget_and_the_hub_draws_on_it_too()
    {
        var (annId, tokens) = await f.UserAsync("ann", WorkbenchRoles.Labeler, 3);
        var cookie = f.Host.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(cookie, "ann", "password1")).StatusCode);
        await using var hub = await f.HubAsync(tokens[2]);

        Assert.Equal(HttpStatusCode.Created, (await CommentAsync(f.TokenClient(tokens[0]), "one")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CommentAsync(f.TokenClient(tokens[1]), "two")).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await CommentAsync(cookie, "three")).StatusCode);
        AssertTooManyRequests(await CommentAsync(f.TokenClient(tokens[2]), "four"));
        AssertTooManyRequests(await CommentAsync(cookie, "four"));
        var refused = await Assert.ThrowsAsync<HubException>(() => hub.InvokeAsync<object>("Comment", f.LatentId, "four", (long?)null));
        Assert.Contains("Too many writes", refused.Message);

        Assert.Equal(3, await f.CommentsByAsync(annId));
        // Reads are not writes, and another user has a budget of their own.
        Assert.Equal(HttpStatusCode.OK, (await f.TokenClient(tokens[0]).GetAsync($"/api/latents/{f.LatentId}")).StatusCode);
        var (_, ben) = await f.UserAsync("ben", WorkbenchRoles.Labeler, 1);
        Assert.Equal(HttpStatusCode.Created, (await CommentAsync(f.TokenClient(ben[0]), "ben")).StatusCode);
    }

    [Fact]
    public async Task Hub_writes_from_many_connections_stop_at_the_users_budget_and_then_REST_is_refused_too()
    {
        var (carlId, tokens) = await f.UserAsync("carl", WorkbenchRoles.Labeler, 1);
        var hubs = new List<HubConnection>();
        for (var n = 0; n < 4; n++) hubs.Add(await f.HubAsync(tokens[0]));
        try
        {
            var answers = await Task.WhenAll(hubs.Select(async (h, n) =>
            {
                try { await h.InvokeAsync<object>("Comment", f.LatentId, $"storm {n}", (long?)null); return true; }
                catch (HubException) { return false; }
            }));
            Assert.Equal(3, answers.Count(ok => ok));
            Assert.Equal(3, await f.CommentsByAsync(carlId));
            AssertTooManyRequests(await CommentAsync(f.TokenClient(tokens[0]), "after the storm"));
            Assert.Equal(3, await f.CommentsByAsync(carlId));
        }
        finally
        {
            foreach (var h in hubs) await h.DisposeAsync();
        }
    }

    [Fact]
    public async Task Queued_jobs_are_limited_per_user_and_a_refused_job_is_not_queued()
    {
        var (danId, tokens) = await f.UserAsync("dan", WorkbenchRoles.Labeler, 2);
        var job = new { kind = "self-check", parameters = new { size = 64, repeats = 1 } };
        Assert.Equal(HttpStatusCode.Created, (await f.TokenClient(tokens[0]).PostAsJsonAsync("/api/jobs", job)).StatusCode);
        Assert.Equal(HttpStatusCode.Created, (await f.TokenClient(tokens[1]).PostAsJsonAsync("/api/jobs", job)).StatusCode);
        var refused = await f.TokenClient(tokens[0]).PostAsJsonAsync("/api/jobs", job);
        AssertTooManyRequests(refused);
        Assert.Contains("Too many jobs", await refused.Content.ReadAsStringAsync());
        await using var db = f.Db();
        Assert.Equal(2, await db.Jobs.CountAsync(j => j.OwnerId == danId));
    }

    [Fact]
    public async Task Creating_API_tokens_is_limited_per_user()
    {
        var (eveId, _) = await f.UserAsync("eve", WorkbenchRoles.Viewer, 0);
        var cookie = f.Host.CreateBrowserlikeClient();
        Assert.Equal(HttpStatusCode.Redirect, (await WorkbenchFactory.LoginAsync(cookie, "eve", "password1")).StatusCode);
        for (var n = 0; n < 3; n++)
            Assert.Equal(HttpStatusCode.Created, (await cookie.PostAsJsonAsync("/api/tokens", new { name = $"t{n}" })).StatusCode);
        AssertTooManyRequests(await cookie.PostAsJsonAsync("/api/tokens", new { name = "one more" }));
        await using var db = f.Db();
        Assert.Equal(3, await db.ApiTokens.CountAsync(t => t.UserId == eveId));
    }
}
