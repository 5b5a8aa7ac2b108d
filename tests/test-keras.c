/*
 * test-keras.c: the Keras reader (read-keras.c) against files written by Debian's python3-h5py
 * in the Keras 2 and Keras 3 layouts (tests/data/gen-keras.py). Every tensor must equal, bit for
 * bit, numpy's array after the documented permutation (Dense/RNN kernels transposed, convolution
 * kernels [k..., in, out] -> [out, in, k...]); a Conv2D kernel stored HWIO must give the same
 * matrix as the same kernel stored OIHW in an .npy file; names, skip reasons, metadata, layouts
 * and the hand-broken files' errors are checked, and every allocation failure is NOMEM.
 */
#include "harness-model.h"

#include <stdint.h>

static const char *kpath(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/keras/%s", RMTK_TEST_DATA, name);
    return buf;
}

/* All elements of tensor `name` of m as doubles (malloc'd), or NULL. */
static double *values(rmtk_model *m, const char *name, rmtk_tensor_info *ti)
{
    size_t i;
    if (rmtk_model_find(m, name, &i) != RMTK_OK || rmtk_model_tensor_info(m, i, ti) != RMTK_OK)
        return NULL;
    double *x = malloc((size_t)(ti->numel ? ti->numel : 1) * sizeof *x);
    if (x && rmtk_model_read_f64(m, i, x, (size_t)ti->numel) != RMTK_OK) {
        fprintf(stderr, "%s: %s\n", name, rmtk_model_errmsg(m));
        free(x);
        x = NULL;
    }
    return x;
}

static size_t bit_mismatches(const double *a, const double *b, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        bad += memcmp(&a[i], &b[i], sizeof a[i]) != 0;
    return bad;
}

/* expected.txt: NAME DTYPE LAYOUT FILE; each tensor equals expected/NAME.npy bit for bit, with
 * that shape, that dtype size and that layout. */
