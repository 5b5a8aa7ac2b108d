/*
 * read-keras.c: Keras weights through libhdf5 (Debian libhdf5-dev). Two containers:
 *
 *   - an HDF5 file (.h5, .hdf5): Keras 2's model.save ("model_weights/<layer>/<layer>/<w>:0",
 *     a model_config JSON attribute on the root, optimizer_weights/...) or model.save_weights
 *     (the same layer groups at the top level, a layer_names attribute), and Keras 3's
 *     .weights.h5 ("layers/<layer>/vars/<i>");
 *   - a .keras zip (Keras 3): its model.weights.h5 member (stored or deflated) is read into
 *     memory, CRC-checked and opened as an in-memory HDF5 image (the core driver); libhdf5 keeps
 *     one copy of the member for the life of the model (three copies briefly while opening).
 *
 * Indexing walks the file's hard links (H5Lvisit2; soft and external links are not followed)
 * and reads each dataset's type and dataspace, never its data. Names (docs/formats.md, "Keras"):
 *   Keras 2: "<layer>.<weight path>" with ':N' suffixes dropped and the weight path's first
 *            component dropped when it repeats the layer ("model_weights/dense_1/dense_1/kernel:0"
 *            -> "dense_1.kernel"; ".../lstm/lstm/lstm_cell/kernel:0" -> "lstm.lstm_cell.kernel");
 *   Keras 3: the path without its "layers", "_layer_checkpoint_dependencies" and "vars"
 *            components, the variable index replaced by its role when the owning layer's class is
 *            known from the path (Keras names children after their class in snake case:
 *            "layers/dense_1/vars/0" -> "dense_1.kernel", "layers/lstm/cell/vars/1" ->
 *            "lstm.cell.recurrent_kernel"); other variables keep their index ("batch_norm.0").
 * Optimizer state (optimizer_weights/..., optimizer/...) is listed with a skip reason.
 *
 * Layouts: Keras stores a Dense (and RNN) kernel as [in, out] and a convolution kernel as
 * [k..., in, out] (TF's HWIO); rmtk presents them like PyTorch, [out, in] and [out, in, k...]
 * (OIHW), recording the stored order in info.layout, so that the same layer gives the same matrices
 * whichever framework wrote it. Transposed convolutions ([k..., out, in]) become [in, out, k...]
 * (PyTorch's ConvTranspose layout). Depthwise kernels are listed and skipped (not
 * channel-mixing). LSTM/GRU kernels [in, 4H] / recurrent kernels [H, 4H] become [4H, in] / [4H, H]
 * with the gates stacked (not split). The permutation happens when the bytes are fetched
 * (MODEL_STORE_FETCH): H5Dread into a scratch buffer in the stored dtype (little-endian), then an
 * axis gather into the model's buffer.
 *
 * libhdf5's error stack printing is switched off around every call (the library never prints)
 * and its message is folded into rmtk's. Debian's serial libhdf5 is not thread-safe: a model is
 * used by one thread at a time (the rmtk_model contract), and two threads must not open or read
 * Keras models at the same time.
 */
#include "model-internal.h"

#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include <cJSON.h>

#include "zip.h"

#define KERAS_MEMBER "model.weights.h5"
#define KERAS_MAX_ATTR ((size_t)64 << 20) /* a model_config attribute larger than this is ignored */
#define KERAS_MAX_DEPTH 32                /* path components of a dataset */

enum { PERM_NONE = 0, PERM_T2 = 1, PERM_CONV = 2, PERM_CONVT = 3 };

typedef struct keras_state {
    hid_t file;
    char **dpath;  /* HDF5 path of tensor i */
    int32_t *perm; /* PERM_* of tensor i */
    int64_t (*stored)[RMTK_MAX_DIMS]; /* stored shape of tensor i */
    size_t n, cap;
} keras_state;

typedef struct layer_class {
    char *name, *cls;
} layer_class;

typedef struct walk_ctx {
    rmtk_model *m;
    keras_state *ks;
    const char *path;    /* the file (for messages) */
    size_t file;         /* index into m->files */
    layer_class *lc;     /* Keras 2 model_config: layer name -> class_name */
    size_t nlc, caplc;
    int st;
} walk_ctx;

/* ---- HDF5 errors ---------------------------------------------------------------------------- */

typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;

static void quiet_on(h5_quiet *q)
{
    q->func = NULL;
    q->data = NULL;
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

static void quiet_off(const h5_quiet *q)
{
    H5Eset_auto2(H5E_DEFAULT, q->func, q->data);
}

static herr_t why_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    char *buf = data;
    if (n == 0 && e && e->desc)
        snprintf(buf, 160, "%s", e->desc);
    return 0;
}

