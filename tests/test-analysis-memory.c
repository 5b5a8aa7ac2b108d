/*
 * test-analysis-memory.c: caller-owned tensors and matrices (rmtk_analysis_add_tensor,
 * rmtk_analysis_add_matrix, src/analysis/analysis-memory.c). Oracle: the same tensors written
 * to a safetensors file (rmtk_safetensors_writer) and analysed through rmtk_model_open must give
 * the same entries, skip reasons and statistics bit for bit; strided views of a matrix give its
 * singular values; every error path and every allocation failure is reported, never a crash.
 */
#include "harness.h"
#include "rmtk.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { R2 = 60, C2 = 40, S3 = 3, R3 = 30, C3 = 20, O4 = 16, I4 = 12, K4 = 3, NB = 60 };

static float w2[R2 * C2], w4[O4 * I4 * K4 * K4], bias[NB];
static double w3[S3 * R3 * C3];

static void fill(void)
{
    rmtk_rng r;
    rmtk_rng_init(&r, 7, 0);
    for (size_t i = 0; i < R2 * C2; i++)
        w2[i] = (float)rmtk_rng_normal(&r);
    for (size_t i = 0; i < S3 * R3 * C3; i++)
        w3[i] = rmtk_rng_normal(&r);
    for (size_t i = 0; i < O4 * I4 * K4 * K4; i++)
        w4[i] = (float)rmtk_rng_normal(&r);
    for (size_t i = 0; i < NB; i++)
        bias[i] = (float)i;
}

static const int64_t sh2[] = {R2, C2}, sh3[] = {S3, R3, C3}, sh4[] = {O4, I4, K4, K4},
                     shb[] = {NB};

static int write_file(const char *path)
{
    rmtk_safetensors_writer *w = NULL;
    size_t i2, i3, i4, ib;
    int st = rmtk_safetensors_writer_alloc(path, &w);
    if (!st)
        st = rmtk_safetensors_writer_add(w, "a.weight", RMTK_DTYPE_F32, 2, sh2, &i2);
    if (!st)
        st = rmtk_safetensors_writer_add(w, "a.bias", RMTK_DTYPE_F32, 1, shb, &ib);
    if (!st)
        st = rmtk_safetensors_writer_add(w, "b.experts", RMTK_DTYPE_F64, 3, sh3, &i3);
    if (!st)
        st = rmtk_safetensors_writer_add(w, "c.conv", RMTK_DTYPE_F32, 4, sh4, &i4);
    if (!st)
        st = rmtk_safetensors_writer_begin(w);
    if (!st)
        st = rmtk_safetensors_writer_put(w, i2, 0, w2, sizeof w2);
    if (!st)
        st = rmtk_safetensors_writer_put(w, ib, 0, bias, sizeof bias);
    if (!st)
        st = rmtk_safetensors_writer_put(w, i3, 0, w3, sizeof w3);
    if (!st)
        st = rmtk_safetensors_writer_put(w, i4, 0, w4, sizeof w4);
    if (!st)
        st = rmtk_safetensors_writer_commit(w);
    rmtk_safetensors_writer_free(w);
    return st;
}

/* The four tensors added from memory in the file's order (the file lists them by name). */
static int add_memory(rmtk_analysis *a)
{
    int st = rmtk_analysis_add_tensor(a, "a.bias", bias, RMTK_DTYPE_F32, 1, shb, NULL);
    if (!st)
        st = rmtk_analysis_add_tensor(a, "a.weight", w2, RMTK_DTYPE_F32, 2, sh2, NULL);
    if (!st)
        st = rmtk_analysis_add_tensor(a, "b.experts", w3, RMTK_DTYPE_F64, 3, sh3, NULL);
    if (!st)
        st = rmtk_analysis_add_tensor(a, "c.conv", w4, RMTK_DTYPE_F32, 4, sh4, NULL);
    return st;
}

static rmtk_analysis_params params(int conv)
{
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.threads = 1;
    p.extract.conv_mode = conv;
    p.levels.brody_boot = 20;
    return p;
}

