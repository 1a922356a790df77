//===- TensorGradCheckTest.cpp - Every tensor rule against differences ----===//
//
// Each test writes a small IR function @f, then gradCheck builds its vjp
// and the vjp of that vjp and checks them with the reference evaluator at
// several shapes, dimensions of 1 and broadcasts included (GradCheck.h
// lists the checks). Errors must stay within 1e-6, relative; the optimized
// derivatives must compute what the unoptimized ones do.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "nnc/AD/AD.h"
#include "gtest/gtest.h"
#include <cmath>
#include <cstdio>
#include <limits>
#include <regex>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

const std::vector<DimBinding> MatrixShapes = {
    {{"m", 1}, {"n", 1}, {"k", 1}, {"c", 1}},
    {{"m", 1}, {"n", 4}, {"k", 3}, {"c", 3}},
    {{"m", 3}, {"n", 1}, {"k", 2}, {"c", 2}},
    {{"m", 2}, {"n", 3}, {"k", 4}, {"c", 5}},
    {{"m", 4}, {"n", 5}, {"k", 1}, {"c", 4}},
};

void check(const std::string &Text, Inputs In = Inputs::Any,
           const std::vector<DimBinding> &Shapes = MatrixShapes,
           bool SecondOrder = true) {
  expectGradCheck(Text, Shapes, 1, In, "c", SecondOrder);
}

/// Replaces every `$T` in \p Pattern by \p T.
std::string subst(std::string Pattern, const std::string &T) {
  return std::regex_replace(Pattern, std::regex("\\$T"), T);
}

//===----------------------------------------------------------------------===//
// Element-wise ops on tensors
//===----------------------------------------------------------------------===//

TEST(TensorGradCheck, ElementwiseBinary) {
  for (const char *Op : {"add", "sub", "mul", "max", "min"})
    check(std::string("func @f(%a: f64[m, n], %b: f64[m, n]) -> f64[m, n] {\n"
                      "  %r = ") +
          Op + " %a, %b : f64[m, n]\n  return %r\n}\n");
  for (const char *Op : {"div", "pow"})
    check(std::string("func @f(%a: f64[m, n], %b: f64[m, n]) -> f64[m, n] {\n"
                      "  %r = ") +
              Op + " %a, %b : f64[m, n]\n  return %r\n}\n",
          Inputs::Positive);
}

TEST(TensorGradCheck, ElementwiseUnary) {
  for (const char *Op :
       {"neg", "exp", "tanh", "sigmoid", "sin", "cos", "softplus"})
    check(std::string("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = ") + Op +
          " %a : f64[m, n]\n  return %r\n}\n");
  for (const char *Op : {"log", "sqrt"})
    check(std::string("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = ") + Op +
              " %a : f64[m, n]\n  return %r\n}\n",
          Inputs::Positive);
  for (const char *Op : {"relu", "abs"})
    check(std::string("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = ") + Op +
              " %a : f64[m, n]\n  return %r\n}\n",
          Inputs::AwayFromZero);
}

TEST(TensorGradCheck, ConstantsInRulesAreSplat) {
  // Constant exponents and fan-out: x^3 + x * x, the exponent a splat.
  check(R"(
func @f(%x: f64[m, n]) -> f64[m, n] {
  %three = const 3 : f64
  %t = broadcast %three : f64[m, n]
  %p = pow %x, %t : f64[m, n]
  %q = mul %x, %x : f64[m, n]
  %r = add %p, %q : f64[m, n]
  return %r
}
)",
        Inputs::Positive);
}

TEST(TensorGradCheck, SelectAndComparisons) {
  check(R"(
func @f(%a: f64[m, n], %b: f64[m, n]) -> f64[m, n] {
  %c = gt %a, %b : bool[m, n]
  %e = exp %a : f64[m, n]
  %r = select %c, %e, %b : f64[m, n]
  return %r
}
)");
}

