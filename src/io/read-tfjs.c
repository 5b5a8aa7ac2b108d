/*
 * read-tfjs.c: the TensorFlow.js reader. A model.json (layers or graph model: an object with
 * "weightsManifest" and usually "modelTopology") or a bare weights manifest (a JSON array of
 * groups {"paths": [...], "weights": [...]}, face-api's *-weights_manifest.json). Each group's
 * shard files, read in the order "paths" lists them, are one byte stream holding the group's
 * weights end to end in manifest order (a weight may span two shards); a weight is
 * {name, shape, dtype, quantization?}. The index is built from the JSON and the shards' sizes
 * alone: each tensor's byte range in its group's stream, overflow-checked, and the stream's
 * length must equal the sum of the shard sizes. Shard paths are confined to the model.json's
 * directory (relative, no "..", regular files).
 *
 * Values (MODEL_STORE_FETCH, tfjs_fetch): the tensor's bytes are gathered across shards and
 * decoded exactly as tfjs-core's io.decodeWeights does (tfjs-core 4.22.0 src/io/io_utils.ts):
 *   float32, int32, bool: as stored (little-endian);
 *   quantization uint8/uint16 (affine): value = q * scale + min, evaluated in double (a
 *     JavaScript number) and stored to a Float32Array, i.e. rounded once to float32; an int32
 *     weight so quantised is Math.round(q * scale + min) = floor(x + 0.5);
 *   quantization float16: IEEE binary16 widened exactly to float32 (float32 weights only).
 * Dequantised weights are presented as RMTK_DTYPE_F32 with dtype_str "uint8 (affine)",
 * "uint16 (affine)" or "float16"; the quantisation step (scale) is kept by the reader state.
 *
 * Layouts (TF stores kernels input-major): presented like PyTorch, (out, in, kernel...):
 *   dense kernel [in, out] -> [out, in]                       (info.layout "in,out")
 *   convolution [k..., in, out] (Conv1D WIO, Conv2D HWIO, Conv3D DHWIO) -> [out, in, k...]
 *   transposed convolution [k..., out, in] (Conv2DTranspose HWOI) -> [out, in, k...]
 *   depthwise kernel [kh, kw, C, mult]: listed, skipped ("depthwise convolution kernel (not
 *     channel-mixing)"), not permuted.
 * Which weight is what: a graph model's nodes (MatMul/_FusedMatMul input 1 with transpose_b,
 * Conv1D/Conv2D/_FusedConv2D/Conv3D input 1, DepthwiseConv2dNative/FusedDepthwiseConv2dNative
 * input 1, Conv2DBackpropInput/Conv3DBackpropInputV2 input 1); a layers model's layer classes
 * (Dense, Conv*D, Conv*DTranspose, DepthwiseConv*D, SeparableConv*D, LSTM/GRU/SimpleRNN) found by
 * the weight name's second-to-last component "<layer>/kernel"; otherwise the name and rank rule
 * (docs/formats.md, "TensorFlow.js"): the last name component containing "depthwise" at rank
 * 3 or 4 is a depthwise kernel; containing "kernel" or "weight" at rank 2 a dense kernel;
 * containing "kernel", "filter" or "weight" at rank 3 to 5 a convolution kernel.
 * REF: https://github.com/tensorflow/tfjs (tfjs-core/src/io/types.ts WeightsManifestConfig,
 * io_utils.ts decodeWeights, weights_loader.ts loadWeightsAsArrayBuffer).
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

#define JSON_CAP 256000000ull /* bytes of model.json accepted (graph topologies are large) */

enum { Q_NONE = 0, Q_U8 = 1, Q_U16 = 2, Q_F16 = 3 };
enum { ROLE_NONE = 0, ROLE_DENSE, ROLE_CONV, ROLE_CONVT, ROLE_DEPTHWISE, ROLE_ASIS };
enum { SRC_F32 = 0, SRC_I32, SRC_BOOL, SRC_C64 };

typedef struct tfjs_entry {
    uint64_t begin, len; /* byte range in its group's stream */
    size_t group;
    int32_t src;         /* SRC_*: the weight's dtype */
    int32_t quant;       /* Q_* */
    double scale, min;
    int32_t ndim;        /* stored shape */
    int64_t shape[RMTK_MAX_DIMS];
    int32_t perm[RMTK_MAX_DIMS]; /* presented axis k is stored axis perm[k] */
    int32_t permuted;
} tfjs_entry;

typedef struct tfjs_group {
    size_t first_shard, nshards; /* into tfjs_state.shard_* */
} tfjs_group;

