/*
 * cmd-track.c: `rmtk track CKPT... --out DIR` (or --glob PATTERN). One analysis per checkpoint,
 * one checkpoint at a time (open, analyse with the library's workers, write its rows, close),
 * results keyed by (checkpoint, matrix): DIR/track.csv in long form (the columns of
 * summary.csv after `checkpoint` and `step`), DIR/track.json (parameters, the checkpoints with
 * their steps and provenance), one figure per statistic and module type with a line per matrix
 * against step, and report.html (docs/report.md, "rmtk track"). The step of a checkpoint is
 * parsed from its path (checkpoint-1200, step_1200, step-1200, global_step1200, iter_1200,
 * epoch=3, ...; the last path component that carries one wins) or from --labels.
 */
#include "cli.h"

#include <glob.h>
#include <math.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#define TRACK_SCHEMA_VERSION 1

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk track CKPT... --out DIR [options]\n"
            "       rmtk track --glob 'run/checkpoint-*' --out DIR [options]\n"
            "\n"
            "Analyse each checkpoint of a training run (one at a time, any format rmtk reads)\n"
            "and follow every matrix's statistics against the training step. The step comes\n"
            "from the path (checkpoint-1200, step_1200, step-1200, global_step1200, iter_1200,\n"
            "epoch=3, ...) or from --labels; checkpoints are ordered by step (given order when\n"
            "a step is missing). Writes into DIR:\n"
            "  track.csv      long form: checkpoint, step, then every summary.csv column\n"
            "  track.json     parameters and the checkpoints (label, path, step, format)\n"
            "  report.html    the trend figures and the checkpoints\n"
            "  figures/       track-STAT-MODULE.svg (+ .csv): STAT against step, a line per\n"
            "                 matrix of that module type\n"
            "\n"
            "options:\n"
            "  --out DIR          output directory (created if missing)\n"
            "  --glob PATTERN     add the paths matching PATTERN (glob(3); repeatable)\n"
            "  --labels L1,L2,..  one label per checkpoint (in the order given); a step is\n"
            "                     parsed from a label first, then from the path\n"
            "  --stats LIST       basic, mp, levels, vectors, null, tails, all (default\n"
            "                     basic,mp,levels)\n"
            "  --trend LIST       statistics drawn against step (summary.csv names; default\n"
            "                     alpha,lambda_max,n_spikes, those computed)\n"
            "  --include REGEX    only tensors whose name matches\n"
            "  --exclude REGEX    skip tensors whose name matches\n"
            "  --min-side N       skip matrices with a side below N (default 10)\n"
            "  --threads N        worker threads (default: all cores)\n"
            "  --seed N           seed of randomised statistics (default 1)\n"
            "  --no-plots         no figures, no report.html\n"
            "  --quiet            no progress\n"
            "  --help             this text\n");
}

typedef struct {
    const char *path;
    char label[256];
    char unit[32]; /* the keyword the step came with ("checkpoint", "epoch", ...; "" if none) */
    double step;   /* NaN when none parsed */
    size_t order;
    char format[32];
    size_t tensors, matrices, failed;
} ckpt;

/* The step in s: the last match of KEYWORD[-_=]?DIGITS in the last path component carrying
 * one. Returns 1 and sets *step, unit (the keyword, lowercased) and the component in comp. */
static int parse_step(const char *s, double *step, char *unit, size_t nunit, char *comp,
                      size_t ncomp)
{
    static const char *pat = "(checkpoint|ckpt|global_step|global-step|step|steps|iteration|"
                             "iter|it|epoch|ep)[-_=]?([0-9]+)";
    regex_t re;
    if (regcomp(&re, pat, REG_EXTENDED | REG_ICASE))
        return 0;
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", s);
    int found = 0;
    while (!found && *buf) {
        size_t len = strlen(buf);
        while (len > 0 && buf[len - 1] == '/')
            buf[--len] = '\0';
        char *slash = strrchr(buf, '/');
        char *c = slash ? slash + 1 : buf;
        const char *p = c;
        regmatch_t m[3];
        while (regexec(&re, p, 3, m, p == c ? 0 : REG_NOTBOL) == 0) {
            /* the keyword must start the component or follow a non-letter */
            const char *kw = p + m[1].rm_so;
            if (kw == c || !((kw[-1] >= 'a' && kw[-1] <= 'z') || (kw[-1] >= 'A' && kw[-1] <= 'Z'))) {
                *step = strtod(p + m[2].rm_so, NULL);
                size_t k = (size_t)(m[1].rm_eo - m[1].rm_so);
                snprintf(unit, nunit, "%.*s", (int)k, kw);
                for (char *u = unit; *u; u++)
                    *u = (char)(*u >= 'A' && *u <= 'Z' ? *u - 'A' + 'a' : *u);
                snprintf(comp, ncomp, "%s", c);
                found = 1;
            }
            p += m[0].rm_eo;
        }
        if (!slash)
            break;
        *slash = '\0';
    }
    regfree(&re);
    return found;
}

