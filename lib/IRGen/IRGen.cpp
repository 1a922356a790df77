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
//===----------------------------------------------------------------------===//
#include "nnc/IRGen/IRGen.h"
#include "StructuralOps.h"
#include "LowerState.h"
#include "LowerStats.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringSet.h"

using namespace nnc;
using ir::ValueId;

namespace {

// Convolution and pooling (issue 12).
/// The op a window built-in lowers to, if it is one.
std::optional<ir::OpKind> windowOpKind(ast::Builtin B) {
  switch (B) {
  case ast::Builtin::Conv2d:
    return ir::OpKind::Conv2d;
  case ast::Builtin::Conv2dGradInput:
    return ir::OpKind::Conv2dGradInput;
  case ast::Builtin::Conv2dGradWeight:
    return ir::OpKind::Conv2dGradWeight;
  case ast::Builtin::MaxPool2d:
    return ir::OpKind::MaxPool2d;
  case ast::Builtin::MaxPool2dGrad:
    return ir::OpKind::MaxPool2dGrad;
  case ast::Builtin::MaxPool2dGather:
    return ir::OpKind::MaxPool2dGather;
  case ast::Builtin::AvgPool2d:
    return ir::OpKind::AvgPool2d;
  case ast::Builtin::AvgPool2dGrad:
    return ir::OpKind::AvgPool2dGrad;
  default:
    return std::nullopt;
  }
}

/// How many leading arguments of a window built-in are tensors.
size_t windowTensorArgs(ast::Builtin B) {
  return B == ast::Builtin::MaxPool2d || B == ast::Builtin::AvgPool2d ||
                 B == ast::Builtin::AvgPool2dGrad
             ? 1
             : 2;
}

ir::Type lowerType(const ast::Type &T, const DimSubstitution &Sub = {}) {
  if (T.isTuple()) {
    std::vector<ir::Type> Elts;
    for (const ast::Type &E : T.Elements)
      Elts.push_back(lowerType(E, Sub));
    return ir::Type::tuple(std::move(Elts));
  }
  return ir::Type::tensor(T.Elem, substitute(T.Dims, Sub));
}

/// One layer instance or sub-instance: its sizes and its parameters.
struct InstanceNode {
  std::string Path; // "net", "net.fc1"
  const ast::LayerDecl *Layer = nullptr;
  DimSubstitution Sub;
  /// Flattened parameters, named relative to this node (`W`, `fc1.W`).
  std::vector<std::pair<std::string, ir::Type>> Params;
  /// By member index: a parameter's index in Params, or a sub-layer's
  /// node and the index of its first parameter.
  std::vector<int> ParamIndex;
  std::vector<std::unique_ptr<InstanceNode>> Children;
  std::vector<unsigned> ChildOffset;
  /// The `state` members, depth first, as Params (issue 12): by member
  /// index, a state's index in States or a sub-layer's first one.
  std::vector<std::pair<std::string, ir::Type>> States;
  std::vector<int> StateIndex;
  std::vector<unsigned> ChildStateOffset;
};

std::unique_ptr<InstanceNode> buildInstance(const ast::LayerDecl &L,
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

/// The IR op of a Math1 or Math2 built-in: the op of the same name.
ir::OpKind mathOp(ast::Builtin B) {
  switch (B) {
#define BUILTIN(Id, Spelling, Family) BUILTIN_##Family(Id)
#define BUILTIN_Math(Id)                                                       \
  case ast::Builtin::Id:                                                       \
    return ir::OpKind::Id;
#define BUILTIN_Math1(Id) BUILTIN_Math(Id)
#define BUILTIN_Math2(Id) BUILTIN_Math(Id)
#define BUILTIN_Select(Id)
#define BUILTIN_Convert(Id)
#define BUILTIN_Derive(Id)
#define BUILTIN_Tensor(Id)
#define BUILTIN_Init(Id)
#include "nnc/AST/Builtins.def"
#undef BUILTIN_Math
#undef BUILTIN_Math1
#undef BUILTIN_Math2
#undef BUILTIN_Select
#undef BUILTIN_Convert
#undef BUILTIN_Derive
#undef BUILTIN_Tensor
#undef BUILTIN_Init
  default:
    return ir::OpKind::Const;
  }
}

ir::OpKind binaryOp(ast::BinaryOp Op) {
  switch (Op) {
  case ast::BinaryOp::Add: return ir::OpKind::Add;
  case ast::BinaryOp::Sub: return ir::OpKind::Sub;
  case ast::BinaryOp::Mul: return ir::OpKind::Mul;
  case ast::BinaryOp::Div: return ir::OpKind::Div;
  case ast::BinaryOp::Pow: return ir::OpKind::Pow;
  case ast::BinaryOp::Lt: return ir::OpKind::Lt;
  case ast::BinaryOp::Le: return ir::OpKind::Le;
  case ast::BinaryOp::Gt: return ir::OpKind::Gt;
  case ast::BinaryOp::Ge: return ir::OpKind::Ge;
  case ast::BinaryOp::Eq: return ir::OpKind::Eq;
  case ast::BinaryOp::Ne: return ir::OpKind::Ne;
  case ast::BinaryOp::And: return ir::OpKind::And;
  case ast::BinaryOp::Or: return ir::OpKind::Or;
  case ast::BinaryOp::MatMul: break;
  }
  return ir::OpKind::Const;
}

ir::DeriveKind lowerDeriveKind(ast::DeriveKind K) {
  switch (K) {
  case ast::DeriveKind::Grad: return ir::DeriveKind::Grad;
  case ast::DeriveKind::ValueAndGrad: return ir::DeriveKind::ValueAndGrad;
  case ast::DeriveKind::Vjp: return ir::DeriveKind::Vjp;
  case ast::DeriveKind::TrainStep: return ir::DeriveKind::TrainStep;
  }
  return ir::DeriveKind::Grad;
}

class Lowering {
public:
  explicit Lowering(const ast::Module &AM) : AM(AM) {}

  std::unique_ptr<ir::Module> run() {
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

private:
  /// The IR name of the function \p Ref refers to, declaring it if needed.
  std::string nameOf(const ast::FunctionRef &Ref) {
    if (Ref.Fn && Ref.Instance)
      return methodFunction(*Instances.lookup(Ref.Instance), *Ref.Fn);
    if (Ref.Fn)
      return Ref.Fn->Name;
    return declareDerived(*Ref.Derived, "", Ref.Derived->Loc);
  }

  //===--- Layer instances ---===//

  /// The C-visible name of a top-level instance's method, or the internal
  /// name of a sub-instance's.
  static std::string methodName(const InstanceNode &N, llvm::StringRef M) {
    if (N.Path.find('.') == std::string::npos)
      return N.Path + "_" + M.str();
    return N.Path + "." + M.str();
  }

  void lowerInstance(const ast::LetDecl &I) {
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

  /// Lowers method \p M of instance node \p N once; returns its name.
  std::string methodFunction(InstanceNode &N, const ast::FnDecl &M) {
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

  /// `<inst>_init(seed)`: every parameter of the instance, initialized.
  void lowerInit(InstanceNode &N, llvm::SMLoc Loc) {
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

  void lowerInitValues(ir::Builder &B, InstanceNode &N, ValueId Seed,
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

  std::string declareDerived(const ast::DerivedSpec &S,
                             llvm::StringRef Preferred, llvm::SMLoc Loc) {
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
    D.Kind = lowerDeriveKind(S.Kind);
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

  static std::string kindName(ast::DeriveKind K) {
    return ir::getDeriveKindName(lowerDeriveKind(K)).str();
  }

  void lowerFunction(const ast::FnDecl &AF) {
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

  void lowerBody(ir::Builder &B, const std::vector<ast::Stmt> &Body) {
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

  ValueId lower(ir::Builder &B, const ast::Expr &E) {
    if (isStackNearlyExhausted())
      return continueOnNewStack([&] { return lower(B, E); });
    switch (E.getKind()) {
    case ast::Expr::EK_Number: {
      B.setLoc(E.getLoc());
      auto &N = llvm::cast<ast::NumberExpr>(E);
      if (E.Ty.isIntScalar())
        return B.intConstant(lowerType(E.Ty), N.IntValue);
      return B.constant(lowerType(E.Ty), N.Value);
    }
    case ast::Expr::EK_TensorLit:
      return lowerTensorLiteral(B, llvm::cast<ast::TensorLitExpr>(E));
    case ast::Expr::EK_Bool:
      B.setLoc(E.getLoc());
      return B.constant(lowerType(E.Ty), llvm::cast<ast::BoolExpr>(E).Value);
    case ast::Expr::EK_Name: {
      auto &N = llvm::cast<ast::NameExpr>(E);
      switch (N.Ref) {
      case ast::NameExpr::Param:
        return Ctx.NumStateParams + N.Index;
      case ast::NameExpr::LayerParam:
        return Ctx.Node->ParamIndex[N.Index];
      case ast::NameExpr::LayerState:
        return Ctx.State[Ctx.Node->StateIndex[N.Index]];
      case ast::NameExpr::Training:
        return Ctx.Training;
      case ast::NameExpr::DimVar:
        B.setLoc(E.getLoc());
        return B.dim(substitute(Dim::var(N.Name), Ctx.Sub));
      default:
        return Locals[N.Index];
      }
    }
    case ast::Expr::EK_Unary: {
      auto &U = llvm::cast<ast::UnaryExpr>(E);
      ValueId A = lower(B, *U.Operand);
      B.setLoc(E.getLoc());
      return B.unary(U.Op == ast::UnaryOp::Neg ? ir::OpKind::Neg
                                               : ir::OpKind::Not,
                     A);
    }
    case ast::Expr::EK_Binary: {
      auto &Bin = llvm::cast<ast::BinaryExpr>(E);
      ValueId L = lower(B, *Bin.LHS);
      ValueId R = lower(B, *Bin.RHS);
      B.setLoc(Bin.OpLoc);
      if (Bin.Op == ast::BinaryOp::MatMul)
        return B.matmul(L, R);
      return elementwise(B, binaryOp(Bin.Op), L, R);
    }
    case ast::Expr::EK_If: {
      auto &I = llvm::cast<ast::IfExpr>(E);
      ValueId C = lower(B, *I.Cond);
      ValueId T = lower(B, *I.Then);
      ValueId F = lower(B, *I.Else);
      B.setLoc(E.getLoc());
      return select(B, C, T, F);
    }
    case ast::Expr::EK_Tuple: {
      std::vector<ValueId> Elts;
      for (const ast::ExprPtr &Elt : llvm::cast<ast::TupleExpr>(E).Elements)
        Elts.push_back(lower(B, *Elt));
      B.setLoc(E.getLoc());
      return B.tuple(Elts);
    }
    case ast::Expr::EK_Call:
      return lowerCall(B, llvm::cast<ast::CallExpr>(E));
    case ast::Expr::EK_Member: {
      // Sema accepts `x.T`, and a parameter the REPL passes (`net.fc1.W`).
      auto &M = llvm::cast<ast::MemberExpr>(E);
      if (M.ParamIndex >= 0)
        return Ctx.NumStateParams + M.ParamIndex;
      ValueId X = lower(B, *M.Base);
      B.setLoc(M.MemberRange.Start);
      return irgen::lowerTranspose(B, X);
    }
    case ast::Expr::EK_Index: { // issue 12, tensorops
      auto &X = llvm::cast<ast::IndexExpr>(E);
      ValueId Base = lower(B, *X.Base);
      std::vector<std::optional<ValueId>> Dynamic;
      for (const ast::IndexExpr::AxisWindow &W : X.Axes)
        Dynamic.push_back(W.Item >= 0 ? std::optional(lower(
                                            B, *X.Items[W.Item].Start))
                                      : std::nullopt);
      B.setLoc(E.getLoc());
      return irgen::lowerWindow(B, Base, X.Axes, Dynamic, Ctx.Sub,
                                lowerType(E.Ty, Ctx.Sub));
    }
    }
    assert(false && "Sema rejects what lowering cannot handle");
    return 0;
  }

  /// An element-wise op on operands broadcast to one shape.
  ValueId elementwise(ir::Builder &B, ir::OpKind K, ValueId L, ValueId R) {
    const ir::Function &F = B.getFunction();
    std::optional<Shape> S =
        getBroadcastShape(F.typeOf(L).getShape(), F.typeOf(R).getShape());
    assert(S && "Sema checked the shapes");
    L = B.broadcast(L, F.typeOf(L).isTuple() ? F.typeOf(L)
                                             : ir::Type::tensor(
                                                   F.typeOf(L).getElementKind(), *S));
    R = B.broadcast(R, F.typeOf(R).isTuple() ? F.typeOf(R)
                                             : ir::Type::tensor(
                                                   F.typeOf(R).getElementKind(), *S));
    return B.binary(K, L, R);
  }

  ValueId select(ir::Builder &B, ValueId C, ValueId T, ValueId E) {
    return irgen::broadcastSelect(B, C, T, E);
  }

  ValueId lowerTensorLiteral(ir::Builder &B, const ast::TensorLitExpr &E) {
    std::vector<double> Data;
    std::vector<const ast::Expr *> Work{&E};
    // Depth first, left to right: row-major order.
    while (!Work.empty()) {
      const ast::Expr *X = Work.back();
      Work.pop_back();
      if (auto *L = llvm::dyn_cast<ast::TensorLitExpr>(X)) {
        for (auto It = L->Elements.rbegin(); It != L->Elements.rend(); ++It)
          Work.push_back(It->get());
        continue;
      }
      bool Neg = false;
      if (auto *U = llvm::dyn_cast<ast::UnaryExpr>(X)) {
        Neg = true;
        X = U->Operand.get();
      }
      auto *N = llvm::cast<ast::NumberExpr>(X);
      double V = N->IsInteger ? static_cast<double>(N->IntValue) : N->Value;
      Data.push_back(Neg ? -V : V);
    }
    B.setLoc(E.getLoc());
    return B.tensorConstant(lowerType(E.Ty, Ctx.Sub), std::move(Data));
  }

  /// Reduces \p X along \p Axis, or along every axis when it is -1.
  ValueId reduceAll(ir::Builder &B, ir::OpKind K, ValueId X, int Axis) {
    ir::Type T = B.getFunction().typeOf(X);
    if (Axis >= 0)
      return B.reduce(K, X, Axis);
    if (T.isScalar())
      return X;
    if (T.getRank() > 1)
      X = B.reshape(X, ir::Type::tensor(T.getElementKind(),
                                        {getNumElements(T.getShape())}));
    return B.reduce(K, X, 0);
  }

  /// The number of elements reduced, as a float of kind \p K.
  ValueId countOf(ir::Builder &B, const ir::Type &T, int Axis, ElementKind K) {
    Dim N = Axis >= 0 ? T.getShape()[Axis] : getNumElements(T.getShape());
    return B.convert(B.dim(N), K);
  }

  ValueId lowerCall(ir::Builder &B, const ast::CallExpr &C) {
    // Issue 12's structural built-ins (StructuralOps.h).
    if (std::optional<ValueId> V = irgen::lowerStructural(
            B, C, lowerType(C.Ty, Ctx.Sub),
            [&](const ast::Expr &E) { return lower(B, E); }))
      return *V;
    ValueId V = lowerCallValue(B, C);
    // `keepdims=true` (issue 12, tensorops): the reduced axes as size 1.
    return C.KeepDims ? B.reshape(V, lowerType(C.Ty, Ctx.Sub)) : V;
  }

  ValueId lowerCallValue(ir::Builder &B, const ast::CallExpr &C) {
    ir::OpKind RandKind =
        C.B == ast::Builtin::Randn ? ir::OpKind::Randn : ir::OpKind::Rand;
    if ((C.B == ast::Builtin::Randn || C.B == ast::Builtin::Rand) &&
        !C.Args.empty()) {
      ValueId Seed = lower(B, *C.Args[0].Value);
      B.setLoc(C.getLoc());
      return B.random(RandKind, Seed, C.Axis, lowerType(C.Ty, Ctx.Sub));
    }
    if (C.B == ast::Builtin::Randn || C.B == ast::Builtin::Rand) {
      B.setLoc(C.getLoc());
      return B.random(C.B == ast::Builtin::Randn ? ir::OpKind::Randn
                                                 : ir::OpKind::Rand,
                      Ctx.Seed, Ctx.Stream++, Ctx.InitType);
    }
    if (std::optional<ValueId> V = lowerIssue12(B, C))
      return *V;
    // Named arguments (`axis=`) and shapes (`[B, 10]`) are attributes that
    // Sema recorded; only values are lowered.
    bool ShapeFirst = C.B == ast::Builtin::Iota;
    bool ShapeSecond = C.B == ast::Builtin::Reshape ||
                       C.B == ast::Builtin::Broadcast ||
                       C.B == ast::Builtin::SumTo ||
                       C.B == ast::Builtin::Onehot;
    // Convolution and pooling (issue 12): tensors first, then the pools'
    // window and a shape, which are attributes.
    size_t ValueArgs = windowOpKind(C.B) ? windowTensorArgs(C.B)
                                         : C.Args.size();
    std::vector<ValueId> Args;
    for (size_t I = 0; I < C.Args.size(); ++I) {
      const ast::Arg &A = C.Args[I];
      if (!A.Name.empty() || (ShapeFirst && I == 0) ||
          (ShapeSecond && I == 1) || I >= ValueArgs)
        continue;
      Args.push_back(lower(B, *A.Value));
    }
    B.setLoc(C.getLoc());
    if (C.B == ast::Builtin::None)
      return lowerUserCall(B, C, Args);
    const ir::Function &F = B.getFunction();
    auto TypeOf = [&](unsigned I) { return F.typeOf(Args[I]); };
    ir::Type Result = lowerType(C.Ty, Ctx.Sub);
    switch (C.B) {
    case ast::Builtin::BatchNorm:
      return lowerBatchNorm(B, C, Args);
    case ast::Builtin::Dropout:
      return lowerDropout(B, C, Args[0]);
    case ast::Builtin::Max:
    case ast::Builtin::Min:
      if (C.Args.size() == 1 || !C.Args.back().Name.empty())
        return reduceAll(B,
                         C.B == ast::Builtin::Max ? ir::OpKind::ReduceMax
                                                  : ir::OpKind::ReduceMin,
                         Args[0], C.Axis);
      break;
    case ast::Builtin::Sum:
      return reduceAll(B, ir::OpKind::ReduceSum, Args[0], C.Axis);
    case ast::Builtin::Mean: {
      ir::Type T = TypeOf(0);
      ValueId S = reduceAll(B, ir::OpKind::ReduceSum, Args[0], C.Axis);
      ValueId N = countOf(B, T, C.Axis, T.getElementKind());
      return elementwise(B, ir::OpKind::Div, S, N);
    }
    case ast::Builtin::Argmax:
      return B.reduce(ir::OpKind::ArgMax, Args[0], C.Axis);
    case ast::Builtin::Reshape:
      return B.reshape(Args[0], Result);
    case ast::Builtin::Broadcast:
      return B.broadcast(Args[0], Result);
    case ast::Builtin::SumTo:
      return B.sumTo(Args[0], Result);
    case ast::Builtin::Iota:
      return B.iota(Result, C.Axis);
    case ast::Builtin::Onehot:
      return B.onehot(Args[0], substitute(C.ShapeArg[0], Ctx.Sub),
                      ElementKind::F64);
    case ast::Builtin::Pick:
      return B.pick(Args[0], Args[1]);
    case ast::Builtin::Softmax:
      return B.softmax(ir::OpKind::Softmax, Args[0], C.Axis);
    case ast::Builtin::LogSoftmax:
      return B.softmax(ir::OpKind::LogSoftmax, Args[0], C.Axis);
    case ast::Builtin::Logsumexp:
      return B.reduce(ir::OpKind::LogSumExp, Args[0], C.Axis);
    case ast::Builtin::CrossEntropy: {
      // -mean over the batch of log_softmax(x)[label]: stable, since
      // log_softmax subtracts the row maximum.
      ir::Type T = TypeOf(0);
      ValueId LS = B.softmax(ir::OpKind::LogSoftmax, Args[0], 1);
      ValueId P = B.pick(LS, Args[1]);
      ValueId S = B.reduce(ir::OpKind::ReduceSum, P, 0);
      ValueId N = countOf(B, T, 0, T.getElementKind());
      return B.unary(ir::OpKind::Neg, B.binary(ir::OpKind::Div, S, N));
    }
    case ast::Builtin::SvmLoss: {
      // CS231n's multiclass hinge: the mean over rows of
      //   sum_{j != y} max(0, (1 - s_y) + s_j),
      // PyTorch's multi_margin_loss times C (it also divides by the class
      // count), with its order of rounding. The label's own column is
      // masked out rather than counted as max(0, 1) = 1 and taken off
      // afterwards: s_y - s_y is NaN for an infinite score, and 1 + m - 1
      // rounds a tiny margin m away while relu' still sees it. A margin
      // that is exactly 0 gets relu'(0) = 0, as PyTorch's `z > 0`.
      ir::Type T = TypeOf(0);
      ElementKind K = T.getElementKind();
      const Shape &S = T.getShape();
      ValueId Target = B.reshape(B.pick(Args[0], Args[1]),
                                 ir::Type::tensor(K, {S[0], Dim::constant(1)}));
      ValueId Base = elementwise(B, ir::OpKind::Sub,
                                 B.constant(T.getElementType(), 1), Target);
      ValueId H = B.unary(ir::OpKind::Relu,
                          elementwise(B, ir::OpKind::Add, Base, Args[0]));
      ValueId Labels = Args[1];
      if (TypeOf(1).getElementKind() != ElementKind::I64)
        Labels = B.convert(Labels, ElementKind::I64);
      Labels = B.reshape(Labels, ir::Type::tensor(ElementKind::I64,
                                                  {S[0], Dim::constant(1)}));
      ValueId IsLabel =
          elementwise(B, ir::OpKind::Eq,
                      B.iota(T.withElementKind(ElementKind::I64), 1), Labels);
      ValueId Hinge =
          select(B, IsLabel, B.constant(T.getElementType(), 0), H);
      ValueId Rows = B.reduce(ir::OpKind::ReduceSum, Hinge, 1);
      ValueId Total = B.reduce(ir::OpKind::ReduceSum, Rows, 0);
      return B.binary(ir::OpKind::Div, Total, countOf(B, T, 0, K));
    }
    default:
      // Convolution and pooling (issue 12).
      if (std::optional<ir::OpKind> K = windowOpKind(C.B)) {
        bool Given = C.B == ast::Builtin::Conv2dGradInput ||
                     C.B == ast::Builtin::Conv2dGradWeight ||
                     C.B == ast::Builtin::AvgPool2dGrad;
        return B.window(*K, Args, C.Win, Given ? &Result : nullptr);
      }
      break;
    }
    switch (ast::getBuiltinFamily(C.B)) {
    case ast::BuiltinFamily::Math1: {
      const ir::Type &T = TypeOf(0);
      if (C.B == ast::Builtin::Relu && T.isInt())
        return elementwise(B, ir::OpKind::Max, Args[0],
                           B.intConstant(T.getElementType(), 0));
      return B.unary(mathOp(C.B), Args[0]);
    }
    case ast::BuiltinFamily::Math2:
      return elementwise(B, mathOp(C.B), Args[0], Args[1]);
    case ast::BuiltinFamily::Select:
      return select(B, Args[0], Args[1], Args[2]);
    case ast::BuiltinFamily::Convert:
      if (TypeOf(0) == Result)
        return Args[0];
      return B.convert(Args[0], C.Ty.Elem);
    default:
      break;
    }
    assert(false && "Sema rejects what lowering cannot handle");
    return 0;
  }

  /// batch_norm (LowerState.h); the new running statistics go to the
  /// state members named by its second and third arguments.
  ValueId lowerBatchNorm(ir::Builder &B, const ast::CallExpr &C,
                         llvm::ArrayRef<ValueId> Args) {
    irgen::BatchNormResult R = irgen::lowerBatchNorm(B, C, Args, Ctx.Training);
    auto StateOf = [&](size_t Arg) {
      auto *Name = llvm::cast<ast::NameExpr>(C.Args[Arg].Value.get());
      return Ctx.Node->StateIndex[Name->Index];
    };
    Ctx.State[StateOf(1)] = R.NewMean;
    Ctx.State[StateOf(2)] = R.NewVar;
    return R.Y;
  }

  ValueId lowerDropout(ir::Builder &B, const ast::CallExpr &C, ValueId X) {
    return irgen::lowerDropout(B, C, X, Ctx.Training, Ctx.StepSeed,
                               NextDropoutStream++);
  }

  /// Element-wise ops and statistics (issue 12), whose named arguments are
  /// values (LowerStats.h); nothing for other calls.
  std::optional<ValueId> lowerIssue12(ir::Builder &B, const ast::CallExpr &C) {
    if (!irgen::isStatsCall(C))
      return std::nullopt;
    return irgen::lowerStatsCall(
        B, C, lowerType(C.Ty, Ctx.Sub),
        [&](const ast::Expr &E) { return lower(B, E); });
  }

  ValueId lowerUserCall(ir::Builder &B, const ast::CallExpr &C,
                        std::vector<ValueId> Args) {
    ir::Type Result = lowerType(C.Ty, Ctx.Sub);
    const ast::FunctionRef &Ref = C.Target;
    if (Ref.Fn && Ref.Fn->Owner && !Ref.Instance && Ctx.Node) {
      // A method of this instance, or of a sub-instance: it takes that
      // instance's parameters first.
      InstanceNode *Target = Ctx.Node;
      unsigned First = 0, FirstState = 0;
      if (Ref.ViaMember >= 0) {
        Target = Ctx.Node->Children[Ref.ViaMember].get();
        First = Ctx.Node->ChildOffset[Ref.ViaMember];
        FirstState = Ctx.Node->ChildStateOffset[Ref.ViaMember];
      }
      std::vector<ValueId> Full;
      for (unsigned I = 0; I < Target->Params.size(); ++I)
        Full.push_back(First + I);
      // The state as this method has it so far (issue 12).
      for (unsigned I = 0; I < Target->States.size(); ++I)
        Full.push_back(Ctx.State[FirstState + I]);
      Full.insert(Full.end(), Args.begin(), Args.end());
      if (Target->Layer->UsesTraining)
        Full.push_back(Ctx.Training);
      if (Target->Layer->UsesSeed)
        Full.push_back(Ctx.StepSeed);
      std::string Callee = methodFunction(*Target, *Ref.Fn);
      B.setLoc(C.getLoc());
      if (!ReturnsState.contains(Callee))
        return B.call(Callee, Result, Full);
      // It returns (value, new state): the new state replaces the old.
      // The value's type in the caller's dimensions; the state's are
      // constant.
      std::vector<ir::Type> Types = {Result};
      for (const auto &[SName, STy] : Target->States)
        Types.push_back(STy);
      ValueId R = B.call(Callee, ir::Type::tuple(std::move(Types)), Full);
      for (unsigned I = 0; I < Target->States.size(); ++I)
        Ctx.State[FirstState + I] = B.extract(R, 1 + I);
      return B.extract(R, 0);
    }
    std::string Callee = nameOf(Ref);
    B.setLoc(C.getLoc());
    if (!C.ImplicitArgs.empty() || !C.ModeArgs.empty()) {
      // nnc-repl's wrapper: the session's parameters and state, and its
      // mode after the method's own arguments.
      std::vector<ValueId> Full;
      for (unsigned I : C.ImplicitArgs) {
        auto It = SessionState.find(I);
        Full.push_back(It != SessionState.end() ? It->second
                                                : Ctx.NumStateParams + I);
      }
      size_t At = std::min<size_t>(C.ModeArgsAt, Args.size());
      Full.insert(Full.end(), Args.begin(), Args.begin() + At);
      for (unsigned I : C.ModeArgs)
        Full.push_back(Ctx.NumStateParams + I);
      Full.insert(Full.end(), Args.begin() + At, Args.end());
      if (!Ref.Instance || !ReturnsState.contains(Callee))
        return B.call(Callee, Result, Full);
      // A method that updates its instance's state returns it too (issue
      // 12): later calls see it, and the wrapper returns it to the session.
      const InstanceNode &N = *Instances.lookup(Ref.Instance);
      unsigned NP = N.Params.size();
      std::vector<ir::Type> Types = {Result};
      for (const auto &[SName, STy] : N.States)
        Types.push_back(STy);
      ValueId R = B.call(Callee, ir::Type::tuple(std::move(Types)), Full);
      for (unsigned I = 0; I < N.States.size(); ++I)
        SessionState[C.ImplicitArgs[NP + I]] = B.extract(R, 1 + I);
      return B.extract(R, 0);
    }
    return B.call(Callee, Result, Args);
  }

  /// Where names of the body being lowered point.
  struct Context {
    InstanceNode *Node = nullptr;
    /// The method's own parameters follow the instance's.
    unsigned NumStateParams = 0;
    DimSubstitution Sub;
    /// In a parameter initializer, randn() draws from Seed.
    ValueId Seed = 0;
    unsigned Stream = 0;
    ir::Type InitType;
    /// In a method (issue 12): the current value of each state field of
    /// Node, and the `training` and `seed` parameters (when it has them).
    std::vector<ValueId> State;
    ValueId Training = 0, StepSeed = 0;
  };
  Context Ctx;

  const ast::Module &AM;
  std::unique_ptr<ir::Module> IRM;
  llvm::DenseMap<const ast::LetDecl *, InstanceNode *> Instances;
  std::vector<std::unique_ptr<InstanceNode>> Roots;
  llvm::StringSet<> Lowered;
  /// Methods that return (value, new state) (issue 12).
  llvm::StringSet<> ReturnsState;
  /// In nnc-repl's wrapper: the latest value of each parameter holding
  /// session state that a call updated.
  llvm::DenseMap<unsigned, ValueId> SessionState;
  /// The stream of the next dropout site: one per site and instance node.
  unsigned NextDropoutStream = 1u << 20;
  std::vector<ValueId> Locals;
  llvm::DenseMap<const ast::DerivedSpec *, std::string> DerivedNames;
  llvm::StringSet<> Taken;
};

} // namespace

std::unique_ptr<ir::Module> nnc::lowerModule(const ast::Module &M) {
  return Lowering(M).run();
}