typedef struct tfjs_state {
    size_t first_tensor; /* m->t index of entry 0 */
    tfjs_entry *e;
    size_t ne;
    tfjs_group *g;
    size_t ng;
    size_t *shard_file;   /* index into m->files */
    uint64_t *shard_start; /* offset of the shard in its group's stream */
    uint64_t *shard_size;
    size_t nshards;
    unsigned char *raw;
    size_t raw_cap;
} tfjs_state;

static int tfjs_fetch(rmtk_model *m, size_t i, unsigned char *dst);

static void state_free(void *p)
{
    tfjs_state *s = p;
    if (!s)
        return;
    rmtk__free(s->e);
    rmtk__free(s->g);
    rmtk__free(s->shard_file);
    rmtk__free(s->shard_start);
    rmtk__free(s->shard_size);
    rmtk__free(s->raw);
    rmtk__free(s);
}

/* ---- which weight is what ------------------------------------------------------------------ */

typedef struct role_hint {
    const char *name; /* weight name (graph: node input) or layer name */
    size_t len;
    int role;         /* graph: the role; layers: class index */
} role_hint;

typedef struct hints {
    role_hint *h;
    size_t n, cap;
    int nomem;
} hints;

static void add_hint(hints *hs, const char *name, size_t len, int role)
{
    if (hs->nomem)
        return;
    if (hs->n == hs->cap) {
        size_t cap = hs->cap ? 2 * hs->cap : 32;
        role_hint *p = rmtk__realloc(hs->h, cap * sizeof *p);
        if (!p) {
            hs->nomem = 1;
            return;
        }
        hs->h = p;
        hs->cap = cap;
    }
    hs->h[hs->n++] = (role_hint){name, len, role};
}

static const role_hint *find_hint(const hints *hs, const char *name, size_t len)
{
    for (size_t i = 0; i < hs->n; i++)
        if (hs->h[i].len == len && memcmp(hs->h[i].name, name, len) == 0)
            return &hs->h[i];
    return NULL;
}

/* a graph node input "^name" or "name:0" -> name */
static void input_name(const char *s, const char **p, size_t *len)
{
    if (*s == '^')
        s++;
    const char *c = strrchr(s, ':');
    size_t n = strlen(s);
    if (c && c[1]) {
        const char *d = c + 1;
        while (*d >= '0' && *d <= '9')
            d++;
        if (!*d)
            n = (size_t)(c - s);
    }
    *p = s;
    *len = n;
}

static int attr_bool(const cJSON *node, const char *key)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(node, "attr");
    const cJSON *k = a ? cJSON_GetObjectItemCaseSensitive(a, key) : NULL;
    const cJSON *b = k ? cJSON_GetObjectItemCaseSensitive(k, "b") : NULL;
    return cJSON_IsTrue(b);
}

/* Graph model: the op that reads each weight as its filter / right operand. */
static void graph_hints(const cJSON *nodes, hints *hs)
{
    static const struct {
        const char *op;
        int role;
    } ops[] = {
        {"MatMul", ROLE_DENSE},          {"_FusedMatMul", ROLE_DENSE},
        {"Conv1D", ROLE_CONV},           {"Conv2D", ROLE_CONV},
        {"_FusedConv2D", ROLE_CONV},     {"Conv3D", ROLE_CONV},
        {"DepthwiseConv2dNative", ROLE_DEPTHWISE}, {"FusedDepthwiseConv2dNative", ROLE_DEPTHWISE},
        {"DepthwiseConv2d", ROLE_DEPTHWISE},       {"Conv2DBackpropInput", ROLE_CONVT},
        {"Conv3DBackpropInputV2", ROLE_CONVT},
    };
    const cJSON *n;
    cJSON_ArrayForEach(n, nodes)
    {
        const cJSON *op = cJSON_GetObjectItemCaseSensitive(n, "op");
        const cJSON *in = cJSON_GetObjectItemCaseSensitive(n, "input");
        if (!cJSON_IsString(op) || !cJSON_IsArray(in))
            continue;
        const cJSON *w = cJSON_GetArrayItem(in, 1);
        if (!cJSON_IsString(w))
            continue;
        for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
            if (strcmp(op->valuestring, ops[k].op) != 0)
                continue;
            int role = ops[k].role;
            if (role == ROLE_DENSE && attr_bool(n, "transpose_b"))
                role = ROLE_ASIS;
            const char *p;
            size_t len;
            input_name(w->valuestring, &p, &len);
            add_hint(hs, p, len, role);
            break;
        }
    }
}

