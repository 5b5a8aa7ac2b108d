/*
 * test-lanczos.c: module lanczos (Lanczos tridiagonalisation, stochastic Lanczos quadrature).
 * Oracles: LAPACK's eigenvalues of the same dense matrix (dsyevd), the exact moments
 * tr(A^k)/n from them, the Gauss-quadrature exactness v^T A^k v = e_1^T T^k e_1 for k <= 2m - 1,
 * Hutchinson's variance bound for the Monte-Carlo error (Avron & Toledo 2011), and the BBP
 * outlier of a spiked GOE matrix.
 */
#include "harness.h"

#include <lapacke.h>

typedef struct {
    const double *a; /* n x n row-major, symmetric */
    int64_t n;
} dense_op;

static int dense_mv(void *user, const double *x, double *y, int64_t n)
{
    const dense_op *d = user;
    for (int64_t i = 0; i < n; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < n; j++)
            s += d->a[i * n + j] * x[j];
        y[i] = s;
    }
    return 0;
}

/* W^T W x without forming it; W is r x n row-major. */
typedef struct {
    const double *w;
    int64_t r, n;
    double *tmp;
} gram_op;

static int gram_mv(void *user, const double *x, double *y, int64_t n)
{
    gram_op *g = user;
    for (int64_t i = 0; i < g->r; i++) {
        double s = 0.0;
        for (int64_t j = 0; j < n; j++)
            s += g->w[i * n + j] * x[j];
        g->tmp[i] = s;
    }
    for (int64_t j = 0; j < n; j++)
        y[j] = 0.0;
    for (int64_t i = 0; i < g->r; i++)
        for (int64_t j = 0; j < n; j++)
            y[j] += g->w[i * n + j] * g->tmp[i];
    return 0;
}

static int failing_mv(void *user, const double *x, double *y, int64_t n)
{
    (void)user, (void)x, (void)y, (void)n;
    return 1;
}

static int nan_mv(void *user, const double *x, double *y, int64_t n)
{
    (void)user, (void)x;
    for (int64_t i = 0; i < n; i++)
        y[i] = NAN;
    return 0;
}

/* A GOE matrix scaled to the semicircle on [-2, 2]: off-diagonal N(0, 1/n), diagonal N(0, 2/n). */
static double *goe(int64_t n, uint64_t seed)
{
    double *a = malloc((size_t)(n * n) * sizeof *a);
    rmtk_rng r;
    rmtk_rng_init(&r, seed, 0);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = i; j < n; j++) {
            double v = rmtk_rng_normal(&r) / sqrt((double)n) * (i == j ? sqrt(2.0) : 1.0);
            a[i * n + j] = a[j * n + i] = v;
        }
    return a;
}

static double *eigenvalues(const double *a, int64_t n)
{
    double *c = malloc((size_t)(n * n) * sizeof *c), *ev = malloc((size_t)n * sizeof *ev);
    memcpy(c, a, (size_t)(n * n) * sizeof *c);
    CHECK(LAPACKE_dsyevd(LAPACK_ROW_MAJOR, 'N', 'U', (lapack_int)n, c, (lapack_int)n, ev) == 0);
    free(c);
    return ev;
}

/* n steps with full reorthogonalisation reproduce every eigenvalue of A. */
static void test_full_tridiagonalisation(void)
{
    int64_t n = 120;
    double *a = goe(n, 7), *ev = eigenvalues(a, n);
    dense_op op = {a, n};
    rmtk_lanczos_params p = rmtk_lanczos_params_default();
    p.steps = n;
    double *al = malloc((size_t)n * sizeof *al), *be = malloc((size_t)n * sizeof *be);
    int64_t k = 0;
    CHECK_OK(rmtk_lanczos(dense_mv, &op, n, NULL, &p, al, be, &k));
    CHECK(k == n);
    CHECK(LAPACKE_dstev(LAPACK_COL_MAJOR, 'N', (lapack_int)k, al, be, NULL, 1) == 0);
    double worst = 0.0;
    for (int64_t i = 0; i < n; i++)
        worst = fmax(worst, fabs(al[i] - ev[i]));
    CHECK(worst < 1e-12 * 2.5 * (double)n);
    free(a), free(ev), free(al), free(be);
}

