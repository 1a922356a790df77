// Ops that --threads shares among the module's threads by rows
// (lib/CodeGen/RowThreads.cpp) give the bits of one thread: each kind
// (an element-wise chain reading broadcasts and a scalar, a fused value
// also stored, softmax, log_softmax, logsumexp, sums and extrema along
// the rows) at batches that do not divide among 2 or 3 threads (1, 3, 17,
// 257: some slices are empty, the last shorter), with rows wide enough to
// be shared and narrow enough not to be; and the MLP train step
// (value and gradients) at B = 1, 3, 17, 257, 256.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/row_threads.nn --prefix=one_ -c -o %t/one.o --header %t/one.h
// RUN: %nnc %S/Inputs/row_threads.nn --prefix=two_ --threads=2 -c -o %t/two.o --header %t/two.h
// RUN: %nnc %S/Inputs/row_threads.nn --prefix=three_ --threads=3 -c -o %t/three.o --header %t/three.h
// RUN: %cc -std=c99 -O1 -pthread -Wall -Wextra -Werror -I%t %s %t/one.o %t/two.o %t/three.o -lm -o %t/rows
// RUN: %t/rows | FileCheck %s
// The checker fails on a wrong element.
// RUN: not %t/rows corrupt | FileCheck %s --check-prefix=BAD
// Which ops are shared (the plan), and none with one thread.
// RUN: %nnc %S/Inputs/row_threads.nn --threads=2 --emit=plan | FileCheck %s --check-prefix=PLAN
// RUN: %nnc %S/Inputs/row_threads.nn --emit=plan | FileCheck %s --check-prefix=ONE
// The shared ops are moved into functions the pool runs (the plan says
// which ops may be; this is what the emitter did).
// RUN: %nnc %S/Inputs/row_threads.nn --threads=2 -S --emit-llvm -o - | FileCheck %s --check-prefix=IR
// IR: call {{.*}}void @nnc.pool.run(ptr nonnull @net_forward.rows,
// IR: define internal void @net_forward.rows(ptr
// CHECK: chain: ok
// CHECK: stored: ok
// CHECK: softmax: ok
// CHECK: log_softmax: ok
// CHECK: logsumexp: ok
// CHECK: sum: ok
// CHECK: max: ok
// CHECK: min: ok
// CHECK: step: ok
// CHECK: all ok
// BAD: MISMATCH
// BAD-NOT: all ok
// PLAN-LABEL: func @chain(
// PLAN: %7 = sub %4, %6 : f32[B, n]  ; rows of B shared among 2 threads when large, result 0
// PLAN-LABEL: func @stored(
// PLAN: %2 = mul %x, %1 : f32[B, n]  ; fused: computed in its user's loop, which stores it to result 0
// PLAN: %5 = add %2, %4 : f32[B, n]  ; rows of B shared among 2 threads when large, result 1
// PLAN-LABEL: func @smax(
// PLAN: softmax %x axis=1 : f32[B, n]  ; rows of B shared among 2 threads when large
// PLAN-LABEL: func @lse(
// PLAN: logsumexp %x axis=1 : f32[B]  ; rows of B shared among 2 threads when large
// PLAN-LABEL: func @rsum(
// PLAN: reduce_sum %0 axis=1 : f32[B]  ; rows of B shared among 2 threads when large
// PLAN-LABEL: func @step(
// A sum over the batch is not shared by rows, nor is pick (it can fail).
// PLAN: pick %7, %y : f32[B]  ; slot
// PLAN-NOT: shared
// PLAN: reduce_sum %8 axis=0 : f32
// PLAN: %31 = select %30, %26, %29 : f32[B, 100]  ; rows of B shared among 2 threads when large, slot 0
// PLAN: sum_to %31 : f32[100]  ; result 2
// ONE-NOT: shared among

// The three headers of one input, with three prefixes, side by side.
#include "one.h"
#include "two.h"
#include "three.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int Corrupt, Bad;
static unsigned Seed = 12345;

