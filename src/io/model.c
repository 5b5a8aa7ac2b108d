/*
 * model.c: the format-neutral side of checkpoint reading. rmtk_model_open detects the format
 * from the file's bytes (safetensors' 8-byte length + '{', NumPy's "\x93NUMPY", a zip's
 * "PK\3\4": PyTorch when it holds a data.pkl, Keras 3 when it holds model.weights.h5, else npz;
 * a pickle's "\x80": legacy PyTorch; GGUF's "GGUF"; HDF5's "\x89HDF": Keras; a directory of
 * shards; a JSON shard index), lets one reader per format append
 * index entries (name, dtype, shape, where the bytes are) without reading tensor data, then checks
 * names are unique and builds a sorted name lookup. rmtk_model_map makes one tensor's bytes
 * available at a time: raw-stored data is mmap'd (MAP_PRIVATE, PROT_READ, page-aligned, the
 * previous mapping released), deflated zip members are inflated into one buffer the model owns
 * and grows; zip members are CRC-checked the first time; non-contiguous (strided) PyTorch views
 * are gathered into C order in a second buffer. rmtk_model_read_f64 converts in blocks and
 * reorders Fortran-ordered data into C order.
 */
#include "model-internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "zip.h"

/* ---- index building (used by the readers) ------------------------------------------------- */

int rmtk__model_add_file(rmtk_model *m, const char *path, size_t *idx)
{
    if (m->nfiles == m->cap_files) {
        size_t cap = m->cap_files ? 2 * m->cap_files : 4;
        char **f = rmtk__realloc(m->files, cap * sizeof *f);
        if (!f)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        m->files = f;
        m->cap_files = cap;
    }
    char *p = rmtk__strdup(path);
    if (!p)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
    m->files[m->nfiles] = p;
    *idx = m->nfiles++;
    return RMTK_OK;
}

int rmtk__model_add_tensor(rmtk_model *m, const char *name, size_t len, const char *dtype_str,
                           model_tensor **out)
{
    if (m->n == m->cap) {
        size_t cap = m->cap ? 2 * m->cap : 16;
        model_tensor *t = rmtk__realloc(m->t, cap * sizeof *t);
        if (!t)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory indexing tensors");
        m->t = t;
        m->cap = cap;
    }
    char *nm = rmtk__strndup(name, len);
    char *ds = nm ? rmtk__strdup(dtype_str) : NULL;
    if (!ds) {
        rmtk__free(nm);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory indexing tensors");
    }
    model_tensor *t = &m->t[m->n++];
    memset(t, 0, sizeof *t);
    t->info.name = nm;
    t->info.dtype_str = ds;
    *out = t;
    return RMTK_OK;
}

int rmtk__model_add_meta(rmtk_model *m, const char *key, const char *value)
{
    if (m->nmeta + 2 > m->cap_meta) {
        size_t cap = m->cap_meta ? 2 * m->cap_meta : 8;
        char **p = rmtk__realloc(m->meta, cap * sizeof *p);
        if (!p)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory reading metadata");
        m->meta = p;
        m->cap_meta = cap;
    }
    char *k = rmtk__strdup(key);
    char *v = k ? rmtk__strdup(value) : NULL;
    if (!v) {
        rmtk__free(k);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory reading metadata");
    }
    m->meta[m->nmeta++] = k;
    m->meta[m->nmeta++] = v;
    return RMTK_OK;
}

int rmtk__pread_full(rmtk_model *m, int fd, const char *path, void *buf, size_t n, uint64_t off)
{
    unsigned char *b = buf;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return rmtk__fail(m->errmsg, RMTK_ERR_IO,
                              "%s: read of %zu bytes at offset %llu failed: %s", path, n,
                              (unsigned long long)off, strerror(errno));
        if (r == 0)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: unexpected end of file reading %zu bytes at offset %llu",
                              path, n, (unsigned long long)off);
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return RMTK_OK;
}

const char *rmtk__relpath_problem(const char *s)
{
    if (!s[0])
        return "is empty";
    if (s[0] == '/')
        return "is an absolute path";
    if (strchr(s, '\\'))
        return "has a backslash";
    for (const char *p = s; *p;) {
        const char *e = strchr(p, '/');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (n == 2 && p[0] == '.' && p[1] == '.')
            return "has a \"..\" component";
        p += n;
        if (*p == '/')
            p++;
    }
    if (s[strlen(s) - 1] == '/')
        return "is a directory name";
    if (strchr(s, '?') || strchr(s, '#') || strstr(s, "://"))
        return "is a URL, not a file name";
    return NULL;
}

