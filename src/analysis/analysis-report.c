/*
 * analysis-report.c: summary.csv and report.json of an analysis (schema in docs/report.md).
 * CSV: a fixed block of descriptive columns, then the numeric columns of the statistics requested;
 * one row per matrix, skipped and failed ones included with their reason; a status column
 * (mp_fit_status, ...) is written by name ("capped"). JSON: provenance
 * (versions, backend, precision, every parameter), the inputs, per-matrix metrics and arrays,
 * the skipped list; status columns as their code in "metrics" and by name in "statuses". Numbers
 * are written as %.17g so they round-trip exactly; integer columns (counts, flags, status codes)
 * as integers. Each row and matrix carries its input file, its verdict and looks_random (the
 * rules of analysis-verdict.c, the same the CLI prints).
 */
#include "analysis-internal.h"
#include "report-internal.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

static const char *const csv_fixed[] = {
    "name",  "tensor", "file",   "source", "slice",  "block",   "module",      "expert",
    "rows",  "cols",   "dtype",  "method", "status", "reason",  "verdict", "looks_random"};

/* The input file of an entry ("" for a given spectrum). */
static const char *entry_file(const rmtk_analysis *a, const rmtk__entry *e)
{
    return e->model == RMTK__NO_MODEL ? "" : a->models[e->model].path;
}

/* The input's label (rmtk_analysis_add_model_labeled; "" when none or a given spectrum). */
static const char *entry_source(const rmtk_analysis *a, const rmtk__entry *e)
{
    const char *src = e->model == RMTK__NO_MODEL ? NULL : a->models[e->model].source;
    return src ? src : "";
}

/* A numeric value of column c: an integer column (counts, flags, status codes) without a
 * decimal point, others at %.17g (exact round trip); NaN empty, infinities inf/-inf. */
static void csv_value(rmtk__sink *s, int c, double v)
{
    if (isnan(v))
        rmtk__sink_puts(s, ",");
    else if (isinf(v))
        rmtk__sink_puts(s, v > 0 ? ",inf" : ",-inf");
    else if (rmtk__columns[c].integer && v == floor(v) && fabs(v) < 9.0e18)
        rmtk__sink_printf(s, ",%lld", (long long)v);
    else
        rmtk__sink_printf(s, ",%.17g", v);
}

static const char *tensor_name(const rmtk_analysis *a, const rmtk__entry *e)
{
    rmtk_tensor_info ti;
    if (e->model == RMTK__NO_MODEL)
        return "";
    if (rmtk_model_tensor_info(a->models[e->model].model, e->e.tensor, &ti) != RMTK_OK)
        return "";
    return ti.name;
}

/* The stored tensor's shape, or NULL (a given spectrum). */
static const rmtk_tensor_info *tensor_info(const rmtk_analysis *a, const rmtk__entry *e,
                                           rmtk_tensor_info *ti)
{
    if (e->model == RMTK__NO_MODEL ||
        rmtk_model_tensor_info(a->models[e->model].model, e->e.tensor, ti) != RMTK_OK)
        return NULL;
    return ti;
}

/* rows,cols of a CSV row: the matrix's; for a skipped tensor of fewer than 2 dimensions its real
 * shape (a 1-D tensor of n: rows n, cols empty; a scalar: both empty), never a made-up n x 1. */
static void csv_shape(rmtk__sink *s, const rmtk_analysis *a, const rmtk__entry *e,
                      const rmtk_analysis_row *r)
{
    rmtk_tensor_info ti;
    const rmtk_tensor_info *t = e->e.skip != RMTK_SKIP_NONE ? tensor_info(a, e, &ti) : NULL;
    if (t && t->ndim == 0)
        rmtk__sink_puts(s, ",,");
    else if (t && t->ndim == 1)
        rmtk__sink_printf(s, ",%lld,", (long long)t->shape[0]);
    else if (!t && e->e.skip == RMTK_SKIP_NDIM && e->e.cols == 0 && e->e.rows > 0)
        rmtk__sink_printf(s, ",%lld,", (long long)e->e.rows); /* memory: 1-D, n x 0 */
    else if (!t && e->e.skip == RMTK_SKIP_NDIM && e->e.cols == 0)
        rmtk__sink_puts(s, ",,"); /* memory: a scalar, 0 x 0 */
    else
        rmtk__sink_printf(s, ",%lld,%lld", (long long)r->rows, (long long)r->cols);
}

