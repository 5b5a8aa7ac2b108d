/*
 * test-tails.c: tests of the heavy-tail module (issue 4 acceptance).
 * Oracles: exact theory (Pareto samples of known alpha, with tolerances of 2 standard errors as
 * the acceptance states), a second method (a direct O(n^2) xmin scan written here, compared with
 * ==), numpy transcriptions (tests/data/gen-tails.py: WeightWatcher's fit, the windowed Hill
 * estimator), LAPACK singular values of Gaussian matrices, and the CLI end to end.
 * Statistical tests use fixed seeds; RMTK_TEST_QUICK shrinks sizes and replica counts only.
 */
#include "harness.h"
#include "powerlaw-ref.h"

#include <lapacke.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

static int quick;

/* ---- samplers (project RNG) ------------------------------------------------------------------ */

/* Pareto with CCDF exponent a (density exponent a + 1) and xmin xm. */
static void pareto(double *x, size_t n, double a, double xm, uint64_t seed)
{
    rmtk_rng g;
    rmtk_rng_init(&g, seed, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = xm * pow(rmtk_rng_uniform(&g), -1.0 / a);
}

static void lognormal(double *x, size_t n, double mu, double s, uint64_t seed)
{
    rmtk_rng g;
    rmtk_rng_init(&g, seed, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = exp(mu + s * rmtk_rng_normal(&g));
}

static void exponential(double *x, size_t n, double lam, uint64_t seed)
{
    rmtk_rng g;
    rmtk_rng_init(&g, seed, 0);
    for (size_t i = 0; i < n; i++)
        x[i] = -log(rmtk_rng_uniform(&g)) / lam;
}

/* Mixture: fraction fb from an exponential (rate 1) conditioned below xm, the rest Pareto(a)
 * above xm: the density has a kink at xm, the tail is an exact power law from xm on. */
static void mixture(double *x, size_t n, double fb, double a, double xm, uint64_t seed)
{
    rmtk_rng g;
    rmtk_rng_init(&g, seed, 0);
    for (size_t i = 0; i < n; i++) {
        double u = rmtk_rng_uniform(&g), v = rmtk_rng_uniform(&g);
        x[i] = u < fb ? -log1p(-v * -expm1(-xm)) : xm * pow(v, -1.0 / a);
    }
}

static void check_scan_exact(const double *x, size_t n, const char *what)
{
    double *cx = malloc(n * sizeof *cx), *ca = malloc(n * sizeof *ca), *cd = malloc(n * sizeof *cd);
    double *rx = malloc(n * sizeof *rx), *ra = malloc(n * sizeof *ra), *rd = malloc(n * sizeof *rd);
    double a = 0, xm = 0, d = 0;
    size_t nc = powerlaw_ref_scan(x, n, &a, &xm, &d, rx, ra, rd);
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    rmtk_powerlaw_fit f;
    size_t len = 0;
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, cx, ca, cd, n, &len));
    CHECK(len == nc);
    CHECK(f.alpha == a);
    CHECK(f.xmin == xm);
    CHECK(f.ks_d == d);
    size_t bad = 0;
    for (size_t i = 0; i < nc && i < len; i++)
        if (cx[i] != rx[i] || !(ca[i] == ra[i] || (isnan(ca[i]) && isnan(ra[i]))) ||
            !(cd[i] == rd[i] || (isnan(cd[i]) && isnan(rd[i]))))
            bad++;
    CHECK(bad == 0);
    if (bad || f.alpha != a || f.ks_d != d)
        fprintf(stderr, "  %s: %zu curve mismatches; alpha %.17g vs %.17g, D %.17g vs %.17g\n",
                what, bad, f.alpha, a, f.ks_d, d);
    free(cx);
    free(ca);
    free(cd);
    free(rx);
    free(ra);
    free(rd);
}

static void test_scan_exact(void)
{
    size_t n = quick ? 600 : 3000;
    double *x = malloc(n * sizeof *x);
    mixture(x, n, 0.4, 1.5, 1.0, 11);
    check_scan_exact(x, n, "mixture");
    pareto(x, n, 0.7, 2.0, 12);
    check_scan_exact(x, n, "pareto");
    lognormal(x, n, 0.0, 2.0, 13);
    check_scan_exact(x, n, "lognormal");
    exponential(x, n, 3.0, 14);
    check_scan_exact(x, n, "exponential");
    /* heavy ties: values rounded to 2 decimals */
    lognormal(x, n, 1.0, 0.7, 15);
    for (size_t i = 0; i < n; i++)
        x[i] = round(x[i] * 100.0) / 100.0 + 0.01;
    check_scan_exact(x, n, "ties");
    free(x);
}

/* ---- CSN fits on Pareto data ---------------------------------------------------------------- */

