// Run-time checks of the status ABI: every axis of every tensor argument
// is checked against the dimension variables (bound from their first plain
// occurrence), literal dimensions and compound ones like 2*n, before any
// memory is touched, so a shape error leaves the outputs as they were;
// negative and overflowing sizes are shape errors too. An out-of-range
// label (negative or >= the number of classes) gives NNC_ERR_INDEX, never
// a read out of bounds. Workspace sizes: per dimension variable, -1 when
// invalid, slots reused, results computed in place; a NULL workspace is
// allocated once inside the call.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc -x ir %S/Inputs/tensor_ops.nnir --passes= -c -o %t/ops.o --header %t/tensor_ops.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror -fsanitize=address %inc %s %t/ops.o -lm -o %t/errors
// RUN: %t/errors | FileCheck %s
// The same errors from functions cut into parts, one op each (Outline.h).
// RUN: %nnc -x ir %S/Inputs/tensor_ops.nnir --passes= --split-functions=1 -c -o %t/ops1.o
// RUN: %cc -std=c99 -fsanitize=address %inc %s %t/ops1.o -lm -o %t/errors1
// RUN: %t/errors1 | FileCheck %s
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "tensor_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(const char *what, long long got, long long want) {
  if (got != want) {
    printf("MISMATCH %s: got %lld, want %lld\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  double x[] = {1, 2, 3, 4, 5, 6}, y[] = {1, 2, 3, 4};
  double out[2] = {-7, -7};
  // checks(x: f64[n, 3], y: f64[2*n], s) -> f64[n]
  expect("literal dim", checks(x, 2, 4, y, 4, 2, out, NULL), NNC_ERR_SHAPE);
  expect("compound dim", checks(x, 2, 3, y, 5, 2, out, NULL), NNC_ERR_SHAPE);
  expect("variable", checks(x, 3, 3, y, 4, 2, out, NULL), NNC_ERR_SHAPE);
  expect("negative", checks(x, -2, 3, y, -4, 2, out, NULL), NNC_ERR_SHAPE);
  expect("overflow 2*n", checks(x, 1LL << 62, 3, y, 0, 2, out, NULL),
         NNC_ERR_SHAPE);
  expect("overflow bytes",
         checks(x, 1LL << 60, 3, y, 1LL << 61, 2, out, NULL), NNC_ERR_SHAPE);
  expect("untouched", out[0] == -7 && out[1] == -7, 1);
  expect("good", checks(x, 2, 3, y, 4, 2, out, NULL), NNC_OK);
  expect("good value", out[1], 44);
  // Empty tensors are fine.
  expect("empty", checks(x, 0, 3, y, 0, 2, out, NULL), NNC_OK);

  // l2(x: f64[n], W: f64[n, n])
  double W[] = {0.1, 0.5, -0.3, 0.8}, v[] = {0.2, 0.4}, r = -7;
  expect("square", l2(v, 2, W, 2, 1, &r, NULL), NNC_ERR_SHAPE);
  expect("first occurrence binds", l2(v, 1, W, 2, 2, &r, NULL), NNC_ERR_SHAPE);
  expect("untouched", r == -7, 1);

  // labels(x: f64[b, 3], l: i32[b], k: i64)
  float hot[6];
  double picked[2], hot1[3], picked1;
  int32_t big[] = {3, 0}, neg[] = {0, -1}, good[] = {2, 0};
  expect("label 3 of 3", labels(x, 2, 3, big, 2, 1, hot, picked, hot1,
                                &picked1, NULL), NNC_ERR_INDEX);
  expect("label -1", labels(x, 2, 3, neg, 2, 1, hot, picked, hot1, &picked1,
                            NULL), NNC_ERR_INDEX);
  expect("scalar label 3", labels(x, 2, 3, good, 2, 3, hot, picked, hot1,
                                  &picked1, NULL), NNC_ERR_INDEX);
  expect("scalar label -1", labels(x, 2, 3, good, 2, -1, hot, picked, hot1,
                                   &picked1, NULL), NNC_ERR_INDEX);
  expect("labels in range", labels(x, 2, 3, good, 2, 2, hot, picked, hot1,
                                   &picked1, NULL), NNC_OK);

  // Workspace sizes: l2 keeps W @ x and the power (2 slots of 8n bytes,
  // each rounded up to 64); the broadcast 2 is read in place by the power
  // (a view, lib/CodeGen/FusionPlan.h), and the product of a vector
  // needs no scratch.
  expect("l2_workspace_size(2)", l2_workspace_size(2), 128);
  expect("l2_workspace_size(9)", l2_workspace_size(9), 2 * 128);
  expect("l2_workspace_size(0)", l2_workspace_size(0), 0);
  expect("negative size", l2_workspace_size(-1), -1);
  expect("overflow", l2_workspace_size(1LL << 61), -1);
  // chain: sum(exp(-exp(x))) is one loop (the element-wise ops are fused
  // into the sum, lib/CodeGen/FusionPlan.h), so nothing is stored.
  expect("fused chain", chain_workspace_size(10), 0);
  // reuse: three values each read by two ops (so stored): the third
  // reuses the first one's slot.
  expect("slot reuse", reuse_workspace_size(10), 2 * 128);
  // A result computed in place needs no workspace.
  expect("in place", softmax_f32_workspace_size(1000), 0);
  expect("constant dims", reductions_workspace_size(), 0);

  // A workspace the caller gives, full of garbage, gives the same result
  // as the one allocated inside (NULL), at any 8-byte aligned address.
  int64_t n = 300;
  double *xs = malloc(sizeof(double) * n);
  for (int64_t i = 0; i < n; ++i)
    xs[i] = sin((double)i);
  double a = 0, b = 0;
  expect("reuse NULL", reuse(xs, n, &a, NULL), NNC_OK);
  int64_t size = reuse_workspace_size(n);
  unsigned char *ws = malloc(size + 8);
  memset(ws, 0xff, size + 8);
  expect("reuse ws", reuse(xs, n, &b, ws + 8), NNC_OK);
  expect("same result", a == b, 1);
  double want = 0;
  for (int64_t i = 0; i < n; ++i) {
    double e1 = exp(xs[i]), e2 = -e1 * e1, e3 = -e2 * e2;
    want += -e3 * e3;
  }
  expect("reuse value", fabs(a - want) <= 1e-12 * fabs(want), 1);
  free(ws);
  free(xs);

  printf(failures ? "%d failures\n" : "all ok\n", failures);
  return failures != 0;
}
