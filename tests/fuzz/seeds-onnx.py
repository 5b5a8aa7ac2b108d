#!/usr/bin/env python3
"""Seed ONNX models for tests/fuzz/fuzz-onnx.c, written by python3-onnx (onnx.helper): small
models with initializers in raw_data and in every typed field, Constant nodes, MatMul / Gemm
(transB 0 and 1) weights, an If with weights in its branches, a Loop body, a reference to
external data (absent: the reader must fail cleanly), and an unpacked float field.

usage: seeds-onnx.py DIR
"""
import os
import sys

import numpy as np
from onnx import TensorProto, helper, numpy_helper

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)


def save(name, nodes, inits, **kw):
    g = helper.make_graph(nodes, "g", [], [], initializer=inits)
    m = helper.make_model(g, producer_name="seeds-onnx.py", **kw)
    with open(os.path.join(out, name), "wb") as f:
        f.write(m.SerializeToString())
    return g


def f32(*s):
    return rng.standard_normal(s).astype(np.float32)


save("raw.onnx", [], [numpy_helper.from_array(f32(3, 4), "a"),
                      numpy_helper.from_array(f32(2, 3).astype(np.float16), "h"),
                      numpy_helper.from_array(rng.standard_normal((2, 2)), "d"),
                      numpy_helper.from_array(np.arange(6, dtype=np.int8).reshape(2, 3), "i8"),
                      numpy_helper.from_array(np.array([True, False]), "b")])
typed = [helper.make_tensor("tf", TensorProto.FLOAT, (2, 3), f32(6).tolist()),
         helper.make_tensor("td", TensorProto.DOUBLE, (2, 2), [1.0, -2.0, 3.0, 0.5]),
         helper.make_tensor("th", TensorProto.FLOAT16, (2, 2),
                            np.array([1, -2, 3, 4], np.float16).tolist()),
         helper.make_tensor("tb", TensorProto.BFLOAT16, (2,), [0x3F80, 0xC000]),
         helper.make_tensor("ti8", TensorProto.INT8, (3,), [-1, 2, -128]),
         helper.make_tensor("ti64", TensorProto.INT64, (2,), [-5, 1 << 40]),
         helper.make_tensor("tu64", TensorProto.UINT64, (2,), [5, 1 << 63]),
         helper.make_tensor("ts", TensorProto.STRING, (1,), [b"x"])]
save("typed.onnx", [], typed)
save("layouts.onnx",
     [helper.make_node("MatMul", ["x", "w"], ["y"]),
      helper.make_node("Gemm", ["x", "g0", "c"], ["z"], transB=0),
      helper.make_node("Gemm", ["x", "g1"], ["z1"], transB=1),
      helper.make_node("Constant", [], ["k"], value=numpy_helper.from_array(f32(3, 2))),
      helper.make_node("MatMul", ["y", "k"], ["o"])],
     [numpy_helper.from_array(f32(4, 3), "w"), numpy_helper.from_array(f32(4, 5), "g0"),
      numpy_helper.from_array(f32(5, 4), "g1")])
br = helper.make_graph([helper.make_node("MatMul", ["x", "w"], ["o"])], "b", [], [],
                       initializer=[numpy_helper.from_array(f32(2, 2), "bw")])
body = helper.make_graph([helper.make_node("If", ["c"], ["r"], then_branch=br, else_branch=br)],
                         "body", [], [], initializer=[numpy_helper.from_array(f32(2, 3), "lw")])
save("subgraphs.onnx",
     [helper.make_node("If", ["c"], ["o"], name="if", then_branch=br, else_branch=br),
      helper.make_node("Loop", ["m", "c"], ["l"], body=body)],
     [numpy_helper.from_array(f32(2, 2), "w")])
t = numpy_helper.from_array(f32(2, 2), "e")
t.ClearField("raw_data")
t.data_location = TensorProto.EXTERNAL
for k, v in (("location", "e.bin"), ("offset", "0"), ("length", "16")):
    kv = t.external_data.add()
    kv.key, kv.value = k, v
save("external.onnx", [], [t])
# an unpacked float_data field (tag 0x25 per value) and unpacked dims (tag 0x08)
raw = (b"\x08\x02\x08\x02\x10\x01\x42\x01w" +
       b"".join(b"\x25" + np.float32(v).tobytes() for v in (1, 2, 3, 4)))
g = b"\x2a" + bytes([len(raw)]) + raw
with open(os.path.join(out, "unpacked.onnx"), "wb") as f:
    f.write(b"\x08\x08\x3a" + bytes([len(g)]) + g)
