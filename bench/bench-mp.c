/*
 * bench-mp.c: cost of every module-mp statistic on a 4096 x 4096 matrix's spectrum (robust fit,
 * Tracy-Widom outlier test with BBP estimates, the paper's broadened-density fit: all of
 * rmtk_mp_analyze) against the spectrum itself (LAPACKE_dgesdd, values only), measured in the
 * same run.
 *
 * Usage: bench-mp [n]   (default 2048). The SVD is timed on an n x n Gaussian matrix and scaled
 * by (4096/n)^3 to 4096 when n < 4096 (dgesdd is O(n^3)); the mp statistics always run on 4096
 * singular values: the MP quantiles of a 4096 x 4096 matrix with four planted outliers (the cost
 * of the statistics depends on the number of values, not on where they come from).
 */
#include "rmtk.h"

#include <lapacke.h>
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

int main(int argc, char **argv)
{
    int n = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 2048;
    if (n < 64 || n > 8192) {
        fprintf(stderr, "bench-mp: n in [64, 8192]\n");
        return 2;
    }
    /* ---- baseline: dgesdd values only ---- */
    size_t nn = (size_t)n * (size_t)n;
    double *A = malloc(nn * sizeof *A), *s = malloc((size_t)n * sizeof *s);
    rmtk_rng_fill_normal(1, 0, 0, A, nn);
    lapack_int lwork = -1, *iwork = malloc(8 * (size_t)n * sizeof *iwork);
    double wq;
    LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', n, n, A, n, s, NULL, 1, NULL, 1, &wq, lwork, iwork);
    lwork = (lapack_int)wq;
    double *work = malloc((size_t)lwork * sizeof *work);
    double t0 = now();
    lapack_int info = LAPACKE_dgesdd_work(LAPACK_COL_MAJOR, 'N', n, n, A, n, s, NULL, 1, NULL, 1,
                                          work, lwork, iwork);
    double t_svd = now() - t0;
    if (info != 0) {
        fprintf(stderr, "bench-mp: dgesdd info %d\n", (int)info);
        return 1;
    }
    double scale = n < 4096 ? pow(4096.0 / n, 3) : 1.0;
    double t_svd4096 = t_svd * scale;
    printf("dgesdd values-only %dx%d: %.3f s%s\n", n, n, t_svd,
           n < 4096 ? " (scaled by (4096/n)^3)" : "");
    if (n < 4096)
        printf("  -> 4096x4096 estimate: %.3f s\n", t_svd4096);
    free(A);
    free(work);
    free(iwork);

    /* ---- the mp statistics on 4096 singular values ---- */
    const int K = 4096;
    double *sv = malloc((size_t)K * sizeof *sv), v = 1.0;
    rmtk_mp_law law = {v, K, K, RMTK_MP_SINGULAR, 0};
    for (int i = 0; i < K; i++)
        rmtk_mp_quantile(&law, 1.0 - (i + 0.5) / K, &sv[i]); /* largest first */
    static const double theta[4] = {8.0, 5.0, 3.0, 2.0};
    for (int j = 0; j < 4; j++) {
        double y;
        rmtk_bbp_top(theta[j], 1.0, &y);
        sv[j] = y * sqrt(v * K);
    }
    rmtk_mp_params p = rmtk_mp_params_default();
    rmtk_mp_result res;
    double *sl = malloc((size_t)K * sizeof *sl), *st = malloc((size_t)K * sizeof *st);
    double *sp = malloc((size_t)K * sizeof *sp);
    int reps = 3;
    double best = INFINITY, best_r = INFINITY, best_p = INFINITY;
    for (int r = 0; r < reps; r++) {
        t0 = now();
        int stt = rmtk_mp_analyze(sv, K, K, K, &p, &res, sl, st, sp, K);
        double dt = now() - t0;
        if (stt != RMTK_OK) {
            fprintf(stderr, "bench-mp: rmtk_mp_analyze: %s\n", rmtk_status_str(stt));
            return 1;
        }
        best = fmin(best, dt);
        rmtk_mp_robust_fit rf;
        t0 = now();
        rmtk_mp_fit_robust(sv, K, K, K, &p, &rf);
        best_r = fmin(best_r, now() - t0);
        rmtk_mp_paper_fit pf;
        t0 = now();
        rmtk_mp_fit_paper(sv, K, K, K, &p, &pf);
        best_p = fmin(best_p, now() - t0);
    }
    printf("rmtk_mp_analyze on %d values: %.4f s (robust fit + TW test %.4f s, paper fit %.4f s)"
           "; n_spikes %lld, sigma2 %.5f, paper sigma2 %.5f\n", K, best, best_r, best_p,
           (long long)res.n_spikes, res.sigma2, res.paper.sigma2);
    printf("ratio mp statistics / SVD(4096x4096 values): %.4f\n", best / t_svd4096);
    double m, sd;
    t0 = now();
    rmtk_tw_moments(1, &m, &sd);
    printf("(one-off) TW1 moments: %.4f s\n", now() - t0);
    free(s);
    free(sv);
    free(sl);
    free(st);
    free(sp);
    return 0;
}
