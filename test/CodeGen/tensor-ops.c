// Every tensor op, called through the status ABI from C with exact expected
// values: element-wise ops with explicit broadcasting, broadcast, sum_to,
// transpose, reshape (an alias), the four matmul shapes (non-square, dims of
// 1, and one large enough to cross the blocking, equal bit for bit to the
// naive loop since each element adds its products in the same order),
// every reduction on every axis with ties, the softmax family (stable for
// inputs like 1000), onehot, pick, iota, dim, tensor constants, and calls
// to tensor functions (inlined) next to scalar calls (kept). --passes= keeps
// the IR as written, so code generation does its own inlining.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc -x ir %S/Inputs/tensor_ops.nnir --passes= --fp-model=strict -c -o %t/ops.o --header %t/tensor_ops.h
// RUN: %cc -std=c99 -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/ops.o -lm -o %t/ops
// RUN: %t/ops | FileCheck %s
// Also at -O0, where nothing is vectorized or folded.
// RUN: %nnc -x ir %S/Inputs/tensor_ops.nnir --passes= --fp-model=strict -O0 -c -o %t/ops0.o
// RUN: %cc -std=c99 -ffp-contract=off %inc %s %t/ops0.o -lm -o %t/ops0
// RUN: %t/ops0 | FileCheck %s
// And with every op of every function in a part of its own (Outline.h).
// RUN: %nnc -x ir %S/Inputs/tensor_ops.nnir --passes= --fp-model=strict --split-functions=1 -c -o %t/ops1.o
// RUN: %cc -std=c99 -ffp-contract=off %inc %s %t/ops1.o -lm -o %t/ops1
// RUN: %t/ops1 | FileCheck %s
// CHECK-NOT: MISMATCH
// CHECK: l2 = 0.116
// CHECK-NOT: MISMATCH
// CHECK: all ok

#include "tensor_ops.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

static void eq(const char *what, int i, double got, double want) {
  if (got == want || (isnan(got) && isnan(want)))
    return;
  printf("MISMATCH %s[%d]: got %.17g, want %.17g\n", what, i, got, want);
  ++failures;
}

static void eqv(const char *what, const double *got, const double *want,
                int n) {
  for (int i = 0; i < n; ++i)
    eq(what, i, got[i], want[i]);
}

static void ok(const char *what, int rc) {
  if (rc != NNC_OK) {
    printf("MISMATCH %s returned %d\n", what, rc);
    ++failures;
  }
}

static void test_l2(void) {
  double W[] = {0.1, 0.5, -0.3, 0.8}, x[] = {0.2, 0.4}, out = 0;
  ok("l2", l2(x, 2, W, 2, 2, &out, NULL));
  printf("l2 = %.3f\n", out);
  // (0.1*0.2 + 0.5*0.4)^2 + (-0.3*0.2 + 0.8*0.4)^2, in the same order.
  double q0 = 0.0 + 0.1 * 0.2, q1 = 0.0 + -0.3 * 0.2;
  q0 += 0.5 * 0.4;
  q1 += 0.8 * 0.4;
  eq("l2", 0, out, 0.0 + pow(q0, 2) + pow(q1, 2));
  eq("l2 ~ 0.116", 0, fabs(out - 0.116) < 1e-15, 1);
}

static void test_elementwise(void) {
  double a[] = {1, -2, 3.5, 0.5, 7, -1}, b[] = {2, -2, -4};
  double sum[6], smaller[6], sig[6];
  bool less[6];
  int32_t trunc[6];
  ok("elementwise",
     elementwise(a, 2, 3, b, 3, sum, less, smaller, trunc, sig, NULL));
  double wsum[] = {3, -4, -0.5, 2.5, 5, -5};
  double wless[] = {1, 0, 0, 1, 0, 0};
  double wsmaller[] = {1, -2, -4, 0.5, -2, -4};
  double wtrunc[] = {1, -2, -4, 0, -2, -4};
  eqv("sum", sum, wsum, 6);
  eqv("smaller", smaller, wsmaller, 6);
  for (int i = 0; i < 6; ++i) {
    eq("less", i, less[i], wless[i]);
    eq("trunc", i, trunc[i], wtrunc[i]);
    eq("sigmoid", i, sig[i], 1.0 / (1.0 + exp(-a[i])));
  }
}

