//===- CheckExpr.cpp - Types of expressions -------------------------------===//
//
// Literals have no type of their own: they take the type their context asks
// for (`x * 2` with x: f32 multiplies by an f32 2), and f64 when nothing
// asks; `2.5` never becomes an integer (`k * 0.5` with k: i32 is an f64).
// An integer meets a float by converting to the float's type; f32 and f64
// never mix silently, since a hidden f64 in an f32 model costs speed. Calls
// are checked in CheckCall.cpp.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include <limits>

using namespace nnc;
using namespace nnc::sema;

bool sema::isUntypedLiteral(const Expr &E) {
  if (isStackNearlyExhausted())
    return continueOnNewStack([&] { return isUntypedLiteral(E); });
  if (llvm::isa<NumberExpr>(E))
    return true;
  // A tensor literal's elements are numbers: it adapts as they do.
  if (auto *L = llvm::dyn_cast<TensorLitExpr>(&E))
    return llvm::all_of(L->Elements,
                        [](const ExprPtr &X) { return isUntypedLiteral(*X); });
  if (auto *U = llvm::dyn_cast<UnaryExpr>(&E))
    return U->Op == UnaryOp::Neg && isUntypedLiteral(*U->Operand);
  if (auto *B = llvm::dyn_cast<BinaryExpr>(&E))
    return (B->Op == BinaryOp::Add || B->Op == BinaryOp::Sub ||
            B->Op == BinaryOp::Mul || B->Op == BinaryOp::Div ||
            B->Op == BinaryOp::Pow) &&
           // The right side first: in a long left-leaning chain it is a
           // leaf, so the answer comes without walking the chain again.
           isUntypedLiteral(*B->RHS) && isUntypedLiteral(*B->LHS);
  return false;
}

std::optional<int64_t> sema::getIntLiteral(const Expr &E) {
  const Expr *V = &E;
  bool Neg = false;
  if (auto *U = llvm::dyn_cast<UnaryExpr>(V); U && U->Op == UnaryOp::Neg) {
    Neg = true;
    V = U->Operand.get();
  }
  auto *N = llvm::dyn_cast<NumberExpr>(V);
  if (!N || !N->IsInteger)
    return std::nullopt;
  return Neg ? -N->IntValue : N->IntValue;
}

/// True when \p E is computed from literals only: no name, member or user
/// call inside (`sum([1.0, 2.0])`, `exp(1.0)`). Walked with a work list,
/// since an expression may nest 20,000 levels.
static bool isLiteralOnly(const Expr &E) {
  std::vector<const Expr *> Work{&E};
  while (!Work.empty()) {
    const Expr *X = Work.back();
    Work.pop_back();
    switch (X->getKind()) {
    case Expr::EK_Number:
    case Expr::EK_Bool:
      break;
    case Expr::EK_Name:
    case Expr::EK_Member:
      return false;
    case Expr::EK_Unary:
      Work.push_back(llvm::cast<UnaryExpr>(X)->Operand.get());
      break;
    case Expr::EK_Binary: {
      auto *B = llvm::cast<BinaryExpr>(X);
      Work.push_back(B->LHS.get());
      Work.push_back(B->RHS.get());
      break;
    }
    case Expr::EK_Call: {
      auto *C = llvm::cast<CallExpr>(X);
      if (C->B == Builtin::None)
        return false;
      for (const Arg &A : C->Args)
        Work.push_back(A.Value.get());
      break;
    }
    case Expr::EK_If: {
      auto *I = llvm::cast<IfExpr>(X);
      Work.push_back(I->Cond.get());
      Work.push_back(I->Then.get());
      Work.push_back(I->Else.get());
      break;
    }
    case Expr::EK_Tuple:
      for (const ExprPtr &C : llvm::cast<TupleExpr>(X)->Elements)
        Work.push_back(C.get());
      break;
    case Expr::EK_TensorLit:
      for (const ExprPtr &C : llvm::cast<TensorLitExpr>(X)->Elements)
        Work.push_back(C.get());
      break;
    case Expr::EK_Index: // issue 12, tensorops
      Work.push_back(llvm::cast<IndexExpr>(X)->Base.get());
      break;
    }
  }
  return true;
}

