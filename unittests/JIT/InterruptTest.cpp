//===- InterruptTest.cpp - Ctrl-C skips LLVM's optional passes ------------===//
//
// The REPL's pass gate (nnc/JIT/Interrupt.h): once Ctrl-C came, a module
// compiled in a context with the gate gets no more optional passes, so an
// in-process compilation ends early; without Ctrl-C every pass runs.
// Checked on what the passes leave, not on time: an alloca that mem2reg
// would promote stays.
//
//===----------------------------------------------------------------------===//
#include "nnc/CodeGen/CodeGen.h"
#include "nnc/JIT/Interrupt.h"
#include "llvm/AsmParser/Parser.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/TargetSelect.h"
#include "gtest/gtest.h"

using namespace nnc;

namespace {

const char *Source = R"(
define i64 @f(i64 %x) {
  %slot = alloca i64
  store i64 %x, ptr %slot
  %v = load i64, ptr %slot
  %r = add i64 %v, 1
  ret i64 %r
}
)";

/// Optimizes Source at -O2 in a context gated by Ctrl-C; returns how many
/// allocas are left in @f.
unsigned allocasAfterOptimizing() {
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::LLVMContext Ctx;
  Ctx.setOptPassGate(jit::getInterruptGate());
  llvm::SMDiagnostic Err;
  std::unique_ptr<llvm::Module> M = llvm::parseAssemblyString(Source, Err, Ctx);
  EXPECT_TRUE(M);
  if (!M)
    return ~0u;
  CodeGenOptions Opts;
  Opts.CPU = "generic";
  auto TM = createTargetMachine(Opts);
  EXPECT_TRUE(!!TM);
  if (!TM) {
    llvm::consumeError(TM.takeError());
    return ~0u;
  }
  M->setDataLayout((*TM)->createDataLayout());
  optimizeLLVMModule(*M, **TM, 2);
  unsigned N = 0;
  for (llvm::Instruction &I : M->getFunction("f")->getEntryBlock())
    N += llvm::isa<llvm::AllocaInst>(I);
  return N;
}

TEST(Interrupt, PassesRunWithoutCtrlC) {
  jit::clearInterrupt();
  EXPECT_EQ(allocasAfterOptimizing(), 0u);
}

TEST(Interrupt, CtrlCSkipsOptionalPasses) {
  jit::handleInterrupt(); // as the SIGINT handler does
  unsigned Left = allocasAfterOptimizing();
  jit::clearInterrupt();
  EXPECT_EQ(Left, 1u);
}

} // namespace
