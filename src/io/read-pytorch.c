/*
 * read-pytorch.c: PyTorch checkpoints written by torch.save (the zip format of torch >= 1.6).
 * The archive holds <prefix>data.pkl, the pickled object tree, and one member <prefix>data/<key>
 * per storage (stored, 64-byte aligned). data.pkl is read into memory and run by the restricted
 * pickle machine (pickle.c: an allowlist of globals, no code ever executed); the resulting tree
 * of dicts, lists and tuples is walked and every tensor leaf becomes an index entry named by its
 * dotted path ("state_dict.fc.weight", "optimizer.state.0.exp_avg"). A tensor is (storage,
 * storage_offset, size, stride): its storage member is located through the central directory and
 * the whole strided extent offset + sum (size_k - 1) stride_k is checked, overflow-checked,
 * against the member's size. Contiguous tensors are mapped in place (stored members) or inflated
 * (deflated ones) at storage_offset x itemsize; non-contiguous views (W.t(), strided slices) are
 * gathered into C order at map time (model.c). Tensors under an optimizer state_dict (a dict
 * with "state" and "param_groups") are listed as skipped. Nothing here reads tensor bytes.
 * The pre-1.6 legacy format (a stream of five pickles, then the storages' raw bytes) is read
 * too: its storages are located by reading only the 8-byte count before each one.
 * REF: torch/serialization.py (_save, _load, _legacy_save), torch/_utils.py (_rebuild_tensor_v2).
 */
#include "model-internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "pickle.h"
#include "zip.h"

#define PKL_CAP ((uint64_t)1 << 30)   /* data.pkl larger than 1 GiB is not plausible */
#define WALK_MAX_DEPTH 200             /* nesting of containers */
#define WALK_MAX_VISITS ((uint64_t)1 << 22) /* values visited (a shared-reference bomb) */
#define NAME_CAP 4096
#define LEGACY_RAW 0xFFFF /* rmtk__zip_entry.method of a legacy storage: raw bytes in the file */

typedef struct {
    rmtk_model *m;
    const char *path;
    pk_machine *pm;
    const rmtk__zip_entry *ents;
    size_t nents;
    size_t *sorted; /* member indices sorted by name */
    const char *prefix;
    size_t plen;
    size_t fidx;
    int big_endian;
    uint64_t visits;
    char name[NAME_CAP];
} walk_ctx;

static int cmp_member(const rmtk__zip_entry *ents, size_t a, size_t b)
{
    return strcmp(ents[a].name, ents[b].name);
}

