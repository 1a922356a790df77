//===- Gemm.cpp - The matrix-product kernel -------------------------------===//
//
// See Gemm.h for the design. The kernel is LLVM IR written here with
// explicit vector types, so its speed does not hang on what the loop
// vectorizer makes of a scalar loop nest.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "GemmPaths.h"
#include "Loops.h"
#include "nnc/CodeGen/CodeGen.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/Transforms/Utils/BasicBlockUtils.h"
#include <algorithm>

using namespace nnc;
using namespace nnc::codegen;

VectorUnit codegen::getVectorUnit(llvm::TargetMachine &TM, llvm::Module &LM) {
  // The cost model answers per function (a function may name its own CPU);
  // a scratch declaration stands for the module's functions, which all use
  // the target machine's defaults.
  llvm::Function *Probe = llvm::Function::Create(
      llvm::FunctionType::get(llvm::Type::getVoidTy(LM.getContext()), false),
      llvm::GlobalValue::PrivateLinkage, "nnc.vector.probe", LM);
  llvm::TargetTransformInfo TTI = TM.getTargetTransformInfo(*Probe);
  VectorUnit U;
  U.Bits = std::max<unsigned>(
      TTI.getRegisterBitWidth(llvm::TargetTransformInfo::RGK_FixedWidthVector)
          .getFixedValue(),
      32);
  // On Intel CPUs with AVX-512 the cost model gives the width the
  // vectorizers prefer, 256 bits. A kernel that keeps its tile in registers
  // for a whole product gains from the full width (it asks for it with
  // "min-legal-vector-width").
  if (TM.getTargetTriple().isX86() && TM.getMCSubtargetInfo() &&
      TM.getMCSubtargetInfo()->checkFeatures("+avx512f"))
    U.Bits = 512;
  U.Registers = std::max<unsigned>(
      TTI.getNumberOfRegisters(TTI.getRegisterClassForType(true)), 8);
  if (auto L1 = TTI.getCacheSize(llvm::TargetTransformInfo::CacheLevel::L1D))
    U.L1Bytes = *L1;
  if (auto L2 = TTI.getCacheSize(llvm::TargetTransformInfo::CacheLevel::L2D))
    U.L2Bytes = *L2;
  Probe->eraseFromParent();
  return U;
}

GemmConfig codegen::getGemmConfig(const VectorUnit &U, ElementKind K) {
  int64_t ES = getElementSize(K);
  GemmConfig C;
  C.Lanes = std::max<unsigned>(1, U.Bits / (8 * ES));
  C.Vecs = 2;
  C.Registers = U.Registers;
  // The tile, one row of the B panel and the broadcast element of A fill
  // the vector registers (14 x 2 vectors with 32 registers, 6 x 2 with 16).
  // At most 15 rows: remainders are cut into tiles of 8, 4, 2 and 1 rows.
  C.Rows = std::clamp<int>((int(U.Registers) - int(C.Vecs) - 1) / int(C.Vecs),
                           1, 15);
  // A panel of B (KC rows of NR) fills L1 and is reused by every tile of a
  // block of A; the block of A (MC rows of KC) takes half of L2.
  C.KC = std::clamp<int64_t>(U.L1Bytes / (C.nr() * ES), 64, 512) / 8 * 8;
  C.MC = std::max<int64_t>(C.Rows, int64_t(U.L2Bytes) / 2 / (C.KC * ES) /
                                       C.Rows * C.Rows);
  C.NC = (4096 + C.nr() - 1) / C.nr() * C.nr();
  C.TransposedElements = std::max<int64_t>(4096, int64_t(U.L2Bytes) / 2 / ES);
  return C;
}

static llvm::Value *roundUp(llvm::IRBuilderBase &B, llvm::Value *V,
                            int64_t To) {
  return B.CreateMul(
      B.CreateSDiv(B.CreateAdd(V, B.getInt64(To - 1)), B.getInt64(To)),
      B.getInt64(To));
}

static llvm::Value *smin(llvm::IRBuilderBase &B, llvm::Value *X,
                         llvm::Value *Y) {
  return B.CreateBinaryIntrinsic(llvm::Intrinsic::smin, X, Y);
}

