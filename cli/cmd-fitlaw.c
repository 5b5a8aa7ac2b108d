/*
 * cmd-fitlaw.c: `rmtk fitlaw FILE`, law selection for one spectrum (rmtk_fitlaw;
 * docs/methods/laws.md). FILE is a checkpoint with --tensor NAME (a matrix: its spectrum
 * lambda = sigma^2 / max(N, M), the null part and the Tracy-Widom outliers of the robust MP fit
 * set aside, as rmtk analyze --stats laws does) or 1-D data: a .npy / 1-D tensor, or text with
 * one number per line, taken as eigenvalues (--sv: singular values, squared). Prints every
 * candidate with its parameters, KS distance and bootstrap p-value, L1, log-likelihood, BIC,
 * and the best law; --json: one JSON object.
 */
#include "cli.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk fitlaw FILE [--tensor NAME [--slice K]] [--shape N,M] [--sv] [--sparse]\n"
            "                   [--max-L L] [--no-mpsc] [--bootstrap R] [--seed N] [--json]\n\n"
            "Which limiting law describes the bulk of one spectrum: Marchenko-Pastur, the\n"
            "product of L = 2..6 Wishart matrices (Fuss-Catalan when square), MP free-plus\n"
            "semicircle; each fitted with a free scale by minimum Cramer-von Mises distance,\n"
            "judged by KS with a parametric-bootstrap p-value, L1 and BIC\n"
            "(docs/methods/laws.md).\n\n"
            "FILE: a checkpoint (.safetensors, .npy, .npz, ...) with --tensor NAME (not needed\n"
            "when it holds one tensor). A matrix (2 or more dims) is fitted as rmtk analyze\n"
            "--stats laws does: lambda = sigma^2 / max(N, M), its null part and its Tracy-Widom\n"
            "outliers (robust MP fit) set aside. A 1-D tensor or a text file (one number per\n"
            "line, '#' comments) is a list of eigenvalues; values <= 0 count as the zero atom.\n\n"
            "  --shape N,M    1-D data: the Gram matrix is min x max of N, M (default: square,\n"
            "                 N = M = the number of positive values)\n"
            "  --sv           1-D data are singular values: fit lambda = x^2\n"
            "  --max-L L      products of up to L factors (1..6, default 6)\n"
            "  --no-mpsc      leave out MP free-plus semicircle\n"
            "  --sparse       add the sparse percolated Wishart (mean degree c), by matched\n"
            "                 simulation (8 samples of 300 x 300 max(N,M)/min(N,M) per c)\n"
            "  --bootstrap R  replicas of the KS p-value and standard errors (default 39)\n"
            "  --seed N       bootstrap seed (default 1)\n"
            "  --json         one JSON object on stdout\n");
}

/* A tensor: a matrix's singular values (*rows, *cols set) or a 1-D tensor's entries
 * (*rows = 0). */
static int read_tensor(const char *path, const char *name, int64_t slice, double **x, size_t *n,
                       int64_t *rows, int64_t *cols, char *what, size_t what_n)
{
    rmtk_model *m = NULL;
    rmtk_layers *l = NULL;
    double *v = NULL;
    size_t idx = 0;
    int st = rmtk_model_open(path, &m);
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
        cli_error("%s holds %zu tensors: choose one with --tensor NAME", path,
                  rmtk_model_tensor_count(m));
        st = RMTK_ERR_ARG;
        goto done;
    }
    rmtk_tensor_info ti;
    rmtk_model_tensor_info(m, idx, &ti);
    if (ti.ndim < 2) {
        if ((st = cli_read_tensor_values(path, m, idx, &v, n, NULL)))
            goto done;
        *rows = 0;
        snprintf(what, what_n, "the entries of %s (eigenvalues)", ti.name);
        goto ok;
    }
    rmtk_extract_params ep = rmtk_extract_params_default();
    ep.min_side = 1;
    if ((st = rmtk_layers_alloc(m, &ep, &l))) {
        cli_error("%s", rmtk_model_errmsg(m));
        goto done;
    }
    rmtk_matrix_entry e, pick;
    size_t found = 0;
    for (size_t i = 0; i < rmtk_layers_count(l); i++) {
        rmtk_layers_get(l, i, &e);
        if (e.tensor == idx && e.skip == RMTK_SKIP_NONE && (slice < 0 || e.slice == slice)) {
            pick = e;
            found++;
        }
    }
    if (found != 1) {
        cli_error("%s: tensor '%s' %s", path, ti.name,
                  found ? "holds several matrices: choose one with --slice K"
                        : "gives no matrix (rmtk describe says why)");
        st = RMTK_ERR_ARG;
        goto done;
    }
    if ((st = cli_matrix_spectrum(path, m, &pick, &v, n)))
        goto done;
    *rows = pick.rows;
    *cols = pick.cols;
    snprintf(what, what_n, "lambda = sigma^2 / max(N, M) of %s (%lld x %lld)", pick.name,
             (long long)pick.rows, (long long)pick.cols);
