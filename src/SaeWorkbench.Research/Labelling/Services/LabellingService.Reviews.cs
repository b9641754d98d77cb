using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>Accepts, rejects (reason required) or sends back to Pending someone else's interpretation. Reviewer and above.</summary>
    public async Task<Outcome<InterpretationView>> ReviewAsync(Actor actor, long interpretationId, ReviewStatus decision, string? reason, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Review))
            return Outcome<InterpretationView>.Forbidden(actor.Role, WorkbenchAction.Review);
        var reviewed = await transactions.RunAsync(async (w, ct) =>
        {
            var i = await w.Db.Interpretations.FirstOrDefaultAsync(x => x.Id == interpretationId, ct);
            if (i is null) return Outcome<DataLabelling.Interpretation>.NotFound($"Interpretation {interpretationId}");
            var allowed = ReviewRules.CanReview(actor.Role, actor.UserId, new ReviewTarget(i.AuthorId, i.IsDeleted, ToStatus(i.Review)), decision, reason);
            if (!allowed.IsValid) return Outcome<DataLabelling.Interpretation>.Refused(allowed);

            var before = Snapshot(i);
            var trimmed = reason?.Trim();
            i.Review = ToDecision(decision);
            i.ReviewerId = actor.UserId;
            i.ReviewReason = string.IsNullOrEmpty(trimmed) ? null : trimmed;
            i.ReviewedAt = w.Now;
            var verb = decision switch
            {
                ReviewStatus.Accepted => "accepted",
                ReviewStatus.Rejected => "rejected",
                _ => "sent back to pending",
            };
            var latentIndex = await w.Db.Latents.Where(l => l.Id == i.LatentId).Select(l => l.Index).FirstAsync(ct);
            var notification = new DataLabelling.Notification
            {
                UserId = i.AuthorId,
                Text = Truncate($"{actor.UserName} {verb} your interpretation \"{i.Label}\" of latent #{latentIndex}.", 1000),
                Link = $"/latents/{i.LatentId}",
                CreatedAt = w.Now,
            };
            w.Db.Notifications.Add(notification);
            AuditRecorder.Add(w.Db, actor, $"review.{decision.ToString().ToLowerInvariant()}", "Interpretation", i.Id, before, Snapshot(i), w.Now);
            await w.Db.SaveChangesAsync(ct);
            await RecomputeConsensusAsync(w, i.LatentId, ct);
            w.Publish(new InterpretationReviewed(i.LatentId, i.Id, decision.ToString(), actor.UserId));
            w.Publish(new NotificationCreated(notification.UserId, notification.Id, notification.Text, notification.Link));
            return Outcome<DataLabelling.Interpretation>.Ok(i);
        }, ct);
        return reviewed.Map(i => View(i, null, null));
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..(max - 1)] + "…";
}