static void test_broadcasts(void) {
  double x[] = {1, 2, 3}, y[] = {10, 20, 30, 40};
  double bx[12], by[12], bz[24], bxy[24];
  ok("broadcasts", broadcasts(x, 3, 1, y, 4, 5, bx, by, bz, bxy, NULL));
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) {
      eq("bx", i * 4 + j, bx[i * 4 + j], x[i]);
      eq("by", i * 4 + j, by[i * 4 + j], y[j]);
      for (int k = 0; k < 2; ++k) {
        eq("bz", k * 12 + i * 4 + j, bz[k * 12 + i * 4 + j], 5);
        eq("bxy", k * 12 + i * 4 + j, bxy[k * 12 + i * 4 + j], x[i]);
      }
    }
}

static void test_sums(void) {
  double x[24];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k)
        x[i * 12 + j * 4 + k] = i * 100 + j * 10 + k;
  double a[12], b[3], c = 0, d[8], e[24];
  ok("sums", sums(x, 2, 3, 4, a, b, &c, d, e, NULL));
  double wa[12] = {0}, wb[3] = {0}, wc = 0, wd[8] = {0};
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 3; ++j)
      for (int k = 0; k < 4; ++k) {
        double v = x[i * 12 + j * 4 + k];
        wa[j * 4 + k] += v;
        wb[j] += v;
        wc += v;
        wd[i * 4 + k] += v;
      }
  eqv("sum_to [3,4]", a, wa, 12);
  eqv("sum_to [3,1]", b, wb, 3);
  eq("sum_to scalar", 0, c, wc);
  eqv("sum_to [2,1,4]", d, wd, 8);
  eqv("sum_to same shape", e, x, 24);
}

static void test_shapes(void) {
  double x[] = {1, 2, 3, 4, 5, 6};
  double t[6], r[6], back[6], col[2], s11 = 0;
  ok("shapes", shapes(x, 2, 3, t, r, back, col, &s11, NULL));
  double wt[] = {1, 4, 2, 5, 3, 6}, wback[] = {2, 3, 4, 5, 6, 7},
         wcol[] = {9, 18};
  eqv("transpose", t, wt, 6);
  eqv("reshape", r, x, 6);
  eqv("reshape back", back, wback, 6);
  eqv("rows", col, wcol, 2);
  eq("reshape to [1,1]", 0, s11, 27);
}

/// Naive matmul: each element adds its products in order of p, from 0.
static void naive(const double *a, const double *b, double *c, int m, int k,
                  int n) {
  for (int i = 0; i < m; ++i)
    for (int j = 0; j < n; ++j) {
      double acc = 0;
      for (int p = 0; p < k; ++p)
        acc += a[i * k + p] * b[p * n + j];
      c[i * n + j] = acc;
    }
}

static void check_matmuls(int m, int k, int n) {
  double *a = malloc(sizeof(double) * m * k), *b = malloc(sizeof(double) * k * n);
  double *v = malloc(sizeof(double) * k);
  double *mm = malloc(sizeof(double) * m * n), *want = malloc(sizeof(double) * m * n);
  double *mv = malloc(sizeof(double) * m), *vm = malloc(sizeof(double) * n);
  double *wmv = malloc(sizeof(double) * m), *wvm = malloc(sizeof(double) * n);
  double vv = 0, wvv;
  unsigned s = 12345;
  for (int i = 0; i < m * k; ++i)
    a[i] = ((s = s * 1103515245u + 12345u) >> 8) % 2001 / 1000.0 - 1.0;
  for (int i = 0; i < k * n; ++i)
    b[i] = ((s = s * 1103515245u + 12345u) >> 8) % 2001 / 1000.0 - 1.0;
  for (int i = 0; i < k; ++i)
    v[i] = ((s = s * 1103515245u + 12345u) >> 8) % 2001 / 1000.0 - 1.0;
  ok("matmuls", matmuls(a, m, k, b, k, n, v, k, mm, mv, vm, &vv, NULL));
  naive(a, b, want, m, k, n);
  naive(a, v, wmv, m, k, 1);
  naive(v, b, wvm, 1, k, n);
  naive(v, v, &wvv, 1, k, 1);
  char what[64];
  snprintf(what, sizeof what, "mm %dx%dx%d", m, k, n);
  eqv(what, mm, want, m * n);
  eqv("mv", mv, wmv, m);
  eqv("vm", vm, wvm, n);
  eq("vv", 0, vv, wvv);
  free(a), free(b), free(v), free(mm), free(want), free(mv), free(vm),
      free(wmv), free(wvm);
}

