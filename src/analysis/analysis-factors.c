/*
 * analysis-factors.c: matrices given as factors in the per-model pipeline.
 *
 *  - Product entries, X = s L R of inner dimension r: a PEFT LoRA pair of a model's layer list
 *    ("<module>.lora_delta", src/io/peft.c) or factors added with rmtk_analysis_add_factors. The
 *    singular values come from the low-rank route (src/linalg/lowrank.c, O((m + n) r^2)); the
 *    m x n product is never formed. Such a matrix has at most r non-zero singular values: the
 *    bulk statistics (MP, levels, tails) do not apply and are not run (analysis.c sets their
 *    statuses too_few; the verdict says "low-rank product").
 *  - Merged entries (rmtk_analysis_add_base): W + X with W the base model's weight of the
 *    module, formed densely (W is dense anyway) and analysed like any matrix; delta_fro2_frac =
 *    ||X||_F^2 / ||W||_F^2 with ||X||_F^2 = s^2 sum_ij (L^T L)_ij (R R^T)_ij (the trace of
 *    (L^T L)(R R^T), O((m + n) r^2)).
 */
#include "analysis-internal.h"

#include <cblas.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#define PEFT_PREFIX "base_model.model."

/* Convert factor `which` of a model's product entry (under the caller's lock). */
static int factor_to_double(rmtk_model *m, const rmtk_matrix_entry *pe, int which, double *dst,
                            int *dtype)
{
    rmtk_matrix_view v;
    int st = rmtk_layers_factor_view(m, pe, which, &v);
    if (!st)
        st = rmtk_matrix_to_double(v, dst);
    if (!st)
        *dtype = v.dtype;
    return st;
}

/* L and R of a product entry pe of model mi as row-major doubles (allocated), *eps their
 * storage precision. */
static int load_factors(rmtk_analysis *a, rmtk__entry *e, size_t mi, const rmtk_matrix_entry *pe,
                        pthread_mutex_t *lock, double **l, double **r, double *eps)
{
    size_t nl = (size_t)pe->rows * (size_t)pe->inner, nr = (size_t)pe->inner * (size_t)pe->cols;
    *l = rmtk__malloc_array(nl, sizeof(double));
    *r = rmtk__malloc_array(nr, sizeof(double));
    if (!*l || !*r)
        return RMTK_ERR_NOMEM;
    rmtk_model *m = a->models[mi].model;
    int dl = RMTK_DTYPE_F64, dr = RMTK_DTYPE_F64;
    pthread_mutex_lock(lock);
    int st = factor_to_double(m, pe, 0, *l, &dl);
    if (!st)
        st = factor_to_double(m, pe, 1, *r, &dr);
    if (st)
        e->errmsg = rmtk__strdup(rmtk_model_errmsg(m));
    pthread_mutex_unlock(lock);
    *eps = fmax(rmtk_dtype_eps(dl), rmtk_dtype_eps(dr));
    return st;
}

