//===- Workspace.cpp - Where the tensors of a function live ---------------===//
#include "Workspace.h"
#include "ScalarOps.h"

#include <functional>

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

/// The parameter a train step's result leaf \p Leaf (1 and up) is written
/// back over: the fields of the parameter struct, then of the state struct.
static ValueId updatedInput(const ir::Function &F, unsigned Leaf) {
  return F.getUpdatedParam(Leaf);
}

/// Whether \p I is computed by an element-wise loop (with the ops fused
/// into it) that reads \p Old, or any alias of it, only at the element it
/// writes: directly, never through a view such as a broadcast.
static bool isElementwiseLoop(const ir::Function &F, const FusionPlan &Fusion,
                              ValueId I, ValueId Old) {
  if (!ir::isElementwise(F.op(I).Kind))
    return false;
  auto Reaches = [&](ValueId V) {
    // V is Old, or an alias of it (a reshape).
    while (true) {
      if (V == Old)
        return true;
      const ir::Op &O = F.op(V);
      if (O.Kind != OpKind::Reshape)
        return false;
      V = O.Operands[0];
    }
  };
  bool Ok = true;
  std::function<void(ValueId)> Walk = [&](ValueId X) {
    for (ValueId V : F.op(X).Operands) {
      if (Fusion.Fused[V])
        Walk(V);
      else if (Fusion.View[V] && Reaches(F.op(V).Operands[0]))
        Ok = false;
    }
  };
  Walk(I);
  return Ok;
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
  // The last op reading each value's memory, directly or through aliases;
  // walking backwards sees an alias's last use before its operand's.
  std::vector<size_t> LastUse(N, 0);
  for (size_t I = 0; I < N; ++I)
    for (ValueId V : F.Ops[I].Operands)
      LastUse[V] = std::max(LastUse[V], I);
  // A fused op's operands are read by the loop that computes it.
  for (size_t I = N; I-- > 0;)
    if (aliasesOperands(F, F.Ops[I]) || Fusion.View[I] || Fusion.Fused[I])
      for (ValueId V : F.Ops[I].Operands)
        LastUse[V] = std::max(
            LastUse[V], Fusion.Fused[I] ? size_t(Fusion.Loop[I]) : LastUse[I]);

  // The last op that can fail at run time (a label, or a slice's start,
  // out of range): the structs must still hold their old values when it
  // does (docs/abi.md).
  size_t LastCheck = 0;
  for (size_t I = 0; I < N; ++I)
    if (F.Ops[I].Kind == OpKind::OneHot || F.Ops[I].Kind == OpKind::Pick ||
        F.Ops[I].Kind == OpKind::Slice || F.Ops[I].Kind == OpKind::Unslice)
      LastCheck = I;

  for (unsigned J = 0; J < Leaves.size(); ++J) {
    if (!Leaves[J] || Uses[*Leaves[J]] != 1 ||
        !ownsStorage(F.op(*Leaves[J])))
      continue;
    ValueId I = *Leaves[J];
    // The loop that computes it: its own, or its user's (FusionPlan.h).
    ValueId At = Fusion.Loop[I];
    // A leaf written back into an input struct (a train step's new
    // parameters and optimizer state) is computed straight into its field
    // when nothing reads the old value after it: its op is an element-wise
    // loop, every element of which reads only the same element of the old
    // value, and is the old value's last reader. Otherwise it is computed
    // in the workspace and copied by the epilogue, since computing it in
    // place would overwrite what a later op still reads.
    // It must also come after the last label check, so that a bad label
    // leaves the structs untouched.
    if (F.isUpdatedInPlace(J) &&
        !(isElementwiseLoop(F, Fusion, At, updatedInput(F, J)) &&
          LastUse[updatedInput(F, J)] <= At && LastCheck < At))
      continue;
    P.ResultLeaf[I] = J;
  }

  std::vector<std::vector<ValueId>> Holders; // values assigned to each slot
  std::vector<bool> Free;
  for (size_t I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    if (!ownsStorage(O) || Fusion.View[I] ||
        (Fusion.Fused[I] && !Fusion.Stored[I]) || P.ResultLeaf[I] >= 0)
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