static void test_pareto_alpha(void)
{
    const double as[] = {0.8, 1.5, 2.5};
    const size_t ns[] = {100, 1000, 10000, 100000};
    size_t nmax = quick ? 10000 : 100000;
    double *x = malloc(nmax * sizeof *x);
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    /* Seeds depend only on (ia, in), so quick mode runs a subset of the same samples. With
     * xmin estimated, about 10% of fits land outside 2 SE (measured over 270 seeds: the SE
     * (alpha-1)/sqrt(n_tail) ignores xmin's variance); these fixed seeds are not selected. */
    for (size_t ia = 0; ia < 3; ia++)
        for (size_t in = 0; in < 4; in++) {
            size_t n = ns[in];
            if (n > nmax)
                continue;
            pareto(x, n, as[ia], 1.0, 100 + 4 * ia + in);
            rmtk_powerlaw_fit f;
            CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
            CHECK(f.reason == RMTK_TAIL_OK);
            /* Acceptance: the density exponent a + 1 within 2 standard errors. */
            CHECK_NEAR(f.alpha, as[ia] + 1.0, 2.0 * f.alpha_err);
            CHECK_NEAR(f.alpha_err, (f.alpha - 1.0) / sqrt((double)f.n_tail), 1e-15);
        }
    free(x);
}

static void test_xmin_mixture(void)
{
    size_t n = quick ? 5000 : 20000;
    double *x = malloc(n * sizeof *x);
    mixture(x, n, 0.5, 1.5, 2.0, 21);
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    rmtk_powerlaw_fit f;
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
    /* xmin = 2 recovered to within 10% (the body ends with a jump of the density at 2; a
     * wrong xmin by more than 10% shifts the ECDF of a 10^4 tail by >> its KS noise). */
    CHECK_NEAR(log(f.xmin / 2.0), 0.0, 0.1);
    /* 3 standard errors here: (alpha-1)/sqrt(n) ignores the variance added by estimating
     * xmin (CSN 2009, Sec. 3.3). */
    CHECK_NEAR(f.alpha, 2.5, 3.0 * f.alpha_err);
    /* The tail size: about half of the data. */
    CHECK_NEAR((double)f.n_tail / (double)n, 0.5, 0.05);
    free(x);
}

/* Truncated power law on [1, 100] (density exponent a, any real a): alpha within 3 standard
 * errors (Fisher information of the truncated model; 3 rather than 2 because xmin is estimated
 * too), and the SE formula against the untruncated limit. */
static void test_xmax(void)
{
    size_t n = quick ? 3000 : 10000;
    double *x = malloc(n * sizeof *x);
    const double as[] = {2.5, 1.0, 0.5};
    for (int t = 0; t < 3; t++) {
        double b = as[t] - 1.0, big_l = log(100.0);
        rmtk_rng g;
        rmtk_rng_init(&g, 200 + (uint64_t)t, 0);
        for (size_t i = 0; i < n; i++) {
            double w = rmtk_rng_uniform(&g);
            x[i] = exp(b == 0.0 ? w * big_l : -log1p(w * expm1(-b * big_l)) / b);
        }
        rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
        p.bootstrap = quick ? 10 : 30;
        p.threads = 2;
        p.xmax = 100.0;
        rmtk_powerlaw_fit f;
        CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
        CHECK(f.xmax == 100.0 && f.alpha_err > 0.0);
        CHECK_NEAR(f.alpha, as[t], 3.0 * f.alpha_err);
        CHECK(f.replicas_ok == p.bootstrap);
        rmtk_lr_test lr;
        CHECK_OK(rmtk_powerlaw_compare(x, n, &f, RMTK_TAIL_ALT_EXPONENTIAL, &lr));
        CHECK(lr.r_norm > 0.0);
    }
    /* Values above xmax are dropped. */
    x[0] = 1e6;
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    p.xmax = 100.0;
    rmtk_powerlaw_fit f;
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
    CHECK(f.n == n - 1);
    free(x);
}

/* ---- bootstrap and LR tests ------------------------------------------------------------------ */

