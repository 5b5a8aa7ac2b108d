/*
 * test-denoise.c: module denoise (thresholds, shrinker, reconstruction) and the safetensors
 * writer. Oracles: Gavish-Donoho's closed forms (lambda*(1) = 4/sqrt 3, their polynomial
 * approximation of omega(beta)), the BBP map (the shrinker equals x c(x) c~(x) at y(x)), the
 * asymptotic losses of the papers on spiked matrices, direct matrix products, exhaustive
 * rounding checks, and the safetensors file read back by rmtk's own reader.
 */
#include "harness.h"

#include <unistd.h>

static void test_thresholds(void)
{
    double lam, om;
    CHECK_OK(rmtk_denoise_gd_lambda(1.0, &lam));
    CHECK_NEAR(lam, 4.0 / sqrt(3.0), 1e-15);
    CHECK_OK(rmtk_denoise_gd_omega(1.0, &om));
    CHECK_NEAR(om, 2.858, 0.0006); /* Gavish & Donoho 2014: omega(1) ~ 2.858 */
    /* the paper's polynomial approximation (their eq. (5)) agrees to about 0.02 */
    for (double beta = 0.05; beta <= 1.0001; beta += 0.05) {
        double b = beta > 1.0 ? 1.0 : beta;
        double approx = 0.56 * b * b * b - 0.95 * b * b + 1.82 * b + 1.43;
        CHECK_OK(rmtk_denoise_gd_omega(b, &om));
        CHECK_NEAR(om, approx, 0.02);
    }
    CHECK_STATUS(rmtk_denoise_gd_omega(0.0, &om), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_denoise_gd_lambda(1.5, &lam), RMTK_ERR_ARG);
}

/* BBP map and cosines in noise units (Gavish & Donoho 2017, Lemma 1; Benaych-Georges & Nadakuditi
 * 2012): y(x) = sqrt((x + 1/x)(x + beta/x)), c^2 = (x^4 - beta)/(x^4 + beta x^2), c~^2 = (x^4 -
 * beta)/(x^4 + x^2), for x > beta^{1/4}. */
static double bbp_y(double x, double beta)
{
    return sqrt((x + 1.0 / x) * (x + beta / x));
}
static double cos_prod(double x, double beta)
{
    double x4 = x * x * x * x;
    if (x4 <= beta)
        return 0.0;
    return sqrt((x4 - beta) / (x4 + beta * x * x)) * sqrt((x4 - beta) / (x4 + x * x));
}

static void test_shrinker(void)
{
    double betas[] = {0.1, 0.5, 1.0};
    for (size_t b = 0; b < 3; b++) {
        double beta = betas[b];
        for (double x = pow(beta, 0.25) + 0.05; x < 10.0; x += 0.37)
            CHECK_REL(rmtk_denoise_shrink_frobenius(bbp_y(x, beta), beta),
                      x * cos_prod(x, beta), 1e-12);
        CHECK(rmtk_denoise_shrink_frobenius(1.0 + sqrt(beta) - 1e-9, beta) == 0.0);
        CHECK(rmtk_denoise_shrink_frobenius(0.3, beta) == 0.0);
    }
}

/* Orthonormal columns q[0..r) of length n (Gram-Schmidt on Gaussians), column j at q + j n. */
static void orthonormal(double *q, size_t n, size_t r, uint64_t seed)
{
    rmtk_rng_fill_normal(seed, 7, 0, q, n * r);
    for (size_t j = 0; j < r; j++) {
        double *c = q + j * n;
        for (size_t i = 0; i < j; i++) {
            double d = 0.0;
            for (size_t t = 0; t < n; t++)
                d += c[t] * q[i * n + t];
            for (size_t t = 0; t < n; t++)
                c[t] -= d * q[i * n + t];
        }
        double nn = 0.0;
        for (size_t t = 0; t < n; t++)
            nn += c[t] * c[t];
        for (size_t t = 0; t < n; t++)
            c[t] /= sqrt(nn);
    }
}

