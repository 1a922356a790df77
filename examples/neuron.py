#!/usr/bin/env python3
"""Calls the sigmoid neuron of examples/neuron.nn from Python through ctypes.

Build the shared library first, then pass its path:

    build/bin/nnc examples/neuron.nn -shared -o libneuron.so
    python3 examples/neuron.py ./libneuron.so

The ABI is described in docs/abi.md: scalars are passed by value, a scalar
result is returned, and a function with several results (here the gradient
`dneuron`) returns void and writes each result through a pointer appended
after its inputs.
"""
import ctypes
import sys


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: neuron.py PATH/TO/libneuron.so")
    lib = ctypes.CDLL(sys.argv[1])

    # double neuron(double w0, double x0, double w1, double x1, double w2);
    lib.neuron.argtypes = [ctypes.c_double] * 5
    lib.neuron.restype = ctypes.c_double

    # void dneuron(double w0, double x0, double w1, double x1, double w2,
    #              double *dw0, double *dx0, double *dw1, double *dx1,
    #              double *dw2);
    lib.dneuron.argtypes = ([ctypes.c_double] * 5 +
                            [ctypes.POINTER(ctypes.c_double)] * 5)
    lib.dneuron.restype = None

    # The lecture's example: w = (2, -3, -3), x = (-1, -2).
    w0, x0, w1, x1, w2 = 2.0, -1.0, -3.0, -2.0, -3.0
    out = lib.neuron(w0, x0, w1, x1, w2)
    print("neuron =", repr(out))

    grads = [ctypes.c_double() for _ in range(5)]
    lib.dneuron(w0, x0, w1, x1, w2, *[ctypes.byref(g) for g in grads])
    for name, g in zip(["dw0", "dx0", "dw1", "dx1", "dw2"], grads):
        print(name, "=", repr(g.value))


if __name__ == "__main__":
    main()
