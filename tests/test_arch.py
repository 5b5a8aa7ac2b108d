"""Model structure end to end (issue 13): small checkpoints with the names, layouts and
config.json of GPT-2, Llama, Mixtral, Falcon (GQA), GPT-NeoX, Phi-3, Qwen-MoE and GPT-OSS stacked
experts, BERT, a PyTorch LSTM/GRU and a Conv1d audio model (tests/arch_models.py) are analysed by
`rmtk analyze --exact`; every analysed matrix's singular values must equal numpy's SVD of the
matrix cut by hand from the documented layout (1e-12 relative to the largest), its block, module
and expert must be the expected ones, and every other tensor must be listed as skipped with the
expected kind and a reason. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import arch_models  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def analyze(path, out, *extra):
    p = subprocess.run([CLI, "analyze", str(path), "--out", str(out), "--stats", "basic",
                        "--exact", "--no-plots", "--quiet", *map(str, extra)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(out, "report.json")) as f:
        return json.load(f)


def check(rep, m):
    got = {x["name"]: x for x in rep["matrices"]}
    skipped = {x["name"]: x for x in rep["skipped"]}
    assert set(got) == set(m.expect), (sorted(set(got) ^ set(m.expect)))
    for name, (w, block, module, expert) in m.expect.items():
        g = got[name]
        assert (g["rows"], g["cols"]) == w.shape, name
        assert (g["block"], g["module"], g["expert"]) == (block, module, expert), name
        sv = np.sort(np.asarray(g["arrays"]["singular_values"], dtype=float))[::-1]
        ref = np.linalg.svd(w, compute_uv=False)
        assert np.max(np.abs(sv - ref)) <= 1e-12 * ref[0], name
    for name, kind in m.skipped.items():
        assert name in skipped, name
        assert skipped[name]["skip"] == kind, (name, skipped[name])
    for name, s in skipped.items():
        assert s["reason"], name
    assert set(skipped) == set(m.skipped), sorted(set(skipped) ^ set(m.skipped))
    return got, skipped


@pytest.mark.parametrize("family", ["llama", "mixtral", "gpt2", "falcon", "gpt_neox", "phi3",
                                    "qwen_moe", "gpt_oss", "bert", "whisper_conv"])
def test_family(tmp_path, family):
    m = arch_models.FAMILIES[family](tmp_path / family)
    rep = analyze(tmp_path / family, tmp_path / "out")
    check(rep, m)
    with open(tmp_path / family / "config.json") as f:
        cfg = json.load(f)
    a = rep["inputs"][0]["architecture"]
    assert a["type"] == cfg["model_type"] and a["source"] == "config.json"
    heads = cfg.get("num_attention_heads", cfg.get("n_head", cfg.get("encoder_attention_heads")))
    assert a["heads"] == heads
    hidden = cfg.get("hidden_size", cfg.get("n_embd", cfg.get("d_model")))
    assert a["hidden"] == hidden and a["head_dim"] == cfg.get("head_dim", hidden // heads)


def test_rnn_torch(tmp_path):
    pytest.importorskip("torch")
    m = arch_models.rnn_torch(tmp_path / "rnn")
    rep = analyze(tmp_path / "rnn" / "model.pt", tmp_path / "out")
    got, skipped = check(rep, m)
    assert skipped["lm_head.weight"]["reason"] == "tied to embed.weight (same storage)"


def test_gpt2_tied_and_keep(tmp_path):
    """The byte-identical lm_head is 'tied to' wte; --fused keep analyses c_attn whole (out x
    in = its transpose); --keep-tied analyses lm_head; --skip-embeddings skips wte and wpe."""
    m = arch_models.gpt2(tmp_path / "g")
    rep = analyze(tmp_path / "g", tmp_path / "o1", "--fused", "keep", "--keep-tied",
                  "--skip-embeddings")
    got = {x["name"]: x for x in rep["matrices"]}
    sk = {x["name"]: x for x in rep["skipped"]}
    c = "transformer.h.1.attn.c_attn.weight"
    w = m.t[c].astype(float).T
    assert (got[c]["rows"], got[c]["cols"]) == w.shape and got[c]["module"] == "attn_qkv"
    sv = np.sort(got[c]["arrays"]["singular_values"])[::-1]
    assert np.max(np.abs(sv - np.linalg.svd(w, compute_uv=False))) <= 1e-12 * sv[0]
    assert c + "[q]" not in got and "lm_head.weight" in got
    assert sk["transformer.wte.weight"]["skip"] == "embed"
    rep = analyze(tmp_path / "g", tmp_path / "o2")
    sk = {x["name"]: x for x in rep["skipped"]}
    assert sk["lm_head.weight"]["reason"] == "tied to transformer.wte.weight (equal bytes)"
    assert "[q] [k] [v]" in sk[c]["reason"] and "--fused keep" in sk[c]["reason"]


def test_experts_csv(tmp_path):
    """experts.csv: per block and module the median and quartiles across experts, equal to
    numpy's (linear interpolation) over summary.csv's column."""
    arch_models.mixtral(tmp_path / "mx")
    analyze(tmp_path / "mx", tmp_path / "o")
    with open(tmp_path / "o" / "summary.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(tmp_path / "o" / "experts.csv", newline="") as f:
        ex = list(csv.DictReader(f))
    stat = "spectral_norm" if "spectral_norm" in rows[0] else "frobenius_norm"
    for block in range(arch_models.LAYERS):
        for module in ("mlp_gate", "mlp_up", "mlp_down"):
            vals = [float(r[stat]) for r in rows
                    if r["block"] == str(block) and r["module"] == module and r["expert"] != "-1"]
            assert len(vals) == arch_models.E
            e = [r for r in ex if r["block"] == str(block) and r["module"] == module
                 and r["statistic"] == stat]
            assert len(e) == 1 and int(e[0]["experts"]) == arch_models.E
            for q, col in ((50, "median"), (25, "q25"), (75, "q75"), (0, "min"), (100, "max")):
                assert abs(float(e[0][col]) - np.percentile(vals, q)) <= 1e-12 * abs(vals[0])


def test_conv_slices_and_stack_hint(tmp_path):
    """--conv slices reads a Conv1d kernel per tap; a 3-D tensor with no conv in its name in a
    model without config stays a stack, and when its matrices are small the reason names
    --stack3d conv; with --stack3d conv it is one (out, in*k) matrix."""
    m = arch_models.whisper_conv(tmp_path / "w")
    rep = analyze(tmp_path / "w", tmp_path / "o", "--conv", "slices")
    got = {x["name"]: x for x in rep["matrices"]}
    c2 = m.t["model.encoder.conv2.weight"].astype(float)
    for t in range(3):
        g = got[f"model.encoder.conv2.weight[{t}]"]
        sv = np.sort(g["arrays"]["singular_values"])[::-1]
        ref = np.linalg.svd(c2[:, :, t], compute_uv=False)
        assert np.max(np.abs(sv - ref)) <= 1e-12 * ref[0] and g["module"] == "conv"
    d = tmp_path / "amb"
    d.mkdir()
    k = np.random.default_rng(0).standard_normal((32, 16, 5)).astype(np.float32)
    arch_models.write_safetensors(d / "model.safetensors",
                                  {"encoder.proj.weight": k, "encoder.out.weight": k[:, :, 0]})
    rep = analyze(d / "model.safetensors", tmp_path / "o2")
    s = rep["skipped"][0]
    assert s["skip"] == "small" and "--stack3d conv" in s["reason"]
    rep = analyze(d / "model.safetensors", tmp_path / "o3", "--stack3d", "conv")
    g = [x for x in rep["matrices"] if x["name"] == "encoder.proj.weight"][0]
    ref = np.linalg.svd(k.astype(float).reshape(32, -1), compute_uv=False)
    assert (g["rows"], g["cols"]) == (32, 80)
    assert np.max(np.abs(np.sort(g["arrays"]["singular_values"])[::-1] - ref)) <= 1e-12 * ref[0]


def test_directory_index(tmp_path):
    """A directory with model.safetensors.index.json is read through the index: the consolidated
    copy beside the shards is ignored, and a missing shard is an error naming it."""
    d = tmp_path / "ll"
    arch_models.llama(d)
    rep = analyze(d, tmp_path / "o")
    assert len(rep["matrices"]) == 2 + 7 * arch_models.LAYERS
    assert rep["inputs"][0]["tensors"] == 1 + 9 * arch_models.LAYERS + 2  # each once
    os.remove(d / "model-00002-of-00002.safetensors")
    p = subprocess.run([CLI, "analyze", str(d), "--out", str(tmp_path / "o2"), "--quiet"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "model-00002-of-00002.safetensors" in p.stderr
    # without an index, two files with the same names: the error says why
    os.remove(d / "model.safetensors.index.json")
    p = subprocess.run([CLI, "analyze", str(d), "--out", str(tmp_path / "o3"), "--quiet"],
                       capture_output=True, text=True)
    assert p.returncode != 0 and "consolidated" in p.stderr


def test_onnx_lstm_gru(tmp_path):
    """ONNX LSTM W [dirs, 4H, in] / R [dirs, 4H, H] (gates i o f c) and GRU W/R (z r h): one
    matrix per direction and gate, named by the node that uses the initializer."""
    onnx = pytest.importorskip("onnx")
    from onnx import helper, numpy_helper, TensorProto
    r = np.random.default_rng(12)
    H, IN = 12, 20
    ws = {"lstm_W": r.standard_normal((2, 4 * H, IN)), "lstm_R": r.standard_normal((2, 4 * H, H)),
          "gru_W": r.standard_normal((1, 3 * H, IN)), "gru_R": r.standard_normal((1, 3 * H, H))}
    ws = {k: v.astype(np.float32) for k, v in ws.items()}
    nodes = [helper.make_node("LSTM", ["X", "lstm_W", "lstm_R"], ["Y"], hidden_size=H,
                              direction="bidirectional"),
             helper.make_node("GRU", ["X", "gru_W", "gru_R"], ["Z"], hidden_size=H)]
    g = helper.make_graph(nodes, "rnn",
                          [helper.make_tensor_value_info("X", TensorProto.FLOAT, [5, 1, IN])],
                          [helper.make_tensor_value_info("Y", TensorProto.FLOAT, None),
                           helper.make_tensor_value_info("Z", TensorProto.FLOAT, None)],
                          [numpy_helper.from_array(v, k) for k, v in ws.items()])
    path = tmp_path / "rnn.onnx"
    onnx.save(helper.make_model(g), str(path))
    rep = analyze(path, tmp_path / "o")
    got = {x["name"]: x for x in rep["matrices"]}
    sk = {x["name"]: x for x in rep["skipped"]}
    n = 0
    for name, w in ws.items():
        gates = "iofg" if name.startswith("lstm") else "zrn"
        side = "hh" if name.endswith("R") else "ih"
        for d in range(w.shape[0]):
            assert sk[f"{name}[{d}]"]["skip"] == "fused"
            for k, gate in enumerate(gates):
                e = got[f"{name}[{d}][{gate}]"]
                assert e["module"] == f"rnn_{side}_{gate}"
                ref = np.linalg.svd(w[d, k * H:(k + 1) * H].astype(float), compute_uv=False)
                sv = np.sort(e["arrays"]["singular_values"])[::-1]
                assert np.max(np.abs(sv - ref)) <= 1e-12 * ref[0]
                n += 1
    assert n == len(got) == 2 * 4 * 2 + 3 * 2


def _gguf(path, arch, meta_u32, tensors):
    """A GGUF v3 file (F32 tensors, ggml order: ne[0] is the row length) with string metadata
    general.architecture and u32 metadata META_U32, written by hand from the format spec
    (github.com/ggerganov/ggml docs/gguf.md), independent of rmtk's reader."""
    import struct

    def gstr(s):
        b = s.encode()
        return struct.pack("<Q", len(b)) + b
    kvs = [gstr("general.architecture") + struct.pack("<I", 8) + gstr(arch)]
    kvs += [gstr(k) + struct.pack("<II", 4, v) for k, v in meta_u32.items()]
    infos, data = [], b""
    for name, w in tensors.items():
        data += b"\0" * ((-len(data)) % 32)
        ne = list(w.shape[::-1])  # ggml: the fastest dimension first
        infos.append(gstr(name) + struct.pack("<I", len(ne)) +
                     b"".join(struct.pack("<q", n) for n in ne) + struct.pack("<IQ", 0, len(data)))
        data += np.ascontiguousarray(w, dtype="<f4").tobytes()
    h = b"GGUF" + struct.pack("<IQQ", 3, len(infos), len(kvs)) + b"".join(kvs) + b"".join(infos)
    h += b"\0" * ((-len(h)) % 32)
    path.write_bytes(h + data)


