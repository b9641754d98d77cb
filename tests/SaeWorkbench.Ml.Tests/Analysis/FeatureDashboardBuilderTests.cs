using SaeWorkbench.Ml.Analysis;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Analysis;

public class FeatureDashboardBuilderTests
{
    private static readonly DashboardOptions Options = new() { TopExamples = 5, HistogramBins = 7, IntervalBins = 5, ExamplesPerInterval = 3, TokensBefore = 4, TokensAfter = 2, Seed = 9 };

    /// <summary>Both passes over the synthetic windows in uneven batches.</summary>
    private static FeatureDashboardBuilder Build(SyntheticActivations data, DashboardOptions options, int[] cuts)
    {
        var builder = new FeatureDashboardBuilder(data.Latents, SyntheticActivations.Bos, options: options);
        for (var pass = 0; pass < 2; pass++)
        {
            for (var i = 0; i + 1 < cuts.Length; i++)
            {
                using var scope = NewDisposeScope();
                var (ids, f) = data.Batch(cuts[i], cuts[i + 1]);
                builder.Observe(ids, f);
            }
            if (pass == 0) builder.EndStatisticsPass();
        }
        builder.Finish();
        return builder;
    }

    private static readonly SyntheticActivations Data = new();
    private static readonly int[] Cuts = [0, 5, 6, 12];

    [Fact]
    public void Density_max_and_mean_match_brute_force_with_BOS_excluded()
    {
        var builder = Build(Data, Options, Cuts);
        Assert.Equal(Data.CountedTokens, builder.Tokens);
        for (var i = 0; i < Data.Latents; i++)
        {
            var active = Data.Active(i);
            var s = builder.Dashboard(i).Statistics;
            Assert.Equal(active.Count, s.ActiveCount);
            Assert.Equal((double)active.Count / Data.CountedTokens, s.Density, 12);
            if (active.Count == 0) continue;
            Assert.Equal(active.Max(a => a.V), s.MaxActivation);
            Assert.True(s.MaxActivation < 100f, "a BOS activation was counted");
            Assert.Equal(active.Average(a => (double)a.V), s.MeanActivation, 5);
        }
    }

    [Fact]
    public void Dead_latents_are_reported_and_kept()
    {
        var builder = Build(Data, Options, Cuts);
        var dead = Enumerable.Range(0, Data.Latents).Where(i => builder.Dashboard(i).Statistics.IsDead).ToArray();
        Assert.Equal([SyntheticActivations.Dead], dead);
        var d = builder.Dashboard(SyntheticActivations.Dead);
        Assert.Empty(d.TopExamples);
        Assert.All(d.Intervals, x => Assert.Equal(0, x.Count));
        Assert.All(d.Histogram, c => Assert.Equal(0, c));
    }

    [Fact]
    public void Histogram_matches_brute_force_binning()
    {
        var builder = Build(Data, Options, Cuts);
        for (var i = 0; i < Data.Latents; i++)
        {
            var active = Data.Active(i);
            var d = builder.Dashboard(i);
            var expected = new long[Options.HistogramBins];
            foreach (var a in active) expected[EqualWidthBins.Of(a.V, d.Statistics.MaxActivation, Options.HistogramBins)]++;
            Assert.Equal(expected, d.Histogram);
            Assert.Equal(active.Count, d.Histogram.Sum());
        }
    }

    [Fact]
    public void Top_contexts_equal_a_brute_force_sort()
    {
        var builder = Build(Data, Options, Cuts);
        for (var i = 0; i < Data.Latents; i++)
        {
            var expected = Data.Active(i).OrderByDescending(a => a.V).Take(Options.TopExamples).ToArray();
            var top = builder.Dashboard(i).TopExamples;
            Assert.Equal(expected.Select(a => (a.W, a.T, a.V)), top.Select(x => ((int)x.WindowIndex, x.Position, x.PeakActivation)));
        }
    }

    [Fact]
    public void A_context_is_clipped_at_documents_and_holds_the_latents_activations()
    {
        var builder = Build(Data, Options, Cuts);
        var checkedOne = false;
        for (var i = 0; i < Data.Latents; i++)
        foreach (var x in builder.Dashboard(i).TopExamples)
        {
            var w = Data.Windows[x.WindowIndex];
            var start = x.Position;
            while (start > 0 && x.Position - start < Options.TokensBefore && w[start - 1] != SyntheticActivations.Bos) start--;
            var end = x.Position + 1;
            while (end < w.Length && end - x.Position - 1 < Options.TokensAfter && w[end] != SyntheticActivations.Bos) end++;
            Assert.Equal(w[start..end].Select(id => (int)id), x.TokenIds);
            Assert.Equal(Enumerable.Range(start, end - start).Select(t => Data.F[x.WindowIndex][t][i]), x.Activations);
            Assert.Equal(x.Position - start, x.PeakOffset);
            Assert.DoesNotContain((int)SyntheticActivations.Bos, x.TokenIds);
            checkedOne = true;
        }
        Assert.True(checkedOne);
    }

