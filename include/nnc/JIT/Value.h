//===- Value.h - Values the REPL computes, and how they print ---*- C++ -*-===//
//
// A value is a scalar, a tuple of values or a tensor (an element kind, a
// shape and its elements in row-major order). The printer writes scalars
// with the fewest digits that read back exactly, tuples in parentheses and
// tensors as NumPy does: nested brackets, columns aligned, long axes cut to
// their first and last items around `...`.
//
//===----------------------------------------------------------------------===//
#ifndef NNC_JIT_VALUE_H
#define NNC_JIT_VALUE_H

#include "nnc/Support/ElementKind.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"
#include <cstdint>
#include <string>
#include <vector>

namespace nnc::jit {

/// One scalar of any element kind, held exactly: floats as doubles (an f32
/// converts to double without loss), integers and bools as int64_t.
struct Scalar {
  ElementKind Kind = ElementKind::F64;
  double Float = 0;
  int64_t Int = 0;

  static Scalar f64(double V) { return {ElementKind::F64, V, 0}; }
  static Scalar f32(float V) { return {ElementKind::F32, V, 0}; }
  static Scalar i64(int64_t V) { return {ElementKind::I64, 0, V}; }
  static Scalar i32(int32_t V) { return {ElementKind::I32, 0, V}; }
  static Scalar boolean(bool V) { return {ElementKind::Bool, 0, V}; }
};

class Value {
public:
  enum Kind { ScalarValue, TupleValue, TensorValue };

  static Value scalar(Scalar S);
  static Value tuple(std::vector<Value> Elements);
  /// A tensor of \p Shape; \p Elements, in row-major order, all have
  /// \p Elem's kind and number the product of the shape.
  static Value tensor(ElementKind Elem, std::vector<int64_t> Shape,
                      std::vector<Scalar> Elements);

  Kind getKind() const { return TheKind; }
  const Scalar &getScalar() const { return S; }
  const std::vector<Value> &getElements() const { return Elements; }
  ElementKind getTensorElementKind() const { return S.Kind; }
  const std::vector<int64_t> &getShape() const { return Shape; }
  const std::vector<Scalar> &getTensorData() const { return Data; }

private:
  Kind TheKind = ScalarValue;
  Scalar S;                  // a scalar; a tensor's element kind
  std::vector<Value> Elements;
  std::vector<int64_t> Shape;
  std::vector<Scalar> Data;
};

struct PrintOptions {
  /// A tensor with more elements than this is summarized (NumPy's
  /// threshold).
  size_t Threshold = 1000;
  /// Items kept at each end of a summarized axis (NumPy's edgeitems).
  size_t EdgeItems = 3;
  /// Lines of a tensor wrap before this many columns (NumPy's linewidth;
  /// nnc-repl gives the terminal's width).
  size_t LineWidth = 75;
};

/// How the floats of one tensor print, chosen from all of them as NumPy's
/// FloatingFormat does: positional (`[1. , 2.5]`, points aligned, at most
/// 8 digits after the point) or scientific (`[1.0e-05, 1.5e+00]`) when the
/// values span more than three decimal orders or pass 1e8.
class FloatFormat {
public:
  void fill(llvm::ArrayRef<double> Shown, bool IsF32);
  /// \p V padded to the common width.
  std::string format(double V) const;

private:
  bool IsF32 = false;
  bool Scientific = false;
  unsigned PadLeft = 0, PadRight = 0, Precision = 0, ExpDigits = 0;
};

/// The shortest spelling of \p S that reads back as the same value in its
/// own precision (`0.1` for an f32 0.1, not `0.100000001`), a float always
/// with a point or an exponent (`2.0`, `1e-05`) as Python's repr writes it;
/// `true`/`false`.
std::string formatScalar(const Scalar &S);

void printValue(const Value &V, llvm::raw_ostream &OS,
                const PrintOptions &Opts = {});
std::string toString(const Value &V, const PrintOptions &Opts = {});

} // namespace nnc::jit

#endif // NNC_JIT_VALUE_H
