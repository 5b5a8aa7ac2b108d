#!/usr/bin/env python3
"""bench/python-overhead.py: wall time of rmtk.analyze (+ Report.save) against the CLI
`rmtk analyze --no-plots` on the example network, in one run, alternating, best and median of
N repeats. Three Python variants: the file path (the CLI's work), the live torch module (no file
read), and the module with progress=True (the tqdm or line callback). Prints ratios; asserts
nothing.

    /usr/bin/python3 bench/python-overhead.py [--reps 7] [--threads 2]
"""
import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "python"))
os.environ.setdefault("RMTK_LIBRARY", os.path.join(ROOT, "build", "librmtk.so"))
import rmtk  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "tests"))
from test_python import fashion_mlp, read_safetensors  # noqa: E402

ap = argparse.ArgumentParser()
ap.add_argument("--reps", type=int, default=7)
ap.add_argument("--threads", type=int, default=2)
args = ap.parse_args()
ex = os.path.join(ROOT, "examples", "fashion_mlp.safetensors")
cli = os.path.join(ROOT, "build", "rmtk")
model = fashion_mlp(read_safetensors(ex))
T = str(args.threads)
times = {"cli": [], "py-file": [], "py-module": [], "py-module-progress": []}
with tempfile.TemporaryDirectory() as d:
    for r in range(args.reps):
        t = time.perf_counter()
        subprocess.run([cli, "analyze", ex, "--out", d + "/cli", "--no-plots", "--quiet",
                        "--threads", T], check=True)
        times["cli"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rmtk.analyze(ex, threads=args.threads, progress=False).save(d + "/py")
        times["py-file"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rmtk.analyze(model, threads=args.threads, progress=False).save(d + "/pm")
        times["py-module"].append(time.perf_counter() - t)
        t = time.perf_counter()
        rmtk.analyze(model, threads=args.threads, progress=True).save(d + "/pp")
        times["py-module-progress"].append(time.perf_counter() - t)
base_best, base_med = min(times["cli"]), statistics.median(times["cli"])
print("%-20s %8s %8s %10s %10s" % ("variant", "best s", "median s", "best/CLI", "median/CLI"))
for k, v in times.items():
    b, m = min(v), statistics.median(v)
    print("%-20s %8.3f %8.3f %10.3f %10.3f" % (k, b, m, b / base_best, m / base_med))
