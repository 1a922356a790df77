// A module may define a function named like a libm function (`fn exp` hides
// the built-in), but exporting it under that name would capture the calls
// LLVM's code makes to libm's exp: nnc refuses, naming it, and --prefix
// gives it a name of its own, with which the module computes the right value.
// RUN: rm -rf %t && mkdir -p %t
// RUN: not %nnc %S/Inputs/libm_clash.nn -c -o %t/clash.o 2>&1 | FileCheck %s --check-prefix=ERR
// ERR: libm_clash.nn:2:4: error: function 'exp' would replace the C library's function of that name, which generated code calls; rename it or use --prefix
// RUN: %nnc %S/Inputs/libm_clash.nn -c --prefix=m_ -o %t/clash.o --header %t/clash.h
// RUN: %cc -std=c99 %inc %s %t/clash.o -lm -o %t/clash
// RUN: %t/clash | FileCheck %s
// CHECK: m_s(0.5) = 0.62245933120185459

#include "clash.h"

#include <math.h>
#include <stdio.h>

int main(void) {
  double got = m_s(0.5), want = 0.6224593312018546;
  printf("m_s(0.5) = %.17g\n", got);
  return fabs(got - want) <= 1e-15 ? 0 : 1;
}
