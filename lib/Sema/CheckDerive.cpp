//===- CheckDerive.cpp - grad, value_and_grad and vjp ---------------------===//
//
// A transform names the function it derives and, optionally, the parameters
// to differentiate with respect to. Sema computes the derived signature, so
// a derived function is called, exported and derived again like any other.
//
//   grad(f)            f must return a float scalar; gradients of every
//                      float parameter: one value, or a tuple of several
//   grad(f, x, y)      only those parameters
//   value_and_grad(f)  (f(...), grad(f)(...))
//   vjp(f)             the parameters of f, then the upstream gradient
//
//===----------------------------------------------------------------------===//
#include "Checker.h"

using namespace nnc;
using namespace nnc::sema;

bool Checker::getSignature(const FunctionRef &Ref, Signature &Sig,
                           llvm::SMRange UseRange) {
  if (Ref.Fn) {
    auto *F = const_cast<FnDecl *>(Ref.Fn);
    if (!ensureChecked(*F, UseRange))
      return false;
    Sig.ParamNames.clear();
    Sig.ParamTypes.clear();
    // A method seen through an instance or a sub-layer member has that
    // instance's or member's sizes.
    DimSubstitution Sub;
    if (Ref.Instance && Ref.Instance->Layer) {
      Sub = getLayerSubstitution(*Ref.Instance->Layer,
                                 Ref.Instance->LayerArgs);
      collectInstanceFields(*Ref.Instance->Layer, Sub, Sig.ParamNames,
                            Sig.ParamTypes);
    } else if (Ref.ViaMember >= 0 && CurLayer &&
               static_cast<size_t>(Ref.ViaMember) <
                   CurLayer->SubLayers.size() &&
               CurLayer->SubLayers[Ref.ViaMember]) {
      Sub = getLayerSubstitution(*CurLayer->SubLayers[Ref.ViaMember],
                                 CurLayer->SubLayerArgs[Ref.ViaMember]);
    }
    std::vector<std::string> Own;
    for (const Param &P : F->Params)
      collectTypeDims(P.Ty, Own);
    if (F->Owner)
      llvm::erase_if(Own, [&](const std::string &V) {
        return llvm::any_of(F->Owner->Params,
                            [&](const Param &P) { return P.Name == V; });
      });
    // The method's own variables must not be confused with the names the
    // layer arguments became (`B` of the caller's layer): rename those that
    // collide. Substitution is simultaneous, so both happen at once.
    std::vector<std::string> Taken;
    for (const auto &[From, To] : Sub)
      for (const std::string &V : To.Vars)
        Taken.push_back(V);
    for (std::string &V : Own)
      if (llvm::is_contained(Taken, V)) {
        std::string Fresh = V + "'";
        while (llvm::is_contained(Taken, Fresh) || llvm::is_contained(Own, Fresh))
          Fresh += "'";
        Sub.emplace_back(V, Dim::var(Fresh));
        V = Fresh;
      }
    Sig.Bindable = Own;
    for (const Param &P : F->Params) {
      Sig.ParamNames.push_back(P.Name);
      Sig.ParamTypes.push_back(substituteType(P.Ty, Sub));
    }
    // Seen from outside, the mode and the dropout seed are the method's
    // last arguments (issue 12).
    if (Ref.Instance && Ref.Instance->Layer) {
      if (Ref.Instance->Layer->UsesTraining) {
        Sig.ParamNames.push_back("training");
        Sig.ParamTypes.push_back(Type::scalar(ElementKind::Bool));
      }
      if (Ref.Instance->Layer->UsesSeed) {
        Sig.ParamNames.push_back("seed");
        Sig.ParamTypes.push_back(Type::scalar(ElementKind::I64));
      }
    }
    Sig.Result = substituteType(F->Result, Sub);
    return true;
  }
  if (!Ref.Derived)
    return false;
  Sig.ParamNames = Ref.Derived->ParamNames;
  Sig.ParamTypes = Ref.Derived->ParamTypes;
  Sig.Result = Ref.Derived->Result;
  for (const Type &T : Sig.ParamTypes)
    collectTypeDims(T, Sig.Bindable);
  return true;
}

