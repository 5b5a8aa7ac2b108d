"""End-to-end tests of the figures, the HTML report and the terminal output of `rmtk analyze` and
`rmtk plot` (issue 6). The bundled network (examples/fashion_mlp.safetensors) is analysed with
every statistic, together with a small checkpoint whose tensor names are hostile HTML. Figures
are checked as files (SVG parsed by xml.etree, PNG by its signature and IHDR), their CSVs
against the report's arrays recomputed independently with numpy, and report.html in headless
Chromium when it is installed (scripts/bootstrap installs it; CI has it). Run by ctest with
RMTK_CLI set."""
import csv
import json
import math
import os
import re
import shutil
import struct
import subprocess
import xml.etree.ElementTree as ET
import zlib

import numpy as np
import pytest
from stfile import write_f32 as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
SRC = os.environ.get("RMTK_SOURCE_DIR", os.path.join(os.path.dirname(__file__), ".."))
EXAMPLE = os.path.join(SRC, "examples", "fashion_mlp.safetensors")
EVIL = "<script>alert('x')</script>&\"w\""
KINDS = ["esd", "spacing", "ratio", "sigma2", "vectors", "tails", "laws", "xmin"]
SIZES = {"esd": (1200, 480), "spacing": (720, 480), "ratio": (720, 480), "sigma2": (1200, 480),
         "vectors": (1200, 900), "tails": (1200, 480), "trends": (1200, 760),
         "laws": (1200, 480), "xmin": (1200, 480)}


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def stem(i, name, kind):
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", name)[:63]
    return f"{i:03d}-{safe}-{kind}"


