#!/usr/bin/python3
"""Runs SAELens's own transcoder code on the transcoder folders our exporter wrote (see README.md next to this file).

For each entry of manifest.json: SAELens's `SAE.load_from_disk(folder)`, then `encode(x)` and `forward(x)` (which adds
the skip term for skip transcoders) on the `activations` already stored in the entry's expected file; writes
`feature_acts` and `reconstruction` back next to them. Then SAELens's `save_model` of the loaded SAE: the cfg.json it
writes is kept verbatim (`saelens_cfg`) and the names and shapes of the tensors it saves go to `saelens_weights`.

Run with Debian's python3-torch (1.13):
  /usr/bin/python3 reference.py <SAELens checkout>
SAELens's package __init__ imports training and hub code that plays no part in loading or encoding, so the modules that
do are imported from the checkout as they are, with small stand-ins for the imports they never use.
"""
import json
import os
import struct
import sys
import tempfile
import types
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SAELENS = os.path.abspath(sys.argv[1])

DTYPES = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}
NAMES = {v: k for k, v in DTYPES.items()}


def save_safetensors(tensors, path):
    header, offset, blobs = {}, 0, []
    for name in sorted(tensors):
        raw = tensors[name].detach().contiguous().numpy().tobytes()
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
        blobs.append(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def load_safetensors(path, device="cpu"):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = torch.frombuffer(bytearray(data[b:end]), dtype=NAMES[e["dtype"]]).reshape(e["shape"]).clone()
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


import typing_extensions
for _name, _value in [("deprecated", lambda *a, **k: (lambda f: f)), ("override", lambda f: f)]:
    if not hasattr(typing_extensions, _name):
        setattr(typing_extensions, _name, _value)
module("einops", rearrange=None, einsum=None)
module("jaxtyping", Float=_Subscriptable(), Int=_Subscriptable())
module("packaging")
module("packaging.version", Version=Version)
module("transformer_lens")
module("transformer_lens.hook_points", HookPoint=HookPoint, HookedRootModule=HookedRootModule)
module("safetensors", safe_open=SafeOpen)
module("safetensors.torch", load_file=load_safetensors, save_file=save_safetensors,
       load_model=lambda model, filename, device="cpu", strict=True: model.load_state_dict(load_safetensors(filename), strict=strict), save_model=None)
module("huggingface_hub", hf_hub_download=None, hf_hub_url=None, snapshot_download=None)
module("huggingface_hub.utils", EntryNotFoundError=FileNotFoundError)
module("requests")
module("natsort", natsorted=sorted)
module("simple_parsing", Serializable=object, list_field=lambda *a, **k: None)
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
load_file_as("sae_lens.loading.pretrained_sae_loaders", os.path.join(SAELENS, "sae_lens", "loading", "pretrained_sae_loaders.py"))
sae_mod = load_file_as("sae_lens.saes.sae", os.path.join(SAELENS, "sae_lens", "saes", "sae.py"))
tc = load_file_as("sae_lens.saes.transcoder", os.path.join(SAELENS, "sae_lens", "saes", "transcoder.py"))
for arch, cls, cfg in [("transcoder", tc.Transcoder, tc.TranscoderConfig), ("skip_transcoder", tc.SkipTranscoder, tc.SkipTranscoderConfig),
                       ("jumprelu_transcoder", tc.JumpReLUTranscoder, tc.JumpReLUTranscoderConfig)]:
    registry.register_sae_class(arch, cls, cfg)

with open(os.path.join(HERE, "manifest.json")) as f:
    manifest = json.load(f)
for entry in manifest:
    folder = os.path.join(HERE, entry["folder"])
    sae = sae_mod.SAE.load_from_disk(folder)
    assert isinstance(sae, tc.Transcoder), f"{folder} did not load as a SAELens transcoder"
    assert sae.cfg.architecture() == entry["architecture"], (sae.cfg.architecture(), entry["architecture"])
    path = os.path.join(HERE, entry["expected"])
    x = load_safetensors(path)["activations"]
    with torch.no_grad():
        out = {"activations": x, "feature_acts": sae.encode(x), "reconstruction": sae.forward(x)}
    save_safetensors(out, path)
    # SAELens's own save_model of what it loaded: its cfg.json verbatim (json.dump of cfg.to_dict()), and the names
    # and shapes of the state dict it saves, so the tests can hold our cfg.json and weights to what SAELens writes.
    with tempfile.TemporaryDirectory() as tmp:
        weights_path, cfg_path = sae.save_model(tmp)
        with open(cfg_path, "rb") as f:
            cfg_text = f.read()
        saved = load_safetensors(weights_path)
    with open(os.path.join(HERE, entry["saelens_cfg"]), "wb") as f:
        f.write(cfg_text)
    with open(os.path.join(HERE, entry["saelens_weights"]), "w") as f:
        json.dump({k: list(v.shape) for k, v in sorted(saved.items())}, f)
    print(entry["name"], type(sae).__name__, tuple(out["feature_acts"].shape), tuple(out["reconstruction"].shape),
          "L0", float((out["feature_acts"] > 0).float().sum(1).mean()))
