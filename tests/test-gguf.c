/*
 * test-gguf.c: the GGUF reader against ggml itself. tests/data/gen-gguf.py loads llama.cpp's
 * libggml-base.so (npm @node-llama-cpp/linux-x64, pinned) and writes GGUF files with ggml's own
 * writer, quantised by ggml_quantize_chunk into every type rmtk reads, plus ggml's float32
 * dequantisation (the type traits' to_float) of each tensor as golden-NAME.npy. rmtk's values
 * must equal ggml's bit for bit. When the generator could not fetch the library (no npm, no
 * network) it leaves gguf/SKIP and those checks are skipped with its reason; the hand-broken
 * files of the error paths are written by Python's struct and always run.
 */
#include "harness-model.h"
#include "quant.h"

#include <stdint.h>
#include <sys/wait.h>
#include <time.h>

static int ggml_available(void)
{
    static int known = -1;
    if (known < 0) {
        FILE *f = fopen(harness_data("gguf/SKIP"), "r");
        known = f == NULL;
        if (f) {
            char why[512] = "";
            if (!fgets(why, sizeof why, f))
                why[0] = '\0';
            fprintf(stderr, "test-gguf: SKIPPING the ggml oracle checks: %s", why);
            fclose(f);
        }
    }
    return known;
}

static const char *gpath(const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/gguf/%s", RMTK_TEST_DATA, name);
    return buf;
}

/* The golden float32 values ggml gave for `name` (a malloc'd array of numel doubles). */
static double *golden(const char *name, size_t *n, rmtk_tensor_info *gi)
{
    char file[512];
    snprintf(file, sizeof file, "golden-%s.npy", name);
    rmtk_model *g = NULL;
    double *x = NULL;
    *n = 0;
    if (rmtk_model_open(gpath(file), &g) == RMTK_OK && rmtk_model_tensor_info(g, 0, gi) == 0) {
        *n = (size_t)gi->numel;
        x = malloc((*n ? *n : 1) * sizeof *x);
        if (x && rmtk_model_read_f64(g, 0, x, *n) != RMTK_OK) {
            free(x);
            x = NULL;
        }
    }
    rmtk_model_close(g);
    return x;
}

/* Elements of a and b whose bit patterns differ (so -0.0 != 0.0 and NaNs compare by bits). */
static size_t bit_mismatches(const double *a, const double *b, size_t n, size_t *first)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++)
        if (memcmp(&a[i], &b[i], sizeof a[i]) != 0) {
            if (!bad)
                *first = i;
            bad++;
        }
    return bad;
}

/* Every tensor of `file` that has a golden file equals it bit for bit; returns how many. */
static int compare_file(const char *file, const char *golden_prefix)
{
    rmtk_model *m = NULL;
    int st = rmtk_model_open(gpath(file), &m);
    CHECK(st == RMTK_OK);
    if (st) {
        fprintf(stderr, "%s\n", rmtk_model_errmsg(m));
        rmtk_model_close(m);
        return 0;
    }
    CHECK(strcmp(rmtk_model_format(m), "gguf") == 0);
    CHECK(rmtk_model_bytes_read(m) == 0);
    int compared = 0;
    for (size_t i = 0; i < rmtk_model_tensor_count(m); i++) {
        rmtk_tensor_info ti, gi;
        rmtk_model_tensor_info(m, i, &ti);
        char gname[300];
        snprintf(gname, sizeof gname, "%s%s", golden_prefix, ti.name);
        size_t n;
        double *want = golden(gname, &n, &gi);
        if (!want)
            continue;
        CHECK(n == ti.numel);
        CHECK(gi.ndim == ti.ndim);
        for (int k = 0; k < ti.ndim && k < gi.ndim; k++)
            CHECK(gi.shape[k] == ti.shape[k]);
        double *got = malloc((n ? n : 1) * sizeof *got);
        CHECK(rmtk_model_read_f64(m, i, got, n) == RMTK_OK);
        size_t first = 0, bad = bit_mismatches(got, want, n, &first);
        CHECK(bad == 0);
        if (bad)
            fprintf(stderr, "%s: %s (%s): %zu of %zu values differ from ggml, first [%zu]: rmtk "
                            "%.9g, ggml %.9g\n",
                    file, ti.name, ti.dtype_str, bad, n, first, got[first], want[first]);
        /* the values are ggml's float32 values, widened */
        size_t notfloat = 0;
        for (size_t k = 0; k < n; k++)
            notfloat += (double)(float)got[k] != got[k] && ti.dtype != RMTK_DTYPE_F64 &&
                        ti.dtype != RMTK_DTYPE_I64 && ti.dtype != RMTK_DTYPE_I32;
        CHECK(notfloat == 0);
        compared++;
        free(got);
        free(want);
    }
    rmtk_model_close(m);
    return compared;
}

