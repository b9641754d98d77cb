#!/usr/bin/python3
"""Builds the published-format fixtures and their expected outputs (see README.md next to this file).

Each fixture is written in its library's documented on-disk layout, then loaded and run by that library's own code
(SAELens, sparsify, dictionary_learning, fetched as git checkouts and imported from there with small stand-ins for
imports that play no part in encoding, e.g. huggingface_hub or transformer_lens's HookPoint). The expected
`feature_acts` and `reconstruction` for a fixed `activations` tensor are saved next to the fixture.

Run with Debian's python3-torch (1.13):
  /usr/bin/python3 generate.py <SAELens checkout> <sparsify checkout> <dictionary_learning checkout>
where each checkout is a directory holding the repository's files (e.g. `git worktree add` or `git archive | tar x`).
"""
import json
import math
import os
import struct
import sys
import types
import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SAELENS, SPARSIFY, DICTIONARY_LEARNING = (os.path.abspath(p) for p in sys.argv[1:4])
N, D_IN, D_SAE = 6, 12, 32
MANIFEST = []

# ----------------------------------------------------------------------------------------------- safetensors (ours)
DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.float64: "F64", torch.int32: "I32", torch.int64: "I64"}
NAMES = {v: k for k, v in DTYPES.items()}


def save_safetensors(tensors, path, metadata=None):
    header, offset, blobs = {}, 0, []
    if metadata:
        header["__metadata__"] = metadata
    for name in sorted(tensors):
        t = tensors[name].detach().contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        dtype = NAMES[e["dtype"]]
        raw = bytearray(data[b:end])
        if dtype == torch.bfloat16:
            out[name] = torch.frombuffer(raw, dtype=torch.uint8).view(torch.bfloat16).reshape(e["shape"]).clone()
        else:
            out[name] = torch.frombuffer(raw, dtype=dtype).reshape(e["shape"]).clone()
    return out


class SafeOpen:
    def __init__(self, path, framework="pt", device="cpu"):
        self.t = load_safetensors(path)

    def __enter__(self):
        return self

    def __exit__(self, *a):
        return False

    def keys(self):
        return list(self.t.keys())

    def get_tensor(self, k):
        return self.t[k]


# ----------------------------------------------------------------------------------------------- stand-ins
def module(name, **attrs):
    m = types.ModuleType(name)
    m.__dict__.update(attrs)
    sys.modules[name] = m
    return m


class _Subscriptable:
    def __getitem__(self, item):
        return torch.Tensor


class HookPoint(torch.nn.Module):
    def forward(self, x):
        return x


class HookedRootModule(torch.nn.Module):
    def setup(self):
        pass


class Version:
    def __init__(self, s):
        main, _, pre = s.partition("-")
        self.key = tuple(int(p) for p in main.split(".")) + ((0,) if not pre else (-1,))

    def __lt__(self, o):
        return self.key < o.key


HF_FILES = {}


def hf_hub_download(repo_id=None, filename=None, subfolder=None, force_download=False, **kw):
    rel = f"{subfolder}/{filename}" if subfolder else filename
    return HF_FILES[(repo_id, rel)]


def load_model(model, filename, device="cpu", strict=True):
    return model.load_state_dict(load_safetensors(filename), strict=strict)


class Serializable:
    @classmethod
    def from_dict(cls, d, drop_extra_fields=False):
        import dataclasses
        names = {f.name for f in dataclasses.fields(cls)}
        return cls(**{k: v for k, v in d.items() if k in names})

    def to_dict(self):
        import dataclasses
        return dataclasses.asdict(self)


import typing_extensions
for _name, _value in [("deprecated", lambda *a, **k: (lambda f: f)), ("override", lambda f: f)]:
    if not hasattr(typing_extensions, _name):
        setattr(typing_extensions, _name, _value)  # newer typing_extensions names, decorators that change nothing
module("einops", rearrange=None, einsum=None)
module("jaxtyping", Float=_Subscriptable(), Int=_Subscriptable())
module("packaging")
module("packaging.version", Version=Version)
module("transformer_lens")
module("transformer_lens.hook_points", HookPoint=HookPoint, HookedRootModule=HookedRootModule)
module("safetensors", safe_open=SafeOpen)
module("safetensors.torch", load_file=lambda p, device="cpu": load_safetensors(p), save_file=save_safetensors, load_model=load_model, save_model=None)
module("huggingface_hub", hf_hub_download=hf_hub_download, hf_hub_url=None, snapshot_download=None)
module("huggingface_hub.utils", EntryNotFoundError=FileNotFoundError)
module("requests")
module("natsort", natsorted=sorted)
module("simple_parsing", Serializable=Serializable, list_field=lambda *a, **k: None)
module("accelerate")
module("accelerate.utils", send_to_device=None)
module("transformers", PreTrainedModel=object, PreTrainedTokenizerBase=object)


