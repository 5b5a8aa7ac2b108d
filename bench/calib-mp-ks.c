/*
 * calib-mp-ks.c: calibration of mp_law_ks_crit, the 1 % critical value of the KS distance between
 * a matrix's singular values and the Marchenko-Pastur law the analysis fits to them. For each
 * shape N x M (N >= M, q = M / N) it draws R Gaussian matrices with rmtk's Wishart sampler
 * (eigenvalues of W^T W / N, entries of variance 1), turns them into singular values
 * s = sqrt(N lambda), runs them through rmtk_analysis (--stats mp, the code path of rmtk analyze)
 * and prints the 95th and 99th percentiles of mp_law_ks and the fraction of capped fits. The
 * formula in src/analysis/analysis-stages.c (mp_ks_crit) was fitted to its output; the table is
 * in docs/methods/mp.md.
 *
 * usage: calib-mp-ks [R] [max_M] [min_M]   (defaults 400, 800, 50; a TSV table on stdout).
 * docs/methods/mp.md's table: `calib-mp-ks 1000 200` and `calib-mp-ks 200 1100 280`.
 */
#include "rmtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double p)
{
    double h = p * (double)(n - 1);
    size_t i = (size_t)h;
    if (i + 1 >= n)
        return sorted[n - 1];
    return sorted[i] + (h - (double)i) * (sorted[i + 1] - sorted[i]);
}

int main(int argc, char **argv)
{
    size_t R = argc > 1 ? (size_t)strtoul(argv[1], NULL, 10) : 400;
    int64_t max_m = argc > 2 ? strtoll(argv[2], NULL, 10) : 800;
    int64_t min_m = argc > 3 ? strtoll(argv[3], NULL, 10) : 50;
    static const int64_t ms[] = {50, 70, 100, 140, 200, 280, 400, 560, 800, 1100};
    static const double qs[] = {1.0, 0.5, 0.25, 0.1};
    printf("M\tN\tq\tR\tks_p50\tks_p95\tks_p99\tcapped\tfailed_at_crit\n");
    for (size_t im = 0; im < sizeof ms / sizeof ms[0]; im++) {
        int64_t m = ms[im];
        if (m > max_m)
            break;
        if (m < min_m)
            continue;
        for (size_t iq = 0; iq < sizeof qs / sizeof qs[0]; iq++) {
            int64_t n = (int64_t)llround((double)m / qs[iq]);
            rmtk_ensemble_params ep;
            rmtk_ensemble_params_default(&ep);
            ep.ensemble = RMTK_ENS_WISHART;
            ep.n_dims = 2;
            ep.dims[0] = n;
            ep.dims[1] = m;
            ep.seed = 20261130u + (uint64_t)(im * 16 + iq);
            rmtk_ensemble *e = NULL;
            if (rmtk_ensemble_alloc(&ep, &e)) {
                fprintf(stderr, "calib-mp-ks: cannot allocate the sampler for %lld x %lld\n",
                        (long long)n, (long long)m);
                return 1;
            }
            rmtk_analysis_params ap = rmtk_analysis_params_default();
            ap.stats = RMTK_STATS_BASIC | RMTK_STATS_MP;
            ap.threads = 1;
            rmtk_analysis *an = NULL;
            if (rmtk_analysis_alloc(&ap, &an))
                return 1;
            double *ev = malloc((size_t)m * sizeof(double)), *sv = malloc((size_t)m * sizeof(double));
            double *ks = malloc(R * sizeof(double));
            if (!ev || !sv || !ks)
                return 1;
            for (size_t r = 0; r < R; r++) {
                if (rmtk_ensemble_sample(e, r, ev))
                    return 1;
                for (int64_t i = 0; i < m; i++) /* ascending eigenvalues -> largest sv first */
                    sv[i] = sqrt(fmax(ev[m - 1 - i], 0.0) * (double)n);
                char name[32];
                snprintf(name, sizeof name, "s%zu", r);
                if (rmtk_analysis_add_spectrum(an, name, sv, (size_t)m, n, m))
                    return 1;
            }
            if (rmtk_analysis_run(an, NULL, NULL)) {
                fprintf(stderr, "calib-mp-ks: %s\n", rmtk_analysis_errmsg(an));
                return 1;
            }
            size_t cks, cst, ccrit;
            if (rmtk_analysis_column_find(an, "mp_law_ks", &cks) ||
                rmtk_analysis_column_find(an, "mp_fit_status", &cst) ||
                rmtk_analysis_column_find(an, "mp_law_ks_crit", &ccrit))
                return 1;
            size_t capped = 0, failed = 0, nk = 0;
            for (size_t r = 0; r < R; r++) {
                double st = rmtk_analysis_value(an, r, cst), d = rmtk_analysis_value(an, r, cks);
                capped += st == RMTK_STAT_CAPPED;
                failed += d > rmtk_analysis_value(an, r, ccrit);
                if (!isnan(d))
                    ks[nk++] = d;
            }
            qsort(ks, nk, sizeof(double), cmp_double);
            printf("%lld\t%lld\t%.3g\t%zu\t%.5g\t%.5g\t%.5g\t%.4f\t%.4f\n", (long long)m,
                   (long long)n, qs[iq], nk, quantile(ks, nk, 0.5), quantile(ks, nk, 0.95),
                   quantile(ks, nk, 0.99), (double)capped / (double)R, (double)failed / (double)R);
            fflush(stdout);
            free(ev);
            free(sv);
            free(ks);
            rmtk_analysis_free(an);
            rmtk_ensemble_free(e);
        }
    }
    return 0;
}
