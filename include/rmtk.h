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

/* Every function here takes 1-D data x[0..n) in any order (the caller's array is never modified)
 * and is thread-safe. All values must be finite and > 0 (RMTK_ERR_ARG otherwise; the per-matrix
 * entry point filters them for you). REF: methods.md 1.4 G-H and 4.10; docs/methods/tails.md.
 *
 * Exponent conventions (stated in every result):
 *  - a Hill "alpha" is the CCDF exponent of the data fed in, P(X > x) ~ x^(-alpha);
 *  - a power-law-fit "alpha" (CSN, WeightWatcher) is the DENSITY exponent, p(x) ~ x^(-alpha),
 *    so alpha_density = alpha_ccdf + 1;
 *  - for eigenvalues lambda = sigma^2 of the same matrix, alpha_ccdf(lambda) = alpha_ccdf(sigma)/2,
 *    and the Martin-Mahoney ESD exponent is alpha_MM = alpha_ccdf(lambda) + 1 (a density exponent
 *    on lambda, what WeightWatcher and rmtk's CSN fit on lambda report). */

/* Why a fit carries no usable number (field `reason` of the results below). */
enum rmtk_tail_reason {
    RMTK_TAIL_OK = 0,          /* the result is valid */
    RMTK_TAIL_TOO_FEW = 1,     /* fewer values than the fit needs */
    RMTK_TAIL_DEGENERATE = 2,  /* every candidate tail is constant (all values equal) */
    RMTK_TAIL_NO_CONVERGE = 3, /* an optimiser or root finder did not converge */
    RMTK_TAIL_NO_PLATEAU = 4   /* Hill: no plateau, the tail index is not defined */
};
/* A static English text for a reason (never NULL). */
RMTK_API const char *rmtk_tail_reason_str(int reason);

/* ---- Hill estimators ------------------------------------------------------------------------ */

/* Classic Hill plot. With X_(1) >= X_(2) >= ... the order statistics (largest first),
 *   H_k = (1/k) sum_{i=1}^{k} ln X_(i) - ln X_(k+1),   alpha_k = 1 / H_k,   k = 1 .. n-1,
 * and the asymptotic standard error from sqrt(k) (H_k - 1/alpha) -> N(0, 1/alpha^2):
 * err_k = alpha_k / sqrt(k) (a z-band is alpha_k +- z err_k). Writes alpha[k-1], err[k-1] for
 * k = 1..n-1 (arrays of n-1 doubles, caller-owned; err may be NULL). alpha_k = +inf when H_k = 0
 * (ties at the top). alpha is the CCDF exponent of x. RMTK_ERR_ARG: NULL, n < 2, x <= 0 or not
 * finite. RMTK_ERR_NOMEM. */
RMTK_API int rmtk_hill_curve(const double *x, size_t n, double *alpha, double *err);

/* Number of points of the windowed estimator below: m = n - njump values of zeta, then the
 * moving mean gives m - 2 floor(navg/2) + 1 points (m when navg = 1); 0 if that is < 1. */
RMTK_API size_t rmtk_hill_windowed_size(size_t n, size_t navg, size_t njump);

/* Windowed local inverse-slope Hill estimator, exactly as the Thamm et al. code
 * hill_estimator_avg(data, navg, avg_inverse, njump) (methods.md 1.4 G):
 *   sort ascending M_0 <= ... <= M_{n-1}; S_i = 1 - i/n;
 *   zeta^(j)_i = -ln(M_{i+j}/M_i) / ln(S_{i+j}/S_i), i = 0 .. n-1-njump, averaged over lags
 *   j = 1..njump (each truncated to the common length n - njump);
 *   movmean(v, navg)[i] = mean(v[i .. min(i + 2 floor(navg/2), len-1)]) for
 *   i = 0 .. len - 2 floor(navg/2) (centred windows of 2 floor(navg/2) + 1 points, the last one
 *   truncated, as the code's movmean; with navg = 1 the code's final empty window is dropped);
 *   alpha_hat = 1 / movmean(zeta) when avg_inverse, else movmean(1 / zeta);
 *   g_inv = 1 / movmean(M_0 .. M_{n-1-njump}).
 * alpha_hat is the CCDF exponent of x; a power law shows a plateau as g_inv -> its smallest
 * values. Fills alpha_hat[0..len), g_inv[0..len) (caller-owned, len from
 * rmtk_hill_windowed_size) and *len. Values may be +inf where slopes vanish (tied data).
 * RMTK_ERR_ARG: NULL, navg == 0, njump == 0, bad x, or len < 1; RMTK_ERR_RANGE: cap < len. */
