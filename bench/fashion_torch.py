#!/usr/bin/env python3
"""One epoch of Fashion-MNIST training: PyTorch against `nnc train`.

Both train the MLP of examples/fashion_mlp.nn (784-256-128-100-10, ReLU,
cross-entropy) with Adam (lr 1e-3, torch.optim's defaults), batch 64,
shuffled, on the 60000 training images, one thread each
(torch.set_num_threads(1); nnc train --threads 1), subnormal floats
flushed to zero on both sides (torch.set_flush_denormal(True); nnc train
always flushes them, docs/training.md: without it Adam's moments of border
pixels slow every step down). The runs alternate
(torch, nnc, torch, nnc, ...) so that both see the same machine, and the
figure is the median over rounds of each side's epoch time; the ratio is
nnc / PyTorch (lower is better). nnc's time is the epoch time nnc train
prints (the loop alone: no compilation, no evaluation), PyTorch's the loop
alone too (data already in tensors, batches gathered by index as nnc does).
Each side also reports its test accuracy after the epoch.

  bench/fashion_torch.py [--nnc build/bin/nnc] [--rounds 5] [--torch-only]

A benchmark, not a test: docs/training.md records its output.
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
    if raw[2] != 8:
        sys.exit(name + ": not u8 IDX")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw[4 + 4 * rank:], np.uint8).reshape(dims)


def load():
    xs = read_idx("train-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    ys = read_idx("train-labels-idx1-ubyte.gz")
    xt = read_idx("t10k-images-idx3-ubyte.gz").reshape(-1, 784) / 255.0
    yt = read_idx("t10k-labels-idx1-ubyte.gz")
    f = lambda a: torch.tensor(a, dtype=torch.float32)
    i = lambda a: torch.tensor(a.astype(np.int64))
    return f(xs), i(ys), f(xt), i(yt)


def torch_epoch(data, seed):
    xs, ys, xt, yt = data
    torch.manual_seed(seed)
    net = torch.nn.Sequential(
        torch.nn.Linear(784, 256), torch.nn.ReLU(),
        torch.nn.Linear(256, 128), torch.nn.ReLU(),
        torch.nn.Linear(128, 100), torch.nn.ReLU(),
        torch.nn.Linear(100, 10))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    order = torch.randperm(len(xs))
    start = time.perf_counter()
    for b in range(0, len(xs), 64):
        idx = order[b:b + 64]
        opt.zero_grad()
        loss = loss_fn(net(xs[idx]), ys[idx])
        loss.backward()
        opt.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        acc = (net(xt).argmax(1) == yt).float().mean().item()
    return seconds, acc


def nnc_epoch(nnc, seed):
    out = subprocess.run(
        [nnc, "train", os.path.join(ROOT, "examples", "fashion_mlp.nn"),
         "--data", "fashion-mnist", "--epochs", "1", "--threads", "1",
         "--seed", str(seed)],
        check=True, capture_output=True, text=True).stdout
    m = re.search(r"^epoch 1/1: .*test accuracy ([0-9.]+) \(([0-9.]+) s,",
                  out, re.M)
    if not m:
        sys.exit("unexpected nnc train output:\n" + out)
    return float(m.group(2)), float(m.group(1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--torch-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    data = load()
    times = {"torch": [], "nnc": []}
    for r in range(args.rounds):
        t, a = torch_epoch(data, r)
        times["torch"].append(t)
        line = "round %d: torch %.3f s (test accuracy %.4f)" % (r + 1, t, a)
        if not args.torch_only:
            t, a = nnc_epoch(args.nnc, r)
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
