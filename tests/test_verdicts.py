"""Verdicts that stay honest on the layers real networks contain (issue 10, sections 1-3):
precision-aware numerical rank, dead units, rank deficiency, degenerate (flat) spectra, capped
or failed Marchenko-Pastur fits and minimum sizes. Inputs are written with numpy (an independent
writer); the right values come from numpy (matrix_rank on the stored array, the entry variance
used to draw the matrix) or from exact theory (an orthogonal matrix has one singular value)."""
import csv
import json
import os
import subprocess

import numpy as np
import pytest
from stfile import write_typed as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
OUT = {}  # the analysis output directory of the module's report


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def bf16(a):
    """float64 -> bfloat16 bit patterns (uint16), rounded to nearest even like torch."""
    u = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16
    return u.astype(np.uint16)


def bf16_values(bits):
    return (bits.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def spiked(rng, n, m, j):
    """n x m N(0, 1) entries plus j orthogonal rank-1 signals far above the BBP threshold."""
    u = np.linalg.qr(rng.standard_normal((n, j)))[0]
    v = np.linalg.qr(rng.standard_normal((m, j)))[0]
    return rng.standard_normal((n, m)) + (u * np.linspace(80, 120, j)) @ v.T


def orthogonal(rng, n):
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return q * np.sign(np.diag(r))


@pytest.fixture(scope="module")
def cases():
    """The matrices of issue 10 as stored arrays (dtype as written)."""
    rng = np.random.default_rng(21)
    g1, g2 = rng.standard_normal((200, 30)), rng.standard_normal((30, 120))
    rank30 = (g1 @ g2).astype(np.float32)
    rng = np.random.default_rng(5)
    dead = rng.standard_normal((2048, 256)) / np.sqrt(2048)
    dead[:, 112:] = 0
    ortho = orthogonal(np.random.default_rng(3), 200).astype(np.float32)
    rng = np.random.default_rng(11)
    u, v = orthogonal(rng, 200)[:, :100], orthogonal(rng, 100)
    geometric = (u * 0.95 ** np.arange(100)) @ v.T
    gauss = np.random.default_rng(13).standard_normal((300, 200))
    return {
        "rank30": rank30,
        "rank30_small": (rank30.astype(np.float64) * 1e-5).astype(np.float32),
        "dead": dead.astype(np.float32),
        "ortho": ortho,
        "ortho64": orthogonal(np.random.default_rng(3), 200),
        "geometric": geometric,
        "gauss": gauss,
        # a Gaussian bulk with 8 strong spikes: the law is judged on the bulk, not the spikes
        "spiked8": spiked(np.random.default_rng(23), 600, 400, 8),
        # a BF16 layer (side >= 128) and one with a strong rank-2 signal on top of its bulk
        "gauss_bf16": bf16(np.random.default_rng(17).standard_normal((512, 384))),
        "spiked_bf16": bf16(np.random.default_rng(19).standard_normal((512, 384)) +
                            40 * np.outer(np.ones(512), np.ones(384)) / np.sqrt(512 * 384) *
                            np.sqrt(512 * 384) / 8),
        "zero": np.zeros((64, 48)),
        # Cauchy entries: a heavy tail, but the WeightWatcher fit keeps only ~30 tail values
        "cauchy": np.random.default_rng(2).standard_t(1.0, (100, 60)),
    }


@pytest.fixture(scope="module")
def report(cases, tmp_path_factory):
    d = tmp_path_factory.mktemp("verdicts")
    path = d / "m.safetensors"
    write_safetensors(path, cases)
    out = d / "out"
    table = run("analyze", path, "--out", out, "--stats", "basic,mp,levels,tails",
                "--bootstrap", "0", "--threads", "2", "--wide").stdout
    with open(out / "summary.csv") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    with open(out / "report.json") as f:
        js = {m["name"]: m for m in json.load(f)["matrices"]}
    verdicts = {}
    for line in table.splitlines():
        for name in cases:
            if line.startswith(name + " "):
                verdicts[name] = line
    html = (out / "report.html").read_text()
    OUT["dir"] = out
    return rows, js, verdicts, html


def num(row, col):
    return float(row[col]) if row[col] != "" else float("nan")


def test_rank_from_stored_precision(cases, report):
    rows, js, verdicts, _ = report
    a = cases["rank30"]
    s = np.linalg.svd(a.astype(np.float64), compute_uv=False)
    assert np.linalg.matrix_rank(a) == 30  # numpy on the stored F32 array
    assert s[29] > 60 and s[30] < 1e-4
    r = rows["rank30"]
    assert num(r, "numerical_rank") == 30
    assert num(r, "n_null") == 90
    assert r["mp_fit_status"] == "too_few"
    assert "too few levels for bulk statistics (30 levels" in verdicts["rank30"]
    assert "outlier" not in verdicts["rank30"]
    assert "GOE" not in verdicts["rank30"]


def test_zero_atom_is_scale_invariant(report):
    rows, _, _, _ = report
    za, zb = num(rows["rank30"], "zero_atom"), num(rows["rank30_small"], "zero_atom")
    assert za == pytest.approx(90 / 120)
    assert zb == za
    assert num(rows["rank30_small"], "numerical_rank") == 30
    assert num(rows["gauss"], "zero_atom") == 0
    assert num(rows["zero"], "zero_atom") == 1


def test_dead_columns(cases, report):
    rows, js, verdicts, _ = report
    r = rows["dead"]
    assert num(r, "numerical_rank") == 112 == np.linalg.matrix_rank(cases["dead"])
    assert num(r, "n_null") == 144
    assert num(r, "mp_sigma2") == pytest.approx(1 / 2048, rel=0.10)
    assert num(r, "n_spikes") <= 3
    assert r["mp_fit_status"] == "ok"
    assert "flat spectrum" not in verdicts["dead"]
    # the ESD figure's data: only the 112 live values, on the scale of 2048 x 1/2048 (not 1e-18)
    idx = list(js).index("dead")
    with open(OUT["dir"] / "figures" / f"{idx:03d}-dead-esd.csv") as f:
        bins = [r for r in csv.DictReader(f) if r["series"] == "hist_lambda"]
    assert sum(int(b["count"]) for b in bins) == 112
    lam = np.linalg.svd(cases["dead"].astype(np.float64), compute_uv=False)[:112] ** 2
    assert float(bins[-1]["x_hi"]) >= lam.max() and float(bins[-1]["x_hi"]) < 2 * lam.max()


def test_degenerate_orthogonal(cases, report):
    rows, js, verdicts, _ = report
    s = np.linalg.svd(cases["ortho"].astype(np.float64), compute_uv=False)
    assert s[0] - s[-1] < 200 * 2.0 ** -23  # the spread is at the storage precision
    for name in ("ortho", "ortho64"):
        r = rows[name]
        assert num(r, "degenerate") == 1, name
        assert r["levels_status"] == "degenerate" and r["tails_status"] == "degenerate"
        for col in ("r_mean", "ks_p_goe", "brody_beta", "sigma2_L1", "delta3_L5", "alpha",
                    "csn_alpha", "hill_alpha"):
            assert r[col] == "", (name, col)
        assert "flat spectrum (orthogonal-like)" in verdicts[name]
        assert "GOE" not in verdicts[name]
        assert js[name]["statuses"]["levels_status"] == "degenerate"


def test_capped_fit(report):
    rows, js, verdicts, _ = report
    r = rows["geometric"]
    assert r["mp_fit_status"] == "capped"
    assert num(r, "n_spikes") == 50  # the value stays in the CSV ...
    assert "bulk not Marchenko-Pastur" in verdicts["geometric"]
    assert "structure in" not in verdicts["geometric"]  # ... but no outliers are counted
    assert js["geometric"]["statuses"]["mp_fit_status"] == "capped"
    assert js["geometric"]["metrics"]["mp_fit_status"] == 1
    assert "<td>capped</td>" in report[3]  # the HTML table names the status
    assert " capped " in verdicts["geometric"]  # and so does the terminal table


def test_gaussian_control(report):
    rows, js, verdicts, _ = report
    r = rows["gauss"]
    assert r["mp_fit_status"] == "ok" and r["levels_status"] == "ok"
    assert num(r, "mp_law_ks") <= num(r, "mp_law_ks_crit")
    assert num(r, "mp_sigma2") == pytest.approx(1.0, rel=0.05)
    assert num(r, "degenerate") == 0 and num(r, "n_null") == 0
    assert "bulk random (GOE)" in verdicts["gauss"]


def test_spikes_do_not_fail_the_fit(report):
    """8 spikes are 2 % of 400 values, four times the KS critical value: the fit must be judged
    on the bulk it describes (outliers censored), so the status is ok and all 8 are counted."""
    rows, js, verdicts, _ = report
    r = rows["spiked8"]
    assert r["mp_fit_status"] == "ok"
    assert num(r, "mp_law_ks") <= num(r, "mp_law_ks_crit") < 8 / 400
    assert num(r, "n_spikes") == 8
    assert num(r, "mp_sigma2") == pytest.approx(1.0, rel=0.05)
    assert "structure in 8 outliers" in verdicts["spiked8"]


def test_bf16_is_not_flat(cases, report):
    """Low-precision storage: the rank and the flatness test follow the rounding noise of the
    entries, not sigma_1 times the stored eps (which would call every BF16 layer of side >= 128
    flat, and drop the bulk under a strong outlier)."""
    rows, js, verdicts, _ = report
    for name in ("gauss_bf16", "spiked_bf16"):
        r = rows[name]
        s = np.linalg.svd(bf16_values(cases[name]), compute_uv=False)
        assert s[-1] > 0.1 * s[len(s) // 2]  # full rank in exact arithmetic on the stored values
        assert num(r, "degenerate") == 0, name
        assert num(r, "numerical_rank") == 384 and num(r, "n_null") == 0, name
        assert r["levels_status"] == "ok", name
        assert "flat spectrum" not in verdicts[name]
    assert rows["spiked_bf16"]["mp_fit_status"] == "ok"
    assert num(rows["spiked_bf16"], "n_spikes") >= 1


def test_all_zero_never_random(report):
    rows, js, verdicts, html = report
    r = rows["zero"]
    assert num(r, "numerical_rank") == 0 and num(r, "n_null") == 48
    assert r["mp_fit_status"] == "too_few"
    assert "all-zero matrix" in verdicts["zero"]
    # the HTML summary counts the all-zero matrix as undetermined, never as random
    assert "<b class=random>3 look random</b>" in html  # the Gaussians (F64, BF16), the dead-column one
    assert "class=random>random</span> — all-zero" not in html


def test_paper_status_says_why(report):
    rows, _, _, _ = report
    assert rows["gauss"]["mp_paper_status"] == "ok"
    assert rows["rank30"]["mp_paper_status"] == "too_few"  # 30 <= 2 * 15 + 2
    for r in rows.values():
        if r["mp_paper_sigma2"] == "" and r["mp_fit_status"] != "":
            assert r["mp_paper_status"] in ("too_few", "failed"), r["name"]


def test_no_tail_verdict_below_minimum(report):
    rows, js, verdicts, _ = report
    r = rows["cauchy"]
    assert num(r, "alpha") < 2 and num(r, "n_tail") < 50  # the value stays in the CSV
    assert r["tails_status"] == "too_few"
    assert "very heavy tail" not in verdicts["cauchy"]
    assert "no tail verdict (alpha" in verdicts["cauchy"] and "< 50)" in verdicts["cauchy"]
    assert js["cauchy"]["statuses"]["tails_status"] == "too_few"