/* Merge sort of member indices by name (no global state, thread-safe). */
static void sort_members(const rmtk__zip_entry *ents, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_members(ents, a, tmp, h);
    sort_members(ents, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_member(ents, a[i], a[j]) <= 0 ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

static const rmtk__zip_entry *find_member(const walk_ctx *w, const char *name)
{
    size_t lo = 0, hi = w->nents;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(w->ents[w->sorted[mid]].name, name);
        if (c == 0)
            return &w->ents[w->sorted[mid]];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static const char *torch_dtype_name(int dtype, int itemsize)
{
    switch (dtype) {
    case RMTK_DTYPE_F64:
        return "float64";
    case RMTK_DTYPE_F32:
        return "float32";
    case RMTK_DTYPE_F16:
        return "float16";
    case RMTK_DTYPE_BF16:
        return "bfloat16";
    case RMTK_DTYPE_F8_E4M3:
        return "float8_e4m3fn";
    case RMTK_DTYPE_F8_E5M2:
        return "float8_e5m2";
    case RMTK_DTYPE_I8:
        return "int8";
    case RMTK_DTYPE_I16:
        return "int16";
    case RMTK_DTYPE_I32:
        return "int32";
    case RMTK_DTYPE_I64:
        return "int64";
    case RMTK_DTYPE_U8:
        return "uint8";
    case RMTK_DTYPE_U16:
        return "uint16";
    case RMTK_DTYPE_U32:
        return "uint32";
    case RMTK_DTYPE_U64:
        return "uint64";
    case RMTK_DTYPE_BOOL:
        return "bool";
    default:
        return itemsize == 16 ? "complex128" : itemsize == 8 ? "complex64" : "other";
    }
}

/* An int tuple (size or stride) into out[0..*nd). */
static int int_tuple(walk_ctx *w, uint32_t tv, const char *what, int64_t *out, int *nd)
{
    const pk_val *t = &w->pm->v[tv];
    if (t->kind != PK_TUPLE)
        return rmtk__fail(w->m->errmsg, RMTK_ERR_FORMAT, "%s: tensor '%s': the %s is a %s",
                          w->path, w->name, what, rmtk__pickle_kind_name(t->kind));
    if (t->n > RMTK_MAX_DIMS)
        return rmtk__fail(w->m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': %zu dimensions (rmtk reads at most %d)", w->path,
                          w->name, t->n, RMTK_MAX_DIMS);
    for (size_t k = 0; k < t->n; k++) {
        const pk_val *x = &w->pm->v[t->items[k]];
        if (x->kind != PK_INT || x->sub != 0 || x->i < 0)
            return rmtk__fail(w->m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': %s entry %zu is not a non-negative int", w->path,
                              w->name, what, k);
        out[k] = x->i;
    }
    *nd = (int)t->n;
    return RMTK_OK;
}

/* A tensor leaf: validate and append its index entry. */
static int add_leaf(walk_ctx *w, uint32_t tv, const char *skip_reason)
{
    rmtk_model *m = w->m;
    const pk_val *t = &w->pm->v[tv];
    const char *path = w->path, *name = w->name;
    int64_t shape[RMTK_MAX_DIMS] = {0}, stride[RMTK_MAX_DIMS] = {0};
    int nd = 0, nds = 0, st;
    model_tensor *mt;
    if (t->sub == PT_SPARSE || t->n < 4) {
        st = rmtk__model_add_tensor(m, name, strlen(name), "sparse", &mt);
        if (st)
            return st;
        mt->file = w->fidx;
        mt->info.dtype = RMTK_DTYPE_OTHER;
        return RMTK_OK;
    }
    st = int_tuple(w, t->items[2], "size", shape, &nd);
    if (!st)
        st = int_tuple(w, t->items[3], "stride", stride, &nds);
    if (st)
        return st;
    if (nd != nds)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': size has %d dimensions, stride %d", path, name, nd,
                          nds);
    uint64_t numel = 1;
    for (int k = 0; k < nd; k++)
        if (!rmtk__mul_u64(numel, (uint64_t)shape[k], &numel))
            return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                              "%s: tensor '%s': the element count of the size overflows", path,
                              name);
    uint64_t isz = (uint64_t)(t->itemsize > 0 ? t->itemsize : 1), nbytes;
    if (!rmtk__mul_u64(numel, isz, &nbytes))
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': size x item size overflows 64 bits", path, name);
    const char *ds = t->sub == PT_QUANTISED ? "quantized"
                     : t->sub == PT_META    ? "meta"
                                            : torch_dtype_name(t->dtype, t->itemsize);
    if (t->sub != PT_DENSE) {
        /* listed with its shape, no data rmtk converts */
        st = rmtk__model_add_tensor(m, name, strlen(name), ds, &mt);
        if (st)
            return st;
        mt->file = w->fidx;
        mt->info.dtype = RMTK_DTYPE_OTHER;
        mt->info.ndim = nd;
        memcpy(mt->info.shape, shape, sizeof shape);
        mt->info.numel = numel;
        return RMTK_OK;
    }
    const pk_val *sv = &w->pm->v[t->items[0]];
    const pk_val *key = &w->pm->v[sv->items[0]];
    uint64_t off = (uint64_t)w->pm->v[t->items[1]].i;
    char mname[512];
    if (key->len > 200)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': storage key of %zu bytes", path, name, key->len);
    snprintf(mname, sizeof mname, "%.*sdata/%.*s", (int)w->plen, w->prefix, (int)key->len,
             key->s);
    if (strlen(mname) != w->plen + 5 + key->len)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': storage key holds a NUL byte", path, name);
    const rmtk__zip_entry *e = find_member(w, mname);
    if (!e)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': its storage member '%s' (key '%.*s') is not in the "
                          "archive",
                          path, name, mname, (int)key->len, key->s);
    /* the strided extent: elements offset .. offset + sum (size_k - 1) stride_k */
    int contiguous = 1;
    uint64_t last = off, expect = 1;
    if (numel > 0) {
        for (int k = nd - 1; k >= 0; k--) {
            uint64_t span;
            if (!rmtk__mul_u64((uint64_t)(shape[k] - 1), (uint64_t)stride[k], &span) ||
                !rmtk__add_u64(last, span, &last))
                return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                                  "%s: tensor '%s': storage offset %llu + strided extent "
                                  "overflows",
                                  path, name, (unsigned long long)off);
            if (shape[k] != 1 && (uint64_t)stride[k] != expect)
                contiguous = 0;
            if (!rmtk__mul_u64(expect, (uint64_t)shape[k], &expect))
                expect = UINT64_MAX;
        }
        uint64_t end_el, end_b;
        if (!rmtk__add_u64(last, 1, &end_el) || !rmtk__mul_u64(end_el, isz, &end_b) ||
            end_b > e->usize)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: tensor '%s': storage offset %llu, size and stride reach "
                              "element %llu of %llu-byte items, beyond storage '%s' (%llu "
                              "bytes at offset %llu)",
                              path, name, (unsigned long long)off, (unsigned long long)last,
                              (unsigned long long)isz, mname, (unsigned long long)e->usize,
                              (unsigned long long)e->data_offset);
    }
    uint64_t hdr = 0;
    if (numel > 0 && !rmtk__mul_u64(off, isz, &hdr))
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': storage offset %llu x item size overflows", path,
                          name, (unsigned long long)off);
    st = rmtk__model_add_tensor(m, name, strlen(name), ds, &mt);
    if (st)
        return st;
    mt->file = w->fidx;
    mt->store = e->method == 0   ? MODEL_STORE_ZIP_RAW
                : e->method == 8 ? MODEL_STORE_DEFLATE
                                 : MODEL_STORE_RAW; /* LEGACY_RAW: bytes in the file */
    mt->info.dtype = t->dtype;
    mt->info.ndim = nd;
    memcpy(mt->info.shape, shape, sizeof shape);
    mt->info.numel = numel;
    mt->info.nbytes = nbytes;
    mt->info.big_endian = w->big_endian && isz > 1;
    mt->info.offset = e->method == 0 ? e->data_offset + hdr : e->data_offset;
    mt->member_offset = e->data_offset;
    mt->member_csize = e->csize;
    mt->member_usize = e->usize;
    mt->member_crc = e->crc;
    mt->member_hdr = hdr;
    mt->itemsize = (uint32_t)isz;
    if (mt->store == MODEL_STORE_RAW) {
        /* legacy: info.offset is the first element; a strided view maps its whole extent */
        mt->info.offset = e->data_offset + hdr;
        mt->member_hdr = 0;
        mt->member_usize = numel ? (last - off + 1) * isz : 0;
    }
    if (!contiguous) {
        mt->strided = 1;
        memcpy(mt->strides, stride, sizeof stride);
    }
    mt->skip_reason = skip_reason;
    return RMTK_OK;
}

