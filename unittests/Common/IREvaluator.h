//===- IREvaluator.h - A reference interpreter of the IR, for tests -*- C++ -*-===//
//
// Evaluates an ir::Function on concrete inputs with plain nested loops, one
// case per op, so unit tests can check AD against finite differences and
// passes against the unoptimized IR without going through CodeGen. It is
// test code, not part of the compiler: it favours being obviously right
// over speed.
//
// Every element is held as a double (integers exactly, up to 2^53), rounded
// to f32 after each f32 op and wrapped to 32 bits after each i32 op.
// Dimension variables are bound from the shapes of the arguments.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_UNITTESTS_COMMON_IREVALUATOR_H
#define NNC_UNITTESTS_COMMON_IREVALUATOR_H

#include "nnc/IR/IR.h"
#include "llvm/Support/Error.h"
#include <cstdint>
#include <vector>

namespace nnc::ir::testing {

/// A scalar, a dense row-major tensor, or a tuple of values.
struct Value {
  ElementKind Kind = ElementKind::F64;
  std::vector<int64_t> Shape; // empty for a scalar
  std::vector<double> Data;   // one element for a scalar
  bool IsTuple = false;
  std::vector<Value> Elements;

  static Value scalar(double V, ElementKind K = ElementKind::F64) {
    Value R;
    R.Kind = K;
    R.Data = {V};
    return R;
  }
  static Value tensor(std::vector<int64_t> Shape, std::vector<double> Data,
                      ElementKind K = ElementKind::F64) {
    Value R;
    R.Kind = K;
    R.Shape = std::move(Shape);
    R.Data = std::move(Data);
    return R;
  }
  static Value tuple(std::vector<Value> Elements) {
    Value R;
    R.IsTuple = true;
    R.Elements = std::move(Elements);
    return R;
  }
  /// The single element of a scalar.
  double item() const { return Data.at(0); }
};

/// The number of elements of a shape.
int64_t numElements(const std::vector<int64_t> &Shape);

/// Evaluates \p F (a function of \p M, whose calls it follows) on \p Args.
/// Fails on arguments that do not fit the parameters, unbound or
/// inconsistent dimensions, and out-of-range labels.
llvm::Expected<Value> evaluate(const Module &M, const Function &F,
                               const std::vector<Value> &Args);

/// Convolution and pooling (issue 12): conv2d, the pools and their
/// gradient ops on inputs \p In, into \p Result (zeros of the op's type)
/// (WindowEvaluator.cpp).
Value evaluateWindowOp(const Op &O, const std::vector<const Value *> &In,
                       Value Result);

} // namespace nnc::ir::testing

#endif
