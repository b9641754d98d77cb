namespace SaeWorkbench.Research.Tests.Events;

/// <summary>A monotonic clock (timestamps only) that moves only when a test says so: for caches with lifetimes.</summary>
internal sealed class StepClock : TimeProvider
{
    private long _ticks = 1_000_000;
    public override long TimestampFrequency => TimeSpan.TicksPerSecond;
    public override long GetTimestamp() => Interlocked.Read(ref _ticks);
    public void Advance(TimeSpan by) => Interlocked.Add(ref _ticks, by.Ticks);
}
