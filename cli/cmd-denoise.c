/*
 * cmd-denoise.c: `rmtk denoise IN --out OUT.safetensors` removes the random bulk of every weight
 * matrix of a checkpoint (any format rmtk reads) and writes the result as safetensors: the same
 * tensor names, shapes, dtypes and metadata, untouched tensors byte-exact, plus provenance
 * metadata; with --factored each denoised 2-D matrix becomes two factors NAME.U and NAME.V.
 * The numerics are the library's (rmtk_denoise_threshold, rmtk_denoise_reconstruct,
 * rmtk_denoise_factors); the file is written by rmtk_safetensors_writer (atomically). One
 * matrix and its singular vectors are in memory at a time. Methods and rules:
 * docs/methods/denoise.md.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk denoise IN --out OUT.safetensors [--method M] [OPTIONS]\n"
            "\n"
            "Denoise every weight matrix of checkpoint IN (any format rmtk reads) by keeping or\n"
            "shrinking the singular values that the random bulk cannot explain, and write the\n"
            "result as safetensors (same names, shapes, dtypes and metadata; tensors that are\n"
            "not denoised are copied byte for byte; written atomically; IN is never modified).\n"
            "\n"
            "methods (docs/methods/denoise.md):\n"
            "  gavish-donoho   optimal hard threshold omega(beta) median(s) (default)\n"
            "  mp-edge         keep values above the robust MP edge plus the Tracy-Widom margin\n"
            "  shrink          optimal Frobenius shrinker (Gavish-Donoho 2017)\n"
            "  rank K          keep the K largest values\n"
            "  energy F        keep the fewest largest values holding a fraction F of sum s^2\n"
            "\n"
            "options:\n"
            "  --out FILE         the safetensors file to write (required)\n"
            "  --method M [ARG]   one of the methods above (rank and energy take their ARG)\n"
            "  --rank K           same as --method rank K\n"
            "  --energy F         same as --method energy F\n"
            "  --alpha A          Tracy-Widom level of mp-edge (default 0.05)\n"
            "  --noise S          known noise level (entry standard deviation) for\n"
            "                     gavish-donoho and shrink (default: estimated per matrix\n"
            "                     from the median singular value); --noise mp takes it per\n"
            "                     matrix from the robust MP fit (at --alpha) and uses the\n"
            "                     known-noise threshold\n"
            "  --min-values N     leave matrices with fewer than N singular values unchanged\n"
            "                     under gavish-donoho, mp-edge and shrink: too few for a noise\n"
            "                     estimate (default 50, the minimum of the MP fit)\n"
            "  --factored         write each denoised 2-D matrix as NAME.U = U sqrt(S) and\n"
            "                     NAME.V = sqrt(S) V^T and report the compression\n"
            "  --include REGEX    only tensors whose name matches (POSIX extended regex)\n"
            "  --exclude REGEX    skip tensors whose name matches\n"
            "  --min-side N       leave matrices with a side below N unchanged (default 10)\n"
            "  --csv FILE         the per-matrix summary as CSV\n"
            "  --json             print the summary as JSON instead of the table\n"
            "\n"
            "The summary gives per matrix the kept rank, the relative Frobenius change\n"
            "||X^ - X||_F / ||X||_F and the estimated noise level; matrices left unchanged are\n"
            "listed with the reason.\n");
}

enum { ACT_RAW = 0, ACT_F32 = 1, ACT_DROP = 2, ACT_DENOISE = 3 };

typedef struct entry_out {
    rmtk_matrix_entry e;
    int denoise;        /* 1: thresholded (possibly unchanged after a failed fit) */
    int ok;             /* 1: denoised; 0: written unchanged */
    char reason[256];   /* why unchanged, or a note */
    rmtk_denoise_result res;
    int64_t k;
} entry_out;

typedef struct tensor_plan {
    int action;
    int factored;
    char reason[160];
    size_t out_index, out_u, out_v;
    int64_t rank; /* factored: kept rank */
} tensor_plan;