def package(name, path):
    m = module(name)
    m.__path__ = [path]
    return m


def load_file_as(name, path):
    import importlib.util
    spec = importlib.util.spec_from_file_location(name, path)
    m = importlib.util.module_from_spec(spec)
    sys.modules[name] = m
    spec.loader.exec_module(m)
    return m


# SAELens: its package __init__ pulls in training and evaluation, so the package is stood up by hand and the modules
# that define loading and encoding are imported from the checkout as they are.
sl = package("sae_lens", os.path.join(SAELENS, "sae_lens"))
sl.__version__ = "6.18.0"
import logging
sl.logger = logging.getLogger("sae_lens")
package("sae_lens.saes", os.path.join(SAELENS, "sae_lens", "saes"))
package("sae_lens.loading", os.path.join(SAELENS, "sae_lens", "loading"))
module("sae_lens.loading.pretrained_saes_directory", get_norm_scaling_factor=None, get_pretrained_saes_directory=None,
       get_repo_id_and_folder_name=None, get_config_overrides=None)
load_file_as("sae_lens.constants", os.path.join(SAELENS, "sae_lens", "constants.py"))
load_file_as("sae_lens.util", os.path.join(SAELENS, "sae_lens", "util.py"))
registry = load_file_as("sae_lens.registry", os.path.join(SAELENS, "sae_lens", "registry.py"))
loaders = load_file_as("sae_lens.loading.pretrained_sae_loaders", os.path.join(SAELENS, "sae_lens", "loading", "pretrained_sae_loaders.py"))
sae_mod = load_file_as("sae_lens.saes.sae", os.path.join(SAELENS, "sae_lens", "saes", "sae.py"))
std = load_file_as("sae_lens.saes.standard_sae", os.path.join(SAELENS, "sae_lens", "saes", "standard_sae.py"))
topk = load_file_as("sae_lens.saes.topk_sae", os.path.join(SAELENS, "sae_lens", "saes", "topk_sae.py"))
jump = load_file_as("sae_lens.saes.jumprelu_sae", os.path.join(SAELENS, "sae_lens", "saes", "jumprelu_sae.py"))
gated = load_file_as("sae_lens.saes.gated_sae", os.path.join(SAELENS, "sae_lens", "saes", "gated_sae.py"))
tc = load_file_as("sae_lens.saes.transcoder", os.path.join(SAELENS, "sae_lens", "saes", "transcoder.py"))
for arch, cls, cfg in [("standard", std.StandardSAE, std.StandardSAEConfig), ("topk", topk.TopKSAE, topk.TopKSAEConfig),
                       ("jumprelu", jump.JumpReLUSAE, jump.JumpReLUSAEConfig), ("gated", gated.GatedSAE, gated.GatedSAEConfig),
                       ("transcoder", tc.Transcoder, tc.TranscoderConfig), ("skip_transcoder", tc.SkipTranscoder, tc.SkipTranscoderConfig),
                       ("jumprelu_transcoder", tc.JumpReLUTranscoder, tc.JumpReLUTranscoderConfig)]:
    registry.register_sae_class(arch, cls, cfg)
SAE = sae_mod.SAE

# sparsify: the package __init__ imports its trainer; the coder, its config and its encoder come from the checkout.
# torch 1.13 without CUDA raises in is_bf16_supported (which sparsify asks for an autocast decorator on forward).
# torch 1.13 also refuses to build its bfloat16 CUDA autocast decorator (on forward, which is not used here) on a CPU build.
torch.cuda.is_bf16_supported = lambda: False
_autocast = torch.autocast
torch.autocast = lambda *a, **k: (lambda f: f)
package("sparsify", os.path.join(SPARSIFY, "sparsify"))
load_file_as("sparsify.config", os.path.join(SPARSIFY, "sparsify", "config.py"))
load_file_as("sparsify.fused_encoder", os.path.join(SPARSIFY, "sparsify", "fused_encoder.py"))
load_file_as("sparsify.utils", os.path.join(SPARSIFY, "sparsify", "utils.py"))
sparse_coder = load_file_as("sparsify.sparse_coder", os.path.join(SPARSIFY, "sparsify", "sparse_coder.py"))
torch.autocast = _autocast

