/*
 * test-spectrum.c: the spectrum engine against numpy's float64 SVD of matrices written by
 * numpy/torch (F64, F32, F16, BF16; C and Fortran order; tall, wide, square, 1 x N, N x 1,
 * rank-deficient, graded), the Gram route against the dgesdd route, the accuracy contract and its
 * error bound, singular vectors (reconstruction, orthonormality, agreement with numpy up to sign),
 * strided views, non-finite input and plan limits.
 */
#include "harness.h"
#include "matrix-util.h"
#include "spectrum-internal.h"

#include <cblas.h>
#include <float.h>
#include <lapacke.h>

typedef struct {
    char name[64], dtype[16], order[4];
    int64_t rows, cols;
} spec_case;

static rmtk_matrix_view make_view(const void *data, const spec_case *c)
{
    rmtk_matrix_view v = {data, c->rows, c->cols, c->cols, 1, dtype_of(c->dtype), 0, 0, 0};
    if (c->order[0] == 'F') {
        v.row_stride = 1;
        v.col_stride = c->rows;
    }
    return v;
}

/* Every case, every method: singular values to 1e-10 relative for sigma >= 1e-6 sigma_max on
 * AUTO and SVD (below that, numpy's own values are rounding noise); on forced GRAM every value
 * within the documented bound; vectors against numpy up to sign. */
