/*
 * test-readers.c: the checkpoint readers against files written by numpy, torch (tensor bytes in
 * safetensors assembled with struct + json), Python's zipfile and a zip64 writer of the test
 * generator (tests/data/gen-readers.py). Values read back must equal numpy's float64
 * conversion exactly; every hand-broken file must fail with the expected status and a message
 * naming the file, the tensor and the offending values. Opening and listing must read no tensor
 * bytes (also on a 16 GiB sparse file), an .npz listing must not inflate whole members, and an
 * allocation-failure sweep must give RMTK_ERR_NOMEM at every allocation without a leak.
 */
#include "harness-model.h"
#include "model-internal.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void test_good_files(void)
{
    FILE *mf = fopen(harness_data("readers_good.txt"), "r");
    CHECK(mf != NULL);
    if (!mf)
        return;
    char line[2048], path[4096];
    int cases = 0;
    while (fgets(line, sizeof line, mf)) {
        char *f[8];
        if (harness_split(line, f, 8) != 7)
            continue;
        snprintf(path, sizeof path, "%s", harness_data(f[0]));
        rmtk_model *m = NULL;
        int st = rmtk_model_open(path, &m);
        if (st != RMTK_OK)
            fprintf(stderr, "open %s: %s\n", path, rmtk_model_errmsg(m));
        CHECK_OK(st);
        size_t idx = 0;
        rmtk_tensor_info ti;
        if (st == RMTK_OK && rmtk_model_find(m, f[1], &idx) == RMTK_OK &&
            rmtk_model_tensor_info(m, idx, &ti) == RMTK_OK) {
            /* the index matches what the writer wrote */
            CHECK(strcmp(rmtk_dtype_name(ti.dtype), f[2]) == 0);
            char shp[256] = "";
            size_t k = 0;
            for (int d = 0; d < ti.ndim; d++)
                k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", d ? "," : "",
                                      (long long)ti.shape[d]);
            if (strcmp(shp, f[3]) != 0)
                fprintf(stderr, "%s %s: shape %s, expected %s\n", f[0], f[1], shp, f[3]);
            CHECK(strcmp(shp, f[3]) == 0);
            CHECK(ti.fortran_order == (int32_t)strtol(f[4], NULL, 10));
            CHECK(ti.big_endian == (int32_t)strtol(f[5], NULL, 10));
            CHECK(ti.nbytes == ti.numel * rmtk_dtype_size(ti.dtype));
            CHECK(rmtk_model_bytes_read(m) == 0);
            size_t n = 0;
            double *want = harness_read_f64(harness_data(f[6]), &n);
            CHECK(want != NULL && n == ti.numel);
            double *got = malloc((ti.numel ? ti.numel : 1) * sizeof *got);
            CHECK_OK(rmtk_model_read_f64(m, idx, got, ti.numel));
            size_t bad = 0;
            for (size_t i = 0; want && i < n && i < ti.numel; i++)
                bad += !same(got[i], want[i]);
            if (bad)
                fprintf(stderr, "%s %s: %zu values differ from numpy\n", f[0], f[1], bad);
            CHECK(bad == 0);
            CHECK(rmtk_model_bytes_read(m) > 0 || ti.nbytes == 0);
            free(want);
            free(got);
            cases++;
        } else {
            fprintf(stderr, "%s: tensor %s not found\n", f[0], f[1]);
            CHECK(0);
        }
        rmtk_model_close(m);
    }
    fclose(mf);
    CHECK(cases >= 57);
}

static void test_bad_files(void)
{
    CHECK(harness_bad_files("readers_bad.txt") >= 64);
}

