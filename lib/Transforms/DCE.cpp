//===- DCE.cpp - Dead code elimination ------------------------------------===//
//
// Algorithm: mark and compact. Every op is pure, so an op is needed exactly
// when the return depends on it. Operands always point backwards, so one
// backward sweep from the return marks everything it transitively uses: by
// the time an op is reached, every op that uses it has been seen. Parameters
// are always kept, used or not, because they are the function's signature
// (and a parameter's index must equal its position). The survivors are then
// compacted in order and their operands renumbered.
//
//===----------------------------------------------------------------------===//
#include "Compact.h"
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"

using namespace nnc;
using namespace nnc::ir;

bool nnc::eliminateDeadCode(Function &F) {
  size_t N = F.Ops.size();
  if (N == 0)
    return false;
  std::vector<bool> Live(N, false);
  for (size_t I = 0; I < N; ++I)
    if (F.Ops[I].Kind == OpKind::Param || F.Ops[I].Kind == OpKind::Return)
      Live[I] = true;
  for (size_t I = N; I-- > 0;) {
    if (!Live[I])
      continue;
    for (ValueId V : F.Ops[I].Operands)
      Live[V] = true;
  }

  bool Changed = false;
  for (size_t I = 0; I < N && !Changed; ++I)
    Changed = !Live[I];
  if (!Changed)
    return false;

  compactOps(F, Live);
  return true;
}