/* Every quantised type, the plain types, a 3-D stack: ggml's values exactly (v3 and v2). */
static void test_values_equal_ggml(void)
{
    if (!ggml_available())
        return;
    int n3 = compare_file("all-types.gguf", "");
    int n2 = compare_file("all-types-v2.gguf", "");
    CHECK(n3 == 26); /* 16 quantised, 1 stack, 8 plain, 1 norm */
    CHECK(n2 == 26);
    CHECK(compare_file("align256.gguf", "align.") == 2);
    CHECK(compare_file("split-00001-of-00002.gguf", "split.") == 3);
}

/* Index details: shapes (rows = ne[1]), dtypes, block sizes, metadata, skipped types. */
static void test_index(void)
{
    if (!ggml_available())
        return;
    rmtk_model *m = NULL;
    CHECK(rmtk_model_open(gpath("all-types.gguf"), &m) == RMTK_OK);
    size_t i;
    rmtk_tensor_info ti;
    CHECK(rmtk_model_find(m, "blk.0.Q4_K.weight", &i) == RMTK_OK);
    rmtk_model_tensor_info(m, i, &ti);
    CHECK(ti.ndim == 2 && ti.shape[0] == 8 && ti.shape[1] == 512);
    CHECK(ti.dtype == RMTK_DTYPE_Q4_K && strcmp(ti.dtype_str, "Q4_K") == 0);
    CHECK(ti.nbytes == 8 * 2 * 144);
    CHECK(ti.offset % 32 == 0);
    CHECK(rmtk_model_find(m, "blk.0.ffn_gate_exps.weight", &i) == RMTK_OK);
    rmtk_model_tensor_info(m, i, &ti);
    CHECK(ti.ndim == 3 && ti.shape[0] == 2 && ti.shape[1] == 16 && ti.shape[2] == 256);
    CHECK(rmtk_model_find(m, "blk.0.IQ2_XXS.weight", &i) == RMTK_OK);
    rmtk_model_tensor_info(m, i, &ti);
    CHECK(ti.dtype == RMTK_DTYPE_OTHER && strcmp(ti.dtype_str, "IQ2_XXS") == 0);
    CHECK(ti.nbytes == 4 * 66);
    /* metadata: every value type */
    static const char *const want[][2] = {
        {"general.architecture", "llama"},
        {"general.name", "rmtk \"test\" model"},
        {"t.u8", "200"},
        {"t.i8", "-100"},
        {"t.u16", "65000"},
        {"t.i16", "-32000"},
        {"llama.block_count", "2"},
        {"t.i32", "-2000000000"},
        {"t.f32", "0.100000001"},
        {"t.bool", "true"},
        {"t.u64", "18446744073709551615"},
        {"t.i64", "-9223372036854775807"},
        {"t.f64", "0.10000000000000001"},
        {"t.arr_i32", "[1, -2, 3]"},
        {"t.arr_f32", "[0.5, -1.5]"},
        {"t.arr_u8_long", "array<u8>[100]"},
        {"tokenizer.ggml.tokens", "array<string>[4]"},
        {"t.arr_bool", "[true, false, true]"},
        {"t.arr_f64", "[1.0000000000000001e+300, -2.5]"},
    };
    size_t nw = sizeof want / sizeof want[0];
    CHECK(rmtk_model_metadata_count(m) == nw);
    for (size_t k = 0; k < nw && k < rmtk_model_metadata_count(m); k++) {
        const char *key, *val;
        rmtk_model_metadata(m, k, &key, &val);
        CHECK(strcmp(key, want[k][0]) == 0);
        CHECK(strcmp(val, want[k][1]) == 0);
        if (strcmp(val, want[k][1]) != 0)
            fprintf(stderr, "metadata %s = '%s', expected '%s'\n", key, val, want[k][1]);
    }
    /* the architecture from the metadata: general.architecture, llama.block_count */
    rmtk_architecture arch;
    CHECK_OK(rmtk_model_architecture(m, &arch));
    CHECK(strcmp(arch.type, "llama") == 0 && strcmp(arch.source, "gguf") == 0);
    CHECK(arch.layers == 2 && arch.heads == 0 && arch.tie_embeddings == -1);
    /* layers: the stack gives 2 matrices of 16 x 256, TQ2_0 is skipped by its dtype */
    rmtk_extract_params p = rmtk_extract_params_default();
    p.min_side = 1;
    rmtk_layers *l = NULL;
    CHECK(rmtk_layers_alloc(m, &p, &l) == RMTK_OK);
    CHECK(rmtk_model_bytes_read(m) == 0);
    int stack = 0, tq = 0;
    for (size_t k = 0; k < rmtk_layers_count(l); k++) {
        rmtk_matrix_entry e;
        rmtk_layers_get(l, k, &e);
        if (strncmp(e.name, "blk.0.ffn_gate_exps.weight[", 27) == 0) {
            stack++;
            CHECK(e.rows == 16 && e.cols == 256 && e.dtype == RMTK_DTYPE_Q4_K);
            /* a stacked expert tensor: one matrix per expert, the expert index set */
            CHECK(e.expert == e.slice && e.block == 0 && strcmp(e.module, "mlp_gate") == 0);
            /* the slice's view converts to the golden slice */
            rmtk_matrix_view v;
            CHECK(rmtk_layers_view(m, &e, &v) == RMTK_OK);
            double *x = malloc(16 * 256 * sizeof *x);
            CHECK(rmtk_matrix_to_double(v, x) == RMTK_OK);
            size_t n;
            rmtk_tensor_info gi;
            double *g = golden("blk.0.ffn_gate_exps.weight", &n, &gi);
            size_t first = 0;
            CHECK(g && n == 2 * 16 * 256 &&
                  bit_mismatches(x, g + (size_t)e.slice * 16 * 256, 16 * 256, &first) == 0);
            free(g);
            free(x);
        }
        if (strcmp(e.name, "blk.0.IQ2_XXS.weight") == 0) {
            tq++;
            CHECK(e.skip == RMTK_SKIP_DTYPE && strstr(e.reason, "IQ2_XXS"));
        }
    }
    CHECK(stack == 2 && tq == 1);
    rmtk_layers_free(l);
    rmtk_model_close(m);
}

