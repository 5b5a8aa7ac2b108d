/*
 * theory.c: limiting spectral laws with closed forms (semicircle, Marchenko-Pastur, Fuss-Catalan
 * FC_L), the dispatcher over all laws (those with a characteristic equation live in
 * theory-jacobian.c), grids, tanh-sinh integration of densities with singular endpoints, the
 * comparison of a simulated spectrum with its law (KS, L1, moments), and scalar results: the
 * sparse Erdos-Renyi zero atom (Lambert W), Fuss-Catalan moments and the BBP transition.
 * REF: methods.md 2.3-2.4, 4.1, 4.2, 4.7, 4.9.
 */
#include "theory-internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void rmtk_law_params_default(rmtk_law_params *p)
{
    if (!p)
        return;
    memset(p, 0, sizeof *p);
    p->law = RMTK_LAW_SEMICIRCLE;
    p->L = 2;
    p->sigma2 = 1;
    p->ratio = 0.5;
    p->sigma2_wigner = 1;
    p->activation = RMTK_ACT_RELU;
    p->leaky_slope = 0.01;
    p->sigma_w2 = 2;
    p->sigma_b2 = 0;
    p->q0 = 1;
    p->quad_nodes = 128;
    p->eta_rel = 1e-9;
}

int rmtk__law_check(const rmtk_law_params *p)
{
    if (!p || !(p->eta_rel > 0 && p->eta_rel <= 1e-3))
        return RMTK_ERR_ARG;
    switch (p->law) {
    case RMTK_LAW_SEMICIRCLE: return p->sigma2 > 0 && isfinite(p->sigma2) ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_LAW_MP:
        return p->sigma2 > 0 && p->ratio > 0 && isfinite(p->sigma2) && isfinite(p->ratio)
                   ? RMTK_OK
                   : RMTK_ERR_ARG;
    case RMTK_LAW_MP_SEMICIRCLE:
        return p->sigma2 > 0 && p->ratio > 0 && p->sigma2_wigner > 0 && isfinite(p->sigma2) &&
                       isfinite(p->ratio) && isfinite(p->sigma2_wigner)
                   ? RMTK_OK
                   : RMTK_ERR_ARG;
    case RMTK_LAW_FUSS_CATALAN: return p->L >= 1 && p->L <= 64 ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_LAW_WISHART_PRODUCT:
    case RMTK_LAW_JACOBIAN:
        if (p->n_dims < 2 || p->n_dims > RMTK_MAX_LAYERS + 1)
            return RMTK_ERR_ARG;
        for (size_t i = 0; i < p->n_dims; i++)
            if (p->dims[i] <= 0)
                return RMTK_ERR_ARG;
        if (p->law == RMTK_LAW_JACOBIAN) {
            if (p->activation < RMTK_ACT_LINEAR || p->activation > RMTK_ACT_ERF)
                return RMTK_ERR_ARG;
            if (!(p->sigma_w2 > 0) || !(p->sigma_b2 >= 0) || !(p->q0 >= 0) ||
                !isfinite(p->sigma_w2) || !isfinite(p->sigma_b2) || !isfinite(p->q0))
                return RMTK_ERR_ARG;
            if (p->sigma_b2 + p->q0 <= 0)
                return RMTK_ERR_ARG;
            if (p->quad_nodes < 100 || p->quad_nodes > 300)
                return RMTK_ERR_ARG;
            if (p->activation == RMTK_ACT_LEAKY_RELU &&
                !(p->leaky_slope > 0 && p->leaky_slope < 1))
                return RMTK_ERR_ARG;
        }
        return RMTK_OK;
    default: return RMTK_ERR_ARG;
    }
}

/* ---- closed forms ------------------------------------------------------------------------- */

/* Semicircle: rho(x) = sqrt(4 s - x^2) / (2 pi s) on [-2 sqrt s, 2 sqrt s] (methods.md 4.2). */
static double semicircle_density(double s, double x)
{
    double r = 4 * s - x * x;
    return r > 0 ? sqrt(r) / (2 * RMTK_PI * s) : 0.0;
}