/* ---- opening ------------------------------------------------------------------------------ */

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* ---- format detection ---------------------------------------------------------------------
 * Magic bytes first, then the extension. One row of `readers` per format rmtk reads, tried in
 * order: a row matches when its probe accepts the first bytes (a probe may also look further
 * into the file through fd), or, when no probe matched and no known foreign format did, when the
 * path ends with one of its extensions (the reader then reports precisely what is wrong). A file
 * that is none of them gets what it looks like (`foreign`, below) and the list of formats rmtk
 * reads. To add a reader: a row here (and its probe), nothing else. */

#define HEAD_BYTES 512 /* the prefix the probes see (a tar header's "ustar" is at 257) */

typedef struct probe_in {
    const unsigned char *head; /* the first `have` bytes of the file */
    size_t have;
    uint64_t size;
    int fd;
    const char *path;
} probe_in;

typedef int (*reader_fn)(rmtk_model *m, const char *path, int fd, uint64_t size);

typedef struct format_row {
    const char *format;       /* rmtk_model_format() */
    const char *what;         /* for the list of formats rmtk reads */
    int (*probe)(const probe_in *in);
    const char *ext[4];       /* extension fallback (NULL-terminated) */
    int index_only;           /* only for the path given to rmtk_model_open, not in a directory */
    reader_fn read;
} format_row;

static int probe_npy(const probe_in *in)
{
    return in->have >= 6 && memcmp(in->head, "\x93NUMPY", 6) == 0;
}

static int probe_zip(const probe_in *in)
{
    return in->have >= 4 &&
           (memcmp(in->head, "PK\x03\x04", 4) == 0 || memcmp(in->head, "PK\x05\x06", 4) == 0);
}

/* safetensors: an 8-byte little-endian length, then the header's '{' */
static int probe_safetensors(const probe_in *in)
{
    return in->have >= 9 && in->head[8] == '{';
}

/* a JSON object: '{' after optional JSON whitespace (a Stockfish NNUE net starts with a space
 * too, then '/') */
static int probe_json_object(const probe_in *in)
{
    for (size_t i = 0; i < in->have; i++) {
        unsigned char c = in->head[i];
        if (c == '{')
            return 1;
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return 0;
    }
    return 0;
}

static int probe_gguf(const probe_in *in)
{
    return in->have >= 4 && memcmp(in->head, "GGUF", 4) == 0;
}

/* a zip holding a member data.pkl or DIR/data.pkl (or named .pt/.pth/.bin/.ckpt); -1 (out of
 * memory) also selects the PyTorch reader, which then reports it */
static int probe_pytorch_zip(const probe_in *in)
{
    return probe_zip(in) && rmtk__pytorch_sniff(in->fd, in->size, in->path) != 0;
}

/* a zip holding model.weights.h5 (or named .keras): Keras 3 */
static int probe_keras_zip(const probe_in *in)
{
    return probe_zip(in) && rmtk__keras_sniff(in->fd, in->size, in->path) != 0;
}

/* HDF5's signature at offset 0, or after a user block (512, 1024, 2048, ... bytes: the
 * superblock sits at 0 or a power of two >= 512; offsets up to 1 MiB are looked at) */
