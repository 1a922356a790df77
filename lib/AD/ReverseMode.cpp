//===- ReverseMode.cpp - Forward sweep, then backward sweep ---------------===//
//
// For `df = grad(f)`, df's body is:
//   1. the forward sweep: f's ops, with calls expanded except those to
//      functions whose backward rule the user wrote; every forward value
//      stays available to the backward sweep, and DCE later drops the ones
//      it does not need;
//   2. the backward sweep: the output's adjoint is seeded with 1 (with the
//      upstream gradient for vjp), then the ops are visited in reverse and
//      each adds its vector-Jacobian product to its operands' adjoints.
// No recursion over the graph: one backward loop over the op vector.
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"
#include "nnc/AD/AD.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FormatVariadic.h"
#include <functional>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ad;

ValueId ad::cloneExpanded(const Module &M, Builder &B, const Function &Callee,
                          llvm::ArrayRef<ValueId> Args) {
  return inlineCall(B, Callee, Args, [&](const Op &Call) -> const Function * {
    const Function *Target = M.lookup(Call.Callee);
    // Never the function being built: Sema rejects rules that need it,
    // and its ops are still being written.
    if (Target && Target->BackwardFn.empty() && Target != &B.getFunction())
      return Target;
    return nullptr;
  });
}

static void flattenTypes(const Type &T, std::vector<Type> &Out) {
  if (T.isLeaf()) {
    Out.push_back(T);
    return;
  }
  for (const Type &E : T.getElements())
    flattenTypes(E, Out);
}

/// Values that depend on a parameter we differentiate with respect to.
/// Integers and bools never do: they have no gradient; nor do the results
/// of ops no gradient flows through (Ops.def's NoGradient).
static std::vector<bool> findActive(const Function &F,
                                    llvm::ArrayRef<unsigned> Wrt) {
  std::vector<bool> Active(F.Ops.size(), false);
  for (unsigned I : Wrt)
    Active[I] = true;
  for (size_t I = F.getNumParams(); I < F.Ops.size(); ++I) {
    const Op &O = F.Ops[I];
    if ((!O.Ty.isFloat() && !O.Ty.isTuple()) || !hasGradient(O.Kind))
      continue;
    for (ValueId V : O.Operands)
      if (Active[V]) {
        Active[I] = true;
        break;
      }
  }
  return Active;
}