static float rnd(void) {
  Seed = Seed * 1103515245u + 12345u;
  return (float)((Seed >> 8) & 0xffff) / 16384.0f - 2.0f;
}

static float *fill(size_t N) {
  float *P = malloc(sizeof(float) * (N ? N : 1));
  for (size_t I = 0; I < N; ++I)
    P[I] = rnd();
  return P;
}

// Each function runs in a workspace of the three-thread build's size, the
// largest (a product's scratch is per thread).

// Outputs of the three builds, compared bit for bit; corrupt flips the
// last bit of one element of the three-thread result.
static void same(const char *What, int B, int N, float *One, float *Two,
                 float *Three, size_t Count) {
  if (Corrupt && Count)
    ((unsigned char *)&Three[Count / 2])[0] ^= 1;
  if (memcmp(One, Two, sizeof(float) * Count) ||
      memcmp(One, Three, sizeof(float) * Count)) {
    printf("MISMATCH: %s at B=%d n=%d\n", What, B, N);
    Bad = 1;
  }
}

static void *ws(int64_t Size) {
  if (Size < 0) {
    printf("MISMATCH: workspace size %lld\n", (long long)Size);
    exit(1);
  }
  return malloc(Size ? (size_t)Size : 1);
}

static void status(int32_t St, const char *What) {
  if (St != NNC_OK) {
    printf("MISMATCH: %s returned %d\n", What, St);
    exit(1);
  }
}

// Batches and row widths: wide enough to be shared (B * n >= 65536
// elements, 2048 for the softmax family), or not (3 x 7; 257 x 33, 1 x 2100
// and 17 x 130 only for the softmax family).
static const int Sizes[][2] = {{1, 70000}, {3, 22000}, {17, 4000},
                               {257, 256}, {257, 33},  {3, 7},
                               {1, 2100},  {17, 130}};
enum { NumSizes = sizeof(Sizes) / sizeof(Sizes[0]) };