static void test_against_numpy(void)
{
    FILE *f = fopen(harness_data("spectrum_cases.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    spec_case c;
    int ncases = 0;
    while (fscanf(f, "%63s %15s %lld %lld %3s", c.name, c.dtype, (long long *)&c.rows,
                  (long long *)&c.cols, c.order) == 5) {
        ncases++;
        char fn[128];
        size_t len, nsv, nu, nv;
        snprintf(fn, sizeof fn, "spec_%s.bin", c.name);
        void *raw = read_file(fn, &len);
        snprintf(fn, sizeof fn, "spec_%s.sv", c.name);
        double *ref = harness_read_f64(harness_data(fn), &nsv);
        snprintf(fn, sizeof fn, "spec_%s.u", c.name);
        double *refu = harness_read_f64(harness_data(fn), &nu);
        snprintf(fn, sizeof fn, "spec_%s.v", c.name);
        double *refv = harness_read_f64(harness_data(fn), &nv);
        CHECK(raw && ref && refu && refv);
        if (!raw || !ref || !refu || !refv)
            continue;
        int64_t k = c.rows < c.cols ? c.rows : c.cols;
        CHECK((int64_t)nsv == k);
        double *sv = malloc(sizeof(double) * (size_t)k);
        for (int method = RMTK_SPECTRUM_AUTO; method <= RMTK_SPECTRUM_SVD; method++) {
            rmtk_spectrum_params p = rmtk_spectrum_params_default();
            p.method = method;
            rmtk_spectrum_plan *plan;
            CHECK_OK(rmtk_spectrum_plan_alloc(c.rows, c.cols, &p, &plan));
            rmtk_spectrum_info info;
            CHECK_OK(rmtk_spectrum_execute(plan, make_view(raw, &c), sv, NULL, NULL, &info));
            CHECK(info.k == k);
            int bad = 0;
            for (int64_t i = 0; i < k; i++) {
                double err = fabs(sv[i] - ref[i]);
                if (method == RMTK_SPECTRUM_GRAM) {
                    /* The documented bound on lambda = sigma^2 holds on every value. */
                    if (fabs(sv[i] * sv[i] - ref[i] * ref[i]) > info.err_bound + 1e-300)
                        bad++;
                } else if (ref[i] >= 1e-6 * ref[0] && err > 1e-10 * ref[i]) {
                    bad++;
                }
            }
            if (bad)
                fprintf(stderr, "  case %s method %d (used %d): %d values off\n", c.name, method,
                        info.method, bad);
            CHECK(bad == 0);
            rmtk_spectrum_plan_free(plan);
        }
        /* Vectors. */
        rmtk_spectrum_params p = rmtk_spectrum_params_default();
        p.vectors = 1;
        rmtk_spectrum_plan *plan;
        CHECK_OK(rmtk_spectrum_plan_alloc(c.rows, c.cols, &p, &plan));
        double *u = malloc(sizeof(double) * (size_t)(c.rows * k));
        double *v = malloc(sizeof(double) * (size_t)(c.cols * k));
        CHECK_OK(rmtk_spectrum_execute(plan, make_view(raw, &c), sv, u, v, NULL));
        double maxdiff = 0, maxorth = 0;
        for (int64_t j = 0; j < k; j++) {
            if (ref[j] < 1e-6 * ref[0])
                break;
            /* Compare vectors up to sign where the singular value is well separated. */
            bool separated = (j == 0 || ref[j - 1] - ref[j] > 1e-6 * ref[0]) &&
                             (j == k - 1 || ref[j] - ref[j + 1] > 1e-6 * ref[0]);
            double dotu = 0, dotv = 0, nu2 = 0;
            for (int64_t i = 0; i < c.rows; i++) {
                dotu += u[j * c.rows + i] * refu[j * c.rows + i];
                nu2 += u[j * c.rows + i] * u[j * c.rows + i];
            }
            for (int64_t i = 0; i < c.cols; i++)
                dotv += v[j * c.cols + i] * refv[j * c.cols + i];
            if (separated)
                maxdiff = fmax(maxdiff, fmax(1 - fabs(dotu), 1 - fabs(dotv)));
            maxorth = fmax(maxorth, fabs(nu2 - 1));
            /* The pair (u, v) has consistent signs: u^T W v = sigma (checked through numpy's
             * pair: sign(dotu) == sign(dotv)). */
            if (separated)
                CHECK((dotu > 0) == (dotv > 0));
        }
        CHECK(maxdiff < 1e-8);
        CHECK(maxorth < 1e-12);
        rmtk_spectrum_plan_free(plan);
        free(u);
        free(v);
        free(sv);
        free(raw);
        free(ref);
        free(refu);
        free(refv);
    }
    CHECK(ncases == 13);
    fclose(f);
}

static void fill_gauss(double *a, size_t n, uint64_t seed)
{
    rmtk_rng_fill_normal(seed, 0, 0, a, n);
}

/* Values of v by one method (fresh plan sized for it). */
static void values_by(rmtk_matrix_view v, int method, double dtype_eps, double *sv,
                      rmtk_spectrum_info *info)
{
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    p.method = method;
    p.dtype_eps = dtype_eps;
    rmtk_spectrum_plan *plan;
    CHECK_OK(rmtk_spectrum_plan_alloc(v.rows, v.cols, &p, &plan));
    CHECK_OK(rmtk_spectrum_execute(plan, v, sv, NULL, NULL, info));
    rmtk_spectrum_plan_free(plan);
}

/* The numerical rank of the analysis (rmtk__rank_tol's formula). */
static int64_t rank_of(const double *sv, int64_t k, int64_t rows, int64_t cols, double eps)
{
    double fro2 = 0;
    for (int64_t i = 0; i < k; i++)
        fro2 += sv[i] * sv[i];
    double n = (double)rows, m = (double)cols;
    double tol = sv[0] * fmax(n, m) * DBL_EPSILON +
                 eps / sqrt(3.0) * sqrt(fro2 / (n * m)) * (sqrt(n) + sqrt(m));
    int64_t r = 0;
    while (r < k && sv[r] > tol)
        r++;
    return r;
}

/* The accuracy contract of AUTO (docs/methods/spectrum.md): Gram for well-conditioned matrices,
 * squares included, with every value within its bound b_i = err_bound / sigma_i of dgesdd's and
 * the measured constant far below the bound's; dgesdd (tall) for ill-conditioned and F64/F32
 * rank-deficient ones; Gram for a BF16 rank-deficient one, whose rank tolerance is far above
 * Gram's noise floor, with the same rank. */
static void test_guard(void)
{
    enum { R = 400, C = 100, S = 150 };
    double *a = malloc(sizeof(double) * R * C), sv[S], sv2[S];
    double worst_c = 0; /* max |lambda^ - lambda| / ((m + n) eps lambda_1) over the cases */
    fill_gauss(a, R * C, 1);
    rmtk_matrix_view v = {a, R, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_spectrum_plan *auto_plan, *svd_plan;
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    CHECK(p.gram_rtol == 1e-3 && p.dtype_eps == 0);
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &auto_plan));
    p.method = RMTK_SPECTRUM_SVD;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &svd_plan));
    rmtk_spectrum_info info, info2;
    CHECK_OK(rmtk_spectrum_execute(auto_plan, v, sv, NULL, NULL, &info));
    CHECK(info.method == RMTK_SPECTRUM_GRAM && info.fallback == 0);
    CHECK_OK(rmtk_spectrum_execute(svd_plan, v, sv2, NULL, NULL, &info2));
    CHECK(info2.method == RMTK_SPECTRUM_SVD);
    for (int i = 0; i < C; i++) {
        CHECK(fabs(sv[i] - sv2[i]) <= info.err_bound / sv[i]);
        worst_c = fmax(worst_c, fabs(sv[i] * sv[i] - sv2[i] * sv2[i]) / info.err_bound);
    }
    /* Square Gaussian: now the Gram route (the hard edge sigma_min ~ 1/sqrt(n) is still far
     * above the bound), every value within its bound and to 1e-3 relative. */
    for (int dt = 0; dt < 2; dt++) {
        fill_gauss(a, S * S, 2);
        float *af = malloc(sizeof(float) * S * S);
        for (int i = 0; i < S * S; i++)
            af[i] = (float)a[i];
        if (dt)
            for (int i = 0; i < S * S; i++)
                a[i] = af[i];
        rmtk_matrix_view sq = {dt ? (const void *)af : (const void *)a, S, S, S, 1,
                               dt ? RMTK_DTYPE_F32 : RMTK_DTYPE_F64, 0, 0, 0};
        values_by(sq, RMTK_SPECTRUM_AUTO, 0, sv, &info);
        CHECK(info.method == RMTK_SPECTRUM_GRAM && info.fallback == 0);
        values_by(sq, RMTK_SPECTRUM_SVD, 0, sv2, &info2);
        for (int i = 0; i < S; i++) {
            CHECK(fabs(sv[i] - sv2[i]) <= info.err_bound / sv[i]);
            CHECK(fabs(sv[i] - sv2[i]) <= 1e-3 * sv2[i]);
            worst_c = fmax(worst_c, fabs(sv[i] * sv[i] - sv2[i] * sv2[i]) / info.err_bound);
        }
        CHECK(rank_of(sv, S, S, S, dt ? 0x1p-23 : 0x1p-52) == S);
        free(af);
    }
    /* Tall, a column scaled by 1e-6: sigma_min ~ 2e-5, its Gram bound 5e-6 is 25 % of it (and
     * was measured 1e-1 of it): the contract rejects Gram; dgesdd runs on the tall A. */
    fill_gauss(a, R * C, 4);
    for (int i = 0; i < R; i++)
        a[(size_t)i * C + 7] *= 1e-6;
    CHECK_OK(rmtk_spectrum_execute(auto_plan, v, sv, NULL, NULL, &info));
    CHECK(info.method == RMTK_SPECTRUM_SVD && info.fallback == 1);
    CHECK_OK(rmtk_spectrum_execute(svd_plan, v, sv2, NULL, NULL, &info));
    for (int i = 0; i < C; i++)
        CHECK(sv[i] == sv2[i]);
    /* The same matrix stored column-major (A = W, tall, no transposition): bitwise the same
     * dgesdd call as after the in-place transposition of the row-major (wide) A = W^T. */
    double *f = malloc(sizeof(double) * R * C);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            f[(size_t)j * R + i] = a[(size_t)i * C + j];
    rmtk_matrix_view fv = {f, R, C, 1, R, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_spectrum_execute(svd_plan, fv, sv, NULL, NULL, &info));
    for (int i = 0; i < C; i++)
        CHECK(sv[i] == sv2[i]);
    /* and its wide transpose (row-major C x R: A = W^T = the tall matrix, no transposition) */
    rmtk_matrix_view wv = {f, C, R, R, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_spectrum_execute(svd_plan, wv, sv, NULL, NULL, &info));
    for (int i = 0; i < C; i++)
        CHECK(sv[i] == sv2[i]);
    free(f);
    /* Rank-deficient: W = G1 G2 (R x 30 times 30 x C), stored F64, F32 and BF16. F64/F32: the
     * values below the rank are Gram noise ~ sqrt(delta) above tol, so dgesdd runs and the rank
     * is 30; BF16: tol (eps 2^-7) is far above Gram's floor, Gram is kept, rank 30 as dgesdd. */
    {
        enum { K = 30 };
        double *g1 = malloc(sizeof(double) * R * K), *g2 = malloc(sizeof(double) * K * C);
        fill_gauss(g1, R * K, 5);
        fill_gauss(g2, K * C, 6);
        for (int i = 0; i < R; i++)
            for (int j = 0; j < C; j++) {
                double x = 0;
                for (int l = 0; l < K; l++)
                    x += g1[(size_t)i * K + l] * g2[(size_t)l * C + j];
                a[(size_t)i * C + j] = x;
            }
        float *af = malloc(sizeof(float) * R * C);
        uint16_t *ab = malloc(sizeof(uint16_t) * R * C);
        for (int i = 0; i < R * C; i++) {
            af[i] = (float)a[i];
            uint32_t u;
            memcpy(&u, &af[i], 4);
            ab[i] = (uint16_t)((u + 0x7fff + ((u >> 16) & 1)) >> 16); /* round to nearest even */
        }
        const void *data[3] = {a, af, ab};
        int dts[3] = {RMTK_DTYPE_F64, RMTK_DTYPE_F32, RMTK_DTYPE_BF16};
        double eps[3] = {0x1p-52, 0x1p-23, 0x1p-7};
        for (int t = 0; t < 3; t++) {
            rmtk_matrix_view rv = {data[t], R, C, C, 1, dts[t], 0, 0, 0};
            values_by(rv, RMTK_SPECTRUM_AUTO, 0, sv, &info);
            values_by(rv, RMTK_SPECTRUM_SVD, 0, sv2, &info2);
            CHECK(info.method == (t == 2 ? RMTK_SPECTRUM_GRAM : RMTK_SPECTRUM_SVD));
            CHECK(info.fallback == (t == 2 ? 0 : 1));
            CHECK(rank_of(sv, C, R, C, eps[t]) == K);
            CHECK(rank_of(sv2, C, R, C, eps[t]) == K);
            /* forced Gram on F64: the noise values land above tol (rank 100 != 30): why (3) */
            if (t == 0) {
                values_by(rv, RMTK_SPECTRUM_GRAM, 0, sv, &info);
                CHECK(rank_of(sv, C, R, C, eps[t]) > K);
            }
            /* dtype_eps in the params overrides the view's: the exact F64 product declared as
             * BF16-stored data takes Gram, with rank 30 at that tolerance */
            if (t == 0) {
                values_by(rv, RMTK_SPECTRUM_AUTO, 0x1p-7, sv, &info);
                CHECK(info.method == RMTK_SPECTRUM_GRAM);
                CHECK(rank_of(sv, C, R, C, 0x1p-7) == K);
            }
        }
        free(g1);
        free(g2);
        free(af);
        free(ab);
    }
    /* The measured constant: the worst error is far below the bound's c = 1. */
    fprintf(stderr, "  worst Gram error / ((m + n) eps lambda_1) = %.3g\n", worst_c);
    CHECK(worst_c < 0.2);
    /* A tight f rejects the tall Gaussian: the level condition bites. */
    p = rmtk_spectrum_params_default();
    p.gram_rtol = 1e-14;
    rmtk_spectrum_plan *tight;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &tight));
    fill_gauss(a, R * C, 1);
    CHECK_OK(rmtk_spectrum_execute(tight, v, sv, NULL, NULL, &info));
    CHECK(info.method == RMTK_SPECTRUM_SVD && info.fallback == 1);
    rmtk_spectrum_plan_free(tight);
    /* Wide view of the same buffer served by the tall plan (orientation-free limits). */
    rmtk_matrix_view wide = {a, C, R, R, 1, RMTK_DTYPE_F64, 0, 0, 0};
    fill_gauss(a, R * C, 3);
    CHECK_OK(rmtk_spectrum_execute(auto_plan, wide, sv, NULL, NULL, &info));
    CHECK(info.k == C);
    /* Too large for the plan. */
    rmtk_matrix_view huge = {a, R + 1, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_STATUS(rmtk_spectrum_execute(auto_plan, huge, sv, NULL, NULL, &info), RMTK_ERR_RANGE);
    CHECK(strstr(rmtk_spectrum_errmsg(auto_plan), "401 x 100") != NULL);
    rmtk_spectrum_plan_free(auto_plan);
    rmtk_spectrum_plan_free(svd_plan);
    free(a);
}

