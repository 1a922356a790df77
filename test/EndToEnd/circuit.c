// The first circuit of the backpropagation lecture, examples/circuit.nn:
//   fn f(x, y, z) = (x + y) * z;  fn df = grad(f);
// f(-2, 5, -4) = -12 and grad(f)(-2, 5, -4) = (-4, -4, 3), all exactly: every
// intermediate value is a small integer, so a correct gradient has no
// rounding error and the test compares with ==.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %examples/circuit.nn -c -o %t/circuit.o --header %t/circuit.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror %inc %s %t/circuit.o -lm -o %t/circuit
// RUN: %t/circuit | FileCheck %s
// CHECK: f(-2, 5, -4) = -12
// CHECK-NEXT: df(-2, 5, -4) = (-4, -4, 3)
// CHECK-NEXT: df(1.5, 0.25, 2) = (2, 2, 1.75)
// CHECK-NEXT: ok

#include "circuit.h"

#include <stdio.h>

static int failures;

static void expect(const char *what, double got, double want) {
  if (got != want) {
    printf("MISMATCH %s: got %.17g, want %.17g\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  double x = -2, y = 5, z = -4;
  double v = f(x, y, z);
  printf("f(%g, %g, %g) = %g\n", x, y, z, v);
  expect("f", v, -12);

  // Poison the outputs so a function that forgets to write one is caught.
  double dx = 99, dy = 99, dz = 99;
  df(x, y, z, &dx, &dy, &dz);
  printf("df(%g, %g, %g) = (%g, %g, %g)\n", x, y, z, dx, dy, dz);
  expect("dx", dx, -4);
  expect("dy", dy, -4);
  expect("dz", dz, 3);

  // d/dx = d/dy = z, d/dz = x + y (exact in binary floating point here).
  x = 1.5, y = 0.25, z = 2;
  df(x, y, z, &dx, &dy, &dz);
  printf("df(%g, %g, %g) = (%g, %g, %g)\n", x, y, z, dx, dy, dz);
  expect("dx", dx, 2);
  expect("dy", dy, 2);
  expect("dz", dz, 1.75);

  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
