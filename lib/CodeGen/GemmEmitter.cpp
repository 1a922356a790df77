//===- GemmEmitter.cpp - The matrix kernel: entry and blocking ------------===//
//
// The kernel's declaration and its body's outer structure (GemmEmitter.h):
// the choice between the direct path (a row of C in registers, B streamed
// from memory) and the blocked one; the blocked product run on its own
// shape or its transpose's; the loops over blocks of N, k and M, and each
// panel of B sent to register tiles (GemmTiles.cpp) or column tiles
// (GemmColumnTiles.cpp).
//
//===----------------------------------------------------------------------===//
#include "GemmEmitter.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"

using namespace nnc;
using namespace nnc::codegen;

llvm::Function *GemmEmitter::declare(llvm::StringRef Name) {
  llvm::Type *I64 = B.getInt64Ty(), *Ptr = B.getPtrTy();
  auto *FT = llvm::FunctionType::get(
      B.getVoidTy(),
      {I64, I64, I64, Ptr, I64, I64, Ptr, I64, I64, Ptr, I64, Ptr}, false);
  F = llvm::Function::Create(FT, llvm::GlobalValue::InternalLinkage, Name, LM);
  F->addFnAttr(llvm::Attribute::NoUnwind);
  F->addFnAttr(HandBuiltAttr);
  F->addFnAttr(llvm::Attribute::NoInline);
  F->addFnAttr("min-legal-vector-width", std::to_string(Cfg.Lanes * ES * 8));
  const char *Names[] = {"m", "n",   "k",   "a", "rsa", "csa",
                         "b", "rsb", "csb", "c", "ldc", "scratch"};
  for (unsigned I = 0; I < 12; ++I)
    F->getArg(I)->setName(Names[I]);
  // C and the scratch are written; nothing else may be seen through them.
  for (unsigned I : {3u, 6u}) {
    F->addParamAttr(I, llvm::Attribute::NoCapture);
    F->addParamAttr(I, llvm::Attribute::ReadOnly);
  }
  for (unsigned I : {9u, 11u}) {
    F->addParamAttr(I, llvm::Attribute::NoAlias);
    F->addParamAttr(I, llvm::Attribute::NoCapture);
  }
  return F;
}

void GemmEmitter::define(llvm::Function *Kernel) {
  F = Kernel;
  llvm::Value **Slots[] = {&M,  &N,   &K,   &A, &RsA, &CsA,
                           &Bm, &RsB, &CsB, &C, &Ldc, &Scratch};
  for (unsigned I = 0; I < 12; ++I)
    *Slots[I] = F->getArg(I);
  B.SetInsertPoint(block("entry"));
  llvm::BasicBlock *Direct = block("direct"), *Blocked = block("blocked");
  B.CreateCondBr(isDirect(B, Cfg, M, K), path(Paths.Direct, Direct),
                 path(Paths.Blocked, Blocked));
  B.SetInsertPoint(Direct);
  emitDirect();
  B.CreateRetVoid();
  B.SetInsertPoint(Blocked);
  emitBlockedEither();
  B.CreateRetVoid();
  // The paths no call takes: neither optimized nor compiled.
  llvm::EliminateUnreachableBlocks(*F);
}

void GemmEmitter::emitDirect() {
  // A row of C is held in registers, a chunk of up to DirectVecs vectors
  // at a time, while the rows of B stream past once: copying B would cost
  // as much as the product. B's rows must be contiguous for vector loads;
  // otherwise element by element.
  llvm::BasicBlock *Vector = block("direct.vector"),
                   *Scalar = block("direct.scalar"),
                   *Done = block("direct.done");
  B.CreateCondBr(B.CreateICmpEQ(CsB, B.getInt64(1)),
                 path(Paths.DirectVector, Vector),
                 path(Paths.DirectScalar, Scalar));
  B.SetInsertPoint(Vector);
  unsigned DV = directVecs(Cfg);
  int64_t Chunk = int64_t(DV) * Cfg.Lanes;
  emitLoop(B, M, [&](llvm::Value *I) {
    llvm::Value *RowC = at(C, mul(I, Ldc));
    llvm::Value *RowA = at(A, mul(I, RsA));
    forBlocks(
        N, Chunk,
        [&](llvm::Value *J, llvm::Value *Width) {
          llvm::Value *Vecs =
              B.CreateSDiv(B.CreateAdd(Width, B.getInt64(Cfg.Lanes - 1)),
                           B.getInt64(Cfg.Lanes));
          llvm::BasicBlock *Next = block("direct.next");
          llvm::SwitchInst *Sw = B.CreateSwitch(Vecs, Next, DV);
          for (unsigned V = 1; V <= DV; ++V) {
            llvm::BasicBlock *Case = block("direct.vecs");
            Sw->addCase(B.getInt64(V),
                        path(GemmPaths::has(Paths.ChunkVecs, V), Case));
            B.SetInsertPoint(Case);
            emitRowChunk(V, laneMask(int64_t(V - 1) * Cfg.Lanes, Width), RowA,
                         at(Bm, J), at(RowC, J));
            B.CreateBr(Next);
          }
          B.SetInsertPoint(Next);
        },
        "j");
  });
  B.CreateBr(Done);

  B.SetInsertPoint(Scalar);
  emitLoop(B, M, [&](llvm::Value *I) {
    llvm::Value *RowC = at(C, mul(I, Ldc));
    emitLoop(
        B, N,
        [&](llvm::Value *J) {
          B.CreateStore(llvm::ConstantFP::get(T, 0.0), at(RowC, J));
        },
        "j");
    emitLoop(
        B, K,
        [&](llvm::Value *P) {
          llvm::Value *X =
              B.CreateLoad(T, at(A, add(mul(I, RsA), mul(P, CsA))));
          llvm::Value *RowB = at(Bm, mul(P, RsB));
          emitLoop(
              B, N,
              [&](llvm::Value *J) {
                llvm::Value *Dst = at(RowC, J);
                llvm::Value *Y = B.CreateLoad(T, at(RowB, mul(J, CsB)));
                B.CreateStore(multiplyAdd(X, Y, B.CreateLoad(T, Dst)), Dst);
              },
              "j");
        },
        "p");
  });
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
}

