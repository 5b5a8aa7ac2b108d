/*
 * levels.c: the level statistics of a spectrum (methods.md 1.4 C, D, 4.3, 4.4): nearest-neighbour
 * spacings and their KS tests, Brody fits (maximum likelihood and the paper's least squares on
 * the empirical CDF, both with a bootstrap), spacing ratios, the number variance (exact over all
 * windows, and the paper's Monte-Carlo estimator), the spectral rigidity, and the per-matrix
 * entry point rmtk_levels_analyze that the analysis pipeline calls. The reference laws live in
 * levels-ref.c, the unfolding in unfold.c.
 */
#include "levels-internal.h"

#include <math.h>
#include <string.h>

int rmtk_spacings(const double *xi, size_t n, double *d)
{
    if (!xi || !d || n < 2)
        return RMTK_ERR_ARG;
    for (size_t j = 0; j + 1 < n; j++)
        d[j] = xi[j + 1] - xi[j];
    return RMTK_OK;
}

/* ---- Brody fits -------------------------------------------------------------------------- */

/* Weighted sample for the fits: distinct values x[k] with multiplicities c[k] (a bootstrap
 * resample of sorted data is the sorted data with multiplicities, so no resort is needed). */

/* ML score and its derivative in a = beta + 1 for the mean log-likelihood
 *   l(a) = log a + C(a) + (a - 1) <log s> - e^C(a) <s^a>,   C(a) = a lgamma(1 + 1/a) = log c,
 *   C'(a) = lgamma(1 + 1/a) - psi(1 + 1/a)/a,  C''(a) = psi'(1 + 1/a)/a^3,
 *   l'  = 1/a + C' + <log s> - c (C' <s^a> + <s^a log s>),
 *   l'' = -1/a^2 + C'' - c ((C'^2 + C'') <s^a> + 2 C' <s^a log s> + <s^a log^2 s>). */
static void brody_score(const double *lx, const double *c, size_t m, double wsum, double mlog,
                        double a, double *g, double *h)
{
    double m0 = 0.0, m1 = 0.0, m2 = 0.0;
    for (size_t k = 0; k < m; k++) {
        if (c[k] == 0.0)
            continue;
        double e = c[k] * exp(a * lx[k]);
        m0 += e;
        m1 += e * lx[k];
        m2 += e * lx[k] * lx[k];
    }
    m0 /= wsum;
    m1 /= wsum;
    m2 /= wsum;
    double ia = 1.0 / a, lg = lgamma(1.0 + ia), ps = rmtk__digamma(1.0 + ia);
    double C = a * lg, C1 = lg - ps * ia, C2 = rmtk__trigamma(1.0 + ia) * ia * ia * ia;
    double cc = exp(C);
    *g = ia + C1 + mlog - cc * (C1 * m0 + m1);
    *h = -ia * ia + C2 - cc * ((C1 * C1 + C2) * m0 + 2.0 * C1 * m1 + m2);
}

#define BRODY_AMAX 51.0 /* beta <= 50 */

/* Maximise l(a) on [1, BRODY_AMAX]: Newton on l' = 0 inside a bisection bracket. */
static double brody_ml_weighted(const double *lx, const double *c, size_t m)
{
    double wsum = 0.0, mlog = 0.0;
    for (size_t k = 0; k < m; k++) {
        wsum += c[k];
        mlog += c[k] * lx[k];
    }
    mlog /= wsum;
    double lo = 1.0, hi = BRODY_AMAX, g, h;
    brody_score(lx, c, m, wsum, mlog, lo, &g, &h);
    if (g <= 0.0)
        return 0.0;
    brody_score(lx, c, m, wsum, mlog, hi, &g, &h);
    if (g >= 0.0)
        return BRODY_AMAX - 1.0;
    double a = 2.0;
    for (int it = 0; it < 200; it++) {
        brody_score(lx, c, m, wsum, mlog, a, &g, &h);
        if (g > 0.0)
            lo = a;
        else
            hi = a;
        double an = (h < 0.0) ? a - g / h : 0.5 * (lo + hi);
        if (!(an > lo && an < hi))
            an = 0.5 * (lo + hi);
        if (fabs(an - a) < 1e-12 * a || hi - lo < 1e-12) {
            a = an;
            break;
        }
        a = an;
    }
    return a - 1.0;
}

