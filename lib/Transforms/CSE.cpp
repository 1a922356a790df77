//===- CSE.cpp - Common subexpression elimination -------------------------===//
//
// Algorithm: one forward sweep. Every op of the IR is pure (a call too: nnc
// functions have no side effects), so an op equals an earlier op with the
// same kind, type, operands and attributes. Ops are visited in order; each
// op's operands are first renamed through the replacement map, so equal
// operands have equal ids by the time an op is keyed, and one sweep finds
// every redundancy (a value id is only compared after its own definition
// was deduplicated).
//
// The key is built from values, never from pointers, so the result does not
// depend on allocation order:
//   - a constant's float value compares bitwise: -0.0 and 0.0 differ, and a
//     NaN equals itself; so do the elements of a tensor constant;
//   - attributes are part of the key: the axis, the extracted index, the
//     random stream, the dimension a `dim` reads, the callee;
//   - commutative ops (Ops.def: add, mul, eq, ne, and, or) have their
//     operands sorted. max and min are not: max(a, b) is `a >= b ? a : b`, so ties
//     pick the first operand and a NaN the second, and max(a, b) and
//     max(b, a) can differ (max(+0.0, -0.0) vs max(-0.0, +0.0), or a NaN);
//     sub, div, pow and the order comparisons obviously are not.
// Parameters (the signature) and the return are never merged.
//
// The first op survives; it takes a later duplicate's name hint if it has
// none. The function is then rebuilt without the duplicates.
//
//===----------------------------------------------------------------------===//
#include "Compact.h"
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/ADT/StringMap.h"
#include <cstring>

using namespace nnc;
using namespace nnc::ir;

/// The op's attribute, whichever kind it is.
static void printAttrKey(const Op &O, llvm::raw_ostream &OS) {
  switch (getAttrKind(O.Kind)) {
  case AttrKind::None:
    return;
  case AttrKind::Index:
    OS << O.getIndex();
    return;
  case AttrKind::Axis:
    OS << O.getAxis();
    return;
  case AttrKind::Stream:
    OS << O.getStream();
    return;
  case AttrKind::Dim:
    O.getDim().print(OS);
    return;
  // Slicing and permutation (issue 12, tensorops).
  case AttrKind::Steps:
    for (int64_t S : O.getSteps())
      OS << S << ',';
    return;
  case AttrKind::Perm:
    for (unsigned P : O.getPerm())
      OS << P << ',';
    return;
  case AttrKind::Window: {
    const Window &W = O.getWindow();
    for (const std::array<unsigned, 2> *V : {&W.Kernel, &W.Stride, &W.Pad})
      OS << (*V)[0] << ',' << (*V)[1] << ',';
    return;
  }
  }
}

/// A byte string identifying the value \p O computes; \p O's operands are
/// already renamed.
static std::string makeKey(const Op &O) {
  std::string Key;
  llvm::raw_string_ostream OS(Key);
  OS << static_cast<int>(O.Kind) << '|';
  O.Ty.print(OS);
  OS << '|';
  llvm::SmallVector<ValueId, 3> Operands(O.Operands.begin(), O.Operands.end());
  if (isCommutative(O.Kind) && Operands.size() == 2 &&
      Operands[1] < Operands[0])
    std::swap(Operands[0], Operands[1]);
  for (ValueId V : Operands)
    OS << V << ',';
  uint64_t Bits;
  static_assert(sizeof(Bits) == sizeof(O.FloatValue));
  std::memcpy(&Bits, &O.FloatValue, sizeof(Bits));
  OS << '|' << Bits << '|' << O.IntValue << '|' << O.Callee << '|';
  printAttrKey(O, OS);
  OS << '|';
  for (double D : O.Data) {
    std::memcpy(&Bits, &D, sizeof(Bits));
    OS << Bits << ',';
  }
  return Key;
}

bool nnc::eliminateCommonSubexpressions(Function &F) {
  std::vector<ValueId> Map(F.Ops.size());
  std::vector<bool> Keep(F.Ops.size(), true);
  llvm::StringMap<ValueId> Seen;
  bool Changed = false;
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    Op &O = F.Ops[I];
    for (ValueId &V : O.Operands)
      V = Map[V];
    Map[I] = static_cast<ValueId>(I);
    if (O.Kind == OpKind::Param || O.Kind == OpKind::Return)
      continue;
    auto [It, Inserted] = Seen.try_emplace(makeKey(O), static_cast<ValueId>(I));
    if (Inserted)
      continue;
    Op &First = F.Ops[It->second];
    if (First.Name.empty() && !O.Name.empty())
      First.Name = O.Name;
    Map[I] = It->second;
    Keep[I] = false;
    Changed = true;
  }
  if (!Changed)
    return false;

  // Operands already point at survivors, through Map.
  compactOps(F, Keep);
  return true;
}
