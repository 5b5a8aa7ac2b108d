/*
 * mp.c: the Marchenko-Pastur law (density, closed-form CDF, quantiles; eigenvalue and
 * singular-value forms, with the atom of the larger Gram matrix), the two bulk fits of the
 * Thamm-Staats-Rosenow analysis (the paper's three-parameter singular-value fit and a robust
 * outlier-excluding fit of the entry variance), the Tracy-Widom outlier test with Johnstone's
 * centring, and the BBP inversion of outliers to signal strengths. rmtk_mp_analyze runs all of it
 * for one matrix. Conventions (lambda = s^2 of W, no 1/N) are stated in rmtk.h.
 * REF: methods.md 1.4 A-B (paper fit), 4.1 (MP), 4.9 (Tracy-Widom, BBP).
 */
#include "internal.h"
#include "tw-internal.h"

#include <math.h>
#include <string.h>

/* ---- the law ------------------------------------------------------------------------------ */

typedef struct {
    double v, n, m; /* variance, larger and smaller dimension */
    double a, b;    /* eigenvalue edges */
    double wc;      /* mass of the continuous part */
    int form;
} mp_geom;

static int mp_geom_make(const rmtk_mp_law *law, mp_geom *g)
{
    if (!law || !(law->sigma2 > 0.0) || !(law->rows > 0.0) || !(law->cols > 0.0) ||
        !isfinite(law->sigma2) || !isfinite(law->rows) || !isfinite(law->cols) ||
        (law->form != RMTK_MP_EIGEN && law->form != RMTK_MP_SINGULAR) ||
        (law->atom != 0 && law->atom != 1))
        return RMTK_ERR_ARG;
    g->v = law->sigma2;
    g->n = RMTK_MAX(law->rows, law->cols);
    g->m = RMTK_MIN(law->rows, law->cols);
    double sn = sqrt(g->n), sm = sqrt(g->m);
    g->a = g->v * (sn - sm) * (sn - sm);
    g->b = g->v * (sn + sm) * (sn + sm);
    g->wc = law->atom ? g->m / g->n : 1.0;
    g->form = law->form;
    return RMTK_OK;
}

/* Continuous part, eigenvalue form, normalised to 1: rho(l) = R / (2 pi v m l). */
static double mp_pdf_eig(const mp_geom *g, double l)
{
    if (!(l > g->a && l < g->b))
        return 0.0;
    double R = sqrt((g->b - l) * (l - g->a));
    return R / (2.0 * RMTK_PI * g->v * g->m * l);
}

/* Continuous part, eigenvalue form: the antiderivative of R/l from a (see rmtk.h),
 * int_a^l R/t dt = R + (a+b)/2 (arcsin u1 + pi/2) - sqrt(ab) (arcsin u2 + pi/2),
 * u1 = (2l - a - b)/(b - a), u2 = ((a+b) l - 2ab)/(l (b - a)); arcsin u + pi/2 = atan2(sqrt(1-u^2),
 * -u) with sqrt(1 - u1^2) = 2R/(b-a), sqrt(1 - u2^2) = 2 sqrt(ab) R / (l (b-a)). Total 2 pi v m. */
static double mp_cdf_eig(const mp_geom *g, double l)
{
    if (!(l > g->a))
        return 0.0;
    if (!(l < g->b))
        return 1.0;
    double a = g->a, b = g->b, R = sqrt((b - l) * (l - a)), sab = sqrt(a * b);
    double t = R + 0.5 * (a + b) * atan2(2.0 * R, a + b - 2.0 * l);
    if (sab > 0.0)
        t -= sab * atan2(2.0 * sab * R, 2.0 * a * b - (a + b) * l);
    double F = t / (2.0 * RMTK_PI * g->v * g->m);
    return RMTK_MIN(RMTK_MAX(F, 0.0), 1.0);
}

int rmtk_mp_support(const rmtk_mp_law *law, double *lo, double *hi, double *atom_mass)
{
    mp_geom g;
    int st = mp_geom_make(law, &g);
    if (st != RMTK_OK)
        return st;
    bool sv = g.form == RMTK_MP_SINGULAR;
    if (lo)
        *lo = sv ? sqrt(g.a) : g.a;
    if (hi)
        *hi = sv ? sqrt(g.b) : g.b;
    if (atom_mass)
        *atom_mass = 1.0 - g.wc;
    return RMTK_OK;
}

