/*
 * test-layers.c: layer extraction and matrix views. The matrices of stacks, convolution kernels
 * (flattened and per-position slices), 5-D tensors and Fortran-ordered arrays must equal numpy's
 * reshapes/slices of the same arrays (tests/data/gen-readers.py, layers_good.txt) exactly, read
 * through strided views without copies; the skip rules must give the documented reasons with
 * the values; include/exclude regexes filter by name; bad parameters are rejected.
 */
#include "harness.h"

#include <stdint.h>

static int same(double a, double b)
{
    return (isnan(a) && isnan(b)) || (a == b && signbit(a) == signbit(b));
}

static int find_entry(const rmtk_layers *l, const char *name, rmtk_matrix_entry *e)
{
    for (size_t i = 0; i < rmtk_layers_count(l); i++)
        if (rmtk_layers_get(l, i, e) == RMTK_OK && strcmp(e->name, name) == 0)
            return 1;
    return 0;
}

static void test_matrices_vs_numpy(void)
{
    FILE *mf = fopen(harness_data("layers_good.txt"), "r");
    CHECK(mf != NULL);
    if (!mf)
        return;
    char line[2048], path[4096];
    int cases = 0;
    while (fgets(line, sizeof line, mf)) {
        char *f[8];
        if (harness_split(line, f, 8) != 6)
            continue;
        snprintf(path, sizeof path, "%s", harness_data(f[0]));
        rmtk_model *m = NULL;
        CHECK_OK(rmtk_model_open(path, &m));
        rmtk_extract_params p = rmtk_extract_params_default();
        p.conv_mode = strcmp(f[1], "slices") == 0 ? RMTK_CONV_SLICES : RMTK_CONV_FLATTEN;
        rmtk_layers *l = NULL;
        CHECK_OK(rmtk_layers_alloc(m, &p, &l));
        rmtk_matrix_entry e;
        int found = l && find_entry(l, f[2], &e);
        if (!found)
            fprintf(stderr, "%s: no entry %s\n", f[0], f[2]);
        CHECK(found);
        if (found) {
            CHECK(e.skip == RMTK_SKIP_NONE && e.reason[0] == '\0');
            CHECK(e.rows == strtol(f[3], NULL, 10) && e.cols == strtol(f[4], NULL, 10));
            rmtk_matrix_view v;
            CHECK_OK(rmtk_layers_view(m, &e, &v));
            size_t n = 0;
            double *want = harness_read_f64(harness_data(f[5]), &n);
            double *got = malloc((size_t)(e.rows * e.cols) * sizeof *got);
            CHECK(want && n == (size_t)(e.rows * e.cols));
            CHECK_OK(rmtk_matrix_to_double(v, got));
            size_t bad = 0;
            for (size_t i = 0; want && i < n; i++)
                bad += !same(got[i], want[i]);
            if (bad)
                fprintf(stderr, "%s %s (%s): %zu values differ from numpy\n", f[0], f[2], f[1],
                        bad);
            CHECK(bad == 0);
            free(want);
            free(got);
            cases++;
        }
        rmtk_layers_free(l);
        rmtk_model_close(m);
    }
    fclose(mf);
    CHECK(cases >= 30);
}

/* The entry of tensor `name` (first one) must have this skip kind and reason. */
static void expect_skip(const rmtk_layers *l, const char *name, int skip, const char *reason)
{
    rmtk_matrix_entry e;
    int found = find_entry(l, name, &e);
    CHECK(found);
    if (!found)
        return;
    if (e.skip != skip || strcmp(e.reason, reason) != 0)
        fprintf(stderr, "%s: skip %d reason \"%s\", expected %d \"%s\"\n", name, e.skip, e.reason,
                skip, reason);
    CHECK(e.skip == skip);
    CHECK(strcmp(e.reason, reason) == 0);
}

