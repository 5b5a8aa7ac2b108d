/*
 * cmd-simulate.c: `rmtk simulate ENSEMBLE`: draw K seeded samples of a random-matrix ensemble,
 * pool their spectra and print moments, the zero atom and a histogram; with --theory, overlay
 * the matching limiting law and report the KS distance (ECDF vs theory CDF), the L1 distance
 * between densities and the moment errors.
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk simulate ENSEMBLE [OPTIONS]\n"
            "Seeded samples of a random-matrix ensemble: moments, zero atom, histogram.\n\n"
            "ensembles:\n"
            "  goe, gue                 --n N --sigma2 S\n"
            "  wishart, wishart-complex --dims N,M --sigma2 S   (eigenvalues of W^T W / N)\n"
            "  wishart-product          --dims N0,...,NL        (eigenvalues of P P^T)\n"
            "  wigner-product           --n N --k K             ((W1..Wk)(W1..Wk)^T)\n"
            "  percolated-wigner        --n N --p P | --c C     (Bernoulli mask; sparse p = C/N)\n"
            "  percolated-wishart       --dims N,M --p P | --c C (sparse p = C/M)\n"
            "  spiked                   --dims n,m --rank R --theta T (singular values)\n"
            "  jacobian                 --widths n0,...,nL --activation A --weight-law W\n"
            "                           --sigma-w2 S --sigma-b2 B --q0 Q [--coupled|--decoupled]\n"
            "                           [--student-nu NU] [--weight-density RHO]\n\n"
            "options:\n"
            "  --samples K (default 1)  --seed N (default 1)  --bins B (default 40)\n"
            "  --eps E      zero atom: |v| < E max(1, max|v|) (default 1e-8)\n"
            "  --theory     compare with the limiting law (KS, L1, moment errors)\n"
            "  --stats LIST --analysis-out DIR\n"
            "               run the statistics of rmtk analyze (basic, mp, levels, tails; all)\n"
            "               on every sample as a matrix and write DIR/summary.csv and\n"
            "               DIR/report.json, one row per sample, to compare with real layers\n"
            "               line by line (rectangular ensembles: wishart*, products,\n"
            "               percolated-wishart, spiked, jacobian)\n"
            "  --json       JSON output;  --out FILE.csv  write the histogram (atomically)\n"
            "  --plot PREFIX  draw the histogram (with --theory: the limiting density and the\n"
            "               zero atom, simulated and theory) to PREFIX.svg and PREFIX.png, its\n"
            "               data to PREFIX.csv;  --format LIST  svg, png, pdf (default svg,png)\n");
}

static const struct {
    const char *name;
    int32_t kind;
} ensembles[] = {{"goe", RMTK_ENS_GOE},
                 {"gue", RMTK_ENS_GUE},
                 {"wishart", RMTK_ENS_WISHART},
                 {"wishart-complex", RMTK_ENS_WISHART_COMPLEX},
                 {"wishart-product", RMTK_ENS_WISHART_PRODUCT},
                 {"wigner-product", RMTK_ENS_WIGNER_PRODUCT},
                 {"percolated-wigner", RMTK_ENS_PERCOLATED_WIGNER},
                 {"percolated-wishart", RMTK_ENS_PERCOLATED_WISHART},
                 {"spiked", RMTK_ENS_SPIKED},
                 {"jacobian", RMTK_ENS_JACOBIAN}};

typedef struct {
    const double *lo, *dens, *th;
    double w;
    size_t nb;
} hist_ctx;

static int write_hist(FILE *f, const void *vctx)
{
    const hist_ctx *h = vctx;
    fprintf(f, "bin_lo,bin_hi,density%s\n", h->th ? ",theory" : "");
    for (size_t b = 0; b < h->nb; b++) {
        fprintf(f, "%.17g,%.17g,%.17g", h->lo[b], h->lo[b] + h->w, h->dens[b]);
        if (h->th)
            fprintf(f, ",%.17g", h->th[b]);
        fputc('\n', f);
    }
    return ferror(f) ? RMTK_ERR_IO : RMTK_OK;
}

/*
 * The matrix whose singular values a sample gives, so that rmtk analyze's statistics apply:
 * Wishart-type ensembles give the eigenvalues of W^T W / N, i.e. sigma_i = sqrt(N lambda_i) of
 * W (N x M, entry variance sigma2: mp_sigma2 estimates sigma2); products and Jacobians the
 * eigenvalues of P P^T, i.e. the squared singular values of P (N_L x N_0); SPIKED its singular
 * values. Symmetric ensembles (GOE, GUE, percolated Wigner) are not singular-value spectra.
 */
