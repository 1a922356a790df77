//===- CheckLayer.cpp - Layers, their members and instances ---------------===//
//
// A layer is checked once, generically: its arguments are dimension
// variables, so `param W: f32[n_in, n_out]` and the shapes of its methods
// are checked for every size at once. A sub-layer member substitutes its
// arguments into the sub-layer's types, and an instance (`let net =
// TwoLayerNet(784, 100, 10);`) substitutes constants; lowering generates the
// code of each instance with its sizes.
//
// Seen from outside, a method of an instance is a function whose parameters
// start with every parameter of the instance, depth first (`fc1.W, fc1.b,
// fc2.W, fc2.b`), so `grad(net.loss, params)` is an ordinary derivative
// with respect to its first parameters.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include "llvm/ADT/StringExtras.h"

using namespace nnc;
using namespace nnc::sema;

DimSubstitution Checker::getLayerSubstitution(const LayerDecl &L,
                                              llvm::ArrayRef<Dim> Args) const {
  DimSubstitution S;
  for (size_t I = 0; I < L.Params.size() && I < Args.size(); ++I)
    S.emplace_back(L.Params[I].Name, Args[I]);
  return S;
}

void Checker::collectInstanceMembers(const LayerDecl &L,
                                     const DimSubstitution &Args,
                                     const std::string &Prefix,
                                     LayerMember::Kind Kind,
                                     std::vector<std::string> &Names,
                                     std::vector<Type> &Types) {
  for (size_t M = 0; M < L.Members.size(); ++M) {
    const LayerMember &LM = L.Members[M];
    if (LM.TheKind == Kind) {
      Names.push_back(Prefix + LM.Name);
      Types.push_back(substituteType(L.ParamTypes[M], Args));
    } else if (LM.TheKind == LayerMember::SubLayer && L.SubLayers[M]) {
      std::vector<Dim> SubArgs;
      for (const Dim &D : L.SubLayerArgs[M])
        SubArgs.push_back(substitute(D, Args));
      collectInstanceMembers(*L.SubLayers[M],
                             getLayerSubstitution(*L.SubLayers[M], SubArgs),
                             Prefix + LM.Name + ".", Kind, Names, Types);
    }
  }
}

