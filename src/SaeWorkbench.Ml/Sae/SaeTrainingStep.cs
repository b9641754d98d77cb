using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Loss parts of one step (all means over the batch's tokens) and the gradients of the total. The W_enc gradient is
/// a transposed view of an [m, d] tensor (not contiguous), as the step computes it; call <c>contiguous()</c> if needed.
/// </summary>
public sealed record SaeStepResult(
    Tensor Loss, Tensor Mse, Tensor SparsityLoss, Tensor AuxLoss, Tensor L0, Tensor Fvu,
    Dictionary<string, Tensor> Gradients, Tensor FiredMask, Tensor? SmallestKept)
{
    /// <summary>∂L/∂x̂ (∂L/∂ŷ for a transcoder), [B, d_out]: the reconstruction loss's gradient, which the skip path also receives.</summary>
    internal Tensor? OutputGradient { get; init; }

    /// <summary>
    /// JumpReLU steered to its target L0 only: δ = log q, with q the (K·B)-th largest of pre_bi/θ_i over the batch, the
    /// log factor by which every threshold would have had to move for this batch to fire exactly K latents per token;
    /// 1 or −1 when that factor is beyond e^±1 (docs/science.md §2.4). Null otherwise.
    /// </summary>
    public double? ThresholdCorrection { get; init; }
}

/// <summary>
/// Forward and hand-written backward of one training step (docs/science.md §2), without autograd. TopK never
/// builds a dense [B, m] latent tensor: it decodes from the k active latents and accumulates the W_dec and
/// W_enc gradients as outer products at those latents only. The other architectures use dense matmuls.
/// Tests compare every gradient with an autograd reference.
/// </summary>
public static class SaeTrainingStep
{
    /// <summary>
    /// Loss and gradients for batch <paramref name="x"/> [B, d] (scaled activations).
    /// <paramref name="sparsityCoefficient"/> is the current (warmed-up) λ for ReLU-L1 or JumpReLU.
    /// Tensors are created in the caller's dispose scope.
    /// </summary>
    public static SaeStepResult Compute(SaeTrainingState state, Tensor x, double sparsityCoefficient) =>
        Compute(state, x, null, sparsityCoefficient);

    /// <summary>
    /// Loss and gradients of a transcoder (docs/science.md §12) for inputs <paramref name="x"/> [B, d_in] and the
    /// outputs it must predict <paramref name="y"/> [B, d_out] (both scaled); <paramref name="y"/> is null for an SAE,
    /// whose target is x itself. A transcoder's encoder reads x as it is (b_dec lives on the output side), and a skip
    /// transcoder's prediction adds x·W_skipᵀ: the latents then only have to explain y − x·W_skipᵀ, which is how the
    /// shared code below sees it. The W_skip gradient is ∂L/∂ŷ summed against x (docs/science.md §12).
    /// </summary>
    public static SaeStepResult Compute(SaeTrainingState state, Tensor x, Tensor? y, double sparsityCoefficient)
    {
        var cfg = state.Config;
        if (cfg.IsTranscoder != y is not null)
            throw new ArgumentException(cfg.IsTranscoder ? "a transcoder step needs the output activations y" : "an SAE step takes no output activations");
        var xc = cfg.IsTranscoder ? x : x - state.BDec;            // [B, d_in]
        var pre = addmm(state.BEnc, xc, state.WEnc, 1, 1);         // [B, m]
        var target = y ?? x;                                       // what ŷ must match, [B, d_out]
        var latentTarget = state.WSkip is { } skip ? target - matmul(x, skip.t()) : target;
        var result = cfg.Architecture == SaeArchitecture.TopK
            ? SparseTopK(state, latentTarget, xc, pre, target)
            : Dense(state, latentTarget, xc, pre, sparsityCoefficient, target);
        if (state.WSkip is not null) result.Gradients["W_skip"] = mm(result.OutputGradient!.t(), x);   // [d_out, d_in]
        return result;
    }

    /// <param name="x">What the latents decode to: the SAE's input, or a transcoder's output minus its skip path.</param>
    /// <param name="xc">The encoder's input.</param>
    /// <param name="fvuTarget">The activations FVU is measured on (the true target).</param>
    private static SaeStepResult SparseTopK(SaeTrainingState s, Tensor x, Tensor xc, Tensor pre, Tensor fvuTarget)
    {
        var batch = x.shape[0];
        var m = s.Config.Latents;
        var (rawVals, idx) = SparseLatents.TopKRaw(pre, s.Config.K);                     // [B, k]
        var active = rawVals.Gt(0);
        var vals = nn.functional.relu(rawVals);
        // err = x̂ − x with x̂ decoded from the k active latents (b_dec included), g = dL/dx̂, and Σ err², in one pass.
        var (err, g, sse) = SparseLatents.DecodeError(idx, vals, s.WDec, s.BDec, x, 2.0 / batch);
        var mse = sse.DividedBy(batch);

        // The latents' entries grouped once, for both transposed products (CPU; elsewhere COO matmuls).
        var buckets = OnCpu(x) ? SparseLatents.Buckets(idx, m) : null;
        Tensor Transposed(Tensor values, Tensor v) => buckets is null
            ? SparseLatents.TransposedProduct(idx, values, v, m)
            : SparseLatents.TransposedProduct(buckets, values, v);
        var gWDec = Transposed(vals, g);                                                  // [m, d]
        var gBDec = g.sum(dim: 0);
        var dVals = SparseLatents.GatherDot(idx, s.WDec, g) * active;                     // dL/dpre at idx, [B, k]
        var gWEncT = Transposed(dVals, xc);                                               // W_enc gradient, transposed [m, d]
        var gBEnc = zeros(m).IndexAddInPlace(0, idx.reshape(-1), dVals.reshape(-1));

        var fired = zeros(m).IndexAddInPlace(0, idx.reshape(-1), active.reshape(-1).to(float32)).Gt(0);
        var aux = AuxK(s, x, err, pre, gWDec, gWEncT, gBEnc, gBDec, xc);
        if (!s.Config.IsTranscoder) FinishEncoderBiasGradients(s, gBEnc, gBDec);
        var grads = new Dictionary<string, Tensor>
        {
            // A transposed view, not a copy: SaeOptimizer's fused Adam reads it in that layout.
            ["W_enc"] = gWEncT.t(), ["b_enc"] = gBEnc, ["W_dec"] = gWDec, ["b_dec"] = gBDec,
        };
        var l0 = active.sum(1).to(float32).mean();
        return new SaeStepResult(mse.Plus(aux), mse, zeros(Array.Empty<long>()), aux, l0, Fvu(fvuTarget, sse), grads, fired, null)
        {
            OutputGradient = g,
        };
    }

    private static bool OnCpu(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32;

    /// <summary>Σ t² over all elements, as a scalar tensor, without a squared copy.</summary>
    private static Tensor SumOfSquares(Tensor t)
    {
        using var flat = t.reshape(-1);
        return flat.dot(flat);
    }

    private static SaeStepResult Dense(SaeTrainingState s, Tensor x, Tensor xc, Tensor pre, double lambda, Tensor fvuTarget)
    {
        var cfg = s.Config;
        var batch = x.shape[0];
        Tensor f, gate;                    // gate: ∂f/∂pre (bool)
        Tensor? smallestKept = null;
        Tensor? theta = null;
        double? thresholdCorrection = null;
        switch (cfg.Architecture)
        {
            case SaeArchitecture.Relu:
                f = pre.relu_();                                                // pre is not needed after: no second [B, m]
                gate = f.Gt(0);
                break;
            case SaeArchitecture.JumpRelu:
                theta = s.Thresholds();                                         // θ = exp(log θ + c)
                gate = pre > theta;
                f = pre * gate;
                if (s.LogThresholdOffset is not null) thresholdCorrection = ThresholdCorrection(pre, theta, (long)cfg.K * batch);
                break;
            case SaeArchitecture.BatchTopK:
            {
                // k·B largest of ReLU(pre) over the whole batch (Bussmann et al. 2024).
                var relu = nn.functional.relu(pre);
                var (kept, flatIdx) = relu.reshape(-1).topk((int)Math.Min(cfg.K * batch, relu.NumberOfElements), sorted: false);
                using (var keep = true.ToScalar())
                    gate = zeros(relu.NumberOfElements, dtype: @bool).index_fill_(0, flatIdx.masked_select(kept.Gt(0)), keep).view(pre.shape);
                f = relu * gate;
                // A batch that keeps no positive activation says nothing about θ: no value, and the update is skipped
                // (as SAELens does); a 0 here would drag θ towards 0 and inflate the exported JumpReLU's L0.
                var positive = kept.masked_select(kept.Gt(0));
                smallestKept = positive.NumberOfElements > 0 ? positive.min() : null;
                break;
            }
            default: throw new InvalidOperationException();
        }
        var xHat = addmm(s.BDec, f, s.WDec, 1, 1);
        var err = xHat - x;
        var sse = SumOfSquares(err);
        var mse = sse.DividedBy(batch);
        var g = err.Times(2.0 / batch);
        var df = mm(g, s.WDec.t());                                             // [B, m]
        var gWDec = mm(f.t(), g);                                               // [m, d]
        var gBDec = g.sum(dim: 0);
        Tensor sparsity = zeros(Array.Empty<long>());
        var grads = new Dictionary<string, Tensor>();
        if (cfg.Architecture == SaeArchitecture.Relu)
        {
            // λ·Σ_i f_i·‖W_dec,i‖ (docs/science.md §2), mean over tokens.
            var norms = s.WDec.norm(dim: 1);                                         // [m]
            var fSum = f.sum(dim: 0);                                                // [m]
            sparsity = (fSum * norms).sum().Times(lambda / batch);
            df.PlusInPlace(norms.Times(lambda / batch));
            gWDec = gWDec.Plus(s.WDec * (fSum / norms).Times(lambda / batch).unsqueeze(1));
        }
        if (cfg.Architecture == SaeArchitecture.JumpRelu)
        {
            var eps = cfg.JumpReluBandwidth;
            var u = (pre - theta!).DividedBy(eps);
            var rect = (u.Gt(-0.5) & u.Lt(0.5)).to(float32);                   // rectangle kernel
            // ∂f/∂θ = −(θ/ε)·rect((pre−θ)/ε);  ∂(λ·ΣH)/∂θ = −(λ/ε)·rect (docs/science.md §2), mean over tokens.
            var gTheta = (-theta!.DividedBy(eps)) * (df * rect).sum(dim: 0) - rect.sum(dim: 0).Times(lambda / (eps * batch));
            sparsity = gate.sum().to(float32).Times(lambda / batch);
            grads["log_threshold"] = gTheta * theta!;                           // chain rule through θ = exp(log θ)
        }
        var dPre = df.mul_(gate);                                               // ∂L/∂pre (df is not needed after)
        var gBEnc = dPre.sum(dim: 0);
        var gWEncT = mm(dPre.t(), xc);                                          // [m, d]
        var aux = cfg.Architecture == SaeArchitecture.BatchTopK
            ? AuxK(s, x, err, pre, gWDec, gWEncT, gBEnc, gBDec, xc)
            : zeros(Array.Empty<long>());
        if (!s.Config.IsTranscoder) FinishEncoderBiasGradients(s, gBEnc, gBDec);
        grads["W_enc"] = gWEncT.t();                                            // transposed view (see SparseTopK)
        grads["b_enc"] = gBEnc;
        grads["W_dec"] = gWDec;
        grads["b_dec"] = gBDec;
        // gate is exactly f > 0 for all three: ReLU's pre > 0, JumpReLU's pre > θ > 0, BatchTopK's kept positives.
        var fired = gate.any(0);
        var l0 = gate.sum().to(float32).DividedBy(batch);
        return new SaeStepResult(mse.Plus(sparsity).Plus(aux), mse, sparsity, aux, l0, Fvu(fvuTarget, sse), grads, fired, smallestKept)
        {
            OutputGradient = g,
            ThresholdCorrection = thresholdCorrection,
        };
    }

    /// <summary>
    /// <see cref="SaeStepResult.ThresholdCorrection"/>: log of the <paramref name="kept"/>-th largest ratio pre/θ. Only
    /// ratios above e^−1 can give a δ inside the clamp, so only those are ranked (about K·B of them near the target,
    /// not all B·m); fewer than <paramref name="kept"/> of them means δ &lt; −1, reported as −1.
    /// </summary>
    private static double ThresholdCorrection(Tensor pre, Tensor theta, long kept)
    {
        using var scope = NewDisposeScope();
        var ratio = pre / theta;                                                // θ > 0: a non-positive pre gives a ratio ≤ 0
        var candidates = ratio.masked_select(ratio.Gt(Math.Exp(-1)));
        if (candidates.NumberOfElements < kept) return -1;
        var (largest, _) = candidates.topk((int)kept, sorted: false);
        return Math.Min(Math.Log(largest.min().item<float>()), 1);
    }

    /// <summary>
    /// AuxK (docs/science.md §2, as SAELens computes it): reconstruct the detached residual x − x̂ from the k_aux largest
    /// pre-activations of dead latents, loss = c·min(dead/k_aux, 1)·mean‖decode(aux) − e‖², decode including b_dec.
    /// Adds its gradients into the accumulators; returns the loss.
    /// </summary>
    private static Tensor AuxK(SaeTrainingState s, Tensor x, Tensor err, Tensor pre,
        Tensor gWDec, Tensor gWEncT, Tensor gBEnc, Tensor gBDec, Tensor xc)
    {
        var dead = s.DeadMask();
        var numDead = dead.sum().item<long>();
        if (numDead == 0 || s.Config.AuxKCoefficient == 0) return zeros(Array.Empty<long>());
        var kAuxFull = s.Config.AuxK > 0 ? s.Config.AuxK : s.DOut / 2;                 // d/2 of the space it reconstructs
        var scale = Math.Min((double)numDead / kAuxFull, 1.0);
        var kAux = (int)Math.Min(kAuxFull, numDead);
        var batch = x.shape[0];
        var deadPre = pre.MaskedFill(dead.logical_not(), double.NegativeInfinity);
        var (auxVals, auxIdx) = SparseLatents.TopKRaw(deadPre, kAux);
        var auxHat = SparseLatents.Decode(auxIdx, auxVals, s.WDec, s.BDec);
        var auxErr = auxHat.Plus(err);                                          // auxHat − (x − x̂), exactly
        var coef = s.Config.AuxKCoefficient * scale;
        var loss = SumOfSquares(auxErr).Times(coef / batch);
        var g = auxErr.Times(2.0 * coef / batch);
        var buckets = OnCpu(x) ? SparseLatents.Buckets(auxIdx, s.Config.Latents) : null;
        Tensor Transposed(Tensor values, Tensor v) => buckets is null
            ? SparseLatents.TransposedProduct(auxIdx, values, v, s.Config.Latents)
            : SparseLatents.TransposedProduct(buckets, values, v);
        gWDec.PlusInPlace(Transposed(auxVals, g));
        gBDec.PlusInPlace(g.sum(dim: 0));
        var dVals = SparseLatents.GatherDot(auxIdx, s.WDec, g);                 // no ReLU on aux latents (SAELens)
        gWEncT.PlusInPlace(Transposed(dVals, xc));
        gBEnc.IndexAddInPlace(0, auxIdx.reshape(-1), dVals.reshape(-1));
        return loss;
    }

    /// <summary>b_dec also enters the encoder input x − b_dec: ∂L/∂b_dec −= W_enc·Σ_b ∂L/∂pre.</summary>
    private static void FinishEncoderBiasGradients(SaeTrainingState s, Tensor gBEnc, Tensor gBDec) =>
        gBDec.sub_(s.WEnc.mv(gBEnc));

    /// <summary>Batch FVU, centred on the batch mean (docs/science.md §4), from the sum of squared errors <paramref name="sse"/>.</summary>
    private static Tensor Fvu(Tensor x, Tensor sse)
    {
        // Σ‖x − x̄‖² = Σ‖x‖² − B‖x̄‖², without a centred copy of the batch.
        var batch = x.shape[0];
        var centred = SumOfSquares(x) - SumOfSquares(x.sum(dim: 0)).DividedBy(batch);
        return sse / centred.ClampMin(1e-30);
    }
}
