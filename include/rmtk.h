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

/* ---- Airy function and Tracy-Widom laws ---------------------------------------------------- */

/* Ai(x) and Ai'(x) for finite real x: asymptotic expansions for |x| >= 9, high-order Taylor steps
 * from a table (built once, thread-safely) inside; about 1e-15 relative to the envelope
 * (|x|^{-1/4} for x < 0, exp(-2/3 x^{3/2}) x^{-1/4} for x > 0). Either out-pointer may be NULL
 * (not both). RMTK_ERR_ARG for a non-finite x or two NULLs. REF: DLMF 9.7. Thread-safe. */
RMTK_API int rmtk_airy(double x, double *ai, double *aip);

/* The Tracy-Widom CDF F_beta(s), beta = 1 (real: GOE, real Wishart) or 2 (complex), as a Fredholm
 * determinant by Bornemann's Nystrom method: F_2(s) = det(I - K_Airy) on L^2(s, inf), F_1(s) =
 * det(I - A_s) on L^2(0, inf) with A_s(x, y) = Ai((x+y)/2 + s)/2. About 1e-12 absolute.
 * RMTK_ERR_ARG for beta not 1 or 2, NaN s or NULL F; RMTK_ERR_NOMEM.
 * REF: Bornemann, Markov Process. Related Fields 16 (2010) 803; methods.md 4.9. Thread-safe. */
RMTK_API int rmtk_tw_cdf(int beta, double s, double *F);

/* The p-quantile of TW_beta (F_beta(s) = p) by safeguarded regula falsi on [-10, 14]; p in
 * (0, 1). RMTK_ERR_NUMERIC when p is too close to 0 or 1 (outside [F(-10), F(14)]). Thread-safe. */
RMTK_API int rmtk_tw_quantile(int beta, double p, double *s);

/* Mean and standard deviation of TW_beta by quadrature of the CDF (integration by parts of the
 * density). Reference values (methods.md 4.9): TW_1 -1.2065, 1.2680; TW_2 -1.7711, 0.9018.
 * Costs about 130 determinant evaluations (milliseconds). Thread-safe. */
RMTK_API int rmtk_tw_moments(int beta, double *mean, double *sd);

/* Johnstone's centring and scaling for the largest eigenvalue l of X^T X, X an n x p matrix with
 * i.i.d. N(0, 1) entries: (l - mu) / sigma -> TW_1, mu = (sqrt(n-1) + sqrt p)^2, sigma =
 * (sqrt(n-1) + sqrt p)(1/sqrt(n-1) + 1/sqrt p)^{1/3}. n > 1, p > 0 (real numbers accepted).
 * For a matrix with entries of variance v, l/v is the statistic. REF: Johnstone, Ann. Statist.
 * 29 (2001) 295; methods.md 4.9. Thread-safe. */
RMTK_API int rmtk_tw_johnstone(double n, double p, double *mu, double *sigma);

/* ---- The Marchenko-Pastur law -------------------------------------------------------------- */

/* Conventions. W is an N x M matrix (rows x cols) with i.i.d. entries of mean 0 and variance
 * sigma2 (= v). rmtk reports eigenvalues as lambda_i = s_i^2, the squared singular values of W
 * itself, with NO 1/N. With n = max(N, M) and m = min(N, M), the m nonzero lambda_i fill
 *     [lambda_-, lambda_+] = [v (sqrt n - sqrt m)^2, v (sqrt n + sqrt m)^2]
 * with density rho(l) = sqrt((lambda_+ - l)(l - lambda_-)) / (2 pi v m l) (mean v n, so that
 * l / n follows the textbook MP(v, q = m/n) of methods.md 4.1). Singular-value form (x = s):
 * rho(s) = sqrt((s_+^2 - s^2)(s^2 - s_-^2)) / (pi v m s), s_pm = sqrt(v) (sqrt n pm sqrt m).
 * With atom = 1 the law is that of all n eigenvalues of the larger Gram matrix (n - m of them 0):
 * mass 1 - m/n at 0 and the continuous part scaled by m/n. The textbook normalised law MP(v, q)
 * of W^T W / N is rows = 1, cols = q (rows and cols may be any positive reals). */