void Checker::checkLayer(LayerDecl &L) {
  // No reference into LayerStates is kept: checking a sub-layer inserts
  // into it.
  if (LayerStates[&L] != State::Unchecked)
    return;
  LayerStates[&L] = State::InProgress;
  unsigned ErrorsBefore = Diags.getNumErrors();
  const LayerDecl *SavedLayer = CurLayer;
  std::vector<std::string> SavedDims = std::move(DimVars);
  Scope SavedScope = std::move(Names);
  DimVars.clear();
  Names.clear();
  CurLayer = &L;

  llvm::StringMap<llvm::SMRange> Seen;
  for (const Param &P : L.Params) {
    if (!Seen.try_emplace(P.Name, P.Range).second) {
      Diags.report(P.Range, DiagID::err_redefinition, P.Name);
      Diags.report(Seen[P.Name], DiagID::note_previous_definition);
    }
    if (P.DeclaredType &&
        (P.DeclaredType->IsTuple || P.DeclaredType->HasShape ||
         P.DeclaredType->Name != "i64"))
      Diags.report(P.DeclaredType->Range, DiagID::err_layer_arg, L.Name,
                   P.Name);
  }
  // Methods know their layer before any member is checked: an initializer
  // or a sub-layer may lead to them.
  for (LayerMember &LM : L.Members)
    if (LM.TheKind == LayerMember::Method && LM.MethodDecl)
      LM.MethodDecl->Owner = &L;
  L.ParamTypes.assign(L.Members.size(), Type());
  L.SubLayers.assign(L.Members.size(), nullptr);
  L.SubLayerArgs.assign(L.Members.size(), {});
  for (size_t M = 0; M < L.Members.size(); ++M) {
    LayerMember &LM = L.Members[M];
    if (!Seen.try_emplace(LM.Name, LM.NameRange).second) {
      Diags.report(LM.NameRange, DiagID::err_redefinition, LM.Name);
      Diags.report(Seen[LM.Name], DiagID::note_previous_definition);
      continue;
    }
    switch (LM.TheKind) {
    case LayerMember::Param:
    case LayerMember::State: {
      // A state member is typed and initialized as a parameter is.
      Type T;
      if (!LM.ParamType || !resolveTypeSyntax(*LM.ParamType, T))
        break;
      if (!T.isFloat()) {
        Diags.report(LM.ParamType->Range, DiagID::err_expected_type,
                     LM.TheKind == LayerMember::Param ? "a parameter"
                                                      : "a state member",
                     "a floating-point type", T.str());
        break;
      }
      L.ParamTypes[M] = T;
      if (!LM.Init)
        break;
      // An initializer is computed in f64 per element and stored in the
      // parameter's type.
      InInitializer = true;
      Type I = checkExpr(*LM.Init, nullptr);
      InInitializer = false;
      if (I.isValid() && !I.isScalar()) {
        Diags.report(LM.Init->getRange(), DiagID::err_expected_type,
                     "an initializer", "a scalar expression", I.str());
      } else if (I.isValid() && I.isInt()) {
        coerce(LM.Init, Type::scalar(ElementKind::F64), "an initializer");
      } else if (I.isValid() && !I.isFloat()) {
        Diags.report(LM.Init->getRange(), DiagID::err_expected_type,
                     "an initializer", "a number", I.str());
      }
      break;
    }
    case LayerMember::SubLayer: {
      auto *Sub = llvm::dyn_cast_or_null<LayerDecl>(lookupDecl(LM.LayerName));
      if (!Sub) {
        if (!isFailedDecl(LM.LayerName))
          Diags.report(LM.LayerNameRange, DiagID::err_unknown_layer,
                       LM.LayerName);
        break;
      }
      if (LayerStates[Sub] == State::InProgress) {
        Diags.report(LM.NameRange, DiagID::err_layer_recursion, Sub->Name);
        break;
      }
      checkLayer(*Sub);
      CurLayer = &L;
      if (LayerStates[Sub] != State::Checked)
        break;
      if (LM.LayerArgs.size() != Sub->Params.size()) {
        size_t N = Sub->Params.size();
        Diags.report(LM.Range, DiagID::err_arity, Sub->Name, N,
                     N == 1 ? "" : "s", LM.LayerArgs.size(),
                     LM.LayerArgs.size() == 1 ? "was" : "were");
        break;
      }
      std::vector<Dim> Args;
      for (Arg &A : LM.LayerArgs) {
        std::optional<Dim> D = getDimExpr(*A.Value);
        if (!D)
          break;
        Args.push_back(*D);
      }
      if (Args.size() != LM.LayerArgs.size())
        break;
      L.SubLayers[M] = Sub;
      L.SubLayerArgs[M] = std::move(Args);
      // The mode and the seed reach a sub-layer through its callers.
      L.UsesTraining |= Sub->UsesTraining;
      L.UsesSeed |= Sub->UsesSeed;
      break;
    }
    case LayerMember::Method:
      if (LM.MethodDecl->Backward)
        Diags.report(LM.MethodDecl->Backward->Range,
                     DiagID::err_method_backward);
      break;
    }
  }
  CurLayer = SavedLayer;
  DimVars = std::move(SavedDims);
  Names = std::move(SavedScope);
  // Methods may call each other in any order; each is checked on demand.
  bool MembersOK = Diags.getNumErrors() == ErrorsBefore;
  LayerStates[&L] = MembersOK ? State::Checked : State::Failed;
  for (LayerMember &LM : L.Members)
    if (LM.TheKind == LayerMember::Method && MembersOK)
      ensureChecked(*LM.MethodDecl, LM.NameRange);
  // Every method of a layer that reads the mode takes `training` (and
  // `seed`) after its own parameters (issue 12): no own one of the name.
  for (LayerMember &LM : L.Members)
    if (LM.TheKind == LayerMember::Method && MembersOK)
      for (const Param &P : LM.MethodDecl->Params)
        if ((P.Name == "training" && L.UsesTraining) ||
            (P.Name == "seed" && L.UsesSeed))
          Diags.report(P.Range, DiagID::err_mode_param_name, L.Name, P.Name,
                       P.Name == "training"
                           ? "the mode, since a method reads 'training' or "
                             "calls batch_norm or dropout"
                           : "the dropout seed, since a method calls "
                             "dropout");
  if (Diags.getNumErrors() != ErrorsBefore)
    LayerStates[&L] = State::Failed;
}

void Checker::checkInstance(LetDecl &D) {
  // Checked once, from the top level or on demand from an earlier use.
  if (!CheckedInstances.insert(&D).second)
    return;
  std::vector<std::string> SavedDims = std::move(DimVars);
  Scope SavedScope = std::move(Names);
  DimVars.clear();
  Names.clear();
  checkInstanceDecl(D);
  DimVars = std::move(SavedDims);
  Names = std::move(SavedScope);
}

