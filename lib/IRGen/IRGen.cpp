//===- IRGen.cpp - AST to IR ----------------------------------------------===//
//
// Sema has made every conversion explicit, so lowering is a direct walk:
// each expression appends ops and yields the value that holds its result.
// An `if` expression becomes a select: bodies have no side effects, so both
// arms may be computed. Broadcasting, implicit in the source, becomes
// explicit `broadcast` ops, so element-wise IR ops see equal shapes.
//
// A layer instance becomes functions whose first parameters are the
// instance's parameters, depth first: `net_forward(fc1.W, fc1.b, fc2.W,
// fc2.b, x)`, exported, and internal `net.fc1.forward(W, b, x)` for the
// sub-layers it calls; `net_init(seed)` returns every parameter,
// initialized. The layer's arguments are constants in each instance.
//
// This file lowers the module, its layer instances and its functions;
// LowerExpr.cpp and LowerCall.cpp lower expressions and calls (Lowering.h).
//
//===----------------------------------------------------------------------===//
#include "nnc/IRGen/IRGen.h"
#include "Lowering.h"

using namespace nnc;
using namespace nnc::irgen;
using ir::ValueId;

ir::Type irgen::lowerType(const ast::Type &T, const DimSubstitution &Sub) {
  if (T.isTuple()) {
    std::vector<ir::Type> Elts;
    for (const ast::Type &E : T.Elements)
      Elts.push_back(lowerType(E, Sub));
    return ir::Type::tuple(std::move(Elts));
  }
  return ir::Type::tensor(T.Elem, substitute(T.Dims, Sub));
}

static std::unique_ptr<InstanceNode> buildInstance(const ast::LayerDecl &L,
                                                   llvm::ArrayRef<Dim> Args,
                                                   std::string Path) {
  auto N = std::make_unique<InstanceNode>();
  N->Path = std::move(Path);
  N->Layer = &L;
  for (size_t I = 0; I < L.Params.size() && I < Args.size(); ++I)
    N->Sub.emplace_back(L.Params[I].Name, Args[I]);
  size_t NumMembers = L.Members.size();
  N->ParamIndex.assign(NumMembers, -1);
  N->Children.resize(NumMembers);
  N->ChildOffset.assign(NumMembers, 0);
  N->StateIndex.assign(NumMembers, -1);
  N->ChildStateOffset.assign(NumMembers, 0);
  for (size_t M = 0; M < NumMembers; ++M) {
    const ast::LayerMember &LM = L.Members[M];
    if (LM.TheKind == ast::LayerMember::Param) {
      N->ParamIndex[M] = N->Params.size();
      N->Params.emplace_back(LM.Name, lowerType(L.ParamTypes[M], N->Sub));
    } else if (LM.TheKind == ast::LayerMember::State) {
      N->StateIndex[M] = N->States.size();
      N->States.emplace_back(LM.Name, lowerType(L.ParamTypes[M], N->Sub));
    } else if (LM.TheKind == ast::LayerMember::SubLayer) {
      std::vector<Dim> SubArgs;
      for (const Dim &D : L.SubLayerArgs[M])
        SubArgs.push_back(substitute(D, N->Sub));
      N->Children[M] =
          buildInstance(*L.SubLayers[M], SubArgs, N->Path + "." + LM.Name);
      N->ChildOffset[M] = N->Params.size();
      for (const auto &[PName, PTy] : N->Children[M]->Params)
        N->Params.emplace_back(LM.Name + "." + PName, PTy);
      N->ChildStateOffset[M] = N->States.size();
      for (const auto &[SName, STy] : N->Children[M]->States)
        N->States.emplace_back(LM.Name + "." + SName, STy);
    }
  }
  return N;
}

std::unique_ptr<ir::Module> Lowering::run() {
  IRM = std::make_unique<ir::Module>();
  IRM->Name = AM.Name;
  for (const ast::DeclPtr &D : AM.Decls)
    Taken.insert(D->Name);
  // Instances first: transforms refer to their methods. Then named
  // transforms, so an inline use of the same transform calls the function
  // the user named.
  for (const ast::DeclPtr &D : AM.Decls)
    if (auto *I = llvm::dyn_cast<ast::LetDecl>(D.get()); I && I->Layer)
      lowerInstance(*I);
  for (const ast::DeclPtr &D : AM.Decls)
    if (auto *DD = llvm::dyn_cast<ast::DerivedFnDecl>(D.get()))
      if (DD->Target.Derived)
        declareDerived(*DD->Target.Derived, DD->Name, DD->Range.Start);
  for (const ast::DeclPtr &D : AM.Decls)
    if (auto *F = llvm::dyn_cast<ast::FnDecl>(D.get()))
      lowerFunction(*F);
  return std::move(IRM);
}

