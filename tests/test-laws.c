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
#include "internal.h"

#include <pthread.h>
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

/* The tabulated MP law against the closed form: the KS distance rmtk_fitlaw reports for the MP
 * candidate equals the one computed with rmtk_mp_cdf (textbook MP(v, q): rows 1, cols q) at the
 * fitted scale, to the table's interpolation error. */
static void test_mp_table(void)
{
    int64_t big = 2000, r = 1000;
    size_t n = 0;
    double *v = draw(1, big, r, 7, &n);
    CHECK(v != NULL);
    if (!v)
        return;
    rmtk_fitlaw_params p = rmtk_fitlaw_params_default();
    p.bootstrap = 0;
    p.max_L = 1;
    p.mp_semicircle = 0;
    rmtk_fitlaw_result res;
    CHECK_OK(rmtk_fitlaw(v, n, big, r, &p, &res));
    CHECK(res.n_cand == 1 && res.best_code == RMTK_FITLAW_MP);
    rmtk_mp_law law = {res.cand[0].scale, 1.0, (double)r / (double)big, RMTK_MP_EIGEN, 0};
    rmtk_sort(v, n);
    double d = 0;
    for (size_t i = 0; i < n; i++) {
        double F = rmtk_mp_cdf(v[i], &law);
        d = fmax(d, fmax((double)(i + 1) / (double)n - F, F - (double)i / (double)n));
    }
    CHECK_NEAR(res.cand[0].ks, d, 1e-5);
    CHECK(isnan(res.cand[0].ks_p)); /* no bootstrap asked */
    free(v);
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

/* A sparse percolated Wishart (mean degree c = 3, 2000 x 1000): its nonzero eigenvalues (the
 * zeros set aside as the atom) select the sparse candidate, c within 3 standard errors. */
static void test_sparse(void)
{
    int nseed = full() ? 20 : 1, right = 0, within = 0;
    int64_t big = 2000, r = 1000;
    for (int sd = 0; sd < nseed; sd++) {
        rmtk_ensemble_params ep;
        rmtk_ensemble_params_default(&ep);
        ep.ensemble = RMTK_ENS_PERCOLATED_WISHART;
        ep.n_dims = 2;
        ep.dims[0] = big;
        ep.dims[1] = r;
        ep.c = 3;
        ep.seed = 500 + (uint64_t)sd;
        rmtk_ensemble *e = NULL;
        CHECK_OK(rmtk_ensemble_alloc(&ep, &e));
        if (!e)
            return;
        size_t n = rmtk_ensemble_size(e), nz = 0;
        double *v = malloc(n * sizeof *v), mx = 0;
        CHECK_OK(rmtk_ensemble_sample(e, 0, v));
        rmtk_ensemble_free(e);
        for (size_t i = 0; i < n; i++)
            mx = fmax(mx, v[i]);
        for (size_t i = 0; i < n; i++)
            if (v[i] <= 1e-10 * mx) {
                v[i] = 0;
                nz++;
            }
        rmtk_fitlaw_params p = rmtk_fitlaw_params_default();
        p.sparse = 1;
        p.seed = (uint64_t)sd + 1;
        rmtk_fitlaw_result res;
        CHECK_OK(rmtk_fitlaw(v, n, big, r - (int64_t)nz, &p, &res));
        CHECK(res.n_zero == nz);
        const rmtk_fitlaw_candidate *cd = &res.cand[res.n_cand - 1];
        CHECK(cd->code == RMTK_FITLAW_SPARSE);
        right += res.best_code == RMTK_FITLAW_SPARSE;
        within += fabs(cd->shape - 3.0) <= fmax(3 * cd->shape_se, 1e-12);
        if (sd == 0)
            printf("sparse: c %.2f +- %.2f, atom %.4f (sample %.4f), KS %.4f p %.3f, best %d\n",
                   cd->shape, cd->shape_se, cd->atom, (double)nz / (double)n, cd->ks, cd->ks_p,
                   res.best_code);
        free(v);
    }
    printf("sparse: chosen in %d of %d seeds, c within 3 se in %d\n", right, nseed, within);
    CHECK(right >= (int)ceil(0.95 * nseed));
    CHECK(within >= (int)ceil(0.95 * nseed));
}

/* The table cache: a second spectrum of the same shape reuses every table (hits = the 14
 * tables of MP, 5 products and 8 MP-semicircle shapes), with results bit for bit those of a cold
 * cache, also from 4 threads fitting at once. */
static int same_result(const rmtk_fitlaw_result *a, const rmtk_fitlaw_result *b)
{
    if (a->n_cand != b->n_cand || a->best != b->best)
        return 0;
    for (size_t c = 0; c < a->n_cand; c++) {
        const rmtk_fitlaw_candidate *x = &a->cand[c], *y = &b->cand[c];
        if (x->status != y->status || memcmp(&x->scale, &y->scale, sizeof x->scale) ||
            memcmp(&x->cvm, &y->cvm, sizeof x->cvm) || memcmp(&x->ks, &y->ks, sizeof x->ks) ||
            memcmp(&x->ks_p, &y->ks_p, sizeof x->ks_p) ||
            memcmp(&x->bic, &y->bic, sizeof x->bic) || memcmp(&x->l1, &y->l1, sizeof x->l1) ||
            memcmp(&x->scale_se, &y->scale_se, sizeof x->scale_se))
            return 0;
    }
    return 1;
}

typedef struct {
    const double *v;
    size_t n;
    rmtk_fitlaw_result res;
    int st;
} fit_job;

static rmtk_fitlaw_params cache_params(void)
{
    rmtk_fitlaw_params p = rmtk_fitlaw_params_default();
    p.bootstrap = 3;
    return p;
}

static void *fit_thread(void *arg)
{
    fit_job *j = arg;
    rmtk_fitlaw_params p = cache_params();
    j->st = rmtk_fitlaw(j->v, j->n, 600, 300, &p, &j->res);
    return NULL;
}

static void test_cache(void)
{
    size_t na = 0, nb = 0;
    double *a = draw(1, 600, 300, 21, &na), *b = draw(2, 600, 300, 22, &nb);
    CHECK(a && b);
    if (!a || !b) {
        free(a);
        free(b);
        return;
    }
    rmtk_fitlaw_params p = cache_params();
    rmtk_fitlaw_result ra, rb, rb_cold;
    uint64_t hits = 0, misses = 0;
    rmtk__fitlaw_cache_stats(NULL, NULL, 1);
    CHECK_OK(rmtk_fitlaw(a, na, 600, 300, &p, &ra));
    rmtk__fitlaw_cache_stats(&hits, &misses, 0);
    CHECK(hits == 0 && misses == 14);
    CHECK_OK(rmtk_fitlaw(b, nb, 600, 300, &p, &rb));
    rmtk__fitlaw_cache_stats(&hits, &misses, 0);
    CHECK(hits == 14 && misses == 14);
    /* another shape misses */
    CHECK_OK(rmtk_fitlaw(b, nb, 700, 300, &p, &rb_cold));
    rmtk__fitlaw_cache_stats(&hits, &misses, 0);
    CHECK(hits == 14 && misses == 28);
    rmtk__fitlaw_cache_stats(NULL, NULL, 1);
    CHECK_OK(rmtk_fitlaw(b, nb, 600, 300, &p, &rb_cold));
    CHECK(same_result(&rb, &rb_cold));
    /* 4 threads at once on a cold cache: every result the serial one */
    rmtk__fitlaw_cache_stats(NULL, NULL, 1);
    fit_job jobs[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        jobs[i].v = i % 2 ? a : b;
        jobs[i].n = i % 2 ? na : nb;
        CHECK(pthread_create(&th[i], NULL, fit_thread, &jobs[i]) == 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++) {
        CHECK_OK(jobs[i].st);
        CHECK(same_result(&jobs[i].res, i % 2 ? &ra : &rb));
    }
    rmtk__fitlaw_cache_stats(&hits, &misses, 0);
    CHECK(hits + misses == 4 * 14 && misses >= 14);
    rmtk__fitlaw_cache_stats(NULL, NULL, 1);
    free(a);
    free(b);
}

int main(void)
{
    RUN(test_mp_table);
    RUN(test_cache);
    RUN(test_recovery);
    RUN(test_sparse);
    return harness_done();
}
