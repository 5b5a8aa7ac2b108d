"""ONNX models for tests/test-onnx.c, written by Debian's python3-onnx (onnx.helper, the
independent writer) with values from onnx.numpy_helper.to_array (the oracle), plus hand-broken
files for every error path of the ONNX reader (read-onnx.c, protobuf.c).

Files (OUT/onnx/): main.onnx (initializers in raw_data and in the typed fields float_data,
int32_data (float16, bfloat16, int8), int64_data, double_data, uint64_data; Constant nodes; an If
whose branches hold weights and use an outer weight; a Loop body; Gemm transB=0/1, MatMul, Conv,
LSTM, GRU), unpacked.onnx (hand-encoded unpacked dims, float_data and negative int32_data, read
by onnx the same way), ext/ext.onnx (every tensor in external data ext.bin), deep.onnx (If
nested 20 deep), broken files.

Manifests (tab-separated, paths relative to OUT):
  onnx_good.txt: path, tensor, dtype name, shape as presented (comma-separated), layout ("-" or
                 the stored axis order), golden (row-major float64 little-endian file of the
                 values as rmtk presents them; "-" for bool)
  onnx_bad.txt:  stage (open|map), path, expected status, tensor ("-" for open), then
                 substrings the error message must contain
"""
import os
import sys

import numpy as np

try:
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:  # test-onnx then fails naming the missing manifest
    print("gen-onnx.py: python3-onnx is not installed (scripts/bootstrap): no ONNX test data",
          file=sys.stderr)
    sys.exit(0)

out = sys.argv[1]
D = os.path.join(out, "onnx")
for sub in ("golden", "ext", "escape", "escape/inner", "link"):
    os.makedirs(os.path.join(D, sub), exist_ok=True)
rng = np.random.default_rng(20261130)
FORMAT, IO, UNSUPPORTED = 3, 2, 4
good, bad = [], []
ngold = [0]
NAME = {np.dtype("float32"): "F32", np.dtype("float64"): "F64", np.dtype("float16"): "F16",
        np.dtype("int8"): "I8", np.dtype("int16"): "I16", np.dtype("int32"): "I32",
        np.dtype("int64"): "I64", np.dtype("uint8"): "U8", np.dtype("uint16"): "U16",
        np.dtype("uint32"): "U32", np.dtype("uint64"): "U64", np.dtype("bool"): "BOOL"}


def expect(path, name, arr, dtype=None, transpose=False):
    """Tensor `name` of `path` must read as arr (onnx's own decoding), transposed when the
    reader presents a stored [in, out] weight as [out, in]."""
    a = arr.T if transpose else arr
    shape = ",".join(str(s) for s in a.shape)
    if a.dtype == np.bool_:
        gold = "-"
    else:
        gold = "onnx/golden/%d.f64" % ngold[0]
        ngold[0] += 1
        np.ascontiguousarray(a, dtype="<f8").tofile(os.path.join(out, gold))
    good.append([path, name, dtype or NAME[a.dtype], shape, "in,out" if transpose else "-",
                 gold])


def bf16_bits(x):
    """bfloat16 by rounding to nearest even, as onnx.helper does; returns the float values."""
    u = np.asarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    r = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint32)
    return (r << 16).view(np.float32), r


def f32(*shape):
    return rng.standard_normal(shape).astype(np.float32)


inits, nodes, checks = [], [], []


def init(name, arr, raw=True, dtype=None, transpose=False, check=True):
    """An initializer: raw_data (numpy_helper.from_array) or typed fields (helper.make_tensor
    with raw=False)."""
    if raw:
        t = numpy_helper.from_array(arr, name)
    else:
        t = helper.make_tensor(name, dtype, arr.shape, arr.flatten().tolist(), raw=False)
    inits.append(t)
    if check:
        checks.append((name, t, transpose))
    return t


