using SaeWorkbench.Ml.Runtime;
using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Sae;

/// <summary>
/// Downstream metrics of docs/science.md §4: the model's next-token cross-entropy with the hook activation replaced
/// by the SAE's reconstruction (CE_sae), by zeros (CE_zero), and unmodified (CE_clean).
/// BOS positions are never spliced and never scored: CE and KL average over positions whose input token is not
/// BOS and that have a next token.
/// </summary>
/// <param name="CeLossRecovered">(CE_zero − CE_sae) / (CE_zero − CE_clean).</param>
/// <param name="DeltaLmLoss">CE_sae − CE_clean.</param>
/// <param name="Kl">Mean KL(clean ‖ spliced) of the next-token distributions.</param>
public sealed record LanguageModelLossMetrics(double CeClean, double CeSae, double CeZero, double Kl, long Positions)
{
    public double CeLossRecovered => (CeZero - CeSae) / (CeZero - CeClean);
    public double DeltaLmLoss => CeSae - CeClean;

    /// <summary>
    /// Splices <paramref name="sae"/>'s reconstruction at <paramref name="hookName"/>. A transcoder (docs/science.md §12)
    /// reads <paramref name="hookName"/> and its prediction ŷ replaces the activation at <paramref name="outputHookName"/>
    /// in the same forward pass (CE_zero splices zeros there too).
    /// </summary>
    public static LanguageModelLossMetrics Evaluate(IHookedLanguageModel model, string hookName, SparseAutoencoder sae,
        IEnumerable<long[]> windows, int windowsPerBatch = 8, string? outputHookName = null)
    {
        HookPoints.RequireKnown(model.HookNames, hookName);
        HookPoints.RequireWidth(model, hookName, sae.DIn, "the SAE's d_in");
        if (!sae.IsTranscoder)
        {
            if (outputHookName is not null && outputHookName != hookName)
                throw new ArgumentException($"an SAE writes the hook it reads ('{hookName}'), not '{outputHookName}'");
            return Evaluate(model, hookName, sae.Reconstruct, windows, windowsPerBatch);
        }
        if (outputHookName is null) throw new ArgumentException("a transcoder's prediction is spliced at its output hook: name it");
        Activations.TranscoderHooks.Check(model.HookNames, hookName, outputHookName);
        HookPoints.RequireWidth(model, outputHookName, sae.DOut, "the transcoder's d_out");
        // The input hook runs before the output hook in every pass (clean, spliced, zero), so the output hook's
        // replacement always sees this pass's input.
        Tensor? input = null;
        using var capture = model.AddHook(hookName, a => { input = a; return a; });
        return Evaluate(model, outputHookName, _ => Predict(sae, input!), windows, windowsPerBatch);
    }

    /// <summary>A transcoder's ŷ for input activations <paramref name="x"/> [.., d_in], in x's device and dtype.</summary>
    internal static Tensor Predict(SparseAutoencoder sae, Tensor x)
    {
        using var scope = NewDisposeScope();
        var y = sae.Reconstruct(x.to(sae.WEnc.dtype).to(sae.WEnc.device));
        return y.to(x.dtype).to(x.device).MoveToOuterDisposeScope();
    }

    /// <summary>Splices any reconstruction function (e.g. identity, for tests and baselines).</summary>
    public static LanguageModelLossMetrics Evaluate(IHookedLanguageModel model, string hookName, Func<Tensor, Tensor> reconstruct,
        IEnumerable<long[]> windows, int windowsPerBatch = 8)
    {
        HookPoints.RequireKnown(model.HookNames, hookName);
        double clean = 0, sae = 0, zero = 0, kl = 0;
        long positions = 0;
        foreach (var chunk in windows.Chunk(windowsPerBatch))
        {
            using var scope = NewDisposeScope();
            var length = chunk[0].Length;
            if (chunk.Any(w => w.Length != length)) throw new ArgumentException("token windows in one batch must have the same length");
            var tokens = tensor(chunk.SelectMany(w => w).ToArray(), new long[] { chunk.Length, length }).to(model.Device);
            var isBos = tokens.Eq(model.BosTokenId).unsqueeze(-1);                         // [b, T, 1]
            // Score positions 0..T−2 (they have a next token) whose input is not BOS.
            var scored = tokens[.., ..^1].Ne(model.BosTokenId).to(float64);                // [b, T−1]
            var targets = tokens[.., 1..];
            var n = scored.sum().item<double>();
            if (n == 0) continue;

            var cleanLogp = LogProbs(model.Forward(tokens));
            Tensor Spliced(Func<Tensor, Tensor> replace)
            {
                using var hook = model.AddHook(hookName, a => where(isBos, a, replace(a)));
                return LogProbs(model.Forward(tokens));
            }
            var saeLogp = Spliced(reconstruct);
            var zeroLogp = Spliced(a => zeros_like(a));
            double Ce(Tensor logp) => -(logp.gather(-1, targets.unsqueeze(-1)).squeeze(-1) * scored).sum().item<double>();
            clean += Ce(cleanLogp);
            sae += Ce(saeLogp);
            zero += Ce(zeroLogp);
            kl += ((cleanLogp.exp() * (cleanLogp - saeLogp)).sum(-1) * scored).sum().item<double>();
            positions += (long)n;
        }
        if (positions == 0) throw new ArgumentException("no scoreable positions: every window is empty or only BOS");
        return new LanguageModelLossMetrics(clean / positions, sae / positions, zero / positions, kl / positions, positions);
    }

    /// <summary>log-softmax of logits [b, T, V] for positions 0..T−2, in float64.</summary>
    private static Tensor LogProbs(Tensor logits) => logits[.., ..^1].to(float64).log_softmax(-1);
}
