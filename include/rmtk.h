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

/* The exact finite-N Porter-Thomas law, the Porter-Thomas Kolmogorov-Smirnov tests of the
 * singular vectors (REF: methods.md 1.4 E, F and 4.5) and the inverse participation ratio.
 * Vectors are given vector-major: vector j of dimension dim starts at x + j * dim (LAPACK's
 * column-major U is already in this layout; the rows of V^T must be copied or V passed). Unit
 * norm is expected; every test normalises its own copy, and a vector's sign does not matter. */

/* Regularised incomplete beta function I_x(a, b) = B(x; a, b) / B(a, b) for a, b > 0 and
 * 0 <= x <= 1, by the continued fraction of Numerical Recipes (modified Lentz) with the symmetry
 * switch I_x(a, b) = 1 - I_{1-x}(b, a) when x > (a + 1)/(a + b + 2); ln B(a, b) from lgamma, with
 * Stirling's series for the difference ln Gamma(b) - ln Gamma(a + b) when b is large (so that
 * a = 1/2, b = 10^5 stays accurate). Accuracy about 1e-13 absolute (tested against mpmath).
 * Returns RMTK_ERR_ARG for a or b <= 0, x outside [0, 1] or NaN, out NULL; RMTK_ERR_NUMERIC if
 * the continued fraction did not converge. Thread-safe. */
RMTK_API int rmtk_betainc(double a, double b, double x, double *out);

/* CDF of one component u of a uniformly distributed real unit vector in R^n (n >= 2):
 * u^2 ~ Beta(1/2, (n-1)/2), so F(u) = 1/2 + sign(u) I_{u^2}(1/2, (n-1)/2) / 2 (methods.md 4.5).
 * Returns NaN for n < 2 or NaN u; 0 for u <= -1 and 1 for u >= 1. Thread-safe. */
RMTK_API double rmtk_pt_cdf(double u, size_t n);

/* Inverse participation ratio IPR(v) = sum_i v_i^4 / (sum_i v_i^2)^2 (= sum v_i^4 for a unit
 * vector). Reference for a uniform unit vector in R^n: E IPR = 3/(n + 2) (methods.md 1.4 F).
 * RMTK_ERR_ARG for NULL or n == 0, RMTK_ERR_NUMERIC for a zero vector. Thread-safe. */
RMTK_API int rmtk_ipr(const double *v, size_t n, double *ipr);

/* The Porter-Thomas test variants. All are Kolmogorov-Smirnov tests of the n components of a
 * vector against the component law of a uniform unit vector; they differ in the reference CDF,
 * the statistic and how the p-value is calibrated. */
typedef enum rmtk_pt_method {
    /* Default. Exact CDF rmtk_pt_cdf, the textbook statistic
     * D = max_i max(F(x_(i)) - i/n, (i+1)/n - F(x_(i))), and its null distribution at the same n
     * from nsamples seeded random unit vectors: p = (1 + #{D_null >= D}) / (nsamples + 1).
     * Exact size: P(p <= alpha) <= alpha for any n (components on a sphere are not i.i.d., so
     * Kolmogorov's law does not hold exactly; this calibration does not need it). */
    RMTK_PT_EXACT_MC = 0,
    /* Exact CDF and the same D, with the p-value of Kolmogorov's law for n i.i.d. values
     * (rmtk_ks_pvalue: exact MTW for n <= 1000, asymptotic beyond). An approximation: the sphere
     * constraint sum u_i^2 = 1 makes D smaller than for i.i.d. values, so this test is
     * conservative (measured rejection rate at alpha = 0.05 is 0.040 on random vectors,
     * see docs/methods/vectors.md). No null is simulated. */
    RMTK_PT_EXACT_KOLMOGOROV = 1,
    /* The released code of Thamm et al. (methods.md 1.4 E): reference CDF Cbar pooled from
     * nsamples random unit vectors (linear interpolation of (sorted entries, j/(K-1))),
     * D = max_i |Cbar(x_(i)) - i/(n-1)|, null D from nsamples fresh unit vectors,
     * p = 1 - C(D) with C the linear interpolation of (sorted null D, j/(nsamples-1)), clamped.
     * With pooling_window w > 0 the pooled variant: pools of 2w consecutive vectors are tested
     * jointly (entries concatenated, plotting position i/(2wn-1)), null from pools of 2w random
     * unit vectors. */
    RMTK_PT_PAPER = 2,
    /* Staats' older code (methods.md 1.4 E, `ptd`): Gaussian reference CDF of variance 1/n,
     * D = max_i |F(x_(i)) - (i+1)/n|, null from nsamples random unit vectors,
     * p = 1 - ECDF_null(D) = #{D_null > D} / nsamples. That code also moving-averaged the
     * p-values over +-15 neighbours: set ma_window = 15 for the full older variant. */
    RMTK_PT_STAATS = 3
} rmtk_pt_method;

