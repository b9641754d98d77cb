namespace SaeWorkbench.Research.Labelling;

/// <summary>An activating example of a latent and the activation-interval bin it was drawn from.</summary>
public sealed record ActivatingContext(long ContextId, int Bin);

/// <summary>One context shown to a rater; <see cref="IsActivating"/> stays on the server.</summary>
public sealed record DetectionItem(long ContextId, bool IsActivating);

/// <summary>The contexts a rater is shown, in display order, and the seed that produced the order.</summary>
public sealed record DetectionRatingSet(IReadOnlyList<DetectionItem> Items, long Seed)
{
    public IReadOnlyList<long> ContextIds => Items.Select(i => i.ContextId).ToList();
}

/// <summary>One rated context: whether it truly activates and whether the rater said it matches.</summary>
public sealed record DetectionMark(bool IsActivating, bool MarkedAsMatching);

/// <summary>All of one rater's marks for one interpretation.</summary>
public sealed record DetectionRating(string RaterId, IReadOnlyList<DetectionMark> Marks);

/// <summary>Detection counts pooled over all ratings of an interpretation, and the scores from them.
/// A score is null when its denominator is zero.</summary>
public sealed record DetectionScore(
    int Raters,
    int TruePositives,
    int FalsePositives,
    int TrueNegatives,
    int FalseNegatives,
    double? BalancedAccuracy,
    double? Precision,
    double? Recall);

/// <summary>The facts about an interpretation that decide whether someone may rate it.</summary>
public sealed record DetectionTarget(string AuthorId, bool IsDeleted);

/// <summary>
/// Human detection scoring. A rater sees 20 contexts without activations — 10 activating,
/// drawn round-robin over the non-empty activation-interval bins so that weak activations are
/// represented as well as the top ones, and 10 non-activating — shuffled, and marks those that match
/// the interpretation. The interpretation's score is balanced accuracy (mean of recall and
/// specificity), with precision and recall, over the marks of all its raters pooled.
/// Decisions: with fewer than 10 activating or non-activating contexts available, the set shrinks to
/// k of each (k = the smaller count) so that it stays balanced; a set needs k ≥ 1.
/// </summary>
public static class DetectionScoring
{
    public const int ActivatingPerSet = 10;
    public const int ContextsPerSet = 2 * ActivatingPerSet;

