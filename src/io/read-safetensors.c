/*
 * read-safetensors.c: the safetensors reader and its sharded variants. A file is an 8-byte
 * little-endian header length N, N bytes of JSON mapping each tensor name to {dtype, shape,
 * data_offsets [begin, end)} (offsets relative to the data section that follows the header),
 * plus an optional "__metadata__" object of strings. Everything is validated before a single
 * tensor byte is touched, with overflow-checked arithmetic: N against the file size and a 100 MB
 * cap, JSON validity, each offset pair against the data size, shape x dtype size against the
 * byte range, and that the ranges sorted by begin tile the data section exactly (no gap, no
 * overlap: the rule of the reference implementation). Tensors are indexed in data order.
 * Sharded checkpoints are read through "*.safetensors.index.json" (weight_map: tensor -> shard
 * file relative to the index) or as a directory of shards (model.c); every tensor the index
 * lists must be found in its shard.
 * REF: https://github.com/huggingface/safetensors (format description and safetensors/src/
 * tensor.rs validate()).
 */
#include "model-internal.h"

#include <cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define HEADER_CAP 100000000ull /* bytes of JSON header accepted */

static const struct {
    const char *name;
    int dtype;
} dtype_names[] = {
    {"F64", RMTK_DTYPE_F64},         {"F32", RMTK_DTYPE_F32},   {"F16", RMTK_DTYPE_F16},
    {"BF16", RMTK_DTYPE_BF16},       {"F8_E4M3", RMTK_DTYPE_F8_E4M3},
    {"F8_E5M2", RMTK_DTYPE_F8_E5M2}, {"I8", RMTK_DTYPE_I8},     {"I16", RMTK_DTYPE_I16},
    {"I32", RMTK_DTYPE_I32},         {"I64", RMTK_DTYPE_I64},   {"U8", RMTK_DTYPE_U8},
    {"U16", RMTK_DTYPE_U16},         {"U32", RMTK_DTYPE_U32},   {"U64", RMTK_DTYPE_U64},
    {"BOOL", RMTK_DTYPE_BOOL},
};

static int parse_dtype(const char *s)
{
    for (size_t i = 0; i < sizeof dtype_names / sizeof dtype_names[0]; i++)
        if (strcmp(s, dtype_names[i].name) == 0)
            return dtype_names[i].dtype;
    return RMTK_DTYPE_OTHER;
}

/* "[100, 20]" into buf. */
static const char *fmt_shape(char *buf, size_t size, const int64_t *shape, int nd)
{
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < nd && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "", (long long)shape[i]);
    if (k < size)
        snprintf(buf + k, size - k, "]");
    return buf;
}

/* A JSON number that is an integer in [0, 2^53]: *v. Returns 0 if it is not one. */
static int json_uint(const cJSON *j, uint64_t *v)
{
    if (!cJSON_IsNumber(j))
        return 0;
    double d = j->valuedouble;
    if (!(d >= 0) || d > 9007199254740992.0 || d != floor(d))
        return 0;
    *v = (uint64_t)d;
    return 1;
}

typedef struct {
    const char *name;
    const char *dtype_str;
    int dtype, ndim;
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t numel, begin, end;
} st_entry;

static int cmp_begin(const void *a, const void *b)
{
    const st_entry *x = a, *y = b;
    if (x->begin != y->begin)
        return x->begin < y->begin ? -1 : 1;
    if (x->end != y->end)
        return x->end < y->end ? -1 : 1;
    return strcmp(x->name, y->name);
}

/* The offset of the first byte of buf[0..len) that is not well-formed UTF-8, or len. */
static size_t utf8_invalid_at(const unsigned char *b, size_t len)
{
    size_t i = 0, n;
    while (i < len && (n = rmtk__utf8_seq(b + i, len - i)) > 0)
        i += n;
    return i;
}

/* Up to 20 printable characters of buf[at..len) ('?' for the others) into near[24]. */
static void near_text(char near[24], const char *buf, size_t at, size_t len)
{
    size_t k = 0;
    for (size_t i = at; i < len && k < 20; i++)
        near[k++] = (buf[i] >= 32 && buf[i] < 127) ? buf[i] : '?';
    near[k] = '\0';
}

static int cmp_cjson_key(const void *a, const void *b)
{
    return strcmp((*(const cJSON *const *)a)->string, (*(const cJSON *const *)b)->string);
}

