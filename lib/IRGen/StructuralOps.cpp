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
    Whole &= !Dynamic[A] && W.Start == 0 && W.StartTerms.empty() &&
             W.Step == 1 &&
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
    } else if (!W.StartTerms.empty()) {
      // A bound in dimension variables: Start + sum of C * dim.
      Start = B.intConstant(I64, W.Start);
      for (const auto &[C, D] : W.StartTerms)
        Start = B.binary(OpKind::Add, Start,
                         B.binary(OpKind::Mul, B.intConstant(I64, C),
                                  B.dim(substitute(D, Sub))));
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

std::optional<ValueId> irgen::lowerStructural(
    Builder &B, const ast::CallExpr &C, const Type &Result,
    llvm::function_ref<ValueId(const ast::Expr &)> Lower) {
  auto List = [&](const ast::Arg &A) {
    std::vector<ValueId> R;
    for (const ast::ExprPtr &X :
         llvm::cast<ast::TensorLitExpr>(*A.Value).Elements)
      R.push_back(Lower(*X));
    return R;
  };
  switch (C.B) {
  case ast::Builtin::Transpose:
  case ast::Builtin::Permute: {
    ValueId X = Lower(*C.Args[0].Value);
    B.setLoc(C.getLoc());
    if (C.Ints.empty())
      return lowerTranspose(B, X);
    llvm::SmallVector<unsigned, 4> Perm(C.Ints.begin(), C.Ints.end());
    // The identity is x; [1, 0] is the rank-2 transpose, which a matrix
    // product reads in place (FusionPlan.h).
    if (llvm::all_of(llvm::enumerate(Perm),
                     [](auto P) { return P.index() == P.value(); }))
      return X;
    if (Perm.size() == 2)
      return B.transpose(X);
    return B.permute(X, Perm);
  }
  case ast::Builtin::Flatten: {
    ValueId X = Lower(*C.Args[0].Value);
    B.setLoc(C.getLoc());
    return B.reshape(X, Result);
  }
  case ast::Builtin::Zeros:
  case ast::Builtin::Ones:
    B.setLoc(C.getLoc());
    return B.splat(Result, C.B == ast::Builtin::Ones ? 1 : 0);
  case ast::Builtin::Full: {
    ValueId V = Lower(*C.Args[1].Value);
    B.setLoc(C.getLoc());
    return B.broadcast(V, Result);
  }
  case ast::Builtin::Concat:
  case ast::Builtin::Stack: {
    std::vector<ValueId> Parts = List(C.Args[0]);
    B.setLoc(C.getLoc());
    if (C.B == ast::Builtin::Stack)
      return lowerStack(B, Parts, C.Axis);
    return Parts.size() == 1 ? Parts[0] : B.concat(Parts, C.Axis);
  }
  case ast::Builtin::Slice:
  case ast::Builtin::Unslice: {
    ValueId X = Lower(*C.Args[0].Value);
    std::vector<ValueId> Starts = List(C.Args[1]);
    B.setLoc(C.getLoc());
    return C.B == ast::Builtin::Slice ? B.slice(X, Starts, C.Ints, Result)
                                      : B.unslice(X, Starts, C.Ints, Result);
  }
  default:
    return std::nullopt;
  }
}
