/*
 * read-onnx.c: ONNX models (a protobuf ModelProto, read with protobuf.c; no protobuf library).
 * The file is mapped read-only and parsed through; tensor payloads are located by offset and
 * never touched while indexing. Tensors come from: the graph's initializers, Constant nodes'
 * `value` tensors (named after the node's output), and, recursively, the graphs held by node
 * attributes (If then_branch/else_branch, Loop and Scan bodies), named with the path of the
 * nodes that hold them: "NODE/ATTRIBUTE/NAME" (NODE is the node's name, or OP_TYPE#K for the
 * K-th node of its graph when unnamed). Data: raw_data (mapped in place), the typed repeated
 * fields float_data, int32_data, int64_data, double_data, uint64_data (packed or not; decoded by
 * the fetch callback), or external data (data_location EXTERNAL: location, offset, length in a
 * regular file in the model's directory). Layouts: a 2-D weight consumed as input B of MatMul,
 * or of Gemm with transB = 0, is stored [in, out] and presented [out, in] (layout "in,out");
 * Gemm with transB = 1, Conv (OIHW) and LSTM/GRU stacks ([num_directions, 4H or 3H, ...]) are
 * presented as stored. Reference: onnx/onnx.proto (IR version 10), docs/formats.md ("ONNX").
 */
#include "model-internal.h"
#include "protobuf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define ONNX_MAX_DEPTH 16     /* nested subgraphs (If inside Loop inside ...) */
#define ONNX_NAME_CAP 4096    /* bytes of a tensor or node name */

/* TensorProto.DataType: the name, bytes per element (0: not converted), rmtk dtype. */
typedef struct {
    const char *name;
    uint32_t size;
    int32_t dtype;
} onnx_type;

static const onnx_type onnx_types[] = {
    [0] = {"UNDEFINED", 0, RMTK_DTYPE_OTHER},
    [1] = {"FLOAT", 4, RMTK_DTYPE_F32},
    [2] = {"UINT8", 1, RMTK_DTYPE_U8},
    [3] = {"INT8", 1, RMTK_DTYPE_I8},
    [4] = {"UINT16", 2, RMTK_DTYPE_U16},
    [5] = {"INT16", 2, RMTK_DTYPE_I16},
    [6] = {"INT32", 4, RMTK_DTYPE_I32},
    [7] = {"INT64", 8, RMTK_DTYPE_I64},
    [8] = {"STRING", 0, RMTK_DTYPE_OTHER},
    [9] = {"BOOL", 1, RMTK_DTYPE_BOOL},
    [10] = {"FLOAT16", 2, RMTK_DTYPE_F16},
    [11] = {"DOUBLE", 8, RMTK_DTYPE_F64},
    [12] = {"UINT32", 4, RMTK_DTYPE_U32},
    [13] = {"UINT64", 8, RMTK_DTYPE_U64},
    [14] = {"COMPLEX64", 0, RMTK_DTYPE_OTHER},
    [15] = {"COMPLEX128", 0, RMTK_DTYPE_OTHER},
    [16] = {"BFLOAT16", 2, RMTK_DTYPE_BF16},
    [17] = {"FLOAT8E4M3FN", 1, RMTK_DTYPE_F8_E4M3},
    [18] = {"FLOAT8E4M3FNUZ", 0, RMTK_DTYPE_OTHER},
    [19] = {"FLOAT8E5M2", 1, RMTK_DTYPE_F8_E5M2},
    [20] = {"FLOAT8E5M2FNUZ", 0, RMTK_DTYPE_OTHER},
    [21] = {"UINT4", 0, RMTK_DTYPE_OTHER},
    [22] = {"INT4", 0, RMTK_DTYPE_OTHER},
    [23] = {"FLOAT4E2M1", 0, RMTK_DTYPE_OTHER},
};
#define ONNX_NTYPES (sizeof onnx_types / sizeof onnx_types[0])

/* TensorProto fields */
enum {
    TP_DIMS = 1, TP_DATA_TYPE = 2, TP_SEGMENT = 3, TP_FLOAT = 4, TP_INT32 = 5, TP_STRING = 6,
    TP_INT64 = 7, TP_NAME = 8, TP_RAW = 9, TP_DOUBLE = 10, TP_UINT64 = 11, TP_EXTERNAL = 13,
    TP_LOCATION = 14
};

/* How a tensor's bytes are produced. */
enum { OX_RAW = 0, OX_TYPED = 1 };

typedef struct onnx_rec {
    int32_t kind;       /* OX_RAW: nbytes at data_off in file; OX_TYPED: decode field */
    int32_t transpose;  /* 1: stored [rows, cols], presented [cols, rows] */
    uint32_t field;     /* OX_TYPED: the TensorProto field holding the values */
    uint32_t esz;       /* bytes per element */
    size_t file;        /* index into m->files */
    uint64_t data_off;  /* OX_RAW: offset of the stored bytes */
    uint64_t msg_off, msg_len; /* OX_TYPED: the TensorProto message in file 0 */
    int64_t rows, cols; /* stored shape when transposed */
} onnx_rec;

