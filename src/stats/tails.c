/*
 * tails.c: heavy-tail statistics of positive 1-D data (singular values, eigenvalues, anything).
 *
 *  - Hill: the classic estimator H_k for every k with its asymptotic band, the windowed local
 *    inverse-slope estimator of Thamm et al.'s code, and a plateau criterion that says whether a
 *    tail index is defined at all (the paper's point: for trained weights it usually is not).
 *  - Clauset-Shalizi-Newman (CSN) continuous power law: the MLE for every candidate xmin with its
 *    KS distance, xmin by minimum KS, in one sort plus an exact branch-and-bound per candidate
 *    (typically O(log^2 n) work each instead of the O(n) of the peers), the semi-parametric
 *    bootstrap p-value (threaded, identical for any thread count) and Vuong likelihood-ratio
 *    tests against four alternatives fitted by maximum likelihood.
 *  - WeightWatcher's default alpha on lambda = sigma^2, reproduced so numbers compare, its
 *    fit variants, and its truncated power law (fit='TPL' / 'E_TPL') with the likelihood-ratio
 *    test against the power law.
 *  - One per-matrix entry point for `rmtk analyze`.
 * REF: methods.md 1.4 G-H, 4.10; Clauset, Shalizi, Newman, SIAM Rev. 51 (2009) 661; Hill, Ann.
 * Stat. 3 (1975) 1163; Vuong, Econometrica 57 (1989) 307. The maths is in docs/methods/tails.md.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#define WW_THRESHOLD 1e-5

const char *rmtk_tail_reason_str(int reason)
{
    switch (reason) {
    case RMTK_TAIL_OK:
        return "ok";
    case RMTK_TAIL_TOO_FEW:
        return "too few values for the fit";
    case RMTK_TAIL_DEGENERATE:
        return "degenerate data (every candidate tail is constant)";
    case RMTK_TAIL_NO_CONVERGE:
        return "the fit did not converge";
    case RMTK_TAIL_NO_PLATEAU:
        return "no plateau: the tail index is not defined";
    }
    return "unknown reason";
}

/* All values finite and > 0. */
static int check_positive(const double *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(x[i] > 0.0) || !isfinite(x[i]))
            return RMTK_ERR_ARG;
    return RMTK_OK;
}

/* A sorted (ascending) copy of x (finite: the callers checked), or NULL on allocation failure. */
static double *sorted_copy(const double *x, size_t n)
{
    double *y;
    return rmtk__sorted_finite_copy(x, n, &y) == RMTK_OK ? y : NULL;
}

/* =========================================================================================== */
/* Hill                                                                                         */
/* =========================================================================================== */

/* H_k for k = 1..n-1 into h[k-1] from ascending data a[0..n): X_(i) = a[n-i].
 *   H_k = (1/k) sum_{i=1}^{k} ln X_(i) - ln X_(k+1).  REF: Hill 1975; methods.md 4.10. */
static void hill_h(const double *a, size_t n, double *h)
{
    long double cum = 0.0L;
    for (size_t k = 1; k < n; k++) {
        cum += logl((long double)a[n - k]);
        h[k - 1] = (double)(cum / (long double)k - logl((long double)a[n - k - 1]));
    }
}

int rmtk_hill_curve(const double *x, size_t n, double *alpha, double *err)
{
    if (!x || !alpha || n < 2 || check_positive(x, n))
        return RMTK_ERR_ARG;
    double *a = sorted_copy(x, n);
    if (!a)
        return RMTK_ERR_NOMEM;
    hill_h(a, n, alpha);
    for (size_t k = 1; k < n; k++) {
        double h = alpha[k - 1];
        double al = h > 0.0 ? 1.0 / h : INFINITY;
        alpha[k - 1] = al;
        if (err)
            err[k - 1] = al / sqrt((double)k);
    }
    rmtk__free(a);
    return RMTK_OK;
}

size_t rmtk_hill_windowed_size(size_t n, size_t navg, size_t njump)
{
    if (navg == 0 || njump == 0 || n <= njump)
        return 0;
    size_t m = n - njump, h = navg / 2;
    if (h == 0)
        return m;
    if (m + 1 <= 2 * h)
        return 0;
    return m - 2 * h + 1;
}

/* The code's movmean: out[i] = mean(v[i .. min(i + 2h, len - 1)]), i = 0 .. outlen-1. */
static void movmean(const double *v, size_t len, size_t h, double *out, size_t outlen)
{
    for (size_t i = 0; i < outlen; i++) {
        size_t hi = i + 2 * h + 1;
        if (hi > len)
            hi = len;
        double s = 0.0;
        for (size_t j = i; j < hi; j++)
            s += v[j];
        out[i] = s / (double)(hi - i);
    }
}

int rmtk_hill_windowed(const double *x, size_t n, size_t navg, size_t njump, int avg_inverse,
                       double *alpha_hat, double *g_inv, size_t cap, size_t *len)
{
    if (!x || !alpha_hat || !g_inv || !len || navg == 0 || njump == 0 || check_positive(x, n))
        return RMTK_ERR_ARG;
    size_t out = rmtk_hill_windowed_size(n, navg, njump);
    if (out < 1)
        return RMTK_ERR_ARG;
    if (cap < out)
        return RMTK_ERR_RANGE;
    size_t m = n - njump, h = navg / 2;
    double *M = sorted_copy(x, n);
    double *zeta = rmtk__calloc(m, sizeof *zeta);
    double *tmp = rmtk__malloc_array(m, sizeof *tmp);
    if (!M || !zeta || !tmp) {
        rmtk__free(M);
        rmtk__free(zeta);
        rmtk__free(tmp);
        return RMTK_ERR_NOMEM;
    }
    /* zeta^(j)_i = -ln(M_{i+j}/M_i) / ln(S_{i+j}/S_i), S_i = 1 - i/n; mean over j = 1..njump. */
    for (size_t j = 1; j <= njump; j++) {
        for (size_t i = 0; i < m; i++) {
            double si = 1.0 - (double)i / (double)n, sj = 1.0 - (double)(i + j) / (double)n;
            zeta[i] += -log(M[i + j] / M[i]) / log(sj / si);
        }
    }
    for (size_t i = 0; i < m; i++)
        zeta[i] /= (double)njump;
    if (avg_inverse) {
        movmean(zeta, m, h, alpha_hat, out);
        for (size_t i = 0; i < out; i++)
            alpha_hat[i] = 1.0 / alpha_hat[i];
    } else {
        for (size_t i = 0; i < m; i++)
            tmp[i] = 1.0 / zeta[i];
        movmean(tmp, m, h, alpha_hat, out);
    }
    movmean(M, m, h, g_inv, out);
    for (size_t i = 0; i < out; i++)
        g_inv[i] = 1.0 / g_inv[i];
    *len = out;
    rmtk__free(M);
    rmtk__free(zeta);
    rmtk__free(tmp);
    return RMTK_OK;
}

rmtk_hill_params rmtk_hill_params_default(void)
{
    rmtk_hill_params p;
    p.k_min = 20;
    p.span_ratio = 4.0;
    p.z = 3.0;
    p.k_max_frac = 0.5;
    return p;
}

/* Plateau criterion (header and docs/methods/tails.md): window [k1, k2 = floor(r k1)] is flat
 * when |H_k - H_k2| <= z H_k2 sqrt(1/k - 1/k2) for all k in it. Under exact Pareto data the
 * j ln(X_(j)/X_(j+1)) are i.i.d. exponential with mean 1/alpha (Renyi), so
 * Var(H_k - H_k2) = (1/k - 1/k2)/alpha^2 exactly and the band is z standard deviations. */
int rmtk_hill_plateau_find(const double *x, size_t n, const rmtk_hill_params *params,
                           rmtk_hill_plateau *out)
{
    rmtk_hill_params p = params ? *params : rmtk_hill_params_default();
    if (!x || !out || check_positive(x, n) || p.k_min < 1 || !(p.span_ratio > 1.0) ||
        !(p.z > 0.0) || !(p.k_max_frac > 0.0 && p.k_max_frac <= 1.0))
        return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->alpha = NAN;
    out->alpha_err = NAN;
    out->reason = RMTK_TAIL_TOO_FEW;
    double kmax_d = floor(p.k_max_frac * (double)n);
    if (kmax_d > (double)(n - 1))
        kmax_d = (double)(n - 1);
    if (n < 3 || floor(p.span_ratio * (double)p.k_min) > kmax_d)
        return RMTK_OK;
    size_t kmax = (size_t)kmax_d;
    double *a = sorted_copy(x, n);
    double *h = rmtk__malloc_array(n - 1, sizeof *h);
    if (!a || !h) {
        rmtk__free(a);
        rmtk__free(h);
        return RMTK_ERR_NOMEM;
    }
    hill_h(a, n, h);
    size_t best_k1 = 0, best_k2 = 0, run_k1 = 0, windows = 0;
    int in_run = 0;
    for (size_t k1 = (size_t)p.k_min;; k1++) {
        double k2d = floor(p.span_ratio * (double)k1);
        if (k2d > (double)kmax)
            break;
        size_t k2 = (size_t)k2d;
        double h2 = h[k2 - 1];
        int flat = h2 > 0.0;
        for (size_t k = k1; flat && k < k2; k++) {
            double band = p.z * h2 * sqrt(1.0 / (double)k - 1.0 / (double)k2);
            if (fabs(h[k - 1] - h2) > band)
                flat = 0;
        }
        if (flat) {
            windows++;
            if (!in_run)
                run_k1 = k1;
            in_run = 1;
            /* The current run ends at least here; the run with the largest k2 wins. */
            best_k1 = run_k1;
            best_k2 = k2;
        } else {
            in_run = 0;
        }
    }
    out->windows = windows;
    if (best_k2 > 0) {
        out->defined = 1;
        out->reason = RMTK_TAIL_OK;
        out->k1 = best_k1;
        out->k2 = best_k2;
        out->alpha = 1.0 / h[best_k2 - 1];
        out->alpha_err = out->alpha / sqrt((double)best_k2);
    } else {
        out->reason = RMTK_TAIL_NO_PLATEAU;
    }
    rmtk__free(a);
    rmtk__free(h);
    return RMTK_OK;
}

/* =========================================================================================== */
/* The xmin scan shared by the CSN and WeightWatcher fits                                      */
/* =========================================================================================== */

typedef struct hull_tree hull_tree;

/* Data prepared once: ascending x[0..N), u = ln x, suffix sums suf[s] = sum_{j >= s} u_j
 * accumulated from the top down in long double (suf[N] = 0). */
typedef struct {
    const double *x;
    double *u;
    long double *suf;
    size_t n;
    const hull_tree *tree; /* NULL: endpoint bounds only */
} scan_data;

/* One candidate's fitted CDF, in t = ln x - ln xmin:
 *   untruncated: F = 1 - exp(-b t), b = alpha - 1 > 0;
 *   truncated to [xmin, xmax], L = ln(xmax/xmin): F = expm1(-b t) / expm1(-b L) (b != 0), t/L. */
