using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Jobs;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Jobs;

/// <summary>Creates, lists and cancels jobs. Pages, the API and the CLI all go through this.</summary>
public sealed class JobService(
    IDbContextFactory<WorkbenchDbContext> dbFactory,
    IEnumerable<IJobKind> kinds,
    WorkbenchEventBus events,
    JobSignal signal,
    JobLimits limits,
    Limits.UserRateLimiter rateLimiter)
{
    private readonly Dictionary<string, IJobKind> _kinds = kinds.ToDictionary(k => k.Name, StringComparer.Ordinal);

    /// <summary>Validates and queues a job. Throws <see cref="JobValidationException"/> and writes nothing if invalid.</summary>
    public Task<JobSnapshot> EnqueueAsync(string kind, string parametersJson, string? ownerId, CancellationToken ct = default) =>
        EnqueueAsync(kind, parametersJson, ownerId, null, ct);

    /// <summary>
    /// Validates and queues a job that only a runner declaring <paramref name="requiredCapability"/> may claim
    /// (<c>cpu</c> or <c>cuda</c>; null lets the kind decide, usually "any runner").
    /// </summary>
    public async Task<JobSnapshot> EnqueueAsync(string kind, string parametersJson, string? ownerId, string? requiredCapability,
        CancellationToken ct = default)
    {
        if (requiredCapability is not null && !JobWorkerIdentity.KnownCapabilities.Contains(requiredCapability))
            throw new JobValidationException([$"requires: '{requiredCapability}' is not a capability; use one of {string.Join(", ", JobWorkerIdentity.KnownCapabilities)}"]);
        if (string.IsNullOrWhiteSpace(kind))
            throw new JobValidationException([$"kind: required; known kinds: {string.Join(", ", _kinds.Keys.Order())}"]);
        if (!_kinds.TryGetValue(kind, out var jobKind))
            throw new JobValidationException([$"kind: unknown job kind '{kind}'; known kinds: {string.Join(", ", _kinds.Keys.Order())}"]);
        // Checked before parsing: the blob is stored with the job and sent to everyone who lists jobs.
        var bytes = System.Text.Encoding.UTF8.GetByteCount(parametersJson ?? "");
        if (bytes > limits.MaxParametersBytes)
            throw new JobValidationException([$"parameters: {JobLimits.Bytes(bytes)} is more than the limit of {JobLimits.Bytes(limits.MaxParametersBytes)} (Workbench:Jobs:Limits:MaxParametersBytes)"]);
        JsonElement parameters;
        try
        {
            using var doc = JsonDocument.Parse(string.IsNullOrWhiteSpace(parametersJson) ? "{}" : parametersJson);
            if (doc.RootElement.ValueKind != JsonValueKind.Object) throw new JobValidationException(["parameters: must be a JSON object"]);
            parameters = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new JobValidationException([$"parameters: not valid JSON ({e.Message})"]);
        }
        var errors = jobKind.Validate(parameters);
        if (errors.Count > 0) throw new JobValidationException(errors);
        // A person's jobs count against their per-user budget, however they arrive (API, pages); system jobs do not.
        if (ownerId is not null) rateLimiter.Acquire(Limits.WorkKind.Job, ownerId);

        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = new Job
        {
            Kind = kind, ParametersJson = parameters.GetRawText(), OwnerId = ownerId,
            RequiredCapability = requiredCapability ?? jobKind.RequiredCapability(parameters),
        };
        db.Jobs.Add(job);
        await db.SaveChangesAsync(ct);
        var snapshot = JobSnapshot.From(job);
        events.Publish(new JobUpdated(snapshot));
        signal.Notify();
        return snapshot;
    }

    public async Task<IReadOnlyList<JobSnapshot>> ListAsync(int take = 100, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var jobs = await db.Jobs.AsNoTracking().OrderByDescending(j => j.Id).Take(take).ToListAsync(ct);
        return jobs.Select(JobSnapshot.From).ToList();
    }

    public async Task<JobSnapshot?> GetAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var job = await db.Jobs.AsNoTracking().FirstOrDefaultAsync(j => j.Id == id, ct);
        return job is null ? null : JobSnapshot.From(job);
    }

    public async Task<IReadOnlyList<JobMetricPoint>> MetricsAsync(long jobId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.JobMetrics.AsNoTracking().Where(m => m.JobId == jobId).OrderBy(m => m.Step).ToListAsync(ct);
        return rows.Select(r => new JobMetricPoint(r.Step, JsonSerializer.Deserialize<Dictionary<string, double>>(r.ValuesJson) ?? [])).ToList();
    }

    /// <summary>Who may cancel a job: its owner, or a role that may cancel anyone's (<see cref="Permissions.CanCancelJob"/>).</summary>
    public static bool CanCancel(JobSnapshot job, Actor? actor) =>
        actor is not null && Permissions.CanCancelJob(actor.Role, actor.UserId, job.OwnerId);

    /// <summary>
    /// Asks a job to stop. A queued job is cancelled at once; a running one stops at its next check.
    /// Returns false when the job does not exist or has already finished.
    /// </summary>
    public async Task<bool> CancelAsync(long id, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var now = DateTimeOffset.UtcNow;
        var queued = await db.Jobs.Where(j => j.Id == id && j.State == JobState.Queued)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobState.Cancelled)
                .SetProperty(j => j.FinishedAt, now).SetProperty(j => j.Message, "cancelled before it started"), ct);
        if (queued == 0)
        {
            var running = await db.Jobs.Where(j => j.Id == id && j.State == JobState.Running)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.CancelRequested, true), ct);
            if (running == 0) return false;
            signal.RequestCancel(id);
        }
        var job = await db.Jobs.AsNoTracking().FirstAsync(j => j.Id == id, ct);
        events.Publish(new JobUpdated(JobSnapshot.From(job)));
        return true;
    }
}

public sealed record JobMetricPoint(long Step, IReadOnlyDictionary<string, double> Values);