static int is_str(const pk_val *v, const char *s)
{
    size_t n = strlen(s);
    return v->kind == PK_STR && v->len == n && memcmp(v->s, s, n) == 0;
}

/* Append ".part" (or "part" at the root) to the name; *old receives the length to restore. */
static int name_push(walk_ctx *w, const pk_val *k, size_t idx, size_t *old)
{
    size_t len = strlen(w->name);
    *old = len;
    char part[64];
    const char *s = part;
    size_t n;
    if (!k) {
        n = (size_t)snprintf(part, sizeof part, "%zu", idx);
    } else if (k->kind == PK_STR || k->kind == PK_BYTES) {
        s = k->s;
        n = k->len;
    } else if (k->kind == PK_INT && k->sub == 0) {
        n = (size_t)snprintf(part, sizeof part, "%lld", (long long)k->i);
    } else if (k->kind == PK_BOOL) {
        n = (size_t)snprintf(part, sizeof part, "%s", k->i ? "True" : "False");
    } else {
        n = (size_t)snprintf(part, sizeof part, "<%s>", rmtk__pickle_kind_name(k->kind));
    }
    size_t need = len + (len ? 1 : 0) + n + 1;
    if (need > NAME_CAP)
        return rmtk__fail(w->m->errmsg, RMTK_ERR_RANGE,
                          "%s: a tensor name longer than %d bytes under '%.200s'", w->path,
                          NAME_CAP, w->name);
    if (len)
        w->name[len++] = '.';
    for (size_t i = 0; i < n; i++)
        w->name[len + i] = s[i] ? s[i] : '?';
    w->name[len + n] = '\0';
    return RMTK_OK;
}

