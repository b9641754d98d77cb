using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// Finds latents fast: one indexed query per page (no N+1), whatever the filters and the sort, and a count per filter
/// that <see cref="FeatureCountCache"/> keeps for a few seconds.
/// </summary>
public sealed class FeatureCatalog(IDbContextFactory<WorkbenchDbContext> dbFactory, FeatureCountCache? counts)
{
    /// <summary>Without a count cache: every page counts its filter again.</summary>
    public FeatureCatalog(IDbContextFactory<WorkbenchDbContext> dbFactory) : this(dbFactory, null) { }

    /// <summary>
    /// One page of the list. With a <paramref name="viewer"/> below Reviewer, blind mode (issue 8 §3) applies: latents of
    /// a blind scope where the viewer has no interpretation of their own show no consensus, and the label filters
    /// (tag, status, text search) leave them out, so the list cannot reveal others' work either.
    /// </summary>
    public async Task<FeaturePage> QueryAsync(long dictionaryId, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Density bounds steer SQLite's planner to the density index even when another sort or filter is far more
        // selective (a page of "dense, by max activation" sorted 14k rows); unless the list is sorted by density, they
        // are written so that the sort's index drives the page instead (issue 6).
        var latents = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query, densityIndexed: query.Sort == FeatureSort.Density);
        var blindApplies = viewer is null || !Permissions.Can(viewer.Role, LabellingAction.SeeBlindedWork);
        if (blindApplies && (query.Tag is not null || query.Status is not null || query.Search is not null))
        {
            latents = BlindFiltered(db, latents, viewer?.UserId ?? "");
        }
        var total = await CountAsync(dictionaryId, query, blindApplies ? viewer?.UserId ?? "" : null, latents, ct);
        // Deferred join: the page's ids come from the sort index alone (a deep OFFSET skips index entries, not rows),
        // then only those rows are read, in the same order.
        var pageIds = Ordered(latents, query).Skip(query.Page * query.PageSize).Take(query.PageSize).Select(l => l.Id);
        var page = await Ordered(db.Latents.AsNoTracking().Where(l => pageIds.Contains(l.Id)), query)
            .Select(l => new { l.Id, Row = new FeatureRow(l.Index, l.Density, l.MaxActivation, l.MeanActivation, l.IsDead, l.LabelStatus, l.ConsensusLabel, l.ConsensusTag, false) })
            .ToListAsync(ct);
        var hidden = blindApplies ? await BlindModePolicy.HiddenConsensusAsync(db, viewer, page.Select(p => p.Id).ToList(), ct) : [];
        var rows = page.Select(p => hidden.Contains(p.Id)
            ? p.Row with { LabelStatus = LabelStatus.Unlabelled, ConsensusLabel = null, ConsensusTag = null, ConsensusHidden = true }
            : p.Row).ToList();
        return new FeaturePage(rows, total, query);
    }

    /// <summary>
    /// The number of latents matching the filters (sort and page do not matter), from the cache when there is one. The
    /// key holds the viewer only when blind mode filters for them (<paramref name="blindUserId"/> not null and a label filter).
    /// </summary>
    private Task<int> CountAsync(long dictionaryId, FeatureQuery query, string? blindUserId, IQueryable<Latent> latents, CancellationToken ct)
    {
        if (counts is null) return latents.CountAsync(ct);
        var labelFilter = query.Tag is not null || query.Status is not null || query.Search is not null;
        var filter = query with { Sort = FeatureSort.Index, Descending = false, Page = 0, PageSize = 50 };
        var key = $"{dictionaryId}|{(blindUserId is not null && labelFilter ? "blind:" + blindUserId : "all")}|{filter.ToQueryString()}|{query.DenseThreshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";
        // The cached query outlives this request's context, so it counts on a context of its own.
        return counts.GetOrCountAsync(key, async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            var counted = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query);
            if (blindUserId is not null && labelFilter) counted = BlindFiltered(db, counted, blindUserId);
            return await counted.CountAsync(token);
        }, ct);
    }

    /// <summary>
    /// The latents just before and after <paramref name="index"/> in the list's order (j/k on a latent page): two keyset
    /// queries on the sort key, so the cost does not grow with the dictionary. Null when at an end or not in the list.
    /// </summary>
    public async Task<(int? Previous, int? Next)> NeighboursAsync(long dictionaryId, int index, FeatureQuery query, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var keyed = Keyed(Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query), query.Sort);
        // One round trip: the current latent's row with its next and previous as correlated subqueries on the sort key.
        // Each is written "key ≥ mine and (key > mine or index > mine)": the first half is a range the sort index serves, so
        // the subquery reads from the current latent onwards instead of scanning the dictionary.
        // Ascending key: the next row has a larger key, or the same key and a larger index (ties go by index, as in the list).
        var row = query.Descending
            ? await keyed.Where(c => c.Index == index).Select(c => new
            {
                Next = keyed.Where(k => k.Key <= c.Key && (k.Key < c.Key || k.Index > c.Index))
                    .OrderByDescending(k => k.Key).ThenBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
                Previous = keyed.Where(k => k.Key >= c.Key && (k.Key > c.Key || k.Index < c.Index))
                    .OrderBy(k => k.Key).ThenByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            }).FirstOrDefaultAsync(ct)
            : await keyed.Where(c => c.Index == index).Select(c => new
            {
                Next = keyed.Where(k => k.Key >= c.Key && (k.Key > c.Key || k.Index > c.Index))
                    .OrderBy(k => k.Key).ThenBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
                Previous = keyed.Where(k => k.Key <= c.Key && (k.Key < c.Key || k.Index < c.Index))
                    .OrderByDescending(k => k.Key).ThenByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            }).FirstOrDefaultAsync(ct);
        if (row is null) return (null, null);
        var (previous, next) = (row.Previous, row.Next);
        return (previous, next);
    }

    /// <summary>A latent's index with its sort key, ordered exactly like <see cref="Ordered"/> (SQLite sorts NULL first).</summary>
    private sealed class KeyedLatent
    {
        public int Index { get; init; }
        public double Key { get; init; }
    }

    private const double NullKey = -1e300;

    private static IQueryable<KeyedLatent> Keyed(IQueryable<Latent> latents, FeatureSort sort) => sort switch
    {
        FeatureSort.Density => latents.Select(l => new KeyedLatent { Index = l.Index, Key = l.Density ?? NullKey }),
        FeatureSort.MaxActivation => latents.Select(l => new KeyedLatent { Index = l.Index, Key = l.MaxActivation ?? NullKey }),
        // Stored as text, so the list orders Accepted < Proposed < Unlabelled.
        FeatureSort.LabelStatus => latents.Select(l => new KeyedLatent
        {
            Index = l.Index,
            Key = l.LabelStatus == LabelStatus.Accepted ? 0 : l.LabelStatus == LabelStatus.Proposed ? 1 : 2,
        }),
        _ => latents.Select(l => new KeyedLatent { Index = l.Index, Key = l.Index }),
    };

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


    /// <summary>Blind mode's label filters: a latent of a blind scope only where the user has an interpretation of their own.</summary>
    private static IQueryable<Latent> BlindFiltered(WorkbenchDbContext db, IQueryable<Latent> latents, string userId) =>
        latents.Where(l =>
            !db.ScopeLatents.Any(m => m.LatentId == l.Id && db.LabellingScopes.Any(s => s.Id == m.ScopeId && s.IsBlind && !s.IsArchived)) ||
            db.Interpretations.Any(i => i.LatentId == l.Id && i.AuthorId == userId && !i.IsDeleted));

    private static IQueryable<Latent> Filter(WorkbenchDbContext db, IQueryable<Latent> latents, FeatureQuery q, bool densityIndexed = true)
    {
        if (q.Dead is { } dead) latents = latents.Where(l => l.IsDead == dead);
        if (densityIndexed)
        {
            if (q.Dense is { } dense)
                latents = dense ? latents.Where(l => l.Density > q.DenseThreshold) : latents.Where(l => l.Density == null || l.Density <= q.DenseThreshold);
            if (q.MinDensity is { } min) latents = latents.Where(l => l.Density >= min);
            if (q.MaxDensity is { } max) latents = latents.Where(l => l.Density <= max);
        }
        else
        {
            // The same conditions on an expression of the column, which no index serves.
            if (q.Dense is { } dense)
                latents = dense ? latents.Where(l => l.Density + 0.0 > q.DenseThreshold) : latents.Where(l => l.Density == null || l.Density + 0.0 <= q.DenseThreshold);
            if (q.MinDensity is { } min) latents = latents.Where(l => l.Density + 0.0 >= min);
            if (q.MaxDensity is { } max) latents = latents.Where(l => l.Density + 0.0 <= max);
        }
        if (q.Tag is { } tag) latents = latents.Where(l => l.ConsensusTag == tag);
        if (q.Status is { } status) latents = latents.Where(l => l.LabelStatus == status);
        if (q.Search is { } text)
        {
            var pattern = "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";
            // SQLite's LIKE ignores ASCII case; PostgreSQL's does not, so it gets ILIKE (the same search on both).
            latents = db.Database.IsNpgsql()
                ? latents.Where(l =>
                    (l.ConsensusLabel != null && EF.Functions.ILike(l.ConsensusLabel, pattern, "\\")) ||
                    db.Interpretations.Any(i => i.LatentId == l.Id && !i.IsDeleted &&
                                                (EF.Functions.ILike(i.Label, pattern, "\\") || EF.Functions.ILike(i.Description, pattern, "\\"))))
                : latents.Where(l =>
                    (l.ConsensusLabel != null && EF.Functions.Like(l.ConsensusLabel, pattern, "\\")) ||
                    db.Interpretations.Any(i => i.LatentId == l.Id && !i.IsDeleted &&
                                                (EF.Functions.Like(i.Label, pattern, "\\") || EF.Functions.Like(i.Description, pattern, "\\"))));
        }
        return latents;
    }
}
