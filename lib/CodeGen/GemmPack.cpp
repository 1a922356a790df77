//===- GemmPack.cpp - The matrix kernel: copies and transpositions --------===//
//
// The copies of the blocked path (GemmEmitter.h): a block of B into panels
// of NR columns (from its rows, from its columns by Lanes x Lanes blocks
// transposed in registers, or element by element), a block of a transposed
// A into panels of MR rows, and the transposition of C^T into C after a
// product computed as its transpose.
//
//===----------------------------------------------------------------------===//
#include "GemmEmitter.h"

using namespace nnc;
using namespace nnc::codegen;

void GemmEmitter::transposeSquare(std::vector<llvm::Value *> &Rows) {
  // log2(L) rounds; round H swaps the off-diagonal H x H blocks of each
  // 2H x 2H block, one two-source shuffle per row (vpermt2ps on AVX-512).
  unsigned L = Rows.size();
  for (unsigned H = L / 2; H >= 1; H /= 2) {
    llvm::SmallVector<int, 16> Lo, Hi;
    for (unsigned C = 0; C < L; ++C) {
      bool Upper = C & H;
      Lo.push_back(Upper ? int(L + C - H) : int(C));
      Hi.push_back(Upper ? int(L + C) : int(C + H));
    }
    for (unsigned I = 0; I < L; ++I) {
      if (I & H)
        continue;
      llvm::Value *A = Rows[I], *Bv = Rows[I + H];
      Rows[I] = B.CreateShuffleVector(A, Bv, Lo);
      Rows[I + H] = B.CreateShuffleVector(A, Bv, Hi);
    }
  }
}

void GemmEmitter::packB(llvm::Value *PC, llvm::Value *JC, llvm::Value *KCur,
                        llvm::Value *NCur) {
  // Panel JR / NR holds rows PC..PC+KCur of columns JC+JR.., NR to a row,
  // zero past the last column.
  int64_t NR = Cfg.nr();
  forBlocks(
      NCur, NR,
      [&](llvm::Value *JR, llvm::Value *NRCur) {
        llvm::Value *Dst = at(PackB, mul(JR, KCur));
        llvm::Value *Col = add(JC, JR);
        llvm::BasicBlock *Rows = block("pack.b.rows"),
                         *Fast = block("pack.b.whole"),
                         *Part = block("pack.b.last"),
                         *NotRows = block("pack.b.other"),
                         *Cols = block("pack.b.cols"),
                         *Slow = block("pack.b.any"),
                         *Next = block("pack.b.next");
        B.CreateCondBr(B.CreateICmpEQ(CsB, B.getInt64(1)),
                       path(Paths.BRowsWhole || Paths.BRowsPart, Rows),
                       path(Paths.BCols || Paths.BAny, NotRows));
        B.SetInsertPoint(NotRows);
        B.CreateCondBr(B.CreateAnd(B.CreateICmpEQ(RsB, B.getInt64(1)),
                                   B.getInt1(Cfg.Lanes > 1)),
                       path(Paths.BCols, Cols), path(Paths.BAny, Slow));
        B.SetInsertPoint(Cols);
        packTransposedB(Dst, PC, Col, KCur, NRCur);
        B.CreateBr(Next);
        B.SetInsertPoint(Rows);
        B.CreateCondBr(B.CreateICmpEQ(NRCur, B.getInt64(NR)),
                       path(Paths.BRowsWhole, Fast),
                       path(Paths.BRowsPart, Part));
        // A row-major B: a row of the panel is NR (or, in the last panel,
        // NRCur) consecutive elements of a row of B.
        auto CopyRows = [&](bool Whole) {
          llvm::SmallVector<llvm::Value *, 2> Masks;
          if (!Whole)
            for (unsigned V = 0; V < Cfg.Vecs; ++V)
              Masks.push_back(laneMask(int64_t(V) * Cfg.Lanes, NRCur));
          emitLoop(
              B, KCur,
              [&](llvm::Value *P) {
                llvm::Value *Src = at(Bm, add(mul(add(PC, P), RsB), Col));
                llvm::Value *To = at(Dst, mul(P, B.getInt64(NR)));
                for (unsigned V = 0; V < Cfg.Vecs; ++V) {
                  llvm::Value *From = at(Src, V * Cfg.Lanes);
                  // The last panel: masked loads (zero past the last
                  // column), not the gathers the vectorizer makes of an
                  // element loop (a fifth of a 64 x 784 x 100 product).
                  llvm::Value *X =
                      Whole ? static_cast<llvm::Value *>(B.CreateAlignedLoad(
                                  VT, From, llvm::Align(ES)))
                            : B.CreateMaskedLoad(
                                  VT, From, llvm::Align(ES), Masks[V],
                                  llvm::ConstantAggregateZero::get(VT));
                  B.CreateAlignedStore(X, at(To, V * Cfg.Lanes),
                                       llvm::Align(ES));
                }
              },
              "p");
          B.CreateBr(Next);
        };
        // A whole panel that the tiles read in place (emitBlocked) is not
        // copied.
        B.SetInsertPoint(Fast);
        llvm::BasicBlock *Copy = block("pack.b.copy");
        B.CreateCondBr(BInPlace, Next, Copy);
        B.SetInsertPoint(Copy);
        CopyRows(true);
        B.SetInsertPoint(Part);
        CopyRows(false);
        // Other strides: element by element, reading a column that exists
        // and writing zero past the last one.
        B.SetInsertPoint(Slow);
        llvm::Value *LastCol = B.CreateSub(NRCur, B.getInt64(1));
        emitLoop(
            B, KCur,
            [&](llvm::Value *P) {
              llvm::Value *Row = mul(add(PC, P), RsB);
              emitLoop(
                  B, B.getInt64(NR),
                  [&](llvm::Value *J) {
                    llvm::Value *Src =
                        add(Row, mul(add(Col, smin(B, J, LastCol)), CsB));
                    llvm::Value *X = B.CreateSelect(
                        B.CreateICmpSLT(J, NRCur), B.CreateLoad(T, at(Bm, Src)),
                        llvm::ConstantFP::get(T, 0.0));
                    B.CreateStore(X, at(Dst, add(mul(P, B.getInt64(NR)), J)));
                  },
                  "j");
            },
            "p");
        B.CreateBr(Next);
        B.SetInsertPoint(Next);
      },
      "jr");
}

