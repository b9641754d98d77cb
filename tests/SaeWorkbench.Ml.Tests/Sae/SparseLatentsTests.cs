using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Sae;

public class SparseLatentsTests
{
    [Theory]
    [InlineData(64, 1000, 7)]   // columns not a multiple of the vector width: the scalar tail runs
    [InlineData(600, 4096, 32)] // enough rows to run in parallel chunks
    [InlineData(3, 40, 40)]     // k = all columns: nothing after the heap's initial fill
    public void TopK_selection_keeps_the_same_latents_and_values_as_torch_topk(int rows, int cols, int k)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(rows + cols + k);
        var pre = randn(new long[] { rows, cols }, generator: gen);
        pre[0].fill_(-1f);                              // a row of ties: the first k columns are kept, as the heap fills
        pre[1, TensorIndex.Slice(0, cols / 2)] = pre[1, TensorIndex.Slice(0, cols / 2)].sort(0).Values; // rising values: many heap updates
        var (vals, idx) = SparseLatents.TopKRaw(pre, k);
        var (refVals, refIdx) = pre.topk(k, dim: 1, largest: true, sorted: true);
        var sortedVals = vals.sort(1, descending: true).Values;
        Assert.Equal(0f, (sortedVals - refVals).abs().max().item<float>());
        Assert.Equal(0f, (pre.gather(1, idx) - vals).abs().max().item<float>()); // values are the pre-activations at the indices
        for (var r = 1; r < rows; r++)  // row 0 is all ties: any k of them are a correct answer for torch
            Assert.Equal(refIdx[r].sort().Values.data<long>().ToArray(), idx[r].sort().Values.data<long>().ToArray());
        Assert.Equal(Enumerable.Range(0, k).Select(i => (long)i).ToArray(), idx[0].sort().Values.data<long>().ToArray());
    }

    /// <summary>Expected top-k columns of a row: larger values first, ties by lower column; returned in column order.</summary>
    private static long[] ExpectedColumns(float[] row, int k) =>
        Enumerable.Range(0, row.Length).Where(c => !float.IsNaN(row[c]))
            .OrderByDescending(c => row[c]).ThenBy(c => c).Take(k).Select(c => (long)c).Order().ToArray();

    [Theory]
    [InlineData(300, 4096, 32, 3)]    // few distinct levels: ties at the threshold in almost every row
    [InlineData(200, 4096, 32, 0)]    // continuous values: the threshold pre-filter's usual case
    [InlineData(100, 4096, 128, 0)]   // AuxK's k = d/2
    [InlineData(100, 1000, 7, 5)]     // columns not a multiple of the blocks: the tail columns are candidates too
    [InlineData(50, 96, 32, 0)]       // fewer blocks than k: the heap only
    public void TopK_keeps_the_k_largest_ties_broken_by_lowest_column_in_column_order(int rows, int cols, int k, int levels)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(rows * 7 + cols + k);
        var pre = randn(new long[] { rows, cols }, generator: gen);
        if (levels > 0) pre = (pre * levels).round() / levels;
        var (vals, idx) = SparseLatents.TopKRaw(pre, k);
        var data = pre.data<float>().ToArray();
        var got = idx.data<long>().ToArray();
        var gotValues = vals.data<float>().ToArray();
        for (var r = 0; r < rows; r++)
        {
            var row = data.AsSpan(r * cols, cols).ToArray();
            var expected = ExpectedColumns(row, k);
            Assert.Equal(expected, got.AsSpan(r * k, k).ToArray());
            for (var j = 0; j < k; j++) Assert.Equal(row[got[r * k + j]], gotValues[r * k + j]);
        }
    }

    [Fact]
    public void TopK_handles_rows_of_minus_infinity_and_NaN_like_the_heap()
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(9);
        const int cols = 4096, k = 16;
        var pre = randn(new long[] { 4, cols }, generator: gen);
        // Row 0: AuxK's masking, only 20 finite entries. Row 1: only 16 finite (exactly k). Row 2: NaNs sprinkled.
        // Row 3: a sorted rising row (every block's maximum beats the previous one: too many candidates, the heap runs).
        var mask0 = ones(cols, dtype: @bool); mask0[TensorIndex.Slice(100, 120)] = false;
        pre[0] = pre[0].masked_fill(mask0, float.NegativeInfinity);
        var mask1 = ones(cols, dtype: @bool); mask1[TensorIndex.Slice(4000, 4016)] = false;
        pre[1] = pre[1].masked_fill(mask1, float.NegativeInfinity);
        pre[2, TensorIndex.Slice(0, cols, 97)] = float.NaN;
        pre[3] = arange(cols, dtype: float32);
        var (vals, idx) = SparseLatents.TopKRaw(pre, k);
        var data = pre.data<float>().ToArray();
        for (var r = 0; r < 4; r++)
        {
            var row = data.AsSpan(r * cols, cols).ToArray();
            var got = idx[r].sort().Values.data<long>().ToArray();
            Assert.Equal(ExpectedColumns(row, k), got);
            Assert.False(vals[r].isnan().any().item<bool>());
        }
    }

    /// <summary>A random sparse latent matrix [B, m] with k distinct latents per row, as (indices, values, dense).</summary>
    private static (Tensor Indices, Tensor Values, Tensor Dense) RandomSparse(int batch, int m, int k, Generator gen)
    {
        var indices = rand(new long[] { batch, m }, generator: gen).argsort(1)[.., ..k].contiguous();
        var values = randn(new long[] { batch, k }, generator: gen);
        var dense = zeros(batch, m).scatter_(1, indices, values);
        return (indices, values, dense);
    }

    [Theory]
    [InlineData(300, 200, 256, 8)]   // d a multiple of 64: the eight-register blocks only
    [InlineData(600, 300, 75, 5)]    // d = 64 + 8 + 3: every tail; enough rows to run in parallel
    [InlineData(20, 50, 5, 3)]       // d below one vector: scalar only
    public void Sparse_kernels_equal_dense_matmuls(int batch, int m, int d, int k)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator().manual_seed(batch + m + d);
        var (indices, values, dense) = RandomSparse(batch, m, k, gen);
        var w = randn(new long[] { m, d }, generator: gen);
        var bias = randn(new long[] { d }, generator: gen);
        var g = randn(new long[] { batch, d }, generator: gen);
        void Close(Tensor expected, Tensor actual, string what)
        {
            Assert.Equal(expected.shape, actual.shape);
            var diff = (expected - actual).abs().max().item<float>();
            Assert.True(diff < 1e-4, $"{what} differs from the dense result by {diff}");
        }
        Close(dense.mm(w), SparseLatents.Decode(indices, values, w), "decode");
        Close(dense.mm(w) + bias, SparseLatents.Decode(indices, values, w, bias), "decode with bias");
        Close(dense.t().mm(g), SparseLatents.TransposedProduct(indices, values, g, m), "transposed product");
        var buckets = SparseLatents.Buckets(indices, m);
        Close(dense.t().mm(g), SparseLatents.TransposedProduct(buckets, values, g), "transposed product from buckets");
        Close(g.mm(w.t()).gather(1, indices), SparseLatents.GatherDot(indices, w, g), "gather dots");
        var target = randn(new long[] { batch, d }, generator: gen);
        var (err, grad, sse) = SparseLatents.DecodeError(indices, values, w, bias, target, 0.25);
        var expectedErr = dense.mm(w) + bias - target;
        Close(expectedErr, err, "decode error");
        Close(expectedErr * 0.25, grad, "decode error gradient");
        Assert.Equal(expectedErr.to(float64).square().sum().item<double>(), sse.item<float>(), 1e-3 * Math.Max(1, sse.item<float>()));
    }

    [Fact]
    public void Sparse_kernels_refuse_a_latent_index_out_of_range()
    {
        using var scope = NewDisposeScope();
        var indices = tensor(new long[] { 0, 5, 2, 9 }, new long[] { 2, 2 });
        var values = ones(2, 2);
        var w = ones(9, 4);
        Assert.Throws<IndexOutOfRangeException>(() => SparseLatents.Decode(indices, values, w));
        Assert.Throws<IndexOutOfRangeException>(() => SparseLatents.GatherDot(indices, w, ones(2, 4)));
        Assert.Throws<IndexOutOfRangeException>(() => SparseLatents.TransposedProduct(indices, values, ones(2, 4), 9));
    }
}
