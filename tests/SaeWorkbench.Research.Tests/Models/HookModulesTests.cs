using SaeWorkbench.Research.Models;

namespace SaeWorkbench.Research.Tests.Models;

/// <summary>The Hugging Face module of each hook point, as the table of docs/science.md §10.2 gives it.</summary>
public sealed class HookModulesTests
{
    [Theory]
    [InlineData("gpt2", "hook_embed", "transformer.wte output")]
    [InlineData("gpt2", "blocks.3.attn.hook_z", "input of transformer.h.3.attn.c_proj")]
    [InlineData("gpt2", "blocks.0.hook_resid_mid", "input of transformer.h.0.ln_2")]
    [InlineData("llama", "blocks.2.hook_resid_post", "output of model.layers.2")]
    [InlineData("qwen3", "blocks.1.mlp.hook_post", "input of model.layers.1.mlp.down_proj")]
    [InlineData("gemma2", "hook_embed", "model.embed_tokens output × √d")]
    [InlineData("gemma2", "blocks.4.hook_attn_out", "model.layers.4.post_attention_layernorm output")]
    [InlineData("gemma3_text", "blocks.4.ln2.hook_normalized", "model.layers.4.pre_feedforward_layernorm output")]
    [InlineData("gpt_neox", "blocks.5.attn.hook_z", "input of gpt_neox.layers.5.attention.dense")]
    [InlineData("gpt_neox", "ln_final.hook_normalized", "gpt_neox.final_layer_norm output")]
    [InlineData("mistral", "blocks.0.ln1.hook_normalized", "model.layers.0.input_layernorm output")]
    public void Each_hook_names_the_module_other_tools_read(string family, string hook, string expected) =>
        Assert.Equal(expected, HookModules.HuggingFaceName(family, hook));

    [Fact]
    public void A_hook_outside_the_table_has_no_module() => Assert.Null(HookModules.HuggingFaceName("llama", "blocks.0.hook_q"));
}