/* Layers model: every object {"class_name": C, "config": {"name": N, ...}} anywhere in the
 * topology gives a layer N of class C (the role is decided with the weight's last component). */
static void layer_hints(const cJSON *j, hints *hs, int depth)
{
    static const char *const classes[] = {
        "Dense",           "Conv1D",          "Conv2D",          "Conv3D",
        "Conv1DTranspose", "Conv2DTranspose", "Conv3DTranspose", "DepthwiseConv1D",
        "DepthwiseConv2D", "SeparableConv1D", "SeparableConv2D", "LSTM",
        "GRU",             "SimpleRNN",       "LSTMCell",        "GRUCell",
        "SimpleRNNCell",
    };
    if (!j || depth > 64)
        return;
    if (cJSON_IsObject(j)) {
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(j, "class_name");
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
        const cJSON *nm = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "name") : NULL;
        if (cJSON_IsString(c) && cJSON_IsString(nm))
            for (size_t k = 0; k < sizeof classes / sizeof classes[0]; k++)
                if (strcmp(c->valuestring, classes[k]) == 0)
                    add_hint(hs, nm->valuestring, strlen(nm->valuestring), (int)k);
    }
    if (cJSON_IsObject(j) || cJSON_IsArray(j)) {
        const cJSON *c;
        cJSON_ArrayForEach(c, j) layer_hints(c, hs, depth + 1);
    }
}

static int has(const char *s, size_t n, const char *sub)
{
    size_t k = strlen(sub);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(s + i, sub, k) == 0)
            return 1;
    return 0;
}

/* The role of weight `name` of rank nd (see the file comment). */
static int weight_role(const char *name, int nd, const hints *graph, const hints *layers)
{
    const role_hint *h = find_hint(graph, name, strlen(name));
    int role = -1;
    const char *last = strrchr(name, '/');
    last = last ? last + 1 : name;
    size_t ln = strlen(last);
    if (h)
        role = h->role;
    if (role < 0 && last > name) {
        /* "<...>/<layer>/<weight>" */
        const char *e = last - 1, *b = e;
        while (b > name && b[-1] != '/')
            b--;
        h = find_hint(layers, b, (size_t)(e - b));
        if (h) {
            int cls = h->role;
            int is_k = ln == 6 && memcmp(last, "kernel", 6) == 0;
            int is_rk = ln == 16 && memcmp(last, "recurrent_kernel", 16) == 0;
            int is_dk = has(last, ln, "depthwise_kernel");
            int is_pk = has(last, ln, "pointwise_kernel");
            role = ROLE_NONE;
            if (cls == 0 && is_k)
                role = ROLE_DENSE;
            else if (cls >= 1 && cls <= 3 && is_k)
                role = ROLE_CONV;
            else if (cls >= 4 && cls <= 6 && is_k)
                role = ROLE_CONVT;
            else if (cls >= 7 && cls <= 10 && is_dk)
                role = ROLE_DEPTHWISE;
            else if (cls >= 9 && cls <= 10 && is_pk)
                role = ROLE_CONV;
            else if (cls >= 11 && (is_k || is_rk))
                role = ROLE_DENSE;
        }
    }
    if (role < 0) {
        /* the name and rank rule */
        role = ROLE_NONE;
        if (has(last, ln, "depthwise") && (nd == 3 || nd == 4))
            role = ROLE_DEPTHWISE;
        else if (nd == 2 && (has(last, ln, "kernel") || has(last, ln, "weight")))
            role = ROLE_DENSE;
        else if (nd >= 3 && nd <= 5 &&
                 (has(last, ln, "kernel") || has(last, ln, "filter") || has(last, ln, "weight")))
            role = ROLE_CONV;
    }
    /* a role whose rank does not fit is none */
    if (role == ROLE_DENSE && nd != 2)
        role = ROLE_NONE;
    if ((role == ROLE_CONV || role == ROLE_CONVT) && (nd < 3 || nd > 5))
        role = ROLE_NONE;
    return role;
}

/* ---- the index ----------------------------------------------------------------------------- */

typedef struct ctx {
    rmtk_model *m;
    const char *path;
    tfjs_state *s;
    hints graph, layers;
} ctx;

static int grow(void **p, size_t *cap, size_t need, size_t esz)
{
    if (need <= *cap)
        return 0;
    size_t c = *cap ? *cap : 8;
    while (c < need)
        c *= 2;
    void *q = rmtk__realloc(*p, c * esz);
    if (!q)
        return -1;
    *p = q;
    *cap = c;
    return 0;
}

