/*
 * zip.h: a read-only zip container reader (central directory, zip64, stored and deflated
 * members) for archives of tensors: NumPy .npz today, PyTorch's zip checkpoints later.
 */
#ifndef RMTK_ZIP_H
#define RMTK_ZIP_H

#include "internal.h"

typedef struct rmtk__zip_entry {
    char *name;           /* owned (rmtk__zip_free) */
    uint64_t csize;       /* compressed size */
    uint64_t usize;       /* uncompressed size */
    uint64_t local_offset; /* offset of the local file header */
    uint64_t data_offset; /* offset of the member's (compressed) data */
    uint32_t crc;
    uint16_t method;      /* 0 stored, 8 deflated */
    uint16_t flags;
} rmtk__zip_entry;

/* Read the central directory of the zip file fd (size bytes; path for messages) and locate each
 * member's data through its local header. Validates signatures, sizes and offsets against the
 * file size (overflow-checked), zip64 extra fields and the zip64 end-of-central-directory record;
 * encrypted members and methods other than 0/8 give RMTK_ERR_UNSUPPORTED. Messages go to err
 * (RMTK_ERRMSG_SIZE bytes). On success *out (free with rmtk__zip_free) holds *n entries. */
int rmtk__zip_read_dir(int fd, uint64_t size, const char *path, rmtk__zip_entry **out,
                       size_t *n, char *err);
void rmtk__zip_free(rmtk__zip_entry *e, size_t n);

/* Inflate the first `want` bytes (want <= e->usize) of the deflated member e into dst, reading
 * compressed input in small blocks so that only what is needed is read. *in_read receives the
 * compressed bytes read. Corrupt data gives RMTK_ERR_FORMAT with the member and offset. */
int rmtk__zip_inflate(int fd, const char *path, const rmtk__zip_entry *e, unsigned char *dst,
                      uint64_t want, uint64_t *in_read, char *err);

#endif /* RMTK_ZIP_H */
