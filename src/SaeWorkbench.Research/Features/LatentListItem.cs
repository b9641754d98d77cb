using SaeWorkbench.Research.Crowd;
using SaeWorkbench.Research.Labelling.Services;

namespace SaeWorkbench.Research.Features;

/// <summary>
/// One latent as the list API returns it (the feature list's row, <see cref="FeatureRow"/>): its statistics, its
/// consensus (<see cref="InterpretationVisibility.Hidden"/> where blind mode hides it from the caller), its best visible
/// explanation score, what it fires on, and whether a model account wrote the consensus interpretation (false where
/// blind mode hides it).
/// </summary>
public sealed record LatentListItem(long Id, int Index, double? Density, double? MaxActivation, double? MeanActivation, bool IsDead,
    ConsensusView Consensus, double? BestScore, IReadOnlyList<TokenCount> TopTokens, ContextSnippet? TopContext, bool ConsensusByModel = false)
{
    public static LatentListItem From(FeatureRow r) => new(r.LatentId, r.Index, r.Density, r.MaxActivation, r.MeanActivation, r.IsDead,
        r.ConsensusHidden ? InterpretationVisibility.Hidden : new ConsensusView(r.LabelStatus.ToString(), r.ConsensusInterpretationId, r.ConsensusLabel, r.ConsensusTag),
        r.BestScore, r.Tokens, r.Context, r.ConsensusByModel);
}