static void test_bootstrap_gof(void)
{
    size_t n = 10000; /* the acceptance's size: the test's power depends on it */
    uint64_t reps = quick ? 20 : 200;
    double *x = malloc(n * sizeof *x);
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = reps;
    p.threads = 2;
    p.seed = 5;
    rmtk_powerlaw_fit f, f1;
    /* Lognormal and exponential data of size 1e4: p < 0.1. */
    lognormal(x, n, 0.0, 1.0, 31);
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
    CHECK(f.p_gof < 0.1);
    CHECK(f.plausible == 0);
    CHECK(f.replicas_ok == reps);
    exponential(x, n, 1.0, 32);
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
    CHECK(f.p_gof < 0.1);
    /* Thread count does not change the result (1, 2, 3 threads; replica r = stream r). */
    mixture(x, 1500, 0.3, 1.2, 1.0, 33);
    p.bootstrap = 30;
    p.threads = 1;
    CHECK_OK(rmtk_powerlaw_fit_run(x, 1500, &p, &f1, NULL, NULL, NULL, 0, NULL));
    for (uint32_t th = 2; th <= 3; th++) {
        p.threads = th;
        CHECK_OK(rmtk_powerlaw_fit_run(x, 1500, &p, &f, NULL, NULL, NULL, 0, NULL));
        CHECK(f1.p_gof == f.p_gof && f1.replicas_ok == f.replicas_ok);
    }
    /* True power laws: p >= 0.1 for most (under H0 p is ~uniform: P(p < 0.1) = 0.1, so of 8
     * samples at least 6 should pass unless something is wrong; P(<= 5 pass) ~ 0.4%). */
    size_t np = quick ? 1000 : 2000, pass = 0, tried = 8;
    p.threads = 2;
    p.bootstrap = quick ? 40 : 100;
    for (size_t t = 0; t < tried; t++) {
        pareto(x, np, 1.0 + 0.25 * (double)t, 1.0, 40 + t);
        CHECK_OK(rmtk_powerlaw_fit_run(x, np, &p, &f, NULL, NULL, NULL, 0, NULL));
        pass += f.p_gof >= 0.1;
    }
    CHECK(pass >= 6);
    free(x);
}

static void lr_all(const double *x, size_t n, rmtk_lr_test *t)
{
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    rmtk_powerlaw_fit f;
    CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
    for (int a = 0; a < 4; a++)
        CHECK_OK(rmtk_powerlaw_compare(x, n, &f, a, &t[a]));
}

static void test_lr(void)
{
    size_t n = 10000;
    double *x = malloc(n * sizeof *x);
    rmtk_lr_test t[4];
    /* Pareto: the power law beats the exponential significantly; the lognormal and the
     * stretched exponential can mimic a power law, so they must not be significantly better;
     * the truncated power law's cutoff is not significant. */
    pareto(x, n, 1.5, 1.0, 51);
    lr_all(x, n, t);
    CHECK(t[RMTK_TAIL_ALT_EXPONENTIAL].r_norm > 0 && t[RMTK_TAIL_ALT_EXPONENTIAL].p < 0.1);
    CHECK(t[RMTK_TAIL_ALT_LOGNORMAL].r_norm > 0 || t[RMTK_TAIL_ALT_LOGNORMAL].p >= 0.1);
    CHECK(t[RMTK_TAIL_ALT_STRETCHED_EXP].r_norm > 0 || t[RMTK_TAIL_ALT_STRETCHED_EXP].p >= 0.1);
    CHECK(t[RMTK_TAIL_ALT_TRUNCATED_PL].nested == 1 && t[RMTK_TAIL_ALT_TRUNCATED_PL].p >= 0.1);
    CHECK(t[RMTK_TAIL_ALT_TRUNCATED_PL].r <= 1e-6); /* nested: the alternative fits at least as
                                                       well as the power law */
    /* Lognormal data: the sign favours the lognormal, and the power law is rejected by the
     * nested test (curvature). At CSN's xmin only the far tail (a few hundred values) remains,
     * where a lognormal and a power law are hard to tell apart (CSN 2009, Sec. 5): the Vuong
     * p-value against the lognormal is not asserted to be small. Its fitted s is loosely near 1
     * (a truncated-lognormal fit of the far tail: mu and s are strongly correlated). */
    lognormal(x, n, 0.0, 1.0, 52);
    lr_all(x, n, t);
    CHECK(t[RMTK_TAIL_ALT_LOGNORMAL].r_norm < 0);
    CHECK(t[RMTK_TAIL_ALT_TRUNCATED_PL].r < 0 && t[RMTK_TAIL_ALT_TRUNCATED_PL].p < 0.1);
    CHECK_NEAR(t[RMTK_TAIL_ALT_LOGNORMAL].params[1], 1.0, 0.3);
    /* With a lower xmin (the whole upper half of the data) the lognormal wins significantly. */
    {
        rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
        p.bootstrap = 0;
        rmtk_powerlaw_fit f;
        CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &f, NULL, NULL, NULL, 0, NULL));
        /* the power-law MLE on x >= 1 (the lognormal's median) */
        double sl = 0.0;
        size_t m = 0;
        for (size_t i = 0; i < n; i++)
            if (x[i] >= 1.0) {
                sl += log(x[i]);
                m++;
            }
        f.xmin = 1.0;
        f.alpha = 1.0 + (double)m / sl;
        rmtk_lr_test tl;
        CHECK_OK(rmtk_powerlaw_compare(x, n, &f, RMTK_TAIL_ALT_LOGNORMAL, &tl));
        CHECK(tl.r_norm < 0 && tl.p < 0.1);
        CHECK_NEAR(tl.params[0], 0.0, 0.1);
        CHECK_NEAR(tl.params[1], 1.0, 0.1);
    }
    /* Exponential data: the exponential wins; its rate near 2 (memoryless tail). */
    exponential(x, n, 2.0, 53);
    lr_all(x, n, t);
    CHECK(t[RMTK_TAIL_ALT_EXPONENTIAL].r_norm < 0 && t[RMTK_TAIL_ALT_EXPONENTIAL].p < 0.1);
    CHECK_NEAR(t[RMTK_TAIL_ALT_EXPONENTIAL].params[0], 2.0, 0.3);
    CHECK(t[RMTK_TAIL_ALT_TRUNCATED_PL].r < 0 && t[RMTK_TAIL_ALT_TRUNCATED_PL].p < 0.1);
    free(x);
}

