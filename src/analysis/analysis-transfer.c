/*
 * analysis-transfer.c: an analysis computed in pieces, by several processes. A driver (the CLI's
 * MPI driver, cli/mpi-driver.c) builds the same analysis in every process, computes a subset of
 * its entries in each (rmtk_analysis_run_entries), moves each computed entry's complete results
 * as a byte blob (rmtk_analysis_entry_export / _import) to one process, which then writes the
 * report with the ordinary writers. Every result of an entry is a function of the matrix, the
 * parameters and the entry's index alone (analysis.c, "Determinism"), so the assembled report is
 * byte-identical to a run in one process. Also the provenance of a run (rank count, hosts,
 * timing) that report.json lists apart from the results.
 *
 * The blob (native byte order and doubles; a header refuses another byte order or column set):
 *   "RMTKENT1"  u32 0x01020304 (byte order)  u32 ncols
 *   u64 index  i64 rows  i64 cols  str name            (identity: refused if it differs)
 *   i32 status  i32 method  i32 fallback  i32 has_errmsg  str errmsg
 *   f64 values[ncols]
 *   u64 narrays, then per array: str key  u64 n  f64 x[n]
 * where str is u64 length + bytes (no NUL). Doubles are copied bit for bit (NaN payloads too).
 */
#include "analysis-internal.h"

#include <math.h>
#include <string.h>

#define BLOB_MAGIC "RMTKENT1"
#define BLOB_ORDER 0x01020304u

/* ---- subset runs ---------------------------------------------------------------------------- */

/* Computed already: a finished entry has an error status or at least its singular values. */
static int entry_done(const rmtk__entry *e)
{
    return e->status != RMTK_OK || e->narrays > 0;
}

/*
 * The subset runs through rmtk_analysis_run itself (one code path: the same pool, plans,
 * scheduling and per-matrix seeds): the run computes the entries whose skip is
 * RMTK_SKIP_NONE, so for its duration the entries outside the subset carry a private skip mark,
 * restored before returning. Readers of the handle must not run concurrently (one thread drives
 * a handle, rmtk.h).
 */
#define SKIP_OUTSIDE_SUBSET (-1000)

int rmtk_analysis_run_entries(rmtk_analysis *a, const size_t *idx, size_t n,
                              rmtk_progress_fn progress, void *user)
{
    if (!a || (n && !idx))
        return RMTK_ERR_ARG;
    for (size_t j = 0; j < n; j++) {
        if (idx[j] >= a->nentries)
            return rmtk__fail(a->errmsg, RMTK_ERR_ARG, "rmtk_analysis_run_entries: entry %zu "
                              "of %zu (the analysis has %zu)", idx[j], n, a->nentries);
        const rmtk__entry *e = &a->entries[idx[j]];
        if (e->e.skip == RMTK_SKIP_NONE && entry_done(e))
            return rmtk__fail(a->errmsg, RMTK_ERR_ARG, "rmtk_analysis_run_entries: entry %zu "
                              "(%s) is computed already", idx[j], e->e.name);
    }
    int32_t *saved = rmtk__malloc_array(a->nentries ? a->nentries : 1, sizeof *saved);
    unsigned char *in = rmtk__calloc(a->nentries ? a->nentries : 1, 1);
    if (!saved || !in) {
        rmtk__free(saved);
        rmtk__free(in);
        return RMTK_ERR_NOMEM;
    }
    for (size_t j = 0; j < n; j++)
        in[idx[j]] = 1;
    for (size_t i = 0; i < a->nentries; i++) {
        saved[i] = a->entries[i].e.skip;
        if (!in[i] && saved[i] == RMTK_SKIP_NONE)
            a->entries[i].e.skip = SKIP_OUTSIDE_SUBSET;
    }
    int st = rmtk_analysis_run(a, progress, user);
    for (size_t i = 0; i < a->nentries; i++)
        a->entries[i].e.skip = saved[i];
    /* rmtk_analysis_run reports the first failed entry of the whole analysis; here only the
     * subset counts. A listed entry left uncomputed means the run stopped before it. */
    int result = RMTK_OK;
    for (size_t i = 0; i < a->nentries && !result; i++) {
        const rmtk__entry *e = &a->entries[i];
        if (!in[i] || e->e.skip != RMTK_SKIP_NONE)
            continue;
        if (!entry_done(e))
            result = st ? st : RMTK_ERR_INTERNAL;
        else if (e->status)
            result = rmtk__fail(a->errmsg, e->status, "%s: %s", e->e.name,
                                e->errmsg ? e->errmsg : "");
    }
    rmtk__free(saved);
    rmtk__free(in);
    return result;
}

