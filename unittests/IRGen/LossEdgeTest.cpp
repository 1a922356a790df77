//===- LossEdgeTest.cpp - Losses at the edges of floating point -----------===//
//
// The losses and reductions as IRGen lowers them and AD differentiates
// them, run by the reference evaluator at ±inf, NaN, ±1000, denormals and
// ties. The expected values are those of test/EndToEnd/loss-edge-values.c,
// which checks the compiled code: the evaluator and CodeGen must agree.
// They follow docs/language.md ("Edge values"), PyTorch's conventions,
// and were cross-checked once against PyTorch 1.13 (not needed here).
//
//===----------------------------------------------------------------------===//
#include "../Common/IREvaluator.h"
#include "nnc/AD/AD.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "gtest/gtest.h"
#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

constexpr double Inf = std::numeric_limits<double>::infinity();
const double NaN = std::nan("");

const char *const Source = R"(
fn svm64(s: f64[B, C], y: i64[B]) = svm_loss(s, y);
fn dsvm64 = value_and_grad(svm64, s);
fn svm32(s: f32[B, C], y: i32[B]) = svm_loss(s, y);
fn dsvm32 = value_and_grad(svm32, s);
fn ce64(s: f64[B, C], y: i64[B]) = cross_entropy(s, y);
fn dce64 = value_and_grad(ce64, s);
fn lse(x: f64[n]) = logsumexp(x, axis=0);
fn dlse = value_and_grad(lse);
fn mx(x: f64[n]) = max(x);
fn dmx = value_and_grad(mx);
fn mn(x: f64[n]) = min(x);
fn dmn = value_and_grad(mn);
fn sm(x: f64[n]) = softmax(x);
fn lsm(x: f64[n]) = log_softmax(x);
)";

class LossEdges : public ::testing::Test {
protected:
  void SetUp() override {
    SM.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(Source, "edges.nn"),
                          llvm::SMLoc());
    DiagnosticEngine Diags(SM);
    std::unique_ptr<ast::Module> AST = parseModule(1, Diags);
    ASSERT_TRUE(AST && checkModule(*AST, Diags) && !Diags.hasErrors());
    M = lowerModule(*AST);
    ASSERT_TRUE(M);
    llvm::Error E = differentiateModule(*M);
    ASSERT_FALSE(E) << llvm::toString(std::move(E));
  }

  Value run(const char *Name, const std::vector<Value> &Args) {
    llvm::Expected<Value> V = evaluate(*M, *M->lookup(Name), Args);
    if (!V) {
      ADD_FAILURE() << llvm::toString(V.takeError());
      return {};
    }
    return *V;
  }

  llvm::SourceMgr SM;
  std::unique_ptr<Module> M;
};

/// NaN matches NaN; everything else compares within \p Rel (0: exactly).
void expectSame(const std::vector<double> &Got, const std::vector<double> &Want,
                double Rel = 0) {
  ASSERT_EQ(Got.size(), Want.size());
  for (size_t I = 0; I < Got.size(); ++I) {
    if (std::isnan(Want[I]) || std::isnan(Got[I])) {
      EXPECT_TRUE(std::isnan(Want[I]) && std::isnan(Got[I]))
          << "element " << I << ": got " << Got[I] << ", want " << Want[I];
    } else if (Rel == 0 || std::isinf(Want[I]) || Want[I] == 0) {
      EXPECT_EQ(Got[I], Want[I]) << "element " << I;
    } else {
      EXPECT_NEAR(Got[I], Want[I], Rel * std::fabs(Want[I])) << "element " << I;
    }
  }
}

/// value_and_grad of a loss on one batch: (value, gradient).
void expectLoss(const Value &R, double Want, const std::vector<double> &DWant,
                double Rel = 0) {
  ASSERT_TRUE(R.IsTuple);
  expectSame(R.Elements[0].Data, {Want}, Rel);
  expectSame(R.Elements[1].Data, DWant, Rel);
}

Value scores(std::vector<int64_t> Shape, std::vector<double> Data,
             ElementKind K = ElementKind::F64) {
  return Value::tensor(std::move(Shape), std::move(Data), K);
}
Value labels(std::vector<double> L, ElementKind K = ElementKind::I64) {
  int64_t N = static_cast<int64_t>(L.size());
  return Value::tensor({N}, std::move(L), K);
}