typedef struct onnx_state {
    onnx_rec *r;
    size_t n, base; /* r[k] belongs to m->t[base + k] */
} onnx_state;

/* A tensor found while parsing, before its layout is known. */
typedef struct pend {
    char *name;            /* presented name (owned) */
    const char *raw;       /* its name in its graph (into the mapping) */
    size_t raw_len;
    size_t graph;
    int32_t type;          /* ONNX data type */
    int32_t ndim;
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t numel, nbytes;
    onnx_rec rec;
} pend;

/* A MatMul or Gemm input B (the only uses that change a layout). */
typedef struct use {
    const char *name;
    size_t len;
    size_t graph;
    int transpose; /* 1: B is [in, out] (MatMul; Gemm transB = 0) */
    int rnn;       /* enum model_rnn_role: input 1 (W) or 2 (R) of an LSTM or GRU node */
} use;

typedef struct ctx {
    rmtk_model *m;
    const char *path;
    const unsigned char *base;
    uint64_t size;
    pend *p;
    size_t np, cap_p;
    use *u;
    size_t nu, cap_u;
    size_t *parent; /* graph k's enclosing graph (SIZE_MAX: the main graph) */
    size_t ng, cap_g;
    size_t fidx;    /* the model file's index in m->files */
    char dir[4096]; /* the model's directory ("." when none) */
} ctx;

static int nomem(ctx *c)
{
    return rmtk__fail(c->m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory indexing the ONNX model",
                      c->path);
}

/* A wire-format error, with where it happened. */
static int pb_fail(ctx *c, const pb_err *e, const char *where)
{
    char vals[160] = "";
    if (e->an && e->bn)
        snprintf(vals, sizeof vals, " (%s %llu, %s %llu)", e->an, (unsigned long long)e->a,
                 e->bn, (unsigned long long)e->b);
    else if (e->an)
        snprintf(vals, sizeof vals, " (%s %llu)", e->an, (unsigned long long)e->a);
    return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                      "%s: not a valid ONNX model: %s: %s at byte offset %llu%s", c->path, where,
                      e->what ? e->what : "malformed protobuf", (unsigned long long)e->at, vals);
}

static int wire_fail(ctx *c, const pb_field *f, uint32_t want, const char *where,
                     const char *field)
{
    return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                      "%s: not a valid ONNX model: %s: field %u (%s) at byte offset %llu has "
                      "wire type %u, expected %u",
                      c->path, where, (unsigned)f->num, field, (unsigned long long)f->at,
                      (unsigned)f->wire, (unsigned)want);
}

static int grow(void **p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return 0;
    size_t nc = *cap ? 2 * *cap : 16;
    if (nc > SIZE_MAX / size)
        return -1;
    void *q = rmtk__realloc(*p, nc * size);
    if (!q)
        return -1;
    *p = q;
    *cap = nc;
    return 0;
}

static int eq(const char *a, size_t alen, const char *lit)
{
    return alen == strlen(lit) && memcmp(a, lit, alen) == 0;
}

/* ---- TensorProto ------------------------------------------------------------------------- */

/* A decimal string (external data offset/length). */
static int parse_u64(const unsigned char *s, size_t n, uint64_t *v)
{
    if (n == 0 || n > 20)
        return -1;
    uint64_t x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        uint64_t d = (uint64_t)(s[i] - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -1;
        x = x * 10 + d;
    }
    *v = x;
    return 0;
}

