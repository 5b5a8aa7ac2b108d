/*
 * plot-lines.c: small line charts as plain SVG, for the figures of `rmtk compare` and
 * `rmtk track` (ESD overlays drawn as step lines, statistics against block or step). Written by
 * hand rather than through PLplot: a few polylines, axes with ticks and a legend, a few kB per
 * figure, no ids (so that report.html can inline many of them), and the plotted numbers beside
 * each figure as CSV (columns series,x,y) like every other rmtk figure. Colours: the Okabe-Ito
 * palette of plot.c, then greys.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *const colours[] = {"#0072B2", "#D55E00", "#009E73", "#E69F00",
                                      "#CC79A7", "#56B4E9", "#000000", "#F0E442"};

static void svg_text(FILE *f, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '&': fputs("&amp;", f); break;
        case '<': fputs("&lt;", f); break;
        case '>': fputs("&gt;", f); break;
        case '"': fputs("&quot;", f); break;
        default: fputc(*s, f);
        }
    }
}

/* "Nice" tick step for a range: 1, 2 or 5 times a power of ten, about 5 ticks. */
static double tick_step(double span)
{
    double raw = span / 5.0, p = pow(10.0, floor(log10(raw))), m = raw / p;
    return (m < 1.5 ? 1.0 : m < 3.5 ? 2.0 : m < 7.5 ? 5.0 : 10.0) * p;
}

static double ymap(const cli_lines_fig *d, double y)
{
    return d->logy ? (y > 0 ? log10(y) : NAN) : y;
}

int cli_plot_lines(const cli_lines_fig *d, const char *path_stem)
{
    enum { W = 720, H = 440, L = 70, R = 190, T = 36, B = 52 };
    double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
    for (size_t s = 0; s < d->nseries; s++)
        for (size_t i = 0; i < d->series[s].n; i++) {
            double x = d->series[s].x[i], y = ymap(d, d->series[s].y[i]);
            if (!isfinite(x) || !isfinite(y))
                continue;
            x0 = fmin(x0, x), x1 = fmax(x1, x), y0 = fmin(y0, y), y1 = fmax(y1, y);
        }
    int empty = !(x0 <= x1);
    if (empty)
        x0 = 0, x1 = 1, y0 = 0, y1 = 1;
    if (x1 - x0 < 1e-300)
        x0 -= 0.5, x1 += 0.5;
    if (y1 - y0 < 1e-300 * fmax(1.0, fabs(y1))) {
        double h = d->logy ? 0.5 : fmax(0.5, 0.1 * fabs(y1));
        y0 -= h, y1 += h;
    }
    double pad = 0.05 * (y1 - y0);
    y0 -= pad, y1 += pad;
    char path[4200];
    snprintf(path, sizeof path, "%s.csv", path_stem);
    FILE *csv = fopen(path, "w");
    snprintf(path, sizeof path, "%s.svg", path_stem);
    FILE *f = fopen(path, "w");
    if (!f || !csv) {
        cli_error("cannot write %s", path);
        if (f)
            fclose(f);
        if (csv)
            fclose(csv);
        return RMTK_ERR_IO;
    }
    double pw = W - L - R, ph = H - T - B;
#define PX(x) (L + ((x) - x0) / (x1 - x0) * pw)
#define PY(y) (T + (y1 - (y)) / (y1 - y0) * ph)
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
               "viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">\n"
               "<rect width=\"%d\" height=\"%d\" fill=\"white\"/>\n",
            W, H, W, H, W, H);
    fprintf(f, "<text x=\"%d\" y=\"20\" font-size=\"14\">", L);
    svg_text(f, d->title);
    fprintf(f, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%.0f\" height=\"%.0f\" fill=\"none\" "
               "stroke=\"#444\"/>\n",
            L, T, pw, ph);
    double sx = tick_step(x1 - x0), sy = tick_step(y1 - y0);
    if (d->integer_x && sx < 1)
        sx = 1;
    for (double t = ceil(x0 / sx) * sx; t <= x1 + 1e-9 * sx; t += sx)
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%d\" stroke=\"#444\"/>"
                   "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%g</text>\n",
                PX(t), H - B, PX(t), H - B + 5, PX(t), H - B + 18, fabs(t) < 1e-12 * sx ? 0 : t);
    for (double t = ceil(y0 / sy) * sy; t <= y1 + 1e-9 * sy; t += sy) {
        double v = fabs(t) < 1e-12 * sy ? 0 : t;
        fprintf(f, "<line x1=\"%d\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                   "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">",
                L, PY(t), L + pw, PY(t), L - 5, PY(t) + 4);
        if (d->logy && fabs(v - floor(v + 0.5)) < 1e-9)
            fprintf(f, "1e%g", floor(v + 0.5));
        else if (d->logy)
            fprintf(f, "%.3g", pow(10.0, v));
        else
            fprintf(f, "%g", v);
        fputs("</text>\n", f);
    }
    fprintf(f, "<text x=\"%.0f\" y=\"%d\" text-anchor=\"middle\">", L + pw / 2, H - 12);
    svg_text(f, d->xlabel);
    fprintf(f, "</text>\n<text transform=\"translate(16 %.0f) rotate(-90)\" "
               "text-anchor=\"middle\">",
            T + ph / 2);
    svg_text(f, d->ylabel);
    fputs("</text>\n", f);
    fputs("series,x,y\n", csv);
    size_t shown = 0;
    for (size_t s = 0; s < d->nseries; s++) {
        const cli_series *se = &d->series[s];
        const char *col = colours[s % (sizeof colours / sizeof colours[0])];
        fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"1.6\"%s points=\"", col,
                se->dashed ? " stroke-dasharray=\"5 3\"" : "");
        double prev_y = NAN;
        for (size_t i = 0; i < se->n; i++) {
            double x = se->x[i], y = ymap(d, se->y[i]);
            fputc('"', csv);
            for (const char *p = se->label; *p; p++) {
                if (*p == '"')
                    fputc('"', csv);
                fputc(*p, csv);
            }
            fprintf(csv, "\",%.17g,%.17g\n", x, se->y[i]);
            if (!isfinite(x) || !isfinite(y))
                continue;
            if (d->step && isfinite(prev_y))
                fprintf(f, "%.1f,%.1f ", PX(x), PY(prev_y));
            fprintf(f, "%.1f,%.1f ", PX(x), PY(y));
            prev_y = y;
        }
        fputs("\"/>\n", f);
        if (d->markers)
            for (size_t i = 0; i < se->n; i++) {
                double x = se->x[i], y = ymap(d, se->y[i]);
                if (isfinite(x) && isfinite(y))
                    fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"%s\"/>\n", PX(x),
                            PY(y), col);
            }
        if (shown < 24) {
            double ly = T + 8 + 16.0 * (double)shown++;
            fprintf(f, "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\" stroke=\"%s\" "
                       "stroke-width=\"2\"%s/><text x=\"%.0f\" y=\"%.0f\" font-size=\"11\">",
                    L + pw + 10, ly, L + pw + 30, ly, col,
                    se->dashed ? " stroke-dasharray=\"5 3\"" : "", L + pw + 35, ly + 4);
            char lab[40]; /* the end of a long name: the distinctive part */
            size_t ll = strlen(se->label);
            snprintf(lab, sizeof lab, "%s%s", ll > 26 ? "..." : "",
                     ll > 26 ? se->label + ll - 26 : se->label);
            svg_text(f, lab);
            fputs("</text>\n", f);
        }
    }
    if (d->vline_label && isfinite(d->vline_x) && d->vline_x >= x0 && d->vline_x <= x1) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%d\" x2=\"%.1f\" y2=\"%.0f\" stroke=\"#777\" "
                   "stroke-dasharray=\"2 3\"/><text x=\"%.1f\" y=\"%d\" font-size=\"10\" "
                   "fill=\"#555\">",
                PX(d->vline_x), T, PX(d->vline_x), T + ph, PX(d->vline_x) + 3, T + 12);
        svg_text(f, d->vline_label);
        fputs("</text>\n", f);
    }
    if (empty)
        fprintf(f, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">no data</text>\n",
                L + pw / 2, T + ph / 2);
    if (d->note && *d->note) {
        fprintf(f, "<text x=\"%d\" y=\"%d\" font-size=\"10\" fill=\"#555\">", L, T - 4);
        svg_text(f, d->note);
        fputs("</text>\n", f);
    }