int rmtk_brody_fit_ml(const double *d, size_t n, size_t n_boot, uint64_t seed, double *beta,
                      double *err, size_t *n_excluded)
{
    if (!d || !beta || !err)
        return RMTK_ERR_ARG;
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(d[i]))
            return RMTK_ERR_ARG;
        m += d[i] > 0.0;
    }
    if (n_excluded)
        *n_excluded = n - m;
    if (m < 3)
        return RMTK_ERR_NUMERIC;
    double *lx = rmtk__malloc_array(m, sizeof(double));
    double *c = rmtk__malloc_array(m, sizeof(double));
    if (!lx || !c) {
        rmtk__free(lx);
        rmtk__free(c);
        return RMTK_ERR_NOMEM;
    }
    for (size_t i = 0, k = 0; i < n; i++)
        if (d[i] > 0.0) {
            lx[k] = log(d[i]);
            c[k++] = 1.0;
        }
    *beta = brody_ml_weighted(lx, c, m);
    *err = 0.0;
    if (n_boot >= 2) {
        rmtk_rng r;
        rmtk_rng_init(&r, seed, 0);
        double s1 = 0.0, s2 = 0.0;
        for (size_t b = 0; b < n_boot; b++) {
            memset(c, 0, m * sizeof *c);
            for (size_t i = 0; i < m; i++)
                c[rmtk_rng_below(&r, m)] += 1.0;
            double bb = brody_ml_weighted(lx, c, m) - *beta;
            s1 += bb;
            s2 += bb * bb;
        }
        double var = (s2 - s1 * s1 / (double)n_boot) / (double)(n_boot - 1);
        *err = sqrt(var > 0.0 ? var : 0.0);
    }
    rmtk__free(lx);
    rmtk__free(c);
    return RMTK_OK;
}

/* Least squares of the Brody CDF to the ECDF points (x_(i), i/n) of a weighted sorted sample:
 * group k (value x_k, multiplicity c_k, ranks I_k .. I_k + c_k - 1) contributes
 * c_k F_k^2 - 2 F_k S_k + const, S_k = sum of its ranks / n. Objective
 * Q(a) = sum_k (c_k F_k^2 - 2 F_k S_k), F = 1 - exp(-e^C(a) x^a),
 * with u = e^C x^a, u' = u (C' + log x), u'' = u ((C' + log x)^2 + C''):
 * dF/da = e^-u u', d2F/da2 = e^-u (u'' - u'^2), Q' = 2 sum (c F - S) F',
 * Q'' = 2 sum (c F'^2 + (c F - S) F''). Newton (Gauss-Newton where Q'' <= 0) with step halving,
 * a >= 1. */
static void brody_ls_eval(const double *x, const double *lx, const double *c, const double *S,
                          size_t m, double a, double *q, double *g, double *h)
{
    double ia = 1.0 / a, lg = lgamma(1.0 + ia);
    double cc = exp(a * lg), C1 = lg - rmtk__digamma(1.0 + ia) * ia;
    double C2 = rmtk__trigamma(1.0 + ia) * ia * ia * ia;
    double sq = 0.0, sg = 0.0, sh = 0.0, sgn = 0.0;
    for (size_t k = 0; k < m; k++) {
        if (c[k] == 0.0)
            continue;
        double F = 0.0, dF = 0.0, d2F = 0.0;
        if (x[k] > 0.0) {
            double u = cc * exp(a * lx[k]), e = exp(-u), l = C1 + lx[k];
            double u1 = u * l, u2 = u * (l * l + C2);
            F = 1.0 - e; /* absolute error 1e-16 is all the residuals need */
            dF = e * u1;
            d2F = e * (u2 - u1 * u1);
        }
        double res = c[k] * F - S[k];
        sq += c[k] * F * F - 2.0 * F * S[k];
        sg += 2.0 * res * dF;
        sgn += 2.0 * c[k] * dF * dF;
        sh += 2.0 * res * d2F;
    }
    *q = sq;
    *g = sg;
    *h = sgn + sh > 0.0 ? sgn + sh : sgn;
}

