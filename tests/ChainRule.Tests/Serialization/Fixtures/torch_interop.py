#!/usr/bin/env python3
"""PyTorch interop for ChainRule checkpoints, both ways, with the nn.Module equivalent to
tests/ChainRule.Tests/Serialization/CheckpointModels.cs's EveryLayer (every layer kind and residual variant).

Works with PyTorch 1.13 (no torch.nn.RMSNorm, no safetensors module): files are read and written with json and
struct only, as the safetensors format's README describes.

1. ChainRule -> PyTorch. First write ChainRule's side (a trained EveryLayer and its logits on probe inputs):
       dotnet build tests/ChainRule.Tests
       dotnet exec tests/ChainRule.Tests/bin/Debug/net10.0/ChainRule.Tests.dll write-interop-fixture \
           tests/ChainRule.Tests/Serialization/Fixtures
   This script then load_state_dict(strict=True)s chainrule_every_layer.safetensors into EveryLayer and checks that
   its eval-mode logits equal ChainRule's (chainrule_every_layer_probe.safetensors) within float tolerance.
2. PyTorch -> ChainRule. It builds the module from torch.manual_seed(14), sets every parameter (ReZero's alpha
   included) to a non-trivial value, runs 7 training-mode forwards so BatchNorm has running statistics and
   num_batches_tracked = 7, and writes its state_dict() as torch_every_layer.safetensors (F32, num_batches_tracked
   I64, no metadata, as a PyTorch user's file would be), plus torch_every_layer_probe.safetensors: probe inputs and
   the eval-mode logits computed in float64 from those same F32 weights. TorchInteropTests loads both through the
   generated Load and compares its predictions.

3. The same both ways for BiasFree (nn.Linear(bias=False) layers, no '.bias' tensors): chainrule_bias_free*.safetensors
   from the same helper, torch_bias_free*.safetensors from this script.

Run: /usr/bin/python3 tests/ChainRule.Tests/Serialization/Fixtures/torch_interop.py  (writes next to itself)
"""
import json
import os
import struct

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

# ---- safetensors with json and struct -------------------------------------------------------------------------

FORMATS = {"F32": ("f", torch.float32), "F64": ("d", torch.float64), "I64": ("q", torch.int64)}


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    metadata = header.pop("__metadata__", {})
    buffer = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        code, dtype = FORMATS[entry["dtype"]]
        begin, end = entry["data_offsets"]
        count = (end - begin) // struct.calcsize(code)
        values = struct.unpack("<%d%s" % (count, code), buffer[begin:end])
        tensors[name] = torch.tensor(values, dtype=dtype).reshape(entry["shape"])
    return tensors, metadata


def write_safetensors(path, tensors, metadata=None):
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        dtype = {torch.float32: "F32", torch.float64: "F64", torch.int64: "I64"}[tensor.dtype]
        code = FORMATS[dtype][0]
        flat = tensor.reshape(-1).tolist()
        chunk = struct.pack("<%d%s" % (len(flat), code), *flat)
        header[name] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(chunk)]}
        chunks.append(chunk)
        offset += len(chunk)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(chunks))


# ---- the module ------------------------------------------------------------------------------------------------

class RMSNorm(nn.Module):
    """x / sqrt(mean(x^2) + eps) * weight, eps = 1e-6 as ChainRule's default (PyTorch 1.13 has no nn.RMSNorm)."""

    def __init__(self, features, eps=1e-6):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(features))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def norm(kind, features):
    return {"LayerNorm": lambda: nn.LayerNorm(features, eps=1e-5),
            "RMSNorm": lambda: RMSNorm(features),
            "BatchNorm": lambda: nn.BatchNorm1d(features, eps=1e-5, momentum=0.1)}[kind]()


class Block(nn.Module):
    """ChainRule's residual block: pre x + a*down(act(up(norm(x)))) or post norm(x + a*down(act(up(x)))).
    With ReZero, alpha is a parameter of shape [1] initialized 0 (Body.i.alpha in the state_dict)."""

    def __init__(self, kind, activation, width, hidden, placement, rezero):
        super().__init__()
        self.norm = norm(kind, width)
        self.up = nn.Linear(width, hidden)
        self.down = nn.Linear(hidden, width)
        self.act = activation
        self.placement = placement
        if rezero:
            self.alpha = nn.Parameter(torch.zeros(1))
        else:
            self.alpha = None

    def forward(self, x):
        branch_in = self.norm(x) if self.placement == "pre" else x
        branch = self.down(self.act(self.up(branch_in)))
        if self.alpha is not None:
            branch = self.alpha * branch
        return x + branch if self.placement == "pre" else self.norm(x + branch)


