//===- StatsTest.cpp - var, std and reductions along several axes ---------===//
//
// Issue 12's statistics are built by IRGen from existing ops (LowerStats.h),
// so they are checked from .nn source: values against a reference written
// here (two-pass variance in long double), and gradients, second
// derivatives and the adjoint identity by the finite-difference harness of
// unittests/AD (GradCheck.h), at shapes with axes of size 1.
//
//===----------------------------------------------------------------------===//
#include "../AD/GradCheck.h"
#include "../Common/IREvaluator.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <cmath>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

/// The IR text of \p Source after Sema and lowering ("" after an error).
std::string lowerToIR(const std::string &Source) {
  llvm::SourceMgr SM;
  SM.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBufferCopy(Source, "s.nn"),
                        llvm::SMLoc());
  DiagnosticEngine Diags(SM);
  std::unique_ptr<ast::Module> AST = parseModule(1, Diags);
  if (!AST || !checkModule(*AST, Diags) || Diags.hasErrors())
    return "";
  std::unique_ptr<Module> M = lowerModule(*AST);
  std::string Text;
  llvm::raw_string_ostream OS(Text);
  printModule(*M, OS);
  return Text;
}

/// Runs @f of \p Source at \p Args.
Value runF(const std::string &Source, const std::vector<Value> &Args) {
  std::unique_ptr<Module> M = parseIR(lowerToIR(Source));
  if (!M) {
    ADD_FAILURE() << Source;
    return {};
  }
  llvm::Expected<Value> V = evaluate(*M, *M->lookup("f"), Args);
  if (!V) {
    ADD_FAILURE() << llvm::toString(V.takeError());
    return {};
  }
  return *V;
}

const std::vector<DimBinding> Shapes = {
    {{"m", 1}, {"n", 1}, {"k", 1}},
    {{"m", 2}, {"n", 1}, {"k", 3}},
    {{"m", 1}, {"n", 3}, {"k", 2}},
    {{"m", 3}, {"n", 2}, {"k", 4}},
};

void checkGradients(const std::string &Source, bool NeedsTwo = false) {
  std::string Text = lowerToIR(Source);
  ASSERT_NE(Text, "") << Source;
  unsigned Seed = 11;
  for (const DimBinding &Dims : Shapes) {
    // var with correction 1 over one element is 0 / 0 = NaN, as PyTorch's:
    // such shapes are checked for values below, not for gradients.
    if (NeedsTwo && Dims.at("m") * Dims.at("k") < 2)
      continue;
    GradCheckResult R = gradCheck(Text, Dims, Inputs::Any, Seed++);
    std::string Where = Source + " at m=" + std::to_string(Dims.at("m")) +
                        " n=" + std::to_string(Dims.at("n")) +
                        " k=" + std::to_string(Dims.at("k"));
    ASSERT_EQ(R.Failure, "") << Where;
    EXPECT_LE(R.WorstGrad, 1e-6) << Where;
    EXPECT_LE(R.WorstAdjoint, 1e-6) << Where;
    EXPECT_LE(R.WorstSecond, 1e-6) << Where;
    EXPECT_LE(R.WorstPipeline, 1e-14) << Where;
  }
}

TEST(Stats, GradientsAlongSeveralAxes) {
  for (const char *R : {"sum", "mean", "max", "min"})
    checkGradients(std::string("fn f(x: f64[m, n, k]) -> f64[n] = ") + R +
                   "(x, axis=[0, 2]);");
  checkGradients("fn f(x: f64[m, n, k]) -> f64[m] = mean(x, axis=[1, 2]);");
  checkGradients("fn f(x: f64[m, n, k]) -> f64[n] = var(x, axis=[0, 2]);",
                 /*NeedsTwo=*/true);
  checkGradients("fn f(x: f64[m, n, k]) -> f64[n] = "
                 "std(x, axis=[0, -1], correction=0) + var(x, axis=[2, 0], "
                 "correction=0);",
                 /*NeedsTwo=*/true); // std'(0) is infinite
  checkGradients("fn f(x: f64[m, n, k]) -> f64[m, k] = var(x, axis=1, "
                 "correction=0);");
  checkGradients("fn f(x: f64[m, n, k]) = var(x, correction=0);");
}

