/*
 * vectors.c: statistics of singular vectors. Porter-Thomas Kolmogorov-Smirnov tests of the
 * components of each vector against the law of a uniformly distributed unit vector, in four
 * variants (the exact finite-N law with a simulated null, the same with Kolmogorov's p-value,
 * the released code of Thamm et al. with a Monte-Carlo reference CDF, Staats' older Gaussian
 * version), optionally pooled or moving-averaged; the inverse participation ratio; and a
 * per-matrix entry point that tests all left and right vectors and reports the rejection
 * fractions overall and per decile of singular value.
 *
 * The null distribution of the KS statistic depends only on the dimension n, so it is
 * simulated once per dimension in a plan (rmtk_pt_plan) and shared by every vector of that
 * dimension; the per-matrix workspace keeps one plan per dimension seen. Testing a vector then
 * costs one sort and n CDF evaluations.
 * REF: methods.md 1.4 E (Porter-Thomas test), 1.4 F (IPR), 4.5 (exact finite-N law).
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- regularised incomplete beta ---------------------------------------------------------- */

/*
 * Stirling's correction ln Gamma(z) - [(z - 1/2) ln z - z + ln(2 pi)/2]
 *   = 1/(12 z) - 1/(360 z^3) + 1/(1260 z^5) - 1/(1680 z^7) + 1/(1188 z^9) - ...
 * For z >= 20 the first omitted term, 691/(360360 z^11), is below 1e-17.
 */
static double stirling_corr(double z)
{
    double r = 1.0 / (z * z);
    return (1.0 / 12 + r * (-1.0 / 360 + r * (1.0 / 1260 + r * (-1.0 / 1680 + r / 1188)))) / z;
}

/*
 * ln B(a, b) = ln Gamma(a) + ln Gamma(b) - ln Gamma(a + b). With lgamma alone, large b loses
 * digits to cancellation (ln Gamma(b) ~ b ln b); for b >= 20 the difference
 * ln Gamma(b) - ln Gamma(a + b) = -(b - 1/2) log1p(a/b) - a ln(a + b) + a + c(b) - c(a + b)
 * (c = Stirling's correction) is computed directly, and when a >= 20 too, Stirling for all three:
 * ln B = ln(2 pi)/2 + (a - 1/2) ln(a/(a+b)) + (b - 1/2) ln(b/(a+b)) - ln(a+b)/2 + c(a) + c(b)
 *        - c(a+b).
 */
static double lbeta(double a, double b)
{
    if (a > b) {
        double t = a;
        a = b;
        b = t;
    }
    if (b < 20.0)
        return lgamma(a) + lgamma(b) - lgamma(a + b);
    double ab = a + b;
    if (a < 20.0)
        return lgamma(a) - (b - 0.5) * log1p(a / b) - a * log(ab) + a + stirling_corr(b) -
               stirling_corr(ab);
    return 0.5 * log(2.0 * RMTK_PI) + (a - 0.5) * log(a / ab) + (b - 0.5) * log(b / ab) -
           0.5 * log(ab) + stirling_corr(a) + stirling_corr(b) - stirling_corr(ab);
}

/*
 * Continued fraction for I_x(a, b) (Numerical Recipes, 3rd ed., 6.4, `betacf`), evaluated by
 * the modified Lentz method:
 *   I_x(a, b) = x^a (1-x)^b / (a B(a, b)) * 1/(1 + d_1/(1 + d_2/(1 + ...))),
 *   d_{2m+1} = -(a+m)(a+b+m) x / ((a+2m)(a+2m+1)),  d_{2m} = m(b-m) x / ((a+2m-1)(a+2m)).
 * Converges fast for x < (a+1)/(a+b+2); iterations grow like sqrt(max(a, b)) near that point.
 */
/* One modified-Lentz step with partial numerator aa: updates c, d and returns the factor
 * d c by which the convergent changes. */
static double lentz_step(double aa, double *c, double *d)
{
    const double fpmin = 1e-300;
    *d = 1.0 + aa * *d;
    if (fabs(*d) < fpmin)
        *d = fpmin;
    *c = 1.0 + aa / *c;
    if (fabs(*c) < fpmin)
        *c = fpmin;
    *d = 1.0 / *d;
    return *d * *c;
}

