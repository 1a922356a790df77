//===- Verifier.cpp - The IR's invariants ---------------------------------===//
//
// Runs after every pass in tests. A broken invariant is a compiler bug, so
// the result is a plain description for an internal error, never a user
// diagnostic.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::ir;

static std::string checkOp(const Function &F, size_t I, const Module *M) {
  const Op &O = F.Ops[I];
  int Arity = getOpArity(O.Kind);
  if (Arity >= 0 && O.Operands.size() != static_cast<size_t>(Arity))
    return "wrong number of operands";
  for (ValueId V : O.Operands) {
    if (V >= I)
      return "operand does not come before its use";
    if (F.Ops[V].Kind == OpKind::Return)
      return "operand is a return";
  }
  auto T = [&](unsigned J) -> const Type & { return F.typeOf(O.Operands[J]); };
  switch (getOpClass(O.Kind)) {
  case OpClass::Leaf:
    if (O.Kind == OpKind::Param && I != static_cast<size_t>(O.IntValue))
      return "parameter out of place";
    if (O.Kind == OpKind::Param && !O.Ty.isScalar())
      return "parameters must be scalars";
    if (O.Kind == OpKind::Const && !O.Ty.isScalar())
      return "constant must be a scalar";
    return "";
  case OpClass::Arith:
    if (!O.Ty.isFloat() && !O.Ty.isInt())
      return "arithmetic on a non-number";
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (T(J) != O.Ty)
        return "operand type differs from result type";
    return "";
  case OpClass::Math:
    if (!O.Ty.isFloat())
      return "math function on a non-float";
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (T(J) != O.Ty)
        return "operand type differs from result type";
    return "";
  case OpClass::Cmp:
    if (!O.Ty.isBool() || T(0) != T(1) || !T(0).isScalar())
      return "comparison types";
    return "";
  case OpClass::Logic:
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (!T(J).isBool())
        return "logic on a non-bool";
    return O.Ty.isBool() ? "" : "logic result is not bool";
  case OpClass::Other:
    break;
  }
  switch (O.Kind) {
  case OpKind::Select:
    if (!T(0).isBool() || T(1) != O.Ty || T(2) != O.Ty)
      return "select types";
    return "";
  case OpKind::Convert:
    if (!O.Ty.isScalar() || !T(0).isScalar())
      return "convert of a non-scalar";
    return "";
  case OpKind::Tuple: {
    if (!O.Ty.isTuple() || O.Ty.getElements().size() != O.Operands.size())
      return "tuple type";
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (O.Ty.getElements()[J] != T(J))
        return "tuple element type";
    return "";
  }
  case OpKind::Extract:
    if (!T(0).isTuple() || O.IntValue < 0 ||
        static_cast<size_t>(O.IntValue) >= T(0).getElements().size() ||
        T(0).getElements()[O.IntValue] != O.Ty)
      return "extract index or type";
    return "";
  case OpKind::Return:
    if (I + 1 != F.Ops.size())
      return "return is not the last op";
    if (T(0) != F.ResultType || O.Ty != F.ResultType)
      return "returned type differs from the function's result type";
    return "";
  case OpKind::Call: {
    if (!M)
      return "";
    const Function *Callee = M->lookup(O.Callee);
    if (!Callee) {
      if (M->lookupDerived(O.Callee))
        return "";
      return "call to unknown function @" + O.Callee;
    }
    if (Callee->getNumParams() != O.Operands.size())
      return "call arity";
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (Callee->getParamType(J) != T(J))
        return "call argument type";
    if (Callee->ResultType != O.Ty)
      return "call result type";
    return "";
  }
  default:
    return "";
  }
}

std::string ir::verifyFunction(const Function &F, const Module *M) {
  if (F.Ops.empty() || F.Ops.back().Kind != OpKind::Return)
    return llvm::formatv("@{0}: function does not end with a return", F.Name)
        .str();
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    std::string Err = checkOp(F, I, M);
    if (!Err.empty())
      return llvm::formatv("@{0}: op {1} ({2}): {3}", F.Name, I,
                           getOpName(F.Ops[I].Kind), Err)
          .str();
  }
  if (!F.BackwardFn.empty() && M && !M->lookup(F.BackwardFn))
    return llvm::formatv("@{0}: unknown backward function @{1}", F.Name,
                         F.BackwardFn)
        .str();
  return "";
}

std::string ir::verifyModule(const Module &M) {
  for (const auto &F : M.Functions) {
    std::string Err = verifyFunction(*F, &M);
    if (!Err.empty())
      return Err;
  }
  return "";
}