# dictionary_learning: likewise without its buffer/training imports.
package("dictionary_learning", os.path.join(DICTIONARY_LEARNING, "dictionary_learning"))
load_file_as("dictionary_learning.config", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "config.py"))
dl = load_file_as("dictionary_learning.dictionary", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "dictionary.py"))
package("dictionary_learning.trainers", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "trainers"))
load_file_as("dictionary_learning.trainers.trainer", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "trainers", "trainer.py"))
dl_topk = load_file_as("dictionary_learning.trainers.top_k", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "trainers", "top_k.py"))
dl_btk = load_file_as("dictionary_learning.trainers.batch_top_k", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "trainers", "batch_top_k.py"))
dl_mat = load_file_as("dictionary_learning.trainers.matryoshka_batch_top_k", os.path.join(DICTIONARY_LEARNING, "dictionary_learning", "trainers", "matryoshka_batch_top_k.py"))

# ----------------------------------------------------------------------------------------------- helpers
gen = torch.Generator().manual_seed(20)


def randn(*shape, scale=1.0):
    return torch.randn(*shape, generator=gen) * scale


def activations(d=D_IN):
    return randn(N, d, scale=1.5) + 0.3


def fixture(name, folder, x, feature_acts, reconstruction, fmt, arch, **extra):
    out = f"{name}.expected.safetensors"
    save_safetensors({"activations": x.float(), "feature_acts": feature_acts.detach().float(),
                      "reconstruction": reconstruction.detach().float()}, os.path.join(HERE, out))
    fired = int((feature_acts > 0).sum())
    assert 0 < fired < feature_acts.numel(), f"{name}: {fired} latents fire; the fixture would test nothing"
    MANIFEST.append({"name": name, "folder": os.path.relpath(folder, HERE), "expected": out, "format": fmt, "architecture": arch, **extra})


def mkdir(*parts):
    p = os.path.join(HERE, *parts)
    os.makedirs(p, exist_ok=True)
    return p


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1)


def saelens_folder(name, cfg, tensors):
    folder = mkdir(name)
    write_json(os.path.join(folder, "cfg.json"), cfg)
    save_safetensors(tensors, os.path.join(folder, "sae_weights.safetensors"))
    return folder


def v6_cfg(arch, d_in=D_IN, hook="blocks.1.hook_resid_post", **fields):
    cfg = {"architecture": arch, "d_in": d_in, "d_sae": D_SAE, "dtype": "float32", "device": "cpu", "apply_b_dec_to_input": True,
           "normalize_activations": "none", "reshape_activations": "none",
           "metadata": {"model_name": "tiny-test", "hook_name": hook, "hook_head_index": None, "prepend_bos": True,
                        "context_size": 64, "dataset_path": "fixtures", "neuronpedia_id": None, "sae_lens_version": "6.18.0"}}
    cfg.update(fields)
    return cfg


def saelens_run(folder, x):
    sae = SAE.load_from_disk(folder)
    with torch.no_grad():
        f = sae.encode(x)
        if isinstance(sae, tc.Transcoder):
            return f, sae.forward(x)
        return f, sae.decode(f)


def std_weights(d_in=D_IN, d_out=D_IN):
    return {"W_enc": randn(d_in, D_SAE, scale=0.4), "b_enc": randn(D_SAE, scale=0.2), "W_dec": randn(D_SAE, d_out, scale=0.4),
            "b_dec": randn(d_out, scale=0.2)}


# ----------------------------------------------------------------------------------------------- SAELens v6
w = std_weights()
folder = saelens_folder("saelens-standard", v6_cfg("standard"), w)
x = activations()
fixture("saelens-standard", folder, x, *saelens_run(folder, x), "SAELens v6", "standard")

w = std_weights()
w["W_dec"] = w["W_dec"] * (0.5 + torch.rand(D_SAE, 1, generator=gen) * 2)  # rows far from unit norm
folder = saelens_folder("saelens-topk-rescaled", v6_cfg("topk", k=5, rescale_acts_by_decoder_norm=True), w)
x = activations()
fixture("saelens-topk-rescaled", folder, x, *saelens_run(folder, x), "SAELens v6", "topk")

w = std_weights()
w["threshold"] = torch.rand(D_SAE, generator=gen) * 0.8 - 0.2  # some negative: ReLU before the threshold matters
folder = saelens_folder("saelens-jumprelu-nobdec", v6_cfg("jumprelu", apply_b_dec_to_input=False), w)
x = activations()
fixture("saelens-jumprelu-nobdec", folder, x, *saelens_run(folder, x), "SAELens v6", "jumprelu")