static void test_index_details(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("readers/basic.safetensors"), &m));
    CHECK(strcmp(rmtk_model_format(m), "safetensors") == 0);
    /* metadata kept */
    CHECK(rmtk_model_metadata_count(m) == 2);
    const char *k, *v;
    int found = 0;
    for (size_t i = 0; i < rmtk_model_metadata_count(m); i++) {
        CHECK_OK(rmtk_model_metadata(m, i, &k, &v));
        found += strcmp(k, "format") == 0 && strcmp(v, "pt") == 0;
        found += strcmp(k, "note") == 0 && strcmp(v, "written by gen-readers.py") == 0;
    }
    CHECK(found == 2);
    CHECK_STATUS(rmtk_model_metadata(m, 2, &k, &v), RMTK_ERR_NOTFOUND);
    /* non-numeric tensors are indexed */
    size_t i;
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_find(m, "mask", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.dtype == RMTK_DTYPE_BOOL && ti.nbytes == 144);
    double buf[200];
    CHECK_STATUS(rmtk_model_read_f64(m, i, buf, 200), RMTK_ERR_UNSUPPORTED);
    CHECK_OK(rmtk_model_find(m, "odd", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.dtype == RMTK_DTYPE_OTHER && strcmp(ti.dtype_str, "F8_E8M0") == 0);
    CHECK(ti.nbytes == 4 && ti.ndim == 1 && ti.shape[0] == 4);
    /* index order is data order: offsets increase */
    uint64_t prev = 0;
    int ordered = 1;
    for (size_t j = 0; j < rmtk_model_tensor_count(m); j++) {
        CHECK_OK(rmtk_model_tensor_info(m, j, &ti));
        ordered &= ti.offset >= prev;
        prev = ti.offset;
    }
    CHECK(ordered);
    CHECK(rmtk_model_tensor_count(m) == 24);
    /* argument and lookup errors */
    CHECK_STATUS(rmtk_model_find(m, "nope", &i), RMTK_ERR_NOTFOUND);
    CHECK_STATUS(rmtk_model_tensor_info(m, 999, &ti), RMTK_ERR_NOTFOUND);
    CHECK_OK(rmtk_model_find(m, "w_f32", &i));
    CHECK_STATUS(rmtk_model_read_f64(m, i, buf, 10), RMTK_ERR_RANGE);
    CHECK(strstr(rmtk_model_errmsg(m), "w_f32") != NULL);
    CHECK_STATUS(rmtk_model_read_f64(m, 999, buf, 10), RMTK_ERR_NOTFOUND);
    CHECK_STATUS(rmtk_model_read_f64(m, i, NULL, 10), RMTK_ERR_ARG);
    const void *d;
    CHECK_STATUS(rmtk_model_map(m, 999, &d), RMTK_ERR_NOTFOUND);
    rmtk_model_close(m);

    CHECK_STATUS(rmtk_model_open(NULL, &m), RMTK_ERR_ARG);
    CHECK(m == NULL);
    CHECK_STATUS(rmtk_model_open("x", NULL), RMTK_ERR_ARG);
    CHECK_STATUS(rmtk_model_open(harness_data("readers/no-such-file.safetensors"), &m),
                 RMTK_ERR_IO);
    CHECK(strstr(rmtk_model_errmsg(m), "no-such-file.safetensors") != NULL);
    rmtk_model_close(m);
    CHECK_STATUS(rmtk_model_open(harness_data("readers/golden"), &m), RMTK_ERR_NOTFOUND);
    CHECK(strstr(rmtk_model_errmsg(m), "no *.safetensors") != NULL);
    rmtk_model_close(m);
    rmtk_model_close(NULL);
    CHECK(rmtk_model_tensor_count(NULL) == 0);

    /* shard index and directory give the same index: 4 tensors, the index's metadata kept */
    CHECK_OK(rmtk_model_open(harness_data("readers/shards/model.safetensors.index.json"), &m));
    CHECK(rmtk_model_tensor_count(m) == 4);
    found = 0;
    for (size_t j = 0; j < rmtk_model_metadata_count(m); j++) {
        CHECK_OK(rmtk_model_metadata(m, j, &k, &v));
        found += strcmp(k, "total_size") == 0 && strcmp(v, "7400") == 0;
    }
    CHECK(found == 1);
    rmtk_model_close(m);
    CHECK_OK(rmtk_model_open(harness_data("readers/shards"), &m));
    CHECK(rmtk_model_tensor_count(m) == 4);
    CHECK_OK(rmtk_model_tensor_info(m, 0, &ti));
    CHECK(strstr(ti.file, "model-00001-of-00002.safetensors") != NULL);
    CHECK_OK(rmtk_model_tensor_info(m, 3, &ti));
    CHECK(strstr(ti.file, "model-00002-of-00002.safetensors") != NULL);
    rmtk_model_close(m);

    /* npy: one tensor named after the file's stem */
    CHECK_OK(rmtk_model_open(harness_data("readers/bool.npy"), &m));
    CHECK(strcmp(rmtk_model_format(m), "npy") == 0);
    CHECK_OK(rmtk_model_tensor_info(m, 0, &ti));
    CHECK(strcmp(ti.name, "bool") == 0 && ti.dtype == RMTK_DTYPE_BOOL);
    rmtk_model_close(m);
    CHECK_OK(rmtk_model_open(harness_data("readers/complex.npy"), &m));
    CHECK_OK(rmtk_model_tensor_info(m, 0, &ti));
    CHECK(ti.dtype == RMTK_DTYPE_OTHER && strcmp(ti.dtype_str, "<c16") == 0);
    rmtk_model_close(m);
}