void Checker::checkInstanceDecl(LetDecl &D) {
  auto *C = llvm::dyn_cast_or_null<CallExpr>(D.Value.get());
  auto *N = C ? llvm::dyn_cast<NameExpr>(C->Callee.get()) : nullptr;
  auto *L = N ? llvm::dyn_cast_or_null<LayerDecl>(lookupDecl(N->Name)) : nullptr;
  if (!L) {
    if (!N || !isFailedDecl(N->Name))
      Diags.report(D.Value ? D.Value->getRange() : D.NameRange,
                   DiagID::err_top_level_let);
    return;
  }
  checkLayer(*L);
  if (LayerStates[L] != State::Checked)
    return;
  if (C->Args.size() != L->Params.size()) {
    size_t Want = L->Params.size();
    Diags.report(C->getRange(), DiagID::err_arity, L->Name, Want,
                 Want == 1 ? "" : "s", C->Args.size(),
                 C->Args.size() == 1 ? "was" : "were");
    return;
  }
  const LayerDecl *SavedLayer = CurLayer;
  CurLayer = nullptr;
  std::vector<Dim> Args;
  for (size_t I = 0; I < C->Args.size(); ++I) {
    Arg &A = C->Args[I];
    std::optional<Dim> V =
        A.Name.empty() ? getDimExpr(*A.Value) : std::nullopt;
    if (!V || !V->isConstant() || V->Factor <= 0) {
      if (V || !A.Name.empty())
        Diags.report(A.Value->getRange(), DiagID::err_layer_arg, L->Name,
                     I + 1);
      CurLayer = SavedLayer;
      return;
    }
    Args.push_back(*V);
  }
  CurLayer = SavedLayer;
  // Sizes that overflow, and names that clash with what the instance
  // exports (`net_forward`, `net_init`).
  std::vector<std::string> PNames;
  std::vector<Type> PTypes;
  collectInstanceFields(*L, getLayerSubstitution(*L, Args), PNames, PTypes);
  for (const Type &T : PTypes)
    if (!getNumElements(T.Dims).isValid()) {
      Diags.report(D.Value->getRange(), DiagID::err_dim_too_large);
      return;
    }
  // The parameters are one C struct (and the gradients another): each
  // field and their sum, padding included, must be addressable, or the
  // header declares an array no C compiler accepts.
  int64_t StructBytes = 0;
  for (const Type &T : PTypes) {
    Dim Bytes = getByteSize(T.Elem, T.Dims);
    if (!Bytes.isValid() ||
        __builtin_add_overflow(StructBytes, Bytes.Factor + 7, &StructBytes)) {
      Diags.report(D.Value->getRange(), DiagID::err_instance_too_large,
                   D.Name);
      return;
    }
  }
  std::vector<std::string> Exports{D.Name + "_init"};
  for (const LayerMember &LM : L->Members)
    if (LM.TheKind == LayerMember::Method) {
      std::string E = D.Name + "_" + LM.Name;
      if (llvm::is_contained(Exports, E)) {
        Diags.report(LM.NameRange, DiagID::err_instance_clash, D.Name, E);
        return;
      }
      Exports.push_back(E);
    }
  for (const std::string &E : Exports)
    if (Decl *Other = lookupDecl(E)) {
      Diags.report(Other->NameRange, DiagID::err_instance_clash, D.Name, E);
      return;
    }
  D.Layer = L;
  D.LayerArgs = std::move(Args);
}

/// The method \p Name of \p L, or null.
static FnDecl *getMethod(const LayerDecl &L, llvm::StringRef Name) {
  int M = L.findMember(Name);
  if (M < 0 || L.Members[M].TheKind != LayerMember::Method)
    return nullptr;
  return L.Members[M].MethodDecl.get();
}

