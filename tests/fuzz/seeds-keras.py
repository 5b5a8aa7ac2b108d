"""Valid Keras seeds for fuzz-keras: python3 seeds-keras.py DIR. Written by h5py (Debian
python3-h5py) in the Keras 2 layout (model_weights groups, layer_names / weight_names attributes,
a model_config JSON attribute, optimizer_weights; a save_weights file behind a user block) and
the Keras 3 layout (layers/<name>/vars/<i>), and a .keras zip holding model.weights.h5."""
import io
import json
import os
import sys
import zipfile

import h5py
import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(5)

cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"name": "dense"}},
    {"class_name": "Conv2D", "config": {"name": "conv2d"}},
    {"class_name": "Conv2DTranspose", "config": {"name": "ct"}}]}}
with h5py.File(os.path.join(out, "keras2.h5"), "w") as f:
    f.attrs["keras_version"] = b"2.13.1"  # bytes, as Keras writes it (h5py: variable-length)
    f.attrs["model_config"] = json.dumps(cfg).encode()
    g = f.create_group("model_weights")
    g.attrs["layer_names"] = np.array([b"dense", b"conv2d", b"ct", b"lstm"])
    g.create_dataset("dense/dense/kernel:0", data=rng.standard_normal((12, 10)).astype("<f4"))
    g.create_dataset("dense/dense/bias:0", data=rng.standard_normal(10).astype("<f2"))
    g.create_dataset("conv2d/conv2d/kernel:0", data=rng.standard_normal((3, 3, 2, 4)))
    g.create_dataset("ct/ct/kernel:0", data=rng.standard_normal((2, 2, 3, 2)).astype(">f4"))
    g.create_dataset("lstm/lstm/lstm_cell/recurrent_kernel:0",
                     data=rng.integers(-3, 3, (2, 8)).astype("<i2"))
    g.create_dataset("dw/dw/depthwise_kernel:0", data=np.zeros((3, 3, 2, 1), "<f4"))
    f.create_dataset("optimizer_weights/Adam/iterations:0", data=np.int64(3))

with h5py.File(os.path.join(out, "weights-userblock.h5"), "w", userblock_size=512) as f:
    f.attrs["layer_names"] = np.array([b"d"])
    f.create_dataset("d/d/kernel:0", data=rng.standard_normal((4, 3)).astype("<f4"),
                     chunks=(2, 3), compression="gzip")

buf = io.BytesIO()
with h5py.File(buf, "w") as f:
    f.create_dataset("layers/dense/vars/0", data=rng.standard_normal((5, 3)).astype("<f4"))
    f.create_dataset("layers/conv1d/vars/0", data=rng.standard_normal((3, 2, 4)).astype("<f4"))
    f.create_dataset("layers/lstm/cell/vars/1", data=rng.standard_normal((2, 8)).astype("<f4"))
    f.create_dataset("optimizer/vars/0", data=np.int64(1))
open(os.path.join(out, "keras3.weights.h5"), "wb").write(buf.getvalue())
with zipfile.ZipFile(os.path.join(out, "model.keras"), "w", zipfile.ZIP_DEFLATED) as z:
    z.writestr("config.json", json.dumps(cfg))
    z.writestr("model.weights.h5", buf.getvalue())
