//===- Value.cpp - Printing REPL values -----------------------------------===//
#include "nnc/JIT/Value.h"
#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

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

/// \p V with the fewest digits that read back as the same value in its own
/// precision, in \p Fmt; with \p Precision >= 0, rounded to that many
/// digits after the point instead.
static std::string toChars(double V, bool IsF32, std::chars_format Fmt,
                           int Precision = -1) {
  char Buf[512];
  std::to_chars_result R;
  if (IsF32)
    R = Precision < 0 ? std::to_chars(Buf, Buf + sizeof(Buf),
                                      static_cast<float>(V), Fmt)
                      : std::to_chars(Buf, Buf + sizeof(Buf),
                                      static_cast<float>(V), Fmt, Precision);
  else
    R = Precision < 0 ? std::to_chars(Buf, Buf + sizeof(Buf), V, Fmt)
                      : std::to_chars(Buf, Buf + sizeof(Buf), V, Fmt,
                                      Precision);
  return std::string(Buf, R.ptr);
}

/// NaN's sign bit says nothing a user can use (0/0 on x86 sets it, and
/// to_chars prints "-nan"); NumPy prints every NaN as "nan".
static std::string formatNonFinite(double V) {
  if (std::isnan(V))
    return "nan";
  return V < 0 ? "-inf" : "inf";
}

/// A float scalar as Python's repr and NumPy print it: the shortest
/// digits, always with a point or an exponent (`2.0`, so an f64 2 never
/// reads as the i64 2), in scientific notation below 1e-4 and from 1e16.
static std::string formatFloatScalar(double V, bool IsF32) {
  if (!std::isfinite(V))
    return formatNonFinite(V);
  std::string Sci = toChars(V, IsF32, std::chars_format::scientific);
  int Exp = std::atoi(Sci.c_str() + Sci.find('e') + 1);
  if (Exp < -4 || Exp >= 16)
    return Sci;
  std::string Fixed = toChars(V, IsF32, std::chars_format::fixed);
  if (Fixed.find('.') == std::string::npos)
    Fixed += ".0";
  return Fixed;
}

std::string jit::formatScalar(const Scalar &S) {
  switch (S.Kind) {
  case ElementKind::Bool:
    return S.Int ? "true" : "false";
  case ElementKind::I32:
  case ElementKind::I64:
    return std::to_string(S.Int);
  case ElementKind::F32:
  case ElementKind::F64:
    return formatFloatScalar(S.Float, S.Kind == ElementKind::F32);
  }
  return "";
}

namespace {

/// Drops the zeros that end a fraction ("0.30000000" -> "0.3", "2.000" ->
/// "2.").
void trimFraction(std::string &S) {
  if (S.find('.') == std::string::npos)
    return;
  while (S.back() == '0')
    S.pop_back();
}

/// The digits of one float of a tensor, as NumPy's dragon4 gives them with
/// unique=True, precision=8, trim='.': the shortest digits, rounded to 8
/// after the point if longer; the point always shown.
struct FloatParts {
  std::string Int, Frac;
  int Exp = 0;
};

FloatParts positionalParts(double V, bool IsF32) {
  std::string S = toChars(V, IsF32, std::chars_format::fixed);
  size_t Dot = S.find('.');
  if (Dot != std::string::npos && S.size() - Dot - 1 > 8) {
    S = toChars(V, IsF32, std::chars_format::fixed, 8);
    trimFraction(S);
    Dot = S.find('.');
  }
  if (Dot == std::string::npos)
    return {S, "", 0};
  return {S.substr(0, Dot), S.substr(Dot + 1), 0};
}

FloatParts scientificParts(double V, bool IsF32) {
  std::string S = toChars(V, IsF32, std::chars_format::scientific);
  size_t E = S.find('e');
  size_t Dot = S.find('.');
  if (Dot != std::string::npos && E - Dot - 1 > 8) {
    S = toChars(V, IsF32, std::chars_format::scientific, 8);
    E = S.find('e');
    std::string Mantissa = S.substr(0, E);
    trimFraction(Mantissa);
    S = Mantissa + S.substr(E);
    E = S.find('e');
    Dot = S.find('.');
  }
  FloatParts P;
  P.Exp = std::atoi(S.c_str() + E + 1);
  if (Dot == std::string::npos || Dot > E) {
    P.Int = S.substr(0, E);
  } else {
    P.Int = S.substr(0, Dot);
    P.Frac = S.substr(Dot + 1, E - Dot - 1);
  }
  return P;
}

unsigned countDigits(int Exp) {
  return std::to_string(Exp < 0 ? -static_cast<int64_t>(Exp) : Exp).size();
}

} // namespace