static void test_same_as_file(void)
{
    char path[] = "/tmp/rmtk-test-memory-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_OK(write_file(path));
    for (int conv = 0; conv < 2; conv++) {
        rmtk_analysis_params p = params(conv);
        rmtk_analysis *af = NULL, *am = NULL;
        rmtk_model *m = NULL;
        CHECK_OK(rmtk_analysis_alloc(&p, &af));
        CHECK_OK(rmtk_analysis_alloc(&p, &am));
        CHECK_OK(rmtk_model_open(path, &m));
        CHECK_OK(rmtk_analysis_add_model(af, m, path));
        CHECK_OK(add_memory(am));
        CHECK_OK(rmtk_analysis_run(af, NULL, NULL));
        CHECK_OK(rmtk_analysis_run(am, NULL, NULL));
        size_t n = rmtk_analysis_count(af), nc = rmtk_analysis_column_count(af), same = 0;
        CHECK(n == rmtk_analysis_count(am));
        CHECK(n == (conv ? 1 + 1 + 3 + 9u : 1 + 1 + 3 + 1u));
        for (size_t i = 0; i < n && i < rmtk_analysis_count(am); i++) {
            rmtk_analysis_row rf, rm;
            size_t j = 0; /* the file's entry of the same name (the file has its own order) */
            rmtk_analysis_row_get(am, i, &rm);
            for (; j < n; j++) {
                rmtk_analysis_row_get(af, j, &rf);
                if (strcmp(rf.name, rm.name) == 0)
                    break;
            }
            CHECK(j < n);
            if (j == n)
                continue;
            CHECK(strcmp(rf.status, rm.status) == 0);
            CHECK(strcmp(rf.reason, rm.reason) == 0 && strcmp(rf.dtype, rm.dtype) == 0);
            CHECK(rf.skip == rm.skip);
            if (rf.skip != RMTK_SKIP_NONE)
                continue;
            CHECK(rf.rows == rm.rows && rf.cols == rm.cols);
            for (size_t c = 0; c < nc; c++) {
                double x = rmtk_analysis_value(af, j, c), y = rmtk_analysis_value(am, i, c);
                same += (x == y) || (isnan(x) && isnan(y));
            }
        }
        /* every statistic of every analysed matrix, bit for bit */
        size_t analysed = n - 1;
        CHECK(same == analysed * nc);
        rmtk_analysis_free(af);
        rmtk_analysis_free(am);
        rmtk_model_close(m);
    }
    unlink(path);
}

/* A column-major view (the transpose read in place) and a strided sub-block have the singular
 * values of the same matrix as a contiguous copy. */
static void test_strided_views(void)
{
    enum { R = 50, C = 70 };
    static double a[R * C], t[C * R], sub[25 * 70];
    rmtk_rng r;
    rmtk_rng_init(&r, 3, 1);
    for (size_t i = 0; i < R * C; i++)
        a[i] = rmtk_rng_normal(&r);
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++)
            t[j * R + i] = a[i * C + j];
    for (int i = 0; i < 25; i++)
        memcpy(sub + i * 70, a + (2 * i) * C, 70 * sizeof(double));
    rmtk_analysis_params p = params(0);
    p.stats = RMTK_STATS_BASIC;
    rmtk_analysis *an = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &an));
    rmtk_matrix_view vt = {a, C, R, 1, C, RMTK_DTYPE_F64, 0, 0, 0};     /* a^T in place */
    rmtk_matrix_view vc = {t, C, R, R, 1, RMTK_DTYPE_F64, 0, 0, 0};     /* a^T copied */
    rmtk_matrix_view vs = {a, 25, 70, 2 * C, 1, RMTK_DTYPE_F64, 0, 0, 0}; /* every other row */
    rmtk_matrix_view vsc = {sub, 25, 70, 70, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_analysis_add_matrix(an, "t", vt));
    CHECK_OK(rmtk_analysis_add_matrix(an, "tc", vc));
    CHECK_OK(rmtk_analysis_add_matrix(an, "s", vs));
    CHECK_OK(rmtk_analysis_add_matrix(an, "sc", vsc));
    rmtk_matrix_view small = {a, 5, 70, C, 1, RMTK_DTYPE_F64, 0, 0, 0};
    CHECK_OK(rmtk_analysis_add_matrix(an, "small", small));
    CHECK_OK(rmtk_analysis_run(an, NULL, NULL));
    const double *x, *y;
    size_t nx, ny;
    for (size_t k = 0; k < 4; k += 2) {
        CHECK_OK(rmtk_analysis_array(an, k, "singular_values", &x, &nx));
        CHECK_OK(rmtk_analysis_array(an, k + 1, "singular_values", &y, &ny));
        CHECK(nx == ny && nx == (k ? 25u : 50u));
        for (size_t i = 0; i < nx && i < ny; i++)
            CHECK_REL(x[i], y[i], 1e-13);
    }
    rmtk_analysis_row row;
    CHECK_OK(rmtk_analysis_row_get(an, 4, &row));
    CHECK(row.skip == RMTK_SKIP_SMALL && strstr(row.reason, "min side 5 < min_side 10"));
    rmtk_analysis_free(an);
}