std::string Lowering::nameOf(const ast::FunctionRef &Ref) {
  if (Ref.Fn && Ref.Instance)
    return methodFunction(*Instances.lookup(Ref.Instance), *Ref.Fn);
  if (Ref.Fn)
    return Ref.Fn->Name;
  return declareDerived(*Ref.Derived, "", Ref.Derived->Loc);
}

std::string Lowering::methodName(const InstanceNode &N, llvm::StringRef M) {
  if (N.Path.find('.') == std::string::npos)
    return N.Path + "_" + M.str();
  return N.Path + "." + M.str();
}

void Lowering::lowerInstance(const ast::LetDecl &I) {
  auto Root = buildInstance(*I.Layer, I.LayerArgs, I.Name);
  InstanceNode &N = *Root;
  Instances[&I] = Root.get();
  ir::Module::Instance Info;
  Info.Name = I.Name;
  Info.Params = N.Params;
  Info.Params.insert(Info.Params.end(), N.States.begin(), N.States.end());
  Info.NumState = N.States.size();
  IRM->Instances.push_back(std::move(Info));
  if (!N.Params.empty() || !N.States.empty())
    lowerInit(N, I.NameRange.Start);
  for (const ast::LayerMember &LM : I.Layer->Members)
    if (LM.TheKind == ast::LayerMember::Method)
      methodFunction(N, *LM.MethodDecl);
  Roots.push_back(std::move(Root));
}

std::string Lowering::methodFunction(InstanceNode &N, const ast::FnDecl &M) {
  std::string Name = methodName(N, M.Name);
  if (IRM->lookup(Name) || !Lowered.insert(Name).second)
    return Name;
  Taken.insert(Name);
  ir::Function &F = IRM->addFunction(Name);
  F.Loc = M.NameRange.Start;
  bool Root = N.Path.find('.') == std::string::npos;
  F.Exported = Root;
  unsigned NP = N.Params.size(), NS = N.States.size();
  if (Root)
    F.ParamStruct = {0, NP + NS, N.Path, false};
  F.ResultType = lowerType(M.Result, N.Sub);
  ir::Builder B(F);
  for (const auto &[PName, PTy] : N.Params)
    B.param(PTy, PName);
  for (const auto &[SName, STy] : N.States)
    B.param(STy, SName);
  for (const ast::Param &P : M.Params)
    B.param(lowerType(P.Ty, N.Sub), P.Name);
  // The mode and the dropout seed, last (issue 12).
  ValueId Training = 0, StepSeed = 0;
  if (N.Layer->UsesTraining)
    Training = B.param(ir::Type::scalar(ElementKind::Bool), "training");
  if (N.Layer->UsesSeed)
    StepSeed = B.param(ir::Type::scalar(ElementKind::I64), "seed");
  // A method is lowered when first called, in the middle of its caller's
  // body: keep the caller's context and locals aside.
  Context Saved = Ctx;
  std::vector<ValueId> SavedLocals = std::move(Locals);
  Ctx = Context{&N, NP + NS, N.Sub, 0, 0};
  Ctx.Training = Training;
  Ctx.StepSeed = StepSeed;
  for (unsigned I = 0; I < NS; ++I)
    Ctx.State.push_back(NP + I);
  lowerBody(B, M.Body);
  // A method that changed state returns (value, every new state value):
  // at the C ABI, written back into the struct (issue 12).
  bool Changed = false;
  for (unsigned I = 0; I < NS; ++I)
    Changed |= Ctx.State[I] != NP + I;
  if (Changed) {
    ir::Op Ret = F.Ops.back();
    F.Ops.pop_back();
    std::vector<ValueId> Leaves = {Ret.Operands[0]};
    std::vector<ir::Type> Types = {F.ResultType};
    for (unsigned I = 0; I < NS; ++I) {
      Leaves.push_back(Ctx.State[I]);
      Types.push_back(N.States[I].second);
    }
    B.setLoc(Ret.Loc);
    ValueId T = B.tuple(Leaves);
    F.ResultType = ir::Type::tuple(Types);
    B.ret(T);
    ReturnsState.insert(Name);
    if (Root) {
      F.InPlace = true;
      F.InPlaceField = NP;
      F.UpdatesLayerState = true;
    }
  }
  Ctx = Saved;
  Locals = std::move(SavedLocals);
  return Name;
}

