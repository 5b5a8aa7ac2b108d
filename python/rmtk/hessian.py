"""Spectral densities of symmetric operators by stochastic Lanczos quadrature (SLQ), and the loss
Hessian of a torch model through Hessian-vector products (issue 19; docs/methods/slq.md,
"Hessian from Python"; docs/python.md).

The numerics are the C library's: rmtk_slq_density (Lanczos with full reorthogonalisation and
the Gauss rules of several Rademacher starts), rmtk_slq_moment, rmtk_slq_smooth, rmtk_fitlaw.
Python supplies only the operator, through a ctypes callback (rmtk_matvec_fn): ctypes releases
the GIL for the library call and takes it back for each callback.
"""
import math
import time
from ctypes import POINTER, byref, c_double, c_int64, create_string_buffer

import numpy as np

from . import _lib
from ._lib import lib, check
from .functions import Result

__all__ = ["slq_spectrum", "hessian_spectrum", "fit_laws_to_density"]

_D = POINTER(c_double)
_REORTH = {"full": 0, "none": 1}


def _ptr(a):
    return a.ctypes.data_as(_D)


class _Operator:
    """The ctypes callback around a Python operator f(x) -> A x (x, A x: float64 arrays of n).
    An exception inside f is kept and re-raised after the library returns (the callback returns
    nonzero, which stops the Lanczos recurrence)."""

    def __init__(self, f, n, progress=None, total=None):
        self.f, self.n, self.calls, self.error = f, n, 0, None
        self.seconds = 0.0
        self.progress, self.total = progress, total
        self.fn = _lib.MATVEC_FN(self._call)

    def _call(self, user, x, y, n):
        try:
            t0 = time.perf_counter()
            xa = np.ctypeslib.as_array(x, shape=(n,))
            ya = np.ctypeslib.as_array(y, shape=(n,))
            out = np.asarray(self.f(xa.copy()), dtype=np.float64).reshape(-1)
            if out.shape[0] != n:
                raise ValueError("the operator returned %d values for a vector of %d"
                                 % (out.shape[0], n))
            ya[:] = out
            self.calls += 1
            self.seconds += time.perf_counter() - t0
            if self.progress is not None:
                self.progress(self.calls, self.total)
            return 0
        except BaseException as e:  # noqa: B902 (KeyboardInterrupt too: re-raised below)
            self.error = e
            return 1

    def check(self, st):
        if self.error is not None:
            raise self.error
        check(st)


def slq_spectrum(operator, n, steps=100, starts=5, seed=1, *, reorth="full", sigma=None,
                 sigma_rel=0.01, grid=1000, top=10, moments=4, zero_tol=None,
                 fit_laws=True, law_samples=2000, law_sampling="quantile", law_ratio=1.0,
                 law_params=None, law_source="smoothed", progress=None):
    """Stochastic Lanczos quadrature of a symmetric operator given as a function.

    operator: f(x) -> A x for a float64 vector x of shape (n,) (a copy: f may keep or modify
    it); returns anything numpy turns into n floats. A must be symmetric (a non-symmetric or
    random operator gives meaningless Ritz values and no error). n: the order of A.
    Other parameters and the result: as hessian_spectrum (without the torch-specific ones);
    zero_tol defaults to 100 eps(float64) max|theta|. Errors: ArgError (bad parameters),
    NumericError (the operator gave a non-finite value), LapackError, NoMemError (full
    reorthogonalisation stores steps x n doubles); an exception raised by `operator` is
    re-raised as is.
    """
    n = int(n)
    if n < 1:
        raise _lib.ArgError("slq_spectrum: n = %d, need >= 1" % n, 5)
    if reorth not in _REORTH:
        raise _lib.ArgError("slq_spectrum: reorth %r, expected 'full' or 'none'" % (reorth,), 5)
    if int(steps) < 1 or int(starts) < 1:
        raise _lib.ArgError("slq_spectrum: steps = %d and starts = %d must be >= 1"
                            % (int(steps), int(starts)), 5)
    p = lib.rmtk_lanczos_params_default()
    p.steps, p.starts, p.reorth, p.seed = int(steps), int(starts), _REORTH[reorth], int(seed)
    m = min(int(steps), n)
    nodes = np.zeros(int(starts) * m)
    weights = np.zeros(int(starts) * m)
    info = _lib.SlqInfo()
    op = _Operator(operator, n, progress, int(starts) * m)
    t0 = time.perf_counter()
    st = lib.rmtk_slq_density(op.fn, None, n, byref(p), _ptr(nodes), _ptr(weights), byref(info))
    op.check(st)
    t_slq = time.perf_counter() - t0
    res = _summarise(nodes, weights, info, n, int(starts), m, op, t_slq, sigma=sigma,
                     sigma_rel=sigma_rel, grid=grid, top=top, moments=moments,
                     zero_tol=zero_tol, eps=np.finfo(np.float64).eps, fit_laws=fit_laws,
                     law_samples=law_samples, law_sampling=law_sampling, law_ratio=law_ratio,
                     law_params=law_params, law_source=law_source, seed=int(seed))
    res["seconds"] = time.perf_counter() - t0
    return res


