namespace SaeWorkbench.Research.Steering;

/// <summary>Per-user sliding window of one minute over steering runs (issue 9 §6).</summary>
public sealed class SteeringRateLimiter(TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<string, Queue<DateTimeOffset>> _runs = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    /// <summary>Counts a run for <paramref name="userId"/>, or throws <see cref="SteeringRateLimitedException"/> when the window is full.</summary>
    public void Acquire(string userId, int perMinute)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (!_runs.TryGetValue(userId, out var runs)) _runs[userId] = runs = new Queue<DateTimeOffset>();
            while (runs.Count > 0 && now - runs.Peek() >= Window) runs.Dequeue();
            if (runs.Count >= perMinute) throw new SteeringRateLimitedException(runs.Peek() + Window - now);
            runs.Enqueue(now);
        }
    }
}
