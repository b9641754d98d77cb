using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Research.Audit;
using SaeWorkbench.Research.Events;
using DataLabelling = SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>
    /// Adds a Markdown comment to a latent or to one of its interpretations; each @mentioned user (other
    /// than the author) gets a notification in the same transaction. Labeler and above.
    /// </summary>
    public async Task<Outcome<CommentView>> AddCommentAsync(Actor actor, long latentId, string? body, long? interpretationId = null, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Comment))
            return Outcome<CommentView>.Forbidden(actor.Role, WorkbenchAction.Comment);
        var valid = CommentRules.Validate(body);
        if (!valid.IsValid) return Outcome<CommentView>.Refused(valid.Validation);
        var comment = valid.Value!;
        var mentioned = comment.MentionedUserNames.Select(n => n.ToUpperInvariant()).ToList();

        var added = await transactions.RunAsync(async (w, ct) =>
        {
            var latent = await w.Db.Latents.AsNoTracking().FirstOrDefaultAsync(l => l.Id == latentId, ct);
            if (latent is null) return Outcome<DataLabelling.Comment>.NotFound($"Latent {latentId}");
            if (interpretationId is { } iid)
            {
                var target = await w.Db.Interpretations.AsNoTracking().Where(i => i.Id == iid && i.LatentId == latentId).FirstOrDefaultAsync(ct);
                // One that the caller may not see (blind, or deleted) answers exactly as one that does not exist.
                if (target is null || !await Crowd.InterpretationVisibility.MaySeeAsync(w.Db, actor, target, ct))
                    return Outcome<DataLabelling.Comment>.NotFound($"Interpretation {iid} of latent {latentId}");
                if (target.IsDeleted)
                    return Outcome<DataLabelling.Comment>.Refused(ValidationResult.Fail("interpretationId", "This interpretation was deleted; comment on the latent instead."));
            }

            var row = new DataLabelling.Comment
            {
                LatentId = latentId, InterpretationId = interpretationId, AuthorId = actor.UserId, Body = comment.Body, BodyHtml = comment.BodyHtml, CreatedAt = w.Now,
            };
            w.Db.Comments.Add(row);
            List<string> recipients = mentioned.Count == 0 ? [] : await w.Db.Users.AsNoTracking()
                .Where(u => u.NormalizedUserName != null && mentioned.Contains(u.NormalizedUserName) && u.Id != actor.UserId)
                .Select(u => u.Id).ToListAsync(ct);
            var notifications = recipients.Select(userId => new DataLabelling.Notification
            {
                UserId = userId,
                Text = $"{actor.UserName} mentioned you in a comment on latent #{latent.Index}.",
                Link = $"/latents/{latentId}",
                CreatedAt = w.Now,
            }).ToList();
            w.Db.Notifications.AddRange(notifications);
            await w.Db.SaveChangesAsync(ct);
            AuditRecorder.Add(w.Db, actor, "comment.create", "Comment", row.Id, null,
                new { row.Id, row.LatentId, row.InterpretationId, row.AuthorId, row.Body, Mentioned = recipients }, w.Now);
            await w.Db.SaveChangesAsync(ct);
            w.Publish(new CommentAdded(latentId, interpretationId, row.Id, actor.UserId));
            foreach (var n in notifications) w.Publish(new NotificationCreated(n.UserId, n.Id, n.Text, n.Link));
            return Outcome<DataLabelling.Comment>.Ok(row);
        }, ct);
        return added.Map(c => View(c, actor.UserName));
    }
}
