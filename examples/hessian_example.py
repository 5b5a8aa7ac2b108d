#!/usr/bin/env python3
"""The loss Hessian spectrum of the example network by stochastic Lanczos quadrature (issue 19).

    /usr/bin/python3 examples/hessian_example.py [--samples 1000] [--batch 1000] [--steps 100]
        [--starts 5] [--seed 1] [--sigma-rel 0.01] [--out DIR]

Rebuilds the 784-1000-1000-10 ReLU network of examples/train_fashion_mlp.py from
examples/fashion_mlp.safetensors (1,796,010 parameters, float32), takes the first --samples
training images of Fashion-MNIST (Debian's dataset-fashion-mnist, normalised as in training) in
batches of --batch, and calls rmtk.hessian_spectrum with the mean cross-entropy over them. Writes
DIR/hessian_density.png (the smoothed SLQ density on a symmetric log axis, and its positive part
on log-log axes with the laws of rmtk_fitlaw overlaid), DIR/hessian_density.csv (grid, density,
each law's density on the full density's scale) and DIR/hessian.json (the numbers), and prints
the negative-eigenvalue fraction, the extreme eigenvalues, the best law and the time.
Memory: full reorthogonalisation keeps steps x 1.8 M doubles (100 steps: 1.4 GB).
"""
import argparse
import gzip
import json
import os
import struct
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (hl,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + hl])
    header.pop("__metadata__", None)
    out = {}
    for name, t in header.items():
        b, e = t["data_offsets"]
        assert t["dtype"] == "F32", t["dtype"]
        out[name] = np.frombuffer(raw[8 + hl + b:8 + hl + e], "<f4").reshape(t["shape"])
    return out


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(raw, np.uint8, offset=8)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weights", default=os.path.join(HERE, "fashion_mlp.safetensors"))
    ap.add_argument("--samples", type=int, default=1000)
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--starts", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sigma-rel", type=float, default=0.01)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--out", default="hessian-out")
    args = ap.parse_args()

    import torch
    sys.path.insert(0, os.path.join(HERE, "..", "python"))
    import rmtk
    torch.set_num_threads(args.threads)

    t = read_safetensors(args.weights)
    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 10))
    with torch.no_grad():
        for i, name in zip((0, 2, 4), ("fc1", "fc2", "fc3")):
            model[i].weight.copy_(torch.from_numpy(t[name + ".weight"].copy()))
            model[i].bias.copy_(torch.from_numpy(t[name + ".bias"].copy()))
    model.eval()
    mean, std = 72.94, 90.02  # as in examples/train_fashion_mlp.py
    x = torch.tensor((read_idx("train-images-idx3-ubyte.gz")[:args.samples] - mean) / std,
                     dtype=torch.float32)
    y = torch.tensor(read_idx("train-labels-idx1-ubyte.gz")[:args.samples], dtype=torch.long)
    batches = [(x[i:i + args.batch], y[i:i + args.batch])
               for i in range(0, args.samples, args.batch)]

    total = args.steps * args.starts
    t0 = time.time()

    def progress(done, tot):
        if done % 20 == 0 or done == tot:
            print(f"  {done}/{tot} Hessian-vector products ({time.time() - t0:.0f} s)",
                  flush=True)

    res = rmtk.hessian_spectrum(model, torch.nn.CrossEntropyLoss(), batches,
                                steps=args.steps, starts=args.starts, seed=args.seed,
                                sigma_rel=args.sigma_rel, grid=4000, progress=progress)
    os.makedirs(args.out, exist_ok=True)
    laws = res.laws

    # ---- the figure -------------------------------------------------------------------------
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 4.6))
    a1.plot(res.grid, res.density, "k-", lw=1)
    a1.set_yscale("log")
    a1.set_ylim(max(res.density.max() * 1e-8, 1e-12), res.density.max() * 2)
    a1.set_xlabel("Hessian eigenvalue")
    a1.set_ylabel("smoothed SLQ density")
    a1.set_title(f"{res.n_params:,} parameters, {args.samples} images: negative fraction "
                 f"{res.negative_fraction:.3f}", fontsize=9)
    pos = res.grid > 0
    a2.loglog(res.grid[pos], res.density[pos], "k-", lw=1.5, label="SLQ (positive part)")
    for c in laws.candidates:
        if c.status != 0 or not np.all(np.isfinite(c.density)):
            continue
        lw = 2.0 if c.name == laws.best else 0.9
        a2.loglog(res.grid[pos], laws.mass_scale * c.density[pos], lw=lw,
                  label=f"{c.name} (KS {c.ks:.3f}, BIC {c.bic:.0f})")
    a2.set_ylim(res.density[pos].max() * 1e-6, res.density[pos].max() * 5)
    a2.set_xlabel("Hessian eigenvalue (> 0)")
    a2.set_title("laws of rmtk_fitlaw fitted to the positive part (CvM)", fontsize=9)
    a2.legend(fontsize=7)
    fig.tight_layout()
    png = os.path.join(args.out, "hessian_density.png")
    fig.savefig(png, dpi=120)

    cols = [res.grid, res.density] + [laws.mass_scale * c.density for c in laws.candidates]
    header = "x,density," + ",".join(c.name for c in laws.candidates)
    np.savetxt(os.path.join(args.out, "hessian_density.csv"), np.column_stack(cols),
               delimiter=",", header=header, comments="", fmt="%.9g")
    summary = {
        "n_params": res.n_params, "samples": args.samples, "batch": args.batch,
        "steps": res.steps, "starts": res.starts, "seed": args.seed, "loss": res.loss,
        "negative_fraction": res.negative_fraction,
        "negative_fraction_se": res.negative_fraction_se,
        "negative_fraction_quad_err": res.negative_fraction_quad_err,
        "zero_fraction": res.zero_fraction, "zero_tol": res.zero_tol,
        "lambda_min": res.lambda_min, "lambda_max": res.lambda_max,
        "top_eigenvalues": res.top_eigenvalues.tolist(),
        "bottom_eigenvalues": res.bottom_eigenvalues.tolist(),
        "moments": res.moments.tolist(), "moments_se": res.moments_se.tolist(),
        "trace": res.n_params * res.moments[1],
        "sigma": res.sigma, "hvp_calls": res.hvp_calls, "seconds": res.seconds,
        "seconds_operator": res.seconds_operator, "seconds_slq": res.seconds_slq,
        "seconds_laws": res.seconds_laws, "nodes": res.nodes.tolist(),
        "weights": res.weights.tolist(), "best_law": laws.best, "verdict": laws.verdict,
        "positive_mass": laws.positive_mass,
        "laws": [{k: v for k, v in c.items() if k != "density"} for c in laws.candidates]}
    with open(os.path.join(args.out, "hessian.json"), "w") as f:
        json.dump(summary, f, indent=1)

    print(f"parameters {res.n_params:,}; loss {res.loss:.4f} over {args.samples} images")
    print(f"negative-eigenvalue fraction {res.negative_fraction:.4f} "
          f"(Monte-Carlo se {res.negative_fraction_se:.4f}, quadrature bound "
          f"{res.negative_fraction_quad_err:.4f}); zero fraction {res.zero_fraction:.4f}")
    print(f"lambda_max {res.lambda_max:.6g}, lambda_min {res.lambda_min:.6g}; top "
          + ", ".join(f"{v:.4g}" for v in res.top_eigenvalues[:5]))
    print(f"trace/n {res.moments[1]:.4g} +- {res.moments_se[1]:.2g}")
    print(f"laws: {laws.verdict}")
    print(f"time {res.seconds:.1f} s ({res.hvp_calls} products, {res.seconds_operator:.1f} s in "
          f"them; law fit {res.seconds_laws:.1f} s); wrote {png}")


if __name__ == "__main__":
    main()
