/*
 * cli-util.c: argument parsing helpers shared by the subcommands. Every number is parsed with
 * strtod/strtoll and checked to the end of the string, so "--seed 12x" is an error, not 12.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* One UTF-8 sequence's length at p (1..4), 0 when p[0] does not start a well-formed one. */
static size_t utf8_seq(const unsigned char *p)
{
    unsigned c = p[0];
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 1;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 2, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 3, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    for (size_t k = 1; k <= n; k++)
        if (p[k] < (k == 1 ? lo : 0x80u) || p[k] > (k == 1 ? hi : 0xBFu))
            return 0; /* also stops at the terminating NUL */
    return n + 1;
}

const char *cli_safe(const char *s, char *buf, size_t size)
{
    size_t k = 0;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    while (*p && k + 5 < size) {
        size_t n = utf8_seq(p);
        if (n == 0 || (n == 1 && (*p < 0x20 || *p == 0x7f)) ||
            (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)) {
            /* a control character (C0, DEL, C1) or a byte that is not UTF-8: \xNN */
            unsigned char c = n == 2 ? p[1] : p[0];
            k += (size_t)snprintf(buf + k, size - k, "\\x%02x", c);
            p += n ? n : 1;
            continue;
        }
        if (k + n >= size)
            break;
        memcpy(buf + k, p, n);
        k += n;
        p += n;
    }
    buf[k] = '\0';
    return buf;
}

void cli_json_string(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        size_t n = utf8_seq(p);
        if (n == 0)
            fputs("\xEF\xBF\xBD", f); /* U+FFFD for a byte that is not UTF-8 */
        else if (n == 2 && p[0] == 0xC2 && p[1] < 0xA0)
            fprintf(f, "\\u%04x", p[1]);
        else if (n > 1)
            fwrite(p, 1, n, f);
        else if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\t')
            fputs("\\t", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
        p += n ? n : 1;
    }
    fputc('"', f);
}

void cli_error(const char *fmt, ...)
{
    /* messages carry names from files: escaped before they reach the terminal */
    char msg[4096], safe[4 * sizeof msg + 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "rmtk: %s\n", cli_safe(msg, safe, sizeof safe));
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

static const struct {
    const char *name;
    uint32_t flag;
} stat_names[] = {
    {"basic", RMTK_STATS_BASIC},     {"mp", RMTK_STATS_MP},     {"levels", RMTK_STATS_LEVELS},
    {"vectors", RMTK_STATS_VECTORS}, {"null", RMTK_STATS_NULL}, {"tails", RMTK_STATS_TAILS},
    {"laws", RMTK_STATS_LAWS},
    {"alpha", RMTK_STATS_ALPHA},
};

int cli_parse_stats(const char *s, uint32_t *out)
{
    uint32_t flags = 0;
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    char *save = NULL;
    for (char *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            rmtk_analysis_params probe = rmtk_analysis_params_default();
            flags |= probe.stats | RMTK_STATS_BASIC;
            for (size_t i = 0; i < sizeof stat_names / sizeof stat_names[0]; i++) {
                rmtk_analysis *a = NULL;
                probe.stats = stat_names[i].flag;
                if (rmtk_analysis_alloc(&probe, &a) == RMTK_OK)
                    flags |= stat_names[i].flag;
                rmtk_analysis_free(a);
            }
            continue;
        }
        size_t i;
        for (i = 0; i < sizeof stat_names / sizeof stat_names[0]; i++)
            if (strcmp(tok, stat_names[i].name) == 0)
                break;
        if (i == sizeof stat_names / sizeof stat_names[0]) {
            cli_error("--stats: unknown statistic '%s' (basic, mp, levels, vectors, null, tails, "
                      "alpha, laws, all)",
                      tok);
            return RMTK_ERR_ARG;
        }
        flags |= stat_names[i].flag;
    }
    *out = flags;
    return RMTK_OK;
}

