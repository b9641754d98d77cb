using SaeWorkbench.Research.Explanations;

namespace SaeWorkbench.Research.Tests.Explanations;

public sealed class ExplanationScoringTests
{
    [Fact]
    public void Balanced_accuracy_is_the_mean_of_recall_and_specificity()
    {
        // 4 positives: 3 said yes (recall 3/4); 2 negatives: 1 said no (specificity 1/2) → (0.75 + 0.5) / 2 = 0.625.
        var score = ExplanationScoring.Score([
            new(true, true), new(true, true), new(true, true), new(true, false),
            new(false, true), new(false, false),
        ]);

        Assert.Equal((3, 1, 1, 1), (score.TruePositives, score.FalsePositives, score.TrueNegatives, score.FalseNegatives));
        Assert.Equal(0.625, score.BalancedAccuracy!.Value, 12);
        Assert.Null(score.Auroc);
    }

    [Fact]
    public void Unanswered_contexts_are_counted_apart_and_left_out_of_the_score()
    {
        var score = ExplanationScoring.Score([new(true, true), new(true, null), new(false, false), new(false, null)]);

        Assert.Equal(4, score.Contexts);
        Assert.Equal(2, score.Unanswered);
        Assert.Equal(1.0, score.BalancedAccuracy);
    }

    [Fact]
    public void Balanced_accuracy_is_null_without_an_answered_context_of_each_kind()
    {
        Assert.Null(ExplanationScoring.Score([new(true, true), new(false, null)]).BalancedAccuracy);
        Assert.Null(ExplanationScoring.Score([]).BalancedAccuracy);
    }

    [Fact]
    public void Auroc_counts_the_pairs_a_positive_wins_and_half_the_ties()
    {
        // Positives 0.9, 0.4; negatives 0.4, 0.1. Pairs: (0.9,0.4) win, (0.9,0.1) win, (0.4,0.4) tie, (0.4,0.1) win
        // → (3 + 0.5) / 4 = 0.875.
        var score = ExplanationScoring.Score([
            new(true, true, 0.9), new(true, false, 0.4), new(false, false, 0.4), new(false, false, 0.1),
        ]);

        Assert.Equal(0.875, score.Auroc!.Value, 12);
    }

    [Fact]
    public void Auroc_of_a_perfectly_inverted_rater_is_zero_and_needs_both_kinds()
    {
        Assert.Equal(0.0, ExplanationScoring.Auroc([(true, 0.1), (false, 0.9)]));
        Assert.Null(ExplanationScoring.Auroc([(true, 0.1), (true, 0.9)]));
    }
}
