#!/usr/bin/env python3
"""Writes independent.safetensors with nothing but json and struct, following the format's README
(https://github.com/huggingface/safetensors#format), as a writer independent of ChainRule's.

Values (checked by IndependentWriterTests):
  dense.weight  F32  shape [2, 3]  w[r][c] = (r * 3 + c) * 0.25 - 1
  dense.bias    F64  shape [3]     b[i]    = 1 / (i + 1)   (so 1, 0.5, 0.333...)
  norm.weight   F16  shape [4]     g[i]    = 1.5 ** i      (exact in binary16)
  norm.bias     BF16 shape [2, 2]  h[i]    = -2.0 ** i / 8  (exact in bfloat16; rows of 2)
  step          F32  shape []      a scalar, 42
  empty         F32  shape [0, 5]  no data
Metadata: {"format": "pt", "writer": "write_fixture.py"}.
The tensors are listed in the header in an order different from their data's order, which JSON permits.
Run: python3 write_fixture.py  (rewrites independent.safetensors next to it).
"""
import json
import os
import struct

def f32(values):
    return struct.pack("<%df" % len(values), *values)

def f64(values):
    return struct.pack("<%dd" % len(values), *values)

def f16(values):
    return struct.pack("<%de" % len(values), *values)

def bf16(values):
    # bfloat16 is the upper half of a binary32; these values are exact, so truncating is rounding.
    return b"".join(struct.pack("<I", struct.unpack("<I", struct.pack("<f", v))[0])[2:] for v in values)

tensors = [  # (name, dtype, shape, bytes), in data order
    ("dense.bias", "F64", [3], f64([1.0 / (i + 1) for i in range(3)])),
    ("dense.weight", "F32", [2, 3], f32([(k * 0.25) - 1.0 for k in range(6)])),
    ("empty", "F32", [0, 5], b""),
    ("step", "F32", [], f32([42.0])),
    ("norm.weight", "F16", [4], f16([1.5 ** i for i in range(4)])),
    ("norm.bias", "BF16", [2, 2], bf16([-(2.0 ** i) / 8 for i in range(4)])),
]

header = {"__metadata__": {"format": "pt", "writer": "write_fixture.py"}}
entries = []
offset = 0
for name, dtype, shape, data in tensors:
    entries.append((name, {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(data)]}))
    offset += len(data)
for name, entry in reversed(entries):
    header[name] = entry

text = json.dumps(header, separators=(",", ":")).encode("utf-8")
text += b" " * (-len(text) % 8)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "independent.safetensors")
with open(path, "wb") as out:
    out.write(struct.pack("<Q", len(text)))
    out.write(text)
    for _, _, _, data in tensors:
        out.write(data)
