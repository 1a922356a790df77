"""Writes .npy files with NumPy into OUTDIR and, for each good pair, the
text `nnc-data-tool npy` must print for it (NAME.expected), computed here
from the arrays themselves.

Usage: make_npy.py OUTDIR
"""
import sys

import numpy as np

out = sys.argv[1]
rng = np.random.default_rng(7)


def save(name, a, version=None):
    path = "%s/%s.npy" % (out, name)
    if version is None:
        np.save(path, a)
    else:
        with open(path, "wb") as f:
            np.lib.format.write_array(f, a, version=version)


def expect(name, x, y):
    """What the reader must give: f32 features (u8 divided by 255)."""
    xf = x.astype(np.float32) / np.float32(255) if x.dtype == np.uint8 \
        else x.astype(np.float32)
    lines = ["count %d" % x.shape[0],
             "sample [%s]" % ", ".join(str(d) for d in x.shape[1:]),
             "classes %d" % (int(y.max()) + 1),
             "X" + "".join(" %.9g" % v for v in xf.ravel().tolist()),
             "Y" + "".join(" %d" % v for v in y.ravel().tolist())]
    open("%s/%s.expected" % (out, name), "w").write("\n".join(lines) + "\n")


# Version 1 (NumPy's default), f32 features, i64 labels.
x = rng.standard_normal((5, 2, 3)).astype(np.float32)
y = rng.integers(0, 4, size=5).astype(np.int64)
save("f32_x", x)
save("f32_y", y)
expect("f32", x, y)
# Version 2: f64 features, i32 labels of shape (N, 1).
x = rng.standard_normal((4, 3))
y = rng.integers(0, 10, size=(4, 1)).astype(np.int32)
save("f64_x", x, (2, 0))
save("f64_y", y, (2, 0))
expect("f64", x, y)
# Version 3: u8 images, u8 labels.
x = rng.integers(0, 256, size=(3, 2, 2)).astype(np.uint8)
y = np.array([2, 0, 1], dtype=np.uint8)
save("u8_x", x, (3, 0))
save("u8_y", y, (3, 0))
expect("u8", x, y)
# Malformed: Fortran order, big-endian, float labels, too few labels, a
# truncated file, an unsupported element type.
save("fortran", np.asfortranarray(rng.standard_normal((3, 2)).astype(np.float32)))
save("bigendian", np.arange(6, dtype=">f4").reshape(3, 2))
save("floatlabels", np.array([0.0, 1.0, 2.0], dtype=np.float32))
save("twolabels", np.array([0, 1], dtype=np.int64))
save("threelabels", np.array([0, 1, 2], dtype=np.int64))
save("ok_x", np.ones((3, 2), dtype=np.float32))
raw = open(out + "/ok_x.npy", "rb").read()
open(out + "/truncated.npy", "wb").write(raw[:-5])
save("half", np.ones(3, dtype=np.float16))
