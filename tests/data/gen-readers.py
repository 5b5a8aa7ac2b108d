"""Checkpoint files for tests/test-readers.c and tests/test-layers.c, written by independent
writers, plus hand-broken files for every error path.

Writers: safetensors files are assembled here with struct + json (the format's own recipe; the
`safetensors` package is not available) from tensor bytes produced by torch (floats, bfloat16,
signed ints, bool) or numpy (unsigned ints torch 1.13 lacks); .npy/.npz files by numpy (np.save,
np.lib.format.write_array with versions 1.0/2.0/3.0, np.savez, np.savez_compressed), some
headers by hand with struct; zip archives by Python's zipfile (force_zip64) and by a small zip
writer here that emits zip64 central-directory extras and the zip64 end records.

Manifests (tab-separated, paths relative to the output directory):
  readers_good.txt: path, tensor, dtype name, shape (comma-separated, "" for a scalar),
                    fortran_order, big_endian, golden (row-major float64 little-endian file)
  readers_bad.txt:  stage (open|map), path, expected status, tensor to map ("-" for open),
                    then substrings the error message must contain
  layers_good.txt:  path, conv mode (flatten|slices), entry name, rows, cols, golden
"""
import io
import json
import os
import random
import struct
import sys
import zipfile
import zlib

import numpy as np
import torch

out = sys.argv[1]
D = os.path.join(out, "readers")
os.makedirs(os.path.join(D, "shards"), exist_ok=True)
os.makedirs(os.path.join(D, "golden"), exist_ok=True)
rng = np.random.default_rng(20261123)
torch.manual_seed(20261123)
random.seed(20261123)

good, bad, layers = [], [], []
FORMAT, IO, UNSUPPORTED, NOTFOUND, RANGE = 3, 2, 4, 6, 8


def rel(p):
    return os.path.relpath(p, out)


def golden(name, arr):
    p = os.path.join(D, "golden", name + ".f64")
    np.ascontiguousarray(np.asarray(arr, dtype=np.float64)).astype('<f8').tofile(p)
    return rel(p)


def add_good(path, tensor, dtype, shape, values, fortran=0, big=0):
    g = golden(os.path.basename(path) + "." + tensor.replace("/", "_"), values)
    good.append([rel(path), tensor, dtype, ",".join(str(s) for s in shape), str(fortran),
                 str(big), g])


# ---- safetensors --------------------------------------------------------------------------
def tbytes(t):
    return t.reshape(-1).contiguous().view(torch.uint8).numpy().tobytes()


def st_file(path, entries, metadata=None, shuffle=True, pad=True):
    """entries: list of (name, dtype, shape, bytes) laid out in this order."""
    hdr, off, blob = {}, 0, b""
    for name, dt, shape, b in entries:
        hdr[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + len(b)]}
        off += len(b)
        blob += b
    keys = list(hdr)
    if shuffle:
        random.shuffle(keys)
    h = {}
    if metadata is not None:
        h["__metadata__"] = metadata
    for k in keys:
        h[k] = hdr[k]
    js = json.dumps(h).encode()
    if pad:
        js += b" " * (-len(js) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(js)) + js + blob)


def raw_st(path, header_bytes, data=b"", hlen=None):
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes) if hlen is None else hlen) + header_bytes +
                data)


TDT = {torch.float32: "F32", torch.float64: "F64", torch.float16: "F16",
       torch.bfloat16: "BF16", torch.int8: "I8", torch.int16: "I16", torch.int32: "I32",
       torch.int64: "I64", torch.uint8: "U8", torch.bool: "BOOL"}

basic = os.path.join(D, "basic.safetensors")
ents = []


def tt(name, t):
    ents.append((name, TDT[t.dtype], tuple(t.shape), tbytes(t)))
    if t.dtype != torch.bool:
        add_good(basic, name, TDT[t.dtype], tuple(t.shape), t.to(torch.float64).numpy())


