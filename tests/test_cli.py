"""End-to-end tests of the rmtk command line against numpy/torch, on files written by numpy,
torch and the struct module (independent writers). Run by ctest with RMTK_CLI set."""
import csv
import json
import math
import os
import struct
import subprocess

import numpy as np
import pytest
import torch
from stfile import write_raw as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def f32(a):
    return ("F32", a.shape, a.astype("<f4").tobytes())


def bf16(a):
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(torch.bfloat16)
    return ("BF16", a.shape, t.view(torch.int16).numpy().tobytes()), t.to(torch.float64).numpy()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    rng = np.random.default_rng(7)
    d = tmp_path_factory.mktemp("cli")
    w1 = rng.standard_normal((300, 120))
    w2 = rng.standard_normal((64, 200))
    w3_entry, w3 = bf16(rng.standard_normal((150, 90)))
    conv = rng.standard_normal((16, 8, 3, 3))
    tensors = {
        "layer1.weight": f32(w1), "layer1.bias": f32(rng.standard_normal(300)),
        "layer2.weight": f32(w2), "layer3.weight": w3_entry,
        "conv.weight": f32(conv), "tiny.weight": f32(rng.standard_normal((8, 40))),
    }
    path = d / "m.safetensors"
    write_safetensors(path, tensors, {"note": "written by test_cli.py"})
    ref = {"layer1.weight": w1.astype(np.float32).astype(np.float64),
           "layer2.weight": w2.astype(np.float32).astype(np.float64),
           "layer3.weight": w3,
           "conv.weight": conv.astype(np.float32).astype(np.float64).reshape(16, 72)}
    return d, path, ref


def test_spectrum_matches_numpy(model):
    d, path, ref = model
    for name, w in ref.items():
        out = run("spectrum", path, "--tensor", name).stdout.split()
        sv = np.array([float(x) for x in out])
        s = np.linalg.svd(w, compute_uv=False)
        assert sv.shape == s.shape
        keep = s >= 1e-6 * s[0]
        assert np.all(np.abs(sv - s)[keep] <= 1e-10 * s[keep]), name
        exact = np.array([float(x) for x in run("spectrum", path, "--tensor", name,
                                                "--exact").stdout.split()])
        assert np.all(np.abs(exact - s)[keep] <= 1e-10 * s[keep]), name


