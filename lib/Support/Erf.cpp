//===- Erf.cpp - erf and gelu by polynomials ------------------------------===//
//
// The C++ twin of lib/CodeGen/ScalarErf.cpp: the same operations in the same
// order, each rounded on its own, so constant folding gives the generated
// code's bits.
//
//===----------------------------------------------------------------------===//
#include "nnc/Support/Erf.h"
#include <bit>
#include <cmath>
#include <cstdint>

using namespace nnc;
using namespace nnc::erfpoly;

template <unsigned N> static double horner(const double (&C)[N], double X) {
  double R = C[0];
  for (unsigned I = 1; I < N; ++I) {
    double P = R * X;
    R = P + C[I];
  }
  return R;
}

namespace {
/// For T = |x| >= 0: T + T P(T^2) (erf(T) when T < 1) and Exp R(T), where
/// Exp is e^(-T^2) (erfc(T) when T >= 1). NaN reaches the tail through Exp.
struct Parts {
  double Small, Tail;
  bool IsSmall;
};
} // namespace

static Parts parts(double T, double T2, double Exp) {
  double P = T * horner(SmallPoly, T2);
  double S = T + P;
  unsigned K = T < TailSplit[0]   ? 0
               : T < TailSplit[1] ? 1
               : T < TailSplit[2] ? 2
                                  : 3;
  double U = 1.0 / T;
  double R = horner(TailPoly[K], (K == 3 ? U : T) - TailCenter[K]);
  if (K == 3)
    R = R * U;
  double E = Exp * R;
  return {S, E, T < 1.0};
}

double nnc::erfPoly(double X) {
  double T = std::fabs(X);
  double T2 = T * T;
  Parts P = parts(T, T2, std::exp(-T2));
  double A = P.IsSmall ? P.Small : 1.0 - P.Tail;
  return std::copysign(A, X);
}

/// e^(-x^2 / 2), with x^2 split as SplitMask says.
static double expHalfSquare(double X) {
  double Hi = std::bit_cast<double>(std::bit_cast<uint64_t>(X) & SplitMask);
  double Lo = X - Hi;
  double A = Hi * Hi;
  double HA = A * 0.5;
  double S = X + Hi;
  double LS = Lo * S;
  // NaN for an infinite x, where e^(-x^2 / 2) = e^(-Hi^2 / 2) = 0 already.
  double B = LS == LS ? LS : 0.0;
  double HB = B * 0.5;
  return std::exp(-HA) * std::exp(-HB);
}

double nnc::geluPoly(double X) {
  double Z = X * InvSqrt2;
  double T = std::fabs(Z);
  double T2 = T * T;
  Parts P = parts(T, T2, expHalfSquare(X));
  double Phi;
  if (P.IsSmall) {
    double H = 0.5 * std::copysign(P.Small, Z);
    Phi = 0.5 + H;
  } else if (X >= 0.0) {
    double H = 0.5 * P.Tail;
    Phi = 1.0 - H;
  } else {
    Phi = 0.5 * P.Tail;
  }
  return X * Phi;
}
