/*
 * stats.c: basic statistics on 1-D data shared by every analysis: sorting, one- and two-sample
 * Kolmogorov-Smirnov statistics (their p-values are in ks.c), Wasserstein-1 distance, mean/sd
 * and quantiles.
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
