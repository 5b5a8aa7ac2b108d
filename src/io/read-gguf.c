/*
 * read-gguf.c: the GGUF reader (llama.cpp / ggml weight files, versions 2 and 3). A file is
 *
 *   "GGUF" | u32 version | u64 n_tensors | u64 n_kv
 *   n_kv x (string key | u32 value type | value)
 *   n_tensors x (string name | u32 n_dims | n_dims x i64 ne | u32 ggml type | u64 offset)
 *   padding to the alignment (key general.alignment, u32, a power of two; default 32)
 *   the data section: tensor i at data start + offset_i, each padded to the alignment
 *
 * with strings as u64 length + bytes (no terminator) and everything little-endian. Value types:
 * u8 0, i8 1, u16 2, i16 3, u32 4, i32 5, f32 6, bool 7, string 8, array 9 (u32 element type,
 * u64 count, elements; arrays of arrays are invalid as in ggml), u64 10, i64 11, f64 12.
 * Version 1 (32-bit counts) is rejected with a message saying so.
 *
 * The header is read through a small buffer (a tokenizer's 150k strings are skipped, not
 * stored); nothing of the data section is read. Every count and length is checked against the
 * bytes left in the file before it is used, products and sums of sizes are overflow-checked,
 * tensors must be laid out as ggml lays them out (offsets in order, each padded to the
 * alignment: ggml's own rule) and end inside the file. Metadata become strings (numbers in
 * decimal, short numeric arrays listed, others summarised as array<TYPE>[N]).
 *
 * Shapes: ggml's ne[0] is the fastest axis (the in-features of a weight), so a tensor with
 * ne = (ne0, ne1, ne2) is presented in C order as shape [ne2, ne1, ne0]: a 2-D weight has
 * rows = ne1 = out features, cols = ne0 = in features, like the other readers, and a 3-D stack
 * of experts is [n_expert][out][in]. The quantised types map onto RMTK_DTYPE_Q4_0 ... (quant.c);
 * ggml types rmtk does not dequantise (the grid-coded IQ1/IQ2/IQ3 types, Q8_1, NVFP4, Q1_0,
 * Q2_0) are listed as
 * RMTK_DTYPE_OTHER with ggml's name, so extraction skips them with that name.
 *
 * Split files NAME-00001-of-0000N.gguf (llama.cpp's gguf-split): naming any part opens all N
 * parts in order; each must carry split.no = its index - 1 and split.count = N, and the total
 * tensor count must equal part 1's split.tensors.count when present.
 * REF: ggml docs/gguf.md and ggml/src/gguf.cpp (gguf_init_from_file_impl), github.com/ggml-org.
 */
#include "model-internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define GGUF_DEFAULT_ALIGNMENT 32
#define GGUF_MAX_DIMS 4             /* GGML_MAX_DIMS */
#define GGUF_NAME_CAP 65536         /* bytes of a key or tensor name accepted */
#define GGUF_VALUE_CAP 65536        /* bytes of a string value kept in the metadata */
#define GGUF_ARRAY_LIST 16          /* numeric arrays up to this length are listed in full */

enum {
    GT_U8 = 0, GT_I8 = 1, GT_U16 = 2, GT_I16 = 3, GT_U32 = 4, GT_I32 = 5, GT_F32 = 6,
    GT_BOOL = 7, GT_STRING = 8, GT_ARRAY = 9, GT_U64 = 10, GT_I64 = 11, GT_F64 = 12, GT_COUNT = 13
};

static const char *const vt_names[GT_COUNT] = {"u8",  "i8",     "u16",   "i16", "u32",
                                                "i32", "f32",    "bool",  "string", "array",
                                                "u64", "i64",    "f64"};
static const unsigned vt_size[GT_COUNT] = {1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8};

/* ggml's tensor types (enum ggml_type, ggml.h): name, block elements, block bytes, rmtk dtype.
 * Zero block size: an id ggml has removed. */
typedef struct {
    const char *name;
    uint32_t blck, bytes;
    int dtype;
} ggml_type_info;