typedef struct {
    const double *u;
    double us, b, big_l, den;
    size_t s, m;
    int trunc;
    int two_sided; /* CSN: max(F - j/m, (j+1)/m - F); WW: |F - j/m| */
} ks_query;

static inline double ks_cdf(const ks_query *q, size_t j)
{
    double t = q->u[j] - q->us;
    if (!q->trunc)
        return 1.0 - exp(-q->b * t);
    if (q->b == 0.0)
        return t / q->big_l;
    return expm1(-q->b * t) / q->den;
}

static inline double ks_lo(const ks_query *q, size_t j)
{
    return (double)(j - q->s) / (double)q->m;
}

static inline double ks_hi(const ks_query *q, size_t j)
{
    return (double)(j - q->s + (size_t)q->two_sided) / (double)q->m;
}

static inline double ks_dev(const ks_query *q, size_t j, double f)
{
    double a = f - ks_lo(q, j), b = ks_hi(q, j) - f;
    return a > b ? a : b;
}

/* ---- hull tree: convex hulls of the points P_j = (u_j, j) over aligned index blocks -----------
 * Level k (HT_K0 <= k <= kmax) cuts [0, n) into blocks [i 2^k, (i+1) 2^k) and stores, for each
 * block, the vertex indices of the lower and upper convex hulls of its points (Andrew's
 * monotone chain; the points are already sorted by u, then j). Built once per data set in
 * O(n log n); each block's hull lives at offset i 2^k of its level's arrays. */
#define HT_K0 4
#define HT_LEVELS 40
struct hull_tree {
    size_t n;
    int kmax;
    uint32_t *lo[HT_LEVELS], *up[HT_LEVELS];   /* hull vertices */
    uint32_t *nlo[HT_LEVELS], *nup[HT_LEVELS]; /* hull sizes per block */
};

static void hull_tree_free(hull_tree *t)
{
    if (!t)
        return;
    for (int k = 0; k < HT_LEVELS; k++) {
        rmtk__free(t->lo[k]);
        rmtk__free(t->up[k]);
        rmtk__free(t->nlo[k]);
        rmtk__free(t->nup[k]);
    }
    rmtk__free(t);
}

/* Allocate a tree for up to n points (n < 2^32). NULL on failure. */
static hull_tree *hull_tree_alloc(size_t n)
{
    hull_tree *t = rmtk__calloc(1, sizeof *t);
    if (!t || n >= UINT32_MAX) {
        rmtk__free(t);
        return NULL;
    }
    t->n = n;
    int kmax = HT_K0 - 1;
    while (kmax + 1 < HT_LEVELS - 1 && ((size_t)1 << (kmax + 1)) < 2 * n)
        kmax++;
    t->kmax = kmax;
    for (int k = HT_K0; k <= kmax; k++) {
        size_t nb = (n >> k) + 1;
        t->lo[k] = rmtk__malloc_array(n + 1, sizeof(uint32_t));
        t->up[k] = rmtk__malloc_array(n + 1, sizeof(uint32_t));
        t->nlo[k] = rmtk__malloc_array(nb, sizeof(uint32_t));
        t->nup[k] = rmtk__malloc_array(nb, sizeof(uint32_t));
        if (!t->lo[k] || !t->up[k] || !t->nlo[k] || !t->nup[k]) {
            hull_tree_free(t);
            return NULL;
        }
    }
    return t;
}

/* cross((u_o, o), (u_a, a), (u_b, b)) in coordinates relative to o. */
static inline double ht_cross(const double *u, size_t o, size_t a, size_t b)
{
    return (u[a] - u[o]) * (double)(b - o) - (double)(a - o) * (u[b] - u[o]);
}

static void hull_tree_build(hull_tree *t, const double *u, size_t n)
{
    t->n = n;
    for (int k = HT_K0; k <= t->kmax; k++) {
        size_t bs = (size_t)1 << k;
        for (size_t i = 0; i * bs < n; i++) {
            size_t l = i * bs, r = RMTK_MIN(n, l + bs);
            uint32_t *lo = t->lo[k] + l, *up = t->up[k] + l;
            size_t hl = 0, hu = 0;
            for (size_t j = l; j < r; j++) {
                while (hl >= 2 && ht_cross(u, lo[hl - 2], lo[hl - 1], j) <= 0.0)
                    hl--;
                lo[hl++] = (uint32_t)j;
                while (hu >= 2 && ht_cross(u, up[hu - 2], up[hu - 1], j) >= 0.0)
                    hu--;
                up[hu++] = (uint32_t)j;
            }
            t->nlo[k][i] = (uint32_t)hl;
            t->nup[k][i] = (uint32_t)hu;
        }
    }
}

/* F'(u) of the query's CDF at index j (see ks_cdf). */
static inline double ks_dcdf(const ks_query *q, size_t j)
{
    double t = q->u[j] - q->us;
    if (!q->trunc)
        return q->b * exp(-q->b * t);
    if (q->b == 0.0)
        return 1.0 / q->big_l;
    return -q->b * exp(-q->b * t) / q->den;
}

/* Concave F (b > 0, or untruncated) or convex (truncated with b < 0); linear when b == 0. */
static inline int ks_concave(const ks_query *q)
{
    return !q->trunc || q->b > 0.0;
}

/* max over the block's lower hull of sl (u_v - u_l) - (v - l)/m (unimodal along the hull:
 * binary search on the sign of the edge increments). */
static double ht_query_lo(const uint32_t *h, size_t nh, const double *u, size_t l, double sl,
                          double m)
{
    size_t a = 0, b = nh - 1;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        size_t v0 = h[mid], v1 = h[mid + 1];
        double inc = sl * (u[v1] - u[v0]) - (double)(v1 - v0) / m;
        if (inc > 0.0)
            a = mid + 1;
        else
            b = mid;
    }
    size_t v = h[a];
    return sl * (u[v] - u[l]) - (double)(v - l) / m;
}

/* max over the block's upper hull of (v - l)/m - sl (u_v - u_l). */
static double ht_query_up(const uint32_t *h, size_t nh, const double *u, size_t l, double sl,
                          double m)
{
    size_t a = 0, b = nh - 1;
    while (a < b) {
        size_t mid = a + (b - a) / 2;
        size_t v0 = h[mid], v1 = h[mid + 1];
        double inc = (double)(v1 - v0) / m - sl * (u[v1] - u[v0]);
        if (inc > 0.0)
            a = mid + 1;
        else
            b = mid;
    }
    size_t v = h[a];
    return (double)(v - l) / m - sl * (u[v] - u[l]);
}

/* Safety margin of the hull bounds: they are computed in floating point from quantities of
 * order one (CDF values, ECDF steps) and differ from the exactly evaluated deviations by a few
 * ulps; 1e-9 covers that by orders of magnitude and prunes as well as an exact bound would. */
#define HT_MARGIN 1e-9

/* Exact max_{j in [s, n)} ks_dev(j) by branch and bound (docs/methods/tails.md, "KS scan").
 * Two upper bounds for an index interval [l, r]:
 *  (1) endpoints: F(x_j), lo(j), hi(j) are nondecreasing in j, in floating point too (exp,
 *      expm1, subtraction and division by positive constants are monotone), so
 *      dev(j) <= max(F(x_r) - lo(l), hi(r) - F(x_l)) holds for the computed values;
 *  (2) hulls (aligned blocks inside [s, n) only): F is concave in u (convex for a truncated fit
 *      with alpha < 1), so F lies under its tangent at u_l and over its chord (or the reverse),
 *      i.e. F(u) <= F_l + g (u - u_l) and F(u) >= F_l + c (u - u_l) on the block; then
 *        F - lo <= F_l - (l-s)/m + max_j [g (u_j - u_l) - (j - l)/m]        (lower hull)
 *        hi - F <= (l-s+c0)/m - F_l + max_j [(j - l)/m - c (u_j - u_l)]      (upper hull)
 *      each maximum a linear function over the block's points, found on its convex hull by
 *      binary search. The slack is the curvature term, ~ (block size / m)^2 / (1 - F), so
 *      only blocks whose true maximum is within that of the best value are opened.
 * An interval is dropped when its bound (plus HT_MARGIN for (2)) does not exceed the best value
 * found; hence the result is bit-for-bit the maximum of the directly evaluated deviations.
 * `hint` (or SIZE_MAX) seeds the best value with the previous candidate's argmax; *arg gets
 * this candidate's argmax. Without a tree only (1) is used. */
#define KS_LEAF 8
static double ks_max(const ks_query *q, const hull_tree *t, size_t n, size_t hint, size_t *arg)
{
    size_t s = q->s;
    double best = -INFINITY, m = (double)q->m;
    size_t barg = s;
    if (hint != SIZE_MAX && hint >= s && hint < n) {
        best = ks_dev(q, hint, ks_cdf(q, hint));
        barg = hint;
    }
    int conc = ks_concave(q);
    struct node {
        size_t l, r; /* clipped to [s, n) */
        int k;       /* level of the aligned block [l0, l0 + 2^k) it comes from, -1 if none */
        size_t blk;  /* block index at level k */
    } stack[256];
    int sp = 0;
    int ktop = t ? t->kmax : -1;
    if (t) {
        stack[sp++] = (struct node){s, n - 1, ktop, 0};
    } else {
        stack[sp++] = (struct node){s, n - 1, -1, 0};
    }
    while (sp > 0) {
        struct node nd = stack[--sp];
        double fl = ks_cdf(q, nd.l), fr = ks_cdf(q, nd.r);
        double ub1 = fr - ks_lo(q, nd.l), ub2 = ks_hi(q, nd.r) - fl;
        double ub = ub1 > ub2 ? ub1 : ub2;
        if (!(ub > best))
            continue;
        size_t bs = nd.k >= 0 ? (size_t)1 << nd.k : 0;
        int full = nd.k >= HT_K0 && nd.l == nd.blk * bs && nd.r == RMTK_MIN(n, nd.l + bs) - 1;
        double du = q->u[nd.r] - q->u[nd.l];
        if (full && du > 0.0) {
            double chord = (fr - fl) / du, tang = ks_dcdf(q, nd.l);
            double g_up = conc ? tang : chord, g_lo = conc ? chord : tang;
            const uint32_t *hlo = t->lo[nd.k] + nd.l, *hup = t->up[nd.k] + nd.l;
            double a = fl - ks_lo(q, nd.l) +
                       ht_query_lo(hlo, t->nlo[nd.k][nd.blk], q->u, nd.l, g_up, m);
            double b = ks_hi(q, nd.l) - fl +
                       ht_query_up(hup, t->nup[nd.k][nd.blk], q->u, nd.l, g_lo, m);
            double hb = (a > b ? a : b) + HT_MARGIN;
            if (!(hb > best))
                continue;
        }
        if (nd.r - nd.l < KS_LEAF) {
            for (size_t j = nd.l; j <= nd.r; j++) {
                double f = j == nd.l ? fl : (j == nd.r ? fr : ks_cdf(q, j));
                double d = ks_dev(q, j, f);
                if (d > best) {
                    best = d;
                    barg = j;
                }
            }
            continue;
        }
        struct node c1, c2;
        if (nd.k > 0) {
            /* split the aligned block into its two halves, clipped to [l, r] */
            size_t half = (size_t)1 << (nd.k - 1), b0 = nd.blk * bs, midb = b0 + half;
            if (midb <= nd.l) { /* only the right half overlaps */
                stack[sp++] = (struct node){nd.l, nd.r, nd.k - 1, 2 * nd.blk + 1};
                continue;
            }
            if (midb > nd.r) { /* only the left half */
                stack[sp++] = (struct node){nd.l, nd.r, nd.k - 1, 2 * nd.blk};
                continue;
            }
            c1 = (struct node){nd.l, midb - 1, nd.k - 1, 2 * nd.blk};
            c2 = (struct node){midb, nd.r, nd.k - 1, 2 * nd.blk + 1};
        } else {
            size_t mid = nd.l + (nd.r - nd.l) / 2;
            c1 = (struct node){nd.l, mid, -1, 0};
            c2 = (struct node){mid + 1, nd.r, -1, 0};
        }
        /* Left half first (pushed last): the previous candidate's argmax (the hint) usually
         * already gives a good best value, so the order matters little. */
        stack[sp++] = c2;
        stack[sp++] = c1;
    }
    *arg = barg;
    return best;
}