int rmtk__product_spectrum(rmtk_analysis *a, rmtk__entry *e, pthread_mutex_t *lock, double *sv,
                           rmtk_spectrum_info *info, double *eps)
{
    const rmtk_matrix_entry *pe = &e->e;
    double *l = e->given_l, *r = e->given_r;
    int st = RMTK_OK;
    if (!e->given_l) {
        *eps = 0;
        st = load_factors(a, e, e->model, pe, lock, &l, &r, eps);
    } else {
        *eps = e->given_eps;
    }
    rmtk_lowrank_plan *plan = NULL;
    if (!st)
        st = rmtk_lowrank_plan_alloc(pe->rows, pe->cols, pe->inner, 0, &plan);
    rmtk_lowrank_info li;
    memset(&li, 0, sizeof li);
    if (!st) {
        rmtk_matrix_view lv = {l, pe->rows, pe->inner, pe->inner, 1, RMTK_DTYPE_F64, 0, 0, 0};
        rmtk_matrix_view rv = {r, pe->inner, pe->cols, pe->cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
        st = rmtk_lowrank_execute(plan, lv, rv, pe->scale, *eps, sv, NULL, NULL, &li);
        if (st && !e->errmsg)
            e->errmsg = rmtk__strdup(rmtk_lowrank_errmsg(plan));
    }
    rmtk_lowrank_plan_free(plan);
    if (l != e->given_l) {
        rmtk__free(l);
        rmtk__free(r);
    }
    memset(info, 0, sizeof *info);
    info->method = RMTK__METHOD_FACTORS;
    info->k = li.k;
    info->err_bound = li.err_bound;
    return st;
}

/* ||s L R||_F^2 = s^2 sum_ij (L^T L)_ij (R R^T)_ij, L m x r, R r x n row-major. */
static int product_fro2(const double *l, const double *r, int64_t m, int64_t k, int64_t n,
                        double s, double *out)
{
    double *g = rmtk__malloc_array(2 * (size_t)(k * k), sizeof(double));
    if (!g)
        return RMTK_ERR_NOMEM;
    double *h = g + k * k;
    cblas_dgemm(CblasRowMajor, CblasTrans, CblasNoTrans, (int)k, (int)k, (int)m, 1.0, l, (int)k,
                l, (int)k, 0.0, g, (int)k);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)k, (int)k, (int)n, 1.0, r, (int)n,
                r, (int)n, 0.0, h, (int)k);
    double acc = 0;
    for (int64_t i = 0; i < k * k; i++)
        acc += g[i] * h[i];
    *out = s * s * fmax(acc, 0.0);
    rmtk__free(g);
    return RMTK_OK;
}

int rmtk__merged_load(rmtk_analysis *a, rmtk__entry *e, pthread_mutex_t *lock,
                      rmtk_spectrum_plan *plan, double *mat, double *frac)
{
    int64_t rows = e->e.rows, cols = e->e.cols;
    const rmtk_matrix_entry *pe = &e->fe;
    double *w = mat ? mat : rmtk__malloc_array((size_t)rows * (size_t)cols, sizeof(double));
    if (!w)
        return RMTK_ERR_NOMEM;
    rmtk_model *base = a->models[e->model].model;
    pthread_mutex_lock(lock);
    rmtk_matrix_view v;
    int st = rmtk_layers_view(base, &e->e, &v);
    if (!st)
        st = rmtk_matrix_to_double(v, w);
    if (st)
        e->errmsg = rmtk__strdup(rmtk_model_errmsg(base));
    pthread_mutex_unlock(lock);
    double *l = NULL, *r = NULL, eps;
    if (!st)
        st = load_factors(a, e, e->fmodel, pe, lock, &l, &r, &eps);
    double fw = 0, fx = 0;
    if (!st) {
        for (size_t t = 0; t < (size_t)rows * (size_t)cols; t++)
            fw += w[t] * w[t];
        st = product_fro2(l, r, pe->rows, pe->inner, pe->cols, pe->scale, &fx);
    }
    if (!st) {
        int k = (int)pe->inner;
        if (!e->delta_t) /* W (rows x cols) += s L R */
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)cols, k,
                        pe->scale, l, k, r, (int)pe->cols, 1.0, w, (int)cols);
        else /* W (rows x cols = in x out) += s (L R)^T = s R^T L^T */
            cblas_dgemm(CblasRowMajor, CblasTrans, CblasTrans, (int)rows, (int)cols, k,
                        pe->scale, r, (int)pe->cols, l, k, 1.0, w, (int)cols);
        *frac = fw > 0 ? fx / fw : (fx > 0 ? INFINITY : NAN);
        rmtk_matrix_view mv = {w, rows, cols, cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
        st = rmtk_spectrum_load(plan, mv);
        if (st && !e->errmsg)
            e->errmsg = rmtk__strdup(rmtk_spectrum_errmsg(plan));
    }
    rmtk__free(l);
    rmtk__free(r);
    if (w != mat)
        rmtk__free(w);
    return st;
}

static rmtk__entry *new_entry(rmtk_analysis *a)
{
    rmtk__entry *entries = rmtk__realloc(a->entries, (a->nentries + 1) * sizeof *entries);
    if (!entries)
        return NULL;
    a->entries = entries;
    rmtk__entry *e = &a->entries[a->nentries];
    memset(e, 0, sizeof *e);
    e->model = RMTK__NO_MODEL;
    e->fmodel = RMTK__NO_MODEL;
    e->e.reason = "";
    e->e.tensor = SIZE_MAX;
    e->e.slice = -1;
    for (int c = 0; c < RMTK__NCOLS; c++)
        e->values[c] = NAN;
    return e;
}