static int probe_hdf5(const probe_in *in)
{
    static const unsigned char sig[8] = {0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n'};
    if (in->have >= 8 && memcmp(in->head, sig, 8) == 0)
        return 1;
    for (uint64_t at = 512; at <= ((uint64_t)1 << 20) && at + 8 <= in->size; at *= 2) {
        unsigned char b[8];
        ssize_t r = pread(in->fd, b, 8, (off_t)at);
        if (r == 8 && memcmp(b, sig, 8) == 0)
            return 1;
    }
    return 0;
}

/* a bare pickle (PROTO 2..5): the legacy (pre-1.6) torch.save stream */
static int probe_pickle(const probe_in *in)
{
    return in->have >= 2 && in->head[0] == 0x80 && in->head[1] >= 2 && in->head[1] <= 5;
}

/* pytorch_model.bin.index.json: a JSON weight_map whose shards are torch.save files */
static int probe_pytorch_index(const probe_in *in)
{
    return ends_with(in->path, ".bin.index.json") && probe_json_object(in);
}

/* a TensorFlow.js model.json: a JSON object with a "weightsManifest" key (anywhere in the file:
 * a graph model's topology comes first), or a bare weights manifest: a .json file holding an
 * array of objects ({"paths": [...], "weights": [...]}) */
static int probe_tfjs(const probe_in *in)
{
    size_t i = 0;
    while (i < in->have && strchr(" \t\n\r", in->head[i]) && in->head[i])
        i++;
    if (i < in->have && in->head[i] == '[') {
        for (i++; i < in->have && strchr(" \t\n\r", in->head[i]) && in->head[i]; i++)
            ;
        return i < in->have && in->head[i] == '{' && ends_with(in->path, ".json");
    }
    if (!probe_json_object(in))
        return 0;
    static const char key[] = "\"weightsManifest\"";
    const size_t kl = sizeof key - 1, chunk = 65536;
    unsigned char buf[65536 + sizeof key];
    size_t keep = 0;
    for (uint64_t off = 0; off < in->size && off < 256000000u; off += chunk) {
        size_t n = (size_t)RMTK_MIN((uint64_t)chunk, in->size - off);
        ssize_t r = pread(in->fd, buf + keep, n, (off_t)off);
        if (r <= 0)
            return 0;
        size_t have = keep + (size_t)r;
        for (size_t j = 0; j + kl <= have; j++)
            if (buf[j] == '"' && memcmp(buf + j, key, kl) == 0)
                return 1;
        keep = RMTK_MIN(have, kl - 1);
        memmove(buf, buf + have - keep, keep);
        if ((size_t)r < n)
            return 0;
    }
    return 0;
}

/* ONNX has no magic: a ModelProto that starts with ir_version (read-onnx.c) */
static int probe_onnx(const probe_in *in)
{
    return rmtk__onnx_probe(in->head, in->have);
}

static const format_row readers[] = {
    {"gguf", "GGUF of llama.cpp (versions 2, 3; split sets; ggml quantised types)", probe_gguf,
     {".gguf", NULL}, 0, rmtk__read_gguf},
    {"npy", "NumPy .npy (format 1.0, 2.0, 3.0)", probe_npy, {".npy", NULL}, 0, rmtk__read_npy},
    {"pytorch", "PyTorch torch.save (zip format; .pt, .pth, .bin, .ckpt)", probe_pytorch_zip,
     {".pt", ".pth", ".ckpt", NULL}, 0, rmtk__read_pytorch},
    {"keras", "Keras 3 .keras", probe_keras_zip,
     {".keras", NULL}, 0, rmtk__read_keras_zip},
    {"npz", "NumPy .npz (a zip of .npy members, stored or deflated, zip64)", probe_zip,
     {".npz", ".zip", NULL}, 0, rmtk__read_npz},
    {"pytorch", "legacy (pre-1.6) PyTorch torch.save", probe_pickle, {NULL}, 0,
     rmtk__read_pytorch_legacy},
    {"pytorch", "a PyTorch shard index (pytorch_model.bin.index.json)", probe_pytorch_index,
     {NULL}, 1, rmtk__read_safetensors_index},
    {"tfjs", "TensorFlow.js (model.json or a weights manifest)", probe_tfjs, {NULL}, 1,
     rmtk__read_tfjs},
    {"onnx", "ONNX (.onnx: initializers, Constant nodes, subgraphs, external data)", probe_onnx,
     {".onnx", NULL}, 0, rmtk__read_onnx},
    {"keras", "Keras HDF5 (.h5, .hdf5)", probe_hdf5, {".h5", ".hdf5", NULL}, 0,
     rmtk__read_keras_h5},
    {"safetensors", "safetensors (a .safetensors file or a directory of them)",
     probe_safetensors, {".safetensors", NULL}, 0, rmtk__read_safetensors},
    {"safetensors", "a safetensors shard index (*.safetensors.index.json)", probe_json_object,
     {".index.json", NULL}, 1, rmtk__read_safetensors_index},
};
enum { NREADERS = sizeof readers / sizeof readers[0] };

/* Formats rmtk does not read, recognised by their bytes, so that the message can say what the
 * file looks like. A format that gains a reader moves to `readers` (above this table in the
 * search order, so a row left here is harmless). */
typedef struct foreign_row {
    size_t at;              /* offset of the magic */
    const char *magic;      /* bytes (mlen of them) */
    size_t mlen;
    const char *looks_like; /* "a PNG image" */
} foreign_row;

static const foreign_row foreign[] = {
    {4, "TFL3", 4, "a TensorFlow Lite flatbuffer"},
    /* version word 0x7AF32Fxx, little-endian (0x7AF32F20 today, 0x7AF32F16 in 2020) */
    {1, "\x2f\xf3\x7a", 3, "a Stockfish NNUE network"},
    {0, "\x7f" "ELF", 4, "an ELF executable or library"},
    {0, "\x89PNG\r\n\x1a\n", 8, "a PNG image"},
    {0, "\xff\xd8\xff", 3, "a JPEG image"},
    {0, "GIF8", 4, "a GIF image"},
    {0, "%PDF", 4, "a PDF document"},
    {0, "\x1f\x8b", 2, "a gzip-compressed file (decompress it first)"},
    {0, "BZh", 3, "a bzip2-compressed file (decompress it first)"},
    {0, "\xfd" "7zXZ", 5, "an xz-compressed file (decompress it first)"},
    {0, "\x28\xb5\x2f\xfd", 4, "a zstd-compressed file (decompress it first)"},
    {0, "7z\xbc\xaf\x27\x1c", 6, "a 7-Zip archive (extract it first)"},
    {257, "ustar", 5, "a tar archive (extract it first)"},
};

static const char *looks_like(const unsigned char *head, size_t have)
{
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        const foreign_row *f = &foreign[i];
        if (have >= f->at + f->mlen && memcmp(head + f->at, f->magic, f->mlen) == 0)
            return f->looks_like;
    }
    return NULL;
}

