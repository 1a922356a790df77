//===- TensorADTest.cpp - Derived functions of tensor functions -----------===//
//
// Exact values (the lecture's vectorized example), the signatures of the
// derived functions, second derivatives against closed forms, and the
// error for a gradient of a tensor-valued function.
//
//===----------------------------------------------------------------------===//
#include "../Common/IREvaluator.h"
#include "../Common/IRTestHelpers.h"
#include "GradCheck.h"
#include "nnc/AD/AD.h"
#include "nnc/Transforms/Passes.h"
#include "gtest/gtest.h"
#include <cmath>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

std::unique_ptr<Module> derive(const std::string &Text, bool Optimize) {
  std::unique_ptr<Module> M = parseIR(Text);
  if (!M)
    return nullptr;
  if (llvm::Error E = differentiateModule(*M)) {
    ADD_FAILURE() << llvm::toString(std::move(E));
    return nullptr;
  }
  if (Optimize) {
    PipelineOptions Opts;
    Opts.MaxIterations = 4;
    if (llvm::Error E = runPipeline(*M, getDefaultPipeline(), Opts)) {
      ADD_FAILURE() << llvm::toString(std::move(E));
      return nullptr;
    }
  }
  EXPECT_EQ(verifyModule(*M), "");
  return M;
}

Value run(const Module &M, const char *Name, const std::vector<Value> &Args) {
  llvm::Expected<Value> V = evaluate(M, *M.lookup(Name), Args);
  if (!V) {
    ADD_FAILURE() << llvm::toString(V.takeError());
    return {};
  }
  return *V;
}

void expectNear(const std::vector<double> &Got, const std::vector<double> &Want,
                double Tol = 1e-12) {
  ASSERT_EQ(Got.size(), Want.size());
  for (size_t I = 0; I < Got.size(); ++I)
    EXPECT_NEAR(Got[I], Want[I], Tol) << "element " << I;
}

// The lecture's vectorized example: f = sum((W x)^2), so
// df/dW = 2 q x^T and df/dx = 2 W^T q with q = W x.
const char *const Lecture = R"(
func @f(%W: f64[n, n], %x: f64[n]) -> f64 {
  %q = matmul %W, %x : f64[n]
  %two = const 2 : f64
  %t = broadcast %two : f64[n]
  %sq = pow %q, %t : f64[n]
  %s = reduce_sum %sq axis=0 : f64
  return %s
}
func @vg = value_and_grad @f wrt(0, 1)
)";

TEST(TensorAD, LectureVectorizedExample) {
  for (bool Optimize : {false, true}) {
    std::unique_ptr<Module> M = derive(Lecture, Optimize);
    ASSERT_TRUE(M);
    Value R = run(*M, "vg", {Value::tensor({2, 2}, {0.1, 0.5, -0.3, 0.8}),
                            Value::tensor({2}, {0.2, 0.4})});
    ASSERT_TRUE(R.IsTuple);
    EXPECT_NEAR(R.Elements[0].item(), 0.116, 1e-12);
    const Value &Grads = R.Elements[1];
    expectNear(Grads.Elements[0].Data, {0.088, 0.176, 0.104, 0.208});
    EXPECT_EQ(Grads.Elements[0].Shape, (std::vector<int64_t>{2, 2}));
    expectNear(Grads.Elements[1].Data, {-0.112, 0.636});
  }
}

TEST(TensorAD, LectureExampleOptimizedUsesTransposedMatMuls) {
  // After the pipeline: dW is an outer product, dx = W^T (2 q); the
  // splat 2 of the power rule survives as one broadcast.
  std::unique_ptr<Module> M = derive(Lecture, true);
  ASSERT_TRUE(M);
  const Function &G = *M->lookup("vg");
  unsigned MatMuls = 0, Transposes = 0, Pows = 0;
  for (const Op &O : G.Ops) {
    MatMuls += O.Kind == OpKind::MatMul;
    Transposes += O.Kind == OpKind::Transpose;
    Pows += O.Kind == OpKind::Pow;
  }
  EXPECT_EQ(MatMuls, 3u) << print(G); // forward, dW, dx
  EXPECT_EQ(Transposes, 1u) << print(G);
  EXPECT_EQ(Pows, 0u) << print(G); // q^2 is q * q, and (q^1) is q
}

