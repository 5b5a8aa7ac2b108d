/*
 * test-lowrank.c: the singular values of a matrix given as factors (src/linalg/lowrank.c)
 * against numpy's SVD of the dense product of exactly the stored factors (tests/data/
 * gen-lowrank.py: F64, F32, F16, BF16, strided views, r = 1 .. 64, sides up to 2000, a
 * rank-deficient core, r > rows), against exact singular values, and the vectors against the
 * factors themselves (X v_j = sigma_j u_j computed as s L (R v_j)); the analysis of a matrix
 * added as factors (rmtk_analysis_add_factors): its statistics, statuses and verdict.
 */
#include "harness.h"
#include "matrix-util.h"

#include <float.h>

typedef struct {
    char name[128], dtype[8];
    int64_t rows, inner, cols;
    double scale;
    int ltrans;
} lr_case;

/* y = s L (R x): the product applied to a vector without forming it. */
static void apply(const double *l, const double *r, double s, int64_t m, int64_t k, int64_t n,
                  const double *x, double *y)
{
    double *t = calloc((size_t)k, sizeof *t);
    for (int64_t a = 0; a < k; a++)
        for (int64_t j = 0; j < n; j++)
            t[a] += r[a * n + j] * x[j];
    for (int64_t i = 0; i < m; i++) {
        double acc = 0;
        for (int64_t a = 0; a < k; a++)
            acc += l[i * k + a] * t[a];
        y[i] = s * acc;
    }
    free(t);
}

static double worst_rel = 0, worst_abs = 0; /* over the cases: printed for the report */