/* ---- blobs ---------------------------------------------------------------------------------- */

typedef struct {
    unsigned char *p; /* NULL: only count */
    size_t len, cap;
} wbuf;

static void put(wbuf *w, const void *x, size_t n)
{
    if (n && w->p && w->len + n <= w->cap)
        memcpy(w->p + w->len, x, n);
    w->len += n;
}

static void put_u64(wbuf *w, uint64_t v) { put(w, &v, sizeof v); }
static void put_i64(wbuf *w, int64_t v) { put(w, &v, sizeof v); }
static void put_i32(wbuf *w, int32_t v) { put(w, &v, sizeof v); }
static void put_u32(wbuf *w, uint32_t v) { put(w, &v, sizeof v); }

static void put_str(wbuf *w, const char *s)
{
    size_t n = s ? strlen(s) : 0;
    put_u64(w, (uint64_t)n);
    put(w, s, n);
}

int rmtk_analysis_entry_export(const rmtk_analysis *a, size_t i, void *buf, size_t size,
                               size_t *needed)
{
    if (!a || !needed || i >= a->nentries || (size && !buf))
        return RMTK_ERR_ARG;
    const rmtk__entry *e = &a->entries[i];
    wbuf w = {buf, 0, size};
    put(&w, BLOB_MAGIC, 8);
    put_u32(&w, BLOB_ORDER);
    put_u32(&w, (uint32_t)RMTK__NCOLS);
    put_u64(&w, (uint64_t)i);
    put_i64(&w, e->e.rows);
    put_i64(&w, e->e.cols);
    put_str(&w, e->e.name);
    put_i32(&w, e->status);
    put_i32(&w, e->method);
    put_i32(&w, e->fallback);
    put_i32(&w, e->errmsg != NULL);
    put_str(&w, e->errmsg);
    put(&w, e->values, sizeof e->values);
    put_u64(&w, (uint64_t)e->narrays);
    for (size_t j = 0; j < e->narrays; j++) {
        put_str(&w, e->arrays[j].key);
        put_u64(&w, (uint64_t)e->arrays[j].n);
        put(&w, e->arrays[j].x, e->arrays[j].n * sizeof(double));
    }
    *needed = w.len;
    return buf && w.len > size ? RMTK_ERR_RANGE : RMTK_OK;
}

typedef struct {
    const unsigned char *p;
    size_t len, off;
    int bad;
} rbuf;

static const unsigned char *take(rbuf *r, size_t n)
{
    if (r->bad || n > r->len - r->off) {
        r->bad = 1;
        return NULL;
    }
    const unsigned char *q = r->p + r->off;
    r->off += n;
    return q;
}

/* n bytes into *v, zeros when the blob is short (r->bad is then set) */
static void get(rbuf *r, void *v, size_t n)
{
    const unsigned char *q = take(r, n);
    if (q)
        memcpy(v, q, n);
    else
        memset(v, 0, n);
}

