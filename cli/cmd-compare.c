/*
 * cmd-compare.c: `rmtk compare BASE TARGET --out DIR`. Matches the matrices of two checkpoints
 * by name (after --rename substitutions), analyses each side with the library's analysis (both
 * sides' statistics side by side with their differences), and the difference
 * Delta W = W_target - W_base of every matched pair as a matrix of its own: its spectrum, its
 * numerical rank at the stored precision (rmtk_delta_rank_tol), stable rank, relative Frobenius
 * size, the statistics requested (as a given spectrum), and the principal angles between the top
 * singular subspaces of the two sides. One pair at a time: the two matrices, the delta and their
 * vectors are the only model data in memory. Writes DIR/compare.csv, DIR/compare.json, figures/
 * and report.html (docs/report.md, "rmtk compare").
 */
#include "cli.h"

#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COMPARE_SCHEMA_VERSION 1
#define MAX_RENAMES 64

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk compare BASE TARGET --out DIR [options]\n"
            "\n"
            "Compare two checkpoints (any format rmtk reads: files, sharded indexes, folders)\n"
            "matrix by matrix. Matrices are matched by name; for every pair: both sides'\n"
            "statistics and their difference, the delta W_target - W_base analysed as a matrix\n"
            "(spectrum, numerical rank at the stored precision, stable rank, ||dW||_F/||W||_F),\n"
            "and the principal angles between the top-k singular subspaces. Writes into DIR:\n"
            "  compare.csv    one row per matched matrix, then the unmatched and mismatched ones\n"
            "  compare.json   everything, with the parameters and both inputs' provenance\n"
            "  report.html    summary, trend figures, table, per-layer ESD overlays\n"
            "  figures/       compare-*.svg (change against block per module type) and\n"
            "                 NNN-LAYER-esd.svg (ESD of base, target and delta), each with .csv\n"
            "\n"
            "options:\n"
            "  --out DIR          output directory (created if missing)\n"
            "  --stats LIST       statistics of each side and of the delta: basic, mp, levels,\n"
            "                     vectors, null, tails, all (default basic,mp,levels; the delta\n"
            "                     is analysed as a spectrum: vectors and null not for it)\n"
            "  --rename FROM=TO   rewrite names before matching (POSIX extended regex FROM, every\n"
            "                     match replaced by TO, \\1..\\9 refer to groups); applied to both\n"
            "                     sides' names in the order given; repeatable\n"
            "  --top K            principal angles between the top-K subspaces (default: the\n"
            "                     base's number of MP outliers n_spikes, at least 1)\n"
            "  --label NAME       the source label of BASE, then of TARGET (repeat; default\n"
            "                     derived from the paths)\n"
            "  --include REGEX    only tensors whose (original) name matches\n"
            "  --exclude REGEX    skip tensors whose name matches\n"
            "  --min-side N       skip matrices with a side below N (default 10)\n"
            "  --threads N        worker threads of the side analyses (default: all cores)\n"
            "  --seed N           seed of randomised statistics (default 1)\n"
            "  --no-plots         no figures, no report.html\n"
            "  --quiet            no table, no progress\n"
            "  --help             this text\n");
}

typedef struct {
    regex_t re;
    const char *from, *to;
} rename_rule;

/* name with every match of each rule replaced, rules in order; \1..\9 in TO are groups. */
static void apply_renames(const rename_rule *r, size_t nr, const char *name, char *out, size_t n)
{
    char cur[2048], next[2048];
    snprintf(cur, sizeof cur, "%s", name);
    for (size_t k = 0; k < nr; k++) {
        size_t o = 0;
        const char *p = cur;
        regmatch_t m[10];
        int guard = 0;
        while (*p && regexec(&r[k].re, p, 10, m, p == cur ? 0 : REG_NOTBOL) == 0 &&
               guard++ < 1000) {
            for (regoff_t i = 0; i < m[0].rm_so && o + 1 < sizeof next; i++)
                next[o++] = p[i];
            for (const char *t = r[k].to; *t && o + 1 < sizeof next; t++) {
                if (t[0] == '\\' && t[1] >= '0' && t[1] <= '9') {
                    int g = t[1] - '0';
                    for (regoff_t i = m[g].rm_so; g < 10 && m[g].rm_so >= 0 && i < m[g].rm_eo &&
                                                  o + 1 < sizeof next;
                         i++)
                        next[o++] = p[i];
                    t++;
                } else {
                    next[o++] = *t;
                }
            }
            if (m[0].rm_eo == m[0].rm_so) { /* an empty match: copy one character on */
                if (p[m[0].rm_eo] && o + 1 < sizeof next)
                    next[o++] = p[m[0].rm_eo];
                p += m[0].rm_eo + (p[m[0].rm_eo] != '\0');
            } else {
                p += m[0].rm_eo;
            }
        }
        for (; *p && o + 1 < sizeof next; p++)
            next[o++] = *p;
        next[o] = '\0';
        memcpy(cur, next, o + 1);
    }
    snprintf(out, n, "%s", cur);
}

/* One matrix entry of one side, under its canonical (renamed) name. */
typedef struct {
    char *canon;
    size_t idx; /* in the side's layer list (= its analysis row) */
    rmtk_matrix_entry e;
    int used;
} side_ent;

static int cmp_ent(const void *a, const void *b)
{
    const side_ent *x = a, *y = b;
    int c = strcmp(x->canon, y->canon);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

typedef struct {
    const char *canon;
    const side_ent *b, *t;
    int status; /* RMTK_OK or the error */
    char reason[512];
    int zero;
    size_t k, top;
    double tol, fro_b, fro_t, fro_d, sigma1_d, stable, rel, eps;
    size_t rank;
    double *ang_l, *ang_r, *ov_l, *ov_r; /* top each (degrees for angles) */
    size_t delta_row;
} pair;

typedef struct {
    const char *path, *label;
    rmtk_model *m;
    rmtk_layers *l;
    rmtk_analysis *an;
    side_ent *ents;
    size_t n;
} side;

static int open_side(side *s, const rmtk_analysis_params *p, const rename_rule *rr, size_t nr)
{
    int st = rmtk_model_open(s->path, &s->m);
    if (st) {
        cli_error("compare: %s", s->m ? rmtk_model_errmsg(s->m) : rmtk_status_str(st));
        return st;
    }
    if ((st = rmtk_layers_alloc(s->m, &p->extract, &s->l))) {
        cli_error("compare: %s", rmtk_model_errmsg(s->m));
        return st;
    }
    s->n = rmtk_layers_count(s->l);
    s->ents = calloc(s->n ? s->n : 1, sizeof *s->ents);
    if (!s->ents)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < s->n; i++) {
        char buf[2048];
        rmtk_layers_get(s->l, i, &s->ents[i].e);
        s->ents[i].idx = i;
        apply_renames(rr, nr, s->ents[i].e.name, buf, sizeof buf);
        if (!(s->ents[i].canon = strdup(buf)))
            return RMTK_ERR_NOMEM;
    }
    qsort(s->ents, s->n, sizeof *s->ents, cmp_ent);
    if ((st = rmtk_analysis_alloc(p, &s->an)))
        return st;
    if ((st = rmtk_analysis_add_model_labeled(s->an, s->m, s->path, s->label))) {
        cli_error("compare: %s", rmtk_analysis_errmsg(s->an));
        return st;
    }
    return RMTK_OK;
}

static void close_side(side *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ents[i].canon);
    free(s->ents);
    rmtk_analysis_free(s->an);
    rmtk_layers_free(s->l);
    rmtk_model_close(s->m);
}

