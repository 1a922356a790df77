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

/// The shape rules of the tensor ops (IR.h's builders assert the same).
static std::string checkTensorOp(const Function &F, const Op &O) {
  auto T = [&](unsigned J) -> const Type & { return F.typeOf(O.Operands[J]); };
  for (unsigned J = 0; J < O.Operands.size(); ++J)
    if (!T(J).isLeaf())
      return "tensor op on a tuple";
  if (!O.Ty.isLeaf())
    return "tensor op with a tuple result";
  bool SameKind = O.Operands.empty() ||
                  T(0).getElementKind() == O.Ty.getElementKind();
  auto WithoutAxis = [&](const Type &In) -> std::optional<Shape> {
    if (O.IntValue < 0 || O.IntValue >= static_cast<int64_t>(In.getRank()))
      return std::nullopt;
    Shape S = In.getShape();
    S.erase(S.begin() + O.IntValue);
    return S;
  };
  switch (O.Kind) {
  case OpKind::Broadcast:
    return SameKind && broadcastsTo(T(0).getShape(), O.Ty.getShape())
               ? ""
               : "broadcast shapes";
  case OpKind::SumTo:
    return SameKind && broadcastsTo(O.Ty.getShape(), T(0).getShape())
               ? ""
               : "sum_to shapes";
  case OpKind::Reshape:
    return SameKind && getNumElements(T(0).getShape()) ==
                           getNumElements(O.Ty.getShape())
               ? ""
               : "reshape changes the number of elements";
  case OpKind::Transpose:
    return SameKind && T(0).getRank() == 2 && O.Ty.getRank() == 2 &&
                   T(0).getShape()[0] == O.Ty.getShape()[1] &&
                   T(0).getShape()[1] == O.Ty.getShape()[0]
               ? ""
               : "transpose shapes";
  case OpKind::MatMul: {
    std::optional<Shape> S = getMatMulShape(T(0).getShape(), T(1).getShape());
    return SameKind && T(1).getElementKind() == O.Ty.getElementKind() &&
                   !O.Ty.isBool() && S && *S == O.Ty.getShape()
               ? ""
               : "matmul shapes";
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::LogSumExp: {
    std::optional<Shape> S = WithoutAxis(T(0));
    if (!S || *S != O.Ty.getShape() || !SameKind || O.Ty.isBool())
      return "reduction axis or shape";
    return O.Kind == OpKind::LogSumExp && !O.Ty.isFloat()
               ? "logsumexp of a non-float"
               : "";
  }
  case OpKind::ArgMax: {
    std::optional<Shape> S = WithoutAxis(T(0));
    return S && *S == O.Ty.getShape() &&
                   O.Ty.getElementKind() == ElementKind::I64 &&
                   !T(0).isBool()
               ? ""
               : "argmax axis or shape";
  }
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    return T(0) == O.Ty && O.Ty.isFloat() && O.IntValue >= 0 &&
                   O.IntValue < static_cast<int64_t>(O.Ty.getRank())
               ? ""
               : "softmax axis or type";
  case OpKind::OneHot: {
    if (!T(0).isInt() || O.Ty.getRank() != T(0).getRank() + 1 ||
        O.Ty.isBool())
      return "onehot types";
    Shape S = O.Ty.getShape();
    S.pop_back();
    return S == T(0).getShape() ? "" : "onehot shape";
  }
  case OpKind::Pick: {
    if (!T(1).isInt() || T(0).getRank() != T(1).getRank() + 1 || !SameKind)
      return "pick types";
    Shape S = T(0).getShape();
    S.pop_back();
    return S == T(1).getShape() && O.Ty.getShape() == S ? "" : "pick shape";
  }
  case OpKind::Iota:
    return O.Ty.getElementKind() == ElementKind::I64 && O.IntValue >= 0 &&
                   O.IntValue < static_cast<int64_t>(O.Ty.getRank())
               ? ""
               : "iota axis or type";
  case OpKind::DimValue:
    return O.Ty == Type::scalar(ElementKind::I64) ? "" : "dim is an i64";
  case OpKind::Rand:
  case OpKind::Randn:
    return T(0) == Type::scalar(ElementKind::I64) && O.Ty.isFloat()
               ? ""
               : "random op types";
  default:
    return "";
  }
}

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
    if (O.Kind == OpKind::Param && !O.Ty.isLeaf())
      return "parameters must be scalars or tensors";
    if (O.Kind == OpKind::Const && !O.Ty.isLeaf())
      return "constant must be a scalar or a tensor";
    if (O.Kind == OpKind::Const && O.Ty.isTensor()) {
      Dim N = getNumElements(O.Ty.getShape());
      if (!N.isConstant() || N.Factor != static_cast<int64_t>(O.Data.size()))
        return "tensor constant size";
    }
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
    if (!O.Ty.isBool() || T(0) != T(1) || !T(0).isLeaf() ||
        T(0).getShape() != O.Ty.getShape())
      return "comparison types";
    return "";
  case OpClass::Logic:
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (T(J) != O.Ty)
        return "logic operand type differs from result type";
    return O.Ty.isBool() ? "" : "logic result is not bool";
  case OpClass::Other:
    break;
  }
  switch (O.Kind) {
  case OpKind::Select:
    if (!T(0).isBool() || T(1) != O.Ty || T(2) != O.Ty ||
        T(0).getShape() != O.Ty.getShape())
      return "select types";
    return "";
  case OpKind::Convert:
    if (!O.Ty.isLeaf() || !T(0).isLeaf() ||
        O.Ty.getShape() != T(0).getShape())
      return "convert of a non-scalar or to another shape";
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
    // The callee's dimension variables bind to the arguments' dimensions.
    DimSubstitution Dims;
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (!bindDims(Callee->getParamType(J), T(J), Dims))
        return "call argument type";
    for (unsigned J = 0; J < O.Operands.size(); ++J)
      if (substitute(Callee->getParamType(J), Dims) != T(J))
        return "call argument type";
    if (substitute(Callee->ResultType, Dims) != O.Ty)
      return "call result type";
    return "";
  }
  default:
    return checkTensorOp(F, O);
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
  // Every dimension must be known once the parameters are bound.
  std::vector<std::string> Vars = F.getDimVars();
  for (const Op &O : F.Ops) {
    std::vector<std::string> Used;
    collectDimVars(O.Ty, Used);
    for (const std::string &V : O.DimAttr.Vars)
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
    if (I->Params.size() != S.Count || S.First + S.Count > Types.size())
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
