#!/usr/bin/python3
"""Writes the tiny GPT-2 fixture (gpt2/) and its golden outputs with karpathy/nanoGPT's model.py as reference.

Usage: /usr/bin/python3 make_gpt2_fixture.py <dir holding nanoGPT's model.py> [<output dir>]

nanoGPT is imported from the given path (none of its code is copied here). Two documented adjustments:
nanoGPT's MLP uses nn.GELU() (exact erf) where Hugging Face GPT-2 uses "gelu_new", the tanh form, so nn.GELU is
constructed with approximate="tanh" (the same formula); and Hugging Face stores Conv1D weights [in, out], so the
four Conv1D matrices are transposed on the way in, as nanoGPT's own from_pretrained does.
"""
import os
import sys

import torch
import torch.nn as nn

sys.path.insert(0, sys.argv[1])
OUT = sys.argv[2] if len(sys.argv) > 2 else os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_fixtures_io import save_safetensors  # noqa: E402

_gelu = nn.GELU
nn.GELU = lambda: _gelu(approximate="tanh")
import model as nanogpt  # noqa: E402

T = 10
V, D, L, H, CTX = 96, 48, 2, 4, 32
config = dict(model_type="gpt2", architectures=["GPT2LMHeadModel"], vocab_size=V, n_positions=CTX, n_ctx=CTX,
              n_embd=D, n_layer=L, n_head=H, layer_norm_epsilon=1e-5, activation_function="gelu_new",
              bos_token_id=V - 1, eos_token_id=V - 1, tie_word_embeddings=True, torch_dtype="float32")
g = torch.Generator().manual_seed(19)
hf = {"transformer.wte.weight": (V, D), "transformer.wpe.weight": (CTX, D), "transformer.ln_f.weight": (D,),
      "transformer.ln_f.bias": (D,)}
for l in range(L):
    p = f"transformer.h.{l}."
    hf.update({p + "ln_1.weight": (D,), p + "ln_1.bias": (D,), p + "ln_2.weight": (D,), p + "ln_2.bias": (D,),
               p + "attn.c_attn.weight": (D, 3 * D), p + "attn.c_attn.bias": (3 * D,),
               p + "attn.c_proj.weight": (D, D), p + "attn.c_proj.bias": (D,),
               p + "mlp.c_fc.weight": (D, 4 * D), p + "mlp.c_fc.bias": (4 * D,),
               p + "mlp.c_proj.weight": (4 * D, D), p + "mlp.c_proj.bias": (D,)})
weights = {}
for name, shape in sorted(hf.items()):
    w = torch.randn(*shape, generator=g)
    weights[name] = (1 + 0.1 * w) if ("ln_" in name and name.endswith("weight")) else 0.1 * w if name.endswith("bias") else 0.2 * w

folder = os.path.join(OUT, "gpt2")
os.makedirs(folder, exist_ok=True)
import json  # noqa: E402
with open(os.path.join(folder, "config.json"), "w") as f:
    json.dump(config, f, indent=2)
save_safetensors(os.path.join(folder, "model.safetensors"), weights)

model = nanogpt.GPT(nanogpt.GPTConfig(block_size=CTX, vocab_size=V, n_layer=L, n_head=H, n_embd=D, dropout=0.0, bias=True))
conv1d = ("attn.c_attn.weight", "attn.c_proj.weight", "mlp.c_fc.weight", "mlp.c_proj.weight")
state = {k: (v.t() if k.endswith(conv1d) else v) for k, v in weights.items()}
state["lm_head.weight"] = weights["transformer.wte.weight"]
missing, unexpected = model.load_state_dict(state, strict=False)
assert not unexpected and all(m.endswith(".attn.bias") for m in missing), (missing, unexpected)
model.eval()

hooks, handles = {}, []
keep = lambda name, v: hooks.__setitem__(name, (v[0] if v.dim() == 3 else v).detach().clone())
handles.append(model.transformer.wte.register_forward_hook(lambda m, a, o: keep("hook_embed", o)))
handles.append(model.transformer.wpe.register_forward_hook(lambda m, a, o: keep("hook_pos_embed", o)))
for l, block in enumerate(model.transformer.h):
    b = f"blocks.{l}."
    handles.append(block.register_forward_pre_hook(lambda m, a, b=b: keep(b + "hook_resid_pre", a[0])))
    handles.append(block.ln_1.register_forward_hook(lambda m, a, o, b=b: keep(b + "ln1.hook_normalized", o)))
    handles.append(block.attn.c_proj.register_forward_pre_hook(lambda m, a, b=b: keep(b + "attn.hook_z", a[0])))
    handles.append(block.attn.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_attn_out", o)))
    handles.append(block.ln_2.register_forward_pre_hook(lambda m, a, b=b: keep(b + "hook_resid_mid", a[0])))
    handles.append(block.ln_2.register_forward_hook(lambda m, a, o, b=b: keep(b + "ln2.hook_normalized", o)))
    handles.append(block.mlp.c_fc.register_forward_hook(lambda m, a, o, b=b: keep(b + "mlp.hook_pre", o)))
    handles.append(block.mlp.c_proj.register_forward_pre_hook(lambda m, a, b=b: keep(b + "mlp.hook_post", a[0])))
    handles.append(block.mlp.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_mlp_out", o)))
    handles.append(block.register_forward_hook(lambda m, a, o, b=b: keep(b + "hook_resid_post", o)))
handles.append(model.transformer.ln_f.register_forward_hook(lambda m, a, o: keep("ln_final.hook_normalized", o)))
tokens = torch.randint(0, V, (T,), generator=torch.Generator().manual_seed(20))
with torch.no_grad():
    logits, _ = model(tokens.unsqueeze(0), targets=tokens.unsqueeze(0))  # with targets nanoGPT returns every position
golden = {"tokens": tokens, "logits": logits[0].contiguous()}
golden.update({k: v.contiguous() for k, v in hooks.items()})
save_safetensors(os.path.join(folder, "golden.safetensors"), golden)
print("gpt2 logits", tuple(logits[0].shape), "hooks", len(hooks))
