/*
 * stats.c: basic statistics on 1-D data shared by every analysis: sorting, one- and two-sample
 * Kolmogorov-Smirnov statistics with exact and asymptotic p-values, Wasserstein-1 distance,
 * mean/sd and quantiles.
 */
#include "internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int rmtk__cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    if (isnan(x))
        return isnan(y) ? 0 : 1;
    if (isnan(y))
        return -1;
    return (x > y) - (x < y);
}

size_t rmtk__count_lt(const double *x, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] < v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t rmtk__count_le(const double *x, size_t n, double v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void rmtk_sort(double *x, size_t n)
{
    if (x && n > 1)
        qsort(x, n, sizeof *x, rmtk__cmp_double);
}

int rmtk__sorted_finite_copy(const double *x, size_t n, double **out)
{
    *out = NULL;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i]))
            return RMTK_ERR_ARG;
    double *s = rmtk__malloc_array(n ? n : 1, sizeof *s);
    if (!s)
        return RMTK_ERR_NOMEM;
    memcpy(s, x, n * sizeof *s);
    rmtk_sort(s, n);
    *out = s;
    return RMTK_OK;
}

int rmtk_ks_statistic(const double *x, size_t n, rmtk_cdf_fn cdf, const void *params, double *d)
{
    if (!x || !cdf || !d || n == 0)
        return RMTK_ERR_ARG;
    double dmax = 0.0;
    for (size_t i = 0; i < n; i++) {
        double f = cdf(x[i], params);
        double lo = f - (double)i / (double)n, hi = (double)(i + 1) / (double)n - f;
        if (lo > dmax)
            dmax = lo;
        if (hi > dmax)
            dmax = hi;
    }
    *d = dmax;
    return RMTK_OK;
}

double rmtk_kolmogorov_sf(double lambda)
{
    if (lambda <= 0.0)
        return 1.0;
    if (lambda < 0.2) {
        /* Q is 1 to double precision here (the alternating series converges slowly). */
        return 1.0;
    }
    double sum = 0.0;
    for (int j = 1; j <= 100; j++) {
        double t = exp(-2.0 * j * j * lambda * lambda);
        sum += (j % 2 ? t : -t);
        if (t < 1e-17)
            break;
    }
    double q = 2.0 * sum;
    return q < 0 ? 0 : (q > 1 ? 1 : q);
}

/*
 * Exact P(D_n < d) by Marsaglia, Tsang & Wang, "Evaluating Kolmogorov's distribution",
 * J. Stat. Softw. 8(18), 2003: with k = floor(n d) + 1, m = 2k - 1, h = k - n d, the m x m matrix
 * H_ij = 1/(i-j+1)! for i-j+1 >= 0 (0 otherwise), corrected in its first column and last row by
 * powers of h, gives P = n!/n^n (H^n)_{kk}. Powers are taken by squaring with a decimal exponent
 * kept aside to avoid overflow.
 */
typedef struct {
    double *a, *b, *c; /* m x m scratch */
} mtw_ws;

static void mat_mul(const double *x, const double *y, double *z, int m)
{
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++) {
            double s = 0;
            for (int k = 0; k < m; k++)
                s += x[i * m + k] * y[k * m + j];
            z[i * m + j] = s;
        }
}

/* v = h^e (times 10^*ev) into out, scratch in ws. */
static void mat_pow(const double *h, int m, size_t e, double *out, int *ev, double *t1, double *t2)
{
    if (e == 1) {
        memcpy(out, h, sizeof(double) * (size_t)m * m);
        *ev = 0;
        return;
    }
    int eh;
    mat_pow(h, m, e / 2, t1, &eh, out, t2);
    mat_mul(t1, t1, out, m);
    int eo = 2 * eh;
    if (e % 2 == 1) {
        memcpy(t1, out, sizeof(double) * (size_t)m * m);
        mat_mul(h, t1, out, m);
    }
    if (out[(m / 2) * m + m / 2] > 1e140) {
        for (int i = 0; i < m * m; i++)
            out[i] *= 1e-140;
        eo += 140;
    }
    *ev = eo;
}