static int betacf(double a, double b, double x, double *out)
{
    const double fpmin = 1e-300, eps = 1e-15;
    const int maxit = 100000;
    double qab = a + b, qap = a + 1.0, qam = a - 1.0;
    double c = 1.0, d = 1.0 - qab * x / qap;
    if (fabs(d) < fpmin)
        d = fpmin;
    d = 1.0 / d;
    double h = d;
    for (int m = 1; m <= maxit; m++) {
        double m2 = 2.0 * m;
        h *= lentz_step(m * (b - m) * x / ((qam + m2) * (a + m2)), &c, &d); /* d_{2m} */
        double del = lentz_step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)), &c, &d);
        h *= del; /* d_{2m+1} */
        if (fabs(del - 1.0) < eps) {
            *out = h;
            return RMTK_OK;
        }
    }
    return RMTK_ERR_NUMERIC;
}

/* I_x(a, b) with ln B(a, b) given (precomputed by callers that evaluate many x). */
static int betainc_lb(double a, double b, double lnb, double x, double *out)
{
    if (x <= 0.0) {
        *out = 0.0;
        return RMTK_OK;
    }
    if (x >= 1.0) {
        *out = 1.0;
        return RMTK_OK;
    }
    /* front = x^a (1-x)^b / B(a, b) */
    double front = exp(a * log(x) + b * log1p(-x) - lnb);
    double cf;
    int st;
    if (x < (a + 1.0) / (a + b + 2.0)) {
        st = betacf(a, b, x, &cf);
        if (st)
            return st;
        *out = front * cf / a;
    } else {
        st = betacf(b, a, 1.0 - x, &cf);
        if (st)
            return st;
        *out = 1.0 - front * cf / b;
    }
    if (*out < 0.0)
        *out = 0.0;
    if (*out > 1.0)
        *out = 1.0;
    return RMTK_OK;
}

int rmtk_betainc(double a, double b, double x, double *out)
{
    if (!out || !(a > 0.0) || !(b > 0.0) || !(x >= 0.0 && x <= 1.0) || isinf(a) || isinf(b))
        return RMTK_ERR_ARG;
    return betainc_lb(a, b, lbeta(a, b), x, out);
}

/*
 * Component CDF of a uniform unit vector in R^n: u^2 ~ Beta(1/2, (n-1)/2), so
 * F(u) = 1/2 + sign(u) I_{u^2}(1/2, (n-1)/2) / 2. REF: methods.md 4.5.
 */
static double pt_cdf_lb(double u, double b, double lnb)
{
    if (u <= -1.0)
        return 0.0;
    if (u >= 1.0)
        return 1.0;
    double ib;
    if (betainc_lb(0.5, b, lnb, u * u, &ib) != RMTK_OK)
        return NAN;
    return u < 0.0 ? 0.5 - 0.5 * ib : 0.5 + 0.5 * ib;
}

double rmtk_pt_cdf(double u, size_t n)
{
    if (n < 2 || isnan(u))
        return NAN;
    double b = 0.5 * (double)(n - 1);
    return pt_cdf_lb(u, b, lbeta(0.5, b));
}

int rmtk_ipr(const double *v, size_t n, double *ipr)
{
    if (!v || !ipr || n == 0)
        return RMTK_ERR_ARG;
    double s2 = 0.0, s4 = 0.0;
    for (size_t i = 0; i < n; i++) {
        double q = v[i] * v[i];
        s2 += q;
        s4 += q * q;
    }
    if (!(s2 > 0.0) || !isfinite(s2) || !isfinite(s4))
        return RMTK_ERR_NUMERIC;
    *ipr = s4 / (s2 * s2);
    return RMTK_OK;
}

/* ---- Porter-Thomas plans ------------------------------------------------------------------ */

