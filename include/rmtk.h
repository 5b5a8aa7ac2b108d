/*
 * rmtk.h: the public interface of librmtk, a random-matrix toolkit for neural networks.
 *
 * This header is the manual. Every function says what it computes, who owns each pointer and for
 * how long, which status codes it returns and whether it is thread-safe. Anything not declared
 * here is private to the library.
 *
 * Conventions (see STYLE.md of the project):
 *  - Every fallible function returns an int status; RMTK_OK (0) is success. Results go through
 *    out parameters. Status codes are appended, never renumbered.
 *  - File-backed handles are opened with *_open and released with *_close; plans and workspaces
 *    with *_alloc / *_free. Every destructor accepts NULL.
 *  - Error detail lives on the handle (rmtk_model_errmsg, ...), never in globals. The library never
 *    prints and never aborts on bad input.
 *  - The caller owns inputs and output buffers. Variable-size outputs are "ask the size, then fill".
 *  - Parameter structs come with rmtk_<x>_params_default(); start from it and change fields.
 *  - Functions without a handle are thread-safe. A handle may be used by one thread at a time
 *    unless its functions say otherwise.
 *  - Arrays of levels are double precision. Singular values are reported largest first; level
 *    statistics take them in any order and sort their own copies where they need to.
 */
#ifndef RMTK_H
#define RMTK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(RMTK_BUILDING)
#define RMTK_API __attribute__((visibility("default")))
#else
#define RMTK_API
#endif

/* =========================================================================================== */
/* Status codes and version                                                                     */
/* =========================================================================================== */

enum rmtk_status {
    RMTK_OK = 0,
    RMTK_ERR_NOMEM = 1,       /* an allocation failed */
    RMTK_ERR_IO = 2,          /* a file could not be opened, read, mapped or written */
    RMTK_ERR_FORMAT = 3,      /* a file is malformed (the message names file, tensor, offset) */
    RMTK_ERR_UNSUPPORTED = 4, /* well-formed input that rmtk does not handle (dtype, feature) */
    RMTK_ERR_ARG = 5,         /* an invalid argument (NULL, size, out-of-range parameter) */
    RMTK_ERR_NOTFOUND = 6,    /* a named tensor or item does not exist */
    RMTK_ERR_LAPACK = 7,      /* LAPACK reported an error or did not converge */
    RMTK_ERR_RANGE = 8,       /* a size or offset overflows, or a buffer is too small */
    RMTK_ERR_NUMERIC = 9,     /* data degenerate for the statistic (too few values, zero variance,
                                 a fit that did not converge); the result is not a number to use */
    RMTK_ERR_INTERNAL = 10    /* a broken internal invariant (a bug: please report it) */
};

/* A static English message for a status code (never NULL; unknown codes get a generic text). */
RMTK_API const char *rmtk_status_str(int status);

/* The library version as "MAJOR.MINOR.PATCH" (static storage). */
RMTK_API const char *rmtk_version(void);

/* =========================================================================================== */
/* Memory: the allocation funnel's test hook                                                    */
/* =========================================================================================== */

/* For tests: make the n-th allocation from now fail (n = 1 is the next one); n = 0 disables
 * fault injection. Returns the number of allocations made since the last call. Not thread-safe:
 * call it only while no other thread uses the library. */
RMTK_API uint64_t rmtk_alloc_fail_after(uint64_t n);

/* =========================================================================================== */
/* Random numbers: a counter-based generator (Philox4x32-10)                                    */
/* =========================================================================================== */

/* The value of draw number i of stream s under seed k is a pure function of (k, s, i), so results
 * do not depend on how work is split across threads. The state is a small public struct that
 * the caller owns; it may live on the stack. A state is used by one thread at a time. */
typedef struct rmtk_rng {
    uint64_t seed;    /* the key */
    uint64_t stream;  /* an independent stream per (seed, stream) */
    uint64_t counter; /* index of the next block of 4 x 32 random bits */
    uint32_t buf[4];  /* the current block */
    uint32_t used;    /* words of buf consumed (4 = empty) */
    uint32_t pad;
} rmtk_rng;

