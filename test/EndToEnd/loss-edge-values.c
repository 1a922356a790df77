// The losses and reductions at the edges of floating point -- ±inf, NaN,
// ±1000, denormals, ties and margins that round to 0 -- value and gradient,
// compiled from Inputs/loss_edges.nn and called through the generated header.
//
// The expected values follow the conventions in docs/language.md ("Edge
// values"), which are PyTorch's (1.13): svm_loss is
// F.multi_margin_loss(s, y) * C (PyTorch also divides by the class count),
// cross_entropy is F.cross_entropy, the reductions are torch.max(x, dim)
// (.values), torch.logsumexp, torch.sum and torch.mean. Every value here was
// cross-checked once against PyTorch; the test does not need it. Where nnc
// deliberately differs from PyTorch the case says so (a NaN score in
// svm_loss gives NaN, where multi_margin_loss skips it).
//
// Comparison: NaN matches NaN, infinities and exactly representable values
// compare with ==, results of exp/log within a few ulps (libm's and
// PyTorch's exp need not agree to the last bit). A zero's sign is not
// compared (PyTorch's softmax gradient gives -0.0 where nnc gives 0.0).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/loss_edges.nn -c -o %t/loss_edges.o --header %t/loss_edges.h
// RUN: %cc -std=c99 -ffp-contract=off -Wall -Wextra -Werror %inc %s %t/loss_edges.o -lm -o %t/edges
// RUN: %t/edges | FileCheck %s
// The checker itself fails on a wrong expectation:
// RUN: %cc -std=c99 -ffp-contract=off -DWRONG %inc %s %t/loss_edges.o -lm -o %t/edges-wrong
// RUN: not %t/edges-wrong | FileCheck %s --check-prefix=WRONG
// CHECK-NOT: MISMATCH
// CHECK: all ok
// WRONG: MISMATCH svm64 L(inf, 0) y=L(0): got 0, want nan
// WRONG-NEXT: MISMATCH svm64 L(-inf, 0, 1) y=L(0): got inf, want 1
// WRONG-NEXT: 2 failures

#include "loss_edges.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int failures;
static char ws[1 << 16];
static const double inf = INFINITY;
#define NAN_ (nan(""))

static int same(double got, double want, double rel) {
  if (isnan(want) || isnan(got))
    return isnan(want) && isnan(got);
  if (isinf(want) || isinf(got) || want == 0)
    return got == want;
  return fabs(got - want) <= rel * fabs(want);
}

static void check(const char *what, const double *got, const double *want,
                  int n, double rel) {
  for (int i = 0; i < n; ++i)
    if (!same(got[i], want[i], rel)) {
      printf("MISMATCH %s: got %.17g, want %.17g", what, got[i], want[i]);
      if (n > 1)
        printf(" (element %d)", i);
      printf("\n");
      ++failures;
    }
}

// svm_loss and cross_entropy in f64 on one batch: value and gradient.
typedef int32_t (*Loss64)(const double *, int64_t, int64_t, const int64_t *,
                          int64_t, double *, void *);
static void loss64(const char *what, Loss64 f, Loss64 df, int64_t b,
                   int64_t c, const double *s, const int64_t *y, double want,
                   const double *dwant, double rel) {
  double v, ds[16];
  char name[128];
  if (f(s, b, c, y, b, &v, ws) || df(s, b, c, y, b, ds, ws)) {
    printf("MISMATCH %s: status\n", what);
    ++failures;
    return;
  }
  check(what, &v, &want, 1, rel);
  snprintf(name, sizeof name, "d %s", what);
  check(name, ds, dwant, (int)(b * c), rel);
}

typedef int32_t (*Loss32)(const float *, int64_t, int64_t, const int32_t *,
                          int64_t, float *, void *);
