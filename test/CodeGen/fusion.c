// Fused and unfused code agree: views (a broadcast read with stride 0 by
// an add, transposes read through strides by products) and a fused chain
// (add, tanh and mul in one loop) give the same bits as the same ops
// computed into memory, in both floating-point models, at sizes around the
// kernel's tiles. --emit=plan shows which is which.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc -x ir %S/Inputs/views.nnir --emit=plan | FileCheck %s --check-prefix=PLAN
// RUN: %nnc -x ir %S/Inputs/views.nnir -c -o %t/views.o --header %t/views.h
// RUN: %cc -std=c99 -O1 -Wall -Wextra -Werror -I%t %s %t/views.o -lm -o %t/views
// RUN: %t/views | FileCheck %s
// RUN: %nnc -x ir %S/Inputs/views.nnir --fp-model=strict -c -o %t/strict.o
// RUN: %cc -std=c99 -O1 -I%t %s %t/strict.o -lm -o %t/strict
// RUN: %t/strict | FileCheck %s
// The comparison catches a difference.
// RUN: not %t/views corrupt | FileCheck %s --check-prefix=BAD
// PLAN-LABEL: func @viewed(
// PLAN: %bb = broadcast %b : f32[m, k]  ; view
// PLAN: %a = add %x, %bb : f32[m, k]  ; fused
// PLAN: %t = tanh %a : f32[m, k]  ; fused
// PLAN: %s = mul %t, %x : f32[m, k]  ; result 0
// PLAN: %xt = transpose %x : f32[k, m]  ; view
// PLAN: %wt = transpose %w : f32[k, n]  ; view
// PLAN-LABEL: func @copied(
// PLAN: %bb = broadcast %b : f32[m, k]  ; result 3
// PLAN: %a = add %x, %bb : f32[m, k]  ; fused: computed in its user's loop, which stores it to result 6
// PLAN: %t = tanh %a : f32[m, k]  ; fused: computed in its user's loop, which stores it to result 7
// PLAN: %s = mul %t, %x : f32[m, k]  ; result 0
// PLAN: %xt = transpose %x : f32[k, m]  ; result 4
// PLAN: %wt = transpose %w : f32[k, n]  ; result 5
// CHECK-NOT: MISMATCH
// CHECK: all ok
// BAD: MISMATCH

#include "views.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned Seed = 7;
static float next(void) {
  Seed = Seed * 1103515245u + 12345u;
  return (float)((Seed >> 8) % 2001) / 1000.0f - 1.0f;
}

static int same(const char *what, const float *a, const float *b, long n,
                int m, int k, int nn) {
  for (long i = 0; i < n; ++i)
    if (memcmp(&a[i], &b[i], sizeof(float)) != 0) {
      printf("MISMATCH %s %dx%dx%d [%ld]: %.9g vs %.9g\n", what, m, k, nn, i,
             a[i], b[i]);
      return 0;
    }
  return 1;
}

int main(int argc, char **argv) {
  int corrupt = argc > 1 && !strcmp(argv[1], "corrupt");
  static const int Sizes[][3] = {{1, 3, 2},   {3, 5, 7},    {5, 17, 33},
                                 {14, 14, 32}, {15, 31, 17}, {29, 100, 100},
                                 {100, 257, 33}};
  int fails = 0;
  for (unsigned c = 0; c < sizeof Sizes / sizeof *Sizes; ++c) {
    int m = Sizes[c][0], k = Sizes[c][1], n = Sizes[c][2];
    float *x = malloc(sizeof(float) * m * k), *b = malloc(sizeof(float) * k);
    float *y = malloc(sizeof(float) * m * n), *w = malloc(sizeof(float) * n * k);
    for (int i = 0; i < m * k; ++i) x[i] = next();
    for (int i = 0; i < k; ++i) b[i] = next();
    for (int i = 0; i < m * n; ++i) y[i] = next();
    for (int i = 0; i < n * k; ++i) w[i] = next();
    float *s1 = malloc(sizeof(float) * m * k), *p1 = malloc(sizeof(float) * k * n),
          *q1 = malloc(sizeof(float) * m * n);
    float *s2 = malloc(sizeof(float) * m * k), *p2 = malloc(sizeof(float) * k * n),
          *q2 = malloc(sizeof(float) * m * n), *bb = malloc(sizeof(float) * m * k),
          *xt = malloc(sizeof(float) * k * m), *wt = malloc(sizeof(float) * k * n),
          *a2 = malloc(sizeof(float) * m * k), *t2 = malloc(sizeof(float) * m * k);
    if (viewed(x, m, k, b, k, y, m, n, w, n, k, s1, p1, q1, NULL) ||
        copied(x, m, k, b, k, y, m, n, w, n, k, s2, p2, q2, bb, xt, wt, a2, t2,
               NULL)) {
      printf("MISMATCH a call failed\n");
      return 1;
    }
    if (corrupt && c == 2)
      q2[n - 1] += 1e-3f;
    fails += !same("tanh(x + b) * x", s1, s2, (long)m * k, m, k, n);
    fails += !same("x.T @ y", p1, p2, (long)k * n, m, k, n);
    fails += !same("x @ w.T", q1, q2, (long)m * n, m, k, n);
    free(x), free(b), free(y), free(w), free(s1), free(p1), free(q1), free(s2),
        free(p2), free(q2), free(bb), free(xt), free(wt), free(a2), free(t2);
  }
  if (fails)
    return 1;
  printf("all ok\n");
  return 0;
}
