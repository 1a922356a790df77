//===- Gemm.cpp - The matrix-product kernel -------------------------------===//
//
// See Gemm.h for the design. This file holds the kernel's configuration
// for a target, the sizes of its scratch, the choice of the transposed
// product, and the kernel's declaration and definition. Its body is LLVM
// IR written with explicit vector types (GemmEmitter.h), so its speed does
// not hang on what the loop vectorizer makes of a scalar loop nest.
//
//===----------------------------------------------------------------------===//
#include "Gemm.h"
#include "GemmEmitter.h"
#include "GemmPaths.h"
#include "llvm/Analysis/TargetTransformInfo.h"
#include "llvm/MC/MCSubtargetInfo.h"
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
  // Each panel read by at most 5 register tiles of rows: the MLP's x @ W1
  // at B = 16 and 64 (W2: 0.86 and 0.95 of the step with the copy; B =
  // 256 read in place measured 1.02).
  C.InPlaceBRows = int64_t(C.Rows) * 5;
  return C;
}

/// Whether a product multiplies straight from memory (GemmConfig).
llvm::Value *codegen::isDirect(llvm::IRBuilderBase &B, const GemmConfig &C,
                               llvm::Value *M, llvm::Value *K) {
  return B.CreateOr(B.CreateICmpSLE(M, B.getInt64(C.DirectRows)),
                    B.CreateICmpSLE(K, B.getInt64(C.DirectDepth)));
}

llvm::Value *codegen::blockBytesOfA(llvm::IRBuilderBase &B, const GemmConfig &C,
                                    int64_t ES, llvm::Value *M) {
  llvm::Value *Rows = roundUp(B, smin(B, M, B.getInt64(C.MC)), C.Rows);
  return roundUp(B, B.CreateMul(Rows, B.getInt64(C.KC * ES)), 64);
}

llvm::Value *codegen::panelBytesOfB(llvm::IRBuilderBase &B, const GemmConfig &C,
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
  llvm::Value *Fits =
      B.CreateICmpSLE(B.CreateMul(M, N), B.getInt64(C.TransposedElements));
  llvm::Value *Fewer =
      B.CreateICmpSLT(B.CreateMul(B.CreateMul(N, Vectors(M)), B.getInt64(4)),
                      B.CreateMul(B.CreateMul(M, Vectors(N)), B.getInt64(3)));
  llvm::Value *Want =
      B.CreateAnd(B.CreateAnd(ATransposed, Fits),
                  B.CreateAnd(Fewer, B.CreateICmpSGE(K, B.getInt64(32))));
  if (hasColumnTiles(C))
    Want = B.CreateAnd(Want, B.CreateICmpSGT(N, B.getInt64(columnTileMax(C))));
  return Want;
}

llvm::Value *codegen::transposedCopyBytes(llvm::IRBuilderBase &B,
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
  // What the constants decide is left out here rather than to the
  // optimizer: a product's sizes are computed for every matmul of every
  // function and its workspace query, mostly with a constant A layout
  // and N (they were a sixth of the two-layer net's IR).
  auto *CopiesConst = llvm::dyn_cast<llvm::ConstantInt>(CopiesA);
  auto *NConst = llvm::dyn_cast<llvm::ConstantInt>(N);
  bool NeverCopies = CopiesConst && CopiesConst->isZero();
  llvm::Value *Total = panelBytesOfB(B, C, ES, N, Inner);
  if (!NeverCopies)
    Total = B.CreateAdd(
        B.CreateSelect(CopiesA, blockBytesOfA(B, C, ES, M), B.getInt64(0)),
        Total);
  // A product whose A is copied may be computed transposed
  // (wantsTranspose), and so may any slice of its rows that a thread
  // computes: C^T's rows are bounded by the rows that fit, whatever the
  // slice. Never one of at most columnTileMax columns.
  bool NeverTransposed = NeverCopies || C.Lanes < 2 ||
                         (hasColumnTiles(C) && NConst &&
                          NConst->getSExtValue() <= columnTileMax(C));
  if (NeverTransposed)
    return B.CreateSelect(
        isDirect(B, C, M, Inner), B.getInt64(0),
        B.CreateMul(Total, B.getInt64(std::max(1u, C.Threads))));
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
