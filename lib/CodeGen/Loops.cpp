//===- Loops.cpp - Counted loops and loop nests ---------------------------===//
#include "Loops.h"

using namespace nnc;
using namespace nnc::codegen;

void codegen::emitLoop(llvm::IRBuilder<> &B, llvm::Value *Begin,
                       llvm::Value *End, int64_t Step,
                       llvm::function_ref<void(llvm::Value *)> Body,
                       const llvm::Twine &Name) {
  llvm::Function *F = B.GetInsertBlock()->getParent();
  llvm::LLVMContext &Ctx = F->getContext();
  llvm::BasicBlock *Pre = B.GetInsertBlock();
  auto *Header = llvm::BasicBlock::Create(Ctx, Name + ".loop", F);
  auto *Exit = llvm::BasicBlock::Create(Ctx, Name + ".end", F);
  B.CreateCondBr(B.CreateICmpSLT(Begin, End), Header, Exit);
  B.SetInsertPoint(Header);
  llvm::PHINode *I = B.CreatePHI(B.getInt64Ty(), 2, Name);
  I->addIncoming(Begin, Pre);
  Body(I);
  // Sizes were checked not to overflow, so neither does the index.
  llvm::Value *Next = B.CreateNSWAdd(I, B.getInt64(Step), Name + ".next");
  I->addIncoming(Next, B.GetInsertBlock());
  llvm::BranchInst *Latch =
      B.CreateCondBr(B.CreateICmpSLT(Next, End), Header, Exit);
  // No unrolling: the loops of tensor ops are vectorized (which already
  // interleaves) and stream through memory, and the matrix kernel's loops
  // built here are its block and copy loops, so unrolling bought nothing
  // measurable on the MLP step or the kernel's shapes, while LLVM's unroll
  // passes and the code they made took about a third of `-O2` compile time
  // (docs/performance.md). The kernel's inner loops over k, built by hand,
  // are not unrolled either (GemmTiles.cpp says why).
  disableUnrolling(Latch);
  B.SetInsertPoint(Exit);
}

void codegen::disableUnrolling(llvm::Instruction *Latch) {
  llvm::LLVMContext &Ctx = Latch->getContext();
  llvm::MDNode *Disable = llvm::MDNode::get(
      Ctx, llvm::MDString::get(Ctx, "llvm.loop.unroll.disable"));
  llvm::MDNode *ID = llvm::MDNode::getDistinct(Ctx, {nullptr, Disable});
  ID->replaceOperandWith(0, ID);
  Latch->setMetadata(llvm::LLVMContext::MD_loop, ID);
}

static void nest(llvm::IRBuilder<> &B, llvm::ArrayRef<llvm::Value *> Dims,
                 llvm::ArrayRef<llvm::SmallVector<llvm::Value *, 4>> Strides,
                 llvm::SmallVectorImpl<llvm::Value *> &Indices,
                 llvm::SmallVectorImpl<llvm::Value *> &Offsets,
                 llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>,
                                         llvm::ArrayRef<llvm::Value *>)>
                     Body) {
  unsigned Axis = Indices.size();
  if (Axis == Dims.size()) {
    Body(Indices, Offsets);
    return;
  }
  emitLoop(
      B, Dims[Axis],
      [&](llvm::Value *I) {
        llvm::SmallVector<llvm::Value *, 4> Saved(Offsets.begin(),
                                                  Offsets.end());
        for (size_t J = 0; J < Offsets.size(); ++J)
          Offsets[J] =
              B.CreateNSWAdd(Offsets[J], B.CreateNSWMul(I, Strides[J][Axis]));
        Indices.push_back(I);
        nest(B, Dims, Strides, Indices, Offsets, Body);
        Indices.pop_back();
        Offsets.assign(Saved.begin(), Saved.end());
      },
      "i" + llvm::Twine(Axis));
}

void codegen::emitLoopNest(
    llvm::IRBuilder<> &B, llvm::ArrayRef<llvm::Value *> Dims,
    llvm::ArrayRef<llvm::SmallVector<llvm::Value *, 4>> Strides,
    llvm::function_ref<void(llvm::ArrayRef<llvm::Value *>,
                            llvm::ArrayRef<llvm::Value *>)>
        Body) {
  llvm::SmallVector<llvm::Value *, 4> Indices;
  llvm::SmallVector<llvm::Value *, 4> Offsets(Strides.size(), B.getInt64(0));
  nest(B, Dims, Strides, Indices, Offsets, Body);
}
