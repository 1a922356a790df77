"""Checks nnc's generated optimizers step for step against NumPy.

    optim_reference.py LIB OPTIMIZER [--steps N] [--wrong KIND] [--corrupt nan]

LIB is linear_steps.nn compiled with -shared: a linear softmax classifier
`net` with one train step per optimizer (step_sgd, step_momentum, step_adam,
step_adamw). The reference computes the gradients itself, in float64 NumPy
(softmax cross-entropy of a linear layer), and applies torch.optim's update
as docs/language.md defines it. After every step the parameters, the
optimizer state and the loss of nnc (f32) must match the reference within a
relative error of 1e-5 (max |nnc - ref| / max |ref|, per array); a NaN or
an infinity anywhere fails.

--wrong makes the reference deliberately wrong, to show that the check
fails: `bias-correction` drops Adam's bias correction, `weight-decay` drops
the weight decay, `coupled` applies AdamW's decay as an L2 term.
--corrupt nan writes a NaN into nnc's parameters after the first step.
Exits 1 when the check fails.
"""
import argparse
import ctypes
import math
import sys

import numpy as np

D, C, B = 5, 3, 8
TOLERANCE = 1e-5

HYPER = {
    "sgd": dict(lr=0.1, weight_decay=0.01),
    "momentum": dict(lr=0.1, momentum=0.9, weight_decay=0.01),
    "adam": dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01),
    "adamw": dict(lr=0.01, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.1),
}
# The order of the C arguments (the header's: lr, ..., weight_decay).
ORDER = {
    "sgd": ["lr", "weight_decay"],
    "momentum": ["lr", "momentum", "weight_decay"],
    "adam": ["lr", "beta1", "beta2", "eps", "weight_decay"],
    "adamw": ["lr", "beta1", "beta2", "eps", "weight_decay"],
}


class Params(ctypes.Structure):
    _fields_ = [("W", ctypes.c_float * (D * C)), ("b", ctypes.c_float * C)]


class MomentumState(ctypes.Structure):
    _fields_ = [("buf_W", ctypes.c_float * (D * C)),
                ("buf_b", ctypes.c_float * C)]


class AdamState(ctypes.Structure):
    _fields_ = [("m_W", ctypes.c_float * (D * C)), ("m_b", ctypes.c_float * C),
                ("v_W", ctypes.c_float * (D * C)), ("v_b", ctypes.c_float * C),
                ("t", ctypes.c_int64)]


def view(struct, name):
    return np.ctypeslib.as_array(getattr(struct, name))


def gradients(W, b, X, y):
    """Loss and gradients of mean softmax cross-entropy, in float64."""
    logits = X @ W + b
    logits -= logits.max(axis=1, keepdims=True)
    p = np.exp(logits)
    p /= p.sum(axis=1, keepdims=True)
    loss = -np.mean(np.log(p[np.arange(len(y)), y]))
    d = p.copy()
    d[np.arange(len(y)), y] -= 1
    d /= len(y)
    return loss, {"W": X.T @ d, "b": d.sum(axis=0)}


def reference_step(opt, h, params, state, grads, wrong):
    """torch.optim's update of every parameter (docs/language.md)."""
    lr, wd = h["lr"], h["weight_decay"]
    if wrong == "weight-decay":
        wd = 0.0
    if opt in ("adam", "adamw"):
        state["t"] += 1
    for name in ("W", "b"):
        p, g = params[name], grads[name]
        if opt == "adamw" and wrong != "coupled":
            p = p * (1 - lr * wd)
        else:
            g = g + wd * p
        if opt == "sgd":
            p = p - lr * g
        elif opt == "momentum":
            buf = h["momentum"] * state["buf_" + name] + g
            state["buf_" + name] = buf
            p = p - lr * buf
        else:
            b1, b2, t = h["beta1"], h["beta2"], state["t"]
            m = b1 * state["m_" + name] + (1 - b1) * g
            v = b2 * state["v_" + name] + (1 - b2) * g * g
            state["m_" + name], state["v_" + name] = m, v
            if wrong == "bias-correction":
                mhat, vhat = m, v
            else:
                mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
            p = p - lr * mhat / (np.sqrt(vhat) + h["eps"])
        params[name] = p


