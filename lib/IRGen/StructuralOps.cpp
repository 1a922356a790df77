//===- StructuralOps.cpp - Lowering issue 12's structural ops -------------===//
#include "StructuralOps.h"

using namespace nnc;
using namespace nnc::ir;

ValueId irgen::lowerWindow(Builder &B, ValueId X,
                           llvm::ArrayRef<ast::IndexExpr::AxisWindow> Axes,
                           llvm::ArrayRef<std::optional<ValueId>> Dynamic,
                           const DimSubstitution &Sub, const Type &Result) {
  const Type T = B.getFunction().typeOf(X);
  // `x[:, :]` and `x[...]` are x itself.
  bool Whole = true, Drops = false;
  for (size_t A = 0; A < Axes.size(); ++A) {
    const ast::IndexExpr::AxisWindow &W = Axes[A];
    Whole &= !Dynamic[A] && W.Start == 0 && W.Step == 1 &&
             substitute(W.Size, Sub) == T.getShape()[A];
    Drops |= W.Drop;
  }
  if (Whole && !Drops)
    return X;
  Type I64 = Type::scalar(ElementKind::I64);
  llvm::SmallVector<ValueId, 4> Starts;
  llvm::SmallVector<int64_t, 4> Steps;
  Shape Window;
  for (size_t A = 0; A < Axes.size(); ++A) {
    const ast::IndexExpr::AxisWindow &W = Axes[A];
    const Dim &N = T.getShape()[A];
    ValueId Start;
    if (Dynamic[A]) {
      // NumPy's negative index counts from the end: i < 0 ? i + n : i.
      // The slice checks the result against the axis when it runs.
      ValueId I = *Dynamic[A];
      ValueId Zero = B.intConstant(I64, 0);
      ValueId Wrapped = B.binary(OpKind::Add, I, B.dim(N));
      Start = B.select(B.binary(OpKind::Lt, I, Zero), Wrapped, I);
    } else if (W.Start >= 0) {
      Start = B.intConstant(I64, W.Start);
    } else {
      Start = B.binary(OpKind::Add, B.dim(N), B.intConstant(I64, W.Start));
    }
    Starts.push_back(Start);
    Steps.push_back(W.Step);
    Window.push_back(substitute(W.Size, Sub));
  }
  ValueId S = B.slice(X, Starts, Steps, Type::tensor(T.getElementKind(), Window));
  return Drops ? B.reshape(S, Result) : S;
}

ValueId irgen::lowerStack(Builder &B, llvm::ArrayRef<ValueId> Parts,
                          unsigned Axis) {
  llvm::SmallVector<ValueId, 4> Expanded;
  for (ValueId P : Parts) {
    const Type T = B.getFunction().typeOf(P);
    Shape S = T.getShape();
    S.insert(S.begin() + Axis, Dim::constant(1));
    Expanded.push_back(B.reshape(P, Type::tensor(T.getElementKind(), S)));
  }
  return Expanded.size() == 1 ? Expanded[0] : B.concat(Expanded, Axis);
}

ValueId irgen::lowerTranspose(Builder &B, ValueId X) {
  unsigned R = B.getFunction().typeOf(X).getRank();
  if (R < 2)
    return X;
  if (R == 2)
    return B.transpose(X);
  llvm::SmallVector<unsigned, 4> Perm;
  for (unsigned A = R; A-- > 0;)
    Perm.push_back(A);
  return B.permute(X, Perm);
}