static void loss32(const char *what, Loss32 f, Loss32 df, int64_t c,
                   const float *s, int32_t y, double want, const double *dwant,
                   double rel) {
  float v, ds[16];
  double vd, dsd[16];
  char name[128];
  if (f(s, 1, c, &y, 1, &v, ws) || df(s, 1, c, &y, 1, ds, ws)) {
    printf("MISMATCH %s: status\n", what);
    ++failures;
    return;
  }
  vd = v;
  check(what, &vd, &want, 1, rel);
  for (int64_t i = 0; i < c; ++i)
    dsd[i] = ds[i];
  snprintf(name, sizeof name, "d %s", what);
  check(name, dsd, dwant, (int)c, rel);
}

#define SVM(B, C, Y, S, WANT, ...)                                             \
  do {                                                                         \
    const double s_[] = S, d_[] = __VA_ARGS__;                                 \
    const int64_t y_[] = Y;                                                    \
    loss64("svm64 " #S " y=" #Y, svm64, dsvm64, B, C, s_, y_, WANT, d_, 0);    \
  } while (0)
#define CE(B, C, Y, S, WANT, ...)                                              \
  do {                                                                         \
    const double s_[] = S, d_[] = __VA_ARGS__;                                 \
    const int64_t y_[] = Y;                                                    \
    loss64("ce64 " #S " y=" #Y, ce64, dce64, B, C, s_, y_, WANT, d_, 4e-16);   \
  } while (0)
#define L(...) {__VA_ARGS__}

// A function of x: f64[2] and its gradient (vjp with upstream W for the
// vector-valued softmax and log_softmax).
typedef int32_t (*Red)(const double *, int64_t, double *, void *);
typedef int32_t (*Vjp)(const double *, int64_t, const double *, int64_t,
                       double *, void *);
static const double W[] = {1, 2};
static void vec(const char *what, Red f, Vjp vf, const double *x,
                const double *want, const double *dwant, double rel) {
  double y[2], dx[2];
  char name[128];
  f(x, 2, y, ws);
  vf(x, 2, W, 2, dx, ws);
  check(what, y, want, 2, rel);
  snprintf(name, sizeof name, "d %s", what);
  check(name, dx, dwant, 2, rel);
}
static void red(const char *what, Red f, Red df, const double *x, int64_t n,
                double want, const double *dwant, double rel) {
  double y, dx[4];
  char name[128];
  f(x, n, &y, ws);
  df(x, n, dx, ws);
  check(what, &y, &want, 1, rel);
  snprintf(name, sizeof name, "d %s", what);
  check(name, dx, dwant, (int)n, rel);
}
#define VEC(F, X, WANT, DWANT, REL)                                            \
  do {                                                                         \
    const double x_[] = X, w_[] = WANT, d_[] = DWANT;                          \
    vec(#F " " #X, F, v##F, x_, w_, d_, REL);                                  \
  } while (0)
#define RED(F, X, WANT, DWANT, REL)                                            \
  do {                                                                         \
    const double x_[] = X, d_[] = DWANT;                                       \
    red(#F " " #X, F, d##F, x_, sizeof x_ / sizeof *x_, WANT, d_, REL);        \
  } while (0)

int main(void) {
  const double nan_ = NAN_;
  (void)nan_;
#ifdef WRONG
  // Two wrong expectations: the checker must report both.
  SVM(1, 2, L(0), L(inf, 0), NAN_, L(0, 0));
  SVM(1, 3, L(0), L(-inf, 0, 1), 1, L(-2, 1, 1));
#else
  // svm_loss: the label's column is excluded, not counted and subtracted.
  SVM(1, 2, L(0), L(inf, 0), 0, L(0, 0));
  SVM(1, 3, L(0), L(-inf, 0, 1), inf, L(-2, 1, 1));
  SVM(1, 3, L(0), L(1000, -1000, 999.5), 0.5, L(-1, 0, 1));
  SVM(1, 3, L(1), L(1, 1, 1), 2, L(1, -2, 1));
  // A margin of exactly 0: no loss, and relu'(0) = 0 as PyTorch's z > 0.
  SVM(1, 3, L(0), L(1, 0, 0), 0, L(0, 0, 0));
  SVM(1, 2, L(0), L(5e-324, 0), 1, L(-1, 1));
  SVM(2, 2, L(0, 0), L(inf, 0, 0, 2), 1.5, L(0, 0, -0.5, 0.5));
  // nnc propagates NaN (multi_margin_loss gives 0 and [0, 0] for both).
  SVM(1, 2, L(1), L(NAN_, 0), NAN_, L(0, 0));
  SVM(1, 2, L(0), L(-inf, -inf), NAN_, L(0, 0));

  // f32: the margin 1 - 0.99999994 = 2^-24 survives, and so does its
  // gradient; a margin that rounds to exactly 0 has neither.
  {
    const float s1[] = {0, -0.99999994f}, s2[] = {0, -1}, s3[] = {INFINITY, 0};
    const double d1[] = {-1, 1}, d0[] = {0, 0};
    loss32("svm32 [0, -0.99999994]", svm32, dsvm32, 2, s1, 0,
           5.960464477539063e-08, d1, 0);
    loss32("svm32 [0, -1]", svm32, dsvm32, 2, s2, 0, 0, d0, 0);
    loss32("svm32 [inf, 0]", svm32, dsvm32, 2, s3, 0, 0, d0, 0);
  }

  // cross_entropy = -mean(log_softmax(s)[y]).
  CE(1, 2, L(0), L(inf, 0), NAN_, L(NAN_, NAN_));
  CE(1, 2, L(1), L(inf, 0), NAN_, L(NAN_, NAN_));
  CE(1, 2, L(0), L(-inf, 0), inf, L(-1, 1));
  CE(1, 2, L(1), L(-inf, 0), 0, L(0, 0));
  CE(1, 2, L(0), L(-inf, -inf), NAN_, L(NAN_, NAN_));
  CE(1, 2, L(1), L(NAN_, 0), NAN_, L(NAN_, NAN_));
  CE(1, 2, L(1), L(1000, -1000), 2000, L(1, -1));
  CE(1, 2, L(0), L(1, 1), 0.6931471805599453, L(-0.5, 0.5));
  CE(1, 2, L(0), L(5e-324, 0), 0.6931471805599453, L(-0.5, 0.5));
  CE(2, 3, L(2, 0), L(1, 2, 3, 1, 1, 1), 0.7531091265562451,
     L(0.04501528658519022, 0.12236423552739882, -0.1673795221125891,
       -0.33333333333333337, 0.16666666666666666, 0.16666666666666666));
  {
    const float s1[] = {1000, -1000}, s2[] = {INFINITY, 0}, s3[] = {1, 2, 3};
    const double d1[] = {1, -1}, dn[] = {NAN_, NAN_},
                 d3[] = {0.09003058075904846, 0.24472849071025848,
                         -0.334758996963501};
    loss32("ce32 [1000, -1000]", ce32, dce32, 2, s1, 1, 2000, d1, 0);
    loss32("ce32 [inf, 0]", ce32, dce32, 2, s2, 1, NAN_, dn, 0);
    loss32("ce32 [1, 2, 3]", ce32, dce32, 3, s3, 2, 0.40760594606399536, d3,
           4e-7);
  }

  // softmax and log_softmax (gradients with upstream [1, 2]): a row holding
  // +inf, or only -inf, is NaN throughout.
  VEC(sm, L(inf, 0), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(sm, L(-inf, 0), L(0, 1), L(0, 0), 0);
  VEC(sm, L(-inf, -inf), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(sm, L(NAN_, 0), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(sm, L(1000, 1000), L(0.5, 0.5), L(-0.25, 0.25), 0);
  VEC(sm, L(-1000, 0), L(0, 1), L(0, 0), 0);
  VEC(sm, L(5e-324, 0), L(0.5, 0.5), L(-0.25, 0.25), 0);
  VEC(lsm, L(inf, 0), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(lsm, L(-inf, 0), L(-inf, 0), L(1, -1), 0);
  VEC(lsm, L(inf, inf), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(lsm, L(0, NAN_), L(NAN_, NAN_), L(NAN_, NAN_), 0);
  VEC(lsm, L(1000, 1000), L(-0.6931471805599453, -0.6931471805599453),
      L(-0.5, 0.5), 4e-16);
  VEC(lsm, L(-1000, 0), L(-1000, 0), L(1, -1), 0);

  // logsumexp: an infinite maximum is not subtracted, so +inf gives +inf
  // and only -inf gives -inf; the gradient exp(x - y) is NaN where x is.
  RED(lse, L(inf, 0), inf, L(NAN_, 0), 0);
  RED(lse, L(inf, -inf), inf, L(NAN_, 0), 0);
  RED(lse, L(-inf, 0), 0, L(0, 1), 0);
  RED(lse, L(-inf, -inf), -inf, L(NAN_, NAN_), 0);
  RED(lse, L(NAN_, 0), NAN_, L(NAN_, NAN_), 0);
  RED(lse, L(1000, 1000), 1000.6931471805599,
      L(0.5000000000000275, 0.5000000000000275), 4e-16);
  RED(lse, L(1, 1), 1.6931471805599454,
      L(0.49999999999999994, 0.49999999999999994), 4e-16);

  // max and min: the first of equal values wins, and gets the gradient; a
  // NaN propagates (the first NaN wins) and gets it.
  RED(mx, L(2, 5, 5, 1), 5, L(0, 1, 0, 0), 0);
  RED(mn, L(2, 1, 5, 1), 1, L(0, 1, 0, 0), 0);
  RED(mx, L(0, NAN_), NAN_, L(0, 1), 0);
  RED(mn, L(NAN_, 0), NAN_, L(1, 0), 0);
  RED(mx, L(-inf, -inf), -inf, L(1, 0), 0);
  RED(mn, L(inf, inf), inf, L(1, 0), 0);
  RED(mx, L(5e-324, 0), 5e-324, L(1, 0), 0);
  RED(mx, L(-1000, 1000), 1000, L(0, 1), 0);
  {
    const double nz[] = {-0.0, 0.0};
    double m;
    mx(nz, 2, &m, ws);
    if (!signbit(m)) { // max(-0, 0) is the first: -0, as in PyTorch
      printf("MISMATCH mx [-0, 0]: got %g\n", m);
      ++failures;
    }
  }
  {
    const double x1[] = {1, NAN_, NAN_}, x2[] = {-inf, -inf};
    int64_t i1, i2;
    am(x1, 3, &i1, ws);
    am(x2, 2, &i2, ws);
    if (i1 != 1 || i2 != 0) {
      printf("MISMATCH argmax: got %lld, %lld; want 1, 0\n", (long long)i1,
             (long long)i2);
      ++failures;
    }
  }

  // sum and mean: IEEE arithmetic, in order; inf - inf is NaN.
  RED(sm_all, L(inf, -inf), NAN_, L(1, 1), 0);
  RED(sm_all, L(5e-324, 5e-324), 1e-323, L(1, 1), 0);
  RED(mean_all, L(1e308, 1e308), inf, L(0.5, 0.5), 0);
  RED(mean_all, L(5e-324, 0), 0, L(0.5, 0.5), 0);
  RED(mean_all, L(-1000, 0), -500, L(0.5, 0.5), 0);
  {
    // f32 denormals are not flushed to zero.
    const float x[] = {1e-45f, 1e-45f};
    float m;
    mean32(x, 2, &m, ws);
    if (m != 1e-45f) {
      printf("MISMATCH mean32 denormal: got %g\n", (double)m);
      ++failures;
    }
  }
#endif
  if (failures) {
    printf("%d failures\n", failures);
    return 1;
  }
  printf("all ok\n");
  return 0;
}
