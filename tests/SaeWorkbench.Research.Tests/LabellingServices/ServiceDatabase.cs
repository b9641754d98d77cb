using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.LabellingServices;

/// <summary>
/// The application services over a migrated database (a SQLite file in a temporary folder, or a new database on the
/// test PostgreSQL cluster), with one latent and four people.
/// </summary>
public sealed class ServiceDatabase : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-labelling-").FullName;
    private readonly ServiceProvider _services;

    public ServiceDatabase(string provider = "Sqlite")
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddWorkbenchData(provider == "Postgres"
            ? new DatabaseOptions { Provider = "Postgres", ConnectionString = SaeWorkbench.Tests.Shared.TestServers.NewPostgresDatabase() }
            : new DatabaseOptions(), _dir);
        services.AddResearch();
        _services = services.BuildServiceProvider();
    }

    public LabellingService Labelling => _services.GetRequiredService<LabellingService>();
    public WorkbenchEventBus Bus => _services.GetRequiredService<WorkbenchEventBus>();
    public T Get<T>() where T : notnull => _services.GetRequiredService<T>();

    public Actor Admin { get; } = new("u-admin", "admin", Role.Admin);
    public Actor Reviewer { get; } = new("u-rita", "rita", Role.Reviewer);
    public Actor Ann { get; } = new("u-ann", "ann", Role.Labeler);
    public Actor Ben { get; } = new("u-ben", "ben", Role.Labeler);
    public Actor Viewer { get; } = new("u-vic", "vic", Role.Viewer);
    public long LatentId { get; private set; }

    public WorkbenchDbContext Db() => _services.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext();

    public static async Task<ServiceDatabase> StartAsync(string provider = "Sqlite")
    {
        var database = new ServiceDatabase(provider);
        await using var db = database.Db();
        await db.MigrateWorkbenchDatabaseAsync();
        foreach (var a in new[] { database.Admin, database.Reviewer, database.Ann, database.Ben, database.Viewer })
            db.Users.Add(new WorkbenchUser { Id = a.UserId, UserName = a.UserName, NormalizedUserName = a.UserName.ToUpperInvariant() });
        var dictionary = new SaeDictionary { Name = "d", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 8, SaePath = "/x" };
        db.Dictionaries.Add(dictionary);
        await db.SaveChangesAsync();
        var latent = new Latent { DictionaryId = dictionary.Id, Index = 5 };
        db.Latents.Add(latent);
        await db.SaveChangesAsync();
        database.LatentId = latent.Id;
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_dir, true); } catch (IOException) { }
    }
}
