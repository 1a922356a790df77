//===- SliceBounds.h - Slice bounds as forms in dimension variables -*- C++ -*-===//
//
// A slice bound (`x[:, 1:C-1]`, `x[:, 0:n]`, `x[-k:]`) is an integer
// expression of literals and dimension variables: +, -, unary -, and * by a
// constant. Sema evaluates it to a linear form in the monomials of the
// shape model, so the window's size is known when it is a dimension (a
// constant times a product of variables) and the start may be a run-time
// value computed from dimensions.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_SEMA_SLICEBOUNDS_H
#define NNC_LIB_SEMA_SLICEBOUNDS_H

#include "nnc/AST/AST.h"
#include "nnc/Support/Diagnostics.h"
#include <map>
#include <optional>
#include <string>

namespace nnc::sema {

/// Const + sum of Coef * monomial; a monomial is a product of dimension
/// variables, keyed by its variables joined with '*'.
struct BoundForm {
  int64_t Const = 0;
  std::map<std::string, int64_t> Terms;

  static BoundForm constant(int64_t C) { return {C, {}}; }
  static BoundForm ofDim(const Dim &D);
  bool isConstant() const { return Terms.empty(); }
  /// Negative: a negative constant, or a form with no positive part
  /// (`-k`, `-k - 1`); such a bound counts from the end of the axis.
  bool fromEnd() const;
  /// The form as a dimension, when it is one: a positive constant, or a
  /// positive constant times one monomial.
  std::optional<Dim> asDim() const;
  /// Sum and difference; nullopt on int64_t overflow.
  std::optional<BoundForm> plus(const BoundForm &O, int64_t Sign) const;
  std::string str() const;
};

/// The form of the checked bound \p E, or nullopt with \p Why saying which
/// part is not one (a run-time value, an operator other than + - *).
std::optional<BoundForm> evalBound(const ast::Expr &E, std::string &Why);

/// The window `Start:Stop:Step` of axis \p Axis (size \p N) of \p T: sets
/// W.Start, W.StartTerms, W.Size and W.Step, or reports why it has none.
bool sliceWindow(DiagnosticEngine &Diags, llvm::SMRange Where, const Dim &N,
                 unsigned Axis, const ast::Type &T,
                 const std::optional<BoundForm> &Start,
                 const std::optional<BoundForm> &Stop, int64_t Step,
                 bool StepWritten, ast::IndexExpr::AxisWindow &W);

} // namespace nnc::sema

#endif
