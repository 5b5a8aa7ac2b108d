/*
 * zip.c: a read-only zip reader for tensor archives. It trusts nothing: the end-of-central-
 * directory record (and its zip64 locator and record) is found by scanning back from the end,
 * every central-directory entry is bounds-checked, zip64 extra fields replace 0xFFFFFFFF sizes
 * and offsets, and each member's local header is read to find where its data starts. Members are
 * stored (method 0, mapped by the caller) or deflated (method 8, raw deflate through zlib with
 * windowBits -15); anything else is reported as unsupported. zlib's allocations go through the
 * library's funnel so allocation-failure tests cover them.
 * REF: PKWARE APPNOTE.TXT 6.3.10, sections 4.3.7 (local header), 4.3.12 (central directory),
 * 4.3.14-4.3.16 (zip64 end records), 4.5.3 (zip64 extra field).
 */
#include "zip.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#define SIG_LOCAL 0x04034b50u
#define SIG_CENTRAL 0x02014b50u
#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_LOC64 0x07064b50u

static uint16_t le16(const unsigned char *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static uint32_t le32(const unsigned char *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) |
           ((uint32_t)p[3] << 24);
}

static uint64_t le64(const unsigned char *p)
{
    return (uint64_t)le32(p) | ((uint64_t)le32(p + 4) << 32);
}

static int pread_all(int fd, const char *path, void *buf, size_t n, uint64_t off, char *err)
{
    unsigned char *b = buf;
    while (n > 0) {
        ssize_t r = pread(fd, b, n, (off_t)off);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return rmtk__fail(err, RMTK_ERR_IO, "%s: read of %zu bytes at offset %llu failed: %s",
                              path, n, (unsigned long long)off, strerror(errno));
        if (r == 0)
            return rmtk__fail(err, RMTK_ERR_FORMAT,
                              "%s: unexpected end of file reading %zu bytes at offset %llu", path,
                              n, (unsigned long long)off);
        b += r;
        n -= (size_t)r;
        off += (uint64_t)r;
    }
    return RMTK_OK;
}

void rmtk__zip_free(rmtk__zip_entry *e, size_t n)
{
    if (!e)
        return;
    for (size_t i = 0; i < n; i++)
        rmtk__free(e[i].name);
    rmtk__free(e);
}

/* Find the end-of-central-directory record and return the central directory's offset, size and
 * entry count (from the zip64 record when the classic one is saturated). */
