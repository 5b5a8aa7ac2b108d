/*
 * cmd-spectrum.c: `rmtk spectrum FILE --tensor NAME` prints the singular values of one tensor's
 * matrix, largest first, one per line with 17 significant digits (exact round-trip).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: rmtk spectrum FILE --tensor NAME [--slice K] [--conv flatten|slices] "
               "[--exact]\n"
               "\n"
               "Print the singular values of tensor NAME, largest first, one per line (%%.17g).\n"
               "A 3-D tensor (or a 4-D kernel with --conv slices) holds several matrices: pick\n"
               "one with --slice K. --exact forces dgesdd instead of the Gram route.\n");
}

/* The singular values of a product entry (a PEFT LoRA pair, X = s L R) by the low-rank route
 * (rmtk_lowrank_execute): the factors converted one at a time (a model maps one tensor). */
static int factors_spectrum(rmtk_model *m, const char *file, const rmtk_matrix_entry *e)
{
    size_t k = (size_t)(e->rows < e->cols ? e->rows : e->cols);
    double *l = malloc(sizeof(double) * (size_t)e->rows * (size_t)e->inner);
    double *r = malloc(sizeof(double) * (size_t)e->inner * (size_t)e->cols);
    double *sv = malloc(sizeof(double) * k);
    rmtk_lowrank_plan *plan = NULL;
    rmtk_matrix_view lv, rv;
    int st = l && r && sv ? RMTK_OK : RMTK_ERR_NOMEM;
    if (!st && ((st = rmtk_layers_factor_view(m, e, 0, &lv)) ||
                (st = rmtk_matrix_to_double(lv, l)) ||
                (st = rmtk_layers_factor_view(m, e, 1, &rv)) ||
                (st = rmtk_matrix_to_double(rv, r))))
        cli_error("%s", rmtk_model_errmsg(m));
    if (!st && (st = rmtk_lowrank_plan_alloc(e->rows, e->cols, e->inner, 0, &plan)))
        cli_error("cannot plan the factors of '%s': %s", e->name, rmtk_status_str(st));
    if (!st) {
        rmtk_matrix_view ld = {l, e->rows, e->inner, e->inner, 1, RMTK_DTYPE_F64, 0, 0, 0};
        rmtk_matrix_view rd = {r, e->inner, e->cols, e->cols, 1, RMTK_DTYPE_F64, 0, 0, 0};
        double eps = rmtk_dtype_eps(lv.dtype) > rmtk_dtype_eps(rv.dtype) ? rmtk_dtype_eps(lv.dtype)
                                                                         : rmtk_dtype_eps(rv.dtype);
        if ((st = rmtk_lowrank_execute(plan, ld, rd, e->scale, eps, sv, NULL, NULL, NULL)))
            cli_error("%s: '%s': %s", file, e->name, rmtk_lowrank_errmsg(plan));
    }
    for (size_t i = 0; !st && i < k; i++)
        printf("%.17g\n", sv[i]);
    rmtk_lowrank_plan_free(plan);
    free(l);
    free(r);
    free(sv);
    return st;
}

int cmd_spectrum(int argc, char **argv)
{
    const char *file = NULL, *tensor = NULL, *v;
    int64_t slice = -1;
    rmtk_extract_params ep = rmtk_extract_params_default();
    ep.keep_tied = 1;          /* a tensor named: its own matrix */
    ep.fused = RMTK_FUSED_KEEP;
    rmtk_spectrum_params sp = rmtk_spectrum_params_default();
    int st;
    ep.min_side = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            usage(stdout);
            return 0;
        } else if (strcmp(a, "--tensor") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &tensor)))
                return st;
        } else if (strcmp(a, "--slice") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)) ||
                (st = cli_parse_i64(a, v, 0, INT64_MAX, &slice)))
                return st;
        } else if (strcmp(a, "--conv") == 0) {
            if ((st = cli_optarg(argc, argv, &i, &v)))
                return st;
            ep.conv_mode = strcmp(v, "slices") == 0 ? RMTK_CONV_SLICES : RMTK_CONV_FLATTEN;
        } else if (strcmp(a, "--exact") == 0) {
            sp.method = RMTK_SPECTRUM_SVD;
        } else if (a[0] == '-' && a[1] != '\0') {
            cli_unknown_option("spectrum", a, usage);
            return RMTK_ERR_ARG;
        } else if (!file) {
            file = a;
        } else {
            cli_error("spectrum: one FILE only");
            return RMTK_ERR_ARG;
        }
    }
    if (!file || !tensor) {
        cli_error("spectrum: %s is required (rmtk spectrum FILE --tensor NAME; rmtk describe "
                  "FILE lists the tensors)",
                  !file ? "FILE" : "--tensor NAME");
        return RMTK_ERR_ARG;
    }
    rmtk_model *m = NULL;
    rmtk_layers *l = NULL;
    rmtk_spectrum_plan *plan = NULL;
    double *sv = NULL;
    size_t ti;
    if ((st = rmtk_model_open(file, &m))) {
        cli_error("%s", m ? rmtk_model_errmsg(m) : rmtk_status_str(st));
        goto done;
    }
    if ((st = rmtk_model_find(m, tensor, &ti))) {
        cli_unknown_tensor(file, m, tensor);
        goto done;
    }
    if ((st = rmtk_layers_alloc(m, &ep, &l))) {
        cli_error("%s", rmtk_model_errmsg(m));
        goto done;
    }
    rmtk_matrix_entry e, pick;
    size_t found = 0;
    for (size_t i = 0; i < rmtk_layers_count(l); i++) {
        rmtk_layers_get(l, i, &e);
        if (e.tensor != ti)
            continue;
        if (e.skip != RMTK_SKIP_NONE) {
            cli_error("%s: tensor '%s' has no matrix: %s", file, tensor, e.reason);
            st = RMTK_ERR_ARG;
            goto done;
        }
        if (slice < 0 || e.slice == slice) {
            pick = e;
            found++;
        }
    }
    if (found != 1) {
        cli_error("%s: tensor '%s' %s", file, tensor,
                  found ? "holds several matrices: choose one with --slice K"
                        : "has no matrix with that --slice");
        st = RMTK_ERR_ARG;
        goto done;
    }
    if (pick.inner > 0) { /* a LoRA pair: the product's values from its factors */
        st = factors_spectrum(m, file, &pick);
        goto done;
    }
    rmtk_matrix_view view;
    if ((st = rmtk_layers_view(m, &pick, &view))) {
        cli_error("%s", rmtk_model_errmsg(m));
        goto done;
    }
    if ((st = rmtk_spectrum_plan_alloc(view.rows, view.cols, &sp, &plan))) {
        cli_error("cannot plan a %lld x %lld spectrum: %s", (long long)view.rows,
                  (long long)view.cols, rmtk_status_str(st));
        goto done;
    }
    size_t k = (size_t)(view.rows < view.cols ? view.rows : view.cols);
    sv = malloc(k * sizeof *sv);
    if (!sv) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    if ((st = rmtk_spectrum_execute(plan, view, sv, NULL, NULL, NULL))) {
        cli_error("%s: tensor '%s': %s", file, pick.name, rmtk_spectrum_errmsg(plan));
        goto done;
    }
    for (size_t i = 0; i < k; i++)
        printf("%.17g\n", sv[i]);
done:
    free(sv);
    rmtk_spectrum_plan_free(plan);
    rmtk_layers_free(l);
    rmtk_model_close(m);
    return st;
}
