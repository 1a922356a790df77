"""What bench/fashion_torch.py and bench/fashion_cnn_torch.py share.

The Fashion-MNIST files, one PyTorch epoch (Adam, lr 1e-3, torch.optim's
defaults, batch 64, shuffled), one epoch of `nnc train` on an example, and
the rounds that alternate the two (torch, nnc, torch, nnc, ...) so that
both see the same machine, with the median of each side's epoch time and
the ratio nnc / PyTorch (lower is better). Both sides time the loop alone:
nnc's figure is the epoch time nnc train prints (no compilation, no
evaluation), PyTorch's has its data already in tensors and gathers each
batch by index as nnc does. One thread each (torch.set_num_threads(1);
nnc train --threads 1), subnormal floats flushed to zero on both sides
(torch.set_flush_denormal(True); nnc train always flushes them,
docs/training.md).
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
TRAIN_IMAGES = 60000


def read_idx(name):
    raw = gzip.open(os.path.join(DATA, name)).read()
    if raw[2] != 8:
        sys.exit(name + ": not u8 IDX")
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(raw[4 + 4 * rank:], np.uint8).reshape(dims)


def load(shape, limit):
    """The first `limit` training images and all test images, each of
    `shape`, scaled to [0, 1] as nnc train scales them; labels as int64."""
    xs = read_idx("train-images-idx3-ubyte.gz")[:limit].reshape((-1,) + shape)
    ys = read_idx("train-labels-idx1-ubyte.gz")[:limit]
    xt = read_idx("t10k-images-idx3-ubyte.gz").reshape((-1,) + shape)
    yt = read_idx("t10k-labels-idx1-ubyte.gz")
    f = lambda a: torch.tensor(a / 255.0, dtype=torch.float32)
    i = lambda a: torch.tensor(a.astype(np.int64))
    return f(xs), i(ys), f(xt), i(yt)


def torch_epoch(build_net, data, seed):
    """Seconds of one training epoch of the network build_net() makes, and
    its test accuracy after it (in eval mode, 1000 images at a time)."""
    xs, ys, xt, yt = data
    torch.manual_seed(seed)
    net = build_net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
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


def nnc_epoch(nnc, example, seed, limit):
    """The epoch time and test accuracy `nnc train` prints for one epoch of
    examples/<example>."""
    cmd = [nnc, "train", os.path.join(ROOT, "examples", example),
           "--data", "fashion-mnist", "--epochs", "1", "--threads", "1",
           "--seed", str(seed)]
    if limit < TRAIN_IMAGES:
        cmd += ["--limit", str(limit)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r"^epoch 1/1: .*test accuracy ([0-9.]+) \(([0-9.]+) s,",
                  out, re.M)
    if not m:
        sys.exit("unexpected nnc train output:\n" + out)
    return float(m.group(2)), float(m.group(1))


def main(build_net, example, shape, rounds):
    """The command line of both scripts: alternated rounds of PyTorch
    training build_net()'s network and nnc training examples/<example>, on
    images of `shape`, then the medians."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=os.path.join(ROOT, "build", "bin", "nnc"))
    ap.add_argument("--rounds", type=int, default=rounds)
    ap.add_argument("--limit", type=int, default=TRAIN_IMAGES,
                    help="train on the first N images only")
    ap.add_argument("--torch-only", action="store_true")
    args = ap.parse_args()
    torch.set_num_threads(1)
    torch.set_flush_denormal(True)
    data = load(shape, args.limit)
    times = {"torch": [], "nnc": []}
    for r in range(args.rounds):
        t, a = torch_epoch(build_net, data, r)
        times["torch"].append(t)
        line = "round %d: torch %.3f s (test accuracy %.4f)" % (r + 1, t, a)
        if not args.torch_only:
            t, a = nnc_epoch(args.nnc, example, r, args.limit)
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
