"""WeightWatcher's truncated power law (issue 20): rmtk_tpl_fit_run (fit='TPL' / 'E_TPL') and
`rmtk analyze --fit tpl|e_tpl` against an independent re-implementation of the same algorithm
(weightwatcher 0.7.5 fit_powerlaw -> powerlaw 1.5 Fit(distribution='truncated_power_law',
xmin_distribution='truncated_power_law')) with other numerics: the normaliser from mpmath's
incomplete gamma function (as the powerlaw package), the model's moments E[ln y], E[y] by
scipy quadrature, the roots by scipy's brentq, the KS CDF by mpmath. Plus parameter recovery on
samples of a truncated power law and the likelihood-ratio test's direction."""
import csv
import ctypes
import json
import math
import os
import subprocess

import numpy as np
import pytest

mpmath = pytest.importorskip("mpmath")
from scipy import integrate, optimize, stats  # noqa: E402
from stfile import write_f32 as write_safetensors  # noqa: E402
from test_ww_variants import WWParams, lib as ww_lib  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
THRESH = 1e-5
mpmath.mp.dps = 30


class TPLFit(ctypes.Structure):
    _fields_ = [("reason", ctypes.c_int32), ("pad", ctypes.c_int32), ("alpha", ctypes.c_double),
                ("lambda_", ctypes.c_double), ("xmin", ctypes.c_double),
                ("ks_d", ctypes.c_double), ("n_tail", ctypes.c_uint64),
                ("pl_alpha", ctypes.c_double), ("lr", ctypes.c_double),
                ("lr_norm", ctypes.c_double), ("p", ctypes.c_double)]


def lib():
    L = ww_lib()  # skips without a loadable Release librmtk.so
    L.rmtk_tpl_fit_run.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                   ctypes.POINTER(WWParams), ctypes.POINTER(TPLFit)]
    assert L.rmtk_struct_size(b"rmtk_tpl_fit") == ctypes.sizeof(TPLFit)
    assert L.rmtk_struct_size(b"rmtk_ww_params") == ctypes.sizeof(WWParams)
    return L


def c_fit(L, ev, variant="TPL", xmax=0):
    prm = WWParams(0, 10, 1.0, xmax, {"TPL": 1, "E_TPL": 2}[variant], 0)
    out = TPLFit()
    x = (ctypes.c_double * len(ev))(*ev)
    st = L.rmtk_tpl_fit_run(x, len(ev), ctypes.byref(prm), ctypes.byref(out))
    return st, out


# ---- the oracle ------------------------------------------------------------------------------

def _integral(f, c):
    """int_0^inf f(w) dw for integrands decaying like exp(-c e^w) (w = ln y)."""
    wc = max(1.0, math.log(1.0 / c)) if c > 0 else 60.0
    a = integrate.quad(f, 0.0, wc, epsabs=0, epsrel=1e-13, limit=400)[0]
    b = integrate.quad(f, wc, wc + 60.0, epsabs=0, epsrel=1e-13, limit=400)[0]
    return a + b


def ln_norm(al, c):
    """ln int_1^inf y^-al e^{-c y} dy + c, by mpmath's upper incomplete gamma (powerlaw's
    normaliser lambda^{1-alpha} / gammainc(1 - alpha, lambda xmin) in units of xmin)."""
    if c == 0:
        return -math.log(al - 1)
    return float((al - 1) * mpmath.log(c) + mpmath.log(mpmath.gammainc(1 - al, c))) + c


def moments(al, c):
    """E[ln y], E[y] of the model on [1, inf), by quadrature in w = ln y."""
    base = lambda w: math.exp((1 - al) * w - c * math.expm1(w))  # noqa: E731
    z = _integral(base, c)
    e_ln = _integral(lambda w: w * base(w), c) / z
    e_y = _integral(lambda w: math.exp(w) * base(w), c) / z if c > 0 else (
        (al - 1) / (al - 2) if al > 2 else math.inf)
    return e_ln, e_y