tt("w_f32", torch.randn(30, 20))
tt("w_f64", torch.randn(12, 15, dtype=torch.float64))
tt("w_f16", torch.randn(16, 11).to(torch.float16))
tt("w_bf16", torch.randn(25, 12).to(torch.bfloat16))
tt("row", torch.randn(1, 50))
tt("col", torch.randn(50, 1))
tt("tall", torch.randn(200, 12))
tt("wide", torch.randn(12, 200))
tt("stack", torch.randn(3, 12, 14))
tt("conv", torch.randn(16, 12, 3, 3))
tt("five", torch.randn(11, 2, 3, 2, 2))
tt("bias", torch.randn(20))
tt("scalar", torch.tensor(2.5))
tt("empty", torch.zeros(0, 5))
tt("i8", torch.randint(-128, 128, (12, 12), dtype=torch.int8))
tt("i16", torch.randint(-32768, 32768, (12, 12), dtype=torch.int16))
tt("i32", torch.randint(-2**31, 2**31 - 1, (12, 12), dtype=torch.int32))
tt("i64", torch.randint(-2**53, 2**53, (12, 12), dtype=torch.int64))
tt("u8", torch.randint(0, 256, (12, 12), dtype=torch.uint8))
tt("mask", torch.rand(12, 12) > 0.5)
for name, dt, st in (("u16", np.uint16, "U16"), ("u32", np.uint32, "U32"),
                     ("u64", np.uint64, "U64")):
    a = rng.integers(0, np.iinfo(dt).max, (12, 12), dtype=dt, endpoint=True)
    if dt == np.uint64:
        a = a >> np.uint64(11)  # exact in float64
    ents.append((name, st, a.shape, a.astype(a.dtype.newbyteorder('<')).tobytes()))
    add_good(basic, name, st, a.shape, a.astype(np.float64))
ents.append(("odd", "F8_E8M0", (4,), bytes([1, 2, 3, 4])))  # a dtype rmtk does not know
st_file(basic, ents, metadata={"format": "pt", "note": "written by gen-readers.py"})

# sharded: index + two shards; the same shards as a directory
shard_t = {"layer.0.w": torch.randn(20, 30), "layer.0.b": torch.randn(20),
           "layer.1.w": torch.randn(30, 20, dtype=torch.float64), "layer.1.b": torch.randn(30)}
wm = {}
for i, names in enumerate((["layer.0.w", "layer.0.b"], ["layer.1.w", "layer.1.b"])):
    fn = f"model-{i + 1:05d}-of-00002.safetensors"
    st_file(os.path.join(D, "shards", fn),
            [(n, TDT[shard_t[n].dtype], tuple(shard_t[n].shape), tbytes(shard_t[n]))
             for n in names], metadata={"format": "pt"})
    for n in names:
        wm[n] = fn
idx = os.path.join(D, "shards", "model.safetensors.index.json")
with open(idx, "w") as f:
    json.dump({"metadata": {"total_size": 4 * 20 * 30 + 8 * 600 + 200}, "weight_map": wm}, f,
              indent=2)
for n, t in shard_t.items():
    add_good(idx, n, TDT[t.dtype], tuple(t.shape), t.to(torch.float64).numpy())
    add_good(os.path.join(D, "shards"), n, TDT[t.dtype], tuple(t.shape),
             t.to(torch.float64).numpy())

# ---- .npy --------------------------------------------------------------------------------
def npy(name, arr, version=None, fortran=None):
    p = os.path.join(D, name + ".npy")
    if fortran:
        arr = np.asfortranarray(arr)
    if version is None:
        np.save(p, arr)
    else:
        with open(p, "wb") as f:
            np.lib.format.write_array(f, arr, version=version)
    big = int(arr.dtype.byteorder == '>' and arr.dtype.itemsize > 1)
    dt = {"f": "F", "i": "I", "u": "U"}[arr.dtype.kind] + str(8 * arr.dtype.itemsize)
    fo = int(bool(fortran) and arr.ndim > 1)
    add_good(p, name, dt, arr.shape, arr.astype(np.float64), fo, big)
    return p


npy("c_f4", rng.standard_normal((30, 20)).astype('<f4'))
npy("f_f8", rng.standard_normal((13, 17)), fortran=True)
npy("be_f4", rng.standard_normal((11, 13)).astype('>f4'))
npy("be_f8_fortran", rng.standard_normal((14, 12)).astype('>f8'), fortran=True)
npy("be_i4", rng.integers(-2**31, 2**31, (12, 12)).astype('>i4'))
npy("f2", rng.standard_normal((16, 12)).astype('<f2'))
npy("i2", rng.integers(-2**15, 2**15, (12, 13)).astype('<i2'))
npy("u1", rng.integers(0, 256, (12, 13)).astype('u1'))
npy("u8", (rng.integers(0, 2**53, (12, 13))).astype('<u8'))
npy("row", rng.standard_normal((1, 40)))
npy("col", rng.standard_normal((40, 1)))
npy("vec", rng.standard_normal(40))
npy("scalar", np.float64(3.25))
npy("f3d", rng.standard_normal((3, 12, 14)).astype('<f4'), fortran=True)
npy("c4d", rng.standard_normal((16, 12, 3, 3)).astype('<f4'))
npy("f4d", rng.standard_normal((16, 12, 3, 2)).astype('<f8'), fortran=True)
npy("v2", rng.standard_normal((12, 11)), version=(2, 0))
npy("v3", rng.standard_normal((12, 11)).astype('>f4'), version=(3, 0))


