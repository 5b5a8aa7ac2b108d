/*
 * cmd-theory.c: `rmtk theory LAW`: a limiting spectral law on a grid (atom at 0, mean,
 * variance, support edges, density), as text, JSON or CSV. Also the option parsing shared
 * with `rmtk simulate` (activation and weight-law names, the network and law parameters).
 */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const act_names[] = {"linear", "relu",    "leaky-relu", "tanh",
                                        "hard-tanh", "sigmoid", "erf"};
static const char *const wl_names[] = {"gaussian", "uniform", "rademacher", "student-t",
                                       "sparse-bernoulli"};

int cli_given(int argc, char **argv, const char *opt)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], opt) == 0)
            return 1;
    return 0;
}

/* The parameters each law reads, and the one it cannot do without (NULL: none). */
static const struct {
    const char *law, *params, *required;
} law_params[] = {
    {"semicircle", "--sigma2", NULL},
    {"mp", "--ratio --sigma2", NULL},
    {"mp-semicircle", "--ratio --sigma2 --sigma2-wigner", NULL},
    {"fuss-catalan", "--L", NULL},
    {"wishart-product", "", "--dims N0,N1,...,NL"},
    {"jacobian", "--activation --sigma-w2 --sigma-b2 --q0", "--widths n0,...,nL"},
    {"sparse-atom", "--c", NULL},
    {"bbp", "--ratio --theta", NULL},
};

/* A missing required parameter is an error that names it; parameters left at their defaults
 * are said on stderr ("theory mp: --ratio 0.5 --sigma2 1 (defaults; give them to choose)"). */
static int check_law_params(const char *law, int argc, char **argv, const rmtk_law_params *lp,
                            double c, double theta)
{
    for (size_t k = 0; k < sizeof law_params / sizeof law_params[0]; k++) {
        if (strcmp(law, law_params[k].law) != 0)
            continue;
        if (law_params[k].required && !cli_given(argc, argv, "--dims") &&
            !cli_given(argc, argv, "--widths")) {
            cli_error("theory %s: %s is required (rmtk theory --help)", law,
                      law_params[k].required);
            return RMTK_ERR_ARG;
        }
        char used[512] = "", opt[32];
        size_t n = 0;
        for (const char *p = law_params[k].params; *p;) {
            size_t len = strcspn(p, " ");
            snprintf(opt, sizeof opt, "%.*s", (int)len, p);
            p += len + (p[len] == ' ');
            if (cli_given(argc, argv, opt) || (!strcmp(opt, "--L") && cli_given(argc, argv, "--k")))
                continue;
            char val[48];
            if (!strcmp(opt, "--sigma2"))
                snprintf(val, sizeof val, "%g", lp->sigma2);
            else if (!strcmp(opt, "--ratio"))
                snprintf(val, sizeof val, "%g", lp->ratio);
            else if (!strcmp(opt, "--sigma2-wigner"))
                snprintf(val, sizeof val, "%g", lp->sigma2_wigner);
            else if (!strcmp(opt, "--L"))
                snprintf(val, sizeof val, "%d", (int)lp->L);
            else if (!strcmp(opt, "--activation"))
                snprintf(val, sizeof val, "%s", act_names[lp->activation]);
            else if (!strcmp(opt, "--sigma-w2"))
                snprintf(val, sizeof val, "%g", lp->sigma_w2);
            else if (!strcmp(opt, "--sigma-b2"))
                snprintf(val, sizeof val, "%g", lp->sigma_b2);
            else if (!strcmp(opt, "--q0"))
                snprintf(val, sizeof val, "%g", lp->q0);
            else if (!strcmp(opt, "--c"))
                snprintf(val, sizeof val, "%g", c);
            else
                snprintf(val, sizeof val, "%g", theta);
            int w = snprintf(used + n, sizeof used - n, " %s %s", opt, val);
            if (w > 0 && (size_t)w < sizeof used - n)
                n += (size_t)w;
        }
        if (n)
            fprintf(stderr, "rmtk: theory %s:%s (defaults; give them to choose)\n", law, used);
        return RMTK_OK;
    }
    return RMTK_OK; /* an unknown law is reported by the caller */
}