static int find_cd(int fd, uint64_t size, const char *path, uint64_t *cd_off, uint64_t *cd_size,
                   uint64_t *count, char *err)
{
    if (size < 22)
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: %llu bytes is too short for a zip end-of-central-directory record "
                          "(22 bytes)",
                          path, (unsigned long long)size);
    size_t tail = (size_t)RMTK_MIN(size, (uint64_t)(65535 + 22));
    unsigned char *buf = rmtk__malloc(tail);
    if (!buf)
        return rmtk__fail(err, RMTK_ERR_NOMEM, "%s: out of memory", path);
    uint64_t base = size - tail;
    int st = pread_all(fd, path, buf, tail, base, err);
    if (st) {
        rmtk__free(buf);
        return st;
    }
    size_t pos = tail - 22 + 1;
    int found = 0;
    while (pos-- > 0) {
        if (le32(buf + pos) == SIG_EOCD && pos + 22 + le16(buf + pos + 20) == tail) {
            found = 1;
            break;
        }
    }
    if (!found) {
        rmtk__free(buf);
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: no zip end-of-central-directory record (PK\\5\\6) in the last "
                          "%zu bytes",
                          path, tail);
    }
    const unsigned char *e = buf + pos;
    uint64_t eocd = base + pos;
    uint16_t disk = le16(e + 4), cd_disk = le16(e + 6);
    *count = le16(e + 10);
    *cd_size = le32(e + 12);
    *cd_off = le32(e + 16);
    int need64 = *count == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu;
    rmtk__free(buf);
    if (!need64 && (disk != 0 || cd_disk != 0))
        return rmtk__fail(err, RMTK_ERR_UNSUPPORTED,
                          "%s: multi-disk zip archive (disk %u) at offset %llu", path, disk,
                          (unsigned long long)eocd);
    if (eocd >= 20) {
        unsigned char loc[20];
        st = pread_all(fd, path, loc, 20, eocd - 20, err);
        if (st)
            return st;
        if (le32(loc) == SIG_LOC64) {
            uint64_t r64 = le64(loc + 8);
            unsigned char rec[56];
            if (r64 > eocd - 20 || eocd - 20 - r64 < 56)
                return rmtk__fail(err, RMTK_ERR_FORMAT,
                                  "%s: zip64 locator at offset %llu points to offset %llu, "
                                  "outside the file before it",
                                  path, (unsigned long long)(eocd - 20), (unsigned long long)r64);
            st = pread_all(fd, path, rec, 56, r64, err);
            if (st)
                return st;
            if (le32(rec) != SIG_EOCD64)
                return rmtk__fail(err, RMTK_ERR_FORMAT,
                                  "%s: no zip64 end-of-central-directory record at offset %llu "
                                  "(signature 0x%08x)",
                                  path, (unsigned long long)r64, le32(rec));
            *count = le64(rec + 32);
            *cd_size = le64(rec + 40);
            *cd_off = le64(rec + 48);
            need64 = 0;
        }
    }
    if (need64)
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: end-of-central-directory record at offset %llu is saturated "
                          "(zip64) but no zip64 locator precedes it",
                          path, (unsigned long long)eocd);
    uint64_t cd_end;
    if (!rmtk__add_u64(*cd_off, *cd_size, &cd_end) || cd_end > eocd)
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: central directory [%llu, +%llu) runs past its end record at "
                          "offset %llu",
                          path, (unsigned long long)*cd_off, (unsigned long long)*cd_size,
                          (unsigned long long)eocd);
    /* each central entry takes at least 46 bytes */
    if (*count > *cd_size / 46)
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: central directory of %llu bytes cannot hold %llu entries", path,
                          (unsigned long long)*cd_size, (unsigned long long)*count);
    return RMTK_OK;
}

/* Apply a zip64 extra field (id 0x0001) to the saturated fields of one central entry. */
static int apply_zip64(const unsigned char *x, size_t xlen, rmtk__zip_entry *z, uint32_t off32,
                       const char *path, uint64_t at, char *err)
{
    size_t i = 0;
    while (i + 4 <= xlen) {
        uint16_t id = le16(x + i), len = le16(x + i + 2);
        if (i + 4 + len > xlen)
            break;
        if (id == 0x0001) {
            const unsigned char *f = x + i + 4;
            size_t k = 0;
            if (z->usize == 0xFFFFFFFFu) {
                if (k + 8 > len)
                    goto short64;
                z->usize = le64(f + k);
                k += 8;
            }
            if (z->csize == 0xFFFFFFFFu) {
                if (k + 8 > len)
                    goto short64;
                z->csize = le64(f + k);
                k += 8;
            }
            if (off32 == 0xFFFFFFFFu) {
                if (k + 8 > len)
                    goto short64;
                z->local_offset = le64(f + k);
            }
            return RMTK_OK;
        }
        i += 4 + (size_t)len;
    }
    if (z->usize == 0xFFFFFFFFu || z->csize == 0xFFFFFFFFu || off32 == 0xFFFFFFFFu)
        return rmtk__fail(err, RMTK_ERR_FORMAT,
                          "%s: member '%s' (central entry at offset %llu) has saturated sizes "
                          "but no zip64 extra field",
                          path, z->name, (unsigned long long)at);
    return RMTK_OK;
short64:
    return rmtk__fail(err, RMTK_ERR_FORMAT,
                      "%s: member '%s' (central entry at offset %llu): zip64 extra field of "
                      "%u bytes is too short",
                      path, z->name, (unsigned long long)at, (unsigned)xlen);
}

