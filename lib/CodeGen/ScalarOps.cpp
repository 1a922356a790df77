//===- ScalarOps.cpp - LLVM IR for one element of an op -------------------===//
//
// Semantics that LLVM leaves undefined are defined here, as the language
// reference says: integer division by zero gives 0, INT_MIN / -1 wraps, a
// float converts to an integer with saturation (NaN gives 0).
//
//===----------------------------------------------------------------------===//
#include "ScalarOps.h"
#include "TensorABI.h"
#include "llvm/IR/Intrinsics.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;

llvm::Type *ScalarOps::type(ElementKind K) {
  switch (K) {
  case ElementKind::Bool:
    return B.getInt1Ty();
  case ElementKind::I32:
    return B.getInt32Ty();
  case ElementKind::I64:
    return B.getInt64Ty();
  case ElementKind::F32:
    return B.getFloatTy();
  case ElementKind::F64:
    return B.getDoubleTy();
  }
  return nullptr;
}

llvm::Type *ScalarOps::storageType(ElementKind K) {
  return K == ElementKind::Bool ? B.getInt8Ty() : type(K);
}

llvm::Value *ScalarOps::constant(ElementKind K, double FloatValue,
                                 int64_t IntValue) {
  llvm::Type *T = type(K);
  if (isFloatKind(K))
    return llvm::ConstantFP::get(T, FloatValue);
  return llvm::ConstantInt::get(T, IntValue,
                                /*IsSigned=*/K != ElementKind::Bool);
}

llvm::Value *ScalarOps::intrinsic(llvm::Intrinsic::ID ID,
                                  llvm::ArrayRef<llvm::Value *> Args) {
  return B.CreateIntrinsic(ID, {Args[0]->getType()}, Args);
}

llvm::Value *ScalarOps::libmCall(llvm::StringRef Base, llvm::Value *A) {
  bool IsFloat = A->getType()->isFloatTy();
  std::string Name = (Base + (IsFloat ? "f" : "")).str();
  llvm::FunctionCallee Callee = LM.getOrInsertFunction(
      Name, llvm::FunctionType::get(A->getType(), {A->getType()}, false));
  if (auto *Fn = llvm::dyn_cast<llvm::Function>(Callee.getCallee())) {
    Fn->setDoesNotThrow();
    Fn->setWillReturn();
  }
  return B.CreateCall(Callee, {A});
}

llvm::Value *ScalarOps::intDiv(llvm::Value *A, llvm::Value *D) {
  llvm::Type *T = A->getType();
  llvm::Value *Zero = llvm::ConstantInt::get(T, 0);
  llvm::Value *One = llvm::ConstantInt::get(T, 1);
  llvm::Value *IsZero = B.CreateICmpEQ(D, Zero);
  llvm::Value *IsMinusOne =
      B.CreateICmpEQ(D, llvm::ConstantInt::get(T, -1, true));
  llvm::Value *Safe = B.CreateSelect(B.CreateOr(IsZero, IsMinusOne), One, D);
  llvm::Value *Q = B.CreateSDiv(A, Safe);
  Q = B.CreateSelect(IsMinusOne, B.CreateSub(Zero, A), Q);
  return B.CreateSelect(IsZero, Zero, Q);
}

llvm::Value *ScalarOps::convert(llvm::Value *A, ElementKind From,
                                ElementKind To) {
  llvm::Type *T = type(To);
  if (From == To)
    return A;
  if (To == ElementKind::Bool) {
    if (isFloatKind(From))
      return B.CreateFCmpUNE(A, llvm::ConstantFP::get(A->getType(), 0));
    return B.CreateICmpNE(A, llvm::ConstantInt::get(A->getType(), 0));
  }
  if (From == ElementKind::Bool)
    return isFloatKind(To) ? B.CreateUIToFP(A, T) : B.CreateZExt(A, T);
  if (isFloatKind(From) && isFloatKind(To))
    return B.CreateFPCast(A, T);
  if (isIntKind(From) && isFloatKind(To))
    return B.CreateSIToFP(A, T);
  if (isFloatKind(From))
    return B.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {T, A->getType()},
                             {A});
  return B.CreateSExtOrTrunc(A, T);
}

llvm::Value *ScalarOps::maximumOrMinimum(OpKind K, bool Float,
                                         llvm::Value *A, llvm::Value *C) {
  // PyTorch's maximum: a >= b or a is NaN ? a : b, so a NaN on either side
  // propagates and a tie keeps a (minimum likewise with <=).
  bool Max = K == OpKind::Maximum;
  if (!Float)
    return B.CreateSelect(Max ? B.CreateICmpSGE(A, C) : B.CreateICmpSLE(A, C),
                          A, C);
  llvm::Value *Cmp = Max ? B.CreateFCmpOGE(A, C) : B.CreateFCmpOLE(A, C);
  return B.CreateSelect(B.CreateOr(Cmp, B.CreateFCmpUNO(A, A)), A, C);
}

