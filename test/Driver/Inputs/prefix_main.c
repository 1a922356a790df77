/* For ../prefix.test: calls the functions of prefix.nn under --prefix=nn_. */
#include "p.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  double dx, dy, dz;
  volatile double one = 1;
  printf("nn_f = %g\n", nn_f(-2, 5, -4));
  printf("nn_exp(1) = %g, exp(1) = %g\n", nn_exp(one), exp(one));
  nn_df(-2, 5, -4, &dx, &dy, &dz);
  printf("nn_df = (%g, %g, %g)\n", dx, dy, dz);
  printf("nn_s(0.5) = %.9f\n", nn_s(0.5));
  return 0;
}