static side_ent *find_ent(side *s, const char *canon)
{
    side_ent key;
    memset(&key, 0, sizeof key);
    key.canon = (char *)canon;
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (strcmp(s->ents[mid].canon, canon) < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && strcmp(s->ents[lo].canon, canon) == 0 ? &s->ents[lo] : NULL;
}

/* A mismatched or unmatched name, with why. */
typedef struct {
    const char *kind; /* "unmatched_base", "unmatched_target", "mismatch" */
    const side_ent *b, *t;
    char reason[512];
} odd_ent;

static double fro_of(const double *x, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++)
        s += x[i] * x[i];
    return sqrt(s);
}

/* The delta and the subspace comparison of one pair (buffers sized by the caller). */
static int compare_pair(pair *pr, side *B, side *T, rmtk_spectrum_plan *plan, double *wb,
                        double *wt, double *sv, double *ub, double *vb, double *ut,
                        double *vt, double *svd_b, double *svd_t, size_t top_opt,
                        const rmtk_analysis *base_an, rmtk_analysis *delta_an)
{
    const rmtk_matrix_entry *eb = &pr->b->e, *et = &pr->t->e;
    int64_t rows = eb->rows, cols = eb->cols;
    size_t k = (size_t)(rows < cols ? rows : cols), nel = (size_t)rows * (size_t)cols;
    pr->k = k;
    rmtk_matrix_view v;
    int st;
    if ((st = rmtk_layers_view(B->m, eb, &v)) || (st = rmtk_matrix_to_double(v, wb))) {
        snprintf(pr->reason, sizeof pr->reason, "base: %s", rmtk_model_errmsg(B->m));
        return st;
    }
    if ((st = rmtk_layers_view(T->m, et, &v)) || (st = rmtk_matrix_to_double(v, wt))) {
        snprintf(pr->reason, sizeof pr->reason, "target: %s", rmtk_model_errmsg(T->m));
        return st;
    }
    pr->fro_b = fro_of(wb, nel);
    pr->fro_t = fro_of(wt, nel);
    rmtk_matrix_view mv = {NULL, rows, cols, cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
    mv.data = wb;
    if ((st = rmtk_spectrum_execute(plan, mv, svd_b, ub, vb, NULL))) {
        snprintf(pr->reason, sizeof pr->reason, "base: %s", rmtk_spectrum_errmsg(plan));
        return st;
    }
    mv.data = wt;
    if ((st = rmtk_spectrum_execute(plan, mv, svd_t, ut, vt, NULL))) {
        snprintf(pr->reason, sizeof pr->reason, "target: %s", rmtk_spectrum_errmsg(plan));
        return st;
    }
    /* the delta, in place of the target (the plan has copied what it needed) */
    double *d = wt;
    int zero = 1;
    for (size_t i = 0; i < nel; i++) {
        d[i] = wt[i] - wb[i]; /* exact for stored floats of <= 53 bits at similar scale */
        zero &= d[i] == 0.0;
    }
    pr->zero = zero;
    pr->fro_d = fro_of(d, nel);
    if (zero) {
        memset(sv, 0, k * sizeof *sv);
    } else {
        mv.data = d;
        if ((st = rmtk_spectrum_execute(plan, mv, sv, NULL, NULL, NULL))) {
            snprintf(pr->reason, sizeof pr->reason, "delta: %s", rmtk_spectrum_errmsg(plan));
            return st;
        }
    }
    double eb_eps = rmtk_dtype_eps(eb->dtype), et_eps = rmtk_dtype_eps(et->dtype);
    pr->eps = eb_eps > et_eps ? eb_eps : et_eps;
    pr->tol = rmtk_delta_rank_tol(sv, k, rows, cols, pr->fro_b, pr->fro_t, pr->eps);
    pr->rank = 0;
    while (!zero && pr->rank < k && sv[pr->rank] > pr->tol)
        pr->rank++;
    pr->sigma1_d = sv[0];
    pr->stable = zero ? NAN : pr->fro_d * pr->fro_d / (sv[0] * sv[0]);
    pr->rel = pr->fro_b > 0 ? pr->fro_d / pr->fro_b : NAN;
    /* k of the subspaces: --top, else the base's MP outliers (at least 1) */
    size_t top = top_opt;
    if (!top) {
        size_t c;
        double ns = NAN;
        if (rmtk_analysis_column_find(base_an, "n_spikes", &c) == RMTK_OK)
            ns = rmtk_analysis_value(base_an, pr->b->idx, c);
        /* only an MP fit its status calls usable (docs/report.md, "Status columns") */
        if (rmtk_analysis_column_find(base_an, "mp_fit_status", &c) == RMTK_OK &&
            rmtk_analysis_value(base_an, pr->b->idx, c) != RMTK_STAT_OK)
            ns = NAN;
        top = isfinite(ns) && ns >= 1 ? (size_t)ns : 1;
    }
    if (top > k)
        top = k;
    pr->top = top;
    pr->ang_l = calloc(4 * top, sizeof(double));
    if (!pr->ang_l)
        return RMTK_ERR_NOMEM;
    pr->ang_r = pr->ang_l + top, pr->ov_l = pr->ang_r + top, pr->ov_r = pr->ov_l + top;
    if ((st = rmtk_principal_angles(ub, (size_t)rows, top, ut, top, pr->ang_l)) ||
        (st = rmtk_principal_angles(vb, (size_t)cols, top, vt, top, pr->ang_r)) ||
        (st = rmtk_subspace_overlap(ub, (size_t)rows, top, ut, top, pr->ov_l)) ||
        (st = rmtk_subspace_overlap(vb, (size_t)cols, top, vt, top, pr->ov_r))) {
        snprintf(pr->reason, sizeof pr->reason, "principal angles: %s", rmtk_status_str(st));
        return st;
    }
    for (size_t i = 0; i < top; i++) {
        pr->ang_l[i] *= 180.0 / 3.14159265358979323846;
        pr->ang_r[i] *= 180.0 / 3.14159265358979323846;
    }
    pr->delta_row = rmtk_analysis_count(delta_an);
    if ((st = rmtk_analysis_add_spectrum(delta_an, pr->canon, sv, k, rows, cols))) {
        snprintf(pr->reason, sizeof pr->reason, "delta: %s", rmtk_analysis_errmsg(delta_an));
        pr->delta_row = (size_t)-1;
        return st;
    }
    return RMTK_OK;
}

/* ---- output --------------------------------------------------------------------------------- */

static void csv_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; s && *s; s++) {
        if (*s == '"')
            fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void csv_num(FILE *f, double v, int integer)
{
    if (isnan(v))
        fputs(",", f);
    else if (isinf(v))
        fputs(v > 0 ? ",inf" : ",-inf", f);
    else if (integer && v == floor(v) && fabs(v) < 9e18)
        fprintf(f, ",%lld", (long long)v);
    else
        fprintf(f, ",%.17g", v);
}

static void csv_list(FILE *f, const double *x, size_t n)
{
    fputc(',', f);
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s%.10g", i ? ";" : "", x[i]);
}

static double vmax(const double *x, size_t n)
{
    double m = NAN;
    for (size_t i = 0; i < n; i++)
        m = isnan(m) || x[i] > m ? x[i] : m;
    return m;
}

static double vmin(const double *x, size_t n)
{
    double m = NAN;
    for (size_t i = 0; i < n; i++)
        m = isnan(m) || x[i] < m ? x[i] : m;
    return m;
}

/* Columns of the delta analysis left out of compare.csv: the rank columns use the float64
 * tolerance of a given spectrum (delta_rank is the stored-precision one) and stable_rank is
 * delta_stable_rank already. */
static int delta_col_skipped(const char *c)
{
    return strcmp(c, "numerical_rank") == 0 || strcmp(c, "n_null") == 0 ||
           strcmp(c, "stable_rank") == 0 || strcmp(c, "degenerate") == 0 ||
           strcmp(c, "lambda_err_bound") == 0;
}

static const char *const fixed_cols[] = {
    "name", "name_base", "name_target", "file_base", "file_target", "source_base",
    "source_target", "block", "module", "expert", "rows", "cols", "dtype_base", "dtype_target",
    "status", "reason", "top_k", "delta_zero", "delta_rank", "delta_rank_tol", "delta_sigma_1",
    "delta_fro", "delta_rel_fro", "delta_stable_rank", "angle_left_max_deg",
    "angle_right_max_deg", "overlap_left_min", "overlap_right_min", "angles_left_deg",
    "angles_right_deg", "overlap_left", "overlap_right"};

static const char *tensor_file(const side *s, const side_ent *e)
{
    rmtk_tensor_info ti;
    if (!e || rmtk_model_tensor_info(s->m, e->e.tensor, &ti) != RMTK_OK)
        return "";
    return ti.file ? ti.file : "";
}

typedef struct {
    side *B, *T;
    rmtk_analysis *D;
    pair *pairs;
    size_t np;
    odd_ent *odd;
    size_t nodd;
} results;

static void side_value_cols(const rmtk_analysis *a, FILE *f, size_t row)
{
    for (size_t c = 0; c < rmtk_analysis_column_count(a); c++) {
        double v = rmtk_analysis_value(a, row, c);
        const char *nm = rmtk_analysis_column_name(a, c);
        if (rmtk_analysis_column_is_status(a, c)) {
            fputc(',', f);
            if (!isnan(v))
                fputs(rmtk_stat_status_name((int)v), f);
        } else {
            csv_num(f, v, rmtk_report_key_is_integer(nm));
        }
    }
}

static int write_csv(const results *r, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("compare: cannot write %s", path);
        return RMTK_ERR_IO;
    }
    const rmtk_analysis *A = r->B->an, *D = r->D;
    for (size_t c = 0; c < sizeof fixed_cols / sizeof fixed_cols[0]; c++)
        fprintf(f, "%s%s", c ? "," : "", fixed_cols[c]);
    size_t nc = rmtk_analysis_column_count(A);
    for (size_t c = 0; c < nc; c++)
        fprintf(f, ",base_%s", rmtk_analysis_column_name(A, c));
    for (size_t c = 0; c < nc; c++)
        fprintf(f, ",target_%s", rmtk_analysis_column_name(A, c));
    for (size_t c = 0; c < nc; c++)
        if (!rmtk_analysis_column_is_status(A, c))
            fprintf(f, ",diff_%s", rmtk_analysis_column_name(A, c));
    for (size_t c = 0; c < rmtk_analysis_column_count(D); c++)
        if (!delta_col_skipped(rmtk_analysis_column_name(D, c)))
            fprintf(f, ",delta_%s", rmtk_analysis_column_name(D, c));
    fputc('\n', f);
    for (size_t i = 0; i < r->np; i++) {
        const pair *p = &r->pairs[i];
        const rmtk_matrix_entry *eb = &p->b->e;
        csv_str(f, p->canon);
        fputc(',', f);
        csv_str(f, p->b->e.name);
        fputc(',', f);
        csv_str(f, p->t->e.name);
        fputc(',', f);
        csv_str(f, tensor_file(r->B, p->b));
        fputc(',', f);
        csv_str(f, tensor_file(r->T, p->t));
        fputc(',', f);
        csv_str(f, r->B->label);
        fputc(',', f);
        csv_str(f, r->T->label);
        csv_num(f, eb->block >= 0 ? eb->block : NAN, 1);
        fputc(',', f);
        csv_str(f, eb->module);
        csv_num(f, eb->expert >= 0 ? eb->expert : NAN, 1);
        csv_num(f, (double)eb->rows, 1);
        csv_num(f, (double)eb->cols, 1);
        fprintf(f, ",%s,%s,%s,", rmtk_dtype_name(eb->dtype), rmtk_dtype_name(p->t->e.dtype),
                p->status ? "error" : "ok");
        csv_str(f, p->status ? p->reason : (p->zero ? "all-zero delta" : ""));
        if (p->status) {
            for (size_t c = 16; c < sizeof fixed_cols / sizeof fixed_cols[0]; c++)
                fputc(',', f);
        } else {
            csv_num(f, (double)p->top, 1);
            csv_num(f, p->zero, 1);
            csv_num(f, (double)p->rank, 1);
            csv_num(f, p->tol, 0);
            csv_num(f, p->sigma1_d, 0);
            csv_num(f, p->fro_d, 0);
            csv_num(f, p->rel, 0);
            csv_num(f, p->stable, 0);
            csv_num(f, vmax(p->ang_l, p->top), 0);
            csv_num(f, vmax(p->ang_r, p->top), 0);
            csv_num(f, vmin(p->ov_l, p->top), 0);
            csv_num(f, vmin(p->ov_r, p->top), 0);
            csv_list(f, p->ang_l, p->top);
            csv_list(f, p->ang_r, p->top);
            csv_list(f, p->ov_l, p->top);
            csv_list(f, p->ov_r, p->top);
        }
        side_value_cols(A, f, p->b->idx);
        side_value_cols(r->T->an, f, p->t->idx);
        for (size_t c = 0; c < nc; c++) {
            if (rmtk_analysis_column_is_status(A, c))
                continue;
            size_t tc;
            const char *nm = rmtk_analysis_column_name(A, c);
            double vb = rmtk_analysis_value(A, p->b->idx, c), vt = NAN;
            if (rmtk_analysis_column_find(r->T->an, nm, &tc) == RMTK_OK)
                vt = rmtk_analysis_value(r->T->an, p->t->idx, tc);
            csv_num(f, vt - vb, 0);
        }
        for (size_t c = 0; c < rmtk_analysis_column_count(D); c++) {
            const char *nm = rmtk_analysis_column_name(D, c);
            if (delta_col_skipped(nm))
                continue;
            double v = p->delta_row == (size_t)-1 ? NAN : rmtk_analysis_value(D, p->delta_row, c);
            if (rmtk_analysis_column_is_status(D, c)) {
                fputc(',', f);
                if (!isnan(v))
                    fputs(rmtk_stat_status_name((int)v), f);
            } else {
                csv_num(f, v, rmtk_report_key_is_integer(nm));
            }
        }
        fputc('\n', f);
    }
    /* unmatched and mismatched names: the descriptive columns and the reason */
    for (size_t i = 0; i < r->nodd; i++) {
        const odd_ent *o = &r->odd[i];
        const side_ent *e = o->b ? o->b : o->t;
        csv_str(f, e->canon);
        fputc(',', f);
        csv_str(f, o->b ? o->b->e.name : "");
        fputc(',', f);
        csv_str(f, o->t ? o->t->e.name : "");
        fputc(',', f);
        csv_str(f, tensor_file(r->B, o->b));
        fputc(',', f);
        csv_str(f, tensor_file(r->T, o->t));
        fputc(',', f);
        csv_str(f, o->b ? r->B->label : "");
        fputc(',', f);
        csv_str(f, o->t ? r->T->label : "");
        csv_num(f, e->e.block >= 0 ? e->e.block : NAN, 1);
        fputc(',', f);
        csv_str(f, e->e.module);
        csv_num(f, e->e.expert >= 0 ? e->e.expert : NAN, 1);
        int same = o->b && o->t && o->b->e.rows == o->t->e.rows && o->b->e.cols == o->t->e.cols;
        csv_num(f, !o->b || !o->t || same ? (double)e->e.rows : NAN, 1);
        csv_num(f, !o->b || !o->t || same ? (double)e->e.cols : NAN, 1);
        fprintf(f, ",%s,%s,%s,", o->b ? rmtk_dtype_name(o->b->e.dtype) : "",
                o->t ? rmtk_dtype_name(o->t->e.dtype) : "", o->kind);
        csv_str(f, o->reason);
        size_t ncols = sizeof fixed_cols / sizeof fixed_cols[0] - 16 + 2 * nc;
        for (size_t c = 0; c < nc; c++)
            ncols += !rmtk_analysis_column_is_status(A, c);
        for (size_t c = 0; c < rmtk_analysis_column_count(D); c++)
            ncols += !delta_col_skipped(rmtk_analysis_column_name(D, c));
        for (size_t c = 0; c < ncols; c++)
            fputc(',', f);
        fputc('\n', f);
    }
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    if (bad) {
        cli_error("compare: cannot write %s", path);
        return RMTK_ERR_IO;
    }
    return RMTK_OK;
}

