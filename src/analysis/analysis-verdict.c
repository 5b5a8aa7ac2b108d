/*
 * analysis-verdict.c: the vocabulary of the report (one description per key, which keys hold
 * integers, which status governs a key) and the one-line verdict per matrix.
 *
 * The verdict rules are documented in docs/report.md ("Verdicts"). They read summary statistics
 * only, through a getter of named keys, so that summary.csv and report.json (written here from
 * the analysis handle), the terminal table and report.html (the CLI, from the handle or from
 * report.json read back; numbers round-trip exactly at %.17g) give the same verdict by
 * construction. A statistic enters a verdict only when its status column says it is usable (ok):
 * a fit that was capped or failed, or a value from fewer levels or tail values than the
 * documented minimum (RMTK_ANALYSIS_MIN_LEVELS, RMTK_ANALYSIS_MIN_TAIL), is left out and the
 * verdict says why. Reports without status columns (older versions) are read with the former
 * rules.
 *
 * Constants: <r~> of GOE 4 - 2 sqrt 3 ~ 0.5307 (Atas et al., PRL 110, 084101, 2013, Table I,
 * the surmise), of Poisson 2 ln 2 - 1 = 0.3863; NONGAUSS_FRAC, the fraction of top-decile
 * singular vectors failing Porter-Thomas that counts as structure (5 % fail by chance at a 0.05
 * level; docs/report.md rule 3).
 */
#include "analysis-internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#define GOE_R 0.5307
#define POISSON_R 0.3863
#define NONGAUSS_FRAC 0.25

/* ---- vocabulary ---------------------------------------------------------------------------- */

/* The descriptive fields of a summary.csv row and a report.json matrix object. */
static const struct {
    const char *key, *desc;
    int integer;
} fixed_keys[] = {
    {"name", "matrix name: the tensor name, with [k] for slice k", 0},
    {"tensor", "the tensor it comes from", 0},
    {"file", "the input file the tensor was read from (empty for a given spectrum)", 0},
    {"source", "the label of the input (--label; default derived from the path when several "
               "inputs are analysed, empty for one)", 0},
    {"slice", "k for a slice of a 3-D stack or kernel position, empty for a whole tensor", 1},
    {"block", "layer (block) index parsed from the name (empty / JSON -1 when none)", 1},
    {"module", "normalised module type: attn_q, attn_k, attn_v, attn_o, mlp_gate, mlp_up, "
               "mlp_down, embed, lm_head, router, conv, ... (empty when unknown)", 0},
    {"expert", "expert index of a mixture-of-experts weight (empty / JSON -1 when none)", 1},
    {"rows", "N, rows of the matrix (a skipped tensor: its real first dimension)", 1},
    {"cols", "M, columns of the matrix (empty for a skipped 1-D tensor)", 1},
    {"dtype", "stored dtype", 0},
    {"method", "spectrum route: gram, svd, given or factors (a matrix given as factors)", 0},
    {"status", "ok, skipped or error", 0},
    {"reason", "why skipped, or the error message", 0},
    {"verdict", "one-line verdict from the statistics (docs/report.md, Verdicts)", 0},
    {"looks_random", "1 looks random, 0 carries structure, empty (JSON null) undetermined", 1},
};

static int column_of(const char *key)
{
    if (!key)
        return -1;
    for (int c = 0; c < RMTK__NCOLS; c++)
        if (!strcmp(rmtk__columns[c].name, key))
            return c;
    return -1;
}

const char *rmtk_report_key_describe(const char *key)
{
    int c = column_of(key);
    if (c >= 0)
        return rmtk__columns[c].desc;
    for (size_t k = 0; key && k < sizeof fixed_keys / sizeof fixed_keys[0]; k++)
        if (!strcmp(fixed_keys[k].key, key))
            return fixed_keys[k].desc;
    return NULL;
}

const char *rmtk_report_key_anchor(const char *key)
{
    int c = column_of(key);
    if (c < 0)
        return rmtk_report_key_describe(key) ? "descriptive" : NULL;
    switch (rmtk__columns[c].stats) {
    case RMTK_STATS_BASIC:
        return "basic";
    case RMTK_STATS_MP:
        return "mp";
    case RMTK_STATS_LEVELS:
        return "levels";
    case RMTK_STATS_VECTORS:
        return "vectors";
    case RMTK_STATS_NULL:
        return "null";
    case RMTK_STATS_TAILS:
    case RMTK_STATS_ALPHA:
        return "tails";
    case RMTK_STATS_LAWS:
        return "laws";
    default:
        return NULL;
    }
}

