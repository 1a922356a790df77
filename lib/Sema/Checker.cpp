//===- Checker.cpp - Declarations, bodies and their order -----------------===//
//
// Functions may be used before they are defined, so a function is checked
// on demand when first called: a call to a function whose check is still in
// progress is a recursive call, which the language forbids (a body has no
// control flow, so recursion could never end).
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include "nnc/Sema/Sema.h"

using namespace nnc;
using namespace nnc::sema;

bool nnc::checkModule(Module &M, DiagnosticEngine &Diags,
                      const SemaOptions &Opts) {
  unsigned ErrorsBefore = Diags.getNumErrors();
  DiagnosticEngine::Deferral InSourceOrder(Diags);
  Checker C(M, Diags);
  C.run();
  sema::checkExportedSymbols(M, Diags, Opts);
  return Diags.getNumErrors() == ErrorsBefore;
}

Decl *Checker::lookupDecl(llvm::StringRef Name) const {
  auto It = Decls.find(Name);
  return It == Decls.end() ? nullptr : It->second;
}

void Checker::suggestFunction(llvm::StringRef Name, llvm::SMRange Range) {
  // At most a third of the name's letters wrong (one for short names): a
  // guess further off misleads more than it helps.
  unsigned Best = std::max<size_t>(1, Name.size() / 3) + 1;
  std::string Choice;
  auto Consider = [&](llvm::StringRef Candidate) {
    unsigned D = Name.edit_distance(Candidate, /*AllowReplacements=*/true,
                                    /*MaxEditDistance=*/Best);
    if (D < Best) {
      Best = D;
      Choice = Candidate.str();
    }
  };
  for (const auto &[Key, D] : Decls)
    if (llvm::isa<FnDecl>(D) || llvm::isa<DerivedFnDecl>(D))
      Consider(Key);
#define BUILTIN(Id, Spelling, Family) Consider(Spelling);
#include "nnc/AST/Builtins.def"
  if (!Choice.empty())
    Diags.report(Range, DiagID::note_did_you_mean, Choice);
}

void Checker::collectDecls() {
  for (DeclPtr &D : M.Decls) {
    auto [It, Inserted] = Decls.try_emplace(D->Name, D.get());
    if (!Inserted) {
      Diags.report(D->NameRange, DiagID::err_redefinition, D->Name);
      Diags.report(It->second->NameRange, DiagID::note_previous_definition);
      continue;
    }
    States[D.get()] = State::Unchecked;
  }
  for (const std::string &Name : M.FailedDecls)
    if (!lookupDecl(Name))
      FailedDecls.insert(Name);
}

bool Checker::run() {
  collectDecls();
  for (DeclPtr &D : M.Decls) {
    if (Diags.isSaturated())
      break;
    if (auto *F = llvm::dyn_cast<FnDecl>(D.get())) {
      if (lookupDecl(F->Name) == F)
        ensureChecked(*F, F->NameRange);
    } else if (auto *DD = llvm::dyn_cast<DerivedFnDecl>(D.get())) {
      if (lookupDecl(DD->Name) == DD && States[DD] == State::Unchecked)
        checkDerivedDecl(*DD);
    } else if (auto *L = llvm::dyn_cast<LayerDecl>(D.get())) {
      if (lookupDecl(L->Name) == L)
        checkLayer(*L);
    } else if (auto *LD = llvm::dyn_cast<LetDecl>(D.get())) {
      if (lookupDecl(LD->Name) == LD)
        checkInstance(*LD);
    }
  }
  return !Diags.hasErrors();
}

bool Checker::resolveTypeSyntax(const TypeSyntax &TS, Type &Out,
                                bool Introduce) {
  if (TS.IsTuple) {
    std::vector<Type> Elts;
    for (const TypeSyntax &E : TS.Elements) {
      Type T;
      if (!resolveTypeSyntax(E, T, Introduce))
        return false;
      Elts.push_back(T);
    }
    Out = Type::tuple(std::move(Elts));
    return true;
  }
  std::optional<ElementKind> K = parseElementKind(TS.Name);
  if (!K) {
    Diags.report(TS.Range, DiagID::err_unknown_type, TS.Name);
    return false;
  }
  Shape Dims;
  for (const DimSyntax &D : TS.Dims) {
    Dim Product = Dim::constant(1);
    for (const DimSyntax::Factor &F : D.Factors) {
      if (F.Name.empty()) {
        if (F.Size == 0 && D.Factors.size() > 1) {
          // 0*n would bind n to nothing.
          Diags.report(D.Range, DiagID::err_dim_expr);
          return false;
        }
        Product = Product * Dim::constant(F.Size);
        continue;
      }
      if (!isDimInScope(F.Name)) {
        if (!Introduce) {
          Diags.report(F.Range, DiagID::err_unbound_dim, F.Name);
          return false;
        }
        DimVars.push_back(F.Name);
      }
      Product = Product * Dim::var(F.Name);
    }
    Dims.push_back(Product);
  }
  if (!getNumElements(Dims).isValid()) {
    Diags.report(TS.Range, DiagID::err_dim_too_large);
    return false;
  }
  Out = Type::tensor(*K, std::move(Dims));
  return checkByteSize(Out, TS.Range);
}

