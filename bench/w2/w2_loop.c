/* W2 for whole-process timing (farm-bench): K train steps of bench/w2's
 * step (nnc's value_and_grad and the SGD update in C, as w2_nnc.c's
 * `step` variant) at batch B on the peer's data, then the loss, a hash of
 * fc1.W (the same for every --threads) and the time per step of the loop.
 * Build it like w2_nnc.c, against w2_mlp.nn compiled with --threads=1 or 2:
 *   nnc bench/w2/w2_mlp.nn -O3 --mcpu=native --threads=2 -c -o w2.o --header w2_mlp.h
 *   cc -O3 -march=native -I. -I ../shared/peers/src bench/w2/w2_loop.c w2.o -lm -pthread -o w2_loop
 * usage: w2_loop B K (docs/performance.md, "Two threads on the MLP step") */
#define main w2_peer_main
#include "w2.c"
#undef main
#include "w2_mlp.h"

static void *walloc(int64_t n) {
  return aligned_alloc(64, (size_t)((n + 63) / 64 * 64 + 64));
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: w2_loop B K\n");
    return 2;
  }
  int B = atoi(argv[1]);
  long K = atol(argv[2]);
  mlp_t *m = mlp_new(B);
  net_params_t *p = walloc(sizeof *p);
  net_grads_t *g = walloc(sizeof *g);
  void *ws = walloc(step_vg_workspace_size(B));
  memcpy(p->fc1_W, m->W1_0, sizeof(float) * D * H);
  memcpy(p->fc1_b, m->b1_0, sizeof(float) * H);
  memcpy(p->fc2_W, m->W2_0, sizeof(float) * H * C);
  memcpy(p->fc2_b, m->b2_0, sizeof(float) * C);
  float loss = 0;
  double t0 = now_s();
  for (long k = 0; k < K; k++) {
    if (step_vg(p, m->x, B, D, m->y, B, &loss, g, ws) != NNC_OK)
      return 1;
    for (int i = 0; i < D * H; i++) p->fc1_W[i] -= 1e-3f * g->fc1_W[i];
    for (int i = 0; i < H; i++) p->fc1_b[i] -= 1e-3f * g->fc1_b[i];
    for (int i = 0; i < H * C; i++) p->fc2_W[i] -= 1e-3f * g->fc2_W[i];
    for (int i = 0; i < C; i++) p->fc2_b[i] -= 1e-3f * g->fc2_b[i];
  }
  double t = now_s() - t0;
  unsigned h = 0;
  for (int i = 0; i < D * H; i++) {
    unsigned u;
    memcpy(&u, &p->fc1_W[i], 4);
    h = h * 31 + u;
  }
  printf("B=%d K=%ld loss=%.9g hash=%08x us/step=%.1f\n", B, K, loss, h,
         1e6 * t / K);
  return 0;
}