/* No object in the tree under j repeats a key (JSON leaves duplicates undefined; the
 * reference implementation rejects them). `where` names j for the message; top-level keys of a
 * safetensors header are tensor names, whose duplicates build_lookup reports, so depth 0 of
 * such a header is not checked here (check_top = 0). O(k log k) per object of k keys. */
static int check_dup_keys(rmtk_model *m, const char *path, const cJSON *j, const char *where,
                          int check_top)
{
    if (!cJSON_IsObject(j) && !cJSON_IsArray(j))
        return RMTK_OK;
    size_t k = 0;
    for (const cJSON *c = j->child; c; c = c->next)
        k++;
    if (cJSON_IsObject(j) && check_top && k > 1) {
        const cJSON **keys = rmtk__malloc_array(k, sizeof *keys);
        if (!keys)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        size_t i = 0;
        for (const cJSON *c = j->child; c; c = c->next)
            keys[i++] = c;
        qsort(keys, k, sizeof *keys, cmp_cjson_key);
        const char *dup = NULL;
        for (i = 1; i < k && !dup; i++)
            if (strcmp(keys[i - 1]->string, keys[i]->string) == 0)
                dup = keys[i]->string;
        rmtk__free(keys);
        if (dup)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: %s: duplicate key \"%s\"", path,
                              where, dup);
    }
    for (const cJSON *c = j->child; c; c = c->next) {
        if (!cJSON_IsObject(c) && !cJSON_IsArray(c))
            continue;
        char sub[300];
        if (cJSON_IsObject(j) && j->string == NULL && !check_top)
            snprintf(sub, sizeof sub, "%s '%s'",
                     strcmp(c->string, "__metadata__") == 0 ? "object" : "tensor", c->string);
        else if (cJSON_IsObject(j))
            snprintf(sub, sizeof sub, "%.200s, key '%.80s'", where, c->string);
        else
            snprintf(sub, sizeof sub, "%s", where);
        int st = check_dup_keys(m, path, c, sub, 1);
        if (st)
            return st;
    }
    return RMTK_OK;
}

/* Read and parse a JSON document of len bytes at off: valid UTF-8, exactly one JSON object,
 * then nothing but padding (`pad`: the bytes allowed after it; a safetensors header allows
 * spaces, which writers use to align the data section, an index file any JSON whitespace). */
static int read_json(rmtk_model *m, const char *path, int fd, uint64_t off, uint64_t len,
                     const char *pad, int check_top, cJSON **root)
{
    *root = NULL;
    char *buf = rmtk__malloc((size_t)len + 1);
    if (!buf)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory for a %llu-byte header",
                          path, (unsigned long long)len);
    int st = rmtk__pread_full(m, fd, path, buf, (size_t)len, off);
    if (st) {
        rmtk__free(buf);
        return st;
    }
    buf[len] = '\0';
    char near[24];
    size_t bad = utf8_invalid_at((const unsigned char *)buf, (size_t)len);
    if (bad < len) {
        unsigned char byte = (unsigned char)buf[bad];
        rmtk__free(buf);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: JSON header is not valid UTF-8: byte 0x%02x at byte offset %llu "
                          "of the file (header byte %zu of %llu)",
                          path, byte, (unsigned long long)(off + bad), bad,
                          (unsigned long long)len);
    }
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(buf, (size_t)len, &end, 0);
    if (!*root) {
        size_t at = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : 0;
        near_text(near, buf, at, (size_t)len);
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: invalid JSON header: parse error at byte offset %llu of the file "
                        "(header byte %zu of %llu) near \"%s\"",
                        path, (unsigned long long)(off + at), at, (unsigned long long)len, near);
    } else if (!cJSON_IsObject(*root)) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: JSON header at byte offset %llu is not an object", path,
                        (unsigned long long)off);
    } else {
        size_t at = end && end >= buf && end <= buf + len ? (size_t)(end - buf) : (size_t)len;
        while (at < len && buf[at] && strchr(pad, buf[at]))
            at++;
        if (at < len) {
            near_text(near, buf, at, (size_t)len);
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: %llu bytes after the JSON object, from byte offset %llu of the "
                            "file (header byte %zu of %llu; first 0x%02x) near \"%s\": only %s "
                            "may follow it",
                            path, (unsigned long long)(len - at),
                            (unsigned long long)(off + at), at, (unsigned long long)len,
                            (unsigned char)buf[at], near,
                            strcmp(pad, " ") == 0 ? "spaces" : "whitespace");
        }
    }
    if (!st)
        st = check_dup_keys(m, path, *root, "header", check_top);
    if (st) {
        cJSON_Delete(*root);
        *root = NULL;
    }
    rmtk__free(buf);
    return st;
}

