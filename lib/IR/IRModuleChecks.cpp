//===- IRModuleChecks.cpp - Checks of a parsed IR module ------------------===//
//
// The stages IRParser.cpp's header lists after parsing: the verifier on
// every function, the derived declarations as Sema checks grad(...), the
// call graph (no recursion, derived functions declared before their use)
// and the signatures of calls to derived functions and of backward rules.
//
//===----------------------------------------------------------------------===//
#include "IRParserImpl.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::irparser;

static bool hasFloatLeaves(const Type &T) {
  if (T.isLeaf())
    return T.isFloat();
  return !T.getElements().empty() &&
         llvm::all_of(T.getElements(), hasFloatLeaves);
}

static std::string joinTypes(llvm::ArrayRef<Type> Types) {
  std::string S;
  for (size_t I = 0; I < Types.size(); ++I)
    S += (I ? ", " : "") + Types[I].str();
  return S;
}

/// The signature AD gives `Kind(Of) wrt Wrt` (mirrors Sema's resolveDerive
/// and AD's differentiate): Of's parameters, then for vjp one upstream
/// scalar per component of Of's result; the gradients of the Wrt
/// parameters, one value or a tuple, preceded by the value for
/// value_and_grad.
static Signature deriveSignature(DeriveKind Kind, const Signature &Of,
                                 llvm::ArrayRef<unsigned> Wrt) {
  Signature S;
  S.Params = Of.Params;
  if (Kind == DeriveKind::Vjp)
    for (Type &L : flattenLeaves(Of.Result))
      S.Params.push_back(std::move(L));
  std::vector<Type> Grads;
  for (unsigned I : Wrt)
    Grads.push_back(Of.Params[I]);
  Type G = Grads.size() == 1 ? Grads[0] : Type::tuple(Grads);
  S.Result = Kind == DeriveKind::ValueAndGrad ? Type::tuple({Of.Result, G}) : G;
  return S;
}

/// The op a verifier message names (`@f: op 3 (add): ...`), if any.
static std::optional<size_t> getVerifiedOp(llvm::StringRef Message) {
  size_t At = Message.find(": op ");
  if (At == llvm::StringRef::npos)
    return std::nullopt;
  llvm::StringRef Digits =
      Message.drop_front(At + 5).take_while(llvm::isDigit);
  size_t Index;
  if (Digits.getAsInteger(10, Index))
    return std::nullopt;
  return Index;
}

bool IRParser::verifyFunctions() {
  bool OK = true;
  for (const auto &F : M->Functions) {
    std::string Err = verifyFunction(*F, M.get());
    if (Err.empty())
      continue;
    OK = error(F->Loc, DiagID::err_ir_invalid, Err);
    std::optional<size_t> I = getVerifiedOp(Err);
    if (I && *I < F->Ops.size())
      Diags.report(F->Ops[*I].Loc, DiagID::note_ir_invalid_op, *I);
  }
  return OK;
}

std::optional<Signature> IRParser::getSignature(llvm::StringRef Name) const {
  if (const Function *F = M->lookup(Name)) {
    Signature S;
    for (unsigned I = 0, E = F->getNumParams(); I < E; ++I)
      S.Params.push_back(F->getParamType(I));
    S.Result = F->ResultType;
    return S;
  }
  for (size_t I = 0; I < DerivedSigs.size(); ++I)
    if (M->Derived[I].Name == Name)
      return DerivedSigs[I];
  return std::nullopt;
}

bool IRParser::checkDerived() {
  bool OK = true;
  for (size_t DI = 0; DI < M->Derived.size(); ++DI) {
    DerivedSigs.push_back(checkDerivedDecl(DI));
    OK &= DerivedSigs.back().has_value();
  }
  return OK;
}