/// Whether a product multiplies straight from memory (GemmConfig).
llvm::Value *codegen::isDirect(llvm::IRBuilderBase &B, const GemmConfig &C,
                               llvm::Value *M, llvm::Value *K) {
  return B.CreateOr(B.CreateICmpSLE(M, B.getInt64(C.DirectRows)),
                    B.CreateICmpSLE(K, B.getInt64(C.DirectDepth)));
}

/// Bytes of the copy of a block of A: its rows, rounded up to whole
/// register tiles, of KC elements each.
static llvm::Value *blockBytesOfA(llvm::IRBuilderBase &B, const GemmConfig &C,
                                  int64_t ES, llvm::Value *M) {
  llvm::Value *Rows = roundUp(B, smin(B, M, B.getInt64(C.MC)), C.Rows);
  return roundUp(B, B.CreateMul(Rows, B.getInt64(C.KC * ES)), 64);
}

/// Bytes of the panels of B: a block of at most KC rows of its columns,
/// rounded up to whole panels.
static llvm::Value *panelBytesOfB(llvm::IRBuilderBase &B, const GemmConfig &C,
                                  int64_t ES, llvm::Value *N,
                                  llvm::Value *Inner) {
  return roundUp(
      B,
      B.CreateMul(B.CreateMul(smin(B, Inner, B.getInt64(C.KC)),
                              roundUp(B, smin(B, N, B.getInt64(C.NC)), C.nr())),
                  B.getInt64(ES)),
      64);
}

/// Whether the kernel computes an M x N product as its transpose, C^T =
/// B^T A^T, into the scratch (GemmConfig::TransposedElements). The vectors
/// of a tile then run along C's rows instead of its columns: N = 10 pads a
/// row of C to 16 lanes (37 % of the multiply-adds wasted), while M = 100
/// rows are 7 vectors (dW2 = h^T dlogits of the MLP). Only when A is read
/// transposed (\p ATransposed): A^T, the transposed product's B, is then
/// row-major and copied as cheaply as B was, and B^T, its A, is copied as
/// A was; a row-major A would have to be transposed into the panels of B.
/// The transposition of C at the end and the scratch it passes through
/// cost about what a tenth of the lanes does (dW1 = x^T dh, N = 100 and
/// 784 rows, measured no faster transposed: docs/performance.md), so it
/// asks for a quarter fewer lanes, and enough terms per element. Not when
/// N is at most columnTileMax: the product is then one panel of column
/// tiles, whose vectors already run along C's rows (and a module whose
/// product has such an N and a k known only at run time, as the two-layer
/// net's h^T dlogits, compiles one shape's paths instead of both).
llvm::Value *codegen::wantsTranspose(llvm::IRBuilderBase &B,
                                     const GemmConfig &C,
                                     const GemmShape<llvm::Value *> &S) {
  if (C.Lanes < 2)
    return B.getFalse();
  llvm::Value *M = S.M, *N = S.N, *K = S.K, *One = B.getInt64(1);
  llvm::Value *ATransposed =
      B.CreateAnd(B.CreateICmpNE(S.CsA, One), B.CreateICmpEQ(S.RsA, One));
  auto Vectors = [&](llvm::Value *X) {
    return B.CreateSDiv(B.CreateAdd(X, B.getInt64(C.Lanes - 1)),
                        B.getInt64(C.Lanes));
  };
  llvm::Value *Fits = B.CreateICmpSLE(B.CreateMul(M, N),
                                      B.getInt64(C.TransposedElements));
  llvm::Value *Fewer = B.CreateICmpSLT(
      B.CreateMul(B.CreateMul(N, Vectors(M)), B.getInt64(4)),
      B.CreateMul(B.CreateMul(M, Vectors(N)), B.getInt64(3)));
  llvm::Value *Want =
      B.CreateAnd(B.CreateAnd(ATransposed, Fits),
                  B.CreateAnd(Fewer, B.CreateICmpSGE(K, B.getInt64(32))));
  if (hasColumnTiles(C))
    Want = B.CreateAnd(Want, B.CreateICmpSGT(N, B.getInt64(columnTileMax(C))));
  return Want;
}

