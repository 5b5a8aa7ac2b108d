/*
 * analysis-summary.c: the model summary. Means and medians of every per-matrix numeric column
 * (status columns excepted) and the fraction looks_random, over all analysed matrices of the
 * analysis ("all") and per module: WeightWatcher's get_summary() (the mean of log_norm, alpha,
 * alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank, mp_softrank over the layers)
 * is the "all" group's mean of those keys. Like WeightWatcher, every computed value enters (a
 * tail of fewer than RMTK_ANALYSIS_MIN_TAIL values too); NaN (not defined) does not.
 * Written as model_summary.csv (group,key,n,mean,median) and as report.json's "model_summary".
 */
#include "analysis-internal.h"
#include "report-internal.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The group of a matrix whose name says nothing known (module ""; a plain classifier's fc1): the
 * name without its block indices: the dot-separated components that are all digits are dropped
 * and a slice suffix "[k]" is cut ("features.3.weight" -> "features.weight"). Matrices with a
 * normalised module (attn_q, mlp_down, ...: rmtk_name_structure) are grouped by it.
 */
static void module_of_name(const char *name, char *buf, size_t size)
{
    size_t len = 0;
    const char *p = name ? name : "";
    buf[0] = '\0';
    while (*p && *p != '[') {
        const char *q = p;
        while (*q && *q != '.' && *q != '[')
            q++;
        int digits = q > p;
        for (const char *r = p; r < q; r++)
            digits &= isdigit((unsigned char)*r) != 0;
        if (!digits) {
            size_t n = (size_t)(q - p);
            if (len && len + 1 < size)
                buf[len++] = '.';
            if (len + n >= size)
                n = size - 1 - len;
            memcpy(buf + len, p, n);
            len += n;
            buf[len] = '\0';
        }
        p = *q == '.' ? q + 1 : q;
    }
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void rmtk__summary_free(rmtk_analysis *a)
{
    for (size_t g = 0; g < a->ngroups; g++)
        rmtk__free(a->groups[g]);
    rmtk__free(a->groups);
    rmtk__free(a->summary);
    a->groups = NULL;
    a->summary = NULL;
    a->ngroups = a->nsummary = 0;
}

static int analysed(const rmtk__entry *e)
{
    return e->e.skip == RMTK_SKIP_NONE && e->status == RMTK_OK;
}

/* The value of summary key k (k < nactive: a column; k == nactive: looks_random) of entry i. */
static double key_value(const rmtk_analysis *a, size_t i, size_t k)
{
    if (k < a->nactive)
        return a->entries[i].values[a->active[k]];
    int v = rmtk__entry_verdict(a, i, NULL, 0);
    return v == RMTK_VERDICT_UNDETERMINED ? NAN : (double)v;
}

int rmtk__summary_compute(rmtk_analysis *a)
{
    rmtk__summary_free(a);
    size_t n = a->nentries;
    size_t *gof = rmtk__malloc_array(n ? n : 1, sizeof *gof);
    double *x = rmtk__malloc_array(n ? n : 1, sizeof *x);
    char name[512];
    int st = RMTK_OK;
    if (!gof || !x) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    /* groups: "all" first, then the modules in order of first appearance */
    a->groups = rmtk__malloc_array(n + 1, sizeof *a->groups);
    if (!a->groups || !(a->groups[0] = rmtk__strdup("all"))) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    a->ngroups = 1;
    for (size_t i = 0; i < n; i++) {
        gof[i] = SIZE_MAX;
        if (!analysed(&a->entries[i]))
            continue;
        const char *mod = a->entries[i].e.module;
        if (mod && *mod) /* the normalised module type (rmtk_name_structure, layers.c) */
            snprintf(name, sizeof name, "%s", mod);
        else
            module_of_name(a->entries[i].e.name, name, sizeof name);
        size_t g = 1;
        while (g < a->ngroups && strcmp(a->groups[g], name))
            g++;
        if (g == a->ngroups) {
            if (!(a->groups[g] = rmtk__strdup(name))) {
                st = RMTK_ERR_NOMEM;
                goto done;
            }
            a->ngroups++;
        }
        gof[i] = g;
    }
    /* one module for every matrix says nothing the "all" row does not */
    size_t ng = a->ngroups == 2 ? 1 : a->ngroups, nkeys = 0;
    for (size_t k = 0; k < a->nactive; k++)
        nkeys += !rmtk__columns[a->active[k]].status;
    nkeys++; /* looks_random */
    a->summary = rmtk__malloc_array(ng * nkeys, sizeof *a->summary);
    if (!a->summary) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    for (size_t g = 0; g < ng; g++) {
        for (size_t k = 0; k <= a->nactive; k++) {
            if (k < a->nactive && rmtk__columns[a->active[k]].status)
                continue;
            size_t m = 0;
            double sum = 0;
            for (size_t i = 0; i < n; i++) {
                if (gof[i] == SIZE_MAX || (g > 0 && gof[i] != g))
                    continue;
                double v = key_value(a, i, k);
                if (isnan(v))
                    continue;
                x[m++] = v;
                sum += v;
            }
            rmtk_model_summary_row *r = &a->summary[a->nsummary++];
            r->group = a->groups[g];
            r->key = k < a->nactive ? rmtk__columns[a->active[k]].name : "looks_random";
            r->n = m;
            r->mean = m ? sum / (double)m : NAN;
            r->median = NAN;
            if (m) {
                qsort(x, m, sizeof *x, cmp_double);
                r->median = m % 2 ? x[m / 2] : 0.5 * (x[m / 2 - 1] + x[m / 2]);
            }
        }
    }
done:
    rmtk__free(gof);
    rmtk__free(x);
    if (st)
        rmtk__summary_free(a);
    return st;
}

size_t rmtk_analysis_summary_count(const rmtk_analysis *a)
{
    return a ? a->nsummary : 0;
}

int rmtk_analysis_summary_get(const rmtk_analysis *a, size_t i, rmtk_model_summary_row *row)
{
    if (!a || !row || i >= a->nsummary)
        return RMTK_ERR_ARG;
    *row = a->summary[i];
    return RMTK_OK;
}

void rmtk__summary_json(rmtk__sink *s, const rmtk_analysis *a)
{
    /* the rows of model_summary.csv, one object each (a column name is a value here, never a
     * key, so that "key": always holds that column's own number elsewhere in the report) */
    rmtk__json_key(s, "model_summary");
    rmtk__json_begin(s, '[');
    for (size_t i = 0; i < a->nsummary; i++) {
        const rmtk_model_summary_row *r = &a->summary[i];
        rmtk__sink_puts(s, "\n");
        rmtk__json_begin(s, '{');
        rmtk__json_kv_string(s, "group", r->group);
        rmtk__json_kv_string(s, "key", r->key);
        rmtk__json_kv_int(s, "n", (long long)r->n);
        rmtk__json_kv_number(s, "mean", r->mean);
        rmtk__json_kv_number(s, "median", r->median);
        rmtk__json_end(s, '}');
    }
    rmtk__json_end(s, ']');
}

static int emit_summary_csv(const void *ctx, rmtk_write_fn fn, void *user)
{
    const rmtk_analysis *a = ctx;
    rmtk__sink *s = rmtk__malloc(sizeof *s);
    if (!s)
        return RMTK_ERR_NOMEM;
    rmtk__sink_init(s, fn, user);
    rmtk__sink_puts(s, "group,key,n,mean,median\n");
    for (size_t i = 0; i < a->nsummary; i++) {
        const rmtk_model_summary_row *r = &a->summary[i];
        rmtk__csv_string(s, r->group);
        rmtk__sink_printf(s, ",%s,%llu,", r->key, (unsigned long long)r->n);
        if (!isnan(r->mean))
            rmtk__sink_printf(s, "%.17g", r->mean);
        rmtk__sink_puts(s, ",");
        if (!isnan(r->median))
            rmtk__sink_printf(s, "%.17g", r->median);
        rmtk__sink_puts(s, "\n");
    }
    int st = rmtk__sink_finish(s);
    rmtk__free(s);
    return st;
}

int rmtk_analysis_write_summary_csv(const rmtk_analysis *a, const char *path)
{
    if (!a || !path)
        return RMTK_ERR_ARG;
    return rmtk__write_atomic(path, emit_summary_csv, a, ((rmtk_analysis *)a)->errmsg);
}