/* External data: location confined to the model's directory, a regular file (no symlink). */
static int external(ctx *c, pend *t, const pb_cur *tc)
{
    pb_cur cur = *tc;
    pb_field f;
    pb_err e = {0};
    const unsigned char *loc = NULL;
    size_t loc_len = 0;
    uint64_t off = 0, len = t->nbytes;
    int r;
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.num != TP_EXTERNAL || f.wire != PB_LEN)
            continue;
        pb_cur kv = rmtk__pb_sub(&cur, &f);
        pb_field g;
        const unsigned char *k = NULL, *v = NULL;
        size_t kl = 0, vl = 0;
        while ((r = rmtk__pb_next(&kv, &g, &e)) == 1) {
            if (g.wire != PB_LEN)
                continue;
            if (g.num == 1) {
                k = c->base + g.off;
                kl = (size_t)g.len;
            } else if (g.num == 2) {
                v = c->base + g.off;
                vl = (size_t)g.len;
            }
        }
        if (r < 0)
            return pb_fail(c, &e, "external_data entry");
        if (!k || !v)
            continue;
        if (eq((const char *)k, kl, "location")) {
            loc = v;
            loc_len = vl;
        } else if (eq((const char *)k, kl, "offset") || eq((const char *)k, kl, "length")) {
            uint64_t x;
            if (parse_u64(v, vl, &x))
                return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': external data %.*s '%.*s' is not a decimal "
                                  "integer",
                                  c->path, t->name, (int)kl, (const char *)k,
                                  (int)RMTK_MIN(vl, (size_t)40), (const char *)v);
            if (eq((const char *)k, kl, "offset"))
                off = x;
            else
                len = x;
        }
    }
    if (r < 0)
        return pb_fail(c, &e, "external_data");
    if (!loc || loc_len == 0 || loc_len > 1024 || memchr(loc, '\0', loc_len))
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': external data without a valid location", c->path,
                          t->name);
    char rel[1100];
    snprintf(rel, sizeof rel, "%.*s", (int)loc_len, (const char *)loc);
    const char *why = rmtk__relpath_problem(rel);
    if (why)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': external data location '%s' %s: it leaves the "
                          "model's directory (absolute or with '..'); rmtk reads external data "
                          "only from the model's directory",
                          c->path, t->name, rel, why);
    char full[5200];
    snprintf(full, sizeof full, "%s/%s", c->dir, rel);
    struct stat sb;
    if (lstat(full, &sb) != 0)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_IO, "%s: tensor '%s': external data file %s: %s",
                          c->path, t->name, full, strerror(errno));
    if (!S_ISREG(sb.st_mode))
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': external data file %s is not a regular file (a "
                          "symbolic link, directory or device)",
                          c->path, t->name, full);
    uint64_t end, fsize = (uint64_t)sb.st_size;
    if (t->rec.esz && len != t->nbytes)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': external data length %llu, but %llu elements of %s "
                          "take %llu bytes",
                          c->path, t->name, (unsigned long long)len,
                          (unsigned long long)t->numel, onnx_types[t->type].name,
                          (unsigned long long)t->nbytes);
    if (!rmtk__add_u64(off, len, &end) || end > fsize)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': external data at offset %llu, length %llu runs past "
                          "the end of %s (%llu bytes)",
                          c->path, t->name, (unsigned long long)off, (unsigned long long)len,
                          full, (unsigned long long)fsize);
    size_t idx = SIZE_MAX;
    for (size_t i = 0; i < c->m->nfiles; i++)
        if (strcmp(c->m->files[i], full) == 0)
            idx = i;
    if (idx == SIZE_MAX) {
        int st = rmtk__model_add_file(c->m, full, &idx);
        if (st)
            return st;
    }
    t->rec.kind = OX_RAW;
    t->rec.file = idx;
    t->rec.data_off = off;
    if (!t->rec.esz)
        t->nbytes = len;
    return RMTK_OK;
}

/* Parse a TensorProto; raw (len) is its name in its graph when the message's own name is not
 * used (a Constant node's output). */
