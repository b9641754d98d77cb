using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// The optimiser's passes over CPU float32 memory, each a single SIMD pass where libtorch would make several and
/// allocate temporaries: the Adam update (m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²;
/// p ← p − (lr/(1−β₁ᵗ))·m / (√v/√(1−β₂ᵗ) + ε), with the gradient scaled by the clipping factor on the way in), the
/// gradient's sum of squares for clipping, and the decoder-row projections of the unit-norm convention.
/// Elementwise or in fixed blocks, so results do not depend on how the work is split across threads.
/// The gradient may be a transposed view of a contiguous tensor (the sparse step's W_enc gradient, which is computed
/// as [m, d]): it is then read a tile at a time, without a transposed copy. Each method keeps its tensors alive until
/// its loops are done (<see cref="GC.KeepAlive"/>).
/// </summary>
internal static class FusedAdam
{
    private const int TileRows = 8;
    private const int TileColumns = 256;
    private const int SumBlock = 1 << 14;

    private static bool Plain(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == float32;

    /// <summary>Whether <paramref name="grad"/> is the transpose of a contiguous 2-D tensor (and not itself contiguous).</summary>
    public static bool IsTransposedContiguous(Tensor grad) =>
        grad.dim() == 2 && !grad.is_contiguous() && grad.stride(0) == 1 && grad.stride(1) == grad.shape[0];

    /// <summary>Whether <see cref="Step"/> handles these tensors.</summary>
    public static bool Supports(Tensor param, Tensor grad, Tensor m, Tensor v) =>
        Plain(param) && Plain(grad) && Plain(m) && Plain(v) &&
        param.is_contiguous() && m.is_contiguous() && v.is_contiguous() &&
        param.NumberOfElements == m.NumberOfElements && param.NumberOfElements == v.NumberOfElements &&
        param.shape.SequenceEqual(grad.shape) && (grad.is_contiguous() || IsTransposedContiguous(grad));

    private static unsafe float* Pointer(Tensor t) => (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>One Adam update of <paramref name="param"/> with <paramref name="gradScale"/>·<paramref name="grad"/>.</summary>
    public static unsafe void Step(Tensor param, Tensor grad, Tensor m, Tensor v, float beta1, float beta2,
        float stepSize, float inverseSqrtBias2, float eps, float gradScale = 1f)
    {
        var c = new Constants(beta1, beta2, stepSize, inverseSqrtBias2, eps, gradScale);
        var pp = Pointer(param);
        var mp = Pointer(m);
        var vp = Pointer(v);
        if (grad.is_contiguous())
        {
            var gp = Pointer(grad);
            var n = param.NumberOfElements;
            const long minChunk = 1 << 16;
            var chunks = (int)Math.Max(1, Math.Min(Math.Max(1, torch.get_num_threads()), n / minChunk));
            var chunk = (n + chunks - 1) / chunks;
            Run(chunks, ch =>
            {
                var start = ch * chunk;
                var end = Math.Min(n, start + chunk);
                if (end > start) Update(pp + start, gp + start, mp + start, vp + start, (int)(end - start), c);
            });
        }
        else
        {
            // grad = gᵀ for a contiguous g [cols, rows]: transpose a tile of TileRows × TileColumns into a buffer, then
            // update those param rows from it.
            using var gT = grad.t();
            var gp = Pointer(gT);
            var rows = (int)param.shape[0];
            var cols = (int)param.shape[1];
            var tiles = (rows + TileRows - 1) / TileRows;
            Run(Math.Min(tiles, Math.Max(1, torch.get_num_threads())), worker =>
            {
                var workers = Math.Min(tiles, Math.Max(1, torch.get_num_threads()));
                var buffer = stackalloc float[TileRows * TileColumns];
                for (var tile = worker; tile < tiles; tile += workers)
                {
                    var r0 = tile * TileRows;
                    var nr = Math.Min(TileRows, rows - r0);
                    for (var c0 = 0; c0 < cols; c0 += TileColumns)
                    {
                        var nc = Math.Min(TileColumns, cols - c0);
                        for (var j = 0; j < nc; j++)
                        {
                            var src = gp + (long)(c0 + j) * rows + r0;
                            for (var i = 0; i < nr; i++) buffer[i * TileColumns + j] = src[i];
                        }
                        for (var i = 0; i < nr; i++)
                        {
                            var offset = (long)(r0 + i) * cols + c0;
                            Update(pp + offset, buffer + i * TileColumns, mp + offset, vp + offset, nc, c);
                        }
                    }
                }
            });
            GC.KeepAlive(gT);
        }
        GC.KeepAlive(param);
        GC.KeepAlive(grad);
        GC.KeepAlive(m);
        GC.KeepAlive(v);
    }

    private readonly record struct Constants(float Beta1, float Beta2, float StepSize, float InverseSqrtBias2, float Eps, float GradScale);

    private static void Run(int parts, Action<int> body)
    {
        if (parts <= 1) { body(0); return; }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, body);
    }

    private static unsafe void Update(float* pp, float* gp, float* mp, float* vp, int n, in Constants c)
    {
        var width = Vector<float>.Count;
        var vb1 = new Vector<float>(c.Beta1);
        var vb1c = new Vector<float>(1 - c.Beta1);
        var vb2 = new Vector<float>(c.Beta2);
        var vb2c = new Vector<float>(1 - c.Beta2);
        var vStep = new Vector<float>(c.StepSize);
        var vBias = new Vector<float>(c.InverseSqrtBias2);
        var vEps = new Vector<float>(c.Eps);
        var vScale = new Vector<float>(c.GradScale);
        var scaled = c.GradScale != 1f;
        var i = 0;
        for (; i + width <= n; i += width)
        {
            var g = Unsafe.ReadUnaligned<Vector<float>>(gp + i);
            if (scaled) g *= vScale;
            var mi = vb1 * Unsafe.ReadUnaligned<Vector<float>>(mp + i) + vb1c * g;
            var vi = vb2 * Unsafe.ReadUnaligned<Vector<float>>(vp + i) + vb2c * (g * g);
            Unsafe.WriteUnaligned(mp + i, mi);
            Unsafe.WriteUnaligned(vp + i, vi);
            var p = Unsafe.ReadUnaligned<Vector<float>>(pp + i) - vStep * mi / (Vector.SquareRoot(vi) * vBias + vEps);
            Unsafe.WriteUnaligned(pp + i, p);
        }
        for (; i < n; i++)
        {
            var g = gp[i];
            if (scaled) g *= c.GradScale;
            mp[i] = c.Beta1 * mp[i] + (1 - c.Beta1) * g;
            vp[i] = c.Beta2 * vp[i] + (1 - c.Beta2) * (g * g);
            pp[i] -= c.StepSize * mp[i] / (MathF.Sqrt(vp[i]) * c.InverseSqrtBias2 + c.Eps);
        }
    }

    /// <summary>Σ t² over the tensor's memory (contiguous or a transposed contiguous view), in fixed blocks summed in double.</summary>
    public static unsafe double SumOfSquares(Tensor t)
    {
        using var transposed = t.is_contiguous() ? null : t.t();
        var memory = transposed ?? t;
        var p = Pointer(memory);
        var n = memory.NumberOfElements;
        var blocks = (int)((n + SumBlock - 1) / SumBlock);
        var partial = new double[blocks];
        var workers = Math.Max(1, Math.Min(torch.get_num_threads(), blocks / 8));
        Run(workers, w =>
        {
            for (var b = w; b < blocks; b += workers)
            {
                var start = (long)b * SumBlock;
                var len = (int)Math.Min(SumBlock, n - start);
                var acc = Vector<float>.Zero;
                var x = p + start;
                var i = 0;
                var width = Vector<float>.Count;
                for (; i + width <= len; i += width)
                {
                    var e = Unsafe.ReadUnaligned<Vector<float>>(x + i);
                    acc += e * e;
                }
                double sum = Vector.Sum(acc);
                for (; i < len; i++) sum += x[i] * x[i];
                partial[b] = sum;
            }
        });
        GC.KeepAlive(memory);
        GC.KeepAlive(t);
        var total = 0.0;
        foreach (var s in partial) total += s;
        return total;
    }

    /// <summary>Removes from each row of <paramref name="grad"/> its component along the same (unit) row of <paramref name="w"/>.</summary>
    public static unsafe void RemoveParallelRows(Tensor w, Tensor grad)
    {
        var rows = (int)w.shape[0];
        var d = (int)w.shape[1];
        var wp = Pointer(w);
        var gp = Pointer(grad);
        SparseLatents.ParallelChunks(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var wr = wp + (long)r * d;
                var gr = gp + (long)r * d;
                var dot = Dot(wr, gr, d);
                var a = new Vector<float>(dot);
                var i = 0;
                var width = Vector<float>.Count;
                for (; i + width <= d; i += width)
                    Unsafe.WriteUnaligned(gr + i, Unsafe.ReadUnaligned<Vector<float>>(gr + i) - Unsafe.ReadUnaligned<Vector<float>>(wr + i) * a);
                for (; i < d; i++) gr[i] -= wr[i] * dot;
            }
        }, minPerThread: 1024);
        GC.KeepAlive(w);
        GC.KeepAlive(grad);
    }

    /// <summary>Divides each row of <paramref name="w"/> by its L2 norm.</summary>
    public static unsafe void NormaliseRows(Tensor w)
    {
        var rows = (int)w.shape[0];
        var d = (int)w.shape[1];
        var wp = Pointer(w);
        SparseLatents.ParallelChunks(rows, (start, end) =>
        {
            for (var r = start; r < end; r++)
            {
                var wr = wp + (long)r * d;
                var norm = MathF.Sqrt(Dot(wr, wr, d));
                var vn = new Vector<float>(norm);
                var i = 0;
                var width = Vector<float>.Count;
                for (; i + width <= d; i += width)
                    Unsafe.WriteUnaligned(wr + i, Unsafe.ReadUnaligned<Vector<float>>(wr + i) / vn);
                for (; i < d; i++) wr[i] /= norm;
            }
        }, minPerThread: 1024);
        GC.KeepAlive(w);
    }

    private static unsafe float Dot(float* a, float* b, int n)
    {
        var i = 0;
        var acc = Vector<float>.Zero;
        var width = Vector<float>.Count;
        for (; i + width <= n; i += width)
            acc += Unsafe.ReadUnaligned<Vector<float>>(a + i) * Unsafe.ReadUnaligned<Vector<float>>(b + i);
        var sum = Vector.Sum(acc);
        for (; i < n; i++) sum += a[i] * b[i];
        return sum;
    }
}
