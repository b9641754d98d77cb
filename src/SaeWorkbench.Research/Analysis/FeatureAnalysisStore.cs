using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data;
using SaeWorkbench.Data.Analysis;

namespace SaeWorkbench.Research.Analysis;

/// <summary>What one stored analysis is about.</summary>
public sealed record FeatureAnalysisHeader(long DictionaryId, long? JobId, string? CorpusPath, long TokensAnalysed, string SettingsJson);

/// <summary>
/// Writes an analysis: rows go in under a new, not-yet-current analysis id, one transaction per batch of latents;
/// a last transaction copies the statistics to the latents, makes the new analysis current and deletes the previous
/// one. A failed or cancelled run deletes only its own rows, so the previous analysis stays whole.
/// </summary>
public sealed class FeatureAnalysisStore(IDbContextFactory<WorkbenchDbContext> dbFactory)
{
    /// <summary>Stores the results of latents 0 … <paramref name="latents"/>−1; returns the new analysis id.</summary>
    public async Task<long> SaveAsync(FeatureAnalysisHeader header, int latents, Func<int, LatentAnalysisResult> result,
        int batchSize = 256, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        var latentIds = await LatentIdsAsync(header.DictionaryId, latents, ct);
        var analysisId = await BeginAsync(header, ct);
        try
        {
            for (var first = 0; first < latents; first += batchSize)
            {
                ct.ThrowIfCancellationRequested();
                await WriteBatchAsync(analysisId, latentIds, first, Math.Min(latents, first + batchSize), result, ct);
                progress?.Report((double)Math.Min(latents, first + batchSize) / latents);
            }
            ct.ThrowIfCancellationRequested();
            await CompleteAsync(header.DictionaryId, analysisId, ct);
            return analysisId;
        }
        catch
        {
            await AbandonAsync(analysisId);
            throw;
        }
    }

    private async Task<long[]> LatentIdsAsync(long dictionaryId, int latents, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var rows = await db.Latents.AsNoTracking().Where(l => l.DictionaryId == dictionaryId)
            .Select(l => new { l.Index, l.Id }).ToListAsync(ct);
        if (rows.Count != latents || rows.Any(r => r.Index < 0 || r.Index >= latents))
            throw new InvalidOperationException($"dictionary #{dictionaryId} has {rows.Count} latent rows; the analysis has {latents} latents");
        var ids = new long[latents];
        foreach (var r in rows) ids[r.Index] = r.Id;
        return ids;
    }

    private async Task<long> BeginAsync(FeatureAnalysisHeader header, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        // Leftovers of a run the process did not survive: never current, never read.
        var stale = await db.LatentAnalyses.Where(a => a.DictionaryId == header.DictionaryId && !a.IsCurrent).Select(a => a.Id).ToListAsync(ct);
        foreach (var id in stale) await DeleteAnalysisAsync(db, id, ct);
        var analysis = new LatentAnalysis
        {
            DictionaryId = header.DictionaryId, JobId = header.JobId, CorpusPath = header.CorpusPath,
            TokensAnalysed = header.TokensAnalysed, SettingsJson = header.SettingsJson,
        };
        db.LatentAnalyses.Add(analysis);
        await db.SaveChangesAsync(ct);
        return analysis.Id;
    }

