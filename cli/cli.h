/*
 * cli.h: what the subcommands of the rmtk CLI share. The CLI includes only the public header
 * rmtk.h from the library; everything here is presentation and argument parsing.
 *
 * A subcommand is a function `int cmd_<name>(int argc, char **argv)` (argv[0] is the subcommand
 * name) registered in the table of main.c. It returns an rmtk status, which becomes the exit
 * code. `--help` prints its usage to stdout and returns 0.
 */
#ifndef RMTK_CLI_H
#define RMTK_CLI_H

#include "rmtk.h"

#include <cJSON.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- subcommands (one file each: cli/cmd-<name>.c) ---------------------------------------- */
int cmd_analyze(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_track(int argc, char **argv);
int cmd_denoise(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_spectrum(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_fitlaw(int argc, char **argv);
int cmd_theory(int argc, char **argv);
/* shared by theory and simulate (cmd-theory.c): names, grid a:b:n, law/network options (returns
 * 1 when argv[*i] was consumed, 0 when unknown, -status on error), atomic file writes */
int cli_parse_activation(const char *s, int32_t *act);
int cli_given(int argc, char **argv, const char *opt); /* argv[1..] holds opt */
int cli_parse_weight_law(const char *s, int32_t *wl);
int cli_parse_grid(const char *s, double *a, double *b, size_t *n);
int cli_law_option(int argc, char **argv, int *i, rmtk_law_params *lp, rmtk_ensemble_params *ep);
int cli_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx), const void *ctx);
int cmd_plot(int argc, char **argv);

/* ---- the output folder of analyze (outdir.c; design in docs/report.md) -------------------- */
typedef struct cli_outdir {
    char dir[4096];   /* --out DIR */
    char stage[4096]; /* where this run writes: DIR/.rmtk-staging.PID ("" once committed) */
} cli_outdir;
/* Checks DIR before any computation (a file, or a folder that cannot be created or written, is
 * an error naming cmd and the option opt, e.g. "--out"), completes a commit that a killed run
 * left, removes dead runs' staging folders and creates this run's (with its figures/). */
int cli_outdir_prepare(const char *cmd, const char *opt, const char *dir, cli_outdir *od);
/* Lists the staged files in a manifest and moves them into DIR, replacing the previous run's
 * files (only those its manifest lists). */
int cli_outdir_commit(cli_outdir *od);
/* Removes the staging folder (a failed run leaves DIR as it was). */
void cli_outdir_abandon(cli_outdir *od);

/* ---- terminal output of untrusted text (cli-util.c) ---------------------------------------- */
/* s with control characters (C0, DEL, C1) and bytes that are not UTF-8 written as \xNN, into buf
 * (size bytes, truncated); returns buf. Every name from a file goes through it (or cli_error)
 * before it reaches a terminal. */
const char *cli_safe(const char *s, char *buf, size_t size);
/* s as a JSON string to f: control characters escaped, bytes that are not UTF-8 as U+FFFD. */
void cli_json_string(FILE *f, const char *s);

/* ---- 1-D data (cli-util.c; rmtk tail, rmtk fitlaw) ---------------------------------------- */
int cli_has_suffix(const char *s, const char *suffix);
/* The numbers of a text file (path, or stdin for "-"): one per line, '#' starts a comment, blank
 * lines are skipped; a token that is not a finite number is an error naming file, line and
 * token. With excluded non-NULL, values <= 0 are left out and counted there. *x malloc'ed (free
 * it). Errors printed; returns an rmtk status. */
int cli_read_numbers(const char *path, double **x, size_t *n, size_t *excluded);
/* The entries of tensor idx of m, flattened and converted to double, the same way (a
 * non-finite entry is an error naming path, tensor and element; excluded as above). */
int cli_read_tensor_values(const char *path, rmtk_model *m, size_t idx, double **x, size_t *n,
                           size_t *excluded);
/* The singular values of the matrix pick of m (an entry of rmtk_layers), largest first, in *x
 * (malloc'ed, *n = min(rows, cols)), with the default spectrum parameters; errors printed. */
int cli_matrix_spectrum(const char *path, rmtk_model *m, const rmtk_matrix_entry *pick,
                        double **x, size_t *n);
/* A JSON number ("%.17g"), or null when v is not finite. */
void cli_json_number(FILE *f, double v);

/* ---- reading a saved report.json (plot-util.c) -------------------------------------------- */
/* Parses path; checks the schema. Prints "rmtk: ..." and returns a status on error. */
int cli_report_load(const char *path, cJSON **out);
const char *cli_json_str(const cJSON *obj, const char *key); /* NULL if absent / not a string */
double cli_json_num(const cJSON *obj, const char *key);      /* NaN if absent / null */
double cli_metric(const cJSON *matrix, const char *key);     /* matrix.metrics[key] or NaN */
/* matrix.arrays[key] as a malloc'ed array (null -> NaN) in *x (free it); its length, 0 if none
 * (then *x is NULL). */
size_t cli_array(const cJSON *matrix, const char *key, double **x);
int cli_matrix_ok(const cJSON *matrix); /* status "ok" */
/* File stem of a figure: "NNN-<name with [^A-Za-z0-9._-] as _>-<kind>", or "model-<kind>" for
 * idx == (size_t)-1. */
void cli_figure_stem(size_t idx, const char *name, const char *kind, char *buf, size_t n);

/* ---- figures (plot.c) ---------------------------------------------------------------------- */
/* --figures: none (no figure), summary (the model's trends only), all (every figure of every
 * matrix), auto (the default: all up to CLI_FIGURES_AUTO_MAX analysed matrices, summary beyond;
 * all for a single --layer). */
enum { CLI_FIGURES_AUTO = 0, CLI_FIGURES_NONE, CLI_FIGURES_SUMMARY, CLI_FIGURES_ALL };
#define CLI_FIGURES_AUTO_MAX 64
typedef struct cli_plot_opts {
    const char *layer;   /* only this matrix (NULL: all, and the model figure) */
    const char *figure;  /* only this kind (NULL: all) */
    const char *formats; /* comma-separated svg, png, pdf (NULL: "svg,png") */
    int level;           /* CLI_FIGURES_* (0: auto) */
    int threads;         /* worker processes drawing figures (<= 0: the online CPUs) */
} cli_plot_opts;
/* Draws every figure whose arrays the report holds and the level asks for into dir (which must
 * exist), each with its CSV, in o->threads forked worker processes; *nwritten counts figure
 * files. Kinds: esd, spacing, ratio, sigma2, vectors, tails (per matrix) and trends (per
 * model). */
int cli_plot_report(const cJSON *report, const char *dir, const cli_plot_opts *o,
                    size_t *nwritten);
int cli_parse_figures(const char *s, int *level); /* none, summary, all, auto */
/* The level o asks for, auto resolved against the report's number of analysed matrices. */
int cli_figures_level(const cJSON *report, const cli_plot_opts *o);
/* Rewrites the SVG file of PLplot's svg driver smaller, the same picture (svg-compact.c). */
int cli_svg_compact(const char *path);
/* ---- thumbnails (png.c) -------------------------------------------------------------------- */
/* An 8-bit RGB image (w x h, rows top down, 3 bytes a pixel) as a PNG file in *out (malloc'ed,
 * *n bytes; free it). */
int cli_png_encode(const unsigned char *rgb, int w, int h, unsigned char **out, size_t *n);
/* The 128 x 32 thumbnail of a matrix's spectrum (histogram of λ with its Marchenko-Pastur law)
 * as "data:image/png;base64,..." in *uri (malloc'ed; free it). RMTK_ERR_NOTFOUND without
 * singular values. */
int cli_thumb_esd(const cJSON *matrix, char **uri);
extern const char *const cli_figure_kinds[]; /* NULL-terminated */
/* rmtk simulate / theory: histogram (nb bins from lo, width w, densities dens; nb = 0 for the
 * law alone) of the simulated values, the theory density (tx, ty, nt points ascending; nt = 0 for
 * none) and the zero atom (simulated and theory mass, NaN when not known; marked when either is
 * > 0). */
typedef struct cli_density_fig {
    const char *title, *xlabel, *law_name;
    double lo, w;
    size_t nb;
    const double *dens;
    const double *tx, *ty;
    size_t nt;
    double atom_sim, atom_theory;
} cli_density_fig;
/* Writes path_stem.<fmt> for each format (NULL: "svg,png") and path_stem.csv. */
int cli_plot_density(const cli_density_fig *d, const char *path_stem, const char *formats);
const char *cli_figure_caption(const char *kind);

/* ---- line charts as plain SVG (plot-lines.c; rmtk compare and rmtk track) ------------------ */
typedef struct cli_series {
    const char *label;
    const double *x, *y; /* n points; non-finite ones (and y <= 0 on a log axis) are left out */
    size_t n;
    int dashed;
} cli_series;
typedef struct cli_lines_fig {
    const char *title, *xlabel, *ylabel, *note; /* note: a small line above the plot (or NULL) */
    const cli_series *series;
    size_t nseries;
    int logy;      /* log10 y axis */
    int step;      /* draw each series as a step line (histogram densities at bin starts) */
    int markers;   /* a dot at every point */
    int integer_x; /* ticks at integers at least (blocks, steps) */
    double vline_x;          /* a dashed vertical line there, labelled (when vline_label set) */
    const char *vline_label;
} cli_lines_fig;
/* Writes path_stem.svg and path_stem.csv (series,x,y). */
int cli_plot_lines(const cli_lines_fig *d, const char *path_stem);
/* HTML-escaped s to f (& < > " '). */
void cli_html_text(FILE *f, const char *s);
/* Copies the SVG file at path into f (its XML prolog dropped); RMTK_ERR_IO when unreadable. */
int cli_html_inline_svg(FILE *f, const char *path);
/* The label of an input derived from its path: the last path component that is not a generic
 * file name (model.safetensors, *.index.json, pytorch_model.bin, ...), its extension dropped. */
void cli_path_label(const char *path, char *buf, size_t n);

/* ---- report.html (html.c) ------------------------------------------------------------------ */
/* Writes the summary page path (verdict counts, the trends figure of figdir inlined, a sortable
 * table grouped by block with a thumbnail per matrix) and one page per matrix in the folder
 * "layers" beside it (layers/NNN-NAME.html), whose figures are referenced as figrel + file name
 * (figrel: the figure folder relative to layers/, e.g. "../figures/"). */
int cli_html_write(const cJSON *report, const char *figdir, const char *figrel,
                   const char *path);
/* The file stem of a matrix's page: "NNN-<name with [^A-Za-z0-9._-] as _>". */
void cli_layer_stem(size_t idx, const char *name, char *buf, size_t n);

/* ---- the terminal table (term.c) ----------------------------------------------------------- */
int cli_term_width(void);            /* $COLUMNS, else the terminal's (stdout), else 100 */
size_t cli_utf8_cols(const char *s); /* display columns (characters) */
/* name in at most width columns: the head and the tail around "…" in the middle. */
void cli_name_fit(const char *name, size_t width, char *buf, size_t n);
/* shown[i] (malloc'ed; free each) = the fitted names[i]; own_line[i] = 1 when that would print
 * like another row's (the row then shows its full name on a line of its own). */
int cli_names_layout(const char *const *names, size_t count, size_t width, char **shown,
                     int *own_line);

/* ---- verdicts and vocabulary (verdict.c; rules in the library, docs/report.md) ------------- */
/* A named statistic of one matrix (summary.csv column name), NaN if not computed. */
typedef double (*cli_getter)(const void *ctx, const char *column);
/* One-line verdict into buf (rmtk_verdict_eval); returns CLI_STRUCTURE when the layer carries
 * structure, CLI_RANDOM when it looks random, CLI_UNDETERMINED when the evidence allows neither
 * (an all-zero matrix, too few levels). significance: the significance level of the run. */
enum { CLI_RANDOM = 0, CLI_STRUCTURE = 1, CLI_UNDETERMINED = 2 };
int cli_verdict(cli_getter get, const void *ctx, double significance, char *buf, size_t n);
/* The verdict of a report.json matrix: its "verdict" and "looks_random" when written (the
 * library's, at the run's significance), else computed from its metrics (older reports). */
int cli_json_verdict(const cJSON *matrix, double significance, char *buf, size_t n);
/* The report's significance level: parameters.significance (parameters.alpha in reports
 * before the rename), 0.05 when absent or invalid. */
double cli_json_significance(const cJSON *report);
/* The column's value, or NaN when the status column that governs it (rmtk_report_key_status:
 * mp_fit_status for n_spikes, levels_status for r_mean, ...) says it is not usable (capped,
 * failed, too few, degenerate): what tables and trend plots show. */
double cli_usable(cli_getter get, const void *ctx, const char *column);
/* The statistics of the terminal table and report.html's layer table: the summary.csv column
 * (report.html's heading) and the terminal's abbreviation (explained in its legend). */
typedef struct {
    const char *key, *head;
} cli_table_col;
extern const cli_table_col cli_table_cols[];
extern const size_t cli_ntable_cols;
double cli_json_getter(const void *matrix, const char *column); /* a getter over report.json */

/* ---- argument parsing: each prints "rmtk: OPTION: ..." on error and returns RMTK_ERR_ARG ---- */
int cli_parse_double(const char *opt, const char *s, double *out);
int cli_parse_i64(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/* Comma-separated integers ("600,900,450"), at most cap of them. */
int cli_parse_i64_list(const char *opt, const char *s, int64_t *out, size_t cap, size_t *n);
/* The value of an option that takes one: advances *i; error if argv ends. */
int cli_optarg(int argc, char **argv, int *i, const char **val);
/* The options that rmtk analyze, compare and track share, into p: --include REGEX, --exclude
 * REGEX, --min-side N (p->extract), --threads N, --seed N. Returns 1 when argv[*i] is one of them
 * (consumed with its value, *i advanced; *status RMTK_OK, or RMTK_ERR_ARG for a bad or missing
 * value, printed), 0 when it is not (*status untouched). */
int cli_analysis_option(int argc, char **argv, int *i, rmtk_analysis_params *p, int *status);
/* --stats LIST: comma-separated basic, mp, levels, vectors, null, tails, all. */
int cli_parse_stats(const char *s, uint32_t *out);
/* The whole file, NUL-terminated (length in *len); NULL with errno set on failure (nothing
 * printed). Free with free(). */
char *cli_read_file(const char *path, size_t *len);
/* mkdir -p (errors printed). */
int cli_mkdir_p(const char *dir);
/* Suggestions: the edit distance (with transpositions) of two words; the candidate nearest to
 * word (NULL when none is within 2 edits and under half its length; a prefix of 3+ letters
 * counts as 1 edit); "CMD: unknown option 'OPT'; did you mean '--X'?" from the long options that
 * usage() prints. */
size_t cli_edit_distance(const char *a, const char *b);
const char *cli_nearest(const char *word, const char *const *cands, size_t n);
void cli_unknown_option(const char *cmd, const char *opt, void (*usage)(FILE *f));
/* "FILE: no tensor named 'X'; nearest: 'a', 'b' (rmtk describe FILE lists all N)". */
void cli_unknown_tensor(const char *file, const rmtk_model *m, const char *name);
/* True when argv[i] is --help or -h. */
int cli_is_help(const char *arg);
/* "rmtk: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* mpi-driver.c: `mpirun -np N rmtk analyze` (docs/mpi.md). Without MPI (RMTK_MPI=OFF) or
 * without mpirun: rank 0 of 1, and each function passes through (cli_mpi_analysis_run is
 * rmtk_analysis_run). cli_mpi_init/finalize wrap main. cli_mpi_threads: the --threads a rank
 * uses (a worker with the default 0 shares its node's cores with the node's other ranks).
 * cli_mpi_setup (collective): every rank's status, input byte sizes and analysis agree, else
 * an error on every rank. cli_mpi_analysis_run: rank 0 collects every matrix from the workers
 * (its progress callback over the whole job; "provenance" set); workers compute. Its message
 * on failure: cli_mpi_errmsg. cli_mpi_finish (collective): every rank returns rank 0's status. */
int cli_mpi_init(int *argc, char ***argv);
int cli_mpi_finalize(int st);
int cli_mpi_rank(void);
int cli_mpi_size(void);
int32_t cli_mpi_threads(int32_t threads);
int cli_mpi_setup(const char *const *files, int nfiles, rmtk_analysis *an, int32_t threads,
                  int st);
int cli_mpi_analysis_run(rmtk_analysis *an, rmtk_progress_fn progress, void *user);
const char *cli_mpi_errmsg(const rmtk_analysis *an);
int cli_mpi_complete(void); /* 0 when the distributed run stopped with matrices missing */
int cli_mpi_finish(int st);

#endif /* RMTK_CLI_H */