struct rmtk_pt_plan {
    size_t n;             /* dimension */
    rmtk_pt_params par;   /* nsamples resolved */
    size_t pool;          /* vectors per tested sample: 2w (pooled paper) or 1 */
    double b, lnb;        /* exact law: Beta(1/2, b), ln B(1/2, b) */
    double *tab;          /* EXACT_*: F(u_i), f(u_i) interleaved at u_i = i h, i = 0..ntab */
    size_t ntab;
    double tab_h, tab_u;  /* grid step and end U = ntab h */
    double *cbar;         /* RMTK_PT_PAPER: sorted pooled reference entries [ncbar] */
    size_t ncbar;
    size_t *guide;        /* guide table into cbar [nguide + 1] */
    size_t nguide;
    double g_lo, g_step;
    double *null_d;       /* sorted simulated null statistics [nnull] (NULL for KOLMOGOROV) */
    size_t nnull;
    double *scratch;      /* [pool * n] */
};

/* Streams of the simulated nulls: purpose in bits 40..47, dimension below. */
#define PT_STREAM(purpose, n)                                                                   \
    (0x5054000000000000ull | ((uint64_t)(purpose) << 40) | (uint64_t)(n))
enum { PT_PURPOSE_REF = 1, PT_PURPOSE_NULL = 2, PT_PURPOSE_POOLED_NULL = 3 };

/*
 * Fast exact CDF for the tests: piecewise cubic Hermite interpolation of F on |u| <= U from
 * values and derivatives on a uniform grid, F(-u) = 1 - F(u), direct evaluation beyond U.
 * The density is f(u) = (1 - u^2)^((n-3)/2) / B(1/2, (n-1)/2). Grid: U = min(12/sqrt(n), 1/2)
 * (12 standard deviations, where 1 - F < 1e-30 for large n), step h = U / ceil(100 U sqrt(n)),
 * i.e. at most 0.01 standard deviations: the Hermite error h^4 max|F''''| / 384 is ~1e-11
 * (tested against the direct evaluation to 1e-10; measured 3e-11). The direct route costs a
 * continued fraction, an exp and two logs per component; the table leaves the sort as the main
 * cost of a test (bench-vectors).
 */
static int cdf_table_build(rmtk_pt_plan *pl)
{
    double sn = sqrt((double)pl->n);
    pl->tab_u = fmin(12.0 / sn, 0.5);
    pl->ntab = (size_t)ceil(100.0 * pl->tab_u * sn);
    pl->tab_h = pl->tab_u / (double)pl->ntab;
    pl->tab = rmtk__malloc_array(2 * (pl->ntab + 1), sizeof(double));
    if (!pl->tab)
        return RMTK_ERR_NOMEM;
    double e = 0.5 * ((double)pl->n - 3.0);
    for (size_t i = 0; i <= pl->ntab; i++) {
        double u = (double)i * pl->tab_h;
        pl->tab[2 * i] = pt_cdf_lb(u, pl->b, pl->lnb);
        pl->tab[2 * i + 1] = exp(e * log1p(-u * u) - pl->lnb);
    }
    return RMTK_OK;
}

static double pt_cdf_fast(const rmtk_pt_plan *pl, double u)
{
    double au = fabs(u);
    if (!(au < pl->tab_u))
        return pt_cdf_lb(u, pl->b, pl->lnb);
    double q = au / pl->tab_h;
    size_t i = (size_t)q;
    if (i >= pl->ntab)
        i = pl->ntab - 1;
    double t = q - (double)i, h = pl->tab_h;
    const double *c = pl->tab + 2 * i; /* F0, f0, F1, f1 */
    double t2 = t * t, t3 = t2 * t;
    double f = (2 * t3 - 3 * t2 + 1) * c[0] + (t3 - 2 * t2 + t) * h * c[1] +
               (-2 * t3 + 3 * t2) * c[2] + (t3 - t2) * h * c[3];
    return u < 0.0 ? 1.0 - f : f;
}

rmtk_pt_params rmtk_pt_params_default(void)
{
    rmtk_pt_params p;
    memset(&p, 0, sizeof p);
    p.method = RMTK_PT_EXACT_MC;
    p.nsamples = 0;
    p.pooling_window = 0;
    p.ma_window = 0;
    p.seed = 0;
    p.alpha = 0.05;
    return p;
}

static uint64_t default_nsamples(int32_t method)
{
    switch (method) {
    case RMTK_PT_EXACT_MC:
        return 2000;
    case RMTK_PT_PAPER:
        return 5000;
    case RMTK_PT_STAATS:
        return 10000;
    default:
        return 0;
    }
}

