/*
 * verdict.c: the CLI side of the report's vocabulary and verdicts.
 *
 * The verdict rules live in the library (src/analysis/analysis-verdict.c, rmtk_verdict_eval;
 * docs/report.md "Verdicts"), which also writes them into summary.csv and report.json: the
 * terminal table (from the analysis handle), report.html and `rmtk plot` (from report.json) call
 * the same function, so every output agrees by construction.
 *
 * The table of statistics shown in the terminal and in report.html is defined once here: each
 * entry is a summary.csv column (the canonical name, the same in report.json and report.html)
 * and the terminal's abbreviation, which the terminal explains in a legend under the table with
 * the library's one-line description (rmtk_report_key_describe).
 */
#include "cli.h"

#include <math.h>
#include <string.h>

const cli_table_col cli_table_cols[] = {
    {"spectral_norm", "spec_norm"},
    {"stable_rank", "stable_rk"},
    {"log_norm", "log_norm"},
    {"n_above_mp_edge", "n_naive"},
    {"n_null", "n_null"},
    {"mp_sigma2", "mp_sigma2"},
    {"mp_fit_status", "mp_fit"},
    {"n_spikes", "n_spikes"},
    {"r_mean", "r_mean"},
    {"ks_p_goe", "ks_p_goe"},
    {"brody_beta", "brody"},
    {"pt_frac_rejected", "pt_rej_all"},
    {"pt_top_decile_frac_rejected", "pt_rej_top"},
    {"alpha", "alpha"},
    {"hill_alpha", "hill_ccdf"},
};
const size_t cli_ntable_cols = sizeof cli_table_cols / sizeof cli_table_cols[0];

double cli_usable(cli_getter get, const void *ctx, const char *column)
{
    return rmtk_report_value_usable(get, ctx, column);
}

int cli_verdict(cli_getter get, const void *ctx, double significance, char *buf, size_t n)
{
    int v = rmtk_verdict_eval(get, ctx, significance, buf, n);
    return v == RMTK_VERDICT_RANDOM      ? CLI_RANDOM
           : v == RMTK_VERDICT_STRUCTURE ? CLI_STRUCTURE
                                         : CLI_UNDETERMINED;
}

int cli_json_verdict(const cJSON *matrix, double significance, char *buf, size_t n)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(matrix, "verdict");
    const cJSON *lr = cJSON_GetObjectItemCaseSensitive(matrix, "looks_random");
    if (cJSON_IsString(v) && lr) { /* written by the library with the run's significance */
        snprintf(buf, n, "%s", v->valuestring);
        if (cJSON_IsNumber(lr))
            return lr->valuedouble == 1 ? CLI_RANDOM : CLI_STRUCTURE;
        return CLI_UNDETERMINED;
    }
    return cli_verdict(cli_json_getter, matrix, significance, buf, n); /* an older report */
}

double cli_json_significance(const cJSON *report)
{
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(report, "parameters");
    double s = cli_json_num(params, "significance");
    if (isnan(s))
        s = cli_json_num(params, "alpha"); /* reports before the rename */
    return s > 0 && s < 1 ? s : 0.05;
}

double cli_json_getter(const void *matrix, const char *column)
{
    return cli_metric(matrix, column);
}