static void test_rules(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("readers/basic.safetensors"), &m));
    rmtk_extract_params p = rmtk_extract_params_default();
    CHECK(p.min_side == 10 && p.conv_mode == RMTK_CONV_FLATTEN && !p.include && !p.exclude);
    rmtk_layers *l = NULL;
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    /* 24 tensors, the 3-D stack gives 3 matrices */
    CHECK(rmtk_layers_count(l) == 26);
    expect_skip(l, "bias", RMTK_SKIP_NDIM, "1-D tensor [20]");
    expect_skip(l, "scalar", RMTK_SKIP_NDIM, "scalar (0-D tensor)");
    expect_skip(l, "empty", RMTK_SKIP_EMPTY, "empty: dimension 0 has size 0 (shape [0, 5])");
    expect_skip(l, "row", RMTK_SKIP_SMALL,
                "min side 1 < min_side 10 (matrix 1 x 50 of shape [1, 50])");
    expect_skip(l, "col", RMTK_SKIP_SMALL,
                "min side 1 < min_side 10 (matrix 50 x 1 of shape [50, 1])");
    expect_skip(l, "mask", RMTK_SKIP_DTYPE, "dtype BOOL is not numeric");
    expect_skip(l, "odd", RMTK_SKIP_DTYPE, "dtype OTHER ('F8_E8M0') is not numeric");
    expect_skip(l, "w_f32", RMTK_SKIP_NONE, "");
    rmtk_matrix_entry e;
    CHECK(find_entry(l, "conv", &e) && e.rows == 16 && e.cols == 108 && e.slice == -1);
    CHECK(find_entry(l, "five", &e) && e.rows == 11 && e.cols == 24);
    CHECK(find_entry(l, "stack[2]", &e) && e.rows == 12 && e.cols == 14 && e.slice == 2);
    CHECK(!find_entry(l, "stack", &e));
    CHECK(find_entry(l, "w_bf16", &e) && e.dtype == RMTK_DTYPE_BF16);
    size_t ti;
    CHECK_OK(rmtk_model_find(m, "w_bf16", &ti));
    CHECK(e.tensor == ti);
    /* a view of a skipped entry is an error */
    rmtk_matrix_view v;
    CHECK(find_entry(l, "bias", &e));
    CHECK_STATUS(rmtk_layers_view(m, &e, &v), RMTK_ERR_ARG);
    CHECK(strstr(rmtk_model_errmsg(m), "bias") != NULL);
    CHECK_STATUS(rmtk_layers_get(l, 26, &e), RMTK_ERR_NOTFOUND);
    rmtk_layers_free(l);

    /* slices: the kernel gives kh*kw = 9 matrices (out, in) */
    p.conv_mode = RMTK_CONV_SLICES;
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    CHECK(rmtk_layers_count(l) == 34);
    CHECK(find_entry(l, "conv[8]", &e) && e.rows == 16 && e.cols == 12 && e.slice == 8);
    rmtk_matrix_view vs;
    CHECK_OK(rmtk_layers_view(m, &e, &vs));
    rmtk_layers_free(l);

    /* pooled: one entry for the kernel, pooled = 9; its slice k views as the slices entry */
    p.conv_mode = RMTK_CONV_POOLED;
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    CHECK(rmtk_layers_count(l) == 26);
    CHECK(find_entry(l, "conv", &e) && e.rows == 16 && e.cols == 12 && e.slice == -1 &&
          e.pooled == 9);
    rmtk_matrix_view vp;
    CHECK_STATUS(rmtk_layers_view(m, &e, &vp), RMTK_ERR_ARG);
    CHECK(strstr(rmtk_model_errmsg(m), "pools 9 kernel slices") != NULL);
    e.slice = 8;
    CHECK_OK(rmtk_layers_view(m, &e, &vp));
    CHECK(vp.data == vs.data && vp.row_stride == vs.row_stride &&
          vp.col_stride == vs.col_stride && vp.rows == 16 && vp.cols == 12);
    CHECK(find_entry(l, "w_f32", &e) && e.pooled == 0);
    rmtk_layers_free(l);

    /* min_side */
    p = rmtk_extract_params_default();
    p.min_side = 13;
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    expect_skip(l, "w_f64", RMTK_SKIP_SMALL,
                "min side 12 < min_side 13 (matrix 12 x 15 of shape [12, 15])");
    expect_skip(l, "stack", RMTK_SKIP_SMALL,
                "min side 12 < min_side 13 (matrices 12 x 14 of shape [3, 12, 14]); if it is "
                "a Conv1d kernel [out, in, k], --stack3d conv reads it as one (out, in*k) "
                "matrix");
    expect_skip(l, "w_f16", RMTK_SKIP_SMALL,
                "min side 11 < min_side 13 (matrix 16 x 11 of shape [16, 11])");
    expect_skip(l, "w_f32", RMTK_SKIP_NONE, "");
    rmtk_layers_free(l);

    /* include / exclude */
    p = rmtk_extract_params_default();
    p.include = "^w_";
    p.exclude = "f16$";
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    expect_skip(l, "w_f32", RMTK_SKIP_NONE, "");
    expect_skip(l, "w_bf16", RMTK_SKIP_FILTER, "name matches --exclude 'f16$'");
    expect_skip(l, "w_f16", RMTK_SKIP_FILTER, "name matches --exclude 'f16$'");
    expect_skip(l, "tall", RMTK_SKIP_FILTER, "name does not match --include '^w_'");
    expect_skip(l, "bias", RMTK_SKIP_FILTER, "name does not match --include '^w_'");
    int analysed = 0;
    for (size_t i = 0; i < rmtk_layers_count(l); i++)
        analysed += rmtk_layers_get(l, i, &e) == RMTK_OK && e.skip == RMTK_SKIP_NONE;
    CHECK(analysed == 2); /* w_f32, w_f64 */
    rmtk_layers_free(l);

    /* bad parameters */
    p = rmtk_extract_params_default();
    p.include = "(unclosed";
    CHECK_STATUS(rmtk_layers_alloc(m, &p, &l), RMTK_ERR_ARG);
    CHECK(l == NULL);
    CHECK(strstr(rmtk_model_errmsg(m), "--include") && strstr(rmtk_model_errmsg(m), "(unclosed"));
    p = rmtk_extract_params_default();
    p.exclude = "a{2,1}";
    CHECK_STATUS(rmtk_layers_alloc(m, &p, &l), RMTK_ERR_ARG);
    CHECK(strstr(rmtk_model_errmsg(m), "--exclude") != NULL);
    p = rmtk_extract_params_default();
    p.conv_mode = 7;
    CHECK_STATUS(rmtk_layers_alloc(m, &p, &l), RMTK_ERR_ARG);
    p = rmtk_extract_params_default();
    p.min_side = -1;
    CHECK_STATUS(rmtk_layers_alloc(m, &p, &l), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_layers_alloc(NULL, &p, &l), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_layers_alloc(m, &p, NULL), RMTK_ERR_ARG);
    rmtk_layers_free(NULL);
    CHECK(rmtk_layers_count(NULL) == 0);
    rmtk_model_close(m);
}

