//===- CheckTensor.cpp - Shapes of tensor expressions ---------------------===//
//
// Every shape is known at compile time, up to the dimension variables a
// function's parameters bind, so each mismatch is reported here with both
// shapes; entry points only check that the sizes passed at run time agree
// with one another. A dimension is a constant or a product of variables, so
// `reshape(x, [B * n])` of an `f32[B, n]` checks symbolically.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using namespace nnc::sema;

bool Checker::isDimInScope(llvm::StringRef Name) const {
  if (llvm::is_contained(DimVars, Name))
    return true;
  if (CurLayer)
    for (const Param &P : CurLayer->Params)
      if (P.Name == Name)
        return true;
  return false;
}

const Arg *Checker::findArg(CallExpr &E, llvm::StringRef Name) {
  for (const Arg &A : E.Args)
    if (A.Name == Name)
      return &A;
  return nullptr;
}

bool Checker::checkArgNames(CallExpr &E,
                            llvm::ArrayRef<llvm::StringRef> Allowed,
                            size_t MinPositional, size_t MaxPositional) {
  llvm::StringRef Name = getBuiltinName(E.B);
  size_t Positional = 0;
  llvm::StringSet<> Seen;
  for (const Arg &A : E.Args) {
    if (A.Name.empty()) {
      // Built-ins read positional arguments by index.
      if (Seen.size()) {
        Diags.report(A.Value->getRange(), DiagID::err_positional_after_named);
        return false;
      }
      ++Positional;
      continue;
    }
    if (!Seen.insert(A.Name).second) {
      Diags.report(A.NameRange, DiagID::err_duplicate_arg, A.Name);
      return false;
    }
    if (!llvm::is_contained(Allowed, A.Name)) {
      Diags.report(A.NameRange, DiagID::err_unknown_keyword_arg, Name,
                   A.Name);
      return false;
    }
  }
  if (Positional < MinPositional || Positional > MaxPositional) {
    size_t Want = Positional < MinPositional ? MinPositional : MaxPositional;
    Diags.report(E.getRange(), DiagID::err_arity, Name, Want,
                 Want == 1 ? "" : "s", Positional,
                 Positional == 1 ? "was" : "were");
    return false;
  }
  return true;
}

std::optional<unsigned> Checker::getAxis(const Arg &A, unsigned Rank,
                                         llvm::StringRef What,
                                         const Type &T) {
  std::optional<int64_t> Written = getIntLiteral(*A.Value);
  if (!Written) {
    Diags.report(A.Value->getRange(), DiagID::err_axis_literal);
    return std::nullopt;
  }
  int64_t Axis = *Written < 0 ? *Written + Rank : *Written;
  if (Axis < 0 || Axis >= static_cast<int64_t>(Rank)) {
    Diags.report(A.Value->getRange(), DiagID::err_axis, What, *Written, Rank,
                 T.str());
    return std::nullopt;
  }
  A.Value->Ty = Type::scalar(ElementKind::I64);
  return static_cast<unsigned>(Axis);
}

std::optional<Dim> Checker::getDimExpr(Expr &E) {
  if (auto *N = llvm::dyn_cast<NumberExpr>(&E); N && N->IsInteger) {
    E.Ty = Type::scalar(ElementKind::I64);
    return Dim::constant(N->IntValue);
  }
  if (auto *N = llvm::dyn_cast<NameExpr>(&E); N && isDimInScope(N->Name) &&
                                               !Names.lookup(N->Name)) {
    N->Ref = NameExpr::DimVar;
    E.Ty = Type::scalar(ElementKind::I64);
    return Dim::var(N->Name);
  }
  if (auto *B = llvm::dyn_cast<BinaryExpr>(&E); B && B->Op == BinaryOp::Mul) {
    std::optional<Dim> L = getDimExpr(*B->LHS);
    if (!L)
      return std::nullopt;
    std::optional<Dim> R = getDimExpr(*B->RHS);
    if (!R)
      return std::nullopt;
    E.Ty = Type::scalar(ElementKind::I64);
    Dim P = *L * *R;
    if (!P.isValid()) {
      Diags.report(E.getRange(), DiagID::err_dim_too_large);
      return std::nullopt;
    }
    if (P.Factor == 0 && !(L->Vars.empty() && R->Vars.empty())) {
      Diags.report(E.getRange(), DiagID::err_dim_expr);
      return std::nullopt;
    }
    return P;
  }
  Diags.report(E.getRange(), DiagID::err_dim_expr);
  return std::nullopt;
}