enum rmtk_mp_form {
    RMTK_MP_EIGEN = 0,   /* x = lambda = s^2 */
    RMTK_MP_SINGULAR = 1 /* x = s */
};

typedef struct rmtk_mp_law {
    double sigma2; /* v > 0: variance of the matrix entries */
    double rows;   /* N > 0 */
    double cols;   /* M > 0 */
    int32_t form;  /* enum rmtk_mp_form */
    int32_t atom;  /* 0: law of the min(N, M) nonzero values; 1: of max(N, M) values with the atom */
} rmtk_mp_law;

/* Support [lo, hi] of the continuous part (in the law's form) and the atom's mass at 0 (0 when
 * atom = 0 or N = M). Any out-pointer may be NULL. RMTK_ERR_ARG for an invalid law (NULL,
 * non-positive or non-finite sigma2/rows/cols, unknown form, atom not 0/1). Thread-safe. */
RMTK_API int rmtk_mp_support(const rmtk_mp_law *law, double *lo, double *hi, double *atom_mass);

/* Density of the continuous part at x (the atom excluded; with atom = 1 it integrates to m/n).
 * `law` points to an rmtk_mp_law. Returns NaN for an invalid law. Thread-safe. */
RMTK_API double rmtk_mp_pdf(double x, const void *law);

/* CDF at x, closed form (the arcsin terms written as atan2 for accuracy at the edges):
 * with R = sqrt((b - l)(l - a)), a = lambda_-, b = lambda_+,
 *   F(l) = [ R + (a+b)/2 atan2(2R, a+b-2l) - sqrt(ab) atan2(2 sqrt(ab) R, 2ab-(a+b)l) ]
 *          / (2 pi v m),
 * plus the atom (jump at 0) when atom = 1; the singular form is F(s^2). An rmtk_cdf_fn: pass it
 * with a const rmtk_mp_law * to rmtk_ks_statistic or to unfold through it. NaN for an invalid law.
 * REF: methods.md 4.1 (density); the antiderivative is elementary. Thread-safe. */
RMTK_API double rmtk_mp_cdf(double x, const void *law);

/* The p-quantile (p in [0, 1]) by safeguarded Newton-bisection on the closed-form CDF to ~1e-15
 * relative; p at or below the atom's mass gives 0. RMTK_ERR_ARG for an invalid law, NULL x or p
 * outside [0, 1]. Thread-safe. */
RMTK_API int rmtk_mp_quantile(const rmtk_mp_law *law, double p, double *x);

/* ---- BBP transition ------------------------------------------------------------------------ */

/* Normalisation (methods.md 4.9): X is n x m with entries of variance 1/m, c = n/m in (0, 1].
 * The top singular value of X + theta u v^T (unit u, v) tends to
 *   y = sqrt((1 + theta^2)(c + theta^2)) / theta   for theta > c^{1/4},
 * and to the bulk edge 1 + sqrt c otherwise. A real W (N x M, entry variance v) is normalised as
 * X = W / sqrt(v max(N, M)), c = min(N, M) / max(N, M): a singular value s of W has y = s /
 * sqrt(v max(N, M)), and theta corresponds to a rank-one signal of singular value
 * theta sqrt(v max(N, M)) in W's units. */

/* y(theta) as above (the edge for theta <= c^{1/4}). RMTK_ERR_ARG for theta < 0 or c outside
 * (0, 1]. Thread-safe. */
RMTK_API int rmtk_bbp_top(double theta, double c, double *y);

/* The inverse: theta from an outlier y > 1 + sqrt c,
 *   theta^2 = [ (y^2 - 1 - c) + sqrt((y^2 - 1 - c)^2 - 4c) ] / 2  (the root with theta > c^{1/4}).
 * RMTK_ERR_NUMERIC when y <= 1 + sqrt c (inside the bulk: no estimate); RMTK_ERR_ARG for bad c or
 * a NULL pointer. Thread-safe. */
RMTK_API int rmtk_bbp_theta(double y, double c, double *theta);

/* ---- Fits, outliers and the per-matrix entry point ------------------------------------------ */

enum rmtk_mp_broadening {
    RMTK_MP_BROADEN_DROP = 0,     /* Gaussians at s_w .. s_{n-w-1}, divided by n (paper default) */
    RMTK_MP_BROADEN_REPLICATE = 1 /* pad w copies of each end value; all n Gaussians, / (n+2w) */
};

