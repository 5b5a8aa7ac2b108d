"""Golden values for tests/test-levels.c, written with numpy/scipy (independent implementations).

sici.txt:          "x Si(x) Ci(x)" from scipy.special.sici.
unfold_levels.f64: 600 sorted levels (a GOE spectrum, numpy seed 1), float64.
unfold_drop.f64:   the paper's unfold_spectrum (methods.md 1.4 A, w = 15), written naively in numpy.
unfold_repl.f64:   the 'replicate' variant (edge padding, evaluated at the original s_w..s_{n-w-1}).
density.txt:       "x rho_drop rho_repl": the broadened density of GaussBroadening at a few x.
brody_spacings.f64, brody.txt: 800 spacings (numpy seed 2, a Brody beta = 0.6 sample) and
                   "beta_ls beta_ml": scipy curve_fit of the Brody CDF to (sorted x, i/n) from
                   p0 = 1 with bounds [0, inf) (the paper's fit), and the scipy bounded maximum of
                   the Brody log-likelihood.
ratio_cdf.txt:     "r F1 F2 F4": CDF of r~ for the Atas surmise by scipy.integrate.quad.
"""
import sys, os
import numpy as np
from scipy import special, optimize, integrate

out = sys.argv[1]

# ---- Si, Ci ----
xs = [1e-6, 0.01, 0.3, 1.0, 2.5, 3.9, 4.0, 4.1, 5.0, 7.5, 10.0, 31.4159, 100.0, 314.159, 1000.0]
with open(os.path.join(out, "sici.txt"), "w") as f:
    for x in xs:
        si, ci = special.sici(x)
        f.write(f"{x!r} {float(si)!r} {float(ci)!r}\n")

# ---- Gaussian broadening unfolding, as the released code ----
rng = np.random.default_rng(1)
n = 600
a = rng.standard_normal((n, n))
h = (a + a.T) / np.sqrt(2 * n)
s = np.sort(np.linalg.eigvalsh(h))
s.astype("<f8").tofile(os.path.join(out, "unfold_levels.f64"))
w = 15


def unfold_drop(s, w):
    sig = (s[2 * w:] - s[:-2 * w]) / 2.0          # sigma_i for i = w .. n-w-1
    mu = s[w:len(s) - w]
    xj = s[2 * w:len(s) - 2 * w]
    xi = 0.5 * (1 + special.erf((xj[:, None] - mu[None, :]) / (np.sqrt(2) * sig[None, :])))
    return np.sort(xi.sum(axis=1))


def unfold_repl(s, w):
    p = np.pad(s, w, mode="edge")
    sig = (p[2 * w:] - p[:-2 * w]) / 2.0            # one per original level
    mu = p[w:len(p) - w]
    xj = s[w:len(s) - w]
    xi = 0.5 * (1 + special.erf((xj[:, None] - mu[None, :]) / (np.sqrt(2) * sig[None, :])))
    return np.sort(xi.sum(axis=1))


unfold_drop(s, w).astype("<f8").tofile(os.path.join(out, "unfold_drop.f64"))
unfold_repl(s, w).astype("<f8").tofile(os.path.join(out, "unfold_repl.f64"))


def density(s, w, method, x):
    if method == "replicate":
        p = np.pad(s, w, mode="edge")
    else:
        p = s
    sig = (p[2 * w:] - p[:-2 * w]) / 2.0 + 1e-15
    mu = p[w:len(p) - w]
    z = (x[:, None] - mu[None, :]) / sig[None, :]
    return (np.exp(-0.5 * z * z) / (np.sqrt(2 * np.pi) * sig[None, :])).sum(axis=1) / len(p)


xd = np.array([-1.9, -1.0, 0.0, 0.7, 1.5, 2.05])
rd, rr = density(s, w, "drop", xd), density(s, w, "replicate", xd)
with open(os.path.join(out, "density.txt"), "w") as f:
    for x, p, q in zip(xd, rd, rr):
        f.write(f"{float(x)!r} {float(p)!r} {float(q)!r}\n")

# ---- Brody fits ----
rng = np.random.default_rng(2)
beta0 = 0.6
b0 = special.gamma((beta0 + 2) / (beta0 + 1)) ** (beta0 + 1)
u = rng.uniform(size=800)
d = (-np.log(u) / b0) ** (1.0 / (beta0 + 1))
d.astype("<f8").tofile(os.path.join(out, "brody_spacings.f64"))


def brody_cdf(x, beta):
    b = special.gamma((beta + 2) / (beta + 1)) ** (beta + 1)
    return 1 - np.exp(-b * x ** (beta + 1))


xsrt = np.sort(d)
y = np.arange(len(xsrt)) / len(xsrt)
popt, _ = optimize.curve_fit(brody_cdf, xsrt, y, p0=[1.0], bounds=(0, np.inf),
                             ftol=1e-14, xtol=1e-14, gtol=1e-14)


def nll(beta):
    a_ = beta + 1
    b = special.gamma((beta + 2) / (beta + 1)) ** a_
    return -np.sum(np.log(a_ * b) + beta * np.log(d) - b * d ** a_)


ml = optimize.minimize_scalar(nll, bounds=(0, 50), method="bounded",
                              options={"xatol": 1e-12})
with open(os.path.join(out, "brody.txt"), "w") as f:
    f.write(f"{float(popt[0])!r} {float(ml.x)!r}\n")

# ---- ratio surmise CDF ----
Z = {1: 8 / 27, 2: 4 * np.pi / (81 * np.sqrt(3)), 4: 4 * np.pi / (729 * np.sqrt(3))}


def pr(r, b):
    return 2 * (r + r * r) ** b / (Z[b] * (1 + r + r * r) ** (1 + 1.5 * b))


with open(os.path.join(out, "ratio_cdf.txt"), "w") as f:
    for r in (0.05, 0.2, 0.5, 0.8, 0.999):
        vals = [integrate.quad(pr, 0, r, args=(b,), epsabs=1e-13, epsrel=1e-13, limit=200)[0]
                for b in (1, 2, 4)]
        f.write(f"{r!r} {vals[0]!r} {vals[1]!r} {vals[2]!r}\n")

# ---- exact spacing law, independently: numpy Nystrom (80 nodes) + Richardson-extrapolated
# second differences of E(0; s) (error ~1e-8) ----
from numpy.polynomial.legendre import leggauss


def gap(s, beta, m=80):
    x, wq = leggauss(m)
    b = s / 2 if beta == 1 else s
    x = (x + 1) * b / 2
    wq = wq * b / 2
    K = np.sinc(x[:, None] - x[None, :])
    if beta == 1:
        K = K + np.sinc(x[:, None] + x[None, :])
    sw = np.sqrt(wq)
    return np.linalg.det(np.eye(m) - sw[:, None] * K * sw[None, :])


def second(s, beta, hh):
    return (gap(s + hh, beta) - 2 * gap(s, beta) + gap(s - hh, beta)) / hh ** 2


with open(os.path.join(out, "spacing_exact.txt"), "w") as f:
    for beta in (1, 2):
        for s_ in (0.25, 0.5, 1.0, 1.5, 2.0, 3.0):
            p = (4 * second(s_, beta, 1e-3) - second(s_, beta, 2e-3)) / 3
            f.write(f"{beta} {s_!r} {float(p)!r} {float(gap(s_, beta))!r}\n")
