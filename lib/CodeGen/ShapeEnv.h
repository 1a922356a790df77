//===- ShapeEnv.h - Run-time values of symbolic dimensions ------*- C++ -*-===//
//
// Dimensions are products of dimension variables bound when an entry point
// is called. Every product the code will need is computed once, up front,
// in int64 with overflow checks, so loops never recompute or overflow.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_SHAPEENV_H
#define NNC_LIB_CODEGEN_SHAPEENV_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/IR/IRBuilder.h"

namespace nnc::codegen {

class ShapeEnv {
public:
  explicit ShapeEnv(llvm::IRBuilder<> &B) : B(B), Overflow(B.getFalse()) {}

  void bind(llvm::StringRef Var, llvm::Value *V) { Vars[Var] = V; }
  bool isBound(llvm::StringRef Var) const { return Vars.count(Var); }

  /// The value of \p D. The first evaluation is emitted where the builder
  /// is and remembered; an overflowing product sets overflowed().
  llvm::Value *get(const ir::Dim &D);
  /// Evaluates, for later use anywhere, the product of every run of
  /// consecutive axes of \p T (sizes, strides, outer and inner extents)
  /// and its size in bytes.
  void prepare(const ir::Type &T);
  /// Stops remembering: later evaluations are emitted where they are used
  /// (they cannot overflow once prepare() has seen the same product).
  void seal() { Sealed = true; }

  llvm::Value *mul(llvm::Value *A, llvm::Value *B);
  llvm::Value *add(llvm::Value *A, llvm::Value *B);
  /// \p V rounded up to a multiple of \p Align (a power of two).
  llvm::Value *alignTo(llvm::Value *V, uint64_t Align);
  /// Whether any checked product or sum overflowed int64.
  llvm::Value *overflowed() const { return Overflow; }

private:
  llvm::IRBuilder<> &B;
  llvm::StringMap<llvm::Value *> Vars, Cache;
  llvm::Value *Overflow;
  bool Sealed = false;
};

/// The product of the axes [Begin, End) of \p S.
ir::Dim getExtent(const ir::Shape &S, unsigned Begin, unsigned End);

} // namespace nnc::codegen

#endif