def _summarise(nodes, weights, info, n, starts, m, op, t_slq, *, sigma, sigma_rel, grid, top,
               moments, zero_tol, eps, fit_laws, law_samples, law_sampling, law_ratio,
               law_params, law_source, seed):
    res = Result()
    res["n_params"] = n
    res["steps"] = m
    res["starts"] = starts
    res["steps_done_min"] = int(info.steps_done_min)
    res["nodes"] = nodes
    res["weights"] = weights
    res["lambda_min"] = float(info.lambda_min)
    res["lambda_max"] = float(info.lambda_max)
    # Ritz values per start, padding (a start that stopped early: weight 0 at node 0) removed.
    # Cauchy interlacing: the i-th largest Ritz value of any start is <= the i-th largest
    # eigenvalue, so the maximum over starts is the best (still lower) estimate.
    per = []
    for l in range(starts):
        nd, wt = nodes[l * m:(l + 1) * m], weights[l * m:(l + 1) * m]
        keep = ~((wt == 0.0) & (nd == 0.0))
        per.append(np.sort(nd[keep]))
    k = min(int(top), min(len(r) for r in per))
    res["top_eigenvalues"] = np.array([max(r[-1 - i] for r in per) for i in range(k)])
    res["bottom_eigenvalues"] = np.array([min(r[i] for r in per) for i in range(k)])
    # Moments tr(A^j)/n and their Monte-Carlo standard errors (spread across starts).
    mom, mse = np.full(int(moments) + 1, np.nan), np.full(int(moments) + 1, np.nan)
    for j in range(int(moments) + 1):
        a, b = c_double(), c_double()
        check(lib.rmtk_slq_moment(_ptr(nodes), _ptr(weights), m, starts, j, byref(a),
                                  byref(b)))
        mom[j], mse[j] = a.value, b.value
    res["moments"] = mom
    res["moments_se"] = mse
    # Negative and zero mass of the quadrature measure.
    scale = float(np.max(np.abs(nodes))) if nodes.size else 0.0
    tol = float(zero_tol) if zero_tol is not None else 100.0 * eps * scale
    res["zero_tol"] = tol
    neg_l = np.array([weights[l * m:(l + 1) * m][nodes[l * m:(l + 1) * m] < -tol].sum() * starts
                      for l in range(starts)])
    zero_l = np.array([weights[l * m:(l + 1) * m][np.abs(nodes[l * m:(l + 1) * m]) <= tol].sum()
                       * starts for l in range(starts)])
    res["negative_fraction"] = float(neg_l.mean())
    # Quadrature error at t = -tol, by the Chebyshev-Markov-Stieltjes inequalities (Szego,
    # Orthogonal Polynomials, Thm 3.41.1; Akhiezer, The Classical Moment Problem, 2.5.4): for
    # the Gauss rule of the measure mu_v of one start with t in [theta_j, theta_{j+1}),
    # sum_{k<=j} tau_k - tau_j <= mu_v((-inf, t]) <= sum_{k<=j} tau_k + tau_{j+1}; the bound is
    # the larger of the two weights bracketing t, averaged over starts.
    qe = []
    for l in range(starts):
        nd, wt = nodes[l * m:(l + 1) * m], weights[l * m:(l + 1) * m] * starts
        below, above = wt[nd < -tol], wt[nd >= -tol]
        ndb, nda = nd[nd < -tol], nd[nd >= -tol]
        wj = below[np.argmax(ndb)] if below.size else 0.0
        wj1 = above[np.argmin(nda)] if above.size else 0.0
        qe.append(max(wj, wj1))
    res["negative_fraction_quad_err"] = float(np.mean(qe))
    res["negative_fraction_se"] = (float(neg_l.std(ddof=1) / math.sqrt(starts))
                                   if starts > 1 else float("nan"))
    res["zero_fraction"] = float(zero_l.mean())
    # The Gaussian-smoothed density on a grid.
    width = res["lambda_max"] - res["lambda_min"]
    if sigma is None:
        sigma = sigma_rel * width if width > 0 else max(abs(res["lambda_max"]), 1.0) * sigma_rel
    sigma = float(sigma)
    res["sigma"] = sigma
    lo, hi = res["lambda_min"] - 4 * sigma, res["lambda_max"] + 4 * sigma
    x = np.linspace(lo, hi, int(grid))
    dens = np.empty_like(x)
    check(lib.rmtk_slq_smooth(_ptr(nodes), _ptr(weights), nodes.size, sigma, _ptr(x), x.size,
                              _ptr(dens)))
    res["grid"] = x
    res["density"] = dens
    res["hvp_calls"] = op.calls
    res["seconds_operator"] = op.seconds
    res["seconds_slq"] = t_slq
    t1 = time.perf_counter()
    res["laws"] = None
    if fit_laws:
        if law_source not in ("smoothed", "nodes"):
            raise _lib.ArgError("law_source %r, expected 'smoothed' or 'nodes'"
                                % (law_source,), 5)
        keep = np.abs(nodes) > tol
        try:
            res["laws"] = fit_laws_to_density(nodes[keep], weights[keep],
                                              sigma if law_source == "smoothed" else 0.0, x=x,
                                              samples=law_samples, sampling=law_sampling,
                                              ratio=law_ratio, params=law_params, seed=seed)
        except _lib.Error as e:  # keep the spectrum (it cost the products); say why
            res["laws_error"] = "%s: %s" % (type(e).__name__, e)
        else:
            # on the full density's scale: the law of the positive bulk times its mass there
            res["laws"]["mass_scale"] = ((1.0 - res["zero_fraction"]) *
                                         res["laws"]["positive_mass"])
    res["seconds_laws"] = time.perf_counter() - t1
    return res


