using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// The unembedding <c>W_U</c> [d, vocab], the final norm's effective scale γ [d] and the kind of that norm (a LayerNorm
/// centres, an RMSNorm does not), for logit effects.
/// </summary>
public sealed record Unembedding(Tensor WU, Tensor LnScale, FinalNormKind FinalNorm = FinalNormKind.LayerNorm) : IDisposable
{
    /// <summary>GPT-2 ties W_U to the token embedding: W_U = wteᵀ. Copies, so the model keeps its weights.</summary>
    public static Unembedding Of(Gpt2Model model)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        if (!parameters.TryGetValue("wte.weight", out var wte) || !parameters.TryGetValue("ln_f.weight", out var gamma))
            throw new ArgumentException("the model has no wte.weight / ln_f.weight parameters");
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return new Unembedding(wte.detach().t().contiguous().cpu().to(ScalarType.Float32).DetachFromDisposeScope(),
            gamma.detach().clone().cpu().to(ScalarType.Float32).DetachFromDisposeScope());
    }

    public void Dispose()
    {
        WU.Dispose();
        LnScale.Dispose();
    }
}
