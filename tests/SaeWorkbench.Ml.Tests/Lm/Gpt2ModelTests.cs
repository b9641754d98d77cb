using SaeWorkbench.Ml.Lm;
using static TorchSharp.torch;

namespace SaeWorkbench.Ml.Tests.Lm;

public sealed class Gpt2ModelTests
{
    [Fact]
    public void Forward_returns_logits_for_every_position_and_vocabulary_entry()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        var logits = model.Forward(TinyModels.RandomTokens(3, 10));
        Assert.Equal([3L, 10, 97], logits.shape);
    }

    [Fact]
    public void Inference_gelu_new_equals_the_tanh_formula_and_autograd_path()
    {
        using var scope = NewDisposeScope();
        var x = linspace(-12, 12, 20001);
        // 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))) in double precision, the definition.
        var xd = x.to(ScalarType.Float64);
        var expected = (0.5 * xd * (1 + (Math.Sqrt(2 / Math.PI) * (xd + 0.044715 * xd.pow(3))).tanh())).to(ScalarType.Float32);
        Tensor fast;
        using (no_grad()) fast = Mlp.GeluNew(x);
        var withGrad = Mlp.GeluNew(x.clone().requires_grad_(true));
        Assert.True(withGrad.requires_grad, "the autograd path must keep the graph");
        Assert.True((fast - expected).abs().max().item<float>() < 2e-6f, "fast path deviates from the definition");
        Assert.True((withGrad.detach() - expected).abs().max().item<float>() < 2e-6f, "autograd path deviates from the definition");
        Assert.Equal(0f, Mlp.GeluNew(zeros(3)).abs().max().item<float>());
    }

    [Fact]
    public void Changing_token_t_changes_no_logit_before_t()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(1, 16);
        var changed = tokens.clone();
        changed[0, 9] = (changed[0, 9] + 1) % 97;
        var before = model.Forward(tokens);
        var after = model.Forward(changed);
        var earlier = (before[.., ..9] - after[.., ..9]).abs().max().item<float>();
        var later = (before[.., 9..] - after[.., 9..]).abs().max().item<float>();
        Assert.Equal(0f, earlier);
        Assert.True(later > 1e-6f, $"changing token 9 should change its own logits, max diff {later}");
    }

    [Fact]
    public void Hook_names_follow_TransformerLens_in_forward_order()
    {
        using var model = TinyModels.Create();
        Assert.Equal("hook_embed", model.HookNames[0]);
        Assert.Equal("hook_pos_embed", model.HookNames[1]);
        Assert.Equal("blocks.0.hook_resid_pre", model.HookNames[2]);
        Assert.Contains("blocks.1.attn.hook_z", model.HookNames);
        Assert.Contains("blocks.1.mlp.hook_post", model.HookNames);
        Assert.Equal("ln_final.hook_normalized", model.HookNames[^1]);
        Assert.Contains("blocks.1.ln2.hook_normalized", model.HookNames);
        Assert.Equal(2 + 2 * 10 + 1, model.HookNames.Count);
    }

    [Fact]
    public void Every_hook_sees_an_activation_of_its_reported_width()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        var seen = new Dictionary<string, long[]>();
        var handles = model.HookNames.Select(name => model.AddHook(name, a => { seen[name] = a.shape; return a; })).ToList();
        model.Forward(TinyModels.RandomTokens(2, 5));
        handles.ForEach(h => h.Dispose());
        Assert.Equal(model.HookNames.Count, seen.Count);
        foreach (var (name, shape) in seen) Assert.Equal(model.HookWidth(name), (int)shape[^1]);
        Assert.Equal([2L, 5, 4 * 8], seen["blocks.0.attn.hook_z"]);   // heads · d_head, flattened as SAELens reads it
    }

    [Fact]
    public void A_replace_hook_returning_its_input_changes_no_logit()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(2, 12);
        var plain = model.Forward(tokens);
        var calls = 0;
        using (model.AddHook("blocks.1.hook_resid_post", a => { calls++; return a.clone(); }))
        using (model.AddHook("blocks.0.attn.hook_z", a => { calls++; return a * 1; }))
        {
            var hooked = model.Forward(tokens);
            Assert.Equal(0f, (plain - hooked).abs().max().item<float>());
        }
        Assert.Equal(2, calls);
    }

    [Fact]
    public void Zeroing_the_last_residual_stream_changes_the_logits_until_the_hook_is_disposed()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(2, 12);
        var plain = model.Forward(tokens);
        var handle = model.AddHook("blocks.1.hook_resid_post", a => zeros_like(a));
        var zeroed = model.Forward(tokens);
        handle.Dispose();
        var again = model.Forward(tokens);
        Assert.True((plain - zeroed).abs().max().item<float>() > 1e-3f);
        Assert.Equal(0f, (plain - again).abs().max().item<float>());
    }

    [Fact]
    public void RunToHook_returns_the_activation_a_read_hook_sees_in_a_full_forward()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(2, 7);
        Tensor? seen = null;
        using (model.AddHook("blocks.0.hook_resid_mid", a => { seen = a.clone(); return a; }))
            model.Forward(tokens);
        var early = model.RunToHook(tokens, "blocks.0.hook_resid_mid");
        Assert.Equal(0f, (early - seen!).abs().max().item<float>());
        var later = 0;
        using (model.AddHook("blocks.1.hook_resid_pre", a => { later++; return a; }))
            model.RunToHook(tokens, "blocks.0.hook_resid_mid");
        Assert.Equal(0, later);
    }

    [Fact]
    public void An_unknown_hook_name_is_refused_listing_the_valid_names()
    {
        using var model = TinyModels.Create();
        var error = Assert.Throws<ArgumentException>(() => model.AddHook("blocks.9.hook_resid_post", a => a));
        Assert.Contains("blocks.1.hook_resid_post", error.Message);
    }

    [Fact]
    public void A_sequence_longer_than_the_context_is_refused()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => model.Forward(TinyModels.RandomTokens(1, 33)));
        Assert.Contains("context of 32", error.Message);
    }

    [Fact]
    public void Cached_forward_one_token_at_a_time_equals_the_full_forward()
    {
        using var model = TinyModels.Create();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var tokens = TinyModels.RandomTokens(2, 20);
        var full = model.Forward(tokens);
        using var cache = new KvCache(model.Config.NLayers);
        var prefix = model.Forward(tokens[.., ..8], cache);
        var steps = new List<Tensor> { prefix };
        for (var t = 8; t < 20; t++) steps.Add(model.Forward(tokens[.., t..(t + 1)], cache));
        var cached = cat(steps, 1);
        Assert.True((full - cached).abs().max().item<float>() < 1e-4f);
        Assert.Equal(20, cache.Length);
    }
}
