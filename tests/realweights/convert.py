#!/usr/bin/python3
"""Convert the fetched real networks into .safetensors files that rmtk reads (docs/realweights.md).

    tests/realweights/convert.py [--cache DIR]

Reads DIR/src/ (written by tests/realweights/fetch) and writes one file per network,
DIR/nets/NET.safetensors, plus DIR/nets/index.json (per network: file, source package, version,
licence, and its tensors with shape and stored dtype). Idempotent: a network whose file exists
and whose index entry has the current CONVERT_VERSION is not converted again.

Every tensor with two or more dimensions is written with its name preserved, in its stored dtype
where the format has one (F32, I8, I16, I32); 1-D tensors (biases, norms) are left out.
Layouts (docs/realweights.md):
  * ONNX (PaddleOCR, Silero VAD): initializers and Constant-node tensors, subgraphs included,
    as stored; conv weights are OIHW; Conv1d weights [out, in, k] get a trailing unit dim;
    LSTM weights [directions, 4*hidden, in] stay a 3-D stack.
  * TF.js (face-api, nsfwjs): uint8/uint16-quantised weights are dequantised exactly as TF.js does
    (float32(q * scale + min), the product and sum in double); float16 ones widened to float32.
    Conv kernels HWIO [kh, kw, in, out] -> OIHW [out, in, kh, kw] (rmtk flattens to
    out x in*kh*kw); depthwise kernels [kh, kw, in, mult] -> [in*mult, 1, kh, kw]; dense kernels
    stay [in, out] as stored (a transpose has the same singular values).
  * gnubg.wd: hidden weights float32 [input][hidden] as gnubg stores them, output weights
    [hidden][output].
  * Stockfish NNUE: feature transformer int16 [features][1024], PSQT int32 [features][8], per
    layer stack fc_0 int8 [16][1024], fc_1 int8 [32][30] (the two zero padding columns of the
    stored [32][32] removed), fc_2 int8 [1][32].

Needs numpy; python3-onnx for the ONNX models and node (which comes with npm) for nsfwjs,
whose models are JavaScript modules. A network whose tools are missing is reported and skipped.
"""
import argparse
import base64
import glob
import json
import os
import shutil
import struct
import subprocess
import sys

import numpy as np

CONVERT_VERSION = 3

