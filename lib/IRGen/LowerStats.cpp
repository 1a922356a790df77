//===- LowerStats.cpp - Reductions along several axes, var, std -----------===//
//
// A reduction along several axes is a chain of single-axis reductions, not
// an op of its own: every rule, printer and loop nest already serves it,
// and in the right order the chain costs about one pass over the input
// (measured in docs/performance.md, "Reductions along several axes").
//
//===----------------------------------------------------------------------===//
#include "LowerStats.h"
#include "nnc/IR/ReductionOrder.h"
#include <limits>

using namespace nnc;
using namespace nnc::ir;

ValueId irgen::reduceAxes(Builder &B, OpKind K, ValueId X,
                          llvm::ArrayRef<unsigned> Axes) {
  Type T = B.getFunction().typeOf(X);
  ElementKind EK = T.getElementKind();
  ReductionPlan P = planReduction(T.getShape(), Axes);
  X = B.reshape(X, Type::tensor(EK, P.Merged));
  for (unsigned A : P.Order)
    X = B.reduce(K, X, A);
  // The plan dropped the axes of extent 1; the result keeps those not
  // reduced.
  Shape Result;
  for (unsigned I = 0; I < T.getRank(); ++I)
    if (!llvm::is_contained(Axes, I))
      Result.push_back(T.getShape()[I]);
  return B.reshape(X, Type::tensor(EK, std::move(Result)));
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

bool irgen::isStatsCall(const ast::CallExpr &C) {
  using ast::Builtin;
  bool Reduction = C.B == Builtin::Sum || C.B == Builtin::Mean ||
                   C.B == Builtin::Max || C.B == Builtin::Min;
  return (Reduction && !C.Axes.empty()) || C.B == Builtin::LeakyRelu ||
         C.B == Builtin::Elu || C.B == Builtin::Clamp || C.B == Builtin::Var ||
         C.B == Builtin::Std;
}

ValueId
irgen::lowerStatsCall(Builder &B, const ast::CallExpr &C, const Type &Result,
                      llvm::function_ref<ValueId(const ast::Expr &)> Lower) {
  using ast::Builtin;
  ValueId X = Lower(*C.Args[0].Value);
  Type T = B.getFunction().typeOf(X);
  ElementKind K = T.getElementKind();
  // The argument named Name, or else the positional one at Pos.
  auto Find = [&](llvm::StringRef Name, size_t Pos) -> const ast::Expr * {
    for (size_t I = 1; I < C.Args.size(); ++I)
      if (C.Args[I].Name == Name || (C.Args[I].Name.empty() && I == Pos))
        return C.Args[I].Value.get();
    return nullptr;
  };
  auto Param = [&](llvm::StringRef Name, size_t Pos, double Default) {
    if (const ast::Expr *E = Find(Name, Pos)) {
      ValueId V = Lower(*E);
      B.setLoc(C.getLoc());
      return V;
    }
    B.setLoc(C.getLoc());
    if (isFloatKind(K))
      return B.constant(T.getElementType(), Default);
    // An integer clamp's missing bound: the type's extreme.
    bool I32 = K == ElementKind::I32;
    return B.intConstant(
        T.getElementType(),
        Default < 0 ? (I32 ? std::numeric_limits<int32_t>::min()
                           : std::numeric_limits<int64_t>::min())
                    : (I32 ? std::numeric_limits<int32_t>::max()
                           : std::numeric_limits<int64_t>::max()));
  };
  B.setLoc(C.getLoc());
  std::vector<unsigned> Axes = C.Axes;
  if (Axes.empty() && C.Axis >= 0)
    Axes.push_back(C.Axis);
  else if (Axes.empty())
    for (unsigned I = 0; I < T.getRank(); ++I)
      Axes.push_back(I);
  switch (C.B) {
  case Builtin::LeakyRelu:
  case Builtin::Elu: {
    bool Leaky = C.B == Builtin::LeakyRelu;
    ValueId P = Param(Leaky ? "slope" : "alpha", 1, Leaky ? 0.01 : 1.0);
    return B.binary(Leaky ? OpKind::LeakyRelu : OpKind::Elu, X,
                    B.broadcast(P, T));
  }
  case Builtin::Clamp: {
    double Inf = std::numeric_limits<double>::infinity();
    ValueId Lo = Param("min", 1, -Inf), Hi = Param("max", 2, Inf);
    // Builder has no ternary builder but select's: the op is appended with
    // its type, which the verifier checks after every pass.
    Op O;
    O.Kind = OpKind::Clamp;
    O.Ty = Result;
    O.Operands = {B.broadcast(X, Result), B.broadcast(Lo, Result),
                  B.broadcast(Hi, Result)};
    return B.append(std::move(O));
  }
  case Builtin::Var:
  case Builtin::Std: {
    double Correction = 1;
    if (const ast::Expr *E = Find("correction", 0)) {
      auto *N = llvm::cast<ast::NumberExpr>(E);
      Correction = N->IsInteger ? static_cast<double>(N->IntValue) : N->Value;
    }
    return variance(B, X, Axes, Correction, C.B == Builtin::Std);
  }
  case Builtin::Sum:
    return reduceAxes(B, OpKind::ReduceSum, X, Axes);
  case Builtin::Mean:
    return broadcastBinary(B, OpKind::Div,
                           reduceAxes(B, OpKind::ReduceSum, X, Axes),
                           countAlong(B, T, Axes, K));
  default:
    return reduceAxes(B,
                      C.B == Builtin::Max ? OpKind::ReduceMax
                                          : OpKind::ReduceMin,
                      X, Axes);
  }
}
