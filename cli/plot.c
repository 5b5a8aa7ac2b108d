/*
 * plot.c: the figures of a report, drawn with PLplot's cairo drivers (svgcairo, pngcairo,
 * pdfcairo) from a parsed report.json; nothing is recomputed but the theory curves (from the
 * library's laws: rmtk_mp_pdf, rmtk_wigner_surmise_pdf, rmtk_spacing_exact, rmtk_brody_pdf,
 * rmtk_ratio_surmise_pdf, rmtk_tw_*). Every figure writes its plotted numbers beside it as CSV
 * with the same basename: columns series,x,x_hi,y,count (a curve or point leaves x_hi and count
 * empty; a histogram bin is [x, x_hi) with its density y and count; the last bin is closed).
 *
 * One style for all: white background, the Okabe-Ito colour-blind-safe palette, sans fonts,
 * axis labels with their symbols, a legend naming every curve. Each format is a separate pass of
 * the same drawing function (the CSV is written on the first pass only). PLplot's own messages
 * go to /dev/null while a figure is drawn (its warnings are not for the user of rmtk).
 */
#include "cli.h"

#include <plplot.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* cmap0 indices */
enum { C_BG = 0, C_FG, C_BLUE, C_RED, C_GREEN, C_ORANGE, C_PURPLE, C_SKY, C_GREY, C_FILL,
       C_FILL2, C_NCOL };

#define MAXLEG 10

typedef struct {
    FILE *csv;       /* NULL after the first pass */
    int logx, logy;  /* axes of the current panel */
    int nx;          /* panels across the page */
    double ymin, ymax;
    int nleg;
    PLINT leg_opt[MAXLEG], leg_col[MAXLEG], leg_sty[MAXLEG];
    PLFLT leg_w[MAXLEG], leg_scale[MAXLEG];
    PLINT leg_nsym[MAXLEG];
    const char *leg_sym[MAXLEG];
    const char *leg_text[MAXLEG];
    char leg_buf[MAXLEG][96];
} fig;

typedef struct {
    const cJSON *report, *m; /* the report and the matrix (NULL for a model figure) */
    const char *name; /* the matrix name, '#' doubled for PLplot (file stems use raw_name) */
    double rows, cols, significance; /* the report's significance level */
    const char *raw_name;
    const cli_density_fig *density; /* the simulate figure (NULL otherwise) */
} fig_input;

typedef void (*draw_fn)(fig *f, const fig_input *in);

/* ---- drawing helpers ------------------------------------------------------------------------ */

static double tx(const fig *f, double x)
{
    return f->logx ? (x > 0 ? log10(x) : NAN) : x;
}

static double ty(const fig *f, double y)
{
    return f->logy ? (y > 0 ? log10(y) : NAN) : y;
}

/* PLplot reads '#' as an escape; a name from the report is shown literally. */
static void plain_text(const char *s, char *buf, size_t n)
{
    size_t j = 0;
    for (; *s && j + 2 < n; s++) {
        if (*s == '#')
            buf[j++] = '#';
        buf[j++] = *s;
    }
    buf[j] = '\0';
}

static void panel(fig *f, double x0, double x1, double y0, double y1, int logx, int logy,
                  const char *xlab, const char *ylab, const char *title)
{
    f->logx = logx;
    f->logy = logy;
    if (logx) {
        x0 = log10(x0);
        x1 = log10(x1);
    }
    if (logy) {
        y0 = log10(y0);
        y1 = log10(y1);
    }
    /* a degenerate or non-finite range (e.g. an all-zero matrix) gets a unit window: PLplot's
     * tick generation on an infinite range would not finish */
    if (!isfinite(x0))
        x0 = 0;
    if (!(x1 > x0) || !isfinite(x1)) {
        x0 -= 0.5;
        x1 = x0 + 1;
    }
    if (!isfinite(y0))
        y0 = 0;
    if (!(y1 > y0) || !isfinite(y1)) {
        y0 -= 0.5;
        y1 = y0 + 1;
    }
    f->ymin = y0;
    f->ymax = y1;
    f->nleg = 0;
    pladv(0);
    plvpor(f->nx > 2 ? 0.2 : 0.15, 0.96, 0.18, 0.89);
    plwind(x0, x1, y0, y1);
    plcol0(C_FG);
    plwidth(1.0);
    pllsty(1);
    plschr(0, 0.8);
    plbox(logx ? "bcnstl" : "bcnst", 0, 0, logy ? "bcnstvl" : "bcnstv", 0, 0);
    plschr(0, f->nx > 1 ? 0.8 : 0.9);
    pllab(xlab, ylab, title); /* names in titles come escaped (fig_input.name) */
}

static void csv_row(fig *f, const char *series, double x, double xhi, double y, double count)
{
    if (!f->csv)
        return;
    fprintf(f->csv, "%s,%.17g,", series, x);
    if (!isnan(xhi))
        fprintf(f->csv, "%.17g", xhi);
    fprintf(f->csv, ",%.17g,", y);
    if (!isnan(count))
        fprintf(f->csv, "%.0f", count);
    fputc('\n', f->csv);
}

static void leg_add(fig *f, PLINT opt, int col, int sty, const char *sym, const char *text)
{
    if (f->nleg == MAXLEG)
        return;
    int i = f->nleg++;
    f->leg_opt[i] = opt;
    f->leg_col[i] = col;
    f->leg_sty[i] = sty;
    f->leg_w[i] = 2.0;
    f->leg_scale[i] = 1.0;
    f->leg_nsym[i] = 1;
    f->leg_sym[i] = sym ? sym : "";
    /* the text is ours (not from the report) and may use PLplot escapes: kept as is */
    snprintf(f->leg_buf[i], sizeof f->leg_buf[i], "%s", text);
    f->leg_text[i] = f->leg_buf[i];
}

static void legend(fig *f, PLINT position)
{
    if (!f->nleg)
        return;
    PLFLT w, h;
    PLINT bcol[MAXLEG], bpat[MAXLEG];
    PLFLT bsc[MAXLEG], bw[MAXLEG];
    PLINT tcol[MAXLEG];
    for (int i = 0; i < f->nleg; i++) {
        bcol[i] = f->leg_col[i];
        bpat[i] = 0;
        bsc[i] = 0.8;
        bw[i] = 1;
        tcol[i] = C_FG;
    }
    plschr(0, 0.7);
    pllegend(&w, &h, PL_LEGEND_BACKGROUND | PL_LEGEND_BOUNDING_BOX,
             position | PL_POSITION_INSIDE | PL_POSITION_VIEWPORT, 0.02, 0.02, 0.07, C_BG, C_GREY,
             1, 0, 0, f->nleg, f->leg_opt, 0.8, 0.9, 1.8, 0.0, tcol, f->leg_text, bcol, bpat,
             bsc, bw, f->leg_col, f->leg_sty, f->leg_w, f->leg_col, f->leg_scale, f->leg_nsym,
             f->leg_sym);
    plschr(0, 1.0);
    f->nleg = 0;
}

/* A curve; NaN or (on log axes) non-positive points break it. */
static void curve(fig *f, const char *series, const double *x, const double *y, size_t n,
                  int col, int sty, const char *label)
{
    PLFLT *px = malloc((n ? n : 1) * sizeof(PLFLT)), *py = malloc((n ? n : 1) * sizeof(PLFLT));
    if (!px || !py) {
        free(px);
        free(py);
        return;
    }
    plcol0(col);
    pllsty(sty);
    plwidth(2.0);
    size_t m = 0;
    for (size_t i = 0; i <= n; i++) {
        double a = i < n ? tx(f, x[i]) : NAN, b = i < n ? ty(f, y[i]) : NAN;
        if (i < n && !isnan(x[i]) && !isnan(y[i]))
            csv_row(f, series, x[i], NAN, y[i], NAN);
        if (isfinite(a) && isfinite(b)) {
            px[m] = a;
            py[m] = b < f->ymin - 1e3 ? f->ymin - 1e3 : b;
            m++;
        } else {
            if (m > 1)
                plline((PLINT)m, px, py);
            m = 0;
        }
    }
    pllsty(1);
    plwidth(1.0);
    free(px);
    free(py);
    if (label)
        leg_add(f, PL_LEGEND_LINE, col, sty, NULL, label);
}

/* Points drawn as symbols. */
static void points(fig *f, const char *series, const double *x, const double *y, size_t n,
                   int col, const char *label)
{
    plcol0(col);
    plschr(0, n < 50 ? 1.2 : 0.6);
    for (size_t i = 0; i < n; i++) {
        if (isnan(x[i]) || isnan(y[i]))
            continue;
        csv_row(f, series, x[i], NAN, y[i], NAN);
        PLFLT a = tx(f, x[i]), b = ty(f, y[i]);
        if (isfinite(a) && isfinite(b))
            plstring(1, &a, &b, "•");
    }
    plschr(0, 1.0);
    if (label)
        leg_add(f, PL_LEGEND_SYMBOL, col, 1, "•", label);
}

static void vline(fig *f, const char *series, double x, int col, int sty, const char *label)
{
    if (!isfinite(x))
        return;
    csv_row(f, series, x, NAN, NAN, NAN);
    PLFLT px[2] = {tx(f, x), tx(f, x)}, py[2] = {f->ymin, f->ymax};
    if (!isfinite(px[0]))
        return;
    plcol0(col);
    pllsty(sty);
    plwidth(1.5);
    plline(2, px, py);
    pllsty(1);
    plwidth(1.0);
    if (label)
        leg_add(f, PL_LEGEND_LINE, col, sty, NULL, label);
}

