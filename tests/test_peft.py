"""PEFT LoRA adapters end to end: an adapter written the way PEFT writes it (adapter_model.safetensors
with names base_model.model.<module>.lora_A.weight / lora_B.weight, lora_embedding_A/B, and an
adapter_config.json with r, lora_alpha, rank_pattern, alpha_pattern, use_rslora), written here with
numpy bytes and a JSON header (an independent writer), analysed by `rmtk analyze`; every
Delta W = s B A checked against numpy's SVD of the dense product, the merged W + Delta W of
--base against numpy, unpaired factors skipped with their reason. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import struct
import subprocess

import numpy as np
import pytest
import torch

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
PFX = "base_model.model."



def assert_contract(got, ref, shape):
    """Singular values within the spectrum's accuracy contract (docs/methods/spectrum.md): the
    Gram route's bound (m + n) eps sigma_1^2 / sigma_i, or 1e-12 relative, whichever is larger."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert got.shape == ref.shape
    big = ref > 1e-6 * ref[0]
    bound = (shape[0] + shape[1]) * np.finfo(float).eps * ref[0] ** 2 / ref[big]
    assert np.all(np.abs(got[big] - ref[big]) <= np.maximum(bound, 1e-12 * ref[big])), \
        np.max(np.abs(got[big] - ref[big]) / bound)

def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, (dtype, shape, raw) in tensors.items():
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def f32(a):
    """(safetensors entry, the stored values as float64)."""
    a = np.ascontiguousarray(a, dtype="<f4")
    return ("F32", a.shape, a.tobytes()), a.astype(np.float64)


def bf16(a):
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)).to(torch.bfloat16)
    return ("BF16", a.shape, t.view(torch.int16).numpy().tobytes()), t.to(torch.float64).numpy()


def svd(x):
    return np.linalg.svd(x, compute_uv=False)


def make_adapter(d, rng, rslora=False, config=True):
    """Adapter and base model in d/adapter, d/base; returns {module: (dense Delta W, W)}."""
    hid, ff, vocab, r = 64, 160, 200, 8
    alpha, r_v, alpha_up = 16.0, 16, 32.0
    base, adapter, truth = {}, {}, {}
    for layer in range(2):
        for mod, (out, inp) in {"self_attn.q_proj": (hid, hid), "self_attn.v_proj": (hid, hid),
                                "mlp.up_proj": (ff, hid)}.items():
            name = f"model.layers.{layer}.{mod}"
            rr = r_v if mod.endswith("v_proj") else r
            al = alpha_up if mod.endswith("up_proj") else alpha
            wb, w = f32(rng.standard_normal((out, inp)) * 0.05)
            base[name + ".weight"] = wb
            conv = bf16 if (layer == 1 and mod.endswith("q_proj")) else f32
            ea, a = conv(rng.standard_normal((rr, inp)) * 0.1)
            eb, b = conv(rng.standard_normal((out, rr)) * 0.1)
            adapter[PFX + name + ".lora_A.weight"] = ea
            adapter[PFX + name + ".lora_B.weight"] = eb
            s = (al / np.sqrt(rr) if rslora else al / rr) if config else 1.0
            truth[PFX + name] = (s * b @ a, w)
    # a rank-deficient update: lora_B = B1 C of rank 3 < r = 8
    name = "model.layers.0.self_attn.k_proj"
    wb, w = f32(rng.standard_normal((hid, hid)) * 0.05)
    base[name + ".weight"] = wb
    ea, a = f32(rng.standard_normal((r, hid)) * 0.1)
    eb, b = f32(rng.standard_normal((hid, 3)) @ rng.standard_normal((3, r)) * 0.1)
    adapter[PFX + name + ".lora_A.weight"] = ea
    adapter[PFX + name + ".lora_B.weight"] = eb
    s = (alpha / np.sqrt(r) if rslora else alpha / r) if config else 1.0
    truth[PFX + name] = (s * b @ a, w)
    # an embedding: Delta W = s (B A)^T, [vocab, hid]
    wb, w = f32(rng.standard_normal((vocab, hid)) * 0.05)
    base["model.embed_tokens.weight"] = wb
    ea, a = f32(rng.standard_normal((r, vocab)) * 0.1)
    eb, b = f32(rng.standard_normal((hid, r)) * 0.1)
    adapter[PFX + "model.embed_tokens.lora_embedding_A"] = ea
    adapter[PFX + "model.embed_tokens.lora_embedding_B"] = eb
    s = (alpha / np.sqrt(r) if rslora else alpha / r) if config else 1.0
    truth[PFX + "model.embed_tokens"] = (s * (b @ a).T, w)
    # an unpaired factor: o_proj has lora_A only
    adapter[PFX + "model.layers.1.self_attn.o_proj.lora_A.weight"] = f32(
        rng.standard_normal((r, hid)))[0]
    base["model.layers.1.self_attn.o_proj.weight"] = f32(rng.standard_normal((hid, hid)))[0]
    (d / "adapter").mkdir()
    (d / "base").mkdir()
    write_safetensors(d / "adapter" / "adapter_model.safetensors", adapter)
    write_safetensors(d / "base" / "model.safetensors", base)
    if config:
        cfg = {"peft_type": "LORA", "task_type": "CAUSAL_LM", "r": r, "lora_alpha": alpha,
               "lora_dropout": 0.05, "bias": "none", "fan_in_fan_out": False,
               "use_rslora": rslora, "target_modules": ["q_proj", "v_proj", "up_proj", "o_proj",
                                                        "embed_tokens"],
               "rank_pattern": {"v_proj": r_v}, "alpha_pattern": {"mlp.up_proj": alpha_up},
               "base_model_name_or_path": "test/base", "inference_mode": True}
        (d / "adapter" / "adapter_config.json").write_text(json.dumps(cfg, indent=2))
    return truth


