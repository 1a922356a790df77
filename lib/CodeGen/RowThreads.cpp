//===- RowThreads.cpp - Element-wise and row-wise ops on several threads --===//
//
// With --threads=N, an op whose rows are independent (an element-wise loop
// and the ops fused into it, softmax, log_softmax, logsumexp, and a
// reduction along an axis other than the first) over a tensor whose first
// axis is a dimension variable (the batch) runs on the module's thread
// pool (ThreadPool.h), its rows cut into N slices of consecutive rows.
//
// The op is emitted as usual, with three differences: its first axis reads
// as a row count, its pointers start at a first row, and the stack slots it
// needs are its own. Both are instructions of the function that the op's
// code only uses (not constants), so that LLVM's CodeExtractor, which then
// moves the op's blocks into a function of their own whose inputs arrive
// in one struct, makes them two fields of that struct. The call of that
// function becomes: one call with the whole batch (first row 0) when the
// op is too small to share, or one struct per slice, copies of the first
// with those two fields changed, handed to the pool.
//
// Each element is computed by one thread, by the same code and in the same
// order as on one thread (a row's reduction is within the row), so the
// results are the same bits for every N.
//
//===----------------------------------------------------------------------===//
#include "RowThreads.h"
#include "TensorFunction.h"
#include "ThreadPool.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include "llvm/Transforms/Utils/CodeExtractor.h"

using namespace nnc;
using namespace nnc::codegen;
using ir::OpKind;
using ir::ValueId;

namespace {

/// Elements (weighted) below which an op stays on the calling thread.
/// Handing out slices costs about a microsecond, but what decides is where
/// the rows are: a slice computed on another core is in that core's cache,
/// and the op that reads it next (a sum over the batch, a product split
/// another way, the caller's own code) fetches it from there. Measured on
/// the MLP step at a batch of 256 (docs/performance.md): bias + ReLU over
/// [256, 100] (25,600 additions) lost a few microseconds on two threads, the
/// softmax of [256, 10] gained ten.
constexpr int64_t RowThreadsMinWork = 65536;

/// Weight of an element of the softmax family: an exp (a few tens of
/// cycles), a share of a log and three passes over the row, against one
/// vectorized operation.
constexpr int64_t SoftmaxWeight = 32;

bool isSoftmaxFamily(OpKind K) {
  return K == OpKind::Softmax || K == OpKind::LogSoftmax ||
         K == OpKind::LogSumExp;
}

} // namespace

bool codegen::getRowValues(const ir::Function &F, const FusionPlan &Fusion,
                           ValueId I, std::string &RowVar,
                           llvm::SmallVectorImpl<ValueId> &Reads,
                           llvm::SmallVectorImpl<ValueId> &Writes) {
  const ir::Op &O = F.Ops[I];
  if (Fusion.View[I] || Fusion.Fused[I] || !O.Ty.isTensor() ||
      O.Ty.getRank() == 0)
    return false;
  bool Elementwise = ScalarOps::isElementwise(O.Kind);
  bool AlongRows =
      (isSoftmaxFamily(O.Kind) || O.Kind == OpKind::ReduceSum ||
       O.Kind == OpKind::ReduceMax || O.Kind == OpKind::ReduceMin) &&
      O.getAxis() >= 1;
  if (!Elementwise && !AlongRows)
    return false;
  const ir::Dim &Rows = O.Ty.getShape()[0];
  if (!Rows.isValid() || Rows.Factor != 1 || Rows.Vars.size() != 1)
    return false;
  RowVar = Rows.Vars[0];
  // The row variable only as the first axis: the other extents are the
  // same for every slice.
  auto OnlyFirst = [&](const ir::Type &T) {
    const ir::Shape &Sh = T.getShape();
    for (unsigned K = 1; K < Sh.size(); ++K)
      if (llvm::is_contained(Sh[K].Vars, RowVar))
        return false;
    return true;
  };
  if (!OnlyFirst(O.Ty))
    return false;
  Writes.push_back(I);
  // What the op's code reads through a pointer: every such tensor either
  // has the op's rows as its first axis, or is a broadcast that repeats
  // itself along them (read with stride 0 there, the same for each slice).
  unsigned R = O.Ty.getRank();
  auto Leaf = [&](ValueId V, bool Broadcast) {
    const ir::Type &T = F.typeOf(V);
    if (T.isScalar())
      return true;
    if (!T.isTensor() || !OnlyFirst(T))
      return false;
    const ir::Shape &Sh = T.getShape();
    // A broadcast's axes align with the op's from the last.
    bool Stretched = Broadcast && (Sh.size() < R || Sh[0].isOne());
    if (Stretched)
      return true;
    if (Sh.empty() || Sh[0] != Rows)
      return false;
    if (!llvm::is_contained(Reads, V))
      Reads.push_back(V);
    return true;
  };
  if (Elementwise) {
    std::function<bool(const ir::Op &)> Walk = [&](const ir::Op &X) {
      for (ValueId V : X.Operands) {
        if (Fusion.Fused[V]) {
          if (Fusion.Stored[V])
            Writes.push_back(V);
          if (!Walk(F.op(V)))
            return false;
        } else if (Fusion.View[V]) {
          if (F.op(V).Kind != OpKind::Broadcast ||
              !Leaf(F.op(V).Operands[0], /*Broadcast=*/true))
            return false;
        } else if (!Leaf(V, /*Broadcast=*/false)) {
          return false;
        }
      }
      return true;
    };
    return Walk(O);
  }
  // As flatReader reads the operand of a reduction.
  ValueId V = O.Operands[0];
  while (Fusion.Fused[V] && F.op(V).Kind == OpKind::Reshape)
    V = F.op(V).Operands[0];
  if (!Fusion.Fused[V])
    return !Fusion.View[V] && Leaf(V, /*Broadcast=*/false);
  std::function<bool(ValueId)> Walk = [&](ValueId X) {
    for (ValueId U : F.op(X).Operands) {
      if (Fusion.Fused[U]) {
        if (!Walk(U))
          return false;
      } else if (Fusion.View[U] || !Leaf(U, /*Broadcast=*/false)) {
        return false;
      }
    }
    return true;
  };
  return Walk(V);
}

