"""Calls tensor functions of a shared library through ctypes with NumPy
arrays and compares them with NumPy: the status ABI needs nothing but
pointers to contiguous row-major data, one int64 per axis, and the
out-arrays the caller allocates."""
import ctypes
import sys

import numpy as np

lib = ctypes.CDLL(sys.argv[1])
f64p = np.ctypeslib.ndpointer(dtype=np.float64, flags="C_CONTIGUOUS")
i64 = ctypes.c_int64
rng = np.random.default_rng(0)

lib.matmuls.restype = ctypes.c_int32
lib.matmuls.argtypes = [f64p, i64, i64, f64p, i64, i64, f64p, i64,
                        f64p, f64p, f64p, ctypes.POINTER(ctypes.c_double),
                        ctypes.c_void_p]
m, k, n = 7, 130, 260
a, b, v = rng.standard_normal((m, k)), rng.standard_normal((k, n)), rng.standard_normal(k)
mm, mv, vm, vv = np.empty((m, n)), np.empty(m), np.empty(n), ctypes.c_double()
rc = lib.matmuls(a, m, k, b, k, n, v, k, mm, mv, vm, ctypes.byref(vv), None)
assert rc == 0, rc
assert np.allclose(mm, a @ b, rtol=1e-12, atol=1e-12)
assert np.allclose(mv, a @ v) and np.allclose(vm, v @ b) and np.isclose(vv.value, v @ v)
print("matmuls ok")

lib.softmaxes.restype = ctypes.c_int32
lib.softmaxes.argtypes = [f64p, i64, i64, f64p, f64p, f64p, f64p, ctypes.c_void_p]
x = rng.standard_normal((5, 9)) * 300
s, l, e, s0 = np.empty_like(x), np.empty_like(x), np.empty(5), np.empty_like(x)
assert lib.softmaxes(x, 5, 9, s, l, e, s0, None) == 0


def softmax(z, axis):
    z = z - z.max(axis=axis, keepdims=True)
    return np.exp(z) / np.exp(z).sum(axis=axis, keepdims=True)


lse = x.max(axis=1) + np.log(np.exp(x - x.max(axis=1, keepdims=True)).sum(axis=1))
assert np.allclose(s, softmax(x, 1)) and np.allclose(s0, softmax(x, 0))
assert np.allclose(l, x - lse[:, None]) and np.allclose(e, lse)
assert np.all(np.isfinite(l)) and np.allclose(s.sum(axis=1), 1)
print("softmaxes ok")

# A shape error returns NNC_ERR_SHAPE (1) and writes nothing.
mm[:] = 7
assert lib.matmuls(a, m, k, b, k + 1, n, v, k, mm, mv, vm, ctypes.byref(vv), None) == 1
assert np.all(mm == 7)
print("shape error ok")
