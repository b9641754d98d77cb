using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;

namespace SaeWorkbench.Research.Features;

/// <summary>Finds latents fast: one indexed query per page (no N+1), whatever the filters and the sort.</summary>
public sealed class FeatureCatalog(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    public async Task<FeaturePage> QueryAsync(long dictionaryId, FeatureQuery query, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latents = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query);
        var total = await latents.CountAsync(ct);
        var ordered = Ordered(latents, query);
        var rows = await ordered.Skip(query.Page * query.PageSize).Take(query.PageSize)
            .Select(l => new FeatureRow(l.Index, l.Density, l.MaxActivation, l.MeanActivation, l.IsDead, l.LabelStatus, l.ConsensusLabel, l.ConsensusTag))
            .ToListAsync(ct);
        return new FeaturePage(rows, total, query);
    }

    /// <summary>The latent indices of the whole filtered, sorted view (for j/k navigation), capped.</summary>
    public async Task<IReadOnlyList<int>> IndicesAsync(long dictionaryId, FeatureQuery query, int cap = 100_000, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latents = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query);
        return await Ordered(latents, query).Select(l => l.Index).Take(cap).ToListAsync(ct);
    }

    private static IQueryable<Latent> Ordered(IQueryable<Latent> latents, FeatureQuery query) =>
        (query.Sort, query.Descending) switch
        {
            (FeatureSort.Density, false) => latents.OrderBy(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.Density, true) => latents.OrderByDescending(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, false) => latents.OrderBy(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, true) => latents.OrderByDescending(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, false) => latents.OrderBy(l => l.LabelStatus).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, true) => latents.OrderByDescending(l => l.LabelStatus).ThenBy(l => l.Index),
            (_, true) => latents.OrderByDescending(l => l.Index),
            _ => latents.OrderBy(l => l.Index),
        };


    private static IQueryable<Latent> Filter(WorkbenchDbContext db, IQueryable<Latent> latents, FeatureQuery q)
    {
        if (q.Dead is { } dead) latents = latents.Where(l => l.IsDead == dead);
        if (q.Dense is { } dense)
            latents = dense ? latents.Where(l => l.Density > q.DenseThreshold) : latents.Where(l => l.Density == null || l.Density <= q.DenseThreshold);
        if (q.MinDensity is { } min) latents = latents.Where(l => l.Density >= min);
        if (q.MaxDensity is { } max) latents = latents.Where(l => l.Density <= max);
        if (q.Tag is { } tag) latents = latents.Where(l => l.ConsensusTag == tag);
        if (q.Status is { } status) latents = latents.Where(l => l.LabelStatus == status);
        if (q.Search is { } text)
        {
            var pattern = "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            latents = latents.Where(l =>
                (l.ConsensusLabel != null && EF.Functions.Like(l.ConsensusLabel, pattern, "\\")) ||
                db.Interpretations.Any(i => i.LatentId == l.Id && !i.IsDeleted &&
                                            (EF.Functions.Like(i.Label, pattern, "\\") || EF.Functions.Like(i.Description, pattern, "\\"))));
        }
        return latents;
    }
}
