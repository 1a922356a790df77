"""Writes the synthetic data of the nnc train tests into the folder argv[1]:
three classes of 4 features, the class the argmax of a fixed linear map of
the features (so a small network learns it), as .npy and CSV:

  train_x.npy (600, 4) f32, train_y.npy (600,) i32, test_x.npy (200, 4),
  test_y.npy (200,), train.csv and test.csv (columns a, b, c, d, label),
  wide_x.npy (600, 5) f32 (one feature too many for tiny.nn),
  img_x.npy (600, 2, 2) f32 (the same features as 2x2 images).
"""
import os
import sys

import numpy as np

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(7)
M = np.array([[1.0, -1.0, 0.5], [0.5, 1.0, -1.0], [-1.0, 0.5, 1.0],
              [0.2, -0.3, 0.1]])


def make(n):
    x = rng.standard_normal((n, 4)).astype(np.float32)
    return x, (x @ M).argmax(axis=1).astype(np.int32)


for name, n in (("train", 600), ("test", 200)):
    x, y = make(n)
    np.save(os.path.join(out, name + "_x.npy"), x)
    np.save(os.path.join(out, name + "_y.npy"), y)
    with open(os.path.join(out, name + ".csv"), "w") as f:
        f.write("a,b,c,d,label\n")
        for row, label in zip(x, y):
            f.write(",".join(repr(float(v)) for v in row) + ",%d\n" % label)
    if name == "train":
        np.save(os.path.join(out, "wide_x.npy"),
                np.concatenate([x, x[:, :1]], axis=1))
        np.save(os.path.join(out, "img_x.npy"), x.reshape(-1, 2, 2))