void GemmEmitter::packTransposedB(llvm::Value *Dst, llvm::Value *PC,
                                  llvm::Value *Col, llvm::Value *KCur,
                                  llvm::Value *NRCur) {
  // A column of B (RsB == 1: B is read transposed) has its elements of k
  // consecutive, while a row of the panel wants consecutive columns: blocks
  // of Lanes x Lanes are loaded a column at a time and transposed in
  // registers, rather than copied element by element with a stride.
  unsigned L = Cfg.Lanes;
  int64_t NR = Cfg.nr();
  llvm::Value *LastCol = B.CreateSub(NRCur, B.getInt64(1));
  llvm::Value *Zero = llvm::ConstantAggregateZero::get(VT);
  emitLoop(
      B, B.getInt64(0), KCur, L,
      [&](llvm::Value *K0) {
        llvm::Value *KLeft = B.CreateSub(KCur, K0);
        llvm::Value *KMask = laneMask(0, KLeft);
        llvm::Value *Row0 = add(PC, K0);
        for (unsigned V = 0; V < Cfg.Vecs; ++V) {
          // Column J of the panel, zero past the last one (a masked load
          // touches no memory where its mask is false).
          std::vector<llvm::Value *> Block;
          for (unsigned I = 0; I < L; ++I) {
            llvm::Value *J = B.getInt64(int64_t(V) * L + I);
            llvm::Value *Src =
                at(Bm, add(Row0, mul(add(Col, smin(B, J, LastCol)), CsB)));
            llvm::Value *Mask = B.CreateAnd(
                KMask, B.CreateVectorSplat(L, B.CreateICmpSLT(J, NRCur)));
            Block.push_back(
                B.CreateMaskedLoad(VT, Src, llvm::Align(ES), Mask, Zero));
          }
          transposeSquare(Block);
          // Row K0 + I of the panel, for the rows this block has.
          for (unsigned I = 0; I < L; ++I)
            B.CreateMaskedStore(
                Block[I],
                at(Dst, add(mul(add(K0, B.getInt64(I)), B.getInt64(NR)),
                            B.getInt64(int64_t(V) * L))),
                llvm::Align(ES),
                B.CreateVectorSplat(L, B.CreateICmpSLT(B.getInt64(I), KLeft)));
        }
      },
      "k0");
}