# raw_data of every numeric type
init("raw.f32", f32(12, 10))
init("raw.f64", rng.standard_normal((9, 11)))
init("raw.f16", f32(10, 13).astype(np.float16))
init("raw.i8", rng.integers(-128, 128, (10, 10)).astype(np.int8))
init("raw.u8", rng.integers(0, 256, (10, 12)).astype(np.uint8))
init("raw.i16", rng.integers(-30000, 30000, (10, 10)).astype(np.int16))
init("raw.u16", rng.integers(0, 65535, (10, 10)).astype(np.uint16))
init("raw.i32", rng.integers(-2**31, 2**31 - 1, (10, 10)).astype(np.int32))
init("raw.i64", rng.integers(-2**62, 2**62, (10, 10)).astype(np.int64))
init("raw.u32", rng.integers(0, 2**32 - 1, (10, 10)).astype(np.uint32))
init("raw.u64", rng.integers(0, 2**63, (10, 10)).astype(np.uint64))
init("raw.bool", rng.integers(0, 2, (10, 10)).astype(np.bool_))
init("raw.scalar", np.array(3.5, dtype=np.float32))
# typed fields
init("typed.f32", f32(12, 14), raw=False, dtype=TensorProto.FLOAT)
init("typed.f64", rng.standard_normal((11, 13)), raw=False, dtype=TensorProto.DOUBLE)
init("typed.f16", f32(10, 12).astype(np.float16), raw=False, dtype=TensorProto.FLOAT16)
init("typed.i8", rng.integers(-128, 128, (10, 11)).astype(np.int8), raw=False,
     dtype=TensorProto.INT8)
init("typed.u8", rng.integers(0, 256, (10, 11)).astype(np.uint8), raw=False,
     dtype=TensorProto.UINT8)
init("typed.i32", rng.integers(-2**31, 2**31 - 1, (10, 10)).astype(np.int32), raw=False,
     dtype=TensorProto.INT32)
init("typed.i64", rng.integers(-2**62, 2**62, (10, 10)).astype(np.int64), raw=False,
     dtype=TensorProto.INT64)
init("typed.u64", rng.integers(0, 2**63, (10, 10)).astype(np.uint64), raw=False,
     dtype=TensorProto.UINT64)
init("typed.u32", rng.integers(0, 2**32 - 1, (10, 10)).astype(np.uint32), raw=False,
     dtype=TensorProto.UINT32)
init("typed.bool", rng.integers(0, 2, (10, 10)).astype(np.bool_), raw=False,
     dtype=TensorProto.BOOL)
# bfloat16: helper.make_tensor rounds float values to bfloat16 bits in int32_data
bfv, bfbits = bf16_bits(f32(10, 12))
t = helper.make_tensor("typed.bf16", TensorProto.BFLOAT16, (10, 12),
                       bfbits.astype(np.int64).flatten().tolist(), raw=False)
inits.append(t)
checks.append(("typed.bf16", t, False))
t = helper.make_tensor("raw.bf16", TensorProto.BFLOAT16, (11, 10),
                       bf16_bits(f32(11, 10))[1].astype("<u2").tobytes(), raw=True)
inits.append(t)
checks.append(("raw.bf16", t, False))
# layouts: MatMul B [in, out], Gemm B with transB = 0 and 1, Conv OIHW, LSTM/GRU stacks
init("mm.w", f32(20, 30), transpose=True)
init("mm.typed", f32(16, 18), raw=False, dtype=TensorProto.FLOAT, transpose=True)
init("gemm0.w", f32(24, 16), transpose=True)
init("gemm1.w", f32(16, 24))
init("conv.w", f32(8, 3, 3, 3))
H = 12
init("lstm.W", f32(2, 4 * H, 20))
init("lstm.R", f32(2, 4 * H, H))
init("gru.W", f32(1, 3 * H, 20))
init("gru.R", f32(1, 3 * H, H))
init("outer.w", f32(30, 22), transpose=True)  # used by a MatMul inside the If's branch
nodes += [
    helper.make_node("MatMul", ["x", "mm.w"], ["h1"], name="mm"),
    helper.make_node("MatMul", ["x2", "mm.typed"], ["h1b"], name="mmt"),
    helper.make_node("Gemm", ["a", "gemm0.w", "c"], ["g0"], name="gemm0", transB=0),
    helper.make_node("Gemm", ["a2", "gemm1.w"], ["g1"], name="gemm1", transB=1),
    helper.make_node("Conv", ["img", "conv.w"], ["y"], name="conv"),
    helper.make_node("LSTM", ["seq", "lstm.W", "lstm.R"], ["ly"], name="lstm", hidden_size=H,
                     direction="bidirectional"),
    helper.make_node("GRU", ["seq", "gru.W", "gru.R"], ["gy"], name="gru", hidden_size=H),
]
# Constant nodes: named after their output; one feeds a MatMul (presented [out, in])
cw = f32(25, 15)
nodes.append(helper.make_node("Constant", [], ["const.w"], name="c0",
                              value=numpy_helper.from_array(cw, "ignored")))