/* MP, eigenvalues of W^T W / N (M x M, q = M/N, entry variance s):
 * rho = sqrt((l+ - x)(x - l-)) / (2 pi s q x), l+- = s (1 +- sqrt q)^2; the continuous mass is
 * min(1, 1/q), the rest an atom at 0 (methods.md 4.1). */
static double mp_density(double s, double q, double x)
{
    double lp = s * (1 + sqrt(q)) * (1 + sqrt(q)), lm = s * (1 - sqrt(q)) * (1 - sqrt(q));
    if (!(x > lm && x < lp) || x <= 0)
        return 0.0;
    return sqrt((lp - x) * (x - lm)) / (2 * RMTK_PI * s * q * x);
}

/* FC_L by the Haagerup-Moller parametrisation, phi in (0, pi/(L+1)):
 * x(phi) = sin((L+1)phi)^{L+1} / (sin(phi) sin(L phi)^L),
 * rho = sin(phi)^2 sin(L phi)^{L-1} / (pi sin((L+1)phi)^L); x(phi) decreases from
 * (L+1)^{L+1}/L^L to 0, inverted by bisection (methods.md 4.7). */
static double fc_x(int L, double ph)
{
    return pow(sin((L + 1) * ph), L + 1) / (sin(ph) * pow(sin(L * ph), L));
}

static double fc_density(int L, double x)
{
    double top = pow(L + 1.0, L + 1.0) / pow((double)L, (double)L);
    if (!(x > 0 && x < top))
        return 0.0;
    double a = 0, b = RMTK_PI / (L + 1); /* x(a+) = top, x(b-) = 0 */
    for (int it = 0; it < 200 && b - a > 1e-16 * b; it++) {
        double m = 0.5 * (a + b);
        if (fc_x(L, m) > x)
            a = m;
        else
            b = m;
    }
    double ph = 0.5 * (a + b);
    return pow(sin(ph), 2) * pow(sin(L * ph), L - 1) / (RMTK_PI * pow(sin((L + 1) * ph), L));
}

static const char *law_name(int law)
{
    switch (law) {
    case RMTK_LAW_SEMICIRCLE: return "semicircle";
    case RMTK_LAW_MP: return "mp";
    case RMTK_LAW_MP_SEMICIRCLE: return "mp-semicircle";
    case RMTK_LAW_FUSS_CATALAN: return "fuss-catalan";
    case RMTK_LAW_WISHART_PRODUCT: return "wishart-product";
    case RMTK_LAW_JACOBIAN: return "jacobian";
    default: return "unknown";
    }
}

