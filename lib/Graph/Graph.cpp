//===- Graph.cpp - The circuit picture of a scalar function --------------===//
//
// The function is lowered as the REPL lowers it and inlined, so each op of
// its IR is one gate. Two functions are then built from those ops and
// printed back as .nn source (ir::printModuleAsNN) into a fresh session:
//   values(params)            = a tuple of every op's value;
//   perturbed(params, e_1..n) = f with each float op k's result replaced
//                               by v_k + e_k.
// At e = 0, d perturbed / d e_k is the gradient of the output with respect
// to v_k, so grad(perturbed) at (x, 0, ..., 0) gives every wire's gradient
// in one call, derived by nnc's own AD; values(x) gives every value. Both
// run through the JIT (check::evaluateExpression), and the output is
// compared with f(x) evaluated in the file's own session.
//
//===----------------------------------------------------------------------===//
#include "nnc/Graph/Graph.h"
#include "nnc/Check/Check.h"
#include "nnc/IR/IR.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Session.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include <cmath>
#include <cstdio>
#include <map>

using namespace nnc;
using namespace nnc::graph;

namespace {

llvm::Error error(const llvm::Twine &Message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), Message);
}

/// The symbol a gate of kind \p K shows; empty for kinds nnc graph does
/// not draw.
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
  case ir::OpKind::Convert: return getElementKindName(O.Ty.getElementKind()).str();
  default:
    break;
  }
  switch (ir::getOpClass(O.Kind)) {
  case ir::OpClass::Arith:
  case ir::OpClass::Math:
  case ir::OpClass::Logic:
    return ir::getOpName(O.Kind).str();
  default:
    return O.Kind == ir::OpKind::Select ? "select" : "";
  }
}

std::string formatLiteral(double V) {
  std::string S = ir::formatDouble(V);
  if (S.find_first_of(".en") == std::string::npos)
    S += ".0";
  return S;
}

/// A name used by no parameter or op of \p F.
std::string freshName(const llvm::StringSet<> &Used, const std::string &Base) {
  std::string N = Base;
  while (Used.contains(N))
    N += "_";
  return N;
}

} // namespace

std::string graph::formatLabel(double V) {
  if (V == 0)
    return "0"; // not "-0"
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%.4g", V);
  return Buf;
}

