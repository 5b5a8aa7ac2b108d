"""The TensorFlow.js reader on real models, against TF.js itself.

The models: every uint8-quantised weights manifest of npm @vladmandic/face-api (pinned below;
SSD MobileNet v1, face recognition ResNet, landmarks, age/gender, expressions, tiny detector).
The oracle: tfjs-core's own tf.io.decodeWeights, run with node (tests/tfjs-decode.js), on the
same shards. rmtk's values (rmtk_model_read_f64 through ctypes on librmtk.so) must equal TF.js's
float32 values bit for bit once TF.js's stored axis order is permuted to rmtk's documented
presentation, and `rmtk spectrum` must give numpy's singular values of those matrices.
Everything is fetched at test time into a cache (env RMTK_TFJS_CACHE, default
~/.cache/rmtk/tfjs) with npm; without node, npm or the network the test skips and says why.
"""
import ctypes
import json
import os
import shutil
import subprocess
import tarfile
import time

import numpy as np
import pytest

CLI = os.environ.get("RMTK_CLI", "rmtk")
SRC = os.environ.get("RMTK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
CACHE = os.environ.get("RMTK_TFJS_CACHE", os.path.expanduser("~/.cache/rmtk/tfjs"))
FACE_API = "@vladmandic/face-api@1.7.15"
FACE_TGZ = "vladmandic-face-api-1.7.15.tgz"
TFJS = ["@tensorflow/tfjs-core@4.22.0", "@tensorflow/tfjs-backend-cpu@4.22.0"]
MODELS = ["age_gender_model", "face_expression_model", "face_landmark_68_model",
          "face_landmark_68_tiny_model", "face_recognition_model", "ssd_mobilenetv1_model",
          "tiny_face_detector_model"]


def _run(cmd, cwd):
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600)
    if p.returncode != 0:
        raise RuntimeError("%s: %s" % (" ".join(cmd), (p.stderr or p.stdout)[-500:]))


@pytest.fixture(scope="module")
def env():
    """(model directory, NODE_PATH) in the cache, fetched once."""
    for tool in ("node", "npm"):
        if not shutil.which(tool):
            pytest.skip("TF.js oracle unavailable: %s is not installed" % tool)
    os.makedirs(CACHE, exist_ok=True)
    models = os.path.join(CACHE, "face-api-1.7.15", "package", "model")
    nm = os.path.join(CACHE, "node", "node_modules")
    try:
        if not os.path.isdir(models):
            if not os.path.exists(os.path.join(CACHE, FACE_TGZ)):
                _run(["npm", "pack", "--silent", FACE_API], CACHE)
            tmp = os.path.join(CACHE, "face-api-1.7.15.tmp")
            shutil.rmtree(tmp, ignore_errors=True)
            with tarfile.open(os.path.join(CACHE, FACE_TGZ)) as t:
                t.extractall(tmp, members=[m for m in t.getmembers()
                                           if m.name.startswith("package/model/") and m.isfile()])
            os.replace(tmp, os.path.join(CACHE, "face-api-1.7.15"))
        core = os.path.join(nm, "@tensorflow", "tfjs-core", "package.json")
        if not os.path.exists(core) or json.load(open(core))["version"] != "4.22.0":
            d = os.path.join(CACHE, "node")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "package.json"), "w") as f:
                f.write('{"private": true}\n')
            _run(["npm", "install", "--ignore-scripts", "--no-audit", "--no-fund", *TFJS], d)
    except (RuntimeError, OSError, subprocess.TimeoutExpired, tarfile.TarError) as e:
        pytest.skip("TF.js oracle unavailable (npm, network or cache): %s" % e)
    return models, nm