/* Open one shard of group gi: stat it, add it to the model's files. */
static int add_shard(ctx *c, const char *name, size_t gi, uint64_t *size, size_t *cap_sh)
{
    rmtk_model *m = c->m;
    tfjs_state *s = c->s;
    const char *why = rmtk__relpath_problem(name);
    if (why)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: weights manifest group %zu: shard path '%s' %s: a TF.js model "
                          "names only files in its own directory",
                          c->path, gi, name, why);
    const char *slash = strrchr(c->path, '/');
    size_t dlen = slash ? (size_t)(slash - c->path) + 1 : 0;
    size_t len = dlen + strlen(name) + 1;
    char *full = rmtk__malloc(len);
    if (!full)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", c->path);
    snprintf(full, len, "%.*s%s", (int)dlen, c->path, name);
    struct stat sb;
    int st = RMTK_OK;
    if (stat(full, &sb) != 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_IO,
                        "%s: weights manifest group %zu: shard '%s' cannot be opened: %s",
                        c->path, gi, full, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: weights manifest group %zu: shard '%s' is not a regular file",
                        c->path, gi, full);
    size_t fidx = 0;
    if (!st)
        st = rmtk__model_add_file(m, full, &fidx);
    rmtk__free(full);
    if (st)
        return st;
    size_t k = s->nshards;
    size_t c1 = *cap_sh, c2 = *cap_sh, c3 = *cap_sh;
    if (grow((void **)&s->shard_file, &c1, k + 1, sizeof *s->shard_file) ||
        grow((void **)&s->shard_start, &c2, k + 1, sizeof *s->shard_start) ||
        grow((void **)&s->shard_size, &c3, k + 1, sizeof *s->shard_size))
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", c->path);
    *cap_sh = c1;
    s->shard_file[k] = fidx;
    s->shard_start[k] = *size;
    s->shard_size[k] = (uint64_t)sb.st_size;
    s->nshards++;
    if (*size > UINT64_MAX - (uint64_t)sb.st_size)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: group %zu: shard sizes overflow",
                          c->path, gi);
    *size += (uint64_t)sb.st_size;
    return RMTK_OK;
}

static const char *const layout_in_out = "in,out";
static const char *const layout_conv[] = {"WIO", "HWIO", "DHWIO"};
static const char *const layout_convt[] = {"WOI", "HWOI", "DHWOI"};

static const char *const depthwise_reason = "depthwise convolution kernel (not channel-mixing)";