/* Initialise a generator at the start of (seed, stream). */
RMTK_API void rmtk_rng_init(rmtk_rng *r, uint64_t seed, uint64_t stream);
/* Move to block index `counter` (each block is 4 x 32 bits). */
RMTK_API void rmtk_rng_seek(rmtk_rng *r, uint64_t counter);
/* Next 32 random bits / 64 random bits. */
RMTK_API uint32_t rmtk_rng_u32(rmtk_rng *r);
RMTK_API uint64_t rmtk_rng_u64(rmtk_rng *r);
/* Uniform on the open interval (0, 1) with 53 random bits. */
RMTK_API double rmtk_rng_uniform(rmtk_rng *r);
/* Standard normal (Box-Muller on two uniforms; each call consumes one 64-bit block pair). */
RMTK_API double rmtk_rng_normal(rmtk_rng *r);
/* Uniform integer in [0, n) without modulo bias; n > 0. */
RMTK_API uint64_t rmtk_rng_below(rmtk_rng *r, uint64_t n);
/* Fill x[0..n) with standard normals whose element j is draw (start + j) of (seed, stream):
 * element values are independent of how a long array is split into calls. */
RMTK_API void rmtk_rng_fill_normal(uint64_t seed, uint64_t stream, uint64_t start, double *x,
                                   size_t n);

/* =========================================================================================== */
/* Basic statistics on 1-D data (module stats)                                                  */
/* =========================================================================================== */

/* Sort x[0..n) ascending in place (NaNs last). Thread-safe. */
RMTK_API void rmtk_sort(double *x, size_t n);

/* A cumulative distribution function F(x; params) for one-sample tests. */
typedef double (*rmtk_cdf_fn)(double x, const void *params);

/* Two-sided one-sample Kolmogorov-Smirnov statistic of sorted data x[0..n) (ascending) against
 * the continuous CDF F: D = max_i max(F(x_i) - i/n, (i+1)/n - F(x_i)). Returns RMTK_ERR_ARG when
 * n == 0 or a pointer is NULL. */
RMTK_API int rmtk_ks_statistic(const double *x_sorted, size_t n, rmtk_cdf_fn cdf,
                               const void *params, double *d);

/* P(D_n >= d) for the two-sided one-sample KS statistic under the null (continuous F).
 * Exact for n <= 1000 (Marsaglia-Tsang-Wang 2003 matrix method, as scipy's 'exact' mode),
 * asymptotic Kolmogorov distribution with Stephens' correction
 * lambda = (sqrt n + 0.12 + 0.11/sqrt n) d beyond (REF: methods.md 4.10). Thread-safe. */
RMTK_API double rmtk_ks_pvalue(size_t n, double d);

/* Kolmogorov's limiting survival function Q(lambda) = 2 sum_{j>=1} (-1)^{j-1} exp(-2 j^2 lambda^2). */
RMTK_API double rmtk_kolmogorov_sf(double lambda);

/* Two-sample KS statistic of sorted samples a[0..na), b[0..nb). */
RMTK_API int rmtk_ks2_statistic(const double *a_sorted, size_t na, const double *b_sorted,
                                size_t nb, double *d);

/* Wasserstein-1 (earth mover's) distance between the empirical distributions of sorted samples
 * a[0..na) and b[0..nb): integral |F_a - F_b| dx. */
RMTK_API int rmtk_wasserstein1(const double *a_sorted, size_t na, const double *b_sorted,
                               size_t nb, double *w);

/* Mean and unbiased standard deviation of x[0..n) (sd = 0 when n < 2). */
RMTK_API int rmtk_mean_sd(const double *x, size_t n, double *mean, double *sd);

/* Quantile of sorted data by linear interpolation between order statistics (numpy's default,
 * 'linear'); p in [0, 1]. */
RMTK_API int rmtk_quantile_sorted(const double *x_sorted, size_t n, double p, double *q);

