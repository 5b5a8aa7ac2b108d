/*
 * cmd-analyze.c: `rmtk analyze FILE... --out DIR`. Opens each checkpoint, runs the analysis,
 * writes DIR/summary.csv and DIR/report.json, then reads report.json back and draws
 * DIR/figures/ and DIR/report.html from it with the code of `rmtk plot` (one code path: the
 * figures come from the saved report, never from the in-memory analysis). Prints a per-layer
 * table with a one-line verdict on stdout and progress on stderr: a bar with ETA and the current
 * tensor when stderr is a terminal, otherwise a plain line at every 10 % of the matrices (every
 * matrix with --progress). Exit code: the library status.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk analyze FILE... --out DIR [options]\n"
            "\n"
            "Analyse every weight matrix of the checkpoints (safetensors file, sharded index or\n"
            "directory, .npy, .npz, GGUF, PyTorch torch.save .pt/.pth/.bin/.ckpt or its\n"
            "pytorch_model.bin.index.json, TensorFlow.js model.json or weights manifest, ONNX\n"
            ".onnx, Keras .h5/.hdf5/.keras) and print a table with a verdict per layer. Writes\n"
            "into DIR:\n"
            "  summary.csv        one row per matrix (skipped tensors included): its file,\n"
            "                     verdict, looks_random and every statistic\n"
            "  experts.csv        mixture-of-experts models: per block and module, the\n"
            "                     median and spread of each statistic across the experts\n"
            "  report.json        everything, with the singular values\n"
            "  model_summary.csv  mean and median of every column over the model and per\n"
            "                     module (group,key,n,mean,median; also in report.json)\n"
            "  report.html        the summary page: verdict counts, the trends by block and\n"
            "                     module, a sortable table grouped by block (with thumbnails)\n"
            "  layers/            NNN-LAYER.html: one page per matrix, its figures and numbers\n"
            "  figures/           NNN-LAYER-KIND.svg/.png (--format) and .csv (the plotted data)\n"
            "  rmtk-manifest.txt  the list of these files\n"
            "DIR is checked before any work. rmtk replaces only the files of its previous run\n"
            "(those its manifest lists), all at once: other files in DIR are left alone.\n"
            "Under mpirun (mpirun -np N rmtk analyze ...; docs/mpi.md) rank 0 hands the\n"
            "matrices to the other ranks, largest first, and writes the same report.\n"
            "\n"
            "options:\n"
            "  --out DIR          output directory (created if missing)\n"
            "  --stats LIST       comma-separated statistics from basic, mp, levels, vectors,\n"
            "                     null, alpha (WeightWatcher's alpha, alpha_weighted,\n"
            "                     log_alpha_norm: cheap), tails (alpha plus the CSN fit with\n"
            "                     its bootstrap, LR tests, Hill: costly), laws, all\n"
            "                     (default: %s)\n"
            "  --unfold U         levels: gauss:W (Gaussian broadening, window W, the paper's\n"
            "                     'drop'; default gauss:15), gauss-replicate:W, poly:D (degree-D\n"
            "                     polynomial fit of the staircase) or mp (fitted MP law)\n"
            "  --sigma2-mc        levels: the paper's Monte-Carlo number variance (default exact)\n"
            "  --conv MODE        convolution kernels (4-D, and 3-D Conv1d): flatten (out,\n"
            "                     in*kh*kw; default), slices (one (out, in) per position) or\n"
            "                     pooled (4-D: WeightWatcher's pooled ESD of all positions;\n"
            "                     basic, alpha, tails only)\n"
            "  --fused MODE       fused q/k/v, gate/up and recurrent gates: split (analyse the\n"
            "                     parts; default), keep (the fused matrix) or both\n"
            "  --stack3d MODE     3-D tensors of unknown meaning: auto (Conv1d when the name\n"
            "                     or architecture says so; default), stack or conv\n"
            "  --skip-embeddings  skip embedding tables (analysed by default)\n"
            "  --keep-tied        analyse tied weights (lm_head = embed_tokens) twice\n"
            "  --min-side N       skip matrices with a side below N (default 10)\n"
            "  --label NAME       the source label of the next input file's rows (repeat once\n"
            "                     per file, in order; default with several files: derived\n"
            "                     from each path; summary.csv/report.json column source)\n"
            "  --include REGEX    only tensors whose name matches (POSIX extended regex)\n"
            "  --exclude REGEX    skip tensors whose name matches\n"
            "  --base MODEL       with a PEFT LoRA adapter: also analyse each merged weight\n"
            "                     W + Delta W (\"<module>.lora_merged\"), W read from MODEL by\n"
            "                     the module's name, and report ||Delta W||^2 / ||W||^2\n"
            "                     (delta_fro2_frac); the adapter's own updates are analysed\n"
            "                     from their factors (\"<module>.lora_delta\") in any case\n"
            "  --exact            always use dgesdd (no Gram route)\n"
            "  --gram-rtol X      Gram route kept when its error is below X of the level\n"
            "                     spacing and of each value (default 1e-3)\n"
            "  --max-memory B     cap on the workers' buffers in bytes (suffix K, M, G: powers\n"
            "                     of 1024): fewer workers when the largest matrices need more\n"
            "  --threads N        worker threads, one matrix each (default: all cores);\n"
            "                     results do not depend on it\n"
            "  --seed N           seed of randomised statistics (default 1)\n"
            "  --significance P   significance level of the tests (default 0.05; recorded\n"
            "                     as parameters.significance). --alpha P is an alias kept for\n"
            "                     old scripts; in the report \"alpha\" is only the power-law\n"
            "                     exponent\n"
            "  --fix-fingers F    alpha: WeightWatcher's fix_fingers, xmin_peak or clip_xmax\n"
            "                     (default none; docs/methods/tails.md)\n"
            "  --ww-xmax K        alpha: WeightWatcher's integer xmax, drop the K largest\n"
            "                     eigenvalues before the fit (default 0; not with --fix-fingers)\n"
            "  --fit F            alpha: also WeightWatcher's truncated power law, tpl or e_tpl\n"
            "                     (fit='TPL'/'E_TPL'; tpl_* columns, O(n^2) per matrix; default\n"
            "                     pl = none)\n"
            "  --multitest M      control of the tests across the matrices of a model:\n"
            "                     bh (Benjamini-Hochberg false discovery rate; default),\n"
            "                     holm (family-wise error) or none (each matrix alone)\n"
            "  --bootstrap R      replicas of the power-law goodness-of-fit test (tails;\n"
            "                     default 1000, 0 = no p-value)\n"
            "  --pt-method M      Porter-Thomas test (vectors): exact_mc (default), kolmogorov,\n"
            "                     paper (the authors' Monte-Carlo statistic), staats\n"
            "  --pt-samples N     Monte-Carlo null size of the PT test (default: by method)\n"
            "  --replicas R       null model: R element shuffles + R Gaussians (default 5)\n"
            "  --no-plots         no figures, no report.html, no layers/\n"
            "  --figures F        none, summary (the model's trends only), all, or auto (the\n"
            "                     default: all up to 64 analysed matrices, summary beyond);\n"
            "                     drawn by --threads worker processes\n"
            "  --wide             the table with full names (default: kept to the terminal's\n"
            "                     width, $COLUMNS or 100 when not a terminal)\n"
            "  --format LIST      figure formats, comma-separated svg, png, pdf (default svg,png)\n"
            "  --json             print report.json on stdout (no table; --out then optional)\n"
            "  --progress         a progress line per matrix when stderr is not a terminal\n"
            "                     (default: one every 10 %%)\n"
            "  --quiet            no table, no progress\n"
            "  --help             this text\n",
            "basic,mp,levels,alpha");
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Quantile q of sorted x[0..n) by linear interpolation (numpy's default, type 7). */
static double quantile(const double *x, size_t n, double q)
{
    double h = q * (double)(n - 1);
    size_t lo = (size_t)h;
    return lo + 1 < n ? x[lo] + (h - (double)lo) * (x[lo + 1] - x[lo]) : x[lo];
}