/* A strided view (every third column of a wider buffer, as a convolution slice) gives the same
 * values as the contiguous copy; NaN input is reported with its position. */
static void test_strided_and_nonfinite(void)
{
    enum { R = 60, C = 25, W = 3 * C };
    double *buf = malloc(sizeof(double) * R * W), *dense = malloc(sizeof(double) * R * C);
    fill_gauss(buf, R * W, 4);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            dense[i * C + j] = buf[i * W + 3 * j + 1];
    rmtk_matrix_view sv_view = {buf + 1, R, C, W, 3, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_matrix_view dn_view = {dense, R, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    double s1[C], s2[C];
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &plan));
    CHECK_OK(rmtk_spectrum_execute(plan, sv_view, s1, NULL, NULL, NULL));
    CHECK_OK(rmtk_spectrum_execute(plan, dn_view, s2, NULL, NULL, NULL));
    int same = 1;
    for (int i = 0; i < C; i++)
        same &= s1[i] == s2[i];
    CHECK(same);
    /* Frobenius norm identity: sum sigma^2 = sum w_ij^2. */
    double fro = 0, ssum = 0;
    for (int i = 0; i < R * C; i++)
        fro += dense[i] * dense[i];
    for (int i = 0; i < C; i++)
        ssum += s2[i] * s2[i];
    CHECK_REL(ssum, fro, 1e-13);
    dense[2 * C + 3] = NAN;
    CHECK_STATUS(rmtk_spectrum_execute(plan, dn_view, s2, NULL, NULL, NULL), RMTK_ERR_NUMERIC);
    CHECK(strstr(rmtk_spectrum_errmsg(plan), "(2, 3)") != NULL);
    dense[2 * C + 3] = INFINITY;
    CHECK_STATUS(rmtk_spectrum_execute(plan, dn_view, s2, NULL, NULL, NULL), RMTK_ERR_NUMERIC);
    rmtk_spectrum_plan_free(plan);
    free(buf);
    free(dense);
}