/* =========================================================================================== */
/* Quadrature and Fredholm determinants (module quad)                                           */
/* =========================================================================================== */

/* Gauss-Legendre nodes x[0..n) and weights w[0..n) on [a, b] (Newton on P_n, exact to ~1e-15).
 * Thread-safe. */
RMTK_API int rmtk_gauss_legendre(size_t n, double a, double b, double *x, double *w);

/* Gauss-Hermite nodes and weights for the standard normal weight exp(-x^2/2)/sqrt(2 pi), so that
 * sum_i w[i] f(x[i]) approximates E f(gamma), gamma ~ N(0, 1). n <= 300. Thread-safe. */
RMTK_API int rmtk_gauss_hermite_normal(size_t n, double *x, double *w);

/* A kernel K(x, y; params) of an integral operator. */
typedef double (*rmtk_kernel_fn)(double x, double y, const void *params);

/* det(I - z K) on L^2(a, b) by Bornemann's Nystrom method with an m-point Gauss-Legendre rule:
 * det(delta_ij - z sqrt(w_i) K(x_i, x_j) sqrt(w_j)). Converges exponentially for analytic
 * kernels (m = 40 gives ~5 digits for the sine kernel on (0, 3), more for larger m).
 * REF: F. Bornemann, Math. Comp. 79 (2010) 871. Thread-safe. */
RMTK_API int rmtk_fredholm_det(rmtk_kernel_fn kernel, const void *params, double a, double b,
                               double z, size_t m, double *det);

/* =========================================================================================== */
/* Tensors, dtypes, models and matrices                                                         */
/* =========================================================================================== */
/* (declared by the foundation: dtype, model, readers, layer extraction) */

/* =========================================================================================== */
/* Spectrum engine                                                                              */
/* =========================================================================================== */
/* (declared by the foundation) */

/* =========================================================================================== */
/* Marchenko-Pastur, outliers, Tracy-Widom, BBP (module mp)                                     */
/* =========================================================================================== */

/* =========================================================================================== */
/* Level statistics (module levels)                                                             */
/* =========================================================================================== */

/* =========================================================================================== */
/* Singular-vector statistics (module vectors)                                                  */
/* =========================================================================================== */

/* =========================================================================================== */
/* Randomised baselines (module nullmodel)                                                      */
/* =========================================================================================== */

/* =========================================================================================== */
/* Heavy tails (module tails)                                                                   */
/* =========================================================================================== */

/* =========================================================================================== */
/* Random-matrix ensembles (module ensembles)                                                   */
/* =========================================================================================== */


/* Seeded samplers of random-matrix ensembles and their spectra. Sample number k of a given
 * (params, seed) is a pure function of them (the counter-based RNG with one stream per sample
 * and factor), so results do not depend on thread count or on which samples are drawn.
 * REF: methods.md 2.3, 2.4, 3.2, 4.1, 4.2, 4.9. */

enum rmtk_ensemble_kind {
    RMTK_ENS_GOE = 0,             /* (A + A^T) sigma / sqrt(2N), N = n: semicircle(sigma2) */
    RMTK_ENS_GUE = 1,             /* complex Hermitian analogue (zheevd): semicircle(sigma2) */
    RMTK_ENS_WISHART = 2,         /* W N x M (dims N, M), entries var sigma2: eig W^T W / N */
    RMTK_ENS_WISHART_COMPLEX = 3, /* complex W, eig W^H W / N (zheevd) */
    RMTK_ENS_WISHART_PRODUCT = 4, /* P = X_L..X_1, X_l N_l x N_{l-1} Gaussian var 1/N_{l-1}:
                                     eig P P^T (N_L values) */
    RMTK_ENS_WIGNER_PRODUCT = 5,  /* P = W_1..W_k of k GOE(n) (sigma2 = 1): eig P P^T = FC_k */
    RMTK_ENS_PERCOLATED_WIGNER = 6, /* B o W, symmetric Bernoulli(p) mask on GOE(n, sigma2) */
    RMTK_ENS_PERCOLATED_WISHART = 7,/* X_p = B o X (N x M), eig X_p^T X_p / N */
    RMTK_ENS_SPIKED = 8,          /* singular values of X + theta sum_{i<r} e_i e_i^T,
                                     X n x m (dims) entries var 1/m (largest first) */
    RMTK_ENS_JACOBIAN = 9         /* eig J J^T, J = D_L X_L .. D_1 X_1 of a deep network */
};

