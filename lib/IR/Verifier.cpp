//===- Verifier.cpp - The IR's invariants ---------------------------------===//
//
// Runs after every pass in tests. A broken invariant is a compiler bug, so
// the result is a plain description for an internal error, never a user
// diagnostic.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/FormatVariadic.h"

using namespace nnc;
using namespace nnc::ir;

static std::string checkOp(const Function &F, size_t I, const Module *M) {
  const Op &O = F.Ops[I];
  int Arity = getOpArity(O.Kind);
  if (Arity >= 0 && O.Operands.size() != static_cast<size_t>(Arity))
    return "wrong number of operands";
  llvm::SmallVector<const Type *, 3> Types;
  for (ValueId V : O.Operands) {
    if (V >= I)
      return "operand does not come before its use";
    if (F.Ops[V].Kind == OpKind::Return)
      return "operand is a return";
    Types.push_back(&F.typeOf(V));
  }
  if (O.Kind == OpKind::Return) {
    if (I + 1 != F.Ops.size())
      return "return is not the last op";
    if (*Types[0] != F.ResultType || O.Ty != F.ResultType)
      return "returned type differs from the function's result type";
    return "";
  }
  // The type rules, shared with the builder (ShapeInference.cpp).
  std::string Err = checkOpType(O, Types);
  if (!Err.empty())
    return Err;
  if (O.Kind == OpKind::Param && I != O.getIndex())
    return "parameter out of place";
  if (O.Kind != OpKind::Call || !M)
    return "";
  const Function *Callee = M->lookup(O.Callee);
  if (!Callee) {
    if (M->lookupDerived(O.Callee))
      return "";
    return "call to unknown function @" + O.Callee;
  }
  if (Callee->getNumParams() != O.Operands.size())
    return "call arity";
  // The callee's dimension variables bind to the arguments' dimensions.
  DimSubstitution Dims;
  for (unsigned J = 0; J < O.Operands.size(); ++J)
    if (!bindDims(Callee->getParamType(J), *Types[J], Dims))
      return "call argument type";
  for (unsigned J = 0; J < O.Operands.size(); ++J)
    if (substitute(Callee->getParamType(J), Dims) != *Types[J])
      return "call argument type";
  if (substitute(Callee->ResultType, Dims) != O.Ty)
    return "call result type";
  return "";
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
  // Every dimension must be known once the parameters are bound.
  std::vector<std::string> Vars = F.getDimVars();
  for (const Op &O : F.Ops) {
    std::vector<std::string> Used;
    collectDimVars(O.Ty, Used);
    if (O.Kind == OpKind::DimValue)
      for (const std::string &V : O.getDim().Vars)
        Used.push_back(V);
    for (const std::string &V : Used)
      if (!llvm::is_contained(Vars, V))
        return llvm::formatv("@{0}: dimension '{1}' is bound by no parameter",
                             F.Name, V)
            .str();
  }
  if (!F.BackwardFn.empty() && M && !M->lookup(F.BackwardFn))
    return llvm::formatv("@{0}: unknown backward function @{1}", F.Name,
                         F.BackwardFn)
        .str();
  return M ? verifyABIStructs(F, *M) : "";
}

std::string ir::verifyABIStructs(const Function &F, const Module &M) {
  auto Check = [&](const Function::ABIStruct &S,
                   const std::vector<Type> &Types,
                   const char *What) -> std::string {
    if (!S.Count)
      return "";
    const Module::Instance *I = M.lookupInstance(S.Instance);
    if (!I)
      return llvm::formatv("@{0}: {1} struct of unknown instance '{2}'",
                           F.Name, What, S.Instance)
          .str();
    // Gradients cover the parameters, not the state members (issue 12).
    unsigned Want = S.IsGrads ? I->getNumParams() : I->Params.size();
    if (Want != S.Count || S.First + S.Count > Types.size())
      return llvm::formatv("@{0}: {1} struct does not match '{2}'", F.Name,
                           What, S.Instance)
          .str();
    for (unsigned J = 0; J < S.Count; ++J) {
      const Type &T = I->Params[J].second;
      if (Types[S.First + J] != T || !T.isLeaf() ||
          !getNumElements(T.getShape()).isConstant())
        return llvm::formatv("@{0}: {1} struct field '{2}' differs from '{3}'",
                             F.Name, What, I->Params[J].first, S.Instance)
            .str();
    }
    return "";
  };
  std::vector<Type> Params;
  for (unsigned I = 0; I < F.getNumParams(); ++I)
    Params.push_back(F.getParamType(I));
  std::string Err = Check(F.ParamStruct, Params, "parameter");
  std::vector<Type> Leaves = flattenLeaves(F.ResultType);
  if (Err.empty())
    Err = Check(F.ResultStruct, Leaves, "result");
  if (Err.empty())
    Err = Check(F.StateStruct, Params, "state");
  if (!Err.empty() || !F.InPlace)
    return Err;
  if (F.UpdatesLayerState) {
    // A method that assigns layer state (issue 12): its value, then a new
    // value of each state field.
    const Module::Instance *I = M.lookupInstance(F.ParamStruct.Instance);
    unsigned N = F.getNumInPlace();
    if (!I || F.StateStruct.Count || F.ResultStruct.Count ||
        F.InPlaceField != I->getNumParams() ||
        F.InPlaceField > F.ParamStruct.Count || Leaves.size() <= N)
      return llvm::formatv("@{0}: in-place results do not match its structs",
                           F.Name)
          .str();
    for (unsigned L = Leaves.size() - N; L < Leaves.size(); ++L)
      if (Leaves[L] != Params[F.getUpdatedParam(L)])
        return llvm::formatv("@{0}: in-place result {1} differs from "
                             "parameter {2}",
                             F.Name, L, F.getUpdatedParam(L))
            .str();
    return "";
  }
  // Updated in place: the loss, then a new value of every field of the
  // parameter and state structs, in order.
  unsigned NP = F.ParamStruct.Count, NS = F.StateStruct.Count;
  if (!NP || F.ResultStruct.Count || Leaves.size() != 1 + NP + NS ||
      !Leaves[0].isFloat() || !Leaves[0].isScalar())
    return llvm::formatv("@{0}: in-place results do not match its structs",
                         F.Name)
        .str();
  for (unsigned J = 0; J < NP + NS; ++J) {
    unsigned In = J < NP ? F.ParamStruct.First + J
                         : F.StateStruct.First + (J - NP);
    if (Leaves[1 + J] != Params[In])
      return llvm::formatv("@{0}: in-place result {1} differs from parameter "
                           "{2}",
                           F.Name, 1 + J, In)
          .str();
  }
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