/* Largest |A - U S V^T| of a rows x cols row-major matrix, vectors as the engine returns them. */
static double recon_err(const double *a, int64_t rows, int64_t cols, const double *sv,
                        const double *u, const double *v)
{
    int64_t k = rows < cols ? rows : cols;
    double worst = 0;
    for (int64_t i = 0; i < rows; i++)
        for (int64_t j = 0; j < cols; j++) {
            double x = 0;
            for (int64_t t = 0; t < k; t++)
                x += u[t * rows + i] * sv[t] * v[t * cols + j];
            worst = fmax(worst, fabs(x - a[i * cols + j]));
        }
    return worst;
}

/* dgesdd's workspace is not monotone in the shape: it switches to the QR-first path when the
 * long side reaches floor(11 n / 6) of the short side n, and that path needs more than a larger
 * matrix just below the switch (130 x 70 with vectors after a plan sized by 140 x 80: "dgesdd
 * failed (info -13)"). One plan serves every shape around the switch, both orientations, with
 * vectors; each gives the values a values-only plan gives, bitwise, and those of a plan sized
 * for exactly that shape (same answer whatever the neighbours), and its vectors reconstruct A.
 * Every fourth matrix has a quarter of its columns zero (the values below the numerical rank
 * are rounding noise, the first thing a different route or blocking changes). */