enum rmtk_weight_law {
    RMTK_WEIGHTS_GAUSSIAN = 0,
    RMTK_WEIGHTS_UNIFORM = 1,     /* uniform on [-sqrt 3, sqrt 3] */
    RMTK_WEIGHTS_RADEMACHER = 2,  /* +-1 */
    RMTK_WEIGHTS_STUDENT_T = 3,   /* t_nu * sqrt((nu-2)/nu), nu > 4 */
    RMTK_WEIGHTS_SPARSE = 4       /* +-1/sqrt(rho) with probability rho, else 0 */
};

#define RMTK_MAX_LAYERS 64 /* most factors of a product / layers of a network */

struct rmtk_law_params; /* module theory, below */

typedef struct rmtk_ensemble_params {
    int32_t ensemble;       /* enum rmtk_ensemble_kind */
    int32_t weight_law;     /* JACOBIAN: enum rmtk_weight_law (default GAUSSIAN) */
    int64_t n;              /* GOE, GUE, WIGNER_PRODUCT, PERCOLATED_WIGNER: size (default 500) */
    size_t n_dims;          /* WISHART*, SPIKED: 2 (N, M); products and JACOBIAN: L + 1 */
    int64_t dims[RMTK_MAX_LAYERS + 1];
    int32_t k;              /* WIGNER_PRODUCT: number of factors (default 2) */
    int32_t activation;     /* JACOBIAN: enum rmtk_activation (default RELU) */
    double sigma2;          /* entry variance scale (default 1) */
    double p;               /* PERCOLATED_*: keep probability in (0, 1] (default 0.5) */
    double c;               /* PERCOLATED_*: if > 0, sparse: p = c / n (Wigner), c / M
                               (Wishart), i.e. mean degree c (default 0) */
    int64_t rank;           /* SPIKED: r (default 1) */
    double theta;           /* SPIKED: signal strength (default 2) */
    double leaky_slope;     /* JACOBIAN (default 0.01) */
    double sigma_w2;        /* JACOBIAN (default 2) */
    double sigma_b2;        /* JACOBIAN (default 0) */
    double q0;              /* JACOBIAN: |x0|^2 / n_0 (default 1) */
    double student_nu;      /* STUDENT_T: nu > 4 (default 5) */
    double weight_density;  /* SPARSE weights: rho in (0, 1] (default 0.1) */
    int32_t coupled;        /* JACOBIAN: 1 = forward pass (default), 0 = independent D */
    int32_t pad0;
    uint64_t seed;          /* default 1 */
} rmtk_ensemble_params;

typedef struct rmtk_ensemble rmtk_ensemble;

RMTK_API void rmtk_ensemble_params_default(rmtk_ensemble_params *p);

/* Check p and allocate a sampler with every workspace (matrices, LAPACK workspaces queried once
 * for this size). *out is owned by the caller: rmtk_ensemble_free. RMTK_ERR_ARG, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_ensemble_alloc(const rmtk_ensemble_params *p, rmtk_ensemble **out);
RMTK_API void rmtk_ensemble_free(rmtk_ensemble *e);

/* Number of values one sample produces (eigenvalues, or singular values for SPIKED). */
RMTK_API size_t rmtk_ensemble_size(const rmtk_ensemble *e);

/* Draw sample number `index` and write its values to values[0..rmtk_ensemble_size(e)):
 * eigenvalues ascending (dsyevd / zheevd), singular values largest first for SPIKED (dgesdd).
 * A handle is used by one thread at a time; separate handles may run in parallel.
 * RMTK_ERR_ARG, RMTK_ERR_LAPACK. */