/* One weight entry of group gi at stream offset *cursor. */
static int add_weight(ctx *c, const cJSON *w, size_t gi, size_t wi, uint64_t *cursor,
                      size_t *cap_e)
{
    rmtk_model *m = c->m;
    tfjs_state *s = c->s;
    const cJSON *jn = cJSON_GetObjectItemCaseSensitive(w, "name");
    const cJSON *js = cJSON_GetObjectItemCaseSensitive(w, "shape");
    const cJSON *jd = cJSON_GetObjectItemCaseSensitive(w, "dtype");
    const cJSON *jq = cJSON_GetObjectItemCaseSensitive(w, "quantization");
    if (!cJSON_IsObject(w) || !cJSON_IsString(jn))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: weights manifest group %zu, weight %zu: not an object with a "
                          "\"name\" string",
                          c->path, gi, wi);
    const char *name = jn->valuestring;
    if (!cJSON_IsString(jd))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: tensor '%s': no \"dtype\" string",
                          c->path, name);
    if (!cJSON_IsArray(js))
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: tensor '%s': no \"shape\" array",
                          c->path, name);
    tfjs_entry e;
    memset(&e, 0, sizeof e);
    e.group = gi;
    int nd = cJSON_GetArraySize(js);
    if (nd > RMTK_MAX_DIMS)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': %d dimensions (rmtk handles at most %d)", c->path,
                          name, nd, RMTK_MAX_DIMS);
    uint64_t numel = 1;
    int k = 0;
    const cJSON *d;
    cJSON_ArrayForEach(d, js)
    {
        double v = cJSON_IsNumber(d) ? d->valuedouble : -1;
        if (!(v >= 0 && v <= 9007199254740992.0) || v != floor(v))
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': shape entry %d is not a non-negative integer",
                              c->path, name, k);
        e.shape[k] = (int64_t)v;
        if (e.shape[k] && numel > UINT64_MAX / (uint64_t)e.shape[k])
            return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': element count overflows at shape entry %d",
                              c->path, name, k);
        numel *= (uint64_t)e.shape[k];
        k++;
    }
    e.ndim = nd;
    const char *dt = jd->valuestring;
    uint64_t esz;
    if (strcmp(dt, "float32") == 0)
        e.src = SRC_F32, esz = 4;
    else if (strcmp(dt, "int32") == 0)
        e.src = SRC_I32, esz = 4;
    else if (strcmp(dt, "bool") == 0)
        e.src = SRC_BOOL, esz = 1;
    else if (strcmp(dt, "complex64") == 0)
        e.src = SRC_C64, esz = 8;
    else if (strcmp(dt, "string") == 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': dtype \"string\" (variable-length elements: the "
                          "offsets of the weights after it depend on its bytes); rmtk reads "
                          "float32, int32, bool and complex64 weights",
                          c->path, name);
    else
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': unknown dtype \"%.40s\" (TF.js weights are float32, "
                          "int32, bool, complex64 or string)",
                          c->path, name, dt);
    const char *dstr = dt;
    if (jq) {
        const cJSON *qd = cJSON_GetObjectItemCaseSensitive(jq, "dtype");
        const cJSON *qs = cJSON_GetObjectItemCaseSensitive(jq, "scale");
        const cJSON *qm = cJSON_GetObjectItemCaseSensitive(jq, "min");
        if (!cJSON_IsObject(jq) || !cJSON_IsString(qd))
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': \"quantization\" is not an object with a "
                              "\"dtype\" string",
                              c->path, name);
        if (strcmp(qd->valuestring, "uint8") == 0 || strcmp(qd->valuestring, "uint16") == 0) {
            e.quant = qd->valuestring[4] == '8' ? Q_U8 : Q_U16;
            esz = e.quant == Q_U8 ? 1 : 2;
            if (!cJSON_IsNumber(qs) || !cJSON_IsNumber(qm))
                return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': %s quantization without numeric \"scale\" "
                                  "and \"min\"",
                                  c->path, name, qd->valuestring);
            e.scale = qs->valuedouble;
            e.min = qm->valuedouble;
            if (!isfinite(e.scale) || !isfinite(e.min))
                return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': quantization scale %g or min %g is not "
                                  "finite",
                                  c->path, name, e.scale, e.min);
            if (e.src != SRC_F32 && e.src != SRC_I32)
                return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': %s quantization of a %s weight (TF.js "
                                  "quantises float32 and int32 only)",
                                  c->path, name, qd->valuestring, dt);
            dstr = e.src == SRC_I32 ? (e.quant == Q_U8 ? "int32 as uint8 (affine)"
                                                       : "int32 as uint16 (affine)")
                                    : (e.quant == Q_U8 ? "uint8 (affine)" : "uint16 (affine)");
        } else if (strcmp(qd->valuestring, "float16") == 0) {
            e.quant = Q_F16;
            esz = 2;
            if (e.src != SRC_F32)
                return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                  "%s: tensor '%s': float16 quantization of a %s weight (TF.js "
                                  "supports it for float32 only)",
                                  c->path, name, dt);
            dstr = "float16";
        } else {
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': unknown quantization dtype \"%.40s\" (TF.js: "
                              "uint8, uint16, float16)",
                              c->path, name, qd->valuestring);
        }
    }
    if (numel > UINT64_MAX / esz)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': byte size overflows",
                          c->path, name);
    e.len = numel * esz;
    e.begin = *cursor;
    if (*cursor > UINT64_MAX - e.len)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': stream offset %llu + %llu bytes overflows", c->path,
                          name, (unsigned long long)*cursor, (unsigned long long)e.len);
    *cursor += e.len;

    int role = weight_role(name, nd, &c->graph, &c->layers);
    const char *layout = NULL, *skip = NULL;
    for (int a = 0; a < nd; a++)
        e.perm[a] = a;
    if (role == ROLE_DENSE) {
        e.perm[0] = 1;
        e.perm[1] = 0;
        layout = layout_in_out;
    } else if (role == ROLE_CONV || role == ROLE_CONVT) {
        int o = role == ROLE_CONV ? nd - 1 : nd - 2, i = role == ROLE_CONV ? nd - 2 : nd - 1;
        e.perm[0] = o;
        e.perm[1] = i;
        for (int a = 0; a + 2 < nd; a++)
            e.perm[a + 2] = a;
        layout = role == ROLE_CONV ? layout_conv[nd - 3] : layout_convt[nd - 3];
    } else if (role == ROLE_DEPTHWISE) {
        skip = depthwise_reason;
    }
    e.permuted = layout != NULL;

    if (grow((void **)&s->e, cap_e, s->ne + 1, sizeof *s->e))
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", c->path);
    s->e[s->ne++] = e;
    model_tensor *t;
    int st = rmtk__model_add_tensor(m, name, strlen(name), dstr, &t);
    if (st)
        return st;
    t->store = MODEL_STORE_FETCH;
    t->skip_reason = skip;
    t->info.layout = layout;
    t->info.ndim = nd;
    for (int a = 0; a < nd; a++)
        t->info.shape[a] = e.shape[e.perm[a]];
    t->info.numel = numel;
    t->info.dtype = e.src == SRC_I32    ? RMTK_DTYPE_I32
                    : e.src == SRC_BOOL ? RMTK_DTYPE_BOOL
                    : e.src == SRC_C64  ? RMTK_DTYPE_OTHER
                                        : RMTK_DTYPE_F32;
    t->info.nbytes = numel * (e.src == SRC_BOOL ? 1u : e.src == SRC_C64 ? 8u : 4u);
    /* file and offset: where the tensor's first byte is (fixed up once the shards are known) */
    return RMTK_OK;
}

