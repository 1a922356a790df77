//===- CheckCall.cpp - Types of calls -------------------------------------===//
//
// A call of a user function binds the callee's dimension variables to the
// arguments' dimensions, then compares each argument with its parameter
// (checkArgs); a call of a scalar built-in (math, select, convert) checks
// its own arity and types; the tensor built-ins and the reductions check
// theirs in CheckTensor.cpp. Apart from CheckExpr.cpp, which types the
// operators, names and literals a call's arguments are made of.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"

using namespace nnc;
using namespace nnc::sema;

bool Checker::checkArgs(CallExpr &E, llvm::StringRef Name,
                        const Signature &Sig) {
  for (const Arg &A : E.Args)
    if (!A.Name.empty()) {
      Diags.report(A.NameRange, DiagID::err_keyword_arg, Name, A.Name);
      return false;
    }
  if (E.Args.size() != Sig.ParamTypes.size()) {
    size_t N = Sig.ParamTypes.size();
    Diags.report(E.getRange(), DiagID::err_arity, Name, N, N == 1 ? "" : "s",
                 E.Args.size(), E.Args.size() == 1 ? "was" : "were");
    return false;
  }
  bool OK = true;
  // The callee's dimension variables take the arguments' dimensions: type
  // every argument, bind every plain variable, then compare, so the order
  // of the parameters does not matter (`f(x: f64[2*n], y: f64[n])`).
  DimSubstitution Dims;
  std::vector<bool> Typed(E.Args.size(), false);
  for (size_t I = 0; I < E.Args.size(); ++I) {
    const Type &P = Sig.ParamTypes[I];
    Type T = checkExpr(*E.Args[I].Value, &P);
    if (!T.isValid()) {
      OK = false;
      continue;
    }
    std::string What = "argument '" + Sig.ParamNames[I] + "'";
    if (P.isLeaf() && T.isLeaf() && T.Elem != P.Elem) {
      if (!coerce(E.Args[I].Value, T.withElementKind(P.Elem), What)) {
        OK = false;
        continue;
      }
      T = E.Args[I].Value->Ty;
    }
    Typed[I] = true;
    if (!P.isTensor() || !T.isLeaf() || T.getRank() != P.getRank())
      continue;
    for (unsigned D = 0; D < P.getRank(); ++D) {
      const Dim &F = P.Dims[D];
      if (F.Factor != 1 || F.Vars.size() != 1 ||
          !llvm::is_contained(Sig.Bindable, F.Vars[0]))
        continue;
      if (llvm::none_of(Dims,
                        [&](const auto &B) { return B.first == F.Vars[0]; }))
        Dims.emplace_back(F.Vars[0], T.Dims[D]);
    }
  }
  // A variable seen only scaled (`f64[2*n]` given `f64[6]`) is bound by
  // division, as entry points do at run time.
  for (size_t I = 0; I < E.Args.size(); ++I) {
    const Type &P = Sig.ParamTypes[I];
    const Type &T = E.Args[I].Value->Ty;
    if (!Typed[I] || !P.isTensor() || !T.isLeaf() ||
        T.getRank() != P.getRank())
      continue;
    for (unsigned D = 0; D < P.getRank(); ++D) {
      const Dim &F = P.Dims[D];
      const Dim &A = T.Dims[D];
      if (F.Factor <= 1 || F.Vars.size() != 1 || !A.isConstant() ||
          A.Factor % F.Factor != 0 ||
          !llvm::is_contained(Sig.Bindable, F.Vars[0]) ||
          llvm::any_of(Dims,
                       [&](const auto &B) { return B.first == F.Vars[0]; }))
        continue;
      Dims.emplace_back(F.Vars[0], Dim::constant(A.Factor / F.Factor));
    }
  }
  for (size_t I = 0; I < E.Args.size(); ++I) {
    if (!Typed[I])
      continue;
    const Type &T = E.Args[I].Value->Ty;
    Type Want = substituteType(Sig.ParamTypes[I], Dims);
    if (T != Want) {
      Diags.report(E.Args[I].Value->getRange(), DiagID::err_arg_shape,
                   Sig.ParamNames[I], T.str(), Name, Want.str());
      OK = false;
    }
  }
  LastCallDims = std::move(Dims);
  return OK;
}