/* ---- Hill ------------------------------------------------------------------------------------ */

static void test_hill_curve(void)
{
    /* Hand example: x = 1, 2, 4, 8 -> X_(1) = 8: H_1 = ln 8 - ln 4 = ln 2,
     * H_2 = (ln 8 + ln 4)/2 - ln 2 = 1.5 ln 2, H_3 = (ln 8 + ln 4 + ln 2)/3 - 0 = 2 ln 2. */
    double x[4] = {4, 1, 8, 2}, a[3], e[3];
    CHECK_OK(rmtk_hill_curve(x, 4, a, e));
    CHECK_REL(a[0], 1.0 / log(2.0), 1e-14);
    CHECK_REL(a[1], 1.0 / (1.5 * log(2.0)), 1e-14);
    CHECK_REL(a[2], 1.0 / (2.0 * log(2.0)), 1e-14);
    CHECK_REL(e[2], a[2] / sqrt(3.0), 1e-14);
    /* Pareto: alpha_k at k = n/10 within 3 asymptotic standard errors. */
    size_t n = 20000;
    double *y = malloc(n * sizeof *y), *al = malloc(n * sizeof *al);
    pareto(y, n, 1.7, 1.0, 61);
    CHECK_OK(rmtk_hill_curve(y, n, al, NULL));
    CHECK_NEAR(al[n / 10 - 1], 1.7, 3.0 * 1.7 / sqrt((double)(n / 10)));
    free(y);
    free(al);
}

static void test_hill_windowed(void)
{
    size_t n = 0;
    double *x = harness_read_f64(harness_data("hillw_x.bin"), &n);
    CHECK(x != NULL && n == 2000);
    if (!x)
        return;
    const int cfg[4][3] = {{5, 1, 1}, {10, 1, 1}, {7, 3, 1}, {9, 2, 0}};
    for (int c = 0; c < 4; c++) {
        char name[64];
        snprintf(name, sizeof name, "hillw_%d_%d_%d.bin", cfg[c][0], cfg[c][1], cfg[c][2]);
        size_t m = 0;
        double *ref = harness_read_f64(harness_data(name), &m);
        CHECK(ref != NULL);
        if (!ref)
            continue;
        m /= 2;
        size_t len = rmtk_hill_windowed_size(n, (size_t)cfg[c][0], (size_t)cfg[c][1]);
        CHECK(len == m);
        double *a = malloc(len * sizeof *a), *g = malloc(len * sizeof *g);
        CHECK_OK(rmtk_hill_windowed(x, n, (size_t)cfg[c][0], (size_t)cfg[c][1], cfg[c][2], a, g,
                                    len, &len));
        double worst = 0.0;
        for (size_t i = 0; i < len && i < m; i++) {
            worst = fmax(worst, fabs(g[i] - ref[2 * i]) / fabs(ref[2 * i]));
            worst = fmax(worst, fabs(a[i] - ref[2 * i + 1]) / fabs(ref[2 * i + 1]));
        }
        CHECK(worst < 1e-12);
        if (worst >= 1e-12)
            fprintf(stderr, "  windowed Hill %s: worst relative difference %g\n", name, worst);
        CHECK_STATUS(rmtk_hill_windowed(x, n, (size_t)cfg[c][0], (size_t)cfg[c][1], 1, a, g,
                                        len - 1, &len),
                     RMTK_ERR_RANGE);
        free(a);
        free(g);
        free(ref);
    }
    free(x);
}

/* Singular values of a rows x cols standard Gaussian matrix (LAPACKE_dgesdd, values only). */
static double *gauss_sv(int rows, int cols, uint64_t seed, size_t *k)
{
    double *a = malloc((size_t)rows * (size_t)cols * sizeof *a);
    rmtk_rng_fill_normal(seed, 0, 0, a, (size_t)rows * (size_t)cols);
    int kk = rows < cols ? rows : cols;
    double *s = malloc((size_t)kk * sizeof *s);
    int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', rows, cols, a, rows, s, NULL, 1, NULL, 1);
    CHECK(info == 0);
    free(a);
    *k = (size_t)kk;
    return s;
}

