"""Lower-level functions of librmtk, NumPy in and NumPy out, with the CLI's defaults.

Conventions (include/rmtk.h, docs/methods/): a weight matrix W is N x M (rows x cols);
singular values s_i largest first; eigenvalues lambda_i = s_i^2 of W^T W with NO 1/N (the
convention of `rmtk analyze` and WeightWatcher); level statistics take levels in any order.
Every function calls the library (no numerics are redone in Python); a library error raises
the rmtk.Error subclass of its status (ArgError for bad arguments, NumericError for data
degenerate for the statistic, ...). Results with several numbers are rmtk.functions.Result
(a dict with attribute access).
"""
import ctypes
from ctypes import POINTER, byref, c_double, c_int, c_int64, c_size_t, c_uint64, \
    c_void_p

import numpy as np

from . import _lib
from ._lib import lib, check

__all__ = ["Result", "svd", "mp_pdf", "mp_cdf", "mp_quantile", "mp_support", "mp_fit_robust",
           "mp_fit_paper", "mp_analyze", "mp_outlier_pvalue", "tw_cdf", "tw_quantile",
           "tw_johnstone", "bbp_top", "bbp_theta", "unfold", "spacings", "spacing_ratios",
           "ratio_mean", "brody_fit_ml", "brody_fit_ls", "brody_pdf", "brody_cdf",
           "number_variance", "delta3", "sigma2_ref", "delta3_ref", "wigner_surmise_pdf",
           "wigner_surmise_cdf", "ratio_surmise_pdf", "ratio_surmise_cdf", "spacing_exact",
           "pt_cdf", "ipr", "pt_test", "hill_curve", "hill_plateau", "powerlaw_fit",
           "powerlaw_compare", "ww_fit", "tpl_fit", "ks_pvalue"]

_D = POINTER(c_double)
_P = c_void_p


