/*
 * test-analysis.c: the analysis API end to end on a model written by Python's struct module:
 * metrics against numpy's float64 values, skipped entries and reasons, report.json parsed back
 * with cJSON (schema, metadata escaping, singular values), CSV through a callback, atomic writes
 * (a failed write leaves the old file), thread-count independence, and an allocation-failure
 * sweep over alloc + add_model + run + write.
 */
#include "harness.h"

#include <cJSON.h>
#include <unistd.h>

typedef struct {
    char *buf;
    size_t len, cap;
    size_t fail_after; /* 0 = never */
} membuf;

static size_t mem_write(const void *p, size_t n, void *user)
{
    membuf *m = user;
    if (m->fail_after && m->len + n > m->fail_after)
        return 0;
    if (m->len + n + 1 > m->cap) {
        m->cap = 2 * (m->len + n + 1);
        m->buf = realloc(m->buf, m->cap);
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    m->buf[m->len] = '\0';
    return n;
}

static rmtk_analysis *run_model(int threads, rmtk_model **mout)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("analysis_model.safetensors"), &m));
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.threads = threads;
    rmtk_analysis *a = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    CHECK_OK(rmtk_analysis_add_model(a, m, "analysis_model.safetensors"));
    CHECK_OK(rmtk_analysis_run(a, NULL, NULL));
    *mout = m;
    return a;
}

static void test_metrics(void)
{
    rmtk_model *m;
    rmtk_analysis *a = run_model(1, &m);
    CHECK(rmtk_analysis_count(a) == 4);
    size_t cf, cs, csr, crk, cab;
    CHECK_OK(rmtk_analysis_column_find(a, "fro_norm2", &cf));
    CHECK_OK(rmtk_analysis_column_find(a, "spectral_norm", &cs));
    CHECK_OK(rmtk_analysis_column_find(a, "stable_rank", &csr));
    CHECK_OK(rmtk_analysis_column_find(a, "numerical_rank", &crk));
    CHECK_OK(rmtk_analysis_column_find(a, "n_above_mp_edge", &cab));
    CHECK_STATUS(rmtk_analysis_column_find(a, "no_such", &cab), RMTK_ERR_NOTFOUND);
    FILE *f = fopen(harness_data("analysis_ref.txt"), "r");
    CHECK(f != NULL);
    char name[32];
    double fro, sn, sr;
    int rank, above, rows = 0;
    while (f && fscanf(f, "%31s %lf %lf %lf %d %d", name, &fro, &sn, &sr, &rank, &above) == 6) {
        for (size_t i = 0; i < rmtk_analysis_count(a); i++) {
            rmtk_analysis_row r;
            rmtk_analysis_row_get(a, i, &r);
            if (strcmp(r.name, name) != 0)
                continue;
            rows++;
            CHECK(strcmp(r.status, "ok") == 0);
            CHECK_REL(rmtk_analysis_value(a, i, cf), fro, 1e-12);
            CHECK_REL(rmtk_analysis_value(a, i, cs), sn, 1e-12);
            CHECK_REL(rmtk_analysis_value(a, i, csr), sr, 1e-11);
            CHECK(rmtk_analysis_value(a, i, crk) == rank);
            CHECK(rmtk_analysis_value(a, i, cab) == above);
            const double *sv;
            size_t n;
            CHECK_OK(rmtk_analysis_array(a, i, "singular_values", &sv, &n));
            CHECK(n == (size_t)(r.rows < r.cols ? r.rows : r.cols));
            CHECK_REL(sv[0], sn, 1e-12);
        }
    }
    if (f)
        fclose(f);
    CHECK(rows == 3);
    /* The 1-D bias is skipped with a reason; its values are NaN. */
    rmtk_analysis_row r;
    CHECK_OK(rmtk_analysis_row_get(a, 3, &r));
    CHECK(strcmp(r.name, "bias") == 0 && strcmp(r.status, "skipped") == 0);
    CHECK(r.skip == RMTK_SKIP_NDIM && strlen(r.reason) > 0);
    CHECK(isnan(rmtk_analysis_value(a, 3, cf)));
    CHECK_STATUS(rmtk_analysis_row_get(a, 4, &r), RMTK_ERR_ARG);
    rmtk_analysis_free(a);
    rmtk_model_close(m);
}

