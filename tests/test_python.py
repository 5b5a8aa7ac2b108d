"""The Python package rmtk (python/rmtk) over librmtk.so: rmtk.analyze and rmtk.Report against
the CLI (bit for bit), in-memory sources (torch module, state dict, NumPy dict, one array)
against the safetensors file of the same weights, the zero-copy path (the address the library
read is the tensor's own), strided and bfloat16 tensors, errors, progress and the WeightWatcher
front door (issue 15)."""
import ctypes
import json
import os
import re
import struct
import subprocess
import sys

import numpy as np
import pytest

SRC = os.environ.get("RMTK_SOURCE_DIR",
                     os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CLI = os.environ.get("RMTK_CLI", os.path.join(SRC, "build", "rmtk"))
EXAMPLE = os.path.join(SRC, "examples", "fashion_mlp.safetensors")



def assert_contract(got, ref, shape):
    """Singular values within the spectrum's accuracy contract (docs/methods/spectrum.md): the
    Gram route's bound (m + n) eps sigma_1^2 / sigma_i, or 1e-12 relative, whichever is larger."""
    got, ref = np.asarray(got, dtype=float), np.asarray(ref, dtype=float)
    assert got.shape == ref.shape
    big = ref > 1e-6 * ref[0]
    bound = (shape[0] + shape[1]) * np.finfo(float).eps * ref[0] ** 2 / ref[big]
    assert np.all(np.abs(got[big] - ref[big]) <= np.maximum(bound, 1e-12 * ref[big])), \
        np.max(np.abs(got[big] - ref[big]) / bound)

def _load_rmtk():
    lib = os.environ.get("RMTK_LIBRARY") or os.path.join(os.path.dirname(CLI), "librmtk.so")
    if not os.path.exists(lib):
        pytest.skip("librmtk.so not built (%s)" % lib, allow_module_level=True)
    dyn = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout
    if "libasan" in dyn:
        pytest.skip("librmtk.so is a sanitizer build: not loadable through ctypes (the Release "
                    "run tests the package)", allow_module_level=True)
    os.environ["RMTK_LIBRARY"] = lib
    sys.path.insert(0, os.path.join(SRC, "python"))
    import rmtk
    return rmtk


rmtk = _load_rmtk()
torch = pytest.importorskip("torch")


def read_safetensors(path):
    """An independent reader (the format's few lines): name -> numpy array, in file order."""
    with open(path, "rb") as f:
        raw = f.read()
    n = struct.unpack("<Q", raw[:8])[0]
    head = json.loads(raw[8:8 + n])
    out = {}
    for name, t in head.items():
        if name == "__metadata__":
            continue
        assert t["dtype"] == "F32"
        a, b = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f4").reshape(t["shape"])
    return out


def fashion_mlp(weights):
    """The example network (examples/train_fashion_mlp.py: 784 -> 1000 -> 1000 -> 10, ReLU)
    as a live torch module holding the example's weights."""
    class MLP(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(784, 1000)
            self.fc2 = torch.nn.Linear(1000, 1000)
            self.fc3 = torch.nn.Linear(1000, 10)

    m = MLP()
    m.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in weights.items()})
    return m


NUMERIC_SKIP = {"name", "tensor", "file", "slice", "rows", "cols", "dtype", "method", "status",
                "reason", "verdict", "looks_random"}


def assert_same_summary(a, b, rtol=0.0):
    """Same matrices, statistics (bitwise, NaN = NaN, unless rtol), verdicts, skip reasons;
    tensor and file differ between a file and memory by design (rmtk.h: a memory entry has no
    file)."""
    sa, sb = a.summary, b.summary
    assert list(sa.columns) == list(sb.columns)
    assert list(sa["name"]) == list(sb["name"])
    for col in ("rows", "cols", "dtype", "method", "status", "reason", "verdict",
                "looks_random"):
        assert sa[col].fillna(-999).tolist() == sb[col].fillna(-999).tolist(), col
    for col in sa.columns:
        if col in NUMERIC_SKIP or sa[col].dtype == object:
            continue
        x, y = sa[col].to_numpy(float), sb[col].to_numpy(float)
        if rtol:
            np.testing.assert_allclose(x, y, rtol=rtol, err_msg=col)
        else:
            assert np.array_equal(x, y, equal_nan=True), col
    for name in a.names:
        np.testing.assert_allclose(a.spectrum(name), b.spectrum(name), rtol=1e-12 if rtol else 0,
                                   atol=0)


