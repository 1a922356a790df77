// BatchNorm2d forward and forward + backward through the C ABI, for
// bench/batch_norm/run.sh: the median of 30 calls of each.
#include "bn.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
enum { B = 64, C = 32, H = 28, W = 28, N = B * C * H * W };
static double now(void) { struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t); return t.tv_sec + 1e-9 * t.tv_nsec; }
static int cmp(const void *a, const void *b) { double x = *(const double *)a, y = *(const double *)b; return x < y ? -1 : x > y; }
int main(void) {
  float *x = malloc(N * 4), *w = malloc(N * 4), *dx = malloc(N * 4), *y = malloc(N * 4);
  for (int i = 0; i < N; ++i) { x[i] = (float)(((long)i * 7919) % 1000) / 500 - 1; w[i] = (float)(((long)i * 104729) % 1000) / 1000; }
  net_params_t p; net_grads_t g_; net_init(0, &p, NULL);
  void *wsf = malloc(net_forward_workspace_size(B, H, W)), *wsg = malloc(g_workspace_size(B, H, W));
  double tf[30], tg[30];
  for (int r = 0; r < 30; ++r) {
    double t0 = now();
    net_forward(&p, x, B, C, H, W, true, y, wsf);
    double t1 = now();
    g(&p, x, B, C, H, W, w, B, C, H, W, true, &g_, dx, wsg);
    double t2 = now();
    tf[r] = t1 - t0; tg[r] = t2 - t1;
  }
  qsort(tf, 30, 8, cmp); qsort(tg, 30, 8, cmp);
  printf("nnc: forward %.2f ms, forward+backward (grad) %.2f ms\n", tf[15] * 1e3, tg[15] * 1e3);
  return 0;
}
