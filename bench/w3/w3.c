/* W3: single-precision matrix products C[M,N] = A[M,K] @ B[K,N] ("nn") and
 * C = X^T @ D with X [K,M] read transposed ("tn", the train step's dW1), at
 * the shapes bench/run asks for. Built two ways from this one file, so that
 * both sides use the same data, checks, timer and sampling:
 *   -DW3_NNC    nnc's generated code: w3_static.nn (sizes known at compile
 *               time, one function per shape) or w3_dynamic.nn (dimension
 *               variables), chosen by the first argument;
 *   -DUSE_BLAS  OpenBLAS cblas_sgemm (it prints its kernel on stderr).
 * Before timing, each product is checked against a double-precision dot
 * product at the four corners and 60 random entries of C, and every entry
 * of C must be finite.
 * usage: w3 static|dynamic|blas SHAPES [samples=7] [min_sample_s=0.05]
 *   SHAPES: comma-separated KIND:MxKxN, e.g. nn:512x512x512,tn:784x256x100
 * prints: RESULT peer=... workload=W3 variant=KIND B=MxKxN metric=ms/call
 *         med=... min=... max=... gflops=... n=... */
#include "common.h"
#ifdef W3_NNC
#include "w3_dynamic.h"
#include "w3_static.h"
#elif defined(USE_BLAS)
#include <cblas.h>
#else
#error "build with -DW3_NNC or -DUSE_BLAS"
#endif

typedef int32_t (*nnc_mm_fn)(const float *, int64_t, int64_t, const float *,
                             int64_t, int64_t, float *, void *);

typedef struct {
  int tn; /* 0: A [M,K] @ B [K,N]; 1: transpose(A [K,M]) @ B [K,N] */
  int M, K, N;
  float *A, *B, *C;
  void *ws;
  nnc_mm_fn fn;
} prob_t;

#ifdef W3_NNC
/* The compile-time functions of w3_static.nn, by shape. */
static const struct {
  int tn, M, K, N;
  nnc_mm_fn fn;
  int64_t (*ws)(void);
} STATIC_FNS[] = {
    {0, 512, 512, 512, mm_512x512x512, mm_512x512x512_workspace_size},
    {0, 256, 784, 100, mm_256x784x100, mm_256x784x100_workspace_size},
    {0, 784, 256, 100, mm_784x256x100, mm_784x256x100_workspace_size},
    {1, 784, 256, 100, mm_tn_784x256x100, mm_tn_784x256x100_workspace_size},
};

static int bind_nnc(prob_t *p, int dynamic) {
  int64_t ws = -1;
  if (dynamic) {
    p->fn = p->tn ? mm_tn : mm;
    ws = p->tn ? mm_tn_workspace_size(p->K, p->M, p->N)
               : mm_workspace_size(p->M, p->K, p->N);
  } else {
    for (size_t i = 0; i < sizeof STATIC_FNS / sizeof STATIC_FNS[0]; i++)
      if (STATIC_FNS[i].tn == p->tn && STATIC_FNS[i].M == p->M &&
          STATIC_FNS[i].K == p->K && STATIC_FNS[i].N == p->N) {
        p->fn = STATIC_FNS[i].fn;
        ws = STATIC_FNS[i].ws();
      }
    if (!p->fn) {
      fprintf(stderr, "w3_static.nn has no function for %s:%dx%dx%d\n",
              p->tn ? "tn" : "nn", p->M, p->K, p->N);
      return 1;
    }
  }
  if (ws < 0) {
    fprintf(stderr, "workspace size %lld\n", (long long)ws);
    return 1;
  }
  p->ws = aligned_alloc(64, (size_t)((ws + 63) / 64 * 64 + 64));
  return 0;
}
#endif

static void product(const prob_t *p) {
#ifdef W3_NNC
  /* A is [M,K], or [K,M] when read transposed; B is [K,N]. */
  int32_t st = p->fn(p->A, p->tn ? p->K : p->M, p->tn ? p->M : p->K, p->B,
                     p->K, p->N, p->C, p->ws);
  if (st != NNC_OK) {
    fprintf(stderr, "nnc product: status %d\n", st);
    exit(1);
  }
#else
  cblas_sgemm(CblasRowMajor, p->tn ? CblasTrans : CblasNoTrans, CblasNoTrans,
              p->M, p->N, p->K, 1.0f, p->A, p->tn ? p->M : p->K, p->B, p->N,
              0.0f, p->C, p->N);
#endif
}

static float a_at(const prob_t *p, int i, int k) {
  return p->tn ? p->A[(size_t)k * p->M + i] : p->A[(size_t)i * p->K + k];
}

/* C[i,j] against a double dot product; the tolerance is relative to the sum
 * of |a*b|, which bounds the rounding of any summation order in f32. */
