/*
 * report-internal.h: the output sink and JSON/CSV emitters shared by the report writers.
 * A sink buffers bytes and sends them to a FILE or to a caller's callback; the first failure
 * sticks (later writes are no-ops) and is returned by rmtk__sink_finish.
 */
#ifndef RMTK_REPORT_INTERNAL_H
#define RMTK_REPORT_INTERNAL_H

#include "internal.h"

#include <stdio.h>

typedef struct rmtk__sink {
    rmtk_write_fn fn;
    void *user;
    char buf[65536];
    size_t len;
    int failed;
    int json_first; /* JSON: no comma before the next element */
} rmtk__sink;

void rmtk__sink_init(rmtk__sink *s, rmtk_write_fn fn, void *user);
void rmtk__sink_put(rmtk__sink *s, const char *str, size_t n);
void rmtk__sink_puts(rmtk__sink *s, const char *str);
void rmtk__sink_printf(rmtk__sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int rmtk__sink_finish(rmtk__sink *s);

/* JSON emitters: objects and arrays track commas through json_first. */
void rmtk__json_begin(rmtk__sink *s, char open);          /* '{' or '[' */
void rmtk__json_end(rmtk__sink *s, char close);           /* '}' or ']' */
void rmtk__json_key(rmtk__sink *s, const char *key);      /* "key": (with the comma) */
void rmtk__json_string(rmtk__sink *s, const char *str);   /* a string value, escaped */
void rmtk__json_number(rmtk__sink *s, double v);          /* %.17g, null for NaN/inf */
void rmtk__json_int(rmtk__sink *s, long long v);
void rmtk__json_uint(rmtk__sink *s, unsigned long long v);
void rmtk__json_bool(rmtk__sink *s, int v);
void rmtk__json_null(rmtk__sink *s);
void rmtk__json_array(rmtk__sink *s, const double *x, size_t n);
void rmtk__json_kv_string(rmtk__sink *s, const char *key, const char *val);
void rmtk__json_kv_number(rmtk__sink *s, const char *key, double v);
void rmtk__json_kv_int(rmtk__sink *s, const char *key, long long v);

/* CSV field: quoted when it holds a comma, quote, or newline. */
void rmtk__csv_string(rmtk__sink *s, const char *str);

/* Write through fn into a temporary file next to path, then rename it over path, so a reader
 * never sees a partial file and a failed write leaves any previous file intact. */
typedef int (*rmtk__emit_fn)(const void *ctx, rmtk_write_fn fn, void *user);
int rmtk__write_atomic(const char *path, rmtk__emit_fn emit, const void *ctx, char *errmsg);

#endif /* RMTK_REPORT_INTERNAL_H */
