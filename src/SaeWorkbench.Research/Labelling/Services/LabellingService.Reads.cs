using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Crowd;

namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>The labelling panel of a latent: consensus, live interpretations in display order (with the caller's votes) and comments.</summary>
    public async Task<Outcome<LatentLabelling>> GetLatentAsync(Actor? actor, long latentId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        var latent = await db.Latents.AsNoTracking().FirstOrDefaultAsync(l => l.Id == latentId, ct);
        if (latent is null) return Outcome<LatentLabelling>.NotFound($"Latent {latentId}");
        var interpretations = await db.Interpretations.AsNoTracking().Where(i => i.LatentId == latentId && !i.IsDeleted).ToListAsync(ct);
        var ids = interpretations.Select(i => i.Id).ToList();
        // Queries that could only come back empty are skipped (most latents have no interpretations yet).
        var myVotes = actor is null || ids.Count == 0 ? new Dictionary<long, int>() : await db.Votes.AsNoTracking()
            .Where(v => v.UserId == actor.UserId && ids.Contains(v.InterpretationId))
            .ToDictionaryAsync(v => v.InterpretationId, v => v.Value, ct);
        var comments = await db.Comments.AsNoTracking().Where(c => c.LatentId == latentId && !c.IsDeleted)
            .OrderBy(c => c.CreatedAt).ThenBy(c => c.Id).ToListAsync(ct);
        var names = await UserNamesAsync(db, interpretations.Select(i => i.AuthorId).Concat(comments.Select(c => c.AuthorId)), ct);

        var byId = interpretations.ToDictionary(i => i.Id);
        var ordered = Consensus.DisplayOrder(interpretations.Select(Standing))
            .Select(s => byId[s.Id])
            .Select(i => View(i, names.GetValueOrDefault(i.AuthorId), myVotes.TryGetValue(i.Id, out var mine) ? mine : null))
            .ToList();
        var panel = new LatentLabelling(latent.Id, latent.DictionaryId, latent.Index, ConsensusOf(latent),
            ordered, comments.Select(c => View(c, names.GetValueOrDefault(c.AuthorId))).ToList());
        // Blind mode: in a blind scope a labeller sees only their own work until they submitted it.
        return Outcome<LatentLabelling>.Ok(await InterpretationVisibility.ApplyAsync(db, actor, panel, ct));
    }

    /// <summary>
    /// Every saved version of an interpretation, oldest first, for those who may see it
    /// (<see cref="InterpretationVisibility"/>: a deleted one's only for Reviewers and Admins); otherwise Not found, as
    /// for an id never used.
    /// </summary>
    public async Task<Outcome<IReadOnlyList<VersionView>>> GetVersionsAsync(Actor? actor, long interpretationId, CancellationToken ct = default)
    {
        await using var db = await factory.CreateDbContextAsync(ct);
        if (!await InterpretationVisibility.MaySeeAsync(db, actor, interpretationId, ct))
            return Outcome<IReadOnlyList<VersionView>>.NotFound($"Interpretation {interpretationId}");
        var versions = await db.InterpretationVersions.AsNoTracking().Where(v => v.InterpretationId == interpretationId)
            .OrderBy(v => v.Version).ToListAsync(ct);
        var names = await UserNamesAsync(db, versions.Select(v => v.EditedById), ct);
        return Outcome<IReadOnlyList<VersionView>>.Ok(versions.Select(v => View(v, names.GetValueOrDefault(v.EditedById))).ToList());
    }

    private static async Task<Dictionary<string, string?>> UserNamesAsync(SaeWorkbench.Data.WorkbenchDbContext db, IEnumerable<string> ids, CancellationToken ct)
    {
        var distinct = ids.Distinct().ToList();
        if (distinct.Count == 0) return [];
        return await db.Users.AsNoTracking().Where(u => distinct.Contains(u.Id)).ToDictionaryAsync(u => u.Id, u => u.UserName, ct);
    }
}
