using Microsoft.AspNetCore.SignalR.Client;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Accounts;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Web.Tests.Labelling;

/// <summary>A signed-in API caller: the account, its token and an HttpClient that sends it.</summary>
public sealed record ApiUser(string Id, string Name, string Token, long TokenId, HttpClient Client);

/// <summary>The real host (own SQLite file) with accounts in given roles, API tokens and seeded latents.</summary>
public sealed class LabellingHarness : IAsyncDisposable
{
    public const string Password = "password1";

    private readonly WorkbenchFactory _root = new();
    private int _nextLatentIndex;

    public LabellingHarness(int writesPerMinute = 100_000)
    {
        Host = _root.WithWebHostBuilder(b => b.UseSetting("Workbench:RateLimits:WritesPerMinute", writesPerMinute.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    public WebApplicationFactory<Program> Host { get; }

    /// <summary>Creates an account with <paramref name="role"/> and an API token for it. The first account of a harness is Admin anyway.</summary>
    public async Task<ApiUser> UserAsync(string name, string role)
    {
        await using var scope = Host.Services.CreateAsyncScope();
        var accounts = scope.ServiceProvider.GetRequiredService<AccountService>();
        var (user, errors) = await accounts.RegisterAsync(name, Password);
        Assert.True(user is not null, string.Join("; ", errors));
        Assert.Empty(await accounts.SetRoleAsync(user!.Id, role));
        var actor = new Actor(user.Id, name, WorkbenchRoles.Highest([role]));
        var created = await Host.Services.GetRequiredService<ApiTokenService>().CreateAsync(actor, "tests");
        Assert.True(created.Succeeded, created.Validation.ToString());
        return new ApiUser(user.Id, name, created.Value!.Token, created.Value.Info.Id, ClientWith(created.Value.Token));
    }

    public HttpClient ClientWith(string? token)
    {
        var client = Host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>A new dictionary with <paramref name="count"/> latents; returns the dictionary id and the latent ids.</summary>
    public async Task<(long DictionaryId, long[] LatentIds)> SeedLatentsAsync(int count)
    {
        await using var db = Db();
        var dictionary = new SaeDictionary { Name = "test-sae", ModelName = "demo-gpt2", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 64, SaePath = "/none" };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync();
        var latents = Enumerable.Range(0, count).Select(_ => new Latent { DictionaryId = dictionary.Id, Index = _nextLatentIndex++, Density = 0.01 }).ToList();
        db.Latents.AddRange(latents);
        await db.SaveChangesAsync();
        return (dictionary.Id, latents.Select(l => l.Id).ToArray());
    }

    public async Task<long> SeedLatentAsync() => (await SeedLatentsAsync(1)).LatentIds[0];

    public WorkbenchDbContext Db() => Host.Services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

    /// <summary>Creates an interpretation through the API and returns it.</summary>
    public static async Task<InterpretationView> CreateAsync(ApiUser author, long latentId, string label = "Fires on French nouns", string description = "Mostly *le* and *la*.")
    {
        var response = await author.Client.PostAsJsonAsync($"/api/latents/{latentId}/interpretations",
            new { label, description, tag = "lexical-token", confidence = 4 });
        Assert.Equal(System.Net.HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<InterpretationView>())!;
    }

    /// <summary>Everything a refused write must leave untouched, to compare before and after.</summary>
    public async Task<string> FingerprintAsync()
    {
        await using var db = Db();
        var interpretations = await db.Interpretations.AsNoTracking().OrderBy(i => i.Id)
            .Select(i => $"{i.Id}:{i.Label}:{i.Version}:{i.Score}:{i.UpVotes}:{i.DownVotes}:{i.Review}:{i.IsDeleted}").ToListAsync();
        var latents = await db.Latents.AsNoTracking().OrderBy(l => l.Id)
            .Select(l => $"{l.Id}:{l.LabelStatus}:{l.ConsensusInterpretationId}:{l.ConsensusLabel}").ToListAsync();
        return string.Join("|", interpretations) + "#" + string.Join("|", latents) + "#"
               + await db.Votes.CountAsync() + ":" + await db.Comments.CountAsync() + ":" + await db.InterpretationVersions.CountAsync()
               + ":" + await db.Notifications.CountAsync() + ":" + await db.AuditLog.CountAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        _root.Dispose();
    }
}

/// <summary>Hub connections for tests: long polling through the in-memory server, signed in with an API token.</summary>
public static class HubClients
{
    public static async Task<Microsoft.AspNetCore.SignalR.Client.HubConnection> ConnectAsync(LabellingHarness harness, string? token)
    {
        var server = harness.Host.Server;
        var connection = new Microsoft.AspNetCore.SignalR.Client.HubConnectionBuilder()
            .WithUrl(new Uri(server.BaseAddress, "hubs/workbench"), o =>
            {
                o.HttpMessageHandlerFactory = _ => server.CreateHandler();
                o.Transports = Microsoft.AspNetCore.Http.Connections.HttpTransportType.LongPolling;
                if (token is not null) o.AccessTokenProvider = () => Task.FromResult<string?>(token);
            })
            .Build();
        await connection.StartAsync();
        return connection;
    }
}

/// <summary>A hub write's answer as a client reads it.</summary>
public sealed record HubAnswer(string Outcome, System.Text.Json.JsonElement? Value, Dictionary<string, string> Errors, EditConflict? Conflict);