/* Metadata pairs already in the model (from an earlier shard), sorted by (key, value), so that
 * a shard repeating them adds nothing: O((n + k) log n), where a scan per key was O(n k) (200 000
 * keys took 80 s). The strings do not move when m->meta grows. */
typedef struct {
    const char *k, *v;
} meta_pair;

static int cmp_meta_pair(const void *a, const void *b)
{
    const meta_pair *x = a, *y = b;
    int c = strcmp(x->k, y->k);
    return c ? c : strcmp(x->v, y->v);
}

static int read_metadata(rmtk_model *m, const char *path, const cJSON *meta, int strict)
{
    if (!cJSON_IsObject(meta))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: \"__metadata__\" is not an object",
                          path);
    size_t old = m->nmeta / 2;
    meta_pair *have = NULL;
    if (old) {
        have = rmtk__malloc_array(old, sizeof *have);
        if (!have)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        for (size_t i = 0; i < old; i++)
            have[i] = (meta_pair){m->meta[2 * i], m->meta[2 * i + 1]};
        qsort(have, old, sizeof *have, cmp_meta_pair);
    }
    int st = RMTK_OK;
    for (const cJSON *c = meta->child; c && !st; c = c->next) {
        char num[40];
        const char *v;
        if (cJSON_IsString(c)) {
            v = c->valuestring;
        } else if (!strict && cJSON_IsNumber(c)) {
            snprintf(num, sizeof num, "%.17g", c->valuedouble);
            v = num;
        } else {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: metadata value of key '%s' is not a string", path,
                            c->string ? c->string : "");
            break;
        }
        meta_pair key = {c->string, v};
        if (old && bsearch(&key, have, old, sizeof *have, cmp_meta_pair))
            continue;
        st = rmtk__model_add_meta(m, c->string, v);
    }
    rmtk__free(have);
    return st;
}

/* Parse one tensor description into e (names and strings point into the JSON tree). */
static int parse_tensor(rmtk_model *m, const char *path, const cJSON *c, uint64_t data_size,
                        uint64_t data_start, st_entry *e)
{
    const char *nm = c->string;
    if (!cJSON_IsObject(c))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': description is not a JSON object", path, nm);
    const cJSON *dt = cJSON_GetObjectItemCaseSensitive(c, "dtype");
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(c, "shape");
    const cJSON *of = cJSON_GetObjectItemCaseSensitive(c, "data_offsets");
    if (!cJSON_IsString(dt))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': missing or non-string \"dtype\"", path, nm);
    if (!cJSON_IsArray(sh))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': missing or non-array \"shape\"", path, nm);
    if (!cJSON_IsArray(of) || cJSON_GetArraySize(of) != 2)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': \"data_offsets\" is not an array of 2 integers", path,
                          nm);
    e->name = nm;
    e->dtype_str = dt->valuestring;
    e->dtype = parse_dtype(dt->valuestring);
    int nd = cJSON_GetArraySize(sh);
    if (nd > RMTK_MAX_DIMS)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': %d dimensions, rmtk handles at most %d", path, nm, nd,
                          RMTK_MAX_DIMS);
    e->ndim = nd;
    e->numel = 1;
    int k = 0;
    for (const cJSON *d = sh->child; d; d = d->next, k++) {
        uint64_t v;
        if (cJSON_IsNumber(d) && d->valuedouble < 0)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': shape[%d] = %.17g is negative", path, nm, k,
                              d->valuedouble);
        if (!json_uint(d, &v) || v > (uint64_t)INT64_MAX)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': shape[%d] is not a non-negative integer "
                              "(%.17g)",
                              path, nm, k, cJSON_IsNumber(d) ? d->valuedouble : NAN);
        e->shape[k] = (int64_t)v;
        if (!rmtk__mul_u64(e->numel, v, &e->numel))
            return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': the element count of its shape overflows 64 bits",
                              path, nm);
    }
    uint64_t b, en;
    if (!json_uint(of->child, &b) || !json_uint(of->child->next, &en))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': data_offsets are not non-negative integers (%.17g, "
                          "%.17g)",
                          path, nm, cJSON_IsNumber(of->child) ? of->child->valuedouble : NAN,
                          cJSON_IsNumber(of->child->next) ? of->child->next->valuedouble : NAN);
    e->begin = b;
    e->end = en;
    if (b > en || en > data_size)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': data_offsets [%llu, %llu) out of range: the data "
                          "section at byte offset %llu holds %llu bytes",
                          path, nm, (unsigned long long)b, (unsigned long long)en,
                          (unsigned long long)data_start, (unsigned long long)data_size);
    size_t esz = rmtk_dtype_size(e->dtype);
    uint64_t need;
    char sbuf[200];
    if (esz) {
        if (!rmtk__mul_u64(e->numel, esz, &need))
            return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': shape %s x %s overflows 64 bits", path, nm,
                              fmt_shape(sbuf, sizeof sbuf, e->shape, nd), e->dtype_str);
        if (need != en - b)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': data_offsets [%llu, %llu) hold %llu bytes but "
                              "shape %s x %s needs %llu",
                              path, nm, (unsigned long long)b, (unsigned long long)en,
                              (unsigned long long)(en - b),
                              fmt_shape(sbuf, sizeof sbuf, e->shape, nd), e->dtype_str,
                              (unsigned long long)need);
    }
    return RMTK_OK;
}

