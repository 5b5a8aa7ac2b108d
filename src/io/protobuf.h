/*
 * protobuf.h: a minimal reader of the protobuf wire format (enough for ONNX), over bytes in
 * memory. Every step is bounds-checked against the end of the enclosing message; varints are
 * at most 10 bytes; groups (wire types 3, 4) are rejected. Positions are absolute offsets from
 * the buffer's start (for a whole mapped file: file offsets). Reference:
 * https://protobuf.dev/programming-guides/encoding/
 */
#ifndef RMTK_PROTOBUF_H
#define RMTK_PROTOBUF_H

#include <stddef.h>
#include <stdint.h>

enum { PB_VARINT = 0, PB_I64 = 1, PB_LEN = 2, PB_I32 = 5 };

typedef struct pb_cur {
    const unsigned char *base; /* the buffer; positions are offsets into it */
    uint64_t pos, end;         /* the current position and the end of the enclosing message */
} pb_cur;

typedef struct pb_field {
    uint32_t num;   /* field number (>= 1) */
    uint32_t wire;  /* PB_* */
    uint64_t at;    /* offset of the field's tag */
    uint64_t v;     /* PB_VARINT: the value; PB_I32/PB_I64: the little-endian bits */
    uint64_t off;   /* PB_LEN: offset of the payload */
    uint64_t len;   /* PB_LEN: payload length (validated against the message end) */
} pb_field;

/* Errors: the offset where parsing failed and what went wrong (static text), with values. */
typedef struct pb_err {
    const char *what;       /* what went wrong (static text) */
    const char *an, *bn;    /* names of the values a and b (NULL when unused) */
    uint64_t at, a, b;      /* the offset, the values */
} pb_err;

/* A varint at c->pos (advanced past it). 0 on success, -1 on error (e set). */
int rmtk__pb_varint(pb_cur *c, uint64_t *v, pb_err *e);
/* The next field of the message: 1 when one was read, 0 at the end, -1 on error (e set). */
int rmtk__pb_next(pb_cur *c, pb_field *f, pb_err *e);
/* A cursor over a PB_LEN field's payload (a sub-message or a packed array). */
pb_cur rmtk__pb_sub(const pb_cur *c, const pb_field *f);

#endif /* RMTK_PROTOBUF_H */