RMTK_API int rmtk_ensemble_sample(rmtk_ensemble *e, uint64_t index, double *values);

/* The limiting law matching an ensemble (GOE/GUE/percolated Wigner dense: semicircle with
 * variance sigma2 (times p); Wishart: MP(M/N, sigma2 (times p)); Wishart product; Wigner
 * product: FC_k; Jacobian: the Jacobian law). RMTK_ERR_UNSUPPORTED for SPIKED and sparse
 * percolation (c > 0; use rmtk_sparse_zero_atom for the latter's atom). */
RMTK_API int rmtk_ensemble_law(const rmtk_ensemble_params *p, struct rmtk_law_params *law);

/* Summary of a spectrum: moments, zero atom, range. */
typedef struct rmtk_spectrum_stats {
    size_t n;
    double mean, variance;   /* population variance (1/n) */
    double m2, m3, m4;       /* raw moments E v^k */
    double atom;             /* fraction with |v| < eps_abs */
    double eps_abs;          /* eps * max(1, max |v|) */
    double min, max;
} rmtk_spectrum_stats;

/* Statistics of v[0..n) (n >= 1). eps >= 0 is relative: a value counts in the zero atom when
 * |v| < eps * max(1, max|v|); rmtk's default is 1e-8 (exact zeros of rank-deficient products
 * come out of dsyevd at ~1e-13 relative; the continuous part has negligible mass there). */
RMTK_API int rmtk_spectrum_stats_compute(const double *v, size_t n, double eps,
                                         rmtk_spectrum_stats *out);

/* Per-matrix entry point (for rmtk analyze): the statistics above for the M eigenvalues of
 * W^T W / N of an N x M weight matrix (rows N = `rows`, cols M = `cols`), given its singular
 * values sv[0..k) (largest first, k <= min(N, M)): lambda_i = sv_i^2 / N, and M - k exact zeros
 * (the eigenvalues not passed, e.g. the M - N zeros when M > N). This is the scale on which the
 * MP law rmtk_law (MP, ratio M/N, sigma2 = entry variance) applies, so the same eigenvalues can be
 * passed to rmtk_law_compare. Allocates a temporary copy. RMTK_ERR_ARG, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_layer_spectrum_stats(const double *sv, size_t k, int64_t rows, int64_t cols,
                                       double eps, rmtk_spectrum_stats *out);

/* Histogram density on nbins equal bins of [lo, hi): density[b] = count_b / (n width), values
 * outside [lo, hi] are ignored (hi itself falls in the last bin). */
RMTK_API int rmtk_histogram_density(const double *v, size_t n, double lo, double hi,
                                    size_t nbins, double *density);

/* =========================================================================================== */
/* Limiting laws and free probability (module theory)                                           */
/* =========================================================================================== */

/* Limiting spectral laws of random-matrix ensembles on a grid: each law has an atom at 0, a
 * continuous density, its mean and variance (closed forms) and its support edges.
 * REF: methods.md 2.3-2.4, 3.3-3.5, 4.1-4.2, 4.6-4.9. All functions are thread-safe (no global
 * state) and allocate only temporary workspaces through the library's funnel. */

#define RMTK_LAW_MAX_EDGES 16

enum rmtk_law_kind {
    RMTK_LAW_SEMICIRCLE = 0,      /* Wigner semicircle of variance sigma2 */
    RMTK_LAW_MP = 1,              /* Marchenko-Pastur: ratio q = M/N, variance sigma2 */
    RMTK_LAW_MP_SEMICIRCLE = 2,   /* MP(ratio, sigma2) free-plus semicircle(sigma2_wigner) */
    RMTK_LAW_FUSS_CATALAN = 3,    /* FC_L: squared singular values of L square Ginibre factors */
    RMTK_LAW_WISHART_PRODUCT = 4, /* eigenvalues of P P^T, P = X_L..X_1, dims N_0..N_L */
    RMTK_LAW_JACOBIAN = 5         /* eigenvalues of J J^T of a deep network, widths n_0..n_L */
};