w = std_weights()
w["threshold"] = torch.rand(D_SAE, generator=gen) * 0.5
folder = saelens_folder("saelens-jumprelu-layernorm", v6_cfg("jumprelu", normalize_activations="layer_norm"), w)
x = activations()
fixture("saelens-jumprelu-layernorm", folder, x, *saelens_run(folder, x), "SAELens v6", "jumprelu")

w = {"W_enc": randn(D_IN, D_SAE, scale=0.4), "b_gate": randn(D_SAE, scale=0.2), "b_mag": randn(D_SAE, scale=0.2),
     "r_mag": randn(D_SAE, scale=0.3), "W_dec": randn(D_SAE, D_IN, scale=0.4), "b_dec": randn(D_IN, scale=0.2)}
folder = saelens_folder("saelens-gated", v6_cfg("gated"), w)
x = activations()
fixture("saelens-gated", folder, x, *saelens_run(folder, x), "SAELens v6", "gated")

D_OUT = 10
w = std_weights(D_IN, D_OUT)
w["W_skip"] = randn(D_OUT, D_IN, scale=0.2)
cfg = v6_cfg("skip_transcoder", hook="blocks.1.ln2.hook_normalized", apply_b_dec_to_input=False, d_out=D_OUT)
cfg["metadata"]["hook_name_out"] = "blocks.1.hook_mlp_out"
folder = saelens_folder("saelens-skip-transcoder", cfg, w)
x = activations()
fixture("saelens-skip-transcoder", folder, x, *saelens_run(folder, x), "SAELens v6", "skip_transcoder")

w = std_weights(D_IN, D_OUT)
w["threshold"] = torch.rand(D_SAE, generator=gen) * 0.5
cfg = v6_cfg("jumprelu_transcoder", hook="blocks.1.ln2.hook_normalized", apply_b_dec_to_input=False, d_out=D_OUT)
cfg["metadata"]["hook_name_out"] = "blocks.1.hook_mlp_out"
folder = saelens_folder("saelens-jumprelu-transcoder", cfg, w)
x = activations()
fixture("saelens-jumprelu-transcoder", folder, x, *saelens_run(folder, x), "SAELens v6", "jumprelu_transcoder")

# ----------------------------------------------------------------------------------------------- SAELens before 6.0
w = std_weights()
cfg = {"d_in": D_IN, "d_sae": D_SAE, "dtype": "torch.float32", "device": "cpu", "model_name": "tiny-test",
       "hook_point": "blocks.0.hook_resid_pre", "hook_point_layer": 0, "hook_point_head_index": None,
       "activation_fn_str": "topk", "activation_fn_kwargs": {"k": 4}, "apply_b_dec_to_input": True,
       "finetuning_scaling_factor": True, "normalize_activations": False, "context_size": 64, "dataset_path": "fixtures",
       "prepend_bos": True, "sae_lens_training_version": "3.5.0"}
w["scaling_factor"] = 0.5 + torch.rand(D_SAE, generator=gen)
folder = saelens_folder("saelens-pre6-topk", cfg, w)
x = activations()
# v6 keeps no fine-tuning scale in its SAE classes; SAELens 5 multiplied the latents by it before decoding, so the
# expected reconstruction applies it on top of v6's own encode of the remaining weights.
cfg_dict, state = loaders.sae_lens_disk_loader(folder)
cfg_dict = loaders.handle_config_defaulting(cfg_dict)
scale = state.pop("finetuning_scaling_factor")
sae = SAE.from_dict(cfg_dict)
sae.load_state_dict(state)
with torch.no_grad():
    f = sae.encode(x)
    recon = (f * scale) @ sae.W_dec + sae.b_dec
fixture("saelens-pre6-topk", folder, x, f, recon, "SAELens (before 6.0)", "topk")

# ----------------------------------------------------------------------------------------------- Gemma Scope 1
folder = mkdir("gemma-scope-2b-pt-res", "layer_3", "width_16k", "average_l0_12")
params = {"W_enc": randn(D_IN, D_SAE, scale=0.4).numpy(), "b_enc": randn(D_SAE, scale=0.2).numpy(),
          "W_dec": randn(D_SAE, D_IN, scale=0.4).numpy(), "b_dec": randn(D_IN, scale=0.2).numpy(),
          "threshold": (torch.rand(D_SAE, generator=gen) * 0.5).numpy()}
np.savez(os.path.join(folder, "params.npz"), **params)
HF_FILES[("google/gemma-scope-2b-pt-res", "layer_3/width_16k/average_l0_12/params.npz")] = os.path.join(folder, "params.npz")
cfg_dict, state, _ = loaders.gemma_2_sae_huggingface_loader("google/gemma-scope-2b-pt-res", "layer_3/width_16k/average_l0_12",
                                                             cfg_overrides={"d_in": D_IN, "d_sae": D_SAE})
