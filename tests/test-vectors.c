/*
 * test-vectors.c: the incomplete beta function and the exact Porter-Thomas law (against scipy,
 * two independent routes), the Porter-Thomas tests' size on random unit vectors (binomial
 * tolerances), the paper statistic's null quantiles at n = 500 (methods.md 4.5), E IPR =
 * 3/(n+2), the power on a matrix with a planted localised low-rank signal (SVD by LAPACK), the
 * moving average and pooling against hand computations, and every error path.
 */
#include "harness.h"
#include "internal.h"

#include <lapacke.h>

/* k random unit vectors of dimension n (vector-major) from seed / stream 99. */
static double *random_vectors(size_t n, size_t k, uint64_t seed)
{
    double *x = malloc(n * k * sizeof *x);
    rmtk_rng_fill_normal(seed, 99, 0, x, n * k);
    for (size_t j = 0; j < k; j++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += x[j * n + i] * x[j * n + i];
        for (size_t i = 0; i < n; i++)
            x[j * n + i] /= sqrt(s);
    }
    return x;
}

static void test_betainc_scipy(void)
{
    FILE *f = fopen(harness_data("betainc.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    double a, b, x, ref, tol, worst = 0;
    int rows = 0;
    while (fscanf(f, "%lf %lf %lf %lf %lf", &a, &b, &x, &ref, &tol) == 5) {
        double v = -1;
        CHECK_OK(rmtk_betainc(a, b, x, &v));
        /* tol: 2e-13 absolute against mpmath at 40 digits (the generator says why not scipy) */
        double err = fabs(v - ref);
        if (err > tol)
            fprintf(stderr, "betainc(%g, %g, %g) = %.17g, reference %.17g\n", a, b, x, v, ref);
        CHECK(err <= tol);
        if (err > worst)
            worst = err;
        rows++;
    }
    fclose(f);
    CHECK(rows >= 200);
    printf("betainc: %d values, worst |error| vs reference %.3g\n", rows, worst);
    /* exact values: I_x(1, 1) = x, I_x(a, 1) = x^a, I_{1/2}(a, a) = 1/2 */
    double v;
    CHECK_OK(rmtk_betainc(1, 1, 0.3, &v));
    CHECK_NEAR(v, 0.3, 1e-15);
    CHECK_OK(rmtk_betainc(2.5, 1, 0.7, &v));
    CHECK_NEAR(v, pow(0.7, 2.5), 1e-15);
    CHECK_OK(rmtk_betainc(300.5, 300.5, 0.5, &v));
    CHECK_NEAR(v, 0.5, 1e-13);
    CHECK_OK(rmtk_betainc(3, 4, 0, &v));
    CHECK(v == 0.0);
    CHECK_OK(rmtk_betainc(3, 4, 1, &v));
    CHECK(v == 1.0);
}

static void test_pt_cdf(void)
{
    FILE *f = fopen(harness_data("ptcdf.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    double n, u, ref;
    int rows = 0;
    while (fscanf(f, "%lf %lf %lf", &n, &u, &ref) == 3) {
        CHECK_NEAR(rmtk_pt_cdf(u, (size_t)n), ref, 1e-12);
        rows++;
    }
    fclose(f);
    CHECK(rows >= 30);
    /* n = 2: the component of a point uniform on the circle, F(u) = 1 - acos(u)/pi; n = 3:
     * uniform on [-1, 1] (Archimedes). */
    CHECK_NEAR(rmtk_pt_cdf(0.3, 2), 1.0 - acos(0.3) / RMTK_PI, 1e-14);
    CHECK_NEAR(rmtk_pt_cdf(-0.6, 3), 0.2, 1e-14);
    CHECK(rmtk_pt_cdf(-1.5, 10) == 0.0);
    CHECK(rmtk_pt_cdf(1.0, 10) == 1.0);
    CHECK(isnan(rmtk_pt_cdf(0.1, 1)));
    CHECK(isnan(rmtk_pt_cdf(NAN, 10)));
}

/* Fraction of k random unit vectors in dimension n rejected at alpha by a plan. */
static double rejection_rate(const rmtk_pt_params *par, size_t n, size_t k, uint64_t seed)
{
    rmtk_pt_plan *pl = NULL;
    CHECK_OK(rmtk_pt_plan_alloc(n, par, &pl));
    if (!pl)
        return NAN;
    double *x = random_vectors(n, k, seed), *p = malloc(k * sizeof *p);
    CHECK_OK(rmtk_pt_test(pl, x, k, NULL, p));
    size_t rej = 0;
    for (size_t j = 0; j < k; j++)
        rej += p[j] <= par->alpha;
    free(x);
    free(p);
    rmtk_pt_plan_free(pl);
    return (double)rej / (double)k;
}

/*
 * Size of each test on random unit vectors at alpha = 0.05. With k = 4000 vectors the binomial
 * standard error of the rejection rate is 0.0034 (plus the null's own Monte-Carlo error), so
 * the acceptance band [0.035, 0.065] is about +-4 standard errors. Quick mode uses 2000 vectors
 * (+-3 standard errors), the minimum, and only n = 40.
 */
static void test_size(void)
{
    size_t k = harness_quick() ? 2000 : 4000;
    rmtk_pt_params par = rmtk_pt_params_default();
    CHECK(par.method == RMTK_PT_EXACT_MC);
    CHECK(par.alpha == 0.05);
    const size_t dims[] = {40, 300};
    for (size_t t = 0; t < (harness_quick() ? 1u : 2u); t++) {
        size_t n = dims[t];
        par.method = RMTK_PT_EXACT_MC;
        double r_mc = rejection_rate(&par, n, k, 1000 + n);
        par.method = RMTK_PT_PAPER;
        double r_paper = rejection_rate(&par, n, k, 2000 + n);
        par.method = RMTK_PT_STAATS;
        double r_staats = rejection_rate(&par, n, k, 3000 + n);
        printf("size at alpha 0.05, n = %zu, %zu vectors: exact+MC %.4f, paper %.4f, "
               "Staats %.4f\n", n, k, r_mc, r_paper, r_staats);
        CHECK(r_mc >= 0.035 && r_mc <= 0.065);
        CHECK(r_paper >= 0.035 && r_paper <= 0.065);
        CHECK(r_staats >= 0.035 && r_staats <= 0.065);
    }
    /* Kolmogorov's law ignores the sphere constraint sum u_i^2 = 1 (in effect an estimated
     * scale, as in Lilliefors' test), so its p-values are too large: the rejection rate stays
     * below alpha at every n (measured 0.040 at n = 300 over 20000 vectors, SE 0.0014). With
     * 8000 vectors (SE 0.0024) require a rate below 0.047, 1.25 SE under alpha, and above
     * 0.030. */
    par.method = RMTK_PT_EXACT_KOLMOGOROV;
    size_t kk = harness_quick() ? 2000 : 8000;
    double r_kol = rejection_rate(&par, 300, kk, 4300);
    printf("size at alpha 0.05, n = 300, %zu vectors: exact+Kolmogorov %.4f\n", kk, r_kol);
    if (!harness_quick())
        CHECK(r_kol > 0.030 && r_kol < 0.047);
    /* Pooled paper variant: pools of 2w = 4 vectors of n = 30, one p per pool. */
    par = rmtk_pt_params_default();
    par.method = RMTK_PT_PAPER;
    par.pooling_window = 2;
    par.nsamples = harness_quick() ? 2000 : 5000;
    size_t pools = 2000, kp = 4 * pools;
    rmtk_pt_plan *pl = NULL;
    CHECK_OK(rmtk_pt_plan_alloc(30, &par, &pl));
    double *x = random_vectors(30, kp, 77), *p = malloc(kp * sizeof *p);
    CHECK_OK(rmtk_pt_test(pl, x, kp, NULL, p));
    size_t rej = 0, same = 1;
    for (size_t q = 0; q < pools; q++) {
        rej += p[4 * q] <= 0.05;
        for (int j = 1; j < 4; j++)
            same &= p[4 * q + j] == p[4 * q];
    }
    CHECK(same);
    double r_pool = (double)rej / (double)pools;
    printf("size, pooled paper variant (w = 2, n = 30, %zu pools): %.4f\n", pools, r_pool);
    CHECK(r_pool >= 0.035 && r_pool <= 0.065);
    free(x);
    free(p);
    rmtk_pt_plan_free(pl);
}

/*
 * Null quantiles of the paper's statistic at n = 500 (methods.md 4.5): median 0.0343, 95 %
 * 0.0578. The plan's null has 5000 samples: standard error of the median ~ 1.3e-4 and of the
 * 95 % quantile ~ 2.5e-4 (sqrt(q(1-q)/ns)/density); the reference values are themselves
 * simulated, so the tolerances are 1e-3 and 1.5e-3.
 */
static void test_null_quantiles(void)
{
    rmtk_pt_params par = rmtk_pt_params_default();
    par.method = RMTK_PT_PAPER;
    rmtk_pt_plan *pl = NULL;
    CHECK_OK(rmtk_pt_plan_alloc(500, &par, &pl));
    double med = NAN, q95 = NAN;
    CHECK_OK(rmtk_pt_plan_null_quantile(pl, 0.5, &med));
    CHECK_OK(rmtk_pt_plan_null_quantile(pl, 0.95, &q95));
    printf("paper KS null at n = 500: median %.5f (ref 0.0343), 95%% %.5f (ref 0.0578)\n", med,
           q95);
    CHECK_NEAR(med, 0.0343, 1e-3);
    CHECK_NEAR(q95, 0.0578, 1.5e-3);
    /* Kolmogorov's 95 % point 1.358/sqrt(500) = 0.0607 is larger: the conservative bias. */
    CHECK(q95 < 1.358 / sqrt(500.0));
    rmtk_pt_plan_free(pl);

    /* Same for the default statistic (textbook D with the exact CDF). */
    par = rmtk_pt_params_default();
    CHECK_OK(rmtk_pt_plan_alloc(500, &par, &pl));
    CHECK_OK(rmtk_pt_plan_null_quantile(pl, 0.95, &q95));
    printf("exact-CDF KS null at n = 500: 95%% %.5f (Kolmogorov 0.0607)\n", q95);
    CHECK(q95 < 1.358 / sqrt(500.0));
    CHECK_STATUS(rmtk_pt_plan_null_quantile(pl, 1.5, &q95), RMTK_ERR_ARG);
    rmtk_pt_plan_free(pl);
}

/* E IPR = 3/(n+2) for uniform unit vectors, within 3 standard errors of the sample mean. */
static void test_ipr(void)
{
    size_t n = 64, k = 20000;
    double *x = random_vectors(n, k, 5), *v = malloc(k * sizeof *v);
    for (size_t j = 0; j < k; j++)
        CHECK_OK(rmtk_ipr(x + j * n, n, &v[j]));
    double m, sd;
    rmtk_mean_sd(v, k, &m, &sd);
    double se = sd / sqrt((double)k);
    printf("IPR n = %zu: mean %.6f, reference %.6f, SE %.2g\n", n, m, 3.0 / (n + 2), se);
    CHECK_NEAR(m, 3.0 / (n + 2), 3 * se);
    /* IPR is scale-invariant; a basis vector has IPR 1, a flat one 1/n. */
    double e[4] = {0, 2, 0, 0}, flat[4] = {-1, 1, 1, -1}, r;
    CHECK_OK(rmtk_ipr(e, 4, &r));
    CHECK_NEAR(r, 1.0, 1e-15);
    CHECK_OK(rmtk_ipr(flat, 4, &r));
    CHECK_NEAR(r, 0.25, 1e-15);
    double z[3] = {0, 0, 0};
    CHECK_STATUS(rmtk_ipr(z, 3, &r), RMTK_ERR_NUMERIC);
    CHECK_STATUS(rmtk_ipr(NULL, 3, &r), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_ipr(z, 0, &r), RMTK_ERR_ARG);
    free(x);
    free(v);
}

/*
 * Planted localised low-rank signal: W = G / sqrt(cols) + theta (u1 v1^T + u2 v2^T), u_i and
 * v_i supported on 6 coordinates each; SVD by dgesdd (jobz = 'S'). The two top vectors on
 * each side must be rejected (p < alpha) and the bulk pass at about the nominal rate.
 */
static void test_planted(void)
{
    const int rows = 240, cols = 160, k = 160;
    double theta = 4.0;
    double *w = malloc(sizeof(double) * rows * cols); /* column-major */
    rmtk_rng_fill_normal(31, 1, 0, w, (size_t)rows * cols);
    for (int i = 0; i < rows * cols; i++)
        w[i] /= sqrt((double)cols);
    for (int c = 0; c < 2; c++)
        for (int a = 0; a < 6; a++)
            for (int b = 0; b < 6; b++) {
                int i = 10 + 20 * c + 3 * a, j = 5 + 30 * c + 2 * b;
                w[i + (size_t)j * rows] += theta * (c ? 0.8 : 1.0) / 6.0;
            }
    double *s = malloc(sizeof(double) * k), *u = malloc(sizeof(double) * rows * k);
    double *vt = malloc(sizeof(double) * k * cols), *v = malloc(sizeof(double) * k * cols);
    CHECK(LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'S', rows, cols, w, rows, s, u, rows, vt, k) == 0);
    for (int j = 0; j < k; j++) /* rows of V^T -> vector-major V */
        for (int i = 0; i < cols; i++)
            v[(size_t)j * cols + i] = vt[j + (size_t)i * k];

    for (int method = 0; method <= RMTK_PT_STAATS; method++) {
        rmtk_pt_params par = rmtk_pt_params_default();
        par.method = method;
        rmtk_vectors_ws *ws = NULL;
        CHECK_OK(rmtk_vectors_ws_alloc(&par, &ws));
        double *pl = malloc(sizeof(double) * k), *pr = malloc(sizeof(double) * k);
        double *il = malloc(sizeof(double) * k), *ir = malloc(sizeof(double) * k);
        rmtk_vectors_result res;
        memset(&res, 0, sizeof res);
        res.p_left = pl;
        res.p_right = pr;
        res.ipr_left = il;
        res.ipr_right = ir;
        CHECK_OK(rmtk_vectors_analyze(ws, u, rows, v, cols, k, s, &res));
        CHECK(pl[0] < 0.05 && pl[1] < 0.05 && pr[0] < 0.05 && pr[1] < 0.05);
        /* Bulk (vectors 2..k-1): expected rejection rate 0.05, binomial SE 0.012 for 316
         * vectors; require < 0.12 (about 6 SE: the bulk is not exactly Haar next to a spike). */
        size_t rej = 0;
        for (int j = 2; j < k; j++)
            rej += (pl[j] <= 0.05) + (pr[j] <= 0.05);
        double bulk = (double)rej / (2.0 * (k - 2));
        printf("planted signal, method %d: p_left[0..1] = %.3g %.3g, p_right[0..1] = %.3g %.3g, "
               "bulk rejected %.3f, top decile %.3f, IPR top %.3f vs ref %.4f\n", method, pl[0],
               pl[1], pr[0], pr[1], bulk, res.pt_top_decile_frac_rejected, il[0],
               3.0 / (rows + 2));
        CHECK(bulk < 0.12);
        /* The result's scalars against a recount from its own arrays. */
        size_t all = 0, top = 0;
        double isum = 0;
        for (int j = 0; j < k; j++) {
            all += (pl[j] <= 0.05) + (pr[j] <= 0.05);
            if (j < k / 10)
                top += (pl[j] <= 0.05) + (pr[j] <= 0.05);
            isum += il[j] + ir[j];
            double ipr;
            rmtk_ipr(u + (size_t)j * rows, rows, &ipr);
            CHECK_NEAR(il[j], ipr, 1e-15);
        }
        CHECK_NEAR(res.pt_frac_rejected, all / (2.0 * k), 1e-15);
        CHECK_NEAR(res.pt_top_decile_frac_rejected, top / (2.0 * (k / 10)), 1e-15);
        CHECK_NEAR(res.pt_decile_frac_rejected[0], res.pt_top_decile_frac_rejected, 0);
        CHECK_NEAR(res.ipr_mean, isum / (2.0 * k), 1e-15);
        CHECK_NEAR(res.ipr_ref, 0.5 * (3.0 / (rows + 2) + 3.0 / (cols + 2)), 1e-15);
        CHECK(res.k == (uint64_t)k);
        CHECK(il[0] > 10 * 3.0 / (rows + 2)); /* localised: IPR ~ 1/6 */
        CHECK(res.pt_top_decile_frac_rejected > res.pt_frac_rejected);

        /* Singular values in reverse order give the reversed deciles. */
        double *s2 = malloc(sizeof(double) * k);
        for (int j = 0; j < k; j++)
            s2[j] = -s[j];
        rmtk_vectors_result r2;
        memset(&r2, 0, sizeof r2);
        CHECK_OK(rmtk_vectors_analyze(ws, u, rows, v, cols, k, s2, &r2));
        CHECK_NEAR(r2.pt_decile_frac_rejected[9], res.pt_decile_frac_rejected[0], 0);
        CHECK_NEAR(r2.pt_frac_rejected, res.pt_frac_rejected, 0);
        free(s2);
        free(pl);
        free(pr);
        free(il);
        free(ir);
        rmtk_vectors_ws_free(ws);
    }
    free(w);
    free(s);
    free(u);
    free(vt);
    free(v);
}

/* Moving average [i-w, i+w) and pooling against hand computations on the same plan's output. */
static void test_ma_and_pool(void)
{
    size_t n = 50, k = 37;
    double *x = random_vectors(n, k, 8);
    rmtk_pt_params par = rmtk_pt_params_default();
    par.nsamples = 200;
    rmtk_pt_plan *pl = NULL;
    CHECK_OK(rmtk_pt_plan_alloc(n, &par, &pl));
    double p0[37], d0[37], pm[37];
    CHECK_OK(rmtk_pt_test(pl, x, k, d0, p0));
    rmtk_pt_plan_free(pl);
    par.ma_window = 5;
    CHECK_OK(rmtk_pt_plan_alloc(n, &par, &pl));
    CHECK_OK(rmtk_pt_test(pl, x, k, NULL, pm));
    for (size_t i = 0; i < k; i++) {
        size_t a = i >= 5 ? i - 5 : 0, b = i + 5 < k ? i + 5 : k;
        double s = 0;
        for (size_t j = a; j < b; j++)
            s += p0[j];
        CHECK_NEAR(pm[i], s / (double)(b - a), 1e-14);
    }
    rmtk_pt_plan_free(pl);
    /* D of one vector against a direct computation with rmtk_ks_statistic and rmtk_pt_cdf. */
    double y[50];
    memcpy(y, x, sizeof y);
    rmtk_sort(y, n);
    double dd = 0;
    for (size_t i = 0; i < n; i++) {
        double f = rmtk_pt_cdf(y[i], n);
        dd = fmax(dd, fmax(f - (double)i / n, (double)(i + 1) / n - f));
    }
    CHECK_NEAR(d0[0], dd, 1e-10); /* plans interpolate the CDF from a table (error < 1e-10) */
    /* Exact + Kolmogorov p-value is rmtk_ks_pvalue(n, D). */
    par = rmtk_pt_params_default();
    par.method = RMTK_PT_EXACT_KOLMOGOROV;
    CHECK_OK(rmtk_pt_plan_alloc(n, &par, &pl));
    double pk;
    CHECK_OK(rmtk_pt_test(pl, x, 1, NULL, &pk));
    CHECK_NEAR(pk, rmtk_ks_pvalue(n, dd), 1e-8);
    double q;
    CHECK_STATUS(rmtk_pt_plan_null_quantile(pl, 0.5, &q), RMTK_ERR_ARG);
    rmtk_pt_plan_free(pl);

    /* Pooled: k = 37 vectors, pools of 6: blocks 0..5, ..., 30..35 and the last pool 31..36;
     * the overlap 31..35 keeps the smaller p. Check against single-pool calls. */
    par = rmtk_pt_params_default();
    par.method = RMTK_PT_PAPER;
    par.pooling_window = 3;
    par.nsamples = 100;
    CHECK_OK(rmtk_pt_plan_alloc(n, &par, &pl));
    double pp[37], dp[37], pa[6], pb[6], da[6], db[6];
    CHECK_OK(rmtk_pt_test(pl, x, k, dp, pp));
    CHECK_OK(rmtk_pt_test(pl, x, 6, da, pa));
    CHECK_NEAR(pp[0], pa[0], 0);
    CHECK_NEAR(dp[5], da[5], 0);
    CHECK_OK(rmtk_pt_test(pl, x + 30 * n, 6, da, pa));
    CHECK_OK(rmtk_pt_test(pl, x + 31 * n, 6, db, pb));
    CHECK_NEAR(pp[36], pb[5], 0);
    CHECK_NEAR(pp[30], pa[0], 0);
    CHECK_NEAR(pp[33], fmin(pa[0], pb[0]), 0);
    CHECK_STATUS(rmtk_pt_test(pl, x, 5, NULL, pp), RMTK_ERR_ARG); /* fewer than one pool */
    rmtk_pt_plan_free(pl);
    free(x);
}

/* The plans' tabulated CDF against the direct one: D of random vectors at several n agrees
 * to 1e-10 (the Hermite table's error, measured 3e-11 at n = 2 .. 4096). */
static void test_cdf_table(void)
{
    const size_t dims[] = {2, 3, 5, 17, 50, 500, 4096};
    rmtk_pt_params par = rmtk_pt_params_default();
    par.method = RMTK_PT_EXACT_KOLMOGOROV;
    double worst = 0;
    for (size_t t = 0; t < 7; t++) {
        size_t n = dims[t], k = n < 100 ? 200 : 5;
        double *x = random_vectors(n, k, 60 + n), *d = malloc(k * sizeof *d);
        double *y = malloc(n * sizeof *y);
        rmtk_pt_plan *pl = NULL;
        CHECK_OK(rmtk_pt_plan_alloc(n, &par, &pl));
        CHECK_OK(rmtk_pt_test(pl, x, k, d, NULL));
        for (size_t j = 0; j < k; j++) {
            memcpy(y, x + j * n, n * sizeof *y);
            rmtk_sort(y, n);
            double dd = 0;
            for (size_t i = 0; i < n; i++) {
                double f = rmtk_pt_cdf(y[i], n);
                dd = fmax(dd, fmax(f - (double)i / n, (double)(i + 1) / n - f));
            }
            worst = fmax(worst, fabs(d[j] - dd));
            CHECK_NEAR(d[j], dd, 1e-10);
        }
        rmtk_pt_plan_free(pl);
        free(x);
        free(d);
        free(y);
    }
    printf("tabulated vs direct exact CDF: worst |D difference| %.3g\n", worst);
}

/* Same seed, same null; another seed, another null. */
static void test_reproducible(void)
{
    rmtk_pt_params par = rmtk_pt_params_default();
    par.nsamples = 100;
    rmtk_pt_plan *a = NULL, *b = NULL;
    CHECK_OK(rmtk_pt_plan_alloc(20, &par, &a));
    CHECK_OK(rmtk_pt_plan_alloc(20, &par, &b));
    double qa, qb;
    rmtk_pt_plan_null_quantile(a, 0.37, &qa);
    rmtk_pt_plan_null_quantile(b, 0.37, &qb);
    CHECK(qa == qb);
    rmtk_pt_plan_free(b);
    par.seed = 1;
    CHECK_OK(rmtk_pt_plan_alloc(20, &par, &b));
    rmtk_pt_plan_null_quantile(b, 0.37, &qb);
    CHECK(qa != qb);
    rmtk_pt_plan_free(a);
    rmtk_pt_plan_free(b);
}

static void test_errors(void)
{
    double v;
    CHECK_STATUS(rmtk_betainc(0, 1, 0.5, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_betainc(1, -1, 0.5, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_betainc(1, 1, 1.5, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_betainc(1, 1, NAN, &v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_betainc(1, 1, 0.5, NULL), RMTK_ERR_ARG);

    rmtk_pt_plan *pl = (rmtk_pt_plan *)&v;
    rmtk_pt_params par = rmtk_pt_params_default();
    CHECK_STATUS(rmtk_pt_plan_alloc(1, &par, &pl), RMTK_ERR_ARG);
    CHECK(pl == NULL);
    CHECK_STATUS(rmtk_pt_plan_alloc(10, &par, NULL), RMTK_ERR_ARG);
    par.method = 7;
    CHECK_STATUS(rmtk_pt_plan_alloc(10, &par, &pl), RMTK_ERR_ARG);
    par = rmtk_pt_params_default();
    par.alpha = 0;
    CHECK_STATUS(rmtk_pt_plan_alloc(10, &par, &pl), RMTK_ERR_ARG);
    par = rmtk_pt_params_default();
    par.nsamples = 5;
    CHECK_STATUS(rmtk_pt_plan_alloc(10, &par, &pl), RMTK_ERR_ARG);
    par = rmtk_pt_params_default();
    par.pooling_window = 2; /* pooling is the paper variant's */
    CHECK_STATUS(rmtk_pt_plan_alloc(10, &par, &pl), RMTK_ERR_ARG);
    par = rmtk_pt_params_default();
    par.method = RMTK_PT_PAPER;
    CHECK_STATUS(rmtk_pt_plan_alloc(2, &par, &pl), RMTK_ERR_ARG);

    par = rmtk_pt_params_default();
    par.nsamples = 50;
    CHECK_OK(rmtk_pt_plan_alloc(10, &par, &pl));
    double x[20] = {0}, p[2];
    x[3] = 1; /* vector 0 fine, vector 1 zero */
    CHECK_STATUS(rmtk_pt_test(pl, x, 2, NULL, p), RMTK_ERR_NUMERIC);
    CHECK_STATUS(rmtk_pt_test(pl, x, 0, NULL, p), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_pt_test(NULL, x, 1, NULL, p), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_pt_test(pl, NULL, 1, NULL, p), RMTK_ERR_ARG);
    x[13] = NAN;
    CHECK_STATUS(rmtk_pt_test(pl, x, 2, NULL, p), RMTK_ERR_NUMERIC);
    CHECK_OK(rmtk_pt_test(pl, x, 1, NULL, NULL));
    rmtk_pt_plan_free(pl);
    rmtk_pt_plan_free(NULL);

    rmtk_vectors_ws *ws = NULL;
    rmtk_vectors_result res;
    memset(&res, 0, sizeof res);
    CHECK_STATUS(rmtk_vectors_ws_alloc(NULL, NULL), RMTK_ERR_ARG);
    par = rmtk_pt_params_default();
    par.alpha = 1.5;
    CHECK_STATUS(rmtk_vectors_ws_alloc(&par, &ws), RMTK_ERR_ARG);
    CHECK_OK(rmtk_vectors_ws_alloc(NULL, &ws));
    double *u = random_vectors(10, 3, 1);
    CHECK_STATUS(rmtk_vectors_analyze(ws, u, 10, u, 10, 0, NULL, &res), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_vectors_analyze(ws, u, 10, u, 2, 3, NULL, &res), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_vectors_analyze(ws, NULL, 10, u, 10, 3, NULL, &res), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_vectors_analyze(ws, u, 10, u, 10, 3, NULL, NULL), RMTK_ERR_ARG);
    double sn[3] = {1, NAN, 0};
    CHECK_STATUS(rmtk_vectors_analyze(ws, u, 10, u, 10, 3, sn, &res), RMTK_ERR_ARG);
    /* k < 10: decile of rank r is floor(10 r / 3) = 0, 3, 6; the others are empty (NaN). */
    CHECK_OK(rmtk_vectors_analyze(ws, u, 10, u, 10, 3, NULL, &res));
    CHECK(!isnan(res.pt_decile_frac_rejected[0]) && !isnan(res.pt_decile_frac_rejected[3]));
    CHECK(isnan(res.pt_decile_frac_rejected[1]) && isnan(res.pt_decile_frac_rejected[9]));
    rmtk_vectors_ws_free(ws);
    rmtk_vectors_ws_free(NULL);

    /* Allocation failures anywhere in plan building and analysis: NOMEM, no leak (ASan). */
    for (uint64_t fail = 1; fail <= 12; fail++) {
        rmtk_vectors_ws *w2 = NULL;
        par = rmtk_pt_params_default();
        par.nsamples = 30;
        par.ma_window = 2;
        rmtk_alloc_fail_after(fail);
        int st = rmtk_vectors_ws_alloc(&par, &w2);
        if (st == RMTK_OK)
            st = rmtk_vectors_analyze(w2, u, 10, u, 10, 3, NULL, &res);
        rmtk_alloc_fail_after(0);
        CHECK(st == RMTK_OK || st == RMTK_ERR_NOMEM);
        rmtk_vectors_ws_free(w2);
    }
    par = rmtk_pt_params_default();
    par.method = RMTK_PT_PAPER;
    par.nsamples = 30;
    for (uint64_t fail = 1; fail <= 4; fail++) {
        rmtk_alloc_fail_after(fail);
        pl = NULL;
        int st = rmtk_pt_plan_alloc(10, &par, &pl);
        rmtk_alloc_fail_after(0);
        CHECK_STATUS(st, RMTK_ERR_NOMEM);
        CHECK(pl == NULL);
    }
    free(u);
}

int main(void)
{
    RUN(test_betainc_scipy);
    RUN(test_pt_cdf);
    RUN(test_ipr);
    RUN(test_ma_and_pool);
    RUN(test_cdf_table);
    RUN(test_reproducible);
    RUN(test_errors);
    RUN(test_null_quantiles);
    RUN(test_size);
    RUN(test_planted);
    return harness_done();
}
