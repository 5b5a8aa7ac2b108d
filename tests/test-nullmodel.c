/*
 * test-nullmodel.c: element shuffles are uniform permutations (same multiset, reproducible,
 * different across replicas and seeds, chi-square over all 3! orders), matched Gaussians have
 * the entry mean and variance of the matrix and are normal (KS), and the ESD comparison
 * separates a Gaussian matrix (close to its shuffles) from a low-rank-plus-noise one (far),
 * with the summary recomputed by hand from the shared KS/Wasserstein routines. Error paths.
 */
#include "harness.h"
#include "internal.h"

#include <lapacke.h>

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static void test_shuffle(void)
{
    enum { R = 30, C = 40, N = R * C };
    double *a = malloc(N * sizeof *a), *s1 = malloc(N * sizeof *a), *s2 = malloc(N * sizeof *a);
    double *t1 = malloc(N * sizeof *a), *t2 = malloc(N * sizeof *a);
    for (int i = 0; i < N; i++)
        a[i] = (double)((i * 7919) % 1013) + 0.25 * (i % 3); /* with repeated values */
    CHECK_OK(rmtk_null_shuffle(a, R, C, 42, 0, s1));
    CHECK_OK(rmtk_null_shuffle(a, R, C, 42, 0, s2));
    CHECK(memcmp(s1, s2, N * sizeof *a) == 0); /* reproducible */
    memcpy(t1, a, N * sizeof *a);
    memcpy(t2, s1, N * sizeof *a);
    qsort(t1, N, sizeof *t1, cmp_d);
    qsort(t2, N, sizeof *t2, cmp_d);
    CHECK(memcmp(t1, t2, N * sizeof *a) == 0); /* same multiset */
    int moved = 0;
    for (int i = 0; i < N; i++)
        moved += s1[i] != a[i];
    CHECK(moved > N * 9 / 10); /* a permutation of 1200 fixes ~1 point; repeats add a few */
    CHECK_OK(rmtk_null_shuffle(a, R, C, 42, 1, s2));
    int diff = 0;
    for (int i = 0; i < N; i++)
        diff += s1[i] != s2[i];
    CHECK(diff > N * 9 / 10); /* another replica */
    CHECK_OK(rmtk_null_shuffle(a, R, C, 43, 0, s2));
    diff = 0;
    for (int i = 0; i < N; i++)
        diff += s1[i] != s2[i];
    CHECK(diff > N * 9 / 10); /* another seed */
    /* in place equals out of place */
    memcpy(s2, a, N * sizeof *a);
    CHECK_OK(rmtk_null_shuffle(s2, R, C, 42, 0, s2));
    CHECK(memcmp(s1, s2, N * sizeof *a) == 0);

    /* Uniformity: the 6 orders of (0, 1, 2) over 6000 replicas; chi-square with 5 degrees of
     * freedom must stay below 20.5 (p = 0.001). */
    int count[6] = {0};
    for (uint64_t r = 0; r < 6000; r++) {
        double x[3] = {0, 1, 2}, y[3];
        rmtk_null_shuffle(x, 1, 3, 9, r, y);
        int code = (int)y[0] * 3 + (int)y[1]; /* 1, 2, 3, 5, 6, 7 */
        static const int slot[8] = {-1, 0, 1, 2, -1, 3, 4, 5};
        count[slot[code]]++;
    }
    double chi2 = 0;
    for (int i = 0; i < 6; i++)
        chi2 += (count[i] - 1000.0) * (count[i] - 1000.0) / 1000.0;
    printf("shuffle orders of 3 items over 6000 replicas: chi2 = %.2f (5 dof)\n", chi2);
    CHECK(chi2 < 20.5);
    free(a);
    free(s1);
    free(s2);
    free(t1);
    free(t2);
}

static double cdf_normal(double x, const void *p)
{
    (void)p;
    return 0.5 * erfc(-x / sqrt(2.0));
}

