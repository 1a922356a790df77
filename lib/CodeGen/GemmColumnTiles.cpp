//===- GemmColumnTiles.cpp - The matrix kernel: column tiles --------------===//
//
// Column tiles (GemmEmitter.h): a last panel of B of a few columns
// computed a vector per column of C, its lanes the rows of a tile, rather
// than padded to a whole vector per row: against the copy of a transposed
// A, or against a row-major A read in place and transposed in registers.
//
//===----------------------------------------------------------------------===//
#include "GemmEmitter.h"

using namespace nnc;
using namespace nnc::codegen;

void GemmEmitter::emitColumnPanel(PanelLayout L, llvm::Value *BPanel,
                                  llvm::Value *CCol, llvm::Value *NRCur,
                                  llvm::Value *MCur, llvm::Value *KCur,
                                  llvm::Value *First) {
  int64_t MR = Cfg.Rows;
  forBlocks(
      MCur, MR,
      [&](llvm::Value *IR, llvm::Value *MRCur) {
        llvm::Value *APanel = at(L.Block, mul(IR, L.TileStride));
        llvm::Value *CTile = at(CCol, mul(IR, Ldc));
        llvm::BasicBlock *InPlace = block("cols.rows"),
                         *Copied = block("cols.copied"),
                         *Done = block("cols.done");
        B.CreateCondBr(RowLayout, path(Paths.ColsInPlace, InPlace),
                       path(Paths.ColsNarrow || Paths.ColsWide, Copied));
        B.SetInsertPoint(InPlace);
        emitColumnTile(unsigned(InPlaceColumns), MRCur, NRCur, APanel, BPanel,
                       KCur, CTile, First, true, RsA);
        B.CreateBr(Done);
        // Against the copy: a tile of 4 columns or one of columnTileMax(Cfg).
        B.SetInsertPoint(Copied);
        int64_t Wide = columnTileMax(Cfg);
        if (Wide > InPlaceColumns) {
          llvm::BasicBlock *Narrow = block("cols.narrow"),
                           *Wider = block("cols.wide");
          B.CreateCondBr(B.CreateICmpSLE(NRCur, B.getInt64(InPlaceColumns)),
                         path(Paths.ColsNarrow, Narrow),
                         path(Paths.ColsWide, Wider));
          B.SetInsertPoint(Wider);
          emitColumnTile(unsigned(Wide), MRCur, NRCur, APanel, BPanel, KCur,
                         CTile, First, false, RsA);
          B.CreateBr(Done);
          B.SetInsertPoint(Narrow);
        }
        emitColumnTile(unsigned(std::min<int64_t>(Wide, InPlaceColumns)), MRCur,
                       NRCur, APanel, BPanel, KCur, CTile, First, false, RsA);
        B.CreateBr(Done);
        B.SetInsertPoint(Done);
      },
      "ir");
}

std::vector<llvm::Value *>
GemmEmitter::emitAccLoop(llvm::Value *Begin, llvm::Value *Count, int64_t Step,
                         std::vector<llvm::Value *> Acc,
                         llvm::function_ref<std::vector<llvm::Value *>(
                             llvm::Value *, llvm::ArrayRef<llvm::Value *>)>
                             Body,
                         const llvm::Twine &Name) {
  llvm::BasicBlock *Pre = B.GetInsertBlock(), *Loop = block(Name),
                   *Exit = block(Name + ".end");
  B.CreateCondBr(B.CreateICmpSGT(Count, B.getInt64(0)), Loop, Exit);
  B.SetInsertPoint(Loop);
  llvm::PHINode *I = B.CreatePHI(B.getInt64Ty(), 2, "i");
  I->addIncoming(B.getInt64(0), Pre);
  std::vector<llvm::PHINode *> Phis;
  std::vector<llvm::Value *> In;
  for (llvm::Value *X : Acc) {
    Phis.push_back(B.CreatePHI(X->getType(), 2, "acc"));
    Phis.back()->addIncoming(X, Pre);
    In.push_back(Phis.back());
  }
  std::vector<llvm::Value *> Next =
      Body(add(Begin, mul(I, B.getInt64(Step))), In);
  llvm::Value *INext = add(I, B.getInt64(1));
  I->addIncoming(INext, B.GetInsertBlock());
  for (unsigned J = 0; J < Phis.size(); ++J)
    Phis[J]->addIncoming(Next[J], B.GetInsertBlock());
  llvm::BasicBlock *Last = B.GetInsertBlock();
  disableUnrolling(B.CreateCondBr(B.CreateICmpSLT(INext, Count), Loop, Exit));
  B.SetInsertPoint(Exit);
  std::vector<llvm::Value *> Out;
  for (unsigned J = 0; J < Acc.size(); ++J) {
    llvm::PHINode *Phi = B.CreatePHI(Acc[J]->getType(), 2, "acc.out");
    Phi->addIncoming(Acc[J], Pre);
    Phi->addIncoming(Next[J], Last);
    Out.push_back(Phi);
  }
  return Out;
}

