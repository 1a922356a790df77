//===- StructuralOps.h - Lowering issue 12's structural ops -----*- C++ -*-===//
//
// Indexing, stack and the reversed transpose, as IR: helpers of IRGen.cpp
// that need no AST walk (IRGen lowers the operands and calls these).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_IRGEN_STRUCTURALOPS_H
#define NNC_LIB_IRGEN_STRUCTURALOPS_H

#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"

namespace nnc::irgen {

/// `x[...]` as a slice of \p X (then a reshape when axes are dropped), of
/// type \p Result. \p Dynamic holds, per axis, the lowered i64 index where
/// Sema's window takes its start from an expression.
ir::ValueId lowerWindow(ir::Builder &B, ir::ValueId X,
                        llvm::ArrayRef<ast::IndexExpr::AxisWindow> Axes,
                        llvm::ArrayRef<std::optional<ir::ValueId>> Dynamic,
                        const DimSubstitution &Sub, const ir::Type &Result);

/// `stack(parts, axis=k)`: each part with an axis of 1 inserted at \p Axis,
/// concatenated along it.
ir::ValueId lowerStack(ir::Builder &B, llvm::ArrayRef<ir::ValueId> Parts,
                       unsigned Axis);

/// `transpose(x)` and `x.T`: a vector unchanged, a matrix transposed, and
/// higher ranks with their axes reversed (NumPy's).
ir::ValueId lowerTranspose(ir::Builder &B, ir::ValueId X);

} // namespace nnc::irgen

#endif