int rmtk_analysis_add_factors(rmtk_analysis *a, const char *name, rmtk_matrix_view l,
                              rmtk_matrix_view r, double scale)
{
    if (!a || !name || !l.data || !r.data || l.rows < 1 || l.cols < 1 || r.cols < 1 ||
        l.cols != r.rows || !isfinite(scale))
        return RMTK_ERR_ARG;
    size_t nl = (size_t)l.rows * (size_t)l.cols, nr = (size_t)r.rows * (size_t)r.cols;
    double *ld = rmtk__malloc_array(nl, sizeof(double));
    double *rd = rmtk__malloc_array(nr, sizeof(double));
    char *nm = rmtk__strdup(name);
    int st = ld && rd && nm ? RMTK_OK : RMTK_ERR_NOMEM;
    if (!st)
        st = rmtk_matrix_to_double(l, ld);
    if (!st)
        st = rmtk_matrix_to_double(r, rd);
    for (size_t t = 0; !st && t < nl + nr; t++) {
        double x = t < nl ? ld[t] : rd[t - nl];
        if (!isfinite(x)) {
            size_t u = t < nl ? t : t - nl, c = (size_t)(t < nl ? l.cols : r.cols);
            st = rmtk__fail(a->errmsg, RMTK_ERR_NUMERIC, "%s: non-finite value %g at element "
                            "(%zu, %zu) of the %s factor", name, x, u / c, u % c,
                            t < nl ? "left" : "right");
        }
    }
    rmtk__entry *e = st ? NULL : new_entry(a);
    if (!st && !e)
        st = RMTK_ERR_NOMEM;
    if (st) {
        rmtk__free(ld);
        rmtk__free(rd);
        rmtk__free(nm);
        return st;
    }
    e->given_l = ld;
    e->given_r = rd;
    e->given_eps = fmax(rmtk_dtype_eps(l.dtype), rmtk_dtype_eps(r.dtype));
    e->given_name = nm;
    e->e.name = nm;
    e->e.rows = l.rows;
    e->e.cols = r.cols;
    e->e.skip = RMTK_SKIP_NONE;
    e->e.dtype = l.dtype;
    e->e.inner = l.cols;
    e->e.scale = scale;
    a->nentries++;
    return RMTK_OK;
}

/* The base weight of a product entry named "<module>.lora_delta[.adapter]": its index in the
 * base list, or SIZE_MAX; *module_len the length of <module>. */
static size_t find_base(const rmtk_layers *bl, const char *name, size_t *module_len, char *cand,
                        size_t cand_size)
{
    static const char *const tags[] = {".lora_delta", ".lora_BA"};
    const char *at = NULL;
    for (int k = 0; k < 2 && !at; k++)
        for (const char *q = strstr(name, tags[k]); q; q = strstr(q + 1, tags[k]))
            at = q;
    *module_len = at ? (size_t)(at - name) : strlen(name);
    const char *mod = name;
    size_t ml = *module_len, pl = strlen(PEFT_PREFIX);
    if (ml > pl && !strncmp(mod, PEFT_PREFIX, pl)) {
        mod += pl;
        ml -= pl;
    }
    static const char *const sfx[] = {".weight", ".base_layer.weight"};
    size_t n = rmtk_layers_count(bl);
    for (int s = 0; s < 2; s++) {
        snprintf(cand, cand_size, "%.*s%s", (int)ml, mod, sfx[s]);
        for (size_t i = 0; i < n; i++) {
            rmtk_matrix_entry be;
            if (rmtk_layers_get(bl, i, &be) == RMTK_OK && be.slice < 0 && !strcmp(be.name, cand))
                return i;
        }
    }
    snprintf(cand, cand_size, "%.*s.weight", (int)ml, mod);
    return SIZE_MAX;
}

