using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// The feature list's totals (how many latents match a view), kept a few seconds. Kept because counting a view walks
/// every matching index entry: 5 ms of SQLite CPU for a dictionary of 100,000 latents, tens of ms for a text search,
/// about half of what a list page cost, which the browse benchmark's "50 closed-loop clients, list p95 ≤ 150 ms" cannot
/// afford on every page. A page that is not full tells its total exactly and stores it; a kept total smaller than the
/// rows a page shows is counted again (FeatureCatalog). Cleared on this node and the others by any event that can change
/// a label, an interpretation, a score or a latent (everything except presence, metrics, notifications, comments and
/// votes); <see cref="Lifetime"/> bounds staleness after a change made without one.
/// </summary>
public sealed class ListTotals : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly EventInvalidatedCache<int> _cache;

    public ListTotals(WorkbenchEventBus events, TimeProvider clock) =>
        _cache = new EventInvalidatedCache<int>(events, clock, Lifetime, e => !Irrelevant(e), maxEntries: 4096);

    private static bool Irrelevant(WorkbenchEvent e) =>
        e is JobMetricLogged or PresenceChanged or LatentViewersChanged or NotificationCreated or NotificationsRead or CommentAdded or VoteChanged;

    public Task<int> GetAsync(string key, Func<CancellationToken, Task<int>> count, CancellationToken ct) => _cache.GetAsync(key, count, ct);

    /// <summary>The total kept for a view, if there is one; never counts.</summary>
    public bool TryGet(string key, out int total) => _cache.TryGet(key, out total);

    /// <summary>Stores a total the caller knows exactly (a page that is not full, or one just counted).</summary>
    public void Set(string key, int total) => _cache.Set(key, total);

    public void Dispose() => _cache.Dispose();
}