static const ggml_type_info ggml_types[] = {
    [0] = {"F32", 1, 4, RMTK_DTYPE_F32},
    [1] = {"F16", 1, 2, RMTK_DTYPE_F16},
    [2] = {"Q4_0", 32, 18, RMTK_DTYPE_Q4_0},
    [3] = {"Q4_1", 32, 20, RMTK_DTYPE_Q4_1},
    [4] = {"Q4_2 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [5] = {"Q4_3 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [6] = {"Q5_0", 32, 22, RMTK_DTYPE_Q5_0},
    [7] = {"Q5_1", 32, 24, RMTK_DTYPE_Q5_1},
    [8] = {"Q8_0", 32, 34, RMTK_DTYPE_Q8_0},
    [9] = {"Q8_1", 32, 36, RMTK_DTYPE_OTHER},
    [10] = {"Q2_K", 256, 84, RMTK_DTYPE_Q2_K},
    [11] = {"Q3_K", 256, 110, RMTK_DTYPE_Q3_K},
    [12] = {"Q4_K", 256, 144, RMTK_DTYPE_Q4_K},
    [13] = {"Q5_K", 256, 176, RMTK_DTYPE_Q5_K},
    [14] = {"Q6_K", 256, 210, RMTK_DTYPE_Q6_K},
    [15] = {"Q8_K", 256, 292, RMTK_DTYPE_Q8_K},
    [16] = {"IQ2_XXS", 256, 66, RMTK_DTYPE_OTHER},
    [17] = {"IQ2_XS", 256, 74, RMTK_DTYPE_OTHER},
    [18] = {"IQ3_XXS", 256, 98, RMTK_DTYPE_OTHER},
    [19] = {"IQ1_S", 256, 50, RMTK_DTYPE_OTHER},
    [20] = {"IQ4_NL", 32, 18, RMTK_DTYPE_IQ4_NL},
    [21] = {"IQ3_S", 256, 110, RMTK_DTYPE_OTHER},
    [22] = {"IQ2_S", 256, 82, RMTK_DTYPE_OTHER},
    [23] = {"IQ4_XS", 256, 136, RMTK_DTYPE_IQ4_XS},
    [24] = {"I8", 1, 1, RMTK_DTYPE_I8},
    [25] = {"I16", 1, 2, RMTK_DTYPE_I16},
    [26] = {"I32", 1, 4, RMTK_DTYPE_I32},
    [27] = {"I64", 1, 8, RMTK_DTYPE_I64},
    [28] = {"F64", 1, 8, RMTK_DTYPE_F64},
    [29] = {"IQ1_M", 256, 56, RMTK_DTYPE_OTHER},
    [30] = {"BF16", 1, 2, RMTK_DTYPE_BF16},
    [31] = {"Q4_0_4_4 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [32] = {"Q4_0_4_8 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [33] = {"Q4_0_8_8 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [34] = {"TQ1_0", 256, 54, RMTK_DTYPE_TQ1_0},
    [35] = {"TQ2_0", 256, 66, RMTK_DTYPE_TQ2_0},
    [36] = {"IQ4_NL_4_4 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [37] = {"IQ4_NL_4_8 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [38] = {"IQ4_NL_8_8 (removed)", 0, 0, RMTK_DTYPE_OTHER},
    [39] = {"MXFP4", 32, 17, RMTK_DTYPE_MXFP4},
    [40] = {"NVFP4", 64, 36, RMTK_DTYPE_OTHER},
    [41] = {"Q1_0", 128, 18, RMTK_DTYPE_OTHER},
    [42] = {"Q2_0", 64, 18, RMTK_DTYPE_OTHER},
};
#define GGML_TYPE_COUNT (sizeof ggml_types / sizeof ggml_types[0])

/* A buffered little-endian reader over the header. */
typedef struct {
    rmtk_model *m;
    const char *path;
    int fd;
    uint64_t size, pos;   /* file size, current offset */
    uint64_t boff;        /* file offset of buf[0] */
    size_t blen;
    unsigned char buf[1 << 16];
} greader;

static int g_read(greader *r, void *dst, uint64_t n, const char *what)
{
    if (n > r->size || r->pos > r->size - n)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: truncated: %s at byte offset %llu needs %llu bytes, the file has "
                          "%llu",
                          r->path, what, (unsigned long long)r->pos, (unsigned long long)n,
                          (unsigned long long)r->size);
    unsigned char *d = dst;
    while (n > 0) {
        if (r->pos >= r->boff && r->pos < r->boff + r->blen) {
            size_t at = (size_t)(r->pos - r->boff);
            size_t k = (size_t)RMTK_MIN(n, (uint64_t)(r->blen - at));
            memcpy(d, r->buf + at, k);
            d += k;
            n -= k;
            r->pos += k;
            continue;
        }
        size_t want = (size_t)RMTK_MIN((uint64_t)sizeof r->buf, r->size - r->pos);
        int st = rmtk__pread_full(r->m, r->fd, r->path, r->buf, want, r->pos);
        if (st)
            return st;
        r->boff = r->pos;
        r->blen = want;
    }
    return RMTK_OK;
}

static int g_skip(greader *r, uint64_t n, const char *what)
{
    if (n > r->size || r->pos > r->size - n)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: truncated: %s at byte offset %llu needs %llu bytes, the file has "
                          "%llu",
                          r->path, what, (unsigned long long)r->pos, (unsigned long long)n,
                          (unsigned long long)r->size);
    r->pos += n;
    return RMTK_OK;
}

static uint64_t le(const unsigned char *p, unsigned n)
{
    uint64_t u = 0;
    for (unsigned i = n; i-- > 0;)
        u = (u << 8) | p[i];
    return u;
}

static int g_u32(greader *r, uint32_t *v, const char *what)
{
    unsigned char b[4];
    int st = g_read(r, b, 4, what);
    if (!st)
        *v = (uint32_t)le(b, 4);
    return st;
}

static int g_u64(greader *r, uint64_t *v, const char *what)
{
    unsigned char b[8];
    int st = g_read(r, b, 8, what);
    if (!st)
        *v = le(b, 8);
    return st;
}

/* A string's length, checked against the bytes left. */
static int g_strlen(greader *r, uint64_t *len, const char *what)
{
    uint64_t at = r->pos;
    int st = g_u64(r, len, what);
    if (st)
        return st;
    if (*len > r->size - r->pos)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: %s at byte offset %llu has length %llu, but only %llu bytes are "
                          "left in the file",
                          r->path, what, (unsigned long long)at, (unsigned long long)*len,
                          (unsigned long long)(r->size - r->pos));
    return RMTK_OK;
}

/* A string of at most cap bytes into a new NUL-terminated buffer (*out, owned by the caller). */
static int g_string(greader *r, char **out, uint64_t cap, const char *what)
{
    uint64_t at = r->pos, len;
    int st = g_strlen(r, &len, what);
    if (st)
        return st;
    if (len > cap)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: %s at byte offset %llu is %llu bytes long (at most %llu accepted)",
                          r->path, what, (unsigned long long)at, (unsigned long long)len,
                          (unsigned long long)cap);
    char *s = rmtk__malloc((size_t)len + 1);
    if (!s)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", r->path);
    st = g_read(r, s, len, what);
    if (st) {
        rmtk__free(s);
        return st;
    }
    s[len] = '\0';
    *out = s;
    return RMTK_OK;
}