/* The innermost message of libhdf5's error stack (then cleared), or "" */
static const char *h5_why(char *buf)
{
    buf[0] = '\0';
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, why_walk, buf); /* n == 0: innermost */
    H5Eclear2(H5E_DEFAULT);
    if (!buf[0])
        snprintf(buf, 160, "libhdf5 gave no reason");
    return buf;
}

/* ---- state ----------------------------------------------------------------------------------- */

static void state_free(void *p)
{
    keras_state *ks = p;
    if (!ks)
        return;
    if (ks->file >= 0) {
        h5_quiet q;
        quiet_on(&q);
        H5Fclose(ks->file);
        quiet_off(&q);
    }
    for (size_t i = 0; i < ks->n; i++)
        rmtk__free(ks->dpath[i]);
    rmtk__free(ks->dpath);
    rmtk__free(ks->perm);
    rmtk__free(ks->stored);
    rmtk__free(ks);
}

static int state_push(keras_state *ks, const char *dpath, int perm, const int64_t *stored, int d)
{
    if (ks->n == ks->cap) {
        size_t cap = ks->cap ? 2 * ks->cap : 16;
        char **a = rmtk__realloc(ks->dpath, cap * sizeof *a);
        if (!a)
            return RMTK_ERR_NOMEM;
        ks->dpath = a;
        int32_t *b = rmtk__realloc(ks->perm, cap * sizeof *b);
        if (!b)
            return RMTK_ERR_NOMEM;
        ks->perm = b;
        int64_t(*c)[RMTK_MAX_DIMS] = rmtk__realloc(ks->stored, cap * sizeof *c);
        if (!c)
            return RMTK_ERR_NOMEM;
        ks->stored = c;
        ks->cap = cap;
    }
    char *s = rmtk__strdup(dpath);
    if (!s)
        return RMTK_ERR_NOMEM;
    ks->dpath[ks->n] = s;
    ks->perm[ks->n] = perm;
    memset(ks->stored[ks->n], 0, sizeof ks->stored[ks->n]);
    for (int k = 0; k < d; k++)
        ks->stored[ks->n][k] = stored[k];
    ks->n++;
    return RMTK_OK;
}

/* ---- attributes ------------------------------------------------------------------------------ */

/* A string attribute (fixed or variable length, scalar or one element) of the root, malloc'd;
 * NULL when absent, not a string or too large, or (*nomem set) out of memory. */
static char *root_string_attr(hid_t file, const char *name, int *nomem)
{
    char *out = NULL;
    if (H5Aexists(file, name) <= 0)
        return NULL;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0)
        return NULL;
    hid_t t = H5Aget_type(a);
    hid_t sp = H5Aget_space(a);
    hssize_t npts = sp >= 0 ? H5Sget_simple_extent_npoints(sp) : -1;
    if (t >= 0 && npts == 1 && H5Tget_class(t) == H5T_STRING) {
        /* h5py (so Keras) writes str and bytes attributes as variable-length strings, which
         * live in HDF5's global heap (a hostile one hung libhdf5 1.10 in fuzzing: fuzz-keras.c) */
        htri_t vl = H5Tis_variable_str(t);
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (vl > 0 && mt >= 0 && H5Tset_size(mt, H5T_VARIABLE) >= 0) {
            char *s = NULL;
            if (H5Aread(a, mt, &s) >= 0 && s) {
                if (strlen(s) < KERAS_MAX_ATTR && !(out = rmtk__strdup(s)))
                    *nomem = 1;
                H5free_memory(s);
            }
        } else if (vl == 0 && mt >= 0) {
            size_t sz = H5Tget_size(t);
            if (sz > 0 && sz < KERAS_MAX_ATTR && H5Tset_size(mt, sz + 1) >= 0 &&
                H5Tset_strpad(mt, H5T_STR_NULLTERM) >= 0) {
                out = rmtk__calloc(1, sz + 1);
                if (!out)
                    *nomem = 1;
                if (out && H5Aread(a, mt, out) < 0) {
                    rmtk__free(out);
                    out = NULL;
                }
            }
        }
        if (mt >= 0)
            H5Tclose(mt);
    }
    if (sp >= 0)
        H5Sclose(sp);
    if (t >= 0)
        H5Tclose(t);
    H5Aclose(a);
    return out;
}

