/*
 * cmd-describe.c: `rmtk describe FILE...` lists each checkpoint's tensors (name, dtype, shape,
 * bytes) with the matrices layer extraction would make of them, or the reason it would skip
 * them, and the file's metadata. It works from the index alone: no tensor byte is read (the
 * JSON output reports the library's count, 0).
 */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f, "usage: rmtk describe [OPTIONS] FILE...\n\n"
               "List the tensors of checkpoints (safetensors file, *.safetensors.index.json,\n"
               "directory of shards, .npy, .npz, GGUF, PyTorch torch.save .pt/.pth/.bin/.ckpt and\n"
               "*.bin.index.json, TensorFlow.js model.json or weights manifest, ONNX .onnx, Keras\n"
               ".h5/.hdf5/.keras): name, dtype, shape, bytes, and the matrices\n"
               "layer extraction makes of each tensor or why it is skipped. Reads no tensor "
               "data.\n\n"
               "options:\n"
               "  --json           JSON on stdout instead of a table\n"
               "  --conv MODE      4-D kernels: flatten (out, in*kh*kw; default) or slices\n"
               "                   (kh*kw matrices (out, in))\n"
               "  --min-side N     skip matrices with min(rows, cols) < N (default 10)\n"
               "  --include RE     only tensors whose name matches the POSIX extended regex\n"
               "  --exclude RE     skip tensors whose name matches the regex\n"
               "  -h, --help       this help\n");
}

static void json_str(FILE *f, const char *s)
{
    cli_json_string(f, s);
}

static void shape_str(char *buf, size_t size, const rmtk_tensor_info *ti)
{
    if (ti->ndim == 0) {
        snprintf(buf, size, "()");
        return;
    }
    size_t k = 0;
    for (int d = 0; d < ti->ndim && k < size; d++)
        k += (size_t)snprintf(buf + k, size - k, "%s%lld", d ? " x " : "",
                              (long long)ti->shape[d]);
}

/* Entries [*pos, end) of tensor i in the layer list (the list is in tensor order). */
static size_t entries_of(const rmtk_layers *l, size_t i, size_t *pos)
{
    size_t start = *pos, n = rmtk_layers_count(l);
    rmtk_matrix_entry e;
    while (*pos < n && rmtk_layers_get(l, *pos, &e) == RMTK_OK && e.tensor == i)
        (*pos)++;
    return start;
}

static void describe_text(const char *path, rmtk_model *m, const rmtk_layers *l)
{
    size_t nt = rmtk_model_tensor_count(m), nmeta = rmtk_model_metadata_count(m);
    char kb[1024], vb[4096], nb[1024];
    printf("%s: %s, %zu tensor%s\n", cli_safe(path, vb, sizeof vb), rmtk_model_format(m), nt,
           nt == 1 ? "" : "s");
    for (size_t i = 0; i < nmeta; i++) {
        const char *k, *v;
        if (rmtk_model_metadata(m, i, &k, &v) == RMTK_OK)
            printf("  metadata %s = %s\n", cli_safe(k, kb, sizeof kb), cli_safe(v, vb, sizeof vb));
    }
    int wn = 4;
    for (size_t i = 0; i < nt; i++) {
        rmtk_tensor_info ti;
        if (rmtk_model_tensor_info(m, i, &ti) == RMTK_OK &&
            (int)strlen(cli_safe(ti.name, nb, sizeof nb)) > wn)
            wn = (int)strlen(nb);
    }
    if (wn > 60)
        wn = 60;
    printf("  %-*s  %-8s  %-22s  %14s  %s\n", wn, "name", "dtype", "shape", "bytes", "matrices");
    size_t pos = 0;
    for (size_t i = 0; i < nt; i++) {
        rmtk_tensor_info ti;
        if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK)
            continue;
        char shp[256], mats[512];
        shape_str(shp, sizeof shp, &ti);
        if (ti.layout) { /* presented (out, in, ...); say how it was stored */
            size_t k = strlen(shp);
            snprintf(shp + k, sizeof shp - k, " (%s)", ti.layout);
        }
        size_t first = entries_of(l, i, &pos), cnt = pos - first;
        rmtk_matrix_entry e;
        if (cnt == 0 || rmtk_layers_get(l, first, &e) != RMTK_OK)
            snprintf(mats, sizeof mats, "-");
        else if (e.skip != RMTK_SKIP_NONE)
            snprintf(mats, sizeof mats, "skipped: %s", e.reason);
        else if (e.inner > 0) /* a LoRA pair: the product, computed from the factors */
            snprintf(mats, sizeof mats, "%lld x %lld product of inner dimension %lld: %s",
                     (long long)e.rows, (long long)e.cols, (long long)e.inner, e.name);
        else if (cnt == 1 && e.slice < 0)
            snprintf(mats, sizeof mats, "%lld x %lld", (long long)e.rows, (long long)e.cols);
        else
            snprintf(mats, sizeof mats, "%zu x (%lld x %lld)", cnt, (long long)e.rows,
                     (long long)e.cols);
        printf("  %-*s  %-8s  %-22s  %14llu  %s\n", wn, cli_safe(ti.name, nb, sizeof nb),
               cli_safe(ti.dtype == RMTK_DTYPE_OTHER ? ti.dtype_str : rmtk_dtype_name(ti.dtype),
                        kb, sizeof kb),
               shp, (unsigned long long)ti.nbytes, cli_safe(mats, vb, sizeof vb));
    }
}

