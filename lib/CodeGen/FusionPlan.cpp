//===- FusionPlan.cpp - Ops that are not computed on their own ------------===//
#include "FusionPlan.h"

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
  for (ValueId I = 0; I < N; ++I) {
    const ir::Op &O = F.Ops[I];
    P.View[I] = O.Kind == OpKind::Transpose && O.Ty.getRank() == 2 &&
                OnlyProducts[I] && I != F.getReturnedValue();
  }
  return P;
}