/* Collect every {"class_name": C, "config": {"name": N}} of a model_config: N -> C. */
static void collect_classes(walk_ctx *w, const cJSON *j, int depth)
{
    if (!j || depth > 64)
        return;
    if (cJSON_IsObject(j)) {
        const cJSON *cn = cJSON_GetObjectItemCaseSensitive(j, "class_name");
        const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(j, "config");
        const cJSON *nm = cfg ? cJSON_GetObjectItemCaseSensitive(cfg, "name") : NULL;
        if (cJSON_IsString(cn) && cJSON_IsString(nm) && w->st == RMTK_OK) {
            if (w->nlc == w->caplc) {
                size_t cap = w->caplc ? 2 * w->caplc : 16;
                layer_class *p = rmtk__realloc(w->lc, cap * sizeof *p);
                if (!p) {
                    w->st = rmtk__fail(w->m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory",
                                       w->path);
                    return;
                }
                w->lc = p;
                w->caplc = cap;
            }
            char *a = rmtk__strdup(nm->valuestring), *b = rmtk__strdup(cn->valuestring);
            if (!a || !b) {
                rmtk__free(a);
                rmtk__free(b);
                w->st = rmtk__fail(w->m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", w->path);
                return;
            }
            w->lc[w->nlc].name = a;
            w->lc[w->nlc].cls = b;
            w->nlc++;
        }
    }
    for (const cJSON *c = j->child; c; c = c->next)
        collect_classes(w, c, depth + 1);
}

static const char *class_of(const walk_ctx *w, const char *layer, size_t len)
{
    for (size_t i = 0; i < w->nlc; i++)
        if (strlen(w->lc[i].name) == len && memcmp(w->lc[i].name, layer, len) == 0)
            return w->lc[i].cls;
    return NULL;
}

/* ---- naming and roles ------------------------------------------------------------------------ */

typedef struct comp {
    const char *p;
    size_t len;
} comp;

static int comp_is(const comp *c, const char *s)
{
    return strlen(s) == c->len && memcmp(c->p, s, c->len) == 0;
}

static int all_digits(const char *p, size_t len)
{
    if (!len)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (p[i] < '0' || p[i] > '9')
            return 0;
    return 1;
}

/* len of a component without a ":N" suffix */
static size_t strip_colon(const char *p, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (p[i - 1] == ':')
            return all_digits(p + i, len - i) ? i - 1 : len;
    return len;
}

/* a snake-case class name "dense", "conv2d_3" -> the class without a "_N" suffix */
static size_t strip_suffix(const char *p, size_t len)
{
    for (size_t i = len; i > 0; i--)
        if (p[i - 1] == '_')
            return all_digits(p + i, len - i) ? i - 1 : len;
    return len;
}

static int starts(const char *p, size_t len, const char *s)
{
    size_t k = strlen(s);
    return len >= k && memcmp(p, s, k) == 0;
}

/* Keras 3: the role of variable `idx` of a layer whose class (snake case) is cls[0..len);
 * *perm receives its permutation; NULL when unknown. */
static const char *k3_role(const char *cls, size_t len, unsigned long idx, int rank, int *perm)
{
    *perm = PERM_NONE;
#define IS(s) (strlen(s) == len && memcmp(cls, s, len) == 0)
    if (IS("dense")) {
        if (idx == 0 && rank == 2)
            *perm = PERM_T2;
        return idx == 0 ? "kernel" : idx == 1 ? "bias" : NULL;
    }
    if (IS("embedding"))
        return idx == 0 ? "embeddings" : NULL;
    if (starts(cls, len, "depthwise_conv"))
        return idx == 0 ? "depthwise_kernel" : idx == 1 ? "bias" : NULL;
    if (starts(cls, len, "separable_conv")) {
        if (idx == 1 && rank >= 3)
            *perm = PERM_CONV;
        return idx == 0 ? "depthwise_kernel" : idx == 1 ? "pointwise_kernel"
                                               : idx == 2 ? "bias" : NULL;
    }
    if (starts(cls, len, "conv") && len >= 6 && cls[4] >= '1' && cls[4] <= '3' &&
        cls[5] == 'd') {
        int tr = len > 6;
        if (tr && !(len == 16 && memcmp(cls + 6, "_transpose", 10) == 0))
            return NULL;
        if (idx == 0 && rank >= 3)
            *perm = tr ? PERM_CONVT : PERM_CONV;
        return idx == 0 ? "kernel" : idx == 1 ? "bias" : NULL;
    }
    if (IS("lstm") || IS("gru") || IS("simple_rnn") || IS("lstm_cell") || IS("gru_cell") ||
        IS("simple_rnn_cell")) {
        if (idx <= 1 && rank == 2)
            *perm = PERM_T2;
        return idx == 0 ? "kernel" : idx == 1 ? "recurrent_kernel" : idx == 2 ? "bias" : NULL;
    }
#undef IS
    return NULL;
}

/* ---- the walk -------------------------------------------------------------------------------- */

static int dtype_of(hid_t t, int *dtype, char *str, size_t strsz)
{
    H5T_class_t c = H5Tget_class(t);
    size_t sz = H5Tget_size(t);
    H5T_order_t o = H5Tget_order(t);
    const char *e = o == H5T_ORDER_BE ? ">" : "<";
    *dtype = RMTK_DTYPE_OTHER;
    if (c == H5T_FLOAT) {
        size_t spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0;
        /* IEEE layouts only: sign on top, exponent right below it, mantissa at bit 0 */
        if (H5Tget_fields(t, &spos, &epos, &esize, &mpos, &msize) < 0 || sz < 2 || sz > 8 ||
            spos != 8 * sz - 1 || epos != msize || mpos != 0 || epos + esize != spos ||
            H5Tget_precision(t) != 8 * sz || H5Tget_offset(t) != 0)
            esize = msize = 0;
        if (sz == 8 && esize == 11 && msize == 52)
            *dtype = RMTK_DTYPE_F64;
        else if (sz == 4 && esize == 8 && msize == 23)
            *dtype = RMTK_DTYPE_F32;
        else if (sz == 2 && esize == 5 && msize == 10)
            *dtype = RMTK_DTYPE_F16;
        else if (sz == 2 && esize == 8 && msize == 7)
            *dtype = RMTK_DTYPE_BF16;
        if (*dtype == RMTK_DTYPE_BF16)
            snprintf(str, strsz, "%sbf16", e);
        else if (*dtype != RMTK_DTYPE_OTHER)
            snprintf(str, strsz, "%sf%zu", e, sz);
        else
            snprintf(str, strsz, "float%zu(e%zu,m%zu)", 8 * sz, esize, msize);
        return RMTK_OK;
    }
    if (c == H5T_INTEGER) {
        int sgn = H5Tget_sign(t) == H5T_SGN_2;
        static const int si[] = {RMTK_DTYPE_I8, RMTK_DTYPE_I16, 0, RMTK_DTYPE_I32, 0, 0, 0,
                                 RMTK_DTYPE_I64};
        static const int ui[] = {RMTK_DTYPE_U8, RMTK_DTYPE_U16, 0, RMTK_DTYPE_U32, 0, 0, 0,
                                 RMTK_DTYPE_U64};
        if (sz >= 1 && sz <= 8 && (sz & (sz - 1)) == 0 && H5Tget_precision(t) == 8 * sz &&
            H5Tget_offset(t) == 0)
            *dtype = sgn ? si[sz - 1] : ui[sz - 1];
        snprintf(str, strsz, "%s%c%zu", e, sgn ? 'i' : 'u', sz);
        return RMTK_OK;
    }
    static const char *names[] = {"integer", "float", "time", "string", "bitfield", "opaque",
                                  "compound", "reference", "enum", "vlen", "array"};
    snprintf(str, strsz, "hdf5-%s", c >= 0 && c < 11 ? names[c] : "unknown");
    return RMTK_OK;
}

/* Index one dataset at HDF5 path `name`. */
static int add_dataset(walk_ctx *w, const char *name)
{
    rmtk_model *m = w->m;
    char why[160];
    comp c[KERAS_MAX_DEPTH];
    int nc = 0;
    for (const char *p = name; *p;) {
        const char *q = strchr(p, '/');
        size_t len = q ? (size_t)(q - p) : strlen(p);
        if (len) {
            if (nc == KERAS_MAX_DEPTH)
                return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                                  "%s: dataset '%s' is nested deeper than %d groups", w->path,
                                  name, KERAS_MAX_DEPTH);
            c[nc].p = p;
            c[nc].len = len;
            nc++;
        }
        p += len + (q ? 1 : 0);
    }
    if (nc == 0)
        return RMTK_OK;

    /* shape and type */
    hid_t ds = H5Dopen2(w->ks->file, name, H5P_DEFAULT);
    if (ds < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: dataset '%s' cannot be opened: %s",
                          w->path, name, h5_why(why));
    hid_t sp = H5Dget_space(ds), ty = H5Dget_type(ds);
    int st = RMTK_OK;
    int d = -1;
    hsize_t dims[RMTK_MAX_DIMS] = {0};
    if (sp < 0 || ty < 0) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: dataset '%s': unreadable %s: %s",
                        w->path, name, sp < 0 ? "dataspace" : "datatype", h5_why(why));
    } else {
        H5S_class_t sc = H5Sget_simple_extent_type(sp);
        d = sc == H5S_NULL ? -2 : H5Sget_simple_extent_ndims(sp);
        if (d == -2)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: dataset '%s' has a null dataspace (no elements, no shape)",
                            w->path, name);
        else if (d < 0)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: dataset '%s': bad dataspace: %s",
                            w->path, name, h5_why(why));
        else if (d > RMTK_MAX_DIMS)
            st = rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                            "%s: dataset '%s' has %d dimensions (rmtk reads up to %d)", w->path,
                            name, d, RMTK_MAX_DIMS);
        else if (H5Sget_simple_extent_dims(sp, dims, NULL) < 0)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: dataset '%s': bad dimensions: %s",
                            w->path, name, h5_why(why));
    }
    int dtype = RMTK_DTYPE_OTHER;
    char dstr[48] = "";
    if (st == RMTK_OK)
        dtype_of(ty, &dtype, dstr, sizeof dstr);
    uint64_t numel = 1;
    for (int k = 0; st == RMTK_OK && k < d; k++)
        if (dims[k] > (hsize_t)INT64_MAX || !rmtk__mul_u64(numel, (uint64_t)dims[k], &numel))
            st = rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                            "%s: dataset '%s': the element count overflows (dimension %d is "
                            "%llu)",
                            w->path, name, k, (unsigned long long)dims[k]);
    uint64_t nbytes = 0;
    if (st == RMTK_OK) {
        size_t tsz = H5Tget_size(ty);
        if (dtype != RMTK_DTYPE_OTHER)
            tsz = rmtk_dtype_size(dtype);
        if (!rmtk__mul_u64(numel, (uint64_t)tsz, &nbytes))
            st = rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                            "%s: dataset '%s': %llu elements of %zu bytes overflow", w->path,
                            name, (unsigned long long)numel, tsz);
    }
    haddr_t off = st == RMTK_OK ? H5Dget_offset(ds) : HADDR_UNDEF;
    if (ty >= 0)
        H5Tclose(ty);
    if (sp >= 0)
        H5Sclose(sp);
    H5Dclose(ds);
    if (st)
        return st;

    /* name, role, permutation */
    char nm[1024];
    size_t k = 0;
    int perm = PERM_NONE;
    const char *skip = NULL;
    int first = 0;
    if (comp_is(&c[0], "optimizer_weights") || comp_is(&c[0], "optimizer"))
        skip = "optimizer state (not model weights)";
    int k3 = 0;
    for (int i = 0; i + 1 < nc; i++)
        if (comp_is(&c[i], "vars") && i + 2 == nc && all_digits(c[nc - 1].p, c[nc - 1].len))
            k3 = 1;
    nm[0] = '\0';
