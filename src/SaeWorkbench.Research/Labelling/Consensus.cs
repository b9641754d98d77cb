namespace SaeWorkbench.Research.Labelling;

public enum ReviewStatus
{
    Pending = 0,
    Accepted = 1,
    Rejected = 2,
}

/// <summary>Where a latent stands: no consensus, a community proposal, or a reviewed label.</summary>
public enum ConsensusStatus
{
    Unlabelled = 0,
    Proposed = 1,
    Accepted = 2,
}

/// <summary>An interpretation as consensus sees it (plain data the database layer fills in).</summary>
/// <param name="Score">Sum of its vote rows (<see cref="VoteRules.Score"/>).</param>
/// <param name="ReviewedAt">When its current review status was set; null when never reviewed.</param>
/// <param name="DetectionBalancedAccuracy">Human detection score (<see cref="DetectionScoring"/>); null when unrated.</param>
public sealed record InterpretationStanding(
    long Id,
    string Label,
    int Score,
    ReviewStatus ReviewStatus,
    DateTimeOffset? ReviewedAt,
    bool IsDeleted,
    double? DetectionBalancedAccuracy,
    DateTimeOffset CreatedAt);

/// <param name="Interpretation">The consensus interpretation; null when <see cref="Status"/> is Unlabelled.</param>
public sealed record ConsensusResult(ConsensusStatus Status, InterpretationStanding? Interpretation)
{
    public static readonly ConsensusResult None = new(ConsensusStatus.Unlabelled, null);

    public string? Label => Interpretation?.Label;
}

/// <summary>
/// The one consensus rule, used by the list, the feature page, the API
/// and the export. Deleted interpretations never count.
/// 1. An accepted interpretation wins. If several are accepted, the most recently reviewed wins
///    (the latest review decision is the reviewers' current view), then the higher score, then the
///    earlier created, then the lower id.
/// 2. Else the top-scored interpretation that is not rejected and whose score reaches the workspace
///    threshold; ties go to the higher human detection score (an unrated interpretation ranks below
///    any rated one), then to the earlier created, then to the lower id. Status: Proposed.
/// 3. Else none: Unlabelled.
/// </summary>
public static class Consensus
{
    /// <summary>Default workspace threshold: one net endorsement by someone other than the author
    /// (authors cannot vote on their own, <see cref="VoteRules"/>).</summary>
    public const int DefaultScoreThreshold = 1;

    public static ConsensusResult Of(IEnumerable<InterpretationStanding> interpretations, int scoreThreshold)
    {
        ThrowIfInvalidThreshold(scoreThreshold);
        var live = interpretations.Where(i => !i.IsDeleted).ToList();

        var accepted = live
            .Where(i => i.ReviewStatus == ReviewStatus.Accepted)
            .OrderByDescending(i => i.ReviewedAt ?? DateTimeOffset.MinValue)
            .ThenByDescending(i => i.Score)
            .ThenBy(i => i.CreatedAt)
            .ThenBy(i => i.Id)
            .FirstOrDefault();
        if (accepted is not null) return new ConsensusResult(ConsensusStatus.Accepted, accepted);

        var proposed = ByScore(live.Where(i => i.ReviewStatus != ReviewStatus.Rejected && i.Score >= scoreThreshold))
            .FirstOrDefault();
        return proposed is null ? ConsensusResult.None : new ConsensusResult(ConsensusStatus.Proposed, proposed);
    }

    /// <summary>
    /// The labelling panel: status first (accepted, pending, rejected), then score with
    /// the same tie-breaks as consensus; deleted interpretations are left out.
    /// </summary>
    public static IReadOnlyList<InterpretationStanding> DisplayOrder(IEnumerable<InterpretationStanding> interpretations) =>
        ByScore(interpretations.Where(i => !i.IsDeleted))
            .OrderBy(i => i.ReviewStatus switch
            {
                ReviewStatus.Accepted => 0,
                ReviewStatus.Pending => 1,
                _ => 2,
            })
            .ToList();

    /// <summary>The rule for a threshold an Admin sets: a whole number from 1 to 1,000.</summary>
    public static ValidationResult ValidateThreshold(int scoreThreshold) =>
        scoreThreshold is >= 1 and <= 1000
            ? ValidationResult.Valid
            : ValidationResult.Fail("scoreThreshold", $"The consensus threshold is a score from 1 to 1,000; got {scoreThreshold}.");

    private static IOrderedEnumerable<InterpretationStanding> ByScore(IEnumerable<InterpretationStanding> interpretations) =>
        interpretations
            .OrderByDescending(i => i.Score)
            .ThenByDescending(i => i.DetectionBalancedAccuracy ?? double.NegativeInfinity)
            .ThenBy(i => i.CreatedAt)
            .ThenBy(i => i.Id);

    private static void ThrowIfInvalidThreshold(int scoreThreshold)
    {
        var validation = ValidateThreshold(scoreThreshold);
        if (!validation.IsValid) throw new ArgumentOutOfRangeException(nameof(scoreThreshold), scoreThreshold, validation.ToString());
    }
}
