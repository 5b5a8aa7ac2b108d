"""WeightWatcher's fit variants (issue 20): --fix-fingers clip_xmax, --fix-fingers xmin_peak and
--ww-xmax K against an independent numpy re-implementation of WeightWatcher 0.7.5's documented
algorithm (weightwatcher.fit_powerlaw, RMT_Util.fit_clipped_powerlaw, WW_powerlaw.WWFit; the
powerlaw package's Fit with an xmin range for xmin_peak), on the same eigenvalues (the singular
values rmtk stores in report.json, squared)."""
import csv
import ctypes
import json
import os
import subprocess

import numpy as np
import pytest
from stfile import write_f32 as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
THRESH = 1e-5


def run(*args):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    assert p.returncode == 0, f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}"
    return p


def wwfit(data, every_position=True, lo=None, hi=None):
    """WWFit / powerlaw.Fit (continuous power law, lower ECDF KS, argmin D first) on ascending
    data; candidates every position (WWFit) or distinct values (powerlaw), xmin in [lo, hi]."""
    data = np.sort(np.asarray(data, float))
    n = len(data)
    logd = np.log(data)
    best = None
    for i in range(n - 1):
        x = data[i]
        if not every_position and i > 0 and data[i - 1] == x:
            continue
        if lo is not None and x < lo:
            continue
        if hi is not None and x > hi:
            continue
        if not every_position and x == data[-1]:
            continue
        m = n - i
        alpha = 1 + m / (np.sum(logd[i:]) - m * logd[i])
        d = np.max(np.abs(1 - (data[i:] / x) ** (1 - alpha) - np.arange(m) / m)) if alpha > 1 else 1
        if best is None or d < best[2]:
            best = (i, alpha, d)
    i, alpha, d = best
    return dict(xmin=data[i], alpha=alpha, D=d, sigma=(alpha - 1) / np.sqrt(n - i))


def ww_variant(evals, fix_fingers=None, xmax=None, max_fingers=10, finger_thresh=1.0):
    evals = np.sort(evals)
    full = evals[evals > THRESH]
    if isinstance(xmax, int) and xmax > 0:
        evals = evals[:-xmax]
    nz = evals[evals > THRESH]
    num_fingers = 0
    if fix_fingers == "xmin_peak":
        counts, edges = np.histogram(np.log10(nz), bins=100)
        xmin2 = 10 ** edges[np.argmax(counts)]
        fit = wwfit(nz, every_position=False, lo=np.log10(0.95 * xmin2), hi=1.5 * xmin2)
    elif fix_fingers == "clip_xmax":
        first = wwfit(nz)
        fit = first
        for idx in range(2, max_fingers):
            f = wwfit(nz[:-idx])
            if f["alpha"] + finger_thresh < first["alpha"]:
                fit, num_fingers = f, idx - 1
                break
            if f["alpha"] <= 2.0:
                break
    else:
        fit = wwfit(nz)
    lmax = full[-1]
    return dict(alpha=fit["alpha"], xmin=fit["xmin"], ks_d=fit["D"], alpha_err=fit["sigma"],
                n_tail=int(np.sum(evals >= fit["xmin"])), num_fingers=num_fingers,
                alpha_weighted=fit["alpha"] * np.log10(lmax),
                log_alpha_norm=np.log10(np.sum(full ** fit["alpha"])))


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    d = tmp_path_factory.mktemp("ww")
    rng = np.random.default_rng(3)
    t = {}
    for i in range(4):
        n, m = 300, 500
        w = rng.standard_normal((n, m)) / np.sqrt(m)
        # a heavy tail: columns scaled by Pareto factors, plus a few "fingers" (large spikes)
        w *= (1 + rng.pareto(2.5 + i, size=m))[None, :]
        u = np.linalg.qr(rng.standard_normal((n, 3)))[0]
        v = np.linalg.qr(rng.standard_normal((m, 3)))[0]
        w += (u * np.array([30.0, 25.0, 20.0])[: 3]) @ v.T * (i % 2)
        t[f"l{i}.weight"] = w.astype(np.float32)
    p = d / "m.safetensors"
    write_safetensors(p, t)
    return d, p