double rmtk_mp_pdf(double x, const void *law)
{
    mp_geom g;
    if (mp_geom_make(law, &g) != RMTK_OK || isnan(x))
        return NAN;
    if (g.form == RMTK_MP_SINGULAR)
        return x > 0.0 ? g.wc * 2.0 * x * mp_pdf_eig(&g, x * x) : 0.0;
    return g.wc * mp_pdf_eig(&g, x);
}

double rmtk_mp_cdf(double x, const void *law)
{
    mp_geom g;
    if (mp_geom_make(law, &g) != RMTK_OK || isnan(x))
        return NAN;
    if (x < 0.0)
        return 0.0;
    double l = g.form == RMTK_MP_SINGULAR ? x * x : x;
    return (1.0 - g.wc) + g.wc * mp_cdf_eig(&g, l);
}

/* Solve F_eig(l) = p on [a, b]: Newton from linear interpolation, falling back to bisection when
 * a step leaves the bracket or the density vanishes; the bracket is updated every step. */
static double mp_quantile_eig(const mp_geom *g, double p)
{
    if (p <= 0.0)
        return g->a;
    if (p >= 1.0)
        return g->b;
    double lo = g->a, hi = g->b, x = g->a + p * (g->b - g->a);
    for (int it = 0; it < 200; it++) {
        double f = mp_cdf_eig(g, x) - p;
        if (f == 0.0)
            return x;
        if (f < 0.0)
            lo = x;
        else
            hi = x;
        double d = mp_pdf_eig(g, x), xn = d > 0.0 ? x - f / d : NAN;
        if (!(xn > lo && xn < hi))
            xn = 0.5 * (lo + hi);
        if (fabs(xn - x) <= 1e-15 * g->b || hi - lo <= 1e-15 * g->b)
            return xn;
        x = xn;
    }
    return x;
}

int rmtk_mp_quantile(const rmtk_mp_law *law, double p, double *x)
{
    mp_geom g;
    int st = mp_geom_make(law, &g);
    if (st != RMTK_OK)
        return st;
    if (!x || !(p >= 0.0 && p <= 1.0))
        return RMTK_ERR_ARG;
    double atom = 1.0 - g.wc, l;
    if (law->atom && atom > 0.0 && p <= atom)
        l = 0.0;
    else
        l = mp_quantile_eig(&g, law->atom ? (p - atom) / g.wc : p);
    *x = g.form == RMTK_MP_SINGULAR ? sqrt(l) : l;
    return RMTK_OK;
}

/* ---- BBP ----------------------------------------------------------------------------------- */

int rmtk_bbp_top(double theta, double c, double *y)
{
    if (!y || !(theta >= 0.0) || !isfinite(theta) || !(c > 0.0 && c <= 1.0))
        return RMTK_ERR_ARG;
    if (theta <= sqrt(sqrt(c)))
        *y = 1.0 + sqrt(c);
    else
        *y = sqrt((1.0 + theta * theta) * (c + theta * theta)) / theta;
    return RMTK_OK;
}

/* y^2 theta^2 = (1 + theta^2)(c + theta^2)  <=>  theta^4 + (1 + c - y^2) theta^2 + c = 0. */
int rmtk_bbp_theta(double y, double c, double *theta)
{
    if (!theta || !isfinite(y) || !(c > 0.0 && c <= 1.0))
        return RMTK_ERR_ARG;
    if (!(y > 1.0 + sqrt(c)))
        return RMTK_ERR_NUMERIC;
    double B = y * y - 1.0 - c, disc = B * B - 4.0 * c;
    double t2 = 0.5 * (B + sqrt(RMTK_MAX(disc, 0.0)));
    *theta = sqrt(t2);
    return RMTK_OK;
}

/* ---- parameters and input checks ------------------------------------------------------------ */

rmtk_mp_params rmtk_mp_params_default(void)
{
    rmtk_mp_params p;
    memset(&p, 0, sizeof p);
    p.alpha = 0.05;
    p.window = 15;
    p.broadening = RMTK_MP_BROADEN_DROP;
    p.n_samples = 10;
    p.estimator = RMTK_MP_EST_MEAN;
    p.fit_range = 0.7;
    return p;
}

