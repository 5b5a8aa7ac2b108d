/*
 * analysis-multitest.c: model-level multiple testing. Each matrix's tests run at the significance
 * level on their own; a model of 48 matrices of pure noise then has about 48 x 5 % chances to call
 * one of them "structure". Here the raw p-values of every test that can make a verdict say
 * "structure" are pooled, per model, into one family and adjusted (Benjamini-Hochberg by default,
 * Holm as an option); the adjusted values are stored as columns of each row, so that the verdict
 * (analysis-verdict.c) stays a function of a row's stored statistics.
 *
 * The family of a model (docs/report.md, "Multiple testing"):
 *   - every step of the Tracy-Widom step-down outlier test (array mp_tw_p_steps) of a matrix whose
 *     Marchenko-Pastur fit is ok or failed (step 0 = mp_tw_p: "no outlier at all"; a failed fit's
 *     outliers count when its goodness of fit is not significant across the model);
 *   - the goodness of fit of the Marchenko-Pastur law (mp_law_ks_p) when the fit is ok or failed;
 *   - the spacing-ratio test r_p_goe and the KS test ks_p_goe of the levels when levels are ok;
 *   - the Simes p-value pt_p_simes of the matrix's Porter-Thomas vector tests.
 * Outputs: *_adj columns (adjusted p), n_spikes_ctl = the leading steps of the step-down test whose
 * adjusted p is <= significance (the sequential test stops at the first that is not), and
 * pt_top_decile_frac_ctl = when pt_p_adj rejects, the fraction of the top decile rejected by BH
 * within the matrix at the significance level (hierarchical: the matrix is selected by the model
 * family, its vectors by a family of their own; Benjamini & Bogomolov, JRSS B 76 (2014) 297 would
 * test the vectors at significance R/m, R of m matrices selected: ours is the simpler and more
 * liberal rule, documented), else 0.
 */
#include "analysis-internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *rmtk_multitest_name(int method)
{
    switch (method) {
    case RMTK_MULTITEST_BH: return "bh";
    case RMTK_MULTITEST_HOLM: return "holm";
    case RMTK_MULTITEST_NONE: return "none";
    }
    return "";
}

typedef struct {
    double p;
    size_t i;
} pidx;

static int cmp_pidx(const void *a, const void *b)
{
    const pidx *x = a, *y = b;
    if (x->p < y->p)
        return -1;
    if (x->p > y->p)
        return 1;
    return (x->i > y->i) - (x->i < y->i);
}

/*
 * BH: with p_(1) <= ... <= p_(m), adj_(i) = min_{j >= i} min(1, m p_(j) / j) (step-up; reject
 * adj <= q is "reject the k smallest, k the largest with p_(k) <= q k / m").
 * Holm: adj_(i) = max_{j <= i} min(1, (m - j + 1) p_(j)) (step-down).
 * REF: Benjamini & Hochberg 1995, Holm 1979; the same as R's p.adjust("BH"/"holm").
 */
int rmtk_pvalues_adjust(const double *p, size_t m, int method, double *adj)
{
    if (m > 0 && (!p || !adj))
        return RMTK_ERR_ARG;
    if (method < RMTK_MULTITEST_BH || method > RMTK_MULTITEST_NONE)
        return RMTK_ERR_ARG;
    if (m == 0)
        return RMTK_OK;
    if (method == RMTK_MULTITEST_NONE) {
        if (adj != p)
            memmove(adj, p, m * sizeof *adj);
        return RMTK_OK;
    }
    pidx *o = rmtk__malloc_array(m, sizeof *o);
    if (!o)
        return RMTK_ERR_NOMEM;
    size_t n = 0;
    for (size_t i = 0; i < m; i++)
        if (!isnan(p[i]))
            o[n].p = p[i], o[n].i = i, n++;
    for (size_t i = 0; i < m; i++)
        if (isnan(p[i]))
            adj[i] = NAN;
    qsort(o, n, sizeof *o, cmp_pidx);
    if (method == RMTK_MULTITEST_BH) {
        double run = 1.0;
        for (size_t j = n; j-- > 0;) {
            run = fmin(run, (double)n * o[j].p / (double)(j + 1));
            adj[o[j].i] = run;
        }
    } else {
        double run = 0.0;
        for (size_t j = 0; j < n; j++) {
            run = fmax(run, fmin(1.0, (double)(n - j) * o[j].p));
            adj[o[j].i] = run;
        }
    }
    rmtk__free(o);
    return RMTK_OK;
}

