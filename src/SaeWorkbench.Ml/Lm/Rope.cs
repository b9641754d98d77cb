using SaeWorkbench.Ml.Runtime;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// Rotary position embeddings (Su et al. 2021) in Hugging Face's "rotate_half" layout: the first half of the
/// rotated dimensions pairs with the second half. Frequencies and angles are computed in float32 as
/// <c>modeling_rope_utils.py</c> does, then cast to the activation dtype.
/// </summary>
public static class Rope
{
    /// <summary>Inverse frequencies [dim / 2] (float32) of <paramref name="spec"/> for <paramref name="dim"/> rotated dimensions.</summary>
    public static Tensor InverseFrequencies(RopeSpec spec, int dim, Device device)
    {
        using var scope = NewDisposeScope();
        var exponents = TorchScalars.Arange(0, dim / 2, ScalarType.Int64, device).Times(2L).to(ScalarType.Float32).DividedBy((long)dim); // [dim / 2]
        var invFreq = tensor((float)spec.Theta, ScalarType.Float32, device).pow(exponents).reciprocal();          // [dim / 2]
        switch (spec.Type)
        {
            case "linear":
                invFreq = invFreq.DividedBy(spec.Factor);
                break;
            case "llama3":
                {
                    // _compute_llama3_parameters: long wavelengths ÷ factor, short ones kept, a smooth blend between.
                    var lowWavelen = spec.OriginalMaxPositions / spec.LowFreqFactor;
                    var highWavelen = spec.OriginalMaxPositions / spec.HighFreqFactor;
                    var wavelen = tensor((float)(2 * Math.PI), ScalarType.Float32, device).div(invFreq);
                    var scaled = where(wavelen.Gt(lowWavelen), invFreq.DividedBy(spec.Factor), invFreq);
                    var smooth = tensor((float)spec.OriginalMaxPositions, ScalarType.Float32, device).div(wavelen)
                        .Minus(spec.LowFreqFactor).DividedBy(spec.HighFreqFactor - spec.LowFreqFactor);
                    var smoothed = smooth.SubtractedFrom(1).mul(scaled).DividedBy(spec.Factor).Plus(smooth.mul(scaled));
                    var medium = wavelen.Lt(highWavelen).logical_not().logical_and(wavelen.Gt(lowWavelen).logical_not());
                    invFreq = where(medium, smoothed, scaled);
                    break;
                }
        }
        return invFreq.MoveToOuterDisposeScope();
    }

    /// <summary>cos and sin [pos, dim] for absolute positions <paramref name="start"/> .. start + count − 1.</summary>
    public static (Tensor Cos, Tensor Sin) Angles(Tensor invFreq, long start, long count, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var positions = TorchScalars.Arange(start, start + count, ScalarType.Int64, invFreq.device).to(ScalarType.Float32); // [pos]
        var freqs = positions.unsqueeze(1).mul(invFreq.unsqueeze(0));  // [pos, dim / 2]
        var emb = cat([freqs, freqs], 1);                              // [pos, dim]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>
    /// Rotates the first cos.shape[-1] dimensions of x [batch, heads, pos, d_head] (GPT-NeoX rotates only a
    /// leading part; the rest passes through).
    /// </summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        var rot = cos.shape[^1];
        var head = x.shape[^1];
        var rotated = rot == head ? x : x.narrow(-1, 0, rot);                  // [batch, heads, pos, rot]
        var half = rot / 2;
        var rotatedHalf = cat([rotated.narrow(-1, half, half).neg(), rotated.narrow(-1, 0, half)], -1); // [batch, heads, pos, rot]
        var result = rotated.mul(cos).Plus(rotatedHalf.mul(sin));               // cos, sin broadcast from [pos, rot]
        return rot == head ? result : cat([result, x.narrow(-1, rot, head - rot)], -1); // [batch, heads, pos, d_head]
    }
}
