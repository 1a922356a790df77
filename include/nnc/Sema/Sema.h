//===- Sema.h - Names, types and the rules of the language ------*- C++ -*-===//
//
// Sema resolves every name of a parsed module, computes the type of every
// expression, makes implicit conversions explicit in the tree, and checks
// what grad, value_and_grad and vjp may be applied to. Lowering relies on a
// module that passed these checks.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SEMA_SEMA_H
#define NNC_SEMA_SEMA_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"

namespace nnc {

/// Checks \p M, reporting every independent error. Returns true when the
/// module is well-formed and may be lowered.
bool checkModule(ast::Module &M, DiagnosticEngine &Diags);

} // namespace nnc

#endif // NNC_SEMA_SEMA_H