static const char OPTIM_REASON[] =
    "optimizer state (torch.optim moments and step counts), not weights";

static int walk(walk_ctx *w, uint32_t vi, int depth, const char *skip)
{
    if (++w->visits > WALK_MAX_VISITS)
        return rmtk__fail(w->m->errmsg, RMTK_ERR_RANGE,
                          "%s: the pickled object graph has more than %llu references (shared "
                          "references repeated: not a checkpoint)",
                          w->path, (unsigned long long)WALK_MAX_VISITS);
    if (depth > WALK_MAX_DEPTH)
        return rmtk__fail(w->m->errmsg, RMTK_ERR_RANGE,
                          "%s: containers nested deeper than %d (or a cycle) under '%.200s'",
                          w->path, WALK_MAX_DEPTH, w->name);
    const pk_val *v = &w->pm->v[vi];
    int st = RMTK_OK;
    size_t old;
    switch (v->kind) {
    case PK_TENSOR:
        return add_leaf(w, vi, skip);
    case PK_DICT: {
        /* a torch.optim state_dict: {"state": ..., "param_groups": [...]} */
        int has_state = 0, has_groups = 0;
        for (size_t i = 0; i + 1 < v->n; i += 2) {
            has_state |= is_str(&w->pm->v[v->items[i]], "state");
            has_groups |= is_str(&w->pm->v[v->items[i]], "param_groups");
        }
        if (has_state && has_groups)
            skip = OPTIM_REASON;
        for (size_t i = 0; i + 1 < w->pm->v[vi].n && !st; i += 2) {
            const pk_val *d = &w->pm->v[vi];
            uint32_t k = d->items[i], val = d->items[i + 1];
            int kind = w->pm->v[val].kind;
            if (kind != PK_TENSOR && kind != PK_DICT && kind != PK_LIST && kind != PK_TUPLE)
                continue;
            st = name_push(w, &w->pm->v[k], 0, &old);
            if (!st)
                st = walk(w, val, depth + 1, skip);
            w->name[old] = '\0';
        }
        return st;
    }
    case PK_LIST:
    case PK_TUPLE:
        for (size_t i = 0; i < w->pm->v[vi].n && !st; i++) {
            uint32_t val = w->pm->v[vi].items[i];
            int kind = w->pm->v[val].kind;
            if (kind != PK_TENSOR && kind != PK_DICT && kind != PK_LIST && kind != PK_TUPLE)
                continue;
            st = name_push(w, NULL, i, &old);
            if (!st)
                st = walk(w, val, depth + 1, skip);
            w->name[old] = '\0';
        }
        return st;
    default:
        return RMTK_OK; /* numbers, strings, sets, devices: not weights */
    }
}

/* The data.pkl member of a torch.save archive: "data.pkl" or "<prefix>/data.pkl", the
 * shallowest one. NULL if none. */
static const rmtk__zip_entry *find_pkl(const rmtk__zip_entry *ents, size_t n)
{
    const rmtk__zip_entry *best = NULL;
    size_t best_depth = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        const char *nm = ents[i].name;
        size_t len = strlen(nm);
        if (len < 8 || strcmp(nm + len - 8, "data.pkl") != 0 || (len > 8 && nm[len - 9] != '/'))
            continue;
        size_t depth = 0;
        for (size_t k = 0; k < len; k++)
            depth += nm[k] == '/';
        if (depth < best_depth) {
            best = &ents[i];
            best_depth = depth;
        }
    }
    return best;
}

int rmtk__pytorch_sniff(int fd, uint64_t size, const char *path)
{
    char err[RMTK_ERRMSG_SIZE];
    rmtk__zip_entry *ents = NULL;
    size_t n = 0;
    int st = rmtk__zip_read_dir(fd, size, path, &ents, &n, err);
    if (st != RMTK_OK)
        return st == RMTK_ERR_NOMEM ? -1 : 0;
    /* a data.pkl member, or a torch extension (then the reader says what is missing) */
    size_t len = strlen(path);
    int ext = (len > 3 && strcmp(path + len - 3, ".pt") == 0) ||
              (len > 4 && strcmp(path + len - 4, ".pth") == 0) ||
              (len > 4 && strcmp(path + len - 4, ".bin") == 0) ||
              (len > 5 && strcmp(path + len - 5, ".ckpt") == 0);
    int yes = ext || find_pkl(ents, n) != NULL;
    rmtk__zip_free(ents, n);
    return yes;
}