llvm::StringRef sema::getMixConversion(const Expr &L, const Expr &R) {
  // Converting the value the user wrote a type for would spread the
  // literal's f64 into the model; convert towards it instead (f32 for an
  // f32 model). Between two values, f64 loses nothing.
  bool LitL = isLiteralOnly(L), LitR = isLiteralOnly(R);
  if (LitL != LitR)
    return getElementKindName((LitL ? R : L).Ty.Elem);
  return "f64";
}

/// The scalar type a literal should take next to a value of type \p T.
static const Type *literalHint(const Type &T, Type &Storage) {
  if (!T.isValid() || !isNumeric(T))
    return nullptr;
  Storage = T.getElementType();
  return &Storage;
}

Type sema::substituteType(const Type &T, const DimSubstitution &S) {
  if (T.isTuple()) {
    std::vector<Type> Elts;
    for (const Type &E : T.Elements)
      Elts.push_back(substituteType(E, S));
    return Type::tuple(std::move(Elts));
  }
  if (!T.isTensor() || S.empty())
    return T;
  return Type::tensor(T.Elem, substitute(T.Dims, S));
}

void sema::collectTypeDims(const Type &T, std::vector<std::string> &Out) {
  for (const Type &E : T.Elements)
    collectTypeDims(E, Out);
  for (const Dim &D : T.Dims)
    for (const std::string &V : D.Vars)
      if (!llvm::is_contained(Out, V))
        Out.push_back(V);
}

static const char *convertName(ElementKind K) {
  return getElementKindName(K).data();
}

bool Checker::coerce(ExprPtr &E, const Type &To, llvm::StringRef What) {
  const Type &From = E->Ty;
  if (From == To)
    return true;
  if (From.isTuple() && To.isTuple() &&
      From.Elements.size() == To.Elements.size()) {
    if (auto *T = llvm::dyn_cast<TupleExpr>(E.get())) {
      bool OK = true;
      for (size_t I = 0; I < T->Elements.size(); ++I)
        OK &= coerce(T->Elements[I], To.Elements[I], What);
      if (OK)
        T->Ty = To;
      return OK;
    }
  }
  // Conversions keep the shape: an integer becomes a float, i32 widens.
  bool SameShape = From.isLeaf() && To.isLeaf() && From.Dims == To.Dims;
  bool Implicit = false;
  if (SameShape && From.isInt() && To.isFloat())
    Implicit = true;
  if (SameShape && From.Elem == ElementKind::I32 &&
      To.Elem == ElementKind::I64)
    Implicit = true;
  if (!Implicit) {
    if (SameShape && To.Elem != ElementKind::Bool)
      Diags.report(E->getRange(), DiagID::err_no_implicit_conversion, What,
                   From.str(), To.str(), convertName(To.Elem));
    else
      Diags.report(E->getRange(), DiagID::err_wrong_type, What, From.str(),
                   To.str());
    return false;
  }
  llvm::SMRange R = E->getRange();
  auto Callee = std::make_unique<NameExpr>(R, convertName(To.Elem));
  Callee->Ref = NameExpr::BuiltinFn;
  Builtin B = lookupBuiltin(convertName(To.Elem));
  Callee->B = B;
  std::vector<Arg> Args;
  Args.push_back(Arg{"", {}, std::move(E)});
  auto Call = std::make_unique<CallExpr>(R, std::move(Callee), std::move(Args));
  Call->B = B;
  Call->Ty = To;
  E = std::move(Call);
  return true;
}