/* The block traits and the resolution each quantised type records. */
static void test_dtype_blocks(void)
{
    static const struct {
        int dtype;
        size_t el, by;
        double res;
        const char *name;
    } t[] = {
        {RMTK_DTYPE_Q4_0, 32, 18, 0x1p-3, "Q4_0"},   {RMTK_DTYPE_Q4_1, 32, 20, 0x1p-3, "Q4_1"},
        {RMTK_DTYPE_Q5_0, 32, 22, 0x1p-4, "Q5_0"},   {RMTK_DTYPE_Q5_1, 32, 24, 0x1p-4, "Q5_1"},
        {RMTK_DTYPE_Q8_0, 32, 34, 0x1p-7, "Q8_0"},   {RMTK_DTYPE_Q2_K, 256, 84, 0x1p-1, "Q2_K"},
        {RMTK_DTYPE_Q3_K, 256, 110, 0x1p-2, "Q3_K"}, {RMTK_DTYPE_Q4_K, 256, 144, 0x1p-3, "Q4_K"},
        {RMTK_DTYPE_Q5_K, 256, 176, 0x1p-4, "Q5_K"}, {RMTK_DTYPE_Q6_K, 256, 210, 0x1p-5, "Q6_K"},
        {RMTK_DTYPE_Q8_K, 256, 292, 0x1p-7, "Q8_K"}, {RMTK_DTYPE_MXFP4, 32, 17, 0x1p-1, "MXFP4"},
        {RMTK_DTYPE_TQ1_0, 256, 54, 1.0, "TQ1_0"},   {RMTK_DTYPE_TQ2_0, 256, 66, 1.0, "TQ2_0"},
        {RMTK_DTYPE_IQ4_NL, 32, 18, 0x1p-3, "IQ4_NL"}, {RMTK_DTYPE_IQ4_XS, 256, 136, 0x1p-3,
                                                         "IQ4_XS"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t el = 0, by = 0;
        CHECK(rmtk_dtype_block(t[i].dtype, &el, &by) == RMTK_OK);
        CHECK(el == t[i].el && by == t[i].by);
        CHECK(rmtk_dtype_size(t[i].dtype) == 0);
        CHECK(rmtk_dtype_is_numeric(t[i].dtype));
        CHECK(strcmp(rmtk_dtype_name(t[i].dtype), t[i].name) == 0);
        CHECK(rmtk__quant_resolution(t[i].dtype) == t[i].res);
    }
    size_t el, by;
    CHECK(rmtk_dtype_block(RMTK_DTYPE_BF16, &el, &by) == RMTK_OK && el == 1 && by == 2);
    CHECK(rmtk_dtype_block(RMTK_DTYPE_OTHER, &el, &by) == RMTK_ERR_UNSUPPORTED && el == 0);
    CHECK(rmtk__quant_resolution(RMTK_DTYPE_F32) == 0.0);
    /* a partial block is refused; a hand-made Q8_0 block: d = 0.5 (fp16 0x3800), q = j - 16 */
    unsigned char b[34] = {0x00, 0x38};
    for (int j = 0; j < 32; j++)
        b[2 + j] = (unsigned char)(int8_t)(j - 16);
    double y[32];
    CHECK(rmtk_dtype_to_double(RMTK_DTYPE_Q8_0, 0, b, 31, y) == RMTK_ERR_ARG);
    CHECK(rmtk_dtype_to_double(RMTK_DTYPE_Q8_0, 0, b, 32, y) == RMTK_OK);
    for (int j = 0; j < 32; j++)
        CHECK(y[j] == 0.5 * (j - 16));
    /* matrix views: rows start on block boundaries; a strided view is refused */
    unsigned char two[68];
    memcpy(two, b, 34);
    memcpy(two + 34, b, 34);
    two[34 + 1] = 0x3c; /* d = 1 */
    double z[64];
    rmtk_matrix_view v = {two, 2, 32, 32, 1, RMTK_DTYPE_Q8_0, 0, 0, 0};
    CHECK(rmtk_matrix_to_double(v, z) == RMTK_OK);
    CHECK(z[0] == -8 && z[31] == 7.5 && z[32] == -16 && z[63] == 15);
    v.col_stride = 2;
    CHECK(rmtk_matrix_to_double(v, z) == RMTK_ERR_UNSUPPORTED);
    v.col_stride = 1;
    v.cols = 16;
    CHECK(rmtk_matrix_to_double(v, z) == RMTK_ERR_UNSUPPORTED);
}

/* Split sets: any part opens all; a missing part is named. */
static void test_split(void)
{
    if (ggml_available()) {
        rmtk_model *m = NULL;
        CHECK(rmtk_model_open(gpath("split-00002-of-00002.gguf"), &m) == RMTK_OK);
        CHECK(rmtk_model_tensor_count(m) == 3);
        rmtk_tensor_info ti;
        size_t i;
        CHECK(rmtk_model_find(m, "blk.2.ffn_up.weight", &i) == RMTK_OK);
        rmtk_model_tensor_info(m, i, &ti);
        CHECK(strstr(ti.file, "split-00002-of-00002.gguf") != NULL);
        CHECK(rmtk_model_find(m, "blk.0.ffn_up.weight", &i) == RMTK_OK);
        rmtk_model_tensor_info(m, i, &ti);
        CHECK(strstr(ti.file, "split-00001-of-00002.gguf") != NULL);
        const char *k, *v;
        int arch = 0;
        for (size_t j = 0; j < rmtk_model_metadata_count(m); j++) {
            rmtk_model_metadata(m, j, &k, &v);
            arch += strcmp(k, "general.architecture") == 0 && strcmp(v, "llama") == 0;
        }
        CHECK(arch == 1);
        rmtk_model_close(m);
    }
    rmtk_model *m = NULL;
    CHECK(rmtk_model_open(gpath("bad-split-00001-of-00002.gguf"), &m) == RMTK_ERR_IO);
    CHECK(strstr(rmtk_model_errmsg(m), "bad-split-00002-of-00002.gguf: part 2 of the 2-part"));
    rmtk_model_close(m);
}

/* Hand-broken files: the status and the words of each error. */
static void test_errors(void)
{
    static const struct {
        const char *file;
        int status;
        const char *msg;
    } t[] = {
        {"bad-magic.gguf", RMTK_ERR_FORMAT, "not a GGUF file: magic at byte offset 0 is 47 47 55 47"},
        {"bad-version1.gguf", RMTK_ERR_UNSUPPORTED, "GGUF version 1"},
        {"bad-version9.gguf", RMTK_ERR_FORMAT, "GGUF version 9 at byte offset 4"},
        {"bad-truncated.gguf", RMTK_ERR_FORMAT, "more than the 30-byte file can hold"},
        {"bad-counts.gguf", RMTK_ERR_FORMAT, "declares 4611686018427387904 tensors"},
        {"bad-kvcount.gguf", RMTK_ERR_FORMAT, "1099511627776 key/values"},
        {"bad-strlen.gguf", RMTK_ERR_FORMAT,
         "metadata key at byte offset 24 has length 9223372036854775808"},
        {"bad-offset.gguf", RMTK_ERR_FORMAT, "tensor 'w' (info at byte offset 24) has data offset "
                                             "64, expected 0"},
        {"bad-past-end.gguf", RMTK_ERR_FORMAT, "tensor 'w': its 32 bytes at byte offset 96"},
        {"bad-type.gguf", RMTK_ERR_FORMAT, "ggml type id 77 is unknown"},
        {"bad-removed-type.gguf", RMTK_ERR_FORMAT, "ggml type id 4 is Q4_2 (removed)"},
        {"bad-block.gguf", RMTK_ERR_FORMAT, "ne[0] = 20 is not a multiple of the Q4_0 block size 32"},
        {"bad-align.gguf", RMTK_ERR_FORMAT, "general.alignment at byte offset 24 is 48, not a "
                                            "power of two"},
        {"bad-align-type.gguf", RMTK_ERR_FORMAT, "'general.alignment' at byte offset 24 has type "
                                                 "i64, expected u32"},
        {"bad-ne-overflow.gguf", RMTK_ERR_RANGE, "ne = (1099511627776, 1099511627776) overflows"},
        {"bad-ne-negative.gguf", RMTK_ERR_FORMAT, "ne[0] = -4 is negative"},
        {"bad-ndims.gguf", RMTK_ERR_FORMAT, "5 dimensions, GGUF allows at most 4"},
        {"bad-value-type.gguf", RMTK_ERR_FORMAT, "key 'k' at byte offset 24: unknown value type 13"},
        {"bad-nested-array.gguf", RMTK_ERR_FORMAT, "array of arrays"},
        {"bad-array-count.gguf", RMTK_ERR_FORMAT, "array of 2305843009213693952 f32 elements"},
        {"bad-bool.gguf", RMTK_ERR_FORMAT, "bool value at byte offset 37 is 2"},
        {"bad-split-name.gguf", RMTK_ERR_FORMAT, "part 1 of a split GGUF of 2 files"},
    };
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        rmtk_model *m = NULL;
        int st = rmtk_model_open(gpath(t[i].file), &m);
        const char *msg = rmtk_model_errmsg(m);
        CHECK(st == t[i].status);
        CHECK(strstr(msg, t[i].file) != NULL);
        CHECK(strstr(msg, t[i].msg) != NULL);
        if (st != t[i].status || !strstr(msg, t[i].msg))
            fprintf(stderr, "%s: status %d, message: %s\n", t[i].file, st, msg);
        rmtk_model_close(m);
    }
    /* the good twin of the hand-made files opens */
    rmtk_model *m = NULL;
    CHECK(rmtk_model_open(gpath("good.gguf"), &m) == RMTK_OK);
    double x[8];
    CHECK(rmtk_model_read_f64(m, 0, x, 8) == RMTK_OK && x[0] == 0 && x[7] == 7);
    rmtk_model_close(m);
    /* every truncation of the good file is an error, never a crash */
    FILE *f = fopen(gpath("good.gguf"), "rb");
    unsigned char buf[512];
    size_t n = f ? fread(buf, 1, sizeof buf, f) : 0;
    if (f)
        fclose(f);
    CHECK(n > 64);
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s/gguf/trunc.gguf", RMTK_TEST_DATA);
    int all_fail = 1;
    for (size_t k = 0; k < n; k++) {
        FILE *o = fopen(tmp, "wb");
        fwrite(buf, 1, k, o);
        fclose(o);
        m = NULL;
        all_fail &= rmtk_model_open(tmp, &m) != RMTK_OK;
        rmtk_model_close(m);
    }
    CHECK(all_fail);
    remove(tmp);
}

