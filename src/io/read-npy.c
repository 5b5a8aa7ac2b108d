/*
 * read-npy.c: NumPy .npy files (format versions 1.0, 2.0, 3.0) and .npz archives of them.
 * An .npy file is the magic "\x93NUMPY", a major and minor version byte, the header length
 * (little-endian u16 in 1.0, u32 in 2.0/3.0; 3.0 allows UTF-8), then the header: a Python dict
 * literal {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), } padded with spaces and a
 * newline, then the data. The dict is parsed by a small hand-written parser that accepts any key
 * order, trailing commas, ' or " quotes, the byte orders < > | =, and shape tuples including ()
 * and (n,). An .npz is a zip (zip.c) whose members "x.npy" become tensors "x"; a member's npy
 * header is read from the member itself, and for deflated members only as many bytes as the
 * header needs are inflated. Nothing reads tensor data here.
 * REF: numpy/lib/format.py (format specification, NEP 1).
 */
#include "model-internal.h"

#include <stdio.h>
#include <string.h>

#include "zip.h"

#define NPY_MAX_HEADER (1u << 24) /* header dicts larger than 16 MiB are not plausible */

typedef struct {
    const char *p, *end;
} cursor;

static void skip_ws(cursor *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
        c->p++;
}

static int accept(cursor *c, char ch)
{
    skip_ws(c);
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return 1;
    }
    return 0;
}

/* A quoted string into out (size cap); returns 0 on error. */
static int parse_str(cursor *c, char *out, size_t cap)
{
    skip_ws(c);
    if (c->p >= c->end || (*c->p != '\'' && *c->p != '"'))
        return 0;
    char q = *c->p++;
    size_t k = 0;
    while (c->p < c->end && *c->p != q) {
        if (k + 1 >= cap)
            return 0;
        out[k++] = *c->p++;
    }
    if (c->p >= c->end)
        return 0;
    c->p++;
    out[k] = '\0';
    return 1;
}

/* Skip a balanced [...] or (...) value (structured dtypes), honouring quotes. */
static int skip_nested(cursor *c)
{
    int depth = 0;
    char q = 0;
    skip_ws(c);
    do {
        if (c->p >= c->end)
            return 0;
        char ch = *c->p++;
        if (q) {
            if (ch == q)
                q = 0;
        } else if (ch == '\'' || ch == '"') {
            q = ch;
        } else if (ch == '[' || ch == '(') {
            depth++;
        } else if (ch == ']' || ch == ')') {
            depth--;
        }
    } while (depth > 0);
    return 1;
}

/* descr -> dtype, byte order and item size. */
static void map_descr(const char *d, npy_header *h)
{
    char order = d[0];
    const char *t = d;
    if (order == '<' || order == '>' || order == '|' || order == '=')
        t++;
    h->big_endian = order == '>';
    h->dtype = RMTK_DTYPE_OTHER;
    h->itemsize = 0;
    char kind = t[0];
    const char *digits = t + 1;
    uint64_t sz = 0;
    int ok = *digits != '\0';
    for (const char *q = digits; *q; q++) {
        if (*q < '0' || *q > '9' || sz > 1000000) {
            ok = 0;
            break;
        }
        sz = sz * 10 + (uint64_t)(*q - '0');
    }
    if (!ok)
        return;
    if (kind == 'f' && sz == 2)
        h->dtype = RMTK_DTYPE_F16;
    else if (kind == 'f' && sz == 4)
        h->dtype = RMTK_DTYPE_F32;
    else if (kind == 'f' && sz == 8)
        h->dtype = RMTK_DTYPE_F64;
    else if (kind == 'i' && sz == 1)
        h->dtype = RMTK_DTYPE_I8;
    else if (kind == 'i' && sz == 2)
        h->dtype = RMTK_DTYPE_I16;
    else if (kind == 'i' && sz == 4)
        h->dtype = RMTK_DTYPE_I32;
    else if (kind == 'i' && sz == 8)
        h->dtype = RMTK_DTYPE_I64;
    else if (kind == 'u' && sz == 1)
        h->dtype = RMTK_DTYPE_U8;
    else if (kind == 'u' && sz == 2)
        h->dtype = RMTK_DTYPE_U16;
    else if (kind == 'u' && sz == 4)
        h->dtype = RMTK_DTYPE_U32;
    else if (kind == 'u' && sz == 8)
        h->dtype = RMTK_DTYPE_U64;
    else if (kind == 'b' && sz == 1)
        h->dtype = RMTK_DTYPE_BOOL;
    /* the stored item size, for the data-length check of types rmtk does not convert */
    if (kind == 'U')
        h->itemsize = 4 * sz;
    else if (strchr("fiubcSVmMa", kind))
        h->itemsize = sz;
}

