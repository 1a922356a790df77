/* W2 through nnc: the CS231n two-layer MLP train step of the hand-written
 * peer (../shared/peers/src/w2.c), with the loss and gradients computed by
 * nnc's value_and_grad(net.loss, params) (bench/w2/w2_mlp.nn, `step_vg`) and
 * the SGD update in C. The peer's source is included, its main renamed, so
 * that both use the same data, initial parameters, timer and sampling
 * (reset the parameters, time K steps, median over samples), and so that
 * the nnc step is checked against the peer's forward/backward first.
 * Variants as the peer's: fwd (net_loss), fwdbwd (step_vg), step (+SGD).
 * usage: w2_nnc [label] [Blist e.g. 1,16,64,256] [samples=21] [min_sample_s=0.03] */
#define main w2_peer_main
#include "w2.c"
#undef main
#include "w2_mlp.h"

typedef struct {
  mlp_t *m; /* the peer's data and initial parameters (x, y, W1_0, ...) */
  net_params_t *p;
  net_grads_t *g;
  void *ws_loss, *ws_vg;
} nnc_t;

static void *walloc(int64_t n) {
  if (n < 0) { fprintf(stderr, "workspace size %lld\n", (long long)n); exit(1); }
  return aligned_alloc(64, (size_t)((n + 63) / 64 * 64 + 64));
}

static void nnc_reset(nnc_t *t) {
  memcpy(t->p->fc1_W, t->m->W1_0, sizeof(float) * D * H);
  memcpy(t->p->fc1_b, t->m->b1_0, sizeof(float) * H);
  memcpy(t->p->fc2_W, t->m->W2_0, sizeof(float) * H * C);
  memcpy(t->p->fc2_b, t->m->b2_0, sizeof(float) * C);
}

static nnc_t *nnc_new(int B) {
  nnc_t *t = calloc(1, sizeof(nnc_t));
  t->m = mlp_new(B);
  t->p = walloc(sizeof(net_params_t));
  t->g = walloc(sizeof(net_grads_t));
  t->ws_loss = walloc(net_loss_workspace_size(B));
  t->ws_vg = walloc(step_vg_workspace_size(B));
  nnc_reset(t);
  return t;
}

static void check_status(int32_t st, const char *what) {
  if (st != NNC_OK) { fprintf(stderr, "%s: status %d\n", what, st); exit(1); }
}

/* the SGD update, the peer's sgd() on nnc's structs */
static void nnc_sgd(net_params_t *restrict p, const net_grads_t *restrict g, float lr) {
  for (int i = 0; i < D * H; i++) p->fc1_W[i] -= lr * g->fc1_W[i];
  for (int i = 0; i < H; i++) p->fc1_b[i] -= lr * g->fc1_b[i];
  for (int i = 0; i < H * C; i++) p->fc2_W[i] -= lr * g->fc2_W[i];
  for (int i = 0; i < C; i++) p->fc2_b[i] -= lr * g->fc2_b[i];
}

static float nnc_iter(nnc_t *t, variant_t v) {
  const int B = t->m->B;
  float loss;
  if (v == V_FWD) {
    check_status(net_loss(t->p, t->m->x, B, D, t->m->y, B, &loss, t->ws_loss), "net_loss");
  } else {
    check_status(step_vg(t->p, t->m->x, B, D, t->m->y, B, &loss, t->g, t->ws_vg), "step_vg");
    if (v == V_STEP) nnc_sgd(t->p, t->g, 1e-3f);
  }
  g_sink = loss;
  return loss;
}

/* max |a-b| / max(max |b|, tiny) */
static double rel_err(const float *a, const float *b, int n) {
  double d = 0, s = 0;
  for (int i = 0; i < n; i++) {
    d = fmax(d, fabs((double)a[i] - b[i]));
    s = fmax(s, fabs((double)b[i]));
  }
  return d / fmax(s, 1e-30);
}

/* The nnc step against the peer's forward/backward/sgd on identical data
 * and parameters: loss and gradients, then the loss after 3 SGD steps. */
static int check_against_peer(int B) {
  nnc_t *t = nnc_new(B);
  mlp_t *m = t->m;
  float ln = nnc_iter(t, V_FWDBWD);
  float lc = forward(m);
  backward(m);
  double e[5] = {fabs((double)ln - lc) / fabs((double)lc),
                 rel_err(t->g->fc1_W, m->dW1, D * H), rel_err(t->g->fc1_b, m->db1, H),
                 rel_err(t->g->fc2_W, m->dW2, H * C), rel_err(t->g->fc2_b, m->db2, C)};
  for (int k = 0; k < 3; k++) {
    nnc_iter(t, V_STEP);
    forward(m); backward(m); sgd(m, 1e-3f);
  }
  float ln3 = nnc_iter(t, V_FWD), lc3 = forward(m);
  double e3 = fabs((double)ln3 - lc3) / fabs((double)lc3);
  int bad = e[0] > 1e-4 || e3 > 1e-4;
  for (int i = 1; i < 5; i++) bad |= e[i] > 1e-4;
  printf("CHECK B=%d loss nnc=%.7g C=%.7g rel=%.2g; grads rel W1=%.2g b1=%.2g "
         "W2=%.2g b2=%.2g; after 3 SGD steps nnc=%.7g C=%.7g rel=%.2g %s\n",
         B, ln, lc, e[0], e[1], e[2], e[3], e[4], ln3, lc3, e3, bad ? "FAIL" : "ok");
  return bad;
}

int main(int argc, char **argv) {
  const char *label = argc > 1 ? argv[1] : "nnc";
  const char *blist = argc > 2 ? argv[2] : "1,16,64,256";
  int samples = argc > 3 ? atoi(argv[3]) : 21;
  double min_sample = argc > 4 ? atof(argv[4]) : 0.03;
  int check_only = getenv("W2_CHECK") != NULL;
  char buf[256];
  snprintf(buf, sizeof buf, "%s", blist);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    int B = atoi(tok);
    if (check_only) {
      if (check_against_peer(B)) return 1;
      continue;
    }
    nnc_t *t = nnc_new(B);
    for (int v = 0; v < 3; v++) { /* the peer's sampling, step for step */
      for (int w = 0; w < 3; w++) nnc_iter(t, v);
      nnc_reset(t);
      long calls = 0;
      double t0 = now_s(), el;
      do { nnc_iter(t, v); calls++; el = now_s() - t0; }
      while (calls < 3 || el < min_sample / 4);
      double t1 = el / calls;
      long K = (long)(min_sample / (t1 > 1e-9 ? t1 : 1e-9)) + 1;
      double *ts = malloc(sizeof(double) * samples);
      for (int s = 0; s < samples; s++) {
        nnc_reset(t);
        t0 = now_s();
        for (long k = 0; k < K; k++) nnc_iter(t, v);
        ts[s] = (now_s() - t0) / K;
      }
      float loss = nnc_iter(t, V_FWD);
      if (!isfinite(loss)) { fprintf(stderr, "non-finite loss\n"); return 1; }
      stats_t st = stats_of(ts, samples);
      printf("RESULT peer=%s workload=W2 variant=%s B=%d metric=us/step "
             "med=%.3f min=%.3f max=%.3f n=%d iters_per_sample=%ld\n",
             label, vname[v], B, 1e6 * st.med, 1e6 * st.min, 1e6 * st.max,
             samples, K);
      free(ts);
    }
  }
  return 0;
}
