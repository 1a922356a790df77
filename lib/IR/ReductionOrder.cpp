//===- ReductionOrder.cpp - The order of a reduction along axes -----------===//
//
// The one place that orders a reduction along several axes (see the
// header): IRGen's `sum(x, axis=[...])` and CodeGen's `sum_to` both plan
// with it.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/ReductionOrder.h"
#include "llvm/ADT/STLExtras.h"

using namespace nnc;
using namespace nnc::ir;

ReductionPlan ir::planReduction(const Shape &S, llvm::ArrayRef<unsigned> Axes) {
  // The axes of extent other than 1, and whether each is reduced.
  Shape Kept;
  std::vector<bool> Reduced;
  for (unsigned I = 0; I < S.size(); ++I) {
    if (S[I].isOne())
      continue;
    Kept.push_back(S[I]);
    Reduced.push_back(llvm::is_contained(Axes, I));
  }
  ReductionPlan P;
  if (llvm::none_of(Reduced, [](bool R) { return R; })) {
    P.Merged = {getNumElements(Kept), Dim::constant(1)};
    P.Order = {1};
    return P;
  }
  // Each run of adjacent reduced axes other than the last merged into one,
  // and where each run now is.
  unsigned Last = Kept.size() - 1;
  std::vector<unsigned> Runs;
  for (unsigned I = 0; I < Kept.size();) {
    if (!Reduced[I] || I == Last) {
      P.Merged.push_back(Kept[I++]);
      continue;
    }
    Dim D = Kept[I++];
    while (I < Last && Reduced[I])
      D = D * Kept[I++];
    Runs.push_back(P.Merged.size());
    P.Merged.push_back(D);
  }
  // Each run reduced drops an axis before the next ones.
  for (unsigned I = 0; I < Runs.size(); ++I)
    P.Order.push_back(Runs[I] - I);
  if (Reduced[Last])
    P.Order.push_back(P.Merged.size() - Runs.size() - 1);
  return P;
}

std::vector<ReduceStep> ReductionPlan::steps() const {
  Shape Cur = Merged;
  auto Extent = [&](unsigned Begin, unsigned End) {
    Dim D = Dim::constant(1);
    for (unsigned I = Begin; I < End; ++I)
      D = D * Cur[I];
    return D;
  };
  std::vector<ReduceStep> Steps;
  for (unsigned A : Order) {
    Steps.push_back({Extent(0, A), Cur[A], Extent(A + 1, Cur.size())});
    Cur.erase(Cur.begin() + A);
  }
  return Steps;
}

std::vector<unsigned> ir::getSumToAxes(const Shape &In, const Shape &Out) {
  unsigned Lead = In.size() - Out.size();
  std::vector<unsigned> Axes;
  for (unsigned A = 0; A < In.size(); ++A)
    if (A < Lead || Out[A - Lead].isOne())
      Axes.push_back(A);
  return Axes;
}