int cli_mkdir_p(const char *dir)
{
    char buf[4096];
    size_t n = strlen(dir);
    if (n == 0 || n >= sizeof buf)
        return RMTK_ERR_ARG;
    memcpy(buf, dir, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] == '/' || buf[i] == '\0') {
            char c = buf[i];
            buf[i] = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST) {
                cli_error("%s: cannot create directory: %s", buf, strerror(errno));
                return RMTK_ERR_IO;
            }
            buf[i] = c;
        }
    }
    return RMTK_OK;
}

char *cli_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
        if (n == cap) {
            char *nb = realloc(buf, 2 * cap + 1);
            if (!nb) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = nb;
            cap *= 2;
        }
    }
    int err = buf ? (ferror(f) ? EIO : 0) : ENOMEM;
    fclose(f);
    if (err) {
        free(buf);
        errno = err;
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* Damerau-Levenshtein (optimal string alignment) distance: insertions, deletions, substitutions
 * and transpositions of adjacent characters each cost 1 (Damerau 1964). Strings over 63
 * characters are compared on their first 63. */
size_t cli_edit_distance(const char *a, const char *b)
{
    enum { L = 64 };
    size_t na = strlen(a), nb = strlen(b);
    na = na < L - 1 ? na : L - 1;
    nb = nb < L - 1 ? nb : L - 1;
    size_t d[L][L];
    for (size_t i = 0; i <= na; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= nb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= na; i++)
        for (size_t j = 1; j <= nb; j++) {
            size_t c = a[i - 1] == b[j - 1] ? 0 : 1, v = d[i - 1][j - 1] + c;
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[na][nb];
}

const char *cli_nearest(const char *word, const char *const *cands, size_t n)
{
    const char *best = NULL;
    size_t bd = (size_t)-1, len = strlen(word);
    for (size_t i = 0; i < n; i++) {
        if (!cands[i])
            continue;
        size_t dist = cli_edit_distance(word, cands[i]);
        /* a prefix of a candidate (--stat for --stats) counts as one edit */
        if (strlen(cands[i]) > len && strncmp(word, cands[i], len) == 0 && len >= 3)
            dist = dist < 1 ? dist : 1;
        if (dist < bd) {
            bd = dist;
            best = cands[i];
        }
    }
    /* close enough to be a typo: at most 2 edits, and fewer than half the letters */
    size_t limit = len < 4 ? 1 : 2;
    if (!best || bd > limit || 2 * bd >= len)
        return NULL;
    return best;
}

void cli_unknown_option(const char *cmd, const char *opt, void (*usage)(FILE *f))
{
    /* The candidates are the long options the usage text names: one source of truth. */
    char *text = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&text, &len);
    const char *cands[128];
    char names[128][48];
    size_t n = 0;
    if (m) {
        usage(m);
        fclose(m);
    }
    for (const char *p = text ? strstr(text, "--") : NULL; p && n < 128; p = strstr(p, "--")) {
        size_t k = 2;
        while ((p[k] >= 'a' && p[k] <= 'z') || (p[k] >= '0' && p[k] <= '9') || p[k] == '-')
            k++;
        if (k > 2 && k < sizeof names[0]) {
            memcpy(names[n], p, k);
            names[n][k] = '\0';
            size_t j;
            for (j = 0; j < n && strcmp(names[j], names[n]) != 0; j++)
                ;
            if (j == n) {
                cands[n] = names[n];
                n++;
            }
        }
        p += k;
    }
    free(text);
    char given[64];
    snprintf(given, sizeof given, "%.*s", (int)strcspn(opt, "="), opt);
    const char *near = cli_nearest(given, cands, n);
    if (near)
        cli_error("%s: unknown option '%s'; did you mean '%s'? (rmtk %s --help)", cmd, opt, near,
                  cmd);
    else
        cli_error("%s: unknown option '%s' (rmtk %s --help lists the options)", cmd, opt, cmd);
}

void cli_unknown_tensor(const char *file, const rmtk_model *m, const char *name)
{
    /* The 5 nearest names: a name containing the one given (or contained in it) first, then by
     * edit distance. */
    enum { K = 5 };
    size_t best[K], score[K], nb = 0, nt = rmtk_model_tensor_count(m);
    for (size_t i = 0; i < nt; i++) {
        rmtk_tensor_info ti;
        if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK)
            continue;
        size_t s = strstr(ti.name, name) || strstr(name, ti.name)
                       ? 0
                       : 1 + cli_edit_distance(name, ti.name);
        size_t pos = nb < K ? nb++ : K;
        if (pos == K) {
            if (s >= score[K - 1])
                continue;
            pos = K - 1;
        }
        while (pos > 0 && score[pos - 1] > s) {
            best[pos] = best[pos - 1];
            score[pos] = score[pos - 1];
            pos--;
        }
        best[pos] = i;
        score[pos] = s;
    }
    char list[1024] = "";
    size_t len = 0;
    for (size_t k = 0; k < nb; k++) {
        rmtk_tensor_info ti;
        rmtk_model_tensor_info(m, best[k], &ti);
        int w = snprintf(list + len, sizeof list - len, "%s'%s'", k ? ", " : "", ti.name);
        if (w < 0 || (size_t)w >= sizeof list - len)
            break;
        len += (size_t)w;
    }
    if (nb)
        cli_error("%s: no tensor named '%s'; nearest: %s (rmtk describe %s lists all %zu)", file,
                  name, list, file, nt);
    else
        cli_error("%s: no tensor named '%s'; the file holds no tensors", file, name);
}

