//===- StateGradCheckTest.cpp - batch_norm and dropout against differences ===//
//
// batch_norm and dropout (issue 12) are composites that IRGen lowers to
// ops with rules, so their derivatives are AD's. These checks take the
// methods IRGen makes from a .nn source and differentiate a wrapper @f
// that calls one in training mode (and, for dropout, with a fixed seed),
// with GradCheck's harness: every gradient against differences in f64,
// the adjoint identity and second derivatives, errors <= 1e-6 relative,
// NaN a failure. In training the gradient flows through the batch's mean
// and variance, and the result includes the new running statistics.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "nnc/IRGen/IRGen.h"
#include "nnc/Parse/Parser.h"
#include "nnc/Sema/Sema.h"
#include "nnc/Support/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "gtest/gtest.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

const char *Source = R"(
layer BN2(c) {
  param gamma: f64[c] = 1;
  param beta: f64[c] = 0;
  state mean: f64[c] = 0;
  state var: f64[c] = 1;
  fn forward(x: f64[m, c, n, k]) -> f64[m, c, n, k] =
    batch_norm(x, mean, var, gamma, beta, momentum=0.3, eps=0.1);
}
layer BN1(c) {
  param gamma: f64[c] = 1;
  param beta: f64[c] = 0;
  state mean: f64[c] = 0;
  state var: f64[c] = 1;
  fn forward(x: f64[m, c]) -> f64[m, c] =
    batch_norm(x, mean, var, gamma, beta, eps=0.1);
}
layer Drop(c) {
  fn forward(x: f64[m, c]) -> f64[m, c] = dropout(x, 0.3);
}
let bn2 = BN2(3);
let bn1 = BN1(1);
let drop = Drop(4);
)";

/// The IR of Source's instances, as nnc --emit=ir prints it.
std::string methodsIR() {
  llvm::SourceMgr SM;
  SM.AddNewSourceBuffer(llvm::MemoryBuffer::getMemBuffer(Source, "state.nn"),
                        llvm::SMLoc());
  std::string Errors;
  llvm::raw_string_ostream OS(Errors);
  DiagnosticEngine Diags(SM, OS);
  std::unique_ptr<ast::Module> AST = parseModule(1, Diags);
  if (!AST || !checkModule(*AST, Diags) || Diags.hasErrors()) {
    ADD_FAILURE() << Errors;
    return "";
  }
  std::string Text;
  llvm::raw_string_ostream TS(Text);
  printModule(*lowerModule(*AST), TS);
  return Text;
}

void check(const std::string &Wrapper, const std::vector<DimBinding> &Shapes,
           Inputs In = Inputs::Any) {
  expectGradCheck(methodsIR() + Wrapper, Shapes, 1, In);
}

// Sizes of 1 included; never a batch of one value per channel, whose
// unbiased running variance is n / 0 (PyTorch refuses such a batch). An
// eps of 0.1 keeps the batch of two values' normalization well enough
// conditioned for differences (with 1e-5, two close values make it steep).
TEST(StateGradCheck, BatchNorm2dTraining) {
  check(R"(
func @f(%x: f64[m, 3, n, k], %gamma: f64[3], %beta: f64[3], %mean: f64[3], %var: f64[3]) -> (f64[m, 3, n, k], f64[3], f64[3]) {
  %t = const true : bool
  %r = call @bn2_forward(%gamma, %beta, %mean, %var, %x, %t) : (f64[m, 3, n, k], f64[3], f64[3])
  return %r
}
)",
        {{{"m", 2}, {"n", 1}, {"k", 1}},
         {{"m", 1}, {"n", 2}, {"k", 3}},
         {{"m", 3}, {"n", 2}, {"k", 2}}});
}

TEST(StateGradCheck, BatchNorm1dTrainingAndEval) {
  for (const char *Mode : {"true", "false"})
    check(std::string(R"(
func @f(%x: f64[m, 1], %gamma: f64[1], %beta: f64[1], %mean: f64[1], %var: f64[1]) -> (f64[m, 1], f64[1], f64[1]) {
  %t = const )") + Mode + R"( : bool
  %r = call @bn1_forward(%gamma, %beta, %mean, %var, %x, %t) : (f64[m, 1], f64[1], f64[1])
  return %r
}
)",
          {{{"m", 2}}, {{"m", 5}}},
          // The running variance must be positive in evaluation.
          Inputs::Positive);
}

TEST(StateGradCheck, DropoutFixedSeed) {
  check(R"(
func @f(%x: f64[m, 4]) -> f64[m, 4] {
  %t = const true : bool
  %s = const 7 : i64
  %r = call @drop_forward(%x, %t, %s) : f64[m, 4]
  return %r
}
)",
        {{{"m", 1}}, {{"m", 3}}});
}

// The harness is not blind to these methods: one whose values are NaN (a
// negative running variance in evaluation) fails.
TEST(StateGradCheck, HarnessCatchesNaN) {
  std::string Text = methodsIR() + R"(
func @f(%x: f64[m, 1], %gamma: f64[1], %beta: f64[1], %mean: f64[1], %var: f64[1]) -> (f64[m, 1], f64[1], f64[1]) {
  %t = const false : bool
  %c = const -5 : f64
  %v = broadcast %c : f64[1]
  %r = call @bn1_forward(%gamma, %beta, %mean, %v, %x, %t) : (f64[m, 1], f64[1], f64[1])
  return %r
}
)";
  GradCheckResult R = gradCheck(Text, {{"m", 3}}, Inputs::Any, 1);
  EXPECT_TRUE(!R.Failure.empty() || !(R.WorstGrad <= Tolerance));
}

} // namespace
