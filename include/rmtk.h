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

/* Level statistics of a spectrum (REF: methods.md 1.4 A, C, D, 1.6, 4.3, 4.4; the formulas, the
 * paper-faithful variants and where rmtk differs are in docs/methods/levels.md). Levels may be
 * passed in any order (singular values largest first, eigenvalues ascending...): functions that
 * need them sorted sort a private copy. Every function here is thread-safe (the only shared state
 * is the constant exact-spacing table, built once under pthread_once). */

/* ---- unfolding --------------------------------------------------------------------------- */

enum rmtk_unfold_method {
    RMTK_UNFOLD_GAUSS = 0, /* Gaussian broadening of the staircase (the paper's method) */
    RMTK_UNFOLD_POLY = 1,  /* least-squares polynomial (Chebyshev basis) fit of the staircase */
    RMTK_UNFOLD_CDF = 2    /* a caller-supplied smooth CDF: xi = scale * F(s) (e.g. fitted MP) */
};

enum rmtk_gauss_edge {
    RMTK_GAUSS_DROP = 0,     /* the paper's unfold_spectrum: n - 4w unfolded levels */
    RMTK_GAUSS_REPLICATE = 1 /* pad w copies of the end levels: n - 2w unfolded levels */
};

typedef struct rmtk_unfold_params {
    int32_t method;      /* enum rmtk_unfold_method; default RMTK_UNFOLD_GAUSS */
    int32_t gauss_edge;  /* enum rmtk_gauss_edge; default RMTK_GAUSS_DROP */
    uint32_t window;     /* Gaussian window w >= 1; default 15 */
    uint32_t poly_degree; /* polynomial degree D in [1, 40]; default 9 */
    double sigma_floor;  /* Gaussian widths below sigma_floor * max|s| (at least DBL_MIN) are
                            raised to it and counted; default 1e-15 (the paper adds 1e-15) */
    rmtk_cdf_fn cdf;     /* RMTK_UNFOLD_CDF: the CDF F of the levels (borrowed during the call) */
    const void *cdf_params;
    double cdf_scale;    /* RMTK_UNFOLD_CDF: xi = cdf_scale * F(s); 0 means n (the level count) */
} rmtk_unfold_params;

RMTK_API rmtk_unfold_params rmtk_unfold_params_default(void);

/* The number of unfolded levels rmtk_unfold produces from n levels: n - 4w (gauss, drop),
 * n - 2w (gauss, replicate), n (poly, cdf). RMTK_ERR_ARG for bad params or a NULL pointer;
 * RMTK_ERR_NUMERIC when n is too small (fewer than 2 unfolded levels, or n <= D + 1 for poly). */
RMTK_API int rmtk_unfold_count(size_t n, const rmtk_unfold_params *p, size_t *n_out);

/* Unfold the n levels (any order; not modified) to xi[0..n_out), sorted ascending, mean spacing
 * about 1. Gauss: sigma_i = (s_{i+w} - s_{i-w})/2 and
 *   xi_j = sum_i (1/2)[1 + erf((s_j - s_i) / (sqrt 2 sigma_i))]
 * (drop: kernels i in [w, n-w), evaluated at j in [2w, n-2w); replicate: the sorted levels padded
 * with w copies of each end value, kernels at every original level, evaluated at j in [w, n-w)).
 * Kernels whose erf is saturated (|argument| > 6.5) are summed as exact 0/1 without evaluating
 * erf (absolute error < n * 1e-20), which makes the cost O(n w) instead of O(n^2).
 * Poly: least squares of the staircase N(s_(i)) = i + 1/2 by sum_k c_k T_k(t), t the levels mapped
 * to [-1, 1]; xi = the fit at each level (then sorted). Cdf: xi = scale * F(s).
 * xi must hold cap >= n_out values (ask rmtk_unfold_count). n_floored (may be NULL) receives the
 * number of Gaussian widths raised to the floor (degenerate levels; 0 for poly and cdf).
 * RMTK_ERR_ARG (NULL, bad params, non-finite levels), RMTK_ERR_RANGE (cap too small),
 * RMTK_ERR_NUMERIC (too few levels, all levels equal), RMTK_ERR_LAPACK, RMTK_ERR_NOMEM. */
RMTK_API int rmtk_unfold(const double *levels, size_t n, const rmtk_unfold_params *p, double *xi,
                         size_t cap, size_t *n_out, size_t *n_floored);