TEST(TensorGradCheck, BroadcastOperands) {
  // The front end makes broadcasts explicit: a bias row, a column, a
  // scalar, a [1, n] row.
  for (const char *T : {"f64[n]", "f64[m, 1]", "f64", "f64[1, n]"})
    check(subst(R"(
func @f(%a: f64[m, n], %b: $T) -> f64[m, n] {
  %bb = broadcast %b : f64[m, n]
  %r = mul %a, %bb : f64[m, n]
  %s = add %r, %bb : f64[m, n]
  return %s
}
)",
                T));
}

//===----------------------------------------------------------------------===//
// Shape ops
//===----------------------------------------------------------------------===//

TEST(TensorGradCheck, SumTo) {
  for (const char *T : {"f64[n]", "f64[m, 1]", "f64", "f64[1, n]"})
    check(subst(R"(
func @f(%a: f64[m, n]) -> $T {
  %s = sin %a : f64[m, n]
  %r = sum_to %s : $T
  return %r
}
)",
                T));
}

TEST(TensorGradCheck, ReshapeAndTranspose) {
  for (const char *T : {"f64[n, m]", "f64[m*n]", "f64[1, m, n]"})
    check(subst(R"(
func @f(%a: f64[m, n]) -> $T {
  %s = tanh %a : f64[m, n]
  %r = reshape %s : $T
  return %r
}
)",
                T));
  check(R"(
func @f(%a: f64[m, n]) -> f64[n, m] {
  %s = mul %a, %a : f64[m, n]
  %r = transpose %s : f64[n, m]
  return %r
}
)");
}

TEST(TensorGradCheck, MatMulAllRanks) {
  check(R"(
func @f(%a: f64[m, k], %b: f64[k, n]) -> f64[m, n] {
  %r = matmul %a, %b : f64[m, n]
  return %r
}
)");
  check(R"(
func @f(%a: f64[m, k], %b: f64[k]) -> f64[m] {
  %r = matmul %a, %b : f64[m]
  return %r
}
)");
  check(R"(
func @f(%a: f64[k], %b: f64[k, n]) -> f64[n] {
  %r = matmul %a, %b : f64[n]
  return %r
}
)");
  check(R"(
func @f(%a: f64[k], %b: f64[k]) -> f64 {
  %r = matmul %a, %b : f64
  return %r
}
)");
  // One operand used twice: x^T x, gradients add at fan-out.
  check(R"(
func @f(%a: f64[m, k]) -> f64[k, k] {
  %t = transpose %a : f64[k, m]
  %r = matmul %t, %a : f64[k, k]
  return %r
}
)");
}

//===----------------------------------------------------------------------===//
// Reductions and softmax
//===----------------------------------------------------------------------===//

TEST(TensorGradCheck, Reductions) {
  for (const char *Op : {"reduce_sum", "reduce_max", "reduce_min", "logsumexp"}) {
    std::string O = Op;
    check("func @f(%a: f64[m, n]) -> f64[n] {\n  %r = " + O +
          " %a axis=0 : f64[n]\n  return %r\n}\n");
    check("func @f(%a: f64[m, n]) -> f64[m] {\n  %r = " + O +
          " %a axis=1 : f64[m]\n  return %r\n}\n");
    check("func @f(%a: f64[n]) -> f64 {\n  %r = " + O +
          " %a axis=0 : f64\n  return %r\n}\n");
    check("func @f(%a: f64[m, k, n]) -> f64[m, n] {\n  %r = " + O +
          " %a axis=1 : f64[m, n]\n  return %r\n}\n");
  }
}

TEST(TensorGradCheck, MaxTiesGoToTheFirst) {
  // Two equal maxima per row: the gradient of the row goes to the first.
  std::unique_ptr<Module> M = parseIR(R"(
func @f(%a: f64[2]) -> f64 {
  %r = reduce_max %a axis=0 : f64
  return %r
}
func @df = grad @f wrt(0)
)");
  ASSERT_TRUE(M);
  if (llvm::Error E = differentiateModule(*M))
    FAIL() << llvm::toString(std::move(E));
  llvm::Expected<Value> G = evaluate(*M, *M->lookup("df"),
                                     {Value::tensor({2}, {0.5, 0.5})});
  ASSERT_TRUE(bool(G)) << llvm::toString(G.takeError());
  EXPECT_EQ(G->Data, (std::vector<double>{1, 0}));
}

