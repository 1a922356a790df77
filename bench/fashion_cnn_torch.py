#!/usr/bin/env python3
"""One epoch of Fashion-MNIST training of the CNN: PyTorch against `nnc train`.

The sibling of fashion_torch.py for examples/fashion_cnn.nn: conv 1->32
3x3 pad 1 (no bias), BatchNorm2d, ReLU, 2x2 max pool, conv 32->64 3x3 pad 1
(no bias), BatchNorm2d, ReLU, 2x2 max pool, affine 3136->128, ReLU, dropout
0.25, affine 128->10, cross-entropy; Adam, batch 64, as fashion_common.py
times and compares them (alternated rounds, one thread, subnormals
flushed, medians, each side's test accuracy).

  bench/fashion_cnn_torch.py [--nnc build/bin/nnc] [--rounds 3] [--limit N]
                             [--torch-only]

A benchmark, not a test: docs/performance.md and docs/training.md record
its output.
"""
import torch

import fashion_common


def cnn():
    nn = torch.nn
    return nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1, bias=False), nn.BatchNorm2d(32),
        nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, bias=False), nn.BatchNorm2d(64),
        nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 7 * 7, 128), nn.ReLU(), nn.Dropout(0.25),
        nn.Linear(128, 10))


fashion_common.main(cnn, "fashion_cnn.nn", (1, 28, 28), rounds=3)
