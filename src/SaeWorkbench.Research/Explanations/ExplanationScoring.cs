namespace SaeWorkbench.Research.Explanations;

/// <summary>The two scorers of docs/science.md §13, by the names stored with each score.</summary>
public static class Scorers
{
    public const string Detection = "detection";
    public const string Fuzzing = "fuzzing";

    public static readonly IReadOnlyList<string> All = [Detection, Fuzzing];
}

/// <summary>One context's truth and the rater's answer: null when the rater gave none for it (a malformed or short
/// reply); <see cref="Probability"/> the rater's probability that it is a positive, when it gave one.</summary>
public sealed record ClassifiedContext(bool IsPositive, bool? Predicted, double? Probability = null);

/// <summary>
/// Counts and scores of one classification run. <see cref="Unanswered"/> contexts are left out of the counts and of
/// both scores (the rater said nothing about them) and reported so that a page can say so; a score is null when
/// its denominator is zero.
/// </summary>
public sealed record ClassifierScore(
    int Contexts, int Unanswered, int TruePositives, int FalsePositives, int TrueNegatives, int FalseNegatives,
    double? BalancedAccuracy, double? Auroc);

/// <summary>The scoring maths of docs/science.md §13, pure functions of the contexts and the answers.</summary>
public static class ExplanationScoring
{
    /// <summary>Balanced accuracy (mean of recall and specificity) over the answered contexts, and AUROC over those
    /// with a probability.</summary>
    public static ClassifierScore Score(IReadOnlyList<ClassifiedContext> contexts)
    {
        int tp = 0, fp = 0, tn = 0, fn = 0, unanswered = 0;
        foreach (var c in contexts)
        {
            switch (c.IsPositive, c.Predicted)
            {
                case (_, null): unanswered++; break;
                case (true, true): tp++; break;
                case (true, false): fn++; break;
                case (false, true): fp++; break;
                case (false, false): tn++; break;
            }
        }
        double? recall = tp + fn == 0 ? null : (double)tp / (tp + fn);
        double? specificity = tn + fp == 0 ? null : (double)tn / (tn + fp);
        double? balanced = recall is { } r && specificity is { } s ? (r + s) / 2 : null;
        var withProbability = contexts.Where(c => c.Probability is not null).Select(c => (c.IsPositive, c.Probability!.Value)).ToList();
        return new ClassifierScore(contexts.Count, unanswered, tp, fp, tn, fn, balanced, Auroc(withProbability));
    }

    /// <summary>
    /// Area under the ROC curve as the Mann–Whitney statistic: the share of (positive, negative) pairs in which the
    /// positive has the higher probability, ties counting one half. Null without at least one of each.
    /// </summary>
    public static double? Auroc(IReadOnlyList<(bool IsPositive, double Probability)> scored)
    {
        var positives = scored.Where(s => s.IsPositive).Select(s => s.Probability).ToList();
        var negatives = scored.Where(s => !s.IsPositive).Select(s => s.Probability).ToList();
        if (positives.Count == 0 || negatives.Count == 0) return null;
        double wins = 0;
        foreach (var p in positives)
            foreach (var n in negatives)
                wins += p > n ? 1 : p == n ? 0.5 : 0;
        return wins / ((double)positives.Count * negatives.Count);
    }
}
