using SaeWorkbench.Research.Events;

namespace SaeWorkbench.Research.Steering;

/// <summary>A comparison was saved (the saved list and the feature pages of its latents refresh).</summary>
public sealed record SteeringComparisonSaved(long ComparisonId, long DictionaryId, string Title, IReadOnlyList<int> Latents) : WorkbenchEvent
{
    public override string Name => "steeringComparisonSaved";
}

/// <summary>A review of a comparison was submitted (its page's review list and scores refresh).</summary>
public sealed record SteeringReviewSubmitted(long ComparisonId, long ReviewId, string ReviewerName) : WorkbenchEvent
{
    public override string Name => "steeringReviewSubmitted";
}