FunctionRef Checker::resolveFunction(Expr &E) {
  bool Handled = false;
  FunctionRef LayerRef = resolveLayerFunction(E, Handled);
  if (Handled)
    return LayerRef;
  if (auto *N = llvm::dyn_cast<NameExpr>(&E)) {
    if (Names.lookup(N->Name)) {
      Diags.report(N->getRange(), DiagID::err_not_a_function, N->Name);
      return {};
    }
    Decl *D = lookupDecl(N->Name);
    if (!D) {
      if (isFailedDecl(N->Name))
        return {};
      if (lookupBuiltin(N->Name) != Builtin::None)
        Diags.report(N->getRange(), DiagID::err_derive_builtin, N->Name);
      else
        Diags.report(N->getRange(), DiagID::err_unknown_function_ref, N->Name);
      return {};
    }
    if (auto *F = llvm::dyn_cast<FnDecl>(D)) {
      N->Ref = NameExpr::Function;
      N->Fn = F;
      if (!ensureChecked(*F, N->getRange()))
        return {};
      FunctionRef R;
      R.Fn = F;
      return R;
    }
    if (auto *DD = llvm::dyn_cast<DerivedFnDecl>(D)) {
      State S = States[DD];
      if (S == State::InProgress) {
        Diags.report(N->getRange(), DiagID::err_recursion, N->Name);
        return {};
      }
      if (S == State::Unchecked && !checkDerivedDecl(*DD))
        return {};
      if (States[DD] != State::Checked)
        return {};
      return DD->Target;
    }
    Diags.report(N->getRange(), DiagID::err_not_supported_yet,
                 "layers and their instances");
    return {};
  }
  if (auto *C = llvm::dyn_cast<CallExpr>(&E)) {
    if (auto *N = llvm::dyn_cast<NameExpr>(C->Callee.get())) {
      Builtin B = lookupBuiltin(N->Name);
      bool Shadowed = lookupDecl(N->Name) || Names.lookup(N->Name);
      if (!Shadowed && getBuiltinFamily(B) == BuiltinFamily::Derive)
        return resolveDerive(*C);
    }
  }
  if (auto *M = llvm::dyn_cast<MemberExpr>(&E)) {
    reportNoMember(*M);
    return {};
  }
  checkExpr(E, nullptr);
  if (E.Ty.isValid())
    Diags.report(E.getRange(), DiagID::err_not_callable);
  return {};
}

static void flattenLeaves(const Type &T, std::vector<Type> &Out) {
  if (!T.isTuple()) {
    Out.push_back(T);
    return;
  }
  for (const Type &E : T.Elements)
    flattenLeaves(E, Out);
}

/// True for a float scalar or tensor, or a tuple (nested or not) of them.
static bool hasFloatLeaves(const Type &T) {
  if (T.isTuple())
    return !T.Elements.empty() &&
           std::all_of(T.Elements.begin(), T.Elements.end(), hasFloatLeaves);
  return T.isFloat();
}