bool Checker::checkByteSize(const Type &T, llvm::SMRange Range) {
  if (!T.isTensor() || getByteSize(T.Elem, T.Dims).isValid())
    return true;
  Diags.report(Range, DiagID::err_tensor_too_large, T.str());
  return false;
}

bool Checker::ensureChecked(FnDecl &F, llvm::SMRange UseRange) {
  State &S = States[&F];
  switch (S) {
  case State::Checked:
    return true;
  case State::Failed:
    return false;
  case State::InProgress:
    Diags.report(UseRange, DiagID::err_recursion, F.Name);
    return false;
  case State::Unchecked:
    break;
  }
  S = State::InProgress;
  // A call from inside another body checks the callee first: keep the
  // caller's scope aside meanwhile.
  Scope SavedScope = std::move(Names);
  std::vector<Type> *SavedLocals = CurLocals;
  const FnDecl *SavedFn = CurFn;
  bool SavedInRule = InRule;
  std::vector<std::string> SavedDims = std::move(DimVars);
  const LayerDecl *SavedLayer = CurLayer;
  unsigned ErrorsBefore = Diags.getNumErrors();
  CurFn = &F;
  InRule = false;
  CurLayer = F.Owner;
  DimVars.clear();
  checkFunction(F);
  Names = std::move(SavedScope);
  CurLocals = SavedLocals;
  bool OK = Diags.getNumErrors() == ErrorsBefore && F.Result.isValid();
  States[&F] = OK ? State::Checked : State::Failed;
  // The backward rule may call the function itself: check it once the
  // function is usable.
  if (OK && F.Backward) {
    SavedScope = std::move(Names);
    SavedLocals = CurLocals;
    CurFn = &F;
    InRule = true;
    checkBackward(F);
    Names = std::move(SavedScope);
    CurLocals = SavedLocals;
    CurLayer = F.Owner;
    if (Diags.getNumErrors() == ErrorsBefore)
      checkRuleDoesNotUseOwnDerivative(F);
    if (Diags.getNumErrors() != ErrorsBefore) {
      States[&F] = State::Failed;
      OK = false;
    }
  }
  CurFn = SavedFn;
  InRule = SavedInRule;
  DimVars = std::move(SavedDims);
  CurLayer = SavedLayer;
  return OK;
}

void Checker::checkRuleDoesNotUseOwnDerivative(const FnDecl &F) {
  for (const CallSite &C : RuleCalls.lookup(&F)) {
    llvm::StringSet<> Seen;
    if (reachesDerivativeOf(C.Target, F, Seen)) {
      Diags.report(C.Range, DiagID::err_rule_uses_own_derivative, F.Name,
                   C.Target.key());
      return;
    }
  }
}

bool Checker::reachesDerivativeOf(const FunctionRef &Ref, const FnDecl &F,
                                  llvm::StringSet<> &Seen) {
  if (!Seen.insert(Ref.key()).second)
    return false;
  if (Ref.Derived) {
    // Follow grad(grad(f)) down to the function it derives.
    const FunctionRef *Base = &Ref.Derived->Of;
    while (Base->Derived)
      Base = &Base->Derived->Of;
    if (Base->Fn == &F)
      return true;
    return reachesDerivativeOf(Ref.Derived->Of, F, Seen);
  }
  if (!Ref.Fn)
    return false;
  for (const auto *Calls : {&BodyCalls, &RuleCalls})
    for (const CallSite &C : Calls->lookup(Ref.Fn))
      if (reachesDerivativeOf(C.Target, F, Seen))
        return true;
  return false;
}

void Checker::checkFunction(FnDecl &F) {
  Names.clear();
  llvm::StringMap<llvm::SMRange> Seen;
  bool ParamsOK = true;
  for (unsigned I = 0; I < F.Params.size(); ++I) {
    Param &P = F.Params[I];
    if (!Seen.try_emplace(P.Name, P.Range).second) {
      Diags.report(P.Range, DiagID::err_redefinition, P.Name);
      Diags.report(Seen[P.Name], DiagID::note_previous_definition);
      ParamsOK = false;
    }
    P.Ty = Type::scalar(ElementKind::F64);
    if (P.DeclaredType) {
      if (!resolveTypeSyntax(*P.DeclaredType, P.Ty, /*Introduce=*/true)) {
        ParamsOK = false;
        P.Ty = Type();
      } else if (P.Ty.isTuple()) {
        Diags.report(P.DeclaredType->Range, DiagID::err_tuple_param);
        ParamsOK = false;
      }
    }
    Names.push_back({P.Name, P.Ty, true, I});
  }
  // A name is a value or a dimension, never both.
  for (const Param &P : F.Params)
    if (isDimInScope(P.Name)) {
      Diags.report(P.Range, DiagID::err_dim_param_clash, P.Name);
      ParamsOK = false;
    }
  Type Declared;
  bool HasDeclared = false;
  if (F.DeclaredResult) {
    HasDeclared = resolveTypeSyntax(*F.DeclaredResult, Declared);
    if (!HasDeclared)
      ParamsOK = false;
  }
  F.LocalTypes.clear();
  CurLocals = &F.LocalTypes;
  Type Result = checkBody(F.Body, F.NameRange,
                          HasDeclared ? &Declared : nullptr, F.LocalTypes);
  if (!ParamsOK)
    return;
  F.Result = HasDeclared ? Declared : Result;
  if (!Result.isValid())
    F.Result = Type();
}