TEST(TensorGradCheck, Softmax) {
  for (const char *Op : {"softmax", "log_softmax"}) {
    std::string O = Op;
    check("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = " + O +
          " %a axis=1 : f64[m, n]\n  return %r\n}\n");
    check("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = " + O +
          " %a axis=0 : f64[m, n]\n  return %r\n}\n");
    check("func @f(%a: f64[n]) -> f64[n] {\n  %r = " + O +
          " %a axis=0 : f64[n]\n  return %r\n}\n");
  }
}

TEST(TensorGradCheck, PickAndOneHot) {
  check(R"(
func @f(%x: f64[m, c], %y: i64[m]) -> f64[m] {
  %e = exp %x : f64[m, c]
  %r = pick %e, %y : f64[m]
  return %r
}
)");
  check(R"(
func @f(%x: f64[c], %y: i64) -> f64 {
  %r = pick %x, %y : f64
  return %r
}
)");
  check(R"(
func @f(%x: f64[m, c], %y: i64[m]) -> f64[m, c] {
  %h = onehot %y : f64[m, c]
  %r = mul %h, %x : f64[m, c]
  return %r
}
)");
}

TEST(TensorGradCheck, IntegerOpsCarryNoGradient) {
  // argmax, iota, dim and random numbers are constants to AD.
  check(R"(
func @f(%x: f64[m, n], %seed: i64) -> f64[m, n] {
  %i = iota axis=1 : i64[m, n]
  %fi = convert %i : f64[m, n]
  %am = argmax %x axis=1 : i64[m]
  %af = convert %am : f64[m]
  %afc = reshape %af : f64[m, 1]
  %ab = broadcast %afc : f64[m, n]
  %d = dim m*n : i64
  %df = convert %d : f64
  %db = broadcast %df : f64[m, n]
  %rn = randn %seed stream=0 : f64[m, n]
  %t0 = mul %x, %fi : f64[m, n]
  %t1 = add %t0, %ab : f64[m, n]
  %t2 = mul %t1, %db : f64[m, n]
  %t3 = mul %t2, %rn : f64[m, n]
  return %t3
}
)");
}

//===----------------------------------------------------------------------===//
// Neural-network functions
//===----------------------------------------------------------------------===//

TEST(TensorGradCheck, TwoLayerNetCrossEntropy) {
  check(R"(
func @f(%x: f64[m, k], %W1: f64[k, n], %b1: f64[n], %W2: f64[n, c], %b2: f64[c], %y: i64[m]) -> f64 {
  %z1 = matmul %x, %W1 : f64[m, n]
  %bb1 = broadcast %b1 : f64[m, n]
  %a1 = add %z1, %bb1 : f64[m, n]
  %h1 = relu %a1 : f64[m, n]
  %z2 = matmul %h1, %W2 : f64[m, c]
  %bb2 = broadcast %b2 : f64[m, c]
  %s = add %z2, %bb2 : f64[m, c]
  %lp = log_softmax %s axis=1 : f64[m, c]
  %p = pick %lp, %y : f64[m]
  %t = reduce_sum %p axis=0 : f64
  %nb = dim m : i64
  %nf = convert %nb : f64
  %mean = div %t, %nf : f64
  %loss = neg %mean : f64
  return %loss
}
)");
}