int rmtk__npy_parse(rmtk_model *m, const char *file, const char *tensor, const unsigned char *p,
                    size_t have, npy_header *h, uint64_t *need)
{
    memset(h, 0, sizeof *h);
    *need = 0;
    if (have < 8) {
        *need = 12;
        return RMTK_ERR_RANGE;
    }
    if (memcmp(p, "\x93NUMPY", 6) != 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': bad npy magic at offset 0: %02x %02x %02x %02x %02x "
                          "%02x (expected \\x93NUMPY)",
                          file, tensor, p[0], p[1], p[2], p[3], p[4], p[5]);
    int major = p[6], minor = p[7];
    if ((major != 1 && major != 2 && major != 3) || minor != 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': npy format version %d.%d at offset 6 (rmtk reads "
                          "1.0, 2.0, 3.0)",
                          file, tensor, major, minor);
    size_t pre = major == 1 ? 10 : 12;
    if (have < pre) {
        *need = pre;
        return RMTK_ERR_RANGE;
    }
    uint64_t hl = major == 1 ? (uint64_t)(p[8] | (p[9] << 8))
                             : (uint64_t)p[8] | ((uint64_t)p[9] << 8) |
                                   ((uint64_t)p[10] << 16) | ((uint64_t)p[11] << 24);
    if (hl > NPY_MAX_HEADER)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': npy header length %llu at offset 8 exceeds %u", file,
                          tensor, (unsigned long long)hl, NPY_MAX_HEADER);
    h->version = major;
    h->header_len = pre + hl;
    if (have < h->header_len) {
        *need = h->header_len;
        return RMTK_ERR_RANGE;
    }
    cursor c = {(const char *)p + pre, (const char *)p + pre + hl};
    int got_descr = 0, got_fo = 0, got_shape = 0;
    const char *what = "'{'";
    if (!accept(&c, '{'))
        goto bad;
    for (;;) {
        if (accept(&c, '}'))
            break;
        char key[32];
        what = "a quoted key or '}'";
        if (!parse_str(&c, key, sizeof key))
            goto bad;
        what = "':'";
        if (!accept(&c, ':'))
            goto bad;
        skip_ws(&c);
        if (strcmp(key, "descr") == 0) {
            got_descr = 1;
            what = "a dtype string";
            if (c.p < c.end && (*c.p == '[' || *c.p == '(')) {
                if (!skip_nested(&c))
                    goto bad;
                snprintf(h->descr, sizeof h->descr, "structured");
                h->dtype = RMTK_DTYPE_OTHER;
            } else {
                if (!parse_str(&c, h->descr, sizeof h->descr))
                    goto bad;
                map_descr(h->descr, h);
            }
        } else if (strcmp(key, "fortran_order") == 0) {
            got_fo = 1;
            what = "True or False";
            if ((size_t)(c.end - c.p) >= 4 && memcmp(c.p, "True", 4) == 0) {
                h->fortran_order = 1;
                c.p += 4;
            } else if ((size_t)(c.end - c.p) >= 5 && memcmp(c.p, "False", 5) == 0) {
                h->fortran_order = 0;
                c.p += 5;
            } else {
                goto bad;
            }
        } else if (strcmp(key, "shape") == 0) {
            got_shape = 1;
            what = "a shape tuple of non-negative integers";
            if (!accept(&c, '('))
                goto bad;
            h->ndim = 0;
            for (;;) {
                if (accept(&c, ')'))
                    break;
                skip_ws(&c);
                if (c.p >= c.end || *c.p < '0' || *c.p > '9')
                    goto bad;
                uint64_t v = 0;
                while (c.p < c.end && *c.p >= '0' && *c.p <= '9') {
                    if (v > ((uint64_t)INT64_MAX - 9) / 10)
                        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                                          "%s: tensor '%s': a shape dimension overflows 64 bits",
                                          file, tensor);
                    v = v * 10 + (uint64_t)(*c.p++ - '0');
                }
                if (c.p < c.end && *c.p == 'L')
                    c.p++;
                if (h->ndim == RMTK_MAX_DIMS)
                    return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                                      "%s: tensor '%s': more than %d dimensions", file, tensor,
                                      RMTK_MAX_DIMS);
                h->shape[h->ndim++] = (int64_t)v;
                if (accept(&c, ')')) {
                    /* "(12)" is the integer 12 in Python, not a tuple: numpy rejects it */
                    if (h->ndim == 1)
                        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                          "%s: tensor '%s': 'shape' is (%llu), an integer, "
                                          "not a tuple (a 1-D shape is written (%llu,)) at "
                                          "byte offset %zu of the npy header",
                                          file, tensor, (unsigned long long)v,
                                          (unsigned long long)v,
                                          (size_t)(c.p - (const char *)p));
                    break;
                }
                if (!accept(&c, ','))
                    goto bad;
            }
        } else {
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': unexpected key '%s' in the npy header dict", file,
                              tensor, key);
        }
        if (accept(&c, ','))
            continue;
        what = "',' or '}'";
        if (!accept(&c, '}'))
            goto bad;
        break;
    }
    if (!got_descr || !got_fo || !got_shape)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': npy header dict lacks the key '%s'", file, tensor,
                          !got_descr ? "descr" : !got_fo ? "fortran_order" : "shape");
    h->numel = 1;
    for (int k = 0; k < h->ndim; k++)
        if (!rmtk__mul_u64(h->numel, (uint64_t)h->shape[k], &h->numel))
            return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': the element count of the shape overflows", file,
                              tensor);
    if (h->dtype != RMTK_DTYPE_OTHER)
        h->itemsize = rmtk_dtype_size(h->dtype);
    if (!rmtk__mul_u64(h->numel, h->itemsize, &h->nbytes))
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': shape x item size overflows 64 bits", file, tensor);
    return RMTK_OK;
