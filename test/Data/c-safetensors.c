// The header-only C reader and writer, include/nnc-c/safetensors.h: what it
// writes NumPy reads exactly; it reads what lib/Data and Python write; bad
// files and names are errors naming the file.
// REQUIRES: numpy
// RUN: rm -rf %t && mkdir -p %t
// RUN: %cc -std=c99 -Wall -Wextra -pedantic -Werror -I%nnc_include %s -o %t/st
// RUN: %t/st write %t/c.safetensors
// RUN: %python %S/Inputs/check_safetensors.py %t/c.safetensors c | FileCheck %s --check-prefix=NUMPY
// NUMPY: ok: 3 tensors
//
// RUN: %data-tool write-demo %t/demo.safetensors
// RUN: %t/st read %t/demo.safetensors fc1.W fc1.b a.odd | FileCheck %s --check-prefix=READ
// READ:      fc1.W F32 [2,3]: 0.5 -1.25 3 1.00000001e-07 -0 7
// READ-NEXT: fc1.b F64 [3]: 0.33333333333333331 -2.5000000000000001e+300 0.10000000000000001
// READ-NEXT: a.odd F32 [3]: 1.5 2.5 3.5
//
// Python's json.dumps puts spaces after ':' and ',' and orders keys its own way.
// RUN: %python -c "import json, struct, numpy as np; h = json.dumps({'__metadata__': {'a': '{[,]}'}, 'w': {'shape': [2], 'data_offsets': [0, 16], 'dtype': 'F64'}}).encode(); open('%t/py.safetensors', 'wb').write(struct.pack('<Q', len(h)) + h + np.array([2.5, -4.0]).tobytes())"
// RUN: %t/st read %t/py.safetensors w | FileCheck %s --check-prefix=PY
// PY: w F64 [2]: 2.5 -4
//
// RUN: %t/st read-into %t/demo.safetensors fc1.W 6 | FileCheck %s --check-prefix=INTO
// INTO: 0.5 -1.25 3 1.00000001e-07 -0 7
// RUN: not %t/st read-into %t/demo.safetensors fc1.W 5 2>&1 | FileCheck %s -DF=%t --check-prefix=COUNT
// COUNT: [[F]]/demo.safetensors: tensor 'fc1.W' has 6 elements of F32, expected 5 of F32
//
// RUN: not %t/st read %t/demo.safetensors nope 2>&1 | FileCheck %s -DF=%t --check-prefix=NONE
// NONE: [[F]]/demo.safetensors: no tensor named 'nope'
// RUN: not %t/st read %t/demo.safetensors idx 2>&1 | FileCheck %s -DF=%t --check-prefix=I64
// I64: [[F]]/demo.safetensors: tensor 'idx' has dtype 'I64'; this reader handles F32 and F64
// RUN: %python %S/Inputs/make_bad_safetensors.py %t/demo.safetensors %t
// RUN: not %t/st read %t/past.safetensors x 2>&1 | FileCheck %s -DF=%t --check-prefix=PAST
// PAST: [[F]]/past.safetensors: header length 1000000 runs past the end of the file (20 bytes)
// RUN: not %t/st read %t/cut.safetensors fc1.W 2>&1 | FileCheck %s -DF=%t --check-prefix=CUT
// CUT: [[F]]/cut.safetensors: tensor 'fc1.W': data_offsets [60, 84] run past the end of the file
// RUN: not %t/st read %t/shape.safetensors x 2>&1 | FileCheck %s -DF=%t --check-prefix=SHAPE
// SHAPE: [[F]]/shape.safetensors: tensor 'x': data_offsets [0, 16] do not match its dtype and shape
// RUN: not %t/st read %t/json.safetensors y 2>&1 | FileCheck %s -DF=%t --check-prefix=JSON
// JSON: [[F]]/json.safetensors: bad JSON header
// RUN: not %t/st read %t/missing.safetensors x 2>&1 | FileCheck %s -DF=%t --check-prefix=MISSING
// MISSING: [[F]]/missing.safetensors: cannot open: No such file or directory
// RUN: not %t/st write-bad %t/bad.safetensors 2>&1 | FileCheck %s -DF=%t --check-prefix=NAME
// NAME: [[F]]/bad.safetensors: cannot write: tensor name 'a"b' holds a quote, a backslash or a control character
// RUN: not ls %t/bad.safetensors %t/bad.safetensors.tmp

#include "nnc-c/safetensors.h"

#include <stdio.h>
#include <string.h>

static void print(const char *name, const nnc_st_array *a) {
  printf("%s %s [", name, a->dtype == NNC_ST_F64 ? "F64" : "F32");
  for (int d = 0; d < a->rank; ++d)
    printf("%s%lld", d ? "," : "", (long long)a->shape[d]);
  printf("]:");
  for (size_t i = 0; i < a->count; ++i) {
    if (a->dtype == NNC_ST_F64)
      printf(" %.17g", ((const double *)a->data)[i]);
    else
      printf(" %.9g", (double)((const float *)a->data)[i]);
  }
  printf("\n");
}

int main(int argc, char **argv) {
  char err[512];
  if (argc == 3 && strcmp(argv[1], "write") == 0) {
    // The F32 and F64 tensors of `nnc-data-tool write-demo`.
    static const float w[] = {0.5f, -1.25f, 3.0f, 1e-7f, -0.0f, 7.0f};
    static const double b[] = {1.0 / 3.0, -2.5e300, 0.1};
    static const float odd[] = {1.5f, 2.5f, 3.5f};
    static const int64_t ws[] = {2, 3}, bs[] = {3}, os[] = {3};
    nnc_st_tensor t[] = {{"fc1.W", NNC_ST_F32, 2, ws, w},
                         {"a.odd", NNC_ST_F32, 1, os, odd},
                         {"fc1.b", NNC_ST_F64, 1, bs, b}};
    if (nnc_st_write(argv[2], t, 3, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "write-bad") == 0) {
    static const float w[] = {1};
    static const int64_t ws[] = {1};
    nnc_st_tensor t[] = {{"a\"b", NNC_ST_F32, 1, ws, w}};
    if (nnc_st_write(argv[2], t, 1, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "read") == 0) {
    for (int i = 3; i < argc; ++i) {
      nnc_st_array a;
      if (nnc_st_read(argv[2], argv[i], &a, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return 1;
      }
      print(argv[i], &a);
      nnc_st_free(&a);
    }
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "read-into") == 0) {
    float dst[16];
    size_t n = (size_t)atoi(argv[4]);
    if (n > 16 || nnc_st_read_into(argv[2], argv[3], NNC_ST_F32, dst, n, err,
                                   sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return 1;
    }
    for (size_t i = 0; i < n; ++i)
      printf("%s%.9g", i ? " " : "", (double)dst[i]);
    printf("\n");
    return 0;
  }
  fprintf(stderr, "usage: st write FILE | read FILE NAME... | read-into FILE NAME N\n");
  return 2;
}
