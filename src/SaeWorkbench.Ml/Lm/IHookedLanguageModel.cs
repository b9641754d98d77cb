using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// A causal language model whose activations can be read or replaced at named hook points
/// (TransformerLens names, docs/science.md §9). The SAE trainer, analysis and interventions depend only on this.
/// </summary>
public interface IHookedLanguageModel : IDisposable
{
    /// <summary>Hugging Face model_type of the architecture (gpt2, llama, qwen3, gemma2, gpt_neox, …).</summary>
    string Family { get; }

    /// <summary>Width of the residual stream.</summary>
    int DModel { get; }

    /// <summary>Number of transformer blocks.</summary>
    int NLayers { get; }

    /// <summary>Number of parameters (a tied unembedding counted once).</summary>
    long ParameterCount { get; }

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
    /// Logits for the positions after those already in <paramref name="cache"/> (which it extends); equal to the
    /// matching rows of a full forward pass, sliding windows included. A null cache is a plain forward pass.
    /// </summary>
    Tensor Forward(Tensor tokens, KvCache? cache);

    /// <summary>An empty key/value cache for this model (dispose it when the generation ends).</summary>
    KvCache CreateKvCache();

    /// <summary>The final norm before the unembedding (kind, effective scale, bias, ε) as float32 CPU copies.</summary>
    FinalNorm FinalNorm { get; }

    /// <summary>Logit soft-capping cap·tanh(l/cap) after the unembedding (Gemma 2), or null.</summary>
    double? FinalLogitSoftcap { get; }

    /// <summary>A float32 CPU copy of the unembedding W_U [d_model, vocab] (logits = ln_final(x) · W_U).</summary>
    Tensor UnembeddingMatrix();

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
