using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Analysis;

namespace SaeWorkbench.Research.Analysis;

/// <summary>Reads a latent's dashboard (two small queries) and a dictionary's summary from the current analysis.</summary>
public sealed class FeatureDashboardReader(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    /// <summary>The dashboard of latent row <paramref name="latentId"/>, or null when its dictionary has no analysis.</summary>
    public async Task<FeatureDashboardView?> GetAsync(long latentId, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var row = await (from x in db.FeatureDashboards.AsNoTracking()
                         join a in db.LatentAnalyses on x.AnalysisId equals a.Id
                         where x.LatentId == latentId && a.IsCurrent
                         select new { d = x, a.TokensAnalysed, a.CompletedAt, a.SettingsJson }).SingleOrDefaultAsync(ct);
        if (row is null) return null;
        var d = row.d;
        var examples = (await db.Set<FeatureExample>().AsNoTracking()
                .Where(e => e.LatentId == latentId && e.AnalysisId == d.AnalysisId)
                .ToListAsync(ct))
            .OrderBy(e => e.Kind).ThenBy(e => e.Bin).ThenBy(e => e.Rank)
            .Select(e => new FeatureExampleView(e.Kind, e.Bin, e.Rank, PackedArrays.ToInt32(e.TokenIds), PackedArrays.ToFloat16(e.Activations),
                e.PeakOffset, e.PeakActivation, e.WindowIndex, e.Position))
            .ToList();
        var counts = PackedArrays.ToInt64(d.IntervalCounts);
        var intervals = counts.Select((c, j) => new FeatureIntervalView(j,
                EqualWidthBins.Lower(j, d.MaxActivation, counts.Length), EqualWidthBins.Upper(j, d.MaxActivation, counts.Length),
                c, d.ActiveCount == 0 ? 0 : (double)c / d.ActiveCount,
                examples.Where(e => e.Kind == FeatureExampleKind.Interval && e.Bin == j).ToList()))
            .ToList();
        var neighbours = PackedArrays.ToInt32(d.NeighbourIndices).Zip(PackedArrays.ToFloat32(d.NeighbourCosines), (i, c) => new FeatureNeighbourView(i, c)).ToList();
        return new FeatureDashboardView(d.LatentId, d.LatentIndex, d.AnalysisId, row.TokensAnalysed, row.CompletedAt,
            d.ActiveCount, d.Density, d.MaxActivation, d.MeanActivation, d.IsDead, PackedArrays.ToInt64(d.Histogram),
            examples.Where(e => e.Kind == FeatureExampleKind.Top).ToList(), intervals,
            Effects(d.LogitPositiveTokens, d.LogitPositiveValues), Effects(d.LogitNegativeTokens, d.LogitNegativeValues),
            PackedArrays.ToInt64(d.LogitHistogram), d.LogitHistogramMin, d.LogitHistogramMax, neighbours);
    }

    /// <summary>The dashboard of the latent with index <paramref name="index"/> in dictionary <paramref name="dictionaryId"/>.</summary>
    public async Task<FeatureDashboardView?> GetAsync(long dictionaryId, int index, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var latentId = await db.Latents.Where(l => l.DictionaryId == dictionaryId && l.Index == index).Select(l => (long?)l.Id).SingleOrDefaultAsync(ct);
        return latentId is { } id ? await GetAsync(id, ct) : null;
    }

    private static TokenEffect[] Effects(byte[] tokens, byte[] values) =>
        PackedArrays.ToInt32(tokens).Zip(PackedArrays.ToFloat32(values), (t, v) => new TokenEffect(t, v)).ToArray();

    /// <summary>
    /// Dead / alive / dense counts, the log10-density histogram over the live latents, and the final metrics; null when
    /// the dictionary has no analysis. Dead is <see cref="Ml.Analysis.LatentLiveness"/> over the analysed tokens, alive
    /// everything else (dense latents included); dense means density above <paramref name="denseThreshold"/>.
    /// </summary>
    public async Task<DictionaryAnalysisSummary?> GetSummaryAsync(long dictionaryId, double denseThreshold = 0.1, int bins = 50, CancellationToken ct = default)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var analysis = await db.LatentAnalyses.AsNoTracking().SingleOrDefaultAsync(a => a.DictionaryId == dictionaryId && a.IsCurrent, ct);
        if (analysis is null) return null;
        var metrics = await db.Dictionaries.Where(x => x.Id == dictionaryId).Select(x => x.MetricsJson).SingleAsync(ct);
        var densities = await db.FeatureDashboards.AsNoTracking().Where(d => d.AnalysisId == analysis.Id).Select(d => d.Density).ToListAsync(ct);
        var alive = densities.Where(x => !Ml.Analysis.LatentLiveness.IsDead(x)).Select(Math.Log10).ToArray();
        double lo = alive.Length > 0 ? alive.Min() : 0, hi = alive.Length > 0 ? alive.Max() : 0;
        var histogram = new long[bins];
        foreach (var x in alive) histogram[hi > lo ? Math.Clamp((int)((x - lo) / (hi - lo) * bins), 0, bins - 1) : 0]++;
        var dense = densities.Count(x => x > denseThreshold);
        var dead = Ml.Analysis.LatentLiveness.CountDead(densities);
        return new DictionaryAnalysisSummary(analysis.Id, analysis.TokensAnalysed, analysis.CompletedAt, densities.Count, dead, dense,
            densities.Count - dead, denseThreshold, lo, hi, histogram, metrics);
    }
}
