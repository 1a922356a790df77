//===- Graph.h - The circuit picture of a function --------------*- C++ -*-===//
//
// `nnc graph FILE.nn --fn f --at x=-2,y=5,z=-4` draws f as CS231n's
// backpropagation lecture does: inputs, constants and one gate per IR op,
// each wire labelled with its forward value and the gradient of f's output
// with respect to that value (a tensor wire with its shape and a summary:
// mean, min, max). Calls to the file's functions are boxes, or clusters of
// their gates when expanded. Values and gradients are computed by code nnc
// compiles, through the JIT (nnc/Check's evaluateExpression): docs/tools.md
// describes how. The REPL's `:graph f(-2, 5, -4)` draws through the same
// code (runReplCommand).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_GRAPH_GRAPH_H
#define NNC_GRAPH_GRAPH_H

#include "nnc/JIT/Value.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace nnc::jit {
class Engine;
class Session;
struct Input;
} // namespace nnc::jit

namespace nnc::graph {

/// The value one parameter is drawn at.
struct ArgSpec {
  enum SpecKind {
    Number, ///< a scalar (`x=-2`)
    Npy,    ///< a NumPy file (`x=data.npy`)
    Randn,  ///< standard normal numbers, seeded (`x=randn`)
    Given   ///< a value computed already (the REPL's arguments)
  };
  SpecKind Kind = Number;
  double Scalar = 0;
  std::string Path;
  jit::Value Value;
};

struct GraphOptions {
  /// The function drawn: `f`, or an instance's method `net.loss`.
  std::string Function;
  /// Parameters' values by name (an instance's parameters, `fc1.W`, too;
  /// those not given come from the instance's initializer).
  std::vector<std::pair<std::string, ArgSpec>> At;
  /// Parameters' values by position, the instance's parameters excluded
  /// (the REPL's `:graph f(1, 2)`), when UsePositional.
  std::vector<ArgSpec> Positional;
  bool UsePositional = false;
  /// Sizes of dimension variables (`--dims B=4`).
  std::vector<std::pair<std::string, int64_t>> Dims;
  /// Seed of `randn` values and of an instance's initializer.
  uint64_t Seed = 0;
  /// Calls drawn as clusters of their gates: all of them, or those named.
  bool ExpandAll = false;
  std::vector<std::string> Expand;
};

/// A value on a wire: a number, or a tensor's summary.
struct WireValue {
  /// "" for a scalar; the concrete type of a tensor (`f32[4, 3]`) or a
  /// tuple.
  std::string Type;
  bool IsTuple = false;
  /// A scalar's value, or a tensor's mean.
  double Value = 0;
  /// A tensor's smallest and largest elements, NaNs left out.
  double Min = 0, Max = 0;
  /// A tensor's NaN elements (its mean is then NaN).
  size_t NaNs = 0;
};

struct CircuitNode {
  enum NodeKind { Input, Constant, Gate, Call };
  NodeKind Kind = Gate;
  /// The parameter's name, the constant's value, the gate's symbol or the
  /// callee's name.
  std::string Label;
  /// The nodes whose values this gate takes, in operand order.
  std::vector<unsigned> Operands;
  /// Whether operand order matters (`-`, `/`, `^`, `@`, comparisons,
  /// select, calls): the picture then numbers the wires.
  bool Ordered = false;
  /// What this node puts on its output wires.
  WireValue Value;
  /// d output / d value; none for integer, bool and tuple values.
  std::optional<WireValue> Grad;
  /// The innermost expanded call this node belongs to; -1 for none.
  int Cluster = -1;
};

/// An expanded call: its gates are drawn inside a box named after it.
struct CircuitCluster {
  std::string Label;
  int Parent = -1;
};

struct Circuit {
  /// As the user named it (`net.loss`).
  std::string Function;
  /// In topological order; the last is the output.
  std::vector<CircuitNode> Nodes;
  std::vector<CircuitCluster> Clusters;
  /// How the gradients are seeded: empty for a scalar output (d f / d f =
  /// 1), "sum" when they are those of the sum of every output element.
  std::string Seed;
};

/// Builds the circuit of function Opts.Function of \p Text (the file
/// \p SourceName) at the point Opts.At. Diagnostics of a file that does not
/// compile go to \p Diag.
llvm::Expected<Circuit> buildCircuit(llvm::StringRef Text,
                                     llvm::StringRef SourceName,
                                     const GraphOptions &Opts,
                                     llvm::raw_ostream &Diag);

/// The same for a function of session \p S, run with \p JIT.
llvm::Expected<Circuit> buildCircuit(jit::Session &S, jit::Engine &JIT,
                                     const GraphOptions &Opts,
                                     llvm::raw_ostream &Diag);

/// Reads one `--at` value: a number, `randn` or a path ending in `.npy`.
std::optional<ArgSpec> parseArgSpec(llvm::StringRef Text);

/// Prints \p C as Graphviz DOT: values in green above each wire,
/// gradients in red below it.
void printDot(const Circuit &C, llvm::raw_ostream &OS);

/// Formats a value or gradient as the picture shows it (4 significant
/// digits).
std::string formatLabel(double V);

/// Writes \p Dot to \p Path: DOT text for `.dot` and `.gv`, rendered by
/// Graphviz's `dot` for `.svg`, `.png` and `.pdf`.
llvm::Error writeDot(llvm::StringRef Dot, llvm::StringRef Path);

/// Renders \p Dot into \p Path with Graphviz's `dot`, in the format of the
/// path's extension (svg, png or pdf).
llvm::Error renderDot(llvm::StringRef Dot, llvm::StringRef Path);

/// The REPL's `:graph CALL [-o FILE]`: draws the call's function at its
/// arguments (each an expression of the session) into FILE, by default
/// `<function>.svg` (`.dot` without Graphviz), and says where it wrote it
/// on \p Out. False after an error, reported on \p Err.
bool runReplCommand(jit::Session &S, const jit::Input &Arg,
                    llvm::raw_ostream &Out, llvm::raw_ostream &Err);

} // namespace nnc::graph

#endif // NNC_GRAPH_GRAPH_H
