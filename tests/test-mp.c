/*
 * test-mp.c: module mp (Marchenko-Pastur law and fits, Tracy-Widom, BBP) and the Airy function.
 * Oracles: scipy's Airy function and adaptive quadrature of the MP density (tests/data/gen-mp.py),
 * exact MP normalisation and moments (methods.md 4.1), Gauss-Legendre quadrature of the density,
 * literature values of the Tracy-Widom moments and quantiles (methods.md 4.9; Johnstone 2001
 * Table 1), the BBP values of methods.md T11, and simulated Gaussian matrices (LAPACK dgesdd).
 */
#include "harness.h"

#include <lapacke.h>

/* ---- helpers ----------------------------------------------------------------------------- */

/* Singular values (descending) of an N x M matrix with i.i.d. N(0, v) entries (stream `stream` of
 * `seed`) plus sum_j theta_j sqrt(v max(N, M)) u_j w_j^T with random unit u_j, w_j (methods.md
 * 4.9's normalisation: theta_j is the BBP signal strength). */
static double *gauss_sv(int N, int M, double v, uint64_t seed, uint64_t stream,
                        const double *theta, int nspikes)
{
    size_t nm = (size_t)N * (size_t)M;
    double *A = malloc(nm * sizeof *A), *s = malloc((size_t)(N < M ? N : M) * sizeof *s);
    rmtk_rng_fill_normal(seed, stream, 0, A, nm);
    double sd = sqrt(v), big = N > M ? N : M;
    for (size_t i = 0; i < nm; i++)
        A[i] *= sd;
    for (int j = 0; j < nspikes; j++) {
        double *u = malloc((size_t)N * sizeof *u), *w = malloc((size_t)M * sizeof *w);
        rmtk_rng_fill_normal(seed, stream + 1000 + 2 * (uint64_t)j, 0, u, (size_t)N);
        rmtk_rng_fill_normal(seed, stream + 1001 + 2 * (uint64_t)j, 0, w, (size_t)M);
        double nu = 0, nw = 0;
        for (int i = 0; i < N; i++)
            nu += u[i] * u[i];
        for (int i = 0; i < M; i++)
            nw += w[i] * w[i];
        double amp = theta[j] * sqrt(v * big) / sqrt(nu * nw);
        for (int c = 0; c < M; c++)
            for (int r = 0; r < N; r++)
                A[(size_t)r + (size_t)c * (size_t)N] += amp * u[r] * w[c];
        free(u);
        free(w);
    }
    lapack_int info = LAPACKE_dgesdd(LAPACK_COL_MAJOR, 'N', N, M, A, N, s, NULL, 1, NULL, 1);
    CHECK(info == 0);
    free(A);
    return s;
}

/* int_a^b g(l) rho(l) dl for the continuous MP part, by Gauss-Legendre in theta with
 * l = c - d cos(theta) (c, d the centre and half-width), which removes the square-root edges:
 * rho dl = d^2 sin^2(theta) / (2 pi v m l) dtheta. Integrates over [a, x] for theta in [0, tx]. */
static double mp_quad(double v, double n, double m, double x, int power)
{
    double a = v * pow(sqrt(n) - sqrt(m), 2), b = v * pow(sqrt(n) + sqrt(m), 2);
    double c = 0.5 * (a + b), d = 0.5 * (b - a);
    double tx = x >= b ? M_PI : acos((c - x) / d);
    double t[200], w[200], sum = 0;
    rmtk_gauss_legendre(200, 0.0, tx, t, w);
    for (int i = 0; i < 200; i++) {
        /* l = c - d cos(theta) = a + 2 d sin^2(theta/2), without cancellation when a = 0 */
        double sh = sin(0.5 * t[i]), l = a + 2.0 * d * sh * sh, st = sin(t[i]);
        sum += w[i] * pow(l, power) * d * d * st * st / (2 * M_PI * v * m * l);
    }
    return sum;
}

/* ---- Airy and Tracy-Widom -------------------------------------------------------------------- */