/* Read a whole (small) member into a fresh buffer, CRC-checked. */
static int read_member(rmtk_model *m, const char *path, int fd, const rmtk__zip_entry *e,
                       unsigned char **out)
{
    *out = NULL;
    unsigned char *buf = rmtk__malloc((size_t)(e->usize ? e->usize : 1));
    if (!buf)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory for member '%s'", path,
                          e->name);
    int st;
    if (e->method == 0) {
        st = rmtk__pread_full(m, fd, path, buf, (size_t)e->usize, e->data_offset);
    } else {
        uint64_t in_read;
        st = rmtk__zip_inflate(fd, path, e, buf, e->usize, &in_read, m->errmsg);
    }
    if (!st) {
        uLong crc = crc32(0L, Z_NULL, 0);
        crc = crc32(crc, buf, (uInt)e->usize);
        if ((uint32_t)crc != e->crc)
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: member '%s' at offset %llu: CRC-32 0x%08x, the zip directory "
                            "says 0x%08x",
                            path, e->name, (unsigned long long)e->data_offset, (unsigned)crc,
                            (unsigned)e->crc);
    }
    if (st) {
        rmtk__free(buf);
        return st;
    }
    *out = buf;
    return RMTK_OK;
}

int rmtk__read_pytorch(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    /* a shard listed by an index may be in the legacy format: a bare pickle (PROTO 2..5) */
    unsigned char head[2] = {0, 0};
    if (size >= 2 && rmtk__pread_full(m, fd, path, head, 2, 0) == RMTK_OK && head[0] == 0x80 &&
        head[1] >= 2 && head[1] <= 5)
        return rmtk__read_pytorch_legacy(m, path, fd, size);
    rmtk__zip_entry *ents;
    size_t n;
    int st = rmtk__zip_read_dir(fd, size, path, &ents, &n, m->errmsg);
    if (st)
        return st;
    walk_ctx *w = rmtk__calloc(1, sizeof *w);
    pk_machine pm;
    memset(&pm, 0, sizeof pm);
    unsigned char *pkl = NULL;
    size_t *tmp = NULL;
    if (!w) {
        rmtk__zip_free(ents, n);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    }
    const rmtk__zip_entry *pe = find_pkl(ents, n);
    if (!pe) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: a zip archive without a data.pkl member (%zu members): not a "
                        "torch.save checkpoint",
                        path, n);
        goto done;
    }
    if (pe->usize > PKL_CAP || pe->usize == 0) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: member '%s' of %llu bytes (rmtk reads 1 to %llu bytes of pickle)",
                        path, pe->name, (unsigned long long)pe->usize,
                        (unsigned long long)PKL_CAP);
        goto done;
    }
    w->m = m;
    w->path = path;
    w->pm = &pm;
    w->ents = ents;
    w->nents = n;
    w->prefix = pe->name;
    w->plen = strlen(pe->name) - 8;
    w->sorted = rmtk__malloc_array(n, sizeof *w->sorted);
    tmp = rmtk__malloc_array(n, sizeof *tmp);
    if (!w->sorted || !tmp) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < n; i++)
        w->sorted[i] = i;
    sort_members(ents, w->sorted, tmp, n);
    /* byte order (torch >= 2.1 writes <prefix>byteorder; older files are little-endian) */
    {
        char bo[600];
        snprintf(bo, sizeof bo, "%.*sbyteorder", (int)w->plen, w->prefix);
        const rmtk__zip_entry *be = find_member(w, bo);
        if (be) {
            unsigned char *b = NULL;
            if (be->usize > 16) {
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: member '%s' of %llu bytes (expected \"little\" or \"big\")",
                                path, be->name, (unsigned long long)be->usize);
                goto done;
            }
            st = read_member(m, path, fd, be, &b);
            if (st)
                goto done;
            if (be->usize == 3 && memcmp(b, "big", 3) == 0)
                w->big_endian = 1;
            else if (!(be->usize == 6 && memcmp(b, "little", 6) == 0))
                st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                                "%s: member '%s' says neither \"little\" nor \"big\"", path,
                                be->name);
            rmtk__free(b);
            if (st)
                goto done;
        }
    }
    st = read_member(m, path, fd, pe, &pkl);
    if (st)
        goto done;
    uint32_t root;
    st = rmtk__pickle_run(&pm, pkl, (size_t)pe->usize, path, pe->name, 0, &root, m->errmsg);
    if (st)
        goto done;
    st = rmtk__model_add_file(m, path, &w->fidx);
    if (st)
        goto done;
    st = walk(w, root, 0, NULL);
