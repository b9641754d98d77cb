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
}
