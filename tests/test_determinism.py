"""Same input, same answer (issue 10, section 4): summary.csv does not depend on --threads or on
which other statistics were asked; --stats vectors serves every shape of a file; extreme
magnitudes give numpy's spectrum or a named error. Run by ctest with RMTK_CLI set."""
import csv
import itertools
import json
import os
import subprocess

import numpy as np
import pytest

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def rows_of(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def dead_columns(path):
    # The synthetic twin of nsfwjs InceptionV3's dense_1/kernel: a 2048 x 256 Gaussian layer,
    # entries N(0, 1/2048), whose last 144 columns are zero, stored as F32. Its 144 null singular
    # values are rounding noise: before the fix they changed with the BLAS thread count and with
    # the dgesdd route (values only vs vectors), and the MP fit moved with them.
    rng = np.random.default_rng(2048)
    w = rng.standard_normal((2048, 256)) / np.sqrt(2048)
    w[:, 112:] = 0
    np.save(path, w.astype(np.float32))
    return w.astype(np.float32).astype(np.float64)


def test_dead_columns_same_answer_across_threads_and_stats(tmp_path):
    # A single matrix: with one matrix the workers cannot take the threads, which used to go to
    # OpenBLAS inside the spectrum.
    w = dead_columns(tmp_path / "dense.npy")
    stats = ["basic,mp", "basic,mp,levels", "mp,vectors", "all"]
    out = {}
    for t in (1, 2, 3):
        for s in stats:
            d = tmp_path / f"t{t}_{s.replace(',', '_')}"
            run("analyze", tmp_path / "dense.npy", "--out", d, "--threads", t, "--stats", s,
                "--bootstrap", 20, "--replicas", 1, "--pt-samples", 50, "--quiet",
                "--no-plots")
            out[(t, s)] = (rows_of(d / "summary.csv")[0],
                           json.load(open(d / "report.json"))["matrices"][0])
    ref_row, ref_json = out[(1, "basic,mp")]
    # the spectrum itself: every value, the 144 null ones included, bitwise the same
    for key, (row, rep) in out.items():
        assert rep["arrays"]["singular_values"] == ref_json["arrays"]["singular_values"], key
    # every column two runs share, byte for byte (the CSV writes %.17g)
    shared = 0
    for (ka, (ra, _)), (kb, (rb, _)) in itertools.combinations(out.items(), 2):
        # the verdict summarises the statistics a run computed: equal for equal --stats only
        # and so do the model-level adjusted p-values: the family holds the tests computed
        derived = set() if ka[1] == kb[1] else {"verdict", "looks_random", "n_spikes_ctl",
                                                "mp_tw_p_adj", "mp_law_ks_p_adj",
                                                "r_p_goe_adj", "ks_p_goe_adj", "pt_p_adj",
                                                "pt_top_decile_frac_ctl"}
        for col in ra.keys() & rb.keys() - derived:
            assert ra[col] == rb[col], (ka, kb, col, ra[col], rb[col])
            shared += 1
    assert shared > 2000
    # and the spectrum is numpy's above the numerical rank
    s = np.linalg.svd(w, compute_uv=False)
    sv = np.array(ref_json["arrays"]["singular_values"])
    assert np.all(np.abs(sv[:112] - s[:112]) <= 1e-12 * s[0])
    assert int(ref_row["numerical_rank"]) == 112


def test_vectors_serve_every_shape_of_a_file(tmp_path):
    # dgesdd's workspace is not monotone: 130 x 70 takes the QR-first path (130 >= 11/6 * 70)
    # and needs more than 140 x 80; "--stats vectors" exited 7 with "dgesdd failed (info -13)".
    rng = np.random.default_rng(13)
    mats = {"a": rng.standard_normal((130, 70)), "b": rng.standard_normal((140, 80))}
    for n in (40, 55, 66, 79):
        thr = n * 11 // 6
        for m in (thr - 1, thr, thr + 1):
            mats[f"s{n}x{m}"] = rng.standard_normal((n, m))
            mats[f"t{m}x{n}"] = rng.standard_normal((m, n))
    np.savez(tmp_path / "shapes.npz", **mats)
    run("analyze", tmp_path / "shapes.npz", "--out", tmp_path / "basic", "--stats", "basic",
        "--quiet", "--no-plots")
    base = rows_of(tmp_path / "basic" / "summary.csv")
    run("analyze", tmp_path / "shapes.npz", "--out", tmp_path / "vec", "--stats",
        "basic,vectors", "--pt-method", "kolmogorov", "--quiet", "--no-plots")
    vec = rows_of(tmp_path / "vec" / "summary.csv")
    rep = {m["name"]: m for m in json.load(open(tmp_path / "vec" / "report.json"))["matrices"]}
    assert len(vec) == len(mats) == len(base)
    for rb, rv in zip(base, vec):
        assert rv["status"] == "ok", rv
        for col in rb:
            assert rb[col] == rv[col], (rb["name"], col)
        w = mats[rv["name"]]
        s = np.linalg.svd(w, compute_uv=False)
        sv = np.array(rep[rv["name"]]["arrays"]["singular_values"])
        assert np.allclose(sv, s, rtol=1e-12, atol=0), rv["name"]
        # the top left vector is numpy's up to sign (vectors came from the same plan)
        u = np.array(rep[rv["name"]]["arrays"]["vec_top_left"])
        uu = np.linalg.svd(w, full_matrices=False)[0][:, 0]
        assert abs(abs(u @ uu) - 1) < 1e-10, rv["name"]


@pytest.mark.parametrize("scale", [1e-170, 1e155])
def test_extreme_magnitudes(tmp_path, scale):
    rng = np.random.default_rng(17)
    g = rng.standard_normal((120, 80))
    w = g * scale
    np.save(tmp_path / "w.npy", w)
    # numpy's SVD of the scaled-back matrix, scaled (numpy's own on w underflows/overflows)
    s = np.linalg.svd(g, compute_uv=False) * scale
    for extra in ([], ["--exact"]):
        sv = np.array([float(x) for x in
                       run("spectrum", tmp_path / "w.npy", "--tensor", "w", *extra).stdout.split()])
        assert np.all(np.abs(sv - s) <= 1e-12 * s), extra
    # analyze works on lambda = sigma^2, which leaves the double range: a named error naming
    # sigma_1, never an "all-zero matrix" with exit 0 nor a bare "invalid argument"
    p = run("analyze", tmp_path / "w.npy", "--out", tmp_path / "o", "--quiet", "--no-plots",
            check=False)
    assert p.returncode == 8, p.stderr
    word = "underflows" if scale < 1 else "overflows"
    assert f"sigma_1 = {s[0]:.6g}" in p.stderr and word in p.stderr, p.stderr
    assert "all-zero" not in p.stderr and "invalid argument" not in p.stderr
