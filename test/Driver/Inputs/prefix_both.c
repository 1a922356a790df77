/* For ../prefix.test: the headers of one source under two prefixes, in
   one translation unit (each header's guard names its prefix). */
#include "p.h"
#include "q.h"

#include <stdio.h>

int main(void) {
  printf("nn_f = %g, mm_f = %g\n", nn_f(-2, 5, -4), mm_f(1, 1, 1));
  return 0;
}
