#!/usr/bin/env python3
"""Keras fixtures for tests/test-keras.c, written by Debian's python3-h5py (no Keras needed):

  keras/keras2.h5          Keras 2 model.save layout: model_weights/<layer>/<layer>/<w>:0 with
                           layer_names / weight_names attributes, a model_config JSON attribute
                           (Dense, Conv2D, Conv1D, DepthwiseConv2D, LSTM, Embedding,
                           Conv2DTranspose), float32/float16/float64, optimizer_weights;
  keras/keras2-weights.h5  Keras 2 save_weights layout (layer groups at the top level), the
                           kernel big-endian float32, behind a 512-byte user block;
  keras/model.keras        Keras 3 zip: config.json, metadata.json and a deflated
                           model.weights.h5 (layers/<name>/vars/<i>, layers/lstm/cell/vars/<i>,
                           optimizer/vars/<i>);
  keras/model-stored.keras the same with the member stored;
  keras/expected/<file>-<name>.npy each tensor after rmtk's documented permutation (Dense/RNN kernel
                           transposed, convolution kernels [k..., in, out] -> [out, in, k...]);
  keras/conv2d-oihw.npy    the Conv2D kernel of keras2.h5 as PyTorch stores it (OIHW);
  keras/expected.txt       NAME DTYPE LAYOUT FILE lines;
  hand-broken: truncated.h5, badtype.h5 (a compound dataset), nomember.keras, ranks.h5
  (datasets of rank 0..5 and one of rank 9).
"""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

out = os.path.join(sys.argv[1], "keras")
os.makedirs(os.path.join(out, "expected"), exist_ok=True)
rng = np.random.default_rng(20261130)
expected = []


def rnd(shape, dtype):
    return rng.standard_normal(shape).astype(dtype)


def expect(name, arr, layout, file):
    fn = "expected/%s-%s.npy" % (file, name)
    np.save(os.path.join(out, fn), np.ascontiguousarray(arr))
    expected.append("%s %s %s %s" % (name, arr.dtype.str, layout, file))


def conv_perm(k):
    """[k..., in, out] -> [out, in, k...]"""
    d = k.ndim
    return np.transpose(k, (d - 1, d - 2) + tuple(range(d - 2)))


# ---- Keras 2, model.save ---------------------------------------------------------------------
dense_k = rnd((6, 4), np.float32)
dense_b = rnd((4,), np.float32)
conv_k = rnd((3, 3, 2, 5), np.float32)  # HWIO
conv_b = rnd((5,), np.float32)
conv1_k = rnd((3, 2, 4), np.float64)
dw_k = rnd((3, 3, 2, 1), np.float32)
lstm_k = rnd((4, 12), np.float16)
lstm_r = rnd((3, 12), np.float64)
lstm_b = rnd((12,), np.float32)
emb = rnd((10, 4), np.float16)
convt_k = rnd((2, 2, 3, 5), np.float32)  # Conv2DTranspose: [kh, kw, out, in]

layers = [
    ("dense_1", "Dense", [("kernel:0", dense_k), ("bias:0", dense_b)]),
    ("conv2d", "Conv2D", [("kernel:0", conv_k), ("bias:0", conv_b)]),
    ("conv1d", "Conv1D", [("kernel:0", conv1_k)]),
    ("depthwise_conv2d", "DepthwiseConv2D", [("depthwise_kernel:0", dw_k)]),
    ("lstm", "LSTM", [("lstm_cell/kernel:0", lstm_k), ("lstm_cell/recurrent_kernel:0", lstm_r),
                      ("lstm_cell/bias:0", lstm_b)]),
    ("embedding", "Embedding", [("embeddings:0", emb)]),
    ("conv2d_transpose", "Conv2DTranspose", [("kernel:0", convt_k)]),
]
config = {"class_name": "Sequential",
          "config": {"name": "sequential",
                     "layers": [{"class_name": c, "config": {"name": n}} for n, c, _ in layers]}}
with h5py.File(os.path.join(out, "keras2.h5"), "w") as f:
    f.attrs["keras_version"] = b"2.13.1"  # bytes, as Keras writes it (h5py: variable-length)
    f.attrs["backend"] = np.bytes_(b"tensorflow")  # fixed-length
    f.attrs["model_config"] = json.dumps(config).encode("utf8")  # fixed-length, like Keras
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([n.encode() for n, _, _ in layers])
    for n, _, ws in layers:
        lg = g.create_group(n)
        lg.attrs["weight_names"] = np.array([("%s/%s" % (n, w)).encode() for w, _ in ws])
        for w, a in ws:
            lg.create_dataset("%s/%s" % (n, w), data=a)
    o = f.create_group("optimizer_weights")
    o.create_dataset("Adam/iterations:0", data=np.int64(7))
    o.create_dataset("Adam/dense_1/kernel/m:0", data=np.zeros((6, 4), np.float32))