bool TensorFunctionEmitter::emitOpInRows(ValueId I) {
  std::string RowVar;
  llvm::SmallVector<ValueId, 8> Reads, Writes;
  if (Threads <= 1 || !getRowValues(F, Fusion, I, RowVar, Reads, Writes))
    return false;
  const ir::Op &O = F.Ops[I];
  llvm::LLVMContext &Ctx = LF->getContext();
  llvm::Instruction *ScopeAt = Shapes.scopeAt();
  llvm::IRBuilder<> At(ScopeAt);

  // Before the op's code: the batch, the largest row, and the first row
  // and row count of this call of the op's code (the whole batch), as
  // instructions the code only uses.
  llvm::Value *Rows = dim(ir::Dim::var(RowVar));
  auto RowElems = [&](ValueId V) {
    const ir::Type &T = F.typeOf(V);
    return dim(getExtent(T.getShape(), 1, T.getRank()));
  };
  llvm::Value *Widest = RowElems(I);
  for (ValueId V : Reads)
    Widest = At.CreateBinaryIntrinsic(llvm::Intrinsic::smax, Widest,
                                      RowElems(V));
  llvm::Value *Work = At.CreateMul(
      At.CreateMul(Rows, Widest),
      At.getInt64(isSoftmaxFamily(O.Kind) ? SoftmaxWeight : 1));
  llvm::Value *Lo = At.Insert(new llvm::FreezeInst(At.getInt64(0)), "rows.lo");
  llvm::Value *Count = At.Insert(new llvm::FreezeInst(Rows), "rows.n");

  // The op's code: a first block where the slice's extents are computed,
  // then the op, reading and writing from the slice's first row.
  llvm::BasicBlock *First = B.GetInsertBlock();
  auto *Body = llvm::BasicBlock::Create(Ctx, "rows.body", LF);
  llvm::Instruction *ToBody = B.CreateBr(Body);
  Shapes.setRowCount(RowVar, Count, ToBody);
  B.SetInsertPoint(Body);
  auto Offset = [&](ValueId V, llvm::Value *P) {
    P = Shapes.copyPointer(P);
    llvm::Value *Q = B.CreateInBoundsGEP(
        S.storageType(F.typeOf(V).getElementKind()), P,
        B.CreateMul(Lo, RowElems(V)), "rows.ptr");
    Shapes.keepPointer(Q);
    return Q;
  };
  std::vector<std::pair<ValueId, llvm::Value *>> SavedVals, SavedStorage;
  for (ValueId V : Reads) {
    SavedVals.push_back({V, Vals[V][0]});
    Vals[V][0] = Offset(V, Vals[V][0]);
  }
  for (ValueId V : Writes) {
    SavedStorage.push_back({V, Storage[V]});
    Storage[V] = Offset(V, Storage[V]);
  }
  llvm::BasicBlock *SavedAllocaBlock = AllocaBlock;
  AllocaBlock = First;
  emitTensorOp(O, Storage[I]);
  AllocaBlock = SavedAllocaBlock;
  for (auto &[V, P] : SavedVals)
    Vals[V][0] = P;
  for (auto &[V, P] : SavedStorage)
    Storage[V] = P;
  Vals[I] = {Storage[I]};
  auto *After = llvm::BasicBlock::Create(Ctx, "rows.after", LF);
  B.CreateBr(After);
  B.SetInsertPoint(After);

  // The op's blocks, which only leave to After (an op that can fail, such
  // as a label out of range, stays here: its slices would need a status).
  std::vector<llvm::BasicBlock *> Blocks;
  for (auto It = First->getIterator(); &*It != After; ++It)
    Blocks.push_back(&*It);
  for (llvm::BasicBlock *BB : Blocks)
    for (llvm::BasicBlock *Succ : llvm::successors(BB))
      if (Succ != After && !llvm::is_contained(Blocks, Succ))
        return true;
  llvm::CodeExtractorAnalysisCache Cache(*LF);
  llvm::CodeExtractor CE(Blocks, /*DT=*/nullptr, /*AggregateArgs=*/true,
                         /*BFI=*/nullptr, /*BPI=*/nullptr, /*AC=*/nullptr,
                         /*AllowVarArgs=*/false, /*AllowAlloca=*/true,
                         /*AllocationBlock=*/nullptr, "rows");
  if (!CE.isEligible())
    return true;
  // Values the op's code defines and code after it uses would come back
  // through the argument struct, and the slices' copies would leave the
  // original's fields unwritten: such an op keeps its single call. (The
  // op's scopes end with it, so none is expected.)
  llvm::SetVector<llvm::Value *> Inputs, Outputs, NoAllocas;
  CE.findInputsOutputs(Inputs, Outputs, NoAllocas);
  if (!Outputs.empty())
    return true;
  llvm::Function *Part = CE.extractCodeRegion(Cache);
  if (!Part || !Part->getReturnType()->isVoidTy() || !Part->hasOneUse())
    return true;
  Part->addFnAttr(llvm::Attribute::NoUnwind);
  // The op's stack slots at the start of its function, where SROA finds
  // them.
  llvm::BasicBlock &PartEntry = Part->getEntryBlock();
  for (llvm::BasicBlock &BB : *Part) {
    if (&BB == &PartEntry)
      continue;
    for (llvm::Instruction &X : llvm::make_early_inc_range(BB))
      if (auto *A = llvm::dyn_cast<llvm::AllocaInst>(&X))
        if (A->isStaticAlloca())
          A->moveBefore(&*PartEntry.getFirstInsertionPt());
  }
  auto *Call = llvm::cast<llvm::CallInst>(*Part->user_begin());
  llvm::Value *Struct = Call->getArgOperand(0);
  // The fields that hold the first row and the row count.
  llvm::StructType *ST = nullptr;
  int LoField = -1, CountField = -1;
  for (llvm::Value *V : {Lo, Count})
    for (llvm::User *U : V->users()) {
      auto *St = llvm::dyn_cast<llvm::StoreInst>(U);
      auto *G = St ? llvm::dyn_cast<llvm::GetElementPtrInst>(
                         St->getPointerOperand())
                   : nullptr;
      if (!G || St->getValueOperand() != V ||
          G->getPointerOperand() != Struct || G->getNumIndices() != 2)
        continue;
      ST = llvm::cast<llvm::StructType>(G->getSourceElementType());
      int Field = int(
          llvm::cast<llvm::ConstantInt>(G->getOperand(2))->getZExtValue());
      (V == Lo ? LoField : CountField) = Field;
    }
  if (!ST || LoField < 0 || CountField < 0)
    return true; // always one call, with the whole batch: still correct

  // Alone when small; else one struct per slice, given to the pool.
  llvm::Instruction *Alone = nullptr, *Shared = nullptr;
  llvm::SplitBlockAndInsertIfThenElse(
      At.CreateICmpSLT(Work, At.getInt64(RowThreadsMinWork)), Call, &Alone,
      &Shared);
  Call->moveBefore(Alone);
  llvm::IRBuilder<> P(Shared);
  unsigned T = Threads;
  uint64_t Size = LM.getDataLayout().getTypeAllocSize(ST);
  llvm::Value *Slices = entryAlloca(llvm::ArrayType::get(ST, T), "rows.slices");
  // Rows per slice: an even share; the last slices may be shorter (or
  // empty, for a batch smaller than the threads).
  llvm::Value *Share =
      P.CreateSDiv(P.CreateAdd(Rows, P.getInt64(T - 1)), P.getInt64(T));
  for (unsigned J = 0; J < T; ++J) {
    llvm::Value *Slice = P.CreateConstInBoundsGEP1_64(ST, Slices, J);
    P.CreateMemCpy(Slice, llvm::MaybeAlign(8), Struct, llvm::MaybeAlign(8),
                   Size);
    llvm::Value *S0 = P.CreateBinaryIntrinsic(
        llvm::Intrinsic::smin, P.CreateMul(P.getInt64(J), Share), Rows);
    llvm::Value *S1 = P.CreateBinaryIntrinsic(llvm::Intrinsic::smin,
                                              P.CreateAdd(S0, Share), Rows);
    P.CreateStore(S0, P.CreateStructGEP(ST, Slice, LoField));
    P.CreateStore(P.CreateSub(S1, S0), P.CreateStructGEP(ST, Slice, CountField));
  }
  P.CreateCall(getPoolRun(LM, T),
               {Part, Slices, P.getInt64(Size), P.getInt64(T)});
  // The builder is still at the end of After, which the extraction left.
  return true;
}