def test_spectrum_npy_fortran_and_bigendian(tmp_path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((70, 130))
    for arr, label in ((np.asfortranarray(w), "F"), (w.astype(">f8"), "BE"),
                       (w.astype(np.float16), "f16")):
        p = tmp_path / f"w_{label}.npy"
        np.save(p, arr)
        sv = np.array([float(x) for x in run("spectrum", p, "--tensor", f"w_{label}").stdout.split()])
        s = np.linalg.svd(np.asarray(arr, dtype=np.float64), compute_uv=False)
        assert np.allclose(sv, s, rtol=1e-10, atol=0), label


def test_analyze_outputs(model):
    d, path, ref = model
    out = d / "out"
    p = run("analyze", path, "--out", out, "--threads", "2")
    assert "layer1.weight" in p.stdout and "skipped" in p.stdout
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    required = "name,rows,cols,dtype,method,fro_norm2,spectral_norm,stable_rank,log_norm," \
               "log_spectral_norm,n_above_mp_edge,status".split(",")
    with open(out / "summary.csv") as f:
        header = f.readline().strip().split(",")
    for c in required:
        assert c in header, c
    assert rows["layer1.bias"]["status"] == "skipped" and "1-D" in rows["layer1.bias"]["reason"]
    assert rows["tiny.weight"]["status"] == "skipped" and "8" in rows["tiny.weight"]["reason"]
    assert rows["layer3.weight"]["dtype"] == "BF16"
    for name, w in ref.items():
        r = rows[name]
        assert r["status"] == "ok"
        s = np.linalg.svd(w, compute_uv=False)
        lam = s ** 2
        n, m = w.shape
        assert int(r["rows"]) == n and int(r["cols"]) == m
        assert math.isclose(float(r["fro_norm2"]), np.sum(w * w), rel_tol=1e-12)
        assert math.isclose(float(r["spectral_norm"]), s[0], rel_tol=1e-12)
        assert math.isclose(float(r["stable_rank"]), np.sum(lam) / lam[0], rel_tol=1e-12)
        assert math.isclose(float(r["log_spectral_norm"]), math.log10(lam[0]), rel_tol=1e-12)
        assert int(r["numerical_rank"]) == np.linalg.matrix_rank(w)
        p_ = lam / lam.sum()
        h = -np.sum(p_ * np.log(p_))
        assert math.isclose(float(r["spectral_entropy"]), h / math.log(len(s)), rel_tol=1e-10)
        edge = np.sum(w * w) / (n * m) * (math.sqrt(n) + math.sqrt(m)) ** 2
        assert int(r["n_above_mp_edge"]) == int(np.sum(lam > edge))
    rep = json.load(open(out / "report.json"))
    assert rep["schema_version"] == 1 and rep["precision"] == "float64"
    assert rep["inputs"][0]["metadata"]["note"] == "written by test_cli.py"
    mats = {m["name"]: m for m in rep["matrices"]}
    sv = np.array(mats["layer2.weight"]["arrays"]["singular_values"])
    assert np.allclose(sv, np.linalg.svd(ref["layer2.weight"], compute_uv=False), rtol=1e-10)
    skipped = {s["name"]: s for s in rep["skipped"]}
    assert skipped["layer1.bias"]["skip"] == "ndim"
    assert skipped["tiny.weight"]["skip"] == "small"


def test_analyze_conv_slices_and_filters(model):
    d, path, ref = model
    out = d / "slices"
    run("analyze", path, "--out", out, "--conv", "slices", "--exclude", "^layer", "--min-side", 8,
        "--quiet")
    rows = list(csv.DictReader(open(out / "summary.csv")))
    names = [r["name"] for r in rows if r["status"] == "ok"]
    assert sorted(names) == sorted([f"conv.weight[{k}]" for k in range(9)] + ["tiny.weight"])
    conv = ref["conv.weight"].reshape(16, 8, 3, 3)
    r4 = next(r for r in rows if r["name"] == "conv.weight[4]")
    s = np.linalg.svd(conv[:, :, 1, 1], compute_uv=False)
    assert math.isclose(float(r4["spectral_norm"]), s[0], rel_tol=1e-12)
    assert all(r["status"] == "skipped" for r in rows if r["tensor"].startswith("layer"))


def test_results_independent_of_threads(model):
    d, path, _ = model
    for t in (1, 2, 3):
        run("analyze", path, "--out", d / f"t{t}", "--threads", t, "--quiet")
    a = open(d / "t1" / "summary.csv").read()
    assert a == open(d / "t2" / "summary.csv").read() == open(d / "t3" / "summary.csv").read()


def test_errors_are_reported(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 1000) + b"{}")
    p = run("analyze", bad, "--out", tmp_path / "o", check=False)
    assert p.returncode == 3  # RMTK_ERR_FORMAT
    assert "bad.safetensors" in p.stderr
    p = run("analyze", tmp_path / "missing.safetensors", "--out", tmp_path / "o", check=False)
    assert p.returncode == 2 and "missing.safetensors" in p.stderr
    p = run("analyze", "--bogus", check=False)
    assert p.returncode == 5
    # A matrix with a NaN: status error for that matrix, the others analysed, exit status 9.
    rng = np.random.default_rng(1)
    w = rng.standard_normal((20, 30)).astype(np.float32)
    w[3, 4] = np.nan
    path = tmp_path / "nan.safetensors"
    write_safetensors(path, {"good": f32(rng.standard_normal((20, 30))), "bad": f32(w)})
    p = run("analyze", path, "--out", tmp_path / "nan", check=False)
    assert p.returncode == 9
    rows = {r["name"]: r for r in csv.DictReader(open(tmp_path / "nan" / "summary.csv"))}
    assert rows["good"]["status"] == "ok"
    assert rows["bad"]["status"] == "error" and "(3, 4)" in rows["bad"]["reason"]


def test_help_and_version():
    assert run("--help").stdout.startswith("rmtk ")
    for cmd in ("analyze", "spectrum", "describe"):
        assert "usage: rmtk " + cmd in run(cmd, "--help").stdout


def ww_alpha(lam):
    """WeightWatcher's default power-law fit, transcribed from issue 4's specification."""
    x = np.sort(lam[lam > 1e-5])
    best = None
    for j in range(len(x) - 1):
        xmin = x[j]
        tail = x[j:]
        n = len(tail)
        a = 1 + n / (np.sum(np.log(tail)) - n * np.log(xmin))
        d = np.max(np.abs(1 - (tail / xmin) ** (1 - a) - np.arange(n) / n))
        if best is None or d < best[2]:
            best = (a, xmin, d, n)
    return best