bool ScalarOps::isElementwise(OpKind K) { return ir::isElementwise(K); }

llvm::Value *ScalarOps::elementwise(OpKind K, ElementKind OperandKind,
                                    ElementKind ResultKind,
                                    llvm::ArrayRef<llvm::Value *> Args) {
  auto V = [&](unsigned I) { return Args[I]; };
  bool Float = isFloatKind(OperandKind);
  switch (K) {
  case OpKind::Add:
    return Float ? B.CreateFAdd(V(0), V(1)) : B.CreateAdd(V(0), V(1));
  case OpKind::Sub:
    return Float ? B.CreateFSub(V(0), V(1)) : B.CreateSub(V(0), V(1));
  case OpKind::Mul:
    return Float ? B.CreateFMul(V(0), V(1)) : B.CreateMul(V(0), V(1));
  case OpKind::Div:
    return Float ? B.CreateFDiv(V(0), V(1)) : intDiv(V(0), V(1));
  case OpKind::Neg:
    return Float ? B.CreateFNeg(V(0)) : B.CreateNeg(V(0));
  case OpKind::Max:
    return B.CreateSelect(Float ? B.CreateFCmpOGE(V(0), V(1))
                                : B.CreateICmpSGE(V(0), V(1)),
                          V(0), V(1));
  case OpKind::Min:
    return B.CreateSelect(Float ? B.CreateFCmpOLE(V(0), V(1))
                                : B.CreateICmpSLE(V(0), V(1)),
                          V(0), V(1));
  case OpKind::Abs:
    if (Float)
      return intrinsic(llvm::Intrinsic::fabs, {V(0)});
    return B.CreateSelect(
        B.CreateICmpSLT(V(0), llvm::ConstantInt::get(V(0)->getType(), 0)),
        B.CreateNeg(V(0)), V(0));
  case OpKind::Pow:
    return intrinsic(llvm::Intrinsic::pow, {V(0), V(1)});
  case OpKind::Exp:
    return intrinsic(llvm::Intrinsic::exp, {V(0)});
  case OpKind::Log:
    return intrinsic(llvm::Intrinsic::log, {V(0)});
  case OpKind::Sqrt:
    return intrinsic(llvm::Intrinsic::sqrt, {V(0)});
  case OpKind::Sin:
    return intrinsic(llvm::Intrinsic::sin, {V(0)});
  case OpKind::Cos:
    return intrinsic(llvm::Intrinsic::cos, {V(0)});
  case OpKind::Tanh:
    return libmCall("tanh", V(0));
  case OpKind::Sigmoid: {
    // 1 / (1 + exp(-x))
    llvm::Value *One = llvm::ConstantFP::get(V(0)->getType(), 1.0);
    llvm::Value *E = intrinsic(llvm::Intrinsic::exp, {B.CreateFNeg(V(0))});
    return B.CreateFDiv(One, B.CreateFAdd(One, E));
  }
  case OpKind::Softplus: {
    // log(1 + e^x) = max(x, 0) + log1p(e^-|x|): no overflow for large x,
    // and full precision for very negative x.
    llvm::Value *Zero = llvm::ConstantFP::get(V(0)->getType(), 0.0);
    llvm::Value *Pos = B.CreateSelect(B.CreateFCmpOGT(V(0), Zero), V(0), Zero);
    llvm::Value *E = intrinsic(
        llvm::Intrinsic::exp,
        {B.CreateFNeg(intrinsic(llvm::Intrinsic::fabs, {V(0)}))});
    return B.CreateFAdd(Pos, libmCall("log1p", E));
  }
  case OpKind::Relu: {
    // x > 0 ? x : 0, with NaN passed through as PyTorch does.
    llvm::Value *Zero = llvm::ConstantFP::get(V(0)->getType(), 0.0);
    return B.CreateSelect(B.CreateFCmpUGT(V(0), Zero), V(0), Zero);
  }
  // Element-wise ops and statistics (issue 12).
  case OpKind::LeakyRelu: {
    // x > 0 ? x : slope x, as PyTorch (NaN gives slope NaN = NaN).
    llvm::Value *Zero = llvm::ConstantFP::get(V(0)->getType(), 0.0);
    return B.CreateSelect(B.CreateFCmpOGT(V(0), Zero), V(0),
                          B.CreateFMul(V(1), V(0)));
  }
  case OpKind::Elu: {
    // x > 0 ? x : alpha (e^x - 1), e^x - 1 by expm1 for small |x|.
    llvm::Value *Zero = llvm::ConstantFP::get(V(0)->getType(), 0.0);
    return B.CreateSelect(B.CreateFCmpOGT(V(0), Zero), V(0),
                          B.CreateFMul(V(1), libmCall("expm1", V(0))));
  }
  case OpKind::Erf:
    return erfOrGelu(V(0), /*Gelu=*/false);
  case OpKind::Gelu:
    return erfOrGelu(V(0), /*Gelu=*/true);
  case OpKind::Sign: {
    // (x > 0) - (x < 0): 0 for 0, -0 and NaN, as PyTorch.
    if (!Float) {
      llvm::Type *T = V(0)->getType();
      llvm::Value *Zero = llvm::ConstantInt::get(T, 0);
      return B.CreateSub(B.CreateZExt(B.CreateICmpSGT(V(0), Zero), T),
                         B.CreateZExt(B.CreateICmpSLT(V(0), Zero), T));
    }
    llvm::Type *T = V(0)->getType();
    llvm::Value *Zero = llvm::ConstantFP::get(T, 0.0);
    return B.CreateFSub(B.CreateUIToFP(B.CreateFCmpOGT(V(0), Zero), T),
                        B.CreateUIToFP(B.CreateFCmpOLT(V(0), Zero), T));
  }
  case OpKind::Maximum:
  case OpKind::Minimum:
    return maximumOrMinimum(K, Float, V(0), V(1));
  case OpKind::Clamp:
    // minimum(maximum(x, lo), hi): a NaN anywhere gives NaN, and lo > hi
    // gives hi, as torch.clamp.
    return maximumOrMinimum(
        OpKind::Minimum, Float,
        maximumOrMinimum(OpKind::Maximum, Float, V(0), V(1)), V(2));
  case OpKind::Lt:
    return Float ? B.CreateFCmpOLT(V(0), V(1)) : B.CreateICmpSLT(V(0), V(1));
  case OpKind::Le:
    return Float ? B.CreateFCmpOLE(V(0), V(1)) : B.CreateICmpSLE(V(0), V(1));
  case OpKind::Gt:
    return Float ? B.CreateFCmpOGT(V(0), V(1)) : B.CreateICmpSGT(V(0), V(1));
  case OpKind::Ge:
    return Float ? B.CreateFCmpOGE(V(0), V(1)) : B.CreateICmpSGE(V(0), V(1));
  case OpKind::Eq:
    return Float ? B.CreateFCmpOEQ(V(0), V(1)) : B.CreateICmpEQ(V(0), V(1));
  case OpKind::Ne:
    return Float ? B.CreateFCmpUNE(V(0), V(1)) : B.CreateICmpNE(V(0), V(1));
  case OpKind::And:
    return B.CreateAnd(V(0), V(1));
  case OpKind::Or:
    return B.CreateOr(V(0), V(1));
  case OpKind::Not:
    return B.CreateNot(V(0));
  case OpKind::Select:
    return B.CreateSelect(V(0), V(1), V(2));
  case OpKind::Convert:
    return convert(V(0), OperandKind, ResultKind);
  default:
    llvm_unreachable("not an element-wise op");
  }
}