RMTK_API int rmtk_hill_windowed(const double *x, size_t n, size_t navg, size_t njump,
                                int avg_inverse, double *alpha_hat, double *g_inv, size_t cap,
                                size_t *len);

/* Plateau criterion on the classic Hill curve (docs/methods/tails.md, "Hill plateau").
 * A window [k1, k2] with k2 = floor(span_ratio * k1), k_min <= k1, k2 <= k_max_frac * n, is
 * flat when every k in it satisfies
 *   |H_k - H_k2| <= z * H_k2 * sqrt(1/k - 1/k2),
 * the z-sigma band of H_k - H_k2 for exact Pareto data (Renyi representation: var = (1/k -
 * 1/k2)/alpha^2). Consecutive flat windows merge; the plateau is the merged run with the largest
 * k2, reported as alpha = 1/H_k2 +- alpha/sqrt(k2) over [k1 of its first window, k2 of its last].
 * The defaults (k_min = 20: a window [20, 80] is long enough to reject the curvature of a
 * bounded spectrum's edge; span 4; z = 3; k_max_frac = 0.5) are argued in the methods doc. */
typedef struct rmtk_hill_params {
    uint64_t k_min;    /* smallest k1 (default 20) */
    double span_ratio; /* k2 / k1 of a window, > 1 (default 4) */
    double z;          /* band half-width in standard errors (default 3) */
    double k_max_frac; /* largest k2 as a fraction of n, in (0, 1] (default 0.5) */
} rmtk_hill_params;
RMTK_API rmtk_hill_params rmtk_hill_params_default(void);

typedef struct rmtk_hill_plateau {
    int32_t defined;  /* 1: "tail index defined: alpha +- alpha_err over k in [k1, k2]"; 0: not */
    int32_t reason;   /* RMTK_TAIL_OK, or RMTK_TAIL_NO_PLATEAU / RMTK_TAIL_TOO_FEW when 0 */
    double alpha;     /* CCDF exponent of the data fed in (NaN when not defined) */
    double alpha_err; /* alpha / sqrt(k2) (NaN when not defined) */
    uint64_t k1, k2;  /* the plateau (0 when not defined) */
    uint64_t windows; /* number of flat windows found (diagnostic) */
} rmtk_hill_plateau;

/* Run the plateau criterion on x[0..n). "Not defined" is a result (RMTK_OK with defined = 0 and
 * a reason), not an error. RMTK_ERR_ARG: NULL, bad x, bad params. RMTK_ERR_NOMEM. */
RMTK_API int rmtk_hill_plateau_find(const double *x, size_t n, const rmtk_hill_params *params,
                                    rmtk_hill_plateau *out);

/* ---- Continuous power law, Clauset-Shalizi-Newman 2009 -------------------------------------- */

typedef struct rmtk_powerlaw_params {
    double xmax;        /* > 0: drop values above xmax and fit the power law truncated to
                           [xmin, xmax] (as the powerlaw package's xmax); 0 = none (default) */
    uint64_t min_tail;  /* smallest tail size of a candidate xmin, >= 2 (default 2: every
                           distinct value but the largest, as CSN and powerlaw) */
    uint64_t bootstrap; /* goodness-of-fit replicas (default 1000; 0 = no p-value) */
    uint64_t seed;      /* RNG seed of the bootstrap (default 0); replica r uses stream r */
    uint32_t threads;   /* bootstrap threads (default 1); the result does not depend on it */
    uint32_t pad;
} rmtk_powerlaw_params;
RMTK_API rmtk_powerlaw_params rmtk_powerlaw_params_default(void);

