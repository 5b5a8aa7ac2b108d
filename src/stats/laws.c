/*
 * laws.c: law selection for the bulk of one spectrum (rmtk_fitlaw). Every candidate is a law
 * of the theory engine at unit scale (Marchenko-Pastur, a product of L Wishart factors, MP
 * free-plus semicircle), tabulated once per call on 2000 cells (its CDF by Gauss-Legendre
 * quadrature of the density), then fitted with a free scale by minimum Cramer-von Mises
 * distance, judged by KS with a parametric-bootstrap p-value, L1, log-likelihood, AIC and BIC.
 * Method, calibration and references: docs/methods/laws.md; REF: methods.md 2.3-2.4, 4.1,
 * 4.6-4.8; Anderson & Darling (1952) for W^2; Stute, Gonzalez Manteiga & Presedo Quindimil
 * (1993) for the parametric bootstrap of EDF statistics with estimated parameters.
 */
#include "internal.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define NCELL 2000
#define NGL 5
#define EPS_CONTAM 1e-3

/* Shape grid of MP free-plus semicircle: t = sqrt(sigma2_wigner) / sigma2 (the semicircle's
 * standard deviation in units of the MP mean). t -> 0 is MP itself. */
static const double mpsc_t[] = {0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0};
#define N_MPSC_T (sizeof mpsc_t / sizeof mpsc_t[0])

/* Mean-degree grid of the sparse percolated Wishart. */
static const double sparse_c[] = {1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0};
#define N_SPARSE_C (sizeof sparse_c / sizeof sparse_c[0])
#define N_TAB_MAX (N_MPSC_T > N_SPARSE_C ? N_MPSC_T : N_SPARSE_C)

rmtk_fitlaw_params rmtk_fitlaw_params_default(void)
{
    rmtk_fitlaw_params p;
    memset(&p, 0, sizeof p);
    p.max_L = RMTK_FITLAW_MAX_L;
    p.mp_semicircle = 1;
    p.bootstrap = 39;
    p.product_width = 1.0;
    p.sparse = 0;
    p.sparse_size = 300;
    p.sparse_samples = 8;
    p.seed = 1;
    return p;
}

/* The unit-scale law of candidate `code` for the nonzero eigenvalues of an r x big Gram
 * matrix (methods.md 4.1, 4.6-4.8). */
static int law_for(int code, int64_t big, int64_t r, double width, double t, rmtk_law_params *lp)
{
    rmtk_law_params_default(lp);
    double q = (double)r / (double)big;
    if (code == RMTK_FITLAW_MP) {
        lp->law = RMTK_LAW_MP;
        lp->ratio = q;
        lp->sigma2 = 1.0;
    } else if (code == RMTK_FITLAW_MP_SEMICIRCLE) {
        lp->law = RMTK_LAW_MP_SEMICIRCLE;
        lp->ratio = q;
        lp->sigma2 = 1.0;
        lp->sigma2_wigner = t * t;
    } else if (code >= 2 && code <= RMTK_FITLAW_MAX_L) {
        lp->law = RMTK_LAW_WISHART_PRODUCT;
        lp->n_dims = (size_t)code + 1;
        int64_t w = (int64_t)llround(width * (double)big);
        if (w < 1)
            w = 1;
        lp->dims[0] = big;
        for (int l = 1; l < code; l++)
            lp->dims[l] = w;
        lp->dims[code] = r;
    } else {
        return code == RMTK_FITLAW_SPARSE ? RMTK_ERR_UNSUPPORTED : RMTK_ERR_ARG;
    }
    return RMTK_OK;
}

/* ---- tabulated law ------------------------------------------------------------------------- */

typedef struct {
    size_t m;       /* nodes */
    double *x;      /* ascending */
    double *F;      /* CDF of the continuous part, normalised to 1 */
    double *f;      /* density / continuous mass */
    double median;
} tab;

static void tab_free(tab *t)
{
    rmtk__free(t->x);
    rmtk__free(t->F);
    rmtk__free(t->f);
    memset(t, 0, sizeof *t);
}

/* Grid resolving both edges (as rmtk_law_compare: log-spaced towards each edge from 1e-6 |edge|
 * to w / 50), or rmtk_law_grid's log grid when the density diverges at 0. */