enum rmtk_activation {
    RMTK_ACT_LINEAR = 0,
    RMTK_ACT_RELU = 1,
    RMTK_ACT_LEAKY_RELU = 2, /* phi(y) = y for y > 0, leaky_slope * y otherwise */
    RMTK_ACT_TANH = 3,
    RMTK_ACT_HARD_TANH = 4,  /* phi(y) = max(-1, min(1, y)) */
    RMTK_ACT_SIGMOID = 5,    /* 1 / (1 + exp(-y)) */
    RMTK_ACT_ERF = 6         /* erf(y) */
};

/* Parameters of a law. Start from rmtk_law_params_default() and set the fields the law uses. */
typedef struct rmtk_law_params {
    int32_t law;           /* enum rmtk_law_kind */
    int32_t L;             /* FUSS_CATALAN: number of factors, >= 1 (default 2) */
    double sigma2;         /* SEMICIRCLE, MP, MP_SEMICIRCLE: variance (default 1) */
    double ratio;          /* MP, MP_SEMICIRCLE: q = M/N > 0 (default 0.5) */
    double sigma2_wigner;  /* MP_SEMICIRCLE: variance of the Wigner part, > 0 (default 1) */
    size_t n_dims;         /* WISHART_PRODUCT, JACOBIAN: number of dims (>= 2) */
    int64_t dims[RMTK_MAX_LAYERS + 1]; /* N_0..N_L (matrix X_l is N_l x N_{l-1}) */
    int32_t activation;    /* JACOBIAN: enum rmtk_activation (default RELU) */
    int32_t pad0;
    double leaky_slope;    /* LEAKY_RELU slope a (default 0.01) */
    double sigma_w2;       /* JACOBIAN: weight variance w^2 (default 2) */
    double sigma_b2;       /* JACOBIAN: bias variance (default 0) */
    double q0;             /* JACOBIAN: input norm |x0|^2 / n_0 (default 1) */
    size_t quad_nodes;     /* JACOBIAN: Gauss-Hermite nodes, 100..300 (default 128) */
    double eta_rel;        /* imaginary part of z as a fraction of x (default 1e-9) */
} rmtk_law_params;

/* The scalars of a law. */
typedef struct rmtk_law_info {
    char name[32];         /* "semicircle", "mp", "mp-semicircle", "fuss-catalan", ... */
    double atom;           /* weight of the atom at 0 (exact: rank / dimension formula) */
    double mean;           /* first moment of the whole law (atom included), closed form */
    double variance;       /* variance of the whole law, closed form */
    size_t n_edges;        /* support = [edges[0], edges[1]] u [edges[2], edges[3]] ... */
    double edges[RMTK_LAW_MAX_EDGES];
    int32_t diverges_at_0; /* 1 when the density diverges at x -> 0+ */
    int32_t pad0;
} rmtk_law_info;

/* Fill p with defaults (law = SEMICIRCLE, sigma2 = 1, ratio = 0.5, sigma2_wigner = 1, L = 2,
 * activation RELU, leaky_slope 0.01, sigma_w2 2, sigma_b2 0, q0 1, quad_nodes 128,
 * eta_rel 1e-9, no dims). */
RMTK_API void rmtk_law_params_default(rmtk_law_params *p);