static void hline(fig *f, const char *series, double y, double x0, double x1, int col, int sty,
                  const char *label)
{
    double x[2] = {x0, x1}, yy[2] = {y, y};
    FILE *keep = f->csv;
    f->csv = NULL;
    curve(f, series, x, yy, 2, col, sty, label);
    f->csv = keep;
    csv_row(f, series, NAN, NAN, y, NAN);
}

/* Histogram of x[0..n) on [lo, hi] in nb bins (last bin closed, values outside ignored) as a
 * density normalised by `norm` values (so that a partial histogram keeps the scale of the law
 * of all of them). Writes the bins to *dens (nb) when non-NULL. */
static void hist_counts(const double *x, size_t n, double lo, double hi, int nb, double *cnt)
{
    for (int b = 0; b < nb; b++)
        cnt[b] = 0;
    double w = (hi - lo) / nb;
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] >= lo && x[i] <= hi))
            continue;
        int b = (int)((x[i] - lo) / w);
        if (b >= nb)
            b = nb - 1;
        /* agree with numpy.histogram at edges: bin b is [lo + b w, lo + (b+1) w) */
        while (b > 0 && x[i] < lo + b * w)
            b--;
        while (b < nb - 1 && x[i] >= lo + (b + 1) * w)
            b++;
        cnt[b] += 1;
    }
}

static void bars(fig *f, const char *series, double lo, double hi, int nb, const double *cnt,
                 const double *dens, int fill, int edge, const char *label)
{
    double w = (hi - lo) / nb;
    for (int b = 0; b < nb; b++) {
        double a = lo + b * w, c = lo + (b + 1) * w;
        csv_row(f, series, a, c, dens[b], cnt ? cnt[b] : NAN);
        double y = ty(f, dens[b]);
        if (!(dens[b] > 0) || !isfinite(y))
            continue;
        PLFLT px[4] = {tx(f, a), tx(f, a), tx(f, c), tx(f, c)};
        PLFLT py[4] = {f->ymin, y, y, f->ymin};
        if (fill >= 0) {
            plcol0(fill);
            plfill(4, px, py);
        }
        plcol0(edge);
        plline(4, px, py);
    }
    if (label)
        leg_add(f, PL_LEGEND_COLOR_BOX, fill >= 0 ? fill : edge, 1, NULL, label);
}

static int nbins_for(size_t n)
{
    int nb = (int)ceil(sqrt((double)n));
    return nb < 10 ? 10 : nb > 60 ? 60 : nb;
}

static double max_of(const double *x, size_t n)
{
    double m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (x[i] > m)
            m = x[i];
    return m;
}

static void grid(double lo, double hi, size_t n, double *x)
{
    for (size_t i = 0; i < n; i++)
        x[i] = lo + (hi - lo) * (double)i / (double)(n - 1);
}

/* ---- per-matrix figures ------------------------------------------------------------------- */

#define NG 400

/* ESD of lambda = sigma^2 and of sigma with the fitted Marchenko-Pastur law (methods.md 4.1). */
static void draw_esd(fig *f, const fig_input *in)
{
    double *sv;
    size_t k = cli_array(in->m, "singular_values", &sv);
    double v = cli_metric(in->m, "mp_sigma2"), lp = cli_metric(in->m, "mp_lambda_plus");
    /* Only the values above the numerical rank (n_null below it are rounding noise of dead
     * units or a low-rank product); the MP law of the fit is that of the max(N, M) x r live
     * block. */
    double n_null = cli_metric(in->m, "n_null");
    if (n_null > 0 && n_null < (double)k) /* an all-zero matrix keeps its zeros */
        k -= (size_t)n_null;
    double big_dim = in->rows > in->cols ? in->rows : in->cols;
    double *spk = NULL;
    size_t ns = cli_array(in->m, "spike_lambda", &spk);
    double *lam = malloc(k * sizeof(double)), cnt[60], den[60], gx[NG], gy[NG];
    if (!lam)
        goto done;
    for (size_t i = 0; i < k; i++)
        lam[i] = sv[i] * sv[i];
    rmtk_mp_law law = {v, big_dim, (double)k, RMTK_MP_EIGEN, 0};
    int have_mp = v > 0 && isfinite(lp);
    double tw = NAN;
    if (have_mp) {
        double mu, sg, s;
        if (rmtk_tw_johnstone(big_dim, (double)k, &mu, &sg) == RMTK_OK &&
            rmtk_tw_quantile(1, 1 - in->significance, &s) == RMTK_OK)
            tw = v * (mu + sg * s);
    }
    for (int form = 0; form < 2; form++) {
        const double *x = form ? sv : lam;
        double hi = have_mp ? 1.3 * (form ? sqrt(lp) : lp) : max_of(x, k);
        double xmaxall = max_of(x, k);
        if (xmaxall < hi)
            hi = xmaxall * 1.02;
        if (have_mp && hi < (form ? sqrt(tw) : tw) * 1.05)
            hi = (form ? sqrt(tw) : tw) * 1.05;
        if (!(hi > 0) || !isfinite(hi))
            hi = 1; /* all values zero: a unit axis with every value in the first bin */
        int nb = nbins_for(k);
        hist_counts(x, k, 0, hi, nb, cnt);
        double w = hi / nb, ymax = 0;
        for (int b = 0; b < nb; b++) {
            den[b] = cnt[b] / ((double)k * w);
            if (den[b] > ymax)
                ymax = den[b];
        }
        law.form = form ? RMTK_MP_SINGULAR : RMTK_MP_EIGEN;
        if (have_mp) {
            grid(0, hi, NG, gx);
            for (int i = 0; i < NG; i++) {
                gy[i] = rmtk_mp_pdf(gx[i], &law);
                if (gy[i] > ymax && gy[i] < 10 * ymax + 1)
                    ymax = gy[i];
            }
        }
        size_t beyond = 0;
        for (size_t i = 0; i < k; i++)
            beyond += x[i] > hi;
        char title[200];
        snprintf(title, sizeof title, "%s: ESD of %s (%zu values)", in->name,
                 form ? "σ" : "λ = σ²", k);
        /* headroom for the legend (top right, about 8 % of the panel per line) so that it never
         * hides the histogram or the law */
        int lines = 1 + (have_mp ? 3 : 0) + (ns ? 1 : 0) + (beyond ? 1 : 0);
        double top = ymax / (1.0 - fmin(0.6, 0.04 + 0.08 * lines));
        panel(f, 0, hi, 0, top, 0, 0, form ? "singular value σ" : "eigenvalue λ = σ²",
              form ? "density ρ(σ)" : "density ρ(λ)", title);
        bars(f, form ? "hist_sigma" : "hist_lambda", 0, hi, nb, cnt, den, C_FILL, C_BLUE,
             form ? "histogram of σ" : "histogram of λ");
        if (have_mp) {
            char lab[96];
            snprintf(lab, sizeof lab, "Marchenko–Pastur, σ² = %.3g", v);
            curve(f, form ? "mp_sigma" : "mp_lambda", gx, gy, NG, C_RED, 1, lab);
            vline(f, form ? "edge_sigma" : "edge_lambda", form ? sqrt(lp) : lp, C_RED, 2,
                  form ? "bulk edge σ₊" : "bulk edge λ₊");
            vline(f, form ? "tw_sigma" : "tw_lambda", form ? sqrt(tw) : tw, C_ORANGE, 3,
                  "Tracy–Widom threshold");
        }
        int shown = 0;
        for (size_t i = 0; i < ns; i++) {
            double o = form ? sqrt(spk[i]) : spk[i];
            csv_row(f, form ? "outlier_sigma" : "outlier_lambda", o, NAN, NAN, NAN);
            if (o <= hi) {
                /* a short tick on the axis (a rug): outliers can be many */
                PLFLT px[2] = {o, o}, py[2] = {0, 0.2 * ymax};
                plcol0(C_GREEN);
                plwidth(2.0);
                plline(2, px, py);
                plwidth(1.0);
                shown = 1;
            }
        }
        if (ns) {
            char lab[96];
            snprintf(lab, sizeof lab, "%zu outlier%s (TW test)%s", ns, ns == 1 ? "" : "s",
                     shown ? "" : ", off the axis");
            leg_add(f, PL_LEGEND_LINE, C_GREEN, 1, NULL, lab);
        }
        if (beyond) {
            char note[90];
            snprintf(note, sizeof note, "%zu value%s beyond the axis (max %.4g)", beyond,
                     beyond == 1 ? "" : "s", xmaxall);
            leg_add(f, PL_LEGEND_NONE, C_FG, 1, NULL, note);
        }
        legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
    }
done:
    free(lam);
    free(sv);
    free(spk);
}

/* Unfolded nearest-neighbour spacings against the Wigner surmise, the exact GOE law, Poisson
 * and the fitted Brody law (methods.md 4.3). */
