// Calls the sigmoid neuron compiled by nnc from examples/neuron.nn, and its
// gradient. scripts/demo.sh builds and runs it from the repository root:
//   build/bin/nnc examples/neuron.nn -c -o build/demo/neuron.o
//                 --header build/demo/neuron.h
//   cc -I build/demo examples/neuron_main.c build/demo/neuron.o -lm
//      -o build/demo/neuron
#include "neuron.h"

#include <stdio.h>

int main(void) {
  double w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3;

  // The forward pass: sigmoid(w0 * x0 + w1 * x1 + w2) = sigmoid(1).
  double out = neuron(w0, x0, w1, x1, w2);
  printf("neuron(%g, %g, %g, %g, %g) = %.4f\n", w0, x0, w1, x1, w2, out);

  // The backward pass: a function returning a tuple returns void and writes
  // each component through a pointer appended after its inputs.
  double dw0, dx0, dw1, dx1, dw2;
  dneuron(w0, x0, w1, x1, w2, &dw0, &dx0, &dw1, &dx1, &dw2);
  printf("grad = (%.4f, %.4f, %.4f, %.4f, %.4f)\n", dw0, dx0, dw1, dx1, dw2);
  return 0;
}
