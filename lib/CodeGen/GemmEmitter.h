//===- GemmEmitter.h - The emitter of the matrix kernel's IR ----*- C++ -*-===//
//
// The class that writes the kernel's body (Gemm.h) as LLVM IR, shared by the
// files that emit its parts: GemmEmitter.cpp (the entry, the direct path,
// the blocking loops and the choice of the transposed product),
// GemmPack.cpp (the copies of A and B into panels, the transposition of
// C^T), GemmTiles.cpp (register tiles) and GemmColumnTiles.cpp (column
// tiles for a last panel of few columns); and the scratch layout's sizes
// that Gemm.cpp and the emitter both compute.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_GEMMEMITTER_H
#define NNC_LIB_CODEGEN_GEMMEMITTER_H

#include "Gemm.h"
#include "GemmPaths.h"
#include "Loops.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include <vector>

namespace nnc::codegen {

inline llvm::Value *roundUp(llvm::IRBuilderBase &B, llvm::Value *V,
                            int64_t To) {
  return B.CreateMul(
      B.CreateSDiv(B.CreateAdd(V, B.getInt64(To - 1)), B.getInt64(To)),
      B.getInt64(To));
}

inline llvm::Value *smin(llvm::IRBuilderBase &B, llvm::Value *X,
                         llvm::Value *Y) {
  return B.CreateBinaryIntrinsic(llvm::Intrinsic::smin, X, Y);
}

/// Bytes of the copy of a block of A: its rows, rounded up to whole
/// register tiles, of KC elements each.
llvm::Value *blockBytesOfA(llvm::IRBuilderBase &B, const GemmConfig &C,
                           int64_t ES, llvm::Value *M);

/// Bytes of the panels of B: a block of at most KC rows of its columns,
/// rounded up to whole panels.
llvm::Value *panelBytesOfB(llvm::IRBuilderBase &B, const GemmConfig &C,
                           int64_t ES, llvm::Value *N, llvm::Value *Inner);

/// Bytes of the transposed product's copies (of B^T and A^T) before C^T in
/// the scratch.
llvm::Value *transposedCopyBytes(llvm::IRBuilderBase &B, const GemmConfig &C,
                                 int64_t ES, llvm::Value *M, llvm::Value *N,
                                 llvm::Value *Inner);

/// Where the tiles of a block of A are: the tile of rows IR starts at
/// Block + IR * TileStride, and its element (r, p) is r * RowStride +
/// p * ColStride further. A row-major A is read in place (strides rsA,
/// rsA, 1); a transposed one from its copy (KC, 1, MR). The strides are
/// values, so that one tile's code serves both (the remainder tiles; the
/// full tile has a copy for each, emitPanel).
struct PanelLayout {
  llvm::Value *Block, *TileStride, *RowStride, *ColStride;
};

/// Writes the body of one kernel (an element type, contracted or strict),
/// with only the paths \p Paths lets through.
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
                       llvm::Value *NRCur, llvm::Value *MCur, llvm::Value *KCur,
                       llvm::Value *First);
  /// C[r][c] (+)= sum over p < KCur of A[r][p] * B[p][c] for r < \p RowsV
  /// and c < \p ColsV <= \p Cols: a vector per column of C whose lanes are the
  /// rows, read from a panel of the copy of A (a step of k loads the tile's
  /// rows as one vector) and multiplied by one element of B per column. A panel
  /// of N = 100's last 4 columns costs 4 multiply-adds a step of k instead of a
  /// one-vector tile's 14 (one per row, 12 of 16 lanes wasted). With \p
  /// InPlace, A is row-major, read in place through \p RsA: the tile loads 16
  /// steps of k of each row and transposes them in registers (the last steps,
  /// fewer than a vector, are gathered).
  void emitColumnTile(unsigned Cols, llvm::Value *RowsV, llvm::Value *ColsV,
                      llvm::Value *APanel, llvm::Value *BPanel,
                      llvm::Value *KCur, llvm::Value *CTile, llvm::Value *First,
                      bool InPlace, llvm::Value *RsA);
  /// `for (I = 0; I < Count; ++I) Acc = Body(Begin + I * Step, Acc)`, the
  /// values \p Acc carried in registers; returns them after the loop.
  std::vector<llvm::Value *>
  emitAccLoop(llvm::Value *Begin, llvm::Value *Count, int64_t Step,
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
  /// Whether a row-major B's whole panels are read in place (emitBlocked).
  llvm::Value *BInPlace = nullptr;
  /// The distance between rows of the panel of B the register tiles read:
  /// NR in a copy, B's row stride in place (nullptr: NR).
  llvm::Value *BRowStride = nullptr;
};

} // namespace nnc::codegen

#endif