def npy_hand(name, header, arr, version=1):
    """A hand-written header (key order, quotes, spacing our own) followed by arr's bytes."""
    h = header.encode()
    pre = 10 if version == 1 else 12
    h += b" " * (-(pre + len(h) + 1) % 64) + b"\n"
    lenf = struct.pack("<H", len(h)) if version == 1 else struct.pack("<I", len(h))
    p = os.path.join(D, name + ".npy")
    with open(p, "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]) + lenf + h + arr.tobytes(order="A"))
    return p


a = rng.standard_normal((12, 15))
p = npy_hand("hand_order", "{\"shape\": (12, 15), \"fortran_order\": False, \"descr\": \"=f8\"}",
             a)
add_good(p, "hand_order", "F64", a.shape, a)
a = rng.standard_normal((13, 12)).astype('>f4')
af = np.asfortranarray(a)
p = npy_hand("hand_fortran", "{'descr':'>f4','shape':(13,12,),'fortran_order':True,}", af, 2)
add_good(p, "hand_fortran", "F32", a.shape, a.astype(np.float64), 1, 1)
np.save(os.path.join(D, "bool.npy"), rng.standard_normal((12, 12)) > 0)
np.save(os.path.join(D, "complex.npy"), np.zeros((12, 12), dtype=np.complex128))

# ---- .npz --------------------------------------------------------------------------------
za = {"a": rng.standard_normal((20, 30)).astype('<f4'), "b": rng.standard_normal((12, 12)),
      "c": rng.integers(-100, 100, (5,)).astype('<i8')}
np.savez(os.path.join(D, "stored.npz"), **za)
for k, v in za.items():
    add_good(os.path.join(D, "stored.npz"), k, {"f": "F", "i": "I"}[v.dtype.kind] +
             str(8 * v.dtype.itemsize), v.shape, v.astype(np.float64))
big = np.round(rng.standard_normal((1000, 1000)), 1)  # 8 MB, compressible
zc = {"big": big, "small": rng.standard_normal((12, 14)).astype('>f4'),
      "fort": np.asfortranarray(rng.standard_normal((15, 12)))}
np.savez_compressed(os.path.join(D, "deflated.npz"), **zc)
for k, v in zc.items():
    add_good(os.path.join(D, "deflated.npz"), k, "F" + str(8 * v.dtype.itemsize), v.shape,
             v.astype(np.float64), int(k == "fort"), int(k == "small"))


def npy_bytes(arr):
    b = io.BytesIO()
    np.lib.format.write_array(b, arr)
    return b.getvalue()


# zipfile with force_zip64: zip64 extra fields in the local headers
z64a = rng.standard_normal((12, 13))
z64 = os.path.join(D, "zip64_local.npz")
with zipfile.ZipFile(z64, "w") as z:
    zi = zipfile.ZipInfo("s.npy")
    zi.compress_type = zipfile.ZIP_STORED
    with z.open(zi, "w", force_zip64=True) as f:
        f.write(npy_bytes(z64a))
    zi = zipfile.ZipInfo("d.npy")
    zi.compress_type = zipfile.ZIP_DEFLATED
    with z.open(zi, "w", force_zip64=True) as f:
        f.write(npy_bytes(2 * z64a))
add_good(z64, "s", "F64", z64a.shape, z64a)
add_good(z64, "d", "F64", z64a.shape, 2 * z64a)


def zip_write(path, members, zip64=False, mutate=None):
    """A zip writer of our own: members (name, data, method). With zip64, every central entry
    carries saturated sizes/offset and a zip64 extra field, and the archive ends with the zip64
    end record and locator. mutate(central_entries) may break fields (a dict per entry)."""
    body, cds = b"", []
    for name, data, method in members:
        comp = data if method == 0 else zlib.compress(data, 6)[2:-4]
        if method == 0 and len(data) != len(comp):
            raise SystemExit("bad stored")
        crc = zlib.crc32(data)
        off = len(body)
        nb = name.encode()
        lh = struct.pack("<IHHHHHIIIHH", 0x04034b50, 45, 0, method, 0, 0, crc, len(comp),
                         len(data), len(nb), 0)
        body += lh + nb + comp
        cds.append({"name": nb, "method": method, "crc": crc, "csize": len(comp),
                    "usize": len(data), "off": off, "sig": 0x02014b50})
    if mutate:
        mutate(cds)
    cd = b""
    for e in cds:
        if zip64:
            extra = struct.pack("<HHQQQ", 1, 24, e["usize"], e["csize"], e["off"])
            cs, us, of = 0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF
        else:
            extra, cs, us, of = b"", e["csize"], e["usize"], e["off"]
        cd += struct.pack("<IHHHHHHIIIHHHHHII", e["sig"], 45, 45, 0, e["method"], 0, 0,
                          e["crc"], cs, us, len(e["name"]), len(extra), 0, 0, 0, 0, of)
        cd += e["name"] + extra
    cd_off = len(body)
    tail = b""
    n = len(cds)
    if zip64:
        r64 = cd_off + len(cd)
        tail += struct.pack("<IQHHIIQQQQ", 0x06064b50, 44, 45, 45, 0, 0, n, n, len(cd), cd_off)
        tail += struct.pack("<IIQI", 0x07064b50, 0, r64, 1)
        tail += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF,
                            0xFFFFFFFF, 0)
    else:
        tail += struct.pack("<IHHHHIIH", 0x06054b50, 0, 0, n, n, len(cd), cd_off, 0)
    with open(path, "wb") as f:
        f.write(body + cd + tail)