static double brody_ls_weighted(const double *x, const double *lx, const double *c, double *S,
                                size_t m, size_t n)
{
    double rank = 0.0;
    for (size_t k = 0; k < m; k++) {
        /* ranks rank .. rank + c_k - 1, each / n */
        S[k] = c[k] * (rank + 0.5 * (c[k] - 1.0)) / (double)n;
        rank += c[k];
    }
    double a = 2.0, q, g, h;
    brody_ls_eval(x, lx, c, S, m, a, &q, &g, &h);
    for (int it = 0; it < 100; it++) {
        double step = h > 0.0 ? -g / h : -g;
        if (fabs(step) < 1e-10 * a) { /* converged: the last step is below rounding of Q */
            a = RMTK_MIN(RMTK_MAX(a + step, 1.0), BRODY_AMAX);
            break;
        }
        double an = a + step, qn = q, gn = g, hn = h;
        int accepted = 0;
        for (int half = 0; half < 30; half++) {
            if (an < 1.0)
                an = 1.0;
            if (an > BRODY_AMAX)
                an = BRODY_AMAX;
            brody_ls_eval(x, lx, c, S, m, an, &qn, &gn, &hn);
            if (qn <= q) {
                accepted = 1;
                break;
            }
            an = a + 0.5 * (an - a);
        }
        if (!accepted)
            break;
        double da = fabs(an - a);
        a = an;
        q = qn;
        g = gn;
        h = hn;
        if (da < 1e-12 * a)
            break;
    }
    return a - 1.0;
}

int rmtk_brody_fit_ls(const double *d, size_t n, size_t n_boot, uint64_t seed, double *beta,
                      double *err)
{
    if (!d || !beta || !err)
        return RMTK_ERR_ARG;
    size_t npos = 0;
    for (size_t i = 0; i < n; i++) {
        if (isnan(d[i]))
            return RMTK_ERR_ARG;
        npos += d[i] > 0.0;
    }
    if (npos < 3)
        return RMTK_ERR_NUMERIC;
    double *x = rmtk__malloc_array(n, sizeof(double));
    double *lx = rmtk__malloc_array(n, sizeof(double));
    double *c = rmtk__malloc_array(n, sizeof(double));
    double *S = rmtk__malloc_array(n, sizeof(double));
    if (!x || !lx || !c || !S) {
        rmtk__free(x);
        rmtk__free(lx);
        rmtk__free(c);
        rmtk__free(S);
        return RMTK_ERR_NOMEM;
    }
    memcpy(x, d, n * sizeof *x);
    rmtk_sort(x, n);
    for (size_t i = 0; i < n; i++) {
        lx[i] = x[i] > 0.0 ? log(x[i]) : 0.0;
        c[i] = 1.0;
    }
    if (n_boot == 0) {
        *beta = brody_ls_weighted(x, lx, c, S, n, n);
        *err = 0.0;
    } else {
        rmtk_rng r;
        rmtk_rng_init(&r, seed, 1);
        double s1 = 0.0, s2 = 0.0;
        for (size_t b = 0; b < n_boot; b++) {
            memset(c, 0, n * sizeof *c);
            for (size_t i = 0; i < n; i++)
                c[rmtk_rng_below(&r, n)] += 1.0;
            double bb = brody_ls_weighted(x, lx, c, S, n, n);
            s1 += bb;
            s2 += bb * bb;
        }
        double mean = s1 / (double)n_boot;
        *beta = mean;
        double var = n_boot > 1 ? (s2 - s1 * mean) / (double)(n_boot - 1) : 0.0;
        *err = sqrt(var > 0.0 ? var : 0.0);
    }
    rmtk__free(x);
    rmtk__free(lx);
    rmtk__free(c);
    rmtk__free(S);
    return RMTK_OK;
}

/* ---- spacing ratios ---------------------------------------------------------------------- */