TEST(TensorGradCheck, SvmLossWithLogSumExpRegularizer) {
  // Multiclass hinge loss sum(max(0, s - s_y + 1)) plus logsumexp terms
  // and an L2 penalty.
  check(R"(
func @f(%x: f64[m, k], %W: f64[k, c], %y: i64[m]) -> f64 {
  %s = matmul %x, %W : f64[m, c]
  %sy = pick %s, %y : f64[m]
  %syc = reshape %sy : f64[m, 1]
  %syb = broadcast %syc : f64[m, c]
  %d = sub %s, %syb : f64[m, c]
  %one = const 1 : f64
  %ones = broadcast %one : f64[m, c]
  %margin = add %d, %ones : f64[m, c]
  %h = relu %margin : f64[m, c]
  %rows = reduce_sum %h axis=1 : f64[m]
  %lse = logsumexp %s axis=1 : f64[m]
  %both = add %rows, %lse : f64[m]
  %data = reduce_sum %both axis=0 : f64
  %w2 = mul %W, %W : f64[k, c]
  %wc = reduce_sum %w2 axis=1 : f64[k]
  %reg = reduce_sum %wc axis=0 : f64
  %half = const 0.5 : f64
  %r2 = mul %half, %reg : f64
  %loss = add %data, %r2 : f64
  return %loss
}
)");
}

TEST(TensorGradCheck, AttentionAndLayerNorm) {
  // softmax(Q K^T) V, then a layer norm over the last axis.
  check(R"(
func @f(%q: f64[m, k], %kk: f64[n, k], %v: f64[n, c]) -> f64[m, c] {
  %kt = transpose %kk : f64[k, n]
  %s = matmul %q, %kt : f64[m, n]
  %p = softmax %s axis=1 : f64[m, n]
  %o = matmul %p, %v : f64[m, c]
  %sum = reduce_sum %o axis=1 : f64[m]
  %cn = dim c : i64
  %cf = convert %cn : f64
  %cb = broadcast %cf : f64[m]
  %mu = div %sum, %cb : f64[m]
  %muc = reshape %mu : f64[m, 1]
  %mub = broadcast %muc : f64[m, c]
  %xc = sub %o, %mub : f64[m, c]
  %sq = mul %xc, %xc : f64[m, c]
  %vs = reduce_sum %sq axis=1 : f64[m]
  %var = div %vs, %cb : f64[m]
  %eps = const 0.001 : f64
  %epsb = broadcast %eps : f64[m]
  %ve = add %var, %epsb : f64[m]
  %sd = sqrt %ve : f64[m]
  %sdc = reshape %sd : f64[m, 1]
  %sdb = broadcast %sdc : f64[m, c]
  %r = div %xc, %sdb : f64[m, c]
  return %r
}
)");
}

TEST(TensorGradCheck, CallsWithDimensionVariables) {
  // The callee's dimension variables bind to the caller's dims when the
  // forward sweep expands the call.
  check(R"(
func internal @layer(%x: f64[b, i], %W: f64[i, o]) -> f64[b, o] {
  %z = matmul %x, %W : f64[b, o]
  %h = tanh %z : f64[b, o]
  return %h
}
func @f(%x: f64[m, k], %W1: f64[k, n], %W2: f64[n, c]) -> f64[m, c] {
  %h = call @layer(%x, %W1) : f64[m, n]
  %o = call @layer(%h, %W2) : f64[m, c]
  return %o
}
)");
}

//===----------------------------------------------------------------------===//
// Element-wise ops and statistics (issue 12)
//===----------------------------------------------------------------------===//