int rmtk_report_key_is_integer(const char *key)
{
    int c = column_of(key);
    if (c >= 0)
        return rmtk__columns[c].integer;
    for (size_t k = 0; key && k < sizeof fixed_keys / sizeof fixed_keys[0]; k++)
        if (!strcmp(fixed_keys[k].key, key))
            return fixed_keys[k].integer;
    return 0;
}

const char *rmtk_report_key_status(const char *key)
{
    static const struct {
        const char *col, *status;
    } map[] = {
        {"n_spikes", "mp_fit_status"},     {"mp_tw_p_top", "mp_fit_status"},
        {"r_mean", "levels_status"},       {"r_sem", "levels_status"},
        {"ks_p_goe", "levels_status"},     {"ks_p_wigner", "levels_status"},
        {"ks_p_poisson", "levels_status"}, {"brody_beta", "levels_status"},
        {"alpha", "tails_status"},         {"hill_alpha", "tails_status"},
        {"csn_alpha", "tails_status"},     {"n_spikes_ctl", "mp_fit_status"},
        {"mp_tw_p_adj", "mp_fit_status"},  {"r_p_goe", "levels_status"},
        {"r_p_goe_adj", "levels_status"},  {"ks_p_goe_adj", "levels_status"},
    };
    for (size_t i = 0; key && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].col, key))
            return map[i].status;
    return NULL;
}

double rmtk_report_value_usable(rmtk_metric_fn get, const void *ctx, const char *key)
{
    if (!get || !key)
        return NAN;
    const char *sc = rmtk_report_key_status(key);
    if (sc) {
        double s = get(ctx, sc);
        if (!isnan(s) && s != RMTK_STAT_OK)
            return NAN;
    }
    return get(ctx, key);
}

/* ---- verdict ------------------------------------------------------------------------------- */

static size_t append(char *buf, size_t n, size_t len, const char *s)
{
    if (n && len < n) {
        size_t room = n - len;
        int w = snprintf(buf + len, room, "%s%s", len ? "; " : "", s);
        if (w > 0)
            len += (size_t)w < room ? (size_t)w : room - 1;
    }
    return len;
}

