"""rmtk.analyze and rmtk.Report: the per-model analysis of the library (rmtk_analysis_*), fed from
files (rmtk_model_open, as `rmtk analyze`) or from tensors in memory (rmtk_analysis_add_tensor:
borrowed, strided views; no copy for CPU tensors of a dtype the library reads)."""
import csv
import ctypes
import io
import json
import math
import os
import sys
from collections.abc import Mapping

import numpy as np

from . import _lib
from ._lib import lib, check

STATS = {"basic": 1, "mp": 2, "levels": 4, "vectors": 8, "null": 16, "tails": 32, "laws": 64,
         "alpha": 128}
_DEFAULT_STATS = "basic,mp,levels,alpha"  # the CLI's default (rmtk_analysis_params_default)
_PT_METHODS = {"exact_mc": 0, "kolmogorov": 1, "paper": 2, "staats": 3}



def _summary_csv(h):
    """model_summary.csv of analysis h, as the library writes it (rmtk_analysis_write_summary_csv
    writes a path: through a temporary file)."""
    import tempfile
    lib.rmtk_analysis_write_summary_csv.restype = ctypes.c_int
    lib.rmtk_analysis_write_summary_csv.argtypes = [ctypes.c_void_p, ctypes.c_char_p]
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "model_summary.csv")
        check(lib.rmtk_analysis_write_summary_csv(h, path.encode()),
              lambda: lib.rmtk_analysis_errmsg(h))
        with open(path, "rb") as f:
            return f.read()

def _stats_flags(stats):
    if stats is None:
        stats = _DEFAULT_STATS
    if isinstance(stats, str):
        stats = [s for s in stats.split(",") if s]
    flags = 0
    for s in stats:
        if s == "all":
            flags |= sum(STATS.values())
        elif s in STATS:
            flags |= STATS[s]
        else:
            raise _lib.ArgError("stats: unknown statistic %r (basic, mp, levels, vectors, null, "
                                "tails, laws, alpha, all)" % (s,), 5)
    return flags


def _parse_unfold(u, p):
    """The CLI's --unfold: gauss:W, gauss-replicate:W, poly:D or mp."""
    if u == "mp":
        p.method, p.cdf = 2, None
        return
    head, _, num = u.partition(":")
    try:
        n = int(num)
    except ValueError:
        n = -1
    if head in ("gauss", "gauss-replicate") and 1 <= n <= 100000:
        p.method, p.gauss_edge, p.window = 0, int(head != "gauss"), n
    elif head == "poly" and 1 <= n <= 40:
        p.method, p.poly_degree = 1, n
    else:
        raise _lib.ArgError("unfold: %r is not gauss:W, gauss-replicate:W, poly:D or mp" % (u,),
                            5)


def _params(stats, threads, seed, include, exclude, conv, min_side, extra):
    """An rmtk_analysis_params from the arguments, as the CLI builds it from its options."""
    p = lib.rmtk_analysis_params_default()
    p.stats = _stats_flags(stats)
    p.threads = 0 if threads is None else int(threads)
    p.seed = int(seed)
    p.extract.min_side = int(min_side)
    if conv not in ("flatten", "slices", "pooled"):
        raise _lib.ArgError("conv: %r is not flatten, slices or pooled" % (conv,), 5)
    p.extract.conv_mode = {"flatten": 0, "slices": 1, "pooled": 2}[conv]
    keep = []
    for field, pat in (("include", include), ("exclude", exclude)):
        if pat is not None:
            b = pat.encode()
            keep.append(b)
            setattr(p.extract, field, b)
    for k, v in extra.items():
        if k in ("significance", "alpha"):
            p.significance = float(v)
        elif k == "bootstrap":
            p.tails.powerlaw.bootstrap = int(v)
        elif k == "pt_method":
            if v not in _PT_METHODS:
                raise _lib.ArgError("pt_method: %r is not one of %s" % (v, sorted(_PT_METHODS)),
                                    5)
            p.vectors.method = _PT_METHODS[v]
        elif k == "pt_samples":
            p.vectors.nsamples = int(v)
        elif k == "replicas":
            p.null.replicas = int(v)
        elif k == "unfold":
            _parse_unfold(v, p.levels.unfold)
        elif k == "sigma2_mc":
            p.levels.sigma2_mc = int(bool(v))
        elif k == "exact":
            if v:
                p.spectrum.method = 2
        elif k == "gram_rtol":
            p.spectrum.gram_rtol = float(v)
        else:
            raise TypeError("rmtk.analyze: unknown parameter %r (significance, bootstrap, "
                            "pt_method, pt_samples, replicas, unfold, sigma2_mc, exact, "
                            "gram_rtol)" % (k,))
    return p, keep


