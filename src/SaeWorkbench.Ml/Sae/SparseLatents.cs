using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Kernels over k active latents per token (indices [B, k], values [B, k]) that never touch the m − k zero
/// latents: the work is O(B·k·d) instead of O(B·m·d) (issue 4, item 7). On the CPU they are SIMD C# loops over
/// the raw tensor memory, parallel over tokens (or, for scatter-adds, over disjoint latent ranges, so the sums run
/// in a fixed order and results are deterministic); libtorch's versions would copy B·k decoder rows into a
/// [B, k, d] tensor or sort a COO matrix. Other devices use libtorch's sparse COO matmul and gather + bmm.
/// </summary>
public static class SparseLatents
{
    /// <summary>ReLU of the k largest pre-activations per token: values [B, k] and latent indices [B, k].</summary>
    public static (Tensor Values, Tensor Indices) TopK(Tensor pre, int k)
    {
        var (vals, idx) = TopKRaw(pre, k);
        return (vals.relu_(), idx);
    }

    /// <summary>The k largest pre-activations per row (unsorted) and their column indices, [B, k] each.</summary>
    public static (Tensor Values, Tensor Indices) TopKRaw(Tensor pre, int k)
    {
        if (!OnCpu(pre) || k > pre.shape[1]) return pre.topk(k, dim: 1, largest: true, sorted: false);
        return TopKCpu(pre.contiguous(), k);
    }