sae = SAE.from_dict(loaders.handle_config_defaulting(cfg_dict))
sae.load_state_dict(state)
x = activations()
with torch.no_grad():
    f = sae.encode(x)
    fixture("gemma-scope-1", folder, x, f, sae.decode(f), "Gemma Scope 1", "jumprelu")

# ----------------------------------------------------------------------------------------------- Gemma Scope 2
# SAELens 6.18 predates Gemma Scope 2; its later loader maps w_enc/w_dec/b_enc/b_dec/threshold to a JumpReLU SAE
# (apply_b_dec_to_input false) and affine_skip_connection to W_skip = affineᵀ. The expected outputs run those
# tensors through SAELens 6.18's JumpReLUSAE / JumpReLUTranscoder and add x·affine as SkipTranscoder.forward does.
def gemma2(name, hook_in, hook_out, d_out, affine):
    folder = mkdir(name)
    t = {"w_enc": randn(D_IN, D_SAE, scale=0.4), "b_enc": randn(D_SAE, scale=0.2), "w_dec": randn(D_SAE, d_out, scale=0.4),
         "b_dec": randn(d_out, scale=0.2), "threshold": torch.rand(D_SAE, generator=gen) * 0.5}
    if affine:
        t["affine_skip_connection"] = randn(D_IN, d_out, scale=0.2)
    save_safetensors(t, os.path.join(folder, "params.safetensors"))
    write_json(os.path.join(folder, "config.json"), {"hf_hook_point_in": hook_in, "hf_hook_point_out": hook_out, "width": D_SAE,
                                                     "model_name": "google/gemma-3-270m-pt", "architecture": "jump_relu", "l0": 7,
                                                     "affine_connection": affine, "type": "transcoder" if affine else "sae"})
    transcoder = hook_out != hook_in
    cfg = {"architecture": "jumprelu_transcoder" if transcoder else "jumprelu", "d_in": D_IN, "d_sae": D_SAE, "dtype": "float32",
           "device": "cpu", "apply_b_dec_to_input": False, "normalize_activations": "none", "sae_lens_version": "6.18.0", "metadata": {}}
    if transcoder:
        cfg["d_out"] = d_out
    sae = SAE.from_dict(cfg)
    sae.load_state_dict({"W_enc": t["w_enc"], "b_enc": t["b_enc"], "W_dec": t["w_dec"], "b_dec": t["b_dec"], "threshold": t["threshold"]})
    x = activations()
    with torch.no_grad():
        f = sae.encode(x)
        y = sae.decode(f)
        if affine:
            y = y + x @ t["affine_skip_connection"].T.T
    fixture(name, folder, x, f, y, "Gemma Scope 2", cfg["architecture"] + ("+skip" if affine else ""))


gemma2("gemma-scope-2-resid", "model.layers.2.output", "model.layers.2.output", D_IN, False)
gemma2("gemma-scope-2-transcoder", "model.layers.2.pre_feedforward_layernorm.output", "model.layers.2.post_feedforward_layernorm.output", D_OUT, True)

# ----------------------------------------------------------------------------------------------- Llama Scope
folder = mkdir("llama-scope", "Llama3_1-8B-Base-L5R-8x")
os.makedirs(os.path.join(folder, "checkpoints"), exist_ok=True)
avg_norm = 7.5
hyper = {"d_model": D_IN, "d_sae": D_SAE, "hook_point_in": "blocks.5.hook_resid_post", "hook_point_out": "blocks.5.hook_resid_post",
         "jump_relu_threshold": 0.35, "dataset_average_activation_norm": {"in": avg_norm, "out": avg_norm},
         "norm_activation": "dataset-wise", "act_fn": "jumprelu"}
write_json(os.path.join(folder, "hyperparams.json"), hyper)
t = {"encoder.weight": randn(D_SAE, D_IN, scale=0.4).to(torch.bfloat16), "encoder.bias": randn(D_SAE, scale=0.2).to(torch.bfloat16),
     "decoder.weight": randn(D_IN, D_SAE, scale=0.4).to(torch.bfloat16), "decoder.bias": randn(D_IN, scale=0.2).to(torch.bfloat16)}