static int parse_tensor(ctx *c, const pb_cur *tc, const char *prefix, size_t graph,
                        const char *raw, size_t raw_len, uint64_t msg_at)
{
    pb_cur cur = *tc;
    pb_field f;
    pb_err e = {0};
    int r;
    int64_t dims[RMTK_MAX_DIMS];
    int ndim = 0, has_type = 0, external_loc = 0, has_ext = 0, segment = 0;
    uint64_t type = 0, raw_off = 0, raw_n = 0, typed_bytes = 0;
    int has_raw = 0;
    uint32_t typed = 0;
    const char *nm = NULL;
    size_t nm_len = 0;
    char where[96];
    snprintf(where, sizeof where, "TensorProto at byte offset %llu", (unsigned long long)msg_at);
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        switch (f.num) {
        case TP_DIMS:
            if (f.wire == PB_VARINT || f.wire == PB_LEN) {
                pb_cur d = f.wire == PB_LEN ? rmtk__pb_sub(&cur, &f) : cur;
                uint64_t v = f.v;
                for (;;) {
                    if (f.wire == PB_LEN) {
                        if (d.pos >= d.end)
                            break;
                        if (rmtk__pb_varint(&d, &v, &e))
                            return pb_fail(c, &e, where);
                    }
                    if (ndim >= RMTK_MAX_DIMS)
                        return rmtk__fail(c->m->errmsg, RMTK_ERR_UNSUPPORTED,
                                          "%s: %s has more than %d dims", c->path, where,
                                          RMTK_MAX_DIMS);
                    if ((int64_t)v < 0)
                        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                                          "%s: %s: dim %d is negative (%lld)", c->path, where,
                                          ndim, (long long)(int64_t)v);
                    dims[ndim++] = (int64_t)v;
                    if (f.wire == PB_VARINT)
                        break;
                }
            } else {
                return wire_fail(c, &f, PB_VARINT, where, "dims");
            }
            break;
        case TP_DATA_TYPE:
            if (f.wire != PB_VARINT)
                return wire_fail(c, &f, PB_VARINT, where, "data_type");
            type = f.v;
            has_type = 1;
            break;
        case TP_SEGMENT:
            segment = 1;
            break;
        case TP_NAME:
            if (f.wire != PB_LEN)
                return wire_fail(c, &f, PB_LEN, where, "name");
            nm = (const char *)c->base + f.off;
            nm_len = (size_t)f.len;
            break;
        case TP_RAW:
            if (f.wire != PB_LEN)
                return wire_fail(c, &f, PB_LEN, where, "raw_data");
            has_raw = 1;
            raw_off = f.off;
            raw_n = f.len;
            break;
        case TP_FLOAT:
        case TP_INT32:
        case TP_STRING:
        case TP_INT64:
        case TP_DOUBLE:
        case TP_UINT64:
            if (typed && typed != f.num)
                return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: %s holds values in two fields (%u and %u)", c->path,
                                  where, (unsigned)typed, (unsigned)f.num);
            typed = f.num;
            typed_bytes += f.wire == PB_LEN ? f.len : 1;
            break;
        case TP_EXTERNAL:
            has_ext = 1;
            break;
        case TP_LOCATION:
            if (f.wire != PB_VARINT)
                return wire_fail(c, &f, PB_VARINT, where, "data_location");
            external_loc = f.v == 1;
            break;
        default:
            break;
        }
    }
    if (r < 0)
        return pb_fail(c, &e, where);
    if (!raw) {
        raw = nm;
        raw_len = nm_len;
    }
    if (!raw || raw_len == 0)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT, "%s: %s has no name", c->path, where);
    if (raw_len > ONNX_NAME_CAP)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: %s: name of %zu bytes (at most %d accepted)", c->path, where,
                          raw_len, ONNX_NAME_CAP);
    if (grow((void **)&c->p, &c->cap_p, c->np, sizeof *c->p))
        return nomem(c);
    pend *t = &c->p[c->np];
    memset(t, 0, sizeof *t);
    size_t plen = strlen(prefix);
    t->name = rmtk__malloc(plen + raw_len + 1);
    if (!t->name)
        return nomem(c);
    c->np++;
    memcpy(t->name, prefix, plen);
    memcpy(t->name + plen, raw, raw_len);
    t->name[plen + raw_len] = '\0';
    t->raw = raw;
    t->raw_len = raw_len;
    t->graph = graph;
    snprintf(where, sizeof where, "tensor at byte offset %llu", (unsigned long long)msg_at);
    if (!has_type || type == 0 || type >= ONNX_NTYPES)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s' (%s): data_type %llu is %s", c->path, t->name, where,
                          (unsigned long long)type,
                          has_type ? "not an ONNX type (1 .. 23)" : "missing");
    t->type = (int32_t)type;
    t->ndim = ndim;
    uint64_t numel = 1;
    for (int i = 0; i < ndim; i++) {
        t->shape[i] = dims[i];
        if (!rmtk__mul_u64(numel, (uint64_t)dims[i], &numel))
            return rmtk__fail(c->m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': shape overflows 64 bits at dim %d (%lld)",
                              c->path, t->name, i, (long long)dims[i]);
    }
    t->numel = numel;
    const onnx_type *ot = &onnx_types[type];
    t->rec.esz = ot->size;
    t->rec.file = c->fidx;
    if (segment)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': a segmented tensor (TensorProto.segment) is not read",
                          c->path, t->name);
    if (ot->size && !rmtk__mul_u64(numel, ot->size, &t->nbytes))
        return rmtk__fail(c->m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': %llu elements of %s overflow 64 bits", c->path,
                          t->name, (unsigned long long)numel, ot->name);
    if (external_loc || has_ext)
        return external(c, t, tc);
    if (has_raw) {
        if (ot->size && raw_n != t->nbytes)
            return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': raw_data at byte offset %llu holds %llu bytes, "
                              "but %llu elements of %s take %llu",
                              c->path, t->name, (unsigned long long)raw_off,
                              (unsigned long long)raw_n, (unsigned long long)numel, ot->name,
                              (unsigned long long)t->nbytes);
        if (!ot->size)
            t->nbytes = raw_n;
        t->rec.kind = OX_RAW;
        t->rec.data_off = raw_off;
        return RMTK_OK;
    }
    if (!ot->size) /* typed strings, complex, 4-bit: listed, not read */
        return RMTK_OK;
    if (typed) {
        static const uint32_t field_of[ONNX_NTYPES] = {
            [1] = TP_FLOAT,  [2] = TP_INT32,  [3] = TP_INT32,  [4] = TP_INT32,
            [5] = TP_INT32,  [6] = TP_INT32,  [7] = TP_INT64,  [9] = TP_INT32,
            [10] = TP_INT32, [11] = TP_DOUBLE, [12] = TP_UINT64, [13] = TP_UINT64,
            [16] = TP_INT32, [17] = TP_INT32, [19] = TP_INT32};
        if (field_of[type] != typed)
            return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': values of type %s in field %u (expected field "
                              "%u)",
                              c->path, t->name, ot->name, (unsigned)typed,
                              (unsigned)field_of[type]);
        /* every element takes at least one byte of the field */
        if (typed_bytes < numel && numel > 0)
            return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': %llu elements cannot fit in the %llu bytes of "
                              "its values field",
                              c->path, t->name, (unsigned long long)numel,
                              (unsigned long long)typed_bytes);
        t->rec.kind = OX_TYPED;
        t->rec.field = typed;
        t->rec.msg_off = tc->pos;
        t->rec.msg_len = tc->end - tc->pos;
        return RMTK_OK;
    }
    if (numel != 0)
        return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': %llu elements of %s but no data (no raw_data, "
                          "typed values or external data)",
                          c->path, t->name, (unsigned long long)numel, ot->name);
    t->rec.kind = OX_RAW;
    return RMTK_OK;
}

