//===- ErfTest.cpp - The accuracy of nnc's erf and gelu -------------------===//
//
// erfPoly and geluPoly (nnc/Support/Erf.h) are what constant folding
// computes and, step for step, what generated code computes
// (test/EndToEnd/erf-accuracy.c checks the compiled code the same way).
// Measured here against long double references (glibc's erfl and erfcl on
// x86-64's 64-bit significand, 2^11 times finer than a double's ulp) over a
// dense grid and at the extremes, in units of the double result's ulp.
//
//===----------------------------------------------------------------------===//
#include "nnc/Support/Erf.h"
#include "gtest/gtest.h"
#include <cmath>
#include <cstdio>
#include <limits>

using namespace nnc;

namespace {

/// |Got - Want| in ulps of Want rounded to double; inf for a NaN.
double ulpError(double Got, long double Want) {
  double W = static_cast<double>(Want);
  if (std::isnan(Got) || std::isnan(W))
    return std::isnan(Got) && std::isnan(W)
               ? 0
               : std::numeric_limits<double>::infinity();
  if (Got == W)
    return 0;
  double Ulp = std::nextafter(std::fabs(W), INFINITY) - std::fabs(W);
  return static_cast<double>(std::fabs(static_cast<long double>(Got) - Want) /
                             Ulp);
}

long double refGelu(long double X) {
  return X * 0.5L * std::erfc(-X / std::sqrt(2.0L));
}

TEST(Erf, WithinOnePointThreeUlpsOnADenseGrid) {
  static_assert(std::numeric_limits<long double>::digits >= 64,
                "the reference needs extended precision");
  double Worst = 0, At = 0;
  for (int I = -600000; I <= 600000; ++I) {
    double X = I * 1e-5;
    double E = ulpError(erfPoly(X), std::erf(static_cast<long double>(X)));
    if (!(E <= Worst)) {
      Worst = E;
      At = X;
    }
  }
  std::printf("erf: worst %.3f ulp at %.5f over [-6, 6]\n", Worst, At);
  // Measured 1.284 (near |x| = 0.97, where x + x P(x^2) rounds twice).
  EXPECT_LE(Worst, 1.3) << "at " << At;
}

TEST(Erf, GeluWithinAFewUlps) {
  double Worst = 0, At = 0, WorstNear = 0;
  for (int I = -370000; I <= 100000; ++I) {
    double X = I * 1e-4;
    double E = ulpError(geluPoly(X), refGelu(X));
    if (!(E <= Worst)) {
      Worst = E;
      At = X;
    }
    if (X >= -4.5 && !(E <= WorstNear))
      WorstNear = E;
  }
  std::printf("gelu: worst %.3f ulp at %.4f over [-37, 10], %.3f ulp over "
              "[-4.5, 10]\n",
              Worst, At, WorstNear);
  // Measured 14.3 (the [3.25, 6) piece's fit, near x = -7.7) and 8.98
  // (0.5 + 0.5 erf(z) cancels for z near -1).
  EXPECT_LE(Worst, 16.0) << "at " << At;
  EXPECT_LE(WorstNear, 10.0);
}

TEST(Erf, Extremes) {
  const double Inf = std::numeric_limits<double>::infinity();
  const double Tiny = std::numeric_limits<double>::denorm_min();
  EXPECT_EQ(erfPoly(Inf), 1.0);
  EXPECT_EQ(erfPoly(-Inf), -1.0);
  EXPECT_EQ(erfPoly(6.0), 1.0);
  EXPECT_EQ(erfPoly(1e300), 1.0);
  EXPECT_TRUE(std::isnan(erfPoly(std::nan(""))));
  EXPECT_TRUE(std::signbit(erfPoly(-0.0)));
  EXPECT_EQ(erfPoly(Tiny), Tiny); // 2/sqrt(pi) * 2^-1074 rounds to 2^-1074
  EXPECT_LE(ulpError(erfPoly(1e-300), std::erf(1e-300L)), 0.5);
  EXPECT_EQ(geluPoly(Inf), Inf);
  EXPECT_TRUE(std::isnan(geluPoly(-Inf))); // -inf * 0, as PyTorch
  EXPECT_TRUE(std::isnan(geluPoly(std::nan(""))));
  EXPECT_EQ(geluPoly(1e300), 1e300);
  EXPECT_EQ(geluPoly(-40.0), 0.0); // below the smallest double
  // Far in the tail, where 1 + erf(x / sqrt 2) has no digit left.
  EXPECT_LE(ulpError(geluPoly(-10.0), refGelu(-10.0L)), 16.0);
  EXPECT_LE(ulpError(geluPoly(-30.0), refGelu(-30.0L)), 16.0);
}

TEST(Erf, CheckerCatchesAWrongValue) {
  // The measure the tests above rely on: 2 ulps off reads as 2, NaN as inf.
  double X = 0.3;
  double Right = erfPoly(X);
  double Wrong = std::nextafter(std::nextafter(Right, 2.0), 2.0);
  EXPECT_GE(ulpError(Wrong, std::erf(static_cast<long double>(X))), 1.5);
  EXPECT_EQ(ulpError(std::nan(""), 0.5L),
            std::numeric_limits<double>::infinity());
}

} // namespace