    private async Task WriteBatchAsync(long analysisId, long[] latentIds, int first, int last, Func<int, LatentAnalysisResult> result, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        db.ChangeTracker.AutoDetectChangesEnabled = false;
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var examples = db.Set<FeatureExample>();
        for (var i = first; i < last; i++)
        {
            var r = result(i);
            var latentId = latentIds[i];
            db.FeatureDashboards.Add(ToRow(analysisId, latentId, i, r));
            var top = r.Activations.TopExamples;
            for (var rank = 0; rank < top.Count; rank++)
                examples.Add(ToRow(analysisId, latentId, FeatureExampleKind.Top, 0, rank, top[rank]));
            foreach (var bin in r.Activations.Intervals)
                for (var rank = 0; rank < bin.Examples.Count; rank++)
                    examples.Add(ToRow(analysisId, latentId, FeatureExampleKind.Interval, bin.Bin, rank, bin.Examples[rank]));
        }
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private static FeatureDashboard ToRow(long analysisId, long latentId, int index, LatentAnalysisResult r)
    {
        var s = r.Activations.Statistics;
        return new FeatureDashboard
        {
            AnalysisId = analysisId, LatentId = latentId, LatentIndex = index,
            ActiveCount = s.ActiveCount, Density = s.Density, MaxActivation = s.MaxActivation, MeanActivation = s.MeanActivation, IsDead = s.IsDead,
            Histogram = PackedArrays.FromInt64(r.Activations.Histogram),
            IntervalCounts = PackedArrays.FromInt64(r.Activations.Intervals.Select(x => x.Count).ToArray()),
            LogitPositiveTokens = PackedArrays.FromInt32(r.Logits?.Positive.Select(e => e.TokenId).ToArray() ?? []),
            LogitPositiveValues = PackedArrays.FromFloat32(r.Logits?.Positive.Select(e => e.Effect).ToArray() ?? []),
            LogitNegativeTokens = PackedArrays.FromInt32(r.Logits?.Negative.Select(e => e.TokenId).ToArray() ?? []),
            LogitNegativeValues = PackedArrays.FromFloat32(r.Logits?.Negative.Select(e => e.Effect).ToArray() ?? []),
            LogitHistogram = PackedArrays.FromInt64(r.Logits?.Histogram ?? []),
            LogitHistogramMin = r.Logits?.HistogramMin ?? 0,
            LogitHistogramMax = r.Logits?.HistogramMax ?? 0,
            NeighbourIndices = PackedArrays.FromInt32(r.Neighbours?.Neighbours ?? []),
            NeighbourCosines = PackedArrays.FromFloat32(r.Neighbours?.Cosines ?? []),
            TopTokens = r.TopTokens, TopContext = r.TopContext,
        };
    }

    private static FeatureExample ToRow(long analysisId, long latentId, FeatureExampleKind kind, int bin, int rank, Ml.Analysis.DashboardExample x) => new()
    {
        AnalysisId = analysisId, LatentId = latentId, Kind = kind, Bin = bin, Rank = rank,
        TokenIds = PackedArrays.FromInt32(x.TokenIds), Activations = PackedArrays.FromFloat16(x.Activations),
        PeakOffset = x.PeakOffset, PeakActivation = x.PeakActivation, WindowIndex = x.WindowIndex, Position = x.Position,
    };

    /// <summary>The switch: statistics onto the latents, new analysis current, previous one gone — one transaction.</summary>
    private async Task CompleteAsync(long dictionaryId, long analysisId, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        await db.Database.ExecuteSqlInterpolatedAsync($"""
            UPDATE "Latents" SET "Density" = d."Density", "MaxActivation" = d."MaxActivation",
                                 "MeanActivation" = d."MeanActivation", "IsDead" = d."IsDead",
                                 "TopTokens" = d."TopTokens", "TopContext" = d."TopContext"
            FROM "FeatureDashboards" AS d
            WHERE d."AnalysisId" = {analysisId} AND d."LatentId" = "Latents"."Id"
            """, ct);
        // That update bypasses the save, which keeps each latent's search text: bring them up to date in this transaction.
        await Data.Dictionaries.LatentSearchTexts.RefreshDictionaryAsync(db, dictionaryId, ct);
        var previous = await db.LatentAnalyses.Where(a => a.DictionaryId == dictionaryId && a.IsCurrent).Select(a => a.Id).ToListAsync(ct);
        foreach (var id in previous) await DeleteAnalysisAsync(db, id, ct);
        var completed = DateTimeOffset.UtcNow;
        var analysis = await db.LatentAnalyses.SingleAsync(a => a.Id == analysisId, ct);
        analysis.IsCurrent = true;
        analysis.CompletedAt = completed;
        await db.SaveChangesAsync(ct);
        await tx.CommitAsync(ct);
    }

    private async Task AbandonAsync(long analysisId)
    {
        await using var db = await dbFactory.CreateDbContextAsync();
        await using var tx = await db.Database.BeginTransactionAsync();
        await DeleteAnalysisAsync(db, analysisId, CancellationToken.None);
        await tx.CommitAsync();
    }

    private static async Task DeleteAnalysisAsync(WorkbenchDbContext db, long analysisId, CancellationToken ct)
    {
        await db.Set<FeatureExample>().Where(e => e.AnalysisId == analysisId).ExecuteDeleteAsync(ct);
        await db.FeatureDashboards.Where(d => d.AnalysisId == analysisId).ExecuteDeleteAsync(ct);
        await db.LatentAnalyses.Where(a => a.Id == analysisId).ExecuteDeleteAsync(ct);
    }
}
