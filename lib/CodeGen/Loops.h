//===- Loops.h - Counted loops and loop nests -------------------*- C++ -*-===//
//
// The loops tensor ops lower to, in the canonical form LLVM's loop passes
// and vectorizer expect: a guard, one header with the induction variable,
// the exit test at the bottom.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_LOOPS_H
#define NNC_LIB_CODEGEN_LOOPS_H

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/IR/IRBuilder.h"

namespace nnc::codegen {

/// `for (i = Begin; i < End; i += Step) Body(i)` over int64, which LLVM does
/// not unroll (Loops.cpp says why); the builder is left after the loop.
void emitLoop(llvm::IRBuilder<> &B, llvm::Value *Begin, llvm::Value *End,
              int64_t Step, llvm::function_ref<void(llvm::Value *)> Body,
              const llvm::Twine &Name = "i");
inline void emitLoop(llvm::IRBuilder<> &B, llvm::Value *N,
                     llvm::function_ref<void(llvm::Value *)> Body,
                     const llvm::Twine &Name = "i") {
  emitLoop(B, B.getInt64(0), N, 1, Body, Name);
}

/// Marks the loop whose latch branch is \p Latch as not to be unrolled.
void disableUnrolling(llvm::Instruction *Latch);

/// Visits every index of the extents \p Dims in row-major order (the last
/// axis innermost). For each of the operands, \p Strides holds one stride
/// per axis (in elements); \p Body receives the indices and each operand's
/// offset, the sum of index times stride.
void emitLoopNest(
    llvm::IRBuilder<> &B, llvm::ArrayRef<llvm::Value *> Dims,
    llvm::ArrayRef<llvm::SmallVector<llvm::Value *, 4>> Strides,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *> Indices,
                            llvm::ArrayRef<llvm::Value *> Offsets)>
        Body);

} // namespace nnc::codegen

#endif
