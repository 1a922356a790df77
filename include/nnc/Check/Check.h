//===- Check.h - The gradient check of a .nn file ---------------*- C++ -*-===//
//
// `nnc check FILE.nn` compares the gradients nnc derives (grad and vjp, and
// so every user `backward` rule they reach) with central finite differences
// in f64 at seeded random points, and checks the adjoint identity
// <J v, w> = <v, J^T w> of each vjp. Every evaluation is a REPL expression
// compiled by the JIT (nnc/JIT): the file's declarations are a session and
// each point is written as literals, so the code checked is the code nnc
// generates. docs/tools.md describes the method and its limits.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_CHECK_CHECK_H
#define NNC_CHECK_CHECK_H

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
} // namespace nnc::jit

namespace nnc::check {

struct CheckOptions {
  uint64_t Seed = 0;
  /// The largest relative error that passes.
  double Tol = 1e-6;
  /// Points checked per function (moved points not counted).
  unsigned Points = 3;
  /// Functions to check; all when empty.
  std::vector<std::string> Functions;
  /// Values of scalar parameters, by name, at the first point of each
  /// function that has them (the rest stay random).
  std::vector<std::pair<std::string, double>> At;
};

/// One line of the table: a function and one of its float parameters (or
/// the adjoint identity of its vjp, Argument "<Jv,w>").
struct CheckRow {
  std::string Function;
  std::string Argument;
  /// The largest relative error over the points; NaN when any gradient or
  /// difference was NaN or infinite.
  double MaxRelError = 0;
  unsigned Points = 0;
  /// Points moved because they sat on a kink or outside the domain.
  unsigned Moved = 0;
  bool Failed = false;
  /// Why the row failed or was skipped, when not by its error.
  std::string Note;
  bool Skipped = false;
};

struct CheckReport {
  std::vector<CheckRow> Rows;
  bool passed() const;
};

/// Checks the functions of \p Text (the file \p SourceName). Diagnostics
/// of a file that does not compile go to \p Diag, and the result is an
/// error.
llvm::Expected<CheckReport> checkSource(llvm::StringRef Text,
                                        llvm::StringRef SourceName,
                                        const CheckOptions &Opts,
                                        llvm::raw_ostream &Diag);

/// Prints the table and a summary line.
void printReport(const CheckReport &R, const CheckOptions &Opts,
                 llvm::raw_ostream &OS);

/// The relative error of \p A against \p B: |a - b| / max(|a|, |b|, tiny),
/// NaN when either is NaN or infinite.
double relativeError(double A, double B);

/// Every `f32` word of \p Text read as `f64`: the same length, so
/// diagnostics keep their columns.
std::string widenToF64(llvm::StringRef Text);

/// Compiles the REPL expression \p Expr in session \p S with \p JIT, as the
/// REPL does, and runs it. On failure returns nothing and sets \p Error to
/// the first line of the message. (nnc graph evaluates through it too.)
std::optional<jit::Value> evaluateExpression(jit::Session &S, jit::Engine &JIT,
                                             llvm::StringRef Expr,
                                             std::string &Error);

/// The numbers of \p V in order (a tuple's depth first, a tensor's
/// row-major; integers and bools as doubles).
std::vector<double> flattenValue(const jit::Value &V);

} // namespace nnc::check

#endif // NNC_CHECK_CHECK_H
