//===- Fold.h - Constant folding for the simplifier -------------*- C++ -*-===//
//
// Private to lib/Transforms: Simplify.cpp folds an op whose operands are
// constants through foldOp (Fold.cpp), and builds the constant it yields
// with wrapInt and roundFloat. Simplify.cpp's header says which folds are
// exact and why.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRANSFORMS_FOLD_H
#define NNC_LIB_TRANSFORMS_FOLD_H

#include "nnc/IR/IR.h"
#include <cstdint>
#include <optional>

namespace nnc::folding {

/// Brings an integer to its type's width: i32 values are kept sign-extended
/// in the 64-bit field, bools are 0 or 1.
int64_t wrapInt(ElementKind K, int64_t V);

/// Rounds to the precision of a float kind.
double roundFloat(ElementKind K, double V);

/// A folded scalar: FloatValue for float types, IntValue otherwise.
struct Scalar {
  double F = 0;
  int64_t I = 0;
};

/// Folds \p O, whose operands are the constants \p Args. Returns nothing
/// for ops that don't fold (call, tuple, ...).
std::optional<Scalar> foldOp(const ir::Op &O,
                             llvm::ArrayRef<const ir::Op *> Args);

} // namespace nnc::folding

#endif // NNC_LIB_TRANSFORMS_FOLD_H
