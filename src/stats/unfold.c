/*
 * unfold.c: unfolding of a spectrum to unit mean level density. Three ways to build the smooth
 * counting function xi = N_smooth(s):
 *  - Gaussian broadening of the staircase with local widths (the paper's GaussBroadening,
 *    methods.md 1.4 A), 'drop' (the released unfold_spectrum: n - 4w levels) and 'replicate'
 *    (edge padding: n - 2w levels), plus the broadened density itself for figures;
 *  - a least-squares polynomial fit of the staircase in the Chebyshev basis;
 *  - a caller-supplied CDF (the fitted Marchenko-Pastur law).
 * The Gaussian sum is O(n^2) erf evaluations done naively; here each kernel only touches the
 * levels within 6.5 sqrt(2) sigma_i of its centre (found by binary search in sorted order) and
 * adds an exact 1 to every level above that, through a difference array: O(n w) erfc calls.
 */
#include "levels-internal.h"

#include <float.h>
#include <lapacke.h>
#include <math.h>
#include <string.h>

/* erf(u) for |u| > 6.5 is +-1 to within 1e-20 (0.5 erfc(6.5) = 2e-20). */
#define UNFOLD_ERF_CUT 6.5

rmtk_unfold_params rmtk_unfold_params_default(void)
{
    rmtk_unfold_params p;
    memset(&p, 0, sizeof p);
    p.method = RMTK_UNFOLD_GAUSS;
    p.gauss_edge = RMTK_GAUSS_DROP;
    p.window = 15;
    p.poly_degree = 9;
    p.sigma_floor = 1e-15;
    p.cdf = NULL;
    p.cdf_params = NULL;
    p.cdf_scale = 0.0;
    return p;
}

static int check_params(const rmtk_unfold_params *p)
{
    if (!p)
        return RMTK_ERR_ARG;
    switch (p->method) {
    case RMTK_UNFOLD_GAUSS:
        if (p->window < 1 || (p->gauss_edge != RMTK_GAUSS_DROP &&
                              p->gauss_edge != RMTK_GAUSS_REPLICATE) ||
            !(p->sigma_floor >= 0.0))
            return RMTK_ERR_ARG;
        return RMTK_OK;
    case RMTK_UNFOLD_POLY:
        return (p->poly_degree >= 1 && p->poly_degree <= 40) ? RMTK_OK : RMTK_ERR_ARG;
    case RMTK_UNFOLD_CDF:
        return (p->cdf && p->cdf_scale >= 0.0 && isfinite(p->cdf_scale)) ? RMTK_OK
                                                                          : RMTK_ERR_ARG;
    default:
        return RMTK_ERR_ARG;
    }
}

int rmtk_unfold_count(size_t n, const rmtk_unfold_params *p, size_t *n_out)
{
    int st = check_params(p);
    if (st != RMTK_OK || !n_out)
        return RMTK_ERR_ARG;
    size_t k = 0;
    if (p->method == RMTK_UNFOLD_GAUSS) {
        size_t w = p->window, cut = (p->gauss_edge == RMTK_GAUSS_DROP ? 4 : 2) * w;
        k = n > cut ? n - cut : 0;
        /* the drop kernels need i - w >= 0 and i + w < n for some i: n > 2w holds when n > 4w */
    } else if (p->method == RMTK_UNFOLD_POLY) {
        k = n > (size_t)p->poly_degree + 1 ? n : 0;
    } else {
        k = n;
    }
    *n_out = 0;
    if (k < 2)
        return RMTK_ERR_NUMERIC;
    *n_out = k;
    return RMTK_OK;
}

/* The kernels of the broadening: centres mu[0..nk) and widths sig[0..nk) from the sorted levels.
 *   drop:      mu_i = s_i, sigma_i = (s_{i+w} - s_{i-w})/2,  i in [w, n - w)
 *   replicate: p = s padded with w copies of s_0 and s_{n-1}; mu = p_i, sigma_i =
 *              (p_{i+w} - p_{i-w})/2 for i in [w, n + w), i.e. one kernel per original level.
 * Widths below floor are raised to it and counted. REF: methods.md 1.4 A. */
static size_t make_kernels(const double *s, size_t n, size_t w, int edge, double floor,
                           double *mu, double *sig, size_t *nk)
{
    size_t k = 0, floored = 0;
    if (edge == RMTK_GAUSS_DROP) {
        for (size_t i = w; i + w < n; i++, k++) {
            mu[k] = s[i];
            sig[k] = 0.5 * (s[i + w] - s[i - w]);
        }
    } else {
        for (size_t i = 0; i < n; i++, k++) {
            size_t lo = i >= w ? i - w : 0, hi = i + w < n ? i + w : n - 1;
            mu[k] = s[i];
            sig[k] = 0.5 * (s[hi] - s[lo]);
        }
    }
    for (size_t i = 0; i < k; i++)
        if (!(sig[i] >= floor)) {
            sig[i] = floor;
            floored++;
        }
    *nk = k;
    return floored;
}

