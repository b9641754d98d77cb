using SaeWorkbench.Ml.Formats;

namespace SaeWorkbench.Ml.Tests.Formats;

public sealed class HookNameMappingTests
{
    [Theory]
    [InlineData("blocks.6.hook_resid_pre", "blocks.6.hook_resid_pre")]
    [InlineData("blocks.0.attn.hook_z", "blocks.0.attn.hook_z")]
    [InlineData("layers.10", "blocks.10.hook_resid_post")]
    [InlineData("model.layers.10", "blocks.10.hook_resid_post")]
    [InlineData("gpt_neox.layers.4", "blocks.4.hook_resid_post")]
    [InlineData("transformer.h.7", "blocks.7.hook_resid_post")]
    [InlineData("layers.10.mlp", "blocks.10.hook_mlp_out")]
    [InlineData("model.layers.10.output", "blocks.10.hook_resid_post")]
    [InlineData("model.language_model.layers.3.output", "blocks.3.hook_resid_post")]
    [InlineData("model.layers.5.pre_feedforward_layernorm.output", "blocks.5.ln2.hook_normalized")]
    [InlineData("model.layers.5.post_feedforward_layernorm.output", "blocks.5.hook_mlp_out")]
    [InlineData("model.layers.11.self_attn.o_proj.input", "blocks.11.attn.hook_z")]
    [InlineData("Llama3_1-8B-Base-L15R-8x", "blocks.15.hook_resid_post")]
    [InlineData("L3M", "blocks.3.hook_mlp_out")]
    [InlineData("L3A", "blocks.3.hook_attn_out")]
    [InlineData("embed_tokens", "hook_embed")]
    public void Published_hook_names_resolve_to_transformer_lens_names(string published, string ours) =>
        Assert.Equal(ours, HookNameMapping.Resolve(published));

    [Fact]
    public void Post_attention_layernorm_is_the_attention_output_only_in_gemma()
    {
        Assert.Equal("blocks.2.hook_attn_out", HookNameMapping.Resolve("model.layers.2.post_attention_layernorm.output", gemmaNorms: true));
        Assert.Equal("blocks.2.ln2.hook_normalized", HookNameMapping.Resolve("model.layers.2.post_attention_layernorm.output", gemmaNorms: false));
    }

    [Theory]
    [InlineData("")]
    [InlineData("encoder.layers.x")]
    [InlineData("layers.3.mystery")]
    public void Unknown_names_do_not_resolve(string name) => Assert.Null(HookNameMapping.Resolve(name));

    [Fact]
    public void A_dictionary_that_does_not_fit_the_model_is_refused_with_the_valid_choices()
    {
        using var sae = SaeFolders.Load(PublishedFormatTests.FolderOf("saelens-standard"));
        var widths = new Dictionary<string, int> { ["blocks.1.hook_resid_post"] = 16, ["blocks.0.hook_resid_post"] = 12, ["blocks.0.hook_mlp_out"] = 12 };
        var problem = SaeFolders.CheckAgainst(sae, widths)!;
        Assert.Contains("d_in is 12", problem);
        Assert.Contains("blocks.0.hook_resid_post, blocks.0.hook_mlp_out", problem);
        Assert.Contains("is not a hook of the model", SaeFolders.CheckAgainst(sae, new Dictionary<string, int> { ["hook_embed"] = 12 })!);
        Assert.Null(SaeFolders.CheckAgainst(sae, new Dictionary<string, int> { ["blocks.1.hook_resid_post"] = 12 }));
    }

    [Fact]
    public void A_transcoder_is_checked_at_both_hooks()
    {
        using var tc = SaeFolders.Load(PublishedFormatTests.FolderOf("saelens-skip-transcoder"));
        var widths = new Dictionary<string, int> { ["blocks.1.ln2.hook_normalized"] = 12, ["blocks.1.hook_mlp_out"] = 12 };
        Assert.Contains("d_out is 10", SaeFolders.CheckAgainst(tc, widths)!);
        widths["blocks.1.hook_mlp_out"] = 10;
        Assert.Null(SaeFolders.CheckAgainst(tc, widths));
    }
}