/// Bytes of the transposed product's copies (of B^T and A^T) before C^T in
/// the scratch.
static llvm::Value *transposedCopyBytes(llvm::IRBuilderBase &B,
                                        const GemmConfig &C, int64_t ES,
                                        llvm::Value *M, llvm::Value *N,
                                        llvm::Value *Inner) {
  return B.CreateAdd(blockBytesOfA(B, C, ES, N),
                     panelBytesOfB(B, C, ES, M, Inner));
}

llvm::Value *codegen::emitGemmScratchBytes(llvm::IRBuilderBase &B,
                                           const GemmConfig &C, ElementKind K,
                                           llvm::Value *M, llvm::Value *N,
                                           llvm::Value *Inner,
                                           llvm::Value *CopiesA) {
  int64_t ES = getElementSize(K);
  llvm::Value *Total = B.CreateAdd(
      B.CreateSelect(CopiesA, blockBytesOfA(B, C, ES, M), B.getInt64(0)),
      panelBytesOfB(B, C, ES, N, Inner));
  // A product whose A is copied may be computed transposed
  // (wantsTranspose), and so may any slice of its rows that a thread
  // computes: C^T's rows are bounded by the rows that fit, whatever the
  // slice.
  llvm::Value *FitRows = B.CreateSDiv(
      B.getInt64(C.TransposedElements),
      B.CreateBinaryIntrinsic(llvm::Intrinsic::smax, N, B.getInt64(1)));
  llvm::Value *TBytes = roundUp(
      B,
      B.CreateMul(B.CreateMul(N, roundUp(B, smin(B, M, FitRows), C.Lanes)),
                  B.getInt64(ES)),
      64);
  Total = B.CreateSelect(
      CopiesA,
      B.CreateBinaryIntrinsic(
          llvm::Intrinsic::umax, Total,
          B.CreateAdd(transposedCopyBytes(B, C, ES, M, N, Inner), TBytes)),
      Total);
  // With threads, each has a scratch of its own (GemmThreads.cpp); a
  // thread's rows need at most what all of them would.
  Total = B.CreateMul(Total, B.getInt64(std::max(1u, C.Threads)));
  return B.CreateSelect(isDirect(B, C, M, Inner), B.getInt64(0), Total);
}

namespace {

/// Where the tiles of a block of A are: the tile of rows IR starts at
/// Block + IR * TileStride, and its element (r, p) is r * RowStride +
/// p * ColStride further. A row-major A is read in place (strides rsA,
/// rsA, 1); a transposed one from its copy (KC, 1, MR). The strides are
/// values, so that one tile's code serves both (the remainder tiles; the
/// full tile has a copy for each, emitPanel).
struct PanelLayout {
  llvm::Value *Block, *TileStride, *RowStride, *ColStride;
};

class GemmEmitter {
public:
  GemmEmitter(llvm::Module &LM, ElementKind K, const GemmConfig &Cfg,
              bool Contract, const GemmPaths &Paths = GemmPaths::all())
      : LM(LM), B(LM.getContext()), Cfg(Cfg), Contract(Contract), Paths(Paths),
        ES(getElementSize(K)) {
    T = K == ElementKind::F32 ? B.getFloatTy() : B.getDoubleTy();
    VT = llvm::FixedVectorType::get(T, Cfg.Lanes);
  }