static int ratios_sorted(const double *s, size_t n, double *r, size_t *m)
{
    size_t k = 0;
    for (size_t i = 1; i + 1 < n; i++) {
        double g0 = s[i] - s[i - 1], g1 = s[i + 1] - s[i];
        double lo = g0 < g1 ? g0 : g1, hi = g0 < g1 ? g1 : g0;
        if (hi > 0.0)
            r[k++] = lo / hi;
    }
    *m = k;
    return RMTK_OK;
}

int rmtk_spacing_ratios(const double *levels, size_t n, double *r, size_t *m)
{
    if (!levels || !r || !m)
        return RMTK_ERR_ARG;
    *m = 0;
    if (n < 3)
        return RMTK_ERR_NUMERIC;
    double *s;
    int st = rmtk__sorted_finite_copy(levels, n, &s);
    if (st != RMTK_OK)
        return st;
    ratios_sorted(s, n, r, m);
    rmtk__free(s);
    return RMTK_OK;
}

/* Batch means: with B = floor(m/10) blocks of 10 consecutive ratios, sem = sd(block means)/sqrt(B)
 * (the tail beyond 10 B ratios joins the mean but not the blocks). m < 100: sd/sqrt(m). */
int rmtk_ratio_mean(const double *r, size_t m, double *mean, double *sem)
{
    if (!r || !mean || !sem || m == 0)
        return RMTK_ERR_ARG;
    double s = 0.0;
    for (size_t i = 0; i < m; i++)
        s += r[i];
    double mu = s / (double)m;
    *mean = mu;
    if (m < 2) {
        *sem = NAN;
        return RMTK_OK;
    }
    size_t bl = m >= 100 ? 10 : 1, nb = m / bl;
    double v = 0.0;
    for (size_t b = 0; b < nb; b++) {
        double bm = 0.0;
        for (size_t i = 0; i < bl; i++)
            bm += r[b * bl + i];
        bm = bm / (double)bl - mu;
        v += bm * bm;
    }
    v /= (double)(nb - 1);
    *sem = sqrt(v / (double)nb);
    return RMTK_OK;
}

/* ---- number variance --------------------------------------------------------------------- */

/* Exact all-window average. n(c) = #{xi_k <= c + L/2} - #{xi_k < c - L/2} jumps up by one at each
 * u_k = xi_k - L/2 and down by one after each d_k = xi_k + L/2; both sequences are sorted, so a
 * merge walks the piecewise-constant n(c) over c in [a, b] = [xi_0 + L/2, xi_{n-1} - L/2] and
 * integrates (n - L) and (n - L)^2 exactly (shifted by L to avoid cancellation).
 * Sigma^2 = <(n - L)^2> - <n - L>^2. */
int rmtk_number_variance(const double *xi, size_t n, double L, double *sigma2)
{
    if (!xi || !sigma2 || !(L > 0.0) || n < 2)
        return RMTK_ERR_ARG;
    double h = 0.5 * L, a = xi[0] + h, b = xi[n - 1] - h;
    if (!(b > a))
        return RMTK_ERR_NUMERIC;
    size_t p = 0, q = 0;
    while (p < n && xi[p] - h <= a)
        p++;
    while (q < n && xi[q] + h < a)
        q++;
    double cnt = (double)p - (double)q, c = a, s1 = 0.0, s2 = 0.0;
    for (;;) {
        double nu = p < n ? xi[p] - h : INFINITY, nd = q < n ? xi[q] + h : INFINITY;
        double next = nu <= nd ? nu : nd;
        if (next > b)
            next = b;
        double dc = next - c, e = cnt - L;
        s1 += dc * e;
        s2 += dc * e * e;
        c = next;
        if (c >= b)
            break;
        if (nu <= nd) {
            p++;
            cnt += 1.0;
        } else {
            q++;
            cnt -= 1.0;
        }
    }
    double len = b - a, m1 = s1 / len;
    *sigma2 = s2 / len - m1 * m1;
    return RMTK_OK;
}

rmtk_nv_mc_params rmtk_nv_mc_params_default(void)
{
    rmtk_nv_mc_params p;
    p.tol = 1e-3;
    p.min_iter = 1000;
    p.max_iter = 1000000;
    p.seed = 0;
    return p;
}