def run_cli(args, out):
    subprocess.run([CLI, "analyze", *args, "--out", str(out), "--no-plots", "--quiet"],
                   check=True, cwd=SRC)


# ---- package --------------------------------------------------------------------------------

def test_version_matches_library_and_cmake():
    with open(os.path.join(SRC, "CMakeLists.txt")) as f:
        cmake = re.search(r"project\(rmtk\s+VERSION\s+([0-9.]+)", f.read()).group(1)
    assert rmtk.__version__ == cmake == rmtk.library_version
    out = subprocess.run([CLI, "--version"], capture_output=True, text=True).stdout
    assert cmake in out


def test_version_mismatch_is_an_import_error(tmp_path):
    """A package whose _version.py differs from the library refuses to import."""
    pkg = tmp_path / "rmtk"
    pkg.mkdir()
    for f in os.listdir(os.path.join(SRC, "python", "rmtk")):
        if f.endswith(".py"):
            text = open(os.path.join(SRC, "python", "rmtk", f)).read()
            if f == "_version.py":
                text = text.replace(rmtk.__version__, "99.0.0")
            (pkg / f).write_text(text)
    r = subprocess.run([sys.executable, "-c", "import rmtk"], cwd=tmp_path,
                       capture_output=True, text=True, env=dict(os.environ))
    assert r.returncode != 0
    assert "ImportError" in r.stderr and "99.0.0" in r.stderr and rmtk.__version__ in r.stderr


# ---- the file path: bit for bit the CLI's files ---------------------------------------------

