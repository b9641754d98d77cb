#!/usr/bin/python3
"""Writes the tiny Hugging Face model folders under this directory and their golden outputs.

Usage (Debian's python3-torch 1.13):
    /usr/bin/python3 make_fixtures.py <dir holding litgpt's "litgpt" package> [<output dir>]

Each fixture is a random checkpoint in exact Hugging Face layout (config.json + model.safetensors, or shards with
model.safetensors.index.json). The golden outputs (golden.safetensors: int64 "tokens" [T], float32 "logits"
[T, vocab] and one float32 tensor [T, width] per TransformerLens hook name) come from an independent reference:
LitGPT's model (litgpt/model.py + config.py), with the weights converted by LitGPT's own Hugging Face checkpoint
converter (litgpt/scripts/convert_hf_checkpoint.py). LitGPT is imported from the path given on the command line;
none of its code is copied here. Only the heavy imports it does not need for a forward pass (lightning, tqdm,
safetensors, litgpt.utils) are replaced by empty stand-ins, and torch 2's scaled_dot_product_attention, which
torch 1.13 lacks, by its textbook definition.
"""
import json
import math
import os
import sys
import types

import torch
import torch.nn.functional as F

LITGPT_ROOT = sys.argv[1]
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
T = 10  # tokens per golden sequence: longer than every sliding window below


def stub(name, **attrs):
    module = types.ModuleType(name)
    module.__path__ = []
    for k, v in attrs.items():
        setattr(module, k, v)
    sys.modules[name] = module
    return module


class _NotYetLoadedTensor:  # only used in isinstance/type checks by the converter
    pass


stub("lightning")
stub("lightning.fabric")
stub("lightning.fabric.utilities")
stub("lightning.fabric.utilities.load", _NotYetLoadedTensor=_NotYetLoadedTensor)
stub("tqdm", tqdm=object)
stub("safetensors")
stub("safetensors.torch", load_file=None)
package = types.ModuleType("litgpt")
package.__path__ = [os.path.join(LITGPT_ROOT, "litgpt")]
sys.modules["litgpt"] = package
scripts = types.ModuleType("litgpt.scripts")
scripts.__path__ = [os.path.join(LITGPT_ROOT, "litgpt", "scripts")]
sys.modules["litgpt.scripts"] = scripts
stub("litgpt.utils", extend_checkpoint_dir=None, incremental_save=object, lazy_load=None, save_config=None)


def sdpa(q, k, v, attn_mask=None, dropout_p=0.0, scale=None, is_causal=False):
    """torch 2's F.scaled_dot_product_attention (absent in 1.13), as documented."""
    scale = 1 / math.sqrt(q.size(-1)) if scale is None else scale
    scores = q @ k.transpose(-2, -1) * scale
    if is_causal:
        blocked = torch.ones(q.size(-2), k.size(-2), dtype=torch.bool).triu(1)
        scores = scores.masked_fill(blocked, float("-inf"))
    if attn_mask is not None:
        scores = scores.masked_fill(~attn_mask, float("-inf")) if attn_mask.dtype == torch.bool else scores + attn_mask
    return torch.softmax(scores, dim=-1) @ v


F.scaled_dot_product_attention = sdpa
if not hasattr(torch.Tensor, "mT"):
    torch.Tensor.mT = property(lambda self: self.transpose(-2, -1))

from litgpt.config import Config  # noqa: E402
from litgpt.model import GPT  # noqa: E402
from litgpt.scripts import convert_hf_checkpoint as convert  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from make_fixtures_io import save_safetensors  # noqa: E402