static void test_hill_plateau(void)
{
    rmtk_hill_params hp = rmtk_hill_params_default();
    rmtk_hill_plateau r;
    /* Pareto data: a plateau at the true alpha (within 3 of its standard errors). */
    const double as[] = {0.7, 1.5, 3.0};
    size_t n = quick ? 2000 : 10000;
    double *x = malloc(n * sizeof *x);
    for (int i = 0; i < 3; i++) {
        pareto(x, n, as[i], 1.0, 70 + (uint64_t)i);
        CHECK_OK(rmtk_hill_plateau_find(x, n, &hp, &r));
        CHECK(r.defined == 1 && r.reason == RMTK_TAIL_OK);
        CHECK_NEAR(r.alpha, as[i], 3.0 * r.alpha_err);
        CHECK(r.k1 >= hp.k_min && r.k2 <= n / 2 && r.k2 >= 4 * r.k1);
    }
    free(x);
    /* Gaussian matrices: no plateau, on sigma nor on lambda = sigma^2. */
    const int shapes[][2] = {{200, 200}, {300, 600}, {500, 500}, {400, 1600}};
    int ns = quick ? 2 : 4;
    for (int i = 0; i < ns; i++) {
        size_t k;
        double *s = gauss_sv(shapes[i][0], shapes[i][1], 80 + (uint64_t)i, &k);
        CHECK_OK(rmtk_hill_plateau_find(s, k, &hp, &r));
        CHECK(r.defined == 0 && r.reason == RMTK_TAIL_NO_PLATEAU && isnan(r.alpha));
        for (size_t j = 0; j < k; j++)
            s[j] *= s[j];
        CHECK_OK(rmtk_hill_plateau_find(s, k, &hp, &r));
        CHECK(r.defined == 0);
        free(s);
    }
    /* Too few values: not defined, reason TOO_FEW. */
    double small[10] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    CHECK_OK(rmtk_hill_plateau_find(small, 10, NULL, &r));
    CHECK(r.defined == 0 && r.reason == RMTK_TAIL_TOO_FEW);
}

/* ---- WeightWatcher-compatible fit ----------------------------------------------------------- */

static void test_ww(void)
{
    size_t n = 0;
    double *lam = harness_read_f64(harness_data("ww_lam.bin"), &n);
    FILE *f = fopen(harness_data("ww_expected.txt"), "r");
    CHECK(lam != NULL && f != NULL);
    if (!lam || !f) {
        free(lam);
        if (f)
            fclose(f);
        return;
    }
    double a, s, aw, lan, xm, d;
    int nt;
    CHECK(fscanf(f, "%lf %lf %lf %lf %lf %d %lf", &a, &s, &aw, &lan, &xm, &nt, &d) == 7);
    fclose(f);
    rmtk_ww_fit w;
    CHECK_OK(rmtk_ww_fit_run(lam, n, &w));
    CHECK(w.reason == RMTK_TAIL_OK);
    /* numpy sums in another order and uses pow instead of exp/log: 1e-10 relative. */
    CHECK_REL(w.alpha, a, 1e-10);
    CHECK_REL(w.alpha_err, s, 1e-10);
    CHECK_REL(w.alpha_weighted, aw, 1e-10);
    CHECK_REL(w.log_alpha_norm, lan, 1e-10);
    CHECK(w.xmin == xm);
    CHECK((int)w.num_pl_spikes == nt);
    CHECK_REL(w.ks_d, d, 1e-10);
    CHECK(w.n_kept == n - 4);
    free(lam);
    /* Degenerate: all equal, or one value above the threshold. */
    double eq[5] = {2, 2, 2, 2, 2}, one[3] = {1e-7, 0, 3};
    CHECK_STATUS(rmtk_ww_fit_run(eq, 5, &w), RMTK_ERR_NUMERIC);
    CHECK(w.reason == RMTK_TAIL_DEGENERATE && isnan(w.alpha));
    CHECK_STATUS(rmtk_ww_fit_run(one, 3, &w), RMTK_ERR_NUMERIC);
    CHECK(w.reason == RMTK_TAIL_TOO_FEW && isnan(w.alpha));
}

/* Ties: WeightWatcher's WWFit takes every position of the sorted data as a candidate xmin, with
 * the tail data[i:], so a value tied k times is k candidates whose tails hold fewer and fewer of
 * its copies. lam = 1,1,1,1,2,2,2,4,4,8: WeightWatcher's alpha 2.2984255368000674, D
 * 0.2600970069260677, 9 tail values (xmin = the second 1). By hand for that candidate: m = 9,
 * sum ln x - 9 ln 1 = 3 ln 1 + 3 ln 2 + 2 ln 4 + ln 8 = 10 ln 2, alpha = 1 + 9 / (10 ln 2);
 * D = max_i |1 - x_i^(1-alpha) - i/9| = |1 - 2^(1-alpha) - 3/9| at i = 3 (the first 2). One
 * candidate per distinct value (the CSN rule) gave alpha = 1 + 10 / (10 ln 2) = 2.4427 and
 * D 0.3. The CSN fit keeps its tie-aware scan (tail: every value >= xmin). */