    [Fact]
    public void Interval_shares_sum_to_one_and_samples_lie_in_their_bin()
    {
        var builder = Build(Data, Options, Cuts);
        for (var i = 0; i < Data.Latents; i++)
        {
            var active = Data.Active(i);
            if (active.Count == 0) continue;
            var d = builder.Dashboard(i);
            var counts = new long[Options.IntervalBins];
            foreach (var a in active) counts[EqualWidthBins.Of(a.V, d.Statistics.MaxActivation, Options.IntervalBins)]++;
            Assert.Equal(counts, d.Intervals.Select(x => x.Count));
            Assert.Equal(1.0, d.Intervals.Sum(x => x.Share), 12);
            Assert.Equal(d.Statistics.MaxActivation, d.Intervals[^1].BinMax, 5);
            foreach (var bin in d.Intervals)
            {
                Assert.Equal(Math.Min(Options.ExamplesPerInterval, bin.Count), bin.Examples.Count);
                Assert.Equal(bin.Examples.Count, bin.Examples.Select(x => (x.WindowIndex, x.Position)).Distinct().Count());
                Assert.All(bin.Examples, x =>
                {
                    Assert.Equal(bin.Bin, EqualWidthBins.Of(x.PeakActivation, d.Statistics.MaxActivation, Options.IntervalBins));
                    Assert.Equal(Data.F[x.WindowIndex][x.Position][i], x.PeakActivation);
                });
            }
        }
    }

    [Fact]
    public void Results_do_not_depend_on_batching_and_the_seed_fixes_the_samples()
    {
        var a = Build(Data, Options, Cuts);
        var b = Build(Data, Options, [0, 1, 2, 3, 12]);
        var c = Build(Data, Options with { Seed = 10 }, Cuts);
        var differs = false;
        for (var i = 0; i < Data.Latents; i++)
        {
            Assert.Equal(Keys(a.Dashboard(i).TopExamples), Keys(b.Dashboard(i).TopExamples));
            Assert.Equal(a.Dashboard(i).Histogram, b.Dashboard(i).Histogram);
            var again = Build(Data, Options, Cuts);
            Assert.Equal(a.Dashboard(i).Intervals.SelectMany(x => Keys(x.Examples)), again.Dashboard(i).Intervals.SelectMany(x => Keys(x.Examples)));
            differs |= !a.Dashboard(i).Intervals.SelectMany(x => Keys(x.Examples)).SequenceEqual(c.Dashboard(i).Intervals.SelectMany(x => Keys(x.Examples)));
        }
        Assert.True(differs, "another seed should draw other interval samples");
    }

    private static IEnumerable<(long, int)> Keys(IEnumerable<DashboardExample> xs) => xs.Select(x => (x.WindowIndex, x.Position));

    [Fact]
    public void Passes_must_see_the_same_windows()
    {
        var builder = new FeatureDashboardBuilder(Data.Latents, SyntheticActivations.Bos, options: Options);
        using (var scope = NewDisposeScope()) { var (ids, f) = Data.Batch(0, 4); builder.Observe(ids, f); }
        builder.EndStatisticsPass();
        using (var scope = NewDisposeScope()) { var (ids, f) = Data.Batch(0, 2); builder.Observe(ids, f); }
        Assert.Throws<InvalidOperationException>(builder.Finish);
    }

    [Fact]
    public void Padding_positions_never_count()
    {
        const long pad = 7;
        var builder = new FeatureDashboardBuilder(2, SyntheticActivations.Bos, pad, Options);
        // One window: BOS, a token, padding, a token; the padding carries the largest activation.
        var ids = tensor(new long[] { 0, 5, pad, 6 }, new long[] { 1, 4 });
        var f = tensor(new float[] { 9, 9, 1, 0, 8, 8, 2, 3 }, new long[] { 1, 4, 2 });
        for (var pass = 0; pass < 2; pass++)
        {
            builder.Observe(ids, f);
            if (pass == 0) builder.EndStatisticsPass();
        }
        builder.Finish();
        Assert.Equal(2, builder.Tokens);
        Assert.Equal((2L, 2f), (builder.Dashboard(0).Statistics.ActiveCount, builder.Dashboard(0).Statistics.MaxActivation));
        Assert.Equal((1L, 3f), (builder.Dashboard(1).Statistics.ActiveCount, builder.Dashboard(1).Statistics.MaxActivation));
        var top = Assert.Single(builder.Dashboard(1).TopExamples);
        Assert.Equal([6], top.TokenIds);    // the context stops at the padding
    }
}