/* Listing an .npz inflates only the npy headers: for a deflated 8 MB member, a few hundred
 * bytes. Reading the member then inflates all of it. */
static void test_npz_lazy(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(harness_data("readers/deflated.npz"), &m));
    CHECK(strcmp(rmtk_model_format(m), "npz") == 0);
    CHECK(rmtk_model_bytes_read(m) == 0);
    CHECK(m->bytes_inflated <= 3 * 256);
    size_t i;
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_find(m, "big", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.nbytes == 8000000);
    uint64_t before = m->bytes_inflated;
    const void *d;
    CHECK_OK(rmtk_model_map(m, i, &d));
    CHECK(m->bytes_inflated - before >= 8000000);
    CHECK(rmtk_model_bytes_read(m) > 0);
    rmtk_model_close(m);
}

/* A 16 GiB tensor whose bytes are a hole in a sparse file: opening and describing it must be
 * instant and read nothing; mapping the small tensor after it reads 16 bytes. */
static void test_sparse(void)
{
    char path[] = "/tmp/rmtk-sparse-XXXXXX.safetensors";
    int fd = mkstemps(path, 12);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    const uint64_t huge = 65536ull * 65536ull * 4ull;
    char js[512];
    int n = snprintf(js, sizeof js,
                     "{\"huge\":{\"dtype\":\"F32\",\"shape\":[65536,65536],"
                     "\"data_offsets\":[0,%llu]},\"tiny\":{\"dtype\":\"F32\",\"shape\":[4],"
                     "\"data_offsets\":[%llu,%llu]}}",
                     (unsigned long long)huge, (unsigned long long)huge,
                     (unsigned long long)(huge + 16));
    unsigned char len[8];
    for (int i = 0; i < 8; i++)
        len[i] = (unsigned char)((uint64_t)n >> (8 * i));
    float tiny[4] = {1.5f, -2.0f, 0.25f, 8.0f};
    int ok = write(fd, len, 8) == 8 && write(fd, js, (size_t)n) == n &&
             ftruncate(fd, (off_t)(8 + (uint64_t)n + huge)) == 0 &&
             pwrite(fd, tiny, 16, (off_t)(8 + (uint64_t)n + huge)) == 16;
    close(fd);
    CHECK(ok);
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(path, &m));
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_tensor_info(m, 0, &ti));
    CHECK(strcmp(ti.name, "huge") == 0 && ti.nbytes == huge && ti.shape[0] == 65536);
    rmtk_layers *l = NULL;
    CHECK_OK(rmtk_layers_alloc(m, NULL, &l));
    CHECK(rmtk_layers_count(l) == 2);
    rmtk_layers_free(l);
    CHECK(rmtk_model_bytes_read(m) == 0);
    double v[4];
    CHECK_OK(rmtk_model_read_f64(m, 1, v, 4));
    CHECK(v[0] == 1.5 && v[1] == -2.0 && v[2] == 0.25 && v[3] == 8.0);
    CHECK(rmtk_model_bytes_read(m) == 16);
    rmtk_model_close(m);
    /* the CLI: describe lists it (its own bytes_read is the library's; the output names the
     * 17179869184 bytes) */
    char cmd[4200], out[8192] = "";
    snprintf(cmd, sizeof cmd, "%s describe '%s' 2>&1", RMTK_CLI, path);
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(out, 1, sizeof out - 1, p) : 0;
    out[got] = '\0';
    int rc = p ? pclose(p) : -1;
    CHECK(rc == 0);
    CHECK(strstr(out, "huge") && strstr(out, "17179869184") && strstr(out, "65536 x 65536"));
    unlink(path);
}