/* xi_j = sum_i (1/2) erfc(-(x_j - mu_i)/(sqrt 2 sigma_i)) at ascending points x[0..m).
 * = (1/2)[1 + erf(.)] of the paper. Kernel i is evaluated only for x_j within
 * UNFOLD_ERF_CUT sqrt(2) sigma_i of mu_i; it adds exactly 1 to every x_j above that range (a
 * difference array `ones`) and 0 below. */
static void broaden_sum(const double *mu, const double *sig, size_t nk, const double *x, size_t m,
                        double *xi, double *ones)
{
    for (size_t j = 0; j <= m; j++)
        ones[j] = 0.0;
    for (size_t j = 0; j < m; j++)
        xi[j] = 0.0;
    for (size_t i = 0; i < nk; i++) {
        double r = UNFOLD_ERF_CUT * M_SQRT2 * sig[i];
        size_t lo = rmtk__count_lt(x, m, mu[i] - r), hi = rmtk__count_le(x, m, mu[i] + r);
        double inv = 1.0 / (M_SQRT2 * sig[i]);
        for (size_t j = lo; j < hi; j++)
            xi[j] += 0.5 * erfc(-(x[j] - mu[i]) * inv);
        ones[hi] += 1.0;
    }
    double run = 0.0;
    for (size_t j = 0; j < m; j++) {
        run += ones[j];
        xi[j] += run;
    }
}

static int unfold_gauss(const double *s, size_t n, const rmtk_unfold_params *p, double *xi,
                        size_t n_out, size_t *n_floored)
{
    size_t w = p->window, nk;
    double amax = RMTK_MAX(fabs(s[0]), fabs(s[n - 1]));
    /* never below DBL_MIN: a zero width would give 0 * inf = NaN for coincident levels */
    double floor = RMTK_MAX(p->sigma_floor * (amax > 0.0 ? amax : 1.0), DBL_MIN);
    double *mu = rmtk__malloc_array(n, sizeof(double));
    double *sig = rmtk__malloc_array(n, sizeof(double));
    double *ones = rmtk__malloc_array(n + 1, sizeof(double));
    if (!mu || !sig || !ones) {
        rmtk__free(mu);
        rmtk__free(sig);
        rmtk__free(ones);
        return RMTK_ERR_NOMEM;
    }
    size_t fl = make_kernels(s, n, w, p->gauss_edge, floor, mu, sig, &nk);
    /* evaluation points: drop j in [2w, n - 2w), replicate j in [w, n - w) */
    size_t j0 = (p->gauss_edge == RMTK_GAUSS_DROP ? 2 : 1) * w;
    broaden_sum(mu, sig, nk, s + j0, n_out, xi, ones);
    rmtk_sort(xi, n_out);
    if (n_floored)
        *n_floored = fl;
    rmtk__free(mu);
    rmtk__free(sig);
    rmtk__free(ones);
    return RMTK_OK;
}

/* Chebyshev least squares of the staircase: minimise sum_i (sum_k c_k T_k(t_i) - (i + 1/2))^2,
 * t_i = (2 s_i - s_0 - s_{n-1}) / (s_{n-1} - s_0) in [-1, 1] (orthogonal-like basis: a
 * well-conditioned design), by Householder QR (LAPACK dgels). xi_i = the fit at s_i, sorted. */
static int unfold_poly(const double *s, size_t n, unsigned deg, double *xi)
{
    size_t nc = (size_t)deg + 1;
    double span = s[n - 1] - s[0];
    double *A = rmtk__malloc_array(n * nc, sizeof(double));
    double *b = rmtk__malloc_array(n, sizeof(double));
    double *work = NULL;
    int st = RMTK_OK;
    if (!A || !b) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        double t = (2.0 * s[i] - s[0] - s[n - 1]) / span, t0 = 1.0, t1 = t;
        A[i] = 1.0;
        if (nc > 1)
            A[i + n] = t;
        for (size_t k = 2; k < nc; k++) {
            double t2 = 2.0 * t * t1 - t0;
            A[i + k * n] = t2;
            t0 = t1;
            t1 = t2;
        }
        b[i] = (double)i + 0.5;
    }
    double wq;
    lapack_int info = LAPACKE_dgels_work(LAPACK_COL_MAJOR, 'N', (lapack_int)n, (lapack_int)nc, 1,
                                         A, (lapack_int)n, b, (lapack_int)n, &wq, -1);
    if (info != 0) {
        st = RMTK_ERR_LAPACK;
        goto done;
    }
    lapack_int lw = (lapack_int)wq;
    work = rmtk__malloc_array((size_t)lw, sizeof(double));
    if (!work) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    info = LAPACKE_dgels_work(LAPACK_COL_MAJOR, 'N', (lapack_int)n, (lapack_int)nc, 1, A,
                              (lapack_int)n, b, (lapack_int)n, work, lw);
    if (info != 0) {
        st = info > 0 ? RMTK_ERR_NUMERIC : RMTK_ERR_LAPACK;
        goto done;
    }
    /* b[0..nc) holds the coefficients; evaluate by Clenshaw. */
    for (size_t i = 0; i < n; i++) {
        double t = (2.0 * s[i] - s[0] - s[n - 1]) / span, d = 0.0, dd = 0.0;
        for (size_t k = nc - 1; k >= 1; k--) {
            double sv = d;
            d = 2.0 * t * d - dd + b[k];
            dd = sv;
        }
        xi[i] = t * d - dd + b[0];
    }
    rmtk_sort(xi, n);
