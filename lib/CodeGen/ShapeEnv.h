//===- ShapeEnv.h - Run-time values of symbolic dimensions ------*- C++ -*-===//
//
// Dimensions are products of dimension variables bound when an entry point
// is called. Every product the code will need is computed once, up front,
// in int64 with overflow checks, so loops never recompute or overflow.
//
// Each op's loop nest then reads its own copies of them and of the pointers
// it uses (beginScope, copyPointer). With one value used by the loops of
// every op, LLVM's LoopStrengthReduce, which visits every use of a
// loop-invariant value that the loop dominates, takes time quadratic in the
// size of the function (docs/performance.md).
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_SHAPEENV_H
#define NNC_LIB_CODEGEN_SHAPEENV_H

#include "nnc/IR/IR.h"
#include "llvm/ADT/DenseMap.h"
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
  /// (they cannot overflow once prepare() has seen the same product). Every
  /// value computed so far is stored, here, to a stack slot of its own.
  void seal();
  /// Until endScope(), get() returns copies private to the scope: volatile
  /// loads of the stack slots, emitted before \p At (the start of one op),
  /// with products of them there too. Volatile, so that no pass merges the
  /// copies of two scopes back into one value; a load per dimension and op
  /// costs nothing next to the op's loops. Needs seal().
  void beginScope(llvm::Instruction *At);
  void endScope() {
    ScopeAt = nullptr;
    ScopeCache.clear();
    PointerCopies.clear();
    RowVar.clear();
    RowCount = nullptr;
    RowAt = nullptr;
  }
  /// Where the current scope's copies are emitted (null outside a scope).
  llvm::Instruction *scopeAt() const { return ScopeAt; }
  /// Within the current scope, from now on: the variable \p Var reads as
  /// \p Count, and every product of it is emitted before \p At, not at the
  /// scope's start. An op that a thread runs on a slice of its rows
  /// (RowThreads.cpp) computes its extents from the slice's row count,
  /// which differs from thread to thread, inside the code each runs.
  void setRowCount(llvm::StringRef Var, llvm::Value *Count,
                   llvm::Instruction *At);
  /// Within the current scope, \p P is its own copy (a pointer computed
  /// inside the op's code, which copyPointer must not copy before it).
  void keepPointer(llvm::Value *P) { PointerCopies[P] = P; }
  /// Within a scope, a copy of the pointer \p P private to it (outside,
  /// \p P): `llvm.launder.invariant.group`, which alias analysis looks
  /// through to \p P's object, so the copy keeps \p P's noalias facts,
  /// but which scalar evolution and CSE treat as a new value. CodeGenPrepare
  /// removes it after LoopStrengthReduce; it emits no instruction.
  llvm::Value *copyPointer(llvm::Value *P);

  llvm::Value *mul(llvm::Value *A, llvm::Value *B);
  llvm::Value *add(llvm::Value *A, llvm::Value *B);
  /// \p V rounded up to a multiple of \p Align (a power of two).
  llvm::Value *alignTo(llvm::Value *V, uint64_t Align);
  /// Whether any checked product or sum overflowed int64.
  llvm::Value *overflowed() const { return Overflow; }

private:
  /// get() within a scope.
  llvm::Value *getInScope(const ir::Dim &D, const std::string &Key);

  llvm::IRBuilder<> &B;
  llvm::StringMap<llvm::Value *> Vars, Cache;
  llvm::Value *Overflow;
  bool Sealed = false;
  /// After seal(): the stack slot of each remembered product (by its key)
  /// and of each variable (by "$" and its name).
  llvm::StringMap<llvm::AllocaInst *> Slots;
  llvm::Instruction *ScopeAt = nullptr;
  llvm::StringMap<llvm::Value *> ScopeCache;
  llvm::DenseMap<llvm::Value *, llvm::Value *> PointerCopies;
  /// setRowCount's variable, its value and where its products go.
  std::string RowVar;
  llvm::Value *RowCount = nullptr;
  llvm::Instruction *RowAt = nullptr;
};

/// The product of the axes [Begin, End) of \p S.
ir::Dim getExtent(const ir::Shape &S, unsigned Begin, unsigned End);

} // namespace nnc::codegen

#endif
