using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// The feature list's "N latents match" for a dictionary and a filter, kept for a few seconds (A count over
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

    /// <summary>Whole ordered lists kept at once (each up to 8 bytes per latent: 800 KB at 100k latents).</summary>
    private const int MaxOrders = 16;

    private readonly EventInvalidatedCache<int> _cache;
    private readonly EventInvalidatedCache<long[]> _orders;

    public FeatureCountCache(WorkbenchEventBus events, TimeProvider clock)
    {
        _cache = new EventInvalidatedCache<int>(events, clock, Lifetime, e => !Irrelevant(e), MaxEntries);
        _orders = new EventInvalidatedCache<long[]>(events, clock, Lifetime, e => !Irrelevant(e), MaxOrders);
    }

    /// <summary>Events that never change what the list counts; everything else (including event kinds added later) clears the cache.</summary>
    private static bool Irrelevant(WorkbenchEvent e) =>
        e is JobMetricLogged or PresenceChanged or LatentViewersChanged or NotificationCreated or NotificationsRead or CommentAdded or VoteChanged;

    /// <summary>Counts cached so far and not yet invalidated (for tests and diagnostics).</summary>
    public int Count => _cache.Count;

    /// <summary>Forgets every count; the next request of each filter counts again.</summary>
    public void Invalidate()
    {
        _cache.Invalidate();
        _orders.Invalidate();
    }

    /// <summary>The cached count for <paramref name="key"/>, or <paramref name="count"/>'s result (shared by concurrent callers).</summary>
    public Task<int> GetOrCountAsync(string key, Func<CancellationToken, Task<int>> count, CancellationToken ct) => _cache.GetAsync(key, count, ct);

    /// <summary>
    /// The latent ids of a whole filtered, sorted list in order (deep pages are slices of it), cached like the counts and
    /// cleared by the same events, so a page and the list's total always come from the same state of the data.
    /// </summary>
    public Task<long[]> GetOrOrderAsync(string key, Func<CancellationToken, Task<long[]>> order, CancellationToken ct) => _orders.GetAsync(key, order, ct);

    public void Dispose()
    {
        _cache.Dispose();
        _orders.Dispose();
    }
}
