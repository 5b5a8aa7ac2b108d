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

#endif /* RMTK_HARNESS_MODEL_H */