static void draw_spacing(fig *f, const fig_input *in)
{
    double *s;
    size_t n = cli_array(in->m, "unfolded_spacings", &s);
    double cnt[60], den[60], gx[NG], gy[NG];
    double hi = 4.0, ymax = 1.05;
    int nb = nbins_for(n);
    if (nb > 40)
        nb = 40;
    hist_counts(s, n, 0, hi, nb, cnt);
    for (int b = 0; b < nb; b++) {
        den[b] = cnt[b] / ((double)n * (hi / nb));
        if (den[b] > ymax)
            ymax = den[b];
    }
    char title[200];
    snprintf(title, sizeof title, "%s: unfolded spacings (%zu)", in->name, n);
    panel(f, 0, hi, 0, 1.1 * ymax, 0, 0, "spacing s", "density P(s)", title);
    bars(f, "hist_spacing", 0, hi, nb, cnt, den, C_FILL, C_BLUE, "unfolded spacings");
    grid(0, hi, NG, gx);
    for (int i = 0; i < NG; i++)
        gy[i] = rmtk_wigner_surmise_pdf(1, gx[i]);
    curve(f, "wigner_goe", gx, gy, NG, C_RED, 1, "Wigner surmise (GOE)");
    if (rmtk_spacing_exact(1, gx, NG, NULL, NULL, gy) == RMTK_OK)
        curve(f, "exact_goe", gx, gy, NG, C_PURPLE, 2, "exact GOE (Gaudin–Mehta)");
    for (int i = 0; i < NG; i++)
        gy[i] = exp(-gx[i]);
    curve(f, "poisson", gx, gy, NG, C_GREY, 3, "Poisson exp(−s)");
    double beta = cli_metric(in->m, "brody_beta");
    if (isfinite(beta)) {
        char lab[96];
        for (int i = 0; i < NG; i++)
            gy[i] = rmtk_brody_pdf(beta, gx[i]);
        snprintf(lab, sizeof lab, "Brody fit, β = %.3f", beta);
        curve(f, "brody", gx, gy, NG, C_GREEN, 1, lab);
    }
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
    free(s);
}

/* Spacing-ratio histogram against the Atas surmises (methods.md 4.3). */
static void draw_ratio(fig *f, const fig_input *in)
{
    double *h, *r = NULL, gx[NG], gy[NG];
    size_t nb = cli_array(in->m, "ratio_hist", &h);
    size_t nr = cli_array(in->m, "spacing_ratios", &r);
    double ymax = 2.0, cnt[200];
    for (size_t b = 0; b < nb; b++)
        if (h[b] > ymax)
            ymax = h[b];
    if (nr && nb <= 200)
        hist_counts(r, nr, 0, 1, (int)nb, cnt);
    char title[200];
    snprintf(title, sizeof title, "%s: spacing ratios r̃, mean %.4f", in->name,
             cli_metric(in->m, "r_mean"));
    panel(f, 0, 1, 0, 1.1 * ymax, 0, 0, "r̃ = min(r, 1/r)", "density P(r̃)", title);
    bars(f, "hist_ratio", 0, 1, (int)nb, nr && nb <= 200 ? cnt : NULL, h, C_FILL, C_BLUE,
         "spacing ratios r̃");
    grid(0, 1, NG, gx);
    static const struct {
        int beta, col, sty;
        const char *series, *label;
    } laws[] = {{1, C_RED, 1, "goe", "GOE surmise (mean 0.5307)"},
                {2, C_PURPLE, 2, "gue", "GUE surmise (mean 0.5996)"},
                {0, C_GREY, 3, "poisson", "Poisson (mean 0.3863)"}};
    for (size_t l = 0; l < 3; l++) {
        for (int i = 0; i < NG; i++)
            gy[i] = rmtk_ratio_surmise_pdf(laws[l].beta, gx[i]);
        curve(f, laws[l].series, gx, gy, NG, laws[l].col, laws[l].sty, laws[l].label);
    }
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
    free(h);
    free(r);
}

/* Number variance and spectral rigidity against GOE and Poisson (methods.md 4.4). */
static void draw_sigma2(fig *f, const fig_input *in)
{
    static const char *keys[2][3] = {{"sigma2", "sigma2_goe", "sigma2_poisson"},
                                     {"delta3", "delta3_goe", "delta3_poisson"}};
    double *L;
    size_t n = cli_array(in->m, "curve_L", &L);
    for (int c = 0; c < 2; c++) {
        double *y[3] = {NULL, NULL, NULL}, lo = INFINITY, hi = -INFINITY;
        for (int j = 0; j < 3; j++) {
            size_t m = cli_array(in->m, keys[c][j], &y[j]);
            for (size_t i = 0; i < m && i < n; i++)
                if (y[j][i] > 0) {
                    lo = y[j][i] < lo ? y[j][i] : lo;
                    hi = y[j][i] > hi ? y[j][i] : hi;
                }
        }
        char title[200];
        snprintf(title, sizeof title, "%s: %s", in->name,
                 c ? "spectral rigidity #gD#d3#u(L)" : "number variance #gS#u2#d(L)");
        if (!(hi > lo)) {
            lo = 0.01;
            hi = 10;
        }
        panel(f, L[0] * 0.9, L[n - 1] * 1.1, lo / 1.5, hi * 1.5, 1, 1, "window length L",
              c ? "#gD#d3#u(L)" : "#gS#u2#d(L)", title);
        if (y[0]) {
            points(f, keys[c][0], L, y[0], n, C_BLUE, NULL);
            FILE *keep = f->csv; /* the points already wrote the data */
            f->csv = NULL;
            curve(f, keys[c][0], L, y[0], n, C_BLUE, 1, "this layer");
            f->csv = keep;
        }
        if (y[1])
            curve(f, keys[c][1], L, y[1], n, C_RED, 2, "GOE");
        if (y[2])
            curve(f, keys[c][2], L, y[2], n, C_GREY, 3, "Poisson");
        legend(f, PL_POSITION_LEFT | PL_POSITION_TOP);
        for (int j = 0; j < 3; j++)
            free(y[j]);
    }
    free(L);
}

/* Porter-Thomas: p-values and IPRs against the singular-value index, and the components of the
 * top and a bulk left vector against the Gaussian (methods.md 4.5). */
/* The smallest positive p-value the report's Porter-Thomas test can give, with a legend label
 * saying why; NaN when its p-values are not from a Monte-Carlo null (exact_kolmogorov).
 * exact_mc: p = (1 + #{D_null >= D}) / (B + 1) >= 1/(B+1); staats and paper: 1/B, below which
 * p = 0 (not drawn on the log axis). B = parameters.vectors.nsamples, 0 meaning the method's
 * default (rmtk.h, rmtk_pt_params.nsamples: 2000, 5000, 10000). */
static double pt_floor(const fig_input *in, char *lab, size_t n)
{
    const cJSON *vp = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(in->report, "parameters"), "vectors");
    const char *method = cli_json_str(vp, "method");
    double B = cli_json_num(vp, "nsamples");
    if (!method)
        return NAN;
    if (!(B > 0))
        B = !strcmp(method, "exact_mc") ? 2000 : !strcmp(method, "paper") ? 5000
            : !strcmp(method, "staats") ? 10000 : NAN;
    if (!(B > 0))
        return NAN;
    if (!strcmp(method, "exact_mc")) {
        snprintf(lab, n, "floor 1/(B+1), B = %.0f null vectors", B);
        return 1 / (B + 1);
    }
    snprintf(lab, n, "1/B, B = %.0f null vectors (p = 0 below)", B);
    return 1 / B;
}

