#!/usr/bin/env python3
"""Checks issue 12's structural ops compiled from Inputs/tensorops.nn:
values against NumPy (exact: the ops only move elements), run-time index
checks (NNC_ERR_INDEX), and every vjp by the adjoint identity
<J v, w> = <v, J^T w>, J v by central differences with Richardson
extrapolation (relative error <= 1e-6; NaN or inf is a failure).

Usage: tensorops_check.py FILE.nn [--corrupt] [--split-functions=N]
  --corrupt  compares against deliberately wrong references (one value
             off by one ulp, a vjp scaled by 1 + 1e-5, a NaN), to show
             that each check can fail.
"""
import math
import sys
import zlib

import numpy as np

import nnc

TOL = 1e-6
failures = 0
corrupt = "--corrupt" in sys.argv


def report(ok, what):
    global failures
    if not ok:
        failures += 1
    print("%s %s" % ("ok" if ok else "FAIL", what))


def same(name, got, want):
    """Exact equality of values and shapes (NaN-free inputs)."""
    want = np.asarray(want)
    if corrupt:
        want = want.copy()
        want.flat[0] = np.nextafter(want.flat[0], np.inf)
    got = np.asarray(got)
    ok = got.shape == want.shape and np.array_equal(got, want) and \
        np.all(np.isfinite(got))
    report(ok, "%s = NumPy %s" % (name, list(want.shape)))


def rel(a, n, floor=1e-4):
    if not (math.isfinite(a) and math.isfinite(n)):
        return math.inf
    return abs(a - n) / max(abs(a), abs(n), floor)


def derivative(f, h):
    d = lambda s: (f(s) - f(-s)) / (2 * s)
    return (4 * d(h / 2) - d(h)) / 3


def adjoint(mod, name, inputs, diff, trials=3):
    f, vjp = getattr(mod, name), getattr(mod, name + "_vjp")
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    out_shape = np.shape(f(*inputs))
    worst = 0.0
    for _ in range(trials):
        v = [rng.standard_normal(np.shape(inputs[i])) for i in diff]
        w = rng.standard_normal(out_shape)

        def along(t):
            args = list(inputs)
            for i, vi in zip(diff, v):
                args[i] = inputs[i] + t * vi
            return float(np.sum(f(*args) * w))
        jv_w = derivative(along, 1e-3)
        d = vjp(*inputs, w if out_shape != () else float(w))
        d = list(d) if isinstance(d, tuple) else [d]
        v_jtw = sum(float(np.sum(vi * di)) for vi, di in zip(v, d))
        if corrupt:
            v_jtw = v_jtw * (1 + 1e-5) if name != "cat0" else math.nan
        e = rel(jv_w, v_jtw)
        worst = e if not math.isfinite(e) else max(worst, e)
    report(worst <= TOL, "%s <Jv, w> = <v, J^T w>: rel %.1e" % (name, worst))


def expect_index_error(what, f, *args):
    try:
        f(*args)
    except nnc.Error as e:
        report("NNC_ERR_INDEX" in str(e) and not corrupt,
               "%s: %s" % (what, e))
        return
    report(corrupt, "%s: no error" % what)


