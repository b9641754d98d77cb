using SaeWorkbench.Ml.Runtime;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>A latent of a newer dictionary matched to one of an older one.</summary>
public readonly record struct DecoderMatch(int NewIndex, int OldIndex, float Cosine);

/// <summary>
/// Label carry-over between two SAEs on the same model and hook: latents are matched by the cosine of
/// their decoder rows, one to one. The method is greedy on sorted cosines over the thresholded set: every pair with
/// cosine ≥ threshold is collected, pairs are taken from the highest cosine down (ties: lower new index, then lower
/// old index), and a pair is kept when neither latent is matched yet. Each kept pair is therefore the best remaining
/// match of both its latents. (Hungarian assignment would maximise the summed cosine instead; at a 0.9 threshold on
/// unit vectors, near-duplicate rows are rare and the greedy answer is the same in practice and deterministic.)
/// The cosine matrix is built a chunk of new rows at a time.
/// </summary>
public static class DecoderMatching
{
    public const double DefaultThreshold = 0.9;

    public static IReadOnlyList<DecoderMatch> Match(Tensor oldWDec, Tensor newWDec, double threshold = DefaultThreshold, int chunk = 1024,
        CancellationToken ct = default)
    {
        if (oldWDec.dim() != 2 || newWDec.dim() != 2)
            throw new ArgumentException("W_dec must be [d_sae, d_in] for both dictionaries");
        if (oldWDec.shape[1] != newWDec.shape[1])
            throw new ArgumentException($"the dictionaries read different widths (d_in {oldWDec.shape[1]} vs {newWDec.shape[1]}); they cannot be on the same hook");
        if (threshold is <= -1 or > 1 || double.IsNaN(threshold)) throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "a cosine threshold is in (−1, 1]");
        var candidates = new List<DecoderMatch>();
        using (NewDisposeScope())
        {
            var oldUnit = nn.functional.normalize(oldWDec.to(float32), dim: 1);
            var newUnit = nn.functional.normalize(newWDec.to(float32), dim: 1);
            var m = newUnit.shape[0];
            for (long start = 0; start < m; start += chunk)
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var len = Math.Min(chunk, m - start);
                var cos = newUnit.narrow(0, start, len).matmul(oldUnit.t());
                var hits = cos.Ge((double)(float)threshold).nonzero();
                if (hits.shape[0] == 0) continue;
                var rows = hits.select(1, 0).to(int64).cpu().data<long>().ToArray();
                var cols = hits.select(1, 1).to(int64).cpu().data<long>().ToArray();
                var values = cos.index([hits.select(1, 0), hits.select(1, 1)]).cpu().data<float>().ToArray();
                for (var i = 0; i < rows.Length; i++) candidates.Add(new DecoderMatch((int)(start + rows[i]), (int)cols[i], values[i]));
            }
        }
        candidates.Sort((a, b) =>
        {
            var c = b.Cosine.CompareTo(a.Cosine);
            if (c != 0) return c;
            c = a.NewIndex.CompareTo(b.NewIndex);
            return c != 0 ? c : a.OldIndex.CompareTo(b.OldIndex);
        });
        var usedNew = new HashSet<int>();
        var usedOld = new HashSet<int>();
        var result = new List<DecoderMatch>();
        foreach (var p in candidates)
            if (!usedNew.Contains(p.NewIndex) && !usedOld.Contains(p.OldIndex))
            {
                usedNew.Add(p.NewIndex);
                usedOld.Add(p.OldIndex);
                result.Add(p);
            }
        return result.OrderBy(p => p.NewIndex).ToList();
    }
}
