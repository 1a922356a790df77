//===- CodeSize.cpp - The --max-ops limit on what code generation takes ---===//
//
// Code generation at -O2 takes a few milliseconds per tensor op (a loop
// nest each), in time linear in the ops since large functions are cut
// into parts (Outline.h); a scalar op is one or a few instructions of
// straight-line code, some fifty times cheaper, though LLVM's time on one
// long block grows faster than its length. The limit weighs them so: a
// function may have MaxOps tensor ops, or five scalar ops for each tensor
// op it has fewer (docs/performance.md, "Compile time").
//
//===----------------------------------------------------------------------===//
#include "nnc/CodeGen/CodeGen.h"

using namespace nnc;

static constexpr uint64_t ScalarOpsPerTensorOp = 5;

OpCount nnc::countBodyOps(const ir::Function &F) {
  OpCount N;
  for (ir::ValueId I = F.getNumParams(); I < F.Ops.size(); ++I)
    ++(F.touchesTensor(I) ? N.Tensor : N.Scalar);
  return N;
}

bool nnc::exceedsMaxOps(const OpCount &N, unsigned MaxOps) {
  if (MaxOps == 0)
    return false;
  // Tensor + Scalar / 5 > MaxOps, in integers.
  return N.Tensor * ScalarOpsPerTensorOp + N.Scalar >
         uint64_t(MaxOps) * ScalarOpsPerTensorOp;
}

bool nnc::checkFunctionSize(const ir::Function &F, unsigned MaxOps,
                            DiagnosticEngine &Diags) {
  OpCount N = countBodyOps(F);
  if (!exceedsMaxOps(N, MaxOps))
    return true;
  // A derivative nested in an expression has an internal name ("__grad_f");
  // the caret shows which one it is.
  std::string What = llvm::StringRef(F.Name).starts_with("__")
                         ? std::string("this derivative")
                         : "'" + F.Name + "'";
  Diags.report(F.Loc, DiagID::err_too_many_ops, What, N.Tensor, N.Scalar,
               MaxOps);
  return false;
}

bool nnc::checkFunctionSizes(const ir::Module &M, unsigned MaxOps,
                             DiagnosticEngine &Diags) {
  bool OK = true;
  for (const auto &F : M.Functions)
    OK &= checkFunctionSize(*F, MaxOps, Diags);
  return OK;
}
