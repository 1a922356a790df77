//===- CheckStats.cpp - Element-wise ops with parameters, statistics ------===//
//
// Issue 12's built-ins that take named arguments: leaky_relu(x, slope=),
// elu(x, alpha=), clamp(x, min=, max=), var and std (axis=, correction=),
// and the reductions' list of axes, `axis=[0, 2, 3]`. Every shape error
// names the shapes involved.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"

using namespace nnc;
using namespace nnc::sema;

Type Checker::checkFloatArg(ExprPtr &X, llvm::StringRef What) {
  Type T = checkExpr(*X, nullptr);
  if (!T.isValid())
    return T;
  if (T.isLeaf() && T.isInt()) {
    if (!coerce(X, T.withElementKind(ElementKind::F64), What))
      return Type();
    T = X->Ty;
  }
  if (!T.isLeaf() || !T.isFloat()) {
    Diags.report(X->getRange(), DiagID::err_expected_type, What,
                 "a float scalar or tensor", T.str());
    return Type();
  }
  return T;
}

bool Checker::checkParamArg(CallExpr &E, llvm::StringRef Name, size_t Pos,
                            const Type &X, llvm::StringRef What, Type &Out) {
  Out = Type();
  ExprPtr *P = nullptr;
  for (size_t I = 1; I < E.Args.size(); ++I)
    if (E.Args[I].Name == Name || (E.Args[I].Name.empty() && I == Pos))
      P = &E.Args[I].Value;
  if (!P)
    return true;
  // A literal takes x's element type (`leaky_relu(x, 0.2)` with x: f32).
  Type Elem = X.getElementType();
  std::string Label = (What + " " + Name).str();
  Type T = checkExpr(**P, &Elem);
  if (!T.isValid())
    return false;
  if (!T.isLeaf() || T.isBoolLeaf()) {
    Diags.report((*P)->getRange(), DiagID::err_expected_type,
                 Label, "a number or a tensor of numbers", T.str());
    return false;
  }
  if (T.Elem != X.Elem &&
      !coerce(*P, T.withElementKind(X.Elem), Label))
    return false;
  Out = (*P)->Ty;
  return true;
}

Type Checker::checkAxisList(CallExpr &E, const Arg &A, const Type &T,
                            llvm::StringRef What) {
  auto *L = llvm::cast<TensorLitExpr>(A.Value.get());
  int64_t Rank = T.getRank();
  std::vector<unsigned> Axes;
  for (ExprPtr &X : L->Elements) {
    std::optional<int64_t> Written = getIntLiteral(*X);
    if (!Written) {
      Diags.report(X->getRange(), DiagID::err_axis_list);
      return Type();
    }
    int64_t Axis = *Written < 0 ? *Written + Rank : *Written;
    if (Axis < 0 || Axis >= Rank) {
      Diags.report(X->getRange(), DiagID::err_axis, What, *Written, Rank,
                   T.str());
      return Type();
    }
    if (llvm::is_contained(Axes, static_cast<unsigned>(Axis))) {
      Diags.report(X->getRange(), DiagID::err_axis_repeated, What, Axis,
                   T.str());
      return Type();
    }
    Axes.push_back(static_cast<unsigned>(Axis));
    X->Ty = Type::scalar(ElementKind::I64);
  }
  if (Axes.empty()) {
    Diags.report(A.Value->getRange(), DiagID::err_axis_list);
    return Type();
  }
  A.Value->Ty = Type::tensor(ElementKind::I64,
                             {Dim::constant(static_cast<int64_t>(Axes.size()))});
  llvm::sort(Axes);
  Shape S;
  for (unsigned I = 0; I < T.getRank(); ++I)
    if (!llvm::is_contained(Axes, I))
      S.push_back(T.Dims[I]);
  E.Axis = -1;
  E.Axes = std::move(Axes);
  return Type::tensor(T.Elem, std::move(S));
}

Type Checker::checkIssue12Builtin(CallExpr &E, Builtin B) {
  llvm::StringRef Name = getBuiltinName(B);
  std::string What = ("'" + Name + "'").str();
  switch (B) {
  case Builtin::LeakyRelu:
  case Builtin::Elu:
  case Builtin::Clamp: {
    llvm::SmallVector<llvm::StringRef, 2> Params;
    if (B == Builtin::Clamp)
      Params = {"min", "max"};
    else
      Params = {B == Builtin::LeakyRelu ? "slope" : "alpha"};
    if (!checkArgNames(E, Params, 1, 1 + Params.size()))
      return Type();
    // A parameter given by position and by name.
    for (size_t I = 1; I < E.Args.size() && E.Args[I].Name.empty(); ++I)
      if (const Arg *Dup = findArg(E, Params[I - 1])) {
        Diags.report(Dup->NameRange, DiagID::err_duplicate_arg, Dup->Name);
        return Type();
      }
    Type X = B == Builtin::Clamp ? checkExpr(*E.Args[0].Value, nullptr)
                                 : checkFloatArg(E.Args[0].Value, What);
    if (!X.isValid())
      return X;
    if (!X.isLeaf() || X.isBoolLeaf()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   What, "a number or a tensor of numbers", X.str());
      return Type();
    }
    Shape Result = X.Dims;
    for (size_t I = 0; I < Params.size(); ++I) {
      Type P;
      if (!checkParamArg(E, Params[I], I + 1, X, What, P))
        return Type();
      if (!P.isValid())
        continue;
      if (B != Builtin::Clamp) {
        // The slope may vary per element (PReLU's per-channel slope), but
        // the result keeps x's shape.
        if (!broadcastsTo(P.Dims, X.Dims)) {
          Diags.report(E.getRange(), DiagID::err_param_broadcast, What,
                       "'" + Params[I].str() + "'", P.str(), X.str());
          return Type();
        }
        continue;
      }
      // clamp broadcasts its three operands together, as torch.clamp.
      std::optional<Shape> S = getBroadcastShape(Result, P.Dims);
      if (!S) {
        Diags.report(E.getRange(), DiagID::err_shape_mismatch, What,
                     Type::tensor(X.Elem, Result).str(), P.str());
        return Type();
      }
      Result = std::move(*S);
    }
    return Type::tensor(X.Elem, std::move(Result));
  }
  case Builtin::Var:
  case Builtin::Std: {
    if (!checkArgNames(E, {"axis", "correction"}, 1, 1))
      return Type();
    Type X = checkFloatArg(E.Args[0].Value, What);
    if (!X.isValid())
      return X;
    if (const Arg *C = findArg(E, "correction")) {
      auto *N = llvm::dyn_cast<NumberExpr>(C->Value.get());
      if (!N) {
        Diags.report(C->Value->getRange(), DiagID::err_correction, What);
        return Type();
      }
      C->Value->Ty = X.getElementType();
    }
    return checkReducedType(E, X, What);
  }
  default:
    return Type();
  }
}
