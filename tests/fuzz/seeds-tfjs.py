"""TF.js seeds for fuzz-tfjs: python3 seeds-tfjs.py DIR. The target writes w1.bin (64 bytes)
and w2.bin (37 bytes) next to each input; these model.json files and bare manifests name them
(float32, int32, bool, uint8/uint16/float16 quantisation, a weight across both shards, layers
and graph topologies, and the shapes of a few rejected ones: "..", an absolute path, a missing
shard, a short stream)."""
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
U8 = {"dtype": "uint8", "scale": 0.0123, "min": -0.7}
U16 = {"dtype": "uint16", "scale": 1.5e-5, "min": -0.25}
F16 = {"dtype": "float16"}
both = [{"paths": ["w1.bin", "w2.bin"], "weights": [
    {"name": "n", "shape": [], "dtype": "int32", "quantization": U8},       # bytes [0, 1)
    {"name": "dense/kernel", "shape": [4, 3], "dtype": "float32"},          # [1, 49)
    {"name": "conv/kernel", "shape": [2, 2, 2, 2], "dtype": "float32",      # [49, 65): spans
     "quantization": U8},
    {"name": "dw/depthwise_kernel", "shape": [3, 3, 1, 1], "dtype": "float32",
     "quantization": F16},                                                   # [65, 83)
    {"name": "convt/kernel", "shape": [1, 1, 2, 3], "dtype": "float32", "quantization": U16},
    {"name": "flags", "shape": [6], "dtype": "bool"}]}]                      # [95, 101)
layers = [{"class_name": c, "config": {"name": n}} for c, n in
          [("Dense", "dense"), ("Conv2D", "conv"), ("DepthwiseConv2D", "dw"),
           ("Conv2DTranspose", "convt")]]
seeds = {
    "layers": {"format": "layers-model", "modelTopology": {"class_name": "Sequential",
               "config": {"layers": layers}}, "weightsManifest": both},
    "graph": {"format": "graph-model", "modelTopology": {"node": [
        {"name": "m", "op": "MatMul", "input": ["x", "dense/kernel:0"],
         "attr": {"transpose_b": {"b": True}}},
        {"name": "c", "op": "Conv2D", "input": ["x", "conv/kernel"]},
        {"name": "d", "op": "DepthwiseConv2dNative", "input": ["x", "^dw/depthwise_kernel"]},
        {"name": "u", "op": "Conv2DBackpropInput", "input": ["s", "convt/kernel", "x"]}]},
        "weightsManifest": both},
    "bare": both,
    "one": [{"paths": ["w1.bin"], "weights": [
        {"name": "fc/weights", "shape": [8, 8], "dtype": "float32", "quantization": U8}]}],
    "two-groups": [{"paths": ["w2.bin"], "weights": [
        {"name": "a", "shape": [37], "dtype": "float32", "quantization": U8}]},
        {"paths": ["w1.bin"], "weights": [
            {"name": "b", "shape": [4, 4], "dtype": "int32"}]}],
    "dotdot": [{"paths": ["../w1.bin"], "weights": []}],
    "absolute": [{"paths": ["/tmp/w1.bin"], "weights": []}],
    "missing": [{"paths": ["w3.bin"], "weights": []}],
    "short": [{"paths": ["w2.bin"], "weights": [{"name": "a", "shape": [10],
                                                 "dtype": "float32"}]}],
}
for name, d in seeds.items():
    with open(os.path.join(out, name + ".json"), "w") as f:
        f.write(json.dumps(d, indent=1 if name == "layers" else None) + "\n")