def test_analyze_mp_and_tails(tmp_path):
    rng = np.random.default_rng(5)
    n, m, v = 600, 300, 0.04
    noise = rng.standard_normal((n, m)) * math.sqrt(v)
    u = rng.standard_normal(n); u /= np.linalg.norm(u)
    w_ = rng.standard_normal(m); w_ /= np.linalg.norm(w_)
    # One planted spike far above the bulk edge sqrt(v)(sqrt n + sqrt m) = 8.36.
    spiked = noise + 20.0 * np.outer(u, w_)
    heavy = rng.standard_t(3, size=(400, 200))
    path = tmp_path / "m.safetensors"
    write_safetensors(path, {"noise": ("F64", noise.shape, noise.tobytes()),
                             "spiked": ("F64", spiked.shape, spiked.tobytes()),
                             "heavy": ("F64", heavy.shape, heavy.tobytes())})
    out = tmp_path / "o"
    run("analyze", path, "--out", out, "--stats", "mp,tails", "--bootstrap", "50", "--quiet")
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    # mp_sigma2 is the entry variance whatever the eigenvalue convention (within 3 %).
    assert abs(float(rows["noise"]["mp_sigma2"]) / v - 1) < 0.03
    assert abs(float(rows["spiked"]["mp_sigma2"]) / v - 1) < 0.03
    assert int(rows["noise"]["n_spikes"]) <= 1
    assert int(rows["spiked"]["n_spikes"]) >= 1
    lp = float(rows["noise"]["mp_lambda_plus"])
    assert math.isclose(lp, float(rows["noise"]["mp_sigma2"]) * (math.sqrt(n) + math.sqrt(m)) ** 2,
                        rel_tol=1e-12)
    s = np.linalg.svd(spiked, compute_uv=False)
    assert math.isclose(float(rows["spiked"]["mp_softrank"]),
                        float(rows["spiked"]["mp_lambda_plus"]) / s[0] ** 2, rel_tol=1e-10)
    rep = json.load(open(out / "report.json"))
    mats = {mm["name"]: mm for mm in rep["matrices"]}
    sp = mats["spiked"]["arrays"]
    assert math.isclose(sp["spike_lambda"][0], s[0] ** 2, rel_tol=1e-10)
    # BBP: theta from the top value, in units of sqrt(v max(N, M)); planted 20 / sqrt(v n).
    assert abs(sp["spike_theta"][0] / (20.0 / math.sqrt(v * n)) - 1) < 0.1
    # tails: the WeightWatcher-compatible columns against a numpy transcription of the formula.
    for name, w in (("heavy", heavy), ("noise", noise)):
        lam = np.linalg.svd(w, compute_uv=False) ** 2
        a, xmin, d, nt = ww_alpha(lam)
        r = rows[name]
        assert math.isclose(float(r["alpha"]), a, rel_tol=1e-9), name
        assert math.isclose(float(r["xmin"]), xmin, rel_tol=1e-12), name
        assert math.isclose(float(r["ks_d"]), d, rel_tol=1e-9), name
        assert int(r["n_tail"]) == nt, name
        assert math.isclose(float(r["alpha_weighted"]), a * math.log10(lam.max()), rel_tol=1e-9)
        assert r["csn_p_gof"] != ""
    assert rep["parameters"]["tails"]["bootstrap"] == 50
    # ESD on the simulate/theory scale (eigenvalues of W^T W / N): mean = ||W||_F^2 / (N M).
    for name, w in (("noise", noise), ("spiked", spiked)):
        r = rows[name]
        assert math.isclose(float(r["esd_mean"]), np.sum(w * w) / (n * m), rel_tol=1e-12)
        lam = np.linalg.svd(w, compute_uv=False) ** 2 / n
        assert math.isclose(float(r["esd_var"]), np.var(lam), rel_tol=1e-9)
        assert float(r["zero_atom"]) == 0.0
    # The pure-noise ESD is close to its fitted MP law (KS ~ 1/sqrt(300) scale), the heavy one not.
    assert float(rows["noise"]["mp_law_ks"]) < 0.05
    assert float(rows["heavy"]["mp_law_ks"]) > float(rows["noise"]["mp_law_ks"])


