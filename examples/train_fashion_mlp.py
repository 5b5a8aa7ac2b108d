#!/usr/bin/env python3
"""Train the bundled example network of rmtk and write it as safetensors.

A fully connected ReLU network 784 -> 1000 -> 1000 -> 10 on Fashion-MNIST (Debian package
dataset-fashion-mnist), trained with SGD + momentum on 2 CPU threads, deterministic for a seed.
Its 1000x784 and 1000x1000 weight matrices are large enough for spectral statistics.

    /usr/bin/python3 examples/train_fashion_mlp.py [--epochs 6] [--seed 0] [--out FILE]

Writes examples/fashion_mlp.safetensors (float32, about 7.2 MB) with the test accuracy and the
training settings in its __metadata__. The safetensors file is written by the few lines of
write_safetensors below (the safetensors package is not in Debian).
"""
import argparse
import gzip
import json
import os
import struct
import time

import numpy as np
import torch

DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    with gzip.open(os.path.join(DATA, name), "rb") as f:
        raw = f.read()
    magic, n = struct.unpack(">II", raw[:8])
    if magic == 2051:
        rows, cols = struct.unpack(">II", raw[8:16])
        return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols)
    return np.frombuffer(raw, np.uint8, offset=8)


def write_safetensors(path, tensors, metadata):
    """safetensors: u64 little-endian header size, JSON header, then the raw tensor bytes."""
    header, blobs, offset = {"__metadata__": metadata}, [], 0
    for name, t in tensors.items():
        data = t.detach().cpu().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--epochs", type=int, default=6)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--lr", type=float, default=0.05)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "fashion_mlp.safetensors"))
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    torch.set_num_threads(2)

    mean, std = 72.94, 90.02  # pixel statistics of the training set
    xtr = torch.tensor((read_idx("train-images-idx3-ubyte.gz") - mean) / std, dtype=torch.float32)
    ytr = torch.tensor(read_idx("train-labels-idx1-ubyte.gz"), dtype=torch.long)
    xte = torch.tensor((read_idx("t10k-images-idx3-ubyte.gz") - mean) / std, dtype=torch.float32)
    yte = torch.tensor(read_idx("t10k-labels-idx1-ubyte.gz"), dtype=torch.long)

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 1000), torch.nn.ReLU(),
        torch.nn.Linear(1000, 10))
    opt = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=args.epochs)
    loss_fn = torch.nn.CrossEntropyLoss()
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(xtr), args.batch):
            idx = perm[i:i + args.batch]
            opt.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        sched.step()
        model.eval()
        with torch.no_grad():
            acc = (model(xte).argmax(1) == yte).float().mean().item()
        print(f"epoch {epoch + 1}/{args.epochs}: train loss {total / len(xtr):.4f}, "
              f"test accuracy {acc:.4f} ({time.time() - t0:.0f} s)", flush=True)

    names = ["fc1", "fc2", "fc3"]
    linears = [m for m in model if isinstance(m, torch.nn.Linear)]
    tensors = {}
    for n, m in zip(names, linears):
        tensors[n + ".weight"] = m.weight
        tensors[n + ".bias"] = m.bias
    write_safetensors(args.out, tensors, {
        "model": "fashion_mlp 784-1000-1000-10 ReLU",
        "dataset": "Fashion-MNIST (Debian dataset-fashion-mnist)",
        "test_accuracy": f"{acc:.4f}",
        "epochs": str(args.epochs), "seed": str(args.seed), "lr": str(args.lr),
        "batch": str(args.batch), "optimizer": "SGD momentum 0.9, cosine schedule",
        "written_by": "examples/train_fashion_mlp.py"})
    print(f"test accuracy {acc:.4f}; wrote {args.out}")


if __name__ == "__main__":
    main()
