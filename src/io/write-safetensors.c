/*
 * write-safetensors.c: a streaming safetensors writer. The caller declares every tensor (name,
 * dtype, shape) and the metadata, then begins: the writer lays the data out, writes the header
 * into a temporary file in the destination's directory, and accepts each tensor's bytes in any
 * order and in pieces (pwrite at the tensor's offset), so that one matrix at a time is in
 * memory. Commit checks that every byte was written, syncs, and renames over the destination;
 * freeing an uncommitted writer removes the temporary file (the destination is untouched).
 *
 * The file (https://github.com/huggingface/safetensors, "Format"): an 8-byte little-endian
 * header length H, H bytes of JSON {"__metadata__": {str: str}, NAME: {"dtype", "shape",
 * "data_offsets": [begin, end)}}, then the data buffer, with no holes. Here the header keys come
 * sorted (metadata first, then tensor names by byte order), the header is padded with spaces to
 * a multiple of 8 bytes, and the data are laid out by element size, largest first (then by
 * name), so that every tensor starts at a multiple of its element size from an 8-aligned base
 * (what the safetensors library does too).
 */
#include "internal.h"
#include "rmtk.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct st_tensor {
    char *name;
    int32_t dtype;
    int32_t ndim;
    int64_t shape[RMTK_MAX_DIMS];
    uint64_t nbytes;
    uint64_t begin;   /* offset in the data buffer */
    uint64_t written; /* bytes put so far */
} st_tensor;

typedef struct st_meta {
    char *key, *value;
} st_meta;

struct rmtk_safetensors_writer {
    char *path, *tmp;
    int fd;
    int begun, committed;
    uint64_t data_start;
    st_tensor *t;
    size_t nt, ct;
    st_meta *md;
    size_t nm, cm;
    char errmsg[RMTK_ERRMSG_SIZE];
};

int rmtk_safetensors_writer_alloc(const char *path, rmtk_safetensors_writer **out)
{
    if (!out)
        return RMTK_ERR_ARG;
    *out = NULL;
    if (!path || !*path)
        return RMTK_ERR_ARG;
    rmtk_safetensors_writer *w = rmtk__calloc(1, sizeof *w);
    if (!w)
        return RMTK_ERR_NOMEM;
    w->fd = -1;
    if (!(w->path = rmtk__strdup(path))) {
        rmtk__free(w);
        return RMTK_ERR_NOMEM;
    }
    *out = w;
    return RMTK_OK;
}

void rmtk_safetensors_writer_free(rmtk_safetensors_writer *w)
{
    if (!w)
        return;
    if (w->fd >= 0)
        close(w->fd);
    if (w->tmp && !w->committed)
        unlink(w->tmp);
    for (size_t i = 0; i < w->nt; i++)
        rmtk__free(w->t[i].name);
    for (size_t i = 0; i < w->nm; i++) {
        rmtk__free(w->md[i].key);
        rmtk__free(w->md[i].value);
    }
    rmtk__free(w->t);
    rmtk__free(w->md);
    rmtk__free(w->tmp);
    rmtk__free(w->path);
    rmtk__free(w);
}

const char *rmtk_safetensors_writer_errmsg(const rmtk_safetensors_writer *w)
{
    return w ? w->errmsg : "";
}

int rmtk_safetensors_writer_metadata(rmtk_safetensors_writer *w, const char *key,
                                     const char *value)
{
    if (!w || !key || !value)
        return RMTK_ERR_ARG;
    if (w->begun)
        return rmtk__fail(w->errmsg, RMTK_ERR_ARG, "%s: metadata after begin", w->path);
    for (size_t i = 0; i < w->nm; i++)
        if (strcmp(w->md[i].key, key) == 0) { /* replace */
            char *v = rmtk__strdup(value);
            if (!v)
                return RMTK_ERR_NOMEM;
            rmtk__free(w->md[i].value);
            w->md[i].value = v;
            return RMTK_OK;
        }
    if (w->nm == w->cm) {
        size_t c = w->cm ? 2 * w->cm : 16;
        st_meta *md = rmtk__realloc(w->md, c * sizeof *md);
        if (!md)
            return RMTK_ERR_NOMEM;
        w->md = md;
        w->cm = c;
    }
    st_meta m = {rmtk__strdup(key), rmtk__strdup(value)};
    if (!m.key || !m.value) {
        rmtk__free(m.key);
        rmtk__free(m.value);
        return RMTK_ERR_NOMEM;
    }
    w->md[w->nm++] = m;
    return RMTK_OK;
}

