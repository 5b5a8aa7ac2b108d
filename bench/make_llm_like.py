"""A Llama-shaped safetensors file for bench/bench-report.sh: BLOCKS decoder blocks of 7 float16
projections named as Hugging Face's Llama (model.layers.N.self_attn.q_proj.weight, ...), d x d
attention and d x ff / ff x d MLP matrices of Gaussian entries (small, so that the analysis is
quick and the report's cost shows).
usage: make_llm_like.py OUT BLOCKS D FF"""
import json
import struct
import sys

import numpy as np

out, blocks, d, ff = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
rng = np.random.default_rng(1)
header, blobs, off = {}, [], 0
for b in range(blocks):
    for name, shape in (("self_attn.q_proj", (d, d)), ("self_attn.k_proj", (d, d)),
                        ("self_attn.v_proj", (d, d)), ("self_attn.o_proj", (d, d)),
                        ("mlp.gate_proj", (ff, d)), ("mlp.up_proj", (ff, d)),
                        ("mlp.down_proj", (d, ff))):
        raw = (rng.standard_normal(shape) / np.sqrt(d)).astype("<f2").tobytes()
        header[f"model.layers.{b}.{name}.weight"] = {
            "dtype": "F16", "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
h = json.dumps(header).encode()
with open(out, "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