@pytest.mark.parametrize("stats,extra,cli_extra", [
    (None, {}, []),
    ("basic,tails", {"bootstrap": 20}, ["--stats", "basic,tails", "--bootstrap", "20"]),
])
def test_analyze_file_equals_cli(tmp_path, stats, extra, cli_extra):
    rel = os.path.relpath(EXAMPLE, SRC)
    run_cli([rel, "--threads", "2", *cli_extra], tmp_path / "cli")
    cwd = os.getcwd()
    os.chdir(SRC)  # the report records the path as given
    try:
        rep = rmtk.analyze(rel, threads=2, stats=stats, progress=False, **extra)
    finally:
        os.chdir(cwd)
    rep.save(tmp_path / "py")
    for f in ("summary.csv", "report.json", "rmtk-manifest.txt"):
        assert (tmp_path / "py" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes(), f
    assert sorted(os.listdir(tmp_path / "py")) == sorted(os.listdir(tmp_path / "cli"))
    # the DataFrame holds the CSV's numbers exactly (%.17g round trip)
    s = rep.summary
    assert list(s.columns)[:16] == ["name", "tensor", "file", "source", "slice", "block",
                                    "module", "expert", "rows", "cols", "dtype", "method",
                                    "status", "reason", "verdict", "looks_random"]
    js = json.loads((tmp_path / "cli" / "report.json").read_text())
    for m in js["matrices"]:
        row = s[s["name"] == m["name"]].iloc[0]
        assert row["verdict"] == m["verdict"]
        for k, v in m["metrics"].items():
            if isinstance(v, (int, float)) and k not in ("mp_fit_status", "mp_paper_status",
                                                         "levels_status", "tails_status"):
                assert row[k] == v, k
    assert [x["name"] for x in rep.skipped] == ["fc1.bias", "fc2.bias", "fc3.bias"]
    # saving over a CLI folder with figures removes the CLI's files it does not write, as a
    # CLI rerun would, and nothing else
    full = tmp_path / "full"
    subprocess.run([CLI, "analyze", EXAMPLE, "--out", str(full), "--quiet", "--format", "svg",
                    "--include", "fc3"], check=True)
    (full / "mine.txt").write_text("keep")
    assert (full / "report.html").exists() and os.listdir(full / "figures")
    rep.save(full)
    assert sorted(os.listdir(full)) == ["mine.txt", "model_summary.csv", "report.json",
                                        "rmtk-manifest.txt", "summary.csv"]
    assert rep.params["seed"] == 1


# ---- in-memory sources ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def example():
    w = read_safetensors(EXAMPLE)
    file_rep = rmtk.analyze(EXAMPLE, threads=2, progress=False)
    return w, file_rep


def test_memory_sources_equal_file(example):
    w, file_rep = example
    model = fashion_mlp(w)
    reps = {
        "module": rmtk.analyze(model, threads=2, progress=False),
        "state_dict": rmtk.analyze(model.state_dict(), threads=2, progress=False),
        "numpy": rmtk.analyze(w, threads=2, progress=False),
    }
    for kind, rep in reps.items():
        assert_same_summary(rep, file_rep)
        assert set(rep.summary["file"]) == {""}, kind
    assert [s["reason"] for s in reps["module"].skipped] == [s["reason"]
                                                             for s in file_rep.skipped]


def test_zero_copy_pointer(example):
    """The library reads the tensor's own memory: the address passed is data_ptr() and nothing
    was converted, for a module's parameters, a transposed view and a bfloat16 tensor."""
    w, _ = example
    model = fashion_mlp(w)
    rep = rmtk.analyze(model, threads=1, progress=False)
    sd = model.state_dict()
    for inp in rep.inputs:
        assert inp["address"] == sd[inp["name"]].data_ptr()
        assert inp["copied"] is False
    arrs = {"a": np.asfortranarray(w["fc2.weight"])}
    rep = rmtk.analyze(arrs, progress=False)
    assert rep.inputs[0]["address"] == arrs["a"].ctypes.data and not rep.inputs[0]["copied"]


def test_strided_tensor_no_copy_same_values(example):
    w, _ = example
    t = torch.from_numpy(w["fc1.weight"].copy())
    tt = t.T  # strides (1, 784): read in place
    assert not tt.is_contiguous()
    a = rmtk.analyze({"w": tt}, progress=False)
    b = rmtk.analyze({"w": tt.contiguous()}, progress=False)
    assert a.inputs[0]["copied"] is False and a.inputs[0]["address"] == tt.data_ptr()
    # the engine reads a column-major view in its own orientation: the same matrix, rounded
    # differently (measured: 1e-15 relative on the singular values, 2e-8 on the paper fit's
    # optimum)
    assert_same_summary(a, b, rtol=1e-6)
    # a NumPy slice with a step: strides (2*cols, 1)
    base = np.ascontiguousarray(w["fc2.weight"])
    view = base[::2, 100:900]
    c = rmtk.analyze({"w": view}, progress=False)
    d = rmtk.analyze({"w": np.ascontiguousarray(view)}, progress=False)
    assert c.inputs[0]["copied"] is False
    assert_same_summary(c, d, rtol=1e-6)
    assert_contract(c.spectrum("w"), np.linalg.svd(view.astype(np.float64), compute_uv=False),
                    view.shape)
    # negative strides: converted once, during the run, same numbers
    e = rmtk.analyze({"w": base[::-1]}, progress=False)
    assert e.inputs[0]["copied"] is True and e.inputs[0]["fetches"] == 1
    assert_contract(e.spectrum("w"), rmtk.analyze({"w": base}, progress=False).spectrum("w"),
                    base.shape)  # rows reversed: the same values, within the route's bound


def test_bfloat16_raw_bits():
    g = torch.Generator().manual_seed(3)
    t = torch.randn(300, 200, generator=g).to(torch.bfloat16)
    rep = rmtk.analyze({"w": t}, progress=False)
    assert rep.inputs[0]["copied"] is False and rep.inputs[0]["dtype"] == "BF16"
    assert rep.summary["dtype"][0] == "BF16"
    ref = np.linalg.svd(t.float().numpy().astype(np.float64), compute_uv=False)
    assert_contract(rep.spectrum("w"), ref, (300, 200))
    # the same values as float32 give the same spectrum bit for bit (BF16 -> F32 is exact)
    f32 = rmtk.analyze({"w": t.float()}, progress=False)
    np.testing.assert_array_equal(rep.spectrum("w"), f32.spectrum("w"))
    # a transposed bf16 view, read in place
    rt = rmtk.analyze({"w": t.T}, progress=False)
    assert rt.inputs[0]["copied"] is False
    assert_contract(rt.spectrum("w"), ref, (300, 200))


def test_conv_kernels_and_one_array():
    g = torch.Generator().manual_seed(5)
    k = torch.randn(64, 32, 3, 3, generator=g)
    flat = rmtk.analyze({"conv.weight": k}, progress=False)
    ref = np.linalg.svd(k.reshape(64, -1).double().numpy(), compute_uv=False)
    assert_contract(flat.spectrum("conv.weight"), ref, (64, 288))
    sl = rmtk.analyze({"conv.weight": k}, conv="slices", progress=False)
    assert sl.names == ["conv.weight[%d]" % i for i in range(9)]
    ref4 = np.linalg.svd(k[:, :, 1, 1].double().numpy(), compute_uv=False)
    assert_contract(sl.spectrum("conv.weight[4]"), ref4, (64, 32))
    # a permuted kernel (channels-last memory) whose trailing dims do not collapse: one copy
    cl = k.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2)
    p = rmtk.analyze({"conv.weight": cl}, progress=False)
    assert p.inputs[0]["copied"] is True and p.inputs[0]["address"] is None
    np.testing.assert_array_equal(p.spectrum("conv.weight"), flat.spectrum("conv.weight"))
    one = rmtk.analyze(np.arange(600.0).reshape(20, 30) ** 0.5, progress=False)
    assert one.names == ["matrix"]


