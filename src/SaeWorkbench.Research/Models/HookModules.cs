using System.Text.RegularExpressions;

namespace SaeWorkbench.Research.Models;

/// <summary>
/// The Hugging Face module each TransformerLens hook name reads, per family: the table of docs/science.md §10.2, so
/// a researcher can find the same activation with other tools (<c>model.layers.3</c> output = <c>blocks.3.hook_resid_post</c>).
/// </summary>
public static partial class HookModules
{
    /// <summary>Where <paramref name="hookName"/> sits in a <paramref name="family"/> checkpoint, or null when the table has no row.</summary>
    public static string? HuggingFaceName(string family, string hookName)
    {
        var kind = family switch
        {
            "gpt2" => Kind.Gpt2,
            "gemma2" or "gemma3_text" or "gemma3" => Kind.Gemma,
            "gpt_neox" => Kind.NeoX,
            _ => Kind.Llama,
        };
        var prefix = kind switch { Kind.Gpt2 => "transformer.", Kind.NeoX => "gpt_neox.", _ => "model." };
        var block = BlockHook().Match(hookName);
        if (!block.Success)
        {
            var top = (kind, hookName) switch
            {
                (Kind.Gpt2, "hook_embed") => "wte output",
                (Kind.Gpt2, "hook_pos_embed") => "wpe output",
                (Kind.Gemma, "hook_embed") => "embed_tokens output × √d",
                (Kind.NeoX, "hook_embed") => "embed_in output",
                (_, "hook_embed") => "embed_tokens output",
                (Kind.Gpt2, "ln_final.hook_normalized") => "ln_f output",
                (Kind.NeoX, "ln_final.hook_normalized") => "final_layer_norm output",
                (_, "ln_final.hook_normalized") => "norm output",
                _ => null,
            };
            return top is null ? null : prefix + top;
        }
        var l = block.Groups["layer"].Value;
        var layer = kind == Kind.Gpt2 ? $"h.{l}" : $"layers.{l}";
        var attn = kind switch { Kind.Gpt2 => "attn", Kind.NeoX => "attention", _ => "self_attn" };
        var where = (kind, block.Groups["hook"].Value) switch
        {
            (_, "hook_resid_pre") => $"input of {layer}",
            (_, "hook_resid_post") => $"output of {layer}",
            (Kind.Gpt2, "ln1.hook_normalized") => $"{layer}.ln_1 output",
            (_, "ln1.hook_normalized") => $"{layer}.input_layernorm output",
            (Kind.Gpt2, "attn.hook_z") => $"input of {layer}.attn.c_proj",
            (Kind.NeoX, "attn.hook_z") => $"input of {layer}.attention.dense",
            (_, "attn.hook_z") => $"input of {layer}.self_attn.o_proj",
            (Kind.Gemma, "hook_attn_out") => $"{layer}.post_attention_layernorm output",
            (_, "hook_attn_out") => $"{layer}.{attn} output",
            (Kind.Gpt2, "hook_resid_mid") => $"input of {layer}.ln_2",
            (Kind.Gemma, "hook_resid_mid") => $"input of {layer}.pre_feedforward_layernorm",
            (_, "hook_resid_mid") => $"input of {layer}.post_attention_layernorm",
            (Kind.Gpt2, "ln2.hook_normalized") => $"{layer}.ln_2 output",
            (Kind.Gemma, "ln2.hook_normalized") => $"{layer}.pre_feedforward_layernorm output",
            (_, "ln2.hook_normalized") => $"{layer}.post_attention_layernorm output",
            (Kind.Gpt2, "mlp.hook_pre") => $"{layer}.mlp.c_fc output",
            (Kind.NeoX, "mlp.hook_pre") => $"{layer}.mlp.dense_h_to_4h output",
            (_, "mlp.hook_pre") => $"{layer}.mlp.gate_proj output",
            (Kind.Gpt2, "mlp.hook_post") => $"input of {layer}.mlp.c_proj",
            (Kind.NeoX, "mlp.hook_post") => $"input of {layer}.mlp.dense_4h_to_h",
            (_, "mlp.hook_post") => $"input of {layer}.mlp.down_proj",
            (Kind.Gemma, "hook_mlp_out") => $"{layer}.post_feedforward_layernorm output",
            (_, "hook_mlp_out") => $"{layer}.mlp output",
            _ => null,
        };
        return where is null ? null : where.StartsWith("input of ", StringComparison.Ordinal) || where.StartsWith("output of ", StringComparison.Ordinal)
            ? where.Replace(" of ", " of " + prefix, StringComparison.Ordinal)
            : prefix + where;
    }

    private enum Kind { Gpt2, Llama, Gemma, NeoX }

    [GeneratedRegex(@"^blocks\.(?<layer>\d+)\.(?<hook>.+)$")]
    private static partial Regex BlockHook();
}