def test_tail_reads_npy_like_text(tmp_path):
    rng = np.random.default_rng(2)
    x = rng.pareto(1.5, 3000) + 1.0
    np.save(tmp_path / "x.npy", x)
    (tmp_path / "x.txt").write_text("\n".join(repr(float(v)) for v in x) + "\n")
    a = json.loads(run("tail", tmp_path / "x.npy", "--json", "--bootstrap", "20").stdout)
    b = json.loads(run("tail", tmp_path / "x.txt", "--json", "--bootstrap", "20").stdout)
    assert a["csn"] == b["csn"]
    assert abs(a["csn"]["alpha"] - 2.5) < 4 * a["csn"]["alpha_err"]
    np.savez(tmp_path / "two.npz", a=x, b=x)
    p = run("tail", tmp_path / "two.npz", check=False)
    assert p.returncode == 5 and "--tensor" in p.stderr
    c = json.loads(run("tail", tmp_path / "two.npz", "--tensor", "b", "--json",
                       "--bootstrap", "20").stdout)
    assert c["csn"] == a["csn"]


def test_analyze_vectors_and_null(tmp_path):
    rng = np.random.default_rng(9)
    n, m = 300, 200
    noise = rng.standard_normal((n, m))
    # A localised rank-1 signal: the top singular vectors live on 5 coordinates.
    u = np.zeros(n); u[:5] = 1 / math.sqrt(5)
    w_ = np.zeros(m); w_[:5] = 1 / math.sqrt(5)
    local = noise + 60.0 * np.outer(u, w_)
    path = tmp_path / "v.safetensors"
    write_safetensors(path, {"noise": ("F64", noise.shape, noise.tobytes()),
                             "local": ("F64", local.shape, local.tobytes())})
    for t in (1, 2):
        run("analyze", path, "--out", tmp_path / f"o{t}", "--stats", "vectors,null",
            "--threads", t, "--replicas", 3, "--quiet")
    assert (tmp_path / "o1" / "summary.csv").read_text() == \
        (tmp_path / "o2" / "summary.csv").read_text()
    rows = {r["name"]: r for r in csv.DictReader(open(tmp_path / "o1" / "summary.csv"))}
    # Pure noise: about alpha of the 2 x 200 vectors rejected (binomial sd 0.011 at 400).
    assert 0.01 <= float(rows["noise"]["pt_frac_rejected"]) <= 0.10
    assert math.isclose(float(rows["noise"]["ipr_ref"]), (3 / (n + 2) + 3 / (m + 2)) / 2,
                        rel_tol=1e-12)
    rep = json.load(open(tmp_path / "o1" / "report.json"))
    mats = {mm["name"]: mm for mm in rep["matrices"]}
    arr = mats["local"]["arrays"]
    assert arr["pt_p_left"][0] < 0.05 and arr["pt_p_right"][0] < 0.05
    assert float(rows["local"]["pt_top_decile_frac_rejected"]) > \
        float(rows["noise"]["pt_top_decile_frac_rejected"])
    # IPR of the top left vector against numpy's.
    uu, s, vt = np.linalg.svd(local, full_matrices=False)
    assert math.isclose(arr["ipr_left"][0], float(np.sum(uu[:, 0] ** 4)), rel_tol=1e-8)
    # Null model: the noise ESD is close to its shuffles', the structured one far from them.
    assert float(rows["noise"]["null_ks"]) < 0.15
    assert float(rows["local"]["null_ks"]) > float(rows["noise"]["null_ks"])
    assert len(arr["null_ks_each"]) == 6
    assert rep["parameters"]["null"]["replicas"] == 3


def r_tilde(levels):
    e = np.sort(levels)
    d = np.diff(e)
    r = d[1:] / d[:-1]
    return np.minimum(r, 1 / r)


