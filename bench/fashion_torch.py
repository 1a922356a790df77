#!/usr/bin/env python3
"""One epoch of Fashion-MNIST training: PyTorch against `nnc train`.

Both train the MLP of examples/fashion_mlp.nn (784-256-128-100-10, ReLU,
cross-entropy) with Adam on the 60000 training images; fashion_common.py
says how the two are timed and compared (alternated rounds, one thread,
subnormals flushed, medians), and each side also reports its test accuracy
after the epoch.

  bench/fashion_torch.py [--nnc build/bin/nnc] [--rounds 5] [--limit N]
                         [--torch-only]

A benchmark, not a test: docs/training.md records its output.
"""
import torch

import fashion_common


def mlp():
    nn = torch.nn
    return nn.Sequential(
        nn.Linear(784, 256), nn.ReLU(),
        nn.Linear(256, 128), nn.ReLU(),
        nn.Linear(128, 100), nn.ReLU(),
        nn.Linear(100, 10))


fashion_common.main(mlp, "fashion_mlp.nn", (784,), rounds=5)
