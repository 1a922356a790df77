//===- LowerStats.h - Reductions along several axes, var, std ---*- C++ -*-===//
//
// Issue 12's lowering: leaky_relu, elu, clamp, var, std and the reductions
// along several axes, called by IRGen.cpp with a callback that lowers an
// argument.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_IRGEN_LOWERSTATS_H
#define NNC_LIB_IRGEN_LOWERSTATS_H

#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"
#include "llvm/ADT/STLFunctionalExtras.h"

namespace nnc::irgen {

/// Whether lowerStatsCall lowers \p C: leaky_relu, elu, clamp, var, std,
/// or sum/mean/max/min along a list of axes.
bool isStatsCall(const ast::CallExpr &C);

/// Lowers \p C, of type \p Result, whose named arguments (`slope=`,
/// `min=`) are values: \p Lower lowers an argument.
ir::ValueId
lowerStatsCall(ir::Builder &B, const ast::CallExpr &C, const ir::Type &Result,
               llvm::function_ref<ir::ValueId(const ast::Expr &)> Lower);

/// Reduces \p X (ReduceSum, ReduceMax or ReduceMin) along \p Axes as a
/// chain of one-axis reductions in ir::planReduction's order, behind a
/// reshape (free: it aliases).
ir::ValueId reduceAxes(ir::Builder &B, ir::OpKind K, ir::ValueId X,
                       llvm::ArrayRef<unsigned> Axes);

/// The number of elements \p Axes of \p T span, as a float of kind \p K.
ir::ValueId countAlong(ir::Builder &B, const ir::Type &T,
                       llvm::ArrayRef<unsigned> Axes, ElementKind K);

/// The variance of \p X along \p Axes, two-pass (the mean first, then the
/// mean square deviation), divided by max(N - Correction, 0); its square
/// root with \p Std.
ir::ValueId variance(ir::Builder &B, ir::ValueId X,
                     llvm::ArrayRef<unsigned> Axes, double Correction,
                     bool Std);

/// \p A op \p C with both broadcast to their common shape.
ir::ValueId broadcastBinary(ir::Builder &B, ir::OpKind K, ir::ValueId A,
                            ir::ValueId C);

} // namespace nnc::irgen

#endif
