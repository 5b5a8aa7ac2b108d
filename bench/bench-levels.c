/*
 * bench-levels.c: the cost of every level statistic on a 4096-level spectrum against the cost of
 * computing that spectrum (LAPACK dgesdd, values only, on a 4096 x 4096 Gaussian matrix), both
 * measured in this run. The levels are GOE-distributed, from the Dumitriu-Edelman tridiagonal
 * beta = 1 model (the same law as dense GOE eigenvalues) and LAPACK dsterf.
 *
 * Usage: bench-levels [N_SVD]   N_SVD = size of the square dgesdd baseline (default 2048); when
 * it is below 4096 the baseline is scaled by (4096/N_SVD)^3 (dgesdd is O(n^3)), and the output
 * says so. Pass 4096 to time it directly.
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

/* chi_k variate: sqrt of a sum of k squared normals (k integer). */
static double chi(rmtk_rng *r, int k)
{
    double s = 0.0;
    for (int i = 0; i < k; i++) {
        double g = rmtk_rng_normal(r);
        s += g * g;
    }
    return sqrt(s);
}

/* GOE levels: H tridiagonal with diagonal N(0, 2) and off-diagonals chi_{n-1}, ..., chi_1 (all
 * over sqrt 2): the eigenvalue law of the GOE (Dumitriu & Edelman 2002), by dsterf. */
static int goe_levels(size_t n, uint64_t seed, double *d)
{
    double *e = malloc(n * sizeof *e);
    rmtk_rng r;
    rmtk_rng_init(&r, seed, 0);
    for (size_t i = 0; i < n; i++) {
        d[i] = sqrt(2.0) * rmtk_rng_normal(&r) / sqrt(2.0);
        e[i] = i + 1 < n ? chi(&r, (int)(n - 1 - i)) / sqrt(2.0) : 0.0;
    }
    int info = LAPACKE_dsterf((lapack_int)n, d, e);
    free(e);
    return info;
}

int main(int argc, char **argv)
{
    const size_t n = 4096;
    long nsvd = argc > 1 ? strtol(argv[1], NULL, 10) : 2048;
    if (nsvd < 256 || nsvd > 8192) {
        fprintf(stderr, "bench-levels: N_SVD must be in [256, 8192]\n");
        return 2;
    }
    /* ---- baseline: the spectrum ---- */
    size_t m = (size_t)nsvd;
    double *a = malloc(m * m * sizeof *a), *sv = malloc(m * sizeof *sv);
    rmtk_rng_fill_normal(1, 0, 0, a, m * m);
    double t0 = now();
    int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', (lapack_int)m, (lapack_int)m, a,
                              (lapack_int)m, sv, NULL, 1, NULL, 1);
    double t_svd_meas = now() - t0, scale = pow(4096.0 / (double)m, 3.0);
    double t_svd = t_svd_meas * scale;
    free(a);
    free(sv);
    if (info != 0) {
        fprintf(stderr, "bench-levels: dgesdd failed (%d)\n", info);
        return 1;
    }
    printf("baseline: dgesdd values only, %zux%zu: %.3f s", m, m, t_svd_meas);
    if (m != 4096)
        printf(" -> scaled by (4096/%zu)^3 = %.0f: %.3f s for 4096x4096 (estimate)", m, scale,
               t_svd);
    printf("\n\n");

    double *lv = malloc(n * sizeof *lv), *xi = malloc(n * sizeof *xi), *r = malloc(n * sizeof *r);
    if (goe_levels(n, 7, lv) != 0)
        return 1;
    for (size_t i = 0; i < n / 2; i++) { /* largest first, as singular values come */
        double t = lv[i];
        lv[i] = lv[n - 1 - i];
        lv[n - 1 - i] = t;
    }
    size_t k, fl, nr;
    double total = 0.0, t, v, se, b, e;