# ---- in-memory tensors ----------------------------------------------------------------------

_NP_DTYPES = {("f", 8): "F64", ("f", 4): "F32", ("f", 2): "F16", ("i", 1): "I8",
              ("i", 2): "I16", ("i", 4): "I32", ("i", 8): "I64", ("u", 1): "U8",
              ("u", 2): "U16", ("u", 4): "U32", ("u", 8): "U64", ("b", 1): "BOOL"}


def _torch_dtypes(torch):
    m = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
         torch.bfloat16: "BF16", torch.int8: "I8", torch.int16: "I16", torch.int32: "I32",
         torch.int64: "I64", torch.uint8: "U8", torch.bool: "BOOL"}
    for name, code in (("float8_e4m3fn", "F8_E4M3"), ("float8_e5m2", "F8_E5M2")):
        if hasattr(torch, name):
            m[getattr(torch, name)] = code
    return m


class _Arg:
    """A tensor read in place: address, dtype, shape, element strides; `keep` holds the Python
    object that owns the memory until the run is over."""

    __slots__ = ("keep", "ptr", "dtype", "shape", "strides")

    def __init__(self, keep, ptr, dtype, shape, strides):
        self.keep, self.ptr, self.dtype = keep, ptr, dtype
        self.shape, self.strides = tuple(shape), tuple(strides)


class _Lazy:
    """A tensor converted on demand (rmtk_analysis_add_tensor_fn): `produce()` returns a
    C-contiguous CPU copy of dtype `dtype`, made when a worker loads one of its matrices and
    dropped when the library releases it, so at most one converted tensor exists at a time."""

    __slots__ = ("dtype", "shape", "produce", "live", "fetches", "error")

    def __init__(self, dtype, shape, produce):
        self.dtype, self.shape, self.produce = dtype, tuple(shape), produce
        self.live, self.fetches, self.error = None, 0, None


def _is_torch(obj):
    t = sys.modules.get("torch")
    return t is not None and isinstance(obj, t.Tensor)


def _torch_plan(t, contiguous=False):
    import torch
    t = t.detach()
    if t.is_complex():
        return _Arg(None, 0, "OTHER", t.shape, (1,) * t.dim())
    code = _torch_dtypes(torch).get(t.dtype)
    if (t.device.type == "cpu" and t.layout == torch.strided and code is not None and
            not (contiguous and not t.is_contiguous())):
        return _Arg(t, t.data_ptr(), code, t.shape, t.stride())
    target = t.dtype if code is not None else torch.float64

    def produce():
        x = t.to_dense() if t.layout != torch.strided else t
        return x.to(device="cpu", dtype=target).contiguous()
    return _Lazy(code or "F64", t.shape, produce)


