// Run-time checks of functions compiled from .nn source
// (Inputs/tensor_status.nn), through the generated header: sizes that
// disagree with each other, with a literal dimension or with a layer's
// fixed sizes give NNC_ERR_SHAPE and leave every output untouched; a label
// that is negative or not below the number of classes gives NNC_ERR_INDEX
// (cross_entropy, svm_loss, onehot, pick and their gradients), never a read
// out of bounds (AddressSanitizer watches); workspace sizes are -1 for bad
// sizes; the same calls with good sizes succeed.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/tensor_status.nn -c -o %t/tensor_status.o --header %t/tensor_status.h
// RUN: %cc -std=c99 -pedantic -Wall -Wextra -Werror -fsanitize=address %inc %s %t/tensor_status.o -lm -o %t/status
// RUN: %t/status | FileCheck %s
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "tensor_status.h"

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

// Every byte of a buffer still holds the sentinel 0xA5.
static int untouched(const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i)
    if (b[i] != 0xA5)
      return 0;
  return 1;
}

int main(void) {
  // l2(x: f64[n], W: f64[n, n]) and its gradient.
  double W[] = {0.1, 0.5, -0.3, 0.8, 0, 0, 0, 0, 0}, x[] = {0.2, 0.4, 0};
  double r, dx[3], dW[9];
  memset(&r, 0xA5, sizeof r);
  memset(dx, 0xA5, sizeof dx);
  memset(dW, 0xA5, sizeof dW);
  expect("l2 x vs W", l2(x, 3, W, 2, 2, &r, NULL), NNC_ERR_SHAPE);
  expect("l2 W not square", l2(x, 2, W, 2, 3, &r, NULL), NNC_ERR_SHAPE);
  expect("l2 negative", l2(x, -2, W, -2, -2, &r, NULL), NNC_ERR_SHAPE);
  expect("l2 huge", l2(x, 1LL << 62, W, 1LL << 62, 1LL << 62, &r, NULL),
         NNC_ERR_SHAPE);
  expect("dl2 x vs W", dl2(x, 3, W, 2, 2, dx, dW, NULL), NNC_ERR_SHAPE);
  expect("l2 untouched", untouched(&r, sizeof r), 1);
  expect("dl2 untouched", untouched(dx, sizeof dx) && untouched(dW, sizeof dW),
         1);
  expect("l2 workspace -1", l2_workspace_size(-1), -1);
  expect("l2 workspace overflow", l2_workspace_size(1LL << 62), -1);
  expect("l2 good", l2(x, 2, W, 2, 2, &r, NULL), NNC_OK);
  expect("l2 = 0.116", r > 0.11599999 && r < 0.11600001, 1);
  expect("dl2 good", dl2(x, 2, W, 2, 2, dx, dW, NULL), NNC_OK);

  // fixed(x: f32[3]): a literal dimension.
  float v[4] = {1, 2, 3, 4}, s;
  expect("literal 3 given 4", fixed(v, 4, &s, NULL), NNC_ERR_SHAPE);
  expect("literal 3 given 3", fixed(v, 3, &s, NULL), NNC_OK);
  expect("sum", s == 6, 1);

  // onehots(y: i32[B], s: f32[B, C]), fn_pick(s, y) and dpick = grad(.., s).
  float sc[2 * 3] = {1, 2, 3, 4, 5, 6}, ds[6];
  int32_t good[] = {2, 0}, big[] = {0, 3}, neg[] = {-1, 0};
  expect("onehot good", onehots(good, 2, sc, 2, 3, &s, NULL), NNC_OK);
  expect("onehot value", s == 3 + 4, 1);
  expect("onehot label 3 of 3", onehots(big, 2, sc, 2, 3, &s, NULL),
         NNC_ERR_INDEX);
  expect("onehot label -1", onehots(neg, 2, sc, 2, 3, &s, NULL),
         NNC_ERR_INDEX);
  expect("onehot B", onehots(good, 1, sc, 2, 3, &s, NULL), NNC_ERR_SHAPE);
  expect("pick good", fn_pick(sc, 2, 3, good, 2, &s, NULL), NNC_OK);
  expect("pick value", s == 3 + 4, 1);
  expect("pick label 3 of 3", fn_pick(sc, 2, 3, big, 2, &s, NULL),
         NNC_ERR_INDEX);
  expect("pick label -1", fn_pick(sc, 2, 3, neg, 2, &s, NULL), NNC_ERR_INDEX);
  expect("dpick label 3 of 3", dpick(sc, 2, 3, big, 2, ds, NULL),
         NNC_ERR_INDEX);
  expect("dpick good", dpick(sc, 2, 3, good, 2, ds, NULL), NNC_OK);
  expect("dpick value", ds[2] == 1 && ds[3] == 1 && ds[0] == 0 && ds[5] == 0,
         1);

  // The layer instance net = TwoLayerNet(3, 5, 4): D = 3 and C = 4 are
  // fixed, the batch B is bound at the call.
  enum { B = 6 };
  net_params_t params;
  net_grads_t grads;
  expect("init", net_init(1, &params, NULL), NNC_OK);
  float X[B * 3], loss, dX[B * 3];
  for (int i = 0; i < B * 3; ++i)
    X[i] = (float)(i % 5) - 2;
  int32_t y[B] = {0, 1, 2, 3, 1, 2};
  memset(&loss, 0xA5, sizeof loss);
  memset(&grads, 0xA5, sizeof grads);
  expect("x has 2 columns, D is 3",
         net_loss(&params, X, 9, 2, y, 9, &loss, NULL), NNC_ERR_SHAPE);
  expect("x rows vs labels", net_loss(&params, X, B, 3, y, B - 1, &loss, NULL),
         NNC_ERR_SHAPE);
  expect("vg x rows vs labels",
         net_vg(&params, X, B, 3, y, B - 1, &loss, &grads, NULL),
         NNC_ERR_SHAPE);
  expect("negative batch", net_loss(&params, X, -1, 3, y, -1, &loss, NULL),
         NNC_ERR_SHAPE);
  expect("net outputs untouched",
         untouched(&loss, sizeof loss) && untouched(&grads, sizeof grads), 1);
  expect("net workspace -1", net_vg_workspace_size(-1), -1);

  int32_t y_big[B] = {0, 1, 2, 4, 1, 2}, y_neg[B] = {0, 1, 2, 3, -1, 2};
  expect("loss label 4 of 4", net_loss(&params, X, B, 3, y_big, B, &loss, NULL),
         NNC_ERR_INDEX);
  expect("loss label -1", net_loss(&params, X, B, 3, y_neg, B, &loss, NULL),
         NNC_ERR_INDEX);
  expect("vg label 4 of 4",
         net_vg(&params, X, B, 3, y_big, B, &loss, &grads, NULL),
         NNC_ERR_INDEX);
  expect("hinge label 4 of 4",
         net_hinge(&params, X, B, 3, y_big, B, &loss, NULL), NNC_ERR_INDEX);
  expect("hinge grads label -1",
         net_hinge_grads(&params, X, B, 3, y_neg, B, &grads, dX, NULL),
         NNC_ERR_INDEX);

  // Good calls, with and without a caller's workspace, agree bit for bit.
  float l1, l2v;
  expect("loss good", net_loss(&params, X, B, 3, y, B, &l1, NULL), NNC_OK);
  int64_t size = net_vg_workspace_size(B);
  void *ws = malloc(size > 0 ? (size_t)size : 1);
  expect("vg good", net_vg(&params, X, B, 3, y, B, &l2v, &grads, ws), NNC_OK);
  expect("vg value = loss", l1 == l2v, 1);
  expect("hinge grads good",
         net_hinge_grads(&params, X, B, 3, y, B, &grads, dX, ws), NNC_OK);
  // An empty batch is not an error.
  expect("empty batch", net_forward(&params, X, 0, 3, dX, NULL), NNC_OK);
  free(ws);

  if (!failures)
    printf("all ok\n");
  return failures != 0;
}