static int check_params(const rmtk_pt_params *p)
{
    if (p->method < RMTK_PT_EXACT_MC || p->method > RMTK_PT_STAATS)
        return RMTK_ERR_ARG;
    if (!(p->alpha > 0.0 && p->alpha < 1.0))
        return RMTK_ERR_ARG;
    if (p->method != RMTK_PT_EXACT_KOLMOGOROV && p->nsamples != 0 && p->nsamples < 20)
        return RMTK_ERR_ARG;
    if (p->pooling_window != 0 && p->method != RMTK_PT_PAPER)
        return RMTK_ERR_ARG;
    if (p->pooling_window > ((uint64_t)1 << 20) || p->ma_window > ((uint64_t)1 << 40))
        return RMTK_ERR_ARG;
    return RMTK_OK;
}

/*
 * Guide table for Cbar lookups: G + 1 cells of equal width g_step over [c[0], c[K-1]];
 * guide[g] = first index j with c[j] >= c[0] + g g_step (K if none). A query then bisects only
 * within one cell (about 16 entries on average, G = K/16) instead of the whole 8 n nsamples-byte
 * array: a few cache misses per component instead of ~25.
 */
static int cbar_guide_build(rmtk_pt_plan *pl)
{
    const double *c = pl->cbar;
    size_t K = pl->ncbar, G = K / 16 + 1;
    pl->guide = rmtk__malloc_array(G + 1, sizeof(size_t));
    if (!pl->guide)
        return RMTK_ERR_NOMEM;
    pl->nguide = G;
    pl->g_lo = c[0];
    pl->g_step = (c[K - 1] - c[0]) / (double)G;
    size_t j = 0;
    for (size_t g = 0; g <= G; g++) {
        double edge = pl->g_lo + (double)g * pl->g_step;
        while (j < K && c[j] < edge)
            j++;
        pl->guide[g] = j;
    }
    return RMTK_OK;
}

/*
 * Linear interpolation of the reference CDF Cbar at x: the sorted pooled entries c[0..K) carry
 * the values j/(K-1); clamped to 0 below c[0] and 1 above c[K-1] (numpy.interp).
 */
static double cbar_eval(const rmtk_pt_plan *pl, double x)
{
    const double *c = pl->cbar;
    size_t K = pl->ncbar, G = pl->nguide;
    if (x < c[0])
        return 0.0;
    if (x >= c[K - 1])
        return 1.0;
    /* cell g with edge(g) <= x < edge(g+1), edges computed exactly as in the build */
    size_t g = pl->g_step > 0.0 ? (size_t)((x - pl->g_lo) / pl->g_step) : 0;
    if (g >= G)
        g = G - 1;
    while (g > 0 && x < pl->g_lo + (double)g * pl->g_step)
        g--;
    while (g + 1 < G && x >= pl->g_lo + (double)(g + 1) * pl->g_step)
        g++;
    /* largest j with c[j] <= x: c[guide[g] - 1] < edge(g) <= x (or j = 0, c[0] <= x), and
     * c[guide[g+1]] >= edge(g+1) > x (or K-1, c[K-1] > x) */
    size_t a = pl->guide[g] ? pl->guide[g] - 1 : 0, b = pl->guide[g + 1];
    if (b > K - 1)
        b = K - 1;
    if (a >= b)
        a = b - 1;
    while (a > 0 && c[a] > x) /* guards rounding at the cell edges */
        a--;
    while (b - a > 1) {
        size_t mid = a + (b - a) / 2;
        if (c[mid] <= x)
            a = mid;
        else
            b = mid;
    }
    double den = c[a + 1] - c[a];
    double t = den > 0.0 ? (x - c[a]) / den : 0.0;
    return ((double)a + t) / (double)(K - 1);
}

/*
 * KS statistic of the sorted sample x[0..m) under the plan's method (m = n, or pool * n):
 *   EXACT_*: D = max_i max(F(x_i) - i/m, (i+1)/m - F(x_i)), F = exact component CDF;
 *   PAPER:   D = max_i |Cbar(x_i) - i/(m-1)|;
 *   STAATS:  D = max_i |Phi(x_i sqrt n) - (i+1)/m|.
 */
