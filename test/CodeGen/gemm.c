// The matrix-product kernel (lib/CodeGen/Gemm.h) against the naive loop at
// awkward sizes: 1, tile edges (13..17 rows, 15..33 columns), primes, sizes
// that cross the k and row blocks, with both operands row-major or
// transposed, f32 and f64, sizes known at run time and at compile time.
// With --fp-model=strict every element equals the naive loop's bit for bit
// (each adds its products in order of k, from zero); by default (fused
// multiply-add) each is within the rounding bound k * eps * sum |a||b| of
// it. The checker fails on a wrong element and on NaN (the BAD runs).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict -c -o %t/strict.o --header %t/gemm.h
// RUN: %cc -std=c99 -O1 -ffp-contract=off -Wall -Wextra -Werror -I%t %s %t/strict.o -lm -o %t/strict
// RUN: %t/strict exact | FileCheck %s
// RUN: %nnc %S/Inputs/gemm.nn -c -o %t/contract.o
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/contract.o -lm -o %t/contract
// RUN: %t/contract bound | FileCheck %s
// The kernel unoptimized, on a portable CPU (SSE2: 4 floats to a vector,
// 16 registers, so other tiles), and cut into parts: the same bits.
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict -O0 -c -o %t/o0.o
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/o0.o -lm -o %t/o0
// RUN: %t/o0 exact small | FileCheck %s
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict --mcpu=generic --split-functions=1 -c -o %t/generic.o
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/generic.o -lm -o %t/generic
// RUN: %t/generic exact | FileCheck %s
// Rows shared among 3 threads (2 and 5 for the default model): the same
// bits as one.
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict --threads=3 -c -o %t/threads.o
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/threads.o -lm -o %t/threads
// RUN: %t/threads exact | FileCheck %s
// RUN: %nnc %S/Inputs/gemm.nn --threads=2 -c -o %t/threads2.o
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/threads2.o -lm -o %t/threads2
// RUN: %t/threads2 bound | FileCheck %s
// RUN: not %nnc %S/Inputs/gemm.nn --threads=0 -c -o %t/none.o 2>&1 | FileCheck %s --check-prefix=ZERO
// ZERO: error: --threads=0: give a number of threads from 1 to 256
// The checker catches a wrong element and a NaN.
// RUN: not %t/strict exact corrupt | FileCheck %s --check-prefix=BAD
// RUN: not %t/contract bound corrupt | FileCheck %s --check-prefix=BAD
// RUN: not %t/contract bound nan | FileCheck %s --check-prefix=BAD
// CHECK-NOT: MISMATCH
// CHECK: all ok
// BAD: MISMATCH
// BAD-NOT: all ok

#include "gemm.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int Exact, Corrupt, PutNaN, Failures, Cases;

static unsigned Seed = 12345;
static double next(void) {
  Seed = Seed * 1103515245u + 12345u;
  return (double)((Seed >> 8) % 2001) / 1000.0 - 1.0;
}

// One checker per element type: the naive loop in that type (no
// contraction: -ffp-contract=off), then each element compared.
#define DEFINE_CHECK(T, EPS)                                                   \
  static void check_##T(const char *what, const T *a, long rsa, long csa,     \
                        const T *b, long rsb, long csb, T *got, int m, int k,  \
                        int n) {                                               \
    ++Cases;                                                                   \
    if (Corrupt && Cases == 3 && m * n > 0)                                    \
      got[m * n - 1] += (T)0.5;                                                \
    if (PutNaN && Cases == 3 && m * n > 0)                                     \
      got[0] = (T)NAN;                                                         \
    int bad = 0;                                                               \
    for (int i = 0; i < m; ++i)                                                \
      for (int j = 0; j < n; ++j) {                                            \
        T acc = 0;                                                             \
        double mag = 0;                                                        \
        for (int p = 0; p < k; ++p) {                                          \
          T x = a[i * rsa + p * csa], y = b[p * rsb + j * csb];                \
          acc += x * y;                                                        \
          mag += fabs((double)x * (double)y);                                  \
        }                                                                      \
        double g = got[i * n + j], w = acc;                                    \
        int fine = Exact ? g == w : fabs(g - w) <= k * (EPS) * mag;            \
        if (!fine && bad++ < 3)                                                \
          printf("MISMATCH %s %dx%dx%d [%d,%d]: got %.17g, want %.17g\n",     \
                 what, m, k, n, i, j, g, w);                                   \
      }                                                                        \
    if (bad)                                                                   \
      ++Failures;                                                              \
  }
DEFINE_CHECK(float, FLT_EPSILON)
DEFINE_CHECK(double, DBL_EPSILON)

#define FILL(T, p, count)                                                      \
  T *p = malloc(sizeof(T) * ((count) > 0 ? (count) : 1));                      \
  for (long i_ = 0; i_ < (long)(count); ++i_)                                  \
    p[i_] = (T)next();

static void status(const char *what, int rc) {
  if (rc != 0) {
    printf("MISMATCH %s returned %d\n", what, rc);
    ++Failures;
  }
}

