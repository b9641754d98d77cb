using SaeWorkbench.Research.Labelling;

namespace SaeWorkbench.Research.Tests.Labelling;

public class VoteRulesTests
{
    private static readonly VoteTarget AnnsInterpretation = new(AuthorId: "ann", IsDeleted: false);

    [Fact]
    public void A_first_vote_is_cast()
    {
        Assert.Equal(new VoteChange(VoteChangeKind.Cast, 1, 1), VoteRules.Decide(current: null, requested: 1));
        Assert.Equal(new VoteChange(VoteChangeKind.Cast, -1, -1), VoteRules.Decide(current: null, requested: -1));
    }

    [Fact]
    public void Changing_a_vote_moves_the_score_by_two()
    {
        Assert.Equal(new VoteChange(VoteChangeKind.Changed, -1, -2), VoteRules.Decide(current: 1, requested: -1));
        Assert.Equal(new VoteChange(VoteChangeKind.Changed, 1, 2), VoteRules.Decide(current: -1, requested: 1));
    }

    [Fact]
    public void Retracting_a_vote_removes_its_value()
    {
        Assert.Equal(new VoteChange(VoteChangeKind.Retracted, null, -1), VoteRules.Decide(current: 1, requested: null));
        Assert.Equal(new VoteChange(VoteChangeKind.Retracted, null, 1), VoteRules.Decide(current: -1, requested: null));
    }

    [Fact]
    public void Repeating_a_vote_or_retracting_nothing_writes_nothing()
    {
        Assert.Equal(new VoteChange(VoteChangeKind.Unchanged, 1, 0), VoteRules.Decide(current: 1, requested: 1));
        Assert.Equal(new VoteChange(VoteChangeKind.Unchanged, null, 0), VoteRules.Decide(current: null, requested: null));
    }

    [Fact]
    public void Pressing_the_button_of_the_current_vote_retracts_it()
    {
        Assert.Equal(VoteChangeKind.Retracted, VoteRules.Toggle(current: 1, pressed: 1).Kind);
        Assert.Equal(VoteChangeKind.Changed, VoteRules.Toggle(current: 1, pressed: -1).Kind);
        Assert.Equal(VoteChangeKind.Cast, VoteRules.Toggle(current: null, pressed: -1).Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(2)]
    [InlineData(-5)]
    public void Vote_values_other_than_plus_or_minus_one_are_refused(int value)
    {
        Assert.Equal($"A vote is +1 or -1; got {value}.", VoteRules.ValidateValue(value).Errors["value"]);
        Assert.Throws<ArgumentOutOfRangeException>(() => VoteRules.Decide(null, value));
    }

    [Fact]
    public void The_score_is_the_sum_of_the_vote_rows()
    {
        Assert.Equal(0, VoteRules.Score([]));
        Assert.Equal(1, VoteRules.Score([1, 1, -1]));
        Assert.Equal(-2, VoteRules.Score([-1, -1]));
    }

    [Fact]
    public void A_corrupt_vote_row_is_reported_not_summed() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => VoteRules.Score([1, 3]));

    [Fact]
    public void Applying_every_change_in_sequence_keeps_the_score_equal_to_the_rows()
    {
        // Many users changing their votes in a scripted order: the running total kept from the
        // deltas must always equal the score recomputed from the rows.
        var random = new Random(7);
        var rows = new Dictionary<int, int>();
        var runningScore = 0;
        for (var step = 0; step < 2_000; step++)
        {
            var user = random.Next(20);
            int? requested = random.Next(3) switch { 0 => null, 1 => 1, _ => -1 };
            var change = VoteRules.Decide(rows.TryGetValue(user, out var v) ? v : null, requested);
            if (change.NewValue is { } value) rows[user] = value; else rows.Remove(user);
            runningScore += change.ScoreDelta;
            Assert.Equal(VoteRules.Score(rows.Values), runningScore);
        }
    }

    [Fact]
    public void A_labeler_may_vote_on_someone_elses_interpretation() =>
        Assert.True(VoteRules.CanVote(Role.Labeler, "bob", AnnsInterpretation).IsValid);

    [Fact]
    public void A_vote_on_a_deleted_interpretation_is_refused()
    {
        var result = VoteRules.CanVote(Role.Labeler, "bob", AnnsInterpretation with { IsDeleted = true });

        Assert.Equal("This interpretation was deleted; it can no longer be voted on.", result.Errors["interpretation"]);
    }

    [Fact]
    public void Authors_cannot_vote_on_their_own_interpretation() =>
        Assert.Equal("You cannot vote on your own interpretation.", VoteRules.CanVote(Role.Admin, "ann", AnnsInterpretation).Errors["interpretation"]);

    [Fact]
    public void Viewers_cannot_vote() =>
        Assert.False(VoteRules.CanVote(Role.Viewer, "bob", AnnsInterpretation).IsValid);
}