int rmtk_law_info_compute(const rmtk_law_params *p, rmtk_law_info *info)
{
    if (!info)
        return RMTK_ERR_ARG;
    int st = rmtk__law_check(p);
    if (st)
        return st;
    memset(info, 0, sizeof *info);
    snprintf(info->name, sizeof info->name, "%s", law_name(p->law));
    double s = p->sigma2, q = p->ratio;
    switch (p->law) {
    case RMTK_LAW_SEMICIRCLE:
        info->mean = 0;
        info->variance = s;
        info->n_edges = 2;
        info->edges[0] = -2 * sqrt(s);
        info->edges[1] = 2 * sqrt(s);
        return RMTK_OK;
    case RMTK_LAW_MP:
        info->atom = q > 1 ? 1 - 1 / q : 0;
        info->mean = s;
        info->variance = s * s * q;
        info->n_edges = 2;
        info->edges[0] = q == 1 ? 0.0 : s * (1 - sqrt(q)) * (1 - sqrt(q));
        info->edges[1] = s * (1 + sqrt(q)) * (1 + sqrt(q));
        info->diverges_at_0 = q == 1;
        return RMTK_OK;
    case RMTK_LAW_FUSS_CATALAN:
        info->mean = 1;
        info->variance = p->L;
        info->n_edges = 2;
        info->edges[0] = 0;
        info->edges[1] = pow(p->L + 1.0, p->L + 1.0) / pow((double)p->L, (double)p->L);
        info->diverges_at_0 = 1;
        return RMTK_OK;
    default: return rmtk__law_eq_info(p, info);
    }
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Density at x[0..n) in any order: the equation-based laws are evaluated on a sorted copy. */
static int law_density_branch(const rmtk_law_params *p, const double *x, size_t n, int branch,
                              double *density)
{
    if ((!x || !density) && n > 0)
        return RMTK_ERR_ARG;
    int st = rmtk__law_check(p);
    if (st)
        return st;
    switch (p->law) {
    case RMTK_LAW_SEMICIRCLE:
        for (size_t i = 0; i < n; i++)
            density[i] = semicircle_density(p->sigma2, x[i]);
        return RMTK_OK;
    case RMTK_LAW_MP:
        for (size_t i = 0; i < n; i++)
            density[i] = mp_density(p->sigma2, p->ratio, x[i]);
        return RMTK_OK;
    case RMTK_LAW_FUSS_CATALAN:
        for (size_t i = 0; i < n; i++)
            density[i] = fc_density(p->L, x[i]);
        return RMTK_OK;
    default: break;
    }
    if (n == 0)
        return RMTK_OK;
    /* sort (value, index) descending */
    double *xs = rmtk__malloc_array(n, sizeof *xs), *ds = rmtk__malloc_array(n, sizeof *ds);
    size_t *idx = rmtk__malloc_array(n, sizeof *idx);
    if (!xs || !ds || !idx) {
        st = RMTK_ERR_NOMEM;
        goto out;
    }
    int sorted = 1;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(x[i])) {
            st = RMTK_ERR_ARG;
            goto out;
        }
        if (i > 0 && x[i] > x[i - 1])
            sorted = 0;
    }
    if (sorted) {
        st = rmtk__law_eq_density(p, x, n, branch, density);
        goto out;
    }
    {
        /* pack index into a pair array sorted by value */
        double *pairs = rmtk__malloc_array(2 * n, sizeof *pairs);
        if (!pairs) {
            st = RMTK_ERR_NOMEM;
            goto out;
        }
        for (size_t i = 0; i < n; i++) {
            pairs[2 * i] = x[i];
            pairs[2 * i + 1] = (double)i;
        }
        qsort(pairs, n, 2 * sizeof *pairs, cmp_desc);
        for (size_t i = 0; i < n; i++) {
            xs[i] = pairs[2 * i];
            idx[i] = (size_t)pairs[2 * i + 1];
        }
        rmtk__free(pairs);
    }
    st = rmtk__law_eq_density(p, xs, n, branch, ds);
    for (size_t i = 0; i < n && !st; i++)
        density[idx[i]] = ds[i];
out:
    rmtk__free(xs);
    rmtk__free(ds);
    rmtk__free(idx);
    return st;
}

int rmtk_law_density(const rmtk_law_params *p, const double *x, size_t n, double *density)
{
    return law_density_branch(p, x, n, RMTK__BRANCH_CONTINUATION, density);
}

int rmtk_law_grid(const rmtk_law_params *p, double a, double b, size_t n, double *x)
{
    if (!x || n < 2 || !(a < b) || !isfinite(a) || !isfinite(b))
        return RMTK_ERR_ARG;
    rmtk_law_info info;
    int st = rmtk_law_info_compute(p, &info);
    if (st)
        return st;
    if (info.diverges_at_0 && a <= 0 && b > 0) {
        double lo = b * 1e-9, mid = b / 20;
        size_t n1 = n / 2, n2 = n - n1;
        for (size_t i = 0; i < n1; i++)
            x[i] = lo * pow(mid / lo, (double)i / (double)n1);
        for (size_t i = 0; i < n2; i++)
            x[n1 + i] = mid + (b - mid) * (double)i / (double)(n2 - 1);
        return RMTK_OK;
    }
    for (size_t i = 0; i < n; i++)
        x[i] = a + (b - a) * (double)i / (double)(n - 1);
    x[n - 1] = b;
    return RMTK_OK;
}

