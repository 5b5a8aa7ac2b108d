/*
 * fuzz-pytorch.c: libFuzzer target for the PyTorch reader (read-pytorch.c, pickle.c, zip.c).
 * An input whose first byte is even is the file itself (a torch.save zip archive, or anything
 * else named .pt). An odd first byte makes the rest of the input the data.pkl of a well-formed
 * stored torch archive that also holds storages archive/data/0..3 (4 KiB each), so that
 * mutations reach the pickle machine instead of breaking the zip structure and CRCs.
 * Seeds: tests/fuzz/seeds-pytorch.py (both kinds).
 */
#include <zlib.h>

#include "fuzz-common.h"

static void put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)v;
    p[1] = (unsigned char)(v >> 8);
}

static void put32(unsigned char *p, uint32_t v)
{
    put16(p, v & 0xFFFF);
    put16(p + 2, v >> 16);
}

/* A stored zip of n members (names, data, sizes) into a malloc'd buffer. */
static unsigned char *make_zip(const char *const *names, const unsigned char *const *data,
                               const size_t *sizes, int n, size_t *out_len)
{
    size_t total = 22;
    for (int i = 0; i < n; i++)
        total += 30 + 46 + 2 * strlen(names[i]) + sizes[i];
    unsigned char *z = calloc(1, total), *p = z;
    uint32_t offs[8], crcs[8];
    if (!z)
        abort();
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        offs[i] = (uint32_t)(p - z);
        crcs[i] = (uint32_t)crc32(crc32(0L, Z_NULL, 0), data[i], (uInt)sizes[i]);
        put32(p, 0x04034b50u);
        put16(p + 4, 20);
        put32(p + 14, crcs[i]);
        put32(p + 18, (uint32_t)sizes[i]);
        put32(p + 22, (uint32_t)sizes[i]);
        put16(p + 26, (unsigned)nl);
        memcpy(p + 30, names[i], nl);
        if (sizes[i])
            memcpy(p + 30 + nl, data[i], sizes[i]);
        p += 30 + nl + sizes[i];
    }
    unsigned char *cd = p;
    for (int i = 0; i < n; i++) {
        size_t nl = strlen(names[i]);
        put32(p, 0x02014b50u);
        put16(p + 4, 20);
        put16(p + 6, 20);
        put32(p + 16, crcs[i]);
        put32(p + 20, (uint32_t)sizes[i]);
        put32(p + 24, (uint32_t)sizes[i]);
        put16(p + 28, (unsigned)nl);
        put32(p + 42, offs[i]);
        memcpy(p + 46, names[i], nl);
        p += 46 + nl;
    }
    put32(p, 0x06054b50u);
    put16(p + 8, (unsigned)n);
    put16(p + 10, (unsigned)n);
    put32(p + 12, (uint32_t)(p - cd));
    put32(p + 16, (uint32_t)(cd - z));
    p += 22;
    *out_len = (size_t)(p - z);
    return z;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0 || (data[0] & 1) == 0)
        return fuzz_model_bytes(data + (size ? 1 : 0), size ? size - 1 : 0, ".pt");
    static unsigned char storage[4096];
    for (size_t i = 0; i < sizeof storage; i++)
        storage[i] = (unsigned char)(i * 37u + 11u);
    const char *names[] = {"archive/data.pkl", "archive/data/0", "archive/data/1",
                           "archive/data/2", "archive/data/3", "archive/version"};
    const unsigned char *bufs[] = {data + 1, storage, storage, storage, storage,
                                   (const unsigned char *)"3\n"};
    size_t sizes[] = {size - 1, 4096, 4096, 4096, 4096, 2};
    size_t len;
    unsigned char *z = make_zip(names, bufs, sizes, 6, &len);
    fuzz_model_bytes(z, len, ".pt");
    free(z);
    return 0;
}
