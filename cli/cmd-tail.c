/*
 * cmd-tail.c: `rmtk tail FILE`, the heavy-tail fits of one 1-D data set (text, one number per
 * line; '#' starts a comment; blank lines are skipped). Non-positive values are excluded and
 * counted; a token that is not a number is an error naming the file and line. Prints the CSN
 * power-law fit with its bootstrap p-value, the likelihood-ratio tests, the WeightWatcher-
 * compatible fit and the Hill verdict, as a table or (--json) as one JSON object.
 */
#include "cli.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk tail FILE [--json] [--bootstrap R] [--seed N] [--threads N] [--xmax X]\n"
            "                 [--sv] [--tensor NAME [--slice K] [--entries]] [--progress]\n\n"
            "Heavy-tail fits of positive 1-D data: FILE (- for stdin) is text with one number\n"
            "per line ('#' comments and blank lines allowed), or a checkpoint (.safetensors,\n"
            "sharded index, .npy, .npz) with --tensor NAME (not needed when it holds one).\n"
            "A tensor of 2 or more dimensions is a matrix: its spectrum is fitted, lambda =\n"
            "sigma^2 of its singular values, as rmtk analyze does (3-D stacks: --slice K).\n"
            "A 1-D tensor, or any tensor with --entries, is fitted entry by entry. Values <= 0\n"
            "are excluded and counted.\n\n"
            "  --json         one JSON object on stdout (the CSN fit: \"csn\".alpha, .p_gof)\n"
            "  --bootstrap R  goodness-of-fit bootstrap replicas (default 1000; 0 = none)\n"
            "  --seed N       bootstrap seed (default 1, as rmtk analyze); results do not\n"
            "                 depend on --threads. analyze gives each matrix its own seed,\n"
            "                 derived from its --seed, recorded in report.json as\n"
            "                 matrices[i].seed: `rmtk tail FILE --tensor NAME --seed S`\n"
            "                 with it reproduces analyze's csn_p_gof\n"
            "  --threads N    bootstrap threads (default: all cores, as rmtk analyze)\n"
            "  --xmax X       drop values above X and fit the power law truncated at X\n"
            "  --sv           the text data are singular values: fit lambda = x^2\n"
            "                 (`rmtk spectrum FILE --tensor NAME | rmtk tail - --sv`)\n"
            "  --entries      fit a tensor's raw entries, not its matrix's spectrum\n"
            "  --slice K      the matrix K of a 3-D stack (or of --conv slices kernels)\n"
            "  --progress     stage lines on stderr (default: when stderr is a terminal);\n"
            "                 --quiet: none\n\n"
            "Exponents: CSN and WeightWatcher alpha are density exponents p(x) ~ x^-alpha of the\n"
            "data fitted; the Hill alpha is the CCDF exponent P(X > x) ~ x^-alpha (= density\n"
            "exponent - 1). For lambda = sigma^2: alpha_ccdf(lambda) = alpha_ccdf(sigma)/2.\n");
}

/* Stage lines on stderr ("rmtk: tail: ..."), when asked (a terminal, or --progress). */
static int show_progress;

