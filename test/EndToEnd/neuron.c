// The sigmoid neuron of examples/neuron.nn against the lecture's hand-written
// forward and backward pass, computed here in C with exp() from <math.h>, and
// against the published values. Each value must agree to 1e-12 (absolute).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %examples/neuron.nn -c -o %t/neuron.o --header %t/neuron.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror %inc %s %t/neuron.o -lm -o %t/neuron
// RUN: %t/neuron | FileCheck %s
// The same at every optimization level: -O0 and -O3 (-O2 is the default).
// RUN: %nnc %examples/neuron.nn -O0 -c -o %t/neuron0.o
// RUN: %cc %inc %s %t/neuron0.o -lm -o %t/neuron0
// RUN: %t/neuron0 | FileCheck %s
// RUN: %nnc %examples/neuron.nn -O3 -c -o %t/neuron3.o
// RUN: %cc %inc %s %t/neuron3.o -lm -o %t/neuron3
// RUN: %t/neuron3 | FileCheck %s
// CHECK: neuron = 0.731058578630
// CHECK-NEXT: dw0 = -0.196611933241
// CHECK-NEXT: dx0 = 0.393223866483
// CHECK-NEXT: dw1 = -0.393223866483
// CHECK-NEXT: dx1 = -0.589835799724
// CHECK-NEXT: dw2 = 0.196611933241
// CHECK-NEXT: ok

#include "neuron.h"

#include <math.h>
#include <stdio.h>

static int failures;

static void expect(const char *what, double got, double want) {
  if (!(fabs(got - want) <= 1e-12)) {
    printf("MISMATCH %s: got %.17g, want %.17g\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  double w[3] = {2, -3, -3}, x[2] = {-1, -2};

  // The lecture's forward pass...
  double dot = w[0] * x[0] + w[1] * x[1] + w[2];
  double f = 1.0 / (1 + exp(-dot));
  // ...and its backward pass, written by hand.
  double ddot = (1 - f) * f;
  double dx_ref[2] = {w[0] * ddot, w[1] * ddot};
  double dw_ref[3] = {x[0] * ddot, x[1] * ddot, 1.0 * ddot};

  double out = neuron(w[0], x[0], w[1], x[1], w[2]);
  double dw0 = 99, dx0 = 99, dw1 = 99, dx1 = 99, dw2 = 99;
  dneuron(w[0], x[0], w[1], x[1], w[2], &dw0, &dx0, &dw1, &dx1, &dw2);
  printf("neuron = %.12f\n", out);
  printf("dw0 = %.12f\ndx0 = %.12f\ndw1 = %.12f\ndx1 = %.12f\ndw2 = %.12f\n",
         dw0, dx0, dw1, dx1, dw2);

  expect("neuron vs C", out, f);
  expect("dw0 vs C", dw0, dw_ref[0]);
  expect("dx0 vs C", dx0, dx_ref[0]);
  expect("dw1 vs C", dw1, dw_ref[1]);
  expect("dx1 vs C", dx1, dx_ref[1]);
  expect("dw2 vs C", dw2, dw_ref[2]);

  // The published values.
  expect("neuron", out, 0.7310585786300049);
  expect("dw0", dw0, -0.19661193324148185);
  expect("dx0", dx0, 0.3932238664829637);
  expect("dw1", dw1, -0.3932238664829637);
  expect("dx1", dx1, -0.5898357997244456);
  expect("dw2", dw2, 0.19661193324148185);

  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