def analyse(d, *extra):
    out = d / "out"
    run("analyze", d / "adapter", "--out", out, "--no-plots", "--quiet", *extra)
    rep = json.loads((out / "report.json").read_text())
    with open(out / "summary.csv", newline="") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    return {m["name"]: m for m in rep["matrices"]}, {s["name"]: s for s in rep["skipped"]}, rows


def check_spectrum(got, dense, rank):
    ref = svd(dense)
    got = np.asarray(got)
    assert got.shape == ref.shape
    big = ref >= 1e-6 * ref[0]
    np.testing.assert_allclose(got[big], ref[big], rtol=1e-12, atol=0)
    assert np.all(got[rank:] == 0.0)  # exact zeros past the rank r


@pytest.mark.parametrize("rslora", [False, True])
def test_adapter_deltas(tmp_path, rslora):
    truth = make_adapter(tmp_path, np.random.default_rng(13 + rslora), rslora=rslora)
    mats, skipped, rows = analyse(tmp_path, "--base", tmp_path / "base")
    for module, (delta, w) in truth.items():
        m = mats[module + ".lora_delta"]
        # the numerical-rank rule of docs/report.md at the factors' storage precision (the
        # k_proj factor B1 C of rank 3, rounded to F32, is rank 3 to that precision)
        eps = 2.0 ** -7 if m["dtype"] == "BF16" else 2.0 ** -23
        sv = svd(delta)
        mm, nn = delta.shape
        tol = (sv[0] * max(mm, nn) * 2.0 ** -52 +
               eps / np.sqrt(3) * np.sqrt((sv ** 2).sum() / (mm * nn)) * (np.sqrt(mm) + np.sqrt(nn)))
        r = int((sv > tol).sum())
        assert m["method"] == "factors" and m["status"] == "ok"
        assert (m["rows"], m["cols"]) == delta.shape
        assert m["metrics"]["numerical_rank"] == r
        assert m["metrics"]["factor_inner"] == (16 if "v_proj" in module else 8)
        assert r == (3 if "k_proj" in module else m["metrics"]["factor_inner"])
        check_spectrum(m["arrays"]["singular_values"], delta, m["metrics"]["factor_inner"])
        assert m["metrics"]["stable_rank"] == pytest.approx((sv ** 2).sum() / sv[0] ** 2,
                                                            rel=1e-12)
        assert m["metrics"]["fro_norm2"] == pytest.approx((delta ** 2).sum(), rel=1e-12)
        # no bulk statistics on a rank-r matrix: too_few, no verdict
        assert m["statuses"]["mp_fit_status"] == "too_few"
        assert m["statuses"]["levels_status"] == "too_few"
        assert m["looks_random"] is None and m["verdict"].startswith("low-rank product")
        assert rows[module + ".lora_delta"]["method"] == "factors"
        # the merged W + Delta W against numpy, and the fraction it moves
        g = mats[module + ".lora_merged"]
        assert g["method"] in ("gram", "svd") and g["status"] == "ok"
        merged = w + delta
        ref = svd(merged)
        assert_contract(g["arrays"]["singular_values"], ref, (g["rows"], g["cols"]))
        assert g["metrics"]["delta_fro2_frac"] == pytest.approx(
            (delta ** 2).sum() / (w ** 2).sum(), rel=1e-10)
        assert g["metrics"].get("factor_inner") is None
    # the factors themselves are listed as skipped, naming the product
    a = skipped[PFX + "model.layers.0.self_attn.q_proj.lora_A.weight"]
    assert a["skip"] == "factor" and PFX + "model.layers.0.self_attn.q_proj.lora_delta" in a["reason"]
    # the unpaired lora_A: skipped with the name of its missing partner, no merged entry
    o = skipped[PFX + "model.layers.1.self_attn.o_proj.lora_A.weight"]
    assert o["skip"] == "factor" and "without its lora_B" in o["reason"]
    assert "o_proj.lora_B.weight" in o["reason"]
    assert not any("o_proj.lora_delta" in n or "o_proj.lora_merged" in n for n in mats)
    # rank and alpha patterns: v_proj has r = 16, up_proj alpha 32
    assert mats[PFX + "model.layers.0.self_attn.v_proj.lora_delta"]["metrics"]["factor_inner"] == 16