static int emit_csv(const void *ctx, rmtk_write_fn fn, void *user)
{
    const rmtk_analysis *a = ctx;
    rmtk__sink *s = rmtk__malloc(sizeof *s);
    if (!s)
        return RMTK_ERR_NOMEM;
    rmtk__sink_init(s, fn, user);
    for (size_t c = 0; c < sizeof csv_fixed / sizeof csv_fixed[0]; c++)
        rmtk__sink_printf(s, "%s%s", c ? "," : "", csv_fixed[c]);
    for (size_t c = 0; c < a->nactive; c++)
        rmtk__sink_printf(s, ",%s", rmtk__columns[a->active[c]].name);
    rmtk__sink_puts(s, "\n");
    for (size_t i = 0; i < a->nentries; i++) {
        rmtk_analysis_row r;
        rmtk_analysis_row_get(a, i, &r);
        const rmtk__entry *e = &a->entries[i];
        rmtk__csv_string(s, r.name);
        rmtk__sink_puts(s, ",");
        rmtk__csv_string(s, tensor_name(a, e));
        rmtk__sink_puts(s, ",");
        rmtk__csv_string(s, entry_file(a, e));
        rmtk__sink_puts(s, ",");
        rmtk__csv_string(s, entry_source(a, e));
        if (e->e.slice >= 0)
            rmtk__sink_printf(s, ",%lld", (long long)e->e.slice);
        else
            rmtk__sink_puts(s, ",");
        if (r.block >= 0)
            rmtk__sink_printf(s, ",%d", (int)r.block);
        else
            rmtk__sink_puts(s, ",");
        rmtk__sink_puts(s, ",");
        rmtk__csv_string(s, r.module);
        if (r.expert >= 0)
            rmtk__sink_printf(s, ",%d", (int)r.expert);
        else
            rmtk__sink_puts(s, ",");
        csv_shape(s, a, e, &r);
        rmtk__sink_printf(s, ",%s,%s,%s,", r.dtype, r.method, r.status);
        rmtk__csv_string(s, r.reason);
        rmtk__sink_puts(s, ",");
        char verdict[512];
        int looks = rmtk__entry_verdict(a, i, verdict, sizeof verdict);
        rmtk__csv_string(s, verdict);
        if (looks == RMTK_VERDICT_UNDETERMINED)
            rmtk__sink_puts(s, ",");
        else
            rmtk__sink_printf(s, ",%d", looks);
        for (size_t c = 0; c < a->nactive; c++) {
            double v = e->values[a->active[c]];
            if (rmtk__columns[a->active[c]].status && !isnan(v))
                rmtk__sink_printf(s, ",%s", rmtk_stat_status_name((int)v));
            else
                csv_value(s, a->active[c], v);
        }
        rmtk__sink_puts(s, "\n");
    }
    int st = rmtk__sink_finish(s);
    rmtk__free(s);
    return st;
}

static const char *method_str(int m)
{
    return m == RMTK_SPECTRUM_GRAM ? "gram" : m == RMTK_SPECTRUM_SVD ? "svd" : "auto";
}