void Lowering::lowerInit(InstanceNode &N, llvm::SMLoc Loc) {
  ir::Function &F = IRM->addFunction(N.Path + "_init");
  Taken.insert(F.Name);
  F.Loc = Loc;
  F.ResultStruct = {0, static_cast<unsigned>(N.Params.size() +
                                             N.States.size()),
                    N.Path, false};
  ir::Builder B(F);
  ValueId Seed = B.param(ir::Type::scalar(ElementKind::I64), "seed");
  std::vector<ValueId> Values;
  std::vector<ir::Type> Types;
  unsigned Stream = 0;
  // Parameters, then state members (the struct's order); each draws its
  // random numbers in member order, parameters first.
  lowerInitValues(B, N, Seed, Stream, Values, ast::LayerMember::Param);
  lowerInitValues(B, N, Seed, Stream, Values, ast::LayerMember::State);
  // One parameter is returned as itself: the language has no 1-tuples.
  if (Values.size() == 1) {
    F.ResultType = F.typeOf(Values[0]);
    B.ret(Values[0]);
    return;
  }
  for (ValueId V : Values)
    Types.push_back(F.typeOf(V));
  F.ResultType = ir::Type::tuple(Types);
  B.ret(B.tuple(Values));
}

void Lowering::lowerInitValues(ir::Builder &B, InstanceNode &N, ValueId Seed,
                               unsigned &Stream, std::vector<ValueId> &Out,
                               ast::LayerMember::Kind Kind) {
  const ast::LayerDecl &L = *N.Layer;
  for (size_t M = 0; M < L.Members.size(); ++M) {
    const ast::LayerMember &LM = L.Members[M];
    if (LM.TheKind == ast::LayerMember::SubLayer) {
      lowerInitValues(B, *N.Children[M], Seed, Stream, Out, Kind);
      continue;
    }
    if (LM.TheKind != Kind)
      continue;
    const ir::Type &T = Kind == ast::LayerMember::Param
                            ? N.Params[N.ParamIndex[M]].second
                            : N.States[N.StateIndex[M]].second;
    B.setLoc(LM.NameRange.Start);
    B.setNextName(LM.Name);
    if (!LM.Init) {
      Out.push_back(B.splat(T, 0));
      continue;
    }
    // Computed in f64 element by element: randn() is a tensor of the
    // parameter's shape, constants broadcast to it.
    Context Saved = Ctx;
    Ctx = Context{&N, 0, N.Sub, Seed, Stream};
    Ctx.InitType = T.withElementKind(ElementKind::F64);
    ValueId V = lower(B, *LM.Init);
    Stream = Ctx.Stream;
    Ctx = Saved;
    V = B.broadcast(V, T.withElementKind(ElementKind::F64));
    if (T.getElementKind() != ElementKind::F64)
      V = B.convert(V, T.getElementKind());
    B.getFunction().op(V).Name = LM.Name;
    Out.push_back(V);
  }
}

std::string Lowering::declareDerived(const ast::DerivedSpec &S,
                                     llvm::StringRef Preferred,
                                     llvm::SMLoc Loc) {
  // Sema gives each distinct transform one DerivedSpec, so its address
  // identifies it.
  if (Preferred.empty()) {
    auto It = DerivedNames.find(&S);
    if (It != DerivedNames.end())
      return It->second;
  }
  std::string Of = nameOf(S.Of);
  std::string Name = Preferred.str();
  if (Name.empty()) {
    std::string Base = "__" + kindName(S.Kind) + "_" + Of;
    for (char &C : Base)
      if (C == '.')
        C = '_';
    Name = Base;
    for (unsigned I = 1; Taken.contains(Name); ++I)
      Name = Base + "_" + std::to_string(I);
    Taken.insert(Name);
  }
  ir::DerivedDecl D;
  D.Name = Name;
  D.Kind = S.Kind;
  D.Of = Of;
  D.Wrt = S.Wrt;
  D.Exported = !Preferred.empty();
  D.Loc = Loc;
  D.Opt = S.Opt;
  if (S.Kind == ast::DeriveKind::TrainStep) {
    // The parameters and the optimizer's state travel as structs that the
    // step updates in place; the state struct is declared once per
    // instance and optimizer.
    std::string Inst = S.Of.Instance->Name;
    const ir::Module::Instance &Net = *IRM->lookupInstance(Inst);
    D.ParamStruct = {0, static_cast<unsigned>(Net.Params.size()), Inst,
                     false}; // parameters and state members
    ir::Module::Instance State =
        ir::Module::makeOptimizerState(Net, S.Opt);
    D.StateStruct = {0, static_cast<unsigned>(State.Params.size()),
                     State.Name, false};
    if (!State.Params.empty() && !IRM->lookupInstance(State.Name))
      IRM->Instances.push_back(std::move(State));
  } else if (S.Of.Instance) {
    // The instance's parameters travel as its struct; so do their
    // gradients when all of them are differentiated, first.
    const InstanceNode *Node = Instances.lookup(S.Of.Instance);
    unsigned K = Node->Params.size();
    std::string Inst = S.Of.Instance->Name;
    D.ParamStruct = {0, K + static_cast<unsigned>(Node->States.size()),
                     Inst, false};
    bool AllFirst = S.Wrt.size() >= K && K > 0;
    for (unsigned I = 0; AllFirst && I < K; ++I)
      AllFirst = S.Wrt[I] == I;
    if (AllFirst && S.Kind != ast::DeriveKind::Vjp)
      D.ResultStruct = {S.Kind == ast::DeriveKind::ValueAndGrad ? 1u : 0u,
                        K, Inst, true};
    if (AllFirst && S.Kind == ast::DeriveKind::Vjp)
      D.ResultStruct = {0, K, Inst, true};
  }
  IRM->Derived.push_back(std::move(D));
  DerivedNames.try_emplace(&S, Name);
  return Name;
}

