"""Names from files are untrusted (issue 10, section 6) and a run with nothing to analyse fails
(issue 12): control characters never reach the terminal raw, CSV cells a spreadsheet would take
for formulas are neutralised, JSON and CSV outputs are valid UTF-8 whatever bytes a name holds,
and files rmtk does not read are named for what they look like. Run by ctest with RMTK_CLI."""
import csv
import io
import json
import os
import struct
import subprocess
import zipfile

import numpy as np
from stfile import write_f32 as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True)


EVIL = "evil\x1b[2J\x07\x9bname"
FORMULAS = ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)"]


def test_control_characters_and_formulas(tmp_path):
    rng = np.random.default_rng(3)
    names = [EVIL] + FORMULAS
    path = tmp_path / "names.safetensors"
    write_safetensors(path, {n: rng.standard_normal((40, 30)) for n in names})
    p = run("describe", path)
    assert p.returncode == 0
    for raw in (b"\x1b", b"\x07", b"\xc2\x9b"):
        assert raw not in p.stdout
    assert b"evil\\x1b[2J\\x07\\x9bname" in p.stdout
    p = run("analyze", path, "--out", tmp_path / "o", "--no-plots", "--stats", "basic")
    assert p.returncode == 0, p.stderr
    for raw in (b"\x1b", b"\x07", b"\xc2\x9b"):
        assert raw not in p.stdout and raw not in p.stderr
    data = (tmp_path / "o" / "summary.csv").read_bytes()
    assert b"\x1b" not in data and b"\x07" not in data
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    got = sorted(r["name"] for r in rows)
    # formula cells start with an apostrophe; the control characters of a name become '?'
    assert got == sorted(["'" + f for f in FORMULAS] + ["evil?[2J??name"])
    assert all(not r["name"][0] in "=+-@" for r in rows)
    # JSON escapes control characters and keeps the name exactly
    text = (tmp_path / "o" / "report.json").read_bytes()
    assert b"\x1b" not in text and b"\xc2\x9b" not in text
    rep = json.loads(text.decode("utf-8"))
    assert sorted(m["name"] for m in rep["matrices"]) == sorted(names)


def npz_with_raw_name(path, raw_name, arr):
    """An .npz whose member name is raw bytes (not UTF-8): written by zipfile under a
    placeholder of the same length, then patched (the CRC covers only the data)."""
    ph = "N" * (len(raw_name) - 4) + ".npy"
    buf = io.BytesIO()
    np.save(buf, arr)
    with zipfile.ZipFile(path, "w") as z:
        z.writestr(ph, buf.getvalue())
    data = open(path, "rb").read()
    assert data.count(ph.encode()) == 2
    open(path, "wb").write(data.replace(ph.encode(), raw_name))


def test_invalid_utf8_names(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "bytes.npz"
    npz_with_raw_name(path, b"w\xff\xfe\x1b.npy", rng.standard_normal((40, 30)))
    p = run("describe", path)
    assert p.returncode == 0 and b"\x1b" not in p.stdout and b"\xff" not in p.stdout
    assert b"w\\xff\\xfe\\x1b" in p.stdout
    p = run("describe", "--json", path)
    d = json.loads(p.stdout.decode("utf-8"))
    assert d["files"][0]["tensors"][0]["name"] == "w\ufffd\ufffd\x1b"
    p = run("analyze", path, "--out", tmp_path / "o", "--no-plots", "--stats", "basic")
    assert p.returncode == 0, p.stderr
    assert b"\xff" not in p.stdout
    rows = list(csv.DictReader(io.StringIO(
        (tmp_path / "o" / "summary.csv").read_bytes().decode("utf-8"))))
    assert [r["name"] for r in rows] == ["w\ufffd\ufffd?"]
    rep = json.loads((tmp_path / "o" / "report.json").read_bytes().decode("utf-8"))
    assert rep["matrices"][0]["name"] == "w\ufffd\ufffd\x1b"


def test_zero_matrices_is_an_error(tmp_path):
    rng = np.random.default_rng(5)
    path = tmp_path / "biases.safetensors"
    write_safetensors(path, {f"b{i}": rng.standard_normal(30) for i in range(3)} |
                      {"w": rng.standard_normal((40, 30))})
    p = run("analyze", path, "--out", tmp_path / "o", "--no-plots", "--include", "^b")
    assert p.returncode == 6  # RMTK_ERR_NOTFOUND
    err = p.stderr.decode()
    assert "no matrix analysed" in err and "all 4 tensors were skipped" in err
    assert "(3 of 4): ndim" in err
    p = run("analyze", path, "--out", tmp_path / "o2", "--no-plots", "--include", "nothing")
    assert p.returncode == 6 and "(4 of 4): filter" in p.stderr.decode()
    p = run("analyze", path, "--out", tmp_path / "o3", "--no-plots", "--stats", "basic")
    assert p.returncode == 0


def test_formats_rmtk_does_not_read(tmp_path):
    nnue = tmp_path / "nn-62ef826d1a6d.nnue"
    nnue.write_bytes(struct.pack("<II", 0x7AF32F20, 0x3e5aa6ee) + b"\x01" * 300)
    p = run("describe", nnue)
    err = p.stderr.decode()
    assert p.returncode == 3
    assert "not a format rmtk reads" in err and "Stockfish NNUE" in err
    assert "rmtk reads: GGUF" in err and "NumPy .npy" in err and "PyTorch" in err and "safetensors" in err
    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps({"model_type": "gpt2", "n_layer": 12}))
    p = run("describe", cfg)
    err = p.stderr.decode()
    assert p.returncode == 3 and "Hugging Face config.json" in err and '"n_layer"' in err
