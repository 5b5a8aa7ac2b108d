/*
 * test-analysis-transfer.c: an analysis computed in pieces (analysis-transfer.c). Two analyses
 * compute the even and the odd entries (rmtk_analysis_run_entries), a third imports every
 * entry's blob and writes report.json and summary.csv: byte-identical to one
 * rmtk_analysis_run, with every statistic on (arrays of every stage, a failed matrix with its
 * message). Error paths: a blob of another entry, truncated or bit-flipped header, a buffer too
 * small, an entry computed twice; provenance is the last member of report.json.
 */
#include "harness.h"

typedef struct {
    char *buf;
    size_t len, cap;
} membuf;

static size_t mem_write(const void *p, size_t n, void *user)
{
    membuf *m = user;
    if (m->len + n + 1 > m->cap) {
        m->cap = 2 * (m->len + n + 1);
        m->buf = realloc(m->buf, m->cap);
    }
    memcpy(m->buf + m->len, p, n);
    m->len += n;
    m->buf[m->len] = '\0';
    return n;
}

/* The model of test-analysis (3 matrices and a bias) plus two given spectra, the second failing
 * (sigma_1^2 overflows a double: stage basic's RMTK_ERR_RANGE). */
static rmtk_analysis *build(rmtk_model **mout)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("analysis_model.safetensors"), &m));
    rmtk_analysis_params p = rmtk_analysis_params_default();
    p.stats = RMTK_STATS_BASIC | RMTK_STATS_MP | RMTK_STATS_LEVELS | RMTK_STATS_TAILS |
              RMTK_STATS_VECTORS | RMTK_STATS_NULL;
    p.threads = 2;
    p.tails.powerlaw.bootstrap = 20;
    p.vectors.nsamples = 200;
    p.null.replicas = 2;
    rmtk_analysis *a = NULL;
    CHECK_OK(rmtk_analysis_alloc(&p, &a));
    CHECK_OK(rmtk_analysis_add_model(a, m, "analysis_model.safetensors"));
    double sv[60];
    for (int i = 0; i < 60; i++)
        sv[i] = 1.0 + 0.01 * i * i;
    CHECK_OK(rmtk_analysis_add_spectrum(a, "given", sv, 60, 60, 90));
    sv[0] = 1e200;
    CHECK_OK(rmtk_analysis_add_spectrum(a, "overflow", sv, 60, 60, 90));
    *mout = m;
    return a;
}

static void write_both(const rmtk_analysis *a, membuf *js, membuf *csv)
{
    CHECK_OK(rmtk_analysis_write_json_fn(a, mem_write, js));
    CHECK_OK(rmtk_analysis_write_csv_fn(a, mem_write, csv));
}

static void *export_entry(const rmtk_analysis *a, size_t i, size_t *n)
{
    CHECK_OK(rmtk_analysis_entry_export(a, i, NULL, 0, n));
    void *b = malloc(*n);
    size_t again = 0;
    CHECK_OK(rmtk_analysis_entry_export(a, i, b, *n, &again));
    CHECK(again == *n);
    return b;
}

static void test_pieces_equal_whole(void)
{
    rmtk_model *m0, *m1, *m2, *m3;
    rmtk_analysis *whole = build(&m0), *even = build(&m1), *odd = build(&m2),
                  *sum = build(&m3);
    size_t n = rmtk_analysis_count(whole);
    CHECK(n == 6);
    CHECK_STATUS(rmtk_analysis_run(whole, NULL, NULL), RMTK_ERR_RANGE);
    size_t ie[3], io[3], ne = 0, no = 0;
    for (size_t i = 0; i < n; i++) {
        if (i % 2)
            io[no++] = i;
        else
            ie[ne++] = i;
    }
    /* Entry 5 ("overflow") fails: the odd half reports it like a whole run. */
    /* The even half one entry per run, as an MPI worker's chunks: the Porter-Thomas nulls kept
     * from one run to the next must give what a whole run gives. */
    for (size_t i = 0; i < ne; i++)
        CHECK_OK(rmtk_analysis_run_entries(even, &ie[i], 1, NULL, NULL));
    CHECK_STATUS(rmtk_analysis_run_entries(odd, io, no, NULL, NULL), RMTK_ERR_RANGE);
    CHECK(strstr(rmtk_analysis_errmsg(odd), "overflow: sigma_1") != NULL);
    /* The even analysis computed only its entries. */
    rmtk_analysis_row r;
    CHECK_OK(rmtk_analysis_row_get(even, 1, &r));
    CHECK(strcmp(r.method, "") == 0 && strcmp(r.status, "ok") == 0);
    CHECK_OK(rmtk_analysis_row_get(even, 0, &r));
    CHECK(strcmp(r.method, "") != 0);
    /* An entry computes once. */
    CHECK_STATUS(rmtk_analysis_run_entries(even, ie, 1, NULL, NULL), RMTK_ERR_ARG);
    size_t bad = 99;
    CHECK_STATUS(rmtk_analysis_run_entries(even, &bad, 1, NULL, NULL), RMTK_ERR_ARG);

    for (size_t i = 0; i < n; i++) {
        size_t len;
        void *b = export_entry(i % 2 ? odd : even, i, &len);
        CHECK_OK(rmtk_analysis_entry_import(sum, i, b, len));
        free(b);
    }
    CHECK_OK(rmtk_analysis_finish(sum)); /* multiple testing across the model, model summary */
    membuf j0 = {0}, c0 = {0}, j1 = {0}, c1 = {0};
    write_both(whole, &j0, &c0);
    write_both(sum, &j1, &c1);
    CHECK(j0.len == j1.len && memcmp(j0.buf, j1.buf, j0.len) == 0);
    CHECK(c0.len == c1.len && memcmp(c0.buf, c1.buf, c0.len) == 0);
    /* The report holds arrays of every stage and the failure's message. */
    CHECK(strstr(j1.buf, "\"spacing_ratios\"") && strstr(j1.buf, "\"hill_alpha\"") &&
          strstr(j1.buf, "\"pt_p_left\"") && strstr(j1.buf, "\"null_ks_each\""));
    CHECK(strstr(c1.buf, "overflow,,,,,,,,60,90,F64,,error,sigma_1 = 1e+200: lambda_max") != NULL);
    size_t cs;
    CHECK_OK(rmtk_analysis_column_find(sum, "spectral_norm", &cs));
    CHECK(rmtk_analysis_value(sum, 0, cs) == rmtk_analysis_value(whole, 0, cs));

    /* provenance: last member, only when set; the rest unchanged */
    CHECK(strstr(j1.buf, "provenance") == NULL);
    CHECK_OK(rmtk_analysis_provenance_set(sum, "ranks", NULL, 3));
    CHECK_OK(rmtk_analysis_provenance_set(sum, "hosts", "a,b", 0));
    CHECK_OK(rmtk_analysis_provenance_set(sum, "ranks", NULL, 4));
    CHECK_STATUS(rmtk_analysis_provenance_set(sum, "", "x", 0), RMTK_ERR_ARG);
    membuf j2 = {0};
    CHECK_OK(rmtk_analysis_write_json_fn(sum, mem_write, &j2));
    const char *tail = ",\"provenance\":{\"ranks\":4,\"hosts\":\"a,b\"}}\n";
    CHECK(j2.len == j1.len + strlen(tail) - 2);
    CHECK(j2.len > strlen(tail) && strcmp(j2.buf + j2.len - strlen(tail), tail) == 0);
    CHECK(memcmp(j2.buf, j1.buf, j1.len - 2) == 0);
    free(j0.buf), free(c0.buf), free(j1.buf), free(c1.buf), free(j2.buf);
    rmtk_analysis_free(whole), rmtk_analysis_free(even), rmtk_analysis_free(odd);
    rmtk_analysis_free(sum);
    rmtk_model_close(m0), rmtk_model_close(m1), rmtk_model_close(m2), rmtk_model_close(m3);
}

