//===- Gemm.h - The matrix-product kernel -----------------------*- C++ -*-===//
//
// Every floating-point matrix product of a module calls one kernel function
// per element type, emitted once into the module (so its code is compiled
// once, however many products the model has). Its design is the one of
// BLIS and OpenBLAS:
//
//  - B is copied, a block of KC rows by NC columns at a time, into panels
//    NR columns wide (zero-padded), laid out so the inner kernel reads one
//    row of a panel as NR / Lanes aligned vectors;
//  - a row-major A is read in place, a block of MC rows by KC columns at a
//    time (each tile's rows are streams the prefetcher follows); a
//    transposed A is copied into panels of MR rows in column order, so
//    that each step of k reads MR consecutive elements;
//  - the inner kernel keeps an MR x NR tile of C in vector registers while
//    it runs along k: each step loads a row of the B panel once and
//    multiplies it by MR broadcast elements of A.
//
// The shapes come from the target: the vector width and register count
// give MR and NR, the L1 and L2 sizes give KC and MC. Operands are read
// through row and column strides, so a transposed operand costs nothing
// more than a row-major one. Products with a few rows or a short k (outer
// products) skip the copies.
//
// With --threads=N, the rows of a large product are cut into N slices,
// each multiplied by the same kernel on a thread of the module's pool
// (ThreadPool.h), so results do not depend on N.
//
// Each element of C adds its products in order of k, starting from zero,
// whatever the blocking: with --fp-model=strict (separate multiply and add)
// the result is the naive loop's bit for bit on every target; by default
// each step is one fused multiply-add where the target has it.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_GEMM_H
#define NNC_LIB_CODEGEN_GEMM_H

#include "nnc/Support/ElementKind.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Target/TargetMachine.h"

namespace nnc::codegen {

/// What the target offers a kernel.
struct VectorUnit {
  unsigned Bits = 128;      ///< widest vector register
  unsigned Registers = 16;  ///< vector registers
  unsigned L1Bytes = 32768; ///< level-1 data cache
  unsigned L2Bytes = 262144;
};

/// The target's vector unit and caches, from LLVM's cost model for \p TM.
VectorUnit getVectorUnit(llvm::TargetMachine &TM, llvm::Module &LM);

/// The blocking of the kernel for one element type.
struct GemmConfig {
  unsigned Lanes = 4; ///< elements per vector
  unsigned Vecs = 2;  ///< vectors across a register tile: NR = Lanes * Vecs
  unsigned Rows = 6;  ///< MR, rows of a register tile
  int64_t KC = 256, MC = 96, NC = 4096;
  /// Products of at most this many rows, or of at most DirectDepth terms
  /// per element (an outer product), multiply straight from memory: each
  /// element of B is used too few times to repay a copy.
  int64_t DirectRows = 4, DirectDepth = 4;
  /// Threads a product's rows are shared among (`nnc --threads`); 1: the
  /// calling thread alone.
  unsigned Threads = 1;
  /// The fewest multiply-adds worth sharing: handing slices to the
  /// module's workers (ThreadPool.h) costs about a microsecond when they
  /// are awake, a few when they sleep; a million multiply-adds take some
  /// ten microseconds.
  int64_t ThreadedWork = int64_t(1) << 20;
  /// The fewest terms per element (K) worth sharing: with few, a slice
  /// is mostly the writing of its rows of C, which the next op (often on
  /// the calling thread's core) then reads from the other core's cache.
  /// dW1 = x^T dh of the MLP step at a batch of 16 (784x16x100) took the
  /// step from 69 to 99 us on two threads (docs/performance.md).
  int64_t ThreadedDepth = 64;
  /// The target's vector registers: a direct product holds up to
  /// Registers - 2 vectors (at most 8) of a row of C.
  unsigned Registers = 16;
  /// A product whose A is read transposed may be computed as its
  /// transpose, C^T = B^T A^T, when that pads fewer lanes (a vector runs
  /// along C's rows instead of its columns; Gemm.cpp, wantsTranspose): C^T
  /// goes to the scratch, at most this many elements (half of L2), and is
  /// transposed into C at the end.
  int64_t TransposedElements = 1 << 18;
  /// A row-major B is read in place, its whole panels not copied, by
  /// products of at most this many rows (GemmEmitter.cpp, emitBlocked).
  int64_t InPlaceBRows = 30;
  int64_t nr() const { return int64_t(Lanes) * Vecs; }
};

GemmConfig getGemmConfig(const VectorUnit &U, ElementKind K);

/// The module's kernel for float kind \p K, declared on first use and
/// defined by defineGemmFunctions:
///   void (i64 M, i64 N, i64 K, ptr A, i64 rsA, i64 csA,
///         ptr B, i64 rsB, i64 csB, ptr C, i64 ldc, ptr Scratch)
/// sets C[i*ldc + j] = sum over k of A[i*rsA + k*csA] * B[k*rsB + j*csB],
/// using Scratch (emitGemmScratchBytes bytes, 64-byte aligned) for the
/// copies. With Cfg.Threads > 1, the kernel that shares rows among threads
/// (getParallelGemm).
llvm::Function *getGemmFunction(llvm::Module &LM, ElementKind K,
                                const GemmConfig &Cfg, bool Contract);

/// Defines every kernel of \p LM that getGemmFunction declared, once the
/// module's calls are all emitted: a kernel holds only the paths its calls
/// can take, as their constant sizes and strides tell (a product whose k
/// is known to be short never needs the blocked path, one with a known N
/// only the panel widths N makes, one with a row-major B no copy of a
/// transposed one); the paths no call takes trap. The body depends on
/// getGemmConfig(U, K) alone (threads only change the caller,
/// getParallelGemm).
void defineGemmFunctions(llvm::Module &LM, const VectorUnit &U);
/// The kernel of \p Cfg.Threads threads around the one-thread \p Serial
/// (GemmThreads.cpp): same signature, same results bit for bit.
llvm::Function *getParallelGemm(llvm::Module &LM, llvm::Function *Serial,
                                const GemmConfig &Cfg, ElementKind K);

/// Whether a product multiplies straight from memory, with no copies and
/// no scratch (GemmConfig::DirectRows).
llvm::Value *isDirect(llvm::IRBuilderBase &B, const GemmConfig &C,
                      llvm::Value *M, llvm::Value *K);

/// The scratch bytes a product of an M x K and a K x N matrix needs, a
/// multiple of 64. \p CopiesA (i1): A is read through a column stride
/// other than 1 (transposed), so a block of it is copied; the kernel
/// decides the same from its csA argument.
llvm::Value *emitGemmScratchBytes(llvm::IRBuilderBase &B, const GemmConfig &Cfg,
                                  ElementKind K, llvm::Value *M,
                                  llvm::Value *N, llvm::Value *Inner,
                                  llvm::Value *CopiesA);

} // namespace nnc::codegen

#endif