/* Truncated power law on [xmin, xmax]: the MLE of b = alpha - 1 solves
 *   1/b - L/(e^{bL} - 1) = T,   T = mean ln(x/xmin), L = ln(xmax/xmin),
 * i.e. h(y) = 1/y - 1/expm1(y) = T/L with y = bL; h decreases from 1 (y -> -inf) through 1/2
 * (y = 0) to 0, so for 0 < T/L < 1 the root is unique: bisection in y. Returns 0 on failure. */
static double h_fun(double y)
{
    if (fabs(y) < 1e-4)
        return 0.5 - y / 12.0 + y * y * y / 720.0;
    return 1.0 / y - 1.0 / expm1(y);
}

static int trunc_solve(double tbar, double big_l, double *b)
{
    double q = tbar / big_l;
    if (!(q > 0.0 && q < 1.0) || !(big_l > 0.0))
        return 0;
    double lo = -1.0, hi = 1.0;
    while (h_fun(lo) < q) {
        lo *= 2.0;
        if (lo < -1e6)
            return 0;
    }
    while (h_fun(hi) > q) {
        hi *= 2.0;
        if (hi > 1e6)
            return 0;
    }
    for (int it = 0; it < 200 && hi - lo > 1e-15 * (1.0 + fabs(lo)); it++) {
        double mid = 0.5 * (lo + hi);
        if (h_fun(mid) > q)
            lo = mid;
        else
            hi = mid;
    }
    *b = 0.5 * (lo + hi) / big_l;
    return 1;
}

/* One candidate's fit: alpha (and the KS query) for xmin = x[s]. Returns 0 when degenerate. */
static int candidate_fit(const scan_data *sd, size_t s, double ln_xmax, int two_sided,
                         ks_query *q, double *alpha)
{
    size_t m = sd->n - s;
    double denom = (double)(sd->suf[s] - (long double)m * (long double)sd->u[s]);
    if (!(denom > 0.0))
        return 0;
    q->u = sd->u;
    q->us = sd->u[s];
    q->s = s;
    q->m = m;
    q->two_sided = two_sided;
    if (isinf(ln_xmax)) {
        *alpha = 1.0 + (double)m / denom;
        q->b = *alpha - 1.0;
        q->trunc = 0;
        q->big_l = INFINITY;
        q->den = 0.0;
    } else {
        double big_l = ln_xmax - sd->u[s], b;
        if (!trunc_solve(denom / (double)m, big_l, &b))
            return 0;
        *alpha = 1.0 + b;
        q->b = b;
        q->trunc = 1;
        q->big_l = big_l;
        q->den = expm1(-b * big_l);
    }
    return 1;
}

typedef struct {
    size_t s;       /* index of xmin */
    double alpha, d;
    size_t ncand;
    int found;
} scan_best;

/* Scan every candidate s (tail m >= min_tail, s <= s_max) from the largest xmin down. CSN
 * (every_position 0): the first index of each distinct value, the tail every value >= xmin.
 * WeightWatcher (every_position 1): every position of the sorted data, the tail x[s..n), as
 * its WWFit does (for i, xmin in enumerate(data[:-1]): tail data[i:]), so a tied xmin is a
 * candidate once per copy, each with fewer of the copies in its tail. Curves (optional) are
 * written in ascending xmin order. */
static void scan_run(const scan_data *sd, size_t min_tail, size_t s_max, double ln_xmax,
                     int two_sided, int every_position, scan_best *best, double *cx, double *ca,
                     double *cd, size_t ccap)
{
    size_t n = sd->n;
    memset(best, 0, sizeof *best);
    best->d = INFINITY;
    if (n < min_tail || min_tail < 1)
        return;
    /* Count candidates so that curves can be filled from the end. */
    size_t ncand = 0;
    for (size_t s = 0; s + min_tail <= n && s <= s_max; s++)
        if (every_position || s == 0 || sd->x[s - 1] != sd->x[s])
            ncand++;
    best->ncand = ncand;
    size_t c = ncand, hint = SIZE_MAX;
    for (size_t s1 = n - min_tail + 1; s1-- > 0;) {
        size_t s = s1;
        if (s > s_max || (!every_position && s > 0 && sd->x[s - 1] == sd->x[s]))
            continue;
        c--;
        ks_query q;
        double alpha = NAN, d = NAN;
        if (candidate_fit(sd, s, ln_xmax, two_sided, &q, &alpha)) {
            size_t arg;
            d = ks_max(&q, sd->tree, n, hint, &arg);
            hint = arg;
            /* Ties: <= keeps the smallest xmin, since s decreases. */
            if (d <= best->d) {
                best->d = d;
                best->s = s;
                best->alpha = alpha;
                best->found = 1;
            }
        }
        if (c < ccap) {
            if (cx)
                cx[c] = sd->x[s];
            if (ca)
                ca[c] = alpha;
            if (cd)
                cd[c] = d;
        }
    }
}

/* Fill u and suf for ascending x[0..n). */
static void scan_prepare(scan_data *sd, const double *x, size_t n, double *u, long double *suf,
                         hull_tree *tree)
{
    sd->tree = tree;
    sd->x = x;
    sd->u = u;
    sd->suf = suf;
    sd->n = n;
    for (size_t i = 0; i < n; i++)
        u[i] = log(x[i]);
    suf[n] = 0.0L;
    for (size_t i = n; i-- > 0;)
        suf[i] = suf[i + 1] + (long double)u[i];
    if (tree)
        hull_tree_build(tree, u, n);
}

/* =========================================================================================== */
/* CSN fit and bootstrap                                                                        */
/* =========================================================================================== */

/* Standard error of alpha from the Fisher information per value, I(b), b = alpha - 1:
 * untruncated I = 1/b^2, so se = (alpha - 1)/sqrt(m) (CSN eq. 3.2); truncated to [xmin, xmax],
 * L = ln(xmax/xmin): I = 1/b^2 - L^2 / (4 sinh^2(bL/2)) (-> L^2/12 as b -> 0). */
static double alpha_se(double alpha, uint64_t m, double big_l)
{
    double b = alpha - 1.0;
    if (isinf(big_l))
        return b / sqrt((double)m);
    double y = b * big_l, info;
    if (fabs(y) < 1e-3) {
        info = big_l * big_l * (1.0 / 12.0 - y * y / 240.0);
    } else {
        double sh = sinh(0.5 * y);
        info = 1.0 / (b * b) - big_l * big_l / (4.0 * sh * sh);
    }
    return info > 0.0 ? 1.0 / sqrt((double)m * info) : NAN;
}

rmtk_powerlaw_params rmtk_powerlaw_params_default(void)
{
    rmtk_powerlaw_params p;
    memset(&p, 0, sizeof p);
    p.xmax = 0.0;
    p.min_tail = 2;
    p.bootstrap = 1000;
    p.seed = 0;
    p.threads = 1;
    return p;
}

typedef struct {
    /* inputs shared read-only */
    const double *body; /* ascending data below xmin */
    size_t n_body, n;
    double xmin, b, big_l, ln_xmax;
    int trunc;
    size_t min_tail;
    uint64_t seed, replicas;
    uint32_t threads, tid;
    double *dstar; /* [replicas], NaN for failed refits */
    int status;
} boot_job;

/* One synthetic data set of the CSN semi-parametric bootstrap (methods.md 1.4 H): each of the
 * n draws is, with probability n_body/n, a uniform pick from the data below xmin, otherwise a
 * draw from the fitted law: x = xmin exp(t), t = -ln(U)/b (untruncated) or
 * t = -log1p(U expm1(-bL))/b (truncated; t = U L when b = 0). Replica r uses RNG stream r. */
static void *boot_worker(void *arg)
{
    boot_job *job = arg;
    size_t n = job->n;
    double *x = rmtk__malloc_array(n, sizeof *x);
    double *u = rmtk__malloc_array(n, sizeof *u);
    long double *suf = rmtk__malloc_array(n + 1, sizeof *suf);
    hull_tree *tree = hull_tree_alloc(n);
    if (!x || !u || !suf || !tree) {
        job->status = RMTK_ERR_NOMEM;
        goto done;
    }
    double pbody = (double)job->n_body / (double)n;
    for (uint64_t r = job->tid; r < job->replicas; r += job->threads) {
        rmtk_rng g;
        rmtk_rng_init(&g, job->seed, r);
        for (size_t i = 0; i < n; i++) {
            double v = rmtk_rng_uniform(&g);
            if (job->n_body > 0 && v < pbody) {
                x[i] = job->body[rmtk_rng_below(&g, job->n_body)];
            } else {
                double w = rmtk_rng_uniform(&g), t;
                if (!job->trunc)
                    t = -log(w) / job->b;
                else if (job->b == 0.0)
                    t = w * job->big_l;
                else
                    t = -log1p(w * expm1(-job->b * job->big_l)) / job->b;
                x[i] = job->xmin * exp(t);
            }
        }
        rmtk_sort(x, n);
        scan_data sd;
        scan_prepare(&sd, x, n, u, suf, tree);
        scan_best best;
        scan_run(&sd, job->min_tail, SIZE_MAX, job->ln_xmax, 1, 0, &best, NULL, NULL, NULL, 0);
        job->dstar[r] = best.found ? best.d : NAN;
    }
done:
    rmtk__free(x);
    rmtk__free(u);
    rmtk__free(suf);
    hull_tree_free(tree);
    return NULL;
}