void GemmEmitter::emitRowChunk(unsigned Vecs, llvm::Value *Mask,
                               llvm::Value *RowA, llvm::Value *BCol,
                               llvm::Value *CRow) {
  unsigned W = Cfg.Lanes;
  llvm::Align Al(ES);
  llvm::Value *Zero = llvm::ConstantAggregateZero::get(VT);
  auto Load = [&](llvm::Value *Ptr, unsigned V) -> llvm::Value * {
    if (V + 1 < Vecs)
      return B.CreateAlignedLoad(VT, at(Ptr, V * W), Al);
    return B.CreateMaskedLoad(VT, at(Ptr, V * W), Al, Mask, Zero);
  };
  llvm::BasicBlock *Pre = B.GetInsertBlock(), *Loop = block("row.k"),
                   *Store = block("row.store");
  B.CreateCondBr(B.CreateICmpSGT(K, B.getInt64(0)), Loop, Store);
  B.SetInsertPoint(Loop);
  llvm::PHINode *P = B.CreatePHI(B.getInt64Ty(), 2, "p");
  P->addIncoming(B.getInt64(0), Pre);
  std::vector<llvm::PHINode *> Acc;
  for (unsigned V = 0; V < Vecs; ++V) {
    Acc.push_back(B.CreatePHI(VT, 2, "acc"));
    Acc.back()->addIncoming(Zero, Pre);
  }
  llvm::Value *X =
      B.CreateVectorSplat(W, B.CreateLoad(T, at(RowA, mul(P, CsA))));
  llvm::Value *RowB = at(BCol, mul(P, RsB));
  std::vector<llvm::Value *> Next;
  for (unsigned V = 0; V < Vecs; ++V)
    Next.push_back(multiplyAdd(X, Load(RowB, V), Acc[V]));
  llvm::Value *PNext = add(P, B.getInt64(1));
  P->addIncoming(PNext, B.GetInsertBlock());
  for (unsigned V = 0; V < Vecs; ++V)
    Acc[V]->addIncoming(Next[V], B.GetInsertBlock());
  disableUnrolling(B.CreateCondBr(B.CreateICmpSLT(PNext, K), Loop, Store));
  B.SetInsertPoint(Store);
  std::vector<llvm::PHINode *> Sums;
  for (unsigned V = 0; V < Vecs; ++V) {
    Sums.push_back(B.CreatePHI(VT, 2, "sum"));
    Sums.back()->addIncoming(Zero, Pre);
    Sums.back()->addIncoming(Next[V], Loop);
  }
  for (unsigned V = 0; V < Vecs; ++V) {
    if (V + 1 < Vecs)
      B.CreateAlignedStore(Sums[V], at(CRow, V * W), Al);
    else
      B.CreateMaskedStore(Sums[V], at(CRow, V * W), Al, Mask);
  }
}