TEST(TensorGradCheck, Issue12Elementwise) {
  // leaky_relu and elu take their parameter as an operand: its gradient is
  // checked too (a per-element slope, PReLU-like). Kinks at 0 are avoided.
  for (const char *Op : {"leaky_relu", "elu"})
    check(std::string("func @f(%a: f64[m, n], %s: f64[m, n]) -> f64[m, n] {\n"
                      "  %r = ") +
              Op + " %a, %s : f64[m, n]\n  return %r\n}\n",
          Inputs::AwayFromZero);
  for (const char *Op : {"maximum", "minimum"})
    check(std::string("func @f(%a: f64[m, n], %b: f64[m, n]) -> f64[m, n] {\n"
                      "  %r = ") +
          Op + " %a, %b : f64[m, n]\n  return %r\n}\n");
  for (const char *Op : {"erf", "gelu"})
    check(std::string("func @f(%a: f64[m, n]) -> f64[m, n] {\n  %r = ") + Op +
          " %a : f64[m, n]\n  return %r\n}\n");
  // sign passes no gradient: x * sign(x) = |x| has derivative sign(x).
  check(R"(
func @f(%a: f64[m, n]) -> f64[m, n] {
  %s = sign %a : f64[m, n]
  %r = mul %a, %s : f64[m, n]
  return %r
}
)",
        Inputs::AwayFromZero);
  // clamp with a bound per element, a broadcast row and a scalar bound;
  // random bounds are crossed (lo > hi) in about half of the elements.
  check(R"(
func @f(%x: f64[m, n], %lo: f64[m, n], %hi: f64[n]) -> f64[m, n] {
  %h = broadcast %hi : f64[m, n]
  %r = clamp %x, %lo, %h : f64[m, n]
  %e = exp %r : f64[m, n]
  return %e
}
)");
  check(R"(
func @f(%x: f64[m, n]) -> f64[m, n] {
  %lo = const -0.25 : f64
  %los = broadcast %lo : f64[m, n]
  %hi = const 0.5 : f64
  %his = broadcast %hi : f64[m, n]
  %r = clamp %x, %los, %his : f64[m, n]
  %s = sin %r : f64[m, n]
  return %s
}
)");
}

/// The gradients of @f of \p Text at \p Args, one value per parameter.
std::vector<std::vector<double>> gradientsAt(const std::string &Text,
                                             const std::vector<Value> &Args) {
  std::unique_ptr<Module> M = parseIR(Text);
  if (!M)
    return {};
  if (llvm::Error E = differentiateModule(*M)) {
    ADD_FAILURE() << llvm::toString(std::move(E));
    return {};
  }
  llvm::Expected<Value> G = evaluate(*M, *M->lookup("df"), Args);
  if (!G) {
    ADD_FAILURE() << llvm::toString(G.takeError());
    return {};
  }
  if (G->Elements.empty())
    return {G->Data};
  std::vector<std::vector<double>> Out;
  for (const Value &E : G->Elements)
    Out.push_back(E.Data);
  return Out;
}

TEST(TensorGradCheck, Issue12KinksFollowPyTorch) {
  // Each expectation is what torch 1.13 gives (docs/language.md).
  const double NaN = std::nan("");
  // maximum/minimum: a tie splits the gradient; a NaN gives it to both.
  for (const char *Op : {"maximum", "minimum"}) {
    auto G = gradientsAt(std::string(R"(
func @f(%a: f64[3], %b: f64[3]) -> f64 {
  %m = )") + Op + R"( %a, %b : f64[3]
  %r = reduce_sum %m axis=0 : f64
  return %r
}
func @df = grad @f wrt(0, 1)
)",
                         {Value::tensor({3}, {1, 2, NaN}),
                          Value::tensor({3}, {1, 1, 1})});
    ASSERT_EQ(G.size(), 2u) << Op;
    bool Max = std::string(Op) == "maximum";
    EXPECT_EQ(G[0], (std::vector<double>{0.5, Max ? 1.0 : 0.0, 1})) << Op;
    EXPECT_EQ(G[1], (std::vector<double>{0.5, Max ? 0.0 : 1.0, 1})) << Op;
  }
  // clamp: x gets the gradient on [lo, hi], bounds included, none for NaN;
  // lo only below a proper interval, hi above it or when lo > hi.
  auto G = gradientsAt(R"(
func @f(%x: f64[7], %lo: f64[7], %hi: f64[7]) -> f64 {
  %c = clamp %x, %lo, %hi : f64[7]
  %r = reduce_sum %c axis=0 : f64
  return %r
}
func @df = grad @f wrt(0, 1, 2)
)",
                       {Value::tensor({7}, {0, 0.5, 1, 2, -1, NaN, 0.5}),
                        Value::tensor({7}, {0, 0, 0, 0, 0, 0, 2}),
                        Value::tensor({7}, {1, 1, 1, 1, 1, 1, 1})});
  ASSERT_EQ(G.size(), 3u);
  EXPECT_EQ(G[0], (std::vector<double>{1, 1, 1, 0, 0, 0, 0}));
  EXPECT_EQ(G[1], (std::vector<double>{0, 0, 0, 0, 1, 0, 0}));
  EXPECT_EQ(G[2], (std::vector<double>{0, 0, 0, 1, 0, 0, 1}));
  // leaky_relu'(0) = slope, elu'(0) = alpha, and a NaN: slope, resp. 1.
  for (const char *Op : {"leaky_relu", "elu"}) {
    auto G = gradientsAt(std::string(R"(
func @f(%x: f64[3]) -> f64 {
  %s = const 0.25 : f64
  %ss = broadcast %s : f64[3]
  %y = )") + Op + R"( %x, %ss : f64[3]
  %r = reduce_sum %y axis=0 : f64
  return %r
}
func @df = grad @f wrt(0)
)",
                         {Value::tensor({3}, {0, 2, NaN})});
    ASSERT_EQ(G.size(), 1u) << Op;
    bool Leaky = std::string(Op) == "leaky_relu";
    EXPECT_EQ(G[0], (std::vector<double>{0.25, 1, Leaky ? 0.25 : 1})) << Op;
  }
}

