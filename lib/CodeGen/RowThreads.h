//===- RowThreads.h - Ops shared among threads by rows ----------*- C++ -*-===//
//
// With --threads=N, an op whose rows are independent runs on slices of its
// rows, one per thread of the module's pool (RowThreads.cpp has the
// design; TensorFunctionEmitter::emitOpInRows emits it).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_ROWTHREADS_H
#define NNC_LIB_CODEGEN_ROWTHREADS_H

#include "FusionPlan.h"
#include "llvm/ADT/SmallVector.h"
#include <string>

namespace nnc::codegen {

/// Whether op \p I of \p F can run on slices of its rows: an element-wise
/// op (with the ops fused into it), softmax, log_softmax, logsumexp or a
/// reduction along an axis other than the first, whose first axis is the
/// dimension variable \p RowVar, which no other axis of what it reads or
/// writes uses. \p Reads gets the tensors its code reads by rows (the
/// others are scalars or broadcasts repeated along the rows), \p Writes the
/// ones it writes (itself, and the fused ops it stores).
bool getRowValues(const ir::Function &F, const FusionPlan &Fusion,
                  ir::ValueId I, std::string &RowVar,
                  llvm::SmallVectorImpl<ir::ValueId> &Reads,
                  llvm::SmallVectorImpl<ir::ValueId> &Writes);

} // namespace nnc::codegen

#endif
