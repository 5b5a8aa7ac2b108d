/*
 * powerlaw-ref.h: the direct O(n^2) Clauset-Shalizi-Newman xmin scan, written independently of
 * src/tails.c. tests/test-tails.c checks rmtk's fast scan against it bit for bit, and
 * bench/bench-tails.c times it as the baseline the peers use.
 */
#ifndef RMTK_POWERLAW_REF_H
#define RMTK_POWERLAW_REF_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int powerlaw_ref_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* For every distinct value x_s leaving >= 2 values: alpha = 1 + m / (sum_{j>=s} ln x_j
 * - m ln x_s) with the sum accumulated from the top in long double; F_j = 1 - exp(-(alpha-1)
 * (ln x_j - ln x_s)); D = max_j max(F_j - j/m, (j+1)/m - F_j). Smallest D, smallest xmin on
 * ties. Writes the curve too (ascending xmin) when cx, ca, cd are not NULL. Returns the number
 * of candidates. */
static size_t powerlaw_ref_scan(const double *xin, size_t n, double *alpha, double *xmin,
                                double *d, double *cx, double *ca, double *cd)
{
    double *x = malloc(n * sizeof *x), *u = malloc(n * sizeof *u);
    memcpy(x, xin, n * sizeof *x);
    qsort(x, n, sizeof *x, powerlaw_ref_cmp);
    for (size_t i = 0; i < n; i++)
        u[i] = log(x[i]);
    double best = INFINITY;
    size_t c = 0;
    for (size_t s = 0; s + 2 <= n; s++) {
        if (s > 0 && x[s - 1] == x[s])
            continue;
        size_t m = n - s;
        long double sum = 0.0L;
        for (size_t j = n; j-- > s;)
            sum += (long double)u[j];
        double den = (double)(sum - (long double)m * (long double)u[s]);
        double a = NAN, dd = NAN;
        if (den > 0.0) {
            a = 1.0 + (double)m / den;
            double b = a - 1.0;
            dd = -INFINITY;
            for (size_t j = s; j < n; j++) {
                double f = 1.0 - exp(-b * (u[j] - u[s]));
                double lo = f - (double)(j - s) / (double)m;
                double hi = (double)(j - s + 1) / (double)m - f;
                double v = lo > hi ? lo : hi;
                if (v > dd)
                    dd = v;
            }
            if (dd < best) {
                best = dd;
                *alpha = a;
                *xmin = x[s];
                *d = dd;
            }
        }
        if (cx) {
            cx[c] = x[s];
            ca[c] = a;
            cd[c] = dd;
        }
        c++;
    }
    free(x);
    free(u);
    return c;
}

#endif /* RMTK_POWERLAW_REF_H */
