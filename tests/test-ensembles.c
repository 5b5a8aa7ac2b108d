/*
 * test-ensembles.c: seeded samplers against their limiting laws. Oracles: the laws of module
 * theory (whose own tests check them against methods.md and closed forms), methods.md T6
 * (universality over four weight laws), T9 (simulated FC moments), T10 (sparse atoms), T11
 * (BBP), exact rank formulas for the zero atom, and reproducibility of the counter-based RNG.
 * Statistical tolerances are stated with the standard error they come from; quick mode
 * (sanitizers) shrinks sizes and sample counts, never tolerances (where a tolerance depends
 * on the number of samples K it is a formula in K, e.g. 4 standard errors).
 */
#include "harness.h"
#include "internal.h"

static double *sample_all(const rmtk_ensemble_params *p, int K, size_t *n_out)
{
    rmtk_ensemble *e = NULL;
    *n_out = 0;
    CHECK_OK(rmtk_ensemble_alloc(p, &e));
    if (!e)
        return NULL;
    size_t n = rmtk_ensemble_size(e);
    double *v = malloc((size_t)K * n * sizeof *v);
    for (int k = 0; k < K; k++)
        CHECK_OK(rmtk_ensemble_sample(e, (uint64_t)k, v + (size_t)k * n));
    rmtk_ensemble_free(e);
    *n_out = (size_t)K * n;
    return v;
}

static rmtk_law_comparison compare(const rmtk_ensemble_params *p, int K)
{
    size_t n;
    rmtk_law_comparison c;
    memset(&c, 0, sizeof c);
    c.ks = 1;
    double *v = sample_all(p, K, &n);
    rmtk_law_params lp;
    CHECK_OK(rmtk_ensemble_law(p, &lp));
    if (v)
        CHECK_OK(rmtk_law_compare(&lp, v, n, 1e-8, 30, &c));
    free(v);
    return c;
}

/* Same seed and index give the same values, whatever else was drawn; other seeds differ. */
static void test_reproducible(void)
{
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.n_dims = 3;
    p.dims[0] = 30;
    p.dims[1] = 40;
    p.dims[2] = 20;
    p.weight_law = RMTK_WEIGHTS_STUDENT_T;
    rmtk_ensemble *a, *b;
    CHECK_OK(rmtk_ensemble_alloc(&p, &a));
    CHECK_OK(rmtk_ensemble_alloc(&p, &b));
    double va[20], vb[20], vc[20];
    for (int k = 0; k < 3; k++)
        CHECK_OK(rmtk_ensemble_sample(a, (uint64_t)k, va));
    CHECK_OK(rmtk_ensemble_sample(b, 2, vb));
    CHECK(memcmp(va, vb, sizeof va) == 0);
    CHECK_OK(rmtk_ensemble_sample(b, 1, vc));
    CHECK(memcmp(vc, vb, sizeof vc) != 0);
    rmtk_ensemble_free(a);
    p.seed = 2;
    CHECK_OK(rmtk_ensemble_alloc(&p, &a));
    CHECK_OK(rmtk_ensemble_sample(a, 2, va));
    CHECK(memcmp(va, vb, sizeof va) != 0);
    rmtk_ensemble_free(a);
    rmtk_ensemble_free(b);
}

/* Each ensemble with a limiting law: KS distance to the law at two sizes (x4 apart). The
 * eigenvalue ECDF converges at least as fast as 1/sqrt(total count); we require
 * KS < 3 / sqrt(count) at both sizes (a Kolmogorov tail of ~1e-7 for i.i.d. samples; spectra
 * are more rigid than i.i.d.) and a smaller KS at the larger size. */
static void test_ks_two_sizes(void)
{
    int q = harness_quick();
    for (int kind = 0; kind <= 9; kind++) {
        if (kind == RMTK_ENS_SPIKED)
            continue;
        double ks[2];
        size_t cnt[2];
        for (int s = 0; s < 2; s++) {
            int64_t base = (q ? 40 : 80) * (s ? 4 : 1);
            rmtk_ensemble_params p;
            rmtk_ensemble_params_default(&p);
            p.ensemble = kind;
            p.n = base;
            p.sigma2 = 1.3;
            p.p = 0.4;
            p.n_dims = 2;
            p.dims[0] = base;
            p.dims[1] = base / 2;
            if (kind == RMTK_ENS_WISHART_PRODUCT || kind == RMTK_ENS_JACOBIAN) {
                p.n_dims = 4;
                p.dims[0] = base * 6 / 7;
                p.dims[1] = base * 9 / 7;
                p.dims[2] = base * 9 / 14;
                p.dims[3] = base;
            }
            int K = 2;
            rmtk_law_comparison c = compare(&p, K);
            ks[s] = c.ks;
            cnt[s] = (size_t)K * (size_t)(kind == RMTK_ENS_WISHART ||
                                                  kind == RMTK_ENS_WISHART_COMPLEX ||
                                                  kind == RMTK_ENS_PERCOLATED_WISHART
                                              ? base / 2
                                              : base);
            CHECK(c.ks < 3 / sqrt((double)cnt[s]));
            if (!(c.ks < 3 / sqrt((double)cnt[s])))
                fprintf(stderr, "  ensemble %d size %lld: KS %.4f\n", kind, (long long)base,
                        c.ks);
        }
        CHECK(ks[1] < ks[0]);
        if (!(ks[1] < ks[0]))
            fprintf(stderr, "  ensemble %d: KS %.4f -> %.4f\n", kind, ks[0], ks[1]);
    }
}

