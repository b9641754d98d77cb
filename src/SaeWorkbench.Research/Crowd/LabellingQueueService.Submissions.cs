using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Events;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Crowd;

public sealed partial class LabellingQueueService
{
    /// <summary>
    /// What the queue page shows when it opens, claiming nothing: the latent the caller already holds (a reload hands it
    /// back), else the latent "Start" would most likely claim, their progress and how many dense latents are left out.
    /// </summary>
    public async Task<Outcome<QueueLook>> LookAsync(Actor actor, long scopeId, bool includeDense = false, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.LabelInQueue))
            return Outcome<QueueLook>.Forbidden(actor.Role, WorkbenchAction.LabelInQueue);
        await using var db = await factory.CreateDbContextAsync(ct);
        var scope = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
        if (scope is null) return Outcome<QueueLook>.NotFound($"Labelling scope {scopeId}");
        var now = clock.GetUtcNow();
        var settings = Settings(scope, includeDense);
        var candidates = await CandidatesAsync(db, scopeId, null, now, ct);
        var all = candidates.Values.Select(c => c.Candidate).ToList();
        var first = LabellingQueuePolicy.Eligible(all, actor.UserId, settings, now).FirstOrDefault();
        QueueAssignment? held = null, next = null;
        if (first is not null)
        {
            var mine = first.Claims.FirstOrDefault(c => c.UserId == actor.UserId && LabellingQueuePolicy.IsActive(c, now));
            var assignment = new QueueAssignment(scopeId, candidates[first.LatentIndex].LatentId, scope.DictionaryId, first.LatentIndex,
                mine?.ExpiresAt ?? LabellingQueuePolicy.ClaimExpiresAt(now, settings));
            if (mine is not null) held = assignment;
            else next = assignment;
        }
        return Outcome<QueueLook>.Ok(new QueueLook(held, next, LabellingQueuePolicy.ProgressFor(all, actor.UserId, settings),
            LabellingQueuePolicy.DenseLeftOut(all, actor.UserId, settings, now), LabellingQueuePolicy.DenseThreshold));
    }

    /// <summary>The caller's own live interpretations of the scope's latents, newest first (what "my submissions" lists).</summary>
    public async Task<Outcome<IReadOnlyList<QueueSubmission>>> MySubmissionsAsync(Actor actor, long scopeId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var scope = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
        if (scope is null) return Outcome<IReadOnlyList<QueueSubmission>>.NotFound($"Labelling scope {scopeId}");
        var rows = await (from m in db.ScopeLatents
                          join l in db.Latents on m.LatentId equals l.Id
                          join i in db.Interpretations on l.Id equals i.LatentId
                          where m.ScopeId == scopeId && i.AuthorId == actor.UserId && !i.IsDeleted
                          select new { i, l.Index }).AsNoTracking().ToListAsync(ct);
        // Ordered here: SQLite cannot order by a DateTimeOffset column.
        IReadOnlyList<QueueSubmission> list = rows.OrderByDescending(r => r.i.CreatedAt).ThenByDescending(r => r.i.Id)
            .Select(r => new QueueSubmission(r.i.Id, r.i.LatentId, scope.DictionaryId, r.Index, r.i.Label, r.i.Description, r.i.Tag, r.i.Confidence,
                r.i.Version, StatusOf(r.i.Review), r.i.ReviewReason, r.i.CreatedAt))
            .ToList();
        return Outcome<IReadOnlyList<QueueSubmission>>.Ok(list);
    }

    internal static string StatusOf(ReviewDecision review) => review switch
    {
        ReviewDecision.Accepted => nameof(ReviewStatus.Accepted),
        ReviewDecision.Rejected => nameof(ReviewStatus.Rejected),
        _ => nameof(ReviewStatus.Pending),
    };

    /// <summary>
    /// "Back": edits the caller's own interpretation of a latent of the scope (the undo of a submission). It goes
    /// through <see cref="LabellingService.EditInterpretationAsync"/>, so only the author may, it becomes a new version,
    /// and a save on a stale <paramref name="baseVersion"/> is a conflict that overwrites nothing.
    /// </summary>
    public async Task<Outcome<EditOutcomeView>> EditSubmissionAsync(Actor actor, long scopeId, long interpretationId, int baseVersion,
        InterpretationDraft draft, CancellationToken ct = default)
    {
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var inScope = await (from i in db.Interpretations
                                 join m in db.ScopeLatents on i.LatentId equals m.LatentId
                                 where i.Id == interpretationId && m.ScopeId == scopeId
                                 select i.Id).AnyAsync(ct);
            if (!inScope) return Outcome<EditOutcomeView>.NotFound($"Interpretation {interpretationId} in scope {scopeId}");
        }
        var edited = await labelling.EditInterpretationAsync(actor, interpretationId, baseVersion, draft, ct);
        if (edited.Succeeded) bus.Publish(new QueueProgressChanged(scopeId, actor.UserId));
        return edited;
    }
}
