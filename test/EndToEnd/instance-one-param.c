// An instance with one parameter: its initializer returns the parameter
// itself (the language has no 1-tuples) into the struct, and --emit=nn of
// the module reads back.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/one_param.nn -c -o %t/one_param.o --header %t/one_param.h
// RUN: %cc %inc %s %t/one_param.o -lm -o %t/exe
// RUN: %t/exe | FileCheck %s
// RUN: %nnc %S/Inputs/one_param.nn --emit=nn | %nnc - --emit=nn | FileCheck %s --check-prefix=NN
// NN: fn p_init(seed: i64) -> f64[3] {
#include "one_param.h"
#include <stdio.h>

int main(void) {
  p_params_t p;
  if (p_init(7, &p, NULL) != NNC_OK)
    return 1;
  // rand() is in [0, 1), plus n = 3.
  for (int i = 0; i < 3; ++i)
    if (!(p.W[i] >= 3 && p.W[i] < 4))
      return 2;
  double x[3] = {1, 2, 3}, dx[3];
  p_grads_t g;
  if (gp(&p, x, 3, &g, dx, NULL) != NNC_OK)
    return 3;
  // d sum(x * W) / dW = x, / dx = W.
  printf("dW = %g %g %g, dx == W: %d\n", g.W[0], g.W[1], g.W[2],
         dx[0] == p.W[0] && dx[1] == p.W[1] && dx[2] == p.W[2]);
  // CHECK: dW = 1 2 3, dx == W: 1
  return 0;
}