typedef struct ctx {
    const char *in, *out, *csv;
    int json, factored;
    rmtk_denoise_params dp;
    rmtk_model *m;
    rmtk_layers *l;
    entry_out *ent;
    size_t ne;
    tensor_plan *tp;
    size_t nt;
    uint64_t params_in, params_out;
} ctx;

static int is_float_dtype(int dt)
{
    return dt == RMTK_DTYPE_F64 || dt == RMTK_DTYPE_F32 || dt == RMTK_DTYPE_F16 ||
           dt == RMTK_DTYPE_BF16;
}

/* Bytes that can be copied verbatim into safetensors: a scalar dtype safetensors names,
 * little-endian, C order, presented as stored. */
static int is_plain(const rmtk_tensor_info *ti)
{
    size_t es = rmtk_dtype_size(ti->dtype);
    return ti->dtype >= RMTK_DTYPE_F64 && ti->dtype <= RMTK_DTYPE_BOOL && es > 0 &&
           (!ti->big_endian || es == 1) && (!ti->fortran_order || ti->ndim <= 1) &&
           !ti->layout;
}

/* SVD of entry i into sv (and u, v when the plan computes vectors), then the threshold. */
static int run_entry(ctx *c, rmtk_spectrum_plan *plan, entry_out *eo, double *sv, double *u,
                     double *v, double *eta)
{
    rmtk_matrix_view view;
    int st = rmtk_layers_view(c->m, &eo->e, &view);
    if (st) {
        cli_error("%s", rmtk_model_errmsg(c->m));
        return st;
    }
    st = rmtk_spectrum_execute(plan, view, sv, u, v, NULL);
    if (st == RMTK_ERR_NUMERIC || st == RMTK_ERR_RANGE) {
        eo->ok = 0;
        snprintf(eo->reason, sizeof eo->reason, "no spectrum: %s", rmtk_spectrum_errmsg(plan));
        return RMTK_OK;
    }
    if (st) {
        cli_error("%s: %s: %s", c->in, eo->e.name, rmtk_spectrum_errmsg(plan));
        return st;
    }
    eo->k = eo->e.rows < eo->e.cols ? eo->e.rows : eo->e.cols;
    st = rmtk_denoise_threshold(sv, (size_t)eo->k, eo->e.rows, eo->e.cols, &c->dp, eta,
                                &eo->res);
    if (st == RMTK_ERR_NUMERIC) {
        eo->ok = 0;
        if (eo->k < c->dp.min_values && c->dp.method != RMTK_DENOISE_RANK &&
            c->dp.method != RMTK_DENOISE_ENERGY)
            snprintf(eo->reason, sizeof eo->reason,
                     "%lld singular values: too few for a noise estimate (--min-values %lld)",
                     (long long)eo->k, (long long)c->dp.min_values);
        else
            snprintf(eo->reason, sizeof eo->reason,
                     "degenerate (a zero matrix, half the singular values 0, or a failed MP "
                     "fit)");
        return RMTK_OK;
    }
    if (st) {
        cli_error("%s: %s: threshold failed: %s", c->in, eo->e.name, rmtk_status_str(st));
        return st;
    }
    eo->ok = 1;
    return RMTK_OK;
}

