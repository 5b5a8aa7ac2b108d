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

# ---- The paper's MP fit (methods.md 1.4 A-B), re-implemented after the authors' released code
# (pdf_from_spectrum, GaussBroadening.broaden_spectrum, fit_marcenkoPastur with scipy's
# curve_fit / TRF), on the singular values of one 2000 x 1000 Gaussian matrix (entry variance
# 0.37). p0: the paper's (0.5, 2.0) lies outside the support for unnormalised singular values
# (nu_max = 2 < nu_min: zero model, zero gradient), so the reference starts from data-only values
# a0 = 1/(pi v0 M), nu0 = max s with v0 = sum s^2 / (N M). Writes mp_sv.bin (float64 singular
# values, descending) and mp_paper_fit.txt: "method a nu_max" for 'drop' and 'replicate'.
from scipy.optimize import curve_fit


def broadened(x, s, w, method):
    s = np.sort(s)
    if method == "replicate":
        s = np.pad(s, w, mode="edge")
    n = s.size
    out = np.zeros_like(x)
    for i in range(w, n - w):
        sg = (s[i + w] - s[i - w]) / 2 + 1e-15
        out += np.exp(-0.5 * ((x - s[i]) / sg) ** 2) / (np.sqrt(2 * np.pi) * sg)
    return out / n


def pdf_from_spectrum(s, ns, w, method):
    s = np.sort(s)
    off = 500 * (s[1] - s[0])
    x = np.arange(-off, s[0], (s[1] - s[0]) / ns)
    parts = [x]
    for i in range(s.size - 1):
        g = s[i + 1] - s[i]
        parts.append(s[i] + np.arange(ns) * g / ns if g > 0 else np.array([s[i + 1]]))
    g = s[-1] - s[-2]
    parts.append(s[-1] + np.arange(500 * ns) * g / ns)
    x = np.concatenate(parts)
    return x, broadened(x, s, w, method)


def paper_fit(s, N, M, method, w=15, ns=10, rng_fit=0.7):
    x, pdf = pdf_from_spectrum(s, ns, w, method)
    keep = x > 0
    x, pdf = x[keep], pdf[keep]
    numin = np.sort(s)[0]
    xm, pm = x[np.argmax(pdf)], pdf.max()
    keep = (x <= xm) | (pdf > rng_fit * pm)
    x, pdf = x[keep], pdf[keep]

    def f(xx, a, numax):
        with np.errstate(invalid="ignore"):
            y = a / xx * np.sqrt((numax ** 2 - xx ** 2) * (xx ** 2 - numin ** 2))
        y[~np.isfinite(y)] = 0.0
        y[y < 0] = 0.0
        return y

    v0 = np.sum(s ** 2) / (N * M)
    p0 = (1 / (np.pi * v0 * M), s.max())
    (a, numax), _ = curve_fit(f, x, pdf, p0, bounds=([0, 0], [np.inf, np.inf]),
                              xtol=1e-14, ftol=1e-14, gtol=1e-14, max_nfev=20000)
    return a, numax


rng = np.random.default_rng(20221)
N, M, v = 2000, 1000, 0.37
W = rng.standard_normal((N, M)) * np.sqrt(v)
s = np.linalg.svd(W, compute_uv=False)
s.astype("<f8").tofile(os.path.join(out, "mp_sv.bin"))
with open(os.path.join(out, "mp_paper_fit.txt"), "w") as f:
    for method in ("drop", "replicate"):
        a, numax = paper_fit(s, N, M, method)
        f.write(f"{method} {a!r} {numax!r}\n")