static int mp_check(const double *s, size_t k, int64_t rows, int64_t cols,
                    const rmtk_mp_params *p)
{
    if (!s || !p || rows < 1 || cols < 1 || k != (size_t)RMTK_MIN(rows, cols))
        return RMTK_ERR_ARG;
    if (!(p->alpha > 0.0 && p->alpha < 1.0) || p->window < 1 || p->n_samples < 1 ||
        !(p->fit_range >= 0.0 && p->fit_range < 1.0) ||
        (p->broadening != RMTK_MP_BROADEN_DROP && p->broadening != RMTK_MP_BROADEN_REPLICATE) ||
        (p->estimator != RMTK_MP_EST_MEDIAN && p->estimator != RMTK_MP_EST_MEAN))
        return RMTK_ERR_ARG;
    for (size_t i = 0; i < k; i++)
        if (!(s[i] >= 0.0) || !isfinite(s[i]))
            return RMTK_ERR_ARG;
    return RMTK_OK;
}

/* ---- the paper's fit ------------------------------------------------------------------------ */

/* Broadened density (methods.md 1.4 A) of the ascending levels s[0..n) on the ascending grid
 * x[0..nx), added into pdf (zeroed by the caller):
 *   rho(x) = (1/n') sum_i N(x; mu_i, sigma_i + 1e-15),  sigma_i = (P_{i+w} - P_{i-w}) / 2,
 * 'drop': P = s, i = w..n-w-1, n' = n; 'replicate': P = s padded with w copies of s_0 and
 * s_{n-1}, i = w..n+w-1 (means = all n levels), n' = n + 2w. Each Gaussian is added only on the
 * grid points within 10 sigma_i of its mean (the neglected terms are below e^{-50} of its peak);
 * the grid is located by binary search. */
static double padded(const double *s, size_t n, size_t w, bool rep, size_t j)
{
    if (!rep)
        return s[j];
    if (j < w)
        return s[0];
    if (j >= n + w)
        return s[n - 1];
    return s[j - w];
}

static void broaden(const double *s, size_t n, size_t w, bool rep, const double *x, size_t nx,
                    double *pdf)
{
    size_t np = rep ? n + 2 * w : n;
    double norm = 1.0 / ((double)np * sqrt(2.0 * RMTK_PI));
    for (size_t i = w; i + w < np; i++) {
        double mu = padded(s, n, w, rep, i);
        double sg = 0.5 * (padded(s, n, w, rep, i + w) - padded(s, n, w, rep, i - w)) + 1e-15;
        double c = norm / sg, inv = 1.0 / (2.0 * sg * sg);
        size_t j0 = rmtk__count_lt(x, nx, mu - 10.0 * sg);
        for (size_t j = j0; j < nx && x[j] <= mu + 10.0 * sg; j++) {
            double d = x[j] - mu;
            pdf[j] += c * exp(-d * d * inv);
        }
    }
}

typedef struct {
    const double *x, *y;
    size_t n;
    double numin, syy;
} fit_data;

/* Profiled residual: g(x) = sqrt((nu^2 - x^2)(x^2 - numin^2)) / x (0 outside), a = max(0,
 * <y,g>/<g,g>), RSS = <y,y> - 2 a <y,g> + a^2 <g,g>. */
static double profile_rss(const fit_data *d, double nu, double *a_out)
{
    double syg = 0.0, sgg = 0.0, nu2 = nu * nu, mn2 = d->numin * d->numin;
    for (size_t j = 0; j < d->n; j++) {
        double x = d->x[j], x2 = x * x;
        if (x2 >= nu2 || x2 <= mn2)
            continue;
        double gx = sqrt((nu2 - x2) * (x2 - mn2)) / x;
        syg += d->y[j] * gx;
        sgg += gx * gx;
    }
    double a = sgg > 0.0 ? RMTK_MAX(syg / sgg, 0.0) : 0.0;
    if (a_out)
        *a_out = a;
    return d->syy - 2.0 * a * syg + a * a * sgg;
}

