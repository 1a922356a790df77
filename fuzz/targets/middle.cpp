//===- middle.cpp - Fuzz target: IR text through AD and the passes --------===//
//
// Bytes as IR text (.nnir) -> parseIRModule -> differentiateModule ->
// runPipeline(default) -> ir::verifyModule -> printers. The IR parser must
// accept only what the verifier accepts, and AD and every pass must keep
// valid IR valid: the middle end without the front end's filtering.
// With NNC_FUZZ_CODEGEN=1 (the codegen target) each valid optimized module
// is also lowered to LLVM IR, which emitLLVMModule verifies.
//
//===----------------------------------------------------------------------===//
#include "../FuzzCommon.h"
#include "nnc/AD/AD.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/IR/IRParser.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"

using namespace nnc;

#ifndef NNC_FUZZ_CODEGEN
#define NNC_FUZZ_CODEGEN 0
#endif

namespace {
std::unique_ptr<llvm::TargetMachine> TM;
CodeGenOptions CGO;
} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  if (!NNC_FUZZ_CODEGEN)
    return 0;
  CGO.TargetTriple = "x86_64-unknown-linux-gnu";
  auto T = createTargetMachine(CGO);
  if (!T)
    fuzz::internalError("createTargetMachine", llvm::toString(T.takeError()));
  TM = std::move(*T);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  llvm::SourceMgr SM;
  unsigned ID = fuzz::addSource(SM, Data, Size, "f.nnir");
  DiagnosticEngine Diags(SM, llvm::nulls());
  auto IR = parseIRModule(ID, Diags);
  if (!IR) {
    llvm::consumeError(IR.takeError()); // a user error, reported
    return 0;
  }
  fuzz::verify(**IR, "parseIRModule (ir::verifyModule)");
  fuzz::check(differentiateModule(**IR), "differentiateModule");
  fuzz::verify(**IR, "differentiateModule (ir::verifyModule)");
  PipelineOptions PO;
  PO.MaxIterations = 4; // as the driver
  fuzz::check(runPipeline(**IR, getDefaultPipeline(), PO), "runPipeline");
  fuzz::verify(**IR, "runPipeline (ir::verifyModule)");
  ir::printModule(**IR, llvm::nulls());
  ir::printModuleAsNN(**IR, llvm::nulls());
  if (NNC_FUZZ_CODEGEN) {
    llvm::LLVMContext Ctx;
    auto LM = emitLLVMModule(**IR, Ctx, *TM, CGO);
    if (!LM)
      fuzz::internalError("emitLLVMModule", llvm::toString(LM.takeError()));
  }
  return 0;
}