static void test_errors(void)
{
    rmtk_analysis_params p = params(0);
    rmtk_analysis *an = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &an));
    rmtk_matrix_view v = {w2, R2, C2, C2, 1, RMTK_DTYPE_F32, 0, 0, 0};
    CHECK_STATUS(rmtk_analysis_add_matrix(NULL, "x", v), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_analysis_add_matrix(an, NULL, v), RMTK_ERR_ARG);
    rmtk_matrix_view nod = v;
    nod.data = NULL;
    CHECK_STATUS(rmtk_analysis_add_matrix(an, "x", nod), RMTK_ERR_ARG);
    rmtk_matrix_view neg = v;
    neg.row_stride = -C2;
    CHECK_STATUS(rmtk_analysis_add_matrix(an, "x", neg), RMTK_ERR_UNSUPPORTED);
    CHECK(strstr(rmtk_analysis_errmsg(an), "negative strides") != NULL);
    /* a 4-D kernel in channels-last memory cannot be flattened in place */
    int64_t cl[] = {I4 * K4 * K4, 1, K4 * I4, I4};
    CHECK_STATUS(rmtk_analysis_add_tensor(an, "k", w4, RMTK_DTYPE_F32, 4, sh4, cl),
                 RMTK_ERR_UNSUPPORTED);
    CHECK(strstr(rmtk_analysis_errmsg(an), "k: dimensions 1..3 do not collapse") != NULL);
    int64_t negs[] = {-1, 1};
    CHECK_STATUS(rmtk_analysis_add_tensor(an, "n", w2, RMTK_DTYPE_F32, 2, sh2, negs),
                 RMTK_ERR_UNSUPPORTED);
    CHECK_STATUS(rmtk_analysis_add_tensor(an, "q", w2, RMTK_DTYPE_Q4_0, 2, sh2, NULL),
                 RMTK_ERR_UNSUPPORTED);
    CHECK_STATUS(rmtk_analysis_add_tensor(an, "d", w2, RMTK_DTYPE_F32, 9, sh2, NULL),
                 RMTK_ERR_ARG);
    /* skipped tensors need no data: a bool mask, a scalar */
    CHECK_OK(rmtk_analysis_add_tensor(an, "mask", NULL, RMTK_DTYPE_BOOL, 2, sh2, NULL));
    CHECK_OK(rmtk_analysis_add_tensor(an, "scale", NULL, RMTK_DTYPE_F32, 0, NULL, NULL));
    CHECK(rmtk_analysis_count(an) == 2);
    rmtk_analysis_row row;
    CHECK_OK(rmtk_analysis_row_get(an, 0, &row));
    CHECK(row.skip == RMTK_SKIP_DTYPE && strcmp(row.reason, "dtype BOOL is not numeric") == 0);
    CHECK_OK(rmtk_analysis_row_get(an, 1, &row));
    CHECK(row.skip == RMTK_SKIP_NDIM && strcmp(row.reason, "scalar (0-D tensor)") == 0);
    rmtk_analysis_free(an);
    p.extract.include = "(";
    CHECK_OK(rmtk_analysis_alloc(&p, &an));
    CHECK_STATUS(rmtk_analysis_add_tensor(an, "a", w2, RMTK_DTYPE_F32, 2, sh2, NULL),
                 RMTK_ERR_ARG);
    CHECK(strstr(rmtk_analysis_errmsg(an), "invalid regular expression") != NULL);
    rmtk_analysis_free(an);
}

