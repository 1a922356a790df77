// Sizes whose byte counts overflow are shape errors, never out-of-bounds
// writes: for every element kind, dimensions around 2^31, 2^32, 2^53,
// 2^60, 2^62 and 2^63, and right at each kind's limit (INT64_MAX / size),
// the workspace size function returns -1 when some tensor's size in bytes
// (rounded up to the workspace's 64-byte alignment) overflows int64_t, or
// their sum does, and the entry point then returns NNC_ERR_SHAPE; a size that fits but cannot
// be allocated gives NNC_ERR_NOMEM. The inputs are one-element buffers:
// the ASan build would report any access past them.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/size_sweep.nn -c -o %t/sweep.o --header %t/size_sweep.h
// RUN: %cc -std=c99 -Wall -Wextra -Werror -fsanitize=address %inc %s %t/sweep.o -lm -o %t/sweep
// RUN: env ASAN_OPTIONS=allocator_may_return_null=1 %t/sweep | FileCheck %s
// CHECK-NOT: MISMATCH
// CHECK: checked {{[1-9][0-9]*}} sizes
// CHECK: all ok

#include "size_sweep.h"

#include <stdint.h>
#include <stdio.h>

static int failures, checked;

static void expect(const char *what, long long n, long long got,
                   long long want) {
  ++checked;
  if (got != want) {
    printf("MISMATCH %s at n=%lld: got %lld, want %lld\n", what, n, got,
           want);
    ++failures;
  }
}

// Whether `elements * size` bytes, rounded up to 64, fit in int64_t.
static int fits(__int128 elements, int size) {
  return elements <= (__int128)INT64_MAX &&
         elements * size + 63 <= (__int128)INT64_MAX;
}

// The workspace size when the largest tensor of a call takes
// `elements * size` bytes: -1 if those bytes overflow; otherwise -1 (the
// slots together overflow) or at least those bytes.
static void expect_ws(const char *what, long long n, int64_t ws,
                      __int128 elements, int size) {
  if (!fits(elements, size))
    expect(what, n, ws, -1);
  else
    expect(what, n, ws == -1 || ws >= elements * size, 1);
}

// Whether a call may be made with one-element buffers: its sizes overflow
// (a shape error before any access) or its workspace is more than any
// machine can allocate (NNC_ERR_NOMEM before any access).
static int must_fail(int64_t ws) { return ws < 0 || ws > (1LL << 46); }

// The expected status of a call that must fail.
static int32_t failure(int64_t ws) {
  return ws < 0 ? NNC_ERR_SHAPE : NNC_ERR_NOMEM;
}

int main(void) {
  double f64[1] = {0}, out = -7;
  float f32[1] = {0};
  int64_t i64[1] = {0};
  int32_t i32[1] = {0};
  bool b[1] = {0};
  long long ns[128];
  int count = 0;
  for (int p = 30; p <= 62; ++p) {
    ns[count++] = (1LL << p) - 1;
    ns[count++] = 1LL << p;
    ns[count++] = (1LL << p) + 1;
  }
  ns[count++] = INT64_MAX;
  // Right at each element size's limit, below and above it.
  const int sizes[] = {1, 4, 8};
  for (int k = 0; k < 3; ++k) {
    long long limit = (INT64_MAX - 63) / sizes[k];
    ns[count++] = limit - 1;
    ns[count++] = limit;
    ns[count++] = limit + 1;
    ns[count++] = INT64_MAX / sizes[k];
  }
  for (int i = 0; i < count; ++i) {
    long long n = ns[i];
    int64_t ws;
#define SWEEP(name, buf, T, size)                                              \
  {                                                                            \
    T out;                                                                     \
    ws = name##_workspace_size(n);                                             \
    expect_ws(#name " ws", n, ws, n, size);                                    \
    if (must_fail(ws))                                                         \
      expect(#name " status", n, name(buf, n, &out, NULL), failure(ws));       \
  }
    SWEEP(sf64, f64, double, 8)
    SWEEP(sf32, f32, float, 4)
    SWEEP(si64, i64, int64_t, 8)
    SWEEP(si32, i32, int32_t, 4)
    // select(x, 1.0, 0.0) is an f64[n]: 8 bytes an element, not 1.
    SWEEP(sbool, b, double, 8)
    // f32[n, m]: the product overflows although each factor fits.
    for (long long m = 1; m <= 8; m *= 2) {
      float out;
      ws = m2_workspace_size(n, m);
      expect_ws("m2 ws", n, ws, (__int128)n * m, 4);
      if (must_fail(ws))
        expect("m2 status", n, m2(f32, n, m, &out, NULL), failure(ws));
    }
    // rand(1, [n, n]): a size computed from the dimensions, not passed in.
    ws = r_workspace_size(n);
    expect_ws("r ws", n, ws, (__int128)n * n, 8);
    if (must_fail(ws))
      expect("r status", n, r(f64, n, &out, NULL), failure(ws));
  }
  // Negative sizes are invalid for every workspace size function.
  expect("negative", -1, sf64_workspace_size(-1), -1);
  expect("negative m", -1, m2_workspace_size(2, -1), -1);

  // Constant sizes near the limit: each tensor fits, the workspace of the
  // derivative does not, or cannot be allocated.
  {
    float dx[1];
    int64_t ws = dce_workspace_size();
    expect("dce must fail", 0, must_fail(ws), 1);
    expect("dce status", 0,
           dce(f32, 576460752303423488LL, 2, i32, 576460752303423488LL, dx,
               NULL),
           failure(ws));
  }
  printf("checked %d sizes\n", checked);
  if (failures)
    return 1;
  printf("all ok\n");
  return 0;
}