/* T6 with simulation: the coupled ReLU chain 600-900-450-700 with four weight laws
 * (universality). Atom: the bottleneck has Binomial(450, 1/2) active units, sd 10.6/700 = 0.015
 * per sample, so |atom - 0.678571| < 4 * 0.015 / sqrt(K). Variance (6.8333, simulated
 * 6.74-7.01 in methods.md at K = 20): within 0.6 sqrt(20/K). Bin masses of methods.md (theory
 * 0.0621, 0.0754, 0.0747, 0.0691, 0.0400; the simulations there differ by up to 0.0048, with a
 * finite-N excess in the first bin): within 0.008 sqrt(20/K). */
static void test_t6_universality(void)
{
    int K = harness_quick() ? 3 : 8;
    int scale = harness_quick() ? 2 : 1; /* quick: widths halved */
    double bins[6] = {1e-6, 0.25, 1, 3, 8, 30};
    double ref[5] = {0.0621, 0.0754, 0.0747, 0.0691, 0.0400};
    for (int wl = 0; wl < 4; wl++) {
        rmtk_ensemble_params p;
        rmtk_ensemble_params_default(&p);
        p.ensemble = RMTK_ENS_JACOBIAN;
        p.weight_law = wl == 3 ? RMTK_WEIGHTS_STUDENT_T : wl;
        p.student_nu = 5;
        p.n_dims = 4;
        p.dims[0] = 600 / scale;
        p.dims[1] = 900 / scale;
        p.dims[2] = 450 / scale;
        p.dims[3] = 700 / scale;
        p.seed = 11 + (uint64_t)wl;
        size_t n;
        double *v = sample_all(&p, K, &n);
        if (!v)
            continue;
        rmtk_spectrum_stats s;
        CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
        double atom_sd = 0.015 * sqrt((double)scale);
        CHECK_NEAR(s.atom, 0.678571, 4 * atom_sd / sqrt((double)K));
        CHECK_NEAR(s.variance, 6.8333, 0.6 * sqrt(20.0 / K) * sqrt((double)scale));
        CHECK_NEAR(s.mean, 1.0, 0.05 * sqrt(20.0 / K) * sqrt((double)scale));
        for (int b = 0; b < 5; b++) {
            size_t c = 0;
            for (size_t i = 0; i < n; i++)
                c += v[i] >= bins[b] && v[i] < bins[b + 1];
            CHECK_NEAR((double)c / (double)n, ref[b], 0.008 * sqrt(20.0 / K) * sqrt(scale));
        }
        free(v);
    }
    /* decoupled D gives the same law (methods.md 3.4) */
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.coupled = 0;
    p.n_dims = 4;
    p.dims[0] = 600 / scale;
    p.dims[1] = 900 / scale;
    p.dims[2] = 450 / scale;
    p.dims[3] = 700 / scale;
    rmtk_law_comparison c = compare(&p, K);
    CHECK(c.ks < 0.03);
    CHECK_NEAR(c.var_err, 0, 0.6 * sqrt(20.0 / K) * sqrt((double)scale));
}

/* T9 simulated: N = 800 (quick 200) square Wigner product (k = 2): m1 = 1, m2 = 3 (FC_2). The
 * moment estimates have standard errors ~0.02 (m2) at N = 800 with 2 samples. */
static void test_t9_simulated(void)
{
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_WIGNER_PRODUCT;
    p.n = harness_quick() ? 200 : 800;
    p.k = 2;
    size_t n;
    double *v = sample_all(&p, 2, &n);
    rmtk_spectrum_stats s;
    CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
    CHECK_NEAR(s.mean, 1.0, 0.03 * sqrt(800.0 / (double)p.n));
    CHECK_NEAR(s.m2, 3.0, 0.12 * sqrt(800.0 / (double)p.n));
    free(v);
}