/* ---- metadata values as strings ------------------------------------------------------------- */

typedef struct {
    char *s;
    size_t len, cap;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n)
{
    if (b->len >= b->cap)
        return;
    size_t k = RMTK_MIN(n, b->cap - b->len);
    memcpy(b->s + b->len, s, k);
    b->len += k;
    b->s[b->len] = '\0';
}

static void sb_fmt_scalar(sbuf *b, uint32_t type, const unsigned char *p)
{
    char t[48];
    uint64_t u = le(p, vt_size[type]);
    switch (type) {
    case GT_U8:
    case GT_U16:
    case GT_U32:
    case GT_U64:
        snprintf(t, sizeof t, "%llu", (unsigned long long)u);
        break;
    case GT_I8:
        snprintf(t, sizeof t, "%d", (int)(int8_t)u);
        break;
    case GT_I16:
        snprintf(t, sizeof t, "%d", (int)(int16_t)u);
        break;
    case GT_I32:
        snprintf(t, sizeof t, "%ld", (long)(int32_t)u);
        break;
    case GT_I64: {
        int64_t v;
        memcpy(&v, &u, 8);
        snprintf(t, sizeof t, "%lld", (long long)v);
        break;
    }
    case GT_F32: {
        uint32_t w = (uint32_t)u;
        float f;
        memcpy(&f, &w, 4);
        snprintf(t, sizeof t, "%.9g", (double)f);
        break;
    }
    case GT_F64: {
        double d;
        memcpy(&d, &u, 8);
        snprintf(t, sizeof t, "%.17g", d);
        break;
    }
    default: /* GT_BOOL */
        snprintf(t, sizeof t, "%s", u ? "true" : "false");
        break;
    }
    sb_add(b, t, strlen(t));
}