int cli_parse_activation(const char *s, int32_t *act)
{
    for (size_t i = 0; i < sizeof act_names / sizeof act_names[0]; i++)
        if (strcmp(s, act_names[i]) == 0) {
            *act = (int32_t)i;
            return RMTK_OK;
        }
    cli_error("--activation: '%s' is not one of linear, relu, leaky-relu, tanh, hard-tanh, "
              "sigmoid, erf",
              s);
    return RMTK_ERR_ARG;
}

int cli_parse_weight_law(const char *s, int32_t *wl)
{
    for (size_t i = 0; i < sizeof wl_names / sizeof wl_names[0]; i++)
        if (strcmp(s, wl_names[i]) == 0) {
            *wl = (int32_t)i;
            return RMTK_OK;
        }
    if (strcmp(s, "t") == 0 || strcmp(s, "sparse") == 0) {
        *wl = s[0] == 't' ? RMTK_WEIGHTS_STUDENT_T : RMTK_WEIGHTS_SPARSE;
        return RMTK_OK;
    }
    cli_error("--weight-law: '%s' is not one of gaussian, uniform, rademacher, student-t, "
              "sparse-bernoulli",
              s);
    return RMTK_ERR_ARG;
}

int cli_parse_grid(const char *s, double *a, double *b, size_t *n)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *c1 = strchr(buf, ':');
    char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
    if (!c1 || !c2) {
        cli_error("--grid: '%s' is not a:b:n", s);
        return RMTK_ERR_ARG;
    }
    *c1 = *c2 = '\0';
    int64_t k;
    if (cli_parse_double("--grid", buf, a) || cli_parse_double("--grid", c1 + 1, b) ||
        cli_parse_i64("--grid", c2 + 1, 2, 10000000, &k))
        return RMTK_ERR_ARG;
    if (!(*a < *b)) {
        cli_error("--grid: need a < b");
        return RMTK_ERR_ARG;
    }
    *n = (size_t)k;
    return RMTK_OK;
}

int cli_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx), const void *ctx)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f) {
        cli_error("%s: cannot write", tmp);
        return RMTK_ERR_IO;
    }
    int st = writer(f, ctx);
    if (fclose(f) != 0 || st) {
        remove(tmp);
        cli_error("%s: write failed", path);
        return RMTK_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        remove(tmp);
        cli_error("%s: cannot rename the temporary file into place", path);
        return RMTK_ERR_IO;
    }
    return RMTK_OK;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: rmtk theory LAW [OPTIONS]\n"
            "Limiting spectral laws: atom at 0, mean, variance, support edges, density.\n\n"
            "laws and their parameters:\n"
            "  semicircle      --sigma2 S\n"
            "  mp              --ratio Q --sigma2 S   (eigenvalues of W^T W/N, Q = M/N)\n"
            "  mp-semicircle   --ratio Q --sigma2 S --sigma2-wigner T\n"
            "  fuss-catalan    --L L\n"
            "  wishart-product --dims N0,N1,...,NL  (eigenvalues of P P^T, P = X_L..X_1)\n"
            "  jacobian        --widths n0,...,nL --activation A --weight-law W --sigma-w2 S\n"
            "                  --sigma-b2 B --q0 Q [--leaky-slope a] [--quad-nodes n]\n"
            "                  activations: linear relu leaky-relu tanh hard-tanh sigmoid erf;\n"
            "                  the law does not depend on the weight law (universality)\n"
            "  sparse-atom     --c C   (zero atom of a sparse Erdos-Renyi matrix, 0 < C <= e)\n"
            "  bbp             --ratio C --theta T (top singular value of X + theta u v^T)\n\n"
            "output:\n"
            "  --grid a:b:n    evaluation grid (default: the support, 201 points; log-spaced\n"
            "                  near 0 where the density diverges)\n"
            "  --json          {\"law\", \"atom\", \"mean\", \"variance\", \"edges\", \"x\", "
            "\"density\"}\n"
            "  --out FILE.csv  write x,density (atomically)\n"
            "  --plot PREFIX   draw the density with its atom at 0 marked: PREFIX.svg, PREFIX.png\n"
            "                  and the plotted numbers in PREFIX.csv\n"
            "  --format LIST   figure formats for --plot: svg, png, pdf (default svg,png)\n");
}

