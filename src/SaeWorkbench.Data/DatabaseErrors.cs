using Microsoft.Data.Sqlite;
using Npgsql;

namespace SaeWorkbench.Data;

/// <summary>Recognises, for either provider, the errors after which a whole write transaction may simply be retried.</summary>
public static class DatabaseErrors
{
    /// <summary>
    /// SQLite: busy/locked, or a unique/primary-key violation from a writer that got there first.
    /// PostgreSQL: serialization failure, deadlock, or a unique violation from a racing writer.
    /// </summary>
    public static bool IsRetryableWriteConflict(Exception e)
    {
        for (var x = e; x is not null; x = x.InnerException)
        {
            if (x is SqliteException sqlite)
                return sqlite.SqliteErrorCode is 5 or 6 || sqlite.SqliteExtendedErrorCode is 2067 or 1555;
            if (x is PostgresException pg)
                return pg.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected
                    or PostgresErrorCodes.UniqueViolation;
        }
        return false;
    }
}