static void draw_vectors(fig *f, const fig_input *in)
{
    double *pl, *pr = NULL, *il = NULL, *ir = NULL, *idx = NULL;
    size_t k = cli_array(in->m, "pt_p_left", &pl);
    cli_array(in->m, "pt_p_right", &pr);
    cli_array(in->m, "ipr_left", &il);
    cli_array(in->m, "ipr_right", &ir);
    idx = malloc(k * sizeof(double));
    if (!idx || !pr || !il || !ir)
        goto done;
    for (size_t i = 0; i < k; i++)
        idx[i] = (double)(i + 1);
    double pmin = 1;
    for (size_t i = 0; i < k; i++) {
        if (pl[i] > 0 && pl[i] < pmin)
            pmin = pl[i];
        if (pr[i] > 0 && pr[i] < pmin)
            pmin = pr[i];
    }
    if (pmin > in->significance / 3)
        pmin = in->significance / 3;
    char floor_lab[96];
    double pfloor = pt_floor(in, floor_lab, sizeof floor_lab);
    if (pfloor > 0 && pmin > pfloor / 1.5)
        pmin = pfloor / 1.5; /* the floor line stays inside the panel */
    char title[200];
    snprintf(title, sizeof title, "%s: Porter–Thomas p-values", in->name);
    /* room below the smallest p-value for the legend (bottom right, 3 lines) */
    double pbot = pmin / 2 / pow(1.5 / (pmin / 2), 0.36 / 0.64);
    panel(f, 0.8, (double)k * 1.2, pbot, 1.5, 1, 1, "singular-value index j (1 = largest)",
          "KS p-value", title);
    points(f, "p_left", idx, pl, k, C_BLUE, "left vectors u");
    points(f, "p_right", idx, pr, k, C_ORANGE, "right vectors v");
    char lab[96];
    snprintf(lab, sizeof lab, "significance %.3g", in->significance);
    hline(f, "significance", in->significance, 0.8, (double)k * 1.2, C_RED, 2, lab);
    if (pfloor > 0)
        hline(f, "p_floor", pfloor, 0.8, (double)k * 1.2, C_GREY, 3, floor_lab);
    legend(f, PL_POSITION_RIGHT | PL_POSITION_BOTTOM);

    double imin = INFINITY, imax = 0;
    for (size_t i = 0; i < k; i++) {
        imin = fmin(imin, fmin(il[i], ir[i]));
        imax = fmax(imax, fmax(il[i], ir[i]));
    }
    double rl = 3 / (in->rows + 2), rr = 3 / (in->cols + 2);
    imin = fmin(imin, fmin(rl, rr));
    imax = fmax(imax, fmax(rl, rr));
    snprintf(title, sizeof title, "%s: inverse participation ratio", in->name);
    /* room above the largest IPR for the legend (top right, 4 lines) */
    double itop = imax * 1.5 * pow(imax * 1.5 / (imin / 1.3), 0.36 / 0.64);
    panel(f, 0.8, (double)k * 1.2, imin / 1.3, itop, 1, 1,
          "singular-value index j (1 = largest)", "IPR = Σ#di#u x#di#u#u4#d", title);
    points(f, "ipr_left", idx, il, k, C_BLUE, "left vectors");
    points(f, "ipr_right", idx, ir, k, C_ORANGE, "right vectors");
    snprintf(lab, sizeof lab, "3/(N+2), N = %.0f", in->rows);
    hline(f, "ipr_ref_left", rl, 0.8, (double)k * 1.2, C_RED, 2, lab);
    snprintf(lab, sizeof lab, "3/(M+2), M = %.0f", in->cols);
    hline(f, "ipr_ref_right", rr, 0.8, (double)k * 1.2, C_PURPLE, 3, lab);
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);

    static const char *vk[2] = {"vec_top_left", "vec_bulk_left"};
    for (int w = 0; w < 2; w++) {
        double *x;
        size_t n = cli_array(in->m, vk[w], &x);
        if (!n) {
            pladv(0);
            continue;
        }
        double sc = sqrt((double)n), cnt[60], den[60], gx[NG], gy[NG], ymax = 0.45;
        for (size_t i = 0; i < n; i++)
            x[i] *= sc;
        double hi = fmax(4.5, max_of(x, n) * 1.02), lo = -hi;
        for (size_t i = 0; i < n; i++)
            lo = fmin(lo, x[i] * 1.02);
        hi = fmax(hi, -lo);
        lo = -hi;
        int nb = nbins_for(n);
        hist_counts(x, n, lo, hi, nb, cnt);
        for (int b = 0; b < nb; b++) {
            den[b] = cnt[b] / ((double)n * (hi - lo) / nb);
            ymax = fmax(ymax, den[b]);
        }
        size_t kt = 0; /* tested vectors (above the numerical rank) come first */
        while (kt < k && !isnan(pl[kt]))
            kt++;
        size_t j = w ? kt / 2 : 0;
        snprintf(title, sizeof title, "%s: components of u#d%zu#u (%s), p = %.3g", in->name,
                 j + 1, w ? "bulk" : "top", pl[j]);
        panel(f, lo, hi, 0, 1.45 * ymax, 0, 0, "√N u#di#u", "density", title);
        bars(f, w ? "hist_bulk" : "hist_top", lo, hi, nb, cnt, den, w ? C_FILL2 : C_FILL,
             w ? C_GREY : C_BLUE, w ? "bulk vector (middle of the tested ones)" : "top vector (index 1)");
        grid(lo, hi, NG, gx);
        for (int i = 0; i < NG; i++)
            gy[i] = exp(-gx[i] * gx[i] / 2) / sqrt(2 * M_PI);
        curve(f, "gaussian", gx, gy, NG, C_RED, 1, "standard Gaussian (Porter–Thomas)");
        legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
        free(x);
    }
done:
    free(pl);
    free(pr);
    free(il);
    free(ir);
    free(idx);
}

static int cmp_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Hill plot and the log-log CCDF of lambda with the power-law fit (methods.md 4.6). */
static void draw_tails(fig *f, const fig_input *in)
{
    double *h, *he = NULL, *sv = NULL;
    size_t n = cli_array(in->m, "hill_alpha", &h);
    cli_array(in->m, "hill_alpha_err", &he);
    size_t k = cli_array(in->m, "singular_values", &sv);
    double *kk = malloc(n * sizeof(double)), *lo = malloc(n * sizeof(double)),
           *up = malloc(n * sizeof(double)), *lam = malloc((k ? k : 1) * sizeof(double)),
           *cc = malloc((k ? k : 1) * sizeof(double));
    if (!kk || !lo || !up || !lam || !cc || !he)
        goto done;
    double ymax = 0;
    for (size_t i = 0; i < n; i++) {
        kk[i] = (double)(i + 1);
        lo[i] = h[i] - he[i];
        up[i] = h[i] + he[i];
        if (i >= 4 && isfinite(up[i]))
            ymax = fmax(ymax, h[i]);
    }
    if (!(ymax > 0))
        ymax = 4;
    char title[200];
    snprintf(title, sizeof title, "%s: Hill plot", in->name);
    panel(f, 0, (double)n + 1, 0, fmin(1.6 * ymax, 12), 0, 0, "tail size k (largest λ)",
          "Hill estimate of the CCDF exponent", title);
    curve(f, "hill_upper", kk, up, n, C_SKY, 2, "± 1 standard error");
    curve(f, "hill_lower", kk, lo, n, C_SKY, 2, NULL);
    curve(f, "hill_alpha", kk, h, n, C_BLUE, 1, "Hill estimate");
    double ha = cli_metric(in->m, "hill_alpha"), ca = cli_metric(in->m, "csn_alpha");
    char lab[96];
    if (isfinite(ha)) {
        snprintf(lab, sizeof lab, "hill_alpha (CCDF) plateau: %.3f", ha);
        hline(f, "hill_plateau", ha, 0, (double)n + 1, C_RED, 1, lab);
    }
    if (isfinite(ca)) {
        snprintf(lab, sizeof lab, "csn_alpha − 1 (density → CCDF) = %.3f", ca - 1);
        hline(f, "csn_ccdf_exponent", ca - 1, 0, (double)n + 1, C_GREEN, 3, lab);
    }
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);

    for (size_t i = 0; i < k; i++)
        lam[i] = sv[i] * sv[i];
    qsort(lam, k, sizeof(double), cmp_desc);
    for (size_t i = 0; i < k; i++)
        cc[i] = (double)(i + 1) / (double)k; /* P(Λ >= λ_(i)) */
    double lmin = INFINITY;
    for (size_t i = 0; i < k; i++)
        if (lam[i] > 0)
            lmin = fmin(lmin, lam[i]);
    snprintf(title, sizeof title, "%s: CCDF of λ (log-log)", in->name);
    panel(f, lmin / 1.3, lam[0] * 1.3, 0.5 / (double)k, 1.5, 1, 1, "eigenvalue λ = σ²",
          "P(Λ ≥ λ)", title);
    points(f, "ccdf", lam, cc, k, C_BLUE, "empirical CCDF");
    double xm = cli_metric(in->m, "csn_xmin"), nt = cli_metric(in->m, "csn_n_tail");
    if (isfinite(ca) && xm > 0 && nt > 0) {
        double fx[2] = {xm, lam[0]}, fy[2];
        for (int i = 0; i < 2; i++)
            fy[i] = nt / (double)k * pow(fx[i] / xm, -(ca - 1));
        snprintf(lab, sizeof lab, "power law, csn_alpha = %.3f (density)", ca);
        curve(f, "powerlaw_fit", fx, fy, 2, C_RED, 1, lab);
        vline(f, "csn_xmin", xm, C_GREEN, 2, "xmin (CSN)");
    }
    double wx = cli_metric(in->m, "xmin");
    if (isfinite(wx))
        vline(f, "ww_xmin", wx, C_ORANGE, 3, "xmin (WeightWatcher)");
    legend(f, PL_POSITION_LEFT | PL_POSITION_BOTTOM);
done:
    free(h);
    free(he);
    free(sv);
    free(kk);
    free(lo);
    free(up);
    free(lam);
    free(cc);
}

/* The xmin scan of the power-law fit (WeightWatcher's "D vs xmin" and "alpha vs xmin" plots):
 * the KS distance D and the density exponent alpha of the CSN fit at every candidate xmin
 * (report.json ks_xmin, ks_d, ks_alpha: --stats tails), with the chosen csn_xmin and the
 * WeightWatcher xmin. */
static void draw_xmin_scan(fig *f, const fig_input *in)
{
    double *x = NULL, *d = NULL, *a = NULL;
    size_t n = cli_array(in->m, "ks_xmin", &x);
    size_t nd = cli_array(in->m, "ks_d", &d), na = cli_array(in->m, "ks_alpha", &a);
    if (n == 0 || nd != n || na != n)
        goto done;
    double x0 = INFINITY, x1 = 0, dmax = 0, amax = 0;
    for (size_t i = 0; i < n; i++) {
        if (x[i] > 0) {
            x0 = fmin(x0, x[i]);
            x1 = fmax(x1, x[i]);
        }
        if (isfinite(d[i]))
            dmax = fmax(dmax, d[i]);
        if (isfinite(a[i]) && i + 5 < n) /* the last few candidates' alpha runs away */
            amax = fmax(amax, a[i]);
    }
    if (!(x1 > x0))
        goto done;
    double cx = cli_metric(in->m, "csn_xmin"), wx = cli_metric(in->m, "xmin");
    char title[200];
    snprintf(title, sizeof title, "%s: KS distance D against xmin", in->name);
    panel(f, x0 / 1.2, x1 * 1.2, 0, dmax > 0 ? 1.1 * dmax : 1, 1, 0, "candidate xmin (λ = σ²)",
          "KS distance D", title);
    curve(f, "ks_d", x, d, n, C_BLUE, 1, "D(xmin), CSN fit");
    if (isfinite(cx))
        vline(f, "csn_xmin", cx, C_RED, 1, "csn_xmin (smallest D)");
    if (isfinite(wx))
        vline(f, "ww_xmin", wx, C_ORANGE, 3, "xmin (WeightWatcher)");
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
    snprintf(title, sizeof title, "%s: alpha against xmin", in->name);
    panel(f, x0 / 1.2, x1 * 1.2, 1, amax > 1 ? fmin(1.1 * amax, 20) : 10, 1, 0,
          "candidate xmin (λ = σ²)", "density exponent alpha", title);
    curve(f, "ks_alpha", x, a, n, C_BLUE, 1, "alpha(xmin), CSN fit");
    if (isfinite(cx))
        vline(f, "csn_xmin", cx, C_RED, 1, "csn_xmin");
    if (isfinite(wx))
        vline(f, "ww_xmin", wx, C_ORANGE, 3, "xmin (WeightWatcher)");
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
done:
    free(x);
    free(d);
    free(a);
}

