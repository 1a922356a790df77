//===- FusionPlan.h - Ops that are not computed on their own ----*- C++ -*-===//
//
// Between the IR and the emitter: which ops need no loop nest and no
// memory of their own because their users read their operand in place.
// Today, views:
//  - a transpose that only matrix products read, which they read with
//    swapped strides (Gemm.h), so `x.T @ dy` in a backward pass copies
//    nothing;
//  - a broadcast that only element-wise ops read, which they read with a
//    stride of zero along the stretched axes (a bias added to each row, a
//    scalar compared with each element), so nothing is repeated in memory.
// And fusion: an element-wise op whose only user is an element-wise op of
// the same shape is computed inside its user's loop, so a chain such as
// `relu(x @ W + b)`'s add and relu, or a backward pass's
// `select(h > 0, dy, 0)`, is one loop over memory. So is one whose other
// uses only gather the function's results, which the loop also stores:
// Adam's new moments and new parameter are one pass. An element-wise op
// whose only use is a reduction (sum_to, reduce_sum, reduce_max,
// reduce_min), directly or through reshapes of no other use, and whose
// fused tree reads no broadcast view, is computed by the reduction as it
// reads it: `sum_to(dy * x)` of a backward pass is one pass over dy and x.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_FUSIONPLAN_H
#define NNC_LIB_CODEGEN_FUSIONPLAN_H

#include "nnc/IR/IR.h"

namespace nnc::codegen {

struct FusionPlan {
  /// Per value: a view, read in place by its users (never computed).
  std::vector<bool> View;
  /// Per value: an element-wise op computed inside the loop of its only
  /// user, an element-wise op of the same shape, element by element (never
  /// stored), or by the reduction that reads it (and the reshapes between
  /// them). Chains of them make one loop; at most MaxFusedDepth deep.
  std::vector<bool> Fused;
  /// Per value: a fused op that is also part of the function's results (a
  /// train step's new optimizer state, read by the parameter's update):
  /// its user's loop also stores it, so it is computed once and written
  /// once, in the same pass over memory as its user.
  std::vector<bool> Stored;
  /// Per value: the op whose loop computes it (itself unless fused).
  std::vector<ir::ValueId> Loop;
  /// Per value: 2 * S + 1 when only the `true` arm of the select S of whole
  /// values (a tuple select, whose scalar condition picks pointers) needs
  /// it, 2 * S when only its `false` arm does, -1 otherwise. The emitter
  /// runs such an op only when S's condition picks its arm, so the other
  /// arm costs nothing: dropout in evaluation draws no numbers
  /// (lowerDropout). An op is fused only into a loop of its own guard.
  std::vector<int64_t> Guard;
};

/// How deep a tree of element-wise ops one loop computes may be.
constexpr unsigned MaxFusedDepth = 8;

/// Whether \p O is a matrix product the kernel of Gemm.h computes.
bool isGemmProduct(const ir::Function &F, const ir::Op &O);

/// sum_to, reduce_sum, reduce_max, reduce_min: the ops that read their
/// operand through TensorFunctionEmitter::flatReader.
bool isReduction(ir::OpKind K);

FusionPlan planFusion(const ir::Function &F);

} // namespace nnc::codegen

#endif
