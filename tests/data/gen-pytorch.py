"""PyTorch checkpoints for tests/test-pytorch.c, written by torch.save itself (Debian's
python3-torch, the independent writer and oracle), plus malicious pickles and hand-broken files
for every error path of the PyTorch reader.

Files (OUT/pytorch/): a state dict of every dtype; non-contiguous views and shared storages; a
whole pickled nn.Module; nested {"state_dict"}, {"model", "optimizer"} and Lightning-style
checkpoints; a sharded pytorch_model.bin.index.json; the legacy format; payloads that would run
os.system / builtins.eval (they would touch pytorch/PWNED if anything ran them); broken files.

Manifests (tab-separated, paths relative to OUT):
  pytorch_good.txt: path, tensor, dtype name, shape (comma-separated), skip ("none"|"state"),
                    golden (row-major float64 little-endian file, torch's .double(); "-" for
                    bool)
  pytorch_bad.txt:  stage (open|map), path, expected status, tensor ("-" for open), then
                    substrings the error message must contain
"""
import argparse
import collections
import io
import json
import os
import pickle
import sys
import types
import zipfile

import torch

out = sys.argv[1]
D = os.path.join(out, "pytorch")
os.makedirs(os.path.join(D, "golden"), exist_ok=True)
os.makedirs(os.path.join(D, "shards"), exist_ok=True)
torch.manual_seed(20261130)
FORMAT, UNSUPPORTED, RANGE = 3, 4, 8
good, bad = [], []
MARKER = os.path.join(D, "PWNED")
if os.path.exists(MARKER):
    os.remove(MARKER)

DTYPE_NAME = {torch.float64: "F64", torch.float32: "F32", torch.float16: "F16",
              torch.bfloat16: "BF16", torch.int8: "I8", torch.int16: "I16", torch.int32: "I32",
              torch.int64: "I64", torch.uint8: "U8", torch.bool: "BOOL"}
ngold = [0]


def expect(path, name, t, skip="none"):
    """Record what the reader must find: tensor `name` of file `path` equal to t."""
    shape = ",".join(str(s) for s in t.shape)
    if t.dtype == torch.bool:
        gold = "-"
    else:
        gold = "pytorch/golden/%d.f64" % ngold[0]
        ngold[0] += 1
        t.detach().double().contiguous().numpy().astype("<f8").tofile(os.path.join(out, gold))
    good.append([path, name, DTYPE_NAME[t.dtype], shape, skip, gold])


def expect_all(path, tree, prefix="", skip="none"):
    if isinstance(tree, torch.Tensor):
        expect(path, prefix, tree, skip)
    elif isinstance(tree, dict):
        s = "state" if ("state" in tree and "param_groups" in tree) else skip
        for k, v in tree.items():
            expect_all(path, v, (prefix + "." if prefix else "") + str(k), s)
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            expect_all(path, v, (prefix + "." if prefix else "") + str(i), skip)


def save(name, obj, **kw):
    torch.save(obj, os.path.join(D, name), **kw)
    return "pytorch/" + name


# 1. a state dict of every dtype torch has (values exact in each dtype)
sd = collections.OrderedDict()
sd["fc1.weight"] = torch.randn(30, 20)
sd["fc1.bias"] = torch.randn(30)
sd["w64"] = torch.randn(12, 16, dtype=torch.float64)
sd["w16"] = torch.randn(16, 12).half()
sd["wbf16"] = torch.randn(20, 24).bfloat16()
sd["i8"] = torch.randint(-128, 128, (10, 11), dtype=torch.int8)
sd["i16"] = torch.randint(-30000, 30000, (10, 11), dtype=torch.int16)
sd["i32"] = torch.randint(-2**31, 2**31 - 1, (10, 11), dtype=torch.int32)
sd["i64"] = torch.randint(-2**40, 2**40, (10, 11), dtype=torch.int64)
sd["u8"] = torch.randint(0, 256, (10, 11), dtype=torch.uint8)
sd["mask"] = torch.rand(5, 5) > 0.5
sd["conv.weight"] = torch.randn(8, 3, 3, 3)
sd["scalar"] = torch.tensor(2.5)
sd["steps"] = torch.tensor(7, dtype=torch.int64)
sd["empty"] = torch.zeros(0, 4)
sd["param"] = torch.nn.Parameter(torch.randn(14, 13))
p = save("sd.pt", sd)
expect_all(p, sd)