/* Read a whole JSON file (object or array) into *root. */
static int read_json_file(rmtk_model *m, const char *path, int fd, uint64_t size, cJSON **root)
{
    *root = NULL;
    if (size > JSON_CAP)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: TF.js model.json of %llu bytes exceeds the %llu-byte cap", path,
                          (unsigned long long)size, JSON_CAP);
    char *buf = rmtk__malloc((size_t)size + 1);
    if (!buf)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory for %llu bytes", path,
                          (unsigned long long)size);
    int st = size ? rmtk__pread_full(m, fd, path, buf, (size_t)size, 0) : RMTK_OK;
    if (st) {
        rmtk__free(buf);
        return st;
    }
    buf[size] = '\0';
    const char *end = NULL;
    *root = cJSON_ParseWithLengthOpts(buf, (size_t)size, &end, 0);
    if (!*root) {
        size_t at = end && end >= buf && end <= buf + size ? (size_t)(end - buf) : 0;
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: invalid JSON (a TF.js model.json or weights manifest): parse error "
                        "at byte offset %zu of %llu",
                        path, at, (unsigned long long)size);
    }
    rmtk__free(buf);
    return st;
}

int rmtk__read_tfjs(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    cJSON *root = NULL;
    int st = read_json_file(m, path, fd, size, &root);
    if (st)
        return st;
    const cJSON *manifest = root;
    const cJSON *topo = NULL;
    if (cJSON_IsObject(root)) {
        manifest = cJSON_GetObjectItemCaseSensitive(root, "weightsManifest");
        topo = cJSON_GetObjectItemCaseSensitive(root, "modelTopology");
        const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(root, "format");
        const cJSON *gen = cJSON_GetObjectItemCaseSensitive(root, "generatedBy");
        const cJSON *cvt = cJSON_GetObjectItemCaseSensitive(root, "convertedBy");
        if (cJSON_IsString(fmt))
            st = rmtk__model_add_meta(m, "format", fmt->valuestring);
        if (!st && cJSON_IsString(gen))
            st = rmtk__model_add_meta(m, "generatedBy", gen->valuestring);
        if (!st && cJSON_IsString(cvt))
            st = rmtk__model_add_meta(m, "convertedBy", cvt->valuestring);
    }
    if (!st && !cJSON_IsArray(manifest))
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: not a TensorFlow.js model: %s", path,
                        cJSON_IsObject(root) ? "\"weightsManifest\" is missing or not an array"
                                             : "the JSON is not a weights manifest array");
    if (!st && cJSON_GetArraySize(manifest) == 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: a TensorFlow.js model.json whose weights manifest lists no weight "
                        "groups: no weights to read",
                        path);
    if (st) {
        cJSON_Delete(root);
        return st;
    }
    tfjs_state *s = rmtk__calloc(1, sizeof *s);
    ctx c = {m, path, s, {0}, {0}};
    if (!s) {
        cJSON_Delete(root);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    }
    s->first_tensor = m->n;
    if (topo) {
        graph_hints(cJSON_GetObjectItemCaseSensitive(topo, "node"), &c.graph);
        layer_hints(topo, &c.layers, 0);
    }
    if (c.graph.nomem || c.layers.nomem)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    size_t cap_e = 0, cap_sh = 0, cap_g = 0;
    size_t gi = 0;
    const cJSON *grp;
    cJSON_ArrayForEach(grp, manifest)
    {
        if (st)
            break;
        const cJSON *paths = cJSON_GetObjectItemCaseSensitive(grp, "paths");
        const cJSON *weights = cJSON_GetObjectItemCaseSensitive(grp, "weights");
        if (!cJSON_IsObject(grp) || !cJSON_IsArray(paths) || !cJSON_IsArray(weights)) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: weights manifest group %zu is not an object with \"paths\" and "
                            "\"weights\" arrays",
                            path, gi);
            break;
        }
        if (grow((void **)&s->g, &cap_g, s->ng + 1, sizeof *s->g)) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        tfjs_group *g = &s->g[s->ng++];
        g->first_shard = s->nshards;
        uint64_t total = 0;
        const cJSON *p;
        size_t pi = 0;
        cJSON_ArrayForEach(p, paths)
        {
            if (!cJSON_IsString(p)) {
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: weights manifest group %zu: path %zu is not a string", path,
                                gi, pi);
                break;
            }
            st = add_shard(&c, p->valuestring, gi, &total, &cap_sh);
            if (st)
                break;
            pi++;
        }
        g->nshards = s->nshards - g->first_shard;
        uint64_t cursor = 0;
        size_t first = s->ne, wi = 0;
        const cJSON *w;
        cJSON_ArrayForEach(w, weights)
        {
            if (st)
                break;
            st = add_weight(&c, w, gi, wi++, &cursor, &cap_e);
        }
        if (!st && cursor != total) {
            const char *last = s->ne > first ? m->t[s->first_tensor + s->ne - 1].info.name : "";
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: weights manifest group %zu: its weights need %llu bytes (last: "
                            "'%s') but its %zu shard file(s) hold %llu bytes (%s)",
                            path, gi, (unsigned long long)cursor, last, g->nshards,
                            (unsigned long long)total,
                            cursor > total ? "a shard is missing or short"
                                           : "trailing bytes belong to no weight");
        }
        /* where each tensor starts: its file and the offset there */
        for (size_t i = first; i < s->ne && !st; i++) {
            tfjs_entry *e = &s->e[i];
            model_tensor *t = &m->t[s->first_tensor + i];
            size_t k = g->first_shard;
            for (size_t j = g->first_shard; j < g->first_shard + g->nshards; j++)
                if (s->shard_start[j] <= e->begin && e->begin < s->shard_start[j] + s->shard_size[j])
                    k = j;
            if (g->nshards) {
                t->file = s->shard_file[k];
                t->info.offset = e->begin - s->shard_start[k];
            }
        }
        gi++;
    }
    rmtk__free(c.graph.h);
    rmtk__free(c.layers.h);
    cJSON_Delete(root);
    if (!st && m->n == s->first_tensor)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: a TensorFlow.js weights manifest that lists no weights", path);
    if (st) {
        state_free(s);
        return st;
    }
    m->reader_state = s;
    m->reader_state_free = state_free;
    m->fetch = tfjs_fetch;
    return RMTK_OK;
}

