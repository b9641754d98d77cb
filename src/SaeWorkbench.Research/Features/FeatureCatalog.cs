using System.Linq.Expressions;
using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Dictionaries;
using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Explanations;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// The read model of a dictionary's latents (docs/architecture.md §5): the feature list's pages, and a latent's
/// neighbours and position in a list for its page, for the list page and the list API alike. Each read is one LINQ
/// query, the same on SQLite and PostgreSQL (a page's total comes from <see cref="ListTotals"/> when no page tells it);
/// this class is the one place that knows the filters (<see cref="Matching"/>) and the sorts (<see cref="Ordered"/>,
/// <see cref="SortedMatching"/>). The sorts and filters run on the latent rows' own columns and their covering indexes
/// (LatentConfiguration), the explanation score included: its stored copy on the latent (<see cref="Latent.BestScore"/>,
/// kept current by <see cref="LatentBestScores"/> on every save); the text search tests the stored search text
/// (<see cref="Latent.SearchText"/>, kept by <see cref="LatentSearchTexts"/> the same way).
/// <para>
/// Blind mode (<see cref="InterpretationVisibility"/>): for a viewer below Reviewer, latents of a blind scope where the
/// viewer has no interpretation of their own show no consensus and no score, the label filters (tag, status, text,
/// score) leave them out, and a sort by status or score places them among the unlabelled or unscored, so neither the
/// rows nor their order reveal others' work.
/// </para>
/// </summary>
public sealed class FeatureCatalog(IDbContextFactory<WorkbenchDbContext> dbFactory, ListTotals totals)
{
    /// <summary>One page of the list and the number of latents that match, as <paramref name="viewer"/> may see them.</summary>
    public async Task<FeaturePage> QueryAsync(long dictionaryId, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        var (rows, total) = await RangeAsync(dictionaryId, query, query.Page * query.PageSize, query.PageSize, viewer, ct);
        return new FeaturePage(rows, total, query);
    }

    /// <summary>
    /// The rows <paramref name="skip"/> … <paramref name="skip"/> + <paramref name="take"/> − 1 of the list in the query's
    /// order (its own page and size are ignored), and the number of latents that match: what the list API pages by.
    /// </summary>
    public async Task<(IReadOnlyList<FeatureRow> Rows, int Total)> RangeAsync(long dictionaryId, FeatureQuery query, int skip, int take,
        Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        ArgumentOutOfRangeException.ThrowIfNegative(skip);
        ArgumentOutOfRangeException.ThrowIfLessThan(take, 1);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await BlindViewerAsync(db, query, viewer, ct);
        if (await IndexRangeAsync(db, dictionaryId, query, skip, take, user, ct) is { } range) return range;
        // Deferred join: the page's ids come from the sort's covering index alone (a deep OFFSET skips index entries,
        // not rows), then only those rows are read.
        var key = TotalKey(dictionaryId, query, user);
        // A search whose kept total shows a word more latents hold than the trigram index reads by id skips the index.
        var common = query.Search is not null && totals.TryGet(key, out var kept) && kept > LatentSearchIndex.SqliteMostHits;
        var pageIds = SortedMatching(db, dictionaryId, query, user, common).Skip(skip).Take(take).Select(l => l.Id);
        var rows = await Ordered(db, db.Latents.AsNoTracking().Where(l => pageIds.Contains(l.Id)), query, user)
            .Select(Projection(db, user)).ToListAsync(ct);
        int total;
        if (rows.Count > 0 && rows.Count < take || rows.Count == 0 && skip == 0)
        {
            // A page that is not full tells the total exactly.
            total = skip + rows.Count;
            totals.Set(key, total);
        }
        else
        {
            total = await totals.GetAsync(key, token => CountAsync(dictionaryId, query, user, token), ct);
            if (total < skip + rows.Count)
            {
                // The kept total is stale (a change made without an event): the page shows it, so count again.
                total = await CountAsync(dictionaryId, query, user, ct);
                totals.Set(key, total);
            }
        }
        return (rows.Select(r => r.ToRow()).ToList(), total);
    }

