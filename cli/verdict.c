/*
 * verdict.c: the one-line verdict per layer printed by `rmtk analyze` and written in report.html.
 * The rules are documented in docs/report.md ("Verdicts"); they only read summary statistics, so
 * the terminal table (from the analysis handle) and the HTML (from report.json) agree by
 * construction: both go through cli_verdict with a getter of named columns.
 *
 * A statistic enters a verdict only when its status column says it is usable (ok): a fit that
 * was capped or failed, or a value from fewer levels or tail values than the documented minimum
 * (RMTK_ANALYSIS_MIN_LEVELS, RMTK_ANALYSIS_MIN_TAIL), is left out and the verdict says why.
 * Reports without status columns (older schema) are read as before.
 */
#include "cli.h"

#include <math.h>
#include <string.h>

#define GOE_R 0.5307   /* <r~> of GOE (Atas et al. 2013) */
#define POISSON_R 0.3863 /* 2 ln 2 - 1 */
#define NONGAUSS_FRAC 0.25 /* top-decile Porter-Thomas rejections that count as structure */

static size_t append(char *buf, size_t n, size_t len, const char *s)
{
    if (len < n) {
        size_t room = n - len;
        int w = snprintf(buf + len, room, "%s%s", len ? "; " : "", s);
        if (w > 0)
            len += (size_t)w < room ? (size_t)w : room - 1;
    }
    return len;
}

/* The status column that governs a column shown in tables and trend plots. */
static const char *governing_status(const char *column)
{
    static const struct {
        const char *col, *status;
    } map[] = {
        {"n_spikes", "mp_fit_status"},   {"mp_tw_p_top", "mp_fit_status"},
        {"r_mean", "levels_status"},     {"r_sem", "levels_status"},
        {"ks_p_goe", "levels_status"},   {"ks_p_wigner", "levels_status"},
        {"ks_p_poisson", "levels_status"}, {"brody_beta", "levels_status"},
        {"alpha", "tails_status"},       {"hill_alpha", "tails_status"},
        {"csn_alpha", "tails_status"},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(map[i].col, column))
            return map[i].status;
    return NULL;
}

double cli_usable(cli_getter get, const void *ctx, const char *column)
{
    const char *sc = governing_status(column);
    if (sc) {
        double s = get(ctx, sc);
        if (!isnan(s) && s != RMTK_STAT_OK)
            return NAN;
    }
    return get(ctx, column);
}

int cli_verdict(cli_getter get, const void *ctx, double alpha, char *buf, size_t n)
{
    char part[128];
    size_t len = 0;
    int structure = 0, random_bulk = 0;
    buf[0] = '\0';
    if (!(alpha > 0 && alpha < 1))
        alpha = 0.05;
    if (get(ctx, "spectral_norm") == 0) {
        append(buf, n, len, "all-zero matrix (no spectrum to analyse)");
        return CLI_UNDETERMINED;
    }
    if (get(ctx, "degenerate") == 1) {
        append(buf, n, len, "flat spectrum (orthogonal-like): all singular values equal to the "
                            "storage precision, no level or tail statistics");
        return CLI_STRUCTURE;
    }
    double lst = get(ctx, "levels_status"), nlev = get(ctx, "n_unfolded");
    double r = get(ctx, "r_mean"), sem = get(ctx, "r_sem"), p_goe = get(ctx, "ks_p_goe");
    int levels_ok = isnan(lst) ? !isnan(r) && !isnan(p_goe) : lst == RMTK_STAT_OK;
    if (levels_ok) {
        int near_goe = !isnan(sem) && fabs(r - GOE_R) <= 3 * sem;
        if (near_goe && (isnan(p_goe) || p_goe > alpha)) {
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
    } else if (!isnan(lst) || !isnan(get(ctx, "r_mean"))) {
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
    } else if (isnan(lst) && !isnan(get(ctx, "n_unfolded"))) {
        len = append(buf, n, len, "too few levels for bulk statistics");
    }
    double fst = get(ctx, "mp_fit_status"), spikes = get(ctx, "n_spikes");
    int mp_ok = 0;
    if (fst == RMTK_STAT_CAPPED) {
        len = append(buf, n, len, "bulk not Marchenko-Pastur (the robust fit's outlier "
                                  "exclusion reached k/2; outliers not counted)");
        structure = 1;
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
        if (spikes > 0) {
            snprintf(part, sizeof part, "structure in %.0f outlier%s", spikes,
                     spikes == 1 ? "" : "s");
            len = append(buf, n, len, part);
            structure = 1;
        }
    }
    double top = get(ctx, "pt_top_decile_frac_rejected");
    if (top >= NONGAUSS_FRAC) {
        snprintf(part, sizeof part, "top vectors non-Gaussian (%.0f%% fail Porter-Thomas)",
                 100 * top);
        len = append(buf, n, len, part);
        structure = 1;
    }
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
        return CLI_STRUCTURE;
    /* Random only when the evidence says so: a GOE bulk, or (levels not asked) a clean MP fit
     * without outliers; otherwise (too few levels, ...) no claim either way. */
    int levels_asked = !isnan(lst) || !isnan(r);
    if (random_bulk || (!levels_asked && mp_ok))
        return CLI_RANDOM;
    if (!levels_asked && isnan(fst) && !isnan(get(ctx, "spectral_norm")))
        return CLI_RANDOM; /* an old report without status columns: the former rule */
    return CLI_UNDETERMINED;
}

double cli_json_getter(const void *matrix, const char *column)
{
    return cli_metric(matrix, column);
}
