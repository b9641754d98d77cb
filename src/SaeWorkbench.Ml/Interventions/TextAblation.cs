using SaeWorkbench.Ml.Lm;
using SaeWorkbench.Ml.Sae;
using TorchSharp;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Interventions;

/// <summary>One token of a fixed text: its loss (−log p of this token given the ones before) without and with the ablation.</summary>
public sealed record TokenLossChange(int Position, int TokenId, string Text, float? BaselineLoss, float? AblatedLoss)
{
    /// <summary>Ablated − baseline; positive where the latents helped predict the token. Null at BOS.</summary>
    public float? Change => AblatedLoss - BaselineLoss;
}

/// <summary>The next-token distribution after one position, without and with the ablation.</summary>
public sealed record NextTokenChange(int Position, IReadOnlyList<TokenProbability> Baseline, IReadOnlyList<TokenProbability> Ablated,
    IReadOnlyList<TokenProbability> MostIncreased, IReadOnlyList<TokenProbability> MostDecreased, double Kl);

public sealed record TextAblationResult(IReadOnlyList<TokenLossChange> Tokens, NextTokenChange? Next);

/// <summary>
/// Which tokens of a fixed text the latents help predict. The text runs twice through the model (BOS first):
/// as is, and with the latents ablated (error term kept, docs/science.md §7) at every position after BOS (BOS too when
/// asked). The caller owns the thread.
/// </summary>
public static class TextAblation
{
    /// <param name="nextTokenPosition">Position (0 = BOS) whose next-token distribution is compared; null: none.</param>
    /// <param name="includeBos">Also ablate at the BOS position (left alone by default, see <see cref="InterventionSet.IncludeBos"/>).</param>
    /// <param name="outputHookName">A transcoder's output hook, where its latents are ablated (docs/science.md §12); null for an SAE.</param>
    public static TextAblationResult Run(IHookedLanguageModel model, SparseAutoencoder sae, string hookName, IReadOnlyList<int> tokenIds,
        IReadOnlyList<int> latents, Func<int, string> tokenText, int? nextTokenPosition = null, int top = 5, bool includeBos = false,
        string? outputHookName = null)
    {
        if (latents.Count == 0) throw new ArgumentException("choose at least one latent to ablate");
        var set = new InterventionSet
        {
            Latents = latents.Distinct().Select(l => new LatentIntervention(l, InterventionKind.Ablate)).ToList(), IncludeBos = includeBos,
        };
        set.Validate(sae);
        HookPoints.RequireKnown(model.HookNames, hookName);
        if (tokenIds.Count == 0) throw new ArgumentException("type a text to ablate on");
        long[] ids = [model.BosTokenId, .. tokenIds.Select(t => (long)t)];
        if (ids.Length > model.ContextLength)
            throw new ArgumentException($"the text is {ids.Length} tokens long with BOS, more than the model's context of {model.ContextLength}. Shorten it.");
        if (nextTokenPosition is { } q && (q < 0 || q >= ids.Length))
            throw new ArgumentException($"position {q} is outside the text (0–{ids.Length - 1})");

        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var tokens = tensor(ids, [1, ids.Length], device: model.Device);                     // [1, T]
        var baseline = model.Forward(tokens)[0].to(ScalarType.Float32).cpu().log_softmax(-1); // [T, vocab]
        Tensor ablated;
        using (new InterventionHook(sae, set).Attach(model, hookName, outputHookName))
            ablated = model.Forward(tokens)[0].to(ScalarType.Float32).cpu().log_softmax(-1);  // [T, vocab]
        var targets = tensor(ids[1..]).unsqueeze(1);                                           // [T−1, 1]
        var baseLoss = (-baseline[..^1].gather(1, targets)).squeeze(1).data<float>().ToArray();
        var ablatedLoss = (-ablated[..^1].gather(1, targets)).squeeze(1).data<float>().ToArray();
        var rows = new List<TokenLossChange>(ids.Length) { new(0, (int)ids[0], tokenText((int)ids[0]), null, null) };
        for (var p = 1; p < ids.Length; p++)
            rows.Add(new TokenLossChange(p, (int)ids[p], tokenText((int)ids[p]), baseLoss[p - 1], ablatedLoss[p - 1]));

        NextTokenChange? next = null;
        if (nextTokenPosition is { } at)
        {
            var b = baseline[at];
            var a = ablated[at];
            List<TokenProbability> Top(Tensor scores, Tensor probs, bool largest)
            {
                var (_, idx) = scores.topk(top, largest: largest);
                return idx.data<long>().Select(i => new TokenProbability((int)i, tokenText((int)i), probs[i].item<float>())).ToList();
            }
            var kl = (b.exp() * (b - a)).sum().item<float>();
            var diff = a.exp() - b.exp();
            next = new NextTokenChange(at, Top(b, b.exp(), true), Top(a, a.exp(), true), Top(diff, diff, true), Top(diff, diff, false), Math.Max(0, kl));
        }
        return new TextAblationResult(rows, next);
    }
}
