// --emit=nn prints the optimized module, gradients included, as .nn source:
// that source compiles again, printing it again gives the same text (a fixed
// point), and the recompiled functions compute the same values, bit for bit,
// as the original ones (both linked into this program with --prefix).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/roundtrip.nn --emit=nn -o %t/once.nn
// RUN: FileCheck --check-prefix=NN --input-file=%t/once.nn %s
// RUN: not grep -E "= *(grad|value_and_grad|vjp)\(" %t/once.nn
// RUN: %nnc %t/once.nn -c -o %t/once.o
// RUN: %nnc %t/once.nn --emit=nn -o %t/twice.nn
// RUN: diff %t/once.nn %t/twice.nn
// Also through standard input and output.
// RUN: %nnc --emit=nn < %t/once.nn | diff %t/once.nn -
// RUN: %nnc %S/Inputs/roundtrip.nn -c --prefix=orig_ -o %t/orig.o --header %t/orig.h
// RUN: %nnc %t/once.nn -c --prefix=re_ -o %t/re.o --header %t/re.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror %inc %s %t/orig.o %t/re.o -lm -o %t/roundtrip
// RUN: %t/roundtrip | FileCheck %s
// The printed gradient is ordinary .nn: a function with a tuple result; the
// backward rule is printed with its function.
// NN-DAG: fn dneuron(w0: f64, x0: f64, w1: f64, x1: f64, w2: f64) -> (f64, f64, f64, f64, f64) {
// NN-DAG: fn hyp(a: f64, b: f64) -> f64 {
// NN-DAG: } backward(g) {
// NN-DAG: fn vgneuron(w0: f64, x0: f64, w1: f64, x1: f64, w2: f64) -> (f64, (f64, f64, f64, f64, f64)) {
// NN-DAG: fn dfl(x: f32, y: f32) -> (f32, f32) {
// CHECK: compared {{[0-9]+}} values, 0 differ

#include "orig.h"
#include "re.h"

#include <stdio.h>
#include <string.h>

static int compared, differ;

static void same(const char *what, double x, double a, double b) {
  ++compared;
  // Bit for bit (so -0 and 0 differ, and NaN equals the same NaN).
  if (memcmp(&a, &b, sizeof a) != 0) {
    printf("DIFFER %s at %g: %.17g vs %.17g\n", what, x, a, b);
    ++differ;
  }
}

int main(void) {
  static const double xs[] = {-2.5, -1, -0.3, 0, 0.4, 1, 1.7, 3};
  const int n = sizeof xs / sizeof xs[0];
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      double x = xs[i], y = xs[j], a[6], b[6];
      same("neuron", x, orig_neuron(x, y, y, x, 0.5), re_neuron(x, y, y, x, 0.5));
      orig_dneuron(x, y, y, x, 0.5, &a[0], &a[1], &a[2], &a[3], &a[4]);
      re_dneuron(x, y, y, x, 0.5, &b[0], &b[1], &b[2], &b[3], &b[4]);
      for (int k = 0; k < 5; ++k)
        same("dneuron", x, a[k], b[k]);
      orig_vgneuron(x, y, 2, x, y, &a[0], &a[1], &a[2], &a[3], &a[4], &a[5]);
      re_vgneuron(x, y, 2, x, y, &b[0], &b[1], &b[2], &b[3], &b[4], &b[5]);
      for (int k = 0; k < 6; ++k)
        same("vgneuron", x, a[k], b[k]);
      same("f", x, orig_f(x, y), re_f(x, y));
      orig_vjf(x, y, 0.75, &a[0], &a[1]);
      re_vjf(x, y, 0.75, &b[0], &b[1]);
      same("vjf.dx", x, a[0], b[0]);
      same("vjf.dy", x, a[1], b[1]);
      same("dfy", x, orig_dfy(x, y), re_dfy(x, y));
      orig_ddfy(x, y, &a[0], &a[1]);
      re_ddfy(x, y, &b[0], &b[1]);
      same("ddfy.dx", x, a[0], b[0]);
      same("ddfy.dy", x, a[1], b[1]);
      same("dds", x, orig_dds(x), re_dds(x));
      orig_dusehyp(x, y, &a[0], &a[1]);
      re_dusehyp(x, y, &b[0], &b[1]);
      same("dusehyp.dx", x, a[0], b[0]);
      same("dusehyp.dy", x, a[1], b[1]);
      orig_dchoose(x, y, &a[0], &a[1]);
      re_dchoose(x, y, &b[0], &b[1]);
      same("dchoose.dx", x, a[0], b[0]);
      same("dchoose.dy", x, a[1], b[1]);
      float fa[2], fb[2];
      same("fl", x, orig_fl((float)x, (float)y), re_fl((float)x, (float)y));
      orig_dfl((float)x, (float)y, &fa[0], &fa[1]);
      re_dfl((float)x, (float)y, &fb[0], &fb[1]);
      same("dfl.dx", x, fa[0], fb[0]);
      same("dfl.dy", x, fa[1], fb[1]);
      for (int k = -2; k <= 2; ++k) {
        same("mixed", x, orig_mixed(x, k, j & 1), re_mixed(x, k, j & 1));
        same("dmixed", x, orig_dmixed(x, k, j & 1), re_dmixed(x, k, j & 1));
        same("ints", x, (double)orig_ints(i - 4, k), (double)re_ints(i - 4, k));
      }
    }
  printf("compared %d values, %d differ\n", compared, differ);
  return differ ? 1 : 0;
}