/* The Gaussian-broadened density of the paper at x[0..m) (REF: methods.md 1.4 A):
 * rho(x) = (1/n') sum_i Normal(x; s_i, sigma_i + floor) over the kernels of rmtk_unfold (drop:
 * i in [w, n-w), n' = n; replicate: every level, n' = n + 2w, the code quirk, so that rho
 * integrates to (n - 2w)/n resp. n/(n + 2w)). floor = sigma_floor * max|s| as in rmtk_unfold.
 * RMTK_ERR_ARG, RMTK_ERR_NUMERIC (n <= 2w), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_gauss_density(const double *levels, size_t n, uint32_t window, int32_t edge,
                                double sigma_floor, const double *x, size_t m, double *rho);

/* ---- spacing laws ------------------------------------------------------------------------ */

/* Wigner surmise density / CDF at s for beta = 1 (GOE), 2 (GUE), 4 (GSE); beta = 0 gives Poisson
 * exp(-s). Unit mean spacing (methods.md 4.3). NaN for another beta. */
RMTK_API double rmtk_wigner_surmise_pdf(int beta, double s);
RMTK_API double rmtk_wigner_surmise_cdf(int beta, double s);

/* Brody density and CDF, P = (b+1) c s^b exp(-c s^{b+1}), c = Gamma((b+2)/(b+1))^{b+1}. */
RMTK_API double rmtk_brody_pdf(double beta, double s);
RMTK_API double rmtk_brody_cdf(double beta, double s);

/* The exact large-N spacing law of GOE (beta = 1) or GUE (beta = 2) at s[0..n) (Gaudin-Mehta,
 * REF: methods.md 4.3; Bornemann 2010): E_2(0; s) = det(I - K_sine) on L^2(0, s),
 * E_1(0; s) = det(I - K+) on L^2(0, s/2), K+(x, y) = S(x - y) + S(x + y), S(x) = sin(pi x)/(pi x).
 * With unit mean spacing, E(0; s) = int_s^inf (t - s) p(t) dt, so the CDF of the spacing is
 * F(s) = 1 + dE/ds and the density p(s) = d^2E/ds^2. E is tabulated by Nystrom determinants
 * (48 Gauss-Legendre nodes) at 96 Chebyshev points on [0, 8] and differentiated analytically as
 * a Chebyshev series (beyond 8: E = 0, F = 1, p = 0; error < 1e-12 in E and F, ~1e-8 in p).
 * The table is built once per process (~20 ms per beta, thread-safe) and shared. Any of E, cdf,
 * pdf may be NULL. RMTK_ERR_ARG (beta not 1 or 2, s NULL). */
RMTK_API int rmtk_spacing_exact(int beta, const double *s, size_t n, double *E, double *cdf,
                                double *pdf);

/* Nearest-neighbour spacings d[j] = xi[j+1] - xi[j], j < n - 1, of sorted levels xi. */
RMTK_API int rmtk_spacings(const double *xi_sorted, size_t n, double *d);

/* ---- Brody fits -------------------------------------------------------------------------- */

/* Maximum-likelihood Brody parameter of spacings d[0..n) (any order, unit mean assumed) over
 * beta in [0, 50] (safeguarded Newton on the score), and its bootstrap standard error from
 * n_boot resamples with replacement (stream 0 of seed; err = 0 when n_boot < 2). Spacings <= 0
 * are excluded (their count goes to *n_excluded, may be NULL). RMTK_ERR_ARG, RMTK_ERR_NUMERIC
 * (fewer than 3 positive spacings), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_brody_fit_ml(const double *d, size_t n, size_t n_boot, uint64_t seed,
                               double *beta, double *err, size_t *n_excluded);

/* The paper's fit (REF: methods.md 1.4 C, fit_Brody_bootstrap): least squares of the Brody CDF to
 * the empirical CDF points (x = sorted spacings, y = i/n, i = 0..n-1), beta >= 0, repeated on
 * n_boot bootstrap resamples (stream 1 of seed); beta = mean and err = sd over the resamples as in
 * the paper (paper: n_boot = 1000). n_boot = 0 fits the sample itself (err = 0).
 * RMTK_ERR_ARG (NULL, NaN), RMTK_ERR_NUMERIC (fewer than 3 positive spacings), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_brody_fit_ls(const double *d, size_t n, size_t n_boot, uint64_t seed,
                               double *beta, double *err);

/* ---- spacing ratios ---------------------------------------------------------------------- */

/* Spacing ratios r~_i = min(g_i, g_{i-1}) / max(g_i, g_{i-1}) of consecutive gaps g of the sorted
 * levels (no unfolding; REF: methods.md 4.3, Oganesyan-Huse, Atas et al. 2013). Pairs of zero
 * gaps are skipped. r must hold n - 2 values; *m receives the number written. RMTK_ERR_ARG,
 * RMTK_ERR_NUMERIC (n < 3), RMTK_ERR_NOMEM. */
RMTK_API int rmtk_spacing_ratios(const double *levels, size_t n, double *r, size_t *m);