#define APPEND(p_, len_)                                                                           \
    do {                                                                                           \
        int r_ = snprintf(nm + k, sizeof nm - k, "%s%.*s", k ? "." : "", (int)(len_), (p_));       \
        k = r_ > 0 && (size_t)r_ < sizeof nm - k ? k + (size_t)r_ : sizeof nm;                     \
    } while (0)
    if (k3) {
        /* Keras 3: owner = the last component before "vars" that is not a container */
        const comp *owner = NULL, *parent = NULL;
        for (int i = 0; i + 2 < nc; i++) {
            if (comp_is(&c[i], "layers") || comp_is(&c[i], "_layer_checkpoint_dependencies"))
                continue;
            APPEND(c[i].p, c[i].len);
            parent = owner;
            owner = &c[i];
        }
        unsigned long idx = strtoul(c[nc - 1].p, NULL, 10);
        const char *role = NULL;
        if (owner && !skip) {
            size_t ol = strip_suffix(owner->p, owner->len);
            role = k3_role(owner->p, ol, idx, d, &perm);
            if (!role && parent && comp_is(owner, "cell")) /* layers/lstm/cell/vars/i */
                role = k3_role(parent->p, strip_suffix(parent->p, parent->len), idx, d, &perm);
        }
        if (role)
            APPEND(role, strlen(role));
        else
            APPEND(c[nc - 1].p, c[nc - 1].len);
    } else {
        /* Keras 2 */
        if (comp_is(&c[0], "model_weights") && nc > 1)
            first = 1;
        const comp *layer = &c[first];
        APPEND(layer->p, layer->len);
        int j = first + 1;
        if (j < nc - 1 && c[j].len == layer->len && memcmp(c[j].p, layer->p, layer->len) == 0)
            j++;
        for (; j < nc; j++)
            APPEND(c[j].p, strip_colon(c[j].p, c[j].len));
        if (!skip && nc > first + 1) {
            const comp *wc = &c[nc - 1];
            size_t wl = strip_colon(wc->p, wc->len);
            const char *cls = class_of(w, layer->p, layer->len);
            int tr = cls && strstr(cls, "Transpose") != NULL;
            if (wl == 6 && memcmp(wc->p, "kernel", 6) == 0 && d == 2)
                perm = PERM_T2;
            else if (wl == 6 && memcmp(wc->p, "kernel", 6) == 0 && d >= 3 && d <= 5)
                perm = tr ? PERM_CONVT : PERM_CONV;
            else if (wl == 16 && memcmp(wc->p, "recurrent_kernel", 16) == 0 && d == 2)
                perm = PERM_T2;
            else if (wl == 16 && memcmp(wc->p, "pointwise_kernel", 16) == 0 && d >= 3 &&
                     d <= 5)
                perm = PERM_CONV;
            else if (wl == 16 && memcmp(wc->p, "depthwise_kernel", 16) == 0)
                perm = PERM_NONE; /* skipped below */
            if (cls && strcmp(cls, "EinsumDense") == 0)
                perm = PERM_NONE; /* an einsum kernel has no fixed [in, out] meaning */
        }
    }
