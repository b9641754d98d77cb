using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// One pre-norm decoder for Llama (2, 3, 3.1, 3.2), Mistral, Qwen 2, Qwen 3, Gemma 2, Gemma 3 and GPT-NeoX (Pythia),
/// computing every step as the Hugging Face <c>modeling_*.py</c> of the family does; the small per-family parts are
/// switches of <see cref="DecoderConfig"/>. Weights are held by their Hugging Face names in the compute dtype.
/// TransformerLens hook points (docs/science.md §10.2) read and replace activations. Inference only; not thread-safe.
/// </summary>
public sealed class DecoderModel : IHookedLanguageModel, IDisposable
{
    private readonly Dictionary<string, Tensor> _w;
    private readonly HookPoints _hooks;
    private readonly string[] _hookNames;
    private readonly Tensor _invFreq;        // [rotary_dim / 2] float32, full-attention layers
    private readonly Tensor _invFreqLocal;   // [rotary_dim / 2] float32, sliding-window layers
    private readonly Layer[] _layers;

    /// <summary>Wraps loaded weights (owned by the model from now on), all in <paramref name="dtype"/> on one device.</summary>
    public DecoderModel(DecoderConfig config, Dictionary<string, Tensor> weights, ScalarType dtype)
    {
        Config = config;
        Dtype = dtype;
        _w = weights;
        _hookNames = config.HookNames();
        _hooks = new HookPoints(_hookNames);
        var device = weights[EmbedName].device;
        _invFreq = Rope.InverseFrequencies(config.Rope, config.RotaryDim, device);
        _invFreqLocal = Rope.InverseFrequencies(config.LocalRope ?? config.Rope, config.RotaryDim, device);
        _layers = Enumerable.Range(0, config.NLayers).Select(l => new Layer(config, l)).ToArray();
    }