typedef struct {
    const void *data;
    int fetched, released, fail;
} fetch_state;

static int fetch_cb(void *user, const void **data)
{
    fetch_state *f = user;
    f->fetched++;
    if (f->fail)
        return RMTK_ERR_IO;
    *data = f->data;
    return RMTK_OK;
}

static void release_cb(void *user)
{
    ((fetch_state *)user)->released++;
}

/* A tensor produced on demand: fetched once per analysed matrix during the run (never for a
 * skipped one, never before), released after each, the same numbers as the tensor in memory;
 * a failing fetch fails that matrix only. */
static void test_fetch(void)
{
    for (int threads = 1; threads <= 2; threads++) {
        rmtk_analysis_params p = params(1);
        p.threads = threads;
        rmtk_analysis *am = NULL, *af = NULL;
        CHECK_OK(rmtk_analysis_alloc(&p, &am));
        CHECK_OK(rmtk_analysis_alloc(&p, &af));
        CHECK_OK(add_memory(am));
        fetch_state fb = {bias, 0, 0, 0}, f2 = {w2, 0, 0, 0}, f3 = {w3, 0, 0, 0},
                    f4 = {w4, 0, 0, 0}, bad = {w2, 0, 0, 1};
        CHECK_OK(rmtk_analysis_add_tensor_fn(af, "a.bias", RMTK_DTYPE_F32, 1, shb, fetch_cb,
                                             release_cb, &fb));
        CHECK_OK(rmtk_analysis_add_tensor_fn(af, "a.weight", RMTK_DTYPE_F32, 2, sh2, fetch_cb,
                                             release_cb, &f2));
        CHECK_OK(rmtk_analysis_add_tensor_fn(af, "b.experts", RMTK_DTYPE_F64, 3, sh3, fetch_cb,
                                             release_cb, &f3));
        CHECK_OK(rmtk_analysis_add_tensor_fn(af, "c.conv", RMTK_DTYPE_F32, 4, sh4, fetch_cb,
                                             NULL, &f4));
        CHECK(f2.fetched == 0 && f3.fetched == 0);
        CHECK_OK(rmtk_analysis_run(am, NULL, NULL));
        CHECK_OK(rmtk_analysis_run(af, NULL, NULL));
        CHECK(fb.fetched == 0 && f2.fetched == 1 && f3.fetched == S3 && f4.fetched == K4 * K4);
        CHECK(f2.released == 1 && f3.released == S3 && f4.released == 0);
        size_t n = rmtk_analysis_count(am), nc = rmtk_analysis_column_count(am), same = 0;
        CHECK(n == rmtk_analysis_count(af));
        for (size_t i = 0; i < n; i++)
            for (size_t c = 0; c < nc; c++) {
                double x = rmtk_analysis_value(am, i, c), y = rmtk_analysis_value(af, i, c);
                same += (x == y) || (isnan(x) && isnan(y));
            }
        CHECK(same == n * nc);
        CHECK_OK(rmtk_analysis_add_tensor_fn(af, "bad", RMTK_DTYPE_F32, 2, sh2, fetch_cb,
                                             release_cb, &bad));
        CHECK_STATUS(rmtk_analysis_add_tensor_fn(af, "x", RMTK_DTYPE_F32, 2, sh2, NULL, NULL,
                                                 NULL), RMTK_ERR_ARG);
        rmtk_analysis_free(am);
        rmtk_analysis_free(af);
    }
    /* a failing fetch: that matrix is an error with a message, the others are computed */
    rmtk_analysis_params p = params(0);
    rmtk_analysis *a = NULL;
    fetch_state ok = {w2, 0, 0, 0}, bad = {w2, 0, 0, 1};
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    CHECK_OK(rmtk_analysis_add_tensor_fn(a, "bad", RMTK_DTYPE_F32, 2, sh2, fetch_cb, release_cb,
                                         &bad));
    CHECK_OK(rmtk_analysis_add_tensor_fn(a, "ok", RMTK_DTYPE_F32, 2, sh2, fetch_cb, release_cb,
                                         &ok));
    CHECK_STATUS(rmtk_analysis_run(a, NULL, NULL), RMTK_ERR_IO);
    rmtk_analysis_row row;
    CHECK_OK(rmtk_analysis_row_get(a, 0, &row));
    CHECK(strcmp(row.status, "error") == 0 && strstr(row.reason, "fetch callback") != NULL);
    CHECK(bad.released == 0);
    CHECK_OK(rmtk_analysis_row_get(a, 1, &row));
    CHECK(strcmp(row.status, "ok") == 0 && ok.released == 1);
    rmtk_analysis_free(a);
}

