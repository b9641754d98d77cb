using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Labelling.Services;

/// <summary>The context of one labelling write: the database and the events to publish once it commits.</summary>
public sealed class LabellingWrite(WorkbenchDbContext db)
{
    public WorkbenchDbContext Db { get; } = db;
    public DateTimeOffset Now { get; } = DateTimeOffset.UtcNow;
    internal List<WorkbenchEvent> Events { get; } = [];

    public void Publish(WorkbenchEvent e) => Events.Add(e);
}

/// <summary>
/// Runs a labelling write in one transaction and publishes its events after the commit. SQLite has one
/// writer at a time: in this process writers queue on a gate (fair, no busy-wait sleeps); across
/// processes the transaction is BEGIN IMMEDIATE (Microsoft.Data.Sqlite's default) with the busy
/// timeout, and a busy/locked error or a unique violation from a racing writer retries the whole
/// write on a fresh context, so every decision is taken on committed data. On PostgreSQL (several web nodes) the
/// same one-writer rule holds across nodes: each labelling transaction first takes a transaction-scoped advisory lock,
/// so its reads (READ COMMITTED, after the lock) see every earlier write; a deadlock or unique violation retries.
/// </summary>
public sealed class LabellingTransactions(IDbContextFactory<WorkbenchDbContext> factory, WorkbenchEventBus bus)
{
    private const int MaxAttempts = 6;

    /// <summary>Takes the advisory lock that serialises labelling writes on PostgreSQL (one fixed key).</summary>
    private const string PostgresWriterLock = "SELECT pg_advisory_xact_lock(1397048652)";
    private readonly SemaphoreSlim _sqliteWriter = new(1, 1);

    public async Task<T> RunAsync<T>(Func<LabellingWrite, CancellationToken, Task<T>> work, CancellationToken ct)
    {
        for (var attempt = 1; ; attempt++)
        {
            await using var db = await factory.CreateDbContextAsync(ct);
            var gated = db.Database.IsSqlite();
            if (gated) await _sqliteWriter.WaitAsync(ct);
            LabellingWrite write;
            T result;
            try
            {
                await using var tx = await db.Database.BeginTransactionAsync(ct);
                if (!gated) await db.Database.ExecuteSqlRawAsync(PostgresWriterLock, ct);
                write = new LabellingWrite(db);
                result = await work(write, ct);
                await tx.CommitAsync(ct);
            }
            catch (Exception e) when (attempt < MaxAttempts && IsTransient(e))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(5, 20) * attempt), ct);
                continue;
            }
            finally
            {
                if (gated) _sqliteWriter.Release();
            }
            // The write's own events first, then the consensus it moved (a stable order).
            foreach (var e in write.Events.OrderBy(e => e is ConsensusChanged)) bus.Publish(e);
            return result;
        }
    }

    private static bool IsTransient(Exception e) => DatabaseErrors.IsRetryableWriteConflict(e);
}