/* X = sum theta_i u_i v_i^T + sigma G / sqrt(n), N = 300 x M = 600 (beta = 1/2, n = 600),
 * spikes theta / sigma = 4, 2.5, 1.7 above the BBP point beta^{1/4} = 0.84 and 0.5 below it.
 * Asymptotic squared Frobenius losses per spike (sigma^2 units): the shrinker x^2 (1 - c^2 c~^2)
 * above BBP, x^2 below (Gavish & Donoho 2017, eq. (9)); the hard threshold x^2 + y^2 - 2 x y c c~
 * when y(x) > lambda*(beta), x^2 otherwise (Gavish & Donoho 2014, Sec. III). Averaged over
 * replicas, ||X^ - S||_F^2 must match within a few percent. */
static void test_spiked(void)
{
    const int64_t N = 300, M = 600;
    const double n = 600.0, beta = 0.5, sigma = 0.7;
    const double x[] = {4.0, 2.5, 1.7, 0.5};
    const size_t r = 4, k = 300;
    int reps = harness_quick() ? 2 : 4;
    double *u = malloc(N * r * sizeof *u), *v = malloc(M * r * sizeof *v);
    double *S = malloc(N * M * sizeof *S), *X = malloc(N * M * sizeof *X);
    double *Xh = malloc(N * M * sizeof *Xh);
    double *sv = malloc(k * sizeof *sv), *eta = malloc(k * sizeof *eta);
    double *U = malloc(N * k * sizeof *U), *V = malloc(M * k * sizeof *V);
    rmtk_spectrum_params sp = rmtk_spectrum_params_default();
    sp.vectors = 1;
    rmtk_spectrum_plan *plan = NULL;
    CHECK_OK(rmtk_spectrum_plan_alloc(N, M, &sp, &plan));
    double lam;
    rmtk_denoise_gd_lambda(beta, &lam);
    double th_shrink = 0.0, th_hard = 0.0;
    for (size_t i = 0; i < r; i++) {
        double cc = cos_prod(x[i], beta), y = bbp_y(x[i], beta);
        th_shrink += x[i] * x[i] * (1.0 - cc * cc);
        th_hard += (cc > 0.0 && y > lam) ? x[i] * x[i] + y * y - 2.0 * x[i] * y * cc
                                         : x[i] * x[i];
    }
    th_shrink *= sigma * sigma;
    th_hard *= sigma * sigma;
    double loss_shrink = 0.0, loss_hard = 0.0, loss_mp = 0.0, loss_raw = 0.0;
    for (int rep = 0; rep < reps; rep++) {
        orthonormal(u, (size_t)N, r, 100 + (uint64_t)rep);
        orthonormal(v, (size_t)M, r, 200 + (uint64_t)rep);
        rmtk_rng_fill_normal(300 + (uint64_t)rep, 1, 0, X, (size_t)(N * M));
        for (int64_t i = 0; i < N; i++)
            for (int64_t j = 0; j < M; j++) {
                double s = 0.0;
                for (size_t l = 0; l < r; l++)
                    s += x[l] * sigma * u[l * N + i] * v[l * M + j];
                S[i * M + j] = s;
                X[i * M + j] = s + sigma * X[i * M + j] / sqrt(n);
            }
        rmtk_matrix_view view = {X, N, M, M, 1, RMTK_DTYPE_F64, 0, 0, 0};
        CHECK_OK(rmtk_spectrum_execute(plan, view, sv, U, V, NULL));
        for (int m = 0; m < 3; m++) {
            rmtk_denoise_params p = rmtk_denoise_params_default();
            p.method = m == 0 ? RMTK_DENOISE_SHRINK
                              : m == 1 ? RMTK_DENOISE_GAVISH_DONOHO : RMTK_DENOISE_MP_EDGE;
            rmtk_denoise_result res;
            CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
            CHECK(res.kept == 3); /* the spike below the BBP point is dropped */
            if (m < 2)
                CHECK_REL(res.noise * sqrt(n), sigma, 0.02);
            CHECK_OK(rmtk_denoise_reconstruct(eta, k, U, V, N, M, Xh));
            double e = 0.0, e0 = 0.0;
            for (int64_t t = 0; t < N * M; t++) {
                e += (Xh[t] - S[t]) * (Xh[t] - S[t]);
                e0 += (X[t] - S[t]) * (X[t] - S[t]);
            }
            if (m == 0)
                loss_shrink += e / reps;
            else if (m == 1)
                loss_hard += e / reps;
            else
                loss_mp += e / reps;
            if (m == 0)
                loss_raw += e0 / reps;
        }
    }
    printf("spiked: ||X-S||^2 %.4f; shrink %.4f (theory %.4f); hard %.4f (theory %.4f); "
           "mp-edge %.4f\n",
           loss_raw, loss_shrink, th_shrink, loss_hard, th_hard, loss_mp);
    CHECK(loss_shrink < loss_raw);
    CHECK(loss_hard < loss_raw);
    CHECK(loss_shrink < loss_hard); /* the shrinker is optimal, hard thresholding is not */
    CHECK_REL(sqrt(loss_shrink), sqrt(th_shrink), 0.05);
    CHECK_REL(sqrt(loss_hard), sqrt(th_hard), 0.05);
    CHECK_REL(loss_mp, loss_hard, 0.05); /* same kept set, same unshrunk values */

    /* mp-edge keeps exactly the robust MP fit's exclusions: its cut is the (1 - alpha) TW_1
     * quantile of the fit's deflated (n - j) x (m - j) bulk (Johnstone's mu, sigma there) */
    {
        rmtk_denoise_params p = rmtk_denoise_params_default();
        p.method = RMTK_DENOISE_MP_EDGE;
        rmtk_denoise_result res;
        CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
        rmtk_mp_params mpp = rmtk_mp_params_default();
        mpp.alpha = p.alpha;
        rmtk_mp_robust_fit fit;
        CHECK_OK(rmtk_mp_fit_robust(sv, k, N, M, &mpp, &fit));
        CHECK(res.kept == fit.n_excluded);
        double mu_j, sig_j, q;
        double nj = n - (double)fit.n_excluded, mj = (double)k - (double)fit.n_excluded;
        CHECK_OK(rmtk_tw_johnstone(nj, mj, &mu_j, &sig_j));
        CHECK_OK(rmtk_tw_quantile(1, 0.95, &q));
        CHECK_REL(res.threshold, sqrt(fit.sigma2 * (mu_j + sig_j * q)), 1e-12);
        CHECK_REL(res.noise, sqrt(fit.sigma2), 1e-15);
        /* gavish-donoho with the fit's noise level as a known one: lambda*(beta) sqrt(n) s */
        p.method = RMTK_DENOISE_GAVISH_DONOHO;
        p.noise_from = RMTK_DENOISE_NOISE_MP;
        CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
        CHECK_REL(res.threshold, lam * sqrt(n) * sqrt(fit.sigma2), 1e-12);
        CHECK(res.kept == 3);
        p.noise = 0.7 / sqrt(n); /* a given level wins over noise_from */
        CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
        CHECK_REL(res.threshold, lam * 0.7, 1e-12);
        p.noise = 0.0;
        p.noise_from = 7;
        CHECK_STATUS(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res), RMTK_ERR_ARG);
    }

    /* reconstruction and factors against direct products: keep every value of the last X */
    for (size_t i = 0; i < k; i++)
        eta[i] = sv[i];
    CHECK_OK(rmtk_denoise_reconstruct(eta, k, U, V, N, M, Xh));
    double md = 0.0;
    for (int64_t t = 0; t < N * M; t++)
        md = fmax(md, fabs(Xh[t] - X[t]));
    CHECK(md < 1e-12);
    rmtk_denoise_params p = rmtk_denoise_params_default();
    p.method = RMTK_DENOISE_RANK;
    p.rank = 5;
    rmtk_denoise_result res;
    CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
    CHECK(res.kept == 5);
    double *A = malloc(N * k * sizeof *A), *B = malloc(k * M * sizeof *B);
    size_t rr = 0;
    CHECK_OK(rmtk_denoise_factors(eta, k, U, V, N, M, A, B, &rr));
    CHECK(rr == 5);
    CHECK_OK(rmtk_denoise_reconstruct(eta, k, U, V, N, M, Xh));
    md = 0.0;
    double dn = 0.0, xn = 0.0;
    for (int64_t i = 0; i < N; i++)
        for (int64_t j = 0; j < M; j++) {
            double s = 0.0;
            for (size_t l = 0; l < rr; l++)
                s += A[i * (int64_t)rr + (int64_t)l] * B[l * (size_t)M + (size_t)j];
            md = fmax(md, fabs(s - Xh[i * M + j]));
            dn += (Xh[i * M + j] - X[i * M + j]) * (Xh[i * M + j] - X[i * M + j]);
            xn += X[i * M + j] * X[i * M + j];
        }
    CHECK(md < 1e-12);
    CHECK_REL(res.rel_change, sqrt(dn / xn), 1e-9); /* the spectral formula */
    p.method = RMTK_DENOISE_ENERGY;
    p.energy = 0.5;
    CHECK_OK(rmtk_denoise_threshold(sv, k, N, M, &p, eta, &res));
    double tot = 0.0, acc = 0.0;
    for (size_t i = 0; i < k; i++)
        tot += sv[i] * sv[i];
    for (int64_t i = 0; i < res.kept; i++)
        acc += sv[i] * sv[i];
    CHECK(acc >= 0.5 * tot && acc - sv[res.kept - 1] * sv[res.kept - 1] < 0.5 * tot);
    /* errors: ascending values, a zero matrix */
    double bad[3] = {1.0, 2.0, 3.0}, zero[3] = {0, 0, 0}, e3[3];
    CHECK_STATUS(rmtk_denoise_threshold(bad, 3, 3, 5, &p, e3, &res), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_denoise_threshold(zero, 3, 3, 5, &p, e3, &res), RMTK_ERR_NUMERIC);
    CHECK_STATUS(rmtk_denoise_threshold(sv, k, N + 1, M, &p, eta, &res), RMTK_ERR_ARG);
    /* too few values for a noise estimate (min_values), but rank/energy still apply */
    rmtk_denoise_params q = rmtk_denoise_params_default();
    CHECK(q.min_values == RMTK_ANALYSIS_MIN_LEVELS);
    CHECK_STATUS(rmtk_denoise_threshold(sv, 10, 10, M, &q, eta, &res), RMTK_ERR_NUMERIC);
    q.min_values = 10;
    CHECK_OK(rmtk_denoise_threshold(sv, 10, 10, M, &q, eta, &res));
    q.method = RMTK_DENOISE_RANK;
    q.min_values = 50;
    q.rank = 3;
    CHECK_OK(rmtk_denoise_threshold(sv, 10, 10, M, &q, eta, &res));
    CHECK(res.kept == 3);
    free(A);
    free(B);
    rmtk_spectrum_plan_free(plan);
    free(u);
    free(v);
    free(S);
    free(X);
    free(Xh);
    free(sv);
    free(eta);
    free(U);
    free(V);
}