#undef APPEND
    if (k >= sizeof nm)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: dataset '%s': its name is longer than %zu bytes", w->path, name,
                          sizeof nm - 1);
    if (!skip && (strstr(nm, "depthwise_kernel") != NULL))
        skip = "depthwise convolution kernel (not channel-mixing)";
    if (dtype == RMTK_DTYPE_OTHER || (perm == PERM_T2 && d != 2) ||
        ((perm == PERM_CONV || perm == PERM_CONVT) && (d < 3 || d > 5)))
        perm = PERM_NONE;

    model_tensor *t;
    st = rmtk__model_add_tensor(m, nm, k, dstr, &t);
    if (st)
        return st;
    rmtk_tensor_info *ti = &t->info;
    ti->dtype = dtype;
    ti->ndim = d;
    ti->numel = numel;
    ti->nbytes = nbytes;
    ti->offset = off == HADDR_UNDEF ? 0 : (uint64_t)off;
    t->file = w->file;
    t->store = MODEL_STORE_FETCH;
    t->skip_reason = skip;
    int64_t stored[RMTK_MAX_DIMS];
    for (int i = 0; i < d; i++)
        stored[i] = (int64_t)dims[i];
    static const char *conv_lay[] = {"WIO", "HWIO", "DHWIO"};
    static const char *convt_lay[] = {"WOI", "HWOI", "DHWOI"};
    if (perm == PERM_T2) {
        ti->shape[0] = stored[1];
        ti->shape[1] = stored[0];
        ti->layout = "in,out";
    } else if (perm == PERM_CONV || perm == PERM_CONVT) {
        ti->shape[0] = stored[d - 1];
        ti->shape[1] = stored[d - 2];
        for (int i = 0; i < d - 2; i++)
            ti->shape[2 + i] = stored[i];
        ti->layout = perm == PERM_CONV ? conv_lay[d - 3] : convt_lay[d - 3];
    } else {
        for (int i = 0; i < d; i++)
            ti->shape[i] = stored[i];
    }
    if (state_push(w->ks, name, perm, stored, d) != RMTK_OK)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory indexing '%s'",
                          w->path, name);
    return RMTK_OK;
}