/* ---- GraphProto, NodeProto, AttributeProto ------------------------------------------------ */

static int parse_graph(ctx *c, const pb_cur *gc, const char *prefix, size_t parent, int depth);

typedef struct attr_info {
    const char *name;
    size_t name_len;
    int has_i;
    int64_t i;
} attr_info;

static int attr_scan(ctx *c, const pb_cur *ac, attr_info *a, const char *where)
{
    pb_cur cur = *ac;
    pb_field f;
    pb_err e = {0};
    int r;
    memset(a, 0, sizeof *a);
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.num == 1 && f.wire == PB_LEN) {
            a->name = (const char *)c->base + f.off;
            a->name_len = (size_t)f.len;
        } else if (f.num == 3 && f.wire == PB_VARINT) {
            a->has_i = 1;
            a->i = (int64_t)f.v;
        }
    }
    return r < 0 ? pb_fail(c, &e, where) : RMTK_OK;
}

static int parse_node(ctx *c, const pb_cur *nc, const char *prefix, size_t graph, size_t k,
                      int depth)
{
    pb_cur cur = *nc;
    pb_field f;
    pb_err e = {0};
    int r;
    const char *op = "", *name = "", *out0 = NULL;
    size_t op_len = 0, name_len = 0, out0_len = 0;
    int64_t trans_b = 0;
    char where[96];
    snprintf(where, sizeof where, "NodeProto at byte offset %llu", (unsigned long long)nc->pos);
    /* pass 1: op_type, name, first output, transB */
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.wire != PB_LEN)
            continue;
        if (f.num == 4) {
            op = (const char *)c->base + f.off;
            op_len = (size_t)f.len;
        } else if (f.num == 3) {
            name = (const char *)c->base + f.off;
            name_len = (size_t)f.len;
        } else if (f.num == 2 && !out0) {
            out0 = (const char *)c->base + f.off;
            out0_len = (size_t)f.len;
        } else if (f.num == 5) {
            attr_info a;
            pb_cur ac = rmtk__pb_sub(&cur, &f);
            int st = attr_scan(c, &ac, &a, where);
            if (st)
                return st;
            if (a.has_i && eq(a.name, a.name_len, "transB"))
                trans_b = a.i;
        }
    }
    if (r < 0)
        return pb_fail(c, &e, where);
    int is_matmul = eq(op, op_len, "MatMul"), is_gemm = eq(op, op_len, "Gemm");
    int is_const = eq(op, op_len, "Constant");
    int is_lstm = eq(op, op_len, "LSTM"), is_gru = eq(op, op_len, "GRU");
    /* pass 2: uses, Constant values, subgraphs */
    cur = *nc;
    size_t in_k = 0;
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.wire != PB_LEN)
            continue;
        if (f.num == 1) {
            size_t kin = in_k++;
            if ((kin == 1 && (is_matmul || is_gemm)) ||
                ((kin == 1 || kin == 2) && (is_lstm || is_gru))) {
                if (grow((void **)&c->u, &c->cap_u, c->nu, sizeof *c->u))
                    return nomem(c);
                use *u = &c->u[c->nu++];
                u->name = (const char *)c->base + f.off;
                u->len = (size_t)f.len;
                u->graph = graph;
                u->transpose = (is_matmul || is_gemm) && (is_matmul || trans_b == 0);
                u->rnn = is_lstm ? (kin == 1 ? MODEL_RNN_LSTM_W : MODEL_RNN_LSTM_R)
                         : is_gru ? (kin == 1 ? MODEL_RNN_GRU_W : MODEL_RNN_GRU_R)
                                  : MODEL_RNN_NONE;
            }
            continue;
        }
        if (f.num != 5)
            continue;
        attr_info a;
        pb_cur ac = rmtk__pb_sub(&cur, &f);
        int st = attr_scan(c, &ac, &a, where);
        if (st)
            return st;
        pb_field g;
        while ((r = rmtk__pb_next(&ac, &g, &e)) == 1) {
            if (g.wire != PB_LEN)
                continue;
            pb_cur sc = rmtk__pb_sub(&ac, &g);
            if (g.num == 5 && is_const && eq(a.name, a.name_len, "value")) {
                if (!out0 || out0_len == 0)
                    return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                                      "%s: %s: a Constant node without an output", c->path,
                                      where);
                st = parse_tensor(c, &sc, prefix, graph, out0, out0_len, g.off);
            } else if (g.num == 6 || g.num == 11) { /* g, graphs */
                if (depth + 1 > ONNX_MAX_DEPTH)
                    return rmtk__fail(c->m->errmsg, RMTK_ERR_FORMAT,
                                      "%s: %s: subgraphs nested more than %d deep", c->path,
                                      where, ONNX_MAX_DEPTH);
                size_t plen = strlen(prefix);
                size_t need = plen + RMTK_MIN(name_len, (size_t)ONNX_NAME_CAP) +
                              RMTK_MIN(a.name_len, (size_t)ONNX_NAME_CAP) + 48;
                char *sub = rmtk__malloc(need);
                if (!sub)
                    return nomem(c);
                if (name_len)
                    snprintf(sub, need, "%s%.*s/%.*s/", prefix, (int)RMTK_MIN(name_len, 4096),
                             name, (int)RMTK_MIN(a.name_len, 4096), a.name);
                else
                    snprintf(sub, need, "%s%.*s#%zu/%.*s/", prefix,
                             (int)RMTK_MIN(op_len, 64), op, k,
                             (int)RMTK_MIN(a.name_len, 4096), a.name);
                st = parse_graph(c, &sc, sub, graph, depth + 1);
                rmtk__free(sub);
            }
            if (st)
                return st;
        }
        if (r < 0)
            return pb_fail(c, &e, where);
    }
    return r < 0 ? pb_fail(c, &e, where) : RMTK_OK;
}

