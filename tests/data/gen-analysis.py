"""Golden data for tests/test-analysis.c: a small safetensors model written with struct + json
(independent of rmtk's reader) and numpy's float64 metrics of its matrices.

analysis_model.safetensors: "a" 120x40 F32, "b" 30x90 F64, "c" 50x50 F32 (rank 5), "bias" 40 F32.
analysis_ref.txt: lines "name fro_norm2 spectral_norm stable_rank numerical_rank n_above";
numerical_rank is numpy's matrix_rank of the array in its stored dtype (F32 for "c": rank 5; the
float64 copy of the rounded product would have rank 50)."""
import json
import os
import struct
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(11)
mats = {
    "a": rng.standard_normal((120, 40)).astype(np.float32),
    "b": rng.standard_normal((30, 90)),
    "c": (rng.standard_normal((50, 5)) @ rng.standard_normal((5, 50))).astype(np.float32),
}
tensors = dict(mats)
tensors["bias"] = rng.standard_normal(40).astype(np.float32)
header, blobs, off = {"__metadata__": {"who": "gen-analysis.py", "quote": "a \"b\"\n"}}, [], 0
for name, t in tensors.items():
    raw = t.astype(t.dtype.newbyteorder("<")).tobytes()
    header[name] = {"dtype": "F32" if t.dtype == np.float32 else "F64", "shape": list(t.shape),
                    "data_offsets": [off, off + len(raw)]}
    blobs.append(raw)
    off += len(raw)
h = json.dumps(header).encode()
with open(os.path.join(out, "analysis_model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
with open(os.path.join(out, "analysis_ref.txt"), "w") as f:
    for name, stored in mats.items():
        w = stored.astype(np.float64)
        s = np.linalg.svd(w, compute_uv=False)
        n, m = w.shape
        edge = np.sum(w * w) / (n * m) * (np.sqrt(n) + np.sqrt(m)) ** 2
        f.write("%s %r %r %r %d %d\n" % (name, float(np.sum(w * w)), float(s[0]),
                                         float(np.sum(s ** 2) / s[0] ** 2),
                                         np.linalg.matrix_rank(stored), int(np.sum(s ** 2 > edge))))
