#!/usr/bin/env python3
"""Seed GGUF files for tests/fuzz/fuzz-gguf.c: small valid files covering every metadata value
type (arrays included), a custom alignment and one tensor of every type the reader knows
(random block bytes: the dequantisers must accept any bit pattern), written with struct alone.

usage: seeds-gguf.py DIR
"""
import os
import random
import struct
import sys

# ggml type id -> (block elements, block bytes)
TYPES = {0: (1, 4), 1: (1, 2), 2: (32, 18), 3: (32, 20), 6: (32, 22), 7: (32, 24), 8: (32, 34),
         9: (32, 36), 10: (256, 84), 11: (256, 110), 12: (256, 144), 13: (256, 176),
         14: (256, 210), 15: (256, 292), 16: (256, 66), 20: (32, 18), 24: (1, 1), 25: (1, 2),
         26: (1, 4), 27: (1, 8), 28: (1, 8), 30: (1, 2), 34: (256, 54), 35: (256, 66),
         39: (32, 17)}


def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


def kvs():
    out = [gstr("general.architecture") + struct.pack("<I", 8) + gstr("llama")]
    for t, fmt, v in [(0, "B", 7), (1, "b", -7), (2, "H", 700), (3, "h", -700), (4, "I", 7),
                      (5, "i", -7), (6, "f", 0.5), (7, "B", 1), (10, "Q", 1 << 40),
                      (11, "q", -(1 << 40)), (12, "d", 0.25)]:
        out.append(gstr("k.%d" % t) + struct.pack("<I" + fmt, t, v))
    out.append(gstr("k.arr") + struct.pack("<IIQ", 9, 5, 3) + struct.pack("<3i", 1, 2, 3))
    out.append(gstr("k.sarr") + struct.pack("<IIQ", 9, 8, 2) + gstr("a") + gstr("bc"))
    return out


def gguf(kv, tensors, align=32):
    """tensors: (name, ne list, type, raw bytes)."""
    infos, data = b"", b""
    for name, ne, t, raw in tensors:
        data += b"\0" * ((-len(data)) % align)
        infos += gstr(name) + struct.pack("<I", len(ne)) + b"".join(
            struct.pack("<Q", n) for n in ne) + struct.pack("<IQ", t, len(data))
        data += raw
    h = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(kv)) + b"".join(kv) + infos
    h += b"\0" * ((-len(h)) % align)
    return h + data


def main():
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rnd = random.Random(7)
    for t, (el, by) in TYPES.items():
        rows, cols = 2, el if el > 1 else 4
        raw = bytes(rnd.getrandbits(8) for _ in range(rows * (cols // el) * by))
        with open(os.path.join(d, "type%02d.gguf" % t), "wb") as f:
            f.write(gguf([], [("w", [cols, rows], t, raw)]))
    raw = bytes(rnd.getrandbits(8) for _ in range(2 * 3 * 34))
    with open(os.path.join(d, "kv-stack.gguf"), "wb") as f:
        f.write(gguf(kvs(), [("experts", [32, 3, 2], 8, raw), ("n", [4], 0, b"\0" * 16)]))
    al = [gstr("general.alignment") + struct.pack("<II", 4, 64)]
    with open(os.path.join(d, "align64.gguf"), "wb") as f:
        f.write(gguf(al, [("a", [32, 1], 8, raw[:34]), ("b", [32, 2], 2, raw[:36])], align=64))


if __name__ == "__main__":
    main()