FunctionRef Checker::resolveLayerFunction(Expr &E, bool &Handled) {
  Handled = false;
  FunctionRef R;
  auto *N = llvm::dyn_cast<NameExpr>(&E);
  auto *Mem = llvm::dyn_cast<MemberExpr>(&E);
  auto *Base = Mem ? llvm::dyn_cast<NameExpr>(Mem->Base.get()) : nullptr;
  // Not a std::string temporary: a StringRef into the node.
  llvm::StringRef Head = N      ? llvm::StringRef(N->Name)
                         : Base ? llvm::StringRef(Base->Name)
                                : llvm::StringRef();
  if (Head.empty() || Names.lookup(Head) || isDimInScope(Head))
    return R;

  // A member of the layer being checked: a method, or a sub-layer called
  // directly (its forward) or through one of its methods.
  if (CurLayer) {
    int M = CurLayer->findMember(Head);
    if (M >= 0) {
      Handled = true;
      const LayerMember &LM = CurLayer->Members[M];
      if (LM.TheKind == LayerMember::Method && N) {
        R.Fn = LM.MethodDecl.get();
        return R;
      }
      if (LM.TheKind == LayerMember::SubLayer && CurLayer->SubLayers[M]) {
        llvm::StringRef Method = Mem ? llvm::StringRef(Mem->Member) : "forward";
        R.Fn = getMethod(*CurLayer->SubLayers[M], Method);
        R.ViaMember = M;
        R.ViaName = LM.Name;
        if (!R.Fn)
          Diags.report(Mem ? Mem->MemberRange : E.getRange(),
                       DiagID::err_no_member, "'" + LM.Name + "'", Method);
        else if (!ensureChecked(const_cast<FnDecl &>(*R.Fn), E.getRange()))
          R = FunctionRef();
        return R;
      }
      if (LM.TheKind == LayerMember::SubLayer)
        return R; // its own error was reported
      Diags.report(E.getRange(), DiagID::err_not_a_method, Head);
      return R;
    }
  }
  // A method of a top-level instance.
  if (auto *L = llvm::dyn_cast_or_null<LayerDecl>(lookupDecl(Head))) {
    Handled = true;
    std::string Lower = L->Name;
    Lower[0] = llvm::toLower(Lower[0]);
    if (Lower == L->Name)
      Lower = "my_" + Lower;
    Diags.report(E.getRange(), DiagID::err_layer_not_instance, L->Name, Lower);
    return R;
  }
  auto *D = llvm::dyn_cast_or_null<LetDecl>(lookupDecl(Head));
  if (!D) {
    // `net.loss` of an instance whose `let` failed to parse.
    if (isFailedDecl(Head))
      Handled = true;
    return R;
  }
  Handled = true;
  checkInstance(*D);
  if (!D->Layer)
    return R; // the instance has an error, reported
  llvm::StringRef Method = Mem ? llvm::StringRef(Mem->Member) : "forward";
  R.Fn = getMethod(*D->Layer, Method);
  R.Instance = D;
  if (!R.Fn) {
    Diags.report(Mem ? Mem->MemberRange : E.getRange(), DiagID::err_no_method,
                 D->Name, Method);
    return FunctionRef();
  }
  if (!ensureChecked(const_cast<FnDecl &>(*R.Fn), E.getRange()))
    return FunctionRef();
  return R;
}

/// The instance whose parameters \p Ref takes first: a method's, or that of
/// the method a transform derives (`grad(grad(net.loss))`).
static const LetDecl *getRootInstance(const FunctionRef &Ref) {
  if (Ref.Instance)
    return Ref.Instance;
  if (Ref.Derived)
    return getRootInstance(Ref.Derived->Of);
  return nullptr;
}

std::optional<std::vector<unsigned>>
Checker::getSessionParams(const FunctionRef &Ref, std::vector<unsigned> &Mode) {
  const LetDecl *I = getRootInstance(Ref);
  if (!I || !I->Layer || CurLayer || !CurFn || CurFn->Owner)
    return std::nullopt;
  std::vector<std::string> PNames;
  std::vector<Type> PTypes;
  collectInstanceFields(*I->Layer, getLayerSubstitution(*I->Layer,
                                                        I->LayerArgs),
                        PNames, PTypes);
  std::vector<unsigned> Indices;
  for (size_t K = 0; K < PNames.size(); ++K) {
    const Local *L = Names.lookup(I->Name + "." + PNames[K]);
    if (!L || !L->IsParam || L->Ty != PTypes[K])
      return std::nullopt;
    Indices.push_back(L->Index);
  }
  // The session's mode (nnc-repl's `:mode`), issue 12.
  Mode.clear();
  auto AddMode = [&](llvm::StringRef Name, ElementKind K) {
    const Local *L = Names.lookup(Name);
    if (!L || !L->IsParam || L->Ty != Type::scalar(K))
      return false;
    Mode.push_back(L->Index);
    return true;
  };
  if (I->Layer->UsesTraining && !AddMode(".training", ElementKind::Bool))
    return std::nullopt;
  if (I->Layer->UsesSeed && !AddMode(".seed", ElementKind::I64))
    return std::nullopt;
  return Indices;
}

const Checker::Local *Checker::getSessionParam(const MemberExpr &E) const {
  if (CurLayer || !CurFn || CurFn->Owner)
    return nullptr;
  std::string Path = E.Member;
  const Expr *Base = E.Base.get();
  while (const auto *M = llvm::dyn_cast<MemberExpr>(Base)) {
    Path = M->Member + "." + Path;
    Base = M->Base.get();
  }
  const auto *N = llvm::dyn_cast<NameExpr>(Base);
  if (!N)
    return nullptr;
  const Local *L = Names.lookup(N->Name + "." + Path);
  return L && L->IsParam ? L : nullptr;
}
