// rand and randn: element i is the documented pure function of (seed,
// stream, i) (docs/abi.md, "Random numbers"), re-implemented here and
// compared bit for bit; the same call gives the same numbers, streams and
// seeds differ, a prefix does not depend on the length, and the moments
// are those of U[0, 1) and N(0, 1). The first values are pinned so a
// change of the formula cannot go unnoticed.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc -x ir %S/Inputs/random.nnir -c -o %t/random.o --header %t/random.h
// RUN: %cc -std=c99 -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/random.o -lm -o %t/random
// RUN: %t/random | FileCheck %s
// CHECK: rand(42, 0) = 0.34329192209867343 0.95574672613174361 0.48634953628166855
// CHECK: randn(42, 0) = 0.88185458735732214 1.0524628562387559
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "random.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void expect(const char *what, int cond) {
  if (!cond) {
    printf("MISMATCH %s\n", what);
    ++failures;
  }
}

static uint64_t mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

static const uint64_t G = 0x9E3779B97F4A7C15ULL;

static uint64_t bits(int64_t seed, uint64_t stream, uint64_t c) {
  uint64_t key = mix((uint64_t)seed + (stream + 1) * G);
  return mix(key + (c + 1) * G);
}

static double u53(uint64_t b) { return (double)(b >> 11) * 0x1p-53; }

static double normal(int64_t seed, uint64_t stream, uint64_t i) {
  double u1 = u53(bits(seed, stream, 2 * i));
  double u2 = u53(bits(seed, stream, 2 * i + 1));
  return sqrt(-2.0 * log(1.0 - u1)) * cos(6.283185307179586 * u2);
}

typedef struct {
  double *u, *u1, *g;
  float *uf, *gf;
  double one;
} Draw;

static Draw draw(int64_t seed, int64_t n) {
  Draw d;
  d.u = malloc(sizeof(double) * n), d.u1 = malloc(sizeof(double) * n);
  d.g = malloc(sizeof(double) * n);
  d.uf = malloc(sizeof(float) * n), d.gf = malloc(sizeof(float) * n);
  double *x = calloc(n, sizeof(double));
  expect("status", sample(seed, x, n, d.u, d.u1, d.uf, d.g, d.gf, &d.one,
                          NULL) == NNC_OK);
  free(x);
  return d;
}

static void release(Draw d) {
  free(d.u), free(d.u1), free(d.g), free(d.uf), free(d.gf);
}

int main(void) {
  enum { N = 200000 };
  Draw d = draw(42, N);
  printf("rand(42, 0) = %.17g %.17g %.17g\n", d.u[0], d.u[1], d.u[2]);
  printf("randn(42, 0) = %.17g %.17g\n", d.g[0], d.g[1]);
  int exact = 1;
  for (uint64_t i = 0; i < N; ++i) {
    exact &= d.u[i] == u53(bits(42, 0, i));
    exact &= d.u1[i] == u53(bits(42, 1, i));
    exact &= d.uf[i] == (float)(bits(42, 0, i) >> 40) * 0x1p-24f;
    exact &= d.g[i] == normal(42, 0, i);
    exact &= d.gf[i] == (float)normal(42, 2, i);
    exact &= d.u[i] >= 0 && d.u[i] < 1 && d.uf[i] >= 0 && d.uf[i] < 1;
  }
  expect("the documented formula, bit for bit", exact);
  expect("a scalar rand", d.one == u53(bits(42, 3, 0)));

  double mu = 0, mg = 0, vu = 0, vg = 0;
  for (int i = 0; i < N; ++i)
    mu += d.u[i], mg += d.g[i];
  mu /= N, mg /= N;
  for (int i = 0; i < N; ++i)
    vu += (d.u[i] - mu) * (d.u[i] - mu), vg += (d.g[i] - mg) * (d.g[i] - mg);
  vu /= N, vg /= N;
  expect("uniform mean", fabs(mu - 0.5) < 0.005);
  expect("uniform variance", fabs(vu - 1.0 / 12) < 0.002);
  expect("normal mean", fabs(mg) < 0.01);
  expect("normal variance", fabs(vg - 1) < 0.02);

  Draw again = draw(42, N), other = draw(43, N), prefix = draw(42, 10);
  expect("reproducible", memcmp(again.u, d.u, sizeof(double) * N) == 0 &&
                             memcmp(again.g, d.g, sizeof(double) * N) == 0);
  expect("prefix", memcmp(prefix.g, d.g, sizeof(double) * 10) == 0 &&
                       memcmp(prefix.uf, d.uf, sizeof(float) * 10) == 0);
  int same_seed = 0, same_stream = 0;
  for (int i = 0; i < N; ++i)
    same_seed += other.u[i] == d.u[i], same_stream += d.u1[i] == d.u[i];
  expect("seeds differ", same_seed < 3);
  expect("streams differ", same_stream < 3);
  release(d), release(again), release(other), release(prefix);
  printf(failures ? "%d failures\n" : "all ok\n", failures);
  return failures != 0;
}