static double pt_statistic(const rmtk_pt_plan *pl, const double *x, size_t m)
{
    double dmax = 0.0, dm = (double)m;
    switch (pl->par.method) {
    case RMTK_PT_PAPER: {
        for (size_t i = 0; i < m; i++) {
            double f = cbar_eval(pl, x[i]);
            double dd = fabs(f - (double)i / (dm - 1.0));
            if (dd > dmax)
                dmax = dd;
        }
        break;
    }
    case RMTK_PT_STAATS: {
        double sc = sqrt(0.5 * (double)pl->n);
        for (size_t i = 0; i < m; i++) {
            double f = 0.5 * erfc(-x[i] * sc);
            double dd = fabs(f - (double)(i + 1) / dm);
            if (dd > dmax)
                dmax = dd;
        }
        break;
    }
    default:
        for (size_t i = 0; i < m; i++) {
            double f = pt_cdf_fast(pl, x[i]);
            double lo = f - (double)i / dm, hi = (double)(i + 1) / dm - f;
            if (lo > dmax)
                dmax = lo;
            if (hi > dmax)
                dmax = hi;
        }
        break;
    }
    return dmax;
}

/* Normalise x[0..n) to unit length; RMTK_ERR_NUMERIC for a zero or non-finite vector. */
static int normalise(double *x, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    if (!(s > 0.0) || !isfinite(s))
        return RMTK_ERR_NUMERIC;
    double r = 1.0 / sqrt(s);
    for (size_t i = 0; i < n; i++)
        x[i] *= r;
    return RMTK_OK;
}

/* Random unit vector number idx of a stream into x[0..n): n standard normals, normalised. */
static void random_unit(uint64_t seed, uint64_t stream, uint64_t idx, size_t n, double *x)
{
    rmtk_rng_fill_normal(seed, stream, idx * (uint64_t)n, x, n);
    (void)normalise(x, n); /* a zero Gaussian vector has probability 0 */
}

int rmtk_pt_plan_alloc(size_t n, const rmtk_pt_params *params, rmtk_pt_plan **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    rmtk_pt_params par = params ? *params : rmtk_pt_params_default();
    int st = check_params(&par);
    if (st)
        return st;
    if (n < 2 || (par.method == RMTK_PT_PAPER && n < 3) || n > ((size_t)1 << 40))
        return RMTK_ERR_ARG;
    if (par.nsamples == 0)
        par.nsamples = default_nsamples(par.method);
    size_t pool = par.pooling_window ? (size_t)(2 * par.pooling_window) : 1;
    uint64_t m64;
    if (!rmtk__mul_u64(pool, n, &m64) || m64 > ((uint64_t)1 << 40))
        return RMTK_ERR_ARG;

    rmtk_pt_plan *pl = rmtk__calloc(1, sizeof *pl);
    if (!pl)
        return RMTK_ERR_NOMEM;
    pl->n = n;
    pl->par = par;
    pl->pool = pool;
    pl->b = 0.5 * (double)(n - 1);
    pl->lnb = lbeta(0.5, pl->b);
    size_t m = pool * n;
    pl->scratch = rmtk__malloc_array(m, sizeof(double));
    if (!pl->scratch)
        goto nomem;
    if ((par.method == RMTK_PT_EXACT_MC || par.method == RMTK_PT_EXACT_KOLMOGOROV) &&
        cdf_table_build(pl) != RMTK_OK)
        goto nomem;

    if (par.method == RMTK_PT_PAPER) {
        /* Step 1: reference CDF from nsamples random unit vectors, all entries pooled. */
        uint64_t K;
        if (!rmtk__mul_u64(par.nsamples, n, &K) || K > SIZE_MAX / sizeof(double))
            goto nomem;
        pl->ncbar = (size_t)K;
        pl->cbar = rmtk__malloc_array(pl->ncbar, sizeof(double));
        if (!pl->cbar)
            goto nomem;
        for (uint64_t s = 0; s < par.nsamples; s++)
            random_unit(par.seed, PT_STREAM(PT_PURPOSE_REF, n), s, n, pl->cbar + s * n);
        rmtk_sort(pl->cbar, pl->ncbar);
        if (cbar_guide_build(pl) != RMTK_OK)
            goto nomem;
    }
    if (par.method != RMTK_PT_EXACT_KOLMOGOROV) {
        /* Step 2: null distribution of D from fresh unit vectors (pools of them). */
        pl->nnull = (size_t)par.nsamples;
        pl->null_d = rmtk__malloc_array(pl->nnull, sizeof(double));
        if (!pl->null_d)
            goto nomem;
        uint64_t stream = PT_STREAM(pool > 1 ? PT_PURPOSE_POOLED_NULL : PT_PURPOSE_NULL, n);
        for (size_t s = 0; s < pl->nnull; s++) {
            for (size_t v = 0; v < pool; v++)
                random_unit(par.seed, stream, (uint64_t)s * pool + v, n, pl->scratch + v * n);
            rmtk_sort(pl->scratch, m);
            pl->null_d[s] = pt_statistic(pl, pl->scratch, m);
        }
        rmtk_sort(pl->null_d, pl->nnull);
    }
    *out = pl;
    return RMTK_OK;
nomem:
    rmtk_pt_plan_free(pl);
    return RMTK_ERR_NOMEM;
}

