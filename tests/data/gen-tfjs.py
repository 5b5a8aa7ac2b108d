#!/usr/bin/env python3
"""Golden TensorFlow.js models for tests/test-tfjs.c, written by hand after the TF.js format.

A layers model, a graph model and a bare weights manifest (face-api style), with float32,
int32, bool, uint8/uint16 affine-quantised and float16-quantised weights, a weight spanning two
shard files, dense, convolution, transposed convolution and depthwise kernels. The expected
values are numpy's decoding per tfjs-core's io.decodeWeights (tfjs-core src/io/io_utils.ts):
float32(q * scale + min) with q * scale + min evaluated in float64 (a JavaScript number),
float16 widened to float32, then permuted to PyTorch's (out, in, kernel...) presentation:
dense [in, out] -> .T, convolution HWIO -> OIHW, transposed convolution HWOI -> OIHW. They are
written as golden .npy files; OUTDIR/tfjs/expect.txt lists "MODEL TENSOR LAYOUT SKIP GOLDEN"
per tensor (LAYOUT and GOLDEN "-" when none; SKIP 1 for a depthwise kernel). The hand-broken
files for the error paths are listed in OUTDIR/tfjs/broken.txt as "FILE STATUS SUBSTRING...".

usage: gen-tfjs.py OUTDIR
"""
import json
import os
import sys

import numpy as np

OUT = os.path.join(sys.argv[1], "tfjs")
os.makedirs(OUT, exist_ok=True)
rng = np.random.default_rng(20261130)
expect = []
broken = []


def quantise(x, qdtype):
    """(bytes, spec quantization, decoded float32) of float array x, quantised like the TF.js
    converter (affine: scale = (max - min) / (2^bits - 1))."""
    if qdtype == "float16":
        h = x.astype(np.float16)
        return h.astype("<f2").tobytes(), {"dtype": "float16"}, h.astype(np.float32)
    bits = 8 if qdtype == "uint8" else 16
    lo, hi = float(x.min()), float(x.max())
    scale = (hi - lo) / (2**bits - 1)
    q = np.round((x - lo) / scale).astype(np.uint8 if bits == 8 else np.uint16)
    dec = (q.astype(np.float64) * scale + lo).astype(np.float32)
    return (q.astype("<u1" if bits == 8 else "<u2").tobytes(),
            {"dtype": qdtype, "scale": scale, "min": lo}, dec)


class Model:
    def __init__(self, name):
        self.name = name
        self.groups = []

    def group(self, split=None):
        self.groups.append({"weights": [], "data": bytearray(), "split": split})

    def add(self, name, x, dtype="float32", q=None, present=None, layout="-", skip=0):
        g = self.groups[-1]
        spec = {"name": name, "shape": list(x.shape), "dtype": dtype}
        if q == "float16-bits":  # x: raw binary16 patterns (uint16)
            raw, spec["quantization"] = x.astype("<u2").tobytes(), {"dtype": "float16"}
            dec = x.astype(np.uint16).view(np.float16).astype(np.float32)
        elif q:
            raw, spec["quantization"], dec = quantise(x, q)
            if dtype == "int32":
                qs = spec["quantization"]
                qv = np.frombuffer(raw, dtype="<u1" if q == "uint8" else "<u2")
                dec = np.floor(qv.astype(np.float64) * qs["scale"] + qs["min"] + 0.5)
                dec = dec.astype(np.int32).reshape(x.shape)
        else:
            np_dt = {"float32": "<f4", "int32": "<i4", "bool": "u1"}[dtype]
            raw = x.astype(np_dt).tobytes()
            dec = x.astype(np_dt)
        g["weights"].append(spec)
        g["data"] += raw
        golden = "-"
        if dtype != "bool":
            p = present(dec) if present else dec
            golden = "golden-%s-%s.npy" % (self.name, name.replace("/", "_"))
            arr = np.array(p, order="C")  # (ascontiguousarray makes a scalar 1-D)
            np.save(os.path.join(OUT, golden),
                    arr.astype(np.float32) if dtype == "float32" else arr.astype(np.int32))
        expect.append((self.name + "/model.json" if not self.bare else self.name + "/manifest.json",
                       name, layout, skip, golden))

    bare = False

    def write(self, topology=None, fmt=None):
        d = os.path.join(OUT, self.name)
        os.makedirs(d, exist_ok=True)
        manifest = []
        for gi, g in enumerate(self.groups):
            data = bytes(g["data"])
            sp = g["split"]
            if isinstance(sp, int):  # the converter's convention: equal shards, a shorter last
                sp = list(range(sp, len(data), sp))
            cuts = [0] + (sp or []) + [len(data)]
            paths = []
            for k in range(len(cuts) - 1):
                p = "group%d-shard%dof%d.bin" % (gi + 1, k + 1, len(cuts) - 1)
                with open(os.path.join(d, p), "wb") as f:
                    f.write(data[cuts[k]:cuts[k + 1]])
                paths.append(p)
            manifest.append({"paths": paths, "weights": g["weights"]})
        if self.bare:
            with open(os.path.join(d, "manifest.json"), "w") as f:
                json.dump(manifest, f, indent=1)
        else:
            doc = {"format": fmt, "generatedBy": "gen-tfjs.py", "convertedBy": None,
                   "modelTopology": topology, "weightsManifest": manifest}
            with open(os.path.join(d, "model.json"), "w") as f:
                json.dump(doc, f, indent=1)
        return manifest