/* Read one value of type `type` (not an array) into b (a string is kept up to b's capacity). */
static int read_value(greader *r, uint32_t type, sbuf *b, const char *key, uint64_t at)
{
    if (type == GT_STRING) {
        uint64_t len;
        int st = g_strlen(r, &len, "string value");
        if (st)
            return st;
        uint64_t keep = RMTK_MIN(len, (uint64_t)GGUF_VALUE_CAP);
        char tmp[4096];
        for (uint64_t done = 0; done < keep;) {
            size_t k = (size_t)RMTK_MIN(keep - done, (uint64_t)sizeof tmp);
            st = g_read(r, tmp, k, "string value");
            if (st)
                return st;
            sb_add(b, tmp, k);
            done += k;
        }
        if (len > keep) {
            char t[64];
            snprintf(t, sizeof t, "... (%llu bytes)", (unsigned long long)len);
            sb_add(b, t, strlen(t));
        }
        return g_skip(r, len - keep, "string value");
    }
    if (type >= GT_COUNT || type == GT_ARRAY)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: key '%s' at byte offset %llu: %s value type %u", r->path, key,
                          (unsigned long long)at,
                          type == GT_ARRAY ? "an array of arrays (invalid in GGUF):"
                                           : "unknown",
                          (unsigned)type);
    unsigned char v[8];
    int st = g_read(r, v, vt_size[type], "metadata value");
    if (st)
        return st;
    if (type == GT_BOOL && v[0] > 1)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: key '%s': bool value at byte offset %llu is %u, not 0 or 1",
                          r->path, key, (unsigned long long)(r->pos - 1), (unsigned)v[0]);
    sb_fmt_scalar(b, type, v);
    return RMTK_OK;
}

/* What the reader keeps of the key/values. */
typedef struct {
    uint32_t alignment;
    int has_split;
    uint64_t split_no, split_count;
    int has_split_tensors;
    uint64_t split_tensors;
} gguf_keys;

/* An unsigned integer key of the expected type, for the keys the reader itself needs. */
static int want_uint(greader *r, const char *key, uint32_t type, uint32_t want, const char *val,
                     uint64_t at, uint64_t *out)
{
    if (type != want)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: key '%s' at byte offset %llu has type %s, expected %s", r->path,
                          key, (unsigned long long)at, type < GT_COUNT ? vt_names[type] : "?",
                          vt_names[want]);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(val, &end, 10);
    if (errno || *end || end == val || val[0] == '-')
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT, "%s: key '%s' = '%s' is not an integer",
                          r->path, key, val);
    *out = v;
    return RMTK_OK;
}

