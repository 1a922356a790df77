//===- Shape.h - Tensor shapes with symbolic dimensions ---------*- C++ -*-===//
//
// Shared by Sema, which checks shapes in the source, and the IR, which
// carries them: a dimension is a constant or a product of dimension
// variables bound when an entry point is called.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_SUPPORT_SHAPE_H
#define NNC_SUPPORT_SHAPE_H

#include "nnc/Support/ElementKind.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nnc {

/// One dimension of a tensor shape: a constant factor times a product of
/// dimension variables, kept in canonical form (variables sorted) so that
/// equal sizes compare equal: `3`, `n`, `2*B*n`. Variables are bound when an
/// entry point is called.
struct Dim {
  int64_t Factor = 1;
  llvm::SmallVector<std::string, 1> Vars;

  static Dim constant(int64_t N) { return Dim{N, {}}; }
  static Dim var(llvm::StringRef Name);
  bool isConstant() const { return Vars.empty(); }
  bool isOne() const { return Vars.empty() && Factor == 1; }
  /// False for a product that overflowed int64_t.
  bool isValid() const { return Factor >= 0; }
  Dim operator*(const Dim &O) const;
  bool operator==(const Dim &O) const {
    return Factor == O.Factor && Vars == O.Vars;
  }
  bool operator!=(const Dim &O) const { return !(*this == O); }
  void print(llvm::raw_ostream &OS) const;
  std::string str() const;
};

using Shape = std::vector<Dim>;
/// The number of elements of \p S, as a dimension.
Dim getNumElements(const Shape &S);
std::string shapeToString(const Shape &S);
/// The bytes a tensor of \p K elements and shape \p S takes: invalid
/// (isValid() false) when the count overflows int64_t, as for any product.
/// Every size a program can name must pass this test, at compile time
/// where the dimensions are constants and at run time otherwise, since
/// code indexes memory with byte offsets in int64_t.
Dim getByteSize(ElementKind K, const Shape &S);

/// Replaces dimension variables by dimensions, all at once (a callee's
/// variables become the caller's dimensions; a layer's arguments become
/// an instance's sizes).
using DimSubstitution = std::vector<std::pair<std::string, Dim>>;
Dim substitute(const Dim &D, const DimSubstitution &S);
Shape substitute(const Shape &S, const DimSubstitution &Sub);
/// Binds the plain-variable dimensions of \p Formal to those of \p Actual
/// (same rank required). Returns false on a conflicting binding; other
/// dimensions are for the caller to compare after substitution.
bool bindShape(const Shape &Formal, const Shape &Actual, DimSubstitution &S);

/// The sum of two dimensions when it is one (`2*n + n` is `3*n`, `3 + 4`
/// is `7`), or nullopt (`n + m`, `n + 1`, or an overflow): the size of a
/// concatenation (issue 12, tensorops).
std::optional<Dim> addDims(const Dim &A, const Dim &B);

/// The shape of `a @ b`, or nullopt when the shapes do not fit.
std::optional<Shape> getMatMulShape(const Shape &A, const Shape &B);
/// The NumPy broadcast of two shapes, or nullopt.
std::optional<Shape> getBroadcastShape(const Shape &A, const Shape &B);
/// Whether \p From broadcasts to \p To.
bool broadcastsTo(const Shape &From, const Shape &To);

} // namespace nnc

#endif // NNC_SUPPORT_SHAPE_H