    private static bool OnCpu(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == float32;

    private static unsafe T* Pointer<T>(Tensor t) where T : unmanaged =>
        (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    private static void ParallelChunks(int count, Action<int, int> body)
    {
        // Small problems run inline: waking pool threads costs more than it saves, most of all on a loaded machine.
        const int minPerThread = 512;
        var threads = Math.Max(1, Math.Min(torch.get_num_threads(), count / minPerThread));
        var chunk = (count + threads - 1) / threads;
        if (threads == 1) { body(0, count); return; }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => body(c * chunk, Math.Min(count, (c + 1) * chunk)));
    }

    private static unsafe (Tensor, Tensor) TopKCpu(Tensor pre, int k)
    {
        var rows = (int)pre.shape[0];
        var cols = (int)pre.shape[1];
        var values = empty(rows, k);
        var indices = empty(new long[] { rows, k }, dtype: int64);
        var src = Pointer<float>(pre);
        var vOut = Pointer<float>(values);
        var iOut = Pointer<long>(indices);
        ParallelChunks(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                // Min-heap of the k largest seen so far; the root is the smallest of them.
                var row = src + (long)r * cols;
                var hv = vOut + (long)r * k;
                var hi = iOut + (long)r * k;
                for (var j = 0; j < k; j++) { hv[j] = row[j]; hi[j] = j; }
                for (var j = k / 2 - 1; j >= 0; j--) SiftDown(hv, hi, k, j);
                var c = k;
                // Whole vectors at or below the heap's smallest are skipped with one compare: after the first few
                // hundred columns almost every vector is. The heap's root only grows, so a skipped element would also
                // have been rejected one at a time: the result is exactly the scalar loop's.
                var width = Vector<float>.Count;
                for (; c + width <= cols; c += width)
                {
                    if (!Vector.GreaterThanAny(Unsafe.ReadUnaligned<Vector<float>>(row + c), new Vector<float>(hv[0]))) continue;
                    for (var e = c; e < c + width; e++) Offer(hv, hi, k, row[e], e);
                }
                for (; c < cols; c++) Offer(hv, hi, k, row[c], c);
            }
        });
        return (values, indices);
    }

    /// <summary>Puts (<paramref name="v"/>, <paramref name="column"/>) in the min-heap if it beats the smallest kept.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe void Offer(float* hv, long* hi, int k, float v, int column)
    {
        if (!(v > hv[0])) return;
        hv[0] = v;
        hi[0] = column;
        SiftDown(hv, hi, k, 0);
    }

    private static unsafe void SiftDown(float* v, long* idx, int n, int i)
    {
        while (true)
        {
            var smallest = i;
            var l = 2 * i + 1;
            var r = l + 1;
            if (l < n && v[l] < v[smallest]) smallest = l;
            if (r < n && v[r] < v[smallest]) smallest = r;
            if (smallest == i) return;
            (v[i], v[smallest]) = (v[smallest], v[i]);
            (idx[i], idx[smallest]) = (idx[smallest], idx[i]);
            i = smallest;
        }
    }

    private static Tensor TokenOfEachEntry(Tensor indices) =>
        arange(indices.shape[0], dtype: int64, device: indices.device).unsqueeze(1).expand(indices.shape).reshape(-1);

    /// <summary>F·W for the sparse F [B, m] given by (indices, values): Σ_j values[b, j] · w[indices[b, j]] → [B, w].</summary>
    public static Tensor Decode(Tensor indices, Tensor values, Tensor w)
    {
        if (OnCpu(w) && OnCpu(values)) return DecodeCpu(indices.contiguous(), values.contiguous(), w.contiguous());
        using var scope = NewDisposeScope();
        var f = sparse_coo_tensor(stack(new[] { TokenOfEachEntry(indices), indices.reshape(-1) }), values.reshape(-1),
            new[] { indices.shape[0], w.shape[0] });
        return f.mm(w).MoveToOuterDisposeScope();
    }

    /// <summary>Fᵀ·V for the sparse F [B, m]: row i of the result is Σ over entries (b, j) with indices[b, j] = i of values[b, j]·v[b] → [m, w].</summary>
    public static Tensor TransposedProduct(Tensor indices, Tensor values, Tensor v, long latents)
    {
        if (OnCpu(v) && OnCpu(values)) return TransposedProductCpu(indices.contiguous(), values.contiguous(), v.contiguous(), latents);
        using var scope = NewDisposeScope();
        var ft = sparse_coo_tensor(stack(new[] { indices.reshape(-1), TokenOfEachEntry(indices) }), values.reshape(-1),
            new[] { latents, indices.shape[0] });
        return ft.mm(v).MoveToOuterDisposeScope();
    }

    /// <summary>w[indices[b, j]] · g[b] → [B, k]: the gradient reaching each active latent through x̂ = F·w.</summary>
    public static Tensor GatherDot(Tensor indices, Tensor w, Tensor g)
    {
        if (w.device_type != DeviceType.CPU || w.dtype != float32)
        {
            using var scope = NewDisposeScope();
            var rows = w.index_select(0, indices.reshape(-1)).view(indices.shape[0], indices.shape[1], w.shape[1]); // [B, k, d]
            return bmm(rows, g.unsqueeze(2)).squeeze(2).MoveToOuterDisposeScope();
        }
        return GatherDotCpu(indices.contiguous(), w.contiguous(), g.to(float32).contiguous());
    }

    private static unsafe Tensor GatherDotCpu(Tensor indices, Tensor w, Tensor g)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var d = (int)w.shape[1];
        var m = w.shape[0];
        var result = empty(batch, k);
        var idx = Pointer<long>(indices);
        var wp = Pointer<float>(w);
        var gp = Pointer<float>(g);
        var rp = Pointer<float>(result);
        ParallelChunks(batch, (start, end) =>
        {
            for (var b = start; b < end; b++)
            {
                var gRow = gp + (long)b * d;
                for (var j = 0; j < k; j++)
                    rp[(long)b * k + j] = Dot(wp + CheckedLatent(idx[(long)b * k + j], m) * d, gRow, d);
            }
        });
        return result;
    }

    private static unsafe Tensor DecodeCpu(Tensor indices, Tensor values, Tensor w)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var d = (int)w.shape[1];
        var m = w.shape[0];
        var result = zeros(batch, d);
        var idx = Pointer<long>(indices);
        var vp = Pointer<float>(values);
        var wp = Pointer<float>(w);
        var rp = Pointer<float>(result);
        ParallelChunks(batch, (start, end) =>
        {
            for (var b = start; b < end; b++)
                for (var j = 0; j < k; j++)
                {
                    var latent = CheckedLatent(idx[(long)b * k + j], m);
                    Axpy(vp[(long)b * k + j], wp + latent * d, rp + (long)b * d, d);
                }
        });
        return result;
    }

    private static unsafe Tensor TransposedProductCpu(Tensor indices, Tensor values, Tensor v, long latents)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var w = (int)v.shape[1];
        var result = zeros(latents, w);
        var idx = Pointer<long>(indices);
        var valp = Pointer<float>(values);
        var vp = Pointer<float>(v);
        var rp = Pointer<float>(result);
        var entries = (long)batch * k;
        for (long e = 0; e < entries; e++) CheckedLatent(idx[e], latents);
        // Each worker owns a disjoint range of latents and adds into them in token order: no races, fixed sums.
        ParallelChunks((int)latents, (lo, hi) =>
        {
            for (long e = 0; e < entries; e++)
            {
                var latent = idx[e];
                if (latent < lo || latent >= hi) continue;
                Axpy(valp[e], vp + e / k * w, rp + latent * w, w);
            }
        });
        return result;
    }

    private static long CheckedLatent(long latent, long m) =>
        (ulong)latent < (ulong)m ? latent : throw new IndexOutOfRangeException($"latent index {latent} outside [0, {m})");

    /// <summary>y += a·x over n floats.</summary>
    private static unsafe void Axpy(float a, float* x, float* y, int n)
    {
        var i = 0;
        var width = Vector<float>.Count;
        var va = new Vector<float>(a);
        for (; i <= n - width; i += width)
            Unsafe.WriteUnaligned(y + i, Unsafe.ReadUnaligned<Vector<float>>(y + i) + va * Unsafe.ReadUnaligned<Vector<float>>(x + i));
        for (; i < n; i++) y[i] += a * x[i];
    }

    private static unsafe float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var acc = Vector<float>.Zero;
        var width = Vector<float>.Count;
        for (; i <= n - width; i += width)
            acc += Unsafe.ReadUnaligned<Vector<float>>(a + i) * Unsafe.ReadUnaligned<Vector<float>>(b + i);
        var sum = Vector.Sum(acc);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }
}
