/*
 * cmd-plot.c: `rmtk plot REPORT.json`. Redraws the figures of a saved report (and their CSVs)
 * without recomputing anything: the same drawing code that `rmtk analyze` runs after writing
 * report.json, so a redrawn figure is identical to the one analyze wrote.
 */
#include "cli.h"

#include <dirent.h>
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
            "  --html FILE      also write the self-contained HTML report to FILE; it shows the\n"
            "                   figures drawn by this command only (none left in DIR by others)\n"
            "  --quiet          print nothing on success\n"
            "  --help           this text\n");
}

int cmd_plot(int argc, char **argv)
{
    const char *report = NULL, *out = NULL, *html = NULL;
    cli_plot_opts o = {NULL, NULL, NULL};
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
        if (!st)
            st = cli_html_write(root, stage, html);
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
