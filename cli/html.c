/*
 * html.c: DIR/report.html and DIR/layers/, written from a parsed report.json (issue 14: a report
 * that stays small for hundreds of layers).
 *
 * report.html is the summary page, one file that needs nothing else to show (inline CSS, a few
 * lines of inline script to sort the table, no network request): the verdict counts overall and
 * per module type, the trends figure (model-trends.svg inlined, text as text), and one table of
 * every matrix grouped by block, each row with a 128 x 32 PNG thumbnail of its spectrum inlined
 * as a data: URI (png.c) and a link to its page; then the skipped tensors and the parameters.
 * Its size grows by about 1.5 KB a matrix, whatever the figures.
 *
 * layers/NNN-NAME.html is the page of one matrix: its verdict, its figures (referenced as
 * <img src="../figures/...">, loaded by the browser when shown; none when --figures did not draw
 * them), and every statistic. Every string from the report (tensor names are untrusted) goes
 * through html_text, which escapes & < > " '.
 *
 * An inlined SVG shares the document, so its ids are prefixed with "f<N>-" (id="...",
 * href="#...", url(#...)) in case a driver writes any.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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
    "dl.legend dd{margin:0}div.wide{overflow-x:auto}"
    "th[data-s]{cursor:pointer}th[data-s]:hover{background:#e3e8f0}"
    "tr.g th{background:#fafbfc;text-align:left;font-weight:600}"
    "td img{display:block;image-rendering:pixelated}figure img{max-width:100%;height:auto}"
    "nav{font-size:.9em}";

/* Sorting of the summary table: a click on a heading sorts by that column (again: reversed);
 * numbers by value (cells carry data-v, "" for none, sorted last), text by text. The block
 * headings (tr.g) show only while sorted by block. */
static const char *sort_js =
    "function rmtkSort(th){var b=th.closest('table').tBodies[0],c=th.cellIndex,"
    "s=th.dataset.d=th.dataset.d==='1'?'-1':'1',g=th.dataset.s==='g';s=+s;"
    "function k(r){if(r.className==='g')return s>0?r.dataset.v:r.dataset.w;"
    "var x=r.cells[c];return x.dataset.v!==undefined?x.dataset.v:x.textContent}"
    "var rs=[].slice.call(b.rows).filter(function(r){var h=r.className==='g';"
    "r.style.display=h&&!g?'none':'';return g||!h});"
    "rs.sort(function(x,y){var a=k(x),e=k(y);if(a===''||e==='')return(a==='')-(e==='');"
    "var p=parseFloat(a),q=parseFloat(e);"
    "if(!isNaN(p)&&!isNaN(q)&&th.dataset.s!=='t')return s*(p-q);"
    "return s*String(a).localeCompare(String(e))});"
    "rs.forEach(function(r){b.appendChild(r)})}"
    "document.querySelectorAll('th[data-s]').forEach(function(th){"
    "th.addEventListener('click',function(){rmtkSort(th)})});";

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

void cli_layer_stem(size_t idx, const char *name, char *buf, size_t n)
{
    /* the figure stem without its kind: "NNN-<safe name>-" less the trailing dash */
    char s[160];
    cli_figure_stem(idx, name, "", s, sizeof s);
    size_t len = strlen(s);
    if (len && s[len - 1] == '-')
        s[len - 1] = '\0';
    snprintf(buf, n, "%s", s);
}

static void head(FILE *f, const char *title)
{
    fputs("<!DOCTYPE html>\n<html lang=en><head><meta charset=utf-8>\n"
          "<meta name=viewport content=\"width=device-width,initial-scale=1\">\n<title>",
          f);
    html_text(f, title);
    fputs("</title>\n<style>", f);
    fputs(css, f);
    fputs("</style></head><body>\n", f);
}

/* Writes to path.tmp through fn, then renames; RMTK_ERR_IO (printed) on failure. */
static int write_file(const char *path, int (*fn)(FILE *f, const void *ctx), const void *ctx)
{
    char tmp[4500];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("%s: cannot write: %s", tmp, strerror(errno));
        return RMTK_ERR_IO;
    }
    int st = fn(f, ctx);
    int bad = ferror(f);
    if (fclose(f) != 0 || bad || st || rename(tmp, path) != 0) {
        if (!st)
            cli_error("%s: cannot write", path);
        remove(tmp);
        return st ? st : RMTK_ERR_IO;
    }
    return RMTK_OK;
}

/* ---- the page of one matrix ----------------------------------------------------------------- */