std::optional<Signature> IRParser::checkDerivedDecl(size_t DI) {
  const DerivedDecl &D = M->Derived[DI];
  const DerivedLocs &Locs = DerivedAt[DI];
  auto Fail = [&](llvm::SMLoc Loc, DiagID ID, auto &&...Args) {
    error(Loc, ID, std::forward<decltype(Args)>(Args)...);
    return std::nullopt;
  };
  if (D.Of == D.Name)
    return Fail(Locs.Of, DiagID::err_recursion, "@" + D.Of);
  std::optional<Signature> Of = getSignature(D.Of);
  // A method that assigns layer state returns (value, new state): its
  // derivatives see the value (issue 12).
  if (const Function *OF = M->lookup(D.Of);
      Of && OF && OF->returnsLayerState() && OF->ResultType.isTuple())
    Of->Result = OF->ResultType.getElements()[0];
  if (!Of) {
    for (size_t I = 0; I < M->Derived.size(); ++I)
      if (M->Derived[I].Name == D.Of) {
        if (I < DI) // it failed: already reported
          return std::nullopt;
        return Fail(Locs.Of, DiagID::err_ir_derived_order, D.Name, D.Of);
      }
    return Fail(Locs.Of, DiagID::err_unknown_function_ref, "@" + D.Of);
  }
  std::string Kind = ("'" + getDeriveKindName(D.Kind) + "'").str();
  if (D.Kind != DeriveKind::Vjp && (!Of->Result.isFloat() || !Of->Result.isScalar()))
    return Fail(Locs.Kind, DiagID::err_grad_nonscalar, Kind, "@" + D.Of,
                Of->Result.str());
  if (D.Kind == DeriveKind::Vjp && !hasFloatLeaves(Of->Result))
    return Fail(Locs.Kind, DiagID::err_vjp_result, "@" + D.Of,
                Of->Result.str());
  if (D.Wrt.empty())
    return Fail(D.Loc, DiagID::err_ir_wrt_empty, D.Name);
  for (size_t WI = 0; WI < D.Wrt.size(); ++WI) {
    unsigned I = D.Wrt[WI];
    size_t N = Of->Params.size();
    if (I >= N)
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_range, I, D.Of, N,
                  N == 1 ? "" : "s");
    if (!Of->Params[I].isFloat())
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_not_float, I,
                  Of->Params[I].str());
    if (llvm::is_contained(llvm::ArrayRef(D.Wrt).take_front(WI), I))
      return Fail(Locs.Wrt[WI], DiagID::err_ir_wrt_duplicate, I);
  }
  if (D.Kind == DeriveKind::TrainStep)
    return trainStepSignature(D, *Of);
  return deriveSignature(D.Kind, *Of, D.Wrt);
}

/// The signature AD gives a train step (ReverseMode.cpp): Of's parameters
/// but `training` (a step runs in training mode, issue 12), the optimizer
/// state, the hyper-parameters; the loss, the new parameters, the new
/// layer state and the new optimizer state. Its structs must be those
/// IRGen declares: the instance's fields first (its parameters, all of
/// them differentiated, then its state members), and the state
/// Module::makeOptimizerState gives.
std::optional<Signature> IRParser::trainStepSignature(const DerivedDecl &D,
                                                      const Signature &Of) {
  auto Invalid = [&](const std::string &Msg) -> std::optional<Signature> {
    error(D.Loc, DiagID::err_ir_invalid, "@" + D.Name + ": " + Msg);
    return std::nullopt;
  };
  const Module::Instance *Net = M->lookupInstance(D.ParamStruct.Instance);
  if (!Net || Net->IsState || D.ParamStruct.First != 0 ||
      D.ParamStruct.Count != Net->Params.size() ||
      D.Wrt.size() != Net->getNumParams() || D.ResultStruct.Count)
    return Invalid("a train step differentiates every parameter of the "
                   "instance of its param_struct, which come first");
  for (unsigned I = 0; I < Net->Params.size(); ++I)
    if ((I < D.Wrt.size() && D.Wrt[I] != I) || I >= Of.Params.size() ||
        Of.Params[I] != Net->Params[I].second)
      return Invalid("wrt and param_struct differ");
  Module::Instance Want = Module::makeOptimizerState(*Net, D.Opt);
  const Module::Instance *State =
      D.StateStruct.Count ? M->lookupInstance(D.StateStruct.Instance)
                          : nullptr;
  if (Want.Params.empty() ? D.StateStruct.Count != 0
                          : !State || !State->IsState ||
                                State->Params != Want.Params ||
                                D.StateStruct.Count != Want.Params.size())
    return Invalid("the state_struct is not the state of '" +
                   getOptimizerName(D.Opt).str() + "' for '" + Net->Name +
                   "'");
  // The `training` parameter after the struct, as AD finds it.
  int Training = -1;
  if (const Function *F = M->lookup(D.Of))
    for (unsigned I = D.ParamStruct.Count; I < F->getNumParams(); ++I)
      if (F->getParamName(I) == "training" &&
          F->getParamType(I) == Type::scalar(ElementKind::Bool))
        Training = I;
  Signature S;
  for (unsigned I = 0; I < Of.Params.size(); ++I)
    if (static_cast<int>(I) != Training)
      S.Params.push_back(Of.Params[I]);
  std::vector<Type> Results = {Of.Result};
  for (unsigned I = 0; I < Net->Params.size(); ++I)
    Results.push_back(Of.Params[I]);
  for (const auto &Field : Want.Params) {
    S.Params.push_back(Field.second);
    Results.push_back(Field.second);
  }
  for (size_t I = 0; I < getHyperParameterNames(D.Opt).size(); ++I)
    S.Params.push_back(Of.Result);
  S.Result = Type::tuple(std::move(Results));
  return S;
}