void rmtk_pt_plan_free(rmtk_pt_plan *pl)
{
    if (!pl)
        return;
    rmtk__free(pl->cbar);
    rmtk__free(pl->tab);
    rmtk__free(pl->guide);
    rmtk__free(pl->null_d);
    rmtk__free(pl->scratch);
    rmtk__free(pl);
}

int rmtk_pt_plan_null_quantile(const rmtk_pt_plan *pl, double q, double *d)
{
    if (!pl || !d || !pl->null_d)
        return RMTK_ERR_ARG;
    return rmtk_quantile_sorted(pl->null_d, pl->nnull, q, d);
}

/* p-value of statistic d of m entries under the plan's method (see rmtk.h). */
static double pt_pvalue(const rmtk_pt_plan *pl, double d, size_t m)
{
    size_t ns = pl->nnull;
    switch (pl->par.method) {
    case RMTK_PT_EXACT_KOLMOGOROV:
        return rmtk_ks_pvalue(m, d);
    case RMTK_PT_EXACT_MC: {
        /* p = (1 + #{D_null >= d}) / (ns + 1): the Monte-Carlo p-value with exact size. */
        size_t ge = ns - rmtk__count_lt(pl->null_d, ns, d);
        return (1.0 + (double)ge) / ((double)ns + 1.0);
    }
    case RMTK_PT_STAATS:
        /* p = 1 - ECDF_null(d) = #{D_null > d} / ns */
        return (double)(ns - rmtk__count_le(pl->null_d, ns, d)) / (double)ns;
    default: {
        /* PAPER: p = 1 - C(d), C = interp(d, sorted null, j/(ns-1)), clamped. */
        const double *z = pl->null_d;
        if (d < z[0])
            return 1.0;
        if (d >= z[ns - 1])
            return 0.0;
        size_t j = rmtk__count_le(z, ns, d) - 1; /* z[j] <= d < z[j+1] */
        double den = z[j + 1] - z[j];
        double t = den > 0.0 ? (d - z[j]) / den : 0.0;
        return 1.0 - ((double)j + t) / (double)(ns - 1);
    }
    }
}

/* Test the sample made of vectors first..first+pool-1: statistic and p-value. */
static int pt_test_block(rmtk_pt_plan *pl, const double *x, size_t first, double *d, double *p)
{
    size_t n = pl->n, m = pl->pool * n;
    memcpy(pl->scratch, x + first * n, m * sizeof(double));
    for (size_t v = 0; v < pl->pool; v++) {
        int st = normalise(pl->scratch + v * n, n);
        if (st)
            return st;
    }
    rmtk_sort(pl->scratch, m);
    *d = pt_statistic(pl, pl->scratch, m);
    *p = pt_pvalue(pl, *d, m);
    return RMTK_OK;
}

/* Moving average over [i - w, i + w) clipped to [0, k), by prefix sums; tmp has k + 1 slots. */
static void moving_average(double *p, size_t k, size_t w, double *tmp)
{
    tmp[0] = 0.0;
    for (size_t i = 0; i < k; i++)
        tmp[i + 1] = tmp[i] + p[i];
    for (size_t i = 0; i < k; i++) {
        size_t a = i >= w ? i - w : 0, b = i + w < k ? i + w : k;
        p[i] = (tmp[b] - tmp[a]) / (double)(b - a);
    }
}

