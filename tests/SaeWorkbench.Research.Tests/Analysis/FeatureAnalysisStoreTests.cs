using Microsoft.EntityFrameworkCore;
using SaeWorkbench.Data.Analysis;
using SaeWorkbench.Ml.Analysis;
using SaeWorkbench.Research.Analysis;

namespace SaeWorkbench.Research.Tests.Analysis;

public class FeatureAnalysisStoreTests
{
    /// <summary>A result whose numbers encode the run (<paramref name="run"/>) and the latent, so rows can be told apart.</summary>
    private static LatentAnalysisResult Result(int run, int latent)
    {
        var dead = latent == 4;
        var example = new DashboardExample([10 + latent, 20, 30], [0.5f, run + latent + 0.25f, 0f], 1, WindowIndex: run, Position: 7);
        var stats = new LatentStatistics(latent, dead ? 0 : 10 * run + latent, 1000, dead ? 0 : run + latent + 0.25f, dead ? 0 : 0.5 * run);
        IntervalSample[] intervals = [.. Enumerable.Range(0, 5).Select(j =>
            new IntervalSample(j, 0, 0, j == 4 && !dead ? stats.ActiveCount : 0, j == 4 && !dead ? 1 : 0, j == 4 && !dead ? [example] : []))];
        var histogram = new long[50];
        if (!dead) histogram[49] = stats.ActiveCount;
        var activations = new LatentDashboard(stats, histogram, dead ? [] : [example, example with { Position = 8 }], intervals);
        var logits = new LatentLogitEffects(latent, [new TokenEffect(3, 2.5f)], [new TokenEffect(4, -1.5f)], [.. Enumerable.Repeat(1L, 50)], -1.5f, 2.5f);
        var neighbours = new LatentNeighbours(latent, [(latent + 1) % 5], [0.75f]);
        return new LatentAnalysisResult(activations, logits, neighbours);
    }

    private static FeatureAnalysisHeader Header(AnalysisDatabase db, int run) => new(db.DictionaryId, null, $"corpus-{run}", 1000, "{}");

    [Fact]
    public async Task A_rerun_leaves_exactly_one_analysis_and_the_latents_carry_its_statistics()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var store = new FeatureAnalysisStore(db);
        await store.SaveAsync(Header(db, 1), AnalysisDatabase.Latents, i => Result(1, i), batchSize: 2);
        var second = await store.SaveAsync(Header(db, 2), AnalysisDatabase.Latents, i => Result(2, i), batchSize: 2);