static uint64_t get_u64(rbuf *r) { uint64_t v; get(r, &v, sizeof v); return v; }
static int64_t get_i64(rbuf *r) { int64_t v; get(r, &v, sizeof v); return v; }
static int32_t get_i32(rbuf *r) { int32_t v; get(r, &v, sizeof v); return v; }
static uint32_t get_u32(rbuf *r) { uint32_t v; get(r, &v, sizeof v); return v; }

/* A string field: its bytes (not NUL-terminated) and length. */
static const char *get_str(rbuf *r, size_t *n)
{
    uint64_t len = get_u64(r);
    *n = (size_t)len;
    if (r->bad || len > r->len - r->off) {
        r->bad = 1;
        *n = 0;
        return NULL;
    }
    return (const char *)take(r, (size_t)len);
}

/* The results of an entry, dropped (before an import replaces them). */
static void entry_clear(rmtk__entry *e)
{
    rmtk__free(e->errmsg);
    e->errmsg = NULL;
    for (size_t j = 0; j < e->narrays; j++)
        rmtk__free(e->arrays[j].x);
    e->narrays = 0;
    e->status = RMTK_OK;
    e->method = e->fallback = 0;
    for (int c = 0; c < RMTK__NCOLS; c++)
        e->values[c] = NAN;
}

/* Checks the whole blob (structure, identity, sizes) before the entry is touched. */
static int blob_check(rmtk_analysis *a, size_t i, const void *buf, size_t size)
{
    const rmtk__entry *e = &a->entries[i];
    rbuf r = {buf, size, 0, 0};
    const unsigned char *magic = take(&r, 8);
    if (!magic || memcmp(magic, BLOB_MAGIC, 8) != 0)
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu (%s): the result blob (%zu "
                          "bytes) does not start with " BLOB_MAGIC, i, e->e.name, size);
    uint32_t order = get_u32(&r), ncols = get_u32(&r);
    if (order != BLOB_ORDER || ncols != (uint32_t)RMTK__NCOLS)
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu (%s): the result blob comes "
                          "from another byte order or rmtk version (order mark 0x%08x, %u "
                          "columns; here 0x%08x, %d)", i, e->e.name, (unsigned)order,
                          (unsigned)ncols, BLOB_ORDER, (int)RMTK__NCOLS);
    uint64_t idx = get_u64(&r);
    int64_t rows = get_i64(&r), cols = get_i64(&r);
    size_t nlen;
    const char *name = get_str(&r, &nlen);
    if (r.bad)
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu: the result blob is truncated "
                          "(%zu bytes)", i, size);
    if (idx != (uint64_t)i || rows != e->e.rows || cols != e->e.cols ||
        nlen != strlen(e->e.name) || (nlen && memcmp(name, e->e.name, nlen) != 0))
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu (%s, %lld x %lld): the result "
                          "blob is of entry %llu (%.*s, %lld x %lld) of another analysis", i,
                          e->e.name, (long long)e->e.rows, (long long)e->e.cols,
                          (unsigned long long)idx, (int)(nlen < 200 ? nlen : 200),
                          name ? name : "", (long long)rows, (long long)cols);
    get_i32(&r); /* status, method, fallback, has_errmsg */
    get_i32(&r);
    get_i32(&r);
    get_i32(&r);
    get_str(&r, &nlen);
    take(&r, sizeof e->values);
    uint64_t narrays = get_u64(&r);
    if (!r.bad && narrays > RMTK__MAX_ARRAYS)
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu (%s): the result blob holds "
                          "%llu arrays (at most %d)", i, e->e.name,
                          (unsigned long long)narrays, RMTK__MAX_ARRAYS);
    for (uint64_t j = 0; j < narrays && !r.bad; j++) {
        size_t klen;
        get_str(&r, &klen);
        uint64_t n = get_u64(&r);
        if (!r.bad && (klen == 0 || n > (r.len - r.off) / sizeof(double)))
            r.bad = 1;
        else
            take(&r, (size_t)n * sizeof(double));
    }
    if (r.bad || r.off != size)
        return rmtk__fail(a->errmsg, RMTK_ERR_FORMAT, "entry %zu (%s): the result blob is "
                          "malformed or truncated at byte %zu of %zu", i, e->e.name, r.off,
                          size);
    return RMTK_OK;
}