Type Checker::checkExpr(Expr &E, const Type *Expected) {
  // Expressions nest as deep as the input: continue on a fresh stack when
  // this one runs out (a library user may be on a small one).
  if (isStackNearlyExhausted())
    return continueOnNewStack([&] { return checkExpr(E, Expected); });
  Type T;
  switch (E.getKind()) {
  case Expr::EK_Number: {
    // An integer-spelled literal takes any numeric type its context asks
    // for; one written with a fraction or exponent only a float type.
    auto &N = llvm::cast<NumberExpr>(E);
    T = Type::scalar(ElementKind::F64);
    if (Expected && (Expected->isFloat() || (Expected->isInt() && N.IsInteger)))
      T = Expected->getElementType();
    if (T.isScalar() && T.Elem == ElementKind::I32 &&
        N.IntValue > std::numeric_limits<int32_t>::max()) {
      Diags.report(E.getRange(), DiagID::err_int_literal_range, N.Spelling,
                   T.str());
      T = Type();
    }
    break;
  }
  case Expr::EK_Bool:
    T = Type::scalar(ElementKind::Bool);
    break;
  case Expr::EK_Name:
    T = checkName(llvm::cast<NameExpr>(E));
    break;
  case Expr::EK_Unary:
    T = checkUnary(llvm::cast<UnaryExpr>(E), Expected);
    break;
  case Expr::EK_Binary:
    T = checkBinary(llvm::cast<BinaryExpr>(E), Expected);
    break;
  case Expr::EK_Call:
    T = checkCall(llvm::cast<CallExpr>(E), Expected);
    break;
  case Expr::EK_If:
    T = checkIf(llvm::cast<IfExpr>(E), Expected);
    break;
  case Expr::EK_Tuple:
    T = checkTuple(llvm::cast<TupleExpr>(E), Expected);
    break;
  case Expr::EK_Member:
    T = checkMember(llvm::cast<MemberExpr>(E));
    break;
  case Expr::EK_TensorLit:
    T = checkTensorLiteral(llvm::cast<TensorLitExpr>(E), Expected);
    break;
  case Expr::EK_Index: // issue 12, tensorops
    T = checkIndex(llvm::cast<IndexExpr>(E));
    break;
  }
  // Every tensor an expression makes is checked in bytes here, once, so
  // no size that overflows reaches code generation (rand(s, [2^60]) is
  // an f64 tensor of 2^63 bytes).
  if (!checkByteSize(T, E.getRange()))
    T = Type();
  E.Ty = T;
  return T;
}

Type Checker::checkName(NameExpr &E) {
  if (const Local *L = Names.lookup(E.Name)) {
    E.Ref = L->IsParam ? NameExpr::Param : NameExpr::Local;
    E.Index = L->Index;
    return L->Ty;
  }
  // A dimension is an i64 value: `sum(x) / N`.
  if (isDimInScope(E.Name)) {
    E.Ref = NameExpr::DimVar;
    return Type::scalar(ElementKind::I64);
  }
  if (CurLayer) {
    int M = CurLayer->findMember(E.Name);
    if (M >= 0) {
      const LayerMember &LM = CurLayer->Members[M];
      if (LM.TheKind == LayerMember::Param ||
          LM.TheKind == LayerMember::State) {
        bool IsState = LM.TheKind == LayerMember::State;
        if (InInitializer) {
          Diags.report(E.getRange(), DiagID::err_init_expr,
                       (IsState ? "the state member '" : "the parameter '") +
                           E.Name + "'");
          return Type();
        }
        if (static_cast<size_t>(M) >= CurLayer->ParamTypes.size() ||
            !CurLayer->ParamTypes[M].isValid())
          return Type();
        E.Ref = IsState ? NameExpr::LayerState : NameExpr::LayerParam;
        E.Index = M;
        return CurLayer->ParamTypes[M];
      }
      Diags.report(E.getRange(), DiagID::err_function_as_value, E.Name);
      return Type();
    }
  }
  // The mode of a layer's methods (issue 12): an implicit bool argument.
  if (E.Name == "training" && !lookupDecl(E.Name)) {
    if (!CurLayer || !CurFn || CurFn->Owner != CurLayer || InInitializer) {
      Diags.report(E.getRange(), DiagID::err_training_outside_layer);
      return Type();
    }
    CurLayer->UsesTraining = true;
    E.Ref = NameExpr::Training;
    return Type::scalar(ElementKind::Bool);
  }
  if (Decl *D = lookupDecl(E.Name)) {
    if (llvm::isa<FnDecl>(D) || llvm::isa<DerivedFnDecl>(D))
      Diags.report(E.getRange(), DiagID::err_function_as_value, E.Name);
    else if (llvm::isa<LetDecl>(D))
      Diags.report(E.getRange(), DiagID::err_layer_as_value, E.Name);
    else
      Diags.report(E.getRange(), DiagID::err_function_as_value, E.Name);
    return Type();
  }
  if (isFailedDecl(E.Name))
    return Type();
  if (lookupBuiltin(E.Name) != Builtin::None) {
    Diags.report(E.getRange(), DiagID::err_builtin_as_value, E.Name);
    return Type();
  }
  Diags.report(E.getRange(), DiagID::err_unknown_name, E.Name);
  return Type();
}