/* T10 simulated: sparse percolated Wigner, N = 2000 (quick 500), 2 samples. methods.md's
 * simulations at N = 3000-4000 lie within 0.006 of theory; the binomial standard error at
 * N = 2000 is ~0.008, finite-N corrections ~1/N: tolerance 0.03 sqrt(2000/N). */
static void test_t10_simulated(void)
{
    double cs[4] = {0.5, 1, 2, 2.5};
    for (int i = 0; i < 4; i++) {
        rmtk_ensemble_params p;
        rmtk_ensemble_params_default(&p);
        p.ensemble = RMTK_ENS_PERCOLATED_WIGNER;
        p.n = harness_quick() ? 500 : 2000;
        p.c = cs[i];
        size_t n;
        double *v = sample_all(&p, 2, &n), w0;
        rmtk_spectrum_stats s;
        CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
        CHECK_OK(rmtk_sparse_zero_atom(cs[i], &w0));
        CHECK_NEAR(s.atom, w0, 0.03 * sqrt(2000.0 / (double)p.n));
        free(v);
        rmtk_law_params lp;
        CHECK_STATUS(rmtk_ensemble_law(&p, &lp), RMTK_ERR_UNSUPPORTED);
    }
}

/* T11: BBP at n = 600, m = 1200. Top singular value 2.3717 (theta = 2; methods.md simulated
 * 2.3708), edge 1.7071 (theta = 0.5; simulated 1.703). Fluctuations are O(n^{-1/2}) above the
 * threshold (~0.03) and Tracy-Widom O(n^{-2/3}) (~0.02) at the edge. */
static void test_t11_simulated(void)
{
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_SPIKED;
    p.n_dims = 2;
    p.dims[0] = harness_quick() ? 150 : 600;
    p.dims[1] = 2 * p.dims[0];
    double th[2] = {2.0, 0.5};
    for (int i = 0; i < 2; i++) {
        p.theta = th[i];
        size_t n;
        double *v = sample_all(&p, 1, &n), s;
        CHECK_OK(rmtk_bbp_top_singular(0.5, th[i], &s));
        double tol = (i == 0 ? 0.1 : 0.08) * sqrt(600.0 / (double)p.dims[0]);
        CHECK_NEAR(v[0], s, tol);
        CHECK(v[0] >= v[n - 1]); /* largest first */
        free(v);
    }
}

/* Exact zero atoms from ranks: Wishart with M > N, Wishart product, Jacobian chain. */
static void test_atoms(void)
{
    rmtk_ensemble_params p;
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_WISHART;
    p.n_dims = 2;
    p.dims[0] = 60;
    p.dims[1] = 100;
    size_t n;
    double *v = sample_all(&p, 1, &n);
    rmtk_spectrum_stats s;
    CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
    CHECK_NEAR(s.atom, 0.4, 1e-12);
    free(v);
    p.ensemble = RMTK_ENS_WISHART_PRODUCT;
    p.n_dims = 4;
    int64_t d[4] = {60, 90, 45, 70};
    memcpy(p.dims, d, sizeof d);
    v = sample_all(&p, 1, &n);
    CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
    CHECK_NEAR(s.atom, 1 - 45.0 / 70, 1e-12);
    free(v);
    /* linear Jacobian with w^2 = 1 has the Wishart product's law and atom */
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.activation = RMTK_ACT_LINEAR;
    p.sigma_w2 = 1;
    v = sample_all(&p, 1, &n);
    CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
    CHECK_NEAR(s.atom, 1 - 45.0 / 70, 1e-12);
    free(v);
}

/* Smooth activations: the simulated moments against the law's closed forms. The trace
 * tr(J J^T)/n_L self-averages with relative error ~1/sqrt(n) per sample (q^l of a finite
 * layer fluctuates): 4 samples at n ~ 700 give ~2%; tolerance 8% of the mean. */
static void test_smooth_simulated(void)
{
    int acts[3] = {RMTK_ACT_TANH, RMTK_ACT_ERF, RMTK_ACT_HARD_TANH};
    int scale = harness_quick() ? 2 : 1;
    for (int i = 0; i < 3; i++) {
        rmtk_ensemble_params p;
        rmtk_ensemble_params_default(&p);
        p.ensemble = RMTK_ENS_JACOBIAN;
        p.activation = acts[i];
        p.sigma_w2 = 1.5;
        p.sigma_b2 = 0.05;
        p.n_dims = 4;
        p.dims[0] = 600 / scale;
        p.dims[1] = 900 / scale;
        p.dims[2] = 450 / scale;
        p.dims[3] = 700 / scale;
        size_t n;
        double *v = sample_all(&p, 4, &n);
        rmtk_spectrum_stats s;
        CHECK_OK(rmtk_spectrum_stats_compute(v, n, 1e-8, &s));
        rmtk_law_params lp;
        rmtk_law_info info;
        CHECK_OK(rmtk_ensemble_law(&p, &lp));
        CHECK_OK(rmtk_law_info_compute(&lp, &info));
        CHECK_NEAR(s.mean, info.mean, 0.08 * sqrt((double)scale) * info.mean);
        CHECK_NEAR(s.variance, info.variance, 0.2 * sqrt((double)scale) * info.variance);
        free(v);
    }
}

