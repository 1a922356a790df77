/* For ../shared.test: calls libmodel.so, built from prefix.nn. */
#include "model.h"

#include <stdio.h>

int main(void) {
  double dx, dy, dz;
  df(-2, 5, -4, &dx, &dy, &dz);
  printf("f = %g, df = (%g, %g, %g)\n", f(-2, 5, -4), dx, dy, dz);
  return 0;
}
