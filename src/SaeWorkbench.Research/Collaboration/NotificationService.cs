using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Collaboration;

public sealed record NotificationView(long Id, string Text, string? Link, DateTimeOffset CreatedAt, DateTimeOffset? ReadAt);

/// <summary>The bell's content: the newest notifications and how many are unread.</summary>
public sealed record NotificationInbox(int Unread, IReadOnlyList<NotificationView> Items);

/// <summary>
/// A user's in-app notifications (@mentions and reviews create them, in
/// <see cref="LabellingService"/>). Everyone reads and marks read only their own; marking read is a
/// write, audited ("notification.read") and announced with <see cref="NotificationsRead"/> so every open
/// bell of that user updates.
/// </summary>
public sealed class NotificationService(IDbContextFactory<WorkbenchDbContext> factory, LabellingTransactions transactions, WorkbenchEventBus events, TimeProvider clock) : IDisposable
{
    public const int MaxTake = 100;

    /// <summary>How long an unread count is kept when no notification event arrives (one made without an event shows within this).</summary>
    public static readonly TimeSpan UnreadLifetime = TimeSpan.FromSeconds(30);

    // The bell's count is on every page of every user; it changes only with these two events (the page budget, docs/performance.md).
    private readonly EventInvalidatedCache<int> _unread = new(events, clock, UnreadLifetime, e => e is NotificationCreated or NotificationsRead);

    /// <summary>How many of the caller's notifications are unread: what the bell shows before it is opened.</summary>
    public Task<int> UnreadCountAsync(Actor actor, CancellationToken ct = default) =>
        _unread.GetAsync(actor.UserId, async token =>
        {
            await using var db = await factory.CreateDbContextAsync(token);
            return await db.Notifications.AsNoTracking().CountAsync(n => n.UserId == actor.UserId && n.ReadAt == null, token);
        }, ct);

    public void Dispose() => _unread.Dispose();

    public async Task<NotificationInbox> InboxAsync(Actor actor, int take = 20, CancellationToken ct = default)
    {
        take = Math.Clamp(take, 1, MaxTake);
        await using var db = await factory.CreateDbContextAsync(ct);
        var mine = db.Notifications.AsNoTracking().Where(n => n.UserId == actor.UserId);
        var items = await mine.OrderByDescending(n => n.Id).Take(take)
            .Select(n => new NotificationView(n.Id, n.Text, n.Link, n.CreatedAt, n.ReadAt)).ToListAsync(ct);
        // Fewer than a page: these are all of them, so they hold the unread count too (one query on most page views).
        var unread = items.Count < take ? items.Count(n => n.ReadAt is null) : await mine.CountAsync(n => n.ReadAt == null, ct);
        return new NotificationInbox(unread, items);
    }

    /// <summary>Marks one of the caller's notifications read (someone else's answers NotFound). Already read: nothing written.</summary>
    public async Task<Outcome<NotificationView>> MarkReadAsync(Actor actor, long notificationId, CancellationToken ct = default) =>
        await transactions.RunAsync(async (w, ct) =>
        {
            var n = await w.Db.Notifications.FirstOrDefaultAsync(x => x.Id == notificationId && x.UserId == actor.UserId, ct);
            if (n is null) return Outcome<NotificationView>.NotFound($"Notification {notificationId}");
            if (n.ReadAt is null)
            {
                n.ReadAt = w.Now;
                AuditRecorder.Add(w.Db, actor, "notification.read", "Notification", n.Id, new { n.Id, ReadAt = (DateTimeOffset?)null }, new { n.Id, n.ReadAt }, w.Now);
                await w.Db.SaveChangesAsync(ct);
                w.Publish(new NotificationsRead(actor.UserId));
            }
            return Outcome<NotificationView>.Ok(new NotificationView(n.Id, n.Text, n.Link, n.CreatedAt, n.ReadAt));
        }, ct);

    /// <summary>Marks all the caller's unread notifications read; returns how many (0: nothing written).</summary>
    public async Task<Outcome<int>> MarkAllReadAsync(Actor actor, CancellationToken ct = default) =>
        await transactions.RunAsync(async (w, ct) =>
        {
            var unread = await w.Db.Notifications.Where(x => x.UserId == actor.UserId && x.ReadAt == null).ToListAsync(ct);
            if (unread.Count == 0) return Outcome<int>.Ok(0);
            foreach (var n in unread) n.ReadAt = w.Now;
            AuditRecorder.Add(w.Db, actor, "notification.read-all", "Notification", actor.UserId,
                new { Ids = unread.Select(n => n.Id).ToArray(), ReadAt = (DateTimeOffset?)null }, new { Ids = unread.Select(n => n.Id).ToArray(), ReadAt = w.Now }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new NotificationsRead(actor.UserId));
            return Outcome<int>.Ok(unread.Count);
        }, ct);
}