ok:
    *x = v;
    v = NULL;
done:
    free(v);
    rmtk_layers_free(l);
    rmtk_model_close(m);
    return st;
}

int cmd_fitlaw(int argc, char **argv)
{
    const char *path = NULL, *tensor = NULL;
    int json = 0, sv = 0;
    int64_t slice = -1, shape[2] = {0, 0};
    rmtk_fitlaw_params fp = rmtk_fitlaw_params_default();
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *val;
        int64_t iv;
        if (cli_is_help(a)) {
            usage(stdout);
            return RMTK_OK;
        } else if (strcmp(a, "--json") == 0) {
            json = 1;
        } else if (strcmp(a, "--sv") == 0) {
            sv = 1;
        } else if (strcmp(a, "--no-mpsc") == 0) {
            fp.mp_semicircle = 0;
        } else if (strcmp(a, "--sparse") == 0) {
            fp.sparse = 1;
        } else if (strcmp(a, "--tensor") == 0) {
            if (cli_optarg(argc, argv, &i, &tensor))
                return RMTK_ERR_ARG;
        } else if (strcmp(a, "--slice") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64(a, val, 0, INT64_MAX, &slice))
                return RMTK_ERR_ARG;
        } else if (strcmp(a, "--shape") == 0) {
            size_t ns = 0;
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64_list(a, val, shape, 2, &ns))
                return RMTK_ERR_ARG;
            if (ns != 2 || shape[0] < 1 || shape[1] < 1) {
                cli_error("--shape: two positive integers N,M");
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(a, "--max-L") == 0) {
            if (cli_optarg(argc, argv, &i, &val) ||
                cli_parse_i64(a, val, 1, RMTK_FITLAW_MAX_L, &iv))
                return RMTK_ERR_ARG;
            fp.max_L = (int32_t)iv;
        } else if (strcmp(a, "--bootstrap") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_i64(a, val, 0, 100000, &iv))
                return RMTK_ERR_ARG;
            fp.bootstrap = (int32_t)iv;
        } else if (strcmp(a, "--seed") == 0) {
            if (cli_optarg(argc, argv, &i, &val) || cli_parse_u64(a, val, &fp.seed))
                return RMTK_ERR_ARG;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("fitlaw", a, usage);
            return RMTK_ERR_ARG;
        } else if (!path) {
            path = a;
        } else {
            cli_error("fitlaw: one FILE only ('%s')", a);
            return RMTK_ERR_ARG;
        }
    }
    if (!path) {
        cli_error("fitlaw: FILE is required (rmtk fitlaw --help)");
        return RMTK_ERR_ARG;
    }
    double *x = NULL;
    size_t n = 0;
    int64_t rows = 0, cols = 0;
    char what[512] = "the values of the text file (eigenvalues)";
    int is_tensor = tensor || cli_has_suffix(path, ".npy") || cli_has_suffix(path, ".npz") ||
                    cli_has_suffix(path, ".safetensors") || cli_has_suffix(path, ".json") ||
                    cli_has_suffix(path, ".gguf") || cli_has_suffix(path, ".pt") ||
                    cli_has_suffix(path, ".onnx");
    int st = is_tensor ? read_tensor(path, tensor, slice, &x, &n, &rows, &cols, what, sizeof what)
                       : cli_read_numbers(path, &x, &n, NULL);
    if (st)
        return st;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) {
            cli_error("%s: value %zu is not finite", path, i);
            free(x);
            return RMTK_ERR_FORMAT;
        }
    int64_t big = 0, rtot = 0;
    size_t n_out = 0, n_null = 0, nfit = n;
    double atom = 0;
    if (rows > 0) {
        /* a matrix: null part below sigma_1 max(N, M) eps_F64 (numpy's matrix_rank rule; rmtk
         * analyze also allows for the stored dtype's rounding), outliers by the robust MP fit */
        int64_t bg = rows > cols ? rows : cols;
        double tol = (n ? x[0] : 0) * (double)bg * DBL_EPSILON;
        size_t r = 0;
        while (r < n && x[r] > tol)
            r++;
        n_null = n - r;
        rmtk_mp_params mp = rmtk_mp_params_default();
        rmtk_mp_robust_fit fit;
        if (r >= 3 && rmtk_mp_fit_robust(x, r, bg, (int64_t)r, &mp, &fit) == RMTK_OK)
            n_out = (size_t)fit.n_excluded;
        nfit = r - n_out;
        for (size_t i = 0; i < nfit; i++)
            x[i] = x[n_out + i] * x[n_out + i] / (double)bg;
        big = bg - (int64_t)n_out;
        rtot = (int64_t)nfit;
        atom = 1.0 - (double)r / (double)cols;
    } else {
        size_t pos = 0;
        for (size_t i = 0; i < n; i++) {
            if (sv)
                x[i] *= x[i];
            pos += x[i] > 0;
        }
        atom = n ? 1.0 - (double)pos / (double)n : 0;
        if (shape[0] > 0) {
            big = shape[0] > shape[1] ? shape[0] : shape[1];
            int64_t sm = shape[0] < shape[1] ? shape[0] : shape[1];
            rtot = (int64_t)pos;
            if (rtot > sm || rtot > big) {
                cli_error("--shape %lld,%lld: %zu positive values exceed the smaller side",
                          (long long)shape[0], (long long)shape[1], pos);
                free(x);
                return RMTK_ERR_ARG;
            }
        }
    }
    rmtk_fitlaw_result res;
    st = rmtk_fitlaw(x, nfit, big, rtot, &fp, &res);
    free(x);
    if (st) {
        cli_error("fitlaw: %s: %s (at least 20 positive values are needed)", path,
                  rmtk_status_str(st));
        return st;
    }
    char verdict[512];
    rmtk_fitlaw_verdict(&res, verdict, sizeof verdict);
    if (json) {
        printf("{\"data\": ");
        cli_json_string(stdout, what);
        printf(", \"n\": %zu, \"n_outliers\": %zu, \"n_null\": %zu, \"zero_atom\": ", res.n,
               n_out, n_null);
        cli_json_number(stdout, atom);
        printf(", \"best\": ");
        cli_json_string(stdout, res.best >= 0 ? res.cand[res.best].name : "");
        printf(", \"best_code\": %d, \"delta_bic\": ", res.best_code);
        cli_json_number(stdout, res.delta_bic);
        printf(", \"verdict\": ");
        cli_json_string(stdout, verdict);
        printf(", \"candidates\": [");
        for (size_t c = 0; c < res.n_cand; c++) {
            const rmtk_fitlaw_candidate *d = &res.cand[c];
            printf("%s{\"name\": ", c ? ", " : "");
            cli_json_string(stdout, d->name);
            printf(", \"code\": %d, \"status\": ", d->code);
            cli_json_string(stdout, d->status ? rmtk_status_str(d->status) : "ok");
            printf(", \"n_params\": %d", d->n_params);
            const char *keys[] = {"scale", "scale_err", "shape", "shape_err", "atom", "cvm",
                                  "ks", "ks_p", "l1", "loglik", "aic", "bic"};
            double vals[] = {d->scale, d->scale_se, d->shape, d->shape_se, d->atom, d->cvm,
                             d->ks, d->ks_p, d->l1, d->loglik, d->aic, d->bic};
            for (size_t k = 0; k < sizeof vals / sizeof vals[0]; k++) {
                printf(", \"%s\": ", keys[k]);
                cli_json_number(stdout, vals[k]);
            }
            printf("}");
        }
        printf("]}\n");
        return RMTK_OK;
    }
    printf("data: %s\n", what);
    printf("bulk: %zu values fitted (%zu outliers and %zu null values set aside; zero atom "
           "%.4g)\n\n",
           res.n, n_out, n_null, atom);
    printf("%-20s %4s %-22s %-16s %8s %6s %7s %12s %10s\n", "law", "k", "scale", "shape", "KS",
           "p", "L1", "logL", "dBIC");
    for (size_t c = 0; c < res.n_cand; c++) {
        const rmtk_fitlaw_candidate *d = &res.cand[c];
        if (d->status) {
            printf("%-20s failed: %s\n", d->name, rmtk_status_str(d->status));
            continue;
        }
        char sc[64], sh[64] = "-";
        snprintf(sc, sizeof sc, "%.5g +- %.2g", d->scale, d->scale_se);
        if (isfinite(d->shape))
            snprintf(sh, sizeof sh, "%.3g +- %.2g", d->shape, d->shape_se);
        printf("%-20s %4d %-22s %-16s %8.4f %6.3f %7.4f %12.2f %10.2f%s\n", d->name, d->n_params,
               sc, sh, d->ks, d->ks_p, d->l1, d->loglik,
               res.best >= 0 ? d->bic - res.cand[res.best].bic : NAN,
               (int)c == res.best ? "  <- best" : "");
    }
    printf("\n%s\n", verdict);
    return RMTK_OK;
}