std::optional<Shape> Checker::getShapeArg(Expr &E) {
  auto *L = llvm::dyn_cast<TensorLitExpr>(&E);
  if (!L) {
    Diags.report(E.getRange(), DiagID::err_expected,
                 "a shape in brackets, such as '[B, 10]'");
    return std::nullopt;
  }
  Shape S;
  for (ExprPtr &D : L->Elements) {
    std::optional<Dim> V = getDimExpr(*D);
    if (!V)
      return std::nullopt;
    S.push_back(*V);
  }
  if (!getNumElements(S).isValid()) {
    Diags.report(E.getRange(), DiagID::err_dim_too_large);
    return std::nullopt;
  }
  return S;
}

Type Checker::checkMatMul(BinaryExpr &E) {
  llvm::SMRange OpRange(E.OpLoc, E.OpLoc);
  // The element types unify as for any operator, a literal side taking
  // the other side's (`x @ [1.0, 2.0]` with x: f32[2] is an f32 product);
  // the shapes do not broadcast but multiply.
  Type TL, TR;
  auto Hint = [](const Type &T) {
    return T.isValid() && T.isLeaf() && !T.isBoolLeaf() ? T.getElementType()
                                                         : Type();
  };
  if (isUntypedLiteral(*E.LHS) && !isUntypedLiteral(*E.RHS)) {
    TR = checkExpr(*E.RHS, nullptr);
    Type H = Hint(TR);
    TL = checkExpr(*E.LHS, H.isValid() ? &H : nullptr);
  } else {
    TL = checkExpr(*E.LHS, nullptr);
    Type H = Hint(TL);
    TR = checkExpr(*E.RHS, H.isValid() ? &H : nullptr);
  }
  if (!TL.isValid() || !TR.isValid())
    return Type();
  for (const Type *T : {&TL, &TR})
    if (!T->isLeaf() || T->isBoolLeaf()) {
      Diags.report(OpRange, DiagID::err_expected_type, "'@'",
                   "tensors of numbers", T->str());
      return Type();
    }
  if (TL.Elem != TR.Elem) {
    if (TL.isFloat() && TR.isFloat()) {
      Diags.report(OpRange, DiagID::err_float_mix, "'@'", TL.str(), TR.str(),
                   getMixConversion(*E.LHS, *E.RHS));
      return Type();
    }
    bool LeftWider = TL.isFloat() || (TL.Elem == ElementKind::I64 && !TR.isFloat());
    ExprPtr &Narrow = LeftWider ? E.RHS : E.LHS;
    if (!coerce(Narrow, Narrow->Ty.withElementKind(LeftWider ? TL.Elem : TR.Elem),
                "'@'"))
      return Type();
  }
  Type T = E.LHS->Ty;
  TL = E.LHS->Ty;
  TR = E.RHS->Ty;
  std::optional<Shape> S = getMatMulShape(TL.Dims, TR.Dims);
  if (!S) {
    Diags.report(OpRange, DiagID::err_matmul_shapes, TL.str(), TR.str());
    return Type();
  }
  return Type::tensor(T.Elem, std::move(*S));
}

