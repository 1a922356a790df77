/* The lecture's neuron at w = (2, -3, -3), x = (-1, -2): its value and the
   gradient by every input, from the model nnc_add_model compiled. */
#include "neuron.h"
#include <stdio.h>

int main(void) {
  double g[5];
  double f = demo_neuron(2, -1, -3, -2, -3);
  demo_dneuron(2, -1, -3, -2, -3, &g[0], &g[1], &g[2], &g[3], &g[4]);
  printf("neuron = %.6f\n", f);
  printf("grad = %.6f %.6f %.6f %.6f %.6f\n", g[0], g[1], g[2], g[3], g[4]);
  return 0;
}