/* ---- 1-D data (rmtk tail, rmtk fitlaw) ------------------------------------------------------ */

int cli_has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Keeps d in v (growing it): all values, or with excluded only d > 0 (the others counted). */
static int keep_value(double d, double **v, size_t *len, size_t *cap, size_t *excluded)
{
    if (excluded && !(d > 0.0)) {
        (*excluded)++;
        return RMTK_OK;
    }
    if (*len == *cap) {
        double *nv = realloc(*v, 2 * *cap * sizeof **v);
        if (!nv)
            return RMTK_ERR_NOMEM;
        *v = nv;
        *cap *= 2;
    }
    (*v)[(*len)++] = d;
    return RMTK_OK;
}

int cli_read_numbers(const char *path, double **x, size_t *n, size_t *excluded)
{
    int is_stdin = strcmp(path, "-") == 0;
    FILE *f = is_stdin ? stdin : fopen(path, "r");
    if (!f) {
        cli_error("%s: cannot open: %s", path, strerror(errno));
        return RMTK_ERR_IO;
    }
    size_t cap = 1024, len = 0, lineno = 0;
    if (excluded)
        *excluded = 0;
    double *v = malloc(cap * sizeof *v);
    char *line = NULL;
    size_t lcap = 0;
    int status = v ? RMTK_OK : RMTK_ERR_NOMEM;
    while (status == RMTK_OK && getline(&line, &lcap, f) >= 0) {
        lineno++;
        char *hash = strchr(line, '#');
        if (hash)
            *hash = '\0';
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p == '\0')
            continue;
        char *end;
        errno = 0;
        double d = strtod(p, &end);
        char *q = end;
        while (isspace((unsigned char)*q))
            q++;
        if (end == p || *q != '\0' || isnan(d) || isinf(d)) {
            char *e = p;
            while (*e && !isspace((unsigned char)*e))
                e++;
            *e = '\0';
            cli_error("%s:%zu: '%s' is not a finite number (one number per line)", path, lineno,
                      p);
            status = RMTK_ERR_FORMAT;
            break;
        }
        status = keep_value(d, &v, &len, &cap, excluded);
    }
    if (status == RMTK_OK && ferror(f)) {
        cli_error("%s: read error", path);
        status = RMTK_ERR_IO;
    }
    free(line);
    if (!is_stdin)
        fclose(f);
    if (status != RMTK_OK) {
        free(v);
        return status;
    }
    *x = v;
    *n = len;
    return RMTK_OK;
}