typedef struct rmtk_powerlaw_fit {
    int32_t reason;     /* RMTK_TAIL_OK or why the numbers below are not to be used */
    int32_t plausible;  /* 1 when p_gof >= 0.1 (CSN's rule), 0 otherwise or without bootstrap */
    double alpha;       /* density exponent p(x) ~ x^-alpha of the data fed in */
    double alpha_err;   /* (alpha - 1) / sqrt(n_tail); with xmax the Fisher-information
                           standard error of the truncated model (docs) */
    double xmin;        /* chosen by minimum KS distance */
    double xmax;        /* the truncation used (+inf when none) */
    double ks_d;        /* KS distance D of the tail against the fit (two-sided ECDF) */
    uint64_t n_tail;    /* values in [xmin, xmax] */
    uint64_t n;         /* values used (after dropping x > xmax) */
    uint64_t n_candidates; /* candidate xmin scanned */
    double p_gof;       /* bootstrap p = #(D* > D) / replicas_ok; NaN without bootstrap */
    uint64_t replicas_ok;  /* bootstrap replicas whose refit succeeded */
} rmtk_powerlaw_fit;

/* Fit a continuous power law p(x) = (alpha-1)/xmin (x/xmin)^-alpha, x >= xmin, by maximum
 * likelihood for EVERY candidate xmin (each distinct value leaving >= min_tail values), and
 * choose xmin by minimum KS distance (the first, i.e. smallest, xmin on ties):
 *   alpha(xmin) = 1 + m / sum_{x_i >= xmin} ln(x_i / xmin)        (m = tail size)
 *   D(xmin) = max_j max(F(x_j) - j/m, (j+1)/m - F(x_j)), x_j the sorted tail, j = 0..m-1,
 *   F(x) = 1 - exp((1 - alpha) ln(x / xmin)).
 * The scan: one sort, suffix sums of ln x (alpha in O(1) per candidate), a hull tree built in
 * O(n log n), and an exact branch-and-bound maximisation of the KS deviation per candidate
 * (typically O(log^2 n) work each, so O(n log^2 n) total; 0.3 s CPU at n = 1e5; results
 * bit-for-bit those of the direct O(n^2) scan; docs/methods/tails.md). With xmax, alpha solves
 * the truncated-model likelihood equation (bisection) and F is the truncated CDF. Standard error
 * (alpha - 1)/sqrt(m) (Fisher information; with xmax that of the truncated model). With
 * params->bootstrap > 0, the semi-parametric bootstrap p-value of CSN (methods.md 1.4 H),
 * threaded (pthreads), identical for any thread count.
 * Optional scan output (for plots): for candidate c (ascending xmin) scan_xmin[c], scan_alpha[c],
 * scan_d[c] (caller arrays of scan_cap; any may be NULL; pass scan_cap = 0 to skip);
 * *scan_len (may be NULL) gets the number of candidates; RMTK_ERR_RANGE if scan_cap is nonzero
 * but too small. params NULL = defaults.
 * Status: RMTK_OK (check fit->reason); RMTK_ERR_NUMERIC with fit->reason set when no candidate
 * exists (too few values, all equal); RMTK_ERR_ARG (NULL, bad x, bad params); RMTK_ERR_NOMEM. */
RMTK_API int rmtk_powerlaw_fit_run(const double *x, size_t n, const rmtk_powerlaw_params *params,
                                   rmtk_powerlaw_fit *fit, double *scan_xmin, double *scan_alpha,
                                   double *scan_d, size_t scan_cap, size_t *scan_len);

