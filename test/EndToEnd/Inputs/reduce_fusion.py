"""Reductions with their element-wise operand fused (reduce_fusion.nn)
against the same ops with the operand kept in memory: the same bits, f32
values with NaN and infinities among them, and i32. Prints one line per
function and exits 1 on a mismatch.

  reduce_fusion.py NN_FILE [--corrupt]   --corrupt adds 1 to one input
  of the fused call only, to show the comparison fails."""
import sys

import numpy as np

import nnc

m = nnc.load(sys.argv[1])
corrupt = "--corrupt" in sys.argv
rng = np.random.default_rng(3)
a = (rng.standard_normal((5, 7, 9)) * 1e3).astype(np.float32)
b = (rng.standard_normal((5, 7, 9)) * 1e-2).astype(np.float32)
a[1, 2, 3], a[4, 6, 8], b[0, 0, 0] = np.nan, np.inf, -np.inf
i = rng.integers(-1000, 1000, (6, 4)).astype(np.int32)
j = rng.integers(-1000, 1000, (6, 4)).astype(np.int32)
failed = False
for name, args in (("st", (a, b)), ("rs", (a, b)), ("mx", (a, b)),
                   ("ints", (i, j))):
    fused_args = args
    if corrupt and name == "st":
        c = args[0].copy()
        c[2, 3, 4] += 1
        fused_args = (c, args[1])
    got = np.asarray(getattr(m, name)(*fused_args))
    want = np.asarray(getattr(m, name + "_mem")(*args)[0])
    ok = got.shape == want.shape and np.array_equal(
        got.view(np.uint32 if got.dtype == np.float32 else got.dtype),
        want.view(np.uint32 if want.dtype == np.float32 else want.dtype))
    failed |= not ok
    print("%-5s %-8s %s" % (name, str(got.shape), "ok" if ok else "MISMATCH"))
sys.exit(1 if failed else 0)