enum { H_TW, H_GOF, H_R, H_KS, H_PT };

typedef struct {
    size_t entry;
    int kind;
    size_t step;
} hyp;

static const double *entry_array(const rmtk__entry *e, const char *key, size_t *n)
{
    for (size_t j = 0; j < e->narrays; j++)
        if (!strcmp(e->arrays[j].key, key)) {
            *n = e->arrays[j].n;
            return e->arrays[j].x;
        }
    *n = 0;
    return NULL;
}

static int analysed(const rmtk__entry *e)
{
    return e->e.skip == RMTK_SKIP_NONE && e->status == RMTK_OK;
}

/* Which hypotheses entry e contributes (h may be NULL: count only). */
static size_t entry_hyps(const rmtk_analysis *a, size_t idx, hyp *h)
{
    const rmtk__entry *e = &a->entries[idx];
    const double *v = e->values;
    size_t n = 0;
    if (!analysed(e))
        return 0;
    if (a->p.stats & RMTK_STATS_MP) {
        size_t ns;
        const double *steps = entry_array(e, "mp_tw_p_steps", &ns);
        /* a failed fit too: when its goodness of fit is not significant across the model
         * (verdict: "marginal") its outliers count */
        if (steps && (v[COL_MP_FIT_STATUS] == RMTK_STAT_OK ||
                      v[COL_MP_FIT_STATUS] == RMTK_STAT_FAILED))
            for (size_t j = 0; j < ns; j++, n++)
                if (h)
                    h[n] = (hyp){idx, H_TW, j};
        if ((v[COL_MP_FIT_STATUS] == RMTK_STAT_OK || v[COL_MP_FIT_STATUS] == RMTK_STAT_FAILED) &&
            !isnan(v[COL_MP_LAW_KS_P])) {
            if (h)
                h[n] = (hyp){idx, H_GOF, 0};
            n++;
        }
    }
    if ((a->p.stats & RMTK_STATS_LEVELS) && v[COL_LEVELS_STATUS] == RMTK_STAT_OK) {
        if (!isnan(v[COL_R_P_GOE])) {
            if (h)
                h[n] = (hyp){idx, H_R, 0};
            n++;
        }
        if (!isnan(v[COL_KS_P_GOE])) {
            if (h)
                h[n] = (hyp){idx, H_KS, 0};
            n++;
        }
    }
    if ((a->p.stats & RMTK_STATS_VECTORS) && !isnan(v[COL_PT_P_SIMES])) {
        if (h)
            h[n] = (hyp){idx, H_PT, 0};
        n++;
    }
    return n;
}

static double hyp_p(const rmtk_analysis *a, const hyp *h)
{
    const rmtk__entry *e = &a->entries[h->entry];
    size_t n;
    switch (h->kind) {
    case H_TW: return entry_array(e, "mp_tw_p_steps", &n)[h->step];
    case H_GOF: return e->values[COL_MP_LAW_KS_P];
    case H_R: return e->values[COL_R_P_GOE];
    case H_KS: return e->values[COL_KS_P_GOE];
    default: return e->values[COL_PT_P_SIMES];
    }
}

/* BH at level q within one matrix over its vector p-values (pt_p_left, pt_p_right; NaN =
 * untested): the fraction of the top decile (rank j with 10 j < kt, kt tested per side)
 * rejected. */