void GemmEmitter::emitBlockedEither() {
  GemmShape<llvm::Value *> S{M, N, K, RsA, CsA, RsB, CsB}, ST = S.transposed();
  llvm::Value *Swap = wantsTranspose(B, Cfg, S);
  Swap->setName("transposed");
  // When the module's calls take one shape only, the other traps here and
  // the rest is built for the one (the selects below fold).
  if (!Paths.Plain || !Paths.Transposed) {
    llvm::BasicBlock *Go = block("blocked.shape");
    B.CreateCondBr(Swap, path(Paths.Transposed, Go), path(Paths.Plain, Go));
    B.SetInsertPoint(Go);
    Swap = B.getInt1(!Paths.Plain);
  }
  // The transposed product is the same kernel on other arguments (one
  // copy of the code): M' = N, N' = M, A' = B^T, B' = A^T, into C^T, whose
  // rows are M rounded up to whole vectors. GemmPaths takes the paths of
  // the same shapes (GemmShape::transposed).
  llvm::Value *M0 = M, *N0 = N, *A0 = A, *B0 = Bm, *C0 = C, *Ldc0 = Ldc;
  llvm::Value *LdT = roundUp(B, M0, Cfg.Lanes);
  llvm::Value *CT =
      B.CreateInBoundsGEP(B.getInt8Ty(), Scratch,
                          transposedCopyBytes(B, Cfg, ES, M0, N0, K), "c.t");
  auto Pick = [&](llvm::Value *Straight, llvm::Value *Transposed) {
    return B.CreateSelect(Swap, Transposed, Straight);
  };
  M = Pick(S.M, ST.M);
  N = Pick(S.N, ST.N);
  RsA = Pick(S.RsA, ST.RsA);
  CsA = Pick(S.CsA, ST.CsA);
  RsB = Pick(S.RsB, ST.RsB);
  CsB = Pick(S.CsB, ST.CsB);
  A = Pick(A0, B0);
  Bm = Pick(B0, A0);
  C = Pick(C0, CT);
  Ldc = Pick(Ldc0, LdT);
  emitBlocked();
  if (Swap == B.getFalse())
    return;
  llvm::BasicBlock *Back = block("transpose.c"), *Done = block("done");
  B.CreateCondBr(Swap, Back, Done);
  B.SetInsertPoint(Back);
  transposeInto(C0, Ldc0, CT, LdT, M0, N0);
  B.CreateBr(Done);
  B.SetInsertPoint(Done);
}