static int read_kv(greader *r, int add_meta, gguf_keys *k, sbuf *b)
{
    uint64_t at = r->pos;
    char *key = NULL;
    int st = g_string(r, &key, GGUF_NAME_CAP, "metadata key");
    if (st)
        return st;
    uint32_t type = 0;
    st = g_u32(r, &type, "metadata value type");
    b->len = 0;
    b->s[0] = '\0';
    if (!st && type == GT_ARRAY) {
        uint32_t et = 0;
        uint64_t n = 0;
        st = g_u32(r, &et, "array element type");
        if (!st)
            st = g_u64(r, &n, "array length");
        if (!st && (et >= GT_COUNT || et == GT_ARRAY))
            st = rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                            "%s: key '%s' at byte offset %llu: array of %s element type %u",
                            r->path, key, (unsigned long long)at,
                            et == GT_ARRAY ? "arrays (invalid in GGUF):" : "unknown",
                            (unsigned)et);
        /* every element takes at least one byte (strings 8): check n against the file */
        uint64_t min_el = et == GT_STRING ? 8 : (et < GT_COUNT ? vt_size[et] : 1), need;
        if (!st && (!rmtk__mul_u64(n, min_el, &need) || need > r->size - r->pos))
            st = rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                            "%s: key '%s' at byte offset %llu: array of %llu %s elements needs "
                            "at least %llu bytes, only %llu are left in the file",
                            r->path, key, (unsigned long long)at, (unsigned long long)n,
                            vt_names[et], (unsigned long long)n * min_el,
                            (unsigned long long)(r->size - r->pos));
        if (!st && et != GT_STRING && n <= GGUF_ARRAY_LIST) {
            sb_add(b, "[", 1);
            for (uint64_t i = 0; i < n && !st; i++) {
                if (i)
                    sb_add(b, ", ", 2);
                st = read_value(r, et, b, key, at);
            }
            sb_add(b, "]", 1);
        } else if (!st) {
            char t[64];
            snprintf(t, sizeof t, "array<%s>[%llu]", vt_names[et], (unsigned long long)n);
            sb_add(b, t, strlen(t));
            if (et == GT_STRING) {
                for (uint64_t i = 0; i < n && !st; i++) {
                    uint64_t len;
                    st = g_strlen(r, &len, "array string");
                    if (!st)
                        st = g_skip(r, len, "array string");
                }
            } else {
                st = g_skip(r, n * vt_size[et], "array data");
            }
        }
    } else if (!st) {
        st = read_value(r, type, b, key, at);
    }
    uint64_t v;
    if (!st && strcmp(key, "general.alignment") == 0) {
        st = want_uint(r, key, type, GT_U32, b->s, at, &v);
        if (!st && (v == 0 || (v & (v - 1)) != 0))
            st = rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                            "%s: general.alignment at byte offset %llu is %llu, not a power of "
                            "two",
                            r->path, (unsigned long long)at, (unsigned long long)v);
        if (!st)
            k->alignment = (uint32_t)v;
    } else if (!st && strcmp(key, "split.no") == 0) {
        st = want_uint(r, key, type, GT_U16, b->s, at, &k->split_no);
        k->has_split = 1;
    } else if (!st && strcmp(key, "split.count") == 0) {
        st = want_uint(r, key, type, GT_U16, b->s, at, &k->split_count);
        k->has_split = 1;
    } else if (!st && strcmp(key, "split.tensors.count") == 0 && type == GT_I32 &&
               b->s[0] != '-') {
        k->has_split_tensors = 1;
        k->split_tensors = strtoull(b->s, NULL, 10);
    }
    if (!st && add_meta)
        st = rmtk__model_add_meta(r->m, key, b->s);
    rmtk__free(key);
    return st;
}

typedef struct {
    char *name;
    uint32_t type;
    int ndim;
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t numel, nbytes, offset, info_at;
} gguf_tensor;

static const char *fmt_ne(char *buf, size_t size, const uint64_t *ne, int nd)
{
    size_t k = (size_t)snprintf(buf, size, "ne = (");
    for (int i = 0; i < nd && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%llu", i ? ", " : "",
                              (unsigned long long)ne[i]);
    if (k < size)
        snprintf(buf + k, size - k, ")");
    return buf;
}