typedef struct rmtk_pt_params {
    int32_t method;          /* rmtk_pt_method; default RMTK_PT_EXACT_MC */
    uint32_t pad;            /* zero */
    uint64_t nsamples;       /* Monte-Carlo null size; 0 = the method's default: 2000
                                (EXACT_MC), 5000 (PAPER), 10000 (STAATS); unused by
                                EXACT_KOLMOGOROV. Minimum 20. */
    uint64_t pooling_window; /* RMTK_PT_PAPER only: 0 = single vectors (default), w > 0 =
                                pools of 2w consecutive vectors */
    uint64_t ma_window;      /* moving average of the p-values, any method: p_i is replaced by
                                the mean of p over vectors [i - w, i + w) clipped to [0, k)
                                (Staats' convention); 0 = off (default) */
    uint64_t seed;           /* seed of the simulated nulls (default 0); stream per dimension */
    double alpha;            /* significance for the rejection fractions; default 0.05 */
} rmtk_pt_params;

RMTK_API rmtk_pt_params rmtk_pt_params_default(void);

/* A Porter-Thomas plan: the null distribution (and for RMTK_PT_PAPER the reference CDF) of one
 * dimension n, simulated once at alloc and shared by every vector of that dimension. Cost at
 * alloc: nsamples * n normals, sorts and CDF evaluations (EXACT_MC at n = 4096: about 1.7 s;
 * testing 2 x 4096 vectors then takes about 5 s, against 65 s for dgesdd with vectors);
 * RMTK_PT_PAPER also holds n * nsamples doubles (160 MB at n = 4096, nsamples = 5000) and, when
 * pooled, simulates nsamples * 2w vectors. A plan holds scratch space: use it from one thread
 * at a time (or one plan per thread). */
typedef struct rmtk_pt_plan rmtk_pt_plan;

/* Build the plan for dimension n >= 2 (n >= 3 for RMTK_PT_PAPER) and params (NULL = defaults).
 * RMTK_ERR_ARG on bad arguments, RMTK_ERR_NOMEM. *out is NULL on failure. */
RMTK_API int rmtk_pt_plan_alloc(size_t n, const rmtk_pt_params *params, rmtk_pt_plan **out);
RMTK_API void rmtk_pt_plan_free(rmtk_pt_plan *plan);

/* Quantile q in [0, 1] of the plan's simulated null distribution of D (linear interpolation of
 * the sorted null sample). RMTK_ERR_ARG for RMTK_PT_EXACT_KOLMOGOROV (no simulated null). */
RMTK_API int rmtk_pt_plan_null_quantile(const rmtk_pt_plan *plan, double q, double *d);