@pytest.mark.parametrize("kv_heads", [4, 2])
def test_gguf_attn_qkv(tmp_path, kv_heads):
    """llama.cpp's fused blk.N.attn_qkv.weight (phi2, phi3, ...): rows [q; k; v] of the
    presented (out x in) matrix, with the key/value widths from the GGUF metadata's
    head_count_kv (grouped-query attention when 2 < 4 heads)."""
    hidden, heads = 32, 4
    hd = hidden // heads
    out = hidden + 2 * kv_heads * hd
    r = np.random.default_rng(5)
    w = r.standard_normal((out, hidden)).astype(np.float32)
    o = r.standard_normal((hidden, hidden)).astype(np.float32)
    _gguf(tmp_path / "m.gguf", "phi2",
          {"phi2.block_count": 1, "phi2.attention.head_count": heads,
           "phi2.attention.head_count_kv": kv_heads, "phi2.embedding_length": hidden},
          {"blk.0.attn_qkv.weight": w, "blk.0.attn_output.weight": o})
    rep = analyze(tmp_path / "m.gguf", tmp_path / "out")
    got = {x["name"]: x for x in rep["matrices"]}
    kv = kv_heads * hd
    expect = {"blk.0.attn_qkv.weight[q]": (w[:hidden], "attn_q"),
              "blk.0.attn_qkv.weight[k]": (w[hidden:hidden + kv], "attn_k"),
              "blk.0.attn_qkv.weight[v]": (w[hidden + kv:], "attn_v"),
              "blk.0.attn_output.weight": (o, "attn_o")}
    assert set(got) == set(expect), sorted(got)
    for name, (m, module) in expect.items():
        g = got[name]
        assert (g["rows"], g["cols"], g["block"], g["module"]) == (*m.shape, 0, module), name
        ref = np.linalg.svd(m.astype(float), compute_uv=False)
        sv = np.asarray(g["arrays"]["singular_values"], dtype=float)
        assert np.max(np.abs(sv - ref)) <= 1e-12 * ref[0], name
    skipped = {x["name"]: x for x in rep["skipped"]}
    assert skipped["blk.0.attn_qkv.weight"]["skip"] == "fused"