static int read_tensor_info(greader *r, gguf_tensor *t)
{
    t->info_at = r->pos;
    int st = g_string(r, &t->name, GGUF_NAME_CAP, "tensor name");
    if (st)
        return st;
    uint32_t nd;
    st = g_u32(r, &nd, "tensor n_dims");
    if (st)
        return st;
    if (nd > GGUF_MAX_DIMS)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s' (info at byte offset %llu): %u dimensions, GGUF allows "
                          "at most %d",
                          r->path, t->name, (unsigned long long)t->info_at, (unsigned)nd,
                          GGUF_MAX_DIMS);
    uint64_t ne[GGUF_MAX_DIMS];
    char nb[160];
    t->numel = 1;
    for (uint32_t i = 0; i < nd; i++) {
        st = g_u64(r, &ne[i], "tensor ne");
        if (st)
            return st;
        if (ne[i] > (uint64_t)INT64_MAX)
            return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s' (info at byte offset %llu): ne[%u] = %lld is "
                              "negative",
                              r->path, t->name, (unsigned long long)t->info_at, (unsigned)i,
                              (long long)(int64_t)ne[i]);
        if (!rmtk__mul_u64(t->numel, ne[i], &t->numel) || t->numel > (uint64_t)INT64_MAX)
            return rmtk__fail(r->m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s' (info at byte offset %llu): the element count of "
                              "%s overflows",
                              r->path, t->name, (unsigned long long)t->info_at,
                              fmt_ne(nb, sizeof nb, ne, (int)i + 1));
    }
    t->ndim = (int)nd;
    for (int i = 0; i < t->ndim; i++)
        t->shape[i] = (int64_t)ne[t->ndim - 1 - i];
    st = g_u32(r, &t->type, "tensor type");
    if (!st)
        st = g_u64(r, &t->offset, "tensor offset");
    if (st)
        return st;
    if (t->type >= GGML_TYPE_COUNT || ggml_types[t->type].blck == 0)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s' (info at byte offset %llu): ggml type id %u is %s",
                          r->path, t->name, (unsigned long long)t->info_at, (unsigned)t->type,
                          t->type >= GGML_TYPE_COUNT ? "unknown (ggml knows 0..42)"
                                                     : ggml_types[t->type].name);
    const ggml_type_info *gt = &ggml_types[t->type];
    uint64_t ne0 = nd ? ne[0] : 1;
    if (ne0 % gt->blck)
        return rmtk__fail(r->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s' (info at byte offset %llu): ne[0] = %llu is not a "
                          "multiple of the %s block size %u",
                          r->path, t->name, (unsigned long long)t->info_at,
                          (unsigned long long)ne0, gt->name, (unsigned)gt->blck);
    if (!rmtk__mul_u64(t->numel / gt->blck, gt->bytes, &t->nbytes))
        return rmtk__fail(r->m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s' (info at byte offset %llu): %s of %s overflows 64 bits",
                          r->path, t->name, (unsigned long long)t->info_at,
                          fmt_ne(nb, sizeof nb, ne, t->ndim), gt->name);
    return RMTK_OK;
}