static int bootstrap_run(const rmtk_powerlaw_params *p, const double *body, size_t n_body,
                         size_t n, double xmin, double alpha, double ln_xmax, double d_obs,
                         rmtk_powerlaw_fit *fit)
{
    uint64_t R = p->bootstrap;
    uint32_t T = p->threads ? p->threads : 1;
    if (T > R)
        T = (uint32_t)R;
    double *dstar = rmtk__malloc_array(R, sizeof *dstar);
    boot_job *jobs = rmtk__calloc(T, sizeof *jobs);
    pthread_t *tids = rmtk__calloc(T, sizeof *tids);
    int *started = rmtk__calloc(T, sizeof *started);
    int status = RMTK_OK;
    if (!dstar || !jobs || !tids || !started) {
        status = RMTK_ERR_NOMEM;
        goto done;
    }
    for (uint32_t t = 0; t < T; t++) {
        boot_job *j = &jobs[t];
        j->body = body;
        j->n_body = n_body;
        j->n = n;
        j->xmin = xmin;
        j->b = alpha - 1.0;
        j->trunc = !isinf(ln_xmax);
        j->big_l = j->trunc ? ln_xmax - log(xmin) : INFINITY;
        j->ln_xmax = ln_xmax;
        j->min_tail = (size_t)p->min_tail;
        j->seed = p->seed;
        j->replicas = R;
        j->threads = T;
        j->tid = t;
        j->dstar = dstar;
        j->status = RMTK_OK;
    }
    /* Thread 0's share runs on the caller's thread; if a thread cannot start, the caller runs
     * its share too, so results never depend on how many threads actually ran. */
    for (uint32_t t = 1; t < T; t++)
        started[t] = pthread_create(&tids[t], NULL, boot_worker, &jobs[t]) == 0;
    boot_worker(&jobs[0]);
    for (uint32_t t = 1; t < T; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            boot_worker(&jobs[t]);
    }
    for (uint32_t t = 0; t < T; t++)
        if (jobs[t].status != RMTK_OK)
            status = jobs[t].status;
    if (status == RMTK_OK) {
        uint64_t ok = 0, above = 0;
        for (uint64_t r = 0; r < R; r++) {
            if (isnan(dstar[r]))
                continue;
            ok++;
            if (dstar[r] > d_obs)
                above++;
        }
        fit->replicas_ok = ok;
        fit->p_gof = ok ? (double)above / (double)ok : NAN;
        fit->plausible = ok && fit->p_gof >= 0.1;
    }
done:
    rmtk__free(dstar);
    rmtk__free(jobs);
    rmtk__free(tids);
    rmtk__free(started);
    return status;
}

int rmtk_powerlaw_fit_run(const double *x, size_t n, const rmtk_powerlaw_params *params,
                          rmtk_powerlaw_fit *fit, double *scan_xmin, double *scan_alpha,
                          double *scan_d, size_t scan_cap, size_t *scan_len)
{
    rmtk_powerlaw_params p = params ? *params : rmtk_powerlaw_params_default();
    if (!x || !fit || check_positive(x, n) || p.min_tail < 2 || !(p.xmax >= 0.0) ||
        isinf(p.xmax))
        return RMTK_ERR_ARG;
    memset(fit, 0, sizeof *fit);
    fit->alpha = fit->alpha_err = fit->xmin = fit->ks_d = fit->p_gof = NAN;
    fit->xmax = p.xmax > 0.0 ? p.xmax : INFINITY;
    double *a = sorted_copy(x, n);
    if (!a)
        return RMTK_ERR_NOMEM;
    size_t nn = n;
    if (p.xmax > 0.0)
        while (nn > 0 && a[nn - 1] > p.xmax)
            nn--;
    fit->n = nn;
    double *u = rmtk__malloc_array(nn + 1, sizeof *u);
    long double *suf = rmtk__malloc_array(nn + 1, sizeof *suf);
    hull_tree *tree = hull_tree_alloc(nn);
    if (!u || !suf || !tree) {
        rmtk__free(a);
        rmtk__free(u);
        rmtk__free(suf);
        hull_tree_free(tree);
        return RMTK_ERR_NOMEM;
    }
    int status = RMTK_OK;
    scan_data sd;
    scan_prepare(&sd, a, nn, u, suf, tree);
    double ln_xmax = p.xmax > 0.0 ? log(p.xmax) : INFINITY;
    /* With xmax, a candidate equal to xmax leaves L = 0: exclude it. */
    size_t s_max = SIZE_MAX;
    if (p.xmax > 0.0) {
        s_max = nn;
        while (s_max > 0 && a[s_max - 1] >= p.xmax)
            s_max--;
        s_max = s_max > 0 ? s_max - 1 : 0;
        if (nn == 0 || a[0] >= p.xmax)
            nn = 0;
    }
    scan_best best;
    size_t ccap = scan_cap;
    if (nn < p.min_tail) {
        memset(&best, 0, sizeof best);
    } else {
        /* Count first to check the caller's capacity. */
        scan_run(&sd, (size_t)p.min_tail, s_max, ln_xmax, 1, 0, &best, NULL, NULL, NULL, 0);
        if (scan_cap > 0 && scan_cap < best.ncand) {
            status = RMTK_ERR_RANGE;
            goto done;
        }
        if (scan_cap > 0 && (scan_xmin || scan_alpha || scan_d))
            scan_run(&sd, (size_t)p.min_tail, s_max, ln_xmax, 1, 0, &best, scan_xmin, scan_alpha,
                     scan_d, ccap);
    }
    if (scan_len)
        *scan_len = best.ncand;
    fit->n_candidates = best.ncand;
    if (!best.found) {
        fit->reason = nn < p.min_tail || best.ncand == 0 ? RMTK_TAIL_TOO_FEW
                                                         : RMTK_TAIL_DEGENERATE;
        status = RMTK_ERR_NUMERIC;
        goto done;
    }
    fit->reason = RMTK_TAIL_OK;
    fit->alpha = best.alpha;
    fit->xmin = a[best.s];
    fit->ks_d = best.d;
    fit->n_tail = nn - best.s;
    fit->alpha_err = alpha_se(best.alpha, fit->n_tail, ln_xmax - log(fit->xmin));
    if (p.bootstrap > 0)
        status = bootstrap_run(&p, a, best.s, nn, fit->xmin, fit->alpha, ln_xmax, best.d, fit);
done:
    rmtk__free(a);
    rmtk__free(u);
    rmtk__free(suf);
    hull_tree_free(tree);
    return status;
}

/* =========================================================================================== */
/* Likelihood-ratio tests                                                                       */
/* =========================================================================================== */

/* The tail in units of xmin: y_i = x_i / xmin in [1, Y], Y = xmax/xmin (inf when none).
 * Every log-density below is ln p(y) (the Jacobian ln xmin cancels in the ratios). */
typedef struct {
    const double *ly; /* ln y_i */
    const double *y;
    size_t m;
    double ln_ymax; /* +inf when untruncated */
    int alt;
} lr_data;

/* ln of the upper normal tail Q(z) = P(N(0,1) > z), accurate far in the tail. */
static double log_q(double z)
{
    if (z < 30.0)
        return log(0.5 * erfc(z / sqrt(2.0)));
    double z2 = z * z;
    return -0.5 * z2 - log(z * sqrt(2.0 * RMTK_PI)) + log1p(-1.0 / z2 + 3.0 / (z2 * z2));
}

/* I(a, c) = int_1^Y y^-a exp(-c (y - 1)) dy = int_0^W exp((1 - a) w - c expm1(w)) dw,
 * composite 8-point Gauss-Legendre on panels of width 1/4 in w, stopped once the integrand
 * decreases and a panel adds < 1e-17 of the sum (or W is reached, or 8000 panels). */
static double tpl_norm(double a, double c, double big_w, const double *gx, const double *gw)
{
    double sum = 0.0, h = 0.25;
    for (int k = 0; k < 8000; k++) {
        double w0 = k * h, w1 = w0 + h;
        if (w0 >= big_w)
            break;
        if (w1 > big_w)
            w1 = big_w;
        double part = 0.0;
        for (int i = 0; i < 8; i++) {
            double w = w0 + (w1 - w0) * gx[i];
            part += (w1 - w0) * gw[i] * exp((1.0 - a) * w - c * expm1(w));
        }
        sum += part;
        if ((1.0 - a) - c * exp(w0) < 0.0 && part < 1e-17 * sum)
            break;
    }
    return sum;
}

/* ln p(y) of the alternative with unconstrained parameters th (see each case). Returns NAN when
 * the normalisation fails. */
typedef struct {
    double gx[8], gw[8];
} gl8;

static double alt_norm_log(const lr_data *d, const double *th, const gl8 *g)
{
    double ymax = exp(d->ln_ymax);
    switch (d->alt) {
    case RMTK_TAIL_ALT_EXPONENTIAL: { /* c = e^th0: p = c e^{-c(y-1)} / (1 - e^{-c(Y-1)}) */
        double c = exp(th[0]);
        return isinf(d->ln_ymax) ? 0.0 : log(-expm1(-c * (ymax - 1.0)));
    }
    case RMTK_TAIL_ALT_LOGNORMAL: { /* mu = th0, s = e^th1, on ln y, truncated to [0, ln Y] */
        double mu = th[0], s = exp(th[1]);
        double la = log_q((0.0 - mu) / s);
        if (isinf(d->ln_ymax))
            return la;
        double lb = log_q((d->ln_ymax - mu) / s);
        return la + log1p(-exp(lb - la));
    }
    case RMTK_TAIL_ALT_STRETCHED_EXP: { /* c = e^th0, beta = e^th1 */
        double c = exp(th[0]), be = exp(th[1]);
        return isinf(d->ln_ymax) ? 0.0 : log(-expm1(-c * expm1(be * d->ln_ymax)));
    }
    case RMTK_TAIL_ALT_TRUNCATED_PL: { /* a = th0, c = e^th1 */
        double I = tpl_norm(th[0], exp(th[1]), d->ln_ymax, g->gx, g->gw);
        return I > 0.0 && isfinite(I) ? log(I) : NAN;
    }
    }
    return NAN;
}

static double alt_logpdf(const lr_data *d, const double *th, double lnorm, size_t i)
{
    double ly = d->ly[i], y = d->y[i];
    switch (d->alt) {
    case RMTK_TAIL_ALT_EXPONENTIAL: {
        double c = exp(th[0]);
        return th[0] - c * (y - 1.0) - lnorm;
    }
    case RMTK_TAIL_ALT_LOGNORMAL: {
        double s = exp(th[1]), z = (ly - th[0]) / s;
        return -0.5 * z * z - 0.5 * log(2.0 * RMTK_PI) - th[1] - ly - lnorm;
    }
    case RMTK_TAIL_ALT_STRETCHED_EXP: {
        double c = exp(th[0]), be = exp(th[1]);
        return th[1] + th[0] + (be - 1.0) * ly - c * expm1(be * ly) - lnorm;
    }
    case RMTK_TAIL_ALT_TRUNCATED_PL: {
        double c = exp(th[1]);
        return -th[0] * ly - c * (y - 1.0) - lnorm;
    }
    }
    return NAN;
}

/* Negative mean log-likelihood (the Nelder-Mead objective); +inf when not finite. */
static double alt_nll(const lr_data *d, const double *th, const gl8 *g)
{
    double lnorm = alt_norm_log(d, th, g);
    if (!isfinite(lnorm))
        return INFINITY;
    double s = 0.0;
    for (size_t i = 0; i < d->m; i++)
        s += alt_logpdf(d, th, lnorm, i);
    s = -s / (double)d->m;
    return isfinite(s) ? s : INFINITY;
}

