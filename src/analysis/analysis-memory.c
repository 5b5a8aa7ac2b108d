/*
 * analysis-memory.c: tensors that live in the caller's memory (a Python state dict, a NumPy
 * array) added to an analysis without a copy. The extraction rules are those of a file's
 * tensors, by construction: the tensor is described to rmtk_layers_alloc through a one-tensor
 * index (no bytes, no file), so conv kernels, stacks, filters, min_side and the skip reasons
 * come out exactly as for the same tensor in a safetensors file. Each analysed matrix then
 * becomes a strided view into the caller's buffer (rmtk_analysis_add_matrix), or, for a tensor
 * produced on demand (rmtk_analysis_add_tensor_fn), an offset into the C-ordered block its
 * fetch callback returns when a worker loads the matrix.
 */
#include "analysis-internal.h"
#include "model-internal.h"

#include <stdio.h>
#include <string.h>

/*
 * The view of entry e of a tensor with shape s[0..ndim) and element strides st[0..ndim):
 *   2-D: (i, j) at i st0 + j st1;  3-D slice k: k st0 + i st1 + j st2;
 *   4-D slice p = b s3 + c (RMTK_CONV_SLICES): b st2 + c st3 + i st0 + j st1;
 *   flattened (4-D, >= 5-D): (i, j) at i st0 + j st_last, which needs the trailing dimensions
 *   to collapse into one stride (st_d = st_{d+1} s_{d+1} for d >= 1, size-1 dims ignored).
 * The same table as rmtk_layers_view's for a C-ordered tensor, with the caller's strides.
 */
/* An element step x of the C-ordered tensor (shape s) as a step of the caller's strides st: its
 * mixed-radix digits (the index steps along each dimension) times the strides. A split part's
 * geometry (rmtk_layers_alloc: offset, strides and row groups of a fused tensor's part, or of a
 * transposed presentation) is expressed in C-order element steps, each of which is a whole index
 * step along some dimensions, so the mapping is exact for them. */
static int64_t c_step(int64_t x, int32_t ndim, const int64_t *s, const int64_t *st)
{
    int64_t r = 0;
    for (int32_t d = ndim - 1; d >= 0 && x != 0; d--) {
        int64_t q = s[d] > 0 ? x / s[d] : 0, digit = s[d] > 0 ? x % s[d] : x;
        r += digit * st[d];
        x = q;
    }
    return r;
}

static int tensor_view(rmtk_analysis *a, const char *name, size_t esz, int32_t ndim,
                       const int64_t *s, const int64_t *st, const rmtk_matrix_entry *e,
                       rmtk_matrix_view *v, size_t *byte_offset)
{
    int64_t off = 0;
    memset(v, 0, sizeof *v);
    v->rows = e->rows;
    v->cols = e->cols;
    v->dtype = e->dtype;
    v->big_endian = 0;
    if (e->geometry) {
        off = c_step(e->offset, ndim, s, st);
        v->row_stride = c_step(e->row_stride, ndim, s, st);
        v->col_stride = c_step(e->col_stride, ndim, s, st);
        v->row_group = e->row_group;
        v->group_stride = e->row_group ? c_step(e->group_stride, ndim, s, st) : 0;
    } else if (ndim == 2) {
        v->row_stride = st[0];
        v->col_stride = st[1];
    } else if (ndim == 3) {
        off = e->slice * st[0];
        v->row_stride = st[1];
        v->col_stride = st[2];
    } else if (ndim == 4 && e->slice >= 0) {
        off = (e->slice / s[3]) * st[2] + (e->slice % s[3]) * st[3];
        v->row_stride = st[0];
        v->col_stride = st[1];
    } else {
        int64_t inner = 0, span = 1; /* the stride of the flattened column index */
        for (int32_t d = ndim - 1; d >= 1; d--) {
            if (s[d] == 1)
                continue;
            if (inner == 0)
                inner = st[d];
            else if (st[d] != inner * span)
                return rmtk__fail(a->errmsg, RMTK_ERR_UNSUPPORTED,
                                  "%s: dimensions 1..%d do not collapse into one stride "
                                  "(dimension %d has stride %lld, expected %lld): pass a "
                                  "contiguous copy", name, (int)ndim - 1, (int)d,
                                  (long long)st[d], (long long)(inner * span));
            span *= s[d];
        }
        v->row_stride = st[0];
        v->col_stride = inner ? inner : 1;
    }
    *byte_offset = (size_t)off * esz;
    return RMTK_OK;
}

