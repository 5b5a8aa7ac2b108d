"""The lower-level functions of the Python package (rmtk.svd, rmtk.mp_*, level statistics,
Porter-Thomas, tails, rmtk.theory, rmtk.simulate), each against an independent computation:
numpy/scipy, a closed form, or published reference values (issue 15)."""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_python import rmtk  # noqa: E402 (loads the package over the build's librmtk.so)

scipy = pytest.importorskip("scipy")
from scipy import integrate, special, stats  # noqa: E402

RNG = np.random.default_rng(20261130)


# ---- spectrum -------------------------------------------------------------------------------

def test_svd_against_numpy():
    a = RNG.standard_normal((300, 120))
    ref = np.linalg.svd(a, compute_uv=False)
    for method in ("auto", "gram", "svd"):
        np.testing.assert_allclose(rmtk.svd(a, method=method), ref, rtol=1e-10)
    u, s, vt = rmtk.svd(a, vectors=True)
    assert u.shape == (300, 120) and vt.shape == (120, 120)
    np.testing.assert_allclose(u @ np.diag(s) @ vt, a, atol=1e-10)
    np.testing.assert_allclose(u.T @ u, np.eye(120), atol=1e-10)
    # float32 and a strided view are read in place with the same values
    f = a.astype(np.float32)
    np.testing.assert_allclose(rmtk.svd(f.T), np.linalg.svd(f.astype(np.float64),
                                                            compute_uv=False), rtol=1e-10)
    with pytest.raises(rmtk.ArgError):
        rmtk.svd(np.ones(5))


# ---- Marchenko-Pastur, Tracy-Widom, BBP -------------------------------------------------------

