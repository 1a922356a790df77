//===- Graph.cpp - The circuit picture of a function ---------------------===//
//
// The function is lowered as the REPL lowers it. Its calls are either kept
// (a box in the picture) or expanded in place, each expanded call's ops
// tagged with a cluster; so each op of the resulting flat function is one
// node. Two functions are then built from those ops and printed back as
// .nn source (ir::printModuleAsNN) into a fresh session, with the callees
// that stay calls:
//   values(params)            = a tuple of every op's value;
//   perturbed(params, e_1..n) = f with each float op k's result replaced
//                               by v_k + e_k (summed to a scalar when f's
//                               result is not one).
// At e = 0, d perturbed / d e_k is the gradient of the output with respect
// to v_k, so grad(perturbed) at (x, 0, ..., 0) gives every wire's gradient
// in one call, derived by nnc's own AD; values(x) gives every value. Both
// run through the JIT (check::evaluateExpression), and the output is
// compared with f(x) evaluated in the file's own session.
//
//===----------------------------------------------------------------------===//
#include "GraphInternal.h"
#include "nnc/Check/Check.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Session.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include <cmath>

using namespace nnc;
using namespace nnc::graph;

namespace {

/// The symbol a gate of kind \p K shows.
std::string gateLabel(const ir::Op &O) {
  switch (O.Kind) {
  case ir::OpKind::Add: return "+";
  case ir::OpKind::Sub: return "-";
  case ir::OpKind::Mul: return "*";
  case ir::OpKind::Div: return "/";
  case ir::OpKind::Neg: return "neg";
  case ir::OpKind::Pow: return "^";
  case ir::OpKind::Lt: return "<";
  case ir::OpKind::Le: return "<=";
  case ir::OpKind::Gt: return ">";
  case ir::OpKind::Ge: return ">=";
  case ir::OpKind::Eq: return "==";
  case ir::OpKind::Ne: return "!=";
  case ir::OpKind::MatMul: return "@";
  case ir::OpKind::Convert:
    return getElementKindName(O.Ty.getElementKind()).str();
  case ir::OpKind::Extract: return "[" + std::to_string(O.getIndex()) + "]";
  case ir::OpKind::ReduceSum: return "sum axis=" + std::to_string(O.getAxis());
  case ir::OpKind::ReduceMax: return "max axis=" + std::to_string(O.getAxis());
  case ir::OpKind::ReduceMin: return "min axis=" + std::to_string(O.getAxis());
  default:
    break;
  }
  std::string Name = ir::getOpName(O.Kind).str();
  if (ir::hasAxis(O.Kind))
    Name += " axis=" + std::to_string(O.getAxis());
  return Name;
}

/// A name used by none of \p Used.
std::string freshName(const llvm::StringSet<> &Used, const std::string &Base) {
  std::string N = Base;
  while (Used.contains(N))
    N += "_";
  return N;
}

/// Copies functions into one flat function: calls to expand become their
/// callees' ops, tagged with a cluster per call; the others stay calls.
class Flattener {
public:
  Flattener(const ir::Module &M, const GraphOptions &Opts,
            std::string Instance)
      : M(M), Opts(Opts), Instance(std::move(Instance)) {}

  llvm::Error run(const ir::Function &F, ir::Function &Flat);
  std::vector<int> Tags;
  std::vector<CircuitCluster> Clusters;

private:
  llvm::Expected<ir::ValueId> copy(const ir::Function &Src, ir::Builder &B,
                                   llvm::ArrayRef<ir::ValueId> Args,
                                   const ir::DimSubstitution &Sub,
                                   int Cluster);
  /// The callee of \p Call to expand, or null.
  llvm::Expected<const ir::Function *> expandable(const ir::Op &Call);

