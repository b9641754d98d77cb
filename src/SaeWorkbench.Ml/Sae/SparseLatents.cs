using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Kernels over k active latents per token (indices [B, k], values [B, k]) that never touch the m − k zero
/// latents: the work is O(B·k·d) instead of O(B·m·d) (issue 4, item 7).
/// </summary>
public static class SparseLatents
{
    /// <summary>ReLU of the k largest pre-activations per token: values [B, k] and latent indices [B, k].</summary>
    public static (Tensor Values, Tensor Indices) TopK(Tensor pre, int k)
    {
        var (vals, idx) = pre.topk(k, dim: 1, largest: true, sorted: false);
        return (nn.functional.relu(vals), idx);
    }

    /// <summary>
    /// Σ_j values[b, j] · W_dec[indices[b, j]] → [B, d]. <paramref name="rows"/> returns the gathered decoder
    /// rows [B, k, d] so the backward pass can reuse them.
    /// </summary>
    public static Tensor Decode(Tensor indices, Tensor values, Tensor wDec, out Tensor rows)
    {
        var b = indices.shape[0];
        var k = indices.shape[1];
        rows = wDec.index_select(0, indices.reshape(-1)).view(b, k, wDec.shape[1]); // [B, k, d]
        return bmm(values.unsqueeze(1), rows).squeeze(1);                            // [B, d]
    }

    /// <summary>rows[b, j] · g[b] → [B, k]: the gradient reaching each active latent.</summary>
    public static Tensor GatherDot(Tensor rows, Tensor g) => bmm(rows, g.unsqueeze(2)).squeeze(2);

    /// <summary>
    /// Σ_b Σ_j values[b, j] · v[b] added into row indices[b, j] of a [m, w] matrix: Fᵀ·V for a sparse F,
    /// written into <paramref name="into"/> (accumulating).
    /// </summary>
    public static void AddOuterProducts(Tensor into, Tensor indices, Tensor values, Tensor v)
    {
        var b = indices.shape[0];
        var k = indices.shape[1];
        var outer = (values.unsqueeze(2) * v.unsqueeze(1)).view(b * k, v.shape[1]); // [B·k, w]
        into.index_add_(0, indices.reshape(-1), outer, 1);
    }
}
