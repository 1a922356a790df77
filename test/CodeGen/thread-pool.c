// The worker threads a module compiled with --threads keeps between calls
// (lib/CodeGen/ThreadPool.h): products shared among them give the bits of
// one thread, call after call (workers spinning), after a pause (workers
// asleep, woken), from two threads of the program at once (one of them
// finds the pool busy and works alone), in a child after fork (the pool
// starts again there), and from a shared library that is unloaded (its
// destructor joins the workers before their code goes: the program goes on
// and exits normally).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict --threads=3 -c -o %t/pool.o --header %t/gemm.h
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict --prefix=one_ -c -o %t/one.o --header %t/one.h
// RUN: %nnc %S/Inputs/gemm.nn --fp-model=strict --threads=2 --shared -o %t/libpool.so
// RUN: %cc -std=c99 -O1 -pthread -I%t %s %t/pool.o %t/one.o -ldl -lm -o %t/pool
// RUN: %t/pool %t/libpool.so | FileCheck %s
// The checker fails on a wrong element.
// RUN: not %t/pool %t/libpool.so corrupt | FileCheck %s --check-prefix=BAD
// The caller and two workers, kept between calls; the library's one worker
// is joined when it is unloaded.
// CHECK: shallow: ok
// CHECK-NEXT: threads after a shallow product: 1
// CHECK: threads: 3
// CHECK: spinning: ok
// CHECK: woken: ok
// CHECK: two callers: ok
// CHECK: child: ok
// CHECK: threads with the library: 4
// CHECK: threads after unloading it: 3
// CHECK: unloaded: ok
// CHECK: all ok
// BAD: MISMATCH
// BAD-NOT: all ok

#define _GNU_SOURCE
#include "gemm.h"
#include "one.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

// Large enough to be shared (the kernel keeps products under 8M
// multiply-adds on one thread).
enum { M = 256, K = 160, N = 256 };
static float A[M * K], B[K * N], Want[M * N];
static int Corrupt;

static void fill(void) {
  unsigned S = 7;
  for (int I = 0; I < M * K; ++I)
    A[I] = (float)((S = S * 1103515245u + 12345u) >> 16 & 1023) / 512.0f - 1;
  for (int I = 0; I < K * N; ++I)
    B[I] = (float)((S = S * 1103515245u + 12345u) >> 16 & 1023) / 512.0f - 1;
  void *W = malloc(one_mm32_workspace_size(M, K, N));
  int Rc = one_mm32(A, M, K, B, K, N, Want, W);
  free(W);
  if (Rc != 0) {
    puts("MISMATCH: the one-thread product failed");
    exit(1);
  }
}

// One product through F (a --threads build), compared bit for bit.
typedef int32_t (*mm_fn)(const float *, int64_t, int64_t, const float *,
                         int64_t, int64_t, float *, void *);
typedef int64_t (*size_fn)(int64_t, int64_t, int64_t);
static int checkWith(mm_fn F, size_fn Size) {
  float *C = malloc(sizeof(float) * M * N);
  void *W = malloc(Size(M, K, N));
  int Ok = F(A, M, K, B, K, N, C, W) == 0;
  free(W);
  if (Corrupt)
    C[M * N / 2] += 1;
  Ok = Ok && memcmp(C, Want, sizeof(float) * M * N) == 0;
  free(C);
  return Ok;
}

static int check(mm_fn F) { return checkWith(F, mm32_workspace_size); }

// A product of a million multiply-adds but 16 terms per element (the MLP
// step's dW1 = x^T dh at a batch of 16) stays on the calling thread: its
// slices would mostly write rows of C into the other core's cache.
static int shallow(void) {
  enum { SM = 784, SK = 16, SN = 100 };
  static float SA[SM * SK], SB[SK * SN], SC[SM * SN], SWant[SM * SN];
  for (int I = 0; I < SM * SK; ++I)
    SA[I] = (float)(I % 7) - 3;
  for (int I = 0; I < SK * SN; ++I)
    SB[I] = (float)(I % 5) - 2;
  void *W = malloc(mm32_workspace_size(SM, SK, SN));
  void *WOne = malloc(one_mm32_workspace_size(SM, SK, SN));
  int Ok = mm32(SA, SM, SK, SB, SK, SN, SC, W) == 0 &&
           one_mm32(SA, SM, SK, SB, SK, SN, SWant, WOne) == 0 &&
           memcmp(SC, SWant, sizeof SC) == 0;
  free(W);
  free(WOne);
  return Ok;
}

// The threads of this process, from /proc.
static int threads(void) {
  FILE *F = fopen("/proc/self/status", "r");
  char Line[256];
  int N = -1;
  while (F && fgets(Line, sizeof Line, F))
    if (sscanf(Line, "Threads: %d", &N) == 1)
      break;
  if (F)
    fclose(F);
  return N;
}

static void *caller(void *Arg) {
  int *Ok = Arg;
  for (int I = 0; I < 20; ++I)
    *Ok &= check(mm32);
  return NULL;
}

static void report(const char *What, int Ok) {
  printf("%s: %s\n", What, Ok ? "ok" : "MISMATCH");
  fflush(stdout);
  if (!Ok)
    exit(1);
}

int main(int argc, char **argv) {
  Corrupt = argc > 2 && !strcmp(argv[2], "corrupt");
  report("shallow", shallow());
  printf("threads after a shallow product: %d\n", threads());
  fill();
  int Ok = 1;
  for (int I = 0; I < 30; ++I)
    Ok &= check(mm32);
  printf("threads: %d\n", threads());
  report("spinning", Ok);

  struct timespec Pause = {0, 30 * 1000 * 1000};
  for (int I = 0; I < 3; ++I) {
    nanosleep(&Pause, NULL);
    Ok &= check(mm32);
  }
  report("woken", Ok);

  pthread_t T1, T2;
  int Ok1 = 1, Ok2 = 1;
  pthread_create(&T1, NULL, caller, &Ok1);
  pthread_create(&T2, NULL, caller, &Ok2);
  pthread_join(T1, NULL);
  pthread_join(T2, NULL);
  report("two callers", Ok1 && Ok2);

  pid_t Child = fork();
  if (Child == 0)
    _exit(check(mm32) && check(mm32) ? 0 : 1);
  int Status = 0;
  waitpid(Child, &Status, 0);
  report("child", WIFEXITED(Status) && WEXITSTATUS(Status) == 0);

  void *Lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  mm_fn Shared = Lib ? (mm_fn)dlsym(Lib, "mm32") : NULL;
  size_fn SharedSize =
      Lib ? (size_fn)dlsym(Lib, "mm32_workspace_size") : NULL;
  Ok = Shared && SharedSize && checkWith(Shared, SharedSize) &&
       checkWith(Shared, SharedSize);
  printf("threads with the library: %d\n", threads());
  if (Lib)
    dlclose(Lib);
  nanosleep(&Pause, NULL);
  printf("threads after unloading it: %d\n", threads());
  report("unloaded", Ok);
  puts("all ok");
  return 0;
}