static void run(int m, int k, int n) {
  FILL(float, a, m * k)
  FILL(float, b, k * n)
  FILL(double, ad, m * k)
  FILL(double, bd, k * n)
  float *c = malloc(sizeof(float) * (m * n + 1));
  double *cd = malloc(sizeof(double) * (m * n + 1));
  // Row-major operands.
  status("mm32", mm32(a, m, k, b, k, n, c, NULL));
  check_float("mm32", a, k, 1, b, n, 1, c, m, k, n);
  status("mm64", mm64(ad, m, k, bd, k, n, cd, NULL));
  check_double("mm64", ad, k, 1, bd, n, 1, cd, m, k, n);
  // a is [k, m] in memory, b is [n, k]: the transposes are read in place.
  status("mmta", mmta(a, k, m, b, k, n, c, NULL));
  check_float("mmta", a, 1, m, b, n, 1, c, m, k, n);
  status("mmtb", mmtb(a, m, k, b, n, k, c, NULL));
  check_float("mmtb", a, k, 1, b, 1, k, c, m, k, n);
  status("mmtt", mmtt(ad, k, m, bd, n, k, cd, NULL));
  check_double("mmtt", ad, 1, m, bd, 1, k, cd, m, k, n);
  free(a), free(b), free(ad), free(bd), free(c), free(cd);
}

int main(int argc, char **argv) {
  int small = 0;
  for (int i = 1; i < argc; ++i) {
    Exact |= !strcmp(argv[i], "exact");
    Corrupt |= !strcmp(argv[i], "corrupt");
    PutNaN |= !strcmp(argv[i], "nan");
    small |= !strcmp(argv[i], "small");
  }
  static const int Ms[] = {1, 2, 3, 4, 5, 7, 13, 14, 15, 17, 29, 100, 131, 257};
  static const int Ks[] = {1, 3, 17, 100, 257, 513};
  static const int Ns[] = {1, 3, 10, 15, 16, 17, 31, 32, 33, 100, 257};
  int nm = sizeof Ms / sizeof *Ms, nk = sizeof Ks / sizeof *Ks,
      nn = sizeof Ns / sizeof *Ns;
  for (int i = 0; i < nm; ++i)
    for (int p = 0; p < nk; ++p) {
      if (small && (Ms[i] > 100 || Ks[p] > 257))
        continue;
      run(Ms[i], Ks[p], Ns[(i + p) % nn]);
      run(Ms[i], Ks[p], Ns[(3 * i + 2 * p + 5) % nn]);
    }
  // The paths for few columns (lib/CodeGen/GemmColumnTiles.cpp and
  // wantsTranspose in Gemm.cpp), where mmta (A read transposed, so copied)
  // takes them: the product computed as its transpose, C^T = B^T A^T, into
  // the scratch and transposed into C (N of a few lanes but more than 8,
  // K >= 32: 100x257x10 over two blocks of k, 70x33x9), and column tiles, a
  // vector per column of C for the last panel of B when it has at most 8
  // columns against a copy of A (a product of so few columns is not
  // transposed: 257x33x3, 131x100x1, 17x32x1), 4 when A is read in place
  // (mm32, mmtb): 784x64x100, 4 of them; 15x40x42, 10 (a one-vector tile);
  // 100x17x9, 9 (one too); 100x40x38, 6 in a tile of 8 against a copy;
  // 16x31x2; 29x513x36 over three blocks of k, the in-place tile's last
  // steps gathered. 1000x1100x1 and 600x300x10 are large enough to be
  // shared among threads, the latter's slices each transposed.
  run(100, 257, 10);
  run(70, 33, 9);
  run(257, 33, 3);
  run(131, 100, 1);
  run(17, 32, 1);
  run(784, 64, 100);
  run(15, 40, 42);
  run(100, 17, 9);
  run(100, 40, 38);
  run(16, 31, 2);
  run(29, 513, 36);
  if (!small) {
    run(1000, 1100, 1);
    run(600, 300, 10);
  }
  // A transpose that only products read is not copied (FusionPlan.h): a
  // product of 3 rows needs no scratch either, so no workspace at all.
  if (mmta_workspace_size(5, 3, 7) != 0 || mmtt_workspace_size(5, 3, 7) != 0) {
    printf("MISMATCH a transpose has memory of its own\n");
    ++Failures;
  }
  // Empty products: k = 0 gives zeros; m or n = 0 nothing.
  run(3, 0, 5);
  run(0, 4, 5);
  run(6, 4, 0);
  // Sizes known at compile time.
  {
    FILL(float, a, 17 * 257)
    FILL(float, b, 257 * 100)
    float *c = malloc(sizeof(float) * 17 * 100);
    status("fixed", fixed(a, 17, 257, b, 257, 100, c, NULL));
    check_float("fixed", a, 257, 1, b, 100, 1, c, 17, 257, 100);
    free(a), free(b), free(c);
  }
  {
    FILL(double, a, 300 * 5)
    FILL(double, b, 33 * 300)
    double *c = malloc(sizeof(double) * 5 * 33);
    status("fixedt", fixedt(a, 300, 5, b, 33, 300, c, NULL));
    check_double("fixedt", a, 1, 5, b, 1, 300, c, 5, 300, 33);
    free(a), free(b), free(c);
  }
  if (Failures) {
    printf("%d of %d products differ\n", Failures, Cases);
    return 1;
  }
  printf("all ok (%d products)\n", Cases);
  return 0;
}