/* ---- values -------------------------------------------------------------------------------- */

/* binary16 -> binary32, exact (subnormals, infinities and NaN payloads kept), as tfjs-core's
 * getFloat16Decoder tables give. */
static float half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h & 0x8000u) << 16, exp = (h >> 10) & 0x1fu, man = h & 0x3ffu;
    uint32_t bits;
    if (exp == 0x1f) {
        bits = sign | 0x7f800000u | (man << 13);
    } else if (exp) {
        bits = sign | ((exp + 112u) << 23) | (man << 13);
    } else if (man) {
        int e = -1;
        do {
            e++;
            man <<= 1;
        } while (!(man & 0x400u));
        bits = sign | ((uint32_t)(112 - e) << 23) | ((man & 0x3ffu) << 13);
    } else {
        bits = sign;
    }
    float f;
    memcpy(&f, &bits, 4);
    return f;
}

/* TF.js affine dequantisation: q * scale + min in double, rounded once to float32 (the product
 * and the sum are separate statements so that no fused multiply-add changes the rounding). */
static float affine(uint32_t q, double scale, double min)
{
    double p = (double)q * scale;
    double v = p + min;
    return (float)v;
}

/* Read stream bytes [begin, begin + len) of group gi into buf. */
static int read_range(rmtk_model *m, tfjs_state *s, const tfjs_entry *e, const char *name,
                      unsigned char *buf)
{
    const tfjs_group *g = &s->g[e->group];
    uint64_t pos = e->begin, end = e->begin + e->len;
    for (size_t k = g->first_shard; k < g->first_shard + g->nshards && pos < end; k++) {
        uint64_t a = s->shard_start[k], b = a + s->shard_size[k];
        if (b <= pos || a >= end)
            continue;
        uint64_t lo = RMTK_MAX(a, pos), hi = RMTK_MIN(b, end);
        const char *fp = m->files[s->shard_file[k]];
        int fd = open(fp, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
        if (fd < 0)
            return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: tensor '%s': cannot open: %s", fp,
                              name, strerror(errno));
        struct stat sb;
        int st = RMTK_OK;
        if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) ||
            (uint64_t)sb.st_size != s->shard_size[k])
            st = rmtk__fail(m->errmsg, RMTK_ERR_IO,
                            "%s: tensor '%s': the shard changed since it was opened (%llu bytes "
                            "then)",
                            fp, name, (unsigned long long)s->shard_size[k]);
        if (!st)
            st = rmtk__pread_full(m, fd, fp, buf + (lo - e->begin), (size_t)(hi - lo), lo - a);
        close(fd);
        if (st)
            return st;
        m->bytes_read += hi - lo;
        pos = hi;
    }
    if (pos < end)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "tensor '%s': stream bytes [%llu, %llu) are in no shard", name,
                          (unsigned long long)pos, (unsigned long long)end);
    return RMTK_OK;
}