static int tab_grid(const rmtk_law_params *p, const rmtk_law_info *info, size_t n, double *x)
{
    double lo = info->edges[0], hi = info->edges[info->n_edges - 1], w = hi - lo;
    if (info->diverges_at_0)
        return rmtk_law_grid(p, lo, hi, n, x);
    size_t nq = n / 4, nm = n - 2 * nq;
    double dmax = w / 50, dlo = fmax(1e-10 * w, 1e-6 * fabs(lo)),
           dhi = fmax(1e-10 * w, 1e-6 * fabs(hi));
    for (size_t i = 0; i < nq; i++) {
        double u = (double)i / (double)nq;
        x[i] = lo + dlo * pow(dmax / dlo, u);
        x[n - 1 - i] = hi - dhi * pow(dmax / dhi, u);
    }
    for (size_t i = 0; i < nm; i++)
        x[nq + i] = (lo + dmax) + (w - 2 * dmax) * (double)i / (double)(nm - 1);
    x[n - 1] = hi;
    return RMTK_OK;
}

/* Tabulate the CDF: C(x_j) = int_lo^{x_0} rho (tanh-sinh) + sum of 5-point Gauss-Legendre cell
 * integrals; a node (lo, 0) is prepended when the grid starts above the lower edge. */
static int tab_build(const rmtk_law_params *p, tab *t)
{
    memset(t, 0, sizeof *t);
    rmtk_law_info info;
    int st = rmtk_law_info_compute(p, &info);
    if (st)
        return st;
    size_t g = NCELL + 1, m = g + 1;
    double *gx = rmtk__malloc_array(g, sizeof *gx);
    double *qx = rmtk__malloc_array((size_t)NCELL * NGL, sizeof *qx);
    double *qd = rmtk__malloc_array((size_t)NCELL * NGL, sizeof *qd);
    double *gd = rmtk__malloc_array(g, sizeof *gd);
    t->x = rmtk__malloc_array(m, sizeof *t->x);
    t->F = rmtk__malloc_array(m, sizeof *t->F);
    t->f = rmtk__malloc_array(m, sizeof *t->f);
    double glx[NGL], glw[NGL];
    if (!gx || !qx || !qd || !gd || !t->x || !t->F || !t->f) {
        st = RMTK_ERR_NOMEM;
        goto out;
    }
    st = tab_grid(p, &info, g, gx);
    if (!st)
        st = rmtk_gauss_legendre(NGL, 0, 1, glx, glw);
    if (st)
        goto out;
    for (size_t c = 0; c < NCELL; c++)
        for (int k = 0; k < NGL; k++)
            qx[c * NGL + (size_t)k] = gx[c] + (gx[c + 1] - gx[c]) * glx[k];
    st = rmtk_law_density(p, qx, (size_t)NCELL * NGL, qd);
    if (!st)
        st = rmtk_law_density(p, gx, g, gd);
    double lo = info.edges[0], c0 = 0;
    if (!st && gx[0] > lo)
        st = rmtk_law_integrate(p, lo, gx[0], 0, &c0);
    if (st)
        goto out;
    size_t j = 0;
    if (gx[0] > lo) {
        t->x[j] = lo;
        t->F[j] = 0;
        t->f[j] = gd[0];
        j++;
    }
    double cum = c0;
    for (size_t i = 0; i < g; i++) {
        if (i > 0) {
            double s = 0;
            for (int k = 0; k < NGL; k++) {
                double dk = qd[(i - 1) * NGL + (size_t)k];
                s += glw[k] * (isfinite(dk) ? dk : 0.0);
            }
            cum += s * (gx[i] - gx[i - 1]);
        }
        t->x[j] = gx[i];
        t->F[j] = cum;
        t->f[j] = isfinite(gd[i]) ? gd[i] : 0.0;
        j++;
    }
    t->m = j;
    double mass = 1.0 - info.atom;
    if (!(cum > 0.75 * mass && cum < 1.25 * mass)) {
        st = RMTK_ERR_NUMERIC; /* an unresolved density */
        goto out;
    }
    for (size_t i = 0; i < t->m; i++) {
        t->F[i] /= cum;
        t->f[i] /= cum;
    }
    t->F[t->m - 1] = 1.0;
    /* median by the inverse of the table */
    size_t i = 0;
    while (i + 1 < t->m && t->F[i + 1] < 0.5)
        i++;
    double dF = t->F[i + 1] - t->F[i];
    t->median = t->x[i] + (dF > 0 ? (0.5 - t->F[i]) / dF : 0) * (t->x[i + 1] - t->x[i]);
out:
    rmtk__free(gx);
    rmtk__free(qx);
    rmtk__free(qd);
    rmtk__free(gd);
    if (st)
        tab_free(t);
    return st;
}