int rmtk__read_safetensors(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    unsigned char lb[8];
    if (size < 8)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: file of %llu bytes is shorter than the 8-byte safetensors header "
                          "length",
                          path, (unsigned long long)size);
    int st = rmtk__pread_full(m, fd, path, lb, 8, 0);
    if (st)
        return st;
    uint64_t hlen = 0;
    for (int i = 7; i >= 0; i--)
        hlen = (hlen << 8) | lb[i];
    if (hlen > HEADER_CAP)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: header length %llu at offset 0 exceeds the %llu-byte cap (file "
                          "size %llu)",
                          path, (unsigned long long)hlen, HEADER_CAP, (unsigned long long)size);
    if (hlen > size - 8)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: header length %llu at offset 0 runs past the end of the file "
                          "(%llu bytes, at most %llu for the header)",
                          path, (unsigned long long)hlen, (unsigned long long)size,
                          (unsigned long long)(size - 8));
    if (hlen < 2)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: header length %llu at offset 0 is too short for a JSON object",
                          path, (unsigned long long)hlen);
    uint64_t data_start = 8 + hlen, data_size = size - data_start;
    cJSON *root = NULL;
    st = read_json(m, path, fd, 8, hlen, " ", 0, &root);
    if (st)
        return st;
    size_t fidx;
    st = rmtk__model_add_file(m, path, &fidx);
    size_t cnt = 0;
    for (const cJSON *c = root->child; c; c = c->next)
        cnt++;
    st_entry *es = st ? NULL : rmtk__calloc(cnt ? cnt : 1, sizeof *es);
    if (!st && !es)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    size_t n = 0;
    int nmeta_obj = 0;
    for (const cJSON *c = root->child; c && !st; c = c->next) {
        if (c->string && strcmp(c->string, "__metadata__") == 0 && nmeta_obj++)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: duplicate key \"__metadata__\"",
                            path);
        else if (c->string && strcmp(c->string, "__metadata__") == 0)
            st = read_metadata(m, path, c, 1);
        else
            st = parse_tensor(m, path, c, data_size, data_start, &es[n++]);
    }
    if (!st) {
        /* the ranges, sorted by begin, must tile [0, data_size) */
        qsort(es, n, sizeof *es, cmp_begin);
        uint64_t cursor = 0;
        for (size_t i = 0; i < n && !st; i++) {
            const char *prev = i ? es[i - 1].name : NULL;
            if (es[i].begin > cursor)
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: gap in the data section: bytes [%llu, %llu) between %s%s%s "
                                "(ending at %llu) and tensor '%s' (data_offsets [%llu, %llu)) "
                                "belong to no tensor",
                                path, (unsigned long long)cursor,
                                (unsigned long long)es[i].begin, prev ? "tensor '" : "",
                                prev ? prev : "the start", prev ? "'" : "",
                                (unsigned long long)cursor, es[i].name,
                                (unsigned long long)es[i].begin, (unsigned long long)es[i].end);
            else if (es[i].begin < cursor)
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: overlapping tensors: '%s' (data_offsets [%llu, %llu)) and "
                                "'%s' (data_offsets [%llu, %llu)) share bytes [%llu, %llu)",
                                path, prev, (unsigned long long)es[i - 1].begin,
                                (unsigned long long)es[i - 1].end, es[i].name,
                                (unsigned long long)es[i].begin, (unsigned long long)es[i].end,
                                (unsigned long long)es[i].begin,
                                (unsigned long long)RMTK_MIN(cursor, es[i].end));
            cursor = RMTK_MAX(cursor, es[i].end);
        }
        if (!st && cursor != data_size)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: the data section at byte offset %llu holds %llu bytes but the "
                            "tensors cover only [0, %llu)%s%s%s: %llu trailing bytes",
                            path, (unsigned long long)data_start, (unsigned long long)data_size,
                            (unsigned long long)cursor, n ? " (last: '" : "",
                            n ? es[n - 1].name : "", n ? "')" : "",
                            (unsigned long long)(data_size - cursor));
    }
    for (size_t i = 0; i < n && !st; i++) {
        model_tensor *t;
        st = rmtk__model_add_tensor(m, es[i].name, strlen(es[i].name), es[i].dtype_str, &t);
        if (st)
            break;
        t->file = fidx;
        t->store = MODEL_STORE_RAW;
        t->info.dtype = es[i].dtype;
        t->info.ndim = es[i].ndim;
        memcpy(t->info.shape, es[i].shape, sizeof es[i].shape);
        t->info.numel = es[i].numel;
        t->info.nbytes = es[i].end - es[i].begin;
        t->info.offset = data_start + es[i].begin;
    }
    rmtk__free(es);
    cJSON_Delete(root);
    return st;
}

