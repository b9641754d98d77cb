using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace SaeWorkbench.Data;

public static class DataServiceCollectionExtensions
{
    /// <summary>The assembly that holds the PostgreSQL migrations (src/SaeWorkbench.Data.Postgres).</summary>
    public const string PostgresMigrationsAssembly = "SaeWorkbench.Data.Postgres";

    /// <summary>
    /// Registers <see cref="WorkbenchDbContext"/> (pooled factory and scoped context) for the configured provider.
    /// </summary>
    public static IServiceCollection AddWorkbenchData(this IServiceCollection services, DatabaseOptions options, string dataDirectory)
    {
        services.AddSingleton(options);
        services.AddPooledDbContextFactory<WorkbenchDbContext>(b => Configure(b, options, dataDirectory));
        services.AddScoped(sp => sp.GetRequiredService<IDbContextFactory<WorkbenchDbContext>>().CreateDbContext());
        return services;
    }

    public static void Configure(DbContextOptionsBuilder builder, DatabaseOptions options, string dataDirectory)
    {
        switch (options.Provider.ToLowerInvariant())
        {
            case "sqlite":
                var cs = string.IsNullOrWhiteSpace(options.ConnectionString)
                    ? new SqliteConnectionStringBuilder { DataSource = Path.Combine(dataDirectory, "workbench.db"), Cache = SqliteCacheMode.Default, DefaultTimeout = SqlitePragmas.BusyTimeoutMs / 1000 }.ToString()
                    : options.ConnectionString;
                builder.UseSqlite(cs, o => o.MigrationsAssembly(typeof(WorkbenchDbContext).Assembly.FullName))
                       .AddInterceptors(new SqlitePragmas());
                break;
            case "postgres" or "postgresql" or "npgsql":
                if (string.IsNullOrWhiteSpace(options.ConnectionString))
                    throw new InvalidOperationException(
                        "Workbench:Database:Provider is 'Postgres' but Workbench:Database:ConnectionString is empty; " +
                        "set it, e.g. 'Host=127.0.0.1;Port=5432;Database=saeworkbench;Username=sae;Password=…'.");
                // PostgreSQL's migrations live in their own assembly (EF's pattern for several providers), so each
                // provider applies only its own set.
                builder.UseNpgsql(options.ConnectionString, o => o.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
            default:
                throw new InvalidOperationException(
                    $"Workbench:Database:Provider '{options.Provider}' is not supported; use 'Sqlite' or 'Postgres'.");
        }
    }

    /// <summary>
    /// Applies pending migrations, for SQLite switches the file to WAL journalling, and brings stored best scores and
    /// search texts that differ from their rules up to date (a database from before the columns;
    /// <see cref="Dictionaries.LatentBestScores"/>, <see cref="Dictionaries.LatentSearchTexts"/>), and on SQLite puts the
    /// search texts' trigram index back where a migration dropped it (<see cref="Dictionaries.LatentSearchIndex"/>).
    /// </summary>
    public static async Task MigrateWorkbenchDatabaseAsync(this WorkbenchDbContext db, CancellationToken ct = default)
    {
        if (db.Database.IsSqlite())
        {
            var cs = new SqliteConnectionStringBuilder(db.Database.GetConnectionString());
            var dir = Path.GetDirectoryName(Path.GetFullPath(cs.DataSource));
            if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        }
        await db.Database.MigrateAsync(ct);
        if (db.Database.IsSqlite()) await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", ct);
        await Dictionaries.LatentBestScores.RepairAsync(db, ct);
        // The trigram index first: its triggers then carry the texts' repair into it.
        await Dictionaries.LatentSearchIndex.RepairAsync(db, ct);
        await Dictionaries.LatentSearchTexts.RepairAsync(db, ct);
    }
}