/* Alternatives of the likelihood-ratio tests, each fitted by maximum likelihood on the same tail
 * [xmin, xmax] (normalised there). */
enum rmtk_tail_alt {
    RMTK_TAIL_ALT_EXPONENTIAL = 0, /* p ~ exp(-lambda x); params[0] = lambda */
    RMTK_TAIL_ALT_LOGNORMAL = 1,   /* ln x ~ N(mu, s^2) truncated; params = mu, s */
    RMTK_TAIL_ALT_STRETCHED_EXP = 2, /* p ~ x^(beta-1) exp(-lambda x^beta); params = lambda, beta */
    RMTK_TAIL_ALT_TRUNCATED_PL = 3 /* p ~ x^-a exp(-lambda x); params = a, lambda (nested) */
};

typedef struct rmtk_lr_test {
    int32_t reason;   /* RMTK_TAIL_OK, or RMTK_TAIL_NO_CONVERGE when the alternative's fit failed */
    int32_t nested;   /* 1 for the truncated power law (Wilks chi^2_1 p-value), else 0 (Vuong) */
    double r;         /* log-likelihood ratio sum_i ln p_pl(x_i) - ln p_alt(x_i): > 0 favours the
                         power law, < 0 the alternative */
    double r_norm;    /* R / (sd of the pointwise differences * sqrt(n_tail)) */
    double p;         /* non-nested: Vuong p = erfc(|r_norm| / sqrt 2) (two-sided: is the sign
                         significant?); nested: P(chi^2_1 > 2|R|) = erfc(sqrt |R|) */
    double params[2]; /* the alternative's MLE (see rmtk_tail_alt) */
} rmtk_lr_test;

/* Likelihood-ratio test of the power law `fit` (from rmtk_powerlaw_fit_run on the same x,
 * reason OK) against one alternative, on the tail x in [fit->xmin, fit->xmax]. The alternative
 * is fitted by Nelder-Mead on its log-likelihood (exponential: closed-form start). REF: Vuong
 * 1989; Clauset, Shalizi, Newman, SIAM Rev. 51 (2009) 661, Sec. 5.
 * RMTK_ERR_ARG: NULL, bad x, fit not OK, unknown alt. RMTK_ERR_NUMERIC (with out->reason): the
 * alternative's fit failed or the tail has < 2 values / zero variance of the differences. */
RMTK_API int rmtk_powerlaw_compare(const double *x, size_t n, const rmtk_powerlaw_fit *fit,
                                   int alt, rmtk_lr_test *out);

/* ---- WeightWatcher-compatible power-law fit ------------------------------------------------- */

/* WeightWatcher's default alpha, reproduced so that numbers compare. On eigenvalues lam[0..n)
 * (any order; lam = sigma^2 of a layer): keep the values > 1e-5 (its absolute threshold); every
 * kept value except the largest is a candidate xmin; for each, over the m values >= xmin,
 *   alpha = 1 + m / (sum ln x_i - m ln xmin),
 *   D = max_{i=0..m-1} |1 - (x_i/xmin)^(1-alpha) - i/m|   (sorted tail, lower ECDF only),
 * the smallest D wins (the smallest xmin on ties); sigma = (alpha - 1)/sqrt(m).
 * alpha is the density exponent on lambda (alpha_MM). */
typedef struct rmtk_ww_fit {
    int32_t reason;        /* RMTK_TAIL_OK or why there is no fit */
    int32_t pad;
    double alpha;          /* summary.csv alpha */
    double alpha_err;      /* sigma = (alpha-1)/sqrt(num_pl_spikes): summary.csv alpha_err */
    double alpha_weighted; /* alpha * log10(lambda_max): summary.csv alpha_weighted */
    double log_alpha_norm; /* log10 sum_i lambda_i^alpha over all kept lambda: log_alpha_norm */
    double xmin;           /* summary.csv xmin */
    double ks_d;           /* D: summary.csv ks_d */
    uint64_t num_pl_spikes;/* tail size m: summary.csv n_tail */
    uint64_t n_kept;       /* eigenvalues above the threshold */
    double lambda_max;
} rmtk_ww_fit;