/* Views of Fortran-ordered data use the file's bytes in place: column-major strides. */
static void test_fortran_views(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("readers/f_f8.npy"), &m));
    rmtk_layers *l = NULL;
    CHECK_OK(rmtk_layers_alloc(m, NULL, &l));
    rmtk_matrix_entry e;
    CHECK_OK(rmtk_layers_get(l, 0, &e));
    rmtk_matrix_view v;
    CHECK_OK(rmtk_layers_view(m, &e, &v));
    CHECK(v.rows == 13 && v.cols == 17 && v.row_stride == 1 && v.col_stride == 13);
    const void *data;
    CHECK_OK(rmtk_model_map(m, 0, &data));
    CHECK(data == v.data); /* the same mapping: no copy was made */
    rmtk_layers_free(l);
    rmtk_model_close(m);

    CHECK_OK(rmtk_model_open(harness_data("readers/f3d.npy"), &m));
    rmtk_extract_params p = rmtk_extract_params_default();
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    CHECK(find_entry(l, "f3d[1]", &e));
    CHECK_OK(rmtk_layers_view(m, &e, &v));
    CHECK(v.row_stride == 3 && v.col_stride == 36);
    rmtk_layers_free(l);
    rmtk_model_close(m);
}

/* rmtk_matrix_to_double on hand-made views: every stride pattern and byte order. */
static void test_to_double(void)
{
    /* a 3 x 4 matrix A(i, j) = 10 i + j - 5 stored as big-endian int16 in three layouts */
    int16_t vals[3][4];
    unsigned char rowmaj[24], colmaj[24], odd[2 * 64];
    memset(odd, 0xee, sizeof odd);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 4; j++) {
            vals[i][j] = (int16_t)(10 * i + j - 5);
            uint16_t u = (uint16_t)vals[i][j];
            int r = i * 4 + j, c = j * 3 + i, o = 2 * i + 7 * j; /* odd strides (2, 7) */
            rowmaj[2 * r] = (unsigned char)(u >> 8), rowmaj[2 * r + 1] = (unsigned char)u;
            colmaj[2 * c] = (unsigned char)(u >> 8), colmaj[2 * c + 1] = (unsigned char)u;
            odd[2 * o] = (unsigned char)(u >> 8), odd[2 * o + 1] = (unsigned char)u;
        }
    rmtk_matrix_view views[3] = {
        {rowmaj, 3, 4, 4, 1, RMTK_DTYPE_I16, 1, 0, 0},
        {colmaj, 3, 4, 1, 3, RMTK_DTYPE_I16, 1, 0, 0},
        {odd, 3, 4, 2, 7, RMTK_DTYPE_I16, 1, 0, 0},
    };
    for (int k = 0; k < 3; k++) {
        double d[12];
        CHECK_OK(rmtk_matrix_to_double(views[k], d));
        int ok = 1;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++)
                ok &= d[i * 4 + j] == vals[i][j];
        CHECK(ok);
    }
    /* a transposed view of the row-major data (row stride 1, column stride 4): A^T */
    rmtk_matrix_view t = {rowmaj, 4, 3, 1, 4, RMTK_DTYPE_I16, 1, 0, 0};
    double d[12];
    CHECK_OK(rmtk_matrix_to_double(t, d));
    int ok = 1;
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++)
            ok &= d[i * 3 + j] == vals[j][i];
    CHECK(ok);
    /* a tall column-major view longer than the conversion block (700 x 2, f32) */
    float *col = malloc(1400 * sizeof *col);
    for (int i = 0; i < 1400; i++)
        col[i] = (float)i * 0.5f;
    rmtk_matrix_view c = {col, 700, 2, 1, 700, RMTK_DTYPE_F32, 0, 0, 0};
    double *dc = malloc(1400 * sizeof *dc);
    CHECK_OK(rmtk_matrix_to_double(c, dc));
    ok = 1;
    for (int i = 0; i < 700; i++)
        ok &= dc[2 * i] == i * 0.5 && dc[2 * i + 1] == (700 + i) * 0.5;
    CHECK(ok);
    free(col);
    free(dc);
    /* errors */
    unsigned char b[4] = {0};
    rmtk_matrix_view bv = {b, 2, 2, 2, 1, RMTK_DTYPE_BOOL, 0, 0, 0};
    CHECK_STATUS(rmtk_matrix_to_double(bv, d), RMTK_ERR_UNSUPPORTED);
    CHECK_STATUS(rmtk_matrix_to_double(views[0], NULL), RMTK_ERR_ARG);
    rmtk_matrix_view nv = {NULL, 2, 2, 2, 1, RMTK_DTYPE_F32, 0, 0, 0};
    CHECK_STATUS(rmtk_matrix_to_double(nv, d), RMTK_ERR_ARG);
    rmtk_matrix_view neg = {b, -1, 2, 2, 1, RMTK_DTYPE_U8, 0, 0, 0};
    CHECK_STATUS(rmtk_matrix_to_double(neg, d), RMTK_ERR_ARG);
}

