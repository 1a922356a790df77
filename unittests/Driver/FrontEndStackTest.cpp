//===- FrontEndStackTest.cpp - The pipeline on a default 8 MiB stack ------===//
//
// A library user (an embedding, a test, the fuzzer) calls the pipeline on
// whatever thread it has, typically with an 8 MiB stack. The deepest inputs
// the limits allow — 20,000 nested expressions of each kind the front end
// recurses on — must go through parsing, Sema, lowering, AD, the passes
// and every printer there without a stack overflow: the stages continue on
// fresh stacks when theirs runs low (nnc/Support/Stack.h), and ANTLR's
// parser runs where its limit's worth of stack is free. Before that, each
// of these crashed here (fuzz/crashers/stack-*).
//
//===----------------------------------------------------------------------===//

#include "nnc/AD/AD.h"
#include "nnc/AST/AST.h"
#include "nnc/IR/IR.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Support/Stack.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Support/thread.h"
#include "gtest/gtest.h"

#include <functional>
#include <string>

using namespace nnc;

namespace {

constexpr unsigned DefaultStack = 8u << 20;
/// One below the parser's expression depth limit.
constexpr unsigned Deep = 19990;

/// Runs the whole middle end on \p Source, on a thread with an 8 MiB
/// stack; returns the diagnostics (empty on success) and the printed
/// outputs' total size in \p Printed.
std::string compileDeep(const std::string &Source, size_t &Printed) {
  std::string Errors;
  llvm::thread T(std::optional<unsigned>(DefaultStack), [&] {
    llvm::SourceMgr SM;
    unsigned ID = SM.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(Source, "deep.nn"), llvm::SMLoc());
    llvm::raw_string_ostream ErrOS(Errors);
    DiagnosticEngine Diags(SM, ErrOS);
    std::unique_ptr<ast::Module> AST = parseModule(ID, Diags);
    if (!AST || Diags.hasErrors())
      return;
    std::string Text;
    llvm::raw_string_ostream OS(Text);
    ast::printModule(*AST, OS);
    if (!checkModule(*AST, Diags))
      return;
    std::unique_ptr<ir::Module> IR = lowerModule(*AST);
    if (llvm::Error E = differentiateModule(*IR)) {
      ErrOS << llvm::toString(std::move(E));
      return;
    }
    if (llvm::Error E = runPipeline(*IR, getDefaultPipeline(), {})) {
      ErrOS << llvm::toString(std::move(E));
      return;
    }
    ir::printModule(*IR, OS);
    ir::printModuleAsNN(*IR, OS);
    Printed = Text.size();
    // The trees are destroyed here, on this thread, as deep as they are.
  });
  T.join();
  return Errors;
}

std::string repeat(llvm::StringRef S, unsigned N) {
  std::string R;
  R.reserve(S.size() * N);
  for (unsigned I = 0; I < N; ++I)
    R += S;
  return R;
}

TEST(FrontEndStack, BinaryChain) {
  // x+x+...: a left-deep tree of Deep levels (stack-sema-binary-chain.nn).
  size_t Printed = 0;
  std::string Src = "fn f(x) = x" + repeat("+x", Deep) + ";\nfn df = grad(f);\n";
  EXPECT_EQ(compileDeep(Src, Printed), "");
  EXPECT_GT(Printed, 2 * Deep);
}

TEST(FrontEndStack, UnaryChain) {
  // - - ... x: ANTLR recurses on every prefix operator
  // (stack-sema-unary-chain.nn).
  size_t Printed = 0;
  std::string Src =
      "fn f(x) = " + repeat("- ", Deep) + "x;\nfn df = grad(f);\n";
  EXPECT_EQ(compileDeep(Src, Printed), "");
  EXPECT_GT(Printed, Deep);
}

TEST(FrontEndStack, PowerChain) {
  // x ^ x ^ ...: right-associative, recursive in the parser too.
  size_t Printed = 0;
  std::string Src = "fn f(x) = x" + repeat(" ^ x", Deep) + ";\n";
  EXPECT_EQ(compileDeep(Src, Printed), "");
  EXPECT_GT(Printed, Deep);
}

TEST(FrontEndStack, ElseIfChain) {
  size_t Printed = 0;
  std::string Src = "fn f(x) = if x < 0 { 0 }" +
                    repeat(" else if x < 1 { x }", Deep / 2) + " else { 1 };\n";
  EXPECT_EQ(compileDeep(Src, Printed), "");
  EXPECT_GT(Printed, Deep);
}

TEST(FrontEndStack, PastTheLimitIsAnError) {
  size_t Printed = 0;
  std::string Src = "fn f(x) = " + repeat("- ", 20001) + "x;\n";
  EXPECT_NE(compileDeep(Src, Printed).find("error:"), std::string::npos);
}

TEST(FrontEndStack, ContinuesOnANewStack) {
  // The mechanism itself: a recursion far deeper than 8 MiB allows.
  std::function<unsigned(unsigned)> Depth = [&](unsigned N) -> unsigned {
    if (isStackNearlyExhausted())
      return continueOnNewStack([&] { return Depth(N); });
    volatile char Frame[4096];
    Frame[0] = static_cast<char>(N);
    return N == 0 ? Frame[0] : 1 + Depth(N - 1);
  };
  unsigned Result = 0;
  llvm::thread T(std::optional<unsigned>(DefaultStack),
                 [&] { Result = Depth(20000); }); // 80 MB of frames
  T.join();
  EXPECT_EQ(Result, 20000u);
}

TEST(FrontEndStack, AmpleStackIsNotExhausted) {
  // Measured at the machine stack, not at a local's address, which
  // AddressSanitizer may put on its heap "fake stack": a wrong answer here
  // starts a thread at every check.
  volatile char Frame[4096];
  Frame[0] = 1;
  EXPECT_FALSE(isStackNearlyExhausted());
  bool InThread = true;
  llvm::thread T(std::optional<unsigned>(DefaultStack),
                 [&] { InThread = isStackNearlyExhausted(); });
  T.join();
  EXPECT_FALSE(InThread);
  EXPECT_EQ(Frame[0], 1);
}

} // namespace
