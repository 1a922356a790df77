#!/usr/bin/env python3
"""Fits the polynomials of nnc's erf (include/nnc/Support/Erf.h).

erf has no LLVM intrinsic, and a libm call would stop the loops that
gelu runs in from vectorizing, so nnc evaluates it with polynomials:

  |x| < 1:   erf(x)  = x + x P(x^2)                    (P of degree 12)
  |x| >= 1:  erfc(t) = exp(-t^2) R_k(t - c_k), t = |x|  (three pieces of
             degree 16 on [1, 2), [2, 3.25), [3.25, 6)), and for t >= 6
             erfc(t) = exp(-t^2) u R_3(u - 1/12), u = 1 / t (u R_3 -> 1 / sqrt(pi):
             gelu needs erfc itself far into the tail, where erf is 1)

Each polynomial is a Chebyshev fit by mpmath (close to the minimax one) at
40 digits, its coefficients printed rounded to double. Run with Debian's
/usr/bin/python3 (python3-mpmath) to regenerate the header's tables:

  /usr/bin/python3 scripts/fit-erf.py
"""
import mpmath as mp

mp.mp.dps = 40
PIECES = [(1.0, 2.0), (2.0, 3.25), (3.25, 6.0)]
SMALL_DEGREE, TAIL_DEGREE = 12, 16


def small(y):
    # erf(x) / x - 1: adding x last rounds once, near the result.
    if y == 0:
        return 2 / mp.sqrt(mp.pi) - 1
    x = mp.sqrt(y)
    return mp.erf(x) / x - 1


def main():
    p, err = mp.chebyfit(small, [0, 1], SMALL_DEGREE + 1, error=True)
    print("// erf(x) / x - 1 as a polynomial in x^2 on [0, 1], highest degree first")
    print("// (fit error %s)." % mp.nstr(err, 3))
    print("inline constexpr double SmallPoly[%d] = {" % len(p))
    print(",\n".join("    %s" % repr(float(c)) for c in p) + "};")
    print("// erfc(t) e^(t^2) on [lo, hi), in powers of t - (lo + hi) / 2, and")
    print("// erfc(t) e^(t^2) t on [6, inf) in powers of 1 / t - 1 / 12; highest")
    print("// degree first.")
    print("inline constexpr double TailPoly[4][%d] = {" % (TAIL_DEGREE + 1))
    for lo, hi in PIECES:
        c = (lo + hi) / 2
        f = lambda s: mp.erfc(c + s) * mp.exp((c + s) ** 2)
        q, err = mp.chebyfit(f, [lo - c, hi - c], TAIL_DEGREE + 1, error=True)
        print("    // [%s, %s): fit error %s" % (lo, hi, mp.nstr(err, 3)))
        print("    {" + ",\n     ".join(repr(float(v)) for v in q) + "},")
    c = 1.0 / 12

    def g(s):
        u = c + s
        return 1 / mp.sqrt(mp.pi) if u == 0 else mp.erfc(1 / u) * mp.exp(1 / u ** 2) / u

    q, err = mp.chebyfit(g, [-c, c], TAIL_DEGREE + 1, error=True)
    print("    // [6, inf), in powers of 1 / t - 1 / 12: fit error %s" % mp.nstr(err, 3))
    print("    {" + ",\n     ".join(repr(float(v)) for v in q) + "},")
    print("};")


if __name__ == "__main__":
    main()