def dense(a):
    return a.T


def conv(a):
    return a.transpose(a.ndim - 1, a.ndim - 2, *range(a.ndim - 2))


def convt(a):
    return a.transpose(a.ndim - 2, a.ndim - 1, *range(a.ndim - 2))


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


# ---- a layers model: the layer classes say what each kernel is ----
m = Model("layers")
m.group(split=50)  # 50-byte shards: "dense/kernel" (96 bytes) spans the first two
m.add("dense/kernel", f32(6, 4), present=dense, layout="in,out")
m.add("dense/bias", f32(4))
m.add("conv/kernel", f32(3, 3, 2, 5), q="uint8", present=conv, layout="HWIO")
m.add("dw/depthwise_kernel", f32(3, 3, 5, 2), q="float16", skip=1)
m.add("convt/kernel", f32(2, 2, 3, 5), q="uint16", present=convt, layout="HWOI")
m.group(split=[7, 7, 20])  # a second group: an empty shard, boundaries inside a weight
m.add("lstm/kernel", f32(5, 12), present=dense, layout="in,out")
m.add("lstm/recurrent_kernel", f32(3, 12), q="uint8", present=dense, layout="in,out")
m.add("emb/embeddings", f32(7, 3))  # an Embedding: presented as stored
m.add("counts", rng.integers(-1000, 1000, (4,)).astype(np.int32), dtype="int32")
m.add("qcounts", rng.integers(-300, 300, (6,)).astype(np.float64), dtype="int32", q="uint8")
m.add("flags", np.array([1, 0, 1], dtype=np.uint8), dtype="bool")
m.add("seq/conv1d/kernel", f32(3, 4, 6), q="uint8", present=conv, layout="WIO")
layers = [{"class_name": c, "config": {"name": n}} for c, n in
          [("Dense", "dense"), ("Conv2D", "conv"), ("DepthwiseConv2D", "dw"),
           ("Conv2DTranspose", "convt"), ("LSTM", "lstm"), ("Embedding", "emb")]]
layers.append({"class_name": "Sequential", "config": {"name": "seq", "layers": [
    {"class_name": "Conv1D", "config": {"name": "conv1d"}}]}})
m.write({"class_name": "Sequential", "config": {"name": "top", "layers": layers},
         "keras_version": "tfjs-layers 4.22.0"}, "layers-model")

# ---- a graph model: the nodes' ops say what each weight is (names say nothing) ----
m = Model("graph")
m.group()
m.add("w_in", f32(5, 7), present=dense, layout="in,out")          # MatMul, transpose_b false
m.add("w_t", f32(3, 5), q="uint8")                                # MatMul, transpose_b true
m.add("filt", f32(2, 2, 3, 4), q="float16", present=conv, layout="HWIO")  # _FusedConv2D
m.add("dwf", f32(3, 3, 4, 1), skip=1)                             # DepthwiseConv2dNative
m.add("up", f32(2, 2, 6, 4), present=convt, layout="HWOI")        # Conv2DBackpropInput
m.add("name_rule/kernel", f32(4, 6), present=dense, layout="in,out")  # no node: name rule
m.add("name_rule/depthwise_weights", f32(3, 3, 8, 1), skip=1)
m.add("scalar_const", f32())
nodes = [
    {"name": "x", "op": "Placeholder"},
    {"name": "w_in", "op": "Const"},
    {"name": "mm", "op": "MatMul", "input": ["x", "w_in"],
     "attr": {"transpose_a": {"b": False}, "transpose_b": {"b": False}}},
    {"name": "mm2", "op": "MatMul", "input": ["mm", "w_t:0"],
     "attr": {"transpose_b": {"b": True}}},
    {"name": "c", "op": "_FusedConv2D", "input": ["img", "filt", "bias", "^ctrl"]},
    {"name": "d", "op": "DepthwiseConv2dNative", "input": ["c", "dwf"]},
    {"name": "u", "op": "Conv2DBackpropInput", "input": ["sizes", "up", "d"]},
]
m.write({"node": nodes, "library": {}, "versions": {"producer": 1}}, "graph-model")

# ---- a bare weights manifest, face-api style: the name and rank rule ----
m = Model("manifest")
m.bare = True
m.group(split=65536)  # all_f16 spans the last two
m.add("conv0/filters", f32(3, 3, 3, 16), q="uint8", present=conv, layout="HWIO")
m.add("conv0/bias", f32(16), q="uint8")
m.add("conv1/depthwise_filter", f32(3, 3, 16, 1), q="uint8", skip=1)
m.add("conv1/pointwise_filter", f32(1, 1, 16, 32), q="uint8", present=conv, layout="HWIO")
m.add("fc/weights", f32(32, 10), q="uint16", present=dense, layout="in,out")
m.add("fc/bias", f32(10), q="float16")
# every binary16 pattern (subnormals, infinities, NaNs), widened exactly
m.add("all_f16", np.arange(65536, dtype=np.uint16), q="float16-bits")
m.write()

