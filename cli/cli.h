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

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- subcommands (one file each: cli/cmd-<name>.c) ---------------------------------------- */
int cmd_analyze(int argc, char **argv);
int cmd_describe(int argc, char **argv);
int cmd_simulate(int argc, char **argv);
int cmd_spectrum(int argc, char **argv);
int cmd_tail(int argc, char **argv);
int cmd_theory(int argc, char **argv);
/* shared by theory and simulate (cmd-theory.c): names, grid a:b:n, law/network options (returns
 * 1 when argv[*i] was consumed, 0 when unknown, -status on error), atomic file writes */
int cli_parse_activation(const char *s, int32_t *act);
int cli_parse_weight_law(const char *s, int32_t *wl);
int cli_parse_grid(const char *s, double *a, double *b, size_t *n);
int cli_law_option(int argc, char **argv, int *i, rmtk_law_params *lp, rmtk_ensemble_params *ep);
int cli_write_atomic(const char *path, int (*writer)(FILE *f, const void *ctx), const void *ctx);

/* ---- argument parsing: each prints "rmtk: OPTION: ..." on error and returns RMTK_ERR_ARG ---- */
int cli_parse_double(const char *opt, const char *s, double *out);
int cli_parse_i64(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out);
int cli_parse_u64(const char *opt, const char *s, uint64_t *out);
/* Comma-separated integers ("600,900,450"), at most cap of them. */
int cli_parse_i64_list(const char *opt, const char *s, int64_t *out, size_t cap, size_t *n);
/* The value of an option that takes one: advances *i; error if argv ends. */
int cli_optarg(int argc, char **argv, int *i, const char **val);
/* --stats LIST: comma-separated basic, mp, levels, vectors, null, tails, all. */
int cli_parse_stats(const char *s, uint32_t *out);
/* mkdir -p (errors printed). */
int cli_mkdir_p(const char *dir);
/* True when argv[i] is --help or -h. */
int cli_is_help(const char *arg);
/* "rmtk: " + message to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif /* RMTK_CLI_H */