/* Every allocation of open (and of mapping a deflated member) may fail: each must give
 * RMTK_ERR_NOMEM, nothing may crash or leak (the sanitizer build checks leaks). */
static void test_alloc_sweep(void)
{
    const char *files[] = {"readers/basic.safetensors",
                           "readers/shards/model.safetensors.index.json", "readers/shards",
                           "readers/deflated.npz", "readers/zip64_full.npz", "readers/f_f8.npy"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
        CHECK(harness_nomem_sweep(harness_data(files[f]), NULL) > 3);
}

/* Run a shell command; its exit status and the first bytes of its output. */
static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(out, 1, cap - 1, p) : 0;
    out[got] = '\0';
    int rc = p ? pclose(p) : -1;
    return rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* The describe command: JSON parsed by Python agrees with the index, reads no tensor bytes;
 * --help, bad options and malformed files give the documented exit codes. */
static void test_describe_cli(void)
{
    char cmd[20000], out[16384], a[4096], b[4096], c[4096];
    snprintf(a, sizeof a, "%s", harness_data("readers/basic.safetensors"));
    snprintf(b, sizeof b, "%s", harness_data("readers/deflated.npz"));
    snprintf(c, sizeof c, "%s", harness_data("readers/shards/model.safetensors.index.json"));
    snprintf(cmd, sizeof cmd,
             "%s describe --json %s %s %s | %s -c \"import json,sys; d=json.load(sys.stdin); "
             "f=d['files']; print(len(f), [len(x['tensors']) for x in f], "
             "[x['tensor_bytes_read'] for x in f], f[0]['metadata']['format'], "
             "[t['skip']['kind'] for t in f[0]['tensors'] if t['name']=='bias'], "
             "[len(t['matrices']) for t in f[0]['tensors'] if t['name']=='stack'])\"",
             RMTK_CLI, a, b, c, RMTK_PYTHON);
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(strcmp(out, "3 [24, 3, 4] [0, 0, 0] pt ['ndim'] [3]\n") == 0);
    if (strcmp(out, "3 [24, 3, 4] [0, 0, 0] pt ['ndim'] [3]\n") != 0)
        fprintf(stderr, "describe --json gave: %s\n", out);
    snprintf(cmd, sizeof cmd, "%s describe --conv slices --min-side 12 %s 2>&1", RMTK_CLI,
             harness_data("readers/basic.safetensors"));
    CHECK(run(cmd, out, sizeof out) == 0);
    CHECK(strstr(out, "9 x (16 x 12)") != NULL);
    CHECK(strstr(out, "skipped: min side 11 < min_side 12") != NULL);
    snprintf(cmd, sizeof cmd, "%s describe --help", RMTK_CLI);
    CHECK(run(cmd, out, sizeof out) == 0 && strstr(out, "usage: rmtk describe"));
    snprintf(cmd, sizeof cmd, "%s describe --bogus x 2>&1", RMTK_CLI);
    CHECK(run(cmd, out, sizeof out) == RMTK_ERR_ARG);
    snprintf(cmd, sizeof cmd, "%s describe %s 2>&1", RMTK_CLI,
             harness_data("readers/bad_gap.safetensors"));
    CHECK(run(cmd, out, sizeof out) == RMTK_ERR_FORMAT);
    CHECK(strncmp(out, "rmtk: ", 6) == 0 && strstr(out, "bad_gap.safetensors: gap"));
}

/* Open a (possibly corrupt) file and, if it opens, read every tensor and every matrix view:
 * the result must be a documented status, never a crash (the sanitizer build checks reads). */
static int exercise(const char *path)
{
    rmtk_model *m = NULL;
    int st = rmtk_model_open(path, &m);
    if (st == RMTK_OK) {
        for (size_t i = 0; i < rmtk_model_tensor_count(m); i++) {
            rmtk_tensor_info ti;
            if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK || ti.numel > (1u << 24))
                continue;
            double *d = malloc((ti.numel ? ti.numel : 1) * sizeof *d);
            int r = rmtk_model_read_f64(m, i, d, ti.numel);
            if (r != RMTK_OK && r != RMTK_ERR_FORMAT && r != RMTK_ERR_UNSUPPORTED)
                st = r;
            free(d);
        }
        rmtk_layers *l = NULL;
        if (rmtk_layers_alloc(m, NULL, &l) == RMTK_OK) {
            for (size_t k = 0; k < rmtk_layers_count(l); k++) {
                rmtk_matrix_entry e;
                rmtk_matrix_view v;
                if (rmtk_layers_get(l, k, &e) != RMTK_OK || e.skip != RMTK_SKIP_NONE)
                    continue;
                if (rmtk_layers_view(m, &e, &v) != RMTK_OK)
                    continue;
                double *d = malloc((size_t)(e.rows * e.cols) * sizeof *d);
                rmtk_matrix_to_double(v, d);
                free(d);
            }
        }
        rmtk_layers_free(l);
    }
    rmtk_model_close(m);
    return st;
}