Type Checker::checkUnary(UnaryExpr &E, const Type *Expected) {
  if (E.Op == UnaryOp::Not) {
    Type T = checkExpr(*E.Operand, nullptr);
    if (!T.isValid())
      return T;
    if (!T.isBoolLeaf()) {
      Diags.report(E.Operand->getRange(), DiagID::err_expected_type, "'!'",
                   "'bool'", T.str());
      return Type();
    }
    return T;
  }
  Type T = checkExpr(*E.Operand, Expected);
  if (!T.isValid())
    return T;
  if (!isNumeric(T)) {
    Diags.report(E.Operand->getRange(), DiagID::err_expected_type,
                 "unary '-'", "a number", T.str());
    return Type();
  }
  return T;
}

Type Checker::unifyOperands(ExprPtr &L, ExprPtr &R, const Type *Expected,
                            llvm::StringRef What, llvm::SMRange Where) {
  // Type the side that is not a bare literal first, so the literal adapts
  // to its element type.
  Type TL, TR, Hint;
  const Type *ExpElem = Expected ? literalHint(*Expected, Hint) : nullptr;
  Type ExpStorage = ExpElem ? *ExpElem : Type();
  if (ExpElem)
    ExpElem = &ExpStorage;
  if (isUntypedLiteral(*L) && !isUntypedLiteral(*R)) {
    TR = checkExpr(*R, ExpElem);
    const Type *H = literalHint(TR, Hint);
    TL = checkExpr(*L, H ? H : ExpElem);
  } else {
    TL = checkExpr(*L, ExpElem);
    const Type *H = literalHint(TL, Hint);
    TR = checkExpr(*R, H ? H : ExpElem);
  }
  if (!TL.isValid() || !TR.isValid())
    return Type();
  if (TL == TR)
    return TL;
  if (!TL.isLeaf() || !TR.isLeaf()) {
    Diags.report(Where, DiagID::err_type_mismatch, What, TL.str(), TR.str());
    return Type();
  }
  // NumPy broadcasting: trailing dimensions align, a 1 stretches.
  std::optional<Shape> Common = getBroadcastShape(TL.Dims, TR.Dims);
  if (!Common) {
    Diags.report(Where, DiagID::err_shape_mismatch, What, TL.str(), TR.str());
    return Type();
  }
  if (TL.Elem == TR.Elem)
    return Type::tensor(TL.Elem, std::move(*Common));
  // The wider of two numbers: a float over an integer, i64 over i32.
  auto Rank = [](const Type &T) {
    switch (T.Elem) {
    case ElementKind::Bool: return 0;
    case ElementKind::I32: return 1;
    case ElementKind::I64: return 2;
    case ElementKind::F32: return 3;
    case ElementKind::F64: return 3;
    }
    return 0;
  };
  if (TL.isFloat() && TR.isFloat()) {
    Diags.report(Where, DiagID::err_float_mix, What, TL.str(), TR.str(),
                 getMixConversion(*L, *R));
    return Type();
  }
  if (TL.isBoolLeaf() || TR.isBoolLeaf()) {
    Diags.report(Where, DiagID::err_type_mismatch, What, TL.str(), TR.str());
    return Type();
  }
  bool LeftWider = Rank(TL) >= Rank(TR);
  ElementKind Elem = LeftWider ? TL.Elem : TR.Elem;
  ExprPtr &Narrow = LeftWider ? R : L;
  if (!coerce(Narrow, Narrow->Ty.withElementKind(Elem), What))
    return Type();
  return Type::tensor(Elem, std::move(*Common));
}

