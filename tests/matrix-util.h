/*
 * matrix-util.h: small helpers of the C tests that read the matrices written by the golden-data
 * generators (tests/data/gen-*.py): a dtype name of the case files as an rmtk dtype, and a whole
 * data file in memory. Shared by test-spectrum.c and test-lowrank.c; include after harness.h.
 */
#ifndef RMTK_TEST_MATRIX_UTIL_H
#define RMTK_TEST_MATRIX_UTIL_H

#include "harness.h"

/* "F64", "F32", "F16", anything else BF16 (the dtypes the generators write). */
static inline int dtype_of(const char *s)
{
    if (!strcmp(s, "F64"))
        return RMTK_DTYPE_F64;
    if (!strcmp(s, "F32"))
        return RMTK_DTYPE_F32;
    if (!strcmp(s, "F16"))
        return RMTK_DTYPE_F16;
    return RMTK_DTYPE_BF16;
}

/* The test data file name (harness_data) in a malloc'ed buffer of *len bytes (one more
 * allocated); NULL when it cannot be opened or read. */
static inline void *read_file(const char *name, size_t *len)
{
    FILE *f = fopen(harness_data(name), "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    void *buf = malloc((size_t)sz + 1);
    if (fread(buf, 1, (size_t)sz, f) != (size_t)sz) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = (size_t)sz;
    return buf;
}

#endif /* RMTK_TEST_MATRIX_UTIL_H */