        await using var ctx = db.CreateDbContext();
        var analysis = Assert.Single(await ctx.LatentAnalyses.ToListAsync());
        Assert.Equal(second, analysis.Id);
        Assert.True(analysis.IsCurrent);
        Assert.Equal(AnalysisDatabase.Latents, await ctx.FeatureDashboards.CountAsync());
        Assert.All(await ctx.Set<FeatureExample>().ToListAsync(), e => Assert.Equal(second, e.AnalysisId));
        var latents = await ctx.Latents.OrderBy(l => l.Index).ToListAsync();
        Assert.Equal([false, false, false, false, true], latents.Select(l => l.IsDead));
        Assert.Equal((20 + 1) / 1000.0, latents[1].Density);
        Assert.Equal(2 + 1 + 0.25, latents[1].MaxActivation);
    }

    [Fact]
    public async Task Completing_an_analysis_copies_each_latents_list_preview_onto_it()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var store = new FeatureAnalysisStore(db);
        await store.SaveAsync(Header(db, 1), AnalysisDatabase.Latents, i => Result(1, i) with { TopTokens = $"first {i}", TopContext = "old" });
        await store.SaveAsync(Header(db, 2), AnalysisDatabase.Latents, i => Result(2, i) with { TopTokens = i == 4 ? null : $"second {i}", TopContext = $"context {i}" });

        await using var ctx = db.CreateDbContext();
        var latents = await ctx.Latents.OrderBy(l => l.Index).ToListAsync();
        Assert.Equal(["second 0", "second 1", "second 2", "second 3", null], latents.Select(l => l.TopTokens));
        Assert.Equal(Enumerable.Range(0, 5).Select(i => $"context {i}"), latents.Select(l => l.TopContext));
        Assert.Equal("second 1", (await ctx.FeatureDashboards.SingleAsync(d => d.LatentIndex == 1)).TopTokens);
    }

    [Fact]
    public async Task The_reader_returns_what_was_stored()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        await new FeatureAnalysisStore(db).SaveAsync(Header(db, 3), AnalysisDatabase.Latents, i => Result(3, i));
        var view = await new FeatureDashboardReader(db).GetAsync(db.DictionaryId, 2);
        Assert.NotNull(view);
        Assert.Equal(32, view.ActiveCount);
        Assert.Equal([12, 20, 30], view.TopExamples[0].TokenIds);
        Assert.Equal([0.5f, 5.25f, 0f], view.TopExamples[0].Activations);
        Assert.Equal([7, 8], view.TopExamples.Select(e => e.Position));
        Assert.Equal(1.0, view.Intervals.Sum(x => x.Share));
        Assert.Single(view.Intervals[4].Examples);
        Assert.Equal(5.25, view.Intervals[4].BinMax, 6);
        Assert.Equal(32, view.Histogram[49]);
        Assert.Equal([new TokenEffect(3, 2.5f)], view.LogitPositive);
        Assert.Equal([new TokenEffect(4, -1.5f)], view.LogitNegative);
        Assert.Equal([new FeatureNeighbourView(3, 0.75f)], view.Neighbours);
        var summary = await new FeatureDashboardReader(db).GetSummaryAsync(db.DictionaryId);
        Assert.NotNull(summary);
        Assert.Equal((5, 1, 4), (summary.Latents, summary.Dead, summary.Alive));
    }

    [Fact]
    public async Task Alive_in_the_summary_is_every_latent_that_is_not_dead_dense_ones_included()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        await new FeatureAnalysisStore(db).SaveAsync(Header(db, 3), AnalysisDatabase.Latents, i => Result(3, i));
        // At a 1 % threshold some latents are dense; they are still alive.
        var summary = await new FeatureDashboardReader(db).GetSummaryAsync(db.DictionaryId, denseThreshold: 0.01);
        Assert.NotNull(summary);
        Assert.True(summary.Dense > 0);
        Assert.Equal((1, 4), (summary.Dead, summary.Alive));
    }

    [Fact]
    public async Task Cancelling_a_rerun_leaves_the_previous_analysis_intact()
    {
        await using var db = await new AnalysisDatabase().InitializeAsync();
        var store = new FeatureAnalysisStore(db);
        var first = await store.SaveAsync(Header(db, 1), AnalysisDatabase.Latents, i => Result(1, i));
        using var cts = new CancellationTokenSource();
        var batches = 0;
        var progress = new SynchronousProgress(_ => { if (++batches == 1) cts.Cancel(); });
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            store.SaveAsync(Header(db, 2), AnalysisDatabase.Latents, i => Result(2, i), batchSize: 2, progress, cts.Token));
        Assert.Equal(1, batches);

        await using var ctx = db.CreateDbContext();
        var analysis = Assert.Single(await ctx.LatentAnalyses.ToListAsync());
        Assert.Equal(first, analysis.Id);
        Assert.True(analysis.IsCurrent);
        Assert.All(await ctx.FeatureDashboards.ToListAsync(), d => Assert.Equal(first, d.AnalysisId));
        Assert.Equal(AnalysisDatabase.Latents, await ctx.FeatureDashboards.CountAsync());
        Assert.Equal(1.25, (await ctx.Latents.SingleAsync(l => l.Index == 0)).MaxActivation);
        var view = await new FeatureDashboardReader(db).GetAsync(db.DictionaryId, 1);
        Assert.Equal(first, view!.AnalysisId);
    }

    /// <summary>IProgress that reports on the calling thread (Progress&lt;T&gt; posts to the thread pool).</summary>
    private sealed class SynchronousProgress(Action<double> report) : IProgress<double>
    {
        public void Report(double value) => report(value);
    }
}