int rmtk_mp_fit_paper(const double *s_in, size_t k, int64_t rows, int64_t cols,
                      const rmtk_mp_params *p, rmtk_mp_paper_fit *out)
{
    int st = mp_check(s_in, k, rows, cols, p);
    if (st != RMTK_OK || !out)
        return st != RMTK_OK ? st : RMTK_ERR_ARG;
    size_t w = (size_t)p->window, ns = (size_t)p->n_samples;
    bool rep = p->broadening == RMTK_MP_BROADEN_REPLICATE;
    if (k < 3 || (!rep && k <= 2 * w + 2))
        return RMTK_ERR_NUMERIC;
    /* Grid (pdf_from_spectrum): ns points per positive gap [s_i, s_{i+1}) (the single point
     * s_{i+1} for a zero gap), right padding of 500 top gaps in steps of gap/ns (0.1 in steps
     * of 0.01 for a zero top gap). The left padding (x < s_0) is omitted: the model is 0 there
     * for every (a, nu_max) (x < nu_min = s_0), so those points add a constant to the residual,
     * and the broadened density increases there (all Gaussians are centred at >= s_0), so they
     * cannot hold the density's maximum: the estimates are exactly those with the padding. */
    size_t right = 500 * ns;
    if ((k - 1) > (SIZE_MAX / 4) / ns)
        return RMTK_ERR_RANGE;
    size_t cap = (k - 1) * ns + 1 + RMTK_MAX(right, (size_t)10);
    double *s = rmtk__malloc_array(k, sizeof *s);
    double *x = rmtk__malloc_array(cap, sizeof *x);
    double *pdf = rmtk__calloc(cap, sizeof *pdf);
    double *fx = rmtk__malloc_array(cap, sizeof *fx);
    double *fy = rmtk__malloc_array(cap, sizeof *fy);
    if (!s || !x || !pdf || !fx || !fy) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    memcpy(s, s_in, k * sizeof *s);
    rmtk_sort(s, k);
    size_t nx = 0;
    for (size_t i = 0; i + 1 < k; i++) {
        double g = s[i + 1] - s[i];
        if (g > 0.0)
            for (size_t j = 0; j < ns; j++)
                x[nx++] = s[i] + (double)j * g / (double)ns;
        else
            x[nx++] = s[i + 1];
    }
    double gt = s[k - 1] - s[k - 2];
    if (gt > 0.0)
        for (size_t j = 0; j < right; j++)
            x[nx++] = s[k - 1] + (double)j * gt / (double)ns;
    else
        for (size_t j = 0; j < 10; j++)
            x[nx++] = s[k - 1] + 0.01 * (double)j;
    broaden(s, k, w, rep, x, nx, pdf);
    /* Fit range: x > 0 and (x <= x at max pdf, or pdf > fit_range * max). */
    size_t imax = 0;
    for (size_t j = 1; j < nx; j++)
        if (pdf[j] > pdf[imax])
            imax = j;
    double pmax = pdf[imax], xmaxpdf = x[imax];
    if (!(pmax > 0.0)) {
        st = RMTK_ERR_NUMERIC;
        goto done;
    }
    fit_data d = {fx, fy, 0, s[0], 0.0};
    double xfit_max = 0.0;
    for (size_t j = 0; j < nx; j++) {
        if (!(x[j] > 0.0))
            continue;
        if (x[j] <= xmaxpdf || pdf[j] > p->fit_range * pmax) {
            fx[d.n] = x[j];
            fy[d.n] = pdf[j];
            d.syy += pdf[j] * pdf[j];
            xfit_max = RMTK_MAX(xfit_max, x[j]);
            d.n++;
        }
    }
    double numin = s[0];
    if (d.n < 3 || !(xfit_max > numin)) {
        st = RMTK_ERR_NUMERIC;
        goto done;
    }
    /* Scan nu_max over (nu_min, nu_min + 4 (x_fit_max - nu_min)], then golden section. */
    enum { NSCAN = 400 };
    double span = 4.0 * (xfit_max - numin), best = INFINITY;
    size_t ib = 0;
    for (size_t i = 1; i <= NSCAN; i++) {
        double r = profile_rss(&d, numin + span * (double)i / NSCAN, NULL);
        if (r < best) {
            best = r;
            ib = i;
        }
    }
    if (ib == NSCAN) {
        st = RMTK_ERR_NUMERIC; /* no interior minimum */
        goto done;
    }
    double lo = numin + span * (double)(ib - 1) / NSCAN, hi = numin + span * (double)(ib + 1) / NSCAN;
    const double gr = 0.5 * (sqrt(5.0) - 1.0);
    double c1 = hi - gr * (hi - lo), c2 = lo + gr * (hi - lo);
    double f1 = profile_rss(&d, c1, NULL), f2 = profile_rss(&d, c2, NULL);
    for (int it = 0; it < 200 && hi - lo > 1e-13 * hi; it++) {
        if (f1 <= f2) {
            hi = c2;
            c2 = c1;
            f2 = f1;
            c1 = hi - gr * (hi - lo);
            f1 = profile_rss(&d, c1, NULL);
        } else {
            lo = c1;
            c1 = c2;
            f1 = f2;
            c2 = lo + gr * (hi - lo);
            f2 = profile_rss(&d, c2, NULL);
        }
    }
    double numax = 0.5 * (lo + hi), a;
    out->rss = profile_rss(&d, numax, &a);
    out->a = a;
    out->nu_min = numin;
    out->nu_max = numax;
    double e = sqrt((double)rows) + sqrt((double)cols);
    out->sigma2 = numax * numax / (e * e);
    out->lambda_minus = numin * numin;
    out->lambda_plus = numax * numax;
    out->n_points = (int64_t)d.n;
    out->n_above = (int64_t)(k - rmtk__count_lt(s, k, numax));
    for (size_t i = rmtk__count_lt(s, k, numax); i < k && s[i] == numax; i++)
        out->n_above--;
done:
    rmtk__free(s);
    rmtk__free(x);
    rmtk__free(pdf);
    rmtk__free(fx);
    rmtk__free(fy);
    return st;
}

