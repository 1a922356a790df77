#!/usr/bin/env python3
"""Checks the compiled gradients of Inputs/tensor_gradcheck.nn against
central finite differences.

Usage: tensor_gradcheck.py LIB.so HEADER.h
       tensor_gradcheck.py LIB.so HEADER.h --adjoint NAME
           (only the adjoint test of NAME: f64[4, 5] -> f64[4, 5])

* The lecture's l2 example against its exact values.
* The two-layer network in f64: the loss and the gradient of every parameter
  and of the input x, element by element, against finite differences of the
  compiled loss (softmax cross-entropy and multiclass SVM heads, and the
  L2-regularized loss of examples/two_layer_net.nn, also in reg).
* Every op with a vjp: the adjoint test <J v, w> = <v, J^T w> for random
  directions v and cotangents w, J v by finite differences of the compiled
  function, J^T w from its compiled vjp.

The finite difference is central with Richardson extrapolation,
(4 D(h/2) - D(h)) / 3, error O(h^4), with h = 1e-3 (the functions are
smooth within that distance of every point checked: ReLU inputs and hinge
margins are checked to be farther from their kinks). A relative error is
|a - n| / max(|a|, |n|, 1e-4): partials below 1e-4 (some are exactly 0) are
compared absolutely, since rounding in the differences is about 1e-12. The
tolerance is 1e-6.
"""
import functools
import math
import sys
import zlib

import numpy as np

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from nnbind import Module  # noqa: E402

TOL = 1e-6
worst = {"exact": 0.0, "net": 0.0, "adjoint": 0.0}
failures = 0


def rel(a, n, floor=1e-4):
    """Relative error; inf when either side is NaN or inf (a non-finite
    gradient or difference is a failure, never a match)."""
    if not (np.isfinite(a) and np.isfinite(n)):
        return math.inf
    return abs(a - n) / max(abs(a), abs(n), floor)


def worse(a, b):
    """max() that keeps NaN and inf: max(0.0, nan) is 0.0, which would drop
    a NaN error."""
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return max(a, b)


def report(kind, what, err):
    global failures
    worst[kind] = worse(worst[kind], err)
    ok = err <= TOL
    failures += not ok
    print("%s %s: rel %.2e" % ("ok" if ok else "FAIL", what, err))


def derivative(f, h):
    """d/dt f(t) at 0, central differences with Richardson extrapolation."""
    def central(h):
        return (f(h) - f(-h)) / (2 * h)
    return (4 * central(h / 2) - central(h)) / 3


def ok(status, what):
    if status != 0:
        print("FAIL %s: status %d" % (what, status))
        sys.exit(1)


def check_l2(mod):
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x = np.array([0.2, 0.4])
    st, (value,) = mod.l2(x, W, shapes=[()])
    ok(st, "l2")
    st, (dx, dW) = mod.dl2(x, W)
    ok(st, "dl2")
    print("l2 = %.6g" % value)
    print("dW = %s" % np.array2string(dW, separator=", "))
    print("dx = %s" % np.array2string(dx, separator=", "))
    report("exact", "l2 value", rel(value, 0.116))
    for got, want, name in [(dW, [[0.088, 0.176], [0.104, 0.208]], "dW"),
                            (dx, [-0.112, 0.636], "dx")]:
        report("exact", "l2 " + name,
               functools.reduce(worse, (rel(g, w) for g, w in
                                         zip(got.ravel(), np.ravel(want)))))
    st, (v2, dW2, dx2) = mod.vgl2(x, W)
    ok(st, "vgl2")
    assert v2 == value and np.array_equal(dW2, dW) and np.array_equal(dx2, dx), \
        "value_and_grad(l2, W, x) differs from l2 and grad(l2)"
    # Finite differences too, at a random point of a larger size.
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal(7), rng.standard_normal((7, 7))
    st, (dx, dW) = mod.dl2(x, W)
    ok(st, "dl2 n=7")
    for arg, grad, name in [(x, dx, "x"), (W, dW, "W")]:
        e = 0.0
        for i in range(arg.size):
            def f(t, i=i):
                a = arg.copy().ravel()
                a[i] += t
                a = a.reshape(arg.shape)
                return mod.l2(a if name == "x" else x, a if name == "W" else W,
                              shapes=[()])[1][0]
            e = worse(e, rel(grad.ravel()[i], derivative(f, 1e-3)))
        report("exact", "l2 n=7 d%s (%d partials)" % (name, arg.size), e)