/* experts.csv, for a model with experts: one row per (block, module, statistic) over the
 * analysed experts of that block and module: the count of finite values, median, quartiles
 * (numpy's linear interpolation), min and max. Written only when some matrix has an expert.
 * Returns 0, or -1 with errno set. */
static int write_experts_csv(const rmtk_analysis *an, const char *path)
{
    size_t n = rmtk_analysis_count(an), nc = rmtk_analysis_column_count(an);
    int any = 0;
    for (size_t i = 0; i < n && !any; i++) {
        rmtk_analysis_row r;
        any = rmtk_analysis_row_get(an, i, &r) == RMTK_OK && r.expert >= 0;
    }
    if (!any)
        return 0;
    FILE *f = fopen(path, "w");
    double *x = malloc((n ? n : 1) * sizeof *x);
    unsigned char *done = calloc(n ? n : 1, 1);
    if (!f || !x || !done) {
        if (f)
            fclose(f);
        free(x);
        free(done);
        if (!errno)
            errno = ENOMEM;
        return -1;
    }
    fprintf(f, "block,module,statistic,experts,median,q25,q75,min,max\n");
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        if (done[i] || rmtk_analysis_row_get(an, i, &r) || r.expert < 0 || strcmp(r.status, "ok"))
            continue;
        /* the group of (block, module): every later ok expert row with the same pair */
        int32_t block = r.block;
        const char *module = r.module;
        for (size_t c = 0; c < nc; c++) {
            size_t k = 0;
            for (size_t j = i; j < n; j++) {
                rmtk_analysis_row q;
                if (rmtk_analysis_row_get(an, j, &q) || q.expert < 0 || q.block != block ||
                    strcmp(q.module, module) || strcmp(q.status, "ok"))
                    continue;
                done[j] = 1;
                double v = rmtk_analysis_value(an, j, c);
                if (isfinite(v))
                    x[k++] = v;
            }
            if (!k)
                continue;
            qsort(x, k, sizeof *x, cmp_double);
            fprintf(f, "%d,%s,%s,%zu,%.17g,%.17g,%.17g,%.17g,%.17g\n", block, module,
                    rmtk_analysis_column_name(an, c), k, quantile(x, k, 0.5),
                    quantile(x, k, 0.25), quantile(x, k, 0.75), x[0], x[k - 1]);
        }
    }
    free(x);
    free(done);
    return fclose(f) == 0 ? 0 : -1;
}

/* --unfold gauss:W | gauss-replicate:W | poly:D | mp */
static int parse_unfold(const char *s, rmtk_unfold_params *u)
{
    int64_t n;
    const char *colon = strchr(s, ':');
    if (strcmp(s, "mp") == 0) {
        u->method = RMTK_UNFOLD_CDF;
        u->cdf = NULL; /* the analysis unfolds through its fitted MP law */
        return RMTK_OK;
    }
    if (colon && (strncmp(s, "gauss:", 6) == 0 || strncmp(s, "gauss-replicate:", 16) == 0)) {
        if (cli_parse_i64("--unfold", colon + 1, 1, 100000, &n))
            return RMTK_ERR_ARG;
        u->method = RMTK_UNFOLD_GAUSS;
        u->gauss_edge = s[5] == '-' ? RMTK_GAUSS_REPLICATE : RMTK_GAUSS_DROP;
        u->window = (uint32_t)n;
        return RMTK_OK;
    }
    if (colon && strncmp(s, "poly:", 5) == 0) {
        if (cli_parse_i64("--unfold", colon + 1, 1, 40, &n))
            return RMTK_ERR_ARG;
        u->method = RMTK_UNFOLD_POLY;
        u->poly_degree = (uint32_t)n;
        return RMTK_OK;
    }
    cli_error("--unfold: '%s' is not gauss:W, gauss-replicate:W, poly:D or mp", s);
    return RMTK_ERR_ARG;
}