    /// <summary>
    /// The whole list in index order (no filter, the index sort) where the dictionary's latents are exactly the indices
    /// 0 … n − 1: then a page is a range of indices, a seek instead of an OFFSET that walks every index entry before it.
    /// Null where that does not hold, or where the kept count proves stale (the caller then takes the general path).
    /// Bought by the browse benchmark's ?page=1000 (OFFSET 50,000).
    /// </summary>
    private async Task<(IReadOnlyList<FeatureRow> Rows, int Total)?> IndexRangeAsync(WorkbenchDbContext db, long dictionaryId, FeatureQuery query,
        int skip, int take, string? user, CancellationToken ct)
    {
        // Every filter at its default: compared as a whole, so that a filter added later never takes this path by mistake
        // (the dense threshold counts only with the dense filter, which this excludes).
        var whole = new FeatureQuery();
        if (query with { Descending = false, Page = 0, PageSize = whole.PageSize, DenseThreshold = whole.DenseThreshold } != whole) return null;
        var key = $"{dictionaryId}|indices 0..n-1";
        var n = await totals.GetAsync(key, token => ContiguousCountAsync(dictionaryId, token), ct);
        if (n < 0) return null;
        // [from, to) in int, as the column is (a long bound would make the provider cast the column, which no index serves).
        var (low, high) = query.Descending ? ((long)n - skip - take, (long)n - skip) : (skip, (long)skip + take);
        var (from, to) = ((int)Math.Max(low, 0), (int)Math.Min(high, int.MaxValue));
        var rows = await Ordered(db, db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId && l.Index >= from && l.Index < to), query, user)
            .Select(Projection(db, user)).ToListAsync(ct);
        if (rows.Count == Math.Clamp(n - skip, 0, take)) return (rows.Select(r => r.ToRow()).ToList(), n);
        totals.Set(key, await ContiguousCountAsync(dictionaryId, ct));
        return null;
    }

    /// <summary>The dictionary's number of latents when their indices are exactly 0 … n − 1, else −1.</summary>
    private async Task<int> ContiguousCountAsync(long dictionaryId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var extent = await db.Latents.Where(l => l.DictionaryId == dictionaryId).GroupBy(l => l.DictionaryId)
            .Select(g => new { Count = g.Count(), Min = g.Min(l => l.Index), Max = g.Max(l => l.Index) }).FirstOrDefaultAsync(ct);
        return extent is not null && extent.Min == 0 && extent.Max == extent.Count - 1 ? extent.Count : -1;
    }

    private async Task<int> CountAsync(long dictionaryId, FeatureQuery query, string? user, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await Matching(db, dictionaryId, query, user).CountAsync(ct);
    }

    /// <summary>
    /// The filters of a view and the viewer when blind mode filters for them; not its page, nor its sort unless the
    /// sort is by score (which keeps scored latents only).
    /// </summary>
    private static string TotalKey(long dictionaryId, FeatureQuery q, string? user) =>
        $"{dictionaryId}|{user ?? "*"}|{(q with { Sort = q.Sort == FeatureSort.BestScore ? FeatureSort.BestScore : FeatureSort.Index, Descending = false, Page = 0, PageSize = 50 }).ToQueryString()}|{q.DenseThreshold.ToString("R", System.Globalization.CultureInfo.InvariantCulture)}";

    /// <summary>
    /// The user whose view blind mode takes (<see cref="InterpretationVisibility.ListViewer"/>), or null when nothing can
    /// be hidden. A sort by label status for such a viewer orders by an expression that no index serves, so that one
    /// case first asks (a one-row read) whether any blind scope is open: without one, the status index serves the sort.
    /// </summary>
    private static async Task<string?> BlindViewerAsync(WorkbenchDbContext db, FeatureQuery query, Actor? viewer, CancellationToken ct)
    {
        if (InterpretationVisibility.ListViewer(viewer) is not { } user) return null;
        if (query.Sort == FeatureSort.LabelStatus && !await AnyBlindScopeAsync(db, ct)) return null;
        return user;
    }

    private static Task<bool> AnyBlindScopeAsync(WorkbenchDbContext db, CancellationToken ct) =>
        db.LabellingScopes.AnyAsync(s => s.IsBlind && !s.IsArchived, ct);

    /// <summary>Whether the dictionary exists: an empty list of an unknown dictionary is a 404 for the list API.</summary>
    public async Task<bool> DictionaryExistsAsync(long dictionaryId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.Dictionaries.AnyAsync(d => d.Id == dictionaryId, ct);
    }

    /// <summary>Whether any open blind scope exists: without one, blind mode hides nothing (a latent page skips its checks).</summary>
    public async Task<bool> AnyBlindScopeAsync(CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await AnyBlindScopeAsync(db, ct);
    }

    /// <summary>What the page query reads per row.</summary>
    private sealed class RowData
    {
        public long Id { get; init; }
        public int Index { get; init; }
        public double? Density { get; init; }
        public double? MaxActivation { get; init; }
        public double? MeanActivation { get; init; }
        public bool IsDead { get; init; }
        public LabelStatus LabelStatus { get; init; }
        public long? ConsensusInterpretationId { get; init; }
        public string? ConsensusLabel { get; init; }
        public string? ConsensusTag { get; init; }
        public string? TopTokens { get; init; }
        public string? TopContext { get; init; }
        public bool Hidden { get; init; }
        public double? BestScore { get; init; }
        public bool ConsensusByModel { get; init; }

        public FeatureRow ToRow() => Hidden
            ? new FeatureRow(Index, Density, MaxActivation, MeanActivation, IsDead, LabelStatus.Unlabelled, null, null, true, TopTokens, TopContext, null, Id)
            : new FeatureRow(Index, Density, MaxActivation, MeanActivation, IsDead, LabelStatus, ConsensusLabel, ConsensusTag, false, TopTokens, TopContext, BestScore,
                Id, ConsensusInterpretationId, ConsensusByModel);
    }

    /// <summary>
    /// A row with its hidden flag, its visible best score, and whether a model account wrote its consensus (a primary-key
    /// lookup of the consensus interpretation's author, <see cref="ModelAccounts.IsModelAccount"/>).
    /// </summary>
    private static Expression<Func<Latent, RowData>> Projection(WorkbenchDbContext db, string? user)
    {
        Expression<Func<Latent, bool, double?, RowData>> template = (l, hidden, score) => new RowData
        {
            Id = l.Id, Index = l.Index, Density = l.Density, MaxActivation = l.MaxActivation, MeanActivation = l.MeanActivation, IsDead = l.IsDead,
            LabelStatus = l.LabelStatus, ConsensusInterpretationId = l.ConsensusInterpretationId, ConsensusLabel = l.ConsensusLabel,
            ConsensusTag = l.ConsensusTag, TopTokens = l.TopTokens, TopContext = l.TopContext, Hidden = hidden, BestScore = score,
            ConsensusByModel = db.Interpretations.Any(i => i.Id == l.ConsensusInterpretationId && i.AuthorId.StartsWith(ModelAccounts.IdPrefix)),
        };
        var latent = template.Parameters[0];
        Expression hiddenBody = user is null ? Expression.Constant(false) : Inline(Hidden(db, user), latent);
        return Expression.Lambda<Func<Latent, RowData>>(
            Inline(template, latent, hiddenBody, Inline(VisibleScore(db, user), latent)), latent);
    }

    /// <summary>
    /// Whether others' work on the latent is hidden from <paramref name="user"/>: first whether any blind scope is open
    /// at all (an uncorrelated subquery, evaluated once), so that without one no latent pays for the per-row test.
    /// </summary>
    private static Expression<Func<Latent, bool>> Hidden(WorkbenchDbContext db, string user)
    {
        var hidden = InterpretationVisibility.HiddenFrom(db, user);
        Expression<Func<bool>> anyBlind = () => db.LabellingScopes.Any(s => s.IsBlind && !s.IsArchived);
        return Expression.Lambda<Func<Latent, bool>>(Expression.AndAlso(anyBlind.Body, hidden.Body), hidden.Parameters);
    }

    /// <summary>
    /// The best score as <paramref name="user"/> may see it: the stored best score (docs/science.md §13), none on a
    /// latent whose work is hidden from them. Blind mode hides a latent's work as a whole, never single interpretations,
    /// so the column serves blind viewers as well: what they may see is the stored value or nothing.
    /// </summary>
    private static Expression<Func<Latent, double?>> VisibleScore(WorkbenchDbContext db, string? user)
    {
        Expression<Func<Latent, double?>> best = l => l.BestScore;
        if (user is null) return best;
        var l = best.Parameters[0];
        return Expression.Lambda<Func<Latent, double?>>(
            Expression.Condition(Inline(Hidden(db, user), l), Expression.Constant(null, typeof(double?)), best.Body), l);
    }

    /// <summary>The body of <paramref name="lambda"/> with its parameters replaced by <paramref name="arguments"/>.</summary>
    private static Expression Inline(LambdaExpression lambda, params Expression[] arguments) =>
        new Substitution(lambda.Parameters.Zip(arguments).ToDictionary(p => (Expression)p.First, p => p.Second)).Visit(lambda.Body);

    private sealed class Substitution(Dictionary<Expression, Expression> map) : ExpressionVisitor
    {
        protected override Expression VisitParameter(ParameterExpression node) => map.TryGetValue(node, out var e) ? e : node;
    }

    /// <summary>
    /// The latents of a dictionary that pass the query's filters; for a blind viewer (<paramref name="user"/> not null)
    /// the label filters leave out latents whose work is hidden from them. <paramref name="forPage"/>: the filters of a
    /// page read in the sort's order (<see cref="SortedMatching"/>), not of a count. <paramref name="commonSearch"/>: the
    /// view's kept total shows its search word held by more latents than the trigram index reads by id.
    /// </summary>
    private static IQueryable<Latent> Matching(WorkbenchDbContext db, long dictionaryId, FeatureQuery q, string? user, bool forPage = false,
        bool commonSearch = false)
    {
        var search = q.Search is { } text ? Search(db, text, commonSearch) : default;
        // A search the trigram index narrows to a few latents reads them by id: written "DictionaryId + 0", the dictionary
        // filter is no index's range, or SQLite would walk the dictionary's whole sort index testing each entry.
        var latents = search.ByIds
            ? db.Latents.AsNoTracking().Where(l => l.DictionaryId + 0 == dictionaryId)
            : db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId);
        if (q.Dead is { } dead) latents = latents.Where(l => l.IsDead == dead);
        // A page sorted by anything but density writes its density bounds as "Density + 0.0", which no index serves, so
        // that SQLite walks the sort's covering index and tests the bounds there instead of reading every row in the
        // density range and sorting them (the five-filter page 3 at 100,000 latents: 65 ms of SQLite CPU became 0.5 ms).
        // A count has no order: it keeps the plain column and its density index.
        if (forPage && q.Sort != FeatureSort.Density)
        {
            if (q.Dense is { } dense)
                latents = dense ? latents.Where(l => l.Density + 0.0 > q.DenseThreshold) : latents.Where(l => l.Density == null || l.Density + 0.0 <= q.DenseThreshold);
            if (q.MinDensity is { } min) latents = latents.Where(l => l.Density + 0.0 >= min);
            if (q.MaxDensity is { } max) latents = latents.Where(l => l.Density + 0.0 <= max);
        }
        else
        {
            if (q.Dense is { } dense)
                latents = dense ? latents.Where(l => l.Density > q.DenseThreshold) : latents.Where(l => l.Density == null || l.Density <= q.DenseThreshold);
            if (q.MinDensity is { } min) latents = latents.Where(l => l.Density >= min);
            if (q.MaxDensity is { } max) latents = latents.Where(l => l.Density <= max);
        }
        if (q.Tag is { } tag) latents = latents.Where(l => l.ConsensusTag == tag);
        if (q.Status is { } status) latents = latents.Where(l => l.LabelStatus == status);
        // Only latents with a score (the score sort lists scored latents only), at least the minimum if one is set: a
        // range of the score index.
        if (q.MinScore is { } minScore) latents = latents.Where(l => l.BestScore >= minScore);
        else if (q.Sort == FeatureSort.BestScore) latents = latents.Where(l => l.BestScore != null);
        if (search.Test is { } test) latents = latents.Where(test);
        if (user is not null && HasLabelFilter(q))
        {
            var hidden = Hidden(db, user);
            latents = latents.Where(Expression.Lambda<Func<Latent, bool>>(Expression.Not(hidden.Body), hidden.Parameters));
        }
        return latents;
    }

    /// <summary>The matching latents in the list's order (<see cref="Ordered"/>), to be paged.</summary>
    private static IQueryable<Latent> SortedMatching(WorkbenchDbContext db, long dictionaryId, FeatureQuery query, string? user,
        bool commonSearch = false) =>
        Ordered(db, Matching(db, dictionaryId, query, user, forPage: true, commonSearch), query, user);

    /// <summary>
    /// Text search: the consensus label, what the latent fires on (its top tokens and strongest context), and the label
    /// or description of any live interpretation, ignoring case — "the latent's stored search text holds the lower-cased
    /// needle" (<see cref="LatentSearchTexts"/>), in the form the search texts' trigram index serves, and whether it is a
    /// list of ids to read the latents by (<see cref="LatentSearchIndex.Contains"/>). Bought by the browse benchmark's ?q=
    /// views (catalog CPU per call, and the whole scan of a word found nowhere).
    /// </summary>
    private static (Expression<Func<Latent, bool>> Test, bool ByIds) Search(WorkbenchDbContext db, string text, bool common) =>
        LatentSearchTexts.Needle(text) is { } needle ? LatentSearchIndex.Contains(db, needle, common) : (l => false, false);

    /// <summary>Filters on others' work (the score sort is one: it lists scored latents only).</summary>
    private static bool HasLabelFilter(FeatureQuery q) => q.Tag is not null || q.Status is not null || q.Search is not null || q.MinScore is not null
                                                          || q.Sort == FeatureSort.BestScore;

    /// <summary>Whether blind mode can change the list for a viewer who may not see everything: a label filter, or a sort by status or score.</summary>
    internal static bool DependsOnLabels(FeatureQuery q) => HasLabelFilter(q) || q.Sort is FeatureSort.LabelStatus or FeatureSort.BestScore;

    /// <summary>
    /// The list's order: the sort key, then the index ascending (by index alone for the index sort). SQLite sorts a
    /// missing density or maximum (not analysed yet) first. By label status for a blind viewer a hidden latent sorts
    /// as Unlabelled. The score sort lists only scored latents (<see cref="Matching"/>); one whose score is hidden
    /// from a blind viewer sorts last.
    /// </summary>
    private static IOrderedQueryable<Latent> Ordered(WorkbenchDbContext db, IQueryable<Latent> latents, FeatureQuery query, string? user)
    {
        if (query.Sort == FeatureSort.BestScore && user is null)
        {
            // The score index's order (only scored latents are listed, so no NULL is ordered).
            return query.Descending ? latents.OrderByDescending(l => l.BestScore).ThenBy(l => l.Index) : latents.OrderBy(l => l.BestScore).ThenBy(l => l.Index);
        }
        if (query.Sort == FeatureSort.BestScore)
        {
            var score = VisibleScore(db, user);
            // An unscored latent sorts past every score (scores are balanced accuracies in [0, 1]).
            var key = Expression.Lambda<Func<Latent, double>>(
                Expression.Coalesce(score.Body, Expression.Constant(query.Descending ? -1.0 : 2.0)), score.Parameters);
            return (query.Descending ? latents.OrderByDescending(key) : latents.OrderBy(key)).ThenBy(l => l.Index);
        }
        return (query.Sort, query.Descending, user) switch
        {
            (FeatureSort.LabelStatus, false, { } u) => latents.OrderBy(InterpretationVisibility.VisibleStatus(db, u)).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, true, { } u) => latents.OrderByDescending(InterpretationVisibility.VisibleStatus(db, u)).ThenBy(l => l.Index),
            (FeatureSort.Density, false, _) => latents.OrderBy(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.Density, true, _) => latents.OrderByDescending(l => l.Density).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, false, _) => latents.OrderBy(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.MaxActivation, true, _) => latents.OrderByDescending(l => l.MaxActivation).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, false, _) => latents.OrderBy(l => l.LabelStatus).ThenBy(l => l.Index),
            (FeatureSort.LabelStatus, true, _) => latents.OrderByDescending(l => l.LabelStatus).ThenBy(l => l.Index),
            (_, true, _) => latents.OrderByDescending(l => l.Index),
            _ => latents.OrderBy(l => l.Index),
        };
    }

    /// <summary>
    /// The latents just before and after <paramref name="index"/> in the list's order (j/k on a latent page): one query
    /// with keyset subqueries on the sort key, so the cost does not grow with the dictionary. Where blind mode changes
    /// the list for the viewer, or for the score sort (no index), it walks the list's ids instead. Null at an end or
    /// when the latent is not in the list.
    /// </summary>
    public async Task<(int? Previous, int? Next)> NeighboursAsync(long dictionaryId, int index, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await ListViewerAsync(db, query, viewer, ct);
        if (user is not null)
        {
            var order = await OrderedIndicesAsync(db, dictionaryId, query, user, ct);
            var at = Array.IndexOf(order, index);
            return at < 0 ? (null, null) : (at > 0 ? order[at - 1] : null, at < order.Length - 1 ? order[at + 1] : null);
        }
        var set = Matching(db, dictionaryId, query, null);
        var current = set.Where(c => c.Index == index);
        // Every subquery compares the sort column itself (never an expression of it such as a cast or COALESCE, which
        // no index serves), written as a range "key ≥ mine and (key > mine or index > mine)" that the sort's index seeks
        // into. Ties go by index, as in the list.
        var row = query.Sort switch
        {
            FeatureSort.Density => await ByNullableKey(set, current, nameof(Latent.Density), query.Descending).FirstOrDefaultAsync(ct),
            FeatureSort.MaxActivation => await ByNullableKey(set, current, nameof(Latent.MaxActivation), query.Descending).FirstOrDefaultAsync(ct),
            FeatureSort.BestScore => await ByNullableKey(set, current, nameof(Latent.BestScore), query.Descending).FirstOrDefaultAsync(ct),
            FeatureSort.LabelStatus => await ByLabelStatus(set, current, query.Descending).FirstOrDefaultAsync(ct),
            _ => await ByIndex(set, current, query.Descending).FirstOrDefaultAsync(ct),
        };
        return row is null ? (null, null) : (row.Previous, row.Next);
    }

    /// <summary>
    /// Where <paramref name="index"/> stands in the list: its 1-based position and the list's length ("n of N" on a
    /// latent page); null when the latent is not in the list. One query: the latents that sort before it, counted
    /// with the same keyset conditions as <see cref="NeighboursAsync"/>, and the list's total. Where blind mode changes
    /// the list for the viewer, or for the score sort, from the list's ids.
    /// </summary>
    public async Task<(int Position, int Total)?> PositionAsync(long dictionaryId, int index, FeatureQuery query, Actor? viewer = null, CancellationToken ct = default)
    {
        query = query.Normalised();
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var user = await ListViewerAsync(db, query, viewer, ct);
        if (user is not null)
        {
            var order = await OrderedIndicesAsync(db, dictionaryId, query, user, ct);
            var at = Array.IndexOf(order, index);
            return at < 0 ? null : (at + 1, order.Length);
        }
        var set = Matching(db, dictionaryId, query, null);
        var current = set.Where(c => c.Index == index);
        var row = await (query.Sort switch
        {
            FeatureSort.Density => CountBefore(set, current, nameof(Latent.Density), query.Descending),
            FeatureSort.MaxActivation => CountBefore(set, current, nameof(Latent.MaxActivation), query.Descending),
            FeatureSort.BestScore => CountBefore(set, current, nameof(Latent.BestScore), query.Descending),
            FeatureSort.LabelStatus => CountBeforeByStatus(set, current, query.Descending),
            _ => query.Descending
                ? current.Select(c => new PositionRow { Before = set.Count(k => k.Index > c.Index), Total = set.Count() })
                : current.Select(c => new PositionRow { Before = set.Count(k => k.Index < c.Index), Total = set.Count() }),
        }).FirstOrDefaultAsync(ct);
        return row is null ? null : (row.Before + 1, row.Total);
    }

    private sealed class PositionRow
    {
        public int Before { get; init; }
        public int Total { get; init; }
    }

    /// <summary>Latents before the current one by a nullable key: NULLs first ascending, last descending (as SQLite orders them), ties by index.</summary>
    private static IQueryable<PositionRow> CountBefore(IQueryable<Latent> set, IQueryable<Latent> current, string column, bool descending) => descending
        ? current.Select(c => new PositionRow
        {
            Before = EF.Property<double?>(c, column) == null
                ? set.Count(k => EF.Property<double?>(k, column) != null || k.Index < c.Index)
                : set.Count(k => EF.Property<double?>(k, column) > EF.Property<double?>(c, column)
                                 || (EF.Property<double?>(k, column) == EF.Property<double?>(c, column) && k.Index < c.Index)),
            Total = set.Count(),
        })
        : current.Select(c => new PositionRow
        {
            Before = EF.Property<double?>(c, column) == null
                ? set.Count(k => EF.Property<double?>(k, column) == null && k.Index < c.Index)
                : set.Count(k => EF.Property<double?>(k, column) == null || EF.Property<double?>(k, column) < EF.Property<double?>(c, column)
                                 || (EF.Property<double?>(k, column) == EF.Property<double?>(c, column) && k.Index < c.Index)),
            Total = set.Count(),
        });

    /// <summary>By label status as stored (text: Accepted &lt; Proposed &lt; Unlabelled), ties by index.</summary>
    private static IQueryable<PositionRow> CountBeforeByStatus(IQueryable<Latent> set, IQueryable<Latent> current, bool descending)
    {
        const LabelStatus a = LabelStatus.Accepted, p = LabelStatus.Proposed, u = LabelStatus.Unlabelled;
        return descending
            ? current.Select(c => new PositionRow
            {
                Before = set.Count(k => (k.LabelStatus == c.LabelStatus && k.Index < c.Index)
                                        || (c.LabelStatus == p && k.LabelStatus == u) || (c.LabelStatus == a && k.LabelStatus != a)),
                Total = set.Count(),
            })
            : current.Select(c => new PositionRow
            {
                Before = set.Count(k => (k.LabelStatus == c.LabelStatus && k.Index < c.Index)
                                        || (c.LabelStatus == p && k.LabelStatus == a) || (c.LabelStatus == u && k.LabelStatus != u)),
                Total = set.Count(),
            });
    }

    /// <summary>
    /// The viewer whose list blind mode changes for this query (a label filter or a sort by status or score, and any
    /// blind scope open), else null: then every viewer's list is the same and the keyset queries serve it.
    /// </summary>
    private static async Task<string?> ListViewerAsync(WorkbenchDbContext db, FeatureQuery query, Actor? viewer, CancellationToken ct) =>
        InterpretationVisibility.ListViewer(viewer) is { } user && DependsOnLabels(query) && await AnyBlindScopeAsync(db, ct) ? user : null;

    /// <summary>Every index of the list in its order (no page).</summary>
    private static Task<int[]> OrderedIndicesAsync(WorkbenchDbContext db, long dictionaryId, FeatureQuery query, string? user, CancellationToken ct) =>
        SortedMatching(db, dictionaryId, query, user).Select(l => l.Index).ToArrayAsync(ct);

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

}
