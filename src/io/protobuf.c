/*
 * protobuf.c: the protobuf wire format (protobuf.h). A message is a sequence of fields, each a
 * varint tag (field number << 3 | wire type) then: a varint (0), 8 bytes (1), a varint length and
 * that many bytes (2), or 4 bytes (5). Wire types 3 and 4 (groups, deprecated) are errors here.
 */
#include "protobuf.h"

#include <string.h>

int rmtk__pb_varint(pb_cur *c, uint64_t *v, pb_err *e)
{
    uint64_t x = 0, at = c->pos;
    for (unsigned i = 0; i < 10; i++) {
        if (c->pos >= c->end) {
            e->what = "truncated varint";
            e->an = "the message ends at byte offset";
            e->at = at;
            e->a = c->end;
            return -1;
        }
        unsigned char b = c->base[c->pos++];
        if (i == 9 && b > 1) {
            e->what = "varint longer than 64 bits";
            e->an = "its 10th byte is";
            e->at = at;
            e->a = b;
            return -1;
        }
        x |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    e->what = "varint longer than 10 bytes";
    e->at = at;
    return -1;
}

int rmtk__pb_next(pb_cur *c, pb_field *f, pb_err *e)
{
    if (c->pos >= c->end)
        return 0;
    f->at = c->pos;
    uint64_t tag;
    if (rmtk__pb_varint(c, &tag, e))
        return -1;
    f->wire = (uint32_t)(tag & 7);
    uint64_t num = tag >> 3;
    if (num == 0 || num > 536870911u) {
        e->what = "field number out of range 1 .. 2^29-1";
        e->an = "field number";
        e->at = f->at;
        e->a = num;
        return -1;
    }
    f->num = (uint32_t)num;
    f->v = f->off = f->len = 0;
    switch (f->wire) {
    case PB_VARINT:
        return rmtk__pb_varint(c, &f->v, e) ? -1 : 1;
    case PB_I64:
    case PB_I32: {
        unsigned n = f->wire == PB_I64 ? 8 : 4;
        if (c->end - c->pos < n) {
            e->what = "fixed-width field runs past the end of the message";
            e->an = "bytes";
            e->bn = "message end";
            e->at = f->at;
            e->a = n;
            e->b = c->end;
            return -1;
        }
        uint64_t v = 0;
        for (unsigned i = n; i-- > 0;)
            v = (v << 8) | c->base[c->pos + i];
        f->v = v;
        c->pos += n;
        return 1;
    }
    case PB_LEN: {
        uint64_t len;
        if (rmtk__pb_varint(c, &len, e))
            return -1;
        if (len > c->end - c->pos) {
            e->what = "length runs past the end of the message";
            e->an = "length";
            e->bn = "bytes left";
            e->at = f->at;
            e->a = len;
            e->b = c->end - c->pos;
            return -1;
        }
        f->off = c->pos;
        f->len = len;
        c->pos += len;
        return 1;
    }
    default:
        e->what = "wire type is not one of 0, 1, 2, 5 (groups are not read)";
        e->an = "wire type";
        e->bn = "field";
        e->at = f->at;
        e->a = f->wire;
        e->b = num;
        return -1;
    }
}

pb_cur rmtk__pb_sub(const pb_cur *c, const pb_field *f)
{
    pb_cur s = {c->base, f->off, f->off + f->len};
    return s;
}