static cJSON *metrics_obj(const rmtk_analysis *a, size_t row, int skip_delta_cols)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t c = 0; o && c < rmtk_analysis_column_count(a); c++) {
        const char *nm = rmtk_analysis_column_name(a, c);
        if (skip_delta_cols && delta_col_skipped(nm))
            continue;
        double v = row == (size_t)-1 ? NAN : rmtk_analysis_value(a, row, c);
        if (isnan(v))
            cJSON_AddNullToObject(o, nm);
        else if (rmtk_analysis_column_is_status(a, c))
            cJSON_AddStringToObject(o, nm, rmtk_stat_status_name((int)v));
        else
            cJSON_AddNumberToObject(o, nm, v);
    }
    return o;
}

static cJSON *num_array(const double *x, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, isfinite(x[i]) ? cJSON_CreateNumber(x[i]) : cJSON_CreateNull());
    return a;
}

static void add_num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *input_obj(const side *s)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "path", s->path);
    cJSON_AddStringToObject(o, "source", s->label);
    cJSON_AddStringToObject(o, "format", rmtk_model_format(s->m));
    cJSON_AddNumberToObject(o, "tensors", (double)rmtk_model_tensor_count(s->m));
    size_t na = 0;
    for (size_t i = 0; i < s->n; i++)
        na += s->ents[i].e.skip == RMTK_SKIP_NONE;
    cJSON_AddNumberToObject(o, "matrices", (double)na);
    cJSON *md = cJSON_AddObjectToObject(o, "metadata");
    for (size_t k = 0; k < rmtk_model_metadata_count(s->m); k++) {
        const char *key, *val;
        if (rmtk_model_metadata(s->m, k, &key, &val) == RMTK_OK)
            cJSON_AddStringToObject(md, key, val);
    }
    return o;
}