llvm::Expected<Circuit> graph::buildCircuit(llvm::StringRef Text,
                                            llvm::StringRef SourceName,
                                            const GraphOptions &Opts,
                                            llvm::raw_ostream &Diag) {
  // The file as a session, lowered and inlined as the REPL would.
  jit::Session S;
  jit::Input In;
  In.Text = Text.str();
  In.SourceName = SourceName.str();
  jit::Candidate Parsed(S, Diag, false);
  std::optional<std::vector<jit::SessionDecl>> Decls =
      Parsed.addDeclarations(In, /*Lenient=*/false);
  if (!Decls)
    return error("the file does not compile");
  S.apply(*Decls);
  if (!S.lookup(Opts.Function))
    return error("no function '" + Opts.Function + "' in " + SourceName);
  jit::Candidate Lowered(S, Diag, false);
  Lowered.addSession();
  if (!Lowered.check() || !Lowered.lower({Opts.Function}))
    return error("the file does not compile");
  ir::Module &M = Lowered.getIR();
  if (llvm::Error E = runPipeline(M, {"inline", "dce"}, PipelineOptions()))
    return E;
  const ir::Function *F = M.lookup(Opts.Function);
  if (!F)
    return error("no function '" + Opts.Function + "' in " + SourceName);

  // Only scalar functions: every value is one number on one wire.
  auto NotScalar = [&](const llvm::Twine &Why) {
    return error("cannot draw '" + Opts.Function +
                 "': nnc graph draws functions of float scalars (" + Why +
                 ")");
  };
  unsigned NumParams = F->getNumParams();
  for (unsigned I = 0; I < NumParams; ++I)
    if (!F->getParamType(I).isScalar() || !F->getParamType(I).isFloat())
      return NotScalar("parameter '" + F->getParamName(I) + "' is " +
                       F->getParamType(I).str());
  if (!F->ResultType.isScalar() || !F->ResultType.isFloat())
    return NotScalar("the result is " + F->ResultType.str());
  for (const ir::Op &O : F->Ops) {
    if (O.Kind == ir::OpKind::Return || O.Kind == ir::OpKind::Param)
      continue;
    if (!O.Ty.isScalar() || (!O.isConst() && gateLabel(O).empty()))
      return NotScalar("it uses '" + ir::getOpName(O.Kind) + "' of " +
                       O.Ty.str());
  }

  // The point: every parameter exactly once.
  std::map<std::string, double> At;
  for (const auto &[Name, V] : Opts.At) {
    bool Known = false;
    for (unsigned I = 0; I < NumParams; ++I)
      Known |= F->getParamName(I) == Name;
    if (!Known)
      return error("--at: '" + Opts.Function + "' has no parameter '" + Name +
                   "'");
    if (!At.emplace(Name, V).second)
      return error("--at: parameter '" + Name + "' is given twice");
  }
  std::vector<std::string> Args;
  for (unsigned I = 0; I < NumParams; ++I) {
    auto It = At.find(F->getParamName(I).str());
    if (It == At.end())
      return error("--at: give a value for parameter '" +
                   F->getParamName(I) + "' of '" + Opts.Function + "'");
    Args.push_back(formatLiteral(It->second));
  }

  // values() and perturbed(), from f's ops.
  llvm::StringSet<> Used;
  for (const ir::Op &O : F->Ops)
    if (!O.Name.empty())
      Used.insert(O.Name);
  ir::Module G;
  ir::Function &Values = G.addFunction("graph_values");
  ir::Function &Pert = G.addFunction("graph_perturbed");
  ir::Builder VB(Values), PB(Pert);
  std::vector<ir::ValueId> VMap(F->Ops.size()), PMap(F->Ops.size());
  std::vector<ir::ValueId> All;
  // The op each e_k perturbs, in parameter order.
  std::vector<ir::ValueId> Perturbed;
  for (unsigned I = 0; I < NumParams; ++I) {
    VMap[I] = VB.param(F->getParamType(I), F->getParamName(I).str());
    PMap[I] = PB.param(F->getParamType(I), F->getParamName(I).str());
    All.push_back(VMap[I]);
  }
  std::vector<ir::ValueId> Eps(F->Ops.size());
  for (ir::ValueId V = NumParams; V + 1 < F->Ops.size(); ++V)
    if (F->typeOf(V).isFloat()) {
      Eps[V] = PB.param(F->typeOf(V),
                        freshName(Used, "e" + std::to_string(V)));
      Perturbed.push_back(V);
    }
  for (ir::ValueId V = NumParams; V + 1 < F->Ops.size(); ++V) {
    ir::Op VO = F->op(V), PO = F->op(V);
    for (ir::ValueId &A : VO.Operands)
      A = VMap[A];
    for (ir::ValueId &A : PO.Operands)
      A = PMap[A];
    VMap[V] = VB.append(std::move(VO));
    All.push_back(VMap[V]);
    PMap[V] = PB.append(std::move(PO));
    if (F->typeOf(V).isFloat())
      PMap[V] = PB.binary(ir::OpKind::Add, PMap[V], Eps[V]);
  }
  VB.ret(VB.tuple(All));
  Values.ResultType = Values.typeOf(Values.getReturnedValue());
  PB.ret(PMap[F->getReturnedValue()]);
  Pert.ResultType = F->ResultType;
  for (const ir::Function *Fn : {&Values, &Pert}) {
    std::string Problem = ir::verifyFunction(*Fn, &G);
    if (!Problem.empty())
      return error("internal error: the graph's functions are invalid: " +
                   Problem);
  }
  std::string Source;
  llvm::raw_string_ostream SOS(Source);
  ir::printModuleAsNN(G, SOS);

  jit::Session GS;
  jit::Input GIn;
  GIn.Text = Source;
  GIn.SourceName = "<graph>";
  std::string GErrs;
  llvm::raw_string_ostream GES(GErrs);
  jit::Candidate GC(GS, GES, false);
  std::optional<std::vector<jit::SessionDecl>> GDecls =
      GC.addDeclarations(GIn, /*Lenient=*/false);
  if (!GDecls)
    return error("internal error: the graph's functions do not compile: " +
                 GErrs);
  GS.apply(*GDecls);

  auto JIT = jit::Engine::create();
  if (!JIT)
    return JIT.takeError();
  auto Evaluate = [&](jit::Session &In,
                      const std::string &Expr) -> llvm::Expected<std::vector<double>> {
    std::string Why;
    std::optional<jit::Value> V =
        check::evaluateExpression(In, **JIT, Expr, Why);
    if (!V)
      return error("cannot evaluate " + Expr + ": " + Why);
    return check::flattenValue(*V);
  };
  std::string ArgList = llvm::join(Args, ", ");
  std::string Zeros;
  for (size_t I = 0; I < Perturbed.size(); ++I)
    Zeros += ", 0.0";
  auto Vals = Evaluate(GS, "graph_values(" + ArgList + ")");
  if (!Vals)
    return Vals.takeError();
  auto Grads = Evaluate(GS, "grad(graph_perturbed)(" + ArgList + Zeros + ")");
  if (!Grads)
    return Grads.takeError();
  auto Out = Evaluate(S, Opts.Function + "(" + ArgList + ")");
  if (!Out)
    return Out.takeError();
  if (Vals->size() != All.size() ||
      Grads->size() != NumParams + Perturbed.size() || Out->size() != 1)
    return error("internal error: the graph's results have the wrong size");
  // The rebuilt circuit must compute what f does (NaN is equal to NaN).
  double Mine = Vals->back(), Theirs = Out->front();
  bool Same = Mine == Theirs || (std::isnan(Mine) && std::isnan(Theirs)) ||
              std::fabs(Mine - Theirs) <=
                  1e-12 * std::max(std::fabs(Mine), std::fabs(Theirs));
  if (!Same)
    return error("internal error: the circuit gives " + formatLabel(Mine) +
                 " but '" + Opts.Function + "' gives " + formatLabel(Theirs));

  Circuit C;
  C.Function = Opts.Function;
  std::vector<std::optional<double>> GradOf(F->Ops.size());
  for (unsigned I = 0; I < NumParams; ++I)
    GradOf[I] = (*Grads)[I];
  for (size_t K = 0; K < Perturbed.size(); ++K)
    GradOf[Perturbed[K]] = (*Grads)[NumParams + K];
  for (ir::ValueId V = 0; V + 1 < F->Ops.size(); ++V) {
    const ir::Op &O = F->op(V);
    CircuitNode N;
    N.Kind = O.Kind == ir::OpKind::Param ? CircuitNode::Input
             : O.isConst()               ? CircuitNode::Constant
                                         : CircuitNode::Gate;
    N.Label = N.Kind == CircuitNode::Input      ? O.Name
              : N.Kind == CircuitNode::Constant ? formatLabel(O.getConstAsDouble())
                                                : gateLabel(O);
    N.Operands.assign(O.Operands.begin(), O.Operands.end());
    N.Ordered = O.Kind == ir::OpKind::Sub || O.Kind == ir::OpKind::Div ||
                O.Kind == ir::OpKind::Pow || O.Kind == ir::OpKind::Select ||
                ir::getOpClass(O.Kind) == ir::OpClass::Cmp;
    N.Value = (*Vals)[V];
    N.Grad = GradOf[V];
    C.Nodes.push_back(std::move(N));
  }
  return C;
}