static int sample_matrix_shape(const rmtk_ensemble_params *ep, int64_t *rows, int64_t *cols,
                               double *scale, int *singular)
{
    *scale = 1.0;
    *singular = 0;
    switch (ep->ensemble) {
    case RMTK_ENS_WISHART:
    case RMTK_ENS_WISHART_COMPLEX:
    case RMTK_ENS_PERCOLATED_WISHART:
        *rows = ep->dims[0];
        *cols = ep->dims[1];
        *scale = (double)ep->dims[0];
        return RMTK_OK;
    case RMTK_ENS_WISHART_PRODUCT:
    case RMTK_ENS_JACOBIAN:
        *rows = ep->dims[ep->n_dims - 1];
        *cols = ep->dims[0];
        return RMTK_OK;
    case RMTK_ENS_WIGNER_PRODUCT:
        *rows = *cols = ep->n;
        return RMTK_OK;
    case RMTK_ENS_SPIKED:
        *rows = ep->dims[0];
        *cols = ep->dims[1];
        *singular = 1;
        return RMTK_OK;
    default:
        return RMTK_ERR_UNSUPPORTED;
    }
}

/* dir: the staging folder of --analysis-out (cli_outdir_prepare), committed by the caller. */
static int analyze_samples(const char *name, const rmtk_ensemble_params *ep, const double *v,
                           size_t n, uint64_t samples, uint32_t stats, const char *dir)
{
    int64_t rows, cols;
    double scale;
    int singular;
    if (sample_matrix_shape(ep, &rows, &cols, &scale, &singular)) {
        cli_error("simulate %s --stats: a symmetric ensemble has eigenvalues, not the singular "
                  "values of a weight matrix; use a rectangular ensemble",
                  name);
        return RMTK_ERR_UNSUPPORTED;
    }
    size_t k = (size_t)(rows < cols ? rows : cols);
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = stats & ~(uint32_t)(RMTK_STATS_VECTORS | RMTK_STATS_NULL);
    p.seed = ep->seed;
    rmtk_analysis *a = NULL;
    double *sv = malloc(k * sizeof *sv);
    int st = sv ? rmtk_analysis_alloc(&p, &a) : RMTK_ERR_NOMEM;
    for (uint64_t s = 0; s < samples && !st; s++) {
        /* eigenvalues ascending (the largest k are the last ones) or singular values */
        const double *x = v + s * n;
        for (size_t i = 0; i < k; i++) {
            double lam = singular ? x[i] : x[n - 1 - i];
            sv[i] = singular ? lam : sqrt(lam > 0 ? lam * scale : 0.0);
        }
        char label[64];
        snprintf(label, sizeof label, "%s[%llu]", name, (unsigned long long)s);
        st = rmtk_analysis_add_spectrum(a, label, sv, k, rows, cols);
    }
    if (!st)
        st = rmtk_analysis_run(a, NULL, NULL);
    char path[4200];
    if (!st) {
        snprintf(path, sizeof path, "%s/summary.csv", dir);
        st = rmtk_analysis_write_csv(a, path);
    }
    if (!st) {
        snprintf(path, sizeof path, "%s/report.json", dir);
        st = rmtk_analysis_write_json(a, path);
    }
    if (st)
        cli_error("simulate %s --stats: %s", name,
                  a && *rmtk_analysis_errmsg(a) ? rmtk_analysis_errmsg(a) : rmtk_status_str(st));
    rmtk_analysis_free(a);
    free(sv);
    return st;
}