static int write_json(const results *r, const rmtk_analysis_params *p, const rename_rule *rr,
                      size_t nr, size_t top_opt, const char *stats, const char *path)
{
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "kind", "rmtk-compare");
    cJSON_AddNumberToObject(root, "schema_version", COMPARE_SCHEMA_VERSION);
    cJSON_AddStringToObject(root, "rmtk_version", rmtk_version());
    cJSON *par = cJSON_AddObjectToObject(root, "parameters");
    cJSON_AddStringToObject(par, "stats", stats);
    if (top_opt)
        cJSON_AddNumberToObject(par, "top", (double)top_opt);
    else
        cJSON_AddStringToObject(par, "top", "n_spikes of the base (at least 1)");
    cJSON *ren = cJSON_AddArrayToObject(par, "rename");
    for (size_t i = 0; i < nr; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "from", rr[i].from);
        cJSON_AddStringToObject(o, "to", rr[i].to);
        cJSON_AddItemToArray(ren, o);
    }
    if (p->extract.include)
        cJSON_AddStringToObject(par, "include", p->extract.include);
    else
        cJSON_AddNullToObject(par, "include");
    if (p->extract.exclude)
        cJSON_AddStringToObject(par, "exclude", p->extract.exclude);
    else
        cJSON_AddNullToObject(par, "exclude");
    cJSON_AddNumberToObject(par, "min_side", (double)p->extract.min_side);
    cJSON_AddNumberToObject(par, "seed", (double)p->seed);
    cJSON_AddNumberToObject(par, "significance", p->significance);
    cJSON_AddStringToObject(par, "delta_rank_tolerance",
                            "sd_1 max(N,M) eps_f64 + eps/sqrt(3) (rms(W_base) + rms(W_target)) "
                            "(sqrt N + sqrt M), eps the coarser stored dtype's resolution");
    cJSON_AddStringToObject(par, "angles", "degrees; principal angles ascending");
    cJSON *in = cJSON_AddObjectToObject(root, "inputs");
    cJSON_AddItemToObject(in, "base", input_obj(r->B));
    cJSON_AddItemToObject(in, "target", input_obj(r->T));
    size_t nzero = 0, nerr = 0;
    cJSON *mats = cJSON_AddArrayToObject(root, "matrices");
    for (size_t i = 0; i < r->np; i++) {
        const pair *pr = &r->pairs[i];
        const rmtk_matrix_entry *eb = &pr->b->e;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "name", pr->canon);
        cJSON_AddStringToObject(o, "name_base", eb->name);
        cJSON_AddStringToObject(o, "name_target", pr->t->e.name);
        cJSON_AddStringToObject(o, "file_base", tensor_file(r->B, pr->b));
        cJSON_AddStringToObject(o, "file_target", tensor_file(r->T, pr->t));
        cJSON_AddStringToObject(o, "source_base", r->B->label);
        cJSON_AddStringToObject(o, "source_target", r->T->label);
        cJSON_AddNumberToObject(o, "block", eb->block);
        cJSON_AddStringToObject(o, "module", eb->module);
        cJSON_AddNumberToObject(o, "expert", eb->expert);
        cJSON_AddNumberToObject(o, "rows", (double)eb->rows);
        cJSON_AddNumberToObject(o, "cols", (double)eb->cols);
        cJSON_AddStringToObject(o, "dtype_base", rmtk_dtype_name(eb->dtype));
        cJSON_AddStringToObject(o, "dtype_target", rmtk_dtype_name(pr->t->e.dtype));
        cJSON_AddStringToObject(o, "status", pr->status ? "error" : "ok");
        cJSON_AddStringToObject(o, "reason", pr->status ? pr->reason
                                             : pr->zero ? "all-zero delta"
                                                        : "");
        nerr += pr->status != 0;
        if (!pr->status) {
            nzero += pr->zero;
            cJSON *dl = cJSON_AddObjectToObject(o, "delta");
            cJSON_AddBoolToObject(dl, "zero", pr->zero);
            cJSON_AddNumberToObject(dl, "rank", (double)pr->rank);
            add_num(dl, "rank_tol", pr->tol);
            add_num(dl, "eps", pr->eps);
            add_num(dl, "sigma_1", pr->sigma1_d);
            add_num(dl, "fro", pr->fro_d);
            add_num(dl, "rel_fro", pr->rel);
            add_num(dl, "stable_rank", pr->stable);
            add_num(dl, "fro_base", pr->fro_b);
            add_num(dl, "fro_target", pr->fro_t);
            cJSON_AddItemToObject(dl, "metrics", metrics_obj(r->D, pr->delta_row, 1));
            const double *x;
            size_t n;
            if (pr->delta_row != (size_t)-1 &&
                rmtk_analysis_array(r->D, pr->delta_row, "singular_values", &x, &n) == RMTK_OK)
                cJSON_AddItemToObject(dl, "singular_values", num_array(x, n));
            cJSON *sub = cJSON_AddObjectToObject(o, "subspaces");
            cJSON_AddNumberToObject(sub, "top_k", (double)pr->top);
            cJSON_AddItemToObject(sub, "angles_left_deg", num_array(pr->ang_l, pr->top));
            cJSON_AddItemToObject(sub, "angles_right_deg", num_array(pr->ang_r, pr->top));
            cJSON_AddItemToObject(sub, "overlap_left", num_array(pr->ov_l, pr->top));
            cJSON_AddItemToObject(sub, "overlap_right", num_array(pr->ov_r, pr->top));
        }
        cJSON_AddItemToObject(o, "base", metrics_obj(r->B->an, pr->b->idx, 0));
        cJSON_AddItemToObject(o, "target", metrics_obj(r->T->an, pr->t->idx, 0));
        cJSON *df = cJSON_AddObjectToObject(o, "diff");
        for (size_t c = 0; c < rmtk_analysis_column_count(r->B->an); c++) {
            if (rmtk_analysis_column_is_status(r->B->an, c))
                continue;
            const char *nm = rmtk_analysis_column_name(r->B->an, c);
            size_t tc;
            double vb = rmtk_analysis_value(r->B->an, pr->b->idx, c), vt = NAN;
            if (rmtk_analysis_column_find(r->T->an, nm, &tc) == RMTK_OK)
                vt = rmtk_analysis_value(r->T->an, pr->t->idx, tc);
            add_num(df, nm, vt - vb);
        }
        cJSON_AddItemToArray(mats, o);
    }
    cJSON *ub = cJSON_AddArrayToObject(root, "unmatched_base");
    cJSON *ut = cJSON_AddArrayToObject(root, "unmatched_target");
    cJSON *mm = cJSON_AddArrayToObject(root, "mismatched");
    size_t nub = 0, nut = 0, nmm = 0;
    for (size_t i = 0; i < r->nodd; i++) {
        const odd_ent *od = &r->odd[i];
        cJSON *o = cJSON_CreateObject();
        const side_ent *e = od->b ? od->b : od->t;
        cJSON_AddStringToObject(o, "name", e->canon);
        if (od->b) {
            cJSON_AddStringToObject(o, "name_base", od->b->e.name);
            cJSON_AddStringToObject(o, "file_base", tensor_file(r->B, od->b));
            cJSON_AddNumberToObject(o, "rows_base", (double)od->b->e.rows);
            cJSON_AddNumberToObject(o, "cols_base", (double)od->b->e.cols);
        }
        if (od->t) {
            cJSON_AddStringToObject(o, "name_target", od->t->e.name);
            cJSON_AddStringToObject(o, "file_target", tensor_file(r->T, od->t));
            cJSON_AddNumberToObject(o, "rows_target", (double)od->t->e.rows);
            cJSON_AddNumberToObject(o, "cols_target", (double)od->t->e.cols);
        }
        cJSON_AddStringToObject(o, "reason", od->reason);
        if (strcmp(od->kind, "unmatched_base") == 0)
            cJSON_AddItemToArray(ub, o), nub++;
        else if (strcmp(od->kind, "unmatched_target") == 0)
            cJSON_AddItemToArray(ut, o), nut++;
        else
            cJSON_AddItemToArray(mm, o), nmm++;
    }
    cJSON *sum = cJSON_AddObjectToObject(root, "summary");
    cJSON_AddNumberToObject(sum, "matched", (double)r->np);
    cJSON_AddNumberToObject(sum, "zero_deltas", (double)nzero);
    cJSON_AddNumberToObject(sum, "errors", (double)nerr);
    cJSON_AddNumberToObject(sum, "unmatched_base", (double)nub);
    cJSON_AddNumberToObject(sum, "unmatched_target", (double)nut);
    cJSON_AddNumberToObject(sum, "mismatched", (double)nmm);
    char *txt = cJSON_Print(root);
    cJSON_Delete(root);
    if (!txt)
        return RMTK_ERR_NOMEM;
    FILE *f = fopen(path, "w");
    int bad = !f;
    if (f) {
        bad |= fputs(txt, f) < 0;
        bad |= fputc('\n', f) == EOF;
        bad |= fclose(f) != 0;
    }
    free(txt);
    if (bad) {
        cli_error("compare: cannot write %s", path);
        return RMTK_ERR_IO;
    }
    return RMTK_OK;
}