static int tfjs_fetch(rmtk_model *m, size_t i, unsigned char *dst)
{
    tfjs_state *s = m->reader_state;
    if (!s || i < s->first_tensor || i - s->first_tensor >= s->ne)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "tensor index %zu is not a TF.js weight", i);
    const tfjs_entry *e = &s->e[i - s->first_tensor];
    const rmtk_tensor_info *ti = &m->t[i].info;
    if (e->len > (uint64_t)SIZE_MAX)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': %llu bytes do not fit",
                          ti->file, ti->name, (unsigned long long)e->len);
    /* bytes already in the presented dtype and order go straight to dst */
    int direct = e->quant == Q_NONE && !e->permuted;
    unsigned char *raw = dst;
    if (!direct) {
        if (s->raw_cap < e->len || !s->raw) {
            rmtk__free(s->raw);
            s->raw_cap = 0;
            s->raw = rmtk__malloc((size_t)(e->len ? e->len : 1));
            if (!s->raw)
                return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                                  "%s: tensor '%s': out of memory for %llu bytes", ti->file,
                                  ti->name, (unsigned long long)e->len);
            s->raw_cap = (size_t)(e->len ? e->len : 1);
        }
        raw = s->raw;
    }
    int st = read_range(m, s, e, ti->name, raw);
    if (st || direct)
        return st;
    /* decode element s_lin of the stored order and store it at its presented position:
     * stored axis a advances the destination by dstride[a] = the presented stride of the axis
     * k with perm[k] = a */
    int nd = e->ndim;
    uint64_t ostride[RMTK_MAX_DIMS], dstride[RMTK_MAX_DIMS];
    if (nd > 0) {
        ostride[nd - 1] = 1;
        for (int k = nd - 2; k >= 0; k--)
            ostride[k] = ostride[k + 1] * (uint64_t)ti->shape[k + 1];
        for (int k = 0; k < nd; k++)
            dstride[e->perm[k]] = ostride[k];
    }
    int64_t idx[RMTK_MAX_DIMS] = {0};
    uint64_t pos = 0;
    size_t osz = e->src == SRC_BOOL ? 1 : e->src == SRC_C64 ? 8 : 4;
    for (uint64_t n = 0; n < ti->numel; n++) {
        unsigned char *o = dst + pos * osz;
        if (e->quant == Q_U8 || e->quant == Q_U16) {
            uint32_t q = e->quant == Q_U8 ? raw[n]
                                          : (uint32_t)raw[2 * n] | (uint32_t)raw[2 * n + 1] << 8;
            if (e->src == SRC_I32) {
                /* Math.round(x) = floor(x + 0.5), stored to an Int32Array: modulo 2^32 */
                double x = floor((double)q * e->scale + e->min + 0.5);
                int32_t v = 0;
                if (fabs(x) < 9.0e18) {
                    uint32_t u = (uint32_t)(uint64_t)(int64_t)x;
                    memcpy(&v, &u, 4);
                }
                memcpy(o, &v, 4);
            } else {
                float f = affine(q, e->scale, e->min);
                memcpy(o, &f, 4);
            }
        } else if (e->quant == Q_F16) {
            float f = half_to_float((uint16_t)(raw[2 * n] | raw[2 * n + 1] << 8));
            memcpy(o, &f, 4);
        } else {
            memcpy(o, raw + n * osz, osz);
        }
        for (int k = nd - 1; k >= 0; k--) {
            pos += dstride[k];
            if (++idx[k] < e->shape[k])
                break;
            pos -= dstride[k] * (uint64_t)e->shape[k];
            idx[k] = 0;
        }
    }
    return RMTK_OK;
}