size_t rmtk__formats_read(char *buf, size_t size)
{
    size_t k = 0;
    if (size)
        buf[0] = '\0';
    for (size_t i = 0; i < NREADERS && k < size; i++)
        k += (size_t)snprintf(buf + k, size - k, "%s%s", i ? "; " : "", readers[i].what);
    return k;
}

/* Open one file and hand it to the reader its bytes (or else its name) call for. */
static int open_file(rmtk_model *m, const char *path, int allow_index)
{
    /* O_NONBLOCK: a FIFO must not block the open; only regular files are read */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0) {
        int e = errno;
        close(fd);
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot stat: %s", path, strerror(e));
    }
    if (!S_ISREG(sb.st_mode)) {
        close(fd);
        return rmtk__fail(m->errmsg, RMTK_ERR_IO,
                          "%s: not a regular file (a FIFO, socket or device); rmtk reads files "
                          "and directories of shards",
                          path);
    }
    uint64_t size = (uint64_t)sb.st_size;
    unsigned char head[HEAD_BYTES] = {0};
    size_t have = (size_t)RMTK_MIN(size, (uint64_t)HEAD_BYTES);
    int st = have ? rmtk__pread_full(m, fd, path, head, have, 0) : RMTK_OK;
    if (st) {
        close(fd);
        return st;
    }
    probe_in in = {head, have, size, fd, path};
    const format_row *row = NULL;
    for (size_t i = 0; i < NREADERS && !row; i++)
        if ((allow_index || !readers[i].index_only) && readers[i].probe(&in))
            row = &readers[i];
    const char *seems = row ? NULL : looks_like(head, have);
    for (size_t i = 0; i < NREADERS && !row && !seems; i++)
        for (size_t e = 0; readers[i].ext[e] && !row; e++)
            if ((allow_index || !readers[i].index_only) && ends_with(path, readers[i].ext[e]))
                row = &readers[i];
    if (!row) {
        close(fd);
        char list[1024];
        rmtk__formats_read(list, sizeof list);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: not a format rmtk reads (unrecognised format%s%s; %llu bytes; "
                          "first bytes %02x %02x %02x %02x). rmtk reads: %s. docs/formats.md "
                          "shows how to convert others",
                          path, seems ? ": it looks like " : "", seems ? seems : "",
                          (unsigned long long)size, head[0], head[1], head[2], head[3], list);
    }
    const char *fmt = row->format;
    if (m->format && strcmp(m->format, fmt) != 0) {
        close(fd);
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT, "%s: a %s file among %s shards", path,
                          fmt, m->format);
    }
    m->format = fmt;
    st = row->read(m, path, fd, size);
    close(fd);
    return st;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A directory: its model.safetensors.index.json when it has one (so that a missing shard is an
 * error and a consolidated copy beside the shards is not read twice), else every regular
 * *.safetensors file in it, in name order. */
static int open_dir(rmtk_model *m, const char *path)
{
    {
        size_t len = strlen(path) + 32;
        char *idx = rmtk__malloc(len);
        if (!idx)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
        snprintf(idx, len, "%s/model.safetensors.index.json", path);
        struct stat sb;
        int st = RMTK_ERR_NOTFOUND;
        if (stat(idx, &sb) == 0 && S_ISREG(sb.st_mode))
            st = open_file(m, idx, 1);
        rmtk__free(idx);
        if (st != RMTK_ERR_NOTFOUND)
            return st;
    }
    DIR *d = opendir(path);
    if (!d)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open directory: %s", path,
                          strerror(errno));
    char **names = NULL;
    size_t n = 0, cap = 0;
    int st = RMTK_OK;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (!ends_with(de->d_name, ".safetensors") || de->d_name[0] == '.')
            continue;
        if (n == cap) {
            size_t c2 = cap ? 2 * cap : 16;
            char **p = rmtk__realloc(names, c2 * sizeof *p);
            if (!p) {
                st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
                break;
            }
            names = p;
            cap = c2;
        }
        size_t len = strlen(path) + strlen(de->d_name) + 2;
        char *full = rmtk__malloc(len);
        if (!full) {
            st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        snprintf(full, len, "%s/%s", path, de->d_name);
        names[n++] = full;
    }
    closedir(d);
    if (st == RMTK_OK && n == 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOTFOUND, "%s: directory holds no *.safetensors files",
                        path);
    if (st == RMTK_OK)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n && st == RMTK_OK; i++) {
        struct stat sb;
        if (stat(names[i], &sb) == 0 && !S_ISREG(sb.st_mode))
            continue;
        m->format = "safetensors";
        st = open_file(m, names[i], 0);
    }
    for (size_t i = 0; i < n; i++)
        rmtk__free(names[i]);
    rmtk__free(names);
    return st;
}

