using Microsoft.EntityFrameworkCore;
using Microsoft.Data.Sqlite;

namespace SaeWorkbench.Data.Tests;

/// <summary>
/// The SQLite pragmas hold on every query although they run once per pooled physical connection, not once per open.
/// </summary>
public sealed class SqlitePragmaTests
{
    private static async Task<long> ScalarAsync(WorkbenchDbContext db, string sql)
    {
        var connection = db.Database.GetDbConnection();
        await db.Database.OpenConnectionAsync();
        try
        {
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = sql;
            return Convert.ToInt64(await cmd.ExecuteScalarAsync());
        }
        finally { await db.Database.CloseConnectionAsync(); }
    }

    [Fact]
    public async Task Every_open_of_a_pooled_connection_has_the_pragmas_and_they_are_set_once_per_physical_connection()
    {
        await using var database = await new TestDatabase().InitializeAsync();
        object? firstHandle = null;
        for (var i = 0; i < 3; i++)
        {
            await using var db = database.Create();
            Assert.Equal(1, await ScalarAsync(db, "PRAGMA foreign_keys"));
            Assert.Equal(10_000, await ScalarAsync(db, "PRAGMA busy_timeout"));
            Assert.Equal(1, await ScalarAsync(db, "PRAGMA synchronous")); // NORMAL
            Assert.Equal(256 << 20, await ScalarAsync(db, "PRAGMA mmap_size")); // reads map the file
            await db.Database.OpenConnectionAsync();
            var handle = ((SqliteConnection)db.Database.GetDbConnection()).Handle;
            await db.Database.CloseConnectionAsync();
            firstHandle ??= handle;
            Assert.Same(firstHandle, handle); // the same physical connection every time: the pool works
        }

        // A pragma changed behind EF's back stays changed on that physical connection: proof they are not re-run per open.
        await using (var db = database.Create())
        {
            await db.Database.OpenConnectionAsync();
            await using (var cmd = db.Database.GetDbConnection().CreateCommand())
            {
                cmd.CommandText = "PRAGMA synchronous = FULL";
                await cmd.ExecuteNonQueryAsync();
            }
            await db.Database.CloseConnectionAsync();
        }
        await using (var db = database.Create())
            Assert.Equal(2, await ScalarAsync(db, "PRAGMA synchronous"));

        // A new physical connection gets them again.
        SqliteConnection.ClearAllPools();
        await using (var db = database.Create())
        {
            Assert.Equal(1, await ScalarAsync(db, "PRAGMA synchronous"));
            Assert.Equal(1, await ScalarAsync(db, "PRAGMA foreign_keys"));
        }
    }
}
