using SaeWorkbench.Ml.Analysis;

namespace SaeWorkbench.Research.Analysis;

/// <summary>Everything docs/science.md §6 shows for one latent, before it is stored.</summary>
/// <param name="TopTokens">The list preview's peak tokens with counts (Features.LatentPreview encoding), when a tokenizer decoded them.</param>
/// <param name="TopContext">The list preview's context snippet (Features.LatentPreview encoding).</param>
public sealed record LatentAnalysisResult(LatentDashboard Activations, LatentLogitEffects? Logits, LatentNeighbours? Neighbours,
    string? TopTokens = null, string? TopContext = null);
