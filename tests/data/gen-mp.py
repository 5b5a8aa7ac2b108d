"""Golden values for tests/test-mp.c, written by scipy (an independent implementation).

airy.txt: lines "x Ai(x) Ai'(x)" from scipy.special.airy (Cephes) on [-12, 40].
mp_quad.txt: lines "rows cols sigma2 x F(x)": the Marchenko-Pastur CDF in rmtk's eigenvalue
convention (lambda = s^2, no 1/N) by adaptive quadrature of the density (scipy.integrate.quad),
an oracle for the closed form.
"""
import sys, os
import numpy as np
from scipy import special, integrate

out = sys.argv[1]
xs = np.concatenate([np.linspace(-12.0, 40.0, 209), [-9.0, -8.999, 9.0, 8.999, 0.0, 1e-3]])
with open(os.path.join(out, "airy.txt"), "w") as f:
    for x in xs:
        ai, aip, _, _ = special.airy(x)
        f.write(f"{x!r} {float(ai)!r} {float(aip)!r}\n")

rows = []
for (N, M, v) in ((2000, 1000, 1.0), (300, 700, 0.25), (500, 500, 2.0), (1, 0.3, 1.0)):
    n, m = max(N, M), min(N, M)
    a = v * (np.sqrt(n) - np.sqrt(m)) ** 2
    b = v * (np.sqrt(n) + np.sqrt(m)) ** 2
    rho = lambda l: np.sqrt(max((b - l) * (l - a), 0.0)) / (2 * np.pi * v * m * l)
    for t in (0.01, 0.1, 0.3, 0.5, 0.77, 0.95, 0.999):
        x = a + t * (b - a)
        F, _ = integrate.quad(rho, a, x, epsabs=1e-14, epsrel=1e-13, limit=200)
        rows.append((N, M, v, x, F))
with open(os.path.join(out, "mp_quad.txt"), "w") as f:
    for r in rows:
        f.write(" ".join(repr(float(z)) for z in r) + "\n")