/// var(x, axes) with correction \p C by the textbook two-pass formula.
double refVar(const std::vector<double> &X, double C) {
  long double Mean = 0, SS = 0;
  for (double V : X)
    Mean += V;
  Mean /= X.size();
  for (double V : X)
    SS += (V - Mean) * (V - Mean);
  return static_cast<double>(SS / std::max<long double>(X.size() - C, 0));
}

TEST(Stats, ValuesAgainstTwoPassReference) {
  // x[i, j, l] = sin(i + 2 j + 3 l) over [2, 3, 4]; var over [0, 2] per j.
  std::vector<double> X;
  for (int I = 0; I < 2; ++I)
    for (int J = 0; J < 3; ++J)
      for (int L = 0; L < 4; ++L)
        X.push_back(std::sin(I + 2 * J + 3 * L));
  Value In = Value::tensor({2, 3, 4}, X);
  for (double C : {1.0, 0.0, 2.5}) {
    std::string Src = "fn f(x: f64[2, 3, 4]) -> f64[3] = var(x, axis=[0, 2], "
                      "correction=" + std::to_string(C) + ");";
    Value V = runF(Src, {In});
    ASSERT_EQ(V.Data.size(), 3u);
    for (int J = 0; J < 3; ++J) {
      std::vector<double> Slice;
      for (int I = 0; I < 2; ++I)
        for (int L = 0; L < 4; ++L)
          Slice.push_back(X[(I * 3 + J) * 4 + L]);
      EXPECT_NEAR(V.Data[J], refVar(Slice, C), 1e-15) << Src << " j=" << J;
    }
  }
  Value S = runF("fn f(x: f64[2, 3, 4]) -> f64[3] = std(x, axis=[0, 2]);",
                 {In});
  Value M = runF("fn f(x: f64[2, 3, 4]) -> f64[3] = max(x, axis=[0, 2]);",
                 {In});
  for (int J = 0; J < 3; ++J) {
    std::vector<double> Slice;
    for (int I = 0; I < 2; ++I)
      for (int L = 0; L < 4; ++L)
        Slice.push_back(X[(I * 3 + J) * 4 + L]);
    EXPECT_NEAR(S.Data[J], std::sqrt(refVar(Slice, 1)), 1e-15);
    EXPECT_EQ(M.Data[J], *std::max_element(Slice.begin(), Slice.end()));
  }
}

TEST(Stats, VarianceIsTwoPass) {
  // A large mean: E[x^2] - E[x]^2 loses every digit here (1e18 + ...), the
  // two-pass formula is exact.
  Value V = runF("fn f(x: f64[4]) = var(x);",
                 {Value::tensor({4}, {1e9 + 1, 1e9 + 2, 1e9 + 3, 1e9 + 4})});
  EXPECT_EQ(V.Data, (std::vector<double>{5.0 / 3.0}));
}

TEST(Stats, OneElementFollowsPyTorch) {
  // torch.var over one element: NaN with correction 1, 0 with 0.
  Value In = Value::tensor({3, 1}, {1, 2, 3});
  Value V1 = runF("fn f(x: f64[3, 1]) -> f64[3] = var(x, axis=1);", {In});
  Value V0 =
      runF("fn f(x: f64[3, 1]) -> f64[3] = var(x, axis=1, correction=0);",
           {In});
  for (double V : V1.Data)
    EXPECT_TRUE(std::isnan(V));
  EXPECT_EQ(V0.Data, (std::vector<double>{0, 0, 0}));
}

TEST(Stats, OutermostAxisFirstLastAxisLast) {
  // NCHW statistics over [0, 2, 3]: N first (its loop vectorizes over the
  // C*H*W block behind it), W, whose in-order sums are serial, last.
  std::string Text = lowerToIR(
      "fn f(x: f64[N, C, H, W]) -> f64[C] = sum(x, axis=[0, 2, 3]);");
  size_t A = Text.find("reduce_sum %x axis=0 : f64[C, H, W]");
  size_t B = Text.find("axis=1 : f64[C, W]");
  size_t C = Text.find("axis=1 : f64[C]");
  EXPECT_TRUE(A != std::string::npos && B != std::string::npos &&
              C != std::string::npos && A < B && B < C)
      << Text;
  // Adjacent axes other than the last merge into one (a reshape).
  Text = lowerToIR("fn f(x: f64[A, B, C, D]) -> f64[A, D] = "
                   "sum(x, axis=[1, 2]);");
  EXPECT_NE(Text.find("reshape %x : f64[A, B*C, D]"), std::string::npos)
      << Text;
}

} // namespace