  const ir::Module &M;
  const GraphOptions &Opts;
  std::string Instance;
  llvm::StringSet<> Matched;
};

llvm::Expected<const ir::Function *>
Flattener::expandable(const ir::Op &Call) {
  if (Call.Kind != ir::OpKind::Call)
    return nullptr;
  const ir::Function *G = M.lookup(Call.Callee);
  if (!G || G->Ops.empty() || G->Ops.back().Kind != ir::OpKind::Return ||
      G->getNumParams() != Call.Operands.size())
    return nullptr;
  std::string Shown = displayName(G->Name, Instance);
  bool Named = llvm::is_contained(Opts.Expand, Shown) ||
               llvm::is_contained(Opts.Expand, G->Name);
  if (Named)
    Matched.insert(llvm::is_contained(Opts.Expand, Shown) ? Shown : G->Name);
  if (!G->BackwardFn.empty()) {
    // Its rule, not its gates, gives the gradients of its inputs.
    if (Named)
      return error("--expand: '" + Shown +
                   "' has a backward rule and is drawn as one box (its "
                   "gates have no gradients of their own)");
    return nullptr;
  }
  return Opts.ExpandAll || Named ? G : nullptr;
}

llvm::Expected<ir::ValueId>
Flattener::copy(const ir::Function &Src, ir::Builder &B,
                llvm::ArrayRef<ir::ValueId> Args,
                const ir::DimSubstitution &Sub, int Cluster) {
  ir::Function &Flat = B.getFunction();
  std::vector<ir::ValueId> Map(Src.Ops.size());
  for (size_t I = 0; I < Src.Ops.size(); ++I) {
    const ir::Op &O = Src.Ops[I];
    if (O.Kind == ir::OpKind::Param && !Args.empty()) {
      Map[I] = Args[O.getIndex()];
      continue;
    }
    if (O.Kind == ir::OpKind::Return)
      return Map[O.Operands[0]];
    ir::Op Copy = O;
    for (ir::ValueId &V : Copy.Operands)
      V = Map[V];
    if (!Sub.empty()) {
      Copy.Ty = ir::substitute(Copy.Ty, Sub);
      if (Copy.Kind == ir::OpKind::DimValue)
        Copy.setDim(substitute(Copy.getDim(), Sub));
    }
    auto G = expandable(Copy);
    if (!G)
      return G.takeError();
    if (!*G) {
      Map[I] = B.append(std::move(Copy));
      Tags.push_back(Cluster);
      continue;
    }
    // The callee's dimension variables in terms of the flat function's.
    ir::DimSubstitution CalleeSub;
    for (size_t A = 0; A < Copy.Operands.size(); ++A)
      if (!ir::bindDims((*G)->getParamType(A), Flat.typeOf(Copy.Operands[A]),
                        CalleeSub))
        return error("internal error: a call's argument does not fit its "
                     "parameter");
    Clusters.push_back({displayName((*G)->Name, Instance), Cluster});
    auto R = copy(**G, B, Copy.Operands, CalleeSub, Clusters.size() - 1);
    if (!R)
      return R.takeError();
    Map[I] = *R;
  }
  return error("internal error: a function without return");
}

llvm::Error Flattener::run(const ir::Function &F, ir::Function &Flat) {
  ir::Builder B(Flat);
  auto R = copy(F, B, {}, {}, -1);
  if (!R)
    return R.takeError();
  B.ret(*R);
  Flat.ResultType = F.ResultType;
  for (const std::string &Name : Opts.Expand)
    if (!Matched.contains(Name))
      return error("--expand: no call to '" + Name + "' in the picture of '" +
                   Opts.Function + "'");
  return llvm::Error::success();
}

/// The ops the return needs, and every parameter.
std::vector<bool> liveOps(const ir::Function &F) {
  std::vector<bool> Live(F.Ops.size(), false);
  Live.back() = true;
  for (size_t I = F.Ops.size(); I-- > 0;) {
    if (F.Ops[I].Kind == ir::OpKind::Param)
      Live[I] = true;
    if (Live[I])
      for (ir::ValueId A : F.Ops[I].Operands)
        Live[A] = true;
  }
  return Live;
}

/// Adds to \p G a copy of every function of \p M that \p F calls, directly
/// or not, with their backward rules.
void copyCallees(const ir::Module &M, const ir::Function &F, ir::Module &G) {
  std::vector<const ir::Function *> Work = {&F};
  llvm::StringSet<> Seen;
  while (!Work.empty()) {
    const ir::Function *Fn = Work.back();
    Work.pop_back();
    std::vector<std::string> Names;
    for (const ir::Op &O : Fn->Ops)
      if (O.Kind == ir::OpKind::Call)
        Names.push_back(O.Callee);
    if (!Fn->BackwardFn.empty())
      Names.push_back(Fn->BackwardFn);
    for (const std::string &N : Names) {
      const ir::Function *C = M.lookup(N);
      if (!C || !Seen.insert(N).second)
        continue;
      G.Functions.push_back(std::make_unique<ir::Function>(*C));
      Work.push_back(C);
    }
  }
}

/// The value of a wire, summarized.
WireValue summarize(const jit::Value &V) {
  WireValue W;
  if (V.getKind() == jit::Value::TupleValue) {
    W.IsTuple = true;
    W.Type = "tuple";
    return W;
  }
  std::vector<double> Data = check::flattenValue(V);
  if (V.getKind() == jit::Value::ScalarValue) {
    W.Value = Data.empty() ? 0 : Data[0];
    return W;
  }
  W.Type = formatType(V.getTensorElementKind(), V.getShape());
  double Sum = 0;
  bool Any = false;
  for (double D : Data) {
    Sum += D;
    if (std::isnan(D)) {
      ++W.NaNs;
      continue;
    }
    W.Min = Any ? std::min(W.Min, D) : D;
    W.Max = Any ? std::max(W.Max, D) : D;
    Any = true;
  }
  W.Value = Data.empty() ? 0 : Sum / double(Data.size());
  if (!Any)
    W.Min = W.Max = std::nan("");
  return W;
}

/// The elements of a result that is one value or a tuple of several.
std::vector<jit::Value> parts(const jit::Value &V) {
  if (V.getKind() == jit::Value::TupleValue)
    return V.getElements();
  return {V};
}

/// Whether two results agree (NaN equal to NaN), to rounding.
bool sameResult(const std::vector<double> &A, const std::vector<double> &B) {
  if (A.size() != B.size())
    return false;
  for (size_t I = 0; I < A.size(); ++I) {
    double X = A[I], Y = B[I];
    if (X == Y || (std::isnan(X) && std::isnan(Y)))
      continue;
    if (!(std::fabs(X - Y) <= 1e-9 * std::max(std::fabs(X), std::fabs(Y))))
      return false;
  }
  return true;
}

} // namespace