def test_conversions_one_at_a_time(example):
    """Tensors the library cannot read in place (big-endian, float128, a sparse tensor, a
    torch dtype it does not read) are converted during the run, one at a time: never more than
    one converted copy alive, each released after its matrices are loaded. The numbers are
    those of the same values read in place."""
    w, _ = example
    big = {k: v.astype(">f4") for k, v in w.items()}  # big-endian: converted
    rep = rmtk.analyze(big, threads=2, progress=False)
    assert rep.conversions == {"tensors": 6, "fetches": 3, "max_live": 1}
    assert [i["fetches"] for i in rep.inputs] == [1, 0, 1, 0, 1, 0]  # biases: never fetched
    assert_same_summary(rep, rmtk.analyze(w, threads=2, progress=False))
    ld = rmtk.analyze({"w": w["fc2.weight"].astype(np.longdouble)}, progress=False)
    assert ld.inputs[0]["dtype"] == "F64" and ld.inputs[0]["copied"]
    np.testing.assert_array_equal(ld.spectrum("w"), rmtk.analyze(
        {"w": w["fc2.weight"].astype(np.float64)}, progress=False).spectrum("w"))
    t = torch.from_numpy(w["fc2.weight"].copy())
    sp = rmtk.analyze({"w": t.to_sparse()}, progress=False)
    np.testing.assert_array_equal(sp.spectrum("w"), rmtk.analyze({"w": t}, progress=False)
                                  .spectrum("w"))
    # a 3-D stack converted lazily: fetched once per matrix, still one at a time
    st = torch.randn(4, 30, 20, dtype=torch.float64)
    stack = rmtk.analyze({"e": st.numpy().astype(">f8")}, threads=2, progress=False)
    assert stack.conversions == {"tensors": 1, "fetches": 4, "max_live": 1}
    np.testing.assert_array_equal(stack.spectrum("e[2]"), rmtk.analyze(
        {"e": st}, progress=False).spectrum("e[2]"))


def test_conversion_failure_is_a_matrix_error():
    a = np.arange(400.0).reshape(20, 20).astype(">f8")
    import rmtk._analyze as A
    orig = A._numpy_plan

    def plan(x, contiguous=False):
        p = orig(x, contiguous)
        if isinstance(p, A._Lazy):
            def boom():
                raise RuntimeError("device lost")
            p.produce = boom
        return p
    A._numpy_plan = plan
    try:
        rep = rmtk.analyze({"w": a, "ok": np.eye(20) + 0.01 * np.arange(400).reshape(20, 20)},
                           progress=False)
    finally:
        A._numpy_plan = orig
    s = rep.summary
    assert list(s["status"]) == ["error", "ok"]
    assert "fetch callback" in s["reason"][0]
    assert rep.inputs[0]["error"] == "RuntimeError: device lost"