static uint16_t f16_bits(double x, int dtype)
{
    unsigned char b[2];
    rmtk_dtype_from_double(dtype, &x, 1, b);
    return (uint16_t)(b[0] | (b[1] << 8));
}

static void test_rounding(void)
{
    /* binary16: ties to even, overflow, subnormals */
    CHECK(f16_bits(1.0, RMTK_DTYPE_F16) == 0x3C00);
    CHECK(f16_bits(1.0 + ldexp(1, -11), RMTK_DTYPE_F16) == 0x3C00);
    CHECK(f16_bits(1.0 + 3 * ldexp(1, -11), RMTK_DTYPE_F16) == 0x3C02);
    CHECK(f16_bits(65504.0, RMTK_DTYPE_F16) == 0x7BFF);
    CHECK(f16_bits(65519.0, RMTK_DTYPE_F16) == 0x7BFF);
    CHECK(f16_bits(65520.0, RMTK_DTYPE_F16) == 0x7C00);
    CHECK(f16_bits(-ldexp(1, -24), RMTK_DTYPE_F16) == 0x8001);
    CHECK(f16_bits(ldexp(1, -25), RMTK_DTYPE_F16) == 0x0000);
    CHECK(f16_bits(3 * ldexp(1, -25), RMTK_DTYPE_F16) == 0x0002);
    CHECK(f16_bits(ldexp(1, -14) - ldexp(1, -25), RMTK_DTYPE_F16) == 0x0400);
    CHECK((f16_bits(NAN, RMTK_DTYPE_F16) & 0x7C00) == 0x7C00);
    /* bfloat16 */
    CHECK(f16_bits(1.0 + ldexp(1, -8), RMTK_DTYPE_BF16) == 0x3F80);
    CHECK(f16_bits(1.0 + 3 * ldexp(1, -8), RMTK_DTYPE_BF16) == 0x3F82);
    CHECK(f16_bits(-2.0, RMTK_DTYPE_BF16) == 0xC000);
    /* every binary16 / bfloat16 value round-trips, and random doubles go to a nearest value */
    int bad = 0;
    for (int dt = RMTK_DTYPE_F16; dt <= RMTK_DTYPE_BF16; dt++) {
        for (uint32_t h = 0; h < 0x10000; h++) {
            unsigned char b[2] = {(unsigned char)(h & 0xff), (unsigned char)(h >> 8)};
            double d;
            rmtk_dtype_to_double(dt, 0, b, 1, &d);
            if (isnan(d))
                continue;
            if (f16_bits(d, dt) != h)
                bad++;
        }
        rmtk_rng g;
        rmtk_rng_init(&g, 5, (uint64_t)dt);
        for (int t = 0; t < 20000; t++) {
            double x = rmtk_rng_normal(&g) * ldexp(1.0, (int)rmtk_rng_below(&g, 40) - 20);
            uint16_t h = f16_bits(x, dt);
            unsigned char b[2], b1[2], b2[2];
            b[0] = (unsigned char)(h & 0xff), b[1] = (unsigned char)(h >> 8);
            uint16_t hu = (uint16_t)(h + 1), hd = (uint16_t)(h - 1);
            b1[0] = (unsigned char)(hu & 0xff), b1[1] = (unsigned char)(hu >> 8);
            b2[0] = (unsigned char)(hd & 0xff), b2[1] = (unsigned char)(hd >> 8);
            double d, du, dd;
            rmtk_dtype_to_double(dt, 0, b, 1, &d);
            rmtk_dtype_to_double(dt, 0, b1, 1, &du);
            rmtk_dtype_to_double(dt, 0, b2, 1, &dd);
            if (isinf(d))
                continue;
            if (fabs(x - d) > fabs(x - du) || ((h & 0x7fff) && fabs(x - d) > fabs(x - dd)))
                bad++;
        }
    }
    CHECK(bad == 0);
}