def check_net(mod, loss, gx, extra=()):
    B, D = 6, 3
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, D))
    y = np.array([0, 1, 2, 3, 1, 2], dtype=np.int32)
    st, (params,) = mod.net_init(1)
    ok(st, "net_init")
    st, (value,) = loss(params, x, y, *extra, shapes=[()])
    ok(st, loss.name)
    st, (grads, dx, *dextra) = gx(params, x, y, *extra)
    ok(st, gx.name)
    # The same call with a caller-provided workspace gives the same bits.
    ws = np.empty(mod.__dict__[gx.name + "_workspace_size"](B), dtype=np.uint8)
    st, (grads2, dx2, *_) = gx(params, x, y, *extra, workspace=ws)
    ok(st, gx.name + " with a workspace")
    assert np.array_equal(grads, grads2) and np.array_equal(dx, dx2)
    print("%s = %.12f" % (loss.name, value))
    # Away from the kinks: every ReLU input and every hinge margin.
    p = mod.structs["net_params_t"].unflatten(params)
    assert np.min(np.abs(x @ p["fc1_W"] + p["fc1_b"])) > 2e-2
    st, (scores,) = mod.net_forward(params, x, shapes=[(B, 4)])
    ok(st, "net_forward")
    margins = scores - scores[np.arange(B), y][:, None] + 1
    margins[np.arange(B), y] = 1
    assert np.min(np.abs(margins)) > 2e-2

    def loss_at(p, xx, ex=extra):
        st, (v,) = loss(p, xx, y, *ex, shapes=[()])
        ok(st, loss.name)
        return v

    fields = mod.structs["net_params_t"]
    analytic = fields.unflatten(grads)
    at = 0
    for name, _, shape in fields.fields:
        e = 0.0
        n = int(np.prod(shape))
        for i in range(at, at + n):
            def f(t, i=i):
                p = params.copy()
                p[i] += t
                return loss_at(p, x)
            e = worse(e, rel(grads[i], derivative(f, 1e-3)))
        report("net", "%s d%s (%d partials)" % (gx.name, name, n), e)
        assert analytic[name].shape == shape
        at += n
    e = 0.0
    for i in range(x.size):
        def f(t, i=i):
            xx = x.copy().ravel()
            xx[i] += t
            return loss_at(params, xx.reshape(x.shape))
        e = worse(e, rel(dx.ravel()[i], derivative(f, 1e-3)))
    report("net", "%s dx (%d partials)" % (gx.name, x.size), e)
    for i, d in enumerate(dextra):     # scalar extra inputs, in order
        def f(t, i=i):
            ex = list(extra)
            ex[i] += t
            return loss_at(params, x, ex)
        report("net", "%s d%s" % (gx.name, gx.inputs[3 + i][2]),
               rel(d, derivative(f, 1e-3)))
    return value, grads


