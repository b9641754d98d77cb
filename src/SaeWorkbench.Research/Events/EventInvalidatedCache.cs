using System.Collections.Concurrent;

namespace SaeWorkbench.Research.Events;

/// <summary>
/// The one time-limited cache (docs/architecture.md §6): small values read on every page (the bell's unread count, the
/// workspace settings, a user's theme, feature-list totals) kept in memory until an event says they may have changed — on
/// this node, or on the others through the event relay — and at most <see cref="Lifetime"/> in any case, which bounds
/// how stale a value can be after a change made without an event (pass <c>_ => false</c> when no event applies).
/// A value loaded while an invalidating event arrived is not kept. Concurrent loads of one missing key share one query.
/// </summary>
public sealed class EventInvalidatedCache<TValue> : IDisposable
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _clock;
    private readonly IDisposable _subscription;
    private readonly int _maxEntries;
    private long _generation;

    /// <param name="invalidates">True for an event after which cached values may be wrong (all are dropped).</param>
    /// <param name="maxEntries">Past this many keys the cache starts again (keys may come from free text such as a URL).</param>
    public EventInvalidatedCache(WorkbenchEventBus events, TimeProvider clock, TimeSpan lifetime, Func<WorkbenchEvent, bool> invalidates, int maxEntries = 10_000)
    {
        _clock = clock;
        _maxEntries = maxEntries;
        Lifetime = lifetime;
        _subscription = events.Subscribe(e =>
        {
            if (invalidates(e)) Invalidate();
        });
    }

    public TimeSpan Lifetime { get; }

    /// <summary>Values cached and not yet invalidated (tests, diagnostics).</summary>
    public int Count => _entries.Count;

    public void Invalidate()
    {
        Interlocked.Increment(ref _generation);
        _entries.Clear();
    }

    public async Task<TValue> GetAsync(string key, Func<CancellationToken, Task<TValue>> load, CancellationToken ct = default)
    {
        var now = _clock.GetTimestamp();
        var generation = Interlocked.Read(ref _generation);
        if (_entries.TryGetValue(key, out var cached) && cached.Generation == generation && now < cached.ExpiresAt)
            return await cached.Value.WaitAsync(ct);
        if (_entries.Count >= _maxEntries) _entries.Clear();
        // The load runs without the first caller's token: others may be waiting on it after that caller gave up.
        var fresh = new Entry(generation, now + (long)(Lifetime.TotalSeconds * _clock.TimestampFrequency), new Lazy<Task<TValue>>(() => load(CancellationToken.None)));
        var entry = _entries.AddOrUpdate(key, fresh, (_, old) => old.Generation == generation && now < old.ExpiresAt ? old : fresh);
        try
        {
            return await entry.Value.WaitAsync(ct);
        }
        catch (Exception) when (!ct.IsCancellationRequested)
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(key, entry)); // a failed load is not kept
            throw;
        }
    }

    /// <summary>The value kept for <paramref name="key"/> when there is one, fresh and loaded; never loads.</summary>
    public bool TryGet(string key, out TValue value)
    {
        if (_entries.TryGetValue(key, out var cached) && cached.Generation == Interlocked.Read(ref _generation)
            && _clock.GetTimestamp() < cached.ExpiresAt && cached.Lazy.IsValueCreated && cached.Value.IsCompletedSuccessfully)
        {
            value = cached.Value.Result;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>Stores a value this node has just written, so its next read needs no query.</summary>
    public void Set(string key, TValue value)
    {
        var expires = _clock.GetTimestamp() + (long)(Lifetime.TotalSeconds * _clock.TimestampFrequency);
        if (_entries.Count >= _maxEntries) _entries.Clear();
        _entries[key] = new Entry(Interlocked.Read(ref _generation), expires, new Lazy<Task<TValue>>(Task.FromResult(value)));
    }

    public void Dispose() => _subscription.Dispose();

    private sealed record Entry(long Generation, long ExpiresAt, Lazy<Task<TValue>> Lazy)
    {
        public Task<TValue> Value => Lazy.Value;
    }
}
