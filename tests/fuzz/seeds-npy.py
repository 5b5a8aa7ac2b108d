"""Valid .npy seeds for fuzz-npy: python3 seeds-npy.py DIR. Written by numpy (np.save and
np.lib.format.write_array for versions 1.0, 2.0, 3.0): dtypes, byte orders, Fortran order,
0-D to 4-D shapes."""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(2)
w = rng.standard_normal((12, 9))
arrays = {
    "f8": w, "f4": w.astype("<f4"), "f2": w.astype("<f2"), "be_f4": w.astype(">f4"),
    "fortran": np.asfortranarray(w), "fortran3d": np.asfortranarray(rng.standard_normal((4, 3, 2))),
    "i1": rng.integers(-9, 9, (5, 4)).astype("i1"), "u2": rng.integers(0, 99, (4, 5)).astype("<u2"),
    "i8": rng.integers(-9, 9, (3, 3)).astype(">i8"), "bool": w > 0, "scalar": np.float64(2.5),
    "conv": rng.standard_normal((4, 3, 2, 2)).astype("<f4"), "c16": w[:3, :3].astype(complex),
    "empty": np.zeros((0, 5)),
}
for name, a in arrays.items():
    np.save(os.path.join(out, name + ".npy"), a)
for v in ((2, 0), (3, 0)):
    with open(os.path.join(out, f"v{v[0]}.npy"), "wb") as f:
        np.lib.format.write_array(f, w.astype("<f4"), version=v)
