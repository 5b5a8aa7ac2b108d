"""Golden data for tests/test-spectrum.c: raw matrix buffers written by numpy/torch in several
dtypes and memory orders, with numpy's float64 SVD of exactly the stored values.

spectrum_cases.txt: lines "name dtype rows cols order" (order C or F); for each case
spec_<name>.bin holds the raw little-endian elements, spec_<name>.sv the singular values
(float64, descending), spec_<name>.u / .v the first singular vectors (float64, vector-major).
"""
import os
import sys

import numpy as np
import torch

out = sys.argv[1]
rng = np.random.default_rng(20261123)
cases = []


def add(name, w, dtype, order="C"):
    if dtype == "BF16":
        t = torch.from_numpy(np.ascontiguousarray(w)).to(torch.bfloat16)
        stored = t.to(torch.float64).numpy()
        raw = t.view(torch.int16).numpy().tobytes(order="C")
        if order == "F":
            raw = t.T.contiguous().view(torch.int16).numpy().tobytes()
    else:
        npdt = {"F64": np.float64, "F32": np.float32, "F16": np.float16}[dtype]
        a = w.astype(npdt)
        stored = a.astype(np.float64)
        raw = a.tobytes(order=order)
    u, s, vt = np.linalg.svd(stored, full_matrices=False)
    with open(os.path.join(out, f"spec_{name}.bin"), "wb") as f:
        f.write(raw)
    s.astype("<f8").tofile(os.path.join(out, f"spec_{name}.sv"))
    u.T.astype("<f8").tofile(os.path.join(out, f"spec_{name}.u"))
    vt.astype("<f8").tofile(os.path.join(out, f"spec_{name}.v"))
    cases.append((name, dtype, w.shape[0], w.shape[1], order))


g = lambda m, n: rng.standard_normal((m, n))
add("tall_f64", g(300, 120), "F64")
add("wide_f64", g(90, 250), "F64")
add("square_f64", g(200, 200), "F64")
add("tall_f32", g(257, 64), "F32")
add("wide_f32_fortran", g(64, 200), "F32", "F")
add("tall_f64_fortran", g(180, 70), "F64", "F")
add("tall_f16", g(150, 40), "F16")
add("wide_bf16", g(48, 160), "BF16")
add("tall_bf16_fortran", g(160, 48), "BF16", "F")
add("row_1xN", g(1, 77), "F64")
add("col_Nx1", g(77, 1), "F32")
add("rankdef_f64", g(120, 5) @ g(5, 90), "F64")
# A graded spectrum: singular values 10^0 .. 10^-5 (tests the small end and the guard).
q1, _ = np.linalg.qr(g(160, 60))
q2, _ = np.linalg.qr(g(60, 60))
add("graded_f64", (q1 * np.logspace(0, -5, 60)) @ q2.T, "F64")
with open(os.path.join(out, "spectrum_cases.txt"), "w") as f:
    for c in cases:
        f.write("%s %s %d %d %s\n" % c)
