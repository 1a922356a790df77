//===- GemmThreads.cpp - Matrix products on several threads ---------------===//
//
// The rows of C are cut into one slice per thread, in whole register tiles;
// each slice is an independent product (its rows of A, all of B) that the
// one-thread kernel computes with a scratch of its own. Slice 0 is the
// caller's; the module's thread pool (ThreadPool.h) runs the others, or the
// caller does when the pool is busy or a worker could not start.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "ThreadPool.h"

using namespace nnc;
using namespace nnc::codegen;

/// The twelve arguments of the kernel (Gemm.h), as a worker receives them.
static llvm::StructType *argsType(llvm::LLVMContext &Ctx) {
  llvm::Type *I64 = llvm::Type::getInt64Ty(Ctx);
  llvm::Type *Ptr = llvm::PointerType::getUnqual(Ctx);
  return llvm::StructType::get(
      Ctx, {I64, I64, I64, Ptr, I64, I64, Ptr, I64, I64, Ptr, I64, Ptr});
}

/// void worker(ptr args): the kernel on one slice.
static llvm::Function *getWorker(llvm::Module &LM, llvm::Function *Serial) {
  std::string Name = Serial->getName().str() + ".worker";
  if (llvm::Function *F = LM.getFunction(Name))
    return F;
  llvm::LLVMContext &Ctx = LM.getContext();
  llvm::IRBuilder<> B(Ctx);
  auto *F = llvm::Function::Create(
      llvm::FunctionType::get(B.getVoidTy(), {B.getPtrTy()}, false),
      llvm::GlobalValue::InternalLinkage, Name, LM);
  F->addFnAttr(llvm::Attribute::NoUnwind);
  B.SetInsertPoint(llvm::BasicBlock::Create(Ctx, "entry", F));
  llvm::StructType *ST = argsType(Ctx);
  std::vector<llvm::Value *> Args;
  for (unsigned I = 0; I < ST->getNumElements(); ++I)
    Args.push_back(B.CreateLoad(ST->getElementType(I),
                                B.CreateStructGEP(ST, F->getArg(0), I)));
  B.CreateCall(Serial, Args);
  B.CreateRetVoid();
  return F;
}

llvm::Function *codegen::getParallelGemm(llvm::Module &LM,
                                         llvm::Function *Serial,
                                         const GemmConfig &Cfg, ElementKind K) {
  unsigned T = Cfg.Threads;
  std::string Name = Serial->getName().str() + ".t" + std::to_string(T);
  if (llvm::Function *F = LM.getFunction(Name))
    return F;
  llvm::LLVMContext &Ctx = LM.getContext();
  llvm::IRBuilder<> B(Ctx);
  llvm::Function *Worker = getWorker(LM, Serial);
  auto *F = llvm::Function::Create(
      Serial->getFunctionType(), llvm::GlobalValue::InternalLinkage, Name, LM);
  F->addFnAttr(llvm::Attribute::NoUnwind);
  std::vector<llvm::Value *> A;
  for (llvm::Argument &X : F->args())
    A.push_back(&X);
  llvm::Value *M = A[0], *N = A[1], *Inner = A[2];
  auto Block = [&](const char *Name) {
    return llvm::BasicBlock::Create(Ctx, Name, F);
  };
  B.SetInsertPoint(Block("entry"));
  llvm::StructType *ST = argsType(Ctx);
  llvm::Value *Slices =
      B.CreateAlloca(llvm::ArrayType::get(ST, T), nullptr, "slices");
  // Small, shallow or direct products stay on this thread: handing out
  // slices costs microseconds.
  // (M * N < ThreadedWork / K: M * N, C's size, cannot overflow; M * N * K
  // could.)
  llvm::Value *Few = B.CreateICmpSLT(
      B.CreateMul(M, N),
      B.CreateSDiv(B.getInt64(Cfg.ThreadedWork),
                   B.CreateBinaryIntrinsic(llvm::Intrinsic::smax, Inner,
                                           B.getInt64(1))));
  llvm::Value *Shallow =
      B.CreateICmpSLT(Inner, B.getInt64(Cfg.ThreadedDepth));
  llvm::Value *Alone = B.CreateOr(
      B.CreateOr(isDirect(B, Cfg, M, Inner), Shallow),
      B.CreateOr(Few, B.CreateICmpSLT(M, B.getInt64(2 * int64_t(Cfg.Rows)))));
  llvm::BasicBlock *Serially = Block("serial"), *Split = Block("split");
  B.CreateCondBr(Alone, Serially, Split);
  B.SetInsertPoint(Serially);
  B.CreateCall(Serial, A);
  B.CreateRetVoid();

  B.SetInsertPoint(Split);
  // Rows per slice: an even share, rounded up to an even number (a tile
  // of two or more rows costs the same per row as a full one, so the last
  // tiles of a slice may be short), and each slice's scratch: what the
  // whole product would need on one thread, which covers any slice.
  llvm::Value *Share =
      B.CreateSDiv(B.CreateAdd(M, B.getInt64(T - 1)), B.getInt64(T));
  llvm::Value *Rows =
      B.CreateAnd(B.CreateAdd(Share, B.getInt64(1)), B.getInt64(-2));
  GemmConfig One = Cfg;
  One.Threads = 1;
  llvm::Value *ScratchBytes = emitGemmScratchBytes(
      B, One, K, M, N, Inner, B.CreateICmpNE(A[5], B.getInt64(1)));
  llvm::Type *Elem = getElementSize(K) == 4 ? B.getFloatTy() : B.getDoubleTy();
  for (unsigned I = 0; I < T; ++I) {
    llvm::Value *R0 = B.CreateBinaryIntrinsic(
        llvm::Intrinsic::smin, B.CreateMul(B.getInt64(I), Rows), M);
    llvm::Value *R1 = B.CreateBinaryIntrinsic(llvm::Intrinsic::smin,
                                              B.CreateAdd(R0, Rows), M);
    std::vector<llvm::Value *> Fields = A;
    Fields[0] = B.CreateSub(R1, R0);
    Fields[3] = B.CreateInBoundsGEP(Elem, A[3], B.CreateMul(R0, A[4]));
    Fields[9] = B.CreateInBoundsGEP(Elem, A[9], B.CreateMul(R0, A[10]));
    Fields[11] = B.CreateInBoundsGEP(B.getInt8Ty(), A[11],
                                     B.CreateMul(B.getInt64(I), ScratchBytes));
    llvm::Value *Slice =
        B.CreateConstInBoundsGEP2_32(llvm::ArrayType::get(ST, T), Slices, 0, I);
    for (unsigned J = 0; J < Fields.size(); ++J)
      B.CreateStore(Fields[J], B.CreateStructGEP(ST, Slice, J));
  }
  llvm::Value *Stride = B.getInt64(
      LM.getDataLayout().getTypeAllocSize(llvm::ArrayType::get(ST, 1)));
  B.CreateCall(getPoolRun(LM, T), {Worker, Slices, Stride, B.getInt64(T)});
  B.CreateRetVoid();
  return F;
}