/* ---- the model figure: trends per module type against the block index --------------------- */

/* The trends of a model with a block structure (issue 13): one series per module type (the
 * report's "module"; "" is "other"), x = the block index, so that q, k, v, o, gate, up, down each
 * draw their own line through the depth of the network instead of a zigzag in file order.
 * Matrices without a block index (embeddings, the head) are left out of the lines and counted in
 * the legend panel. A model without any block index falls back to the position in the report
 * (file order), said on the axis and in the legend. The series are coloured from a palette of
 * NMODC colours after the fixed ones, cycling through line styles beyond that, and the legend
 * panel lists every series however many there are (columns, then a smaller font). */

enum { NMODC = 12 };

typedef struct {
    const char *module; /* points into the report */
    size_t n;           /* matrices */
} trend_series;

static int trend_x(const cJSON *m, int by_block, size_t pos, double *x)
{
    double b = cli_json_num(m, "block");
    if (!by_block) {
        *x = (double)pos;
        return 1;
    }
    *x = b;
    return isfinite(b) && b >= 0;
}

static const char *trend_module(const cJSON *m)
{
    const char *s = cli_json_str(m, "module");
    return s && *s ? s : "other";
}

static void draw_trends(fig *f, const fig_input *in)
{
    static const struct {
        const char *key, *label;
    } qs[] = {{"alpha", "alpha: density exponent (WeightWatcher)"},
              {"r_mean", "r_mean: mean spacing ratio r̃"},
              {"n_spikes", "n_spikes: Tracy-Widom outliers"},
              {"stable_rank", "stable_rank ‖W‖#dF#u²/σ#d1#u²"},
              {"pt_frac_rejected", "pt_frac_rejected (all vectors)"}};
    const cJSON *mats = cJSON_GetObjectItemCaseSensitive(in->report, "matrices"), *m;
    size_t n = (size_t)cJSON_GetArraySize(mats), nser = 0, nok = 0, nnoblock = 0;
    int by_block = 0;
    cJSON_ArrayForEach(m, mats) if (cli_matrix_ok(m) && cli_json_num(m, "block") >= 0) by_block = 1;
    double *x = malloc((n ? n : 1) * sizeof(double)), *y = malloc((n ? n : 1) * sizeof(double));
    trend_series *ser = calloc(n ? n : 1, sizeof *ser);
    if (!x || !y || !ser)
        goto done;
    double xlo = INFINITY, xhi = -INFINITY;
    cJSON_ArrayForEach(m, mats)
    {
        if (!cli_matrix_ok(m))
            continue;
        double xv;
        if (!trend_x(m, by_block, ++nok, &xv)) {
            nnoblock++;
            continue;
        }
        xlo = fmin(xlo, xv);
        xhi = fmax(xhi, xv);
        const char *mod = by_block ? trend_module(m) : "all";
        size_t s = 0;
        while (s < nser && strcmp(ser[s].module, mod) != 0)
            s++;
        if (s == nser)
            ser[nser++].module = mod;
        ser[s].n++;
    }
    if (!isfinite(xlo)) {
        xlo = 1;
        xhi = 1;
    }
    const char *xlab = by_block ? "block index (layer number in the names)"
                                : "position in the file (no block index)";
    for (size_t q = 0; q < sizeof qs / sizeof qs[0]; q++) {
        double lo = INFINITY, hi = -INFINITY;
        size_t pos = 0;
        cJSON_ArrayForEach(m, mats)
        {
            double xv;
            if (!cli_matrix_ok(m) || !trend_x(m, by_block, ++pos, &xv))
                continue;
            /* values marked unusable by their status (too few levels or tail values, a capped
             * or failed fit) are left out (docs/report.md, "Minimum sizes") */
            double v = cli_usable(cli_json_getter, m, qs[q].key);
            if (isfinite(v)) {
                lo = fmin(lo, v);
                hi = fmax(hi, v);
            }
        }
        if (!strcmp(qs[q].key, "r_mean")) {
            lo = fmin(lo, 0.3863);
            hi = fmax(hi, 0.5996);
        }
        if (!isfinite(lo)) {
            lo = 0;
            hi = 1;
        }
        double pad = hi > lo ? 0.1 * (hi - lo) : 0.5;
        double x0 = xlo - 0.5, x1 = xhi + 0.5;
        panel(f, x0, x1, lo - pad, hi + pad, 0, 0, xlab, qs[q].label, qs[q].label);
        for (size_t s = 0; s < nser; s++) {
            /* the series' points in x order (a stable insertion sort: experts of one block keep
             * their file order) */
            size_t j = 0;
            pos = 0;
            cJSON_ArrayForEach(m, mats)
            {
                double xv;
                if (!cli_matrix_ok(m) || !trend_x(m, by_block, ++pos, &xv))
                    continue;
                if (strcmp(by_block ? trend_module(m) : "all", ser[s].module) != 0)
                    continue;
                double v = cli_usable(cli_json_getter, m, qs[q].key);
                size_t t = j++;
                while (t > 0 && x[t - 1] > xv) {
                    x[t] = x[t - 1];
                    y[t] = y[t - 1];
                    t--;
                }
                x[t] = xv;
                y[t] = v;
            }
            char series[160];
            if (by_block)
                snprintf(series, sizeof series, "%s/%s", qs[q].key, ser[s].module);
            else
                snprintf(series, sizeof series, "%s", qs[q].key);
            int col = C_NCOL + (int)(s % NMODC), sty = 1 + (int)(s / NMODC) % 8;
            curve(f, series, x, y, j, col, sty, NULL);
            /* the points as small squares of lines (hundreds of text glyphs would make the SVG
             * large; lines of one colour become one path) */
            double hx = 0.004 * (x1 - x0), hy = 0.008 * (f->ymax - f->ymin);
            plcol0(col);
            plwidth(2.5);
            for (size_t t = 0; t < j; t++) {
                if (!isfinite(y[t]))
                    continue;
                PLFLT sx[5] = {x[t] - hx, x[t] + hx, x[t] + hx, x[t] - hx, x[t] - hx};
                PLFLT sy[5] = {y[t] - hy, y[t] - hy, y[t] + hy, y[t] + hy, y[t] - hy};
                plline(5, sx, sy);
            }
            plwidth(1.0);
        }
        /* reference lines labelled in place (a legend box would hide points) */
        double dy = 0.03 * (hi - lo + 2 * pad);
        if (!strcmp(qs[q].key, "r_mean")) {
            hline(f, "r_goe", 0.5307, x0, x1, C_RED, 2, NULL);
            hline(f, "r_poisson", 0.3863, x0, x1, C_GREY, 3, NULL);
            plschr(0, 0.7);
            plcol0(C_RED);
            plptex(x0 + 0.02 * (x1 - x0), 0.5307 + dy, 1, 0, 0, "GOE 0.5307");
            plcol0(C_GREY);
            plptex(x0 + 0.02 * (x1 - x0), 0.3863 + dy, 1, 0, 0, "Poisson 0.3863");
            plschr(0, 1.0);
        }
        if (!strcmp(qs[q].key, "alpha") && lo - pad < 2 && hi + pad > 2) {
            hline(f, "alpha_2", 2, x0, x1, C_RED, 2, NULL);
            plschr(0, 0.7);
            plcol0(C_RED);
            plptex(x0 + 0.02 * (x1 - x0), 2 + dy, 1, 0, 0, "α = 2");
            plschr(0, 1.0);
        }
    }
    /* the sixth panel: the legend, every series (columns of up to `per` entries; beyond three
     * columns the entries get smaller) */
    pladv(0);
    plvpor(0.05, 0.95, 0.05, 0.90);
    plwind(0, 1, 0, 1);
    plcol0(C_FG);
    plschr(0, 0.8);
    plmtex("t", 1.0, 0.0, 0.0, by_block ? "module type (matrices)" : "x: position in the file");
    size_t rows = 14, ncol = 3;
    if (nser > rows * ncol)
        rows = (nser + ncol - 1) / ncol;
    double step = 0.88 / (double)(rows + 1), chr = fmin(0.8, 0.8 * 14.0 / (double)rows);
    plschr(0, chr);
    for (size_t s = 0; s < nser; s++) {
        double cx = (double)(s / rows) / (double)ncol, cy = 0.97 - step * (double)(s % rows + 1);
        PLFLT lx[2] = {cx, cx + 0.06}, ly[2] = {cy, cy};
        plcol0(C_NCOL + (int)(s % NMODC));
        pllsty(1 + (int)(s / NMODC) % 8);
        plwidth(2.0);
        plline(2, lx, ly);
        pllsty(1);
        plwidth(1.0);
        char line[120], nm[100];
        plain_text(ser[s].module, nm, sizeof nm);
        snprintf(line, sizeof line, "%.60s (%zu)", nm, ser[s].n);
        plcol0(C_FG);
        plptex(cx + 0.08, cy - 0.01, 1, 0, 0, line);
    }
    plschr(0, 0.7);
    if (nnoblock) {
        char note[160];
        snprintf(note, sizeof note,
                 "%zu matri%s without a block index (embedding, head) not drawn",
                 nnoblock, nnoblock == 1 ? "x" : "ces");
        plptex(0.0, 0.02, 1, 0, 0, note);
    } else if (!by_block) {
        plptex(0.0, 0.02, 1, 0, 0, "no block index in the names: x = # in the table");
    }
    plschr(0, 1.0);
done:
    free(x);
    free(y);
    free(ser);
}

