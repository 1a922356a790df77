// What examples/train_spiral.c and examples/train_spiral_step.c share:
// CS231n's spiral data set (3 classes of 100 points each), the same on
// every machine (a small seeded generator: SplitMix64 for uniform numbers,
// Box-Muller for normal ones), the status check and the workspace. Include
// it after the header nnc generated (NNC_OK).
#ifndef NNC_EXAMPLES_SPIRAL_H
#define NNC_EXAMPLES_SPIRAL_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

enum { N = 100, K = 3, B = N * K };

static uint64_t rng_state = 42;

static double uniform(void) { // in [0, 1)
  uint64_t z = (rng_state += 0x9E3779B97F4A7C15u);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1p-53;
}

static double normal(void) {
  double u1 = uniform(), u2 = uniform();
  return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

// The course's formula: for class j, r = linspace(0, 1, N),
// t = linspace(4j, 4(j + 1), N) + 0.2 * randn(N), x = (r sin t, r cos t).
static void make_spiral(float X[B][2], int32_t y[B]) {
  for (int j = 0; j < K; ++j)
    for (int i = 0; i < N; ++i) {
      double r = (double)i / (N - 1);
      double t = 4.0 * j + 4.0 * i / (N - 1) + 0.2 * normal();
      X[N * j + i][0] = (float)(r * sin(t));
      X[N * j + i][1] = (float)(r * cos(t));
      y[N * j + i] = j;
    }
}

// Every nnc function returns a status: NNC_OK (0), NNC_ERR_SHAPE,
// NNC_ERR_INDEX or NNC_ERR_NOMEM.
static void check(int32_t status, const char *what) {
  if (status != NNC_OK) {
    fprintf(stderr, "error: %s returned status %d\n", what, (int)status);
    exit(1);
  }
}

// One workspace for every call: as large as the largest of two needs (the
// *_workspace_size functions), allocated once; passing NULL instead makes
// each call malloc and free its own. Exits on a bad size or no memory.
static void *alloc_workspace(int64_t need1, int64_t need2, size_t *size) {
  if (need1 < 0 || need2 < 0) {
    fprintf(stderr, "error: bad workspace size\n");
    exit(1);
  }
  *size = (size_t)(need1 > need2 ? need1 : need2);
  void *workspace = malloc(*size ? *size : 1);
  if (!workspace) {
    fprintf(stderr, "error: out of memory\n");
    exit(1);
  }
  return workspace;
}

#endif