def test_mp_law_closed_forms():
    v, N, M = 0.7, 400, 100
    n, m = max(N, M), min(N, M)
    lo, hi = rmtk.mp_support(v, N, M)
    assert lo == pytest.approx(v * (math.sqrt(n) - math.sqrt(m)) ** 2, rel=1e-14)
    assert hi == pytest.approx(v * (math.sqrt(n) + math.sqrt(m)) ** 2, rel=1e-14)
    x = np.linspace(lo, hi, 50)[1:-1]
    ref = np.sqrt((hi - x) * (x - lo)) / (2 * np.pi * v * m * x)
    np.testing.assert_allclose(rmtk.mp_pdf(x, v, N, M), ref, rtol=1e-13)
    total, _ = integrate.quad(lambda t: rmtk.mp_pdf(t, v, N, M), lo, hi, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    mean, _ = integrate.quad(lambda t: t * rmtk.mp_pdf(t, v, N, M), lo, hi, limit=200)
    assert mean == pytest.approx(v * n, rel=1e-8)  # MP mean v max(N, M)
    for t in (lo + 0.1 * (hi - lo), 0.5 * (lo + hi), hi - 0.05 * (hi - lo)):
        num, _ = integrate.quad(lambda y: rmtk.mp_pdf(y, v, N, M), lo, t, limit=200)
        assert rmtk.mp_cdf(t, v, N, M) == pytest.approx(num, abs=1e-9)
    q = rmtk.mp_quantile([0.1, 0.5, 0.9], v, N, M)
    np.testing.assert_allclose(rmtk.mp_cdf(q, v, N, M), [0.1, 0.5, 0.9], atol=1e-12)
    # singular form: density of s = sqrt(lambda) is 2 s rho(s^2)
    s = np.sqrt(x[10])
    assert rmtk.mp_pdf(s, v, N, M, form="singular") == pytest.approx(
        2 * s * rmtk.mp_pdf(x[10], v, N, M), rel=1e-12)
    with pytest.raises(rmtk.ArgError):
        rmtk.mp_quantile(1.5, v, N, M)


def test_mp_fits_on_noise_and_spike():
    N, M, v = 1000, 500, 2.0
    a = RNG.standard_normal((N, M)) * math.sqrt(v)
    sv = np.linalg.svd(a, compute_uv=False)
    fit = rmtk.mp_fit_robust(sv, N, M)
    assert fit.sigma2 == pytest.approx(v, rel=0.01) and fit.n_excluded == 0
    assert fit.lambda_plus == pytest.approx(fit.sigma2 * (math.sqrt(N) + math.sqrt(M)) ** 2)
    paper = rmtk.mp_fit_paper(sv, N, M)
    assert paper.sigma2 == pytest.approx(v, rel=0.15)  # an edge fit: measured +10 %
    # a rank-one spike of strength theta well above the BBP threshold is found
    theta, c = 3.0, M / N
    u = RNG.standard_normal(N)
    w = RNG.standard_normal(M)
    scale = math.sqrt(v * N)
    b = a + theta * scale * np.outer(u / np.linalg.norm(u), w / np.linalg.norm(w))
    svb = np.linalg.svd(b, compute_uv=False)
    res = rmtk.mp_analyze(svb, N, M)
    assert res.n_spikes == 1
    y = svb[0] / math.sqrt(res.sigma2 * N)
    assert y == pytest.approx(rmtk.bbp_top(theta, c), rel=0.02)
    assert res.spike_theta[0] == pytest.approx(theta, rel=0.05)
    assert rmtk.bbp_theta(rmtk.bbp_top(theta, c), c) == pytest.approx(theta, rel=1e-12)
    assert rmtk.bbp_top(0.5, c) == pytest.approx(1 + math.sqrt(c))  # below threshold: edge


def test_tracy_widom_reference_moments():
    mu, sg = rmtk.tw_johnstone(500, 200)
    r = math.sqrt(499) + math.sqrt(200)
    assert mu == pytest.approx(r * r, rel=1e-14)
    assert sg == pytest.approx(r * (1 / math.sqrt(499) + 1 / math.sqrt(200)) ** (1 / 3),
                               rel=1e-14)
    # mean and sd of TW_1 and TW_2 from the CDF by quadrature (methods.md 4.9 values)
    s = np.linspace(-8, 8, 801)
    for beta, m_ref, s_ref in ((1, -1.2065, 1.2680), (2, -1.7711, 0.9018)):
        F = rmtk.tw_cdf(s, beta)
        pdf = np.gradient(F, s)
        m = integrate.trapezoid(s * pdf, s)
        sd = math.sqrt(integrate.trapezoid((s - m) ** 2 * pdf, s))
        assert m == pytest.approx(m_ref, abs=2e-3) and sd == pytest.approx(s_ref, abs=2e-3)
    assert rmtk.tw_cdf(rmtk.tw_quantile(0.95, 1), 1) == pytest.approx(0.95, abs=1e-10)
    # an eigenvalue far above the edge has a tiny p-value
    t, p = rmtk.mp_outlier_pvalue(1.5 * mu, 1.0, 500, 200)
    assert t > 10 and p < 1e-10


# ---- level statistics -----------------------------------------------------------------------

def test_unfold_gauss_against_formula():
    lev = np.sort(RNG.uniform(0, 1, 300)) ** 1.5  # a non-uniform density
    w = 15
    xi = rmtk.unfold(lev, window=w)
    n = len(lev)
    assert len(xi) == n - 4 * w
    # the paper's unfolding in numpy: sigma_i = (s_{i+w} - s_{i-w})/2, kernels i in [w, n-w),
    # evaluated at j in [2w, n-2w)
    sig = (lev[2 * w:] - lev[:-2 * w]) / 2 + 1e-15 * lev.max()
    cent = lev[w:n - w]
    ev = lev[2 * w:n - 2 * w]
    ref = np.sum(0.5 * (1 + special.erf((ev[:, None] - cent[None, :]) /
                                        (math.sqrt(2) * sig[None, :]))), axis=1)
    np.testing.assert_allclose(xi, np.sort(ref), rtol=1e-12, atol=1e-9)
    assert np.mean(np.diff(xi)) == pytest.approx(1.0, rel=0.1)
    xp = rmtk.unfold(lev, method="poly", degree=5)
    assert len(xp) == n
    np.testing.assert_array_equal(rmtk.spacings(xi), np.diff(xi))
    with pytest.raises(rmtk.NumericError):
        rmtk.unfold(lev[:40], window=15)


def test_ratios_and_brody():
    lev = np.cumsum(RNG.exponential(1.0, 4000))  # Poisson levels
    r = rmtk.spacing_ratios(lev)
    g = np.diff(np.sort(lev))
    ref = np.minimum(g[1:], g[:-1]) / np.maximum(g[1:], g[:-1])
    np.testing.assert_allclose(r, ref, rtol=1e-15)
    m, se = rmtk.ratio_mean(r)
    assert m == pytest.approx(np.mean(r), rel=1e-13)
    assert abs(m - (2 * math.log(2) - 1)) < 4 * se + 0.005
    # Brody ML against scipy's optimiser on the same likelihood
    d = np.diff(lev) / np.mean(np.diff(lev))
    beta, err = rmtk.brody_fit_ml(d, n_boot=50)

    def nll(b):
        c = special.gamma((b + 2) / (b + 1)) ** (b + 1)
        return -np.sum(np.log((b + 1) * c) + b * np.log(d) - c * d ** (b + 1))
    ref_b = scipy.optimize.minimize_scalar(nll, bounds=(0, 5), method="bounded",
                                           options={"xatol": 1e-10}).x
    assert beta == pytest.approx(ref_b, abs=1e-6)
    assert beta < 0.1 and err > 0
    assert rmtk.brody_pdf(1.3, 1.0) == pytest.approx(rmtk.wigner_surmise_pdf(1.3, 1), rel=1e-12)
    bl, _ = rmtk.brody_fit_ls(d, n_boot=0)
    assert bl < 0.1


def test_surmises_and_references():
    s = np.linspace(0.01, 4, 40)
    np.testing.assert_allclose(rmtk.wigner_surmise_pdf(s, 1),
                               np.pi / 2 * s * np.exp(-np.pi * s ** 2 / 4), rtol=1e-13)
    np.testing.assert_allclose(rmtk.wigner_surmise_cdf(s, 1), 1 - np.exp(-np.pi * s ** 2 / 4),
                               rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(rmtk.wigner_surmise_pdf(s, "poisson"), np.exp(-s), rtol=1e-14)
    tot, _ = integrate.quad(lambda r: rmtk.ratio_surmise_pdf(r, 1), 0, 1)
    mean, _ = integrate.quad(lambda r: r * rmtk.ratio_surmise_pdf(r, 1), 0, 1)
    assert tot == pytest.approx(1, abs=1e-10)
    assert mean == pytest.approx(4 - 2 * math.sqrt(3), abs=1e-6)  # Atas et al. 2013
    assert rmtk.ratio_surmise_cdf(0.5, 0) == pytest.approx(2 * 0.5 / 1.5, rel=1e-14)
    # exact GOE spacing law: a density of mean 1 close to the surmise
    E, F, p = rmtk.spacing_exact(np.linspace(0, 8, 801), 1)
    x = np.linspace(0, 8, 801)
    assert integrate.trapezoid(p, x) == pytest.approx(1, abs=1e-4)
    assert integrate.trapezoid(x * p, x) == pytest.approx(1, abs=1e-4)
    assert np.max(np.abs(F - (1 - np.exp(-np.pi * x ** 2 / 4)))) < 0.02
    # number variance and rigidity references (methods.md 4.4)
    assert rmtk.sigma2_ref(1.0, 1) == pytest.approx(0.4463, abs=1e-4)
    assert rmtk.sigma2_ref(5.0, 1) == pytest.approx(0.7684, abs=1e-4)
    assert rmtk.delta3_ref(5.0, 1) == pytest.approx(0.1738, abs=1e-4)
    assert rmtk.sigma2_ref(3.0, "poisson") == 3.0
    assert rmtk.delta3_ref(3.0, 0) == pytest.approx(3.0 / 15, rel=1e-12)


def test_number_variance_and_delta3_poisson():
    xi = np.sort(RNG.uniform(0, 20000, 20000))  # unit density Poisson
    L = np.array([1.0, 5.0])
    s2 = rmtk.number_variance(xi, L)
    np.testing.assert_allclose(s2, L, rtol=0.06)
    # brute force: counts in 20000 random windows
    c = RNG.uniform(10, 19990, 20000)
    cnt = np.searchsorted(xi, c + 2.5) - np.searchsorted(xi, c - 2.5)
    assert s2[1] == pytest.approx(np.var(cnt), rel=0.06)
    d3 = rmtk.delta3(xi, 15.0)
    assert d3 == pytest.approx(15.0 / 15, rel=0.1)


# ---- singular vectors -----------------------------------------------------------------------

def test_porter_thomas_and_ipr():
    n = 50
    u = np.linspace(-0.9, 0.9, 19)
    ref = 0.5 + np.sign(u) * stats.beta.cdf(u ** 2, 0.5, (n - 1) / 2) / 2
    np.testing.assert_allclose(rmtk.pt_cdf(u, n), ref, atol=1e-12)
    x = RNG.standard_normal((200, n))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    np.testing.assert_allclose(rmtk.ipr(x), np.sum(x ** 4, axis=1), rtol=1e-13)
    assert np.mean(rmtk.ipr(x)) == pytest.approx(3 / (n + 2), rel=0.05)
    d, p = rmtk.pt_test(x, method="kolmogorov")
    for i in range(5):
        ks = stats.kstest(x[i], lambda t: 0.5 + np.sign(t) *
                          stats.beta.cdf(t ** 2, 0.5, (n - 1) / 2) / 2)
        assert d[i] == pytest.approx(ks.statistic, abs=1e-10)
    d2, p2 = rmtk.pt_test(x, nsamples=500)  # exact_mc: p-values of random vectors are uniform
    assert 0.3 < np.mean(p2) < 0.7 and np.mean(p2 <= 0.05) < 0.12
    # a localised vector is rejected
    loc = np.zeros(n)
    loc[:3] = 1 / math.sqrt(3)
    assert rmtk.pt_test(loc, nsamples=500)[1][0] < 0.01


# ---- tails ----------------------------------------------------------------------------------

def test_hill_and_powerlaw_against_numpy():
    alpha_true = 2.5  # density exponent
    x = (1 - RNG.uniform(size=800)) ** (-1 / (alpha_true - 1))
    a, e = rmtk.hill_curve(x)
    xs = np.sort(x)[::-1]
    k = np.arange(1, len(x))
    H = np.cumsum(np.log(xs))[:-1] / k - np.log(xs[1:])
    np.testing.assert_allclose(a, 1 / H, rtol=1e-12)
    np.testing.assert_allclose(e, (1 / H) / np.sqrt(k), rtol=1e-12)
    fit = rmtk.powerlaw_fit(x, bootstrap=0, scan=True)
    # brute-force CSN scan in numpy: every distinct value with >= 2 values above
    srt = np.sort(x)
    best = None
    for i in range(len(srt) - 1):
        xmin = srt[i]
        tail = srt[i:]
        m = len(tail)
        al = 1 + m / np.sum(np.log(tail / xmin))
        F = 1 - (tail / xmin) ** (1 - al)
        j = np.arange(m)
        D = np.max(np.maximum(F - j / m, (j + 1) / m - F))
        if best is None or D < best[0]:
            best = (D, al, xmin)
    assert fit.ks_d == pytest.approx(best[0], rel=1e-12)
    assert fit.alpha == pytest.approx(best[1], rel=1e-12) and fit.xmin == best[2]
    assert abs(fit.alpha - alpha_true) < 4 * fit.alpha_err + 0.05
    np.testing.assert_allclose(fit.scan_xmin, srt[:len(fit.scan_xmin)])
    boot = rmtk.powerlaw_fit(x, bootstrap=50, seed=3)
    assert 0 <= boot.p_gof <= 1 and boot.replicas_ok == 50
    ex = rmtk.powerlaw_compare(x, fit, "exponential")
    tail = x[x >= fit.xmin]
    assert ex.params[0] == pytest.approx(1 / (np.mean(tail) - fit.xmin), rel=1e-6)
    assert ex.r > 0  # a power law beats the exponential on Pareto data
    pl = rmtk.hill_plateau(x)
    assert pl.defined in (0, 1)


def test_ww_fit_reference():
    lam = np.array([1, 1, 1, 1, 2, 2, 2, 4, 4, 8], dtype=float)
    f = rmtk.ww_fit(lam)
    # WeightWatcher's own numbers (rmtk.h), to the last bits of their summation order
    assert f.alpha == pytest.approx(2.2984255368000674, rel=1e-15)
    assert f.ks_d == pytest.approx(0.2600970069260677, rel=1e-14)
    assert f.num_pl_spikes == 9 and f.xmin == 1.0
    assert f.alpha_weighted == pytest.approx(f.alpha * math.log10(8.0), rel=1e-14)


# ---- theory and samplers --------------------------------------------------------------------

def test_theory_laws():
    x = np.linspace(-1.99, 1.99, 41)
    np.testing.assert_allclose(rmtk.theory.semicircle(x), np.sqrt(4 - x ** 2) / (2 * np.pi),
                               rtol=1e-12)
    q = 0.3
    lo, hi = (1 - math.sqrt(q)) ** 2, (1 + math.sqrt(q)) ** 2
    y = np.linspace(lo, hi, 30)[1:-1]
    np.testing.assert_allclose(rmtk.theory.mp(y, ratio=q),
                               np.sqrt((hi - y) * (y - lo)) / (2 * np.pi * q * y), rtol=1e-10)
    for L in (1, 2, 3):
        inf = rmtk.theory.info("fuss_catalan", L=L)
        top = inf["edges"][-1]
        assert top == pytest.approx((L + 1) ** (L + 1) / L ** L, rel=1e-9)
        m1, _ = integrate.quad(lambda t: t * rmtk.theory.fuss_catalan(t, L), 0, top, limit=400)
        m2, _ = integrate.quad(lambda t: t * t * rmtk.theory.fuss_catalan(t, L), 0, top,
                               limit=400)
        assert m1 == pytest.approx(1.0, abs=2e-4)
        assert m2 == pytest.approx(special.comb(2 * (L + 1), 2) / (2 * L + 1), abs=2e-3)
        assert rmtk.theory.fuss_catalan_moment(L, 2) == special.comb(2 * (L + 1), 2) / (
            2 * L + 1)
        assert inf["mean"] == 1 and inf["variance"] == pytest.approx(L, rel=1e-12)
    j = rmtk.theory.info("jacobian", dims=[200, 200, 200], activation="relu")
    mass, _ = integrate.quad(lambda t: rmtk.theory.jacobian(t, [200, 200, 200]), j["edges"][0],
                             j["edges"][-1], limit=400)
    assert mass + j["atom"] == pytest.approx(1.0, abs=1e-6)
    mean, _ = integrate.quad(lambda t: t * rmtk.theory.jacobian(t, [200, 200, 200]),
                             j["edges"][0], j["edges"][-1], limit=400)
    assert mean == pytest.approx(j["mean"], rel=1e-5)
    # the sampler's ReLU network: half its eigenvalues at 0, mean near the law's
    ev = rmtk.simulate.jacobian([200, 200, 200], samples=5).ravel()
    assert np.mean(ev > 1e-8) == pytest.approx(1 - j["atom"], abs=0.05)
    assert np.mean(ev) == pytest.approx(j["mean"], rel=0.1)


def test_simulate_samplers():
    ev = rmtk.simulate.goe(400, seed=7)
    assert ev.shape == (400,) and np.all(np.diff(ev) >= 0)
    assert np.mean(ev ** 2) == pytest.approx(1.0, rel=0.05)  # semicircle variance
    np.testing.assert_array_equal(ev, rmtk.simulate.goe(400, seed=7))
    assert not np.array_equal(ev, rmtk.simulate.goe(400, seed=8))
    w = rmtk.simulate.wishart(800, 400, sigma2=2.0, samples=3)
    assert w.shape == (3, 400)
    assert np.mean(w) == pytest.approx(2.0, rel=0.02)  # MP mean sigma2
    assert np.var(w[0]) == pytest.approx(4.0 * 0.5, rel=0.1)  # sigma2^2 q
    fc = rmtk.simulate.wigner_product(300, k=2)
    assert np.mean(fc) == pytest.approx(rmtk.theory.fuss_catalan_moment(2, 1), rel=0.05)
    sp = rmtk.simulate.spiked(400, 800, theta=3.0)
    assert sp[0] == pytest.approx(rmtk.bbp_top(3.0, 0.5), rel=0.03)
    jac = rmtk.simulate.jacobian([200, 200, 200])
    assert len(jac) == 200
    with pytest.raises(rmtk.ArgError):
        rmtk.simulate.goe(0)


def test_tpl_fit_matches_c_api():
    """rmtk.tpl_fit is rmtk_tpl_fit_run (tests/test_tpl.py checks that against an oracle)."""
    from test_tpl import c_fit, lib
    rng = np.random.default_rng(2)
    lam = 1 + rng.pareto(1.5, 200)
    for kind in ("TPL", "E_TPL"):
        f = rmtk.tpl_fit(lam, kind)
        st, c = c_fit(lib(), lam, kind)
        assert st == 0 and f.reason == 0
        for k in ("alpha", "lambda_", "xmin", "ks_d", "lr", "lr_norm", "p"):
            assert f[k] == getattr(c, k), k
        assert f.n_tail == c.n_tail
