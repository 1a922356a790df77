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
#include "llvm/ADT/STLFunctionalExtras.h"
#include <optional>

namespace nnc::irgen {

/// Issue 12's structural built-ins (concat, stack, permute, transpose,
/// flatten, zeros, ones, full, slice, unslice) of type \p Result, whose
/// list and type arguments are not values: \p Lower lowers the ones that
/// are. None for the other built-ins.
std::optional<ir::ValueId>
lowerStructural(ir::Builder &B, const ast::CallExpr &C, const ir::Type &Result,
                llvm::function_ref<ir::ValueId(const ast::Expr &)> Lower);

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