Type Checker::checkCall(CallExpr &E, const Type *Expected) {
  // An initializer is computed element by element: no user functions,
  // methods or tensor built-ins.
  if (InInitializer) {
    auto *N = llvm::dyn_cast<NameExpr>(E.Callee.get());
    Builtin B = N ? lookupBuiltin(N->Name) : Builtin::None;
    BuiltinFamily Fam = getBuiltinFamily(B);
    bool Allowed = B != Builtin::None && !lookupDecl(N->Name) &&
                   !(CurLayer && CurLayer->findMember(N->Name) >= 0) &&
                   (Fam == BuiltinFamily::Math1 || Fam == BuiltinFamily::Math2 ||
                    Fam == BuiltinFamily::Select ||
                    Fam == BuiltinFamily::Convert ||
                    B == Builtin::Randn || B == Builtin::Rand) &&
                   !llvm::any_of(E.Args,
                                 [](const Arg &A) { return !A.Name.empty(); });
    if (!Allowed) {
      Diags.report(E.Callee->getRange(), DiagID::err_init_expr,
                   "this call");
      return Type();
    }
  }
  // A builtin, unless a parameter, a local or a user function of that name
  // hides it.
  if (auto *N = llvm::dyn_cast<NameExpr>(E.Callee.get())) {
    if (Names.lookup(N->Name)) {
      Diags.report(N->getRange(), DiagID::err_not_a_function, N->Name);
      for (Arg &A : E.Args)
        checkExpr(*A.Value, nullptr);
      return Type();
    }
    bool IsMember = CurLayer && CurLayer->findMember(N->Name) >= 0;
    if (!lookupDecl(N->Name) && !IsMember && isFailedDecl(N->Name)) {
      // The arguments' own errors are independent of the failed callee.
      for (Arg &A : E.Args)
        checkExpr(*A.Value, nullptr);
      return Type();
    }
    if (!lookupDecl(N->Name) && !IsMember) {
      Builtin B = lookupBuiltin(N->Name);
      if (B != Builtin::None) {
        N->Ref = NameExpr::BuiltinFn;
        N->B = B;
        E.B = B;
        return checkBuiltinCall(E, B, Expected);
      }
      Diags.report(N->getRange(), DiagID::err_unknown_function, N->Name);
      suggestFunction(N->Name, N->getRange());
      for (Arg &A : E.Args)
        checkExpr(*A.Value, nullptr);
      return Type();
    }
  }
  FunctionRef Ref = resolveFunction(*E.Callee);
  if (!Ref.isValid()) {
    for (Arg &A : E.Args)
      checkExpr(*A.Value, nullptr);
    return Type();
  }
  // The REPL's wrapper holds the instance's parameters (sessionParams).
  std::vector<unsigned> Mode;
  std::optional<std::vector<unsigned>> Implicit = getSessionParams(Ref, Mode);
  if (Ref.Instance && !Implicit) {
    Diags.report(E.Callee->getRange(), DiagID::err_instance_in_fn,
                 Ref.Instance->Name);
    return Type();
  }
  Signature Sig;
  if (!getSignature(Ref, Sig, E.Callee->getRange()))
    return Type();
  if (Implicit) {
    // The call's own arguments are the method's: the parameters come
    // first, the mode after the method's own arguments (a transform's
    // follow them: vjp's cotangent).
    const FunctionRef *Root = &Ref;
    while (!Root->Fn && Root->Derived)
      Root = &Root->Derived->Of;
    unsigned Own = Root->Fn ? Root->Fn->Params.size() : 0;
    unsigned ModeAt = Implicit->size() + Own;
    if (ModeAt + Mode.size() > Sig.ParamNames.size())
      return Type();
    Sig.ParamNames.erase(Sig.ParamNames.begin() + ModeAt,
                         Sig.ParamNames.begin() + ModeAt + Mode.size());
    Sig.ParamTypes.erase(Sig.ParamTypes.begin() + ModeAt,
                         Sig.ParamTypes.begin() + ModeAt + Mode.size());
    Sig.ParamNames.erase(Sig.ParamNames.begin(),
                         Sig.ParamNames.begin() + Implicit->size());
    Sig.ParamTypes.erase(Sig.ParamTypes.begin(),
                         Sig.ParamTypes.begin() + Implicit->size());
    E.ImplicitArgs = std::move(*Implicit);
    E.ModeArgs = std::move(Mode);
    E.ModeArgsAt = Own;
  }
  E.Target = Ref;
  if (CurFn)
    (InRule ? RuleCalls : BodyCalls)[CurFn].push_back({Ref, E.getRange()});
  if (!checkArgs(E, Ref.key(), Sig))
    return Type();
  return substituteType(Sig.Result, LastCallDims);
}

