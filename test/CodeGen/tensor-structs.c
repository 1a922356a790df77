// The struct ABI: a layer instance's parameters go in as one `const
// net_params_t *`, its gradients come back in one `net_grads_t *`, and the
// init function fills a `net_params_t`. Both structs have the instance's
// fields in order, with C's layout (each field at the next offset aligned
// to its element size; '.' in names becomes '_').
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc -x ir %S/Inputs/structs.nnir -c -o %t/structs.o --header %t/structs.h
// RUN: FileCheck --check-prefix=HDR --input-file=%t/structs.h %s
// RUN: %cc -std=c99 -pedantic -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/structs.o -lm -o %t/structs
// RUN: %t/structs | FileCheck %s
// RUN: %cxx -std=c++17 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c++ %t/structs.h
// The IR text keeps the structs through a round trip (`instance`,
// `param_struct(first, count, instance)`, `result_struct(..., grads)`).
// RUN: %nnc -x ir %S/Inputs/structs.nnir --emit=ir -o %t/structs.ir
// RUN: %nnc -x ir %t/structs.ir --emit=ir -o - | FileCheck --check-prefix=IR %s
// IR:      instance net { fc1.W: f32[2, 3], fc1.b: f32[3], scale: f64 }
// IR:      func @net_init(%seed: i64) -> (f32[2, 3], f32[3], f64) result_struct(0, 3, net) {
// IR:      func @net_forward({{.*}}) -> f32[B, 3] param_struct(1, 3, net) {
// IR:      func @net_backward({{.*}}) -> (f32, f32[2, 3], f32[3], f64) results(loss, dW, db, dscale) param_struct(1, 3, net) result_struct(1, 3, net, grads) {
// HDR:      /* The parameters of 'net' and their gradients: 48 bytes each. */
// HDR-NEXT: typedef struct net_params_t {
// HDR-NEXT:   float fc1_W[2 * 3];
// HDR-NEXT:   float fc1_b[3];
// HDR-NEXT:   double scale;
// HDR-NEXT: } net_params_t;
// HDR-NEXT: typedef struct net_grads_t {
// HDR-NEXT:   float fc1_W[2 * 3];
// HDR:      } net_grads_t;
// HDR-NEXT: #ifdef __cplusplus
// HDR-NEXT: static_assert(sizeof(net_params_t) == 48, "net_params_t has nnc's layout");
// HDR-NEXT: static_assert(sizeof(net_grads_t) == 48, "net_grads_t has nnc's layout");
// HDR-NEXT: #endif
// HDR:      int32_t net_init(int64_t seed, net_params_t *params_out, void *workspace);
// HDR-NEXT: int64_t net_init_workspace_size(void);
// HDR:      int32_t net_forward(const float *x, int64_t x_d0, int64_t x_d1, const net_params_t *params, float *out0, void *workspace);
// HDR-NEXT: int64_t net_forward_workspace_size(int64_t B);
// HDR:      int32_t net_backward(const float *x, int64_t x_d0, int64_t x_d1, const net_params_t *params, const float *dy, int64_t dy_d0, int64_t dy_d1, float *loss, net_grads_t *grads, void *workspace);
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "structs.h"

#include <math.h>
#include <stddef.h>
#include <stdio.h>

static int failures;

static void eq(const char *what, double got, double want) {
  if (got != want) {
    printf("MISMATCH %s: got %.9g, want %.9g\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  eq("sizeof", sizeof(net_params_t), 48);
  eq("offset of fc1_b", offsetof(net_params_t, fc1_b), 24);
  eq("offset of scale", offsetof(net_params_t, scale), 40);

  net_params_t p;
  eq("init", net_init(7, &p, NULL), NNC_OK);
  eq("init workspace", (double)net_init_workspace_size(), 0);
  for (int i = 0; i < 3; ++i)
    eq("b starts at 0", p.fc1_b[i], 0);
  eq("scale starts at 1", p.scale, 1);
  int distinct = 0;
  for (int i = 1; i < 6; ++i)
    distinct += p.fc1_W[i] != p.fc1_W[0] && isfinite(p.fc1_W[i]);
  eq("W is random", distinct, 5);
  net_params_t q;
  net_init(7, &q, NULL);
  for (int i = 0; i < 6; ++i)
    eq("init is reproducible", q.fc1_W[i], p.fc1_W[i]);

  float W[] = {1, 2, 3, -1, 0.5f, 0};
  for (int i = 0; i < 6; ++i)
    p.fc1_W[i] = W[i];
  p.fc1_b[0] = 0.25f, p.fc1_b[1] = -1, p.fc1_b[2] = 2;
  p.scale = 2;
  float x[] = {1, 2, 3, 4}, y[6];
  eq("forward", net_forward(x, 2, 2, &p, y, NULL), NNC_OK);
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j) {
      float h = 0.0f;
      for (int k = 0; k < 2; ++k)
        h += x[i * 2 + k] * W[k * 3 + j];
      eq("forward", y[i * 3 + j], (h + p.fc1_b[j]) * 2.0f);
    }
  eq("forward shape", net_forward(x, 2, 3, &p, y, NULL), NNC_ERR_SHAPE);

  float dy[] = {1, 0, -1, 2, 0.5f, 1}, loss = 0;
  net_grads_t g;
  eq("backward", net_backward(x, 2, 2, &p, dy, 2, 3, &loss, &g, NULL), NNC_OK);
  float wl = 0.0f;
  for (int i = 0; i < 2; ++i) {
    float row = 0.0f;
    for (int j = 0; j < 3; ++j)
      row += dy[i * 3 + j] * dy[i * 3 + j];
    wl += row;
  }
  eq("loss", loss, wl);
  for (int k = 0; k < 2; ++k)
    for (int j = 0; j < 3; ++j)
      eq("dW", g.fc1_W[k * 3 + j],
         0.0f + x[k] * dy[j] + x[2 + k] * dy[3 + j]);
  for (int j = 0; j < 3; ++j)
    eq("db", g.fc1_b[j], 0.0f + dy[j] + dy[3 + j]);
  eq("dscale", g.scale, 0.0f + (0.0f + dy[0] + dy[3]) + (0.0f + dy[1] + dy[4]) + (0.0f + dy[2] + dy[5]));
  printf(failures ? "%d failures\n" : "all ok\n", failures);
  return failures != 0;
}