static void test_gaussian(void)
{
    enum { R = 200, C = 300, N = R * C };
    double *a = malloc(N * sizeof *a), *g = malloc(N * sizeof *a), *g2 = malloc(N * sizeof *a);
    /* entries uniform on [1, 3): mean 2, variance 1/3 */
    rmtk_rng rng;
    rmtk_rng_init(&rng, 5, 0);
    for (int i = 0; i < N; i++)
        a[i] = 1.0 + 2.0 * rmtk_rng_uniform(&rng);
    double ma, sa;
    rmtk_mean_sd(a, N, &ma, &sa);
    CHECK_OK(rmtk_null_gaussian(a, R, C, 1, 0, g));
    CHECK_OK(rmtk_null_gaussian(a, R, C, 1, 0, g2));
    CHECK(memcmp(g, g2, N * sizeof *a) == 0);
    CHECK_OK(rmtk_null_gaussian(a, R, C, 1, 1, g2));
    CHECK(g[0] != g2[0] && g[1] != g2[1]);
    double mg, sg;
    rmtk_mean_sd(g, N, &mg, &sg);
    /* Standard errors: mean sa/sqrt(N) = 0.0024, variance sa^2 sqrt(2/N) = 0.0019; 4 SE. */
    printf("matched Gaussian: mean %.5f (matrix %.5f), var %.5f (matrix %.5f)\n", mg, ma,
           sg * sg, sa * sa);
    CHECK_NEAR(mg, ma, 4 * sa / sqrt((double)N));
    CHECK_NEAR(sg * sg, sa * sa, 4 * sa * sa * sqrt(2.0 / N));
    /* normal: KS of the standardised entries against Phi */
    for (int i = 0; i < N; i++)
        g2[i] = (g[i] - ma) / sa;
    rmtk_sort(g2, N);
    double d;
    CHECK_OK(rmtk_ks_statistic(g2, N, cdf_normal, NULL, &d));
    CHECK(rmtk_ks_pvalue(N, d) > 0.001);
    /* a constant matrix gives a constant replica; non-finite entries are refused */
    double c[6] = {3, 3, 3, 3, 3, 3}, out[6];
    CHECK_OK(rmtk_null_gaussian(c, 2, 3, 0, 0, out));
    CHECK_NEAR(out[4], 3.0, 1e-15);
    c[2] = INFINITY;
    CHECK_STATUS(rmtk_null_gaussian(c, 2, 3, 0, 0, out), RMTK_ERR_NUMERIC);
    free(a);
    free(g);
    free(g2);
}

/* Eigenvalues sigma^2 / cols of a rows x cols row-major matrix (a is overwritten). */
static void eigenvalues(double *a, int rows, int cols, double *ev)
{
    int k = rows < cols ? rows : cols;
    double *s = malloc(sizeof(double) * k);
    int info = LAPACKE_dgesdd(LAPACK_ROW_MAJOR, 'N', rows, cols, a, cols, s, NULL, rows, NULL,
                              cols);
    CHECK(info == 0);
    for (int i = 0; i < k; i++)
        ev[i] = s[i] * s[i] / cols;
    free(s);
}

/* The ESD distances of a matrix to its R shuffles and R Gaussians. */
static void distances(const double *w, int rows, int cols, rmtk_null_result *res, double *ks,
                      double *w1)
{
    enum { NR = 5 };
    int k = rows < cols ? rows : cols;
    size_t n = (size_t)rows * cols;
    double *buf = malloc(n * sizeof *buf), *ev = malloc(sizeof(double) * k);
    double *sh = malloc(sizeof(double) * k * NR), *ga = malloc(sizeof(double) * k * NR);
    memcpy(buf, w, n * sizeof *buf);
    eigenvalues(buf, rows, cols, ev);
    for (int r = 0; r < NR; r++) {
        CHECK_OK(rmtk_null_shuffle(w, rows, cols, 11, r, buf));
        eigenvalues(buf, rows, cols, sh + r * k);
        CHECK_OK(rmtk_null_gaussian(w, rows, cols, 11, r, buf));
        eigenvalues(buf, rows, cols, ga + r * k);
    }
    CHECK_OK(rmtk_null_compare(ev, k, sh, NR, ga, NR, res, ks, w1));
    /* recompute replica 2 and the shuffle summary by hand */
    double *x = malloc(sizeof(double) * k), *y = malloc(sizeof(double) * k), d, w1v;
    memcpy(x, ev, sizeof(double) * k);
    memcpy(y, sh + 2 * k, sizeof(double) * k);
    rmtk_sort(x, k);
    rmtk_sort(y, k);
    rmtk_ks2_statistic(x, k, y, k, &d);
    rmtk_wasserstein1(x, k, y, k, &w1v);
    CHECK_NEAR(ks[2], d, 0);
    CHECK_NEAR(w1[2], w1v, 0);
    double m = 0, mn = 1e300, mx = -1e300;
    for (int r = 0; r < NR; r++) {
        m += ks[r] / NR;
        mn = fmin(mn, ks[r]);
        mx = fmax(mx, ks[r]);
    }
    CHECK_NEAR(res->shuffle_ks.mean, m, 1e-15);
    CHECK_NEAR(res->shuffle_ks.min, mn, 0);
    CHECK_NEAR(res->shuffle_ks.max, mx, 0);
    CHECK(res->null_ks == res->shuffle_ks.mean);
    CHECK(res->n_shuffle == NR && res->n_gauss == NR);
    free(x);
    free(y);
    free(buf);
    free(ev);
    free(sh);
    free(ga);
}

/*
 * A Gaussian matrix is its own null: ESD KS distance to its shuffles and Gaussians is of the
 * order of the fluctuation of a spectrum of k = 150 levels (measured 0.020 to shuffles, 0.025 to
 * Gaussians; two ESDs of 150 i.i.d. points would differ by ~0.1, eigenvalues are rigid so it is
 * smaller; bound 0.15).
 * W = low rank (20) + small noise is far: its ESD has 20 large eigenvalues and 130 near zero,
 * while shuffling spreads the same total variance over a Marchenko-Pastur bulk (KS ~ 0.8).
 */