/* F(z) for one z (binary search, linear interpolation). */
static double tab_cdf1(const tab *t, double z)
{
    if (z <= t->x[0])
        return 0.0;
    if (z >= t->x[t->m - 1])
        return 1.0;
    size_t a = 0, b = t->m - 1;
    while (b - a > 1) {
        size_t c = (a + b) / 2;
        if (t->x[c] <= z)
            a = c;
        else
            b = c;
    }
    return t->F[a] + (t->F[b] - t->F[a]) * (z - t->x[a]) / (t->x[b] - t->x[a]);
}

/* F(y_i / s) and (when f != NULL) rho(y_i / s) / s for y ascending, by one merge walk. */
static void tab_eval(const tab *t, const double *y, size_t n, double s, double *F, double *f)
{
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        double z = y[i] / s;
        if (z <= t->x[0] || z >= t->x[t->m - 1]) {
            F[i] = z <= t->x[0] ? 0.0 : 1.0;
            if (f)
                f[i] = 0.0;
            continue;
        }
        while (j + 2 < t->m && t->x[j + 1] <= z)
            j++;
        double w = (z - t->x[j]) / (t->x[j + 1] - t->x[j]);
        F[i] = t->F[j] + (t->F[j + 1] - t->F[j]) * w;
        if (f)
            f[i] = (t->f[j] + (t->f[j + 1] - t->f[j]) * w) / s;
    }
}

/* Cramer-von Mises W^2 = 1/(12n) + sum (F_i - (2i-1)/(2n))^2 (Anderson & Darling 1952). */
static double cvm_of(const double *F, size_t n)
{
    double w = 1.0 / (12.0 * (double)n);
    for (size_t i = 0; i < n; i++) {
        double d = F[i] - (2.0 * (double)i + 1.0) / (2.0 * (double)n);
        w += d * d;
    }
    return w;
}

/* KS D = max_i max(i/n - F_i, F_i - (i-1)/n), 1-based i. */
static double ks_of(const double *F, size_t n)
{
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        d = fmax(d, (double)(i + 1) / (double)n - F[i]);
        d = fmax(d, F[i] - (double)i / (double)n);
    }
    return d;
}

/* Minimum-W^2 scale: golden section in log s on [log s0 - 1.5, log s0 + 1.5], s0 = median(y) /
 * median(law), 48 steps (relative precision ~1e-9). Returns W^2 at the optimum. */
static double fit_scale(const tab *t, const double *y, size_t n, double *buf, double *s_out)
{
    double s0 = y[n / 2] / t->median;
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double a = log(s0) - 1.5, b = log(s0) + 1.5;
    double c = b - gr * (b - a), d = a + gr * (b - a);
    tab_eval(t, y, n, exp(c), buf, NULL);
    double fc = cvm_of(buf, n);
    tab_eval(t, y, n, exp(d), buf, NULL);
    double fd = cvm_of(buf, n);
    for (int it = 0; it < 48; it++) {
        if (fc < fd) {
            b = d;
            d = c;
            fd = fc;
            c = b - gr * (b - a);
            tab_eval(t, y, n, exp(c), buf, NULL);
            fc = cvm_of(buf, n);
        } else {
            a = c;
            c = d;
            fc = fd;
            d = a + gr * (b - a);
            tab_eval(t, y, n, exp(d), buf, NULL);
            fd = cvm_of(buf, n);
        }
    }
    *s_out = exp(0.5 * (a + b));
    tab_eval(t, y, n, *s_out, buf, NULL);
    return cvm_of(buf, n);
}

/* ---- table cache ---------------------------------------------------------------------------
 * A table depends only on the law's parameters, not on the data, so the tables of one shape are
 * reused across calls (the layers of one shape in an analysis, repeated fits). Key: MP and MP
 * free-plus semicircle by (q = r / big, t), products by their dimensions (big, w, r), exactly as
 * law_for builds the law, so a cached table is bit for bit the one tab_build would make. At most
 * TAB_CACHE_SLOTS tables (3 x 2002 doubles each: 2.3 MB for 48), the least recently used
 * replaced; one mutex guards the slots, tables are copied in and out under it (6000 doubles
 * against the 12000 law-density evaluations of a build). The sparse candidate (a seeded
 * simulation) is not cached. A failed allocation only skips the caching. */
#define TAB_CACHE_SLOTS 48

typedef struct {
    int used, code;
    double k[3];
    uint64_t stamp;
    tab t;
} tab_slot;

static tab_slot tab_cache[TAB_CACHE_SLOTS];
static uint64_t tab_clock;
static uint64_t tab_hits, tab_misses;
static pthread_mutex_t tab_lock = PTHREAD_MUTEX_INITIALIZER;