/* Corrupt valid files (every truncation length of the headers, then random byte flips with a
 * fixed seed): every outcome must be RMTK_OK or a documented error status. */
static void test_corruption(void)
{
    const char *files[] = {"readers/basic.safetensors", "readers/stored.npz",
                           "readers/zip64_full.npz", "readers/hand_fortran.npy",
                           "readers/zip64_local.npz", "readers/v3.npy"};
    char tmp[] = "/tmp/rmtk-corrupt-XXXXXX";
    int fd = mkstemp(tmp);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    int trials = harness_quick() ? 60 : 250, bad = 0, total = 0;
    rmtk_rng r;
    rmtk_rng_init(&r, 2026, 11);
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        FILE *in = fopen(harness_data(files[f]), "rb");
        CHECK(in != NULL);
        if (!in)
            continue;
        static unsigned char orig[1 << 16], buf[1 << 16];
        size_t n = fread(orig, 1, sizeof orig, in);
        fclose(in);
        for (int t = 0; t < trials + 200; t++) {
            size_t len = n;
            memcpy(buf, orig, n);
            if (t < 200) {
                len = (size_t)t * n / 200; /* truncations */
            } else {
                int flips = 1 + (int)rmtk_rng_below(&r, 4);
                for (int k = 0; k < flips; k++) {
                    /* mostly in the headers (first 1 KiB and the zip directory at the end) */
                    size_t at = rmtk_rng_below(&r, 2) ? rmtk_rng_below(&r, RMTK_MIN(n, 1024))
                                                      : rmtk_rng_below(&r, n);
                    if (rmtk_rng_below(&r, 3) == 0 && n > 200)
                        at = n - 1 - rmtk_rng_below(&r, 200);
                    buf[at] = (unsigned char)rmtk_rng_u32(&r);
                }
            }
            FILE *o = fopen(tmp, "wb");
            fwrite(buf, 1, len, o);
            fclose(o);
            int st = exercise(tmp);
            total++;
            if (st != RMTK_OK && st != RMTK_ERR_FORMAT && st != RMTK_ERR_UNSUPPORTED &&
                st != RMTK_ERR_RANGE && st != RMTK_ERR_IO && st != RMTK_ERR_NOTFOUND) {
                fprintf(stderr, "%s trial %d: status %d\n", files[f], t, st);
                bad++;
            }
        }
    }
    unlink(tmp);
    CHECK(bad == 0);
    CHECK(total > 1000);
}