/* Merge sort of tensor indices by name (thread-safe, unlike a qsort with a global). */
static void sort_names(const rmtk_model *m, size_t *a, size_t *tmp, size_t n)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_names(m, a, tmp, h);
    sort_names(m, a + h, tmp, n - h);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = strcmp(m->t[a[i]].info.name, m->t[a[j]].info.name) <= 0 ? a[i++] : a[j++];
    while (i < h)
        tmp[k++] = a[i++];
    while (j < n)
        tmp[k++] = a[j++];
    memcpy(a, tmp, n * sizeof *a);
}

/* Sort the name lookup and reject duplicate names. */
static int build_lookup(rmtk_model *m)
{
    m->by_name = rmtk__malloc_array(m->n ? m->n : 1, sizeof *m->by_name);
    size_t *tmp = rmtk__malloc_array(m->n ? m->n : 1, sizeof *tmp);
    if (!m->by_name || !tmp) {
        rmtk__free(tmp);
        return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "out of memory indexing tensors");
    }
    for (size_t i = 0; i < m->n; i++)
        m->by_name[i] = i;
    sort_names(m, m->by_name, tmp, m->n);
    rmtk__free(tmp);
    for (size_t k = 1; k < m->n; k++) {
        const model_tensor *a = &m->t[m->by_name[k - 1]], *b = &m->t[m->by_name[k]];
        if (strcmp(a->info.name, b->info.name) == 0)
            return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                              "%s: duplicate tensor name '%s' (data at offsets %llu in %s and "
                              "%llu in %s)%s",
                              b->info.file, b->info.name, (unsigned long long)a->info.offset,
                              a->info.file, (unsigned long long)b->info.offset, b->info.file,
                              a->file != b->file
                                  ? ". Two files hold the same weights (shards and a "
                                    "consolidated copy?): pass one file, or the shard index "
                                    "*.safetensors.index.json"
                                  : "");
    }
    return RMTK_OK;
}

int rmtk_model_open(const char *path, rmtk_model **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (!path)
        return RMTK_ERR_ARG;
    rmtk_model *m = rmtk__calloc(1, sizeof *m);
    if (!m)
        return RMTK_ERR_NOMEM;
    *out = m;
    struct stat sb;
    int st;
    if (stat(path, &sb) != 0)
        st = rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    else if (S_ISDIR(sb.st_mode))
        st = open_dir(m, path);
    else
        st = open_file(m, path, 1);
    for (size_t i = 0; st == RMTK_OK && i < m->n; i++)
        m->t[i].info.file = m->files[m->t[i].file];
    if (st == RMTK_OK)
        st = build_lookup(m);
    if (st == RMTK_OK && rmtk__model_load_arch(m, path, S_ISDIR(sb.st_mode)) != RMTK_OK)
        st = rmtk__fail(m->errmsg, RMTK_ERR_NOMEM, "%s: out of memory reading config.json", path);
    if (st == RMTK_OK)
        m->errmsg[0] = '\0';
    return st;
}

static void unmap(rmtk_model *m)
{
    m->has_cur = 0;
    if (m->map_base) {
        munmap(m->map_base, m->map_len);
        m->map_base = NULL;
        m->map_len = 0;
    }
}

void rmtk_model_close(rmtk_model *m)
{
    if (!m)
        return;
    unmap(m);
    for (size_t i = 0; i < m->n; i++) {
        rmtk__free((void *)m->t[i].info.name);
        rmtk__free((void *)m->t[i].info.dtype_str);
    }
    rmtk__free(m->t);
    for (size_t i = 0; i < m->nfiles; i++)
        rmtk__free(m->files[i]);
    rmtk__free(m->files);
    for (size_t i = 0; i < m->nmeta; i++)
        rmtk__free(m->meta[i]);
    rmtk__free(m->meta);
    rmtk__free(m->by_name);
    rmtk__free(m->buf);
    rmtk__free(m->gbuf);
    rmtk__free(m->arch_type);
    if (m->reader_state_free)
        m->reader_state_free(m->reader_state);
    rmtk__free(m);
}

const char *rmtk_model_errmsg(const rmtk_model *m)
{
    return m ? m->errmsg : "no model (NULL handle)";
}

const char *rmtk_model_format(const rmtk_model *m)
{
    return m && m->format ? m->format : "";
}

size_t rmtk_model_tensor_count(const rmtk_model *m)
{
    return m && m->by_name ? m->n : 0;
}

int rmtk_model_tensor_info(const rmtk_model *m, size_t i, rmtk_tensor_info *info)
{
    if (!m || !info || !m->by_name)
        return RMTK_ERR_ARG;
    if (i >= m->n)
        return RMTK_ERR_NOTFOUND;
    *info = m->t[i].info;
    return RMTK_OK;
}