def fit_laws_to_density(nodes, weights, sigma, x=None, samples=2000, sampling="quantile",
                        ratio=1.0, params=None, seed=1):
    """rmtk_fitlaw (docs/methods/laws.md) applied to the positive part of the Gaussian-smoothed
    quadrature density phi_sigma(t) = sum_k w_k N(t; theta_k, sigma^2) / sum_k w_k, or, for
    sigma = 0 or None, of the quadrature measure itself (its step CDF sum_k w_k 1(theta_k <= t):
    the values drawn are nodes, each about weight x samples times).

    The fit is CDF-matched (minimum Cramer-von Mises distance, as rmtk_fitlaw always is) to
    `samples` values drawn from phi_sigma conditioned on t > 0 by inverse CDF: the CDF is
    phi_sigma integrated (trapezoid) on 20001 points over [min theta - 8 sigma, max theta +
    8 sigma]; sampling "quantile" takes the deterministic quantiles at u_i = (i - 1/2)/samples
    (then the fit is the minimum-CvM match of the two CDFs, with no sampling noise), "random"
    sorted uniforms from numpy's default_rng(seed). The candidates are the laws of the nonzero
    eigenvalues of an r x big Gram matrix with ratio r / big = `ratio` (default 1: square, where
    the Wishart products are Fuss-Catalan); the number of samples is the n of the KS p-values,
    AIC and BIC, so those rank the candidates but do not test them (the SLQ density is not a
    sample of that size). params: an rmtk._lib.FitlawParams (default
    rmtk_fitlaw_params_default, its seed replaced by `seed`).

    Returns a Result: candidates (list of Results with name, code, status, n_params, scale,
    scale_se, shape, shape_se, cvm, ks, ks_p, l1, loglik, aic, bic, and `density`, the fitted
    law's density at x for x > 0, 0 elsewhere, NaN when unavailable), best (name or None),
    delta_bic, verdict (rmtk_fitlaw_verdict's phrase), positive_mass (the mass of phi_sigma above
    0), samples, sampling, ratio, big, r. Errors: ArgError (fewer than 20 positive samples, bad
    parameters), the errors of rmtk_fitlaw.
    """
    nodes = np.ascontiguousarray(nodes, dtype=np.float64)
    weights = np.ascontiguousarray(weights, dtype=np.float64)
    if sampling not in ("quantile", "random"):
        raise _lib.ArgError("fit_laws_to_density: sampling %r, expected 'quantile' or 'random'"
                            % (sampling,), 5)
    if not (0 < ratio <= 1):
        raise _lib.ArgError("fit_laws_to_density: ratio = %g, need 0 < r/big <= 1" % ratio, 5)
    if nodes.size == 0 or not np.any(nodes + 8 * sigma > 0):
        raise _lib.ArgError("fit_laws_to_density: no positive part to fit", 5)
    total = weights.sum()
    n = int(samples)
    if sampling == "quantile":
        u = (np.arange(n) + 0.5) / n
    else:
        u = np.sort(np.random.default_rng(seed).random(n))
    if sigma and sigma > 0:
        lo, hi = nodes.min() - 8 * sigma, nodes.max() + 8 * sigma
        t = np.linspace(lo, hi, 20001)
        d = np.empty_like(t)
        check(lib.rmtk_slq_smooth(_ptr(nodes), _ptr(weights), nodes.size, float(sigma),
                                  _ptr(t), t.size, _ptr(d)))
        d /= total
        cdf = np.concatenate([[0.0], np.cumsum(0.5 * (d[1:] + d[:-1]) * np.diff(t))])
        cdf /= cdf[-1]
        f0 = float(np.interp(0.0, t, cdf)) if lo < 0 else 0.0
        y = np.interp(f0 + (1.0 - f0) * u, cdf, t)
    else:
        # the Gauss rule's own CDF (a step function): node theta_k for u in its weight's span
        o = np.argsort(nodes)
        nd, cw = nodes[o], np.cumsum(weights[o]) / total
        f0 = float(cw[nd <= 0][-1]) if np.any(nd <= 0) else 0.0
        y = nd[np.minimum(np.searchsorted(cw, f0 + (1.0 - f0) * u), nd.size - 1)]
    y = np.ascontiguousarray(y[y > 0])
    if params is None:
        params = lib.rmtk_fitlaw_params_default()
        params.seed = int(seed)
    r = y.size
    big = int(round(r / ratio))
    out = _lib.FitlawResult()
    check(lib.rmtk_fitlaw(_ptr(y), y.size, big, 0, byref(params), byref(out)))
    buf = create_string_buffer(512)
    lib.rmtk_fitlaw_verdict(byref(out), buf, 512)
    res = Result(positive_mass=1.0 - f0, samples=int(r), sampling=sampling, ratio=float(ratio),
                 big=big, r=r, delta_bic=float(out.delta_bic), verdict=buf.value.decode(),
                 best=None, candidates=[], values=y)
    if x is not None:
        x = np.ascontiguousarray(x, dtype=np.float64)
    for i in range(out.n_cand):
        c = out.cand[i]
        cr = Result(name=c.name.decode(), code=int(c.code), status=int(c.status),
                    n_params=int(c.n_params))
        for f in ("scale", "scale_se", "shape", "shape_se", "atom", "cvm", "ks", "ks_p", "l1",
                  "loglik", "aic", "bic"):
            cr[f] = float(getattr(c, f))
        if x is not None:
            dens = np.full(x.size, np.nan)
            pos = np.ascontiguousarray(x[x > 0])
            if c.status == 0 and pos.size:
                dp = np.empty_like(pos)
                if lib.rmtk_fitlaw_density(byref(c), big, r, params.product_width, _ptr(pos),
                                           pos.size, _ptr(dp)) == 0:
                    dens = np.zeros(x.size)
                    dens[x > 0] = dp
            cr["density"] = dens
        res["candidates"].append(cr)
    if out.best >= 0:
        res["best"] = res["candidates"][out.best]["name"]
    return res


