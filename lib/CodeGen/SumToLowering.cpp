//===- SumToLowering.cpp - sum_to as a chain of one-axis reductions -------===//
//
// `sum_to` (the adjoint of broadcast) adds the axes it sums in the order
// `sum(x, axis=[...])` uses, ir::planReduction's (nnc/IR/ReductionOrder.h):
// axes of extent 1 dropped, each run of adjacent summed axes other than the
// last merged into one, the runs reduced outermost first, the last axis,
// when summed, last. A reduction along an axis that is not the last runs
// its inner loop over the contiguous block behind it and vectorizes; in
// index order, summing `[N, C, H, W]` to `[1, C, 1, 1]` (batch_norm's
// adjoints) was one dependent chain of adds per channel, 3.4 times slower
// (docs/performance.md, "Reductions along several axes"). The order is
// fixed here, not chosen by the target, so `--fp-model=strict` still gives
// the same bits everywhere, and `sum_to(x, T)` equals the `sum` along the
// same axes bit for bit. The partial sums between steps go to the op
// scratch after the kernel's (the convolutions' column buffer: ops run one
// at a time).
//
//===----------------------------------------------------------------------===//
#include "Loops.h"
#include "TensorFunction.h"
#include "nnc/IR/ReductionOrder.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;

/// The chain that sums \p In down to \p Out: never empty.
static std::vector<ir::ReduceStep> planSumTo(const ir::Type &In,
                                             const ir::Type &Out) {
  return ir::planReduction(In.getShape(),
                           ir::getSumToAxes(In.getShape(), Out.getShape()))
      .steps();
}

/// Where the partial sums go: step I (all but the last) writes buffer I % 2;
/// buffer 0 holds the first step's result, buffer 1 the second's, the
/// largest two (each step's result is smaller than its input).
static std::pair<ir::Dim, ir::Dim>
scratchElements(llvm::ArrayRef<ir::ReduceStep> Steps) {
  ir::Dim None = ir::Dim::constant(0);
  if (Steps.size() < 2)
    return {None, None};
  return {Steps[0].result(), Steps.size() > 2 ? Steps[1].result() : None};
}

void TensorFunctionEmitter::sizeSumToScratch(ShapeEnv &SE, const ir::Op &O,
                                             llvm::Value *&ScratchBytes) {
  if (O.Kind != OpKind::SumTo)
    return;
  auto [First, Second] =
      scratchElements(planSumTo(F.typeOf(O.Operands[0]), O.Ty));
  llvm::Value *Size = B.getInt64(getElementSize(O.Ty.getElementKind()));
  llvm::Value *Bytes = SE.add(SE.alignTo(SE.mul(SE.get(First), Size), 64),
                              SE.alignTo(SE.mul(SE.get(Second), Size), 64));
  ScratchBytes =
      B.CreateBinaryIntrinsic(llvm::Intrinsic::umax, ScratchBytes, Bytes);
}

void TensorFunctionEmitter::emitSumTo(const ir::Op &O, llvm::Value *Out) {
  const ir::Type &In = F.typeOf(O.Operands[0]);
  Reader Read = flatReader(O.Operands[0]);
  ElementKind K = O.Ty.getElementKind();
  std::vector<ir::ReduceStep> Steps = planSumTo(In, O.Ty);
  auto [First, Second] = scratchElements(Steps);
  (void)Second;
  llvm::Value *Size = B.getInt64(getElementSize(K));
  llvm::Value *Scratch = Shapes.copyPointer(WindowScratch);
  llvm::Value *Buffers[2] = {
      Scratch,
      B.CreateInBoundsGEP(
          B.getInt8Ty(), Scratch,
          B.CreateAnd(B.CreateNUWAdd(B.CreateNUWMul(dim(First), Size),
                                     B.getInt64(63)),
                      B.getInt64(~int64_t(63))))};
  // The first step reads the operand (computing it, when fused), the
  // others the step before.
  for (size_t I = 0; I < Steps.size(); ++I) {
    llvm::Value *Dst = I + 1 == Steps.size() ? Out : Buffers[I % 2];
    emitSumLoops(K, Read, Dst, dim(Steps[I].Outer), dim(Steps[I].Axis),
                 dim(Steps[I].Inner));
    Read = [this, K, Dst](llvm::Value *J) { return S.load(K, Dst, J); };
  }
}
