//===- StructuralGradCheckTest.cpp - Issue 12's structural ops ------------===//
//
// slice, unslice, concat and permute (issue 12, tensorops) through
// gradCheck (GradCheck.h): every gradient element against differences, the
// adjoint identity, second derivatives, and the default pipeline, with the
// reference evaluator, at shapes with dimensions of 1. The rules of these
// ops are linear, so each function puts a nonlinear op before and after
// them, making second derivatives see them twice.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "gtest/gtest.h"
#include <limits>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

const std::vector<DimBinding> Shapes = {
    {{"m", 1}, {"n", 1}, {"k", 1}},
    {{"m", 1}, {"n", 4}, {"k", 3}},
    {{"m", 3}, {"n", 1}, {"k", 2}},
    {{"m", 2}, {"n", 3}, {"k", 4}},
};

/// \p Label names the dimension integer parameters (indices) range over.
void check(const std::string &Text, const std::string &Label = "m",
           const std::vector<DimBinding> &S = Shapes) {
  expectGradCheck(Text, S, 1, Inputs::Any, Label);
}

TEST(StructuralGradCheck, SliceOfVariableAxes) {
  // x[i, -1] as the IR writes it: a run-time start i (an index drawn in
  // [0, m)), and n - 1.
  check(R"(
func @f(%a: f64[m, n], %i: i64) -> f64[1, 1] {
  %s = tanh %a : f64[m, n]
  %one = const 1 : i64
  %d = dim n : i64
  %last = sub %d, %one : i64
  %w = slice %s, %i, %last step=[1, 1] : f64[1, 1]
  %r = mul %w, %w : f64[1, 1]
  return %r
}
)");
  // The whole of one axis, a window of the other.
  check(R"(
func @f(%a: f64[m, n], %i: i64) -> f64[1, n] {
  %s = sin %a : f64[m, n]
  %z = const 0 : i64
  %w = slice %s, %i, %z step=[1, 1] : f64[1, n]
  %r = mul %w, %w : f64[1, n]
  return %r
}
)");
}

TEST(StructuralGradCheck, SliceWithSteps) {
  // Columns 1 and 4 of 7, a broadcast dimension of 1 before it.
  check(R"(
func @f(%a: f64[m, 7], %b: f64[1, 7]) -> f64[m, 2] {
  %bb = broadcast %b : f64[m, 7]
  %s = mul %a, %bb : f64[m, 7]
  %z = const 0 : i64
  %one = const 1 : i64
  %w = slice %s, %z, %one step=[1, 3] : f64[m, 2]
  %r = tanh %w : f64[m, 2]
  return %r
}
)");
}

TEST(StructuralGradCheck, Unslice) {
  // unslice is slice's adjoint and an op of its own: its rule is a slice.
  check(R"(
func @f(%g: f64[m, 2]) -> f64[m, 5] {
  %e = exp %g : f64[m, 2]
  %z = const 0 : i64
  %one = const 1 : i64
  %u = unslice %e, %z, %one step=[1, 2] : f64[m, 5]
  %r = mul %u, %u : f64[m, 5]
  return %r
}
)");
}

TEST(StructuralGradCheck, Concat) {
  check(R"(
func @f(%a: f64[m, n], %b: f64[m, 2*n]) -> f64[m, 3*n] {
  %x = tanh %a : f64[m, n]
  %y = concat %x, %b axis=1 : f64[m, 3*n]
  %r = mul %y, %y : f64[m, 3*n]
  return %r
}
)");
  check(R"(
func @f(%a: f64[2, n], %b: f64[1, n], %c: f64[3, n]) -> f64[6, n] {
  %x = sin %b : f64[1, n]
  %y = concat %a, %x, %c axis=0 : f64[6, n]
  %r = mul %y, %y : f64[6, n]
  return %r
}
)");
}

TEST(StructuralGradCheck, Permute) {
  check(R"(
func @f(%a: f64[m, n, k]) -> f64[k, m, n] {
  %x = tanh %a : f64[m, n, k]
  %y = permute %x perm=[2, 0, 1] : f64[k, m, n]
  %r = mul %y, %y : f64[k, m, n]
  return %r
}
)");
  check(R"(
func @f(%a: f64[m, n, k, 2]) -> f64[m, k, 2, n] {
  %x = sin %a : f64[m, n, k, 2]
  %y = permute %x perm=[0, 2, 3, 1] : f64[m, k, 2, n]
  %r = mul %y, %y : f64[m, k, 2, n]
  return %r
}
)");
}

// The harness is not blind to these rules. f permutes a cube by the
// 3-cycle [1, 2, 0] with a user backward rule that permutes the upstream
// gradient by \p RulePerm: right with the inverse [2, 0, 1], wrong with
// the permutation itself (the cube keeps the wrong rule's shape right).
// With \p NaNWhereNegative, the rule also adds log(x) - log(x): 0 where
// x > 0, NaN elsewhere.
GradCheckResult checkPermuteRule(const std::string &RulePerm,
                                 bool NaNWhereNegative = false) {
  std::string Rule = "  %r = permute %g perm=" + RulePerm + " : f64[n, n, n]\n";
  if (NaNWhereNegative)
    Rule = "  %p = permute %g perm=" + RulePerm + " : f64[n, n, n]\n" +
           "  %l = log %x : f64[n, n, n]\n"
           "  %z = sub %l, %l : f64[n, n, n]\n"
           "  %r = add %p, %z : f64[n, n, n]\n";
  return gradCheck(R"(
func @f(%x: f64[n, n, n]) -> f64[n, n, n] backward @fb {
  %y = permute %x perm=[1, 2, 0] : f64[n, n, n]
  return %y
}
func internal @fb(%x: f64[n, n, n], %g: f64[n, n, n]) -> f64[n, n, n] {
)" + Rule + "  return %r\n}\n",
                   {{"n", 3}}, Inputs::Any, 5, "n", false);
}

TEST(StructuralGradCheck, HarnessCatchesAWrongPermuteRule) {
  GradCheckResult Right = checkPermuteRule("[2, 0, 1]");
  ASSERT_EQ(Right.Failure, "");
  EXPECT_LE(Right.WorstGrad, Tolerance);
  EXPECT_LE(Right.WorstAdjoint, Tolerance);
  GradCheckResult Wrong = checkPermuteRule("[1, 2, 0]");
  ASSERT_EQ(Wrong.Failure, "");
  EXPECT_GT(Wrong.WorstGrad, 0.1);
  // One scalar identity, <J v, w> = <v, J^T w>, for one random v and w:
  // a wrong rule misses it by less than it misses every element.
  EXPECT_GT(Wrong.WorstAdjoint, 100 * Tolerance);
}

TEST(StructuralGradCheck, HarnessCatchesANaNPermuteRule) {
  // NaN in some elements only: a check that kept the worst error with
  // std::max would skip them and pass the rule.
  GradCheckResult R = checkPermuteRule("[2, 0, 1]", true);
  ASSERT_EQ(R.Failure, "");
  EXPECT_EQ(R.WorstGrad, std::numeric_limits<double>::infinity());
  EXPECT_EQ(R.WorstAdjoint, std::numeric_limits<double>::infinity());
}

} // namespace
