/*
 * svg-compact.c: makes the SVG that PLplot's svg driver writes small. The driver writes one
 * <polyline> element per line segment run, each attribute on its own indented line, opacity 1
 * spelled out, and a dashed line as one element per dash: about 200 bytes a segment, 140 KB for
 * a histogram figure. Rewritten here, with the same picture:
 *   - whitespace between tags and inside tags collapsed to one space (text content kept as is:
 *     the <text> elements of the driver hold no line breaks);
 *   - stroke-opacity="1.000000" and fill-opacity="1.000000" (the defaults) dropped, numbers
 *     written with six decimals in attributes rounded to two (a hundredth of a pixel);
 *   - consecutive <polyline> elements with the same attributes merged into one
 *     <path d="M x,y x,y M x,y ..."> (a path's implicit line-to after M draws the same segments;
 *     the driver's polylines are fill="none", so no fill changes).
 * The file is rewritten in place; 0 on success.
 */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    char *s;
    size_t n, cap;
} sbuf;

static int put(sbuf *b, const char *s, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        size_t cap = (b->cap ? b->cap * 2 : 1 << 16) + n;
        char *p = realloc(b->s, cap);
        if (!p)
            return 1;
        b->s = p;
        b->cap = cap;
    }
    memcpy(b->s + b->n, s, n);
    b->n += n;
    b->s[b->n] = '\0';
    return 0;
}

static int puts_(sbuf *b, const char *s)
{
    return put(b, s, strlen(s));
}

/* Pass 1: whitespace outside text content collapsed, default opacities dropped. */
static int squeeze(const char *in, sbuf *out)
{
    int intag = 0, err = 0;
    for (const char *p = in; *p && !err;) {
        if (intag && (!strncmp(p, "stroke-opacity=\"1.000000\"", 25) ||
                      !strncmp(p, "fill-opacity=\"1.000000\"", 23))) {
            p += p[0] == 's' ? 25 : 23;
            while (*p == ' ' || *p == '\n')
                p++;
            continue;
        }
        if (intag && (*p >= '0' && *p <= '9') && (p[-1] == ' ' || p[-1] == '"' ||
                                                  p[-1] == '(' || p[-1] == '-')) {
            /* a number with 3 or more decimals (the driver's %f: text positions, transforms)
             * to 2 decimals, trailing zeros dropped: 1.000000 -> 1, 84.743797 -> 84.74 */
            const char *q = p;
            while (*q >= '0' && *q <= '9')
                q++;
            size_t dec = 0;
            if (*q == '.')
                while (q[1 + dec] >= '0' && q[1 + dec] <= '9')
                    dec++;
            if (dec >= 3 && q[1 + dec] != 'e') {
                char num[64];
                int k = snprintf(num, sizeof num, "%.2f", strtod(p, NULL));
                while (k > 0 && num[k - 1] == '0')
                    num[--k] = '\0';
                if (k > 0 && num[k - 1] == '.')
                    num[--k] = '\0';
                if (!strcmp(num, "-0"))
                    snprintf(num, sizeof num, "0");
                err = puts_(out, num);
                p = q + 1 + dec;
                continue;
            }
        }
        if (intag && !strncmp(p, "stroke-width=\"", 14)) { /* 2.000000e+00 -> 2 */
            char *end;
            double w = strtod(p + 14, &end);
            if (end > p + 14 && *end == '"') {
                char num[48];
                snprintf(num, sizeof num, "stroke-width=\"%g\"", w);
                err = puts_(out, num);
                p = end + 1;
                continue;
            }
        }
        if (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r') {
            const char *q = p;
            while (*q == ' ' || *q == '\n' || *q == '\t' || *q == '\r')
                q++;
            /* inside a tag: one space, none before > or />; between tags: none when the run
             * holds a line break (indentation), else kept (text content) */
            if (intag) {
                if (*q != '>' && !(q[0] == '/' && q[1] == '>'))
                    err = put(out, " ", 1);
            } else if (!memchr(p, '\n', (size_t)(q - p))) {
                err = put(out, p, (size_t)(q - p));
            } else if (*q != '<') {
                err = put(out, " ", 1);
            }
            p = q;
            continue;
        }
        if (*p == '<')
            intag = 1;
        else if (*p == '>')
            intag = 0;
        err = put(out, p, 1);
        p++;
    }
    return err;
}

/* Pass 2: runs of polylines with equal attributes as one path. */
static int merge(const char *in, sbuf *out)
{
    static const char open[] = "<polyline ", pts[] = " points=\"";
    char *attrs = NULL; /* the pending path's attributes (NULL: none pending) */
    size_t alen = 0;
    int err = 0;
    const char *p = in;
    while (*p && !err) {
        const char *q = strstr(p, open);
        const char *a = q ? q + sizeof open - 1 : NULL;
        const char *pp = a ? strstr(a, pts) : NULL;
        const char *pe = pp ? strchr(pp + sizeof pts - 1, '"') : NULL;
        int ok = pe && !strncmp(pe, "\"/>", 3) && !memchr(a, '>', (size_t)(pp - a));
        if (!q || !ok || q != p) {
            /* text before the next polyline (or the rest): ends a pending path */
            if (attrs) {
                err |= puts_(out, "\"/>");
                free(attrs);
                attrs = NULL;
            }
            if (!q) {
                err |= puts_(out, p);
                break;
            }
            size_t n = (size_t)(q - p) + (ok ? 0 : sizeof open - 1);
            err |= put(out, p, n);
            p += n;
            continue;
        }
        size_t la = (size_t)(pp - a);
        const char *v = pp + sizeof pts - 1;
        if (attrs && la == alen && !memcmp(attrs, a, la)) {
            err |= put(out, " M", 2);
        } else {
            if (attrs) {
                err |= puts_(out, "\"/>");
                free(attrs);
            }
            attrs = malloc(la + 1);
            if (!attrs)
                return 1;
            memcpy(attrs, a, la);
            alen = la;
            err |= puts_(out, "<path ");
            err |= put(out, a, la);
            err |= puts_(out, " d=\"M");
        }
        err |= put(out, v, (size_t)(pe - v));
        p = pe + 3;
    }
    if (attrs) {
        err |= puts_(out, "\"/>");
        free(attrs);
    }
    return err;
}

int cli_svg_compact(const char *path)
{
    size_t n;
    char *s = cli_read_file(path, &n);
    if (!s)
        return 1;
    sbuf a = {0}, b = {0};
    int err = squeeze(s, &a) || merge(a.s ? a.s : "", &b);
    free(s);
    free(a.s);
    if (!err) {
        FILE *f = fopen(path, "wb");
        err = !f || fwrite(b.s, 1, b.n, f) != b.n;
        if (f && fclose(f) != 0)
            err = 1;
    }
    free(b.s);
    return err;
}