int rmtk_analysis_entry_import(rmtk_analysis *a, size_t i, const void *buf, size_t size)
{
    if (!a || !buf || i >= a->nentries)
        return RMTK_ERR_ARG;
    int st = blob_check(a, i, buf, size);
    if (st)
        return st;
    rmtk__entry *e = &a->entries[i];
    entry_clear(e);
    rbuf r = {buf, size, 0, 0};
    take(&r, 8);
    get_u32(&r);
    get_u32(&r);
    get_u64(&r);
    get_i64(&r);
    get_i64(&r);
    size_t n;
    get_str(&r, &n);
    int32_t status = get_i32(&r);
    e->method = get_i32(&r);
    e->fallback = get_i32(&r);
    int32_t has_errmsg = get_i32(&r);
    const char *msg = get_str(&r, &n);
    if (has_errmsg) {
        if (!(e->errmsg = rmtk__malloc(n + 1)))
            goto nomem;
        if (n)
            memcpy(e->errmsg, msg, n);
        e->errmsg[n] = '\0';
    }
    memcpy(e->values, take(&r, sizeof e->values), sizeof e->values);
    uint64_t narrays = get_u64(&r);
    for (uint64_t j = 0; j < narrays; j++) {
        size_t klen;
        const char *key = get_str(&r, &klen);
        size_t len = (size_t)get_u64(&r);
        const unsigned char *x = take(&r, len * sizeof(double));
        /* The key lives in the array's own block, after the values, so it is freed with them
         * (rmtk_analysis_free frees arrays[j].x; keys are otherwise static strings). */
        size_t bytes = len * sizeof(double) + klen + 1;
        double *block = rmtk__malloc(bytes);
        if (!block)
            goto nomem;
        if (len)
            memcpy(block, x, len * sizeof(double));
        char *k = (char *)(block + len);
        memcpy(k, key, klen);
        k[klen] = '\0';
        e->arrays[e->narrays].key = k;
        e->arrays[e->narrays].x = block;
        e->arrays[e->narrays].n = len;
        e->narrays++;
    }
    e->status = status;
    return RMTK_OK;
nomem:
    entry_clear(e);
    e->status = RMTK_ERR_NOMEM;
    return RMTK_ERR_NOMEM;
}

/* ---- provenance ----------------------------------------------------------------------------- */

int rmtk_analysis_provenance_set(rmtk_analysis *a, const char *key, const char *text,
                                 double number)
{
    if (!a || !key || !*key)
        return RMTK_ERR_ARG;
    size_t j;
    for (j = 0; j < a->nprov && strcmp(a->prov[j].key, key) != 0; j++)
        ;
    if (j == RMTK__MAX_PROVENANCE)
        return rmtk__fail(a->errmsg, RMTK_ERR_RANGE, "provenance: at most %d keys",
                          RMTK__MAX_PROVENANCE);
    char *k = rmtk__strdup(key), *t = text ? rmtk__strdup(text) : NULL;
    if (!k || (text && !t)) {
        rmtk__free(k);
        rmtk__free(t);
        return RMTK_ERR_NOMEM;
    }
    if (j < a->nprov) {
        rmtk__free(a->prov[j].key);
        rmtk__free(a->prov[j].text);
    } else {
        a->nprov++;
    }
    a->prov[j].key = k;
    a->prov[j].text = t;
    a->prov[j].number = number;
    return RMTK_OK;
}

void rmtk__provenance_free(rmtk_analysis *a)
{
    for (size_t j = 0; j < a->nprov; j++) {
        rmtk__free(a->prov[j].key);
        rmtk__free(a->prov[j].text);
    }
    a->nprov = 0;
}