zx = rng.standard_normal((14, 12)).astype('<f4')
zy = rng.standard_normal((12, 16))
z64b = os.path.join(D, "zip64_full.npz")
zip_write(z64b, [("x.npy", npy_bytes(zx), 0), ("y.npy", npy_bytes(zy), 8)], zip64=True)
add_good(z64b, "x", "F32", zx.shape, zx.astype(np.float64))
add_good(z64b, "y", "F64", zy.shape, zy)

# ---- layer extraction goldens (numpy reshapes of the stored arrays) ------------------------
def lay(path, mode, entry, mat):
    g = golden("layer." + os.path.basename(path) + "." + entry.replace("[", "_").replace(
        "]", "") + "." + mode, mat)
    layers.append([rel(path), mode, entry, str(mat.shape[0]), str(mat.shape[1]), g])


conv = torch.tensor(np.frombuffer([e for e in ents if e[0] == "conv"][0][3],
                                  dtype='<f4').reshape(16, 12, 3, 3)).numpy().astype(np.float64)
lay(basic, "flatten", "conv", conv.reshape(16, -1))
for p_ in range(9):
    lay(basic, "slices", f"conv[{p_}]", conv[:, :, p_ // 3, p_ % 3])
stack = np.frombuffer([e for e in ents if e[0] == "stack"][0][3], dtype='<f4').reshape(3, 12, 14)
for k in range(3):
    lay(basic, "flatten", f"stack[{k}]", stack[k].astype(np.float64))
five = np.frombuffer([e for e in ents if e[0] == "five"][0][3], dtype='<f4').reshape(11, 2, 3, 2,
                                                                                     2)
lay(basic, "flatten", "five", five.reshape(11, -1).astype(np.float64))
for fn in ("f_f8", "be_f8_fortran", "hand_fortran"):
    arr = np.load(os.path.join(D, fn + ".npy"))
    lay(os.path.join(D, fn + ".npy"), "flatten", fn, arr.astype(np.float64))
f3 = np.load(os.path.join(D, "f3d.npy"))
for k in range(3):
    lay(os.path.join(D, "f3d.npy"), "flatten", f"f3d[{k}]", f3[k].astype(np.float64))
f4 = np.load(os.path.join(D, "f4d.npy"))
for p_ in range(6):
    lay(os.path.join(D, "f4d.npy"), "slices", f"f4d[{p_}]", f4[:, :, p_ // 2, p_ % 2])
# Fortran flattening: the stored column order, a permutation of the C flattening's columns
lay(os.path.join(D, "f4d.npy"), "flatten", "f4d", f4.reshape(16, -1, order="F"))
c4 = np.load(os.path.join(D, "c4d.npy"))
lay(os.path.join(D, "c4d.npy"), "flatten", "c4d", c4.reshape(16, -1).astype(np.float64))
lay(os.path.join(D, "c4d.npy"), "slices", "c4d[4]", c4[:, :, 1, 1].astype(np.float64))
lay(os.path.join(D, "deflated.npz"), "flatten", "fort", zc["fort"])

# ---- hand-broken files -------------------------------------------------------------------
def B(stage, path, status, tensor, *subs):
    bad.append([stage, rel(path), str(status), tensor] + [os.path.basename(path)] + list(subs))


def X(name):
    return os.path.join(D, "bad_" + name)


def hdr(d):
    return json.dumps(d).encode()


f32_400 = b"\0" * 400
with open(X("trunc_len.safetensors"), "wb") as f:
    f.write(b"\x10\0\0\0\0")
B("open", X("trunc_len.safetensors"), FORMAT, "-", "5 bytes", "8-byte")
raw_st(X("hlen_past_eof.safetensors"), b'{"w": {}}', b"", hlen=1000)
B("open", X("hlen_past_eof.safetensors"), FORMAT, "-", "header length 1000", "17 bytes")
raw_st(X("hlen_cap.safetensors"), b'{}', b"", hlen=1 << 40)
B("open", X("hlen_cap.safetensors"), FORMAT, "-", "1099511627776", "cap")
raw_st(X("json.safetensors"), b'{"w": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0,',
       f32_400)
B("open", X("json.safetensors"), FORMAT, "-", "invalid JSON", "byte offset")
raw_st(X("not_object.safetensors"), b'[1, 2, 3]', b"")
B("open", X("not_object.safetensors"), FORMAT, "-", "not an object")
raw_st(X("range.safetensors"),
       hdr({"w": {"dtype": "F32", "shape": [10, 20], "data_offsets": [0, 800]}}), f32_400)
B("open", X("range.safetensors"), FORMAT, "-", "'w'", "[0, 800)", "400 bytes")
raw_st(X("begin_end.safetensors"),
       hdr({"w": {"dtype": "F32", "shape": [0], "data_offsets": [400, 0]}}), f32_400)
B("open", X("begin_end.safetensors"), FORMAT, "-", "'w'", "[400, 0)")
raw_st(X("overlap.safetensors"),
       hdr({"a": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0, 400]},
            "b": {"dtype": "F32", "shape": [10, 10], "data_offsets": [200, 600]}}), b"\0" * 600)
B("open", X("overlap.safetensors"), FORMAT, "-", "overlapping", "'a'", "'b'", "[0, 400)",
  "[200, 600)")
raw_st(X("gap.safetensors"),
       hdr({"a": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0, 400]},
            "b": {"dtype": "F32", "shape": [10, 10], "data_offsets": [480, 880]}}), b"\0" * 880)
