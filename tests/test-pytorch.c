/*
 * test-pytorch.c: the PyTorch reader (read-pytorch.c, pickle.c) against files written by
 * torch.save (tests/data/gen-pytorch.py, Debian's python3-torch): every tensor of state dicts of
 * every dtype, non-contiguous views, shared storages, nested and Lightning checkpoints, a sharded
 * index, a deflated archive, read back equal to torch's own .double() conversion, in logical C
 * order. Optimizer state is listed as skipped; opening and listing read no tensor bytes;
 * malicious pickles (os.system, builtins.eval) fail naming the global and run nothing; every
 * hand-broken file fails with the expected status and a message naming what is wrong; an
 * allocation-failure sweep gives RMTK_ERR_NOMEM at every allocation.
 */
#include "harness-model.h"

#include <sys/stat.h>
#include <unistd.h>

static int same(double a, double b)
{
    if (isnan(a) || isnan(b))
        return isnan(a) && isnan(b);
    return a == b && signbit(a) == signbit(b);
}

static void test_good_files(void)
{
    FILE *mf = fopen(harness_data("pytorch_good.txt"), "r");
    CHECK(mf != NULL);
    if (!mf)
        return;
    char line[2048], path[4096];
    int cases = 0, states = 0;
    while (fgets(line, sizeof line, mf)) {
        char *f[8];
        if (harness_split(line, f, 8) != 6)
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
            CHECK(strcmp(rmtk_model_format(m), "pytorch") == 0);
            CHECK(strcmp(rmtk_dtype_name(ti.dtype), f[2]) == 0);
            char shp[256] = "";
            size_t k = 0;
            for (int d = 0; d < ti.ndim; d++)
                k += (size_t)snprintf(shp + k, sizeof shp - k, "%s%lld", d ? "," : "",
                                      (long long)ti.shape[d]);
            if (strcmp(shp, f[3]) != 0)
                fprintf(stderr, "%s %s: shape %s, expected %s\n", f[0], f[1], shp, f[3]);
            CHECK(strcmp(shp, f[3]) == 0);
            CHECK(ti.fortran_order == 0);
            /* big-endian.pt: byte-swapped storages and a "big" byteorder member */
            CHECK(ti.big_endian == (strstr(f[0], "big-endian") != NULL));
            CHECK(ti.nbytes == ti.numel * rmtk_dtype_size(ti.dtype));
            /* the skip reason, from the layer list (built from the index alone) */
            rmtk_extract_params p = rmtk_extract_params_default();
            p.min_side = 1;
            rmtk_layers *l = NULL;
            CHECK_OK(rmtk_layers_alloc(m, &p, &l));
            int skip = -1;
            for (size_t j = 0; j < rmtk_layers_count(l); j++) {
                rmtk_matrix_entry e;
                CHECK_OK(rmtk_layers_get(l, j, &e));
                if (e.tensor == idx)
                    skip = e.skip;
            }
            rmtk_layers_free(l);
            if (strcmp(f[4], "state") == 0) {
                CHECK(skip == RMTK_SKIP_STATE);
                states++;
            } else {
                CHECK(skip != RMTK_SKIP_STATE);
            }
            CHECK(rmtk_model_bytes_read(m) == 0);
            if (strcmp(f[5], "-") != 0) {
                size_t n = 0;
                double *want = harness_read_f64(harness_data(f[5]), &n);
                CHECK(want != NULL && n == ti.numel);
                double *got = malloc((ti.numel ? ti.numel : 1) * sizeof *got);
                CHECK_OK(rmtk_model_read_f64(m, idx, got, ti.numel));
                size_t bad = 0;
                for (size_t i = 0; want && i < n && i < ti.numel; i++)
                    bad += !same(got[i], want[i]);
                if (bad)
                    fprintf(stderr, "%s %s: %zu values differ from torch\n", f[0], f[1], bad);
                CHECK(bad == 0);
                CHECK(rmtk_model_bytes_read(m) > 0 || ti.nbytes == 0);
                free(want);
                free(got);
            } else {
                double x[64];
                CHECK_STATUS(rmtk_model_read_f64(m, idx, x, 64), RMTK_ERR_UNSUPPORTED);
            }
            cases++;
        } else {
            fprintf(stderr, "%s: tensor %s not found\n", f[0], f[1]);
            CHECK(0);
        }
        rmtk_model_close(m);
    }
    fclose(mf);
    CHECK(cases >= 90);
    CHECK(states >= 8);
}

static void test_bad_files(void)
{
    CHECK(harness_bad_files("pytorch_bad.txt") >= 15);
    /* none of the payloads ran: the marker file they would create does not exist */
    struct stat sb;
    CHECK(stat(harness_data("pytorch/PWNED"), &sb) != 0);
}