bad: {
    size_t at = (size_t)(c.p - (const char *)p);
    char near[24] = {0};
    size_t k = 0;
    for (const char *q = c.p; q < c.end && k < 20; q++)
        near[k++] = (*q >= 32 && *q < 127) ? *q : '?';
    return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                      "%s: tensor '%s': bad npy header dict at byte offset %zu: expected %s "
                      "near \"%s\"",
                      file, tensor, at, what, near);
}
}

static void fill_info(model_tensor *t, const npy_header *h)
{
    t->info.dtype = h->dtype;
    t->info.ndim = h->ndim;
    memcpy(t->info.shape, h->shape, sizeof h->shape);
    t->info.numel = h->numel;
    t->info.nbytes = h->nbytes;
    t->info.big_endian = h->big_endian && h->itemsize > 1;
    t->info.fortran_order = h->fortran_order;
}

int rmtk__read_npy(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    /* the tensor is named after the file's stem */
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    size_t len = strlen(base);
    if (len > 4 && strcmp(base + len - 4, ".npy") == 0)
        len -= 4;
    char name[256];
    snprintf(name, sizeof name, "%.*s", (int)RMTK_MIN(len, sizeof name - 1), base);
    unsigned char small[12];
    size_t have = (size_t)RMTK_MIN(size, (uint64_t)sizeof small);
    int st = rmtk__pread_full(m, fd, path, small, have, 0);
    if (st)
        return st;
    npy_header h;
    uint64_t need;
    st = rmtk__npy_parse(m, path, name, small, have, &h, &need);
    unsigned char *buf = NULL;
    if (st == RMTK_ERR_RANGE && need > 0) {
        if (need > size)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': truncated npy header: it needs %llu bytes, the "
                              "file has %llu",
                              path, name, (unsigned long long)need, (unsigned long long)size);
        buf = rmtk__malloc((size_t)need);
        if (!buf)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        st = rmtk__pread_full(m, fd, path, buf, (size_t)need, 0);
        if (!st)
            st = rmtk__npy_parse(m, path, name, buf, (size_t)need, &h, &need);
        rmtk__free(buf);
    }
    if (st)
        return st;
    uint64_t end;
    if (!rmtk__add_u64(h.header_len, h.nbytes, &end) || end > size)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': truncated data: shape x '%s' needs %llu bytes at "
                          "offset %llu, the file has only %llu after it",
                          path, name, h.descr, (unsigned long long)h.nbytes,
                          (unsigned long long)h.header_len,
                          (unsigned long long)(size - RMTK_MIN(size, h.header_len)));
    size_t fidx;
    st = rmtk__model_add_file(m, path, &fidx);
    model_tensor *t;
    if (!st)
        st = rmtk__model_add_tensor(m, name, strlen(name), h.descr, &t);
    if (st)
        return st;
    t->file = fidx;
    t->store = MODEL_STORE_RAW;
    fill_info(t, &h);
    t->info.offset = h.header_len;
    return RMTK_OK;
}

/* Read member e's npy header: from the file for stored members, by inflating a prefix for
 * deflated ones (growing the prefix only as far as the header needs). */
