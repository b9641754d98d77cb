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
/// Claims queued jobs from the database and runs each on a dedicated thread. At start, jobs left running by a
/// process that died are queued again (they resume from their checkpoints). Progress writes are throttled.
/// </summary>
public sealed class JobRunner(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    IEnumerable<IJobKind> kinds,
    WorkbenchEventBus events,
    JobSignal signal,
    WorkbenchSettings settings,
    WorkbenchPaths paths,
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

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        await RequeueInterruptedAsync(cancellationToken);
        await base.StartAsync(cancellationToken);
    }

    /// <summary>Puts jobs that were running when the previous process stopped back in the queue.</summary>
    public async Task<int> RequeueInterruptedAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var n = await db.Jobs.Where(j => j.State == JobState.Running)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Queued)
                .SetProperty(j => j.Message, "interrupted by a restart; queued to resume"), ct);
        if (n > 0) logger.LogWarning("Re-queued {Count} job(s) that were running when the process stopped", n);
        return n;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var max = Math.Max(1, settings.Jobs.MaxConcurrent);
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
    }

    /// <summary>Atomically moves the oldest runnable queued job to Running (one claimant wins).</summary>
    private async Task<Job?> TryClaimAsync(CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var known = _kinds.Keys.ToList();
        var candidates = await db.Jobs.AsNoTracking()
            .Where(j => j.State == JobState.Queued && known.Contains(j.Kind))
            .OrderBy(j => j.Id).Select(j => j.Id).Take(5).ToListAsync(ct);
        foreach (var id in candidates)
        {
            var now = DateTimeOffset.UtcNow;
            var claimed = await db.Jobs.Where(j => j.Id == id && j.State == JobState.Queued)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Running)
                    .SetProperty(j => j.StartedAt, now)
                    .SetProperty(j => j.Attempts, j => j.Attempts + 1)
                    .SetProperty(j => j.CancelRequested, false), ct);
            if (claimed == 1) return await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == id, ct);
        }
        return null;
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
        using var scope = logger.BeginScope(new Dictionary<string, object> { ["JobId"] = job.Id, ["JobKind"] = job.Kind });
        logger.LogInformation("Job {JobId} ({JobKind}) started, attempt {Attempt}", job.Id, job.Kind, job.Attempts);
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
        var text = message.Length > 4000 ? message[..4000] : message;
        db.Jobs.Where(j => j.Id == id).ExecuteUpdate(s => s
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
        db.Jobs.Where(j => j.Id == id).ExecuteUpdate(s => s.SetProperty(j => j.State, JobState.Queued)
            .SetProperty(j => j.Message, "interrupted by shutdown; queued to resume"));
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
            var msg = message is { Length: > 4000 } ? message[..4000] : message;
            db.Jobs.Where(j => j.Id == jobId).ExecuteUpdate(s => s.SetProperty(j => j.Progress, progress)
                .SetProperty(j => j.Message, j => msg ?? j.Message));
            if (_sinceCancelPoll.Elapsed >= CancelPollInterval)
            {
                _sinceCancelPoll.Restart();
                if (db.Jobs.AsNoTracking().Any(j => j.Id == jobId && j.CancelRequested)) runner.Signal.RequestCancel(jobId);
            }
            runner.Publish(jobId);
            token.ThrowIfCancellationRequested();
        }

        public void Metrics(long step, IReadOnlyDictionary<string, double> values)
        {
            using var db = runner.Db.CreateDbContext();
            db.JobMetrics.Add(new JobMetric { JobId = jobId, Step = step, ValuesJson = JsonSerializer.Serialize(values) });
            db.SaveChanges();
            runner.Events.Publish(new JobMetricLogged(jobId, step, values));
        }
    }
}
