using System.Collections.Concurrent;

namespace SaeWorkbench.Research.Jobs;

/// <summary>Wakes the runner when a job is queued and carries in-process cancel requests to running jobs.</summary>
public sealed class JobSignal
{
    private readonly SemaphoreSlim _queued = new(0, int.MaxValue);
    private readonly ConcurrentDictionary<long, CancellationTokenSource> _running = new();

    public void Notify() => _queued.Release();

    public Task<bool> WaitAsync(TimeSpan timeout, CancellationToken ct) => _queued.WaitAsync(timeout, ct);

    internal CancellationTokenSource Track(long jobId, CancellationToken stopping)
    {
        var cts = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        _running[jobId] = cts;
        return cts;
    }

    internal void Untrack(long jobId)
    {
        if (_running.TryRemove(jobId, out var cts)) cts.Dispose();
    }

    /// <summary>Jobs running in this process now.</summary>
    internal IReadOnlyList<long> RunningIds => _running.Keys.ToList();

    public void RequestCancel(long jobId)
    {
        if (_running.TryGetValue(jobId, out var cts))
        {
            try { cts.Cancel(); }
            catch (ObjectDisposedException) { }
        }
    }
}
