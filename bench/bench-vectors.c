/*
 * bench-vectors.c: cost of the Porter-Thomas tests of all 2n singular vectors of an n x n
 * Gaussian matrix against the SVD with vectors that produces them (LAPACKE_dgesdd, jobz = 'S'),
 * measured on the same matrix in the same run. The PT cost is split into the null simulation
 * (once per dimension, shared by every matrix of that dimension) and the tests themselves.
 *
 *   bench-vectors [--method exact|kolmogorov|paper|staats] [n ...]   (default n: 1024 2048)
 *   bench-vectors --pt-only [--method M] n                             (PT only, no SVD)
 *
 * The SVD runs with OpenBLAS's threads; the PT tests run on one thread.
 */
#include "rmtk.h"

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

/* PT analysis of u (left) and v (right) vectors: returns seconds for plan build and tests. */
static int run_pt(int method, const double *u, const double *v, size_t n, const double *s,
                  double *t_plan, double *t_test, rmtk_vectors_result *res)
{
    rmtk_pt_params par = rmtk_pt_params_default();
    par.method = method;
    rmtk_vectors_ws *ws = NULL;
    int st = rmtk_vectors_ws_alloc(&par, &ws);
    if (st)
        return st;
    /* The null alone (what the workspace builds once per dimension: a square matrix has one),
     * then the analysis: its first call builds the plan, the second finds it cached and
     * measures the tests alone. */
    rmtk_pt_plan *pl = NULL;
    double t0 = now();
    st = rmtk_pt_plan_alloc(n, &par, &pl);
    *t_plan = now() - t0;
    rmtk_pt_plan_free(pl);
    if (!st)
        st = rmtk_vectors_analyze(ws, u, n, v, n, n, s, res);
    double t1 = now();
    if (!st)
        st = rmtk_vectors_analyze(ws, u, n, v, n, n, s, res);
    *t_test = now() - t1;
    rmtk_vectors_ws_free(ws);
    return st;
}

int main(int argc, char **argv)
{
    int method = RMTK_PT_EXACT_MC, pt_only = 0;
    size_t sizes[16], ns = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--pt-only")) {
            pt_only = 1;
        } else if (!strcmp(argv[i], "--method") && i + 1 < argc) {
            const char *m = argv[++i];
            method = !strcmp(m, "kolmogorov") ? RMTK_PT_EXACT_KOLMOGOROV
                     : !strcmp(m, "paper")    ? RMTK_PT_PAPER
                     : !strcmp(m, "staats")   ? RMTK_PT_STAATS
                                              : RMTK_PT_EXACT_MC;
        } else if (ns < 16) {
            sizes[ns++] = (size_t)strtoul(argv[i], NULL, 10);
        }
    }
    if (ns == 0) {
        sizes[ns++] = 1024;
        sizes[ns++] = 2048;
    }
    printf("method %d (0 exact+MC, 1 exact+Kolmogorov, 2 paper, 3 Staats), default nsamples\n",
           method);
    for (size_t t = 0; t < ns; t++) {
        size_t n = sizes[t];
        if (n < 16)
            continue;
        double *a = malloc(sizeof(double) * n * n), *u = malloc(sizeof(double) * n * n);
        double *vt = malloc(sizeof(double) * n * n), *v = malloc(sizeof(double) * n * n);
        double *s = malloc(sizeof(double) * n);
        if (!a || !u || !vt || !v || !s)
            return 1;
        rmtk_rng_fill_normal(1, 0, 0, a, n * n);
        double t_svd = 0, t_tr = 0;
        if (pt_only) {
            /* random orthonormal-like vectors: Gaussian columns normalised inside the tests */
            rmtk_rng_fill_normal(2, 0, 0, u, n * n);
            rmtk_rng_fill_normal(3, 0, 0, v, n * n);
            for (size_t j = 0; j < n; j++)
                s[j] = (double)(n - j);
        } else {
            double t0 = now();
            int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', (int)n, (int)n, a, (int)n, s, u,
                                      (int)n, vt, (int)n);
            t_svd = now() - t0;
            if (info != 0) {
                fprintf(stderr, "dgesdd info %d\n", info);
                return 1;
            }
            t0 = now();
            for (size_t j = 0; j < n; j++) /* rows of V^T -> vector-major V */
                for (size_t i = 0; i < n; i++)
                    v[j * n + i] = vt[j + i * n];
            t_tr = now() - t0;
        }
        double t_plan, t_test;
        rmtk_vectors_result res;
        memset(&res, 0, sizeof res);
        int st = run_pt(method, u, v, n, s, &t_plan, &t_test, &res);
        if (st) {
            fprintf(stderr, "PT failed: %s\n", rmtk_status_str(st));
            return 1;
        }
        double pt = t_plan + t_test;
        printf("n = %5zu: PT null (once per dimension) %.3f s, PT tests of %zu vectors %.3f s, "
               "V^T transpose %.3f s; frac rejected %.4f\n", n, t_plan, 2 * n, t_test, t_tr,
               res.pt_frac_rejected);
        if (!pt_only) {
            printf("          dgesdd jobz='S' %.3f s; ratio PT(null + tests)/SVD = %.3f, "
                   "tests only/SVD = %.3f\n", t_svd, pt / t_svd, t_test / t_svd);
            /* SVD ~ n^3; tests ~ n vectors x n log n; null ~ nsamples x n log n */
            double f = 4096.0 / (double)n, lg = log(4096.0) / log((double)n);
            double svd4 = t_svd * f * f * f, pt4 = t_test * f * f * lg + t_plan * f * lg;
            printf("          scaled to n = 4096 (SVD x n^3, tests x n^2 log n, null x n log n):"
                   " SVD %.1f s, PT %.2f s, ratio %.3f\n", svd4, pt4, pt4 / svd4);
        }
        free(a);
        free(u);
        free(vt);
        free(v);
        free(s);
    }
    return 0;
}