static void test_ww_ties(void)
{
    double lam[10] = {8, 1, 2, 4, 1, 2, 1, 4, 2, 1}; /* any order */
    rmtk_ww_fit w;
    CHECK_OK(rmtk_ww_fit_run(lam, 10, &w));
    CHECK(w.reason == RMTK_TAIL_OK);
    CHECK_REL(w.alpha, 2.2984255368000674, 1e-14);
    CHECK_REL(w.ks_d, 0.2600970069260677, 1e-14);
    CHECK(w.num_pl_spikes == 9);
    CHECK(w.xmin == 1.0);
    double a = 1.0 + 9.0 / (10.0 * log(2.0));
    CHECK_REL(w.alpha, a, 1e-15);
    CHECK_REL(w.ks_d, fabs(1.0 - pow(2.0, 1.0 - a) - 3.0 / 9.0), 1e-14);
    CHECK_REL(w.alpha_err, (a - 1.0) / 3.0, 1e-14);
    /* Many ties: Pareto values rounded to two significant digits, against a direct transcription
     * of WWFit (every position i, tail x[i:], D over the lower ECDF, first minimum), which skips
     * a tail of equal values as rmtk does (WWFit gives it alpha = inf and D = (m-1)/m). */
    enum { NT = 300 };
    double x[NT];
    uint64_t st = 99;
    for (int i = 0; i < NT; i++) {
        st = st * 6364136223846793005ull + 1442695040888963407ull;
        double uu = ((double)(st >> 11) + 0.5) / 9007199254740992.0;
        double v = pow(uu, -1.0 / 1.5);
        double e = pow(10.0, floor(log10(v)) - 1.0);
        x[i] = round(v / e) * e;
    }
    double xs[NT];
    memcpy(xs, x, sizeof xs);
    qsort(xs, NT, sizeof xs[0], powerlaw_ref_cmp);
    double best_d = INFINITY, best_a = NAN;
    size_t best_m = 0, nties = 0;
    for (size_t i = 0; i + 1 < NT; i++) {
        nties += xs[i] == xs[i + 1];
        size_t m = NT - i;
        double sum = 0;
        for (size_t j = i; j < NT; j++)
            sum += log(xs[j]);
        double den = sum - (double)m * log(xs[i]);
        if (!(den > 0))
            continue;
        double al = 1.0 + (double)m / den, d = 0;
        for (size_t j = 0; j < m; j++)
            d = fmax(d, fabs(1.0 - pow(xs[i + j] / xs[i], 1.0 - al) - (double)j / (double)m));
        if (d < best_d - 1e-12) {
            best_d = d;
            best_a = al;
            best_m = m;
        }
    }
    CHECK(nties > 100);
    CHECK_OK(rmtk_ww_fit_run(x, NT, &w));
    CHECK(w.num_pl_spikes == best_m);
    CHECK_REL(w.alpha, best_a, 1e-12);
    CHECK_REL(w.ks_d, best_d, 1e-12);
    /* The CSN fit on the same data keeps one candidate per distinct value: xmin 1 with all ten
     * values (alpha = 1 + 10 / (10 ln 2)), or a larger xmin, never the second copy of 1. */
    rmtk_powerlaw_params pp = rmtk_powerlaw_params_default();
    pp.bootstrap = 0;
    rmtk_powerlaw_fit c;
    CHECK_OK(rmtk_powerlaw_fit_run(lam, 10, &pp, &c, NULL, NULL, NULL, 0, NULL));
    CHECK(c.n_tail == 10 || c.xmin > 1.0);
}

/* ---- per-matrix entry point ----------------------------------------------------------------- */