void GemmEmitter::emitBlocked() {
  // K > DirectDepth here: every block of k has a term.
  PackA = Scratch;
  RowLayout = B.CreateICmpEQ(CsA, B.getInt64(1), "a.rows");
  // The copy of A, when there is one, comes first (emitGemmScratchBytes).
  PackB = B.CreateInBoundsGEP(
      B.getInt8Ty(), Scratch,
      B.CreateSelect(RowLayout, B.getInt64(0), blockBytesOfA(B, Cfg, ES, M)),
      "pack.b");
  int64_t NR = Cfg.nr();
  // A row-major B is read in place when few rows of A use each panel: its
  // copy would cost about what the tiles that read it do (the copy of
  // W1, 784 x 100, was a fifth of the MLP step at B = 16). Only whole
  // panels: a tile reads NR columns, zeros past the last in a copy.
  BInPlace =
      B.CreateAnd(B.CreateICmpEQ(CsB, B.getInt64(1)),
                  B.CreateICmpSLE(M, B.getInt64(Cfg.InPlaceBRows)), "b.rows");
  // Blocks of k and of rows of equal size (rows in whole tiles), rather
  // than full blocks and a small last one.
  auto Balance = [&](llvm::Value *Extent, int64_t Most, int64_t Multiple) {
    llvm::Value *Blocks = B.CreateSDiv(
        B.CreateAdd(Extent, B.getInt64(Most - 1)), B.getInt64(Most));
    llvm::Value *Size = B.CreateSDiv(
        B.CreateAdd(Extent, B.CreateSub(Blocks, B.getInt64(1))), Blocks);
    return std::make_pair(Blocks, roundUp(B, Size, Multiple));
  };
  auto [KBlocks, KStep] = Balance(K, Cfg.KC, 1);
  // Against A read in place, column tiles only for the last panel of a
  // product of whole panels too (N = 100's last 4 columns): their code,
  // which transposes A in registers, took more compile time than the
  // one-vector register tiles (a module of one B x 100 x 3 product: 67
  // against 55 ms), and a product of so few columns is a small one.
  llvm::Value *InPlaceLimit =
      B.CreateSelect(B.CreateICmpSGT(N, B.getInt64(NR)),
                     B.getInt64(InPlaceColumns), B.getInt64(0));
  auto [MBlocks, MStep] = Balance(M, Cfg.MC, Cfg.Rows);
  forBlocks(
      N, Cfg.NC,
      [&](llvm::Value *JC, llvm::Value *NCur) {
        emitLoop(
            B, KBlocks,
            [&](llvm::Value *KB) {
              llvm::Value *PC = mul(KB, KStep);
              llvm::Value *KCur = smin(B, KStep, B.CreateSub(K, PC));
              llvm::Value *First = B.CreateICmpEQ(PC, B.getInt64(0), "first");
              packB(PC, JC, KCur, NCur);
              emitLoop(
                  B, MBlocks,
                  [&](llvm::Value *MB) {
                    llvm::Value *IC = mul(MB, MStep);
                    llvm::Value *MCur = smin(B, MStep, B.CreateSub(M, IC));
                    // A row-major A is read in place: a tile's rows are
                    // streams the prefetcher follows, and copying them
                    // would cost more than it saves (about 6 % of the
                    // MLP step). A transposed A is copied so that each
                    // step of k reads MR consecutive elements.
                    llvm::BasicBlock *Copy = block("pack.a"),
                                     *Packed = block("pack.a.done");
                    B.CreateCondBr(RowLayout, path(Paths.AInPlace, Packed),
                                   path(Paths.ACopied, Copy));
                    B.SetInsertPoint(Copy);
                    packA(IC, PC, MCur, KCur);
                    B.CreateBr(Packed);
                    B.SetInsertPoint(Packed);
                    auto Pick = [&](llvm::Value *InPlace, llvm::Value *Copied) {
                      return B.CreateSelect(RowLayout, InPlace, Copied);
                    };
                    PanelLayout L{Pick(at(A, add(mul(IC, RsA), PC)), PackA),
                                  Pick(RsA, B.getInt64(Cfg.KC)),
                                  Pick(RsA, B.getInt64(1)),
                                  Pick(B.getInt64(1), B.getInt64(Cfg.Rows))};
                    llvm::Value *CBlock = at(C, add(mul(IC, Ldc), JC));
                    forBlocks(
                        NCur, NR,
                        [&](llvm::Value *JR, llvm::Value *NRCur) {
                          llvm::Value *BPanel = at(PackB, mul(JR, KCur));
                          llvm::Value *CCol = at(CBlock, JR);
                          // One case per number of vectors the panel's
                          // columns need.
                          llvm::BasicBlock *Next = block("panel.next");
                          llvm::Value *Vecs = B.CreateSDiv(
                              B.CreateAdd(NRCur, B.getInt64(Cfg.Lanes - 1)),
                              B.getInt64(Cfg.Lanes));
                          llvm::SwitchInst *Sw =
                              B.CreateSwitch(Vecs, Next, Cfg.Vecs);
                          for (unsigned V = 1; V <= Cfg.Vecs; ++V) {
                            llvm::BasicBlock *Case = block("vecs");
                            Sw->addCase(
                                B.getInt64(V),
                                path(GemmPaths::has(Paths.PanelVecs, V) ||
                                         (V == 1 && Paths.anyColumnTile()),
                                     Case));
                            B.SetInsertPoint(Case);
                            llvm::Value *Mask =
                                laneMask(int64_t(V - 1) * Cfg.Lanes, NRCur);
                            if (V == 1 && hasColumnTiles(Cfg)) {
                              // A panel of few columns: column tiles
                              // (emitColumnPanel).
                              llvm::BasicBlock *ByCols = block("panel.cols"),
                                               *ByRows = block("panel.rows");
                              B.CreateCondBr(
                                  B.CreateICmpSLE(
                                      NRCur,
                                      B.CreateSelect(
                                          RowLayout, InPlaceLimit,
                                          B.getInt64(columnTileMax(Cfg)))),
                                  path(Paths.anyColumnTile(), ByCols),
                                  path(GemmPaths::has(Paths.PanelVecs, 1),
                                       ByRows));
                              B.SetInsertPoint(ByCols);
                              emitColumnPanel(L, BPanel, CCol, NRCur, MCur,
                                              KCur, First);
                              B.CreateBr(Next);
                              B.SetInsertPoint(ByRows);
                            }
                            llvm::Value *PanelB = BPanel;
                            BRowStride = nullptr;
                            if (V == Cfg.Vecs) {
                              llvm::Value *InPlace = B.CreateAnd(
                                  BInPlace,
                                  B.CreateICmpEQ(NRCur, B.getInt64(NR)));
                              PanelB = B.CreateSelect(
                                  InPlace,
                                  at(Bm, add(mul(PC, RsB), add(JC, JR))),
                                  BPanel);
                              BRowStride =
                                  B.CreateSelect(InPlace, RsB, B.getInt64(NR));
                            }
                            emitPanel(L, V, Mask, PanelB, CCol, MCur, KCur,
                                      First);
                            BRowStride = nullptr;
                            B.CreateBr(Next);
                          }
                          B.SetInsertPoint(Next);
                        },
                        "jr");
                  },
                  "mb");
            },
            "kb");
      },
      "jc");
}
