/* Calls every function of abi_kinds.nn from C (compiled as strict C99 by
   ../header-c-cxx.test). Prints the results; exit status 1 on a mismatch. */
#include "abi_kinds.h"
#include "abi_kinds.h" /* the include guard makes a second include harmless */

#include <stdio.h>

static int failures;

static void check(const char *what, double got, double want) {
  printf("%s = %g\n", what, got);
  if (got != want) {
    printf("MISMATCH %s: want %g\n", what, want);
    ++failures;
  }
}

int main(void) {
  double a, b, c, d;
  bool p;
  int32_t k;

  check("f", f(-2, 5, -4), -12);
  df(-2, 5, -4, &a, &b, &c);
  check("df.dx", a, -4);
  check("df.dz", c, 3);
  vg(-2, 5, -4, &a, &b, &c, &d);
  check("vg.value", a, -12);
  check("vg.dz", d, 3);
  vj(-2, 5, -4, 2, &a, &b, &c);
  check("vj.dx", a, -8);
  check("nullary", nullary(), 42);
  check("fl", fl(1.5f, 3), 4.5);
  check("big", (double)big(INT64_C(1) << 40), 2199023255552.0);
  check("pos", pos(-1), 0);
  check("flip", flip(false), 1);
  pair(-2.5, &p, &k);
  check("pair.0", p, 0);
  check("pair.1", k, -2);
  check("kw", kw(2, 3, 4), 10);
  dkw(2, 3, 4, &a, &b, &c);
  check("dkw.dint", a, 3);
  check("dkw.dclass", c, 1);
  ddup(2, 5, &a, &b);
  check("ddup.dx", a, 5);
  check("ddup.ddx", b, 2);
  return failures ? 1 : 0;
}