def main():
    options = {}
    for a in sys.argv[2:]:
        if a.startswith("--split-functions="):
            options["split_functions"] = int(a.split("=", 1)[1])
    mod = nnc.load(sys.argv[1], **options)
    rng = np.random.default_rng(12)
    B, C, n = 3, 2, 5
    x = rng.standard_normal((B, n))
    x3 = rng.standard_normal((B, C, n))
    x4 = rng.standard_normal((B, C, 4, 3))

    # Indexing against NumPy's basic indexing.
    for i in (0, 2, -1, -3):
        same("ix_row(x, %d)" % i, mod.ix_row(x, i), x[i])
    same("ix_elem(x, 1, -2)", mod.ix_elem(x, 1, -2), x[1, -2])
    same("ix_cols", mod.ix_cols(x), x[:, 1:3])
    same("ix_neg", mod.ix_neg(x), x[..., -1])
    same("ix_tail", mod.ix_tail(x), x[-2:, 0:3:2])
    x7 = rng.standard_normal((B, 7))
    same("ix_step", mod.ix_step(x7), x7[:, ::3])
    same("ix_last", mod.ix_last(x), x[-3:-1])
    same("ix_3d", mod.ix_3d(x3), x3[1, ..., 0:2])
    same("ix_all", mod.ix_all(x), x)
    x45 = rng.standard_normal((4, 5))
    same("ix_scalar", mod.ix_scalar(x45), x45[3, -5])
    # Bounds in dimension variables and constant expressions.
    y2, y4 = np.zeros(2), np.zeros(4)
    x8, x6 = rng.standard_normal((B, 8)), rng.standard_normal((B, 6))
    same("ix_back", mod.ix_back(x), x[:, n - 3:n])
    same("ix_negk", mod.ix_negk(x, y2), x[:, -2:])
    same("ix_cexpr", mod.ix_cexpr(x8), x8[:, 2:6])
    same("ix_mid", mod.ix_mid(x6), x6[:, 3:6])
    same("ix_dimstop", mod.ix_dimstop(x, y4), x[:, 0:4])
    expect_index_error("ix_dimstop of n = 6 > m = 5", mod.ix_dimstop, x,
                       np.zeros(6))
    same("sl(x, 2)", mod.sl(x, 2), x[2:3, 1:3])
    g = rng.standard_normal((2, 2))
    want = np.zeros((4, 5))
    want[1:3, 0::3] = g
    same("usl(g, 1)", mod.usl(g, 1), want)

    # Out of range at run time: an error, never a read out of bounds.
    expect_index_error("ix_row(x, 3)", mod.ix_row, x, 3)
    expect_index_error("ix_row(x, -4)", mod.ix_row, x, -4)
    expect_index_error("ix_elem(x, 0, 5)", mod.ix_elem, x, 0, 5)
    expect_index_error("ix_cols of f64[3, 2]", mod.ix_cols, x[:, :2])
    expect_index_error("ix_last of f64[2, 5]", mod.ix_last, x[:2])
    expect_index_error("usl(g, 3)", mod.usl, g, 3)
    expect_index_error("sl(x, -1)", mod.sl, x, -1)
    expect_index_error("huge(x[0])", mod.huge, x[0])

    # Structural ops.
    a, b2 = rng.standard_normal((B, n)), rng.standard_normal((B, 2 * n))
    same("cat1", mod.cat1(a, b2), np.concatenate([a, b2], axis=1))
    p, q, r = (rng.standard_normal((k, n)) for k in (2, 3, 1))
    same("cat0", mod.cat0(p, q, r), np.concatenate([p, q, r]))
    b = rng.standard_normal((B, n))
    same("st", mod.st(a, b), np.stack([a, b], axis=1))
    same("st_last", mod.st_last(a, b), np.stack([a, b * 2], axis=-1))
    same("perm", mod.perm(x3), np.transpose(x3, (2, 0, 1)))
    same("perm4", mod.perm4(x4), np.transpose(x4, (0, 2, 3, 1)))
    same("rev", mod.rev(x3), x3.T)
    same("flat", mod.flat(x4), x4.reshape(B, -1))
    same("flat0", mod.flat0(x3), x3.reshape(-1))
    xf = rng.standard_normal((B, n)).astype(np.float32)
    same("fills", mod.fills(xf, np.float32(2.5)),
         xf * np.zeros((B, n), np.float32) + np.ones((B, n), np.float32) +
         np.full((B, n), 2.5, np.float32))
    same("sum_keep", mod.sum_keep(x), x - np.sum(x, axis=1, keepdims=True))
    # nnc's mean is the sum divided by the count, as written here.
    same("mean_keep", mod.mean_keep(x), x - np.sum(x, axis=0, keepdims=True) / B)
    same("max_keep", mod.max_keep(x), np.max(x, axis=-1, keepdims=True))
    same("min_keep", mod.min_keep(x), np.min(x, keepdims=True))
    m = np.max(x, axis=1, keepdims=True)
    lse = m + np.log(np.sum(np.exp(x - m), axis=1, keepdims=True))
    got = mod.lse_keep(x)
    report(got.shape == (B, n) and np.allclose(got, x - lse, rtol=1e-14,
                                               atol=0) != corrupt,
           "lse_keep = NumPy within 1e-14")
    same("am_keep", mod.am_keep(x), np.argmax(x, axis=-1)[:, None])

    # vjps.
    adjoint(mod, "ix_row", [x, -2], [0])
    for name in ("ix_cols", "ix_neg", "ix_tail"):
        adjoint(mod, name, [x], [0])
    adjoint(mod, "ix_step", [x7], [0])
    adjoint(mod, "ix_back", [x], [0])
    adjoint(mod, "ix_negk", [x, y2], [0])
    adjoint(mod, "ix_cexpr", [x8], [0])
    adjoint(mod, "ix_mid", [x6], [0])
    adjoint(mod, "ix_dimstop", [x, y4], [0])
    adjoint(mod, "ix_3d", [x3], [0])
    adjoint(mod, "usl", [g, 2], [0])
    adjoint(mod, "cat1", [a, b2], [0, 1])
    adjoint(mod, "cat0", [p, q, r], [0, 1, 2])
    adjoint(mod, "st_last", [a, b], [0, 1])
    adjoint(mod, "perm4", [x4], [0])
    adjoint(mod, "rev", [x3], [0])
    adjoint(mod, "flat", [x4], [0])
    adjoint(mod, "sum_keep", [x], [0])
    adjoint(mod, "lse_keep", [x], [0])
    adjoint(mod, "max_keep", [x], [0])
    # A second derivative: the vjp of grad(sq) (a Hessian-vector product).
    v = rng.standard_normal(6)
    adjoint(mod, "dsq", [v], [0])
    print("tensorops: %d failed" % failures)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
