namespace SaeWorkbench.Ml.Lm;

/// <summary>Which normalisation a model uses (docs/science.md §10).</summary>
public enum NormKind
{
    /// <summary>(x − mean) / √(var + ε) · γ + β (GPT-2, GPT-NeoX).</summary>
    LayerNorm,

    /// <summary>x / √(mean(x²) + ε) · γ, no centring (Llama, Qwen, Gemma).</summary>
    RmsNorm,
}

/// <summary>
/// Rotary position embedding of one kind of layer, as Hugging Face's <c>modeling_rope_utils.py</c> computes it.
/// </summary>
public sealed record RopeSpec(
    // Base θ of the frequencies 1/θ^(2i/d) (HF: rope_theta, rope_local_base_freq, rotary_emb_base).
    double Theta,
    // "default", "linear" (frequencies ÷ factor) or "llama3" (Llama 3.1 band-wise scaling) (HF: rope_type / type).
    string Type = "default",
    // Scaling factor of "linear" and "llama3" (HF: factor).
    double Factor = 1,
    // "llama3": wavelengths longer than original_max_position_embeddings / low_freq_factor are divided by factor.
    double LowFreqFactor = 1,
    // "llama3": wavelengths shorter than original_max_position_embeddings / high_freq_factor are kept.
    double HighFreqFactor = 4,
    // "llama3": the context the model was pre-trained with (HF: original_max_position_embeddings).
    int OriginalMaxPositions = 8192);