/// Recursion, direct or through derived functions, would make AD expand
/// calls forever (the .nn front end rejects it). And AD materializes the
/// derived functions in order, so each must come after the derived
/// functions its expansion meets: those its function calls, or for a
/// function with a backward rule, those the rule calls; meeting itself
/// there (a rule calling the gradient being built) is recursion too.
bool IRParser::checkCallGraph() {
  // Nodes: the functions, then the derived declarations.
  size_t NF = M->Functions.size(), N = NF + M->Derived.size();
  llvm::StringMap<unsigned> Index;
  for (size_t I = 0; I < NF; ++I)
    Index.try_emplace(M->Functions[I]->Name, I);
  for (size_t I = 0; I < M->Derived.size(); ++I)
    Index.try_emplace(M->Derived[I].Name, NF + I);
  struct Edge {
    unsigned To;
    llvm::SMLoc Loc;
  };
  // Calls (a derived function "calls" the one it derives), and what AD
  // expands.
  std::vector<std::vector<Edge>> Calls(N), Expands(N);
  for (size_t I = 0; I < NF; ++I) {
    const Function &F = *M->Functions[I];
    for (const Op &O : F.Ops)
      if (O.Kind == OpKind::Call)
        if (auto It = Index.find(O.Callee); It != Index.end())
          Calls[I].push_back({It->second, O.Loc});
    if (F.BackwardFn.empty())
      Expands[I] = Calls[I];
    else if (auto It = Index.find(F.BackwardFn); It != Index.end())
      Expands[I].push_back({It->second, BackwardAt[F.Name]});
  }
  for (size_t I = 0; I < M->Derived.size(); ++I)
    if (auto It = Index.find(M->Derived[I].Of); It != Index.end()) {
      Calls[NF + I].push_back({It->second, DerivedAt[I].Of});
      Expands[NF + I] = Calls[NF + I];
    }
  auto NameOf = [&](unsigned V) {
    return V < NF ? M->Functions[V]->Name : M->Derived[V - NF].Name;
  };

  // Depth-first, without recursion: a chain of calls may be long.
  enum class State : uint8_t { NotSeen, OnPath, Done };
  std::vector<State> Visit(N, State::NotSeen);
  std::vector<std::pair<unsigned, size_t>> Stack;
  for (unsigned Root = 0; Root < N; ++Root) {
    if (Visit[Root] != State::NotSeen)
      continue;
    Visit[Root] = State::OnPath;
    Stack.push_back({Root, 0});
    while (!Stack.empty()) {
      auto &[V, Next] = Stack.back();
      if (Next == Calls[V].size()) {
        Visit[V] = State::Done;
        Stack.pop_back();
        continue;
      }
      const Edge &E = Calls[V][Next++];
      if (Visit[E.To] == State::OnPath)
        return error(E.Loc, DiagID::err_recursion, "@" + NameOf(E.To));
      if (Visit[E.To] == State::NotSeen) {
        Visit[E.To] = State::OnPath;
        Stack.push_back({E.To, 0});
      }
    }
  }

  bool OK = true;
  for (size_t DI = 0; DI < M->Derived.size(); ++DI) {
    unsigned Self = NF + DI;
    std::vector<bool> Seen(N, false);
    std::vector<unsigned> Work = {Self};
    while (!Work.empty()) {
      unsigned V = Work.back();
      Work.pop_back();
      for (const Edge &E : Expands[V]) {
        if (Seen[E.To])
          continue;
        Seen[E.To] = true;
        // AD would expand the function it is building.
        if (E.To == Self) {
          OK = error(E.Loc, DiagID::err_recursion, "@" + NameOf(Self));
          Work.clear();
          break;
        }
        Work.push_back(E.To);
      }
    }
  }
  return OK;
}

/// The verifier checks calls to functions, not to derived functions AD has
/// yet to build, nor the signature of backward rules, which AD calls with
/// the function's arguments and the upstream gradient.
bool IRParser::checkSignatures() {
  bool OK = true;
  for (const auto &F : M->Functions) {
    for (size_t I = 0; I < F->Ops.size(); ++I) {
      const Op &O = F->Ops[I];
      if (O.Kind != OpKind::Call || M->lookup(O.Callee))
        continue;
      std::optional<Signature> Sig = getSignature(O.Callee);
      if (!Sig)
        continue;
      const char *Problem = nullptr;
      if (Sig->Params.size() != O.Operands.size())
        Problem = "call arity";
      else if (Sig->Result != O.Ty)
        Problem = "call result type";
      for (size_t J = 0; !Problem && J < O.Operands.size(); ++J)
        if (F->typeOf(O.Operands[J]) != Sig->Params[J])
          Problem = "call argument type";
      if (!Problem)
        continue;
      OK = error(F->Loc, DiagID::err_ir_invalid,
                 llvm::formatv("@{0}: op {1} (call): {2}", F->Name, I, Problem)
                     .str());
      Diags.report(O.Loc, DiagID::note_ir_invalid_op, I);
    }
    if (F->BackwardFn.empty())
      continue;
    const Function *Rule = M->lookup(F->BackwardFn);
    if (!Rule)
      continue; // the verifier has said so
    Signature Want = *getSignature(F->Name);
    std::vector<Type> Grads = Want.Params;
    Want.Params.push_back(F->ResultType);
    Type Result = Grads.size() == 1 ? Grads[0] : Type::tuple(Grads);
    Signature Have = *getSignature(Rule->Name);
    if (Have.Params != Want.Params || Have.Result != Result)
      OK = error(BackwardAt[F->Name], DiagID::err_ir_backward_signature,
                 Rule->Name, F->Name, joinTypes(Want.Params), Result.str());
  }
  return OK;
}