class EveryLayer(nn.Module):
    def __init__(self):
        super().__init__()
        self.Hidden = nn.Linear(6, 8)
        self.Ln = nn.LayerNorm(8, eps=1e-5)
        self.Rms = RMSNorm(8)
        self.Batch = nn.BatchNorm1d(8, eps=1e-5, momentum=0.1)
        self.Pre = nn.ModuleList([Block("LayerNorm", nn.GELU(), 8, 8, "pre", True) for _ in range(2)])
        self.Plain = nn.ModuleList([Block("RMSNorm", nn.Tanh(), 8, 8, "pre", False)])
        self.Post = nn.ModuleList([Block("BatchNorm", nn.ReLU(), 8, 12, "post", False)])
        self.PostScaled = nn.ModuleList([Block("LayerNorm", nn.SiLU(), 8, 8, "post", True)])
        self.Logits = nn.Linear(8, 3)

    def forward(self, x):
        x = self.Batch(self.Rms(self.Ln(nn.functional.gelu(self.Hidden(x)))))
        for stack in (self.Pre, self.Plain, self.Post, self.PostScaled):
            for block in stack:
                x = block(x)
        return self.Logits(x)


class BiasFree(nn.Module):
    """CheckpointModels.cs's BiasFree: dense layers declared Bias = false are nn.Linear(bias=False), whose state_dict
    has no '.bias' entry."""

    def __init__(self):
        super().__init__()
        self.Hidden = nn.Linear(6, 8, bias=False)
        self.Projection = nn.Linear(8, 8, bias=False)
        self.Batch = nn.BatchNorm1d(8, eps=1e-5, momentum=0.1)
        self.Logits = nn.Linear(8, 3, bias=False)

    def forward(self, x):
        return self.Logits(self.Batch(self.Projection(torch.tanh(self.Hidden(x)))))


def worst_relative_error(actual, expected):
    return ((actual - expected).abs() / expected.abs().clamp(min=1)).max().item()


# ---- 1. ChainRule -> PyTorch -----------------------------------------------------------------------------------

def check_chainrule_checkpoint(stem="every_layer", module=EveryLayer):
    path = os.path.join(HERE, "chainrule_%s.safetensors" % stem)
    if not os.path.exists(path):
        print("skipped ChainRule -> PyTorch: no %s (see this script's docstring)" % os.path.basename(path))
        return
    state, metadata = read_safetensors(path)
    assert metadata.get("format") == "pt", metadata
    model = module()
    model.load_state_dict(state, strict=True)  # raises on any missing, unexpected or misshapen key
    model.eval()
    probe, _ = read_safetensors(os.path.join(HERE, "chainrule_%s_probe.safetensors" % stem))
    with torch.no_grad():
        logits = model(probe["inputs"])
    error = worst_relative_error(logits.double(), probe["logits"].double())
    print("ChainRule -> PyTorch (%s): load_state_dict(strict=True) ok, max relative error of the logits %.2e" % (stem, error))
    assert error < 1e-5, error
    # And back: PyTorch's state_dict of the loaded module is ChainRule's checkpoint, tensor for tensor.
    for name, tensor in model.state_dict().items():
        assert torch.equal(tensor, state[name]), name


# ---- 2. PyTorch -> ChainRule -----------------------------------------------------------------------------------

def write_torch_checkpoint(stem="every_layer", module=EveryLayer, seed=14):
    torch.manual_seed(seed)
    model = module()
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("alpha"):
                parameter.fill_(0.5 if name.startswith("Pre.0") else -0.25)
            elif name.endswith(".weight") and parameter.dim() == 1:
                parameter.uniform_(0.5, 1.5)  # norms' gamma
            elif name.endswith(".bias"):
                parameter.uniform_(-0.2, 0.2)
    model.train()
    with torch.no_grad():
        for _ in range(7):  # running statistics and num_batches_tracked = 7
            model(torch.randn(16, 6) * 1.5 + 0.3)
    state = model.state_dict()
    write_safetensors(os.path.join(HERE, "torch_%s.safetensors" % stem), state)

    inputs = torch.randn(8, 6, dtype=torch.float64)
    reference = module().double()
    reference.load_state_dict({k: (v.double() if v.is_floating_point() else v) for k, v in state.items()}, strict=True)
    reference.eval()
    with torch.no_grad():
        logits = reference(inputs)
    write_safetensors(os.path.join(HERE, "torch_%s_probe.safetensors" % stem), {"inputs": inputs, "logits": logits},
                      {"writer": "torch_interop.py", "torch": torch.__version__})
    print("PyTorch -> ChainRule: wrote torch_%s.safetensors (%d tensors) and its probe" % (stem, len(state)))


if __name__ == "__main__":
    check_chainrule_checkpoint()
    write_torch_checkpoint()
    check_chainrule_checkpoint("bias_free", BiasFree)
    write_torch_checkpoint("bias_free", BiasFree, seed=15)
