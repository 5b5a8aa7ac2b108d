"""Valid safetensors seeds for fuzz-safetensors: python3 seeds-safetensors.py DIR.
Small files (< 4 kB) assembled with struct + json (the format's own recipe) from numpy bytes:
several dtypes, metadata, 1-D to 5-D shapes, an empty tensor, space padding."""
import json
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(1)


def st(name, tensors, metadata=None, pad=0):
    hdr, blob = {}, b""
    if metadata is not None:
        hdr["__metadata__"] = metadata
    for tname, dt, arr in tensors:
        raw = arr.tobytes()
        hdr[tname] = {"dtype": dt, "shape": list(arr.shape),
                      "data_offsets": [len(blob), len(blob) + len(raw)]}
        blob += raw
    h = json.dumps(hdr).encode() + b" " * pad
    with open(os.path.join(out, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + blob)


def bf16(a):
    return (a.astype("<f4").view("<u4") >> 16).astype("<u2")


st("mlp", [("fc1.weight", "F32", rng.standard_normal((12, 8)).astype("<f4")),
           ("fc1.bias", "F32", rng.standard_normal(12).astype("<f4")),
           ("fc2.weight", "F16", rng.standard_normal((4, 12)).astype("<f2"))],
   {"format": "pt"}, pad=5)
st("conv", [("conv.weight", "F32", rng.standard_normal((4, 3, 3, 3)).astype("<f4")),
            ("stack", "F64", rng.standard_normal((2, 5, 4)))])
st("ints", [("i8", "I8", rng.integers(-100, 100, (6, 5)).astype("i1")),
            ("u8", "U8", rng.integers(0, 255, (5, 6)).astype("u1")),
            ("i16", "I16", rng.integers(-999, 999, (3, 4)).astype("<i2")),
            ("i32", "I32", rng.integers(-999, 999, (4, 3)).astype("<i4")),
            ("i64", "I64", rng.integers(-999, 999, (2, 3)).astype("<i8")),
            ("mask", "BOOL", rng.standard_normal((3, 3)) > 0)])
st("bf16", [("w", "BF16", bf16(rng.standard_normal((6, 7)))),
            ("e4m3", "F8_E4M3", rng.integers(0, 255, (4, 4)).astype("u1")),
            ("e5m2", "F8_E5M2", rng.integers(0, 255, (4, 4)).astype("u1"))])
st("five", [("five", "F32", rng.standard_normal((3, 2, 2, 2, 2)).astype("<f4")),
            ("empty", "F32", np.zeros((0, 4), dtype="<f4")),
            ("scalar", "F32", np.array(1.5, dtype="<f4"))])
st("meta", [], {"a": "1", "b": "two", "c": ""})