    /// <summary>A model with random weights (normal, std 0.02; norm scales around their neutral value), for tests and benchmarks.</summary>
    public static DecoderModel Random(DecoderConfig config, int seed, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        using var generator = new Generator((ulong)seed, CPU);
        var weights = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, shape) in config.WeightShapes())
        {
            var isNorm = name.Contains("norm", StringComparison.Ordinal);
            var isLayerNormWeight = isNorm && config.Norm == NormKind.LayerNorm && name.EndsWith(".weight", StringComparison.Ordinal);
            var value = randn(shape, ScalarType.Float32, generator: generator).Times(isNorm ? 0.1 : 0.02);
            if ((isNorm && !config.NormPlusOne && config.Norm == NormKind.RmsNorm) || isLayerNormWeight) value.PlusInPlace(1.0);
            weights[name] = value.to(dtype, device ?? CPU).DetachFromDisposeScope();
        }
        return new DecoderModel(config, weights, dtype);
    }

    public DecoderConfig Config { get; }
    public string Family => Config.Family;
    public ScalarType Dtype { get; }
    public int DModel => Config.DModel;
    public int NLayers => Config.NLayers;
    public int ContextLength => Config.ContextLength;
    public int VocabSize => Config.VocabSize;
    public long BosTokenId => Config.BosTokenId;
    public IReadOnlyList<string> HookNames => _hookNames;
    public Device Device => _w[EmbedName].device;
    public long ParameterCount => Config.ParameterCount;

    private bool Neox => Config.Family == "gpt_neox";
    private string EmbedName => Neox ? "gpt_neox.embed_in.weight" : "model.embed_tokens.weight";
    private string FinalNormPrefix => Neox ? "gpt_neox.final_layer_norm." : "model.norm.";
    private Tensor UnembedWeight => Config.TiedEmbeddings ? _w[EmbedName] : _w[Neox ? "embed_out.weight" : "lm_head.weight"]; // [vocab, d_model]

    /// <summary>The named weight (Hugging Face name), for tools that read parameters.</summary>
    public Tensor Weight(string name) => _w[name];

    public int HookWidth(string hookName)
    {
        _hooks.RequireKnown(hookName);
        return Config.HookWidth(hookName);
    }

    public IDisposable AddHook(string hookName, Func<Tensor, Tensor> hook) => _hooks.Add(hookName, hook);

    public FinalNorm FinalNorm
    {
        get
        {
            using var scope = NewDisposeScope();
            var weight = _w[FinalNormPrefix + "weight"].detach().to(ScalarType.Float32).cpu();
            if (Config.NormPlusOne) weight = weight.Plus(1.0);   // Gemma scales by (1 + w)
            var bias = Config.Norm == NormKind.LayerNorm ? _w[FinalNormPrefix + "bias"].detach().to(ScalarType.Float32).cpu().clone() : null;
            return new FinalNorm(Config.Norm, weight.clone().DetachFromDisposeScope(), bias?.DetachFromDisposeScope(), Config.NormEps);
        }
    }

    public double? FinalLogitSoftcap => Config.FinalSoftcap;

    public Tensor UnembeddingMatrix()
    {
        using var scope = NewDisposeScope();
        return UnembedWeight.detach().t().to(ScalarType.Float32).cpu().contiguous().DetachFromDisposeScope(); // [d_model, vocab]
    }

    public KvCache CreateKvCache() => new(Config.NLayers);

    public Tensor Forward(Tensor tokens) => Forward(tokens, null);

    /// <summary>
    /// Logits [batch, pos, vocab] for tokens [batch, pos] (int64). With a <paramref name="cache"/>, the tokens are
    /// the positions after those already cached, and the cache is extended with them.
    /// </summary>
    public Tensor Forward(Tensor tokens, KvCache? cache)
    {
        var x = Trunk(tokens, cache);
        var logits = F.linear(x, UnembedWeight);                              // [batch, pos, vocab]
        if (Config.FinalSoftcap is { } cap) logits = SoftCap(logits, cap);
        return logits;
    }

    public Tensor RunToHook(Tensor tokens, string hookName)
    {
        _hooks.RequireKnown(hookName);
        using var scope = NewDisposeScope();
        _hooks.StopAt = hookName;
        try
        {
            Trunk(tokens, null);
            throw new InvalidOperationException($"Hook '{hookName}' was not reached");
        }
        catch (HookReachedException reached)
        {
            return reached.Activation.MoveToOuterDisposeScope();
        }
        finally
        {
            _hooks.StopAt = null;
        }
    }

    /// <summary>Embedding, every block and the final norm: [batch, pos] → [batch, pos, d_model].</summary>
    private Tensor Trunk(Tensor tokens, KvCache? cache)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"tokens must be [batch, pos], got [{string.Join(", ", tokens.shape)}]");
        var (batch, pos) = (tokens.shape[0], tokens.shape[1]);
        var past = cache?.Length ?? 0;
        if (past + pos > Config.ContextLength)
            throw new ArgumentException(
                $"Sequence of {past + pos} tokens is longer than the model's context of {Config.ContextLength}");
        using var noGrad = no_grad();
        var x = _w[EmbedName].index_select(0, tokens.reshape(-1).to(Device)).view(batch, pos, Config.DModel); // [batch, pos, d_model]
        if (Config.ScaleEmbeddings)
        {
            // Gemma: × √d_model, the factor itself rounded to the activation dtype first.
            using var normalizer = tensor(Math.Sqrt(Config.DModel), ScalarType.Float32, Device).to(Dtype);
            x = x.mul(normalizer);
        }
        x = _hooks.Apply("hook_embed", x);
        var (cos, sin) = Rope.Angles(_invFreq, past, pos, Dtype);                 // [pos, rotary_dim]
        var (cosLocal, sinLocal) = Config.LocalRope is null ? (cos, sin) : Rope.Angles(_invFreqLocal, past, pos, Dtype);
        foreach (var layer in _layers)
        {
            var local = Config.SlidingWindows[layer.Index] is not null;
            x = Block(layer, x, cache, past, local ? cosLocal : cos, local ? sinLocal : sin);
        }
        cache?.Advance((int)pos);
        return _hooks.Apply("ln_final.hook_normalized", Norm(x, FinalNormPrefix));
    }

    /// <summary>x [batch, pos, d_model] → [batch, pos, d_model]: attention and MLP with their residual adds.</summary>
    private Tensor Block(Layer l, Tensor x, KvCache? cache, int past, Tensor cos, Tensor sin)
    {
        var resid = _hooks.Apply(l.Hook("hook_resid_pre"), x);
        var normalized = _hooks.Apply(l.Hook("ln1.hook_normalized"), Norm(resid, l.Ln1));
        var attnOut = Attention(l, normalized, cache, past, cos, sin);
        if (Config.PostNorms) attnOut = Norm(attnOut, l.PostAttnNorm!);        // Gemma: normed before the residual add
        attnOut = _hooks.Apply(l.Hook("hook_attn_out"), attnOut);
        if (Config.ParallelResidual)
        {
            // GPT-NeoX: hidden = mlp(ln2(x)) + attn(ln1(x)) + x, both branches reading the block input.
            var mlpIn = _hooks.Apply(l.Hook("ln2.hook_normalized"), Norm(resid, l.Ln2));
            var mlpOut = _hooks.Apply(l.Hook("hook_mlp_out"), Mlp(l, mlpIn));
            return _hooks.Apply(l.Hook("hook_resid_post"), mlpOut.Plus(attnOut).Plus(resid));
        }
        var mid = _hooks.Apply(l.Hook("hook_resid_mid"), resid.Plus(attnOut));
        var mlpInput = _hooks.Apply(l.Hook("ln2.hook_normalized"), Norm(mid, l.Ln2));
        var mlpResult = Mlp(l, mlpInput);
        if (Config.PostNorms) mlpResult = Norm(mlpResult, l.PostMlpNorm!);
        mlpResult = _hooks.Apply(l.Hook("hook_mlp_out"), mlpResult);
        return _hooks.Apply(l.Hook("hook_resid_post"), mid.Plus(mlpResult));
    }

    /// <summary>Causal self-attention of layer l: x [batch, pos, d_model] → [batch, pos, d_model].</summary>
    private Tensor Attention(Layer l, Tensor x, KvCache? cache, int past, Tensor cos, Tensor sin)
    {
        var (batch, pos) = (x.shape[0], x.shape[1]);
        int heads = Config.NHeads, kvHeads = Config.NKvHeads, dHead = Config.DHead;
        Tensor z;
        // q, k, v, scores and probabilities are freed with this layer (only z leaves), so a long forward pass holds
        // one layer's attention scratch at a time; the cache owns its own copies of k and v.
        using (var scratch = NewDisposeScope())
        {
            z = AttentionHeads(l, x, cache, past, cos, sin, batch, pos, heads, kvHeads, dHead).MoveToOuterDisposeScope();
        }
        z = _hooks.Apply(l.Hook("attn.hook_z"), z);
        return Linear(z, l.A + (Neox ? "dense" : "o_proj"));                       // [batch, pos, d_model]
    }

    /// <summary>The heads' outputs z [batch, pos, heads · d_head] before the output projection.</summary>
    private Tensor AttentionHeads(Layer l, Tensor x, KvCache? cache, int past, Tensor cos, Tensor sin,
        long batch, long pos, int heads, int kvHeads, int dHead)
    {
        Tensor q, k, v;
        if (Neox)
        {
            // Fused projection, interleaved per head: each head's slice is [q | k | v].
            var qkv = Linear(x, l.A + "query_key_value")                          // [batch, pos, heads * 3 * d_head]
                .view(batch, pos, heads, 3 * dHead).transpose(1, 2);               // [batch, heads, pos, 3 * d_head]
            q = qkv.narrow(-1, 0, dHead);                                          // [batch, heads, pos, d_head]
            k = qkv.narrow(-1, dHead, dHead);
            v = qkv.narrow(-1, 2 * dHead, dHead);
        }
        else
        {
            q = Linear(x, l.A + "q_proj").view(batch, pos, heads, dHead);          // [batch, pos, heads, d_head]
            k = Linear(x, l.A + "k_proj").view(batch, pos, kvHeads, dHead);        // [batch, pos, kv_heads, d_head]
            v = Linear(x, l.A + "v_proj").view(batch, pos, kvHeads, dHead);
            if (Config.QkNorm)
            {
                // Qwen 3, Gemma 3: RMSNorm over each head's d_head, before RoPE.
                q = Norm(q, l.A + "q_norm.");
                k = Norm(k, l.A + "k_norm.");
            }
            q = q.transpose(1, 2);                                                 // [batch, heads, pos, d_head]
            k = k.transpose(1, 2);                                                 // [batch, kv_heads, pos, d_head]
            v = v.transpose(1, 2);
        }
        q = Rope.Apply(q, cos, sin);
        k = Rope.Apply(k, cos, sin);
        if (cache is not null) (k, v) = cache.Append(l.Index, k, v);              // [batch, kv_heads, past + pos, d_head]
        if (kvHeads != heads)
        {
            // Grouped-query attention: query head h reads key/value head h / (heads / kv_heads) (HF repeat_kv).
            k = k.repeat_interleave(heads / kvHeads, 1);                           // [batch, heads, keys, d_head]
            v = v.repeat_interleave(heads / kvHeads, 1);
        }
        using var scale = Config.AttentionScale.ToScalar();
        var scores = matmul(q, k.transpose(2, 3)).mul(scale);                      // [batch, heads, pos, keys]
        if (Config.AttentionSoftcap is { } cap) scores = SoftCap(scores, cap);
        scores = scores.MaskedFill(Mask(pos, past, Config.SlidingWindows[l.Index]), double.NegativeInfinity);
        var probs = scores.softmax(-1, ScalarType.Float32).to(q.dtype);            // [batch, heads, pos, keys]
        return matmul(probs, v).transpose(1, 2).reshape(batch, pos, heads * dHead); // [batch, pos, heads * d_head]
    }

    /// <summary>
    /// True where query i (absolute position past + i) may NOT see key j: j after it, or (sliding window w)
    /// j ≤ i − w, as Hugging Face's sliding_window_overlay keeps keys with q − k &lt; w. [pos, past + pos].
    /// </summary>
    private Tensor Mask(long pos, int past, int? window)
    {
        var queries = TorchScalars.Arange(past, past + pos, ScalarType.Int64, Device).unsqueeze(1);   // [pos, 1]
        var keys = TorchScalars.Arange(0, past + pos, ScalarType.Int64, Device).neg().unsqueeze(0);   // [1, keys]
        var distance = queries.Plus(keys);                                                           // q − k, [pos, keys]
        var blocked = distance.Lt(0);
        return window is { } w ? blocked.logical_or(distance.Ge((long)w)) : blocked;
    }

    private Tensor Mlp(Layer l, Tensor x)
    {
        if (Config.GatedMlp)
        {
            var gate = _hooks.Apply(l.Hook("mlp.hook_pre"), Linear(x, l.M + "gate_proj")); // [batch, pos, d_mlp]
            var post = _hooks.Apply(l.Hook("mlp.hook_post"), Activate(gate).mul(Linear(x, l.M + "up_proj")));
            return Linear(post, l.M + "down_proj");                                        // [batch, pos, d_model]
        }
        var pre = _hooks.Apply(l.Hook("mlp.hook_pre"), Linear(x, l.M + "dense_h_to_4h"));
        var hidden = _hooks.Apply(l.Hook("mlp.hook_post"), Activate(pre));
        return Linear(hidden, l.M + "dense_4h_to_h");
    }

    private Tensor Activate(Tensor x) => Config.Activation switch
    {
        "silu" => F.silu(x),
        "gelu" => F.gelu(x),
        _ => F.gelu(x, TorchSharp.Modules.GELU.Approximate.tanh),   // gelu_pytorch_tanh, gelu_new
    };

    private Tensor Linear(Tensor x, string prefix) =>
        F.linear(x, _w[prefix + ".weight"], _w.GetValueOrDefault(prefix + ".bias"));

    /// <summary>The norm whose weights start with <paramref name="prefix"/> ("model.norm."), over the last dimension.</summary>
    private Tensor Norm(Tensor x, string prefix)
    {
        var weight = _w[prefix + "weight"];
        if (Config.Norm == NormKind.LayerNorm)
            return F.layer_norm(x, [x.shape[^1]], weight, _w[prefix + "bias"], Config.NormEps);
        // RMSNorm in float32: x · rsqrt(mean(x²) + ε).
        var xf = x.to(ScalarType.Float32);
        var normalized = xf.mul(xf.mul(xf).mean([-1], keepdim: true).Plus(Config.NormEps).rsqrt());
        if (Config.NormPlusOne)
            return normalized.mul(weight.to(ScalarType.Float32).Plus(1.0)).to(x.dtype); // Gemma: (1 + w), then cast
        return weight.mul(normalized.to(x.dtype));                                      // Llama: cast, then × w
    }

    /// <summary>cap · tanh(x / cap) (Gemma 2's soft-capping).</summary>
    private static Tensor SoftCap(Tensor x, double cap) => x.DividedBy(cap).tanh().Times(cap);

    public void Dispose()
    {
        foreach (var t in _w.Values) t.Dispose();
        _w.Clear();
        _invFreq.Dispose();
        _invFreqLocal.Dispose();
    }

    /// <summary>Names of one layer's weights and hooks, built once.</summary>
    private sealed class Layer
    {
        private readonly Dictionary<string, string> _hooks = new(StringComparer.Ordinal);

        public Layer(DecoderConfig c, int index)
        {
            Index = index;
            var p = c.Family == "gpt_neox" ? $"gpt_neox.layers.{index}." : $"model.layers.{index}.";
            A = p + (c.Family == "gpt_neox" ? "attention." : "self_attn.");
            M = p + "mlp.";
            Ln1 = p + "input_layernorm.";
            Ln2 = p + (c.PostNorms ? "pre_feedforward_layernorm." : "post_attention_layernorm.");
            PostAttnNorm = c.PostNorms ? p + "post_attention_layernorm." : null;
            PostMlpNorm = c.PostNorms ? p + "post_feedforward_layernorm." : null;
            foreach (var name in c.BlockHookNames(index)) _hooks[name[($"blocks.{index}.".Length)..]] = name;
        }

        public int Index { get; }
        public string A { get; }
        public string M { get; }
        public string Ln1 { get; }
        public string Ln2 { get; }
        public string? PostAttnNorm { get; }
        public string? PostMlpNorm { get; }
        public string Hook(string local) => _hooks[local];
    }
}

/// <summary>
/// The final norm before the unembedding, as logit effects need it (docs/science.md §10): its kind (LayerNorm
/// centres, RMSNorm does not), its effective scale γ (Gemma: 1 + w) and bias as float32 CPU copies, and ε.
/// </summary>
public sealed record FinalNorm(NormKind Kind, Tensor Weight, Tensor? Bias, double Eps) : IDisposable
{
    public void Dispose()
    {
        Weight.Dispose();
        Bias?.Dispose();
    }
}