#undef PX
#undef PY
    fputs("</svg>\n", f);
    int bad = ferror(f) | ferror(csv);
    bad |= fclose(f) != 0;
    bad |= fclose(csv) != 0;
    if (bad) {
        cli_error("cannot write %s", path);
        return RMTK_ERR_IO;
    }
    return RMTK_OK;
}

void cli_html_text(FILE *f, const char *s)
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

int cli_html_inline_svg(FILE *f, const char *path)
{
    size_t len;
    char *s = cli_read_file(path, &len);
    if (!s)
        return RMTK_ERR_IO;
    const char *p = strstr(s, "<svg");
    fputs(p ? p : s, f);
    free(s);
    return RMTK_OK;
}

void cli_path_label(const char *path, char *buf, size_t n)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s", path ? path : "");
    for (;;) {
        size_t len = strlen(tmp);
        while (len > 1 && tmp[len - 1] == '/')
            tmp[--len] = '\0';
        char *slash = strrchr(tmp, '/');
        const char *base = slash ? slash + 1 : tmp;
        int generic = strncmp(base, "model", 5) == 0 || strncmp(base, "pytorch_model", 13) == 0 ||
                      strstr(base, ".index.json") != NULL || strcmp(base, "weights.h5") == 0 ||
                      strncmp(base, "diffusion_pytorch_model", 23) == 0;
        if (!generic || !slash || slash == tmp) {
            snprintf(buf, n, "%s", base);
            break;
        }
        *slash = '\0'; /* the folder names the checkpoint */
    }
    /* drop a known extension */
    static const char *const ext[] = {".safetensors", ".bin", ".pt", ".pth", ".ckpt", ".gguf",
                                      ".npz", ".npy", ".onnx", ".h5", ".keras", ".json"};
    size_t len = strlen(buf);
    for (size_t e = 0; e < sizeof ext / sizeof ext[0]; e++) {
        size_t el = strlen(ext[e]);
        if (len > el && strcmp(buf + len - el, ext[e]) == 0) {
            buf[len - el] = '\0';
            break;
        }
    }
}
