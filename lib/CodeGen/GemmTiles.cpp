//===- GemmTiles.cpp - The matrix kernel: register tiles ------------------===//
//
// The register tiles of the blocked path (GemmEmitter.h): an MR x NR tile
// of C held in vector registers along k, each step one row of a panel of B
// times MR broadcast elements of A; the full tile per layout of A and the
// remainder tiles of 8, 4, 2 and 1 rows.
//
//===----------------------------------------------------------------------===//
#include "GemmEmitter.h"

using namespace nnc;
using namespace nnc::codegen;

void GemmEmitter::emitPanel(PanelLayout L, unsigned Vecs, llvm::Value *Mask,
                            llvm::Value *BPanel, llvm::Value *CCol,
                            llvm::Value *MCur, llvm::Value *KCur,
                            llvm::Value *First) {
  int64_t MR = Cfg.Rows;
  forBlocks(
      MCur, MR,
      [&](llvm::Value *IR, llvm::Value *MRCur) {
        llvm::Value *APanel = at(L.Block, mul(IR, L.TileStride));
        llvm::Value *CTile = at(CCol, mul(IR, Ldc));
        llvm::BasicBlock *Full = block("tile.full"), *Part = block("tile.rest"),
                         *Next = block("tile.next");
        B.CreateCondBr(B.CreateICmpEQ(MRCur, B.getInt64(MR)), Full, Part);
        // The full tile, where the time goes, in two copies whose strides
        // are constants where they can be: read from the copy of A, each
        // step of k loads MR consecutive elements at fixed offsets (a
        // third fewer instructions than through a stride in a register).
        B.SetInsertPoint(Full);
        llvm::BasicBlock *InPlace = block("tile.full.rows"),
                         *Copied = block("tile.full.copied");
        B.CreateCondBr(RowLayout, path(Paths.RowsInPlace, InPlace),
                       path(Paths.RowsCopied, Copied));
        B.SetInsertPoint(InPlace);
        emitTile(MR, Vecs, {L.Block, L.TileStride, RsA, B.getInt64(1)}, APanel,
                 BPanel, KCur, CTile, Mask, First);
        B.CreateBr(Next);
        B.SetInsertPoint(Copied);
        emitTile(MR, Vecs,
                 {L.Block, L.TileStride, B.getInt64(1), B.getInt64(MR)}, APanel,
                 BPanel, KCur, CTile, Mask, First);
        B.CreateBr(Next);
        // The last rows (fewer than MR): tiles of 8, 4, 2 and 1 rows, one
        // per bit of their count, from the top.
        B.SetInsertPoint(Part);
        for (int64_t P = 8; P >= 1; P /= 2) {
          if (P >= MR)
            continue;
          llvm::BasicBlock *Do = block("tile.rows"), *Skip = block("tile.skip");
          B.CreateCondBr(
              B.CreateICmpNE(B.CreateAnd(MRCur, B.getInt64(P)), B.getInt64(0)),
              Do, Skip);
          B.SetInsertPoint(Do);
          llvm::Value *R0 = B.CreateAnd(MRCur, B.getInt64(~(2 * P - 1)));
          emitTile(unsigned(P), Vecs, L, at(APanel, mul(R0, L.RowStride)),
                   BPanel, KCur, at(CTile, mul(R0, Ldc)), Mask, First);
          B.CreateBr(Skip);
          B.SetInsertPoint(Skip);
        }
        B.CreateBr(Next);
        B.SetInsertPoint(Next);
      },
      "ir");
}

void GemmEmitter::emitTile(unsigned Rows, unsigned Vecs, PanelLayout L,
                           llvm::Value *APanel, llvm::Value *BPanel,
                           llvm::Value *KCur, llvm::Value *CTile,
                           llvm::Value *Mask, llvm::Value *First) {
  unsigned W = Cfg.Lanes;
  llvm::Align Al(ES);
  auto CPtr = [&](unsigned R, unsigned V) {
    return at(CTile, add(mul(B.getInt64(R), Ldc), B.getInt64(V * W)));
  };
  // The first block of k starts from zero, the others from what C holds:
  // each element's sum runs in order of k across blocks.
  llvm::BasicBlock *Load = block("tile.load"), *Zero = block("tile.zero"),
                   *Loop = block("tile.k"), *Store = block("tile.store");
  B.CreateCondBr(First, Zero, Load);
  B.SetInsertPoint(Load);
  std::vector<llvm::Value *> Loaded;
  for (unsigned R = 0; R < Rows; ++R)
    for (unsigned V = 0; V < Vecs; ++V)
      Loaded.push_back(
          V + 1 < Vecs
              ? static_cast<llvm::Value *>(
                    B.CreateAlignedLoad(VT, CPtr(R, V), Al))
              : B.CreateMaskedLoad(VT, CPtr(R, V), Al, Mask,
                                   llvm::ConstantAggregateZero::get(VT)));
  B.CreateBr(Loop);
  B.SetInsertPoint(Zero);
  B.CreateBr(Loop);

  B.SetInsertPoint(Loop);
  llvm::PHINode *P = B.CreatePHI(B.getInt64Ty(), 3, "p");
  P->addIncoming(B.getInt64(0), Load);
  P->addIncoming(B.getInt64(0), Zero);
  std::vector<llvm::PHINode *> Acc;
  for (unsigned I = 0; I < Rows * Vecs; ++I) {
    Acc.push_back(B.CreatePHI(VT, 3, "acc"));
    Acc.back()->addIncoming(Loaded[I], Load);
    Acc.back()->addIncoming(llvm::ConstantAggregateZero::get(VT), Zero);
  }
  llvm::Value *ARow = at(APanel, mul(P, L.ColStride));
  llvm::Value *BRow =
      at(BPanel, mul(P, BRowStride ? BRowStride : B.getInt64(Cfg.nr())));
  std::vector<llvm::Value *> Bv;
  for (unsigned V = 0; V < Vecs; ++V)
    Bv.push_back(B.CreateAlignedLoad(VT, at(BRow, V * W), Al));
  std::vector<llvm::Value *> Next(Rows * Vecs);
  for (unsigned R = 0; R < Rows; ++R) {
    llvm::Value *X = B.CreateVectorSplat(
        W, B.CreateLoad(T, at(ARow, mul(B.getInt64(R), L.RowStride))));
    for (unsigned V = 0; V < Vecs; ++V)
      Next[R * Vecs + V] = multiplyAdd(X, Bv[V], Acc[R * Vecs + V]);
  }
  llvm::Value *PNext = add(P, B.getInt64(1));
  P->addIncoming(PNext, B.GetInsertBlock());
  for (unsigned I = 0; I < Rows * Vecs; ++I)
    Acc[I]->addIncoming(Next[I], B.GetInsertBlock());
  // Not unrolled: a step is already 2 loads, MR broadcasts and MR x Vecs
  // multiply-adds, and unrolling by 2 or 4 measured no faster (W3's
  // shapes), while LLVM's runtime unrolling of the kernel's loops took a
  // fifth of its optimization time.
  disableUnrolling(B.CreateCondBr(B.CreateICmpSLT(PNext, KCur), Loop, Store));

  B.SetInsertPoint(Store);
  for (unsigned R = 0; R < Rows; ++R)
    for (unsigned V = 0; V < Vecs; ++V) {
      if (V + 1 < Vecs)
        B.CreateAlignedStore(Next[R * Vecs + V], CPtr(R, V), Al);
      else
        B.CreateMaskedStore(Next[R * Vecs + V], CPtr(R, V), Al, Mask);
    }
}