static int pt_top_ctl(const rmtk__entry *e, double q, double *frac)
{
    size_t nl, nr;
    const double *pl = entry_array(e, "pt_p_left", &nl), *pr = entry_array(e, "pt_p_right", &nr);
    *frac = NAN;
    if (!pl || !pr || nl != nr || nl == 0)
        return RMTK_OK;
    double *adj = rmtk__malloc_array(2 * nl, sizeof(double));
    if (!adj)
        return RMTK_ERR_NOMEM;
    memcpy(adj, pl, nl * sizeof(double));
    memcpy(adj + nl, pr, nl * sizeof(double));
    int st = rmtk_pvalues_adjust(adj, 2 * nl, RMTK_MULTITEST_BH, adj);
    if (!st) {
        size_t kt = 0;
        while (kt < nl && !isnan(pl[kt]))
            kt++;
        size_t top = 0, rej = 0;
        for (size_t j = 0; 10 * j < kt; j++) {
            top += 2;
            rej += (adj[j] <= q) + (adj[nl + j] <= q);
        }
        if (top)
            *frac = (double)rej / (double)top;
    }
    rmtk__free(adj);
    return st;
}

int rmtk__multitest_apply(rmtk_analysis *a)
{
    if (a->p.multitest == RMTK_MULTITEST_NONE)
        return RMTK_OK; /* the *_adj columns stay NaN: the verdicts use the per-matrix rules */
    double q = a->p.significance;
    int st = RMTK_OK;
    size_t total = 0;
    for (size_t i = 0; i < a->nentries; i++)
        total += entry_hyps(a, i, NULL);
    if (total == 0)
        return RMTK_OK;
    hyp *h = rmtk__malloc_array(total, sizeof *h);
    double *p = rmtk__malloc_array(total, sizeof *p);
    if (!h || !p) {
        rmtk__free(h);
        rmtk__free(p);
        return RMTK_ERR_NOMEM;
    }
    /* one family per model (given spectra form one family of their own) */
    for (size_t g = 0; g <= a->nmodels && !st; g++) {
        size_t model = g < a->nmodels ? g : RMTK__NO_MODEL, m = 0;
        for (size_t i = 0; i < a->nentries; i++)
            if (a->entries[i].model == model)
                m += entry_hyps(a, i, h + m);
        for (size_t j = 0; j < m; j++)
            p[j] = hyp_p(a, &h[j]);
        st = rmtk_pvalues_adjust(p, m, a->p.multitest, p);
        for (size_t j = 0; j < m && !st; j++) {
            rmtk__entry *e = &a->entries[h[j].entry];
            double *v = e->values;
            switch (h[j].kind) {
            case H_TW:
                if (h[j].step == 0) {
                    v[COL_MP_TW_P_ADJ] = p[j];
                    v[COL_N_SPIKES_CTL] = 0;
                }
                /* sequential: step j counts only when every earlier step did */
                if (p[j] <= q && v[COL_N_SPIKES_CTL] == (double)h[j].step &&
                    (double)h[j].step < v[COL_N_SPIKES])
                    v[COL_N_SPIKES_CTL] += 1;
                break;
            case H_GOF: v[COL_MP_LAW_KS_P_ADJ] = p[j]; break;
            case H_R: v[COL_R_P_GOE_ADJ] = p[j]; break;
            case H_KS: v[COL_KS_P_GOE_ADJ] = p[j]; break;
            default:
                v[COL_PT_P_ADJ] = p[j];
                if (p[j] <= q)
                    st = pt_top_ctl(e, q, &v[COL_PT_TOP_DECILE_FRAC_CTL]);
                else
                    v[COL_PT_TOP_DECILE_FRAC_CTL] = 0;
                break;
            }
        }
    }
    rmtk__free(h);
    rmtk__free(p);
    return st;
}