void GemmEmitter::emitColumnTile(unsigned Cols, llvm::Value *RowsV,
                                 llvm::Value *ColsV, llvm::Value *APanel,
                                 llvm::Value *BPanel, llvm::Value *KCur,
                                 llvm::Value *CTile, llvm::Value *First,
                                 bool InPlace, llvm::Value *RsA) {
  unsigned L = Cfg.Lanes;
  llvm::Align Al(ES);
  llvm::Value *Zero = llvm::ConstantAggregateZero::get(VT);
  llvm::Value *RowMask = laneMask(0, RowsV);
  llvm::SmallVector<llvm::Constant *, 16> LaneIdx;
  for (unsigned I = 0; I < L; ++I)
    LaneIdx.push_back(B.getInt64(I));
  llvm::Value *Lanes = llvm::ConstantVector::get(LaneIdx);
  // Lane r of column c is C[r][c]: a gather and a scatter, once per tile
  // and block of k.
  llvm::Value *RowOffsets = B.CreateMul(Lanes, B.CreateVectorSplat(L, Ldc));
  auto Column = [&](unsigned C) {
    return B.CreateGEP(T, at(CTile, int64_t(C)), RowOffsets);
  };
  // Columns past ColsV: the panel's zeros, computed and not stored.
  std::vector<llvm::Value *> Masks;
  for (unsigned C = 0; C < Cols; ++C)
    Masks.push_back(B.CreateAnd(
        RowMask,
        B.CreateVectorSplat(L, B.CreateICmpSLT(B.getInt64(C), ColsV))));
  // The first block of k starts from zero, the others from what C holds.
  llvm::BasicBlock *Load = block("cols.load"), *Zeros = block("cols.zero"),
                   *Start = block("cols.start");
  B.CreateCondBr(First, Zeros, Load);
  B.SetInsertPoint(Load);
  std::vector<llvm::Value *> Loaded;
  for (unsigned C = 0; C < Cols; ++C)
    Loaded.push_back(B.CreateMaskedGather(VT, Column(C), Al, Masks[C], Zero));
  B.CreateBr(Start);
  B.SetInsertPoint(Zeros);
  B.CreateBr(Start);
  B.SetInsertPoint(Start);
  std::vector<llvm::Value *> Acc;
  for (unsigned C = 0; C < Cols; ++C) {
    llvm::PHINode *Phi = B.CreatePHI(VT, 2, "acc");
    Phi->addIncoming(Loaded[C], Load);
    Phi->addIncoming(Zero, Zeros);
    Acc.push_back(Phi);
  }
  // One step of k: X holds A[r][P] in lane r.
  auto Step = [&](llvm::Value *X, llvm::Value *P,
                  llvm::ArrayRef<llvm::Value *> In) {
    llvm::Value *BRow = at(BPanel, mul(P, B.getInt64(Cfg.nr())));
    std::vector<llvm::Value *> Out;
    for (unsigned C = 0; C < Cols; ++C)
      Out.push_back(multiplyAdd(
          X, B.CreateVectorSplat(L, B.CreateLoad(T, at(BRow, int64_t(C)))),
          In[C]));
    return Out;
  };
  if (!InPlace) {
    // The copy holds MR >= RowsV elements per step of k; the lanes past
    // RowsV are not read.
    Acc = emitAccLoop(
        B.getInt64(0), KCur, 1, Acc,
        [&](llvm::Value *P, llvm::ArrayRef<llvm::Value *> In) {
          llvm::Value *X = B.CreateMaskedLoad(
              VT, at(APanel, mul(P, B.getInt64(Cfg.Rows))), Al, RowMask, Zero);
          return Step(X, P, In);
        },
        "cols.k");
  } else {
    // L steps of k at a time: row r's L elements in one load (rows past
    // RowsV read the last row and are zeroed), transposed so that vector p
    // holds A[r][P + p] in lane r.
    llvm::Value *LastRow = B.CreateSub(RowsV, B.getInt64(1));
    llvm::Value *Chunks = B.CreateSDiv(KCur, B.getInt64(L));
    Acc = emitAccLoop(
        B.getInt64(0), Chunks, L, Acc,
        [&](llvm::Value *P0, llvm::ArrayRef<llvm::Value *> In) {
          std::vector<llvm::Value *> Rows;
          for (unsigned R = 0; R < L; ++R) {
            llvm::Value *Row =
                at(APanel, add(mul(smin(B, B.getInt64(R), LastRow), RsA), P0));
            llvm::Value *X = B.CreateAlignedLoad(VT, Row, Al);
            Rows.push_back(
                B.CreateSelect(B.CreateICmpSLT(B.getInt64(R), RowsV), X, Zero));
          }
          transposeSquare(Rows);
          std::vector<llvm::Value *> Cur(In.begin(), In.end());
          for (unsigned P = 0; P < L; ++P)
            Cur = Step(Rows[P], add(P0, B.getInt64(P)), Cur);
          return Cur;
        },
        "cols.chunk");
    // The last steps, one at a time, the rows gathered.
    llvm::Value *Done = mul(Chunks, B.getInt64(L));
    llvm::Value *RowPtrs = B.CreateMul(Lanes, B.CreateVectorSplat(L, RsA));
    Acc = emitAccLoop(
        Done, B.CreateSub(KCur, Done), 1, Acc,
        [&](llvm::Value *P, llvm::ArrayRef<llvm::Value *> In) {
          llvm::Value *X = B.CreateMaskedGather(
              VT, B.CreateGEP(T, at(APanel, P), RowPtrs), Al, RowMask, Zero);
          return Step(X, P, In);
        },
        "cols.k");
  }
  for (unsigned C = 0; C < Cols; ++C)
    B.CreateMaskedScatter(Acc[C], Column(C), Al, Masks[C]);
}
