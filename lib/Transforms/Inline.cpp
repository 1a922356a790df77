//===- Inline.cpp - Inlining of calls to module functions -----------------===//
//
// Algorithm: every call to a Function of the module is replaced by a copy of
// the callee's body (ir::inlineCallsInto). Functions are processed callees
// first (a post-order walk of the call graph), so a callee has no inlinable
// calls left when it is copied and one copy per call site is enough.
//
// Calls that stay:
//   - to names that are not Functions (DerivedDecls not yet materialized by
//     AD);
//   - to a function on a call-graph cycle. The front end rejects recursion,
//     but inlining a cycle would never terminate, so we check;
//   - to a function with a user-written backward rule while the module still
//     has DerivedDecls: AD differentiates such a call with that rule, and
//     inlining the body first would replace it by the automatic derivative;
//   - with an argument count that does not match the callee (the verifier
//     reports it; inlining would read out of bounds).
// The callee's op name hints are kept; the call's own hint goes to the
// inlined result when that has none. Internal functions left without a
// caller are removed afterwards.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include <algorithm>

using namespace nnc;
using namespace nnc::ir;

namespace {

class Inliner {
public:
  explicit Inliner(Module &M) : M(M) {}
  bool run();

private:
  Module &M;
  llvm::StringMap<unsigned> Index;
  /// Callees (function indices) of each function, in op order, no repeats.
  std::vector<std::vector<unsigned>> Callees;
  std::vector<bool> OnCycle;
  enum class State { NotSeen, InProgress, Done };
  std::vector<State> Visit;
  bool Changed = false;

  const Function *getInlinableCallee(const Op &Call) const;
  bool reaches(unsigned From, unsigned To) const;
  void process(unsigned FI);
  void inlineInto(Function &F);
  void removeDeadInternalFunctions();
};

} // namespace

bool Inliner::reaches(unsigned From, unsigned To) const {
  std::vector<bool> Seen(M.Functions.size(), false);
  std::vector<unsigned> Work(Callees[From].begin(), Callees[From].end());
  while (!Work.empty()) {
    unsigned G = Work.back();
    Work.pop_back();
    if (G == To)
      return true;
    if (Seen[G])
      continue;
    Seen[G] = true;
    Work.insert(Work.end(), Callees[G].begin(), Callees[G].end());
  }
  return false;
}

const Function *Inliner::getInlinableCallee(const Op &Call) const {
  if (Call.Kind != OpKind::Call)
    return nullptr;
  auto It = Index.find(Call.Callee);
  if (It == Index.end() || OnCycle[It->second])
    return nullptr;
  const Function &G = *M.Functions[It->second];
  if (!G.BackwardFn.empty() && !M.Derived.empty())
    return nullptr;
  if (G.getNumParams() != Call.Operands.size() || G.Ops.empty() ||
      G.Ops.back().Kind != OpKind::Return)
    return nullptr;
  return &G;
}

void Inliner::process(unsigned FI) {
  if (Visit[FI] != State::NotSeen)
    return;
  Visit[FI] = State::InProgress;
  // Functions on a cycle are never inlined, so following only edges to
  // inlinable callees cannot come back to FI; InProgress is a second guard.
  for (const Op &O : M.Functions[FI]->Ops)
    if (const Function *G = getInlinableCallee(O))
      process(Index.find(G->Name)->second);
  inlineInto(*M.Functions[FI]);
  Visit[FI] = State::Done;
}

void Inliner::inlineInto(Function &F) {
  Changed |= inlineCallsInto(
      F, [&](const Op &Call) { return getInlinableCallee(Call); });
}

bool Inliner::run() {
  size_t N = M.Functions.size();
  for (unsigned I = 0; I < N; ++I)
    Index.try_emplace(M.Functions[I]->Name, I);
  Callees.assign(N, {});
  for (unsigned I = 0; I < N; ++I)
    for (const Op &O : M.Functions[I]->Ops) {
      if (O.Kind != OpKind::Call)
        continue;
      auto It = Index.find(O.Callee);
      if (It == Index.end())
        continue;
      std::vector<unsigned> &C = Callees[I];
      if (std::find(C.begin(), C.end(), It->second) == C.end())
        C.push_back(It->second);
    }
  OnCycle.assign(N, false);
  for (unsigned I = 0; I < N; ++I)
    OnCycle[I] = reaches(I, I);
  Visit.assign(N, State::NotSeen);
  for (unsigned I = 0; I < N; ++I)
    process(I);
  removeDeadInternalFunctions();
  return Changed;
}

void Inliner::removeDeadInternalFunctions() {
  // An internal function nobody calls any more (an inline `grad(f)` whose
  // every use was inlined) is dropped, as LLVM's inliner does; backward
  // rules stay while their function does, and so do functions pending
  // DerivedDecls will derive.
  for (bool Removed = true; Removed;) {
    Removed = false;
    llvm::StringSet<> Used;
    for (const auto &F : M.Functions) {
      if (!F->BackwardFn.empty())
        Used.insert(F->BackwardFn);
      for (const Op &O : F->Ops)
        if (O.Kind == OpKind::Call)
          Used.insert(O.Callee);
    }
    for (const DerivedDecl &D : M.Derived)
      Used.insert(D.Of);
    auto Dead = [&](const std::unique_ptr<Function> &F) {
      return !F->Exported && !Used.contains(F->Name);
    };
    auto It = std::remove_if(M.Functions.begin(), M.Functions.end(), Dead);
    if (It != M.Functions.end()) {
      M.Functions.erase(It, M.Functions.end());
      Removed = Changed = true;
    }
  }
}

bool nnc::inlineCalls(Module &M) { return Inliner(M).run(); }
