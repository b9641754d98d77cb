using SaeWorkbench.Data.Steering;
using SaeWorkbench.Ml.Interventions;

namespace SaeWorkbench.Research.Steering;

/// <summary>Share of right guesses among submitted blind reviews.</summary>
public sealed record BlindScore(int Guesses, int Correct)
{
    public double? Share => Guesses == 0 ? null : (double)Correct / Guesses;
}

public sealed record SteeringComparisonSummary(long Id, long DictionaryId, string Title, string Tags, string AuthorName, string Prompt,
    DateTimeOffset CreatedAt, IReadOnlyList<int> Latents, int Reviews, BlindScore Blind);

public sealed record SteeringReviewView(long Id, string ReviewerName, bool Blind, bool? GuessCorrect, SteeringEffect? Effect, int? Coherence,
    string CommentHtml, DateTimeOffset? SubmittedAt);

public sealed record SteeringComparisonView(SteeringComparisonSummary Summary, string AuthorId, string DictionaryName, string HookName,
    SteeringRequest Request, SteeringResult Result, IReadOnlyList<SteeringReviewView> Reviews)
{
    public double? MeanCoherence => Reviews.Any(r => r.Coherence is not null) ? Reviews.Where(r => r.Coherence is not null).Average(r => r.Coherence!.Value) : null;
    public int EffectCount(SteeringEffect e) => Reviews.Count(r => r.Effect == e);
}

/// <summary>
/// The two continuations of one sample as a blind reviewer sees them: "A" and "B" in the recorded random order, no labels.
/// Which one is intervened is revealed (<see cref="InterventionShownFirst"/>) only once the review is submitted.
/// </summary>
public sealed record BlindPair(long ReviewId, long ComparisonId, string Prompt, int Sample, string First, string Second, bool Submitted,
    bool? InterventionShownFirst, bool? GuessCorrect);

/// <summary>What a reviewer submits; <see cref="GuessedFirst"/> (A is the intervened one) is required in blind mode and refused otherwise.</summary>
public sealed record ReviewInput(bool? GuessedFirst, SteeringEffect Effect, int Coherence, string? Comment);

/// <summary>The page's answer while a run streams: the queue position, then each generated position.</summary>
public sealed record SteeringProgress(int? QueuePosition, SteeringStep? Step);