// After every check of the real rules (gtest runs a file in order), and
// before the wrong rule below.
TEST(TensorGradCheck, ReportWorstError) {
  std::printf("worst relative gradcheck error: %.3g\n", worstErrorSeen());
  RecordProperty("WorstError", std::to_string(worstErrorSeen()));
  EXPECT_LE(worstErrorSeen(), Tolerance);
}

TEST(TensorGradCheck, HarnessCatchesAWrongRule) {
  // A user backward rule that forgets the factor 2 of d/dx x^2.
  GradCheckResult R = gradCheck(R"(
func @f(%x: f64[n]) -> f64[n] backward @fb {
  %r = mul %x, %x : f64[n]
  return %r
}
func internal @fb(%x: f64[n], %g: f64[n]) -> f64[n] {
  %r = mul %g, %x : f64[n]
  return %r
}
)",
                                {{"n", 3}}, Inputs::Any, 7, "c", false);
  ASSERT_EQ(R.Failure, "");
  EXPECT_GT(R.WorstGrad, 0.4);
  EXPECT_GT(R.WorstAdjoint, 0.4);
}

TEST(TensorGradCheck, HarnessCatchesANaNRule) {
  // The right rule 2 g x, plus 0 * log(x): NaN where x < 0 and exactly the
  // right value elsewhere. A check that keeps the worst error with
  // std::max(Worst, Err) skips the NaN elements and passes this rule; a
  // NaN anywhere in a compared value must make the error infinite.
  GradCheckResult R = gradCheck(R"(
func @f(%x: f64[n]) -> f64[n] backward @fb {
  %r = mul %x, %x : f64[n]
  return %r
}
func internal @fb(%x: f64[n], %g: f64[n]) -> f64[n] {
  %two = const 2 : f64
  %twos = broadcast %two : f64[n]
  %zero = const 0 : f64
  %zeros = broadcast %zero : f64[n]
  %gx = mul %g, %x : f64[n]
  %right = mul %gx, %twos : f64[n]
  %l = log %x : f64[n]
  %nan = mul %l, %zeros : f64[n]
  %r = add %right, %nan : f64[n]
  return %r
}
)",
                                {{"n", 6}}, Inputs::AwayFromZero, 7, "c",
                                false);
  ASSERT_EQ(R.Failure, "");
  EXPECT_EQ(R.WorstGrad, std::numeric_limits<double>::infinity());
  EXPECT_EQ(R.WorstAdjoint, std::numeric_limits<double>::infinity());
  EXPECT_FALSE(R.WorstGrad <= Tolerance);
}

} // namespace