static int cmp_ckpt(const void *a, const void *b)
{
    const ckpt *x = a, *y = b;
    if (x->step != y->step)
        return x->step < y->step ? -1 : 1;
    return (x->order > y->order) - (x->order < y->order);
}

/* What the figures need of one (checkpoint, matrix). */
typedef struct {
    char *name;
    const char *module; /* static (rmtk_structure) */
    int32_t block;
    size_t ck;
    double *v; /* ntrend values */
} point;

typedef struct {
    char *data;
    size_t len, cap;
} membuf;

static size_t mem_write(const void *buf, size_t n, void *user)
{
    membuf *m = user;
    if (m->len + n + 1 > m->cap) {
        size_t cap = (m->len + n + 1) * 2;
        char *d = realloc(m->data, cap);
        if (!d)
            return 0;
        m->data = d, m->cap = cap;
    }
    memcpy(m->data + m->len, buf, n);
    m->len += n;
    m->data[m->len] = '\0';
    return n;
}

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

/* Appends the summary.csv text of one checkpoint to f, each record prefixed with its
 * checkpoint label and step (the header once, when header is set). Quoted fields may hold
 * newlines: records end at a newline outside quotes. */
static void append_rows(FILE *f, const char *csv, const ckpt *c, int header)
{
    const char *p = csv;
    int first = 1;
    while (*p) {
        const char *q = p;
        int inq = 0;
        while (*q && (inq || *q != '\n')) {
            if (*q == '"')
                inq = !inq;
            q++;
        }
        if (first) {
            if (header)
                fprintf(f, "checkpoint,step,%.*s\n", (int)(q - p), p);
            first = 0;
        } else {
            csv_str(f, c->label);
            if (isnan(c->step))
                fputs(",", f);
            else
                fprintf(f, ",%.17g", c->step);
            fprintf(f, ",%.*s\n", (int)(q - p), p);
        }
        p = *q ? q + 1 : q;
    }
}

static const char *mod_of(const char *m)
{
    return m && *m ? m : "other";
}

static int trend_figures(const ckpt *ck, size_t nck, const point *pts, size_t npts,
                         const char *const *trend, size_t ntrend, const char *figdir,
                         char (*stems)[300], size_t *nstems, size_t maxstems)
{
    const char *mods[64];
    size_t nm = 0;
    for (size_t i = 0; i < npts; i++) {
        const char *m = mod_of(pts[i].module);
        size_t j;
        for (j = 0; j < nm && strcmp(mods[j], m) != 0; j++)
            ;
        if (j == nm && nm < 64)
            mods[nm++] = m;
    }
    /* distinct matrix names (in first-seen order) */
    const char **names = calloc(npts + 1, sizeof *names);
    size_t nn = 0;
    if (!names)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < npts; i++) {
        size_t j;
        for (j = 0; j < nn && strcmp(names[j], pts[i].name) != 0; j++)
            ;
        if (j == nn)
            names[nn++] = pts[i].name;
    }
    double *xy = calloc(2 * nck * (nn ? nn : 1) + 1, sizeof *xy);
    cli_series *se = calloc(nn + 1, sizeof *se);
    int st = RMTK_OK;
    if (!xy || !se)
        st = RMTK_ERR_NOMEM;
    for (size_t t = 0; !st && t < ntrend; t++)
        for (size_t m = 0; !st && m < nm; m++) {
            size_t ns = 0;
            for (size_t j = 0; j < nn; j++) {
                double *x = xy + 2 * nck * ns, *y = x + nck;
                size_t n = 0;
                const char *mod = NULL;
                for (size_t i = 0; i < npts; i++) {
                    if (strcmp(pts[i].name, names[j]) != 0)
                        continue;
                    mod = mod_of(pts[i].module);
                    double s = ck[pts[i].ck].step;
                    x[n] = isnan(s) ? (double)pts[i].ck : s;
                    y[n++] = pts[i].v[t];
                }
                if (!mod || strcmp(mod, mods[m]) != 0)
                    continue;
                se[ns++] = (cli_series){names[j], x, y, n, 0};
            }
            char title[256], stem[300], path[5600];
            snprintf(title, sizeof title, "%s against step: %s", trend[t], mods[m]);
            snprintf(stem, sizeof stem, "track-%s-%s", trend[t], mods[m]);
            snprintf(path, sizeof path, "%s/%s", figdir, stem);
            cli_lines_fig d = {title, "step", trend[t], NULL, se, ns, 0, 0, 1, 0, NAN, NULL};
            st = cli_plot_lines(&d, path);
            if (!st && *nstems < maxstems)
                snprintf(stems[(*nstems)++], 300, "%s", stem);
        }
    free(names);
    free(xy);
    free(se);
    return st;
}