static void test_esd_distance(void)
{
    enum { R = 150, C = 300, NR = 5 };
    double *w = malloc(sizeof(double) * R * C);
    rmtk_rng_fill_normal(3, 0, 0, w, (size_t)R * C);
    rmtk_null_result res;
    double ks[2 * NR], w1[2 * NR];
    distances(w, R, C, &res, ks, w1);
    printf("Gaussian matrix: KS to shuffles %.4f +- %.4f [%.4f, %.4f], to Gaussians %.4f; "
           "W1 %.4f, %.4f\n", res.shuffle_ks.mean, res.shuffle_ks.sd, res.shuffle_ks.min,
           res.shuffle_ks.max, res.gauss_ks.mean, res.shuffle_w1.mean, res.gauss_w1.mean);
    CHECK(res.shuffle_ks.max < 0.15);
    CHECK(res.gauss_ks.max < 0.15);
    double gauss_null_ks = res.null_ks;

    double *l = malloc(sizeof(double) * R * 20), *rr = malloc(sizeof(double) * 20 * C);
    rmtk_rng_fill_normal(4, 0, 0, l, (size_t)R * 20);
    rmtk_rng_fill_normal(4, 1, 0, rr, (size_t)20 * C);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int t = 0; t < 20; t++)
                s += l[i * 20 + t] * rr[t * C + j];
            w[i * C + j] = s / sqrt(20.0) + 0.05 * w[i * C + j];
        }
    distances(w, R, C, &res, ks, w1);
    printf("low rank + noise: KS to shuffles %.4f +- %.4f, to Gaussians %.4f\n",
           res.shuffle_ks.mean, res.shuffle_ks.sd, res.gauss_ks.mean);
    CHECK(res.shuffle_ks.min > 0.5);
    CHECK(res.gauss_ks.min > 0.5);
    CHECK(res.null_ks > 5 * gauss_null_ks);
    free(w);
    free(l);
    free(rr);
}

static void test_errors(void)
{
    rmtk_null_params p = rmtk_null_params_default();
    CHECK(p.replicas == 5 && p.seed == 0);
    double a[4] = {1, 2, 3, 4}, o[4];
    CHECK_STATUS(rmtk_null_shuffle(NULL, 2, 2, 0, 0, o), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_shuffle(a, 2, 2, 0, 0, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_shuffle(a, 0, 2, 0, 0, o), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_shuffle(a, SIZE_MAX, 3, 0, 0, o), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_gaussian(a, 2, 0, 0, 0, o), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_gaussian(NULL, 2, 2, 0, 0, o), RMTK_ERR_ARG);
    CHECK_OK(rmtk_null_shuffle(a, 1, 1, 0, 0, o)); /* one entry: identity */
    CHECK(o[0] == 1);

    rmtk_null_result res;
    double ev[3] = {1, 2, 3}, rep[6] = {1, 2, 3, 2, 3, 4}, ks[2];
    CHECK_STATUS(rmtk_null_compare(NULL, 3, rep, 2, NULL, 0, &res, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_compare(ev, 0, rep, 2, NULL, 0, &res, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_compare(ev, 3, rep, 0, NULL, 0, &res, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_compare(ev, 3, NULL, 2, NULL, 0, &res, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_compare(ev, 3, rep, 1, NULL, 1, &res, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_null_compare(ev, 3, rep, 2, NULL, 0, NULL, NULL, NULL), RMTK_ERR_ARG);
    /* shuffles only: Gaussian spread is NaN; exact distances of the toy spectra */
    CHECK_OK(rmtk_null_compare(ev, 3, rep, 2, NULL, 0, &res, ks, NULL));
    CHECK_NEAR(ks[0], 0.0, 0);
    CHECK_NEAR(ks[1], 1.0 / 3.0, 1e-15);
    CHECK_NEAR(res.shuffle_w1.max, 1.0, 1e-15); /* shift by 1 */
    CHECK_NEAR(res.shuffle_ks.sd, sqrt(2.0) / 6.0, 1e-15);
    CHECK(isnan(res.gauss_ks.mean) && res.n_gauss == 0);
    rep[4] = NAN;
    CHECK_STATUS(rmtk_null_compare(ev, 3, rep, 2, NULL, 0, &res, NULL, NULL), RMTK_ERR_ARG);
    rep[4] = 3;
    for (uint64_t f = 1; f <= 3; f++) {
        rmtk_alloc_fail_after(f);
        int st = rmtk_null_compare(ev, 3, rep, 2, NULL, 0, &res, NULL, NULL);
        rmtk_alloc_fail_after(0);
        CHECK_STATUS(st, RMTK_ERR_NOMEM);
    }
}

int main(void)
{
    RUN(test_shuffle);
    RUN(test_gaussian);
    RUN(test_esd_distance);
    RUN(test_errors);
    return harness_done();
}
