//===- GemmPaths.h - The kernel's paths a module's calls take -*- C++ -*-===//
//
// The matrix kernel (Gemm.h) is one function per element type with paths
// for every kind of product: direct products (few rows or a short k) in
// row chunks of 1 to 8 vectors, blocked ones with panels of 1 or more
// vectors or column tiles for a last panel of few columns, the product or
// its transpose, A read in place or copied, B copied from rows, from columns or
// element by element. Most products of a model have sizes and strides known
// at compile time (its feature sizes, which operand is transposed), and take
// a few of these paths. The kernel is defined once the module's calls are
// all emitted, with only the paths they can take: its code, and the time to
// compile it, shrink to what the model uses (docs/performance.md, "Compile
// time").
//
//===----------------------------------------------------------------------===//
#ifndef NNC_LIB_CODEGEN_GEMMPATHS_H
#define NNC_LIB_CODEGEN_GEMMPATHS_H

#include "Gemm.h"
#include "llvm/IR/InstrTypes.h"
#include <algorithm>
#include <cstdint>
#include <optional>

namespace nnc::codegen {

/// Vectors a row chunk of the direct path holds (at most 8, and two
/// registers are left for the row of B and the element of A).
inline unsigned directVecs(const GemmConfig &C) {
  return std::max(2u, std::min(8u, C.Registers - 2));
}

/// The most columns a last panel of B may have for column tiles against a
/// copy of A (GemmColumnTiles.cpp, emitColumnPanel), 0 for none: the tile's
/// rows must fit a vector, and its multiply-adds (one per column and step of k)
/// be at most three quarters of a one-vector tile's (one per row).
inline int64_t columnTileMax(const GemmConfig &C) {
  return C.Rows <= C.Lanes ? std::min<int64_t>(8, int64_t(C.Rows) * 3 / 4) : 0;
}

/// The most columns of a panel for column tiles when A is read in place:
/// each tile transposes A in registers, 4 shuffles a step of k, which
/// repays it for the last 4 columns of N = 100 (8 instructions a step of k
/// instead of 14 multiply-adds), not for more; and only on the last panel
/// of a product wider than one panel (GemmEmitter.cpp, emitBlocked).
constexpr int64_t InPlaceColumns = 4;

/// Whether the kernel has column tiles at all (columnTileMax).
inline bool hasColumnTiles(const GemmConfig &C) {
  return columnTileMax(C) >= InPlaceColumns;
}

/// The sizes and strides of a product (getGemmFunction's arguments but the
/// pointers and C's), as IR values in the kernel and as known constants
/// (or nullopt) in GemmPaths, so that both swap them the same way.
template <typename V> struct GemmShape {
  V M, N, K, RsA, CsA, RsB, CsB;
  /// The shape of the transposed product, C^T = B^T A^T: B^T is its A,
  /// A^T its B.
  GemmShape transposed() const { return {N, M, K, CsB, RsB, CsA, RsA}; }
};

/// Whether the kernel computes a blocked product as its transpose
/// (Gemm.cpp explains when): an i1. The kernel's decision, and GemmPaths'
/// once IRBuilder folds it on constant arguments, so the two cannot differ.
/// Reads M, N, K and A's strides only.
llvm::Value *wantsTranspose(llvm::IRBuilderBase &B, const GemmConfig &C,
                            const GemmShape<llvm::Value *> &S);

/// The paths through the kernel that calls can take. GemmEmitter emits
/// only these; a path no call can take traps, so that a wrong answer here
/// stops the program rather than computing a wrong product. A call whose
/// arguments are not constants may take any path.
struct GemmPaths {
  bool Direct = false, Blocked = false;
  /// The blocked path on the call's shape, or on its transpose's
  /// (wantsTranspose).
  bool Plain = false, Transposed = false;
  /// The direct path with rows of B contiguous (vector loads) or not.
  bool DirectVector = false, DirectScalar = false;
  /// Bit V: a chunk of a row of C of V vectors (direct path), a panel of
  /// B of V vectors computed by register tiles (blocked path).
  unsigned ChunkVecs = 0, PanelVecs = 0;
  /// Column tiles for a last panel of few columns: A read in place (at
  /// most InPlaceColumns), or copied (at most InPlaceColumns: narrow; at
  /// most columnTileMax: wide).
  bool ColsInPlace = false, ColsNarrow = false, ColsWide = false;
  /// Register tiles (a panel of B not taken by column tiles) with A read
  /// in place or copied: the full tile has a copy for each.
  bool RowsInPlace = false, RowsCopied = false;
  /// A read in place or copied, and its copy's two loops (a column of A
  /// contiguous, or not).
  bool AInPlace = false, ACopied = false, ACopyContig = false, ACopyAny = false;
  /// B's panels copied from rows (whole panels, a last partial one), from
  /// columns, or element by element.
  bool BRowsWhole = false, BRowsPart = false, BCols = false, BAny = false;

  /// Every path: the kernel as it is without any knowledge of its calls.
  static GemmPaths all();
  /// The paths of the calls of \p Kernel (a use that is not a call of it:
  /// every path).
  static GemmPaths ofCalls(const llvm::Function &Kernel, const GemmConfig &Cfg);
  static bool has(unsigned Bits, unsigned V) { return (Bits >> V) & 1; }
  bool anyColumnTile() const { return ColsInPlace || ColsNarrow || ColsWide; }
  /// Adds the paths of one call (arguments in getGemmFunction's order).
  void addCall(const llvm::CallBase &Call, const GemmConfig &Cfg);

private:
  /// Adds the paths of the blocked product of shape \p S (the call's, or
  /// its transpose's).
  void addBlocked(const GemmShape<std::optional<int64_t>> &S,
                  const GemmConfig &Cfg);
};

} // namespace nnc::codegen

#endif
