/*
 * bench-tails.c: timings of the tails module.
 *  1. CSN fit with the full xmin scan (no bootstrap) on Pareto data, n = 1e5, one core.
 *  2. The same scan done the peers' way (O(n^2): for every candidate a full pass over its tail),
 *     timed at n = 1e4 and 2e4 in this run and extrapolated to 1e5 as (1e5/n)^2 (stated as an
 *     extrapolation: the naive scan at 1e5 takes minutes). The ratio at equal n is measured.
 *  3. The bootstrap (200 replicas, n = 1e4) at 1 and 2 threads.
 * Usage: bench-tails [n]   (default 100000)
 */
#include "rmtk.h"
#include "../tests/powerlaw-ref.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double cpu(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Pareto(alpha_ccdf = a) sample with xmin 1 on top of an exponential body below 1. */
static void sample(double *x, size_t n, double a, uint64_t seed)
{
    rmtk_rng g;
    rmtk_rng_init(&g, seed, 0);
    for (size_t i = 0; i < n; i++) {
        double u = rmtk_rng_uniform(&g);
        x[i] = i % 4 == 0 ? 1.0 - 0.9 * rmtk_rng_uniform(&g) : pow(u, -1.0 / a);
    }
}

/* Best of reps: wall time (returned) and process CPU time (*cpu_s): the machine is shared, so
 * the CPU time is the better measure of the work. */
static double time_fast(const double *x, size_t n, rmtk_powerlaw_fit *fit, int reps,
                        double *cpu_s)
{
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    double best = INFINITY, bestc = INFINITY;
    for (int r = 0; r < reps; r++) {
        double t0 = now(), c0 = cpu();
        if (rmtk_powerlaw_fit_run(x, n, &p, fit, NULL, NULL, NULL, 0, NULL) != RMTK_OK)
            fprintf(stderr, "fit failed\n");
        double t = now() - t0, c = cpu() - c0;
        if (t < best)
            best = t;
        if (c < bestc)
            bestc = c;
    }
    if (cpu_s)
        *cpu_s = bestc;
    return best;
}

int main(int argc, char **argv)
{
    size_t n = argc > 1 ? (size_t)strtoull(argv[1], NULL, 10) : 100000;
    double *x = malloc(n * sizeof *x);
    sample(x, n, 1.5, 42);
    rmtk_powerlaw_fit fit;
    double cf;
    double tf = time_fast(x, n, &fit, 3, &cf);
    printf("CSN fit, full xmin scan, n = %zu, 1 core: %.3f s wall, %.3f s CPU (best of 3; alpha "
           "%.4f, xmin %.4f, D %.5f, %llu candidates)\n",
           n, tf, cf, fit.alpha, fit.xmin, fit.ks_d, (unsigned long long)fit.n_candidates);

    printf("\nnaive O(n^2) scan (measured) vs rmtk (measured), same data:\n");
    double tn_last = 0, n_last = 0;
    for (size_t nn = 10000; nn <= 20000 && nn <= n; nn *= 2) {
        double *y = malloc(nn * sizeof *y);
        sample(y, nn, 1.5, 7);
        double a0 = 0, xm0 = 0, d0 = 0;
        double c0 = cpu();
        powerlaw_ref_scan(y, nn, &a0, &xm0, &d0, NULL, NULL, NULL);
        double tn = cpu() - c0;
        rmtk_powerlaw_fit f2;
        double tfast;
        time_fast(y, nn, &f2, 3, &tfast);
        printf("  n = %6zu: naive %.3f s CPU, rmtk %.4f s CPU, ratio %.0fx, identical result: "
               "%s\n", nn, tn, tfast, tn / tfast,
               (a0 == f2.alpha && xm0 == f2.xmin && d0 == f2.ks_d) ? "yes" : "NO");
        tn_last = tn;
        n_last = (double)nn;
        free(y);
    }
    if (n_last > 0) {
        double extra = tn_last * ((double)n / n_last) * ((double)n / n_last);
        printf("  naive at n = %zu EXTRAPOLATED as (n/%.0f)^2 from the last measurement: %.1f s; "
               "ratio to the measured rmtk CPU time %.0fx\n",
               n, n_last, extra, extra / cf);
    }

    printf("\nbootstrap (n = 10000, 200 replicas, full xmin scan per replica; best of 3 "
           "interleaved rounds):\n");
    size_t nb = n < 10000 ? n : 10000;
    double best[3] = {INFINITY, INFINITY, INFINITY}, pg[3] = {0, 0, 0};
    for (int round = 0; round < 3; round++)
        for (uint32_t th = 1; th <= 2; th++) {
            rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
            p.bootstrap = 200;
            p.threads = th;
            p.seed = 3;
            rmtk_powerlaw_fit f3;
            double t0 = now();
            rmtk_powerlaw_fit_run(x, nb, &p, &f3, NULL, NULL, NULL, 0, NULL);
            best[th] = fmin(best[th], now() - t0);
            pg[th] = f3.p_gof;
        }
    for (uint32_t th = 1; th <= 2; th++)
        printf("  %u thread(s): %.3f s (speed-up %.2fx), p = %.3f\n", th, best[th],
               best[1] / best[th], pg[th]);
    free(x);
    return 0;
}
