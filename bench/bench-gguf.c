/*
 * bench-gguf.c: cost of dequantising GGUF block types to float64, against the baseline of
 * copying the same number of doubles (memcpy of a float64 array of the matrix's size, measured
 * in the same run). One 4096 x 4096 matrix per type (random block bytes: the dequantisers'
 * cost does not depend on the values) is written to a GGUF file in /tmp; we time
 * rmtk_model_open (index only) and rmtk_model_read_f64 (best of 3, page cache warm).
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

static void put(FILE *f, unsigned long long v, int bytes)
{
    for (int i = 0; i < bytes; i++)
        fputc((int)((v >> (8 * i)) & 0xff), f);
}

static const struct {
    const char *name;
    unsigned id, blck, bytes;
} types[] = {{"F32", 0, 1, 4},       {"F16", 1, 1, 2},       {"Q4_0", 2, 32, 18},
             {"Q8_0", 8, 32, 34},    {"Q2_K", 10, 256, 84},  {"Q3_K", 11, 256, 110},
             {"Q4_K", 12, 256, 144}, {"Q5_K", 13, 256, 176}, {"Q6_K", 14, 256, 210},
             {"MXFP4", 39, 32, 17},  {"IQ4_XS", 23, 256, 136}};
#define NT (sizeof types / sizeof types[0])

int main(void)
{
    const size_t n = (size_t)N * N;
    double *dst = malloc(n * sizeof *dst), *src = malloc(n * sizeof *src);
    unsigned char *raw = malloc(n * 4);
    if (!dst || !src || !raw)
        return 1;
    rmtk_rng_fill_normal(1, 0, 0, src, n);
    for (size_t i = 0; i < n * 4; i++)
        raw[i] = (unsigned char)(src[i / 4] * 1e6);
    const char *path = "/tmp/rmtk-bench-gguf.gguf";
    FILE *f = fopen(path, "wb");
    fwrite("GGUF", 1, 4, f);
    put(f, 3, 4);
    put(f, NT, 8);
    put(f, 0, 8);
    unsigned long long off = 0, pos = 24;
    for (size_t k = 0; k < NT; k++) {
        size_t len = strlen(types[k].name);
        put(f, len, 8);
        fwrite(types[k].name, 1, len, f);
        put(f, 2, 4);
        put(f, N, 8);
        put(f, N, 8);
        put(f, types[k].id, 4);
        put(f, off, 8);
        pos += 8 + len + 4 + 16 + 4 + 8;
        unsigned long long nb = (unsigned long long)n / types[k].blck * types[k].bytes;
        off += nb + (32 - nb % 32) % 32;
    }
    for (; pos % 32; pos++)
        fputc(0, f);
    for (size_t k = 0; k < NT; k++) {
        unsigned long long nb = (unsigned long long)n / types[k].blck * types[k].bytes;
        fwrite(raw, 1, (size_t)nb, f);
        for (; nb % 32; nb++)
            fputc(0, f);
    }
    fclose(f);

    double base = 1e30;
    for (int r = 0; r < 3; r++) {
        double t0 = now();
        memcpy(dst, src, n * sizeof *dst);
        double t = now() - t0;
        base = t < base ? t : base;
    }
    printf("bench-gguf: %d x %d matrices, baseline memcpy of %zu doubles: %.4f s\n", N, N, n,
           base);
    rmtk_model *m = NULL;
    double t0 = now();
    if (rmtk_model_open(path, &m) != RMTK_OK) {
        fprintf(stderr, "%s\n", rmtk_model_errmsg(m));
        return 1;
    }
    printf("  open (index only)     %.6f s   bytes read %llu\n", now() - t0,
           (unsigned long long)rmtk_model_bytes_read(m));
    for (size_t k = 0; k < NT; k++) {
        double best = 1e30;
        for (int r = 0; r < 3; r++) {
            t0 = now();
            rmtk_model_read_f64(m, k, dst, n);
            double t = now() - t0;
            best = t < best ? t : best;
        }
        printf("  read_f64 %-7s      %.4f s   ratio to baseline %.2f\n", types[k].name, best,
               best / base);
    }
    rmtk_model_close(m);
    unlink(path);
    free(dst);
    free(src);
    free(raw);
    return 0;
}
