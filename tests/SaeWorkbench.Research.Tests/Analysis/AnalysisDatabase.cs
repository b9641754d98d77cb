using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Research.Tests.Analysis;

/// <summary>A migrated SQLite database in a temporary folder holding one dictionary with <see cref="Latents"/> latent rows.</summary>
internal sealed class AnalysisDatabase : IDbContextFactory<WorkbenchDbContext>, IAsyncDisposable
{
    public const int Latents = 5;
    private readonly string _dir = Directory.CreateTempSubdirectory("wb-analysis-").FullName;
    private readonly DbContextOptions<WorkbenchDbContext> _options;

    public AnalysisDatabase()
    {
        var builder = new DbContextOptionsBuilder<WorkbenchDbContext>();
        DataServiceCollectionExtensions.Configure(builder, new DatabaseOptions(), _dir);
        _options = builder.Options;
    }

    public long DictionaryId { get; private set; }

    /// <summary>The temporary folder (deleted with the database).</summary>
    public string Folder => _dir;

    public WorkbenchDbContext CreateDbContext() => new(_options);

    public async Task<AnalysisDatabase> InitializeAsync()
    {
        await using var db = CreateDbContext();
        await db.MigrateWorkbenchDatabaseAsync();
        var dict = new SaeDictionary { Name = "d", ModelName = "m", HookName = "blocks.0.hook_resid_post", Architecture = "standard", DIn = 4, DSae = Latents, SaePath = "/x" };
        db.Dictionaries.Add(dict);
        await db.SaveChangesAsync();
        for (var i = 0; i < Latents; i++) db.Latents.Add(new Latent { DictionaryId = dict.Id, Index = i });
        await db.SaveChangesAsync();
        DictionaryId = dict.Id;
        return this;
    }

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, true);
        return ValueTask.CompletedTask;
    }
}
