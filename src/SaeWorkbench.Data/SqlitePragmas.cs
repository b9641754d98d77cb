using System.Data.Common;
using System.Runtime.CompilerServices;
using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace SaeWorkbench.Data;

/// <summary>
/// Sets the per-connection SQLite pragmas: a busy timeout (so concurrent writers wait instead of failing), foreign
/// keys, and a memory map of up to 256 MB of the file (reads come from the mapping instead of being copied into every
/// pooled connection's own page cache: 50 concurrent list pages each read the same indexes). WAL is a property of the file and is set once when migrations run.
/// Pragmas belong to the physical connection, and Microsoft.Data.Sqlite pools those: EF opens and closes its
/// connection around every query, so they run once per physical connection (remembered by its native handle),
/// not once per query.
/// </summary>
internal sealed class SqlitePragmas : DbConnectionInterceptor
{
    public const int BusyTimeoutMs = 10_000;
    private const string Sql = "PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON; PRAGMA synchronous = NORMAL; PRAGMA mmap_size = 268435456;";

    // Keys are the pooled connections' native handles; an entry goes when its physical connection is collected.
    private static readonly ConditionalWeakTable<object, object> Prepared = new();
    private static readonly object Marker = new();

    private static object? HandleOf(DbConnection connection) => (connection as SqliteConnection)?.Handle;

    private static bool NeedsPragmas(DbConnection connection) =>
        HandleOf(connection) is not { } handle || !Prepared.TryGetValue(handle, out _);

    private static void Remember(DbConnection connection)
    {
        if (HandleOf(connection) is { } handle) Prepared.AddOrUpdate(handle, Marker);
    }

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        if (!NeedsPragmas(connection)) return;
        using var cmd = connection.CreateCommand();
        cmd.CommandText = Sql;
        cmd.ExecuteNonQuery();
        Remember(connection);
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        if (!NeedsPragmas(connection)) return;
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Sql;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
        Remember(connection);
    }
}
