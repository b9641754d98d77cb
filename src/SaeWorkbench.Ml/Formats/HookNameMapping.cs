using System.Text.RegularExpressions;

namespace SaeWorkbench.Ml.Formats;

/// <summary>
/// Maps the hook names published dictionaries use to this workbench's TransformerLens hook names (docs/science.md §9,
/// §11), by pattern and for every model family alike: TransformerLens names as they are; Hugging Face module names
/// (sparsify folders such as <c>layers.10</c>, Gemma Scope 2's <c>hf_hook_point_in/out</c> such as
/// <c>model.layers.10.output</c>) with any <c>model.</c> / <c>transformer.</c> / <c>gpt_neox.</c> prefix; Llama Scope's
/// <c>L{L}R</c>, <c>L{L}M</c>, <c>L{L}A</c> names.
/// </summary>
public static partial class HookNameMapping
{
    /// <summary>Our hook name for <paramref name="published"/>, or null when the name is not recognised.</summary>
    /// <param name="published">The name as the dictionary writes it.</param>
    /// <param name="gemmaNorms">
    /// Whether the model has Gemma's sandwich norms, where <c>post_attention_layernorm</c> normalises the attention
    /// output; elsewhere (Llama, Qwen) it is the norm before the MLP.
    /// </param>
    public static string? Resolve(string published, bool gemmaNorms = false)
    {
        var name = published.Trim();
        if (name.Length == 0) return null;
        if (name is "hook_embed" or "hook_pos_embed" or "ln_final.hook_normalized" || TransformerLens().IsMatch(name)) return name;

        var scope = LlamaScope().Match(name);
        if (scope.Success)
        {
            var layer = scope.Groups["layer"].Value;
            return scope.Groups["site"].Value switch
            {
                "R" => $"blocks.{layer}.hook_resid_post",
                "M" => $"blocks.{layer}.hook_mlp_out",
                "A" => $"blocks.{layer}.hook_attn_out",
                _ => null,
            };
        }

        var stripped = Prefix().Replace(name, "");
        if (stripped is "embed_tokens" or "wte" or "embed_in" or "embed_tokens.output") return "hook_embed";
        if (stripped is "norm" or "ln_f" or "final_layer_norm" or "norm.output" or "ln_f.output") return "ln_final.hook_normalized";
        var m = HuggingFaceLayer().Match(stripped);
        if (!m.Success) return null;
        var l = m.Groups["layer"].Value;
        var rest = m.Groups["rest"].Value.TrimStart('.');
        return rest switch
        {
            "" or "output" => $"blocks.{l}.hook_resid_post",
            "input" => $"blocks.{l}.hook_resid_pre",
            "mlp" or "mlp.output" => $"blocks.{l}.hook_mlp_out",
            "mlp.input" => $"blocks.{l}.ln2.hook_normalized",
            "self_attn" or "attn" or "attention" or "self_attn.output" or "attn.output" or "attention.output" => $"blocks.{l}.hook_attn_out",
            "self_attn.o_proj.input" or "attn.c_proj.input" or "attention.dense.input" => $"blocks.{l}.attn.hook_z",
            "input_layernorm" or "input_layernorm.output" or "ln_1" or "ln_1.output" => $"blocks.{l}.ln1.hook_normalized",
            "pre_feedforward_layernorm" or "pre_feedforward_layernorm.output" or "ln_2" or "ln_2.output" => $"blocks.{l}.ln2.hook_normalized",
            "post_feedforward_layernorm" or "post_feedforward_layernorm.output" => $"blocks.{l}.hook_mlp_out",
            "post_attention_layernorm" or "post_attention_layernorm.output" =>
                gemmaNorms ? $"blocks.{l}.hook_attn_out" : $"blocks.{l}.ln2.hook_normalized",
            _ => null,
        };
    }

    /// <summary>The input and output hooks of a transcoder published on one Hugging Face module (sparsify <c>layers.L.mlp</c>).</summary>
    public static (string In, string Out)? ResolveTranscoder(string module)
    {
        var m = HuggingFaceLayer().Match(Prefix().Replace(module.Trim(), ""));
        if (!m.Success) return null;
        var l = m.Groups["layer"].Value;
        return m.Groups["rest"].Value.TrimStart('.') switch
        {
            "mlp" => ($"blocks.{l}.ln2.hook_normalized", $"blocks.{l}.hook_mlp_out"),
            "" => ($"blocks.{l}.hook_resid_pre", $"blocks.{l}.hook_resid_post"),
            _ => null,
        };
    }

    [GeneratedRegex(@"^blocks\.\d+\.(hook_resid_pre|hook_resid_mid|hook_resid_post|hook_attn_out|hook_mlp_out|ln1\.hook_normalized|ln2\.hook_normalized|attn\.hook_[a-z_]+|mlp\.hook_pre|mlp\.hook_post)$")]
    private static partial Regex TransformerLens();

    [GeneratedRegex(@"^(?:.*-)?L(?<layer>\d+)(?<site>R|M|A|TC)(?:-.*)?$")]
    private static partial Regex LlamaScope();

    [GeneratedRegex(@"^(?:base_model\.model\.|model\.language_model\.|language_model\.model\.|language_model\.|model\.|transformer\.|gpt_neox\.)+")]
    private static partial Regex Prefix();

    [GeneratedRegex(@"^(?:layers|h|blocks)[._](?<layer>\d+)(?<rest>(?:\.[A-Za-z_]+)*)$")]
    private static partial Regex HuggingFaceLayer();
}