def mle(A, B):
    """Maximum likelihood (alpha >= 1, c >= 0) by the profile in c: alpha*(c) solves
    E[ln y] = A (or sits at 1), then E[y](alpha*(c), c) = B."""
    def alpha_at(c):
        if c == 0:
            return 1 + 1 / A
        g = lambda al: moments(al, c)[0] - A  # noqa: E731
        if g(1.0) <= 0:
            return 1.0
        hi = max(2.0, 1 + 1 / A)
        while g(hi) > 0:
            hi = 1 + 2 * (hi - 1)
        return optimize.brentq(g, 1.0, hi, xtol=1e-14, rtol=1e-14, maxiter=500)

    a0 = alpha_at(0)
    if a0 > 2 and (a0 - 1) / (a0 - 2) <= B:
        return a0, 0.0
    h = lambda u: moments(alpha_at(math.exp(u)), math.exp(u))[1] - B  # noqa: E731
    lo, hi = -math.log(B) - 1, -math.log(B) + 1
    while h(lo) <= 0:
        lo -= 2 * (hi - lo)
        if lo < -700:
            return a0, 0.0
    while h(hi) > 0:
        hi += 2 * (hi - lo)
    u = optimize.brentq(h, lo, hi, xtol=1e-14, rtol=1e-14, maxiter=500)
    return alpha_at(math.exp(u)), math.exp(u)


def ks(tail, xmin, al, c):
    """powerlaw's KS with a parent Fit: at the distinct tail values, the lower ECDF."""
    m = len(tail)
    xs, first = np.unique(tail, return_index=True)
    g0 = mpmath.gammainc(1 - al, c) if c > 0 else None
    d = 0.0
    for x, j in zip(xs, first):
        y = x / xmin
        sf = float(mpmath.gammainc(1 - al, c * y) / g0) if c > 0 else y ** (1 - al)
        d = max(d, abs((1 - sf) - j / m))
    return d


def tpl_oracle(evals, variant="TPL", xmax=0):
    ev = np.sort(np.asarray(evals, float))
    if xmax:
        ev = ev[:-xmax]
    a = ev[ev > THRESH]
    if variant == "E_TPL":
        counts, edges = np.histogram(np.log10(a), bins=100)
        xmin2 = 10 ** edges[np.argmax(counts)]
        poss = a[(a >= np.log10(0.95 * xmin2)) & (a <= 1.5 * xmin2)]
    else:
        poss = a
    best = None
    for xmin in np.unique(poss)[:-1]:
        tail = a[a >= xmin]
        y = tail / xmin
        A, B = np.mean(np.log(y)), np.mean(y)
        al, c = mle(A, B)
        d = ks(tail, xmin, al, c)
        if best is None or d < best[0]:
            best = (d, xmin, al, c, tail)
    d, xmin, al, c, tail = best
    y = tail / xmin
    apl = 1 + len(y) / np.sum(np.log(y))
    l_tpl = -al * np.log(y) - c * (y - 1) - ln_norm(al, c)
    l_pl = math.log(apl - 1) - apl * np.log(y)
    diff = l_tpl - l_pl
    R = float(np.sum(diff))
    var = float(np.var(diff))
    return dict(alpha=al, lam=c / xmin, xmin=xmin, D=d, n_tail=int(np.sum(ev >= xmin)),
                pl_alpha=apl, R=R, R_norm=R / math.sqrt(len(y) * var) if c > 0 and var > 0 else 0.0,
                p=float(stats.chi2.sf(2 * abs(R), 1)) if c > 0 else 1.0)


def tpl_sample(rng, n, alpha, lam, xmin=1.0):
    """x^-alpha e^{-lam x} on [xmin, inf) by rejection from the exponential (as powerlaw's
    generator): x = xmin + Exp(lam), accepted with probability (x/xmin)^-alpha."""
    out = np.empty(0)
    while len(out) < n:
        x = xmin + rng.exponential(1 / lam, size=4 * n)
        out = np.concatenate([out, x[rng.random(4 * n) < (x / xmin) ** -alpha]])
    return out[:n]