/* Mean of r[0..m) and its standard error by batch means over consecutive blocks of 10 ratios (so
 * that the correlation of neighbouring ratios, which share a gap, is accounted for); plain
 * sd/sqrt(m) when m < 100. Reference means: GOE 0.5307, GUE 0.5996, GSE 0.6744, Poisson
 * 2 ln 2 - 1 = 0.3863. */
RMTK_API int rmtk_ratio_mean(const double *r, size_t m, double *mean, double *sem);

/* The Atas surmise for r~ on [0, 1]: density 2 P_beta(r) and its CDF, beta = 1, 2, 4, and the
 * Poisson law (beta = 0): density 2/(1+r)^2, CDF 2r/(1+r). NaN for another beta. The CDF is a
 * 40-node Gauss-Legendre integral of the density (smooth integrand: error ~1e-15). */
RMTK_API double rmtk_ratio_surmise_pdf(int beta, double r);
RMTK_API double rmtk_ratio_surmise_cdf(int beta, double r);

/* ---- number variance and spectral rigidity ----------------------------------------------- */

/* Number variance of unfolded sorted levels xi[0..n) at window length L, EXACT over all window
 * centres c uniform in [xi_0 + L/2, xi_{n-1} - L/2]: n(c) = #{xi in [c - L/2, c + L/2]} is
 * piecewise constant in c, so <n> and <n^2> are computed exactly from the sorted jump points
 * (O(n)). RMTK_ERR_ARG (NULL, L <= 0), RMTK_ERR_NUMERIC (xi_{n-1} - xi_0 <= L). */
RMTK_API int rmtk_number_variance(const double *xi_sorted, size_t n, double L, double *sigma2);

typedef struct rmtk_nv_mc_params {
    double tol;          /* stop when the last min_iter running estimates span < tol; 1e-3 */
    uint64_t min_iter;   /* ring-buffer size and minimum iterations; 1000 */
    uint64_t max_iter;   /* hard stop; 1000000 */
    uint64_t seed;       /* rmtk_rng seed (stream 2); 0 */
} rmtk_nv_mc_params;

RMTK_API rmtk_nv_mc_params rmtk_nv_mc_params_default(void);

/* The paper's Monte-Carlo number variance (REF: methods.md 1.4 D): random window centres until
 * the running estimate settles. *se receives the standard error of the estimate of the
 * all-window value (delta method, sqrt((m4 - s^4)/K)), *iters (may be NULL) the count K.
 * RMTK_ERR_ARG, RMTK_ERR_NUMERIC as rmtk_number_variance. */
RMTK_API int rmtk_number_variance_mc(const double *xi_sorted, size_t n, double L,
                                     const rmtk_nv_mc_params *p, double *sigma2, double *se,
                                     uint64_t *iters);

/* Dyson-Mehta Delta_3(L) of unfolded sorted levels: the mean over windows [x, x + L] of
 * (1/L) min_{A,B} int (N(E) - A E - B)^2 dE, with the closed-form least squares per window
 * (Bohigas-Giannoni) from the positions e_k of the window's levels. Window starts x form the
 * deterministic grid xi_0 + k * step, k = 0, 1, ... while x + L <= xi_{n-1}; step <= 0 means
 * 0.25. RMTK_ERR_ARG, RMTK_ERR_NUMERIC (xi_{n-1} - xi_0 < L). */
RMTK_API int rmtk_delta3(const double *xi_sorted, size_t n, double L, double step, double *delta3);

/* Sine and cosine integrals Si(x) = int_0^x sin t/t dt, Ci(x) = gamma + ln x + int_0^x
 * (cos t - 1)/t dt for x > 0 (power series for x <= 4, the continued fraction of E1(ix) beyond;
 * ~1e-15 absolute). x <= 0: Si odd, Ci NaN. Either output may be NULL. */
RMTK_API void rmtk_sici(double x, double *si, double *ci);

/* Exact reference number variance Sigma^2(L) for beta = 1 (GOE), 2 (GUE), 0 (Poisson: L)
 * (REF: methods.md 4.4), and Delta_3(L) = (2/L^4) int_0^L (L^3 - 2 L^2 r + r^3) Sigma^2(r) dr by
 * composite Gauss-Legendre (Poisson: L/15). NaN for another beta or L < 0. T2 of methods.md 5. */
RMTK_API double rmtk_sigma2_ref(int beta, double L);
RMTK_API double rmtk_delta3_ref(int beta, double L);
/* The large-L forms: GOE (1/pi^2)[ln(2 pi L) + gamma - 5/4 - pi^2/8], GUE
 * (1/(2 pi^2))[ln(2 pi L) + gamma - 5/4], Poisson L/15. */
RMTK_API double rmtk_delta3_asymptotic(int beta, double L);

/* ---- everything for one matrix ------------------------------------------------------------ */

