using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// Runs the model to the SAE's hook and the SAE's encoder over token windows, in batches, and feeds
/// a <see cref="FeatureDashboardBuilder"/> both of its passes (the windows are read twice, in the same order).
/// The caller owns the thread; <paramref name="progress"/> gets 0–1 over both passes.
/// </summary>
public static class FeatureDashboardRun
{
    /// <summary>
    /// Dashboards over the first windows of <paramref name="windows"/> holding at least <paramref name="tokens"/>
    /// tokens (BOS included; all if there are fewer). Returns the finished builder.
    /// </summary>
    public static FeatureDashboardBuilder Compute(IHookedLanguageModel model, string hookName, SparseAutoencoder sae,
        Func<IEnumerable<long[]>> windows, long tokens, DashboardOptions? options = null, int windowsPerBatch = 16,
        long? padTokenId = null, IProgress<double>? progress = null, CancellationToken ct = default)
    {
        if (model.HookWidth(hookName) != sae.DIn)
            throw new ArgumentException($"the SAE reads {sae.DIn}-wide activations but {hookName} is {model.HookWidth(hookName)} wide");
        ArgumentOutOfRangeException.ThrowIfLessThan(tokens, 1);
        var builder = new FeatureDashboardBuilder(sae.DSae, model.BosTokenId, padTokenId, options);
        for (var pass = 0; pass < 2; pass++)
        {
            long seen = 0;
            foreach (var batch in Batches(windows(), tokens, Math.Max(1, windowsPerBatch)))
            {
                ct.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                using var noGrad = no_grad();
                var ids = tensor(batch.SelectMany(w => w).ToArray(), new long[] { batch.Count, batch[0].Length });
                builder.Observe(ids, Encode(model, hookName, sae, ids));
                seen += batch.Sum(w => (long)w.Length);
                progress?.Report((pass + Math.Min(1.0, (double)seen / tokens)) / 2);
            }
            if (pass == 0) builder.EndStatisticsPass();
        }
        builder.Finish();
        return builder;
    }

    /// <summary>SAE activations [B, T, m] (on the CPU) at token ids [B, T].</summary>
    public static Tensor Encode(IHookedLanguageModel model, string hookName, SparseAutoencoder sae, Tensor ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (b, t) = (ids.shape[0], ids.shape[1]);
        if (t > model.ContextLength)
            throw new ArgumentException($"a window of {t} tokens is longer than the model's context of {model.ContextLength}");
        var acts = model.RunToHook(ids.to(model.Device), hookName).to(ScalarType.Float32);   // [B, T, d]
        var dev = sae.WEnc.device;
        var f = sae.Encode(acts.reshape(b * t, sae.DIn).to(dev));                             // [B·T, m]
        return f.reshape(b, t, sae.DSae).cpu().MoveToOuterDisposeScope();
    }

    /// <summary>Groups windows of equal length, stopping once <paramref name="tokens"/> tokens are covered.</summary>
    private static IEnumerable<List<long[]>> Batches(IEnumerable<long[]> windows, long tokens, int size)
    {
        var batch = new List<long[]>(size);
        long taken = 0;
        foreach (var w in windows)
        {
            if (taken >= tokens) break;
            if (w.Length == 0) continue;
            if (batch.Count > 0 && (batch.Count == size || w.Length != batch[0].Length))
            {
                yield return batch;
                batch = new List<long[]>(size);
            }
            batch.Add(w);
            taken += w.Length;
        }
        if (batch.Count > 0) yield return batch;
    }
}