    /// <summary>
    /// The rating set. Activating: within each bin the contexts are shuffled with the seed, then
    /// taken one per bin in ascending bin order, round after round, until 10 are taken. Non-activating:
    /// shuffled with the seed (contexts that are also activating are left out), the first 10 taken.
    /// The 20 are then shuffled together with the seed. The same inputs and seed give the same set.
    /// </summary>
    public static Validated<DetectionRatingSet> BuildRatingSet(
        IReadOnlyList<ActivatingContext> activating, IReadOnlyList<long> nonActivating, long seed)
    {
        var rng = new SeededShuffle(seed);
        var activatingIds = new HashSet<long>();
        var bins = activating
            .Where(c => activatingIds.Add(c.ContextId))
            .GroupBy(c => c.Bin)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var ids = g.Select(c => c.ContextId).ToList();
                rng.Shuffle(ids);
                return new Queue<long>(ids);
            })
            .ToList();

        var negatives = nonActivating.Distinct().Where(id => !activatingIds.Contains(id)).ToList();
        rng.Shuffle(negatives);

        var perKind = Math.Min(ActivatingPerSet, Math.Min(activatingIds.Count, negatives.Count));
        if (perKind == 0)
            return Validated<DetectionRatingSet>.Fail("contexts", activatingIds.Count == 0
                ? "This latent has no activating examples to rate against."
                : "There are no non-activating contexts to rate against.");

        var items = new List<DetectionItem>(2 * perKind);
        while (items.Count < perKind)
            foreach (var bin in bins.Where(b => b.Count > 0))
            {
                items.Add(new DetectionItem(bin.Dequeue(), true));
                if (items.Count == perKind) break;
            }
        items.AddRange(negatives.Take(perKind).Select(id => new DetectionItem(id, false)));
        rng.Shuffle(items);
        return Validated<DetectionRatingSet>.Ok(new DetectionRatingSet(items, seed));
    }

    /// <summary>
    /// A seed fixed by the interpretation and the rater, so that reloading the rating page shows the
    /// same contexts in the same order (FNV-1a over the UTF-8 of both; string.GetHashCode changes
    /// from process to process).
    /// </summary>
    public static long SeedFor(long interpretationId, string raterId)
    {
        unchecked
        {
            var hash = 0xCBF29CE484222325UL;
            foreach (var b in System.Text.Encoding.UTF8.GetBytes($"{interpretationId}\u001F{raterId}"))
                hash = (hash ^ b) * 0x100000001B3UL;
            return (long)hash;
        }
    }

    /// <summary>A rater's submission — the ids they marked as matching — as marks against the set.
    /// Ids outside the set are refused.</summary>
    public static Validated<IReadOnlyList<DetectionMark>> Marks(DetectionRatingSet set, IReadOnlyCollection<long> markedContextIds)
    {
        var shown = set.Items.Select(i => i.ContextId).ToHashSet();
        var stray = markedContextIds.Where(id => !shown.Contains(id)).ToList();
        if (stray.Count > 0)
            return Validated<IReadOnlyList<DetectionMark>>.Fail("marked",
                $"Context {stray[0]} was not in the set you were shown; reload and rate again.");
        var marked = markedContextIds.ToHashSet();
        return Validated<IReadOnlyList<DetectionMark>>.Ok(
            set.Items.Select(i => new DetectionMark(i.IsActivating, marked.Contains(i.ContextId))).ToList());
    }

    /// <summary>Pooled counts and scores over all ratings of one interpretation.</summary>
    public static DetectionScore Score(IEnumerable<DetectionRating> ratings)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0;
        var raters = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rating in ratings)
        {
            if (!raters.Add(rating.RaterId))
                throw new ArgumentException($"Rater \"{rating.RaterId}\" appears twice; a rater rates an interpretation once.", nameof(ratings));
            foreach (var mark in rating.Marks)
            {
                switch (mark.IsActivating, mark.MarkedAsMatching)
                {
                    case (true, true): tp++; break;
                    case (true, false): fn++; break;
                    case (false, true): fp++; break;
                    case (false, false): tn++; break;
                }
            }
        }
        double? recall = tp + fn == 0 ? null : (double)tp / (tp + fn);
        double? specificity = tn + fp == 0 ? null : (double)tn / (tn + fp);
        double? precision = tp + fp == 0 ? null : (double)tp / (tp + fp);
        double? balanced = recall is { } r && specificity is { } s ? (r + s) / 2 : null;
        return new DetectionScore(raters.Count, tp, fp, tn, fn, balanced, precision, recall);
    }

    /// <summary>Raters cannot rate their own interpretation, rate one twice, or rate a deleted one.</summary>
    public static ValidationResult CanRate(Role role, string raterId, DetectionTarget target, bool hasAlreadyRated)
    {
        if (!Permissions.Can(role, WorkbenchAction.RateDetection))
            return ValidationResult.Fail("role", Permissions.Refusal(role, WorkbenchAction.RateDetection));
        if (target.IsDeleted)
            return ValidationResult.Fail("interpretation", "This interpretation was deleted; it can no longer be rated.");
        if (string.Equals(raterId, target.AuthorId, StringComparison.Ordinal))
            return ValidationResult.Fail("interpretation", "You cannot rate your own interpretation.");
        return hasAlreadyRated
            ? ValidationResult.Fail("interpretation", "You have already rated this interpretation; each person rates it once.")
            : ValidationResult.Valid;
    }
}