enum rmtk_mp_estimator {
    RMTK_MP_EST_MEAN = 0,  /* bulk mean = MP mean v max(N, M) (the mean squared entry) */
    RMTK_MP_EST_MEDIAN = 1 /* bulk median = MP median (Gavish-Donoho style matching) */
};

typedef struct rmtk_mp_params {
    double alpha;       /* significance of the Tracy-Widom outlier test; default 0.05 */
    int32_t window;     /* broadening window w of the paper fit; default 15 */
    int32_t broadening; /* enum rmtk_mp_broadening; default RMTK_MP_BROADEN_DROP */
    int32_t n_samples;  /* grid points per level gap of the paper fit; default 10 */
    int32_t estimator;  /* enum rmtk_mp_estimator of the robust fit; default RMTK_MP_EST_MEAN */
    double fit_range;   /* paper fit keeps x <= argmax pdf or pdf > fit_range max; default 0.7 */
} rmtk_mp_params;

RMTK_API rmtk_mp_params rmtk_mp_params_default(void);

/* The paper's three-parameter singular-value fit (methods.md 1.4 B), on singular values s[0..k)
 * (any order) of an N x M matrix: f(x) = (a/x) sqrt((nu_max^2 - x^2)(x^2 - nu_min^2)) (0 outside)
 * fitted by least squares to the Gaussian-broadened density (window w, methods.md 1.4 A) on the
 * pdf_from_spectrum grid (n_samples points per gap; 500 gaps of right padding), keeping x > 0 and
 * x <= argmax or pdf > fit_range * max; nu_min = the smallest singular value; (a, nu_max) >= 0.
 * rmtk solves the bounded least squares exactly by profiling: for fixed nu_max, a is a
 * closed-form linear least-squares value (clipped at 0), and nu_max minimises the profiled
 * residual by a 400-point scan over (nu_min, nu_min + 4 (x_fit_max - nu_min)] refined by golden
 * section (the paper used scipy's local TRF from p0 = (0.5, 2.0)). */
typedef struct rmtk_mp_paper_fit {
    double a;            /* fitted amplitude (MP theory: 1/(pi v m) times the density's mass) */
    double nu_min;       /* fixed: smallest singular value */
    double nu_max;       /* fitted upper edge */
    double sigma2;       /* nu_max^2 / (sqrt N + sqrt M)^2: entry variance from the edge */
    double lambda_minus; /* nu_min^2 */
    double lambda_plus;  /* nu_max^2 */
    double rss;          /* residual sum of squares over the fitted points */
    int64_t n_points;    /* grid points in the fit */
    int64_t n_above;     /* singular values > nu_max (the port's "bulk threshold" count) */
} rmtk_mp_paper_fit;

/* Returns RMTK_ERR_ARG (NULL, rows/cols < 1, k != min(rows, cols), negative or non-finite value,
 * window < 1 or n_samples < 1), RMTK_ERR_NUMERIC (k <= 2 window + 2 for 'drop', k < 3, a profile
 * without an interior minimum), RMTK_ERR_NOMEM. Thread-safe. */
RMTK_API int rmtk_mp_fit_paper(const double *s, size_t k, int64_t rows, int64_t cols,
                               const rmtk_mp_params *params, rmtk_mp_paper_fit *out);

/* The robust fit of the entry variance v and the edges, excluding outliers one by one from the
 * top (a step-down Tracy-Widom test). With l_i = s_i^2 ascending and j values excluded so far:
 *  1. v_j = mean(bulk) / max(N, M) (RMTK_MP_EST_MEAN: the MP mean of l is v max(N, M), so this
 *     is the mean squared entry of the bulk) or median(bulk) / Q(1/2) (RMTK_MP_EST_MEDIAN,
 *     Gavish-Donoho style; Q the MP median for v = 1), bulk = the k - j smallest values;
 *  2. if the TW_1 p-value (rmtk_mp_outlier_pvalue) of the largest bulk value under v_j is below
 *     alpha, exclude it (j += 1) and go to 1; otherwise stop.
 * The value under test is part of the bulk that sets the scale (the null hypothesis of that
 * step), so exclusions do not feed on themselves; at most k/2 values are excluded (capped = 1
 * then). The excluded values are the spikes. lambda_pm = v (sqrt N pm sqrt M)^2. */
