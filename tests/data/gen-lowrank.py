"""Golden data for tests/test-lowrank.c: factors L (rows x r) and R (r x cols) stored in several
dtypes, and numpy's float64 SVD of the dense product scale * L @ R of exactly the stored values.

lowrank_cases.txt: lines "name dtype rows inner cols scale ltrans"; for each case
lr_<name>.l and lr_<name>.r hold the raw little-endian elements (L in C order, or when ltrans
is 1 stored as its transpose, an r x rows C array, so that the view has strides (1, rows)),
lr_<name>.sv the min(rows, cols) singular values of the dense product (float64, descending) and,
for the cases built with exact singular values, lr_<name>.exact those values.
"""
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
rng = np.random.default_rng(20261130)
cases = []


def stored(x, dtype):
    """(raw bytes in C order, the stored values as float64)."""
    if dtype == "BF16":
        t = torch.from_numpy(np.ascontiguousarray(x)).to(torch.bfloat16)
        return t.view(torch.int16).numpy().tobytes(), t.to(torch.float64).numpy()
    npdt = {"F64": np.float64, "F32": np.float32, "F16": np.float16}[dtype]
    a = np.ascontiguousarray(x.astype(npdt))
    return a.tobytes(), a.astype(np.float64)


def add(name, l, r, dtype, scale=1.0, ltrans=False, exact=None):
    lraw, lval = stored(l.T if ltrans else l, dtype)
    if ltrans:
        lval = lval.T
    rraw, rval = stored(r, dtype)
    dense = scale * (lval @ rval)
    s = np.linalg.svd(dense, compute_uv=False)
    with open(os.path.join(out, f"lr_{name}.l"), "wb") as f:
        f.write(lraw)
    with open(os.path.join(out, f"lr_{name}.r"), "wb") as f:
        f.write(rraw)
    s.astype("<f8").tofile(os.path.join(out, f"lr_{name}.sv"))
    if exact is not None:
        np.asarray(exact, dtype="<f8").tofile(os.path.join(out, f"lr_{name}.exact"))
    cases.append((name, dtype, l.shape[0], l.shape[1], r.shape[1], repr(float(scale)),
                  1 if ltrans else 0))


g = lambda m, n: rng.standard_normal((m, n))
add("f64_300x8x200", g(300, 8), g(8, 200), "F64", 2.0)
add("f32_1000x16x700", g(1000, 16) * 0.02, g(16, 700) * 0.02, "F32", 0.5)
add("bf16_2000x64x1500", g(2000, 64) * 0.01, g(64, 1500) * 0.01, "BF16", 16 / 64)
add("f16_512x32x2000", g(512, 32) * 0.05, g(32, 2000) * 0.05, "F16", 2.0)
add("f64_rank1", g(50, 1), g(1, 80), "F64")
# A rank-deficient core: L = L1 C has rank 10 < r = 24.
add("f64_rankdef", g(400, 10) @ g(10, 24), g(24, 300), "F64", 1.0)
# r larger than the rows: the core is 20 x 32.
add("f32_r_gt_rows", g(20, 32), g(32, 100), "F32", 1.0)
# L stored transposed (a strided view), a negative scale.
add("f32_ltrans", g(150, 12), g(12, 90), "F32", -3.0, ltrans=True)
# Exact singular values d (L = U diag(d), R = V^T with orthonormal U, V): graded 1 .. 1e-7.
u, _ = np.linalg.qr(g(600, 40))
v, _ = np.linalg.qr(g(500, 40))
d = np.logspace(0, -7, 40)
add("f64_graded_exact", u * d, v.T, "F64", 1.0, exact=d)
with open(os.path.join(out, "lowrank_cases.txt"), "w") as f:
    for c in cases:
        f.write("%s %s %d %d %d %s %d\n" % c)