static void test_blob_errors(void)
{
    rmtk_model *m0, *m1;
    rmtk_analysis *a = build(&m0), *b = build(&m1);
    size_t idx = 0, len, small;
    CHECK_OK(rmtk_analysis_run_entries(a, &idx, 1, NULL, NULL));
    unsigned char *blob = export_entry(a, 0, &len);
    unsigned char tiny[16];
    CHECK_STATUS(rmtk_analysis_entry_export(a, 0, tiny, sizeof tiny, &small), RMTK_ERR_RANGE);
    CHECK(small == len);
    /* another entry */
    CHECK_STATUS(rmtk_analysis_entry_import(b, 1, blob, len), RMTK_ERR_FORMAT);
    CHECK(strstr(rmtk_analysis_errmsg(b), "of another analysis") != NULL);
    /* truncated anywhere: refused, the entry untouched */
    for (size_t cut = 0; cut < len; cut += 1 + cut / 7)
        CHECK_STATUS(rmtk_analysis_entry_import(b, 0, blob, cut), RMTK_ERR_FORMAT);
    rmtk_analysis_row r;
    CHECK_OK(rmtk_analysis_row_get(b, 0, &r));
    CHECK(strcmp(r.method, "") == 0);
    /* another byte order or column set */
    blob[8] ^= 0xff;
    CHECK_STATUS(rmtk_analysis_entry_import(b, 0, blob, len), RMTK_ERR_FORMAT);
    CHECK(strstr(rmtk_analysis_errmsg(b), "byte order") != NULL);
    blob[8] ^= 0xff;
    blob[0] = 'X';
    CHECK_STATUS(rmtk_analysis_entry_import(b, 0, blob, len), RMTK_ERR_FORMAT);
    blob[0] = 'R';
    /* trailing bytes */
    unsigned char *longer = malloc(len + 1);
    memcpy(longer, blob, len);
    longer[len] = 0;
    CHECK_STATUS(rmtk_analysis_entry_import(b, 0, longer, len + 1), RMTK_ERR_FORMAT);
    /* the good blob, twice (replaces, no leak) */
    CHECK_OK(rmtk_analysis_entry_import(b, 0, blob, len));
    CHECK_OK(rmtk_analysis_entry_import(b, 0, blob, len));
    const double *x, *y;
    size_t nx, ny;
    CHECK_OK(rmtk_analysis_array(a, 0, "singular_values", &x, &nx));
    CHECK_OK(rmtk_analysis_array(b, 0, "singular_values", &y, &ny));
    CHECK(nx == ny && nx > 0 && memcmp(x, y, nx * sizeof *x) == 0);
    /* an imported entry is computed: not again */
    CHECK_STATUS(rmtk_analysis_run_entries(b, &idx, 1, NULL, NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_analysis_entry_export(NULL, 0, NULL, 0, &len), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_analysis_entry_import(b, 99, blob, len), RMTK_ERR_ARG);
    free(longer);
    free(blob);
    rmtk_analysis_free(a), rmtk_analysis_free(b);
    rmtk_model_close(m0), rmtk_model_close(m1);
}

int main(void)
{
    RUN(test_pieces_equal_whole);
    RUN(test_blob_errors);
    return harness_done();
}