# 2. non-contiguous views, storage offsets and shared storages
base = torch.randn(40, 30)
flat = torch.randn(200)
cube = torch.randn(4, 6, 8)
views = collections.OrderedDict()
views["t"] = base.t()                      # strides (1, 30)
views["slice"] = base[2:17, 3:25]           # offset 63, strides (30, 1): rows not contiguous
views["step"] = base[::3, ::2]              # strides (90, 2)
views["row"] = base[5]                      # 1-D view with offset 150
views["offset"] = flat[17:17 + 60].view(6, 10)  # contiguous at storage offset 17
views["perm"] = cube.permute(2, 0, 1)       # 3-D, strides (1, 48, 8)
views["base"] = base                        # the storage the views share
views["tied"] = base                        # the same tensor object twice (memo)
views["half_t"] = torch.randn(16, 24).half().t()
views["bf16_slice"] = torch.randn(30, 20).bfloat16()[5:25:2, 1:19]
p = save("views.pt", views)
expect_all(p, views)

# 3. a whole pickled nn.Module: its class is a global outside the allowlist
net = torch.nn.Sequential(torch.nn.Linear(20, 30), torch.nn.ReLU(), torch.nn.Linear(30, 10))
p = save("module.pt", net)
bad.append(["open", p, UNSUPPORTED, "-", "module.pt", "torch.nn.modules.container.Sequential",
            "not in rmtk's allowlist", "state_dict()"])
p = save("module-sd.pt", net.state_dict())
expect_all(p, net.state_dict())

# 4. nested checkpoints
nested = {"state_dict": net.state_dict(), "epoch": 3, "note": "nested", "best": 0.25}
p = save("nested.pt", nested)
expect_all(p, nested)
opt = torch.optim.Adam(net.parameters(), lr=1e-3)
net(torch.randn(5, 20)).square().sum().backward()
opt.step()
ckpt = {"model": net.state_dict(), "optimizer": opt.state_dict(), "epoch": 1}
p = save("model-optimizer.pt", ckpt)
expect_all(p, ckpt)
# Lightning's AttributeDict (a dict subclass pickled by NEWOBJ + SETITEMS), under its real name
class AttributeDict(dict):
    pass


AttributeDict.__module__ = "lightning_fabric.utilities.data"
for _m in ("lightning_fabric", "lightning_fabric.utilities", "lightning_fabric.utilities.data"):
    sys.modules[_m] = types.ModuleType(_m)
sys.modules["lightning_fabric.utilities.data"].AttributeDict = AttributeDict
lightning = {
    "epoch": 4, "global_step": 100, "pytorch-lightning_version": "2.0.0",
    "state_dict": collections.OrderedDict(("model." + k, v) for k, v in net.state_dict().items()),
    "loops": {"fit_loop": {"state_dict": {}, "epoch_progress": {"total": {"ready": 5}}}},
    "callbacks": {"ModelCheckpoint{'monitor': 'val_loss'}": {"best_model_score": torch.tensor(0.5),
                                                            "best_model_path": "x.ckpt"}},
    "optimizer_states": [opt.state_dict()],
    "lr_schedulers": [{"last_epoch": 4, "_step_count": 5, "base_lrs": [0.001]}],
    "hparams_name": "kwargs",
    "hyper_parameters": AttributeDict(lr=0.001, layers=[20, 30, 10], args=argparse.Namespace(a=1),
                                      class_weights=torch.randn(12, 11)),
}
p = save("lightning.ckpt", lightning)
expect_all(p, lightning)
p = save("proto4.pt", sd, pickle_protocol=4)   # STACK_GLOBAL, FRAME, MEMOIZE, SHORT_BINUNICODE
expect_all(p, sd)

