// --abi-checks: every entry point also takes the size of the workspace it
// is given, and before touching memory checks each pointer: NULL for a
// buffer that has bytes, an output overlapping any other buffer (inputs may
// share memory), a workspace smaller than <fn>_workspace_size or
// overlapping a buffer. Any of them returns NNC_ERR_ARG with every output
// untouched; buffers of no bytes may be NULL. Without the option the ABI
// is unchanged (the header declares no workspace_size).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/abi_checks.nn --abi-checks -c -o %t/abi.o --header %t/abi_checks.h
// RUN: FileCheck %s --check-prefix=HEADER < %t/abi_checks.h
// HEADER: #define NNC_ERR_ARG 4 /* --abi-checks: a null or overlapping pointer, or a small workspace */
// HEADER: int32_t scale(const double *x, int64_t x_d0, double a, double *out0, void *workspace, int64_t workspace_size);
// HEADER: int32_t dlin(const lin_params_t *params, const double *x, int64_t x_d0, lin_grads_t *grads, void *workspace, int64_t workspace_size);
// RUN: %nnc %S/Inputs/abi_checks.nn -c -o %t/plain.o --header %t/plain.h
// RUN: FileCheck %s --check-prefix=PLAIN < %t/plain.h
// PLAIN: int32_t scale(const double *x, int64_t x_d0, double a, double *out0, void *workspace);
// RUN: %cc -std=c99 -Wall -Wextra -Werror -fsanitize=address %inc %s %t/abi.o -lm -o %t/abi
// RUN: %t/abi | FileCheck %s
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "abi_checks.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;

static void expect(const char *what, long long got, long long want) {
  if (got != want) {
    printf("MISMATCH %s: got %lld, want %lld\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  double buf[16] = {1, 2, 3, 4, 5, 6, 7, 8};
  double out[4] = {-7, -7, -7, -7};
  double ws[64];
  int64_t need = scale_workspace_size(4);

  // Null pointers for buffers with bytes; NULL is fine for empty ones.
  expect("null input", scale(NULL, 4, 2, out, NULL, 0), NNC_ERR_ARG);
  expect("null output", scale(buf, 4, 2, NULL, NULL, 0), NNC_ERR_ARG);
  expect("empty", scale(NULL, 0, 2, NULL, NULL, 0), NNC_OK);
  expect("untouched", out[0] == -7 && out[3] == -7, 1);

  // An output over its own input, or partly over it.
  expect("in place", scale(buf, 4, 2, buf, NULL, 0), NNC_ERR_ARG);
  expect("partial overlap", scale(buf, 4, 2, buf + 3, NULL, 0), NNC_ERR_ARG);
  expect("input intact", buf[3] == 4 && buf[4] == 5, 1);
  // Adjacent buffers do not overlap.
  expect("adjacent", scale(buf, 4, 2, buf + 4, NULL, 0), NNC_OK);
  expect("adjacent value", buf[4] == 3 && buf[7] == 9, 1);

  // Two outputs over each other; inputs may share memory.
  double e[4], s;
  expect("outputs overlap", both(buf, 4, e, e + 1, NULL, 0), NNC_ERR_ARG);
  expect("scalar output in input", both(buf, 4, e, buf + 2, NULL, 0),
         NNC_ERR_ARG);
  expect("both ok", both(buf, 4, e, &s, NULL, 0), NNC_OK);
  expect("both value", s == 1 + 4 + 9 + 16, 1);

  // The workspace: at least its size, and apart from every buffer.
  double in[4] = {1, 2, 3, 4};
  expect("workspace needed", need > 0, 1);
  expect("small workspace", scale(in, 4, 2, out, ws, need - 1), NNC_ERR_ARG);
  expect("negative size", scale(in, 4, 2, out, ws, -1), NNC_ERR_ARG);
  expect("workspace over input", scale(in, 4, 2, out, in, need), NNC_ERR_ARG);
  expect("workspace over output", scale(in, 4, 2, out, out, need),
         NNC_ERR_ARG);
  expect("untouched", out[0] == -7 && out[3] == -7, 1);
  expect("workspace ok", scale(in, 4, 2, out, ws, (int64_t)sizeof ws), NNC_OK);
  expect("value", out[3] == 9, 1);
  // A NULL workspace is allocated inside: its size is not read.
  expect("null workspace", scale(in, 4, 3, out, NULL, 0), NNC_OK);
  expect("value", out[3] == 13, 1);
  // Shape errors come first, as without the option.
  expect("shape first", scale(in, -1, 2, NULL, NULL, 0), NNC_ERR_SHAPE);

  // Instance structs are buffers like the others.
  lin_params_t p;
  lin_grads_t g;
  expect("init", lin_init(1, &p, NULL, 0), NNC_OK);
  expect("null params", dlin(NULL, in, 3, &g, NULL, 0), NNC_ERR_ARG);
  expect("null grads", dlin(&p, in, 3, NULL, NULL, 0), NNC_ERR_ARG);
  expect("grads over params", dlin(&p, in, 3, (lin_grads_t *)&p, NULL, 0),
         NNC_ERR_ARG);
  expect("grads ok", dlin(&p, in, 3, &g, NULL, 0), NNC_OK);
  expect("grads value", g.w[2] == 3, 1);

  if (failures)
    return 1;
  printf("all ok\n");
  return 0;
}