int rmtk_analysis_add_base(rmtk_analysis *a, rmtk_model *base, const char *path)
{
    if (!a || !base || !path)
        return RMTK_ERR_ARG;
    rmtk__model_ref *ref;
    /* The adapter updates a fused projection (GPT-2 c_attn, query_key_value) as one weight:
     * the base's fused tensors are kept whole here, whatever --fused says for the analysis. */
    rmtk_extract_params bx = a->p.extract;
    bx.fused = RMTK_FUSED_KEEP;
    /* source "": the merged rows belong to the adapter's input */
    int st = rmtk__add_model_ref(a, base, path, "", &bx, &ref);
    if (st)
        return st;
    size_t bidx = a->nmodels++, n0 = a->nentries;
    const rmtk_layers *bl = ref->layers;
    for (size_t i = 0; i < n0 && !st; i++) {
        rmtk__entry pe_entry = a->entries[i]; /* a copy: the array may move below */
        const rmtk_matrix_entry *pe = &pe_entry.e;
        if (pe->inner < 1 || pe_entry.model == RMTK__NO_MODEL || pe_entry.model == bidx)
            continue;
        char cand[2048], name[2100], why[4400];
        size_t ml;
        size_t bi = find_base(bl, pe->name, &ml, cand, sizeof cand);
        const char *tail = pe->name + ml; /* ".lora_delta[.adapter]" */
        const char *dot = strchr(tail + 1, '.');
        snprintf(name, sizeof name, "%.*s.lora_merged%s", (int)ml, pe->name, dot ? dot : "");
        rmtk_matrix_entry be;
        memset(&be, 0, sizeof be);
        why[0] = '\0';
        if (bi == SIZE_MAX) {
            snprintf(why, sizeof why, "no base weight '%s' (or '.base_layer.weight') in %s for "
                     "the adapter's '%s'", cand, path, pe->name);
        } else {
            rmtk_layers_get(bl, bi, &be);
            if (pe->skip != RMTK_SKIP_NONE)
                snprintf(why, sizeof why, "the adapter's '%s' is skipped (%s)", pe->name,
                         pe->reason);
            else if (be.skip != RMTK_SKIP_NONE)
                snprintf(why, sizeof why, "base weight '%s': %s", be.name, be.reason);
            else if (!(be.rows == pe->rows && be.cols == pe->cols) &&
                     !(be.rows == pe->cols && be.cols == pe->rows))
                snprintf(why, sizeof why, "base weight '%s' is %lld x %lld, the adapter's '%s' "
                         "%lld x %lld", be.name, (long long)be.rows, (long long)be.cols,
                         pe->name, (long long)pe->rows, (long long)pe->cols);
        }
        rmtk__entry *e = new_entry(a);
        if (!e) {
            st = RMTK_ERR_NOMEM;
            break;
        }
        e->given_name = rmtk__strdup(name);
        e->given_reason = why[0] ? rmtk__strdup(why) : NULL;
        if (!e->given_name || (why[0] && !e->given_reason)) {
            rmtk__free(e->given_name);
            rmtk__free(e->given_reason);
            st = RMTK_ERR_NOMEM;
            break;
        }
        if (bi != SIZE_MAX)
            e->e = be;
        e->e.name = e->given_name;
        e->e.reason = why[0] ? e->given_reason : "";
        e->model = bidx;
        if (why[0]) {
            e->e.skip = RMTK_SKIP_FACTOR;
            if (bi == SIZE_MAX) {
                e->model = pe_entry.model; /* its tensor: the adapter's factor */
                e->e.tensor = pe->tensor;
                e->e.rows = pe->rows;
                e->e.cols = pe->cols;
            }
        } else {
            e->fmodel = pe_entry.model;
            e->fe = *pe;
            int same = be.rows == pe->rows && be.cols == pe->cols;
            int swapped = be.rows == pe->cols && be.cols == pe->rows;
            /* Delta W is (out x in). A square base weight stored (in, out) (the adapter's
             * fan_in_fan_out) takes Delta W^T, unless the base is already presented (out x in):
             * by its reader (a stored layout) or by the layers' strides (GPT-2 Conv1D read
             * transposed: column stride != 1). */
            rmtk_tensor_info ti;
            int presented = (rmtk_model_tensor_info(base, be.tensor, &ti) == RMTK_OK &&
                             ti.layout) || (be.geometry && be.col_stride != 1);
            e->delta_t = same && swapped ? pe->base_t && !presented : !same;
        }
        a->nentries++;
    }
    return st;
}
