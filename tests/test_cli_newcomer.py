"""The command line as a newcomer meets it (issue 11): the output folder (stale files, a kill
between renames, the umask, failing before the work), messages that say what to do, defaults that
agree between commands, and the installed tree. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import re
import shutil
import subprocess
import sys

import numpy as np
import pytest
from stfile import write_f32 as write_safetensors  # noqa: E402

CLI = os.environ.get("RMTK_CLI", "build/rmtk")
SRC = os.environ.get("RMTK_SOURCE_DIR", os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def run(*args, check=True, env=None, umask=None):
    full = dict(os.environ)
    full.update(env or {})
    pre = (lambda: os.umask(umask)) if umask is not None else None
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True, env=full,
                       preexec_fn=pre)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    d = tmp_path_factory.mktemp("newcomer")
    rng = np.random.default_rng(11)
    a = d / "a.safetensors"
    b = d / "b.safetensors"
    write_safetensors(a, {"alpha.weight": rng.standard_normal((80, 50)),
                          "alpha2.weight": rng.standard_normal((60, 40)),
                          "alpha.bias": rng.standard_normal(80)})
    write_safetensors(b, {"beta.weight": rng.standard_normal((70, 45)),
                          "beta.bias": rng.standard_normal(70)})
    return d, a, b


def all_files(root):
    out = set()
    for dirpath, dirnames, filenames in os.walk(root):
        for f in filenames:
            out.add(os.path.relpath(os.path.join(dirpath, f), root))
    return out


def manifest(out):
    with open(out / "rmtk-manifest.txt") as f:
        return {l.strip() for l in f if l.strip() and not l.startswith("#")}


def assert_one_run(out, present, absent):
    """out holds one consistent set: the manifest lists exactly rmtk's files there; summary.csv,
    report.json and report.html name the same matrices, those of `present`, none of `absent`."""
    assert (out / "rmtk-manifest.txt").exists()
    assert not (out / ".rmtk-commit").exists()
    assert not [f for f in os.listdir(out) if f.startswith(".rmtk-staging")]
    files = all_files(out)
    assert not [f for f in files if ".tmp" in f], files
    listed = manifest(out)
    assert listed <= files
    assert {"summary.csv", "report.json", "report.html"} <= listed
    with open(out / "summary.csv") as f:
        csv_names = {r["name"] for r in csv.DictReader(f) if r["status"] == "ok"}
    rep = json.loads((out / "report.json").read_text())
    json_names = {m["name"] for m in rep["matrices"] if m["status"] == "ok"}
    assert csv_names == json_names == set(present)
    html = (out / "report.html").read_text()
    for n in present:
        assert n in html
    for n in absent:
        assert n not in html
        assert not [f for f in files if n in f], (n, files)
    figs = [f for f in listed if f.startswith("figures/")]
    assert figs and all(any(n in f for n in present) or "model-" in f for f in figs)


# ---- 1. the output folder ------------------------------------------------------------------

def test_second_run_replaces_only_its_own_files(models, tmp_path):
    d, a, b = models
    out = tmp_path / "out"
    run("analyze", a, "--out", out, "--quiet", "--stats", "basic,mp,levels,vectors")
    assert_one_run(out, ["alpha.weight", "alpha2.weight"], ["beta.weight"])
    assert any("vectors" in f for f in manifest(out))
    (out / "notes.txt").write_text("mine")
    (out / "figures" / "mine.svg").write_text("<svg/>")
    # a manifest line outside the folder is never followed
    with open(out / "rmtk-manifest.txt", "a") as f:
        f.write("../victim.txt\n/etc/hostname\n")
    (tmp_path / "victim.txt").write_text("keep")
    run("analyze", b, "--out", out, "--quiet", "--stats", "basic,mp")
    assert_one_run(out, ["beta.weight"], ["alpha.weight", "alpha2.weight"])
    assert not any("vectors" in f for f in all_files(out))  # the first run's statistics
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "figures" / "mine.svg").exists()
    assert (tmp_path / "victim.txt").read_text() == "keep"
    # --no-plots: the previous figures and report.html go, the user's stay
    run("analyze", a, "--out", out, "--quiet", "--no-plots")
    assert manifest(out) == {"summary.csv", "report.json", "model_summary.csv"}
    assert all_files(out) == {"summary.csv", "report.json", "model_summary.csv",
                              "rmtk-manifest.txt", "notes.txt", "figures/mine.svg"}


@pytest.mark.parametrize("kill_after", [1, 4, 12])
def test_kill_between_renames_is_completed_by_the_next_run(models, tmp_path, kill_after):
    d, a, b = models
    out = tmp_path / "out"
    run("analyze", a, "--out", out, "--quiet")
    p = run("analyze", b, "--out", out, "--quiet",
            env={"RMTK_TEST_KILL_AFTER_RENAMES": str(kill_after)}, check=False)
    assert p.returncode == -9, p.stderr
    # in commit: no manifest, the rest of the commit waiting
    assert not (out / "rmtk-manifest.txt").exists()
    assert (out / ".rmtk-commit").is_dir()
    # the next run completes the commit first, even one that then fails
    p = run("analyze", d / "missing.safetensors", "--out", out, "--quiet", check=False)
    assert p.returncode != 0 and "missing.safetensors" in p.stderr
    assert_one_run(out, ["beta.weight"], ["alpha.weight", "alpha2.weight"])


def test_kill_before_the_commit_leaves_the_previous_run(models, tmp_path):
    d, a, b = models
    out = tmp_path / "out"
    run("analyze", a, "--out", out, "--quiet")
    before = {f: (out / f).read_bytes() for f in ("summary.csv", "report.json")}
    # a dead run's staging folder (pid 2^22 + 1 > pid_max: not a live process)
    stale = out / ".rmtk-staging.4194305"
    (stale / "figures").mkdir(parents=True)
    (stale / "report.json").write_text("{}")
    (stale / "figures" / "000-x-esd.svg").write_text("<svg/>")
    assert {f: (out / f).read_bytes() for f in before} == before
    run("analyze", b, "--out", out, "--quiet")
    assert not stale.exists()
    assert_one_run(out, ["beta.weight"], ["alpha.weight"])


@pytest.mark.parametrize("mask", [0o022, 0o027, 0o077])
def test_outputs_respect_the_umask(models, tmp_path, mask):
    d, a, b = models
    out = tmp_path / "out"
    run("analyze", a, "--out", out, "--quiet", umask=mask)
    for f in manifest(out) | {"rmtk-manifest.txt"}:
        mode = os.stat(out / f).st_mode & 0o777
        assert mode == 0o666 & ~mask, (f, oct(mode))
    assert os.stat(out).st_mode & 0o777 == 0o777 & ~mask
    assert not [f for f in all_files(tmp_path) if ".tmp" in f or "staging" in f]


def test_out_is_checked_before_the_work(models, tmp_path):
    d, a, b = models
    afile = tmp_path / "afile"
    afile.write_text("x")
    # the checkpoint does not exist: an error about --out proves it came first
    for out in (afile, afile / "sub", "/proc/rmtk-cannot-create/x"):
        p = run("analyze", d / "missing.safetensors", "--out", out, check=False)
        assert p.returncode != 0
        assert "--out" in p.stderr and "missing.safetensors" not in p.stderr, p.stderr
    p = run("analyze", a, "--out", afile, check=False)
    assert "names a file" in p.stderr and p.stdout == ""
    assert afile.read_text() == "x"
    if os.geteuid() != 0:  # root writes anywhere
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o555)
        p = run("analyze", d / "missing.safetensors", "--out", ro, check=False)
        assert p.returncode != 0 and "not writable" in p.stderr, p.stderr


# ---- 3. messages that say what to do -------------------------------------------------------

def err(*args):
    p = run(*args, check=False)
    assert p.returncode == 5, (args, p.returncode, p.stderr)  # RMTK_ERR_ARG
    assert "usage:" not in p.stderr, p.stderr  # one line that says what to do, not the usage
    assert p.stderr.count("\n") == 1, p.stderr
    return p.stderr


def test_missing_required_options_are_named(models):
    d, a, b = models
    assert "analyze: --out DIR is required" in err("analyze", a)
    assert "analyze: no checkpoint given" in err("analyze", "--out", d / "o")
    assert "spectrum: --tensor NAME is required" in err("spectrum", a)
    assert "spectrum: FILE is required" in err("spectrum", "--tensor", "alpha.weight")
    assert "tail: FILE is required" in err("tail")
    assert "describe: FILE is required" in err("describe")
    assert "plot: REPORT is required" in err("plot")
    s = err("simulate", "wishart")
    assert "--dims N,M is required" in s
    assert "--widths n0,...,nL is required" in err("simulate", "jacobian")
    assert "--dims N0,...,NL is required" in err("simulate", "wishart-product")
    assert "takes 2 values, not 3" in err("simulate", "wishart", "--dims", "30,20,10")
    assert "--dims N0,N1,...,NL is required" in err("theory", "wishart-product")
    assert "--widths n0,...,nL is required" in err("theory", "jacobian")


@pytest.mark.parametrize("args,near", [
    (("analyze", "x", "--stat", "all"), "--stats"),
    (("analyze", "x", "--ot", "d"), "--out"),
    (("analyze", "x", "--no-plot"), "--no-plots"),
    (("analyze", "x", "--seeed", "1"), "--seed"),
    (("tail", "x", "--tensr", "w"), "--tensor"),
    (("spectrum", "x", "--exct"), "--exact"),
    (("describe", "x", "--jsn"), "--json"),
    (("plot", "x", "--fromat", "svg"), "--format"),
    (("theory", "mp", "--rato", "0.5"), "--ratio"),
    (("simulate", "goe", "--sed", "1"), "--seed"),
    (("analyse",), "analyze"),
    (("spectra",), "spectrum"),
    (("describ",), "describe"),
    (("simulate", "wishrt"), "wishart"),
    (("theory", "semicirle"), "semicircle"),
])
def test_unknown_names_suggest_the_nearest(args, near):
    assert f"did you mean '{near}'?" in err(*args)


def test_far_names_suggest_nothing():
    for args in (("analyze", "x", "--zzzzzz"), ("frobnicate",), ("theory", "qqq")):
        s = err(*args)
        assert "did you mean" not in s


def test_unknown_tensor_lists_the_nearest_names(models):
    d, a, b = models
    for cmd in ("spectrum", "tail"):
        p = run(cmd, a, "--tensor", "alpha.wieght", check=False)
        assert p.returncode == 6, p.stderr  # RMTK_ERR_NOTFOUND
        s = p.stderr
        assert "no tensor named 'alpha.wieght'" in s
        assert "nearest: 'alpha.weight'" in s  # the nearest first
        assert f"rmtk describe {a} lists all 3" in s


def test_theory_says_which_defaults_it_used():
    p = run("theory", "mp", "--json")
    assert "theory mp: --ratio 0.5 --sigma2 1 (defaults" in p.stderr
    law = json.loads(p.stdout)
    # the defaults said are those used: MP edges sigma2 (1 +- sqrt(ratio))^2
    assert law["edges"] == pytest.approx([(1 - 0.5 ** 0.5) ** 2, (1 + 0.5 ** 0.5) ** 2], rel=1e-12)
    p = run("theory", "mp", "--ratio", "0.25", "--json")
    assert "--sigma2 1 (defaults" in p.stderr and "--ratio" not in p.stderr
    assert run("theory", "mp", "--ratio", "0.25", "--sigma2", "2").stderr == ""


def test_top_help_lists_the_exit_codes():
    out = run("--help").stdout
    assert "exit codes" in out
    for code, word in ((0, "success"), (2, "input/output"), (5, "invalid argument"),
                       (6, "a named tensor"), (10, "internal")):
        assert f"{code}  {word}" in out


def test_analyze_help_names_every_file_it_writes(models, tmp_path):
    d, a, b = models
    text = run("analyze", "--help").stdout
    out = tmp_path / "o"
    run("analyze", a, "--out", out, "--quiet", "--format", "svg,png,pdf")
    for f in all_files(out):
        top = f.split("/")[0] + ("/" if "/" in f else "")
        assert top in text, f
    for ext in ("svg", "png", "pdf", "csv"):
        assert any(f.endswith(ext) for f in all_files(out / "figures"))


# ---- 6. install ------------------------------------------------------------------------------

PROG = r"""
#include <rmtk.h>
#include <stdio.h>
#include <stdlib.h>
/* prog ROWS COLS FILE: singular values of the float64 row-major matrix in FILE, by librmtk. */
int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    long r = strtol(argv[1], NULL, 10), c = strtol(argv[2], NULL, 10), k = r < c ? r : c;
    double *a = malloc((size_t)(r * c) * sizeof *a), *sv = malloc((size_t)k * sizeof *sv);
    FILE *f = fopen(argv[3], "rb");
    if (!a || !sv || !f || fread(a, sizeof *a, (size_t)(r * c), f) != (size_t)(r * c))
        return 3;
    fclose(f);
    rmtk_spectrum_params p = rmtk_spectrum_params_default();
    rmtk_spectrum_plan *plan = NULL;
    rmtk_matrix_view v = {a, r, c, c, 1, RMTK_DTYPE_F64, 0, 0, 0};
    int st = rmtk_spectrum_plan_alloc(r, c, &p, &plan);
    if (!st)
        st = rmtk_spectrum_execute(plan, v, sv, NULL, NULL, NULL);
    for (long i = 0; !st && i < k; i++)
        printf("%.17g\n", sv[i]);
    printf("# rmtk %s: %s\n", rmtk_version(), rmtk_status_str(st));
    rmtk_spectrum_plan_free(plan);
    free(a);
    free(sv);
    return st;
}
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    build = os.path.dirname(os.path.abspath(CLI))
    if not os.path.exists(os.path.join(build, "CMakeCache.txt")):
        pytest.skip("RMTK_CLI is not in a CMake build folder")
    if not os.path.exists(os.path.join(build, "rmtk.1")):
        pytest.fail("build/rmtk.1 missing: build the default target (cmake --build build)")
    prefix = tmp_path_factory.mktemp("prefix") / "usr"
    p = subprocess.run(["cmake", "--install", build, "--prefix", str(prefix)],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    return prefix


def test_installed_tree_layout(installed):
    files = all_files(installed)
    libdir = next(os.path.dirname(f) for f in files if f.endswith("librmtk.so"))
    want = {"bin/rmtk", "include/rmtk.h", f"{libdir}/librmtk.so", f"{libdir}/librmtk.a",
            f"{libdir}/pkgconfig/rmtk.pc", "share/man/man1/rmtk.1"}
    assert want <= files, want - files
    assert os.access(installed / "bin" / "rmtk", os.X_OK)
    with open(os.path.join(SRC, "include", "rmtk.h"), "rb") as f:
        assert (installed / "include" / "rmtk.h").read_bytes() == f.read()
    # rmtk on the PATH
    env = dict(os.environ, PATH=f"{installed / 'bin'}:{os.environ['PATH']}")
    p = subprocess.run(["rmtk", "version"], capture_output=True, text=True, env=env)
    assert p.returncode == 0 and p.stdout == run("version").stdout


def test_man_page_is_the_help_texts(installed):
    """rmtk.1 is generated from the --help texts: every command, every option of every command's
    --help and the exit codes are in it."""
    page = (installed / "share" / "man" / "man1" / "rmtk.1").read_text()
    assert page.startswith(".\\\" Generated by tools/gen-man")
    top = run("--help").stdout
    cmds = [l.split()[0] for l in top.splitlines() if l.startswith("  ") and l.split()[0].isalpha()]
    assert {"analyze", "describe", "spectrum", "tail", "theory", "simulate", "plot"} <= set(cmds)
    assert "exit codes" in page
    for c in cmds:
        if c == "version":
            continue
        assert f'.SH "rmtk {c}"' in page, c
        for line in run(c, "--help").stdout.splitlines():
            if line.strip():
                assert line.replace("\\", "\\e").lstrip(".") in page, (c, line)
    if shutil.which("man"):
        p = subprocess.run(["man", "-l", str(installed / "share/man/man1/rmtk.1")],
                           capture_output=True, text=True, env=dict(os.environ, MANPAGER="cat",
                                                                    MANWIDTH="100"))
        if p.returncode == 0:
            assert "--out DIR" in p.stdout and "rmtk analyze" in p.stdout


def test_c_program_builds_against_the_installed_pkg_config(installed, tmp_path):
    if not shutil.which("pkg-config") or not shutil.which("cc"):
        pytest.skip("pkg-config or cc missing")
    pcdir = next(os.path.join(installed, os.path.dirname(f)) for f in all_files(installed)
                 if f.endswith("rmtk.pc"))
    env = dict(os.environ, PKG_CONFIG_PATH=pcdir)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "rmtk"], capture_output=True,
                           text=True, env=env, check=True).stdout.split()
    assert any(f.startswith("-I") for f in flags) and "-lrmtk" in flags
    mod = subprocess.run(["pkg-config", "--modversion", "rmtk"], capture_output=True, text=True,
                         env=env, check=True).stdout.strip()
    assert run("version").stdout.strip() == f"rmtk {mod}"
    src = tmp_path / "prog.c"
    src.write_text(PROG)
    exe = tmp_path / "prog"
    # a sanitizer build of librmtk.so (make test-asan) needs its runtime in the program too
    libdir0 = next(f[2:] for f in flags if f.startswith("-L"))
    dyn = subprocess.run(["readelf", "-d", os.path.join(libdir0, "librmtk.so")],
                         capture_output=True, text=True).stdout
    san = ["-fsanitize=address,undefined"] if "libasan" in dyn else []
    p = subprocess.run(["cc", "-std=c11", "-Wall", "-Werror", *san, str(src), "-o", str(exe),
                        *flags], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    rng = np.random.default_rng(3)
    a = rng.standard_normal((37, 23))
    a.astype("<f8").tofile(tmp_path / "a.bin")
    libdir = next(f[2:] for f in flags if f.startswith("-L"))
    p = subprocess.run([str(exe), "37", "23", str(tmp_path / "a.bin")], capture_output=True,
                       text=True, env=dict(os.environ, LD_LIBRARY_PATH=libdir))
    assert p.returncode == 0, p.stderr
    # the program ran against the installed shared library
    lines = p.stdout.splitlines()
    assert lines[-1] == f"# rmtk {mod}: success"
    sv = np.array([float(x) for x in lines[:-1]])
    ref = np.linalg.svd(a, compute_uv=False)
    assert sv.shape == (23,)
    assert np.max(np.abs(sv - ref) / ref[0]) < 1e-12
    ldd = subprocess.run(["ldd", str(exe)], capture_output=True, text=True,
                         env=dict(os.environ, LD_LIBRARY_PATH=libdir)).stdout
    assert os.path.realpath(libdir) in ldd or libdir in ldd, ldd


# ---- 2. defaults that agree, values recorded ------------------------------------------------

def test_report_records_the_threads_used(models, tmp_path):
    d, a, b = models
    run("analyze", a, "--out", tmp_path / "o", "--quiet", "--no-plots")
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    assert rep["parameters"]["threads"] == os.cpu_count()
    run("analyze", a, "--out", tmp_path / "o", "--quiet", "--no-plots", "--threads", "3")
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    assert rep["parameters"]["threads"] == 3


@pytest.fixture(scope="module")
def heavy(tmp_path_factory):
    """A matrix with a heavy-tailed spectrum (Student-t entries, 3 d.o.f.)."""
    d = tmp_path_factory.mktemp("heavy")
    rng = np.random.default_rng(5)
    w = rng.standard_t(3, size=(120, 90))
    path = d / "h.safetensors"
    write_safetensors(path, {"w.weight": w, "w.bias": rng.standard_normal(120)})
    return path, w.astype(np.float32).astype(np.float64)


def test_tail_reproduces_analyze_with_the_recorded_seed(heavy, tmp_path):
    path, w = heavy
    run("analyze", path, "--out", tmp_path / "o", "--quiet", "--no-plots", "--stats",
        "basic,tails", "--bootstrap", "200")
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    m = next(m for m in rep["matrices"] if m["name"] == "w.weight")
    seed = m["seed"]
    assert rep["parameters"]["seed"] == 1
    # tail on the tensor fits the spectrum (lambda = sigma^2) as analyze does, with the same
    # seed the same bootstrap p-value, whatever the threads
    t = json.loads(run("tail", path, "--tensor", "w.weight", "--seed", seed, "--bootstrap",
                       "200", "--json").stdout)
    assert t["input"]["n"] == 90 and "singular values of w.weight" in t["input"]["data"]
    assert t["csn"]["p_gof"] == m["metrics"]["csn_p_gof"]
    assert t["csn"]["alpha"] == pytest.approx(m["metrics"]["csn_alpha"], rel=1e-12)
    t1 = json.loads(run("tail", path, "--tensor", "w.weight", "--seed", seed, "--bootstrap",
                        "200", "--json", "--threads", "1").stdout)
    assert t1["csn"] == t["csn"]
    # the same through the pipe of the docs, and the fitted values are numpy's sigma^2
    sv = run("spectrum", path, "--tensor", "w.weight").stdout
    p = subprocess.run([CLI, "tail", "-", "--sv", "--seed", str(seed), "--bootstrap", "200",
                        "--json"], input=sv, capture_output=True, text=True, check=True)
    assert json.loads(p.stdout)["csn"] == t["csn"]
    lam = np.sort(np.linalg.svd(w, compute_uv=False) ** 2)
    xmin = t["csn"]["xmin"]
    assert np.min(np.abs(lam - xmin)) <= 1e-9 * xmin  # xmin is one of numpy's lambda
    assert t["csn"]["n_tail"] == int(np.sum(lam >= xmin * (1 - 1e-12)))


def test_tail_default_seed_is_analyze_default(heavy, tmp_path):
    path, w = heavy
    a = json.loads(run("tail", path, "--tensor", "w.weight", "--bootstrap", "50",
                       "--json").stdout)
    b = json.loads(run("tail", path, "--tensor", "w.weight", "--bootstrap", "50", "--seed", "1",
                       "--json").stdout)
    assert a["csn"]["seed"] == 1 and a["csn"] == b["csn"]


# ---- 4. tail on a matrix ----------------------------------------------------------------------

def test_tail_on_a_matrix_fits_its_spectrum_unless_entries(heavy):
    path, w = heavy
    spec = json.loads(run("tail", path, "--tensor", "w.weight", "--bootstrap", "0",
                          "--json").stdout)
    ent = json.loads(run("tail", path, "--tensor", "w.weight", "--entries", "--bootstrap", "0",
                         "--json").stdout)
    assert spec["input"]["n"] == 90 and spec["input"]["excluded_nonpositive"] == 0
    assert ent["input"]["n"] == int(np.sum(w > 0))
    assert ent["input"]["excluded_nonpositive"] == int(np.sum(w <= 0))
    assert "entries of w.weight" in ent["input"]["data"]
    # a 1-D tensor is fitted entry by entry
    bias = json.loads(run("tail", path, "--tensor", "w.bias", "--bootstrap", "0",
                          "--json").stdout)
    assert "entries of w.bias" in bias["input"]["data"]
    # --sv on a matrix would square twice: an error that says so
    p = run("tail", path, "--tensor", "w.weight", "--sv", check=False)
    assert p.returncode == 5 and "drop --sv" in p.stderr


def test_tail_progress_lines(heavy):
    path, w = heavy
    p = run("tail", path, "--tensor", "w.weight", "--bootstrap", "10", "--progress")
    lines = p.stderr.splitlines()
    assert any("120 x 90 matrix: computing its singular values" in l for l in lines), lines
    assert any(f"fitting the power law to 90 values (10 bootstrap replicas on {os.cpu_count()} "
               "threads)" in l for l in lines), lines
    assert run("tail", path, "--tensor", "w.weight", "--bootstrap", "10").stderr == ""


def test_tail_warns_up_front_about_a_long_bootstrap(tmp_path):
    x = np.random.default_rng(1).pareto(2.0, 300000) + 1
    np.save(tmp_path / "x.npy", x)
    # killed after the up-front estimate: the message comes before any work
    p = subprocess.Popen([CLI, "tail", str(tmp_path / "x.npy")], stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    line = p.stderr.readline()
    p.kill()
    p.wait()
    assert "300000 values, 1000 bootstrap replicas" in line and "min" in line, line
    assert "--bootstrap 0" in line


# ---- 5. the cost of --stats vectors said up front -------------------------------------------

def test_vectors_null_cost_is_said_up_front(tmp_path):
    np.save(tmp_path / "long.npy", np.random.default_rng(2).standard_normal((150000, 12)))
    p = subprocess.Popen([CLI, "analyze", str(tmp_path / "long.npy"), "--stats", "all",
                          "--out", str(tmp_path / "o")], stderr=subprocess.PIPE,
                         stdout=subprocess.DEVNULL, text=True)
    line = p.stderr.readline()
    p.kill()
    p.wait()
    assert "Porter-Thomas null simulates 2000 unit vectors" in line, line
    assert "--pt-method kolmogorov" in line
    # and not for small matrices, nor with the method that simulates nothing
    np.save(tmp_path / "small.npy", np.random.default_rng(2).standard_normal((300, 200)))
    q = run("analyze", tmp_path / "small.npy", "--stats", "all", "--out", tmp_path / "o2",
            "--no-plots", "--bootstrap", "0", "--replicas", "1")
    assert "Porter-Thomas" not in q.stderr


def test_skipped_tensors_keep_their_real_shape(tmp_path):
    rng = np.random.default_rng(4)
    path = tmp_path / "s.safetensors"
    write_safetensors(path, {"w.weight": rng.standard_normal((40, 30)),
                             "w.bias": rng.standard_normal(40),
                             "scale": np.array(2.0),
                             "tiny.weight": rng.standard_normal((8, 40))})
    run("analyze", path, "--out", tmp_path / "o", "--quiet", "--no-plots")
    with open(tmp_path / "o" / "summary.csv") as f:
        rows = {r["name"]: r for r in csv.DictReader(f)}
    assert (rows["w.bias"]["rows"], rows["w.bias"]["cols"]) == ("40", "")
    assert (rows["scale"]["rows"], rows["scale"]["cols"]) == ("", "")
    assert (rows["tiny.weight"]["rows"], rows["tiny.weight"]["cols"]) == ("8", "40")
    assert (rows["w.weight"]["rows"], rows["w.weight"]["cols"]) == ("40", "30")
    # integers are written as integers (no 40.0), in the CSV and in report.json
    for r in rows.values():
        for c in ("rows", "cols", "numerical_rank", "n_above_mp_edge"):
            assert "." not in r.get(c, ""), (c, r.get(c))
    rep = json.loads((tmp_path / "o" / "report.json").read_text())
    shapes = {s["name"]: s["shape"] for s in rep["skipped"]}
    assert shapes == {"w.bias": [40], "scale": [], "tiny.weight": [8, 40]}
    assert all(isinstance(x, int) for v in shapes.values() for x in v)
    m = rep["matrices"][0]
    assert isinstance(m["rows"], int) and isinstance(m["metrics"]["numerical_rank"], int)


def test_plot_writes_figures_whole(models, tmp_path):
    """rmtk plot draws each file under a temporary name and renames it: none is left, and the
    figures are those analyze drew (byte-identical SVG)."""
    d, a, b = models
    out = tmp_path / "o"
    run("analyze", a, "--out", out, "--quiet")
    run("plot", out / "report.json", "--out", tmp_path / "p", "--quiet", "--format", "svg")
    drawn = all_files(tmp_path / "p")
    assert drawn and not [f for f in drawn if "tmp" in f]
    for f in drawn:
        assert (tmp_path / "p" / f).read_bytes() == (out / "figures" / f).read_bytes(), f
    # a failure (unwritable target: a folder where the file should go) leaves no temporary file
    bad = tmp_path / "bad"
    bad.mkdir()
    stem = sorted(f for f in drawn if f.endswith(".svg"))[0]
    (bad / stem).mkdir()
    p = run("plot", out / "report.json", "--out", bad, "--quiet", "--format", "svg", check=False)
    assert p.returncode != 0
    assert not [f for f in os.listdir(bad) if "tmp" in f]


def test_simulate_analysis_out_is_an_output_folder_too(tmp_path):
    afile = tmp_path / "afile"
    afile.write_text("x")
    p = run("simulate", "wishart", "--dims", "60,30", "--stats", "basic",
            "--analysis-out", afile, check=False)
    assert p.returncode != 0 and "--analysis-out" in p.stderr and "names a file" in p.stderr
    assert p.stdout == ""  # nothing simulated
    assert "--analysis-out DIR is missing" in err("simulate", "wishart", "--dims", "60,30",
                                                  "--stats", "basic")
    out = tmp_path / "sim"
    run("simulate", "wishart", "--dims", "60,30", "--samples", "3", "--stats", "basic",
        "--analysis-out", out)
    assert manifest(out) == {"summary.csv", "report.json"}
    with open(out / "summary.csv") as f:
        assert len(list(csv.DictReader(f))) == 3


def test_make_install_is_cmake_install():
    if not shutil.which("make") or not os.path.exists(os.path.join(SRC, "Makefile")):
        pytest.skip("no make")
    build = os.path.dirname(os.path.abspath(CLI))
    p = subprocess.run(["make", "-n", "-C", SRC, "install", "PREFIX=/opt/x", f"BUILD={build}"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert f"cmake --install {build} --prefix /opt/x" in p.stdout


def test_ctrl_c_while_computing_leaves_the_folder_as_it_was(models, tmp_path):
    import signal
    d, a, b = models
    out = tmp_path / "out"
    run("analyze", a, "--out", out, "--quiet")
    before = {f: (out / f).read_bytes() for f in all_files(out)}
    np.save(tmp_path / "long.npy", np.random.default_rng(2).standard_normal((150000, 12)))
    p = subprocess.Popen([CLI, "analyze", str(tmp_path / "long.npy"), "--stats", "all",
                          "--out", str(out)], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL,
                         text=True)
    line = p.stderr.readline()  # said before the computation starts
    assert "Porter-Thomas" in line, line
    p.send_signal(signal.SIGINT)
    p.wait()
    assert p.returncode == -signal.SIGINT
    assert {f: (out / f).read_bytes() for f in all_files(out)} == before
    assert not [f for f in os.listdir(out) if f.startswith(".rmtk")]


def test_plot_html_shows_only_the_figures_it_drew(models, tmp_path):
    d, a, b = models
    run("analyze", a, "--out", tmp_path / "o1", "--quiet", "--stats", "basic,mp,levels,vectors")
    run("analyze", a, "--out", tmp_path / "o2", "--quiet", "--stats", "basic,mp", "--no-plots")
    figs = tmp_path / "o1" / "figures"
    stale = {f for f in os.listdir(figs) if "vectors" in f}
    assert stale
    p = run("plot", tmp_path / "o2" / "report.json", "--out", figs, "--html", tmp_path / "h.html",
            "--format", "svg")
    html = (tmp_path / "h.html").read_text()
    drawn = int(p.stdout.split()[1])
    # the summary inlines the trends; the matrix pages (layers/ beside it) show the others
    pages = "".join(f.read_text() for f in (tmp_path / "layers").iterdir())
    refs = set(re.findall(r'src="[^"]*/([^"/]+\.svg)"', pages))
    assert html.count("<svg") + len(refs) == drawn  # not the stale vectors figures of o1
    assert not refs & stale
    assert stale <= set(os.listdir(figs))  # which are still there, untouched
    assert not [f for f in os.listdir(figs) if f.startswith(".rmtk")]