void FloatFormat::fill(llvm::ArrayRef<double> Shown, bool F32) {
  *this = FloatFormat();
  IsF32 = F32;
  double Max = 0, Min = std::numeric_limits<double>::infinity();
  bool AnyFinite = false, NegInf = false, NonFinite = false;
  for (double V : Shown) {
    if (!std::isfinite(V)) {
      NonFinite = true;
      NegInf |= std::isinf(V) && V < 0;
      continue;
    }
    AnyFinite = true;
    double A = std::fabs(V);
    if (A != 0) {
      Max = std::max(Max, A);
      Min = std::min(Min, A);
    }
  }
  // NumPy's choice: scientific when the values span more than three
  // decimal orders, or are very large or very small.
  Scientific =
      Max != 0 && (Max >= 1e8 || Min < 1e-4 || Max / Min > 1000.0);
  if (Scientific)
    ExpDigits = 2; // "e+05", as NumPy and C write exponents
  if (AnyFinite) {
    for (double V : Shown) {
      if (!std::isfinite(V))
        continue;
      FloatParts P = Scientific ? scientificParts(V, IsF32)
                                : positionalParts(V, IsF32);
      PadLeft = std::max<unsigned>(PadLeft, P.Int.size());
      PadRight = std::max<unsigned>(PadRight, P.Frac.size());
      if (Scientific)
        ExpDigits = std::max(ExpDigits, countDigits(P.Exp));
    }
  }
  if (Scientific) {
    Precision = PadRight;
    // Only needed to fit 'nan' and 'inf': the mantissa's fraction and
    // "e+NN".
    PadRight = ExpDigits + 2 + Precision;
  }
  if (NonFinite) {
    unsigned Offset = PadRight + 1;
    unsigned Inf = NegInf ? 4 : 3;
    PadLeft = std::max(PadLeft, Offset >= 3 ? 0 : 3 - Offset);
    PadLeft = std::max(PadLeft, Offset >= Inf ? 0 : Inf - Offset);
  }
}

std::string FloatFormat::format(double V) const {
  if (!std::isfinite(V)) {
    std::string S = formatNonFinite(V);
    size_t Width = PadLeft + PadRight + 1;
    return std::string(Width > S.size() ? Width - S.size() : 0, ' ') + S;
  }
  if (Scientific) {
    FloatParts P = scientificParts(V, IsF32);
    std::string Exp = std::to_string(P.Exp < 0 ? -static_cast<int64_t>(P.Exp)
                                               : P.Exp);
    std::string Out(PadLeft > P.Int.size() ? PadLeft - P.Int.size() : 0,
                    ' ');
    Out += P.Int + "." + P.Frac;
    Out.append(Precision > P.Frac.size() ? Precision - P.Frac.size() : 0,
               '0');
    Out += P.Exp < 0 ? "e-" : "e+";
    Out.append(ExpDigits > Exp.size() ? ExpDigits - Exp.size() : 0, '0');
    return Out + Exp;
  }
  FloatParts P = positionalParts(V, IsF32);
  std::string Out(PadLeft > P.Int.size() ? PadLeft - P.Int.size() : 0, ' ');
  Out += P.Int + "." + P.Frac;
  Out.append(PadRight > P.Frac.size() ? PadRight - P.Frac.size() : 0, ' ');
  return Out;
}

