//===- FusionPlan.h - Ops that are not computed on their own ----*- C++ -*-===//
//
// Between the IR and the emitter: which ops need no loop nest and no
// memory of their own because their users read their operand in place.
// Today, views:
//  - a transpose that only matrix products read, which they read with
//    swapped strides (Gemm.h), so `x.T @ dy` in a backward pass copies
//    nothing;
//  - a broadcast that only element-wise ops read, which they read with a
//    stride of zero along the stretched axes (a bias added to each row, a
//    scalar compared with each element), so nothing is repeated in memory.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_FUSIONPLAN_H
#define NNC_LIB_CODEGEN_FUSIONPLAN_H

#include "nnc/IR/IR.h"

namespace nnc::codegen {

struct FusionPlan {
  /// Per value: a view, read in place by its users (never computed).
  std::vector<bool> View;
};

/// Whether \p O is a matrix product the kernel of Gemm.h computes.
bool isGemmProduct(const ir::Function &F, const ir::Op &O);

FusionPlan planFusion(const ir::Function &F);

} // namespace nnc::codegen

#endif