/* The paper's estimator (methods.md 1.4 D, empyricalRMT): centres c ~ U[a, b]; running moments
 * of n(c); stop when k > min_iter and the last min_iter running estimates span < tol, or at
 * max_iter. The moments are accumulated about L (Welford-free but shift-stabilised). The
 * standard error uses the delta method for a sample variance: se^2 = (m4 - s^4)/K with central
 * moments m4, s^2 of the K counts. */
int rmtk_number_variance_mc(const double *xi, size_t n, double L, const rmtk_nv_mc_params *p,
                            double *sigma2, double *se, uint64_t *iters)
{
    if (!xi || !p || !sigma2 || !se || !(L > 0.0) || n < 2 || p->min_iter < 1 ||
        p->max_iter < p->min_iter || !(p->tol >= 0.0))
        return RMTK_ERR_ARG;
    double h = 0.5 * L, a = xi[0] + h, b = xi[n - 1] - h;
    if (!(b > a))
        return RMTK_ERR_NUMERIC;
    /* The span of the last W = min_iter running estimates by two monotone deques of step
     * indices (sliding-window max and min, amortised O(1) per step instead of O(W)). Each deque
     * is a ring of W + 1 slots holding indices into est_ring (also W + 1 slots). */
    uint64_t W = p->min_iter;
    double *est_ring = rmtk__malloc_array(W + 1, sizeof(double));
    uint64_t *dmax = rmtk__malloc_array(W + 1, sizeof(uint64_t));
    uint64_t *dmin = rmtk__malloc_array(W + 1, sizeof(uint64_t));
    if (!est_ring || !dmax || !dmin) {
        rmtk__free(est_ring);
        rmtk__free(dmax);
        rmtk__free(dmin);
        return RMTK_ERR_NOMEM;
    }
    uint64_t hmax = 0, tmax = 0, hmin = 0, tmin = 0; /* head/tail counters, slot = c % (W+1) */
    rmtk_rng r;
    rmtk_rng_init(&r, p->seed, 2);
    double m[5] = {0, 0, 0, 0, 0}; /* raw moment sums of e = n - L */
    uint64_t k = 0;
    double est = 0.0;
    const uint64_t R = W + 1;
    for (;;) {
        double c = a + (b - a) * rmtk_rng_uniform(&r);
        double e = (double)rmtk__count_le(xi, n, c + h) - (double)rmtk__count_lt(xi, n, c - h) - L;
        double e2 = e * e;
        m[1] += e;
        m[2] += e2;
        m[3] += e2 * e;
        m[4] += e2 * e2;
        k++;
        double mu = m[1] / (double)k;
        est = m[2] / (double)k - mu * mu;
        /* step k (1-based) enters; steps <= k - W leave the window */
        est_ring[k % R] = est;
        while (tmax > hmax && est_ring[dmax[(tmax - 1) % R] % R] <= est)
            tmax--;
        dmax[tmax++ % R] = k;
        while (tmin > hmin && est_ring[dmin[(tmin - 1) % R] % R] >= est)
            tmin--;
        dmin[tmin++ % R] = k;
        while (dmax[hmax % R] + W <= k)
            hmax++;
        while (dmin[hmin % R] + W <= k)
            hmin++;
        if (k > W) {
            double hi = est_ring[dmax[hmax % R] % R], lo = est_ring[dmin[hmin % R] % R];
            if (hi - lo < p->tol)
                break;
        }
        if (k >= p->max_iter)
            break;
    }
    double K = (double)k, mu = m[1] / K, r2 = m[2] / K, r3 = m[3] / K, r4 = m[4] / K;
    double c4 = r4 - 4.0 * mu * r3 + 6.0 * mu * mu * r2 - 3.0 * mu * mu * mu * mu;
    *sigma2 = est;
    double v = (c4 - est * est) / K;
    *se = sqrt(v > 0.0 ? v : 0.0);
    if (iters)
        *iters = k;
    rmtk__free(est_ring);
    rmtk__free(dmax);
    rmtk__free(dmin);
    return RMTK_OK;
}

