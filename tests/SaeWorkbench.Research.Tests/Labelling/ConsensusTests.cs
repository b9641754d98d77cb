using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class ConsensusTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private static InterpretationStanding Interp(long id, int score = 0, ReviewStatus status = ReviewStatus.Pending,
        int? reviewedMinutes = null, bool deleted = false, double? detection = null, int createdMinutes = 0) =>
        new(id, $"label {id}", score, status, reviewedMinutes is { } r ? T0.AddMinutes(r) : null, deleted, detection, T0.AddMinutes(createdMinutes));

    [Fact]
    public void No_interpretations_means_unlabelled()
    {
        var result = Consensus.Of([], scoreThreshold: 1);

        Assert.Equal(ConsensusStatus.Unlabelled, result.Status);
        Assert.Null(result.Interpretation);
        Assert.Null(result.Label);
    }

    [Fact]
    public void Accepted_interpretation_wins_over_higher_score()
    {
        var result = Consensus.Of([Interp(1, score: 10), Interp(2, score: -3, status: ReviewStatus.Accepted, reviewedMinutes: 5)], 1);

        Assert.Equal(ConsensusStatus.Accepted, result.Status);
        Assert.Equal(2, result.Interpretation!.Id);
        Assert.Equal("label 2", result.Label);
    }

    [Fact]
    public void Of_several_accepted_the_most_recently_reviewed_wins()
    {
        var result = Consensus.Of(
        [
            Interp(1, score: 9, status: ReviewStatus.Accepted, reviewedMinutes: 10),
            Interp(2, score: 1, status: ReviewStatus.Accepted, reviewedMinutes: 30),
            Interp(3, score: 5, status: ReviewStatus.Accepted, reviewedMinutes: 20),
        ], 1);

        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void A_deleted_accepted_interpretation_does_not_count()
    {
        var result = Consensus.Of([Interp(1, score: 3), Interp(2, status: ReviewStatus.Accepted, reviewedMinutes: 1, deleted: true)], 1);

        Assert.Equal(ConsensusStatus.Proposed, result.Status);
        Assert.Equal(1, result.Interpretation!.Id);
    }

    [Fact]
    public void The_top_score_at_or_above_the_threshold_is_proposed()
    {
        var result = Consensus.Of([Interp(1, score: 2), Interp(2, score: 3), Interp(3, score: 1)], scoreThreshold: 3);

        Assert.Equal(ConsensusStatus.Proposed, result.Status);
        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void A_top_score_below_the_threshold_gives_no_consensus()
    {
        var result = Consensus.Of([Interp(1, score: 2), Interp(2, score: 2)], scoreThreshold: 3);

        Assert.Equal(ConsensusResult.None, result);
    }

    [Fact]
    public void Rejected_interpretations_are_never_proposed()
    {
        var result = Consensus.Of([Interp(1, score: 50, status: ReviewStatus.Rejected, reviewedMinutes: 1), Interp(2, score: 1)], 1);

        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void Deleted_interpretations_are_never_proposed()
    {
        var result = Consensus.Of([Interp(1, score: 50, deleted: true)], 1);

        Assert.Equal(ConsensusStatus.Unlabelled, result.Status);
    }

    [Fact]
    public void Score_ties_go_to_the_higher_detection_score()
    {
        var result = Consensus.Of([Interp(1, score: 4, detection: 0.70), Interp(2, score: 4, detection: 0.85), Interp(3, score: 4)], 1);

        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void An_unrated_interpretation_loses_a_tie_to_a_rated_one_even_a_poor_one()
    {
        var result = Consensus.Of([Interp(1, score: 4, createdMinutes: 0), Interp(2, score: 4, detection: 0.4, createdMinutes: 9)], 1);

        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void Remaining_ties_go_to_the_earliest_created()
    {
        var result = Consensus.Of([Interp(1, score: 4, detection: 0.8, createdMinutes: 9), Interp(2, score: 4, detection: 0.8, createdMinutes: 3)], 1);

        Assert.Equal(2, result.Interpretation!.Id);
    }

    [Fact]
    public void The_result_does_not_depend_on_input_order()
    {
        InterpretationStanding[] all =
        [
            Interp(1, score: 4, detection: 0.8, createdMinutes: 3), Interp(2, score: 4, detection: 0.8, createdMinutes: 3),
            Interp(3, score: 4, detection: 0.6), Interp(4, score: 2),
        ];

        Assert.Equal(1, Consensus.Of(all, 1).Interpretation!.Id);
        Assert.Equal(1, Consensus.Of(all.Reverse(), 1).Interpretation!.Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(1001)]
    public void Thresholds_outside_one_to_a_thousand_are_refused(int threshold)
    {
        Assert.False(Consensus.ValidateThreshold(threshold).IsValid);
        Assert.Throws<ArgumentOutOfRangeException>(() => Consensus.Of([], threshold));
    }

    [Fact]
    public void The_panel_lists_accepted_then_pending_then_rejected_each_by_score()
    {
        var order = Consensus.DisplayOrder(
        [
            Interp(1, score: 9, status: ReviewStatus.Rejected, reviewedMinutes: 1),
            Interp(2, score: 1),
            Interp(3, score: 5),
            Interp(4, score: 0, status: ReviewStatus.Accepted, reviewedMinutes: 2),
            Interp(5, score: 7, deleted: true),
            Interp(6, score: 2, status: ReviewStatus.Rejected, reviewedMinutes: 1),
        ]);

        Assert.Equal([4, 3, 2, 1, 6], order.Select(i => i.Id).ToArray());
    }
}

public class ReviewRulesTests
{
    private static readonly ReviewTarget Pending = new(AuthorId: "ann", IsDeleted: false, CurrentStatus: ReviewStatus.Pending);

    [Fact]
    public void A_reviewer_accepts_without_a_reason() =>
        Assert.True(ReviewRules.CanReview(Role.Reviewer, "rev", Pending, ReviewStatus.Accepted, null).IsValid);

    [Fact]
    public void A_rejection_needs_a_reason()
    {
        Assert.Equal("Say why the interpretation is rejected, so its author can improve it.",
            ReviewRules.CanReview(Role.Reviewer, "rev", Pending, ReviewStatus.Rejected, "  ").Errors["reason"]);
        Assert.True(ReviewRules.CanReview(Role.Reviewer, "rev", Pending, ReviewStatus.Rejected, "Fires on far more than commas.").IsValid);
    }

    [Fact]
    public void A_labeler_cannot_review() =>
        Assert.Equal("A Labeler cannot review interpretations; ask an Admin for a role that can.",
            ReviewRules.CanReview(Role.Labeler, "lab", Pending, ReviewStatus.Accepted, null).Errors["role"]);

    [Fact]
    public void Nobody_reviews_their_own_interpretation() =>
        Assert.False(ReviewRules.CanReview(Role.Admin, "ann", Pending, ReviewStatus.Accepted, null).IsValid);

    [Fact]
    public void A_deleted_interpretation_cannot_be_reviewed() =>
        Assert.False(ReviewRules.CanReview(Role.Reviewer, "rev", Pending with { IsDeleted = true }, ReviewStatus.Accepted, null).IsValid);

    [Fact]
    public void Setting_the_status_it_already_has_is_refused() =>
        Assert.Equal("This interpretation is already accepted.",
            ReviewRules.CanReview(Role.Reviewer, "rev", Pending with { CurrentStatus = ReviewStatus.Accepted }, ReviewStatus.Accepted, null).Errors["decision"]);

    [Fact]
    public void An_accepted_interpretation_can_be_sent_back_to_pending() =>
        Assert.True(ReviewRules.CanReview(Role.Reviewer, "rev", Pending with { CurrentStatus = ReviewStatus.Accepted }, ReviewStatus.Pending, "Reopened").IsValid);

    [Fact]
    public void An_over_long_reason_is_refused() =>
        Assert.False(ReviewRules.CanReview(Role.Reviewer, "rev", Pending, ReviewStatus.Rejected, new string('r', 2_001)).IsValid);
}
