"""Compares the parameters of two safetensors checkpoints, with nothing
but struct, json and numpy:

  compare_params.py A B [--tol T] [--nan]

Both files must hold the same tensors (names, dtypes, shapes), every value
finite, and for every tensor max|a - b| <= T * max|b| (T: 1e-5): the
relative error of the tensor, measured against its largest value, so that
a weight near zero does not make it meaningless. Prints each tensor's
error, then PASS, or FAIL and exits 1. --nan puts a NaN into A's first
tensor first, to show that the check fails on one.
"""
import json
import struct
import sys

import numpy as np


def read(path):
    raw = open(path, "rb").read()
    n = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    dt = {"F32": "<f4", "F64": "<f8"}
    out = {}
    for name, t in header.items():
        begin, end = t["data_offsets"]
        out[name] = np.frombuffer(raw[8 + n + begin:8 + n + end],
                                  dt[t["dtype"]]).reshape(t["shape"]).copy()
    return out


args = [a for a in sys.argv[1:] if not a.startswith("--")]
tol = 1e-5
if "--tol" in sys.argv:
    tol = float(sys.argv[sys.argv.index("--tol") + 1])
    args.remove(sys.argv[sys.argv.index("--tol") + 1])
a, b = read(args[0]), read(args[1])
if "--nan" in sys.argv:
    first = sorted(a)[0]
    a[first].flat[0] = np.nan

ok = True
if sorted(a) != sorted(b):
    print("tensors differ: %s vs %s" % (sorted(a), sorted(b)))
    ok = False
for name in sorted(set(a) & set(b)):
    x, y = a[name], b[name]
    if x.dtype != y.dtype or x.shape != y.shape:
        print("%s: %s%s vs %s%s" % (name, x.dtype, x.shape, y.dtype, y.shape))
        ok = False
        continue
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        print("%s: not finite" % name)
        ok = False
        continue
    scale = np.abs(y.astype(np.float64)).max()
    err = np.abs(x.astype(np.float64) - y).max() / max(scale, 1e-30)
    # NaN-safe: a comparison with NaN is false, so `not (err <= tol)`.
    good = bool(err <= tol)
    print("%s: relative error %.1e%s" % (name, err, "" if good else " > %g" % tol))
    ok &= good
print("PASS" if ok else "FAIL")
sys.exit(0 if ok else 1)
