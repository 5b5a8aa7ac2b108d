"""rmtk compare and rmtk track, end to end on Hugging Face-style sharded bf16 checkpoints written
here with numpy (bf16 bytes by round-to-nearest-even of float32), checked against numpy's SVD
and scipy.linalg.subspace_angles. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import struct
import subprocess

import numpy as np
import pytest
import scipy.linalg

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
H = 64  # hidden size
RANK = 8  # rank of the update on q and v


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def to_bf16(a):
    """float -> bf16 bytes (uint16, round to nearest even) and the float64 values they hold."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    back = (u.astype(np.uint32) << 16).view(np.float32).astype(np.float64)
    return u, back


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, arr) in tensors.items():
        raw = arr.tobytes()
        header[name] = {"dtype": dtype, "shape": list(arr.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_sharded(d, tensors, split):
    """tensors: name -> (dtype, array); names with split(name) true go to shard 1."""
    d.mkdir(parents=True, exist_ok=True)
    shards = {"model-00001-of-00002.safetensors": {}, "model-00002-of-00002.safetensors": {}}
    for name, t in tensors.items():
        shards["model-0000%d-of-00002.safetensors" % (1 if split(name) else 2)][name] = t
    wmap = {}
    for fn, ts in shards.items():
        write_safetensors(d / fn, ts)
        wmap.update({n: fn for n in ts})
    (d / "model.safetensors.index.json").write_text(
        json.dumps({"metadata": {"total_size": 0}, "weight_map": wmap}))
    return d / "model.safetensors.index.json"


def names(block):
    p = f"model.layers.{block}."
    return {p + "self_attn.q_proj.weight": (H, H), p + "self_attn.k_proj.weight": (H, H),
            p + "self_attn.v_proj.weight": (H, H), p + "self_attn.o_proj.weight": (H, H),
            p + "mlp.up_proj.weight": (2 * H, H), p + "mlp.down_proj.weight": (H, 2 * H)}


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("compare")
    rng = np.random.default_rng(7)
    base, base64, target, target64, update = {}, {}, {}, {}, {}
    for b in (0, 1):
        for n, shape in names(b).items():
            w = 0.02 * rng.standard_normal(shape)
            # four planted directions well above the noise edge (0.02 (8 + 8) = 0.32 for 64x64)
            for s in (1.6, 1.2, 0.9, 0.7):
                u = rng.standard_normal(shape[0])
                v = rng.standard_normal(shape[1])
                w += s * np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
            bits, w64 = to_bf16(w)
            base[n], base64[n] = ("BF16", bits), w64
            if "q_proj" in n or "v_proj" in n:  # the merged low-rank update
                up = 0.005 * rng.standard_normal((shape[0], RANK)) @ rng.standard_normal(
                    (RANK, shape[1]))
                update[n] = up
                tb, t64 = to_bf16(w64 + up)
                target[n], target64[n] = ("BF16", tb), t64
            else:
                target[n], target64[n] = ("BF16", bits), w64
    norm = ("BF16", to_bf16(np.ones(H))[0])
    base["model.norm.weight"] = target["model.norm.weight"] = norm
    shard1 = lambda n: n.startswith("model.layers.0.")  # noqa: E731
    bpath = write_sharded(d / "base", base, shard1)
    tpath = write_sharded(d / "target", target, shard1)
    # the target with renamed tensors, one missing, one reshaped and one extra
    ren = {n.replace("model.layers.", "model.decoder.layers."): t for n, t in target.items()}
    del ren["model.decoder.layers.1.self_attn.o_proj.weight"]
    up = "model.decoder.layers.1.mlp.up_proj.weight"
    ren[up] = ("BF16", ren[up][1].reshape(H, 2 * H).copy())
    ren["model.decoder.extra.weight"] = ("BF16", to_bf16(rng.standard_normal((H, H)))[0])
    rpath = write_sharded(d / "renamed", ren, lambda n: ".layers.0." in n)
    out = d / "out"
    run("compare", bpath, tpath, "--out", out, "--quiet")
    out4 = d / "out4"
    run("compare", bpath, tpath, "--out", out4, "--top", "4", "--quiet", "--no-plots")
    return dict(d=d, base=bpath, target=tpath, renamed=rpath, base64=base64, target64=target64,
                update=update, out=out, out4=out4)


def read_csv(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_delta_rank_and_zero(models):
    rows = {r["name"]: r for r in read_csv(models["out"] / "compare.csv")}
    assert len(rows) == 12
    for n, r in rows.items():
        assert r["status"] == "ok", r
        b, t = models["base64"][n], models["target64"][n]
        s = np.linalg.svd(t - b, compute_uv=False)
        tol = float(r["delta_rank_tol"])
        if "q_proj" in n or "v_proj" in n:
            assert int(r["delta_rank"]) == RANK, (n, r["delta_rank"])
            assert r["delta_zero"] == "0" and r["reason"] == ""
            # the rank is clear-cut: the 8th value far above the tolerance, the 9th (bf16
            # rounding of the target) below it
            assert s[RANK - 1] > 10 * tol and s[RANK] < tol, (n, s[RANK - 1:RANK + 1], tol)
            assert float(r["delta_sigma_1"]) == pytest.approx(s[0], rel=1e-10)
            rel = np.linalg.norm(t - b) / np.linalg.norm(b)
            assert float(r["delta_rel_fro"]) == pytest.approx(rel, rel=1e-10)
            sr = (s ** 2).sum() / s[0] ** 2
            assert float(r["delta_stable_rank"]) == pytest.approx(sr, rel=1e-9)
        else:
            assert int(r["delta_rank"]) == 0 and r["delta_zero"] == "1"
            assert r["reason"] == "all-zero delta" and float(r["delta_sigma_1"]) == 0
            assert float(r["delta_rel_fro"]) == 0
        # both sides' statistics side by side, with their difference
        assert float(r["base_spectral_norm"]) == pytest.approx(np.linalg.norm(b, 2), rel=1e-9)
        assert float(r["target_spectral_norm"]) == pytest.approx(np.linalg.norm(t, 2), rel=1e-9)
        assert float(r["diff_spectral_norm"]) == pytest.approx(
            np.linalg.norm(t, 2) - np.linalg.norm(b, 2), abs=1e-9)
        # provenance: the shard each side's tensor came from, and the source labels
        shard = "model-00001-of-00002" if ".layers.0." in n else "model-00002-of-00002"
        assert r["file_base"].endswith(f"base/{shard}.safetensors")
        assert r["file_target"].endswith(f"target/{shard}.safetensors")
        assert (r["source_base"], r["source_target"]) == ("base", "target")
        assert r["module"] in ("attn_q", "attn_k", "attn_v", "attn_o", "mlp_up", "mlp_down")
        assert r["block"] == n.split(".")[2]
        # default top k: the base's MP outliers (four planted), at least 1
        assert r["base_mp_fit_status"] == "ok" and int(r["base_n_spikes"]) == 4
        assert int(r["top_k"]) == 4


def test_principal_angles_against_scipy(models):
    js = json.loads((models["out4"] / "compare.json").read_text())
    assert js["kind"] == "rmtk-compare" and js["schema_version"] == 1
    assert js["parameters"]["top"] == 4
    assert js["inputs"]["base"]["path"] == str(models["base"])
    assert js["inputs"]["target"]["format"] == "safetensors"
    assert js["summary"]["matched"] == 12 and js["summary"]["zero_deltas"] == 8
    worst = 0.0
    for m in js["matrices"]:
        n = m["name"]
        b, t = models["base64"][n], models["target64"][n]
        ub, _, vbt = np.linalg.svd(b)
        ut, _, vtt = np.linalg.svd(t)
        for side, (x, y) in {"left": (ub[:, :4], ut[:, :4]),
                             "right": (vbt[:4].T, vtt[:4].T)}.items():
            ref = np.sort(np.degrees(scipy.linalg.subspace_angles(x, y)))
            got = np.array(m["subspaces"][f"angles_{side}_deg"])
            assert np.all(np.diff(got) >= 0)
            assert got == pytest.approx(ref, abs=1e-6), (n, side, got, ref)
            worst = max(worst, float(np.max(np.abs(got - ref))))
            # overlap of each top target vector with the base's top-4 subspace
            ov = np.sum((x.T @ y) ** 2, axis=0)
            assert m["subspaces"][f"overlap_{side}"] == pytest.approx(ov, abs=1e-9)
        if m["delta"]["zero"]:
            assert max(m["subspaces"]["angles_left_deg"]) < 1e-5
    # the update moved the q/v subspaces measurably
    qv = [m for m in js["matrices"] if m["module"] in ("attn_q", "attn_v")]
    assert all(max(m["subspaces"]["angles_left_deg"]) > 0.1 for m in qv)
    print(f"largest deviation from scipy: {worst:.2e} degrees")


def test_outputs_and_figures(models):
    out = models["out"]
    html = (out / "report.html").read_text()
    assert "all-zero delta" in html and "<svg" in html
    for kind in ("rel_change", "delta_rank", "angle_left"):
        assert (out / "figures" / f"compare-{kind}.svg").exists()
        assert (out / "figures" / f"compare-{kind}.csv").exists()
    esd = sorted((out / "figures").glob("*-esd.svg"))
    assert len(esd) == 12


def test_rename_missing_reshaped(models):
    out = models["d"] / "ren"
    # without --rename nothing matches: an error that says so
    p = run("compare", models["base"], models["renamed"], "--out", out, check=False)
    assert p.returncode == 6 and "--rename" in p.stderr
    run("compare", models["base"], models["renamed"], "--out", out, "--quiet", "--no-plots",
        "--rename", r"^model\.decoder\.=model.", "--label", "B", "--label", "T")
    rows = read_csv(out / "compare.csv")
    ok = {r["name"]: r for r in rows if r["status"] == "ok"}
    assert len(ok) == 10
    assert all(r["source_base"] == "B" and r["source_target"] == "T" for r in ok.values())
    q = ok["model.layers.1.self_attn.q_proj.weight"]
    assert q["name_target"] == "model.decoder.layers.1.self_attn.q_proj.weight"
    assert int(q["delta_rank"]) == RANK
    odd = {(r["status"], r["name"]): r["reason"] for r in rows if r["status"] != "ok"}
    assert set(odd) == {("unmatched_base", "model.layers.1.self_attn.o_proj.weight"),
                        ("mismatch", "model.layers.1.mlp.up_proj.weight"),
                        ("unmatched_target", "model.extra.weight")}
    assert "128x64 in the base, 64x128 in the target" in odd[
        ("mismatch", "model.layers.1.mlp.up_proj.weight")]
    js = json.loads((out / "compare.json").read_text())
    assert js["parameters"]["rename"] == [{"from": r"^model\.decoder\.", "to": "model."}]
    assert [m["name"] for m in js["unmatched_base"]] == ["model.layers.1.self_attn.o_proj.weight"]
    assert js["mismatched"][0]["rows_target"] == H


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """Three sharded bf16 checkpoints; block 1's q_proj gains a growing rank-1 spike, the rest
    stays (bit for bit)."""
    d = tmp_path_factory.mktemp("track")
    rng = np.random.default_rng(11)
    n = 96
    ws = {f"model.layers.{b}.self_attn.{m}_proj.weight": 0.02 * rng.standard_normal((n, n))
          for b in range(3) for m in ("q", "k")}
    u, v = rng.standard_normal(n), rng.standard_normal(n)
    spike = np.outer(u / np.linalg.norm(u), v / np.linalg.norm(v))
    steps = (50, 100, 150)  # alphabetical order of the folders differs from the step order
    for step, theta in zip(steps, (0.1, 0.8, 1.6)):
        t = {k: ("BF16", to_bf16(w)[0]) for k, w in ws.items()}
        k1 = "model.layers.1.self_attn.q_proj.weight"
        t[k1] = ("BF16", to_bf16(ws[k1] + theta * spike)[0])
        write_sharded(d / "run" / f"checkpoint-{step}", t, lambda x: ".layers.0." in x)
    return d


def test_track(run_dir):
    out = run_dir / "out"
    run("track", "--glob", run_dir / "run" / "checkpoint-*", "--out", out, "--quiet")
    rows = read_csv(out / "track.csv")
    assert list(rows[0])[:6] == ["checkpoint", "step", "name", "tensor", "file", "source"]
    by = {}
    for r in rows:
        assert r["source"] == r["checkpoint"]
        assert r["file"] == str(run_dir / "run" / r["checkpoint"])  # the input path given
        by.setdefault(r["name"], []).append(r)
    assert len(by) == 6
    spiked = "model.layers.1.self_attn.q_proj.weight"
    for name, rs in by.items():
        assert [r["checkpoint"] for r in rs] == ["checkpoint-50", "checkpoint-100",
                                                "checkpoint-150"]
        assert [int(r["step"]) for r in rs] == [50, 100, 150]
        s1 = [float(r["spectral_norm"]) for r in rs]
        ns = [int(r["n_spikes"]) for r in rs]
        if name == spiked:
            assert s1[0] < s1[1] < s1[2], s1
            assert ns[0] < ns[2] and ns == sorted(ns), ns
        else:
            assert len(set(s1)) == 1 and len(set(ns)) == 1, (name, s1, ns)
    js = json.loads((out / "track.json").read_text())
    assert [c["step"] for c in js["checkpoints"]] == [50, 100, 150]
    assert js["checkpoints"][0]["step_unit"] == "checkpoint"
    assert (out / "figures" / "track-lambda_max-attn_q.svg").exists()
    assert (out / "figures" / "track-n_spikes-attn_k.csv").exists()
    assert "<svg" in (out / "report.html").read_text()


def test_track_step_forms(run_dir, tmp_path):
    src = run_dir / "run" / "checkpoint-50" / "model-00001-of-00002.safetensors"
    paths = []
    for form in ("epoch=3", "step_1200", "global_step-7", "iter_20"):
        (tmp_path / form).mkdir()
        (tmp_path / form / "model.safetensors").write_bytes(src.read_bytes())
        paths.append(tmp_path / form / "model.safetensors")
    run("track", *paths, "--out", tmp_path / "o", "--stats", "basic", "--quiet", "--no-plots")
    js = json.loads((tmp_path / "o" / "track.json").read_text())
    got = [(c["checkpoint"], c["step"], c["step_unit"]) for c in js["checkpoints"]]
    assert got == [("epoch=3", 3, "epoch"), ("global_step-7", 7, "global_step"),
                   ("iter_20", 20, "iter"), ("step_1200", 1200, "step")]
    run("track", *paths[:2], "--labels", "a,b", "--out", tmp_path / "o2", "--stats", "basic",
        "--quiet", "--no-plots")
    js = json.loads((tmp_path / "o2" / "track.json").read_text())
    assert [(c["checkpoint"], c["step"]) for c in js["checkpoints"]] == [("a", 3), ("b", 1200)]


def test_analyze_two_inputs_have_sources(models, tmp_path):
    run("analyze", models["base"], models["target"], "--out", tmp_path / "a", "--stats",
        "basic", "--quiet", "--no-plots")
    rows = read_csv(tmp_path / "a" / "summary.csv")
    keys = [(r["source"], r["name"]) for r in rows]
    assert len(keys) == len(set(keys)) == 26
    assert {r["source"] for r in rows} == {"base", "target"}
    rep = json.loads((tmp_path / "a" / "report.json").read_text())
    assert {i["source"] for i in rep["inputs"]} == {"base", "target"}
    assert all(m["source"] in ("base", "target") for m in rep["matrices"])
