/*
 * test-tfjs.c: the TensorFlow.js reader against numpy's decoding per tfjs-core's
 * io.decodeWeights (tests/data/gen-tfjs.py): a layers model, a graph model and a bare weights
 * manifest with float32, int32, bool, uint8/uint16 affine and float16 weights, weights spanning
 * shard files and an empty shard. Every tensor's presented values must equal the golden .npy
 * bit for bit (float32 values compared as doubles, exactly), its layout must be the one the
 * layer class, graph op or name rule calls for, depthwise kernels must be skipped, and opening
 * must read no tensor byte. The hand-broken files must fail with the status and message the
 * generator lists. The real face-api models against TF.js itself: tests/test_tfjs.py.
 */
#include "harness.h"
#include "model-internal.h"

#include <stdint.h>
#include <unistd.h>

static const char *tpath(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/tfjs/%s", RMTK_TEST_DATA, name);
    return buf;
}

static double *read_all(rmtk_model *m, size_t i, size_t *n)
{
    rmtk_tensor_info ti;
    if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK)
        return NULL;
    *n = (size_t)ti.numel;
    double *x = malloc((*n ? *n : 1) * sizeof *x);
    if (x && rmtk_model_read_f64(m, i, x, *n) != RMTK_OK) {
        fprintf(stderr, "read %s: %s\n", ti.name, rmtk_model_errmsg(m));
        free(x);
        return NULL;
    }
    return x;
}