def lib():
    for name in ("librmtk.so", "librmtk.dylib"):
        p = os.path.join(os.path.dirname(CLI), name)
        if os.path.exists(p):
            # A sanitizer build (make test-asan) cannot be loaded into python without preloading
            # the ASan runtime, and python exits at the dlopen; the Release run checks the values.
            dyn = subprocess.run(["readelf", "-d", p], capture_output=True, text=True).stdout
            if "libasan" in dyn:
                pytest.skip("librmtk.so is a sanitizer build: not loadable through ctypes "
                            "(the Release build's run compares the values)")
            L = ctypes.CDLL(p)
            L.rmtk_model_open.argtypes = [ctypes.c_char_p, ctypes.POINTER(ctypes.c_void_p)]
            L.rmtk_model_close.argtypes = [ctypes.c_void_p]
            L.rmtk_model_errmsg.argtypes = [ctypes.c_void_p]
            L.rmtk_model_errmsg.restype = ctypes.c_char_p
            L.rmtk_model_find.argtypes = [ctypes.c_void_p, ctypes.c_char_p,
                                          ctypes.POINTER(ctypes.c_size_t)]
            L.rmtk_model_read_f64.argtypes = [ctypes.c_void_p, ctypes.c_size_t,
                                              ctypes.c_void_p, ctypes.c_size_t]
            L.rmtk_model_bytes_read.argtypes = [ctypes.c_void_p]
            L.rmtk_model_bytes_read.restype = ctypes.c_uint64
            return L
    return None


def presented(name, a):
    """TF.js's stored array in rmtk's presentation (docs/formats.md, TensorFlow.js: the name
    and rank rule, the only one a bare manifest allows): a depthwise kernel is skipped (None);
    a rank-4 kernel whose last name component says kernel/filter/weight is HWIO -> OIHW; a
    rank-2 one saying kernel/weight is [in, out] -> [out, in]; the rest as stored."""
    last = name.split("/")[-1]
    if "depthwise" in last and a.ndim in (3, 4):
        return None
    if a.ndim == 2 and ("kernel" in last or "weight" in last):
        return a.T
    if 3 <= a.ndim <= 5 and any(w in last for w in ("kernel", "filter", "weight")):
        return a.transpose(a.ndim - 1, a.ndim - 2, *range(a.ndim - 2))
    return a