int rmtk__zip_read_dir(int fd, uint64_t size, const char *path, rmtk__zip_entry **out,
                       size_t *n, char *err)
{
    uint64_t cd_off = 0, cd_size = 0, count = 0;
    *out = NULL;
    *n = 0;
    int st = find_cd(fd, size, path, &cd_off, &cd_size, &count, err);
    if (st)
        return st;
    unsigned char *cd = rmtk__malloc((size_t)cd_size);
    rmtk__zip_entry *ents = rmtk__calloc((size_t)count, sizeof *ents);
    if (!cd || !ents) {
        rmtk__free(cd);
        rmtk__free(ents);
        return rmtk__fail(err, RMTK_ERR_NOMEM, "%s: out of memory", path);
    }
    st = pread_all(fd, path, cd, (size_t)cd_size, cd_off, err);
    size_t pos = 0, k = 0;
    for (; st == RMTK_OK && k < count; k++) {
        uint64_t at = cd_off + pos;
        if (cd_size - pos < 46 || le32(cd + pos) != SIG_CENTRAL) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: central directory entry %zu at offset %llu: bad signature or "
                            "truncated (expected PK\\1\\2, %llu bytes left)",
                            path, k, (unsigned long long)at,
                            (unsigned long long)(cd_size - pos));
            break;
        }
        const unsigned char *c = cd + pos;
        rmtk__zip_entry *z = &ents[k];
        z->flags = le16(c + 8);
        z->method = le16(c + 10);
        z->crc = le32(c + 16);
        z->csize = le32(c + 20);
        z->usize = le32(c + 24);
        size_t nl = le16(c + 28), xl = le16(c + 30), cl = le16(c + 32);
        uint32_t off32 = le32(c + 42);
        z->local_offset = off32;
        if (46 + nl + xl + cl > cd_size - pos) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: central directory entry %zu at offset %llu: name/extra/comment "
                            "(%zu + %zu + %zu bytes) run past the directory's end",
                            path, k, (unsigned long long)at, nl, xl, cl);
            break;
        }
        z->name = rmtk__strndup((const char *)c + 46, nl);
        if (!z->name) {
            st = rmtk__fail(err, RMTK_ERR_NOMEM, "%s: out of memory", path);
            break;
        }
        st = apply_zip64(c + 46 + nl, xl, z, off32, path, at, err);
        if (st)
            break;
        pos += 46 + nl + xl + cl;
        if (z->flags & 1) {
            st = rmtk__fail(err, RMTK_ERR_UNSUPPORTED, "%s: member '%s' is encrypted", path,
                            z->name);
            break;
        }
        if (z->method != 0 && z->method != 8) {
            st = rmtk__fail(err, RMTK_ERR_UNSUPPORTED,
                            "%s: member '%s' (central entry at offset %llu) uses compression "
                            "method %u; rmtk reads 0 (stored) and 8 (deflated)",
                            path, z->name, (unsigned long long)at, z->method);
            break;
        }
        /* deflate expands at most 1032:1 (RFC 1951 longest match 258 in a ~2-bit code) */
        if (z->method == 8 && z->usize / 1032 > z->csize + 1) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: deflated member '%s' claims %llu bytes from %llu compressed "
                            "bytes, beyond deflate's 1032:1 limit",
                            path, z->name, (unsigned long long)z->usize,
                            (unsigned long long)z->csize);
            break;
        }
        if (z->method == 0 && z->csize != z->usize) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: stored member '%s' has compressed size %llu != uncompressed "
                            "size %llu",
                            path, z->name, (unsigned long long)z->csize,
                            (unsigned long long)z->usize);
            break;
        }
        unsigned char lh[30];
        if (z->local_offset > cd_off || cd_off - z->local_offset < 30) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: member '%s': local header offset %llu is not before the "
                            "central directory at %llu",
                            path, z->name, (unsigned long long)z->local_offset,
                            (unsigned long long)cd_off);
            break;
        }
        st = pread_all(fd, path, lh, 30, z->local_offset, err);
        if (st)
            break;
        if (le32(lh) != SIG_LOCAL) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: member '%s': no local header (PK\\3\\4) at offset %llu "
                            "(found 0x%08x)",
                            path, z->name, (unsigned long long)z->local_offset, le32(lh));
            break;
        }
        uint64_t data = z->local_offset + 30 + le16(lh + 26) + le16(lh + 28), end;
        if (!rmtk__add_u64(data, z->csize, &end) || end > cd_off) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: member '%s': data at offset %llu of %llu bytes runs past the "
                            "central directory at offset %llu",
                            path, z->name, (unsigned long long)data,
                            (unsigned long long)z->csize, (unsigned long long)cd_off);
            break;
        }
        z->data_offset = data;
    }
    rmtk__free(cd);
    if (st) {
        rmtk__zip_free(ents, (size_t)count);
        return st;
    }
    *out = ents;
    *n = (size_t)count;
    return RMTK_OK;
}