static void test_reports(void)
{
    rmtk_model *m;
    rmtk_analysis *a = run_model(2, &m);
    membuf js = {0}, csv = {0};
    CHECK_OK(rmtk_analysis_write_json_fn(a, mem_write, &js));
    CHECK_OK(rmtk_analysis_write_csv_fn(a, mem_write, &csv));
    cJSON *root = cJSON_Parse(js.buf);
    CHECK(root != NULL);
    if (root) {
        CHECK(cJSON_GetObjectItem(root, "schema_version")->valueint == RMTK_REPORT_SCHEMA_VERSION);
        cJSON *in = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "inputs"), 0);
        cJSON *meta = cJSON_GetObjectItem(in, "metadata");
        CHECK(strcmp(cJSON_GetObjectItem(meta, "quote")->valuestring, "a \"b\"\n") == 0);
        cJSON *mats = cJSON_GetObjectItem(root, "matrices");
        CHECK(cJSON_GetArraySize(mats) == 3);
        cJSON *skipped = cJSON_GetObjectItem(root, "skipped");
        CHECK(cJSON_GetArraySize(skipped) == 1);
        cJSON *c = cJSON_GetArrayItem(mats, 2);
        CHECK(strcmp(cJSON_GetObjectItem(c, "name")->valuestring, "c") == 0);
        /* Rank-5 square matrix: svd route (the guard rejects Gram for its zero tail). */
        CHECK(strcmp(cJSON_GetObjectItem(c, "method")->valuestring, "svd") == 0);
        cJSON *sv = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "arrays"), "singular_values");
        CHECK(cJSON_GetArraySize(sv) == 50);
        cJSON_Delete(root);
    }
    /* CSV: header + 4 rows; the skipped row carries its reason. */
    int lines = 0;
    for (char *p = csv.buf; p && *p; p++)
        lines += *p == '\n';
    CHECK(lines == 5);
    static const char head[] = "name,tensor,file,source,slice,block,module,expert,rows,cols,"
                               "dtype,method,status,reason,verdict,looks_random,q,";
    CHECK(strncmp(csv.buf, head, sizeof head - 1) == 0);
    /* a skipped 1-D tensor: its file, rows = n, empty cols, no verdict, no flag */
    CHECK(strstr(csv.buf, "bias,bias,analysis_model.safetensors,,,,,,40,,") != NULL);
    /* A failing sink gives RMTK_ERR_IO. */
    membuf broken = {0};
    broken.fail_after = 100;
    CHECK_STATUS(rmtk_analysis_write_json_fn(a, mem_write, &broken), RMTK_ERR_IO);
    free(broken.buf);
    /* Atomic file writes: new file complete; into a missing directory: IO error, named. */
    char dir[] = "/tmp/rmtk-test-analysis-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char path[256];
    snprintf(path, sizeof path, "%s/report.json", dir);
    CHECK_OK(rmtk_analysis_write_json(a, path));
    FILE *f = fopen(path, "r");
    CHECK(f != NULL);
    if (f) {
        fseek(f, 0, SEEK_END);
        CHECK((size_t)ftell(f) == js.len);
        fclose(f);
    }
    snprintf(path, sizeof path, "%s/missing/report.json", dir);
    CHECK_STATUS(rmtk_analysis_write_json(a, path), RMTK_ERR_IO);
    CHECK(strstr(rmtk_analysis_errmsg(a), "missing/report.json") != NULL);
    snprintf(path, sizeof path, "%s/report.json", dir);
    unlink(path);
    rmdir(dir);
    /* Same results with 1 and 2 threads (byte-identical CSV). */
    rmtk_model *m1;
    rmtk_analysis *a1 = run_model(1, &m1);
    membuf csv1 = {0};
    CHECK_OK(rmtk_analysis_write_csv_fn(a1, mem_write, &csv1));
    CHECK(csv1.len == csv.len && memcmp(csv1.buf, csv.buf, csv.len) == 0);
    free(csv1.buf);
    rmtk_analysis_free(a1);
    rmtk_model_close(m1);
    free(js.buf);
    free(csv.buf);
    rmtk_analysis_free(a);
    rmtk_model_close(m);
}

/* Two inputs with the same tensor names: each row carries its input's label (source), so
 * (source, name) is unique; the same model twice gives the same numbers under both labels. */