static int tab_copy(tab *dst, const tab *src)
{
    memset(dst, 0, sizeof *dst);
    dst->x = rmtk__malloc_array(src->m, sizeof *dst->x);
    dst->F = rmtk__malloc_array(src->m, sizeof *dst->F);
    dst->f = rmtk__malloc_array(src->m, sizeof *dst->f);
    if (!dst->x || !dst->F || !dst->f) {
        tab_free(dst);
        return RMTK_ERR_NOMEM;
    }
    memcpy(dst->x, src->x, src->m * sizeof *dst->x);
    memcpy(dst->F, src->F, src->m * sizeof *dst->F);
    memcpy(dst->f, src->f, src->m * sizeof *dst->f);
    dst->m = src->m;
    dst->median = src->median;
    return RMTK_OK;
}

static void tab_key(int code, int64_t big, int64_t r, double width, double t, double k[3])
{
    if (code == RMTK_FITLAW_MP || code == RMTK_FITLAW_MP_SEMICIRCLE) {
        k[0] = (double)r / (double)big;
        k[1] = code == RMTK_FITLAW_MP_SEMICIRCLE ? t : 0.0;
        k[2] = 0.0;
    } else {
        int64_t w = (int64_t)llround(width * (double)big);
        k[0] = (double)big;
        k[1] = (double)(w < 1 ? 1 : w);
        k[2] = (double)r;
    }
}

/* The table of candidate `code` (shape t) for the shape (big, r): from the cache, else built and
 * stored. Thread-safe. */
static int tab_cached(int code, int64_t big, int64_t r, double width, double t, tab *out)
{
    double k[3];
    tab_key(code, big, r, width, t, k);
    int st = RMTK_ERR_NOTFOUND;
    pthread_mutex_lock(&tab_lock);
    for (int i = 0; i < TAB_CACHE_SLOTS; i++) {
        tab_slot *sl = &tab_cache[i];
        if (sl->used && sl->code == code && sl->k[0] == k[0] && sl->k[1] == k[1] &&
            sl->k[2] == k[2]) {
            sl->stamp = ++tab_clock;
            st = tab_copy(out, &sl->t);
            if (st == RMTK_OK)
                tab_hits++;
            break;
        }
    }
    pthread_mutex_unlock(&tab_lock);
    if (st != RMTK_ERR_NOTFOUND)
        return st;
    rmtk_law_params lp;
    st = law_for(code, big, r, width, t, &lp);
    if (!st)
        st = tab_build(&lp, out);
    if (st)
        return st;
    tab keep;
    if (tab_copy(&keep, out) != RMTK_OK)
        return RMTK_OK; /* not cached */
    pthread_mutex_lock(&tab_lock);
    tab_misses++;
    int slot = -1, dup = 0;
    for (int i = 0; i < TAB_CACHE_SLOTS && !dup; i++) {
        tab_slot *sl = &tab_cache[i];
        if (sl->used && sl->code == code && sl->k[0] == k[0] && sl->k[1] == k[1] &&
            sl->k[2] == k[2])
            dup = 1; /* another thread stored it meanwhile */
        else if (slot < 0 || !sl->used ||
                 (tab_cache[slot].used && sl->stamp < tab_cache[slot].stamp))
            slot = i;
    }
    if (!dup) {
        tab_slot *sl = &tab_cache[slot];
        tab old = sl->t;
        sl->t = keep;
        sl->used = 1;
        sl->code = code;
        memcpy(sl->k, k, sizeof sl->k);
        sl->stamp = ++tab_clock;
        keep = old; /* freed below, outside the lock */
    }
    pthread_mutex_unlock(&tab_lock);
    tab_free(&keep);
    return RMTK_OK;
}

void rmtk__fitlaw_cache_stats(uint64_t *hits, uint64_t *misses, int clear)
{
    pthread_mutex_lock(&tab_lock);
    if (hits)
        *hits = tab_hits;
    if (misses)
        *misses = tab_misses;
    tab entries[TAB_CACHE_SLOTS];
    int ne = 0;
    if (clear) {
        for (int i = 0; i < TAB_CACHE_SLOTS; i++)
            if (tab_cache[i].used)
                entries[ne++] = tab_cache[i].t;
        memset(tab_cache, 0, sizeof tab_cache);
        tab_hits = tab_misses = 0;
    }
    pthread_mutex_unlock(&tab_lock);
    for (int i = 0; i < ne; i++)
        tab_free(&entries[i]);
}