std::string graph::displayName(llvm::StringRef IRName,
                               llvm::StringRef Instance) {
  if (!Instance.empty()) {
    if (IRName.starts_with((Instance + ".").str()))
      return IRName.drop_front(Instance.size() + 1).str();
    if (IRName.starts_with((Instance + "_").str()))
      return (Instance + "." + IRName.drop_front(Instance.size() + 1)).str();
  }
  return IRName.str();
}

llvm::Expected<Circuit> graph::buildCircuit(llvm::StringRef Text,
                                            llvm::StringRef SourceName,
                                            const GraphOptions &Opts,
                                            llvm::raw_ostream &Diag) {
  std::optional<jit::Session> Read = jit::readFile(Text, SourceName, Diag);
  if (!Read)
    return error("the file does not compile");
  jit::Session &S = *Read;
  auto JIT = jit::Engine::create();
  if (!JIT)
    return JIT.takeError();
  auto C = buildCircuit(S, **JIT, Opts, Diag);
  if (!C) {
    // Name the file, not the session, in the usual message.
    std::string Message = llvm::toString(C.takeError());
    if (llvm::StringRef(Message).starts_with("no function '"))
      Message += " in " + SourceName.str();
    return error(Message);
  }
  return C;
}

llvm::Expected<Circuit> graph::buildCircuit(jit::Session &S, jit::Engine &JIT,
                                            const GraphOptions &Opts,
                                            llvm::raw_ostream &Diag) {
  // `f`, or an instance's method `net.loss` (IR function `net_loss`).
  auto [Instance, Method] = llvm::StringRef(Opts.Function).split('.');
  std::string IRName = Opts.Function;
  if (!Method.empty())
    IRName = (Instance + "_" + Method).str();
  else
    Instance = "";
  if (!S.lookup(Method.empty() ? Opts.Function : Instance.str()))
    return error("no function '" + Opts.Function + "'");
  std::string InitName = Instance.str() + "_init";
  jit::Candidate Lowered(S, Diag, false);
  Lowered.addSession();
  if (!Lowered.check() ||
      !Lowered.lower({IRName, InitName}, /*OptimizeDerivatives=*/false))
    return error("the file does not compile");
  ir::Module &M = Lowered.getIR();
  const ir::Function *F = M.lookup(IRName);
  if (!F || (!Instance.empty() && F->ParamStruct.Instance != Instance))
    return error("no function '" + Opts.Function + "'");

  // The flat function, one op per node.
  ir::Module FlatModule;
  ir::Function &Flat = FlatModule.addFunction(IRName);
  Flattener Fl(M, Opts, Instance.str());
  if (llvm::Error E = Fl.run(*F, Flat))
    return E;
  if (std::string P = ir::verifyFunction(Flat); !P.empty())
    return error("internal error: the flat function is invalid: " + P);
  std::vector<bool> Live = liveOps(Flat);
  constexpr size_t MaxNodes = 2000;
  if (size_t(llvm::count(Live, true)) > MaxNodes)
    return error("cannot draw '" + Opts.Function + "': more than " +
                 std::to_string(MaxNodes) +
                 " gates (draw a smaller function, or fewer --expand)");

  // The point. An instance the session holds (the REPL's) gives its own
  // parameters; a file's instance, its initializer's.
  const jit::SessionDecl *Held =
      Instance.empty() ? nullptr : S.lookup(Instance);
  if (Held && (Held->IsValue || !Held->Data))
    Held = nullptr;
  GraphOptions WithHeld = Opts;
  if (Held)
    for (const jit::StoredTensor &T : *Held->Data)
      if (llvm::none_of(Opts.At, [&](const auto &A) { return A.first == T.Name; })) {
        ArgSpec A;
        A.Kind = ArgSpec::Given;
        A.Value = jit::loadValue(T);
        WithHeld.At.emplace_back(T.Name, std::move(A));
      }
  auto Point = bindParameters(*F, Instance, M, WithHeld, JIT, InitName);
  if (!Point)
    return Point.takeError();
  unsigned NumParams = Flat.getNumParams();

  // values() and perturbed(), from the flat function's live ops.
  llvm::StringSet<> Used;
  for (const auto &Fn : M.Functions)
    Used.insert(Fn->Name);
  for (const ir::Op &O : Flat.Ops)
    if (!O.Name.empty())
      Used.insert(O.Name);
  ir::Module G;
  copyCallees(M, Flat, G);
  std::string ValuesName = freshName(Used, "graph_values");
  std::string PertName = freshName(Used, "graph_perturbed");
  ir::Function &Values = G.addFunction(ValuesName);
  ir::Function &Pert = G.addFunction(PertName);
  ir::Builder VB(Values), PB(Pert);
  std::vector<ir::ValueId> VMap(Flat.Ops.size()), PMap(Flat.Ops.size());
  // The ops whose values values() returns, in order.
  std::vector<ir::ValueId> Shown, All;
  for (unsigned I = 0; I < NumParams; ++I) {
    VMap[I] = VB.param(Flat.getParamType(I), Flat.getParamName(I).str());
    PMap[I] = PB.param(Flat.getParamType(I), Flat.getParamName(I).str());
    Shown.push_back(I);
    All.push_back(VMap[I]);
  }
  // The op each e_k perturbs, in parameter order.
  std::vector<ir::ValueId> Perturbed;
  std::vector<ir::ValueId> Eps(Flat.Ops.size());
  for (ir::ValueId V = NumParams; V + 1 < Flat.Ops.size(); ++V)
    if (Live[V] && Flat.typeOf(V).isFloat()) {
      Eps[V] = PB.param(Flat.typeOf(V),
                        freshName(Used, "e" + std::to_string(V)));
      Perturbed.push_back(V);
    }
  for (ir::ValueId V = NumParams; V + 1 < Flat.Ops.size(); ++V) {
    if (!Live[V])
      continue;
    ir::Op VO = Flat.op(V), PO = Flat.op(V);
    for (ir::ValueId &A : VO.Operands)
      A = VMap[A];
    for (ir::ValueId &A : PO.Operands)
      A = PMap[A];
    VMap[V] = VB.append(std::move(VO));
    if (!Flat.typeOf(V).isTuple()) {
      Shown.push_back(V);
      All.push_back(VMap[V]);
    }
    PMap[V] = PB.append(std::move(PO));
    if (Flat.typeOf(V).isFloat())
      PMap[V] = PB.binary(ir::OpKind::Add, PMap[V], Eps[V]);
  }
  VB.ret(VB.tuple(All));
  Values.ResultType = Values.typeOf(Values.getReturnedValue());
  // A non-scalar output is seeded by summing it: every element's gradient
  // is then 1.
  ir::ValueId Out = PMap[Flat.getReturnedValue()];
  Circuit C;
  std::vector<ir::ValueId> Leaves;
  const ir::Type &RT = Pert.typeOf(Out);
  if (RT.isTuple())
    for (unsigned I = 0; I < RT.getElements().size(); ++I)
      Leaves.push_back(PB.extract(Out, I));
  else
    Leaves.push_back(Out);
  if (!RT.isScalar() || !RT.isFloat()) {
    C.Seed = "sum";
    std::optional<ir::ValueId> Total;
    for (ir::ValueId L : Leaves) {
      const ir::Type &LT = Pert.typeOf(L);
      if (!LT.isFloat())
        continue;
      if (LT.isTensor()) {
        ir::Type Flat1 = ir::Type::tensor(LT.getElementKind(),
                                          {getNumElements(LT.getShape())});
        L = PB.reduce(ir::OpKind::ReduceSum, PB.reshape(L, Flat1), 0);
      }
      if (Pert.typeOf(L).getElementKind() != ElementKind::F64)
        L = PB.convert(L, ElementKind::F64);
      Total = Total ? PB.binary(ir::OpKind::Add, *Total, L) : L;
    }
    if (!Total)
      return error("cannot draw '" + Opts.Function +
                   "': its result has no float to take gradients of");
    Out = *Total;
  }
  PB.ret(Out);
  Pert.ResultType = Pert.typeOf(Out);
  for (const ir::Function *Fn : {&Values, &Pert}) {
    std::string Problem = ir::verifyFunction(*Fn, &G);
    if (!Problem.empty())
      return error("internal error: the graph's functions are invalid: " +
                   Problem);
  }
  std::string Source;
  llvm::raw_string_ostream SOS(Source);
  ir::printModuleAsNN(G, SOS);

  std::string GErrs;
  llvm::raw_string_ostream GES(GErrs);
  std::optional<jit::Session> ReadGraph = jit::readFile(Source, "<graph>", GES);
  if (!ReadGraph)
    return error("internal error: the graph's functions do not compile: " +
                 GErrs);
  jit::Session &GS = *ReadGraph;

  auto Evaluate = [&](jit::Session &In, const std::string &Expr)
      -> llvm::Expected<jit::Value> {
    std::string Why;
    std::optional<jit::Value> V = check::evaluateExpression(In, JIT, Expr, Why);
    if (!V)
      return error("cannot evaluate " +
                   (Expr.size() > 200 ? Expr.substr(0, 200) + "..." : Expr) +
                   ": " + Why);
    return std::move(*V);
  };
  std::string ArgList = llvm::join(Point->Args, ", ");
  std::string Zeros;
  for (ir::ValueId V : Perturbed)
    Zeros += ", " + zeroText(Flat.typeOf(V), Point->Dims);
  auto Vals = Evaluate(GS, ValuesName + "(" + ArgList + ")");
  if (!Vals)
    return Vals.takeError();
  auto Grads = Evaluate(GS, "grad(" + PertName + ")(" + ArgList + Zeros + ")");
  if (!Grads)
    return Grads.takeError();
  std::vector<jit::Value> ValParts = parts(*Vals), GradParts = parts(*Grads);
  unsigned NumFloatParams = 0;
  for (unsigned I = 0; I < NumParams; ++I)
    NumFloatParams += Flat.getParamType(I).isFloat();
  if (ValParts.size() != Shown.size() ||
      GradParts.size() != NumFloatParams + Perturbed.size())
    return error("internal error: the graph's results have the wrong size");

  // The rebuilt circuit must compute what f does: f's own call for a
  // function, value_and_grad's value for a method (a method is not called
  // directly in an expression).
  // A method is called with the instance's parameters the session holds,
  // so only then.
  std::string Check;
  if (Instance.empty()) {
    Check = Opts.Function + "(" + ArgList + ")";
  } else if (Held && F->ResultType.isScalar() && F->ResultType.isFloat()) {
    std::vector<std::string> Own;
    for (unsigned I = 0; I < NumParams; ++I)
      if (I < F->ParamStruct.First ||
          I >= F->ParamStruct.First + F->ParamStruct.Count)
        Own.push_back(Point->Args[I]);
    Check = "value_and_grad(" + Opts.Function + ")(" + llvm::join(Own, ", ") +
            ")";
  }
  if (!Check.empty()) {
    auto Theirs = Evaluate(S, Check);
    if (!Theirs)
      return Theirs.takeError();
    jit::Value Result = Instance.empty() ? *Theirs : parts(*Theirs)[0];
    std::vector<double> Mine = check::flattenValue(ValParts.back()),
                        Want = check::flattenValue(Result);
    if (Flat.typeOf(Flat.getReturnedValue()).isTuple())
      Mine.clear(); // the output is a tuple op, not among the values
    if (!Mine.empty() && !sameResult(Mine, Want))
      return error("internal error: the circuit gives " +
                   formatLabel(Mine[0]) + " but '" + Opts.Function +
                   "' gives " + formatLabel(Want.empty() ? 0 : Want[0]));
  }

  C.Function = Opts.Function;
  C.Clusters = Fl.Clusters;
  std::vector<std::optional<WireValue>> ValueOf(Flat.Ops.size()),
      GradOf(Flat.Ops.size());
  for (size_t K = 0; K < Shown.size(); ++K)
    ValueOf[Shown[K]] = summarize(ValParts[K]);
  for (unsigned I = 0, K = 0; I < NumParams; ++I)
    if (Flat.getParamType(I).isFloat())
      GradOf[I] = summarize(GradParts[K++]);
  for (size_t K = 0; K < Perturbed.size(); ++K)
    GradOf[Perturbed[K]] = summarize(GradParts[NumFloatParams + K]);
  std::vector<unsigned> NodeOf(Flat.Ops.size());
  for (ir::ValueId V = 0; V + 1 < Flat.Ops.size(); ++V) {
    if (!Live[V])
      continue;
    const ir::Op &O = Flat.op(V);
    CircuitNode N;
    N.Kind = O.Kind == ir::OpKind::Param ? CircuitNode::Input
             : O.isConst() || O.Kind == ir::OpKind::DimValue
                 ? CircuitNode::Constant
             : O.Kind == ir::OpKind::Call ? CircuitNode::Call
                                          : CircuitNode::Gate;
    switch (N.Kind) {
    case CircuitNode::Input:
      N.Label = O.Name;
      break;
    case CircuitNode::Constant:
      N.Label = O.Kind == ir::OpKind::DimValue ? "dim " + O.getDim().str()
                : O.Data.empty()              ? formatLabel(O.getConstAsDouble())
                                              : "const";
      break;
    case CircuitNode::Call:
      N.Label = displayName(O.Callee, Instance);
      break;
    case CircuitNode::Gate:
      N.Label = gateLabel(O);
      break;
    }
    for (ir::ValueId A : O.Operands)
      N.Operands.push_back(NodeOf[A]);
    N.Ordered = N.Operands.size() > 1 && !ir::isCommutative(O.Kind);
    if (ValueOf[V])
      N.Value = *ValueOf[V];
    else
      N.Value = WireValue{formatTupleType(O.Ty, Point->Dims), true, 0, 0, 0, 0};
    N.Grad = GradOf[V];
    N.Cluster = V < NumParams ? -1 : Fl.Tags[V];
    NodeOf[V] = C.Nodes.size();
    C.Nodes.push_back(std::move(N));
  }
  return C;
}