static void describe_json(const char *path, rmtk_model *m, const rmtk_layers *l, int first)
{
    size_t nt = rmtk_model_tensor_count(m), nmeta = rmtk_model_metadata_count(m);
    printf("%s\n  {\"path\": ", first ? "" : ",");
    json_str(stdout, path);
    printf(", \"format\": ");
    json_str(stdout, rmtk_model_format(m));
    printf(",\n   \"metadata\": {");
    for (size_t i = 0; i < nmeta; i++) {
        const char *k, *v;
        if (rmtk_model_metadata(m, i, &k, &v) != RMTK_OK)
            continue;
        printf("%s", i ? ", " : "");
        json_str(stdout, k);
        printf(": ");
        json_str(stdout, v);
    }
    printf("},\n   \"tensors\": [");
    size_t pos = 0;
    for (size_t i = 0; i < nt; i++) {
        rmtk_tensor_info ti;
        if (rmtk_model_tensor_info(m, i, &ti) != RMTK_OK)
            continue;
        printf("%s\n    {\"name\": ", i ? "," : "");
        json_str(stdout, ti.name);
        printf(", \"dtype\": ");
        json_str(stdout, rmtk_dtype_name(ti.dtype));
        printf(", \"stored_dtype\": ");
        json_str(stdout, ti.dtype_str);
        printf(", \"shape\": [");
        for (int d = 0; d < ti.ndim; d++)
            printf("%s%lld", d ? ", " : "", (long long)ti.shape[d]);
        printf("], \"bytes\": %llu, \"file\": ", (unsigned long long)ti.nbytes);
        json_str(stdout, ti.file);
        printf(", \"offset\": %llu, \"fortran_order\": %s, \"big_endian\": %s, \"layout\": ",
               (unsigned long long)ti.offset, ti.fortran_order ? "true" : "false",
               ti.big_endian ? "true" : "false");
        if (ti.layout)
            json_str(stdout, ti.layout); /* the stored axis order of a permuted tensor */
        else
            printf("null");
        printf(",");
        size_t first_e = entries_of(l, i, &pos);
        rmtk_matrix_entry e;
        if (pos > first_e && rmtk_layers_get(l, first_e, &e) == RMTK_OK &&
            e.skip != RMTK_SKIP_NONE) {
            printf(" \"matrices\": [], \"skip\": {\"kind\": \"%s\", \"reason\": ",
                   rmtk_skip_name(e.skip));
            json_str(stdout, e.reason);
            printf("}}");
            continue;
        }
        printf(" \"matrices\": [");
        for (size_t k = first_e; k < pos; k++) {
            if (rmtk_layers_get(l, k, &e) != RMTK_OK)
                continue;
            printf("%s{\"name\": ", k > first_e ? ", " : "");
            json_str(stdout, e.name);
            printf(", \"rows\": %lld, \"cols\": %lld", (long long)e.rows, (long long)e.cols);
            if (e.inner > 0) /* a product of factors (PEFT LoRA) */
                printf(", \"inner\": %lld, \"scale\": %.17g", (long long)e.inner, e.scale);
            printf("}");
        }
        printf("], \"skip\": null}");
    }
    printf("\n   ],\n   \"tensor_bytes_read\": %llu}",
           (unsigned long long)rmtk_model_bytes_read(m));
}