/* ---- integration ----------------------------------------------------------------------------- */

/* tanh-sinh nodes on [a, b]: x = a + (b - a) s(t), s = 1/(1 + exp(-pi sinh t)),
 * dx = (b - a) pi cosh(t) s (1 - s) dt, step h = 1/64 on |t| <= 3.2 (the nodes reach within
 * ~1e-18 relative of the ends). Distances to the ends are formed without cancellation. */
#define TS_H (1.0 / 64.0)
#define TS_T 4.5
#define TS_N (2 * (int)(TS_T / TS_H) + 1)

static void ts_nodes(double a, double b, double *x, double *w)
{
    int m = (int)(TS_T / TS_H);
    for (int j = -m; j <= m; j++) {
        double t = j * TS_H, e = RMTK_PI * sinh(t);
        double s_lo = 1.0 / (1.0 + exp(e));  /* = 1 - s */
        double s_hi = 1.0 / (1.0 + exp(-e)); /* = s */
        double xx = t <= 0 ? a + (b - a) * s_hi : b - (b - a) * s_lo;
        x[j + m] = xx;
        w[j + m] = (b - a) * RMTK_PI * cosh(t) * s_hi * s_lo * TS_H;
    }
}

static int integrate_branch(const rmtk_law_params *p, double a, double b, int k, int branch,
                            double *value)
{
    if (!value || !(a < b) || k < 0 || k > 16)
        return RMTK_ERR_ARG;
    rmtk_law_info info;
    int st = rmtk_law_info_compute(p, &info);
    if (st)
        return st;
    double cuts[RMTK_LAW_MAX_EDGES + 3];
    size_t nc = 0;
    cuts[nc++] = a;
    for (size_t i = 0; i < info.n_edges; i++)
        if (info.edges[i] > a && info.edges[i] < b)
            cuts[nc++] = info.edges[i];
    if (a < 0 && b > 0 && !(nc > 1 && cuts[nc - 1] == 0))
        cuts[nc++] = 0;
    cuts[nc++] = b;
    /* sort cuts ascending (few) */
    for (size_t i = 1; i < nc; i++)
        for (size_t j = i; j > 0 && cuts[j] < cuts[j - 1]; j--) {
            double t = cuts[j];
            cuts[j] = cuts[j - 1];
            cuts[j - 1] = t;
        }
    size_t np = nc - 1, nn = np * TS_N;
    double *x = rmtk__malloc_array(nn, sizeof *x), *w = rmtk__malloc_array(nn, sizeof *w);
    double *d = rmtk__malloc_array(nn, sizeof *d);
    if (!x || !w || !d) {
        st = RMTK_ERR_NOMEM;
        goto out;
    }
    /* pieces from the top down, nodes descending within each, so the list is descending */
    size_t m = 0;
    for (size_t i = np; i-- > 0;) {
        /* pieces outside the support (below the lowest edge, in a gap, above the top) have no
         * continuous mass: skip them */
        double mid = 0.5 * (cuts[i] + cuts[i + 1]);
        int inside = 0;
        for (size_t j = 0; j + 1 < info.n_edges; j += 2)
            inside |= mid > info.edges[j] && mid < info.edges[j + 1];
        if (!inside && branch == RMTK__BRANCH_CONTINUATION)
            continue;
        ts_nodes(cuts[i], cuts[i + 1], x + m, w + m);
        for (size_t j = 0; j < TS_N / 2; j++) {
            double t = x[m + j];
            x[m + j] = x[m + TS_N - 1 - j];
            x[m + TS_N - 1 - j] = t;
            t = w[m + j];
            w[m + j] = w[m + TS_N - 1 - j];
            w[m + TS_N - 1 - j] = t;
        }
        m += TS_N;
    }
    /* neighbouring pieces share an end: nudge duplicates so the list stays non-increasing */
    nn = m;
    st = nn ? law_density_branch(p, x, nn, branch, d) : RMTK_OK;
    if (!st) {
        double s = 0;
        for (size_t i = 0; i < nn; i++)
            if (w[i] > 0 && isfinite(d[i]))
                s += w[i] * d[i] * (k == 0 ? 1.0 : pow(x[i], k));
        *value = s;
    }
out:
    rmtk__free(x);
    rmtk__free(w);
    rmtk__free(d);
    return st;
}