TEST(TensorAD, VjpTakesTheUpstreamGradientWithTheResultType) {
  std::unique_ptr<Module> M = derive(R"(
func @f(%x: f64[m, n], %k: i64) -> (f64[m], f64) {
  %r = reduce_sum %x axis=1 : f64[m]
  %s = reduce_sum %r axis=0 : f64
  %t = tuple %r, %s : (f64[m], f64)
  return %t
}
func @vf = vjp @f wrt(0)
)",
                                     false);
  ASSERT_TRUE(M);
  const Function &V = *M->lookup("vf");
  ASSERT_EQ(V.getNumParams(), 4u);
  EXPECT_EQ(V.getParamType(2).str(), "f64[m]");
  EXPECT_EQ(V.getParamType(3).str(), "f64");
  EXPECT_EQ(V.ResultType.str(), "f64[m, n]");
  // d/dx <(rowsums, total), (u, w)> = u_i + w.
  Value G = run(*M, "vf",
                {Value::tensor({2, 3}, {1, 2, 3, 4, 5, 6}),
                 Value::scalar(0, ElementKind::I64),
                 Value::tensor({2}, {10, 20}), Value::scalar(1)});
  expectNear(G.Data, {11, 11, 11, 21, 21, 21});
}

TEST(TensorAD, UnusedTensorParameterGetsAZeroTensor) {
  std::unique_ptr<Module> M = derive(R"(
func @f(%x: f64[n], %y: f64[m, n]) -> f64 {
  %s = reduce_sum %x axis=0 : f64
  return %s
}
func @df = grad @f wrt(0, 1)
)",
                                     true);
  ASSERT_TRUE(M);
  Value G = run(*M, "df", {Value::tensor({2}, {1, 2}),
                           Value::tensor({1, 2}, {3, 4})});
  expectNear(G.Elements[0].Data, {1, 1});
  expectNear(G.Elements[1].Data, {0, 0});
  EXPECT_EQ(G.Elements[1].Shape, (std::vector<int64_t>{1, 2}));
}

TEST(TensorAD, SecondDerivativeOfATensorFunction) {
  // f = sum(sin(x)) + 0.5 * x.x; grad f = cos(x) + x, and the gradient of
  // k = sum(grad f) is -sin(x) + 1.
  std::unique_ptr<Module> M = derive(R"(
func @f(%x: f64[n]) -> f64 {
  %s = sin %x : f64[n]
  %a = reduce_sum %s axis=0 : f64
  %d = matmul %x, %x : f64
  %h = const 0.5 : f64
  %q = mul %h, %d : f64
  %r = add %a, %q : f64
  return %r
}
func @g = grad @f wrt(0)
func @k(%x: f64[n]) -> f64 {
  %g = call @g(%x) : f64[n]
  %s = reduce_sum %g axis=0 : f64
  return %s
}
func @dk = grad @k wrt(0)
)",
                                     false);
  ASSERT_TRUE(M);
  std::vector<double> X = {0.3, -1.2, 2.0};
  Value G = run(*M, "g", {Value::tensor({3}, X)});
  Value H = run(*M, "dk", {Value::tensor({3}, X)});
  for (size_t I = 0; I < X.size(); ++I) {
    EXPECT_NEAR(G.Data[I], std::cos(X[I]) + X[I], 1e-14);
    EXPECT_NEAR(H.Data[I], -std::sin(X[I]) + 1, 1e-14);
  }
}

TEST(TensorAD, GradOfATensorResultIsAnError) {
  // The IR parser rejects this declaration; AD checks on its own too.
  std::unique_ptr<Module> M = parseIR(R"(
func @f(%x: f64[n]) -> f64[n] {
  %e = exp %x : f64[n]
  return %e
}
)");
  ASSERT_TRUE(M);
  DerivedDecl D;
  D.Name = "df";
  D.Of = "f";
  D.Wrt = {0};
  llvm::Expected<Function *> F = differentiate(*M, D);
  ASSERT_FALSE(bool(F));
  EXPECT_EQ(llvm::toString(F.takeError()),
            "'grad' of @f needs a float scalar result, not f64[n]");
  EXPECT_EQ(M->lookup("df"), nullptr);
}

} // namespace