static void test_source_labels(void)
{
    rmtk_model *m1 = NULL, *m2 = NULL;
    CHECK_OK(rmtk_model_open(harness_data("analysis_model.safetensors"), &m1));
    CHECK_OK(rmtk_model_open(harness_data("analysis_model.safetensors"), &m2));
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = RMTK_STATS_BASIC;
    rmtk_analysis *a = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    CHECK_OK(rmtk_analysis_add_model_labeled(a, m1, "one.safetensors", "first"));
    CHECK_OK(rmtk_analysis_add_model_labeled(a, m2, "two.safetensors", "second"));
    CHECK_OK(rmtk_analysis_run(a, NULL, NULL));
    membuf js = {0}, csv = {0};
    CHECK_OK(rmtk_analysis_write_csv_fn(a, mem_write, &csv));
    CHECK_OK(rmtk_analysis_write_json_fn(a, mem_write, &js));
    CHECK(csv.buf && strstr(csv.buf, "bias,bias,one.safetensors,first,,,,,40,,") != NULL);
    CHECK(csv.buf && strstr(csv.buf, "bias,bias,two.safetensors,second,,,,,40,,") != NULL);
    cJSON *root = js.buf ? cJSON_Parse(js.buf) : NULL;
    CHECK(root != NULL);
    if (root) {
        cJSON *in = cJSON_GetObjectItem(root, "inputs"), *mats = cJSON_GetObjectItem(root, "matrices");
        CHECK(cJSON_GetArraySize(in) == 2);
        CHECK(strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(in, 1), "source")->valuestring,
                     "second") == 0);
        int n = cJSON_GetArraySize(mats), nfirst = 0;
        for (int i = 0; i < n; i++)
            nfirst += strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(mats, i), "source")
                                 ->valuestring,
                             "first") == 0;
        CHECK(n > 0 && nfirst * 2 == n);
        cJSON_Delete(root);
    }
    size_t nr = rmtk_analysis_count(a), c;
    CHECK(nr % 2 == 0);
    CHECK_OK(rmtk_analysis_column_find(a, "spectral_norm", &c));
    for (size_t i = 0; i < nr / 2; i++) {
        double x = rmtk_analysis_value(a, i, c), y = rmtk_analysis_value(a, i + nr / 2, c);
        CHECK(x == y || (isnan(x) && isnan(y)));
    }
    /* NULL and "" are no label */
    rmtk_analysis *b = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &b));
    CHECK_OK(rmtk_analysis_add_model_labeled(b, m1, "one.safetensors", NULL));
    rmtk_analysis_free(b);
    free(js.buf);
    free(csv.buf);
    rmtk_analysis_free(a);
    rmtk_model_close(m1);
    rmtk_model_close(m2);
}

static void test_args_and_nomem(void)
{
    rmtk_analysis *a = NULL;
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.significance = 1.5;
    CHECK_STATUS(rmtk_analysis_alloc(&p, &a), RMTK_ERR_ARG);
    CHECK(a == NULL);
    p = rmtk_analysis_params_default();
    p.stats = 1u << 30;
    CHECK_STATUS(rmtk_analysis_alloc(&p, &a), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_analysis_run(NULL, NULL, NULL), RMTK_ERR_ARG);
    rmtk_analysis_free(NULL);
    /* Allocation-failure sweep: every step either succeeds or reports NOMEM cleanly. */
    int k, completed = 0;
    for (k = 1; k < 400 && !completed; k++) {
        rmtk_model *m = NULL;
        rmtk_analysis *an = NULL;
        membuf mb = {0};
        rmtk_alloc_fail_after((uint64_t)k);
        int st = rmtk_model_open(harness_data("analysis_model.safetensors"), &m);
        if (!st)
            st = rmtk_analysis_alloc(NULL, &an);
        if (!st)
            st = rmtk_analysis_add_model(an, m, "x");
        if (!st)
            st = rmtk_analysis_run(an, NULL, NULL);
        if (!st)
            st = rmtk_analysis_write_json_fn(an, mem_write, &mb);
        rmtk_alloc_fail_after(0);
        if (st == RMTK_OK)
            completed = 1;
        else
            CHECK(st == RMTK_ERR_NOMEM);
        free(mb.buf);
        rmtk_analysis_free(an);
        rmtk_model_close(m);
    }
    CHECK(completed);
}

static double value_of(const rmtk_analysis *a, size_t i, const char *col)
{
    size_t c;
    CHECK_OK(rmtk_analysis_column_find(a, col, &c));
    return rmtk_analysis_value(a, i, c);
}