B("open", X("gap.safetensors"), FORMAT, "-", "gap", "[400, 480)", "'a'", "'b'")
raw_st(X("trailing.safetensors"),
       hdr({"a": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0, 400]}}), b"\0" * 432)
B("open", X("trailing.safetensors"), FORMAT, "-", "432 bytes", "[0, 400)", "32 trailing", "'a'")
raw_st(X("shape.safetensors"),
       hdr({"fc1.weight": {"dtype": "F32", "shape": [100, 20], "data_offsets": [0, 4000]}}),
       b"\0" * 4000)
B("open", X("shape.safetensors"), FORMAT, "-",
  "tensor 'fc1.weight': data_offsets [0, 4000) hold 4000 bytes but shape [100, 20] x F32 "
  "needs 8000")
raw_st(X("negdim.safetensors"),
       hdr({"w": {"dtype": "F32", "shape": [10, -3], "data_offsets": [0, 0]}}))
B("open", X("negdim.safetensors"), FORMAT, "-", "'w'", "shape[1] = -3", "negative")
raw_st(X("fracdim.safetensors"),
       hdr({"w": {"dtype": "F32", "shape": [2.5, 4], "data_offsets": [0, 40]}}), b"\0" * 40)
B("open", X("fracdim.safetensors"), FORMAT, "-", "'w'", "shape[0]", "2.5")
raw_st(X("dup.safetensors"),
       b'{"w": {"dtype": "F32", "shape": [10], "data_offsets": [0, 40]}, '
       b'"w": {"dtype": "F32", "shape": [10], "data_offsets": [40, 80]}}', b"\0" * 80)
B("open", X("dup.safetensors"), FORMAT, "-", "duplicate tensor name 'w'", "offsets")
raw_st(X("nodtype.safetensors"), hdr({"w": {"shape": [10], "data_offsets": [0, 40]}}),
       b"\0" * 40)
B("open", X("nodtype.safetensors"), FORMAT, "-", "'w'", "dtype")
raw_st(X("meta.safetensors"), hdr({"__metadata__": {"epochs": 3}}))
B("open", X("meta.safetensors"), FORMAT, "-", "metadata", "'epochs'")
raw_st(X("overflow.safetensors"),
       hdr({"w": {"dtype": "F64", "shape": [2**31, 2**31, 2**31], "data_offsets": [0, 8]}}),
       b"\0" * 8)
B("open", X("overflow.safetensors"), RANGE, "-", "'w'", "overflows")
# shard index errors
os.makedirs(os.path.join(D, "bad_shards"), exist_ok=True)
sh = os.path.join(D, "bad_shards")
st_file(os.path.join(sh, "one.safetensors"),
        [("x", "F32", (10, 10), f32_400)], shuffle=False)
