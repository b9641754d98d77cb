using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.ChangeTracking;
using SaeWorkbench.Data.Explanations;
using SaeWorkbench.Data.Labelling;

namespace SaeWorkbench.Data.Dictionaries;

/// <summary>
/// Keeps <see cref="Latent.BestScore"/> equal to its rule (docs/science.md §13): the best current score of the latent's
/// live interpretations — each interpretation's human detection score once it has ratings, and its newest model score per
/// scorer and model on its current version (an older one is superseded by a score run again). The one place that writes the column: <see cref="WorkbenchDbContext"/>'s save asks
/// <see cref="Collect"/> which latents a save touches (an interpretation added, deleted, re-versioned or rated; a model
/// score added, changed or removed), then <see cref="RefreshAsync"/> recomputes those latents in the same transaction
/// (docs/architecture.md §5). Every write path (labelling, detection ratings, model scores, bundle import, carry-over)
/// goes through a save, so none of them needs to know the column exists.
/// </summary>
public static class LatentBestScores
{
    /// <summary>The properties of an interpretation the rule reads; a vote or a review changes none of them.</summary>
    private static readonly string[] InterpretationInputs =
    [
        nameof(Interpretation.LatentId), nameof(Interpretation.IsDeleted), nameof(Interpretation.Version),
        nameof(Interpretation.DetectionScore), nameof(Interpretation.DetectionRatings),
    ];

    /// <summary>The rule, as a query expression over <paramref name="db"/>.</summary>
    public static Expression<Func<Latent, double?>> Rule(WorkbenchDbContext db) => l =>
        db.Interpretations.Where(i => i.LatentId == l.Id && !i.IsDeleted)
            .Select(i => new
            {
                Human = i.DetectionRatings > 0 ? i.DetectionScore : null,
                // A score run again supersedes the older one of the same scorer and model: only the newest counts.
                Machine = db.ExplanationScores.Where(s => s.InterpretationId == i.Id && s.InterpretationVersion == i.Version
                        && !db.ExplanationScores.Any(n => n.InterpretationId == s.InterpretationId && n.InterpretationVersion == s.InterpretationVersion
                                                          && n.Scorer == s.Scorer && n.ModelName == s.ModelName && n.Id > s.Id))
                    .Max(s => s.BalancedAccuracy),
            })
            .Max(x => x.Machine > x.Human ? x.Machine : x.Human ?? x.Machine);

    /// <summary>What a save is about to change that can move a best score (read before the save: deleted rows lose their values after it).</summary>
    public sealed class Pending
    {
        internal readonly List<EntityEntry<Interpretation>> Interpretations = [];
        internal readonly HashSet<long> OriginalLatents = [];
        internal readonly List<EntityEntry<ExplanationScore>> Scores = [];

        public bool IsEmpty => Interpretations.Count == 0 && Scores.Count == 0;
    }

    /// <summary>
    /// The tracked interpretations and model scores whose change can move a best score. Reads the change tracker as it
    /// stands: the caller detects changes first.
    /// </summary>
    public static Pending Collect(WorkbenchDbContext db)
    {
        var pending = new Pending();
        foreach (var e in db.ChangeTracker.Entries<Interpretation>())
        {
            if (e.State is EntityState.Added or EntityState.Deleted
                || e.State == EntityState.Modified && InterpretationInputs.Any(p => e.Property(p).IsModified))
            {
                pending.Interpretations.Add(e);
                // An interpretation moved to another latent leaves its old one to recompute too.
                if (e.State != EntityState.Added) pending.OriginalLatents.Add(e.Property(i => i.LatentId).OriginalValue);
            }
        }
        foreach (var e in db.ChangeTracker.Entries<ExplanationScore>())
            if (e.State is EntityState.Added or EntityState.Deleted or EntityState.Modified)
                pending.Scores.Add(e);
        return pending;
    }

    /// <summary>The latents a saved <paramref name="pending"/> touched: read after the save, when new rows have their ids.</summary>
    public static async Task<HashSet<long>> LatentsAsync(WorkbenchDbContext db, Pending pending, CancellationToken ct)
    {
        var latents = new HashSet<long>(pending.OriginalLatents);
        foreach (var e in pending.Interpretations) latents.Add(e.Entity.LatentId);
        var interpretations = pending.Scores.SelectMany(e => e.State == EntityState.Modified
                ? new[] { e.Entity.InterpretationId, e.Property(s => s.InterpretationId).OriginalValue }
                : [e.Entity.InterpretationId])
            .Where(id => id > 0).Distinct().ToList();
        if (interpretations.Count > 0)
            latents.UnionWith(await db.Interpretations.Where(i => interpretations.Contains(i.Id)).Select(i => i.LatentId).ToListAsync(ct));
        return latents;
    }

    /// <summary>
    /// Writes the rule's value into <paramref name="latentIds"/>' stored best score: one statement, in the caller's
    /// transaction when one is open.
    /// </summary>
    public static Task<int> RefreshAsync(WorkbenchDbContext db, IReadOnlyCollection<long> latentIds, CancellationToken ct = default)
    {
        if (latentIds.Count == 0) return Task.FromResult(0);
        var ids = latentIds.ToArray();
        return db.Latents.Where(l => ids.Contains(l.Id)).ExecuteUpdateAsync(s => s.SetProperty(l => l.BestScore, Rule(db)), ct);
    }

    /// <summary>
    /// Brings every stored best score that differs from the rule up to date (a database migrated from before the column,
    /// or written by a tool that bypassed the save): one statement that writes only the rows that differ. Run at start-up.
    /// </summary>
    public static Task<int> RepairAsync(WorkbenchDbContext db, CancellationToken ct = default)
    {
        var rule = Rule(db);
        var param = rule.Parameters[0];
        // l.BestScore != rule(l), with the database's null semantics (NULL against a number counts as a difference).
        var differs = Expression.Lambda<Func<Latent, bool>>(
            Expression.NotEqual(Expression.Property(param, nameof(Latent.BestScore)), rule.Body), param);
        return db.Latents
            .Where(l => l.BestScore != null || db.Interpretations.Select(i => i.LatentId).Contains(l.Id))
            .Where(differs)
            .ExecuteUpdateAsync(s => s.SetProperty(l => l.BestScore, Rule(db)), ct);
    }
}