def _proto(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


class Result(dict):
    """A dict whose keys are also attributes (fit.alpha == fit["alpha"])."""

    def __getattr__(self, k):
        try:
            return self[k]
        except KeyError:
            raise AttributeError(k) from None


def _res(struct, skip=("pad", "pad0")):
    out = Result()
    for name, _ in struct._fields_:
        if name in skip:
            continue
        v = getattr(struct, name)
        if isinstance(v, ctypes.Structure):
            v = _res(v)
        elif isinstance(v, ctypes.Array):
            v = list(v)
        out[name] = v
    return out


def _vec(x):
    """A contiguous float64 copy-or-view of x and its pointer."""
    a = np.ascontiguousarray(x, dtype=np.float64)
    return a, a.ctypes.data_as(_D)


def _out(n):
    a = np.empty(max(int(n), 0), dtype=np.float64)
    return a, a.ctypes.data_as(_D)


def _map(f, x, *args):
    """f(x_i, *args) elementwise over an array (scalars give a float)."""
    arr = np.asarray(x, dtype=np.float64)
    out = np.fromiter((f(float(v), *args) for v in arr.ravel()), dtype=np.float64,
                      count=arr.size).reshape(arr.shape)
    return float(out) if out.ndim == 0 else out


# ---- spectrum -------------------------------------------------------------------------------

_METHODS = {"auto": 0, "gram": 1, "svd": 2}


def svd(a, vectors=False, method="auto", gram_rtol=1e-10):
    """Singular values (and vectors) of a 2-D array, as `rmtk analyze` computes them.

    a: (N, M) array of any dtype rmtk reads (float64/32/16, integers; strided views are read in
       place). method: "auto" (Gram route dsyrk + dsyevd, with dgesdd when the accuracy guard
       says so; the CLI's default), "gram", or "svd" (dgesdd, the CLI's --exact). gram_rtol:
       relative accuracy the Gram route must guarantee (default 1e-10).
    Returns s, shape (k,), k = min(N, M), largest first; with vectors=True (U, s, Vt) like
    numpy.linalg.svd(a, full_matrices=False): U (N, k), Vt (k, M), the singular values those of
    the values-only route (bitwise a function of the matrix; docs/methods/spectrum.md).
    Raises NumericError for non-finite entries (naming the position), RangeError when a singular
    value leaves the double range. REF: rmtk.h, module spectrum.
    """
    from ._analyze import _plan, _Lazy, _address
    arg = _plan(a)
    if len(arg.shape) != 2:
        raise _lib.ArgError("svd: a 2-D array is needed, got shape %s" % (arg.shape,), 5)
    rows, cols = arg.shape
    if rows < 1 or cols < 1:
        raise _lib.ArgError("svd: empty matrix %dx%d" % (rows, cols), 5)
    if arg.dtype == "OTHER":
        raise _lib.UnsupportedError("svd: dtype %s is not numeric" % (a.dtype,), 4)
    if isinstance(arg, _Lazy):  # converted once (a GPU tensor, float128, big-endian, ...)
        keep = arg.produce()
        arg = type("_A", (), {"ptr": _address(keep), "strides": (cols, 1),
                              "dtype": arg.dtype})()
    p = lib.rmtk_spectrum_params_default()
    p.method = _METHODS[method]
    p.vectors = int(bool(vectors))
    p.gram_rtol = gram_rtol
    view = _lib.MatrixView(arg.ptr, rows, cols, arg.strides[0], arg.strides[1],
                           _lib.DTYPES[arg.dtype], 0)
    plan = c_void_p()
    check(lib.rmtk_spectrum_plan_alloc(rows, cols, byref(p), byref(plan)))
    k = min(rows, cols)
    try:
        s, sp = _out(k)
        if vectors:
            u, up = _out(k * rows)
            v, vp = _out(k * cols)
        else:
            up = vp = None
        check(lib.rmtk_spectrum_execute(plan, view, sp, up, vp, None),
              lambda: lib.rmtk_spectrum_errmsg(plan))
    finally:
        lib.rmtk_spectrum_plan_free(plan)
    if not vectors:
        return s
    return u.reshape(k, rows).T.copy(), s, v.reshape(k, cols)


# ---- Marchenko-Pastur, Tracy-Widom, BBP ---------------------------------------------------

_proto("rmtk_mp_pdf", c_double, c_double, _P)
_proto("rmtk_mp_cdf", c_double, c_double, _P)
_proto("rmtk_mp_quantile", c_int, POINTER(_lib.MPLaw), c_double, _D)
_proto("rmtk_mp_support", c_int, POINTER(_lib.MPLaw), _D, _D, _D)
_proto("rmtk_mp_params_default", _lib.MPParams)
_proto("rmtk_mp_fit_robust", c_int, _D, c_size_t, c_int64, c_int64, POINTER(_lib.MPParams),
       POINTER(_lib.MPRobustFit))
_proto("rmtk_mp_fit_paper", c_int, _D, c_size_t, c_int64, c_int64, POINTER(_lib.MPParams),
       POINTER(_lib.MPPaperFit))
_proto("rmtk_mp_analyze", c_int, _D, c_size_t, c_int64, c_int64, POINTER(_lib.MPParams),
       POINTER(_lib.MPResult), _D, _D, _D, c_size_t)
_proto("rmtk_mp_outlier_pvalue", c_int, c_double, c_double, c_int64, c_int64, _D, _D)
_proto("rmtk_tw_cdf", c_int, c_int, c_double, _D)
_proto("rmtk_tw_quantile", c_int, c_int, c_double, _D)
_proto("rmtk_tw_johnstone", c_int, c_double, c_double, _D, _D)
_proto("rmtk_bbp_top", c_int, c_double, c_double, _D)
_proto("rmtk_bbp_theta", c_int, c_double, c_double, _D)


def _law(sigma2, rows, cols, form, atom):
    if form not in ("eigen", "singular"):
        raise _lib.ArgError("form: 'eigen' or 'singular', not %r" % (form,), 5)
    return _lib.MPLaw(sigma2, rows, cols, 0 if form == "eigen" else 1, int(bool(atom)))


def mp_pdf(x, sigma2, rows, cols, form="eigen", atom=False):
    """Marchenko-Pastur density of the eigenvalues lambda = s^2 (form="eigen") or singular
    values s (form="singular") of an N x M (rows x cols) matrix with i.i.d. entries of variance
    sigma2, rmtk's convention (no 1/N): support v (sqrt n -+ sqrt m)^2, n = max, m = min,
    density sqrt((l+ - l)(l - l-)) / (2 pi v m l). atom=True: the law of all max(N, M)
    eigenvalues (the atom at 0 excluded from the density, which then integrates to m/n).
    x: scalar or array; NaN for an invalid law. REF: rmtk.h rmtk_mp_pdf; methods.md 4.1."""
    law = _law(sigma2, rows, cols, form, atom)
    return _map(lib.rmtk_mp_pdf, x, byref(law))


def mp_cdf(x, sigma2, rows, cols, form="eigen", atom=False):
    """Closed-form Marchenko-Pastur CDF (same conventions as mp_pdf; the atom included when
    atom=True)."""
    law = _law(sigma2, rows, cols, form, atom)
    return _map(lib.rmtk_mp_cdf, x, byref(law))


def mp_quantile(p, sigma2, rows, cols, form="eigen", atom=False):
    """The p-quantile(s) of the Marchenko-Pastur law, p in [0, 1] (ArgError otherwise)."""
    law = _law(sigma2, rows, cols, form, atom)
    out = c_double()

    def q(pv):
        check(lib.rmtk_mp_quantile(byref(law), pv, byref(out)))
        return out.value
    return _map(q, p)


def mp_support(sigma2, rows, cols, form="eigen", atom=False):
    """(lo, hi) of the continuous part: v (sqrt n - sqrt m)^2, v (sqrt n + sqrt m)^2 for
    form="eigen" (their square roots for "singular")."""
    law = _law(sigma2, rows, cols, form, atom)
    lo, hi = c_double(), c_double()
    check(lib.rmtk_mp_support(byref(law), byref(lo), byref(hi), None))
    return lo.value, hi.value


def _mp_params(alpha, window, n_samples, fit_range, estimator, broadening):
    p = lib.rmtk_mp_params_default()
    p.alpha, p.window, p.n_samples, p.fit_range = alpha, window, n_samples, fit_range
    p.estimator = {"mean": 0, "median": 1}[estimator]
    p.broadening = {"drop": 0, "replicate": 1}[broadening]
    return p


def mp_fit_robust(sv, rows, cols, alpha=0.05, estimator="mean"):
    """The robust Marchenko-Pastur fit of `rmtk analyze` (column mp_sigma2): entry variance v
    by a step-down Tracy-Widom exclusion of outliers from the top, at level alpha.
    sv: the k = min(rows, cols) singular values (any order). estimator: "mean" or "median".
    Returns Result(sigma2, lambda_minus, lambda_plus, n_excluded, steps, capped) (eigenvalue
    units, lambda = s^2). NumericError when all values are 0. REF: rmtk.h rmtk_mp_fit_robust."""
    s, sp = _vec(sv)
    p = _mp_params(alpha, 15, 10, 0.7, estimator, "drop")
    out = _lib.MPRobustFit()
    check(lib.rmtk_mp_fit_robust(sp, len(s), rows, cols, byref(p), byref(out)))
    return _res(out)


def mp_fit_paper(sv, rows, cols, window=15, n_samples=10, fit_range=0.7, broadening="drop"):
    """The three-parameter singular-value fit of Thamm et al. (methods.md 1.4 B; column
    mp_paper_sigma2): f(x) = (a/x) sqrt((nu_max^2 - x^2)(x^2 - nu_min^2)) fitted to the
    Gaussian-broadened density (window w). Returns Result(a, nu_min, nu_max, sigma2,
    lambda_minus, lambda_plus, rss, n_points, n_above). NumericError for too few values."""
    s, sp = _vec(sv)
    p = _mp_params(0.05, window, n_samples, fit_range, "mean", broadening)
    out = _lib.MPPaperFit()
    check(lib.rmtk_mp_fit_paper(sp, len(s), rows, cols, byref(p), byref(out)))
    return _res(out)


def mp_analyze(sv, rows, cols, alpha=0.05):
    """Everything of module mp for one matrix (the columns mp_* and n_spikes): the robust fit,
    the TW outlier test of lambda_max, the paper fit, and per spike its lambda, BBP theta and
    TW p-value (arrays spike_lambda, spike_theta, spike_pvalue, largest first)."""
    s, sp = _vec(sv)
    k = len(s)
    p = _mp_params(alpha, 15, 10, 0.7, "mean", "drop")
    out = _lib.MPResult()
    la, lap = _out(k)
    th, thp = _out(k)
    pv, pvp = _out(k)
    check(lib.rmtk_mp_analyze(sp, k, rows, cols, byref(p), byref(out), lap, thp, pvp, k))
    r = _res(out)
    n = int(out.n_spikes)
    r["spike_lambda"], r["spike_theta"], r["spike_pvalue"] = la[:n], th[:n], pv[:n]
    return r


def mp_outlier_pvalue(lam, sigma2, rows, cols):
    """Tracy-Widom TW_1 statistic and p-value of an eigenvalue lambda = s^2 of an N x M matrix
    with entry variance sigma2 (Johnstone's centring): returns (t, p)."""
    t, p = c_double(), c_double()
    check(lib.rmtk_mp_outlier_pvalue(lam, sigma2, rows, cols, byref(t), byref(p)))
    return t.value, p.value


def tw_cdf(s, beta=1):
    """Tracy-Widom CDF F_beta(s), beta 1 or 2 (Bornemann's Fredholm determinants, ~1e-12)."""
    out = c_double()

    def f(v):
        check(lib.rmtk_tw_cdf(beta, v, byref(out)))
        return out.value
    return _map(f, s)


def tw_quantile(p, beta=1):
    """The p-quantile of TW_beta, p in (0, 1)."""
    out = c_double()

    def f(v):
        check(lib.rmtk_tw_quantile(beta, v, byref(out)))
        return out.value
    return _map(f, p)


def tw_johnstone(n, p):
    """Johnstone's (mu, sigma) for the largest eigenvalue of X^T X, X n x p standard Gaussian:
    mu = (sqrt(n-1) + sqrt p)^2, sigma = (sqrt(n-1) + sqrt p)(1/sqrt(n-1) + 1/sqrt p)^(1/3)."""
    mu, sg = c_double(), c_double()
    check(lib.rmtk_tw_johnstone(n, p, byref(mu), byref(sg)))
    return mu.value, sg.value


def bbp_top(theta, c):
    """BBP limit of the top singular value of X + theta u v^T (X n x m, entries of variance 1/m,
    c = n/m in (0, 1]): sqrt((1 + theta^2)(c + theta^2)) / theta above theta = c^(1/4), else
    the edge 1 + sqrt c."""
    y = c_double()
    check(lib.rmtk_bbp_top(theta, c, byref(y)))
    return y.value


def bbp_theta(y, c):
    """Inverse of bbp_top for an outlier y > 1 + sqrt c (NumericError inside the bulk)."""
    t = c_double()
    check(lib.rmtk_bbp_theta(y, c, byref(t)))
    return t.value


# ---- level statistics -----------------------------------------------------------------------

_proto("rmtk_unfold_params_default", _lib.UnfoldParams)
_proto("rmtk_unfold_count", c_int, c_size_t, POINTER(_lib.UnfoldParams), POINTER(c_size_t))
_proto("rmtk_unfold", c_int, _D, c_size_t, POINTER(_lib.UnfoldParams), _D, c_size_t,
       POINTER(c_size_t), POINTER(c_size_t))
_proto("rmtk_spacings", c_int, _D, c_size_t, _D)
_proto("rmtk_spacing_ratios", c_int, _D, c_size_t, _D, POINTER(c_size_t))
_proto("rmtk_ratio_mean", c_int, _D, c_size_t, _D, _D)
_proto("rmtk_brody_fit_ml", c_int, _D, c_size_t, c_size_t, c_uint64, _D, _D, POINTER(c_size_t))
_proto("rmtk_brody_fit_ls", c_int, _D, c_size_t, c_size_t, c_uint64, _D, _D)
_proto("rmtk_brody_pdf", c_double, c_double, c_double)
_proto("rmtk_brody_cdf", c_double, c_double, c_double)
_proto("rmtk_number_variance", c_int, _D, c_size_t, c_double, _D)
_proto("rmtk_delta3", c_int, _D, c_size_t, c_double, c_double, _D)
_proto("rmtk_sigma2_ref", c_double, c_int, c_double)
_proto("rmtk_delta3_ref", c_double, c_int, c_double)
_proto("rmtk_wigner_surmise_pdf", c_double, c_int, c_double)
_proto("rmtk_wigner_surmise_cdf", c_double, c_int, c_double)
_proto("rmtk_ratio_surmise_pdf", c_double, c_int, c_double)
_proto("rmtk_ratio_surmise_cdf", c_double, c_int, c_double)
_proto("rmtk_spacing_exact", c_int, c_int, _D, c_size_t, _D, _D, _D)

_BETAS = {"goe": 1, "gue": 2, "gse": 4, "poisson": 0}


def _beta(b):
    return _BETAS[b.lower()] if isinstance(b, str) else int(b)


def unfold(levels, method="gauss", window=15, edge="drop", degree=9):
    """Unfold levels (any order) to unit mean spacing, as `rmtk analyze` (default: the paper's
    Gaussian broadening, window 15, 'drop' edges: n - 4w levels out).
    method: "gauss" (xi_j = sum_i Phi((s_j - s_i)/sigma_i), sigma_i = (s_{i+w} - s_{i-w})/2) or
    "poly" (Chebyshev least squares of degree `degree` to the staircase). edge: "drop" or
    "replicate" (n - 2w levels). Returns xi, sorted ascending. NumericError for too few levels.
    REF: methods.md 1.4 A; docs/methods/levels.md."""
    x, xp = _vec(levels)
    p = lib.rmtk_unfold_params_default()
    p.method = {"gauss": 0, "poly": 1}[method]
    p.gauss_edge = {"drop": 0, "replicate": 1}[edge]
    p.window, p.poly_degree = window, degree
    n_out = c_size_t()
    check(lib.rmtk_unfold_count(len(x), byref(p), byref(n_out)))
    xi, xip = _out(n_out.value)
    got = c_size_t()
    check(lib.rmtk_unfold(xp, len(x), byref(p), xip, len(xi), byref(got), None))
    return xi[:got.value]


def spacings(xi):
    """Nearest-neighbour spacings xi[j+1] - xi[j] of sorted (unfolded) levels, shape (n-1,)."""
    x, xp = _vec(xi)
    d, dp = _out(len(x) - 1)
    check(lib.rmtk_spacings(xp, len(x), dp))
    return d


def spacing_ratios(levels):
    """Spacing ratios r~_i = min(g_i, g_{i-1}) / max(g_i, g_{i-1}) of consecutive gaps of the
    sorted levels (no unfolding; pairs of zero gaps skipped). REF: Atas et al. 2013."""
    x, xp = _vec(levels)
    r, rp = _out(max(len(x) - 2, 1))
    m = c_size_t()
    check(lib.rmtk_spacing_ratios(xp, len(x), rp, byref(m)))
    return r[:m.value]


def ratio_mean(r):
    """<r~> and its standard error (batch means of 10; plain sd/sqrt(m) below 100 ratios).
    References: GOE 0.5307, GUE 0.5996, Poisson 2 ln 2 - 1 = 0.3863."""
    x, xp = _vec(r)
    mu, se = c_double(), c_double()
    check(lib.rmtk_ratio_mean(xp, len(x), byref(mu), byref(se)))
    return mu.value, se.value


def brody_fit_ml(d, n_boot=1000, seed=0):
    """Maximum-likelihood Brody parameter beta in [0, 50] of unit-mean spacings d and its
    bootstrap standard error (n_boot resamples): (beta, err). 1 = GOE (Wigner), 0 = Poisson."""
    x, xp = _vec(d)
    b, e = c_double(), c_double()
    check(lib.rmtk_brody_fit_ml(xp, len(x), n_boot, seed, byref(b), byref(e), None))
    return b.value, e.value


def brody_fit_ls(d, n_boot=1000, seed=0):
    """The paper's Brody fit: least squares of the Brody CDF to the empirical CDF, bootstrap
    mean and sd over n_boot resamples (n_boot=0: the sample itself). Returns (beta, err)."""
    x, xp = _vec(d)
    b, e = c_double(), c_double()
    check(lib.rmtk_brody_fit_ls(xp, len(x), n_boot, seed, byref(b), byref(e)))
    return b.value, e.value


def brody_pdf(s, beta):
    """Brody density (b+1) c s^b exp(-c s^(b+1)), c = Gamma((b+2)/(b+1))^(b+1)."""
    return _map(lambda v: lib.rmtk_brody_pdf(beta, v), s)


def brody_cdf(s, beta):
    """Brody CDF 1 - exp(-c s^(b+1))."""
    return _map(lambda v: lib.rmtk_brody_cdf(beta, v), s)


def number_variance(xi, L):
    """Number variance Sigma^2(L) of sorted unfolded levels, exact over all window centres
    (scalar L or an array of lengths). NumericError when the range is shorter than L."""
    x, xp = _vec(xi)
    out = c_double()

    def f(v):
        check(lib.rmtk_number_variance(xp, len(x), v, byref(out)))
        return out.value
    return _map(f, L)


def delta3(xi, L, step=0.25):
    """Dyson-Mehta spectral rigidity Delta_3(L) of sorted unfolded levels (windows starting
    every `step`; Bohigas-Giannoni closed form per window)."""
    x, xp = _vec(xi)
    out = c_double()

    def f(v):
        check(lib.rmtk_delta3(xp, len(x), v, step, byref(out)))
        return out.value
    return _map(f, L)


def sigma2_ref(L, beta=1):
    """Exact reference number variance: beta 1 (GOE), 2 (GUE), 0 or "poisson" (L)."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_sigma2_ref(b, v), L)


def delta3_ref(L, beta=1):
    """Exact reference Delta_3(L) (GOE, GUE; Poisson L/15)."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_delta3_ref(b, v), L)


def wigner_surmise_pdf(s, beta=1):
    """Wigner surmise density at unit mean spacing; beta 1, 2, 4, or 0 (Poisson exp(-s))."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_wigner_surmise_pdf(b, v), s)


def wigner_surmise_cdf(s, beta=1):
    """Wigner surmise CDF (beta 1, 2, 4; 0 Poisson)."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_wigner_surmise_cdf(b, v), s)


def ratio_surmise_pdf(r, beta=1):
    """Atas surmise density of r~ on [0, 1] (beta 1, 2, 4); beta 0: Poisson 2/(1+r)^2."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_ratio_surmise_pdf(b, v), r)


def ratio_surmise_cdf(r, beta=1):
    """CDF of the Atas surmise (beta 0: Poisson 2r/(1+r))."""
    b = _beta(beta)
    return _map(lambda v: lib.rmtk_ratio_surmise_cdf(b, v), r)


def spacing_exact(s, beta=1):
    """Exact large-N spacing law of GOE (beta=1) or GUE (2) (Gaudin-Mehta, Fredholm
    determinants): (E(0; s), CDF, density) at s, arrays of the shape of s."""
    x, xp = _vec(np.atleast_1d(s))
    E, Ep = _out(len(x))
    F, Fp = _out(len(x))
    p, pp = _out(len(x))
    check(lib.rmtk_spacing_exact(_beta(beta), xp, len(x), Ep, Fp, pp))
    return E, F, p


# ---- singular vectors -----------------------------------------------------------------------

_proto("rmtk_pt_cdf", c_double, c_double, c_size_t)
_proto("rmtk_ipr", c_int, _D, c_size_t, _D)
_proto("rmtk_pt_params_default", _lib.PTParams)
_proto("rmtk_pt_plan_alloc", c_int, c_size_t, POINTER(_lib.PTParams), POINTER(c_void_p))
_proto("rmtk_pt_plan_free", None, c_void_p)
_proto("rmtk_pt_test", c_int, c_void_p, _D, c_size_t, _D, _D)
_proto("rmtk_ks_pvalue", c_double, c_size_t, c_double)


def pt_cdf(u, n):
    """CDF of one component of a uniform random unit vector in R^n (the exact finite-n
    Porter-Thomas law): u^2 ~ Beta(1/2, (n-1)/2). REF: methods.md 4.5."""
    return _map(lambda v: lib.rmtk_pt_cdf(v, n), u)


def ipr(v):
    """Inverse participation ratio sum v_i^4 / (sum v_i^2)^2 of a vector (1-D) or of each row of
    a 2-D array. A uniform random unit vector in R^n has E IPR = 3/(n + 2)."""
    a = np.ascontiguousarray(np.atleast_2d(v), dtype=np.float64)
    out = np.empty(a.shape[0])
    r = c_double()
    for i in range(a.shape[0]):
        check(lib.rmtk_ipr(a[i].ctypes.data_as(_D), a.shape[1], byref(r)))
        out[i] = r.value
    return float(out[0]) if np.ndim(v) == 1 else out


_PT = {"exact_mc": 0, "kolmogorov": 1, "paper": 2, "staats": 3}


def pt_test(x, method="exact_mc", nsamples=0, seed=0, pooling_window=0, ma_window=0):
    """Porter-Thomas Kolmogorov-Smirnov tests of k vectors of dimension n: x (k, n), one vector
    per row (a single 1-D vector works). method as `rmtk analyze --pt-method` (default
    "exact_mc": exact CDF, null simulated at the same n from nsamples unit vectors, 2000 by
    default). Returns (D, p), each of shape (k,). REF: rmtk.h rmtk_pt_test; methods.md 1.4 E."""
    a = np.ascontiguousarray(np.atleast_2d(x), dtype=np.float64)
    k, n = a.shape
    p = lib.rmtk_pt_params_default()
    p.method, p.nsamples, p.seed = _PT[method], nsamples, seed
    p.pooling_window, p.ma_window = pooling_window, ma_window
    plan = c_void_p()
    check(lib.rmtk_pt_plan_alloc(n, byref(p), byref(plan)))
    try:
        d, dp = _out(k)
        pv, pvp = _out(k)
        check(lib.rmtk_pt_test(plan, a.ctypes.data_as(_D), k, dp, pvp))
    finally:
        lib.rmtk_pt_plan_free(plan)
    return d, pv


def ks_pvalue(n, d):
    """P(D_n >= d) of the one-sample two-sided KS statistic (scipy.stats.kstwo.sf)."""
    return lib.rmtk_ks_pvalue(n, d)


# ---- heavy tails ----------------------------------------------------------------------------

_proto("rmtk_hill_curve", c_int, _D, c_size_t, _D, _D)
_proto("rmtk_hill_params_default", _lib.HillParams)
_proto("rmtk_hill_plateau_find", c_int, _D, c_size_t, POINTER(_lib.HillParams),
       POINTER(_lib.HillPlateau))
_proto("rmtk_powerlaw_params_default", _lib.PowerlawParams)
_proto("rmtk_powerlaw_fit_run", c_int, _D, c_size_t, POINTER(_lib.PowerlawParams),
       POINTER(_lib.PowerlawFit), _D, _D, _D, c_size_t, POINTER(c_size_t))
_proto("rmtk_powerlaw_compare", c_int, _D, c_size_t, POINTER(_lib.PowerlawFit), c_int,
       POINTER(_lib.LRTest))
_proto("rmtk_ww_fit_run", c_int, _D, c_size_t, POINTER(_lib.WWFit))
_proto("rmtk_ww_params_default", _lib.WWParams)
_proto("rmtk_tpl_fit_run", c_int, _D, c_size_t, POINTER(_lib.WWParams), POINTER(_lib.TPLFit))
_proto("rmtk_tail_reason_str", ctypes.c_char_p, c_int)


def hill_curve(x):
    """Classic Hill estimates alpha_k = 1/H_k, k = 1..n-1 (CCDF exponent, P(X > x) ~ x^-alpha)
    and their standard errors alpha_k / sqrt(k): (alpha, err), each (n-1,). x > 0."""
    a, ap = _vec(x)
    al, alp = _out(len(a) - 1)
    er, erp = _out(len(a) - 1)
    check(lib.rmtk_hill_curve(ap, len(a), alp, erp))
    return al, er


def hill_plateau(x, k_min=20, span_ratio=4.0, z=3.0, k_max_frac=0.5):
    """The Hill plateau criterion of `rmtk analyze` (columns hill_defined, hill_alpha):
    Result(defined, reason, alpha, alpha_err, k1, k2, windows); alpha is the CCDF exponent.
    REF: docs/methods/tails.md, "Hill plateau"."""
    a, ap = _vec(x)
    p = _lib.HillParams(k_min, span_ratio, z, k_max_frac)
    out = _lib.HillPlateau()
    check(lib.rmtk_hill_plateau_find(ap, len(a), byref(p), byref(out)))
    return _res(out)


def _pl_params(bootstrap, seed, xmax, min_tail, threads):
    p = lib.rmtk_powerlaw_params_default()
    p.bootstrap, p.seed, p.xmax, p.min_tail, p.threads = bootstrap, seed, xmax, min_tail, threads
    return p


def powerlaw_fit(x, bootstrap=1000, seed=0, xmax=0.0, min_tail=2, threads=1, scan=False):
    """Clauset-Shalizi-Newman continuous power-law fit (columns csn_*): alpha by maximum
    likelihood for every candidate xmin, xmin by minimum KS distance, the semi-parametric
    bootstrap goodness-of-fit p-value over `bootstrap` replicas (0: none; p_gof NaN).
    alpha is the DENSITY exponent p(x) ~ x^-alpha of the data fed in (pass lambda = s^2 for the
    ESD exponent). Returns Result(reason, plausible, alpha, alpha_err, xmin, xmax, ks_d, n_tail,
    n, n_candidates, p_gof, replicas_ok), with scan=True also scan_xmin, scan_alpha, scan_d.
    The Result keeps the fit for powerlaw_compare. REF: Clauset, Shalizi, Newman, SIAM Rev. 51
    (2009) 661; rmtk.h rmtk_powerlaw_fit_run."""
    a, ap = _vec(x)
    p = _pl_params(bootstrap, seed, xmax, min_tail, threads)
    fit = _lib.PowerlawFit()
    n = len(a) if scan else 0
    sx, sxp = _out(n)
    sa, sap = _out(n)
    sd, sdp = _out(n)
    got = c_size_t()
    check(lib.rmtk_powerlaw_fit_run(ap, len(a), byref(p), byref(fit), sxp if scan else None,
                                    sap if scan else None, sdp if scan else None, n,
                                    byref(got)))
    r = _res(fit)
    r["_fit"] = fit
    if scan:
        r["scan_xmin"], r["scan_alpha"], r["scan_d"] = (sx[:got.value], sa[:got.value],
                                                        sd[:got.value])
    return r


_ALTS = {"exponential": 0, "lognormal": 1, "stretched_exp": 2, "truncated_powerlaw": 3}


def powerlaw_compare(x, fit, alt="lognormal"):
    """Likelihood-ratio test of the power law `fit` (powerlaw_fit on the same x) against an
    alternative fitted on the same tail: "exponential", "lognormal", "stretched_exp" (Vuong,
    two-sided) or "truncated_powerlaw" (nested, Wilks). Result(reason, nested, r, r_norm, p,
    params): r > 0 favours the power law. REF: Vuong 1989; CSN 2009 Sec. 5."""
    a, ap = _vec(x)
    out = _lib.LRTest()
    check(lib.rmtk_powerlaw_compare(ap, len(a), byref(fit["_fit"]), _ALTS[alt], byref(out)))
    return _res(out)


def ww_fit(lam):
    """WeightWatcher's default power-law fit on eigenvalues lambda = s^2 (> 1e-5 kept): every
    position a candidate xmin, D the lower-ECDF KS distance, the smallest D wins. Result(reason,
    alpha, alpha_err, alpha_weighted, log_alpha_norm, xmin, ks_d, num_pl_spikes, n_kept,
    lambda_max): summary.csv's alpha, alpha_err, alpha_weighted, log_alpha_norm, xmin, ks_d,
    n_tail. alpha is the density exponent on lambda. REF: rmtk.h rmtk_ww_fit_run."""
    a, ap = _vec(lam)
    out = _lib.WWFit()
    check(lib.rmtk_ww_fit_run(ap, len(a), byref(out)))
    return _res(out)


def tpl_fit(lam, fit="TPL", xmax=0):
    """WeightWatcher's truncated power law (fit='TPL' or 'E_TPL') on eigenvalues lambda
    (> 1e-5 kept), xmax: WeightWatcher's integer xmax (the xmax largest dropped; not with
    E_TPL). Result(reason, alpha, lambda_, xmin, ks_d, n_tail, pl_alpha, lr, lr_norm, p):
    summary.csv's tpl_alpha, tpl_lambda, tpl_xmin, tpl_ks_d, tpl_n_tail, tpl_R (= lr_norm),
    tpl_p. REF: rmtk.h rmtk_tpl_fit_run; docs/methods/tails.md, "Truncated power law"."""
    kinds = {"TPL": 1, "E_TPL": 2}
    if fit not in kinds:
        raise _lib.ArgError("fit: %r is not TPL or E_TPL" % (fit,), 5)
    a, ap = _vec(lam)
    prm = lib.rmtk_ww_params_default()
    prm.fit = kinds[fit]
    prm.xmax_clip = int(xmax)
    out = _lib.TPLFit()
    check(lib.rmtk_tpl_fit_run(ap, len(a), byref(prm), byref(out)))
    return _res(out)