int rmtk_pt_test(rmtk_pt_plan *pl, const double *x, size_t k, double *d, double *p)
{
    if (!pl || !x || k == 0 || k < pl->pool)
        return RMTK_ERR_ARG;
    double *pw = NULL, *tmp = NULL;
    if (pl->par.ma_window || !p) {
        pw = rmtk__malloc_array(k + 1, sizeof(double));
        tmp = rmtk__malloc_array(k + 1, sizeof(double));
        if (!pw || !tmp) {
            rmtk__free(pw);
            rmtk__free(tmp);
            return RMTK_ERR_NOMEM;
        }
    }
    double *pp = pw ? pw : p;
    int st = RMTK_OK;
    size_t P = pl->pool;
    for (size_t first = 0; first < k; first += P) {
        size_t start = first + P <= k ? first : k - P; /* last pool: the last P vectors */
        double dv, pv;
        st = pt_test_block(pl, x, start, &dv, &pv);
        if (st)
            break;
        for (size_t j = start; j < start + P; j++) {
            if (j < first) {
                /* overlap with the previous pool: keep the smaller p (and its D) */
                if (pv < pp[j]) {
                    pp[j] = pv;
                    if (d)
                        d[j] = dv;
                }
                continue;
            }
            pp[j] = pv;
            if (d)
                d[j] = dv;
        }
    }
    if (st == RMTK_OK && pl->par.ma_window)
        moving_average(pp, k, (size_t)pl->par.ma_window, tmp);
    if (st == RMTK_OK && p && pw)
        memcpy(p, pw, k * sizeof(double));
    rmtk__free(pw);
    rmtk__free(tmp);
    return st;
}

/* ---- per-matrix analysis ------------------------------------------------------------------ */

struct rmtk_vectors_ws {
    rmtk_pt_params par;
    rmtk_pt_plan **plans; /* one per dimension seen */
    size_t nplans, cap;
};

int rmtk_vectors_ws_alloc(const rmtk_pt_params *params, rmtk_vectors_ws **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    rmtk_pt_params par = params ? *params : rmtk_pt_params_default();
    int st = check_params(&par);
    if (st)
        return st;
    rmtk_vectors_ws *ws = rmtk__calloc(1, sizeof *ws);
    if (!ws)
        return RMTK_ERR_NOMEM;
    ws->par = par;
    *out = ws;
    return RMTK_OK;
}

void rmtk_vectors_ws_free(rmtk_vectors_ws *ws)
{
    if (!ws)
        return;
    for (size_t i = 0; i < ws->nplans; i++)
        rmtk_pt_plan_free(ws->plans[i]);
    rmtk__free(ws->plans);
    rmtk__free(ws);
}

static int ws_plan(rmtk_vectors_ws *ws, size_t n, rmtk_pt_plan **out)
{
    for (size_t i = 0; i < ws->nplans; i++)
        if (ws->plans[i]->n == n) {
            *out = ws->plans[i];
            return RMTK_OK;
        }
    if (ws->nplans == ws->cap) {
        size_t cap = ws->cap ? 2 * ws->cap : 4;
        rmtk_pt_plan **np = rmtk__realloc(ws->plans, cap * sizeof *np);
        if (!np)
            return RMTK_ERR_NOMEM;
        ws->plans = np;
        ws->cap = cap;
    }
    int st = rmtk_pt_plan_alloc(n, &ws->par, out);
    if (st)
        return st;
    ws->plans[ws->nplans++] = *out;
    return RMTK_OK;
}

typedef struct {
    double s;
    size_t idx;
} sv_rank;

static int cmp_sv_desc(const void *a, const void *b)
{
    const sv_rank *x = a, *y = b;
    if (x->s > y->s)
        return -1;
    if (x->s < y->s)
        return 1;
    return (x->idx > y->idx) - (x->idx < y->idx); /* stable on ties */
}

/*
 * Per-matrix Porter-Thomas analysis. Vector j (left and right) has rank r_j among the singular
 * values (0 = largest) and decile floor(10 r_j / k). Rejected: p <= alpha. Fractions are over
 * the 2k vectors (left and right counted separately); IPR means likewise.
 */
