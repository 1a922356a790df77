"""conv2d, its gradients and the pools, compiled by nnc, against the NumPy
references of conv_reference.py at several shapes: odd sizes, stride 2,
padding 1, a batch of 1, non-square and 1x1 kernels, rectangular
([rows, columns]) windows, strides and paddings including 1xN and Nx1
windows, symbolic and literal dimensions, f64 and f32. Prints one line per case with its worst error and
exits 1 on any error above the bound (a NaN counts as one).

  conv_values.py OUT_DIR [--corrupt]   --corrupt perturbs one reference
  value, to show the check fails."""
import os
import sys

import numpy as np

import nnc

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import conv_reference as ref  # noqa: E402

out_dir = sys.argv[1]
corrupt = "--corrupt" in sys.argv

# (B, C, H, W, K, R, S, stride, pad); a stride or padding is an integer
# or a pair [rows, columns].
CONVS = [
    (2, 3, 5, 6, 4, 3, 3, 1, 1),
    (1, 1, 7, 7, 2, 3, 3, 2, 1),
    (3, 2, 9, 8, 5, 3, 2, 2, 0),
    (1, 4, 6, 5, 3, 1, 1, 1, 0),
    (2, 2, 5, 5, 3, 5, 5, 1, 2),
    (2, 3, 4, 7, 2, 2, 3, 3, 1),
    (1, 1, 1, 1, 1, 1, 1, 1, 0),
    # Batches of 7 at sizes where a lowering that multiplies a group of
    # images per product (2 MiB of columns) has a smaller last group: f32
    # groups of 6 and 1, f64 of 3, 3 and 1; at stride 2, f64 of 5 and 2.
    (7, 32, 17, 15, 16, 3, 3, 1, 1),
    (7, 48, 21, 19, 8, 3, 3, 2, 1),
    # Rectangular strides and paddings (indices 9 to 12): PyTorch's
    # stride=(1, 2), padding=(1, 0); a 1x5 and a 4x1 window; a square
    # kernel with a batch of 1.
    (2, 3, 7, 9, 4, 3, 2, [1, 2], [1, 0]),
    (1, 2, 6, 11, 3, 1, 5, [2, 1], [0, 2]),
    (3, 1, 9, 4, 2, 4, 1, [3, 1], [2, 0]),
    (1, 3, 5, 5, 2, 3, 3, [2, 1], [0, 1]),
    # Stride 1 and padding that keeps the width, which im2col and col2im
    # copy as one flat range per window position (indices 13 to 15): a 1x5
    # window padded along the columns only, a 3x1 one along the rows only,
    # and an image one column wide (the outer window columns read only
    # padding: empty ranges).
    (2, 2, 6, 7, 3, 1, 5, 1, [0, 2]),
    (2, 3, 5, 4, 2, 3, 1, 1, [1, 0]),
    (1, 2, 4, 1, 2, 3, 3, 1, 1),
]
# (B, C, H, W, k, stride, pad), each of k, stride, pad an integer or a pair.
POOLS = [
    (2, 3, 8, 6, 2, 2, 0),
    (1, 2, 7, 7, 3, 2, 1),
    (2, 1, 5, 9, 2, 1, 0),
    (1, 3, 9, 5, 3, 3, 1),
    # Rectangular (indices 4 to 7): a 2x3 window; PyTorch's
    # avg_pool2d(x, 3, stride=(2, 1), padding=(1, 0)); 1x4 and 4x1 windows.
    (1, 2, 7, 9, [2, 3], [2, 3], 0),
    (2, 3, 9, 7, 3, [2, 1], [1, 0]),
    (1, 1, 5, 8, [1, 4], [1, 2], [0, 1]),
    (2, 2, 9, 3, [4, 1], [3, 1], [2, 0]),
    # Windows that do not overlap, whose gradient is written without a
    # zeroed buffer: extents not multiples of the stride (the last row and
    # column in no window), stride above the window (gaps), a 3x3 tiling.
    (1, 3, 7, 5, 2, 2, 0),
    (2, 2, 9, 8, 2, 3, 0),
    (1, 1, 6, 6, 3, 3, 0),
    # 2x2 of stride 2 run a row of windows per vector (4 f64 lanes with
    # AVX-512): rows of 10 windows, two full vectors and a masked one.
    (2, 3, 6, 21, 2, 2, 0),
]


def lit(v):
    """An integer or a pair as the language writes it: 2 or [1, 2]."""
    return str(v) if isinstance(v, int) else "[%d, %d]" % tuple(v)


def out_shape(H, W, k, s, p):
    (kh, kw), (sh, sw), (ph, pw) = ref.pair(k), ref.pair(s), ref.pair(p)
    return ref.out_size(H, kh, sh, ph), ref.out_size(W, kw, sw, pw)


