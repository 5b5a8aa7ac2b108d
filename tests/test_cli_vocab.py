"""One vocabulary and the verdict in the data (issue 11): summary.csv, report.json, `--json`, the
terminal table and report.html name the same numbers with the same keys (summary.csv's column
names), carry the same verdict, looks_random flag and input file for every row, and write
integer columns as integers. Checked on the bundled network and on a Gaussian matrix (which looks
random: its verdict is known), with counts recomputed independently by numpy. Run by ctest with
RMTK_CLI set."""
import csv
import html as htmllib
import io
import json
import os
import re
import subprocess

import numpy as np
import pytest
from stfile import write_f32 as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
SRC = os.environ.get("RMTK_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(SRC, "examples", "fashion_mlp.safetensors")

# counts, flags and status codes (rmtk_report_key_is_integer; docs/report.md)
INTEGER_KEYS = {"slice", "rows", "cols", "looks_random", "numerical_rank", "n_above_mp_edge",
                "n_null", "degenerate", "n_spikes", "mp_paper_n_above", "n_unfolded", "n_tail",
                "csn_n_tail", "hill_defined", "pt_n_tested", "mp_fit_status", "mp_paper_status",
                "levels_status", "tails_status"}
STATUS_KEYS = {"mp_fit_status", "mp_paper_status", "levels_status", "tails_status"}
STRUCTURE_PARTS = ("bulk uncorrelated", "bulk deviates", "bulk not Marchenko-Pastur",
                   "structure in", "top vectors non-Gaussian", "very heavy tail", "flat spectrum")


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    d = tmp_path_factory.mktemp("vocab")
    rng = np.random.default_rng(2024)
    gauss = rng.standard_normal((400, 300))
    rnd = d / "random.safetensors"
    write_safetensors(rnd, {"gauss.weight": gauss, "gauss.bias": rng.standard_normal(400)})
    args = [EXAMPLE, rnd, "--stats", "all", "--bootstrap", "20", "--threads", "2"]
    term = run("analyze", *args, "--out", d / "out", "--wide")
    js = run("analyze", *args, "--json", "--quiet")
    with open(d / "out" / "summary.csv", newline="") as f:
        text = f.read()
    rows = list(csv.DictReader(io.StringIO(text)))
    header = text.splitlines()[0].split(",")
    rep = json.loads((d / "out" / "report.json").read_text())
    raw = (d / "out" / "report.json").read_text()
    page = (d / "out" / "report.html").read_text()
    layers = "".join(f.read_text() for f in sorted((d / "out" / "layers").iterdir()))
    return dict(layers=layers, dir=d, term=term.stdout, json=json.loads(js.stdout), rows=rows, header=header,
                rep=rep, raw=raw, html=page, gauss=gauss.astype(np.float32).astype(np.float64),
                files={"fc1.weight": EXAMPLE, "gauss.weight": str(rnd)})


def terminal(out):
    """The table (header, rows by name) and the legend {heading: key} of `rmtk analyze`."""
    lines = out.splitlines()
    head = lines[0].split()
    assert head[:5] == ["name", "rows", "x", "cols", "dtype"] and head[-1] == "verdict", lines[0]
    heads = head[6:-1]
    rows = {}
    for l in lines[1:]:
        if not l.strip():
            break
        rows[l.split()[0]] = l
    i = next(k for k, l in enumerate(lines) if l.startswith("columns (heading = summary.csv"))
    legend = {}
    for l in lines[i + 1:]:
        if not l.startswith("  "):
            break
        m = re.match(r"  (\S+)\s+= (\w+): ", l) or re.match(r"  (\S+)\s+: ", l)
        assert m, l
        legend[m.group(1)] = m.group(2) if m.lastindex == 2 else m.group(1)
    return heads, rows, legend


def html_table_keys(page):
    table = page[page.index("<h2 id=table>"):]
    table = table[:table.index("</thead>")]
    heads = [re.sub(r"<[^>]+>", "", h) for h in re.findall(r"<th[^>]*>(.*?)</th>", table)]
    assert heads[:7] == ["#", "block", "module", "matrix", "spectrum", "shape", "dtype"] \
        and heads[-1] == "verdict", heads
    return heads[7:-1]


def test_same_names_everywhere(runs):
    header = runs["header"]
    rep = runs["rep"]
    # summary.csv: descriptive columns, then exactly report.json's columns, in order
    assert header[:16] == ["name", "tensor", "file", "source", "slice", "block", "module",
                           "expert", "rows", "cols", "dtype", "method", "status", "reason",
                           "verdict", "looks_random"]
    assert header[16:] == rep["columns"]
    for m in rep["matrices"]:
        assert list(m["metrics"]) == rep["columns"]
    # the terminal legend names every heading of the table by its summary.csv key
    heads, _, legend = terminal(runs["term"])
    assert set(heads) | {"-", "verdict"} == set(legend)
    term_keys = [legend[h] for h in heads]
    assert all(k in header for k in term_keys), term_keys
    # report.html's layer table uses the same keys, in the same order, as the terminal
    assert html_table_keys(runs["html"]) == term_keys
    # the numbers that look comparable but are not are told apart
    assert "n_above_mp_edge" in term_keys and "n_spikes" in term_keys
    assert "pt_frac_rejected" in term_keys and "pt_top_decile_frac_rejected" in term_keys
    legend_text = runs["term"][runs["term"].index("columns (heading"):]
    assert "naive edge count" in legend_text and "Tracy-Widom outlier count" in legend_text
    assert re.search(r"hill_ccdf\s+= hill_alpha: .*CCDF", legend_text)
    assert re.search(r"alpha\s+: .*density", legend_text)
    # the old names are gone from the terminal header and the HTML table
    for old in ("sigma_max", "n>MP", "spikes", "PT_rej", "hill_a", "alpha_WW", "p_GOE", "<r>"):
        assert old not in runs["term"].splitlines()[0].split(), old
    for old in ("PT rejected", "outliers</th>", "α (WW)", "σ<sub>1</sub>"):
        assert old not in runs["html"], old
    # "alpha" is only the exponent: the significance level has its own name
    assert "alpha" not in rep["parameters"] and rep["parameters"]["significance"] == 0.05


def test_html_explains_every_key(runs):
    page = runs["html"]
    # every key of a matrix's "All statistics" block comes with a one-line description and the
    # section of docs/report.md that defines it
    # (on each matrix's page, layers/NNN-NAME.html)
    block = runs["layers"][runs["layers"].index("<h2>All statistics"):]
    block = block[:block.index("</table>")]
    cells = re.findall(r"<tr><th class=l>([^<]+)</th><td>[^<]*</td><td class=l>(.*?)</td></tr>",
                       block)
    assert [k for k, _ in cells] == runs["rep"]["columns"]
    for key, desc in cells:
        assert re.search(r"\S{3,}", desc.split("<span")[0]), key
        assert "docs/report.md#" in desc, key
    # the legend under the layer table: each key once, described
    legend = page[page.index("<dl class=\"muted legend\">"):]
    legend = legend[:legend.index("</dl>")]
    keys = re.findall(r"<dt><code>(\w+)</code></dt><dd>([^<]+)</dd>", legend)
    assert [k for k, _ in keys][:-4] == html_table_keys(page)
    assert [k for k, _ in keys][-4:] == ["block", "module", "verdict", "looks_random"]


def test_verdict_file_and_flag_agree(runs):
    rows = {r["name"]: r for r in runs["rows"]}
    mats = {m["name"]: m for m in runs["rep"]["matrices"]}
    jmats = {m["name"]: m for m in runs["json"]["matrices"]}
    _, trows, _ = terminal(runs["term"])
    page = runs["html"]
    assert set(mats) == set(jmats) == {"fc1.weight", "fc2.weight", "fc3.weight", "gauss.weight"}
    for name, m in mats.items():
        r = rows[name]
        v = m["verdict"]
        assert v and r["verdict"] == v and jmats[name]["verdict"] == v
        assert trows[name].rstrip().endswith("  " + v)
        assert htmllib.escape(v, quote=False) in page
        flag = m["looks_random"]
        assert jmats[name]["looks_random"] == flag
        assert r["looks_random"] == ("" if flag is None else str(flag))
        # the flag follows the text: structure when a structure part fired, random only with a
        # GOE bulk, undetermined otherwise (docs/report.md, "Verdicts")
        if any(p in v for p in STRUCTURE_PARTS):
            assert flag == 0, v
        elif "bulk random (GOE)" in v:
            assert flag == 1, v
        else:
            assert flag is None, v
    # a Gaussian matrix looks random; the trained network's layers carry structure
    assert mats["gauss.weight"]["looks_random"] == 1
    assert mats["gauss.weight"]["verdict"] == "bulk random (GOE)"
    assert mats["fc1.weight"]["looks_random"] == 0
    assert "top vectors non-Gaussian" in mats["fc1.weight"]["verdict"]
    # the verdict quotes the top-decile Porter-Thomas fraction, which the table shows
    # (since issue 20: the fraction that survives the model-level control, pt_top_decile_frac_ctl)
    pct = int(re.search(r"\((\d+)% of the top decile", mats["fc1.weight"]["verdict"]).group(1))
    assert pct == round(100 * mats["fc1.weight"]["metrics"]["pt_top_decile_frac_ctl"])
    # provenance: every row, skipped ones included, names its input file
    for r in runs["rows"]:
        want = runs["files"]["gauss.weight"] if r["name"].startswith("gauss") else EXAMPLE
        assert r["file"] == want, r["name"]
        if r["status"] == "skipped":
            assert r["verdict"] == "" and r["looks_random"] == ""
            assert r["cols"] == "" and int(r["rows"]) in (1000, 10, 400)  # 1-D: its real shape
    for m in runs["rep"]["matrices"]:
        assert m["file"] == runs["files"]["gauss.weight" if m["name"].startswith("gauss")
                                          else "fc1.weight"]


def test_integer_columns_are_integers(runs):
    rows = runs["rows"]
    header = runs["header"]
    for key in INTEGER_KEYS & set(header):
        for r in rows:
            cell = r[key]
            if key in STATUS_KEYS:
                assert cell in ("", "ok", "capped", "failed", "too_few", "degenerate"), cell
            else:
                assert re.fullmatch(r"-?\d*", cell), (key, r["name"], cell)
    # report.json: integers without a decimal point or exponent, in the file itself
    for key in INTEGER_KEYS - {"slice"}:
        for val in re.findall(rf'"{key}": ?([^,}}\n]+)', runs["raw"]):
            # a status column: its code in "metrics", its name in "statuses"
            named = key in STATUS_KEYS and re.fullmatch(r'"[a-z_]+"', val.strip())
            assert named or re.fullmatch(r"-?\d+|null", val.strip()), (key, val)
    # the counts are right: numpy on the stored float32 Gaussian matrix
    g = runs["gauss"]
    m = {x["name"]: x for x in runs["rep"]["matrices"]}["gauss.weight"]["metrics"]
    lam = np.linalg.svd(g, compute_uv=False) ** 2
    n, mm = g.shape
    edge = (np.sum(g * g) / (n * mm)) * (np.sqrt(n) + np.sqrt(mm)) ** 2
    assert m["n_above_mp_edge"] == int(np.sum(lam > edge))
    assert m["numerical_rank"] == np.linalg.matrix_rank(g) == 300 and m["n_null"] == 0
    assert m["pt_n_tested"] == 600
    # the terminal prints counts in full (never 1.2e+03)
    heads, trows, legend = terminal(runs["term"])
    cells = trows["gauss.weight"].split()[4:4 + len(heads)]  # name, NxM, dtype, method
    for h, c in zip(heads, cells):
        if legend[h] in INTEGER_KEYS - STATUS_KEYS and c != "-":
            assert re.fullmatch(r"\d+", c), (h, c)
            assert int(c) == m[legend[h]]


def test_significance_option_and_alias(runs, tmp_path):
    base = ["analyze", EXAMPLE, "--stats", "basic,mp,levels", "--json", "--quiet"]
    a = json.loads(run(*base, "--significance", "0.01").stdout)
    b = json.loads(run(*base, "--alpha", "0.01").stdout)
    assert a["parameters"]["significance"] == 0.01 and a == b
    p = run(*base, "--significance", "1.5", check=False)
    assert p.returncode != 0 and "--significance" in p.stderr and "(0, 1)" in p.stderr
    h = run("analyze", "--help").stdout
    assert "--significance P" in h and "--alpha P is an alias" in h


def test_porter_thomas_figure_shows_its_floor(runs):
    # exact_mc with the default null of B = 2000 vectors: p = (1 + #{D_null >= D}) / (B + 1)
    fig = runs["dir"] / "out" / "figures"
    rep = runs["rep"]
    assert rep["parameters"]["vectors"]["method"] == "exact_mc"
    i, m = next((i, m) for i, m in enumerate(rep["matrices"]) if m["name"] == "fc1.weight")
    path = next(fig.glob(f"{i:03d}-fc1.weight-vectors.csv"))
    with open(path, newline="") as f:
        floor = [r for r in csv.DictReader(f) if r["series"] == "p_floor"]
    assert floor and float(floor[0]["y"]) == pytest.approx(1 / 2001, rel=1e-12)
    p = np.array([x for x in m["arrays"]["pt_p_left"] + m["arrays"]["pt_p_right"]
                  if x is not None])
    assert p.min() >= 1 / 2001 * (1 - 1e-12)
    # p-values are multiples of 1/(B+1)
    np.testing.assert_allclose(p * 2001, np.round(p * 2001), atol=1e-6)
    # the caption says where the floor comes from
    assert "smallest p-value its Monte-Carlo null allows" in runs["layers"]
