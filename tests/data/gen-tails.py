"""Golden values for tests/test-tails.c, computed with numpy (an independent implementation).

ww_lam.bin / ww_expected.txt: WeightWatcher's default power-law fit transcribed from its
definition (issue 4; WWFit): eigenvalues > 1e-5, sorted, every position i but the last a
candidate xmin = ev[i] with the tail ev[i:] (positions, not values: issue 10),
alpha = 1 + n / (sum ln x - n ln xmin), D = max_i |1 - (x_i/xmin)^(1-alpha) - i/n| over the
sorted tail (i = 0..n-1), smallest D wins (first on ties, np.argmin), sigma = (alpha-1)/sqrt(n),
alpha_weighted = alpha log10 lmax, log_alpha_norm = log10 sum lambda^alpha.
The eigenvalues are lambda = sigma^2 of a 300 x 600 matrix with Student-t(3) entries, plus a
few exact zeros and round-off negatives (which the fit must drop).

hillw_x.bin / hillw_{navg}_{njump}_{inv}.bin: the windowed Hill estimator, a line-by-line numpy
transcription of hill_estimator_avg / movmean / cdf_from_spectrum (methods.md 1.4 G): pairs
(g_inv, alpha_hat) as float64, interleaved.
"""
import os
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(20261123)

# ---- WeightWatcher-compatible fit --------------------------------------------------------------
W = rng.standard_t(3, size=(300, 600)) / np.sqrt(600)
lam = np.linalg.svd(W, compute_uv=False) ** 2
lam = np.concatenate([lam, [0.0, 0.0, -1e-18, 3e-6]])
lam.astype(np.float64).tofile(os.path.join(out, "ww_lam.bin"))

ev = np.sort(lam[lam > 1e-5])
Ds, alphas = [], []
for i, xmin in enumerate(ev[:-1]):
    x = ev[i:]
    n = len(x)
    a = 1.0 + n / (np.sum(np.log(x)) - n * np.log(xmin))
    cdf = 1.0 - (x / xmin) ** (1.0 - a)
    D = np.max(np.abs(cdf - np.arange(n) / n))
    Ds.append(D)
    alphas.append(a)
k = int(np.argmin(Ds))
xmin = ev[k]
a = alphas[k]
ntail = len(ev) - k
with open(os.path.join(out, "ww_expected.txt"), "w") as f:
    f.write("%r %r %r %r %r %d %r\n" % (a, (a - 1) / np.sqrt(ntail), a * np.log10(ev[-1]),
                                         np.log10(np.sum(ev ** a)), xmin, ntail, Ds[k]))


# ---- windowed Hill estimator ------------------------------------------------------------------
def movmean(data, navg=3):
    midindices = range(navg // 2, data.size - navg // 2 + 1)
    mean = np.zeros(len(midindices))
    for i, imid in enumerate(midindices):
        mean[i] = np.mean(data[imid - navg // 2: imid + navg // 2 + 1])
    return mean


def hill_avg(data, navg, avg_inverse=True, njump=1):
    n = np.size(data)
    M = np.sort(np.reshape(data, (n,)))
    cdf = np.arange(n) / n            # ECDF below M_i: S_i = 1 - i/n
    S = 1.0 - cdf
    zeta = -np.log(M[1:] / M[:-1]) / np.log(S[1:] / S[:-1])
    if njump > 1:
        zeta = zeta[: -(njump - 1)]
    for i in range(2, njump + 1):
        zi = -np.log(M[i:] / M[:-i]) / np.log(S[i:] / S[:-i])
        zeta = np.vstack([zeta, zi[: -(njump - i)] if njump - i > 0 else zi])
    if njump > 1:
        zeta = np.mean(zeta, axis=0)
    if avg_inverse:
        zm = 1 / movmean(zeta, navg)
    else:
        zm = movmean(1 / zeta, navg)
    g_inv = 1 / movmean(M[:-njump], navg)
    return g_inv, zm


x = rng.pareto(1.5, 2000) + 1.0
x.astype(np.float64).tofile(os.path.join(out, "hillw_x.bin"))
for navg, njump, inv in ((5, 1, 1), (10, 1, 1), (7, 3, 1), (9, 2, 0)):
    g, z = hill_avg(x, navg, bool(inv), njump)
    np.stack([g, z], axis=1).astype(np.float64).tofile(
        os.path.join(out, "hillw_%d_%d_%d.bin" % (navg, njump, inv)))
