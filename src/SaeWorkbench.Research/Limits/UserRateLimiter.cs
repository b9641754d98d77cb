namespace SaeWorkbench.Research.Limits;

/// <summary>
/// One sliding window of one minute per (kind of work, user), shared by every way in: REST (through the endpoint rate-limit
/// policies), the hub and the pages. Keyed by the user's id, never by token or connection (docs/architecture.md
/// §9). In memory per node: with several web nodes each node grants the budget once.
/// </summary>
public sealed class UserRateLimiter(RateLimits limits, TimeProvider clock)
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(1);
    private readonly Dictionary<(WorkKind, string), Queue<DateTimeOffset>> _windows = new();
    private readonly Lock _gate = new();
    private DateTimeOffset _lastSweep;

    public RateLimits Limits => limits;

    /// <summary>Counts one unit of <paramref name="kind"/> for <paramref name="userId"/>, or answers false and how long to wait (nothing counted).</summary>
    public bool TryAcquire(WorkKind kind, string userId, out TimeSpan retryAfter)
    {
        var now = clock.GetUtcNow();
        var perMinute = limits.PerMinute(kind);
        lock (_gate)
        {
            Sweep(now);
            if (!_windows.TryGetValue((kind, userId), out var times)) _windows[(kind, userId)] = times = new Queue<DateTimeOffset>();
            while (times.Count > 0 && now - times.Peek() >= Window) times.Dequeue();
            if (times.Count >= perMinute)
            {
                retryAfter = times.Peek() + Window - now;
                return false;
            }
            times.Enqueue(now);
            retryAfter = TimeSpan.Zero;
            return true;
        }
    }

    /// <summary>As <see cref="TryAcquire"/>, throwing <see cref="RateLimitedException"/> when the budget is spent.</summary>
    public void Acquire(WorkKind kind, string userId)
    {
        if (!TryAcquire(kind, userId, out var retry)) throw new RateLimitedException(kind, retry);
    }

    /// <summary>Forgets windows that emptied, once a minute, so memory follows the users active in the last minute.</summary>
    private void Sweep(DateTimeOffset now)
    {
        if (now - _lastSweep < Window) return;
        _lastSweep = now;
        foreach (var (key, times) in _windows.ToList())
            if (times.Count == 0 || now - times.Last() >= Window) _windows.Remove(key);
    }
}
