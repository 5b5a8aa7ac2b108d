/*
 * layers.c: from a model's tensor index to the list of matrices to analyse, and strided views of
 * them. The rules (documented in rmtk.h and docs/formats.md): 2-D tensors as stored; 3-D as a
 * stack of matrices; 4-D convolution kernels (out, in, kh, kw) flattened to (out, in*kh*kw) or
 * split into kh*kw per-position (out, in) matrices; 5-D and up as (shape[0], rest). Everything
 * else becomes a skipped entry whose reason names the values. Views carry strides, so slices of
 * stacks and kernels and Fortran-ordered data are used in place without copies;
 * rmtk_matrix_to_double gathers any view into row-major doubles, walking the source in its
 * memory order.
 */
#include "model-internal.h"

#include <regex.h>
#include <stdio.h>
#include <string.h>

struct rmtk_layers {
    rmtk_matrix_entry *e;
    size_t n, cap;
};

rmtk_extract_params rmtk_extract_params_default(void)
{
    rmtk_extract_params p;
    memset(&p, 0, sizeof p);
    p.conv_mode = RMTK_CONV_FLATTEN;
    p.min_side = 10;
    p.include = NULL;
    p.exclude = NULL;
    return p;
}

void rmtk_layers_free(rmtk_layers *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n; i++) {
        rmtk__free((void *)l->e[i].name);
        rmtk__free((void *)l->e[i].reason);
    }
    rmtk__free(l->e);
    rmtk__free(l);
}

/* Append an entry; name_suffix_k >= 0 appends "[k]" to the tensor name. */
static int push(rmtk_layers *l, const rmtk_tensor_info *ti, size_t tensor, int64_t slice,
                int64_t rows, int64_t cols, int skip, const char *reason)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 32;
        rmtk_matrix_entry *e = rmtk__realloc(l->e, cap * sizeof *e);
        if (!e)
            return RMTK_ERR_NOMEM;
        l->e = e;
        l->cap = cap;
    }
    char *name;
    if (slice >= 0) {
        size_t len = strlen(ti->name) + 24;
        name = rmtk__malloc(len);
        if (name)
            snprintf(name, len, "%s[%lld]", ti->name, (long long)slice);
    } else {
        name = rmtk__strdup(ti->name);
    }
    char *rs = name ? rmtk__strdup(reason) : NULL;
    if (!rs) {
        rmtk__free(name);
        return RMTK_ERR_NOMEM;
    }
    rmtk_matrix_entry *e = &l->e[l->n++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->reason = rs;
    e->tensor = tensor;
    e->slice = slice;
    e->rows = rows;
    e->cols = cols;
    e->skip = skip;
    e->dtype = ti->dtype;
    rmtk_structure st;
    rmtk_name_structure(ti->name, &st);
    if (!*st.module && (ti->ndim == 4 || (ti->ndim == 3 && strstr(ti->name, "conv"))))
        st.module = "conv";
    e->block = st.block;
    e->expert = st.expert;
    e->module = st.module;
    return RMTK_OK;
}

static void fmt_shape(char *buf, size_t size, const rmtk_tensor_info *ti)
{
    size_t k = (size_t)snprintf(buf, size, "[");
    for (int i = 0; i < ti->ndim && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", i ? ", " : "",
                              (long long)ti->shape[i]);
    if (k < size)
        snprintf(buf + k, size - k, "]");
}

