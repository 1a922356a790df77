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

/// What the module will be compiled to, for the checks of exported names.
struct SemaOptions {
  /// The module's functions become symbols of an object file (the driver
  /// compiles to one): an exported name must not be one of the C library's
  /// functions that generated code calls, nor the workspace size function
  /// of another exported name. The REPL's JIT renames its symbols.
  bool ExportsSymbols = false;
  /// The module's functions are declared in a C header (--header).
  bool CHeader = false;
  /// Prepended to every exported symbol (--prefix).
  std::string SymbolPrefix;
};

/// Checks \p M, reporting every independent error. Returns true when the
/// module is well-formed and may be lowered.
bool checkModule(ast::Module &M, DiagnosticEngine &Diags,
                 const SemaOptions &Opts = {});

} // namespace nnc

#endif // NNC_SEMA_SEMA_H
