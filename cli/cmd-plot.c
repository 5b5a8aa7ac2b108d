/*
 * cmd-plot.c: `rmtk plot REPORT.json`. Redraws the figures of a saved report (and their CSVs)
 * without recomputing anything: the same drawing code that `rmtk analyze` runs after writing
 * report.json, so a redrawn figure is identical to the one analyze wrote.
 */
#include "cli.h"

#include <dirent.h>
#include <limits.h>
#include <stdlib.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* --html: the figures are drawn into a private folder DIR/.rmtk-plot.PID, the HTML inlines those
 * (never a file another run left in DIR), then each is renamed into DIR and the folder removed.
 * keep = 0 removes the drawn files instead (an error). */
static int unstage(const char *stage, const char *dir, int keep)
{
    DIR *d = opendir(stage);
    int st = RMTK_OK;
    if (!d)
        return RMTK_ERR_IO;
    struct dirent *e;
    char from[8400], to[8400];
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        snprintf(from, sizeof from, "%s/%s", stage, e->d_name);
        snprintf(to, sizeof to, "%s/%s", dir, e->d_name);
        if (!keep || rename(from, to) != 0) {
            if (keep && st == RMTK_OK) {
                cli_error("%s: cannot write: %s", to, strerror(errno));
                st = RMTK_ERR_IO;
            }
            unlink(from);
        }
    }
    closedir(d);
    rmdir(stage);
    return st;
}

/* The figure folder dir as seen from the pages in layers/ beside the HTML file: a relative path
 * ("../figures/") from the real paths of both, so that the folder can be moved as a whole. */
static int figure_href(const char *dir, const char *html, char *buf, size_t n)
{
    char hdir[4200], a[PATH_MAX], b[PATH_MAX];
    const char *slash = strrchr(html, '/');
    if (slash)
        snprintf(hdir, sizeof hdir, "%.*s", (int)(slash - html), html);
    else
        snprintf(hdir, sizeof hdir, ".");
    if (!realpath(dir, a) || !realpath(hdir, b)) {
        cli_error("%s: %s", realpath(dir, a) ? hdir : dir, strerror(errno));
        return RMTK_ERR_IO;
    }
    /* b/layers -> a: up from layers/ to b, then up to the common prefix, then down to a */
    size_t common = 0, k = 0;
    while (a[k] && a[k] == b[k]) {
        k++;
        if ((a[k] == '/' || !a[k]) && (b[k] == '/' || !b[k]))
            common = k;
    }
    if (!strcmp(b, "/") || !strcmp(a, "/"))
        common = 0;
    size_t len = (size_t)snprintf(buf, n, "../");
    for (const char *q = b + common; *q && len < n; q++)
        if (*q == '/')
            len += (size_t)snprintf(buf + len, n - len, "../");
    if (len < n)
        snprintf(buf + len, n - len, "%s%s/", a[common] == '/' ? a + common + 1 : a + common,
                 a[common] ? "" : "");
    if (!a[common]) /* a is b or above it: no trailing name */
        buf[len] = '\0';
    return RMTK_OK;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk plot REPORT.json [options]\n"
            "\n"
            "Draw the figures of a saved report.json (written by rmtk analyze) with their data\n"
            "as CSV beside each figure. Nothing is recomputed.\n"
            "\n"
            "options:\n"
            "  --layer NAME     only the matrix called NAME (no model figure)\n"
            "  --figure KIND    only this figure: esd, spacing, ratio, sigma2, vectors, tails,\n"
            "                   laws, trends (default: every figure the report has data for)\n"
            "  --format LIST    comma-separated svg, png, pdf (default svg,png)\n"
            "  --out DIR        where to write (default: figures/ beside the report)\n"
            "  --html FILE      also write the summary page FILE and the matrix pages in layers/\n"
            "                   beside it; they show the figures drawn by this command only\n"
            "  --figures F      none, summary (trends only), all, or auto (the default: all up\n"
            "                   to 64 analysed matrices, summary beyond; all with --layer)\n"
            "  --threads N      worker processes drawing figures (default: all cores)\n"
            "  --quiet          print nothing on success\n"
            "  --help           this text\n");
}

int cmd_plot(int argc, char **argv)
{
    const char *report = NULL, *out = NULL, *html = NULL;
    cli_plot_opts o = {NULL, NULL, NULL, CLI_FIGURES_AUTO, 0};
    int quiet = 0, st;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--layer") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &o.layer)))
                return st;
        } else if (strcmp(a, "--figure") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &o.figure)))
                return st;
        } else if (strcmp(a, "--format") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &o.formats)))
                return st;
        } else if (strcmp(a, "--out") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &out)))
                return st;
        } else if (strcmp(a, "--html") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &html)))
                return st;
        } else if (strcmp(a, "--figures") == 0) {
            const char *v;
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = cli_parse_figures(v, &o.level)))
                return st;
        } else if (strcmp(a, "--threads") == 0) {
            const char *v;
            int64_t iv;
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = cli_parse_i64(a, v, 1, 4096, &iv)))
                return st;
            o.threads = (int)iv;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("plot", a, usage);
            return RMTK_ERR_ARG;
        } else if (!report) {
            report = a;
        } else {
            cli_error("plot: one report at a time ('%s' and '%s')", report, a);
            return RMTK_ERR_ARG;
        }
    }
    if (!report) {
        cli_error("plot: REPORT is required (rmtk plot DIR/report.json; rmtk plot --help)");
        return RMTK_ERR_ARG;
    }
    char dir[4096];
    if (out) {
        snprintf(dir, sizeof dir, "%s", out);
    } else {
        const char *slash = strrchr(report, '/');
        if (slash)
            snprintf(dir, sizeof dir, "%.*s/figures", (int)(slash - report), report);
        else
            snprintf(dir, sizeof dir, "figures");
    }
    cJSON *root = NULL;
    if ((st = cli_report_load(report, &root)))
        return st;
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        cli_error("%s: cannot create directory: %s", dir, strerror(errno));
        cJSON_Delete(root);
        return RMTK_ERR_IO;
    }
    size_t n = 0;
    if (html) {
        char stage[4200];
        snprintf(stage, sizeof stage, "%s/.rmtk-plot.%ld", dir, (long)getpid());
        if (mkdir(stage, 0777) != 0) {
            cli_error("%s: cannot create directory: %s", stage, strerror(errno));
            cJSON_Delete(root);
            return RMTK_ERR_IO;
        }
        st = cli_plot_report(root, stage, &o, &n);
        char rel[8400];
        if (!st)
            st = figure_href(dir, html, rel, sizeof rel);
        if (!st)
            st = cli_html_write(root, stage, rel, html);
        int ust = unstage(stage, dir, st == RMTK_OK);
        st = st ? st : ust;
    } else {
        st = cli_plot_report(root, dir, &o, &n);
    }
    if (!st && !quiet)
        printf("wrote %zu figure file%s to %s%s%s\n", n, n == 1 ? "" : "s", dir,
               html ? " and " : "", html ? html : "");
    cJSON_Delete(root);
    return st;
}