def decode(env, model, tmp_path):
    models, nm = env
    manifest = os.path.join(models, model + "-weights_manifest.json")
    out = tmp_path / model
    out.mkdir()
    e = dict(os.environ, NODE_PATH=nm)
    p = subprocess.run(["node", os.path.join(SRC, "tests", "tfjs-decode.js"), manifest,
                        str(out)], capture_output=True, text=True, env=e, timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    index = json.load(open(out / "index.json"))
    arrays = {}
    for w in index:
        if w["file"]:
            dt = np.float32 if w["dtype"] == "float32" else np.int32
            arrays[w["name"]] = np.fromfile(out / w["file"], dtype=dt).reshape(w["shape"])
    return manifest, index, arrays


@pytest.mark.parametrize("model", MODELS)
def test_values_equal_tfjs(env, model, tmp_path):
    manifest, index, arrays = decode(env, model, tmp_path)
    L = lib()
    if L is None:
        pytest.skip("no librmtk.so next to %s" % CLI)
    m = ctypes.c_void_p()
    t0 = time.perf_counter()
    st = L.rmtk_model_open(manifest.encode(), ctypes.byref(m))
    t_open = time.perf_counter() - t0
    assert st == 0, L.rmtk_model_errmsg(m)
    assert L.rmtk_model_bytes_read(m) == 0  # the index reads no tensor byte
    nbytes = sum(os.path.getsize(os.path.join(os.path.dirname(manifest), p))
                 for g in json.load(open(manifest)) for p in g["paths"])
    print("%s: %d weights, %d shard bytes, index %.4f s" % (model, len(index), nbytes, t_open))
    checked = 0
    try:
        for name, a in arrays.items():
            i = ctypes.c_size_t()
            assert L.rmtk_model_find(m, name.encode(), ctypes.byref(i)) == 0, name
            p = presented(name, a)
            want = np.ascontiguousarray(a if p is None else p).astype(np.float64).ravel()
            got = np.empty(want.size if want.size else 1)
            st = L.rmtk_model_read_f64(m, i.value, got.ctypes.data, got.size)
            assert st == 0, L.rmtk_model_errmsg(m)
            got = got[:want.size]
            assert np.array_equal(got.view(np.uint64), want.view(np.uint64)), \
                "%s %s: %d of %d values differ from TF.js" % (model, name,
                                                             int((got != want).sum()), want.size)
            checked += 1
        assert L.rmtk_model_bytes_read(m) == nbytes  # every tensor byte read once
    finally:
        L.rmtk_model_close(m)
    assert checked == len(arrays) and checked > 10


@pytest.mark.parametrize("model", ["face_recognition_model", "tiny_face_detector_model"])
def test_spectra_equal_numpy_on_tfjs(env, model, tmp_path):
    """describe's listing (depthwise kernels skipped with the reason) and `rmtk spectrum` of
    every matrix against numpy's SVD of TF.js's decoding, presented as (out, in * kh * kw)."""
    manifest, index, arrays = decode(env, model, tmp_path)
    d = subprocess.run([CLI, "describe", "--json", manifest], capture_output=True, text=True)
    assert d.returncode == 0, d.stderr
    listed = {t["name"]: t for t in json.loads(d.stdout)["files"][0]["tensors"]}
    specs = {w["name"]: w for g in json.load(open(manifest)) for w in g["weights"]}
    n = 0
    for name, a in arrays.items():
        t = listed[name]
        q = specs[name].get("quantization")
        assert t["stored_dtype"] == ((q["dtype"] + " (affine)" if a.dtype == np.float32 else
                                      "int32 as uint8 (affine)") if q else specs[name]["dtype"])
        p = presented(name, a)
        if p is None:
            assert "depthwise" in t["skip"]["reason"] and t["matrices"] == []
            continue
        assert t["shape"] == list(p.shape), name
        if p.ndim not in (2, 4) or min(p.shape[0], p[0].size) < 2:
            continue
        mat = p.reshape(p.shape[0], -1).astype(np.float64)
        s_np = np.linalg.svd(mat, compute_uv=False)
        r = subprocess.run([CLI, "spectrum", manifest, "--tensor", name, "--exact"],
                           capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        s = np.array([float(v) for v in r.stdout.split()])
        assert s.shape == s_np.shape, name
        np.testing.assert_allclose(s, s_np, rtol=0, atol=1e-12 * s_np[0], err_msg=name)
        n += 1
    assert n >= 7


PERM = {"in,out": lambda a: a.T,
        "WIO": lambda a: a.transpose(2, 1, 0), "HWIO": lambda a: a.transpose(3, 2, 0, 1),
        "DHWIO": lambda a: a.transpose(4, 3, 0, 1, 2), "HWOI": lambda a: a.transpose(2, 3, 0, 1)}


@pytest.mark.parametrize("model", ["layers/model.json", "graph/model.json",
                                   "manifest/manifest.json"])
def test_generated_models_decode_like_tfjs(env, model, tmp_path):
    """The golden values of tests/data/gen-tfjs.py (numpy's decoding, which test-tfjs.c holds
    rmtk to bit for bit) equal TF.js's own decoding of the same files: uint8/uint16 affine,
    int32 rounding, float16 (all 65536 patterns), shards split inside weights."""
    data = os.path.join(os.environ.get("RMTK_TEST_DATA", ""), "tfjs")
    if not os.path.exists(os.path.join(data, "expect.txt")):
        pytest.skip("no generated TF.js data in RMTK_TEST_DATA (the golden-data fixture)")
    _, nm = env
    out = tmp_path / "d"
    out.mkdir()
    p = subprocess.run(["node", os.path.join(SRC, "tests", "tfjs-decode.js"),
                        os.path.join(data, model), str(out)], capture_output=True, text=True,
                       env=dict(os.environ, NODE_PATH=nm), timeout=600)
    assert p.returncode == 0, p.stderr[-2000:]
    tf = {w["name"]: w for w in json.load(open(out / "index.json"))}
    n = 0
    for line in open(os.path.join(data, "expect.txt")):
        mdl, name, layout, skip, golden = line.split()
        if mdl != model or golden == "-":
            continue
        w = tf[name]
        a = np.fromfile(out / w["file"], dtype=np.float32 if w["dtype"] == "float32"
                        else np.int32).reshape(w["shape"])
        if layout != "-":
            a = PERM[layout](a)
        g = np.load(os.path.join(data, golden))
        assert a.shape == g.shape, name
        assert np.array_equal(np.ascontiguousarray(a).view(np.uint32),
                              np.ascontiguousarray(g).view(np.uint32)), name
        n += 1
    assert n >= 6
