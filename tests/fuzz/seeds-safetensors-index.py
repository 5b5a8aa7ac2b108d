"""Shard-index seeds for fuzz-safetensors-index: python3 seeds-safetensors-index.py DIR.
The target writes shard-1.safetensors (tensors a, b) and shard-2.safetensors (c) next to each
input; these indexes name them (valid ones, and the shapes of a few rejected ones: a tensor in
the wrong shard, a missing shard, a "..", an absolute path)."""
import json
import os
import sys

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
seeds = {
    "both": {"metadata": {"total_size": 142}, "weight_map": {"a": "shard-1.safetensors",
                                                           "b": "shard-1.safetensors",
                                                           "c": "shard-2.safetensors"}},
    "one": {"weight_map": {"a": "shard-1.safetensors", "b": "shard-1.safetensors"}},
    "wrong": {"weight_map": {"a": "shard-2.safetensors"}},
    "missing": {"weight_map": {"a": "shard-3.safetensors"}},
    "dotdot": {"weight_map": {"a": "../shard-1.safetensors"}},
    "absolute": {"weight_map": {"a": "/tmp/shard-1.safetensors"}},
    "meta": {"metadata": {"total_size": 1, "format": "pt", "x": "y"},
             "weight_map": {"c": "shard-2.safetensors"}},
}
for name, d in seeds.items():
    with open(os.path.join(out, name + ".safetensors.index.json"), "w") as f:
        f.write(json.dumps(d, indent=2 if name == "both" else None) + "\n")