/// The label of a wire: value above in green, gradient below in red.
static std::string wireLabel(const CircuitNode &N) {
  std::string L = "<<font color=\"#1a7f37\">" + formatLabel(N.Value) + "</font>";
  if (N.Grad)
    L += "<br/><font color=\"#cf222e\">" + formatLabel(*N.Grad) + "</font>";
  return L + ">";
}

static std::string quoted(llvm::StringRef S) {
  std::string Q = "\"";
  for (char Ch : S) {
    if (Ch == '"' || Ch == '\\')
      Q += '\\';
    Q += Ch;
  }
  return Q + "\"";
}

void graph::printDot(const Circuit &C, llvm::raw_ostream &OS) {
  OS << "// nnc graph: values (green) above each wire, d " << C.Function
     << " / d value (red) below it\n";
  OS << "digraph " << quoted(C.Function) << " {\n"
     << "  rankdir=LR;\n"
     << "  node [fontname=\"Helvetica\"];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=11];\n";
  for (size_t I = 0; I < C.Nodes.size(); ++I) {
    const CircuitNode &N = C.Nodes[I];
    OS << "  n" << I << " [label=" << quoted(N.Label);
    switch (N.Kind) {
    case CircuitNode::Input:
      OS << ", shape=plaintext, fontsize=16";
      break;
    case CircuitNode::Constant:
      OS << ", shape=box, fontsize=10, width=0.3, height=0.2, style=dashed";
      break;
    case CircuitNode::Gate:
      OS << ", shape=circle";
      break;
    }
    OS << "];\n";
  }
  OS << "  out [label=" << quoted(C.Function) << ", shape=plaintext, fontsize=16];\n";
  for (size_t I = 0; I < C.Nodes.size(); ++I) {
    const CircuitNode &N = C.Nodes[I];
    for (size_t K = 0; K < N.Operands.size(); ++K) {
      unsigned A = N.Operands[K];
      OS << "  n" << A << " -> n" << I << " [label=" << wireLabel(C.Nodes[A]);
      // Which side is which for operands whose order matters.
      if (N.Ordered)
        OS << ", headlabel=\"" << K + 1 << "\", labelfontsize=8";
      OS << "];\n";
    }
  }
  if (!C.Nodes.empty())
    OS << "  n" << C.Nodes.size() - 1 << " -> out [label="
       << wireLabel(C.Nodes.back()) << "];\n";
  OS << "}\n";
}