def test_no_config_and_min_side(tmp_path):
    """Without adapter_config.json the scale alpha/r is unknown: the product is B A, named
    "<module>.lora_BA". A product with a side below --min-side is skipped with its shape."""
    truth = make_adapter(tmp_path, np.random.default_rng(5), config=False)
    mats, _, _ = analyse(tmp_path)
    for module, (delta, _) in truth.items():
        m = mats[module + ".lora_BA"]
        check_spectrum(m["arrays"]["singular_values"], delta, np.linalg.matrix_rank(delta))
    out = tmp_path / "out2"
    p = run("analyze", tmp_path / "adapter", "--out", out, "--no-plots", "--quiet",
            "--min-side", "100", check=False)
    assert p.returncode != 0 and "no matrix analysed" in p.stderr  # every product is 64 wide
    skipped = {s["name"]: s for s in json.loads((out / "report.json").read_text())["skipped"]}
    s = skipped[PFX + "model.layers.0.mlp.up_proj.lora_BA"]
    assert s["skip"] == "small" and "product 160 x 64 of inner dimension 8" in s["reason"]


def test_describe_lists_products(tmp_path):
    truth = make_adapter(tmp_path, np.random.default_rng(3))
    # rmtk spectrum on a factor tensor of a pair gives the product's values (factor route)
    mod = PFX + "model.layers.0.mlp.up_proj"
    p = run("spectrum", tmp_path / "adapter", "--tensor", mod + ".lora_B.weight")
    got = np.array([float(x) for x in p.stdout.split()])
    check_spectrum(got, truth[mod][0], 8)
    p = run("describe", "--json", tmp_path / "adapter")
    tensors = {t["name"]: t for t in json.loads(p.stdout)["files"][0]["tensors"]}
    b = tensors[PFX + "model.layers.0.self_attn.q_proj.lora_B.weight"]
    assert b["matrices"] == [{"name": PFX + "model.layers.0.self_attn.q_proj.lora_delta",
                              "rows": 64, "cols": 64, "inner": 8, "scale": 2.0}]
    a = tensors[PFX + "model.layers.0.self_attn.q_proj.lora_A.weight"]
    assert a["skip"]["kind"] == "factor"


def test_gpt2_conv1d_base(tmp_path):
    """fan_in_fan_out (GPT-2 Conv1D stores W as (in, out)): Delta W = s B A is (out x in), the
    merged weight is W + Delta W^T, for a non-square c_fc (the shapes say so) and a square
    c_proj (the config's fan_in_fan_out says so), and a fused c_attn merged whole. The c_attn
    [d, 3d] makes the base a GPT-2 model whose Conv1D weights are read transposed: the square
    c_proj then takes Delta W itself (before the fix it added Delta W^T to the transposed base)."""
    rng = np.random.default_rng(21)
    hid, ff, r, alpha = 64, 256, 4, 8.0
    base, adapter, truth = {}, {}, {}
    # c_attn is a fused q/k/v projection: the base's layers split it into parts for analysis,
    # but the adapter updates the whole fused weight, so that is what merges
    for name, (inp, out) in {"transformer.h.0.mlp.c_fc": (hid, ff),
                             "transformer.h.0.attn.c_proj": (hid, hid),
                             "transformer.h.0.attn.c_attn": (hid, 3 * hid)}.items():
        wb, w = f32(rng.standard_normal((inp, out)) * 0.05)  # Conv1D: (in, out)
        base[name + ".weight"] = wb
        ea, a = f32(rng.standard_normal((r, inp)) * 0.1)
        eb, b = f32(rng.standard_normal((out, r)) * 0.1)
        adapter[PFX + name + ".lora_A.weight"] = ea
        adapter[PFX + name + ".lora_B.weight"] = eb
        truth[PFX + name] = (alpha / r * b @ a, w)
    (tmp_path / "adapter").mkdir()
    (tmp_path / "base").mkdir()
    write_safetensors(tmp_path / "adapter" / "adapter_model.safetensors", adapter)
    write_safetensors(tmp_path / "base" / "model.safetensors", base)
    (tmp_path / "adapter" / "adapter_config.json").write_text(json.dumps(
        {"peft_type": "LORA", "r": r, "lora_alpha": alpha, "fan_in_fan_out": True,
         "target_modules": ["c_fc", "c_proj", "c_attn"]}))
    mats, skipped, _ = analyse(tmp_path, "--base", tmp_path / "base")
    # the adapter's factors are not split by the name of the module they adapt
    assert not any("[" in n for n in skipped) and PFX + "transformer.h.0.attn.c_attn.lora_A.weight" in skipped
    for module, (delta, w) in truth.items():
        m = mats[module + ".lora_delta"]
        assert (m["rows"], m["cols"]) == delta.shape
        check_spectrum(m["arrays"]["singular_values"], delta, r)
        g = mats[module + ".lora_merged"]
        assert_contract(g["arrays"]["singular_values"], svd(w + delta.T), (g["rows"], g["cols"]))
        # not W + Delta W for the square one: a different spectrum
        if w.shape[0] == w.shape[1]:
            assert not np.allclose(g["arrays"]["singular_values"], svd(w + delta), rtol=1e-6)