static int write_csv(FILE *f, const void *vc)
{
    const ctx *c = vc;
    fprintf(f, "name,rows,cols,dtype,status,kept,k,rel_change,noise,threshold,reason\n");
    for (size_t i = 0; i < c->ne; i++) {
        const entry_out *eo = &c->ent[i];
        fputc('"', f);
        for (const char *p = eo->e.name; *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fprintf(f, "\",%lld,%lld,%s,%s,", (long long)eo->e.rows, (long long)eo->e.cols,
                rmtk_dtype_name(eo->e.dtype), eo->ok ? "denoised" : "unchanged");
        if (eo->ok)
        {
            fprintf(f, "%lld,%lld,%.17g,", (long long)eo->res.kept, (long long)eo->k,
                    eo->res.rel_change);
            if (isfinite(eo->res.noise)) /* NaN (rank, energy): an empty field */
                fprintf(f, "%.17g", eo->res.noise);
            fprintf(f, ",%.17g,", eo->res.threshold);
        }
        else
            fprintf(f, ",,,,,");
        fputc('"', f);
        for (const char *p = eo->ok ? "" : (eo->e.skip ? eo->e.reason : eo->reason); *p; p++) {
            if (*p == '"')
                fputc('"', f);
            fputc(*p, f);
        }
        fputs("\"\n", f);
    }
    return ferror(f) ? RMTK_ERR_IO : RMTK_OK;
}

static void print_json(const ctx *c)
{
    printf("{\"input\":");
    cli_json_string(stdout, c->in);
    printf(",\"output\":");
    cli_json_string(stdout, c->out);
    printf(",\"method\":\"%s\",\"factored\":%s,\"rmtk_version\":\"%s\",\"matrices\":[",
           rmtk_denoise_method_name(c->dp.method), c->factored ? "true" : "false",
           rmtk_version());
    for (size_t i = 0; i < c->ne; i++) {
        const entry_out *eo = &c->ent[i];
        printf("%s{\"name\":", i ? "," : "");
        cli_json_string(stdout, eo->e.name);
        printf(",\"rows\":%lld,\"cols\":%lld,\"dtype\":\"%s\",\"status\":\"%s\"",
               (long long)eo->e.rows, (long long)eo->e.cols, rmtk_dtype_name(eo->e.dtype),
               eo->ok ? "denoised" : "unchanged");
        if (eo->ok) {
            printf(",\"kept\":%lld,\"k\":%lld,\"rel_change\":%.17g", (long long)eo->res.kept,
                   (long long)eo->k, eo->res.rel_change);
            if (isfinite(eo->res.noise))
                printf(",\"noise\":%.17g", eo->res.noise);
            else
                printf(",\"noise\":null");
            printf(",\"threshold\":%.17g", eo->res.threshold);
        }
        printf(",\"reason\":");
        cli_json_string(stdout, eo->ok ? "" : (eo->e.skip ? eo->e.reason : eo->reason));
        printf("}");
    }
    printf("],\"tensors_converted\":[");
    int first = 1;
    for (size_t t = 0; t < c->nt; t++) {
        if (c->tp[t].action != ACT_F32 && c->tp[t].action != ACT_DROP)
            continue;
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c->m, t, &ti);
        printf("%s{\"name\":", first ? "" : ",");
        cli_json_string(stdout, ti.name);
        printf(",\"action\":\"%s\",\"reason\":", c->tp[t].action == ACT_F32 ? "f32" : "dropped");
        cli_json_string(stdout, c->tp[t].reason);
        printf("}");
        first = 0;
    }
    printf("],\"params_in\":%llu,\"params_out\":%llu,\"compression\":%.17g}\n",
           (unsigned long long)c->params_in, (unsigned long long)c->params_out,
           c->params_out ? (double)c->params_in / (double)c->params_out : 0.0);
}

static void print_table(const ctx *c)
{
    char nb[96], rb[200];
    printf("rmtk denoise %s -> %s (method %s%s)\n\n", cli_safe(c->in, rb, sizeof rb), c->out,
           rmtk_denoise_method_name(c->dp.method), c->factored ? ", factored" : "");
    printf("%-32s %13s %6s %11s %10s %11s  %s\n", "matrix", "shape", "dtype", "kept", "rel.change",
           "noise", "note");
    for (size_t i = 0; i < c->ne; i++) {
        const entry_out *eo = &c->ent[i];
        char shape[32], kept[32];
        snprintf(shape, sizeof shape, "%lldx%lld", (long long)eo->e.rows, (long long)eo->e.cols);
        cli_safe(eo->e.name, nb, sizeof nb);
        if (eo->ok) {
            snprintf(kept, sizeof kept, "%lld/%lld", (long long)eo->res.kept, (long long)eo->k);
            char noise[32] = "-";
            if (isfinite(eo->res.noise))
                snprintf(noise, sizeof noise, "%.4g", eo->res.noise);
            printf("%-32s %13s %6s %11s %10.4f %11s  %s\n", nb, shape,
                   rmtk_dtype_name(eo->e.dtype), kept, eo->res.rel_change, noise, eo->reason);
        } else {
            printf("%-32s %13s %6s %11s %10s %11s  unchanged: %s\n", nb,
                   eo->e.skip == RMTK_SKIP_NDIM || eo->e.rows <= 0 ? "-" : shape, rmtk_dtype_name(eo->e.dtype), "-",
                   "-", "-", cli_safe(eo->e.skip ? eo->e.reason : eo->reason, rb, sizeof rb));
        }
    }
    for (size_t t = 0; t < c->nt; t++) {
        if (c->tp[t].action != ACT_F32 && c->tp[t].action != ACT_DROP)
            continue;
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c->m, t, &ti);
        printf("tensor %s: %s\n", cli_safe(ti.name, nb, sizeof nb), c->tp[t].reason);
    }
    printf("\nparameters: %llu in, %llu out (compression %.3fx)\n",
           (unsigned long long)c->params_in, (unsigned long long)c->params_out,
           c->params_out ? (double)c->params_in / (double)c->params_out : 0.0);
}

