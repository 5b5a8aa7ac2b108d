/*
 * main.c: the rmtk command line. A thin shell over the public header: it dispatches to one
 * subcommand and returns the library status as the exit code.
 */
#include "cli.h"

#include <string.h>

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("rmtk %s\n", rmtk_version());
    return 0;
}

/* One line per subcommand; keep them in the order of `rmtk --help`. */
static const command commands[] = {
    {"describe", cmd_describe, "list the tensors of checkpoints and what extraction makes of them"},
    {"analyze", cmd_analyze, "analyse every weight matrix; write summary.csv and report.json"},
    {"compare", cmd_compare, "compare two checkpoints matrix by matrix: the delta, its rank, angles"},
    {"track", cmd_track, "analyse the checkpoints of a run; statistics against step"},
    {"plot", cmd_plot, "draw the figures (and the HTML report) of a saved report.json"},
    {"spectrum", cmd_spectrum, "print the singular values of one tensor, largest first"},
    {"tail", cmd_tail, "heavy-tail fits of data or of a matrix's spectrum (Hill, CSN, WW alpha)"},
    {"fitlaw", cmd_fitlaw, "which law describes a spectrum's bulk: MP, Wishart products, MP+SC"},
    {"denoise", cmd_denoise, "RMT denoising and low-rank compression; writes safetensors"},
    {"theory", cmd_theory, "limiting spectral laws (MP, semicircle, products, DNN Jacobians)"},
    {"simulate", cmd_simulate, "seeded random-matrix ensembles, compared with their laws"},
    {"version", cmd_version, "print the version"},
};

static void usage(FILE *f)
{
    fprintf(f, "rmtk %s: random-matrix analysis of neural-network weights\n\n", rmtk_version());
    fprintf(f, "usage: rmtk COMMAND [OPTIONS] ...   (rmtk COMMAND --help for its options)\n\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\nexit codes (the library status):\n"
               "  0  success             5  invalid argument (a usage error)\n"
               "  1  out of memory       6  a named tensor or item does not exist\n"
               "  2  input/output error  7  LAPACK failed or did not converge\n"
               "  3  malformed file      8  a size or offset overflows\n"
               "  4  unsupported input   9  data degenerate for a statistic\n"
               "                        10  internal error (a bug: please report it)\n"
               "analyze writes its outputs even when some matrices fail (their status is\n"
               "\"error\"), then exits with the status of the first failure.\n");
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return RMTK_ERR_ARG;
    }
    if (cli_is_help(argv[1]) || strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(argv[1], "--version") == 0)
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    enum { NC = sizeof commands / sizeof commands[0] };
    const char *cands[NC];
    for (size_t i = 0; i < NC; i++)
        cands[i] = commands[i].name;
    const char *near = cli_nearest(argv[1], cands, NC);
    if (near)
        cli_error("unknown command '%s'; did you mean '%s'? (rmtk --help lists them)", argv[1],
                  near);
    else
        cli_error("unknown command '%s' (rmtk --help lists them)", argv[1]);
    return RMTK_ERR_ARG;
}

/* Under mpirun (docs/mpi.md) MPI is initialised around the command; otherwise never. */
int main(int argc, char **argv)
{
    int st = cli_mpi_init(&argc, &argv);
    if (st) {
        cli_error("cannot initialise MPI (started by mpirun?)");
        return st;
    }
    return cli_mpi_finalize(dispatch(argc, argv));
}