llvm::Error graph::renderDot(llvm::StringRef Dot, llvm::StringRef Path) {
  llvm::StringRef Ext = llvm::sys::path::extension(Path);
  if (Ext != ".svg" && Ext != ".png" && Ext != ".pdf")
    return error("cannot write '" + Path +
                 "': give a .dot, .gv, .svg, .png or .pdf file");
  llvm::ErrorOr<std::string> DotExe = llvm::sys::findProgramByName("dot");
  if (!DotExe)
    return error("writing '" + Path +
                 "' needs Graphviz's 'dot' (Debian package graphviz); "
                 "-o FILE.dot writes the DOT text without it");
  llvm::SmallString<128> Tmp;
  int FD;
  if (std::error_code EC =
          llvm::sys::fs::createTemporaryFile("nnc-graph", "dot", FD, Tmp))
    return error("cannot create a temporary file: " + EC.message());
  llvm::FileRemover Remover(Tmp);
  {
    llvm::raw_fd_ostream OS(FD, /*shouldClose=*/true);
    OS << Dot;
    OS.flush();
    if (OS.has_error()) {
      OS.clear_error();
      return error("cannot write '" + Tmp + "'");
    }
  }
  std::string Format = ("-T" + Ext.drop_front()).str();
  llvm::SmallVector<llvm::StringRef, 6> Argv = {*DotExe, Format, "-o", Path,
                                                Tmp};
  std::string Message;
  int RC = llvm::sys::ExecuteAndWait(*DotExe, Argv, std::nullopt, {}, 0, 0,
                                     &Message);
  if (RC != 0)
    return error("'dot' could not write '" + Path + "'" +
                 (Message.empty() ? "" : ": " + Message));
  return llvm::Error::success();
}