/* Given spectra (F64): the live block of a rank-deficient matrix, a flat spectrum, statuses.
 * The "ideal" MP spectrum is the 200 quantiles (i + 1/2)/200 of the MP law of a 400 x 200 matrix
 * of entry variance 1 (rmtk_mp_quantile): the fit must return v = 1 within the discretisation
 * error, with no outlier, whether or not 100 zero singular values (dead columns of a 400 x 300
 * layer) follow. */
static void test_null_and_degenerate(void)
{
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_TAILS;
    p.tails.powerlaw.bootstrap = 0;
    p.threads = 1;
    rmtk_analysis *a = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    enum { K = 200 };
    double sv[K + 100], flat[K];
    rmtk_mp_law law = {1.0, 400, 200, RMTK_MP_SINGULAR, 0};
    for (int i = 0; i < K; i++) {
        CHECK_OK(rmtk_mp_quantile(&law, 1.0 - (i + 0.5) / K, &sv[i]));
        flat[i] = 1.0;
    }
    for (int i = K; i < K + 100; i++)
        sv[i] = 0.0;
    CHECK_OK(rmtk_analysis_add_spectrum(a, "ideal", sv, K, 400, 200));
    CHECK_OK(rmtk_analysis_add_spectrum(a, "dead", sv, K + 100, 400, 300));
    CHECK_OK(rmtk_analysis_add_spectrum(a, "flat", flat, K, 300, 200));
    CHECK_OK(rmtk_analysis_run(a, NULL, NULL));
    for (size_t i = 0; i < 2; i++) {
        CHECK(value_of(a, i, "numerical_rank") == K);
        CHECK(value_of(a, i, "n_null") == (i ? 100 : 0));
        CHECK_REL(value_of(a, i, "zero_atom"), i ? 100.0 / 300 : 0.0, 1e-15);
        CHECK(fabs(value_of(a, i, "mp_sigma2") - 1.0) < 0.02);
        CHECK(value_of(a, i, "n_spikes") == 0);
        CHECK(value_of(a, i, "mp_fit_status") == RMTK_STAT_OK);
        CHECK(value_of(a, i, "mp_law_ks") < value_of(a, i, "mp_law_ks_crit"));
        CHECK(value_of(a, i, "degenerate") == 0);
    }
    /* the dead block leaves the fit unchanged: same live values, same max(N, M) = 400 */
    CHECK(value_of(a, 0, "mp_sigma2") == value_of(a, 1, "mp_sigma2"));
    CHECK(value_of(a, 2, "degenerate") == 1);
    CHECK(value_of(a, 2, "levels_status") == RMTK_STAT_DEGENERATE);
    CHECK(value_of(a, 2, "tails_status") == RMTK_STAT_DEGENERATE);
    CHECK(isnan(value_of(a, 2, "r_mean")) && isnan(value_of(a, 2, "alpha")));
    CHECK(isnan(value_of(a, 2, "hill_alpha")) && isnan(value_of(a, 2, "sigma2_L1")));
    size_t c;
    CHECK_OK(rmtk_analysis_column_find(a, "mp_fit_status", &c));
    CHECK(rmtk_analysis_column_is_status(a, c) == 1);
    CHECK_OK(rmtk_analysis_column_find(a, "mp_sigma2", &c));
    CHECK(rmtk_analysis_column_is_status(a, c) == 0);
    CHECK(strcmp(rmtk_stat_status_name(RMTK_STAT_CAPPED), "capped") == 0);
    CHECK(strcmp(rmtk_stat_status_name(RMTK_STAT_TOO_FEW), "too_few") == 0);
    CHECK(strcmp(rmtk_stat_status_name(RMTK_STAT_DEGENERATE), "degenerate") == 0);
    CHECK(strcmp(rmtk_stat_status_name(99), "") == 0);
    /* the verdict of the library: the flat spectrum is structure (orthogonal-like) */
    char v[512];
    int looks = 7;
    CHECK_OK(rmtk_analysis_verdict(a, 2, v, sizeof v, &looks));
    CHECK(looks == RMTK_VERDICT_STRUCTURE && strncmp(v, "flat spectrum", 13) == 0);
    CHECK_STATUS(rmtk_analysis_verdict(a, 3, v, sizeof v, &looks), RMTK_ERR_ARG);
    CHECK(looks == RMTK_VERDICT_UNDETERMINED && v[0] == '\0');
    CHECK_STATUS(rmtk_analysis_verdict(NULL, 0, NULL, 0, NULL), RMTK_ERR_ARG);
    /* every column has a description and a section of docs/report.md */
    for (size_t k = 0; k < rmtk_analysis_column_count(a); k++) {
        const char *name = rmtk_analysis_column_name(a, k);
        CHECK(rmtk_report_key_describe(name) && strlen(rmtk_report_key_describe(name)) > 10);
        CHECK(rmtk_report_key_anchor(name) != NULL);
    }
    CHECK(rmtk_report_key_is_integer("n_null") == 1 && rmtk_report_key_is_integer("q") == 0);
    CHECK(rmtk_report_key_is_integer("looks_random") == 1);
    CHECK(rmtk_report_key_describe("no_such_key") == NULL);
    CHECK(strcmp(rmtk_report_key_anchor("verdict"), "descriptive") == 0);
    rmtk_analysis_free(a);
}

