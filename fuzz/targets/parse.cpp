//===- parse.cpp - Fuzz target: the parser alone --------------------------===//
//
// Bytes as a .nn file -> parseModule -> ast::printModule. The lexer pass,
// ANTLR's parser and error recovery, the AST builder and the depth limits,
// at the speed of the parser alone.
//
//===----------------------------------------------------------------------===//
#include "../FuzzCommon.h"
#include "nnc/AST/AST.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Support/Diagnostics.h"

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::SourceMgr SM;
  unsigned ID = fuzz::addSource(SM, Data, Size, "f.nn");
  DiagnosticEngine Diags(SM, llvm::nulls());
  std::unique_ptr<ast::Module> AST = parseModule(ID, Diags);
  if (!AST)
    fuzz::internalError("parseModule", "returned no module");
  ast::printModule(*AST, llvm::nulls());
  return 0;
}