FunctionRef Checker::resolveDerive(CallExpr &E) {
  auto *N = llvm::cast<NameExpr>(E.Callee.get());
  Builtin B = lookupBuiltin(N->Name);
  N->Ref = NameExpr::BuiltinFn;
  N->B = B;
  E.B = B;
  std::string What = "'" + N->Name + "'";
  bool AtDecl = AtDerivedDecl;
  AtDerivedDecl = false;
  if (B == Builtin::TrainStep) {
    if (!AtDecl) {
      Diags.report(E.getRange(), DiagID::err_train_step_inline);
      return {};
    }
    return resolveTrainStep(E);
  }
  if (E.Args.empty()) {
    Diags.report(E.getRange(), DiagID::err_grad_arg, What);
    return {};
  }
  for (const Arg &A : E.Args)
    if (!A.Name.empty()) {
      Diags.report(A.NameRange, DiagID::err_keyword_arg, N->Name, A.Name);
      return {};
    }
  FunctionRef Of = resolveFunction(*E.Args[0].Value);
  if (!Of.isValid())
    return {};
  if (Of.Fn && Of.Fn->Owner && !Of.Instance) {
    // Inside a layer a method has no parameters of its own to differentiate
    // by: derive it through an instance.
    Diags.report(E.Args[0].Value->getRange(), DiagID::err_params_wrt,
                 Of.key());
    return {};
  }
  Signature Sig;
  if (!getSignature(Of, Sig, E.Args[0].Value->getRange()))
    return {};

  auto Spec = std::make_shared<DerivedSpec>();
  Spec->Kind = B == Builtin::Grad           ? DeriveKind::Grad
               : B == Builtin::ValueAndGrad ? DeriveKind::ValueAndGrad
                                            : DeriveKind::Vjp;
  Spec->Of = Of;
  Spec->Loc = E.getRange().Start;

  if (Spec->Kind != DeriveKind::Vjp && !Sig.Result.isFloatScalar()) {
    Diags.report(E.getRange(), DiagID::err_grad_nonscalar, What, Of.key(),
                 Sig.Result.str());
    if (Sig.Result.isTuple() || Sig.Result.isTensor())
      Diags.report(E.getRange(), DiagID::note_use_vjp, Of.key());
    return {};
  }
  if (Spec->Kind == DeriveKind::Vjp && !hasFloatLeaves(Sig.Result)) {
    Diags.report(E.getRange(), DiagID::err_vjp_result, Of.key(),
                 Sig.Result.str());
    return {};
  }

  // The parameters to differentiate: named ones, or every float one.
  unsigned NumInstanceParams = 0, NumInstanceFields = 0;
  if (Of.Instance) {
    std::vector<std::string> PNames;
    std::vector<Type> PTypes;
    collectInstanceParams(*Of.Instance->Layer, Of.Instance->LayerArgs, PNames,
                          PTypes);
    NumInstanceParams = PNames.size();
    collectInstanceState(*Of.Instance->Layer,
                         getLayerSubstitution(*Of.Instance->Layer,
                                              Of.Instance->LayerArgs),
                         "", PNames, PTypes);
    NumInstanceFields = PNames.size();
  }
  if (E.Args.size() == 1) {
    // State members carry no gradient (issue 12).
    for (unsigned I = 0; I < Sig.ParamTypes.size(); ++I)
      if (Sig.ParamTypes[I].isFloat() &&
          !(I >= NumInstanceParams && I < NumInstanceFields))
        Spec->Wrt.push_back(I);
    if (Spec->Wrt.empty()) {
      Diags.report(E.Args[0].Value->getRange(),
                   DiagID::err_grad_no_float_params, Of.key());
      return {};
    }
  } else {
    for (size_t A = 1; A < E.Args.size(); ++A) {
      auto *PN = llvm::dyn_cast<NameExpr>(E.Args[A].Value.get());
      if (!PN) {
        Diags.report(E.Args[A].Value->getRange(), DiagID::err_expected,
                     "a parameter name");
        return {};
      }
      if (PN->Name == "params" &&
          !llvm::is_contained(Sig.ParamNames, PN->Name)) {
        if (!Of.Instance) {
          Diags.report(PN->getRange(), DiagID::err_params_wrt, Of.key());
          return {};
        }
        for (unsigned I = 0; I < NumInstanceParams; ++I) {
          if (llvm::is_contained(Spec->Wrt, I)) {
            Diags.report(PN->getRange(), DiagID::err_grad_wrt_duplicate,
                         PN->Name);
            return {};
          }
          Spec->Wrt.push_back(I);
        }
        continue;
      }
      auto It = std::find(Sig.ParamNames.begin(), Sig.ParamNames.end(),
                          PN->Name);
      if (It == Sig.ParamNames.end()) {
        Diags.report(PN->getRange(), DiagID::err_grad_wrt_unknown, Of.key(),
                     PN->Name);
        return {};
      }
      unsigned I = It - Sig.ParamNames.begin();
      if (!Sig.ParamTypes[I].isFloat()) {
        Diags.report(PN->getRange(), DiagID::err_grad_wrt_int, PN->Name,
                     Sig.ParamTypes[I].str());
        return {};
      }
      if (std::find(Spec->Wrt.begin(), Spec->Wrt.end(), I) != Spec->Wrt.end()) {
        Diags.report(PN->getRange(), DiagID::err_grad_wrt_duplicate, PN->Name);
        return {};
      }
      Spec->Wrt.push_back(I);
    }
  }

  if (Spec->Wrt.empty()) {
    // `grad(net.loss, params)` of an instance without parameters.
    Diags.report(E.Args[0].Value->getRange(),
                 DiagID::err_grad_no_float_params, Of.key());
    return {};
  }
  Spec->ParamNames = Sig.ParamNames;
  Spec->ParamTypes = Sig.ParamTypes;
  Spec->NumOfParams = Sig.ParamNames.size();
  if (Spec->Kind == DeriveKind::Vjp) {
    // The upstream gradient follows the parameters, one parameter per
    // component of the result: parameters are never tuples.
    std::vector<Type> Leaves;
    flattenLeaves(Sig.Result, Leaves);
    for (size_t I = 0; I < Leaves.size(); ++I) {
      std::string Base = Leaves.size() == 1 ? "d_out" : "d_out" + std::to_string(I);
      std::string Up = Base;
      while (std::find(Spec->ParamNames.begin(), Spec->ParamNames.end(), Up) !=
             Spec->ParamNames.end())
        Up = "_" + Up;
      Spec->ParamNames.push_back(Up);
      Spec->ParamTypes.push_back(Leaves[I]);
    }
  }
  Type Grads;
  if (Spec->Wrt.size() == 1) {
    Grads = Sig.ParamTypes[Spec->Wrt[0]];
  } else {
    std::vector<Type> Elts;
    for (unsigned I : Spec->Wrt)
      Elts.push_back(Sig.ParamTypes[I]);
    Grads = Type::tuple(std::move(Elts));
  }
  Spec->Result = Spec->Kind == DeriveKind::ValueAndGrad
                     ? Type::tuple({Sig.Result, Grads})
                     : Grads;

  FunctionRef R;
  R.Derived = Spec;
  // One spec per distinct transform, so lowering derives each once.
  auto [It, Inserted] = Specs.try_emplace(R.key(), Spec);
  R.Derived = It->second;
  E.Target = R;
  return R;
}

