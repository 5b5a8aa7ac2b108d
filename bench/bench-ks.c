/*
 * bench-ks.c: the cost of the KS p-value rmtk_ks_pvalue(n, d) against the cost of the statistic
 * it is the p-value of (sorting n normal values and rmtk_ks_statistic against Phi), both measured
 * in this run, for n from 20 to 1e6 and d = z / sqrt(n) with z = 0.8 (body), 1.5, 3, 6 (tail).
 * The p-value is O(1) in the body (Pelz-Good, or the MTW matrix power for n <= 140) and O(n) in
 * the tail (the one-sided Smirnov sum; see src/stats/ks.c), so the ratio stays bounded.
 *
 * Usage: bench-ks
 */
#include "rmtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cdf_normal(double x, const void *p)
{
    (void)p;
    return 0.5 * erfc(-x / sqrt(2.0));
}

int main(void)
{
    const size_t ns[] = {20, 140, 1000, 10000, 100000, 1000000};
    const double zs[] = {0.8, 1.5, 3.0, 6.0};
    printf("%8s %10s | %10s %10s %10s %10s   (p-value time / statistic time)\n", "n",
           "stat_us", "z=0.8", "z=1.5", "z=3", "z=6");
    for (size_t a = 0; a < sizeof ns / sizeof *ns; a++) {
        size_t n = ns[a];
        double *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
        if (!x || !y)
            return 1;
        rmtk_rng_fill_normal(5, 0, 0, x, n);
        int reps = n >= 100000 ? 5 : (int)(2000000 / n + 1);
        double d = 0, sink = 0, t0 = now();
        for (int r = 0; r < reps; r++) {
            for (size_t i = 0; i < n; i++)
                y[i] = x[i];
            rmtk_sort(y, n);
            rmtk_ks_statistic(y, n, cdf_normal, NULL, &d);
            sink += d;
        }
        double ts = (now() - t0) / reps;
        printf("%8zu %10.2f |", n, ts * 1e6);
        for (size_t b = 0; b < sizeof zs / sizeof *zs; b++) {
            double dz = zs[b] / sqrt((double)n);
            t0 = now();
            for (int r = 0; r < reps; r++)
                sink += rmtk_ks_pvalue(n, dz * (1 + 1e-12 * r));
            double tp = (now() - t0) / reps;
            printf(" %10.3f", tp / ts);
        }
        printf("\n");
        free(x);
        free(y);
        if (sink == 42.0)
            printf(" ");
    }
    return 0;
}
