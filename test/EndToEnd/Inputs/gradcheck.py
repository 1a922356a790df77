#!/usr/bin/env python3
"""Checks compiled gradients against central finite differences.

Usage: gradcheck.py LIB.so HEADER.h SOURCE.nn

SOURCE.nn names what to check in comment lines:

    // GRADCHECK: f (1.5, 2.0) (0.3, -0.7) (2.2, 0.1)

For function `f` and every point, the derived function `f__grad` (declared in
the source as `fn f__grad = grad(f);`) must match the finite-difference
gradient of `f` with relative error <= 1e-7; a NaN or inf on either side
fails. The finite difference is central
with Richardson extrapolation, (4 D(h/2) - D(h)) / 3, whose error is O(h^4):
far below the tolerance, so the check measures the derivative, not the
difference formula. Signatures are read from the generated C header.
"""
import ctypes
import math
import re
import sys

CTYPES = {"double": ctypes.c_double, "float": ctypes.c_float,
          "int32_t": ctypes.c_int32, "int64_t": ctypes.c_int64,
          "bool": ctypes.c_bool}
TOL = 1e-7


def read_signatures(header):
    sigs = {}
    pat = re.compile(r"^(\w+) (\w+)\((.*)\);$")
    for line in open(header):
        m = pat.match(line.strip())
        if not m:
            continue
        ret, name, params = m.groups()
        ins, outs = [], []
        if params != "void":
            for p in params.split(", "):
                ty, pname = p.rsplit(" ", 1)
                if pname.startswith("*"):
                    outs.append(ty)
                else:
                    ins.append(ty)
        sigs[name] = (ret, ins, outs)
    return sigs


def bind(lib, name, sig):
    ret, ins, outs = sig
    fn = getattr(lib, name)
    fn.argtypes = [CTYPES[t] for t in ins] + [ctypes.POINTER(CTYPES[t]) for t in outs]
    fn.restype = None if ret == "void" else CTYPES[ret]

    def call(*args):
        if ret != "void":
            return [fn(*args)]
        cells = [CTYPES[t]() for t in outs]
        fn(*args, *[ctypes.byref(c) for c in cells])
        return [c.value for c in cells]
    return call


def central(f, x, i, h):
    xp, xm = list(x), list(x)
    xp[i] += h
    xm[i] -= h
    return (f(*xp)[0] - f(*xm)[0]) / (2 * h)


def numeric_grad(f, x, i):
    h = 1e-3 * max(1.0, abs(x[i]))
    return (4 * central(f, x, i, h / 2) - central(f, x, i, h)) / 3


def main():
    lib_path, header, source = sys.argv[1:4]
    lib = ctypes.CDLL(lib_path)
    sigs = read_signatures(header)
    checks = []
    for line in open(source):
        m = re.match(r"\s*//\s*GRADCHECK:\s*(\w+)\s+(.*)$", line)
        if m:
            points = [tuple(float(v) for v in p.split(","))
                      for p in re.findall(r"\(([^)]*)\)", m.group(2))]
            checks.append((m.group(1), points))
    if not checks:
        sys.exit("no GRADCHECK lines in " + source)
    failures = 0
    worst = 0.0
    count = 0
    for name, points in checks:
        f = bind(lib, name, sigs[name])
        g = bind(lib, name + "__grad", sigs[name + "__grad"])
        for x in points:
            analytic = g(*x)
            for i, a in enumerate(analytic):
                n = numeric_grad(f, x, i)
                # NaN or inf on either side is a failure, even inf == inf
                # (and max(0.0, nan) would drop a NaN from the worst).
                if not (math.isfinite(a) and math.isfinite(n)):
                    err = math.inf
                else:
                    err = abs(a - n) / max(abs(a), abs(n), 1e-12)
                count += 1
                worst = max(worst, err)
                status = "ok" if err <= TOL else "FAIL"
                if err > TOL:
                    failures += 1
                print("%s %s d/dx%d at %s: analytic %.17g numeric %.17g rel %.2e"
                      % (status, name, i, x, a, n, err))
    print("gradcheck: %d partials, %d failed, worst relative error %.2e"
          % (count, failures, worst))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