static void test_values_equal_numpy(void)
{
    FILE *f = fopen(kpath("expected.txt"), "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024];
    int cases = 0;
    while (fgets(line, sizeof line, f)) {
        char name[256], dt[16], lay[16], file[256];
        if (sscanf(line, "%255s %15s %15s %255s", name, dt, lay, file) != 4)
            continue;
        rmtk_model *m = NULL, *g = NULL;
        CHECK_OK(rmtk_model_open(kpath(file), &m));
        char gname[1024];
        snprintf(gname, sizeof gname, "expected/%s-%s.npy", file, name);
        CHECK_OK(rmtk_model_open(kpath(gname), &g));
        rmtk_tensor_info ti, gi;
        double *got = m ? values(m, name, &ti) : NULL;
        double *want = NULL;
        if (g && rmtk_model_tensor_count(g) == 1 && rmtk_model_tensor_info(g, 0, &gi) == 0) {
            want = malloc((size_t)(gi.numel ? gi.numel : 1) * sizeof *want);
            CHECK_OK(rmtk_model_read_f64(g, 0, want, (size_t)gi.numel));
        }
        CHECK(got != NULL && want != NULL);
        if (got && want) {
            CHECK(strcmp(rmtk_model_format(m), "keras") == 0);
            CHECK(ti.ndim == gi.ndim && ti.numel == gi.numel);
            for (int k = 0; k < ti.ndim && k < gi.ndim; k++)
                CHECK(ti.shape[k] == gi.shape[k]);
            CHECK(rmtk_dtype_size(ti.dtype) == rmtk_dtype_size(gi.dtype));
            CHECK(ti.nbytes == gi.nbytes);
            if (strcmp(lay, "-") == 0)
                CHECK(ti.layout == NULL);
            else
                CHECK(ti.layout && strcmp(ti.layout, lay) == 0);
            size_t bad = bit_mismatches(got, want, (size_t)ti.numel);
            if (bad)
                fprintf(stderr, "%s %s: %zu of %llu values differ\n", file, name, bad,
                        (unsigned long long)ti.numel);
            CHECK(bad == 0);
            cases++;
        }
        free(got);
        free(want);
        rmtk_model_close(m);
        rmtk_model_close(g);
    }
    fclose(f);
    CHECK(cases == 19);
}

/* The stored .keras member reads like the deflated one. */
static void test_stored_member(void)
{
    rmtk_model *a = NULL, *b = NULL;
    CHECK_OK(rmtk_model_open(kpath("model.keras"), &a));
    CHECK_OK(rmtk_model_open(kpath("model-stored.keras"), &b));
    if (!a || !b || rmtk_model_tensor_count(a) == 0) {
        rmtk_model_close(a);
        rmtk_model_close(b);
        return;
    }
    CHECK(rmtk_model_tensor_count(a) == rmtk_model_tensor_count(b));
    CHECK(rmtk_model_tensor_count(a) == 10);
    for (size_t i = 0; i < rmtk_model_tensor_count(a); i++) {
        rmtk_tensor_info ia, ib;
        CHECK_OK(rmtk_model_tensor_info(a, i, &ia));
        double *x = values(a, ia.name, &ia), *y = values(b, ia.name, &ib);
        CHECK(x && y && ia.numel == ib.numel);
        if (x && y)
            CHECK(bit_mismatches(x, y, (size_t)ia.numel) == 0);
        free(x);
        free(y);
    }
    rmtk_model_close(a);
    rmtk_model_close(b);
}

static int find_entry(const rmtk_layers *l, const char *name, rmtk_matrix_entry *e)
{
    for (size_t i = 0; i < rmtk_layers_count(l); i++)
        if (rmtk_layers_get(l, i, e) == RMTK_OK && strcmp(e->name, name) == 0)
            return 1;
    return 0;
}

/* A Conv2D kernel stored HWIO by Keras gives the same matrix as the kernel stored OIHW. */
static void test_hwio_equals_oihw(void)
{
    for (int mode = 0; mode < 2; mode++) {
        rmtk_model *k = NULL, *t = NULL;
        CHECK_OK(rmtk_model_open(kpath("keras2.h5"), &k));
        CHECK_OK(rmtk_model_open(kpath("conv2d-oihw.npy"), &t));
        rmtk_extract_params p = rmtk_extract_params_default();
        p.min_side = 1;
        p.conv_mode = mode ? RMTK_CONV_SLICES : RMTK_CONV_FLATTEN;
        rmtk_layers *lk = NULL, *lt = NULL;
        CHECK_OK(rmtk_layers_alloc(k, &p, &lk));
        CHECK_OK(rmtk_layers_alloc(t, &p, &lt));
        int matched = 0;
        for (size_t i = 0; lt && lk && i < rmtk_layers_count(lt); i++) {
            rmtk_matrix_entry et, ek;
            CHECK_OK(rmtk_layers_get(lt, i, &et));
            char want[256];
            /* "conv2d-oihw" -> "conv2d.kernel" (slice suffixes, if any, kept) */
            snprintf(want, sizeof want, "conv2d.kernel%s", et.name + strlen("conv2d-oihw"));
            int found = find_entry(lk, want, &ek);
            CHECK(found);
            if (!found)
                continue;
            CHECK(ek.rows == et.rows && ek.cols == et.cols && ek.skip == et.skip);
            rmtk_matrix_view vk, vt;
            CHECK_OK(rmtk_layers_view(k, &ek, &vk));
            double *a = malloc((size_t)(ek.rows * ek.cols) * sizeof *a);
            CHECK_OK(rmtk_matrix_to_double(vk, a));
            CHECK_OK(rmtk_layers_view(t, &et, &vt));
            double *b = malloc((size_t)(et.rows * et.cols) * sizeof *b);
            CHECK_OK(rmtk_matrix_to_double(vt, b));
            CHECK(bit_mismatches(a, b, (size_t)(ek.rows * ek.cols)) == 0);
            free(a);
            free(b);
            matched++;
        }
        CHECK(matched == (mode ? 9 : 1));
        CHECK(matched > 0 && (mode || (lt && rmtk_layers_count(lt) == 1)));
        rmtk_layers_free(lk);
        rmtk_layers_free(lt);
        rmtk_model_close(k);
        rmtk_model_close(t);
    }
}

static void test_index(void)
{
    rmtk_model *m = NULL;
    CHECK_OK(rmtk_model_open(kpath("keras2.h5"), &m));
    if (!m || rmtk_model_tensor_count(m) == 0) {
        rmtk_model_close(m);
        return;
    }
    CHECK(rmtk_model_tensor_count(m) == 13);
    const char *k, *v;
    int have_version = 0, have_backend = 0; /* a variable- and a fixed-length string */
    for (size_t i = 0; i < rmtk_model_metadata_count(m); i++) {
        if (rmtk_model_metadata(m, i, &k, &v) == 0 && strcmp(k, "keras_version") == 0)
            have_version = strcmp(v, "2.13.1") == 0;
        if (rmtk_model_metadata(m, i, &k, &v) == 0 && strcmp(k, "backend") == 0)
            have_backend = strcmp(v, "tensorflow") == 0;
    }
    CHECK(have_version);
    CHECK(have_backend);
    CHECK(rmtk_model_bytes_read(m) == 0); /* indexing reads no tensor data */
    rmtk_tensor_info ti;
    double *x = values(m, "dense_1.kernel", &ti);
    CHECK(x != NULL && ti.shape[0] == 4 && ti.shape[1] == 6);
    CHECK(rmtk_model_bytes_read(m) >= 96);
    free(x);
    rmtk_extract_params p = rmtk_extract_params_default();
    p.min_side = 1;
    rmtk_layers *l = NULL;
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    rmtk_matrix_entry e;
    CHECK(l && find_entry(l, "depthwise_conv2d.depthwise_kernel", &e));
    if (l && find_entry(l, "depthwise_conv2d.depthwise_kernel", &e))
        CHECK(e.skip != RMTK_SKIP_NONE && strstr(e.reason, "depthwise") != NULL);
    CHECK(l && find_entry(l, "optimizer_weights.Adam.dense_1.kernel.m", &e));
    if (l && find_entry(l, "optimizer_weights.Adam.dense_1.kernel.m", &e))
        CHECK(e.skip != RMTK_SKIP_NONE && strstr(e.reason, "optimizer") != NULL);
    CHECK(l && find_entry(l, "dense_1.kernel", &e) && e.skip == RMTK_SKIP_NONE && e.rows == 4 &&
          e.cols == 6);
    /* the LSTM kernel [4 in, 12] and recurrent kernel [3, 12], presented [12, 4] and [12, 3],
     * split into the Keras gates i f c o (suffixes [i] [f] [g] [o]) of H = 3 rows each: each
     * gate's view holds rows 3q..3q+2 of the presented matrix */
    static const char *const kern[2] = {"lstm.lstm_cell.kernel",
                                        "lstm.lstm_cell.recurrent_kernel"};
    for (int r = 0; r < 2 && l; r++) {
        CHECK(find_entry(l, kern[r], &e) && e.skip == RMTK_SKIP_FUSED);
        double *all = values(m, kern[r], &ti);
        CHECK(all != NULL && ti.shape[0] == 12);
        for (int q = 0; q < 4 && all; q++) {
            char nm[96], mod[16];
            snprintf(nm, sizeof nm, "%s[%c]", kern[r], "ifgo"[q]);
            snprintf(mod, sizeof mod, "rnn_%s_%c", r ? "hh" : "ih", "ifgo"[q]);
            CHECK(find_entry(l, nm, &e) && e.skip == RMTK_SKIP_NONE && e.rows == 3 &&
                  e.cols == ti.shape[1] && strcmp(e.module, mod) == 0 && e.part == q);
            rmtk_matrix_view gv;
            double got[12];
            CHECK_OK(rmtk_layers_view(m, &e, &gv));
            CHECK_OK(rmtk_matrix_to_double(gv, got));
            CHECK(memcmp(got, all + 3 * q * ti.shape[1], 3 * (size_t)ti.shape[1] * 8) == 0);
        }
        free(all);
    }
    rmtk_layers_free(l);
    rmtk_model_close(m);

    /* a user block of 512 bytes before the superblock; a big-endian kernel */
    CHECK_OK(rmtk_model_open(kpath("keras2-weights.h5"), &m));
    CHECK(strcmp(rmtk_model_format(m), "keras") == 0 && rmtk_model_tensor_count(m) == 1);
    rmtk_model_close(m);
}

static void test_errors(void)
{
    rmtk_model *m = NULL;
    CHECK_STATUS(rmtk_model_open(kpath("truncated.h5"), &m), RMTK_ERR_FORMAT);
    CHECK(strstr(rmtk_model_errmsg(m), "truncated.h5") && strstr(rmtk_model_errmsg(m), "eof"));
    rmtk_model_close(m);

    CHECK_STATUS(rmtk_model_open(kpath("nomember.keras"), &m), RMTK_ERR_FORMAT);
    CHECK(strstr(rmtk_model_errmsg(m), "model.weights.h5") != NULL);
    rmtk_model_close(m);

    CHECK_STATUS(rmtk_model_open(kpath("rank9.h5"), &m), RMTK_ERR_UNSUPPORTED);
    CHECK(strstr(rmtk_model_errmsg(m), "big/big/kernel:0") && strstr(rmtk_model_errmsg(m), "9"));
    rmtk_model_close(m);

    /* unsupported dtypes are listed as OTHER and refuse conversion, naming the dataset */
    CHECK_OK(rmtk_model_open(kpath("badtype.h5"), &m));
    size_t i;
    CHECK_OK(rmtk_model_find(m, "odd.kernel", &i));
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.dtype == RMTK_DTYPE_OTHER && strcmp(ti.dtype_str, "hdf5-compound") == 0);
    double buf[8];
    CHECK_STATUS(rmtk_model_read_f64(m, i, buf, 8), RMTK_ERR_UNSUPPORTED);
    const void *p;
    CHECK_STATUS(rmtk_model_map(m, i, &p), RMTK_ERR_UNSUPPORTED);
    CHECK(strstr(rmtk_model_errmsg(m), "model_weights/odd/odd/kernel:0") != NULL);
    rmtk_model_close(m);

    /* ranks 0..5: values are arange, permuted as documented */
    CHECK_OK(rmtk_model_open(kpath("ranks.h5"), &m));
    CHECK(rmtk_model_tensor_count(m) == 6);
    double *x = values(m, "r0.kernel", &ti);
    CHECK(x && ti.ndim == 0 && x[0] == 0.0);
    free(x);
    x = values(m, "r2.kernel", &ti); /* [2,2] transposed */
    CHECK(x && x[0] == 0 && x[1] == 2 && x[2] == 1 && x[3] == 3 && strcmp(ti.layout, "in,out") == 0);
    free(x);
    x = values(m, "r5.kernel", &ti); /* [k0,k1,k2,i,o] -> [o,i,k0,k1,k2]: out[o,i,a,b,c] =
                                         16a + 8b + 4c + 2i + o */
    int ok = x != NULL && strcmp(ti.layout, "DHWIO") == 0;
    for (int o = 0; ok && o < 2; o++)
        for (int in = 0; in < 2; in++)
            for (int a = 0; a < 8; a++) {
                double want = 16 * (a >> 2) + 8 * ((a >> 1) & 1) + 4 * (a & 1) + 2 * in + o;
                ok = ok && x[o * 16 + in * 8 + a] == want;
            }
    CHECK(ok);
    free(x);
    rmtk_model_close(m);
}

static void test_alloc_sweep(void)
{
    const char *files[] = {"keras2.h5", "model.keras"};
    for (size_t f = 0; f < 2; f++)
        CHECK(harness_nomem_sweep(kpath(files[f]), "conv2d.kernel") > 3);
}

int main(void)
{
    RUN(test_values_equal_numpy);
    RUN(test_stored_member);
    RUN(test_hwio_equals_oihw);
    RUN(test_index);
    RUN(test_errors);
    RUN(test_alloc_sweep);
    return harness_done();
}