/* Gauss quadrature exactness: with q1 = v, e_1^T T^j e_1 = v^T A^j v for j <= 2m - 1. */
static void test_quadrature_exactness(void)
{
    int64_t n = 300, m = 8;
    double *a = goe(n, 11);
    dense_op op = {a, n};
    double *v = malloc((size_t)n * sizeof *v), *x = malloc((size_t)n * sizeof *x),
           *y = malloc((size_t)n * sizeof *y);
    rmtk_rng r;
    rmtk_rng_init(&r, 5, 0);
    double nv = 0.0;
    for (int64_t i = 0; i < n; i++) {
        v[i] = rmtk_rng_normal(&r);
        nv += v[i] * v[i];
    }
    for (int64_t i = 0; i < n; i++)
        v[i] /= sqrt(nv);
    rmtk_lanczos_params p = rmtk_lanczos_params_default();
    p.steps = m;
    double al[8], be[8], z[64];
    int64_t k = 0;
    CHECK_OK(rmtk_lanczos(dense_mv, &op, n, v, &p, al, be, &k));
    CHECK(k == m);
    CHECK(LAPACKE_dstev(LAPACK_COL_MAJOR, 'V', (lapack_int)m, al, be, z, (lapack_int)m) == 0);
    memcpy(x, v, (size_t)n * sizeof *x);
    for (int j = 1; j <= 2 * (int)m - 1; j++) {
        dense_mv(&op, x, y, n);
        memcpy(x, y, (size_t)n * sizeof *x);
        double exact = 0.0, gauss = 0.0;
        for (int64_t i = 0; i < n; i++)
            exact += v[i] * x[i];
        for (int64_t i = 0; i < m; i++)
            gauss += z[i * m] * z[i * m] * pow(al[i], j);
        CHECK_NEAR(gauss, exact, 1e-12 * pow(2.5, j));
    }
    free(a), free(v), free(x), free(y);
}

/* Moments of SLQ against tr(A^k)/n within 4 Monte-Carlo standard errors (Hutchinson's bound
 * Var[v^T B v] <= 2 ||B||_F^2 / n^2 per start), for both reorthogonalisation modes; extreme Ritz
 * values against the extreme eigenvalues. */
static void check_moments(rmtk_matvec_fn mv, void *op, const double *ev, int64_t n, int reorth,
                          int64_t m, double edge_tol)
{
    rmtk_lanczos_params p = rmtk_lanczos_params_default();
    p.steps = m;
    p.starts = 16;
    p.reorth = reorth;
    p.seed = 3;
    size_t cnt = (size_t)(p.starts * m);
    double *nodes = malloc(cnt * sizeof *nodes), *w = malloc(cnt * sizeof *w);
    rmtk_slq_info info;
    CHECK_OK(rmtk_slq_density(mv, op, n, &p, nodes, w, &info));
    CHECK(info.nodes_per_start == m);
    double total = 0.0;
    for (size_t i = 0; i < cnt; i++)
        total += w[i];
    CHECK_NEAR(total, 1.0, 1e-12);
    for (int k = 1; k <= 6; k++) {
        double exact = 0.0, fro2 = 0.0;
        for (int64_t i = 0; i < n; i++) {
            exact += pow(ev[i], k) / (double)n;
            fro2 += pow(ev[i], 2 * k);
        }
        double bound = sqrt(2.0 * fro2) / (double)n / sqrt((double)p.starts);
        double mean, se;
        CHECK_OK(rmtk_slq_moment(nodes, w, m, p.starts, k, &mean, &se));
        CHECK(fabs(mean - exact) <= 4.0 * bound);
        CHECK(se <= 2.0 * bound * 1.0001 + 1e-300);
    }
    CHECK_NEAR(info.lambda_max, ev[n - 1], edge_tol * fabs(ev[n - 1]));
    CHECK_NEAR(info.lambda_min, ev[0], edge_tol * fmax(fabs(ev[0]), 1.0));
    CHECK(info.lambda_max <= ev[n - 1] * (1 + 1e-12) + 1e-12);
    free(nodes), free(w);
}

static void test_slq_goe(void)
{
    int64_t n = 600;
    double *a = goe(n, 21), *ev = eigenvalues(a, n);
    dense_op op = {a, n};
    check_moments(dense_mv, &op, ev, n, RMTK_REORTH_FULL, 80, 2e-3);
    check_moments(dense_mv, &op, ev, n, RMTK_REORTH_NONE, 80, 2e-3);
    free(a), free(ev);
}

