using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.SignalR.Client;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Jobs;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;
using SaeWorkbench.Tests.Shared;
using SaeWorkbench.Web.Live;

namespace SaeWorkbench.Web.Tests.ScaleOut;

/// <summary>
/// Web nodes and worker processes over one PostgreSQL database and one Redis, all started on
/// loopback by the test.
/// </summary>
public sealed class ScaleOutTests
{
    /// <summary>A web node of a deployment: the real host with the given database, Redis and shared folder.</summary>
    private static WebApplicationFactory<Program> WebNode(WorkbenchFactory root, string connectionString, string redis, bool runner = false) =>
        root.WithWebHostBuilder(b =>
        {
            b.UseSetting("Workbench:Database:Provider", "Postgres");
            b.UseSetting("Workbench:Database:ConnectionString", connectionString);
            b.UseSetting("Workbench:Redis", redis);
            b.UseSetting("Workbench:Jobs:RunnerEnabled", runner ? "true" : "false");
            b.UseSetting("Workbench:RateLimits:WritesPerMinute", "100000");
        });

    private static async Task<(string Id, string Token)> UserAsync(IServiceProvider services, string name, string role)
    {
        await using var scope = services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (user, errors) = await accounts.RegisterAsync(name, "password1");
        Assert.True(user is not null, string.Join("; ", errors));
        Assert.Empty(await accounts.SetRoleAsync(user!.Id, role));
        var created = await services.GetRequiredService<ApiTokenService>().CreateAsync(new Actor(user.Id, name, WorkbenchRoles.Highest([role])), "tests");
        return (user.Id, created.Value!.Token);
    }

    private static HttpClient Client(WebApplicationFactory<Program> node, string token)
    {
        var client = node.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static HubConnection Hub(WebApplicationFactory<Program> node, string token) => new HubConnectionBuilder()
        .WithUrl(new Uri(node.Server.BaseAddress, "hubs/workbench"), o =>
        {
            o.HttpMessageHandlerFactory = _ => node.Server.CreateHandler();
            o.Headers["Authorization"] = "Bearer " + token;
            o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
        })
        .Build();

    private static async Task Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > timeout) Assert.Fail($"timed out after {timeout}: {what}");
            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task A_vote_on_node_A_reaches_a_hub_client_and_the_pages_on_node_B_once_and_presence_is_shared()
    {
        using var redis = await RedisServer.StartAsync();
        var database = TestServers.NewPostgresDatabase();
        // Both nodes share the data directory's key ring (as README "Scaling out" asks), so sign-ins work on either.
        using var root = new WorkbenchFactory();
        await using var nodeA = WebNode(root, database, redis.Configuration);
        await using var nodeB = WebNode(root, database, redis.Configuration);
        _ = nodeA.Server;
        _ = nodeB.Server;
        await UserAsync(nodeA.Services, "admin", WorkbenchRoles.Admin); // the first account is Admin anyway
        var (_, annToken) = await UserAsync(nodeA.Services, "ann", WorkbenchRoles.Labeler);
        var (_, benToken) = await UserAsync(nodeA.Services, "ben", WorkbenchRoles.Labeler);
        long latentId;
        await using (var db = nodeA.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext())
        {
            var dictionary = new SaeDictionary { Name = "d", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 8, SaePath = "/x" };
            db.Dictionaries.Add(dictionary);
            await db.SaveChangesAsync();
            var latent = new Latent { DictionaryId = dictionary.Id, Index = 1 };
            db.Latents.Add(latent);
            await db.SaveChangesAsync();
            latentId = latent.Id;
        }
        var created = await Client(nodeA, annToken).PostAsJsonAsync($"/api/latents/{latentId}/interpretations",
            new { label = "French nouns", description = "le, la", tag = "lexical-token", confidence = 4 });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var interpretation = (await created.Content.ReadFromJsonAsync<InterpretationView>())!;

        // Who listens: a hub client connected to node B, and the in-process bus (what pages subscribe to) on both nodes.
        var hubVotes = new ConcurrentQueue<(long At, JsonElement Payload)>();
        await using var hubOnB = Hub(nodeB, annToken);
        hubOnB.On<string, JsonElement>("event", (name, payload) => { if (name == "voteChanged") hubVotes.Enqueue((Stopwatch.GetTimestamp(), payload)); });
        await hubOnB.StartAsync();
        var busB = new ConcurrentQueue<(VoteChanged Event, EventOrigin Origin)>();
        var busA = new ConcurrentQueue<(VoteChanged Event, EventOrigin Origin, long At)>();
        using var subB = nodeB.Services.GetRequiredService<WorkbenchEventBus>().Subscribe((e, o) => { if (e is VoteChanged v) busB.Enqueue((v, o)); });
        using var subA = nodeA.Services.GetRequiredService<WorkbenchEventBus>().Subscribe((e, o) => { if (e is VoteChanged v) busA.Enqueue((v, o, Stopwatch.GetTimestamp())); });

        var vote = await Client(nodeA, benToken).PutAsJsonAsync($"/api/interpretations/{interpretation.Id}/vote", new { value = 1 });
        Assert.Equal(HttpStatusCode.OK, vote.StatusCode);

        // Waits that only a lost message outlasts; the crossing itself is timed from node A's event below.
        await Eventually(() => !hubVotes.IsEmpty, TimeSpan.FromSeconds(10), "the vote reaching the hub client on node B");
        Assert.True(hubVotes.TryPeek(out var first));
        Assert.Equal(interpretation.Id, first.Payload.GetProperty("interpretationId").GetInt64());
        Assert.Equal(1, first.Payload.GetProperty("upVotes").GetInt32());
        // From node A's event to node B's hub client (not from the request, whose handling on a loaded machine is not the
        // crossing): within a second.
        Assert.True(busA.TryPeek(out var published));
        var crossing = Stopwatch.GetElapsedTime(published.At, first.At);
        Assert.True(crossing < TimeSpan.FromSeconds(1), $"took {crossing}");
        await Eventually(() => !busB.IsEmpty, TimeSpan.FromSeconds(10), "the vote reaching the pages of node B");
        // No double delivery: give duplicates time to show up, then count.
        await Task.Delay(500);
        Assert.Single(hubVotes);
        Assert.Equal([(interpretation.Id, 1, EventOrigin.OtherWebNode)], busB.Select(x => (x.Event.InterpretationId, x.Event.Score, x.Origin)));
        Assert.Equal([(interpretation.Id, 1, EventOrigin.Local)], busA.Select(x => (x.Event.InterpretationId, x.Event.Score, x.Origin)));

        // Presence: ben connects to node A only; node B lists him, and drops him when he leaves.
        await using (var benOnA = Hub(nodeA, benToken))
        {
            await benOnA.StartAsync();
            var presenceB = nodeB.Services.GetRequiredService<PresenceTracker>();
            await Eventually(() => presenceB.Online.Contains("ben"), TimeSpan.FromSeconds(5), "ben online on node B");
            Assert.Equal(["ann", "ben"], await hubOnB.InvokeAsync<List<string>>("GetOnlineUsers"));
            Assert.DoesNotContain("ben", presenceB.Local);
        }
        var trackerB = nodeB.Services.GetRequiredService<PresenceTracker>();
        await Eventually(() => !trackerB.Online.Contains("ben"), TimeSpan.FromSeconds(5), "ben offline on node B");
    }
}
