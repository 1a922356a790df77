//===- Workspace.h - Where the tensors of a function live -------*- C++ -*-===//
//
// Every tensor a function computes lives in one workspace buffer, at an
// offset computed at run time from the bound dimensions, or directly in the
// caller's result buffer when it is returned as is.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_WORKSPACE_H
#define NNC_LIB_CODEGEN_WORKSPACE_H

#include "FusionPlan.h"
#include "nnc/IR/IR.h"

namespace nnc::codegen {

struct WorkspacePlan {
  /// Per value: the workspace slot holding it, or -1.
  std::vector<int> Slot;
  /// Per value: the flattened result leaf it is computed in, or -1.
  std::vector<int> ResultLeaf;
  /// The size in bytes of each slot: elements times element size.
  std::vector<ir::Dim> SlotBytes;
};

/// Whether the tensor \p O computes needs memory of its own: parameters and
/// constants have theirs, reshape aliases its operand, tuples and extracts
/// move pointers.
bool ownsStorage(const ir::Op &O);

/// Assigns slots. A slot is reused once every value in it is dead, by a
/// value of the same symbolic size (so the choice holds for every binding
/// of the dimensions); a value returned exactly once is computed in its
/// result buffer instead. A view of \p Fusion has no memory: it keeps its
/// operand's alive as long as it is read.
WorkspacePlan planWorkspace(const ir::Function &F, const FusionPlan &Fusion);

} // namespace nnc::codegen

#endif
