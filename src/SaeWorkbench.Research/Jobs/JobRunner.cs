using System.Diagnostics;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Settings;

namespace SaeWorkbench.Research.Jobs;

/// <summary>
/// Claims queued jobs from the database and runs each on a dedicated thread; the same class runs inside a web node
/// and in a worker process (<c>sae worker</c>). A claim cannot be taken twice: PostgreSQL locks the row
/// (<c>FOR UPDATE SKIP LOCKED</c>), SQLite moves it with one conditional update. The runner heartbeats the jobs it
/// holds; a running job whose heartbeat is older than the timeout (its runner died) is queued again for any runner
/// and resumes from its checkpoint. At start, jobs this runner held when it stopped are queued again at once.
/// Progress writes are throttled.
/// </summary>
public sealed class JobRunner(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    IEnumerable<IJobKind> kinds,
    WorkbenchEventBus events,
    JobSignal signal,
    WorkbenchSettings settings,
    WorkbenchPaths paths,
    JobWorkerIdentity identity,
    IServiceProvider services,
    ILogger<JobRunner> logger) : BackgroundService
{
    private static readonly TimeSpan ProgressInterval = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan CancelPollInterval = TimeSpan.FromSeconds(1);
    private readonly Dictionary<string, IJobKind> _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);
    private int _running;

    private IDbContextFactory<WorkbenchDbContext> Db => dbFactory;
    private JobSignal Signal => signal;
    private WorkbenchEventBus Events => events;

    /// <summary>Jobs running in this process now.</summary>
    public int RunningCount => Volatile.Read(ref _running);

    /// <summary>This runner's name and capabilities.</summary>
    public JobWorkerIdentity Identity => identity;

    private string Me => identity.Name;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RequeueInterruptedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>
    /// Puts jobs that this runner (same name) held when its previous process stopped back in the queue, and rows
    /// written before runners had names. Jobs held by other runners are left alone: their heartbeats decide.
    /// </summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var n = await db.Jobs.Where(j => j.State == JobState.Running && (j.WorkerId == Me || j.WorkerId == null))
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Queued)
                .SetProperty(j => j.WorkerId, (string?)null)
                .SetProperty(j => j.Message, "interrupted by a restart; queued to resume"), ct);
        if (n > 0) logger.LogWarning("Re-queued {Count} job(s) that were running when the process stopped", n);
        return n;
    }

    /// <summary>
    /// Refreshes the heartbeat of the jobs running here (a job this runner no longer holds is stopped), then releases
    /// running jobs whose heartbeat is older than the timeout: queued again to resume, or failed after
    /// <see cref="JobSettings.MaxAttempts"/> starts. Returns how many were released.
    /// </summary>
    public async Task<int> HeartbeatAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTimeOffset.UtcNow;
        foreach (var id in signal.RunningIds)
        {
            var held = await db.Jobs.Where(j => j.Id == id && j.WorkerId == Me && j.State == JobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.HeartbeatAt, now), ct);
            if (held == 0 && await db.Jobs.AsNoTracking().AnyAsync(j => j.Id == id && !(j.WorkerId == Me && j.State == JobState.Running), ct))
            {
                logger.LogWarning("Job {JobId} is no longer held by {Worker}; stopping it here", id, Me);
                signal.RequestCancel(id);
            }
        }
        var stale = now - TimeSpan.FromSeconds(Math.Max(1, settings.Jobs.HeartbeatTimeoutSeconds));
        var maxAttempts = Math.Max(1, settings.Jobs.MaxAttempts);
        var dead = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Running && j.HeartbeatAt != null && j.HeartbeatAt < stale)
            .Select(j => new { j.Id, j.WorkerId, j.Attempts }).ToListAsync(ct);
        var released = 0;
        foreach (var d in dead)
        {
            // The same conditions again: only the row as it was seen is released (one releaser wins).
            var q = db.Jobs.Where(j => j.Id == d.Id && j.State == JobState.Running && j.WorkerId == d.WorkerId && j.HeartbeatAt < stale);
            var n = d.Attempts >= maxAttempts
                ? await q.ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Failed).SetProperty(j => j.FinishedAt, now)
                    .SetProperty(j => j.WorkerId, (string?)null)
                    .SetProperty(j => j.Message, $"runner {d.WorkerId} stopped answering and the job has been started {d.Attempts} times; giving up"), ct)
                : await q.ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Queued).SetProperty(j => j.WorkerId, (string?)null)
                    .SetProperty(j => j.Message, $"runner {d.WorkerId} stopped answering; queued to resume from its checkpoint"), ct);
            if (n == 0) continue;
            released++;
            logger.LogWarning("Released job {JobId}: its runner {Worker} stopped heartbeating", d.Id, d.WorkerId);
            Publish(d.Id);
        }
        if (released > 0) signal.Notify();
        return released;
    }

    private async Task HeartbeatLoopAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(Math.Max(0.1, settings.Jobs.HeartbeatSeconds));
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await HeartbeatAsync(stoppingToken);
                await Task.Delay(interval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Job heartbeat failed; retrying");
                await Task.Delay(interval, stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var max = Math.Max(1, settings.Jobs.MaxConcurrent);
        logger.LogInformation("Job runner {Worker} ({Capabilities}) claims up to {Max} job(s) at once", Me, string.Join(",", identity.Capabilities), max);
        var heartbeat = Task.Run(() => HeartbeatLoopAsync(stoppingToken), CancellationToken.None);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (RunningCount < max && await TryClaimAsync(stoppingToken) is { } job)
                {
                    StartThread(job, stoppingToken);
                    continue;
                }
                await signal.WaitAsync(TimeSpan.FromSeconds(settings.Jobs.PollSeconds), stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception e)
            {
                logger.LogError(e, "Job runner loop failed; retrying");
                await Task.Delay(TimeSpan.FromSeconds(1), stoppingToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        // Let running jobs see the cancellation and record their state before the host stops.
        var deadline = Stopwatch.StartNew();
        while (RunningCount > 0 && deadline.Elapsed < TimeSpan.FromSeconds(10)) await Task.Delay(50, CancellationToken.None);
        await heartbeat;
    }

    /// <summary>
    /// Moves the oldest queued job this runner can run (a known kind, a capability it declares) to Running, held by
    /// this runner. One claimant wins: PostgreSQL locks the candidate row and skips rows other claimants hold;
    /// SQLite's conditional update is atomic.
    /// </summary>
    private async Task<Job?> TryClaimAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = _kinds.Keys.ToArray();
        var capabilities = identity.Capabilities.ToArray();
        if (db.Database.IsNpgsql())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var queued = nameof(JobState.Queued);
            var ids = await db.Database.SqlQuery<long>($"""
                SELECT "Id" AS "Value" FROM "Jobs"
                WHERE "State" = {queued} AND "Kind" = ANY({known})
                  AND ("RequiredCapability" IS NULL OR "RequiredCapability" = ANY({capabilities}))
                ORDER BY "Id" LIMIT 1
                FOR UPDATE SKIP LOCKED
                """).ToListAsync(ct);
            if (ids.Count == 0) return null;
            var claimed = await ClaimAsync(db, ids[0], ct);
            await tx.CommitAsync(ct);
            return claimed;
        }
        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && known.Contains(j.Kind)
                        && (j.RequiredCapability == null || capabilities.Contains(j.RequiredCapability)))
            .OrderBy(j => j.Id).Select(j => j.Id).Take(5).ToListAsync(ct);
        foreach (var id in candidates)
            if (await ClaimAsync(db, id, ct) is { } job) return job;
        return null;
    }

    private async Task<Job?> ClaimAsync(WorkbenchDbContext db, long id, CancellationToken ct)
    {
        var now = DateTimeOffset.UtcNow;
        var claimed = await db.Jobs.Where(j => j.Id == id && j.State == JobState.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Running)
                .SetProperty(j => j.StartedAt, now)
                .SetProperty(j => j.HeartbeatAt, now)
                .SetProperty(j => j.WorkerId, Me)
                .SetProperty(j => j.Attempts, j => j.Attempts + 1)
                .SetProperty(j => j.CancelRequested, false), ct);
        return claimed == 1 ? await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == id, ct) : null;
    }

    private void StartThread(Job job, CancellationToken stopping)
    {
        Interlocked.Increment(ref _running);
        var cts = signal.Track(job.Id, stopping);
        var thread = new Thread(() =>
        {
            try { Execute(job, cts.Token, stopping); }
            finally
            {
                signal.Untrack(job.Id);
                Interlocked.Decrement(ref _running);
                signal.Notify();
            }
        })
        {
            IsBackground = true,
            Name = $"job-{job.Id}-{job.Kind}",
        };
        thread.Start();
    }

    private void Execute(Job job, CancellationToken token, CancellationToken stopping)
    {
        using var scope = logger.BeginScope(new Diagnostics.LogScope(("JobId", job.Id), ("JobKind", job.Kind)));
        logger.LogInformation("Job {JobId} ({JobKind}) started on {Worker}, attempt {Attempt}", job.Id, job.Kind, Me, job.Attempts);
        Publish(job.Id);
        var reporter = new ProgressWriter(this, job.Id);
        var dir = paths.JobDirectory(job.Id);
        Directory.CreateDirectory(dir);
        using var parameters = JsonDocument.Parse(job.ParametersJson);
        var context = new JobContext(job.Id, job.Attempts, parameters.RootElement, dir, services,
            (p, m) => reporter.Progress(p, m, token),
            (step, values) => reporter.Metrics(step, values),
            token);
        try
        {
            var result = _kinds[job.Kind].Run(context);
            token.ThrowIfCancellationRequested();
            Finish(job.Id, JobState.Succeeded, "done", result is null ? null : JsonSerializer.Serialize(result, result.GetType()));
            logger.LogInformation("Job {JobId} succeeded", job.Id);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            Requeue(job.Id);
            logger.LogWarning("Job {JobId} interrupted by shutdown; it resumes at the next start", job.Id);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            Finish(job.Id, JobState.Cancelled, "cancelled", null);
            logger.LogInformation("Job {JobId} cancelled", job.Id);
        }
        catch (Exception e)
        {
            logger.LogError(e, "Job {JobId} failed", job.Id);
            Finish(job.Id, JobState.Failed, e is JobValidationException or InvalidOperationException or ArgumentException or IOException
                ? e.Message : $"{e.GetType().Name}: {e.Message}", null);
        }
    }

    private void Finish(long id, JobState state, string message, string? resultJson)
    {
        using var db = dbFactory.CreateDbContext();
        var now = DateTimeOffset.UtcNow;
        var text = Job.FitMessage(message)!;
        // Only while this runner still holds it: a job released meanwhile belongs to another runner now.
        db.Jobs.Where(j => j.Id == id && j.WorkerId == Me && j.State == JobState.Running).ExecuteUpdate(s => s
            .SetProperty(j => j.State, state)
            .SetProperty(j => j.FinishedAt, now)
            // A successful job keeps its last status line (e.g. the measured numbers).
            .SetProperty(j => j.Message, j => state == JobState.Succeeded && j.Message != null ? j.Message : text)
            .SetProperty(j => j.ResultJson, resultJson)
            .SetProperty(j => j.Progress, j => state == JobState.Succeeded ? 1.0 : j.Progress));
        Publish(id);
    }

    private void Requeue(long id)
    {
        using var db = dbFactory.CreateDbContext();
        db.Jobs.Where(j => j.Id == id && j.WorkerId == Me && j.State == JobState.Running).ExecuteUpdate(s => s
            .SetProperty(j => j.State, JobState.Queued)
            .SetProperty(j => j.WorkerId, (string?)null)
            .SetProperty(j => j.Message, "interrupted by shutdown; queued to resume"));
        Publish(id);
    }

    private void Publish(long id)
    {
        using var db = dbFactory.CreateDbContext();
        var job = db.Jobs.AsNoTracking().FirstOrDefault(j => j.Id == id);
        if (job is not null) events.Publish(new JobUpdated(JobSnapshot.From(job)));
    }

    /// <summary>Throttles progress writes and polls the database for cancel requests from other processes.</summary>
    private sealed class ProgressWriter(JobRunner runner, long jobId)
    {
        private readonly Stopwatch _sinceWrite = Stopwatch.StartNew();
        private readonly Stopwatch _sinceCancelPoll = Stopwatch.StartNew();
        private bool _wroteOnce;

        public void Progress(double progress, string? message, CancellationToken token)
        {
            token.ThrowIfCancellationRequested();
            if (_wroteOnce && _sinceWrite.Elapsed < ProgressInterval && progress < 1) return;
            _wroteOnce = true;
            _sinceWrite.Restart();
            using var db = runner.Db.CreateDbContext();
            var msg = Job.FitMessage(message);
            db.Jobs.Where(j => j.Id == jobId && j.WorkerId == runner.Me).ExecuteUpdate(s => s.SetProperty(j => j.Progress, progress)
                .SetProperty(j => j.Message, j => msg ?? j.Message));
            if (_sinceCancelPoll.Elapsed >= CancelPollInterval)
            {
                _sinceCancelPoll.Restart();
                if (db.Jobs.AsNoTracking().Any(j => j.Id == jobId && j.CancelRequested)) runner.Signal.RequestCancel(jobId);
            }
            runner.Publish(jobId);
            token.ThrowIfCancellationRequested();
        }

        /// <summary>
        /// Stores a step's metrics once: a resumed job runs the steps after its last checkpoint again, and the values of
        /// the run that goes on replace those of the run that died ((job, step) is unique in the schema).
        /// </summary>
        public void Metrics(long step, IReadOnlyDictionary<string, double> values)
        {
            var json = JsonSerializer.Serialize(values);
            using var db = runner.Db.CreateDbContext();
            for (var attempt = 0; ; attempt++)
            {
                var now = DateTimeOffset.UtcNow;
                if (db.JobMetrics.Where(m => m.JobId == jobId && m.Step == step)
                        .ExecuteUpdate(s => s.SetProperty(m => m.ValuesJson, json).SetProperty(m => m.At, now)) > 0)
                    break;
                var row = new JobMetric { JobId = jobId, Step = step, ValuesJson = json, At = now };
                db.JobMetrics.Add(row);
                try
                {
                    db.SaveChanges();
                    break;
                }
                catch (DbUpdateException e) when (attempt < 3 && DatabaseErrors.IsRetryableWriteConflict(e))
                {
                    db.Entry(row).State = EntityState.Detached; // a racing write stored the step first: update it instead
                }
            }
            runner.Events.Publish(new JobMetricLogged(jobId, step, values));
        }
    }
}