std::string Lowering::kindName(ast::DeriveKind K) {
  return getDeriveKindName(K).str();
}

void Lowering::lowerFunction(const ast::FnDecl &AF) {
  Ctx = Context();
  SessionState.clear();
  ir::Function &F = IRM->addFunction(AF.Name);
  F.ResultType = lowerType(AF.Result);
  F.Loc = AF.NameRange.Start;
  ir::Builder B(F);
  for (const ast::Param &P : AF.Params)
    B.param(lowerType(P.Ty), P.Name);
  lowerBody(B, AF.Body);
  AF.UpdatedSessionState.clear();
  if (!SessionState.empty()) {
    // nnc-repl's wrapper called methods that update the session's layer
    // state: it returns (value, the new state), in parameter order.
    ir::Op Ret = F.Ops.back();
    F.Ops.pop_back();
    std::vector<ValueId> Leaves = {Ret.Operands[0]};
    std::vector<ir::Type> Types = {F.ResultType};
    std::vector<std::pair<unsigned, ValueId>> Sorted(SessionState.begin(),
                                                     SessionState.end());
    llvm::sort(Sorted);
    for (const auto &[Param, V] : Sorted) {
      AF.UpdatedSessionState.push_back(Param);
      Leaves.push_back(V);
      Types.push_back(F.typeOf(V));
    }
    B.setLoc(Ret.Loc);
    ValueId T = B.tuple(Leaves);
    F.ResultType = ir::Type::tuple(Types);
    B.ret(T);
    SessionState.clear();
  }
  if (!AF.Backward)
    return;
  // The backward rule: the function's parameters, then the upstream
  // gradient; it returns one gradient per parameter.
  std::string BName = AF.Name + ".backward";
  ir::Function &BF = IRM->addFunction(BName);
  F.BackwardFn = BName;
  BF.Exported = false;
  BF.Loc = AF.Backward->Range.Start;
  std::vector<ast::Type> GradTypes;
  for (const ast::Param &P : AF.Params)
    GradTypes.push_back(P.Ty);
  BF.ResultType = GradTypes.size() == 1
                      ? lowerType(GradTypes[0])
                      : lowerType(ast::Type::tuple(GradTypes));
  ir::Builder BB(BF);
  for (const ast::Param &P : AF.Params)
    BB.param(lowerType(P.Ty), P.Name);
  BB.param(lowerType(AF.Result), AF.Backward->GradName);
  lowerBody(BB, AF.Backward->Body);
}

void Lowering::lowerBody(ir::Builder &B, const std::vector<ast::Stmt> &Body) {
  Locals.clear();
  for (const ast::Stmt &S : Body) {
    ValueId V = lower(B, *S.Value);
    if (S.TheKind == ast::Stmt::Assign) {
      // The state member's value from here on (issue 12).
      ir::Op &O = B.getFunction().op(V);
      if (O.Name.empty() && O.Kind != ir::OpKind::Param)
        O.Name = S.Name;
      Ctx.State[Ctx.Node->StateIndex[S.Member]] = V;
      continue;
    }
    if (S.TheKind == ast::Stmt::Return) {
      B.setLoc(S.Range.Start);
      B.ret(V);
      return;
    }
    ir::Op &O = B.getFunction().op(V);
    if (O.Name.empty() && O.Kind != ir::OpKind::Param)
      O.Name = S.Name;
    Locals.push_back(V);
  }
}

std::unique_ptr<ir::Module> nnc::lowerModule(const ast::Module &M) {
  return Lowering(M).run();
}
