"""Golden conversions for tests/test-dtype.c, written by independent implementations.

f16_all.f64:  all 65 536 binary16 bit patterns, numpy.float16 -> float64 (numpy's own halffloat
              code).
bf16_all.f64: all 65 536 bfloat16 bit patterns, torch.bfloat16 -> torch.float64 (torch's code).
e4m3_all.f64, e5m2_all.f64: all 256 patterns of each OCP FP8 format, from
              torch.float8_e4m3fn / torch.float8_e5m2 when the installed torch has them; the
              Debian torch (1.13) does not, so these are then decoded here in exact rational
              arithmetic (fractions.Fraction) from the OCP OFP8 rev 1.0 tables: a second,
              independently written decoder, not a second library.
fp8_source.txt: "torch" or "python-fractions", which of the two wrote the FP8 files.
Values are little-endian float64 in bit-pattern order; NaNs are written as NaN.
"""
import os
import sys
from fractions import Fraction

import numpy as np
import torch

out = sys.argv[1]

bits = np.arange(65536, dtype=np.uint16)
np.asarray(bits.view(np.float16).astype(np.float64), dtype='<f8').tofile(
    os.path.join(out, "f16_all.f64"))

tb = torch.from_numpy(bits.view(np.int16).copy()).view(torch.bfloat16)
np.asarray(tb.to(torch.float64).numpy(), dtype='<f8').tofile(os.path.join(out, "bf16_all.f64"))


def ofp8(b, ebits, mbits, bias, fn):
    s = -1 if b >> 7 else 1
    e = (b >> mbits) & ((1 << ebits) - 1)
    m = b & ((1 << mbits) - 1)
    if fn:  # E4M3fn: no infinities; S.1111.111 is NaN
        if e == (1 << ebits) - 1 and m == (1 << mbits) - 1:
            return float("nan")
    elif e == (1 << ebits) - 1:  # E5M2: IEEE specials
        return float(s) * float("inf") if m == 0 else float("nan")
    if e == 0:
        v = Fraction(m, 1 << mbits) * Fraction(2) ** (1 - bias)
    else:
        v = (1 + Fraction(m, 1 << mbits)) * Fraction(2) ** (e - bias)
    return float(s * v) if v != 0 else (-0.0 if s < 0 else 0.0)


src = "python-fractions"
b8 = np.arange(256, dtype=np.uint8)
if hasattr(torch, "float8_e4m3fn") and hasattr(torch, "float8_e5m2"):
    src = "torch"
    t8 = torch.from_numpy(b8.copy())
    e4 = t8.view(torch.float8_e4m3fn).to(torch.float64).numpy()
    e5 = t8.view(torch.float8_e5m2).to(torch.float64).numpy()
else:
    e4 = np.array([ofp8(int(b), 4, 3, 7, True) for b in b8])
    e5 = np.array([ofp8(int(b), 5, 2, 15, False) for b in b8])
np.asarray(e4, dtype='<f8').tofile(os.path.join(out, "e4m3_all.f64"))
np.asarray(e5, dtype='<f8').tofile(os.path.join(out, "e5m2_all.f64"))
with open(os.path.join(out, "fp8_source.txt"), "w") as f:
    f.write(src + "\n")
