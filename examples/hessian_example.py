#!/usr/bin/env python3
"""The loss Hessian spectrum of the example network by stochastic Lanczos quadrature (issue 19).

    /usr/bin/python3 examples/hessian_example.py [--samples 1000] [--batch 1000] [--steps 100]
        [--starts 5] [--seed 1] [--sigma-rel 0.01] [--reorth full|none] [--out DIR]

Rebuilds the 784-1000-1000-10 ReLU network of examples/train_fashion_mlp.py from
examples/fashion_mlp.safetensors (1,796,010 parameters, float32), takes the first --samples
training images of Fashion-MNIST (Debian's dataset-fashion-mnist, normalised as in training) in
batches of --batch, and calls rmtk.hessian_spectrum with the mean cross-entropy over them. Writes
DIR/hessian_density.png (the smoothed SLQ density, log y; its positive part on log-log axes
with the laws of rmtk_fitlaw fitted to it overlaid; the CDF of the quadrature measure's positive
nodes with the laws fitted to that), DIR/hessian_density.csv (grid, density,
each law's density on the full density's scale) and DIR/hessian.json (the numbers, the
quadrature rule), and prints the negative-eigenvalue fraction, the extreme eigenvalues, the best
law and the time. --plot-only redraws the figure from those two files.
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


def plot(out, rmtk):
    """DIR/hessian_density.png from DIR/hessian.json and DIR/hessian_density.csv: (a) the
    smoothed density, log y; (b) its positive part, log-log, with the laws fitted to it
    (law_source "smoothed"); (c) the CDF of the quadrature measure's positive nodes, log x, with
    the laws fitted to it (law_source "nodes", refitted here by rmtk.fit_laws_to_density), their
    CDFs integrated from the densities on a log grid (the mass below the grid, where a product
    law diverges, added at its start)."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    with open(os.path.join(out, "hessian.json")) as f:
        s = json.load(f)
    tab = np.genfromtxt(os.path.join(out, "hessian_density.csv"), delimiter=",", names=True)
    names = list(tab.dtype.names)
    grid, dens = tab["x"], tab["density"]
    fig, (a1, a2, a3) = plt.subplots(1, 3, figsize=(17, 4.8))
    a1.plot(grid, dens, "k-", lw=1)
    a1.set_yscale("log")
    a1.set_ylim(max(dens.max() * 1e-8, 1e-12), dens.max() * 2)
    a1.set_xlabel("Hessian eigenvalue")
    a1.set_ylabel("smoothed SLQ density (sigma %.3g)" % s["sigma"])
    a1.set_title("%s parameters, %d images: negative fraction %.3f (quadrature bound %.2f)"
                 % (f"{s['n_params']:,}", s["samples"], s["negative_fraction"],
                    s["negative_fraction_quad_err"]), fontsize=8)
    pos = grid > 0
    # the density the laws were fitted to: the smoothed rule without the nodes at |theta| <=
    # zero_tol (the atom at 0), on the full density's scale (numpy here, for the figure only)
    nodes, weights = np.array(s["nodes"]), np.array(s["weights"])
    keep = np.abs(nodes) > s["zero_tol"]
    sg = s["sigma"]
    nz = (weights[keep][None, :] * np.exp(-0.5 * ((grid[:, None] - nodes[keep][None, :]) / sg)
                                          ** 2)).sum(1) / (sg * np.sqrt(2 * np.pi))
    a2.loglog(grid[pos], dens[pos], color="0.6", lw=1, label="SLQ smoothed, positive part")
    a2.loglog(grid[pos], nz[pos], "k-", lw=1.8,
              label="the same without the atom at 0 (fitted)")

    def key(name):
        return "".join(ch for ch in name if ch.isalnum())
    by_name = {key(c["name"]): c for c in s["laws"]}
    for nm in names[2:]:
        c = by_name.get(key(nm), {})
        col = tab[nm]
        if not np.all(np.isfinite(col)):
            continue
        a2.loglog(grid[pos], col[pos], lw=2.0 if c.get("name") == s["best_law"] else 0.9,
                  label="%s (KS %.3f)" % (c.get("name", nm), c.get("ks", np.nan)))
    a2.set_ylim(nz[pos].max() * 1e-4, dens[pos].max() * 5)
    a2.set_xlabel("Hessian eigenvalue (> 0)")
    a2.set_title("laws fitted to the smoothed density's positive part (atom at 0 set aside)",
                 fontsize=8)
    a2.legend(fontsize=6)
    # (c) the quadrature measure itself
    pn, pw = nodes[keep & (nodes > 0)], weights[keep & (nodes > 0)]
    o = np.argsort(pn)
    a3.step(pn[o], np.cumsum(pw[o]) / pw.sum(), "k-", where="post", lw=1.8,
            label="SLQ quadrature (positive nodes)")
    lx = np.logspace(np.log10(pn.min()) - 4, np.log10(pn.max()) + 2, 6000)
    fit = rmtk.fit_laws_to_density(nodes[keep], weights[keep], 0.0, x=lx, seed=s["seed"])
    for c in fit.candidates:
        if c.status != 0 or not np.all(np.isfinite(c.density)):
            continue
        cdf = np.concatenate([[0], np.cumsum(0.5 * (c.density[1:] + c.density[:-1])
                                             * np.diff(lx))])
        cdf += max(0.0, 1.0 - cdf[-1])  # the mass below lx[0] (a density diverging at 0)
        a3.semilogx(lx, cdf, lw=2.0 if c.name == fit.best else 0.9,
                    label="%s (KS %.3f)" % (c.name, c.ks))
    a3.set_xscale("log")
    a3.set_xlim(pn.min() / 30, pn.max() * 3)
    a3.set_xlabel("Hessian eigenvalue (> 0)")
    a3.set_ylabel("CDF of the positive part")
    a3.set_title("laws fitted to the quadrature measure (law_source='nodes')", fontsize=8)
    a3.legend(fontsize=6)
    fig.tight_layout()
    png = os.path.join(out, "hessian_density.png")
    fig.savefig(png, dpi=110)
    s["nodes_fit"] = {"best_law": fit.best, "verdict": fit.verdict,
                      "laws": [{k: v for k, v in c.items() if k != "density"}
                               for c in fit.candidates]}
    with open(os.path.join(out, "hessian.json"), "w") as f:
        json.dump(s, f, indent=1)
    print("laws fitted to the quadrature measure: " + fit.verdict)
    return png


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
    ap.add_argument("--reorth", choices=("full", "none"), default="full")
    ap.add_argument("--out", default="hessian-out")
    ap.add_argument("--plot-only", action="store_true",
                    help="redraw the figure from DIR/hessian.json and DIR/hessian_density.csv")
    args = ap.parse_args()
    if args.plot_only:
        sys.path.insert(0, os.path.join(HERE, "..", "python"))
        import rmtk
        plot(args.out, rmtk)
        return

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
                                sigma_rel=args.sigma_rel, grid=4000, reorth=args.reorth,
                                progress=progress)
    os.makedirs(args.out, exist_ok=True)
    laws = res.laws

    cols = [res.grid, res.density] + [laws.mass_scale * c.density for c in laws.candidates]
    header = "x,density," + ",".join(c.name.replace("-", "_") for c in laws.candidates)
    np.savetxt(os.path.join(args.out, "hessian_density.csv"), np.column_stack(cols),
               delimiter=",", header=header, comments="", fmt="%.9g")
    summary = {
        "n_params": res.n_params, "samples": args.samples, "batch": args.batch,
        "steps": res.steps, "starts": res.starts, "seed": args.seed, "loss": res.loss,
        "reorth": args.reorth,
        "negative_fraction": res.negative_fraction,
        "negative_fraction_se": res.negative_fraction_se,
        "negative_fraction_quad_err": res.negative_fraction_quad_err,
        "zero_fraction": res.zero_fraction, "zero_tol": res.zero_tol,
        "lambda_min": res.lambda_min, "lambda_max": res.lambda_max,
        "top_eigenvalues": res.top_eigenvalues.tolist(),
        "bottom_eigenvalues": res.bottom_eigenvalues.tolist(),
        "moments": res.moments.tolist(), "moments_se": res.moments_se.tolist(),
        "trace": res.n_params * res.moments[1],
        # the quadrature mass below -delta, delta relative to lambda_max: how much of the
        # negative fraction is the cluster at 0
        "negative_mass_below": {"%g" % d: float(res.weights[res.nodes < -d * res.lambda_max]
                                                .sum()) for d in (1e-4, 1e-3, 1e-2, 1e-1)},
        "sigma": res.sigma, "hvp_calls": res.hvp_calls, "seconds": res.seconds,
        "seconds_operator": res.seconds_operator, "seconds_slq": res.seconds_slq,
        "seconds_laws": res.seconds_laws, "nodes": res.nodes.tolist(),
        "weights": res.weights.tolist(), "best_law": laws.best, "verdict": laws.verdict,
        "positive_mass": laws.positive_mass,
        "laws": [{k: v for k, v in c.items() if k != "density"} for c in laws.candidates]}
    with open(os.path.join(args.out, "hessian.json"), "w") as f:
        json.dump(summary, f, indent=1)
    png = plot(args.out, rmtk)

    print(f"parameters {res.n_params:,}; loss {res.loss:.4f} over {args.samples} images")
    print(f"negative-eigenvalue fraction {res.negative_fraction:.4f} "
          f"(Monte-Carlo se {res.negative_fraction_se:.4f}, quadrature bound "
          f"{res.negative_fraction_quad_err:.4f}); zero fraction {res.zero_fraction:.4f}")
    print("quadrature mass below -delta lambda_max: " + ", ".join(
        f"delta {d}: {v:.4f}" for d, v in summary["negative_mass_below"].items()))
    print(f"lambda_max {res.lambda_max:.6g}, lambda_min {res.lambda_min:.6g}; top "
          + ", ".join(f"{v:.4g}" for v in res.top_eigenvalues[:5]))
    print(f"trace/n {res.moments[1]:.4g} +- {res.moments_se[1]:.2g}")
    print(f"laws: {laws.verdict}")
    print(f"time {res.seconds:.1f} s ({res.hvp_calls} products, {res.seconds_operator:.1f} s in "
          f"them; law fit {res.seconds_laws:.1f} s); wrote {png}")


if __name__ == "__main__":
    main()