/* Parse one GGUF file; append its tensors (and, when add_meta, its key/values). */
static int read_one(rmtk_model *m, const char *path, int fd, uint64_t size, int add_meta,
                    gguf_keys *keys)
{
    greader *r = rmtk__calloc(1, sizeof *r);
    char *sbmem = rmtk__malloc(GGUF_VALUE_CAP + 256);
    if (!r || !sbmem) {
        rmtk__free(r);
        rmtk__free(sbmem);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    }
    sbuf b = {sbmem, 0, GGUF_VALUE_CAP + 255};
    sbmem[0] = '\0';
    r->m = m;
    r->path = path;
    r->fd = fd;
    r->size = size;
    gguf_tensor *ts = NULL;
    uint64_t nt = 0, nkv = 0, i = 0;
    unsigned char magic[4];
    uint32_t version = 0;
    int st = g_read(r, magic, 4, "magic");
    if (!st && memcmp(magic, "GGUF", 4) != 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: not a GGUF file: magic at byte offset 0 is %02x %02x %02x %02x, "
                        "expected \"GGUF\"",
                        path, magic[0], magic[1], magic[2], magic[3]);
    if (!st)
        st = g_u32(r, &version, "version");
    if (!st && version == 1)
        st = rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                        "%s: GGUF version 1 (2023, 32-bit counts) is not read: convert it with "
                        "llama.cpp's gguf tools to version 3",
                        path);
    else if (!st && version != 2 && version != 3)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: GGUF version %u at byte offset 4: rmtk reads versions 2 and 3%s",
                        path, (unsigned)version,
                        (version & 0xffff) == 0 ? " (a big-endian file?)" : "");
    if (!st)
        st = g_u64(r, &nt, "tensor count");
    if (!st)
        st = g_u64(r, &nkv, "key/value count");
    /* a key/value takes at least 13 bytes (8 length, 4 type, 1 value), a tensor info 24 */
    if (!st && (nkv > (size - r->pos) / 13 || nt > (size - r->pos) / 24))
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: header at byte offset 8 declares %llu tensors and %llu key/values, "
                        "more than the %llu-byte file can hold",
                        path, (unsigned long long)nt, (unsigned long long)nkv,
                        (unsigned long long)size);
    keys->alignment = GGUF_DEFAULT_ALIGNMENT;
    for (i = 0; i < nkv && !st; i++)
        st = read_kv(r, add_meta, keys, &b);
    if (!st) {
        ts = rmtk__calloc(nt ? (size_t)nt : 1, sizeof *ts);
        if (!ts)
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory for %llu tensors",
                            path, (unsigned long long)nt);
    }
    for (i = 0; i < nt && !st; i++)
        st = read_tensor_info(r, &ts[i]);
    uint64_t data_start = 0, al = keys->alignment;
    if (!st) {
        uint64_t pad = (al - r->pos % al) % al;
        data_start = r->pos + pad;
        if (data_start > size)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: truncated: the data section would start at byte offset %llu "
                            "(header end %llu aligned to %llu), past the end of the file (%llu "
                            "bytes)",
                            path, (unsigned long long)data_start, (unsigned long long)r->pos,
                            (unsigned long long)al, (unsigned long long)size);
    }
    /* ggml's layout rule: tensor i at the running total of the padded sizes before it */
    uint64_t expect = 0;
    for (i = 0; i < nt && !st; i++) {
        gguf_tensor *t = &ts[i];
        uint64_t end, padded;
        if (t->offset != expect)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: tensor '%s' (info at byte offset %llu) has data offset %llu, "
                            "expected %llu (tensors are stored in order, each padded to the "
                            "alignment %llu)",
                            path, t->name, (unsigned long long)t->info_at,
                            (unsigned long long)t->offset, (unsigned long long)expect,
                            (unsigned long long)al);
        else if (!rmtk__add_u64(data_start, t->offset, &end) ||
                 !rmtk__add_u64(end, t->nbytes, &end) || end > size)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: tensor '%s': its %llu bytes at byte offset %llu (data offset "
                            "%llu) run past the end of the file (%llu bytes)",
                            path, t->name, (unsigned long long)t->nbytes,
                            (unsigned long long)(data_start + t->offset),
                            (unsigned long long)t->offset, (unsigned long long)size);
        else if (!rmtk__add_u64(t->nbytes, (al - t->nbytes % al) % al, &padded) ||
                 !rmtk__add_u64(expect, padded, &expect))
            st = rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': data offsets overflow",
                            path, t->name);
    }
    size_t fidx = 0;
    if (!st)
        st = rmtk__model_add_file(m, path, &fidx);
    for (i = 0; i < nt && !st; i++) {
        gguf_tensor *t = &ts[i];
        const ggml_type_info *gt = &ggml_types[t->type];
        model_tensor *mt;
        st = rmtk__model_add_tensor(m, t->name, strlen(t->name), gt->name, &mt);
        if (st)
            break;
        mt->file = fidx;
        mt->store = MODEL_STORE_RAW;
        mt->info.dtype = gt->dtype;
        mt->info.ndim = t->ndim;
        memcpy(mt->info.shape, t->shape, sizeof t->shape);
        mt->info.numel = t->numel;
        mt->info.nbytes = t->nbytes;
        mt->info.offset = data_start + t->offset;
    }
    for (i = 0; ts && i < nt; i++)
        rmtk__free(ts[i].name);
    rmtk__free(ts);
    rmtk__free(sbmem);
    rmtk__free(r);
    return st;
}