/* Nelder-Mead in dim 1 or 2 (standard coefficients 1, 2, 1/2, 1/2), from th with steps step.
 * Stops when the simplex's objective spread is < 1e-12 (1 + |f|) and its size < 1e-9, or after
 * 4000 iterations (then returns 0). REF: Nelder, Mead, Comput. J. 7 (1965) 308. */
static int nelder_mead(const lr_data *d, const gl8 *g, int dim, double *th, const double *step)
{
    double p[3][2], f[3];
    for (int i = 0; i <= dim; i++) {
        for (int k = 0; k < dim; k++)
            p[i][k] = th[k] + (i == k + 1 ? step[k] : 0.0);
        f[i] = alt_nll(d, p[i], g);
    }
    for (int it = 0; it < 4000; it++) {
        /* order: best 0 .. worst dim */
        for (int i = 0; i <= dim; i++)
            for (int j = i + 1; j <= dim; j++)
                if (f[j] < f[i]) {
                    double t = f[i];
                    f[i] = f[j];
                    f[j] = t;
                    for (int k = 0; k < dim; k++) {
                        t = p[i][k];
                        p[i][k] = p[j][k];
                        p[j][k] = t;
                    }
                }
        double size = 0.0;
        for (int i = 1; i <= dim; i++)
            for (int k = 0; k < dim; k++)
                size = RMTK_MAX(size, fabs(p[i][k] - p[0][k]));
        if (isfinite(f[0]) && fabs(f[dim] - f[0]) <= 1e-12 * (1.0 + fabs(f[0])) && size < 1e-9) {
            for (int k = 0; k < dim; k++)
                th[k] = p[0][k];
            return 1;
        }
        double cen[2] = {0, 0}, xr[2], xe[2], xc[2];
        for (int i = 0; i < dim; i++)
            for (int k = 0; k < dim; k++)
                cen[k] += p[i][k] / dim;
        for (int k = 0; k < dim; k++)
            xr[k] = cen[k] + (cen[k] - p[dim][k]);
        double fr = alt_nll(d, xr, g);
        if (fr < f[0]) {
            for (int k = 0; k < dim; k++)
                xe[k] = cen[k] + 2.0 * (cen[k] - p[dim][k]);
            double fe = alt_nll(d, xe, g);
            if (fe < fr) {
                memcpy(p[dim], xe, sizeof xe);
                f[dim] = fe;
            } else {
                memcpy(p[dim], xr, sizeof xr);
                f[dim] = fr;
            }
            continue;
        }
        if (fr < f[dim - 1]) {
            memcpy(p[dim], xr, sizeof xr);
            f[dim] = fr;
            continue;
        }
        int outside = fr < f[dim];
        for (int k = 0; k < dim; k++)
            xc[k] = outside ? cen[k] + 0.5 * (xr[k] - cen[k]) : cen[k] + 0.5 * (p[dim][k] - cen[k]);
        double fc = alt_nll(d, xc, g);
        if (fc < (outside ? fr : f[dim])) {
            memcpy(p[dim], xc, sizeof xc);
            f[dim] = fc;
            continue;
        }
        for (int i = 1; i <= dim; i++) {
            for (int k = 0; k < dim; k++)
                p[i][k] = p[0][k] + 0.5 * (p[i][k] - p[0][k]);
            f[i] = alt_nll(d, p[i], g);
        }
    }
    return 0;
}

/* ln p(y) of the fitted power law: b = alpha - 1, untruncated ln b - alpha ln y; truncated to
 * [1, Y] (L = ln Y): ln(b / (1 - e^{-bL})) - alpha ln y, or -ln y - ln L when b = 0. */
static double pl_logpdf(double alpha, double ln_ymax, double ly)
{
    double b = alpha - 1.0;
    if (isinf(ln_ymax))
        return log(b) - alpha * ly;
    if (b == 0.0)
        return -ly - log(ln_ymax);
    return log(b / -expm1(-b * ln_ymax)) - alpha * ly;
}

int rmtk_powerlaw_compare(const double *x, size_t n, const rmtk_powerlaw_fit *fit, int alt,
                          rmtk_lr_test *out)
{
    if (!x || !fit || !out || check_positive(x, n) || fit->reason != RMTK_TAIL_OK ||
        alt < RMTK_TAIL_ALT_EXPONENTIAL || alt > RMTK_TAIL_ALT_TRUNCATED_PL ||
        !(fit->xmin > 0.0))
        return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->r = out->r_norm = out->p = out->params[0] = out->params[1] = NAN;
    out->nested = alt == RMTK_TAIL_ALT_TRUNCATED_PL;
    double xmin = fit->xmin, xmax = fit->xmax;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= xmin && x[i] <= xmax)
            m++;
    if (m < 2) {
        out->reason = RMTK_TAIL_TOO_FEW;
        return RMTK_ERR_NUMERIC;
    }
    double *y = rmtk__malloc_array(m, sizeof *y);
    double *ly = rmtk__malloc_array(m, sizeof *ly);
    if (!y || !ly) {
        rmtk__free(y);
        rmtk__free(ly);
        return RMTK_ERR_NOMEM;
    }
    size_t k = 0;
    double mean_ly = 0.0, mean_y = 0.0;
    for (size_t i = 0; i < n; i++)
        if (x[i] >= xmin && x[i] <= xmax) {
            y[k] = x[i] / xmin;
            ly[k] = log(x[i]) - log(xmin);
            mean_ly += ly[k];
            mean_y += y[k];
            k++;
        }
    mean_ly /= (double)m;
    mean_y /= (double)m;
    double var_ly = 0.0;
    for (size_t i = 0; i < m; i++)
        var_ly += (ly[i] - mean_ly) * (ly[i] - mean_ly);
    var_ly /= (double)m;
    lr_data d = {ly, y, m, isinf(xmax) ? INFINITY : log(xmax / xmin), alt};
    gl8 g;
    int status = RMTK_OK;
    if (rmtk_gauss_legendre(8, 0.0, 1.0, g.gx, g.gw) != RMTK_OK) {
        status = RMTK_ERR_INTERNAL;
        goto done;
    }
    /* Starting points: moments of the tail; steps of order one in the log-parameters. */
    double th[2], step[2] = {0.5, 0.5};
    int dim = 2;
    double sd_ly = sqrt(var_ly) > 1e-3 ? sqrt(var_ly) : 1e-3;
    switch (alt) {
    case RMTK_TAIL_ALT_EXPONENTIAL:
        dim = 1;
        th[0] = log(1.0 / RMTK_MAX(mean_y - 1.0, 1e-12));
        break;
    case RMTK_TAIL_ALT_LOGNORMAL:
        th[0] = mean_ly;
        th[1] = log(sd_ly);
        step[0] = sd_ly;
        break;
    case RMTK_TAIL_ALT_STRETCHED_EXP:
        th[0] = log(1.0 / RMTK_MAX(mean_ly, 1e-12));
        th[1] = 0.0;
        break;
    default: /* truncated power law from the power law's alpha and a weak cutoff */
        th[0] = fit->alpha;
        th[1] = log(0.1 / RMTK_MAX(mean_y, 1.0));
        step[0] = 0.1;
        step[1] = 1.0;
        break;
    }
    int ok = nelder_mead(&d, &g, dim, th, step);
    /* Restart once from the optimum (guards against a collapsed simplex). */
    if (ok)
        ok = nelder_mead(&d, &g, dim, th, step);
    double lnorm = ok ? alt_norm_log(&d, th, &g) : NAN;
    if (!ok || !isfinite(lnorm)) {
        out->reason = RMTK_TAIL_NO_CONVERGE;
        status = RMTK_ERR_NUMERIC;
        goto done;
    }
    /* R = sum_i l_i, l_i = ln p_pl(y_i) - ln p_alt(y_i); r_norm = R / (sd(l) sqrt m). */
    double sum = 0.0, sum2 = 0.0;
    for (size_t i = 0; i < m; i++) {
        double li = pl_logpdf(fit->alpha, d.ln_ymax, ly[i]) - alt_logpdf(&d, th, lnorm, i);
        sum += li;
    }
    double mean = sum / (double)m;
    for (size_t i = 0; i < m; i++) {
        double li = pl_logpdf(fit->alpha, d.ln_ymax, ly[i]) - alt_logpdf(&d, th, lnorm, i);
        sum2 += (li - mean) * (li - mean);
    }
    double sd = sqrt(sum2 / (double)m);
    out->r = sum;
    out->r_norm = sd > 0.0 ? sum / (sd * sqrt((double)m)) : NAN;
    if (out->nested)
        out->p = erfc(sqrt(fabs(sum)));
    else
        out->p = sd > 0.0 ? erfc(fabs(out->r_norm) / sqrt(2.0)) : NAN;
    if (!isfinite(out->r) || isnan(out->p) || (!out->nested && !(sd > 0.0))) {
        out->reason = RMTK_TAIL_DEGENERATE;
        status = RMTK_ERR_NUMERIC;
        goto done;
    }
    /* Parameters in units of x. */
    switch (alt) {
    case RMTK_TAIL_ALT_EXPONENTIAL:
        out->params[0] = exp(th[0]) / xmin;
        break;
    case RMTK_TAIL_ALT_LOGNORMAL:
        out->params[0] = th[0] + log(xmin);
        out->params[1] = exp(th[1]);
        break;
    case RMTK_TAIL_ALT_STRETCHED_EXP:
        out->params[1] = exp(th[1]);
        out->params[0] = exp(th[0]) / pow(xmin, out->params[1]);
        break;
    default:
        out->params[0] = th[0];
        out->params[1] = exp(th[1]) / xmin;
        break;
    }
    out->reason = RMTK_TAIL_OK;
done:
    rmtk__free(y);
    rmtk__free(ly);
    return status;
}

/* =========================================================================================== */
/* WeightWatcher-compatible fit                                                                 */
/* =========================================================================================== */