def test_base_missing_module_and_filter(tmp_path):
    """A module without a base weight: the merged entry is skipped naming the tensor looked for.
    --include matching only one factor of a pair filters its partner too."""
    make_adapter(tmp_path, np.random.default_rng(8))
    os.remove(tmp_path / "base" / "model.safetensors")
    write_safetensors(tmp_path / "base" / "model.safetensors",
                      {"model.layers.0.self_attn.q_proj.weight": f32(np.ones((64, 64)))[0]})
    mats, skipped, _ = analyse(tmp_path, "--base", tmp_path / "base")
    s = skipped[PFX + "model.layers.0.mlp.up_proj.lora_merged"]
    assert "no base weight 'model.layers.0.mlp.up_proj.weight'" in s["reason"]
    assert PFX + "model.layers.0.self_attn.q_proj.lora_merged" in mats
    out = tmp_path / "out3"
    p = run("analyze", tmp_path / "adapter", "--out", out, "--no-plots", "--quiet",
            "--include", "layers\\.0\\.self_attn\\.q_proj\\.lora_A", check=False)
    assert p.returncode != 0 and "no matrix analysed" in p.stderr
    rep = json.loads((out / "report.json").read_text())
    sk = {s["name"]: s for s in rep["skipped"]}
    a = sk[PFX + "model.layers.0.self_attn.q_proj.lora_A.weight"]
    assert a["skip"] == "filter" and "its LoRA partner" in a["reason"]
    assert sk[PFX + "model.layers.0.self_attn.q_proj.lora_B.weight"]["skip"] == "filter"
    assert rep["matrices"] == []


def test_unpairable(tmp_path):
    """Factors that cannot be paired are skipped with the values; a broken config is an error."""
    rng = np.random.default_rng(4)
    d = tmp_path / "adapter"
    d.mkdir()
    m = PFX + "model.layers.0.self_attn."
    write_safetensors(d / "adapter_model.safetensors", {
        m + "q_proj.lora_A.weight": f32(rng.standard_normal((8, 64)))[0],
        m + "q_proj.lora_A": f32(rng.standard_normal((8, 64)))[0],  # the same factor again
        m + "q_proj.lora_B.weight": f32(rng.standard_normal((64, 8)))[0],
        m + "k_proj.lora_A.weight": f32(rng.standard_normal((8, 64)))[0],
        m + "k_proj.lora_B.weight": f32(rng.standard_normal((64, 16)))[0],  # r 16 != 8
        m + "v_proj.lora_A.weight": f32(rng.standard_normal((4, 64)))[0],  # config says r 8
        m + "v_proj.lora_B.weight": f32(rng.standard_normal((64, 4)))[0],
    })
    (d / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 8,
                                                       "lora_alpha": 8}))
    mats, skipped, _ = analyse(tmp_path)
    assert list(mats) == [m + "q_proj.lora_delta"]
    assert "same module and adapter" in skipped[m + "q_proj.lora_A"]["reason"]
    assert "do not multiply" in skipped[m + "k_proj.lora_A.weight"]["reason"]
    assert "inner dimensions 16 and 8" in skipped[m + "k_proj.lora_B.weight"]["reason"]
    assert "says r = 8" in skipped[m + "v_proj.lora_A.weight"]["reason"]
    (d / "adapter_config.json").write_text('{"r": 8, "lora_alpha": }')
    p = run("analyze", d, "--out", tmp_path / "o2", "--no-plots", "--quiet", check=False)
    assert p.returncode != 0 and "adapter_config.json: not valid JSON" in p.stderr