def read_csv(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    out = {}
    for r in rows:
        out.setdefault(r["series"], []).append(r)
    return out


def col(rows, key):
    return np.array([float(r[key]) if r[key] != "" else np.nan for r in rows])


def png_size(path):
    with open(path, "rb") as f:
        data = f.read(33)
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def png_decode(path):
    """A small PNG decoder (8-bit RGB/RGBA, non-interlaced): zlib + the five filters."""
    with open(path, "rb") as f:
        data = f.read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, typ = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if typ == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif typ == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    img = np.zeros((h, stride), dtype=np.uint8)
    prev = np.zeros(stride, dtype=np.int32)
    for y in range(h):
        ft = raw[y * (stride + 1)]
        line = np.frombuffer(raw, np.uint8, stride, y * (stride + 1) + 1).astype(np.int32)
        cur = np.zeros(stride, dtype=np.int32)
        if ft == 0:
            cur = line
        elif ft == 2:
            cur = (line + prev) & 255
        else:
            for x in range(stride):
                a = cur[x - bpp] if x >= bpp else 0
                b = prev[x]
                c = prev[x - bpp] if x >= bpp else 0
                if ft == 1:
                    p = a
                elif ft == 3:
                    p = (a + b) // 2
                else:
                    pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                    p = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                cur[x] = (line[x] + p) & 255
        img[y] = cur
        prev = cur
    return img.reshape(h, w, bpp)


@pytest.fixture(scope="module")
def out(tmp_path_factory):
    d = tmp_path_factory.mktemp("report")
    rng = np.random.default_rng(7)
    a = rng.standard_normal((80, 60)) / math.sqrt(60)
    a += 3 * np.outer(rng.standard_normal(80), rng.standard_normal(60)) / math.sqrt(80 * 60)
    write_safetensors(d / "evil.safetensors", {EVIL: a, "tiny.weight": rng.standard_normal((4, 4))})
    p = run("analyze", EXAMPLE, d / "evil.safetensors", "--stats", "all", "--bootstrap", "50",
            "--out", d / "out")
    return d / "out", p


@pytest.fixture(scope="module")
def report(out):
    with open(out[0] / "report.json") as f:
        return json.load(f)


def ok_matrices(report):
    return [(i, m) for i, m in enumerate(report["matrices"]) if m["status"] == "ok"]


def test_every_figure_exists_and_is_valid(out, report):
    d = out[0] / "figures"
    need = {"esd": "singular_values", "spacing": "unfolded_spacings", "ratio": "spacing_ratios",
            "sigma2": "unfolded_spacings", "vectors": "pt_p_left", "tails": "hill_alpha",
            "xmin": "ks_xmin"}
    seen = 0
    for i, m in ok_matrices(report):
        for kind in need:
            s = stem(i, m["name"], kind)
            if len(m["arrays"].get(need[kind], [])) < 10:
                assert not (d / f"{s}.svg").exists()
                continue
            for ext in ("svg", "png", "csv"):
                assert (d / f"{s}.{ext}").is_file(), f"{s}.{ext}"
            root = ET.parse(d / f"{s}.svg").getroot()
            assert root.tag.endswith("svg")
            assert png_size(d / f"{s}.png") == SIZES[kind]
            seen += 1
    # fc1, fc2: all six; fc3 (10 values): esd + vectors; the 80 x 60 matrix: its 60 levels leave
    # none after the gauss:15 drop unfolding (n - 4w = 0), so no spacing and sigma2 figures
    assert seen == 6 + 6 + 2 + 4 + 3  # + the xmin scan of the 3 matrices with tails
    assert png_size(d / "model-trends.png") == SIZES["trends"]
    ET.parse(d / "model-trends.svg")


def test_esd_csv_holds_the_histogram_and_mp_law(out, report):
    i, m = ok_matrices(report)[0]
    c = read_csv(out[0] / "figures" / f"{stem(i, m['name'], 'esd')}.csv")
    lam = np.array(m["arrays"]["singular_values"]) ** 2
    h = c["hist_lambda"]
    lo, hi, dens, cnt = col(h, "x"), col(h, "x_hi"), col(h, "y"), col(h, "count")
    edges = np.append(lo, hi[-1])
    ref, _ = np.histogram(lam, bins=edges)
    assert np.array_equal(cnt, ref)
    np.testing.assert_allclose(dens, ref / (len(lam) * np.diff(edges)), rtol=1e-12)
    # Marchenko-Pastur density in the lambda = sigma^2 convention (methods.md 4.1), numpy
    v, N, M = m["metrics"]["mp_sigma2"], m["rows"], m["cols"]
    n, k = max(N, M), min(N, M)
    lm, lp = v * (math.sqrt(n) - math.sqrt(k)) ** 2, v * (math.sqrt(n) + math.sqrt(k)) ** 2
    x, y = col(c["mp_lambda"], "x"), col(c["mp_lambda"], "y")
    inside = (x > lm) & (x < lp)
    ref = np.sqrt((lp - x[inside]) * (x[inside] - lm)) / (2 * math.pi * v * k * x[inside])
    np.testing.assert_allclose(y[inside], ref, rtol=1e-9)
    assert np.all(y[~inside] == 0)
    assert col(c["edge_lambda"], "x")[0] == pytest.approx(m["metrics"]["mp_lambda_plus"], rel=1e-15)
    np.testing.assert_allclose(col(c["outlier_lambda"], "x"), m["arrays"]["spike_lambda"],
                               rtol=1e-15)
    s = c["hist_sigma"]
    edges = np.append(col(s, "x"), col(s, "x_hi")[-1])
    ref, _ = np.histogram(np.sqrt(lam), bins=edges)
    assert np.array_equal(col(s, "count"), ref)


def test_level_csvs_equal_the_report_arrays(out, report):
    i, m = ok_matrices(report)[1]
    d = out[0] / "figures"
    a = m["arrays"]
    c = read_csv(d / f"{stem(i, m['name'], 'sigma2')}.csv")
    for key in ("sigma2", "sigma2_goe", "sigma2_poisson", "delta3", "delta3_goe"):
        np.testing.assert_allclose(col(c[key], "x"), a["curve_L"], rtol=1e-15)
        np.testing.assert_allclose(col(c[key], "y"), a[key], rtol=1e-15)
    c = read_csv(d / f"{stem(i, m['name'], 'ratio')}.csv")
    np.testing.assert_allclose(col(c["hist_ratio"], "y"), a["ratio_hist"], rtol=1e-15)
    ref, _ = np.histogram(a["spacing_ratios"], bins=len(a["ratio_hist"]), range=(0, 1))
    assert np.array_equal(col(c["hist_ratio"], "count"), ref)
    c = read_csv(d / f"{stem(i, m['name'], 'spacing')}.csv")
    h = c["hist_spacing"]
    edges = np.append(col(h, "x"), col(h, "x_hi")[-1])
    ref, _ = np.histogram(a["unfolded_spacings"], bins=edges)
    assert np.array_equal(col(h, "count"), ref)
    # Wigner surmise, numpy: (pi/2) s exp(-pi s^2 / 4)
    x, y = col(c["wigner_goe"], "x"), col(c["wigner_goe"], "y")
    np.testing.assert_allclose(y, math.pi / 2 * x * np.exp(-math.pi * x * x / 4), rtol=1e-12)
    # Brody at the reported beta
    b = m["metrics"]["brody_beta"]
    x, y = col(c["brody"], "x"), col(c["brody"], "y")
    cb = math.gamma((b + 2) / (b + 1)) ** (b + 1)
    np.testing.assert_allclose(y, (b + 1) * cb * x ** b * np.exp(-cb * x ** (b + 1)), rtol=1e-9,
                               atol=1e-300)


def test_vector_and_tail_csvs(out, report):
    i, m = ok_matrices(report)[0]
    d = out[0] / "figures"
    a = m["arrays"]
    c = read_csv(d / f"{stem(i, m['name'], 'vectors')}.csv")
    np.testing.assert_allclose(col(c["p_left"], "y"), a["pt_p_left"], rtol=1e-15)
    np.testing.assert_allclose(col(c["ipr_right"], "y"), a["ipr_right"], rtol=1e-15)
    top = np.array(a["vec_top_left"]) * math.sqrt(m["rows"])
    h = c["hist_top"]
    edges = np.append(col(h, "x"), col(h, "x_hi")[-1])
    ref, _ = np.histogram(top, bins=edges)
    assert np.array_equal(col(h, "count"), ref) and ref.sum() == m["rows"]
    # the stored vectors are unit singular vectors: u_1 = W v_1 / sigma_1 (norm 1)
    assert np.linalg.norm(a["vec_top_left"]) == pytest.approx(1, abs=1e-10)
    assert np.linalg.norm(a["vec_bulk_left"]) == pytest.approx(1, abs=1e-10)
    c = read_csv(d / f"{stem(i, m['name'], 'tails')}.csv")
    np.testing.assert_allclose(col(c["hill_alpha"], "y"), a["hill_alpha"], rtol=1e-15)
    lam = np.sort(np.array(a["singular_values"]) ** 2)[::-1]
    np.testing.assert_allclose(col(c["ccdf"], "x"), lam, rtol=1e-12)
    np.testing.assert_allclose(col(c["ccdf"], "y"), np.arange(1, len(lam) + 1) / len(lam))
    assert col(c["csn_xmin"], "x")[0] == m["metrics"]["csn_xmin"]


def test_top_vector_is_the_top_singular_vector(tmp_path):
    rng = np.random.default_rng(3)
    w = rng.standard_normal((50, 30))
    write_safetensors(tmp_path / "w.safetensors", {"w": w})
    run("analyze", tmp_path / "w.safetensors", "--stats", "basic,vectors", "--no-plots",
        "--quiet", "--out", tmp_path / "o")
    a = json.load(open(tmp_path / "o" / "report.json"))["matrices"][0]["arrays"]
    u, s, vt = np.linalg.svd(w.astype(np.float32).astype(np.float64), full_matrices=False)
    assert abs(np.dot(a["vec_top_left"], u[:, 0])) == pytest.approx(1, abs=1e-9)
    assert abs(np.dot(a["vec_bulk_left"], u[:, 15])) == pytest.approx(1, abs=1e-9)


def test_trends_csv(out, report):
    c = read_csv(out[0] / "figures" / "model-trends.csv")
    oks = [m for _, m in ok_matrices(report)]
    # a value whose status is not ok (too few levels or tail values, a capped or failed fit) is
    # left out of the trends (docs/report.md, "Minimum sizes")
    status = {"alpha": "tails_status", "r_mean": "levels_status", "n_spikes": "mp_fit_status"}
    for key in ("alpha", "r_mean", "n_spikes", "stable_rank", "pt_frac_rejected"):
        ref = [m["metrics"][key] if m["metrics"][key] is not None else np.nan for m in oks]
        usable = [key not in status or m["metrics"].get(status[key]) in (None, 0) for m in oks]
        rows = [r for r in c[key]]
        got = {float(r["x"]): float(r["y"]) for r in rows if r["y"] not in ("", "nan")}
        for depth, (v, ok) in enumerate(zip(ref, usable), 1):
            if not np.isnan(v) and ok:
                assert got[depth] == v
            elif not ok:
                assert depth not in got or np.isnan(got[depth])


def test_plot_redraws_identical_figures(out, report, tmp_path):
    i, m = ok_matrices(report)[1]
    run("plot", out[0] / "report.json", "--layer", m["name"], "--figure", "esd", "--out",
        tmp_path, "--quiet")
    s = stem(i, m["name"], "esd")
    for ext in ("svg", "png", "csv"):
        assert (tmp_path / f"{s}.{ext}").read_bytes() == (out[0] / "figures" / f"{s}.{ext}").read_bytes()
    assert sorted(os.listdir(tmp_path)) == sorted(f"{s}.{e}" for e in ("csv", "png", "svg"))
    run("plot", out[0] / "report.json", "--figure", "trends", "--format", "pdf", "--out",
        tmp_path / "pdf", "--quiet")
    assert (tmp_path / "pdf" / "model-trends.pdf").read_bytes()[:5] == b"%PDF-"


def test_plot_errors(out, tmp_path):
    rep = out[0] / "report.json"
    assert run("plot", rep, "--figure", "nope", "--out", tmp_path, check=False).returncode == 5
    assert run("plot", rep, "--format", "gif", "--out", tmp_path, check=False).returncode == 5
    assert run("plot", rep, "--layer", "no.such", "--out", tmp_path, check=False).returncode == 6
    (tmp_path / "bad.json").write_text('{"schema": "other"}')
    assert run("plot", tmp_path / "bad.json", check=False).returncode == 3
    assert run("plot", tmp_path / "missing.json", check=False).returncode == 2
    assert run("plot", "--help").stdout.startswith("usage: rmtk plot")


def esc(s):
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") \
        .replace('"', "&quot;").replace("'", "&#39;")


def layer_stem(i, name):
    return f"{i:03d}-{re.sub(r'[^A-Za-z0-9._-]', '_', name)[:63]}"


def test_html_is_self_contained_and_escaped(out, report):
    html = (out[0] / "report.html").read_text()
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:|//)""", html, re.I)
    # the only script is the inline table sorter; the only images are inline PNG thumbnails
    assert not re.search(r'<(script|img)\b[^>]*\bsrc\s*=\s*(?!"data:image/png;base64,)', html,
                         re.I)
    assert not re.search(r"<(link|iframe)\b", html, re.I)
    assert html.count("<script>") == 1
    assert "@import" not in html and "url(http" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;w&quot;" in html
    assert EVIL not in html
    # the summary inlines the trends figure only; every matrix's figures are on its own page
    assert html.count("<svg") == 1
    ids = re.findall(r'\bid="?([^" >]+)', html)
    assert len(ids) == len(set(ids))
    for i, m in enumerate(report["matrices"]):
        assert esc(m["name"]) in html
        page = out[0] / "layers" / f"{layer_stem(i, m['name'])}.html"
        assert f'href="layers/{layer_stem(i, m["name"])}.html"' in html
        text = page.read_text()
        assert EVIL not in text and esc(m["name"]) in text
        if m["status"] != "ok":
            continue
        # each figure of the matrix is referenced from its page and exists
        refs = re.findall(r'<img loading=lazy alt="(\w+)" src="\.\./figures/([^"]+)"', text)
        for kind, f in refs:
            assert (out[0] / "figures" / f).is_file()
        kinds = {k for k, _ in refs}
        drawn = {k for k in KINDS if (out[0] / "figures" / f"{stem(i, m['name'], k)}.svg").exists()}
        assert kinds == drawn
    for s in report["skipped"]:
        assert s["reason"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") in html
    assert report["rmtk_version"] in html and "float64" in html


def test_thumbnails_are_the_esd_histogram(out, report):
    """The summary's thumbnail of a matrix is a PNG (decoded here independently) whose blue bars
    have the heights of numpy's histogram of lambda = sigma^2 on the same bins."""
    import base64
    html = (out[0] / "report.html").read_text()
    i, m = ok_matrices(report)[0]
    row = html[html.index(f"<tr id=m{i}>"):]
    uri = re.search(r'src="data:image/png;base64,([^"]+)"', row[:row.index("</tr>")]).group(1)
    path = out[0] / "thumb.png"
    path.write_bytes(base64.b64decode(uri))
    img = png_decode(path)
    assert img.shape == (32, 128, 3)
    lam = np.array(m["arrays"]["singular_values"]) ** 2
    lp = m["metrics"]["mp_lambda_plus"]
    hi = max(min(lam.max(), 1.5 * lp), 1.05 * lp)
    cnt, _ = np.histogram(lam[lam <= hi], bins=32, range=(0, hi))
    # bin b is the 4 columns from 4b; its left column is drawn in the edge colour from the top of
    # the bar down to the axis (row 31). Heights are proportional to the counts (to the pixel;
    # the law's curve may cover a bar's top pixel).
    edge = np.all(img == [0, 114, 178], axis=2)
    heights = np.array([31 - np.argmax(edge[:31, 4 * b]) if edge[:31, 4 * b].any() else 0
                        for b in range(32)])
    assert heights.max() >= 10
    scale = heights.max() / cnt.max()
    np.testing.assert_allclose(heights, cnt * scale, atol=2.5)
    assert np.all(heights[cnt == 0] == 0)


def test_terminal_table_quiet_json_progress(out, report, tmp_path):
    p = out[1]
    lines = p.stdout.splitlines()
    assert "verdict" in " ".join(lines[:4])  # the headings, laid out as the rows
    # the verdict follows the row, on its line or (the terminal's width) the next
    k = next(j for j, l in enumerate(lines) if l.startswith("fc1.weight"))
    assert "bulk random (GOE)" in " ".join(lines[k:k + 5])
    # not a terminal, no $COLUMNS: 100 columns (test_terminal_never_prints_two_rows_with_one_name)
    # and so do the legend and the model summary under it (not the "wrote PATH" line)
    text = [l for l in p.stdout.splitlines() if not l.startswith("wrote ")]
    assert max(len(l) for l in text) <= 100 or "COLUMNS" in os.environ
    # stderr is not a terminal here: a line per 10 % step at most, nothing from PLplot
    err = [l for l in p.stderr.splitlines() if l.strip()]
    assert 1 <= len(err) <= 11 and all(l.startswith("rmtk: analysed ") for l in err), p.stderr
    q = run("analyze", EXAMPLE, "--quiet", "--no-plots", "--out", tmp_path / "q")
    assert q.stdout == "" and q.stderr == ""
    assert not (tmp_path / "q" / "figures").exists() and not (tmp_path / "q" / "report.html").exists()
    j = run("analyze", EXAMPLE, "--json", "--quiet")
    doc = json.loads(j.stdout)
    assert doc["schema"] == "rmtk-report" and len(doc["matrices"]) == 3
    pr = run("analyze", EXAMPLE, "--progress", "--no-plots", "--out", tmp_path / "p")
    assert len([l for l in pr.stderr.splitlines() if l.startswith("rmtk: analysed")]) == 3


def chromium():
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


@pytest.mark.skipif(chromium() is None,
                    reason="CHROMIUM NOT INSTALLED: the report.html rendering test is SKIPPED "
                           "(scripts/bootstrap installs the Debian package chromium)")
def test_report_renders_in_chromium(out, report, tmp_path):
    url = "file://" + str((out[0] / "report.html").resolve())
    base = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
            f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr", "--v=0"]
    shot = tmp_path / "shot.png"
    p = subprocess.run(base + [f"--screenshot={shot}", "--window-size=1200,3000", url],
                       capture_output=True, text=True, timeout=180)
    assert shot.is_file(), p.stderr
    assert "Uncaught" not in p.stderr and "ERROR:CONSOLE" not in p.stderr, p.stderr
    img = png_decode(shot)[:, :, :3]
    assert img.shape[:2] == (3000, 1200)
    nonwhite = np.mean(np.any(img < 240, axis=2))
    assert nonwhite > 0.03, f"screenshot nearly blank ({nonwhite:.4f} non-white)"
    # colour from the figures (the palette's blue histogram fill) reached the screen
    fill = np.all(np.abs(img.astype(int) - [198, 219, 239]) < 8, axis=2)
    assert fill.sum() > 1000
    d = subprocess.run(base + ["--dump-dom", url], capture_output=True, text=True, timeout=180)
    dom = d.stdout
    assert "Uncaught" not in d.stderr and "ERROR:CONSOLE" not in d.stderr
    for anchor in ("summary", "table", "skipped", "provenance"):
        assert f'id="{anchor}"' in dom
    assert dom.count("<svg") == (out[0] / "report.html").read_text().count("<svg")
    # the sorter ran without error and left every row in place
    assert dom.count("<tr id=") == len(report["matrices"])
    assert dom.rstrip().endswith("</html>")


def test_simulate_theory_figure(tmp_path):
    """rmtk simulate --theory --plot: the histogram of the simulated values, the limiting density
    and the zero atom, from the same plotting code; the CSV holds what --json reports."""
    args = ["simulate", "wishart", "--dims", "400,1000", "--samples", "2", "--seed", "3",
            "--theory"]
    j = json.loads(run(*args, "--json").stdout)
    run(*args, "--plot", tmp_path / "sim")
    ET.parse(tmp_path / "sim.svg")
    assert png_size(tmp_path / "sim.png") == (800, 520)
    c = read_csv(tmp_path / "sim.csv")
    np.testing.assert_allclose(col(c["hist"], "y"), j["histogram"]["density"], rtol=1e-15)
    assert col(c["hist"], "x")[0] == pytest.approx(j["histogram"]["lo"], rel=1e-15)
    assert col(c["hist"], "x_hi")[-1] == pytest.approx(j["histogram"]["hi"], rel=1e-12)
    # the atom: q = 400/1000 of the 1000 eigenvalues of the larger Gram matrix are nonzero
    assert col(c["atom_theory"], "y")[0] == pytest.approx(0.6, abs=1e-12)
    assert col(c["atom_sim"], "y")[0] == pytest.approx(j["atom"], abs=1e-15)
    # the theory curve is the MP density of W^T W / N (ratio 0.4 nonzero part, scaled by 0.4)
    x, y = col(c["theory"], "x"), col(c["theory"], "y")
    lam = 2.5  # = 1000 / 400: the law of the 1000 x 1000 Gram matrix has ratio c = M/N
    lm, lp = (1 - math.sqrt(lam)) ** 2, (1 + math.sqrt(lam)) ** 2
    inside = (x > lm) & (x < lp)
    ref = np.sqrt((lp - x[inside]) * (x[inside] - lm)) / (2 * math.pi * lam * x[inside])
    np.testing.assert_allclose(y[inside], ref, rtol=1e-6)


def test_theory_figure(tmp_path):
    """rmtk theory --plot: the law alone with its atom marked; the CSV holds exactly the grid and
    the density that --json prints, and the atom of the T6 network (methods.md section 5)."""
    args = ["theory", "jacobian", "--widths", "600,900,450,700", "--activation", "relu",
            "--sigma-w2", "2", "--sigma-b2", "0", "--q0", "1"]
    j = json.loads(run(*args, "--json").stdout)
    run(*args, "--plot", tmp_path / "law", "--format", "svg,png,pdf")
    ET.parse(tmp_path / "law.svg")
    assert png_size(tmp_path / "law.png") == (800, 520)
    assert (tmp_path / "law.pdf").read_bytes()[:5] == b"%PDF-"
    c = read_csv(tmp_path / "law.csv")
    assert "hist" not in c and "atom_sim" not in c
    np.testing.assert_array_equal(col(c["theory"], "x"), j["x"])
    np.testing.assert_array_equal(col(c["theory"], "y"), j["density"])
    assert col(c["atom_theory"], "y")[0] == pytest.approx(0.678571, abs=1e-6)
    # a single number has no figure
    r = run("theory", "sparse-atom", "--c", "1", "--plot", tmp_path / "no", check=False)
    assert r.returncode != 0 and "nothing to --plot" in r.stderr


def test_zero_and_rank_deficient_matrices(tmp_path):
    """An all-zero matrix is drawn on a unit axis (PLplot would not finish on an empty range) and
    gets its own verdict; in a rank-deficient matrix only the vectors of the nonzero singular
    values are Porter-Thomas tested (the others are arbitrary null-space directions)."""
    rng = np.random.default_rng(5)
    # rank 7 with small integer entries: exact in float32, so the stored matrix has rank 7 too
    low = (rng.integers(-3, 4, (120, 7)) @ rng.integers(-3, 4, (7, 80))).astype(np.float64)
    mid = (rng.integers(-3, 4, (150, 40)) @ rng.integers(-3, 4, (40, 100))).astype(np.float64)
    write_safetensors(tmp_path / "m.safetensors",
                      {"zero": np.zeros((40, 30)), "low": low, "ones": np.ones((200, 100)),
                       "mid": mid})
    r = run("analyze", tmp_path / "m.safetensors", "--stats", "all", "--out", tmp_path / "o")
    assert "all-zero matrix (no spectrum to analyse)" in r.stdout
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    m = {x["name"]: x for x in rep["matrices"]}
    assert m["zero"]["metrics"]["pt_n_tested"] == 0
    assert m["zero"]["metrics"]["pt_frac_rejected"] is None
    ET.parse(tmp_path / "o" / "figures" / (stem(0, "zero", "esd") + ".svg"))
    # numpy's matrix_rank (the same threshold) gives the tested count
    assert np.array_equal(low.astype(np.float32), low)
    rank = np.linalg.matrix_rank(low)
    assert rank == 7
    assert m["low"]["metrics"]["pt_n_tested"] == 2 * rank
    p = m["low"]["arrays"]["pt_p_left"]
    assert all(v is not None for v in p[:rank]) and all(v is None for v in p[rank:])
    ET.parse(tmp_path / "o" / "figures" / (stem(1, "low", "vectors") + ".svg"))
    # the level statistics see only the values above the rounding noise: 40 levels, 38 ratios
    assert np.linalg.matrix_rank(mid) == 40
    assert len(m["mid"]["arrays"]["spacing_ratios"]) == 38
    # an all-ones layer has one nonzero singular value: no bulk, and not a "Poisson-like" one
    assert m["ones"]["metrics"]["r_mean"] is None
    assert "Poisson" not in m["ones"]["verdict"]
    assert not any(l.startswith("ones ") and "Poisson" in l for l in r.stdout.splitlines())


# ---- issue 14 (the report at scale) and issue 13 (organised by block and module) ----------------

LLM_MODULES = [("self_attn.q_proj", "attn_q"), ("self_attn.k_proj", "attn_k"),
               ("self_attn.v_proj", "attn_v"), ("self_attn.o_proj", "attn_o"),
               ("mlp.gate_proj", "mlp_gate"), ("mlp.up_proj", "mlp_up"),
               ("mlp.down_proj", "mlp_down")]


@pytest.fixture(scope="module")
def llm(tmp_path_factory):
    """A Llama-shaped checkpoint with 226 small matrices: the embedding, 32 blocks of 7
    projections (d = 24, ff = 64), the head; analysed with the default --figures (auto)."""
    d = tmp_path_factory.mktemp("llm")
    rng = np.random.default_rng(14)
    t = {"model.embed_tokens.weight": rng.standard_normal((100, 24))}
    for b in range(32):
        for path, _ in LLM_MODULES:
            shape = (64, 24) if path in ("mlp.gate_proj", "mlp.up_proj") else \
                (24, 64) if path == "mlp.down_proj" else (24, 24)
            t[f"model.layers.{b}.{path}.weight"] = rng.standard_normal(shape)
    t["lm_head.weight"] = rng.standard_normal((100, 24))
    write_safetensors(d / "model.safetensors", t)
    p = run("analyze", d / "model.safetensors", "--stats", "basic,mp", "--out", d / "out")
    rep = json.loads((d / "out" / "report.json").read_text())
    return d / "out", rep, p


def test_llm_report_size_and_every_matrix_listed(llm):
    out, rep, _ = llm
    html = (out / "report.html").read_text()
    assert len(rep["matrices"]) == 226
    size = (out / "report.html").stat().st_size
    assert size < 2_000_000, size
    # the summary's table lists every matrix, linked to its page, which exists
    for i, m in enumerate(rep["matrices"]):
        assert f"<tr id=m{i}>" in html
        s = layer_stem(i, m["name"])
        assert f'href="layers/{s}.html"' in html
        page = (out / "layers" / f"{s}.html").read_text()
        assert f'href="../report.html#m{i}"' in page
    # 226 matrices > 64: --figures auto draws the summary's figure only
    figs = sorted(os.listdir(out / "figures"))
    assert figs == ["model-trends.csv", "model-trends.png", "model-trends.svg"]
    assert "No figures drawn for this matrix" in page
    # the inlined SVG holds its text as text, not glyph outlines
    svg = (out / "figures" / "model-trends.svg").read_text()
    assert "<text" in svg and "glyph" not in svg
    ET.parse(out / "figures" / "model-trends.svg")


def test_llm_table_grouped_by_block(llm):
    out, rep, _ = llm
    html = (out / "report.html").read_text()
    rows = [int(x) for x in re.findall(r"<tr id=m(\d+)>", html)]
    names = [rep["matrices"][i]["name"] for i in rows]
    # the embedding (before the first block) first, then block 0..31 in file order, the head last
    assert names[0] == "model.embed_tokens.weight" and names[-1] == "lm_head.weight"
    blocks = [rep["matrices"][i]["block"] for i in rows[1:-1]]
    assert blocks == sorted(blocks) and blocks[0] == 0 and blocks[-1] == 31
    groups = re.findall(r"<tr class=g[^>]*><th colspan=99>([^<]+)</th>", html)
    assert groups == ["no block index"] + [f"block {b}" for b in range(32)] + ["no block index"]


def test_llm_trends_by_block_per_module(llm):
    """One series per module type, x = the block index in ascending order, y = the report's
    value of the matrix of that block and module; the embedding and the head are not drawn."""
    out, rep, _ = llm
    c = read_csv(out / "figures" / "model-trends.csv")
    by = {(m["block"], m["module"]): m for m in rep["matrices"]}
    assert {m["module"] for m in rep["matrices"] if m["block"] < 0} == {"embed", "lm_head"}
    for _, mod in LLM_MODULES:
        for key in ("stable_rank",):
            rows = c[f"{key}/{mod}"]
            x = col(rows, "x")
            assert list(x) == list(range(32))
            for r in rows:
                assert float(r["y"]) == by[(int(float(r["x"])), mod)]["metrics"][key]
    assert not any(k.endswith("/embed") or k.endswith("/lm_head") for k in c)


def test_figures_none_writes_no_figures(tmp_path):
    r = run("analyze", EXAMPLE, "--figures", "none", "--out", tmp_path / "o")
    figdir = tmp_path / "o" / "figures"
    assert not figdir.exists() or os.listdir(figdir) == []
    html = (tmp_path / "o" / "report.html").read_text()
    assert "<svg" not in html and "No trends figure" in html
    assert len(os.listdir(tmp_path / "o" / "layers")) == 3
    assert r.returncode == 0
    # rmtk plot honours it too; summary draws the trends only
    run("plot", tmp_path / "o" / "report.json", "--figures", "none", "--out", tmp_path / "p",
        "--quiet")
    assert os.listdir(tmp_path / "p") == []
    run("plot", tmp_path / "o" / "report.json", "--figures", "summary", "--out", tmp_path / "s",
        "--quiet", "--threads", "2")
    assert sorted(os.listdir(tmp_path / "s")) == ["model-trends.csv", "model-trends.png",
                                                  "model-trends.svg"]
    assert run("plot", tmp_path / "o" / "report.json", "--figures", "most",
               check=False).returncode == 5


def test_plot_html_pages_link_the_figures(tmp_path, out, report):
    """rmtk plot --html FILE: the summary FILE and layers/ beside it, whose pages find the figures
    drawn into --out through a relative path."""
    (tmp_path / "site").mkdir()
    run("plot", out[0] / "report.json", "--out", tmp_path / "figs", "--html",
        tmp_path / "site" / "index.html", "--quiet", "--threads", "2")
    i, m = ok_matrices(report)[0]
    page = (tmp_path / "site" / "layers" / f"{layer_stem(i, m['name'])}.html").read_text()
    refs = re.findall(r'src="([^"]+)"', page)
    assert refs and all(r.startswith("../../figs/") for r in refs)
    for r in refs:
        assert (tmp_path / "site" / "layers" / r).resolve().is_file()


def test_terminal_never_prints_two_rows_with_one_name(tmp_path):
    """Names that differ only in the middle: shortened to the terminal's width they would print
    alike, so each goes on a line of its own ("#I NAME") and its row shows "#I"; --wide prints
    full names. No two rows ever show the same name."""
    rng = np.random.default_rng(2)
    names = [f"encoder.stack.of.many.words.{k}.the.same.long.tail.of.words.weight"
             for k in range(12)] + ["short.a", "short.b"]
    write_safetensors(tmp_path / "m.safetensors",
                      {n: rng.standard_normal((20, 12)) for n in names})
    env = dict(os.environ, COLUMNS="60")

    def table(*extra):
        p = subprocess.run([CLI, "analyze", str(tmp_path / "m.safetensors"), "--stats", "basic",
                            "--no-plots", "--out", str(tmp_path / "o"), *extra],
                           capture_output=True, text=True, env=env)
        assert p.returncode == 0, p.stderr
        lines = p.stdout.split("\n\ncolumns")[0].splitlines()[1:]
        return [l for l in lines if re.search(r"\s\d+x\d+\s", l)], lines

    rows, lines = table()
    cells = [l.split()[0] for l in rows]
    assert len(cells) == len(names) and len(set(cells)) == len(cells)
    own = [l for l in lines if l.startswith("#") and l not in rows]
    assert sorted(l.split(" ", 1)[1] for l in own) == sorted(names[:12])
    assert "short.a" in cells and "short.b" in cells
    # within the width but for the lines that hold a full name
    assert all(len(l) <= 60 for l in lines if l not in own)
    rows, _ = table("--wide")
    assert [l.split()[0] for l in rows] == names
    # a long name alone is shortened in the middle, its block index and module kept
    write_safetensors(tmp_path / "m.safetensors",
                      {"model.layers.17.block_sparse_moe.experts.5.w1.weight": rng.standard_normal((20, 12)),
                       "model.layers.17.block_sparse_moe.experts.5.w2.weight": rng.standard_normal((20, 12))})
    rows, _ = table()
    cells = [l.split()[0] for l in rows]
    assert len(set(cells)) == 2 and all(c.startswith("model.layers.17") and "…" in c for c in cells)
    assert cells[0].endswith("w1.weight") and cells[1].endswith("w2.weight")