void GemmEmitter::packA(llvm::Value *IC, llvm::Value *PC, llvm::Value *MCur,
                        llvm::Value *KCur) {
  // Panels of Rows rows in column order: for a transposed A, the Rows
  // elements of a column are contiguous in A too.
  int64_t MR = Cfg.Rows;
  forBlocks(
      MCur, MR,
      [&](llvm::Value *IR, llvm::Value *MRCur) {
        llvm::Value *Panel = at(PackA, mul(IR, B.getInt64(Cfg.KC)));
        llvm::Value *Row0 = add(IC, IR);
        llvm::BasicBlock *Contig = block("pack.a.contig"),
                         *Any = block("pack.a.any"),
                         *Done = block("pack.a.panel");
        B.CreateCondBr(B.CreateICmpEQ(RsA, B.getInt64(1)),
                       path(Paths.ACopyContig, Contig),
                       path(Paths.ACopyAny, Any));
        B.SetInsertPoint(Contig);
        unsigned NV = (MR + Cfg.Lanes - 1) / Cfg.Lanes;
        llvm::SmallVector<llvm::Value *, 2> Masks;
        for (unsigned V = 0; V < NV; ++V)
          Masks.push_back(laneMask(int64_t(V) * Cfg.Lanes, MRCur));
        emitLoop(
            B, KCur,
            [&](llvm::Value *P) {
              llvm::Value *Src = at(A, add(Row0, mul(add(PC, P), CsA)));
              llvm::Value *Dst = at(Panel, mul(P, B.getInt64(MR)));
              for (unsigned V = 0; V < NV; ++V) {
                llvm::Value *X = B.CreateMaskedLoad(
                    VT, at(Src, V * Cfg.Lanes), llvm::Align(ES), Masks[V],
                    llvm::ConstantAggregateZero::get(VT));
                B.CreateMaskedStore(X, at(Dst, V * Cfg.Lanes), llvm::Align(ES),
                                    Masks[V]);
              }
            },
            "p");
        B.CreateBr(Done);
        B.SetInsertPoint(Any);
        emitLoop(
            B, KCur,
            [&](llvm::Value *P) {
              llvm::Value *Col = mul(add(PC, P), CsA);
              llvm::Value *Dst = at(Panel, mul(P, B.getInt64(MR)));
              emitLoop(
                  B, MRCur,
                  [&](llvm::Value *R) {
                    B.CreateStore(
                        B.CreateLoad(T,
                                     at(A, add(mul(add(Row0, R), RsA), Col))),
                        at(Dst, R));
                  },
                  "r");
            },
            "p");
        B.CreateBr(Done);
        B.SetInsertPoint(Done);
      },
      "ir");
}

void GemmEmitter::transposeInto(llvm::Value *Dst, llvm::Value *LdDst,
                                llvm::Value *Src, llvm::Value *LdSrc,
                                llvm::Value *Rows, llvm::Value *Cols) {
  unsigned L = Cfg.Lanes;
  llvm::Value *Zero = llvm::ConstantAggregateZero::get(VT);
  llvm::Value *LastRow = B.CreateSub(Rows, B.getInt64(1)),
              *LastCol = B.CreateSub(Cols, B.getInt64(1));
  emitLoop(
      B, B.getInt64(0), Cols, L,
      [&](llvm::Value *J0) {
        llvm::Value *ColsLeft = B.CreateSub(Cols, J0);
        llvm::Value *ColMask = laneMask(0, ColsLeft);
        emitLoop(
            B, B.getInt64(0), Rows, L,
            [&](llvm::Value *I0) {
              llvm::Value *RowsLeft = B.CreateSub(Rows, I0);
              llvm::Value *RowMask = laneMask(0, RowsLeft);
              // Row J0 + R of C^T: elements I0.. of it (a masked load
              // touches no memory where its mask is false; the address
              // stays inside C^T).
              std::vector<llvm::Value *> Block;
              for (unsigned R = 0; R < L; ++R) {
                llvm::Value *J = add(J0, B.getInt64(R));
                llvm::Value *Mask = B.CreateAnd(
                    RowMask, B.CreateVectorSplat(L, B.CreateICmpSLT(J, Cols)));
                Block.push_back(B.CreateMaskedLoad(
                    VT, at(Src, add(mul(smin(B, J, LastCol), LdSrc), I0)),
                    llvm::Align(ES), Mask, Zero));
              }
              transposeSquare(Block);
              for (unsigned R = 0; R < L; ++R) {
                llvm::Value *I = add(I0, B.getInt64(R));
                llvm::Value *Mask = B.CreateAnd(
                    ColMask, B.CreateVectorSplat(L, B.CreateICmpSLT(I, Rows)));
                B.CreateMaskedStore(
                    Block[R], at(Dst, add(mul(smin(B, I, LastRow), LdDst), J0)),
                    llvm::Align(ES), Mask);
              }
            },
            "t.i");
      },
      "t.j");
}
