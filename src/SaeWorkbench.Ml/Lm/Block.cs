using SaeWorkbench.Ml.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>One pre-LayerNorm transformer block: x + attn(ln_1(x)), then + mlp(ln_2(·)).</summary>
public sealed class Block : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm ln_1;
    private readonly Attention attn;
    private readonly LayerNorm ln_2;
    private readonly Mlp mlp;
    private readonly HookPoints _hooks;
    private readonly string _prefix;

    public Block(Gpt2Config config, int layer, HookPoints hooks) : base($"block{layer}")
    {
        ln_1 = nn.LayerNorm(config.DModel, config.LayerNormEpsilon);
        attn = new Attention(config, layer, hooks);
        ln_2 = nn.LayerNorm(config.DModel, config.LayerNormEpsilon);
        mlp = new Mlp(config, layer, hooks);
        _hooks = hooks;
        _prefix = $"blocks.{layer}.";
        RegisterComponents();
    }

    /// <summary>The hook names of block <paramref name="layer"/>, in forward order.</summary>
    public static IEnumerable<string> HookNames(int layer) =>
        new[]
        {
            "hook_resid_pre", "ln1.hook_normalized", "attn.hook_z", "hook_attn_out", "hook_resid_mid",
            "ln2.hook_normalized", "mlp.hook_pre", "mlp.hook_post", "hook_mlp_out", "hook_resid_post",
        }.Select(n => $"blocks.{layer}.{n}");

    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>x: [batch, pos, d_model] → [batch, pos, d_model].</summary>
    public Tensor forward(Tensor x, KvCache? cache)
    {
        var resid = _hooks.Apply(_prefix + "hook_resid_pre", x);
        var normalized = _hooks.Apply(_prefix + "ln1.hook_normalized", ln_1.forward(resid));
        var attnOut = _hooks.Apply(_prefix + "hook_attn_out", attn.forward(normalized, cache));
        var mid = _hooks.Apply(_prefix + "hook_resid_mid", resid.Plus(attnOut));
        var mlpOut = _hooks.Apply(_prefix + "hook_mlp_out", mlp.forward(_hooks.Apply(_prefix + "ln2.hook_normalized", ln_2.forward(mid))));
        return _hooks.Apply(_prefix + "hook_resid_post", mid.Plus(mlpOut));
    }
}