int rmtk_safetensors_writer_add(rmtk_safetensors_writer *w, const char *name, int dtype,
                                int32_t ndim, const int64_t *shape, size_t *index)
{
    if (!w || !name || ndim < 0 || ndim > RMTK_MAX_DIMS || (ndim > 0 && !shape))
        return RMTK_ERR_ARG;
    if (w->begun)
        return rmtk__fail(w->errmsg, RMTK_ERR_ARG, "%s: tensor '%s' added after begin", w->path,
                          name);
    if (strcmp(name, "__metadata__") == 0 || !*name)
        return rmtk__fail(w->errmsg, RMTK_ERR_ARG, "%s: invalid tensor name '%s'", w->path,
                          name);
    size_t es = rmtk_dtype_size(dtype);
    if (dtype < RMTK_DTYPE_F64 || dtype > RMTK_DTYPE_BOOL || es == 0)
        return rmtk__fail(w->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': dtype %s has no safetensors encoding", w->path, name,
                          rmtk_dtype_name(dtype));
    uint64_t nb = es;
    for (int32_t d = 0; d < ndim; d++)
        if (shape[d] < 0 || !rmtk__mul_u64(nb, (uint64_t)shape[d], &nb))
            return rmtk__fail(w->errmsg, RMTK_ERR_RANGE, "%s: tensor '%s': bad shape", w->path,
                              name);
    for (size_t i = 0; i < w->nt; i++)
        if (strcmp(w->t[i].name, name) == 0)
            return rmtk__fail(w->errmsg, RMTK_ERR_ARG, "%s: tensor '%s' added twice", w->path,
                              name);
    if (w->nt == w->ct) {
        size_t c = w->ct ? 2 * w->ct : 16;
        st_tensor *t = rmtk__realloc(w->t, c * sizeof *t);
        if (!t)
            return RMTK_ERR_NOMEM;
        w->t = t;
        w->ct = c;
    }
    st_tensor *t = &w->t[w->nt];
    memset(t, 0, sizeof *t);
    if (!(t->name = rmtk__strdup(name)))
        return RMTK_ERR_NOMEM;
    t->dtype = dtype;
    t->ndim = ndim;
    for (int32_t d = 0; d < ndim; d++)
        t->shape[d] = shape[d];
    t->nbytes = nb;
    if (index)
        *index = w->nt;
    w->nt++;
    return RMTK_OK;
}

/* ---- header ------------------------------------------------------------------------------ */

typedef struct strbuf {
    char *p;
    size_t n, cap;
    int nomem;
} strbuf;