namespace {

/// Prints one tensor the way NumPy's array2string does, with commas:
/// its _formatArray, line wrapping included.
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
    IsFloat = isFloatKind(T.getTensorElementKind());
  }

  void print() {
    if (Shape.empty()) { // a 0-d tensor is its one element
      if (!T.getTensorData().empty())
        OS << formatScalar(T.getTensorData()[0]);
      return;
    }
    // Every element shown has the width of the widest, as NumPy aligns
    // columns; the elided ones do not count. Floats share one format,
    // chosen from the values shown.
    if (IsFloat) {
      std::vector<double> Shown;
      collect(0, 0, Shown);
      Floats.fill(Shown, T.getTensorElementKind() == ElementKind::F32);
    } else {
      measure(0, 0);
    }
    OS << recurse(0, 0, " ", static_cast<int64_t>(Opts.LineWidth));
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

  void collect(size_t Axis, int64_t Offset, std::vector<double> &Out) {
    for (int64_t I : shownIndices(Axis)) {
      if (I < 0)
        continue;
      int64_t At = Offset + I * Strides[Axis];
      if (Axis + 1 == Shape.size())
        Out.push_back(T.getTensorData()[At].Float);
      else
        collect(Axis + 1, At, Out);
    }
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

  std::string element(int64_t At) const {
    const Scalar &S = T.getTensorData()[At];
    if (IsFloat)
      return Floats.format(S.Float);
    std::string Str = formatScalar(S);
    return std::string(Width - Str.size(), ' ') + Str;
  }

  /// NumPy's _extendLine: a word that would pass \p LineWidth starts a new
  /// line, unless the line holds nothing yet.
  static void extendLine(std::string &S, std::string &Line,
                         const std::string &Word, int64_t LineWidth,
                         const std::string &Prefix) {
    bool Wrap = static_cast<int64_t>(Line.size() + Word.size()) > LineWidth &&
                Line.size() > Prefix.size();
    if (Wrap) {
      size_t End = Line.find_last_not_of(' ');
      S += Line.substr(0, End == std::string::npos ? 0 : End + 1);
      S += '\n';
      Line = Prefix;
    }
    Line += Word;
  }

  /// NumPy's recurser: axis \p Axis at \p Offset, its later lines indented
  /// by \p Hanging, in \p CurWidth columns.
  std::string recurse(size_t Axis, int64_t Offset, const std::string &Hanging,
                      int64_t CurWidth) {
    std::string NextHanging = Hanging + ' ';
    int64_t NextWidth = CurWidth - 1; // for the ']'
    std::vector<int64_t> Shown = shownIndices(Axis);
    std::string S;
    if (Axis + 1 == Shape.size()) {
      // Room for the ',' or the ']' after each element.
      int64_t ElemWidth = CurWidth - 1;
      std::string Line = Hanging;
      for (size_t K = 0; K < Shown.size(); ++K) {
        std::string Word =
            Shown[K] < 0 ? "..." : element(Offset + Shown[K] * Strides[Axis]);
        extendLine(S, Line, Word, ElemWidth, Hanging);
        if (K + 1 < Shown.size())
          Line += ", ";
      }
      S += Line;
    } else {
      // A blank line between the blocks of 3-d and deeper tensors.
      std::string LineSep = "," + std::string(Shape.size() - Axis - 1, '\n');
      for (size_t K = 0; K < Shown.size(); ++K) {
        S += Hanging;
        if (Shown[K] < 0)
          S += "...";
        else
          S += recurse(Axis + 1, Offset + Shown[K] * Strides[Axis],
                       NextHanging, NextWidth);
        if (K + 1 < Shown.size())
          S += LineSep;
      }
    }
    return "[" + S.substr(Hanging.size()) + "]";
  }

  const Value &T;
  llvm::raw_ostream &OS;
  const PrintOptions &Opts;
  const std::vector<int64_t> &Shape;
  std::vector<int64_t> Strides;
  bool Summarize = false;
  bool IsFloat = false;
  FloatFormat Floats;
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