llvm::Expected<Function *> nnc::differentiate(Module &M,
                                              const DerivedDecl &D) {
  const Function *Src = M.lookup(D.Of);
  if (!Src)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("internal error: @{0} derives unknown function @{1}",
                      D.Name, D.Of)
            .str());
  // A method that assigns layer state returns (value, new state...) (issue
  // 12): the value is differentiated; the state is no output of a
  // gradient, and a train step writes it back.
  bool ReturnsState = Src->returnsLayerState();
  const Type SrcValueType =
      ReturnsState ? Src->ResultType.getElements()[0] : Src->ResultType;
  // grad seeds the output's adjoint with 1: the output must be one number.
  // (Sema and the IR parser reject the rest; this keeps AD safe alone.)
  if (D.Kind != DeriveKind::Vjp &&
      !(SrcValueType.isScalar() && SrcValueType.isFloat()))
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        llvm::formatv("'{0}' of @{1} needs a float scalar result, not {2}",
                      getDeriveKindName(D.Kind), D.Of,
                      Src->ResultType.str())
            .str());
  // Src may move when the vector of functions grows: copy what we need.
  const Function Source = *Src;
  Function &G = M.addFunction(D.Name);
  G.Exported = D.Exported;
  G.ParamStruct = D.ParamStruct;
  G.ResultStruct = D.ResultStruct;
  G.Loc = D.Loc;
  Builder B(G);
  unsigned NumParams = Source.getNumParams();
  // A train step runs in training mode: the source's `training` parameter
  // (after its struct) is the constant true, not one of the step's.
  int TrainingParam = -1;
  if (D.Kind == DeriveKind::TrainStep)
    for (unsigned I = Source.ParamStruct.Count; I < NumParams; ++I)
      if (Source.getParamName(I) == "training" &&
          Source.getParamType(I) == Type::scalar(ElementKind::Bool))
        TrainingParam = I;
  std::vector<ValueId> Params;
  for (unsigned I = 0; I < NumParams; ++I)
    if (static_cast<int>(I) != TrainingParam)
      Params.push_back(B.param(Source.getParamType(I),
                               Source.getParamName(I).str()));
  if (TrainingParam >= 0)
    --NumParams;
  // A train step also takes the optimizer's state and hyper-parameters,
  // and updates its parameter and state structs in place.
  std::vector<ValueId> State, Hyper;
  if (D.Kind == DeriveKind::TrainStep) {
    if (D.StateStruct.Count) {
      const Module::Instance *St = M.lookupInstance(D.StateStruct.Instance);
      if (!St || St->Params.size() != D.StateStruct.Count)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "internal error: @" + D.Name + ": unknown optimizer state '" +
                D.StateStruct.Instance + "'");
      G.StateStruct = {NumParams, D.StateStruct.Count, St->Name, false};
      for (const auto &[Name, Ty] : St->Params)
        State.push_back(B.param(Ty, Name));
    }
    for (const std::string &Name : getHyperParameterNames(D.Opt))
      Hyper.push_back(B.param(SrcValueType, Name));
    G.InPlace = true;
  }
  std::optional<ValueId> Upstream;
  if (D.Kind == DeriveKind::Vjp) {
    // The upstream gradient arrives as one parameter per leaf of the
    // result, of that leaf's type (parameters are not tuples); reassemble
    // it.
    std::vector<Type> LeafTypes;
    flattenTypes(SrcValueType, LeafTypes);
    std::vector<ValueId> Leaves;
    for (size_t I = 0; I < LeafTypes.size(); ++I)
      Leaves.push_back(B.param(LeafTypes[I],
                               LeafTypes.size() == 1
                                   ? "d_out"
                                   : "d_out" + std::to_string(I)));
    unsigned Next = 0;
    std::function<ValueId(const Type &)> Assemble = [&](const Type &T) {
      if (T.isLeaf())
        return Leaves[Next++];
      std::vector<ValueId> Parts;
      for (const Type &E : T.getElements())
        Parts.push_back(Assemble(E));
      return B.tuple(Parts);
    };
    Upstream = Assemble(SrcValueType);
  }
  if (TrainingParam >= 0) {
    B.setLoc(Source.Loc);
    Params.insert(Params.begin() + TrainingParam,
                  B.constant(Type::scalar(ElementKind::Bool), 1));
  }

  // Forward sweep. A function with its own backward rule is called, so
  // that the rule applies to it as a whole.
  ValueId Out;
  B.setLoc(Source.Loc);
  if (!Source.BackwardFn.empty())
    Out = B.call(Source, Params);
  else
    Out = cloneExpanded(M, B, Source, Params);
  std::vector<ValueId> NewLayerState;
  if (ReturnsState) {
    unsigned NS = Source.ResultType.getElements().size() - 1;
    for (unsigned I = 0; I < NS; ++I)
      NewLayerState.push_back(B.extract(Out, 1 + I));
    Out = B.extract(Out, 0);
  }
  size_t NumForward = G.Ops.size();

  // Backward sweep.
  Adjoints A(B, findActive(G, D.Wrt));
  if (A.isActive(Out)) {
    A.accumulate(Out, Upstream ? *Upstream : B.constant(G.typeOf(Out), 1));
  }
  for (size_t I = NumForward; I-- > NumParams;) {
    if (!A.isActive(I))
      continue;
    if (G.op(I).Kind == OpKind::Tuple) {
      // Each element's adjoint goes to its operand; an element nothing
      // flowed to sends nothing, rather than a zero that its partials
      // multiply: 0 * inf is NaN where a partial is infinite (the unused
      // result of a backward rule, exp(exp(x)) at x = 8).
      const ir::Op O = G.op(I);
      for (unsigned E = 0; E < O.Operands.size(); ++E)
        if (std::optional<ValueId> Adj = A.getElement(I, E))
          A.accumulate(O.Operands[E], *Adj);
      continue;
    }
    std::optional<ValueId> Adj =
        G.typeOf(I).isTuple() ? A.getTuple(I) : A.get(I);
    if (!Adj)
      continue;
    B.setLoc(G.op(I).Loc);
    if (!emitVJP(M, I, *Adj, A))
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "internal error: no derivative for the call to @" + G.op(I).Callee +
              " in @" + D.Name);
    // Name the adjoints of named values after them, for printers.
    std::optional<ValueId> Final = A.get(I);
    if (Final && *Final >= NumForward && G.op(*Final).Name.empty() &&
        !G.op(I).Name.empty())
      G.op(*Final).Name = "d" + G.op(I).Name;
  }

  std::vector<ValueId> Grads;
  for (unsigned I : D.Wrt) {
    std::optional<ValueId> Adj = A.get(I);
    ValueId V = Adj ? *Adj : zeroOf(B, G.getParamType(I));
    if (G.op(V).Name.empty() && V >= NumForward)
      G.op(V).Name = "d" + G.getParamName(I).str();
    Grads.push_back(V);
  }
  if (D.Kind == DeriveKind::TrainStep) {
    std::vector<ValueId> Params(D.Wrt.size());
    for (size_t I = 0; I < D.Wrt.size(); ++I)
      Params[I] = D.Wrt[I];
    B.setLoc(D.Loc);
    std::vector<ValueId> Leaves = {Out};
    G.ResultNames.push_back("loss");
    std::vector<ValueId> Updated =
        emitOptimizerUpdate(B, D.Opt, Params, Grads, State, Hyper);
    Leaves.insert(Leaves.end(), Updated.begin(), Updated.begin() + Params.size());
    for (ValueId P : Params)
      G.ResultNames.push_back(G.op(P).Name);
    // The instance's state members follow its parameters in the struct: the
    // loss's new values, or the old ones when it assigns none (issue 12).
    for (unsigned I = Params.size(); I < D.ParamStruct.Count; ++I) {
      unsigned J = I - Params.size();
      Leaves.push_back(J < NewLayerState.size() ? NewLayerState[J] : I);
      G.ResultNames.push_back(G.getParamName(I).str());
    }
    Leaves.insert(Leaves.end(), Updated.begin() + Params.size(), Updated.end());
    for (ValueId P : State)
      G.ResultNames.push_back(G.op(P).Name);
    ValueId Result = B.tuple(Leaves);
    G.ResultType = G.typeOf(Result);
    B.ret(Result);
    return &G;
  }
  ValueId GradValue = Grads.size() == 1 ? Grads[0] : B.tuple(Grads);
  ValueId Result = GradValue;
  if (D.Kind == DeriveKind::ValueAndGrad) {
    G.ResultNames.push_back("value");
    Result = B.tuple({Out, GradValue});
  }
  for (unsigned I : D.Wrt)
    G.ResultNames.push_back("d" + G.getParamName(I).str());
  // A single gradient of a scalar function is its return value and needs no
  // name. With tensor parameters the function has the status ABI, so even a
  // single gradient is written through an out-pointer, which the header
  // names after it (`dx`).
  bool HasTensorParam = false;
  for (unsigned I = 0; I < G.getNumParams(); ++I)
    HasTensorParam |= G.getParamType(I).isTensor();
  if (D.Kind != DeriveKind::ValueAndGrad && D.Wrt.size() == 1 &&
      !HasTensorParam)
    G.ResultNames.clear();
  G.ResultType = G.typeOf(Result);
  B.ret(Result);
  return &G;
}