/// Element counts along each level of a nested literal; false if ragged.
static bool getLiteralShape(const TensorLitExpr &E, Shape &S,
                            unsigned Depth, std::string &Why) {
  if (Depth == S.size())
    S.push_back(Dim::constant(E.Elements.size()));
  else if (S[Depth] != Dim::constant(E.Elements.size())) {
    Why = "tensor literal rows have different lengths";
    return false;
  }
  if (E.Elements.empty()) {
    Why = "a tensor literal needs at least one element";
    return false;
  }
  bool Nested = llvm::isa<TensorLitExpr>(*E.Elements[0]);
  for (const ExprPtr &X : E.Elements) {
    auto *Sub = llvm::dyn_cast<TensorLitExpr>(X.get());
    if ((Sub != nullptr) != Nested ||
        (!Nested && Depth + 1 < S.size())) {
      Why = "tensor literal rows have different lengths";
      return false;
    }
    if (Sub && !getLiteralShape(*Sub, S, Depth + 1, Why))
      return false;
  }
  return true;
}

Type Checker::checkTensorLiteral(TensorLitExpr &E, const Type *Expected) {
  Shape S;
  std::string Why;
  if (!getLiteralShape(E, S, 0, Why)) {
    Diags.report(E.getRange(), DiagID::err_tensor_literal, Why);
    return Type();
  }
  // Every element is a number; together they take one element type: the
  // context's when it has one, else f64, as scalar literals do. A fraction
  // makes an integer context's literal f64.
  Type Elem = Type::scalar(ElementKind::F64);
  if (Expected && Expected->isLeaf() && Expected->Elem != ElementKind::Bool)
    Elem = Expected->getElementType();
  // The number leaves, in any order: first to choose the element type, then
  // to type them with it.
  std::vector<Expr *> Leaves;
  std::vector<Expr *> Work{&E};
  while (!Work.empty()) {
    Expr *X = Work.back();
    Work.pop_back();
    if (auto *L = llvm::dyn_cast<TensorLitExpr>(X))
      for (ExprPtr &C : L->Elements)
        Work.push_back(C.get());
    else
      Leaves.push_back(X);
  }
  bool OK = true;
  for (Expr *X : Leaves) {
    const Expr *Num = X;
    if (auto *U = llvm::dyn_cast<UnaryExpr>(X); U && U->Op == UnaryOp::Neg)
      Num = U->Operand.get();
    auto *N = llvm::dyn_cast<NumberExpr>(Num);
    if (!N) {
      Diags.report(X->getRange(), DiagID::err_tensor_literal,
                   "tensor literal elements must be numbers");
      OK = false;
      continue;
    }
    if (!N->IsInteger && Elem.isIntScalar())
      Elem = Type::scalar(ElementKind::F64);
  }
  if (!OK)
    return Type();
  for (Expr *X : Leaves) {
    if (!checkExpr(*X, &Elem).isValid())
      return Type();
  }
  return Type::tensor(Elem.Elem, std::move(S));
}

Type Checker::checkReduction(CallExpr &E, Builtin B) {
  llvm::StringRef Name = getBuiltinName(B);
  if (!checkArgNames(E, {"axis", "keepdims"}, 1, 1))
    return Type();
  Expr &X = *E.Args[0].Value;
  Type T = checkExpr(X, nullptr);
  if (!T.isValid())
    return T;
  std::string What = ("'" + Name + "'").str();
  if (!T.isLeaf() || T.isBoolLeaf()) {
    Diags.report(X.getRange(), DiagID::err_expected_type, What,
                 "a tensor of numbers", T.str());
    return Type();
  }
  return checkReducedType(E, T, What);
}

Type Checker::checkReducedType(CallExpr &E, const Type &T,
                               const std::string &What) {
  E.Axis = -1;
  const Arg *AxisArg = findArg(E, "axis");
  if (!AxisArg)
    return applyKeepDims(E, T, T.getElementType());
  // Several axes, `axis=[2, 3]` (issue 12).
  if (llvm::isa<TensorLitExpr>(*AxisArg->Value))
    return applyKeepDims(E, T, checkAxisList(E, *AxisArg, T, What));
  std::optional<unsigned> Axis = getAxis(*AxisArg, T.getRank(), What, T);
  if (!Axis)
    return Type();
  E.Axis = *Axis;
  Shape S = T.Dims;
  S.erase(S.begin() + *Axis);
  return applyKeepDims(E, T, Type::tensor(T.Elem, std::move(S)));
}

