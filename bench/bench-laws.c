/*
 * bench-laws.c: cost of the law selection (rmtk_fitlaw: every default candidate, 39 bootstrap
 * replicas) on a 4096-level spectrum against the spectrum itself (LAPACKE_dsyevd, values only,
 * of a 4096 x 4096 Wishart Gram matrix), measured in the same run, as a ratio. Also the sparse
 * candidate's matched simulation (params.sparse) separately.
 *
 * The second fit of the same shape measures the law-table cache (tables reused, not rebuilt).
 *
 * Usage: bench-laws [n]   (default 2048). dsyevd is timed at n x n and scaled by (4096/n)^3
 * when n < 4096; the law selection always runs on 4096 values (MP quantiles of ratio 0.5: the
 * cost depends on the number of values and the shape, not on where they come from). Wall and
 * process CPU time are both printed (the machine may be shared).
 */
#include "rmtk.h"

#include <lapacke.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double clk(clockid_t id)
{
    struct timespec t;
    clock_gettime(id, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2048;
    if (n < 64 || n > 8192) {
        fprintf(stderr, "bench-laws: n in [64, 8192]\n");
        return 2;
    }
    size_t nn = (size_t)n * (size_t)n;
    double *A = malloc(nn * sizeof *A), *w = malloc((size_t)n * sizeof *w);
    rmtk_rng_fill_normal(1, 0, 0, A, nn);
    for (int i = 0; i < n; i++) /* symmetric: A + A^T (dsyevd reads one triangle) */
        for (int j = 0; j < i; j++)
            A[(size_t)i * n + j] = A[(size_t)j * n + i] =
                A[(size_t)i * n + j] + A[(size_t)j * n + i];
    double t0 = clk(CLOCK_MONOTONIC), c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
    lapack_int info = LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', n, A, n, w);
    double t_eig = clk(CLOCK_MONOTONIC) - t0, c_eig = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
    if (info != 0) {
        fprintf(stderr, "bench-laws: dsyevd info %d\n", (int)info);
        return 1;
    }
    double sc = n < 4096 ? pow(4096.0 / n, 3) : 1.0;
    printf("dsyevd values-only %dx%d: %.3f s wall, %.3f s cpu%s\n", n, n, t_eig, c_eig,
           n < 4096 ? " (x (4096/n)^3 below)" : "");
    t_eig *= sc;
    c_eig *= sc;
    free(A);
    free(w);

    enum { NV = 4096 };
    double *y = malloc(NV * sizeof *y);
    rmtk_mp_law law = {1.0, 1.0, 0.5, RMTK_MP_EIGEN, 0};
    for (int i = 0; i < NV; i++)
        rmtk_mp_quantile(&law, (i + 0.5) / NV, &y[i]);
    rmtk_fitlaw_params p = rmtk_fitlaw_params_default();
    rmtk_fitlaw_result r;
    t0 = clk(CLOCK_MONOTONIC);
    c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
    int st = rmtk_fitlaw(y, NV, 2 * NV, NV, &p, &r);
    double t_fit = clk(CLOCK_MONOTONIC) - t0, c_fit = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("rmtk_fitlaw, %d values, %zu candidates, %d replicas: %.3f s wall, %.3f s cpu "
           "(status %d, best %d)\n",
           NV, r.n_cand, p.bootstrap, t_fit, c_fit, st, r.best_code);
    printf("ratio to dsyevd 4096 (wall): %.3f   (cpu): %.3f\n", t_fit / t_eig, c_fit / c_eig);
    /* the same shape again: every law table from the cache (a second layer of one shape) */
    t0 = clk(CLOCK_MONOTONIC);
    c0 = clk(CLOCK_PROCESS_CPUTIME_ID);
    st = rmtk_fitlaw(y, NV, 2 * NV, NV, &p, &r);
    double t_warm = clk(CLOCK_MONOTONIC) - t0, c_warm = clk(CLOCK_PROCESS_CPUTIME_ID) - c0;
    printf("again, same shape (tables cached): %.3f s wall, %.3f s cpu (status %d); "
           "cached / first: %.3f wall, %.3f cpu\n",
           t_warm, c_warm, st, t_warm / t_fit, c_warm / c_fit);
    p.sparse = 1;
    t0 = clk(CLOCK_MONOTONIC);
    st = rmtk_fitlaw(y, NV, 2 * NV, NV, &p, &r);
    double t_sp = clk(CLOCK_MONOTONIC) - t0;
    printf("with the sparse candidate: %.3f s wall (status %d), ratio %.3f\n", t_sp, st,
           t_sp / t_eig);
    free(y);
    return 0;
}