with open(os.path.join(sh, "missing.safetensors.index.json"), "w") as f:
    json.dump({"weight_map": {"x": "one.safetensors", "y": "two.safetensors"}}, f)
B("open", os.path.join(sh, "missing.safetensors.index.json"), IO, "-", "two.safetensors", "'y'")
with open(os.path.join(sh, "absent.safetensors.index.json"), "w") as f:
    json.dump({"weight_map": {"x": "one.safetensors", "z": "one.safetensors"}}, f)
B("open", os.path.join(sh, "absent.safetensors.index.json"), FORMAT, "-", "'z'",
  "one.safetensors", "does not hold")
with open(os.path.join(sh, "nomap.safetensors.index.json"), "w") as f:
    json.dump({"metadata": {}}, f)
B("open", os.path.join(sh, "nomap.safetensors.index.json"), FORMAT, "-", "weight_map")

# npy errors
with open(X("magic.npy"), "wb") as f:
    f.write(b"\x93NUMPX\x01\x00" + b"\0" * 80)
B("open", X("magic.npy"), FORMAT, "-", "'bad_magic'", "bad npy magic", "offset 0")
npy_hand("bad_dict", "{'descr': '<f4', 'fortran_order': Maybe, 'shape': (3, 4), }",
         np.zeros((3, 4), dtype='<f4'))
B("open", X("dict.npy"), FORMAT, "-", "'bad_dict'", "True or False", "Maybe")
npy_hand("bad_noshape", "{'descr': '<f4', 'fortran_order': False, }", np.zeros(4, dtype='<f4'))
B("open", X("noshape.npy"), FORMAT, "-", "'bad_noshape'", "'shape'")
npy_hand("bad_key", "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), 'x': 1}",
         np.zeros(4, dtype='<f4'))
B("open", X("key.npy"), FORMAT, "-", "'bad_key'", "unexpected key 'x'")
npy_hand("bad_shape", "{'descr': '<f4', 'fortran_order': False, 'shape': (4, -2), }",
         np.zeros(4, dtype='<f4'))
B("open", X("shape.npy"), FORMAT, "-", "'bad_shape'", "shape tuple", "-2")
np.save(X("trunc.npy"), np.zeros((20, 30), dtype='<f4'))
with open(X("trunc.npy"), "r+b") as f:
    f.truncate(128 + 1000)
B("open", X("trunc.npy"), FORMAT, "-", "'bad_trunc'", "truncated data", "2400 bytes",
  "offset 128", "1000")
with open(X("version.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x04\x00" + b"\0" * 80)
B("open", X("version.npy"), UNSUPPORTED, "-", "'bad_version'", "version 4.0")
with open(X("hdrlen.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", 5000) + b"{'descr'")
B("open", X("hdrlen.npy"), FORMAT, "-", "'bad_hdrlen'", "truncated npy header", "5010")

# zip errors
okz = [("a.npy", npy_bytes(np.arange(200, dtype='<f8').reshape(10, 20)), 0),
       ("b.npy", npy_bytes(np.round(rng.standard_normal((30, 40)), 1)), 8)]


def mut(field, value, which=0):
    def f(cds):
        cds[which][field] = value
    return f


zip_write(X("cd_sig.npz"), okz, mutate=mut("sig", 0x02014b51, 1))
B("open", X("cd_sig.npz"), FORMAT, "-", "central directory entry 1", "PK\\1\\2")
zip_write(X("method.npz"), okz, mutate=mut("method", 12, 1))
B("open", X("method.npz"), UNSUPPORTED, "-", "'b.npy'", "method 12")
zip_write(X("local.npz"), okz, mutate=mut("off", 7, 1))
B("open", X("local.npz"), FORMAT, "-", "'b.npy'", "no local header", "offset 7")
zip_write(X("crc_stored.npz"), okz, mutate=mut("crc", 0x12345678, 0))
B("map", X("crc_stored.npz"), FORMAT, "a", "'a'", "CRC-32", "0x12345678")
zip_write(X("crc_deflated.npz"), okz, mutate=mut("crc", 0xdeadbeef, 1))
B("map", X("crc_deflated.npz"), FORMAT, "b", "'b'", "CRC-32", "0xdeadbeef")
zip_write(X("usize.npz"), okz, mutate=mut("usize", 100000, 1))
B("open", X("usize.npz"), FORMAT, "-", "'b'", "holds 100000 bytes", "90272 more")
zip_write(X("csize.npz"), okz, mutate=mut("csize", 10 ** 7, 1))
B("open", X("csize.npz"), FORMAT, "-", "'b.npy'", "10000000", "central directory")
with open(X("noeocd.npz"), "wb") as f:
    data = open(os.path.join(D, "stored.npz"), "rb").read()
    f.write(data[:len(data) - 30])
B("open", X("noeocd.npz"), FORMAT, "-", "end-of-central-directory")
zt = npy_bytes(np.zeros((20, 30)))[:400]
zip_write(X("member_trunc.npz"), [("t.npy", zt, 0)])
B("open", X("member_trunc.npz"), FORMAT, "-", "'t'", "truncated data", "4800 bytes")
# corrupt deflate data: in the block header (caught when the npy header is inflated at open)
# and near the end of the stream (caught when the member is inflated: a zlib error or the CRC)
for which, at in (("head", lambda lo, hi: (lo + 4, lo + 40)),
                  ("tail", lambda lo, hi: (hi - 120, hi - 60))):
    zip_write(X(f"inflate_{which}.npz"), okz)
    with open(X(f"inflate_{which}.npz"), "r+b") as f:
        data = bytearray(f.read())
        lo = data.find(b"b.npy", 40) + 5  # member b's data follows its local name
        hi = data.find(b"PK\x01\x02")      # the central directory follows it
        a0, a1 = at(lo, hi)
        for i in range(a0, a1):
            data[i] ^= 0x5a
        f.seek(0)
        f.write(bytes(data))
B("open", X("inflate_head.npz"), FORMAT, "-", "'b.npy'", "corrupt deflate data")
B("map", X("inflate_tail.npz"), FORMAT, "b", "'b")
# ---- strict headers, confinement, bounded inflation (issue 10, section 6) -------------------
w100 = {"w": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0, 400]}}
h100 = hdr(w100)
# trailing bytes after the header's JSON object: a format error where they start
for tag, tail, first in (("nul", b"\0" * 8, "0x00"), ("text", b"  garbage", "0x67"),
                         ("second", b"{}", "0x7b")):
    raw_st(X(f"trail_{tag}.safetensors"), h100 + tail, f32_400)
    at = 8 + len(h100) + len(tail) - len(tail.lstrip(b" "))
    B("open", X(f"trail_{tag}.safetensors"), FORMAT, "-", "after the JSON object",
      f"from byte offset {at} ", first, "only spaces")