Type Checker::checkTensorBuiltin(CallExpr &E, Builtin B, const Type *Expected) {
  llvm::StringRef Name = getBuiltinName(B);
  std::string What = ("'" + Name + "'").str();
  auto CheckFloatTensor = [&](ExprPtr &X, unsigned MinRank) -> Type {
    Type T = checkExpr(*X, nullptr);
    if (!T.isValid())
      return T;
    if (T.isInt()) {
      if (!coerce(X, T.withElementKind(ElementKind::F64), What))
        return Type();
      T = X->Ty;
    }
    if (!T.isFloat() || T.getRank() < MinRank) {
      Diags.report(X->getRange(), DiagID::err_needs_tensor, What,
                   MinRank == 0 ? "0 or more" : "at least 1", T.str());
      return Type();
    }
    return T;
  };
  // A tensor of numbers of rank 1 or more (argmax, pick).
  auto CheckNumericTensor = [&](ExprPtr &X) -> Type {
    Type T = checkExpr(*X, nullptr);
    if (T.isValid() && (!T.isTensor() || T.isBoolLeaf())) {
      Diags.report(X->getRange(), DiagID::err_needs_tensor, What, "at least 1",
                   T.str());
      return Type();
    }
    return T;
  };
  // The `axis=` argument, the last axis when there is none.
  auto AxisOrLast = [&](const Type &T) -> std::optional<unsigned> {
    const Arg *A = findArg(E, "axis");
    return A ? getAxis(*A, T.getRank(), What, T) : T.getRank() - 1;
  };
  // Integer literals given as labels are labels: i64.
  Type LabelHint = Type::scalar(ElementKind::I64);
  auto CheckLabels = [&](ExprPtr &Y, const Type &X, Shape Want) -> bool {
    Type T = checkExpr(*Y, &LabelHint);
    if (!T.isValid())
      return false;
    if (!T.isInt() || T.Dims != Want) {
      Diags.report(Y->getRange(), DiagID::err_labels, What, T.str(), X.str());
      return false;
    }
    return true;
  };

  switch (B) {
  // Element-wise ops and statistics (issue 12).
  case Builtin::LeakyRelu:
  case Builtin::Elu:
  case Builtin::Clamp:
  case Builtin::Var:
  case Builtin::Std:
    return checkIssue12Builtin(E, B);
  case Builtin::Sum:
  case Builtin::Mean: {
    Type T = checkReduction(E, B);
    if (!T.isValid() || B == Builtin::Sum || T.isFloat())
      return T;
    // The mean of integers is an f64.
    ExprPtr &X = E.Args[0].Value;
    if (!coerce(X, X->Ty.withElementKind(ElementKind::F64), What))
      return Type();
    return T.withElementKind(ElementKind::F64);
  }
  case Builtin::Argmax: {
    if (!checkArgNames(E, {"axis", "keepdims"}, 1, 1))
      return Type();
    Type T = CheckNumericTensor(E.Args[0].Value);
    if (!T.isValid())
      return T;
    std::optional<unsigned> Axis = AxisOrLast(T);
    if (!Axis)
      return Type();
    E.Axis = *Axis;
    Shape S = T.Dims;
    S.erase(S.begin() + *Axis);
    return applyKeepDims(E, T, Type::tensor(ElementKind::I64, std::move(S)));
  }
  case Builtin::Reshape:
  case Builtin::Broadcast:
  case Builtin::SumTo: {
    if (!checkArgNames(E, {}, 2, 2))
      return Type();
    Type T = checkExpr(*E.Args[0].Value, Expected);
    std::optional<Shape> S = getShapeArg(*E.Args[1].Value);
    if (!T.isValid() || !S)
      return Type();
    if (!T.isLeaf()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   What, "a scalar or a tensor", T.str());
      return Type();
    }
    Type R = Type::tensor(T.Elem, *S);
    bool OK = B == Builtin::Reshape
                  ? getNumElements(T.Dims) == getNumElements(*S)
              : B == Builtin::Broadcast ? broadcastsTo(T.Dims, *S)
                                        : broadcastsTo(*S, T.Dims);
    if (!OK) {
      DiagID ID = B == Builtin::Reshape     ? DiagID::err_reshape
                  : B == Builtin::Broadcast ? DiagID::err_broadcast_to
                                            : DiagID::err_sum_to;
      Diags.report(E.getRange(), ID, T.str(), R.str());
      return Type();
    }
    E.ShapeArg = std::move(*S);
    return R;
  }
  case Builtin::Iota: {
    if (!checkArgNames(E, {"axis"}, 1, 1))
      return Type();
    std::optional<Shape> S = getShapeArg(*E.Args[0].Value);
    if (!S)
      return Type();
    Type R = Type::tensor(ElementKind::I64, *S);
    if (S->empty()) {
      Diags.report(E.getRange(), DiagID::err_needs_tensor, What, "at least 1",
                   R.str());
      return Type();
    }
    const Arg *A = findArg(E, "axis");
    std::optional<unsigned> Axis =
        A ? getAxis(*A, S->size(), What, R) : unsigned(S->size() - 1);
    if (!Axis)
      return Type();
    E.Axis = *Axis;
    E.ShapeArg = std::move(*S);
    return R;
  }
  case Builtin::Onehot: {
    if (!checkArgNames(E, {}, 2, 2))
      return Type();
    Type T = checkExpr(*E.Args[0].Value, &LabelHint);
    std::optional<Dim> C = getDimExpr(*E.Args[1].Value);
    if (!T.isValid() || !C)
      return Type();
    if (!T.isInt()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   What, "integer labels", T.str());
      return Type();
    }
    E.ShapeArg = {*C};
    Shape S = T.Dims;
    S.push_back(*C);
    return Type::tensor(ElementKind::F64, std::move(S));
  }
  case Builtin::Pick: {
    if (!checkArgNames(E, {}, 2, 2))
      return Type();
    Type X = CheckNumericTensor(E.Args[0].Value);
    if (!X.isValid())
      return X;
    Shape Rows(X.Dims.begin(), X.Dims.end() - 1);
    if (!CheckLabels(E.Args[1].Value, X, Rows))
      return Type();
    return Type::tensor(X.Elem, std::move(Rows));
  }
  case Builtin::Softmax:
  case Builtin::LogSoftmax:
  case Builtin::Logsumexp: {
    llvm::StringRef AxisOnly[] = {"axis"}, WithKeep[] = {"axis", "keepdims"};
    if (!checkArgNames(E,
                       B == Builtin::Logsumexp
                           ? llvm::ArrayRef<llvm::StringRef>(WithKeep)
                           : llvm::ArrayRef<llvm::StringRef>(AxisOnly),
                       1, 1))
      return Type();
    Type T = CheckFloatTensor(E.Args[0].Value, 1);
    if (!T.isValid())
      return T;
    std::optional<unsigned> Axis = AxisOrLast(T);
    if (!Axis)
      return Type();
    E.Axis = *Axis;
    if (B != Builtin::Logsumexp)
      return T;
    Shape S = T.Dims;
    S.erase(S.begin() + *Axis);
    return applyKeepDims(E, T, Type::tensor(T.Elem, std::move(S)));
  }
  case Builtin::CrossEntropy:
  case Builtin::SvmLoss: {
    if (!checkArgNames(E, {}, 2, 2))
      return Type();
    // The scores' own type is reported, before any conversion: integer
    // labels passed first must read as 'i32[B]', not as the f64 they
    // would convert to.
    ExprPtr &Scores = E.Args[0].Value;
    Type X = checkExpr(*Scores, nullptr);
    if (!X.isValid())
      return X;
    if (X.getRank() != 2 || X.isBoolLeaf()) {
      Diags.report(Scores->getRange(), DiagID::err_needs_tensor, What,
                   "2 (a batch of score rows)", X.str());
      if (X.isInt())
        Diags.report(Scores->getRange(), DiagID::note_loss_argument_order,
                     Name);
      return Type();
    }
    if (X.isInt()) {
      if (!coerce(Scores, X.withElementKind(ElementKind::F64), What))
        return Type();
      X = Scores->Ty;
    }
    if (!CheckLabels(E.Args[1].Value, X, {X.Dims[0]}))
      return Type();
    return X.getElementType();
  }
  // Layer state and the training mode (issue 12).
  case Builtin::BatchNorm:
  case Builtin::Dropout: {
    bool BN = B == Builtin::BatchNorm;
    if (!checkArgNames(E, BN ? llvm::ArrayRef<llvm::StringRef>{"momentum", "eps"}
                             : llvm::ArrayRef<llvm::StringRef>{},
                       BN ? 5 : 2, BN ? 5 : 2))
      return Type();
    if (!CurLayer || !CurFn || CurFn->Owner != CurLayer || InInitializer) {
      Diags.report(E.getRange(), DiagID::err_layer_only_builtin, Name,
                   BN ? " and updates state" : " and a per-step seed");
      return Type();
    }
    // A number literal: dropout's p, batch_norm's momentum and eps.
    auto Literal = [&](const Arg &A, double Lo, double Hi,
                       llvm::StringRef Want) -> bool {
      auto *N = llvm::dyn_cast<NumberExpr>(A.Value.get());
      if (!N || !(N->Value >= Lo && N->Value < Hi)) {
        Diags.report(A.Value->getRange(), DiagID::err_expected, Want);
        return false;
      }
      N->Ty = Type::scalar(ElementKind::F64);
      return true;
    };
    Type X = CheckFloatTensor(E.Args[0].Value, 0);
    if (!X.isValid())
      return X;
    if (!BN) {
      if (!Literal(E.Args[1], 0, 1, "a probability literal in [0, 1)"))
        return Type();
      CurLayer->UsesTraining = CurLayer->UsesSeed = true;
      return X;
    }
    if (X.getRank() != 2 && X.getRank() != 4) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_batch_norm_input,
                   X.str());
      return Type();
    }
    Type CT = Type::tensor(X.Elem, {X.Dims[1]});
    for (unsigned I = 1; I <= 2; ++I) {
      Type T = checkExpr(*E.Args[I].Value, &CT);
      auto *N = llvm::dyn_cast<NameExpr>(E.Args[I].Value.get());
      if (!T.isValid())
        return T;
      if (!N || N->Ref != NameExpr::LayerState || T != CT) {
        Diags.report(E.Args[I].Value->getRange(), DiagID::err_batch_norm_state,
                     I + 1, I == 1 ? "mean" : "variance", CT.str());
        return Type();
      }
    }
    if (llvm::cast<NameExpr>(*E.Args[1].Value).Index ==
        llvm::cast<NameExpr>(*E.Args[2].Value).Index) {
      Diags.report(E.Args[2].Value->getRange(),
                   DiagID::err_batch_norm_same_state,
                   llvm::cast<NameExpr>(*E.Args[2].Value).Name);
      return Type();
    }
    for (unsigned I = 3; I <= 4; ++I) {
      Type T = checkExpr(*E.Args[I].Value, &CT);
      if (!T.isValid() ||
          (T != CT &&
           !coerce(E.Args[I].Value, CT,
                   I == 3 ? "the scale of 'batch_norm'"
                          : "the shift of 'batch_norm'")))
        return Type();
    }
    if (const Arg *A = findArg(E, "momentum"))
      if (!Literal(*A, 0, 1.0000001, "a momentum literal in [0, 1]"))
        return Type();
    if (const Arg *A = findArg(E, "eps"))
      if (!Literal(*A, 0, 1e300, "a non-negative literal"))
        return Type();
    CurLayer->UsesTraining = true;
    return X;
  }
  case Builtin::Randn:
  case Builtin::Rand:
    if (!E.Args.empty()) {
      // The explicit form `randn(seed, [dims], stream=k)`: element i is a
      // pure function of (seed, k, i), as in an initializer.
      if (!checkArgNames(E, {"stream"}, 2, 2))
        return Type();
      Type I64 = Type::scalar(ElementKind::I64);
      Type S = checkExpr(*E.Args[0].Value, &I64);
      std::optional<Shape> Dims = getShapeArg(*E.Args[1].Value);
      if (!S.isValid() || !Dims)
        return Type();
      if (S != I64 && !coerce(E.Args[0].Value, I64, "the seed"))
        return Type();
      E.Axis = 0;
      if (const Arg *A = findArg(E, "stream")) {
        auto *N = llvm::dyn_cast<NumberExpr>(A->Value.get());
        if (!N || !N->IsInteger || N->IntValue > INT32_MAX) {
          Diags.report(A->Value->getRange(), DiagID::err_expected,
                       "a non-negative integer literal");
          return Type();
        }
        A->Value->Ty = I64;
        E.Axis = N->IntValue;
      }
      E.ShapeArg = *Dims;
      return Type::tensor(ElementKind::F64, std::move(*Dims));
    }
    if (!InInitializer) {
      Diags.report(E.getRange(), DiagID::err_random_outside_init, Name);
      return Type();
    }
    if (!checkArgNames(E, {}, 0, 0))
      return Type();
    return Type::scalar(ElementKind::F64);
  // Convolution and pooling (issue 12).
  case Builtin::Conv2d:
  case Builtin::Conv2dGradInput:
  case Builtin::Conv2dGradWeight:
  case Builtin::MaxPool2d:
  case Builtin::MaxPool2dGrad:
  case Builtin::MaxPool2dGather:
  case Builtin::AvgPool2d:
  case Builtin::AvgPool2dGrad:
    return checkWindowBuiltin(E, B);
  default:
    // Transpose and issue 12's structural ops (CheckIndex.cpp).
    return checkStructural(E, B, Expected);
  }
}

