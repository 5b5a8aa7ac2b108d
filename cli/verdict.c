/*
 * verdict.c: the one-line verdict per layer printed by `rmtk analyze` and written in report.html.
 * The rules are documented in docs/report.md ("Verdicts"); they only read summary statistics, so
 * the terminal table (from the analysis handle) and the HTML (from report.json) agree by
 * construction: both go through cli_verdict with a getter of named columns.
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

int cli_verdict(cli_getter get, const void *ctx, double alpha, char *buf, size_t n)
{
    char part[96];
    size_t len = 0;
    int structure = 0;
    buf[0] = '\0';
    if (!(alpha > 0 && alpha < 1))
        alpha = 0.05;
    if (get(ctx, "spectral_norm") == 0) {
        append(buf, n, len, "all-zero matrix (no spectrum to analyse)");
        return 0;
    }
    double r = get(ctx, "r_mean"), sem = get(ctx, "r_sem"), p_goe = get(ctx, "ks_p_goe");
    if (!isnan(r) && !isnan(p_goe)) {
        int near_goe = !isnan(sem) && fabs(r - GOE_R) <= 3 * sem;
        if (near_goe && (isnan(p_goe) || p_goe > alpha)) {
            len = append(buf, n, len, "bulk random (GOE)");
        } else if (fabs(r - POISSON_R) < fabs(r - GOE_R)) {
            len = append(buf, n, len, "bulk uncorrelated (Poisson-like)");
            structure = 1;
        } else {
            len = append(buf, n, len, "bulk deviates from GOE");
            structure = 1;
        }
    } else {
        len = append(buf, n, len, "too few levels for bulk statistics");
    }
    double spikes = get(ctx, "n_spikes");
    if (spikes > 0) {
        snprintf(part, sizeof part, "structure in %.0f outlier%s", spikes,
                 spikes == 1 ? "" : "s");
        len = append(buf, n, len, part);
        structure = 1;
    }
    double top = get(ctx, "pt_top_decile_frac_rejected");
    if (top >= NONGAUSS_FRAC) {
        snprintf(part, sizeof part, "top vectors non-Gaussian (%.0f%% fail Porter-Thomas)", 100 * top);
        len = append(buf, n, len, part);
        structure = 1;
    }
    double a = get(ctx, "alpha");
    if (a < 2) {
        snprintf(part, sizeof part, "very heavy tail (alpha %.2f < 2)", a);
        len = append(buf, n, len, part);
        structure = 1;
    }
    (void)len;
    return structure;
}

double cli_json_getter(const void *matrix, const char *column)
{
    return cli_metric(matrix, column);
}