int rmtk_law_integrate(const rmtk_law_params *p, double a, double b, int k, double *value)
{
    return integrate_branch(p, a, b, k, RMTK__BRANCH_CONTINUATION, value);
}

/*
 * The nodes x[0..n) of the table of the continuous CDF in rmtk_law_compare. A density that
 * diverges at 0 gets rmtk_law_grid's grid (log-spaced from 1e-9 b). Otherwise the grid resolves
 * both edges lo < hi of the support: n/4 nodes at distances from lo log-spaced from
 * max(1e-10 (hi - lo), 1e-6 |lo|) to (hi - lo)/50, n/2 evenly spaced in between and n/4
 * log-spaced towards hi likewise, so a law
 * whose mass piles up just above its lower edge (biased smooth Jacobian chains: density ~400
 * within 1e-5 of an edge at 1.45e-5, support up to 5.7) is integrated on cells of its own scale
 * instead of one evenly spaced cell of (hi - lo)/2000 (which gave KS 0.05 for a true 0.002).
 */
static int compare_grid(const rmtk_law_params *p, const rmtk_law_info *info, size_t n, double *x)
{
    double lo = info->edges[0], hi = info->edges[info->n_edges - 1], w = hi - lo;
    if (info->diverges_at_0 || n < 16)
        return rmtk_law_grid(p, lo, hi, n, x);
    size_t nq = n / 4, nm = n - 2 * nq;
    /* the smallest distances stay >= 1e-6 of |x|: closer nodes (consecutive ones 1e-12 apart
     * in log x) make the continuation of the root take forced steps until it gives up */
    double dmax = w / 50, dlo = fmax(1e-10 * w, 1e-6 * fabs(lo)), dhi = fmax(1e-10 * w, 1e-6 * fabs(hi));
    for (size_t i = 0; i < nq; i++) {
        double t = (double)i / (double)nq;
        x[i] = lo + dlo * pow(dmax / dlo, t);
        x[n - 1 - i] = hi - dhi * pow(dmax / dhi, t);
    }
    for (size_t i = 0; i < nm; i++)
        x[nq + i] = (lo + dmax) + (w - 2 * dmax) * (double)i / (double)(nm - 1);
    x[n - 1] = hi;
    return RMTK_OK;
}

/* ---- comparison with a sample -------------------------------------------------------------- */