int rmtk_ww_fit_run(const double *lam, size_t n, rmtk_ww_fit *out)
{
    if (!lam || !out)
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        if (isnan(lam[i]))
            return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->alpha = out->alpha_err = out->alpha_weighted = out->log_alpha_norm = NAN;
    out->xmin = out->ks_d = out->lambda_max = NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (lam[i] > WW_THRESHOLD && isfinite(lam[i]))
            m++;
    out->n_kept = m;
    if (m < 2) {
        out->reason = RMTK_TAIL_TOO_FEW;
        return RMTK_ERR_NUMERIC;
    }
    double *a = rmtk__malloc_array(m, sizeof *a);
    double *u = rmtk__malloc_array(m, sizeof *u);
    long double *suf = rmtk__malloc_array(m + 1, sizeof *suf);
    hull_tree *tree = hull_tree_alloc(m);
    if (!a || !u || !suf || !tree) {
        rmtk__free(a);
        rmtk__free(u);
        rmtk__free(suf);
        hull_tree_free(tree);
        return RMTK_ERR_NOMEM;
    }
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (lam[i] > WW_THRESHOLD && isfinite(lam[i]))
            a[k++] = lam[i];
    rmtk_sort(a, m);
    scan_data sd;
    scan_prepare(&sd, a, m, u, suf, tree);
    scan_best best;
    /* Every position but the last: tails x[s..m) of >= 2 values, ties included (WWFit). */
    scan_run(&sd, 2, SIZE_MAX, INFINITY, 0, 1, &best, NULL, NULL, NULL, 0);
    int status = RMTK_OK;
    out->lambda_max = a[m - 1];
    if (!best.found) {
        out->reason = RMTK_TAIL_DEGENERATE;
        status = RMTK_ERR_NUMERIC;
    } else {
        out->reason = RMTK_TAIL_OK;
        out->alpha = best.alpha;
        out->xmin = a[best.s];
        out->ks_d = best.d;
        out->num_pl_spikes = m - best.s;
        out->alpha_err = (best.alpha - 1.0) / sqrt((double)out->num_pl_spikes);
        out->alpha_weighted = best.alpha * log10(out->lambda_max);
        /* log10 sum lambda^alpha = log10(lmax^alpha sum (lambda/lmax)^alpha), no overflow. */
        double s = 0.0;
        for (size_t i = 0; i < m; i++)
            s += pow(a[i] / out->lambda_max, best.alpha);
        out->log_alpha_norm = best.alpha * log10(out->lambda_max) + log10(s);
    }
    rmtk__free(a);
    rmtk__free(u);
    rmtk__free(suf);
    hull_tree_free(tree);
    return status;
}

/* WeightWatcher's fit variants (rmtk.h, enum rmtk_ww_fingers). REF: weightwatcher 0.7.5,
 * WeightWatcher.fit_powerlaw (fix_fingers 'xmin_peak', integer xmax) and RMT_Util
 * fit_clipped_powerlaw ('clip_xmax'); read for the algorithm, rewritten here. */

rmtk_ww_params rmtk_ww_params_default(void)
{
    rmtk_ww_params p;
    memset(&p, 0, sizeof p);
    p.fix_fingers = RMTK_WW_FINGERS_NONE;
    p.max_fingers = 10;
    p.finger_thresh = 1.0;
    p.xmax_clip = 0;
    p.fit = RMTK_WW_FIT_PL;
    return p;
}

/* The WWFit scan over a[s_lo..m) (ascending) with candidates s <= s_hi (indices into a), every
 * position or one per distinct value. alpha and D of a candidate depend only on its tail, so the
 * scan of the suffix gives the values of the whole. */
static int ww_scan(const double *a, size_t m, size_t s_lo, size_t s_hi, int every_position,
                   scan_best *best)
{
    size_t n = m - s_lo;
    double *u = rmtk__malloc_array(n ? n : 1, sizeof *u);
    long double *suf = rmtk__malloc_array(n + 1, sizeof *suf);
    hull_tree *tree = hull_tree_alloc(n ? n : 1);
    if (!u || !suf || !tree) {
        rmtk__free(u);
        rmtk__free(suf);
        hull_tree_free(tree);
        return RMTK_ERR_NOMEM;
    }
    scan_data sd;
    scan_prepare(&sd, a + s_lo, n, u, suf, tree);
    scan_run(&sd, 2, s_hi - s_lo, INFINITY, 0, every_position, best, NULL, NULL, NULL, 0);
    if (best->found)
        best->s += s_lo;
    rmtk__free(u);
    rmtk__free(suf);
    hull_tree_free(tree);
    return RMTK_OK;
}

/* The peak of the ESD as WeightWatcher finds it: numpy.histogram(log10 a, bins=100), the left
 * edge of the first fullest bin, 10^edge. numpy's binning: edges e_j = lo + j (hi - lo)/100
 * (e_100 = hi), index floor((v - lo) 100 / (hi - lo)) corrected by one against the edges, the
 * last bin closed. */
static double ww_peak(const double *a, size_t m, size_t *count)
{
    double lo = log10(a[0]), hi = log10(a[m - 1]);
    if (!(hi > lo))
        return a[0]; /* numpy widens a zero range to lo - 0.5 .. lo + 0.5: the first bin */
    double step = (hi - lo) / 100.0, norm = 100.0 / (hi - lo), e[101];
    for (int j = 0; j < 100; j++)
        e[j] = (double)j * step + lo;
    e[100] = hi;
    memset(count, 0, 100 * sizeof *count);
    for (size_t i = 0; i < m; i++) {
        double v = log10(a[i]);
        long k = (long)floor((v - lo) * norm);
        if (k > 99)
            k = 99;
        if (k < 0)
            k = 0;
        if (v < e[k] && k > 0)
            k--;
        else if (k != 99 && v >= e[k + 1])
            k++;
        count[k]++;
    }
    int best = 0;
    for (int j = 1; j < 100; j++)
        if (count[j] > count[best])
            best = j;
    return pow(10.0, e[best]);
}

/* The fit's fields: sigma from the m_fit values fitted, n_tail = #{a_i >= xmin, i < m_count},
 * alpha_weighted and log_alpha_norm over a[0..m_norm) (a ascending). */
static void ww_fill(rmtk_ww_fit *out, const double *a, size_t m_fit, size_t m_count,
                    size_t m_norm, const scan_best *best)
{
    out->reason = RMTK_TAIL_OK;
    out->alpha = best->alpha;
    out->xmin = a[best->s];
    out->ks_d = best->d;
    size_t tail = 0;
    for (size_t i = 0; i < m_count; i++)
        tail += a[i] >= out->xmin;
    out->num_pl_spikes = tail;
    out->alpha_err = (best->alpha - 1.0) / sqrt((double)(m_fit - best->s));
    out->lambda_max = a[m_norm - 1];
    out->alpha_weighted = best->alpha * log10(out->lambda_max);
    double s = 0.0;
    for (size_t i = 0; i < m_norm; i++)
        s += pow(a[i] / out->lambda_max, best->alpha);
    out->log_alpha_norm = best->alpha * log10(out->lambda_max) + log10(s);
}

int rmtk_ww_fit_ex(const double *lam, size_t n, const rmtk_ww_params *p, rmtk_ww_fit *out)
{
    rmtk_ww_params prm = p ? *p : rmtk_ww_params_default();
    if (prm.fix_fingers == RMTK_WW_FINGERS_NONE && prm.xmax_clip == 0)
        return rmtk_ww_fit_run(lam, n, out);
    if (!lam || !out || prm.fix_fingers < 0 || prm.fix_fingers > RMTK_WW_CLIP_XMAX ||
        prm.xmax_clip < 0 || prm.max_fingers < 1 || !(prm.finger_thresh >= 0) ||
        (prm.fix_fingers != RMTK_WW_FINGERS_NONE && prm.xmax_clip > 0))
        return RMTK_ERR_ARG; /* WeightWatcher: "Can not set fix fingers, with xmax = int" */
    for (size_t i = 0; i < n; i++)
        if (isnan(lam[i]))
            return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->alpha = out->alpha_err = out->alpha_weighted = out->log_alpha_norm = NAN;
    out->xmin = out->ks_d = out->lambda_max = out->raw_alpha = NAN;
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += lam[i] > WW_THRESHOLD && isfinite(lam[i]);
    out->n_kept = m;
    double *a = rmtk__malloc_array(m ? m : 1, sizeof *a);
    if (!a)
        return RMTK_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (lam[i] > WW_THRESHOLD && isfinite(lam[i]))
            a[k++] = lam[i];
    rmtk_sort(a, m);
    /* integer xmax: WeightWatcher drops the K largest of all the values (evals[:-K]) */
    if ((size_t)prm.xmax_clip > m / 2) {
        rmtk__free(a);
        return RMTK_ERR_ARG;
    }
    m -= (size_t)prm.xmax_clip;
    int st = RMTK_OK;
    scan_best best;
    memset(&best, 0, sizeof best);
    if (m < 2) {
        out->reason = RMTK_TAIL_TOO_FEW;
        rmtk__free(a);
        return RMTK_ERR_NUMERIC;
    }
    if (prm.fix_fingers == RMTK_WW_XMIN_PEAK) {
        size_t count[100];
        double peak = ww_peak(a, m, count);
        double lo = log10(0.95 * peak), hi = 1.5 * peak;
        size_t s_lo = 0, s_hi;
        while (s_lo < m && a[s_lo] < lo)
            s_lo++;
        s_hi = s_lo;
        while (s_hi < m && a[s_hi] <= hi)
            s_hi++;
        /* candidates: distinct values in [lo, hi] but the largest value of all */
        if (s_hi == s_lo || s_lo + 2 > m) {
            out->reason = RMTK_TAIL_TOO_FEW;
            rmtk__free(a);
            return RMTK_ERR_NUMERIC;
        }
        st = ww_scan(a, m, s_lo, s_hi - 1, 0, &best);
    } else if (prm.fix_fingers == RMTK_WW_CLIP_XMAX) {
        scan_best first;
        st = ww_scan(a, m, 0, m, 1, &first);
        best = first;
        out->raw_alpha = first.found ? first.alpha : NAN;
        for (size_t idx = 2; !st && first.found && idx < (size_t)prm.max_fingers && idx + 2 <= m;
             idx++) {
            scan_best f;
            st = ww_scan(a, m - idx, 0, m - idx, 1, &f);
            if (st || !f.found)
                break;
            if (f.alpha + prm.finger_thresh < first.alpha) {
                best = f;
                out->num_fingers = idx - 1;
                break;
            }
            if (f.alpha <= 2.0)
                break;
        }
    } else {
        st = ww_scan(a, m, 0, m, 1, &best);
    }
    if (!st && !best.found) {
        out->reason = RMTK_TAIL_DEGENERATE;
        st = RMTK_ERR_NUMERIC;
    } else if (!st) {
        /* sigma from the fitted data; n_tail over the values after an integer xmax (fingers
         * included); the norms over every kept value, as WeightWatcher's layer columns */
        size_t m_fit = m - (out->num_fingers ? out->num_fingers + 1 : 0);
        ww_fill(out, a, m_fit, m, m + (size_t)prm.xmax_clip, &best);
    }
    rmtk__free(a);
    return st;
}

/* =========================================================================================== */
/* WeightWatcher's truncated power law (fit='TPL' / 'E_TPL')                                    */
/* =========================================================================================== */