  /// The kernel's declaration; define gives it its body.
  llvm::Function *declare(llvm::StringRef Name);
  void define(llvm::Function *Kernel);

private:
  void emitDirect();
  /// One row of C, \p Vecs vectors from \p CRow (the last masked by
  /// \p Mask), summed over k in registers.
  void emitRowChunk(unsigned Vecs, llvm::Value *Mask, llvm::Value *RowA,
                    llvm::Value *BCol, llvm::Value *CRow);
  /// The blocked product, or its transpose (wantsTranspose) followed by
  /// the transposition of C^T into C.
  void emitBlockedEither();
  void emitBlocked();
  /// C[i][j] = CT[j][i] for i < \p Rows, j < \p Cols, a square of
  /// Lanes x Lanes at a time, transposed in registers.
  void transposeInto(llvm::Value *Dst, llvm::Value *LdDst, llvm::Value *Src,
                     llvm::Value *LdSrc, llvm::Value *Rows, llvm::Value *Cols);
  void packB(llvm::Value *PC, llvm::Value *JC, llvm::Value *KCur,
             llvm::Value *NCur);
  /// Copies rows IC.. of a transposed A into panels of MR rows in column
  /// order.
  /// The panel at \p Dst from a B whose columns are contiguous (RsB == 1).
  void packTransposedB(llvm::Value *Dst, llvm::Value *PC, llvm::Value *Col,
                       llvm::Value *KCur, llvm::Value *NRCur);
  /// Transposes the square block whose rows are \p Rows, in place.
  void transposeSquare(std::vector<llvm::Value *> &Rows);
  void packA(llvm::Value *IC, llvm::Value *PC, llvm::Value *MCur,
             llvm::Value *KCur);
  /// The tiles of one panel of B (Vecs vectors wide, the last masked by
  /// \p Mask) against every row panel of the block of A.
  void emitPanel(PanelLayout L, unsigned Vecs, llvm::Value *Mask,
                 llvm::Value *BPanel, llvm::Value *CCol, llvm::Value *MCur,
                 llvm::Value *KCur, llvm::Value *First);
  /// The last panel of B, of few columns (columnTileMax(Cfg) against the copy
  /// of A, InPlaceColumns when A is read in place), against every row
  /// panel of the block of A: one column tile wide enough for NRCur (the
  /// panel is zero past its last column; those columns are not stored),
  /// rather than a tile per bit of NRCur, to keep the kernel's code small.
  void emitColumnPanel(PanelLayout L, llvm::Value *BPanel, llvm::Value *CCol,
                       llvm::Value *NRCur, llvm::Value *MCur,
                       llvm::Value *KCur, llvm::Value *First);
  /// C[r][c] (+)= sum over p < KCur of A[r][p] * B[p][c] for r < \p RowsV
  /// and c < \p ColsV <= \p Cols: a vector per column of C whose lanes are the rows,
  /// read from a panel of the copy of A (a step of k loads the tile's rows
  /// as one vector) and multiplied by one element of B per column. A
  /// panel of N = 100's last 4 columns costs 4 multiply-adds a step of k
  /// instead of a one-vector tile's 14 (one per row, 12 of 16 lanes
  /// wasted).
  /// With \p InPlace, A is row-major, read in place through \p RsA: the
  /// tile loads 16 steps of k of each row and transposes them in registers
  /// (the last steps, fewer than a vector, are gathered).
  void emitColumnTile(unsigned Cols, llvm::Value *RowsV, llvm::Value *ColsV,
                      llvm::Value *APanel, llvm::Value *BPanel,
                      llvm::Value *KCur,
                      llvm::Value *CTile, llvm::Value *First, bool InPlace,
                      llvm::Value *RsA);
  /// `for (I = 0; I < Count; ++I) Acc = Body(Begin + I * Step, Acc)`, the
  /// values \p Acc carried in registers; returns them after the loop.
  std::vector<llvm::Value *> emitAccLoop(
      llvm::Value *Begin, llvm::Value *Count, int64_t Step,
      std::vector<llvm::Value *> Acc,
      llvm::function_ref<std::vector<llvm::Value *>(
          llvm::Value *, llvm::ArrayRef<llvm::Value *>)>
          Body,
      const llvm::Twine &Name);
  /// C[r][v] (+)= sum over p < KCur of A[r][p] * B[p][v] for r < Rows and
  /// v < Vecs vectors, held in registers along p.
  void emitTile(unsigned Rows, unsigned Vecs, PanelLayout L,
                llvm::Value *APanel, llvm::Value *BPanel, llvm::Value *KCur,
                llvm::Value *CTile, llvm::Value *Mask, llvm::Value *First);

