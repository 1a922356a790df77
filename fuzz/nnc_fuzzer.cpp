//===- nnc_fuzzer.cpp - libFuzzer target for nnc's front and middle end ---===//
//
// Takes the fuzzer's bytes as a .nn source file and runs it through the
// stages the driver chains (tools/nnc/nnc.cpp):
//
//   parseModule -> checkModule -> lowerModule -> ir::verifyModule
//     -> differentiateModule -> runPipeline(default) -> ir::verifyModule
//     -> ir::printModule, ir::printModuleAsNN           (into llvm::nulls())
//
// and then checks one property: the .nn that printModuleAsNN emits for a
// valid module parses and checks again without errors (unless the output
// says it is "not expressible in .nn").
//
// User errors are expected and ignored: every diagnostic goes to
// llvm::nulls(). Everything that the design calls an internal error is
// turned into __builtin_trap() so that libFuzzer reports it:
//   * an llvm::Error from differentiateModule or runPipeline,
//   * a non-empty ir::verifyModule after lowering or after the pipeline,
//   * emitted .nn that does not compile again,
//   * (codegen mode) an llvm::Error from emitLLVMModule, which verifies
//     the LLVM module it builds.
// Crashes, assertion failures (the fuzz build keeps assert() enabled),
// ASan and UBSan reports are caught by the fuzzer itself.
//
// Before trapping, the target prints what went wrong to stderr, so a crash
// report says which check failed.
//
// Environment:
//   NNC_FUZZ_CODEGEN=1   also lower each valid optimized module to LLVM IR
//                        with emitLLVMModule (x86-64, -O2 target machine).
//
//===----------------------------------------------------------------------===//
#include "nnc/AD/AD.h"
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/IR/IR.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

using namespace nnc;

namespace {

bool CodeGenMode = false;
std::unique_ptr<llvm::TargetMachine> TM;
CodeGenOptions CGO;

[[noreturn]] void internalError(llvm::StringRef Stage, llvm::StringRef What,
                                llvm::StringRef Source = {}) {
  llvm::errs() << "nnc_fuzzer: internal error in " << Stage << ": " << What
               << '\n';
  if (!Source.empty())
    llvm::errs() << "---- emitted .nn ----\n" << Source
                 << "---- end of emitted .nn ----\n";
  llvm::errs().flush();
  __builtin_trap();
}

void check(llvm::Error E, llvm::StringRef Stage) {
  if (E)
    internalError(Stage, llvm::toString(std::move(E)));
}

void verify(const ir::Module &M, llvm::StringRef Stage) {
  std::string Err = ir::verifyModule(M);
  if (!Err.empty())
    internalError(Stage, Err);
}

/// Parses and checks \p Text as a .nn file; returns true when both succeed.
/// The diagnostics go to \p DiagOS.
bool frontEndAccepts(llvm::StringRef Text, llvm::StringRef Name,
                     llvm::raw_ostream &DiagOS) {
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, Name), llvm::SMLoc());
  DiagnosticEngine Diags(SM, DiagOS);
  std::unique_ptr<ast::Module> AST = parseModule(ID, Diags);
  if (Diags.hasErrors() || !AST)
    return false;
  return checkModule(*AST, Diags) && !Diags.hasErrors();
}

/// The emitted .nn of a valid module must compile again.
void checkRoundTrip(const ir::Module &M) {
  std::string NN;
  {
    llvm::raw_string_ostream OS(NN);
    ir::printModuleAsNN(M, OS);
  }
  if (llvm::StringRef(NN).contains("not expressible in .nn"))
    return;
  if (frontEndAccepts(NN, "emitted.nn", llvm::nulls()))
    return;
  // Say why, then trap.
  std::string Diag;
  {
    llvm::raw_string_ostream OS(Diag);
    frontEndAccepts(NN, "emitted.nn", OS);
  }
  internalError("printModuleAsNN round trip",
                "emitted .nn does not compile again:\n" + Diag, NN);
}

void runOne(llvm::StringRef Input) {
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Input, "fuzz.nn"), llvm::SMLoc());
  DiagnosticEngine Diags(SM, llvm::nulls());

  std::unique_ptr<ast::Module> AST = parseModule(ID, Diags);
  if (!AST)
    return;
  ast::printModule(*AST, llvm::nulls());
  if (Diags.hasErrors()) {
    // Parser.h: "the returned module holds every declaration that parsed,
    // so later stages can still check them". The driver stops here, but
    // Sema must still cope with what the parser recovered.
    if (!Diags.isSaturated())
      checkModule(*AST, Diags);
    return;
  }
  if (!checkModule(*AST, Diags) || Diags.hasErrors())
    return;

  std::unique_ptr<ir::Module> IR = lowerModule(*AST);
  if (!IR)
    internalError("lowerModule", "returned no module");
  verify(*IR, "lowerModule (ir::verifyModule)");
  ir::printModule(*IR, llvm::nulls());

  check(differentiateModule(*IR), "differentiateModule");

  PipelineOptions PO;
  PO.MaxIterations = 4; // as the driver
  check(runPipeline(*IR, getDefaultPipeline(), PO), "runPipeline");
  verify(*IR, "runPipeline (ir::verifyModule)");

  ir::printModule(*IR, llvm::nulls());
  ir::printModuleAsNN(*IR, llvm::nulls());

  checkRoundTrip(*IR);

  if (CodeGenMode) {
    llvm::LLVMContext Ctx;
    auto LM = emitLLVMModule(*IR, Ctx, *TM, CGO);
    if (!LM)
      internalError("emitLLVMModule", llvm::toString(LM.takeError()));
  }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *Argc, char ***Argv) {
  const char *Env = std::getenv("NNC_FUZZ_CODEGEN");
  CodeGenMode = Env && *Env && std::strcmp(Env, "0") != 0;
  if (CodeGenMode) {
    CGO.TargetTriple = "x86_64-unknown-linux-gnu";
    auto T = createTargetMachine(CGO);
    if (!T) {
      llvm::errs() << "nnc_fuzzer: " << llvm::toString(T.takeError()) << '\n';
      std::abort();
    }
    TM = std::move(*T);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  runOne(llvm::StringRef(reinterpret_cast<const char *>(Data), Size));
  return 0;
}