static void test_golden(void)
{
    FILE *f = fopen(tpath("expect.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char model[256], name[256], layout[32], golden[256];
    int skip, rows = 0;
    while (fscanf(f, "%255s %255s %31s %d %255s", model, name, layout, &skip, golden) == 5) {
        rows++;
        rmtk_model *m = NULL;
        CHECK_OK(rmtk_model_open(tpath(model), &m));
        if (!m || !m->by_name) {
            fprintf(stderr, "%s: %s\n", model, rmtk_model_errmsg(m));
            rmtk_model_close(m);
            continue;
        }
        CHECK(strcmp(rmtk_model_format(m), "tfjs") == 0);
        CHECK(rmtk_model_bytes_read(m) == 0); /* the index reads no tensor byte */
        size_t i;
        CHECK_OK(rmtk_model_find(m, name, &i));
        rmtk_tensor_info ti;
        CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
        const char *want = strcmp(layout, "-") ? layout : NULL;
        int layout_ok = want ? ti.layout && strcmp(ti.layout, want) == 0 : ti.layout == NULL;
        if (!layout_ok)
            fprintf(stderr, "%s %s: layout %s, expected %s\n", model, name,
                    ti.layout ? ti.layout : "(none)", layout);
        CHECK(layout_ok);
        CHECK((m->t[i].skip_reason != NULL) == (skip != 0));
        if (skip)
            CHECK(strstr(m->t[i].skip_reason, "depthwise") != NULL);
        if (strcmp(golden, "-") != 0) {
            rmtk_model *g = NULL;
            CHECK_OK(rmtk_model_open(tpath(golden), &g));
            rmtk_tensor_info gi;
            CHECK_OK(rmtk_model_tensor_info(g, 0, &gi));
            /* same presented shape */
            int same = gi.ndim == ti.ndim;
            for (int k = 0; same && k < ti.ndim; k++)
                same = gi.shape[k] == ti.shape[k];
            if (!same)
                fprintf(stderr, "%s %s: shape differs from %s\n", model, name, golden);
            CHECK(same);
            size_t n = 0, ng = 0;
            double *x = read_all(m, i, &n), *y = read_all(g, 0, &ng);
            CHECK(x && y && n == ng);
            size_t bad = 0;
            for (size_t k = 0; x && y && k < n && k < ng; k++)
                if (memcmp(&x[k], &y[k], sizeof x[k]) != 0 && bad++ == 0)
                    fprintf(stderr, "%s %s: element %zu is %.9g, numpy %.9g\n", model, name, k,
                            x[k], y[k]);
            CHECK(bad == 0);
            /* the bytes read are the stored bytes of this tensor alone */
            CHECK(rmtk_model_bytes_read(m) > 0);
            free(x);
            free(y);
            rmtk_model_close(g);
        }
        rmtk_model_close(m);
    }
    fclose(f);
    CHECK(rows >= 20);
}

/* A dequantised tensor keeps its stored type in dtype_str; shards are read where they lie. */
static void test_dtype_str_and_bytes(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(tpath("layers/model.json"), &m));
    size_t i;
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_find(m, "conv/kernel", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(strcmp(ti.dtype_str, "uint8 (affine)") == 0);
    CHECK(ti.dtype == RMTK_DTYPE_F32);
    CHECK(ti.nbytes == 3 * 3 * 2 * 5 * 4);
    CHECK_OK(rmtk_model_find(m, "convt/kernel", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(strcmp(ti.dtype_str, "uint16 (affine)") == 0);
    CHECK_OK(rmtk_model_find(m, "dw/depthwise_kernel", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(strcmp(ti.dtype_str, "float16") == 0);
    /* 50-byte shards: dense/kernel spans group1-shard1of11.bin and shard 2: 96 stored bytes */
    CHECK_OK(rmtk_model_find(m, "dense/kernel", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.offset == 0 && strstr(ti.file, "group1-shard1of11.bin") != NULL);
    double x[24];
    uint64_t before = rmtk_model_bytes_read(m);
    CHECK_OK(rmtk_model_read_f64(m, i, x, 24));
    CHECK(rmtk_model_bytes_read(m) - before == 96);
    /* conv/kernel (uint8) starts at stream byte 112 = shard 3's byte 12: 90 bytes read */
    CHECK_OK(rmtk_model_find(m, "conv/kernel", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.offset == 12 && strstr(ti.file, "group1-shard3of11.bin") != NULL);
    double y[90];
    before = rmtk_model_bytes_read(m);
    CHECK_OK(rmtk_model_read_f64(m, i, y, 90));
    CHECK(rmtk_model_bytes_read(m) - before == 90);
    rmtk_model_close(m);
}

static int status_of(const char *s)
{
    if (strcmp(s, "IO") == 0)
        return RMTK_ERR_IO;
    if (strcmp(s, "FORMAT") == 0)
        return RMTK_ERR_FORMAT;
    if (strcmp(s, "RANGE") == 0)
        return RMTK_ERR_RANGE;
    if (strcmp(s, "UNSUPPORTED") == 0)
        return RMTK_ERR_UNSUPPORTED;
    return -999;
}

static void test_broken(void)
{
    FILE *f = fopen(tpath("broken.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[2048];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        char *fields[8];
        int nf = 0;
        for (char *p = line; p && nf < 8;) {
            fields[nf++] = p;
            char *tab = strchr(p, '\t');
            if (tab)
                *tab++ = '\0';
            p = tab;
        }
        if (nf < 2)
            continue;
        rows++;
        char rel[2100];
        snprintf(rel, sizeof rel, "broken/%s", fields[0]);
        rmtk_model *m = NULL;
        int st = rmtk_model_open(tpath(rel), &m);
        const char *msg = rmtk_model_errmsg(m);
        if (st != status_of(fields[1]))
            fprintf(stderr, "%s: status %s, expected %s: %s\n", fields[0], rmtk_status_str(st),
                    fields[1], msg);
        CHECK(st == status_of(fields[1]));
        for (int k = 2; k < nf; k++) {
            int hit = strstr(msg, fields[k]) != NULL;
            if (!hit)
                fprintf(stderr, "%s: message lacks \"%s\": %s\n", fields[0], fields[k], msg);
            CHECK(hit);
        }
        rmtk_model_close(m);
    }
    fclose(f);
    CHECK(rows >= 15);
}

/* A shard that shrinks after opening: the fetch says the shard changed, naming it. */
static void test_shard_changed(void)
{
    char dir[] = "/tmp/rmtk-tfjs-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char mj[512], sh[512];
    snprintf(mj, sizeof mj, "%s/model.json", dir);
    snprintf(sh, sizeof sh, "%s/w.bin", dir);
    FILE *f = fopen(mj, "w");
    fputs("{\"weightsManifest\": [{\"paths\": [\"w.bin\"], \"weights\": [{\"name\": \"k\", "
          "\"shape\": [2, 2], \"dtype\": \"float32\"}]}]}",
          f);
    fclose(f);
    f = fopen(sh, "wb");
    float v[4] = {1, 2, 3, 4};
    fwrite(v, 4, 4, f);
    fclose(f);
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(mj, &m));
    f = fopen(sh, "wb");
    fwrite(v, 4, 2, f);
    fclose(f);
    double x[4];
    CHECK_STATUS(rmtk_model_read_f64(m, 0, x, 4), RMTK_ERR_IO);
    CHECK(strstr(rmtk_model_errmsg(m), "w.bin") && strstr(rmtk_model_errmsg(m), "'k'") &&
          strstr(rmtk_model_errmsg(m), "changed"));
    rmtk_model_close(m);
    unlink(mj);
    unlink(sh);
    rmdir(dir);
}

int main(void)
{
    RUN(test_golden);
    RUN(test_dtype_str_and_bytes);
    RUN(test_broken);
    RUN(test_shard_changed);
    return harness_done();
}