ST_DTYPE = {np.dtype("float64"): "F64", np.dtype("float32"): "F32", np.dtype("float16"): "F16",
            np.dtype("int8"): "I8", np.dtype("int16"): "I16", np.dtype("int32"): "I32",
            np.dtype("int64"): "I64", np.dtype("uint8"): "U8", np.dtype("uint16"): "U16"}


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 little-endian header length, JSON header, then the raw data (written
    here with numpy so the suite does not depend on the safetensors package)."""
    header, off, blobs = {"__metadata__": {k: str(v) for k, v in metadata.items()}}, 0, []
    for name, a in tensors:
        a = np.ascontiguousarray(a)
        raw = a.astype(a.dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": ST_DTYPE[a.dtype], "shape": list(a.shape),
                        "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def read_safetensors(path):
    """Inverse of write_safetensors (used by the tests): {name: array}, metadata."""
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    inv = {v: k for k, v in ST_DTYPE.items()}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[b:end], dtype=inv[e["dtype"]].newbyteorder("<")) \
            .reshape(e["shape"])
    return out, header.get("__metadata__", {})


# ---------------------------------------------------------------- ONNX (PaddleOCR)

def onnx_tensors(path):
    """Initializers and Constant-node tensors of the graph and of every subgraph (If/Loop
    branches: Silero VAD keeps its weights there). A 3-D tensor that a Conv reads (Conv1d
    weight [out, in, k]) gets a trailing unit dimension, so rmtk flattens it to out x in*k like
    a 2-D conv kernel; other 3-D tensors (LSTM W, R [directions, 4*hidden, in]) stay 3-D, a
    stack of matrices. A name seen twice gets a '#n' suffix."""
    import onnx
    from onnx import numpy_helper
    model = onnx.load(path)
    out, conv_inputs = [], set()

    def walk(g):
        for node in g.node:
            if node.op_type in ("Conv", "ConvTranspose"):
                conv_inputs.update(node.input[1:2])
        for init in g.initializer:
            out.append((init.name, numpy_helper.to_array(init)))
        for node in g.node:
            for attr in node.attribute:
                if node.op_type == "Constant" and attr.name == "value" \
                        and attr.type == onnx.AttributeProto.TENSOR:
                    out.append((node.output[0], numpy_helper.to_array(attr.t)))
                elif attr.type == onnx.AttributeProto.GRAPH:
                    walk(attr.g)
                elif attr.type == onnx.AttributeProto.GRAPHS:
                    for sg in attr.graphs:
                        walk(sg)
    walk(model.graph)
    res, seen = [], {}
    for n, a in out:
        if a.ndim < 2 or a.dtype.kind != "f" or a.size == 0:
            continue
        if a.ndim == 3 and n in conv_inputs:
            a = a.reshape(*a.shape, 1)
        if n in seen:
            seen[n] += 1
            n = f"{n}#{seen[n]}"
        else:
            seen[n] = 0
        res.append((n, a))
    return res


# ---------------------------------------------------------------- TF.js weights manifest

TFJS_BYTES = {"float32": 4, "int32": 4, "bool": 1, "uint8": 1, "uint16": 2, "float16": 2}


def tfjs_decode(manifest, shard_bytes):
    """manifest: the weightsManifest list; shard_bytes(path) -> bytes. Each group's shards are
    one byte stream cut into files, so a tensor may span a shard boundary: concatenate first.
    Returns [(name, array)] in the stored dtype (float32 after dequantisation)."""
    out = []
    for group in manifest:
        stream = b"".join(shard_bytes(p) for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape, dtype = list(w["shape"]), w["dtype"]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if dtype not in TFJS_BYTES:
                raise ValueError(f"{w['name']}: dtype {dtype} not handled")
            nbytes = n * TFJS_BYTES[q["dtype"] if q else dtype]
            raw = stream[off:off + nbytes]
            if len(raw) != nbytes:
                raise ValueError(f"{w['name']}: stream ends at {len(stream)}, needs {off + nbytes}")
            off += nbytes
            if q and q["dtype"] in ("uint8", "uint16"):
                qv = np.frombuffer(raw, dtype="<u1" if q["dtype"] == "uint8" else "<u2")
                # TF.js: values[i] = v * scale + min in double, stored in a Float32Array
                a = (qv.astype(np.float64) * float(q["scale"]) + float(q["min"])).astype(np.float32)
            elif q and q["dtype"] == "float16":
                a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
            else:
                a = np.frombuffer(raw, dtype={"float32": "<f4", "int32": "<i4",
                                              "bool": "u1"}[dtype]).copy()
            out.append((w["name"], a.reshape(shape), q))
        if off != len(stream):
            raise ValueError(f"group {group['paths']}: {len(stream) - off} bytes left over")
    res = []
    for name, a, q in out:
        if a.ndim < 2 or a.dtype.kind != "f":
            continue
        if a.ndim == 4:
            kh, kw, cin, cout = a.shape
            if "depthwise" in name.lower() or (cout == 1 and cin > 1 and kh * kw > 1):
                a = a.transpose(2, 3, 0, 1).reshape(cin * cout, 1, kh, kw)
            else:
                a = a.transpose(3, 2, 0, 1)
        res.append((name, np.ascontiguousarray(a)))
    return res


def faceapi_nets(src):
    nets = {}
    for man in sorted(glob.glob(os.path.join(src, "package", "model", "*-weights_manifest.json"))):
        base = os.path.basename(man).replace("-weights_manifest.json", "")
        d = os.path.dirname(man)
        with open(man) as f:
            manifest = json.load(f)

        def shard(p, d=d):
            with open(os.path.join(d, p), "rb") as f:
                return f.read()
        nets["faceapi-" + base.replace("_model", "")] = (
            lambda manifest=manifest, shard=shard: tfjs_decode(manifest, shard),
            f"model/{base}.bin (TF.js weights manifest)")
    return nets


NODE_DUMP = r"""
const path = require('path'); const d = process.argv[1];
const m = require(path.join(d, 'model.min.js'));
const shards = {};
for (const g of m.weightsManifest) for (const p of g.paths)
  shards[p] = require(path.join(d, p + '.min.js'));