/// <summary>
/// Hyper-parameters of a pre-norm decoder-only transformer of the Llama, Mistral, Qwen 2/3, Gemma 2/3 or GPT-NeoX
/// family, read from a Hugging Face <c>config.json</c> by <see cref="HuggingFaceConfig"/>. GPT-2 has its own
/// <see cref="Gpt2Config"/>. docs/science.md §10.2 lists how each family sets these fields.
/// </summary>
public sealed record DecoderConfig(
    // Hugging Face model_type: llama, mistral, qwen2, qwen3, gemma2, gemma3_text or gpt_neox.
    string Family,
    // Number of token ids (HF: vocab_size).
    int VocabSize,
    // Width of the residual stream (HF: hidden_size).
    int DModel,
    // Number of decoder layers (HF: num_hidden_layers).
    int NLayers,
    // Query heads per layer (HF: num_attention_heads).
    int NHeads,
    // Key/value heads per layer; fewer than NHeads is grouped-query attention (HF: num_key_value_heads).
    int NKvHeads,
    // Width of one head; may differ from DModel / NHeads (HF: head_dim; Qwen 3, Gemma).
    int DHead,
    // Hidden width of the MLP (HF: intermediate_size).
    int DMlp,
    // Largest number of positions the model was configured for (HF: max_position_embeddings).
    int ContextLength,
    // LayerNorm (GPT-NeoX) or RMSNorm (the rest).
    NormKind Norm,
    // ε of every norm (HF: rms_norm_eps / layer_norm_eps).
    double NormEps,
    // Gemma's RMSNorm scales by (1 + w) in float32 instead of w.
    bool NormPlusOne,
    // MLP non-linearity: silu, gelu (exact erf), gelu_pytorch_tanh (HF: hidden_act / hidden_activation).
    string Activation,
    // down(act(gate(x)) · up(x)) (Llama family) instead of out(act(in(x))) (GPT-NeoX).
    bool GatedMlp,
    // The MLP's linear layers have biases (HF: mlp_bias; GPT-NeoX always).
    bool MlpBias,
    // q, k and v projections have biases (HF: attention_bias; Qwen 2 always).
    bool QkvBias,
    // The attention output projection has a bias (HF: attention_bias; not in Qwen 2).
    bool OutBias,
    // Per-head RMSNorm of queries and keys before RoPE (Qwen 3, Gemma 3).
    bool QkNorm,
    // Gemma 2/3's extra norms on the attention and MLP outputs before they join the residual stream.
    bool PostNorms,
    // Embeddings are multiplied by √DModel (Gemma), in the activation dtype.
    bool ScaleEmbeddings,
    // Factor on q·k (1/√DHead; Gemma: query_pre_attn_scalar^-½).
    double AttentionScale,
    // Attention logits become cap·tanh(s/cap) (HF: attn_logit_softcapping; Gemma 2).
    double? AttentionSoftcap,
    // Output logits become cap·tanh(l/cap) (HF: final_logit_softcapping; Gemma 2).
    double? FinalSoftcap,
    // The output head is the token embedding (HF: tie_word_embeddings).
    bool TiedEmbeddings,
    // GPT-NeoX's x + attn(ln1(x)) + mlp(ln2(x)) (HF: use_parallel_residual).
    bool ParallelResidual,
    // Leading dimensions of each head that RoPE rotates (GPT-NeoX: head_dim · rotary_pct; others all of it).
    int RotaryDim,
    // RoPE of the full-attention layers.
    RopeSpec Rope,
    // RoPE of the sliding-window layers when it differs (Gemma 3: rope_local_base_freq); null: same as Rope.
    RopeSpec? LocalRope,
    // Per layer: the sliding window (a query sees keys with q − k &lt; window) or null for full causal attention.
    IReadOnlyList<int?> SlidingWindows,
    // Token id the tokenizer puts first (HF: bos_token_id).
    int BosTokenId,
    // The dtype the weights are stored in (HF: torch_dtype / dtype), e.g. "bfloat16".
    string StoredDtype)
{
    /// <summary>Hook names of this model, in forward order (TransformerLens names; docs/science.md §10.2).</summary>
    public string[] HookNames() =>
    [
        "hook_embed",
        .. Enumerable.Range(0, NLayers).SelectMany(BlockHookNames),
        "ln_final.hook_normalized",
    ];

    /// <summary>The hook names of layer <paramref name="layer"/>, in forward order.</summary>
    public IEnumerable<string> BlockHookNames(int layer)
    {
        var names = new List<string> { "hook_resid_pre", "ln1.hook_normalized", "attn.hook_z", "hook_attn_out" };
        // A parallel block never forms x + attn(x): there is no resid_mid (as in TransformerLens).
        if (!ParallelResidual) names.Add("hook_resid_mid");
        names.AddRange(["ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post"]);
        return names.Select(n => $"blocks.{layer}.{n}");
    }

    /// <summary>The last dimension of a hook's activation; attn.hook_z is flattened to heads · d_head.</summary>
    public int HookWidth(string hookName) =>
        hookName.EndsWith("attn.hook_z", StringComparison.Ordinal) ? NHeads * DHead
        : hookName.EndsWith("mlp.hook_pre", StringComparison.Ordinal) || hookName.EndsWith("mlp.hook_post", StringComparison.Ordinal) ? DMlp
        : DModel;

    /// <summary>Every weight tensor the checkpoint must hold, by its Hugging Face name, with its shape.</summary>
    public IReadOnlyList<(string Name, long[] Shape)> WeightShapes()
    {
        var list = new List<(string, long[])>();
        long d = DModel, q = NHeads * DHead, kv = NKvHeads * DHead, m = DMlp, v = VocabSize, h = DHead;
        void Add(string name, params long[] shape) => list.Add((name, shape));
        if (Family == "gpt_neox")
        {
            Add("gpt_neox.embed_in.weight", v, d);
            for (var l = 0; l < NLayers; l++)
            {
                var p = $"gpt_neox.layers.{l}.";
                Add(p + "input_layernorm.weight", d); Add(p + "input_layernorm.bias", d);
                Add(p + "post_attention_layernorm.weight", d); Add(p + "post_attention_layernorm.bias", d);
                Add(p + "attention.query_key_value.weight", 3 * q, d);
                if (QkvBias) Add(p + "attention.query_key_value.bias", 3 * q);
                Add(p + "attention.dense.weight", d, q);
                if (OutBias) Add(p + "attention.dense.bias", d);
                Add(p + "mlp.dense_h_to_4h.weight", m, d); Add(p + "mlp.dense_h_to_4h.bias", m);
                Add(p + "mlp.dense_4h_to_h.weight", d, m); Add(p + "mlp.dense_4h_to_h.bias", d);
            }
            Add("gpt_neox.final_layer_norm.weight", d); Add("gpt_neox.final_layer_norm.bias", d);
            if (!TiedEmbeddings) Add("embed_out.weight", v, d);
            return list;
        }
        Add("model.embed_tokens.weight", v, d);
        for (var l = 0; l < NLayers; l++)
        {
            var p = $"model.layers.{l}.";
            Add(p + "input_layernorm.weight", d);
            Add(p + "self_attn.q_proj.weight", q, d);
            Add(p + "self_attn.k_proj.weight", kv, d);
            Add(p + "self_attn.v_proj.weight", kv, d);
            if (QkvBias) { Add(p + "self_attn.q_proj.bias", q); Add(p + "self_attn.k_proj.bias", kv); Add(p + "self_attn.v_proj.bias", kv); }
            if (QkNorm) { Add(p + "self_attn.q_norm.weight", h); Add(p + "self_attn.k_norm.weight", h); }
            Add(p + "self_attn.o_proj.weight", d, q);
            if (OutBias) Add(p + "self_attn.o_proj.bias", d);
            Add(p + "post_attention_layernorm.weight", d);
            if (PostNorms) { Add(p + "pre_feedforward_layernorm.weight", d); Add(p + "post_feedforward_layernorm.weight", d); }
            Add(p + "mlp.gate_proj.weight", m, d);
            Add(p + "mlp.up_proj.weight", m, d);
            Add(p + "mlp.down_proj.weight", d, m);
            if (MlpBias) { Add(p + "mlp.gate_proj.bias", m); Add(p + "mlp.up_proj.bias", m); Add(p + "mlp.down_proj.bias", d); }
        }
        Add("model.norm.weight", d);
        if (!TiedEmbeddings) Add("lm_head.weight", v, d);
        return list;
    }

    /// <summary>Number of parameters (a tied head counted once).</summary>
    public long ParameterCount => WeightShapes().Sum(w => w.Shape.Aggregate(1L, (a, b) => a * b));
}