/* Options shared with `rmtk simulate`: fills the law and/or ensemble parameters. Returns 1 when
 * argv[*i] was consumed, 0 when unknown, <0 on error (-status). */
int cli_law_option(int argc, char **argv, int *i, rmtk_law_params *lp, rmtk_ensemble_params *ep)
{
    const char *o = argv[*i], *v;
    double d;
    int64_t k;
    int64_t list[RMTK_MAX_LAYERS + 1];
    size_t nl;
#define VAL()                                                                                      \
    do {                                                                                           \
        if (cli_optarg(argc, argv, i, &v))                                                         \
            return -RMTK_ERR_ARG;                                                                  \
    } while (0)
#define DBL()                                                                                      \
    do {                                                                                           \
        VAL();                                                                                     \
        if (cli_parse_double(o, v, &d))                                                            \
            return -RMTK_ERR_ARG;                                                                  \
    } while (0)
    if (strcmp(o, "--sigma2") == 0) {
        DBL();
        if (lp)
            lp->sigma2 = d;
        if (ep)
            ep->sigma2 = d;
    } else if (strcmp(o, "--ratio") == 0) {
        DBL();
        if (lp)
            lp->ratio = d;
    } else if (strcmp(o, "--sigma2-wigner") == 0) {
        DBL();
        if (lp)
            lp->sigma2_wigner = d;
    } else if (strcmp(o, "--L") == 0 || strcmp(o, "--k") == 0) {
        VAL();
        if (cli_parse_i64(o, v, 1, RMTK_MAX_LAYERS, &k))
            return -RMTK_ERR_ARG;
        if (lp)
            lp->L = (int32_t)k;
        if (ep)
            ep->k = (int32_t)k;
    } else if (strcmp(o, "--dims") == 0 || strcmp(o, "--widths") == 0) {
        VAL();
        if (cli_parse_i64_list(o, v, list, RMTK_MAX_LAYERS + 1, &nl))
            return -RMTK_ERR_ARG;
        for (size_t j = 0; j < nl; j++)
            if (list[j] <= 0) {
                cli_error("%s: dimensions must be positive", o);
                return -RMTK_ERR_ARG;
            }
        if (lp) {
            lp->n_dims = nl;
            memcpy(lp->dims, list, nl * sizeof *list);
        }
        if (ep) {
            ep->n_dims = nl;
            memcpy(ep->dims, list, nl * sizeof *list);
        }
    } else if (strcmp(o, "--activation") == 0) {
        int32_t a;
        VAL();
        if (cli_parse_activation(v, &a))
            return -RMTK_ERR_ARG;
        if (lp)
            lp->activation = a;
        if (ep)
            ep->activation = a;
    } else if (strcmp(o, "--weight-law") == 0) {
        int32_t w;
        VAL();
        if (cli_parse_weight_law(v, &w))
            return -RMTK_ERR_ARG;
        if (ep)
            ep->weight_law = w;
    } else if (strcmp(o, "--leaky-slope") == 0) {
        DBL();
        if (lp)
            lp->leaky_slope = d;
        if (ep)
            ep->leaky_slope = d;
    } else if (strcmp(o, "--sigma-w2") == 0) {
        DBL();
        if (lp)
            lp->sigma_w2 = d;
        if (ep)
            ep->sigma_w2 = d;
    } else if (strcmp(o, "--sigma-b2") == 0) {
        DBL();
        if (lp)
            lp->sigma_b2 = d;
        if (ep)
            ep->sigma_b2 = d;
    } else if (strcmp(o, "--q0") == 0) {
        DBL();
        if (lp)
            lp->q0 = d;
        if (ep)
            ep->q0 = d;
    } else if (strcmp(o, "--quad-nodes") == 0) {
        VAL();
        if (cli_parse_i64(o, v, 100, 300, &k))
            return -RMTK_ERR_ARG;
        if (lp)
            lp->quad_nodes = (size_t)k;
    } else {
        return 0;
    }
#undef DBL
#undef VAL
    return 1;
}