done:
    rmtk__free(tmp);
    if (w)
        rmtk__free(w->sorted);
    rmtk__free(w);
    rmtk__free(pkl);
    rmtk__pickle_free(&pm);
    rmtk__zip_free(ents, n);
    return st;
}

/* Run one pickle of the legacy stream starting at file offset *at, reading a prefix of the file
 * that grows (64 KiB, x4) until the pickle's STOP is inside it. *at advances past it. */
static int legacy_pickle(rmtk_model *m, const char *path, int fd, uint64_t size, uint64_t *at,
                         const char *what, pk_machine *pm, uint32_t *root, unsigned char **buf)
{
    uint64_t want = (uint64_t)1 << 16;
    for (;;) {
        uint64_t n = RMTK_MIN(want, size - *at);
        rmtk__free(*buf);
        *buf = rmtk__malloc((size_t)(n ? n : 1));
        if (!*buf)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        int st = rmtk__pread_full(m, fd, path, *buf, (size_t)n, *at);
        if (st)
            return st;
        rmtk__pickle_free(pm);
        st = rmtk__pickle_run(pm, *buf, (size_t)n, path, what, *at, root, m->errmsg);
        if (st == RMTK_OK) {
            *at += pm->end;
            return RMTK_OK;
        }
        if (!pm->truncated || n == size - *at || want >= PKL_CAP)
            return st;
        want *= 4;
    }
}

typedef struct {
    const char *key;
    size_t len;
    int itemsize;
} storage_ref;

