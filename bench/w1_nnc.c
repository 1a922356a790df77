/* W1 through nnc: the same loop, table and timer as the hand-written peer
 * (../shared/peers/src/w1.c, variant "call"), calling nnc's compiled
 * value_and_grad(neuron) instead of the hand-written backward pass.
 * usage: w1_nnc [calls=10000000] [reps=7] */
#include "common.h"
#include "w1_neuron.h"

#define TBL 4096
static double T[TBL][5];

static double run_call(long n) {
  double acc = 0, f, dw0, dx0, dw1, dx1, dw2;
  for (long i = 0; i < n; i++) {
    const double *t = T[i & (TBL - 1)];
    neuron_vg(t[0], t[1], t[2], t[3], t[4], &f, &dw0, &dx0, &dw1, &dx1, &dw2);
    acc += f + dw0 + dx0 + dw1 + dx1 + dw2;
  }
  return acc;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 10000000L;
  int reps = argc > 2 ? atoi(argv[2]) : 7;
  for (int i = 0; i < TBL; i++)
    for (int j = 0; j < 5; j++) T[i][j] = 4.0 * rng_unif() - 2.0;
  double f, dw0, dx0, dw1, dx1, dw2;
  neuron_vg(2, -1, -3, -2, -3, &f, &dw0, &dx0, &dw1, &dx1, &dw2);
  if (fabs(f - 0.7310585786) > 1e-8 || fabs(dw0 + 0.196611933) > 1e-8 ||
      fabs(dx0 - 0.393223866) > 1e-8) {
    fprintf(stderr, "W1 check failed f=%g dw0=%g dx0=%g\n", f, dw0, dx0);
    return 1;
  }
  double *t = malloc(sizeof(double) * reps);
  g_sink = run_call(n / 10); /* warm-up */
  for (int k = 0; k < reps; k++) {
    double t0 = now_s();
    g_sink = run_call(n);
    t[k] = now_s() - t0;
  }
  stats_t s = stats_of(t, reps);
  printf("RESULT peer=nnc workload=W1 variant=call B=- metric=ns/call med=%.3f "
         "min=%.3f max=%.3f n=%d calls=%ld total_med_s=%.4f\n",
         1e9 * s.med / n, 1e9 * s.min / n, 1e9 * s.max / n, reps, n, s.med);
  free(t);
  return 0;
}