static void test_workspace_shapes(void)
{
    enum { BIG = 140, SMALL = 80 };
    double *a = malloc(sizeof(double) * BIG * SMALL);
    double *u = malloc(sizeof(double) * BIG * SMALL), *v = malloc(sizeof(double) * BIG * SMALL);
    double sv[SMALL], sv2[SMALL], sv3[SMALL];
    int methods[2] = {RMTK_SPECTRUM_AUTO, RMTK_SPECTRUM_SVD};
    int nshapes = 0, bad_status = 0, bad_same = 0, bad_exact = 0;
    double worst_recon = 0;
    for (int mi = 0; mi < 2; mi++) {
        rmtk_spectrum_params p = rmtk_spectrum_params_default();
        p.method = methods[mi];
        rmtk_spectrum_plan *vec_plan, *val_plan;
        p.vectors = 1;
        CHECK_OK(rmtk_spectrum_plan_alloc(BIG, SMALL, &p, &vec_plan));
        p.vectors = 0;
        CHECK_OK(rmtk_spectrum_plan_alloc(SMALL, BIG, &p, &val_plan));
        for (int n = 20; n <= SMALL; n++) {
            int thr = n * 11 / 6;
            int longs[5] = {thr - 1, thr, thr + 1, BIG, n == 70 ? 130 : n};
            for (int li = 0; li < 5; li++) {
                int m = longs[li];
                if (m < n || m > BIG)
                    continue;
                for (int t = 0; t < 2; t++) {
                    int64_t rows = t ? n : m, cols = t ? m : n;
                    fill_gauss(a, (size_t)(rows * cols), (uint64_t)(1000 * m + n));
                    if (nshapes % 4 == 3)
                        for (int64_t i = 0; i < rows; i++)
                            for (int64_t j = cols - cols / 4; j < cols; j++)
                                a[i * cols + j] = 0;
                    nshapes++;
                    rmtk_matrix_view w = {a, rows, cols, cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
                    int st = rmtk_spectrum_execute(vec_plan, w, sv, u, v, NULL);
                    if (st) {
                        bad_status++;
                        fprintf(stderr, "%lld x %lld: %s\n", (long long)rows, (long long)cols,
                                rmtk_spectrum_errmsg(vec_plan));
                        continue;
                    }
                    bad_status += rmtk_spectrum_execute(val_plan, w, sv2, NULL, NULL, NULL) != 0;
                    rmtk_spectrum_plan *exact;
                    bad_status += rmtk_spectrum_plan_alloc(rows, cols, &p, &exact) != 0;
                    bad_status += rmtk_spectrum_execute(exact, w, sv3, NULL, NULL, NULL) != 0;
                    rmtk_spectrum_plan_free(exact);
                    int k = rows < cols ? (int)rows : (int)cols;
                    for (int i = 0; i < k; i++) {
                        bad_same += sv[i] != sv2[i];
                        bad_exact += sv[i] != sv3[i];
                    }
                    worst_recon = fmax(worst_recon,
                                       recon_err(a, rows, cols, sv, u, v) / fmax(sv[0], 1e-300));
                }
            }
        }
        rmtk_spectrum_plan_free(vec_plan);
        rmtk_spectrum_plan_free(val_plan);
    }
    CHECK(nshapes > 400);
    CHECK(bad_status == 0);
    CHECK(bad_same == 0);
    CHECK(bad_exact == 0);
    CHECK(worst_recon < 1e-13);
    free(a);
    free(u);
    free(v);
}

/* Entries near 1e-170 and 1e+155: the Gram matrix would underflow to zero / overflow to inf
 * (dsyevd failed, or an "all-zero" spectrum). The engine scales A by a power of two first: the
 * values are those of the unscaled Gaussian matrix times the scale, on both routes. A singular
 * value beyond the double range is a named RMTK_ERR_RANGE. */
static void test_extreme_magnitudes(void)
{
    enum { R = 120, C = 80 };
    double *g = malloc(sizeof(double) * R * C), *a = malloc(sizeof(double) * R * C);
    double ref[C], sv[C];
    fill_gauss(g, R * C, 11);
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    p.method = RMTK_SPECTRUM_SVD;
    rmtk_spectrum_plan *ref_plan;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &ref_plan));
    rmtk_matrix_view gv = {g, R, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_spectrum_execute(ref_plan, gv, ref, NULL, NULL, NULL));
    double scales[4] = {1e-170, 1e155, 3e-300, 1e300};
    for (int si = 0; si < 4; si++)
        for (int mi = 0; mi < 3; mi++) {
            for (int i = 0; i < R * C; i++)
                a[i] = g[i] * scales[si];
            rmtk_spectrum_params q = rmtk_spectrum_params_default();
            q.method = mi;
            rmtk_spectrum_plan *plan;
            CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &q, &plan));
            rmtk_matrix_view w = {a, R, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
            rmtk_spectrum_info info;
            CHECK_OK(rmtk_spectrum_execute(plan, w, sv, NULL, NULL, &info));
            double worst = 0;
            for (int i = 0; i < C; i++)
                worst = fmax(worst, fabs(sv[i] / scales[si] - ref[i]) / ref[i]);
            CHECK(worst < 1e-12);
            CHECK(isfinite(info.err_bound) || scales[si] > 1e150);
            rmtk_spectrum_plan_free(plan);
        }
    /* sigma_1 = 4 * 1.5e308 of a 4 x 4 matrix of equal entries: beyond the double range. */
    double ones[16];
    for (int i = 0; i < 16; i++)
        ones[i] = 1.5e308;
    rmtk_matrix_view ov = {ones, 4, 4, 4, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_STATUS(rmtk_spectrum_execute(ref_plan, ov, sv, NULL, NULL, NULL), RMTK_ERR_RANGE);
    CHECK(strstr(rmtk_spectrum_errmsg(ref_plan), "overflows a double") != NULL);
    CHECK(strstr(rmtk_spectrum_errmsg(ref_plan), "4 x 4") != NULL);
    rmtk_spectrum_plan_free(ref_plan);
    free(g);
    free(a);
}