// One function of one input x[B, n] and one output of OutPerRow * B
// elements (n per row, or 1), in the three builds.
#define ROWS_OP(NAME, LABEL, WIDE)                                           \
  static void check_##NAME(void) {                                           \
    int Before = Bad;                                                        \
    for (int S = 0; S < NumSizes; ++S) {                                     \
      int B = Sizes[S][0], N = Sizes[S][1];                                  \
      size_t Out = (size_t)B * ((WIDE) ? N : 1);                             \
      float *X = fill((size_t)B * N), *O1 = fill(Out), *O2 = fill(Out),      \
            *O3 = fill(Out);                                                 \
      void *W = ws(three_##NAME##_workspace_size(B, N));                     \
      status(one_##NAME(X, B, N, O1, W), #NAME);                             \
      status(two_##NAME(X, B, N, O2, W), #NAME);                             \
      status(three_##NAME(X, B, N, O3, W), #NAME);                           \
      same(LABEL, B, N, O1, O2, O3, Out);                                    \
      free(X), free(O1), free(O2), free(O3), free(W);                        \
    }                                                                        \
    if (Bad == Before)                                                       \
      printf("%s: ok\n", LABEL);                                             \
  }
ROWS_OP(smax, "softmax", 1)
ROWS_OP(lsmax, "log_softmax", 1)
ROWS_OP(lse, "logsumexp", 0)
ROWS_OP(rsum, "sum", 0)
ROWS_OP(rmax, "max", 0)
ROWS_OP(rmin, "min", 0)

static void check_chain(void) {
  int Before = Bad;
  for (int S = 0; S < NumSizes; ++S) {
    int B = Sizes[S][0], N = Sizes[S][1];
    size_t Count = (size_t)B * N;
    float *X = fill(Count), *Bias = fill(N), *C = fill(B), *O1 = fill(Count),
          *O2 = fill(Count), *O3 = fill(Count);
    void *W = ws(three_chain_workspace_size(B, N));
    status(one_chain(X, B, N, Bias, N, C, B, 1, 0.75f, O1, W), "chain");
    status(two_chain(X, B, N, Bias, N, C, B, 1, 0.75f, O2, W), "chain");
    status(three_chain(X, B, N, Bias, N, C, B, 1, 0.75f, O3, W), "chain");
    same("chain", B, N, O1, O2, O3, Count);
    free(X), free(Bias), free(C), free(O1), free(O2), free(O3), free(W);
  }
  if (Bad == Before)
    printf("chain: ok\n");
}

static void check_stored(void) {
  int Before = Bad;
  for (int S = 0; S < NumSizes; ++S) {
    int B = Sizes[S][0], N = Sizes[S][1];
    size_t Count = (size_t)B * N;
    float *X = fill(Count), *P[3], *Q[3];
    for (int I = 0; I < 3; ++I)
      P[I] = fill(Count), Q[I] = fill(Count);
    void *W = ws(three_stored_workspace_size(B, N));
    status(one_stored(X, B, N, P[0], Q[0], W), "stored");
    status(two_stored(X, B, N, P[1], Q[1], W), "stored");
    status(three_stored(X, B, N, P[2], Q[2], W), "stored");
    same("stored, the fused value", B, N, P[0], P[1], P[2], Count);
    same("stored, its user", B, N, Q[0], Q[1], Q[2], Count);
    free(X), free(W);
    for (int I = 0; I < 3; ++I)
      free(P[I]), free(Q[I]);
  }
  if (Bad == Before)
    printf("stored: ok\n");
}

static void check_step(void) {
  static const int Batches[] = {1, 3, 17, 257, 256};
  int Before = Bad;
  one_net_params_t *P1 = malloc(sizeof *P1);
  two_net_params_t *P2 = malloc(sizeof *P2);
  three_net_params_t *P3 = malloc(sizeof *P3);
  void *W = ws(one_net_init_workspace_size());
  status(one_net_init(7, P1, W), "net_init");
  free(W);
  memcpy(P2, P1, sizeof *P1);
  memcpy(P3, P1, sizeof *P1);
  one_net_grads_t *G1 = malloc(sizeof *G1);
  two_net_grads_t *G2 = malloc(sizeof *G2);
  three_net_grads_t *G3 = malloc(sizeof *G3);
  for (int S = 0; S < 5; ++S) {
    int B = Batches[S];
    float *X = fill((size_t)B * 784), V[3];
    int32_t *Y = malloc(sizeof(int32_t) * B);
    for (int I = 0; I < B; ++I)
      Y[I] = (int32_t)((Seed = Seed * 1103515245u + 12345u) >> 16) % 10;
    // Three threads' products need the most scratch (one per thread).
    W = ws(three_step_workspace_size(B));
    status(one_step(P1, X, B, 784, Y, B, &V[0], G1, W), "step");
    status(two_step(P2, X, B, 784, Y, B, &V[1], G2, W), "step");
    status(three_step(P3, X, B, 784, Y, B, &V[2], G3, W), "step");
    same("step, the loss", B, 784, &V[0], &V[1], &V[2], 1);
    same("step, the gradients", B, 784, (float *)G1, (float *)G2,
         (float *)G3, sizeof *G1 / sizeof(float));
    free(X), free(Y), free(W);
  }
  free(P1), free(P2), free(P3), free(G1), free(G2), free(G3);
  if (Bad == Before)
    printf("step: ok\n");
}

int main(int Argc, char **Argv) {
  Corrupt = Argc > 1 && !strcmp(Argv[1], "corrupt");
  check_chain();
  check_stored();
  check_smax();
  check_lsmax();
  check_lse();
  check_rsum();
  check_rmax();
  check_rmin();
  check_step();
  if (!Bad)
    printf("all ok\n");
  return Bad;
}
