//===- PassRegistry.cpp - Named passes and the pipeline driver ------------===//
//
// Every pass is registered as a module pass, so `--passes=a,b` can name any
// of them; function passes are wrapped to run over every function. The
// driver repeats the whole list until a round changes nothing (or the
// iteration bound is hit), because the passes feed each other: inlining
// exposes constants to simplify, simplify creates duplicates for CSE and
// dead ops for DCE, and CSE makes operands equal, which simplify's
// select(c, a, a) and x - x rules need. Names are checked before any pass
// runs, so a typo never leaves the module half-transformed.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"

using namespace nnc;
using namespace nnc::ir;

template <bool (*Pass)(Function &)> static bool runOnEachFunction(Module &M) {
  bool Changed = false;
  for (auto &F : M.Functions)
    Changed |= Pass(*F);
  return Changed;
}

static const PassInfo Passes[] = {
    {"inline", "inline every call to a function of the module, callees first",
     inlineCalls},
    {"simplify",
     "fold constants and apply algebraic identities exact in IEEE arithmetic",
     runOnEachFunction<simplify>},
    {"cse", "merge ops that compute the same value as an earlier op",
     runOnEachFunction<eliminateCommonSubexpressions>},
    {"dce", "remove ops the returned value does not depend on",
     runOnEachFunction<eliminateDeadCode>},
};

llvm::ArrayRef<PassInfo> nnc::getPasses() { return Passes; }

const PassInfo *nnc::lookupPass(llvm::StringRef Name) {
  for (const PassInfo &P : Passes)
    if (P.Name == Name)
      return &P;
  return nullptr;
}

std::vector<std::string> nnc::getDefaultPipeline() {
  return {"inline", "simplify", "cse", "dce"};
}

llvm::Error nnc::runPipeline(Module &M, llvm::ArrayRef<std::string> Names,
                             const PipelineOptions &Opts) {
  std::vector<const PassInfo *> Pipeline;
  for (const std::string &Name : Names) {
    const PassInfo *P = lookupPass(Name);
    if (!P)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "unknown pass '%s'", Name.c_str());
    Pipeline.push_back(P);
  }

  // MaxIterations == 0 is taken as 1: a requested pipeline always runs.
  unsigned Rounds = Opts.MaxIterations ? Opts.MaxIterations : 1;
  for (unsigned Round = 0; Round < Rounds; ++Round) {
    bool Changed = false;
    for (const PassInfo *P : Pipeline) {
      Changed |= P->RunOnModule(M);
      if (Opts.VerifyEach) {
        std::string Err = verifyModule(M);
        if (!Err.empty())
          return llvm::createStringError(
              llvm::inconvertibleErrorCode(),
              "internal error: IR verification failed after pass '%s': %s",
              P->Name.str().c_str(), Err.c_str());
      }
      if (Opts.PrintAfterEach) {
        *Opts.PrintAfterEach << "; *** IR after " << P->Name << " ***\n";
        printModule(M, *Opts.PrintAfterEach);
      }
    }
    if (!Changed)
      break;
  }
  return llvm::Error::success();
}