/* A report's statistics as (key, value) pairs, for rmtk_verdict_eval. */
typedef struct {
    const char *key[16];
    double val[16];
    int n;
} kv;

static double kv_get(const void *ctx, const char *key)
{
    const kv *t = ctx;
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->key[i], key) == 0)
            return t->val[i];
    return NAN;
}

static void kv_set(kv *t, const char *key, double v)
{
    for (int i = 0; i < t->n; i++)
        if (strcmp(t->key[i], key) == 0) {
            t->val[i] = v;
            return;
        }
    t->key[t->n] = key;
    t->val[t->n++] = v;
}

/* The rules of docs/report.md ("Verdicts") at their thresholds. */
static void test_verdict_rules(void)
{
    kv t = {.n = 0};
    char v[512];
    kv_set(&t, "spectral_norm", 3.0);
    kv_set(&t, "degenerate", 0);
    kv_set(&t, "levels_status", RMTK_STAT_OK);
    kv_set(&t, "r_mean", 0.53);
    kv_set(&t, "r_sem", 0.01);
    kv_set(&t, "ks_p_goe", 0.5);
    kv_set(&t, "mp_fit_status", RMTK_STAT_OK);
    kv_set(&t, "n_spikes", 0);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_RANDOM);
    CHECK(strcmp(v, "bulk random (GOE)") == 0);
    /* the KS p-value against the significance level: 0.03 rejects at 0.05, not at 0.01 */
    kv_set(&t, "ks_p_goe", 0.03);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    CHECK(strcmp(v, "bulk deviates from GOE") == 0);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.01, v, sizeof v) == RMTK_VERDICT_RANDOM);
    kv_set(&t, "ks_p_goe", 0.5);
    /* 3 standard errors from 0.5307: 0.5007 is outside (0.5307 - 0.03 - 1e-9), nearer GOE */
    kv_set(&t, "r_mean", 0.5307 - 0.0301);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    kv_set(&t, "r_mean", 0.40);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    CHECK(strcmp(v, "bulk uncorrelated (Poisson-like)") == 0);
    kv_set(&t, "r_mean", 0.53);
    /* outliers count only with an ok fit */
    kv_set(&t, "n_spikes", 3);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    CHECK(strcmp(v, "bulk random (GOE); structure in 3 outliers") == 0);
    kv_set(&t, "mp_fit_status", RMTK_STAT_TOO_FEW);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_RANDOM);
    kv_set(&t, "mp_fit_status", RMTK_STAT_OK);
    kv_set(&t, "n_spikes", 0);
    /* the top decile's Porter-Thomas fraction: 25 % is structure, just below is not */
    kv_set(&t, "pt_frac_rejected", 0.9); /* all vectors: not what the rule reads */
    kv_set(&t, "pt_top_decile_frac_rejected", 0.2499);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_RANDOM);
    kv_set(&t, "pt_top_decile_frac_rejected", 0.25);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    CHECK(strstr(v, "(25% of the top decile fail Porter-Thomas)") != NULL);
    kv_set(&t, "pt_top_decile_frac_rejected", 0.0);
    /* the tail exponent alpha < 2 counts only with enough tail values */
    kv_set(&t, "alpha", 1.9);
    kv_set(&t, "tails_status", RMTK_STAT_TOO_FEW);
    kv_set(&t, "n_tail", 20);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_RANDOM);
    CHECK(strstr(v, "no tail verdict (alpha 1.90 from 20 tail values < 50)") != NULL);
    kv_set(&t, "tails_status", RMTK_STAT_OK);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_STRUCTURE);
    /* too few levels: undetermined; an all-zero matrix: undetermined */
    kv_set(&t, "alpha", 3.0);
    kv_set(&t, "levels_status", RMTK_STAT_TOO_FEW);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_UNDETERMINED);
    kv_set(&t, "spectral_norm", 0.0);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, v, sizeof v) == RMTK_VERDICT_UNDETERMINED);
    CHECK(strcmp(v, "all-zero matrix (no spectrum to analyse)") == 0);
    /* truncation keeps the string terminated */
    kv_set(&t, "spectral_norm", 3.0);
    kv_set(&t, "levels_status", RMTK_STAT_OK);
    kv_set(&t, "n_spikes", 2);
    char small[8];
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, small, sizeof small) == RMTK_VERDICT_STRUCTURE);
    CHECK(strlen(small) == 7);
    CHECK(rmtk_verdict_eval(kv_get, &t, 0.05, NULL, 0) == RMTK_VERDICT_STRUCTURE);
    /* the usable value: a status that is not ok hides the value */
    CHECK(rmtk_report_value_usable(kv_get, &t, "n_spikes") == 2);
    kv_set(&t, "mp_fit_status", RMTK_STAT_CAPPED);
    CHECK(isnan(rmtk_report_value_usable(kv_get, &t, "n_spikes")));
    CHECK(strcmp(rmtk_report_key_status("hill_alpha"), "tails_status") == 0);
}

