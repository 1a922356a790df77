#!/usr/bin/env python3
"""Trains the two-layer network of examples/two_layer_net.nn from Python,
through ctypes and NumPy, on CS231n's spiral data set.

    build/bin/nnc examples/two_layer_net.nn -shared -o libnet.so
    python3 examples/two_layer_net.py ./libnet.so [steps]

The calling rules are those of docs/abi.md: every function returns an int32
status (0 is success); a tensor is a pointer to contiguous row-major data
followed by one int64 per axis; results are written through pointers the
caller allocates; the parameters of the instance `net` travel as one struct,
`net_params_t`, declared below with ctypes.Structure (the generated header,
`--header net.h`, has the C declaration).
"""
import ctypes
import sys

import numpy as np

D, H, C = 2, 100, 3

c_float_p = ctypes.POINTER(ctypes.c_float)
c_int32_p = ctypes.POINTER(ctypes.c_int32)
c_int64_p = ctypes.POINTER(ctypes.c_int64)
i64 = ctypes.c_int64


class Params(ctypes.Structure):
    """net_params_t (and net_grads_t, which has the same fields)."""
    _fields_ = [("fc1_W", ctypes.c_float * (D * H)),
                ("fc1_b", ctypes.c_float * H),
                ("fc2_W", ctypes.c_float * (H * C)),
                ("fc2_b", ctypes.c_float * C)]
    shapes = {"fc1_W": (D, H), "fc1_b": (H,), "fc2_W": (H, C), "fc2_b": (C,)}

    def arrays(self):
        """NumPy views of the fields: writing to them writes the struct."""
        return {name: np.ctypeslib.as_array(getattr(self, name)).reshape(shape)
                for name, shape in self.shapes.items()}


def load(path):
    lib = ctypes.CDLL(path)
    P = ctypes.POINTER(Params)
    sigs = {
        # int32_t net_init(int64_t seed, net_params_t *params_out, void *ws);
        "net_init": [i64, P, ctypes.c_void_p],
        # int32_t net_loss(const net_params_t *params, const float *x,
        #                  int64_t x_d0, int64_t x_d1, const int32_t *y,
        #                  int64_t y_d0, float *out0, void *workspace);
        "net_loss": [P, c_float_p, i64, i64, c_int32_p, i64, c_float_p,
                     ctypes.c_void_p],
        # int32_t net_vg(..., const int32_t *y, int64_t y_d0, float reg,
        #                float *value, net_grads_t *grads, void *workspace);
        "net_vg": [P, c_float_p, i64, i64, c_int32_p, i64, ctypes.c_float,
                   c_float_p, P, ctypes.c_void_p],
        # int32_t net_predict(const net_params_t *params, const float *x,
        #                     int64_t x_d0, int64_t x_d1, int64_t *out0,
        #                     void *workspace);
        "net_predict": [P, c_float_p, i64, i64, c_int64_p, ctypes.c_void_p],
    }
    for name, argtypes in sigs.items():
        fn = getattr(lib, name)
        fn.argtypes = argtypes
        fn.restype = ctypes.c_int32
    lib.net_vg_workspace_size.argtypes = [i64]
    lib.net_vg_workspace_size.restype = i64
    return lib


def check(status, what):
    if status != 0:
        raise RuntimeError("%s returned status %d" % (what, status))


def spiral(N=100, K=3, seed=0):
    """CS231n's spiral data: K classes of N points each."""
    rng = np.random.default_rng(seed)
    X = np.zeros((N * K, D), dtype=np.float32)
    y = np.zeros(N * K, dtype=np.int32)
    for j in range(K):
        ix = range(N * j, N * (j + 1))
        r = np.linspace(0.0, 1, N)
        t = np.linspace(j * 4, (j + 1) * 4, N) + rng.standard_normal(N) * 0.2
        X[ix] = np.c_[r * np.sin(t), r * np.cos(t)]
        y[ix] = j
    return X, y


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: two_layer_net.py PATH/TO/libnet.so [steps]")
    lib = load(sys.argv[1])
    steps = int(sys.argv[2]) if len(sys.argv) == 3 else 2000

    X, y = spiral()
    X = np.ascontiguousarray(X)      # row-major float32, as the ABI wants
    B = X.shape[0]
    xp = X.ctypes.data_as(c_float_p)
    yp = y.ctypes.data_as(c_int32_p)

    params, grads = Params(), Params()
    check(lib.net_init(1, ctypes.byref(params), None), "net_init")
    p, g = params.arrays(), grads.arrays()
    print("fc1.W: shape %s, std %.2f (He: %.2f)"
          % (p["fc1_W"].shape, p["fc1_W"].std(), np.sqrt(2.0 / D)))

    # A workspace allocated once (None would make every call allocate one).
    workspace = np.empty(lib.net_vg_workspace_size(B), dtype=np.uint8)
    ws = workspace.ctypes.data_as(ctypes.c_void_p)

    loss = ctypes.c_float()
    for step in range(steps + 1):
        check(lib.net_vg(ctypes.byref(params), xp, B, D, yp, B, 1e-3,
                         ctypes.byref(loss), ctypes.byref(grads), ws),
              "net_vg")
        if step % 500 == 0:
            print("step %5d: loss %.6f" % (step, loss.value))
        if step < steps:
            for name in p:
                p[name] -= 1.0 * g[name]      # updates the struct in place

    # The data loss alone, and the predictions.
    check(lib.net_loss(ctypes.byref(params), xp, B, D, yp, B,
                       ctypes.byref(loss), None), "net_loss")
    print("data loss: %.4f" % loss.value)
    predicted = np.empty(B, dtype=np.int64)
    check(lib.net_predict(ctypes.byref(params), xp, B, D,
                          predicted.ctypes.data_as(c_int64_p), None),
          "net_predict")
    accuracy = np.mean(predicted == y)
    print("training accuracy: %.2f" % accuracy)

    # Wrong sizes are refused before anything is read: status 1.
    status = lib.net_predict(ctypes.byref(params), xp, B, 3,
                             predicted.ctypes.data_as(c_int64_p), None)
    print("x with 3 columns: status %d" % status)
    sys.exit(0 if accuracy >= 0.95 else 1)


if __name__ == "__main__":
    main()
