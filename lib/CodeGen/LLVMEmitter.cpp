//===- LLVMEmitter.cpp - nnc IR to LLVM IR --------------------------------===//
//
// A value is held as its flattened leaves: one llvm::Value for a scalar,
// one per scalar component for a tuple, so tuples cost nothing at run time.
// Semantics that LLVM leaves undefined are defined here, as the language
// reference says: integer division by zero gives 0, INT_MIN / -1 wraps, a
// float converts to an integer with saturation (NaN gives 0).
//
//===----------------------------------------------------------------------===//
#include "ReservedNames.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Verifier.h"

using namespace nnc;
using ir::OpKind;
using ir::ValueId;

namespace {

using Leaves = llvm::SmallVector<llvm::Value *, 2>;

void flattenType(const ir::Type &T, std::vector<ElementKind> &Out) {
  if (T.isLeaf()) {
    Out.push_back(T.getElementKind());
    return;
  }
  for (const ir::Type &E : T.getElements())
    flattenType(E, Out);
}

unsigned countLeaves(const ir::Type &T) {
  std::vector<ElementKind> K;
  flattenType(T, K);
  return K.size();
}

class Emitter {
public:
  Emitter(const ir::Module &M, llvm::LLVMContext &Ctx, llvm::Module &LM,
          const CodeGenOptions &Opts)
      : M(M), Ctx(Ctx), LM(LM), Opts(Opts), B(Ctx) {}

  llvm::Error run() {
    for (const auto &F : M.Functions) {
      // Generated code calls libm: an exported `exp` would capture the calls.
      if (F->Exported && codegen::isCLibrarySymbol(symbolName(*F)))
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "function '" + symbolName(*F) +
                "' would replace the C library's function of that name, "
                "which generated code calls; rename it or use --prefix");
    }
    for (const auto &F : M.Functions)
      declare(*F);
    for (const auto &F : M.Functions)
      define(*F);
    std::string Err;
    llvm::raw_string_ostream OS(Err);
    if (llvm::verifyModule(LM, &OS))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "internal error: invalid LLVM IR: " +
                                         OS.str());
    return llvm::Error::success();
  }