/* Details: names of nested checkpoints, shared storages, zero bytes read while indexing. */
static void test_details(void)
{
    rmtk_model *m = NULL;
    size_t i, j;
    rmtk_tensor_info ti;
    CHECK_OK(rmtk_model_open(harness_data("pytorch/lightning.ckpt"), &m));
    CHECK_OK(rmtk_model_find(m, "state_dict.model.0.weight", &i));
    CHECK_OK(rmtk_model_find(m, "hyper_parameters.class_weights", &i)); /* an AttributeDict */
    CHECK_OK(rmtk_model_find(m, "optimizer_states.0.state.0.exp_avg", &i));
    CHECK_OK(rmtk_model_tensor_info(m, i, &ti));
    CHECK(ti.ndim == 2 && ti.shape[0] == 30 && ti.shape[1] == 20);
    rmtk_layers *l = NULL;
    CHECK_OK(rmtk_layers_alloc(m, NULL, &l));
    int analysed = 0, state = 0;
    for (size_t k = 0; k < rmtk_layers_count(l); k++) {
        rmtk_matrix_entry e;
        CHECK_OK(rmtk_layers_get(l, k, &e));
        analysed += e.skip == RMTK_SKIP_NONE;
        if (e.skip == RMTK_SKIP_STATE) {
            state++;
            CHECK(strstr(e.reason, "optimizer state") != NULL);
            CHECK(strcmp(rmtk_skip_name(e.skip), "state") == 0);
        }
    }
    CHECK(analysed == 3); /* model.0.weight 30x20, model.2.weight 10x30, class_weights */
    CHECK(state == 12);   /* step, exp_avg and exp_avg_sq of 4 parameters */
    CHECK(rmtk_model_bytes_read(m) == 0);
    rmtk_layers_free(l);
    rmtk_model_close(m);

    /* a view and its base share one storage; the tied name is the same tensor */
    CHECK_OK(rmtk_model_open(harness_data("pytorch/views.pt"), &m));
    CHECK_OK(rmtk_model_find(m, "base", &i));
    CHECK_OK(rmtk_model_find(m, "t", &j));
    rmtk_tensor_info a, b;
    CHECK_OK(rmtk_model_tensor_info(m, i, &a));
    CHECK_OK(rmtk_model_tensor_info(m, j, &b));
    CHECK(a.offset == b.offset && b.shape[0] == 30 && b.shape[1] == 40);
    double *x = malloc(1200 * sizeof *x), *y = malloc(1200 * sizeof *y);
    CHECK_OK(rmtk_model_read_f64(m, i, x, 1200));
    CHECK_OK(rmtk_model_read_f64(m, j, y, 1200));
    int ok = 1;
    for (int r = 0; r < 40; r++)
        for (int c = 0; c < 30; c++)
            ok &= x[r * 30 + c] == y[c * 40 + r];
    CHECK(ok);
    /* the strided view through rmtk_layers_view: C order too */
    rmtk_extract_params p = rmtk_extract_params_default();
    p.include = "^t$";
    CHECK_OK(rmtk_layers_alloc(m, &p, &l));
    for (size_t k = 0; k < rmtk_layers_count(l); k++) {
        rmtk_matrix_entry e;
        rmtk_matrix_view v;
        CHECK_OK(rmtk_layers_get(l, k, &e));
        if (e.skip != RMTK_SKIP_NONE)
            continue;
        CHECK_OK(rmtk_layers_view(m, &e, &v));
        CHECK_OK(rmtk_matrix_to_double(v, x));
        ok = v.rows == 30 && v.cols == 40;
        for (int q = 0; q < 1200; q++)
            ok &= x[q] == y[q];
        CHECK(ok);
    }
    rmtk_layers_free(l);
    rmtk_model_close(m);
    free(x);
    free(y);

    /* a sharded index: 5 tensors from 2 shards */
    CHECK_OK(rmtk_model_open(harness_data("pytorch/shards/pytorch_model.bin.index.json"), &m));
    CHECK(rmtk_model_tensor_count(m) == 5);
    CHECK(strcmp(rmtk_model_format(m), "pytorch") == 0);
    rmtk_model_close(m);
}

/* Every allocation of open may fail: each must give RMTK_ERR_NOMEM, nothing may crash. */
static void test_alloc_sweep(void)
{
    const char *files[] = {"pytorch/views.pt", "pytorch/lightning.ckpt",
                           "pytorch/views-deflated.pt", "pytorch/legacy-views.pt",
                           "pytorch/shards/pytorch_model.bin.index.json"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++)
        CHECK(harness_nomem_sweep(harness_data(files[f]), NULL) > 10);
}

int main(void)
{
    RUN(test_good_files);
    RUN(test_bad_files);
    RUN(test_details);
    RUN(test_alloc_sweep);
    return harness_done();
}
