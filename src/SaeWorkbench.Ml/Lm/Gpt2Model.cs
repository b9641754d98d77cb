using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>
/// GPT-2 (Radford et al. 2019) with TransformerLens hook points (docs/science.md §9). The unembedding is tied
/// to the token embedding, as in the Hugging Face checkpoints. Not thread-safe: run it from one thread
/// at a time (interactive use goes through <see cref="Generation.InferenceQueue"/>).
/// </summary>
public sealed class Gpt2Model : nn.Module<Tensor, Tensor>, IHookedLanguageModel
{
    private readonly Embedding wte;
    private readonly Embedding wpe;
    private readonly ModuleList<Block> h;
    private readonly LayerNorm ln_f;
    private readonly HookPoints _hooks;
    private readonly string[] _hookNames;

    public Gpt2Model(Gpt2Config config) : base("gpt2")
    {
        config.Validate();
        Config = config;
        _hookNames = HookNamesFor(config);
        _hooks = new HookPoints(_hookNames);
        wte = nn.Embedding(config.VocabSize, config.DModel);
        wpe = nn.Embedding(config.ContextLength, config.DModel);
        h = nn.ModuleList(Enumerable.Range(0, config.NLayers).Select(i => new Block(config, i, _hooks)).ToArray());
        ln_f = nn.LayerNorm(config.DModel, config.LayerNormEpsilon);
        RegisterComponents();
    }

    public Gpt2Config Config { get; }

    public string Family => "gpt2";
    public int DModel => Config.DModel;
    public int NLayers => Config.NLayers;
    public int ContextLength => Config.ContextLength;
    public int VocabSize => Config.VocabSize;
    public long BosTokenId => Config.BosTokenId;
    public IReadOnlyList<string> HookNames => _hookNames;

    /// <summary>The hook names a model with this config exposes, in forward order (no weights needed).</summary>
    public static string[] HookNamesFor(Gpt2Config config) =>
    [
        "hook_embed", "hook_pos_embed",
        .. Enumerable.Range(0, config.NLayers).SelectMany(Block.HookNames),
        "ln_final.hook_normalized",
    ];

    public Device Device => wte.weight!.device;

    /// <summary>Number of trainable parameters (the tied unembedding counted once).</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    public int HookWidth(string hookName)
    {
        _hooks.RequireKnown(hookName);
        return HookWidthFor(Config, hookName);
    }

    /// <summary>The last dimension of a (known) hook's activation, from the config alone.</summary>
    public static int HookWidthFor(Gpt2Config config, string hookName)
    {
        if (hookName.EndsWith("attn.hook_z", StringComparison.Ordinal)) return config.NHeads * config.DHead; // [batch, pos, heads · d_head]
        if (hookName.EndsWith("mlp.hook_pre", StringComparison.Ordinal) ||
            hookName.EndsWith("mlp.hook_post", StringComparison.Ordinal)) return config.DMlp;
        return config.DModel;
    }

    public IDisposable AddHook(string hookName, Func<Tensor, Tensor> hook) => _hooks.Add(hookName, hook);

    public Tensor Forward(Tensor tokens) => forward(tokens);

    public override Tensor forward(Tensor tokens) => Forward(tokens, null);

    /// <summary>
    /// Logits [batch, pos, vocab] for tokens [batch, pos]. With a <paramref name="cache"/>, the tokens are the
    /// positions after those already cached, and the cache is extended with them.
    /// </summary>
    public Tensor Forward(Tensor tokens, KvCache? cache)
    {
        var x = Trunk(tokens, cache);
        return matmul(x, wte.weight!.t());                       // [batch, pos, vocab]
    }

    public KvCache CreateKvCache() => new(Config.NLayers);

    public FinalNorm FinalNorm
    {
        get
        {
            using var noGrad = no_grad();
            return new FinalNorm(NormKind.LayerNorm,
                ln_f.weight!.detach().to(ScalarType.Float32).cpu().clone(),
                ln_f.bias!.detach().to(ScalarType.Float32).cpu().clone(), Config.LayerNormEpsilon);
        }
    }

    public double? FinalLogitSoftcap => null;

    /// <summary>GPT-2 ties W_U to the token embedding: W_U = wteᵀ.</summary>
    public Tensor UnembeddingMatrix()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return wte.weight!.detach().t().contiguous().cpu().to(ScalarType.Float32).DetachFromDisposeScope();
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

    /// <summary>Everything up to and including the final LayerNorm: [batch, pos] → [batch, pos, d_model].</summary>
    private Tensor Trunk(Tensor tokens, KvCache? cache)
    {
        if (tokens.dim() != 2)
            throw new ArgumentException($"tokens must be [batch, pos], got [{string.Join(", ", tokens.shape)}]");
        var past = cache?.Length ?? 0;
        var pos = tokens.shape[1];
        if (past + pos > Config.ContextLength)
            throw new ArgumentException(
                $"Sequence of {past + pos} tokens is longer than the model's context of {Config.ContextLength}");
        var positions = TorchScalars.Arange(past, past + pos, ScalarType.Int64, tokens.device); // [pos]
        var embed = _hooks.Apply("hook_embed", wte.forward(tokens));                              // [batch, pos, d_model]
        var posEmbed = _hooks.Apply("hook_pos_embed", wpe.forward(positions).unsqueeze(0).expand_as(embed)); // [batch, pos, d_model]
        var x = embed.Plus(posEmbed);
        foreach (var block in h) x = block.forward(x, cache);
        cache?.Advance((int)pos);
        return _hooks.Apply("ln_final.hook_normalized", ln_f.forward(x));
    }
}