  llvm::Value *at(llvm::Value *Base, llvm::Value *Index) {
    return B.CreateInBoundsGEP(T, Base, Index);
  }
  llvm::Value *at(llvm::Value *Base, int64_t Index) {
    return at(Base, B.getInt64(Index));
  }
  /// `for (I = 0; I < End; I += Step) Body(I, min(Step, End - I))`: blocks
  /// of at most Step, the last one shorter.
  void forBlocks(llvm::Value *End, int64_t Step,
                 llvm::function_ref<void(llvm::Value *, llvm::Value *)> Body,
                 const llvm::Twine &Name) {
    emitLoop(
        B, B.getInt64(0), End, Step,
        [&](llvm::Value *I) {
          Body(I, smin(B, B.getInt64(Step), B.CreateSub(End, I)));
        },
        Name);
  }
  llvm::Value *mul(llvm::Value *X, llvm::Value *Y) {
    return B.CreateNSWMul(X, Y);
  }
  llvm::Value *add(llvm::Value *X, llvm::Value *Y) {
    return B.CreateNSWAdd(X, Y);
  }
  /// C + A * B, fused where the target can with --fp-model=contract.
  llvm::Value *multiplyAdd(llvm::Value *A, llvm::Value *Bv, llvm::Value *C) {
    if (Contract)
      return B.CreateIntrinsic(llvm::Intrinsic::fmuladd, {A->getType()},
                               {A, Bv, C});
    return B.CreateFAdd(C, B.CreateFMul(A, Bv));
  }
  /// Lanes of the vector starting at element \p First of a row that are
  /// before \p End.
  llvm::Value *laneMask(int64_t First, llvm::Value *End) {
    llvm::SmallVector<llvm::Constant *, 16> Idx;
    for (unsigned I = 0; I < Cfg.Lanes; ++I)
      Idx.push_back(B.getInt64(First + I));
    return B.CreateICmpSLT(llvm::ConstantVector::get(Idx),
                           B.CreateVectorSplat(Cfg.Lanes, End));
  }
  llvm::BasicBlock *block(const llvm::Twine &Name) {
    return llvm::BasicBlock::Create(B.getContext(), Name, F);
  }
  /// \p To if a call of the module may take that path (GemmPaths), else
  /// a trap: a wrong answer of GemmPaths stops the program rather than
  /// computing a wrong product. The path's code, still emitted, is then
  /// unreachable and removed (define).
  llvm::BasicBlock *path(bool Taken, llvm::BasicBlock *To) {
    if (Taken)
      return To;
    if (!NoPath) {
      llvm::IRBuilderBase::InsertPointGuard Guard(B);
      NoPath = block("no.path");
      B.SetInsertPoint(NoPath);
      B.CreateIntrinsic(llvm::Intrinsic::trap, {}, {});
      B.CreateUnreachable();
    }
    return NoPath;
  }

  llvm::Module &LM;
  llvm::IRBuilder<> B;
  GemmConfig Cfg;
  bool Contract;
  GemmPaths Paths;
  llvm::BasicBlock *NoPath = nullptr;
  int64_t ES;
  llvm::Type *T;
  llvm::FixedVectorType *VT;
  llvm::Function *F = nullptr;
  llvm::Value *M, *N, *K, *A, *RsA, *CsA, *Bm, *RsB, *CsB, *C, *Ldc, *Scratch;
  llvm::Value *PackA = nullptr, *PackB = nullptr;
  /// Whether A is read in place (row-major) rather than from its copy.
  llvm::Value *RowLayout = nullptr;
};

} // namespace

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
  llvm::Value *CT = B.CreateInBoundsGEP(
      B.getInt8Ty(), Scratch,
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
                    RowMask,
                    B.CreateVectorSplat(L, B.CreateICmpSLT(J, Cols)));
                Block.push_back(B.CreateMaskedLoad(
                    VT, at(Src, add(mul(smin(B, J, LastCol), LdSrc), I0)),
                    llvm::Align(ES), Mask, Zero));
              }
              transposeSquare(Block);
              for (unsigned R = 0; R < L; ++R) {
                llvm::Value *I = add(I0, B.getInt64(R));
                llvm::Value *Mask = B.CreateAnd(
                    ColMask,
                    B.CreateVectorSplat(L, B.CreateICmpSLT(I, Rows)));
                B.CreateMaskedStore(
                    Block[R], at(Dst, add(mul(smin(B, I, LastRow), LdDst), J0)),
                    llvm::Align(ES), Mask);
              }
            },
            "t.i");
      },
      "t.j");
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
                    PanelLayout L{
                        Pick(at(A, add(mul(IC, RsA), PC)), PackA),
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
                                          RowLayout,
                                          B.getInt64(InPlaceColumns),
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
                            emitPanel(L, V, Mask, BPanel, CCol, MCur, KCur,
                                      First);
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
        B.SetInsertPoint(Fast);
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
                KMask,
                B.CreateVectorSplat(L, B.CreateICmpSLT(J, NRCur)));
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
                B.CreateVectorSplat(
                    L, B.CreateICmpSLT(B.getInt64(I), KLeft)));
        }
      },
      "k0");
}

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
        B.CreateCondBr(RowLayout, path(Paths.AInPlace, InPlace),
                       path(Paths.ACopied, Copied));
        B.SetInsertPoint(InPlace);
        emitTile(MR, Vecs, {L.Block, L.TileStride, RsA, B.getInt64(1)},
                 APanel, BPanel, KCur, CTile, Mask, First);
        B.CreateBr(Next);
        B.SetInsertPoint(Copied);
        emitTile(MR, Vecs, {L.Block, L.TileStride, B.getInt64(1),
                            B.getInt64(MR)},
                 APanel, BPanel, KCur, CTile, Mask, First);
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
        emitColumnTile(unsigned(std::min<int64_t>(Wide, InPlaceColumns)),
                       MRCur, NRCur, APanel, BPanel, KCur, CTile, First, false,
                       RsA);
        B.CreateBr(Done);
        B.SetInsertPoint(Done);
      },
      "ir");
}