def adjoint(mod, name, inputs, out_shape, diff, labels=None, trials=3):
    """<J v, w> = <v, J^T w> for f = mod.<name> and its vjp, for inputs
    `diff` (indices of the differentiable inputs; the others are fixed)."""
    f, vjp = getattr(mod, name), getattr(mod, name + "_vjp")
    rng = np.random.default_rng(zlib.crc32(name.encode()))
    e = 0.0
    for _ in range(trials):
        v = [rng.standard_normal(np.shape(inputs[i])) for i in diff]
        w = rng.standard_normal(out_shape)

        def f_along(t):
            args = list(inputs)
            for i, vi in zip(diff, v):
                args[i] = inputs[i] + t * vi
            st, (out,) = f(*args, shapes=[out_shape])
            ok(st, name)
            return np.sum(out * w)
        jv_w = derivative(f_along, 1e-3)
        shapes = [np.shape(inputs[i]) for i in diff]
        st, douts = vjp(*inputs, w if out_shape != () else float(w),
                        shapes=shapes)
        ok(st, name + "_vjp")
        v_jtw = sum(np.sum(vi * di) for vi, di in zip(v, douts))
        e = worse(e, rel(jv_w, v_jtw))
    report("adjoint", "%s <Jv, w> = <v, J^T w> (%d trials)" % (name, trials), e)


def check_adjoints(mod):
    rng = np.random.default_rng(4)
    m, k = 4, 5
    x = rng.standard_normal((m, k))
    y = np.array([0, 4, 2, 1], dtype=np.int32)
    adjoint(mod, "sm", [x], (m, k), [0])
    adjoint(mod, "sm0", [x], (m, k), [0])
    adjoint(mod, "lsm", [x * 30], (m, k), [0])      # large inputs stay stable
    adjoint(mod, "lse", [x], (m,), [0])
    adjoint(mod, "lse0", [x], (k,), [0])
    adjoint(mod, "ce", [x, y], (), [0])
    # The hinge is piecewise linear: keep every margin away from its kink.
    s = x.copy()
    margins = s - s[np.arange(m), y][:, None] + 1
    assert np.min(np.abs(margins)) > 1e-2
    adjoint(mod, "svm", [s, y], (), [0])
    adjoint(mod, "mn", [x], (k,), [0])
    adjoint(mod, "mnall", [x], (m, k), [0])
    adjoint(mod, "mx", [x], (m,), [0])
    adjoint(mod, "mn0", [x], (k,), [0])
    adjoint(mod, "tr", [x], (k, m), [0])
    adjoint(mod, "rs", [x], (k, m), [0])
    adjoint(mod, "bc", [x[0]], (3, k), [0])
    adjoint(mod, "bcast", [x[:, :1], x[1]], (m, k), [0, 1])
    adjoint(mod, "mm", [x, rng.standard_normal((k, 3))], (m,), [0, 1])
    adjoint(mod, "pk", [x, y], (m,), [0])


def main():
    mod = Module(sys.argv[1], sys.argv[2])
    if sys.argv[3:4] == ["--adjoint"]:
        x = np.random.default_rng(5).standard_normal((4, 5))
        adjoint(mod, sys.argv[4], [x], (4, 5), [0])
        sys.exit(1 if failures else 0)
    check_l2(mod)
    check_net(mod, mod.net_loss, mod.net_gx)
    check_net(mod, mod.net_hinge, mod.net_hinge_gx)
    check_net(mod, mod.net_reg_loss, mod.net_reg_gx, extra=(0.25,))
    # value_and_grad(net.loss, params) is net_loss and the same gradients.
    st, (params,) = mod.net_init(1)
    x = np.random.default_rng(2).standard_normal((6, 3))
    y = np.array([0, 1, 2, 3, 1, 2], dtype=np.int32)
    _, (v1,) = mod.net_loss(params, x, y, shapes=[()])
    _, (g1, _) = mod.net_gx(params, x, y)
    st, (v2, g2) = mod.net_vg(params, x, y)
    ok(st, "net_vg")
    assert v1 == v2 and np.array_equal(g1, g2), "net_vg differs"
    print("net_vg = net_loss and net_gx: ok")
    check_adjoints(mod)
    print("tensor gradcheck: %d failed; worst relative error: exact %.1e, "
          "network %.1e, adjoint %.1e"
          % (failures, worst["exact"], worst["net"], worst["adjoint"]))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
