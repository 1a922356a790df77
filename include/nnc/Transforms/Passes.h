//===- Passes.h - IR-to-IR optimization passes ------------------*- C++ -*-===//
//
// Each pass is one free function over a function or a module, documented
// where it is defined. The registry lets `nnc --passes=a,b` run any of them
// alone, as LLVM's opt does.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_TRANSFORMS_PASSES_H
#define NNC_TRANSFORMS_PASSES_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <string>
#include <vector>

namespace nnc {

/// Folds constants and applies algebraic identities that are exact in IEEE
/// arithmetic. Returns true if it changed \p F.
bool simplify(ir::Function &F);
/// Replaces each op that repeats an earlier identical op by that op.
bool eliminateCommonSubexpressions(ir::Function &F);
/// Removes ops whose values the return does not depend on.
bool eliminateDeadCode(ir::Function &F);
/// Inlines every call to a function of \p M (callees first).
bool inlineCalls(ir::Module &M);

struct PassInfo {
  llvm::StringRef Name;
  llvm::StringRef Description;
  bool (*RunOnModule)(ir::Module &M);
};

/// Every registered pass, in a stable order.
llvm::ArrayRef<PassInfo> getPasses();
const PassInfo *lookupPass(llvm::StringRef Name);

/// The passes the default pipeline runs: inline, simplify, cse, dce, repeated
/// to a fixed point.
std::vector<std::string> getDefaultPipeline();

struct PipelineOptions {
  bool VerifyEach = true;
  /// Print the module after each pass to this stream when non-null.
  llvm::raw_ostream *PrintAfterEach = nullptr;
  /// Repeat the whole list until nothing changes (at most this many times).
  unsigned MaxIterations = 1;
};

/// Runs \p Passes (names from the registry) over \p M. Fails on an unknown
/// pass name or when the verifier finds a broken invariant after a pass.
llvm::Error runPipeline(ir::Module &M, llvm::ArrayRef<std::string> Passes,
                        const PipelineOptions &Opts = {});

} // namespace nnc

#endif // NNC_TRANSFORMS_PASSES_H
