#!/usr/bin/env python3
"""Fashion-MNIST test accuracy of the example network and of denoised copies of it.

    /usr/bin/python3 tests/denoise_eval.py FILE.safetensors [FILE ...] [--json]

Loads each safetensors file with numpy (a few lines of parsing: the safetensors package is not in
Debian), rebuilds the 784-1000-1000-10 ReLU network of examples/train_fashion_mlp.py with torch
on the CPU, and prints the test accuracy on the 10000 images of Debian's dataset-fashion-mnist.
A file written by `rmtk denoise --factored` holds NAME.U and NAME.V instead of NAME: the weight
is their product (U V), and the parameter count is reported. Inference only (a few seconds).
"""
import gzip
import json
import os
import struct
import sys

import numpy as np

DATA = "/usr/share/datasets/fashion-mnist"
DTYPES = {"F64": "<f8", "F32": "<f4", "F16": "<f2", "I64": "<i8", "I32": "<i4", "I16": "<i2",
          "I8": "i1", "U8": "u1", "U16": "<u2", "U32": "<u4", "U64": "<u8", "BOOL": "?"}


def read_safetensors(path):
    """(tensors as numpy arrays, metadata dict); BF16 widened to float32."""
    with open(path, "rb") as f:
        raw = f.read()
    (hl,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hl])
    meta = header.pop("__metadata__", {})
    base = 8 + hl
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        buf = raw[base + b:base + e]
        if t["dtype"] == "BF16":
            a = (np.frombuffer(buf, "<u2").astype(np.uint32) << 16).view(np.float32)
        else:
            a = np.frombuffer(buf, DTYPES[t["dtype"]])
        out[name] = a.reshape(t["shape"])
    return out, meta


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(raw, np.uint8, offset=8)


def weights(tensors, name):
    if name in tensors:
        return np.asarray(tensors[name], np.float64)
    return np.asarray(tensors[name + ".U"], np.float64) @ np.asarray(tensors[name + ".V"],
                                                                     np.float64)


def accuracy(path, x=None, y=None):
    import torch
    torch.set_num_threads(2)
    if x is None:
        mean, std = 72.94, 90.02  # as in examples/train_fashion_mlp.py
        x = torch.tensor((read_idx("t10k-images-idx3-ubyte.gz") - mean) / std,
                         dtype=torch.float32)
        y = torch.tensor(read_idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)
    t, meta = read_safetensors(path)
    h = x
    for i, layer in enumerate(["fc1", "fc2", "fc3"]):
        w = torch.tensor(weights(t, layer + ".weight"), dtype=torch.float32)
        b = torch.tensor(np.asarray(t[layer + ".bias"], np.float32))
        h = h @ w.T + b
        if i < 2:
            h = torch.relu(h)
    acc = (h.argmax(1) == y).float().mean().item()
    params = int(sum(a.size for a in t.values()))
    return acc, params, meta


def main():
    files = [a for a in sys.argv[1:] if not a.startswith("--")]
    res = []
    for f in files:
        acc, params, meta = accuracy(f)
        res.append({"file": f, "accuracy": acc, "params": params,
                    "kept_rank": meta.get("rmtk.denoise.kept_rank"),
                    "method": meta.get("rmtk.denoise.method")})
    if "--json" in sys.argv:
        print(json.dumps(res))
    else:
        for r in res:
            print(f"{r['file']}: accuracy {100 * r['accuracy']:.2f} %, {r['params']} parameters, "
                  f"method {r['method']}, kept {r['kept_rank']}")


if __name__ == "__main__":
    main()