#define TIME(label, stmt)                                                                          \
    do {                                                                                           \
        t0 = now();                                                                                \
        stmt;                                                                                      \
        t = now() - t0;                                                                            \
        total += t;                                                                                \
        printf("%-46s %9.4f s   ratio to SVD %.2e\n", label, t, t / t_svd);                     \
    } while (0)

    rmtk_unfold_params up = rmtk_unfold_params_default();
    TIME("unfold gauss w=15 drop", rmtk_unfold(lv, n, &up, xi, n, &k, &fl));
    up.gauss_edge = RMTK_GAUSS_REPLICATE;
    TIME("unfold gauss w=15 replicate", rmtk_unfold(lv, n, &up, xi, n, &k, &fl));
    up = rmtk_unfold_params_default();
    up.method = RMTK_UNFOLD_POLY;
    TIME("unfold poly D=9", rmtk_unfold(lv, n, &up, xi, n, &k, &fl));
    up = rmtk_unfold_params_default();
    rmtk_unfold(lv, n, &up, xi, n, &k, &fl);
    double *gx = malloc(1000 * sizeof *gx), *gr = malloc(1000 * sizeof *gr);
    for (int i = 0; i < 1000; i++)
        gx[i] = -2.2 + 4.4 * i / 999.0;
    TIME("broadened density, 1000 points", rmtk_gauss_density(lv, n, 15, 0, 1e-15, gx, 1000, gr));
    TIME("spacing ratios + mean/SE", (rmtk_spacing_ratios(lv, n, r, &nr),
                                      rmtk_ratio_mean(r, nr, &v, &se)));
    double *d = malloc(n * sizeof *d), *ds = malloc(n * sizeof *ds), *F = malloc(n * sizeof *F);
    rmtk_spacings(xi, k, d);
    memcpy(ds, d, (k - 1) * sizeof *d);
    rmtk_sort(ds, k - 1);
    TIME("exact GOE spacing CDF at all spacings", rmtk_spacing_exact(1, ds, k - 1, NULL, F, NULL));
    TIME("Brody ML + 1000 bootstrap", rmtk_brody_fit_ml(d, k - 1, 1000, 1, &b, &e, NULL));
    TIME("Brody LS (paper) + 1000 bootstrap", rmtk_brody_fit_ls(d, k - 1, 1000, 1, &b, &e));
    static const double Ls[] = {0.5, 1, 2, 3, 5, 7, 10, 15, 20};
    TIME("Sigma^2 exact, 9 L values", for (int i = 0; i < 9; i++)
                                          rmtk_number_variance(xi, k, Ls[i], &v));
    rmtk_nv_mc_params mc = rmtk_nv_mc_params_default();
    uint64_t it1, it5;
    TIME("Sigma^2 Monte-Carlo (paper), L = 1 and 5",
         (rmtk_number_variance_mc(xi, k, 1.0, &mc, &v, &se, &it1),
          rmtk_number_variance_mc(xi, k, 5.0, &mc, &v, &se, &it5)));
    printf("    (Monte-Carlo iterations: %llu at L = 1, %llu at L = 5)\n",
           (unsigned long long)it1, (unsigned long long)it5);
    TIME("Delta_3, 9 L values (step 0.25)", for (int i = 0; i < 9; i++)
                                                rmtk_delta3(xi, k, Ls[i], 0.25, &v));
    TIME("GOE/GUE/Poisson Sigma^2 + Delta_3 refs, 9 L", for (int i = 0; i < 9; i++)
                                                          for (int bb = 0; bb < 3; bb++)
                                                              v = rmtk_sigma2_ref(bb, Ls[i]) +
                                                                  rmtk_delta3_ref(bb, Ls[i]));
    printf("%-46s %9.4f s   ratio to SVD %.2e\n\n", "sum of the above", total, total / t_svd);

    rmtk_levels_params lp = rmtk_levels_params_default();
    rmtk_levels_result res;
    memset(&res, 0, sizeof res);
    total = 0.0;
    TIME("rmtk_levels_analyze (defaults: boot 1000)", rmtk_levels_analyze(lv, n, &lp, &res));
    lp.sigma2_mc = 1;
    TIME("rmtk_levels_analyze (Monte-Carlo Sigma^2)", rmtk_levels_analyze(lv, n, &lp, &res));
    printf("\nper-matrix result on the GOE levels: r %.4f +- %.4f, KS p wigner %.3g goe %.3g "
           "poisson %.3g, Brody %.3f +- %.3f (LS %.3f +- %.3f), S2(1) %.3f S2(5) %.3f D3(5) "
           "%.3f\n", res.r_mean, res.r_sem, res.ks_p_wigner, res.ks_p_goe, res.ks_p_poisson,
           res.brody_beta, res.brody_beta_err, res.brody_beta_ls, res.brody_beta_ls_err,
           res.sigma2_L1, res.sigma2_L5, res.delta3_L5);
    free(lv);
    free(xi);
    free(r);
    free(d);
    free(ds);
    free(F);
    free(gx);
    free(gr);
    return 0;
}