lines = []
for i, (B, C, H, W, K, R, S, s, p) in enumerate(CONVS):
    for t in ("f64", "f32"):
        x, w = "%s[%d, %d, %d, %d]" % (t, B, C, H, W), "%s[%d, %d, %d, %d]" % (
            t, K, C, R, S)
        P, Q = out_shape(H, W, (R, S), s, p)
        lines.append("fn conv%d_%s(x: %s, w: %s) = conv2d(x, w, stride=%s, "
                     "padding=%s);" % (i, t, x, w, lit(s), lit(p)))
        lines.append(
            "fn conv%d_%s_l(x: %s, w: %s, g: %s) = sum(reshape(conv2d(x, w, "
            "stride=%s, padding=%s) * g, [%d]));"
            % (i, t, x, w, "%s[%d, %d, %d, %d]" % (t, B, K, P, Q), lit(s),
               lit(p), B * K * P * Q))
        lines.append("fn dconv%d_%s = grad(conv%d_%s_l, x, w);" % (i, t, i, t))
for i, (B, C, H, W, k, s, p) in enumerate(POOLS):
    P, Q = out_shape(H, W, k, s, p)
    x = "f64[%d, %d, %d, %d]" % (B, C, H, W)
    g = "f64[%d, %d, %d, %d]" % (B, C, P, Q)
    for kind in ("max", "avg"):
        lines.append("fn %s%d(x: %s) = %s_pool2d(x, %s, stride=%s, padding=%s);"
                     % (kind, i, x, kind, lit(k), lit(s), lit(p)))
        lines.append("fn %s%d_l(x: %s, g: %s) = sum(reshape(%s_pool2d(x, %s, "
                     "stride=%s, padding=%s) * g, [%d]));"
                     % (kind, i, x, g, kind, lit(k), lit(s), lit(p),
                        B * C * P * Q))
        lines.append("fn d%s%d = grad(%s%d_l, x);" % (kind, i, kind, i))
# Dimension variables: stride 1 with 2 * pad == R - 1 keeps H and W; a
# 2x2 pool of stride 2 halves 2 * H.
lines.append("fn convsym(x: f64[B, C, H, W], w: f64[K, C, 3, 3]) = "
             "conv2d(x, w, padding=1);")
lines.append("fn poolsym(x: f64[B, C, 2 * H, 2 * W]) = max_pool2d(x, 2);")
# Rectangular: a 3x1 window of stride [1, 2] and padding [1, 0] keeps H and
# halves 2 * W; a 1x3 pool (its stride, by default, the window) divides
# 3 * W by 3; a rectangular pool with no stride written strides by its
# window.
lines.append("fn convsymr(x: f64[B, C, H, 2 * W], w: f64[K, C, 3, 1]) = "
             "conv2d(x, w, stride=[1, 2], padding=[1, 0]);")
lines.append("fn poolsymr(x: f64[B, C, H, 3 * W]) = avg_pool2d(x, [1, 3]);")
lines.append("fn pooldef(x: f64[1, 2, 7, 9]) = max_pool2d(x, [2, 3]);")
lines.append("fn poolsym_l(x: f64[B, C, 2 * H, 2 * W], g: f64[B, C, H, W]) = "
             "sum(max_pool2d(x, 2) * g);")
lines.append("fn dpoolsym = grad(poolsym_l, x);")
# f32 (8 lanes): rows of 18 windows and an uncovered last column.
lines.append("fn maxf32(x: f32[2, 3, 7, 37]) = max_pool2d(x, 2);")
lines.append("fn maxf32_l(x: f32[2, 3, 7, 37], g: f32[2, 3, 3, 18]) = "
             "sum(reshape(max_pool2d(x, 2) * g, [324]));")
lines.append("fn dmaxf32 = grad(maxf32_l, x);")
path = os.path.join(out_dir, "conv_values.nn")
with open(path, "w") as f:
    f.write("\n".join(lines) + "\n")
m = nnc.load(path)

rng = np.random.default_rng(12)
failed = False


def report(name, got, want, tol):
    global failed
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if corrupt and name == "conv0_f64":
        want = want.copy()
        want.flat[0] += 1e-3
    err = np.max(np.abs(got - want) / (1 + np.abs(want))) if got.size else 0.0
    ok = got.shape == want.shape and not np.isnan(err) and err <= tol
    failed |= not ok
    print("%-12s %-18s %s" % (name, str(got.shape), "ok" if ok else
                              "FAIL err %r" % err))