static herr_t visit_link(hid_t g, const char *name, const H5L_info_t *li, void *data)
{
    walk_ctx *w = data;
    if (li->type != H5L_TYPE_HARD)
        return 0; /* soft and external links are not followed */
    H5O_info_t oi;
    char why[160];
    if (H5Oget_info_by_name(g, name, &oi, H5P_DEFAULT) < 0) {
        w->st = rmtk__fail(w->m->errmsg, RMTK_ERR_FORMAT, "%s: object '%s' is unreadable: %s",
                           w->path, name, h5_why(why));
        return -1;
    }
    if (oi.type != H5O_TYPE_DATASET)
        return 0;
    w->st = add_dataset(w, name);
    return w->st == RMTK_OK ? 0 : -1;
}

/* ---- opening ----------------------------------------------------------------------------------- */

/* Index the open HDF5 file (ks->file), whose name for messages is path. */
static int index_file(rmtk_model *m, keras_state *ks, const char *path)
{
    walk_ctx w = {m, ks, path, 0, NULL, 0, 0, RMTK_OK};
    int st = rmtk__model_add_file(m, path, &w.file);
    if (st)
        return st;
    static const char *meta[] = {"keras_version", "backend", "date_saved"};
    int nomem = 0;
    for (size_t i = 0; i < sizeof meta / sizeof meta[0] && st == RMTK_OK; i++) {
        char *v = root_string_attr(ks->file, meta[i], &nomem);
        if (v)
            st = rmtk__model_add_meta(m, meta[i], v);
        rmtk__free(v);
    }
    char *cfg = st == RMTK_OK ? root_string_attr(ks->file, "model_config", &nomem) : NULL;
    if (st == RMTK_OK && nomem)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory reading attributes", path);
    if (cfg) {
        cJSON *j = cJSON_Parse(cfg);
        if (j) {
            collect_classes(&w, j, 0);
            cJSON_Delete(j);
        }
        rmtk__free(cfg);
        if (st == RMTK_OK)
            st = w.st;
    }
    H5Eclear2(H5E_DEFAULT);
    char why[160];
    if (st == RMTK_OK) {
        herr_t r = H5Lvisit(ks->file, H5_INDEX_NAME, H5_ITER_INC, visit_link, &w);
        if (w.st)
            st = w.st;
        else if (r < 0)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: the HDF5 groups are unreadable: %s",
                            path, h5_why(why));
    }
    if (st == RMTK_OK && ks->n == 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: an HDF5 file without datasets (no Keras weights in it)", path);
    for (size_t i = 0; i < w.nlc; i++) {
        rmtk__free(w.lc[i].name);
        rmtk__free(w.lc[i].cls);
    }
    rmtk__free(w.lc);
    return st;
}

/* ---- fetching ---------------------------------------------------------------------------------- */

