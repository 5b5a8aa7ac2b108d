/*
 * html.c: DIR/report.html, one self-contained file written from a parsed report.json: inline CSS,
 * the SVG figures inlined (no network request, no script, works offline), a summary of the model
 * (which layers look random, which carry structure, and why: the verdicts of verdict.c), the
 * per-layer table, a section per layer with its figures and numbers, the parameters and
 * provenance, and every skipped tensor with its reason. Every string from the report (tensor
 * names are untrusted) goes through html_text, which escapes & < > " '.
 *
 * Inlined SVGs share one document, so the ids cairo writes (glyph0-1, clip1, ...) would collide:
 * each figure's ids are prefixed with "f<N>-" (id="...", href="#...", url(#...)).
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void html_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        case '\'': fputs("&#39;", f); break;
        default: fputc(*s, f);
        }
    }
}

static const char *verdict_class(int st)
{
    return st == CLI_STRUCTURE ? "structure" : st == CLI_RANDOM ? "random" : "undetermined";
}

/* A number of the tables: an integer column (counts, flags) in full, others to 4 digits. */
static void num(FILE *f, double v, int integer)
{
    if (isnan(v))
        fputs("–", f);
    else if (integer && v == floor(v) && fabs(v) < 1e15)
        fprintf(f, "%lld", (long long)v);
    else
        fprintf(f, "%.4g", v);
}

/* Copies the <svg ...>...</svg> element of the file, its ids prefixed. Returns 1 if inlined. */
static int inline_svg(FILE *out, const char *path, int fig_no)
{
    size_t n;
    char *s = cli_read_file(path, &n);
    if (!s)
        return 0;
    char *p = strstr(s, "<svg");
    if (!p) {
        free(s);
        return 0;
    }
    char pre[24];
    snprintf(pre, sizeof pre, "f%d-", fig_no);
    static const char *pats[] = {"id=\"", "href=\"#", "url(#"};
    while (*p) {
        size_t best = (size_t)-1;
        int which = -1;
        for (int k = 0; k < 3; k++) {
            char *q = strstr(p, pats[k]);
            if (q && (size_t)(q - p) < best) {
                best = (size_t)(q - p);
                which = k;
            }
        }
        if (which < 0) {
            fputs(p, out);
            break;
        }
        size_t plen = strlen(pats[which]);
        fwrite(p, 1, best + plen, out);
        fputs(pre, out);
        p += best + plen;
    }
    free(s);
    return 1;
}

static const char *css =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;"
    "margin:0 auto;max-width:1240px;padding:1em 2em;color:#222;background:#fff}"
    "h1{font-size:1.6em;margin-bottom:.2em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;"
    "margin-top:2em}h3{margin-top:1.5em}"
    "table{border-collapse:collapse;font-size:.9em;margin:.5em 0}"
    "th,td{border:1px solid #ddd;padding:.25em .6em;text-align:right}"
    "th{background:#f3f5f8}td.l,th.l{text-align:left}"
    ".random{color:#0b6e4f}.structure{color:#b34700}.undetermined{color:#555}"
    "figure{margin:1em 0}figure svg{max-width:100%;height:auto;display:block}"
    "figcaption{font-size:.9em;color:#555}code{background:#f3f5f8;padding:0 .2em}"
    ".muted{color:#666;font-size:.9em}td.v{min-width:22em}"
    "dl.legend{display:grid;grid-template-columns:max-content 1fr;gap:0 1em}"
    "dl.legend dd{margin:0}div.wide{overflow-x:auto}";

/* One <dt>key</dt><dd>description</dd> of the legend under the layer table. */
static void key_legend(FILE *f, const char *key)
{
    fprintf(f, "<dt><code>%s</code></dt><dd>", key);
    html_text(f, rmtk_report_key_describe(key));
    fputs("</dd>", f);
}

static int has_col(const cJSON *report, const char *col)
{
    const cJSON *cols = cJSON_GetObjectItemCaseSensitive(report, "columns"), *c;
    cJSON_ArrayForEach(c, cols) if (cJSON_IsString(c) && !strcmp(c->valuestring, col)) return 1;
    return 0;
}

