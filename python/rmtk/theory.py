"""Limiting spectral laws (module theory of librmtk), NumPy in and out.

Each function returns the continuous density at x (the atom at 0, when the law has one, is not
in the density: see info()). Scales are those of `rmtk theory` and `rmtk simulate`: the MP law
is that of the eigenvalues of W^T W / N for an N x M matrix W with entries of variance sigma2,
ratio q = M / N. REF: methods.md 2.3-2.4, 3.3-3.5, 4.1-4.9; include/rmtk.h, module theory.
Errors: ArgError (invalid parameters), NumericError (the continuation of the characteristic
equation failed).
"""
from ctypes import POINTER, byref, c_double, c_int, c_size_t

import numpy as np

from . import _lib
from ._lib import lib, check

__all__ = ["semicircle", "mp", "mp_semicircle", "fuss_catalan", "wishart_product", "jacobian",
           "info", "fuss_catalan_moment", "params"]

_D = POINTER(c_double)
for _n, _r, _a in (("rmtk_law_params_default", None, [POINTER(_lib.LawParams)]),
                   ("rmtk_law_info_compute", c_int, [POINTER(_lib.LawParams),
                                                     POINTER(_lib.LawInfo)]),
                   ("rmtk_law_density", c_int, [POINTER(_lib.LawParams), _D, c_size_t, _D]),
                   ("rmtk_fuss_catalan_moment", c_int, [c_int, c_int, _D])):
    getattr(lib, _n).restype = _r
    getattr(lib, _n).argtypes = _a

_LAWS = {"semicircle": 0, "mp": 1, "mp_semicircle": 2, "fuss_catalan": 3,
         "wishart_product": 4, "jacobian": 5}
ACTIVATIONS = {"linear": 0, "relu": 1, "leaky_relu": 2, "tanh": 3, "hard_tanh": 4,
               "sigmoid": 5, "erf": 6}


def params(law, **kw):
    """An rmtk_law_params for `law` (a name of rmtk.theory) from keyword fields: sigma2, ratio,
    sigma2_wigner, L, dims (list of widths N_0..N_L), activation (a name), leaky_slope,
    sigma_w2, sigma_b2, q0, quad_nodes, eta_rel."""
    p = _lib.LawParams()
    lib.rmtk_law_params_default(byref(p))
    p.law = _LAWS[law]
    for k, v in kw.items():
        if k == "dims":
            if len(v) > _lib.MAX_LAYERS + 1:
                raise _lib.ArgError("dims: at most %d widths" % (_lib.MAX_LAYERS + 1), 5)
            p.n_dims = len(v)
            for i, d in enumerate(v):
                p.dims[i] = int(d)
        elif k == "activation":
            p.activation = ACTIVATIONS[v]
        elif k in ("L", "quad_nodes"):
            setattr(p, k, int(v))
        else:
            setattr(p, k, float(v))
    return p


def _density(law, x, **kw):
    p = params(law, **kw)
    a = np.ascontiguousarray(np.atleast_1d(x), dtype=np.float64)
    out = np.empty_like(a)
    check(lib.rmtk_law_density(byref(p), a.ctypes.data_as(_D), a.size, out.ctypes.data_as(_D)))
    return float(out[0]) if np.ndim(x) == 0 else out.reshape(np.shape(x))


def semicircle(x, sigma2=1.0):
    """Wigner semicircle of variance sigma2: sqrt(4 sigma2 - x^2) / (2 pi sigma2)."""
    return _density("semicircle", x, sigma2=sigma2)


def mp(x, ratio=0.5, sigma2=1.0):
    """Marchenko-Pastur law of W^T W / N, q = ratio = M/N, entry variance sigma2 (atom 1 - 1/q
    at 0 when q > 1, not in the density)."""
    return _density("mp", x, ratio=ratio, sigma2=sigma2)


def mp_semicircle(x, ratio=0.5, sigma2=1.0, sigma2_wigner=1.0):
    """Free additive convolution of MP(ratio, sigma2) and a semicircle(sigma2_wigner)."""
    return _density("mp_semicircle", x, ratio=ratio, sigma2=sigma2, sigma2_wigner=sigma2_wigner)


def fuss_catalan(x, L=2):
    """Fuss-Catalan law FC_L: squared singular values of a product of L square Ginibre factors
    (moments binom((L+1)k, k)/(Lk+1))."""
    return _density("fuss_catalan", x, L=L)


def wishart_product(x, dims):
    """Eigenvalues of P P^T, P = X_L..X_1 with X_l N_l x N_{l-1} Gaussian of variance
    1/N_{l-1}; dims = [N_0, ..., N_L]."""
    return _density("wishart_product", x, dims=dims)


def jacobian(x, dims, activation="relu", sigma_w2=2.0, sigma_b2=0.0, q0=1.0, **kw):
    """Pastur-Slavin limit of the squared singular values of the input-output Jacobian
    J = D_L W_L ... D_1 W_1 of a deep network of widths dims = [n_0, ..., n_L] with i.i.d.
    weights of variance sigma_w2 / n, the given activation ("linear", "relu", "leaky_relu",
    "tanh", "hard_tanh", "sigmoid", "erf"), bias variance sigma_b2 and input norm q0.
    REF: Pastur & Slavin, arXiv:2011.11439; methods.md 3.4-3.5."""
    return _density("jacobian", x, dims=dims, activation=activation, sigma_w2=sigma_w2,
                    sigma_b2=sigma_b2, q0=q0, **kw)


def info(law, **kw):
    """Atom at 0, mean, variance (closed forms) and support edges of a law: a dict with name,
    atom, mean, variance, edges (list: [a0, b0, a1, b1, ...]) and diverges_at_0."""
    p = params(law, **kw)
    out = _lib.LawInfo()
    check(lib.rmtk_law_info_compute(byref(p), byref(out)))
    return {"name": out.name.decode(), "atom": out.atom, "mean": out.mean,
            "variance": out.variance, "edges": list(out.edges[:out.n_edges]),
            "diverges_at_0": bool(out.diverges_at_0)}


def fuss_catalan_moment(L, k):
    """m_k of FC_L = binom((L+1)k, k) / (Lk + 1)."""
    m = c_double()
    check(lib.rmtk_fuss_catalan_moment(L, k, byref(m)))
    return m.value


