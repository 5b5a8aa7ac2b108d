/*
 * harness-model.h: the hand-broken-file manifests every reader's test runs. A manifest line is
 * tab-separated: "open" or "map", the file (under the golden data), the expected status, the
 * tensor to map ("-" for open), then strings the error message must contain. The readers' tests
 * (test-readers, test-pytorch, test-onnx) share this one loop.
 */
#ifndef RMTK_HARNESS_MODEL_H
#define RMTK_HARNESS_MODEL_H

#include "harness.h"
#include "rmtk.h"

/* Runs every line of the manifest; returns the number of cases run. */
static inline int harness_bad_files(const char *manifest)
{
    FILE *mf = fopen(harness_data(manifest), "r");
    CHECK(mf != NULL);
    if (!mf)
        return 0;
    char line[2048], path[4096];
    int cases = 0;
    while (fgets(line, sizeof line, mf)) {
        char *f[16];
        int nf = harness_split(line, f, 16);
        if (nf < 5)
            continue;
        snprintf(path, sizeof path, "%s", harness_data(f[1]));
        int want = (int)strtol(f[2], NULL, 10);
        rmtk_model *m = NULL;
        int st = rmtk_model_open(path, &m);
        if (strcmp(f[0], "map") == 0) {
            CHECK_OK(st);
            size_t idx = 0;
            const void *data;
            if (st == RMTK_OK && rmtk_model_find(m, f[3], &idx) == RMTK_OK)
                st = rmtk_model_map(m, idx, &data);
            else
                st = -1;
        }
        const char *msg = rmtk_model_errmsg(m);
        if (st != want)
            fprintf(stderr, "%s: status %d, expected %d: %s\n", f[1], st, want, msg);
        CHECK(st == want);
        for (int k = 4; k < nf; k++) {
            if (!strstr(msg, f[k]))
                fprintf(stderr, "%s: message lacks \"%s\": %s\n", f[1], f[k], msg);
            CHECK(strstr(msg, f[k]) != NULL);
        }
        rmtk_model_close(m);
        cases++;
    }
    fclose(mf);
    return cases;
}

/* Allocation-failure sweep: for k = 1, 2, ... the k-th allocation fails while the model at path
 * is opened, its layers listed and one tensor made available (tensor NULL: the first one mapped;
 * else that one converted to double). Every failing run must give RMTK_ERR_NOMEM (nothing may
 * crash or leak: the sanitizer build checks), until a run succeeds. Returns the number of
 * allocation points k reached (callers check it is large enough to have exercised the reader). */
static inline uint64_t harness_nomem_sweep(const char *path, const char *tensor)
{
    int all_nomem = 1, done = 0;
    uint64_t k;
    for (k = 1; k < 100000 && !done; k++) {
        rmtk_alloc_fail_after(k);
        rmtk_model *m = NULL;
        int st = rmtk_model_open(path, &m);
        rmtk_layers *l = NULL;
        if (st == RMTK_OK)
            st = rmtk_layers_alloc(m, NULL, &l);
        rmtk_layers_free(l);
        if (st == RMTK_OK && !tensor && rmtk_model_tensor_count(m) > 0) {
            const void *d;
            st = rmtk_model_map(m, 0, &d);
        } else if (st == RMTK_OK && tensor) {
            size_t i = 0;
            rmtk_tensor_info ti;
            st = rmtk_model_find(m, tensor, &i);
            if (st == RMTK_OK)
                st = rmtk_model_tensor_info(m, i, &ti);
            double *x = st == RMTK_OK ? malloc((size_t)(ti.numel + 1) * sizeof *x) : NULL;
            if (x)
                st = rmtk_model_read_f64(m, i, x, (size_t)ti.numel);
            free(x);
        }
        rmtk_model_close(m);
        rmtk_alloc_fail_after(0);
        if (st == RMTK_OK)
            done = 1;
        else if (st != RMTK_ERR_NOMEM) {
            fprintf(stderr, "%s: allocation %llu failing gave status %d\n", path,
                    (unsigned long long)k, st);
            all_nomem = 0;
        }
    }
    CHECK(done);
    CHECK(all_nomem);
    return k;
}

#endif /* RMTK_HARNESS_MODEL_H */