@pytest.mark.parametrize("opts,kw", [
    ([], {}),
    (["--fix-fingers", "clip_xmax"], {"fix_fingers": "clip_xmax"}),
    (["--fix-fingers", "xmin_peak"], {"fix_fingers": "xmin_peak"}),
    (["--ww-xmax", "3"], {"xmax": 3}),
])
def test_variant_matches_weightwatcher_algorithm(model, opts, kw):
    d, p = model
    out = d / ("o" + "_".join(opts).replace("-", ""))
    run("analyze", p, "--out", out, "--no-plots", "--quiet", "--stats", "basic,alpha", *opts)
    rep = json.load(open(out / "report.json"))
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    fingers = 0
    for mat in rep["matrices"]:
        sv = np.asarray(mat["arrays"]["singular_values"])
        ref = ww_variant(sv ** 2, **kw)
        r = rows[mat["name"]]
        for key in ("alpha", "xmin", "ks_d", "alpha_err", "alpha_weighted", "log_alpha_norm"):
            assert float(r[key]) == pytest.approx(ref[key], rel=1e-9), (mat["name"], key)
        assert int(r["n_tail"]) == ref["n_tail"]
        if kw.get("fix_fingers") == "clip_xmax":
            assert int(r["num_fingers"]) == ref["num_fingers"]
            fingers += ref["num_fingers"]
        else:
            assert r["num_fingers"] == ""
    # (these layers keep their first fit: the clipping branch is checked through the C API
    # below, with finger_thresh 0)


def test_fix_fingers_with_integer_xmax_is_refused(model):
    d, p = model
    r = subprocess.run([CLI, "analyze", str(p), "--out", str(d / "bad"), "--no-plots", "--quiet",
                        "--fix-fingers", "clip_xmax", "--ww-xmax", "2"], capture_output=True,
                       text=True)
    assert r.returncode != 0


class WWFit(ctypes.Structure):
    _fields_ = [("reason", ctypes.c_int32), ("pad", ctypes.c_int32), ("alpha", ctypes.c_double),
                ("alpha_err", ctypes.c_double), ("alpha_weighted", ctypes.c_double),
                ("log_alpha_norm", ctypes.c_double), ("xmin", ctypes.c_double),
                ("ks_d", ctypes.c_double), ("num_pl_spikes", ctypes.c_uint64),
                ("n_kept", ctypes.c_uint64), ("lambda_max", ctypes.c_double),
                ("num_fingers", ctypes.c_uint64), ("raw_alpha", ctypes.c_double)]


class WWParams(ctypes.Structure):
    _fields_ = [("fix_fingers", ctypes.c_int32), ("max_fingers", ctypes.c_int32),
                ("finger_thresh", ctypes.c_double), ("xmax_clip", ctypes.c_int64),
                ("fit", ctypes.c_int32), ("pad", ctypes.c_int32)]


def lib():
    p = os.path.join(os.path.dirname(CLI), "librmtk.so")
    if not os.path.exists(p):
        pytest.skip("no librmtk.so next to %s" % CLI)
    dyn = subprocess.run(["readelf", "-d", p], capture_output=True, text=True).stdout
    if "libasan" in dyn:
        pytest.skip("librmtk.so is a sanitizer build: not loadable through ctypes")
    L = ctypes.CDLL(p)
    L.rmtk_ww_fit_ex.argtypes = [ctypes.POINTER(ctypes.c_double), ctypes.c_size_t,
                                 ctypes.POINTER(WWParams), ctypes.POINTER(WWFit)]
    return L


def test_clip_xmax_branch_through_c_api():
    """finger_thresh 0 (WeightWatcher's parameter): a clipped fit is taken as soon as its alpha is
    below the first; Pareto samples of 40-120 values, every variant against the oracle."""
    L = lib()
    rng = np.random.default_rng(11)
    taken = 0
    for trial in range(40):
        ev = np.sort(1 + rng.pareto(rng.uniform(1.5, 4), int(rng.integers(40, 120))))
        for ff, name in ((1, "xmin_peak"), (2, "clip_xmax")):
            prm = WWParams(ff, 10, 0.0, 0, 0, 0)
            out = WWFit()
            x = (ctypes.c_double * len(ev))(*ev)
            st = L.rmtk_ww_fit_ex(x, len(ev), ctypes.byref(prm), ctypes.byref(out))
            ref = ww_variant(ev, fix_fingers=name, finger_thresh=0.0)
            assert st == 0, (trial, name)
            assert out.alpha == pytest.approx(ref["alpha"], rel=1e-9), (trial, name)
            assert out.xmin == pytest.approx(ref["xmin"], rel=1e-12)
            assert out.ks_d == pytest.approx(ref["ks_d"], rel=1e-9)
            assert out.alpha_err == pytest.approx(ref["alpha_err"], rel=1e-9)
            assert out.num_pl_spikes == ref["n_tail"]
            if ff == 2:
                assert out.num_fingers == ref["num_fingers"]
                taken += out.num_fingers > 0
    assert taken >= 2, taken  # the clipping branch is taken (2 of these 40 samples)
