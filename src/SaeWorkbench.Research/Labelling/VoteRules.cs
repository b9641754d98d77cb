namespace SaeWorkbench.Research.Labelling;

/// <summary>What happens to a user's vote row on an interpretation.</summary>
public enum VoteChangeKind
{
    /// <summary>No row existed; insert one.</summary>
    Cast,
    /// <summary>The row's value flips sign; update it.</summary>
    Changed,
    /// <summary>The row is deleted.</summary>
    Retracted,
    /// <summary>Nothing to write (same vote again, or retracting a vote that does not exist).</summary>
    Unchanged,
}

/// <param name="NewValue">The row's value afterwards; null when there is no row.</param>
/// <param name="ScoreDelta">What the interpretation's score changes by, for a counter kept in the same transaction.</param>
public sealed record VoteChange(VoteChangeKind Kind, int? NewValue, int ScoreDelta);

/// <summary>The facts about an interpretation that decide whether someone may vote on it.</summary>
public sealed record VoteTarget(string AuthorId, bool IsDeleted);

/// <summary>
/// One vote of +1 or −1 per user per interpretation, changeable and retractable; the
/// score is the sum of the vote rows. Decisions: a vote on a deleted interpretation is refused; a
/// vote on a rejected one is allowed (votes are opinions, the review is another). Authors may not
/// vote on their own interpretation (unlike Neuronpedia): the score decides the consensus label once
/// it reaches the workspace threshold, and it should count other people's endorsement only.
/// </summary>
public static class VoteRules
{
    public const int Up = 1;
    public const int Down = -1;

    /// <summary>Whether <paramref name="userId"/> with <paramref name="role"/> may vote on (or
    /// retract a vote on) <paramref name="target"/>.</summary>
    public static ValidationResult CanVote(Role role, string userId, VoteTarget target)
    {
        if (!Permissions.Can(role, WorkbenchAction.Vote))
            return ValidationResult.Fail("role", Permissions.Refusal(role, WorkbenchAction.Vote));
        if (target.IsDeleted)
            return ValidationResult.Fail("interpretation", "This interpretation was deleted; it can no longer be voted on.");
        if (string.Equals(userId, target.AuthorId, StringComparison.Ordinal))
            return ValidationResult.Fail("interpretation", "You cannot vote on your own interpretation.");
        return ValidationResult.Valid;
    }

    /// <summary>The rule for a requested vote value: +1 or −1, or null to retract.</summary>
    public static ValidationResult ValidateValue(int? value) =>
        value is null or Up or Down
            ? ValidationResult.Valid
            : ValidationResult.Fail("value", $"A vote is +1 or -1; got {value}.");

    /// <summary>
    /// The write that takes the user's vote from <paramref name="current"/> (null: no row) to
    /// <paramref name="requested"/> (null: retract). Used by the API's PUT/DELETE.
    /// </summary>
    public static VoteChange Decide(int? current, int? requested)
    {
        ThrowIfNotVote(current, nameof(current));
        ThrowIfNotVote(requested, nameof(requested));
        var delta = (requested ?? 0) - (current ?? 0);
        var kind = (current, requested) switch
        {
            var (c, r) when c == r => VoteChangeKind.Unchanged,
            (null, _) => VoteChangeKind.Cast,
            (_, null) => VoteChangeKind.Retracted,
            _ => VoteChangeKind.Changed,
        };
        return new VoteChange(kind, requested, delta);
    }

    /// <summary>The vote buttons: pressing the button of the vote one already has retracts it.</summary>
    public static VoteChange Toggle(int? current, int pressed)
    {
        ThrowIfNotVote(pressed, nameof(pressed));
        return Decide(current, current == pressed ? null : pressed);
    }

    /// <summary>The score: the sum of the vote rows' values.</summary>
    public static int Score(IEnumerable<int> voteValues)
    {
        var score = 0;
        foreach (var value in voteValues)
        {
            ThrowIfNotVote(value, nameof(voteValues));
            score += value;
        }
        return score;
    }

    private static void ThrowIfNotVote(int? value, string name)
    {
        if (value is not (null or Up or Down))
            throw new ArgumentOutOfRangeException(name, value, "A vote value is +1 or -1.");
    }
}
