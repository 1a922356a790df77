//===- Workspace.cpp - Where the tensors of a function live ---------------===//
#include "Workspace.h"
#include "ScalarOps.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

bool codegen::ownsStorage(const ir::Op &O) {
  if (!O.Ty.isTensor())
    return false;
  switch (O.Kind) {
  case OpKind::Param:
  case OpKind::Const:
  case OpKind::Reshape:
  case OpKind::Extract:
  case OpKind::Tuple:
  case OpKind::Call:
  case OpKind::Return:
    return false;
  default:
    return true;
  }
}

/// Ops whose result is (or contains) the memory of their operands.
static bool aliasesOperands(const ir::Function &F, const ir::Op &O) {
  switch (O.Kind) {
  case OpKind::Reshape:
  case OpKind::Extract:
  case OpKind::Tuple:
    return true;
  case OpKind::Select:
    // A tuple select picks pointers; an element-wise one computes.
    return O.Ty.isTuple();
  default:
    return false;
  }
}

/// Appends the value behind each result leaf of \p V (or none when it is
/// not known at compile time, e.g. a leaf of a tuple select).
static void traceLeaves(const ir::Function &F, ValueId V,
                        std::vector<std::optional<ValueId>> &Out) {
  const ir::Op &O = F.op(V);
  if (O.Kind == OpKind::Tuple) {
    for (ValueId E : O.Operands)
      traceLeaves(F, E, Out);
    return;
  }
  if (O.Ty.isLeaf()) {
    Out.push_back(V);
    return;
  }
  // A tuple from an extract or select: its leaves are not single values.
  unsigned N = 0;
  std::vector<ir::Type> Pending{O.Ty};
  while (!Pending.empty()) {
    ir::Type T = Pending.back();
    Pending.pop_back();
    if (T.isLeaf())
      ++N;
    else
      for (const ir::Type &E : T.getElements())
        Pending.push_back(E);
  }
  Out.insert(Out.end(), N, std::nullopt);
}

WorkspacePlan codegen::planWorkspace(const ir::Function &F,
                                     const FusionPlan &Fusion) {
  size_t N = F.Ops.size();
  WorkspacePlan P;
  P.Slot.assign(N, -1);
  P.ResultLeaf.assign(N, -1);

  std::vector<std::optional<ValueId>> Leaves;
  traceLeaves(F, F.getReturnedValue(), Leaves);
  std::vector<unsigned> Uses(N, 0);
  for (const std::optional<ValueId> &L : Leaves)
    if (L)
      ++Uses[*L];
  // A leaf written back into an input struct (a train step's new
  // parameters) is computed in the workspace and copied by the epilogue:
  // computed in place, it would overwrite a parameter that a later op of
  // the backward sweep or of the update still reads.
  for (unsigned J = 0; J < Leaves.size(); ++J)
    if (Leaves[J] && Uses[*Leaves[J]] == 1 && ownsStorage(F.op(*Leaves[J])) &&
        !F.isUpdatedInPlace(J))
      P.ResultLeaf[*Leaves[J]] = J;

  // The last op reading each value's memory, directly or through aliases;
  // walking backwards sees an alias's last use before its operand's.
  std::vector<size_t> LastUse(N, 0);
  for (size_t I = 0; I < N; ++I)
    for (ValueId V : F.Ops[I].Operands)
      LastUse[V] = std::max(LastUse[V], I);
  for (size_t I = N; I-- > 0;)
    if (aliasesOperands(F, F.Ops[I]) || Fusion.View[I] || Fusion.Fused[I])
      for (ValueId V : F.Ops[I].Operands)
        LastUse[V] = std::max(LastUse[V], LastUse[I]);

  std::vector<std::vector<ValueId>> Holders; // values assigned to each slot
  std::vector<bool> Free;
  for (size_t I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    if (!ownsStorage(O) || Fusion.View[I] || Fusion.Fused[I] ||
        P.ResultLeaf[I] >= 0)
      continue;
    // A slot is free when the last reader of its value came before this
    // op; the op's own operands are read by it, so they stay.
    for (size_t S = 0; S < Holders.size(); ++S)
      if (!Free[S] && LastUse[Holders[S].back()] < I)
        Free[S] = true;
    ir::Dim Bytes = getByteSize(O.Ty.getElementKind(), O.Ty.getShape());
    int Chosen = -1;
    for (size_t S = 0; S < Holders.size() && Chosen < 0; ++S)
      if (Free[S] && P.SlotBytes[S] == Bytes)
        Chosen = S;
    if (Chosen < 0) {
      Chosen = Holders.size();
      Holders.emplace_back();
      Free.push_back(false);
      P.SlotBytes.push_back(Bytes);
    }
    Holders[Chosen].push_back(I);
    Free[Chosen] = false;
    P.Slot[I] = Chosen;
  }
  return P;
}
