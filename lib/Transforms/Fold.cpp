//===- Fold.cpp - Constant folding of scalar ops --------------------------===//
//
// The simplifier's folds (Simplify.cpp, whose header says why each is
// exact): IEEE arithmetic in the operand's precision, integers wrapped to
// their width with the language's defined division, comparisons,
// conversions, clamp, and libm for the transcendental functions.
//
//===----------------------------------------------------------------------===//
#include "Fold.h"
#include "nnc/Support/Erf.h"
#include <cassert>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>

using namespace nnc;
using namespace nnc::folding;
using namespace nnc::ir;

int64_t folding::wrapInt(ElementKind K, int64_t V) {
  switch (K) {
  case ElementKind::I32:
    return static_cast<int32_t>(
        static_cast<uint32_t>(static_cast<uint64_t>(V)));
  case ElementKind::Bool:
    return V != 0;
  default:
    return V;
  }
}

double folding::roundFloat(ElementKind K, double V) {
  return K == ElementKind::F32 ? static_cast<double>(static_cast<float>(V)) : V;
}

static bool isF32(const Type &T) {
  return T.isScalar() && T.getElementKind() == ElementKind::F32;
}

template <typename T> static T foldFloatBinary(OpKind K, T A, T B) {
  switch (K) {
  case OpKind::Add:
    return A + B;
  case OpKind::Sub:
    return A - B;
  case OpKind::Mul:
    return A * B;
  case OpKind::Div:
    return A / B;
  case OpKind::Max:
    return A >= B ? A : B;
  case OpKind::Min:
    return A <= B ? A : B;
  case OpKind::Pow:
    return std::pow(A, B);
  // Element-wise ops and statistics (issue 12), as ScalarOps computes them.
  case OpKind::LeakyRelu:
    return A > T(0) ? A : B * A;
  case OpKind::Elu:
    return A > T(0) ? A : B * std::expm1(A);
  case OpKind::Maximum:
    return A >= B || std::isnan(A) ? A : B;
  case OpKind::Minimum:
    return A <= B || std::isnan(A) ? A : B;
  default:
    assert(false && "not a float binary op");
    return A;
  }
}

template <typename T> static T foldFloatUnary(OpKind K, T A) {
  switch (K) {
  case OpKind::Neg:
    return -A;
  case OpKind::Abs:
    return std::fabs(A);
  case OpKind::Exp:
    return std::exp(A);
  case OpKind::Log:
    return std::log(A);
  case OpKind::Sqrt:
    return std::sqrt(A);
  case OpKind::Tanh:
    return std::tanh(A);
  case OpKind::Sigmoid:
    return T(1) / (T(1) + std::exp(-A));
  case OpKind::Relu:
    return A > T(0) ? A : (std::isnan(A) ? A : T(0));
  case OpKind::Sin:
    return std::sin(A);
  case OpKind::Cos:
    return std::cos(A);
  case OpKind::Softplus:
    // log(1 + e^a) = max(a, 0) + log1p(e^-|a|), as ScalarOps computes it.
    return (A > T(0) ? A : T(0)) + std::log1p(std::exp(-std::fabs(A)));
  // Element-wise ops and statistics (issue 12), as ScalarOps computes them:
  // erf and gelu in f64 (nnc/Support/Erf.h), rounded once for f32.
  case OpKind::Erf:
    return static_cast<T>(erfPoly(static_cast<double>(A)));
  case OpKind::Gelu:
    return static_cast<T>(geluPoly(static_cast<double>(A)));
  case OpKind::Sign:
    return T(A > T(0)) - T(A < T(0));
  default:
    assert(false && "not a float unary op");
    return A;
  }
}

/// Integer arithmetic, wrapping at the width of \p K. Unsigned arithmetic
/// avoids C++ overflow UB; wrapInt brings the result back to the width.
static int64_t foldIntArith(OpKind K, ElementKind EK, int64_t A, int64_t B) {
  uint64_t UA = static_cast<uint64_t>(A), UB = static_cast<uint64_t>(B);
  switch (K) {
  case OpKind::Add:
    return wrapInt(EK, static_cast<int64_t>(UA + UB));
  case OpKind::Sub:
    return wrapInt(EK, static_cast<int64_t>(UA - UB));
  case OpKind::Mul:
    return wrapInt(EK, static_cast<int64_t>(UA * UB));
  case OpKind::Div:
    if (B == 0)
      return 0;
    if (B == -1) // INT_MIN / -1 wraps to INT_MIN, like the negation
      return wrapInt(EK, static_cast<int64_t>(0 - UA));
    return wrapInt(EK, A / B);
  case OpKind::Max:
    return A >= B ? A : B;
  case OpKind::Min:
    return A <= B ? A : B;
  case OpKind::Neg:
    return wrapInt(EK, static_cast<int64_t>(0 - UA));
  case OpKind::Abs:
    return A < 0 ? wrapInt(EK, static_cast<int64_t>(0 - UA)) : A;
  // Element-wise ops and statistics (issue 12).
  case OpKind::Sign:
    return (A > 0) - (A < 0);
  case OpKind::Maximum:
    return A >= B ? A : B;
  case OpKind::Minimum:
    return A <= B ? A : B;
  default:
    assert(false && "not an integer arithmetic op");
    return A;
  }
}

template <typename T> static bool foldCompare(OpKind K, T A, T B) {
  // C++'s operators are IEEE's: ordered, except != which is true for NaN.
  switch (K) {
  case OpKind::Lt:
    return A < B;
  case OpKind::Le:
    return A <= B;
  case OpKind::Gt:
    return A > B;
  case OpKind::Ge:
    return A >= B;
  case OpKind::Eq:
    return A == B;
  case OpKind::Ne:
    return A != B;
  default:
    assert(false && "not a comparison");
    return false;
  }
}