process.stdout.write(JSON.stringify({manifest: m.weightsManifest, shards: shards}));
"""


def nsfwjs_nets(src):
    nets = {}
    for d in sorted(glob.glob(os.path.join(src, "package", "dist", "models", "*"))):
        if not os.path.exists(os.path.join(d, "model.min.js")):
            continue

        def conv(d=d):
            if not shutil.which("node"):
                raise RuntimeError("node not found (comes with npm): nsfwjs models are JS modules")
            p = subprocess.run(["node", "-e", NODE_DUMP, d], capture_output=True, timeout=300)
            if p.returncode != 0:
                raise RuntimeError(f"node could not load {d}: {p.stderr.decode()[-300:]}")
            obj = json.loads(p.stdout)
            return tfjs_decode(obj["manifest"], lambda s: base64.b64decode(obj["shards"][s]))
        nets["nsfwjs-" + os.path.basename(d)] = (
            conv, f"dist/models/{os.path.basename(d)} (TF.js model as JS modules)")
    return nets


# ---------------------------------------------------------------- gnubg.wd

GNUBG_NAMES = ["contact", "race", "crashed", "prune_contact", "prune_crashed", "prune_race"]


def gnubg_tensors(path):
    """gnubg's binary weights (neuralnet.c NeuralNetLoadBinary, eval.c): float32 magic
    472.3782, float32 version, then per net: int32 cInput, cHidden, cOutput, nTrained, float32
    rBetaHidden, rBetaOutput, then float32 arHiddenWeight[cInput*cHidden] (input-major),
    arOutputWeight[cHidden*cOutput], arHiddenThreshold[cHidden], arOutputThreshold[cOutput].
    Nets in eval.c's load order; the file must be consumed exactly."""
    with open(path, "rb") as f:
        b = f.read()
    magic, ver = struct.unpack_from("<2f", b, 0)
    if abs(magic - 472.3782) > 1e-3:
        raise ValueError(f"{path}: magic {magic} is not gnubg's 472.3782")
    off, out, i = 8, [], 0
    while off < len(b):
        ci, ch, co, _ = struct.unpack_from("<4i", b, off)
        if not (0 < ci < 10000 and 0 < ch < 10000 and 0 < co < 100):
            raise ValueError(f"{path}: implausible net header at byte {off}: {ci} {ch} {co}")
        off += 24
        hw = np.frombuffer(b, "<f4", ci * ch, off).reshape(ci, ch)
        off += 4 * ci * ch
        ow = np.frombuffer(b, "<f4", ch * co, off).reshape(ch, co)
        off += 4 * (ch * co + ch + co)
        nm = GNUBG_NAMES[i] if i < len(GNUBG_NAMES) else f"net{i}"
        out += [(f"net{i}_{nm}.hidden_weight", hw.copy()), (f"net{i}_{nm}.output_weight", ow.copy())]
        i += 1
    if off != len(b):
        raise ValueError(f"{path}: layout ends at byte {off}, file has {len(b)}")
    return out, f"version {ver}"


# ---------------------------------------------------------------- Stockfish NNUE

def stockfish_tensors(path):
    """The NNUE net embedded in the Stockfish 15.1 binary (nnue/nnue_architecture.h,
    nnue_feature_transformer.h, layers/affine_transform.h of that release): u32 version
    0x7AF32F20, u32 hash, u32 description length, description; feature transformer: u32 hash,
    int16 biases[1024], int16 weights[22528][1024] (HalfKAv2_hm: 64*11*64/2 features),
    int32 psqt[22528][8]; then 8 layer stacks, each: u32 hash, fc_0 (int32 biases[16], int8
    weights[16][1024]), fc_1 (int32 biases[32], int8 weights[32][32], input 30 padded to 32),
    fc_2 (int32 biases[1], int8 weights[1][32]). Checked: all 8 stack hashes equal."""
    with open(path, "rb") as f:
        b = f.read()
    magic = struct.pack("<I", 0x7AF32F20)
    pos = 0
    while True:
        i = b.find(magic, pos)
        if i < 0:
            raise ValueError(f"{path}: no NNUE header (0x7AF32F20 + description) found")
        dl = struct.unpack_from("<I", b, i + 8)[0]
        if 10 < dl < 1000 and b"trained" in b[i + 12:i + 12 + dl]:
            break
        pos = i + 1
    desc = b[i + 12:i + 12 + dl].decode("ascii", "replace")
    off = i + 12 + dl + 4
    half, nfeat, psqt, stacks = 1024, 64 * 11 * 64 // 2, 8, 8
    off += 2 * half
    ft = np.frombuffer(b, "<i2", nfeat * half, off).reshape(nfeat, half)
    off += 2 * nfeat * half
    ps = np.frombuffer(b, "<i4", nfeat * psqt, off).reshape(nfeat, psqt)
    off += 4 * nfeat * psqt
    out = [("ft.weight", ft.copy()), ("ft.psqt_weight", ps.copy())]
    hashes = set()
    for s in range(stacks):
        hashes.add(struct.unpack_from("<I", b, off)[0])
        off += 4
        for name, nout, nin, pad in (("fc_0", 16, 1024, 1024), ("fc_1", 32, 30, 32),
                                     ("fc_2", 1, 32, 32)):
            off += 4 * nout
            w = np.frombuffer(b, "<i1", nout * pad, off).reshape(nout, pad)
            off += nout * pad
            if np.any(w[:, nin:]):
                raise ValueError(f"{path}: stack {s} {name}: padding columns are not zero")
            out.append((f"stack{s}.{name}.weight", w[:, :nin].copy()))
    if len(hashes) != 1:
        raise ValueError(f"{path}: layer-stack hashes differ ({len(hashes)}): layout mismatch")
    return out, f"net at byte {i} of /usr/games/stockfish, {off - i} bytes; {desc}"