private:
  llvm::Type *scalarType(ElementKind K) {
    switch (K) {
    case ElementKind::Bool: return B.getInt1Ty();
    case ElementKind::I32: return B.getInt32Ty();
    case ElementKind::I64: return B.getInt64Ty();
    case ElementKind::F32: return B.getFloatTy();
    case ElementKind::F64: return B.getDoubleTy();
    }
    return nullptr;
  }

  std::string symbolName(const ir::Function &F) const {
    return F.Exported ? Opts.SymbolPrefix + F.Name : F.Name;
  }

  void declare(const ir::Function &F) {
    std::vector<llvm::Type *> Params;
    for (unsigned I = 0; I < F.getNumParams(); ++I)
      Params.push_back(scalarType(F.getParamType(I).getElementKind()));
    llvm::Type *Ret = B.getVoidTy();
    if (F.ResultType.isLeaf())
      Ret = scalarType(F.ResultType.getElementKind());
    else
      for (unsigned I = 0, E = countLeaves(F.ResultType); I < E; ++I)
        Params.push_back(B.getPtrTy());
    auto *FT = llvm::FunctionType::get(Ret, Params, false);
    auto *LF = llvm::Function::Create(
        FT,
        F.Exported ? llvm::GlobalValue::ExternalLinkage
                   : llvm::GlobalValue::InternalLinkage,
        symbolName(F), LM);
    LF->addFnAttr(llvm::Attribute::NoUnwind);
    LF->addFnAttr(llvm::Attribute::WillReturn);
    unsigned NumParams = F.getNumParams();
    for (unsigned I = 0; I < LF->arg_size(); ++I) {
      llvm::Argument *A = LF->getArg(I);
      if (I < NumParams) {
        A->setName(F.getParamName(I));
        // C passes a bool zero-extended.
        if (A->getType()->isIntegerTy(1))
          A->addAttr(llvm::Attribute::ZExt);
      } else {
        A->setName("out" + std::to_string(I - NumParams));
        A->addAttr(llvm::Attribute::NoAlias);
        A->addAttr(llvm::Attribute::NoCapture);
        A->addAttr(llvm::Attribute::WriteOnly);
      }
    }
    if (Ret->isIntegerTy(1))
      LF->addRetAttr(llvm::Attribute::ZExt);
    Functions[F.Name] = LF;
  }

  llvm::Value *constant(const ir::Op &O) {
    llvm::Type *T = scalarType(O.Ty.getElementKind());
    if (O.Ty.isFloat())
      return llvm::ConstantFP::get(T, O.FloatValue);
    return llvm::ConstantInt::get(T, O.IntValue, /*IsSigned=*/!O.Ty.isBool());
  }

  llvm::Value *intrinsic(llvm::Intrinsic::ID ID, llvm::ArrayRef<llvm::Value *> Args) {
    return B.CreateIntrinsic(ID, {Args[0]->getType()}, Args);
  }

  llvm::Value *libmCall(llvm::StringRef Base, llvm::Value *A) {
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

  llvm::Value *intDiv(llvm::Value *A, llvm::Value *D) {
    llvm::Type *T = A->getType();
    llvm::Value *Zero = llvm::ConstantInt::get(T, 0);
    llvm::Value *One = llvm::ConstantInt::get(T, 1);
    llvm::Value *IsZero = B.CreateICmpEQ(D, Zero);
    llvm::Value *IsMinusOne = B.CreateICmpEQ(D, llvm::ConstantInt::get(T, -1, true));
    llvm::Value *Safe = B.CreateSelect(B.CreateOr(IsZero, IsMinusOne), One, D);
    llvm::Value *Q = B.CreateSDiv(A, Safe);
    Q = B.CreateSelect(IsMinusOne, B.CreateSub(Zero, A), Q);
    return B.CreateSelect(IsZero, Zero, Q);
  }

  llvm::Value *convert(llvm::Value *A, ElementKind From, ElementKind To) {
    llvm::Type *T = scalarType(To);
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

  Leaves emitOp(const ir::Function &F, const ir::Op &O,
                const std::vector<Leaves> &Vals) {
    auto V = [&](unsigned I) { return Vals[O.Operands[I]][0]; };
    const ir::Type &T = O.Operands.empty() ? O.Ty : F.typeOf(O.Operands[0]);
    bool Float = T.isFloat();
    switch (O.Kind) {
    case OpKind::Param:
    case OpKind::Return:
      return {};
    case OpKind::Const:
      return {constant(O)};
    case OpKind::Add:
      return {Float ? B.CreateFAdd(V(0), V(1)) : B.CreateAdd(V(0), V(1))};
    case OpKind::Sub:
      return {Float ? B.CreateFSub(V(0), V(1)) : B.CreateSub(V(0), V(1))};
    case OpKind::Mul:
      return {Float ? B.CreateFMul(V(0), V(1)) : B.CreateMul(V(0), V(1))};
    case OpKind::Div:
      return {Float ? B.CreateFDiv(V(0), V(1)) : intDiv(V(0), V(1))};
    case OpKind::Neg:
      return {Float ? B.CreateFNeg(V(0)) : B.CreateNeg(V(0))};
    case OpKind::Max:
      return {B.CreateSelect(Float ? B.CreateFCmpOGE(V(0), V(1))
                                   : B.CreateICmpSGE(V(0), V(1)),
                             V(0), V(1))};
    case OpKind::Min:
      return {B.CreateSelect(Float ? B.CreateFCmpOLE(V(0), V(1))
                                   : B.CreateICmpSLE(V(0), V(1)),
                             V(0), V(1))};
    case OpKind::Abs:
      if (Float)
        return {intrinsic(llvm::Intrinsic::fabs, {V(0)})};
      return {B.CreateSelect(
          B.CreateICmpSLT(V(0), llvm::ConstantInt::get(V(0)->getType(), 0)),
          B.CreateNeg(V(0)), V(0))};
    case OpKind::Pow:
      return {intrinsic(llvm::Intrinsic::pow, {V(0), V(1)})};
    case OpKind::Exp:
      return {intrinsic(llvm::Intrinsic::exp, {V(0)})};
    case OpKind::Log:
      return {intrinsic(llvm::Intrinsic::log, {V(0)})};
    case OpKind::Sqrt:
      return {intrinsic(llvm::Intrinsic::sqrt, {V(0)})};
    case OpKind::Sin:
      return {intrinsic(llvm::Intrinsic::sin, {V(0)})};
    case OpKind::Cos:
      return {intrinsic(llvm::Intrinsic::cos, {V(0)})};
    case OpKind::Tanh:
      return {libmCall("tanh", V(0))};
    case OpKind::Sigmoid: {
      // 1 / (1 + exp(-x))
      llvm::Value *One = llvm::ConstantFP::get(V(0)->getType(), 1.0);
      llvm::Value *E = intrinsic(llvm::Intrinsic::exp, {B.CreateFNeg(V(0))});
      return {B.CreateFDiv(One, B.CreateFAdd(One, E))};
    }
    case OpKind::Relu: {
      // x > 0 ? x : 0, with NaN passed through as PyTorch does.
      llvm::Value *Zero = llvm::ConstantFP::get(V(0)->getType(), 0.0);
      return {B.CreateSelect(B.CreateFCmpUGT(V(0), Zero), V(0), Zero)};
    }
    case OpKind::Lt:
      return {Float ? B.CreateFCmpOLT(V(0), V(1)) : B.CreateICmpSLT(V(0), V(1))};
    case OpKind::Le:
      return {Float ? B.CreateFCmpOLE(V(0), V(1)) : B.CreateICmpSLE(V(0), V(1))};
    case OpKind::Gt:
      return {Float ? B.CreateFCmpOGT(V(0), V(1)) : B.CreateICmpSGT(V(0), V(1))};
    case OpKind::Ge:
      return {Float ? B.CreateFCmpOGE(V(0), V(1)) : B.CreateICmpSGE(V(0), V(1))};
    case OpKind::Eq:
      return {Float ? B.CreateFCmpOEQ(V(0), V(1)) : B.CreateICmpEQ(V(0), V(1))};
    case OpKind::Ne:
      return {Float ? B.CreateFCmpUNE(V(0), V(1)) : B.CreateICmpNE(V(0), V(1))};
    case OpKind::And:
      return {B.CreateAnd(V(0), V(1))};
    case OpKind::Or:
      return {B.CreateOr(V(0), V(1))};
    case OpKind::Not:
      return {B.CreateNot(V(0))};
    case OpKind::Select: {
      Leaves Out;
      const Leaves &A = Vals[O.Operands[1]], &C = Vals[O.Operands[2]];
      for (size_t I = 0; I < A.size(); ++I)
        Out.push_back(B.CreateSelect(V(0), A[I], C[I]));
      return Out;
    }
    case OpKind::Convert:
      return {convert(V(0), T.getElementKind(), O.Ty.getElementKind())};
    case OpKind::Tuple: {
      Leaves Out;
      for (ValueId E : O.Operands)
        Out.append(Vals[E].begin(), Vals[E].end());
      return Out;
    }
    case OpKind::Extract: {
      unsigned Start = 0;
      for (int64_t I = 0; I < O.IntValue; ++I)
        Start += countLeaves(T.getElements()[I]);
      const Leaves &Src = Vals[O.Operands[0]];
      return Leaves(Src.begin() + Start,
                    Src.begin() + Start + countLeaves(O.Ty));
    }
    case OpKind::Call:
      return emitCall(O, Vals);
    }
    return {};
  }

  Leaves emitCall(const ir::Op &O, const std::vector<Leaves> &Vals) {
    llvm::Function *Callee = Functions.lookup(O.Callee);
    assert(Callee && "the verifier checks callees");
    std::vector<llvm::Value *> Args;
    for (ValueId A : O.Operands)
      Args.push_back(Vals[A][0]);
    if (O.Ty.isLeaf())
      return {B.CreateCall(Callee, Args)};
    std::vector<ElementKind> Kinds;
    flattenType(O.Ty, Kinds);
    std::vector<llvm::AllocaInst *> Slots;
    {
      llvm::IRBuilderBase::InsertPointGuard Guard(B);
      llvm::BasicBlock &Entry = B.GetInsertBlock()->getParent()->getEntryBlock();
      B.SetInsertPoint(&Entry, Entry.begin());
      for (ElementKind K : Kinds)
        Slots.push_back(B.CreateAlloca(storageType(K)));
    }
    for (llvm::AllocaInst *S : Slots)
      Args.push_back(S);
    B.CreateCall(Callee, Args);
    Leaves Out;
    for (size_t I = 0; I < Kinds.size(); ++I) {
      llvm::Value *L = B.CreateLoad(storageType(Kinds[I]), Slots[I]);
      if (Kinds[I] == ElementKind::Bool)
        L = B.CreateICmpNE(L, B.getInt8(0));
      Out.push_back(L);
    }
    return Out;
  }

  /// In memory a bool is a byte, as C's bool.
  llvm::Type *storageType(ElementKind K) {
    return K == ElementKind::Bool ? B.getInt8Ty() : scalarType(K);
  }

  void define(const ir::Function &F) {
    llvm::Function *LF = Functions[F.Name];
    B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", LF));
    std::vector<Leaves> Vals(F.Ops.size());
    unsigned NumParams = F.getNumParams();
    for (unsigned I = 0; I < NumParams; ++I)
      Vals[I] = {LF->getArg(I)};
    for (size_t I = NumParams; I < F.Ops.size(); ++I) {
      const ir::Op &O = F.Ops[I];
      if (O.Kind == OpKind::Return) {
        const Leaves &R = Vals[O.Operands[0]];
        if (F.ResultType.isLeaf()) {
          B.CreateRet(R[0]);
          return;
        }
        for (size_t J = 0; J < R.size(); ++J) {
          llvm::Value *L = R[J];
          if (L->getType()->isIntegerTy(1))
            L = B.CreateZExt(L, B.getInt8Ty());
          B.CreateStore(L, LF->getArg(NumParams + J));
        }
        B.CreateRetVoid();
        return;
      }
      Vals[I] = emitOp(F, O, Vals);
      if (!O.Name.empty() && Vals[I].size() == 1 &&
          !llvm::isa<llvm::Constant>(Vals[I][0]) &&
          !llvm::isa<llvm::Argument>(Vals[I][0]))
        Vals[I][0]->setName(O.Name);
    }
  }

  const ir::Module &M;
  llvm::LLVMContext &Ctx;
  llvm::Module &LM;
  const CodeGenOptions &Opts;
  llvm::IRBuilder<> B;
  llvm::StringMap<llvm::Function *> Functions;
};

} // namespace

llvm::Expected<std::unique_ptr<llvm::Module>>
nnc::emitLLVMModule(const ir::Module &M, llvm::LLVMContext &Ctx,
                    llvm::TargetMachine &TM, const CodeGenOptions &Opts) {
  auto LM = std::make_unique<llvm::Module>(M.Name, Ctx);
  LM->setTargetTriple(TM.getTargetTriple().str());
  LM->setDataLayout(TM.createDataLayout());
  if (llvm::Error E = Emitter(M, Ctx, *LM, Opts).run())
    return E;
  return LM;
}

std::vector<std::string> nnc::getResultNames(const ir::Function &F) {
  unsigned N = countLeaves(F.ResultType);
  if (F.ResultNames.size() == N)
    return F.ResultNames;
  std::vector<std::string> Names;
  for (unsigned I = 0; I < N; ++I)
    Names.push_back("out" + std::to_string(I));
  return Names;
}
