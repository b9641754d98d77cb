using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// The totals of text searches, kept a few seconds. Kept because counting a search tests every latent's text (the
/// whole dictionary, tens of ms at 100,000 latents), which the browse benchmark's "every list view p95 ≤ 50 ms with 50
/// pacing clients" cannot afford on every page; every other total is counted in the page's own query. Cleared on this
/// node and the others by any event that can change a label, an interpretation or a latent (everything except presence,
/// metrics, notifications, comments and votes); <see cref="Lifetime"/> bounds staleness after a change made without one.
/// </summary>
public sealed class SearchTotals : IDisposable
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(5);

    private readonly EventInvalidatedCache<int> _cache;

    public SearchTotals(WorkbenchEventBus events, TimeProvider clock) =>
        _cache = new EventInvalidatedCache<int>(events, clock, Lifetime, e => !Irrelevant(e), maxEntries: 4096);

    private static bool Irrelevant(WorkbenchEvent e) =>
        e is JobMetricLogged or PresenceChanged or LatentViewersChanged or NotificationCreated or NotificationsRead or CommentAdded or VoteChanged;

    public Task<int> GetAsync(string key, Func<CancellationToken, Task<int>> count, CancellationToken ct) => _cache.GetAsync(key, count, ct);

    public void Dispose() => _cache.Dispose();
}
