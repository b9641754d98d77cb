namespace SaeWorkbench.Research.Labelling.Services;

public sealed partial class LabellingService
{
    /// <summary>A detection rating moved an interpretation's score; consensus uses it as a tie-break.</summary>
    internal static Task RecomputeConsensusForCrowdAsync(LabellingWrite w, long latentId, CancellationToken ct) =>
        RecomputeConsensusAsync(w, latentId, ct);
}
