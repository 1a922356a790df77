//===- FusionPlan.cpp - Ops that are not computed on their own ------------===//
#include "FusionPlan.h"
#include "ScalarOps.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

bool codegen::isGemmProduct(const ir::Function &F, const ir::Op &O) {
  return O.Kind == OpKind::MatMul && isFloatKind(O.Ty.getElementKind()) &&
         F.typeOf(O.Operands[1]).getRank() == 2;
}

FusionPlan codegen::planFusion(const ir::Function &F) {
  size_t N = F.Ops.size();
  FusionPlan P;
  P.View.assign(N, false);
  // A transpose of a matrix whose every user is a product of the kernel,
  // which reads it through strides.
  std::vector<bool> OnlyProducts(N, true);
  for (const ir::Op &O : F.Ops)
    for (ValueId V : O.Operands)
      if (!isGemmProduct(F, O) || F.op(V).Ty.getRank() != 2)
        OnlyProducts[V] = false;
  // A broadcast whose every user is an element-wise op, which reads its
  // operand with a stride of zero along the stretched axes.
  std::vector<bool> OnlyElementwise(N, true);
  for (const ir::Op &O : F.Ops)
    for (ValueId V : O.Operands)
      if (!ScalarOps::isElementwise(O.Kind) || !O.Ty.isTensor())
        OnlyElementwise[V] = false;
  for (ValueId I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    if (I == F.getReturnedValue())
      continue;
    P.View[I] = (O.Kind == OpKind::Transpose && O.Ty.getRank() == 2 &&
                 OnlyProducts[I]) ||
                (O.Kind == OpKind::Broadcast && OnlyElementwise[I]);
  }
  return P;
}