/* rmtk_pvalues_adjust against R's p.adjust(c(0.01, 0.04, 0.03, 0.005), "BH" / "holm") (by
 * hand: BH 0.02 0.04 0.04 0.02, Holm 0.03 0.06 0.06 0.02); NaN is not a hypothesis. */
static void test_pvalues_adjust(void)
{
    const double p[5] = {0.01, 0.04, NAN, 0.03, 0.005};
    const double bh[5] = {0.02, 0.04, NAN, 0.04, 0.02}, holm[5] = {0.03, 0.06, NAN, 0.06, 0.02};
    double adj[5];
    CHECK_OK(rmtk_pvalues_adjust(p, 5, RMTK_MULTITEST_BH, adj));
    for (int i = 0; i < 5; i++)
        CHECK(i == 2 ? isnan(adj[i]) : fabs(adj[i] - bh[i]) < 1e-15);
    CHECK_OK(rmtk_pvalues_adjust(p, 5, RMTK_MULTITEST_HOLM, adj));
    for (int i = 0; i < 5; i++)
        CHECK(i == 2 ? isnan(adj[i]) : fabs(adj[i] - holm[i]) < 1e-15);
    memcpy(adj, p, sizeof adj); /* in place */
    CHECK_OK(rmtk_pvalues_adjust(adj, 5, RMTK_MULTITEST_BH, adj));
    CHECK(fabs(adj[0] - 0.02) < 1e-15 && fabs(adj[1] - 0.04) < 1e-15);
    CHECK_OK(rmtk_pvalues_adjust(p, 5, RMTK_MULTITEST_NONE, adj));
    CHECK(adj[3] == 0.03);
    const double big[2] = {0.9, 0.8};
    CHECK_OK(rmtk_pvalues_adjust(big, 2, RMTK_MULTITEST_HOLM, adj));
    CHECK(adj[0] == 1.0 && adj[1] == 1.0); /* capped at 1 */
    CHECK_STATUS(rmtk_pvalues_adjust(p, 5, 7, adj), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_pvalues_adjust(NULL, 5, RMTK_MULTITEST_BH, adj), RMTK_ERR_ARG);
    CHECK_OK(rmtk_pvalues_adjust(NULL, 0, RMTK_MULTITEST_BH, NULL));
    CHECK(!strcmp(rmtk_multitest_name(RMTK_MULTITEST_HOLM), "holm"));
}

int main(void)
{
    RUN(test_pvalues_adjust);
    RUN(test_null_and_degenerate);
    RUN(test_verdict_rules);
    RUN(test_metrics);
    RUN(test_reports);
    RUN(test_args_and_nomem);
    RUN(test_source_labels);
    return harness_done();
}