static voidpf zalloc_fn(voidpf opaque, uInt items, uInt size)
{
    (void)opaque;
    return rmtk__malloc_array(items, size);
}

static void zfree_fn(voidpf opaque, voidpf p)
{
    (void)opaque;
    rmtk__free(p);
}

int rmtk__zip_inflate(int fd, const char *path, const rmtk__zip_entry *e, unsigned char *dst,
                      uint64_t want, uint64_t *in_read, char *err)
{
    unsigned char in[16384];
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    zs.zalloc = zalloc_fn;
    zs.zfree = zfree_fn;
    *in_read = 0;
    int zr = inflateInit2(&zs, -15);
    if (zr != Z_OK)
        return rmtk__fail(err, zr == Z_MEM_ERROR ? RMTK_ERR_NOMEM : RMTK_ERR_INTERNAL,
                          "%s: member '%s': zlib initialisation failed (%d)", path, e->name, zr);
    uint64_t got = 0, consumed = 0;
    int st = RMTK_OK;
    while (got < want) {
        if (zs.avail_in == 0) {
            uint64_t left = e->csize - consumed;
            if (left == 0) {
                st = rmtk__fail(err, RMTK_ERR_FORMAT,
                                "%s: member '%s': deflate stream at offset %llu ends after %llu "
                                "compressed bytes with %llu of %llu bytes produced",
                                path, e->name, (unsigned long long)e->data_offset,
                                (unsigned long long)e->csize, (unsigned long long)got,
                                (unsigned long long)want);
                break;
            }
            size_t chunk = (size_t)RMTK_MIN(left, (uint64_t)sizeof in);
            st = pread_all(fd, path, in, chunk, e->data_offset + consumed, err);
            if (st)
                break;
            consumed += chunk;
            zs.next_in = in;
            zs.avail_in = (uInt)chunk;
        }
        uint64_t room = want - got;
        zs.next_out = dst + got;
        zs.avail_out = (uInt)RMTK_MIN(room, (uint64_t)(1u << 30));
        uInt before = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        got += before - zs.avail_out;
        if (zr == Z_STREAM_END) {
            if (got < want)
                st = rmtk__fail(err, RMTK_ERR_FORMAT,
                                "%s: member '%s': deflate stream ends after %llu bytes, but the "
                                "directory says %llu",
                                path, e->name, (unsigned long long)got,
                                (unsigned long long)e->usize);
            break;
        }
        if (zr == Z_MEM_ERROR) {
            st = rmtk__fail(err, RMTK_ERR_NOMEM, "%s: out of memory inflating '%s'", path,
                            e->name);
            break;
        }
        if (zr != Z_OK && zr != Z_BUF_ERROR) {
            st = rmtk__fail(err, RMTK_ERR_FORMAT,
                            "%s: member '%s': corrupt deflate data near compressed offset %llu "
                            "(file offset %llu): %s",
                            path, e->name, (unsigned long long)(consumed - zs.avail_in),
                            (unsigned long long)(e->data_offset + consumed - zs.avail_in),
                            zs.msg ? zs.msg : "zlib error");
            break;
        }
    }
    inflateEnd(&zs);
    *in_read = consumed;
    return st;
}
