/*
 * plot-util.c: reading a saved report.json for the presentation code of the CLI (figures, HTML,
 * verdicts). Everything that draws works from the parsed report, never from the analysis handle,
 * so `rmtk analyze` and `rmtk plot` share one code path: analyze writes report.json, reads it back
 * and draws from it exactly as `rmtk plot` would.
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

int cli_report_load(const char *path, cJSON **out)
{
    *out = NULL;
    size_t len;
    char *buf = cli_read_file(path, &len);
    if (!buf) {
        cli_error("%s: cannot read: %s", path, strerror(errno));
        return errno == ENOMEM ? RMTK_ERR_NOMEM : RMTK_ERR_IO;
    }
    cJSON *root = cJSON_ParseWithLength(buf, len);
    free(buf);
    const cJSON *schema = root ? cJSON_GetObjectItemCaseSensitive(root, "schema") : NULL;
    if (!root || !cJSON_IsString(schema) || strcmp(schema->valuestring, "rmtk-report") != 0 ||
        !cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "matrices"))) {
        cJSON_Delete(root);
        cli_error("%s: not an rmtk report.json (schema \"rmtk-report\" with \"matrices\")", path);
        return RMTK_ERR_FORMAT;
    }
    *out = root;
    return RMTK_OK;
}

const char *cli_json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

double cli_json_num(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

double cli_metric(const cJSON *m, const char *key)
{
    return cli_json_num(cJSON_GetObjectItemCaseSensitive(m, "metrics"), key);
}

size_t cli_array(const cJSON *m, const char *key, double **x)
{
    *x = NULL;
    const cJSON *arr = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(m, "arrays"), key);
    if (!cJSON_IsArray(arr))
        return 0;
    size_t n = (size_t)cJSON_GetArraySize(arr), i = 0;
    if (n == 0 || !(*x = malloc(n * sizeof(double))))
        return 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) (*x)[i++] = cJSON_IsNumber(e) ? e->valuedouble : NAN;
    return n;
}

int cli_matrix_ok(const cJSON *m)
{
    const char *s = cli_json_str(m, "status");
    return s && strcmp(s, "ok") == 0;
}

void cli_figure_stem(size_t idx, const char *name, const char *kind, char *buf, size_t n)
{
    char safe[64];
    size_t j = 0;
    for (const char *p = name ? name : "matrix"; *p && j < sizeof safe - 1; p++) {
        unsigned char c = (unsigned char)*p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '-' || c == '_';
        safe[j++] = ok ? (char)c : '_';
    }
    safe[j] = '\0';
    if (idx == (size_t)-1)
        snprintf(buf, n, "model-%s", kind);
    else
        snprintf(buf, n, "%03zu-%s-%s", idx, safe, kind);
}
