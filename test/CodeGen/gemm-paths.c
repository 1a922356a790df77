// A kernel holds only the paths its module's products can take, known from
// their constant sizes and strides (lib/CodeGen/Gemm.h,
// defineGemmFunctions); a path none takes traps. Each product here is a
// module of its own, so its kernel is cut to that one product: direct
// products (few rows, a short k, B read through a stride), blocked ones
// (every panel width, A or B or both transposed), both element types, and
// one size known only at run time; products computed as their transpose
// (A read transposed, few columns: t_*), whose blocked path runs on the
// swapped shape (GemmShape::transposed), with column tiles on C^T's last
// panel, and column tiles (c_*): against a copy of A of 4 (c_n100ta) and 8
// columns (c_n8ta, c_n40ta: not transposed, a product of at most 8 columns
// is one panel of column tiles), in place (c_n36, the last panel of a
// wider product), or none (c_n12: 12 columns are more than the in-place
// tile's 4; s_m: 3 columns, but a single panel). With k known only at run
// time, a product of at most 8 columns keeps its own shape's paths (s_k),
// one of 10 both shapes' (s_kn10 transposed, s_kn10s not). Every element
// must equal the naive loop bit for bit (--fp-model=strict); a pruned path
// that a product needs would trap instead.
// RUN: bash %S/Inputs/gemm-paths.sh %nnc %t --fp-model=strict
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t %s %t/*.o -lm -o %t/check
// RUN: %t/check | FileCheck %s
// The portable CPU: 4 floats to a vector, 16 registers, other tiles and
// chunks.
// RUN: bash %S/Inputs/gemm-paths.sh %nnc %t.g --fp-model=strict --mcpu=generic
// RUN: %cc -std=c99 -O1 -ffp-contract=off -I%t.g %s %t.g/*.o -lm -o %t.g/check
// RUN: %t.g/check | FileCheck %s
// The checker catches a wrong element and a NaN.
// RUN: not %t/check corrupt | FileCheck %s --check-prefix=BAD
// RUN: not %t/check nan | FileCheck %s --check-prefix=BAD
// CHECK-NOT: MISMATCH
// CHECK: all ok (32 products)
// BAD: MISMATCH
// BAD-NOT: all ok

#include "cases.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int32_t (*mm32_t)(const float *, int64_t, int64_t, const float *,
                          int64_t, int64_t, float *, void *);
typedef int32_t (*mm64_t)(const double *, int64_t, int64_t, const double *,
                          int64_t, int64_t, double *, void *);

static unsigned Seed = 12345;
static double next(void) {
  Seed = Seed * 1103515245u + 12345u;
  return (double)((Seed >> 8) % 2001) / 1000.0 - 1.0;
}

// The naive loop in the element type, each element's products in order
// of k; a is [m, k] (or [k, m] when ta), b is [k, n] (or [n, k] when tb).
#define DEFINE_CHECK(T)                                                        \
  static int check_##T(const struct gemm_case *c, int corrupt, int nan) {      \
    int m = c->m, k = c->k, n = c->n;                                          \
    T *a = malloc(sizeof(T) * (m * k + 1)),                                    \
      *b = malloc(sizeof(T) * (k * n + 1));                                    \
    T *got = malloc(sizeof(T) * (m * n + 1));                                  \
    for (int i = 0; i < m * k; ++i)                                            \
      a[i] = (T)next();                                                        \
    for (int i = 0; i < k * n; ++i)                                            \
      b[i] = (T)next();                                                        \
    long rsa = c->ta ? 1 : k, csa = c->ta ? m : 1;                             \
    long rsb = c->tb ? 1 : n, csb = c->tb ? k : 1;                             \
    int rc =                                                                   \
        c->f64                                                                 \
            ? ((mm64_t)c->fn)((const double *)a, c->ta ? k : m, c->ta ? m : k, \
                              (const double *)b, c->tb ? n : k, c->tb ? k : n, \
                              (double *)got, NULL)                             \
            : ((mm32_t)c->fn)((const float *)a, c->ta ? k : m, c->ta ? m : k,  \
                              (const float *)b, c->tb ? n : k, c->tb ? k : n,  \
                              (float *)got, NULL);                             \
    if (corrupt)                                                               \
      got[m * n - 1] += (T)0.5;                                                \
    if (nan)                                                                   \
      got[0] = (T)(0.0 / 0.0);                                                 \
    int bad = rc != 0;                                                         \
    if (rc)                                                                    \
      printf("MISMATCH %s returned %d\n", c->name, rc);                        \
    for (int i = 0; i < m && !rc; ++i)                                         \
      for (int j = 0; j < n; ++j) {                                            \
        T acc = 0;                                                             \
        for (int p = 0; p < k; ++p)                                            \
          acc += a[i * rsa + p * csa] * b[p * rsb + j * csb];                  \
        if (!(got[i * n + j] == acc) && bad++ < 3)                             \
          printf("MISMATCH %s %dx%dx%d [%d,%d]: got %.17g, want %.17g\n",      \
                 c->name, m, k, n, i, j, (double)got[i * n + j], (double)acc); \
      }                                                                        \
    free(a), free(b), free(got);                                               \
    return bad != 0;                                                           \
  }
DEFINE_CHECK(float)
DEFINE_CHECK(double)

int main(int argc, char **argv) {
  int corrupt = argc > 1 && !strcmp(argv[1], "corrupt");
  int nan = argc > 1 && !strcmp(argv[1], "nan");
  int failures = 0, count = sizeof Cases / sizeof *Cases;
  for (int i = 0; i < count; ++i) {
    // The wrong element or NaN goes into the third product only.
    int bent = i == 2;
    failures += Cases[i].f64
                    ? check_double(&Cases[i], corrupt && bent, nan && bent)
                    : check_float(&Cases[i], corrupt && bent, nan && bent);
  }
  if (failures) {
    printf("%d of %d products differ\n", failures, count);
    return 1;
  }
  printf("all ok (%d products)\n", count);
  return 0;
}
