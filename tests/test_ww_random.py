"""WeightWatcher's randomised columns (issue 20): rand_distance is WeightWatcher's Jensen-Shannon
distance of the sorted eigenvalues (checked through the C API against scipy's jensenshannon on
the same vectors), ww_softrank / ww_maxdist / max_rand_eval are consistent with lambda_max, the
columns are seeded (same seed, same values; another seed, other values) and tell a structured
layer from a random one."""
import csv
import ctypes
import os
import subprocess

import numpy as np
import pytest
from scipy.spatial.distance import jensenshannon

from test_ww_variants import CLI, write_safetensors


def run(*args):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    return p


def lib():
    p = os.path.join(os.path.dirname(CLI), "librmtk.so")
    if not os.path.exists(p):
        pytest.skip("no librmtk.so next to %s" % CLI)
    if "libasan" in subprocess.run(["readelf", "-d", p], capture_output=True, text=True).stdout:
        pytest.skip("librmtk.so is a sanitizer build: not loadable through ctypes")
    L = ctypes.CDLL(p)
    L.rmtk_null_js_distance.argtypes = [ctypes.POINTER(ctypes.c_double),
                                        ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                        ctypes.POINTER(ctypes.c_double)]
    return L


def test_js_distance_equals_scipy():
    L = lib()
    rng = np.random.default_rng(4)
    for n in (1, 2, 10, 500):
        a = np.sort(rng.exponential(size=n))
        b = np.sort(rng.exponential(size=n) * 3)
        b[0] = 0.0  # zeros allowed (0 ln 0 = 0)
        out = ctypes.c_double()
        ca, cb = (ctypes.c_double * n)(*a), (ctypes.c_double * n)(*b)
        if n == 1:
            b = a.copy()
            cb = (ctypes.c_double * n)(*b)
        assert L.rmtk_null_js_distance(ca, cb, n, ctypes.byref(out)) == 0
        assert out.value == pytest.approx(jensenshannon(a, b), rel=1e-12, abs=1e-15)
    bad = (ctypes.c_double * 2)(1.0, -1.0)
    assert L.rmtk_null_js_distance(bad, bad, 2, ctypes.byref(out)) != 0


@pytest.fixture(scope="module")
def outs(tmp_path_factory):
    d = tmp_path_factory.mktemp("rand")
    rng = np.random.default_rng(5)
    noise = rng.standard_normal((150, 300)) / np.sqrt(300)
    u = np.linalg.qr(rng.standard_normal((150, 5)))[0]
    v = np.linalg.qr(rng.standard_normal((300, 5)))[0]
    structured = noise + (u * np.array([8.0, 7, 6, 5, 4])) @ v.T
    p = d / "m.safetensors"
    write_safetensors(p, {"noise": noise.astype(np.float32),
                          "structured": structured.astype(np.float32)})
    res = {}
    for seed in (1, 1, 2):
        out = d / f"o{seed}_{len(res)}"
        run("analyze", p, "--out", out, "--no-plots", "--quiet", "--stats", "basic,mp,null",
            "--replicas", 2, "--seed", seed)
        res.setdefault(seed, []).append(
            {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))})
    return res


def test_columns_consistent_and_seeded(outs):
    a, b = outs[1]
    c = outs[2][0]
    for name in ("noise", "structured"):
        r = a[name]
        lmax, rmax = float(r["lambda_max"]), float(r["max_rand_eval"])
        assert float(r["ww_softrank"]) == pytest.approx(rmax / lmax, rel=1e-15)
        assert float(r["ww_maxdist"]) == pytest.approx(lmax - rmax, rel=1e-12)
        assert 0 < float(r["rand_distance"]) < np.sqrt(np.log(2))
        for key in ("rand_distance", "max_rand_eval", "rand_num_spikes"):
            assert r[key] == b[name][key]  # same seed, same numbers
        assert r["rand_distance"] != c[name]["rand_distance"]  # another seed, another shuffle
    # a shuffle destroys the 5 planted directions: they reappear as distance and spikes
    s, n = a["structured"], a["noise"]
    assert float(s["rand_distance"]) > 3 * float(n["rand_distance"])
    assert float(s["ww_softrank"]) < 0.5 < float(n["ww_softrank"])
    assert int(s["n_spikes"]) == 5 and int(s["rand_num_spikes"]) == 0