/* Every allocation of add_tensor, add_matrix and the run fails in turn: a status, no crash, no
 * leak (the sanitizer build checks), and the last attempt succeeds. */
static void test_nomem(void)
{
    int all = 1;
    uint64_t k;
    for (k = 1; k < 5000; k++) {
        rmtk_analysis_params p = params(1);
        p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP;
        rmtk_alloc_fail_after(k);
        rmtk_analysis *an = NULL;
        int st = rmtk_analysis_alloc(&p, &an);
        if (!st)
            st = add_memory(an);
        if (!st) {
            rmtk_matrix_view v = {w2, C2, R2, 1, C2, RMTK_DTYPE_F32, 0, 0, 0};
            st = rmtk_analysis_add_matrix(an, "t", v);
        }
        if (!st)
            st = rmtk_analysis_run(an, NULL, NULL);
        rmtk_analysis_free(an);
        rmtk_alloc_fail_after(0);
        if (st == RMTK_OK)
            break;
        all &= st == RMTK_ERR_NOMEM;
    }
    CHECK(all);
    CHECK(k > 10 && k < 5000);
}

/* Progress: one call per analysed matrix, counts 1..n in order, every name exactly once, even
 * when several workers finish between two wake-ups of the reporting thread. */
typedef struct {
    size_t calls, last, n;
    int order_ok, seen[64];
} progress_log;

static void on_progress(void *user, size_t done, size_t total, const char *name)
{
    progress_log *g = user;
    g->order_ok &= done == g->last + 1 && total == g->n;
    g->last = done;
    g->calls++;
    int i = -1;
    if (name && sscanf(name, "m%d", &i) == 1 && i >= 0 && i < 64)
        g->seen[i]++;
}

static void test_progress(void)
{
    enum { N = 48 };
    rmtk_analysis_params p = params(0);
    p.stats = RMTK_STATS_BASIC;
    p.threads = 4;
    rmtk_analysis *an = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &an));
    char name[16];
    for (int i = 0; i < N; i++) {
        rmtk_matrix_view v = {w2 + i, 12, 16, 16, 1, RMTK_DTYPE_F32, 0, 0, 0};
        snprintf(name, sizeof name, "m%d", i);
        CHECK_OK(rmtk_analysis_add_matrix(an, name, v));
    }
    progress_log g = {0, 0, N, 1, {0}};
    CHECK_OK(rmtk_analysis_run(an, on_progress, &g));
    CHECK(g.calls == N && g.last == N && g.order_ok);
    for (int i = 0; i < N; i++)
        CHECK(g.seen[i] == 1);
    rmtk_analysis_free(an);
}

int main(void)
{
    fill();
    RUN(test_same_as_file);
    RUN(test_strided_views);
    RUN(test_errors);
    RUN(test_fetch);
    RUN(test_nomem);
    RUN(test_progress);
    return harness_done();
}
