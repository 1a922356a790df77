// A train step updates the parameter struct in place: the backward sweep
// reads weights that the update overwrites (dH = dY @ fc2.W^T), so each
// new parameter is written into the struct only by the update itself, the
// last reader of the old value (or computed in the workspace and copied
// back at the end when something reads the old value later).
// Checked against value_and_grad plus the update written in C, over 20
// steps of SGD and of momentum, with weight decay.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/two_layer_steps.nn -c -o %t/m.o --header %t/m.h
// RUN: %cc -std=c99 -O2 -Wall -Wextra -Werror -I%t %s %t/m.o -lm -o %t/inplace
// RUN: %t/inplace | FileCheck %s
// The header: the parameter struct is not const, the state struct is
// updated in place, the hyper-parameters are scalars, the loss an out-pointer.
// RUN: FileCheck --check-prefix=HEADER %s < %t/m.h
// HEADER:      typedef struct net_momentum_state_t {
// HEADER-NEXT:   float buf_fc1_W[4 * 16];
// HEADER-NEXT:   float buf_fc1_b[16];
// HEADER-NEXT:   float buf_fc2_W[16 * 3];
// HEADER-NEXT:   float buf_fc2_b[3];
// HEADER-NEXT: } net_momentum_state_t;
// HEADER: int32_t net_sgd(net_params_t *params, const float *x, int64_t x_d0, int64_t x_d1, const int32_t *y, int64_t y_d0, float lr, float weight_decay, float *loss, void *workspace);
// HEADER: int32_t net_momentum(net_params_t *params, const float *x, int64_t x_d0, int64_t x_d1, const int32_t *y, int64_t y_d0, net_momentum_state_t *state, float lr, float momentum, float weight_decay, float *loss, void *workspace);
// In LLVM IR, the structs are read and written through one pointer each:
// noalias (nothing else points into them), not readonly.
// RUN: %nnc %S/Inputs/two_layer_steps.nn -S --emit-llvm -o - | FileCheck --check-prefix=LLVM %s
// LLVM: define {{.*}}i32 @net_momentum(ptr noalias nocapture %params, ptr noalias nocapture readonly %x, i64 %x_d0, i64 %x_d1, ptr noalias nocapture readonly %y, i64 %y_d0, ptr noalias nocapture %state, float %lr, float %momentum, float %weight_decay, ptr noalias nocapture writeonly %loss, ptr noalias nocapture %workspace)
// CHECK: sgd: 20 steps, max relative difference {{[0-9.e+-]+}} (ok)
// CHECK: momentum: 20 steps, max relative difference {{[0-9.e+-]+}} (ok)
// CHECK: bad label: status 2, parameters and state unchanged
// With --abi-checks, a state struct overlapping the parameters is refused.
// RUN: %nnc %S/Inputs/two_layer_steps.nn --abi-checks -c -o %t/mc.o --header %t/mc.h
// RUN: %cc -std=c99 -O2 -Wall -Wextra -Werror -DABI_CHECKS -I%t %s %t/mc.o -lm -o %t/inplace-checks
// RUN: %t/inplace-checks | FileCheck %s --check-prefix=CHECKS
// CHECKS: sgd: 20 steps, max relative difference {{[0-9.e+-]+}} (ok)
// CHECKS: state overlapping the parameters: status 4
#ifdef ABI_CHECKS
#include "mc.h"
#define WS NULL, 0
#else
#include "m.h"
#define WS NULL
#endif

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { B = 8, D = 4, C = 3, P = sizeof(net_params_t) / sizeof(float) };

static void check(int32_t status, const char *what) {
  if (status != NNC_OK) {
    printf("%s: status %d\n", what, (int)status);
    exit(1);
  }
}

// The structs hold only floats: view them as arrays.
static float *flat(net_params_t *p) { return (float *)p; }

static int run(int use_momentum, const float *x, const int32_t *y) {
  const float lr = 0.5f, mu = 0.9f, wd = 0.01f;
  static net_params_t p, ref;
  static net_grads_t g;
  static net_momentum_state_t state;
  static float buf[P];
  check(net_init(3, &p, WS), "net_init");
  ref = p;
  memset(&state, 0, sizeof state);
  memset(buf, 0, sizeof buf);
  double worst = 0;
  for (int step = 0; step < 20; ++step) {
    float loss, ref_loss;
    if (use_momentum)
      check(net_momentum(&p, x, B, D, y, B, &state, lr, mu, wd, &loss, WS),
            "net_momentum");
    else
      check(net_sgd(&p, x, B, D, y, B, lr, wd, &loss, WS), "net_sgd");
    check(net_vg(&ref, x, B, D, y, B, &ref_loss, &g, WS), "net_vg");
    float *r = flat(&ref), *gr = (float *)&g;
    for (int i = 0; i < P; ++i) {
      float gi = gr[i] + wd * r[i];
      if (use_momentum) {
        buf[i] = mu * buf[i] + gi;
        gi = buf[i];
      }
      r[i] -= lr * gi;
    }
    double scale = 0, diff = fabs((double)loss - ref_loss) / fabs(ref_loss);
    for (int i = 0; i < P; ++i)
      scale = fmax(scale, fabs(r[i]));
    for (int i = 0; i < P; ++i) {
      double d = fabs((double)flat(&p)[i] - r[i]) / scale;
      diff = d > diff || d != d ? d : diff;   // NaN counts as a failure
    }
    worst = diff > worst || diff != diff ? diff : worst;
  }
  int ok = worst <= 1e-6;
  printf("%s: 20 steps, max relative difference %.2e (%s)\n",
         use_momentum ? "momentum" : "sgd", worst, ok ? "ok" : "FAILED");
  return ok;
}

int main(void) {
  float x[B * D];
  int32_t y[B];
  for (int i = 0; i < B * D; ++i)
    x[i] = (float)sin(1.0 + i);
  for (int i = 0; i < B; ++i)
    y[i] = i % C;
  int ok = run(0, x, y);
#ifdef ABI_CHECKS
  // The state struct inside the parameter struct: both are written.
  static union {
    net_params_t p;
    net_momentum_state_t s;
  } both;
  float loss;
  int32_t status = net_momentum(&both.p, x, B, D, y, B, &both.s, 0.1f, 0.9f,
                                0.0f, &loss, WS);
  printf("state overlapping the parameters: status %d\n", (int)status);
  ok &= status == NNC_ERR_ARG;
#else
  ok &= run(1, x, y);
  // A label out of range stops the step before the copy-back.
  static net_params_t p, before;
  static net_momentum_state_t state, state_before;
  check(net_init(5, &p, NULL), "net_init");
  for (int i = 0; i < P; ++i)
    ((float *)&state)[i] = 0.25f;
  before = p;
  state_before = state;
  y[B - 1] = C;
  float loss;
  int32_t status = net_momentum(&p, x, B, D, y, B, &state, 0.1f, 0.9f, 0.0f,
                                &loss, NULL);
  int same = !memcmp(&p, &before, sizeof p) &&
             !memcmp(&state, &state_before, sizeof state);
  printf("bad label: status %d, parameters and state %s\n", (int)status,
         same ? "unchanged" : "CHANGED");
  ok &= status == NNC_ERR_INDEX && same;
#endif
  return ok ? 0 : 1;
}
