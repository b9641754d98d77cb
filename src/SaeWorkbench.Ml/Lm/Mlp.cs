using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Lm;

/// <summary>GPT-2 feed-forward layer with hooks <c>blocks.{L}.mlp.hook_pre</c> and <c>hook_post</c>.</summary>
public sealed class Mlp : nn.Module<Tensor, Tensor>
{
    private readonly Linear c_fc;
    private readonly Linear c_proj;
    private readonly HookPoints _hooks;
    private readonly string _hookPre;
    private readonly string _hookPost;

    public Mlp(Gpt2Config config, int layer, HookPoints hooks) : base($"mlp{layer}")
    {
        c_fc = nn.Linear(config.DModel, config.DMlp);
        c_proj = nn.Linear(config.DMlp, config.DModel);
        _hooks = hooks;
        _hookPre = $"blocks.{layer}.mlp.hook_pre";
        _hookPost = $"blocks.{layer}.mlp.hook_post";
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        var pre = _hooks.Apply(_hookPre, c_fc.forward(x));  // [batch, pos, d_mlp]
        var post = _hooks.Apply(_hookPost, GeluNew(pre));    // [batch, pos, d_mlp]
        return c_proj.forward(post);                         // [batch, pos, d_model]
    }

    private static readonly double C1 = 2 * Math.Sqrt(2 / Math.PI);
    private static readonly double C2 = C1 * 0.044715;

    /// <summary>
    /// GPT-2's "gelu_new": 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) (Hendrycks &amp; Gimpel 2016, tanh form).
    /// Without autograd it is computed as x · σ(2√(2/π) (x + 0.044715 x³)) — the same function, since
    /// ½(1 + tanh u) = σ(2u) — in four in-place passes: libtorch's CPU tanh is about three times slower than its
    /// sigmoid, and this was a tenth of the forward pass. The results agree to float rounding (~1e-7 relative).
    /// </summary>
    public static Tensor GeluNew(Tensor x)
    {
        if (x.requires_grad && is_grad_enabled()) return nn.functional.gelu(x, GELU.Approximate.tanh);
        using var c1 = tensor(C1, x.dtype, x.device);
        using var c2 = C2.ToScalar();
        return addcmul(c1, x, x, c2).mul_(x).sigmoid_().mul_(x);   // σ(x·(c1 + c2·x²))·x
    }
}
