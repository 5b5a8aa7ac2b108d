"""A WeightWatcher-style front door: `rmtk.compat.WeightWatcher(model=m).analyze()` returns a
DataFrame with WeightWatcher's column names, computed by rmtk (stats basic, mp, tails), so that
a notebook written for weightwatcher runs by changing its import:

    import rmtk.compat as ww            # instead of: import weightwatcher as ww
    watcher = ww.WeightWatcher(model=model)
    details = watcher.analyze()
    summary = watcher.get_summary(details)

The mapping of each column to rmtk's, and where the definitions differ: docs/report.md,
"Python compat front door".
"""
import warnings

import numpy as np

from ._analyze import analyze as _analyze

# WeightWatcher column <- rmtk summary.csv column (None: computed here from rmtk's).
COLUMNS = [
    ("layer_id", None), ("name", "name"), ("longname", "name"), ("N", None), ("M", None),
    ("rf", None), ("num_evals", None), ("rank_loss", "n_null"), ("has_esd", None),
    ("alpha", "alpha"), ("alpha_weighted", "alpha_weighted"),
    ("log_alpha_norm", "log_alpha_norm"), ("xmin", "xmin"), ("xmax", None), ("D", "ks_d"),
    ("sigma", "alpha_err"), ("num_pl_spikes", "n_tail"), ("norm", "fro_norm2"),
    ("log_norm", "log_norm"), ("spectral_norm", "lambda_max"),
    ("log_spectral_norm", "log_spectral_norm"), ("stable_rank", "stable_rank"),
    ("lambda_max", "lambda_max"), ("mp_softrank", "mp_softrank"), ("num_spikes", "n_spikes"),
    ("bulk_max", "mp_lambda_plus"), ("bulk_min", "mp_lambda_minus"), ("sv_max", "spectral_norm"),
    ("entropy", "spectral_entropy"), ("warning", None),
]


# rmtk.analyze's own parameters, passed through; any other keyword (a WeightWatcher option
# such as mp_fit, fix_fingers, pool, vectors) is ignored with a warning.
_RMTK_PARAMS = {"significance", "bootstrap", "pt_method", "pt_samples", "replicas", "unfold",
                "sigma2_mc", "exact", "gram_rtol", "include", "exclude"}


class WeightWatcher:
    """WeightWatcher(model=m): m is anything rmtk.analyze accepts (a torch.nn.Module, a state
    dict, a dict of arrays, a path)."""

    def __init__(self, model=None, log_level=None):
        self.model = model
        self.details = None
        self.report = None

    def analyze(self, model=None, layers=None, min_evals=10, max_evals=None, randomize=False,
                plot=False, savefig=False, conv2d_fft=False, ww2x=False, threads=None,
                seed=1, progress=False, **kwargs):
        """Analyse the model's weight matrices; returns the details DataFrame (a list of dicts
        without pandas), one row per analysed matrix, WeightWatcher's columns.
        min_evals: matrices with fewer eigenvalues (min side) are skipped (rmtk's min_side).
        ww2x=True: convolution kernels as one matrix per kernel position (WeightWatcher 2.x
        behaviour, rmtk conv="slices"); default: rmtk's flattened (out, in*kh*kw) matrix.
        randomize=True adds rmtk's randomised baseline (null_ks: the KS distance between the
        ESD and its element shuffles) as column rand_distance. layers: a list of layer ids or
        names to keep. Other WeightWatcher options (plot, savefig, conv2d_fft, max_evals) are
        accepted and ignored (plots: rmtk.Report.plot); other WeightWatcher keywords are ignored
        with a warning; rmtk.analyze's own (bootstrap, significance, include, ...) pass
        through."""
        if model is not None:
            self.model = model
        ours = {k: v for k, v in kwargs.items() if k in _RMTK_PARAMS}
        for k in sorted(set(kwargs) - set(ours)):
            warnings.warn("rmtk.compat.WeightWatcher.analyze: WeightWatcher option %r has no "
                          "rmtk equivalent and is ignored" % (k,), stacklevel=2)
        stats = "basic,mp,tails" + (",null" if randomize else "")
        self.report = _analyze(self.model, stats=stats, min_side=min_evals,
                               conv="slices" if ww2x else "flatten", threads=threads,
                               seed=seed, progress=progress, **ours)
        rows = []
        for lid, name in enumerate(self.report.names):
            met = self.report.metrics(name)
            m = self.report._matrix(name)
            r, c = m["rows"], m["cols"]
            row = {}
            for ww, ours in COLUMNS:
                if ours == "name":
                    row[ww] = name
                elif ours is not None:
                    v = met.get(ours)
                    row[ww] = np.nan if v is None else v
            row["layer_id"] = lid
            row["N"], row["M"] = max(r, c), min(r, c)
            row["rf"] = 1
            row["num_evals"] = min(r, c)
            row["has_esd"] = True
            sv = self.report.spectrum(name)
            row["xmax"] = float(sv[0] ** 2) if len(sv) else np.nan
            alpha = row.get("alpha", np.nan)
            row["warning"] = ("" if not np.isfinite(alpha) else
                              "over-trained" if alpha < 2 else
                              "under-trained" if alpha > 6 else "")
            if randomize:
                row["rand_distance"] = met.get("null_ks", np.nan)
            rows.append(row)
        if layers is not None:
            keep = set(layers)
            rows = [r for r in rows if r["layer_id"] in keep or r["name"] in keep]
        try:
            import pandas as pd
        except ImportError:
            self.details = rows
        else:
            cols = [c for c, _ in COLUMNS] + (["rand_distance"] if randomize else [])
            self.details = pd.DataFrame(rows, columns=cols)
        return self.details

    def get_details(self):
        """The details of the last analyze() (analysing first if needed)."""
        if self.details is None:
            self.analyze()
        return self.details

    def get_summary(self, details=None):
        """Means over the layers of WeightWatcher's summary metrics (log_norm, alpha,
        alpha_weighted, log_alpha_norm, log_spectral_norm, stable_rank, mp_softrank), NaNs
        left out: a dict."""
        d = self.get_details() if details is None else details
        keys = ["log_norm", "alpha", "alpha_weighted", "log_alpha_norm", "log_spectral_norm",
                "stable_rank", "mp_softrank"]
        out = {}
        for k in keys:
            vals = np.array([r[k] for r in d] if isinstance(d, list) else d[k], dtype=float)
            vals = vals[np.isfinite(vals)]
            out[k] = float(vals.mean()) if len(vals) else float("nan")
        return out