/* A safetensors header of nkeys metadata pairs "kI": "vI" and one F32 tensor "w" of 4 values
 * named `tensor` (written to path). */
static void write_meta_file(const char *path, const char *tensor, size_t nkeys)
{
    size_t cap = 64 + nkeys * 32, k = 0;
    char *h = malloc(cap);
    k += (size_t)snprintf(h + k, cap - k, "{\"__metadata__\": {");
    for (size_t i = 0; i < nkeys; i++)
        k += (size_t)snprintf(h + k, cap - k, "%s\"k%zu\": \"v%zu\"", i ? ", " : "", i, i);
    k += (size_t)snprintf(h + k, cap - k,
                          "}, \"%s\": {\"dtype\": \"F32\", \"shape\": [4], "
                          "\"data_offsets\": [0, 16]}}",
                          tensor);
    FILE *f = fopen(path, "wb");
    unsigned char len[8];
    for (int b = 0; b < 8; b++)
        len[b] = (unsigned char)((uint64_t)k >> (8 * b));
    fwrite(len, 1, 8, f);
    fwrite(h, 1, k, f);
    static const float w[4] = {1, 2, 3, 4};
    fwrite(w, sizeof w, 1, f);
    fclose(f);
    free(h);
}

/* __metadata__ with 200 000 keys is read in O(n log n) (a scan per key took 80 s); two shards
 * repeating the same pairs keep one copy, and a shard adding a pair adds it. */
static void test_many_metadata(void)
{
    enum { NK = 200000 };
    char dir[] = "/tmp/rmtk-meta-XXXXXX", a[256], b[256];
    CHECK(mkdtemp(dir) != NULL);
    snprintf(a, sizeof a, "%s/a.safetensors", dir);
    snprintf(b, sizeof b, "%s/b.safetensors", dir);
    write_meta_file(a, "wa", NK);
    write_meta_file(b, "wb", NK + 1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(a, &m));
    CHECK(rmtk_model_metadata_count(m) == NK);
    const char *k, *v;
    CHECK_OK(rmtk_model_metadata(m, NK - 1, &k, &v));
    CHECK(strcmp(k, "k199999") == 0 && strcmp(v, "v199999") == 0);
    rmtk_model_close(m);
    CHECK_OK(rmtk_model_open(dir, &m));
    CHECK(rmtk_model_tensor_count(m) == 2);
    CHECK(rmtk_model_metadata_count(m) == NK + 1);
    CHECK_OK(rmtk_model_metadata(m, NK, &k, &v));
    CHECK(strcmp(k, "k200000") == 0 && strcmp(v, "v200000") == 0);
    rmtk_model_close(m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    fprintf(stderr, "  3 x %d metadata keys read in %.2f s\n", NK,
            (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec));
    unlink(a);
    unlink(b);
    rmdir(dir);
}

int main(void)
{
    RUN(test_good_files);
    RUN(test_bad_files);
    RUN(test_index_details);
    RUN(test_npz_lazy);
    RUN(test_sparse);
    RUN(test_describe_cli);
    RUN(test_corruption);
    RUN(test_many_metadata);
    RUN(test_alloc_sweep);
    return harness_done();
}
