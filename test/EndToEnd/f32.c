// f32 functions and their gradients: the C signatures use float, and every
// value is the float computation C does, bit for bit (libm's expf, tanhf...).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/f32.nn -c -o %t/f32.o --header %t/f32.h
// RUN: FileCheck --check-prefix=HDR --input-file=%t/f32.h %s
// RUN: %cc -std=c99 -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/f32.o -lm -o %t/f32
// RUN: %t/f32 | FileCheck %s
// HDR-DAG: float fm(float x, float y);
// HDR-DAG: void dfm(float x, float y, float *dx, float *dy);
// HDR-DAG: void vgfm(float x, float y, float *value, float *dx, float *dy);
// HDR-DAG: float tenth(float x);
// HDR-DAG: double widen(float x);
// HDR-DAG: float narrow(double x);
// HDR-DAG: double dnarrow(double x);
// HDR-DAG: float scale(float x, int32_t k);
// HDR-DAG: float dscale(float x, int32_t k);
// CHECK: fm = -1.5, dfm = (-1, 1.5)
// CHECK-NEXT: vgfm = (-1.5, -1, 1.5)
// CHECK-NEXT: tenth(3) = 0.3000000119
// CHECK-NEXT: ok

#include "f32.h"

#include <math.h>
#include <stdio.h>

static int failures;

static void exact(const char *what, float x, float got, float want) {
  if (got != want) {
    printf("MISMATCH %s(%.9g): got %.9g, want %.9g\n", what, x, got, want);
    ++failures;
  }
}

int main(void) {
  // volatile: the C compiler must not fold these at compile time.
  volatile float x = 1.5f, y = -2.0f;
  float a = 99, b = 99, c = 99;

  exact("fm", x, fm(x, y), -1.5f);
  dfm(x, y, &a, &b);
  printf("fm = %g, dfm = (%g, %g)\n", fm(x, y), a, b);
  exact("dfm.dx", x, a, -1.0f);
  exact("dfm.dy", x, b, 1.5f);
  vgfm(x, y, &a, &b, &c);
  printf("vgfm = (%g, %g, %g)\n", a, b, c);
  exact("vgfm.value", x, a, -1.5f);
  exact("vgfm.dx", x, b, -1.0f);
  exact("vgfm.dy", x, c, 1.5f);

  for (volatile float t = -4.0f; t <= 4.0f; t += 0.625f) {
    float s = 1.0f / (1.0f + expf(-t)), th = tanhf(t);
    exact("fe", t, fe(t), expf(t));
    exact("ftanh", t, ftanh(t), th);
    exact("dftanh", t, dftanh(t), 1.0f - th * th);
    exact("fsig", t, fsig(t), s);
    exact("dfsig", t, dfsig(t), s * (1.0f - s));
    exact("scale", t, scale(t, 3), t * 3.0f);
    exact("dscale", t, dscale(t, 3), 3.0f);
    if (t > 0) {
      exact("flog", t, flog(t), logf(t));
      exact("fsqrt", t, fsqrt(t), sqrtf(t));
    }
  }

  // The literal 0.1 is an f32 in an f32 context: 3 * 0.1f, not (float)(3 * 0.1).
  volatile float three = 3.0f;
  exact("tenth", three, tenth(three), three * 0.1f);
  printf("tenth(3) = %.10f\n", tenth(three));
  volatile double tenth_d = 0.1;
  if (widen(0.1f) != (double)0.1f || narrow(tenth_d) != 0.1f ||
      dnarrow(tenth_d) != 1.0) {
    printf("MISMATCH conversions: %.17g %.9g %.17g\n", widen(0.1f),
           narrow(tenth_d), dnarrow(tenth_d));
    ++failures;
  }

  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