/* A candidate: one table, or N_MPSC_T tables (shape profiled over the grid). */
typedef struct {
    int code;
    size_t ntab;
    tab tabs[N_TAB_MAX];
    double atom[N_TAB_MAX]; /* sparse: simulated zero fraction */
} cand_tabs;

/* Matched simulation of the sparse percolated Wishart at mean degree c: the pooled nonzero
 * eigenvalues (> 1e-10 of the largest, relative) of `samples` draws of rmtk's PERCOLATED_WISHART
 * sampler (dims N = big', M = r', sigma2 = 1, p = c / r'), as an empirical table: nodes at the
 * distinct sorted values, F at mid-ranks, density by the symmetric difference of F over
 * +-sqrt(m)/2 nodes. */
static int tab_sparse(double c, int64_t big, int64_t r, const rmtk_fitlaw_params *p, tab *t,
                      double *atom)
{
    memset(t, 0, sizeof *t);
    int64_t rs = r < p->sparse_size ? r : p->sparse_size;
    int64_t bs = (int64_t)llround((double)rs * (double)big / (double)r);
    if (rs < 10 || c >= (double)rs)
        return RMTK_ERR_ARG;
    rmtk_ensemble_params ep;
    rmtk_ensemble_params_default(&ep);
    ep.ensemble = RMTK_ENS_PERCOLATED_WISHART;
    ep.n_dims = 2;
    ep.dims[0] = bs;
    ep.dims[1] = rs;
    ep.c = c;
    ep.seed = p->seed ^ 0x5a17u;
    rmtk_ensemble *e = NULL;
    int st = rmtk_ensemble_alloc(&ep, &e);
    if (st)
        return st;
    size_t ns = rmtk_ensemble_size(e), S = (size_t)p->sparse_samples, m = 0, nz = 0;
    double *v = rmtk__malloc_array(ns * S, sizeof *v);
    if (!v) {
        rmtk_ensemble_free(e);
        return RMTK_ERR_NOMEM;
    }
    for (size_t s = 0; s < S && !st; s++) {
        double *w = v + m;
        st = rmtk_ensemble_sample(e, (uint64_t)s, w);
        double mx = 0;
        for (size_t i = 0; i < ns; i++)
            mx = fmax(mx, fabs(w[i]));
        for (size_t i = 0; i < ns && !st; i++) {
            if (w[i] > 1e-10 * mx)
                v[m++] = w[i];
            else
                nz++;
        }
    }
    rmtk_ensemble_free(e);
    if (!st && m < 50)
        st = RMTK_ERR_NUMERIC;
    if (!st) {
        rmtk_sort(v, m);
        t->x = rmtk__malloc_array(m, sizeof *t->x);
        t->F = rmtk__malloc_array(m, sizeof *t->F);
        t->f = rmtk__malloc_array(m, sizeof *t->f);
        if (!t->x || !t->F || !t->f)
            st = RMTK_ERR_NOMEM;
    }
    if (!st) {
        size_t k = 0;
        for (size_t i = 0; i < m; i++) {
            double Fi = ((double)i + 0.5) / (double)m;
            if (k > 0 && v[i] <= t->x[k - 1] * (1 + 1e-12)) {
                t->F[k - 1] = Fi; /* ties: one node, the last mid-rank */
                continue;
            }
            t->x[k] = v[i];
            t->F[k] = Fi;
            k++;
        }
        t->m = k;
        size_t w = (size_t)fmax(1.0, 0.5 * sqrt((double)k));
        for (size_t i = 0; i < k; i++) {
            size_t a = i > w ? i - w : 0, b = i + w < k ? i + w : k - 1;
            t->f[i] = b > a && t->x[b] > t->x[a] ? (t->F[b] - t->F[a]) / (t->x[b] - t->x[a]) : 0;
        }
        size_t i = 0;
        while (i + 1 < k && t->F[i + 1] < 0.5)
            i++;
        t->median = t->x[i];
        *atom = (double)nz / (double)(nz + m);
        if (k < 2)
            st = RMTK_ERR_NUMERIC;
    }
    rmtk__free(v);
    if (st)
        tab_free(t);
    return st;
}

/* Fit a candidate to y: best (table index, scale) by W^2. */
static double fit_cand(const cand_tabs *ct, const double *y, size_t n, double *buf, double *s,
                       size_t *ti)
{
    double best = INFINITY;
    for (size_t k = 0; k < ct->ntab; k++) {
        double sk;
        double w = fit_scale(&ct->tabs[k], y, n, buf, &sk);
        if (w < best) {
            best = w;
            *s = sk;
            *ti = k;
        }
    }
    return best;
}