int rmtk_model_find(const rmtk_model *m, const char *name, size_t *index)
{
    if (!m || !name || !index || !m->by_name)
        return RMTK_ERR_ARG;
    size_t lo = 0, hi = m->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(m->t[m->by_name[mid]].info.name, name);
        if (c == 0) {
            *index = m->by_name[mid];
            return RMTK_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return RMTK_ERR_NOTFOUND;
}

size_t rmtk_model_metadata_count(const rmtk_model *m)
{
    return m ? m->nmeta / 2 : 0;
}

int rmtk_model_metadata(const rmtk_model *m, size_t i, const char **key, const char **value)
{
    if (!m || !key || !value)
        return RMTK_ERR_ARG;
    if (i >= m->nmeta / 2)
        return RMTK_ERR_NOTFOUND;
    *key = m->meta[2 * i];
    *value = m->meta[2 * i + 1];
    return RMTK_OK;
}

uint64_t rmtk_model_bytes_read(const rmtk_model *m)
{
    return m ? m->bytes_read : 0;
}

/* ---- mapping ------------------------------------------------------------------------------ */

/* mmap [off, off + len) of path; *p receives the address of byte off. */
static int map_range(rmtk_model *m, const char *path, uint64_t off, uint64_t len, const void **p)
{
    static const unsigned char empty[1];
    unmap(m);
    if (len == 0) {
        *p = empty;
        return RMTK_OK;
    }
    long pg = sysconf(_SC_PAGESIZE);
    uint64_t page = pg > 0 ? (uint64_t)pg : 4096;
    uint64_t base = off - off % page, total = off - base + len;
    if (total > (uint64_t)SIZE_MAX)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: %llu bytes cannot be mapped here", path,
                          (unsigned long long)len);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || (uint64_t)sb.st_size < off + len) {
        close(fd);
        return rmtk__fail(m->errmsg, RMTK_ERR_IO,
                          "%s: file changed since it was opened: bytes [%llu, %llu) are no "
                          "longer inside it",
                          path, (unsigned long long)off, (unsigned long long)(off + len));
    }
    void *a = mmap(NULL, (size_t)total, PROT_READ, MAP_PRIVATE, fd, (off_t)base);
    int e = errno;
    close(fd);
    if (a == MAP_FAILED)
        return rmtk__fail(m->errmsg, e == ENOMEM ? RMTK_ERR_NOMEM : RMTK_ERR_IO,
                          "%s: mmap of %llu bytes at offset %llu failed: %s", path,
                          (unsigned long long)total, (unsigned long long)base, strerror(e));
    m->map_base = a;
    m->map_len = (size_t)total;
    m->map_path = path;
    m->map_off = base;
    *p = (const unsigned char *)a + (off - base);
    return RMTK_OK;
}

int rmtk__model_remap(rmtk_model *m, const void *p, const void **q, void **base, size_t *len)
{
    const unsigned char *b = m ? m->map_base : NULL, *x = p;
    if (!b || x < b || x >= b + m->map_len)
        return RMTK_ERR_UNSUPPORTED;
    int fd = open(m->map_path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open: %s", m->map_path,
                          strerror(errno));
    void *a = mmap(NULL, m->map_len, PROT_READ, MAP_PRIVATE, fd, (off_t)m->map_off);
    int e = errno;
    close(fd);
    if (a == MAP_FAILED)
        return rmtk__fail(m->errmsg, e == ENOMEM ? RMTK_ERR_NOMEM : RMTK_ERR_IO,
                          "%s: mmap of %zu bytes at offset %llu failed: %s", m->map_path,
                          m->map_len, (unsigned long long)m->map_off, strerror(e));
    *base = a;
    *len = m->map_len;
    *q = (const unsigned char *)a + (x - b);
    return RMTK_OK;
}

static int check_crc(rmtk_model *m, model_tensor *t, const unsigned char *member)
{
    if (t->crc_ok)
        return RMTK_OK;
    uLong crc = crc32(0L, Z_NULL, 0);
    uint64_t left = t->member_usize;
    const unsigned char *p = member;
    while (left > 0) {
        uInt chunk = (uInt)RMTK_MIN(left, (uint64_t)(1u << 30));
        crc = crc32(crc, p, chunk);
        p += chunk;
        left -= chunk;
    }
    if ((uint32_t)crc != t->member_crc)
        return rmtk__fail(m->errmsg, RMTK_ERR_FORMAT,
                          "%s: tensor '%s': CRC-32 of the member at offset %llu is 0x%08x, the "
                          "zip directory says 0x%08x",
                          t->info.file, t->info.name, (unsigned long long)t->member_offset,
                          (unsigned)crc, (unsigned)t->member_crc);
    t->crc_ok = 1;
    return RMTK_OK;
}

static int map_tensor(rmtk_model *m, size_t i, const void **data);

/* Mapping the tensor mapped last (the slices of one convolution kernel or stack, one after the
 * other) reuses its bytes: no new mmap, no second inflation of a deflated member. */