typedef struct {
    const cJSON *report, *m, *prev, *next;
    size_t idx, iprev, inext;
    const char *figdir, *figrel;
    int nfig; /* figures found */
} layer_ctx;

static void structure_text(FILE *f, const cJSON *m)
{
    double b = cli_json_num(m, "block"), e = cli_json_num(m, "expert");
    const char *mod = cli_json_str(m, "module");
    if (b >= 0)
        fprintf(f, "block %.0f", b);
    else
        fputs("no block", f);
    fputs(", module ", f);
    html_text(f, mod && *mod ? mod : "–");
    if (e >= 0)
        fprintf(f, ", expert %.0f", e);
}

static void layer_link(FILE *f, const char *rel, size_t i, const cJSON *m)
{
    char stem[160];
    cli_layer_stem(i, cli_json_str(m, "name"), stem, sizeof stem);
    fprintf(f, "<a href=\"%s%s.html\">", rel, stem);
    html_text(f, cli_json_str(m, "name"));
    fputs("</a>", f);
}

static int layer_page(FILE *f, const void *vctx)
{
    const layer_ctx *c = vctx;
    const cJSON *m = c->m;
    const char *name = cli_json_str(m, "name");
    double alpha = cli_json_significance(c->report);
    head(f, name ? name : "matrix");
    fprintf(f, "<nav><a href=\"../report.html#m%zu\">↑ summary</a>", c->idx);
    if (c->prev) {
        fputs(" · ← ", f);
        layer_link(f, "", c->iprev, c->prev);
    }
    if (c->next) {
        fputs(" · → ", f);
        layer_link(f, "", c->inext, c->next);
    }
    fputs("</nav>\n<h1>", f);
    html_text(f, name);
    fprintf(f, "</h1>\n<p>%.0f × %.0f, ", cli_json_num(m, "rows"), cli_json_num(m, "cols"));
    html_text(f, cli_json_str(m, "dtype"));
    fputs(", ", f);
    structure_text(f, m);
    fputs(", tensor <code>", f);
    html_text(f, cli_json_str(m, "tensor"));
    fputs("</code> of <code>", f);
    html_text(f, cli_json_str(m, "file"));
    fputs("</code>", f);
    if (!cli_matrix_ok(m)) {
        fputs(". <b>Failed:</b> ", f);
        html_text(f, cli_json_str(m, "error"));
        fputs("</p>\n</body></html>\n", f);
        return RMTK_OK;
    }
    fputs(", spectrum by <code>", f);
    html_text(f, cli_json_str(m, "method"));
    char v[512];
    int st = cli_json_verdict(m, alpha, v, sizeof v);
    fprintf(f, "</code>.<br>Verdict: <b class=%s>", verdict_class(st));
    html_text(f, v);
    fputs("</b></p>\n", f);
    int shown = 0;
    for (size_t k = 0; cli_figure_kinds[k]; k++) {
        if (!strcmp(cli_figure_kinds[k], "trends"))
            continue;
        char stem[160], fpath[4400];
        const char *ext = NULL;
        cli_figure_stem(c->idx, name, cli_figure_kinds[k], stem, sizeof stem);
        static const char *const exts[] = {"svg", "png"};
        for (int e = 0; e < 2 && !ext; e++) {
            snprintf(fpath, sizeof fpath, "%s/%s.%s", c->figdir, stem, exts[e]);
            if (access(fpath, F_OK) == 0)
                ext = exts[e];
        }
        if (!ext)
            continue;
        shown++;
        fprintf(f, "<figure><img loading=lazy alt=\"%s\" src=\"", cli_figure_kinds[k]);
        html_text(f, c->figrel);
        html_text(f, stem);
        fprintf(f, ".%s\"><figcaption>%s Data: <code>figures/", ext,
                cli_figure_caption(cli_figure_kinds[k]));
        html_text(f, stem);
        fputs(".csv</code></figcaption></figure>\n", f);
    }
    if (!shown)
        fputs("<p class=muted>No figures drawn for this matrix (--figures summary or none, or too "
              "few values). <code>rmtk plot DIR/report.json --layer NAME</code> draws them.</p>\n",
              f);
    fputs("<h2>All statistics</h2><p class=muted>Keys as in summary.csv and report.json; "
          "definitions in docs/report.md.</p><table>\n",
          f);
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
            fprintf(f,
                    rmtk_report_key_is_integer(x->string) && x->valuedouble == floor(x->valuedouble) &&
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
    fputs("</table>\n</body></html>\n", f);
    return RMTK_OK;
}

/* ---- the summary page ----------------------------------------------------------------------- */

typedef struct {
    const cJSON *report;
    const char *figdir;
    const cJSON **rows; /* the matrices in table order */
    size_t *ridx;       /* their index in the report */
    long *rkey;         /* their group (block; -1 before the first block, LONG_MAX after) */
    size_t nrows;
} summary_ctx;

static void num_cell(FILE *f, double v, int integer)
{
    if (isnan(v)) {
        fputs("<td data-v=\"\">–</td>", f);
        return;
    }
    fprintf(f, "<td data-v=\"%.17g\">", v);
    num(f, v, integer);
    fputs("</td>", f);
}

static int summary_page(FILE *f, const void *vctx)
{
    const summary_ctx *c = vctx;
    const cJSON *report = c->report;
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(report, "parameters");
    const cJSON *mats = cJSON_GetObjectItemCaseSensitive(report, "matrices"), *m;
    const cJSON *skipped = cJSON_GetObjectItemCaseSensitive(report, "skipped"), *s;
    const cJSON *inputs = cJSON_GetObjectItemCaseSensitive(report, "inputs"), *in;
    double alpha = cli_json_significance(report);

    head(f, "rmtk report");
    fputs("<h1>rmtk report</h1>\n<p class=muted>", f);
    cJSON_ArrayForEach(in, inputs)
    {
        html_text(f, cli_json_str(in, "path"));
        fputs(" ", f);
    }
    fputs("</p>\n", f);

    /* ---- verdict counts, overall and per module type ---- */
    size_t nok = 0, nrand = 0, nstruct = 0, nerr = 0;
    size_t nskip = (size_t)cJSON_GetArraySize(skipped);
    size_t nmat = (size_t)cJSON_GetArraySize(mats), nmod = 0;
    const char **mods = calloc(nmat ? nmat : 1, sizeof *mods);
    size_t(*cnt)[3] = calloc(nmat ? nmat : 1, sizeof *cnt);
    if (!mods || !cnt) {
        free(mods);
        free(cnt);
        return RMTK_ERR_NOMEM;
    }
    cJSON_ArrayForEach(m, mats)
    {
        if (cli_matrix_ok(m)) {
            char v[512];
            nok++;
            int st = cli_json_verdict(m, alpha, v, sizeof v);
            nrand += st == CLI_RANDOM;
            nstruct += st == CLI_STRUCTURE;
            const char *mod = cli_json_str(m, "module");
            mod = mod && *mod ? mod : "other";
            size_t k = 0;
            while (k < nmod && strcmp(mods[k], mod) != 0)
                k++;
            if (k == nmod)
                mods[nmod++] = mod;
            cnt[k][st == CLI_RANDOM ? 0 : st == CLI_STRUCTURE ? 1 : 2]++;
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
    fprintf(f, "; %zu tensor%s skipped.</p>\n", nskip, nskip == 1 ? "" : "s");
    if (nmod > 1) {
        fputs("<table><tr><th class=l>module</th><th class=random>random</th>"
              "<th class=structure>structure</th><th class=undetermined>undetermined</th></tr>\n",
              f);
        for (size_t k = 0; k < nmod; k++) {
            fputs("<tr><td class=l>", f);
            html_text(f, mods[k]);
            fprintf(f, "</td><td>%zu</td><td>%zu</td><td>%zu</td></tr>\n", cnt[k][0], cnt[k][1],
                    cnt[k][2]);
        }
        fputs("</table>\n", f);
    }
    free(mods);
    free(cnt);
    fputs("<p class=muted>Verdict rules (docs/report.md): the bulk is random (GOE) when "
          "⟨r̃⟩ is within 3 standard errors of 0.5307 and the KS test against the exact GOE "
          "spacing law does not reject at the significance level (parameters.significance); "
          "outliers are eigenvalues above the Tracy–Widom "
          "threshold of the fitted Marchenko–Pastur law; top vectors are non-Gaussian when at "
          "least 25 % of the top-decile singular vectors fail the Porter–Thomas test; a "
          "power-law exponent alpha (the density exponent, WeightWatcher's) below 2 is a very "
          "heavy tail. A statistic enters a verdict only when "
          "its status is ok: a Marchenko–Pastur fit that was capped or failed (mp_fit_status) "
          "makes the verdict “bulk not Marchenko–Pastur” and its outliers are not counted; "
          "fewer than 50 levels or 50 tail values give no level or tail verdict; a spectrum "
          "flat to the storage precision is “flat spectrum (orthogonal-like)”; an all-zero "
          "matrix is neither random nor structured. Table cells of unusable values show "
          "–.</p>\n",
          f);
    char stem[128], fpath[4200];
    cli_figure_stem((size_t)-1, "model", "trends", stem, sizeof stem);
    snprintf(fpath, sizeof fpath, "%s/%s.svg", c->figdir, stem);
    fputs("<figure id=trends>", f);
    if (inline_svg(f, fpath, 0))
        fprintf(f, "<figcaption>%s</figcaption>", cli_figure_caption("trends"));
    else
        fputs("<p class=muted>No trends figure (--figures none, or no matrix analysed).</p>", f);
    fputs("</figure>\n", f);

    /* ---- the table, grouped by block ---- */
    fputs("<h2 id=table>Layers</h2>\n<p class=muted>Grouped by block (the layer number in the "
          "tensor names); click a heading to sort by it, the block heading to group again. "
          "Each name links to the matrix's page with its figures and every statistic; the "
          "thumbnail is the histogram of λ = σ² (blue) with the fitted Marchenko–Pastur law "
          "(red, bulk edge dotted); a green bar at the right: eigenvalues beyond 1.5 λ₊.</p>\n"
          "<div class=wide><table id=layers><thead><tr><th data-s=n>#</th><th data-s=g>block</th>"
          "<th class=l data-s=t>module</th><th class=l data-s=t>matrix</th><th>spectrum</th>"
          "<th>shape</th><th>dtype</th>",
          f);
    int show[64];
    size_t ncols = cli_ntable_cols < 64 ? cli_ntable_cols : 64;
    for (size_t k = 0; k < ncols; k++) {
        show[k] = has_col(report, cli_table_cols[k].key);
        if (show[k]) {
            fputs("<th data-s=n title=\"", f);
            html_text(f, rmtk_report_key_describe(cli_table_cols[k].key));
            fputs("\">", f);
            for (const char *q = cli_table_cols[k].key; *q; q++) /* may wrap after a '_' */
                fputs(*q == '_' ? "_<wbr>" : (char[2]){*q, 0}, f);
            fputs("</th>", f);
        }
    }
    fputs("<th class=l data-s=t>verdict</th></tr></thead>\n<tbody>\n", f);
    long group = LONG_MIN;
    for (size_t r = 0; r < c->nrows; r++) {
        m = c->rows[r];
        size_t i = c->ridx[r];
        long key = c->rkey[r];
        double order = (double)key * 1e6;
        if (key == LONG_MAX)
            order = 1e15;
        if (key != group) {
            group = key;
            fprintf(f, "<tr class=g data-v=\"%.17g\" data-w=\"%.17g\"><th colspan=99>", order - 0.5,
                    order + 999999.5);
            if (key >= 0 && key != LONG_MAX)
                fprintf(f, "block %ld", key);
            else
                fputs("no block index", f);
            fputs("</th></tr>\n", f);
        }
        double b = cli_json_num(m, "block"), e = cli_json_num(m, "expert");
        fprintf(f, "<tr id=m%zu><td data-v=\"%zu\">%zu</td><td data-v=\"%.17g\">", i, i, i,
                order + (double)i);
        if (b >= 0)
            fprintf(f, "%.0f", b);
        fputs("</td><td class=l>", f);
        const char *mod = cli_json_str(m, "module");
        html_text(f, mod && *mod ? mod : "");
        if (e >= 0)
            fprintf(f, " e%.0f", e);
        fputs("</td><td class=l>", f);
        layer_link(f, "layers/", i, m);
        fputs("</td><td>", f);
        char *uri = NULL;
        if (cli_thumb_esd(m, &uri) == RMTK_OK) {
            fprintf(f, "<img width=128 height=32 alt=\"spectrum\" src=\"%s\">", uri);
            free(uri);
        }
        fprintf(f, "</td><td>%.0f×%.0f</td><td>", cli_json_num(m, "rows"),
                cli_json_num(m, "cols"));
        html_text(f, cli_json_str(m, "dtype"));
        fputs("</td>", f);
        if (!cli_matrix_ok(m)) {
            fputs("<td class=l colspan=99>error: ", f);
            html_text(f, cli_json_str(m, "error"));
            fputs("</td></tr>\n", f);
            continue;
        }
        for (size_t k = 0; k < ncols; k++)
            if (show[k]) {
                /* a status column by name; a value its status marks unusable as – */
                const char *label = cli_json_str(cJSON_GetObjectItemCaseSensitive(m, "statuses"),
                                                 cli_table_cols[k].key);
                if (label) {
                    fputs("<td>", f);
                    html_text(f, label);
                    fputs("</td>", f);
                } else {
                    num_cell(f, cli_usable(cli_json_getter, m, cli_table_cols[k].key),
                             rmtk_report_key_is_integer(cli_table_cols[k].key));
                }
            }
        char v[512];
        int st = cli_json_verdict(m, alpha, v, sizeof v);
        fprintf(f, "<td class=\"l v %s\">", verdict_class(st));
        html_text(f, v);
        fputs("</td></tr>\n", f);
    }
    fputs("</tbody></table></div>\n<dl class=\"muted legend\">", f);
    for (size_t k = 0; k < ncols; k++)
        if (show[k])
            key_legend(f, cli_table_cols[k].key);
    fputs("<dt>–</dt><dd>not computed, or its status (mp_fit_status, levels_status, "
          "tails_status) is not ok; the verdict says why</dd>",
          f);
    key_legend(f, "block");
    key_legend(f, "module");
    key_legend(f, "verdict");
    key_legend(f, "looks_random");
    fputs("</dl>\n", f);

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
    cJSON_ArrayForEach(in, inputs) param_row(f, "input", in);
    fputs("</table>\n<p class=muted>Written by rmtk from report.json; every figure's data is in "
          "the CSV file of the same name under figures/.</p>\n<script>",
          f);
    fputs(sort_js, f);
    fputs("</script>\n</body></html>\n", f);
    return RMTK_OK;
}

/* Table order: by block, matrices without one before the first block (embeddings) or after the
 * last (the head) as they come in the file; file order within a block. */
typedef struct {
    long key;
    size_t idx;
    const cJSON *m;
} row_sort;

static int cmp_rows(const void *a, const void *b)
{
    const row_sort *x = a, *y = b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return (x->idx > y->idx) - (x->idx < y->idx);
}

int cli_html_write(const cJSON *report, const char *figdir, const char *figrel, const char *path)
{
    const cJSON *mats = cJSON_GetObjectItemCaseSensitive(report, "matrices"), *m;
    size_t n = (size_t)cJSON_GetArraySize(mats), i = 0, first = (size_t)-1;
    row_sort *rs = calloc(n ? n : 1, sizeof *rs);
    const cJSON **rows = calloc(n ? n : 1, sizeof *rows);
    size_t *ridx = calloc(n ? n : 1, sizeof *ridx);
    long *rkey = calloc(n ? n : 1, sizeof *rkey);
    if (!rs || !rows || !ridx || !rkey) {
        free(rs);
        free(rows);
        free(ridx);
        free(rkey);
        cli_error("out of memory writing %s", path);
        return RMTK_ERR_NOMEM;
    }
    cJSON_ArrayForEach(m, mats)
    {
        if (cli_json_num(m, "block") >= 0 && first == (size_t)-1)
            first = i;
        i++;
    }
    i = 0;
    cJSON_ArrayForEach(m, mats)
    {
        double b = cli_json_num(m, "block");
        rs[i].key = b >= 0 ? (long)b : i < first ? -1 : LONG_MAX;
        rs[i].idx = i;
        rs[i].m = m;
        i++;
    }
    qsort(rs, n, sizeof *rs, cmp_rows);
    for (i = 0; i < n; i++) {
        rows[i] = rs[i].m;
        ridx[i] = rs[i].idx;
        rkey[i] = rs[i].key;
    }
    /* layers/ beside the summary page */
    char dir[4200], lpath[4400];
    const char *slash = strrchr(path, '/');
    if (slash)
        snprintf(dir, sizeof dir, "%.*s/layers", (int)(slash - path), path);
    else
        snprintf(dir, sizeof dir, "layers");
    int st = RMTK_OK;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error("%s: cannot create directory: %s", dir, strerror(errno));
        st = RMTK_ERR_IO;
    }
    /* each page links to its neighbours in table order */
    for (i = 0; i < n && !st; i++) {
        char stem[160];
        layer_ctx lc = {report, rows[i], i ? rows[i - 1] : NULL, i + 1 < n ? rows[i + 1] : NULL,
                        ridx[i], i ? ridx[i - 1] : 0, i + 1 < n ? ridx[i + 1] : 0, figdir,
                        figrel, 0};
        cli_layer_stem(ridx[i], cli_json_str(rows[i], "name"), stem, sizeof stem);
        snprintf(lpath, sizeof lpath, "%s/%s.html", dir, stem);
        st = write_file(lpath, layer_page, &lc);
    }
    summary_ctx sc = {report, figdir, rows, ridx, rkey, n};
    if (!st)
        st = write_file(path, summary_page, &sc);
    free(rs);
    free(rows);
    free(ridx);
    free(rkey);
    return st;
}