/* ---- spectral rigidity ------------------------------------------------------------------- */

/* For a window [x, x + L] holding levels at offsets e_1 <= ... <= e_k, the staircase minus its
 * value at x is N(t) = #{e_i <= t}, and the least-squares line (Bohigas-Giannoni) leaves
 *   L Delta = int N^2 - (int N)^2 / L - 12/L^3 (int (t - L/2) N)^2
 * with int N = sum (L - e_i), int N^2 = sum (2i - 1)(L - e_i), int (t - L/2) N =
 * sum e_i (L - e_i) / 2 (constant shifts of N are absorbed by B). REF: Bohigas & Giannoni,
 * Ann. Phys. 89 (1975) 393; methods.md 4.4. */
int rmtk_delta3(const double *xi, size_t n, double L, double step, double *delta3)
{
    if (!xi || !delta3 || !(L > 0.0) || n < 2 || isnan(step))
        return RMTK_ERR_ARG;
    if (step <= 0.0)
        step = 0.25;
    if (!(xi[n - 1] - xi[0] >= L))
        return RMTK_ERR_NUMERIC;
    size_t nw = (size_t)floor((xi[n - 1] - xi[0] - L) / step) + 1;
    size_t lo = 0, hi = 0;
    double acc = 0.0;
    for (size_t w = 0; w < nw; w++) {
        double x = xi[0] + (double)w * step;
        while (lo < n && xi[lo] < x)
            lo++;
        if (hi < lo)
            hi = lo;
        while (hi < n && xi[hi] <= x + L)
            hi++;
        double s1 = 0.0, s2 = 0.0, s3 = 0.0;
        for (size_t i = lo; i < hi; i++) {
            double e = xi[i] - x, le = L - e, rank = (double)(i - lo + 1);
            s1 += le;
            s2 += (2.0 * rank - 1.0) * le;
            s3 += 0.5 * e * le;
        }
        acc += (s2 - s1 * s1 / L - 12.0 * s3 * s3 / (L * L * L)) / L;
    }
    *delta3 = acc / (double)nw;
    return RMTK_OK;
}

/* ---- everything for one matrix ------------------------------------------------------------ */

static const double default_L[] = {0.5, 1.0, 2.0, 3.0, 5.0, 7.0, 10.0, 15.0, 20.0};

rmtk_levels_params rmtk_levels_params_default(void)
{
    rmtk_levels_params p;
    memset(&p, 0, sizeof p);
    p.unfold = rmtk_unfold_params_default();
    p.L = NULL;
    p.n_L = 0;
    p.brody_boot = 1000;
    p.sigma2_mc = 0;
    p.mc = rmtk_nv_mc_params_default();
    p.delta3_step = 0.25;
    p.ratio_bins = 20;
    p.seed = 0;
    return p;
}

static double cdf_wigner(double s, const void *p)
{
    (void)p;
    return rmtk_wigner_surmise_cdf(1, s);
}

static double cdf_poisson(double s, const void *p)
{
    (void)p;
    return rmtk_wigner_surmise_cdf(0, s);
}

static double cdf_ratio_goe(double r, const void *p)
{
    (void)p;
    return rmtk_ratio_surmise_cdf(1, r);
}

static void ks(const double *x, size_t n, rmtk_cdf_fn f, const void *par, double *d, double *p)
{
    if (rmtk_ks_statistic(x, n, f, par, d) == RMTK_OK) {
        *p = rmtk_ks_pvalue(n, *d);
    } else {
        *d = NAN;
        *p = NAN;
    }
}

static double sigma2_at(const double *xi, size_t n, double L, const rmtk_levels_params *p,
                        int *st)
{
    double v = NAN, se;
    int s;
    if (p->sigma2_mc) {
        rmtk_nv_mc_params mc = p->mc;
        mc.seed = p->seed;
        s = rmtk_number_variance_mc(xi, n, L, &mc, &v, &se, NULL);
    } else {
        s = rmtk_number_variance(xi, n, L, &v);
    }
    if (s != RMTK_OK && s != RMTK_ERR_NUMERIC)
        *st = s;
    return s == RMTK_OK ? v : NAN;
}