/* n sorted draws from the table scaled by s: sorted uniforms U_(i) = S_i / S_{n+1} (S partial
 * sums of standard exponentials; Devroye 1986, V.3), inverted through the tabulated CDF. */
static void sample_sorted(const tab *t, double s, rmtk_rng *rng, double *out, size_t n)
{
    double S = 0;
    for (size_t i = 0; i < n; i++) {
        S += -log(rmtk_rng_uniform(rng));
        out[i] = S;
    }
    S += -log(rmtk_rng_uniform(rng));
    size_t j = 0;
    for (size_t i = 0; i < n; i++) {
        double u = out[i] / S;
        while (j + 2 < t->m && t->F[j + 1] <= u)
            j++;
        double dF = t->F[j + 1] - t->F[j];
        double w = dF > 0 ? (u - t->F[j]) / dF : 0.0;
        out[i] = s * (t->x[j] + w * (t->x[j + 1] - t->x[j]));
    }
}

int rmtk_fitlaw(const double *y_in, size_t n_in, int64_t big, int64_t r_total,
                const rmtk_fitlaw_params *p, rmtk_fitlaw_result *out)
{
    if (!y_in || !p || !out || p->max_L < 1 || p->max_L > RMTK_FITLAW_MAX_L ||
        p->bootstrap < 0 || !(p->product_width > 0) || big < 0 || r_total < 0)
        return RMTK_ERR_ARG;
    memset(out, 0, sizeof *out);
    out->best = -1;
    size_t n = 0;
    for (size_t i = 0; i < n_in; i++) {
        if (!isfinite(y_in[i]))
            return RMTK_ERR_ARG;
        n += y_in[i] > 0;
    }
    if (n < 20)
        return RMTK_ERR_ARG;
    int64_t r = r_total > 0 ? r_total : (int64_t)n;
    if (big == 0)
        big = r;
    if (big < r)
        return RMTK_ERR_ARG;
    out->n = n;
    out->n_zero = n_in - n;

    size_t nb = (size_t)p->bootstrap;
    if (p->sparse && (p->sparse_size < 10 || p->sparse_samples < 1))
        return RMTK_ERR_ARG;
    size_t ncand = 1 + (size_t)(p->max_L - 1) + (p->mp_semicircle ? 1 : 0) + (p->sparse ? 1 : 0);
    double *y = rmtk__malloc_array(n, sizeof *y);
    double *buf = rmtk__malloc_array(n, sizeof *buf);
    double *fb = rmtk__malloc_array(n, sizeof *fb);
    double *ys = rmtk__malloc_array(n, sizeof *ys);
    cand_tabs *ct = rmtk__calloc(ncand, sizeof *ct);
    int st = RMTK_OK;
    if (!y || !buf || !fb || !ys || !ct) {
        st = RMTK_ERR_NOMEM;
        goto out;
    }
    n = 0;
    for (size_t i = 0; i < n_in; i++)
        if (y_in[i] > 0)
            y[n++] = y_in[i];
    rmtk_sort(y, n);

    /* tables */
    out->n_cand = ncand;
    for (size_t c = 0; c < ncand; c++) {
        rmtk_fitlaw_candidate *cd = &out->cand[c];
        int code = c == 0                                   ? RMTK_FITLAW_MP
                   : (c < (size_t)p->max_L)                 ? (int)c + 1
                   : (p->mp_semicircle && c == (size_t)p->max_L) ? RMTK_FITLAW_MP_SEMICIRCLE
                                                                 : RMTK_FITLAW_SPARSE;
        ct[c].code = code;
        cd->code = code;
        cd->n_params = code == RMTK_FITLAW_MP_SEMICIRCLE || code == RMTK_FITLAW_SPARSE ? 2 : 1;
        if (code == RMTK_FITLAW_MP)
            snprintf(cd->name, sizeof cd->name, "mp");
        else if (code == RMTK_FITLAW_MP_SEMICIRCLE)
            snprintf(cd->name, sizeof cd->name, "mp-semicircle");
        else if (code == RMTK_FITLAW_SPARSE)
            snprintf(cd->name, sizeof cd->name, "sparse-percolated");
        else
            snprintf(cd->name, sizeof cd->name, "wishart-product-%d", code);
        cd->scale = cd->scale_se = cd->shape = cd->shape_se = NAN;
        cd->cvm = cd->ks = cd->ks_p = cd->l1 = cd->loglik = cd->aic = cd->bic = NAN;
        cd->atom = NAN;
        ct[c].ntab = code == RMTK_FITLAW_MP_SEMICIRCLE ? N_MPSC_T
                     : code == RMTK_FITLAW_SPARSE      ? N_SPARSE_C
                                                       : 1;
        for (size_t k = 0; k < ct[c].ntab && !cd->status; k++) {
            int s2;
            if (code == RMTK_FITLAW_SPARSE) {
                s2 = tab_sparse(sparse_c[k], big, r, p, &ct[c].tabs[k], &ct[c].atom[k]);
            } else {
                s2 = tab_cached(code, big, r, p->product_width, mpsc_t[k], &ct[c].tabs[k]);
            }
            if (s2 == RMTK_ERR_NOMEM) {
                st = s2;
                goto out;
            }
            cd->status = s2;
        }
    }

    /* fits and goodness of fit */
    double ymax = y[n - 1], lnn = log((double)n);
    size_t nbin = (size_t)fmax(10.0, sqrt((double)n));
    for (size_t c = 0; c < ncand; c++) {
        rmtk_fitlaw_candidate *cd = &out->cand[c];
        if (cd->status)
            continue;
        double s = 1.0;
        size_t ti = 0;
        cd->cvm = fit_cand(&ct[c], y, n, buf, &s, &ti);
        const tab *t = &ct[c].tabs[ti];
        cd->scale = s;
        const double *grid = ct[c].code == RMTK_FITLAW_SPARSE ? sparse_c : mpsc_t;
        if (ct[c].code == RMTK_FITLAW_MP_SEMICIRCLE || ct[c].code == RMTK_FITLAW_SPARSE)
            cd->shape = grid[ti];
        if (ct[c].code == RMTK_FITLAW_SPARSE)
            cd->atom = ct[c].atom[ti];
        tab_eval(t, y, n, s, buf, fb);
        cd->ks = ks_of(buf, n);
        double ll = 0, u = EPS_CONTAM / (1.1 * ymax);
        for (size_t i = 0; i < n; i++)
            ll += log((1.0 - EPS_CONTAM) * fb[i] + u);
        cd->loglik = ll;
        cd->aic = 2.0 * cd->n_params - 2.0 * ll;
        cd->bic = cd->n_params * lnn - 2.0 * ll;
        /* L1 between the histogram and the law on nbin bins of [y_min, y_max] */
        double lo = y[0], w = (ymax - lo) / (double)nbin, l1 = 0;
        size_t i = 0;
        for (size_t b = 0; b < nbin; b++) {
            double b1 = b + 1 == nbin ? ymax : lo + w * (double)(b + 1);
            size_t cnt = 0;
            while (i < n && (y[i] < b1 || (b + 1 == nbin && y[i] <= b1))) {
                cnt++;
                i++;
            }
            double mass = tab_cdf1(t, b1 / s) - tab_cdf1(t, (lo + w * (double)b) / s);
            l1 += fabs((double)cnt / (double)n - mass);
        }
        cd->l1 = l1;
        /* parametric bootstrap: draw from the fitted law, refit, KS; errors from the spread */
        if (nb > 0) {
            size_t exceed = 0;
            double m1 = 0, m2 = 0, t1 = 0, t2 = 0;
            for (size_t b = 0; b < nb; b++) {
                rmtk_rng rng;
                rmtk_rng_init(&rng, p->seed, (uint64_t)b * RMTK_FITLAW_MAX_CAND + c);
                sample_sorted(t, s, &rng, ys, n);
                double sb = 1.0;
                size_t tb = 0;
                fit_cand(&ct[c], ys, n, buf, &sb, &tb);
                tab_eval(&ct[c].tabs[tb], ys, n, sb, buf, NULL);
                exceed += ks_of(buf, n) >= cd->ks;
                double ls = log(sb);
                m1 += ls;
                m2 += ls * ls;
                t1 += grid[tb];
                t2 += grid[tb] * grid[tb];
            }
            double B = (double)nb;
            cd->ks_p = (1.0 + (double)exceed) / (B + 1.0);
            if (nb >= 2) {
                /* standard error of log s times s (delta method) */
                double vs = fmax(0.0, (m2 - m1 * m1 / B) / (B - 1.0));
                cd->scale_se = s * sqrt(vs);
                if (isfinite(cd->shape))
                    cd->shape_se = sqrt(fmax(0.0, (t2 - t1 * t1 / B) / (B - 1.0)));
            }
        }
    }
    int best = -1;
    for (size_t c = 0; c < ncand; c++)
        if (!out->cand[c].status && isfinite(out->cand[c].bic) &&
            (best < 0 || out->cand[c].bic < out->cand[best].bic))
            best = (int)c;
    out->best = best;
    out->best_code = best >= 0 ? out->cand[best].code : 0;
    out->delta_bic = best >= 0 && !out->cand[0].status ? out->cand[0].bic - out->cand[best].bic
                                                      : NAN;
out:
    if (ct)
        for (size_t c = 0; c < ncand; c++)
            for (size_t k = 0; k < ct[c].ntab; k++)
                tab_free(&ct[c].tabs[k]);
    rmtk__free(ct);
    rmtk__free(y);
    rmtk__free(buf);
    rmtk__free(fb);
    rmtk__free(ys);
    return st;
}

