// erf and gelu as generated code computes them (lib/CodeGen/ScalarErf.cpp:
// polynomials, no libm erf), measured in ulps against long double erfl and
// erfcl over a dense grid, in f64 and f32, in tensor loops and in scalar
// functions (which must agree bit for bit), and at the extremes.
// unittests/Support/ErfTest.cpp measures the constant folder's twin the
// same way. -DWRONG nudges one result by 2 ulps and one to NaN: the check
// must fail.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/erf_gelu.nn -c -o %t/erf_gelu.o --header %t/erf_gelu.h
// RUN: %cc -std=c99 -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/erf_gelu.o -lm -o %t/erf
// RUN: %t/erf | FileCheck %s
// RUN: %cc -std=c99 -ffp-contract=off -DWRONG %inc %s %t/erf_gelu.o -lm -o %t/erf-wrong
// RUN: not %t/erf-wrong | FileCheck %s --check-prefix=WRONG
// CHECK-NOT: MISMATCH
// CHECK: erf64: worst {{0\.|1\.[0-2]}}{{[0-9]*}} ulp
// CHECK: gelu64: worst {{[0-9]\.|1[0-5]\.}}{{[0-9]*}} ulp
// CHECK: erf32: worst 0.5{{[0-9]*}} ulp
// CHECK: gelu32: worst 0.5{{[0-9]*}} ulp
// CHECK: all ok
// WRONG: MISMATCH erf64
// WRONG: MISMATCH erf64

#include "erf_gelu.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N 400001
static int failures;

/* |got - want| in ulps of want rounded to the result's type; a NaN on one
   side only is infinitely wrong. */
static double ulps(long double got, long double want, int single) {
  double w = single ? (double)(float)want : (double)want;
  if (isnan(got) || isnan(w))
    return isnan(got) && isnan(w) ? 0 : INFINITY;
  double ulp = single ? (double)(nextafterf((float)fabs(w), INFINITY) -
                                 (float)fabs(w))
                      : nextafter(fabs(w), INFINITY) - fabs(w);
  return (double)(fabsl(got - want) / ulp);
}

static long double ref_gelu(long double x) {
  return x * 0.5L * erfcl(-x / sqrtl(2.0L));
}

/* Reports the worst error; it fails above bound (a NaN error fails too). */
static void report(const char *what, double worst, double at, double bound) {
  printf("%s: worst %.3f ulp at %.5f\n", what, worst, at);
  if (!(worst <= bound)) {
    printf("MISMATCH %s: %.3f ulp > %.1f\n", what, worst, bound);
    ++failures;
  }
}

int main(void) {
  static double x[N], y[N], g[N];
  static float xf[N], yf[N], gf[N];
  for (int i = 0; i < N; ++i) {
    x[i] = -10.0 + i * 5e-5; /* [-10, 10] */
    xf[i] = (float)x[i];
  }
  if (erf64(x, N, y, NULL) || gelu64(x, N, g, NULL) ||
      erf32(xf, N, yf, NULL) || gelu32(xf, N, gf, NULL)) {
    printf("MISMATCH status\n");
    return 1;
  }
#ifdef WRONG
  y[206000] = nextafter(nextafter(y[206000], 2.0), 2.0); /* x = 0.3 */
#endif
  double w[4] = {0}, at[4] = {0};
  int scalar_mismatch = 0;
  for (int i = 0; i < N; ++i) {
    double e[4] = {ulps(y[i], erfl(x[i]), 0),
                   fabs(x[i]) < 37 ? ulps(g[i], ref_gelu(x[i]), 0) : 0,
                   ulps(yf[i], erfl(xf[i]), 1),
                   ulps(gf[i], ref_gelu(xf[i]), 1)};
    for (int k = 0; k < 4; ++k)
      if (!(e[k] <= w[k])) {
        w[k] = e[k];
        at[k] = x[i];
      }
    /* The tensor loop and the scalar function compute the same bits. */
    double s = erf_scalar(x[i]), t = gelu_scalar(x[i]);
    if ((memcmp(&s, &y[i], sizeof s) || memcmp(&t, &g[i], sizeof t)) &&
        !scalar_mismatch) {
      printf("MISMATCH scalar vs tensor at %.17g\n", x[i]);
      ++failures;
      scalar_mismatch = 1;
    }
  }
  report("erf64", w[0], at[0], 1.3);
  report("gelu64", w[1], at[1], 16);
  report("erf32", w[2], at[2], 0.51);
  report("gelu32", w[3], at[3], 0.51);
#ifdef WRONG
  /* A NaN where a number belongs must fail the same check. */
  report("erf64", ulps(NAN, erfl(0.5L), 0), 0.5, 1.3);
#endif

  /* Extremes: the limits, signed zero, NaN, the smallest numbers. */
  double in[] = {INFINITY, -INFINITY, NAN, -0.0, 1e-300, 4.9e-324, 6.0, 1e300,
                 -40.0};
  double want_erf[] = {1, -1, NAN, -0.0, 1.1283791670955126e-300, 4.9e-324,
                       1, 1, -1};
  double want_gelu[] = {INFINITY, NAN, NAN, -0.0, 5e-301, 0, 6.0 - 5.92e-9,
                        1e300, -0.0};
  for (int i = 0; i < 9; ++i) {
    double e = erf_scalar(in[i]), gl = gelu_scalar(in[i]);
    int ok_e = isnan(want_erf[i]) ? isnan(e)
                                  : e == want_erf[i] &&
                                        signbit(e) == signbit(want_erf[i]);
    int ok_g = isnan(want_gelu[i]) ? isnan(gl)
                                   : (gl == want_gelu[i] ||
                                      fabs(gl - want_gelu[i]) <=
                                          1e-10 * fabs(want_gelu[i])) &&
                                         signbit(gl) == signbit(want_gelu[i]);
    if (!ok_e || !ok_g) {
      printf("MISMATCH extreme %g: erf %.17g gelu %.17g\n", in[i], e, gl);
      ++failures;
    }
  }
  if (failures)
    return 1;
  printf("all ok\n");
  return 0;
}
