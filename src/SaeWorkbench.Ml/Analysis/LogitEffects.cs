using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>One token and a latent's direct effect on its logit.</summary>
public readonly record struct TokenEffect(int TokenId, float Effect);

/// <summary>
/// A latent's direct logit effects: the <c>top</c> most promoted and most suppressed tokens, and an equal-width
/// histogram of its effect on every vocabulary entry over [<see cref="HistogramMin"/>, <see cref="HistogramMax"/>].
/// </summary>
public sealed record LatentLogitEffects(int Index, TokenEffect[] Positive, TokenEffect[] Negative, long[] Histogram, float HistogramMin, float HistogramMax);

/// <summary>
/// docs/science.md §6 logit effects: the direct effect of latent i's decoder direction on every logit, linearised
/// through the final norm. A LayerNorm first centres its input, so the direction is projected by (I − 11ᵀ/d), then
/// scaled by γ: <c>((W_dec,i − mean(W_dec,i)) ⊙ γ) · W_U</c>. That is TransformerLens's folded and centred unembedding
/// (fold_ln with center_writing_weights), which Neuronpedia's logit lists use. An RMSNorm does not centre, so for
/// RMSNorm families the mean stays: <c>(W_dec,i ⊙ γ) · W_U</c>. The division by the norm is left out: it scales every
/// token of a position alike. Computed a chunk of latents at a time, so [m, vocab] never exists at once.
/// </summary>
public static class LogitEffects
{
    /// <summary>
    /// <paramref name="wDec"/> [m, d], <paramref name="wU"/> [d, vocab], <paramref name="lnScale"/> [d] (the final norm's
    /// effective scale) or null, <paramref name="finalNorm"/> the kind of that norm.
    /// </summary>
    public static LatentLogitEffects[] Compute(Tensor wDec, Tensor wU, Tensor? lnScale = null, int top = 10, int bins = 50,
        int chunk = 256, CancellationToken ct = default, NormKind finalNorm = NormKind.LayerNorm)
    {
        if (wDec.dim() != 2 || wU.dim() != 2 || wDec.shape[1] != wU.shape[0])
            throw new ArgumentException($"W_dec [m, d] and W_U [d, vocab] do not fit: [{string.Join(", ", wDec.shape)}] and [{string.Join(", ", wU.shape)}]");
        if (lnScale is not null && !lnScale.shape.SequenceEqual(new[] { wU.shape[0] }))
            throw new ArgumentException($"the LayerNorm scale must be [{wU.shape[0]}], got [{string.Join(", ", lnScale.shape)}]");
        var m = (int)wDec.shape[0];
        var vocab = (int)wU.shape[1];
        var k = Math.Min(top, vocab);
        var result = new LatentLogitEffects[m];
        using var noGrad = no_grad();
        for (var first = 0; first < m; first += chunk)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var last = Math.Min(m, first + chunk);
            var dirs = wDec[first..last].to(ScalarType.Float32);                          // [c, d]
            if (finalNorm == NormKind.LayerNorm) dirs = dirs - dirs.mean(new long[] { 1 }, keepdim: true); // (I − 11ᵀ/d)·W_dec,i
            if (lnScale is not null) dirs = dirs * lnScale.to(ScalarType.Float32).to(dirs.device);
            var effects = matmul(dirs, wU.to(ScalarType.Float32).to(dirs.device)).cpu();   // [c, vocab]
            var (posV, posI) = effects.topk(k, dim: 1);                                    // [c, k]
            var (negV, negI) = (-effects).topk(k, dim: 1);
            var lo = effects.amin(new long[] { 1 }, keepdim: true);                        // [c, 1]
            var hi = effects.amax(new long[] { 1 }, keepdim: true);
            var histogram = Histogram(effects, lo, hi, bins);                              // [c, bins]
            var pv = posV.data<float>().ToArray(); var pi = posI.data<long>().ToArray();
            var nv = negV.data<float>().ToArray(); var ni = negI.data<long>().ToArray();
            var h = histogram.data<long>().ToArray();
            var los = lo.data<float>().ToArray(); var his = hi.data<float>().ToArray();
            for (var r = 0; r < last - first; r++)
            {
                var pos = new TokenEffect[k];
                var neg = new TokenEffect[k];
                for (var j = 0; j < k; j++)
                {
                    pos[j] = new TokenEffect((int)pi[r * k + j], pv[r * k + j]);
                    neg[j] = new TokenEffect((int)ni[r * k + j], -nv[r * k + j]);
                }
                result[first + r] = new LatentLogitEffects(first + r, pos, neg, h.AsSpan(r * bins, bins).ToArray(), los[r], his[r]);
            }
        }
        return result;
    }

    /// <summary>Equal-width bins over [lo, hi] per row; the maximum falls in the last bin.</summary>
    private static Tensor Histogram(Tensor values, Tensor lo, Tensor hi, int bins)
    {
        var rows = values.shape[0];
        var width = (hi - lo).ClampMin(1e-30f);
        var bin = ((values - lo) / width).Times((double)bins).floor().Clamp(0, bins - 1).to(ScalarType.Int64);   // [c, vocab]
        var flat = bin.Plus(TorchScalars.Arange(rows).unsqueeze(1).Times((long)bins)).reshape(-1);
        return flat.bincount(null, rows * bins).reshape(rows, bins);
    }
}