/* ---- Tracy-Widom outliers and the robust fit --------------------------------------------------- */

int rmtk_mp_outlier_pvalue(double lambda, double sigma2, int64_t rows, int64_t cols,
                           double *tw_stat, double *pvalue)
{
    if ((!tw_stat && !pvalue) || !isfinite(lambda) || !(sigma2 > 0.0) || !isfinite(sigma2) ||
        rows < 1 || cols < 1 || (rows == 1 && cols == 1))
        return RMTK_ERR_ARG;
    double mu, sg;
    int st = rmtk_tw_johnstone((double)RMTK_MAX(rows, cols), (double)RMTK_MIN(rows, cols), &mu,
                               &sg);
    if (st != RMTK_OK)
        return st;
    double t = (lambda / sigma2 - mu) / sg;
    if (tw_stat)
        *tw_stat = t;
    if (pvalue) {
        double F = rmtk__tw_cdf(1, t, &st);
        if (st != RMTK_OK)
            return st;
        *pvalue = 1.0 - F;
    }
    return RMTK_OK;
}

static double median_sorted(const double *x, size_t n)
{
    return n % 2 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

/* The robust fit as a step-down test (see rmtk.h): with l[0..k) ascending, j values already
 * excluded and v_j the estimate from the bulk l[0..k-j), the next value l[k-1-j] is excluded when
 * its TW_1 p-value under v_j is below alpha. Under the null hypothesis of that step (the top j
 * are spikes, l[k-1-j] belongs to the bulk) v_j is the right estimate: it includes the value
 * under test, so excluding a value never lowers the scale against which that same value is
 * judged. The bulk left by j spikes is the spectrum of the noise deflated by the j signal
 * directions on each side, an (N - j) x (M - j) noise matrix: its mean eigenvalue is
 * v (max(N, M) - j), and its largest value is tested against the TW law of that shape (with N,
 * M alone the mean estimator is low by j/max(N, M): 1.6 % for 8 spikes in a 600 x 400 layer,
 * enough to fail the goodness of fit). The mean estimator keeps a running sum (O(1) per step),
 * the median one reads the sorted array (its quantile is not deflated). Stops at the first
 * non-significant value or at k/2 exclusions. */
static double bulk_estimate(const double *l, size_t nb, double sum, double qmed, double nbig,
                            size_t j, int estimator)
{
    if (estimator == RMTK_MP_EST_MEDIAN)
        return median_sorted(l, nb) / qmed;
    return sum / ((double)nb * (nbig - (double)j));
}

static int robust_fit(const double *l, size_t k, int64_t rows, int64_t cols,
                      const rmtk_mp_params *p, rmtk_mp_robust_fit *out)
{
    rmtk_mp_law unit = {1.0, (double)rows, (double)cols, RMTK_MP_EIGEN, 0};
    double qmed = 1.0, nbig = (double)RMTK_MAX(rows, cols), sum = 0.0;
    int st;
    if (p->estimator == RMTK_MP_EST_MEDIAN && (st = rmtk_mp_quantile(&unit, 0.5, &qmed)))
        return st;
    for (size_t i = 0; i < k; i++)
        sum += l[i];
    size_t j = 0, jmax = k / 2;
    double v = bulk_estimate(l, k, sum, qmed, nbig, 0, p->estimator);
    int capped = 0;
    for (;;) {
        if (!(v > 0.0) || !isfinite(v))
            return RMTK_ERR_NUMERIC;
        double pv;
        st = rmtk_mp_outlier_pvalue(l[k - 1 - j], v, rows - (int64_t)j, cols - (int64_t)j, NULL,
                                    &pv);
        if (st != RMTK_OK)
            return st;
        if (!(pv < p->alpha))
            break;
        if (j == jmax) {
            capped = 1;
            break;
        }
        sum -= l[k - 1 - j];
        j++;
        v = bulk_estimate(l, k - j, sum, qmed, nbig, j, p->estimator);
    }
    double sn = sqrt((double)rows), sm = sqrt((double)cols);
    out->sigma2 = v;
    out->lambda_minus = v * (sn - sm) * (sn - sm);
    out->lambda_plus = v * (sn + sm) * (sn + sm);
    out->n_excluded = (int64_t)j;
    out->steps = (int32_t)RMTK_MIN(j + 1, (size_t)INT32_MAX);
    out->capped = capped;
    return RMTK_OK;
}

/* Ascending squared singular values in a new buffer. */
static int squares_sorted(const double *s, size_t k, double **l_out)
{
    double *l = rmtk__malloc_array(k, sizeof *l);
    if (!l)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < k; i++)
        l[i] = s[i] * s[i];
    rmtk_sort(l, k);
    *l_out = l;
    return RMTK_OK;
}