int cmd_track(int argc, char **argv)
{
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS;
    const char *out = NULL, *labels = NULL, *trend_s = NULL, *stats = "basic,mp,levels";
    int quiet = 0, plots = 1, st, first_err = RMTK_OK;
    size_t nck = 0, cap = 16, npts = 0, pcap = 0;
    point *pts = NULL;
    cli_outdir od;
    memset(&od, 0, sizeof od);
    ckpt *ck = calloc(cap, sizeof *ck);
    glob_t gl;
    int globbed = 0;
    memset(&gl, 0, sizeof gl);
    if (!ck)
        return RMTK_ERR_NOMEM;
#define ADD_CKPT(P)                                                                                \
    do {                                                                                           \
        if (nck == cap) {                                                                          \
            ckpt *nc = realloc(ck, 2 * cap * sizeof *ck);                                          \
            if (!nc) {                                                                             \
                st = RMTK_ERR_NOMEM;                                                               \
                goto done;                                                                         \
            }                                                                                      \
            ck = nc, cap *= 2;                                                                     \
        }                                                                                          \
        memset(&ck[nck], 0, sizeof ck[nck]);                                                       \
        ck[nck].path = (P);                                                                        \
        ck[nck].order = nck;                                                                       \
        nck++;                                                                                     \
    } while (0)
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        st = RMTK_OK;
        if (cli_is_help(a)) {
            usage(stdout);
            goto done;
        } else if (cli_analysis_option(argc, argv, &i, &p, &st)) {
            if (st)
                goto done;
        } else if (strcmp(a, "--out") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &out)))
                goto done;
        } else if (strcmp(a, "--glob") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                goto done;
            size_t before = gl.gl_pathc;
            int rc = glob(v, globbed ? GLOB_APPEND : 0, NULL, &gl);
            globbed = 1;
            if (rc == GLOB_NOMATCH || gl.gl_pathc == before) {
                cli_error("--glob: no path matches '%s'", v);
                st = RMTK_ERR_NOTFOUND;
                goto done;
            } else if (rc) {
                cli_error("--glob: cannot expand '%s'", v);
                st = RMTK_ERR_IO;
                goto done;
            }
        } else if (strcmp(a, "--labels") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &labels)))
                goto done;
        } else if (strcmp(a, "--trend") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &trend_s)))
                goto done;
        } else if (strcmp(a, "--stats") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &stats)) ||
                (st = cli_parse_stats(stats, &p.stats)))
                goto done;
        } else if (strcmp(a, "--no-plots") == 0) {
            plots = 0;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("track", a, usage);
            st = RMTK_ERR_ARG;
            goto done;
        } else {
            ADD_CKPT(a);
        }
    }
    for (size_t g = 0; g < gl.gl_pathc; g++)
        ADD_CKPT(gl.gl_pathv[g]);
    st = RMTK_OK;
    if (nck == 0) {
        cli_error("track: no checkpoint given (rmtk track CKPT... --out DIR, or --glob "
                  "PATTERN; rmtk track --help)");
        st = RMTK_ERR_ARG;
        goto done;
    }
    if (!out) {
        cli_error("track: --out DIR is required (the folder for track.csv, track.json, "
                  "report.html and figures/)");
        st = RMTK_ERR_ARG;
        goto done;
    }
    /* labels and steps */
    {
        const char *lp = labels;
        for (size_t c = 0; c < nck; c++) {
            char comp[256] = "";
            int have = 0;
            ck[c].step = NAN;
            if (lp && *lp) {
                size_t len = strcspn(lp, ",");
                snprintf(ck[c].label, sizeof ck[c].label, "%.*s", (int)len, lp);
                lp += len + (lp[len] == ',');
                have = parse_step(ck[c].label, &ck[c].step, ck[c].unit, sizeof ck[c].unit, comp,
                                  sizeof comp);
                if (!have) { /* a bare number is a step */
                    char *end;
                    double s = strtod(ck[c].label, &end);
                    if (end != ck[c].label && *end == '\0')
                        ck[c].step = s, have = 1;
                }
            } else if (labels) {
                cli_error("--labels: %zu labels for %zu checkpoints", c, nck);
                st = RMTK_ERR_ARG;
                goto done;
            }
            if (!have && parse_step(ck[c].path, &ck[c].step, ck[c].unit, sizeof ck[c].unit,
                                    comp, sizeof comp) &&
                !ck[c].label[0])
                snprintf(ck[c].label, sizeof ck[c].label, "%s", comp);
            if (!ck[c].label[0])
                cli_path_label(ck[c].path, ck[c].label, sizeof ck[c].label);
        }
        if (lp && *lp) {
            cli_error("--labels: more labels than the %zu checkpoints", nck);
            st = RMTK_ERR_ARG;
            goto done;
        }
        int all = 1;
        for (size_t c = 0; c < nck; c++)
            all &= !isnan(ck[c].step);
        if (all)
            qsort(ck, nck, sizeof *ck, cmp_ckpt);
        for (size_t c = 0; c < nck; c++)
            for (size_t d = 0; d < c; d++)
                if (strcmp(ck[c].label, ck[d].label) == 0) { /* labels must be unique */
                    size_t len = strlen(ck[c].label);
                    snprintf(ck[c].label + (len < 230 ? len : 230), 26, "#%zu", c + 1);
                }
    }
    /* trend statistics */
    const char *trend[32];
    size_t ntrend = 0;
    char trend_buf[1024];
    snprintf(trend_buf, sizeof trend_buf, "%s", trend_s ? trend_s : "alpha,lambda_max,n_spikes");
    {
        rmtk_analysis *probe = NULL;
        if ((st = rmtk_analysis_alloc(&p, &probe))) {
            cli_error("track: invalid parameters (%s)", rmtk_status_str(st));
            goto done;
        }
        char *save = NULL;
        for (char *t = strtok_r(trend_buf, ",", &save); t && ntrend < 32;
             t = strtok_r(NULL, ",", &save)) {
            size_t c;
            if (rmtk_analysis_column_find(probe, t, &c) == RMTK_OK)
                trend[ntrend++] = t;
            else if (trend_s) {
                cli_error("--trend: '%s' is not a column of the statistics computed (--stats %s)",
                          t, stats);
                st = RMTK_ERR_ARG;
            }
        }
        rmtk_analysis_free(probe);
        if (st)
            goto done;
    }
    if ((st = cli_outdir_prepare("track", "--out", out, &od)))
        goto done;
    char path[5200];
    snprintf(path, sizeof path, "%s/track.csv", od.stage);
    FILE *csv = fopen(path, "w");
    if (!csv) {
        cli_error("track: cannot write %s", path);
        st = RMTK_ERR_IO;
    }
    for (size_t c = 0; !st && c < nck; c++) {
        rmtk_model *m = NULL;
        rmtk_analysis *an = NULL;
        if (!quiet)
            fprintf(stderr, "rmtk: track: %zu/%zu %s (step %g)\n", c + 1, nck, ck[c].label,
                    ck[c].step);
        if ((st = rmtk_model_open(ck[c].path, &m))) {
            cli_error("track: %s", m ? rmtk_model_errmsg(m) : rmtk_status_str(st));
        } else if (!(st = rmtk_analysis_alloc(&p, &an)) &&
                   (st = rmtk_analysis_add_model_labeled(an, m, ck[c].path, ck[c].label))) {
            cli_error("track: %s", rmtk_analysis_errmsg(an));
        }
        if (!st) {
            int rs = rmtk_analysis_run(an, NULL, NULL);
            if (rs && !first_err) {
                first_err = rs;
                cli_error("track: %s: %s", ck[c].label, rmtk_analysis_errmsg(an));
            }
            membuf mb = {NULL, 0, 0};
            if ((st = rmtk_analysis_write_csv_fn(an, mem_write, &mb)))
                cli_error("track: %s", rmtk_analysis_errmsg(an));
            else
                append_rows(csv, mb.data ? mb.data : "", &ck[c], c == 0);
            free(mb.data);
            snprintf(ck[c].format, sizeof ck[c].format, "%s", rmtk_model_format(m));
            ck[c].tensors = rmtk_model_tensor_count(m);
            size_t col[32];
            for (size_t t = 0; t < ntrend; t++)
                rmtk_analysis_column_find(an, trend[t], &col[t]);
            for (size_t i = 0; !st && i < rmtk_analysis_count(an); i++) {
                rmtk_analysis_row r;
                rmtk_analysis_row_get(an, i, &r);
                if (strcmp(r.status, "skipped") == 0)
                    continue;
                ck[c].matrices++;
                ck[c].failed += strcmp(r.status, "error") == 0;
                if (npts == pcap) {
                    size_t ncap = pcap ? 2 * pcap : 64;
                    point *np = realloc(pts, ncap * sizeof *pts);
                    if (!np) {
                        st = RMTK_ERR_NOMEM;
                        break;
                    }
                    pts = np, pcap = ncap;
                }
                point *pt = &pts[npts];
                pt->name = strdup(r.name);
                pt->v = calloc(ntrend + 1, sizeof(double));
                if (!pt->name || !pt->v) {
                    free(pt->name);
                    free(pt->v);
                    st = RMTK_ERR_NOMEM;
                    break;
                }
                rmtk_structure s;
                rmtk_name_structure(r.name, &s);
                pt->module = s.module;
                pt->block = r.block;
                pt->ck = c;
                for (size_t t = 0; t < ntrend; t++)
                    pt->v[t] = rmtk_analysis_value(an, i, col[t]);
                npts++;
            }
        }
        rmtk_analysis_free(an);
        rmtk_model_close(m);
    }
    if (csv) {
        int bad = ferror(csv);
        bad |= fclose(csv) != 0;
        if (bad && !st) {
            cli_error("track: cannot write track.csv");
            st = RMTK_ERR_IO;
        }
    }
    /* track.json */
    if (!st) {
        cJSON *root = cJSON_CreateObject();
        cJSON_AddStringToObject(root, "kind", "rmtk-track");
        cJSON_AddNumberToObject(root, "schema_version", TRACK_SCHEMA_VERSION);
        cJSON_AddStringToObject(root, "rmtk_version", rmtk_version());
        cJSON *par = cJSON_AddObjectToObject(root, "parameters");
        cJSON_AddStringToObject(par, "stats", stats);
        cJSON *tr = cJSON_AddArrayToObject(par, "trend");
        for (size_t t = 0; t < ntrend; t++)
            cJSON_AddItemToArray(tr, cJSON_CreateString(trend[t]));
        if (p.extract.include)
            cJSON_AddStringToObject(par, "include", p.extract.include);
        if (p.extract.exclude)
            cJSON_AddStringToObject(par, "exclude", p.extract.exclude);
        cJSON_AddNumberToObject(par, "min_side", (double)p.extract.min_side);
        cJSON_AddNumberToObject(par, "seed", (double)p.seed);
        cJSON_AddNumberToObject(par, "significance", p.significance);
        cJSON *arr = cJSON_AddArrayToObject(root, "checkpoints");
        for (size_t c = 0; c < nck; c++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "checkpoint", ck[c].label);
            cJSON_AddStringToObject(o, "path", ck[c].path);
            if (isnan(ck[c].step))
                cJSON_AddNullToObject(o, "step");
            else
                cJSON_AddNumberToObject(o, "step", ck[c].step);
            cJSON_AddStringToObject(o, "step_unit", ck[c].unit);
            cJSON_AddStringToObject(o, "format", ck[c].format);
            cJSON_AddNumberToObject(o, "tensors", (double)ck[c].tensors);
            cJSON_AddNumberToObject(o, "matrices", (double)ck[c].matrices);
            cJSON_AddNumberToObject(o, "failed", (double)ck[c].failed);
            cJSON_AddItemToArray(arr, o);
        }
        char *txt = cJSON_Print(root);
        cJSON_Delete(root);
        snprintf(path, sizeof path, "%s/track.json", od.stage);
        FILE *f = txt ? fopen(path, "w") : NULL;
        int bad = !f;
        if (f) {
            bad |= fputs(txt, f) < 0;
            bad |= fputc('\n', f) == EOF;
            bad |= fclose(f) != 0;
        }
        free(txt);
        if (bad) {
            cli_error("track: cannot write %s", path);
            st = RMTK_ERR_IO;
        }
    }
    if (!st && plots) {
        char figdir[5200];
        snprintf(figdir, sizeof figdir, "%s/figures", od.stage);
        size_t maxstems = 64 * (ntrend ? ntrend : 1), nstems = 0;
        char(*stems)[300] = calloc(maxstems, sizeof *stems);
        if (!stems)
            st = RMTK_ERR_NOMEM;
        if (!st)
            st = trend_figures(ck, nck, pts, npts, trend, ntrend, figdir, stems, &nstems,
                               maxstems);
        snprintf(path, sizeof path, "%s/report.html", od.stage);
        FILE *f = !st ? fopen(path, "w") : NULL;
        if (!st && !f)
            st = RMTK_ERR_IO;
        if (f) {
            fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>rmtk track"
                  "</title>\n<style>body{font-family:sans-serif;max-width:1100px;margin:1em auto;"
                  "color:#222}table{border-collapse:collapse;font-size:13px}td,th{border:1px "
                  "solid #ccc;padding:2px 6px}</style></head><body>\n<h1>rmtk track</h1>\n"
                  "<table><tr><th>checkpoint</th><th>step</th><th>path</th><th>format</th>"
                  "<th>matrices</th><th>failed</th></tr>\n",
                  f);
            for (size_t c = 0; c < nck; c++) {
                fputs("<tr><td>", f);
                cli_html_text(f, ck[c].label);
                fprintf(f, "</td><td>%g</td><td>", ck[c].step);
                cli_html_text(f, ck[c].path);
                fprintf(f, "</td><td>%s</td><td>%zu</td><td>%zu</td></tr>\n", ck[c].format,
                        ck[c].matrices, ck[c].failed);
            }
            fputs("</table>\n<p>Every statistic of every matrix at every checkpoint is in "
                  "track.csv (docs/report.md, &ldquo;rmtk track&rdquo;).</p>\n",
                  f);
            for (size_t s = 0; s < nstems; s++) {
                char fp[5600];
                snprintf(fp, sizeof fp, "%s/%s.svg", figdir, stems[s]);
                fputs("<figure>", f);
                cli_html_inline_svg(f, fp);
                fputs("</figure>\n", f);
            }
            fputs("</body></html>\n", f);
            int bad = ferror(f);
            bad |= fclose(f) != 0;
            if (bad)
                st = RMTK_ERR_IO;
        }
        free(stems);
    }
    if (!st)
        st = cli_outdir_commit(&od);
    if (!st && !quiet)
        printf("tracked %zu matrices over %zu checkpoints; wrote %s/track.csv, %s/track.json%s\n",
               nck ? npts / nck : 0, nck, out, out, plots ? ", report.html and figures/" : "");
done:
    cli_outdir_abandon(&od);
    for (size_t i = 0; i < npts; i++) {
        free(pts[i].name);
        free(pts[i].v);
    }
    free(pts);
    if (globbed)
        globfree(&gl);
    free(ck);
    return st ? st : first_err;
#undef ADD_CKPT
}