static void test_slq_wishart_operator(void)
{
    /* W^T W / r with W r x n Gaussian, never formed: MP with ratio n/r = 0.5 */
    int64_t r = 800, n = 400;
    double *w = malloc((size_t)(r * n) * sizeof *w), *g = calloc((size_t)(n * n), sizeof *g);
    rmtk_rng_fill_normal(9, 0, 0, w, (size_t)(r * n));
    for (int64_t i = 0; i < r * n; i++)
        w[i] /= sqrt((double)r);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            for (int64_t l = 0; l < r; l++)
                g[i * n + j] += w[l * n + i] * w[l * n + j];
    double *ev = eigenvalues(g, n);
    double *tmp = malloc((size_t)r * sizeof *tmp);
    gram_op op = {w, r, n, tmp};
    check_moments(gram_mv, &op, ev, n, RMTK_REORTH_FULL, 100, 1e-6);
    free(w), free(g), free(ev), free(tmp);
}

/* A spiked GOE, A = G + theta e e^T with theta = 4: the top eigenvalue, an outlier near
 * theta + 1/theta = 4.25 (BBP), is found by the largest Ritz value to 1e-10. */
static void test_spiked_outlier(void)
{
    int64_t n = 500;
    double *a = goe(n, 31);
    for (int64_t i = 0; i < n; i++)
        for (int64_t j = 0; j < n; j++)
            a[i * n + j] += 4.0 / (double)n;
    double *ev = eigenvalues(a, n);
    CHECK_NEAR(ev[n - 1], 4.25, 0.15);
    dense_op op = {a, n};
    rmtk_lanczos_params p = rmtk_lanczos_params_default();
    p.steps = 60;
    p.starts = 2;
    double nodes[120], w[120];
    rmtk_slq_info info;
    CHECK_OK(rmtk_slq_density(dense_mv, &op, n, &p, nodes, w, &info));
    CHECK_NEAR(info.lambda_max, ev[n - 1], 1e-10 * ev[n - 1]);
    /* its weight: the squared overlap of the start with the spike's eigenvector, ~ 1/n each */
    double smooth_x[401], dens[401], integral = 0.0;
    for (int i = 0; i <= 400; i++)
        smooth_x[i] = -4.0 + 10.0 * i / 400.0;
    CHECK_OK(rmtk_slq_smooth(nodes, w, 120, 0.1, smooth_x, 401, dens));
    for (int i = 0; i < 400; i++)
        integral += 0.5 * (dens[i] + dens[i + 1]) * (10.0 / 400.0);
    CHECK_NEAR(integral, 1.0, 1e-6);
    free(a), free(ev);
}

static void test_errors(void)
{
    double al[4], be[4], x[4] = {0, 0, 0, 0};
    int64_t k;
    rmtk_lanczos_params p = rmtk_lanczos_params_default();
    p.steps = 4;
    double a[16] = {1, 0, 0, 0, 0, 2, 0, 0, 0, 0, 3, 0, 0, 0, 0, 4};
    dense_op op = {a, 4};
    CHECK_STATUS(rmtk_lanczos(NULL, &op, 4, NULL, &p, al, be, &k), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_lanczos(dense_mv, &op, 0, NULL, &p, al, be, &k), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_lanczos(dense_mv, &op, 4, x, &p, al, be, &k), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_lanczos(failing_mv, &op, 4, NULL, &p, al, be, &k), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_lanczos(nan_mv, &op, 4, NULL, &p, al, be, &k), RMTK_ERR_NUMERIC);
    p.reorth = 7;
    CHECK_STATUS(rmtk_lanczos(dense_mv, &op, 4, NULL, &p, al, be, &k), RMTK_ERR_ARG);
    p.reorth = RMTK_REORTH_FULL;
    p.steps = 0;
    CHECK_STATUS(rmtk_lanczos(dense_mv, &op, 4, NULL, &p, al, be, &k), RMTK_ERR_ARG);
    /* an invariant subspace: a start in span(e1, e2) stops after 2 steps */
    p.steps = 4;
    double q1[4] = {1, 1, 0, 0};
    CHECK_OK(rmtk_lanczos(dense_mv, &op, 4, q1, &p, al, be, &k));
    CHECK(k == 2);
    double s[3] = {0, 1, 2};
    double d[3];
    CHECK_STATUS(rmtk_slq_smooth(s, s, 3, 0.0, s, 3, d), RMTK_ERR_ARG);
}

int main(void)
{
    RUN(test_full_tridiagonalisation);
    RUN(test_quadrature_exactness);
    RUN(test_slq_goe);
    RUN(test_slq_wishart_operator);
    RUN(test_spiked_outlier);
    RUN(test_errors);
    return harness_done();
}