TEST_F(LossEdges, SvmExcludesTheLabelExactly) {
  expectLoss(run("dsvm64", {scores({1, 2}, {Inf, 0}), labels({0})}), 0,
             {0, 0});
  expectLoss(run("dsvm64", {scores({1, 3}, {-Inf, 0, 1}), labels({0})}), Inf,
             {-2, 1, 1});
  expectLoss(run("dsvm64", {scores({1, 3}, {1, 1, 1}), labels({1})}), 2,
             {1, -2, 1});
  // A margin of exactly 0: no loss and no gradient.
  expectLoss(run("dsvm64", {scores({1, 3}, {1, 0, 0}), labels({0})}), 0,
             {0, 0, 0});
  expectLoss(
      run("dsvm64", {scores({2, 2}, {Inf, 0, 0, 2}), labels({0, 0})}), 1.5,
      {0, 0, -0.5, 0.5});
  // NaN propagates (PyTorch's multi_margin_loss would skip it).
  expectLoss(run("dsvm64", {scores({1, 2}, {NaN, 0}), labels({1})}), NaN,
             {0, 0});
}

TEST_F(LossEdges, SvmF32KeepsATinyMarginAndItsGradient) {
  auto F32 = ElementKind::F32;
  expectLoss(run("dsvm32", {scores({1, 2}, {0, double(-0.99999994f)}, F32),
                            labels({0}, ElementKind::I32)}),
             5.960464477539063e-08, {-1, 1});
  expectLoss(run("dsvm32",
                 {scores({1, 2}, {0, -1}, F32), labels({0}, ElementKind::I32)}),
             0, {0, 0});
}

TEST_F(LossEdges, CrossEntropy) {
  expectLoss(run("dce64", {scores({1, 2}, {Inf, 0}), labels({1})}), NaN,
             {NaN, NaN});
  expectLoss(run("dce64", {scores({1, 2}, {-Inf, 0}), labels({0})}), Inf,
             {-1, 1});
  expectLoss(run("dce64", {scores({1, 2}, {-Inf, 0}), labels({1})}), 0,
             {0, 0});
  expectLoss(run("dce64", {scores({1, 2}, {1000, -1000}), labels({1})}), 2000,
             {1, -1});
  expectLoss(run("dce64", {scores({1, 2}, {-Inf, -Inf}), labels({0})}), NaN,
             {NaN, NaN});
}

TEST_F(LossEdges, SoftmaxFamily) {
  auto Vec = [](std::vector<double> X) { return scores({2}, std::move(X)); };
  expectSame(run("sm", {Vec({Inf, 0})}).Data, {NaN, NaN});
  expectSame(run("sm", {Vec({-Inf, 0})}).Data, {0, 1});
  expectSame(run("sm", {Vec({1000, 1000})}).Data, {0.5, 0.5});
  expectSame(run("lsm", {Vec({-Inf, 0})}).Data, {-Inf, 0});
  expectSame(run("lsm", {Vec({Inf, Inf})}).Data, {NaN, NaN});
  expectLoss(run("dlse", {Vec({Inf, 0})}), Inf, {NaN, 0});
  expectLoss(run("dlse", {Vec({-Inf, -Inf})}), -Inf, {NaN, NaN});
  expectLoss(run("dlse", {Vec({1000, 1000})}), 1000.6931471805599,
             {0.5000000000000275, 0.5000000000000275}, 4e-16);
}

TEST_F(LossEdges, MaxAndMinTakeTheFirstAndPropagateNaN) {
  auto Vec = [](std::vector<double> X) {
    int64_t N = static_cast<int64_t>(X.size());
    return scores({N}, std::move(X));
  };
  expectLoss(run("dmx", {Vec({2, 5, 5, 1})}), 5, {0, 1, 0, 0});
  expectLoss(run("dmn", {Vec({2, 1, 5, 1})}), 1, {0, 1, 0, 0});
  expectLoss(run("dmx", {Vec({0, NaN})}), NaN, {0, 1});
  expectLoss(run("dmn", {Vec({NaN, 0})}), NaN, {1, 0});
  expectLoss(run("dmx", {Vec({-Inf, -Inf})}), -Inf, {1, 0});
}

} // namespace