int rmtk_model_map(rmtk_model *m, size_t i, const void **data)
{
    if (!m || !data || !m->by_name)
        return RMTK_ERR_ARG;
    if (m->has_cur && m->cur == i) {
        *data = m->cur_data;
        return RMTK_OK;
    }
    int st = map_tensor(m, i, data);
    if (st == RMTK_OK) {
        m->cur = i;
        m->cur_data = *data;
        m->has_cur = 1;
    }
    return st;
}

/* Gather a strided tensor (model_tensor.strided) whose element 0 is at base into C order in the
 * model's gather buffer: element (k_0, ..., k_{d-1}) comes from base + itemsize * sum k_i s_i
 * (extent validated by the reader). Rows of the last dimension are copied element by element
 * (or as one block when its stride is 1). */
/* The model's gather buffer, grown to hold tensor t's info.nbytes bytes. */
static int grow_gbuf(rmtk_model *m, const model_tensor *t, const char *what)
{
    const rmtk_tensor_info *ti = &t->info;
    if (ti->nbytes > (uint64_t)SIZE_MAX)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': %llu bytes do not fit",
                          ti->file, ti->name, (unsigned long long)ti->nbytes);
    if (m->gbuf_cap < ti->nbytes || !m->gbuf) {
        rmtk__free(m->gbuf);
        m->gbuf_cap = 0;
        m->gbuf = rmtk__malloc((size_t)(ti->nbytes ? ti->nbytes : 1));
        if (!m->gbuf)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                              "%s: tensor '%s': out of memory for %llu bytes (%s)", ti->file,
                              ti->name, (unsigned long long)ti->nbytes, what);
        m->gbuf_cap = (size_t)(ti->nbytes ? ti->nbytes : 1);
    }
    return RMTK_OK;
}

static int gather_strided(rmtk_model *m, const model_tensor *t, const unsigned char *base,
                          const void **data)
{
    const rmtk_tensor_info *ti = &t->info;
    int st = grow_gbuf(m, t, "gathering a strided view");
    if (st)
        return st;
    *data = m->gbuf;
    if (ti->numel == 0)
        return RMTK_OK;
    int d = ti->ndim;
    size_t esz = t->itemsize;
    unsigned char *dst = m->gbuf;
    int64_t idx[RMTK_MAX_DIMS] = {0};
    size_t inner = (size_t)(d ? ti->shape[d - 1] : 1);
    uint64_t s_in = (uint64_t)(d ? t->strides[d - 1] : 1);
    uint64_t rows = ti->numel / inner;
    for (uint64_t r = 0; r < rows; r++) {
        uint64_t src = 0;
        for (int k = 0; k + 1 < d; k++)
            src += (uint64_t)idx[k] * (uint64_t)t->strides[k];
        const unsigned char *sp = base + src * esz;
        if (s_in == 1) {
            memcpy(dst, sp, inner * esz);
            dst += inner * esz;
        } else {
            for (size_t j = 0; j < inner; j++, dst += esz)
                memcpy(dst, sp + (uint64_t)j * s_in * esz, esz);
        }
        for (int k = d - 2; k >= 0; k--) {
            if (++idx[k] < ti->shape[k])
                break;
            idx[k] = 0;
        }
    }
    return RMTK_OK;
}

static int map_stored(rmtk_model *m, size_t i, const void **data);

static int map_tensor(rmtk_model *m, size_t i, const void **data)
{
    model_tensor *t = i < m->n ? &m->t[i] : NULL;
    if (t && t->store == MODEL_STORE_FETCH) {
        *data = NULL;
        unmap(m);
        if (!m->fetch)
            return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                              "%s: tensor '%s': no reader can produce its bytes", t->info.file,
                              t->info.name);
        int st = grow_gbuf(m, t, "decoding");
        if (st == RMTK_OK)
            st = m->fetch(m, i, m->gbuf);
        if (st == RMTK_OK)
            *data = m->gbuf;
        return st;
    }
    int st = map_stored(m, i, data);
    if (st == RMTK_OK && m->t[i].strided)
        st = gather_strided(m, &m->t[i], *data, data);
    return st;
}

