using SaeWorkbench.Ml.Analysis;

namespace SaeWorkbench.Research.Analysis;

/// <summary>Everything docs/science.md §6 shows for one latent, before it is stored.</summary>
public sealed record LatentAnalysisResult(LatentDashboard Activations, LatentLogitEffects? Logits, LatentNeighbours? Neighbours);
