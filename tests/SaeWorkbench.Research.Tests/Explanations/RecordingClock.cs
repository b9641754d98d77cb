namespace SaeWorkbench.Research.Tests.Explanations;

/// <summary>
/// A clock whose one-shot timers fire at once and record how long they were asked to wait: a retrying client's waits
/// are read from it instead of slept. (A fake clock that must be advanced would need a thread pumping it meanwhile.)
/// </summary>
internal sealed class RecordingClock : TimeProvider
{
    private readonly List<TimeSpan> _waits = [];

    public IReadOnlyList<TimeSpan> Waits
    {
        get { lock (_waits) return [.. _waits]; }
    }

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        if (period != Timeout.InfiniteTimeSpan) throw new NotSupportedException("This clock fires one-shot timers only.");
        if (dueTime == Timeout.InfiniteTimeSpan) return new Fired();
        lock (_waits) _waits.Add(dueTime);
        // Fired from the pool, not inside CreateTimer: the caller has not stored its timer yet.
        ThreadPool.QueueUserWorkItem(_ => callback(state));
        return new Fired();
    }

    private sealed class Fired : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => false;
        public void Dispose() { }
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