namespace {

/// Builds the pending derived functions of a module, each after every
/// derived function it needs: its source, and any derived function that
/// code reachable from its source calls (`grad(h)(x)` in a body), since the
/// forward sweep expands those calls and needs their bodies.
using AfterEachFn =
    llvm::function_ref<llvm::Error(Module &, llvm::StringRef Built)>;

class DerivedBuilder {
public:
  DerivedBuilder(Module &M, AfterEachFn AfterEach)
      : M(M), AfterEach(AfterEach), Pending(std::move(M.Derived)) {
    M.Derived = Pending; // visible to the verifier until built
    State.assign(Pending.size(), NotBuilt);
    for (size_t I = 0; I < Pending.size(); ++I)
      Index.try_emplace(Pending[I].Name, I);
  }

  llvm::Error run() {
    for (size_t I = 0; I < Pending.size(); ++I)
      if (llvm::Error E = build(I))
        return E;
    M.Derived.clear();
    return llvm::Error::success();
  }

private:
  enum BuildState { NotBuilt, Building, Built };

  llvm::Error build(size_t I) {
    if (State[I] == Built)
      return llvm::Error::success();
    if (State[I] == Building)
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "internal error: derived function @" + Pending[I].Name +
              " depends on itself");
    State[I] = Building;
    if (llvm::Error E = buildDependencies(Pending[I].Of))
      return E;
    llvm::Expected<Function *> F = differentiate(M, Pending[I]);
    if (!F)
      return F.takeError();
    State[I] = Built;
    llvm::erase_if(M.Derived, [&](const DerivedDecl &D) {
      return D.Name == Pending[I].Name;
    });
    std::string Err = verifyFunction(**F, &M);
    if (!Err.empty())
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: AD produced invalid IR: " +
                                         Err);
    return AfterEach ? AfterEach(M, Pending[I].Name) : llvm::Error::success();
  }

  /// Builds every pending derived function reachable from \p Root through
  /// calls, backward rules and derivation.
  llvm::Error buildDependencies(llvm::StringRef Root) {
    llvm::StringSet<> Seen;
    std::vector<std::string> Work = {Root.str()};
    while (!Work.empty()) {
      std::string Name = Work.back();
      Work.pop_back();
      if (!Seen.insert(Name).second)
        continue;
      auto It = Index.find(Name);
      if (It != Index.end() && State[It->second] != Built) {
        Work.push_back(Pending[It->second].Of);
        if (State[It->second] == NotBuilt)
          if (llvm::Error E = build(It->second))
            return E;
      }
      const Function *F = M.lookup(Name);
      if (!F)
        continue;
      if (!F->BackwardFn.empty())
        Work.push_back(F->BackwardFn);
      for (const Op &O : F->Ops)
        if (O.Kind == OpKind::Call)
          Work.push_back(O.Callee);
    }
    return llvm::Error::success();
  }

  Module &M;
  AfterEachFn AfterEach;
  std::vector<DerivedDecl> Pending;
  std::vector<BuildState> State;
  llvm::StringMap<size_t> Index;
};

} // namespace

llvm::Error nnc::differentiateModule(Module &M, AfterEachFn AfterEach) {
  return DerivedBuilder(M, AfterEach).run();
}