save_safetensors(t, os.path.join(folder, "checkpoints", "final.safetensors"))
rel = "Llama3_1-8B-Base-L5R-8x"
HF_FILES[("fnlp/Llama3_1-8B-Base-LXR-8x", f"{rel}/hyperparams.json")] = os.path.join(folder, "hyperparams.json")
HF_FILES[("fnlp/Llama3_1-8B-Base-LXR-8x", f"{rel}/checkpoints/final.safetensors")] = os.path.join(folder, "checkpoints", "final.safetensors")
cfg_dict, state, _ = loaders.llama_scope_sae_huggingface_loader("fnlp/Llama3_1-8B-Base-LXR-8x", rel, cfg_overrides={"dtype": "float32"})
cfg_dict = loaders.handle_config_defaulting(cfg_dict)
sae = SAE.from_dict(cfg_dict)
sae.load_state_dict(state)
# from_pretrained then folds the release's norm_scaling_factor, √d / dataset_average_activation_norm.in.
sae.fold_activation_norm_scaling_factor(D_IN ** 0.5 / avg_norm)
x = activations() * 3
with torch.no_grad():
    f = sae.encode(x)
    fixture("llama-scope", folder, x, f, sae.decode(f), "Llama Scope", "jumprelu")

# ----------------------------------------------------------------------------------------------- sparsify
run = mkdir("sparsify-run")
write_json(os.path.join(run, "config.json"), {"model": "tiny-test"})
SparseCoder, SparseCoderConfig = sparse_coder.SparseCoder, sys.modules["sparsify.config"].SparseCoderConfig


def sparsify(name, module_name, transcode, skip):
    torch.manual_seed(7 + len(MANIFEST))
    coder = SparseCoder(D_IN, SparseCoderConfig(num_latents=D_SAE, k=5, transcode=transcode, skip_connection=skip))
    with torch.no_grad():
        coder.encoder.weight.copy_(randn(D_SAE, D_IN, scale=0.4))
        coder.encoder.bias.copy_(randn(D_SAE, scale=0.2))
        coder.W_dec.copy_(randn(D_SAE, D_IN, scale=0.4))
        coder.b_dec.copy_(randn(D_IN, scale=0.2))
        if skip:
            coder.W_skip.copy_(randn(D_IN, D_IN, scale=0.2))
    folder = os.path.join(run, module_name)
    os.makedirs(folder, exist_ok=True)
    save_safetensors({k: v for k, v in coder.state_dict().items()}, os.path.join(folder, "sae.safetensors"))
    write_json(os.path.join(folder, "cfg.json"), {**coder.cfg.to_dict(), "d_in": D_IN})
    loaded = SparseCoder.load_from_disk(folder)
    x = activations()
    with torch.no_grad():
        enc = loaded.encode(x)
        f = torch.zeros(N, D_SAE).scatter_(-1, enc.top_indices, enc.top_acts)
        y = loaded.decode(enc.top_acts, enc.top_indices)
        if loaded.W_skip is not None:
            y = y + x @ loaded.W_skip.mT
    fixture(name, folder, x, f, y, "sparsify", "topk transcoder" if transcode else "topk")


sparsify("sparsify-sae", "layers.3", False, False)
sparsify("sparsify-skip-transcoder", "layers.3.mlp", True, True)

# ----------------------------------------------------------------------------------------------- dictionary_learning
def dictionary_learning(name, dict_class, ae, loader, **trainer):
    folder = mkdir("dictionary-learning", name)
    torch.save(ae.state_dict(), os.path.join(folder, "ae.pt"))
    write_json(os.path.join(folder, "config.json"), {"trainer": {"dict_class": dict_class, "activation_dim": D_IN, "dict_size": D_SAE,
                                                                 "layer": 2, "lm_name": "tiny-test", "submodule_name": "resid_post_layer_2",
                                                                 **trainer}})
    loaded = loader(os.path.join(folder, "ae.pt"))  # the class's from_pretrained, as utils.load_dictionary calls it
    x = activations()
    with torch.no_grad():
        f = loaded.encode(x)
        fixture(f"dictionary-learning-{name}", folder, x, f, loaded.decode(f), "dictionary_learning", dict_class)


def fill(ae):
    with torch.no_grad():
        for p in ae.parameters():
            p.copy_(randn(*p.shape, scale=0.4))
    return ae


ae = fill(dl.AutoEncoder(D_IN, D_SAE))
dictionary_learning("autoencoder", "AutoEncoder", ae, dl.AutoEncoder.from_pretrained)
ae = fill(dl.AutoEncoderNew(D_IN, D_SAE))
dictionary_learning("autoencoder-new", "AutoEncoderNew", ae, dl.AutoEncoderNew.from_pretrained)
ae = fill(dl.GatedAutoEncoder(D_IN, D_SAE))
dictionary_learning("gated", "GatedAutoEncoder", ae, dl.GatedAutoEncoder.from_pretrained)
ae = fill(dl.JumpReluAutoEncoder(D_IN, D_SAE))
with torch.no_grad():
    ae.threshold.copy_(torch.rand(D_SAE, generator=gen) * 0.5)