def _numpy_plan(a, contiguous=False):
    if not isinstance(a, np.ndarray):
        a = np.asarray(a)
    if a.dtype.name == "bfloat16":  # ml_dtypes
        code = "BF16"
    elif a.dtype.kind in "fiub":
        code = _NP_DTYPES.get((a.dtype.kind, a.dtype.itemsize))  # None: float128 and the like
    else:  # complex, strings, objects: listed as a non-numeric dtype, never read
        return _Arg(None, 0, "OTHER", a.shape, (1,) * a.ndim)
    isz = a.dtype.itemsize
    if (code is not None and a.dtype.isnative and not any(s < 0 or s % isz for s in a.strides)
            and not (contiguous and not a.flags.c_contiguous)):
        return _Arg(a, a.ctypes.data, code, a.shape, [s // isz for s in a.strides])
    target = np.dtype(np.float64) if code is None else a.dtype.newbyteorder("=")
    return _Lazy(code or "F64", a.shape,
                 lambda: np.ascontiguousarray(a.astype(target, copy=False)))


def _plan(obj, contiguous=False):
    return _torch_plan(obj, contiguous) if _is_torch(obj) else _numpy_plan(obj, contiguous)


def _address(obj):
    return obj.data_ptr() if _is_torch(obj) else obj.ctypes.data


def _sources(source):
    """(paths, [(name, tensor)]) from the accepted kinds of source."""
    if isinstance(source, (str, bytes, os.PathLike)):
        return [os.fsdecode(source)], []
    if isinstance(source, (list, tuple)) and source and all(
            isinstance(s, (str, bytes, os.PathLike)) for s in source):
        return [os.fsdecode(s) for s in source], []
    torch = sys.modules.get("torch")
    if torch is not None and isinstance(source, torch.nn.Module):
        return [], list(source.state_dict(keep_vars=False).items())
    if isinstance(source, Mapping):
        return [], [(str(k), v) for k, v in source.items()]
    if isinstance(source, np.ndarray) or _is_torch(source):
        return [], [("matrix", source)]
    raise TypeError("rmtk.analyze: source must be a path, a list of paths, a torch.nn.Module, a "
                    "state dict, a mapping of names to arrays or one array, not %s"
                    % type(source).__name__)


# ---- progress -------------------------------------------------------------------------------

def _progress_callback(progress):
    """A Python function (done, total, name) for rmtk_analysis_run, or None."""
    if progress is False or progress is None:
        return None, None
    if callable(progress) and progress is not True:
        return progress, None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        tqdm = None
    state = {"bar": None, "last": -1}

    def cb(done, total, name):
        if tqdm is not None:
            if state["bar"] is None:
                state["bar"] = tqdm(total=total, unit="matrix", desc="rmtk")
            bar = state["bar"]
            bar.set_postfix_str(name, refresh=False)
            bar.update(done - bar.n)
            return
        step = done * 10 // total if total else 0
        if step != state["last"] or done == total:
            state["last"] = step
            print("rmtk: analysed %d/%d matrices (%.0f%%), %s"
                  % (done, total, 100.0 * done / max(total, 1), name), file=sys.stderr)

    def close():
        if state["bar"] is not None:
            state["bar"].close()
    return cb, close


def _collect(fn, handle):
    """Bytes written by an rmtk_analysis_write_*_fn."""
    chunks = []

    def write(buf, n, _user):
        chunks.append(ctypes.string_at(buf, n))
        return n
    cb = _lib.WRITE_FN(write)
    check(fn(handle, cb, None), lambda: lib.rmtk_analysis_errmsg(handle))
    return b"".join(chunks)


# ---- the entry point ------------------------------------------------------------------------

def analyze(source, *, stats=None, threads=None, seed=1, include=None, exclude=None,
            conv="flatten", min_side=10, progress=True, **params):
    """Analyse every weight matrix of `source`; the library's `rmtk analyze`, returning a Report.

    source: a path of any format rmtk reads (safetensors file, shard index or directory, .npy,
        .npz, GGUF, PyTorch .pt/.pth/.bin, TF.js, ONNX, Keras), a list of paths, a
        torch.nn.Module (its state_dict()), a state dict or any mapping of names to torch
        tensors / NumPy arrays, or one array (named "matrix").
        In-memory tensors are read in place (no copy) when they are on the CPU, of a dtype the
        library reads (float64/32/16, bfloat16 and float8 through their raw bits, signed and
        unsigned integers) with non-negative strides; strided (transposed, sliced) tensors
        are read through their strides. Anything else (a GPU or sparse tensor, float128, a
        big-endian or negative-stride array, a flattened kernel whose trailing dimensions do
        not collapse into one stride) is converted during the run, one tensor at a time, when
        a worker loads it (rmtk_analysis_add_tensor_fn), and dropped once loaded: never the
        whole model at once. Complex tensors are listed as skipped. Report.inputs says what
        was read in place and what was converted; Report.conversions counts the conversions
        and the most converted tensors alive at once.
    stats: "basic,mp,levels,alpha" (default, as the CLI), a list, or "all"; names of rmtk.STATS.
    threads: worker threads (None: all cores; results do not depend on it).
    seed: seed of the randomised statistics (default 1).
    include, exclude: POSIX extended regexes on tensor names. conv: "flatten" or "slices".
    min_side: matrices with a side below it are skipped (default 10).
    progress: True (a tqdm bar when tqdm is installed, else a line every 10 % on stderr), False,
        or a function progress(done, total, name).
    **params: the CLI's other options: significance (0.05), bootstrap (1000), pt_method
        ("exact_mc", "kolmogorov", "paper", "staats"), pt_samples, replicas (5), unfold
        ("gauss:15", "gauss-replicate:W", "poly:D", "mp"), sigma2_mc, exact, gram_rtol.
    Raises rmtk.Error subclasses: FormatError (a malformed file, with the library's message),
    IOError, UnsupportedError, ArgError (bad parameters), NoMemError. A matrix that fails is
    reported with status "error" in the summary, as in the CLI, and the call does not raise.
    """
    p, keep = _params(stats, threads, seed, include, exclude, conv, min_side, params)
    paths, tensors = _sources(source)
    h = ctypes.c_void_p()
    check(lib.rmtk_analysis_alloc(ctypes.byref(p), ctypes.byref(h)),
          "invalid analysis parameters")
    models, args, inputs = [], [], []
    try:
        for path in paths:
            m = ctypes.c_void_p()
            st = lib.rmtk_model_open(path.encode(), ctypes.byref(m))
            models.append(m)
            check(st, lambda: lib.rmtk_model_errmsg(m) if m else None)
            check(lib.rmtk_analysis_add_model(h, m, path.encode()),
                  lambda: lib.rmtk_analysis_errmsg(h))
        lazies, live = [], {"now": 0, "max": 0}

        def fetch(user, out):
            lz = lazies[user - 1]
            try:
                obj = lz.produce()
            except MemoryError:
                return 1
            except Exception as e:  # the matrix fails with status "error"; the run goes on
                lz.error = "%s: %s" % (type(e).__name__, e)
                return 2
            lz.live, lz.fetches = obj, lz.fetches + 1
            live["now"] += 1
            live["max"] = max(live["max"], live["now"])
            out[0] = _address(obj)
            return 0

        def release(user):
            lazies[user - 1].live = None
            live["now"] -= 1
        cfetch, crelease = _lib.FETCH_FN(fetch), _lib.RELEASE_FN(release)
        for name, t in tensors:
            a = _plan(t)
            st = _add_tensor(h, name, a, lazies, cfetch, crelease)
            if st == 4 and isinstance(a, _Arg) and a.ptr:
                # strides the library cannot walk (a channels-last kernel to flatten)
                a = _plan(t, contiguous=True)
                st = _add_tensor(h, name, a, lazies, cfetch, crelease)
            check(st, lambda: lib.rmtk_analysis_errmsg(h))
            args.append((name, a))
        cb, close = _progress_callback(progress)
        ccb = _lib.PROGRESS_FN(
            (lambda _u, done, total, name: cb(done, total, (name or b"").decode(
                errors="replace"))) if cb else (lambda *_: None))
        try:
            run_st = lib.rmtk_analysis_run(h, ccb, None)
        finally:
            if close:
                close()
        if run_st == 1:
            check(run_st, lambda: lib.rmtk_analysis_errmsg(h))
        csv_bytes = _collect(lib.rmtk_analysis_write_csv_fn, h)
        json_bytes = _collect(lib.rmtk_analysis_write_json_fn, h)
        summary_bytes = _summary_csv(h)
        for name, a in args:
            lazy = isinstance(a, _Lazy)
            inputs.append({"name": name, "dtype": a.dtype, "shape": a.shape,
                           "address": None if lazy else a.ptr, "copied": lazy,
                           "fetches": a.fetches if lazy else 0,
                           "error": a.error if lazy else None})
        report = Report(csv_bytes, json_bytes, inputs, summary_bytes)
        report.conversions = {"tensors": len(lazies), "fetches": sum(z.fetches for z in lazies),
                              "max_live": live["max"]}
        report._run_status = run_st
        return report
    finally:
        lib.rmtk_analysis_free(h)
        for m in models:
            lib.rmtk_model_close(m)
        del args, keep


def _add_tensor(h, name, a, lazies, cfetch, crelease):
    nd = len(a.shape)
    shape = (ctypes.c_int64 * max(nd, 1))(*a.shape)
    if isinstance(a, _Lazy):
        lazies.append(a)
        return lib.rmtk_analysis_add_tensor_fn(h, name.encode(), _lib.DTYPES[a.dtype], nd,
                                               shape, cfetch, crelease,
                                               ctypes.c_void_p(len(lazies)))
    strides = (ctypes.c_int64 * max(nd, 1))(*a.strides)
    return lib.rmtk_analysis_add_tensor(h, name.encode(), a.ptr or None,
                                        _lib.DTYPES[a.dtype], nd, shape, strides)


# ---- the report -----------------------------------------------------------------------------

def _number(s):
    if s == "":
        return None
    try:
        return int(s)
    except ValueError:
        try:
            return float(s)
        except ValueError:
            return s


_MANIFEST_HEAD = ("# rmtk %s: the files of the last `rmtk analyze` into this folder (paths "
                  "relative to it).\n# rmtk removes these, and only these, before its next run "
                  "here writes its own (docs/report.md).\n")


def _safe_entry(p):
    """A manifest line rmtk may delete: NAME, figures/NAME or layers/NAME, NAME of [A-Za-z0-9._-]
    not starting with '.' (the CLI's rule, cli/outdir.c)."""
    import re
    if p.startswith("figures/") or p.startswith("layers/"):
        p = p.split("/", 1)[1]
    return bool(re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]*", p))


class Report:
    """The result of rmtk.analyze: the library's summary.csv and report.json, held in memory.

    summary: a pandas DataFrame with one row per matrix (skipped ones too), the columns of
        summary.csv (name, tensor, file, ..., verdict, looks_random, the statistics); a list of
        dicts when pandas is not installed.
    skipped: report.json's skipped list (name, file, dtype, skip, reason).
    params: report.json's parameters. json: the whole report.json as a dict.
    inputs: for in-memory sources, each tensor's name, dtype, shape, the address the library
        read (None when converted), copied, fetches (conversions made) and error.
    conversions: {"tensors", "fetches", "max_live"} of the converted tensors.
    csv_bytes, json_bytes: the files' exact bytes.
    """

    def __init__(self, csv_bytes, json_bytes, inputs=(), summary_bytes=b""):
        self.csv_bytes = csv_bytes
        self.json_bytes = json_bytes
        self.model_summary_bytes = summary_bytes
        self.json = json.loads(json_bytes)
        self.inputs = list(inputs)
        self.conversions = {"tensors": 0, "fetches": 0, "max_live": 0}
        self._matrices = {m["name"]: m for m in self.json["matrices"]}
        self._summary = None

    # -- tables
    @property
    def summary(self):
        if self._summary is None:
            try:
                import pandas as pd
            except ImportError:
                rows = list(csv.DictReader(io.StringIO(self.csv_bytes.decode())))
                text = ("name", "tensor", "file", "dtype", "method", "status", "reason",
                        "verdict")
                self._summary = [{k: (v if k in text else _number(v)) for k, v in r.items()}
                                 for r in rows]
            else:
                self._summary = pd.read_csv(io.BytesIO(self.csv_bytes), keep_default_na=False,
                                            float_precision="round_trip",
                                            na_values=[""],
                                            dtype={"name": str, "tensor": str, "file": str,
                                                   "reason": str, "verdict": str,
                                                   "dtype": str, "method": str,
                                                   "status": str})
                text = ["name", "tensor", "file", "dtype", "method", "status", "reason",
                        "verdict"]
                self._summary[text] = self._summary[text].fillna("")
        return self._summary

    @property
    def skipped(self):
        return list(self.json["skipped"])

    @property
    def params(self):
        return dict(self.json["parameters"])

    @property
    def names(self):
        """Names of the analysed matrices, in report order."""
        return list(self._matrices)

    def _matrix(self, name):
        try:
            return self._matrices[name]
        except KeyError:
            raise _lib.NotFoundError("%r is not an analysed matrix of this report (%d: %s)"
                                     % (name, len(self._matrices),
                                        ", ".join(list(self._matrices)[:8])), 6) from None

    def metrics(self, name):
        """The statistics of one matrix (report.json "metrics"), a dict."""
        return dict(self._matrix(name)["metrics"])

    def arrays(self, name):
        """Every array report.json holds for the matrix, as float64 NumPy arrays."""
        return {k: np.asarray(v, dtype=np.float64)
                for k, v in self._matrix(name)["arrays"].items()}

    def spectrum(self, name, kind="singular"):
        """Singular values of the matrix, largest first (kind="singular"), or the eigenvalues
        lambda = sigma^2 of W^T W (kind="eigen", rmtk's convention: no 1/N)."""
        sv = np.asarray(self._matrix(name)["arrays"]["singular_values"], dtype=np.float64)
        if kind == "singular":
            return sv
        if kind == "eigen":
            return sv * sv
        raise ValueError("kind: 'singular' or 'eigen', not %r" % (kind,))

    def vectors(self, name):
        """The singular-vector statistics of the matrix (stats="vectors"): Porter-Thomas
        p-values per left/right vector (pt_p_left, pt_p_right), IPRs (ipr_left, ipr_right),
        the rejection fraction per decile and the component samples. Raises NotFoundError when
        the vectors were not computed."""
        arr = self._matrix(name)["arrays"]
        out = {k: np.asarray(v, dtype=np.float64) for k, v in arr.items()
               if k.startswith(("pt_", "ipr_", "vec_"))}
        if not out:
            raise _lib.NotFoundError("%r: no singular-vector statistics in this report "
                                     "(analyze with stats including 'vectors')" % (name,), 6)
        return out

    # -- files
    def save(self, directory):
        """Write what `rmtk analyze --out DIR --no-plots` writes: summary.csv, report.json,
        model_summary.csv
        (the library's bytes, identical to the CLI's for the same inputs and parameters) and
        rmtk-manifest.txt (the CLI's list of its files, so that a later `rmtk analyze --out`
        into the same folder replaces them). Each file is written to a temporary name and
        renamed. report.html and figures/ are drawn by the CLI: `rmtk plot DIR/report.json`."""
        os.makedirs(directory, exist_ok=True)
        written = {"summary.csv": self.csv_bytes, "report.json": self.json_bytes,
                   "model_summary.csv": self.model_summary_bytes}
        manifest = _MANIFEST_HEAD % self.json["rmtk_version"] + "".join(
            name + "\n" for name in sorted(written))
        # As the CLI: the files of the previous run's manifest that this one does not write
        # (figures/, report.html) are removed, and only those (docs/report.md, output folder).
        try:
            with open(os.path.join(directory, "rmtk-manifest.txt")) as f:
                previous = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
        except OSError:
            previous = []
        for entry in previous:
            if entry in written or not _safe_entry(entry):
                continue
            try:
                os.unlink(os.path.join(directory, entry))
            except OSError:
                pass
        for sub in ("figures", "layers"):
            try:
                os.rmdir(os.path.join(directory, sub))  # only when empty, as the CLI
            except OSError:
                pass
        for fname, data in list(written.items()) + [("rmtk-manifest.txt", manifest.encode())]:
            path = os.path.join(directory, fname)
            tmp = "%s.tmp.%d" % (path, os.getpid())
            with open(tmp, "wb") as f:
                f.write(data)
            os.replace(tmp, path)
        return directory

    # -- display
    def _repr_html_(self):
        s = self.summary
        if hasattr(s, "to_html"):
            return s.to_html(max_rows=60)
        import html
        cols = ["name", "rows", "cols", "status", "verdict"]
        head = "".join("<th>%s</th>" % c for c in cols)
        body = "".join("<tr>%s</tr>" % "".join("<td>%s</td>" % html.escape(str(r.get(c, "")))
                                              for c in cols) for r in s)
        return "<table><tr>%s</tr>%s</table>" % (head, body)

    def __repr__(self):
        n = len(self._matrices)
        return "<rmtk.Report: %d matrices analysed, %d skipped>" % (n, len(self.json["skipped"]))

    def plot(self, name, kind="esd", ax=None):
        """Draw one figure of the matrix with matplotlib (as the CLI's figures):
        kind="esd": histogram of lambda = sigma^2 with the fitted Marchenko-Pastur density
            (stats "mp"); "spacings": unfolded nearest-neighbour spacings with the GOE Wigner
            surmise and Poisson (stats "levels"); "ratios": the <r~> histogram with the GOE and
            Poisson surmises; "sigma2" / "delta3": number variance / spectral rigidity against
            GOE and Poisson; "sv": singular values by rank (log scale).
        Returns the matplotlib Axes."""
        import matplotlib.pyplot as plt
        from . import functions as F
        if ax is None:
            _, ax = plt.subplots(figsize=(6, 4))
        m = self._matrix(name)
        arr, met = m["arrays"], m["metrics"]
        if kind == "esd":
            lam = self.spectrum(name, "eigen")
            lam = lam[lam > 0]
            ax.hist(lam, bins=min(400, max(10, len(lam) // 4)), density=True, alpha=0.6,
                    label="ESD of W^T W")
            s2 = met.get("mp_sigma2")
            if s2 is not None and isinstance(s2, (int, float)) and math.isfinite(s2):
                lo, hi = F.mp_support(s2, m["rows"], m["cols"])
                x = np.linspace(lo, hi, 400)
                ax.plot(x, F.mp_pdf(x, s2, m["rows"], m["cols"]), "r-",
                        label="MP fit (sigma^2 = %.3g)" % s2)
                out = int(np.sum(lam > 1.5 * hi))
                if out:  # the bulk stays readable; the outliers are counted
                    ax.set_xlim(0, 1.5 * hi)
                    ax.plot([], [], " ", label="%d values beyond the axis (max %.3g)"
                            % (out, lam.max()))
            ax.set_xlabel("lambda = sigma^2")
            ax.set_ylabel("density")
        elif kind == "sv":
            sv = self.spectrum(name)
            ax.semilogy(np.arange(1, len(sv) + 1), sv, ".")
            ax.set_xlabel("rank")
            ax.set_ylabel("singular value")
        elif kind == "spacings":
            d = np.asarray(arr["unfolded_spacings"])
            ax.hist(d, bins=40, density=True, alpha=0.6, label="unfolded spacings")
            s = np.linspace(0, max(4.0, float(d.max()) if len(d) else 4.0), 300)
            ax.plot(s, F.wigner_surmise_pdf(s, 1), "r-", label="GOE (Wigner surmise)")
            ax.plot(s, np.exp(-s), "k--", label="Poisson")
            ax.set_xlabel("s")
            ax.set_ylabel("P(s)")
        elif kind == "ratios":
            h = np.asarray(arr["ratio_hist"])
            b = len(h)
            x = (np.arange(b) + 0.5) / b
            ax.bar(x, h, width=1.0 / b, alpha=0.6, label="r~")
            ax.plot(x, arr["ratio_hist_goe"], "r-", label="GOE")
            ax.plot(x, arr["ratio_hist_poisson"], "k--", label="Poisson")
            ax.set_xlabel("r~")
            ax.set_ylabel("P(r~)")
        elif kind in ("sigma2", "delta3"):
            L = np.asarray(arr["curve_L"])
            ax.plot(L, arr[kind], "o-", label="data")
            ax.plot(L, arr[kind + "_goe"], "r-", label="GOE")
            ax.plot(L, arr[kind + "_poisson"], "k--", label="Poisson")
            ax.set_xlabel("L")
            ax.set_ylabel("Sigma^2(L)" if kind == "sigma2" else "Delta_3(L)")
        else:
            raise ValueError("kind: esd, sv, spacings, ratios, sigma2 or delta3, not %r"
                             % (kind,))
        ax.set_title("%s (%dx%d)" % (name, m["rows"], m["cols"]))
        if kind != "sv":
            ax.legend(fontsize=8)
        return ax