/* "PREFIX-KKKKK-of-NNNNN.gguf": *k, *n and the prefix length. */
static int split_name(const char *path, size_t *plen, unsigned *k, unsigned *n)
{
    static const char tail[] = "-00000-of-00000.gguf";
    size_t len = strlen(path), tl = sizeof tail - 1;
    if (len <= tl)
        return 0;
    const char *s = path + len - tl;
    unsigned a = 0, b = 0;
    for (size_t i = 0; i < tl; i++) {
        if (tail[i] == '0') {
            if (s[i] < '0' || s[i] > '9')
                return 0;
            if (i < 6)
                a = a * 10 + (unsigned)(s[i] - '0');
            else
                b = b * 10 + (unsigned)(s[i] - '0');
        } else if (s[i] != tail[i]) {
            return 0;
        }
    }
    if (a == 0 || b == 0 || a > b)
        return 0;
    *plen = len - tl;
    *k = a;
    *n = b;
    return 1;
}

int rmtk__read_gguf(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    size_t plen;
    unsigned k, n;
    gguf_keys keys;
    memset(&keys, 0, sizeof keys);
    if (!split_name(path, &plen, &k, &n) || n == 1) {
        int st = read_one(m, path, fd, size, 1, &keys);
        if (!st && keys.has_split && keys.split_count > 1)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: part %llu of a split GGUF of %llu files (split.no, split.count), "
                            "but its name does not end in -%05llu-of-%05llu.gguf: rename the "
                            "parts as llama.cpp's gguf-split writes them and open the first",
                            path, (unsigned long long)keys.split_no + 1,
                            (unsigned long long)keys.split_count,
                            (unsigned long long)keys.split_no + 1,
                            (unsigned long long)keys.split_count);
        return st;
    }
    int st = RMTK_OK;
    size_t first = m->n, cap = plen + 32;
    uint64_t declared = 0;
    int has_declared = 0;
    char *part = rmtk__malloc(cap);
    if (!part)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    for (unsigned i = 1; i <= n && !st; i++) {
        snprintf(part, cap, "%.*s-%05u-of-%05u.gguf", (int)plen, path, i, n);
        int pfd = open(part, O_RDONLY | O_CLOEXEC);
        struct stat sb;
        if (pfd < 0 || fstat(pfd, &sb) != 0) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_IO,
                            "%s: part %u of the %u-part split GGUF cannot be opened: %s", part, i,
                            n, strerror(errno));
            if (pfd >= 0)
                close(pfd);
            break;
        }
        memset(&keys, 0, sizeof keys);
        st = read_one(m, part, pfd, (uint64_t)sb.st_size, i == 1, &keys);
        close(pfd);
        if (!st && (!keys.has_split || keys.split_no != i - 1 || keys.split_count != n))
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: part %u of %u by its name, but its keys say split.no = %llu, "
                            "split.count = %llu%s",
                            part, i, n, (unsigned long long)keys.split_no,
                            (unsigned long long)keys.split_count,
                            keys.has_split ? "" : " (the keys are missing)");
        if (!st && i == 1 && keys.has_split_tensors) {
            declared = keys.split_tensors;
            has_declared = 1;
        }
    }
    if (!st && has_declared && declared != m->n - first)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: split.tensors.count of part 1 is %llu, the %u parts hold %zu tensors",
                        path, (unsigned long long)declared, n, m->n - first);
    rmtk__free(part);
    return st;
}
