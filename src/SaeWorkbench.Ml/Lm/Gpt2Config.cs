namespace SaeWorkbench.Ml.Lm;

/// <summary>Hyper-parameters of a GPT-2-architecture model (the fields of a Hugging Face <c>config.json</c>).</summary>
public sealed record Gpt2Config(
    // Number of token ids the embedding holds (HF: vocab_size).
    int VocabSize,
    // Largest number of positions the model accepts; size of the position embedding (HF: n_positions).
    int ContextLength,
    // Width of the residual stream (HF: n_embd).
    int DModel,
    // Number of transformer blocks (HF: n_layer).
    int NLayers,
    // Attention heads per block; DModel must be divisible by it (HF: n_head).
    int NHeads,
    // Epsilon added to the variance in every LayerNorm (HF: layer_norm_epsilon).
    double LayerNormEpsilon = 1e-5,
    // MLP non-linearity; only GPT-2's tanh-approximated "gelu_new" is implemented (HF: activation_function).
    string Activation = "gelu_new",
    // Token id used as beginning and end of sequence (HF: bos_token_id / eos_token_id).
    int BosTokenId = 0)
{
    /// <summary>Width of one attention head.</summary>
    public int DHead => DModel / NHeads;

    /// <summary>Hidden width of the MLP (GPT-2 uses four times the residual width).</summary>
    public int DMlp => 4 * DModel;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first inconsistent field.</summary>
    public void Validate()
    {
        if (VocabSize <= 0) throw new ArgumentException($"vocab_size must be positive, got {VocabSize}");
        if (ContextLength <= 0) throw new ArgumentException($"n_positions must be positive, got {ContextLength}");
        if (NLayers <= 0) throw new ArgumentException($"n_layer must be positive, got {NLayers}");
        if (NHeads <= 0 || DModel <= 0 || DModel % NHeads != 0)
            throw new ArgumentException($"n_embd ({DModel}) must be a positive multiple of n_head ({NHeads})");
        if (Activation is not ("gelu_new" or "gelu_pytorch_tanh"))
            throw new ArgumentException($"activation_function '{Activation}' is not supported (only gelu_new)");
        if (BosTokenId < 0 || BosTokenId >= VocabSize)
            throw new ArgumentException($"bos_token_id {BosTokenId} is outside the vocabulary of {VocabSize}");
    }
}
