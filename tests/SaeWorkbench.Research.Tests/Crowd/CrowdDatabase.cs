using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Features;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.Crowd;

/// <summary>A migrated SQLite file with one dictionary of <see cref="LatentCount"/> latents, twenty labellers, a reviewer and a viewer.</summary>
public sealed class CrowdDatabase : IAsyncDisposable
{
    public const int LatentCount = 10;
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-crowd-").FullName;
    private readonly ServiceProvider _services;

    private CrowdDatabase()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWorkbenchData(new DatabaseOptions(), _dir);
        services.AddSingleton(new SaeWorkbench.Research.Settings.WorkbenchPaths(_dir, _dir));
        services.AddResearch();
        _services = services.BuildServiceProvider();
    }

    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();
    public LabellingQueueService Queue => Get<LabellingQueueService>();
    public LabellingService Labelling => Get<LabellingService>();
    public IDbContextFactory<WorkbenchDbContext> Factory => Get<IDbContextFactory<WorkbenchDbContext>>();
    public WorkbenchDbContext Db() => Factory.CreateDbContext();

    public IReadOnlyList<Actor> Labellers { get; } = Enumerable.Range(0, 20).Select(i => new Actor($"u-{i:D2}", $"labeller{i:D2}", Role.Labeler)).ToList();
    public Actor Reviewer { get; } = new("u-rev", "rita", Role.Reviewer);
    public Actor Viewer { get; } = new("u-view", "vic", Role.Viewer);
    public long DictionaryId { get; private set; }

    /// <summary>Latent ids by index.</summary>
    public IReadOnlyDictionary<int, long> Latents { get; private set; } = new Dictionary<int, long>();

    /// <summary>
    /// A second queue service over the same file with its own transaction runner, as a second process would have:
    /// its writers do not share the first one's in-process gate, so only the database keeps them apart.
    /// </summary>
    public LabellingQueueService SecondProcessQueue(TimeProvider? clock = null)
    {
        var bus = new WorkbenchEventBus(NullLogger<WorkbenchEventBus>.Instance);
        var transactions = new LabellingTransactions(Factory, bus);
        return new LabellingQueueService(Factory, transactions, Get<FeatureCatalog>(), new LabellingService(Factory, transactions), bus,
            clock ?? TimeProvider.System);
    }

    /// <summary>Sets one latent's density (e.g. to make it dense).</summary>
    public async Task SetDensityAsync(int index, double density)
    {
        await using var db = Db();
        var latent = await db.Latents.SingleAsync(l => l.Id == Latents[index]);
        latent.Density = density;
        await db.SaveChangesAsync();
    }

    public static async Task<CrowdDatabase> StartAsync()
    {
        var database = new CrowdDatabase();
        await using var db = database.Db();
        await db.MigrateWorkbenchDatabaseAsync();
        foreach (var a in database.Labellers.Append(database.Reviewer).Append(database.Viewer))
            db.Users.Add(new WorkbenchUser { Id = a.UserId, UserName = a.UserName, NormalizedUserName = a.UserName.ToUpperInvariant() });
        var dictionary = new SaeDictionary { Name = "d", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = LatentCount + 2, SaePath = "/x" };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync();
        // Density rises with the index, so "most active first" hands out 9, 8, 7 …; 10 and 11 are dead.
        var latents = Enumerable.Range(0, LatentCount + 2).Select(i => new Latent
        {
            DictionaryId = dictionary.Id, Index = i, IsDead = i >= LatentCount,
            Density = i >= LatentCount ? 0 : 0.001 * (i + 1), MaxActivation = i >= LatentCount ? 0 : 1 + i,
        }).ToList();
        db.Latents.AddRange(latents);
        await db.SaveChangesAsync();
        database.DictionaryId = dictionary.Id;
        database.Latents = latents.ToDictionary(l => l.Index, l => l.Id);
        return database;
    }

    public async Task<ScopeView> ScopeAsync(int labelsPerLatent = 1, bool blind = false, string kind = "Dictionary", string? definition = null, int claimMinutes = 15,
        QueuePriority priority = QueuePriority.HighestActivationFirst)
    {
        var result = await Queue.CreateScopeAsync(Reviewer, new ScopeRequest(DictionaryId, "scope", kind, definition, blind, labelsPerLatent, claimMinutes, priority));
        Assert.True(result.Succeeded, result.Validation.ToString());
        return result.Value!;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}

/// <summary>A clock that stands still until a test moves it.</summary>
public sealed class ManualClock(DateTimeOffset start) : TimeProvider
{
    public DateTimeOffset Now { get; set; } = start;
    public override DateTimeOffset GetUtcNow() => Now;
}