static int parse_graph(ctx *c, const pb_cur *gc, const char *prefix, size_t parent, int depth)
{
    if (grow((void **)&c->parent, &c->cap_g, c->ng, sizeof *c->parent))
        return nomem(c);
    size_t gid = c->ng++;
    c->parent[gid] = parent;
    pb_cur cur = *gc;
    pb_field f;
    pb_err e = {0};
    int r;
    size_t k = 0;
    char where[96];
    snprintf(where, sizeof where, "GraphProto at byte offset %llu", (unsigned long long)gc->pos);
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.num != 1 && f.num != 5)
            continue;
        if (f.wire != PB_LEN)
            return wire_fail(c, &f, PB_LEN, where, f.num == 1 ? "node" : "initializer");
        pb_cur sc = rmtk__pb_sub(&cur, &f);
        int st = f.num == 5 ? parse_tensor(c, &sc, prefix, gid, NULL, 0, f.off)
                            : parse_node(c, &sc, prefix, gid, k++, depth);
        if (st)
            return st;
    }
    return r < 0 ? pb_fail(c, &e, where) : RMTK_OK;
}

/* ---- fetch --------------------------------------------------------------------------------- */

static void state_free(void *p)
{
    onnx_state *s = p;
    if (!s)
        return;
    rmtk__free(s->r);
    rmtk__free(s);
}

static void put_le(unsigned char *d, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++, v >>= 8)
        d[i] = (unsigned char)(v & 0xff);
}

/* Decode the typed field of the TensorProto in msg (its bytes) into out (numel elements). */
static int decode_typed(rmtk_model *m, const model_tensor *t, const onnx_rec *rec,
                        const unsigned char *msg, unsigned char *out)
{
    pb_cur cur = {msg, 0, rec->msg_len};
    pb_field f;
    pb_err e = {0};
    int r;
    uint64_t k = 0, numel = t->info.numel;
    unsigned fixed = rec->field == TP_FLOAT ? 4 : rec->field == TP_DOUBLE ? 8 : 0;
    while ((r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        if (f.num != rec->field)
            continue;
        pb_cur d = {msg, 0, 0};
        int packed = f.wire == PB_LEN;
        if (packed)
            d = rmtk__pb_sub(&cur, &f);
        for (;;) {
            uint64_t v;
            if (packed) {
                if (d.pos >= d.end)
                    break;
                if (fixed) {
                    if (d.end - d.pos < fixed) {
                        e.what = "packed values of fixed width end mid-element";
                        e.at = rec->msg_off + d.pos;
                        r = -1;
                        break;
                    }
                    v = 0;
                    for (unsigned i = fixed; i-- > 0;)
                        v = (v << 8) | msg[d.pos + i];
                    d.pos += fixed;
                } else if (rmtk__pb_varint(&d, &v, &e)) {
                    e.at += rec->msg_off;
                    r = -1;
                    break;
                }
            } else {
                if ((fixed == 4 && f.wire != PB_I32) || (fixed == 8 && f.wire != PB_I64) ||
                    (!fixed && f.wire != PB_VARINT)) {
                    e.what = "a value field with the wrong wire type";
                    e.an = "wire type";
                    e.a = f.wire;
                    e.at = rec->msg_off + f.at;
                    r = -1;
                    break;
                }
                v = f.v;
            }
            if (k >= numel)
                return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': field %u holds more than %llu values",
                                  t->info.file, t->info.name, (unsigned)rec->field,
                                  (unsigned long long)numel);
            put_le(out + k * rec->esz, v, rec->esz);
            k++;
            if (!packed)
                break;
        }
        if (r < 0)
            break;
    }
    if (r < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': %s at byte offset %llu", t->info.file, t->info.name,
                          e.what ? e.what : "malformed values", (unsigned long long)e.at);
    if (k != numel)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': field %u holds %llu values, the shape needs %llu",
                          t->info.file, t->info.name, (unsigned)rec->field,
                          (unsigned long long)k, (unsigned long long)numel);
    return RMTK_OK;
}

