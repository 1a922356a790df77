#!/usr/bin/env python3
"""One convolution layer, forward and backward: nnc against PyTorch.

For each layer of examples/fashion_cnn.nn (batch 64, 3x3, padding 1:
1 -> 32 channels on 28x28, 32 -> 64 on 14x14, f32) both compute
y = conv2d(x, w), dx = conv2d_grad_input(dy, w) and dw =
conv2d_grad_weight(x, dy): nnc as one compiled function called through
the Python package (docs/python.md), PyTorch as F.conv2d and
y.backward(dy) with x and w requiring gradients, one thread each
(torch.set_num_threads(1); nnc's default, --threads 1). The sides
alternate in rounds; the figure is each side's median time per call
over rounds (each round the best of several calls), and the ratio is
nnc / PyTorch (lower is better).

  bench/conv_layer.py [--nnc build/bin/nnc] [--rounds 7] [--threads 1]

A benchmark, not a test: docs/performance.md records its output.
"""
import argparse
import os
import statistics
import tempfile
import time

import numpy as np
import torch

import nnc

LAYERS = [(64, 1, 28, 28, 32), (64, 32, 14, 14, 64)]  # B, C, H, W, K


def source(B, C, H, W, K):
    x, w, y = ("f32[%d, %d, %d, %d]" % s for s in
               ((B, C, H, W), (K, C, 3, 3), (B, K, H, W)))
    return ("fn conv_layer(x: %s, w: %s, dy: %s) = (conv2d(x, w, padding=1), "
            "conv2d_grad_input(dy, w, [%d, %d, %d, %d], padding=1), "
            "conv2d_grad_weight(x, dy, [%d, %d, 3, 3], padding=1));\n"
            % (x, w, y, B, C, H, W, K, C))


def best_of(f, calls):
    best = float("inf")
    for _ in range(calls):
        t = time.perf_counter()
        f()
        best = min(best, time.perf_counter() - t)
    return best


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--nnc", default=None)
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--calls", type=int, default=10)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    rng = np.random.default_rng(0)
    for B, C, H, W, K in LAYERS:
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "layer.nn")
            with open(path, "w") as f:
                f.write(source(B, C, H, W, K))
            m = nnc.load(path, nnc=a.nnc, threads=a.threads)
        x = rng.standard_normal((B, C, H, W)).astype(np.float32)
        w = rng.standard_normal((K, C, 3, 3)).astype(np.float32)
        dy = rng.standard_normal((B, K, H, W)).astype(np.float32)
        tx, tw, tdy = (torch.tensor(v) for v in (x, w, dy))
        tx.requires_grad_(True)
        tw.requires_grad_(True)

        def run_torch():
            tx.grad = tw.grad = None
            y = torch.nn.functional.conv2d(tx, tw, padding=1)
            y.backward(tdy)
            return y, tx.grad, tw.grad

        # The same values, so both compute the same thing.
        y, dx, dw = m.conv_layer(x, w, dy)
        ty, tdx, tdw = run_torch()
        for got, want in ((y, ty), (dx, tdx), (dw, tdw)):
            want = want.detach().numpy()
            err = np.max(np.abs(got - want)) / np.max(np.abs(want))
            assert err < 1e-4, err
        tn, tt = [], []
        for _ in range(a.rounds):
            tn.append(best_of(lambda: m.conv_layer(x, w, dy), a.calls))
            tt.append(best_of(run_torch, a.calls))
        n, t = statistics.median(tn), statistics.median(tt)
        print("B=%d %d->%d %dx%d: nnc %.2f ms, PyTorch %.2f ms, ratio %.2f"
              % (B, C, K, H, W, n * 1e3, t * 1e3, n / t))


if __name__ == "__main__":
    main()
