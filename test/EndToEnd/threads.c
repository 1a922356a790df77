// The generated functions are pure: no global state, so they are reentrant
// and thread-safe. Eight threads call the neuron's gradient concurrently and
// must all get the single-threaded answers, bit for bit.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %examples/neuron.nn -c -o %t/neuron.o --header %t/neuron.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror -pthread %inc %s %t/neuron.o -lm -o %t/threads
// RUN: %t/threads | FileCheck %s
// CHECK: 8 threads x 20000 calls: 0 mismatches
// The object has no writable data at all.
// RUN: llvm-readobj --sections %t/neuron.o | FileCheck --check-prefix=SECTIONS %s
// SECTIONS-NOT: Name: .data
// SECTIONS-NOT: Name: .bss
// RUN: llvm-nm %t/neuron.o | FileCheck --check-prefix=NM %s
// NM-NOT: {{ [BbDdGgSs] }}

#include "neuron.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

enum { THREADS = 8, CALLS = 20000 };

static double want[CALLS][6];

static void eval(int i, double out[6]) {
  double w0 = 0.001 * i - 3, x0 = 1 - 0.0003 * i, w1 = 0.5, x1 = -2, w2 = 0.25;
  out[0] = neuron(w0, x0, w1, x1, w2);
  dneuron(w0, x0, w1, x1, w2, &out[1], &out[2], &out[3], &out[4], &out[5]);
}

static void *worker(void *arg) {
  long mismatches = 0;
  int offset = (int)(long)arg;
  for (int k = 0; k < CALLS; ++k) {
    int i = (k + offset * 997) % CALLS;
    double got[6];
    eval(i, got);
    if (memcmp(got, want[i], sizeof got) != 0)
      ++mismatches;
  }
  return (void *)mismatches;
}

int main(void) {
  for (int i = 0; i < CALLS; ++i)
    eval(i, want[i]);
  pthread_t t[THREADS];
  for (long i = 0; i < THREADS; ++i)
    pthread_create(&t[i], NULL, worker, (void *)i);
  long total = 0;
  for (int i = 0; i < THREADS; ++i) {
    void *r;
    pthread_join(t[i], &r);
    total += (long)r;
  }
  printf("%d threads x %d calls: %ld mismatches\n", THREADS, CALLS, total);
  return total != 0;
}