/* dst[c * dld + r] = src[r * sld + c] for r < rows, c < cols (elements of esz bytes), in
 * 32 x 32 tiles so that both sides stay in cache; constant-size copies for 1, 2, 4, 8 bytes. */
#define TILE 32
#define TRANSPOSE_AS(n)                                                                            \
    for (size_t r = r0; r < r1; r++)                                                               \
        for (size_t c = c0; c < c1; c++)                                                           \
            memcpy(dst + (c * dld + r) * (n), src + (r * sld + c) * (n), (n))
static void transpose2(const unsigned char *src, size_t sld, unsigned char *dst, size_t dld,
                       size_t rows, size_t cols, size_t esz)
{
    for (size_t r0 = 0; r0 < rows; r0 += TILE)
        for (size_t c0 = 0; c0 < cols; c0 += TILE) {
            size_t r1 = RMTK_MIN(r0 + TILE, rows), c1 = RMTK_MIN(c0 + TILE, cols);
            switch (esz) {
            case 1: TRANSPOSE_AS(1); break;
            case 2: TRANSPOSE_AS(2); break;
            case 4: TRANSPOSE_AS(4); break;
            case 8: TRANSPOSE_AS(8); break;
            default: TRANSPOSE_AS(esz); break;
            }
        }
}
#undef TRANSPOSE_AS
#undef TILE

/* The stored tensor (shape sshape, d axes) in rmtk's presentation:
 * PERM_T2: [a, b] -> [b, a]; PERM_CONV/PERM_CONVT: [k..., i, o] -> [o, i, k...], which is, for
 * each i, the transpose of the [K, o] slice (K = prod k, row stride i*o) into an [o, K] slice
 * (row stride i*K). */
static void permute(const unsigned char *src, unsigned char *dst, const int64_t *sshape, int d,
                    int perm, size_t esz)
{
    if (perm == PERM_T2) {
        size_t a = (size_t)sshape[0], b = (size_t)sshape[1];
        transpose2(src, b, dst, a, a, b, esz);
        return;
    }
    size_t K = 1, I = (size_t)sshape[d - 2], O = (size_t)sshape[d - 1];
    for (int k = 0; k < d - 2; k++)
        K *= (size_t)sshape[k];
    for (size_t i = 0; i < I; i++)
        transpose2(src + i * O * esz, I * O, dst + i * K * esz, I * K, K, O, esz);
}

static int keras_fetch(rmtk_model *m, size_t i, unsigned char *dst)
{
    keras_state *ks = m->reader_state;
    const rmtk_tensor_info *ti = &m->t[i].info;
    if (!ks || i >= ks->n)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "tensor index %zu is not a Keras dataset", i);
    if (ti->dtype == RMTK_DTYPE_OTHER)
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s' (dataset '%s'): HDF5 type %s is not one rmtk reads",
                          ti->file, ti->name, ks->dpath[i], ti->dtype_str);
    int perm = ks->perm[i];
    size_t esz = rmtk_dtype_size(ti->dtype);
    unsigned char *tmp = dst;
    if (perm != PERM_NONE && ti->numel > 0) {
        tmp = rmtk__malloc((size_t)ti->nbytes);
        if (!tmp)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                              "%s: tensor '%s': out of memory for %llu bytes (permuting)",
                              ti->file, ti->name, (unsigned long long)ti->nbytes);
    }
    h5_quiet q;
    quiet_on(&q);
    char why[160];
    int st = RMTK_OK;
    hid_t ds = H5Dopen2(ks->file, ks->dpath[i], H5P_DEFAULT);
    hid_t ft = ds >= 0 ? H5Dget_type(ds) : -1;
    hid_t mt = ft >= 0 ? H5Tcopy(ft) : -1;
    if (mt < 0 || H5Tset_order(mt, H5T_ORDER_LE) < 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: tensor '%s' (dataset '%s'): %s",
                        ti->file, ti->name, ks->dpath[i], h5_why(why));
    else if (ti->numel > 0 && H5Dread(ds, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, tmp) < 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: tensor '%s': reading dataset '%s' (%llu bytes) failed: %s",
                        ti->file, ti->name, ks->dpath[i], (unsigned long long)ti->nbytes,
                        h5_why(why));
    if (st == RMTK_OK) {
        hsize_t stored = H5Dget_storage_size(ds);
        m->bytes_read += stored ? (uint64_t)stored : 0;
    }
    if (mt >= 0)
        H5Tclose(mt);
    if (ft >= 0)
        H5Tclose(ft);
    if (ds >= 0)
        H5Dclose(ds);
    quiet_off(&q);
    if (st == RMTK_OK && tmp != dst)
        permute(tmp, dst, ks->stored[i], ti->ndim, perm, esz);
    if (tmp != dst)
        rmtk__free(tmp);
    return st;
}

/* ---- entry points ------------------------------------------------------------------------------ */