static void test_args_and_nomem(void)
{
    rmtk_spectrum_plan *plan = NULL;
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    CHECK_STATUS(rmtk_spectrum_plan_alloc(0, 5, &p, &plan), RMTK_ERR_ARG);
    CHECK(plan == NULL);
    p.method = 7;
    CHECK_STATUS(rmtk_spectrum_plan_alloc(5, 5, &p, &plan), RMTK_ERR_ARG);
    p = rmtk_spectrum_params_default();
    p.gram_rtol = 0;
    CHECK_STATUS(rmtk_spectrum_plan_alloc(5, 5, &p, &plan), RMTK_ERR_ARG);
    p = rmtk_spectrum_params_default();
    /* Every allocation of plan_alloc failing in turn: NOMEM, nothing leaked (ASan checks). */
    int k;
    for (k = 1; k < 20; k++) {
        rmtk_alloc_fail_after((uint64_t)k);
        int st = rmtk_spectrum_plan_alloc(50, 30, &p, &plan);
        rmtk_alloc_fail_after(0);
        if (st == RMTK_OK) {
            rmtk_spectrum_plan_free(plan);
            break;
        }
        CHECK(st == RMTK_ERR_NOMEM && plan == NULL);
    }
    CHECK(k > 3 && k < 20);
    rmtk_spectrum_plan_free(NULL);
    CHECK(rmtk_spectrum_plan_bytes(NULL) == 0);
}

/* From k = 4096 the Gram route's eigenvalues come from dsyevd_2stage: W = diag(s) H, H = I - 2 h h^T
 * (h unit) orthogonal, has singular values s exactly and a dense Gram matrix H diag(s^2) H. The
 * values within the contract's bound of s, the route Gram. ~10 s (skipped in quick mode). */