static void test_analyze(void)
{
    size_t k;
    double *s = gauss_sv(300, 600, 90, &k);
    rmtk_tails_params tp = rmtk_tails_params_default();
    tp.powerlaw.bootstrap = quick ? 20 : 100;
    tp.powerlaw.threads = 2;
    rmtk_tails_result r;
    double *hc = malloc(k * sizeof *hc), *he = malloc(k * sizeof *he);
    double *kx = malloc(k * sizeof *kx), *ka = malloc(k * sizeof *ka), *kd = malloc(k * sizeof *kd);
    CHECK_OK(rmtk_tails_analyze(s, k, &tp, &r, hc, he, k, kx, ka, kd, k));
    double *lam = malloc(k * sizeof *lam);
    for (size_t i = 0; i < k; i++)
        lam[i] = s[i] * s[i];
    rmtk_ww_fit w;
    CHECK_OK(rmtk_ww_fit_run(lam, k, &w));
    CHECK(r.ww.alpha == w.alpha && r.ww.xmin == w.xmin && r.ww.num_pl_spikes == w.num_pl_spikes);
    rmtk_powerlaw_fit f;
    size_t len;
    CHECK_OK(rmtk_powerlaw_fit_run(lam, k, &tp.powerlaw, &f, NULL, NULL, NULL, 0, &len));
    CHECK(r.csn.alpha == f.alpha && r.csn.p_gof == f.p_gof && r.ks_len == len);
    CHECK(r.hill.defined == 0);
    CHECK(r.hill_len == k - 1);
    CHECK(r.lr_lognormal.reason == RMTK_TAIL_OK && r.lr_exponential.reason == RMTK_TAIL_OK);
    /* The KS curve's minimum is the chosen fit. */
    double dmin = INFINITY;
    for (size_t i = 0; i < len; i++)
        if (kd[i] < dmin)
            dmin = kd[i];
    CHECK(dmin == r.csn.ks_d);
    free(s);
    free(lam);
    free(hc);
    free(he);
    free(kx);
    free(ka);
    free(kd);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_errors(void)
{
    double x[5] = {1, 2, 3, 4, 5}, bad[3] = {1, -2, 3}, nanx[2] = {1, NAN}, out[8];
    size_t len;
    rmtk_powerlaw_fit f;
    rmtk_lr_test t;
    rmtk_hill_plateau h;
    rmtk_ww_fit w;
    rmtk_tails_result r;
    CHECK_STATUS(rmtk_hill_curve(NULL, 5, out, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_hill_curve(x, 1, out, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_hill_curve(bad, 3, out, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_hill_windowed(x, 5, 0, 1, 1, out, out, 8, &len), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_hill_windowed(x, 5, 9, 1, 1, out, out, 8, &len), RMTK_ERR_ARG);
    rmtk_hill_params hp = rmtk_hill_params_default();
    hp.span_ratio = 1.0;
    CHECK_STATUS(rmtk_hill_plateau_find(x, 5, &hp, &h), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_powerlaw_fit_run(NULL, 5, NULL, &f, NULL, NULL, NULL, 0, NULL),
                 RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_powerlaw_fit_run(bad, 3, NULL, &f, NULL, NULL, NULL, 0, NULL),
                 RMTK_ERR_ARG);
    rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
    p.min_tail = 1;
    CHECK_STATUS(rmtk_powerlaw_fit_run(x, 5, &p, &f, NULL, NULL, NULL, 0, NULL), RMTK_ERR_ARG);
    p = rmtk_powerlaw_params_default();
    p.bootstrap = 0;
    CHECK_STATUS(rmtk_powerlaw_fit_run(x, 1, &p, &f, NULL, NULL, NULL, 0, NULL),
                 RMTK_ERR_NUMERIC);
    CHECK(f.reason == RMTK_TAIL_TOO_FEW && isnan(f.alpha));
    double eq[4] = {3, 3, 3, 3};
    CHECK_STATUS(rmtk_powerlaw_fit_run(eq, 4, &p, &f, NULL, NULL, NULL, 0, NULL),
                 RMTK_ERR_NUMERIC);
    CHECK(f.reason != RMTK_TAIL_OK && isnan(f.alpha));
    CHECK_STATUS(rmtk_powerlaw_fit_run(x, 5, &p, &f, out, NULL, NULL, 1, &len), RMTK_ERR_RANGE);
    CHECK_STATUS(rmtk_powerlaw_compare(x, 5, &f, 0, &t), RMTK_ERR_ARG); /* f not OK */
    CHECK_OK(rmtk_powerlaw_fit_run(x, 5, &p, &f, NULL, NULL, NULL, 0, NULL));
    CHECK_STATUS(rmtk_powerlaw_compare(x, 5, &f, 7, &t), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_ww_fit_run(NULL, 3, &w), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_ww_fit_run(nanx, 2, &w), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tails_analyze(NULL, 3, NULL, &r, NULL, NULL, 0, NULL, NULL, NULL, 0),
                 RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tails_analyze(bad, 3, NULL, &r, NULL, NULL, 0, NULL, NULL, NULL, 0),
                 RMTK_ERR_ARG);
    CHECK(strcmp(rmtk_tail_reason_str(RMTK_TAIL_NO_PLATEAU),
                 "no plateau: the tail index is not defined") == 0);
    /* Allocation failures: every allocation of a fit, in turn, fails cleanly. */
    double y[200];
    pareto(y, 200, 1.5, 1.0, 3);
    p.bootstrap = 10;
    p.threads = 2;
    int nomem = 0, ok = 0;
    for (uint64_t k = 1; k <= 400 && !ok; k++) {
        rmtk_alloc_fail_after(k);
        int st = rmtk_powerlaw_fit_run(y, 200, &p, &f, NULL, NULL, NULL, 0, NULL);
        rmtk_alloc_fail_after(0);
        nomem += st == RMTK_ERR_NOMEM;
        ok += st == RMTK_OK;
        CHECK(st == RMTK_OK || st == RMTK_ERR_NOMEM);
    }
    CHECK(nomem > 0 && ok > 0);
    rmtk_tails_params tp = rmtk_tails_params_default();
    tp.powerlaw.bootstrap = 5;
    for (uint64_t k = 1; k <= 200; k += 7) {
        rmtk_alloc_fail_after(k);
        int st = rmtk_tails_analyze(y, 200, &tp, &r, NULL, NULL, 0, NULL, NULL, NULL, 0);
        rmtk_alloc_fail_after(0);
        CHECK(st == RMTK_OK || st == RMTK_ERR_NOMEM);
    }
}

/* ---- CLI end to end -------------------------------------------------------------------------- */

/* Value of "key": NUMBER after the first occurrence of `after` in s. */
static double json_num(const char *s, const char *after, const char *key)
{
    const char *p = strstr(s, after);
    if (!p)
        return NAN;
    char k[64];
    snprintf(k, sizeof k, "\"%s\":", key);
    p = strstr(p, k);
    if (!p)
        return NAN;
    return strtod(p + strlen(k), NULL);
}

static char *run_cmd(const char *cmd, int *rc)
{
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, len = 0;
    char *buf = malloc(cap);
    size_t r;
    while ((r = fread(buf + len, 1, cap - 1 - len, p)) > 0) {
        len += r;
        if (len + 1 >= cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    buf[len] = 0;
    int st = pclose(p);
    *rc = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    return buf;
}

static void test_cli(void)
{
    char path[] = "/tmp/rmtk-test-tails-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    FILE *f = fdopen(fd, "w");
    size_t n = 3000;
    double *x = malloc(n * sizeof *x);
    pareto(x, n, 1.5, 1.0, 99);
    fprintf(f, "# Pareto sample, alpha_ccdf = 1.5\n\n");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%.17g\n", x[i]);
    fprintf(f, "0\n-3.5   # excluded\n");
    fclose(f);
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s tail %s --json --bootstrap 30 --seed 4 --threads 2", RMTK_CLI,
             path);
    int rc = -1;
    char *out = run_cmd(cmd, &rc);
    CHECK(out != NULL && rc == 0);
    if (out) {
        rmtk_powerlaw_params p = rmtk_powerlaw_params_default();
        p.bootstrap = 30;
        p.seed = 4;
        rmtk_powerlaw_fit fit;
        CHECK_OK(rmtk_powerlaw_fit_run(x, n, &p, &fit, NULL, NULL, NULL, 0, NULL));
        CHECK(strstr(out, "\"csn\"") != NULL);
        CHECK_REL(json_num(out, "\"csn\"", "alpha"), fit.alpha, 1e-12);
        CHECK_REL(json_num(out, "\"csn\"", "xmin"), fit.xmin, 1e-12);
        CHECK_NEAR(json_num(out, "\"csn\"", "p_gof"), fit.p_gof, 1e-12);
        CHECK(json_num(out, "\"input\"", "excluded_nonpositive") == 2.0);
        CHECK(json_num(out, "\"input\"", "n") == (double)n);
        CHECK(strstr(out, "\"hill\"") && strstr(out, "\"ww\"") && strstr(out, "\"lr\""));
        CHECK(strstr(out, "\"lognormal\"") && strstr(out, "\"truncated_power_law\""));
        free(out);
    }
    /* Text table mode runs too. */
    snprintf(cmd, sizeof cmd, "%s tail %s --bootstrap 0", RMTK_CLI, path);
    out = run_cmd(cmd, &rc);
    CHECK(out && rc == 0 && strstr(out, "alpha"));
    free(out);
    /* A bad token: exit code RMTK_ERR_FORMAT and a message with file and line. */
    f = fopen(path, "w");
    fprintf(f, "1.0\n2.0\n3x\n");
    fclose(f);
    snprintf(cmd, sizeof cmd, "%s tail %s 2>&1", RMTK_CLI, path);
    out = run_cmd(cmd, &rc);
    CHECK(rc == RMTK_ERR_FORMAT);
    char needle[128];
    snprintf(needle, sizeof needle, "%s:3", path);
    CHECK(out && strstr(out, needle));
    free(out);
    snprintf(cmd, sizeof cmd, "%s tail --help", RMTK_CLI);
    out = run_cmd(cmd, &rc);
    CHECK(out && rc == 0 && strstr(out, "--bootstrap"));
    free(out);
    unlink(path);
    free(x);
}

int main(void)
{
    quick = harness_quick();
    RUN(test_scan_exact);
    RUN(test_pareto_alpha);
    RUN(test_xmin_mixture);
    RUN(test_xmax);
    RUN(test_hill_curve);
    RUN(test_hill_windowed);
    RUN(test_hill_plateau);
    RUN(test_ww);
    RUN(test_ww_ties);
    RUN(test_lr);
    RUN(test_bootstrap_gof);
    RUN(test_analyze);
    RUN(test_errors);
    RUN(test_cli);
    return harness_done();
}
