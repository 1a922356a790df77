//===- Graph.h - The circuit picture of a scalar function -------*- C++ -*-===//
//
// `nnc graph FILE.nn --fn f --at x=-2,y=5,z=-4` draws f as CS231n's
// backpropagation lecture does: inputs, constants and one gate per IR op
// (after inlining), each wire labelled with its forward value and the
// gradient of f's output with respect to that value. Both are computed by
// code nnc compiles, through the JIT (nnc/Check's evaluateExpression):
// docs/tools.md describes how.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_GRAPH_GRAPH_H
#define NNC_GRAPH_GRAPH_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::graph {

struct GraphOptions {
  /// The function drawn.
  std::string Function;
  /// The value of every parameter, by name.
  std::vector<std::pair<std::string, double>> At;
};

struct CircuitNode {
  enum NodeKind { Input, Constant, Gate };
  NodeKind Kind = Gate;
  /// The parameter's name, the constant's value or the gate's symbol.
  std::string Label;
  /// The nodes whose values this gate takes, in operand order.
  std::vector<unsigned> Operands;
  /// Whether operand order matters (`-`, `/`, `^`, comparisons, select):
  /// the picture then numbers the wires.
  bool Ordered = false;
  /// The value this node puts on its output wires.
  double Value = 0;
  /// d output / d Value; none for integer and bool values.
  std::optional<double> Grad;
};

struct Circuit {
  std::string Function;
  /// In topological order; the last is the output.
  std::vector<CircuitNode> Nodes;
};

/// Builds the circuit of function Opts.Function of \p Text (the file
/// \p SourceName) at the point Opts.At. Diagnostics of a file that does not
/// compile go to \p Diag.
llvm::Expected<Circuit> buildCircuit(llvm::StringRef Text,
                                     llvm::StringRef SourceName,
                                     const GraphOptions &Opts,
                                     llvm::raw_ostream &Diag);

/// Prints \p C as Graphviz DOT: values in green above each wire,
/// gradients in red below it.
void printDot(const Circuit &C, llvm::raw_ostream &OS);

/// Formats a value or gradient as the picture shows it (4 significant
/// digits).
std::string formatLabel(double V);

/// Renders \p Dot into \p Path with Graphviz's `dot`, in the format of the
/// path's extension (svg, png or pdf).
llvm::Error renderDot(llvm::StringRef Dot, llvm::StringRef Path);

} // namespace nnc::graph

#endif // NNC_GRAPH_GRAPH_H
