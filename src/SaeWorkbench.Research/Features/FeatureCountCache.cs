using System.Collections.Concurrent;
using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// The feature list's "N latents match" for a dictionary and a filter, kept for a few seconds (issue 6: a count over
/// 100k latents, or a text search over all of them, costs more than the rest of the page). Any event that can change a
/// latent's label, tag, status, interpretations, statistics or blind scope — labelling, reviews, consensus, settings,
/// jobs (analysis writes densities), scopes — clears every entry at once, on this node and, through the event relay,
/// on the others; <see cref="Lifetime"/> bounds how stale a count can be after a change made without an event.
/// Concurrent requests for the same missing count share one query.
/// </summary>
public sealed class FeatureCountCache : IDisposable
{
    /// <summary>How long a count is kept when nothing invalidates it.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    /// <summary>Beyond this many filters the cache starts again (the URL's filters are free text, so keys are unbounded).</summary>
    private const int MaxEntries = 4096;

    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly IDisposable? _subscription;
    private long _generation;

    public FeatureCountCache(WorkbenchEventBus events, TimeProvider clock)
    {
        _clock = clock;
        _subscription = events.Subscribe(e =>
        {
            if (!Irrelevant(e)) Invalidate();
        });
    }

    /// <summary>Events that never change what the list counts; everything else (including event kinds added later) clears the cache.</summary>
    private static bool Irrelevant(WorkbenchEvent e) =>
        e is JobMetricLogged or PresenceChanged or LatentViewersChanged or NotificationCreated or NotificationsRead or CommentAdded or VoteChanged;

    /// <summary>Counts cached so far and not yet invalidated (for tests and diagnostics).</summary>
    public int Count => _entries.Count;

    /// <summary>Forgets every count; the next request of each filter counts again.</summary>
    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    /// <summary>The cached count for <paramref name="key"/>, or <paramref name="count"/>'s result (shared by concurrent callers).</summary>
    public async Task<int> GetOrCountAsync(string key, Func<CancellationToken, Task<int>> count, CancellationToken ct)
    {
        var now = _clock.GetTimestamp();
        var generation = Interlocked.Read(ref _generation);
        if (_entries.TryGetValue(key, out var cached) && cached.Generation == generation && now < cached.ExpiresAt)
            return await cached.Count.WaitAsync(ct);

        if (_entries.Count >= MaxEntries) _entries.Clear();
        // The query runs without the first caller's token: others may be waiting on it after that caller gave up.
        var fresh = new Entry(generation, now + (long)(Lifetime.TotalSeconds * _clock.TimestampFrequency), new Lazy<Task<int>>(() => count(CancellationToken.None)));
        var entry = _entries.AddOrUpdate(key, fresh, (_, old) => old.Generation == generation && now < old.ExpiresAt ? old : fresh);
        try
        {
            return await entry.Count.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)); // a failed count is not kept
            throw;
        }
    }

    public void Dispose() => _subscription?.Dispose();

    private sealed record Entry(long Generation, long ExpiresAt, Lazy<Task<int>> Lazy)
    {
        public Task<int> Count => Lazy.Value;
    }
}