/* Status: RMTK_OK; RMTK_ERR_NUMERIC with out->reason (fewer than 2 kept values, all equal);
 * RMTK_ERR_ARG (NULL, a NaN); RMTK_ERR_NOMEM. Values <= 1e-5 (including negative round-off
 * eigenvalues) are dropped, not errors. */
RMTK_API int rmtk_ww_fit_run(const double *lam, size_t n, rmtk_ww_fit *out);

/* ---- Per-matrix entry point (for rmtk analyze) ---------------------------------------------- */

typedef struct rmtk_tails_params {
    rmtk_powerlaw_params powerlaw; /* CSN fit on lambda (bootstrap replicas, seed, threads) */
    rmtk_hill_params hill;         /* plateau criterion, on lambda */
} rmtk_tails_params;
RMTK_API rmtk_tails_params rmtk_tails_params_default(void);

/* Which data each field uses: WW fields on lambda = sigma^2 > 1e-5; CSN, LR and Hill fields on
 * lambda = sigma^2 > 0. Columns of summary.csv in brackets. A field whose *_reason is not OK must
 * be written as empty/NaN and kept out of averages. */
typedef struct rmtk_tails_result {
    rmtk_ww_fit ww;           /* [alpha, alpha_err, alpha_weighted, log_alpha_norm, xmin, ks_d,
                                 n_tail] = ww.alpha, .alpha_err, .alpha_weighted,
                                 .log_alpha_norm, .xmin, .ks_d, .num_pl_spikes */
    rmtk_powerlaw_fit csn;    /* [csn_alpha, csn_alpha_err, csn_xmin, csn_ks_d, csn_n_tail,
                                 csn_p_gof] = csn.alpha, .alpha_err, .xmin, .ks_d, .n_tail,
                                 .p_gof (density exponent on lambda) */
    rmtk_lr_test lr_lognormal;   /* [lr_lognormal, lr_lognormal_p] = .r_norm, .p */
    rmtk_lr_test lr_exponential; /* [lr_exponential, lr_exponential_p] = .r_norm, .p */
    rmtk_hill_plateau hill;   /* [hill_defined, hill_alpha] = .defined, .alpha (CCDF exponent
                                 on lambda; alpha_sigma = 2 hill.alpha, alpha_MM = hill.alpha+1) */
    /* Curves for report.json, filled when the caller gives the buffers (NULL = skip):
     * hill_alpha_curve/hill_err_curve: k = 1..k-1 on lambda (curve_cap >= nsv - 1);
     * ks_xmin/ks_alpha/ks_d: the CSN scan (ks_cap >= nsv). Lengths written back below. */
    size_t hill_len;
    size_t ks_len;
} rmtk_tails_result;

/* Heavy-tail analysis of one matrix from its singular values sv[0..nsv) (largest first, as the
 * spectrum engine returns them; any order works). Runs rmtk_ww_fit_run, rmtk_powerlaw_fit_run
 * (+ bootstrap), rmtk_powerlaw_compare vs lognormal and exponential, and the Hill plateau, all on
 * lambda = sv^2, and fills *out. Each part carries its own reason; the function returns RMTK_OK
 * even when a part failed numerically (look at the reasons) and an error only for RMTK_ERR_ARG
 * (NULL, nsv == 0, a NaN or negative sv) or RMTK_ERR_NOMEM. Curve buffers as described above
 * (each may be NULL). params NULL = defaults. Thread-safe. */
RMTK_API int rmtk_tails_analyze(const double *sv, size_t nsv, const rmtk_tails_params *params,
                                rmtk_tails_result *out, double *hill_alpha_curve,
                                double *hill_err_curve, size_t curve_cap, double *ks_xmin,
                                double *ks_alpha, double *ks_d, size_t ks_cap);


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
