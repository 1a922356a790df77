//===- LowerStats.cpp - Reductions along several axes, var, std -----------===//
//
// A reduction along several axes is a chain of single-axis reductions, not
// an op of its own: every rule, printer and loop nest already serves it,
// and in the right order the chain costs about one pass over the input
// (measured in docs/performance.md, "Reductions along several axes").
//
//===----------------------------------------------------------------------===//
#include "LowerStats.h"

using namespace nnc;
using namespace nnc::ir;

ValueId irgen::reduceAxes(Builder &B, OpKind K, ValueId X,
                          llvm::ArrayRef<unsigned> Axes) {
  Type T = B.getFunction().typeOf(X);
  const Shape &S = T.getShape();
  unsigned Last = S.size() - 1;
  bool Trailing = !S.empty() && llvm::is_contained(Axes, Last);
  // The shape with each run of adjacent reduced axes other than the last
  // merged into one, and where each run now is.
  Shape Merged;
  std::vector<unsigned> Runs;
  for (unsigned I = 0; I < S.size();) {
    if (!llvm::is_contained(Axes, I) || I == Last) {
      Merged.push_back(S[I++]);
      continue;
    }
    Dim D = S[I++];
    while (I < Last && llvm::is_contained(Axes, I))
      D = D * S[I++];
    Runs.push_back(Merged.size());
    Merged.push_back(D);
  }
  if (Merged.size() != S.size())
    X = B.reshape(X, Type::tensor(T.getElementKind(), Merged));
  // Outermost first: a reduction along an axis that is not the last runs
  // its inner loop over the contiguous block after it, which vectorizes,
  // and the outermost axis leaves the longest block and the smallest
  // result. The last axis, whose in-order sum is one dependent chain per
  // result element, goes last, on the smallest tensor.
  for (unsigned I = 0; I < Runs.size(); ++I)
    X = B.reduce(K, X, Runs[I] - I);
  if (Trailing)
    X = B.reduce(K, X, B.getFunction().typeOf(X).getRank() - 1);
  return X;
}

ValueId irgen::countAlong(Builder &B, const Type &T,
                          llvm::ArrayRef<unsigned> Axes, ElementKind K) {
  Dim N = Dim::constant(1);
  for (unsigned A : Axes)
    N = N * T.getShape()[A];
  return B.convert(B.dim(N), K);
}

ValueId irgen::broadcastBinary(Builder &B, OpKind K, ValueId A, ValueId C) {
  const Function &F = B.getFunction();
  std::optional<Shape> S =
      getBroadcastShape(F.typeOf(A).getShape(), F.typeOf(C).getShape());
  assert(S && "Sema checked the shapes");
  A = B.broadcast(A, Type::tensor(F.typeOf(A).getElementKind(), *S));
  C = B.broadcast(C, Type::tensor(F.typeOf(C).getElementKind(), *S));
  return B.binary(K, A, C);
}

ValueId irgen::variance(Builder &B, ValueId X, llvm::ArrayRef<unsigned> Axes,
                        double Correction, bool Std) {
  Type T = B.getFunction().typeOf(X);
  ElementKind K = T.getElementKind();
  ValueId N = countAlong(B, T, Axes, K);
  ValueId Mean = broadcastBinary(B, OpKind::Div,
                                 reduceAxes(B, OpKind::ReduceSum, X, Axes), N);
  // The mean back at every element: kept as size-1 axes, then broadcast
  // (a view: the subtraction reads it with stride 0).
  Shape Kept = T.getShape();
  for (unsigned A : Axes)
    Kept[A] = Dim::constant(1);
  if (!B.getFunction().typeOf(Mean).isScalar())
    Mean = B.reshape(Mean, Type::tensor(K, Kept));
  ValueId Dev = B.binary(OpKind::Sub, X, B.broadcast(Mean, T));
  ValueId SS = reduceAxes(B, OpKind::ReduceSum,
                          B.binary(OpKind::Mul, Dev, Dev), Axes);
  // max(N - correction, 0), as PyTorch: one element with correction 1
  // gives 0 / 0 = NaN.
  ValueId Den = B.binary(
      OpKind::Max,
      B.binary(OpKind::Sub, N, B.constant(Type::scalar(K), Correction)),
      B.constant(Type::scalar(K), 0));
  ValueId V = broadcastBinary(B, OpKind::Div, SS, Den);
  return Std ? B.unary(OpKind::Sqrt, V) : V;
}