int cmd_describe(int argc, char **argv)
{
    rmtk_extract_params p = rmtk_extract_params_default();
    int json = 0, nfiles = 0;
    const char **files = calloc((size_t)argc, sizeof *files);
    if (!files)
        return RMTK_ERR_NOMEM;
    int st = RMTK_OK;
    for (int i = 1; i < argc && st == RMTK_OK; i++) {
        const char *val;
        if (cli_is_help(argv[i])) {
            usage(stdout);
            free(files);
            return RMTK_OK;
        } else if (strcmp(argv[i], "--json") == 0) {
            json = 1;
        } else if (strcmp(argv[i], "--conv") == 0) {
            st = cli_optarg(argc, argv, &i, &val);
            if (st == RMTK_OK && strcmp(val, "flatten") == 0)
                p.conv_mode = RMTK_CONV_FLATTEN;
            else if (st == RMTK_OK && strcmp(val, "slices") == 0)
                p.conv_mode = RMTK_CONV_SLICES;
            else if (st == RMTK_OK) {
                cli_error("--conv: '%s' is not flatten or slices", val);
                st = RMTK_ERR_ARG;
            }
        } else if (strcmp(argv[i], "--min-side") == 0) {
            st = cli_optarg(argc, argv, &i, &val);
            if (st == RMTK_OK)
                st = cli_parse_i64("--min-side", val, 0, INT64_MAX, &p.min_side);
        } else if (strcmp(argv[i], "--include") == 0) {
            st = cli_optarg(argc, argv, &i, &p.include);
        } else if (strcmp(argv[i], "--exclude") == 0) {
            st = cli_optarg(argc, argv, &i, &p.exclude);
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            cli_unknown_option("describe", argv[i], usage);
            st = RMTK_ERR_ARG;
        } else {
            files[nfiles++] = argv[i];
        }
    }
    if (st == RMTK_OK && nfiles == 0) {
        cli_error("describe: FILE is required (rmtk describe FILE...; rmtk describe --help)");
        st = RMTK_ERR_ARG;
    }
    if (st != RMTK_OK) {
        free(files);
        return st;
    }
    int result = RMTK_OK, printed = 0;
    if (json)
        printf("{\"files\": [");
    for (int f = 0; f < nfiles; f++) {
        rmtk_model *m = NULL;
        rmtk_layers *l = NULL;
        st = rmtk_model_open(files[f], &m);
        if (st == RMTK_OK)
            st = rmtk_layers_alloc(m, &p, &l);
        if (st != RMTK_OK) {
            cli_error("%s", m && rmtk_model_errmsg(m)[0] ? rmtk_model_errmsg(m)
                                                         : rmtk_status_str(st));
            result = st;
        } else if (json) {
            describe_json(files[f], m, l, !printed);
            printed++;
        } else {
            if (printed++)
                printf("\n");
            describe_text(files[f], m, l);
        }
        rmtk_layers_free(l);
        rmtk_model_close(m);
    }
    if (json)
        printf("\n]}\n");
    free(files);
    return result;
}