static int parse_method(const char *s, int32_t *m)
{
    static const char *const names[] = {"gavish-donoho", "mp-edge", "shrink", "rank", "energy"};
    for (int i = 0; i < 5; i++)
        if (strcmp(s, names[i]) == 0) {
            *m = i;
            return RMTK_OK;
        }
    const char *near = cli_nearest(s, names, 5);
    cli_error("denoise: unknown --method '%s'%s%s%s (gavish-donoho, mp-edge, shrink, rank K, "
              "energy F)",
              s, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
    return RMTK_ERR_ARG;
}

int cmd_denoise(int argc, char **argv)
{
    ctx c;
    memset(&c, 0, sizeof c);
    c.dp = rmtk_denoise_params_default();
    rmtk_extract_params ep = rmtk_extract_params_default();
    ep.as_stored = 1; /* matrices written back in place: contiguous slices */
    int have_rank = 0, have_energy = 0, st;
    const char *v;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--out") == 0 || strcmp(a, "-o") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &c.out)))
                return st;
        } else if (strcmp(a, "--method") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) || (st = parse_method(v, &c.dp.method)))
                return st;
            if ((c.dp.method == RMTK_DENOISE_RANK || c.dp.method == RMTK_DENOISE_ENERGY) &&
                i + 1 < argc && argv[i + 1][0] != '-') {
                v = argv[++i];
                if (c.dp.method == RMTK_DENOISE_RANK) {
                    if ((st = cli_parse_i64("--method rank", v, 0, INT64_MAX, &c.dp.rank)))
                        return st;
                    have_rank = 1;
                } else {
                    if ((st = cli_parse_double("--method energy", v, &c.dp.energy)))
                        return st;
                    have_energy = 1;
                }
            }
        } else if (strcmp(a, "--rank") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 0, INT64_MAX, &c.dp.rank)))
                return st;
            c.dp.method = RMTK_DENOISE_RANK;
            have_rank = 1;
        } else if (strcmp(a, "--energy") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_double(a, v, &c.dp.energy)))
                return st;
            c.dp.method = RMTK_DENOISE_ENERGY;
            have_energy = 1;
        } else if (strcmp(a, "--alpha") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_double(a, v, &c.dp.alpha)))
                return st;
            if (!(c.dp.alpha > 0.0 && c.dp.alpha < 1.0)) {
                cli_error("--alpha: %s is not in (0, 1)", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--noise") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            if (strcmp(v, "mp") == 0) {
                c.dp.noise = 0.0;
                c.dp.noise_from = RMTK_DENOISE_NOISE_MP;
                continue;
            }
            if ((st = cli_parse_double(a, v, &c.dp.noise)))
                return st;
            c.dp.noise_from = RMTK_DENOISE_NOISE_MEDIAN;
            if (!(c.dp.noise > 0.0) || !isfinite(c.dp.noise)) {
                cli_error("--noise: %s is not a positive number", v);
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--min-values") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 1, INT64_MAX, &c.dp.min_values)))
                return st;
        } else if (strcmp(a, "--factored") == 0) {
            c.factored = 1;
        } else if (strcmp(a, "--include") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &ep.include)))
                return st;
        } else if (strcmp(a, "--exclude") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &ep.exclude)))
                return st;
        } else if (strcmp(a, "--min-side") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 1, INT64_MAX, &ep.min_side)))
                return st;
        } else if (strcmp(a, "--csv") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &c.csv)))
                return st;
        } else if (strcmp(a, "--json") == 0) {
            c.json = 1;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("denoise", a, usage);
            return RMTK_ERR_ARG;
        } else if (!c.in) {
            c.in = a;
        } else {
            cli_error("denoise: one IN checkpoint only (got '%s' and '%s')", c.in, a);
            return RMTK_ERR_ARG;
        }
    }
    if (!c.in || !c.out) {
        cli_error("denoise: %s is required (rmtk denoise IN --out OUT.safetensors; rmtk denoise "
                  "--help)",
                  !c.in ? "IN" : "--out FILE");
        return RMTK_ERR_ARG;
    }
    if (c.dp.method == RMTK_DENOISE_RANK && !have_rank) {
        cli_error("denoise: --method rank needs K (--method rank 32)");
        return RMTK_ERR_ARG;
    }
    if (c.dp.method == RMTK_DENOISE_ENERGY &&
        (!have_energy || !(c.dp.energy > 0.0 && c.dp.energy <= 1.0))) {
        cli_error("denoise: --method energy needs F in (0, 1] (--method energy 0.9)");
        return RMTK_ERR_ARG;
    }
    struct stat si, so;
    if (stat(c.in, &si) == 0 && stat(c.out, &so) == 0 && si.st_dev == so.st_dev &&
        si.st_ino == so.st_ino) {
        cli_error("denoise: --out %s is the input: the input is never modified; choose another "
                  "file",
                  c.out);
        return RMTK_ERR_ARG;
    }

    rmtk_spectrum_plan *plan = NULL;
    rmtk_safetensors_writer *w = NULL;
    double *sv = NULL, *u = NULL, *vv = NULL, *eta = NULL, *buf = NULL, *fa = NULL, *fb = NULL;
    if ((st = rmtk_model_open(c.in, &c.m))) {
        cli_error("%s", c.m ? rmtk_model_errmsg(c.m) : rmtk_status_str(st));
        goto done;
    }
    if ((st = rmtk_layers_alloc(c.m, &ep, &c.l))) {
        cli_error("%s", rmtk_model_errmsg(c.m));
        goto done;
    }
    c.nt = rmtk_model_tensor_count(c.m);
    c.ne = rmtk_layers_count(c.l);
    c.tp = calloc(c.nt ? c.nt : 1, sizeof *c.tp);
    c.ent = calloc(c.ne ? c.ne : 1, sizeof *c.ent);
    if (!c.tp || !c.ent) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    /* what becomes of each tensor */
    for (size_t t = 0; t < c.nt; t++) {
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c.m, t, &ti);
        if (is_plain(&ti)) {
            c.tp[t].action = ACT_RAW;
        } else if (rmtk_dtype_is_numeric(ti.dtype)) {
            c.tp[t].action = ACT_F32;
            snprintf(c.tp[t].reason, sizeof c.tp[t].reason,
                     "stored as %s%s%s%s: written converted to F32 (C order)", ti.dtype_str,
                     ti.big_endian ? ", big-endian" : "", ti.fortran_order ? ", Fortran order" : "",
                     ti.layout ? ", permuted layout" : "");
        } else {
            c.tp[t].action = ACT_DROP;
            snprintf(c.tp[t].reason, sizeof c.tp[t].reason,
                     "dtype '%s' has no safetensors encoding: not written", ti.dtype_str);
        }
    }
    int64_t maxr = 1, maxc = 1;
    for (size_t i = 0; i < c.ne; i++) {
        entry_out *eo = &c.ent[i];
        rmtk_layers_get(c.l, i, &eo->e);
        if (eo->e.skip != RMTK_SKIP_NONE)
            continue;
        if (eo->e.inner > 0) { /* a PEFT LoRA pair: already low rank, written as stored */
            snprintf(eo->reason, sizeof eo->reason, "a LoRA product of inner dimension %lld: "
                     "its factors are written unchanged", (long long)eo->e.inner);
            continue;
        }
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c.m, eo->e.tensor, &ti);
        if (!is_float_dtype(ti.dtype)) {
            snprintf(eo->reason, sizeof eo->reason, "dtype %s is not denoised (F64, F32, F16, "
                                                    "BF16 are)",
                     ti.dtype_str);
            continue;
        }
        if ((ti.fortran_order && ti.ndim > 3) || ti.layout) {
            snprintf(eo->reason, sizeof eo->reason, "%s: not denoised",
                     ti.layout ? "a permuted layout" : "a Fortran-ordered kernel");
            continue;
        }
        eo->denoise = 1;
        c.tp[eo->e.tensor].action = ACT_DENOISE;
        c.tp[eo->e.tensor].factored = c.factored && eo->e.slice < 0 && ti.ndim == 2;
        if (c.factored && !c.tp[eo->e.tensor].factored)
            snprintf(eo->reason, sizeof eo->reason, "a %d-D tensor: written dense", (int)ti.ndim);
        if (eo->e.rows > maxr)
            maxr = eo->e.rows;
        if (eo->e.cols > maxc)
            maxc = eo->e.cols;
    }
    size_t kmax = (size_t)(maxr < maxc ? maxr : maxc);
    sv = malloc(kmax * sizeof *sv);
    eta = malloc(kmax * sizeof *eta);
    if (!sv || !eta) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    rmtk_spectrum_params sp = rmtk_spectrum_params_default();
    /* pass 1: values only (cheap next to the vectors), so that the kept ranks are known
     * before the header: the factors' shapes and the provenance metadata */
    if ((st = rmtk_spectrum_plan_alloc(maxr, maxc, &sp, &plan))) {
        cli_error("cannot plan a %lld x %lld spectrum: %s", (long long)maxr, (long long)maxc,
                  rmtk_status_str(st));
        goto done;
    }
    for (size_t i = 0; i < c.ne; i++) {
        entry_out *eo = &c.ent[i];
        if (!eo->denoise)
            continue;
        if ((st = run_entry(&c, plan, eo, sv, NULL, NULL, eta)))
            goto done;
        if (!eo->ok)
            c.tp[eo->e.tensor].factored = 0; /* unchanged: written as it was */
        else
            c.tp[eo->e.tensor].rank = eo->res.kept;
    }
    rmtk_spectrum_plan_free(plan);
    plan = NULL;

    /* the header */
    if ((st = rmtk_safetensors_writer_alloc(c.out, &w)))
        goto done;
    for (size_t i = 0; i < rmtk_model_metadata_count(c.m); i++) {
        const char *k, *val;
        if (rmtk_model_metadata(c.m, i, &k, &val) == RMTK_OK &&
            (st = rmtk_safetensors_writer_metadata(w, k, val)))
            goto done;
    }
    for (size_t t = 0; t < c.nt; t++) {
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c.m, t, &ti);
        tensor_plan *tp = &c.tp[t];
        c.params_in += ti.numel;
        if (tp->action == ACT_DROP)
            continue;
        if (tp->factored) {
            char name[4096];
            int64_t su[2] = {ti.shape[0], tp->rank}, sv2[2] = {tp->rank, ti.shape[1]};
            snprintf(name, sizeof name, "%s.U", ti.name);
            if ((st = rmtk_safetensors_writer_add(w, name, ti.dtype, 2, su, &tp->out_u)))
                goto werr;
            snprintf(name, sizeof name, "%s.V", ti.name);
            if ((st = rmtk_safetensors_writer_add(w, name, ti.dtype, 2, sv2, &tp->out_v)))
                goto werr;
            c.params_out += (uint64_t)(tp->rank * (ti.shape[0] + ti.shape[1]));
            continue;
        }
        int dt = tp->action == ACT_F32 ? RMTK_DTYPE_F32 : ti.dtype;
        if ((st = rmtk_safetensors_writer_add(w, ti.name, dt, ti.ndim, ti.shape,
                                              &tp->out_index)))
            goto werr;
        c.params_out += ti.numel;
    }
    /* provenance */
    {
        char val[64];
        st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.method",
                                              rmtk_denoise_method_name(c.dp.method));
        if (!st)
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.rmtk_version",
                                                  rmtk_version());
        if (!st)
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.factored",
                                                  c.factored ? "true" : "false");
        if (!st && c.dp.method == RMTK_DENOISE_RANK) {
            snprintf(val, sizeof val, "%lld", (long long)c.dp.rank);
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.rank", val);
        }
        if (!st && c.dp.method == RMTK_DENOISE_ENERGY) {
            snprintf(val, sizeof val, "%.17g", c.dp.energy);
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.energy", val);
        }
        int mp_noise = c.dp.noise_from == RMTK_DENOISE_NOISE_MP && !(c.dp.noise > 0.0) &&
                       (c.dp.method == RMTK_DENOISE_GAVISH_DONOHO ||
                        c.dp.method == RMTK_DENOISE_SHRINK);
        if (!st && mp_noise)
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.noise", "mp");
        if (!st && (c.dp.method == RMTK_DENOISE_MP_EDGE || mp_noise)) {
            snprintf(val, sizeof val, "%.17g", c.dp.alpha);
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.alpha", val);
        }
        if (!st && c.dp.noise > 0.0) {
            snprintf(val, sizeof val, "%.17g", c.dp.noise);
            st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.noise", val);
        }
        if (st)
            goto werr;
    }
    /* the kept rank of every denoised matrix, as a JSON object {"name": rank} */
    {
        size_t cap = 256, n = 0;
        char *kept = malloc(cap);
        if (!kept) {
            st = RMTK_ERR_NOMEM;
            goto done;
        }
        n += (size_t)snprintf(kept, cap, "{");
        int first = 1;
        for (size_t i = 0; i < c.ne; i++) {
            entry_out *eo = &c.ent[i];
            if (!eo->denoise || !eo->ok)
                continue;
            size_t need = n + strlen(eo->e.name) * 6 + 48;
            if (need > cap) {
                char *nk = realloc(kept, cap = 2 * need);
                if (!nk) {
                    free(kept);
                    st = RMTK_ERR_NOMEM;
                    goto done;
                }
                kept = nk;
            }
            n += (size_t)snprintf(kept + n, cap - n, "%s\"", first ? "" : ",");
            for (const char *p = eo->e.name; *p; p++) {
                if (*p == '"' || *p == '\\')
                    kept[n++] = '\\';
                if ((unsigned char)*p < 0x20)
                    n += (size_t)snprintf(kept + n, cap - n, "\\u%04x", (unsigned)*p);
                else
                    kept[n++] = *p;
            }
            n += (size_t)snprintf(kept + n, cap - n, "\":%lld", (long long)eo->res.kept);
            first = 0;
        }
        snprintf(kept + n, cap - n, "}");
        st = rmtk_safetensors_writer_metadata(w, "rmtk.denoise.kept_rank", kept);
        free(kept);
        if (st)
            goto werr;
    }

    /* pass 2: spectra with vectors, reconstruct, write */
    sp.vectors = 1;
    if ((st = rmtk_spectrum_plan_alloc(maxr, maxc, &sp, &plan))) {
        cli_error("cannot plan a %lld x %lld spectrum with vectors: %s", (long long)maxr,
                  (long long)maxc, rmtk_status_str(st));
        goto done;
    }
    u = malloc((size_t)maxr * kmax * sizeof *u);
    vv = malloc((size_t)maxc * kmax * sizeof *vv);
    /* the dense matrix, or the two factors (rows r + r cols, up to k (rows + cols) doubles) */
    size_t nbuf = (size_t)maxr * (size_t)maxc;
    if (kmax * (size_t)(maxr + maxc) > nbuf)
        nbuf = kmax * (size_t)(maxr + maxc);
    buf = malloc(nbuf * sizeof *buf);
    if (!u || !vv || !buf) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    if ((st = rmtk_safetensors_writer_begin(w)))
        goto werr;
    for (size_t i = 0; i < c.ne; i++) {
        entry_out *eo = &c.ent[i];
        if (!eo->denoise)
            continue;
        tensor_plan *tp = &c.tp[eo->e.tensor];
        int64_t r0 = eo->ok ? eo->res.kept : -1;
        if ((st = run_entry(&c, plan, eo, sv, u, vv, eta)))
            goto done;
        if (eo->ok && r0 >= 0 && eo->res.kept != r0) {
            cli_error("%s: %s: kept rank changed between passes (%lld, %lld)", c.in, eo->e.name,
                      (long long)r0, (long long)eo->res.kept);
            st = RMTK_ERR_INTERNAL;
            goto done;
        }
        size_t rows = (size_t)eo->e.rows, cols = (size_t)eo->e.cols;
        if (tp->factored) {
            size_t r = 0;
            fa = buf;
            fb = buf + rows * (size_t)eo->res.kept;
            if ((st = rmtk_denoise_factors(eta, (size_t)eo->k, u, vv, eo->e.rows, eo->e.cols,
                                           fa, fb, &r)) ||
                (st = rmtk_safetensors_writer_put_f64(w, tp->out_u, 0, fa, rows * r)) ||
                (st = rmtk_safetensors_writer_put_f64(w, tp->out_v, 0, fb, r * cols)))
                goto werr;
            fa = fb = NULL;
            continue;
        }
        if (eo->ok) {
            if ((st = rmtk_denoise_reconstruct(eta, (size_t)eo->k, u, vv, eo->e.rows,
                                               eo->e.cols, buf)))
                goto done;
        } else {
            rmtk_matrix_view view;
            if ((st = rmtk_layers_view(c.m, &eo->e, &view)) ||
                (st = rmtk_matrix_to_double(view, buf))) {
                cli_error("%s", rmtk_model_errmsg(c.m));
                goto done;
            }
        }
        uint64_t off = eo->e.slice >= 0 ? (uint64_t)eo->e.slice * rows * cols : 0;
        if ((st = rmtk_safetensors_writer_put_f64(w, tp->out_index, off, buf, rows * cols)))
            goto werr;
    }
    /* the tensors that are copied */
    for (size_t t = 0; t < c.nt; t++) {
        tensor_plan *tp = &c.tp[t];
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(c.m, t, &ti);
        if (tp->action == ACT_RAW) {
            const void *data;
            if ((st = rmtk_model_map(c.m, t, &data))) {
                cli_error("%s", rmtk_model_errmsg(c.m));
                goto done;
            }
            if ((st = rmtk_safetensors_writer_put(w, tp->out_index, 0, data, ti.nbytes)))
                goto werr;
        } else if (tp->action == ACT_F32) {
            double *x = malloc((ti.numel ? ti.numel : 1) * sizeof *x);
            if (!x) {
                st = RMTK_ERR_NOMEM;
                goto done;
            }
            if ((st = rmtk_model_read_f64(c.m, t, x, ti.numel))) {
                free(x);
                cli_error("%s", rmtk_model_errmsg(c.m));
                goto done;
            }
            st = rmtk_safetensors_writer_put_f64(w, tp->out_index, 0, x, ti.numel);
            free(x);
            if (st)
                goto werr;
        }
    }
    if ((st = rmtk_safetensors_writer_commit(w)))
        goto werr;
    if (c.csv && (st = cli_write_atomic(c.csv, write_csv, &c)))
        goto done;
    if (c.json)
        print_json(&c);
    else
        print_table(&c);
    goto done;
werr:
    cli_error("%s", w ? rmtk_safetensors_writer_errmsg(w) : rmtk_status_str(st));
done:
    rmtk_safetensors_writer_free(w);
    rmtk_spectrum_plan_free(plan);
    free(sv);
    free(u);
    free(vv);
    free(eta);
    free(buf);
    free(c.ent);
    free(c.tp);
    rmtk_layers_free(c.l);
    rmtk_model_close(c.m);
    return st;
}