Type Checker::checkMember(MemberExpr &E) {
  // `net.fc1.W` in the REPL's wrapper: a parameter it holds.
  if (const Local *P = getSessionParam(E)) {
    E.ParamIndex = P->Index;
    return P->Ty;
  }
  // `x.T` is the transpose; other members are functions, not values.
  if (E.Member == "T") {
    if (auto *N = llvm::dyn_cast<NameExpr>(E.Base.get());
        !N || !lookupDecl(N->Name) || Names.lookup(N->Name)) {
      Type T = checkExpr(*E.Base, nullptr);
      if (!T.isValid())
        return T;
      if (!T.isLeaf() || T.getRank() < 1) {
        Diags.report(E.Base->getRange(), DiagID::err_needs_tensor, "'.T'",
                     "at least 1", T.str());
        return Type();
      }
      // NumPy's: the axes reversed (issue 12, tensorops).
      Shape S(T.Dims.rbegin(), T.Dims.rend());
      return Type::tensor(T.Elem, std::move(S));
    }
  }
  bool Handled = false;
  FunctionRef R = resolveLayerFunction(E, Handled);
  if (R.isValid())
    Diags.report(E.getRange(), DiagID::err_function_as_value, R.key());
  else if (!Handled)
    reportNoMember(E);
  return Type();
}

void Checker::reportNoMember(MemberExpr &E) {
  auto *N = llvm::dyn_cast<NameExpr>(E.Base.get());
  if (N && !Names.lookup(N->Name) && !isDimInScope(N->Name) &&
      (lookupDecl(N->Name) || lookupBuiltin(N->Name) != Builtin::None)) {
    // A function: it is not a value to type.
    Diags.report(E.MemberRange, DiagID::err_no_member, "'" + N->Name + "'",
                 E.Member);
    return;
  }
  // A value: its type says what it has (`x.shape` reads as NumPy's, but
  // the shape is in the type).
  Type T = checkExpr(*E.Base, nullptr);
  if (!T.isValid())
    return;
  Diags.report(E.MemberRange, DiagID::err_no_member,
               N ? "'" + N->Name + "'" : std::string("this expression"),
               E.Member);
  bool HasT = T.isLeaf() && T.getRank() >= 1;
  Diags.report(E.MemberRange, DiagID::note_value_members, T.str(),
               HasT ? "one member, '.T' (its transpose)" : "no members");
}
