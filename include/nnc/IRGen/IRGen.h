//===- IRGen.h - Lowering a checked AST to IR -------------------*- C++ -*-===//
#ifndef NNC_IRGEN_IRGEN_H
#define NNC_IRGEN_IRGEN_H

#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"
#include <memory>

namespace nnc {

/// Lowers a module that passed Sema. Every user function becomes an IR
/// function (its backward rule another, named `<f>.backward`); every
/// transform becomes a DerivedDecl for the AD stage, named after its
/// `fn NAME = ...` declaration or, when written inline, `__grad_f` and the
/// like (internal to the module).
std::unique_ptr<ir::Module> lowerModule(const ast::Module &M);

} // namespace nnc

#endif // NNC_IRGEN_IRGEN_H
