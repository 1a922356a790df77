// The parameter table of an instance (docs/abi.md, "Parameter tables"):
// `net_params_table` has one row per field of net_params_t, in order, with
// the layer path, the safetensors dtype, the shape, and the offset and
// size that C's own layout gives (checked against offsetof and sizeof).
// RUN: rm -rf %t && mkdir -p %t
// RUN: %nnc %S/Inputs/signature.nn -c -o %t/m.o --header %t/m.h
// RUN: %cc -std=c99 -pedantic -Wall -Wextra -Werror %inc %s %t/m.o -lm -o %t/table
// RUN: %t/table | FileCheck %s --match-full-lines
// The same from a shared library, and with --prefix (the table is named
// like the struct).
// RUN: %nnc %S/Inputs/signature.nn --prefix=p_ -c -o %t/p.o --header %t/p.h
// RUN: nm %t/p.o | FileCheck %s --check-prefix=NM
// NM-DAG: R p_net_params_count
// NM-DAG: {{[DR]}} p_net_params_table
// RUN: FileCheck %s --check-prefix=PHDR --input-file=%t/p.h
// PHDR: extern const nnc_param_info p_net_params_table[];
// PHDR: extern const int64_t p_net_params_count;
// A C++ program sees the same declarations.
// RUN: %cxx -std=c++17 -pedantic -Wall -Wextra -Werror -fsyntax-only -x c++ %t/m.h
// IR input, where Sema does not run: a function named like the table is
// refused by code generation too (Sema's err_symbol_param_table for .nn
// input is in test/Sema/fail_abi.nn).
// RUN: not %nnc -x ir %S/Inputs/param_table_clash.nnir -c -o %t/clash.o 2>&1 | FileCheck %s --check-prefix=CLASH
// CLASH: nnc: error: function 'net_params_table' has the name of the parameter table of 'net'; rename it or the instance
#include "m.h"
#include <stddef.h>
#include <stdio.h>

// CHECK:      3 parameters, 72 bytes
// CHECK-NEXT: W: F32 [4, 3] at 0, 48 bytes
// CHECK-NEXT: scale: F64 [] at 48, 8 bytes
// CHECK-NEXT: b: F32 [3] at 56, 12 bytes
// CHECK-NEXT: offsets and sizes are C's
int main(void) {
  printf("%lld parameters, %zu bytes\n", (long long)net_params_count,
         sizeof(net_params_t));
  for (int64_t i = 0; i < net_params_count; ++i) {
    const nnc_param_info *p = &net_params_table[i];
    printf("%s: %s [", p->name, p->dtype);
    for (int64_t d = 0; d < p->rank; ++d)
      printf("%s%lld", d ? ", " : "", (long long)p->shape[d]);
    printf("] at %lld, %lld bytes\n", (long long)p->offset,
           (long long)p->size);
  }
  size_t offsets[] = {offsetof(net_params_t, W), offsetof(net_params_t, scale),
                      offsetof(net_params_t, b)};
  size_t sizes[] = {sizeof(((net_params_t *)0)->W),
                    sizeof(((net_params_t *)0)->scale),
                    sizeof(((net_params_t *)0)->b)};
  for (int i = 0; i < 3; ++i)
    if ((size_t)net_params_table[i].offset != offsets[i] ||
        (size_t)net_params_table[i].size != sizes[i]) {
      printf("row %d differs from C's layout\n", i);
      return 1;
    }
  // The table describes the struct init fills: its scale is 1.
  net_params_t params;
  if (net_init(7, &params, NULL) != NNC_OK)
    return 1;
  double scale;
  const unsigned char *raw = (const unsigned char *)&params;
  for (size_t k = 0; k < sizeof scale; ++k)
    ((unsigned char *)&scale)[k] = raw[net_params_table[1].offset + k];
  if (scale != 1.0) {
    printf("scale read through the table: %g\n", scale);
    return 1;
  }
  puts("offsets and sizes are C's");
  return 0;
}