def test_analyze_levels(tmp_path):
    rng = np.random.default_rng(4)
    gauss = rng.standard_normal((1200, 600))
    diag = np.zeros((600, 600))
    diag[np.arange(600), np.arange(600)] = rng.uniform(1, 2, 600)  # i.i.d. levels: Poisson
    path = tmp_path / "l.safetensors"
    write_safetensors(path, {"gauss": ("F64", gauss.shape, gauss.tobytes()),
                             "diag": ("F64", diag.shape, diag.tobytes())})
    for unfold in ("gauss:15", "mp", "poly:9"):
        out = tmp_path / unfold.replace(":", "_")
        run("analyze", path, "--out", out, "--unfold", unfold, "--quiet")
        rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
        g, d = rows["gauss"], rows["diag"]
        # <r~> needs no unfolding: numpy's value exactly, and GOE / Poisson within 3 sem.
        s = np.linalg.svd(gauss, compute_uv=False)
        assert math.isclose(float(g["r_mean"]), float(np.mean(r_tilde(s))), rel_tol=1e-9)
        assert abs(float(g["r_mean"]) - 0.5307) < 3 * float(g["r_sem"]) + 0.005
        assert abs(float(d["r_mean"]) - 0.3863) < 3 * float(d["r_sem"]) + 0.005
        # GOE statistics accepted for the Gaussian matrix, Poisson for the diagonal one.
        assert float(g["ks_p_goe"]) > 0.001, unfold
        assert float(d["ks_p_goe"]) < 0.001, unfold
        assert float(g["brody_beta"]) > 0.7 and float(d["brody_beta"]) < 0.3, unfold
        rep = json.load(open(out / "report.json"))
        arr = {m["name"]: m for m in rep["matrices"]}["gauss"]["arrays"]
        assert len(arr["sigma2"]) == len(arr["curve_L"]) == len(arr["sigma2_goe"])
        i1 = arr["curve_L"].index(1.0)
        assert math.isclose(arr["sigma2"][i1], float(g["sigma2_L1"]), rel_tol=1e-12)
        assert math.isclose(arr["sigma2_goe"][i1], 0.4463, abs_tol=1e-4)
    assert rep["parameters"]["levels"]["unfold"] == "poly"


def test_simulate_rows_compare_with_analyze(tmp_path):
    """rmtk simulate --stats writes the same summary.csv columns as rmtk analyze, one row per
    sample, on the scale of a weight matrix (mp_sigma2 = the simulated entry variance)."""
    sim = tmp_path / "sim"
    run("simulate", "wishart", "--dims", "1000,500", "--sigma2", "0.5", "--samples", 3,
        "--seed", 3, "--stats", "basic,mp,levels", "--analysis-out", sim)
    rows = list(csv.DictReader(open(sim / "summary.csv")))
    assert [r["name"] for r in rows] == ["wishart[0]", "wishart[1]", "wishart[2]"]
    for r in rows:
        assert r["method"] == "given" and int(r["rows"]) == 1000 and int(r["cols"]) == 500
        assert abs(float(r["mp_sigma2"]) / 0.5 - 1) < 0.02
        assert abs(float(r["r_mean"]) - 0.5307) < 3 * float(r["r_sem"]) + 0.005
        assert math.isclose(float(r["esd_mean"]), float(r["mp_sigma2_naive"]), rel_tol=1e-9)
    # Same columns as an analysis of a real matrix with the same statistics.
    rng = np.random.default_rng(0)
    w = rng.standard_normal((1000, 500)) * math.sqrt(0.5)
    path = tmp_path / "w.safetensors"
    write_safetensors(path, {"w": ("F64", w.shape, w.tobytes())})
    run("analyze", path, "--out", tmp_path / "real", "--quiet", "--stats", "basic,mp,levels")
    assert open(sim / "summary.csv").readline() == open(tmp_path / "real" / "summary.csv").readline()
    p = run("simulate", "goe", "--n", 100, "--stats", "basic", "--analysis-out", tmp_path / "g",
            check=False)
    assert p.returncode == 4 and "symmetric" in p.stderr


def test_describe_names_the_stored_layout():
    """A tensor a reader permuted to (out, in, ...) says how it was stored: describe --json's
    "layout" (null when presented as stored) and "(HWIO)" after the shape in the table."""
    path = os.path.join(os.environ.get("RMTK_TEST_DATA", "build/testdata"), "keras", "keras2.h5")
    if not os.path.exists(path):
        pytest.skip("no Keras golden data (tests/data/gen-keras.py needs python3-h5py)")
    p = subprocess.run([CLI, "describe", "--json", path], capture_output=True, text=True,
                       check=True)
    layout = {t["name"]: t["layout"] for t in json.loads(p.stdout)["files"][0]["tensors"]}
    assert layout["conv2d.kernel"] == "HWIO" and layout["dense_1.kernel"] == "in,out"
    assert layout["conv2d.bias"] is None
    table = subprocess.run([CLI, "describe", path], capture_output=True, text=True,
                           check=True).stdout
    line = next(x for x in table.splitlines() if x.strip().startswith("conv2d.kernel"))
    assert "5 x 2 x 3 x 3 (HWIO)" in line