dictionary_learning("jumprelu", "JumpReluAutoEncoder", ae, lambda p: dl.JumpReluAutoEncoder.from_pretrained(p))
ae = fill(dl_topk.AutoEncoderTopK(D_IN, D_SAE, 5))
dictionary_learning("topk", "AutoEncoderTopK", ae, lambda p: dl_topk.AutoEncoderTopK.from_pretrained(p, k=5), k=5)
ae = fill(dl_btk.BatchTopKSAE(D_IN, D_SAE, 5))
ae.threshold.fill_(0.3)
dictionary_learning("batchtopk", "BatchTopKSAE", ae, lambda p: dl_btk.BatchTopKSAE.from_pretrained(p, k=5), k=5)
ae = fill(dl_mat.MatryoshkaBatchTopKSAE(D_IN, D_SAE, 5, [8, 8, 16]))
ae.threshold.fill_(0.25)
dictionary_learning("matryoshka", "MatryoshkaBatchTopKSAE", ae, lambda p: dl_mat.MatryoshkaBatchTopKSAE.from_pretrained(p, k=5), k=5)

# ----------------------------------------------------------------------------------------------- added fixtures
# Appended after the fixtures above so that those keep their bytes (the generator's random stream is shared).
btk = load_file_as("sae_lens.saes.batchtopk_sae", os.path.join(SAELENS, "sae_lens", "saes", "batchtopk_sae.py"))
mbtk = load_file_as("sae_lens.saes.matryoshka_batchtopk_sae", os.path.join(SAELENS, "sae_lens", "saes", "matryoshka_batchtopk_sae.py"))


def metadata(hook="blocks.1.hook_resid_post"):
    return sae_mod.SAEMetadata(model_name="tiny-test", hook_name=hook, hook_head_index=None, prepend_bos=True, context_size=64,
                               dataset_path="fixtures", neuronpedia_id=None, sae_lens_version="6.18.0", sae_lens_training_version="6.18.0")


# SAELens v6 plain `transcoder` (ReLU, no skip), loaded and run by SAELens's Transcoder.
w = std_weights(D_IN, D_OUT)
cfg = v6_cfg("transcoder", hook="blocks.1.ln2.hook_normalized", apply_b_dec_to_input=False, d_out=D_OUT)
cfg["metadata"]["hook_name_out"] = "blocks.1.hook_mlp_out"
folder = saelens_folder("saelens-transcoder", cfg, w)
x = activations()
fixture("saelens-transcoder", folder, x, *saelens_run(folder, x), "SAELens v6", "transcoder")

# `jumprelu_skip_transcoder`: SAELens 6.18 has no class for it (later SAELens adds JumpReLUSkipTranscoder, a
# JumpReLUTranscoder with SkipTranscoder's skip term). The expected outputs are SAELens 6.18's JumpReLUTranscoder
# encode/forward on the same tensors plus x·W_skipᵀ exactly as SkipTranscoder.forward adds it. Thresholds are partly
# negative so the ReLU before the threshold matters.
w = std_weights(D_IN, D_OUT)
w["threshold"] = torch.rand(D_SAE, generator=gen) * 0.8 - 0.2
w["W_skip"] = randn(D_OUT, D_IN, scale=0.2)
cfg = v6_cfg("jumprelu_skip_transcoder", hook="blocks.1.ln2.hook_normalized", apply_b_dec_to_input=False, d_out=D_OUT)
cfg["metadata"]["hook_name_out"] = "blocks.1.hook_mlp_out"
folder = saelens_folder("saelens-jumprelu-skip-transcoder", cfg, w)
jt = SAE.from_dict({**cfg, "architecture": "jumprelu_transcoder"})
jt.load_state_dict({k: v for k, v in w.items() if k != "W_skip"})
x = activations()
with torch.no_grad():
    f = jt.encode(x)
    fixture("saelens-jumprelu-skip-transcoder", folder, x, f, jt.forward(x) + x @ w["W_skip"].T, "SAELens v6", "jumprelu_skip_transcoder")