/* ---- rmtk simulate: the simulated density against the limiting law -------------------------- */

static void draw_density(fig *f, const fig_input *in)
{
    const cli_density_fig *d = in->density;
    double lo = d->lo, hi = d->lo + d->w * (double)d->nb, ymax = 0;
    if (d->nb == 0 && d->nt) { /* the law alone (rmtk theory --plot) */
        lo = d->tx[0];
        hi = d->tx[d->nt - 1];
    }
    int atom = (d->atom_sim > 1e-12 || d->atom_theory > 1e-12);
    if (atom) {
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
    }
    double pad = 0.03 * (hi - lo);
    for (size_t b = 0; b < d->nb; b++)
        ymax = fmax(ymax, d->dens[b]);
    double cap = ymax > 0 ? 3 * ymax : INFINITY; /* a divergent law must not flatten the bars */
    double xcut = d->nb ? -INFINITY : lo + 0.01 * (hi - lo); /* nor, alone, its own bulk */
    for (size_t i = 0; i < d->nt; i++)
        if (isfinite(d->ty[i]) && d->ty[i] < cap && d->tx[i] >= xcut)
            ymax = fmax(ymax, d->ty[i]);
    char title[200];
    plain_text(d->title ? d->title : "", title, sizeof title);
    panel(f, lo - pad, hi + pad, 0, 1.35 * (ymax > 0 ? ymax : 1), 0, 0, d->xlabel,
          "density (continuous part)", title);
    if (d->nb)
        bars(f, "hist", d->lo, d->lo + d->w * (double)d->nb, (int)d->nb, NULL, d->dens, C_FILL,
             C_BLUE, "simulated");
    if (d->nt) {
        char lab[96];
        snprintf(lab, sizeof lab, "theory (%.40s)", d->law_name ? d->law_name : "law");
        curve(f, "theory", d->tx, d->ty, d->nt, C_RED, 1, lab);
    }
    if (atom) {
        char lab[96];
        if (isnan(d->atom_sim))
            snprintf(lab, sizeof lab, "atom at 0: mass %.4f", d->atom_theory);
        else if (isnan(d->atom_theory))
            snprintf(lab, sizeof lab, "atom at 0: mass %.4f", d->atom_sim);
        else
            snprintf(lab, sizeof lab, "atom at 0: mass %.4f (theory %.4f)", d->atom_sim,
                     d->atom_theory);
        if (!isnan(d->atom_sim))
            csv_row(f, "atom_sim", 0, NAN, d->atom_sim, NAN);
        if (!isnan(d->atom_theory))
            csv_row(f, "atom_theory", 0, NAN, d->atom_theory, NAN);
        FILE *keep = f->csv;
        f->csv = NULL;
        vline(f, "atom", 0, C_GREEN, 1, lab);
        f->csv = keep;
        PLFLT ax = 0, ay = f->ymax - 0.04 * (f->ymax - f->ymin);
        plcol0(C_GREEN);
        plschr(0, 1.2);
        plstring(1, &ax, &ay, "▼");
        plschr(0, 1.0);
    }
    legend(f, PL_POSITION_RIGHT | PL_POSITION_TOP);
}


/* ---- law selection: the ESD with every fitted candidate (docs/methods/laws.md) ------------ */

/* The bulk of the laws stage (lambda = s^2 / max(N, M) of the law_n values below the MP
 * outliers, above the null part) as a density on log-spaced bins (left, log-log: the candidates
 * differ most near 0) and linear bins (right), with the density of every fitted candidate from
 * report.json's law_codes / law_scales / law_shapes (the sparse candidate, a simulation, is not
 * drawn). */
static void draw_laws(fig *f, const fig_input *in)
{
    double *sv = NULL, *codes = NULL, *scales = NULL, *shapes = NULL;
    size_t k = cli_array(in->m, "singular_values", &sv);
    size_t nc = cli_array(in->m, "law_codes", &codes);
    cli_array(in->m, "law_scales", &scales);
    cli_array(in->m, "law_shapes", &shapes);
    double nb_d = cli_metric(in->m, "law_n"), n_null = cli_metric(in->m, "n_null");
    double big_dim = in->rows > in->cols ? in->rows : in->cols;
    enum { NBL = 40, NGL = 300 };
    double *lam = NULL, *gx = NULL, *gy = NULL;
    if (!(nb_d > 0) || !codes || !scales || !shapes || !sv)
        goto done;
    size_t nl = (size_t)nb_d, r = k - (isfinite(n_null) ? (size_t)n_null : 0);
    if (r < nl || r > k)
        goto done;
    size_t j = r - nl; /* the outliers set aside */
    lam = malloc(nl * sizeof(double));
    gx = malloc(NGL * sizeof(double));
    gy = malloc(NGL * sizeof(double));
    if (!lam || !gx || !gy)
        goto done;
    for (size_t i = 0; i < nl; i++)
        lam[i] = sv[j + i] * sv[j + i] / big_dim;
    double lo = INFINITY, hi = 0;
    for (size_t i = 0; i < nl; i++) {
        lo = fmin(lo, lam[i]);
        hi = fmax(hi, lam[i]);
    }
    if (!(lo > 0) || !(hi > lo))
        goto done;
    static const int cols[] = {C_RED, C_GREEN, C_ORANGE, C_PURPLE, C_SKY, C_GREY, C_BLUE, C_FG};
    char title[200], lab[96];
    for (int pnl = 0; pnl < 2; pnl++) {
        int lg = pnl == 0;
        double a = lg ? lo / 2 : 0, b = hi * 1.15;
        double cnt[NBL], x[NBL], y[NBL], ymax = 0, ymin = INFINITY;
        for (int bi = 0; bi < NBL; bi++) {
            double e0 = lg ? lo * pow(hi / lo, (double)bi / NBL) : lo + (hi - lo) * bi / NBL;
            double e1 = lg ? lo * pow(hi / lo, (double)(bi + 1) / NBL)
                           : lo + (hi - lo) * (bi + 1) / NBL;
            cnt[bi] = 0;
            for (size_t i = 0; i < nl; i++)
                cnt[bi] += lam[i] >= e0 && (lam[i] < e1 || (bi == NBL - 1 && lam[i] <= e1));
            x[bi] = lg ? sqrt(e0 * e1) : 0.5 * (e0 + e1);
            y[bi] = cnt[bi] / ((double)nl * (e1 - e0));
            if (y[bi] > 0) {
                ymax = fmax(ymax, y[bi]);
                ymin = fmin(ymin, y[bi]);
            }
        }
        snprintf(title, sizeof title, "%s: bulk ESD and fitted laws%s", in->name,
                 lg ? " (log-log)" : "");
        panel(f, lg ? a : 0, b, lg ? ymin / 10 : 0, lg ? ymax * 10 : ymax * 1.4, lg, lg,
              "eigenvalue λ = σ²/max(N, M)", "density", title);
        points(f, lg ? "esd_logbins" : "esd", x, y, NBL, C_BLUE, "bulk ESD");
        for (size_t c = 0; c < nc; c++) {
            if (!isfinite(scales[c]) || codes[c] == RMTK_FITLAW_SPARSE)
                continue;
            rmtk_fitlaw_candidate cd;
            memset(&cd, 0, sizeof cd);
            cd.code = (int32_t)codes[c];
            cd.scale = scales[c];
            cd.shape = shapes[c];
            for (int g = 0; g < NGL; g++)
                gx[g] = lg ? a * pow(b / a, (double)g / (NGL - 1)) : b * (g + 0.5) / NGL;
            if (rmtk_fitlaw_density(&cd, (int64_t)big_dim - (int64_t)j, (int64_t)nl, 1.0, gx,
                                    NGL, gy) != RMTK_OK)
                continue;
            if (cd.code == RMTK_FITLAW_MP)
                snprintf(lab, sizeof lab, "MP");
            else if (cd.code == RMTK_FITLAW_MP_SEMICIRCLE)
                snprintf(lab, sizeof lab, "MP ⊞ semicircle, t = %.2g", cd.shape);
            else
                snprintf(lab, sizeof lab, "product of %d Wisharts", cd.code);
            char series[32];
            snprintf(series, sizeof series, "law_%d%s", cd.code, lg ? "_loggrid" : "");
            curve(f, series, gx, gy, NGL, cols[c % (sizeof cols / sizeof cols[0])],
                  codes[c] == cli_metric(in->m, "law_best") ? 1 : 2, lab);
        }
        legend(f, lg ? PL_POSITION_LEFT | PL_POSITION_BOTTOM
                     : PL_POSITION_RIGHT | PL_POSITION_TOP);
    }
done:
    free(sv);
    free(codes);
    free(scales);
    free(shapes);
    free(lam);
    free(gx);
    free(gy);
}