static void test_writer(void)
{
    char path[4096];
    snprintf(path, sizeof path, "/tmp/rmtk-test-denoise-%ld.safetensors", (long)getpid());
    rmtk_safetensors_writer *w = NULL;
    CHECK_OK(rmtk_safetensors_writer_alloc(path, &w));
    int64_t s1[2] = {3, 5}, s2[1] = {7}, s3[3] = {2, 1, 3};
    size_t i1, i2, i3, i4;
    CHECK_OK(rmtk_safetensors_writer_add(w, "b.weight", RMTK_DTYPE_F32, 2, s1, &i1));
    CHECK_OK(rmtk_safetensors_writer_add(w, "a.bias", RMTK_DTYPE_BF16, 1, s2, &i2));
    CHECK_OK(rmtk_safetensors_writer_add(w, "c \"q\"", RMTK_DTYPE_F64, 3, s3, &i3));
    CHECK_OK(rmtk_safetensors_writer_add(w, "scalar", RMTK_DTYPE_I8, 0, NULL, &i4));
    CHECK_STATUS(rmtk_safetensors_writer_add(w, "a.bias", RMTK_DTYPE_F32, 1, s2, NULL),
                 RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_safetensors_writer_add(w, "q", RMTK_DTYPE_Q4_0, 1, s2, NULL),
                 RMTK_ERR_UNSUPPORTED);
    CHECK_OK(rmtk_safetensors_writer_metadata(w, "zeta", "1"));
    CHECK_OK(rmtk_safetensors_writer_metadata(w, "alpha", "line\nbreak"));
    CHECK_OK(rmtk_safetensors_writer_begin(w));
    double x[15];
    for (int i = 0; i < 15; i++)
        x[i] = i * 0.25 - 1.0;
    CHECK_OK(rmtk_safetensors_writer_put_f64(w, i1, 5, x + 5, 10)); /* out of order, in pieces */
    CHECK_OK(rmtk_safetensors_writer_put_f64(w, i1, 0, x, 5));
    CHECK_OK(rmtk_safetensors_writer_put_f64(w, i2, 0, x, 7));
    signed char c = -3;
    CHECK_OK(rmtk_safetensors_writer_put(w, i4, 0, &c, 1));
    CHECK_STATUS(rmtk_safetensors_writer_put(w, i4, 0, &c, 2), RMTK_ERR_RANGE);
    CHECK_STATUS(rmtk_safetensors_writer_commit(w), RMTK_ERR_ARG); /* c "q" is missing */
    CHECK(access(path, F_OK) != 0);
    CHECK_OK(rmtk_safetensors_writer_put_f64(w, i3, 0, x, 6));
    CHECK_OK(rmtk_safetensors_writer_commit(w));
    rmtk_safetensors_writer_free(w);

    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(path, &m));
    if (m) {
        CHECK(rmtk_model_tensor_count(m) == 4);
        size_t t;
        rmtk_tensor_info info;
        double y[15];
        CHECK_OK(rmtk_model_find(m, "b.weight", &t));
        CHECK_OK(rmtk_model_tensor_info(m, t, &info));
        CHECK(info.dtype == RMTK_DTYPE_F32 && info.ndim == 2 && info.shape[1] == 5);
        CHECK_OK(rmtk_model_read_f64(m, t, y, 15));
        CHECK(memcmp(x, y, sizeof x) == 0);
        CHECK_OK(rmtk_model_find(m, "c \"q\"", &t));
        CHECK_OK(rmtk_model_tensor_info(m, t, &info));
        CHECK(info.dtype == RMTK_DTYPE_F64 && info.ndim == 3 && info.offset % 8 == 0);
        CHECK_OK(rmtk_model_find(m, "a.bias", &t));
        CHECK_OK(rmtk_model_read_f64(m, t, y, 7));
        CHECK(memcmp(x, y, 7 * sizeof *x) == 0); /* quarters are exact in bfloat16 */
        CHECK(rmtk_model_metadata_count(m) == 2);
        const char *k0, *v0;
        CHECK_OK(rmtk_model_metadata(m, 0, &k0, &v0));
        CHECK(k0 && v0 && (strcmp(v0, "line\nbreak") == 0 || strcmp(v0, "1") == 0));
    }
    rmtk_model_close(m);
    unlink(path);
}

int main(void)
{
    RUN(test_thresholds);
    RUN(test_shrinker);
    RUN(test_spiked);
    RUN(test_rounding);
    RUN(test_writer);
    return harness_done();
}