/* The entries of one tensor. */
static int extract(rmtk_layers *l, const rmtk_tensor_info *ti, size_t i,
                   const rmtk_extract_params *p, const regex_t *inc, const regex_t *exc)
{
    char why[400], shp[200];
    fmt_shape(shp, sizeof shp, ti);
    if (inc && regexec(inc, ti->name, 0, NULL, 0) != 0) {
        snprintf(why, sizeof why, "name does not match --include '%s'", p->include);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_FILTER, why);
    }
    if (exc && regexec(exc, ti->name, 0, NULL, 0) == 0) {
        snprintf(why, sizeof why, "name matches --exclude '%s'", p->exclude);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_FILTER, why);
    }
    if (!rmtk_dtype_is_numeric(ti->dtype)) {
        if (strcmp(ti->dtype_str, rmtk_dtype_name(ti->dtype)) == 0)
            snprintf(why, sizeof why, "dtype %s is not numeric", ti->dtype_str);
        else
            snprintf(why, sizeof why, "dtype %s ('%s') is not numeric",
                     rmtk_dtype_name(ti->dtype), ti->dtype_str);
        return push(l, ti, i, -1, 0, 0, RMTK_SKIP_DTYPE, why);
    }
    if (ti->ndim < 2) {
        if (ti->ndim == 0)
            snprintf(why, sizeof why, "scalar (0-D tensor)");
        else
            snprintf(why, sizeof why, "1-D tensor %s", shp);
        return push(l, ti, i, -1, ti->ndim ? ti->shape[0] : 1, 1, RMTK_SKIP_NDIM, why);
    }
    for (int k = 0; k < ti->ndim; k++)
        if (ti->shape[k] == 0) {
            snprintf(why, sizeof why, "empty: dimension %d has size 0 (shape %s)", k, shp);
            return push(l, ti, i, -1, 0, 0, RMTK_SKIP_EMPTY, why);
        }
    int64_t rows, cols, count = 1;
    int sliced = 0;
    if (ti->ndim == 2) {
        rows = ti->shape[0];
        cols = ti->shape[1];
    } else if (ti->ndim == 3) {
        count = ti->shape[0];
        rows = ti->shape[1];
        cols = ti->shape[2];
        sliced = 1;
    } else if (ti->ndim == 4 && p->conv_mode == RMTK_CONV_SLICES) {
        count = ti->shape[2] * ti->shape[3];
        rows = ti->shape[0];
        cols = ti->shape[1];
        sliced = 1;
    } else {
        rows = ti->shape[0];
        cols = (int64_t)(ti->numel / (uint64_t)rows);
    }
    int64_t side = RMTK_MIN(rows, cols);
    if (side < p->min_side) {
        snprintf(why, sizeof why, "min side %lld < min_side %lld (%s%lld x %lld of shape %s)",
                 (long long)side, (long long)p->min_side, sliced ? "matrices " : "matrix ",
                 (long long)rows, (long long)cols, shp);
        return push(l, ti, i, -1, rows, cols, RMTK_SKIP_SMALL, why);
    }
    if (!sliced)
        return push(l, ti, i, -1, rows, cols, RMTK_SKIP_NONE, "");
    for (int64_t k = 0; k < count; k++) {
        int st = push(l, ti, i, k, rows, cols, RMTK_SKIP_NONE, "");
        if (st)
            return st;
    }
    return RMTK_OK;
}

int rmtk_layers_alloc(rmtk_model *m, const rmtk_extract_params *p, rmtk_layers **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (!m)
        return RMTK_ERR_ARG;
    rmtk_extract_params def = rmtk_extract_params_default();
    if (!p)
        p = &def;
    if (p->conv_mode != RMTK_CONV_FLATTEN && p->conv_mode != RMTK_CONV_SLICES)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "conv_mode %d is not a rmtk_conv_mode",
                          (int)p->conv_mode);
    if (p->min_side < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "min_side %lld is negative",
                          (long long)p->min_side);
    regex_t inc, exc;
    int have_inc = 0, have_exc = 0, st = RMTK_OK;
    const char *pats[2] = {p->include, p->exclude};
    regex_t *res[2] = {&inc, &exc};
    int *have[2] = {&have_inc, &have_exc};
    for (int k = 0; k < 2; k++) {
        if (!pats[k])
            continue;
        int rc = regcomp(res[k], pats[k], REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[200];
            regerror(rc, res[k], msg, sizeof msg);
            regfree(res[k]);
            st = rmtk__fail(m->errmsg, rc == REG_ESPACE ? RMTK_ERR_NOMEM : RMTK_ERR_ARG,
                            "--%s: invalid regular expression '%s': %s",
                            k ? "exclude" : "include", pats[k], msg);
            break;
        }
        *have[k] = 1;
    }
    rmtk_layers *l = st ? NULL : rmtk__calloc(1, sizeof *l);
    if (!st && !l)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory listing matrices");
    size_t nt = rmtk_model_tensor_count(m);
    for (size_t i = 0; i < nt && !st; i++) {
        rmtk_tensor_info ti;
        st = rmtk_model_tensor_info(m, i, &ti);
        if (!st && m->t[i].skip_reason) /* the reader says: not weights (optimizer state) */
            st = push(l, &ti, i, -1, ti.ndim ? ti.shape[0] : 1, 1, RMTK_SKIP_STATE,
                      m->t[i].skip_reason);
        else if (!st)
            st = extract(l, &ti, i, p, have_inc ? &inc : NULL, have_exc ? &exc : NULL);
        if (st == RMTK_ERR_NOMEM)
            rmtk__fail(m->errmsg, st, "out of memory listing matrices");
    }
    if (!st) /* PEFT LoRA factors: lora_A/lora_B pairs become product entries (peft.c) */
        st = rmtk__peft_pair(m, p, l->e, l->n);
    if (have_inc)
        regfree(&inc);
    if (have_exc)
        regfree(&exc);
    if (st) {
        rmtk_layers_free(l);
        return st;
    }
    *out = l;
    return RMTK_OK;
}

