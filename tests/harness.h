/*
 * harness.h: the in-house test harness. Each tests/test-<module>.c defines test functions,
 * lists them in main with RUN(fn), and ends with `return harness_done();`, which prints
 * "N passed, M failed" (N, M count checks) and returns non-zero on any failure.
 * Checks never abort, so one run reports every failing check with its file and line.
 */
#ifndef RMTK_HARNESS_H
#define RMTK_HARNESS_H

#include "rmtk.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int harness_passed, harness_failed;
static const char *harness_current = "";

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (cond) {                                                                                \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            fprintf(stderr, "%s:%d: %s: CHECK failed: %s\n", __FILE__, __LINE__,                  \
                    harness_current, #cond);                                                       \
        }                                                                                          \
    } while (0)

/* |a - b| <= tol */
#define CHECK_NEAR(a, b, tol)                                                                      \
    do {                                                                                           \
        double ha_ = (double)(a), hb_ = (double)(b), ht_ = (double)(tol);                          \
        if (fabs(ha_ - hb_) <= ht_) {                                                              \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            fprintf(stderr, "%s:%d: %s: CHECK_NEAR failed: %s = %.17g, %s = %.17g, tol %.3g\n",    \
                    __FILE__, __LINE__, harness_current, #a, ha_, #b, hb_, ht_);                   \
        }                                                                                          \
    } while (0)

/* |a - b| <= rtol * |b| */
#define CHECK_REL(a, b, rtol)                                                                      \
    do {                                                                                           \
        double ha_ = (double)(a), hb_ = (double)(b), ht_ = (double)(rtol);                         \
        if (fabs(ha_ - hb_) <= ht_ * fabs(hb_)) {                                                  \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            fprintf(stderr, "%s:%d: %s: CHECK_REL failed: %s = %.17g, %s = %.17g, rtol %.3g\n",    \
                    __FILE__, __LINE__, harness_current, #a, ha_, #b, hb_, ht_);                   \
        }                                                                                          \
    } while (0)

/* The expression returns the expected status. */
#define CHECK_STATUS(expr, expected)                                                               \
    do {                                                                                           \
        int hs_ = (expr), he_ = (expected);                                                        \
        if (hs_ == he_) {                                                                          \
            harness_passed++;                                                                      \
        } else {                                                                                   \
            harness_failed++;                                                                      \
            fprintf(stderr, "%s:%d: %s: %s returned %d (%s), expected %d (%s)\n", __FILE__,        \
                    __LINE__, harness_current, #expr, hs_, rmtk_status_str(hs_), he_,              \
                    rmtk_status_str(he_));                                                         \
        }                                                                                          \
    } while (0)

#define CHECK_OK(expr) CHECK_STATUS(expr, RMTK_OK)

#define RUN(fn)                                                                                    \
    do {                                                                                           \
        harness_current = #fn;                                                                     \
        fn();                                                                                      \
    } while (0)

static inline int harness_done(void)
{
    printf("%d passed, %d failed\n", harness_passed, harness_failed);
    return harness_failed ? 1 : 0;
}

/* Quick mode (sanitizer builds): tests may shrink sizes and replica counts, never tolerances. */
static inline int harness_quick(void)
{
    const char *q = getenv("RMTK_TEST_QUICK");
    return q && *q && strcmp(q, "0") != 0;
}

/* Path of a file in the generated test-data directory (static buffer). */
static inline const char *harness_data(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s", RMTK_TEST_DATA, name);
    return buf;
}

/* Read a whole binary file of float64 values; returns malloc'd array and count, or NULL. */
static inline double *harness_read_f64(const char *path, size_t *n)
{
    *n = 0;
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long sz = ftell(f);
    fseek(f, 0, SEEK_SET);
    double *x = malloc(sz > 0 ? (size_t)sz : 1);
    if (x && fread(x, 1, (size_t)sz, f) != (size_t)sz) {
        free(x);
        x = NULL;
    }
    fclose(f);
    *n = (size_t)sz / sizeof(double);
    return x;
}

/* Split a line of a tab-separated manifest in place (the newline dropped); returns the number
 * of fields stored in f[0..cap). */
static inline int harness_split(char *line, char **f, int cap)
{
    int n = 0;
    line[strcspn(line, "\n")] = '\0';
    char *p = line;
    while (n < cap) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

#endif /* RMTK_HARNESS_H */
