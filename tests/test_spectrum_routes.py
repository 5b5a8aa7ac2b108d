"""The accuracy contract of the spectrum (issue 14, docs/methods/spectrum.md): the default route
(Gram for every matrix the contract accepts) and --exact (dgesdd everywhere) give the same
statistics: numerical rank, MP fit (sigma^2, n_spikes), level statistics (r_mean), tails (alpha).
Gaussian (square and rectangular), trained-like (power-law spectrum with spikes), the example
network's trained weights, and rank-deficient matrices; the route each takes is checked too
(squares: gram; F64/F32 rank-deficient and ill-conditioned: svd). Run by ctest with RMTK_CLI."""
import csv
import json
import os
import subprocess

import numpy as np
from stfile import write_typed as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
SRC = os.environ.get("RMTK_SOURCE_DIR", ".")


def bf16(a):
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def analyze(path, out, *extra):
    p = subprocess.run([CLI, "analyze", str(path), "--out", str(out), "--stats",
                        "basic,mp,levels,tails", "--quiet", "--no-plots", *extra],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv", newline=""))}
    rep = {m["name"]: m for m in json.load(open(out / "report.json"))["matrices"]}
    return rows, rep


def trained_like(rng, n, m, alpha=0.6, spikes=(40.0, 30.0, 25.0)):
    """U diag(s) V^T with a power-law bulk s_i ~ i^-alpha and a few spikes: the shape of trained
    layers' spectra (heavy upper tail, no hard gap)."""
    k = min(n, m)
    u = np.linalg.qr(rng.standard_normal((n, k)))[0]
    v = np.linalg.qr(rng.standard_normal((m, k)))[0]
    s = 3.0 * np.arange(1, k + 1) ** -alpha
    s[:len(spikes)] += spikes
    return (u * s) @ v.T


def num(x):
    return float(x) if x != "" else float("nan")


def compare(a, b, name):
    ra, rb = a[name], b[name]
    assert ra["numerical_rank"] == rb["numerical_rank"], name
    assert ra["n_spikes"] == rb["n_spikes"], name
    for col, rtol in (("mp_sigma2", 1e-7), ("alpha", 1e-7), ("spectral_norm", 1e-12),
                      ("fro_norm2", 1e-12)):
        x, y = num(ra[col]), num(rb[col])
        assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= rtol * abs(y), (name, col, x, y)
    # unfolded levels: each moves by at most 1e-3 of a spacing under the contract; measured far
    # less
    x, y = num(ra["r_mean"]), num(rb["r_mean"])
    assert (np.isnan(x) and np.isnan(y)) or abs(x - y) <= 1e-6, (name, x, y)


def test_routes_agree(tmp_path):
    rng = np.random.default_rng(14)
    gauss_sq = rng.standard_normal((600, 600)) / np.sqrt(600)
    gauss_rect = rng.standard_normal((900, 300)) / np.sqrt(900)
    trained = trained_like(rng, 700, 400)
    low = rng.standard_normal((500, 40)) @ rng.standard_normal((40, 300))
    ill = rng.standard_normal((500, 300))
    ill[:, 5] *= 1e-7
    mats = {
        "gauss_sq_f32": gauss_sq.astype(np.float32),
        "gauss_sq_f64": gauss_sq,
        "gauss_sq_bf16": bf16(gauss_sq),
        "gauss_rect_f32": gauss_rect.astype(np.float32),
        "gauss_wide_f32": gauss_rect.T.astype(np.float32).copy(),
        "trained_f32": trained.astype(np.float32),
        "trained_bf16": bf16(trained),
        "lowrank_f64": low,
        "lowrank_f32": low.astype(np.float32),
        "lowrank_bf16": bf16(low),
        "illcond_f64": ill,
    }
    path = tmp_path / "m.safetensors"
    write_safetensors(path, mats)
    auto, auto_rep = analyze(path, tmp_path / "auto")
    exact, exact_rep = analyze(path, tmp_path / "exact", "--exact")
    for name in mats:
        compare(auto, exact, name)
        assert exact[name]["method"] == "svd"
    route = {n: auto[n]["method"] for n in mats}
    for name in ("gauss_sq_f32", "gauss_sq_f64", "gauss_sq_bf16", "gauss_rect_f32",
                 "gauss_wide_f32", "trained_f32", "trained_bf16", "lowrank_bf16"):
        assert route[name] == "gram", (name, route)
    for name in ("lowrank_f64", "lowrank_f32", "illcond_f64"):
        assert route[name] == "svd", (name, route)
        assert auto_rep[name]["gram_fallback"] is True
    assert int(auto["lowrank_f32"]["numerical_rank"]) == 40
    assert int(auto["lowrank_bf16"]["numerical_rank"]) == 40
    # the Gram values are within the documented bound of dgesdd's, sigma_i to err_bound/sigma_i
    for name in mats:
        if route[name] != "gram":
            continue
        sa = np.array(auto_rep[name]["arrays"]["singular_values"])
        se = np.array(exact_rep[name]["arrays"]["singular_values"])
        bound = float(auto[name]["lambda_err_bound"])
        r = int(auto[name]["numerical_rank"])
        assert np.all(np.abs(sa[:r] - se[:r]) <= bound / sa[:r]), name


def test_example_network_routes_agree(tmp_path):
    # the trained example MLP (examples/fashion_mlp.safetensors: 1000x784, 1000x1000 square,
    # 10x1000), F32
    path = os.path.join(SRC, "examples", "fashion_mlp.safetensors")
    auto, _ = analyze(path, tmp_path / "auto")
    exact, _ = analyze(path, tmp_path / "exact", "--exact")
    assert auto.keys() == exact.keys()
    ok = [n for n in auto if auto[n]["status"] == "ok"]
    assert len(ok) == 3
    for name in ok:
        compare(auto, exact, name)
    assert auto["fc2.weight"]["method"] == "gram"  # the 1000 x 1000 square