static const char *long_name(int code, char *tmp, size_t size)
{
    if (code == RMTK_FITLAW_MP)
        return "MP";
    if (code == RMTK_FITLAW_MP_SEMICIRCLE)
        return "MP free-plus semicircle";
    if (code == RMTK_FITLAW_SPARSE)
        return "a sparse percolated Wishart matrix";
    snprintf(tmp, size, "a product of %d Wishart matrices", code);
    return tmp;
}

int rmtk_fitlaw_verdict(const rmtk_fitlaw_result *r, char *buf, size_t size)
{
    if (!r || (!buf && size))
        return RMTK_ERR_ARG;
    if (!size)
        return RMTK_OK;
    char tmp[64];
    if (r->best < 0) {
        snprintf(buf, size, "no candidate law could be fitted");
        return RMTK_OK;
    }
    const rmtk_fitlaw_candidate *b = &r->cand[r->best], *mp = &r->cand[0];
    if (b->ks_p < 0.05) {
        snprintf(buf, size,
                 "no candidate law describes the bulk (KS p < 0.05); smallest BIC: %s (KS %.3g, p "
                 "%.2g; MP: KS %.3g)",
                 long_name(b->code, tmp, sizeof tmp), b->ks, b->ks_p, mp->ks);
        return RMTK_OK;
    }
    if (r->best_code == RMTK_FITLAW_MP) {
        /* the runner-up */
        int s = -1;
        for (size_t c = 1; c < r->n_cand; c++)
            if (!r->cand[c].status && (s < 0 || r->cand[c].bic < r->cand[s].bic))
                s = (int)c;
        if (s >= 0)
            snprintf(buf, size,
                     "bulk best described by MP (KS %.3g, p %.2g); next best: %s, worse by dBIC "
                     "= %.1f",
                     b->ks, b->ks_p, long_name(r->cand[s].code, tmp, sizeof tmp),
                     r->cand[s].bic - b->bic);
        else
            snprintf(buf, size, "bulk best described by MP (KS %.3g, p %.2g)", b->ks, b->ks_p);
        return RMTK_OK;
    }
    if (mp->status)
        snprintf(buf, size, "bulk best described by %s (KS %.3g, p %.2g); MP failed",
                 long_name(b->code, tmp, sizeof tmp), b->ks, b->ks_p);
    else
        snprintf(buf, size,
                 "bulk better described by %s than by MP: dBIC = %.1f (KS %.3g, p %.2g; MP: KS "
                 "%.3g, p %.2g)",
                 long_name(b->code, tmp, sizeof tmp), r->delta_bic, b->ks, b->ks_p, mp->ks,
                 mp->ks_p);
    return RMTK_OK;
}

int rmtk_fitlaw_density(const rmtk_fitlaw_candidate *c, int64_t big, int64_t r,
                        double product_width, const double *x, size_t nx, double *density)
{
    if (!c || !x || !density || r < 1 || big < r || !(c->scale > 0))
        return RMTK_ERR_ARG;
    rmtk_law_params lp;
    int st = law_for(c->code, big, r, product_width, c->shape, &lp);
    rmtk_law_info info;
    if (!st)
        st = rmtk_law_info_compute(&lp, &info);
    if (st)
        return st;
    double *z = rmtk__malloc_array(nx ? nx : 1, sizeof *z);
    if (!z)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < nx; i++)
        z[i] = x[i] / c->scale;
    st = rmtk_law_density(&lp, z, nx, density);
    double mass = 1.0 - info.atom;
    for (size_t i = 0; i < nx && !st; i++)
        density[i] = isfinite(density[i]) ? density[i] / (c->scale * mass) : 0.0;
    rmtk__free(z);
    return st;
}