/* Either data (+ strides) or fetch (C order). */
static int add_tensor(rmtk_analysis *a, const char *name, const void *data, int32_t dtype,
                      int32_t ndim, const int64_t *shape, const int64_t *strides,
                      rmtk_tensor_fetch_fn fetch, rmtk_tensor_release_fn release, void *user)
{
    if (!a || !name || ndim < 0 || ndim > RMTK_MAX_DIMS || (ndim > 0 && !shape))
        return RMTK_ERR_ARG;
    int64_t st[RMTK_MAX_DIMS];
    uint64_t numel = 1;
    for (int32_t d = ndim - 1; d >= 0; d--) {
        if (shape[d] < 0)
            return rmtk__fail(a->errmsg, RMTK_ERR_ARG, "%s: dimension %d is %lld", name, (int)d,
                              (long long)shape[d]);
        st[d] = strides ? strides[d] : (int64_t)numel;
        if (st[d] < 0)
            return rmtk__fail(a->errmsg, RMTK_ERR_UNSUPPORTED, "%s: negative stride %lld in "
                              "dimension %d: pass a copy", name, (long long)st[d], (int)d);
        if (!rmtk__mul_u64(numel, (uint64_t)shape[d], &numel))
            return rmtk__fail(a->errmsg, RMTK_ERR_RANGE, "%s: the element count overflows",
                              name);
    }
    /* A one-tensor index for rmtk_layers_alloc: name, dtype, shape; no file, no bytes. */
    rmtk_model *m = rmtk__calloc(1, sizeof *m);
    model_tensor *t = NULL;
    rmtk_layers *l = NULL;
    int st_ = RMTK_OK;
    if (!m)
        return RMTK_ERR_NOMEM;
    m->format = "memory";
    m->by_name = rmtk__malloc_array(1, sizeof *m->by_name);
    if (!m->by_name || rmtk__model_add_tensor(m, name, strlen(name), rmtk_dtype_name(dtype), &t)) {
        rmtk_model_close(m);
        return RMTK_ERR_NOMEM;
    }
    m->by_name[0] = 0;
    t->info.file = "";
    t->info.dtype = dtype;
    t->info.ndim = ndim;
    for (int32_t d = 0; d < ndim; d++)
        t->info.shape[d] = shape[d];
    t->info.numel = numel;
    st_ = rmtk_layers_alloc(m, &a->p.extract, &l);
    if (st_) {
        rmtk__fail(a->errmsg, st_, "%s: %s", name, rmtk_model_errmsg(m));
        rmtk_model_close(m);
        return st_;
    }
    size_t esz = rmtk_dtype_size(dtype), n = rmtk_layers_count(l);
    for (size_t i = 0; i < n && !st_; i++) {
        rmtk_matrix_entry e;
        rmtk_layers_get(l, i, &e);
        if (e.skip != RMTK_SKIP_NONE) {
            /* a 1-D tensor of n is n x 0, a scalar 0 x 0: summary.csv writes the real shape
             * (n and an empty cols) as for a file's tensor */
            int nd = e.skip == RMTK_SKIP_NDIM;
            st_ = rmtk__analysis_add_entry(a, e.name, NULL, e.skip, e.dtype,
                                           nd ? (ndim ? shape[0] : 0) : e.rows, nd ? 0 : e.cols,
                                           e.reason);
            continue;
        }
        if (esz == 0) {
            st_ = rmtk__fail(a->errmsg, RMTK_ERR_UNSUPPORTED, "%s: dtype %s: only scalar "
                             "dtypes are read from memory", name, rmtk_dtype_name(dtype));
            break;
        }
        if (!data && !fetch) {
            st_ = rmtk__fail(a->errmsg, RMTK_ERR_ARG, "%s: no data for an analysed tensor",
                             name);
            break;
        }
        if (e.pooled > 0) {
            st_ = rmtk__fail(a->errmsg, RMTK_ERR_UNSUPPORTED, "%s: conv_mode pooled reads model "
                             "files; an in-memory kernel is read flattened or as slices", name);
            break;
        }
        rmtk_matrix_view v;
        size_t off = 0;
        st_ = tensor_view(a, e.name, esz, ndim, shape, st, &e, &v, &off);
        /* a fetched tensor's view holds the byte offset into the block fetch will return */
        v.data = fetch ? (const void *)(uintptr_t)off : (const unsigned char *)data + off;
        if (!st_)
            st_ = rmtk__analysis_add_entry(a, e.name, &v, RMTK_SKIP_NONE, e.dtype, e.rows,
                                           e.cols, "");
        if (!st_ && fetch) {
            rmtk__entry *ne = &a->entries[a->nentries - 1];
            ne->fetch = fetch;
            ne->release = release;
            ne->fetch_user = user;
        }
    }
    rmtk_layers_free(l);
    rmtk_model_close(m);
    return st_;
}

int rmtk_analysis_add_tensor(rmtk_analysis *a, const char *name, const void *data,
                             int32_t dtype, int32_t ndim, const int64_t *shape,
                             const int64_t *strides)
{
    return add_tensor(a, name, data, dtype, ndim, shape, strides, NULL, NULL, NULL);
}

int rmtk_analysis_add_tensor_fn(rmtk_analysis *a, const char *name, int32_t dtype,
                                int32_t ndim, const int64_t *shape, rmtk_tensor_fetch_fn fetch,
                                rmtk_tensor_release_fn release, void *user)
{
    if (!fetch)
        return RMTK_ERR_ARG;
    return add_tensor(a, name, NULL, dtype, ndim, shape, NULL, fetch, release, user);
}
