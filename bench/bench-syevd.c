/*
 * bench-syevd.c: LAPACK's two-stage symmetric eigensolver dsyevd_2stage (values only: dense ->
 * band by blocked Householder, band -> tridiagonal by bulge chasing; REF: Haidar, Ltaief,
 * Dongarra, SC'11) against the one-stage dsyevd (dsytrd, half of it BLAS-2) that the Gram route
 * uses, on the Gram matrix G = A^T A of a Gaussian A (2k x k), both through LAPACKE's _work
 * interfaces with their queried optimal workspaces, in the same run. Prints seconds, the ratio
 * and the largest eigenvalue difference relative to lambda_max. Sizes 1024, 2048, 4096 (argv
 * adds others, e.g. 8192). One BLAS thread, as rmtk_analysis_run.
 */
#include "rmtk.h"

#include <cblas.h>
#include <lapacke.h>
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

static double run(int two_stage, const double *g0, double *g, double *w, int n)
{
    double wq;
    lapack_int iq, info;
    if (two_stage)
        info = LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'U', n, g, n, w, &wq, -1, &iq,
                                          -1);
    else
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', n, g, n, w, &wq, -1, &iq, -1);
    if (info)
        return -1;
    double *work = malloc(sizeof(double) * (size_t)wq);
    lapack_int *iwork = malloc(sizeof(lapack_int) * (size_t)iq);
    memcpy(g, g0, sizeof(double) * (size_t)n * n);
    double t0 = now();
    if (two_stage)
        info = LAPACKE_dsyevd_2stage_work(LAPACK_COL_MAJOR, 'N', 'U', n, g, n, w, work,
                                          (lapack_int)wq, iwork, iq);
    else
        info = LAPACKE_dsyevd_work(LAPACK_COL_MAJOR, 'N', 'U', n, g, n, w, work, (lapack_int)wq,
                                   iwork, iq);
    double t = now() - t0;
    free(work);
    free(iwork);
    return info ? -1 : t;
}

int main(int argc, char **argv)
{
    int sizes[8] = {1024, 2048, 4096}, ns = 3;
    for (int i = 1; i < argc && ns < 8; i++)
        sizes[ns++] = (int)strtol(argv[i], NULL, 10);
    openblas_set_num_threads(1);
    printf("dsyevd vs dsyevd_2stage, values only, 1 BLAS thread (OpenBLAS %s)\n",
           openblas_get_config());
    printf("%6s %10s %12s %8s %12s\n", "n", "dsyevd", "dsyevd_2st", "2st/1st", "max|dl|/l1");
    for (int s = 0; s < ns; s++) {
        int n = sizes[s], m = 2 * n;
        double *a = malloc(sizeof(double) * (size_t)m * n);
        double *g0 = malloc(sizeof(double) * (size_t)n * n), *g = malloc(sizeof(double) * (size_t)n * n);
        double *w1 = malloc(sizeof(double) * n), *w2 = malloc(sizeof(double) * n);
        rmtk_rng_fill_normal(7, 0, 0, a, (size_t)m * n);
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, n, m, 1.0, a, m, 0.0, g0, n);
        int reps = n <= 2048 ? 2 : 1;
        double t1 = 1e30, t2 = 1e30;
        for (int r = 0; r < reps; r++) {
            t1 = fmin(t1, run(0, g0, g, w1, n));
            t2 = fmin(t2, run(1, g0, g, w2, n));
        }
        double d = 0;
        for (int i = 0; i < n; i++)
            d = fmax(d, fabs(w1[i] - w2[i]));
        printf("%6d %10.3f %12.3f %8.3f %12.2e\n", n, t1, t2, t2 / t1, d / w1[n - 1]);
        fflush(stdout);
        free(a);
        free(g0);
        free(g);
        free(w1);
        free(w2);
    }
    return 0;
}
