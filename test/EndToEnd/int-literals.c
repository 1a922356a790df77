// Integer literals are exact: i64 literals above 2^53 and INT64_MAX keep
// every bit, and a literal out of its type's range is an error.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/int_literals.nn -c -o %t/lit.o --header %t/lit.h
// RUN: %cc -std=c99 %inc %s %t/lit.o -o %t/lit
// RUN: %t/lit | FileCheck %s
// CHECK: ok
// RUN: not %nnc %S/Inputs/int_literal_range.nn -fsyntax-only

#include "lit.h"

#include <stdint.h>
#include <stdio.h>

int main(void) {
  int failures = 0;
  if (above53(0) != INT64_C(9007199254740993)) {
    printf("above53(0) = %lld\n", (long long)above53(0));
    ++failures;
  }
  if (max64() != INT64_MAX) {
    printf("max64() = %lld\n", (long long)max64());
    ++failures;
  }
  if (min64() != INT64_MIN) {
    printf("min64() = %lld\n", (long long)min64());
    ++failures;
  }
  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