int rmtk_vectors_analyze(rmtk_vectors_ws *ws, const double *u, size_t rows, const double *v,
                         size_t cols, size_t k, const double *s, rmtk_vectors_result *res)
{
    if (!ws || !u || !v || !res || k == 0 || rows < 2 || cols < 2 || k > rows || k > cols)
        return RMTK_ERR_ARG;
    size_t P = ws->par.pooling_window ? (size_t)(2 * ws->par.pooling_window) : 1;
    if (k < P || (ws->par.method == RMTK_PT_PAPER && (rows < 3 || cols < 3)))
        return RMTK_ERR_ARG;
    if (s)
        for (size_t j = 0; j < k; j++)
            if (isnan(s[j]))
                return RMTK_ERR_ARG;

    rmtk_pt_plan *pu, *pv;
    int st = ws_plan(ws, rows, &pu);
    if (st)
        return st;
    st = ws_plan(ws, cols, &pv);
    if (st)
        return st;

    double *work = rmtk__malloc_array(4 * k, sizeof(double));
    sv_rank *rk = rmtk__malloc_array(k, sizeof *rk);
    if (!work || !rk) {
        rmtk__free(work);
        rmtk__free(rk);
        return RMTK_ERR_NOMEM;
    }
    double *pl = work, *pr = work + k, *il = work + 2 * k, *ir = work + 3 * k;
    st = rmtk_pt_test(pu, u, k, NULL, pl);
    if (!st)
        st = rmtk_pt_test(pv, v, k, NULL, pr);
    for (size_t j = 0; j < k && !st; j++) {
        st = rmtk_ipr(u + j * rows, rows, &il[j]);
        if (!st)
            st = rmtk_ipr(v + j * cols, cols, &ir[j]);
    }
    if (st) {
        rmtk__free(work);
        rmtk__free(rk);
        return st;
    }

    for (size_t j = 0; j < k; j++) {
        rk[j].s = s ? s[j] : -(double)j;
        rk[j].idx = j;
    }
    if (s)
        qsort(rk, k, sizeof *rk, cmp_sv_desc);
    double alpha = ws->par.alpha;
    size_t rej_l = 0, rej_r = 0, dec_n[10] = {0}, dec_rej[10] = {0};
    double sil = 0.0, sir = 0.0;
    for (size_t r = 0; r < k; r++) {
        size_t j = rk[r].idx, dec = (10 * r) / k;
        int a = pl[j] <= alpha, b = pr[j] <= alpha;
        rej_l += (size_t)a;
        rej_r += (size_t)b;
        dec_n[dec] += 2;
        dec_rej[dec] += (size_t)(a + b);
    }
    for (size_t j = 0; j < k; j++) {
        sil += il[j];
        sir += ir[j];
    }
    res->alpha = alpha;
    res->k = k;
    res->pt_frac_rejected_left = (double)rej_l / (double)k;
    res->pt_frac_rejected_right = (double)rej_r / (double)k;
    res->pt_frac_rejected = (double)(rej_l + rej_r) / (double)(2 * k);
    for (int dd = 0; dd < 10; dd++)
        res->pt_decile_frac_rejected[dd] =
            dec_n[dd] ? (double)dec_rej[dd] / (double)dec_n[dd] : NAN;
    res->pt_top_decile_frac_rejected = res->pt_decile_frac_rejected[0];
    res->ipr_mean_left = sil / (double)k;
    res->ipr_mean_right = sir / (double)k;
    res->ipr_mean = 0.5 * (res->ipr_mean_left + res->ipr_mean_right);
    res->ipr_ref = 0.5 * (3.0 / ((double)rows + 2.0) + 3.0 / ((double)cols + 2.0));
    if (res->p_left)
        memcpy(res->p_left, pl, k * sizeof(double));
    if (res->p_right)
        memcpy(res->p_right, pr, k * sizeof(double));
    if (res->ipr_left)
        memcpy(res->ipr_left, il, k * sizeof(double));
    if (res->ipr_right)
        memcpy(res->ipr_right, ir, k * sizeof(double));
    rmtk__free(work);
    rmtk__free(rk);
    return RMTK_OK;
}