# space padding (what writers produce) stays valid, however long
raw_st(os.path.join(D, "space_pad.safetensors"), h100 + b" " * 37,
       np.arange(100, dtype='<f4').tobytes())
add_good(os.path.join(D, "space_pad.safetensors"), "w", "F32", (10, 10),
         np.arange(100, dtype=np.float64))
# duplicate keys inside a tensor entry; a second __metadata__
raw_st(X("dupkey.safetensors"),
       b'{"w": {"dtype": "F32", "shape": [10, 10], "dtype": "F64", "data_offsets": [0, 400]}}',
       f32_400)
B("open", X("dupkey.safetensors"), FORMAT, "-", "tensor 'w'", 'duplicate key "dtype"')
raw_st(X("dupmeta.safetensors"),
       b'{"__metadata__": {"a": "1"}, "__metadata__": {"b": "2"}}')
B("open", X("dupmeta.safetensors"), FORMAT, "-", 'duplicate key "__metadata__"')
raw_st(X("dupmetakey.safetensors"), b'{"__metadata__": {"a": "1", "a": "2"}}')
B("open", X("dupmetakey.safetensors"), FORMAT, "-", "'__metadata__'", 'duplicate key "a"')
# the header must be valid UTF-8: a stray byte, an overlong '/', a surrogate
for tag, bad_bytes in (("ff", b"\xff"), ("overlong", b"\xc0\xaf"),
                       ("surrogate", b"\xed\xa0\x80")):
    h = b'{"w' + bad_bytes + b'": {"dtype": "F32", "shape": [10, 10], "data_offsets": [0, 400]}}'
    raw_st(X(f"utf8_{tag}.safetensors"), h, f32_400)
    B("open", X(f"utf8_{tag}.safetensors"), FORMAT, "-", "not valid UTF-8",
      f"0x{bad_bytes[0]:02x}", f"byte offset {8 + h.index(bad_bytes)} ")
# the same rules for a shard index, which may end in any JSON whitespace
ix = {"metadata": {"total_size": 400}, "weight_map": {"x": "one.safetensors"}}
with open(os.path.join(sh, "newline.safetensors.index.json"), "w") as f:
    f.write(json.dumps(ix, indent=2) + "\n\n")
add_good(os.path.join(sh, "newline.safetensors.index.json"), "x", "F32", (10, 10),
         np.zeros((10, 10)))