def relative_error(got, want):
    got = np.asarray(got, np.float64)
    want = np.asarray(want, np.float64)
    if not (np.all(np.isfinite(got)) and np.all(np.isfinite(want))):
        return math.inf
    scale = np.max(np.abs(want))
    return float(np.max(np.abs(got - want)) / (scale if scale > 0 else 1.0))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lib")
    ap.add_argument("optimizer", choices=sorted(HYPER))
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--wrong", choices=["bias-correction", "weight-decay",
                                        "coupled"])
    ap.add_argument("--corrupt", choices=["nan"])
    args = ap.parse_args()
    opt = args.optimizer
    lib = ctypes.CDLL(args.lib)

    params = Params()
    lib.net_init.argtypes = [ctypes.c_int64, ctypes.POINTER(Params),
                             ctypes.c_void_p]
    lib.net_init.restype = ctypes.c_int32
    assert lib.net_init(7, ctypes.byref(params), None) == 0

    StateType = {"sgd": None, "momentum": MomentumState}.get(opt, AdamState)
    state = StateType() if StateType else None  # all zeros, t = 0
    step = getattr(lib, "step_" + opt)
    argtypes = [ctypes.POINTER(Params),
                ctypes.c_void_p, ctypes.c_int64, ctypes.c_int64,
                ctypes.c_void_p, ctypes.c_int64]
    if StateType:
        argtypes.append(ctypes.POINTER(StateType))
    argtypes += [ctypes.c_float] * len(ORDER[opt])
    argtypes += [ctypes.POINTER(ctypes.c_float), ctypes.c_void_p]
    step.argtypes = argtypes
    step.restype = ctypes.c_int32

    # The hyper-parameters as nnc sees them: rounded to f32.
    h = {k: float(np.float32(v)) for k, v in HYPER[opt].items()}
    rng = np.random.default_rng(0)
    X = rng.standard_normal((B, D)).astype(np.float32)
    y = rng.integers(0, C, B).astype(np.int32)

    ref_params = {"W": view(params, "W").reshape(D, C).astype(np.float64),
                  "b": view(params, "b").astype(np.float64)}
    ref_state = {"t": 0}
    if StateType:
        for name, _ in StateType._fields_:
            if name != "t":
                ref_state[name] = np.zeros_like(ref_params[name.split("_")[1]])

    worst = 0.0
    loss = ctypes.c_float()
    for k in range(1, args.steps + 1):
        call = [ctypes.byref(params),
                X.ctypes.data, B, D, y.ctypes.data, B]
        if StateType:
            call.append(ctypes.byref(state))
        call += [h[n] for n in ORDER[opt]]
        call += [ctypes.byref(loss), None]
        status = step(*call)
        if status != 0:
            print("step %d: status %d" % (k, status))
            return 1
        if args.corrupt == "nan" and k == 1:
            params.W[0] = float("nan")

        ref_loss, grads = gradients(ref_params["W"], ref_params["b"],
                                    X.astype(np.float64), y)
        reference_step(opt, h, ref_params, ref_state, grads, args.wrong)

        errs = {"loss": relative_error(loss.value, ref_loss),
                "W": relative_error(view(params, "W").reshape(D, C),
                                    ref_params["W"]),
                "b": relative_error(view(params, "b"), ref_params["b"])}
        if StateType:
            for name, _ in StateType._fields_:
                if name == "t":
                    errs["t"] = 0.0 if state.t == ref_state["t"] else math.inf
                else:
                    errs[name] = relative_error(
                        view(state, name).reshape(ref_state[name].shape),
                        ref_state[name])
        step_worst = max(errs.values(), key=lambda e: (math.isnan(e), e))
        worst = max(worst, step_worst, key=lambda e: (math.isnan(e), e))
        print("%s step %d: loss %.6f (reference %.6f), max relative error %.2e"
              % (opt, k, loss.value, ref_loss, step_worst))
    ok = worst <= TOLERANCE  # False for NaN
    print("%s: max relative error over %d steps: %.2e (%s)"
          % (opt, args.steps, worst, "ok" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