int rmtk_verdict_eval(rmtk_metric_fn get, const void *ctx, double significance, char *buf,
                      size_t n)
{
    char part[160];
    size_t len = 0;
    int structure = 0, random_bulk = 0;
    if (buf && n)
        buf[0] = '\0';
    else
        n = 0;
    if (!get)
        return RMTK_VERDICT_UNDETERMINED;
    if (!(significance > 0 && significance < 1))
        significance = 0.05;
    if (get(ctx, "spectral_norm") == 0) {
        append(buf, n, len, "all-zero matrix (no spectrum to analyse)");
        return RMTK_VERDICT_UNDETERMINED;
    }
    double inner = get(ctx, "factor_inner");
    if (!isnan(inner)) { /* a matrix given as factors: at most r non-zero values */
        snprintf(part, sizeof part, "low-rank product (inner dimension %.0f, numerical rank "
                 "%.0f): no bulk statistics", inner, get(ctx, "numerical_rank"));
        append(buf, n, len, part);
        return RMTK_VERDICT_UNDETERMINED;
    }
    double pooled = get(ctx, "conv_pooled");
    if (!isnan(pooled)) { /* --conv pooled: the union of several matrices' spectra */
        snprintf(part, sizeof part, "pooled convolution ESD (%.0f kernel slices): alpha and tail "
                 "fits only, no bulk statistics", pooled);
        append(buf, n, len, part);
        return RMTK_VERDICT_UNDETERMINED;
    }
    if (get(ctx, "degenerate") == 1) {
        append(buf, n, len, "flat spectrum (orthogonal-like): all singular values equal to the "
                            "storage precision, no level or tail statistics");
        return RMTK_VERDICT_STRUCTURE;
    }
    /* 1. bulk: level statistics */
    double lst = get(ctx, "levels_status"), nlev = get(ctx, "n_unfolded");
    double r = get(ctx, "r_mean"), sem = get(ctx, "r_sem"), p_goe = get(ctx, "ks_p_goe");
    int levels_ok = isnan(lst) ? !isnan(r) && !isnan(p_goe) : lst == RMTK_STAT_OK;
    /* Model-level control (docs/report.md, "Multiple testing"): with the adjusted p-values
     * present, the bulk deviates when either test rejects after adjustment; without them (a run
     * with --multitest none, an older report) the per-matrix rule. */
    double r_adj = get(ctx, "r_p_goe_adj"), ks_adj = get(ctx, "ks_p_goe_adj");
    int controlled = !isnan(r_adj) || !isnan(ks_adj);
    if (levels_ok) {
        int near_goe = !isnan(sem) && fabs(r - GOE_R) <= 3 * sem;
        int accept = near_goe && (isnan(p_goe) || p_goe > significance);
        if (controlled)
            accept = !(r_adj <= significance) && !(ks_adj <= significance);
        if (accept) {
            len = append(buf, n, len, "bulk random (GOE)");
            random_bulk = 1;
        } else if (fabs(r - POISSON_R) < fabs(r - GOE_R)) {
            len = append(buf, n, len, "bulk uncorrelated (Poisson-like)");
            structure = 1;
        } else {
            len = append(buf, n, len, "bulk deviates from GOE");
            structure = 1;
        }
    } else if (lst == RMTK_STAT_FAILED) {
        len = append(buf, n, len, "no level statistics (no Marchenko-Pastur fit to unfold with)");
    } else if (!isnan(lst) || !isnan(r)) {
        double levels = get(ctx, "numerical_rank");
        if (!isnan(levels) && !isnan(nlev) && nlev < levels)
            snprintf(part, sizeof part, "too few levels for bulk statistics (%.0f levels, %.0f "
                     "after unfolding < %d)", levels, nlev, RMTK_ANALYSIS_MIN_LEVELS);
        else if (!isnan(levels))
            snprintf(part, sizeof part, "too few levels for bulk statistics (%.0f levels < %d)",
                     levels, RMTK_ANALYSIS_MIN_LEVELS);
        else
            snprintf(part, sizeof part, "too few levels for bulk statistics");
        len = append(buf, n, len, part);
    } else if (isnan(lst) && !isnan(nlev)) {
        len = append(buf, n, len, "too few levels for bulk statistics");
    }
    /* 2. Marchenko-Pastur fit and its Tracy-Widom outliers */
    double fst = get(ctx, "mp_fit_status"), spikes = get(ctx, "n_spikes");
    int mp_ok = 0;
    if (fst == RMTK_STAT_CAPPED) {
        len = append(buf, n, len, "bulk not Marchenko-Pastur (the robust fit's outlier "
                                  "exclusion reached k/2; outliers not counted)");
        structure = 1;
    } else if (fst == RMTK_STAT_FAILED && get(ctx, "mp_law_ks_p_adj") > significance) {
        double ks = get(ctx, "mp_law_ks"), crit = get(ctx, "mp_law_ks_crit");
        snprintf(part, sizeof part, "Marchenko-Pastur fit marginal (KS %.3g > %.3g, not "
                 "significant across the model: adjusted p %.2g)", ks, crit,
                 get(ctx, "mp_law_ks_p_adj"));
        len = append(buf, n, len, part);
        double ctl = get(ctx, "n_spikes_ctl"); /* its outliers then count, under control */
        if (ctl > 0) {
            snprintf(part, sizeof part, "structure in %.0f outlier%s", ctl, ctl == 1 ? "" : "s");
            len = append(buf, n, len, part);
            structure = 1;
        }
    } else if (fst == RMTK_STAT_FAILED) {
        double ks = get(ctx, "mp_law_ks"), crit = get(ctx, "mp_law_ks_crit");
        if (!isnan(ks) && !isnan(crit))
            snprintf(part, sizeof part, "bulk not Marchenko-Pastur (KS %.3g > %.3g, the 1%% "
                                        "level of Gaussian matrices; outliers not counted)",
                     ks, crit);
        else
            snprintf(part, sizeof part, "bulk not Marchenko-Pastur (the fit failed)");
        len = append(buf, n, len, part);
        structure = 1;
    } else if (fst == RMTK_STAT_TOO_FEW) {
        if (!levels_ok && isnan(lst) && isnan(r)) {
            snprintf(part, sizeof part, "too few levels for a Marchenko-Pastur fit (< %d)",
                     RMTK_ANALYSIS_MIN_LEVELS);
            len = append(buf, n, len, part);
        }
    } else if (isnan(fst) || fst == RMTK_STAT_OK) {
        mp_ok = fst == RMTK_STAT_OK;
        double ctl = get(ctx, "n_spikes_ctl");
        if (!isnan(ctl))
            spikes = ctl; /* the outliers that survive the model-level control */
        if (spikes > 0) {
            snprintf(part, sizeof part, "structure in %.0f outlier%s", spikes,
                     spikes == 1 ? "" : "s");
            len = append(buf, n, len, part);
            structure = 1;
        }
    }
    /* 3. Porter-Thomas in the top decile (pt_top_decile_frac_rejected, not pt_frac_rejected) */
    double top = get(ctx, "pt_top_decile_frac_rejected");
    double top_ctl = get(ctx, "pt_top_decile_frac_ctl");
    if (!isnan(top_ctl))
        top = top_ctl; /* rejections under the model-level control */
    if (top >= NONGAUSS_FRAC) {
        snprintf(part, sizeof part, "top vectors non-Gaussian (%.0f%% of the top decile fail "
                                    "Porter-Thomas)",
                 100 * top);
        len = append(buf, n, len, part);
        structure = 1;
    }
    /* 4. tail: the WeightWatcher density exponent alpha */
    double a = get(ctx, "alpha"), tst = get(ctx, "tails_status");
    if (a < 2) {
        if (isnan(tst) || tst == RMTK_STAT_OK) {
            snprintf(part, sizeof part, "very heavy tail (alpha %.2f < 2)", a);
            structure = 1;
        } else {
            snprintf(part, sizeof part, "no tail verdict (alpha %.2f from %.0f tail values < %d)",
                     a, get(ctx, "n_tail"), RMTK_ANALYSIS_MIN_TAIL);
        }
        len = append(buf, n, len, part);
    }
    (void)len;
    if (structure)
        return RMTK_VERDICT_STRUCTURE;
    /* Random only when the evidence says so: a GOE bulk, or (levels not asked) a clean MP fit
     * without outliers; otherwise (too few levels, ...) no claim either way. */
    int levels_asked = !isnan(lst) || !isnan(r);
    if (random_bulk || (!levels_asked && mp_ok))
        return RMTK_VERDICT_RANDOM;
    if (!levels_asked && isnan(fst) && !isnan(get(ctx, "spectral_norm")))
        return RMTK_VERDICT_RANDOM; /* an old report without status columns: the former rule */
    return RMTK_VERDICT_UNDETERMINED;
}