# ---- torch ------------------------------------------------------------------------------------

def _as_batches(batches, torch):
    def is_batch(b):
        return isinstance(b, (tuple, list)) and len(b) == 2 and torch.is_tensor(b[0])
    if is_batch(batches):
        return [tuple(batches)]
    out = list(batches)
    if not out:
        raise _lib.ArgError("hessian_spectrum: no batches", 5)
    for b in out:
        if not is_batch(b):
            raise _lib.ArgError("hessian_spectrum: a batch must be (inputs, targets) with "
                                "inputs a tensor; got %r" % (type(b),), 5)
    return [tuple(b) for b in out]


def hessian_spectrum(model, loss_fn, batches, steps=100, starts=5, seed=1, *, params=None,
                     reorth="full", sigma=None, sigma_rel=0.01, grid=1000, top=10, moments=4,
                     zero_tol=None, retain_graph=None, fit_laws=True, law_samples=2000,
                     law_sampling="quantile", law_ratio=1.0, law_params=None,
                     law_source="smoothed", progress=None):
    """The spectral density of the loss Hessian of a torch model by stochastic Lanczos
    quadrature, and the limiting laws of rmtk_fitlaw fitted to its positive part.

    The loss is L(theta) = (1/B) sum_{b=1..B} loss_fn(model(x_b), y_b) over the B batches given
    (each batch weighs the same: with a mean-reduced loss_fn and batches of equal size this is
    the mean loss over all their samples), and H = d^2 L / d theta^2 over the parameters theta
    (`params`, default every parameter of `model` with requires_grad, flattened in
    model.parameters() order: n = their total count). H v is a Hessian-vector product by double
    backward (Pearlmutter 1994): g = torch.autograd.grad(L_b, theta, create_graph=True), then
    torch.autograd.grad(g, theta, grad_outputs=v), summed over batches / B, in the parameters'
    dtype and device (a float32 model gives float32 products: relative error ~1e-6 of ||H||).
    The model is used in the mode it is in: call model.eval() first (dropout would make H v
    random, and Lanczos needs a fixed symmetric operator); batch norm in eval mode uses its
    running statistics.

    The C library then runs rmtk_slq_density: `starts` normalised Rademacher start vectors
    (seeded by `seed`, the counter-based generator of librmtk), `steps` Lanczos steps each
    (reorth "full": full reorthogonalisation, steps x n doubles of memory, 100 steps on 1.8 M
    parameters = 1.4 GB; "none": three-term recurrence, 3 n doubles, Ritz values may repeat),
    and the Gauss rule of each tridiagonal matrix: the density estimate
    phi(t) = sum_i w_i delta(t - theta_i), total weight 1 (Ubaru, Chen & Saad, SIAM J. Matrix
    Anal. Appl. 38 (2017) 1075; Lin, Saad & Yang, SIAM Rev. 58 (2016) 34; applied to network
    Hessians by Ghorbani, Krishnan & Xiao, ICML 2019, and Granziol et al.). It costs
    starts x steps Hessian-vector products.

    batches: one (inputs, targets) pair of tensors or an iterable of them (materialised into a
    list: every batch is used for every product; move them to the model's device first).
    loss_fn: loss_fn(model(inputs), targets) -> a scalar tensor (e.g. torch.nn.CrossEntropyLoss()).
    retain_graph: keep each batch's first-order graph between products (faster by one forward
    and backward per product, memory of one graph per batch); default True for one batch, False
    for several. progress: called as progress(products_done, products_total).

    Returns an rmtk.functions.Result (a dict with attribute access):
      n_params        n, the order of H
      nodes, weights  the quadrature rule, float64 (starts * m,), m = min(steps, n); start l's
                      rule at [l m, (l + 1) m); units of the loss per parameter^2; a start that
                      stopped early (invariant subspace) pads with weight 0 at node 0
      lambda_min, lambda_max   the extreme Ritz values (they converge to H's extreme
                      eigenvalues from inside)
      top_eigenvalues (k,), descending, bottom_eigenvalues (k,), ascending, k = min(top, m):
                      the i-th largest (smallest) Ritz value, maximised (minimised) over starts:
                      by Cauchy interlacing a lower (upper) bound of the i-th largest
                      (smallest) eigenvalue, converged for isolated outliers
      moments, moments_se (moments + 1,): tr(H^j) / n for j = 0..moments and the Monte-Carlo
                      standard error across starts (rmtk_slq_moment); exact quadrature for
                      j <= 2m - 1, so the error is Hutchinson's: Var = (2/n^2)(||H^j||_F^2 -
                      sum_i (H^j)_ii^2) / starts for one Rademacher start each
      negative_fraction, negative_fraction_se: the estimated fraction of negative eigenvalues,
                      sum of the quadrature weights at nodes < -zero_tol, and the standard
                      error of that mass across starts (Monte-Carlo)
      negative_fraction_quad_err: its quadrature error bound, by the Chebyshev-Markov-
                      Stieltjes inequalities: the larger weight of the two nodes bracketing
                      -zero_tol, averaged over starts (large when a cluster of eigenvalues
                      straddles 0 unresolved: then the estimate is poor, and says so)
      zero_fraction   weight at |node| <= zero_tol (the atom at 0: dead units, the null space
                      of the Gauss-Newton part), zero_tol default 100 eps(dtype) max|node|
                      (eps of the parameters' dtype: the rounding of the products)
      sigma, grid, density: the Gaussian-smoothed density sum_i w_i N(t; theta_i, sigma^2) on
                      `grid` points over [lambda_min - 4 sigma, lambda_max + 4 sigma]; sigma
                      default sigma_rel (lambda_max - lambda_min)
      laws            fit_laws_to_density on the nodes with |node| > zero_tol (None when
                      fit_laws is False): the candidates of rmtk_fitlaw (MP, products of 2..6
                      Wishart matrices, MP free-plus semicircle) CDF-matched (minimum
                      Cramer-von Mises distance) to the positive part of the smoothed density
                      (law_source "smoothed") or of the quadrature measure itself ("nodes": no
                      dependence on sigma, whose blur of the atom at 0 otherwise dominates the
                      positive part when the bulk is narrower than sigma), sampled by inverse
                      CDF (law_samples values; law_sampling "quantile": deterministic quantiles,
                      "random": seeded draws), with shape ratio law_ratio = r / big; each
                      candidate's `density` at `grid`, times laws.mass_scale, overlays
                      `density`; the KS p-values and BIC take law_samples as the sample size:
                      they rank the candidates, they do not test them
      laws_error      present when the law fit failed (e.g. fewer than 20 positive values:
                      no positive part), with the library's message; laws is then None
      hvp_calls, seconds, seconds_operator, seconds_slq, seconds_laws: the number of products
                      and the wall time (total; in the products; in rmtk_slq_density including
                      the products; in the law fit), in seconds
      loss            L(theta) at the given parameters

    Errors: ArgError (no parameters, bad batches or parameters), NumericError (a non-finite
    product: a NaN loss), NoMemError, LapackError; an exception inside the model or loss_fn is
    re-raised as is. torch is imported on call.
    """
    import torch
    t_start = time.perf_counter()
    theta = [p for p in (model.parameters() if params is None else params) if p.requires_grad]
    if not theta:
        raise _lib.ArgError("hessian_spectrum: no parameter requires grad", 5)
    data = _as_batches(batches, torch)
    nb = len(data)
    if retain_graph is None:
        retain_graph = nb == 1
    sizes = [p.numel() for p in theta]
    n = int(sum(sizes))
    dtype, device = theta[0].dtype, theta[0].device

    def first_order(b):
        x, y = data[b]
        loss = loss_fn(model(x), y)
        g = torch.autograd.grad(loss, theta, create_graph=True, allow_unused=True)
        return loss.detach(), g

    cache = [first_order(b) for b in range(nb)] if retain_graph else None
    loss_value = 0.0
    if cache is not None:
        loss_value = float(sum(float(c[0]) for c in cache) / nb)
    else:
        with torch.no_grad():
            loss_value = float(sum(float(loss_fn(model(x), y)) for x, y in data) / nb)

    def hvp(v):
        vt = torch.from_numpy(v).to(device=device, dtype=dtype)
        parts = list(torch.split(vt, sizes))
        vs = [q.view_as(p) for q, p in zip(parts, theta)]
        acc = torch.zeros(n, dtype=torch.float64, device=device)
        for b in range(nb):
            _, g = cache[b] if cache is not None else first_order(b)
            outs = [(gi, vi) for gi, vi in zip(g, vs) if gi is not None and gi.requires_grad]
            if not outs:
                continue  # the loss is at most linear in theta: H = 0
            hv = torch.autograd.grad([o[0] for o in outs], theta,
                                     grad_outputs=[o[1] for o in outs],
                                     retain_graph=cache is not None, allow_unused=True)
            acc += torch.cat([(h if h is not None else torch.zeros_like(p)).reshape(-1)
                              for h, p in zip(hv, theta)]).to(torch.float64)
        return (acc / nb).cpu().numpy()

    p = lib.rmtk_lanczos_params_default()
    if reorth not in _REORTH:
        raise _lib.ArgError("hessian_spectrum: reorth %r, expected 'full' or 'none'"
                            % (reorth,), 5)
    if int(steps) < 1 or int(starts) < 1:
        raise _lib.ArgError("hessian_spectrum: steps = %d and starts = %d must be >= 1"
                            % (int(steps), int(starts)), 5)
    p.steps, p.starts, p.reorth, p.seed = int(steps), int(starts), _REORTH[reorth], int(seed)
    m = min(int(steps), n)
    nodes = np.zeros(int(starts) * m)
    weights = np.zeros(int(starts) * m)
    info = _lib.SlqInfo()
    op = _Operator(hvp, n, progress, int(starts) * m)
    t0 = time.perf_counter()
    st = lib.rmtk_slq_density(op.fn, None, n, byref(p), _ptr(nodes), _ptr(weights),
                              byref(info))
    cache = None
    op.check(st)
    t_slq = time.perf_counter() - t0
    eps = float(torch.finfo(dtype).eps) if dtype.is_floating_point else 2.2e-16
    res = _summarise(nodes, weights, info, n, int(starts), m, op, t_slq, sigma=sigma,
                     sigma_rel=sigma_rel, grid=grid, top=top, moments=moments,
                     zero_tol=zero_tol, eps=eps, fit_laws=fit_laws, law_samples=law_samples,
                     law_sampling=law_sampling, law_ratio=law_ratio, law_params=law_params,
                     law_source=law_source, seed=int(seed))
    res["loss"] = loss_value
    res["seconds"] = time.perf_counter() - t_start
    return res
