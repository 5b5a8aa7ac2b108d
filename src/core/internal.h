/*
 * internal.h: declarations shared by the library's modules and never exported.
 * The allocation funnel, error-message helpers, small numeric constants and checked arithmetic.
 */
#ifndef RMTK_INTERNAL_H
#define RMTK_INTERNAL_H

#include "rmtk.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RMTK_PI 3.14159265358979323846
#define RMTK_EULER_GAMMA 0.57721566490153286061
#define RMTK_ERRMSG_SIZE 2048

#define RMTK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define RMTK_MAX(a, b) ((a) > (b) ? (a) : (b))

/* ---- allocation funnel (alloc.c): every library allocation goes through these ---------------- */
void *rmtk__malloc(size_t size);
void *rmtk__calloc(size_t n, size_t size);          /* zeroed; NULL on n*size overflow */
void *rmtk__malloc_array(size_t n, size_t size);    /* NULL on n*size overflow */
void *rmtk__realloc(void *p, size_t size);          /* on failure p is left intact */
void *rmtk__malloc_aligned(size_t size);            /* 64-byte aligned; free with rmtk__free */
void rmtk__free(void *p);
char *rmtk__strdup(const char *s);
char *rmtk__strndup(const char *s, size_t n);

/* ---- checked arithmetic: return false on overflow ------------------------------------------- */
static inline bool rmtk__mul_u64(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_mul_overflow(a, b, r);
}
static inline bool rmtk__add_u64(uint64_t a, uint64_t b, uint64_t *r)
{
    return !__builtin_add_overflow(a, b, r);
}

/* ---- messages ------------------------------------------------------------------------------ */
/* printf-style formatting into a fixed buffer of RMTK_ERRMSG_SIZE bytes (truncating). Returns
 * status, so that error paths read `return rmtk__fail(buf, RMTK_ERR_FORMAT, "...", ...);`. */
int rmtk__fail(char *buf, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* ---- untrusted text (report.c) ------------------------------------------------------------ */
/* The length (1..4) of the well-formed UTF-8 sequence at p (avail bytes readable), or 0 when the
 * byte at p does not start one (RFC 3629: no overlong forms, surrogates or code points above
 * U+10FFFF). Names come from files: the writers replace what is not UTF-8 (report.c). */
size_t rmtk__utf8_seq(const unsigned char *p, size_t avail);

/* ---- strided conversion (dtype.c) ---------------------------------------------------------- */
/* Bytes taken by n elements of dtype (block types: n a multiple of the block's elements).
 * Returns 0 (and leaves *bytes) when n does not fill whole blocks, on overflow or for a dtype
 * without a size (OTHER). */
int rmtk__dtype_bytes(int dtype, uint64_t n, uint64_t *bytes);
/* Element offset of row i of a view, row groups included (rmtk_matrix_view). */
static inline int64_t rmtk__view_row_offset(const rmtk_matrix_view *v, int64_t i)
{
    if (v->row_group > 0)
        return (i / v->row_group) * v->group_stride + (i % v->row_group) * v->row_stride;
    return i * v->row_stride;
}
/* Convert n elements of `dtype` starting at base, `stride` elements apart, to double. */
int rmtk__convert_strided(int dtype, int big_endian, const void *base, int64_t stride, size_t n,
                          double *dst);

/* ---- rng.c ------------------------------------------------------------------------------------ */
/* rmtk_rng_fill_normal(seed, stream, 0, x, n) on up to nthreads threads (chunks of >= 65536
 * values); the same array bit for bit whatever nthreads. */
void rmtk__fill_normal_mt(uint64_t seed, uint64_t stream, double *x, size_t n, int nthreads);

/* ---- small helpers --------------------------------------------------------------------------- */
/* The law tables cached by rmtk_fitlaw (src/stats/laws.c): hits and misses (tables built and
 * stored) since the last clear; clear != 0 empties the cache. Either pointer may be NULL. */
void rmtk__fitlaw_cache_stats(uint64_t *hits, uint64_t *misses, int clear);
int rmtk__cmp_double(const void *a, const void *b); /* qsort comparator, NaN last */
/* x[0..n) ascending: the number of values < v (lower bound) and <= v (upper bound). */
size_t rmtk__count_lt(const double *x, size_t n, double v);
size_t rmtk__count_le(const double *x, size_t n, double v);
/* *out = a fresh ascending copy of x[0..n) (free with rmtk__free); RMTK_ERR_ARG when a value is
 * not finite (nothing allocated then), RMTK_ERR_NOMEM. */
int rmtk__sorted_finite_copy(const double *x, size_t n, double **out);

#endif /* RMTK_INTERNAL_H */