# BatchTopK and Matryoshka BatchTopK as SAELens saves them: a training checkpoint (`save_model`: architecture
# batchtopk / matryoshka_batchtopk, a scalar topk_threshold, rescale_acts_by_decoder_norm true, decoder not folded) and
# the inference folder (`save_inference_model`: architecture jumprelu, decoder norms folded, per-latent threshold).
# The expected outputs of both are SAELens's JumpReLUSAE loaded from the inference folder by SAE.load_from_disk.
def batchtopk(name, train_cls, cfg_cls, arch, **fields):
    cfg = cfg_cls(d_in=D_IN, d_sae=D_SAE, k=5.0, dtype="float32", device="cpu", rescale_acts_by_decoder_norm=True,
                  metadata=metadata(), **fields)
    sae = train_cls(cfg)
    with torch.no_grad():
        sae.W_enc.copy_(randn(D_IN, D_SAE, scale=0.4))
        sae.b_enc.copy_(randn(D_SAE, scale=0.2))
        sae.W_dec.copy_(randn(D_SAE, D_IN, scale=0.4) * (0.5 + torch.rand(D_SAE, 1, generator=gen) * 2))
        sae.b_dec.copy_(randn(D_IN, scale=0.2))
        sae.topk_threshold = torch.tensor(0.45, dtype=torch.double)
    checkpoint = mkdir(f"{name}-checkpoint")
    sae.save_model(checkpoint)
    inference = mkdir(name)
    sae.save_inference_model(inference)
    loaded = SAE.load_from_disk(inference)
    x = activations()
    with torch.no_grad():
        f = loaded.encode(x)
        y = loaded.decode(f)
    fixture(name, inference, x, f, y, "SAELens v6", "jumprelu")
    fixture(f"{name}-checkpoint", checkpoint, x, f, y, "SAELens v6", arch)


batchtopk("saelens-batchtopk", btk.BatchTopKTrainingSAE, btk.BatchTopKTrainingSAEConfig, "batchtopk")
batchtopk("saelens-matryoshka-batchtopk", mbtk.MatryoshkaBatchTopKTrainingSAE, mbtk.MatryoshkaBatchTopKTrainingSAEConfig,
          "matryoshka_batchtopk", matryoshka_widths=[8, 32])

# A JumpReLU folder holding `log_threshold` (what SAELens's JumpReLUTrainingSAE keeps as its parameter) instead of
# `threshold`: the expected outputs are JumpReLUTrainingSAE's own encode/decode with that log_threshold loaded.
w = std_weights()
w["log_threshold"] = torch.log(torch.rand(D_SAE, generator=gen) * 0.5 + 0.05)
folder = saelens_folder("saelens-jumprelu-log-threshold", v6_cfg("jumprelu"), w)
# torch 1.13 predates autograd.Function's separate setup_context, so `JumpReLU.apply` is pointed at the library's own
# static `JumpReLU.forward` (the backward pass plays no part here).
jump.JumpReLU.apply = staticmethod(lambda x, threshold, bandwidth: jump.JumpReLU.forward(x, threshold, bandwidth))
tj = jump.JumpReLUTrainingSAE(jump.JumpReLUTrainingSAEConfig(d_in=D_IN, d_sae=D_SAE, dtype="float32", device="cpu", metadata=metadata()))
tj.load_state_dict(w)
x = activations()
with torch.no_grad():
    f = tj.encode(x)
    fixture("saelens-jumprelu-log-threshold", folder, x, f, tj.decode(f), "SAELens v6", "jumprelu")

# SAELens before 6.0 with the `activation_fn` key (not `activation_fn_str`), `apply_b_dec_to_input: false` and a
# `hook_point_head_index` of null: sae_lens_disk_loader + handle_config_defaulting, then v6's TopKSAE.
w = std_weights()
cfg = {"d_in": D_IN, "d_sae": D_SAE, "dtype": "float32", "device": "cpu", "model_name": "tiny-test",
       "hook_point": "blocks.2.hook_resid_post", "hook_point_layer": 2, "hook_point_head_index": None,
       "activation_fn": "topk", "activation_fn_kwargs": {"k": 3}, "apply_b_dec_to_input": False,
       "normalize_activations": False, "context_size": 64, "dataset_path": "fixtures", "prepend_bos": True,
       "sae_lens_training_version": "4.0.0"}
folder = saelens_folder("saelens-pre6-activation-fn-topk", cfg, w)
cfg_dict, state = loaders.sae_lens_disk_loader(folder)
sae = SAE.from_dict(loaders.handle_config_defaulting(cfg_dict))
sae.load_state_dict(state)
x = activations()
with torch.no_grad():
    f = sae.encode(x)
    fixture("saelens-pre6-activation-fn-topk", folder, x, f, sae.decode(f), "SAELens (before 6.0)", "topk")

write_json(os.path.join(HERE, "manifest.json"), MANIFEST)
print(f"{len(MANIFEST)} fixtures written")
