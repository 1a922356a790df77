//===- Compact.h - Removing ops from a function -----------------*- C++ -*-===//
//
// Private to lib/Transforms: the last step of DCE and CSE, which both mark
// the ops to keep and then rebuild the function without the others. Once
// here so that the renumbering (which the verifier relies on: operands
// point backwards, a parameter's index is its position) is written once.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_TRANSFORMS_COMPACT_H
#define NNC_LIB_TRANSFORMS_COMPACT_H

#include "nnc/IR/IR.h"
#include <vector>

namespace nnc {

/// Removes the ops of \p F that \p Keep marks false; the others keep their
/// order, and their operands, which must all be kept ops, are renumbered.
void compactOps(ir::Function &F, const std::vector<bool> &Keep);

} // namespace nnc

#endif
