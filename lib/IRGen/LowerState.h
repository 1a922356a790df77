//===- LowerState.h - batch_norm and dropout --------------------*- C++ -*-===//
//
// Issue 12's built-ins that depend on the training mode, lowered to
// existing ops (so AD differentiates them): IRGen.cpp passes the method's
// `training` value and dropout's seed and stream, and assigns the new
// running statistics to the state members itself.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_IRGEN_LOWERSTATE_H
#define NNC_LIB_IRGEN_LOWERSTATE_H

#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"

namespace nnc::irgen {

/// select(C, T, E) with the three broadcast to their common shape.
ir::ValueId broadcastSelect(ir::Builder &B, ir::ValueId C, ir::ValueId T,
                            ir::ValueId E);

struct BatchNormResult {
  ir::ValueId Y;       ///< the normalized x
  ir::ValueId NewMean; ///< the running mean after the call
  ir::ValueId NewVar;  ///< the running variance after the call
};

/// batch_norm(x, running_mean, running_var, gamma, beta, momentum=,
/// eps=) of \p Args (lowered arguments of \p C) in the mode \p Training
/// (a bool value).
BatchNormResult lowerBatchNorm(ir::Builder &B, const ast::CallExpr &C,
                               llvm::ArrayRef<ir::ValueId> Args,
                               ir::ValueId Training);

/// dropout(x, p) of \p X in the mode \p Training, its mask drawn from
/// random stream \p Stream of \p Seed (an i64 value).
ir::ValueId lowerDropout(ir::Builder &B, const ast::CallExpr &C, ir::ValueId X,
                         ir::ValueId Training, ir::ValueId Seed,
                         unsigned Stream);

} // namespace nnc::irgen

#endif