int rmtk_law_compare(const rmtk_law_params *p, const double *values, size_t n, double eps,
                     size_t nbins, rmtk_law_comparison *out)
{
    if (!values || !out || n < 2 || nbins < 2 || !(eps >= 0))
        return RMTK_ERR_ARG;
    rmtk_law_info info;
    int st = rmtk_law_info_compute(p, &info);
    if (st)
        return st;
    memset(out, 0, sizeof *out);
    enum { NC = 2000, NG = 5 };
    double *v = rmtk__malloc_array(n, sizeof *v);
    double *gx = rmtk__malloc_array(NC + 1, sizeof *gx);
    double *cum = rmtk__malloc_array(NC + 1, sizeof *cum);
    double *qx = rmtk__malloc_array((size_t)NC * NG, sizeof *qx);
    double *qd = rmtk__malloc_array((size_t)NC * NG, sizeof *qd);
    if (!v || !gx || !cum || !qx || !qd) {
        st = RMTK_ERR_NOMEM;
        goto out;
    }
    double vmax = 0;
    for (size_t i = 0; i < n; i++) {
        if (!isfinite(values[i])) {
            st = RMTK_ERR_ARG;
            goto out;
        }
        vmax = fmax(vmax, fabs(values[i]));
    }
    double eabs = eps * fmax(1.0, vmax);
    size_t nzero = 0;
    double sm = 0, sm2 = 0;
    for (size_t i = 0; i < n; i++) {
        v[i] = fabs(values[i]) < eabs ? 0.0 : values[i];
        nzero += v[i] == 0.0;
        sm += values[i];
    }
    sm /= (double)n;
    for (size_t i = 0; i < n; i++)
        sm2 += (values[i] - sm) * (values[i] - sm);
    rmtk_sort(v, n);
    /* theory CDF of the continuous part on [lo, hi] = support: C(x_j) by 5-point Gauss-Legendre
     * per cell of a grid that resolves both edges (compare_grid); below the first node by
     * tanh-sinh */
    double lo = info.edges[0];
    st = compare_grid(p, &info, NC + 1, gx);
    if (st)
        goto out;
    double glx[NG], glw[NG];
    st = rmtk_gauss_legendre(NG, 0, 1, glx, glw);
    for (size_t c = 0; c < NC && !st; c++)
        for (int g = 0; g < NG; g++)
            qx[c * NG + (size_t)g] = gx[c] + (gx[c + 1] - gx[c]) * glx[g];
    if (!st)
        st = rmtk_law_density(p, qx, (size_t)NC * NG, qd);
    double c0 = 0;
    if (!st && gx[0] > lo)
        st = rmtk_law_integrate(p, lo, gx[0], 0, &c0);
    if (st)
        goto out;
    cum[0] = c0;
    for (size_t c = 0; c < NC; c++) {
        double s = 0;
        for (int g = 0; g < NG; g++)
            s += glw[g] * qd[c * NG + (size_t)g];
        cum[c + 1] = cum[c] + s * (gx[c + 1] - gx[c]);
    }
    /* the table must hold most of the continuous mass 1 - atom: a density that came back 0 (an
     * unresolved continuation) would otherwise give a KS distance of 1 - atom silently. (Square
     * smooth chains miss up to 9 % of it below 1e-12 of the scale, documented: allowed.) */
    if (!(fabs(cum[NC] + info.atom - 1.0) <= 0.25 * (1.0 - info.atom) + 1e-12)) {
        st = RMTK_ERR_NUMERIC;
        goto out;
    }
    /* C(x) by linear interpolation in the table */
#define CONT_CDF(xx, res)                                                                          \
    do {                                                                                           \
        double x_ = (xx);                                                                          \
        if (x_ <= lo)                                                                              \
            res = 0;                                                                               \
        else if (x_ >= gx[NC])                                                                     \
            res = cum[NC];                                                                         \
        else if (x_ <= gx[0])                                                                      \
            res = cum[0] * (x_ - lo) / (gx[0] - lo);                                               \
        else {                                                                                     \
            size_t a_ = 0, b_ = NC;                                                                \
            while (b_ - a_ > 1) {                                                                  \
                size_t m_ = (a_ + b_) / 2;                                                         \
                if (gx[m_] <= x_)                                                                  \
                    a_ = m_;                                                                       \
                else                                                                               \
                    b_ = m_;                                                                       \
            }                                                                                      \
            res = cum[a_] + (cum[b_] - cum[a_]) * (x_ - gx[a_]) / (gx[b_] - gx[a_]);               \
        }                                                                                          \
    } while (0)
    /* KS with the atom: F(x) = C(x) + atom [x >= 0], F(x-) = C(x) + atom [x > 0] */
    double D = 0;
    for (size_t i = 0; i < n;) {
        size_t j = i; /* ties v[i..j) : F_n(v-) = i/n, F_n(v) = j/n */
        while (j < n && v[j] == v[i])
            j++;
        /* the values within eps of 0 (set to 0 above) are compared at the end of that window,
         * with the atom and the continuous mass below eps: a density diverging at 0 (square
         * smooth chains, ~x^(-3/4)) puts ~10 % of a sample there, which is not an atom */
        double C, Cm;
        CONT_CDF(v[i] == 0 ? eabs : v[i], C);
        CONT_CDF(v[i] == 0 ? -eabs : v[i], Cm);
        double F = C + (v[i] >= 0 ? info.atom : 0), Fm = Cm + (v[i] > 0 ? info.atom : 0);
        D = fmax(D, fmax(fabs(F - (double)j / n), fabs(Fm - (double)i / n)));
        i = j;
    }
    out->ks = D;
    /* L1 between the histogram of the nonzero values and the bin-averaged theory density */
    double vlo = INFINITY, vhi = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0) {
            vlo = fmin(vlo, v[i]);
            vhi = fmax(vhi, v[i]);
        }
    double l1 = 0;
    if (vhi > vlo) {
        double wbin = (vhi - vlo) / (double)nbins;
        size_t i = 0;
        for (size_t b = 0; b < nbins; b++) {
            double b0 = vlo + wbin * (double)b, b1 = b + 1 == nbins ? vhi : b0 + wbin;
            size_t cnt = 0;
            while (i < n && (v[i] < b1 || (b + 1 == nbins && v[i] <= b1))) {
                if (v[i] != 0 && v[i] >= b0)
                    cnt++;
                i++;
            }
            double C0, C1;
            CONT_CDF(b0, C0);
            CONT_CDF(b1, C1);
            l1 += fabs((double)cnt / (double)n - (C1 - C0));
        }
    }