static void sb_put(strbuf *b, const char *s, size_t n)
{
    if (b->nomem)
        return;
    if (b->n + n + 1 > b->cap) {
        size_t c = b->cap ? b->cap : 4096;
        while (c < b->n + n + 1)
            c *= 2;
        char *p = rmtk__realloc(b->p, c);
        if (!p) {
            b->nomem = 1;
            return;
        }
        b->p = p;
        b->cap = c;
    }
    memcpy(b->p + b->n, s, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void sb_str(strbuf *b, const char *s)
{
    sb_put(b, s, strlen(s));
}

/* A JSON string: quotes, backslashes and control characters escaped (RFC 8259). */
static void sb_json(strbuf *b, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    sb_put(b, "\"", 1);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') {
            char e[2] = {'\\', (char)*p};
            sb_put(b, e, 2);
        } else if (*p < 0x20) {
            char e[6] = {'\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15]};
            sb_put(b, e, 6);
        } else {
            sb_put(b, (const char *)p, 1);
        }
    }
    sb_put(b, "\"", 1);
}

static void sb_u64(strbuf *b, unsigned long long v)
{
    char num[32];
    snprintf(num, sizeof num, "%llu", v);
    sb_str(b, num);
}

static int cmp_name(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    return strcmp(x->name, y->name);
}

static int cmp_layout(const void *a, const void *b)
{
    const st_tensor *x = *(const st_tensor *const *)a, *y = *(const st_tensor *const *)b;
    size_t ex = rmtk_dtype_size(x->dtype), ey = rmtk_dtype_size(y->dtype);
    if (ex != ey)
        return ex > ey ? -1 : 1;
    return strcmp(x->name, y->name);
}

static int cmp_meta(const void *a, const void *b)
{
    return strcmp(((const st_meta *)a)->key, ((const st_meta *)b)->key);
}

int rmtk_safetensors_writer_begin(rmtk_safetensors_writer *w)
{
    if (!w)
        return RMTK_ERR_ARG;
    if (w->begun)
        return rmtk__fail(w->errmsg, RMTK_ERR_ARG, "%s: begin called twice", w->path);
    st_tensor **order = rmtk__malloc_array(w->nt ? w->nt : 1, sizeof *order);
    if (!order)
        return RMTK_ERR_NOMEM;
    for (size_t i = 0; i < w->nt; i++)
        order[i] = &w->t[i];
    qsort(order, w->nt, sizeof *order, cmp_layout);
    uint64_t off = 0;
    for (size_t i = 0; i < w->nt; i++) {
        order[i]->begin = off;
        if (!rmtk__add_u64(off, order[i]->nbytes, &off)) {
            rmtk__free(order);
            return rmtk__fail(w->errmsg, RMTK_ERR_RANGE, "%s: data size overflows", w->path);
        }
    }
    qsort(order, w->nt, sizeof *order, cmp_name);
    if (w->nm)
        qsort(w->md, w->nm, sizeof *w->md, cmp_meta);
    strbuf b = {0};
    sb_str(&b, "{");
    int first = 1;
    if (w->nm) {
        sb_str(&b, "\"__metadata__\":{");
        for (size_t i = 0; i < w->nm; i++) {
            if (i)
                sb_str(&b, ",");
            sb_json(&b, w->md[i].key);
            sb_str(&b, ":");
            sb_json(&b, w->md[i].value);
        }
        sb_str(&b, "}");
        first = 0;
    }
    for (size_t i = 0; i < w->nt; i++) {
        const st_tensor *t = order[i];
        if (!first)
            sb_str(&b, ",");
        first = 0;
        sb_json(&b, t->name);
        sb_str(&b, ":{\"dtype\":");
        sb_json(&b, rmtk_dtype_name(t->dtype));
        sb_str(&b, ",\"shape\":[");
        for (int32_t d = 0; d < t->ndim; d++) {
            if (d)
                sb_str(&b, ",");
            sb_u64(&b, (unsigned long long)t->shape[d]);
        }
        sb_str(&b, "],\"data_offsets\":[");
        sb_u64(&b, (unsigned long long)t->begin);
        sb_str(&b, ",");
        sb_u64(&b, (unsigned long long)(t->begin + t->nbytes));
        sb_str(&b, "]}");
    }
    sb_str(&b, "}");
    while (!b.nomem && b.n % 8)
        sb_str(&b, " ");
    rmtk__free(order);
    if (b.nomem) {
        rmtk__free(b.p);
        return RMTK_ERR_NOMEM;
    }

    /* the temporary file: PATH.tmp.<pid><counter>, O_EXCL, mode 0666 less the umask */
    size_t len = strlen(w->path);
    if (!(w->tmp = rmtk__malloc(len + 24))) {
        rmtk__free(b.p);
        return RMTK_ERR_NOMEM;
    }
    memcpy(w->tmp, w->path, len);
    static unsigned counter;
    for (int attempt = 0; w->fd < 0 && attempt < 100; attempt++) {
        snprintf(w->tmp + len, 24, ".tmp.%05ld%03u", (long)getpid() % 100000,
                 (unsigned)(__atomic_fetch_add(&counter, 1u, __ATOMIC_RELAXED) % 1000u));
        w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (w->fd < 0 && errno != EEXIST)
            break;
    }
    if (w->fd < 0) {
        int e = errno;
        rmtk__free(b.p);
        rmtk__free(w->tmp);
        w->tmp = NULL;
        return rmtk__fail(w->errmsg, RMTK_ERR_IO, "%s: cannot create a temporary file: %s",
                          w->path, strerror(e));
    }
    unsigned char hl[8];
    uint64_t h = b.n;
    for (int i = 0; i < 8; i++)
        hl[i] = (unsigned char)(h >> (8 * i));
    int ok = write(w->fd, hl, 8) == 8 && write(w->fd, b.p, b.n) == (ssize_t)b.n;
    rmtk__free(b.p);
    w->data_start = 8 + h;
    w->begun = 1;
    if (!ok)
        return rmtk__fail(w->errmsg, RMTK_ERR_IO, "%s: cannot write the header: %s", w->tmp,
                          strerror(errno));
    return RMTK_OK;
}

int rmtk_safetensors_writer_put(rmtk_safetensors_writer *w, size_t index, uint64_t offset,
                                const void *data, size_t n)
{
    if (!w || (!data && n))
        return RMTK_ERR_ARG;
    if (!w->begun || w->committed || index >= w->nt)
        return rmtk__fail(w->errmsg, RMTK_ERR_ARG,
                          "put: writer not begun, committed, or tensor index out of range");
    st_tensor *t = &w->t[index];
    if (offset > t->nbytes || n > t->nbytes - offset)
        return rmtk__fail(w->errmsg, RMTK_ERR_RANGE,
                          "%s: tensor '%s': bytes [%llu, %llu) beyond its %llu bytes", w->path,
                          t->name, (unsigned long long)offset,
                          (unsigned long long)(offset + n), (unsigned long long)t->nbytes);
    const unsigned char *p = data;
    uint64_t pos = w->data_start + t->begin + offset;
    size_t left = n;
    while (left > 0) {
        ssize_t r = pwrite(w->fd, p, left, (off_t)pos);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return rmtk__fail(w->errmsg, RMTK_ERR_IO, "%s: write failed: %s", w->tmp,
                              strerror(errno));
        p += r;
        pos += (uint64_t)r;
        left -= (size_t)r;
    }
    t->written += n;
    return RMTK_OK;
}

/* ---- rounding to a narrower float ---------------------------------------------------------- */

/* The bits of x rounded to nearest, ties to even, in a binary format with ebits exponent bits
 * and mbits stored mantissa bits (IEEE 754 layout: sign, biased exponent, fraction; subnormals;
 * overflow to infinity; NaN to a quiet NaN). One rounding, straight from the double: with
 * E = floor(log2 |x|) (or emin for subnormals) the quantum is 2^(E - mbits), and nearbyint in
 * the default rounding mode rounds |x| / quantum to nearest even. REF: IEEE 754-2008, 4.3.1. */
static uint32_t round_to_bits(double x, int ebits, int mbits)
{
    uint32_t sign = signbit(x) ? 1u << (ebits + mbits) : 0u;
    uint32_t expmask = (1u << ebits) - 1u;
    if (isnan(x))
        return sign | (expmask << mbits) | (1u << (mbits - 1));
    int bias = (1 << (ebits - 1)) - 1, emin = 1 - bias, emax = bias;
    double a = fabs(x);
    if (isinf(a))
        return sign | (expmask << mbits);
    if (a == 0.0)
        return sign;
    int e;
    frexp(a, &e); /* a = f 2^e, f in [0.5, 1): E = e - 1 */
    int E = e - 1 < emin ? emin : e - 1;
    double r = nearbyint(ldexp(a, mbits - E)); /* exact scaling, one rounding */
    double v = ldexp(r, E - mbits);
    if (v >= ldexp(1.0, emax + 1))
        return sign | (expmask << mbits);
    if (v < ldexp(1.0, emin)) /* subnormal (or rounded to zero) */
        return sign | (uint32_t)ldexp(v, mbits - emin);
    frexp(v, &e);
    E = e - 1;
    uint32_t frac = (uint32_t)(ldexp(v, mbits - E) - ldexp(1.0, mbits));
    return sign | ((uint32_t)(E + bias) << mbits) | frac;
}

int rmtk_dtype_from_double(int dtype, const double *src, size_t n, void *dst)
{
    if ((!src || !dst) && n)
        return RMTK_ERR_ARG;
    unsigned char *o = dst;
    switch (dtype) {
    case RMTK_DTYPE_F64:
        for (size_t i = 0; i < n; i++) {
            uint64_t u;
            memcpy(&u, &src[i], 8);
            for (int b = 0; b < 8; b++)
                o[8 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
        }
        return RMTK_OK;
    case RMTK_DTYPE_F32:
        for (size_t i = 0; i < n; i++) {
            float f = (float)src[i]; /* IEEE conversion: round to nearest even */
            uint32_t u;
            memcpy(&u, &f, 4);
            for (int b = 0; b < 4; b++)
                o[4 * i + (size_t)b] = (unsigned char)(u >> (8 * b));
        }
        return RMTK_OK;
    case RMTK_DTYPE_F16:
    case RMTK_DTYPE_BF16: {
        int eb = dtype == RMTK_DTYPE_F16 ? 5 : 8, mb = dtype == RMTK_DTYPE_F16 ? 10 : 7;
        for (size_t i = 0; i < n; i++) {
            uint32_t u = round_to_bits(src[i], eb, mb);
            o[2 * i] = (unsigned char)(u & 0xff);
            o[2 * i + 1] = (unsigned char)(u >> 8);
        }
        return RMTK_OK;
    }
    }
    return RMTK_ERR_UNSUPPORTED;
}

int rmtk_safetensors_writer_put_f64(rmtk_safetensors_writer *w, size_t index,
                                    uint64_t elem_offset, const double *x, size_t n)
{
    if (!w || (!x && n) || index >= w->nt)
        return RMTK_ERR_ARG;
    int dt = w->t[index].dtype;
    size_t es = rmtk_dtype_size(dt);
    if (dt > RMTK_DTYPE_BF16)
        return rmtk__fail(w->errmsg, RMTK_ERR_UNSUPPORTED,
                          "%s: tensor '%s': no conversion from double to %s", w->path,
                          w->t[index].name, rmtk_dtype_name(dt));
    unsigned char buf[8 * 512];
    size_t chunk = sizeof buf / es;
    for (size_t i = 0; i < n; i += chunk) {
        size_t c = n - i < chunk ? n - i : chunk;
        rmtk_dtype_from_double(dt, x + i, c, buf);
        int st = rmtk_safetensors_writer_put(w, index, (elem_offset + i) * es, buf, c * es);
        if (st)
            return st;
    }
    return RMTK_OK;
}

int rmtk_safetensors_writer_commit(rmtk_safetensors_writer *w)
{
    if (!w)
        return RMTK_ERR_ARG;
    if (!w->begun) {
        int st = rmtk_safetensors_writer_begin(w);
        if (st)
            return st;
    }
    if (w->committed)
        return RMTK_OK;
    for (size_t i = 0; i < w->nt; i++)
        if (w->t[i].written != w->t[i].nbytes)
            return rmtk__fail(w->errmsg, RMTK_ERR_ARG,
                              "%s: tensor '%s': %llu of its %llu bytes written", w->path,
                              w->t[i].name, (unsigned long long)w->t[i].written,
                              (unsigned long long)w->t[i].nbytes);
    /* an empty data buffer: nothing after the header; a file ends where the data ends */
    int ok = fsync(w->fd) == 0;
    ok = close(w->fd) == 0 && ok;
    w->fd = -1;
    if (!ok || rename(w->tmp, w->path) != 0)
        return rmtk__fail(w->errmsg, RMTK_ERR_IO, "%s: cannot write: %s", w->path,
                          strerror(errno));
    w->committed = 1;
    return RMTK_OK;
}