static void test_matmuls(void) {
  double a[] = {1, 2, 3, 4, 5, 6}, b[] = {1, 0, -1, 2, 0, 1, 1, 0, 2, 2, 0, -1};
  double v[] = {1, -1, 2}, mm[8], mv[2], vm[4], vv = 0;
  ok("matmuls", matmuls(a, 2, 3, b, 3, 4, v, 3, mm, mv, vm, &vv, NULL));
  double wmm[] = {7, 8, 1, -1, 16, 17, 1, 2}, wmv[] = {5, 11},
         wvm[] = {5, 3, -2, 0};
  eqv("mm", mm, wmm, 8);
  eqv("mv", mv, wmv, 2);
  eqv("vm", vm, wvm, 4);
  eq("vv", 0, vv, 6);
  check_matmuls(1, 1, 1);
  check_matmuls(1, 5, 1);
  check_matmuls(4, 1, 3);
  check_matmuls(37, 300, 600); // crosses the 128 x 256 blocks

  float fa[] = {0.1f, 0.2f, 0.3f, 0.4f}, fb[] = {1.5f, -2.5f, 0.5f, 3.0f}, fc[4];
  ok("matmul_f32", matmul_f32(fa, 2, 2, fb, 2, 2, fc, NULL));
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      float acc = 0.0f;
      for (int p = 0; p < 2; ++p)
        acc += fa[i * 2 + p] * fb[p * 2 + j];
      eq("matmul_f32", i * 2 + j, fc[i * 2 + j], acc);
    }
  int64_t ia[] = {1, 2, 3, 4, 5, 6}, ib[] = {7, 8, 9, 10, 11, 12}, ic[4];
  ok("matmul_i64", matmul_i64(ia, 2, 3, ib, 3, 2, ic, NULL));
  double wic[] = {58, 64, 139, 154};
  for (int i = 0; i < 4; ++i)
    eq("matmul_i64", i, (double)ic[i], wic[i]);
}

/// m + log(sum exp(x - m)) over n values at stride st: the formula nnc uses.
static double lse(const double *x, int n, int st) {
  double m = -INFINITY, s = 0;
  for (int i = 0; i < n; ++i)
    if (x[i * st] > m)
      m = x[i * st];
  for (int i = 0; i < n; ++i)
    s += exp(x[i * st] - m);
  return m + log(s);
}

static void test_reductions(void) {
  double x[] = {1, 5, 5, 5, 2, 5};
  double s0[3], s1[2], mx0[3], mx1[2], mn0[3], mn1[2], l0[3], l1[2];
  int64_t am0[3], am1[2];
  ok("reductions", reductions(x, 2, 3, s0, s1, mx0, mx1, mn0, mn1, am0, am1,
                              l0, l1, NULL));
  double ws0[] = {6, 7, 10}, ws1[] = {11, 12}, wmx0[] = {5, 5, 5},
         wmx1[] = {5, 5}, wmn0[] = {1, 2, 5}, wmn1[] = {1, 2};
  eqv("reduce_sum 0", s0, ws0, 3);
  eqv("reduce_sum 1", s1, ws1, 2);
  eqv("reduce_max 0", mx0, wmx0, 3);
  eqv("reduce_max 1", mx1, wmx1, 2);
  eqv("reduce_min 0", mn0, wmn0, 3);
  eqv("reduce_min 1", mn1, wmn1, 2);
  // Ties go to the first index.
  eq("argmax 0", 0, am0[0], 1);
  eq("argmax 0", 1, am0[1], 0);
  eq("argmax 0", 2, am0[2], 0);
  eq("argmax 1", 0, am1[0], 1);
  eq("argmax 1", 1, am1[1], 0);
  for (int j = 0; j < 3; ++j)
    eq("logsumexp 0", j, l0[j], lse(x + j, 2, 3));
  for (int i = 0; i < 2; ++i)
    eq("logsumexp 1", i, l1[i], lse(x + 3 * i, 3, 1));

  int32_t xi[] = {1, 2, 3, 2, 3, 0, -1, -5, -1, -7, 0, -5};
  int32_t s[4], m[4];
  int64_t am[4], io[12];
  ok("middle_axis", middle_axis(xi, 2, 3, 2, s, m, am, io, NULL));
  double wsi[] = {7, 4, -2, -17}, wm[] = {3, 2, 0, -5}, wam[] = {1, 0, 2, 0};
  for (int i = 0; i < 4; ++i) {
    eq("reduce_sum i32 axis 1", i, s[i], wsi[i]);
    eq("reduce_max i32 axis 1", i, m[i], wm[i]);
    eq("argmax i32 axis 1", i, (double)am[i], wam[i]);
  }
  for (int i = 0; i < 12; ++i)
    eq("iota axis 1 of 3", i, (double)io[i], (i / 2) % 3);
}