# 5. a sharded checkpoint with the Hugging Face index
s1 = collections.OrderedDict((k, sd[k]) for k in ("fc1.weight", "fc1.bias", "w64"))
s2 = collections.OrderedDict((k, sd[k]) for k in ("wbf16", "conv.weight"))
torch.save(s1, os.path.join(D, "shards", "pytorch_model-00001-of-00002.bin"))
torch.save(s2, os.path.join(D, "shards", "pytorch_model-00002-of-00002.bin"))
wm = {k: "pytorch_model-00001-of-00002.bin" for k in s1}
wm.update({k: "pytorch_model-00002-of-00002.bin" for k in s2})
with open(os.path.join(D, "shards", "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"metadata": {"total_size": 0}, "weight_map": wm}, f, indent=2)
expect_all("pytorch/shards/pytorch_model.bin.index.json", dict(s1, **s2))
# the same with a legacy-format first shard (older Hugging Face checkpoints mix them)
os.makedirs(os.path.join(D, "shards-legacy"), exist_ok=True)
torch.save(s1, os.path.join(D, "shards-legacy", "pytorch_model-00001-of-00002.bin"),
           _use_new_zipfile_serialization=False)
torch.save(s2, os.path.join(D, "shards-legacy", "pytorch_model-00002-of-00002.bin"))
with open(os.path.join(D, "shards-legacy", "pytorch_model.bin.index.json"), "w") as f:
    json.dump({"weight_map": wm}, f)
expect_all("pytorch/shards-legacy/pytorch_model.bin.index.json", dict(s1, **s2))

# 6. the legacy format (torch < 1.6 or _use_new_zipfile_serialization=False)
p = save("legacy.pt", sd, _use_new_zipfile_serialization=False)
expect_all(p, sd)
p = save("legacy-views.pt", views, _use_new_zipfile_serialization=False)
expect_all(p, views)
p = save("legacy-nested.pt", {"state_dict": sd, "epoch": 2},
         _use_new_zipfile_serialization=False)
expect_all(p, {"state_dict": sd, "epoch": 2})


# 7. malicious pickles: each would create MARKER if anything executed it
class System:
    def __reduce__(self):
        return (os.system, ("touch " + MARKER,))


class Eval:
    def __reduce__(self):
        import builtins
        return (builtins.eval, ("open(%r, 'w').close()" % MARKER,))


p = save("evil-system.pt", {"w": torch.randn(3, 3), "x": System()})
bad.append(["open", p, UNSUPPORTED, "-", "evil-system.pt", "global 'posix.system'",
            "data.pkl", "byte offset", "not in rmtk's allowlist"])
p = save("evil-eval.pt", {"x": Eval(), "w": torch.randn(3, 3)}, pickle_protocol=4)
bad.append(["open", p, UNSUPPORTED, "-", "evil-eval.pt", "global 'builtins.eval'"])


def rezip(src, dst, replace=None, drop=(), compress=False, add=None):
    """Copy the torch zip src to dst with members replaced (name -> bytes) or dropped, and
    members added (name -> bytes)."""
    with zipfile.ZipFile(src) as zi, zipfile.ZipFile(
            dst, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as zo:
        for name, data in (add or {}).items():
            zo.writestr(name, data)
        for info in zi.infolist():
            name = info.filename
            if any(name.endswith(x) for x in drop):
                continue
            data = zi.read(name)
            for k, v in (replace or {}).items():
                if name.endswith(k):
                    data = v
            zo.writestr(name, data)


def torch_pkl(path):
    with zipfile.ZipFile(path) as z:
        return z.read([n for n in z.namelist() if n.endswith("/data.pkl")][0])


# a hand-written protocol-2 REDUCE of os.system inside a torch archive (GLOBAL opcode 'c')
raw = b"\x80\x02cos\nsystem\nq\x00X" + len("touch " + MARKER).to_bytes(4, "little") + \
    ("touch " + MARKER).encode() + b"\x85R."
rezip(os.path.join(D, "sd.pt"), os.path.join(D, "evil-global.pt"), {"/data.pkl": raw})
bad.append(["open", "pytorch/evil-global.pt", UNSUPPORTED, "-", "global 'os.system'",
            "opcode 0x63 at byte offset 2"])
# the same in a plain pickle file named .pt (not a zip: the legacy path must not run it)
with open(os.path.join(D, "evil-bare.pt"), "wb") as f:
    f.write(raw)
bad.append(["open", "pytorch/evil-bare.pt", UNSUPPORTED, "-", "global 'os.system'",
            "legacy magic number"])
# a legacy file cut inside its storages, and one that is a pickle but not torch's
blob = open(os.path.join(D, "legacy.pt"), "rb").read()
with open(os.path.join(D, "legacy-cut.pt"), "wb") as f:
    f.write(blob[:-100])
bad.append(["open", "pytorch/legacy-cut.pt", FORMAT, "-", "legacy storage", "past the end"])
with open(os.path.join(D, "not-torch.pt"), "wb") as f:
    f.write(pickle.dumps({"a": 1}, protocol=2))
bad.append(["open", "pytorch/not-torch.pt", FORMAT, "-", "legacy magic number"])

# 8. hand-broken files
sdp = os.path.join(D, "sd.pt")
blob = open(sdp, "rb").read()
with open(os.path.join(D, "truncated.pt"), "wb") as f:
    f.write(blob[: len(blob) // 2])
bad.append(["open", "pytorch/truncated.pt", FORMAT, "-", "truncated.pt",
            "end-of-central-directory"])
pkl = torch_pkl(sdp)
# pickletools: opcode 6 of the pickle (the MARK after OrderedDict()) at byte offset 33
assert pkl[33:34] == b"("
rezip(sdp, os.path.join(D, "bad-opcode.pt"), {"/data.pkl": pkl[:33] + b"\xff" + pkl[34:]})
bad.append(["open", "pytorch/bad-opcode.pt", UNSUPPORTED, "-", "bad-opcode.pt", "data.pkl",
            "opcode 0xff at byte offset 33"])
rezip(sdp, os.path.join(D, "no-stop.pt"), {"/data.pkl": pkl[:-1]})
bad.append(["open", "pytorch/no-stop.pt", FORMAT, "-", "without a STOP"])
rezip(sdp, os.path.join(D, "missing-storage.pt"), drop=("/data/0",))
bad.append(["open", "pytorch/missing-storage.pt", FORMAT, "-", "missing-storage.pt",
            "tensor 'fc1.weight'", "data/0", "is not in the archive"])
with zipfile.ZipFile(sdp) as z:
    d0 = z.read([n for n in z.namelist() if n.endswith("/data/0")][0])
rezip(sdp, os.path.join(D, "short-storage.pt"), {"/data/0": d0[:-4]})
bad.append(["open", "pytorch/short-storage.pt", FORMAT, "-", "short-storage.pt",
            "tensor 'fc1.weight'", "element 599", "2396 bytes"])
rezip(sdp, os.path.join(D, "unknown-dtype.pt"),
      {"/data.pkl": pkl.replace(b"FloatStorage", b"FooatStorage")})
bad.append(["open", "pytorch/unknown-dtype.pt", UNSUPPORTED, "-", "global 'torch.FooatStorage'"])
rezip(sdp, os.path.join(D, "no-pkl.pt"), drop=("/data.pkl",))
bad.append(["open", "pytorch/no-pkl.pt", FORMAT, "-", "without a data.pkl member"])
# a deflated copy reads the same (torch writes stored members; accept both)
rezip(os.path.join(D, "views.pt"), os.path.join(D, "views-deflated.pt"), compress=True)
expect_all("pytorch/views-deflated.pt", views)
# the byteorder member of torch >= 2.1: "little" reads as before; "big" with byte-swapped
# storages reads the same values; anything else is an error
small = collections.OrderedDict([("w", torch.randn(12, 10)), ("h", torch.randn(11, 10).half()),
                                 ("i", torch.randint(-999, 999, (10, 10), dtype=torch.int32)),
                                 ("t", torch.randn(10, 14).double().t())])
p = save("small.pt", small)
prefix = [n for n in zipfile.ZipFile(os.path.join(D, "small.pt")).namelist()
          if n.endswith("data.pkl")][0][:-8]
rezip(os.path.join(D, "small.pt"), os.path.join(D, "little.pt"), add={prefix + "byteorder": b"little"})
expect_all("pytorch/little.pt", small)
with zipfile.ZipFile(os.path.join(D, "small.pt")) as z:
    swapped = {}
    for n in z.namelist():
        if "/data/" in n:
            key = n.rsplit("/", 1)[1]
            # which tensor owns storage `key`: the order torch.save assigns keys (0, 1, ...)
            t = list(small.values())[int(key)]
            swapped["/data/" + key] = t.detach().numpy().byteswap().tobytes() \
                if t.is_contiguous() else t.t().detach().numpy().byteswap().tobytes()
rezip(os.path.join(D, "small.pt"), os.path.join(D, "big-endian.pt"), replace=swapped,
      add={prefix + "byteorder": b"big"})
expect_all("pytorch/big-endian.pt", small)
rezip(os.path.join(D, "small.pt"), os.path.join(D, "bad-byteorder.pt"),
      add={prefix + "byteorder": b"middle"})
bad.append(["open", "pytorch/bad-byteorder.pt", FORMAT, "-", "byteorder",
            "neither \"little\" nor \"big\""])
# a memo reference bomb: nested lists doubling 40 times
lst = [torch.zeros(1)]
for _ in range(40):
    lst = [lst, lst]
p = save("bomb.pt", lst)
bad.append(["open", p, RANGE, "-", "bomb.pt", "references"])
# a corrupt storage member: caught by the CRC when mapped
with zipfile.ZipFile(sdp) as z:
    names = z.namelist()
rezip(sdp, os.path.join(D, "crc.pt"))
data = bytearray(open(os.path.join(D, "crc.pt"), "rb").read())
i = data.find(d0[:16])
data[i + 8] ^= 0xFF
open(os.path.join(D, "crc.pt"), "wb").write(bytes(data))
bad.append(["map", "pytorch/crc.pt", FORMAT, "fc1.weight", "CRC-32", "fc1.weight"])

with open(os.path.join(out, "pytorch_good.txt"), "w") as f:
    for r in good:
        f.write("\t".join(str(x) for x in r) + "\n")
with open(os.path.join(out, "pytorch_bad.txt"), "w") as f:
    for r in bad:
        f.write("\t".join(str(x) for x in r) + "\n")