int cli_read_tensor_values(const char *path, rmtk_model *m, size_t idx, double **x, size_t *n,
                           size_t *excluded)
{
    rmtk_tensor_info ti;
    rmtk_model_tensor_info(m, idx, &ti);
    double *v = malloc((ti.numel ? ti.numel : 1) * sizeof *v);
    if (!v)
        return RMTK_ERR_NOMEM;
    int st = rmtk_model_read_f64(m, idx, v, ti.numel);
    if (st) {
        cli_error("%s", rmtk_model_errmsg(m));
        free(v);
        return st;
    }
    size_t len = 0, nexcl = 0;
    for (uint64_t i = 0; i < ti.numel; i++) {
        if (!isfinite(v[i])) {
            cli_error("%s: tensor '%s': element %llu is %g (not finite)", path, ti.name,
                      (unsigned long long)i, v[i]);
            free(v);
            return RMTK_ERR_FORMAT;
        }
        if (excluded && !(v[i] > 0))
            nexcl++;
        else
            v[len++] = v[i];
    }
    if (excluded)
        *excluded = nexcl;
    *x = v;
    *n = len;
    return RMTK_OK;
}

void cli_json_number(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.17g", v);
    else
        fputs("null", f);
}

/* ---- options shared by analyze, compare and track ----------------------------------------- */

int cli_analysis_option(int argc, char **argv, int *i, rmtk_analysis_params *p, int *status)
{
    const char *a = argv[*i], *v;
    int64_t iv;
    int st = RMTK_OK;
    if (strcmp(a, "--include") == 0) {
        st = cli_optarg(argc, argv, i, &p->extract.include);
    } else if (strcmp(a, "--exclude") == 0) {
        st = cli_optarg(argc, argv, i, &p->extract.exclude);
    } else if (strcmp(a, "--min-side") == 0) {
        if (!(st = cli_optarg(argc, argv, i, &v)) &&
            !(st = cli_parse_i64(a, v, 1, INT64_MAX, &iv)))
            p->extract.min_side = iv;
    } else if (strcmp(a, "--threads") == 0) {
        if (!(st = cli_optarg(argc, argv, i, &v)) && !(st = cli_parse_i64(a, v, 1, 4096, &iv)))
            p->threads = (int32_t)iv;
    } else if (strcmp(a, "--seed") == 0) {
        st = cli_optarg(argc, argv, i, &v);
        if (!st)
            st = cli_parse_u64(a, v, &p->seed);
    } else {
        return 0;
    }
    *status = st;
    return 1;
}

int cli_matrix_spectrum(const char *path, rmtk_model *m, const rmtk_matrix_entry *pick,
                        double **x, size_t *n)
{
    rmtk_matrix_view view;
    rmtk_spectrum_params sp = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan = NULL;
    double *v = NULL;
    int st = rmtk_layers_view(m, pick, &view);
    if (st) {
        cli_error("%s", rmtk_model_errmsg(m));
        return st;
    }
    if ((st = rmtk_spectrum_plan_alloc(view.rows, view.cols, &sp, &plan))) {
        cli_error("cannot plan a %lld x %lld spectrum: %s", (long long)view.rows,
                  (long long)view.cols, rmtk_status_str(st));
        return st;
    }
    size_t k = (size_t)(view.rows < view.cols ? view.rows : view.cols);
    v = malloc((k ? k : 1) * sizeof *v);
    if (!v) {
        st = RMTK_ERR_NOMEM;
    } else if ((st = rmtk_spectrum_execute(plan, view, v, NULL, NULL, NULL))) {
        cli_error("%s: tensor '%s': %s", path, pick->name, rmtk_spectrum_errmsg(plan));
        free(v);
    } else {
        *x = v;
        *n = k;
    }
    rmtk_spectrum_plan_free(plan);
    return st;
}