# ---- hand-broken files ----
B = os.path.join(OUT, "broken")
os.makedirs(B, exist_ok=True)


def bad(name, manifest, shards, status, *subs, model=True):
    d = os.path.join(B, name)
    os.makedirs(d, exist_ok=True)
    for p, data in shards.items():
        if data is None:
            os.makedirs(os.path.join(d, p), exist_ok=True)
        else:
            with open(os.path.join(d, p), "wb") as f:
                f.write(data)
    fn = "model.json" if model else "manifest.json"
    with open(os.path.join(d, fn), "w") as f:
        json.dump({"format": "layers-model", "modelTopology": None, "weightsManifest": manifest}
                  if model else manifest, f)
    broken.append((name + "/" + fn, status) + subs)


W = [{"name": "a/kernel", "shape": [4, 3], "dtype": "float32"},
     {"name": "b", "shape": [2], "dtype": "float32",
      "quantization": {"dtype": "uint8", "scale": 0.5, "min": -1.0}}]
GOOD = bytes(range(48)) + bytes([3, 4])
bad("missing-shard", [{"paths": ["w1.bin", "w2.bin"], "weights": W}], {"w1.bin": GOOD[:30]},
    "IO", "w2.bin", "cannot be opened")
bad("short-shard", [{"paths": ["w.bin"], "weights": W}], {"w.bin": GOOD[:45]},
    "FORMAT", "need 50 bytes", "hold 45 bytes", "'b'", "missing or short")
bad("trailing", [{"paths": ["w.bin"], "weights": W}], {"w.bin": GOOD + b"xx"},
    "FORMAT", "need 50 bytes", "hold 52 bytes", "trailing")
bad("bad-dtype", [{"paths": ["w.bin"], "weights": [dict(W[0], dtype="float64")]}],
    {"w.bin": GOOD[:48]}, "FORMAT", "'a/kernel'", "unknown dtype \"float64\"")
bad("bad-quant", [{"paths": ["w.bin"], "weights": [
    dict(W[1], quantization={"dtype": "int4", "scale": 1, "min": 0})]}], {"w.bin": b"ab"},
    "FORMAT", "'b'", "unknown quantization dtype \"int4\"")
bad("quant-no-scale", [{"paths": ["w.bin"], "weights": [
    dict(W[1], quantization={"dtype": "uint8"})]}], {"w.bin": b"ab"},
    "FORMAT", "'b'", "without numeric \"scale\"")
bad("f16-int32", [{"paths": ["w.bin"], "weights": [
    {"name": "i", "shape": [2], "dtype": "int32", "quantization": {"dtype": "float16"}}]}],
    {"w.bin": b"abcd"}, "FORMAT", "'i'", "float16 quantization of a int32")
bad("string", [{"paths": ["w.bin"], "weights": [{"name": "s", "shape": [1], "dtype": "string"}]}],
    {"w.bin": b"\1\0\0\0a"}, "UNSUPPORTED", "'s'", "string")
bad("shape-neg", [{"paths": ["w.bin"], "weights": [dict(W[0], shape=[4, -3])]}],
    {"w.bin": GOOD[:48]}, "FORMAT", "'a/kernel'", "shape entry 1")
bad("shape-huge", [{"paths": ["w.bin"], "weights": [dict(W[0], shape=[2**40, 2**40])]}],
    {"w.bin": GOOD[:48]}, "RANGE", "'a/kernel'", "overflows")
bad("escape", [{"paths": ["../w.bin"], "weights": W}], {}, "FORMAT", "'../w.bin'", "\"..\"")
bad("absolute", [{"paths": ["/etc/passwd"], "weights": W}], {}, "FORMAT", "absolute path")
bad("url", [{"paths": ["https://example.com/w.bin"], "weights": W}], {}, "FORMAT", "URL")
bad("dir-shard", [{"paths": ["sub"], "weights": W}], {"sub": None}, "FORMAT",
    "not a regular file")
bad("no-groups", [], {}, "FORMAT", "lists no weight groups")
bad("group-not-object", [["w.bin"]], {}, "FORMAT", "group 0 is not an object")
bad("duplicate", [{"paths": ["w.bin"], "weights": [W[1], W[1]]}], {"w.bin": b"abcd"},
    "FORMAT", "duplicate tensor name 'b'")
bad("bare-bad", [{"paths": ["w.bin"], "weights": "nope"}], {"w.bin": b""},
    "FORMAT", "group 0", model=False)

with open(os.path.join(OUT, "expect.txt"), "w") as f:
    for row in expect:
        f.write(" ".join(str(c) for c in row) + "\n")
with open(os.path.join(OUT, "broken.txt"), "w") as f:
    for row in broken:
        f.write("\t".join(row) + "\n")