bool Checker::checkDerivedDecl(DerivedFnDecl &D) {
  States[&D] = State::InProgress;
  auto *C = llvm::dyn_cast_or_null<CallExpr>(D.Value.get());
  auto *N = C ? llvm::dyn_cast<NameExpr>(C->Callee.get()) : nullptr;
  bool IsDerive = N && !lookupDecl(N->Name) &&
                  getBuiltinFamily(lookupBuiltin(N->Name)) ==
                      BuiltinFamily::Derive;
  if (!IsDerive) {
    Diags.report(D.Value ? D.Value->getRange() : D.NameRange,
                 DiagID::err_derived_not_call);
    States[&D] = State::Failed;
    return false;
  }
  Scope SavedScope = std::move(Names);
  Names.clear();
  AtDerivedDecl = true;
  D.Target = resolveDerive(*C);
  AtDerivedDecl = false;
  Names = std::move(SavedScope);
  States[&D] = D.Target.isValid() ? State::Checked : State::Failed;
  return D.Target.isValid();
}

FunctionRef Checker::resolveTrainStep(CallExpr &E) {
  if (E.Args.size() != 2 ||
      llvm::any_of(E.Args, [](const Arg &A) { return !A.Name.empty(); })) {
    Diags.report(E.getRange(), DiagID::err_train_step_args);
    return {};
  }
  Expr &OfExpr = *E.Args[0].Value, &OptExpr = *E.Args[1].Value;
  // The optimizer is a name, not a value: check it before the function so
  // that both mistakes of `train_step(f, adm)` are reported.
  auto *OptName = llvm::dyn_cast<NameExpr>(&OptExpr);
  std::optional<Optimizer> Opt =
      OptName ? lookupOptimizer(OptName->Name) : std::nullopt;
  FunctionRef Of = resolveFunction(OfExpr);
  if (!Opt) {
    llvm::SMRange R = OptExpr.getRange();
    std::string Text =
        OptName ? OptName->Name
                : std::string(R.Start.getPointer(),
                              R.End.getPointer() - R.Start.getPointer());
    Diags.report(OptExpr.getRange(), DiagID::err_unknown_optimizer, Text);
    return {};
  }
  if (!Of.isValid())
    return {};
  if (!Of.Fn || !Of.Instance || !Of.Instance->Layer) {
    Diags.report(OfExpr.getRange(), DiagID::err_train_step_not_method,
                 Of.key());
    return {};
  }
  Signature Sig;
  if (!getSignature(Of, Sig, OfExpr.getRange()))
    return {};
  std::string What = "'train_step'";
  if (!Sig.Result.isFloatScalar()) {
    Diags.report(E.getRange(), DiagID::err_grad_nonscalar, What, Of.key(),
                 Sig.Result.str());
    return {};
  }
  std::vector<std::string> PNames;
  std::vector<Type> PTypes;
  collectInstanceParams(*Of.Instance->Layer, Of.Instance->LayerArgs, PNames,
                        PTypes);
  if (PNames.empty()) {
    Diags.report(OfExpr.getRange(), DiagID::err_grad_no_float_params,
                 Of.key());
    return {};
  }

  // The signature AD builds (ReverseMode.cpp): the loss's parameters, the
  // optimizer state (ir::Module::makeOptimizerState), the hyper-parameters;
  // the loss, then the new parameters and state.
  auto Spec = std::make_shared<DerivedSpec>();
  Spec->Kind = DeriveKind::TrainStep;
  Spec->Opt = *Opt;
  Spec->Of = Of;
  Spec->Loc = E.getRange().Start;
  Spec->ParamNames = Sig.ParamNames;
  Spec->ParamTypes = Sig.ParamTypes;
  // A train step runs in training mode: `training` is no argument of it
  // (issue 12).
  if (Of.Instance->Layer->UsesTraining) {
    unsigned T = Sig.ParamNames.size() - 1 - Of.Instance->Layer->UsesSeed;
    Spec->ParamNames.erase(Spec->ParamNames.begin() + T);
    Spec->ParamTypes.erase(Spec->ParamTypes.begin() + T);
  }
  Spec->NumOfParams = Spec->ParamNames.size();
  for (unsigned I = 0; I < PNames.size(); ++I)
    Spec->Wrt.push_back(I);
  std::vector<Type> Results = {Sig.Result};
  Results.insert(Results.end(), PTypes.begin(), PTypes.end());
  // The new values of the state members follow the new parameters.
  {
    std::vector<std::string> SNames;
    std::vector<Type> STypes;
    collectInstanceState(*Of.Instance->Layer,
                         getLayerSubstitution(*Of.Instance->Layer,
                                              Of.Instance->LayerArgs),
                         "", SNames, STypes);
    Results.insert(Results.end(), STypes.begin(), STypes.end());
  }
  auto AddState = [&](const std::string &Name, const Type &T) {
    Spec->ParamNames.push_back(Name);
    Spec->ParamTypes.push_back(T);
    Results.push_back(T);
  };
  for (const std::string &Prefix : getStatePrefixes(*Opt))
    for (unsigned I = 0; I < PNames.size(); ++I)
      AddState(Prefix + "." + PNames[I], PTypes[I]);
  if (hasStepCount(*Opt))
    AddState("t", Type::scalar(ElementKind::I64));
  for (const std::string &H : getHyperParameterNames(*Opt)) {
    Spec->ParamNames.push_back(H);
    Spec->ParamTypes.push_back(Sig.Result);
  }
  Spec->Result = Type::tuple(std::move(Results));

  FunctionRef R;
  R.Derived = Spec;
  auto [It, Inserted] = Specs.try_emplace(R.key(), Spec);
  R.Derived = It->second;
  E.Target = R;
  return R;
}
