"""Valid .npz seeds for fuzz-npz: python3 seeds-npz.py DIR. Written by numpy (np.savez, stored
members; np.savez_compressed, deflated members) and Python's zipfile (a zip64 archive, a
non-array member, a directory entry)."""
import io
import os
import sys
import zipfile

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(3)
a = {"w": rng.standard_normal((10, 8)).astype("<f4"), "b": rng.standard_normal(10),
     "f": np.asfortranarray(rng.standard_normal((6, 5))), "be": rng.standard_normal((4, 6)).astype(">f8")}
np.savez(os.path.join(out, "stored.npz"), **a)
np.savez_compressed(os.path.join(out, "deflated.npz"), **a)
np.savez_compressed(os.path.join(out, "conv.npz"),
                    conv=rng.standard_normal((4, 3, 2, 2)).astype("<f4"),
                    i=rng.integers(-5, 5, (5, 5)).astype("<i2"))


def npy(x):
    b = io.BytesIO()
    np.save(b, x)
    return b.getvalue()


with zipfile.ZipFile(os.path.join(out, "zip64.npz"), "w") as z:
    with z.open("x.npy", "w", force_zip64=True) as f:
        f.write(npy(rng.standard_normal((7, 6))))
    z.writestr("notes.txt", "not an array")
    z.writestr("sub/", "")
    z.writestr(zipfile.ZipInfo("y.npy"), npy(rng.standard_normal((3, 4)).astype("<f4")),
               compress_type=zipfile.ZIP_DEFLATED)