static int fetch(rmtk_model *m, size_t i, unsigned char *dst)
{
    onnx_state *s = m->reader_state;
    const model_tensor *t = &m->t[i];
    if (!s || i < s->base || i - s->base >= s->n)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "tensor %zu is not an ONNX tensor", i);
    const onnx_rec *rec = &s->r[i - s->base];
    uint64_t nbytes = t->info.nbytes;
    unsigned char *stored = dst, *tmp = NULL, *msg = NULL;
    if (rec->transpose) {
        tmp = rmtk__malloc((size_t)(nbytes ? nbytes : 1));
        if (!tmp)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                              "%s: tensor '%s': out of memory for %llu bytes", t->info.file,
                              t->info.name, (unsigned long long)nbytes);
        stored = tmp;
    }
    const char *path = m->files[rec->file];
    int st = RMTK_OK;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: tensor '%s': cannot open: %s", path,
                        t->info.name, strerror(errno));
    if (!st && rec->kind == OX_RAW) {
        st = nbytes ? rmtk__pread_full(m, fd, path, stored, (size_t)nbytes, rec->data_off) : 0;
        if (!st)
            m->bytes_read += nbytes;
    } else if (!st) {
        msg = rmtk__malloc((size_t)(rec->msg_len ? rec->msg_len : 1));
        if (!msg)
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                            "%s: tensor '%s': out of memory for %llu bytes", path, t->info.name,
                            (unsigned long long)rec->msg_len);
        if (!st && rec->msg_len)
            st = rmtk__pread_full(m, fd, path, msg, (size_t)rec->msg_len, rec->msg_off);
        if (!st) {
            m->bytes_read += rec->msg_len;
            st = decode_typed(m, t, rec, msg, stored);
        }
    }
    if (fd >= 0)
        close(fd);
    if (!st && rec->transpose) {
        /* stored [rows][cols] -> presented [cols][rows] */
        size_t esz = rec->esz, rows = (size_t)rec->rows, cols = (size_t)rec->cols;
        for (size_t a = 0; a < rows; a++)
            for (size_t b = 0; b < cols; b++)
                memcpy(dst + (b * rows + a) * esz, stored + (a * cols + b) * esz, esz);
    }
    rmtk__free(msg);
    rmtk__free(tmp);
    return st;
}

/* ---- the reader ------------------------------------------------------------------------------ */

/* Is graph g inside graph outer (or outer itself)? */
static int within(const ctx *c, size_t g, size_t outer)
{
    for (size_t steps = 0; g != SIZE_MAX && steps <= c->ng; steps++) {
        if (g == outer)
            return 1;
        g = c->parent[g];
    }
    return 0;
}