/* REF: weightwatcher 0.7.5 WeightWatcher.fit_powerlaw / WW_powerlaw.pl_fit: fit='TPL' calls
 * powerlaw.Fit(evals[evals > 1e-5], distribution='truncated_power_law',
 * xmin_distribution='truncated_power_law'), fit='E_TPL' the same with fix_fingers='xmin_peak'
 * (xmin range from the ESD's peak); powerlaw 1.5 (Alstott, Bullmore, Plenz, PLoS ONE 9 (2014)
 * e85777) Truncated_Power_Law, Fit.find_xmin, loglikelihood_ratio; Clauset, Shalizi, Newman,
 * SIAM Rev. 51 (2009) 661, Sec. 5 and Appendix; Vuong, Econometrica 57 (1989) 307. Read for the
 * algorithm, rewritten here (docs/methods/tails.md, "Truncated power law").
 *
 * Model on x >= xmin: p(x) = x^-alpha e^{-lambda x} / Z, Z = int_xmin^inf t^-alpha e^{-lambda t}dt
 * = lambda^{alpha-1} Gamma(1 - alpha, lambda xmin) (upper incomplete gamma function; powerlaw's
 * normaliser, mpmath.gammainc). In units y = x/xmin, c = lambda xmin:
 *   I(alpha, c) = int_1^inf y^-alpha e^{-c y} dy = e^{-c} r(1 - alpha, c),
 *   r(s, z) = Gamma(s, z) z^-s e^z (the scaled upper incomplete gamma, O(1/z), no overflow),
 *   ln p(x_i) = -alpha ln y_i - c (y_i - 1) - ln r(1 - alpha, c) - ln xmin,
 *   1 - F(x) = y^{1-alpha} e^{-c (y - 1)} r(1 - alpha, c y) / r(1 - alpha, c),
 * so the log-likelihood depends on the data only through A = mean ln y, B = mean y. */

/* r(s, z) = Gamma(s, z) z^-s e^z for real s <= 1 and z > 0.
 *  z >= 2: Legendre's continued fraction Gamma(s,z) = e^-z z^s / (z+1-s- 1(1-s)/(z+3-s- 2(2-s)/
 *    (z+5-s- ...))), modified Lentz (Numerical Recipes 6.2), converges for every real s.
 *  z < 2: s0 = s if s > 0, else s - ceil(s) in (-1, 0]; the series
 *    Gamma(s0, z) = (Gamma(1+s0) - 1)/s0 - (z^s0 - 1)/s0 - sum_{k>=1} (-1)^k z^{s0+k}/(k!(s0+k))
 *    (Gamma(s0) - gamma(s0, z) with the k = 0 term of gamma(s0, z) = sum (-1)^k z^{s0+k}/(k!(s0+k))
 *    joined to Gamma(s0) = Gamma(1+s0)/s0; at s0 = 0 the limits -Euler's gamma and ln z, which
 *    give E1(z)), then the downward recurrence Gamma(t, z) = (Gamma(t+1, z) - z^t e^-z)/t, i.e.
 *    r(t) = (z r(t+1) - 1)/t, t = s0-1, ..., s. For t <= -1 and z < 2 the subtracted terms are
 *    at most ~0.7 of each other (Gamma(t+1,z) <= z^t e^-z for t < 0), so no digits are lost.
 * REF: Abramowitz & Stegun 6.5.29-32; DLMF 8.7.3, 8.9.2, 8.8.2. */
static double gamma_upper_scaled(double s, double z)
{
    if (z >= 2.0) {
        const double tiny = 1e-300;
        double b = z + 1.0 - s, c = 1.0 / tiny, d = 1.0 / b, h = d;
        for (int i = 1; i < 10000; i++) {
            double an = -(double)i * ((double)i - s);
            b += 2.0;
            d = an * d + b;
            if (fabs(d) < tiny)
                d = tiny;
            c = b + an / c;
            if (fabs(c) < tiny)
                c = tiny;
            d = 1.0 / d;
            double del = d * c;
            h *= del;
            if (fabs(del - 1.0) < 1e-16)
                break;
        }
        return h;
    }
    double s0 = s > 0.0 ? s : s - ceil(s);
    double lz = log(z);
    double g1 = s0 == 0.0 ? -0.57721566490153286061 : expm1(lgamma(1.0 + s0)) / s0;
    double p1 = s0 == 0.0 ? lz : expm1(s0 * lz) / s0;
    double sum = 0.0, term = 1.0; /* term = (-z)^k / k! */
    for (int k = 1; k < 200; k++) {
        term *= -z / (double)k;
        double add = term / (s0 + (double)k);
        sum += add;
        if (fabs(add) < 1e-18 * fabs(sum))
            break;
    }
    /* sum_{k>=1} (-1)^k z^{s0+k}/(k!(s0+k)) = z^s0 * sum */
    double g = g1 - p1 - exp(s0 * lz) * sum; /* Gamma(s0, z) */
    double r = g * exp(z - s0 * lz);
    for (double t = s0 - 1.0; t >= s - 0.5; t -= 1.0)
        r = (z * r - 1.0) / t;
    return r;
}

/* ln I(alpha, c) = -c + ln r(1 - alpha, c) for c > 0; the power law -ln(alpha - 1) at c = 0. */
static double tpl_log_norm(double alpha, double c)
{
    if (c == 0.0)
        return alpha > 1.0 ? -log(alpha - 1.0) : INFINITY;
    return -c + log(gamma_upper_scaled(1.0 - alpha, c));
}

/* E[ln y] = -d ln I / d alpha by the central difference with step h = 1e-5 (1 + alpha): the
 * truncation error h^2 |d^3 ln I| / 6 ~ 1e-10 and the rounding error eps |ln I| / h ~ 1e-11. */
static double tpl_mean_log(double alpha, double c)
{
    double h = 1e-5 * (1.0 + fabs(alpha));
    return -(tpl_log_norm(alpha + h, c) - tpl_log_norm(alpha - h, c)) / (2.0 * h);
}

/* E[y] = I(alpha - 1, c) / I(alpha, c) = r(2 - alpha, c) / r(1 - alpha, c) (exact); at c = 0 the
 * power law's (alpha - 1)/(alpha - 2), +inf for alpha <= 2. */
static double tpl_mean_y(double alpha, double c)
{
    if (c == 0.0)
        return alpha > 2.0 ? (alpha - 1.0) / (alpha - 2.0) : INFINITY;
    return gamma_upper_scaled(2.0 - alpha, c) / gamma_upper_scaled(1.0 - alpha, c);
}

/* Root of a decreasing function on [lo, hi] with f(lo) > 0 > f(hi): the Illinois variant of
 * regula falsi (superlinear, always bracketed), to |hi - lo| <= tol. */
typedef double (*tpl_fn)(double x, const void *ctx);
static double illinois(tpl_fn f, const void *ctx, double lo, double flo, double hi, double fhi,
                       double tol)
{
    int side = 0;
    for (int it = 0; it < 200 && hi - lo > tol; it++) {
        double x = (lo * fhi - hi * flo) / (fhi - flo);
        if (!(x > lo && x < hi))
            x = 0.5 * (lo + hi);
        double fx = f(x, ctx);
        if (fx > 0.0) {
            lo = x;
            flo = fx;
            if (side == 1)
                fhi *= 0.5;
            side = 1;
        } else if (fx < 0.0) {
            hi = x;
            fhi = fx;
            if (side == -1)
                flo *= 0.5;
            side = -1;
        } else {
            return x;
        }
    }
    return 0.5 * (lo + hi);
}

typedef struct {
    double A, B; /* mean ln y, mean y of the tail */
    double c;
} tpl_ctx;

/* d/dalpha of the mean log-likelihood -alpha A - c (B - 1) - ln r(1 - alpha, c): E[ln y] - A,
 * decreasing in alpha (the log-likelihood is concave: an exponential family in (alpha, c)). */
static double tpl_dalpha(double alpha, const void *v)
{
    const tpl_ctx *t = v;
    return tpl_mean_log(alpha, t->c) - t->A;
}

/* The MLE of alpha >= 1 at fixed c (powerlaw keeps alpha > 1: out-of-range parameters get the
 * likelihood 1e-308 per value). At c = 0 the power law's 1 + 1/A. */
static double tpl_alpha_at(const tpl_ctx *t)
{
    if (t->c == 0.0)
        return 1.0 + 1.0 / t->A;
    double f1 = tpl_dalpha(1.0, t);
    if (!(f1 > 0.0))
        return 1.0;
    double lo = 1.0, hi = 1.0 + 1.0 / t->A, fhi;
    if (hi < 2.0)
        hi = 2.0;
    for (int i = 0; i < 60 && (fhi = tpl_dalpha(hi, t)) > 0.0; i++) {
        lo = hi;
        f1 = fhi;
        hi = 1.0 + 2.0 * (hi - 1.0);
    }
    return illinois(tpl_dalpha, t, lo, f1, hi, fhi, 1e-13 * hi);
}

/* Profile slope in u = ln c: dP/dc = E[y](alpha*(c), c) - B (envelope theorem), decreasing. */
static double tpl_dlogc(double u, const void *v)
{
    tpl_ctx t = *(const tpl_ctx *)v;
    t.c = exp(u);
    double a = tpl_alpha_at(&t);
    return tpl_mean_y(a, t.c) - t.B;
}

/* The MLE of (alpha >= 1, c >= 0) from A = mean ln y > 0, B = mean y > 1: the profile
 * likelihood P(c) = max_alpha L(alpha, c) is concave; c = 0 when P'(0) = E_PL[y] - B <= 0, else
 * the root of P'(ln c) bracketed by halving/doubling from c = 1/B (powerlaw's start,
 * lambda = 1/mean x), solved to 1e-13 in ln c. */
static void tpl_mle(double A, double B, double *alpha, double *c)
{
    tpl_ctx t = {A, B, 0.0};
    double a0 = tpl_alpha_at(&t);
    if (!(tpl_mean_y(a0, 0.0) - B > 0.0)) {
        *alpha = a0;
        *c = 0.0;
        return;
    }
    double u = -log(B), f = tpl_dlogc(u, &t);
    double lo, hi, flo, fhi;
    if (f > 0.0) {
        lo = u;
        flo = f;
        hi = u + 1.0;
        while ((fhi = tpl_dlogc(hi, &t)) > 0.0 && hi < 700.0) {
            lo = hi;
            flo = fhi;
            hi += 2.0 * (hi - u);
        }
    } else {
        hi = u;
        fhi = f;
        lo = u - 1.0;
        while ((flo = tpl_dlogc(lo, &t)) <= 0.0 && lo > -700.0) {
            hi = lo;
            fhi = flo;
            lo -= 2.0 * (u - lo);
        }
        if (flo <= 0.0) { /* the slope stays negative down to c ~ e^-700: c = 0 */
            *alpha = a0;
            *c = 0.0;
            return;
        }
    }
    double uu = illinois(tpl_dlogc, &t, lo, flo, hi, fhi, 1e-13 * (1.0 + fabs(lo)));
    t.c = exp(uu);
    *alpha = tpl_alpha_at(&t);
    *c = t.c;
}

/* KS distance of the fitted TPL on the tail x[s..n) (ascending), as powerlaw's
 * Distribution.KS with a parent Fit: at each distinct value x_j >= xmin (j its first index), the
 * lower ECDF (j - s)/m against F(x_j); D = max |F - ECDF|. */
static double tpl_ks(const double *x, size_t n, size_t s, double alpha, double c)
{
    size_t m = n - s;
    double xmin = x[s], r0 = c > 0.0 ? gamma_upper_scaled(1.0 - alpha, c) : 0.0, d = 0.0;
    for (size_t j = s; j < n; j++) {
        if (j > s && x[j] == x[j - 1])
            continue;
        double y = x[j] / xmin, sf;
        if (c > 0.0)
            sf = exp((1.0 - alpha) * log(y) - c * (y - 1.0)) *
                 (gamma_upper_scaled(1.0 - alpha, c * y) / r0);
        else
            sf = exp((1.0 - alpha) * log(y));
        double dev = fabs((1.0 - sf) - (double)(j - s) / (double)m);
        if (dev > d)
            d = dev;
    }
    return d;
}