static double delta3_at(const double *xi, size_t n, double L, double step)
{
    double v;
    return rmtk_delta3(xi, n, L, step, &v) == RMTK_OK ? v : NAN;
}

/* Ratios, histogram and the ratio KS test from the sorted levels. */
static int analyze_ratios(const double *s, size_t n, const rmtk_levels_params *p,
                          rmtk_levels_result *res)
{
    double *r = rmtk__malloc_array(n, sizeof(double));
    if (!r)
        return RMTK_ERR_NOMEM;
    size_t m;
    ratios_sorted(s, n, r, &m);
    res->n_ratios = m;
    if (res->ratios)
        memcpy(res->ratios, r, RMTK_MIN(m, res->ratios_cap) * sizeof *r);
    if (m > 0) {
        rmtk_ratio_mean(r, m, &res->r_mean, &res->r_sem);
        uint32_t nb = p->ratio_bins;
        if (res->ratio_hist) {
            for (uint32_t k = 0; k < nb; k++)
                res->ratio_hist[k] = 0.0;
            for (size_t i = 0; i < m; i++) {
                size_t k = (size_t)(r[i] * nb);
                res->ratio_hist[k < nb ? k : nb - 1] += 1.0;
            }
            for (uint32_t k = 0; k < nb; k++)
                res->ratio_hist[k] *= (double)nb / (double)m; /* density */
        }
        for (uint32_t k = 0; k < nb; k++) {
            double x0 = (double)k / nb, x1 = (double)(k + 1) / nb;
            if (res->ratio_hist_goe)
                res->ratio_hist_goe[k] =
                    (rmtk_ratio_surmise_cdf(1, x1) - rmtk_ratio_surmise_cdf(1, x0)) * nb;
            if (res->ratio_hist_poisson)
                res->ratio_hist_poisson[k] =
                    (rmtk_ratio_surmise_cdf(0, x1) - rmtk_ratio_surmise_cdf(0, x0)) * nb;
        }
        rmtk_sort(r, m);
        double d;
        ks(r, m, cdf_ratio_goe, NULL, &d, &res->ks_p_ratio_goe);
    }
    rmtk__free(r);
    return RMTK_OK;
}

/* Spacing statistics of the unfolded levels xi[0..k). */
static int analyze_unfolded(const double *xi, size_t k, const rmtk_levels_params *p,
                            rmtk_levels_result *res)
{
    size_t ns = k - 1;
    int st = RMTK_OK;
    double *d = rmtk__malloc_array(ns, sizeof(double));
    const rmtk__spacing_table *tab = rmtk__spacing_table_get(1);
    if (!d) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    rmtk_spacings(xi, k, d);
    res->n_spacings = ns;
    res->mean_spacing = (xi[k - 1] - xi[0]) / (double)ns;
    if (res->spacings)
        memcpy(res->spacings, d, RMTK_MIN(ns, res->spacings_cap) * sizeof *d);
    /* Brody fits on the unsorted spacings (the fits sort their own copies) */
    double b, e;
    int s = rmtk_brody_fit_ml(d, ns, p->brody_boot, p->seed, &b, &e, NULL);
    if (s == RMTK_OK) {
        res->brody_beta = b;
        res->brody_beta_err = e;
    } else if (s != RMTK_ERR_NUMERIC) {
        st = s;
        goto done;
    }
    s = rmtk_brody_fit_ls(d, ns, p->brody_boot, p->seed, &b, &e);
    if (s == RMTK_OK) {
        res->brody_beta_ls = b;
        res->brody_beta_ls_err = e;
    } else if (s != RMTK_ERR_NUMERIC) {
        st = s;
        goto done;
    }
    rmtk_sort(d, ns);
    ks(d, ns, cdf_wigner, NULL, &res->ks_d_wigner, &res->ks_p_wigner);
    ks(d, ns, cdf_poisson, NULL, &res->ks_d_poisson, &res->ks_p_poisson);
    ks(d, ns, rmtk__spacing_table_cdf, tab, &res->ks_d_goe, &res->ks_p_goe);

    res->sigma2_L1 = sigma2_at(xi, k, 1.0, p, &st);
    res->sigma2_L5 = sigma2_at(xi, k, 5.0, p, &st);
    res->delta3_L5 = delta3_at(xi, k, 5.0, p->delta3_step);
    const double *Ls = p->L ? p->L : default_L;
    for (size_t i = 0; i < res->n_curve; i++) {
        if (res->sigma2)
            res->sigma2[i] = sigma2_at(xi, k, Ls[i], p, &st);
        if (res->delta3)
            res->delta3[i] = delta3_at(xi, k, Ls[i], p->delta3_step);
    }
done:
    rmtk__free(d);
    return st;
}