Type Checker::checkBody(std::vector<Stmt> &Body, llvm::SMRange FnRange,
                        const Type *Expected, std::vector<Type> &LocalTypes) {
  Type Result;
  bool Returned = false;
  bool OK = true;
  for (Stmt &S : Body) {
    if (Diags.isSaturated())
      return Type();
    if (Returned) {
      Diags.report(S.Range, DiagID::err_code_after_return);
      return Type();
    }
    if (!S.Value) {
      OK = false;
      continue;
    }
    if (S.TheKind == Stmt::Return) {
      Returned = true;
      Result = checkExpr(*S.Value, Expected);
      if (!Result.isValid()) {
        OK = false;
        continue;
      }
      if (Expected && Result != *Expected) {
        if (!coerce(S.Value, *Expected, "the returned value"))
          OK = false;
        Result = *Expected;
      }
      continue;
    }
    if (S.TheKind == Stmt::Assign) {
      // `mean = ...;` rebinds a state member of the method's layer; the
      // method then returns its new value too (issue 12).
      int M = CurLayer && CurFn && CurFn->Owner == CurLayer
                  ? CurLayer->findMember(S.Name)
                  : -1;
      if (M < 0 || CurLayer->Members[M].TheKind != LayerMember::State ||
          Names.lookup(S.Name)) {
        Diags.report(S.NameRange, DiagID::err_assign_not_state, S.Name);
        checkExpr(*S.Value, nullptr);
        OK = false;
        continue;
      }
      const Type &Want = CurLayer->ParamTypes[M];
      if (!Want.isValid()) {
        OK = false;
        continue;
      }
      Type T = checkExpr(*S.Value, &Want);
      if (!T.isValid() ||
          (T != Want &&
           !coerce(S.Value, Want, "the assignment to '" + S.Name + "'")))
        OK = false;
      S.Member = M;
      continue;
    }
    Type Declared;
    bool HasDeclared =
        S.DeclaredType && resolveTypeSyntax(*S.DeclaredType, Declared);
    if (S.DeclaredType && !HasDeclared)
      OK = false;
    Type T = checkExpr(*S.Value, HasDeclared ? &Declared : nullptr);
    if (T.isValid() && HasDeclared && T != Declared) {
      if (!coerce(S.Value, Declared, "this 'let'"))
        OK = false;
      T = Declared;
    }
    if (!T.isValid())
      OK = false;
    if (isDimInScope(S.Name)) {
      Diags.report(S.NameRange, DiagID::err_dim_param_clash, S.Name);
      OK = false;
    }
    // A later `let` of the same name shadows the earlier one.
    unsigned Index = LocalTypes.size();
    LocalTypes.push_back(T);
    Names.push_back({S.Name, T, false, Index});
  }
  if (!Returned) {
    Diags.report(FnRange, DiagID::err_missing_return);
    return Type();
  }
  return OK ? Result : Type();
}

void Checker::checkBackward(FnDecl &F) {
  BackwardRule &BR = *F.Backward;
  Names.clear();
  for (unsigned I = 0; I < F.Params.size(); ++I)
    Names.push_back({F.Params[I].Name, F.Params[I].Ty, true, I});
  Names.push_back({BR.GradName, F.Result, true,
                   static_cast<unsigned>(F.Params.size())});
  // One gradient per parameter: the parameter's own type, or a tuple.
  Type Expected;
  if (F.Params.size() == 1) {
    Expected = F.Params[0].Ty;
  } else {
    std::vector<Type> Elts;
    for (const Param &P : F.Params)
      Elts.push_back(P.Ty);
    Expected = Type::tuple(std::move(Elts));
  }
  std::vector<Type> Locals;
  CurLocals = &Locals;
  // Check the returned arity first for a precise message.
  for (Stmt &S : BR.Body) {
    if (S.TheKind != Stmt::Return || !S.Value)
      continue;
    unsigned Got = 1;
    if (auto *T = llvm::dyn_cast<TupleExpr>(S.Value.get()))
      Got = T->Elements.size();
    if (Got != F.Params.size()) {
      Diags.report(S.Value->getRange(), DiagID::err_backward_arity, F.Name,
                   F.Params.size(), F.Params.size() == 1 ? "" : "s", Got);
      return;
    }
  }
  checkBody(BR.Body, BR.Range, &Expected, Locals);
}
