using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// A causal language model whose activations can be read or replaced at named hook points
/// (TransformerLens names, SCIENCE.md §9). The SAE trainer, analysis and interventions depend only on this.
/// </summary>
public interface IHookedLanguageModel
{
    /// <summary>Width of the residual stream.</summary>
    int DModel { get; }

    /// <summary>Maximum number of positions the model accepts.</summary>
    int ContextLength { get; }

    int VocabSize { get; }

    /// <summary>Token id used as beginning/end of sequence (GPT-2: <c>&lt;|endoftext|&gt;</c>).</summary>
    long BosTokenId { get; }

    /// <summary>Every hook name the model exposes, in forward order.</summary>
    IReadOnlyList<string> HookNames { get; }

    /// <summary>Width of the activation at <paramref name="hookName"/> (last dimension).</summary>
    int HookWidth(string hookName);

    Device Device { get; }

    /// <summary>Logits [batch, pos, vocab] for token ids [batch, pos] (int64). Active hooks run.</summary>
    Tensor Forward(Tensor tokens);

    /// <summary>
    /// Runs the model only as far as <paramref name="hookName"/> and returns that activation
    /// ([batch, pos, width]); cheaper than a full forward when only activations are needed.
    /// </summary>
    Tensor RunToHook(Tensor tokens, string hookName);

    /// <summary>
    /// Adds a hook: <paramref name="hook"/> receives the activation and returns either it (read-only use)
    /// or a replacement of the same shape. It stays active, for every forward pass and every step of a
    /// generation, until the returned handle is disposed. An unknown name throws
    /// <see cref="ArgumentException"/> listing the valid names.
    /// </summary>
    IDisposable AddHook(string hookName, Func<Tensor, Tensor> hook);
}
