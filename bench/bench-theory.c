/*
 * bench-theory.c: timings of the theory and ensembles modules.
 *  1. The Jacobian law of a critical ReLU network with L = 10 square layers on a 2000-point
 *     grid (law info + density; target < 1 s), against the baseline of the closed-form
 *     Fuss-Catalan density on the same grid, and a tanh network (Newton path) for reference.
 *  2. Simulation cost split into sampling (random draws, products, Gram matrix) and the
 *     eigensolver (dsyevd), for GOE, Wishart and the T6 Jacobian chain: the ratio eig/sample.
 * Prints timings and ratios measured in the same run; asserts nothing.
 */
#include "rmtk.h"

#include "ensembles-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static double law_time(const rmtk_law_params *p, size_t n, double *x, double *d)
{
    double t0 = now();
    rmtk_law_info info;
    int st = rmtk_law_info_compute(p, &info);
    if (!st)
        st = rmtk_law_grid(p, 0, info.edges[info.n_edges - 1] * 1.02, n, x);
    if (!st)
        st = rmtk_law_density(p, x, n, d);
    double t = now() - t0;
    if (st)
        printf("  (status %d: %s)\n", st, rmtk_status_str(st));
    return t;
}

static void sim_split(const char *name, const rmtk_ensemble_params *p, int K)
{
    rmtk_ensemble *e;
    if (rmtk_ensemble_alloc(p, &e)) {
        printf("%s: alloc failed\n", name);
        return;
    }
    double *v = malloc(rmtk_ensemble_size(e) * sizeof *v), ts = 0, te = 0;
    for (int k = 0; k < K; k++) {
        double t0 = now();
        rmtk__ensemble_draw(e, (uint64_t)k);
        double t1 = now();
        rmtk__ensemble_eig(e, v);
        ts += t1 - t0;
        te += now() - t1;
    }
    printf("  %-28s sampling %8.4f s  eigensolver %8.4f s  ratio eig/sampling %6.2f\n", name,
           ts / K, te / K, te / ts);
    free(v);
    rmtk_ensemble_free(e);
}

int main(void)
{
    enum { N = 2000 };
    static double x[N], d[N];
    rmtk_law_params fc, jr, jt;
    rmtk_law_params_default(&fc);
    fc.law = RMTK_LAW_FUSS_CATALAN;
    fc.L = 10;
    rmtk_law_params_default(&jr);
    jr.law = RMTK_LAW_JACOBIAN;
    jr.n_dims = 11;
    for (int i = 0; i <= 10; i++)
        jr.dims[i] = 1000;
    jt = jr;
    jt.activation = RMTK_ACT_TANH;
    jt.sigma_w2 = 1.5;
    jt.sigma_b2 = 0.05;
    printf("theory: law info + density on a %d-point grid\n", N);
    double tb = law_time(&fc, N, x, d);
    double tr = law_time(&jr, N, x, d);
    double tt = law_time(&jt, N, x, d);
    printf("  fuss-catalan L=10 (closed form, baseline)  %8.4f s\n", tb);
    printf("  jacobian relu L=10 (polynomial continuation) %8.4f s  (target < 1 s)  ratio %.1f\n",
           tr, tr / tb);
    printf("  jacobian tanh L=10 (Newton continuation)     %8.4f s  ratio %.1f\n", tt, tt / tb);

    printf("simulation: time per sample, sampling vs eigensolver (dsyevd)\n");
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.n = 1000;
    sim_split("goe n=1000", &p, 3);
    p.ensemble = RMTK_ENS_WISHART;
    p.n_dims = 2;
    p.dims[0] = 2000;
    p.dims[1] = 1000;
    sim_split("wishart 2000x1000", &p, 3);
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.n_dims = 4;
    p.dims[0] = 600;
    p.dims[1] = 900;
    p.dims[2] = 450;
    p.dims[3] = 700;
    sim_split("jacobian 600-900-450-700", &p, 5);
    p.weight_law = RMTK_WEIGHTS_STUDENT_T;
    sim_split("jacobian, student-t weights", &p, 5);
    return 0;
}
