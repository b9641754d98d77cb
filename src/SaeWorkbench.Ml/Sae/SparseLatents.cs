using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Kernels over k active latents per token (indices [B, k], values [B, k]) that never touch the m − k zero
/// latents: the work is O(B·k·d) instead of O(B·m·d) (item 7). On the CPU they are SIMD C# loops over
/// the raw tensor memory (Vector256 with FMA where the processor has them, <see cref="Vector{T}"/> otherwise),
/// parallel over tokens or over disjoint latent ranges, so every sum runs in a fixed order and results are
/// deterministic whatever the thread count; libtorch's versions would copy B·k decoder rows into a [B, k, d]
/// tensor or sort a COO matrix. Other devices use libtorch's sparse COO matmul and gather + bmm.
/// <para>
/// Every kernel keeps the tensors whose memory it reads or writes alive until its loops are done
/// (<see cref="GC.KeepAlive"/>): a temporary such as <c>indices.contiguous()</c> passed as an argument is otherwise
/// unreachable once its pointer has been taken, and its finalizer could free the memory mid-loop.
/// </para>
/// </summary>
public static class SparseLatents
{
    /// <summary>ReLU of the k largest pre-activations per token: values [B, k] and latent indices [B, k].</summary>
    public static (Tensor Values, Tensor Indices) TopK(Tensor pre, int k)
    {
        var (vals, idx) = TopKRaw(pre, k);
        return (vals.relu_(), idx);
    }

    /// <summary>
    /// The k largest pre-activations per row and their column indices, [B, k] each. On the CPU the entries of a row
    /// come in column order, and among values tied with the k-th largest the lowest columns are kept.
    /// </summary>
    public static (Tensor Values, Tensor Indices) TopKRaw(Tensor pre, int k)
    {
        if (!OnCpu(pre) || k > pre.shape[1] || k < 1) return pre.topk(k, dim: 1, largest: true, sorted: false);
        using var contiguous = pre.contiguous();
        return TopKCpu(contiguous, k);
    }

    private static bool OnCpu(Tensor t) => t.device_type == DeviceType.CPU && t.dtype == float32;

    private static unsafe T* Pointer<T>(Tensor t) where T : unmanaged =>
        (T*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(t.bytes));

    /// <summary>Whether the Vector256 + FMA kernels run (x86 with AVX2 and FMA); otherwise the portable ones do.</summary>
    public static bool UsesAvx2Fma => Avx2.IsSupported && Fma.IsSupported;