int rmtk_mp_fit_robust(const double *s, size_t k, int64_t rows, int64_t cols,
                       const rmtk_mp_params *p, rmtk_mp_robust_fit *out)
{
    int st = mp_check(s, k, rows, cols, p);
    if (st != RMTK_OK || !out)
        return st != RMTK_OK ? st : RMTK_ERR_ARG;
    if (rows == 1 && cols == 1)
        return RMTK_ERR_NUMERIC;
    double *l;
    if ((st = squares_sorted(s, k, &l)) != RMTK_OK)
        return st;
    st = robust_fit(l, k, rows, cols, p, out);
    rmtk__free(l);
    return st;
}

int rmtk_mp_analyze(const double *s, size_t k, int64_t rows, int64_t cols,
                    const rmtk_mp_params *p, rmtk_mp_result *res, double *spike_lambda,
                    double *spike_theta, double *spike_pvalue, size_t cap)
{
    int st = mp_check(s, k, rows, cols, p);
    if (st != RMTK_OK)
        return st;
    if (!res || (cap > 0 && (!spike_lambda || !spike_theta || !spike_pvalue)))
        return RMTK_ERR_ARG;
    if (rows == 1 && cols == 1)
        return RMTK_ERR_NUMERIC;
    memset(res, 0, sizeof *res);
    double *l;
    if ((st = squares_sorted(s, k, &l)) != RMTK_OK)
        return st;
    st = robust_fit(l, k, rows, cols, p, &res->robust);
    if (st != RMTK_OK)
        goto done;
    double v = res->robust.sigma2;
    double nbig = (double)RMTK_MAX(rows, cols), c = (double)k / nbig;
    res->sigma2 = v;
    res->lambda_minus = res->robust.lambda_minus;
    res->lambda_plus = res->robust.lambda_plus;
    res->lambda_max = l[k - 1];
    res->softrank = l[k - 1] > 0.0 ? res->lambda_plus / l[k - 1] : INFINITY;
    res->bbp_c = c;
    double mu, sg;
    rmtk_tw_johnstone(nbig, (double)k, &mu, &sg);
    res->tw_mu = v * mu;
    res->tw_sigma = v * sg;
    st = rmtk_mp_outlier_pvalue(l[k - 1], v, rows, cols, &res->tw_stat_top, &res->pvalue_top);
    if (st != RMTK_OK)
        goto done;
    size_t ns = (size_t)res->robust.n_excluded;
    res->n_spikes = (int64_t)ns;
    for (size_t i = 0; i < RMTK_MIN(ns, cap); i++) {
        double li = l[k - 1 - i], th;
        spike_lambda[i] = li;
        st = rmtk_mp_outlier_pvalue(li, v, rows, cols, NULL, &spike_pvalue[i]);
        if (st != RMTK_OK)
            goto done;
        spike_theta[i] = rmtk_bbp_theta(sqrt(li / (v * nbig)), c, &th) == RMTK_OK ? th : 0.0;
    }
    res->paper_status = rmtk_mp_fit_paper(s, k, rows, cols, p, &res->paper);
    if (res->paper_status != RMTK_OK) {
        double nan = NAN;
        res->paper.a = res->paper.nu_min = res->paper.nu_max = res->paper.sigma2 = nan;
        res->paper.lambda_minus = res->paper.lambda_plus = res->paper.rss = nan;
    }
done:
    rmtk__free(l);
    return st;
}