static int member_header(rmtk_model *m, const char *path, int fd, const rmtk__zip_entry *e,
                         const char *name, npy_header *h)
{
    uint64_t want = RMTK_MIN(e->usize, (uint64_t)256);
    for (;;) {
        unsigned char *buf = rmtk__malloc((size_t)(want ? want : 1));
        if (!buf)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        int st;
        if (e->method == 0) {
            st = rmtk__pread_full(m, fd, path, buf, (size_t)want, e->data_offset);
        } else {
            uint64_t in_read;
            st = rmtk__zip_inflate(fd, path, e, buf, want, &in_read, m->errmsg);
            m->bytes_inflated += want;
        }
        uint64_t need = 0;
        if (!st)
            st = rmtk__npy_parse(m, path, name, buf, (size_t)want, h, &need);
        rmtk__free(buf);
        if (st != RMTK_ERR_RANGE || need == 0)
            return st;
        if (need > e->usize)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': truncated npy header: it needs %llu bytes, the "
                              "member at offset %llu has %llu",
                              path, name, (unsigned long long)need,
                              (unsigned long long)e->data_offset, (unsigned long long)e->usize);
        want = need;
    }
}

int rmtk__read_npz(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    rmtk__zip_entry *ents;
    size_t n;
    int st = rmtk__zip_read_dir(fd, size, path, &ents, &n, m->errmsg);
    if (st)
        return st;
    size_t fidx;
    st = rmtk__model_add_file(m, path, &fidx);
    for (size_t i = 0; i < n && !st; i++) {
        const rmtk__zip_entry *e = &ents[i];
        size_t len = strlen(e->name);
        if (len == 0 || e->name[len - 1] == '/')
            continue; /* a directory entry */
        model_tensor *t;
        if (len <= 4 || strcmp(e->name + len - 4, ".npy") != 0) {
            /* not an array: listed as raw bytes rmtk does not interpret */
            st = rmtk__model_add_tensor(m, e->name, len, "bytes", &t);
            if (st)
                break;
            t->file = fidx;
            t->store = e->method == 0 ? MODEL_STORE_ZIP_RAW : MODEL_STORE_DEFLATE;
            t->info.dtype = RMTK_DTYPE_OTHER;
            t->info.ndim = 1;
            t->info.shape[0] = (int64_t)RMTK_MIN(e->usize, (uint64_t)INT64_MAX);
            t->info.numel = e->usize;
            t->info.nbytes = e->usize;
            t->info.offset = e->data_offset;
        } else {
            char name[512];
            snprintf(name, sizeof name, "%.*s", (int)RMTK_MIN(len - 4, sizeof name - 1),
                     e->name);
            npy_header h;
            st = member_header(m, path, fd, e, name, &h);
            if (st)
                break;
            uint64_t end;
            if (!rmtk__add_u64(h.header_len, h.nbytes, &end) || end > e->usize) {
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: tensor '%s': truncated data: shape x '%s' needs %llu bytes "
                                "after a %llu-byte header, the member (at offset %llu) holds "
                                "%llu",
                                path, name, h.descr, (unsigned long long)h.nbytes,
                                (unsigned long long)h.header_len,
                                (unsigned long long)e->data_offset,
                                (unsigned long long)e->usize);
                break;
            }
            if (end < e->usize) {
                /* numpy writes nothing after the data; inflating a member beyond its tensor's
                 * own bytes is how a small file makes rmtk produce hundreds of megabytes */
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: tensor '%s': the member (at offset %llu) holds %llu bytes, "
                                "%llu more than its %llu-byte header and %llu bytes of data "
                                "(shape x '%s')",
                                path, name, (unsigned long long)e->data_offset,
                                (unsigned long long)e->usize,
                                (unsigned long long)(e->usize - end),
                                (unsigned long long)h.header_len, (unsigned long long)h.nbytes,
                                h.descr);
                break;
            }
            st = rmtk__model_add_tensor(m, name, strlen(name), h.descr, &t);
            if (st)
                break;
            t->file = fidx;
            t->store = e->method == 0 ? MODEL_STORE_ZIP_RAW : MODEL_STORE_DEFLATE;
            fill_info(t, &h);
            t->member_hdr = h.header_len;
            t->info.offset =
                e->method == 0 ? e->data_offset + h.header_len : e->data_offset;
        }
        t->member_offset = e->data_offset;
        t->member_csize = e->csize;
        t->member_usize = e->usize;
        t->member_crc = e->crc;
    }
    rmtk__zip_free(ents, n);
    return st;
}