for tag, tail in (("nul", b"\0"), ("second", b'{"weight_map": {}}')):
    p_ = os.path.join(sh, f"trail_{tag}.safetensors.index.json")
    with open(p_, "wb") as f:
        f.write(json.dumps(ix).encode() + b"\n" + tail)
    B("open", p_, FORMAT, "-", "after the JSON object",
      f"from byte offset {len(json.dumps(ix)) + 1} ", "only whitespace")
p_ = os.path.join(sh, "dupkey.safetensors.index.json")
with open(p_, "wb") as f:
    f.write(b'{"weight_map": {"x": "one.safetensors", "x": "one.safetensors"}}')
B("open", p_, FORMAT, "-", "'weight_map'", 'duplicate key "x"')
p_ = os.path.join(sh, "utf8.safetensors.index.json")
h = b'{"weight_map": {"x": "one\xfe.safetensors"}}'
with open(p_, "wb") as f:
    f.write(h)
B("open", p_, FORMAT, "-", "not valid UTF-8", "0xfe", "byte offset %d " % h.index(b"\xfe"))
# a shard index opens only regular files inside its own directory
for tag, shard, why in (("dotdot", "../bad_shards/one.safetensors", '".." component'),
                        ("dotdot2", "sub/../../x.safetensors", '".." component'),
                        ("absolute", os.path.abspath(os.path.join(sh, "one.safetensors")),
                         "absolute path")):
    p_ = os.path.join(sh, f"{tag}.safetensors.index.json")
    with open(p_, "w") as f:
        json.dump({"weight_map": {"x": shard}}, f)
    B("open", p_, FORMAT, "-", "'x'", why, "its own directory")
fifo = os.path.join(sh, "fifo.safetensors")
if os.path.lexists(fifo):
    os.unlink(fifo)
os.mkfifo(fifo)
p_ = os.path.join(sh, "fifo.safetensors.index.json")
with open(p_, "w") as f:
    json.dump({"weight_map": {"x": "fifo.safetensors"}}, f)
B("open", p_, FORMAT, "-", "fifo.safetensors", "'x'", "not a regular file")
B("open", fifo, IO, "-", "not a regular file")
# .npy: a shape that is an integer, not a tuple
npy_hand("bad_notuple", "{'descr': '<f4', 'fortran_order': False, 'shape': (12), }",
         np.zeros(12, dtype='<f4'))
B("open", X("notuple.npy"), FORMAT, "-", "'bad_notuple'", "(12), an integer, not a tuple",
  "(12,)")
# .npz: a member larger than its tensor is never inflated (a deflated 20 MB of zeros behind a
# one-element array: 20 kB on disk)
one = npy_bytes(np.zeros(1))
zip_write(X("bomb.npz"), [("x.npy", one + b"\0" * 20000000, 8)])
B("open", X("bomb.npz"), FORMAT, "-", "'x'", f"holds {len(one) + 20000000} bytes",
  "20000000 more", f"{len(one) - 8}-byte header and 8 bytes")
# formats rmtk does not read: what the file looks like, and the list of formats it reads
with open(X("nnue.nnue"), "wb") as f:
    f.write(struct.pack("<I", 0x7AF32F20) + struct.pack("<I", 0x3e5aa6ee) +
            struct.pack("<I", 22) + b" Features=HalfKAv2_hm\0" + b"\1" * 200)
B("open", X("nnue.nnue"), FORMAT, "-", "not a format rmtk reads", "Stockfish NNUE",
  "rmtk reads: GGUF", "safetensors")
with open(X("png.safetensors"), "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
B("open", X("png.safetensors"), FORMAT, "-", "not a format rmtk reads", "a PNG image")
with open(X("config.json"), "w") as f:
    json.dump({"architectures": ["BertModel"], "model_type": "bert", "hidden_size": 768}, f)
B("open", X("config.json"), FORMAT, "-", "not a format rmtk reads", "a JSON object",
  '"architectures"', "Hugging Face config.json", "rmtk reads:")
with open(X("model.json"), "w") as f:
    json.dump({"format": "layers-model", "modelTopology": {}, "weightsManifest": []}, f)
B("open", X("model.json"), FORMAT, "-", "TensorFlow.js model.json")
with open(X("unknown.bin"), "wb") as f:
    f.write(b"ZZZZ\x03\x00\x00\x00" + b"\0" * 40)  # (GGUF is read now: gen-gguf.py)
B("open", X("unknown.bin"), FORMAT, "-", "unrecognised format", "5a 5a 5a 5a")

for name, rows in (("readers_good.txt", good), ("readers_bad.txt", bad),
                   ("layers_good.txt", layers)):
    with open(os.path.join(out, name), "w") as f:
        for r in rows:
            f.write("\t".join(r) + "\n")
