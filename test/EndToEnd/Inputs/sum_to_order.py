"""sum_to, compiled by nnc, against NumPy references that add in the order
docs/abi.md states: axes of extent 1 (known when compiling) dropped, then
the summed axes as `sum(x, axis=[...])` takes them (adjacent summed axes
other than the last merged, the outermost first, the last axis last), each
step in index order from 0 (a sum of one element is 0 + x, -0.0 becomes
+0.0). In f32 the results must match that order's reference bit for bit,
and equal bit for bit `sum(x, axis=...)` both over the summed axes of
extent above 1 (`sa`) and over every axis sum_to sums, those of extent 1
too (`sb`), by default and with --fp-model=strict; in f64 they are checked
against NumPy's sum. Shapes: batch_norm's [N, C, H, W] to [1, C, 1, 1], a
batch of 1, odd extents, leading axes only, the last axis only,
everything to a scalar; and axes of extent 1 leading, in the middle,
trailing, everywhere, and next to dimension variables bound to 1 or more
when called. Prints one line per case and exits 1 on any mismatch (a NaN
counts as one).

  sum_to_order.py OUT_DIR [--index-order]   --index-order checks against
  one in-order sum per output element instead, to show the check tells
  the orders apart."""
import os
import sys

import numpy as np

import nnc

out_dir = sys.argv[1]
index_order = "--index-order" in sys.argv

# (input shape, output shape[, the input's shape when called]): a name in
# a shape is a dimension variable, bound by the call.
CASES = [
    ((64, 7, 9, 11), (1, 7, 1, 1)),
    ((1, 5, 6, 7), (1, 5, 1, 1)),
    ((3, 4, 5), (4, 1)),
    ((5, 1, 3, 6), (1, 3, 1)),
    ((9, 13), (13,)),
    ((9, 13), (9, 1)),
    ((4, 3, 5), ()),
    ((2, 3, 4, 5, 6), (1, 3, 1, 5, 1)),
    # Axes of extent 1: leading, in the middle (between two summed axes:
    # `sum` over the summed axes alone must still merge across it),
    # trailing (the last axis of extent above 1 is the last axis), several,
    # everywhere.
    ((1, 5, 6, 7), (1, 1, 1, 7)),
    ((1, 1, 6, 7), (1, 1, 1, 1)),
    ((5, 1, 3, 6), (1, 1, 1, 6)),
    ((4, 1, 5, 1, 3, 7), (1, 1, 1, 1, 1, 7)),
    ((7, 9, 1), (1, 1, 1)),
    ((6, 4, 5, 1), (6, 1, 1, 1)),
    ((1, 1, 1), ()),
    ((1, 1), (1,)),
    # Dimension variables: each may be 1 when called, which the order,
    # fixed when compiling, does not know.
    (("n", 1, 3, "m"), (1, 1, 1, "m"), (5, 1, 3, 6)),
    (("n", 1, 3, "m"), (1, 1, 1, "m"), (1, 1, 3, 6)),
    (("n", 4, 1), (1, 1, 1), (3, 4, 1)),
    (("n", 4, 1), (1, 1, 1), (1, 4, 1)),
    ((2, "k", 1, 5), (1, "k", 1, 1), (2, 1, 1, 5)),
]


def static_one(d):
    return d == 1 and not isinstance(d, str)


def summed_axes(a, b, ones=False):
    """The axes sum_to sums; with `ones`, those of extent 1 too."""
    lead = len(a) - len(b)
    return [i for i in range(len(a))
            if (ones or not static_one(a[i]))
            and (i < lead or static_one(b[i - lead]))]


def chain_reference(x, axes, decl):
    """The documented order, one step at a time, each step in index order
    from 0."""
    shape = list(x.shape)
    # Axes of extent 1 known when compiling add nothing; drop them (keeping
    # the summed list's axes). A variable bound to 1 stays.
    keep = [i for i in range(len(shape)) if not static_one(decl[i])]
    x = x.reshape([shape[i] for i in keep])
    axes = [keep.index(i) for i in axes]
    if not axes:
        # Nothing of extent above 1 summed: a sum of one element each.
        return np.zeros_like(x) + x
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


def same_bits(got, want):
    """Equal values (a NaN is never equal) and equal bits (+0.0 is not
    -0.0)."""
    got, want = np.asarray(got), np.asarray(want)
    return (got.shape == want.shape and np.array_equal(got, want)
            and got.tobytes() == want.tobytes())


def text(shape):
    return ", ".join(map(str, shape))


lines = []
for i, case in enumerate(CASES):
    a, b = case[0], case[1]
    for t in ("f32", "f64"):
        x = "%s[%s]" % (t, text(a))
        lines.append("fn st%d_%s(x: %s) = sum_to(x, [%s]);"
                     % (i, t, x, text(b)))
        for name, ones in (("sa", False), ("sb", True)):
            axes = summed_axes(a, b, ones)
            if axes:
                lines.append("fn %s%d_%s(x: %s) = reshape(sum(x, axis=[%s]), "
                             "[%s]);" % (name, i, t, x, text(axes), text(b)))
path = os.path.join(out_dir, "sum_to_order.nn")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
mods = {"contract": nnc.load(path),
        "strict": nnc.load(path, fp_model="strict")}

rng = np.random.default_rng(5)
failed = False
for i, case in enumerate(CASES):
    a, b = case[0], case[1]
    run = case[2] if len(case) > 2 else a
    bound = {d: n for d, n in zip(a, run) if isinstance(d, str)}
    out = tuple(bound.get(d, d) for d in b)
    axes = summed_axes(a, b)
    ok = dict.fromkeys(mods, True)
    # Three draws (one may add up the same in two orders by chance) of
    # values of mixed magnitude, so that the order of the adds shows in
    # f32, with a -0.0, which a sum of one element turns into +0.0.
    for draw in range(3):
        x = (rng.standard_normal(run) * 10.0 ** rng.integers(-3, 4, run))
        x.flat[0] = -0.0
        x32 = x.astype(np.float32)
        if index_order:
            want = index_reference(x32, axes, out)
        else:
            want = chain_reference(x32, axes, a).reshape(out)
        r64 = x.sum(axis=tuple(axes), keepdims=True).reshape(out) if axes \
            else x.reshape(out)
        for fp, m in mods.items():
            got = np.asarray(getattr(m, "st%d_f32" % i)(x32))
            ok[fp] &= same_bits(got, want)
            for name in ("sa", "sb"):
                f = getattr(m, "%s%d_f32" % (name, i), None)
                if f:
                    ok[fp] &= same_bits(got, f(x32))
            g64 = np.asarray(getattr(m, "st%d_f64" % i)(x))
            err = np.max(np.abs(g64 - r64) / (1 + np.abs(r64)))
            ok[fp] &= bool(err <= 1e-12)
    shape = str(a) if run is a else "%s=%s" % (str(a).replace("'", ""),
                                               str(run))
    for fp in mods:
        failed |= not ok[fp]
        print("%-4s %-8s %-16s %-14s %s" % ("st%d" % i, fp, shape,
                                           str(b).replace("'", ""),
                                           "ok" if ok[fp] else "FAIL"))
sys.exit(1 if failed else 0)