typedef struct {
    const rmtk_analysis *a;
    size_t i;
} entry_ctx;

/* The value of a computed column of entry i; NaN for a column not computed. */
static double entry_get(const void *ctx, const char *key)
{
    const entry_ctx *e = ctx;
    int c = column_of(key);
    if (c < 0)
        return NAN;
    for (size_t k = 0; k < e->a->nactive; k++)
        if (e->a->active[k] == c)
            return e->a->entries[e->i].values[c];
    return NAN;
}

int rmtk__entry_verdict(const rmtk_analysis *a, size_t i, char *buf, size_t size)
{
    const rmtk__entry *e = &a->entries[i];
    if (e->e.skip != RMTK_SKIP_NONE || e->status) {
        if (buf && size)
            buf[0] = '\0';
        return RMTK_VERDICT_UNDETERMINED;
    }
    entry_ctx ctx = {a, i};
    return rmtk_verdict_eval(entry_get, &ctx, a->p.significance, buf, size);
}

int rmtk_analysis_verdict(const rmtk_analysis *a, size_t i, char *buf, size_t size,
                          int *looks_random)
{
    if (looks_random)
        *looks_random = RMTK_VERDICT_UNDETERMINED;
    if (buf && size)
        buf[0] = '\0';
    if (!a || i >= a->nentries || (size && !buf))
        return RMTK_ERR_ARG;
    const rmtk__entry *e = &a->entries[i];
    if (e->e.skip != RMTK_SKIP_NONE || e->status)
        return RMTK_ERR_NOTFOUND;
    int v = rmtk__entry_verdict(a, i, buf, size);
    if (looks_random)
        *looks_random = v;
    return RMTK_OK;
}
