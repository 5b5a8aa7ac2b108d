/*
 * test-onnx.c: the ONNX reader (read-onnx.c, protobuf.c) against models written by Debian's
 * python3-onnx (tests/data/gen-onnx.py): every tensor of initializers in raw_data and in the
 * typed fields (float, double, float16, bfloat16, int8 ... uint64), Constant nodes, If and Loop
 * subgraphs (named by their node path), external data, and the layouts of MatMul / Gemm
 * (transB 0 and 1) weights, read back equal, bit for bit, to onnx.numpy_helper.to_array (as
 * rmtk presents them: [in, out] weights transposed to [out, in]). Opening reads no tensor bytes;
 * every hand-broken file fails with the expected status and a message naming what is wrong; an
 * allocation-failure sweep gives RMTK_ERR_NOMEM at every allocation.
 */
#include "harness-model.h"

static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void test_good_files(void)
{
    FILE *mf = fopen(harness_data("onnx_good.txt"), "r");
    CHECK(mf != NULL);
    if (!mf)
        return;
    char line[2048], path[4096];
    int cases = 0, transposed = 0;
    while (fgets(line, sizeof line, mf)) {
        char *f[8];
        if (harness_split(line, f, 8) != 6)
            continue;
        snprintf(path, sizeof path, "%s", harness_data(f[0]));
        rmtk_model *m = NULL;
        int st = rmtk_model_open(path, &m);
        if (st != RMTK_OK)
            fprintf(stderr, "open %s: %s\n", path, rmtk_model_errmsg(m));
        CHECK_OK(st);
        size_t idx = 0;
        rmtk_tensor_info ti;
        if (st == RMTK_OK && rmtk_model_find(m, f[1], &idx) == RMTK_OK &&
            rmtk_model_tensor_info(m, idx, &ti) == RMTK_OK) {
            CHECK(strcmp(rmtk_model_format(m), "onnx") == 0);
            if (strcmp(rmtk_dtype_name(ti.dtype), f[2]) != 0)
                fprintf(stderr, "%s %s: dtype %s, expected %s\n", f[0], f[1],
                        rmtk_dtype_name(ti.dtype), f[2]);
            CHECK(strcmp(rmtk_dtype_name(ti.dtype), f[2]) == 0);
            char shp[256] = "";
            size_t k = 0;
            for (int d = 0; d < ti.ndim; d++)
                k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", d ? "," : "",
                                      (long long)ti.shape[d]);
            if (strcmp(shp, f[3]) != 0)
                fprintf(stderr, "%s %s: shape %s, expected %s\n", f[0], f[1], shp, f[3]);
            CHECK(strcmp(shp, f[3]) == 0);
            const char *lay = ti.layout ? ti.layout : "-";
            if (strcmp(lay, f[4]) != 0)
                fprintf(stderr, "%s %s: layout %s, expected %s\n", f[0], f[1], lay, f[4]);
            CHECK(strcmp(lay, f[4]) == 0);
            transposed += ti.layout != NULL;
            CHECK(rmtk_model_bytes_read(m) == 0);
            if (strcmp(f[5], "-") != 0) {
                CHECK(ti.nbytes == ti.numel * rmtk_dtype_size(ti.dtype));
                size_t n = 0;
                double *want = harness_read_f64(harness_data(f[5]), &n);
                CHECK(want != NULL && n == ti.numel);
                double *got = malloc((ti.numel ? ti.numel : 1) * sizeof *got);
                CHECK_OK(rmtk_model_read_f64(m, idx, got, ti.numel));
                size_t bad = 0;
                for (size_t i = 0; want && i < n && i < ti.numel; i++)
                    bad += !same(got[i], want[i]);
                if (bad)
                    fprintf(stderr, "%s %s: %zu values differ from onnx\n", f[0], f[1], bad);
                CHECK(bad == 0);
                CHECK(rmtk_model_bytes_read(m) > 0 || ti.nbytes == 0);
                free(want);
                free(got);
            } else {
                double x[64];
                CHECK_STATUS(rmtk_model_read_f64(m, idx, x, 64), RMTK_ERR_UNSUPPORTED);
            }
            cases++;
        } else {
            fprintf(stderr, "%s: tensor %s not found\n", f[0], f[1]);
            CHECK(0);
        }
        rmtk_model_close(m);
    }
    fclose(mf);
    CHECK(cases >= 45);
    CHECK(transposed >= 6);
}

static void test_bad_files(void)
{
    CHECK(harness_bad_files("onnx_bad.txt") >= 20);
}

/* Details: raw_data is mapped in place at its offset; layouts; metadata. */
static void test_details(void)
{
    rmtk_model *m = NULL;
    size_t i;
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_open(harness_data("onnx/main.onnx"), &m));
    CHECK(rmtk_model_bytes_read(m) == 0);
    CHECK_OK(rmtk_model_find(m, "raw.f32", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    /* the stored bytes at info.offset of the file are the tensor's raw_data */
    FILE *f = fopen(harness_data("onnx/main.onnx"), "rb");
    float a[120], b[120];
    CHECK(f && fseek(f, (long)ti.offset, SEEK_SET) == 0 && fread(a, 4, 120, f) == 120);
    if (f)
        fclose(f);
    const void *d = NULL;
    CHECK_OK(rmtk_model_map(m, i, &d));
    if (d)
        memcpy(b, d, sizeof b);
    CHECK(d && memcmp(a, b, sizeof a) == 0);
    CHECK(rmtk_model_bytes_read(m) == 480);
    CHECK_OK(rmtk_model_find(m, "gemm1.w", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.layout == NULL && ti.shape[0] == 16 && ti.shape[1] == 24);
    CHECK_OK(rmtk_model_find(m, "lstm.W", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.layout == NULL && ti.ndim == 3 && ti.shape[0] == 2 && ti.shape[1] == 48);
    int producer = 0;
    for (size_t k = 0; k < rmtk_model_metadata_count(m); k++) {
        const char *key, *val;
        CHECK_OK(rmtk_model_metadata(m, k, &key, &val));
        producer += strcmp(key, "onnx.producer_name") == 0 && strcmp(val, "gen-onnx.py") == 0;
    }
    CHECK(producer == 1);
    rmtk_model_close(m);
}

/* Every allocation of open and map may fail: each must give RMTK_ERR_NOMEM. */
static void test_alloc_sweep(void)
{
    const char *files[] = {"onnx/main.onnx", "onnx/ext/ext.onnx"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
        CHECK(harness_nomem_sweep(harness_data(files[f]), NULL) > 10);
}

int main(void)
{
    RUN(test_good_files);
    RUN(test_bad_files);
    RUN(test_details);
    RUN(test_alloc_sweep);
    return harness_done();
}
