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
    /// One page of the list. With a <paramref name="viewer"/> below Reviewer, blind mode applies
    /// (<see cref="InterpretationVisibility"/>): latents of a blind scope where the viewer has no interpretation of their
    /// own show no consensus, the label filters (tag, status, text search) leave them out, and a sort by label status
    /// places them among the unlabelled, so neither the rows nor their order reveal others' work.
    /// </summary>
    public async Task<FeaturePage> QueryAsync(long dictionaryId, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var blindUserId = InterpretationVisibility.ListViewer(viewer) is { } v && await AnyBlindScopeAsync(ct) ? v : null;
        var blindApplies = blindUserId is not null;
        // The LINQ form of the list, built only where it is run (PostgreSQL, or no count cache): SQLite reads pages with
        // its own statement. Density bounds steer SQLite's planner to the density index even when another sort or filter
        // is far more selective (a page of "dense, by max activation" sorted 14k rows); unless the list is sorted by
        // density, they are written so that the sort's index drives the page instead.
        IQueryable<Latent> Latents() => Matching(db, dictionaryId, query, blindUserId, densityIndexed: query.Sort == FeatureSort.Density);
        int total;
        List<(long Id, FeatureRow Row)> page;
        var sqlite = db.Database.IsSqlite() && !PortableQueriesOnly;
        var offset = (long)query.Page * query.PageSize;
        var wholeByIndex = query.Sort == FeatureSort.Index && !HasFilters(query);
        // The page query walks the sort's index from the start, testing each entry against the filters, until it has
        // skipped the offset and filled the page: about (offset + page) × dictionary / matches entries (page 500 by max
        // activation: 25,000, 1.1 ms). A text search tests the rows' text in that order: 2 ms a page for a common word,
        // the whole index (260 ms) for a rare one. Where the walk is long, and for every search (which must test every
        // latent's text anyway to count its matches), the page is a slice of the whole ordered list instead: one scan
        // (~45 ms at 100k latents for a search) gives the total and every page, kept with the counts.
        // A sort by label status for a viewer from whom blind mode hides latents orders by an expression (no index serves
        // it), so it too is sorted once and kept, rather than sorted again for every page.
        var sliced = counts is not null && !wholeByIndex
            && (query.Search is not null || offset >= DeepOffset || (blindUserId is not null && query.Sort == FeatureSort.LabelStatus));
        int? counted = null;
        if (counts is not null && !sliced && !wholeByIndex)
        {
            counted = await CountAsync(dictionaryId, query, blindUserId, Latents, ct);
            var size = await CountAsync(dictionaryId, new FeatureQuery(), null, () => db.Latents.Where(l => l.DictionaryId == dictionaryId), ct);
            sliced = (offset + query.PageSize) * (double)size / Math.Max(1, counted.Value) > DeepOffset;
        }
        if (sliced)
        {
            var order = await OrderAsync(dictionaryId, query, blindUserId, sqlite, ct);
            total = order.Length;
            var from = (int)Math.Min(order.Length, offset);
            var ids = order.AsSpan(from, Math.Min(query.PageSize, order.Length - from)).ToArray();
            page = sqlite ? await SqliteFeaturePage.ReadByIdsAsync(db, ids, ct) : await PortableByIdsAsync(db, ids, ct);
        }
        else
        {
            total = counted ?? await CountAsync(dictionaryId, query, blindUserId, Latents, ct);
            var range = await IndexRangeAsync(db, dictionaryId, query, total, ct);
            page = sqlite
                ? await SqliteFeaturePage.ReadAsync(db, dictionaryId, query, range, blindUserId, ct)
                : await PortablePageAsync(db, dictionaryId, Latents(), query, range, blindUserId, ct);
        }
        var hidden = blindApplies ? await InterpretationVisibility.HiddenConsensusAsync(db, viewer, page.Select(p => p.Id).ToList(), ct) : [];
        var rows = page.Select(p => hidden.Contains(p.Id)
            ? p.Row with { LabelStatus = LabelStatus.Unlabelled, ConsensusLabel = null, ConsensusTag = null, ConsensusHidden = true }
            : p.Row).ToList();
        return new FeaturePage(rows, total, query);
    }

    /// <summary>
    /// Pages that start this deep into a sorted or filtered list, or whose filters would make the page query walk about
    /// this many index entries, are slices of the list's cached order (lower in tests).
    /// </summary>
    internal int DeepOffset { get; init; } = 2_500;

    /// <summary>
    /// Whether any open blind scope exists, from the count cache (a new scope's event clears it): without one, blind mode
    /// hides nothing and filters nothing, so a labeller's list and feature page skip its subqueries and the query for
    /// hidden consensus. Without a count cache the answer is always yes (the queries run).
    /// </summary>
    public async Task<bool> AnyBlindScopeAsync(CancellationToken ct = default) => counts is null || await counts.GetOrCountAsync("blind-scopes", async token =>
    {
        await using var db = await dbFactory.CreateDbContextAsync(token);
        return await db.LabellingScopes.CountAsync(s => s.IsBlind && !s.IsArchived, token);
    }, ct) > 0;

    private static bool HasFilters(FeatureQuery q) => q.Search is not null || q.Dead is not null || q.Dense is not null
        || q.MinDensity is not null || q.MaxDensity is not null || q.Tag is not null || q.Status is not null;

    /// <summary>Every latent id of the list in its order (the sort and filters; not the page), from the cache.</summary>
    private Task<long[]> OrderAsync(long dictionaryId, FeatureQuery query, string? blindUserId, bool sqlite, CancellationToken ct) =>
        counts!.GetOrOrderAsync(ListKey(dictionaryId, query with { Page = 0, PageSize = 50 }, blindUserId), async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            if (sqlite) return await SqliteFeaturePage.OrderAsync(db, dictionaryId, query, blindUserId, token);
            var latents = Matching(db, dictionaryId, query, blindUserId, densityIndexed: query.Sort == FeatureSort.Density);
            return await Ordered(db, latents, query, blindUserId).Select(l => l.Id).ToArrayAsync(token);
        }, ct);

    /// <summary>
    /// The latents of a dictionary that pass the query's filters, as LINQ, with blind mode's rule for the label filters
    /// when <paramref name="blindUserId"/> is not null (see <see cref="QueryAsync"/>).
    /// </summary>
    private static IQueryable<Latent> Matching(WorkbenchDbContext db, long dictionaryId, FeatureQuery query, string? blindUserId, bool densityIndexed)
    {
        var latents = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query, densityIndexed);
        return blindUserId is not null && HasLabelFilter(query) ? InterpretationVisibility.WithoutHidden(db, latents, blindUserId) : latents;
    }

    private static bool HasLabelFilter(FeatureQuery q) => q.Tag is not null || q.Status is not null || q.Search is not null;

    /// <summary>Whether blind mode changes the list for a viewer who may not see everything: a label filter, or a sort by label status.</summary>
    internal static bool DependsOnLabels(FeatureQuery q) => HasLabelFilter(q) || q.Sort == FeatureSort.LabelStatus;

    /// <summary>
    /// A cache key for a view of the list (sort and page as given): the viewer is in it only when blind mode filters for
    /// them (<paramref name="blindUserId"/> not null and a label filter or a sort by label status).
    /// </summary>
    private static string ListKey(long dictionaryId, FeatureQuery view, string? blindUserId) =>
        $"{dictionaryId}|{(blindUserId is not null && DependsOnLabels(view) ? "blind:" + blindUserId : "all")}|{view.ToQueryString()}|{view.DenseThreshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>The rows of <paramref name="ids"/>, in that order.</summary>
    private static async Task<List<(long Id, FeatureRow Row)>> PortableByIdsAsync(WorkbenchDbContext db, long[] ids, CancellationToken ct)
    {
        var rows = await db.Latents.AsNoTracking().Where(l => ids.Contains(l.Id))
            .Select(l => new { l.Id, Row = new FeatureRow(l.Index, l.Density, l.MaxActivation, l.MeanActivation, l.IsDead, l.LabelStatus, l.ConsensusLabel, l.ConsensusTag, false) })
            .ToDictionaryAsync(r => r.Id, r => r.Row, ct);
        return ids.Where(rows.ContainsKey).Select(id => (id, rows[id])).ToList();
    }

    /// <summary>
    /// Only the LINQ query, also on SQLite (which otherwise reads pages through <see cref="SqliteFeaturePage"/>): for the
    /// test that holds the two to the same rows.
    /// </summary>
    internal bool PortableQueriesOnly { get; init; }

    /// <summary>The page as a LINQ query (PostgreSQL, and the reference for SQLite's statement).</summary>
    private static async Task<List<(long Id, FeatureRow Row)>> PortablePageAsync(WorkbenchDbContext db, long dictionaryId, IQueryable<Latent> latents,
        FeatureQuery query, (int From, int To)? range, string? blindUserId, CancellationToken ct)
    {
        // Deferred join: the page's ids come from the sort index alone (a deep OFFSET skips index entries, not rows),
        // then only those rows are read, in the same order.
        var pageIds = range is var (from, to)
            ? db.Latents.Where(l => l.DictionaryId == dictionaryId && l.Index >= from && l.Index < to).Select(l => l.Id)
            : Ordered(db, latents, query, blindUserId).Skip(query.Page * query.PageSize).Take(query.PageSize).Select(l => l.Id);
        var page = await Ordered(db, db.Latents.AsNoTracking().Where(l => pageIds.Contains(l.Id)), query, blindUserId)
            .Select(l => new { l.Id, Row = new FeatureRow(l.Index, l.Density, l.MaxActivation, l.MeanActivation, l.IsDead, l.LabelStatus, l.ConsensusLabel, l.ConsensusTag, false) })
            .ToListAsync(ct);
        return page.Select(p => (p.Id, p.Row)).ToList();
    }

    /// <summary>A LIKE pattern that finds <paramref name="text"/> anywhere, its own <c>%</c>, <c>_</c> and <c>\</c> escaped with <c>\</c>.</summary>
    internal static string LikePattern(string text) => "%" + text.Replace("\\", "\\\\").Replace("%", "\\%").Replace("_", "\\_") + "%";

    /// <summary>
    /// The whole dictionary by index, past the first page: a dictionary's latents are normally exactly 0 … n − 1, and
    /// then page p is the index range [p·size, (p+1)·size) (mirrored when descending), a seek instead of an OFFSET that
    /// walks p·size index entries (page 1,000 of 100k latents: 50,000). Null (use OFFSET) when the indices have gaps.
    /// </summary>
    private async Task<(int From, int To)?> IndexRangeAsync(WorkbenchDbContext db, long dictionaryId, FeatureQuery q, int total, CancellationToken ct)
    {
        if (q.Sort != FeatureSort.Index || q.Page == 0 || q.Search is not null || q.Dead is not null || q.Dense is not null
            || q.MinDensity is not null || q.MaxDensity is not null || q.Tag is not null || q.Status is not null) return null;
        async Task<int> Contiguous(WorkbenchDbContext c, CancellationToken t)
        {
            var all = c.Latents.Where(l => l.DictionaryId == dictionaryId);
            var count = await all.CountAsync(t);
            return count > 0 && await all.MinAsync(l => l.Index, t) == 0 && await all.MaxAsync(l => l.Index, t) == count - 1 ? count : -1;
        }
        // Kept with the totals (same lifetime, cleared by the same events); the count it checked must be this page's total.
        var contiguousCount = counts is null ? await Contiguous(db, ct) : await counts.GetOrCountAsync($"{dictionaryId}|contiguous", async t =>
        {
            await using var own = await dbFactory.CreateDbContextAsync(t);
            return await Contiguous(own, t);
        }, ct);
        if (contiguousCount != total) return null;
        var from = q.Descending ? total - (q.Page + 1) * q.PageSize : q.Page * q.PageSize;
        return (from, from + q.PageSize);
    }

    /// <summary>
    /// The number of latents matching the filters (sort and page do not matter), from the cache when there is one, else
    /// by running <paramref name="latents"/>.
    /// </summary>
    private Task<int> CountAsync(long dictionaryId, FeatureQuery query, string? blindUserId, Func<IQueryable<Latent>> latents, CancellationToken ct)
    {
        if (counts is null) return latents().CountAsync(ct);
        // The cached query outlives this request's context, so it counts on a context of its own.
        return counts.GetOrCountAsync(ListKey(dictionaryId, query with { Sort = FeatureSort.Index, Descending = false, Page = 0, PageSize = 50 }, blindUserId), async token =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(token);
            return await Matching(db, dictionaryId, query, blindUserId, densityIndexed: true).CountAsync(token);
        }, ct);
    }

    /// <summary>
    /// The latents just before and after <paramref name="index"/> in the list's order (j/k on a latent page): two keyset
    /// queries on the sort key, so the cost does not grow with the dictionary. Null when at an end or not in the list.
    /// </summary>
    public async Task<(int? Previous, int? Next)> NeighboursAsync(long dictionaryId, int index, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        // Blind mode changes which latents a label filter keeps and where a sort by status puts them: walk the viewer's
        // own list (InterpretationVisibility), never the unfiltered one, or j/k would step onto hidden latents.
        if (InterpretationVisibility.ListViewer(viewer) is { } user && DependsOnLabels(query) && await AnyBlindScopeAsync(ct))
            return await ViewerNeighboursAsync(dictionaryId, index, query, user, ct);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var set = Filter(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId), query);
        var current = set.Where(c => c.Index == index);
        // One round trip: the current latent's row with its next and previous as correlated subqueries. Every subquery
        // compares the sort column itself (never an expression of it such as a cast or COALESCE, which no index serves),
        // and is written as a range "key ≥ mine and (key > mine or index > mine)" that the sort's index seeks into, so
        // the cost does not grow with the dictionary. Ties go by index, as in the list.
        var row = query.Sort switch
        {
            FeatureSort.Density => await ByNullableKey(set, current, nameof(Latent.Density), query.Descending).FirstOrDefaultAsync(ct),
            FeatureSort.MaxActivation => await ByNullableKey(set, current, nameof(Latent.MaxActivation), query.Descending).FirstOrDefaultAsync(ct),
            FeatureSort.LabelStatus => await ByLabelStatus(set, current, query.Descending).FirstOrDefaultAsync(ct),
            _ => await ByIndex(set, current, query.Descending).FirstOrDefaultAsync(ct),
        };
        return row is null ? (null, null) : (row.Previous, row.Next);
    }

    /// <summary>The neighbours of <paramref name="index"/> in the list as <paramref name="user"/> sees it (from the list's cached order).</summary>
    private async Task<(int? Previous, int? Next)> ViewerNeighboursAsync(long dictionaryId, int index, FeatureQuery query, string user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var sqlite = db.Database.IsSqlite() && !PortableQueriesOnly;
        var order = counts is not null ? await OrderAsync(dictionaryId, query, user, sqlite, ct)
            : sqlite ? await SqliteFeaturePage.OrderAsync(db, dictionaryId, query, user, ct)
            : await Ordered(db, Matching(db, dictionaryId, query, user, densityIndexed: true), query, user).Select(l => l.Id).ToArrayAsync(ct);
        var id = await db.Latents.Where(l => l.DictionaryId == dictionaryId && l.Index == index).Select(l => (long?)l.Id).FirstOrDefaultAsync(ct);
        var at = id is { } found ? Array.IndexOf(order, found) : -1;
        if (at < 0) return (null, null);
        long? previous = at > 0 ? order[at - 1] : null, next = at < order.Length - 1 ? order[at + 1] : null;
        var indices = await db.Latents.Where(l => l.Id == previous || l.Id == next).ToDictionaryAsync(l => l.Id, l => l.Index, ct);
        return (previous is { } p ? indices[p] : null, next is { } n ? indices[n] : null);
    }

    private sealed class NeighbourRow
    {
        public int? Previous { get; init; }
        public int? Next { get; init; }
    }

    private static IQueryable<NeighbourRow> ByIndex(IQueryable<Latent> set, IQueryable<Latent> current, bool descending) => descending
        ? current.Select(c => new NeighbourRow
        {
            Next = set.Where(k => k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            Previous = set.Where(k => k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
        })
        : current.Select(c => new NeighbourRow
        {
            Next = set.Where(k => k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            Previous = set.Where(k => k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
        });

    /// <summary>
    /// Density or max activation: SQLite sorts NULL (not analysed yet) before every number, so ascending a NULL key comes
    /// first and descending last; a latent with a NULL key moves among the NULLs by index, then on to the numbers.
    /// </summary>
    private static IQueryable<NeighbourRow> ByNullableKey(IQueryable<Latent> set, IQueryable<Latent> current, string column, bool descending)
    {
        if (!descending)
        {
            return current.Select(c => new NeighbourRow
            {
                Next = EF.Property<double?>(c, column) == null
                    ? set.Where(k => EF.Property<double?>(k, column) == null && k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                      ?? set.Where(k => EF.Property<double?>(k, column) != null).OrderBy(k => EF.Property<double?>(k, column)).ThenBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                    : set.Where(k => EF.Property<double?>(k, column) >= EF.Property<double?>(c, column)
                                     && (EF.Property<double?>(k, column) > EF.Property<double?>(c, column) || k.Index > c.Index))
                        .OrderBy(k => EF.Property<double?>(k, column)).ThenBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
                Previous = EF.Property<double?>(c, column) == null
                    ? set.Where(k => EF.Property<double?>(k, column) == null && k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                    : set.Where(k => EF.Property<double?>(k, column) <= EF.Property<double?>(c, column)
                                     && (EF.Property<double?>(k, column) < EF.Property<double?>(c, column) || k.Index < c.Index))
                        .OrderByDescending(k => EF.Property<double?>(k, column)).ThenByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                      ?? set.Where(k => EF.Property<double?>(k, column) == null).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            });
        }
        // Descending key, ascending index for ties (as the list orders), NULL keys last.
        return current.Select(c => new NeighbourRow
        {
            Next = EF.Property<double?>(c, column) == null
                ? set.Where(k => EF.Property<double?>(k, column) == null && k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                : set.Where(k => EF.Property<double?>(k, column) <= EF.Property<double?>(c, column)
                                 && (EF.Property<double?>(k, column) < EF.Property<double?>(c, column) || k.Index > c.Index))
                    .OrderByDescending(k => EF.Property<double?>(k, column)).ThenBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                  ?? set.Where(k => EF.Property<double?>(k, column) == null).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
            Previous = EF.Property<double?>(c, column) == null
                ? set.Where(k => EF.Property<double?>(k, column) == null && k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                  ?? set.Where(k => EF.Property<double?>(k, column) != null).OrderBy(k => EF.Property<double?>(k, column)).ThenByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                : set.Where(k => EF.Property<double?>(k, column) >= EF.Property<double?>(c, column)
                                 && (EF.Property<double?>(k, column) > EF.Property<double?>(c, column) || k.Index < c.Index))
                    .OrderBy(k => EF.Property<double?>(k, column)).ThenByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault(),
        });
    }

    /// <summary>
    /// Label status, stored as text, so the list orders Accepted &lt; Proposed &lt; Unlabelled: the neighbour is the next
    /// index with the same status, else the first (or last) latent of the following (or preceding) statuses, each a
    /// seek into the (dictionary, status, index) index.
    /// </summary>
    private static IQueryable<NeighbourRow> ByLabelStatus(IQueryable<Latent> set, IQueryable<Latent> current, bool descending)
    {
        const LabelStatus a = LabelStatus.Accepted, p = LabelStatus.Proposed, u = LabelStatus.Unlabelled;
        // In list order ascending: A, P, U. "Next" in that order, then swapped for descending (U, P, A with index ascending
        // inside a status, so only the between-status steps reverse).
        if (!descending)
        {
            return current.Select(c => new NeighbourRow
            {
                Next = set.Where(k => k.LabelStatus == c.LabelStatus && k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                       ?? (c.LabelStatus == a ? set.Where(k => k.LabelStatus == p).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null)
                       ?? (c.LabelStatus != u ? set.Where(k => k.LabelStatus == u).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null),
                Previous = set.Where(k => k.LabelStatus == c.LabelStatus && k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                           ?? (c.LabelStatus == u ? set.Where(k => k.LabelStatus == p).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null)
                           ?? (c.LabelStatus != a ? set.Where(k => k.LabelStatus == a).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null),
            });
        }
        return current.Select(c => new NeighbourRow
        {
            Next = set.Where(k => k.LabelStatus == c.LabelStatus && k.Index > c.Index).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                   ?? (c.LabelStatus == u ? set.Where(k => k.LabelStatus == p).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null)
                   ?? (c.LabelStatus != a ? set.Where(k => k.LabelStatus == a).OrderBy(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null),
            Previous = set.Where(k => k.LabelStatus == c.LabelStatus && k.Index < c.Index).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault()
                       ?? (c.LabelStatus == a ? set.Where(k => k.LabelStatus == p).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null)
                       ?? (c.LabelStatus != u ? set.Where(k => k.LabelStatus == u).OrderByDescending(k => k.Index).Select(k => (int?)k.Index).FirstOrDefault() : null),
        });
    }

    /// <summary>
    /// The list's order. Sorted by label status for a viewer from whom blind mode hides some latents
    /// (<paramref name="blindUserId"/> not null), a hidden latent sorts as Unlabelled, as its row shows no status.
    /// </summary>
    private static IQueryable<Latent> Ordered(WorkbenchDbContext db, IQueryable<Latent> latents, FeatureQuery query, string? blindUserId) =>
        (query.Sort, query.Descending, blindUserId) switch
        {
            (FeatureSort.LabelStatus, false, { } user) => latents.OrderBy(InterpretationVisibility.VisibleStatus(db, user)).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, true, { } user) => latents.OrderByDescending(InterpretationVisibility.VisibleStatus(db, user)).ThenBy(l => l.Index),

            (FeatureSort.Density, false, _) => latents.OrderBy(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.Density, true, _) => latents.OrderByDescending(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, false, _) => latents.OrderBy(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, true, _) => latents.OrderByDescending(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, false, _) => latents.OrderBy(l => l.LabelStatus).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, true, _) => latents.OrderByDescending(l => l.LabelStatus).ThenBy(l => l.Index),
            (_, true, _) => latents.OrderByDescending(l => l.Index),
            _ => latents.OrderBy(l => l.Index),
        };


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
            var pattern = LikePattern(text);
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