def random_weights(shapes, seed, std, norm_offset):
    """HF-named random weights: matrices N(0, std²), norm scales norm_offset + N(0, 0.1²), biases N(0, 0.1²)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape in shapes:
        w = torch.randn(*shape, generator=g)
        if "norm" in name and name.endswith("weight"):
            out[name] = norm_offset + 0.1 * w
        elif name.endswith("bias"):
            out[name] = 0.1 * w
        else:
            out[name] = std * w
    return out


def llama_like_shapes(c, qkv_bias=False, o_bias=False, qk_norm=False, post_norms=False, tied=True):
    d, h, kv, hd, m, v = c["hidden_size"], c["num_attention_heads"], c["num_key_value_heads"], c["head_dim"], c["intermediate_size"], c["vocab_size"]
    s = [("model.embed_tokens.weight", (v, d)), ("model.norm.weight", (d,))]
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}."
        s += [(p + "input_layernorm.weight", (d,)), (p + "post_attention_layernorm.weight", (d,)),
              (p + "self_attn.q_proj.weight", (h * hd, d)), (p + "self_attn.k_proj.weight", (kv * hd, d)),
              (p + "self_attn.v_proj.weight", (kv * hd, d)), (p + "self_attn.o_proj.weight", (d, h * hd)),
              (p + "mlp.gate_proj.weight", (m, d)), (p + "mlp.up_proj.weight", (m, d)), (p + "mlp.down_proj.weight", (d, m))]
        if qkv_bias:
            s += [(p + "self_attn.q_proj.bias", (h * hd,)), (p + "self_attn.k_proj.bias", (kv * hd,)), (p + "self_attn.v_proj.bias", (kv * hd,))]
        if o_bias:
            s += [(p + "self_attn.o_proj.bias", (d,))]
        if qk_norm:
            s += [(p + "self_attn.q_norm.weight", (hd,)), (p + "self_attn.k_norm.weight", (hd,))]
        if post_norms:
            s += [(p + "pre_feedforward_layernorm.weight", (d,)), (p + "post_feedforward_layernorm.weight", (d,))]
    if not tied:
        s += [("lm_head.weight", (v, d))]
    return s


def neox_shapes(c):
    d, m, v = c["hidden_size"], c["intermediate_size"], c["vocab_size"]
    s = [("gpt_neox.embed_in.weight", (v, d)), ("gpt_neox.final_layer_norm.weight", (d,)),
         ("gpt_neox.final_layer_norm.bias", (d,)), ("embed_out.weight", (v, d))]
    for l in range(c["num_hidden_layers"]):
        p = f"gpt_neox.layers.{l}."
        s += [(p + "input_layernorm.weight", (d,)), (p + "input_layernorm.bias", (d,)),
              (p + "post_attention_layernorm.weight", (d,)), (p + "post_attention_layernorm.bias", (d,)),
              (p + "attention.query_key_value.weight", (3 * d, d)), (p + "attention.query_key_value.bias", (3 * d,)),
              (p + "attention.dense.weight", (d, d)), (p + "attention.dense.bias", (d,)),
              (p + "mlp.dense_h_to_4h.weight", (m, d)), (p + "mlp.dense_h_to_4h.bias", (m,)),
              (p + "mlp.dense_4h_to_h.weight", (d, m)), (p + "mlp.dense_4h_to_h.bias", (d,))]
    return s


def run_reference(lit_config, state_dict, tokens, parallel):
    """LitGPT forward pass over tokens [T]; returns logits [T, vocab] and every TransformerLens hook [T, width]."""
    model = GPT(lit_config)
    model.load_state_dict(state_dict, strict=True)
    model.eval()
    hooks, handles = {}, []

    def keep(name, value):
        hooks[name] = value[0].detach().clone().float()

    for l, block in enumerate(model.transformer.h):
        b = f"blocks.{l}."
        handles.append(block.register_forward_pre_hook(lambda m, a, b=b: keep(b + "hook_resid_pre", a[0])))
        handles.append(block.norm_1.register_forward_hook(lambda m, a, o, b=b: keep(b + "ln1.hook_normalized", o)))
        handles.append(block.attn.proj.register_forward_pre_hook(lambda m, a, b=b: keep(b + "attn.hook_z", a[0])))
        handles.append(block.post_attention_norm.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_attn_out", o)))
        handles.append(block.norm_2.register_forward_hook(lambda m, a, o, b=b: keep(b + "ln2.hook_normalized", o)))
        first = block.mlp.fc_1 if hasattr(block.mlp, "fc_1") else block.mlp.fc
        handles.append(first.register_forward_hook(lambda m, a, o, b=b: keep(b + "mlp.hook_pre", o)))
        handles.append(block.mlp.proj.register_forward_pre_hook(lambda m, a, b=b: keep(b + "mlp.hook_post", a[0])))
        handles.append(block.post_mlp_norm.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_mlp_out", o)))
        handles.append(block.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_resid_post", o)))
    handles.append(model.transformer.ln_f.register_forward_hook(lambda m, a, o: keep("ln_final.hook_normalized", o)))
    with torch.no_grad():
        logits = model(tokens.unsqueeze(0))[0].float()
    for h in handles:
        h.remove()
    hooks["hook_embed"] = hooks["blocks.0.hook_resid_pre"]  # after Gemma's √d scaling, as TransformerLens hooks it
    if not parallel:
        for l in range(lit_config.n_layer):  # LitGPT adds inline; resid_mid is that sum
            b = f"blocks.{l}."
            hooks[b + "hook_resid_mid"] = hooks[b + "hook_resid_pre"] + hooks[b + "hook_attn_out"]
    return logits, hooks


def write_fixture(name, hf_config, shapes, lit_config, converter, seed, std, norm_offset, stored_dtype, shards=1,
                  parallel=False):
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    weights = random_weights(shapes, seed, std, norm_offset)
    stored = {k: v.to(stored_dtype) for k, v in weights.items()}
    with open(os.path.join(folder, "config.json"), "w") as f:
        json.dump(hf_config, f, indent=2)
    for old in os.listdir(folder):
        if old.startswith("model") and old.endswith((".safetensors", ".json")):
            os.remove(os.path.join(folder, old))
    if shards == 1:
        save_safetensors(os.path.join(folder, "model.safetensors"), stored)
    else:
        names = sorted(stored)
        weight_map = {}
        for i in range(shards):
            file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = names[i::shards]
            save_safetensors(os.path.join(folder, file), {n: stored[n] for n in part})
            weight_map.update({n: file for n in part})
        total = sum(t.numel() * t.element_size() for t in stored.values())
        with open(os.path.join(folder, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=2)
    # The reference reads exactly what was stored, widened to float32.
    hf = {k: v.to(torch.float32) for k, v in stored.items()}
    state = {}
    converter(hf, state)
    tokens = torch.randint(0, hf_config["vocab_size"], (T,), generator=torch.Generator().manual_seed(seed + 1))
    logits, hooks = run_reference(lit_config, state, tokens, parallel)
    golden = {"tokens": tokens.to(torch.int64), "logits": logits.contiguous()}
    golden.update({k: v.contiguous() for k, v in hooks.items()})
    save_safetensors(os.path.join(folder, "golden.safetensors"), golden)
    print(name, "logits", tuple(logits.shape), "hooks", len(hooks))


def lit(**kw):
    base = dict(padding_multiple=1, bias=False, parallel_residual=False, norm_class_name="RMSNorm",
                mlp_class_name="LLaMAMLP", rotary_percentage=1.0, block_size=64)
    base.update(kw)
    base["padded_vocab_size"] = base["vocab_size"]
    return Config(**base)


def main():
    # Llama 3.2 style: GQA, tied head, rope_scaling llama3 (all three frequency bands hit with head_dim 16).
    c = dict(model_type="llama", architectures=["LlamaForCausalLM"], vocab_size=96, hidden_size=64, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96, max_position_embeddings=64,
             rms_norm_eps=1e-5, rope_theta=500000.0, tie_word_embeddings=True, hidden_act="silu", torch_dtype="float32",
             rope_scaling=dict(rope_type="llama3", factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0,
                               original_max_position_embeddings=8192), bos_token_id=1, eos_token_id=2)
    cfg = lit(name="Llama-3.2-tiny", vocab_size=96, n_embd=64, n_layer=2, n_head=4, n_query_groups=2,
              intermediate_size=96, norm_eps=1e-5, rope_base=500000,
              rope_adjustments=dict(factor=32.0, low_freq_factor=1.0, high_freq_factor=4.0, original_max_seq_len=8192))
    write_fixture("llama3", c, llama_like_shapes(c), cfg,
                  lambda hf, sd: convert.copy_weights_hf_llama(cfg, {}, sd, hf), 11, 0.2, 1.0, torch.float32)

    # Mistral: sliding window 4 on every layer, untied, single KV head, f16 storage, newer rope_parameters/dtype keys.
    c = dict(model_type="mistral", architectures=["MistralForCausalLM"], vocab_size=80, hidden_size=48,
             num_hidden_layers=2, num_attention_heads=4, num_key_value_heads=1, intermediate_size=80,
             max_position_embeddings=64, rms_norm_eps=1e-5, sliding_window=4, tie_word_embeddings=False,
             rope_parameters=dict(rope_type="default", rope_theta=10000.0), dtype="float16", hidden_act="silu")
    c["head_dim"] = 12
    cfg = lit(name="Mistral-tiny", vocab_size=80, n_embd=48, n_layer=2, n_head=4, n_query_groups=1, intermediate_size=80,
              norm_eps=1e-5, sliding_window_size=4, sliding_window_indices=[1, 1])
    write_fixture("mistral", c, llama_like_shapes(c, tied=False), cfg,
                  lambda hf, sd: convert.copy_weights_hf_llama(cfg, {}, sd, hf), 12, 0.2, 1.0, torch.float16)

    # Qwen 2: q/k/v biases (no o bias), GQA, untied, two shards.
    c = dict(model_type="qwen2", architectures=["Qwen2ForCausalLM"], vocab_size=112, hidden_size=64, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, intermediate_size=96, max_position_embeddings=64,
             rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=False, use_sliding_window=False,
             hidden_act="silu", torch_dtype="float32")
    c_shapes = dict(c, head_dim=16)
    cfg = lit(name="Qwen2.5-tiny", vocab_size=112, n_embd=64, n_layer=2, n_head=4, n_query_groups=2,
              intermediate_size=96, norm_eps=1e-6, rope_base=1000000, attn_bias=True)
    write_fixture("qwen2", c, llama_like_shapes(c_shapes, qkv_bias=True, tied=False), cfg,
                  lambda hf, sd: convert.copy_weights_qwen_2_5(cfg, {}, sd, hf), 13, 0.2, 1.0, torch.float32, shards=2)

    # Qwen 3: per-head q/k RMSNorm before RoPE, head_dim 24 ≠ 64 / 4, tied head.
    c = dict(model_type="qwen3", architectures=["Qwen3ForCausalLM"], vocab_size=96, hidden_size=64, num_hidden_layers=2,
             num_attention_heads=4, num_key_value_heads=2, head_dim=24, intermediate_size=96, max_position_embeddings=64,
             rms_norm_eps=1e-6, rope_theta=1000000.0, tie_word_embeddings=True, attention_bias=False,
             hidden_act="silu", torch_dtype="float32")
    cfg = lit(name="Qwen3-tiny", vocab_size=96, n_embd=64, n_layer=2, n_head=4, n_query_groups=2, head_size=24,
              intermediate_size=96, norm_eps=1e-6, rope_base=1000000, norm_qk=True)
    write_fixture("qwen3", c, llama_like_shapes(c, qk_norm=True), cfg,
                  lambda hf, sd: convert.copy_weights_qwen_3(cfg, {}, sd, hf), 14, 0.2, 1.0, torch.float32)

    # Gemma 2: (1 + w) norms, four norms per layer, √d embeddings, query_pre_attn_scalar ≠ head_dim, soft-caps small
    # enough to bend, sliding window 4 on layers 0 and 2, bf16 storage.
    c = dict(model_type="gemma2", architectures=["Gemma2ForCausalLM"], vocab_size=96, hidden_size=48, num_hidden_layers=3,
             num_attention_heads=4, num_key_value_heads=2, head_dim=16, intermediate_size=96, max_position_embeddings=64,
             rms_norm_eps=1e-6, rope_theta=10000.0, query_pre_attn_scalar=24, sliding_window=4,
             attn_logit_softcapping=3.0, final_logit_softcapping=2.0, hidden_activation="gelu_pytorch_tanh",
             hidden_act="gelu_pytorch_tanh", tie_word_embeddings=True, torch_dtype="bfloat16", bos_token_id=2)
    cfg = lit(name="Gemma-2-tiny", vocab_size=96, n_embd=48, n_layer=3, n_head=4, n_query_groups=2, head_size=16,
              intermediate_size=96, norm_eps=1e-6, mlp_class_name="GemmaMLP", gelu_approximate="tanh",
              scale_embeddings=True, attention_scores_scalar=24, sliding_window_size=4,
              sliding_window_indices=[1, 0, 1], post_attention_norm=True, post_mlp_norm=True,
              attention_logit_softcapping=3.0, final_logit_softcapping=2.0)
    write_fixture("gemma2", c, llama_like_shapes(c, post_norms=True), cfg,
                  lambda hf, sd: convert.copy_weights_gemma_2({}, sd, hf), 15, 0.3, 0.0, torch.bfloat16)

    # Gemma 3 (text): q/k norms, local layers (0, 1) with window 4 and rope_local_base_freq, a global layer (2) with
    # rope_theta and linear rope scaling.
    c = dict(model_type="gemma3_text", architectures=["Gemma3ForCausalLM"], vocab_size=96, hidden_size=48,
             num_hidden_layers=3, num_attention_heads=4, num_key_value_heads=1, head_dim=16, intermediate_size=96,
             max_position_embeddings=64, rms_norm_eps=1e-6, rope_theta=1000000.0, rope_local_base_freq=10000.0,
             rope_scaling=dict(rope_type="linear", factor=8.0), query_pre_attn_scalar=16, sliding_window=4,
             sliding_window_pattern=3, final_logit_softcapping=None, attn_logit_softcapping=None,
             hidden_activation="gelu_pytorch_tanh", tie_word_embeddings=True, torch_dtype="float32", bos_token_id=2)
    cfg = lit(name="Gemma-3-tiny", vocab_size=96, n_embd=48, n_layer=3, n_head=4, n_query_groups=1, head_size=16,
              intermediate_size=96, norm_eps=1e-6, mlp_class_name="GemmaMLP", gelu_approximate="tanh",
              scale_embeddings=True, attention_scores_scalar=16, sliding_window_size=4,
              sliding_window_indices=[1, 1, 0], post_attention_norm=True, post_mlp_norm=True, norm_qk=True,
              rope_base=1000000, rope_local_base_freq=10000, rope_indices=[1, 1, 0], rope_adjustments=dict(factor=8.0))
    write_fixture("gemma3", c, llama_like_shapes(c, qk_norm=True, post_norms=True), cfg,
                  lambda hf, sd: convert.copy_weights_gemma_3({}, sd, hf, config=cfg), 16, 0.3, 0.0, torch.float32)

    # Pythia (GPT-NeoX): parallel residual, rotary on a quarter of each head, fused QKV interleaved per head, untied.
    for name, parallel, seed in (("pythia", True, 17), ("neox_sequential", False, 18)):
        c = dict(model_type="gpt_neox", architectures=["GPTNeoXForCausalLM"], vocab_size=96, hidden_size=64,
                 num_hidden_layers=2, num_attention_heads=4, intermediate_size=256, max_position_embeddings=64,
                 layer_norm_eps=1e-5, rotary_pct=0.25, rotary_emb_base=10000, use_parallel_residual=parallel,
                 hidden_act="gelu", tie_word_embeddings=False, torch_dtype="float32", bos_token_id=0, eos_token_id=0)
        cfg = lit(name="pythia-tiny", vocab_size=96, n_embd=64, n_layer=2, n_head=4, intermediate_size=256,
                  norm_eps=1e-5, norm_class_name="LayerNorm", mlp_class_name="GptNeoxMLP", bias=True,
                  rotary_percentage=0.25, parallel_residual=parallel)
        write_fixture(name, c, neox_shapes(c), cfg,
                      lambda hf, sd, cfg=cfg: convert.copy_weights_gpt_neox(cfg, sd, hf), seed, 0.2, 1.0,
                      torch.float32, parallel=parallel)


if __name__ == "__main__":
    main()