/* Row groups: the q rows of a head-interleaved [heads][3][hd][d] projection (GPT-NeoX), as a
 * view, against the rows gathered by hand; the spectrum of the view equals that of the
 * gathered copy (two routes: rmtk_matrix_to_double and the spectrum engine's own loader). */
static void test_row_groups(void)
{
    enum { H = 3, HD = 4, D = 12 };
    double w[H * 3 * HD * D], q[H * HD * D], out[H * HD * D];
    for (int i = 0; i < H * 3 * HD * D; i++)
        w[i] = (double)((i * 37) % 101) - 50.0 + 0.25 * (i % 7);
    for (int part = 0; part < 3; part++) {
        for (int h = 0; h < H; h++)
            for (int r = 0; r < HD; r++)
                for (int j = 0; j < D; j++)
                    q[(h * HD + r) * D + j] = w[((h * 3 + part) * HD + r) * D + j];
        rmtk_matrix_view v = {w + part * HD * D, H * HD, D, D, 1, RMTK_DTYPE_F64, 0, HD,
                              3 * HD * D};
        CHECK_OK(rmtk_matrix_to_double(v, out));
        CHECK(memcmp(out, q, sizeof q) == 0);
        rmtk_matrix_view g = {q, H * HD, D, D, 1, RMTK_DTYPE_F64, 0, 0, 0};
        rmtk_spectrum_plan *pl = NULL;
        rmtk_spectrum_params sp = rmtk_spectrum_params_default();
        sp.method = RMTK_SPECTRUM_SVD;
        CHECK_OK(rmtk_spectrum_plan_alloc(H * HD, D, &sp, &pl));
        double s1[D], s2[D];
        CHECK_OK(rmtk_spectrum_execute(pl, v, s1, NULL, NULL, NULL));
        CHECK_OK(rmtk_spectrum_execute(pl, g, s2, NULL, NULL, NULL));
        CHECK(memcmp(s1, s2, sizeof s1) == 0);
        rmtk_spectrum_plan_free(pl);
    }
    rmtk_matrix_view bad = {w, 2, 2, 2, 1, RMTK_DTYPE_F64, 0, -1, 0};
    CHECK_STATUS(rmtk_matrix_to_double(bad, out), RMTK_ERR_ARG);
}

int main(void)
{
    RUN(test_matrices_vs_numpy);
    RUN(test_row_groups);
    RUN(test_rules);
    RUN(test_fortran_views);
    RUN(test_to_double);
    return harness_done();
}