/* ---- figures and report.html ---------------------------------------------------------------- */

/* Histogram density of log10(sigma) (sigma > 0) on nb bins of [lo, hi): x = bin starts, and a
 * last point at hi so the step line closes. */
static size_t log_hist(const double *sv, size_t n, double lo, double hi, size_t nb, double *x,
                       double *y)
{
    size_t cnt = 0;
    double w = (hi - lo) / (double)nb;
    for (size_t b = 0; b <= nb; b++)
        x[b] = lo + w * (double)b, y[b] = 0;
    for (size_t i = 0; i < n; i++)
        if (sv[i] > 0) {
            double t = log10(sv[i]);
            size_t b = t >= hi ? nb - 1 : (size_t)((t - lo) / w);
            if (b < nb)
                y[b] += 1, cnt++;
        }
    for (size_t b = 0; b < nb; b++)
        y[b] = cnt ? y[b] / ((double)cnt * w) : 0;
    y[nb] = y[nb - 1];
    return nb + 1;
}

static int esd_figure(const results *r, const pair *pr, size_t idx, const char *figdir,
                      char *stem_out, size_t nstem)
{
    enum { NB = 40 };
    const double *sv[3] = {NULL, NULL, NULL};
    size_t n[3] = {0, 0, 0};
    rmtk_analysis_array(r->B->an, pr->b->idx, "singular_values", &sv[0], &n[0]);
    rmtk_analysis_array(r->T->an, pr->t->idx, "singular_values", &sv[1], &n[1]);
    if (pr->delta_row != (size_t)-1)
        rmtk_analysis_array(r->D, pr->delta_row, "singular_values", &sv[2], &n[2]);
    double lo = INFINITY, hi = -INFINITY;
    for (int s = 0; s < 3; s++)
        for (size_t i = 0; i < n[s]; i++)
            if (sv[s][i] > 0)
                lo = fmin(lo, log10(sv[s][i])), hi = fmax(hi, log10(sv[s][i]));
    if (!(lo < hi))
        lo = -1, hi = 1;
    hi += 1e-9 * (hi - lo);
    double x[3][NB + 1], y[3][NB + 1];
    cli_series se[3];
    static const char *const labs[3] = {"base", "target", "delta (target - base)"};
    size_t ns = 0;
    for (int s = 0; s < 3; s++) {
        if (!n[s])
            continue;
        size_t m = log_hist(sv[s], n[s], lo, hi, NB, x[s], y[s]);
        se[ns++] = (cli_series){labs[s], x[s], y[s], m, s == 1};
    }
    char title[300], note[200], stem[512], path[5200];
    snprintf(title, sizeof title, "ESD: %.200s", pr->canon);
    if (pr->zero)
        snprintf(note, sizeof note, "the delta is all zero (identical matrices)");
    else
        snprintf(note, sizeof note,
                 "delta rank %zu (tolerance %.3g), ||dW||_F/||W||_F = %.3g, top-%zu angle "
                 "%.3g deg",
                 pr->rank, pr->tol, pr->rel, pr->top, vmax(pr->ang_l, pr->top));
    cli_lines_fig d = {title, "log10 singular value", "density", note, se, ns, 0, 1, 0, 0,
                       pr->zero ? NAN : log10(pr->tol), "delta rank tolerance"};
    cli_figure_stem(idx, pr->canon, "esd", stem, sizeof stem);
    snprintf(path, sizeof path, "%s/%s", figdir, stem);
    snprintf(stem_out, nstem, "%s", stem);
    return cli_plot_lines(&d, path);
}