def check(out, ref, tol=1e-6):
    assert out.xmin == ref["xmin"]
    assert out.n_tail == ref["n_tail"]
    assert out.alpha == pytest.approx(ref["alpha"], rel=tol, abs=1e-9)
    # lambda: relative where it is resolved, absolute (in units of 1/xmin) near the boundary 0
    assert out.lambda_ * out.xmin == pytest.approx(ref["lam"] * ref["xmin"], rel=tol, abs=1e-9)
    assert out.ks_d == pytest.approx(ref["D"], rel=tol, abs=1e-10)
    assert out.pl_alpha == pytest.approx(ref["pl_alpha"], rel=1e-12)
    assert out.lr == pytest.approx(ref["R"], rel=tol, abs=1e-7)
    assert out.lr_norm == pytest.approx(ref["R_norm"], rel=tol, abs=1e-5)
    assert out.p == pytest.approx(ref["p"], rel=tol, abs=1e-7)


def fisher_se(al, c, m):
    """Standard errors of (alpha, c) from the Fisher information m Cov(ln y, y) (an exponential
    family in (alpha, c) with sufficient statistics -ln y, -y), by quadrature."""
    base = lambda w: math.exp((1 - al) * w - c * math.expm1(w))  # noqa: E731
    z = _integral(base, c)
    e = lambda f: _integral(lambda w: f(w) * base(w), c) / z  # noqa: E731
    el, ey = e(lambda w: w), e(math.exp)
    cov = np.array([[e(lambda w: w * w) - el * el, e(lambda w: w * math.exp(w)) - el * ey],
                    [0.0, e(lambda w: math.exp(2 * w)) - ey * ey]])
    cov[1, 0] = cov[0, 1]
    return np.sqrt(np.diag(np.linalg.inv(m * cov)))


# ---- the tests -------------------------------------------------------------------------------

def datasets():
    rng = np.random.default_rng(5)
    w = rng.standard_t(3, (64, 100)) / 10
    return {
        "tpl": tpl_sample(rng, 70, 1.6, 0.08),
        "pareto": 1 + rng.pareto(1.8, 70),
        "eigenvalues": np.linalg.svd(w, compute_uv=False) ** 2,
        # ties (low-precision weights): distinct values are the candidates
        "ties": np.round(1 + rng.pareto(2.0, 70), 1),
    }


@pytest.mark.parametrize("name", ["tpl", "pareto", "eigenvalues", "ties"])
@pytest.mark.parametrize("variant", ["TPL", "E_TPL"])
def test_tpl_matches_oracle(name, variant):
    L = lib()
    ev = datasets()[name]
    st, out = c_fit(L, ev, variant)
    assert st == 0 and out.reason == 0
    check(out, tpl_oracle(ev, variant))


def test_integer_xmax_and_errors():
    L = lib()
    ev = datasets()["eigenvalues"]
    st, out = c_fit(L, ev, "TPL", xmax=3)
    assert st == 0
    check(out, tpl_oracle(ev, "TPL", xmax=3))
    assert c_fit(L, ev, "E_TPL", xmax=3)[0] != 0  # WeightWatcher refuses E_TPL with xmax
    assert c_fit(L, ev, "TPL", xmax=len(ev))[0] != 0
    assert c_fit(L, np.array([2.0, 2.0, 2.0]), "TPL")[0] != 0  # one distinct value: no fit


def test_likelihood_ratio_against_direct_integration():
    """R is the log-likelihood difference with the TPL normalised by direct quadrature of
    x^-alpha e^{-lambda x} (not the incomplete gamma function) and the PL by (alpha-1)/xmin."""
    L = lib()
    for name, ev in datasets().items():
        st, out = c_fit(L, ev, "TPL")
        x = np.sort(ev[ev >= out.xmin])
        z = integrate.quad(lambda t: t ** -out.alpha * math.exp(-out.lambda_ * t), out.xmin,
                           np.inf, epsabs=0, epsrel=1e-12, limit=400)[0]
        l_tpl = np.sum(-out.alpha * np.log(x) - out.lambda_ * x) - len(x) * math.log(z)
        a = out.pl_alpha
        l_pl = np.sum(np.log((a - 1) / out.xmin) - a * np.log(x / out.xmin))
        assert out.lr == pytest.approx(l_tpl - l_pl, rel=1e-8, abs=1e-8), name
        assert out.lr >= 0  # nested: the TPL's maximum is at least the power law's