static double ks_cdf_exact(size_t n, double d, bool *ok)
{
    int k = (int)(n * d) + 1, m = 2 * k - 1;
    double h = k - n * d;
    size_t mm = (size_t)m * m;
    double *buf = rmtk__malloc_array(4 * mm, sizeof(double));
    *ok = buf != NULL;
    if (!buf)
        return NAN;
    double *H = buf, *Q = buf + mm, *t1 = buf + 2 * mm, *t2 = buf + 3 * mm;
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            H[i * m + j] = (i - j + 1 < 0) ? 0.0 : 1.0;
    for (int i = 0; i < m; i++) {
        H[i * m] -= pow(h, i + 1);
        H[(m - 1) * m + i] -= pow(h, m - i);
    }
    H[(m - 1) * m] += (2 * h - 1 > 0 ? pow(2 * h - 1, m) : 0);
    for (int i = 0; i < m; i++)
        for (int j = 0; j < m; j++)
            if (i - j + 1 > 0)
                for (int g = 1; g <= i - j + 1; g++)
                    H[i * m + j] /= g;
    int eq;
    mat_pow(H, m, n, Q, &eq, t1, t2);
    double s = Q[(k - 1) * m + k - 1];
    for (size_t i = 1; i <= n; i++) {
        s = s * (double)i / (double)n;
        if (s < 1e-140) {
            s *= 1e140;
            eq -= 140;
        }
    }
    s *= pow(10.0, eq);
    rmtk__free(buf);
    return s;
}

double rmtk_ks_pvalue(size_t n, double d)
{
    if (n == 0 || isnan(d))
        return NAN;
    if (d <= 0.5 / (double)n)
        return 1.0; /* D_n >= 1/(2n) always */
    if (d >= 1.0)
        return 0.0;
    if (n <= 1000 && n * d <= 100.0) {
        bool ok;
        double c = ks_cdf_exact(n, d, &ok);
        if (ok) {
            double p = 1.0 - c;
            return p < 0 ? 0 : (p > 1 ? 1 : p);
        }
    }
    double sn = sqrt((double)n);
    return rmtk_kolmogorov_sf((sn + 0.12 + 0.11 / sn) * d);
}

int rmtk_ks2_statistic(const double *a, size_t na, const double *b, size_t nb, double *d)
{
    if (!a || !b || !d || na == 0 || nb == 0)
        return RMTK_ERR_ARG;
    size_t i = 0, j = 0;
    double dmax = 0;
    while (i < na && j < nb) {
        double x = a[i] <= b[j] ? a[i] : b[j];
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
        double diff = fabs((double)i / na - (double)j / nb);
        if (diff > dmax)
            dmax = diff;
    }
    *d = dmax;
    return RMTK_OK;
}

int rmtk_wasserstein1(const double *a, size_t na, const double *b, size_t nb, double *w)
{
    if (!a || !b || !w || na == 0 || nb == 0)
        return RMTK_ERR_ARG;
    /* Integrate |F_a(x) - F_b(x)| over the merged breakpoints. */
    size_t i = 0, j = 0;
    double x = a[0] < b[0] ? a[0] : b[0], sum = 0;
    while (i < na || j < nb) {
        double next;
        if (j >= nb || (i < na && a[i] <= b[j]))
            next = a[i];
        else
            next = b[j];
        sum += fabs((double)i / na - (double)j / nb) * (next - x);
        x = next;
        while (i < na && a[i] <= x)
            i++;
        while (j < nb && b[j] <= x)
            j++;
    }
    *w = sum;
    return RMTK_OK;
}

int rmtk_mean_sd(const double *x, size_t n, double *mean, double *sd)
{
    if (!x || n == 0)
        return RMTK_ERR_ARG;
    /* Welford's update: stable for large n. */
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double delta = x[i] - m;
        m += delta / (double)(i + 1);
        s += delta * (x[i] - m);
    }
    if (mean)
        *mean = m;
    if (sd)
        *sd = n > 1 ? sqrt(s / (double)(n - 1)) : 0.0;
    return RMTK_OK;
}

int rmtk_quantile_sorted(const double *x, size_t n, double p, double *q)
{
    if (!x || !q || n == 0 || !(p >= 0.0 && p <= 1.0))
        return RMTK_ERR_ARG;
    double h = (double)(n - 1) * p;
    size_t lo = (size_t)floor(h);
    if (lo >= n - 1) {
        *q = x[n - 1];
        return RMTK_OK;
    }
    *q = x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]);
    return RMTK_OK;
}
