namespace SaeWorkbench.Research.Limits;

/// <summary>
/// Slows password guessing without letting anyone lock a user out (docs/architecture.md §9). Failures are
/// counted per (client, account) — after <see cref="LoginThrottleSettings.FreeFailures"/> the client waits
/// <see cref="LoginThrottleSettings.FirstDelaySeconds"/>, doubling per further failure up to
/// <see cref="LoginThrottleSettings.MaxDelaySeconds"/> — and per client over all accounts (a sliding window). There is
/// no per-account count: the account's owner, on another client, logs in as usual however many strangers guess.
/// A success clears the (client, account) count. In memory per node.
/// </summary>
public sealed class LoginThrottle(RateLimits limits, TimeProvider clock)
{
    /// <summary>Entries kept at most; beyond it the oldest quiet ones are forgotten (bounded memory under a spray of names).</summary>
    public const int MaxTrackedPairs = 100_000;

    private sealed class PairState
    {
        public int Failures;
        public DateTimeOffset LastFailure;
    }

    private readonly Dictionary<(string Client, string Account), PairState> _pairs = new();
    private readonly Dictionary<string, Queue<DateTimeOffset>> _clients = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    private LoginThrottleSettings Settings => limits.Login;

    /// <summary>How long <paramref name="client"/> must wait before trying <paramref name="account"/> again (zero: go ahead).</summary>
    public TimeSpan RetryAfter(string client, string account)
    {
        var now = clock.GetUtcNow();
        var key = (client, Normalise(account));
        lock (_gate)
        {
            var wait = TimeSpan.Zero;
            if (_clients.TryGetValue(client, out var failures))
            {
                Trim(failures, now);
                if (failures.Count >= Math.Max(1, Settings.ClientFailuresPerWindow)) wait = failures.Peek() + ClientWindow - now;
            }
            if (_pairs.TryGetValue(key, out var pair) && pair.Failures >= Settings.FreeFailures)
            {
                var pairWait = pair.LastFailure + Delay(pair.Failures) - now;
                if (pairWait > wait) wait = pairWait;
            }
            return wait > TimeSpan.Zero ? wait : TimeSpan.Zero;
        }
    }

    /// <summary>Counts a wrong password (or unknown account) from <paramref name="client"/>.</summary>
    public void Failed(string client, string account)
    {
        var now = clock.GetUtcNow();
        lock (_gate)
        {
            if (_pairs.Count >= MaxTrackedPairs) Forget(now);
            var key = (client, Normalise(account));
            if (!_pairs.TryGetValue(key, out var pair)) _pairs[key] = pair = new PairState();
            pair.Failures++;
            pair.LastFailure = now;
            if (!_clients.TryGetValue(client, out var failures)) _clients[client] = failures = new Queue<DateTimeOffset>();
            Trim(failures, now);
            failures.Enqueue(now);
        }
    }

    /// <summary>A successful log-in clears this client's count for this account (not its count over all accounts).</summary>
    public void Succeeded(string client, string account)
    {
        lock (_gate) _pairs.Remove((client, Normalise(account)));
    }

    /// <summary>The wait after <paramref name="failures"/> failures: none up to the free ones, then doubling from the first delay.</summary>
    private TimeSpan Delay(int failures)
    {
        var beyond = failures - Settings.FreeFailures;
        if (beyond < 0) return TimeSpan.Zero;
        var seconds = Settings.FirstDelaySeconds * Math.Pow(2, Math.Min(beyond, 30));
        return TimeSpan.FromSeconds(Math.Min(seconds, Settings.MaxDelaySeconds));
    }

    private TimeSpan ClientWindow => TimeSpan.FromMinutes(Math.Max(0.01, Settings.ClientWindowMinutes));

    private void Trim(Queue<DateTimeOffset> failures, DateTimeOffset now)
    {
        while (failures.Count > 0 && now - failures.Peek() >= ClientWindow) failures.Dequeue();
    }

    /// <summary>Drops pairs whose wait is over and clients without recent failures; then, if still full, the oldest pairs.</summary>
    private void Forget(DateTimeOffset now)
    {
        var maxDelay = TimeSpan.FromSeconds(Settings.MaxDelaySeconds);
        foreach (var (key, pair) in _pairs.ToList())
            if (now - pair.LastFailure >= maxDelay) _pairs.Remove(key);
        foreach (var (client, failures) in _clients.ToList())
        {
            Trim(failures, now);
            if (failures.Count == 0) _clients.Remove(client);
        }
        if (_pairs.Count >= MaxTrackedPairs)
            foreach (var (key, _) in _pairs.OrderBy(p => p.Value.LastFailure).Take(_pairs.Count / 2).ToList()) _pairs.Remove(key);
    }

    private static string Normalise(string account) => account.Trim().ToUpperInvariant();
}