static const char *mod_of(const char *m)
{
    return m && *m ? m : "other";
}

/* Per module type: the mean of value(pair) over the pairs of each block, against block. */
static int trend_figure(const results *r, const char *figdir, const char *kind, const char *title,
                        const char *ylabel, int logy, double (*value)(const pair *))
{
    const char *mods[64];
    size_t nm = 0;
    for (size_t i = 0; i < r->np; i++) {
        const char *m = mod_of(r->pairs[i].b->e.module);
        size_t j;
        for (j = 0; j < nm && strcmp(mods[j], m) != 0; j++)
            ;
        if (j == nm && nm < 64 && r->pairs[i].b->e.block >= 0)
            mods[nm++] = m;
    }
    int32_t bmax = -1;
    for (size_t i = 0; i < r->np; i++)
        bmax = r->pairs[i].b->e.block > bmax ? r->pairs[i].b->e.block : bmax;
    size_t nb = (size_t)(bmax + 1);
    double *buf = calloc(3 * nm * (nb ? nb : 1) + 1, sizeof(double));
    cli_series *se = calloc(nm + 1, sizeof *se);
    if (!buf || !se) {
        free(buf);
        free(se);
        return RMTK_ERR_NOMEM;
    }
    for (size_t j = 0; j < nm; j++) {
        double *x = buf + 3 * j * nb, *y = x + nb, *cnt = y + nb;
        for (size_t i = 0; i < r->np; i++) {
            const pair *p = &r->pairs[i];
            double v = p->status ? NAN : value(p);
            if (p->b->e.block < 0 || strcmp(mod_of(p->b->e.module), mods[j]) != 0 || isnan(v))
                continue;
            y[p->b->e.block] += v;
            cnt[p->b->e.block] += 1;
        }
        for (size_t b = 0; b < nb; b++) {
            x[b] = (double)b;
            y[b] = cnt[b] ? y[b] / cnt[b] : NAN;
        }
        se[j] = (cli_series){mods[j], x, y, nb, 0};
    }
    char path[5200];
    snprintf(path, sizeof path, "%s/compare-%s", figdir, kind);
    cli_lines_fig d = {title, "block", ylabel,
                       logy ? "mean over a block's matrices of each type; all-zero deltas are "
                              "not shown on the log axis"
                            : "mean over a block's matrices of each type",
                       se, nm, logy, 0, 1, 1, NAN, NULL};
    int st = cli_plot_lines(&d, path);
    free(buf);
    free(se);
    return st;
}

static double v_rel(const pair *p)
{
    return p->rel;
}
static double v_rank(const pair *p)
{
    return (double)p->rank;
}
static double v_angle(const pair *p)
{
    return vmax(p->ang_l, p->top);
}

static const struct {
    const char *kind, *title, *ylabel;
    int logy;
    double (*value)(const pair *);
} trends[] = {
    {"rel_change", "relative change ||W_target - W_base||_F / ||W_base||_F", "relative change", 1,
     v_rel},
    {"delta_rank", "numerical rank of the delta at the stored precision", "rank", 0, v_rank},
    {"angle_left", "largest principal angle between top-k left singular subspaces",
     "angle (degrees)", 0, v_angle},
};

static int write_html(const results *r, const char *out, const char *figdir, char **stems)
{
    char path[5200];
    snprintf(path, sizeof path, "%s/report.html", out);
    FILE *f = fopen(path, "w");
    if (!f) {
        cli_error("compare: cannot write %s", path);
        return RMTK_ERR_IO;
    }
    fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rmtk compare</title>\n"
          "<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto;color:#222}"
          "table{border-collapse:collapse;font-size:13px}td,th{border:1px solid #ccc;"
          "padding:2px 6px;text-align:right}td.l,th.l{text-align:left}"
          "figure{margin:0.5em 0}</style></head><body>\n<h1>rmtk compare</h1>\n<p>base: <b>",
          f);
    cli_html_text(f, r->B->label);
    fputs("</b> (", f);
    cli_html_text(f, r->B->path);
    fputs(")<br>target: <b>", f);
    cli_html_text(f, r->T->label);
    fputs("</b> (", f);
    cli_html_text(f, r->T->path);
    size_t nzero = 0;
    for (size_t i = 0; i < r->np; i++)
        nzero += !r->pairs[i].status && r->pairs[i].zero;
    fprintf(f, ")</p>\n<p>%zu matrices matched, %zu of them unchanged (all-zero delta); %zu "
               "names unmatched or mismatched (listed below). Columns: docs/report.md, "
               "&ldquo;rmtk compare&rdquo;.</p>\n",
            r->np, nzero, r->nodd);
    for (size_t t = 0; t < sizeof trends / sizeof trends[0]; t++) {
        snprintf(path, sizeof path, "%s/compare-%s.svg", figdir, trends[t].kind);
        fputs("<figure>", f);
        cli_html_inline_svg(f, path);
        fputs("</figure>\n", f);
    }
    fputs("<h2>Matrices</h2>\n<table><tr><th class=\"l\">name</th><th class=\"l\">module</th>"
          "<th>block</th><th>shape</th><th>||dW||/||W||</th><th>delta rank</th>"
          "<th>top k</th><th>max angle L (deg)</th><th>max angle R (deg)</th></tr>\n",
          f);
    for (size_t i = 0; i < r->np; i++) {
        const pair *p = &r->pairs[i];
        fputs("<tr><td class=\"l\">", f);
        if (stems && stems[i])
            fprintf(f, "<a href=\"#f%zu\">", i);
        cli_html_text(f, p->canon);
        fputs(stems && stems[i] ? "</a>" : "", f);
        fputs("</td><td class=\"l\">", f);
        cli_html_text(f, p->b->e.module);
        fprintf(f, "</td><td>%d</td><td>%lldx%lld</td>", (int)p->b->e.block,
                (long long)p->b->e.rows, (long long)p->b->e.cols);
        if (p->status) {
            fputs("<td class=\"l\" colspan=\"5\">error: ", f);
            cli_html_text(f, p->reason);
            fputs("</td></tr>\n", f);
        } else if (p->zero) {
            fprintf(f, "<td>0</td><td>0 (all-zero delta)</td><td>%zu</td><td>%.3g</td>"
                       "<td>%.3g</td></tr>\n",
                    p->top, vmax(p->ang_l, p->top), vmax(p->ang_r, p->top));
        } else {
            fprintf(f, "<td>%.3g</td><td>%zu</td><td>%zu</td><td>%.3g</td><td>%.3g</td></tr>\n",
                    p->rel, p->rank, p->top, vmax(p->ang_l, p->top), vmax(p->ang_r, p->top));
        }
    }
    fputs("</table>\n", f);
    if (r->nodd) {
        fputs("<h2>Unmatched and mismatched</h2>\n<table><tr><th class=\"l\">name</th>"
              "<th class=\"l\">kind</th><th class=\"l\">reason</th></tr>\n",
              f);
        for (size_t i = 0; i < r->nodd; i++) {
            const side_ent *e = r->odd[i].b ? r->odd[i].b : r->odd[i].t;
            fputs("<tr><td class=\"l\">", f);
            cli_html_text(f, e->canon);
            fprintf(f, "</td><td class=\"l\">%s</td><td class=\"l\">", r->odd[i].kind);
            cli_html_text(f, r->odd[i].reason);
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    }
    if (stems) {
        fputs("<h2>Spectra: base, target and delta</h2>\n", f);
        for (size_t i = 0; i < r->np; i++) {
            if (!stems[i])
                continue;
            fprintf(f, "<figure id=\"f%zu\"><img src=\"figures/", i);
            cli_html_text(f, stems[i]);
            fputs(".svg\" alt=\"ESD\" loading=\"lazy\"></figure>\n", f);
        }
    }
    fputs("</body></html>\n", f);
    int bad = ferror(f);
    bad |= fclose(f) != 0;
    return bad ? RMTK_ERR_IO : RMTK_OK;
}