/* Test the k vectors x[j * n .. j * n + n) of the plan's dimension: statistic d[j] and p-value
 * p[j] per vector (either output may be NULL). Pooled plans give every vector of a pool the
 * pool's D and p; pools are disjoint blocks of 2w vectors from the first, and when 2w does not
 * divide k the last pool is the last 2w vectors (it overlaps the one before; those vectors get
 * the smaller of the two p-values). A pooled plan needs k >= 2w. With ma_window the p-values
 * are then moving-averaged (d is not). RMTK_ERR_ARG (NULL plan or x, k == 0, k < 2w),
 * RMTK_ERR_NUMERIC (a zero or non-finite vector). Not thread-safe on one plan. */
RMTK_API int rmtk_pt_test(rmtk_pt_plan *plan, const double *x, size_t k, double *d, double *p);

/* Per-matrix analysis of the singular vectors, with a cache of plans keyed by dimension so that
 * every matrix of a model with the same dimension shares one null. */
typedef struct rmtk_vectors_ws rmtk_vectors_ws;

/* params NULL = defaults. The parameters are fixed for the workspace's lifetime. */
RMTK_API int rmtk_vectors_ws_alloc(const rmtk_pt_params *params, rmtk_vectors_ws **out);
RMTK_API void rmtk_vectors_ws_free(rmtk_vectors_ws *ws);

/* Result of rmtk_vectors_analyze. Scalars are filled always; the four arrays are caller-owned,
 * of length k each, and filled when non-NULL (set them before the call). "Combined" means over
 * the 2k vectors: k left and k right, each vector counted once. summary.csv columns:
 * pt_frac_rejected, pt_top_decile_frac_rejected, ipr_mean. */
typedef struct rmtk_vectors_result {
    double pt_frac_rejected;            /* fraction of the 2k vectors with p <= alpha */
    double pt_top_decile_frac_rejected; /* same within decile 1 (largest singular values) */
    double pt_decile_frac_rejected[10]; /* combined fraction per decile; decile of rank r (0 =
                                           largest singular value) is floor(10 r / k); NaN for
                                           an empty decile (k < 10) */
    double pt_frac_rejected_left;       /* over the k left vectors only */
    double pt_frac_rejected_right;      /* over the k right vectors only */
    double ipr_mean;                    /* mean IPR over the 2k vectors */
    double ipr_ref;                     /* its random-vector reference:
                                           (3/(rows + 2) + 3/(cols + 2)) / 2 */
    double ipr_mean_left, ipr_mean_right; /* means over the left / right vectors */
    double alpha;                       /* the significance used */
    uint64_t k;                         /* number of singular triplets analysed */
    double *p_left;                     /* [k] p-value of left vector j (caller-owned or NULL) */
    double *p_right;                    /* [k] p-value of right vector j */
    double *ipr_left;                   /* [k] IPR of left vector j */
    double *ipr_right;                  /* [k] IPR of right vector j */
} rmtk_vectors_result;

/* Porter-Thomas tests and IPRs of the k singular triplets of a rows x cols matrix:
 * u = left vectors (vector j at u + j * rows), v = right vectors (vector j at v + j * cols),
 * s = singular values (s[j] belongs to vector j; any order, ranks are taken largest first;
 * NULL means already largest first). Builds (and keeps in ws) the plans for rows and cols.
 * RMTK_ERR_ARG (NULL ws/u/v/res, k == 0, rows or cols < 2 (3 for the paper's method), k larger
 * than min(rows, cols), k < 2w for a pooled method), RMTK_ERR_NOMEM, RMTK_ERR_NUMERIC (a zero
 * or non-finite vector). Not thread-safe on one workspace. */
RMTK_API int rmtk_vectors_analyze(rmtk_vectors_ws *ws, const double *u, size_t rows,
                                  const double *v, size_t cols, size_t k, const double *s,
                                  rmtk_vectors_result *res);

/* =========================================================================================== */
/* Randomised baselines (module nullmodel)                                                      */
/* =========================================================================================== */

