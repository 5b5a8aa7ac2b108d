/*
 * cli-util.c: argument parsing helpers shared by the subcommands. Every number is parsed with
 * strtod/strtoll and checked to the end of the string, so "--seed 12x" is an error, not 12.
 */
#include "cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("rmtk: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_is_help(const char *arg)
{
    return strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0;
}

int cli_optarg(int argc, char **argv, int *i, const char **val)
{
    if (*i + 1 >= argc) {
        cli_error("%s: missing value", argv[*i]);
        return RMTK_ERR_ARG;
    }
    *i += 1;
    *val = argv[*i];
    return RMTK_OK;
}

int cli_parse_double(const char *opt, const char *s, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || errno == ERANGE) {
        cli_error("%s: '%s' is not a number", opt, s);
        return RMTK_ERR_ARG;
    }
    *out = v;
    return RMTK_OK;
}

int cli_parse_i64(const char *opt, const char *s, int64_t min, int64_t max, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) {
        cli_error("%s: '%s' is not an integer", opt, s);
        return RMTK_ERR_ARG;
    }
    if (v < min || v > max) {
        cli_error("%s: %lld is outside [%lld, %lld]", opt, v, (long long)min, (long long)max);
        return RMTK_ERR_ARG;
    }
    *out = (int64_t)v;
    return RMTK_OK;
}

int cli_parse_u64(const char *opt, const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    if (*s == '-') {
        cli_error("%s: '%s' must not be negative", opt, s);
        return RMTK_ERR_ARG;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (end == s || *end != '\0' || errno == ERANGE) {
        cli_error("%s: '%s' is not a non-negative integer", opt, s);
        return RMTK_ERR_ARG;
    }
    *out = (uint64_t)v;
    return RMTK_OK;
}

int cli_parse_i64_list(const char *opt, const char *s, int64_t *out, size_t cap, size_t *n)
{
    size_t k = 0;
    const char *p = s;
    while (*p) {
        char *end;
        errno = 0;
        long long v = strtoll(p, &end, 10);
        if (end == p || (*end != ',' && *end != '\0') || errno == ERANGE) {
            cli_error("%s: '%s' is not a comma-separated list of integers", opt, s);
            return RMTK_ERR_ARG;
        }
        if (k == cap) {
            cli_error("%s: more than %zu values", opt, cap);
            return RMTK_ERR_ARG;
        }
        out[k++] = (int64_t)v;
        p = *end ? end + 1 : end;
    }
    if (k == 0) {
        cli_error("%s: empty list", opt);
        return RMTK_ERR_ARG;
    }
    *n = k;
    return RMTK_OK;
}