typedef struct rmtk_mp_robust_fit {
    double sigma2;       /* fitted entry variance v = v_j at the stop */
    double lambda_minus; /* v (sqrt N - sqrt M)^2 */
    double lambda_plus;  /* v (sqrt N + sqrt M)^2 */
    int64_t n_excluded;  /* j: values excluded as outliers (the spikes) */
    int32_t steps;       /* tests made (j + 1, or j when capped) */
    int32_t capped;      /* 1 when the k/2 limit stopped the exclusions */
} rmtk_mp_robust_fit;

/* Errors as rmtk_mp_fit_paper; RMTK_ERR_NUMERIC when all values are 0. Thread-safe. */
RMTK_API int rmtk_mp_fit_robust(const double *s, size_t k, int64_t rows, int64_t cols,
                                const rmtk_mp_params *params, rmtk_mp_robust_fit *out);

/* Tracy-Widom p-value of an eigenvalue l = s^2 of an N x M matrix with entry variance v:
 * t = (l / v - mu) / sigma with Johnstone's mu, sigma for n = max(N, M), p = min(N, M)
 * (rmtk_tw_johnstone), p = 1 - F_1(t). Exact in the limit for the largest eigenvalue; for the
 * second, third, ... largest it is conservative (they are stochastically smaller). Outputs may be
 * NULL (not both). Thread-safe. */
RMTK_API int rmtk_mp_outlier_pvalue(double lambda, double sigma2, int64_t rows, int64_t cols,
                                    double *tw_stat, double *pvalue);

/* Everything of module mp for one matrix. Fields and the summary.csv columns they feed: */
typedef struct rmtk_mp_result {
    double sigma2;       /* summary.csv mp_sigma2: robust-fit entry variance v */
    double lambda_minus; /* summary.csv mp_lambda_minus: v (sqrt N - sqrt M)^2 (lambda = s^2) */
    double lambda_plus;  /* summary.csv mp_lambda_plus: v (sqrt N + sqrt M)^2 */
    int64_t n_spikes;    /* summary.csv n_spikes: the robust fit's excluded values (step-down
                            TW_1 test at level alpha) */
    double softrank;     /* summary.csv mp_softrank: lambda_plus / lambda_max (lambda_max = s_1^2) */
    double lambda_max;   /* s_1^2 */
    double tw_mu;        /* v mu (Johnstone centring, lambda units) */
    double tw_sigma;     /* v sigma (Johnstone scale, lambda units) */
    double tw_stat_top;  /* (lambda_max - tw_mu) / tw_sigma */
    double pvalue_top;   /* 1 - F_1(tw_stat_top) */
    double bbp_c;        /* min(N, M) / max(N, M) */
    rmtk_mp_robust_fit robust;
    rmtk_mp_paper_fit paper; /* NaN fields when paper_status != RMTK_OK */
    int32_t paper_status;    /* status of rmtk_mp_fit_paper (e.g. RMTK_ERR_NUMERIC: too few) */
    int32_t pad;
} rmtk_mp_result;

/* Per-matrix entry point: s[0..k) the singular values (largest first, as the spectrum engine
 * reports them; any order accepted), k = min(rows, cols). Runs the robust fit, the TW outlier
 * test and the paper fit (its failure is reported in paper_status, not as the return value).
 * Spikes (largest first): for i < min(n_spikes, cap), spike_lambda[i] = s_i^2, spike_theta[i] =
 * the BBP estimate of theta from y = s_i / sqrt(v max(N, M)) (0 when y <= 1 + sqrt c, i.e. not
 * resolvable above the BBP transition), spike_pvalue[i] its TW_1 p-value. Arrays of length k
 * always suffice; cap = 0 (arrays may be NULL) just counts. Returns the robust fit's errors.
 * Thread-safe. */
RMTK_API int rmtk_mp_analyze(const double *s, size_t k, int64_t rows, int64_t cols,
                             const rmtk_mp_params *params, rmtk_mp_result *res,
                             double *spike_lambda, double *spike_theta, double *spike_pvalue,
                             size_t cap);

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
