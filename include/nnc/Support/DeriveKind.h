//===- DeriveKind.h - The function transforms -------------------*- C++ -*-===//
//
// `grad`, `value_and_grad`, `vjp`, `train_step`: one enum for the AST
// (Sema's derived functions) and the IR (its derived declarations), so
// that IRGen passes the kind through and the spellings cannot disagree.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_DERIVEKIND_H
#define NNC_SUPPORT_DERIVEKIND_H

#include "llvm/ADT/StringRef.h"
#include <optional>

namespace nnc {

enum class DeriveKind { Grad, ValueAndGrad, Vjp, TrainStep };

/// The spelling in source and in the IR's text: `grad`, `value_and_grad`,
/// `vjp`, `train_step`.
llvm::StringRef getDeriveKindName(DeriveKind K);
std::optional<DeriveKind> lookupDeriveKind(llvm::StringRef Name);

} // namespace nnc

#endif
