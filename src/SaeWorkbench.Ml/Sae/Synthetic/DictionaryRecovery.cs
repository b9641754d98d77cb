using SaeWorkbench.Ml.Runtime;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae.Synthetic;

/// <summary>How well an SAE's decoder recovers known directions (docs/science.md §5).</summary>
/// <param name="Mmcs">Mean over ground-truth directions of the max cosine similarity to any decoder row.</param>
/// <param name="FractionRecovered">Share of ground-truth directions with max cosine &gt; 0.9.</param>
public sealed record DictionaryRecovery(double Mmcs, double FractionRecovered)
{
    public const double RecoveredCosine = 0.9;

    /// <summary>Scores decoder rows <paramref name="wDec"/> [m, d] against ground truth <paramref name="directions"/> [n, d].</summary>
    public static DictionaryRecovery Score(Tensor directions, Tensor wDec)
    {
        using var scope = NewDisposeScope();
        var truth = directions / directions.norm(1, keepdim: true).ClampMin(1e-12);
        var dec = wDec / wDec.norm(1, keepdim: true).ClampMin(1e-12);
        var best = mm(truth, dec.t()).max(1).values;                     // [n]
        return new DictionaryRecovery(best.mean().item<float>(),
            best.Gt(RecoveredCosine).to(float32).mean().item<float>());
    }
}