int cmd_simulate(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? RMTK_ERR_ARG : 0;
    }
    rmtk_ensemble_params ep;
    rmtk_ensemble_params_default(&ep);
    int found = 0;
    for (size_t i = 0; i < sizeof ensembles / sizeof ensembles[0]; i++)
        if (strcmp(argv[1], ensembles[i].name) == 0) {
            ep.ensemble = ensembles[i].kind;
            found = 1;
        }
    if (!found) {
        enum { NE = sizeof ensembles / sizeof ensembles[0] };
        const char *cands[NE];
        for (size_t i = 0; i < NE; i++)
            cands[i] = ensembles[i].name;
        const char *near = cli_nearest(argv[1], cands, NE);
        if (near)
            cli_error("simulate: unknown ensemble '%s'; did you mean '%s'? (rmtk simulate --help)",
                      argv[1], near);
        else
            cli_error("simulate: unknown ensemble '%s' (rmtk simulate --help lists them)",
                      argv[1]);
        return RMTK_ERR_ARG;
    }
    uint64_t samples = 1;
    int64_t bins = 40;
    int json = 0, theory = 0;
    double eps = 1e-8;
    const char *out = NULL, *analysis_out = NULL, *plot = NULL, *formats = "svg,png";
    uint32_t stats = 0;
    for (int i = 2; i < argc; i++) {
        const char *v, *o = argv[i];
        int64_t k;
        if (cli_is_help(o)) {
            usage(stdout);
            return 0;
        }
        int r = cli_law_option(argc, argv, &i, NULL, &ep);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (strcmp(o, "--stats") == 0) {
            if (cli_optarg(argc, argv, &i, &v) || cli_parse_stats(v, &stats))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--analysis-out") == 0) {
            if (cli_optarg(argc, argv, &i, &analysis_out))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--json") == 0)
            json = 1;
        else if (strcmp(o, "--theory") == 0)
            theory = 1;
        else if (strcmp(o, "--coupled") == 0)
            ep.coupled = 1;
        else if (strcmp(o, "--decoupled") == 0)
            ep.coupled = 0;
        else if (cli_optarg(argc, argv, &i, &v))
            return RMTK_ERR_ARG;
        else if (strcmp(o, "--samples") == 0) {
            if (cli_parse_u64(o, v, &samples) || samples == 0) {
                cli_error("--samples: need at least 1");
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(o, "--seed") == 0) {
            if (cli_parse_u64(o, v, &ep.seed))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--bins") == 0) {
            if (cli_parse_i64(o, v, 2, 100000, &bins))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--n") == 0) {
            if (cli_parse_i64(o, v, 2, 100000, &ep.n))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--rank") == 0) {
            if (cli_parse_i64(o, v, 0, 100000, &ep.rank))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--p") == 0) {
            if (cli_parse_double(o, v, &ep.p))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--c") == 0) {
            if (cli_parse_double(o, v, &ep.c))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--theta") == 0) {
            if (cli_parse_double(o, v, &ep.theta))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--student-nu") == 0) {
            if (cli_parse_double(o, v, &ep.student_nu))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--weight-density") == 0) {
            if (cli_parse_double(o, v, &ep.weight_density))
                return RMTK_ERR_ARG;
        } else if (strcmp(o, "--eps") == 0) {
            if (cli_parse_double(o, v, &eps) || !(eps >= 0)) {
                cli_error("--eps: need a number >= 0");
                return RMTK_ERR_ARG;
            }
        } else if (strcmp(o, "--out") == 0) {
            out = v;
        } else if (strcmp(o, "--plot") == 0) {
            plot = v;
        } else if (strcmp(o, "--format") == 0) {
            formats = v;
        } else {
            (void)k;
            cli_unknown_option("simulate", o, usage);
            return RMTK_ERR_ARG;
        }
    }
    /* The parameters an ensemble cannot do without, named when missing. */
    static const struct {
        int32_t kind;
        const char *need;
        size_t lo, hi;
    } dims_of[] = {
        {RMTK_ENS_WISHART, "--dims N,M", 2, 2},
        {RMTK_ENS_WISHART_COMPLEX, "--dims N,M", 2, 2},
        {RMTK_ENS_PERCOLATED_WISHART, "--dims N,M", 2, 2},
        {RMTK_ENS_SPIKED, "--dims n,m", 2, 2},
        {RMTK_ENS_WISHART_PRODUCT, "--dims N0,...,NL", 2, RMTK_MAX_LAYERS + 1},
        {RMTK_ENS_JACOBIAN, "--widths n0,...,nL", 2, RMTK_MAX_LAYERS + 1},
    };
    for (size_t k = 0; k < sizeof dims_of / sizeof dims_of[0]; k++) {
        if (dims_of[k].kind != ep.ensemble)
            continue;
        if (ep.n_dims == 0) {
            cli_error("simulate %s: %s is required (e.g. %s; rmtk simulate --help)", argv[1],
                      dims_of[k].need,
                      dims_of[k].hi == 2 ? "--dims 400,200" : ep.ensemble == RMTK_ENS_JACOBIAN
                                                                  ? "--widths 200,200,200"
                                                                  : "--dims 200,200,200");
            return RMTK_ERR_ARG;
        }
        if (ep.n_dims < dims_of[k].lo || ep.n_dims > dims_of[k].hi) {
            cli_error("simulate %s: %s takes %s values, not %zu", argv[1], dims_of[k].need,
                      dims_of[k].hi == 2 ? "2" : "2 or more", ep.n_dims);
            return RMTK_ERR_ARG;
        }
    }
    if (!!stats != !!analysis_out) {
        cli_error("simulate: --stats and --analysis-out go together (%s is missing)",
                  stats ? "--analysis-out DIR" : "--stats LIST");
        return RMTK_ERR_ARG;
    }
    /* --analysis-out is checked and staged before any work, as for rmtk analyze. */
    cli_outdir od;
    memset(&od, 0, sizeof od);
    if (analysis_out && cli_outdir_prepare("simulate", "--analysis-out", analysis_out, &od))
        return RMTK_ERR_IO;
    rmtk_ensemble *e;
    int st = rmtk_ensemble_alloc(&ep, &e);
    if (st) {
        cli_error("simulate %s: %s", argv[1], rmtk_status_str(st));
        cli_outdir_abandon(&od);
        return st;
    }
    size_t n = rmtk_ensemble_size(e), nb = (size_t)bins, total = n * samples;
    double *v = malloc(total * sizeof *v), *h = malloc(nb * sizeof *h);
    double *lo = malloc(nb * sizeof *lo), *th = NULL;
    if (!v || !h || !lo) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    for (uint64_t k = 0; k < samples && !st; k++)
        st = rmtk_ensemble_sample(e, k, v + k * n);
    if (!st && (stats || analysis_out)) {
        st = analyze_samples(argv[1], &ep, v, n, samples, stats, od.stage);
        if (!st)
            st = cli_outdir_commit(&od);
        if (st)
            goto done;
    }
    rmtk_spectrum_stats s;
    if (!st)
        st = rmtk_spectrum_stats_compute(v, total, eps, &s);
    if (st) {
        cli_error("simulate %s: %s", argv[1], rmtk_status_str(st));
        goto done;
    }
    /* histogram of the values outside the zero atom */
    double vlo = INFINITY, vhi = -INFINITY;
    for (size_t i = 0; i < total; i++)
        if (fabs(v[i]) >= s.eps_abs) {
            vlo = fmin(vlo, v[i]);
            vhi = fmax(vhi, v[i]);
        }
    if (!(vhi > vlo)) {
        vlo = s.min;
        vhi = s.min + 1;
    }
    double w = (vhi - vlo) / (double)nb;
    for (size_t b = 0; b < nb; b++)
        lo[b] = vlo + w * (double)b;
    double *nz = malloc(total * sizeof *nz);
    size_t nnz = 0;
    if (!nz) {
        st = RMTK_ERR_NOMEM;
        goto done;
    }
    for (size_t i = 0; i < total; i++)
        if (fabs(v[i]) >= s.eps_abs)
            nz[nnz++] = v[i];
    st = nnz ? rmtk_histogram_density(nz, nnz, vlo, vhi, nb, h) : RMTK_OK;
    for (size_t b = 0; b < nb; b++) /* normalise by all values: integrates to 1 - atom */
        h[b] = nnz ? h[b] * (double)nnz / (double)total : 0.0;
    free(nz);
    rmtk_law_params lp;
    rmtk_law_comparison cmp;
    rmtk_law_info info;
    int have_theory = 0;
    if (theory && !st) {
        int lst = rmtk_ensemble_law(&ep, &lp);
        double w0;
        if (lst == RMTK_ERR_UNSUPPORTED && ep.ensemble == RMTK_ENS_PERCOLATED_WIGNER &&
            rmtk_sparse_zero_atom(ep.c, &w0) == RMTK_OK) {
            printf("theory sparse zero atom (Bauer-Golinelli, c = %g): %.6f; simulated %.6f; "
                   "error %.6g\n",
                   ep.c, w0, s.atom, s.atom - w0);
        } else if (lst == RMTK_ERR_UNSUPPORTED) {
            cli_error("simulate %s: no limiting law for these parameters; --theory ignored",
                      argv[1]);
        } else if (lst) {
            st = lst;
        } else {
            th = malloc(nb * sizeof *th);
            double *xc = malloc(nb * sizeof *xc);
            if (!th || !xc) {
                free(xc);
                st = RMTK_ERR_NOMEM;
                goto done;
            }
            for (size_t b = 0; b < nb; b++)
                xc[b] = lo[b] + 0.5 * w;
            st = rmtk_law_info_compute(&lp, &info);
            if (!st)
                st = rmtk_law_density(&lp, xc, nb, th);
            if (!st)
                st = rmtk_law_compare(&lp, v, total, eps, nb, &cmp);
            free(xc);
            have_theory = !st;
        }
        if (st) {
            cli_error("simulate %s --theory: %s", argv[1], rmtk_status_str(st));
            goto done;
        }
    }
    if (plot) {
        /* the theory density on a fine grid (rmtk_law_grid resolves a divergence at 0) */
        enum { NT = 600 };
        double tx[NT], ty[NT];
        size_t nt = 0;
        if (have_theory) {
            double a = fmin(vlo, info.n_edges ? info.edges[0] : vlo);
            double b = fmax(vhi, info.n_edges ? info.edges[info.n_edges - 1] : vhi);
            if (rmtk_law_grid(&lp, a, b, NT, tx) == RMTK_OK &&
                rmtk_law_density(&lp, tx, NT, ty) == RMTK_OK)
                nt = NT;
        }
        char title[128];
        snprintf(title, sizeof title, "simulate %s: %llu sample%s x %zu values, seed %llu",
                 argv[1], (unsigned long long)samples, samples == 1 ? "" : "s", n,
                 (unsigned long long)ep.seed);
        cli_density_fig d = {title, "spectrum value x", have_theory ? info.name : NULL,
                             vlo, w, nb, h, tx, ty, nt, s.atom,
                             have_theory ? info.atom : NAN};
        st = cli_plot_density(&d, plot, formats);
        if (st)
            goto done;
    }
    if (out) {
        hist_ctx hc = {lo, h, have_theory ? th : NULL, w, nb};
        st = cli_write_atomic(out, write_hist, &hc);
        if (st)
            goto done;
    }
    if (json) {
        printf("{\"ensemble\":\"%s\",\"samples\":%llu,\"seed\":%llu,\"values_per_sample\":%zu,"
               "\"mean\":%.17g,\"variance\":%.17g,\"m2\":%.17g,\"m3\":%.17g,\"m4\":%.17g,"
               "\"atom\":%.17g,\"eps_abs\":%.17g,\"min\":%.17g,\"max\":%.17g,\"histogram\":{"
               "\"lo\":%.17g,\"hi\":%.17g,\"density\":[",
               argv[1], (unsigned long long)samples, (unsigned long long)ep.seed, n, s.mean,
               s.variance, s.m2, s.m3, s.m4, s.atom, s.eps_abs, s.min, s.max, vlo, vhi);
        for (size_t b = 0; b < nb; b++)
            printf("%s%.17g", b ? "," : "", h[b]);
        printf("]");
        if (have_theory) {
            printf(",\"theory\":[");
            for (size_t b = 0; b < nb; b++)
                printf("%s%.17g", b ? "," : "", th[b]);
            printf("]");
        }
        printf("}");
        if (have_theory)
            printf(",\"theory\":{\"law\":\"%s\",\"atom\":%.17g,\"mean\":%.17g,\"variance\":%.17g,"
                   "\"ks\":%.17g,\"l1\":%.17g,\"mean_err\":%.17g,\"var_err\":%.17g,"
                   "\"atom_err\":%.17g}",
                   info.name, info.atom, info.mean, info.variance, cmp.ks, cmp.l1, cmp.mean_err,
                   cmp.var_err, cmp.atom_sim - cmp.atom_theory);
        printf("}\n");
    } else {
        printf("ensemble %s: %llu sample(s) x %zu values, seed %llu\n", argv[1],
               (unsigned long long)samples, n, (unsigned long long)ep.seed);
        printf("mean %.6f  variance %.6f  m2 %.6f  m3 %.6f  m4 %.6f\n", s.mean, s.variance, s.m2,
               s.m3, s.m4);
        printf("zero atom %.6f (|v| < %.3g)  min %.6g  max %.6g\n", s.atom, s.eps_abs, s.min,
               s.max);
        printf("histogram of the values outside the atom (density, integrates to 1 - atom):\n");
        printf("%14s %14s %12s%s\n", "lo", "hi", "density", have_theory ? "       theory" : "");
        for (size_t b = 0; b < nb; b++) {
            printf("%14.6g %14.6g %12.6g", lo[b], lo[b] + w, h[b]);
            if (have_theory)
                printf(" %12.6g", th[b]);
            putchar('\n');
        }
        if (have_theory) {
            printf("theory %s: atom %.6f mean %.6f variance %.6f\n", info.name, info.atom,
                   info.mean, info.variance);
            printf("KS distance %.6f  L1 distance %.6f  mean error %.6g  variance error %.6g  "
                   "atom error %.6g\n",
                   cmp.ks, cmp.l1, cmp.mean_err, cmp.var_err, cmp.atom_sim - cmp.atom_theory);
        }
    }
done:
    cli_outdir_abandon(&od); /* a no-op once committed */
    rmtk_ensemble_free(e);
    free(v);
    free(h);
    free(lo);
    free(th);
    return st;
}
