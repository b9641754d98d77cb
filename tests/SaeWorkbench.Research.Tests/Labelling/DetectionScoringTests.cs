using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class DetectionScoringTests
{
    // 5 bins (0 = weakest), 8 activating contexts each: ids 100*bin + i.
    private static readonly List<ActivatingContext> Activating =
        Enumerable.Range(0, 5).SelectMany(bin => Enumerable.Range(0, 8).Select(i => new ActivatingContext(100 * bin + i, bin))).ToList();

    private static readonly List<long> NonActivating = Enumerable.Range(0, 50).Select(i => 10_000L + i).ToList();

    private static DetectionRatingSet Build(long seed = 42, IReadOnlyList<ActivatingContext>? activating = null, IReadOnlyList<long>? nonActivating = null) =>
        DetectionScoring.BuildRatingSet(activating ?? Activating, nonActivating ?? NonActivating, seed).Value!;

    [Fact]
    public void A_set_has_ten_activating_and_ten_non_activating_contexts()
    {
        var set = Build();

        Assert.Equal(20, set.Items.Count);
        Assert.Equal(10, set.Items.Count(i => i.IsActivating));
        Assert.All(set.Items.Where(i => !i.IsActivating), i => Assert.Contains(i.ContextId, NonActivating));
        Assert.Equal(20, set.ContextIds.Distinct().Count());
    }

    [Fact]
    public void Activating_contexts_are_spread_round_robin_over_the_bins()
    {
        var perBin = Build().Items.Where(i => i.IsActivating).GroupBy(i => i.ContextId / 100).ToDictionary(g => g.Key, g => g.Count());

        // 10 over 5 bins: two from every bin.
        Assert.Equal(new Dictionary<long, int> { [0] = 2, [1] = 2, [2] = 2, [3] = 2, [4] = 2 }, perBin);
    }

    [Fact]
    public void Empty_bins_are_skipped_and_small_bins_run_out_first()
    {
        var activating = new List<ActivatingContext> { new(1, 0), new(2, 3), new(3, 3) };
        activating.AddRange(Enumerable.Range(0, 20).Select(i => new ActivatingContext(900 + i, 7)));

        var ids = Build(activating: activating).Items.Where(i => i.IsActivating).Select(i => i.ContextId).ToList();

        Assert.Contains(1L, ids);
        Assert.Contains(2L, ids);
        Assert.Contains(3L, ids);
        Assert.Equal(7, ids.Count(id => id >= 900));
    }

    [Fact]
    public void The_same_seed_gives_the_same_set_and_order()
    {
        Assert.Equal(Build(seed: 7).Items, Build(seed: 7).Items);
    }

    [Fact]
    public void Different_seeds_give_different_orders()
    {
        Assert.NotEqual(Build(seed: 1).ContextIds, Build(seed: 2).ContextIds);
    }

    [Fact]
    public void Activating_and_non_activating_contexts_are_interleaved_not_grouped()
    {
        // Over many seeds the activating contexts sit at every position about half the time.
        var atPosition = new int[20];
        for (var seed = 0; seed < 2_000; seed++)
        {
            var items = Build(seed).Items;
            for (var p = 0; p < 20; p++) if (items[p].IsActivating) atPosition[p]++;
        }

        Assert.All(atPosition, count => Assert.InRange(count, 850, 1_150));
    }

    [Fact]
    public void Each_bin_context_is_equally_likely_to_be_drawn()
    {
        var drawn = new Dictionary<long, int>();
        for (var seed = 0; seed < 4_000; seed++)
            foreach (var item in Build(seed).Items.Where(i => i.IsActivating && i.ContextId < 100))
                drawn[item.ContextId] = drawn.GetValueOrDefault(item.ContextId) + 1;

        // Bin 0 has 8 contexts and gives 2 per set: each is drawn in a quarter of the sets.
        Assert.Equal(8, drawn.Count);
        Assert.All(drawn.Values, count => Assert.InRange(count, 850, 1_150));
    }

    [Fact]
    public void A_context_listed_as_both_kinds_is_only_used_as_activating()
    {
        var set = Build(nonActivating: [0, 1, 2, 100, 10_000, 10_001, 10_002, 10_003, 10_004, 10_005, 10_006, 10_007, 10_008, 10_009, 10_010]);

        Assert.Equal(20, set.ContextIds.Distinct().Count());
        Assert.DoesNotContain(set.Items, i => !i.IsActivating && i.ContextId < 10_000);
    }

    [Fact]
    public void With_few_activating_contexts_the_set_shrinks_but_stays_balanced()
    {
        var set = Build(activating: [new(1, 0), new(2, 1), new(3, 1)]);

        Assert.Equal(6, set.Items.Count);
        Assert.Equal(3, set.Items.Count(i => i.IsActivating));
    }

    [Fact]
    public void A_latent_without_activating_examples_cannot_be_rated()
    {
        var result = DetectionScoring.BuildRatingSet([], NonActivating, 1);

        Assert.Equal("This latent has no activating examples to rate against.", result.Validation.Errors["contexts"]);
    }

    [Fact]
    public void Marks_cover_every_shown_context()
    {
        var set = Build();
        var marked = set.Items.Where(i => i.IsActivating).Take(3).Select(i => i.ContextId).ToList();

        var marks = DetectionScoring.Marks(set, marked).Value!;

        Assert.Equal(20, marks.Count);
        Assert.Equal(3, marks.Count(m => m.MarkedAsMatching));
        Assert.All(marks.Where(m => m.MarkedAsMatching), m => Assert.True(m.IsActivating));
    }

    [Fact]
    public void Marking_a_context_that_was_not_shown_is_refused()
    {
        Assert.Equal("Context 555555 was not in the set you were shown; reload and rate again.",
            DetectionScoring.Marks(Build(), [555_555]).Validation.Errors["marked"]);
    }

    private static List<DetectionMark> Marks(int tp, int fn, int fp, int tn) =>
        [.. Enumerable.Repeat(new DetectionMark(true, true), tp), .. Enumerable.Repeat(new DetectionMark(true, false), fn),
         .. Enumerable.Repeat(new DetectionMark(false, true), fp), .. Enumerable.Repeat(new DetectionMark(false, false), tn)];

    [Fact]
    public void Balanced_accuracy_precision_and_recall_come_from_the_pooled_counts()
    {
        var score = DetectionScoring.Score(
        [
            new DetectionRating("bob", Marks(tp: 8, fn: 2, fp: 1, tn: 9)),
            new DetectionRating("cy", Marks(tp: 6, fn: 4, fp: 3, tn: 7)),
        ]);

        Assert.Equal(new DetectionScore(2, 14, 4, 16, 6, BalancedAccuracy: (14.0 / 20 + 16.0 / 20) / 2, Precision: 14.0 / 18, Recall: 14.0 / 20), score);
    }

    [Fact]
    public void Marking_everything_scores_chance_level()
    {
        var score = DetectionScoring.Score([new DetectionRating("bob", Marks(tp: 10, fn: 0, fp: 10, tn: 0))]);

        Assert.Equal(0.5, score.BalancedAccuracy);
        Assert.Equal(1.0, score.Recall);
        Assert.Equal(0.5, score.Precision);
    }

    [Fact]
    public void Marking_nothing_leaves_precision_undefined()
    {
        var score = DetectionScoring.Score([new DetectionRating("bob", Marks(tp: 0, fn: 10, fp: 0, tn: 10))]);

        Assert.Null(score.Precision);
        Assert.Equal(0.5, score.BalancedAccuracy);
    }

    [Fact]
    public void No_ratings_means_no_score()
    {
        var score = DetectionScoring.Score([]);

        Assert.Equal(0, score.Raters);
        Assert.Null(score.BalancedAccuracy);
    }

    [Fact]
    public void A_rater_counted_twice_is_an_error() =>
        Assert.Throws<ArgumentException>(() => DetectionScoring.Score([new DetectionRating("bob", []), new DetectionRating("bob", [])]));

    [Fact]
    public void Authors_cannot_rate_their_own_interpretation() =>
        Assert.Equal("You cannot rate your own interpretation.",
            DetectionScoring.CanRate(Role.Labeler, "ann", new DetectionTarget("ann", false), hasAlreadyRated: false).Errors["interpretation"]);

    [Fact]
    public void A_rater_rates_each_interpretation_once()
    {
        var target = new DetectionTarget("ann", false);

        Assert.True(DetectionScoring.CanRate(Role.Labeler, "bob", target, hasAlreadyRated: false).IsValid);
        Assert.False(DetectionScoring.CanRate(Role.Labeler, "bob", target, hasAlreadyRated: true).IsValid);
    }

    [Fact]
    public void Viewers_and_deleted_interpretations_cannot_be_rated()
    {
        Assert.False(DetectionScoring.CanRate(Role.Viewer, "bob", new DetectionTarget("ann", false), false).IsValid);
        Assert.False(DetectionScoring.CanRate(Role.Admin, "bob", new DetectionTarget("ann", true), false).IsValid);
    }

    [Fact]
    public void The_seed_is_fixed_by_interpretation_and_rater()
    {
        Assert.Equal(DetectionScoring.SeedFor(12, "bob"), DetectionScoring.SeedFor(12, "bob"));
        Assert.NotEqual(DetectionScoring.SeedFor(12, "bob"), DetectionScoring.SeedFor(12, "cy"));
        Assert.NotEqual(DetectionScoring.SeedFor(12, "bob"), DetectionScoring.SeedFor(13, "bob"));
        Assert.NotEqual(DetectionScoring.SeedFor(1, "2bob"), DetectionScoring.SeedFor(12, "bob"));
    }
}
