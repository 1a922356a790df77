"""sum_to, compiled by nnc, against NumPy references that add in the order
docs/abi.md states: the summed axes as `sum(x, axis=[...])` takes them
(adjacent summed axes other than the last merged, the outermost first, the
last axis last), each step in index order. In f32 the results must match
that order's reference bit for bit, and equal `sum(x, axis=..., keepdims=
true)` bit for bit, by default and with --fp-model=strict; in f64 they are
checked against NumPy's sum. Shapes: batch_norm's [N, C, H, W] to
[1, C, 1, 1], a batch of 1, odd extents, size-1 axes, leading axes only,
the last axis only, everything to a scalar. Prints one line per case and
exits 1 on any mismatch (a NaN counts as one).

  sum_to_order.py OUT_DIR [--index-order]   --index-order checks against
  one in-order sum per output element instead, to show the check tells
  the orders apart."""
import os
import sys

import numpy as np

import nnc

out_dir = sys.argv[1]
index_order = "--index-order" in sys.argv

# (input shape, output shape)
CASES = [
    ((64, 7, 9, 11), (1, 7, 1, 1)),
    ((1, 5, 6, 7), (1, 5, 1, 1)),
    ((3, 4, 5), (4, 1)),
    ((5, 1, 3, 6), (1, 3, 1)),
    ((9, 13), (13,)),
    ((9, 13), (9, 1)),
    ((4, 3, 5), ()),
    ((2, 3, 4, 5, 6), (1, 3, 1, 5, 1)),
]


def summed_axes(a, b):
    lead = len(a) - len(b)
    return [i for i in range(len(a))
            if a[i] != 1 and (i < lead or b[i - lead] == 1)]


def chain_reference(x, axes):
    """The documented order, one step at a time, each step in index order."""
    shape = list(x.shape)
    # Size-1 axes add nothing; drop them (keeping the summed list's axes).
    keep = [i for i in range(len(shape)) if shape[i] != 1]
    x = x.reshape([shape[i] for i in keep])
    axes = [keep.index(i) for i in axes]
    last = x.ndim - 1
    merged, runs, i = [], [], 0
    while i < x.ndim:
        if i not in axes or i == last:
            merged.append(x.shape[i])
            i += 1
            continue
        d = x.shape[i]
        i += 1
        while i < last and i in axes:
            d *= x.shape[i]
            i += 1
        runs.append(len(merged))
        merged.append(d)
    x = x.reshape(merged)
    order = [r - k for k, r in enumerate(runs)]
    if x.ndim and last in axes:
        order.append(None)
    for a in order:
        a = x.ndim - 1 if a is None else a
        acc = np.zeros(x.shape[:a] + x.shape[a + 1:], x.dtype)
        for j in range(x.shape[a]):
            acc = acc + np.take(x, j, axis=a)
        x = acc
    return x


def index_reference(x, axes, out_shape):
    """One in-order chain per output element (the lowering before)."""
    moved = np.moveaxis(x, axes, range(x.ndim - len(axes), x.ndim)) \
        if axes else x
    flat = moved.reshape(moved.shape[:x.ndim - len(axes)] + (-1,))
    acc = np.zeros(flat.shape[:-1], x.dtype)
    for j in range(flat.shape[-1]):
        acc = acc + flat[..., j]
    return acc.reshape(out_shape)


lines = []
for i, (a, b) in enumerate(CASES):
    axes = summed_axes(a, b)
    for t in ("f32", "f64"):
        x = "%s[%s]" % (t, ", ".join(map(str, a)))
        lines.append("fn st%d_%s(x: %s) = sum_to(x, [%s]);"
                     % (i, t, x, ", ".join(map(str, b))))
        if axes:
            lines.append("fn sa%d_%s(x: %s) = reshape(sum(x, axis=[%s]), "
                         "[%s]);" % (i, t, x, ", ".join(map(str, axes)),
                                     ", ".join(map(str, b))))
path = os.path.join(out_dir, "sum_to_order.nn")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
mods = {"contract": nnc.load(path),
        "strict": nnc.load(path, fp_model="strict")}

rng = np.random.default_rng(5)
failed = False
for i, (a, b) in enumerate(CASES):
    axes = summed_axes(a, b)
    # Values of mixed magnitude, so that the order of the adds shows in f32.
    x = (rng.standard_normal(a) * 10.0 ** rng.integers(-3, 4, a))
    x32 = x.astype(np.float32)
    if index_order:
        want = index_reference(x32, axes, b)
    else:
        want = chain_reference(x32, axes).reshape(b)
    for fp, m in mods.items():
        got = np.asarray(getattr(m, "st%d_f32" % i)(x32))
        ok = got.shape == tuple(b) and np.array_equal(got, want)
        if axes:
            ok &= np.array_equal(got, getattr(m, "sa%d_f32" % i)(x32))
        g64 = np.asarray(getattr(m, "st%d_f64" % i)(x))
        r64 = x.sum(axis=tuple(axes), keepdims=True).reshape(b) if axes \
            else x.reshape(b)
        err = np.max(np.abs(g64 - r64) / (1 + np.abs(r64)))
        ok &= bool(err <= 1e-12)
        failed |= not ok
        print("%-4s %-8s %-16s %-14s %s" % ("st%d" % i, fp, str(a), str(b),
                                           "ok" if ok else "FAIL"))
sys.exit(1 if failed else 0)