/* ---- the table of figures and the driver ---------------------------------------------------- */

typedef struct {
    const char *kind;    /* figure name: the --figure value and the file suffix */
    const char *require; /* the report.json array it needs */
    draw_fn draw;
    int nx, ny, width, height;
    const char *caption;
} fig_kind;

static const fig_kind kinds[] = {
    {"esd", "singular_values", draw_esd, 2, 1, 1200, 480,
     "Empirical spectral density of λ = σ² (left) and σ (right) with the fitted "
     "Marchenko–Pastur law, its bulk edge, the Tracy–Widom threshold and the outliers."},
    {"spacing", "unfolded_spacings", draw_spacing, 1, 1, 720, 480,
     "Unfolded nearest-neighbour spacings with the Wigner surmise, the exact GOE law, Poisson "
     "and the Brody fit."},
    {"ratio", "spacing_ratios", draw_ratio, 1, 1, 720, 480,
     "Spacing ratios r̃ with the GOE, GUE and Poisson surmises."},
    {"sigma2", "unfolded_spacings", draw_sigma2, 2, 1, 1200, 480,
     "Number variance Σ²(L) and spectral rigidity Δ₃(L) against GOE and Poisson."},
    {"vectors", "pt_p_left", draw_vectors, 2, 2, 1200, 900,
     "Porter–Thomas: KS p-values and IPRs of the singular vectors against the index, and the "
     "components of the top and a bulk left vector against the Gaussian. The grey line is the "
     "smallest p-value its Monte-Carlo null allows: 1/(B+1) for exact_mc (1/B for staats and "
     "paper, whose p is 0 below), B = parameters.vectors.nsamples null vectors (--pt-samples); "
     "exact_kolmogorov has no such floor."},
    {"tails", "hill_alpha", draw_tails, 2, 1, 1200, 480,
     "Hill plot and the log-log CCDF of λ with the power-law fit and x_min."},
    {"laws", "law_codes", draw_laws, 2, 1, 1200, 480,
     "The bulk ESD (outliers and null part set aside) with every fitted candidate law: MP, "
     "products of Wishart matrices, MP ⊞ semicircle (best law solid); log-log near zero, where "
     "they differ most (docs/methods/laws.md)."},
    {"xmin", "ks_xmin", draw_xmin_scan, 2, 1, 1200, 480,
     "The x_min scan of the power-law fit (WeightWatcher's D and α against x_min): the KS "
     "distance and the exponent at every candidate, the chosen csn_xmin and WeightWatcher's."},
};

static const fig_kind trends_kind = {
    "trends", NULL, draw_trends, 3, 2, 1200, 760,
    "Per-layer statistics against the block index (the layer number in the tensor names), one "
    "line per module type (attn_q, mlp_down, ...); a model whose names carry no block index is "
    "drawn against the position in the report (file order). Values whose status "
    "is not ok (fewer than 50 levels or tail values, a capped or failed Marchenko–Pastur fit, a "
    "flat spectrum) are left out."};

const char *cli_figure_caption(const char *kind)
{
    if (!strcmp(kind, trends_kind.kind))
        return trends_kind.caption;
    for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
        if (!strcmp(kind, kinds[i].kind))
            return kinds[i].caption;
    return "";
}

const char *const cli_figure_kinds[] = {"esd", "spacing", "ratio", "sigma2", "vectors", "tails",
                                         "laws", "xmin",  "trends", NULL};

static void palette(void)
{
    /* the fixed colours, then NMODC for the series of the trends (Okabe-Ito, then Tol's muted) */
    static const PLINT r[C_NCOL + NMODC] = {255, 0,   0,   213, 0,  230, 204, 86, 140, 198, 215,
                                            0,   213, 0,   230, 204, 86, 0,   136, 68, 153, 51,
                                            119};
    static const PLINT g[C_NCOL + NMODC] = {255, 0,   114, 94,  158, 159, 121, 180, 140, 219, 215,
                                            114, 94,  158, 159, 121, 180, 0,   34,  170, 153, 34,
                                            119};
    static const PLINT b[C_NCOL + NMODC] = {255, 0,   178, 0,   115, 0,  167, 233, 140, 239, 215,
                                            178, 0,   115, 0,   167, 233, 0,   85,  153, 51,  136,
                                            119};
    plscmap0n(C_NCOL + NMODC);
    plscmap0(r, g, b, C_NCOL + NMODC);
}

static int plerr;

static void on_abort(PLCHAR_VECTOR msg)
{
    (void)msg;
    plerr = 1;
}

/* Draws one figure in one format; returns 0 when the file was written. */
static int render(const fig_kind *fk, const fig_input *in, const char *path, const char *fmt,
                  FILE *csv)
{
    char dev[16], geom[32];
    /* SVG by PLplot's own svg driver: text as <text> elements (cairo's svgcairo writes every
     * glyph as an outline path, ~200 KB a figure); PNG and PDF by cairo */
    snprintf(dev, sizeof dev, "%s%s", fmt, strcmp(fmt, "svg") ? "cairo" : "");
    snprintf(geom, sizeof geom, "%dx%d", fk->width, fk->height);
    fflush(stdout);
    fflush(stderr);
    int devnull = open("/dev/null", O_WRONLY), save1 = dup(1), save2 = dup(2);
    if (devnull >= 0) {
        dup2(devnull, 1);
        dup2(devnull, 2);
    }
    plerr = 0;
    plsabort(on_abort);
    plsdev(dev);
    plsfnam(path);
    plsetopt("geometry", geom);
    palette();
    plssub(fk->nx, fk->ny);
    plinit();
    plfontld(1);
    plfont(1);
    fig f;
    memset(&f, 0, sizeof f);
    f.csv = csv;
    f.nx = fk->nx;
    fk->draw(&f, in);
    plend();
    fflush(stdout);
    fflush(stderr);
    if (save1 >= 0) {
        dup2(save1, 1);
        close(save1);
    }
    if (save2 >= 0) {
        dup2(save2, 2);
        close(save2);
    }
    if (devnull >= 0)
        close(devnull);
    return plerr || access(path, F_OK) != 0;
}

/* cairo names the SVG's group "surface<N>" with a process-wide counter; make it "surface1" so
 * that a figure is byte-identical whichever process draws it (rmtk plot vs rmtk analyze). */
static int svg_normalise(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return 1;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf)
        return 1;
    int st = 0;
    buf[n] = '\0'; /* an SVG holds no NUL */
    char *hit = strstr(buf, "id=\"surface");
    if (hit) {
        char *digits = hit + 11, *end = digits;
        while (end < buf + n && *end >= '0' && *end <= '9')
            end++;
        if (end > digits && (f = fopen(path, "wb")) != NULL) {
            fwrite(buf, 1, (size_t)(digits - buf), f);
            fputc('1', f);
            fwrite(end, 1, (size_t)(buf + n - end), f);
            st = fclose(f) != 0;
        }
    }
    free(buf);
    return st;
}

static int format_ok(const char *fmt)
{
    return !strcmp(fmt, "svg") || !strcmp(fmt, "png") || !strcmp(fmt, "pdf");
}

/* All formats of one figure, and its CSV. Each file is drawn under a temporary name
 * (".STEM.EXT.tmpPID" beside it) and renamed into place when complete, so a reader never sees
 * half a figure; on failure the temporary files are removed. */
static int one_figure(const fig_kind *fk, const fig_input *in, const char *pstem,
                      const char *formats, size_t *nwritten)
{
    char path[4096], tmp[4200], csvtmp[4200], fmts[64];
    const char *slash = strrchr(pstem, '/');
    int dirlen = slash ? (int)(slash - pstem + 1) : 0;
    long pid = (long)getpid();
    snprintf(csvtmp, sizeof csvtmp, "%.*s.%s.csv.tmp%ld", dirlen, pstem, pstem + dirlen, pid);
    FILE *csv = fopen(csvtmp, "w");
    if (!csv) {
        cli_error("%s: cannot write", csvtmp);
        return RMTK_ERR_IO;
    }
    fprintf(csv, "series,x,x_hi,y,count\n");
    snprintf(fmts, sizeof fmts, "%s", formats);
    char *save = NULL;
    int st = RMTK_OK;
    for (char *fmt = strtok_r(fmts, ",", &save); fmt && !st; fmt = strtok_r(NULL, ",", &save)) {
        snprintf(path, sizeof path, "%s.%s", pstem, fmt);
        snprintf(tmp, sizeof tmp, "%.*s.%s.%s.tmp%ld", dirlen, pstem, pstem + dirlen, fmt, pid);
        if (render(fk, in, tmp, fmt, csv) || (!strcmp(fmt, "svg") && (svg_normalise(tmp) || cli_svg_compact(tmp)))) {
            cli_error("%s: PLplot could not draw the figure", path);
            st = RMTK_ERR_IO;
        }
        if (csv) { /* the data are written while drawing the first format */
            if (fclose(csv) != 0)
                st = RMTK_ERR_IO;
            csv = NULL;
            snprintf(path, sizeof path, "%s.csv", pstem);
            if (!st && rename(csvtmp, path) != 0) {
                cli_error("%s: cannot write", path);
                st = RMTK_ERR_IO;
            }
            snprintf(path, sizeof path, "%s.%s", pstem, fmt);
        }
        if (!st && rename(tmp, path) != 0) {
            cli_error("%s: cannot write", path);
            st = RMTK_ERR_IO;
        }
        remove(tmp); /* nothing left when the rename happened or failed */
        if (!st)
            (*nwritten)++;
    }
    if (csv)
        fclose(csv);
    remove(csvtmp);
    return st;
}

