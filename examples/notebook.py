#!/usr/bin/env python3
# %% [markdown]
# # rmtk from Python: the example network, live in torch
#
# A script laid out like a notebook (cells separated by `# %%`; Jupyter, VS Code and
# `jupytext --to notebook` read it as one). It builds the example network of
# `examples/train_fashion_mlp.py` (784 -> 1000 -> 1000 -> 10, ReLU) as a live `torch.nn.Module`,
# analyses its weight matrices in memory with `rmtk.analyze` (no file written, no copy of the
# weights), shows the summary table, plots a spectrum and saves the report.
#
#     /usr/bin/python3 examples/notebook.py [--train EPOCHS] [--out DIR]
#
# With the package installed (`python3 -m pip install --break-system-packages
# --no-build-isolation ./python`) it imports rmtk from there; in a checkout with a build/ folder
# it uses python/rmtk over build/librmtk.so. By default the module holds the trained weights of
# examples/fashion_mlp.safetensors; --train N instead trains a fresh module for N epochs on
# Fashion-MNIST with the recipe of train_fashion_mlp.py (Debian's dataset-fashion-mnist).

# %%
import argparse
import json
import os
import struct
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
try:
    import rmtk
except ImportError:  # a checkout: the package source over the build's library
    sys.path.insert(0, os.path.join(ROOT, "python"))
    os.environ.setdefault("RMTK_LIBRARY", os.path.join(ROOT, "build", "librmtk.so"))
    import rmtk

import matplotlib
matplotlib.use("Agg")  # a script: draw into files (a notebook shows them inline)
import matplotlib.pyplot as plt  # noqa: E402

ap = argparse.ArgumentParser(description="rmtk on the live example network")
ap.add_argument("--train", type=int, default=0, help="train a fresh module for N epochs")
ap.add_argument("--out", default=os.path.join(ROOT, "out", "notebook"))
args, _ = ap.parse_known_args()
print("rmtk", rmtk.__version__, "over", rmtk.library_path)

# %% [markdown]
# ## The example network as a torch module
#
# The same architecture as `examples/train_fashion_mlp.py`, with the layer names of its
# safetensors file (fc1, fc2, fc3).


# %%
class FashionMLP(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = torch.nn.Linear(784, 1000)
        self.fc2 = torch.nn.Linear(1000, 1000)
        self.fc3 = torch.nn.Linear(1000, 10)

    def forward(self, x):
        return self.fc3(torch.relu(self.fc2(torch.relu(self.fc1(x)))))


def load_safetensors(path):
    """The few lines of the safetensors format (F32 only: the example's)."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    return {k: torch.from_numpy(np.frombuffer(raw[8 + n + v["data_offsets"][0]:
                                                   8 + n + v["data_offsets"][1]],
                                               dtype="<f4").reshape(v["shape"]).copy())
            for k, v in head.items() if k != "__metadata__"}


def train(model, epochs):
    sys.path.insert(0, HERE)
    from train_fashion_mlp import read_idx
    torch.manual_seed(0)
    x = torch.tensor((read_idx("train-images-idx3-ubyte.gz") - 72.94) / 90.02,
                     dtype=torch.float32)
    y = torch.tensor(read_idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(epochs):
        perm = torch.randperm(len(x))
        for i in range(0, len(x), 64):
            idx = perm[i:i + 64]
            opt.zero_grad()
            torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
            opt.step()
        print("epoch %d/%d done" % (epoch + 1, epochs))


model = FashionMLP()
if args.train:
    train(model, args.train)
else:
    model.load_state_dict(load_safetensors(os.path.join(HERE, "fashion_mlp.safetensors")))
model.eval()

# %% [markdown]
# ## Analyse it in memory
#
# `rmtk.analyze` reads each parameter where torch keeps it (the report's `inputs` record the
# address read and whether anything was converted). Statistics as `rmtk analyze`'s defaults
# (basic, mp, levels) plus the heavy-tail fits.

# %%
report = rmtk.analyze(model, stats="basic,mp,levels,tails", bootstrap=100)
print(report)
for inp in report.inputs:
    print("  %-12s %-4s %-12s read at 0x%x, copied: %s"
          % (inp["name"], inp["dtype"], inp["shape"], inp["address"], inp["copied"]))

# %% [markdown]
# ## The summary table (summary.csv's columns, one row per matrix)

# %%
summary = report.summary
cols = ["name", "rows", "cols", "mp_sigma2", "n_spikes", "r_mean", "alpha", "verdict"]
try:
    import pandas as pd
    with pd.option_context("display.width", 200, "display.max_colwidth", 50,
                           "display.max_columns", 20):
        print(summary[cols])
except ImportError:
    for row in summary:
        print({k: row[k] for k in cols})

# %% [markdown]
# ## A spectrum against the fitted Marchenko-Pastur law, and the level spacings

# %%
os.makedirs(args.out, exist_ok=True)
fig, axes = plt.subplots(1, 2, figsize=(11, 4))
report.plot("fc2.weight", "esd", ax=axes[0])
report.plot("fc2.weight", "spacings", ax=axes[1])
fig.tight_layout()
fig.savefig(os.path.join(args.out, "fc2-spectrum.png"), dpi=100)
print("figure:", os.path.join(args.out, "fc2-spectrum.png"))

# %% [markdown]
# ## Save the report
#
# `save` writes what `rmtk analyze --out DIR --no-plots` writes (summary.csv, report.json,
# rmtk-manifest.txt); `rmtk plot DIR/report.json` draws the CLI's figures from it.

# %%
report.save(args.out)
print("saved:", sorted(os.listdir(args.out)))

# %% [markdown]
# ## The same through the WeightWatcher-style front door

# %%
import rmtk.compat as ww  # noqa: E402

details = ww.WeightWatcher(model=model).analyze()
print(details[["layer_id", "name", "N", "M", "alpha", "alpha_weighted", "log_norm",
               "num_spikes"]] if hasattr(details, "columns") else details)