for i, (B, C, H, W, K, R, S, s, p) in enumerate(CONVS):
    x = rng.standard_normal((B, C, H, W))
    w = rng.standard_normal((K, C, R, S))
    y = ref.conv2d(x, w, s, p)
    g = rng.standard_normal(y.shape)
    dx, dw = ref.conv2d_grads(x, w, g, s, p)
    # f32 rounds the inputs and each sum: its bound grows with the terms
    # per sum (C*R*S for y, K*R*S for dx, B*P*Q for dw) past 64.
    P, Q = y.shape[2:]
    terms = {"conv": C * R * S, "dx": K * R * S, "dw": B * P * Q}
    for t, tol in (("f64", 1e-13), ("f32", 1e-5)):
        def bound(kind):
            return tol * max(1, terms[kind] / 64) if t == "f32" else tol
        report("conv%d_%s" % (i, t), getattr(m, "conv%d_%s" % (i, t))(x, w), y,
               bound("conv"))
        gx, gw = getattr(m, "dconv%d_%s" % (i, t))(x, w, g)
        report("dx%d_%s" % (i, t), gx, dx, bound("dx"))
        report("dw%d_%s" % (i, t), gw, dw, bound("dw"))
for i, (B, C, H, W, k, s, p) in enumerate(POOLS):
    # Ties: integers in a small range, so windows repeat their maximum.
    x = rng.integers(-3, 4, (B, C, H, W)).astype(np.float64)
    for kind in ("max", "avg"):
        y, _ = ref.pool(x, k, s, p, kind)
        g = rng.standard_normal(y.shape)
        _, dx = ref.pool(x, k, s, p, kind, g)
        report("%s%d" % (kind, i), getattr(m, "%s%d" % (kind, i))(x), y, 1e-14)
        report("d%s%d" % (kind, i), getattr(m, "d%s%d" % (kind, i))(x, g), dx,
               1e-14)
# NaN wins once, as in max(x, axis=...) and np.argmax: the first NaN of a
# window is its maximum and gets the gradient (padded windows, and 2x2
# ones in vectors).
for i, nans in ((1, ((0, 0, 1, 1), (0, 1, 4, 5), (0, 1, 4, 6))),
                (11, ((0, 0, 1, 1), (1, 2, 4, 17), (1, 2, 5, 16),
                     (0, 1, 2, 9)))):
    B, C, H, W, k, s, p = POOLS[i]
    x = rng.integers(-3, 4, (B, C, H, W)).astype(np.float64)
    for at in nans:
        x[at] = np.nan
    y, _ = ref.pool(x, k, s, p, "max")
    g = rng.standard_normal(y.shape)
    _, dx = ref.pool(x, k, s, p, "max", g)
    for name, got, want in (("nanmax%d" % i, getattr(m, "max%d" % i)(x), y),
                            ("dnanmax%d" % i, getattr(m, "dmax%d" % i)(x, g),
                             dx)):
        ok = np.array_equal(got, want, equal_nan=True) and \
            np.isnan(want).any() if name.startswith("nan") else \
            np.array_equal(got, want)
        failed |= not ok
        print("%-12s %-18s %s" % (name, str(got.shape), "ok" if ok else
                                  "FAIL"))
x = rng.standard_normal((2, 3, 5, 7))
w = rng.standard_normal((4, 3, 3, 3))
report("convsym", m.convsym(x, w), ref.conv2d(x, w, 1, 1), 1e-13)
# Symbolic sizes large enough for the same (f64: groups of 3, 3 and 1).
x = rng.standard_normal((7, 32, 17, 15))
w = rng.standard_normal((16, 32, 3, 3))
report("convsymg", m.convsym(x, w), ref.conv2d(x, w, 1, 1), 1e-13)
x = rng.standard_normal((1, 2, 6, 4))
report("poolsym", m.poolsym(x), ref.pool(x, 2, 2, 0, "max")[0], 0)
g = rng.standard_normal((1, 2, 3, 2))
report("dpoolsym", m.dpoolsym(x, g), ref.pool(x, 2, 2, 0, "max", g)[1], 0)
x = rng.standard_normal((2, 3, 5, 8))
w = rng.standard_normal((4, 3, 3, 1))
report("convsymr", m.convsymr(x, w), ref.conv2d(x, w, [1, 2], [1, 0]), 1e-13)
x = rng.standard_normal((1, 2, 3, 9))
report("poolsymr", m.poolsymr(x),
       ref.pool(x, [1, 3], [1, 3], 0, "avg")[0], 1e-14)
x = rng.standard_normal((1, 2, 7, 9))
report("pooldef", m.pooldef(x), ref.pool(x, [2, 3], [2, 3], 0, "max")[0], 0)
x = rng.integers(-3, 4, (2, 3, 7, 37)).astype(np.float32)
g = rng.standard_normal((2, 3, 3, 18)).astype(np.float32)
report("maxf32", m.maxf32(x), ref.pool(x, 2, 2, 0, "max")[0], 0)
report("dmaxf32", m.dmaxf32(x, g), ref.pool(x, 2, 2, 0, "max", g)[1], 0)
sys.exit(1 if failed else 0)