static void test_two_stage(void)
{
    if (harness_quick())
        return;
    enum { N = 4096 };
    double *w = malloc(sizeof(double) * N * N), *h = malloc(sizeof(double) * N), *sv = malloc(
        sizeof(double) * N), s[N];
    fill_gauss(h, N, 9);
    double nh = 0;
    for (int i = 0; i < N; i++)
        nh += h[i] * h[i];
    for (int i = 0; i < N; i++) {
        s[i] = 1.0 + (double)((i * 7919) % N) / N; /* distinct, unordered */
        for (int j = 0; j < N; j++)
            w[(size_t)i * N + j] = s[i] * ((i == j) - 2.0 * h[i] * h[j] / nh);
    }
    rmtk_matrix_view v = {w, N, N, N, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_spectrum_info info;
    values_by(v, RMTK_SPECTRUM_AUTO, 0, sv, &info);
    CHECK(info.method == RMTK_SPECTRUM_GRAM);
    /* s sorted descending: s_(i) = 1 + (N - 1 - i) / N */
    int bad = 0;
    for (int i = 0; i < N; i++)
        bad += !(fabs(sv[i] - (1.0 + (double)(N - 1 - i) / N)) <= info.err_bound / sv[i]);
    CHECK(bad == 0);
    free(w);
    free(h);
    free(sv);
}

/* bf16 of a double (through float, round to nearest even) and back. */
static uint16_t to_bf16(double x)
{
    float f = (float)x;
    uint32_t u;
    memcpy(&u, &f, 4);
    u += 0x7FFFu + ((u >> 16) & 1u);
    return (uint16_t)(u >> 16);
}

static double from_bf16(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* The Gram matrix streamed from the stored tensor (rmtk__spectrum_load_gram: one block of about
 * 8 MB converted at a time, no dense copy) against the dense load of the same view: bitwise the
 * same values (the same blocks). Against the Gram route before streaming (one dsyrk over the
 * whole matrix, then dsyevd, on the same doubles): every value within the contract's bound
 * b_i = err_bound / sigma_i (measured: the largest |delta sigma_i| / b_i is printed). BF16, F32,
 * F64 (read in place, no conversion) and Q8_0 storage; row-major tall and wide (both orientations of the Gram matrix: whole rows of
 * W per block, or a block of columns of every row), column-major tall and wide; long sides that
 * are not multiples of the block (k = 300: blocks of 3328; k = 400: 2560). */
static void streamed_case(int64_t R, int64_t C, int dtype, int colmajor, uint64_t seed)
{
    size_t n = (size_t)R * (size_t)C;
    double *x = malloc(sizeof(double) * n);
    unsigned char *raw = malloc(n * 8 + 64);
    fill_gauss(x, n, seed);
    for (int64_t i = 0; i < R; i++) /* a few outliers above the bulk: a spread of scales */
        for (int64_t j = 0; j < C; j++) {
            size_t t = (size_t)i * (size_t)C + (size_t)j;
            x[t] = 0.02 * x[t] + (i % 7 == 0 && j % 5 == 0 ? 0.05 : 0.0);
            size_t at = colmajor ? (size_t)j * (size_t)R + (size_t)i : t;
            if (dtype == RMTK_DTYPE_F64) {
                memcpy(raw + at * 8, &x[t], 8);
            } else if (dtype == RMTK_DTYPE_F32) {
                float f = (float)x[t];
                memcpy(raw + at * 4, &f, 4);
                x[t] = f;
            } else if (dtype == RMTK_DTYPE_BF16) {
                uint16_t h = to_bf16(x[t]);
                memcpy(raw + at * 2, &h, 2);
                x[t] = from_bf16(h);
            }
        }
    if (dtype == RMTK_DTYPE_Q8_0) /* row-major blocks of 32: d = 2^-7 (fp16 0x2000), q int8 */
        for (size_t b = 0; b < n / 32; b++) {
            unsigned char *blk = raw + b * 34;
            blk[0] = 0x00;
            blk[1] = 0x20;
            for (size_t j = 0; j < 32; j++) {
                double q = nearbyint(x[b * 32 + j] * 128.0 * 20.0);
                q = q > 127 ? 127 : q < -127 ? -127 : q;
                blk[2 + j] = (unsigned char)(int8_t)q;
                x[b * 32 + j] = q / 128.0;
            }
        }
    rmtk_matrix_view v = {raw, R, C, C, 1, dtype, 0, 0, 0};
    if (colmajor) {
        v.row_stride = 1;
        v.col_stride = R;
    }
    int64_t k = R < C ? R : C;
    double *s1 = malloc(sizeof(double) * (size_t)k), *s2 = malloc(sizeof(double) * (size_t)k);
    double *g = malloc(sizeof(double) * (size_t)(k * k)), *w = malloc(sizeof(double) * (size_t)k);
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &plan));
    /* a values-only plan holds no dense copy: the Gram matrix and one block */
    CHECK(rmtk_spectrum_plan_bytes(plan) < 8 * ((uint64_t)k * (uint64_t)k + (1u << 20)) +
                                             8 * (uint64_t)(R + C) * 64);
    CHECK(rmtk__spectrum_dense_bytes(plan) >= 8 * (uint64_t)n);
    rmtk_spectrum_info i1, i2;
    CHECK_OK(rmtk__spectrum_load_gram(plan, v));
    CHECK_OK(rmtk__spectrum_run_keep(plan, s1, false, NULL, NULL, &i1));
    CHECK_OK(rmtk_spectrum_load(plan, v));
    CHECK_OK(rmtk_spectrum_run(plan, s2, NULL, NULL, &i2));
    CHECK(i1.method == RMTK_SPECTRUM_GRAM && i2.method == RMTK_SPECTRUM_GRAM);
    CHECK(memcmp(s1, s2, sizeof(double) * (size_t)k) == 0);
    CHECK(i1.err_bound == i2.err_bound);
    /* the unblocked Gram: W^T W (R >= C) or W W^T of the row-major doubles */
    if (R >= C)
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasNoTrans, (int)C, (int)R, 1.0, x, (int)C, 0.0,
                    g, (int)k);
    else
        cblas_dsyrk(CblasColMajor, CblasUpper, CblasTrans, (int)R, (int)C, 1.0, x, (int)C, 0.0,
                    g, (int)k);
    CHECK(LAPACKE_dsyevd(LAPACK_COL_MAJOR, 'N', 'U', (int)k, g, (int)k, w) == 0);
    double worst = 0, rel = 0;
    for (int64_t i = 0; i < k; i++) {
        double ref = sqrt(fmax(w[k - 1 - i], 0.0));
        worst = fmax(worst, fabs(s1[i] - ref) / (i1.err_bound / s1[i]));
        rel = fmax(rel, fabs(s1[i] - ref) / ref);
    }
    printf("    %lld x %lld %s %s: streamed = dense bitwise; vs unblocked Gram: max |d sigma| / "
           "b_i %.2e, max relative %.2e\n", (long long)R, (long long)C,
           rmtk_dtype_name(dtype), colmajor ? "col-major" : "row-major", worst, rel);
    CHECK(worst <= 1.0);
    CHECK(rel < 1e-12);
    rmtk_spectrum_plan_free(plan);
    free(x);
    free(raw);
    free(s1);
    free(s2);
    free(g);
    free(w);
}

/* The rest of streaming: a matrix whose Gram values fail the contract (F32, rank 40 of 300)
 * asks for the dense copy (RMTK__NEED_DENSE), and the dense run after it is dgesdd with
 * fallback 1, bitwise --exact's values; rmtk_spectrum_execute does both steps. Extreme magnitudes
 * (a second, scaled pass) give the dense load's values bitwise; a NaN is named at its (row,
 * column) in both Gram orientations. */
