using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>Causal multi-head self-attention (GPT-2), with hook <c>blocks.{L}.attn.hook_z</c>.</summary>
public sealed class Attention : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_attn;
    private readonly Linear c_proj;
    private readonly int _layer;
    private readonly int _heads;
    private readonly int _dHead;
    private readonly HookPoints _hooks;
    private readonly string _hookZ;

    public Attention(Gpt2Config config, int layer, HookPoints hooks) : base($"attn{layer}")
    {
        c_attn = nn.Linear(config.DModel, 3 * config.DModel);
        c_proj = nn.Linear(config.DModel, config.DModel);
        _layer = layer;
        _heads = config.NHeads;
        _dHead = config.DHead;
        _hooks = hooks;
        _hookZ = $"blocks.{layer}.attn.hook_z";
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => forward(x, null);

    /// <summary>x: [batch, pos, d_model]; with a cache, pos counts only the new positions.</summary>
    public Tensor forward(Tensor x, KvCache? cache)
    {
        var (batch, pos) = (x.shape[0], x.shape[1]);
        var qkv = c_attn.forward(x);                                              // [batch, pos, 3 * d_model]
        var parts = qkv.view(batch, pos, 3, _heads, _dHead).permute(2, 0, 3, 1, 4); // [3, batch, heads, pos, d_head]
        Tensor q = parts[0], k = parts[1], v = parts[2];                          // each [batch, heads, pos, d_head]
        var past = cache?.Length ?? 0;
        if (cache is not null) (k, v) = cache.Append(_layer, k, v);             // [batch, heads, past + pos, d_head]

        Tensor z;
        if (past == 0)
            z = nn.functional.scaled_dot_product_attention(q, k, v, null, 0, true);
        else if (pos == 1)
            z = nn.functional.scaled_dot_product_attention(q, k, v);           // one new query sees every cached key
        else
        {
            // Query i (absolute position past + i) may see keys 0 .. past + i.
            var allowed = ones(pos, past + pos, ScalarType.Bool, x.device).tril(past); // [pos, past + pos]
            z = nn.functional.scaled_dot_product_attention(q, k, v, allowed);
        }
        z = z.transpose(1, 2).reshape(batch, pos, _heads * _dHead);              // [batch, pos, heads · d_head]
        z = _hooks.Apply(_hookZ, z);                                              // flattened as SAELens reads hook_z
        return c_proj.forward(z);                                                 // [batch, pos, d_model]
    }
}
