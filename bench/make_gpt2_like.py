#!/usr/bin/env python3
"""Write a GPT-2-small-shaped safetensors file of random float32 weights for bench-model.sh:
12 blocks of attn.c_attn (768x2304), attn.c_proj (768x768), mlp.c_fc (768x3072),
mlp.c_proj (3072x768), with their biases and layer norms (about 340 MB)."""
import json
import struct
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(0)
shapes = {}
for b in range(12):
    p = f"h.{b}."
    shapes[p + "ln_1.weight"] = (768,)
    shapes[p + "attn.c_attn.weight"] = (768, 2304)
    shapes[p + "attn.c_attn.bias"] = (2304,)
    shapes[p + "attn.c_proj.weight"] = (768, 768)
    shapes[p + "ln_2.weight"] = (768,)
    shapes[p + "mlp.c_fc.weight"] = (768, 3072)
    shapes[p + "mlp.c_proj.weight"] = (3072, 768)
header, off = {}, 0
for name, shp in shapes.items():
    n = int(np.prod(shp)) * 4
    header[name] = {"dtype": "F32", "shape": list(shp), "data_offsets": [off, off + n]}
    off += n
h = json.dumps(header).encode()
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h)
    for name, shp in shapes.items():
        f.write((rng.standard_normal(shp, dtype=np.float32) * 0.02).astype("<f4").tobytes())