    internal static void ParallelChunks(int count, Action<int, int> body, int minPerThread = 512)
    {
        // Small problems run inline: waking pool threads costs more than it saves, most of all on a loaded machine.
        var threads = Math.Max(1, Math.Min(torch.get_num_threads(), count / minPerThread));
        var chunk = (count + threads - 1) / threads;
        if (threads == 1) { body(0, count); return; }
        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads },
            c => body(c * chunk, Math.Min(count, (c + 1) * chunk)));
    }

    // ---------------------------------------------------------------- top-k

    private static unsafe (Tensor, Tensor) TopKCpu(Tensor pre, int k)
    {
        var rows = (int)pre.shape[0];
        var cols = (int)pre.shape[1];
        var values = empty(rows, k);
        var indices = empty(new long[] { rows, k }, dtype: int64);
        var src = Pointer<float>(pre);
        var vOut = Pointer<float>(values);
        var iOut = Pointer<long>(indices);
        // Threshold pre-filter (AVX): blocks of `block` columns, about 2k of them (at least k).
        var block = Math.Max(8, cols / (2 * k) / 8 * 8);
        var blocks = cols / block;
        var filter = Avx.IsSupported && blocks >= k;
        var capacity = Math.Max(4 * k, 64) / 8 * 8;
        ParallelChunks(rows, (start, end) =>
        {
            // Scratch, padded with −∞ to whole vectors (−∞ never outranks a real entry).
            var maxima = filter ? new float[(blocks + 7) / 8 * 8] : [];
            var candidates = filter ? new float[capacity] : [];
            var columns = filter ? new int[capacity] : [];
            fixed (float* mx = maxima, cv = candidates)
            fixed (int* cc = columns)
            {
                for (var r = start; r < end; r++)
                {
                    var row = src + (long)r * cols;
                    var rowValues = vOut + (long)r * k;
                    var rowIndices = iOut + (long)r * k;
                    if (!filter || !FilteredTopK(row, cols, k, block, blocks, mx, maxima.Length, cv, cc, capacity, rowValues, rowIndices))
                        HeapTopK(row, cols, k, rowValues, rowIndices);
                }
            }
        });
        GC.KeepAlive(pre);
        GC.KeepAlive(values);
        GC.KeepAlive(indices);
        return (values, indices);
    }

    /// <summary>
    /// Exact top-k of one row through a threshold: T = the k-th largest of the block maxima is at most the row's k-th
    /// largest value (the k blocks with maxima ≥ T hold k distinct elements ≥ T), so the top k are all among the
    /// candidates ≥ T, which one SIMD compare pass over the blocks whose maximum reaches T collects (about 1.5k of them
    /// for typical rows). The k candidates of smallest rank are kept (<see cref="Rank"/>: by value, ties by lowest
    /// column), in column order. Branch-free ranking instead of a heap: a heap's data-dependent branches mispredict on
    /// every other step. Returns false (the caller runs the exact heap) if the candidates do not fit or T is not finite.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe bool FilteredTopK(float* row, int cols, int k, int block, int blocks, float* maxima, int maximaPadded,
        float* candidateValues, int* candidateColumns, int capacity, float* outValues, long* outColumns)
    {
        var negInf = Vector256.Create(float.NegativeInfinity);
        for (var b = 0; b < blocks; b++)
        {
            var p = row + b * block;
            // Avx.Max returns its second operand when either is NaN: NaNs are skipped, every maximum is a real element.
            Vector256<float> acc0 = negInf, acc1 = negInf;
            var c = 0;
            for (; c + 16 <= block; c += 16)
            {
                acc0 = Avx.Max(Avx.LoadVector256(p + c), acc0);
                acc1 = Avx.Max(Avx.LoadVector256(p + c + 8), acc1);
            }
            if (c < block) acc0 = Avx.Max(Avx.LoadVector256(p + c), acc0);
            var acc = Avx.Max(acc0, acc1);
            var m4 = Sse.Max(acc.GetLower(), acc.GetUpper());
            var m2 = Sse.Max(m4, Sse.MoveHighToLow(m4, m4));
            maxima[b] = Sse.MaxScalar(m2, Sse.Shuffle(m2, m2, 0b01)).ToScalar();
        }
        for (var b = blocks; b < maximaPadded; b++) maxima[b] = float.NegativeInfinity;
        var threshold = float.NaN;
        for (var b = 0; b < blocks; b++)
            if (Rank(maxima, maximaPadded, b) == k - 1) { threshold = maxima[b]; break; }
        if (!float.IsFinite(threshold)) return false;

        var count = 0;
        var vt = Vector256.Create(threshold);
        for (var b = 0; b < blocks; b++)
        {
            if (!(maxima[b] >= threshold)) continue;
            var first = b * block;
            for (var c = first; c < first + block; c += 8)
            {
                var mask = (uint)Avx.MoveMask(Avx.Compare(Avx.LoadVector256(row + c), vt, FloatComparisonMode.OrderedGreaterThanOrEqualNonSignaling));
                if (mask == 0) continue;
                if (count + BitOperations.PopCount(mask) > capacity) return false;
                while (mask != 0)
                {
                    var bit = BitOperations.TrailingZeroCount(mask);
                    candidateValues[count] = row[c + bit];
                    candidateColumns[count++] = c + bit;
                    mask &= mask - 1;
                }
            }
        }
        for (var c = blocks * block; c < cols; c++)
        {
            if (!(row[c] >= threshold)) continue;
            if (count == capacity) return false;
            candidateValues[count] = row[c];
            candidateColumns[count++] = c;
        }
        if (count < k) return false;
        var padded = (count + 7) / 8 * 8;
        if (padded > capacity) return false;
        for (var i = count; i < padded; i++) candidateValues[i] = float.NegativeInfinity;
        var n = 0;
        for (var i = 0; i < count && n < k; i++)
        {
            if (Rank(candidateValues, padded, i) >= k) continue;
            outValues[n] = candidateValues[i];
            outColumns[n++] = candidateColumns[i];
        }
        return n == k;
    }

    /// <summary>
    /// Rank of v[i] among v[0..n) (n a multiple of 8, no NaNs) in the order "larger first, then lower position":
    /// #{j &lt; i : v[j] ≥ v[i]} + #{j &gt; i : v[j] &gt; v[i]}. The ranks are a permutation of 0..n−1.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe int Rank(float* v, int n, int i)
    {
        var vi = Vector256.Create(v[i]);
        var count = 0;
        for (var b = 0; b < n; b += 8)
        {
            var x = Avx.LoadVector256(v + b);
            var gt = (uint)Avx.MoveMask(Avx.Compare(x, vi, FloatComparisonMode.OrderedGreaterThanNonSignaling));
            var ge = (uint)Avx.MoveMask(Avx.Compare(x, vi, FloatComparisonMode.OrderedGreaterThanOrEqualNonSignaling));
            var before = i <= b ? 0u : i >= b + 8 ? 0xFFu : (1u << (i - b)) - 1;
            count += BitOperations.PopCount(gt | (ge & before));
        }
        return count;
    }

    /// <summary>
    /// Exact top-k of one row by a min-heap of the k best seen so far (the fallback; any row), then put in column order.
    /// "Best" is the filter's order: larger value, then lower column; so the heap's root is its smallest value with the
    /// highest column, and a later column only enters with a strictly larger value.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void HeapTopK(float* row, int cols, int k, float* hv, long* hi)
    {
        for (var j = 0; j < k; j++) { hv[j] = row[j]; hi[j] = j; }
        for (var j = k / 2 - 1; j >= 0; j--) SiftDown(hv, hi, k, j);
        var c = k;
        // Whole vectors at or below the heap's smallest are skipped with one compare. The heap's root only grows, so a
        // skipped element would also have been rejected one at a time: the result is exactly the scalar loop's.
        var width = Vector<float>.Count;
        for (; c + width <= cols; c += width)
        {
            if (!Vector.GreaterThanAny(Unsafe.ReadUnaligned<Vector<float>>(row + c), new Vector<float>(hv[0]))) continue;
            for (var e = c; e < c + width; e++) Offer(hv, hi, k, row[e], e);
        }
        for (; c < cols; c++) Offer(hv, hi, k, row[c], c);
        for (var i = 1; i < k; i++)                 // insertion sort by column
        {
            var (v, col) = (hv[i], hi[i]);
            var j = i - 1;
            for (; j >= 0 && hi[j] > col; j--) (hv[j + 1], hi[j + 1]) = (hv[j], hi[j]);
            (hv[j + 1], hi[j + 1]) = (v, col);
        }
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

    /// <summary>Whether entry a is worse than entry b: a smaller value, or the same value at a higher column.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static unsafe bool Worse(float* v, long* idx, int a, int b) => v[a] < v[b] || (v[a] == v[b] && idx[a] > idx[b]);

    private static unsafe void SiftDown(float* v, long* idx, int n, int i)
    {
        while (true)
        {
            var worst = i;
            var l = 2 * i + 1;
            var r = l + 1;
            if (l < n && Worse(v, idx, l, worst)) worst = l;
            if (r < n && Worse(v, idx, r, worst)) worst = r;
            if (worst == i) return;
            (v[i], v[worst]) = (v[worst], v[i]);
            (idx[i], idx[worst]) = (idx[worst], idx[i]);
            i = worst;
        }
    }

    // ---------------------------------------------------------------- decode, gather-dot, transposed product

    private static Tensor TokenOfEachEntry(Tensor indices) =>
        TorchScalars.Arange(indices.shape[0], ScalarType.Int64, indices.device).unsqueeze(1).expand(indices.shape).reshape(-1);

    /// <summary>F·W (+ bias) for the sparse F [B, m] given by (indices, values): Σ_j values[b, j] · w[indices[b, j]] → [B, w].</summary>
    public static Tensor Decode(Tensor indices, Tensor values, Tensor w, Tensor? bias = null)
    {
        if (OnCpu(w) && OnCpu(values) && (bias is null || OnCpu(bias)))
        {
            using var i = indices.contiguous();
            using var v = values.contiguous();
            using var wc = w.contiguous();
            using var bc = bias?.contiguous();
            return DecodeCpu(i, v, wc, bc);
        }
        using var scope = NewDisposeScope();
        var f = sparse_coo_tensor(stack(new[] { TokenOfEachEntry(indices), indices.reshape(-1) }), values.reshape(-1),
            new[] { indices.shape[0], w.shape[0] });
        var result = f.mm(w);
        if (bias is not null) result.PlusInPlace(bias);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The reconstruction error of a sparse decode and the gradient of a squared-error loss, in one pass over each row
    /// (CPU float32; other devices use tensor ops): err = F·W + bias − target [B, w], grad = <paramref name="gradScale"/>·err,
    /// and Σ err² as a float32 scalar tensor (on the CPU summed per row, then over rows in order, in float64).
    /// </summary>
    public static (Tensor Error, Tensor Gradient, Tensor SumOfSquares) DecodeError(Tensor indices, Tensor values, Tensor w,
        Tensor bias, Tensor target, double gradScale)
    {
        if (OnCpu(w) && OnCpu(values) && OnCpu(bias) && OnCpu(target))
        {
            using var i = indices.contiguous();
            using var v = values.contiguous();
            using var wc = w.contiguous();
            using var bc = bias.contiguous();
            using var tc = target.contiguous();
            return DecodeErrorCpu(i, v, wc, bc, tc, (float)gradScale);
        }
        using var scope = NewDisposeScope();
        var err = Decode(indices, values, w, bias) - target;
        using var flat = err.reshape(-1);
        var sse = flat.dot(flat);
        return (err.MoveToOuterDisposeScope(), err.Times(gradScale).MoveToOuterDisposeScope(), sse.MoveToOuterDisposeScope());
    }

    private static unsafe (Tensor, Tensor, Tensor) DecodeErrorCpu(Tensor indices, Tensor values, Tensor w, Tensor bias, Tensor target, float scale)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var d = (int)w.shape[1];
        if (bias.NumberOfElements != d) throw new ArgumentException($"the bias has {bias.NumberOfElements} elements, the rows have {d}");
        if (target.shape[0] != batch || target.shape[1] != d)
            throw new ArgumentException($"the target must be [{batch}, {d}], got [{string.Join(", ", target.shape)}]");
        var err = empty(batch, d);
        var grad = empty(batch, d);
        var rowSums = new double[batch];
        var idx = Pointer<long>(indices);
        var vp = Pointer<float>(values);
        var wp = Pointer<float>(w);
        var bp = Pointer<float>(bias);
        var xp = Pointer<float>(target);
        var ep = Pointer<float>(err);
        var gp = Pointer<float>(grad);
        CheckIndices(idx, (long)batch * k, w.shape[0]);
        ParallelChunks(batch, (start, end) =>
        {
            var width = Vector<float>.Count;
            var vs = new Vector<float>(scale);
            for (var b = start; b < end; b++)
            {
                var e = ep + (long)b * d;
                var x = xp + (long)b * d;
                var g = gp + (long)b * d;
                AccumulateRows(idx + (long)b * k, vp + (long)b * k, k, wp, d, d, bp, e);   // x̂ into the error row
                var acc = Vector<float>.Zero;
                var c = 0;
                for (; c + width <= d; c += width)
                {
                    var diff = Unsafe.ReadUnaligned<Vector<float>>(e + c) - Unsafe.ReadUnaligned<Vector<float>>(x + c);
                    Unsafe.WriteUnaligned(e + c, diff);
                    Unsafe.WriteUnaligned(g + c, diff * vs);
                    acc += diff * diff;
                }
                double sum = Vector.Sum(acc);
                for (; c < d; c++)
                {
                    var diff = e[c] - x[c];
                    e[c] = diff;
                    g[c] = diff * scale;
                    sum += diff * diff;
                }
                rowSums[b] = sum;
            }
        });
        GC.KeepAlive(indices);
        GC.KeepAlive(values);
        GC.KeepAlive(w);
        GC.KeepAlive(bias);
        GC.KeepAlive(target);
        GC.KeepAlive(err);
        GC.KeepAlive(grad);
        var total = 0.0;
        foreach (var r in rowSums) total += r;
        return (err, grad, tensor((float)total));
    }

    /// <summary>
    /// The entries of a sparse [B, m] matrix grouped by latent (a CSR transpose by counting sort): for each latent its
    /// entries e = b·k + j in increasing order, so sums over a latent's tokens always run in token order.
    /// Build it once and pass it to <see cref="TransposedProduct(LatentBuckets, Tensor, Tensor)"/> for several products.
    /// </summary>
    public sealed class LatentBuckets
    {
        internal int[] Start { get; }
        internal int[] Entries { get; }
        public long Latents { get; }
        public int Tokens { get; }
        public int K { get; }

        internal LatentBuckets(int[] start, int[] entries, long latents, int tokens, int k) =>
            (Start, Entries, Latents, Tokens, K) = (start, entries, latents, tokens, k);
    }

    /// <summary>Groups the entries of <paramref name="indices"/> [B, k] by latent (CPU; indices checked to lie in [0, latents)).</summary>
    public static unsafe LatentBuckets Buckets(Tensor indices, long latents)
    {
        using var idxTensor = indices.to(int64).contiguous();
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var entries = checked(batch * k);
        var idx = Pointer<long>(idxTensor);
        var start = new int[latents + 1];
        for (var e = 0; e < entries; e++) start[CheckedLatent(idx[e], latents) + 1]++;
        for (long l = 0; l < latents; l++) start[l + 1] += start[l];
        var next = (int[])start.Clone();
        var order = new int[entries];
        for (var e = 0; e < entries; e++) order[next[idx[e]]++] = e;
        GC.KeepAlive(idxTensor);
        return new LatentBuckets(start, order, latents, batch, k);
    }

    /// <summary>Fᵀ·V for the sparse F [B, m]: row i of the result is Σ over entries (b, j) with indices[b, j] = i of values[b, j]·v[b] → [m, w].</summary>
    public static Tensor TransposedProduct(Tensor indices, Tensor values, Tensor v, long latents)
    {
        if (OnCpu(v) && OnCpu(values)) return TransposedProduct(Buckets(indices, latents), values, v);
        using var scope = NewDisposeScope();
        var ft = sparse_coo_tensor(stack(new[] { indices.reshape(-1), TokenOfEachEntry(indices) }), values.reshape(-1),
            new[] { latents, indices.shape[0] });
        return ft.mm(v).MoveToOuterDisposeScope();
    }

    /// <summary><see cref="TransposedProduct(Tensor, Tensor, Tensor, long)"/> with the entries already grouped (CPU float32).</summary>
    public static Tensor TransposedProduct(LatentBuckets buckets, Tensor values, Tensor v)
    {
        if (!OnCpu(values) || !OnCpu(v))
            throw new ArgumentException("grouped transposed products run on CPU float32 tensors; use the overload with indices elsewhere");
        if (values.shape[0] != buckets.Tokens || values.shape[1] != buckets.K || v.shape[0] != buckets.Tokens)
            throw new ArgumentException($"values [{string.Join(", ", values.shape)}] and v [{string.Join(", ", v.shape)}] do not match the buckets' [{buckets.Tokens}, {buckets.K}]");
        using var vals = values.contiguous();
        using var vc = v.contiguous();
        return TransposedProductCpu(buckets, vals, vc);
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
        using var i = indices.contiguous();
        using var wc = w.contiguous();
        using var gc = g.to(float32).contiguous();
        return GatherDotCpu(i, wc, gc);
    }

    private static unsafe void CheckIndices(long* idx, long count, long m)
    {
        for (long e = 0; e < count; e++) CheckedLatent(idx[e], m);
    }

    private static long CheckedLatent(long latent, long m) =>
        (ulong)latent < (ulong)m ? latent : throw new IndexOutOfRangeException($"latent index {latent} outside [0, {m})");

    private static unsafe Tensor GatherDotCpu(Tensor indices, Tensor w, Tensor g)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var d = (int)w.shape[1];
        var result = empty(batch, k);
        var idx = Pointer<long>(indices);
        var wp = Pointer<float>(w);
        var gp = Pointer<float>(g);
        var rp = Pointer<float>(result);
        CheckIndices(idx, (long)batch * k, w.shape[0]);
        ParallelChunks(batch, (start, end) =>
        {
            for (var b = start; b < end; b++)
            {
                var gRow = gp + (long)b * d;
                var ib = idx + (long)b * k;
                var ob = rp + (long)b * k;
                var j = 0;
                if (UsesAvx2Fma)
                    for (; j + 4 <= k; j += 4)
                        Dot4(gRow, wp + ib[j] * d, wp + ib[j + 1] * d, wp + ib[j + 2] * d, wp + ib[j + 3] * d, d, ob + j);
                for (; j < k; j++) ob[j] = Dot(wp + ib[j] * d, gRow, d);
            }
        });
        GC.KeepAlive(indices);
        GC.KeepAlive(w);
        GC.KeepAlive(g);
        GC.KeepAlive(result);
        return result;
    }

    private static unsafe Tensor DecodeCpu(Tensor indices, Tensor values, Tensor w, Tensor? bias)
    {
        var batch = (int)indices.shape[0];
        var k = (int)indices.shape[1];
        var d = (int)w.shape[1];
        if (bias is not null && bias.NumberOfElements != d)
            throw new ArgumentException($"the bias has {bias.NumberOfElements} elements, the rows have {d}");
        var result = empty(batch, d);
        var idx = Pointer<long>(indices);
        var vp = Pointer<float>(values);
        var wp = Pointer<float>(w);
        var bp = bias is null ? null : Pointer<float>(bias);
        var rp = Pointer<float>(result);
        CheckIndices(idx, (long)batch * k, w.shape[0]);
        ParallelChunks(batch, (start, end) =>
        {
            for (var b = start; b < end; b++)
                AccumulateRows(idx + (long)b * k, vp + (long)b * k, k, wp, d, d, bp, rp + (long)b * d);
        });
        GC.KeepAlive(indices);
        GC.KeepAlive(values);
        GC.KeepAlive(w);
        GC.KeepAlive(bias);
        GC.KeepAlive(result);
        return result;
    }

    private static unsafe Tensor TransposedProductCpu(LatentBuckets buckets, Tensor values, Tensor v)
    {
        var width = (int)v.shape[1];
        var k = buckets.K;
        var result = empty(buckets.Latents, width);
        var valp = Pointer<float>(values);
        var vp = Pointer<float>(v);
        var rp = Pointer<float>(result);
        var start = buckets.Start;
        var entries = buckets.Entries;
        // Each worker owns a range of latents and writes each of their rows once, summing its entries in token order.
        ParallelChunks((int)buckets.Latents, (lo, hi) =>
        {
            Span<long> rows = stackalloc long[64];
            Span<float> coefficients = stackalloc float[64];
            fixed (long* rowsP = rows)
            fixed (float* coefP = coefficients)
            for (var latent = lo; latent < hi; latent++)
            {
                var output = rp + (long)latent * width;
                var first = start[latent];
                var count = start[latent + 1] - first;
                if (count == 0) { new Span<float>(output, width).Clear(); continue; }
                // Gather in groups of 64 entries: token rows and their coefficients; accumulate onto the partial sum.
                for (var g = 0; g < count; g += 64)
                {
                    var n = Math.Min(64, count - g);
                    for (var i = 0; i < n; i++)
                    {
                        var e = entries[first + g + i];
                        rowsP[i] = e / k;
                        coefP[i] = valp[e];
                    }
                    AccumulateRows(rowsP, coefP, n, vp, width, width, g == 0 ? null : output, output);
                }
            }
        }, minPerThread: 256);
        GC.KeepAlive(values);
        GC.KeepAlive(v);
        GC.KeepAlive(result);
        return result;
    }

    /// <summary>
    /// output[0..width) = init + Σ_j coef[j] · src[rows[j]·stride .. +width) (init = <paramref name="init"/> or zero; it may
    /// be <paramref name="output"/> itself). With AVX2/FMA a 64-float slice of the output stays in eight registers across
    /// all entries, so each output element is written once instead of once per entry.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void AccumulateRows(long* rows, float* coef, int n, float* src, int stride, int width,
        float* init, float* output)
    {
        var c = 0;
        if (UsesAvx2Fma)
        {
            for (; c + 64 <= width; c += 64)
            {
                Vector256<float> a0, a1, a2, a3, a4, a5, a6, a7;
                if (init != null)
                {
                    var p = init + c;
                    (a0, a1, a2, a3) = (Avx.LoadVector256(p), Avx.LoadVector256(p + 8), Avx.LoadVector256(p + 16), Avx.LoadVector256(p + 24));
                    (a4, a5, a6, a7) = (Avx.LoadVector256(p + 32), Avx.LoadVector256(p + 40), Avx.LoadVector256(p + 48), Avx.LoadVector256(p + 56));
                }
                else a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = Vector256<float>.Zero;
                for (var j = 0; j < n; j++)
                {
                    var s = Vector256.Create(coef[j]);
                    var r = src + rows[j] * stride + c;
                    a0 = Fma.MultiplyAdd(s, Avx.LoadVector256(r), a0);
                    a1 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 8), a1);
                    a2 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 16), a2);
                    a3 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 24), a3);
                    a4 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 32), a4);
                    a5 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 40), a5);
                    a6 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 48), a6);
                    a7 = Fma.MultiplyAdd(s, Avx.LoadVector256(r + 56), a7);
                }
                var o = output + c;
                Avx.Store(o, a0); Avx.Store(o + 8, a1); Avx.Store(o + 16, a2); Avx.Store(o + 24, a3);
                Avx.Store(o + 32, a4); Avx.Store(o + 40, a5); Avx.Store(o + 48, a6); Avx.Store(o + 56, a7);
            }
            for (; c + 8 <= width; c += 8)
            {
                var a = init != null ? Avx.LoadVector256(init + c) : Vector256<float>.Zero;
                for (var j = 0; j < n; j++)
                    a = Fma.MultiplyAdd(Vector256.Create(coef[j]), Avx.LoadVector256(src + rows[j] * stride + c), a);
                Avx.Store(output + c, a);
            }
        }
        else
        {
            // Portable: the same sums (entries in order), one vector of the output at a time.
            var w = Vector<float>.Count;
            for (; c + w <= width; c += w)
            {
                var a = init != null ? Unsafe.ReadUnaligned<Vector<float>>(init + c) : Vector<float>.Zero;
                for (var j = 0; j < n; j++)
                    a += new Vector<float>(coef[j]) * Unsafe.ReadUnaligned<Vector<float>>(src + rows[j] * stride + c);
                Unsafe.WriteUnaligned(output + c, a);
            }
        }
        for (; c < width; c++)
        {
            var a = init != null ? init[c] : 0f;
            for (var j = 0; j < n; j++) a += coef[j] * src[rows[j] * stride + c];
            output[c] = a;
        }
    }

    /// <summary>Four dot products of <paramref name="g"/> with rows w0..w3 (AVX2/FMA), into out[0..4).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static unsafe void Dot4(float* g, float* w0, float* w1, float* w2, float* w3, int n, float* output)
    {
        Vector256<float> a0 = Vector256<float>.Zero, a1 = a0, a2 = a0, a3 = a0;
        var i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var gv = Avx.LoadVector256(g + i);
            a0 = Fma.MultiplyAdd(Avx.LoadVector256(w0 + i), gv, a0);
            a1 = Fma.MultiplyAdd(Avx.LoadVector256(w1 + i), gv, a1);
            a2 = Fma.MultiplyAdd(Avx.LoadVector256(w2 + i), gv, a2);
            a3 = Fma.MultiplyAdd(Avx.LoadVector256(w3 + i), gv, a3);
        }
        float s0 = Vector256.Sum(a0), s1 = Vector256.Sum(a1), s2 = Vector256.Sum(a2), s3 = Vector256.Sum(a3);
        for (; i < n; i++)
        {
            s0 += w0[i] * g[i];
            s1 += w1[i] * g[i];
            s2 += w2[i] * g[i];
            s3 += w3[i] * g[i];
        }
        output[0] = s0; output[1] = s1; output[2] = s2; output[3] = s3;
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
