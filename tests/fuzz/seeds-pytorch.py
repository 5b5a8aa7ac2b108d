"""Seeds for tests/fuzz/fuzz-pytorch.c: small torch.save files (first byte 0x00: the file
itself) and their data.pkl pickles alone (first byte 0x01: the target wraps them in a torch
archive whose storages data/0..3 hold 4 KiB each). Usage: seeds-pytorch.py DIR."""
import collections
import io
import os
import sys
import zipfile

import torch

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
torch.manual_seed(1)
n = [0]


def write(kind, blob):
    with open(os.path.join(out, "seed-%02d" % n[0]), "wb") as f:
        f.write(bytes([kind]) + blob)
    n[0] += 1


def save(obj, **kw):
    path = os.path.join(out, "tmp.pt")
    torch.save(obj, path, **kw)
    blob = open(path, "rb").read()
    os.remove(path)
    write(0, blob)
    if blob[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(blob)) as z:
            pkl = [m for m in z.namelist() if m.endswith("data.pkl")][0]
            # storage keys 0..3 exist in the wrapped archive
            write(1, z.read(pkl))


base = torch.randn(6, 5)
sd = collections.OrderedDict([("w", base), ("b", torch.randn(5)), ("h", torch.randn(3, 4).half()),
                              ("bf", torch.randn(2, 3).bfloat16()), ("i", torch.arange(6)),
                              ("m", torch.ones(2, 2) > 0)])
save(sd)
save({"t": base.t(), "s": base[1:4, ::2], "base": base, "tied": base})
net = torch.nn.Linear(4, 3)
opt = torch.optim.Adam(net.parameters())
net(torch.randn(2, 4)).sum().backward()
opt.step()
save({"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 1, "x": [1.5, "s", None]})
save(sd, pickle_protocol=4)
save({"p": torch.nn.Parameter(torch.randn(3, 3)), "s": {1, 2}, "n": (True, False, 2**70)})
save(sd, _use_new_zipfile_serialization=False)