std::vector<llvm::Value *> GemmEmitter::emitAccLoop(
    llvm::Value *Begin, llvm::Value *Count, int64_t Step,
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
                                 llvm::Value *BPanel,
                                 llvm::Value *KCur, llvm::Value *CTile,
                                 llvm::Value *First, bool InPlace,
                                 llvm::Value *RsA) {
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
  llvm::Value *RowOffsets =
      B.CreateMul(Lanes, B.CreateVectorSplat(L, Ldc));
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
              VT, at(APanel, mul(P, B.getInt64(Cfg.Rows))), Al, RowMask,
              Zero);
          return Step(X, P, In);
        },
        "cols.k");
  } else {
    // L steps of k at a time: row r's L elements in one load (rows past
    // RowsV read the last row and are zeroed), transposed so that vector p holds
    // A[r][P + p] in lane r.
    llvm::Value *LastRow = B.CreateSub(RowsV, B.getInt64(1));
    llvm::Value *Chunks = B.CreateSDiv(KCur, B.getInt64(L));
    Acc = emitAccLoop(
        B.getInt64(0), Chunks, L, Acc,
        [&](llvm::Value *P0, llvm::ArrayRef<llvm::Value *> In) {
          std::vector<llvm::Value *> Rows;
          for (unsigned R = 0; R < L; ++R) {
            llvm::Value *Row = at(
                APanel, add(mul(smin(B, B.getInt64(R), LastRow), RsA), P0));
            llvm::Value *X = B.CreateAlignedLoad(VT, Row, Al);
            Rows.push_back(B.CreateSelect(
                B.CreateICmpSLT(B.getInt64(R), RowsV), X, Zero));
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
  llvm::Value *BRow = at(BPanel, mul(P, B.getInt64(Cfg.nr())));
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

llvm::Function *codegen::getGemmFunction(llvm::Module &LM, ElementKind K,
                                         const GemmConfig &Cfg, bool Contract) {
  std::string Name = std::string("nnc.gemm.") + getElementKindName(K).str() +
                     (Contract ? "" : ".strict");
  llvm::Function *Serial = LM.getFunction(Name);
  if (!Serial)
    Serial = GemmEmitter(LM, K, Cfg, Contract).declare(Name);
  if (Cfg.Threads <= 1)
    return Serial;
  return getParallelGemm(LM, Serial, Cfg, K);
}

void codegen::defineGemmFunctions(llvm::Module &LM, const VectorUnit &U) {
  for (ElementKind K : {ElementKind::F32, ElementKind::F64})
    for (bool Contract : {true, false}) {
      llvm::Function *F = LM.getFunction(std::string("nnc.gemm.") +
                                         getElementKindName(K).str() +
                                         (Contract ? "" : ".strict"));
      if (!F || !F->isDeclaration())
        continue;
      GemmConfig Cfg = getGemmConfig(U, K);
      GemmEmitter(LM, K, Cfg, Contract, GemmPaths::ofCalls(*F, Cfg)).define(F);
    }
}