static rmtk_tpl_fit tpl_unset(int reason)
{
    rmtk_tpl_fit f;
    memset(&f, 0, sizeof f);
    f.reason = reason;
    f.alpha = f.lambda = f.xmin = f.ks_d = f.pl_alpha = NAN;
    f.lr = f.lr_norm = f.p = NAN;
    return f;
}

int rmtk_tpl_fit_run(const double *lam, size_t n, const rmtk_ww_params *p, rmtk_tpl_fit *out)
{
    if (!lam || !out || !p || (p->fit != RMTK_WW_FIT_TPL && p->fit != RMTK_WW_FIT_E_TPL) ||
        p->xmax_clip < 0 || (p->fit == RMTK_WW_FIT_E_TPL && p->xmax_clip > 0))
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < n; i++)
        if (isnan(lam[i]))
            return RMTK_ERR_ARG;
    *out = tpl_unset(RMTK_TAIL_TOO_FEW);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        m += lam[i] > WW_THRESHOLD && isfinite(lam[i]);
    double *a = rmtk__malloc_array(m ? m : 1, sizeof *a);
    if (!a)
        return RMTK_ERR_NOMEM;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (lam[i] > WW_THRESHOLD && isfinite(lam[i]))
            a[k++] = lam[i];
    rmtk_sort(a, m);
    if ((size_t)p->xmax_clip > m / 2) {
        rmtk__free(a);
        return RMTK_ERR_ARG;
    }
    m -= (size_t)p->xmax_clip;
    if (m < 2) {
        rmtk__free(a);
        return RMTK_ERR_NUMERIC;
    }
    /* Candidates (powerlaw 1.5 Fit.find_xmin): the distinct values, the largest excluded; for
     * E_TPL only those in [log10(0.95 peak), 1.5 peak] (WeightWatcher's xmin range, as for
     * xmin_peak), the largest distinct value in that range excluded (unique(possible)[:-1]). */
    size_t s_lo = 0, s_hi = m; /* candidate indices in [s_lo, s_hi) */
    if (p->fit == RMTK_WW_FIT_E_TPL) {
        size_t count[100];
        double peak = ww_peak(a, m, count);
        double lo = log10(0.95 * peak), hi = 1.5 * peak;
        while (s_lo < m && a[s_lo] < lo)
            s_lo++;
        s_hi = s_lo;
        while (s_hi < m && a[s_hi] <= hi)
            s_hi++;
        if (s_hi > s_lo) { /* drop the last distinct value of the range */
            double last = a[s_hi - 1];
            while (s_hi > s_lo && a[s_hi - 1] == last)
                s_hi--;
        }
    } else {
        double last = a[m - 1];
        while (s_hi > 0 && a[s_hi - 1] == last)
            s_hi--;
    }
    /* suffix sums of ln x and x, in long double */
    long double *sl = rmtk__malloc_array(m + 1, sizeof *sl);
    long double *sx = rmtk__malloc_array(m + 1, sizeof *sx);
    if (!sl || !sx) {
        rmtk__free(a);
        rmtk__free(sl);
        rmtk__free(sx);
        return RMTK_ERR_NOMEM;
    }
    sl[m] = sx[m] = 0.0L;
    for (size_t i = m; i-- > 0;) {
        sl[i] = sl[i + 1] + (long double)log(a[i]);
        sx[i] = sx[i + 1] + (long double)a[i];
    }
    int found = 0;
    size_t best_s = 0;
    double best_d = INFINITY, best_a = NAN, best_c = NAN;
    for (size_t s = s_lo; s < s_hi; s++) {
        if (s > 0 && a[s] == a[s - 1])
            continue;
        size_t mt = m - s;
        double xmin = a[s];
        double A = (double)((sl[s] - (long double)mt * (long double)log(xmin)) / (long double)mt);
        double B = (double)(sx[s] / ((long double)mt * (long double)xmin));
        if (!(A > 0.0) || !(B > 1.0))
            continue;
        double alpha, c;
        tpl_mle(A, B, &alpha, &c);
        double d = tpl_ks(a, m, s, alpha, c);
        if (d < best_d) { /* first minimum, as numpy.argmin */
            best_d = d;
            best_s = s;
            best_a = alpha;
            best_c = c;
            found = 1;
        }
    }
    if (!found) {
        out->reason = s_hi > s_lo ? RMTK_TAIL_DEGENERATE : RMTK_TAIL_TOO_FEW;
        rmtk__free(a);
        rmtk__free(sl);
        rmtk__free(sx);
        return RMTK_ERR_NUMERIC;
    }
    size_t mt = m - best_s;
    double xmin = a[best_s];
    out->reason = RMTK_TAIL_OK;
    out->alpha = best_a;
    out->lambda = best_c / xmin;
    out->xmin = xmin;
    out->ks_d = best_d;
    out->n_tail = mt;
    /* The power law at the same xmin (powerlaw's fit.power_law: 1 + m / sum ln(x/xmin)) and the
     * nested likelihood-ratio test (powerlaw's distribution_compare('truncated_power_law',
     * 'power_law'): R = sum (ln p_TPL - ln p_PL), p = 1 - chi2_1.cdf(2|R|) = erfc(sqrt|R|);
     * normalised R / (sd sqrt(m)) with sd^2 the (1/m) variance of the pointwise differences. */
    double A = (double)((sl[best_s] - (long double)mt * (long double)log(xmin)) / (long double)mt);
    double apl = 1.0 + 1.0 / A;
    out->pl_alpha = apl;
    /* ln p(y) = -alpha ln y - c y - ln I(alpha, c) (TPL), ln(alpha_pl - 1) - alpha_pl ln y (PL) */
    double ln_tpl = tpl_log_norm(best_a, best_c), ln_pl = -log(apl - 1.0);
    long double sum = 0.0L;
    for (size_t i = best_s; i < m; i++) {
        double y = a[i] / xmin, ly = log(y);
        sum += (-best_a * ly - best_c * y - ln_tpl) - (-apl * ly - ln_pl);
    }
    double r = (double)sum, mean = (double)(sum / (long double)mt), var = 0.0;
    for (size_t i = best_s; i < m; i++) { /* second pass: the variance without cancellation */
        double y = a[i] / xmin, ly = log(y);
        double di = (-best_a * ly - best_c * y - ln_tpl) - (-apl * ly - ln_pl) - mean;
        var += di * di;
    }
    var /= (double)mt;
    out->lr = r;
    out->lr_norm = var > 0.0 && best_c > 0.0 ? r / sqrt((double)mt * var) : 0.0;
    out->p = best_c > 0.0 ? erfc(sqrt(fabs(r))) : 1.0;
    rmtk__free(a);
    rmtk__free(sl);
    rmtk__free(sx);
    return RMTK_OK;
}

/* =========================================================================================== */
/* Per-matrix entry point                                                                       */
/* =========================================================================================== */

rmtk_tails_params rmtk_tails_params_default(void)
{
    rmtk_tails_params p;
    p.powerlaw = rmtk_powerlaw_params_default();
    p.hill = rmtk_hill_params_default();
    p.ww = rmtk_ww_params_default();
    return p;
}

static void lr_unset(rmtk_lr_test *t, int reason)
{
    memset(t, 0, sizeof *t);
    t->reason = reason;
    t->r = t->r_norm = t->p = t->params[0] = t->params[1] = NAN;
}

int rmtk_tails_analyze(const double *sv, size_t nsv, const rmtk_tails_params *params,
                       rmtk_tails_result *out, double *hill_alpha_curve, double *hill_err_curve,
                       size_t curve_cap, double *ks_xmin, double *ks_alpha, double *ks_d,
                       size_t ks_cap)
{
    if (!sv || !out || nsv == 0)
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < nsv; i++)
        if (!(sv[i] >= 0.0) || !isfinite(sv[i]))
            return RMTK_ERR_ARG;
    rmtk_tails_params p = params ? *params : rmtk_tails_params_default();
    memset(out, 0, sizeof *out);
    double *lam = rmtk__malloc_array(nsv, sizeof *lam);
    if (!lam)
        return RMTK_ERR_NOMEM;
    size_t m = 0;
    for (size_t i = 0; i < nsv; i++) {
        double l = sv[i] * sv[i];
        if (l > 0.0)
            lam[m++] = l;
    }
    int st = rmtk_ww_fit_run(lam, m, &out->ww);
    if (st == RMTK_ERR_NOMEM)
        goto fail;
    /* CSN fit (+ bootstrap) on lambda > 0, with the KS-vs-xmin curve when asked. */
    size_t cap = (ks_xmin || ks_alpha || ks_d) ? ks_cap : 0;
    if (m >= 2) {
        st = rmtk_powerlaw_fit_run(lam, m, &p.powerlaw, &out->csn, ks_xmin, ks_alpha, ks_d, cap,
                                   &out->ks_len);
        if (st == RMTK_ERR_RANGE || st == RMTK_ERR_ARG) {
            /* The caller's curve buffer is too small: fit without the curve. */
            st = rmtk_powerlaw_fit_run(lam, m, &p.powerlaw, &out->csn, NULL, NULL, NULL, 0,
                                       &out->ks_len);
            out->ks_len = 0;
        }
        if (st == RMTK_ERR_NOMEM || st == RMTK_ERR_ARG)
            goto fail;
    } else {
        memset(&out->csn, 0, sizeof out->csn);
        out->csn.reason = RMTK_TAIL_TOO_FEW;
        out->csn.alpha = out->csn.alpha_err = out->csn.xmin = out->csn.ks_d = NAN;
        out->csn.p_gof = NAN;
    }
    if (out->csn.reason == RMTK_TAIL_OK) {
        st = rmtk_powerlaw_compare(lam, m, &out->csn, RMTK_TAIL_ALT_LOGNORMAL, &out->lr_lognormal);
        if (st == RMTK_ERR_NOMEM)
            goto fail;
        st = rmtk_powerlaw_compare(lam, m, &out->csn, RMTK_TAIL_ALT_EXPONENTIAL,
                                   &out->lr_exponential);
        if (st == RMTK_ERR_NOMEM)
            goto fail;
    } else {
        lr_unset(&out->lr_lognormal, out->csn.reason);
        lr_unset(&out->lr_exponential, out->csn.reason);
    }
    st = rmtk_hill_plateau_find(lam, m, &p.hill, &out->hill);
    if (st != RMTK_OK)
        goto fail;
    out->hill_len = 0;
    if (m >= 2 && hill_alpha_curve && curve_cap >= m - 1) {
        st = rmtk_hill_curve(lam, m, hill_alpha_curve, hill_err_curve);
        if (st != RMTK_OK)
            goto fail;
        out->hill_len = m - 1;
    }
    rmtk__free(lam);
    return RMTK_OK;
fail:
    rmtk__free(lam);
    return st == RMTK_OK ? RMTK_ERR_INTERNAL : st;
}
