// grad (all parameters, named ones, in the named order), value_and_grad, vjp,
// higher-order grad, user backward rules and inline transforms, called from C
// through the generated header (Inputs/transforms.nn).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/transforms.nn -c -o %t/transforms.o --header %t/transforms.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror %inc %s %t/transforms.o -lm -o %t/transforms
// RUN: %t/transforms | FileCheck %s
// The derived functions are the same without nnc's optimizations.
// RUN: %nnc %S/Inputs/transforms.nn -O0 --passes= -c -o %t/transforms0.o
// RUN: %cc %inc %s %t/transforms0.o -lm -o %t/transforms0
// RUN: %t/transforms0 | FileCheck %s
// Only the named functions are exported; inline transforms are internal.
// RUN: nm %t/transforms0.o | FileCheck --check-prefix=SYMS %s
// SYMS-NOT: {{ T __grad}}
// SYMS: {{ t __grad_p$}}
// SYMS-NOT: {{ T __grad}}
// SYMS: {{ T dddq$}}
// SYMS-NOT: {{ T __grad}}
// CHECK: dp = (-6, 5.25)
// CHECK-NEXT: dp_yx = (5.25, -6)
// CHECK-NEXT: vgp = (-10.5, -6, 5.25)
// CHECK-NEXT: vjp_p = (-3, 2.625)
// CHECK-NEXT: vjtt = (13, 12)
// CHECK-NEXT: q: 3.375 6.75 9 6
// CHECK-NEXT: sq: 6 3 (30, 4)
// CHECK-NEXT: dmul = (30, 200)
// CHECK-NEXT: inline_grad = 12
// CHECK-NEXT: ok

#include "transforms.h"

#include <math.h>
#include <stdio.h>

static int failures;

static void exact(const char *what, double got, double want) {
  if (got != want) {
    printf("MISMATCH %s: got %.17g, want %.17g\n", what, got, want);
    ++failures;
  }
}

static void close_to(const char *what, double got, double want) {
  if (!(fabs(got - want) <= 1e-12)) {
    printf("MISMATCH %s: got %.17g, want %.17g\n", what, got, want);
    ++failures;
  }
}

int main(void) {
  double a = 99, b = 99, c = 99, d = 99, e = 99, v = 99;

  // p(x, y) = x^2 y + 3y at (1.5, -2): p = -10.5, grad = (2xy, x^2 + 3).
  exact("p", p(1.5, -2), -10.5);
  dp(1.5, -2, &a, &b);
  printf("dp = (%g, %g)\n", a, b);
  exact("dp.dx", a, -6);
  exact("dp.dy", b, 5.25);
  exact("dp_x", dp_x(1.5, -2), -6);
  // grad(p, y, x): the gradients in the order the parameters are named.
  dp_yx(1.5, -2, &a, &b);
  printf("dp_yx = (%g, %g)\n", a, b);
  exact("dp_yx.dy", a, 5.25);
  exact("dp_yx.dx", b, -6);
  // value_and_grad: (value, (dx, dy)) flattened to value, dx, dy.
  a = b = c = 99;
  vgp(1.5, -2, &a, &b, &c);
  printf("vgp = (%g, %g, %g)\n", a, b, c);
  exact("vgp.value", a, -10.5);
  exact("vgp.dx", b, -6);
  exact("vgp.dy", c, 5.25);
  // vjp: the upstream gradient follows the parameters.
  vjp_p(1.5, -2, 0.5, &a, &b);
  printf("vjp_p = (%g, %g)\n", a, b);
  exact("vjp_p.dx", a, -3);
  exact("vjp_p.dy", b, 2.625);

  // vjp of a tuple-valued function: d_out = (1, 10) at (2, 3).
  vjtt(2, 3, 1, 10, &a, &b);
  printf("vjtt = (%g, %g)\n", a, b);
  exact("vjtt.dx", a, 13);
  exact("vjtt.dy", b, 12);

  // q(x) = x^3: q' = 3x^2, q'' = 6x, q''' = 6.
  vgq(1.5, &v, &a);
  exact("vgq.value", v, 3.375);
  exact("vgq.dx", a, 6.75);
  exact("dq", dq(1.5), 6.75);
  exact("ddq", ddq(1.5), 9);
  exact("dddq", dddq(1.5), 6);
  exact("dddq(-7)", dddq(-7), 6);
  printf("q: %g %g %g %g\n", q(1.5), dq(1.5), ddq(1.5), dddq(1.5));

  // The neuron: the gradient with respect to the weights is the same numbers
  // as the weight components of the full gradient; value_and_grad agrees
  // with the function and its gradient.
  double w0 = 2, x0 = -1, w1 = -3, x1 = -2, w2 = -3;
  double g[5], gw[3], vg[6];
  dneuron(w0, x0, w1, x1, w2, &g[0], &g[1], &g[2], &g[3], &g[4]);
  dneuron_w(w0, x0, w1, x1, w2, &gw[0], &gw[1], &gw[2]);
  vg_neuron(w0, x0, w1, x1, w2, &vg[0], &vg[1], &vg[2], &vg[3], &vg[4], &vg[5]);
  exact("dneuron_w.dw0", gw[0], g[0]);
  exact("dneuron_w.dw1", gw[1], g[2]);
  exact("dneuron_w.dw2", gw[2], g[4]);
  exact("vg_neuron.value", vg[0], neuron(w0, x0, w1, x1, w2));
  for (int i = 0; i < 5; ++i)
    exact("vg_neuron.grad", vg[1 + i], g[i]);
  double sdot = 1 / (1 + exp(-1.0)), ddot = sdot * (1 - sdot);
  close_to("dneuron.dw0", g[0], x0 * ddot);
  close_to("dneuron.dx0", g[1], w0 * ddot);
  close_to("dneuron.dw1", g[2], x1 * ddot);
  close_to("dneuron.dx1", g[3], w1 * ddot);
  close_to("dneuron.dw2", g[4], ddot);

  // Sigmoid: s' = s (1 - s), s'' = s (1 - s) (1 - 2 s); tanh'' = -2 t (1 - t^2).
  for (double x = -3; x <= 3; x += 0.75) {
    double sx = 1 / (1 + exp(-x)), tx = tanh(x);
    close_to("s", s(x), sx);
    close_to("ds", ds(x), sx * (1 - sx));
    close_to("dds", dds(x), sx * (1 - sx) * (1 - 2 * sx));
    close_to("sg", sg(x), sx);
    close_to("ddsg", ddsg(x), sx * (1 - sx) * (1 - 2 * sx));
    close_to("ddt", ddt(x), -2 * tx * (1 - tx * tx));
  }

  // The user rule of sq (3x instead of 2x) is what grad uses, also through
  // a caller and when differentiated again.
  exact("sq", sq(2), 4);
  exact("dsq", dsq(2), 6);
  exact("ddsq", ddsq(2), 3);
  dusesq(2, 5, &a, &b);
  exact("dusesq.dx", a, 30);
  exact("dusesq.dy", b, 4);
  printf("sq: %g %g (%g, %g)\n", dsq(2), ddsq(2), a, b);
  dmul(2, 3, &d, &e);
  printf("dmul = (%g, %g)\n", d, e);
  exact("dmul.da", d, 30);
  exact("dmul.db", e, 200);

  // grad(q)(x) + grad(p, y)(x, 1) = 3x^2 + x^2 + 3.
  printf("inline_grad = %g\n", inline_grad(1.5));
  exact("inline_grad", inline_grad(1.5), 12);

  if (failures)
    return 1;
  printf("ok\n");
  return 0;
}
