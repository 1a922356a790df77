//===- check.cpp - Fuzz target: parsing, Sema and lowering ----------------===//
//
// Bytes as a .nn file -> parseModule -> checkModule (also after syntax
// errors: Sema must cope with what the parser recovered) -> lowerModule
// -> ir::verifyModule. A module Sema accepts must lower to valid IR.
//
//===----------------------------------------------------------------------===//
#include "../FuzzCommon.h"
#include "nnc/AST/AST.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/Diagnostics.h"

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::SourceMgr SM;
  unsigned ID = fuzz::addSource(SM, Data, Size, "f.nn");
  DiagnosticEngine Diags(SM, llvm::nulls());
  std::unique_ptr<ast::Module> AST = parseModule(ID, Diags);
  if (!AST || Diags.isSaturated())
    return 0;
  bool ParseErrors = Diags.hasErrors();
  if (!checkModule(*AST, Diags) || Diags.hasErrors() || ParseErrors)
    return 0;
  std::unique_ptr<ir::Module> IR = lowerModule(*AST);
  if (!IR)
    fuzz::internalError("lowerModule", "returned no module");
  fuzz::verify(*IR, "lowerModule (ir::verifyModule)");
  return 0;
}
