"""`mpirun -np 3 rmtk analyze` (cli/mpi-driver.c, docs/mpi.md) against the single-process run of
the same command: summary.csv, report.json (but its "provenance", the last member) and the
figures' data byte for byte, on the example network and on a generated model of 43 matrices of
mixed shapes and dtypes with every statistic, one of them failing (a NaN). Refused: an input
that differs between ranks (the same relative path resolved in another working directory, as a
node with its own copy would). A rank that dies ends the run with a message naming the matrix it
held. Skipped with the reason when rmtk was built without MPI or mpirun is absent."""
import json
import os
import re
import shutil
import subprocess

import numpy as np
import pytest
from stfile import write_raw as write_safetensors  # noqa: E402

CLI = os.path.abspath(os.environ.get("RMTK_CLI", "build/rmtk"))
SRC = os.environ.get("RMTK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
MPIRUN = shutil.which("mpirun")

pytestmark = [
    pytest.mark.skipif(os.environ.get("RMTK_MPI_BUILT", "ON").upper() in ("OFF", "0", "FALSE"),
                       reason="rmtk built without MPI (RMTK_MPI=OFF: no libopenmpi-dev)"),
    pytest.mark.skipif(MPIRUN is None, reason="mpirun not found (openmpi-bin)"),
]

# CI runs as root; --oversubscribe: 3 ranks on a 2-core machine. Shared memory between local
# ranks without the CMA single-copy path (refused in some containers).
MPI = [MPIRUN or "mpirun", "--allow-run-as-root", "--oversubscribe"]
# Under the sanitizer build (make test-asan) ASan and UBSan check every rank, but not for leaks:
# Open MPI's runtime keeps process-lifetime allocations in its dlopened components (thousands,
# unsymbolised); rmtk's own blobs are leak-checked by test-analysis-transfer.
ENV = dict(os.environ, OMPI_MCA_btl_vader_single_copy_mechanism="none",
           OMPI_MCA_rmaps_base_oversubscribe="1",
           ASAN_OPTIONS=os.environ.get("ASAN_OPTIONS", "") + ":detect_leaks=0")


def rmtk(args, np_=None, env=None, cwd=None):
    cmd = [CLI, *map(str, args)]
    if np_:
        cmd = [*MPI, "-np", str(np_), *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env or ENV, cwd=cwd,
                          timeout=600)


PROV = re.compile(rb',"provenance":\{[^{}]*\}\}\n$')


def same_outputs(a, b, mpi_ranks=3):
    """Every output file of the two folders, equal byte for byte; report.json of the MPI run
    differs only by its trailing "provenance" member."""
    fa = sorted(os.path.relpath(os.path.join(d, f), a) for d, _, fs in os.walk(a) for f in fs)
    fb = sorted(os.path.relpath(os.path.join(d, f), b) for d, _, fs in os.walk(b) for f in fs)
    assert fa == fb
    for rel in fa:
        if rel.endswith((".png", ".svg", ".pdf", ".html")):
            continue  # drawn from report.json (whose data is compared); PNG/SVG carry no data
        x = open(os.path.join(a, rel), "rb").read()
        y = open(os.path.join(b, rel), "rb").read()
        if rel == "report.json":
            m = PROV.search(y)
            assert m, "the MPI report ends with its provenance"
            prov = json.loads(m.group(0)[len(b',"provenance":'):-2])
            assert prov["mpi_ranks"] == mpi_ranks
            assert len(prov["mpi_hosts"].split(",")) == mpi_ranks
            assert prov["mpi_wall_seconds"] > 0
            assert b'"provenance"' not in x
            y = y[:m.start()] + b"}\n"
        assert x == y, f"{rel} differs"
    return fa


def test_example_network_identical(tmp_path):
    ex = os.path.join(SRC, "examples", "fashion_mlp.safetensors")
    one = rmtk(["analyze", ex, "--out", tmp_path / "one", "--threads", "1", "--format", "svg",
                "--quiet"])
    assert one.returncode == 0, one.stderr
    many = rmtk(["analyze", ex, "--out", tmp_path / "mpi", "--threads", "1", "--format", "svg",
                 "--progress"], np_=3)
    assert many.returncode == 0, many.stderr
    files = same_outputs(tmp_path / "one", tmp_path / "mpi")
    assert "report.html" in files and any(f.startswith("figures/") for f in files)
    # progress and ETA over the whole job, from rank 0 only
    lines = [ln for ln in many.stderr.splitlines() if ln.startswith("rmtk: analysed")]
    assert len(lines) == 3 and "3/3" in lines[-1] and "ETA" in lines[-1]
    # one table and one model summary, from rank 0 only: the same terminal output as one process
    one_out = rmtk(["analyze", ex, "--out", tmp_path / "one2", "--threads", "1", "--format", "svg"])
    assert many.stdout.count("fc2.weight") == one_out.stdout.count("fc2.weight") >= 1


@pytest.fixture(scope="module")
def zoo(tmp_path_factory):
    """43 matrices of mixed shapes (12 x 300 .. 140 x 90) and dtypes (F32, F64, F16, a 3-D
    stack of 4 experts, a conv kernel), a bias, and one tensor with a NaN."""
    rng = np.random.default_rng(17)
    t = {}
    shapes = [(40 + 3 * i, 100 - 2 * i) for i in range(24)] + \
             [(12 + i, 300 - 7 * i) for i in range(10)] + [(140, 90), (90, 140), (64, 64)]
    for i, s in enumerate(shapes):
        w = rng.standard_normal(s)
        if i % 5 == 1:  # structure: a rank-2 spike
            w += 6 * np.outer(rng.standard_normal(s[0]), rng.standard_normal(s[1])) / np.sqrt(s[1])
        dt, code = [("<f4", "F32"), ("<f8", "F64"), ("<f2", "F16")][i % 3]
        t[f"layer.{i}.weight"] = (code, s, w.astype(dt).tobytes())
    t["experts"] = ("F32", (4, 30, 50), rng.standard_normal((4, 30, 50)).astype("<f4").tobytes())
    t["conv.weight"] = ("F32", (16, 8, 3, 3),
                        rng.standard_normal((16, 8, 3, 3)).astype("<f4").tobytes())
    t["layer.0.bias"] = ("F32", (40,), rng.standard_normal(40).astype("<f4").tobytes())
    bad = rng.standard_normal((30, 60))
    bad[3, 7] = np.nan
    t["broken.weight"] = ("F32", bad.shape, bad.astype("<f4").tobytes())
    d = tmp_path_factory.mktemp("zoo")
    write_safetensors(d / "zoo.safetensors", t)
    return d / "zoo.safetensors"


ALL = ["--stats", "all", "--bootstrap", "30", "--pt-samples", "200", "--replicas", "2",
       "--no-plots", "--quiet"]


def test_zoo_identical_with_failure(zoo, tmp_path):
    one = rmtk(["analyze", zoo, "--out", tmp_path / "one", "--threads", "2", *ALL])
    # --threads 2 on each worker: chunks of 2 matrices (the report records the threads)
    many = rmtk(["analyze", zoo, "--out", tmp_path / "mpi", "--threads", "2", *ALL], np_=3)
    # the NaN fails its matrix, not the run: outputs written, exit status of the failure
    assert one.returncode == many.returncode != 0, (one.stderr, many.stderr)
    assert "broken.weight" in many.stderr
    same_outputs(tmp_path / "one", tmp_path / "mpi")
    rep = json.load(open(tmp_path / "mpi" / "report.json"))
    assert len(rep["matrices"]) >= 40
    bad = [m for m in rep["matrices"] if m["name"] == "broken.weight"][0]
    assert bad["status"] == "error" and "nan" in bad["error"].lower()
    assert sum(m["status"] == "ok" for m in rep["matrices"]) == len(rep["matrices"]) - 1
    # every stage's arrays travelled
    ok = [m for m in rep["matrices"] if m["status"] == "ok"][0]
    for key in ("singular_values", "spacing_ratios", "hill_alpha", "pt_p_left", "null_ks_each"):
        assert key in ok["arrays"], key


def test_input_differs_between_ranks(zoo, tmp_path):
    """The same relative path names another file on rank 2 (its own working directory)."""
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    shutil.copy(zoo, a / "m.safetensors")
    ex = os.path.join(SRC, "examples", "fashion_mlp.safetensors")
    shutil.copy(ex, b / "m.safetensors")
    out = tmp_path / "out"
    cmd = [*MPI, "-np", "2", "--wdir", str(a), CLI, "analyze", "m.safetensors", "--out",
           str(out), "--no-plots", "--quiet", ":", "-np", "1", "--wdir", str(b), CLI,
           "analyze", "m.safetensors", "--out", str(out), "--no-plots", "--quiet"]
    p = subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=300)
    assert p.returncode != 0
    assert "files must be readable by every rank at the same path" in p.stderr
    assert "rank 2" in p.stderr and "m.safetensors" in p.stderr
    assert not (out / "report.json").exists()


def test_dead_rank_names_its_matrix(zoo, tmp_path):
    env = dict(ENV, RMTK_MPI_TEST_KILL="layer.34.weight")  # the largest: handed out first
    p = rmtk(["analyze", zoo, "--out", tmp_path / "o", "--threads", "1", "--no-plots",
              "--quiet"], np_=3, env=env)
    assert p.returncode != 0
    assert "the MPI job was stopped" in p.stderr
    assert "layer.34.weight" in p.stderr
    assert not (tmp_path / "o" / "report.json").exists()