static void stage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void stage(const char *fmt, ...)
{
    if (!show_progress)
        return;
    va_list ap;
    va_start(ap, fmt);
    fputs("rmtk: tail: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    fflush(stderr);
    va_end(ap);
}

/* The singular values of the matrix that tensor idx makes (layer extraction, as rmtk analyze;
 * slice picks one of a stack), largest first, into *x (malloc'ed). */
static int tensor_spectrum(const char *path, rmtk_model *m, size_t idx, int64_t slice, double **x,
                           size_t *n, char *what, size_t what_n)
{
    rmtk_extract_params ep = rmtk_extract_params_default();
    ep.keep_tied = 1; /* a tensor named: its own matrix */
    ep.fused = RMTK_FUSED_KEEP;
    ep.min_side = 1;
    rmtk_layers *l = NULL;
    double *sv = NULL;
    int st = rmtk_layers_alloc(m, &ep, &l);
    if (st) {
        cli_error("%s", rmtk_model_errmsg(m));
        return st;
    }
    rmtk_matrix_entry e, pick;
    size_t found = 0, count = 0;
    const char *skipped = NULL, *tname = "";
    for (size_t i = 0; i < rmtk_layers_count(l); i++) {
        rmtk_layers_get(l, i, &e);
        if (e.tensor != idx)
            continue;
        count++;
        tname = e.name;
        if (e.skip != RMTK_SKIP_NONE)
            skipped = e.reason;
        else if (slice < 0 || e.slice == slice) {
            pick = e;
            found++;
        }
    }
    if (found != 1) {
        if (skipped)
            cli_error("%s: tensor '%s' gives no matrix (%s); --entries fits its entries", path,
                      tname, skipped);
        else
            cli_error("%s: tensor '%s' %s (--entries fits all its entries)", path, tname,
                      found ? "holds several matrices: choose one with --slice K"
                            : count ? "has no matrix with that --slice" : "gives no matrix");
        st = RMTK_ERR_ARG;
        goto done;
    }
    stage("%s: a %lld x %lld matrix: computing its singular values", pick.name,
          (long long)pick.rows, (long long)pick.cols);
    if ((st = cli_matrix_spectrum(path, m, &pick, &sv, n)))
        goto done;
    snprintf(what, what_n,
             "lambda = sigma^2, the squared singular values of %s (%lld x %lld; --entries: its "
             "raw entries)",
             pick.name, (long long)pick.rows, (long long)pick.cols);
    *x = sv;
    sv = NULL;
done:
    free(sv);
    rmtk_layers_free(l);
    return st;
}

/* Read a tensor of a checkpoint file, keeping values > 0: a tensor of 2 or more dimensions as
 * the singular values of its matrix (*is_sv = 1) unless entries; otherwise its entries
 * flattened, converted to double. */
static int read_tensor(const char *path, const char *name, int entries, int64_t slice, double **x,
                       size_t *n, size_t *excluded, int *is_sv, char *what, size_t what_n)
{
    rmtk_model *m = NULL;
    int st = rmtk_model_open(path, &m);
    size_t idx = 0;
    rmtk_tensor_info ti;
    double *v = NULL;
    if (st) {
        cli_error("%s", m ? rmtk_model_errmsg(m) : rmtk_status_str(st));
        goto done;
    }
    if (name) {
        if ((st = rmtk_model_find(m, name, &idx))) {
            cli_unknown_tensor(path, m, name);
            goto done;
        }
    } else if (rmtk_model_tensor_count(m) != 1) {
        cli_error("%s holds %zu tensors: choose one with --tensor NAME (rmtk describe %s lists "
                  "them)",
                  path, rmtk_model_tensor_count(m), path);
        st = RMTK_ERR_ARG;
        goto done;
    }
    rmtk_model_tensor_info(m, idx, &ti);
    if (ti.ndim >= 2 && !entries) {
        st = tensor_spectrum(path, m, idx, slice, &v, n, what, what_n);
        if (!st) {
            *x = v;
            v = NULL;
            *excluded = 0;
            *is_sv = 1;
        }
        goto done;
    }
    stage("%s: reading %llu entries", ti.name, (unsigned long long)ti.numel);
    if ((st = cli_read_tensor_values(path, m, idx, &v, n, excluded)))
        goto done;
    snprintf(what, what_n, "the entries of %s as read", ti.name);
    *x = v;
    v = NULL;
done:
    free(v);
    rmtk_model_close(m);
    return st;
}

static const char *alt_names[4] = {"exponential", "lognormal", "stretched_exponential",
                                   "truncated_power_law"};

int cmd_tail(int argc, char **argv)
{
    const char *path = NULL, *tensor = NULL;
    int json = 0, sv = 0, entries = 0, progress = -1, is_sv = 0;
    int64_t slice = -1;
    char what[512] = "";
    rmtk_powerlaw_params pp = rmtk_powerlaw_params_default();
    /* The defaults of rmtk analyze: its seed, every core. */
    pp.seed = rmtk_analysis_params_default().seed;
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    pp.threads = (uint32_t)(cores > 0 ? cores : 1);
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        int64_t iv;
        if (cli_is_help(a)) {
            usage(stdout);
            return RMTK_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--tensor") == 0) {
            if (cli_optarg(argc, argv, &i, &tensor))
                return RMTK_ERR_ARG;
        } else if (strcmp(a, "--sv") == 0) {
            sv = 1;
        } else if (strcmp(a, "--entries") == 0) {
            entries = 1;
        } else if (strcmp(a, "--progress") == 0) {
            progress = 1;
        } else if (strcmp(a, "--quiet") == 0) {
            progress = 0;
        } else if (strcmp(a, "--slice") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64(a, val, 0, INT64_MAX, &slice))
                return RMTK_ERR_ARG;
        } else if (strcmp(a, "--bootstrap") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64(a, val, 0, 100000000, &iv))
                return RMTK_ERR_ARG;
            pp.bootstrap = (uint64_t)iv;
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_u64(a, val, &pp.seed))
                return RMTK_ERR_ARG;
        } else if (strcmp(a, "--threads") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64(a, val, 1, 1024, &iv))
                return RMTK_ERR_ARG;
            pp.threads = (uint32_t)iv;
        } else if (strcmp(a, "--xmax") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_double(a, val, &pp.xmax))
                return RMTK_ERR_ARG;
            if (!(pp.xmax > 0.0) || isinf(pp.xmax)) {
                cli_error("--xmax: must be a positive finite number");
                return RMTK_ERR_ARG;
            }
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("tail", a, usage);
            return RMTK_ERR_ARG;
        } else if (!path) {
            path = a;
        } else {
            cli_error("tail: one FILE only ('%s')", a);
            return RMTK_ERR_ARG;
        }
    }
    if (!path) {
        cli_error("tail: FILE is required (a text file of numbers, or a checkpoint with "
                  "--tensor NAME; rmtk tail --help)");
        return RMTK_ERR_ARG;
    }
    double *x = NULL;
    size_t n = 0, excluded = 0;
    show_progress = progress < 0 ? isatty(2) : progress;
    int st = (cli_has_suffix(path, ".npy") || cli_has_suffix(path, ".npz") ||
              cli_has_suffix(path, ".safetensors") || cli_has_suffix(path, ".json") || tensor)
                 ? read_tensor(path, tensor, entries, slice, &x, &n, &excluded, &is_sv, what,
                               sizeof what)
                 : cli_read_numbers(path, &x, &n, &excluded);
    if (st != RMTK_OK)
        return st;
    if (is_sv && sv) {
        cli_error("tail: --sv: %s is a matrix, whose singular values are fitted already as "
                  "lambda = sigma^2; drop --sv (or add --entries for its raw entries)",
                  tensor ? tensor : path);
        free(x);
        return RMTK_ERR_ARG;
    }
    if (sv || is_sv)
        for (size_t i = 0; i < n; i++)
            x[i] *= x[i];
    /* Up-front estimate: one CSN fit costs about 0.3 s CPU at n = 1e5, growing as
     * n log^2 n (rmtk.h, rmtk_powerlaw_fit_run); the p-value refits bootstrap + 1 times. */
    double lg = log((double)(n > 2 ? n : 2)) / log(1e5);
    double est = 0.3 * ((double)n / 1e5) * lg * lg * (double)(pp.bootstrap + 1) /
                 (double)(pp.threads ? pp.threads : 1);
    if (est > 30 && progress != 0)
        fprintf(stderr,
                "rmtk: tail: %zu values, %llu bootstrap replicas on %u threads: about %.0f min "
                "(--bootstrap 0 skips the p-value%s)\n",
                n, (unsigned long long)pp.bootstrap, (unsigned)pp.threads, est / 60,
                entries ? "; without --entries a matrix fits its spectrum" : "");
    stage("fitting the power law to %zu values (%llu bootstrap replicas on %u threads)", n,
          (unsigned long long)pp.bootstrap, (unsigned)pp.threads);
    if (n < 2) {
        cli_error("%s: %zu positive values: need at least 2", path, n);
        free(x);
        return RMTK_ERR_NUMERIC;
    }
    rmtk_powerlaw_fit fit;
    st = rmtk_powerlaw_fit_run(x, n, &pp, &fit, NULL, NULL, NULL, 0, NULL);
    if (st != RMTK_OK && st != RMTK_ERR_NUMERIC) {
        cli_error("power-law fit: %s", rmtk_status_str(st));
        free(x);
        return st;
    }
    rmtk_lr_test lr[4];
    for (int a = 0; a < 4; a++) {
        memset(&lr[a], 0, sizeof lr[a]);
        lr[a].r = lr[a].r_norm = lr[a].p = lr[a].params[0] = lr[a].params[1] = NAN;
        lr[a].reason = fit.reason;
        if (fit.reason == RMTK_TAIL_OK) {
            int s2 = rmtk_powerlaw_compare(x, n, &fit, a, &lr[a]);
            if (s2 != RMTK_OK && s2 != RMTK_ERR_NUMERIC) {
                cli_error("likelihood-ratio test: %s", rmtk_status_str(s2));
                free(x);
                return s2;
            }
        }
    }
    rmtk_ww_fit ww;
    int sw = rmtk_ww_fit_run(x, n, &ww);
    rmtk_hill_plateau hill;
    int sh = rmtk_hill_plateau_find(x, n, NULL, &hill);
    if ((sw != RMTK_OK && sw != RMTK_ERR_NUMERIC) || sh != RMTK_OK) {
        cli_error("%s", rmtk_status_str(sw != RMTK_OK && sw != RMTK_ERR_NUMERIC ? sw : sh));
        free(x);
        return sw != RMTK_OK && sw != RMTK_ERR_NUMERIC ? sw : sh;
    }
    const char *data = is_sv ? what
                       : sv  ? "lambda = x^2 (x read as singular values)"
                       : *what ? what
                               : "x as read";
    FILE *o = stdout;
    if (json) {
        fprintf(o, "{\"input\": {\"file\": ");
        cli_json_string(o, path);
        fprintf(o, ", \"n\": %zu, \"excluded_nonpositive\": %zu, \"data\": ", n, excluded);
        cli_json_string(o, data);
        fprintf(o, "},\n \"csn\": {\"exponent\": \"density\", \"reason\": ");
        cli_json_string(o, rmtk_tail_reason_str(fit.reason));
        fprintf(o, ", \"alpha\": ");
        cli_json_number(o, fit.alpha);
        fprintf(o, ", \"alpha_err\": ");
        cli_json_number(o, fit.alpha_err);
        fprintf(o, ", \"xmin\": ");
        cli_json_number(o, fit.xmin);
        fprintf(o, ", \"xmax\": ");
        cli_json_number(o, fit.xmax);
        fprintf(o, ", \"ks_d\": ");
        cli_json_number(o, fit.ks_d);
        fprintf(o, ", \"n_tail\": %llu, \"n_candidates\": %llu, \"p_gof\": ",
                (unsigned long long)fit.n_tail, (unsigned long long)fit.n_candidates);
        cli_json_number(o, fit.p_gof);
        fprintf(o, ", \"plausible\": %s, \"bootstrap\": %llu, \"replicas_ok\": %llu, "
                   "\"seed\": %llu},\n \"lr\": {",
                fit.plausible ? "true" : "false", (unsigned long long)pp.bootstrap,
                (unsigned long long)fit.replicas_ok, (unsigned long long)pp.seed);
        for (int a = 0; a < 4; a++) {
            fprintf(o, "%s\"%s\": {\"reason\": ", a ? ", " : "", alt_names[a]);
            cli_json_string(o, rmtk_tail_reason_str(lr[a].reason));
            fprintf(o, ", \"R\": ");
            cli_json_number(o, lr[a].r);
            fprintf(o, ", \"R_norm\": ");
            cli_json_number(o, lr[a].r_norm);
            fprintf(o, ", \"p\": ");
            cli_json_number(o, lr[a].p);
            fprintf(o, ", \"nested\": %s, \"params\": [", lr[a].nested ? "true" : "false");
            cli_json_number(o, lr[a].params[0]);
            fprintf(o, ", ");
            cli_json_number(o, lr[a].params[1]);
            fprintf(o, "]}");
        }
        fprintf(o, "},\n \"ww\": {\"exponent\": \"density\", \"reason\": ");
        cli_json_string(o, rmtk_tail_reason_str(ww.reason));
        fprintf(o, ", \"alpha\": ");
        cli_json_number(o, ww.alpha);
        fprintf(o, ", \"alpha_err\": ");
        cli_json_number(o, ww.alpha_err);
        fprintf(o, ", \"alpha_weighted\": ");
        cli_json_number(o, ww.alpha_weighted);
        fprintf(o, ", \"log_alpha_norm\": ");
        cli_json_number(o, ww.log_alpha_norm);
        fprintf(o, ", \"xmin\": ");
        cli_json_number(o, ww.xmin);
        fprintf(o, ", \"ks_d\": ");
        cli_json_number(o, ww.ks_d);
        fprintf(o, ", \"num_pl_spikes\": %llu, \"n_kept\": %llu},\n",
                (unsigned long long)ww.num_pl_spikes, (unsigned long long)ww.n_kept);
        fprintf(o, " \"hill\": {\"exponent\": \"ccdf\", \"defined\": %s, \"reason\": ",
                hill.defined ? "true" : "false");
        cli_json_string(o, rmtk_tail_reason_str(hill.reason));
        fprintf(o, ", \"alpha\": ");
        cli_json_number(o, hill.alpha);
        fprintf(o, ", \"alpha_err\": ");
        cli_json_number(o, hill.alpha_err);
        fprintf(o, ", \"k1\": %llu, \"k2\": %llu}}\n", (unsigned long long)hill.k1,
                (unsigned long long)hill.k2);
    } else {
        fprintf(o, "%s: %zu positive values (%zu non-positive excluded); fitted: %s\n\n", path, n,
                excluded, data);
        fprintf(o, "Power law, Clauset-Shalizi-Newman (density exponent, p(x) ~ x^-alpha)\n");
        if (fit.reason == RMTK_TAIL_OK) {
            fprintf(o, "  alpha    %.6g +- %.3g\n  xmin     %.6g   (n_tail %llu of %llu, %llu "
                       "candidates)\n  KS D     %.5g\n",
                    fit.alpha, fit.alpha_err, fit.xmin, (unsigned long long)fit.n_tail,
                    (unsigned long long)fit.n, (unsigned long long)fit.n_candidates, fit.ks_d);
            if (isfinite(fit.xmax))
                fprintf(o, "  xmax     %.6g (truncated model)\n", fit.xmax);
            if (pp.bootstrap > 0)
                fprintf(o, "  p (GoF)  %.4g   (%llu replicas, seed %llu): %s\n", fit.p_gof,
                        (unsigned long long)fit.replicas_ok, (unsigned long long)pp.seed,
                        fit.plausible ? "power law plausible (p >= 0.1)"
                                      : "power law rejected (p < 0.1)");
            fprintf(o, "\nLikelihood ratio vs alternatives (R > 0 favours the power law)\n");
            fprintf(o, "  %-22s %12s %10s %10s\n", "alternative", "R", "R_norm", "p");
            for (int a = 0; a < 4; a++) {
                if (lr[a].reason != RMTK_TAIL_OK) {
                    fprintf(o, "  %-22s %s\n", alt_names[a], rmtk_tail_reason_str(lr[a].reason));
                    continue;
                }
                fprintf(o, "  %-22s %12.5g %10.4g %10.4g%s\n", alt_names[a], lr[a].r,
                        lr[a].r_norm, lr[a].p, lr[a].nested ? "  (nested, chi2_1)" : "");
            }
        } else {
            fprintf(o, "  no fit: %s\n", rmtk_tail_reason_str(fit.reason));
        }
        fprintf(o, "\nWeightWatcher-compatible fit (data taken as eigenvalues; <= 1e-5 dropped)\n");
        if (ww.reason == RMTK_TAIL_OK)
            fprintf(o, "  alpha %.6g +- %.3g, xmin %.6g, D %.5g, num_pl_spikes %llu,\n"
                       "  alpha_weighted %.6g, log_alpha_norm %.6g\n",
                    ww.alpha, ww.alpha_err, ww.xmin, ww.ks_d,
                    (unsigned long long)ww.num_pl_spikes, ww.alpha_weighted, ww.log_alpha_norm);
        else
            fprintf(o, "  no fit: %s\n", rmtk_tail_reason_str(ww.reason));
        fprintf(o, "\nHill plateau (CCDF exponent, P(X > x) ~ x^-alpha)\n");
        if (hill.defined)
            fprintf(o, "  tail index defined: alpha = %.5g +- %.3g over k in [%llu, %llu]\n",
                    hill.alpha, hill.alpha_err, (unsigned long long)hill.k1,
                    (unsigned long long)hill.k2);
        else
            fprintf(o, "  tail index not defined (%s)\n", rmtk_tail_reason_str(hill.reason));
    }
    free(x);
    return RMTK_OK;
}