for nm, a, lay in [("dense_1.kernel", dense_k.T, "in,out"), ("dense_1.bias", dense_b, "-"),
                   ("conv2d.kernel", conv_perm(conv_k), "HWIO"), ("conv2d.bias", conv_b, "-"),
                   ("conv1d.kernel", conv_perm(conv1_k), "WIO"),
                   ("lstm.lstm_cell.kernel", lstm_k.T, "in,out"),
                   ("lstm.lstm_cell.recurrent_kernel", lstm_r.T, "in,out"),
                   ("lstm.lstm_cell.bias", lstm_b, "-"), ("embedding.embeddings", emb, "-"),
                   ("conv2d_transpose.kernel", conv_perm(convt_k), "HWOI")]:
    expect(nm, a, lay, "keras2.h5")
np.save(os.path.join(out, "conv2d-oihw.npy"), np.ascontiguousarray(conv_perm(conv_k)))

# ---- Keras 2, save_weights, big-endian kernel, 512-byte user block -----------------------------
wk = rnd((5, 3), ">f4")
with h5py.File(os.path.join(out, "keras2-weights.h5"), "w", userblock_size=512) as f:
    f.attrs["layer_names"] = np.array([b"dense"])
    f.attrs["backend"] = np.bytes_(b"tensorflow")  # fixed-length
    lg = f.create_group("dense")
    lg.attrs["weight_names"] = np.array([b"dense/kernel:0"])
    lg.create_dataset("dense/kernel:0", data=wk)
expect("dense.kernel", wk.T.astype("<f4"), "in,out", "keras2-weights.h5")

# ---- Keras 3 .keras ---------------------------------------------------------------------------
k3 = {
    "layers/dense/vars/0": rnd((8, 3), np.float32),
    "layers/dense/vars/1": rnd((3,), np.float32),
    "layers/dense_1/vars/0": rnd((3, 2), np.float64),
    "layers/conv2d/vars/0": rnd((2, 3, 4, 6), np.float32),
    "layers/depthwise_conv2d/vars/0": rnd((3, 3, 4, 2), np.float32),
    "layers/lstm/cell/vars/0": rnd((5, 8), np.float32),
    "layers/lstm/cell/vars/1": rnd((2, 8), np.float32),
    "layers/lstm/cell/vars/2": rnd((8,), np.float32),
    "layers/batch_normalization/vars/0": rnd((6,), np.float32),
    "optimizer/vars/0": np.array(3, np.int64),
}
buf = io.BytesIO()
with h5py.File(buf, "w") as f:
    for k, a in k3.items():
        f.create_dataset(k, data=a)
    f.create_group("layers/dropout/vars")
image = buf.getvalue()
k3cfg = {"module": "keras", "class_name": "Sequential",
         "config": {"name": "sequential",
                    "layers": [{"module": "keras.layers", "class_name": "Dense",
                                "config": {"name": "dense"}}]}}
for fn, method in [("model.keras", zipfile.ZIP_DEFLATED), ("model-stored.keras", zipfile.ZIP_STORED)]:
    with zipfile.ZipFile(os.path.join(out, fn), "w", method) as z:
        z.writestr("metadata.json", json.dumps({"keras_version": "3.3.3"}))
        z.writestr("config.json", json.dumps(k3cfg))
        z.writestr("model.weights.h5", image)
for nm, k, lay in [("dense.kernel", "layers/dense/vars/0", "in,out"),
                   ("dense.bias", "layers/dense/vars/1", "-"),
                   ("dense_1.kernel", "layers/dense_1/vars/0", "in,out"),
                   ("conv2d.kernel", "layers/conv2d/vars/0", "HWIO"),
                   ("lstm.cell.kernel", "layers/lstm/cell/vars/0", "in,out"),
                   ("lstm.cell.recurrent_kernel", "layers/lstm/cell/vars/1", "in,out"),
                   ("lstm.cell.bias", "layers/lstm/cell/vars/2", "-"),
                   ("batch_normalization.0", "layers/batch_normalization/vars/0", "-")]:
    a = k3[k]
    a = a.T if lay == "in,out" else conv_perm(a) if lay == "HWIO" else a
    expect(nm, a, lay, "model.keras")

# ---- hand-broken files ------------------------------------------------------------------------
whole = open(os.path.join(out, "keras2.h5"), "rb").read()
open(os.path.join(out, "truncated.h5"), "wb").write(whole[: len(whole) // 2])
with h5py.File(os.path.join(out, "badtype.h5"), "w") as f:
    f.create_dataset("model_weights/dense/dense/kernel:0", data=rnd((2, 2), np.float32))
    f.create_dataset("model_weights/odd/odd/kernel:0",
                     data=np.zeros(3, dtype=[("a", "<f4"), ("b", "<i2")]))
    f.create_dataset("model_weights/cplx/cplx/kernel:0", data=np.zeros(2, np.complex64))
with zipfile.ZipFile(os.path.join(out, "nomember.keras"), "w") as z:
    z.writestr("config.json", json.dumps(k3cfg))
with h5py.File(os.path.join(out, "ranks.h5"), "w") as f:
    for r in range(6):
        f.create_dataset("r%d/r%d/kernel:0" % (r, r),
                         data=np.arange(np.prod([2] * r), dtype=np.float32).reshape([2] * r))
with h5py.File(os.path.join(out, "rank9.h5"), "w") as f:
    f.create_dataset("big/big/kernel:0", data=np.zeros([1] * 9, np.float32))

with open(os.path.join(out, "expected.txt"), "w") as f:
    f.write("\n".join(expected) + "\n")