/* Every allocation of open may fail: each gives RMTK_ERR_NOMEM, nothing crashes or leaks. */
static void test_alloc_sweep(void)
{
    const char *files[] = {"good.gguf", "all-types.gguf", "split-00001-of-00002.gguf"};
    for (size_t f = 0; f < sizeof files / sizeof files[0]; f++) {
        if (f > 0 && !ggml_available())
            break;
        char path[4096];
        snprintf(path, sizeof path, "%s", gpath(files[f]));
        CHECK(harness_nomem_sweep(path, NULL) > 3);
    }
}

static int run(const char *cmd, char *out, size_t cap)
{
    FILE *p = popen(cmd, "r");
    size_t got = p ? fread(out, 1, cap - 1, p) : 0;
    out[got] = '\0';
    int rc = p ? pclose(p) : -1;
    return rc >= 0 && WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

/* describe and analyze end to end on a GGUF file: no tensor bytes read by describe; analyze
 * reports the Q8_0 matrix with its dtype and ggml's values' singular values. */
static void test_cli(void)
{
    if (!ggml_available())
        return;
    char cmd[32768], out[16384];
    snprintf(cmd, sizeof cmd,
             "%s describe --json %s | %s -c \"import json,sys; d=json.load(sys.stdin); "
             "f=d['files'][0]; print(f['tensor_bytes_read'], f['format'], "
             "[(t['name'], t['dtype'], t['shape']) for t in f['tensors']])\"",
             RMTK_CLI, gpath("align256.gguf"), RMTK_PYTHON);
    CHECK(run(cmd, out, sizeof out) == 0);
    const char *want = "0 gguf [('small.weight', 'Q8_0', [3, 96]), ('attn_q.weight', 'Q8_0', "
                       "[64, 256])]\n";
    CHECK(strcmp(out, want) == 0);
    if (strcmp(out, want) != 0)
        fprintf(stderr, "describe --json gave: %s\n", out);
    char dir[4096], file[4096], gold[4096];
    snprintf(dir, sizeof dir, "%s/gguf/analyze-out", RMTK_TEST_DATA);
    snprintf(file, sizeof file, "%s", gpath("align256.gguf"));
    snprintf(gold, sizeof gold, "%s", gpath("golden-align.attn_q.weight.npy"));
    snprintf(cmd, sizeof cmd,
             "%s analyze %s --out %s --no-plots --stats basic --threads 1 >/dev/null && "
             "%s -c \"import json,numpy as np; r=json.load(open('%s/report.json')); "
             "m=[x for x in r['matrices'] if x['name']=='attn_q.weight'][0]; "
             "w=np.load('%s').astype(np.float64); s=np.linalg.svd(w, compute_uv=False); "
             "sv=np.array(m['arrays']['singular_values']); "
             "print(m['dtype'], len(sv), float(np.max(np.abs(sv-s))/s[0]) < 1e-12)\"",
             RMTK_CLI, file, dir, RMTK_PYTHON, dir, gold);
    int rc = run(cmd, out, sizeof out);
    CHECK(rc == 0);
    CHECK(strcmp(out, "Q8_0 64 True\n") == 0);
    if (rc != 0 || strcmp(out, "Q8_0 64 True\n") != 0)
        fprintf(stderr, "analyze check gave (rc %d): %s\n", rc, out);
}

int main(void)
{
    RUN(test_dtype_blocks);
    RUN(test_values_equal_ggml);
    RUN(test_index);
    RUN(test_split);
    RUN(test_errors);
    RUN(test_alloc_sweep);
    RUN(test_cli);
    return harness_done();
}