/// Float to integer: truncation toward zero, saturating at the target's
/// range; NaN gives 0.
static int64_t floatToInt(double X, ElementKind To) {
  if (std::isnan(X))
    return 0;
  double T = std::trunc(X);
  if (To == ElementKind::I32) {
    if (T <= -2147483648.0)
      return std::numeric_limits<int32_t>::min();
    if (T >= 2147483647.0)
      return std::numeric_limits<int32_t>::max();
    return static_cast<int64_t>(T);
  }
  // -2^63 and 2^63 are exact in double; every double strictly between them
  // converts.
  if (T <= -9223372036854775808.0)
    return std::numeric_limits<int64_t>::min();
  if (T >= 9223372036854775808.0)
    return std::numeric_limits<int64_t>::max();
  return static_cast<int64_t>(T);
}

static Scalar foldConvert(const Op &Src, ElementKind To) {
  Scalar R;
  const Type &From = Src.Ty;
  if (From.isFloat()) {
    double X = Src.FloatValue;
    if (isFloatKind(To))
      R.F = roundFloat(To, X);
    else if (To == ElementKind::Bool)
      R.I = X != 0; // NaN != 0
    else
      R.I = floatToInt(X, To);
    return R;
  }
  int64_t V = Src.IntValue; // int or bool
  if (To == ElementKind::F32)
    R.F = static_cast<double>(static_cast<float>(V)); // one rounding
  else if (To == ElementKind::F64)
    R.F = static_cast<double>(V);
  else
    R.I = wrapInt(To, V);
  return R;
}

/// clamp(x, lo, hi) as ScalarOps computes it: minimum(maximum(x, lo), hi)
/// with PyTorch's NaN-propagating maximum and minimum (issue 12).
static std::optional<Scalar> foldClamp(const Type &T,
                                       llvm::ArrayRef<const Op *> Args) {
  Scalar R;
  if (T.isFloat()) {
    auto Fold = [&](auto Tag) {
      using F = decltype(Tag);
      F X = static_cast<F>(Args[0]->FloatValue);
      F Lo = static_cast<F>(Args[1]->FloatValue);
      F Hi = static_cast<F>(Args[2]->FloatValue);
      F V = foldFloatBinary<F>(OpKind::Maximum, X, Lo);
      return static_cast<double>(foldFloatBinary<F>(OpKind::Minimum, V, Hi));
    };
    R.F = isF32(T) ? Fold(float()) : Fold(double());
    return R;
  }
  if (!T.isInt())
    return std::nullopt;
  int64_t X = Args[0]->IntValue, Lo = Args[1]->IntValue,
          Hi = Args[2]->IntValue;
  int64_t V = X >= Lo ? X : Lo;
  R.I = V <= Hi ? V : Hi;
  return R;
}

std::optional<Scalar> folding::foldOp(const Op &O,
                                      llvm::ArrayRef<const Op *> Args) {
  Scalar R;
  const Type &T = O.Ty;
  switch (getOpClass(O.Kind)) {
  case OpClass::Arith:
  case OpClass::Math:
    if (O.Kind == OpKind::Clamp)
      return foldClamp(T, Args);
    if (T.isFloat()) {
      bool Single = isF32(T);
      if (Args.size() == 2) {
        if (Single)
          R.F = foldFloatBinary<float>(O.Kind,
                                       static_cast<float>(Args[0]->FloatValue),
                                       static_cast<float>(Args[1]->FloatValue));
        else
          R.F = foldFloatBinary<double>(O.Kind, Args[0]->FloatValue,
                                        Args[1]->FloatValue);
      } else {
        if (Single)
          R.F = foldFloatUnary<float>(O.Kind,
                                      static_cast<float>(Args[0]->FloatValue));
        else
          R.F = foldFloatUnary<double>(O.Kind, Args[0]->FloatValue);
      }
      return R;
    }
    if (T.isInt()) {
      R.I = foldIntArith(O.Kind, T.getElementKind(), Args[0]->IntValue,
                         Args.size() == 2 ? Args[1]->IntValue : 0);
      return R;
    }
    return std::nullopt;
  case OpClass::Cmp:
    if (Args[0]->Ty.isFloat())
      R.I = isF32(Args[0]->Ty)
                ? foldCompare<float>(O.Kind,
                                     static_cast<float>(Args[0]->FloatValue),
                                     static_cast<float>(Args[1]->FloatValue))
                : foldCompare<double>(O.Kind, Args[0]->FloatValue,
                                      Args[1]->FloatValue);
    else
      R.I = foldCompare<int64_t>(O.Kind, Args[0]->IntValue, Args[1]->IntValue);
    return R;
  case OpClass::Logic:
    switch (O.Kind) {
    case OpKind::And:
      R.I = Args[0]->IntValue && Args[1]->IntValue;
      break;
    case OpKind::Or:
      R.I = Args[0]->IntValue || Args[1]->IntValue;
      break;
    case OpKind::Not:
      R.I = !Args[0]->IntValue;
      break;
    default:
      return std::nullopt;
    }
    return R;
  case OpClass::Other:
    if (O.Kind == OpKind::Convert && T.isScalar())
      return foldConvert(*Args[0], T.getElementKind());
    return std::nullopt;
  case OpClass::Leaf:
    return std::nullopt;
  }
  return std::nullopt;
}
