using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Collaboration;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Tests.LabellingServices;

public sealed class CollaborationServiceTests
{
    [Fact]
    public async Task Only_Admins_change_settings_and_a_threshold_change_recomputes_consensus_with_events_after_commit()
    {
        await using var s = await ServiceDatabase.StartAsync();
        var settings = s.Get<WorkspaceSettingsService>();
        var i = (await s.Labelling.CreateInterpretationAsync(s.Ann, s.LatentId, new InterpretationDraft("commas", "", 3, "syntax"))).Value!;
        Assert.True((await s.Labelling.VoteAsync(s.Ben, i.Id, 1)).Succeeded);
        Assert.True((await s.Labelling.VoteAsync(s.Reviewer, i.Id, 1)).Succeeded); // score 2

        var tags = Taxonomy.Default.Tags;
        foreach (var actor in new[] { s.Viewer, s.Ann, s.Reviewer })
        {
            var refused = await settings.UpdateAsync(actor, tags, 5);
            Assert.Equal(OutcomeKind.Forbidden, refused.Kind);
        }
        Assert.Equal(1, (await settings.GetAsync()).ConsensusThreshold);

        var events = new List<WorkbenchEvent>();
        using var _ = s.Bus.Subscribe(events.Add);
        Assert.True((await settings.UpdateAsync(s.Admin, tags, 3)).Succeeded);
        await using (var db = s.Db())
            Assert.Equal(LabelStatus.Unlabelled, (await db.Latents.SingleAsync(l => l.Id == s.LatentId)).LabelStatus);
        Assert.Contains(events, e => e is ConsensusChanged c && c.LatentId == s.LatentId && c.Status == "Unlabelled");
        Assert.Contains(events, e => e is WorkspaceSettingsChanged { ConsensusThreshold: 3 });

        // The same values again: nothing written, nothing audited.
        await using (var db = s.Db())
        {
            var audits = await db.AuditLog.CountAsync(a => a.Action == "settings.update");
            Assert.True((await settings.UpdateAsync(s.Admin, tags, 3)).Succeeded);
            Assert.Equal(audits, await db.AuditLog.CountAsync(a => a.Action == "settings.update"));
        }

        Assert.True((await settings.UpdateAsync(s.Admin, tags, 2)).Succeeded);
        await using (var db = s.Db())
        {
            var latent = await db.Latents.SingleAsync(l => l.Id == s.LatentId);
            Assert.Equal((LabelStatus.Proposed, "commas"), (latent.LabelStatus, latent.ConsensusLabel));
        }
    }

    [Fact]
    public async Task Notifications_are_private_marked_read_once_and_announced()
    {
        await using var s = await ServiceDatabase.StartAsync();
        var notifications = s.Get<NotificationService>();
        Assert.True((await s.Labelling.AddCommentAsync(s.Ann, s.LatentId, "@ben and @rita, see this")).Succeeded);
        var ben = await notifications.InboxAsync(s.Ben);
        Assert.Equal(1, ben.Unread);
        Assert.Equal(1, await notifications.UnreadCountAsync(s.Ben)); // the bell's count on every page, cached from here on
        Assert.Equal(0, (await notifications.InboxAsync(s.Ann)).Unread); // the author is not notified
        var id = ben.Items.Single().Id;

        Assert.Equal(OutcomeKind.NotFound, (await notifications.MarkReadAsync(s.Reviewer, id)).Kind);
        var events = new List<WorkbenchEvent>();
        using var _ = s.Bus.Subscribe(events.Add);
        Assert.NotNull((await notifications.MarkReadAsync(s.Ben, id)).Value!.ReadAt);
        Assert.True((await notifications.MarkReadAsync(s.Ben, id)).Succeeded); // again: nothing more
        Assert.Single(events.OfType<NotificationsRead>(), e => e.UserId == s.Ben.UserId);
        Assert.Equal(0, await notifications.UnreadCountAsync(s.Ben)); // the event cleared the cached 1
        await using (var db = s.Db())
            Assert.Equal(1, await db.AuditLog.CountAsync(a => a.Action == "notification.read"));

        Assert.Equal(1, (await notifications.InboxAsync(s.Reviewer)).Unread);
        Assert.Equal(1, (await notifications.MarkAllReadAsync(s.Reviewer)).Value);
        Assert.Equal(0, (await notifications.MarkAllReadAsync(s.Reviewer)).Value);
        Assert.Equal(0, (await notifications.InboxAsync(s.Reviewer)).Unread);

        // The unread count covers all notifications, not only the page shown: 3 mentions, pages of 2 and of 20.
        for (var i = 0; i < 3; i++) Assert.True((await s.Labelling.AddCommentAsync(s.Ann, s.LatentId, $"@ben look {i}")).Succeeded);
        var page = await notifications.InboxAsync(s.Ben, take: 2);
        Assert.Equal((2, 3), (page.Items.Count, page.Unread));
        var all = await notifications.InboxAsync(s.Ben);
        Assert.Equal((4, 3), (all.Items.Count, all.Unread)); // the first one was read above
        Assert.Equal(3, (await notifications.InboxAsync(s.Ben, take: 3)).Unread);
        Assert.Equal(3, await notifications.UnreadCountAsync(s.Ben)); // each mention's event cleared the cached 0
        Assert.Equal(0, await notifications.UnreadCountAsync(s.Reviewer));
    }
}
