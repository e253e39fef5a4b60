#!/usr/bin/env python3
"""PyTorch's nn.LSTM, nn.GRU and nn.RNN (tanh and relu) in float64 on small seeded cases, for
tests/ChainRule.Tests/Kernels/Recurrent/TorchRecurrentTests.cs, which runs ChainRule's Lstm, Gru and Rnn kernels on the
same weights and inputs and compares to 1e-12.

Each case: batch_first input x of shape (B, T, F) drawn from torch.manual_seed(seed), the module's own default
initialization (U(-1/sqrt(H), 1/sqrt(H))) from that seed, every step's output (B, T, H), and the gradients of
    loss = sum(w * output)          with w of the output's shape, every step's (B, T, H) or the last step's (B, H),
with respect to weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0 and x. A case with truncate = K > 0 detaches the
state before step T - K: the module runs on x[:, :T-K], its final state is detached (h, and c for the LSTM), and it
runs on x[:, T-K:] from that state; the outputs are concatenated. That is ChainRule's definition of truncated BPTT.

Works with PyTorch 1.13. Writes torch_recurrent.json next to itself (floats as Python's repr, which round-trips).
Run: /usr/bin/python3 tests/ChainRule.Tests/Serialization/Fixtures/torch_recurrent.py
"""
import json
import os

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))

CASES = [
    # kind, nonlinearity, B, T, F, H, return_sequences, truncate, seed
    ("lstm", None, 3, 5, 4, 6, True, 0, 1),
    ("lstm", None, 2, 7, 3, 5, False, 0, 2),
    ("lstm", None, 2, 9, 5, 4, True, 3, 3),
    ("lstm", None, 3, 8, 2, 7, False, 5, 4),
    ("gru", None, 3, 5, 4, 6, True, 0, 5),
    ("gru", None, 2, 7, 3, 5, False, 0, 6),
    ("gru", None, 2, 9, 5, 4, True, 3, 7),
    ("gru", None, 3, 8, 2, 7, False, 5, 8),
    ("rnn", "tanh", 3, 5, 4, 6, True, 0, 9),
    ("rnn", "tanh", 2, 9, 5, 4, False, 4, 10),
    ("rnn", "relu", 3, 6, 4, 5, True, 0, 11),
    ("rnn", "relu", 2, 8, 3, 6, False, 3, 12),
]


def make(kind, nonlinearity, features, hidden):
    if kind == "lstm":
        return nn.LSTM(features, hidden, batch_first=True)
    if kind == "gru":
        return nn.GRU(features, hidden, batch_first=True)
    return nn.RNN(features, hidden, nonlinearity=nonlinearity, batch_first=True)


def run(module, kind, x, truncate):
    steps = x.shape[1]
    if truncate == 0 or truncate >= steps:
        out, _ = module(x)
        return out
    cut = steps - truncate
    early, state = module(x[:, :cut])
    state = tuple(s.detach() for s in state) if kind == "lstm" else state.detach()
    late, _ = module(x[:, cut:], state)
    return torch.cat([early, late], dim=1)


def flat(tensor):
    return tensor.detach().reshape(-1).tolist()


def case(kind, nonlinearity, batch, steps, features, hidden, return_sequences, truncate, seed):
    torch.manual_seed(seed)
    module = make(kind, nonlinearity, features, hidden).double()
    x = torch.randn(batch, steps, features, dtype=torch.float64, requires_grad=True)
    out = run(module, kind, x, truncate)
    y = out if return_sequences else out[:, -1]
    w = torch.randn(y.shape, dtype=torch.float64)
    (y * w).sum().backward()
    names = ["weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"]
    params = dict(module.named_parameters())
    return {
        "kind": kind, "nonlinearity": nonlinearity or "", "batch": batch, "steps": steps, "features": features,
        "hidden": hidden, "return_sequences": return_sequences, "truncate": truncate, "seed": seed,
        "parameters": {name: flat(params[name]) for name in names},
        "x": flat(x), "y": flat(y), "w": flat(w),
        "gradients": dict({name: flat(params[name].grad) for name in names}, x=flat(x.grad)),
    }


def main():
    cases = [case(*c) for c in CASES]
    with open(os.path.join(HERE, "torch_recurrent.json"), "w") as f:
        json.dump({"torch": torch.__version__, "cases": cases}, f, indent=0)
        f.write("\n")


if __name__ == "__main__":
    main()