done:
    rmtk__free(A);
    rmtk__free(b);
    rmtk__free(work);
    return st;
}

int rmtk_unfold(const double *levels, size_t n, const rmtk_unfold_params *p, double *xi,
                size_t cap, size_t *n_out, size_t *n_floored)
{
    if (!levels || !xi || !n_out || check_params(p) != RMTK_OK)
        return RMTK_ERR_ARG;
    if (n_floored)
        *n_floored = 0;
    *n_out = 0;
    size_t k;
    int st = rmtk_unfold_count(n, p, &k);
    if (st != RMTK_OK)
        return st;
    if (cap < k)
        return RMTK_ERR_RANGE;
    double *s;
    st = rmtk__sorted_finite_copy(levels, n, &s);
    if (st != RMTK_OK)
        return st;
    if (!(s[n - 1] > s[0])) {
        rmtk__free(s);
        return RMTK_ERR_NUMERIC;
    }
    if (p->method == RMTK_UNFOLD_GAUSS) {
        st = unfold_gauss(s, n, p, xi, k, n_floored);
    } else if (p->method == RMTK_UNFOLD_POLY) {
        st = unfold_poly(s, n, p->poly_degree, xi);
    } else {
        double scale = p->cdf_scale > 0.0 ? p->cdf_scale : (double)n;
        for (size_t i = 0; i < n && st == RMTK_OK; i++) {
            xi[i] = scale * p->cdf(s[i], p->cdf_params);
            if (!isfinite(xi[i]))
                st = RMTK_ERR_NUMERIC;
        }
        if (st == RMTK_OK)
            rmtk_sort(xi, n);
    }
    rmtk__free(s);
    if (st == RMTK_OK)
        *n_out = k;
    return st;
}

/* rho(x) = (1/n') sum_i exp(-(x - mu_i)^2 / (2 (sigma_i + floor)^2)) / (sqrt(2 pi) (sigma_i +
 * floor)), the paper's broadened density (the widths get the floor added as the code adds 1e-15).
 * n' = n for drop, n + 2w for replicate. Kernels further than 40 sigma from x contribute < 1e-300
 * and are skipped. REF: methods.md 1.4 A. */
int rmtk_gauss_density(const double *levels, size_t n, uint32_t window, int32_t edge,
                       double sigma_floor, const double *x, size_t m, double *rho)
{
    if (!levels || (!x && m) || (!rho && m) || window < 1 || !(sigma_floor >= 0.0) ||
        (edge != RMTK_GAUSS_DROP && edge != RMTK_GAUSS_REPLICATE))
        return RMTK_ERR_ARG;
    size_t w = window;
    if (n <= 2 * w)
        return RMTK_ERR_NUMERIC;
    double *s;
    int st = rmtk__sorted_finite_copy(levels, n, &s);
    if (st != RMTK_OK)
        return st;
    double *mu = rmtk__malloc_array(n, sizeof(double));
    double *sig = rmtk__malloc_array(n, sizeof(double));
    if (!mu || !sig) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    double amax = RMTK_MAX(fabs(s[0]), fabs(s[n - 1]));
    double floor = sigma_floor * (amax > 0.0 ? amax : 1.0);
    size_t nk;
    make_kernels(s, n, w, edge, 0.0, mu, sig, &nk);
    double norm = 1.0 / (double)(edge == RMTK_GAUSS_DROP ? n : n + 2 * w);
    for (size_t j = 0; j < m; j++) {
        double sum = 0.0;
        for (size_t i = 0; i < nk; i++) {
            double sd = sig[i] + floor;
            if (!(sd > 0.0))
                continue;
            double z = (x[j] - mu[i]) / sd;
            if (fabs(z) < 40.0)
                sum += exp(-0.5 * z * z) / sd;
        }
        rho[j] = norm * sum / sqrt(2.0 * RMTK_PI);
    }
done:
    rmtk__free(s);
    rmtk__free(mu);
    rmtk__free(sig);
    return st;
}