/* Randomised baselines for one weight matrix (REF: methods.md 1.4 and DESIGN.md; WeightWatcher's
 * "randomize" is the element shuffle). Two kinds of replica of a rows x cols matrix a (row-major
 * doubles): an element shuffle (the same multiset of entries at uniformly permuted positions:
 * it keeps the entry distribution, heavy tails included, and destroys every correlation) and a
 * matched Gaussian (i.i.d. normal entries with a's entry mean and variance). Replica r of a kind
 * is a pure function of (seed, r): it uses its own counter-based RNG stream, so replicas can be
 * generated in any order or in parallel. The spectrum engine computes each replica's spectrum;
 * rmtk_null_compare then measures how far the layer's ESD is from the replicas'. */

typedef struct rmtk_null_params {
    uint64_t replicas; /* replicas R per kind; default 5 */
    uint64_t seed;     /* default 0 */
} rmtk_null_params;

RMTK_API rmtk_null_params rmtk_null_params_default(void);

/* Replica `replica` of the element shuffle: out = the rows * cols entries of a permuted by a
 * Fisher-Yates shuffle whose draws (rmtk_rng_below) come from the stream
 * (seed, 0x4E554C4C00000000 + 2 replica). out may equal a (in place); otherwise they must not
 * overlap. RMTK_ERR_ARG for NULL, rows or cols 0, or rows * cols overflowing. Thread-safe. */
RMTK_API int rmtk_null_shuffle(const double *a, size_t rows, size_t cols, uint64_t seed,
                               uint64_t replica, double *out);

/* Replica `replica` of the matched Gaussian: out_ij = m + s g_ij with m the mean and s^2 the
 * population variance (divisor rows * cols) of a's entries, and g the standard normals of the
 * stream (seed, 0x4E554C4C00000000 + 2 replica + 1) (rmtk_rng_fill_normal). out may equal a.
 * RMTK_ERR_ARG as rmtk_null_shuffle; RMTK_ERR_NUMERIC if a has a non-finite entry.
 * Thread-safe. */
RMTK_API int rmtk_null_gaussian(const double *a, size_t rows, size_t cols, uint64_t seed,
                                uint64_t replica, double *out);

/* Spread of one distance over the replicas of one kind (NaN everywhere when there are none). */
typedef struct rmtk_null_spread {
    double mean, sd, min, max; /* sd: unbiased, 0 for one replica */
} rmtk_null_spread;

/* summary.csv: null_ks = shuffle_ks.mean. */
typedef struct rmtk_null_result {
    rmtk_null_spread shuffle_ks; /* two-sample KS distance layer ESD vs each shuffle's */
    rmtk_null_spread shuffle_w1; /* Wasserstein-1 distance, in the units of the eigenvalues */
    rmtk_null_spread gauss_ks;   /* the same against the matched Gaussians */
    rmtk_null_spread gauss_w1;
    uint64_t n_shuffle, n_gauss; /* replicas compared */
    double null_ks;              /* = shuffle_ks.mean (the summary.csv column) */
} rmtk_null_result;

/* Compare the layer's eigenvalues eig[0..n) (any order; any one convention, e.g. sigma^2 or
 * sigma^2 / cols, used for all arrays) with those of n_shuffle shuffled replicas (replica r at
 * shuf + r * n) and n_gauss matched Gaussians (replica r at gauss + r * n): KS distance
 * (rmtk_ks2_statistic) and Wasserstein-1 distance (rmtk_wasserstein1) between the empirical
 * distributions, per replica and summarised over the replicas of each kind. ks_each and w1_each
 * (optional, caller-owned, n_shuffle + n_gauss entries: the shuffles first) receive the
 * per-replica distances. shuf may be NULL when n_shuffle = 0, gauss when n_gauss = 0.
 * RMTK_ERR_ARG (NULL eig/res, n == 0, no replica at all, NaN eigenvalues), RMTK_ERR_NOMEM.
 * Thread-safe. */
RMTK_API int rmtk_null_compare(const double *eig, size_t n, const double *shuf, size_t n_shuffle,
                               const double *gauss, size_t n_gauss, rmtk_null_result *res,
                               double *ks_each, double *w1_each);

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