static void test_against_numpy(void)
{
    FILE *f = fopen(harness_data("lowrank_cases.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    lr_case c;
    int ncases = 0;
    while (fscanf(f, "%127s %7s %lld %lld %lld %lf %d", c.name, c.dtype, (long long *)&c.rows,
                  (long long *)&c.inner, (long long *)&c.cols, &c.scale, &c.ltrans) == 7) {
        ncases++;
        char fn[256];
        size_t ll, lrn, nsv, nex = 0;
        snprintf(fn, sizeof fn, "lr_%s.l", c.name);
        void *ldata = read_file(fn, &ll);
        snprintf(fn, sizeof fn, "lr_%s.r", c.name);
        void *rdata = read_file(fn, &lrn);
        snprintf(fn, sizeof fn, "lr_%s.sv", c.name);
        double *ref = harness_read_f64(harness_data(fn), &nsv);
        snprintf(fn, sizeof fn, "lr_%s.exact", c.name);
        double *exact = harness_read_f64(harness_data(fn), &nex);
        int dt = dtype_of(c.dtype);
        rmtk_matrix_view lv = {ldata, c.rows, c.inner, c.inner, 1, dt, 0, 0, 0};
        if (c.ltrans) {
            lv.row_stride = 1;
            lv.col_stride = c.rows;
        }
        rmtk_matrix_view rv = {rdata, c.inner, c.cols, c.cols, 1, dt, 0, 0, 0};
        size_t k = (size_t)(c.rows < c.cols ? c.rows : c.cols);
        CHECK(ldata && rdata && ref && nsv == k);
        if (!ldata || !rdata || !ref || nsv != k) {
            fprintf(stderr, "case %s: missing data\n", c.name);
            continue;
        }
        rmtk_lowrank_plan *p = NULL;
        CHECK_OK(rmtk_lowrank_plan_alloc(c.rows, c.cols, c.inner, 1, &p));
        double *sv = malloc(k * sizeof *sv);
        int64_t kv = c.inner < (int64_t)k ? c.inner : (int64_t)k;
        double *u = malloc((size_t)(c.rows * kv) * sizeof *u);
        double *v = malloc((size_t)(c.cols * kv) * sizeof *v);
        rmtk_lowrank_info info;
        int st = rmtk_lowrank_execute(p, lv, rv, c.scale, 0, sv, u, v, &info);
        CHECK_OK(st);
        if (st)
            fprintf(stderr, "case %s: %s\n", c.name, rmtk_lowrank_errmsg(p));
        CHECK(info.inner == c.inner && info.k == (int64_t)k && info.nvec == kv);
        /* Values: relative 1e-12 for sigma >= 1e-6 sigma_1 on the random factors; the graded
         * case (sigma down to 1e-7 sigma_1) is graded beyond what any SVD resolves relatively:
         * there |d sigma| <= 1e-12 sigma_1 against numpy and against the exact values. */
        int graded = nex > 0;
        for (size_t i = 0; i < k; i++) {
            if (ref[i] < 1e-6 * ref[0]) {
                CHECK(sv[i] <= 1e-6 * ref[0]);
                continue;
            }
            double rel = fabs(sv[i] - ref[i]) / ref[i], abs_ = fabs(sv[i] - ref[i]) / ref[0];
            if (!graded && rel > worst_rel)
                worst_rel = rel;
            if (abs_ > worst_abs)
                worst_abs = abs_;
            if (graded)
                CHECK_NEAR(sv[i], ref[i], 1e-12 * ref[0]);
            else
                CHECK_REL(sv[i], ref[i], 1e-12);
        }
        for (size_t i = 0; i < nex; i++)
            CHECK_NEAR(sv[i], exact[i], 1e-12 * exact[0]);
        /* The exact zeros past the core. */
        for (size_t i = (size_t)kv; i < k; i++)
            CHECK(sv[i] == 0.0);
        /* Numerical rank: the numpy values above the same tolerance. */
        size_t rank = 0;
        while (rank < k && ref[rank] > info.tol)
            rank++;
        CHECK(info.rank == (int64_t)rank);
        if (!strcmp(c.name, "f64_rankdef"))
            CHECK(info.rank == 10);
        if (!strcmp(c.name, "bf16_2000x64x1500"))
            CHECK(info.rank == 64);
        /* Vectors: ||s L R v_j - sigma_j u_j|| <= 1e-12 sigma_1 and orthonormal u. */
        double *ld = malloc((size_t)(c.rows * c.inner) * sizeof *ld);
        double *rd = malloc((size_t)(c.inner * c.cols) * sizeof *rd);
        double *y = malloc((size_t)c.rows * sizeof *y);
        CHECK_OK(rmtk_matrix_to_double(lv, ld));
        CHECK_OK(rmtk_matrix_to_double(rv, rd));
        for (int64_t j = 0; j < (info.rank < 5 ? info.rank : 5); j++) {
            apply(ld, rd, c.scale, c.rows, c.inner, c.cols, v + j * c.cols, y);
            double res = 0, nu = 0;
            for (int64_t i = 0; i < c.rows; i++) {
                double d = y[i] - sv[j] * u[j * c.rows + i];
                res += d * d;
                nu += u[j * c.rows + i] * u[j * c.rows + i];
            }
            CHECK_NEAR(sqrt(res), 0, 1e-12 * sv[0]);
            CHECK_NEAR(nu, 1, 1e-12);
        }
        free(ld);
        free(rd);
        free(y);
        /* A values-only plan gives the same values bit for bit. */
        rmtk_lowrank_plan *pv = NULL;
        double *sv2 = malloc(k * sizeof *sv2);
        CHECK_OK(rmtk_lowrank_plan_alloc(c.rows, c.cols, c.inner, 0, &pv));
        CHECK_OK(rmtk_lowrank_execute(pv, lv, rv, c.scale, 0, sv2, NULL, NULL, NULL));
        size_t same = 0;
        for (size_t i = 0; i < (size_t)info.rank; i++)
            same += sv2[i] == sv[i];
        CHECK(same == (size_t)info.rank);
        rmtk_lowrank_plan_free(pv);
        free(sv2);
        rmtk_lowrank_plan_free(p);
        free(sv);
        free(u);
        free(v);
        free(ldata);
        free(rdata);
        free(ref);
        free(exact);
    }
    fclose(f);
    CHECK(ncases >= 9);
    printf("lowrank vs numpy: max relative error %.3g (random factors, sigma >= 1e-6 sigma_1), "
           "max |d sigma| / sigma_1 %.3g (all cases)\n",
           worst_rel, worst_abs);
}

/* Errors: named, and nothing written past the output. */
static void test_errors(void)
{
    double l[6] = {1, 2, 3, 4, 5, 6}, r[6] = {1, 0, 0, 1, 1, 1}, sv[3];
    rmtk_matrix_view lv = {l, 3, 2, 2, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_matrix_view rv = {r, 2, 3, 3, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_lowrank_plan *p = NULL;
    CHECK_STATUS(rmtk_lowrank_plan_alloc(0, 3, 2, 0, &p), RMTK_ERR_ARG);
    CHECK_OK(rmtk_lowrank_plan_alloc(3, 3, 2, 0, &p));
    rmtk_matrix_view bad = rv;
    bad.rows = 3;
    CHECK_STATUS(rmtk_lowrank_execute(p, lv, bad, 1, 0, sv, NULL, NULL, NULL), RMTK_ERR_ARG);
    CHECK(strstr(rmtk_lowrank_errmsg(p), "do not multiply") != NULL);
    CHECK_STATUS(rmtk_lowrank_execute(p, lv, rv, 1, 0, sv, sv, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_lowrank_execute(p, lv, rv, NAN, 0, sv, NULL, NULL, NULL), RMTK_ERR_ARG);
    l[3] = NAN;
    CHECK_STATUS(rmtk_lowrank_execute(p, lv, rv, 1, 0, sv, NULL, NULL, NULL), RMTK_ERR_NUMERIC);
    CHECK(strstr(rmtk_lowrank_errmsg(p), "(1, 1) of the 3 x 2 left") != NULL);
    l[3] = 4;
    /* A zero scale or factor: all zero, rank 0. */
    rmtk_lowrank_info info;
    CHECK_OK(rmtk_lowrank_execute(p, lv, rv, 0, 0, sv, NULL, NULL, &info));
    CHECK(sv[0] == 0 && sv[2] == 0 && info.rank == 0);
    /* Extreme magnitudes: 1e200 x 1e-250 factors are scaled exactly. */
    double lb[6], rs[6];
    for (int i = 0; i < 6; i++) {
        lb[i] = l[i] * 1e200;
        rs[i] = r[i] * 1e-250;
    }
    rmtk_matrix_view lbv = lv, rsv = rv;
    lbv.data = lb;
    rsv.data = rs;
    double ref[3], got[3];
    CHECK_OK(rmtk_lowrank_execute(p, lv, rv, 1, 0, ref, NULL, NULL, NULL));
    CHECK_OK(rmtk_lowrank_execute(p, lbv, rsv, 1, 0, got, NULL, NULL, NULL));
    for (int i = 0; i < 2; i++)
        CHECK_REL(got[i], ref[i] * 1e-50, 1e-14);
    CHECK(got[2] == 0);
    /* The product's values beyond the double range. */
    rmtk_matrix_view rbig = {lb, 2, 3, 3, 1, RMTK_DTYPE_F64, 0, 0, 0}; /* 2 x 3 of entries 1e200 */
    CHECK_STATUS(rmtk_lowrank_execute(p, lbv, rbig, 1e200, 0, got, NULL, NULL, NULL),
                 RMTK_ERR_RANGE);
    CHECK(strstr(rmtk_lowrank_errmsg(p), "beyond the double range") != NULL);
    rmtk_lowrank_plan_free(p);
    rmtk_lowrank_plan_free(NULL);
}

static double column(const rmtk_analysis *a, size_t i, const char *name)
{
    size_t c;
    if (rmtk_analysis_column_find(a, name, &c) != RMTK_OK)
        return NAN;
    return rmtk_analysis_value(a, i, c);
}

static void fill_normal(double *x, size_t n, uint64_t seed)
{
    rmtk_rng_fill_normal(seed, 0, 0, x, n);
}

/* A matrix added as factors: the same values as rmtk_lowrank_execute, zeros past the rank,
 * Frobenius norm of the dense product, no bulk statistics (too_few, verdict "low-rank product"),
 * also with r >= RMTK_ANALYSIS_MIN_LEVELS where a dense matrix would get them. */
static void test_analysis_factors(void)
{
    enum { M = 300, N = 200, K = 64, KD = 8 };
    double *l = malloc(M * K * sizeof *l), *r = malloc(K * N * sizeof *r);
    double *c = malloc(KD * K * sizeof *c), *ld = malloc(M * K * sizeof *ld);
    fill_normal(l, M * K, 1);
    fill_normal(r, K * N, 2);
    fill_normal(c, KD * K, 3);
    /* rank-deficient: ld = l[:, :KD] c, M x K of rank KD */
    for (int i = 0; i < M; i++)
        for (int j = 0; j < K; j++) {
            double acc = 0;
            for (int t = 0; t < KD; t++)
                acc += l[i * K + t] * c[t * K + j];
            ld[i * K + j] = acc;
        }
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_TAILS;
    p.threads = 2;
    rmtk_analysis *a = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    rmtk_matrix_view lv = {l, M, K, K, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_matrix_view rv = {r, K, N, N, 1, RMTK_DTYPE_F64, 0, 0, 0};
    rmtk_matrix_view ldv = {ld, M, K, K, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_analysis_add_factors(a, "full", lv, rv, 0.25));
    CHECK_OK(rmtk_analysis_add_factors(a, "rankdef", ldv, rv, 1.0));
    CHECK_STATUS(rmtk_analysis_add_factors(a, "bad", lv, lv, 1.0), RMTK_ERR_ARG);
    double keep = l[5];
    l[5] = INFINITY;
    CHECK_STATUS(rmtk_analysis_add_factors(a, "inf", lv, rv, 1.0), RMTK_ERR_NUMERIC);
    CHECK(strstr(rmtk_analysis_errmsg(a), "(0, 5) of the left factor") != NULL);
    l[5] = keep; /* the analysis copied the factors at add time */
    CHECK(rmtk_analysis_count(a) == 2);
    CHECK_OK(rmtk_analysis_run(a, NULL, NULL));
    rmtk_lowrank_plan *plan = NULL;
    CHECK_OK(rmtk_lowrank_plan_alloc(M, N, K, 0, &plan));
    double sv[N];
    rmtk_lowrank_info info;
    CHECK_OK(rmtk_lowrank_execute(plan, lv, rv, 0.25, 0, sv, NULL, NULL, &info));
    const double *x;
    size_t n;
    CHECK_OK(rmtk_analysis_array(a, 0, "singular_values", &x, &n));
    CHECK(n == N);
    /* the same route (bits may differ: the run pins BLAS to one thread) */
    for (size_t i = 0; i < K; i++)
        CHECK_REL(x[i], sv[i], 1e-14);
    for (size_t i = K; i < N; i++)
        CHECK(x[i] == 0.0);
    /* ||0.25 L R||_F^2 by the dense product */
    double fro2 = 0;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double acc = 0;
            for (int t = 0; t < K; t++)
                acc += l[i * K + t] * r[t * N + j];
            fro2 += 0.0625 * acc * acc;
        }
    CHECK_REL(column(a, 0, "fro_norm2"), fro2, 1e-12);
    CHECK(column(a, 0, "numerical_rank") == K && info.rank == K);
    CHECK(column(a, 0, "factor_inner") == K);
    CHECK(column(a, 1, "numerical_rank") == KD);
    CHECK(column(a, 1, "n_null") == N - KD);
    CHECK(isnan(column(a, 0, "delta_fro2_frac")));
    for (size_t i = 0; i < 2; i++) {
        CHECK(column(a, i, "mp_fit_status") == RMTK_STAT_TOO_FEW);
        CHECK(column(a, i, "levels_status") == RMTK_STAT_TOO_FEW);
        CHECK(column(a, i, "tails_status") == RMTK_STAT_TOO_FEW);
        CHECK(isnan(column(a, i, "r_mean")) && isnan(column(a, i, "mp_sigma2")));
        char v[512];
        int looks = 7;
        CHECK_OK(rmtk_analysis_verdict(a, i, v, sizeof v, &looks));
        CHECK(looks == RMTK_VERDICT_UNDETERMINED && strncmp(v, "low-rank product", 16) == 0);
        rmtk_analysis_row row;
        CHECK_OK(rmtk_analysis_row_get(a, i, &row));
        CHECK(strcmp(row.method, "factors") == 0 && strcmp(row.status, "ok") == 0);
    }
    rmtk_lowrank_plan_free(plan);
    rmtk_analysis_free(a);
    /* Allocation-failure sweep: every step succeeds or reports NOMEM cleanly. */
    int completed = 0;
    for (int k = 1; k < 300 && !completed; k++) {
        rmtk_analysis *an = NULL;
        rmtk_alloc_fail_after((uint64_t)k);
        int st = rmtk_analysis_alloc(&p, &an);
        if (!st)
            st = rmtk_analysis_add_factors(an, "f", lv, rv, 1.0);
        if (!st)
            st = rmtk_analysis_run(an, NULL, NULL);
        rmtk_alloc_fail_after(0);
        if (st == RMTK_OK)
            completed = 1;
        else
            CHECK(st == RMTK_ERR_NOMEM);
        rmtk_analysis_free(an);
    }
    CHECK(completed);
    free(l);
    free(r);
    free(c);
    free(ld);
}

int main(void)
{
    RUN(test_against_numpy);
    RUN(test_errors);
    RUN(test_analysis_factors);
    return harness_done();
}
