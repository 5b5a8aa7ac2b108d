"""Shared code of the real-weights suite: fetch + convert into the cache, run `rmtk analyze`,
read its summary.csv, report.json and the verdict column of its terminal table.
Used by tests/test_realweights.py and tests/realweights/verdict-counts (docs/realweights.md)."""
import csv
import io
import json
import os
import re
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import convert  # noqa: E402

# --stats of every run of the suite: the default statistics plus the tails, without the
# power-law bootstrap (its p-value enters no verdict; 1000 replicas per matrix would dominate)
STATS = ["--stats", "basic,mp,levels,tails", "--bootstrap", "0"]

# The quick tier (default): a representative subset, every source and dtype (F32 TF.js
# dequantised and plain, ONNX with Conv1d kernels and LSTM stacks, float32 gnubg, int8
# Stockfish), and the nsfwjs case.
# (net, --include regex or None, --exclude regex or None)
QUICK = [
    ("gnubg", None, None),
    ("faceapi-tiny_face_detector", None, None),
    ("faceapi-face_landmark_68_tiny", None, None),
    ("paddleocr-ch_ppocr_mobile_v2.0_cls_infer", None, None),
    ("vad-silero_vad_legacy", None, None),
    ("nsfwjs-mobilenet_v2", None, None),
    ("nsfwjs-inception_v3", "^dense_", None),
    ("stockfish-nn-ad9b42354671", None, r"^ft\."),
]

SEED = 20261130      # seed of the entry shuffles of the control


def cache_dir():
    return os.environ.get("RMTK_REALWEIGHTS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "rmtk", "realweights")


def full_tier():
    return os.environ.get("RMTK_REALWEIGHTS_FULL", "") not in ("", "0")


def prepare(cache=None):
    """Fetch (network only when not cached) and convert. Returns (index, message): index maps
    net -> entry of nets/index.json; message says what could not be fetched or converted."""
    cache = cache or cache_dir()
    p = subprocess.run([sys.executable, os.path.join(HERE, "fetch"), "--cache", cache],
                       capture_output=True, text=True)
    msg = [" ".join(l.split()) for l in p.stdout.splitlines() if " FAILED " in l]
    index, errors = convert.convert_all(cache, quiet=True)
    msg += [f"{n}: {e}" for n, e in errors.items()]
    return index, "; ".join(msg)


def selection(index, full=None):
    """[(net, include, exclude)] present in the index, for the tier."""
    full = full_tier() if full is None else full
    if full:
        return [(n, None, None) for n in sorted(index)]
    return [q for q in QUICK if q[0] in index]


def run_analyze(cli, path, out, threads, include=None, exclude=None, extra=()):
    # --wide: one line per matrix with its full name, whatever the terminal's width
    cmd = [cli, "analyze", path, "--out", out, "--no-plots", "--wide", "--threads", str(threads),
           *STATS]
    if include:
        cmd += ["--include", include]
    if exclude:
        cmd += ["--exclude", exclude]
    cmd += list(extra)
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} -> exit {p.returncode}\n{p.stderr[-2000:]}")
    with open(os.path.join(out, "summary.csv"), newline="") as f:
        raw = f.read()
    rows = list(csv.DictReader(io.StringIO(raw)))
    with open(os.path.join(out, "report.json")) as f:
        report = json.load(f)
    verdicts = table_verdicts(p.stdout, rows)
    return {"rows": rows, "csv": raw, "report": report, "verdicts": verdicts, "stdout": p.stdout}


def table_verdicts(stdout, rows):
    """{matrix name: verdict} from the terminal table: the text under the 'verdict' header.
    The table (--wide) lists the analysed matrices (status ok) in summary.csv's order, one line
    each, with the full name."""
    lines = stdout.splitlines()
    if not lines or "verdict" not in lines[0]:
        raise AssertionError(f"no table header with a verdict column:\n{stdout[:500]}")
    col = lines[0].index("verdict")
    body = []
    for l in lines[1:]:
        if not l.strip():
            break
        body.append(l)
    ok = [r for r in rows if r["status"] != "skipped"]
    if len(body) != len(ok):
        raise AssertionError(f"table has {len(body)} rows, summary.csv {len(ok)} analysed")
    out = {}
    for r, l in zip(ok, body):
        shown = l[:col].split()[0] if l[:col].split() else ""
        if shown and not r["name"].endswith(shown):
            raise AssertionError(f"table row {shown!r} does not match {r['name']!r}")
        # an error row holds "ERROR: message" after the method instead of the numbers
        out[r["name"]] = l[l.index("ERROR: "):] if r["status"] == "error" and "ERROR: " in l \
            else l[col:].strip()
    return out


def tensors_of(path):
    """{tensor name: stored array} of a converted network."""
    return convert.read_safetensors(path)[0]


def matrix(tensors, entry):
    """The float64 matrix rmtk extracts for a report.json matrix or a summary.csv row (keys
    'tensor', 'slice'): a 3-D tensor is a stack (slice k), 4-D and more flatten to
    out x rest (--conv flatten), 2-D as stored (docs/formats.md)."""
    a = tensors[entry["tensor"]]
    sl = entry.get("slice")
    if a.ndim == 3:
        if sl in (None, ""):
            raise AssertionError(f"{entry['tensor']}: 3-D tensor without a slice index")
        a = a[int(sl)]
    return a.astype(np.float64).reshape(a.shape[0], -1)


def shuffled_copy(src, dst, seed=SEED):
    """The control: every tensor of src with its entries permuted (numpy default_rng(seed + i)
    for the i-th tensor), same names, shapes and dtypes."""
    tensors, meta = convert.read_safetensors(src)
    out = []
    for i, (n, a) in enumerate(tensors.items()):
        rng = np.random.default_rng(seed + i)
        out.append((n, rng.permutation(a.reshape(-1)).reshape(a.shape)))
    convert.write_safetensors(dst, out, dict(meta, control=f"entries shuffled, seed {seed}+i"))


def fnum(x):
    return float(x) if x not in ("", None) else float("nan")


OUTLIERS_RE = re.compile(r"structure in (\d+) outliers")
BULK_VERDICTS = ("bulk random", "bulk uncorrelated", "bulk deviates")


def level_verdict(v):
    """The part of a verdict that comes from the level statistics ('bulk random (GOE)', ...),
    wherever it stands among the ';'-separated parts; None when there is none."""
    for part in v.split(";"):
        if part.strip().startswith(BULK_VERDICTS):
            return part.strip()
    return None
