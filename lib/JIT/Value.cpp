//===- Value.cpp - Printing REPL values -----------------------------------===//
#include "nnc/JIT/Value.h"
#include <algorithm>
#include <charconv>
#include <cmath>

using namespace nnc;
using namespace nnc::jit;

Value Value::scalar(Scalar S) {
  Value V;
  V.TheKind = ScalarValue;
  V.S = S;
  return V;
}

Value Value::tuple(std::vector<Value> Elements) {
  Value V;
  V.TheKind = TupleValue;
  V.Elements = std::move(Elements);
  return V;
}

Value Value::tensor(ElementKind Elem, std::vector<int64_t> Shape,
                    std::vector<Scalar> Elements) {
  Value V;
  V.TheKind = TensorValue;
  V.S.Kind = Elem;
  V.Shape = std::move(Shape);
  V.Data = std::move(Elements);
  return V;
}

std::string jit::formatScalar(const Scalar &S) {
  // NaN's sign bit says nothing a user can use (0/0 on x86 sets it, and
  // to_chars prints "-nan"); NumPy prints every NaN as "nan".
  if (isFloatKind(S.Kind) && std::isnan(S.Float))
    return "nan";
  char Buf[64];
  std::to_chars_result R;
  switch (S.Kind) {
  case ElementKind::Bool:
    return S.Int ? "true" : "false";
  case ElementKind::I32:
  case ElementKind::I64:
    R = std::to_chars(Buf, Buf + sizeof(Buf), S.Int);
    break;
  case ElementKind::F32:
    // The shortest digits for a float, not for the double it widens to.
    R = std::to_chars(Buf, Buf + sizeof(Buf), static_cast<float>(S.Float));
    break;
  case ElementKind::F64:
    R = std::to_chars(Buf, Buf + sizeof(Buf), S.Float);
    break;
  }
  return std::string(Buf, R.ptr);
}

namespace {

/// Prints one tensor the way NumPy's array2string does, with commas.
class TensorPrinter {
public:
  TensorPrinter(const Value &T, llvm::raw_ostream &OS,
                const PrintOptions &Opts)
      : T(T), OS(OS), Opts(Opts), Shape(T.getShape()) {
    Strides.assign(Shape.size(), 1);
    for (size_t I = Shape.size(); I-- > 1;)
      Strides[I - 1] = Strides[I] * Shape[I];
    size_t Size = T.getTensorData().size();
    Summarize = Size > Opts.Threshold;
  }

  void print() {
    if (Shape.empty()) { // a 0-d tensor is its one element
      if (!T.getTensorData().empty())
        OS << formatScalar(T.getTensorData()[0]);
      return;
    }
    // Every element shown has the width of the widest, as NumPy aligns
    // columns; the elided ones do not count.
    measure(0, 0);
    printAxis(0, 0);
  }

private:
  bool cut(size_t Axis) const {
    return Summarize && Shape[Axis] > static_cast<int64_t>(2 * Opts.EdgeItems);
  }

  /// The indices of axis \p Axis that are shown; -1 stands for `...`.
  std::vector<int64_t> shownIndices(size_t Axis) const {
    std::vector<int64_t> Out;
    int64_t N = Shape[Axis];
    if (!cut(Axis)) {
      for (int64_t I = 0; I < N; ++I)
        Out.push_back(I);
      return Out;
    }
    int64_t E = Opts.EdgeItems;
    for (int64_t I = 0; I < E; ++I)
      Out.push_back(I);
    Out.push_back(-1);
    for (int64_t I = N - E; I < N; ++I)
      Out.push_back(I);
    return Out;
  }

  void measure(size_t Axis, int64_t Offset) {
    for (int64_t I : shownIndices(Axis)) {
      if (I < 0)
        continue;
      int64_t At = Offset + I * Strides[Axis];
      if (Axis + 1 == Shape.size())
        Width = std::max(Width, formatScalar(T.getTensorData()[At]).size());
      else
        measure(Axis + 1, At);
    }
  }

  void printAxis(size_t Axis, int64_t Offset) {
    OS << '[';
    bool Last = Axis + 1 == Shape.size();
    // Rows of a deeper axis start on a new line under the first one's
    // bracket; a blank line separates blocks of 3-d and deeper tensors.
    std::string Sep = ",";
    if (Last) {
      Sep += ' ';
    } else {
      Sep += std::string(Shape.size() - Axis - 1, '\n');
      Sep += std::string(Axis + 1, ' ');
    }
    bool First = true;
    for (int64_t I : shownIndices(Axis)) {
      if (!First)
        OS << Sep;
      First = false;
      if (I < 0) {
        OS << "...";
        continue;
      }
      int64_t At = Offset + I * Strides[Axis];
      if (Last) {
        std::string S = formatScalar(T.getTensorData()[At]);
        OS.indent(Width - S.size()) << S;
      } else {
        printAxis(Axis + 1, At);
      }
    }
    OS << ']';
  }

  const Value &T;
  llvm::raw_ostream &OS;
  const PrintOptions &Opts;
  const std::vector<int64_t> &Shape;
  std::vector<int64_t> Strides;
  bool Summarize = false;
  size_t Width = 0;
};

} // namespace

void jit::printValue(const Value &V, llvm::raw_ostream &OS,
                     const PrintOptions &Opts) {
  switch (V.getKind()) {
  case Value::ScalarValue:
    OS << formatScalar(V.getScalar());
    return;
  case Value::TupleValue: {
    OS << '(';
    bool First = true;
    for (const Value &E : V.getElements()) {
      if (!First)
        OS << ", ";
      First = false;
      printValue(E, OS, Opts);
    }
    OS << ')';
    return;
  }
  case Value::TensorValue:
    TensorPrinter(V, OS, Opts).print();
    return;
  }
}

std::string jit::toString(const Value &V, const PrintOptions &Opts) {
  std::string S;
  llvm::raw_string_ostream OS(S);
  printValue(V, OS, Opts);
  return S;
}