typedef struct {
    const char *tensor, *shard;
} wm_entry;

static int cmp_wm_shard(const void *a, const void *b)
{
    return strcmp(((const wm_entry *)a)->shard, ((const wm_entry *)b)->shard);
}

typedef struct {
    const char *name;
    size_t file;
} name_file;

static int cmp_nf(const void *a, const void *b)
{
    return strcmp(((const name_file *)a)->name, ((const name_file *)b)->name);
}

int rmtk__read_safetensors_index(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    if (size > HEADER_CAP)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: shard index of %llu bytes exceeds the %llu-byte cap", path,
                          (unsigned long long)size, HEADER_CAP);
    cJSON *root = NULL;
    int st = read_json(m, path, fd, 0, size, " \t\n\r", 1, &root);
    if (st)
        return st;
    const cJSON *wm = cJSON_GetObjectItemCaseSensitive(root, "weight_map");
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(root, "metadata");
    if (!cJSON_IsObject(wm)) {
        /* valid JSON, but not a file rmtk understands: say what it looks like */
        const char *seems = "";
        if (cJSON_GetObjectItemCaseSensitive(root, "weightsManifest") ||
            cJSON_GetObjectItemCaseSensitive(root, "modelTopology"))
            seems = "; it looks like a TensorFlow.js model.json";
        else if (cJSON_IsArray(root->child) && cJSON_IsObject(root->child->child) &&
                 cJSON_GetObjectItemCaseSensitive(root->child->child, "paths"))
            seems = "; it looks like a TensorFlow.js weights manifest";
        else if (cJSON_GetObjectItemCaseSensitive(root, "architectures") ||
                 cJSON_GetObjectItemCaseSensitive(root, "model_type"))
            seems = "; it looks like a Hugging Face config.json (open the weight files or the "
                    "directory next to it)";
        else if (cJSON_GetObjectItemCaseSensitive(root, "weight_map"))
            seems = "; its \"weight_map\" is not an object";
        char keys[160] = "";
        size_t k = 0, nk = 0;
        for (const cJSON *c = root->child; c && k < sizeof keys; c = c->next, nk++)
            if (nk < 4)
                k += (size_t)snprintf(keys + k, sizeof keys - k, "%s\"%.30s\"", nk ? ", " : "",
                                      c->string);
        if (nk > 4 && k < sizeof keys)
            snprintf(keys + k, sizeof keys - k, ", ... (%zu keys)", nk);
        char list[1024];
        rmtk__formats_read(list, sizeof list);
        cJSON_Delete(root);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: not a format rmtk reads: a JSON object (keys %s) without a "
                          "\"weight_map\" object, so not a safetensors shard index%s. rmtk "
                          "reads: %s",
                          path, nk ? keys : "none", seems, list);
    }
    if (meta)
        st = read_metadata(m, path, meta, 0);
    size_t cnt = (size_t)cJSON_GetArraySize(wm);
    wm_entry *w = st ? NULL : rmtk__calloc(cnt ? cnt : 1, sizeof *w);
    if (!st && !w)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    size_t n = 0;
    for (const cJSON *c = wm->child; c && !st; c = c->next) {
        if (!cJSON_IsString(c) || !c->valuestring[0])
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: weight_map entry of tensor '%s' is not a file name", path,
                            c->string);
        else
            w[n++] = (wm_entry){c->string, c->valuestring};
    }
    if (!st)
        qsort(w, n, sizeof *w, cmp_wm_shard);
    /* the index's directory */
    const char *slash = strrchr(path, '/');
    size_t dlen = slash ? (size_t)(slash - path) + 1 : 0;
    size_t first_tensor = m->n;
    size_t *shard_file = st ? NULL : rmtk__calloc(n ? n : 1, sizeof *shard_file);
    if (!st && !shard_file)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    for (size_t i = 0; i < n && !st; i++) {
        if (i > 0 && strcmp(w[i].shard, w[i - 1].shard) == 0) {
            shard_file[i] = shard_file[i - 1];
            continue;
        }
        const char *why = rmtk__relpath_problem(w[i].shard);
        if (why) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: shard '%s' (listed for tensor '%s') %s: an index names only "
                            "files in its own directory",
                            path, w[i].shard, w[i].tensor, why);
            break;
        }
        size_t len = dlen + strlen(w[i].shard) + 1;
        char *full = rmtk__malloc(len);
        if (!full) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        snprintf(full, len, "%.*s%s", (int)dlen, path, w[i].shard);
        /* a FIFO or device would block or never end: only regular files are opened (stat
         * before open; O_NONBLOCK and fstat again in case the name changed in between) */
        struct stat sb;
        int sfd = -1;
        if (stat(full, &sb) == 0 && !S_ISREG(sb.st_mode)) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: shard '%s' (listed for tensor '%s') is not a regular file",
                            path, full, w[i].tensor);
        } else if ((sfd = open(full, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) < 0 ||
                   fstat(sfd, &sb) != 0) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_IO,
                            "%s: shard '%s' (listed for tensor '%s') cannot be opened: %s", path,
                            full, w[i].tensor, strerror(errno));
        } else if (!S_ISREG(sb.st_mode)) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: shard '%s' (listed for tensor '%s') is not a regular file",
                            path, full, w[i].tensor);
        } else {
            /* a pytorch_model.bin.index.json lists torch.save shards (model.c) */
            int torch_shards = m->format && strcmp(m->format, "pytorch") == 0;
            st = torch_shards ? rmtk__read_pytorch(m, full, sfd, (uint64_t)sb.st_size)
                              : rmtk__read_safetensors(m, full, sfd, (uint64_t)sb.st_size);
            shard_file[i] = m->nfiles - 1;
        }
        if (sfd >= 0)
            close(sfd);
        rmtk__free(full);
    }
    /* every listed tensor must be in its shard */
    size_t nt = m->n - first_tensor;
    name_file *nf = st ? NULL : rmtk__calloc(nt ? nt : 1, sizeof *nf);
    if (!st && !nf)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    if (!st) {
        for (size_t i = 0; i < nt; i++)
            nf[i] = (name_file){m->t[first_tensor + i].info.name, m->t[first_tensor + i].file};
        qsort(nf, nt, sizeof *nf, cmp_nf);
    }
    for (size_t i = 0; i < n && !st; i++) {
        name_file key = {w[i].tensor, 0};
        const name_file *hit = bsearch(&key, nf, nt, sizeof *nf, cmp_nf);
        /* several entries may share a name (a duplicate is reported later): scan them */
        int found = 0;
        if (hit) {
            const name_file *lo = hit, *hi = hit;
            while (lo > nf && strcmp(lo[-1].name, key.name) == 0)
                lo--;
            while (hi + 1 < nf + nt && strcmp(hi[1].name, key.name) == 0)
                hi++;
            for (const name_file *p = lo; p <= hi; p++)
                found |= p->file == shard_file[i];
        }
        if (!found)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: tensor '%s' is listed in shard '%s', which does not hold it%s",
                            path, w[i].tensor, w[i].shard,
                            hit ? " (another shard does)" : "");
    }
    rmtk__free(nf);
    rmtk__free(shard_file);
    rmtk__free(w);
    cJSON_Delete(root);
    return st;
}
