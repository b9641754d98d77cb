using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// The parameter update of docs/science.md §3: for TopK/BatchTopK remove the gradient component parallel to each
/// decoder row, clip the global gradient norm, take an Adam step (bias-corrected, as torch.optim.Adam), then
/// put TopK/BatchTopK decoder rows back to unit norm. Written out so its state checkpoints exactly.
/// </summary>
public static class SaeOptimizer
{
    private const double AdamEpsilon = 1e-8;

    /// <summary>Learning rate at <paramref name="step"/> (0-based): linear warm-up, optional linear decay over the last 20%.</summary>
    public static double LearningRate(SaeTrainingConfig cfg, long step)
    {
        var total = cfg.TotalSteps;
        var warmup = (long)Math.Round(cfg.LrWarmupFraction * total);
        var lr = cfg.LearningRate;
        if (warmup > 0 && step < warmup) return lr * (step + 1) / warmup;
        if (cfg.LrDecay)
        {
            var decayStart = (long)Math.Round(0.8 * total);
            if (step >= decayStart && total > decayStart) return lr * (total - step) / (total - decayStart);
        }
        return lr;
    }

    /// <summary>λ at <paramref name="step"/>: linear from 0 over the first <see cref="SaeTrainingConfig.SparsityWarmupFraction"/> of steps.</summary>
    public static double SparsityCoefficient(SaeTrainingConfig cfg, long step)
    {
        var lambda = cfg.Architecture == SaeArchitecture.JumpRelu ? cfg.L0Coefficient : cfg.L1Coefficient;
        var warmup = (long)Math.Round(cfg.SparsityWarmupFraction * cfg.TotalSteps);
        return warmup > 0 && step < warmup ? lambda * (step + 1) / warmup : lambda;
    }

    public static bool KeepsUnitNormDecoder(SaeArchitecture a) => a is SaeArchitecture.TopK or SaeArchitecture.BatchTopK;

    /// <summary>Removes from each decoder-row gradient its component along the (unit) row.</summary>
    public static void RemoveParallelDecoderGradient(Tensor wDec, Tensor gWDec)
    {
        if (FusedAdam.Supports(wDec, gWDec, wDec, wDec) && gWDec.is_contiguous())
        {
            FusedAdam.RemoveParallelRows(wDec, gWDec);
            return;
        }
        using var scope = NewDisposeScope();
        var parallel = (gWDec * wDec).sum(1, keepdim: true);
        gWDec.sub_(wDec * parallel);
    }

    /// <summary>
    /// One update of <paramref name="state"/> with <paramref name="grads"/> (modified in place). On the CPU every pass is
    /// one of <see cref="FusedAdam"/>'s: no temporaries, the clipping factor applied inside the Adam pass, and the
    /// W_enc gradient read in the transposed layout the sparse step produces.
    /// </summary>
    public static void Apply(SaeTrainingState state, Dictionary<string, Tensor> grads, double lr)
    {
        using var scope = NewDisposeScope();
        var cfg = state.Config;
        var unitNorm = KeepsUnitNormDecoder(cfg.Architecture);
        var fused = state.Parameters.All(kv =>
            FusedAdam.Supports(kv.Value, grads[kv.Key], state.AdamFirstMoment[kv.Key], state.AdamSecondMoment[kv.Key]));
        if (unitNorm) RemoveParallelDecoderGradient(state.WDec, grads["W_dec"]);
        var gradScale = 1.0;
        if (cfg.GradClipNorm > 0)
        {
            if (fused)
            {
                var total = Math.Sqrt(grads.Values.Sum(FusedAdam.SumOfSquares));
                gradScale = Math.Min(1.0, cfg.GradClipNorm / (total + 1e-6));
            }
            else
            {
                var total = stack(grads.Values.Select(g => g.Squared().sum()).ToArray()).sum().sqrt();
                var factor = total.Plus(1e-6).Into(cfg.GradClipNorm).ClampMax(1.0);
                foreach (var g in grads.Values) g.mul_(factor);
            }
        }
        state.Step++;
        var t = state.Step;
        var bias1 = 1 - Math.Pow(cfg.AdamBeta1, t);
        var bias2 = 1 - Math.Pow(cfg.AdamBeta2, t);
        foreach (var (name, p) in state.Parameters)
        {
            var g = grads[name];
            var m = state.AdamFirstMoment[name];
            var v = state.AdamSecondMoment[name];
            if (fused)
            {
                FusedAdam.Step(p, g, m, v, (float)cfg.AdamBeta1, (float)cfg.AdamBeta2, (float)(lr / bias1),
                    (float)(1 / Math.Sqrt(bias2)), (float)AdamEpsilon, (float)gradScale);
                continue;
            }
            m.TimesInPlace(cfg.AdamBeta1).PlusInPlace(g, 1 - cfg.AdamBeta1);
            using (var weight = (1 - cfg.AdamBeta2).ToScalar()) v.TimesInPlace(cfg.AdamBeta2).addcmul_(g, g, weight);
            var denom = v.DividedBy(bias2).sqrt_().PlusInPlace(AdamEpsilon);
            using var step = (-lr / bias1).ToScalar();
            p.addcdiv_(m, denom, step);
        }
        if (unitNorm)
        {
            if (FusedAdam.Supports(state.WDec, state.WDec, state.WDec, state.WDec)) FusedAdam.NormaliseRows(state.WDec);
            else state.WDec.div_(state.WDec.norm(1, keepdim: true));
        }
    }
}
