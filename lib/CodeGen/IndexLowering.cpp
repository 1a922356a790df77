//===- IndexLowering.cpp - Slices, concatenation and permutation ----------===//
//
// The structural tensor ops of issue 12 as strided copies: slice reads a
// window of its operand (start + i * step along each axis), unslice (its
// adjoint) zero-fills its result and writes the window, concat copies each
// part into its place along the axis, and permute reads its operand with
// permuted strides while writing the result contiguously. A slice's starts
// are run-time values, so each is checked against its axis before any
// element is read or written: a start out of range fails the call with
// NNC_ERR_INDEX, never an out-of-bounds access.
//
//===----------------------------------------------------------------------===//
#include "Loops.h"
#include "TensorFunction.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

void TensorFunctionEmitter::emitSlice(const ir::Op &O, llvm::Value *Out) {
  bool IsSlice = O.Kind == OpKind::Slice;
  const ir::Type &In = F.typeOf(O.Operands[0]);
  const ir::Type &Whole = IsSlice ? In : O.Ty;
  const ir::Type &Window = IsSlice ? O.Ty : In;
  llvm::Value *P = pointerTo(O.Operands[0]);
  ElementKind K = O.Ty.getElementKind();
  unsigned R = Whole.getRank();
  llvm::SmallVector<llvm::Value *, 4> WholeStrides = strides(Whole), Steps,
                                      Dims;
  llvm::Value *Base = B.getInt64(0);
  for (unsigned A = 0; A < R; ++A) {
    llvm::Value *Start = Vals[O.Operands[A + 1]][0];
    llvm::Value *N = dim(Whole.getShape()[A]);
    llvm::Value *W = dim(Window.getShape()[A]);
    int64_t Step = O.getSteps()[A];
    // The window's last index, start + (w - 1) * step, must be below n:
    // compared as start > n - 1 - (w - 1) * step, which cannot overflow
    // whatever the start; (w - 1) * step can (a step is any positive
    // literal), and then the window does not fit either.
    llvm::Value *SpanOv = B.CreateBinaryIntrinsic(
        llvm::Intrinsic::smul_with_overflow,
        B.CreateNSWSub(W, B.getInt64(1)), B.getInt64(Step));
    llvm::Value *Span = B.CreateExtractValue(SpanOv, 0);
    llvm::Value *Limit =
        B.CreateNSWSub(B.CreateNSWSub(N, B.getInt64(1)), Span);
    failIf(B.CreateOr(B.CreateOr(B.CreateICmpSLT(Start, B.getInt64(0)),
                                 B.CreateICmpSGT(Start, Limit)),
                      B.CreateExtractValue(SpanOv, 1)),
           StatusIndex);
    Base = B.CreateNSWAdd(Base, B.CreateNSWMul(Start, WholeStrides[A]));
    // Wrapping: with a window of one element a huge step is never used
    // (index 0 times it), and with more the check above bounds it.
    Steps.push_back(B.CreateMul(WholeStrides[A], B.getInt64(Step)));
    Dims.push_back(W);
  }
  if (!IsSlice)
    emitLoop(B, numElements(Whole),
             [&](llvm::Value *I) { S.store(K, elemConst(K, 0), Out, I); });
  emitLoopNest(
      B, Dims, {strides(Window), Steps},
      [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
        llvm::Value *At = B.CreateNSWAdd(Base, Off[1]);
        if (IsSlice)
          S.store(K, S.load(K, P, At), Out, Off[0]);
        else
          S.store(K, S.load(K, P, Off[0]), Out, At);
      });
}

void TensorFunctionEmitter::emitConcat(const ir::Op &O, llvm::Value *Out) {
  unsigned Axis = O.getAxis();
  ElementKind K = O.Ty.getElementKind();
  llvm::SmallVector<llvm::Value *, 4> OutStrides = strides(O.Ty);
  // Each part is a window of the result, at the sum of the earlier parts'
  // sizes along the axis.
  llvm::Value *Offset = B.getInt64(0);
  for (ValueId V : O.Operands) {
    const ir::Type &T = F.typeOf(V);
    llvm::Value *P = pointerTo(V);
    llvm::SmallVector<llvm::Value *, 4> Dims;
    for (const ir::Dim &D : T.getShape())
      Dims.push_back(dim(D));
    llvm::Value *Base = B.CreateNSWMul(Offset, OutStrides[Axis]);
    emitLoopNest(
        B, Dims, {strides(T), OutStrides},
        [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
          S.store(K, S.load(K, P, Off[0]), Out,
                  B.CreateNSWAdd(Base, Off[1]));
        });
    Offset = B.CreateNSWAdd(Offset, Dims[Axis]);
  }
}

void TensorFunctionEmitter::emitPermute(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  llvm::Value *P = pointerTo(O.Operands[0]);
  ElementKind K = O.Ty.getElementKind();
  // Result axis i walks operand axis perm[i]: the result is written in
  // order, the operand read with its strides permuted.
  llvm::SmallVector<llvm::Value *, 4> InNatural = strides(In), InStrides,
                                      Dims;
  for (unsigned A = 0; A < O.Ty.getRank(); ++A) {
    InStrides.push_back(InNatural[O.getPerm()[A]]);
    Dims.push_back(dim(O.Ty.getShape()[A]));
  }
  emitLoopNest(
      B, Dims, {strides(O.Ty), InStrides},
      [&](llvm::ArrayRef<llvm::Value *>, llvm::ArrayRef<llvm::Value *> Off) {
        S.store(K, S.load(K, P, Off[1]), Out, Off[0]);
      });
}
