using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Analysis;

/// <summary>
/// The unembedding <c>W_U</c> [d, vocab] and the final norm's effective scale γ [d] of a model (for logit effects,
/// docs/science.md §10), with the norm's kind: a LayerNorm centres its input, an RMSNorm does not.
/// </summary>
public sealed record Unembedding(Tensor WU, Tensor LnScale) : IDisposable
{
    /// <summary>LayerNorm (GPT-2, GPT-NeoX) or RMSNorm (Llama, Qwen, Gemma).</summary>
    public NormKind NormKind { get; init; } = NormKind.LayerNorm;

    /// <summary>Copies W_U and γ (Gemma: 1 + w) from any family, so the model keeps its weights.</summary>
    public static Unembedding Of(IHookedLanguageModel model)
    {
        using var norm = model.FinalNorm;
        return new Unembedding(model.UnembeddingMatrix(), norm.Weight.clone()) { NormKind = norm.Kind };
    }

    public void Dispose()
    {
        WU.Dispose();
        LnScale.Dispose();
    }
}