nodes.append(helper.make_node("MatMul", ["z", "const.w"], ["zz"], name="mmc"))
checks.append(("const.w", numpy_helper.from_array(cw), True))
cv = f32(14, 11)
ct = helper.make_tensor("unused", TensorProto.FLOAT, cv.shape, cv.flatten().tolist(), raw=False)
nodes.append(helper.make_node("Constant", [], ["const.typed"], value=ct))
checks.append(("const.typed", ct, False))
# an If: each branch has its own weights (same names), a Constant, and uses outer.w
branch = {}
for br in ("then_branch", "else_branch"):
    bw = f32(17, 13)
    bc = f32(13, 19)
    g = helper.make_graph(
        [helper.make_node("Constant", [], ["bc"], value=numpy_helper.from_array(bc)),
         helper.make_node("MatMul", ["h1", "outer.w"], ["t1"]),
         helper.make_node("MatMul", ["t1", "bc"], ["t2"]),
         helper.make_node("Gemm", ["t2", "bw"], ["o"], transB=1)],
        br, [], [helper.make_tensor_value_info("o", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(bw, "bw")])
    branch[br] = g
    checks.append(("if0/%s/bw" % br, numpy_helper.from_array(bw), False))
    checks.append(("if0/%s/bc" % br, numpy_helper.from_array(bc), True))
nodes.append(helper.make_node("If", ["cond"], ["yo"], name="if0", **branch))
# a Loop whose body holds a weight and an unnamed If inside it
lw = f32(21, 10)
inner_w = f32(11, 12)
inner = helper.make_graph([], "inner", [], [],
                          initializer=[numpy_helper.from_array(inner_w, "iw")])
body = helper.make_graph(
    [helper.make_node("If", ["c"], ["r"], then_branch=inner, else_branch=inner)],
    "body", [], [], initializer=[numpy_helper.from_array(lw, "lw")])
nodes.append(helper.make_node("Loop", ["M", "cond"], ["lo"], name="loop", body=body))
checks.append(("loop/body/lw", numpy_helper.from_array(lw), False))
checks.append(("loop/body/If#0/then_branch/iw", numpy_helper.from_array(inner_w), False))
checks.append(("loop/body/If#0/else_branch/iw", numpy_helper.from_array(inner_w), False))

graph = helper.make_graph(nodes, "main", [], [], initializer=inits)
model = helper.make_model(graph, producer_name="gen-onnx.py")
onnx.save_model(model, os.path.join(D, "main.onnx"))
for name, t, tr in checks:
    arr = numpy_helper.to_array(t)
    dt = None
    if t.data_type == TensorProto.BFLOAT16:
        arr = (arr if arr.dtype == np.float32 else arr.astype(np.float32))
        dt = "BF16"
    expect("onnx/main.onnx", name, arr, dt, tr)
# onnx.load reads back what numpy_helper wrote (the writer's own decoding)
back = {t.name: numpy_helper.to_array(t) for t in onnx.load(os.path.join(D, "main.onnx")).graph.initializer}
assert np.array_equal(back["mm.w"], numpy_helper.to_array(inits[[i.name for i in inits].index("mm.w")]))

# external data: every tensor in one file next to the model
ext_inits = [numpy_helper.from_array(f32(40, 30), "e.w"),
             numpy_helper.from_array(rng.standard_normal((12, 10)), "e.d"),
             numpy_helper.from_array(f32(30, 20), "e.mm")]
eg = helper.make_graph([helper.make_node("MatMul", ["x", "e.mm"], ["y"])], "ext", [], [],
                       initializer=ext_inits)
em = helper.make_model(eg)
onnx.save_model(em, os.path.join(D, "ext", "ext.onnx"), save_as_external_data=True,
                all_tensors_to_one_file=True, location="ext.bin", size_threshold=0)
loaded = onnx.load(os.path.join(D, "ext", "ext.onnx"))  # reads ext.bin: the oracle
for t in loaded.graph.initializer:
    expect("onnx/ext/ext.onnx", t.name, numpy_helper.to_array(t), None, t.name == "e.mm")


def ext_model(path, location, offset=None, length=None):
    t = numpy_helper.from_array(f32(10, 10), "w")
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    for k, v in (("location", location), ("offset", offset), ("length", length)):
        if v is not None:
            e = t.external_data.add()
            e.key, e.value = k, str(v)
    m = helper.make_model(helper.make_graph([], "g", [], [], initializer=[t]))
    onnx.save_model(m, os.path.join(D, path))
    return "onnx/" + path


with open(os.path.join(D, "escape", "secret.bin"), "wb") as f:
    f.write(bytes(400))
with open(os.path.join(D, "link", "real.bin"), "wb") as f:
    f.write(bytes(400))
if os.path.lexists(os.path.join(D, "link", "sym.bin")):
    os.remove(os.path.join(D, "link", "sym.bin"))
os.symlink("real.bin", os.path.join(D, "link", "sym.bin"))
bad.append(["open", ext_model("escape/inner/up.onnx", "../secret.bin"), FORMAT, "-", "up.onnx",
            "tensor 'w'", "'../secret.bin'", "leaves the model's directory"])
bad.append(["open", ext_model("escape/inner/abs.onnx", "/etc/passwd"), FORMAT, "-",
            "'/etc/passwd'", "leaves the model's directory"])
bad.append(["open", ext_model("link/sym.onnx", "sym.bin"), FORMAT, "-", "sym.bin",
            "not a regular file"])
bad.append(["open", ext_model("link/past.onnx", "real.bin", 100, 400), FORMAT, "-",
            "tensor 'w'", "offset 100, length 400 runs past", "(400 bytes)"])
bad.append(["open", ext_model("link/len.onnx", "real.bin", 0, 300), FORMAT, "-",
            "external data length 300", "take 400 bytes"])
bad.append(["open", ext_model("link/missing.onnx", "nothere.bin"), IO, "-", "nothere.bin"])
bad.append(["open", ext_model("link/noloc.onnx", None, 0), FORMAT, "-",
            "without a valid location"])
ok = ext_model("link/ok.onnx", "real.bin", 0, 400)
expect(ok, "w", np.zeros((10, 10), np.float32))

# unpacked repeated fields (protobuf allows both; onnx writes packed): dims and float_data
# one tag per value, and int32_data of an INT8 tensor with negative values as 10-byte varints
def varint(v):
    v &= (1 << 64) - 1
    b = bytearray()
    while True:
        c = v & 0x7F
        v >>= 7
        b.append(c | (0x80 if v else 0))
        if not v:
            return bytes(b)


def lenf(tag, payload):
    return bytes([tag]) + varint(len(payload)) + payload


t1 = (b"\x08\x02\x08\x03\x10\x01" + lenf(0x42, b"unpacked.f") +
      b"".join(b"\x25" + np.float32(v).tobytes() for v in (1, -2, 3.5, 4, 5, 6)))
t2 = (b"\x08\x03\x10\x03" + lenf(0x42, b"unpacked.i8") +
      b"".join(b"\x28" + varint(v) for v in (-1, 2, -128)))
with open(os.path.join(D, "unpacked.onnx"), "wb") as f:
    f.write(b"\x08\x08" + lenf(0x3A, lenf(0x2A, t1) + lenf(0x2A, t2)))
expect("onnx/unpacked.onnx", "unpacked.f", np.array([[1, -2, 3.5], [4, 5, 6]], np.float32))
expect("onnx/unpacked.onnx", "unpacked.i8", np.array([-1, 2, -128], np.int8))
# onnx itself decodes the file the same way
um = onnx.load(os.path.join(D, "unpacked.onnx"))
assert numpy_helper.to_array(um.graph.initializer[1]).tolist() == [-1, 2, -128]
assert numpy_helper.to_array(um.graph.initializer[0]).tolist() == [[1, -2, 3.5], [4, 5, 6]]

# nested too deep: If inside If, 20 levels
g = helper.make_graph([], "leaf", [], [], initializer=[numpy_helper.from_array(f32(3, 3), "w")])
for i in range(20):
    g = helper.make_graph([helper.make_node("If", ["c"], ["o"], name="n%d" % i, then_branch=g,
                                            else_branch=g)], "g%d" % i, [], [])
onnx.save_model(helper.make_model(g), os.path.join(D, "deep.onnx"))
bad.append(["open", "onnx/deep.onnx", FORMAT, "-", "deep.onnx", "nested more than 16 deep"])


def write(name, data):
    with open(os.path.join(D, name), "wb") as f:
        f.write(data)
    return "onnx/" + name


blob = open(os.path.join(D, "main.onnx"), "rb").read()
bad.append(["open", write("truncated.onnx", blob[: len(blob) // 2]), FORMAT, "-",
            "truncated.onnx", "runs past the end of the message", "byte offset"])
# ir_version 7, graph (field 7) of 2 bytes: a node (field 1) whose length varint is cut off
bad.append(["open", write("varint.onnx", b"\x08\x07\x3a\x02\x0a\x80"), FORMAT, "-",
            "varint.onnx", "truncated varint at byte offset 5"])
# a varint of 11 bytes
bad.append(["open", write("long-varint.onnx", b"\x08\x07\x28" + b"\xff" * 10 + b"\x01"),
            FORMAT, "-", "varint longer than 64 bits at byte offset 3"])
# an initializer (graph field 5) with wire type 0
bad.append(["open", write("wire.onnx", b"\x08\x07\x3a\x02\x28\x05"), FORMAT, "-",
            "field 5 (initializer) at byte offset 4 has wire type 0, expected 2"])
# a group (wire type 3) at the top level
bad.append(["open", write("group.onnx", b"\x08\x07\x3b\x00"), FORMAT, "-",
            "wire type is not one of 0, 1, 2, 5", "byte offset 2"])
# a graph length past the end of the file
bad.append(["open", write("len.onnx", b"\x08\x07\x3a\x7f\x0a"), FORMAT, "-",
            "length runs past the end of the message", "length 127, bytes left 1"])
bad.append(["open", write("nograph.onnx", b"\x08\x07\x12\x03abc"), FORMAT, "-",
            "no graph"])


def one(name, t):
    m = helper.make_model(helper.make_graph([], "g", [], [], initializer=[t]))
    onnx.save_model(m, os.path.join(D, name))
    return "onnx/" + name


t = numpy_helper.from_array(f32(10, 10), "short")
t.raw_data = t.raw_data[:-4]
bad.append(["open", one("raw-short.onnx", t), FORMAT, "-", "tensor 'short'",
            "holds 396 bytes", "take 400"])
t = helper.make_tensor("few", TensorProto.FLOAT, (10, 10), [1.0] * 100, raw=False)
del t.float_data[50:]
bad.append(["map", one("typed-short.onnx", t), FORMAT, "few", "tensor 'few'",
            "holds 50 values, the shape needs 100"])
t = helper.make_tensor("wrong", TensorProto.FLOAT, (4,), [1, 2, 3, 4], raw=False)
t.ClearField("float_data")
t.int64_data.extend([1, 2, 3, 4])
bad.append(["open", one("typed-field.onnx", t), FORMAT, "-", "tensor 'wrong'",
            "in field 7 (expected field 4)"])
t = numpy_helper.from_array(f32(2, 2), "badtype")
t.data_type = 99
bad.append(["open", one("type.onnx", t), FORMAT, "-", "tensor 'badtype'", "data_type 99"])
t = numpy_helper.from_array(f32(2, 2), "neg")
t.dims[0] = -3
bad.append(["open", one("negdim.onnx", t), FORMAT, "-", "dim 0 is negative (-3)"])
t = TensorProto(name="nodata", data_type=TensorProto.FLOAT, dims=[3, 3])
bad.append(["open", one("nodata.onnx", t), FORMAT, "-", "tensor 'nodata'", "but no data"])
# strings and complex numbers: listed, not converted
t = helper.make_tensor("strs", TensorProto.STRING, (2,), [b"ab", b"cd"])
good.append([one("strings.onnx", t), "strs", "OTHER", "2", "-", "-"])

with open(os.path.join(out, "onnx_good.txt"), "w") as f:
    for r in good:
        f.write("\t".join(str(x) for x in r) + "\n")
with open(os.path.join(out, "onnx_bad.txt"), "w") as f:
    for r in bad:
        f.write("\t".join(str(x) for x in r) + "\n")