static void test_stats(void)
{
    double v[6] = {0, 1e-12, 1, 2, 3, -2};
    rmtk_spectrum_stats s;
    CHECK_OK(rmtk_spectrum_stats_compute(v, 6, 1e-8, &s));
    CHECK_NEAR(s.atom, 2.0 / 6, 1e-15);
    CHECK_NEAR(s.mean, 4.0 / 6 + 1e-12 / 6, 1e-15);
    CHECK_NEAR(s.m2, 18.0 / 6, 1e-12);
    CHECK_NEAR(s.eps_abs, 3e-8, 1e-20);
    double h[4];
    CHECK_OK(rmtk_histogram_density(v, 6, -2, 3, 4, h));
    double tot = 0;
    for (int b = 0; b < 4; b++)
        tot += h[b] * 1.25;
    CHECK_NEAR(tot, 1.0, 1e-12);
    /* per-matrix entry point: singular values of a 4 x 6 matrix, 2 of them zero, and the
     * 6 - 4 eigenvalues of W^T W / N not passed */
    double sv[4] = {4, 2, 0, 0};
    CHECK_OK(rmtk_layer_spectrum_stats(sv, 4, 4, 6, 1e-8, &s));
    CHECK_NEAR(s.atom, 4.0 / 6, 1e-15);
    CHECK_NEAR(s.mean, (4.0 + 1.0) / 6, 1e-15);
    CHECK_NEAR(s.max, 4.0, 1e-15);
    CHECK_STATUS(rmtk_layer_spectrum_stats(sv, 5, 4, 6, 1e-8, &s), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_spectrum_stats_compute(v, 0, 1e-8, &s), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_histogram_density(v, 6, 3, -2, 4, h), RMTK_ERR_ARG);
}

static void test_errors(void)
{
    rmtk_ensemble_params p;
    rmtk_ensemble *e = NULL;
    rmtk_ensemble_params_default(&p);
    CHECK_STATUS(rmtk_ensemble_alloc(NULL, &e), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_ensemble_alloc(&p, NULL), RMTK_ERR_ARG);
    p.n = 1;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    CHECK(e == NULL);
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.n_dims = 1;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    p.n_dims = 2;
    p.dims[0] = p.dims[1] = 10;
    p.weight_law = RMTK_WEIGHTS_STUDENT_T;
    p.student_nu = 4; /* nu > 4 required */
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    p.weight_law = RMTK_WEIGHTS_SPARSE;
    p.weight_density = 0;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    p.weight_law = RMTK_WEIGHTS_GAUSSIAN;
    p.sigma_w2 = -1;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_PERCOLATED_WIGNER;
    p.p = 0;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    p.ensemble = 77;
    CHECK_STATUS(rmtk_ensemble_alloc(&p, &e), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_ensemble_sample(NULL, 0, NULL), RMTK_ERR_ARG);
    CHECK(rmtk_ensemble_size(NULL) == 0);
    rmtk_ensemble_free(NULL);
    /* allocation failure at every allocation of alloc: clean failure, no leak (ASan) */
    rmtk_ensemble_params_default(&p);
    p.ensemble = RMTK_ENS_JACOBIAN;
    p.n_dims = 3;
    p.dims[0] = 8;
    p.dims[1] = 9;
    p.dims[2] = 7;
    p.coupled = 0;
    p.activation = RMTK_ACT_TANH;
    for (uint64_t k = 1; k <= 12; k++) {
        rmtk_alloc_fail_after(k);
        int st = rmtk_ensemble_alloc(&p, &e);
        rmtk_alloc_fail_after(0);
        CHECK(st == RMTK_OK || st == RMTK_ERR_NOMEM);
        if (st == RMTK_OK)
            rmtk_ensemble_free(e);
        else
            CHECK(e == NULL);
    }
}

int main(void)
{
    RUN(test_reproducible);
    RUN(test_ks_two_sizes);
    RUN(test_t6_universality);
    RUN(test_t9_simulated);
    RUN(test_t10_simulated);
    RUN(test_t11_simulated);
    RUN(test_atoms);
    RUN(test_smooth_simulated);
    RUN(test_stats);
    RUN(test_errors);
    return harness_done();
}