# ---------------------------------------------------------------- driver

def network_table(cache):
    """{net: (source id, thunk -> [(name, array)] or ([...], note), where)}"""
    src = os.path.join(cache, "src")
    table = {}
    d = os.path.join(src, "ocr-models")
    for p in sorted(glob.glob(os.path.join(d, "package", "assets", "*.onnx"))):
        nm = "paddleocr-" + os.path.basename(p)[:-5]
        table[nm] = ("ocr-models", lambda p=p: onnx_tensors(p), "assets/" + os.path.basename(p))
    d = os.path.join(src, "vad-web")
    for p in sorted(glob.glob(os.path.join(d, "package", "dist", "*.onnx"))):
        nm = "vad-" + os.path.basename(p)[:-5]
        table[nm] = ("vad-web", lambda p=p: onnx_tensors(p), "dist/" + os.path.basename(p))
    for nm, (f, where) in faceapi_nets(os.path.join(src, "face-api")).items():
        table[nm] = ("face-api", f, where)
    for nm, (f, where) in nsfwjs_nets(os.path.join(src, "nsfwjs")).items():
        table[nm] = ("nsfwjs", f, where)
    p = os.path.join(src, "gnubg", "usr", "lib", "gnubg", "gnubg.wd")
    if os.path.exists(p):
        table["gnubg"] = ("gnubg", lambda p=p: gnubg_tensors(p), "/usr/lib/gnubg/gnubg.wd")
    p = os.path.join(src, "stockfish", "usr", "games", "stockfish")
    if os.path.exists(p):
        table["stockfish-nn-ad9b42354671"] = ("stockfish", lambda p=p: stockfish_tensors(p),
                                              "/usr/games/stockfish (embedded NNUE)")
    return table


def convert_all(cache, quiet=False):
    nets_dir = os.path.join(cache, "nets")
    os.makedirs(nets_dir, exist_ok=True)
    index_path = os.path.join(nets_dir, "index.json")
    try:
        with open(index_path) as f:
            index = json.load(f)
    except (OSError, ValueError):
        index = {}
    try:
        with open(os.path.join(cache, "sources.json")) as f:
            sources = json.load(f)
    except (OSError, ValueError):
        sources = {}
    errors = {}
    for net, (sid, thunk, where) in network_table(cache).items():
        path = os.path.join(nets_dir, net + ".safetensors")
        e = index.get(net)
        if e and e.get("convert_version") == CONVERT_VERSION and os.path.exists(path):
            continue
        try:
            r = thunk()
        except (RuntimeError, ValueError, OSError, ImportError, subprocess.TimeoutExpired) as ex:
            errors[net] = str(ex)
            if not quiet:
                print(f"convert: {net}: {ex}", file=sys.stderr)
            continue
        tensors, note = r if isinstance(r, tuple) else (r, "")
        s = sources.get(sid, {})
        meta = {"source": sid, "package": s.get("package", ""), "version": s.get("version", ""),
                "licence": s.get("licence", ""), "file": where, "note": note,
                "converted_by": "rmtk tests/realweights/convert.py"}
        write_safetensors(path, tensors, meta)
        index[net] = dict(meta, convert_version=CONVERT_VERSION,
                          file=os.path.basename(path), origin=where,
                          tensors={n: {"shape": list(a.shape), "dtype": ST_DTYPE[a.dtype]}
                                   for n, a in tensors})
        tmp = index_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(index, f, indent=1, sort_keys=True)
        os.replace(tmp, index_path)
    return index, errors


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=os.environ.get("RMTK_REALWEIGHTS_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "rmtk", "realweights"))
    a = ap.parse_args()
    index, errors = convert_all(a.cache)
    for net in sorted(index):
        t = index[net]["tensors"]
        print(f"{net:40s} {len(t):4d} tensors  {index[net]['package']} {index[net]['version']}")
    for net, e in sorted(errors.items()):
        print(f"{net:40s} FAILED: {e}")
    return 0 if index else 1


if __name__ == "__main__":
    sys.exit(main())