Type Checker::checkBuiltinCall(CallExpr &E, Builtin B, const Type *Expected) {
  llvm::StringRef Name = getBuiltinName(B);
  BuiltinFamily Family = getBuiltinFamily(B);
  if (Family == BuiltinFamily::Tensor || Family == BuiltinFamily::Init)
    return checkTensorBuiltin(E, B, Expected);
  // `max(x, axis=1)` and `max(x)` reduce; `max(x, y)` compares.
  if ((B == Builtin::Max || B == Builtin::Min) &&
      (E.Args.size() == 1 ||
       llvm::any_of(E.Args, [](const Arg &A) { return !A.Name.empty(); })))
    return checkReduction(E, B);
  if (Family == BuiltinFamily::Derive) {
    // `grad(f)` alone is a function, not a value.
    FunctionRef Ref = resolveDerive(E);
    if (Ref.isValid())
      Diags.report(E.getRange(), DiagID::err_function_as_value, Ref.key());
    return Type();
  }
  for (const Arg &A : E.Args)
    if (!A.Name.empty()) {
      Diags.report(A.NameRange, DiagID::err_keyword_arg, Name, A.Name);
      return Type();
    }
  size_t Want = Family == BuiltinFamily::Math2 ? 2
                : Family == BuiltinFamily::Select ? 3
                                                  : 1;
  if (E.Args.size() != Want) {
    Diags.report(E.getRange(), DiagID::err_arity, Name, Want,
                 Want == 1 ? "" : "s", E.Args.size(),
                 E.Args.size() == 1 ? "was" : "were");
    for (Arg &A : E.Args)
      checkExpr(*A.Value, nullptr);
    return Type();
  }
  std::string What = ("'" + Name + "'").str();
  switch (Family) {
  case BuiltinFamily::Math1: {
    const Type *Exp = Expected && Expected->isFloat() ? Expected : nullptr;
    Type T = checkExpr(*E.Args[0].Value, Exp);
    if (!T.isValid())
      return T;
    bool IntOK = B == Builtin::Abs || B == Builtin::Relu ||
                 B == Builtin::Sign;
    if (T.isInt() && !IntOK) {
      // An integer argument of a float function converts to f64.
      Type F64 = T.withElementKind(ElementKind::F64);
      if (!coerce(E.Args[0].Value, F64, What))
        return Type();
      return F64;
    }
    if (!isNumeric(T)) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   What, "a number", T.str());
      return Type();
    }
    return T;
  }
  case BuiltinFamily::Math2: {
    Type T = unifyOperands(E.Args[0].Value, E.Args[1].Value, Expected, What,
                           E.getRange());
    if (!T.isValid())
      return T;
    if (!isNumeric(T)) {
      Diags.report(E.getRange(), DiagID::err_expected_type, What, "numbers",
                   T.str());
      return Type();
    }
    if (B == Builtin::Pow && T.isInt()) {
      for (size_t I = 0; I < 2; ++I)
        if (!coerce(E.Args[I].Value,
                    E.Args[I].Value->Ty.withElementKind(ElementKind::F64),
                    What))
          return Type();
      return T.withElementKind(ElementKind::F64);
    }
    return T;
  }
  case BuiltinFamily::Select: {
    Type C = checkExpr(*E.Args[0].Value, nullptr);
    if (C.isValid() && !C.isBoolLeaf()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   "the condition of " + What, "'bool'", C.str());
      C = Type();
    }
    Type T = unifyOperands(E.Args[1].Value, E.Args[2].Value, Expected, What,
                           E.getRange());
    if (!C.isValid() || !T.isValid())
      return Type();
    if (T.isTuple() && C.isScalar())
      return T;
    std::optional<Shape> S = getBroadcastShape(C.Dims, T.Dims);
    if (!T.isLeaf() || !S) {
      Diags.report(E.getRange(), DiagID::err_shape_mismatch, What, C.str(),
                   T.str());
      return Type();
    }
    return Type::tensor(T.Elem, std::move(*S));
  }
  case BuiltinFamily::Convert: {
    Type T = checkExpr(*E.Args[0].Value, nullptr);
    if (!T.isValid())
      return T;
    if (!T.isLeaf()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_expected_type,
                   What, "a scalar or a tensor", T.str());
      return Type();
    }
    return T.withElementKind(*parseElementKind(Name));
  }
  default:
    return Type();
  }
}
