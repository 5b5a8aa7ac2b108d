/*
 * bench-lowrank.c: the low-rank route (rmtk_lowrank_execute: QR of L and R^T, SVD of the r x r
 * core) against the dense route on the formed product (rmtk_spectrum_execute, AUTO), measured in
 * the same run. Prints, per shape m x n and inner dimension r: the low-rank time, its time per
 * (m + n) r^2 (flat when the cost is O((m + n) r^2), whatever m n), the dense time where the
 * product fits (m n <= 4096 x 1024, one run; forming it is not timed) and the ratio dense /
 * low-rank. The low-rank route keeps its best of a few runs (RMTK_BENCH_QUICK=1: fewer shapes
 * and runs, the dense baseline at 1024 x 1024 only; RMTK_BENCH_DENSE=0: no dense baseline).
 */
#include "rmtk.h"

#include <cblas.h>
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

static double time_lowrank(int m, int n, int r, const double *l, const double *rr, double *sv,
                           int reps)
{
    rmtk_matrix_view lv = {l, m, r, r, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_matrix_view rv = {rr, r, n, n, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_lowrank_plan *plan = NULL;
    if (rmtk_lowrank_plan_alloc(m, n, r, 0, &plan))
        return -1;
    double best = 1e30;
    for (int k = 0; k < reps + 1; k++) { /* the first run touches the plan */
        double t0 = now();
        rmtk_lowrank_execute(plan, lv, rv, 1.0, 0, sv, NULL, NULL, NULL);
        double t = now() - t0;
        if (k > 0 && t < best)
            best = t;
    }
    rmtk_lowrank_plan_free(plan);
    return best;
}

/* The dense baseline: rmtk's spectrum (AUTO) of the formed product (forming it is not timed). */
static double time_dense(int m, int n, int r, const double *l, const double *rr, double *sv)
{
    double *w = malloc(sizeof(double) * (size_t)m * n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, r, 1.0, l, r, rr, n, 0.0, w, n);
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *dp = NULL;
    rmtk_matrix_view wv = {w, m, n, n, 1, RMTK_DTYPE_F64, 0, 0, 0};
    double t = -1;
    if (rmtk_spectrum_plan_alloc(m, n, &p, &dp) == 0) {
        double t0 = now();
        rmtk_spectrum_execute(dp, wv, sv, NULL, NULL, NULL);
        t = now() - t0;
    }
    rmtk_spectrum_plan_free(dp);
    free(w);
    return t;
}

int main(void)
{
    int quick = getenv("RMTK_BENCH_QUICK") != NULL;
    static const int shapes[][2] = {{1024, 1024}, {2048, 2048}, {4096, 1024}, {4096, 4096},
                                    {16384, 4096}, {32768, 8192}};
    static const int ranks[] = {8, 64};
    int nshapes = quick ? 3 : 6, reps = quick ? 2 : 5;
    /* the dense baseline for m n <= dense_max (slow: seconds to minutes on a loaded machine) */
    double dense_max = quick ? 1024.0 * 1024.0 : 4096.0 * 1024.0;
    const char *nd = getenv("RMTK_BENCH_DENSE"); /* "0": the low-rank table only */
    if (nd && !strcmp(nd, "0"))
        dense_max = 0;
    printf("low-rank route vs dense spectrum, float64 (OpenBLAS %s, %d threads)\n",
           openblas_get_config(), openblas_get_num_threads());
    printf("%-12s %4s %11s %16s %11s %12s\n", "m x n", "r", "lowrank s", "ns/((m+n)r^2)",
           "dense s", "dense/lowrk");
    for (int s = 0; s < nshapes; s++)
        for (int q = 0; q < 2; q++) {
            int m = shapes[s][0], n = shapes[s][1], r = ranks[q];
            double *l = malloc(sizeof(double) * (size_t)m * r);
            double *rr = malloc(sizeof(double) * (size_t)r * n);
            double *sv = malloc(sizeof(double) * (size_t)(m < n ? m : n));
            rmtk_rng_fill_normal(1, 0, 0, l, (size_t)m * r);
            rmtk_rng_fill_normal(2, 0, 0, rr, (size_t)r * n);
            double best = time_lowrank(m, n, r, l, rr, sv, reps);
            if (best < 0) {
                fprintf(stderr, "bench-lowrank: cannot allocate a plan for %d x %d x %d\n", m,
                        r, n);
                return 1;
            }
            double dense = (double)m * n <= dense_max ? time_dense(m, n, r, l, rr, sv) : -1;
            char ds[32] = "-", ratio[32] = "-", shape[32];
            if (dense > 0) {
                snprintf(ds, sizeof ds, "%.4f", dense);
                snprintf(ratio, sizeof ratio, "%.0fx", dense / best);
            }
            snprintf(shape, sizeof shape, "%dx%d", m, n);
            printf("%-12s %4d %11.5f %16.3f %11s %12s\n", shape, r, best,
                   1e9 * best / ((double)(m + n) * r * r), ds, ratio);
            fflush(stdout);
            free(l);
            free(rr);
            free(sv);
        }
    return 0;
}