typedef struct rmtk_levels_params {
    rmtk_unfold_params unfold; /* default: gauss, w = 15, drop */
    const double *L;           /* L grid of the Sigma^2 / Delta_3 curves (borrowed); NULL: the
                                  default grid 0.5, 1, 2, 3, 5, 7, 10, 15, 20 (n_L ignored) */
    size_t n_L;
    uint32_t brody_boot;       /* bootstrap resamples of both Brody fits; default 1000 (paper) */
    uint32_t sigma2_mc;        /* 0: exact Sigma^2 (default); 1: the paper's Monte-Carlo */
    rmtk_nv_mc_params mc;      /* for sigma2_mc = 1 (its seed is replaced by `seed`) */
    double delta3_step;        /* window-start step of Delta_3; default 0.25 */
    uint32_t ratio_bins;       /* bins of the r~ histogram on [0, 1]; default 20 */
    uint32_t pad;
    uint64_t seed;             /* seeds the bootstraps and the Monte-Carlo; default 0 */
} rmtk_levels_params;

RMTK_API rmtk_levels_params rmtk_levels_params_default(void);

/* Results. Scalars that cannot be computed (too few levels for the unfolding or the window, a
 * degenerate fit) are NaN. The array pointers and capacities are set by the caller (NULL / 0 to
 * skip); the function writes min(count, cap) values and reports the count. */
typedef struct rmtk_levels_result {
    /* counts */
    size_t n_levels;       /* input levels */
    size_t n_unfolded;     /* unfolded levels (rmtk_unfold_count) */
    size_t n_spacings;     /* n_unfolded - 1 */
    size_t n_ratios;       /* spacing ratios (pairs of zero gaps skipped) */
    size_t n_sigma_floored; /* Gaussian widths raised to the floor (degenerate levels) */
    /* spacing ratios (no unfolding) */
    double r_mean, r_sem;  /* summary.csv r_mean, r_sem */
    double ks_p_ratio_goe; /* KS p-value of r~ against the GOE Atas surmise */
    /* unfolded spacings */
    double mean_spacing;
    double ks_d_wigner, ks_p_wigner;   /* summary.csv ks_p_wigner (GOE surmise, the paper's) */
    double ks_d_goe, ks_p_goe;         /* summary.csv ks_p_goe (exact GOE law) */
    double ks_d_poisson, ks_p_poisson; /* Poisson exp(-s) */
    double brody_beta, brody_beta_err; /* summary.csv brody_beta, brody_beta_err (ML, bootstrap) */
    double brody_beta_ls, brody_beta_ls_err; /* the paper's LS-on-ECDF bootstrap mean and sd */
    double sigma2_L1, sigma2_L5, delta3_L5; /* summary.csv sigma2_L1, sigma2_L5, delta3_L5 */
    /* arrays for report.json */
    double *spacings; size_t spacings_cap; /* unfolded spacings, in level order */
    double *ratios; size_t ratios_cap;     /* r~ in level order */
    /* r~ histogram: ratio_bins densities and the GOE / Poisson surmise densities averaged over
     * each bin (bin k = [k/B, (k+1)/B)); each array NULL or ratio_bins long */
    double *ratio_hist, *ratio_hist_goe, *ratio_hist_poisson;
    /* curves at the n_L lengths L (default grid: 9); each array NULL or that long. The curve
     * values are NaN where L exceeds the unfolded range. */
    double *curve_L, *sigma2, *sigma2_goe, *sigma2_poisson, *delta3, *delta3_goe,
        *delta3_poisson;
    size_t n_curve; /* the number of L values */
} rmtk_levels_result;

/* Every level statistic of one spectrum: levels[0..n) in any order (singular values largest
 * first as the spectrum engine gives them). Ratios come from the raw sorted levels; spacings,
 * KS tests, Brody fits, Sigma^2 and Delta_3 from the unfolded levels. Deterministic for a given
 * seed. RMTK_ERR_ARG (NULL, non-finite levels, bad params), RMTK_ERR_NUMERIC (n < 3 or all
 * levels equal), RMTK_ERR_NOMEM, RMTK_ERR_LAPACK (poly unfolding). Too few levels for the
 * unfolding is not an error: the unfolded statistics are then NaN and n_unfolded = 0. */
RMTK_API int rmtk_levels_analyze(const double *levels, size_t n, const rmtk_levels_params *p,
                                 rmtk_levels_result *res);

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

/* =========================================================================================== */
/* Limiting laws and free probability (module theory)                                           */
/* =========================================================================================== */

/* =========================================================================================== */
/* Analysis of a model and its report (module analysis, report)                                 */
/* =========================================================================================== */
/* (declared by the foundation) */

#ifdef __cplusplus
}
#endif
#endif /* RMTK_H */