/* ---- which figures, and drawing them in parallel -------------------------------------------- */

int cli_parse_figures(const char *s, int *level)
{
    static const char *const names[] = {"auto", "none", "summary", "all"};
    for (int i = 0; i < 4; i++)
        if (!strcmp(s, names[i])) {
            *level = i;
            return RMTK_OK;
        }
    cli_error("--figures: '%s' is not none, summary, all or auto", s);
    return RMTK_ERR_ARG;
}

int cli_figures_level(const cJSON *report, const cli_plot_opts *o)
{
    int level = o ? o->level : CLI_FIGURES_AUTO;
    if (level != CLI_FIGURES_AUTO)
        return level;
    if (o && o->layer)
        return CLI_FIGURES_ALL;
    const cJSON *m;
    size_t nok = 0;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(report, "matrices")) nok +=
        (size_t)cli_matrix_ok(m);
    return nok <= CLI_FIGURES_AUTO_MAX ? CLI_FIGURES_ALL : CLI_FIGURES_SUMMARY;
}

typedef struct {
    const fig_kind *kind;
    const cJSON *m; /* NULL: the model figure */
    size_t idx;     /* the matrix's index in the report */
} plot_job;

static int run_job(const cJSON *report, const plot_job *jb, const char *dir, const char *formats,
                   double alpha, size_t *nwritten)
{
    char stem[128], pstem[4096];
    if (!jb->m) {
        fig_input in = {report, NULL, "model", 0, 0, alpha, "model", NULL};
        cli_figure_stem((size_t)-1, "model", jb->kind->kind, stem, sizeof stem);
        snprintf(pstem, sizeof pstem, "%s/%s", dir, stem);
        return one_figure(jb->kind, &in, pstem, formats, nwritten);
    }
    const char *name = cli_json_str(jb->m, "name");
    /* titles show the last 28 characters of long names (their informative end) */
    char esc[200], shown[64];
    const char *nm = name ? name : "?";
    size_t len = strlen(nm);
    if (len > 28) {
        const char *tail = nm + len - 27;
        while ((*tail & 0xC0) == 0x80) /* not inside a UTF-8 character */
            tail++;
        snprintf(shown, sizeof shown, "…%s", tail);
        nm = shown;
    }
    plain_text(nm, esc, sizeof esc);
    fig_input in = {report, jb->m, esc, cli_json_num(jb->m, "rows"), cli_json_num(jb->m, "cols"),
                    alpha, name, NULL};
    cli_figure_stem(jb->idx, name, jb->kind->kind, stem, sizeof stem);
    snprintf(pstem, sizeof pstem, "%s/%s", dir, stem);
    return one_figure(jb->kind, &in, pstem, formats, nwritten);
}

/* The jobs split over `workers` processes (job j to worker j mod workers). PLplot keeps its
 * state in globals (the current stream, the abort handler) and a figure redirects the process's
 * stdout and stderr while it is drawn, so figures cannot be drawn by threads of one process;
 * forked workers share nothing but the parsed report (copy-on-write) and report their count of
 * files through a pipe. */
static int run_jobs(const cJSON *report, const plot_job *jobs, size_t njobs, const char *dir,
                    const char *formats, double alpha, int workers, size_t *nwritten)
{
    if (workers > (int)njobs)
        workers = (int)njobs;
    if (workers <= 1) {
        int st = RMTK_OK;
        for (size_t j = 0; j < njobs && !st; j++)
            st = run_job(report, &jobs[j], dir, formats, alpha, nwritten);
        return st;
    }
    pid_t pids[256];
    int fds[256];
    if (workers > 256)
        workers = 256;
    int started = 0, st = RMTK_OK;
    fflush(NULL);
    for (int w = 0; w < workers; w++) {
        int p[2];
        if (pipe(p) != 0)
            break;
        pid_t pid = fork();
        if (pid < 0) {
            close(p[0]);
            close(p[1]);
            break;
        }
        if (pid == 0) {
            close(p[0]);
            size_t n = 0;
            int cst = RMTK_OK;
            for (size_t j = (size_t)w; j < njobs && !cst; j += (size_t)workers)
                cst = run_job(report, &jobs[j], dir, formats, alpha, &n);
            ssize_t wr = write(p[1], &n, sizeof n);
            (void)wr;
            close(p[1]);
            fflush(NULL);
            _exit(cst & 0xff);
        }
        close(p[1]);
        pids[started] = pid;
        fds[started++] = p[0];
    }
    /* jobs of workers that could not be started are drawn here */
    for (int w = started; w < workers && !st; w++)
        for (size_t j = (size_t)w; j < njobs && !st; j += (size_t)workers)
            st = run_job(report, &jobs[j], dir, formats, alpha, nwritten);
    for (int w = 0; w < started; w++) {
        size_t n = 0;
        if (read(fds[w], &n, sizeof n) == (ssize_t)sizeof n)
            *nwritten += n;
        close(fds[w]);
        int status = 0;
        while (waitpid(pids[w], &status, 0) < 0 && errno == EINTR)
            ;
        int cst = WIFEXITED(status) ? WEXITSTATUS(status) : RMTK_ERR_IO;
        if (cst && !st)
            st = cst;
    }
    return st;
}

static int online_cpus(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int cli_plot_report(const cJSON *report, const char *dir, const cli_plot_opts *o,
                    size_t *nwritten)
{
    const char *formats = o && o->formats ? o->formats : "svg,png";
    const char *want = o ? o->figure : NULL;
    const char *layer = o ? o->layer : NULL;
    char fmts[64];
    snprintf(fmts, sizeof fmts, "%s", formats);
    char *save = NULL;
    for (char *fmt = strtok_r(fmts, ",", &save); fmt; fmt = strtok_r(NULL, ",", &save))
        if (!format_ok(fmt)) {
            cli_error("--format: '%s' is not svg, png or pdf", fmt);
            return RMTK_ERR_ARG;
        }
    if (want) {
        int known = 0;
        for (size_t i = 0; cli_figure_kinds[i]; i++)
            known |= !strcmp(want, cli_figure_kinds[i]);
        if (!known) {
            cli_error("--figure: '%s' is not esd, spacing, ratio, sigma2, vectors, tails, laws or "
                      "trends",
                      want);
            return RMTK_ERR_ARG;
        }
    }
    *nwritten = 0;
    int level = cli_figures_level(report, o);
    double alpha = cli_json_significance(report);
    const cJSON *mats = cJSON_GetObjectItemCaseSensitive(report, "matrices"), *m;
    size_t nkinds = sizeof kinds / sizeof kinds[0];
    size_t cap = (size_t)cJSON_GetArraySize(mats) * nkinds + 1, njobs = 0;
    plot_job *jobs = malloc(cap * sizeof *jobs);
    if (!jobs)
        return RMTK_ERR_NOMEM;
    size_t idx = 0, nmatch = 0, nok = 0;
    if (!layer && level != CLI_FIGURES_NONE && (!want || !strcmp(want, "trends"))) {
        cJSON_ArrayForEach(m, mats) nok += (size_t)cli_matrix_ok(m);
        if (nok) /* first: the summary's figure is ready early */
            jobs[njobs++] = (plot_job){&trends_kind, NULL, (size_t)-1};
    }
    cJSON_ArrayForEach(m, mats)
    {
        size_t i = idx++;
        if (!cli_matrix_ok(m))
            continue;
        const char *name = cli_json_str(m, "name");
        if (layer && (!name || strcmp(name, layer) != 0))
            continue;
        nmatch++;
        if (level != CLI_FIGURES_ALL)
            continue;
        for (size_t k = 0; k < nkinds; k++) {
            if (want && strcmp(want, kinds[k].kind) != 0)
                continue;
            double *x;
            size_t n = cli_array(m, kinds[k].require, &x);
            free(x);
            /* figures need enough values to mean something (laws: its array lists the fitted
             * candidates, the bulk has >= 50 values by then) */
            if (n >= 10 || (kinds[k].draw == draw_laws && n > 0))
                jobs[njobs++] = (plot_job){&kinds[k], m, i};
        }
    }
    int st = RMTK_OK;
    if (layer && !nmatch) {
        cli_error("--layer: no analysed matrix named '%s' in the report", layer);
        st = RMTK_ERR_NOTFOUND;
    } else {
        int workers = o && o->threads > 0 ? o->threads : online_cpus();
        st = run_jobs(report, jobs, njobs, dir, formats, alpha, workers, nwritten);
    }
    free(jobs);
    return st;
}

static const fig_kind density_kind = {"density", NULL, draw_density, 1, 1, 800, 520,
                                      "Simulated density against the limiting law."};

int cli_plot_density(const cli_density_fig *d, const char *path_stem, const char *formats)
{
    char fmts[64];
    snprintf(fmts, sizeof fmts, "%s", formats ? formats : "svg,png");
    char *save = NULL;
    for (char *fmt = strtok_r(fmts, ",", &save); fmt; fmt = strtok_r(NULL, ",", &save))
        if (!format_ok(fmt)) {
            cli_error("--format: '%s' is not svg, png or pdf", fmt);
            return RMTK_ERR_ARG;
        }
    fig_input in = {NULL, NULL, "", 0, 0, 0.05, "density", d};
    size_t n = 0;
    return one_figure(&density_kind, &in, path_stem, formats ? formats : "svg,png", &n);
}