Type Checker::checkBinary(BinaryExpr &E, const Type *Expected) {
  llvm::SMRange OpRange(E.OpLoc, E.OpLoc);
  std::string What = ("'" + getBinaryOpSpelling(E.Op) + "'").str();
  switch (E.Op) {
  case BinaryOp::MatMul:
    return checkMatMul(E);
  case BinaryOp::And:
  case BinaryOp::Or: {
    Type TL = checkExpr(*E.LHS, nullptr);
    Type TR = checkExpr(*E.RHS, nullptr);
    if (!TL.isValid() || !TR.isValid())
      return Type();
    for (Expr *Side : {E.LHS.get(), E.RHS.get()})
      if (!Side->Ty.isBoolLeaf()) {
        Diags.report(Side->getRange(), DiagID::err_expected_type, What,
                     "'bool'", Side->Ty.str());
        return Type();
      }
    std::optional<Shape> S = getBroadcastShape(TL.Dims, TR.Dims);
    if (!S) {
      Diags.report(OpRange, DiagID::err_shape_mismatch, What, TL.str(),
                   TR.str());
      return Type();
    }
    return Type::tensor(ElementKind::Bool, std::move(*S));
  }
  case BinaryOp::Lt:
  case BinaryOp::Le:
  case BinaryOp::Gt:
  case BinaryOp::Ge:
  case BinaryOp::Eq:
  case BinaryOp::Ne: {
    Type T = unifyOperands(E.LHS, E.RHS, nullptr, What, OpRange);
    if (!T.isValid())
      return T;
    bool Equality = E.Op == BinaryOp::Eq || E.Op == BinaryOp::Ne;
    if (!T.isLeaf() || (!isNumeric(T) && !(Equality && T.isBoolLeaf()))) {
      Diags.report(OpRange, DiagID::err_expected_type, What, "numbers",
                   T.str());
      return Type();
    }
    return T.withElementKind(ElementKind::Bool);
  }
  case BinaryOp::Pow: {
    // A power is a float function: integer sides convert to the float side,
    // or to f64 when both are integers.
    const Type *Exp = Expected && Expected->isFloat() ? Expected : nullptr;
    Type T = unifyOperands(E.LHS, E.RHS, Exp, What, OpRange);
    if (!T.isValid())
      return T;
    if (T.isInt()) {
      if (!coerce(E.LHS, E.LHS->Ty.withElementKind(ElementKind::F64), What) ||
          !coerce(E.RHS, E.RHS->Ty.withElementKind(ElementKind::F64), What))
        return Type();
      return T.withElementKind(ElementKind::F64);
    }
    if (!T.isFloat()) {
      Diags.report(OpRange, DiagID::err_expected_type, What, "numbers",
                   T.str());
      return Type();
    }
    return T;
  }
  default: {
    Type T = unifyOperands(E.LHS, E.RHS, Expected, What, OpRange);
    if (!T.isValid())
      return T;
    if (!isNumeric(T)) {
      Diags.report(OpRange, DiagID::err_expected_type, What, "numbers",
                   T.str());
      return Type();
    }
    return T;
  }
  }
}

Type Checker::checkIf(IfExpr &E, const Type *Expected) {
  Type C = checkExpr(*E.Cond, nullptr);
  if (C.isValid() && !C.isBool()) {
    Diags.report(E.Cond->getRange(), DiagID::err_expected_type,
                 "the condition of 'if'",
                 C.isBoolLeaf() ? "a 'bool' scalar (use select(c, a, b) for "
                                  "tensors)"
                                : "'bool'",
                 C.str());
    C = Type();
  }
  Type T = unifyOperands(E.Then, E.Else, Expected, "'if'", E.getRange());
  if (!C.isValid())
    return Type();
  return T;
}

Type Checker::checkTuple(TupleExpr &E, const Type *Expected) {
  std::vector<Type> Elts;
  bool OK = true;
  for (size_t I = 0; I < E.Elements.size(); ++I) {
    const Type *Exp = nullptr;
    if (Expected && Expected->isTuple() &&
        Expected->Elements.size() == E.Elements.size())
      Exp = &Expected->Elements[I];
    Type T = checkExpr(*E.Elements[I], Exp);
    if (T.isValid() && Exp && T != *Exp) {
      if (coerce(E.Elements[I], *Exp, "this tuple element"))
        T = *Exp;
      else
        T = Type();
    }
    OK &= T.isValid();
    Elts.push_back(T);
  }
  return OK ? Type::tuple(std::move(Elts)) : Type();
}
