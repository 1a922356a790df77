//===- Dot.cpp - The circuit as Graphviz DOT, and rendering it -----------===//
//
// Inputs on the left, gates as circles, calls as boxes, expanded calls as
// clusters (boxes around their gates). Each wire carries its value in
// green and its gradient in red; a tensor wire its concrete type first,
// then mean [min, max] of the values and of the gradients.
//
//===----------------------------------------------------------------------===//
#include "GraphInternal.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ToolOutputFile.h"
#include <cmath>
#include <cstdio>

using namespace nnc;
using namespace nnc::graph;

std::string graph::formatLabel(double V) {
  if (V == 0)
    return "0"; // not "-0"
  if (std::isnan(V))
    return "nan"; // not "-nan"
  char Buf[32];
  std::snprintf(Buf, sizeof(Buf), "%.4g", V);
  return Buf;
}

static std::string summary(const WireValue &W) {
  if (W.Type.empty())
    return formatLabel(W.Value);
  std::string S = "mean " + formatLabel(W.Value) + " [" +
                  formatLabel(W.Min) + ", " + formatLabel(W.Max) + "]";
  if (W.NaNs)
    S += ", " + std::to_string(W.NaNs) + " nan";
  return S;
}

/// The label of a wire: value above in green, gradient below in red.
static std::string wireLabel(const CircuitNode &N) {
  std::string L = "<";
  if (!N.Value.Type.empty())
    L += "<font point-size=\"9\">" + N.Value.Type + "</font>" +
         (N.Value.IsTuple ? "" : "<br/>");
  if (!N.Value.IsTuple)
    L += "<font color=\"#1a7f37\">" + summary(N.Value) + "</font>";
  if (N.Grad && !N.Grad->IsTuple)
    L += "<br/><font color=\"#cf222e\">" + summary(*N.Grad) + "</font>";
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

static void printNode(const Circuit &C, size_t I, llvm::raw_ostream &OS,
                      llvm::StringRef Indent) {
  const CircuitNode &N = C.Nodes[I];
  OS << Indent << "n" << I << " [label=" << quoted(N.Label);
  switch (N.Kind) {
  case CircuitNode::Input:
    OS << ", shape=plaintext, fontsize=16";
    break;
  case CircuitNode::Constant:
    OS << ", shape=box, fontsize=10, width=0.3, height=0.2, style=dashed";
    break;
  case CircuitNode::Gate:
    // A symbol fits a circle; a circle around a word is as wide as tall.
    OS << (N.Label.size() <= 3 ? ", shape=circle" : ", shape=ellipse");
    break;
  case CircuitNode::Call:
    OS << ", shape=box, style=rounded";
    break;
  }
  OS << "];\n";
}

/// Cluster \p K with its nodes and the clusters inside it.
static void printCluster(const Circuit &C, int K, llvm::raw_ostream &OS,
                         std::string Indent) {
  OS << Indent << "subgraph cluster_" << K << " {\n";
  std::string Inner = Indent + "  ";
  OS << Inner << "label=" << quoted(C.Clusters[K].Label)
     << "; style=\"rounded,dashed\"; color=\"#57606a\"; fontcolor=\"#57606a\";\n";
  for (size_t I = 0; I < C.Nodes.size(); ++I)
    if (C.Nodes[I].Cluster == K)
      printNode(C, I, OS, Inner);
  for (size_t J = 0; J < C.Clusters.size(); ++J)
    if (C.Clusters[J].Parent == K)
      printCluster(C, J, OS, Inner);
  OS << Indent << "}\n";
}

void graph::printDot(const Circuit &C, llvm::raw_ostream &OS) {
  OS << "// nnc graph: values (green) above each wire, d " << C.Function
     << " / d value (red) below it";
  if (C.Seed == "sum")
    OS << " (of the sum of " << C.Function << "'s elements)";
  OS << "\n";
  OS << "digraph " << quoted(C.Function) << " {\n"
     << "  rankdir=LR;\n"
     << "  node [fontname=\"Helvetica\"];\n"
     << "  edge [fontname=\"Helvetica\", fontsize=11];\n";
  bool Tensors = false;
  for (const CircuitNode &N : C.Nodes)
    Tensors |= !N.Value.Type.empty();
  if (Tensors || !C.Seed.empty()) {
    std::string Legend;
    if (Tensors)
      Legend += "tensors: shape, then mean [min, max] of the values (green) "
                "and of the gradients (red)";
    if (C.Seed == "sum")
      Legend += std::string(Legend.empty() ? "" : "\\n") +
                "gradients of the sum of every element of " + C.Function +
                "'s result";
    OS << "  labelloc=b; fontname=\"Helvetica\"; fontsize=10; label=\""
       << Legend << "\";\n";
  }
  for (size_t I = 0; I < C.Nodes.size(); ++I)
    if (C.Nodes[I].Cluster < 0)
      printNode(C, I, OS, "  ");
  for (size_t K = 0; K < C.Clusters.size(); ++K)
    if (C.Clusters[K].Parent < 0)
      printCluster(C, K, OS, "  ");
  OS << "  out [label=" << quoted(C.Function)
     << ", shape=plaintext, fontsize=16];\n";
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

llvm::Error graph::writeDot(llvm::StringRef Dot, llvm::StringRef Path) {
  llvm::StringRef Ext = llvm::sys::path::extension(Path);
  if (Ext != ".dot" && Ext != ".gv")
    return renderDot(Dot, Path);
  std::error_code EC;
  llvm::ToolOutputFile File(Path, EC, llvm::sys::fs::OF_Text);
  if (EC)
    return error("cannot write '" + Path + "': " + EC.message());
  File.os() << Dot;
  File.os().close();
  if (File.os().has_error()) {
    File.os().clear_error();
    return error("cannot write '" + Path + "'");
  }
  File.keep();
  return llvm::Error::success();
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