typedef struct {
    const double *x, *d;
    size_t n;
} csv_ctx;

static int write_csv(FILE *f, const void *vctx)
{
    const csv_ctx *c = vctx;
    fprintf(f, "x,density\n");
    for (size_t i = 0; i < c->n; i++)
        fprintf(f, "%.17g,%.17g\n", c->x[i], c->d[i]);
    return ferror(f) ? RMTK_ERR_IO : RMTK_OK;
}

static void print_array(const double *a, size_t n)
{
    putchar('[');
    for (size_t i = 0; i < n; i++)
        printf("%s%.17g", i ? "," : "", a[i]);
    putchar(']');
}

int cmd_theory(int argc, char **argv)
{
    if (argc < 2 || cli_is_help(argv[1])) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? RMTK_ERR_ARG : 0;
    }
    const char *law = argv[1];
    rmtk_law_params lp;
    rmtk_law_params_default(&lp);
    int json = 0, have_grid = 0;
    const char *out = NULL, *plot = NULL, *formats = "svg,png";
    double ga = 0, gb = 0, c = 1, theta = 2;
    size_t gn = 201;
    for (int i = 2; i < argc; i++) {
        const char *v;
        if (cli_is_help(argv[i])) {
            usage(stdout);
            return 0;
        }
        int r = cli_law_option(argc, argv, &i, &lp, NULL);
        if (r < 0)
            return -r;
        if (r > 0)
            continue;
        if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--grid") == 0) {
            if (cli_optarg(argc, argv, &i, &v) || cli_parse_grid(v, &ga, &gb, &gn))
                return RMTK_ERR_ARG;
            have_grid = 1;
        } else if (strcmp(argv[i], "--out") == 0) {
            if (cli_optarg(argc, argv, &i, &out))
                return RMTK_ERR_ARG;
        } else if (strcmp(argv[i], "--plot") == 0) {
            if (cli_optarg(argc, argv, &i, &plot))
                return RMTK_ERR_ARG;
        } else if (strcmp(argv[i], "--format") == 0) {
            if (cli_optarg(argc, argv, &i, &formats))
                return RMTK_ERR_ARG;
        } else if (strcmp(argv[i], "--c") == 0) {
            if (cli_optarg(argc, argv, &i, &v) || cli_parse_double("--c", v, &c))
                return RMTK_ERR_ARG;
        } else if (strcmp(argv[i], "--theta") == 0) {
            if (cli_optarg(argc, argv, &i, &v) || cli_parse_double("--theta", v, &theta))
                return RMTK_ERR_ARG;
        } else {
            cli_unknown_option("theory", argv[i], usage);
            return RMTK_ERR_ARG;
        }
    }
    int known_law = 0;
    for (size_t k = 0; k < sizeof law_params / sizeof law_params[0]; k++)
        known_law |= strcmp(law, law_params[k].law) == 0;
    if (!known_law) {
        const char *cands[sizeof law_params / sizeof law_params[0]];
        for (size_t k = 0; k < sizeof law_params / sizeof law_params[0]; k++)
            cands[k] = law_params[k].law;
        const char *near = cli_nearest(law, cands, sizeof cands / sizeof cands[0]);
        cli_error("theory: unknown law '%s'%s%s%s (semicircle, mp, mp-semicircle, fuss-catalan, "
                  "wishart-product, jacobian, sparse-atom, bbp)",
                  law, near ? "; did you mean '" : "", near ? near : "", near ? "'?" : "");
        return RMTK_ERR_ARG;
    }
    if (check_law_params(law, argc, argv, &lp, c, theta))
        return RMTK_ERR_ARG;
    if (strcmp(law, "sparse-atom") == 0 || strcmp(law, "bbp") == 0) {
        int sparse = law[0] == 's';
        if (plot) {
            cli_error("theory %s: a single number, nothing to --plot", law);
            return RMTK_ERR_ARG;
        }
        double val;
        int st = sparse ? rmtk_sparse_zero_atom(c, &val) : rmtk_bbp_top_singular(lp.ratio, theta,
                                                                                   &val);
        if (st) {
            cli_error("theory %s: %s", law, rmtk_status_str(st));
            return st;
        }
        if (json)
            printf("{\"law\":\"%s\",\"%s\":%.17g}\n", law, sparse ? "atom" : "top_singular",
                   val);
        else if (sparse)
            printf("sparse-atom c=%g: zero atom %.6f\n", c, val);
        else
            printf("bbp c=%g theta=%g: top singular value %.6f (threshold theta_c = %.6f)\n",
                   lp.ratio, theta, val, pow(lp.ratio, 0.25));
        return RMTK_OK;
    }
    static const struct {
        const char *name;
        int32_t kind;
    } laws[] = {{"semicircle", RMTK_LAW_SEMICIRCLE},
                {"mp", RMTK_LAW_MP},
                {"mp-semicircle", RMTK_LAW_MP_SEMICIRCLE},
                {"fuss-catalan", RMTK_LAW_FUSS_CATALAN},
                {"wishart-product", RMTK_LAW_WISHART_PRODUCT},
                {"jacobian", RMTK_LAW_JACOBIAN}};
    int found = 0;
    for (size_t i = 0; i < sizeof laws / sizeof laws[0]; i++)
        if (strcmp(law, laws[i].name) == 0) {
            lp.law = laws[i].kind;
            found = 1;
        }
    if (!found) {
        cli_error("theory: unknown law '%s' (rmtk theory --help)", law);
        return RMTK_ERR_ARG;
    }
    rmtk_law_info info;
    int st = rmtk_law_info_compute(&lp, &info);
    if (st) {
        cli_error("theory %s: %s", law, rmtk_status_str(st));
        return st;
    }
    if (!have_grid) {
        ga = info.edges[0];
        gb = info.edges[info.n_edges - 1];
        double pad = 0.02 * (gb - ga);
        if (ga != 0 || !info.diverges_at_0)
            ga -= pad;
        if (lp.law != RMTK_LAW_SEMICIRCLE && lp.law != RMTK_LAW_MP_SEMICIRCLE && ga < 0)
            ga = 0;
        gb += pad;
    }
    double *x = malloc(gn * sizeof *x), *d = malloc(gn * sizeof *d);
    if (!x || !d) {
        free(x);
        free(d);
        return RMTK_ERR_NOMEM;
    }
    st = rmtk_law_grid(&lp, ga, gb, gn, x);
    if (!st)
        st = rmtk_law_density(&lp, x, gn, d);
    if (st) {
        cli_error("theory %s: %s", law, rmtk_status_str(st));
        goto done;
    }
    if (out) {
        csv_ctx cc = {x, d, gn};
        st = cli_write_atomic(out, write_csv, &cc);
        if (st)
            goto done;
    }
    if (plot) {
        char title[160];
        snprintf(title, sizeof title, "theory %s: atom %.4g, mean %.4g, variance %.4g", info.name,
                 info.atom, info.mean, info.variance);
        cli_density_fig fd = {title, "spectrum value x", info.name, ga, 0, 0, NULL,
                              x, d, gn, NAN, info.atom};
        st = cli_plot_density(&fd, plot, formats);
        if (st)
            goto done;
    }
    if (json) {
        printf("{\"law\":\"%s\",\"atom\":%.17g,\"mean\":%.17g,\"variance\":%.17g,\"edges\":",
               info.name, info.atom, info.mean, info.variance);
        print_array(info.edges, info.n_edges);
        printf(",\"x\":");
        print_array(x, gn);
        printf(",\"density\":");
        print_array(d, gn);
        printf("}\n");
    } else {
        printf("law %s\natom %.6f\nmean %.6f\nvariance %.6f\nedges", info.name, info.atom,
               info.mean, info.variance);
        for (size_t i = 0; i < info.n_edges; i++)
            printf(" %.6f", info.edges[i]);
        printf("\n%14s %14s\n", "x", "density");
        for (size_t i = 0; i < gn; i++)
            printf("%14.6g %14.6g\n", x[i], d[i]);
    }
done:
    free(x);
    free(d);
    return st;
}
