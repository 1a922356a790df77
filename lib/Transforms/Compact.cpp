//===- Compact.cpp - Removing ops from a function -------------------------===//
//
// See Compact.h: DCE's and CSE's shared last step.
//
//===----------------------------------------------------------------------===//
#include "Compact.h"
#include <cassert>

using namespace nnc;
using namespace nnc::ir;

void nnc::compactOps(Function &F, const std::vector<bool> &Keep) {
  assert(Keep.size() == F.Ops.size() && "one mark per op");
  std::vector<ValueId> NewId(F.Ops.size());
  std::vector<Op> NewOps;
  NewOps.reserve(F.Ops.size());
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    if (!Keep[I])
      continue;
    Op &O = F.Ops[I];
    for (ValueId &V : O.Operands) {
      assert(Keep[V] && "an operand that is removed");
      V = NewId[V];
    }
    NewId[I] = static_cast<ValueId>(NewOps.size());
    NewOps.push_back(std::move(O));
  }
  F.Ops = std::move(NewOps);
}
