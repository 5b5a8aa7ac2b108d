"""`rmtk analyze --conv pooled` (issue 20): WeightWatcher's pooled ESD of a Conv2D kernel
[out, in, kh, kw] (weightwatcher 0.7.5, pool=True: conv2D_Wmats takes the kh*kw slices
W[:, :, i, j], apply_normalize_Wmats scales each by conv2d_norm's sqrt(conv2d_count / 2) with
conv2d_count = 1, combined_eigenvalues pools sigma^2 of every slice into one sorted array),
against an independent numpy computation of the same, and WeightWatcher's alpha on it (the
oracle of tests/test_ww_variants.py)."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
from test_ww_variants import write_safetensors, ww_variant  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def ww_pooled_evals(w):
    """numpy: sigma^2 of every W[:, :, i, j] (each scaled by sqrt(1/2)), pooled, ascending."""
    out = []
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            s = np.linalg.svd(np.asarray(w[:, :, i, j], float) * np.sqrt(1 / 2.0),
                              compute_uv=False)
            out.append(s * s)
    return np.sort(np.concatenate(out))


def run(*args):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}"
    return p


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("pooled")
    rng = np.random.default_rng(4)
    t = {
        # heavy-tailed kernels, out >= in and out < in, 3x3 and 5x3 positions
        "features.0.weight": rng.standard_t(3, (64, 32, 3, 3)) / 20,
        "features.3.weight": rng.standard_t(4, (48, 80, 5, 3)) / 20,
        "classifier.weight": rng.standard_normal((10, 64)) / 8,
    }
    t = {k: v.astype(np.float32) for k, v in t.items()}
    p = d / "cnn.safetensors"
    write_safetensors(p, t)
    return d, p, t


def test_pooled_esd_and_alpha_match_weightwatcher(model):
    d, p, t = model
    out = d / "o"
    run("analyze", p, "--out", out, "--no-plots", "--quiet", "--conv", "pooled", "--stats",
        "basic,alpha,tails", "--bootstrap", "0")
    rep = json.load(open(out / "report.json"))
    assert rep["parameters"]["conv"] == "pooled"
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    mats = {m["name"]: m for m in rep["matrices"]}
    for name in ("features.0.weight", "features.3.weight"):
        w = t[name]
        ref = ww_pooled_evals(w)
        sv = np.asarray(mats[name]["arrays"]["singular_values"])
        ev = np.sort(sv ** 2)
        assert len(ev) == w.shape[2] * w.shape[3] * min(w.shape[:2])
        np.testing.assert_allclose(ev, ref, rtol=1e-10, atol=1e-10 * ref[-1])
        r = rows[name]
        assert int(r["conv_pooled"]) == w.shape[2] * w.shape[3]
        assert int(r["rows"]) == w.shape[0] and int(r["cols"]) == w.shape[1]
        ww = ww_variant(ref)
        assert float(r["alpha"]) == pytest.approx(ww["alpha"], rel=1e-10)
        assert float(r["xmin"]) == pytest.approx(ww["xmin"], rel=1e-10)
        assert float(r["ks_d"]) == pytest.approx(ww["ks_d"], rel=1e-9)
        assert int(r["n_tail"]) == ww["n_tail"]
        assert float(r["log_alpha_norm"]) == pytest.approx(ww["log_alpha_norm"], rel=1e-10)
        # WeightWatcher's layer norms on the pooled (scaled) eigenvalues
        assert float(r["log_norm"]) == pytest.approx(np.log10(ref.sum()), rel=1e-10)
        assert float(r["log_spectral_norm"]) == pytest.approx(np.log10(ref[-1]), rel=1e-10)
        assert float(r["stable_rank"]) == pytest.approx(ref.sum() / ref[-1], rel=1e-10)
        # the tails stage runs on the pooled values; the one-matrix stages do not
        assert r["csn_alpha"] != ""
    # a 2-D weight is unaffected
    assert rows["classifier.weight"]["conv_pooled"] == ""
    assert float(rows["classifier.weight"]["alpha"]) > 0


def test_pooled_with_tpl_and_other_stats(model):
    """--conv pooled with every statistic requested: the one-matrix stages (mp, levels, vectors,
    null, laws) are skipped for the pooled entries, the run succeeds."""
    d, p, t = model
    out = d / "all"
    run("analyze", p, "--out", out, "--no-plots", "--quiet", "--conv", "pooled", "--stats",
        "all", "--bootstrap", "0", "--replicas", "2", "--fit", "tpl")
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    r = rows["features.0.weight"]
    assert r["conv_pooled"] == "9"
    assert r["tpl_alpha"] != "" and r["alpha"] != ""
    assert r["pt_n_tested"] == "" and r["null_ks"] == ""
    assert rows["classifier.weight"]["pt_n_tested"] != ""


def test_slices_equal_pooled_union(model):
    """--conv slices gives the same kh*kw spectra, unscaled: their union / 2 is the pooled ESD."""
    d, p, t = model
    out = d / "s"
    run("analyze", p, "--out", out, "--no-plots", "--quiet", "--conv", "slices", "--stats",
        "basic")
    rep = json.load(open(out / "report.json"))
    sv = [np.asarray(m["arrays"]["singular_values"]) for m in rep["matrices"]
          if m["name"].startswith("features.0.weight[")]
    assert len(sv) == 9
    np.testing.assert_allclose(np.sort(np.concatenate(sv) ** 2) / 2,
                               ww_pooled_evals(t["features.0.weight"]), rtol=1e-10)


def read_safetensors(path):
    import struct
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, h in header.items():
            if name == "__metadata__" or h["dtype"] != "F32":
                continue
            a, b = h["data_offsets"]
            f.seek(base + a)
            out[name] = np.frombuffer(f.read(b - a), "<f4").reshape(h["shape"])
        return out


def test_real_conv_network():
    """A trained CNN of the real-weights suite (docs/realweights.md: face-api's
    face_recognition, a ResNet of 3x3 kernels): every pooled ESD and its alpha against numpy."""
    cache = os.environ.get("RMTK_REALWEIGHTS_CACHE",
                           os.path.expanduser("~/.cache/rmtk/realweights"))
    path = os.path.join(cache, "nets", "faceapi-face_recognition.safetensors")
    if not os.path.exists(path):
        pytest.skip("real-weights cache not converted (tests/realweights/fetch, convert.py)")
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        run("analyze", path, "--out", d, "--no-plots", "--quiet", "--conv", "pooled", "--stats",
            "basic,alpha")
        rep = json.load(open(os.path.join(d, "report.json")))
        rows = {r["name"]: r for r in csv.DictReader(open(os.path.join(d, "summary.csv")))}
    t = read_safetensors(path)
    mats = {m["name"]: m for m in rep["matrices"]}
    checked = 0
    for name, w in t.items():
        if w.ndim != 4 or w.shape[2] * w.shape[3] == 1 or min(w.shape[:2]) < 10:
            continue
        ref = ww_pooled_evals(w)
        ev = np.sort(np.asarray(mats[name]["arrays"]["singular_values"]) ** 2)
        np.testing.assert_allclose(ev, ref, rtol=1e-10, atol=1e-10 * ref[-1])
        ww = ww_variant(ref)
        assert float(rows[name]["alpha"]) == pytest.approx(ww["alpha"], rel=1e-10), name
        assert int(rows[name]["conv_pooled"]) == w.shape[2] * w.shape[3]
        checked += 1
    assert checked >= 10