def test_keras_gru(tmp_path):
    """A Keras 2 GRU (h5py writes the model.save layout, as tests/data/gen-keras.py): the kernel
    [in, 3H] and recurrent_kernel [H, 3H] are presented transposed and split into Keras's gate
    order z r h (the candidate gate named [n] as PyTorch's), each part against numpy."""
    h5py = pytest.importorskip("h5py")
    H, inp = 12, 16
    r = np.random.default_rng(9)
    k = r.standard_normal((inp, 3 * H)).astype(np.float32)
    rk = r.standard_normal((H, 3 * H)).astype(np.float32)
    b = r.standard_normal((2, 3 * H)).astype(np.float32)  # reset_after=True: two biases
    ws = [("gru_cell/kernel:0", k), ("gru_cell/recurrent_kernel:0", rk), ("gru_cell/bias:0", b)]
    cfg = {"class_name": "Sequential", "config": {"name": "s", "layers": [
        {"class_name": "GRU", "config": {"name": "gru", "units": H}}]}}
    with h5py.File(tmp_path / "gru.h5", "w") as f:
        f.attrs["keras_version"] = b"2.13.1"
        f.attrs["backend"] = np.bytes_(b"tensorflow")
        f.attrs["model_config"] = json.dumps(cfg).encode()
        g = f.create_group("model_weights")
        g.attrs["layer_names"] = np.array([b"gru"])
        lg = g.create_group("gru")
        lg.attrs["weight_names"] = np.array([("gru/" + w).encode() for w, _ in ws])
        for w, a in ws:
            lg.create_dataset("gru/" + w, data=a)
    rep = analyze(tmp_path / "gru.h5", tmp_path / "out")
    got = {x["name"]: x for x in rep["matrices"]}
    expect = {}
    for tensor, m in (("gru.gru_cell.kernel", k.T), ("gru.gru_cell.recurrent_kernel", rk.T)):
        for q, gate in enumerate("zrn"):
            expect["%s[%s]" % (tensor, gate)] = m[q * H:(q + 1) * H]
    assert set(got) == set(expect), sorted(got)
    for name, m in expect.items():
        g = got[name]
        assert (g["rows"], g["cols"]) == m.shape, name
        ref = np.linalg.svd(m.astype(float), compute_uv=False)
        sv = np.asarray(g["arrays"]["singular_values"], dtype=float)
        assert np.max(np.abs(sv - ref)) <= 1e-12 * ref[0], name
    skipped = {x["name"]: x for x in rep["skipped"]}
    assert skipped["gru.gru_cell.kernel"]["skip"] == "fused"
    assert "z r h" in skipped["gru.gru_cell.kernel"]["reason"]
