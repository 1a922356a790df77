#!/usr/bin/env python3
"""Checks the compiled gradients of Inputs/tensor_gradcheck.nn against
central finite differences.

Usage: tensor_gradcheck.py FILE.nn [--split-functions=N]
       tensor_gradcheck.py FILE.nn --adjoint NAME
           (only the adjoint test of NAME: f64[4, 5] -> f64[4, 5])

The module is compiled and bound by the Python package nnc (python/nnc,
docs/python.md), from its signature file.

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

import nnc

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


def check_l2(mod):
    W = np.array([[0.1, 0.5], [-0.3, 0.8]])
    x = np.array([0.2, 0.4])
    value = mod.l2(x, W)
    dx, dW = mod.dl2(x, W)
    print("l2 = %.6g" % value)
    print("dW = %s" % np.array2string(dW, separator=", "))
    print("dx = %s" % np.array2string(dx, separator=", "))
    report("exact", "l2 value", rel(value, 0.116))
    for got, want, name in [(dW, [[0.088, 0.176], [0.104, 0.208]], "dW"),
                            (dx, [-0.112, 0.636], "dx")]:
        report("exact", "l2 " + name,
               functools.reduce(worse, (rel(g, w) for g, w in
                                         zip(got.ravel(), np.ravel(want)))))
    v2, dW2, dx2 = mod.vgl2(x, W)
    assert v2 == value and np.array_equal(dW2, dW) and np.array_equal(dx2, dx), \
        "value_and_grad(l2, W, x) differs from l2 and grad(l2)"
    # Finite differences too, at a random point of a larger size.
    rng = np.random.default_rng(1)
    x, W = rng.standard_normal(7), rng.standard_normal((7, 7))
    dx, dW = mod.dl2(x, W)
    for arg, grad, name in [(x, dx, "x"), (W, dW, "W")]:
        e = 0.0
        for i in range(arg.size):
            def f(t, i=i):
                a = arg.copy().ravel()
                a[i] += t
                a = a.reshape(arg.shape)
                return mod.l2(a if name == "x" else x, a if name == "W" else W)
            e = worse(e, rel(grad.ravel()[i], derivative(f, 1e-3)))
        report("exact", "l2 n=7 d%s (%d partials)" % (name, arg.size), e)


def check_net(mod, loss, gx, extra=()):
    """loss and gx are methods of mod.net: the parameters are the
    instance's struct, which the finite differences perturb in place."""
    B, D = 6, 3
    rng = np.random.default_rng(2)
    x = rng.standard_normal((B, D))
    y = np.array([0, 1, 2, 3, 1, 2], dtype=np.int32)
    mod.net.init(1)
    params = mod.net.params
    value = loss(x, y, *extra)
    grads, dx, *dextra = gx(x, y, *extra)
    name = gx.function.label
    # Again: the workspace the first call left garbage in gives the same
    # bits.
    grads2, dx2, *_ = gx(x, y, *extra)
    assert all(np.array_equal(grads[k], grads2[k]) for k in grads)
    assert np.array_equal(dx, dx2)
    print("%s = %.12f" % (loss.function.name, value))
    # Away from the kinks: every ReLU input and every hinge margin.
    assert np.min(np.abs(x @ params["fc1.W"] + params["fc1.b"])) > 2e-2
    scores = mod.net.forward(x)
    margins = scores - scores[np.arange(B), y][:, None] + 1
    margins[np.arange(B), y] = 1
    assert np.min(np.abs(margins)) > 2e-2

    def loss_at(xx, ex=extra):
        return loss(xx, y, *ex)

    for field, p in params.items():
        e = 0.0
        g = grads[field]
        assert g.shape == p.shape
        for i in range(p.size):
            def f(t, i=i):
                old = p.flat[i]
                p.flat[i] = old + t
                try:
                    return loss_at(x)
                finally:
                    p.flat[i] = old
            e = worse(e, rel(g.flat[i], derivative(f, 1e-3)))
        report("net", "%s d%s (%d partials)"
               % (name.replace(".", "_"), field.replace(".", "_"), p.size), e)
    e = 0.0
    for i in range(x.size):
        def f(t, i=i):
            xx = x.copy().ravel()
            xx[i] += t
            return loss_at(xx.reshape(x.shape))
        e = worse(e, rel(dx.ravel()[i], derivative(f, 1e-3)))
    report("net", "%s dx (%d partials)" % (name.replace(".", "_"), x.size), e)
    scalars = [a["name"] for a in gx.function.inputs][2:]
    for i, d in enumerate(dextra):     # scalar extra inputs, in order
        def f(t, i=i):
            ex = list(extra)
            ex[i] += t
            return loss_at(x, ex)
        report("net", "%s d%s" % (name.replace(".", "_"), scalars[i]),
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
            return np.sum(f(*args) * w)
        jv_w = derivative(f_along, 1e-3)
        douts = vjp(*inputs, w if out_shape != () else float(w))
        if len(diff) == 1:
            douts = [douts]
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
    options = {}
    for a in sys.argv[2:]:
        if a.startswith("--split-functions="):
            options["split_functions"] = int(a.split("=", 1)[1])
    mod = nnc.load(sys.argv[1], **options)
    if sys.argv[2:3] == ["--adjoint"]:
        x = np.random.default_rng(5).standard_normal((4, 5))
        adjoint(mod, sys.argv[3], [x], (4, 5), [0])
        sys.exit(1 if failures else 0)
    check_l2(mod)
    net = mod.net
    check_net(mod, net.loss, net.gx)
    check_net(mod, net.hinge, net.hinge_gx)
    check_net(mod, net.reg_loss, net.reg_gx, extra=(0.25,))
    # value_and_grad(net.loss, params) is net_loss and the same gradients.
    net.init(1)
    x = np.random.default_rng(2).standard_normal((6, 3))
    y = np.array([0, 1, 2, 3, 1, 2], dtype=np.int32)
    v1 = net.loss(x, y)
    g1, _ = net.gx(x, y)
    v2, g2 = net.vg(x, y)
    assert v1 == v2 and all(np.array_equal(g1[k], g2[k]) for k in g1), \
        "net_vg differs"
    print("net_vg = net_loss and net_gx: ok")
    check_adjoints(mod)
    print("tensor gradcheck: %d failed; worst relative error: exact %.1e, "
          "network %.1e, adjoint %.1e"
          % (failures, worst["exact"], worst["net"], worst["adjoint"]))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
