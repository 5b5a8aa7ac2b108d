/*
 * report.c: the plumbing of rmtk's outputs: a buffered sink to a file or a callback, JSON and
 * CSV emitters (numbers as %.17g so values round-trip exactly; NaN and infinities as JSON null or
 * an empty CSV field), and atomic file replacement (temporary file + fsync + rename).
 */
#include "report-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void rmtk__sink_init(rmtk__sink *s, rmtk_write_fn fn, void *user)
{
    s->fn = fn;
    s->user = user;
    s->len = 0;
    s->failed = 0;
    s->json_first = 1;
}

static void sink_flush(rmtk__sink *s)
{
    if (!s->failed && s->len && s->fn(s->buf, s->len, s->user) != s->len)
        s->failed = 1;
    s->len = 0;
}

void rmtk__sink_put(rmtk__sink *s, const char *str, size_t n)
{
    if (s->failed)
        return;
    if (n > sizeof s->buf - s->len) {
        sink_flush(s);
        if (n > sizeof s->buf) {
            if (!s->failed && s->fn(str, n, s->user) != n)
                s->failed = 1;
            return;
        }
    }
    memcpy(s->buf + s->len, str, n);
    s->len += n;
}

void rmtk__sink_puts(rmtk__sink *s, const char *str)
{
    rmtk__sink_put(s, str, strlen(str));
}

void rmtk__sink_printf(rmtk__sink *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0)
        s->failed = 1;
    else
        rmtk__sink_put(s, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

int rmtk__sink_finish(rmtk__sink *s)
{
    sink_flush(s);
    return s->failed ? RMTK_ERR_IO : RMTK_OK;
}

static void json_comma(rmtk__sink *s)
{
    if (!s->json_first)
        rmtk__sink_put(s, ",", 1);
    s->json_first = 0;
}

void rmtk__json_begin(rmtk__sink *s, char open)
{
    json_comma(s);
    rmtk__sink_put(s, &open, 1);
    s->json_first = 1;
}

void rmtk__json_end(rmtk__sink *s, char close)
{
    rmtk__sink_put(s, &close, 1);
    s->json_first = 0;
}

size_t rmtk__utf8_seq(const unsigned char *p, size_t avail)
{
    if (avail == 0)
        return 0;
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 1;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 2;
        if (c == 0xE0)
            lo = 0xA0;
        else if (c == 0xED)
            hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 3;
        if (c == 0xF0)
            lo = 0x90;
        else if (c == 0xF4)
            hi = 0x8F;
    } else {
        return 0;
    }
    if (avail <= n)
        return 0;
    for (size_t k = 1; k <= n; k++) {
        unsigned d = p[k];
        if (d < (k == 1 ? lo : 0x80u) || d > (k == 1 ? hi : 0xBFu))
            return 0;
    }
    return n + 1;
}

#define REPLACEMENT "\xEF\xBF\xBD" /* U+FFFD, for each byte that is not UTF-8 */

/* A JSON string: valid UTF-8 whatever the input (each invalid byte becomes U+FFFD), control
 * characters (C0, DEL and the C1 range U+0080..U+009F) escaped as \uXXXX so that a report
 * printed to a terminal cannot drive it. */
static void json_escaped(rmtk__sink *s, const char *str)
{
    rmtk__sink_put(s, "\"", 1);
    const unsigned char *p = (const unsigned char *)str;
    size_t left = strlen(str);
    while (left > 0) {
        size_t n = rmtk__utf8_seq(p, left);
        if (n == 0) {
            rmtk__sink_put(s, REPLACEMENT, 3);
            p++;
            left--;
            continue;
        }
        unsigned c = *p;
        if (n == 2 && c == 0xC2 && p[1] < 0xA0) {
            rmtk__sink_printf(s, "\\u%04x", p[1]); /* C1 control */
        } else if (n > 1) {
            rmtk__sink_put(s, (const char *)p, n);
        } else if (c == '"') {
            rmtk__sink_put(s, "\\\"", 2);
        } else if (c == '\\') {
            rmtk__sink_put(s, "\\\\", 2);
        } else if (c == '\n') {
            rmtk__sink_put(s, "\\n", 2);
        } else if (c == '\t') {
            rmtk__sink_put(s, "\\t", 2);
        } else if (c == '\r') {
            rmtk__sink_put(s, "\\r", 2);
        } else if (c < 0x20 || c == 0x7f) {
            rmtk__sink_printf(s, "\\u%04x", c);
        } else {
            rmtk__sink_put(s, (const char *)p, 1);
        }
        p += n;
        left -= n;
    }
    rmtk__sink_put(s, "\"", 1);
}

void rmtk__json_key(rmtk__sink *s, const char *key)
{
    json_comma(s);
    json_escaped(s, key);
    rmtk__sink_put(s, ":", 1);
    s->json_first = 1; /* the value follows without a comma */
}

void rmtk__json_string(rmtk__sink *s, const char *str)
{
    json_comma(s);
    json_escaped(s, str ? str : "");
}

static void number_text(rmtk__sink *s, double v)
{
    if (!isfinite(v))
        rmtk__sink_put(s, "null", 4);
    else
        rmtk__sink_printf(s, "%.17g", v);
}