typedef struct {
    struct timespec start;
    int tty;   /* stderr is a terminal: redraw a bar */
    int lines; /* not a terminal: 1 = a line per matrix, 10 = a line per 10 %, 0 = nothing */
    size_t last_step;
} progress_state;

static double elapsed(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void progress(void *user, size_t done, size_t total, const char *name)
{
    char nb[1024];
    progress_state *ps = user;
    double t = elapsed(&ps->start), eta = done ? t / (double)done * (double)(total - done) : 0;
    if (!ps->tty) {
        if (!ps->lines || !total)
            return;
        size_t step = ps->lines == 1 ? done : done * 10 / total;
        if (step == ps->last_step && done != total)
            return;
        ps->last_step = step;
        fprintf(stderr, "rmtk: analysed %zu/%zu matrices (%.0f%%), %.1f s, ETA %.0f s, %s\n",
                done, total, 100.0 * (double)done / (double)total, t, eta,
                cli_safe(name, nb, sizeof nb));
        return;
    }
    int width = 24, fill = (int)((double)width * (double)done / (double)total);
    char bar[32];
    for (int i = 0; i < width; i++)
        bar[i] = i < fill ? '#' : '.';
    bar[width] = '\0';
    fprintf(stderr, "\r\033[K[%s] %zu/%zu  %.0fs  ETA %.0fs  %.40s", bar, done, total, t, eta,
            cli_safe(name, nb, sizeof nb));
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

static void print_number(double v, int width, int prec, int integer)
{
    if (isnan(v))
        printf(" %*s", width, "-");
    else if (integer && v == floor(v) && fabs(v) < 1e15)
        printf(" %*lld", width, (long long)v); /* a count: never 1.2e+04 */
    else
        printf(" %*.*g", width, prec, v);
}

typedef struct {
    const rmtk_analysis *a;
    size_t i;
} row_ctx;

static double row_getter(const void *ctx, const char *column)
{
    const row_ctx *r = ctx;
    size_t c;
    if (rmtk_analysis_column_find(r->a, column, &c) != RMTK_OK)
        return NAN;
    return rmtk_analysis_value(r->a, r->i, c);
}

enum { TABLE_W = 10 };

/* One legend line: PREFIX, then the words of DESC wrapped to WIDTH (0: one line), continuation
 * lines indented to the descriptions' column. */
static void print_legend_line(const char *prefix, const char *desc, size_t width)
{
    enum { INDENT = 15 };
    fputs(prefix, stdout);
    size_t used = cli_utf8_cols(prefix);
    int line_start = 0;
    while (*desc) {
        size_t w = strcspn(desc, " "), cols = 0;
        for (size_t i = 0; i < w; i++)
            cols += ((unsigned char)desc[i] & 0xC0) != 0x80;
        if (width && !line_start && used > INDENT && used + 1 + cols > width) {
            printf("\n%*s", INDENT, "");
            used = INDENT;
            line_start = 1;
        }
        if (!line_start) {
            putchar(' ');
            used++;
        }
        fwrite(desc, 1, w, stdout);
        used += cols;
        line_start = 0;
        desc += w;
        while (*desc == ' ')
            desc++;
    }
    putchar('\n');
}

/* Under the table: each heading with its summary.csv name (the name in report.json and
 * report.html) and the library's one-line description, kept to the table's width. */
static void print_legend(const int *have, size_t width)
{
    char prefix[128];
    printf("\ncolumns (heading = summary.csv/report.json name: meaning; docs/report.md):\n");
    for (size_t c = 0; c < cli_ntable_cols; c++) {
        if (!have[c])
            continue;
        const char *key = cli_table_cols[c].key, *desc = rmtk_report_key_describe(key);
        if (strcmp(cli_table_cols[c].head, key) != 0)
            snprintf(prefix, sizeof prefix, "  %-10s = %s:", cli_table_cols[c].head, key);
        else
            snprintf(prefix, sizeof prefix, "  %-10s :", key);
        print_legend_line(prefix, desc ? desc : "", width);
    }
    print_legend_line("  -          :", "not computed, or its status (mp_fit_status, "
                      "levels_status, tails_status) is not ok", width);
    print_legend_line("  verdict    :", "summary.csv verdict, with looks_random 1 (random), 0 "
                      "(structure) or empty (undetermined)", width);
}

/* The verdict from column `at` of a line `width` wide: words wrapped into the space left,
 * continuation lines indented to `at`; with less than 24 columns left it starts on the next line,
 * indented by 4. width 0: on one line (--wide). */
static void print_verdict(const char *v, size_t at, size_t width)
{
    size_t avail = width > at ? width - at : 0, indent = at;
    if (!width || !*v) {
        printf("%s%s\n", *v ? "  " : "", v);
        return;
    }
    if (avail < 24) {
        indent = 4;
        avail = width > 4 ? width - 4 : 20;
        printf("\n%*s", (int)indent, "");
    } else {
        printf("  ");
    }
    size_t used = 0;
    while (*v) {
        size_t w = strcspn(v, " ");
        size_t cols = 0;
        for (size_t i = 0; i < w; i++)
            cols += ((unsigned char)v[i] & 0xC0) != 0x80;
        if (used && used + 1 + cols > avail) {
            printf("\n%*s", (int)indent, "");
            used = 0;
        }
        if (used) {
            putchar(' ');
            used++;
        }
        fwrite(v, 1, w, stdout);
        used += cols;
        v += w;
        while (*v == ' ')
            v++;
    }
    putchar('\n');
}

/* The model summary under the table: WeightWatcher's get_summary() keys, mean (median) over the
 * matrices of the model and of each module (model_summary.csv has every column). Kept to WIDTH
 * (0: one block): the columns that do not fit beside the group names go to further blocks. */
static void print_model_summary(const rmtk_analysis *a, size_t width)
{
    static const char *const keys[] = {"log_norm",          "alpha",       "alpha_weighted",
                                       "log_alpha_norm",    "log_spectral_norm",
                                       "stable_rank",       "mp_softrank", "looks_random"};
    static const char *const heads[] = {"log_norm", "alpha",   "alpha_w", "log_a_norm",
                                        "log_spec", "st_rank", "softrank", "random"};
    enum { NK = sizeof keys / sizeof keys[0], CELL = 17, GMAX = 32 };
    size_t n = rmtk_analysis_summary_count(a);
    if (n == 0)
        return;
    /* the group column: as wide as the longest group name, at most GMAX (longer names keep
     * their end, where the module is) */
    size_t gw = 5;
    for (size_t i = 0; i < n; i++) {
        rmtk_model_summary_row r;
        char gb[256];
        if (!rmtk_analysis_summary_get(a, i, &r)) {
            size_t len = cli_utf8_cols(cli_safe(r.group, gb, sizeof gb));
            gw = len > gw ? len : gw;
        }
    }
    gw = gw > GMAX ? GMAX : gw;
    size_t lead = 2 + gw + 6, per = NK;
    if (width && width > lead + CELL + 1 && (width - lead) / (CELL + 1) < NK)
        per = (width - lead) / (CELL + 1);
    else if (width && width <= lead + CELL + 1)
        per = 1;
    printf("\nmodel summary: mean (median) per group; model_summary.csv has every column\n");
    for (size_t k0 = 0; k0 < NK; k0 += per) {
        size_t k1 = k0 + per < NK ? k0 + per : NK;
        if (k0)
            printf("\n");
        printf("  %-*s %5s", (int)gw, "group", "n"); /* indented: not a row of the layer table */
        for (size_t k = k0; k < k1; k++)
            printf(" %*s", CELL, heads[k]);
        printf("\n");
        const char *group = NULL;
        for (size_t i = 0; i < n; i++) {
            rmtk_model_summary_row r;
            if (rmtk_analysis_summary_get(a, i, &r) || r.group == group)
                continue;
            group = r.group;
            char gb[256];
            const char *g = cli_safe(r.group, gb, sizeof gb);
            size_t len = strlen(g);
            uint64_t nmat = 0;
            for (size_t j = i; j < n; j++) { /* n of the group: its matrices with a log_norm */
                rmtk_model_summary_row q;
                if (!rmtk_analysis_summary_get(a, j, &q) && q.group == group &&
                    !strcmp(q.key, "log_norm"))
                    nmat = q.n;
            }
            printf("  %-*.*s %5llu", (int)gw, (int)gw, len > gw ? g + len - gw : g,
                   (unsigned long long)nmat);
            for (size_t k = k0; k < k1; k++) {
                char cell[40] = "-";
                for (size_t j = i; j < n; j++) {
                    rmtk_model_summary_row q;
                    if (rmtk_analysis_summary_get(a, j, &q) || q.group != group)
                        break;
                    if (!strcmp(q.key, keys[k]) && q.n)
                        snprintf(cell, sizeof cell, "%.3g (%.3g)", q.mean, q.median);
                }
                printf(" %*s", CELL, cell);
            }
            printf("\n");
        }
    }
}

/* The per-layer table, kept to the terminal's width (term.c): long names shortened in the middle,
 * a name that would then print like another row's on its own line ("#I NAME") with "#I" in the
 * row; wide: full names, verdicts on one line. */
static void print_table(const rmtk_analysis *a, int wide)
{
    /* The columns shown are those of the statistics computed (all are in summary.csv). */
    /* A value its status column marks unusable (capped or failed fit, fewer levels or tail
     * values than the minimum, degenerate spectrum) shows as "-"; the verdict says why. */
    size_t idx[64];
    int have[64];
    size_t NC = cli_ntable_cols < 64 ? cli_ntable_cols : 64, nshow = 0;
    for (size_t c = 0; c < NC; c++) {
        have[c] = rmtk_analysis_column_find(a, cli_table_cols[c].key, &idx[c]) == RMTK_OK;
        nshow += (size_t)have[c];
    }
    size_t n = rmtk_analysis_count(a), nskip = 0, nerr = 0, nrow = 0, longest = 4;
    const char **names = calloc(n ? n : 1, sizeof *names);
    char **shown = calloc(n ? n : 1, sizeof *shown), **safe = calloc(n ? n : 1, sizeof *safe);
    int *own = calloc(n ? n : 1, sizeof *own);
    size_t *rowof = calloc(n ? n : 1, sizeof *rowof);
    if (!names || !shown || !safe || !own || !rowof)
        goto done;
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        rmtk_analysis_row_get(a, i, &r);
        if (strcmp(r.status, "skipped") == 0)
            continue;
        char nb[1024];
        if (!(safe[nrow] = strdup(cli_safe(r.name, nb, sizeof nb))))
            goto done;
        names[nrow] = safe[nrow];
        size_t cols = cli_utf8_cols(safe[nrow]);
        longest = cols > longest ? cols : longest;
        rowof[nrow++] = i;
    }
    /* name, shape (11), dtype (5), method (6), the statistics, two spaces, the verdict */
    size_t width = wide ? 0 : (size_t)cli_term_width();
    size_t fixed = 1 + 11 + 1 + 5 + 1 + 6 + nshow * (TABLE_W + 1) + 2;
    size_t name_w = longest;
    /* narrow: the number columns do not fit beside a name of 20 columns, so each matrix takes
     * a line for its name, shape, dtype and method, lines of `per` numbers indented by 2, and
     * its verdict indented by 4, every line within the width */
    int narrow = !wide && fixed + 20 > width;
    size_t per = narrow && width > 2 + TABLE_W + 1 ? (width - 2) / (TABLE_W + 1) : 1;
    if (narrow) {
        name_w = width > 26 + 20 ? width - 26 : 20;
        name_w = longest < name_w ? longest : name_w;
    } else if (!wide) {
        /* 30 for the verdict; at least 40 columns (the block index at the start of a name and
         * the module at its end survive the shortening) */
        size_t room = width > fixed + 30 ? width - fixed - 30 : 0;
        if (room < 40)
            room = 40;
        if (name_w > room)
            name_w = room;
    }
    if (cli_names_layout(names, nrow, name_w, shown, own))
        goto done;
    printf("%-*s %11s %5s %6s", (int)name_w, "name", "rows x cols", "dtype", "method");
    for (size_t c = 0, j = 0; c < NC; c++)
        if (have[c]) {
            if (narrow && j++ % per == 0)
                printf("\n ");
            printf(" %*s", TABLE_W, cli_table_cols[c].head);
        }
    printf(narrow ? "\n    verdict\n" : "  verdict\n");
    for (size_t k = 0; k < nrow; k++) {
        size_t i = rowof[k];
        rmtk_analysis_row r;
        rmtk_analysis_row_get(a, i, &r);
        char shape[32], cell[1100];
        snprintf(shape, sizeof shape, "%lldx%lld", (long long)r.rows, (long long)r.cols);
        char rb[4096];
        if (own[k]) {
            printf("#%zu %s\n", i, safe[k]);
            snprintf(cell, sizeof cell, "#%zu", i);
        } else {
            snprintf(cell, sizeof cell, "%s", shown[k]);
        }
        size_t pad = name_w > cli_utf8_cols(cell) ? name_w - cli_utf8_cols(cell) : 0;
        printf("%s%*s %11s %5s %6s", cell, (int)pad, "", shape,
               cli_safe(r.dtype, rb, sizeof rb), r.method);
        if (strcmp(r.status, "error") == 0) {
            nerr++;
            printf("  ERROR: %s\n", cli_safe(r.reason, rb, sizeof rb));
            continue;
        }
        row_ctx rc = {a, i};
        for (size_t c = 0, j = 0; c < NC; c++) {
            if (!have[c])
                continue;
            if (narrow && j++ % per == 0)
                printf("\n ");
            double v = cli_usable(row_getter, &rc, cli_table_cols[c].key);
            if (rmtk_analysis_column_is_status(a, idx[c]) && !isnan(v))
                printf(" %*s", TABLE_W, rmtk_stat_status_name((int)v));
            else
                print_number(v, TABLE_W, 4, rmtk_report_key_is_integer(cli_table_cols[c].key));
        }
        char verdict[512];
        rmtk_analysis_verdict(a, i, verdict, sizeof verdict, NULL);
        print_verdict(verdict, narrow ? width : name_w + fixed, width);
    }
    nskip = n - nrow;
    if (n > nskip)
        print_legend(have, width);
    if (nskip) {
        printf("\nskipped %zu tensor%s:\n", nskip, nskip == 1 ? "" : "s");
        size_t listed = 0;
        for (size_t i = 0; i < n; i++) {
            rmtk_analysis_row r;
            rmtk_analysis_row_get(a, i, &r);
            if (strcmp(r.status, "skipped") != 0)
                continue;
            char nb[1024], rb[4096];
            if (listed++ < 25)
                printf("  %-40s %s\n", cli_safe(r.name, nb, sizeof nb),
                       cli_safe(r.reason, rb, sizeof rb));
        }
        if (listed > 25)
            printf("  ... and %zu more (see report.json)\n", listed - 25);
    }
    if (nerr)
        printf("\n%zu matrix(es) failed (see above and report.json)\n", nerr);
done:
    for (size_t k = 0; k < nrow; k++) {
        free(safe ? safe[k] : NULL);
        free(shown ? shown[k] : NULL);
    }
    free(names);
    free(shown);
    free(safe);
    free(own);
    free(rowof);
}

/* A run that analysed no matrix is a failure, not an empty report: say why (every tensor
 * skipped, and the commonest reason with an example). RMTK_ERR_NOTFOUND, or RMTK_OK. */
static int check_analysed(const rmtk_analysis *a)
{
    enum { NK = 16 };
    size_t n = rmtk_analysis_count(a), done = 0, count[NK] = {0};
    const char *example[NK] = {0};
    for (size_t i = 0; i < n; i++) {
        rmtk_analysis_row r;
        if (rmtk_analysis_row_get(a, i, &r) != RMTK_OK)
            continue;
        if (strcmp(r.status, "skipped") != 0) {
            done++;
            continue;
        }
        int k = r.skip >= 0 && r.skip < NK ? r.skip : 0;
        if (!count[k]++)
            example[k] = r.reason;
    }
    if (done)
        return RMTK_OK;
    if (n == 0) {
        cli_error("analyze: no matrix analysed: the input holds no tensors");
        return RMTK_ERR_NOTFOUND;
    }
    int top = 0;
    for (int k = 1; k < NK; k++)
        if (count[k] > count[top])
            top = k;
    cli_error("analyze: no matrix analysed: all %zu tensor%s skipped; the commonest reason "
              "(%zu of %zu): %s, e.g. \"%s\"%s",
              n, n == 1 ? " was" : "s were", count[top], n, rmtk_skip_name(top),
              example[top] ? example[top] : "",
              top == RMTK_SKIP_SMALL ? " (--min-side lowers the minimum side)"
              : top == RMTK_SKIP_FILTER ? " (check --include/--exclude)"
                                        : "");
    return RMTK_ERR_NOTFOUND;
}

static size_t write_stdout(const void *buf, size_t n, void *user)
{
    (void)user;
    return fwrite(buf, 1, n, stdout);
}

/* Figures and report.html from the report.json just written: the code path of `rmtk plot`. */
static int draw_report(const char *out, const char *formats, int level, int threads, int tty,
                       size_t *nfig)
{
    char path[4200], figdir[4200];
    snprintf(path, sizeof path, "%s/report.json", out);
    snprintf(figdir, sizeof figdir, "%s/figures", out);
    int st;
    if (tty) {
        fprintf(stderr, "drawing figures and report.html ...");
        fflush(stderr);
    }
    cJSON *root = NULL;
    if ((st = cli_report_load(path, &root)))
        return st;
    cli_plot_opts o = {NULL, NULL, formats, level, threads};
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    st = cli_plot_report(root, figdir, &o, nfig);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (!st) {
        snprintf(path, sizeof path, "%s/report.html", out);
        st = cli_html_write(root, figdir, "../figures/", path);
    }
    if (getenv("RMTK_TIMING")) /* bench/: the time share of the figures */
        fprintf(stderr, "rmtk: figures %.3f s, html %.3f s\n",
                (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec),
                elapsed(&t1));
    cJSON_Delete(root);
    if (tty)
        fprintf(stderr, "\r\033[K");
    return st;
}

/* Said up front: the Porter-Thomas test's Monte-Carlo null (vectors, exact_mc/paper/staats)
 * simulates nsamples unit vectors of every dimension met, once per worker. Measured cost of
 * rmtk_pt_plan_alloc (exact_mc, 2000 samples): 0.83 s CPU at n = 4096, 3.7 s at n = 16384, so
 * about 0.23 ms x n x nsamples / 2000. Elongated matrices (100000 x 20) pay it for n = 100000. */
static void say_vectors_cost(const rmtk_analysis *an, const rmtk_analysis_params *p)
{
    if (!(p->stats & RMTK_STATS_VECTORS) || p->vectors.method == RMTK_PT_EXACT_KOLMOGOROV)
        return;
    uint64_t ns = p->vectors.nsamples ? p->vectors.nsamples
                  : p->vectors.method == RMTK_PT_PAPER  ? 5000
                  : p->vectors.method == RMTK_PT_STAATS ? 10000
                                                        : 2000;
    int64_t dims[64];
    size_t nd = 0;
    double secs = 0, top = 0;
    for (size_t i = 0; i < rmtk_analysis_count(an); i++) {
        rmtk_analysis_row r;
        if (rmtk_analysis_row_get(an, i, &r) != RMTK_OK || strcmp(r.status, "skipped") == 0)
            continue;
        int64_t side[2] = {r.rows, r.cols};
        for (int k = 0; k < 2; k++) {
            size_t j;
            for (j = 0; j < nd && dims[j] != side[k]; j++)
                ;
            if (j < nd || nd == 64)
                continue;
            dims[nd++] = side[k];
            double t = 0.226e-3 * (double)side[k] * (double)ns / 2000.0;
            secs += t;
            top = t > top ? t : top;
        }
    }
    if (secs < 20)
        return;
    fprintf(stderr,
            "rmtk: analyze: --stats vectors: the Porter-Thomas null simulates %llu unit vectors "
            "for each of %zu dimensions (largest cost %.0f s): about %.0f s of CPU before those "
            "tests; --pt-samples N scales it, --pt-method kolmogorov simulates nothing "
            "(slightly conservative; docs/methods/vectors.md)\n",
            (unsigned long long)ns, nd, top, secs);
}

int cmd_analyze(int argc, char **argv)
{
    rmtk_analysis_params p = rmtk_analysis_params_default();
    const char *out = NULL, *formats = "svg,png", *base = NULL;
    const char *files[1024], *labels[1024];
    int nfiles = 0, nlabels = 0, quiet = 0, st, plots = 1, json = 0, per_matrix = 0, wide = 0;
    int figures = CLI_FIGURES_AUTO;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        int64_t iv;
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--out") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &out)))
                return st;
        } else if (strcmp(a, "--stats") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = cli_parse_stats(v, &p.stats)))
                return st;
        } else if (strcmp(a, "--conv") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "flatten") == 0)
                p.extract.conv_mode = RMTK_CONV_FLATTEN;
            else if (strcmp(v, "slices") == 0)
                p.extract.conv_mode = RMTK_CONV_SLICES;
            else if (strcmp(v, "pooled") == 0)
                p.extract.conv_mode = RMTK_CONV_POOLED;
            else {
                cli_error("--conv: '%s' is not flatten, slices or pooled", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--fused") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "split") == 0)
                p.extract.fused = RMTK_FUSED_SPLIT;
            else if (strcmp(v, "keep") == 0)
                p.extract.fused = RMTK_FUSED_KEEP;
            else if (strcmp(v, "both") == 0)
                p.extract.fused = RMTK_FUSED_BOTH;
            else {
                cli_error("--fused: '%s' is not split, keep or both", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--stack3d") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "auto") == 0)
                p.extract.stack3d = RMTK_STACK3D_AUTO;
            else if (strcmp(v, "stack") == 0)
                p.extract.stack3d = RMTK_STACK3D_STACK;
            else if (strcmp(v, "conv") == 0)
                p.extract.stack3d = RMTK_STACK3D_CONV;
            else {
                cli_error("--stack3d: '%s' is not auto, stack or conv", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--skip-embeddings") == 0) {
            p.extract.skip_embeddings = 1;
        } else if (strcmp(a, "--keep-tied") == 0) {
            p.extract.keep_tied = 1;
        } else if (cli_analysis_option(argc, argv, &i, &p, &st)) {
            if (st)
                return st;
        } else if (strcmp(a, "--label") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (nlabels == (int)(sizeof labels / sizeof labels[0])) {
                cli_error("analyze: too many --label");
                return RMTK_ERR_ARG;
            }
            labels[nlabels++] = v;
        } else if (strcmp(a, "--base") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &base)))
                return st;
        } else if (strcmp(a, "--exact") == 0) {
            p.spectrum.method = RMTK_SPECTRUM_SVD;
        } else if (strcmp(a, "--gram-rtol") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_double(a, v, &p.spectrum.gram_rtol)))
                return st;
        } else if (strcmp(a, "--max-memory") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            char *end = NULL;
            double x = strtod(v, &end);
            double mul = 1;
            if (end && (*end == 'K' || *end == 'k'))
                mul = 1024.0, end++;
            else if (end && (*end == 'M' || *end == 'm'))
                mul = 1048576.0, end++;
            else if (end && (*end == 'G' || *end == 'g'))
                mul = 1073741824.0, end++;
            if (!end || end == v || *end || !(x * mul >= 1) || !(x * mul < 1.8e19)) {
                cli_error("--max-memory: '%s' is not a byte count (e.g. 2000000000, 1500M, 2G)", v);
                return RMTK_ERR_ARG;
            }
            p.max_memory = (uint64_t)(x * mul);
        } else if (strcmp(a, "--fix-fingers") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "none") == 0) {
                p.tails.ww.fix_fingers = RMTK_WW_FINGERS_NONE;
            } else if (strcmp(v, "xmin_peak") == 0) {
                p.tails.ww.fix_fingers = RMTK_WW_XMIN_PEAK;
            } else if (strcmp(v, "clip_xmax") == 0) {
                p.tails.ww.fix_fingers = RMTK_WW_CLIP_XMAX;
            } else {
                cli_error("--fix-fingers: '%s' is not none, xmin_peak or clip_xmax", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--fit") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "pl") == 0) {
                p.tails.ww.fit = RMTK_WW_FIT_PL;
            } else if (strcmp(v, "tpl") == 0) {
                p.tails.ww.fit = RMTK_WW_FIT_TPL;
            } else if (strcmp(v, "e_tpl") == 0) {
                p.tails.ww.fit = RMTK_WW_FIT_E_TPL;
            } else {
                cli_error("--fit: '%s' is not pl, tpl or e_tpl", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--ww-xmax") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 0, INT64_MAX, &iv)))
                return st;
            p.tails.ww.xmax_clip = iv;
        } else if (strcmp(a, "--multitest") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "bh") == 0) {
                p.multitest = RMTK_MULTITEST_BH;
            } else if (strcmp(v, "holm") == 0) {
                p.multitest = RMTK_MULTITEST_HOLM;
            } else if (strcmp(v, "none") == 0) {
                p.multitest = RMTK_MULTITEST_NONE;
            } else {
                cli_error("--multitest: '%s' is not bh, holm or none", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--significance") == 0 || strcmp(a, "--alpha") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_double(a, v, &p.significance)))
                return st;
            if (!(p.significance > 0 && p.significance < 1)) {
                cli_error("%s: the significance level must lie in (0, 1), got %s", a, v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--unfold") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = parse_unfold(v, &p.levels.unfold)))
                return st;
        } else if (strcmp(a, "--sigma2-mc") == 0) {
            p.levels.sigma2_mc = 1;
        } else if (strcmp(a, "--bootstrap") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_u64(a, v, &p.tails.powerlaw.bootstrap)))
                return st;
        } else if (strcmp(a, "--pt-method") == 0) {
            static const char *const names[] = {"exact_mc", "kolmogorov", "paper", "staats"};
            static const int methods[] = {RMTK_PT_EXACT_MC, RMTK_PT_EXACT_KOLMOGOROV,
                                          RMTK_PT_PAPER, RMTK_PT_STAATS};
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            int found = 0;
            for (int m = 0; m < 4; m++)
                if (strcmp(v, names[m]) == 0) {
                    p.vectors.method = methods[m];
                    found = 1;
                }
            if (!found) {
                cli_error("--pt-method: '%s' is not exact_mc, kolmogorov, paper or staats", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--pt-samples") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_u64(a, v, &p.vectors.nsamples)))
                return st;
        } else if (strcmp(a, "--replicas") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_u64(a, v, &p.null.replicas)))
                return st;
        } else if (strcmp(a, "--quiet") == 0) {
            quiet = 1;
        } else if (strcmp(a, "--no-plots") == 0) {
            plots = 0;
        } else if (strcmp(a, "--figures") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = cli_parse_figures(v, &figures)))
                return st;
        } else if (strcmp(a, "--wide") == 0) {
            wide = 1;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--progress") == 0) {
            per_matrix = 1;
        } else if (strcmp(a, "--format") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &formats)))
                return st;
            for (const char *q = formats; *q;) {
                size_t len = strcspn(q, ",");
                if (!((len == 3 && (!strncmp(q, "svg", 3) || !strncmp(q, "png", 3) ||
                                    !strncmp(q, "pdf", 3))))) {
                    cli_error("--format: '%s' is not a list of svg, png, pdf", formats);
                    return RMTK_ERR_ARG;
                }
                q += len + (q[len] == ',');
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("analyze", a, usage);
            return RMTK_ERR_ARG;
        } else {
            if (nfiles == (int)(sizeof files / sizeof files[0])) {
                cli_error("analyze: too many files");
                return RMTK_ERR_ARG;
            }
            files[nfiles++] = a;
        }
    }
    if (nfiles == 0) {
        cli_error("analyze: no checkpoint given (rmtk analyze FILE... --out DIR; "
                  "rmtk analyze --help)");
        return RMTK_ERR_ARG;
    }
    if (nlabels > nfiles) {
        cli_error("analyze: %d --label for %d input file%s", nlabels, nfiles,
                  nfiles == 1 ? "" : "s");
        return RMTK_ERR_ARG;
    }
    if (!out && !json) {
        cli_error("analyze: --out DIR is required (the folder for summary.csv, report.json, "
                  "report.html and figures/), or --json to print the report");
        return RMTK_ERR_ARG;
    }
    /* The output folder is checked and staged before any computation. Under mpirun
     * (mpi-driver.c) only rank 0 writes, and a failure is agreed on by every rank in
     * cli_mpi_setup before anyone returns. */
    int worker = cli_mpi_rank() != 0;
    cli_outdir od;
    memset(&od, 0, sizeof od);
    if (out && !worker && (st = cli_outdir_prepare("analyze", "--out", out, &od)) &&
        cli_mpi_size() == 1)
        return st;
    rmtk_analysis *an = NULL;
    p.threads = cli_mpi_threads(p.threads);
    int ast = rmtk_analysis_alloc(&p, &an);
    if (ast) {
        cli_error("analyze: invalid parameters (%s)", rmtk_status_str(ast));
        cli_outdir_abandon(&od);
        return ast; /* the same on every rank */
    }
    rmtk_model *models[1024] = {0};
    for (int f = 0; f < nfiles && !st; f++) {
        st = rmtk_model_open(files[f], &models[f]);
        if (st)
            cli_error("%s", models[f] ? rmtk_model_errmsg(models[f]) : rmtk_status_str(st));
        else {
            /* the source label: --label, else (several inputs) derived from the path, made
             * unique with "#N" */
            char lab[300] = "";
            if (f < nlabels)
                snprintf(lab, sizeof lab, "%s", labels[f]);
            else if (nfiles > 1) {
                char d[256];
                cli_path_label(files[f], d, sizeof d);
                int dup = 0;
                for (int g = 0; g < nfiles; g++) {
                    char e[256];
                    cli_path_label(files[g], e, sizeof e);
                    dup |= g != f && strcmp(d, e) == 0;
                }
                if (dup)
                    snprintf(lab, sizeof lab, "%s#%d", d, f + 1);
                else
                    snprintf(lab, sizeof lab, "%s", d);
            }
            if ((st = rmtk_analysis_add_model_labeled(an, models[f], files[f], lab)))
                cli_error("%s", rmtk_analysis_errmsg(an));
        }
    }
    rmtk_model *base_model = NULL;
    if (!st && base) {
        st = rmtk_model_open(base, &base_model);
        if (st)
            cli_error("--base: %s", base_model ? rmtk_model_errmsg(base_model)
                                               : rmtk_status_str(st));
        else if ((st = rmtk_analysis_add_base(an, base_model, base)))
            cli_error("--base: %s", rmtk_analysis_errmsg(an));
    }
    st = cli_mpi_setup(files, nfiles, an, p.threads, st);
    if (!st && worker) {
        st = cli_mpi_analysis_run(an, NULL, NULL);
    } else if (!st) {
        int tty = !quiet && isatty(2);
        progress_state ps = {{0, 0}, tty, quiet || tty ? 0 : per_matrix ? 1 : 10, 0};
        if (!quiet)
            say_vectors_cost(an, &p);
        clock_gettime(CLOCK_MONOTONIC, &ps.start);
        int run_st = cli_mpi_analysis_run(an, progress, &ps);
        if (run_st && !cli_mpi_complete()) /* an MPI run that stopped: matrices missing, */
            out = NULL, json = 0, quiet = 1; /* so no report, only the error below */
        if (!run_st && !quiet && p.max_memory && rmtk_analysis_errmsg(an)[0])
            fprintf(stderr, "rmtk: note: %s\n", rmtk_analysis_errmsg(an)); /* fewer workers */
        char path[4200];
        size_t nfig = 0;
        if (out) {
            snprintf(path, sizeof path, "%s/summary.csv", od.stage);
            st = rmtk_analysis_write_csv(an, path);
            if (!st) {
                snprintf(path, sizeof path, "%s/report.json", od.stage);
                st = rmtk_analysis_write_json(an, path);
            }
            if (!st) {
                snprintf(path, sizeof path, "%s/experts.csv", od.stage);
                if (write_experts_csv(an, path)) {
                    cli_error("cannot write %s: %s", path, strerror(errno));
                    st = RMTK_ERR_IO;
                }
            }
            if (!st) {
                snprintf(path, sizeof path, "%s/model_summary.csv", od.stage);
                st = rmtk_analysis_write_summary_csv(an, path);
            }
            if (st)
                cli_error("%s", rmtk_analysis_errmsg(an));
        }
        if (!st && json) {
            st = rmtk_analysis_write_json_fn(an, write_stdout, NULL);
            if (st)
                cli_error("cannot write the report to stdout (%s)", rmtk_status_str(st));
        }
        if (!st && out && plots)
            st = draw_report(od.stage, formats, figures, p.threads, tty, &nfig);
        if (!st && out)
            st = cli_outdir_commit(&od);
        if (!quiet && !json) {
            print_table(an, wide);
            print_model_summary(an, wide ? 0 : (size_t)cli_term_width());
        }
        if (!st && !quiet && !json && out)
            printf("\nwrote %s/summary.csv, %s/report.json%s (%.1f s)\n", out, out,
                   plots ? ", report.html and figures/" : "", elapsed(&ps.start));
        if (!st && run_st) {
            cli_error("%s", cli_mpi_errmsg(an));
            st = run_st;
        }
        if (!st)
            st = check_analysed(an);
    }
    st = cli_mpi_finish(st);
    cli_outdir_abandon(&od);
    rmtk_analysis_free(an);
    for (int f = 0; f < nfiles; f++)
        rmtk_model_close(models[f]);
    rmtk_model_close(base_model);
    return st;
}