static int map_stored(rmtk_model *m, size_t i, const void **data)
{
    *data = NULL;
    if (i >= m->n)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOTFOUND, "tensor index %zu >= %zu tensors", i,
                          m->n);
    model_tensor *t = &m->t[i];
    const char *path = t->info.file;
    int st;
    if (t->store == MODEL_STORE_RAW) {
        /* a strided view (legacy PyTorch) maps its whole extent, member_usize bytes */
        uint64_t len = t->strided ? t->member_usize : t->info.nbytes;
        st = map_range(m, path, t->info.offset, len, data);
        if (st == RMTK_OK)
            m->bytes_read += len;
        return st;
    }
    if (t->store == MODEL_STORE_ZIP_RAW) {
        const void *p;
        st = map_range(m, path, t->member_offset, t->member_usize, &p);
        if (st)
            return st;
        m->bytes_read += t->member_usize;
        st = check_crc(m, t, p);
        if (st) {
            unmap(m);
            return st;
        }
        *data = (const unsigned char *)p + t->member_hdr;
        return RMTK_OK;
    }
    /* deflated: inflate the whole member into the reusable buffer */
    unmap(m);
    if (t->member_usize > (uint64_t)SIZE_MAX)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': %llu bytes do not fit",
                          path, t->info.name, (unsigned long long)t->member_usize);
    if (m->buf_cap < t->member_usize) {
        rmtk__free(m->buf);
        m->buf_cap = 0;
        m->buf = rmtk__malloc((size_t)t->member_usize);
        if (!m->buf)
            return rmtk__fail(m->errmsg, RMTK_ERR_NOMEM,
                              "%s: tensor '%s': out of memory for %llu inflated bytes", path,
                              t->info.name, (unsigned long long)t->member_usize);
        m->buf_cap = (size_t)t->member_usize;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rmtk__fail(m->errmsg, RMTK_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    rmtk__zip_entry e;
    memset(&e, 0, sizeof e);
    e.name = (char *)t->info.name;
    e.csize = t->member_csize;
    e.usize = t->member_usize;
    e.data_offset = t->member_offset;
    e.method = 8;
    uint64_t in_read = 0;
    st = rmtk__zip_inflate(fd, path, &e, m->buf, t->member_usize, &in_read, m->errmsg);
    close(fd);
    m->bytes_read += in_read;
    m->bytes_inflated += t->member_usize;
    if (st == RMTK_OK)
        st = check_crc(m, t, m->buf);
    if (st == RMTK_OK)
        *data = m->buf + t->member_hdr;
    return st;
}

/* ---- conversion --------------------------------------------------------------------------- */

int rmtk_model_read_f64(rmtk_model *m, size_t i, double *dst, size_t n)
{
    if (!m || !dst || !m->by_name)
        return RMTK_ERR_ARG;
    if (i >= m->n)
        return rmtk__fail(m->errmsg, RMTK_ERR_NOTFOUND, "tensor index %zu >= %zu tensors", i,
                          m->n);
    const rmtk_tensor_info *ti = &m->t[i].info;
    if (!rmtk_dtype_is_numeric(ti->dtype))
        return rmtk__fail(m->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': dtype %s is not numeric", ti->file, ti->name,
                          ti->dtype_str);
    if (n < ti->numel)
        return rmtk__fail(m->errmsg, RMTK_ERR_RANGE,
                          "tensor '%s': buffer of %zu doubles < %llu elements", ti->name, n,
                          (unsigned long long)ti->numel);
    const void *data;
    int st = rmtk_model_map(m, i, &data);
    if (st)
        return st;
    size_t esz = rmtk_dtype_size(ti->dtype);
    const unsigned char *src = data;
    if (!ti->fortran_order || ti->ndim < 2)
        return rmtk_dtype_to_double(ti->dtype, ti->big_endian, src, (size_t)ti->numel, dst);
    if (ti->ndim == 2) {
        /* a column-major matrix: the tiled gather of rmtk_matrix_to_double */
        rmtk_matrix_view v = {src, ti->shape[0], ti->shape[1], 1, ti->shape[0], ti->dtype,
                              ti->big_endian, 0, 0};
        return rmtk_matrix_to_double(v, dst);
    }
    /* Fortran order: the stored linear index s runs over the multi-index (i_0, ..., i_{d-1})
     * with i_0 fastest; its C position is sum_k i_k * cstride_k, cstride_k = prod_{l>k} n_l.
     * Convert a block of stored elements, then scatter it (2-D goes through the tiled gather). */
    int d = ti->ndim;
    int64_t idx[RMTK_MAX_DIMS] = {0};
    uint64_t cstride[RMTK_MAX_DIMS];
    cstride[d - 1] = 1;
    for (int k = d - 2; k >= 0; k--)
        cstride[k] = cstride[k + 1] * (uint64_t)ti->shape[k + 1];
    double blk[1024];
    uint64_t pos = 0; /* C offset of idx */
    for (uint64_t s = 0; s < ti->numel;) {
        size_t nb = (size_t)RMTK_MIN(ti->numel - s, (uint64_t)1024);
        rmtk_dtype_to_double(ti->dtype, ti->big_endian, src + s * esz, nb, blk);
        for (size_t b = 0; b < nb; b++) {
            dst[pos] = blk[b];
            for (int k = 0; k < d; k++) {
                if (++idx[k] < ti->shape[k]) {
                    pos += cstride[k];
                    break;
                }
                pos -= cstride[k] * (uint64_t)(ti->shape[k] - 1);
                idx[k] = 0;
            }
        }
        s += nb;
    }
    return RMTK_OK;
}
