using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Labelling;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Crowd;

/// <summary>
/// The reviewer queue beside a scope's labelling queue: its latents' interpretations still awaiting review (Pending,
/// not deleted), oldest first, without the caller's own (nobody reviews their own, <see cref="ReviewRules"/>). Only roles
/// that may review see it (<see cref="WorkbenchAction.Review"/>), and every row passes
/// <see cref="InterpretationVisibility"/>, so blind mode holds even if the review role ever stops implying
/// <see cref="WorkbenchAction.SeeBlindedWork"/>. Decisions go through <see cref="LabellingService.ReviewAsync"/>.
/// </summary>
public sealed class ReviewQueueService(IDbContextFactory<WorkbenchDbContext> factory, LabellingService labelling)
{
    public const int MaxItems = 200;

    public async Task<Outcome<IReadOnlyList<ReviewQueueItem>>> PendingAsync(Actor actor, long scopeId, CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Review))
            return Outcome<IReadOnlyList<ReviewQueueItem>>.Forbidden(actor.Role, WorkbenchAction.Review);
        await using var db = await factory.CreateDbContextAsync(ct);
        var scope = await db.LabellingScopes.AsNoTracking().FirstOrDefaultAsync(s => s.Id == scopeId, ct);
        if (scope is null) return Outcome<IReadOnlyList<ReviewQueueItem>>.NotFound($"Labelling scope {scopeId}");
        var rows = await (from m in db.ScopeLatents
                          join l in db.Latents on m.LatentId equals l.Id
                          join i in db.Interpretations on l.Id equals i.LatentId
                          join u in db.Users on i.AuthorId equals u.Id into authors
                          from u in authors.DefaultIfEmpty()
                          where m.ScopeId == scopeId && !i.IsDeleted && i.Review == ReviewDecision.None && i.AuthorId != actor.UserId
                          orderby i.Id
                          select new { i, l.Index, AuthorName = u == null ? null : u.UserName }).AsNoTracking().Take(MaxItems).ToListAsync(ct);
        var visible = await InterpretationVisibility.VisibleAsync(db, actor, rows.Select(r => r.i.Id).ToList(), ct);
        IReadOnlyList<ReviewQueueItem> items = rows.Where(r => visible.Contains(r.i.Id))
            .Select(r => new ReviewQueueItem(r.i.Id, r.i.LatentId, scope.DictionaryId, r.Index, r.i.AuthorId, r.AuthorName, r.i.Label,
                StoredMarkdown.Html(r.i.DescriptionHtml, r.i.Description), r.i.Tag, r.i.Confidence, r.i.Score, r.i.CreatedAt))
            .ToList();
        return Outcome<IReadOnlyList<ReviewQueueItem>>.Ok(items);
    }

    /// <summary>Accepts or rejects (with a reason) an interpretation of the scope's latents; the rules are <see cref="ReviewRules"/>.</summary>
    public async Task<Outcome<InterpretationView>> DecideAsync(Actor actor, long scopeId, long interpretationId, string? decision, string? reason,
        CancellationToken ct = default)
    {
        if (!Permissions.Can(actor.Role, WorkbenchAction.Review))
            return Outcome<InterpretationView>.Forbidden(actor.Role, WorkbenchAction.Review);
        if (decision is null || !Enum.TryParse<ReviewStatus>(decision, ignoreCase: true, out var status) || status == ReviewStatus.Pending
            || int.TryParse(decision, out _))
            return Outcome<InterpretationView>.Refused(ValidationResult.Fail("decision", "The decision is Accepted or Rejected."));
        await using (var db = await factory.CreateDbContextAsync(ct))
        {
            var inScope = await (from i in db.Interpretations
                                 join m in db.ScopeLatents on i.LatentId equals m.LatentId
                                 where i.Id == interpretationId && m.ScopeId == scopeId
                                 select i.Id).AnyAsync(ct);
            if (!inScope || !await InterpretationVisibility.MaySeeAsync(db, actor, interpretationId, ct))
                return Outcome<InterpretationView>.NotFound($"Interpretation {interpretationId} in scope {scopeId}");
        }
        return await labelling.ReviewAsync(actor, interpretationId, status, reason, ct);
    }
}
