// i32, i64 and bool parameters and results; the integer semantics the
// language defines where C leaves them undefined (division by zero gives 0,
// INT_MIN / -1 wraps, float-to-integer conversion saturates and NaN gives 0);
// select, if and the gradients through them (Inputs/integers.nn).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/integers.nn -c -o %t/integers.o --header %t/integers.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror %inc %s %t/integers.o -lm -o %t/integers
// RUN: %t/integers | FileCheck %s
// Constant folding (nnc's and LLVM's) must give the same answers as the code
// that runs: all checks again with nothing folded, and with -O3.
// RUN: %nnc %S/Inputs/integers.nn -O0 --passes= -c -o %t/integers0.o
// RUN: %cc %inc %s %t/integers0.o -lm -o %t/integers0
// RUN: %t/integers0 | FileCheck %s
// RUN: %nnc %S/Inputs/integers.nn -O3 -c -o %t/integers3.o
// RUN: %cc %inc %s %t/integers3.o -lm -o %t/integers3
// RUN: %t/integers3 | FileCheck %s
// CHECK: div32: 3 -3 -3 0 -2147483648 0
// CHECK-NEXT: toi32: 2147483647 -2147483648 0 -2 2
// CHECK-NEXT: several: 0 42 -0.75 63
// CHECK-NEXT: ok

#include "integers.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