static void test_softmaxes(void) {
  double x[] = {1, 2, 3, 1000, 1001, 1002, -1000, 0, 1000};
  double s[9], l[9], e[3], s0[9];
  ok("softmaxes", softmaxes(x, 3, 3, s, l, e, s0, NULL));
  for (int i = 0; i < 3; ++i) {
    const double *r = x + 3 * i;
    double m = r[2], sum = 0; // each row's maximum is its last element
    for (int j = 0; j < 3; ++j)
      sum += exp(r[j] - m);
    for (int j = 0; j < 3; ++j) {
      eq("softmax", 3 * i + j, s[3 * i + j], exp(r[j] - m) / sum);
      eq("log_softmax", 3 * i + j, l[3 * i + j], (r[j] - m) - log(sum));
    }
    eq("logsumexp", i, e[i], m + log(sum));
  }
  // Shifting by the maximum: 1000 + k behaves as k, and nothing overflows.
  for (int j = 0; j < 3; ++j)
    eq("softmax of 1000+", j, s[3 + j], s[j]);
  eq("log_softmax of +-1000", 0, l[6], -2000);
  eq("log_softmax of +-1000", 1, l[7], -1000);
  eq("log_softmax of +-1000", 2, l[8], 0);
  eq("softmax of +-1000", 2, s[8], 1);
  for (int j = 0; j < 3; ++j) {
    double m = -INFINITY, sum = 0;
    for (int i = 0; i < 3; ++i)
      m = x[3 * i + j] > m ? x[3 * i + j] : m;
    for (int i = 0; i < 3; ++i)
      sum += exp(x[3 * i + j] - m);
    for (int i = 0; i < 3; ++i)
      eq("softmax axis 0", 3 * i + j, s0[3 * i + j], exp(x[3 * i + j] - m) / sum);
  }
  float fx[] = {1000, 1000}, fs[2];
  ok("softmax_f32", softmax_f32(fx, 2, fs, NULL));
  eq("softmax_f32", 0, fs[0], 0.5);
  eq("softmax_f32", 1, fs[1], 0.5);
}

static void test_labels(void) {
  double x[] = {1, 2, 3, 4, 5, 6};
  int32_t l[] = {2, 0};
  float hot[6];
  double picked[2], hot1[3], picked1 = 0;
  ok("labels", labels(x, 2, 3, l, 2, 1, hot, picked, hot1, &picked1, NULL));
  double whot[] = {0, 0, 1, 1, 0, 0}, wpicked[] = {3, 4}, whot1[] = {0, 1, 0};
  for (int i = 0; i < 6; ++i)
    eq("onehot", i, hot[i], whot[i]);
  eqv("pick", picked, wpicked, 2);
  eqv("onehot of a scalar", hot1, whot1, 3);
  eq("pick of a scalar", 0, picked1, 7);
}

static void test_indices(void) {
  double x[6] = {0};
  int64_t i0[6], i1[6], n = 0, d = 0, c = 0;
  ok("indices", indices(x, 2, 3, i0, i1, &n, &d, &c, NULL));
  for (int i = 0; i < 6; ++i) {
    eq("iota 0", i, (double)i0[i], i / 3);
    eq("iota 1", i, (double)i1[i], i % 3);
  }
  eq("dim a*b", 0, (double)n, 6);
  eq("dim 2*a", 0, (double)d, 4);
  eq("dim 7", 0, (double)c, 7);
}

static void test_constants(void) {
  double x[] = {10, 20, 30, 40}, s[4];
  bool b[3];
  ok("constants", constants(x, 2, 2, s, b, NULL));
  double ws[] = {11, 22, 33, 44};
  eqv("tensor constant", s, ws, 4);
  eq("bool constant", 0, b[0], 1);
  eq("bool constant", 1, b[1], 0);
  eq("bool constant", 2, b[2], 1);
}

static void test_checks_and_calls(void) {
  double x[] = {1, 2, 3, 4, 5, 6}, y[] = {1, 2, 3, 4}, out[2];
  ok("checks", checks(x, 2, 3, y, 4, 2, out, NULL));
  double wout[] = {18, 44};
  eqv("checks", out, wout, 2);
  double cx[] = {1, 2, 3, 4}, rows[2], sq = 0;
  ok("calls", calls(cx, 2, 2, 3, rows, &sq, NULL));
  double wrows[] = {3, 7};
  eqv("call of a tensor function", rows, wrows, 2);
  eq("call of a scalar function", 0, sq, 9);
  eq("scalar function", 0, scalar_helper(4), 16);
}

int main(void) {
  test_l2();
  test_elementwise();
  test_broadcasts();
  test_sums();
  test_shapes();
  test_matmuls();
  test_reductions();
  test_softmaxes();
  test_labels();
  test_indices();
  test_constants();
  test_checks_and_calls();
  if (failures)
    printf("%d failures\n", failures);
  else
    printf("all ok\n");
  return failures != 0;
}