static void param_row(FILE *f, const char *key, const cJSON *v)
{
    fputs("<tr><th class=l>", f);
    html_text(f, key);
    fputs("</th><td class=l><code>", f);
    char *s = cJSON_PrintUnformatted(v);
    html_text(f, s ? s : "?");
    free(s);
    fputs("</code></td></tr>\n", f);
}

int cli_html_write(const cJSON *report, const char *figdir, const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("%s: cannot write", tmp);
        return RMTK_ERR_IO;
    }
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(report, "parameters");
    const cJSON *mats = cJSON_GetObjectItemCaseSensitive(report, "matrices"), *m;
    const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(report, "skipped"), *s;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(report, "inputs"), *in;
    double alpha = cli_json_significance(report);

    fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
          "<meta name=viewport content=\"width=device-width,initial-scale=1\">\n"
          "<title>rmtk report</title>\n<style>",
          f);
    fputs(css, f);
    fputs("</style></head><body>\n<h1>rmtk report</h1>\n<p class=muted>", f);
    cJSON_ArrayForEach(in, inputs)
    {
        html_text(f, cli_json_str(in, "path"));
        fputs(" ", f);
    }
    fputs("</p>\n", f);

    /* ---- summary ---- */
    size_t nok = 0, nrand = 0, nstruct = 0, nerr = 0;
    size_t nskip = (size_t)cJSON_GetArraySize(skipped);
    cJSON_ArrayForEach(m, mats)
    {
        if (cli_matrix_ok(m)) {
            char v[512];
            nok++;
            int st = cli_json_verdict(m, alpha, v, sizeof v);
            nrand += st == CLI_RANDOM;
            nstruct += st == CLI_STRUCTURE;
        } else if (cli_json_str(m, "status") && !strcmp(cli_json_str(m, "status"), "error")) {
            nerr++;
        }
    }
    fprintf(f, "<h2 id=summary>Summary</h2>\n<p>%zu matri%s analysed: <b class=random>%zu look "
               "random</b>, <b class=structure>%zu carry structure</b>, <b class=undetermined>"
               "%zu undetermined</b> (all-zero, or too few levels for a verdict)",
            nok, nok == 1 ? "x" : "ces", nrand, nstruct, nok - nrand - nstruct);
    if (nerr)
        fprintf(f, ", %zu failed", nerr);
    fprintf(f, "; %zu tensor%s skipped.</p>\n<ul>\n", nskip, nskip == 1 ? "" : "s");
    size_t idx = 0;
    cJSON_ArrayForEach(m, mats)
    {
        size_t i = idx++;
        if (!cli_matrix_ok(m))
            continue;
        char v[512];
        int st = cli_json_verdict(m, alpha, v, sizeof v);
        fprintf(f, "<li><a href=\"#m%zu\">", i);
        html_text(f, cli_json_str(m, "name"));
        fprintf(f, "</a>: <span class=%s>%s</span> — ", verdict_class(st), verdict_class(st));
        html_text(f, v);
        fputs("</li>\n", f);
    }
    fputs("</ul>\n<p class=muted>Verdict rules (docs/report.md): the bulk is random (GOE) when "
          "⟨r̃⟩ is within 3 standard errors of 0.5307 and the KS test against the exact GOE "
          "spacing law does not reject at the significance level (parameters.significance); outliers are eigenvalues above the Tracy–Widom "
          "threshold of the fitted Marchenko–Pastur law; top vectors are non-Gaussian when at "
          "least 25 % of the top-decile singular vectors fail the Porter–Thomas test; a "
          "power-law exponent alpha (the density exponent, WeightWatcher's) below 2 is a very heavy tail. A statistic enters a verdict only when "
          "its status is ok: a Marchenko–Pastur fit that was capped or failed (mp_fit_status) "
          "makes the verdict “bulk not Marchenko–Pastur” and its outliers are not counted; "
          "fewer than 50 levels or 50 tail values give no level or tail verdict; a spectrum "
          "flat to the storage precision is “flat spectrum (orthogonal-like)”; an all-zero "
          "matrix is neither random nor structured. Table cells of unusable values show "
          "–.</p>\n",
          f);
    int fig_no = 0;
    char stem[128], fpath[4096];
    cli_figure_stem((size_t)-1, "model", "trends", stem, sizeof stem);
    snprintf(fpath, sizeof fpath, "%s/%s.svg", figdir, stem);
    fputs("<figure>", f);
    if (inline_svg(f, fpath, fig_no++))
        fprintf(f, "<figcaption>%s</figcaption>", cli_figure_caption("trends"));
    fputs("</figure>\n", f);

    /* ---- table ---- */
    fputs("<h2 id=table>Layers</h2>\n<div class=wide><table><tr><th class=l>matrix</th><th>shape</th>"
          "<th>dtype</th>",
          f);
    int show[64];
    size_t ncols = cli_ntable_cols < 64 ? cli_ntable_cols : 64;
    for (size_t c = 0; c < ncols; c++) {
        show[c] = has_col(report, cli_table_cols[c].key);
        if (show[c]) {
            fputs("<th title=\"", f);
            html_text(f, rmtk_report_key_describe(cli_table_cols[c].key));
            fputs("\">", f);
            for (const char *k = cli_table_cols[c].key; *k; k++) /* may wrap after a '_' */
                fputs(*k == '_' ? "_<wbr>" : (char[2]){*k, 0}, f);
            fputs("</th>", f);
        }
    }
    fputs("<th class=l>verdict</th></tr>\n", f);
    idx = 0;
    cJSON_ArrayForEach(m, mats)
    {
        size_t i = idx++;
        fprintf(f, "<tr><td class=l><a href=\"#m%zu\">", i);
        html_text(f, cli_json_str(m, "name"));
        fprintf(f, "</a></td><td>%.0f×%.0f</td><td>", cli_json_num(m, "rows"),
                cli_json_num(m, "cols"));
        html_text(f, cli_json_str(m, "dtype"));
        fputs("</td>", f);
        if (!cli_matrix_ok(m)) {
            fputs("<td class=l colspan=99>error: ", f);
            html_text(f, cli_json_str(m, "error"));
            fputs("</td></tr>\n", f);
            continue;
        }
        for (size_t c = 0; c < ncols; c++)
            if (show[c]) {
                /* a status column by name; a value its status marks unusable as – */
                const char *label = cli_json_str(cJSON_GetObjectItemCaseSensitive(m, "statuses"),
                                                 cli_table_cols[c].key);
                fputs("<td>", f);
                if (label)
                    html_text(f, label);
                else
                    num(f, cli_usable(cli_json_getter, m, cli_table_cols[c].key),
                        rmtk_report_key_is_integer(cli_table_cols[c].key));
                fputs("</td>", f);
            }
        char v[512];
        int st = cli_json_verdict(m, alpha, v, sizeof v);
        fprintf(f, "<td class=\"l v %s\">", verdict_class(st));
        html_text(f, v);
        fputs("</td></tr>\n", f);
    }
    fputs("</table></div>\n<dl class=\"muted legend\">", f);
    for (size_t c = 0; c < ncols; c++)
        if (show[c])
            key_legend(f, cli_table_cols[c].key);
    fputs("<dt>–</dt><dd>not computed, or its status (mp_fit_status, levels_status, "
          "tails_status) is not ok; the verdict says why</dd>", f);
    key_legend(f, "verdict");
    key_legend(f, "looks_random");
    fputs("</dl>\n", f);

    /* ---- per layer ---- */
    idx = 0;
    cJSON_ArrayForEach(m, mats)
    {
        size_t i = idx++;
        const char *name = cli_json_str(m, "name");
        fprintf(f, "<h2 id=m%zu>", i);
        html_text(f, name);
        fprintf(f, "</h2>\n<p>%.0f × %.0f, ", cli_json_num(m, "rows"), cli_json_num(m, "cols"));
        html_text(f, cli_json_str(m, "dtype"));
        fputs(", tensor <code>", f);
        html_text(f, cli_json_str(m, "tensor"));
        fputs("</code> of <code>", f);
        html_text(f, cli_json_str(m, "file"));
        fputs("</code>", f);
        if (!cli_matrix_ok(m)) {
            fputs(". <b>Failed:</b> ", f);
            html_text(f, cli_json_str(m, "error"));
            fputs("</p>\n", f);
            continue;
        }
        fputs(", spectrum by <code>", f);
        html_text(f, cli_json_str(m, "method"));
        char v[512];
        int st = cli_json_verdict(m, alpha, v, sizeof v);
        fprintf(f, "</code>.<br>Verdict: <b class=%s>", verdict_class(st));
        html_text(f, v);
        fputs("</b></p>\n", f);
        for (size_t k = 0; cli_figure_kinds[k]; k++) {
            cli_figure_stem(i, name, cli_figure_kinds[k], stem, sizeof stem);
            snprintf(fpath, sizeof fpath, "%s/%s.svg", figdir, stem);
            fputs("<figure>", f);
            if (inline_svg(f, fpath, fig_no++)) {
                fprintf(f, "<figcaption>%s Data: <code>figures/", cli_figure_caption(
                                                                      cli_figure_kinds[k]));
                html_text(f, stem);
                fputs(".csv</code></figcaption>", f);
            }
            fputs("</figure>\n", f);
        }
        fputs("<details><summary>All statistics</summary><p class=muted>Keys as in "
              "summary.csv and report.json; definitions in docs/report.md, section of the "
              "--stats group named in the last column.</p><table>\n", f);
        const cJSON *metrics = cJSON_GetObjectItemCaseSensitive(m, "metrics"), *x;
        const cJSON *statuses = cJSON_GetObjectItemCaseSensitive(m, "statuses");
        cJSON_ArrayForEach(x, metrics)
        {
            fputs("<tr><th class=l>", f);
            html_text(f, x->string);
            fputs("</th><td>", f);
            const char *label = cli_json_str(statuses, x->string);
            if (label)
                html_text(f, label);
            else if (cJSON_IsNumber(x))
                fprintf(f, rmtk_report_key_is_integer(x->string) &&
                                   x->valuedouble == floor(x->valuedouble) &&
                                   fabs(x->valuedouble) < 1e15
                               ? "%.0f"
                               : "%.6g",
                        x->valuedouble);
            else
                fputs("–", f);
            fputs("</td><td class=l>", f);
            html_text(f, rmtk_report_key_describe(x->string));
            const char *anchor = rmtk_report_key_anchor(x->string);
            if (anchor)
                fprintf(f, " <span class=muted>(docs/report.md#%s)</span>", anchor);
            fputs("</td></tr>\n", f);
        }
        fputs("</table></details>\n", f);
    }

    /* ---- skipped ---- */
    fprintf(f, "<h2 id=skipped>Skipped tensors (%zu)</h2>\n", nskip);
    if (nskip) {
        fputs("<table><tr><th class=l>tensor</th><th class=l>dtype</th><th class=l>reason</th>"
              "</tr>\n",
              f);
        cJSON_ArrayForEach(s, skipped)
        {
            fputs("<tr><td class=l>", f);
            html_text(f, cli_json_str(s, "name"));
            fputs("</td><td class=l>", f);
            html_text(f, cli_json_str(s, "dtype"));
            fputs("</td><td class=l>", f);
            html_text(f, cli_json_str(s, "reason"));
            fputs("</td></tr>\n", f);
        }
        fputs("</table>\n", f);
    } else {
        fputs("<p>None.</p>\n", f);
    }

    /* ---- provenance ---- */
    fputs("<h2 id=provenance>Parameters and provenance</h2>\n<table>\n", f);
    static const char *top[] = {"rmtk_version", "backend", "blas", "precision",
                                "eigenvalue_convention", "seed", "schema_version"};
    for (size_t k = 0; k < sizeof top / sizeof top[0]; k++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(report, top[k]);
        if (v)
            param_row(f, top[k], v);
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, params) param_row(f, p->string, p);
    cJSON_ArrayForEach(in, inputs)
    {
        char key[64];
        snprintf(key, sizeof key, "input");
        param_row(f, key, in);
    }
    fputs("</table>\n<p class=muted>Written by rmtk from report.json; every figure's data is in "
          "the CSV file of the same name under figures/.</p>\n</body></html>\n",
          f);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
        cli_error("%s: cannot write", path);
        remove(tmp);
        return RMTK_ERR_IO;
    }
    return RMTK_OK;
}