size_t rmtk_layers_count(const rmtk_layers *l)
{
    return l ? l->n : 0;
}

int rmtk_layers_get(const rmtk_layers *l, size_t i, rmtk_matrix_entry *e)
{
    if (!l || !e)
        return RMTK_ERR_ARG;
    if (i >= l->n)
        return RMTK_ERR_NOTFOUND;
    *e = l->e[i];
    return RMTK_OK;
}

/* Element strides of an entry's matrix within its tensor (see the table in docs/formats.md).
 * C order, shape (n0, n1, ...):
 *   2-D: (i, j) at i*n1 + j; 3-D slice k: k*n1*n2 + i*n2 + j;
 *   4-D slice p = b*n3 + c: i*n1*n2*n3 + j*n2*n3 + p; flattened: i*cols + j.
 * Fortran order (first index fastest):
 *   2-D: i + j*n0; 3-D slice k: k + i*n0 + j*n0*n1;
 *   4-D slice (b, c): i + j*n0 + b*n0*n1 + c*n0*n1*n2;
 *   flattened (>= 4-D): i + j'*n0, where j' enumerates the trailing indices first-fastest: the
 *   columns of the C flattening in a permuted order (same singular values; right singular
 *   vectors permuted accordingly). */
int rmtk_layers_view(rmtk_model *m, const rmtk_matrix_entry *e, rmtk_matrix_view *v)
{
    if (!m || !e || !v)
        return RMTK_ERR_ARG;
    if (e->skip != RMTK_SKIP_NONE)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' is skipped (%s): no matrix to view",
                          e->name, e->reason);
    if (e->inner > 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "'%s' is a product of two factors: view them "
                          "with rmtk_layers_factor_view", e->name);
    rmtk_tensor_info ti;
    int st = rmtk_model_tensor_info(m, e->tensor, &ti);
    if (st)
        return rmtk__fail(m->errmsg, st, "entry '%s': tensor %zu is not in the model", e->name,
                          e->tensor);
    if (ti.ndim < 2 || !rmtk_dtype_is_numeric(ti.dtype))
        return rmtk__fail(m->errmsg, RMTK_ERR_ARG, "entry '%s' does not belong to this model",
                          e->name);
    const int64_t *s = ti.shape;
    int64_t off = 0, rs, cs;
    if (!ti.fortran_order) {
        if (ti.ndim == 3 && e->slice >= 0) {
            off = e->slice * s[1] * s[2];
            rs = s[2];
            cs = 1;
        } else if (ti.ndim == 4 && e->slice >= 0) {
            off = e->slice;
            rs = s[1] * s[2] * s[3];
            cs = s[2] * s[3];
        } else {
            rs = e->cols;
            cs = 1;
        }
    } else {
        if (ti.ndim == 3 && e->slice >= 0) {
            off = e->slice;
            rs = s[0];
            cs = s[0] * s[1];
        } else if (ti.ndim == 4 && e->slice >= 0) {
            int64_t b = e->slice / s[3], c = e->slice % s[3];
            off = b * s[0] * s[1] + c * s[0] * s[1] * s[2];
            rs = 1;
            cs = s[0];
        } else {
            rs = 1;
            cs = s[0];
        }
    }
    uint64_t off_bytes;
    if (!rmtk__dtype_bytes(ti.dtype, (uint64_t)off, &off_bytes))
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': matrix '%s' starts at element %lld, inside a %s block",
                          ti.file, ti.name, e->name, (long long)off, rmtk_dtype_name(ti.dtype));
    const void *data;
    st = rmtk_model_map(m, e->tensor, &data);
    if (st)
        return st;
    v->data = (const unsigned char *)data + (size_t)off_bytes;
    v->rows = e->rows;
    v->cols = e->cols;
    v->row_stride = rs;
    v->col_stride = cs;
    v->dtype = ti.dtype;
    v->big_endian = ti.big_endian;
    return RMTK_OK;
}

