#!/usr/bin/env python3
"""One epoch of Fashion-MNIST training of the CNN: PyTorch against `nnc train`.

The sibling of fashion_torch.py for examples/fashion_cnn.nn: conv 1->32
3x3 pad 1 (no bias), BatchNorm2d, ReLU, 2x2 max pool, conv 32->64 3x3 pad 1
(no bias), BatchNorm2d, ReLU, 2x2 max pool, affine 3136->128, ReLU, dropout
0.25, affine 128->10, cross-entropy; Adam (lr 1e-3,
torch.optim's defaults), batch 64, shuffled, one thread each
(torch.set_num_threads(1); nnc train --threads 1), subnormals flushed on
both sides. The runs alternate and the figure is the median over rounds of
each side's epoch time (the loop alone on both sides), with the ratio
nnc / PyTorch (lower is better) and each side's test accuracy.

  bench/fashion_cnn_torch.py [--nnc build/bin/nnc] [--rounds 3] [--limit N]

A benchmark, not a test: docs/performance.md and docs/training.md record
its output.
"""
import argparse
import gzip
import os
import re
import statistics
import subprocess
import sys
import time

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = "/usr/share/datasets/fashion-mnist"


def read_idx(name):
    raw = gzip.open(os.path.join(DATA, name)).read()
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw[4 + 4 * rank:], np.uint8).reshape(dims)


def load(limit):
    xs = read_idx("train-images-idx3-ubyte.gz")[:limit].reshape(-1, 1, 28, 28)
    ys = read_idx("train-labels-idx1-ubyte.gz")[:limit]
    xt = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 1, 28, 28)
    yt = read_idx("t10k-labels-idx1-ubyte.gz")
    f = lambda a: torch.tensor(a / 255.0, dtype=torch.float32)
    i = lambda a: torch.tensor(a.astype(np.int64))
    return f(xs), i(ys), f(xt), i(yt)


def torch_epoch(data, seed):
    xs, ys, xt, yt = data
    torch.manual_seed(seed)
    nn = torch.nn
    net = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
        nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
        nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    order = torch.randperm(len(xs))
    net.train()
    start = time.perf_counter()
    for b in range(0, len(xs), 64):
        idx = order[b:b + 64]
        opt.zero_grad()
        loss = loss_fn(net(xs[idx]), ys[idx])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    net.eval()
    with torch.no_grad():
        acc = sum((net(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item()
                  for i in range(0, len(xt), 1000)) / len(xt)
    return seconds, acc


def nnc_epoch(nnc, seed, limit):
    cmd = [nnc, "train", os.path.join(ROOT, "examples", "fashion_cnn.nn"),
           "--data", "fashion-mnist", "--epochs", "1", "--threads", "1",
           "--seed", str(seed)]
    if limit < 60000:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"^epoch 1/1: .*test accuracy ([0-9.]+) \(([0-9.]+) s,",
                  out, re.M)
    if not m:
        sys.exit("unexpected nnc train output:\n" + out)
    return float(m.group(2)), float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--limit", type=int, default=60000)
    ap.add_argument("--torch-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    data = load(args.limit)
    times = {"torch": [], "nnc": []}
    for r in range(args.rounds):
        t, a = torch_epoch(data, r)
        times["torch"].append(t)
        line = "round %d: torch %.3f s (test accuracy %.4f)" % (r + 1, t, a)
        if not args.torch_only:
            t, a = nnc_epoch(args.nnc, r, args.limit)
            times["nnc"].append(t)
            line += ", nnc %.3f s (test accuracy %.4f)" % (t, a)
        print(line, flush=True)
    tt = statistics.median(times["torch"])
    print("median epoch: torch %.3f s" % tt, end="")
    if times["nnc"]:
        tn = statistics.median(times["nnc"])
        ratios = [n / t for n, t in zip(times["nnc"], times["torch"])]
        print(", nnc %.3f s; nnc/torch %.3f (median of rounds %.3f)"
              % (tn, tn / tt, statistics.median(ratios)))
    else:
        print()


main()