#undef CONT_CDF
    out->l1 = l1;
    out->atom_sim = (double)nzero / (double)n;
    out->atom_theory = info.atom;
    out->mean_sim = sm;
    out->mean_theory = info.mean;
    out->mean_err = sm - info.mean;
    out->var_sim = sm2 / (double)n;
    out->var_theory = info.variance;
    out->var_err = out->var_sim - info.variance;
out:
    rmtk__free(v);
    rmtk__free(gx);
    rmtk__free(cum);
    rmtk__free(qx);
    rmtk__free(qd);
    return st;
}

/* ---- scalar results ---------------------------------------------------------------------- */

int rmtk_fuss_catalan_moment(int L, int k, double *m)
{
    if (!m || L < 1 || k < 0 || k > 60)
        return RMTK_ERR_ARG;
    /* binom((L+1)k, k) / (Lk + 1) via lgamma (exact to ~1e-13 relative for these sizes) */
    double n = (double)(L + 1) * k;
    double lb = lgamma(n + 1) - lgamma((double)k + 1) - lgamma(n - k + 1);
    *m = k == 0 ? 1.0 : exp(lb) / ((double)L * k + 1);
    if (k <= 20)
        *m = nearbyint(*m);
    return RMTK_OK;
}

/* Principal branch W0 of the Lambert function for x >= 0: Halley's iteration. */
static double lambert_w0(double x)
{
    double w = x < 1 ? x : log(x) - log(log(x) + 1) + 0.5;
    if (x < 1)
        w = x * (1 - x + 1.5 * x * x);
    for (int it = 0; it < 50; it++) {
        double ew = exp(w), f = w * ew - x;
        double dw = f / (ew * (w + 1) - (w + 2) * f / (2 * w + 2));
        w -= dw;
        if (fabs(dw) <= 1e-16 * (1 + fabs(w)))
            break;
    }
    return w;
}

int rmtk_sparse_zero_atom(double c, double *w0)
{
    if (!w0 || !(c > 0) || !(c <= exp(1.0)))
        return RMTK_ERR_ARG;
    double W = lambert_w0(c);
    *w0 = 2 * W / c + W * W / c - 1;
    return RMTK_OK;
}

int rmtk_bbp_top_singular(double c, double theta, double *s)
{
    if (!s || !(c > 0 && c <= 1) || !(theta >= 0) || !isfinite(theta))
        return RMTK_ERR_ARG;
    double th2 = theta * theta;
    if (theta > pow(c, 0.25))
        *s = sqrt((1 + th2) * (c + th2)) / theta;
    else
        *s = 1 + sqrt(c);
    return RMTK_OK;
}

int rmtk__law_integrate_branch(const rmtk_law_params *p, double a, double b, int k, int branch,
                               double *value)
{
    return integrate_branch(p, a, b, k, branch, value);
}