static int finish(ctx *c)
{
    rmtk_model *m = c->m;
    onnx_state *s = rmtk__calloc(1, sizeof *s);
    if (!s)
        return nomem(c);
    s->base = m->n;
    s->r = rmtk__calloc(c->np ? c->np : 1, sizeof *s->r);
    if (!s->r) {
        rmtk__free(s);
        return nomem(c);
    }
    m->reader_state = s;
    m->reader_state_free = state_free;
    m->fetch = fetch;
    for (size_t k = 0; k < c->np; k++) {
        pend *t = &c->p[k];
        const onnx_type *ot = &onnx_types[t->type];
        model_tensor *mt;
        int st = rmtk__model_add_tensor(m, t->name, strlen(t->name), ot->name, &mt);
        if (st)
            return st;
        onnx_rec *rec = &s->r[s->n++];
        *rec = t->rec;
        mt->file = rec->file;
        mt->info.dtype = ot->dtype;
        mt->info.ndim = t->ndim;
        memcpy(mt->info.shape, t->shape, sizeof t->shape);
        mt->info.numel = t->numel;
        mt->info.nbytes = t->nbytes;
        mt->info.offset = rec->kind == OX_RAW ? rec->data_off : rec->msg_off;
        mt->store = MODEL_STORE_RAW;
        if (!rec->esz) /* not converted: listed with the ONNX type name */
            continue;
        if ((t->ndim == 2 || t->ndim == 3) && ot->dtype != RMTK_DTYPE_BOOL) {
            for (size_t j = 0; j < c->nu; j++) {
                const use *u = &c->u[j];
                if (u->len == t->raw_len && memcmp(u->name, t->raw, u->len) == 0 &&
                    within(c, u->graph, t->graph)) {
                    if (t->ndim == 2 && !u->rnn)
                        rec->transpose = u->transpose;
                    else if (t->ndim == 3 && u->rnn)
                        mt->rnn_role = u->rnn;
                    else
                        continue;
                    break;
                }
            }
        }
        if (rec->transpose) {
            rec->rows = t->shape[0];
            rec->cols = t->shape[1];
            mt->info.shape[0] = t->shape[1];
            mt->info.shape[1] = t->shape[0];
            mt->info.layout = "in,out";
        }
        if (rec->transpose || rec->kind == OX_TYPED)
            mt->store = MODEL_STORE_FETCH;
    }
    return RMTK_OK;
}

int rmtk__read_onnx(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    if (size == 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: empty file, not an ONNX model", path);
    if (size > (uint64_t)SIZE_MAX)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: %llu bytes do not fit in memory",
                          path, (unsigned long long)size);
    void *map = mmap(NULL, (size_t)size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map == MAP_FAILED)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot map %llu bytes: %s", path,
                          (unsigned long long)size, strerror(errno));
    ctx c;
    memset(&c, 0, sizeof c);
    c.m = m;
    c.path = path;
    c.base = map;
    c.size = size;
    const char *sl = strrchr(path, '/');
    if (sl)
        snprintf(c.dir, sizeof c.dir, "%.*s", (int)(sl - path == 0 ? 1 : sl - path), path);
    else
        snprintf(c.dir, sizeof c.dir, ".");
    int st = rmtk__model_add_file(m, path, &c.fidx);
    pb_cur cur = {c.base, 0, size};
    pb_field f;
    pb_err e = {0};
    int r = 0, graphs = 0;
    while (!st && (r = rmtk__pb_next(&cur, &f, &e)) == 1) {
        char v[64];
        if (f.num == 1 && f.wire == PB_VARINT) {
            snprintf(v, sizeof v, "%llu", (unsigned long long)f.v);
            st = rmtk__model_add_meta(m, "onnx.ir_version", v);
        } else if ((f.num == 2 || f.num == 3) && f.wire == PB_LEN) {
            char s[256];
            snprintf(s, sizeof s, "%.*s", (int)RMTK_MIN(f.len, (uint64_t)255),
                     (const char *)c.base + f.off);
            st = rmtk__model_add_meta(m, f.num == 2 ? "onnx.producer_name"
                                                    : "onnx.producer_version", s);
        } else if (f.num == 7) {
            if (f.wire != PB_LEN) {
                st = wire_fail(&c, &f, PB_LEN, "ModelProto", "graph");
                break;
            }
            pb_cur gc = rmtk__pb_sub(&cur, &f);
            st = parse_graph(&c, &gc, "", SIZE_MAX, 0);
            graphs++;
        }
    }
    if (!st && r < 0)
        st = pb_fail(&c, &e, "ModelProto");
    if (!st && graphs == 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: not an ONNX model: no graph (ModelProto field 7) in %llu bytes",
                        path, (unsigned long long)size);
    if (!st)
        st = finish(&c);
    for (size_t k = 0; k < c.np; k++)
        rmtk__free(c.p[k].name);
    rmtk__free(c.p);
    rmtk__free(c.u);
    rmtk__free(c.parent);
    munmap(map, (size_t)size);
    return st;
}

/* The first bytes of an ONNX model: field 1 (ir_version, varint, tag 0x08) holding 1 .. 15, then
 * a tag of a ModelProto field: 2 producer_name (0x12), 3 (0x1a), 4 domain (0x22), 5
 * model_version (0x28), 6 doc_string (0x32), 7 graph (0x3a), 8 opset_import (0x42). */
int rmtk__onnx_probe(const unsigned char *head, size_t have)
{
    if (have < 3 || head[0] != 0x08 || head[1] < 1 || head[1] > 15)
        return 0;
    unsigned char t = head[2];
    return t == 0x12 || t == 0x1a || t == 0x22 || t == 0x28 || t == 0x32 || t == 0x3a ||
           t == 0x42;
}
