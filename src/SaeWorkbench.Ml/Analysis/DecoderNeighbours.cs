using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>A latent's nearest latents by decoder cosine similarity, most similar first.</summary>
public sealed record LatentNeighbours(int Index, int[] Neighbours, float[] Cosines);

/// <summary>
/// docs/science.md §6 nearest features: cosine similarity of decoder rows <c>W_dec,i</c>, the latent itself excluded.
/// A chunk of rows at a time against all rows, so the [m, m] matrix never exists at once.
/// </summary>
public static class DecoderNeighbours
{
    public static LatentNeighbours[] Compute(Tensor wDec, int count = 10, int chunk = 1024, CancellationToken ct = default)
    {
        if (wDec.dim() != 2) throw new ArgumentException($"W_dec must be [m, d], got [{string.Join(", ", wDec.shape)}]");
        var m = (int)wDec.shape[0];
        var k = Math.Min(count, m - 1);
        var result = new LatentNeighbours[m];
        using var noGrad = no_grad();
        using var outer = NewDisposeScope();
        var unit = nn.functional.normalize(wDec.to(ScalarType.Float32), p: 2, dim: 1);     // [m, d]
        for (var first = 0; first < m; first += chunk)
        {
            ct.ThrowIfCancellationRequested();
            using var scope = NewDisposeScope();
            var last = Math.Min(m, first + chunk);
            var rows = last - first;
            var cos = matmul(unit[first..last], unit.t()).cpu();                            // [c, m]
            var self = TorchScalars.Arange(first, last).unsqueeze(1);          // [c, 1]
            cos.scatter_(1, self, TorchScalars.Full(float.NegativeInfinity, new long[] { rows, 1 }));
            var (v, i) = cos.topk(k, dim: 1);
            var values = v.data<float>().ToArray();
            var indices = i.data<long>().ToArray();
            for (var r = 0; r < rows; r++)
                result[first + r] = new LatentNeighbours(first + r,
                    indices.AsSpan(r * k, k).ToArray().Select(x => (int)x).ToArray(), values.AsSpan(r * k, k).ToArray());
        }
        return result;
    }
}
