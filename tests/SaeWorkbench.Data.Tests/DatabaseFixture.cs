using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Accounts;
using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Data.Tests;

/// <summary>
/// A migrated database with one user, dictionary and latent: a SQLite file in a temporary folder, or a new database on
/// the test PostgreSQL cluster (tests/Shared/TestServers.cs).
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-data-").FullName;
    private readonly DbContextOptions<WorkbenchDbContext> _options;

    public TestDatabase(string provider = "Sqlite")
    {
        Provider = provider;
        var options = provider == "Postgres"
            ? new DatabaseOptions { Provider = "Postgres", ConnectionString = SaeWorkbench.Tests.Shared.TestServers.NewPostgresDatabase() }
            : new DatabaseOptions();
        var builder = new DbContextOptionsBuilder<WorkbenchDbContext>();
        DataServiceCollectionExtensions.Configure(builder, options, _dir);
        _options = builder.Options;
    }

    public string Provider { get; }

    public string DataDirectory => _dir;
    public WorkbenchDbContext Create() => new(_options);

    public long LatentId { get; private set; }
    public string UserA { get; } = Guid.NewGuid().ToString();
    public string UserB { get; } = Guid.NewGuid().ToString();

    public async Task<TestDatabase> InitializeAsync()
    {
        await using var db = Create();
        await db.MigrateWorkbenchDatabaseAsync();
        db.Users.Add(new WorkbenchUser { Id = UserA, UserName = "a" });
        db.Users.Add(new WorkbenchUser { Id = UserB, UserName = "b" });
        var dict = new SaeDictionary { Name = "d", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "topk", DIn = 4, DSae = 8, SaePath = "/x" };
        db.Dictionaries.Add(dict);
        await db.SaveChangesAsync();
        var latent = new Latent { DictionaryId = dict.Id, Index = 3 };
        db.Latents.Add(latent);
        await db.SaveChangesAsync();
        LatentId = latent.Id;
        return this;
    }

    public ValueTask DisposeAsync()
    {
        if (Provider == "Postgres") Npgsql.NpgsqlConnection.ClearAllPools();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        return ValueTask.CompletedTask;
    }
}
