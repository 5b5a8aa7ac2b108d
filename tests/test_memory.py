"""Memory and schedule of `rmtk analyze` (issue 14, part 2): matrices run largest first with
results in model order and byte-identical to a one-worker run; --stats all holds no copies beyond
the spectrum plan (the matrix and its left vectors) and the null stage's matrix; --max-memory
lowers the worker count with a note, or stops naming the matrix that alone does not fit. Run by
ctest with RMTK_CLI set."""
import csv
import os
import resource
import subprocess

import numpy as np
import pytest

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def run(*args):
    return subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)


def sanitizer_build():
    lib = os.path.join(os.path.dirname(CLI), "librmtk.so")
    if not os.path.exists(lib):
        return False
    dyn = subprocess.run(["readelf", "-d", lib], capture_output=True, text=True).stdout
    return "libasan" in dyn


def test_schedule_and_max_memory(tmp_path):
    rng = np.random.default_rng(5)
    # model order: small, large, medium (the schedule runs large, medium, small)
    for name, shape in (("a_small", (200, 100)), ("b_large", (1500, 600)),
                        ("c_medium", (700, 500))):
        np.save(tmp_path / f"{name}.npy", rng.standard_normal(shape).astype(np.float32))
    files = [tmp_path / f"{n}.npy" for n in ("a_small", "b_large", "c_medium")]
    common = ["--stats", "basic,mp,levels,tails", "--quiet", "--no-plots"]
    p1 = run("analyze", *files, "--out", tmp_path / "t1", "--threads", 1, *common)
    assert p1.returncode == 0, p1.stderr
    p2 = run("analyze", *files, "--out", tmp_path / "t2", "--threads", 2, *common)
    assert p2.returncode == 0, p2.stderr
    s1 = open(tmp_path / "t1" / "summary.csv").read()
    assert s1 == open(tmp_path / "t2" / "summary.csv").read()
    names = [r["name"] for r in csv.DictReader(open(tmp_path / "t1" / "summary.csv"))]
    assert names == sorted(names)  # model order (files as given), not the schedule's
    # a plan for 1500 x 600 holds its converted matrix (7.2 MB) and Gram matrix (2.9 MB): two
    # workers (the two largest matrices, ~10.1 + ~5.3 MB) do not fit in 12 MB, one does
    p3 = run("analyze", *files, "--out", tmp_path / "t3", "--threads", 2,
             "--max-memory", "12M", *common[:-2], "--no-plots")
    assert p3.returncode == 0, p3.stderr
    assert "1 workers instead of 2" in p3.stderr, p3.stderr
    assert open(tmp_path / "t3" / "summary.csv").read() == s1
    p4 = run("analyze", *files, "--out", tmp_path / "t4", "--max-memory", "5M", *common)
    assert p4.returncode != 0
    assert "b_large" in p4.stderr and "1500 x 600" in p4.stderr, p4.stderr
    p5 = run("analyze", *files, "--out", tmp_path / "t5", "--max-memory", "lots", *common)
    assert p5.returncode != 0 and "byte count" in p5.stderr


def test_stats_all_holds_no_copies(tmp_path):
    if sanitizer_build():
        pytest.skip("resident set sizes of a sanitizer build are not the program's")
    rows, cols = 4000, 1000
    w = np.random.default_rng(6).standard_normal((rows, cols)).astype(np.float32)
    np.save(tmp_path / "w.npy", w)
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = run("analyze", tmp_path / "w.npy", "--out", tmp_path / "o", "--stats", "all",
            "--pt-samples", 50, "--replicas", 1, "--bootstrap", 20, "--quiet", "--no-plots")
    assert p.returncode == 0, p.stderr
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    assert peak > before * 1024 or before == 0
    mat = 8 * rows * cols  # one matrix of doubles: 32 MB
    # the plan's matrix A and left vectors U, the null stage's matrix (replicas go into U's
    # buffer), the mapped file, 100 MB for the rest; before issue 14 it held 7 such matrices
    assert peak <= 3 * mat + w.nbytes + 100e6, peak
