"""Golden values for tests/test-core.c (rmtk_ks_pvalue), written by scipy and mpmath
(independent implementations).

ks_pvalues.txt: lines "n d p_sf p_exact" over a grid of (n, d) that reaches the far tail
(p down to ~1e-300 and below): p_sf = scipy.stats.kstwo.sf(d, n) (Simard & L'Ecuyer 2011:
exact Durbin/Pomeranz, Miller's 2*smirnov in the tail, Pelz-Good for n > 140); p_exact =
1 - scipy's exact Marsaglia-Tsang-Wang CDF (_kolmogn_DMTW) where n <= 1000 and p_sf > 1e-6
(where 1 - CDF still has ~9 digits), else nan.

ks_exact_tail.txt: lines "n d p" with p = P(D_n >= d) = 1 - P(D_n < d) computed by the MTW
matrix method in mpmath at 60 significant digits (so 1 - CDF does not cancel), for small n
deep in the tail: the two-sided law itself, with no one-sided (Miller) approximation.
"""
import sys, os
import numpy as np
from scipy import stats
import mpmath

out = sys.argv[1]

NS = (1, 2, 3, 5, 10, 20, 37, 100, 140, 141, 300, 500, 1000, 3000, 10000, 100000, 1000000)
DS = (0.01, 0.03, 0.05, 0.08, 0.12, 0.2, 0.3, 0.35, 0.45, 0.5, 0.6, 0.8, 0.95, 0.999)
ZS = (0.2, 0.5, 0.8, 1.0, 1.2, 1.45, 1.5, 2.0, 3.0, 5.0, 8.0, 12.0, 18.0)

rows = []
for n in NS:
    ds = set(DS) | {z / np.sqrt(n) for z in ZS} | {0.7 / n, 0.95 / n, 1.5 / n}
    for d in sorted(ds):
        if not (0.5 / n < d <= 1.0):
            continue
        sf = float(stats.kstwo.sf(d, n))
        exact = float("nan")
        if n <= 1000 and sf > 1e-6:
            from scipy.stats._ksstats import _kolmogn_DMTW
            exact = float(1.0 - _kolmogn_DMTW(n, d))
        rows.append((n, d, sf, exact))
# The case: n = 300, d = 0.3 (scipy: 1.92786406567219e-24).
rows.append((300, 0.3, float(stats.kstwo.sf(0.3, 300)), float("nan")))
with open(os.path.join(out, "ks_pvalues.txt"), "w") as f:
    for n, d, p, q in rows:
        f.write(f"{n} {d!r} {p!r} {q!r}\n")


def mtw_sf(n, d, dps=60):
    """P(D_n >= d) = 1 - n!/n^n (H^n)_kk (Marsaglia, Tsang & Wang 2003) in mpmath."""
    with mpmath.workdps(dps):
        d = mpmath.mpf(d)
        nd = n * d
        k = int(mpmath.floor(nd)) + 1
        m = 2 * k - 1
        h = k - nd
        H = mpmath.matrix(m, m)
        for i in range(m):
            for j in range(m):
                if i - j + 1 >= 0:
                    H[i, j] = mpmath.mpf(1)
        for i in range(m):
            H[i, 0] -= h ** (i + 1)
            H[m - 1, i] -= h ** (m - i)
        if 2 * h - 1 > 0:
            H[m - 1, 0] += (2 * h - 1) ** m
        for i in range(m):
            for j in range(m):
                if i - j + 1 > 0:
                    H[i, j] /= mpmath.factorial(i - j + 1)
        Q = H ** n
        c = Q[k - 1, k - 1] * mpmath.factorial(n) / mpmath.mpf(n) ** n
        return float(1 - c)


with open(os.path.join(out, "ks_exact_tail.txt"), "w") as f:
    for n, d in ((5, 0.45), (10, 0.45), (20, 0.4), (30, 0.45), (40, 0.3), (40, 0.45),
                 (60, 0.45), (60, 0.49), (100, 0.45)):
        f.write(f"{n} {d!r} {mtw_sf(n, d)!r}\n")