/* Atom, mean, variance and support edges of the law. Mean and variance are closed forms
 * (MP: sigma2, sigma2^2 q; FC_L: 1, L; Jacobian: m1 = prod_l w^2 E kappa_l and
 * Var/m1^2 = sum_l [Var kappa_l / (E kappa_l)^2 / c_l + 1/c_{l-1}], REF: methods.md 3.4).
 * Edges are the critical values of the functional inverse x(u) (z(G) for MP-semicircle) on the
 * real axis that bound the support, checked by evaluating the density on both sides; for
 * smooth activations the lower edge comes from a 400-point scan (relative accuracy ~1e-3) and
 * the upper edge from min_{u>0} x(u). Returns RMTK_ERR_ARG for NULL or invalid parameters,
 * RMTK_ERR_NUMERIC when the continuation fails, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_law_info_compute(const rmtk_law_params *p, rmtk_law_info *info);

/* The continuous density at x[0..n) (any order) into density[0..n) (the atom is not included).
 * Closed forms for semicircle, MP and FC_L (Haagerup-Moller parametrisation, inverted by
 * bisection); MP-semicircle and products / Jacobians by continuation of the physical root of
 * the characteristic equation from above the support (methods.md 3.5 step 4): polynomial
 * roots (companion matrix, LAPACK zhseqr) with the root closest to the extrapolated previous
 * one for linear, ReLU and hard-tanh networks and Wishart products, Newton from the previous
 * root for smooth activations and leaky ReLU. Status as rmtk_law_info_compute. */
RMTK_API int rmtk_law_density(const rmtk_law_params *p, const double *x, size_t n,
                              double *density);

/* A grid of n >= 2 points on [a, b] (a < b) into x[0..n), ascending. Linear, except when the
 * law's density diverges at 0 and a <= 0: then the grid starts at max(a, b * 1e-9), its first
 * half log-spaced up to b / 20 and its second half linear. */
RMTK_API int rmtk_law_grid(const rmtk_law_params *p, double a, double b, size_t n, double *x);

/* integral_a^b x^k rho(x) dx of the continuous part (k = 0, 1, 2, ...), by tanh-sinh
 * quadrature on each piece of [a, b] cut at the support edges (robust to the x^{-alpha}
 * divergence at 0 and the square-root edges). */
RMTK_API int rmtk_law_integrate(const rmtk_law_params *p, double a, double b, int k,
                                double *value);

/* Comparison of a simulated sample with the law. */
typedef struct rmtk_law_comparison {
    double ks;             /* sup |F_n - F| (atom included: values with |v| < eps count as 0) */
    double l1;             /* sum_b |h_b - rho_b| w_b over nbins bins of the continuous part */
    double atom_sim, atom_theory;
    double mean_sim, mean_theory, mean_err;         /* err = sim - theory */
    double var_sim, var_theory, var_err;
} rmtk_law_comparison;

/* Compare values[0..n) (eigenvalues, any order; not modified) with the law: KS distance between
 * the ECDF and the theory CDF (theory CDF tabulated by integrating the density on a 4000-point
 * grid), L1 distance between the histogram (nbins >= 2 bins between the smallest and largest
 * value with |v| >= eps*max(1, max|v|)) and the bin-averaged theory density, atom masses and
 * moment errors. eps >= 0 (default choice 1e-8). */
RMTK_API int rmtk_law_compare(const rmtk_law_params *p, const double *values, size_t n,
                              double eps, size_t nbins, rmtk_law_comparison *out);

/* m_k of FC_L: binom((L+1)k, k) / (Lk + 1) (REF: methods.md 4.7). */
RMTK_API int rmtk_fuss_catalan_moment(int L, int k, double *m);

/* Zero-eigenvalue atom of a sparse Erdos-Renyi matrix with mean degree c (0 < c <= e) and
 * generic nonzero weights: w0 = 2W(c)/c + W(c)^2/c - 1 (Lambert W; Bauer-Golinelli 2001,
 * methods.md 2.4). RMTK_ERR_ARG for c outside (0, e]. */
RMTK_API int rmtk_sparse_zero_atom(double c, double *w0);

/* BBP: limit of the top singular value of X + theta u v^T, X n x m with entry variance 1/m,
 * c = n/m in (0, 1]: sqrt((1+theta^2)(c+theta^2))/theta for theta > c^{1/4}, else 1 + sqrt c
 * (methods.md 4.9). */
RMTK_API int rmtk_bbp_top_singular(double c, double theta, double *s);

/* =========================================================================================== */
/* Analysis of a model and its report (module analysis, report)                                 */
/* =========================================================================================== */
/* (declared by the foundation) */

#ifdef __cplusplus
}
#endif
#endif /* RMTK_H */