void rmtk__json_number(rmtk__sink *s, double v)
{
    json_comma(s);
    number_text(s, v);
}

void rmtk__json_int(rmtk__sink *s, long long v)
{
    json_comma(s);
    rmtk__sink_printf(s, "%lld", v);
}

void rmtk__json_uint(rmtk__sink *s, unsigned long long v)
{
    json_comma(s);
    rmtk__sink_printf(s, "%llu", v);
}

void rmtk__json_bool(rmtk__sink *s, int v)
{
    json_comma(s);
    rmtk__sink_puts(s, v ? "true" : "false");
}

void rmtk__json_null(rmtk__sink *s)
{
    json_comma(s);
    rmtk__sink_puts(s, "null");
}

void rmtk__json_array(rmtk__sink *s, const double *x, size_t n)
{
    rmtk__json_begin(s, '[');
    for (size_t i = 0; i < n; i++)
        rmtk__json_number(s, x[i]);
    rmtk__json_end(s, ']');
}

void rmtk__json_kv_string(rmtk__sink *s, const char *key, const char *val)
{
    rmtk__json_key(s, key);
    rmtk__json_string(s, val);
}

void rmtk__json_kv_number(rmtk__sink *s, const char *key, double v)
{
    rmtk__json_key(s, key);
    rmtk__json_number(s, v);
}

void rmtk__json_kv_int(rmtk__sink *s, const char *key, long long v)
{
    rmtk__json_key(s, key);
    rmtk__json_int(s, v);
}

/* A CSV cell (RFC 4180 quoting). The text is untrusted (tensor names come from files):
 * - a cell that a spreadsheet would take for a formula (first character = + - @, or a tab or
 *   carriage return) gets a leading apostrophe, the OWASP "CSV injection" defence;
 * - bytes that are not UTF-8 become U+FFFD, so the file is always valid UTF-8;
 * - other control characters (C0 but tab/newline/CR, DEL, C1) become '?'. */
void rmtk__csv_string(rmtk__sink *s, const char *str)
{
    const unsigned char *p = (const unsigned char *)str;
    size_t left = strlen(str);
    int formula = left > 0 && strchr("=+-@\t\r", p[0]) != NULL;
    int quote = formula || strpbrk(str, ",\"\n\r") != NULL;
    if (quote)
        rmtk__sink_put(s, "\"", 1);
    if (formula)
        rmtk__sink_put(s, "'", 1);
    while (left > 0) {
        size_t n = rmtk__utf8_seq(p, left);
        if (n == 0) {
            rmtk__sink_put(s, REPLACEMENT, 3);
            n = 1;
        } else if (*p == '"') {
            rmtk__sink_put(s, "\"\"", 2);
        } else if ((n == 1 && ((*p < 0x20 && *p != '\t' && *p != '\n' && *p != '\r') ||
                               *p == 0x7f)) ||
                   (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
            rmtk__sink_put(s, "?", 1);
        } else {
            rmtk__sink_put(s, (const char *)p, n);
        }
        p += n;
        left -= n;
    }
    if (quote)
        rmtk__sink_put(s, "\"", 1);
}

static size_t write_file(const void *buf, size_t n, void *user)
{
    return fwrite(buf, 1, n, (FILE *)user);
}

int rmtk__write_atomic(const char *path, rmtk__emit_fn emit, const void *ctx, char *errmsg)
{
    size_t len = strlen(path);
    char *tmp = rmtk__malloc(len + 16);
    if (!tmp)
        return RMTK_ERR_NOMEM;
    memcpy(tmp, path, len);
    /* Not mkstemp: its file is 0600 whatever the umask; a report is an ordinary file (0666 less
     * the umask), under a name no other process uses (pid + counter, O_EXCL). */
    static unsigned counter;
    int fd = -1;
    for (int attempt = 0; fd < 0 && attempt < 100; attempt++) {
        snprintf(tmp + len, 16, ".tmp.%05ld%03u", (long)getpid() % 100000,
                 (unsigned)(__atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED) % 1000u));
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    if (fd < 0) {
        int e = errno;
        rmtk__free(tmp);
        return rmtk__fail(errmsg, RMTK_ERR_IO, "%s: cannot create a temporary file: %s", path,
                          strerror(e));
    }
    FILE *f = fdopen(fd, "wb");
    if (!f) {
        close(fd);
        unlink(tmp);
        rmtk__free(tmp);
        return rmtk__fail(errmsg, RMTK_ERR_IO, "%s: fdopen failed", path);
    }
    int st = emit(ctx, write_file, f);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        st = st ? st : RMTK_ERR_IO;
    if (fclose(f) != 0)
        st = st ? st : RMTK_ERR_IO;
    if (st == RMTK_OK && rename(tmp, path) != 0)
        st = RMTK_ERR_IO;
    if (st != RMTK_OK) {
        int e = errno;
        unlink(tmp);
        rmtk__free(tmp);
        return rmtk__fail(errmsg, st, "%s: write failed: %s", path,
                          st == RMTK_ERR_IO ? strerror(e) : rmtk_status_str(st));
    }
    rmtk__free(tmp);
    return RMTK_OK;
}