/* Gather a strided view into row-major doubles dst[i*cols + j]. Contiguous rows convert in one
 * call; column-contiguous data (Fortran order) converts each column in blocks and scatters, so
 * the source is read sequentially; other strides go element by element in the order of the
 * smaller stride. */
int rmtk_matrix_to_double(rmtk_matrix_view v, double *dst)
{
    if (!dst || v.rows < 0 || v.cols < 0 || (!v.data && v.rows && v.cols))
        return RMTK_ERR_ARG;
    if (!rmtk_dtype_is_numeric(v.dtype))
        return RMTK_ERR_UNSUPPORTED;
    if (v.rows == 0 || v.cols == 0)
        return RMTK_OK;
    size_t esz = rmtk_dtype_size(v.dtype);
    const unsigned char *base = v.data;
    int be = v.big_endian;
    size_t bel, bby;
    if (rmtk_dtype_block(v.dtype, &bel, &bby) == RMTK_OK && bel > 1) {
        /* block-quantised: whole rows of whole blocks only */
        if (v.col_stride != 1 || v.row_stride < 0 || (uint64_t)v.cols % bel ||
            (uint64_t)v.row_stride % bel)
            return RMTK_ERR_UNSUPPORTED;
        for (int64_t i = 0; i < v.rows; i++) {
            int st = rmtk_dtype_to_double(v.dtype, be,
                                          base + (size_t)i * ((size_t)v.row_stride / bel) * bby,
                                          (size_t)v.cols, dst + (size_t)(i * v.cols));
            if (st)
                return st;
        }
        return RMTK_OK;
    }
    if (v.col_stride == 1) {
        for (int64_t i = 0; i < v.rows; i++)
            rmtk_dtype_to_double(v.dtype, be, base + (size_t)(i * v.row_stride) * esz,
                                 (size_t)v.cols, dst + (size_t)(i * v.cols));
        return RMTK_OK;
    }
    if (v.row_stride == 1) {
        /* Column-contiguous: convert a tile of TC columns x TR rows (each column segment is
         * contiguous in the source), then write it out row by row, TC contiguous doubles at a
         * time, so neither the reads nor the writes stride through memory element by element. */
        enum { TC = 16, TR = 256 };
        double tile[TC][TR];
        for (int64_t j0 = 0; j0 < v.cols; j0 += TC) {
            int64_t nc = RMTK_MIN(v.cols - j0, (int64_t)TC);
            for (int64_t i0 = 0; i0 < v.rows; i0 += TR) {
                int64_t nr = RMTK_MIN(v.rows - i0, (int64_t)TR);
                for (int64_t c = 0; c < nc; c++)
                    rmtk_dtype_to_double(v.dtype, be,
                                         base + (size_t)((j0 + c) * v.col_stride + i0) * esz,
                                         (size_t)nr, tile[c]);
                for (int64_t b = 0; b < nr; b++) {
                    double *row = dst + (size_t)((i0 + b) * v.cols + j0);
                    for (int64_t c = 0; c < nc; c++)
                        row[c] = tile[c][b];
                }
            }
        }
        return RMTK_OK;
    }
    int rows_inner = (v.row_stride < 0 ? -v.row_stride : v.row_stride) <
                     (v.col_stride < 0 ? -v.col_stride : v.col_stride);
    int64_t outer = rows_inner ? v.cols : v.rows, inner = rows_inner ? v.rows : v.cols;
    for (int64_t a = 0; a < outer; a++)
        for (int64_t b = 0; b < inner; b++) {
            int64_t i = rows_inner ? b : a, j = rows_inner ? a : b;
            rmtk_dtype_to_double(v.dtype, be,
                                 base + (ptrdiff_t)(i * v.row_stride + j * v.col_stride) *
                                            (ptrdiff_t)esz,
                                 1, dst + (size_t)(i * v.cols + j));
        }
    return RMTK_OK;
}

const char *rmtk_skip_name(int skip)
{
    switch ((enum rmtk_skip)skip) {
    case RMTK_SKIP_NONE:
        return "none";
    case RMTK_SKIP_NDIM:
        return "ndim";
    case RMTK_SKIP_SMALL:
        return "small";
    case RMTK_SKIP_FILTER:
        return "filter";
    case RMTK_SKIP_DTYPE:
        return "dtype";
    case RMTK_SKIP_EMPTY:
        return "empty";
    case RMTK_SKIP_STATE:
        return "state";
    case RMTK_SKIP_FACTOR:
        return "factor";
    }
    return "unknown";
}
