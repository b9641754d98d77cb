using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Crowd;

/// <summary>
/// Issue 8 §3, blind mode, applied on every read path (the labelling panel, the REST API, hub events). A latent is
/// blind when it belongs to a blind scope that is not archived. There a person sees only their own
/// interpretations and comments — no one else's interpretations, votes or consensus — until they have written
/// their own; Reviewers and Admins see everything (<see cref="Permissions.CanSeeOthersWork"/>, the one rule).
/// </summary>
public static class BlindModePolicy
{
    /// <summary>The consensus status shown in place of a hidden consensus.</summary>
    public const string HiddenStatus = "Hidden";

    /// <summary>Whether <paramref name="actor"/> may see others' work on the latent now.</summary>
    public static async Task<bool> CanSeeOthersWorkAsync(WorkbenchDbContext db, Actor? actor, long latentId, CancellationToken ct)
    {
        if (actor is not null && Permissions.Can(actor.Role, LabellingAction.SeeBlindedWork)) return true;
        if (!await IsBlindAsync(db, latentId, ct)) return true;
        var submitted = actor is not null && await db.Interpretations.AnyAsync(i => i.LatentId == latentId && i.AuthorId == actor.UserId && !i.IsDeleted, ct);
        return Permissions.CanSeeOthersWork(actor?.Role ?? Role.Viewer, scopeIsBlind: true, submitted);
    }

    public static Task<bool> IsBlindAsync(WorkbenchDbContext db, long latentId, CancellationToken ct) =>
        (from m in db.ScopeLatents
         join s in db.LabellingScopes on m.ScopeId equals s.Id
         where m.LatentId == latentId && s.IsBlind && !s.IsArchived
         select m).AnyAsync(ct);

    /// <summary>Of <paramref name="latentIds"/>, those in a blind scope.</summary>
    public static async Task<HashSet<long>> BlindLatentsAsync(WorkbenchDbContext db, IReadOnlyCollection<long> latentIds, CancellationToken ct) =>
        (await (from m in db.ScopeLatents
                join s in db.LabellingScopes on m.ScopeId equals s.Id
                where latentIds.Contains(m.LatentId) && s.IsBlind && !s.IsArchived
                select m.LatentId).Distinct().ToListAsync(ct)).ToHashSet();

    /// <summary>The panel as <paramref name="actor"/> may see it: unchanged, or reduced to their own work with the consensus hidden.</summary>
    public static async Task<LatentLabelling> ApplyAsync(WorkbenchDbContext db, Actor? actor, LatentLabelling panel, CancellationToken ct)
    {
        if (await CanSeeOthersWorkAsync(db, actor, panel.LatentId, ct)) return panel;
        return Blinded(panel, actor?.UserId);
    }

    /// <summary>Only the caller's own interpretations and comments, no consensus.</summary>
    public static LatentLabelling Blinded(LatentLabelling panel, string? userId) => panel with
    {
        Consensus = new ConsensusView(HiddenStatus, null, null, null),
        Interpretations = panel.Interpretations.Where(i => i.AuthorId == userId).ToList(),
        Comments = panel.Comments.Where(c => c.AuthorId == userId).ToList(),
    };

    /// <summary>A list row's consensus as the caller may see it.</summary>
    public static ConsensusView Hidden { get; } = new(HiddenStatus, null, null, null);

    /// <summary>
    /// Of <paramref name="latentIds"/>, those whose consensus <paramref name="actor"/> may not see (blind, and no
    /// interpretation of their own there). Empty for Reviewers and Admins.
    /// </summary>
    public static async Task<HashSet<long>> HiddenConsensusAsync(WorkbenchDbContext db, Actor? actor, IReadOnlyCollection<long> latentIds, CancellationToken ct)
    {
        if (actor is not null && Permissions.Can(actor.Role, LabellingAction.SeeBlindedWork)) return [];
        var blind = await BlindLatentsAsync(db, latentIds, ct);
        if (blind.Count == 0 || actor is null) return blind;
        var own = await db.Interpretations.Where(i => blind.Contains(i.LatentId) && i.AuthorId == actor.UserId && !i.IsDeleted)
            .Select(i => i.LatentId).Distinct().ToListAsync(ct);
        blind.ExceptWith(own);
        return blind;
    }
}