static int check_entry(const prob_t *p, int i, int j) {
  double ref = 0, mag = 0;
  for (int k = 0; k < p->K; k++) {
    double t = (double)a_at(p, i, k) * p->B[(size_t)k * p->N + j];
    ref += t;
    mag += fabs(t);
  }
  double got = p->C[(size_t)i * p->N + j];
  if (!(fabs(got - ref) <= 1e-5 * p->K * mag + 1e-30)) {
    fprintf(stderr, "W3 check failed at C[%d,%d]: %.9g, expected %.9g\n", i, j,
            got, ref);
    return 1;
  }
  return 0;
}

static int check(const prob_t *p) {
  for (size_t i = 0; i < (size_t)p->M * p->N; i++)
    if (!isfinite(p->C[i])) {
      fprintf(stderr, "W3 check failed: C[%zu] = %g\n", i, p->C[i]);
      return 1;
    }
  int bad = check_entry(p, 0, 0) | check_entry(p, 0, p->N - 1) |
            check_entry(p, p->M - 1, 0) | check_entry(p, p->M - 1, p->N - 1);
  for (int t = 0; t < 60; t++)
    bad |= check_entry(p, (int)(rng_u64() % p->M), (int)(rng_u64() % p->N));
  return bad;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: w3 static|dynamic|blas SHAPES [samples] [min_s]\n");
    return 2;
  }
  const char *impl = argv[1];
  int samples = argc > 3 ? atoi(argv[3]) : 7;
  double min_sample = argc > 4 ? atof(argv[4]) : 0.05;
  if (samples < 1) samples = 1;
#ifdef USE_BLAS
  extern char *openblas_get_corename(void);
  extern char *openblas_get_config(void);
  fprintf(stderr, "openblas core=%s config=%s\n", openblas_get_corename(),
          openblas_get_config());
#endif
  char buf[512];
  snprintf(buf, sizeof buf, "%s", argv[2]);
  for (char *tok = strtok(buf, ","); tok; tok = strtok(NULL, ",")) {
    prob_t p = {0};
    char kind[8];
    if (sscanf(tok, "%2[a-z]:%dx%dx%d", kind, &p.M, &p.K, &p.N) != 4 ||
        (strcmp(kind, "nn") && strcmp(kind, "tn")) || p.M < 1 || p.K < 1 ||
        p.N < 1) {
      fprintf(stderr, "bad shape '%s' (want nn:MxKxN or tn:MxKxN)\n", tok);
      return 2;
    }
    p.tn = !strcmp(kind, "tn");
    size_t na = (size_t)p.M * p.K, nb = (size_t)p.K * p.N, nc = (size_t)p.M * p.N;
    p.A = aligned_alloc(64, (na * 4 + 63) / 64 * 64);
    p.B = aligned_alloc(64, (nb * 4 + 63) / 64 * 64);
    p.C = aligned_alloc(64, (nc * 4 + 63) / 64 * 64);
    rng_state = 0x9E3779B97F4A7C15ull; /* the same data for every impl */
    for (size_t i = 0; i < na; i++) p.A[i] = (float)rng_normal();
    for (size_t i = 0; i < nb; i++) p.B[i] = (float)rng_normal();
#ifdef W3_NNC
    if (strcmp(impl, "static") && strcmp(impl, "dynamic")) {
      fprintf(stderr, "this build runs nnc: static or dynamic, not '%s'\n", impl);
      return 2;
    }
    if (bind_nnc(&p, !strcmp(impl, "dynamic")))
      return 1;
#endif
    for (size_t i = 0; i < nc; i++) p.C[i] = NAN; /* every entry must be written */
    product(&p);
    if (check(&p))
      return 1;
    /* calibrate K calls per sample, then the median over samples */
    long calls = 0;
    double t0 = now_s(), el;
    do { product(&p); calls++; el = now_s() - t0; }
    while (calls < 2 || el < min_sample / 4);
    long K = (long)(min_sample / (el / calls)) + 1;
    double *ts = malloc(sizeof(double) * samples);
    for (int s = 0; s < samples; s++) {
      t0 = now_s();
      for (long k = 0; k < K; k++) product(&p);
      ts[s] = (now_s() - t0) / K;
    }
    g_sink = p.C[7 % nc];
    stats_t st = stats_of(ts, samples);
    double flop = 2.0 * p.M * (double)p.K * p.N;
    printf("RESULT peer=%s workload=W3 variant=%s B=%dx%dx%d metric=ms/call "
           "med=%.5f min=%.5f max=%.5f gflops=%.2f n=%d iters_per_sample=%ld\n",
           impl, kind, p.M, p.K, p.N, st.med * 1e3, st.min * 1e3, st.max * 1e3,
           flop / st.med * 1e-9, samples, K);
    free(ts);
    free(p.A); free(p.B); free(p.C); free(p.ws);
  }
  return 0;
}
