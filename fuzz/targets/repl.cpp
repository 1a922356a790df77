//===- repl.cpp - Fuzz target: sequences of REPL inputs -------------------===//
//
// Bytes as lines of a REPL session -> one jit::Repl, each complete input
// evaluated in turn (declarations, expressions run through ORC, and
// :commands other than those that touch files). After every input the
// session must be as it was or as the input changed it: a failed input
// whose outcome, applied, changed the session's names is an internal
// error. Evaluations may
// allocate at most 64 MiB for their tensors (ReplOptions::MaxEvalBytes).
//
//===----------------------------------------------------------------------===//
#include "../FuzzCommon.h"
#include "nnc/JIT/InputScanner.h"
#include "nnc/JIT/Repl.h"

using namespace nnc;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *Data, size_t Size) {
  jit::ReplOptions Opts;
  Opts.MaxEvalBytes = uint64_t(64) << 20;
  Opts.TimeBudget = 0.001;
  jit::Repl R(llvm::nulls(), llvm::nulls(), Opts);
  llvm::StringRef Text = fuzz::asText(Data, Size);
  std::string Pending;
  unsigned Line = 0, Start = 1, Inputs = 0;
  while (!Text.empty() && Inputs < 16) {
    auto [L, Rest] = Text.split('\n');
    Text = Rest;
    ++Line;
    if (Pending.empty())
      Start = Line;
    Pending += L.str();
    if (!jit::isInputComplete(Pending) && !Text.empty()) {
      Pending += '\n';
      continue;
    }
    std::string In = std::move(Pending);
    Pending.clear();
    llvm::StringRef Trimmed = llvm::StringRef(In).trim();
    // Commands that read files, or quit, are not the session's logic.
    if (Trimmed.starts_with(":load") || Trimmed.starts_with(":quit") ||
        Trimmed.starts_with(":q"))
      continue;
    ++Inputs;
    std::vector<std::string> Before = R.getSession().getNames();
    jit::Outcome O = R.evaluate({In, "<fuzz>", Start});
    R.apply(O);
    if (!O.Ok && R.getSession().getNames() != Before)
      fuzz::internalError("Repl::evaluate",
                          "a failed input changed the session", In);
  }
  return 0;
}
