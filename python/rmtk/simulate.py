"""Seeded samplers of random-matrix ensembles (module ensembles of librmtk), as `rmtk simulate`.

Sample number i of given parameters and seed is a pure function of them (a counter-based RNG
with a stream per sample), so results do not depend on threads or on which samples are drawn.
Each function returns the values of `samples` samples: shape (size,) for samples=1, else
(samples, size); eigenvalues ascending (singular values largest first for spiked).
Scales: GOE/GUE (A + A^T) sigma / sqrt(2N) (semicircle of variance sigma2); Wishart the
eigenvalues of W^T W / N (MP with ratio M/N). REF: methods.md 2.3, 2.4, 3.2, 4.1, 4.2, 4.9.
Errors: ArgError for invalid parameters, LapackError.
"""
from ctypes import POINTER, byref, c_double, c_int, c_size_t, c_uint64, c_void_p

import numpy as np

from . import _lib
from ._lib import lib, check
from .theory import ACTIVATIONS

__all__ = ["goe", "gue", "wishart", "wishart_complex", "wishart_product", "wigner_product",
           "percolated_wigner", "percolated_wishart", "spiked", "jacobian", "sample"]

_D = POINTER(c_double)
for _n, _r, _a in (("rmtk_ensemble_params_default", None, [POINTER(_lib.EnsembleParams)]),
                   ("rmtk_ensemble_alloc", c_int, [POINTER(_lib.EnsembleParams),
                                                   POINTER(c_void_p)]),
                   ("rmtk_ensemble_free", None, [c_void_p]),
                   ("rmtk_ensemble_size", c_size_t, [c_void_p]),
                   ("rmtk_ensemble_sample", c_int, [c_void_p, c_uint64, _D])):
    getattr(lib, _n).restype = _r
    getattr(lib, _n).argtypes = _a

_KINDS = {"goe": 0, "gue": 1, "wishart": 2, "wishart_complex": 3, "wishart_product": 4,
          "wigner_product": 5, "percolated_wigner": 6, "percolated_wishart": 7, "spiked": 8,
          "jacobian": 9}
WEIGHT_LAWS = {"gaussian": 0, "uniform": 1, "rademacher": 2, "student_t": 3, "sparse": 4}


def sample(ensemble, samples=1, first=0, **kw):
    """Samples first .. first+samples-1 of an ensemble (a name of _KINDS) with the fields of
    rmtk_ensemble_params given as keywords (n, dims, k, sigma2, p, c, rank, theta, activation,
    weight_law, leaky_slope, sigma_w2, sigma_b2, q0, student_nu, weight_density, coupled,
    seed)."""
    p = _lib.EnsembleParams()
    lib.rmtk_ensemble_params_default(byref(p))
    p.ensemble = _KINDS[ensemble]
    for k, v in kw.items():
        if k == "dims":
            p.n_dims = len(v)
            for i, d in enumerate(v):
                p.dims[i] = int(d)
        elif k == "activation":
            p.activation = ACTIVATIONS[v]
        elif k == "weight_law":
            p.weight_law = WEIGHT_LAWS[v]
        elif k in ("n", "k", "rank", "coupled", "seed"):
            setattr(p, k, int(v))
        else:
            setattr(p, k, float(v))
    h = c_void_p()
    check(lib.rmtk_ensemble_alloc(byref(p), byref(h)))
    try:
        size = lib.rmtk_ensemble_size(h)
        out = np.empty((samples, size))
        for i in range(samples):
            check(lib.rmtk_ensemble_sample(h, first + i, out[i].ctypes.data_as(_D)))
    finally:
        lib.rmtk_ensemble_free(h)
    return out[0] if samples == 1 else out


def goe(n, sigma2=1.0, samples=1, seed=1):
    """Eigenvalues of GOE(n): (A + A^T) sigma / sqrt(2n), semicircle of variance sigma2."""
    return sample("goe", samples, n=n, sigma2=sigma2, seed=seed)


def gue(n, sigma2=1.0, samples=1, seed=1):
    """Eigenvalues of the complex Hermitian analogue of goe."""
    return sample("gue", samples, n=n, sigma2=sigma2, seed=seed)


def wishart(N, M, sigma2=1.0, samples=1, seed=1):
    """Eigenvalues of W^T W / N (M values), W N x M with entries of variance sigma2."""
    return sample("wishart", samples, dims=[N, M], sigma2=sigma2, seed=seed)


def wishart_complex(N, M, sigma2=1.0, samples=1, seed=1):
    """Eigenvalues of W^H W / N, W complex Gaussian."""
    return sample("wishart_complex", samples, dims=[N, M], sigma2=sigma2, seed=seed)


def wishart_product(dims, samples=1, seed=1):
    """Eigenvalues of P P^T, P = X_L..X_1, X_l N_l x N_{l-1} of variance 1/N_{l-1}."""
    return sample("wishart_product", samples, dims=dims, seed=seed)


def wigner_product(n, k=2, samples=1, seed=1):
    """Eigenvalues of P P^T, P the product of k GOE(n) matrices (-> Fuss-Catalan FC_k)."""
    return sample("wigner_product", samples, n=n, k=k, seed=seed)


def percolated_wigner(n, p=0.5, sigma2=1.0, c=0.0, samples=1, seed=1):
    """GOE(n, sigma2) with a symmetric Bernoulli(p) mask (c > 0: p = c/n, mean degree c)."""
    return sample("percolated_wigner", samples, n=n, p=p, sigma2=sigma2, c=c, seed=seed)


def percolated_wishart(N, M, p=0.5, sigma2=1.0, c=0.0, samples=1, seed=1):
    """Eigenvalues of X_p^T X_p / N, X_p = B o X (Bernoulli(p) mask; c > 0: p = c/M)."""
    return sample("percolated_wishart", samples, dims=[N, M], p=p, sigma2=sigma2, c=c,
                  seed=seed)


def spiked(n, m, theta=2.0, rank=1, samples=1, seed=1):
    """Singular values (largest first) of X + theta sum_{i<rank} e_i e_i^T, X n x m with
    entries of variance 1/m (BBP: rmtk.bbp_top)."""
    return sample("spiked", samples, dims=[n, m], theta=theta, rank=rank, seed=seed)


def jacobian(dims, activation="relu", weight_law="gaussian", sigma_w2=2.0, sigma_b2=0.0,
             q0=1.0, coupled=True, samples=1, seed=1):
    """Eigenvalues of J J^T, J = D_L X_L .. D_1 X_1 the input-output Jacobian of a deep network
    of widths dims (forward pass when coupled; weight law gaussian, uniform, rademacher,
    student_t, sparse). Limit: rmtk.theory.jacobian."""
    return sample("jacobian", samples, dims=dims, activation=activation, weight_law=weight_law,
                  sigma_w2=sigma_w2, sigma_b2=sigma_b2, q0=q0, coupled=int(coupled),
                  seed=seed)