llvm::Value *ScalarOps::load(ElementKind K, llvm::Value *Ptr,
                             llvm::Value *Index) {
  llvm::Type *T = storageType(K);
  llvm::Value *L = B.CreateLoad(T, B.CreateInBoundsGEP(T, Ptr, Index));
  if (K == ElementKind::Bool)
    L = B.CreateICmpNE(L, B.getInt8(0));
  return L;
}

void ScalarOps::store(ElementKind K, llvm::Value *V, llvm::Value *Ptr,
                      llvm::Value *Index) {
  llvm::Type *T = storageType(K);
  if (K == ElementKind::Bool)
    V = B.CreateZExt(V, B.getInt8Ty());
  B.CreateStore(V, B.CreateInBoundsGEP(T, Ptr, Index));
}

llvm::SmallVector<llvm::Value *, 2>
ScalarOps::call(llvm::Function *Callee, llvm::ArrayRef<llvm::Value *> Args,
                const ir::Type &Result) {
  if (Result.isLeaf())
    return {B.CreateCall(Callee, Args)};
  std::vector<ir::Type> Leaves = flattenLeaves(Result);
  std::vector<llvm::AllocaInst *> Slots;
  {
    llvm::IRBuilderBase::InsertPointGuard Guard(B);
    llvm::BasicBlock &Entry = B.GetInsertBlock()->getParent()->getEntryBlock();
    B.SetInsertPoint(&Entry, Entry.begin());
    for (const ir::Type &T : Leaves)
      Slots.push_back(B.CreateAlloca(storageType(T.getElementKind())));
  }
  std::vector<llvm::Value *> All(Args.begin(), Args.end());
  All.insert(All.end(), Slots.begin(), Slots.end());
  B.CreateCall(Callee, All);
  llvm::SmallVector<llvm::Value *, 2> Out;
  for (size_t I = 0; I < Leaves.size(); ++I) {
    ElementKind K = Leaves[I].getElementKind();
    llvm::Value *L = B.CreateLoad(storageType(K), Slots[I]);
    if (K == ElementKind::Bool)
      L = B.CreateICmpNE(L, B.getInt8(0));
    Out.push_back(L);
  }
  return Out;
}