static int finish_open(rmtk_model *m, const char *path, hid_t file)
{
    keras_state *ks = rmtk__calloc(1, sizeof *ks);
    if (!ks) {
        H5Fclose(file);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    }
    ks->file = file;
    m->reader_state = ks;
    m->reader_state_free = state_free;
    m->fetch = keras_fetch;
    return index_file(m, ks, path);
}

int rmtk__read_keras_h5(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    (void)fd;
    (void)size;
    h5_quiet q;
    quiet_on(&q);
    char why[160];
    int st;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: libhdf5 cannot open it (%llu bytes; truncated or corrupt?): %s", path,
                        (unsigned long long)size, h5_why(why));
    else
        st = finish_open(m, path, f);
    quiet_off(&q);
    return st;
}

static const rmtk__zip_entry *find_member(const rmtk__zip_entry *e, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(e[i].name, KERAS_MEMBER) == 0)
            return &e[i];
    return NULL;
}

int rmtk__keras_sniff(int fd, uint64_t size, const char *path)
{
    char err[RMTK_ERRMSG_SIZE];
    rmtk__zip_entry *ents = NULL;
    size_t n = 0;
    int st = rmtk__zip_read_dir(fd, size, path, &ents, &n, err);
    if (st != RMTK_OK)
        return st == RMTK_ERR_NOMEM ? -1 : 0;
    size_t len = strlen(path);
    int yes = (len > 6 && strcmp(path + len - 6, ".keras") == 0) || find_member(ents, n) != NULL;
    rmtk__zip_free(ents, n);
    return yes;
}

int rmtk__read_keras_zip(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    rmtk__zip_entry *ents = NULL;
    size_t n = 0;
    int st = rmtk__zip_read_dir(fd, size, path, &ents, &n, m->errmsg);
    if (st)
        return st;
    const rmtk__zip_entry *e = find_member(ents, n);
    unsigned char *buf = NULL;
    if (!e) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: a .keras zip without a %s member (%zu members): not Keras 3 "
                        "weights",
                        path, KERAS_MEMBER, n);
    } else if (e->usize > (uint64_t)SIZE_MAX || e->usize < 8 ||
               (e->method == 0 && e->usize != e->csize) ||
               (e->method == 8 && e->usize / 1032 > e->csize + 1)) {
        /* deflate expands at most 1032:1 */
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: member %s: %llu bytes from %llu compressed bytes is not possible",
                        path, KERAS_MEMBER, (unsigned long long)e->usize,
                        (unsigned long long)e->csize);
    } else if (!(buf = rmtk__malloc((size_t)e->usize))) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory for %llu bytes of %s",
                        path, (unsigned long long)e->usize, KERAS_MEMBER);
    } else {
        uint64_t in_read = 0;
        if (e->method == 0)
            st = rmtk__pread_full(m, fd, path, buf, (size_t)e->usize, e->data_offset);
        else
            st = rmtk__zip_inflate(fd, path, e, buf, e->usize, &in_read, m->errmsg);
        if (st == RMTK_OK) {
            uLong crc = crc32(0L, Z_NULL, 0);
            for (uint64_t o = 0; o < e->usize;) {
                uInt chunk = (uInt)RMTK_MIN(e->usize - o, (uint64_t)(1u << 30));
                crc = crc32(crc, buf + o, chunk);
                o += chunk;
            }
            if ((uint32_t)crc != e->crc)
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: member %s at offset %llu: CRC-32 0x%08x, the zip directory "
                                "says 0x%08x",
                                path, KERAS_MEMBER, (unsigned long long)e->data_offset,
                                (unsigned)crc, (unsigned)e->crc);
        }
    }
    if (st == RMTK_OK && memcmp(buf, "\x89HDF\r\n\x1a\n", 8) != 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: member %s does not start with the HDF5 signature (first bytes "
                        "%02x %02x %02x %02x)",
                        path, KERAS_MEMBER, buf[0], buf[1], buf[2], buf[3]);
    if (st == RMTK_OK) {
        h5_quiet q;
        quiet_on(&q);
        char why[160];
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        hid_t f = -1;
        /* the core driver on a copy of the image, no backing store */
        if (fapl >= 0 && H5Pset_fapl_core(fapl, 1 << 16, 0) >= 0 &&
            H5Pset_file_image(fapl, buf, (size_t)e->usize) >= 0) {
            rmtk__free(buf);
            buf = NULL;
            f = H5Fopen(KERAS_MEMBER, H5F_ACC_RDONLY, fapl);
        }
        if (fapl >= 0)
            H5Pclose(fapl);
        if (f < 0)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: member %s (%llu bytes) is not a readable HDF5 file: %s", path,
                            KERAS_MEMBER, (unsigned long long)e->usize, h5_why(why));
        else
            st = finish_open(m, path, f);
        quiet_off(&q);
    }
    rmtk__free(buf);
    rmtk__zip_free(ents, n);
    return st;
}
