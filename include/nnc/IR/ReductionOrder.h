//===- ReductionOrder.h - The order of a reduction along axes ---*- C++ -*-===//
//
// A reduction along several axes is a chain of one-axis reductions, and
// the chain's order decides a float sum's bits. `sum(x, axis=[...])` builds
// the chain as reduce ops (IRGen) and `sum_to` as loop nests (CodeGen);
// both take it from here, the IR library they both depend on, so that
// they add in one order and give the same bits (docs/abi.md, "Numeric
// semantics of the tensor ops").
//
//===----------------------------------------------------------------------===//
#ifndef NNC_IR_REDUCTIONORDER_H
#define NNC_IR_REDUCTIONORDER_H

#include "nnc/Support/Shape.h"
#include "llvm/ADT/ArrayRef.h"
#include <vector>

namespace nnc::ir {

/// One reduction of a chain: the tensor read as [Outer, Axis, Inner] and
/// reduced along the middle, each result in index order from 0.
struct ReduceStep {
  Dim Outer, Axis, Inner;
  Dim result() const { return Outer * Inner; }
  bool operator==(const ReduceStep &O) const = default;
};

/// A reduction along several axes as a chain of one-axis reductions.
struct ReductionPlan {
  /// The input's shape as the chain reads it, a reshape (same elements in
  /// the same order): the axes of extent 1 dropped, then each run of
  /// adjacent reduced axes other than the last merged into one.
  Shape Merged;
  /// The axes reduced, in order, each numbered in the tensor the steps
  /// before it left (a reduction drops its axis). Never empty.
  std::vector<unsigned> Order;

  /// The chain as (outer, axis, inner) extents, one per element of Order.
  std::vector<ReduceStep> steps() const;
};

/// The chain that reduces a tensor of shape \p S along \p Axes (distinct,
/// any order). Axes of extent 1 (a known 1; a dimension variable may be 1
/// when called, which is not known here) take no part: reduced or not,
/// they neither split a run nor are the last axis. The runs go outermost
/// first: a reduction along an axis that is not the last runs its inner
/// loop over the contiguous block after it, which vectorizes, and the
/// outermost axis leaves the longest block and the smallest result. The
/// last axis, whose in-order sum is one dependent chain per result element,
/// goes last, on the smallest tensor. NCHW's [0, 2, 3] reduces N
/// (vectorized over C*H*W), then H, then W. When no axis of extent above 1
/// is reduced, the chain is one step of extent 1, [N, 1, 1]: a sum of one
/// element, 0 + x (-0.0 becomes +0.0), as a reduce_sum along such an axis.
ReductionPlan planReduction(const Shape &S, llvm::ArrayRef<unsigned> Axes);

/// The axes of \p In that `sum_to` to \p Out sums: the leading ones \p Out
/// lacks and those where \p Out has 1.
std::vector<unsigned> getSumToAxes(const Shape &In, const Shape &Out);

} // namespace nnc::ir

#endif