static int cmp_sref(const void *a, const void *b)
{
    const storage_ref *x = a, *y = b;
    int c = memcmp(x->key, y->key, RMTK_MIN(x->len, y->len));
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int cmp_entry_name(const void *a, const void *b)
{
    return strcmp(((const rmtk__zip_entry *)a)->name, ((const rmtk__zip_entry *)b)->name);
}

/* The legacy format (torch < 1.6, or _use_new_zipfile_serialization=False): five pickles - the
 * magic number 0x1950a86a20f9469cfc6c, the protocol version 1001, a sys_info dict, the object
 * (storages as persistent ids ('storage', type, key, location, numel, view)), the list of
 * storage keys - then each storage in that order: its element count (int64 little-endian) and
 * count x itemsize raw bytes. Only the 8-byte counts between storages are read, not the data.
 * REF: torch/serialization.py _legacy_save, _legacy_load. */
int rmtk__read_pytorch_legacy(rmtk_model *m, const char *path, int fd, uint64_t size)
{
    pk_machine pm, small;
    memset(&pm, 0, sizeof pm);
    memset(&small, 0, sizeof small);
    unsigned char *buf = NULL, *mainbuf = NULL;
    rmtk__zip_entry *ents = NULL;
    size_t nents = 0;
    storage_ref *sref = NULL;
    walk_ctx *w = NULL;
    uint64_t at = 0;
    uint32_t root = 0, r;
    static const char *const what[3] = {"legacy magic number", "legacy protocol version",
                                        "legacy sys_info"};
    int st = RMTK_OK;
    for (int k = 0; k < 3 && !st; k++) {
        st = legacy_pickle(m, path, fd, size, &at, what[k], &small, &r, &buf);
        if (st)
            break;
        const pk_val *v = &small.v[r];
        if (k == 0 && !(v->kind == PK_INT && v->sub == 1 && small.end >= 13 &&
                        memcmp(buf + 4, "\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19", 10) == 0))
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: a pickle file that does not start with torch's legacy magic "
                            "number 0x1950a86a20f9469cfc6c (not a torch.save checkpoint)",
                            path);
        else if (k == 1 && !(v->kind == PK_INT && v->sub == 0 && v->i == 1001))
            st = rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                            "%s: legacy torch.save protocol version %lld (rmtk reads 1001)",
                            path, (long long)v->i);
        else if (k == 2) {
            int little = 1;
            for (size_t i = 0; v->kind == PK_DICT && i + 1 < v->n; i += 2) {
                const pk_val *kv = &small.v[v->items[i]], *vv = &small.v[v->items[i + 1]];
                if (is_str(kv, "little_endian") && vv->kind == PK_BOOL)
                    little = (int)vv->i;
            }
            if (!little)
                st = rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                                "%s: a big-endian legacy torch.save file", path);
        }
    }
    if (!st)
        st = legacy_pickle(m, path, fd, size, &at, "legacy object", &pm, &root, &mainbuf);
    if (!st)
        st = legacy_pickle(m, path, fd, size, &at, "legacy storage keys", &small, &r, &buf);
    if (st)
        goto done;
    const pk_val *keys = &small.v[r];
    if (keys->kind != PK_LIST) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                        "%s: the legacy storage key list (before offset %llu) is a %s", path,
                        (unsigned long long)at, rmtk__pickle_kind_name(keys->kind));
        goto done;
    }
    /* storage key -> item size, from the persistent ids of the object (sorted, searched) */
    size_t ns = 0;
    for (size_t j = 0; j < pm.nv; j++)
        ns += pm.v[j].kind == PK_STORAGE;
    ents = rmtk__calloc(keys->n ? keys->n : 1, sizeof *ents);
    sref = rmtk__malloc_array(ns ? ns : 1, sizeof *sref);
    if (!ents || !sref) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    nents = keys->n;
    ns = 0;
    for (size_t j = 0; j < pm.nv; j++)
        if (pm.v[j].kind == PK_STORAGE) {
            const pk_val *sk = &pm.v[pm.v[j].items[0]];
            sref[ns++] = (storage_ref){sk->s, sk->len, pm.v[j].itemsize};
        }
    qsort(sref, ns, sizeof *sref, cmp_sref);
    for (size_t i = 0; i < keys->n; i++) {
        const pk_val *kv = &small.v[keys->items[i]];
        if (kv->kind != PK_STR || kv->len > 200) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: legacy storage key %zu is not a short str", path, i);
            goto done;
        }
        storage_ref key = {kv->s, kv->len, 0};
        const storage_ref *hit = bsearch(&key, sref, ns, sizeof *sref, cmp_sref);
        int isz = hit ? hit->itemsize : 1; /* a storage no tensor uses: its bytes as bytes */
        unsigned char cnt[8];
        st = rmtk__pread_full(m, fd, path, cnt, 8, at);
        if (st)
            goto done;
        uint64_t count = 0, nbytes, end;
        for (int b = 7; b >= 0; b--)
            count = (count << 8) | cnt[b];
        if (!rmtk__mul_u64(count, (uint64_t)isz, &nbytes) || !rmtk__add_u64(at + 8, nbytes, &end) ||
            end > size) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                            "%s: legacy storage '%.*s' at offset %llu: %llu elements of %d "
                            "bytes run past the end of the file (%llu bytes)",
                            path, (int)kv->len, kv->s, (unsigned long long)at,
                            (unsigned long long)count, isz, (unsigned long long)size);
            goto done;
        }
        char nm[256];
        snprintf(nm, sizeof nm, "data/%.*s", (int)kv->len, kv->s);
        ents[i].name = rmtk__strdup(nm);
        if (!ents[i].name) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
            goto done;
        }
        ents[i].data_offset = at + 8;
        ents[i].usize = ents[i].csize = nbytes;
        ents[i].method = LEGACY_RAW;
        at = end;
    }
    qsort(ents, nents, sizeof *ents, cmp_entry_name);
    w = rmtk__calloc(1, sizeof *w);
    if (w)
        w->sorted = rmtk__malloc_array(nents ? nents : 1, sizeof *w->sorted);
    if (!w || !w->sorted) {
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        goto done;
    }
    for (size_t i = 0; i < nents; i++)
        w->sorted[i] = i;
    w->m = m;
    w->path = path;
    w->pm = &pm;
    w->ents = ents;
    w->nents = nents;
    w->prefix = "";
    w->plen = 0;
    st = rmtk__model_add_file(m, path, &w->fidx);
    if (!st)
        st = walk(w, root, 0, NULL);
done:
    if (w)
        rmtk__free(w->sorted);
    rmtk__free(w);
    rmtk__zip_free(ents, nents);
    rmtk__free(sref);
    rmtk__pickle_free(&pm);
    rmtk__pickle_free(&small);
    rmtk__free(buf);
    rmtk__free(mainbuf);
    return st;
}