int rmtk_levels_analyze(const double *levels, size_t n, const rmtk_levels_params *p,
                        rmtk_levels_result *res)
{
    if (!levels || !p || !res || p->ratio_bins < 1 || (p->L && p->n_L == 0) ||
        (p->sigma2_mc && (p->mc.min_iter < 1 || p->mc.max_iter < p->mc.min_iter)))
        return RMTK_ERR_ARG;
    size_t kdummy;
    int st = rmtk_unfold_count(n, &p->unfold, &kdummy);
    if (st == RMTK_ERR_ARG)
        return st;
    const double *Ls = p->L ? p->L : default_L;
    size_t nL = p->L ? p->n_L : sizeof default_L / sizeof default_L[0];
    for (size_t i = 0; i < nL; i++)
        if (!(Ls[i] > 0.0))
            return RMTK_ERR_ARG;
    /* reset the outputs */
    res->n_levels = n;
    res->n_unfolded = res->n_spacings = res->n_ratios = res->n_sigma_floored = 0;
    res->r_mean = res->r_sem = res->ks_p_ratio_goe = NAN;
    res->mean_spacing = NAN;
    res->ks_d_wigner = res->ks_p_wigner = res->ks_d_goe = res->ks_p_goe = NAN;
    res->ks_d_poisson = res->ks_p_poisson = NAN;
    res->brody_beta = res->brody_beta_err = res->brody_beta_ls = res->brody_beta_ls_err = NAN;
    res->sigma2_L1 = res->sigma2_L5 = res->delta3_L5 = NAN;
    res->n_curve = nL;
    for (size_t i = 0; i < nL; i++) {
        if (res->curve_L)
            res->curve_L[i] = Ls[i];
        if (res->sigma2)
            res->sigma2[i] = NAN;
        if (res->delta3)
            res->delta3[i] = NAN;
        if (res->sigma2_goe)
            res->sigma2_goe[i] = rmtk_sigma2_ref(1, Ls[i]);
        if (res->sigma2_poisson)
            res->sigma2_poisson[i] = rmtk_sigma2_ref(0, Ls[i]);
        if (res->delta3_goe)
            res->delta3_goe[i] = rmtk_delta3_ref(1, Ls[i]);
        if (res->delta3_poisson)
            res->delta3_poisson[i] = rmtk_delta3_ref(0, Ls[i]);
    }
    if (n < 3)
        return RMTK_ERR_NUMERIC;
    double *s = NULL;
    double *xi = rmtk__malloc_array(n, sizeof(double));
    if (!xi) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    st = rmtk__sorted_finite_copy(levels, n, &s);
    if (st != RMTK_OK)
        goto done;
    if (!(s[n - 1] > s[0])) {
        st = RMTK_ERR_NUMERIC;
        goto done;
    }
    st = analyze_ratios(s, n, p, res);
    if (st != RMTK_OK)
        goto done;
    size_t k = 0, fl = 0;
    st = rmtk_unfold(s, n, &p->unfold, xi, n, &k, &fl);
    if (st == RMTK_ERR_NUMERIC) { /* too few levels to unfold: unfolded statistics stay NaN */
        st = RMTK_OK;
        goto done;
    }
    if (st != RMTK_OK)
        goto done;
    res->n_unfolded = k;
    res->n_sigma_floored = fl;
    st = analyze_unfolded(xi, k, p, res);
done:
    rmtk__free(s);
    rmtk__free(xi);
    return st;
}
