//===- ScalarOps.h - LLVM IR for one element of an op -----------*- C++ -*-===//
//
// The scalar semantics of nnc's element-wise ops, shared by scalar code and
// by the loops that apply them to every element of a tensor, so both give
// bit-identical results.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_SCALAROPS_H
#define NNC_LIB_CODEGEN_SCALAROPS_H

#include "nnc/IR/IR.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"

namespace nnc::codegen {

class ScalarOps {
public:
  ScalarOps(llvm::IRBuilder<> &B, llvm::Module &LM) : B(B), LM(LM) {}

  /// The LLVM type of a value of kind \p K (bool is i1).
  llvm::Type *type(ElementKind K);
  /// The type of an element in memory (bool is a byte, as C's bool).
  llvm::Type *storageType(ElementKind K);

  llvm::Value *constant(ElementKind K, double FloatValue, int64_t IntValue);
  llvm::Value *convert(llvm::Value *A, ElementKind From, ElementKind To);
  /// One element of an Arith, Math, Cmp, Logic, Convert or Select op whose
  /// first operand has kind \p OperandKind.
  llvm::Value *elementwise(ir::OpKind K, ElementKind OperandKind,
                           ElementKind ResultKind,
                           llvm::ArrayRef<llvm::Value *> Args);
  /// Whether \p K is computed by elementwise().
  static bool isElementwise(ir::OpKind K);

  llvm::Value *intrinsic(llvm::Intrinsic::ID ID,
                         llvm::ArrayRef<llvm::Value *> Args);
  /// A call to libm's \p Base (or its `f` form for float).
  llvm::Value *libmCall(llvm::StringRef Base, llvm::Value *A);

  /// erf(x), or gelu(x) with \p Gelu, by the polynomials of
  /// nnc/Support/Erf.h (ScalarErf.cpp).
  llvm::Value *erfOrGelu(llvm::Value *X, bool Gelu);

  /// A call to a function with the scalar ABI; a tuple result comes back
  /// through stack slots, one per flattened leaf.
  llvm::SmallVector<llvm::Value *, 2> call(llvm::Function *Callee,
                                           llvm::ArrayRef<llvm::Value *> Args,
                                           const ir::Type &Result);

  /// Loads element \p Index of an array of \p K at \p Ptr (bool as i1).
  llvm::Value *load(ElementKind K, llvm::Value *Ptr, llvm::Value *Index);
  void store(ElementKind K, llvm::Value *V, llvm::Value *Ptr,
             llvm::Value *Index);

private:
  llvm::Value *intDiv(llvm::Value *A, llvm::Value *D);
  /// PyTorch's maximum or minimum (issue 12).
  llvm::Value *maximumOrMinimum(ir::OpKind K, bool Float, llvm::Value *A,
                                llvm::Value *C);
  llvm::IRBuilder<> &B;
  llvm::Module &LM;
};

} // namespace nnc::codegen

#endif