static void emit_params(rmtk__sink *s, const rmtk_analysis_params *p, int32_t threads)
{
    rmtk__json_key(s, "parameters");
    rmtk__json_begin(s, '{');
    rmtk__json_key(s, "stats");
    rmtk__json_begin(s, '[');
    static const char *const names[] = {"basic", "mp",    "levels", "vectors",
                                        "null",  "tails", "laws",   "alpha"};
    for (int b = 0; b < 8; b++)
        if (p->stats & (1u << b))
            rmtk__json_string(s, names[b]);
    rmtk__json_end(s, ']');
    rmtk__json_kv_string(s, "conv", p->extract.conv_mode == RMTK_CONV_SLICES   ? "slices"
                                    : p->extract.conv_mode == RMTK_CONV_POOLED ? "pooled"
                                                                               : "flatten");
    rmtk__json_kv_int(s, "min_side", (long long)p->extract.min_side);
    rmtk__json_key(s, "include");
    if (p->extract.include)
        rmtk__json_string(s, p->extract.include);
    else
        rmtk__json_null(s);
    rmtk__json_key(s, "exclude");
    if (p->extract.exclude)
        rmtk__json_string(s, p->extract.exclude);
    else
        rmtk__json_null(s);
    rmtk__json_kv_string(s, "spectrum_method", method_str(p->spectrum.method));
    rmtk__json_kv_number(s, "gram_rtol", p->spectrum.gram_rtol);
    rmtk__json_kv_int(s, "threads", threads); /* used: 0 (all cores) resolved */
    rmtk__json_kv_int(s, "seed", (long long)p->seed);
    rmtk__json_kv_number(s, "significance", p->significance);
    rmtk__json_kv_string(s, "multitest", rmtk_multitest_name(p->multitest));
    if (p->stats & RMTK_STATS_MP) {
        rmtk__json_key(s, "mp");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "sigma2_fit", p->mp.estimator == RMTK_MP_EST_MEDIAN
                                                  ? "robust step-down TW, median"
                                                  : "robust step-down TW, mean");
        rmtk__json_kv_int(s, "paper_window", p->mp.window);
        rmtk__json_kv_string(s, "paper_broadening",
                             p->mp.broadening == RMTK_MP_BROADEN_DROP ? "drop" : "replicate");
        rmtk__json_kv_int(s, "paper_n_samples", p->mp.n_samples);
        rmtk__json_kv_number(s, "paper_fit_range", p->mp.fit_range);
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_LEVELS) {
        const rmtk_levels_params *l = &p->levels;
        rmtk__json_key(s, "levels");
        rmtk__json_begin(s, '{');
        const char *method = l->unfold.method == RMTK_UNFOLD_GAUSS  ? "gauss"
                             : l->unfold.method == RMTK_UNFOLD_POLY ? "poly"
                             : l->unfold.cdf                        ? "cdf"
                                                                    : "mp";
        rmtk__json_kv_string(s, "unfold", method);
        if (l->unfold.method == RMTK_UNFOLD_GAUSS) {
            rmtk__json_kv_int(s, "window", l->unfold.window);
            rmtk__json_kv_string(s, "edge", l->unfold.gauss_edge == RMTK_GAUSS_DROP ? "drop"
                                                                                    : "replicate");
        } else if (l->unfold.method == RMTK_UNFOLD_POLY) {
            rmtk__json_kv_int(s, "degree", l->unfold.poly_degree);
        }
        rmtk__json_kv_int(s, "brody_bootstrap", l->brody_boot);
        rmtk__json_kv_string(s, "sigma2", l->sigma2_mc ? "monte-carlo" : "exact");
        rmtk__json_kv_number(s, "delta3_step", l->delta3_step);
        rmtk__json_kv_int(s, "ratio_bins", l->ratio_bins);
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_VECTORS) {
        static const char *const pt_names[] = {"exact_mc", "exact_kolmogorov", "paper", "staats"};
        rmtk__json_key(s, "vectors");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "method", p->vectors.method >= 0 && p->vectors.method < 4
                                              ? pt_names[p->vectors.method] : "?");
        rmtk__json_kv_int(s, "nsamples", (long long)p->vectors.nsamples);
        rmtk__json_kv_int(s, "pooling_window", (long long)p->vectors.pooling_window);
        rmtk__json_kv_int(s, "ma_window", (long long)p->vectors.ma_window);
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_NULL) {
        rmtk__json_key(s, "null");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_int(s, "replicas", (long long)p->null.replicas);
        rmtk__json_kv_string(s, "kinds", "element shuffle, matched Gaussian");
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_LAWS) {
        rmtk__json_key(s, "laws");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_int(s, "max_L", (long long)p->laws.max_L);
        rmtk__json_kv_int(s, "mp_semicircle", (long long)p->laws.mp_semicircle);
        rmtk__json_kv_int(s, "bootstrap", (long long)p->laws.bootstrap);
        rmtk__json_kv_number(s, "product_width", p->laws.product_width);
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_ALPHA) {
        static const char *const ff[] = {"none", "xmin_peak", "clip_xmax"};
        rmtk__json_key(s, "ww_fit"); /* "alpha" names only the exponent in the report */
        rmtk__json_begin(s, '{');
        int f = p->tails.ww.fix_fingers;
        rmtk__json_kv_string(s, "fix_fingers", f >= 0 && f <= 2 ? ff[f] : "");
        rmtk__json_kv_int(s, "max_fingers", (long long)p->tails.ww.max_fingers);
        rmtk__json_kv_number(s, "finger_thresh", p->tails.ww.finger_thresh);
        rmtk__json_kv_int(s, "xmax", (long long)p->tails.ww.xmax_clip);
        static const char *const fk[] = {"PL", "TPL", "E_TPL"};
        int k = p->tails.ww.fit;
        rmtk__json_kv_string(s, "fit", k >= 0 && k <= 2 ? fk[k] : "");
        rmtk__json_end(s, '}');
    }
    if (p->stats & RMTK_STATS_TAILS) {
        rmtk__json_key(s, "tails");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "data", "lambda = sigma^2");
        rmtk__json_kv_int(s, "bootstrap", (long long)p->tails.powerlaw.bootstrap);
        rmtk__json_kv_int(s, "min_tail", (long long)p->tails.powerlaw.min_tail);
        rmtk__json_kv_number(s, "xmax", p->tails.powerlaw.xmax);
        rmtk__json_kv_int(s, "hill_k_min", (long long)p->tails.hill.k_min);
        rmtk__json_kv_number(s, "hill_span_ratio", p->tails.hill.span_ratio);
        rmtk__json_kv_number(s, "hill_z", p->tails.hill.z);
        rmtk__json_kv_number(s, "hill_k_max_frac", p->tails.hill.k_max_frac);
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, '}');
}

