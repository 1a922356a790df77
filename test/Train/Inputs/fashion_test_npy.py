"""Writes Fashion-MNIST's test set as NumPy files for the cross-check:
X.npy (10000, 784) f32 in [0, 1] and Y.npy (10000,) i32, read from Debian's
gzip'd IDX files with gzip and numpy alone.

  fashion_test_npy.py OUT_DIR
"""
import gzip
import os
import sys

import numpy as np

src = "/usr/share/datasets/fashion-mnist"
out = sys.argv[1]
images = gzip.open(os.path.join(src, "t10k-images-idx3-ubyte.gz")).read()
labels = gzip.open(os.path.join(src, "t10k-labels-idx1-ubyte.gz")).read()
x = np.frombuffer(images[16:], np.uint8).reshape(-1, 784)
np.save(os.path.join(out, "X.npy"), (x / np.float32(255)).astype(np.float32))
np.save(os.path.join(out, "Y.npy"), np.frombuffer(labels[8:], np.uint8).astype(np.int32))
