/*
 * fuzz-common.h: the one body every reader's libFuzzer target shares. A target is
 * tests/fuzz/fuzz-<format>.c holding only
 *
 *     #include "fuzz-common.h"
 *     int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
 *     {
 *         return fuzz_model_bytes(data, size, ".<extension>");
 *     }
 *
 * and tests/fuzz/seeds-<format>.py DIR writes valid seed files into DIR (Debian's python3).
 * fuzz_model_bytes writes the input to a file with that extension in a private temporary
 * directory, opens it as a model through the public API, lists every tensor and its matrices,
 * converts every tensor of at most FUZZ_MAX_NUMEL elements to double, and removes the file.
 * Any crash, leak or undefined behaviour is a finding; error statuses are expected.
 * Build and run: docs/formats.md ("Fuzzing").
 */
#ifndef RMTK_FUZZ_COMMON_H
#define RMTK_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rmtk.h"

#define FUZZ_MAX_NUMEL ((uint64_t)1 << 20)

static char fuzz_dir[256];

static const char *fuzz_tmpdir(void)
{
    if (!fuzz_dir[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(fuzz_dir, sizeof fuzz_dir, "%s/rmtk-fuzz-XXXXXX", t && *t ? t : "/tmp");
        if (!mkdtemp(fuzz_dir))
            abort();
    }
    return fuzz_dir;
}

static int fuzz_model_bytes(const uint8_t *data, size_t size, const char *suffix)
{
    char path[512];
    snprintf(path, sizeof path, "%s/input%s", fuzz_tmpdir(), suffix);
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    if (size && fwrite(data, 1, size, f) != size)
        abort();
    fclose(f);
    rmtk_model *m = NULL;
    if (rmtk_model_open(path, &m) == RMTK_OK) {
        size_t n = rmtk_model_tensor_count(m);
        for (size_t i = 0; i < n; i++) {
            rmtk_tensor_info ti;
            if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK)
                abort();
            if (ti.numel > FUZZ_MAX_NUMEL || !rmtk_dtype_is_numeric(ti.dtype))
                continue;
            double *x = malloc((size_t)(ti.numel ? ti.numel : 1) * sizeof *x);
            if (!x)
                abort();
            (void)rmtk_model_read_f64(m, i, x, (size_t)ti.numel);
            free(x);
        }
        rmtk_layers *l = NULL;
        rmtk_extract_params p = rmtk_extract_params_default();
        p.min_side = 1;
        if (rmtk_layers_alloc(m, &p, &l) == RMTK_OK) {
            size_t k = rmtk_layers_count(l);
            for (size_t i = 0; i < k; i++) {
                rmtk_matrix_entry e;
                rmtk_matrix_view v;
                if (rmtk_layers_get(l, i, &e) != RMTK_OK)
                    abort();
                if (e.skip == RMTK_SKIP_NONE &&
                    (uint64_t)e.rows * (uint64_t)e.cols <= FUZZ_MAX_NUMEL &&
                    rmtk_layers_view(m, &e, &v) == RMTK_OK) {
                    double *x = malloc((size_t)(e.rows * e.cols) * sizeof *x + 1);
                    if (!x)
                        abort();
                    (void)rmtk_matrix_to_double(v, x);
                    free(x);
                }
            }
        }
        rmtk_layers_free(l);
    }
    rmtk_model_close(m);
    unlink(path);
    return 0;
}

#endif /* RMTK_FUZZ_COMMON_H */