static void test_streamed_fallback(void)
{
    enum { R = 900, C = 300, RK = 40 };
    double *l = malloc(sizeof(double) * R * RK), *r = malloc(sizeof(double) * RK * C);
    float *a = malloc(sizeof(float) * R * C);
    double *d = malloc(sizeof(double) * R * C);
    fill_gauss(l, R * RK, 21);
    fill_gauss(r, RK * C, 22);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            double s = 0;
            for (int t = 0; t < RK; t++)
                s += l[i * RK + t] * r[t * C + j];
            a[i * C + j] = (float)s;
        }
    rmtk_matrix_view v = {a, R, C, C, 1, RMTK_DTYPE_F32, 0, 0, 0};
    double s1[C], s2[C], s3[C];
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan, *exact;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &plan));
    rmtk_spectrum_info info;
    CHECK_OK(rmtk__spectrum_load_gram(plan, v));
    CHECK_STATUS(rmtk__spectrum_run_keep(plan, s1, false, NULL, NULL, &info), RMTK__NEED_DENSE);
    CHECK_OK(rmtk_spectrum_load(plan, v));
    CHECK_OK(rmtk__spectrum_run_keep(plan, s1, false, NULL, NULL, &info));
    CHECK(info.method == RMTK_SPECTRUM_SVD && info.fallback == 1);
    CHECK_OK(rmtk_spectrum_execute(plan, v, s2, NULL, NULL, &info));
    CHECK(info.method == RMTK_SPECTRUM_SVD && info.fallback == 1);
    p.method = RMTK_SPECTRUM_SVD;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &exact));
    CHECK_OK(rmtk_spectrum_execute(exact, v, s3, NULL, NULL, NULL));
    CHECK(memcmp(s1, s3, sizeof s1) == 0 && memcmp(s2, s3, sizeof s2) == 0);
    rmtk_spectrum_plan_free(exact);
    /* extreme magnitudes: 1e-170 and 1e155 (scaled by 2^-e in a second pass) */
    fill_gauss(d, R * C, 23);
    for (int si = 0; si < 2; si++) {
        double f = si ? 1e155 : 1e-170;
        double *dd = malloc(sizeof(double) * R * C);
        for (int t = 0; t < R * C; t++)
            dd[t] = d[t] * f;
        for (int o = 0; o < 2; o++) { /* tall, wide */
            rmtk_matrix_view dv = {dd, o ? C : R, o ? R : C, o ? R : C, 1, RMTK_DTYPE_F64, 0, 0, 0};
            CHECK_OK(rmtk__spectrum_load_gram(plan, dv));
            CHECK_OK(rmtk__spectrum_run_keep(plan, s1, false, NULL, NULL, &info));
            CHECK_OK(rmtk_spectrum_load(plan, dv));
            CHECK_OK(rmtk_spectrum_run(plan, s2, NULL, NULL, NULL));
            CHECK(info.method == RMTK_SPECTRUM_GRAM && memcmp(s1, s2, sizeof s1) == 0);
        }
        free(dd);
    }
    for (int o = 0; o < 2; o++) {
        rmtk_matrix_view dv = {d, o ? C : R, o ? R : C, o ? R : C, 1, RMTK_DTYPE_F64, 0, 0, 0};
        d[(size_t)(o ? 251 : 777) * (size_t)(o ? R : C) + (o ? 613 : 123)] = NAN;
        CHECK_STATUS(rmtk__spectrum_load_gram(plan, dv), RMTK_ERR_NUMERIC);
        CHECK(strstr(rmtk_spectrum_errmsg(plan), o ? "(251, 613)" : "(777, 123)") != NULL);
        d[(size_t)(o ? 251 : 777) * (size_t)(o ? R : C) + (o ? 613 : 123)] = 0.0;
    }
    rmtk_spectrum_plan_free(plan);
    free(l);
    free(r);
    free(a);
    free(d);
}

/* F64 read in place: a non-finite value still gets its element named (the block falls back to
 * the conversion, which locates it), in both orientations. */
static void streamed_f64_nonfinite(int64_t R, int64_t C, int64_t bi, int64_t bj)
{
    double *x = calloc((size_t)(R * C), sizeof(double));
    fill_gauss(x, (size_t)(R * C), 42);
    x[bi * C + bj] = NAN;
    rmtk_matrix_view v = {x, R, C, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan;
    CHECK_OK(rmtk_spectrum_plan_alloc(R, C, &p, &plan));
    CHECK_STATUS(rmtk__spectrum_load_gram(plan, v), RMTK_ERR_NUMERIC);
    char want[64];
    snprintf(want, sizeof want, "element (%lld, %lld)", (long long)bi, (long long)bj);
    CHECK(strstr(rmtk_spectrum_errmsg(plan), want) != NULL);
    rmtk_spectrum_plan_free(plan);
    free(x);
}

static void test_streamed_gram(void)
{
    streamed_f64_nonfinite(5000, 300, 4321, 17);
    streamed_f64_nonfinite(300, 5000, 17, 4321);
    streamed_case(7000, 300, RMTK_DTYPE_BF16, 0, 31);
    streamed_case(300, 7000, RMTK_DTYPE_BF16, 0, 32);
    streamed_case(7000, 300, RMTK_DTYPE_F32, 0, 33);
    streamed_case(300, 7000, RMTK_DTYPE_F32, 0, 34);
    streamed_case(5000, 400, RMTK_DTYPE_F32, 1, 35);
    streamed_case(400, 5000, RMTK_DTYPE_BF16, 1, 36);
    streamed_case(7000, 300, RMTK_DTYPE_F64, 0, 39); /* read in place, no conversion */
    streamed_case(300, 7000, RMTK_DTYPE_F64, 0, 40);
    streamed_case(300, 7000, RMTK_DTYPE_F64, 1, 41);
    streamed_case(300, 7008, RMTK_DTYPE_Q8_0, 0, 37);
    streamed_case(7000, 320, RMTK_DTYPE_Q8_0, 0, 38);
}

int main(void)
{
    RUN(test_against_numpy);
    RUN(test_guard);
    RUN(test_strided_and_nonfinite);
    RUN(test_workspace_shapes);
    RUN(test_extreme_magnitudes);
    RUN(test_args_and_nomem);
    RUN(test_two_stage);
    RUN(test_streamed_gram);
    RUN(test_streamed_fallback);
    return harness_done();
}