@pytest.mark.parametrize("alpha,lam,seed", [(1.5, 0.05, 1), (2.0, 0.1, 2), (1.2, 0.2, 3)])
def test_recovers_parameters_of_truncated_power_law(alpha, lam, seed):
    L = lib()
    rng = np.random.default_rng(seed)
    ev = tpl_sample(rng, 2000, alpha, lam)
    st, out = c_fit(L, ev, "TPL")
    assert st == 0
    se_a, se_c = fisher_se(out.alpha, out.lambda_ * out.xmin, out.n_tail)
    assert abs(out.alpha - alpha) < 4 * se_a, (out.alpha, se_a)
    assert abs(out.lambda_ - lam) < 4 * se_c / out.xmin, (out.lambda_, se_c / out.xmin)
    # a strong cutoff: the likelihood-ratio test prefers the truncated power law
    assert out.lr_norm > 0 and out.p < 1e-2, (out.lr_norm, out.p)


def test_lr_test_does_not_prefer_cutoff_on_pure_power_law():
    L = lib()
    rng = np.random.default_rng(7)
    ps = []
    for _ in range(12):
        ev = 1 + rng.pareto(1.5, 1000)  # density exponent 2.5, no cutoff
        st, out = c_fit(L, ev, "TPL")
        assert st == 0
        ps.append(out.p)
    # the nested test at level 0.05: at most a chance rejection or two in 12
    assert sum(p < 0.05 for p in ps) <= 2, ps
    assert np.median(ps) > 0.2, ps


@pytest.mark.parametrize("fit", ["tpl", "e_tpl"])
def test_analyze_fit_columns(tmp_path, fit):
    """`rmtk analyze --fit tpl|e_tpl`: the tpl_* columns of summary.csv are the C API's fit of
    the same eigenvalues (the singular values in report.json, squared), and the oracle's."""
    L = lib()
    rng = np.random.default_rng(9)
    t = {f"l{i}.weight": (rng.standard_t(3 + i, (48, 80)) / 9).astype(np.float32)
         for i in range(2)}
    p = tmp_path / "m.safetensors"
    write_safetensors(p, t)
    out = tmp_path / "o"
    r = subprocess.run([CLI, "analyze", str(p), "--out", str(out), "--no-plots", "--quiet",
                        "--stats", "basic,alpha", "--fit", fit], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    rep = json.load(open(out / "report.json"))
    assert rep["parameters"]["ww_fit"]["fit"] == fit.upper()
    rows = {row["name"]: row for row in csv.DictReader(open(out / "summary.csv"))}
    for mat in rep["matrices"]:
        ev = np.asarray(mat["arrays"]["singular_values"]) ** 2
        st, c = c_fit(L, ev, fit.upper())
        assert st == 0
        row = rows[mat["name"]]
        assert float(row["tpl_alpha"]) == pytest.approx(c.alpha, rel=1e-12)
        assert float(row["tpl_lambda"]) == pytest.approx(c.lambda_, rel=1e-12)
        assert float(row["tpl_xmin"]) == c.xmin
        assert float(row["tpl_ks_d"]) == pytest.approx(c.ks_d, rel=1e-12)
        assert int(row["tpl_n_tail"]) == c.n_tail
        assert float(row["tpl_R"]) == pytest.approx(c.lr_norm, rel=1e-12, abs=1e-15)
        assert float(row["tpl_p"]) == pytest.approx(c.p, rel=1e-12)
        check(c, tpl_oracle(ev, fit.upper()))
    # without --fit the columns are empty
    out2 = tmp_path / "o2"
    subprocess.run([CLI, "analyze", str(p), "--out", str(out2), "--no-plots", "--quiet",
                    "--stats", "basic,alpha"], check=True, capture_output=True)
    for row in csv.DictReader(open(out2 / "summary.csv")):
        assert row["tpl_alpha"] == "" and row["tpl_R"] == ""
    bad = subprocess.run([CLI, "analyze", str(p), "--out", str(tmp_path / "b"), "--quiet",
                          "--fit", "e_tpl", "--ww-xmax", "2"], capture_output=True, text=True)
    assert bad.returncode != 0
    bad = subprocess.run([CLI, "analyze", str(p), "--out", str(tmp_path / "b"), "--quiet",
                          "--fit", "nope"], capture_output=True, text=True)
    assert bad.returncode != 0