static void test_airy(void)
{
    FILE *f = fopen(harness_data("airy.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    double x, ai, aip;
    int n = 0;
    while (fscanf(f, "%lf %lf %lf", &x, &ai, &aip) == 3) {
        double a, b;
        CHECK_OK(rmtk_airy(x, &a, &b));
        /* Accuracy relative to the envelope: |x|^{-/+1/4} for x < 0 (oscillatory, zeros make
         * a pure relative error meaningless), the exact decay for x > 0. scipy (Cephes) is itself
         * good to a few 1e-16 here; 2e-14 leaves room for both. */
        double z = fabs(x), q = pow(1.0 + z, 0.25);
        double decay = x > 0 ? exp(-2.0 / 3.0 * z * sqrt(z)) : 1.0;
        CHECK_NEAR(a, ai, 2e-14 * decay / q);
        CHECK_NEAR(b, aip, 2e-14 * decay * q);
        n++;
    }
    fclose(f);
    CHECK(n > 200);
    /* Wronskian-free exact values: Ai(0) = 3^{-2/3}/Gamma(2/3), Ai'(0) = -3^{-1/3}/Gamma(1/3). */
    double a0, b0;
    rmtk_airy(0.0, &a0, &b0);
    CHECK_REL(a0, pow(3.0, -2.0 / 3.0) / tgamma(2.0 / 3.0), 1e-14);
    CHECK_REL(b0, -pow(3.0, -1.0 / 3.0) / tgamma(1.0 / 3.0), 1e-14);
    CHECK_STATUS(rmtk_airy(NAN, &a0, &b0), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_airy(1.0, NULL, NULL), RMTK_ERR_ARG);
    CHECK_OK(rmtk_airy(1.0, NULL, &b0));
}

typedef struct {
    double s;
} tw1_ctx;

static double tw1_kernel(double x, double y, const void *p)
{
    double ai;
    rmtk_airy(0.5 * (x + y) + ((const tw1_ctx *)p)->s, &ai, NULL);
    return 0.5 * ai;
}

static void test_tracy_widom(void)
{
    double mean, sd;
    CHECK_OK(rmtk_tw_moments(1, &mean, &sd));
    /* methods.md 4.9: TW_1 mean -1.2065, sd 1.2680 (to 3 digits and better: the literature's
     * -1.2065335745820, 1.2679827; we ask the 4 printed digits, |err| <= 5e-5). */
    CHECK_NEAR(mean, -1.2065, 5e-5);
    CHECK_NEAR(sd, 1.2680, 5e-5);
    printf("TW1 mean %.7f sd %.7f\n", mean, sd);
    CHECK_OK(rmtk_tw_moments(2, &mean, &sd));
    CHECK_NEAR(mean, -1.7711, 5e-5);
    CHECK_NEAR(sd, 0.9018, 5e-5);
    printf("TW2 mean %.7f sd %.7f\n", mean, sd);
    /* Johnstone (2001) Table 1, TW_1 quantiles: 0.90 -> 0.4501, 0.95 -> 0.9793, 0.99 -> 2.0234. */
    double q;
    CHECK_OK(rmtk_tw_quantile(1, 0.90, &q));
    CHECK_NEAR(q, 0.4501, 1e-4);
    CHECK_OK(rmtk_tw_quantile(1, 0.95, &q));
    CHECK_NEAR(q, 0.9793, 1e-4);
    printf("TW1 q95 %.6f\n", q);
    CHECK_OK(rmtk_tw_quantile(1, 0.99, &q));
    CHECK_NEAR(q, 2.0234, 1e-4);
    /* Round trip F(Q(p)) = p. */
    for (int beta = 1; beta <= 2; beta++)
        for (double p = 0.01; p < 1.0; p += 0.14) {
            double F;
            CHECK_OK(rmtk_tw_quantile(beta, p, &q));
            CHECK_OK(rmtk_tw_cdf(beta, q, &F));
            CHECK_NEAR(F, p, 1e-12);
        }
    /* The Nystrom discretisation is converged: doubling the nodes (and a longer interval) moves
     * F_1 by < 1e-12. */
    for (double s = -6.0; s <= 4.0; s += 2.5) {
        double F, F2;
        tw1_ctx c = {s};
        CHECK_OK(rmtk_tw_cdf(1, s, &F));
        CHECK_OK(rmtk_fredholm_det(tw1_kernel, &c, 0.0, 24.0 - s, 1.0, 240, &F2));
        CHECK_NEAR(F, F2, 1e-12);
    }
    /* Monotone, limits. */
    double Fa, Fb;
    rmtk_tw_cdf(1, -20.0, &Fa);
    rmtk_tw_cdf(1, 20.0, &Fb);
    CHECK(Fa == 0.0 && Fb == 1.0);
    CHECK_STATUS(rmtk_tw_cdf(3, 0.0, &Fa), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tw_cdf(1, NAN, &Fa), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tw_cdf(1, 0.0, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tw_quantile(1, 1.0, &q), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_tw_quantile(1, 1e-300, &q), RMTK_ERR_NUMERIC);
    CHECK_STATUS(rmtk_tw_moments(0, &mean, &sd), RMTK_ERR_ARG);
    double mu, sg;
    CHECK_OK(rmtk_tw_johnstone(101.0, 50.0, &mu, &sg));
    CHECK_REL(mu, pow(10.0 + sqrt(50.0), 2), 1e-15);
    CHECK_REL(sg, (10.0 + sqrt(50.0)) * cbrt(0.1 + 1.0 / sqrt(50.0)), 1e-15);
    CHECK_STATUS(rmtk_tw_johnstone(1.0, 5.0, &mu, &sg), RMTK_ERR_ARG);
    rmtk_alloc_fail_after(1);
    CHECK_STATUS(rmtk_tw_cdf(1, 0.0, &Fa), RMTK_ERR_NOMEM);
    rmtk_alloc_fail_after(0);
}

/* ---- the MP law ---------------------------------------------------------------------------- */

static void test_mp_law(void)
{
    static const double shapes[][3] = {{2000, 1000, 1.0}, {300, 700, 0.25}, {500, 500, 2.0},
                                       {1, 0.3, 1.0}};
    for (int i = 0; i < 4; i++) {
        double N = shapes[i][0], M = shapes[i][1], v = shapes[i][2];
        double n = N > M ? N : M, m = N < M ? N : M, q = m / n;
        rmtk_mp_law law = {v, N, M, RMTK_MP_EIGEN, 0};
        double lo, hi, atom;
        CHECK_OK(rmtk_mp_support(&law, &lo, &hi, &atom));
        CHECK_REL(hi, v * pow(sqrt(N) + sqrt(M), 2), 1e-14);
        CHECK_NEAR(lo, v * pow(sqrt(N) - sqrt(M), 2), 1e-12 * hi);
        CHECK(atom == 0.0);
        /* Normalisation and moments (methods.md 4.1, l/n ~ MP(v, q)): m1 = v n,
         * m2 = v^2 n^2 (1 + q). */
        CHECK_NEAR(mp_quad(v, n, m, hi, 0), 1.0, 1e-13);
        CHECK_REL(mp_quad(v, n, m, hi, 1), v * n, 1e-13);
        CHECK_REL(mp_quad(v, n, m, hi, 2), v * v * n * n * (1 + q), 1e-13);
        /* CDF: closed form vs quadrature; quantile round trip; pdf = dF/dx. */
        for (double t = 0.001; t < 1.0; t += 0.0777) {
            double x = lo + t * (hi - lo);
            CHECK_NEAR(rmtk_mp_cdf(x, &law), mp_quad(v, n, m, x, 0), 1e-13);
            double h = 1e-6 * (hi - lo);
            double dF = (rmtk_mp_cdf(x + h, &law) - rmtk_mp_cdf(x - h, &law)) / (2 * h);
            CHECK_REL(rmtk_mp_pdf(x, &law), dF, 1e-6);
        }
        for (double p = 0.0; p <= 1.0; p += 0.0625) {
            double x;
            CHECK_OK(rmtk_mp_quantile(&law, p, &x));
            CHECK_NEAR(rmtk_mp_cdf(x, &law), p, 1e-13);
        }
        CHECK(rmtk_mp_cdf(lo - 1e-9 * hi, &law) == 0.0 && rmtk_mp_cdf(hi * 1.0001, &law) == 1.0);
        /* Singular-value form: F_s(sqrt l) = F(l); density integrates to 1 (Gauss-Legendre in
         * s = c - d cos theta as above, by the change of variables l = s^2 it is the same law). */
        rmtk_mp_law ls = law;
        ls.form = RMTK_MP_SINGULAR;
        double slo, shi;
        rmtk_mp_support(&ls, &slo, &shi, NULL);
        CHECK_REL(shi, sqrt(v) * (sqrt(N) + sqrt(M)), 1e-14);
        double tq[400], wq[400], sum = 0;
        rmtk_gauss_legendre(400, 0.0, M_PI, tq, wq);
        for (int j = 0; j < 400; j++) {
            double c = 0.5 * (slo + shi), d = 0.5 * (shi - slo);
            sum += wq[j] * rmtk_mp_pdf(c - d * cos(tq[j]), &ls) * d * sin(tq[j]);
        }
        CHECK_NEAR(sum, 1.0, 1e-6); /* the sqrt edge limits the plain rule to ~1e-7 */
        for (double t = 0.05; t < 1.0; t += 0.1) {
            double x = lo + t * (hi - lo), xs;
            CHECK_NEAR(rmtk_mp_cdf(sqrt(x), &ls), rmtk_mp_cdf(x, &law), 1e-15);
            CHECK_OK(rmtk_mp_quantile(&ls, t, &xs));
            double xl;
            rmtk_mp_quantile(&law, t, &xl);
            CHECK_REL(xs, sqrt(xl), 1e-14);
        }
        /* With the atom: mass 1 - m/n at 0, the continuous part scaled by m/n. */
        rmtk_mp_law la = law;
        la.atom = 1;
        CHECK_OK(rmtk_mp_support(&la, NULL, NULL, &atom));
        CHECK_NEAR(atom, 1.0 - q, 1e-15);
        CHECK_NEAR(rmtk_mp_cdf(0.0, &la), 1.0 - q, 1e-15);
        CHECK(rmtk_mp_cdf(-1e-300, &la) == 0.0);
        double xm = lo + 0.4 * (hi - lo), x;
        CHECK_NEAR(rmtk_mp_cdf(xm, &la), 1.0 - q + q * rmtk_mp_cdf(xm, &law), 1e-15);
        CHECK_NEAR(rmtk_mp_pdf(xm, &la), q * rmtk_mp_pdf(xm, &law), 1e-15);
        if (q < 1.0) {
            CHECK_OK(rmtk_mp_quantile(&la, 0.5 * (1.0 - q), &x));
            CHECK(x == 0.0);
        }
        CHECK_OK(rmtk_mp_quantile(&la, 1.0 - q + q * 0.3, &x));
        CHECK_NEAR(rmtk_mp_cdf(x, &law), 0.3, 1e-13);
    }
    /* Golden: scipy adaptive quadrature of the density. */
    FILE *f = fopen(harness_data("mp_quad.txt"), "r");
    CHECK(f != NULL);
    if (f) {
        double N, M, v, x, F;
        int n = 0;
        while (fscanf(f, "%lf %lf %lf %lf %lf", &N, &M, &v, &x, &F) == 5) {
            rmtk_mp_law law = {v, N, M, RMTK_MP_EIGEN, 0};
            CHECK_NEAR(rmtk_mp_cdf(x, &law), F, 1e-12);
            n++;
        }
        fclose(f);
        CHECK(n == 28);
    }
    /* The CDF is an rmtk_cdf_fn: a KS statistic of MP quantiles against it is ~ 1/(2n). */
    rmtk_mp_law law = {1.0, 2000, 1000, RMTK_MP_EIGEN, 0};
    double xs[100], d;
    for (int i = 0; i < 100; i++)
        rmtk_mp_quantile(&law, (i + 0.5) / 100.0, &xs[i]);
    CHECK_OK(rmtk_ks_statistic(xs, 100, rmtk_mp_cdf, &law, &d));
    CHECK_NEAR(d, 0.005, 1e-12);
    /* Errors. */
    rmtk_mp_law bad = {0.0, 10, 10, RMTK_MP_EIGEN, 0};
    CHECK(isnan(rmtk_mp_pdf(1.0, &bad)) && isnan(rmtk_mp_cdf(1.0, &bad)));
    CHECK(isnan(rmtk_mp_cdf(1.0, NULL)));
    CHECK_STATUS(rmtk_mp_support(&bad, NULL, NULL, NULL), RMTK_ERR_ARG);
    bad.sigma2 = 1.0;
    bad.form = 7;
    CHECK_STATUS(rmtk_mp_support(&bad, NULL, NULL, NULL), RMTK_ERR_ARG);
    bad.form = RMTK_MP_EIGEN;
    bad.atom = 2;
    double x;
    CHECK_STATUS(rmtk_mp_quantile(&bad, 0.5, &x), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_quantile(&law, 1.5, &x), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_quantile(&law, 0.5, NULL), RMTK_ERR_ARG);
    bad.atom = 0;
    bad.rows = INFINITY;
    CHECK_STATUS(rmtk_mp_support(&bad, NULL, NULL, NULL), RMTK_ERR_ARG);
}

/* ---- BBP (methods.md T11) ---------------------------------------------------------------------- */

static void test_bbp(void)
{
    double c = 0.5, y, th;
    CHECK_NEAR(pow(c, 0.25), 0.8409, 5e-5);
    CHECK_OK(rmtk_bbp_top(2.0, c, &y));
    CHECK_NEAR(y, 2.3717, 5e-5);
    CHECK_OK(rmtk_bbp_top(0.5, c, &y));
    CHECK_NEAR(y, 1.7071, 5e-5);
    for (double t = 0.85; t < 20.0; t *= 1.37) {
        for (double cc = 0.1; cc <= 1.0; cc += 0.3) {
            if (t <= pow(cc, 0.25))
                continue;
            CHECK_OK(rmtk_bbp_top(t, cc, &y));
            CHECK_OK(rmtk_bbp_theta(y, cc, &th));
            CHECK_REL(th, t, 1e-10);
        }
    }
    CHECK_STATUS(rmtk_bbp_theta(1.7, c, &th), RMTK_ERR_NUMERIC);
    CHECK_STATUS(rmtk_bbp_theta(2.0, 1.5, &th), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_bbp_top(-1.0, c, &y), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_bbp_top(1.0, 0.0, NULL), RMTK_ERR_ARG);

    /* Simulation (T11): n = 600, m = 1200, entries of variance 1/m, theta = 2 and 0.5. The
     * outlier fluctuates by O(m^{-1/2}) (Gaussian), the edge value by O(m^{-2/3}) (TW): we
     * compare the replica mean with theory within 4 standard errors of that mean (estimated
     * from the replicas, floored at 0.005) plus the O(1/m) finite-size bias (0.003). */
    int R = harness_quick() ? 2 : 4;
    double t2 = 2.0, sum = 0, sum2 = 0, sumh = 0, sumh2 = 0;
    for (int r = 0; r < R; r++) {
        double *s = gauss_sv(600, 1200, 1.0 / 1200, 11, (uint64_t)r, &t2, 1);
        sum += s[0];
        sum2 += s[0] * s[0];
        double *e = gauss_sv(600, 1200, 1.0 / 1200, 12, (uint64_t)r, (const double[]){0.5}, 1);
        sumh += e[0];
        sumh2 += e[0] * e[0];
        CHECK_OK(rmtk_bbp_theta(s[0], c, &th));
        CHECK_NEAR(th, 2.0, 0.1);
        free(s);
        free(e);
    }
    double mean = sum / R, se = sqrt(fmax(sum2 / R - mean * mean, 0) / (R - 1));
    printf("BBP theta=2: simulated top %.4f (theory 2.3717, paper 2.3708), se %.4f\n", mean, se);
    CHECK_NEAR(mean, 2.3717, 4 * fmax(se, 0.005) + 0.003);
    double mh = sumh / R, seh = sqrt(fmax(sumh2 / R - mh * mh, 0) / (R - 1));
    printf("BBP theta=0.5: simulated top %.4f (edge 1.7071, paper 1.703), se %.4f\n", mh, seh);
    CHECK_NEAR(mh, 1.7071, 4 * fmax(seh, 0.005) + 0.003);
}

/* ---- fits ------------------------------------------------------------------------------------ */

static void test_fits(void)
{
    rmtk_mp_params p = rmtk_mp_params_default();
    int R = harness_quick() ? 1 : 2;
    for (int spiked = 0; spiked <= 1; spiked++) {
        for (int r = 0; r < R; r++) {
            double v = 0.37;
            double theta[3] = {3.0, 4.5, 7.0};
            double *s = gauss_sv(2000, 1000, v, 21 + (uint64_t)spiked, (uint64_t)r, theta,
                                 spiked ? 3 : 0);
            rmtk_mp_robust_fit rf;
            rmtk_mp_paper_fit pf;
            CHECK_OK(rmtk_mp_fit_robust(s, 1000, 2000, 1000, &p, &rf));
            CHECK_OK(rmtk_mp_fit_paper(s, 1000, 2000, 1000, &p, &pf));
            printf("spiked %d rep %d: robust %.5f (%lld excl) paper %.5f (nu_max %.4f, "
                   "a %.4g) true %.5f\n", spiked, r, rf.sigma2, (long long)rf.n_excluded,
                   pf.sigma2, pf.nu_max, pf.a, v);
            /* Issue 3 acceptance: sigma^2 within 1 % (the robust fit, both estimators). */
            CHECK_REL(rf.sigma2, v, 0.01);
            CHECK(rf.capped == 0);
            CHECK(rf.n_excluded == (spiked ? 3 : 0));
            double v_mean = rf.sigma2;
            p.estimator = RMTK_MP_EST_MEDIAN;
            CHECK_OK(rmtk_mp_fit_robust(s, 1000, 2000, 1000, &p, &rf));
            printf("   median estimator: %.5f\n", rf.sigma2);
            CHECK_REL(rf.sigma2, v, 0.01);
            p.estimator = RMTK_MP_EST_MEAN;
            /* The paper's fit is biased upwards by its construction (broadening with w = 15 and
             * the 70 % range leave nu_max weakly determined): +2.6 % to +5.2 % here, and the
             * scipy re-implementation of the authors' code shows the same on its own matrix
             * (test_paper_fit_golden: nu_max 47.364 vs the true edge 46.44, i.e. +4 % in
             * sigma^2). We assert the estimate is within 6 %: the acceptance's 1 % is met by the
             * robust fit only (documented in docs/methods/mp.md). */
            CHECK_REL(pf.sigma2, v, 0.06);
            p.broadening = RMTK_MP_BROADEN_REPLICATE;
            CHECK_OK(rmtk_mp_fit_paper(s, 1000, 2000, 1000, &p, &pf));
            printf("   replicate: paper %.5f\n", pf.sigma2);
            p.broadening = RMTK_MP_BROADEN_DROP;
            /* The per-matrix entry point. */
            rmtk_mp_result res;
            double sl[1000], st[1000], sp[1000];
            CHECK_OK(rmtk_mp_analyze(s, 1000, 2000, 1000, &p, &res, sl, st, sp, 1000));
            CHECK(res.n_spikes == (spiked ? 3 : 0));
            CHECK(res.sigma2 == v_mean);
            CHECK_REL(res.lambda_plus, res.sigma2 * pow(sqrt(2000) + sqrt(1000), 2), 1e-14);
            CHECK_REL(res.softrank, res.lambda_plus / (s[0] * s[0]), 1e-14);
            CHECK(res.paper_status == RMTK_OK);
            if (spiked) {
                /* BBP estimates of the planted strengths (largest first): the outlier's
                 * O(m^{-1/2}) fluctuation and the spikes' interaction give a few per cent. */
                for (int j = 0; j < 3; j++) {
                    printf("   spike %d: lambda %.2f theta %.4f (planted %.1f) p %.3g\n", j, sl[j],
                           st[j], theta[2 - j], sp[j]);
                    CHECK_REL(st[j], theta[2 - j], 0.05);
                    CHECK(sp[j] < 1e-10);
                }
                CHECK(res.softrank < 0.5);
            } else {
                CHECK(res.pvalue_top >= p.alpha);
                CHECK(res.softrank > 0.9);
            }
            free(s);
        }
    }
}

/* On pure noise the TW outlier test (with sigma^2 fitted from the same matrix) flags a matrix
 * with probability about alpha. */
static void test_tw_noise(void)
{
    rmtk_mp_params p = rmtk_mp_params_default();
    int R = harness_quick() ? 150 : 600, hits = 0;
    for (int r = 0; r < R; r++) {
        double *s = gauss_sv(200, 100, 1.0, 31, (uint64_t)r, NULL, 0);
        rmtk_mp_result res;
        CHECK_OK(rmtk_mp_analyze(s, 100, 200, 100, &p, &res, NULL, NULL, NULL, 0));
        hits += res.n_spikes > 0;
        free(s);
    }
    double frac = (double)hits / R, se = sqrt(p.alpha * (1 - p.alpha) / R);
    printf("TW noise: %d of %d matrices flagged (%.4f, alpha %.2f, binomial se %.4f)\n", hits, R,
           frac, p.alpha, se);
    /* Binomial: under an exact alpha-level test the count has sd sqrt(alpha (1-alpha) / R)
     * (0.0089 for R = 600); 3.5 sd gives a 5e-4 false-failure rate. With the known variance
     * (v = 1) the same matrices give 36 of 600; the mean estimator's plug-in gives 34. */
    CHECK_NEAR(frac, p.alpha, 3.5 * se);
}

/* Our paper fit against a scipy re-implementation of the authors' code (gen-mp.py) on the same
 * singular values: the least-squares optimum (a, nu_max) agrees to 1e-5 relative (both solve the
 * same problem; scipy's TRF stops at its tolerances on a shallow residual). */
static void test_paper_fit_golden(void)
{
    size_t n = 0;
    double *s = harness_read_f64(harness_data("mp_sv.bin"), &n);
    FILE *f = fopen(harness_data("mp_paper_fit.txt"), "r");
    CHECK(s != NULL && n == 1000 && f != NULL);
    if (!s || !f || n != 1000) {
        free(s);
        if (f)
            fclose(f);
        return;
    }
    char meth[32];
    double a, numax;
    int rows = 0;
    while (fscanf(f, "%31s %lf %lf", meth, &a, &numax) == 3) {
        rmtk_mp_params p = rmtk_mp_params_default();
        p.broadening = strcmp(meth, "drop") == 0 ? RMTK_MP_BROADEN_DROP
                                                 : RMTK_MP_BROADEN_REPLICATE;
        rmtk_mp_paper_fit pf;
        CHECK_OK(rmtk_mp_fit_paper(s, 1000, 2000, 1000, &p, &pf));
        printf("paper fit %s: nu_max %.6f (scipy %.6f) a %.6g (scipy %.6g)\n", meth, pf.nu_max,
               numax, pf.a, a);
        CHECK_REL(pf.nu_max, numax, 1e-5);
        CHECK_REL(pf.a, a, 1e-5);
        CHECK(pf.nu_min == s[999]);
        rows++;
    }
    CHECK(rows == 2);
    fclose(f);
    free(s);
}

static void test_errors(void)
{
    double s[10];
    for (int i = 0; i < 10; i++)
        s[i] = 10.0 - i;
    rmtk_mp_params p = rmtk_mp_params_default();
    rmtk_mp_robust_fit rf;
    rmtk_mp_paper_fit pf;
    rmtk_mp_result res;
    CHECK_STATUS(rmtk_mp_fit_robust(NULL, 10, 20, 10, &p, &rf), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_fit_robust(s, 9, 20, 10, &p, &rf), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 20, 10, NULL, &rf), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 20, 10, &p, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 0, 10, &p, &rf), RMTK_ERR_ARG);
    p.alpha = 1.0;
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 20, 10, &p, &rf), RMTK_ERR_ARG);
    p = rmtk_mp_params_default();
    p.estimator = 5;
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 20, 10, &p, &rf), RMTK_ERR_ARG);
    p = rmtk_mp_params_default();
    s[3] = NAN;
    CHECK_STATUS(rmtk_mp_fit_robust(s, 10, 20, 10, &p, &rf), RMTK_ERR_ARG);
    s[3] = -1.0;
    CHECK_STATUS(rmtk_mp_analyze(s, 10, 20, 10, &p, &res, NULL, NULL, NULL, 0), RMTK_ERR_ARG);
    s[3] = 7.0;
    double z[10] = {0};
    CHECK_STATUS(rmtk_mp_fit_robust(z, 10, 20, 10, &p, &rf), RMTK_ERR_NUMERIC);
    /* Too few values for the paper fit with w = 15 ('drop'): the entry point still succeeds. */
    CHECK_STATUS(rmtk_mp_fit_paper(s, 10, 20, 10, &p, &pf), RMTK_ERR_NUMERIC);
    CHECK_OK(rmtk_mp_analyze(s, 10, 20, 10, &p, &res, NULL, NULL, NULL, 0));
    CHECK(res.paper_status == RMTK_ERR_NUMERIC && isnan(res.paper.sigma2));
    double a1[1];
    CHECK_STATUS(rmtk_mp_analyze(s, 10, 20, 10, &p, &res, a1, NULL, a1, 1), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_analyze(s, 10, 20, 10, &p, NULL, NULL, NULL, NULL, 0), RMTK_ERR_ARG);
    double one = 1.0;
    CHECK_STATUS(rmtk_mp_analyze(&one, 1, 1, 1, &p, &res, NULL, NULL, NULL, 0),
                 RMTK_ERR_NUMERIC);
    double pv;
    CHECK_STATUS(rmtk_mp_outlier_pvalue(1.0, 0.0, 10, 10, NULL, &pv), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_mp_outlier_pvalue(1.0, 1.0, 10, 10, NULL, NULL), RMTK_ERR_ARG);
    /* Allocation failures are reported, nothing leaks (ASan run). */
    double *g = gauss_sv(200, 100, 1.0, 5, 0, NULL, 0);
    int st0 = rmtk_mp_fit_paper(g, 100, 200, 100, &p, &pf);
    for (uint64_t n = 1; n <= 6; n++) {
        rmtk_alloc_fail_after(n);
        int st = rmtk_mp_fit_paper(g, 100, 200, 100, &p, &pf);
        rmtk_alloc_fail_after(0);
        CHECK(n <= 5 ? st == RMTK_ERR_NOMEM : st == st0); /* 5 buffers */
        rmtk_alloc_fail_after(n);
        st = rmtk_mp_analyze(g, 100, 200, 100, &p, &res, NULL, NULL, NULL, 0);
        rmtk_alloc_fail_after(0);
        CHECK(st == RMTK_ERR_NOMEM || st == RMTK_OK);
    }
    free(g);
}

int main(void)
{
    RUN(test_airy);
    RUN(test_tracy_widom);
    RUN(test_mp_law);
    RUN(test_bbp);
    RUN(test_paper_fit_golden);
    RUN(test_fits);
    RUN(test_tw_noise);
    RUN(test_errors);
    return harness_done();
}
