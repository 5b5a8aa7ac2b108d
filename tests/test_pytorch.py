"""End-to-end: `rmtk describe`, `rmtk spectrum` and `rmtk analyze` on files written by
torch.save (Debian's python3-torch), with singular values checked against torch.linalg.svdvals
of the tensors torch itself loads. Run by ctest with RMTK_CLI set."""
import csv
import json
import os
import subprocess

import numpy as np
import torch

CLI = os.environ.get("RMTK_CLI", "build/rmtk")


def run(*args, check=True):
    p = subprocess.run([CLI, *map(str, args)], capture_output=True, text=True)
    if check and p.returncode != 0:
        raise AssertionError(f"rmtk {' '.join(map(str, args))} -> {p.returncode}\n{p.stderr}")
    return p


def make(tmp_path):
    torch.manual_seed(5)
    net = torch.nn.Sequential(torch.nn.Linear(120, 300), torch.nn.ReLU(),
                              torch.nn.Linear(300, 64), torch.nn.Conv2d(8, 16, 3))
    sd = net.state_dict()
    sd["bf16.weight"] = torch.randn(90, 150).bfloat16()
    sd["tied.weight"] = sd["0.weight"]                 # a shared storage
    sd["view.weight"] = torch.randn(200, 160)[10:170:2, 5:155].t()  # non-contiguous, offset
    opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9)
    net[2](net[1](net[0](torch.randn(4, 120)))).sum().backward()
    opt.step()
    path = tmp_path / "ckpt.pt"
    torch.save({"model": sd, "optimizer": opt.state_dict(), "epoch": 2}, path)
    return path, torch.load(path)["model"]


def matrix(t):
    t = t.detach().double()
    return t.reshape(t.shape[0], -1)


def test_describe_spectrum_analyze(tmp_path):
    path, sd = make(tmp_path)
    p = run("describe", path, "--json")
    desc = json.loads(p.stdout)
    text = json.dumps(desc)
    assert "model.view.weight" in text and "optimizer.state.0.momentum_buffer" in text
    for name in ("0.weight", "bf16.weight", "view.weight", "tied.weight", "3.weight"):
        out = run("spectrum", path, "--tensor", "model." + name).stdout.split()
        sv = np.array([float(x) for x in out])
        ref = torch.linalg.svdvals(matrix(sd[name])).numpy()
        assert sv.shape == ref.shape, name
        assert np.allclose(sv, ref, rtol=1e-10, atol=1e-12 * ref[0]), name
    out = tmp_path / "out"
    p = run("analyze", path, "--out", out, "--quiet")
    rows = {r["name"]: r for r in csv.DictReader(open(out / "summary.csv"))}
    assert rows["model.0.weight"]["status"] == "ok"
    assert rows["model.view.weight"]["status"] == "ok"
    assert int(rows["model.view.weight"]["rows"]) == 150
    assert rows["optimizer.state.0.momentum_buffer"]["status"] == "skipped"
    assert "optimizer state" in rows["optimizer.state.0.momentum_buffer"]["reason"]
    w = matrix(sd["2.weight"]).numpy()
    assert abs(float(rows["model.2.weight"]["fro_norm2"]) - np.sum(w * w)) <= 1e-10 * np.sum(w * w)
    rep = json.load(open(out / "report.json"))
    skipped = {s["name"]: s for s in rep["skipped"]}
    assert skipped["optimizer.state.0.momentum_buffer"]["skip"] == "state"


def test_malicious_pickle_runs_nothing(tmp_path):
    marker = tmp_path / "PWNED"

    class Payload:
        def __reduce__(self):
            return (os.system, ("touch " + str(marker),))

    path = tmp_path / "evil.pt"
    torch.save({"w": torch.randn(20, 20), "x": Payload()}, path)
    for cmd in (("describe", path), ("analyze", path, "--out", tmp_path / "o")):
        p = run(*cmd, check=False)
        assert p.returncode != 0
        assert "posix.system" in p.stderr and "allowlist" in p.stderr
    assert not marker.exists()


def test_whole_module_is_refused(tmp_path):
    path = tmp_path / "net.pt"
    torch.save(torch.nn.Linear(30, 20), path)
    p = run("describe", path, check=False)
    assert p.returncode != 0
    assert "torch.nn.modules.linear.Linear" in p.stderr and "state_dict()" in p.stderr