def test_safetensors_written_by_torch_state(tmp_path, example):
    """A file written from the module's state dict (the example writer's format) analyses like
    the module itself."""
    w, file_rep = example
    model = fashion_mlp(w)
    path = tmp_path / "m.safetensors"
    header, blobs, off = {}, [], 0
    for name, t in model.state_dict().items():
        data = t.numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [off, off + len(data)]}
        blobs.append(data)
        off += len(data)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    path.write_bytes(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    assert_same_summary(rmtk.analyze(str(path), threads=2, progress=False), file_rep)


# ---- errors and progress --------------------------------------------------------------------

def test_bad_file_is_format_error(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(struct.pack("<Q", 40) + b'{"w": {"dtype": "F32", "shape": [2, 2]')
    with pytest.raises(rmtk.FormatError) as e:
        rmtk.analyze(str(bad), progress=False)
    assert e.value.status == 3 and str(bad) in e.value.message
    assert isinstance(e.value, rmtk.Error)
    # the CLI prints the same message
    r = subprocess.run([CLI, "analyze", str(bad), "--json"], capture_output=True, text=True)
    assert r.returncode == 3 and e.value.message in r.stderr
    with pytest.raises(rmtk.IOError) as e:
        rmtk.analyze(str(tmp_path / "missing.safetensors"), progress=False)
    assert e.value.status == 2
    with pytest.raises(rmtk.ArgError):
        rmtk.analyze(EXAMPLE, stats="basic,bogus")
    with pytest.raises(rmtk.ArgError) as e:
        rmtk.analyze({"w": np.ones((20, 20))}, include="(", progress=False)
    assert "include" in e.value.message
    with pytest.raises(TypeError):
        rmtk.analyze(EXAMPLE, bogus=1)
    with pytest.raises(rmtk.NumericError):  # a matrix of NaNs fails; svd raises
        rmtk.svd(np.full((20, 20), np.nan))


def test_gil_released_during_library_calls():
    """Another Python thread runs while the library computes (ctypes.CDLL drops the GIL). No
    timing ratio (the machine's load would make it flaky): the main thread stamps the clock in a
    loop while a worker thread makes one library call; with the GIL held for the call, no stamp
    could fall inside it (the largest gap between stamps would be the whole call)."""
    import threading
    import time
    a = np.random.default_rng(0).standard_normal((1500, 1000))
    span = {}

    def work():
        span["t0"] = time.perf_counter()
        rmtk.svd(a)
        span["t1"] = time.perf_counter()
    th = threading.Thread(target=work)
    stamps = []
    th.start()
    while th.is_alive():
        stamps.append(time.perf_counter())
    th.join()
    t0, t1 = span["t0"], span["t1"]
    inside = [t for t in stamps if t0 < t < t1]
    gaps = np.diff([t0] + inside + [t1])
    assert len(inside) > 100, (len(inside), t1 - t0)
    assert gaps.max() < 0.5 * (t1 - t0), (gaps.max(), t1 - t0)


def test_progress_callback_and_lines(capsys):
    calls = []
    rmtk.analyze(EXAMPLE, progress=lambda d, t, n: calls.append((d, t, n)))
    assert [c[0] for c in calls] == [1, 2, 3] and all(c[1] == 3 for c in calls)
    assert {c[2] for c in calls} == {"fc1.weight", "fc2.weight", "fc3.weight"}
    rmtk.analyze(EXAMPLE, progress=False)
    assert capsys.readouterr().err == ""


def test_summary_without_pandas(example, monkeypatch):
    _, rep = example
    names, fro = list(rep.summary["name"]), rep.summary["fro_norm2"][0]
    monkeypatch.setitem(sys.modules, "pandas", None)  # import pandas -> ImportError
    fresh = rmtk.Report(rep.csv_bytes, rep.json_bytes)
    rows = fresh.summary
    assert isinstance(rows, list) and [r["name"] for r in rows] == names
    assert rows[0]["fro_norm2"] == fro
    assert rows[1]["reason"] == "1-D tensor [1000]" and rows[1]["cols"] is None
    assert "<table>" in fresh._repr_html_()


@pytest.mark.skipif(os.environ.get("RMTK_TEST_QUICK") == "1", reason="RMTK_TEST_QUICK")
def test_notebook_example(tmp_path):
    """examples/notebook.py runs end to end: table, figure, saved report (about 20 s)."""
    pytest.importorskip("matplotlib")
    r = subprocess.run([sys.executable, os.path.join(SRC, "examples", "notebook.py"), "--out",
                        str(tmp_path)], capture_output=True, text=True,
                       env=dict(os.environ, RMTK_LIBRARY=os.environ["RMTK_LIBRARY"]))
    assert r.returncode == 0, r.stderr[-2000:]
    assert sorted(os.listdir(tmp_path)) == ["fc2-spectrum.png", "model_summary.csv",
                                            "report.json", "rmtk-manifest.txt", "summary.csv"]
    assert "fc2.weight" in r.stdout and "copied: False" in r.stdout


def test_report_views(example, tmp_path):
    _, rep = example
    lam = rep.spectrum("fc2.weight", "eigen")
    np.testing.assert_array_equal(lam, rep.spectrum("fc2.weight") ** 2)
    assert "unfolded_spacings" in rep.arrays("fc2.weight")
    with pytest.raises(rmtk.NotFoundError):
        rep.vectors("fc2.weight")
    with pytest.raises(rmtk.NotFoundError):
        rep.spectrum("nope")
    html = rep._repr_html_()
    assert "fc2.weight" in html and "<table" in html
    vec = rmtk.analyze({"w": np.random.default_rng(1).standard_normal((120, 80))},
                       stats="basic,vectors", pt_samples=200, progress=False)
    v = vec.vectors("w")
    assert v["pt_p_left"].shape == (80,) and v["ipr_left"].shape == (80,)
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    for kind in ("esd", "sv", "spacings", "ratios", "sigma2", "delta3"):
        ax = rep.plot("fc2.weight", kind)
        assert ax.get_title().startswith("fc2.weight")
    ax.figure.savefig(tmp_path / "f.png")
    assert (tmp_path / "f.png").stat().st_size > 1000


# ---- the WeightWatcher front door -----------------------------------------------------------

WW_COLUMNS = ["layer_id", "name", "M", "N", "alpha", "alpha_weighted", "log_alpha_norm",
              "log_norm", "log_spectral_norm", "stable_rank", "mp_softrank", "num_spikes",
              "xmin", "D", "sigma", "num_pl_spikes", "norm", "spectral_norm", "lambda_max",
              "rank_loss", "has_esd", "warning"]


def test_compat_weightwatcher(example):
    import rmtk.compat as ww
    w, _ = example
    watcher = ww.WeightWatcher(model=fashion_mlp(w))
    d = watcher.analyze()
    for c in WW_COLUMNS:
        assert c in d.columns, c
    assert list(d["name"]) == ["fc1.weight", "fc2.weight", "fc3.weight"]
    assert list(d["N"]) == [1000, 1000, 1000] and list(d["M"]) == [784, 1000, 10]
    rep = watcher.report
    for _, row in d.iterrows():
        sv = rep.spectrum(row["name"])
        fit = rmtk.ww_fit(sv ** 2)
        if fit.reason == 0:
            assert row["alpha"] == fit.alpha and row["D"] == fit.ks_d
            assert row["num_pl_spikes"] == fit.num_pl_spikes and row["xmin"] == fit.xmin
        assert row["log_norm"] == np.log10(np.sum(sv ** 2)) or abs(
            row["log_norm"] - np.log10(np.sum(sv ** 2))) < 1e-12
        assert row["spectral_norm"] == sv[0] ** 2
    assert watcher.get_details() is d
    with pytest.warns(UserWarning, match="fix_fingers"):
        d2 = ww.WeightWatcher().analyze(model=w, fix_fingers="clip_xmin", bootstrap=0)
    assert list(d2["alpha"]) == list(d["alpha"])
    s = watcher.get_summary()
    assert abs(s["log_norm"] - d["log_norm"].mean()) < 1e-12


def test_struct_layout_guard():
    """The package refuses a library whose struct layout differs (python/rmtk/_lib.py)."""
    from rmtk import _lib
    assert _lib.lib.rmtk_struct_size(b"no_such_struct") == 0
    for cls, cname in _lib._MIRRORS.items():
        assert _lib.lib.rmtk_struct_size(cname.encode()) == ctypes.sizeof(cls), cname
    row = _lib.AnalysisRow()
    assert ctypes.sizeof(row) == _lib.lib.rmtk_struct_size(b"rmtk_analysis_row")