#define EXPECT(expr, want)                                                     \
  do {                                                                         \
    long long got_ = (long long)(expr), want_ = (long long)(want);             \
    if (got_ != want_) {                                                       \
      printf("MISMATCH %s: got %lld, want %lld\n", #expr, got_, want_);        \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

#define EXPECT_F(expr, want)                                                   \
  do {                                                                         \
    double got_ = (expr), want_ = (want);                                      \
    if (got_ != want_) {                                                       \
      printf("MISMATCH %s: got %.17g, want %.17g\n", #expr, got_, want_);      \
      ++failures;                                                              \
    }                                                                          \
  } while (0)

int main(void) {
  // Truncating division; by zero gives 0; INT_MIN / -1 wraps to INT_MIN.
  EXPECT(div32(7, 2), 3);
  EXPECT(div32(-7, 2), -3);
  EXPECT(div32(7, -2), -3);
  EXPECT(div32(-7, -1), 7);
  EXPECT(div32(5, 0), 0);
  EXPECT(div32(0, 0), 0);
  EXPECT(div32(INT_MIN, -1), INT_MIN);
  EXPECT(div32(INT_MIN, 1), INT_MIN);
  printf("div32: %d %d %d %d %d %d\n", div32(7, 2), div32(-7, 2),
         div32(7, -2), div32(5, 0), div32(INT_MIN, -1), div32(0, 0));
  EXPECT(div64(5, 0), 0);
  EXPECT(div64(INT64_MIN, -1), INT64_MIN);
  EXPECT(div64(INT64_MAX, -1), -INT64_MAX);
  EXPECT(div64(INT64_C(1) << 40, 3), 366503875925);

  // Wrapping arithmetic.
  EXPECT(add32(INT_MAX, 1), INT_MIN);
  EXPECT(mul64(INT64_MAX, 2), -2);
  EXPECT(neg32(INT_MIN), INT_MIN);
  EXPECT(neg32(5), -5);
  EXPECT(widen(INT_MAX, 1), INT64_C(2147483648));
  EXPECT_F(half(3), 1.5);

  // Float to integer: truncation toward zero, saturation, NaN gives 0.
  EXPECT(toi32(2.7), 2);
  EXPECT(toi32(-2.7), -2);
  EXPECT(toi32(-0.5), 0);
  EXPECT(toi32(1e300), INT_MAX);
  EXPECT(toi32(-1e300), INT_MIN);
  EXPECT(toi32(INFINITY), INT_MAX);
  EXPECT(toi32(-INFINITY), INT_MIN);
  EXPECT(toi32(NAN), 0);
  EXPECT(toi32(2147483647.9), INT_MAX);
  EXPECT(toi32(2147483648.0), INT_MAX);
  EXPECT(toi32(-2147483648.9), INT_MIN);
  printf("toi32: %d %d %d %d %d\n", toi32(1e300), toi32(-1e300), toi32(NAN),
         toi32(-2.7), toi32(2.7));
  EXPECT(toi64(1e18), INT64_C(1000000000000000000));
  EXPECT(toi64(1e300), INT64_MAX);
  EXPECT(toi64(-INFINITY), INT64_MIN);
  EXPECT(toi64(NAN), 0);
  EXPECT(f32toi32(3e10f), INT_MAX);
  EXPECT(f32toi32(-3e10f), INT_MIN);
  EXPECT(f32toi32(-3.5f), -3);
  EXPECT(f32toi32(NAN), 0);
  // i64 to i32 keeps the low 32 bits.
  EXPECT(trunc64(INT64_C(0x100000005)), 5);
  EXPECT(trunc64(INT64_C(0x80000000)), INT_MIN);
  EXPECT(trunc64(-1), -1);
  EXPECT(trunc64(INT64_MIN), 0);
  EXPECT_F(tof(-3), -3.0);
  EXPECT_F(tof(INT64_MAX), 9223372036854775808.0);

  // bool results are 0 or 1, as C's bool, also seen as a byte.
  EXPECT(isneg(-1), 1);
  EXPECT(isneg(2), 0);
  EXPECT(isneg(-0.0), 0);
  EXPECT(isneg(NAN), 0);
  EXPECT(isnan_(NAN), 1);
  EXPECT(isnan_(1), 0);
  bool r = isneg(-1);
  unsigned char byte;
  memcpy(&byte, &r, 1);
  EXPECT(byte, 1);
  EXPECT(xor_(false, false), 0);
  EXPECT(xor_(true, false), 1);
  EXPECT(xor_(false, true), 1);
  EXPECT(xor_(true, true), 0);
  EXPECT(btoi(true), 1);
  EXPECT(btoi(false), 0);

  // select and if choose a value...
  EXPECT_F(pick(true, 2, 3), 2);
  EXPECT_F(pick(false, 2, 3), 3);
  EXPECT_F(clamp(-5), -1);
  EXPECT_F(clamp(0.25), 0.25);
  EXPECT_F(clamp(7), 1);
  EXPECT_F(sel(1, 5), 4);
  EXPECT_F(sel(5, 1), 4);
  EXPECT(imax(3, -4), 3);
  EXPECT(iabs(-5), 5);
  EXPECT(iabs(INT64_MIN), INT64_MIN);
  EXPECT(irelu(-3), 0);
  EXPECT(irelu(4), 4);
  EXPECT_F(mixed(1.5, 4, true), 6);
  EXPECT_F(mixed(1.5, 4, false), -2.25);

  // ...and the gradient flows into the chosen arm only; integer and bool
  // parameters get no gradient (dmixed is the derivative in x alone).
  EXPECT_F(dmixed(1.5, 4, true), 4);
  EXPECT_F(dmixed(1.5, 4, false), -3);
  EXPECT_F(dclamp(-5), 0);
  EXPECT_F(dclamp(0.25), 1);
  EXPECT_F(dclamp(7), 0);
  double dx = 99, dy = 99;
  dsel(1, 5, &dx, &dy);
  EXPECT_F(dx, -1);
  EXPECT_F(dy, 1);
  dsel(5, 1, &dx, &dy);
  EXPECT_F(dx, 1);
  EXPECT_F(dy, -1);

  // A tuple of mixed types: one pointer per component, each of its C type.
  bool b = true;
  int32_t n = 0;
  double h = 0;
  int64_t m = 0;
  several(-1.5, 21, &b, &n, &h, &m);
  memcpy(&byte, &b, 1);
  EXPECT(byte, 0);
  EXPECT(n, 42);
  EXPECT_F(h, -0.75);
  EXPECT(m, 63);
  printf("several: %d %d %g %lld\n", b, n, h, (long long)m);
  several(2, -1, &b, &n, &h, &m);
  memcpy(&byte, &b, 1);
  EXPECT(byte, 1);

  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
