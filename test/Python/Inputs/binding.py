"""The package binds every function of a module from its signature file:
scalar and tensor functions, dimension variables from the arrays given,
dtype conversion, and each error as its nnc.Error."""
import json
import os
import sys

import numpy as np

import nnc

m = nnc.load(sys.argv[1])
print(sorted(m.functions))

# The scalar ABI: by value, a NumPy scalar of the result's type back.
v = m.neuron(2.0, -1.0, -3.0, -2.0, -3.0)
print("neuron = %.10f %s" % (v, type(v).__name__))
print("dneuron = (%s)" % ", ".join("%.10f" % g for g in
                                   m.dneuron(2, -1, -3, -2, -3)))
print("keywords: %.10f" % m.neuron(w0=2, x0=-1, w1=-3, x1=-2, w2=-3))

# A scaled dimension: n is bound from x's 2*n axis, the result has n.
out = m.half(np.arange(6.0), 2.0)
print("half:", out.tolist(), out.dtype)
# A list, and integers for an f64 argument, are converted.
print("half of a list:", m.half([1, 2, 3, 4], int=1).tolist())
print(m.half.__doc__)

# The instance: forward on its initialized parameters (net_init(0)).
x = np.linspace(-1, 1, 8, dtype=np.float32).reshape(2, 4)
scores = m.net.forward(x)
print("forward:", scores.shape, scores.dtype)
# float64 data for an f32 model is converted, not refused.
assert np.array_equal(m.net.forward(x.astype(np.float64)), scores)
# A non-contiguous array is made contiguous.
xt = np.asfortranarray(x)
assert not xt.flags.c_contiguous
assert np.array_equal(m.net.forward(xt), scores)
# The module-level name is the same method.
assert np.array_equal(m.net_forward(x), scores)


def expect(cls, f, *args, **kwargs):
    try:
        f(*args, **kwargs)
    except cls as e:
        assert isinstance(e, nnc.Error) or cls is AttributeError
        print("%s: %s" % (cls.__name__, e))
        return e
    print("FAIL: no %s" % cls.__name__)
    sys.exit(1)


expect(nnc.ShapeError, m.net.forward, np.zeros((2, 5), np.float32))
expect(nnc.ShapeError, m.net.forward, np.zeros(4, np.float32))
expect(nnc.ShapeError, m.half, np.zeros(5), 1.0)
y = np.array([0, 2], np.int32)
expect(nnc.ShapeError, m.net.loss, x, np.array([0, 1, 2], np.int32))
e = expect(nnc.LabelError, m.net.loss, x, np.array([0, 3], np.int32))
print("status", e.status, "is an IndexError:", isinstance(e, IndexError))
expect(nnc.DTypeError, m.net.loss, x, np.array([0.0, 1.0]))
expect(nnc.DTypeError, m.net.loss, x, np.array([0, 2**40]))
expect(nnc.DTypeError, m.neuron, "2", 1, 1, 1, 1)
expect(nnc.UsageError, m.neuron, 1, 2)
expect(nnc.UsageError, m.neuron, 1, 2, 3, 4, 5, w9=1)
expect(nnc.UsageError, m.net.train_step, x, y, lr=0.1)
expect(AttributeError, getattr, m.net, "backward")

# A signature of another version is refused, naming the file.
sig = json.load(open(m.signature_path))
sig["nnc_abi"] = 2
bad = os.path.join(sys.argv[2], "v2.json")
json.dump(sig, open(bad, "w"))
expect(nnc.SignatureError, nnc.Module, m.library, bad)

# Source that does not compile: nnc's diagnostics in the exception.
e = expect(nnc.CompileError, nnc.loads, "fn f(x) = x +;", name="bad.nn")
