/*
 * bench-readers.c: cost of getting a stored matrix into float64, against baselines measured in
 * the same run. A 4096 x 4096 matrix is written as F32, BF16 and F16 tensors of one safetensors
 * file and as a Fortran-ordered float32 .npy (in /tmp, page cache warm after the first pass);
 * we time rmtk_model_open (index only), rmtk_model_read_f64 and rmtk_matrix_to_double through a
 * layer view, and compare with the bare baseline of copying the same number of doubles
 * (memcpy of a float64 array of the matrix's size: the memory traffic floor of the output).
 * Prints timings and ratios; asserts nothing.
 */
#include "rmtk.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define N 4096

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void put_u64(FILE *f, unsigned long long v)
{
    for (int i = 0; i < 8; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

int main(void)
{
    const size_t n = (size_t)N * N;
    float *w = malloc(n * sizeof *w);
    double *dst = malloc(n * sizeof *dst), *src = malloc(n * sizeof *src);
    uint16_t *h = malloc(n * sizeof *h);
    if (!w || !dst || !src || !h)
        return 1;
    rmtk_rng_fill_normal(1, 0, 0, src, n);
    for (size_t i = 0; i < n; i++)
        w[i] = (float)src[i];
    const char *st_path = "/tmp/rmtk-bench-readers.safetensors";
    const char *npy_path = "/tmp/rmtk-bench-readers.npy";
    FILE *f = fopen(st_path, "wb");
    char js[512];
    unsigned long long b4 = 4ull * n, b2 = 2ull * n;
    int len = snprintf(js, sizeof js,
                       "{\"f32\":{\"dtype\":\"F32\",\"shape\":[%d,%d],"
                       "\"data_offsets\":[0,%llu]},"
                       "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[%d,%d],"
                       "\"data_offsets\":[%llu,%llu]},"
                       "\"f16\":{\"dtype\":\"F16\",\"shape\":[%d,%d],"
                       "\"data_offsets\":[%llu,%llu]}}",
                       N, N, b4, N, N, b4, b4 + b2, N, N, b4 + b2, b4 + 2 * b2);
    put_u64(f, (unsigned long long)len);
    fwrite(js, 1, (size_t)len, f);
    fwrite(w, 4, n, f);
    for (size_t i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &w[i], 4);
        h[i] = (uint16_t)(u >> 16);
    }
    fwrite(h, 2, n, f);
    for (size_t i = 0; i < n; i++)
        h[i] = 0x3c00; /* 1.0 in binary16: the conversion cost does not depend on the value */
    fwrite(h, 2, n, f);
    fclose(f);
    f = fopen(npy_path, "wb");
    char hd[128];
    int hl = snprintf(hd, sizeof hd, "{'descr': '<f4', 'fortran_order': True, 'shape': (%d, %d), }",
                      N, N);
    int pad = 64 - (10 + hl + 1) % 64;
    fwrite("\x93NUMPY\x01\x00", 1, 8, f);
    fputc((10 + hl + pad + 1 - 10) & 0xff, f);
    fputc(((10 + hl + pad + 1 - 10) >> 8) & 0xff, f);
    fwrite(hd, 1, (size_t)hl, f);
    for (int i = 0; i < pad; i++)
        fputc(' ', f);
    fputc('\n', f);
    fwrite(w, 4, n, f);
    fclose(f);

    /* baseline: copying n doubles (best of 3) */
    double base = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        memcpy(dst, src, n * sizeof *dst);
        double t = now() - t0;
        base = t < base ? t : base;
    }
    printf("bench-readers: %d x %d matrix, baseline memcpy of %zu doubles: %.4f s\n", N, N, n,
           base);

    rmtk_model *m = NULL;
    double t0 = now();
    if (rmtk_model_open(st_path, &m) != RMTK_OK)
        return 1;
    printf("  open (index only)            %.6f s   bytes read %llu\n", now() - t0,
           (unsigned long long)rmtk_model_bytes_read(m));
    const char *names[3] = {"f32", "bf16", "f16"};
    for (int k = 0; k < 3; k++) {
        size_t idx;
        rmtk_model_find(m, names[k], &idx);
        double best = 1e30;
        for (int r = 0; r < 3; r++) {
            t0 = now();
            rmtk_model_read_f64(m, idx, dst, n);
            double t = now() - t0;
            best = t < best ? t : best;
        }
        printf("  read_f64 %-5s (C order)     %.4f s   ratio to baseline %.2f\n", names[k], best,
               best / base);
    }
    rmtk_model_close(m);

    if (rmtk_model_open(npy_path, &m) != RMTK_OK)
        return 1;
    rmtk_layers *l = NULL;
    rmtk_layers_alloc(m, NULL, &l);
    rmtk_matrix_entry e;
    rmtk_layers_get(l, 0, &e);
    rmtk_matrix_view v;
    rmtk_layers_view(m, &e, &v);
    double best = 1e30, best2 = 1e30;
    for (int r = 0; r < 3; r++) {
        t0 = now();
        rmtk_matrix_to_double(v, dst);
        double t = now() - t0;
        best = t < best ? t : best;
        t0 = now();
        rmtk_model_read_f64(m, 0, dst, n);
        t = now() - t0;
        best2 = t < best2 ? t : best2;
    }
    printf("  view to_double f32 Fortran   %.4f s   ratio to baseline %.2f\n", best, best / base);
    printf("  read_f64 f32 Fortran         %.4f s   ratio to baseline %.2f\n", best2,
           best2 / base);
    rmtk_layers_free(l);
    rmtk_model_close(m);
    unlink(st_path);
    unlink(npy_path);
    free(w);
    free(dst);
    free(src);
    free(h);
    return 0;
}