/* ---- the command ---------------------------------------------------------------------------- */

int cmd_compare(int argc, char **argv)
{
    rmtk_analysis_params p = rmtk_analysis_params_default();
    const char *out = NULL, *files[2] = {NULL, NULL}, *labels[2] = {NULL, NULL};
    const char *stats = "basic,mp,levels";
    rename_rule rr[MAX_RENAMES];
    size_t nr = 0, nlabels = 0, top_opt = 0;
    int nfiles = 0, quiet = 0, plots = 1, st;
    p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int64_t iv;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (cli_analysis_option(argc, argv, &i, &p, &st)) {
            if (st)
                return st;
        } else if (strcmp(a, "--out") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &out)))
                return st;
        } else if (strcmp(a, "--stats") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &stats)) ||
                (st = cli_parse_stats(stats, &p.stats)))
                return st;
        } else if (strcmp(a, "--rename") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            const char *eq = strchr(v, '=');
            if (!eq || eq == v || nr == MAX_RENAMES) {
                cli_error("--rename: '%s' is not FROM=TO (a regex, '=', its replacement)%s", v,
                          nr == MAX_RENAMES ? "; too many --rename" : "");
                return RMTK_ERR_ARG;
            }
            char from[1024];
            snprintf(from, sizeof from, "%.*s", (int)(eq - v), v);
            int rc = regcomp(&rr[nr].re, from, REG_EXTENDED);
            if (rc) {
                char eb[256];
                regerror(rc, &rr[nr].re, eb, sizeof eb);
                cli_error("--rename: '%s' is not a POSIX extended regex (%s)", from, eb);
                return RMTK_ERR_ARG;
            }
            rr[nr].from = strdup(from);
            rr[nr].to = eq + 1;
            nr++;
        } else if (strcmp(a, "--top") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 1, 1 << 20, &iv)))
                return st;
            top_opt = (size_t)iv;
        } else if (strcmp(a, "--label") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (nlabels == 2) {
                cli_error("--label: given more than twice (once for BASE, once for TARGET)");
                return RMTK_ERR_ARG;
            }
            labels[nlabels++] = v;
        } else if (strcmp(a, "--no-plots") == 0) {
            plots = 0;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("compare", a, usage);
            return RMTK_ERR_ARG;
        } else {
            if (nfiles == 2) {
                cli_error("compare: more than two checkpoints given (rmtk compare BASE TARGET "
                          "--out DIR; rmtk track compares many)");
                return RMTK_ERR_ARG;
            }
            files[nfiles++] = a;
        }
    }
    if (nfiles != 2) {
        cli_error("compare: give BASE and TARGET (rmtk compare BASE TARGET --out DIR; "
                  "rmtk compare --help)");
        return RMTK_ERR_ARG;
    }
    if (!out) {
        cli_error("compare: --out DIR is required (the folder for compare.csv, compare.json, "
                  "report.html and figures/)");
        return RMTK_ERR_ARG;
    }
    char lab[2][256];
    for (int s = 0; s < 2; s++) {
        if (labels[s])
            snprintf(lab[s], sizeof lab[s], "%s", labels[s]);
        else
            cli_path_label(files[s], lab[s], sizeof lab[s]);
    }
    if (strcmp(lab[0], lab[1]) == 0 && !labels[0] && !labels[1]) {
        snprintf(lab[0], sizeof lab[0], "base");
        snprintf(lab[1], sizeof lab[1], "target");
    }
    cli_outdir od;
    memset(&od, 0, sizeof od);
    if ((st = cli_outdir_prepare("compare", "--out", out, &od)))
        return st;
    side S[2];
    memset(S, 0, sizeof S);
    S[0].path = files[0], S[0].label = lab[0];
    S[1].path = files[1], S[1].label = lab[1];
    results R;
    memset(&R, 0, sizeof R);
    R.B = &S[0], R.T = &S[1];
    rmtk_spectrum_plan *plan = NULL;
    double *buf = NULL;
    char **stems = NULL;
    for (int s = 0; s < 2 && !st; s++)
        st = open_side(&S[s], &p, rr, nr);
    /* match */
    if (!st) {
        R.pairs = calloc(S[0].n + 1, sizeof *R.pairs);
        R.odd = calloc(S[0].n + S[1].n + 1, sizeof *R.odd);
        if (!R.pairs || !R.odd)
            st = RMTK_ERR_NOMEM;
    }
    for (size_t i = 0; !st && i < S[0].n; i++) {
        side_ent *b = &S[0].ents[i], *t = find_ent(&S[1], b->canon);
        int ab = b->e.skip == RMTK_SKIP_NONE;
        if (i > 0 && strcmp(S[0].ents[i - 1].canon, b->canon) == 0) {
            if (ab) {
                odd_ent *o = &R.odd[R.nodd++];
                o->kind = "mismatch", o->b = b;
                snprintf(o->reason, sizeof o->reason,
                         "two base tensors have the name '%.200s' after --rename", b->canon);
            }
            continue;
        }
        if (t)
            t->used = 1;
        int at = t && t->e.skip == RMTK_SKIP_NONE;
        if (!ab && !at)
            continue;
        if (ab && !t) {
            odd_ent *o = &R.odd[R.nodd++];
            o->kind = "unmatched_base", o->b = b;
            snprintf(o->reason, sizeof o->reason, "no tensor of this name in the target");
        } else if (ab != at) {
            odd_ent *o = &R.odd[R.nodd++];
            o->kind = "mismatch", o->b = b, o->t = t;
            snprintf(o->reason, sizeof o->reason, "%s is not analysed there: %.400s",
                     ab ? "target" : "base", ab ? t->e.reason : b->e.reason);
        } else if (b->e.rows != t->e.rows || b->e.cols != t->e.cols) {
            odd_ent *o = &R.odd[R.nodd++];
            o->kind = "mismatch", o->b = b, o->t = t;
            snprintf(o->reason, sizeof o->reason, "shape %lldx%lld in the base, %lldx%lld in the "
                     "target",
                     (long long)b->e.rows, (long long)b->e.cols, (long long)t->e.rows,
                     (long long)t->e.cols);
        } else {
            pair *pr = &R.pairs[R.np++];
            pr->canon = b->canon, pr->b = b, pr->t = t, pr->delta_row = (size_t)-1;
        }
    }
    for (size_t i = 0; !st && i < S[1].n; i++) {
        side_ent *t = &S[1].ents[i];
        if (t->used || t->e.skip != RMTK_SKIP_NONE)
            continue;
        odd_ent *o = &R.odd[R.nodd++];
        o->kind = "unmatched_target", o->t = t;
        snprintf(o->reason, sizeof o->reason, "no tensor of this name in the base");
    }
    /* pairs in the base's model order */
    if (!st && R.np == 0) {
        cli_error("compare: no matrix of %s matches one of %s by name (%zu and %zu names%s; "
                  "--rename FROM=TO maps names)",
                  files[0], files[1], S[0].n, S[1].n, nr ? " after --rename" : "");
        st = RMTK_ERR_NOTFOUND;
    }
    /* each side's statistics (workers over its matrices, one model at a time) */
    for (int s = 0; s < 2 && !st; s++) {
        if (!quiet)
            fprintf(stderr, "rmtk: compare: analysing %s ...\n", S[s].label);
        int rs = rmtk_analysis_run(S[s].an, NULL, NULL);
        if (rs && !quiet)
            cli_error("compare: %s", rmtk_analysis_errmsg(S[s].an));
    }
    rmtk_analysis_params dp = p;
    dp.stats &= ~(uint32_t)(RMTK_STATS_VECTORS | RMTK_STATS_NULL);
    if (!st)
        st = rmtk_analysis_alloc(&dp, &R.D);
    /* the deltas, one pair at a time */
    int64_t big = 1, small = 1;
    for (size_t i = 0; i < R.np; i++) {
        int64_t r0 = R.pairs[i].b->e.rows, c0 = R.pairs[i].b->e.cols;
        int64_t mx = r0 > c0 ? r0 : c0, mn = r0 < c0 ? r0 : c0;
        big = mx > big ? mx : big, small = mn > small ? mn : small;
    }
    rmtk_spectrum_params sp = p.spectrum;
    sp.vectors = 1;
    if (!st && (st = rmtk_spectrum_plan_alloc(big, small, &sp, &plan)))
        cli_error("compare: cannot plan spectra of %lldx%lld matrices (%s)", (long long)big,
                  (long long)small, rmtk_status_str(st));
    size_t mat = (size_t)big * (size_t)small;
    if (!st && !(buf = malloc((6 * mat + 3 * (size_t)small) * sizeof *buf)))
        st = RMTK_ERR_NOMEM;
    int first_err = RMTK_OK;
    for (size_t i = 0; !st && i < R.np; i++) {
        pair *pr = &R.pairs[i];
        double *wb = buf, *wt = wb + mat, *ub = wt + mat, *vb = ub + mat,
               *ut = vb + mat, *vt = ut + mat, *sv = vt + mat, *sb = sv + small, *stt = sb + small;
        pr->status = compare_pair(pr, &S[0], &S[1], plan, wb, wt, sv, ub, vb, ut, vt, sb, stt,
                                  top_opt, S[0].an, R.D);
        if (pr->status == RMTK_ERR_NOMEM)
            st = RMTK_ERR_NOMEM;
        else if (pr->status && !first_err)
            first_err = pr->status;
        if (!quiet && isatty(2))
            fprintf(stderr, "\r\033[Krmtk: compare: delta %zu/%zu", i + 1, R.np);
    }
    if (!quiet && isatty(2))
        fputc('\n', stderr);
    free(buf);
    buf = NULL;
    rmtk_spectrum_plan_free(plan);
    plan = NULL;
    if (!st) {
        int rs = rmtk_analysis_run(R.D, NULL, NULL);
        if (rs && !first_err)
            first_err = rs;
    }
    char path[4600], figdir[4600];
    snprintf(figdir, sizeof figdir, "%s/figures", od.stage);
    if (!st) {
        snprintf(path, sizeof path, "%s/compare.csv", od.stage);
        st = write_csv(&R, path);
    }
    if (!st) {
        snprintf(path, sizeof path, "%s/compare.json", od.stage);
        st = write_json(&R, &p, rr, nr, top_opt, stats, path);
    }
    if (!st && plots) {
        for (size_t t = 0; !st && t < sizeof trends / sizeof trends[0]; t++)
            st = trend_figure(&R, figdir, trends[t].kind, trends[t].title, trends[t].ylabel,
                              trends[t].logy, trends[t].value);
        stems = calloc(R.np + 1, sizeof *stems);
        for (size_t i = 0; !st && stems && i < R.np; i++) {
            char stem[600];
            if (R.pairs[i].status)
                continue;
            st = esd_figure(&R, &R.pairs[i], i, figdir, stem, sizeof stem);
            stems[i] = strdup(stem);
        }
        if (!st)
            st = write_html(&R, od.stage, figdir, stems);
    }
    if (!st)
        st = cli_outdir_commit(&od);
    if (!st && !quiet) {
        size_t nzero = 0, nlow = 0;
        printf("%-48s %11s %10s %6s %9s\n", "name", "rows x cols", "rel.chg", "rank",
               "angle L");
        for (size_t i = 0; i < R.np; i++) {
            const pair *pr = &R.pairs[i];
            char nb[1024], shape[48];
            snprintf(shape, sizeof shape, "%lldx%lld", (long long)pr->b->e.rows,
                     (long long)pr->b->e.cols);
            const char *nm = cli_safe(pr->canon, nb, sizeof nb);
            size_t len = strlen(nm);
            printf("%-48.48s %11s", len > 48 ? nm + len - 48 : nm, shape);
            if (pr->status)
                printf("  ERROR: %s\n", cli_safe(pr->reason, nb, sizeof nb));
            else if (pr->zero)
                printf(" %10s %6s %9s\n", "0", "0", "(all-zero delta)"), nzero++;
            else
                printf(" %10.3g %6zu %9.3g\n", pr->rel, pr->rank, vmax(pr->ang_l, pr->top));
            nlow += !pr->status && !pr->zero && pr->rank < pr->k;
        }
        for (size_t i = 0; i < R.nodd; i++) {
            char nb[1024], rb[1024];
            const side_ent *e = R.odd[i].b ? R.odd[i].b : R.odd[i].t;
            printf("%s: %s: %s\n", R.odd[i].kind, cli_safe(e->canon, nb, sizeof nb),
                   cli_safe(R.odd[i].reason, rb, sizeof rb));
        }
        printf("\n%zu matched (%zu unchanged, %zu with a rank-deficient delta), %zu unmatched or "
               "mismatched\nwrote %s/compare.csv, %s/compare.json%s\n",
               R.np, nzero, nlow, R.nodd, out, out, plots ? ", report.html and figures/" : "");
    }
    cli_outdir_abandon(&od);
    if (stems)
        for (size_t i = 0; i < R.np; i++)
            free(stems[i]);
    free(stems);
    for (size_t i = 0; R.pairs && i < R.np; i++)
        free(R.pairs[i].ang_l);
    free(R.pairs);
    free(R.odd);
    rmtk_analysis_free(R.D);
    close_side(&S[1]);
    close_side(&S[0]);
    for (size_t i = 0; i < nr; i++) {
        regfree(&rr[i].re);
        free((void *)rr[i].from);
    }
    return st ? st : first_err;
}