static int emit_json(const void *ctx, rmtk_write_fn fn, void *user)
{
    const rmtk_analysis *a = ctx;
    rmtk__sink *s = rmtk__malloc(sizeof *s);
    if (!s)
        return RMTK_ERR_NOMEM;
    rmtk__sink_init(s, fn, user);
    rmtk__json_begin(s, '{');
    rmtk__json_kv_string(s, "schema", "rmtk-report");
    rmtk__json_kv_int(s, "schema_version", RMTK_REPORT_SCHEMA_VERSION);
    rmtk__json_kv_string(s, "rmtk_version", rmtk_version());
    rmtk__json_kv_string(s, "backend", "cpu");
    rmtk__json_kv_string(s, "blas", openblas_get_config());
    rmtk__json_kv_string(s, "precision", "float64");
    rmtk__json_kv_string(s, "eigenvalue_convention", "lambda = sigma^2 of W (no 1/N)");
    rmtk__json_kv_int(s, "seed", (long long)a->p.seed);
    emit_params(s, &a->p, rmtk__threads_used(a));

    rmtk__json_key(s, "inputs");
    rmtk__json_begin(s, '[');
    for (size_t m = 0; m < a->nmodels; m++) {
        rmtk_model *mod = a->models[m].model;
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "path", a->models[m].path);
        rmtk__json_kv_string(s, "source", a->models[m].source ? a->models[m].source : "");
        rmtk__json_kv_string(s, "format", rmtk_model_format(mod));
        rmtk__json_kv_int(s, "tensors", (long long)rmtk_model_tensor_count(mod));
        rmtk_architecture ar;
        if (rmtk_model_architecture(mod, &ar) == RMTK_OK && *ar.source) {
            /* what the layer extraction used to split fused projections (config.json/GGUF) */
            rmtk__json_key(s, "architecture");
            rmtk__json_begin(s, '{');
            rmtk__json_kv_string(s, "type", ar.type);
            rmtk__json_kv_string(s, "source", ar.source);
            rmtk__json_kv_int(s, "layers", (long long)ar.layers);
            rmtk__json_kv_int(s, "heads", (long long)ar.heads);
            rmtk__json_kv_int(s, "kv_heads", (long long)ar.kv_heads);
            rmtk__json_kv_int(s, "hidden", (long long)ar.hidden);
            rmtk__json_kv_int(s, "head_dim", (long long)ar.head_dim);
            rmtk__json_kv_int(s, "intermediate", (long long)ar.intermediate);
            rmtk__json_kv_int(s, "tie_embeddings", (long long)ar.tie_embeddings);
            rmtk__json_end(s, '}');
        }
        rmtk__json_key(s, "metadata");
        rmtk__json_begin(s, '{');
        for (size_t k = 0; k < rmtk_model_metadata_count(mod); k++) {
            const char *key, *val;
            if (rmtk_model_metadata(mod, k, &key, &val) == RMTK_OK)
                rmtk__json_kv_string(s, key, val);
        }
        rmtk__json_end(s, '}');
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, ']');

    rmtk__json_key(s, "columns");
    rmtk__json_begin(s, '[');
    for (size_t c = 0; c < a->nactive; c++)
        rmtk__json_string(s, rmtk__columns[a->active[c]].name);
    rmtk__json_end(s, ']');

    rmtk__json_key(s, "status_codes"); /* code -> name of the status columns */
    rmtk__json_begin(s, '[');
    for (int c = RMTK_STAT_OK; c <= RMTK_STAT_DEGENERATE; c++)
        rmtk__json_string(s, rmtk_stat_status_name(c));
    rmtk__json_end(s, ']');
    rmtk__json_kv_int(s, "min_levels", RMTK_ANALYSIS_MIN_LEVELS);
    rmtk__json_kv_int(s, "min_tail", RMTK_ANALYSIS_MIN_TAIL);

    rmtk__summary_json(s, a);

    rmtk__json_key(s, "matrices");
    rmtk__json_begin(s, '[');
    for (size_t i = 0; i < a->nentries; i++) {
        const rmtk__entry *e = &a->entries[i];
        if (e->e.skip != RMTK_SKIP_NONE)
            continue;
        rmtk_analysis_row r;
        rmtk_analysis_row_get(a, i, &r);
        rmtk__sink_puts(s, "\n");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "name", r.name);
        rmtk__json_kv_string(s, "tensor", tensor_name(a, e));
        rmtk__json_kv_int(s, "slice", (long long)e->e.slice);
        rmtk__json_kv_string(s, "file", entry_file(a, e));
        rmtk__json_kv_string(s, "source", entry_source(a, e));
        rmtk__json_kv_int(s, "block", (long long)r.block);
        rmtk__json_kv_string(s, "module", r.module);
        rmtk__json_kv_int(s, "expert", (long long)r.expert);
        rmtk__json_kv_int(s, "rows", (long long)r.rows);
        rmtk__json_kv_int(s, "cols", (long long)r.cols);
        rmtk__json_kv_string(s, "dtype", r.dtype);
        rmtk__json_kv_string(s, "status", r.status);
        char verdict[512];
        int looks = rmtk__entry_verdict(a, i, verdict, sizeof verdict);
        rmtk__json_kv_string(s, "verdict", verdict);
        if (a->p.stats & RMTK_STATS_LAWS) {
            /* the law-selection phrase, apart from the random/structure verdict */
            char lv[512];
            rmtk__law_verdict(e->values, a->p.significance, lv, sizeof lv);
            rmtk__json_kv_string(s, "law_verdict", lv);
        }
        rmtk__json_key(s, "looks_random"); /* 1, 0, null (undetermined) */
        if (looks == RMTK_VERDICT_UNDETERMINED)
            rmtk__json_null(s);
        else
            rmtk__json_int(s, looks);
        rmtk__json_key(s, "seed"); /* of its randomised statistics (rmtk tail --seed) */
        rmtk__json_uint(s, rmtk__matrix_seed(a->p.seed, i));
        if (e->status) {
            rmtk__json_kv_string(s, "error", r.reason);
        } else {
            rmtk__json_kv_string(s, "method", r.method);
            rmtk__json_key(s, "gram_fallback");
            rmtk__json_bool(s, e->fallback == 1);
            rmtk__json_key(s, "gram_skipped");
            rmtk__json_bool(s, e->fallback == 2);
        }
        rmtk__json_key(s, "metrics");
        rmtk__json_begin(s, '{');
        for (size_t c = 0; c < a->nactive; c++) {
            double v = e->values[a->active[c]];
            const rmtk__column *col = &rmtk__columns[a->active[c]];
            if (col->integer && isfinite(v) && v == floor(v) && fabs(v) < 9.0e18)
                rmtk__json_kv_int(s, col->name, (long long)v); /* no decimal point */
            else
                rmtk__json_kv_number(s, col->name, v);
        }
        rmtk__json_end(s, '}');
        rmtk__json_key(s, "statuses");
        rmtk__json_begin(s, '{');
        for (size_t c = 0; c < a->nactive; c++) {
            double v = e->values[a->active[c]];
            if (rmtk__columns[a->active[c]].status && !isnan(v))
                rmtk__json_kv_string(s, rmtk__columns[a->active[c]].name,
                                     rmtk_stat_status_name((int)v));
        }
        rmtk__json_end(s, '}');
        rmtk__json_key(s, "arrays");
        rmtk__json_begin(s, '{');
        for (size_t j = 0; j < e->narrays; j++) {
            rmtk__json_key(s, e->arrays[j].key);
            rmtk__json_array(s, e->arrays[j].x, e->arrays[j].n);
        }
        rmtk__json_end(s, '}');
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, ']');

    rmtk__json_key(s, "skipped");
    rmtk__json_begin(s, '[');
    for (size_t i = 0; i < a->nentries; i++) {
        const rmtk__entry *e = &a->entries[i];
        if (e->e.skip == RMTK_SKIP_NONE)
            continue;
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "name", e->e.name);
        rmtk__json_kv_string(s, "file", entry_file(a, e));
        rmtk__json_kv_string(s, "source", entry_source(a, e));
        rmtk__json_kv_string(s, "dtype", rmtk_dtype_name(e->e.dtype));
        rmtk__json_kv_string(s, "skip", rmtk_skip_name(e->e.skip));
        rmtk_tensor_info ti;
        if (tensor_info(a, e, &ti)) { /* the stored shape, integers */
            rmtk__json_key(s, "shape");
            rmtk__json_begin(s, '[');
            for (int32_t d = 0; d < ti.ndim; d++)
                rmtk__json_int(s, (long long)ti.shape[d]);
            rmtk__json_end(s, ']');
        }
        rmtk__json_kv_string(s, "reason", e->e.reason);
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, ']');
    if (a->nprov) { /* how the run went (ranks, hosts, timing): last, apart from the results */
        rmtk__json_key(s, "provenance");
        rmtk__json_begin(s, '{');
        for (size_t j = 0; j < a->nprov; j++) {
            if (a->prov[j].text)
                rmtk__json_kv_string(s, a->prov[j].key, a->prov[j].text);
            else
                rmtk__json_kv_number(s, a->prov[j].key, a->prov[j].number);
        }
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, '}');
    rmtk__sink_puts(s, "\n");
    int st = rmtk__sink_finish(s);
    rmtk__free(s);
    return st;
}

int rmtk_analysis_write_csv_fn(const rmtk_analysis *a, rmtk_write_fn fn, void *user)
{
    if (!a || !fn)
        return RMTK_ERR_ARG;
    return emit_csv(a, fn, user);
}

int rmtk_analysis_write_json_fn(const rmtk_analysis *a, rmtk_write_fn fn, void *user)
{
    if (!a || !fn)
        return RMTK_ERR_ARG;
    return emit_json(a, fn, user);
}

int rmtk_analysis_write_csv(const rmtk_analysis *a, const char *path)
{
    if (!a || !path)
        return RMTK_ERR_ARG;
    return rmtk__write_atomic(path, emit_csv, a, ((rmtk_analysis *)a)->errmsg);
}

int rmtk_analysis_write_json(const rmtk_analysis *a, const char *path)
{
    if (!a || !path)
        return RMTK_ERR_ARG;
    return rmtk__write_atomic(path, emit_json, a, ((rmtk_analysis *)a)->errmsg);
}
