//===- TransformsTest.cpp - Tests of simplify, cse, dce, inline -----------===//
//
// Functions are built with ir::Builder and compared through their printed
// form, which is what the lit tests see too; folded constants are checked
// bitwise where the sign of zero or the precision matters.
//
//===----------------------------------------------------------------------===//
#include "../Common/IRTestHelpers.h"
#include "nnc/IR/IR.h"
#include "nnc/Transforms/Passes.h"
#include "gtest/gtest.h"
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

using namespace nnc;
using namespace nnc::ir;

namespace {

using namespace nnc::ir::testing;

/// simplify, then dce, so the printed function only shows what is used.
std::string simplified(Function &F) {
  simplify(F);
  eliminateDeadCode(F);
  EXPECT_EQ(verifyFunction(F), "") << print(F);
  return print(F);
}

uint64_t bits(double D) {
  uint64_t B;
  std::memcpy(&B, &D, sizeof(B));
  return B;
}

/// The op F returns, after simplify and dce.
const Op &foldedResult(Function &F) {
  simplify(F);
  eliminateDeadCode(F);
  EXPECT_EQ(verifyFunction(F), "") << print(F);
  return F.op(F.getReturnedValue());
}

/// A function `() -> T` returning K(a, b) of two constants.
const Op &foldBinary(Function &F, OpKind K, Type T, double A, double B) {
  Builder Bd(F);
  ValueId CA = Bd.constant(T, A), CB = Bd.constant(T, B);
  ValueId R = Bd.binary(K, CA, CB);
  F.ResultType = F.typeOf(R);
  Bd.ret(R);
  return foldedResult(F);
}

const Op &foldUnary(Function &F, OpKind K, Type T, double A) {
  Builder Bd(F);
  ValueId R = Bd.unary(K, Bd.constant(T, A));
  F.ResultType = T;
  Bd.ret(R);
  return foldedResult(F);
}

const Op &foldConvert(Function &F, Type From, double A, ElementKind To) {
  Builder Bd(F);
  ValueId R = Bd.convert(Bd.constant(From, A), To);
  F.ResultType = Type::scalar(To);
  Bd.ret(R);
  return foldedResult(F);
}

const double NaN = std::numeric_limits<double>::quiet_NaN();

//===----------------------------------------------------------------------===//
// Constant folding
//===----------------------------------------------------------------------===//

TEST(SimplifyFold, F64Arithmetic) {
  Function F("f");
  const Op &R = foldBinary(F, OpKind::Add, F64, 1.5, 2.25);
  ASSERT_TRUE(R.isConst());
  EXPECT_EQ(R.FloatValue, 3.75);
  EXPECT_EQ(print(F), "func @f() -> f64 {\n"
                      "  %0 = const 3.75 : f64\n"
                      "  return %0\n"
                      "}\n");
}

TEST(SimplifyFold, F32IsComputedInFloat) {
  Function F("f");
  const Op &R = foldBinary(F, OpKind::Div, F32, 1.0, 3.0);
  ASSERT_TRUE(R.isConst());
  EXPECT_EQ(R.FloatValue, static_cast<double>(1.0f / 3.0f));
  EXPECT_NE(R.FloatValue, 1.0 / 3.0);

  Function G("g");
  float A = 1.0f, B = std::ldexp(1.0f, -24) + std::ldexp(1.0f, -47);
  const Op &S = foldBinary(G, OpKind::Add, F32, A, B);
  EXPECT_EQ(S.FloatValue, static_cast<double>(A + B));
}

TEST(SimplifyFold, F32MathUsesFloatFunctions) {
  Function F("f");
  const Op &R = foldBinary(F, OpKind::Pow, F32, 1.1, 3.7);
  float X = static_cast<float>(1.1), Y = static_cast<float>(3.7);
  EXPECT_EQ(R.FloatValue, static_cast<double>(powf(X, Y)));
  Function G("g");
  const Op &E = foldUnary(G, OpKind::Exp, F32, 0.3);
  EXPECT_EQ(E.FloatValue, static_cast<double>(expf(static_cast<float>(0.3))));
}

TEST(SimplifyFold, IntegerWraps) {
  Function F("f");
  EXPECT_EQ(foldBinary(F, OpKind::Add, I32, 2147483647, 1).IntValue,
            -2147483648LL);
  Function G("g");
  EXPECT_EQ(foldBinary(G, OpKind::Mul, I32, 65536, 65536).IntValue, 0);
  Function H("h");
  EXPECT_EQ(foldBinary(H, OpKind::Sub, I32, -2147483648.0, 1).IntValue,
            2147483647);
  Function K("k");
  {
    Builder B(K);
    Op C;
    C.Kind = OpKind::Const;
    C.Ty = I64;
    C.IntValue = std::numeric_limits<int64_t>::max();
    ValueId Max = B.append(C);
    ValueId R = B.binary(OpKind::Add, Max, B.constant(I64, 1));
    K.ResultType = I64;
    B.ret(R);
  }
  EXPECT_EQ(foldedResult(K).IntValue, std::numeric_limits<int64_t>::min());
  Function N("n");
  EXPECT_EQ(foldUnary(N, OpKind::Neg, I32, -2147483648.0).IntValue,
            -2147483648LL);
  Function A("a");
  EXPECT_EQ(foldUnary(A, OpKind::Abs, I32, -2147483648.0).IntValue,
            -2147483648LL);
}

TEST(SimplifyFold, IntegerDivision) {
  Function F("f");
  EXPECT_EQ(foldBinary(F, OpKind::Div, I32, 7, 0).IntValue, 0);
  Function G("g");
  EXPECT_EQ(foldBinary(G, OpKind::Div, I32, -2147483648.0, -1).IntValue,
            -2147483648LL);
  Function H("h");
  EXPECT_EQ(foldBinary(H, OpKind::Div, I32, -7, 2).IntValue, -3);
  Function K("k");
  EXPECT_EQ(foldBinary(K, OpKind::Div, I64, -9, 0).IntValue, 0);
}

TEST(SimplifyFold, Comparisons) {
  Function F("f");
  EXPECT_EQ(foldBinary(F, OpKind::Ne, F64, NaN, NaN).IntValue, 1);
  Function G("g");
  EXPECT_EQ(foldBinary(G, OpKind::Eq, F64, NaN, NaN).IntValue, 0);
  Function H("h");
  EXPECT_EQ(foldBinary(H, OpKind::Lt, F64, NaN, 1).IntValue, 0);
  Function K("k");
  EXPECT_EQ(foldBinary(K, OpKind::Ge, F64, NaN, 1).IntValue, 0);
  Function L("l");
  EXPECT_EQ(foldBinary(L, OpKind::Lt, I32, -1, 0).IntValue, 1);
  Function M("m");
  EXPECT_EQ(foldBinary(M, OpKind::Eq, F64, 0.0, -0.0).IntValue, 1);
}

TEST(SimplifyFold, MathAndMaxMin) {
  Function F("f");
  EXPECT_EQ(foldUnary(F, OpKind::Sigmoid, F64, 0).FloatValue, 0.5);
  Function G("g");
  const Op &ReluNegZero = foldUnary(G, OpKind::Relu, F64, -0.0);
  EXPECT_EQ(bits(ReluNegZero.FloatValue), bits(0.0));
  Function H("h");
  EXPECT_TRUE(std::isnan(foldUnary(H, OpKind::Relu, F64, NaN).FloatValue));
  Function K("k");
  EXPECT_EQ(foldUnary(K, OpKind::Relu, F64, -2).FloatValue, 0.0);
  // max(a, b) is a >= b ? a : b: ties pick the first operand, NaN the
  // second.
  Function M1("m1");
  EXPECT_EQ(bits(foldBinary(M1, OpKind::Max, F64, 0.0, -0.0).FloatValue),
            bits(0.0));
  Function M2("m2");
  EXPECT_EQ(bits(foldBinary(M2, OpKind::Max, F64, -0.0, 0.0).FloatValue),
            bits(-0.0));
  Function M3("m3");
  EXPECT_EQ(foldBinary(M3, OpKind::Max, F64, NaN, 1).FloatValue, 1.0);
  Function M4("m4");
  EXPECT_TRUE(std::isnan(foldBinary(M4, OpKind::Min, F64, 1, NaN).FloatValue));
  Function M5("m5");
  EXPECT_EQ(foldBinary(M5, OpKind::Min, I32, 3, -4).IntValue, -4);
  Function N("n");
  EXPECT_EQ(bits(foldUnary(N, OpKind::Neg, F64, 0.0).FloatValue), bits(-0.0));
}

TEST(SimplifyFold, Convert) {
  Function A("a");
  EXPECT_EQ(foldConvert(A, F64, 3.9, ElementKind::I32).IntValue, 3);
  Function B("b");
  EXPECT_EQ(foldConvert(B, F64, -3.9, ElementKind::I32).IntValue, -3);
  Function C("c");
  // Saturating, like LLVM's fptosi.sat.
  EXPECT_EQ(foldConvert(C, F64, 1e10, ElementKind::I32).IntValue, 2147483647);
  Function C2("c2");
  EXPECT_EQ(foldConvert(C2, F64, -1e30, ElementKind::I64).IntValue,
            std::numeric_limits<int64_t>::min());
  Function C3("c3");
  EXPECT_EQ(foldConvert(C3, F64, INFINITY, ElementKind::I64).IntValue,
            std::numeric_limits<int64_t>::max());
  Function D("d");
  EXPECT_EQ(foldConvert(D, F64, NaN, ElementKind::I64).IntValue, 0);
  Function E("e");
  EXPECT_EQ(foldConvert(E, F64, 1e10, ElementKind::I64).IntValue,
            10000000000LL);
  Function G("g");
  EXPECT_EQ(foldConvert(G, F64, NaN, ElementKind::Bool).IntValue, 1);
  Function H("h");
  EXPECT_EQ(foldConvert(H, F64, 0.1, ElementKind::F32).FloatValue,
            static_cast<double>(0.1f));
  Function K("k");
  EXPECT_EQ(foldConvert(K, I64, 16777217, ElementKind::F32).FloatValue,
            16777216.0);
  Function L("l");
  EXPECT_EQ(foldConvert(L, I64, 4294967297.0, ElementKind::I32).IntValue, 1);
  Function M("m");
  EXPECT_EQ(foldConvert(M, Bool, 1, ElementKind::F64).FloatValue, 1.0);
}

TEST(SimplifyFold, LogicAndSelect) {
  Function F("f");
  {
    Builder B(F);
    ValueId X = B.param(F64, "x"), Y = B.param(F64, "y");
    ValueId T = B.constant(Bool, 1), Fl = B.constant(Bool, 0);
    ValueId C = B.binary(OpKind::And, T, B.binary(OpKind::Or, Fl, T));
    ValueId R = B.select(C, X, Y);
    F.ResultType = F64;
    B.ret(R);
  }
  EXPECT_EQ(simplified(F), "func @f(%x: f64, %y: f64) -> f64 {\n"
                           "  return %x\n"
                           "}\n");
}

//===----------------------------------------------------------------------===//
// Identities
//===----------------------------------------------------------------------===//

/// f(x: T) = K(x, c) or K(c, x).
std::string identity(OpKind K, Type T, double C, bool ConstFirst = false) {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(T, "x");
  ValueId CV = B.constant(T, C);
  ValueId R = ConstFirst ? B.binary(K, CV, X) : B.binary(K, X, CV);
  F.ResultType = T;
  B.ret(R);
  return simplified(F);
}

const char *ReturnsX = "func @f(%x: f64) -> f64 {\n"
                       "  return %x\n"
                       "}\n";

TEST(SimplifyIdentity, FloatIdentities) {
  EXPECT_EQ(identity(OpKind::Mul, F64, 1), ReturnsX);
  EXPECT_EQ(identity(OpKind::Mul, F64, 1, true), ReturnsX);
  EXPECT_EQ(identity(OpKind::Div, F64, 1), ReturnsX);
  EXPECT_EQ(identity(OpKind::Sub, F64, 0.0), ReturnsX);
  EXPECT_EQ(identity(OpKind::Add, F64, -0.0), ReturnsX);
  EXPECT_EQ(identity(OpKind::Add, F64, -0.0, true), ReturnsX);
  EXPECT_EQ(identity(OpKind::Pow, F64, 1), ReturnsX);
}

TEST(SimplifyIdentity, FloatNonIdentities) {
  // -0.0 + 0.0 is +0.0.
  EXPECT_EQ(identity(OpKind::Add, F64, 0.0), "func @f(%x: f64) -> f64 {\n"
                                             "  %0 = const 0 : f64\n"
                                             "  %1 = add %x, %0 : f64\n"
                                             "  return %1\n"
                                             "}\n");
  EXPECT_EQ(identity(OpKind::Add, F64, 0.0, true), "func @f(%x: f64) -> f64 {\n"
                                                   "  %0 = const 0 : f64\n"
                                                   "  %1 = add %0, %x : f64\n"
                                                   "  return %1\n"
                                                   "}\n");
  // NaN, Inf and negative x.
  EXPECT_EQ(identity(OpKind::Mul, F64, 0.0), "func @f(%x: f64) -> f64 {\n"
                                             "  %0 = const 0 : f64\n"
                                             "  %1 = mul %x, %0 : f64\n"
                                             "  return %1\n"
                                             "}\n");
  // x - (-0.0) is x + 0.0.
  EXPECT_EQ(identity(OpKind::Sub, F64, -0.0), "func @f(%x: f64) -> f64 {\n"
                                              "  %0 = const -0 : f64\n"
                                              "  %1 = sub %x, %0 : f64\n"
                                              "  return %1\n"
                                              "}\n");
  // x - x is NaN for x = Inf.
  Function F("f");
  Builder B(F);
  ValueId X = B.param(F64, "x");
  F.ResultType = F64;
  B.ret(B.binary(OpKind::Sub, X, X));
  EXPECT_EQ(simplified(F), "func @f(%x: f64) -> f64 {\n"
                           "  %0 = sub %x, %x : f64\n"
                           "  return %0\n"
                           "}\n");
}

TEST(SimplifyIdentity, IntegerIdentities) {
  const char *ReturnsXi = "func @f(%x: i32) -> i32 {\n"
                          "  return %x\n"
                          "}\n";
  const char *ReturnsZero = "func @f(%x: i32) -> i32 {\n"
                            "  %0 = const 0 : i32\n"
                            "  return %0\n"
                            "}\n";
  EXPECT_EQ(identity(OpKind::Add, I32, 0), ReturnsXi);
  EXPECT_EQ(identity(OpKind::Add, I32, 0, true), ReturnsXi);
  EXPECT_EQ(identity(OpKind::Sub, I32, 0), ReturnsXi);
  EXPECT_EQ(identity(OpKind::Mul, I32, 1), ReturnsXi);
  EXPECT_EQ(identity(OpKind::Div, I32, 1), ReturnsXi);
  EXPECT_EQ(identity(OpKind::Mul, I32, 0), ReturnsZero);
  EXPECT_EQ(identity(OpKind::Mul, I32, 0, true), ReturnsZero);
}

TEST(SimplifyIdentity, MulByMinusOneIsNeg) {
  EXPECT_EQ(identity(OpKind::Mul, F64, -1), "func @f(%x: f64) -> f64 {\n"
                                            "  %0 = neg %x : f64\n"
                                            "  return %0\n"
                                            "}\n");
}

TEST(SimplifyIdentity, PowTwoIsMul) {
  EXPECT_EQ(identity(OpKind::Pow, F64, 2), "func @f(%x: f64) -> f64 {\n"
                                           "  %0 = mul %x, %x : f64\n"
                                           "  return %0\n"
                                           "}\n");
  // pow(x, -1) stays.
  EXPECT_NE(identity(OpKind::Pow, F64, -1).find("pow %x"), std::string::npos);
}

TEST(SimplifyNeg, NegNegCancels) {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(F64, "x");
  F.ResultType = F64;
  B.ret(B.unary(OpKind::Neg, B.unary(OpKind::Neg, X)));
  EXPECT_EQ(simplified(F), ReturnsX);
}

TEST(SimplifyNeg, NegationsBubbleThroughProducts) {
  // mul(mul(neg a, b), neg c) -> mul(mul(a, b), c), and
  // neg(mul(neg a, b)) -> mul(a, b).
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), Bv = B.param(F64, "b"), C = B.param(F64, "c");
  ValueId M1 = B.binary(OpKind::Mul, B.unary(OpKind::Neg, A), Bv);
  ValueId NC = B.unary(OpKind::Neg, C);
  B.setNextName("r");
  ValueId R1 = B.binary(OpKind::Mul, M1, NC);
  ValueId R2 = B.unary(OpKind::Neg, M1);
  ValueId T = B.tuple({R1, R2});
  F.ResultType = F.typeOf(T);
  B.ret(T);
  EXPECT_EQ(simplified(F),
            "func @f(%a: f64, %b: f64, %c: f64) -> (f64, f64) {\n"
            "  %0 = mul %a, %b : f64\n"
            "  %r = mul %0, %c : f64\n"
            "  %1 = tuple %r, %0 : (f64, f64)\n"
            "  return %1\n"
            "}\n");
  EXPECT_FALSE(simplify(F)) << "a second run changes nothing";

  // An odd number of negations leaves one, outermost.
  Function G("g");
  Builder BG(G);
  ValueId X = BG.param(F64, "x"), Y = BG.param(F64, "y");
  ValueId P = BG.binary(OpKind::Mul, BG.unary(OpKind::Neg, X), Y);
  G.ResultType = F64;
  BG.ret(BG.binary(OpKind::Mul, P, X));
  EXPECT_EQ(simplified(G), "func @g(%x: f64, %y: f64) -> f64 {\n"
                           "  %0 = mul %x, %y : f64\n"
                           "  %1 = mul %0, %x : f64\n"
                           "  %2 = neg %1 : f64\n"
                           "  return %2\n"
                           "}\n");
}

TEST(SimplifyNeg, NegOperandsOfMulAndDiv) {
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), Bv = B.param(F64, "b");
  ValueId NA = B.unary(OpKind::Neg, A), NB = B.unary(OpKind::Neg, Bv);
  ValueId M = B.binary(OpKind::Mul, NA, NB); // a * b
  ValueId D = B.binary(OpKind::Div, NA, Bv); // -(a / b)
  ValueId S = B.binary(OpKind::Add, M, D);   // (a*b) - (a/b)
  F.ResultType = F64;
  B.ret(S);
  EXPECT_EQ(simplified(F), "func @f(%a: f64, %b: f64) -> f64 {\n"
                           "  %0 = mul %a, %b : f64\n"
                           "  %1 = div %a, %b : f64\n"
                           "  %2 = sub %0, %1 : f64\n"
                           "  return %2\n"
                           "}\n");
}

TEST(SimplifyNeg, AddSubWithNeg) {
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), Bv = B.param(F64, "b");
  ValueId S1 = B.binary(OpKind::Sub, A, B.unary(OpKind::Neg, Bv)); // a + b
  ValueId S2 = B.binary(OpKind::Add, B.unary(OpKind::Neg, A), Bv); // b - a
  F.ResultType = F64;
  B.ret(B.binary(OpKind::Mul, S1, S2));
  EXPECT_EQ(simplified(F), "func @f(%a: f64, %b: f64) -> f64 {\n"
                           "  %0 = add %a, %b : f64\n"
                           "  %1 = sub %b, %a : f64\n"
                           "  %2 = mul %0, %1 : f64\n"
                           "  return %2\n"
                           "}\n");
}

TEST(SimplifyNeg, IntegerDivKeepsNeg) {
  // (-INT_MIN) / 2 != -(INT_MIN / 2): no rewrite for integers.
  Function F("f");
  Builder B(F);
  ValueId A = B.param(I32, "a"), Bv = B.param(I32, "b");
  F.ResultType = I32;
  B.ret(B.binary(OpKind::Div, B.unary(OpKind::Neg, A), Bv));
  EXPECT_FALSE(simplify(F));
}

TEST(SimplifyOther, SelectNotConvertExtract) {
  Function F("f");
  Builder B(F);
  ValueId C = B.param(Bool, "c"), X = B.param(F64, "x"), Y = B.param(F64, "y");
  ValueId S1 = B.select(B.unary(OpKind::Not, C), X, Y); // select c, y, x
  ValueId S2 = B.select(C, S1, S1);                     // S1
  ValueId Cv = B.convert(S2, ElementKind::F64);         // S2
  ValueId T = B.tuple({X, Cv});
  ValueId E = B.extract(T, 1); // Cv
  ValueId NN = B.unary(OpKind::Not, B.unary(OpKind::Not, C));
  ValueId R = B.select(NN, E, X);
  F.ResultType = F64;
  B.ret(R);
  EXPECT_EQ(simplified(F), "func @f(%c: bool, %x: f64, %y: f64) -> f64 {\n"
                           "  %0 = select %c, %y, %x : f64\n"
                           "  %1 = select %c, %0, %x : f64\n"
                           "  return %1\n"
                           "}\n");
}

TEST(SimplifyOther, NotOfFloatCompareStays) {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(F64, "x"), Y = B.param(F64, "y");
  F.ResultType = Bool;
  B.ret(B.unary(OpKind::Not, B.binary(OpKind::Lt, X, Y)));
  EXPECT_FALSE(simplify(F));
}

TEST(SimplifyOther, KeepsNameOfReplacedOp) {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(F64, "x"), Y = B.param(F64, "y");
  ValueId S = B.binary(OpKind::Add, X, Y);
  ValueId One = B.constant(F64, 1);
  B.setNextName("z");
  ValueId Z = B.binary(OpKind::Mul, S, One);
  F.ResultType = F64;
  B.ret(Z);
  EXPECT_EQ(simplified(F), "func @f(%x: f64, %y: f64) -> f64 {\n"
                           "  %z = add %x, %y : f64\n"
                           "  return %z\n"
                           "}\n");
}

//===----------------------------------------------------------------------===//
// CSE
//===----------------------------------------------------------------------===//

TEST(CSE, MergesCommutedMul) {
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), Bv = B.param(F64, "b");
  ValueId M1 = B.binary(OpKind::Mul, A, Bv);
  B.setNextName("p");
  ValueId M2 = B.binary(OpKind::Mul, Bv, A);
  F.ResultType = F64;
  B.ret(B.binary(OpKind::Sub, M1, M2));
  EXPECT_TRUE(eliminateCommonSubexpressions(F));
  EXPECT_EQ(verifyFunction(F), "");
  EXPECT_EQ(print(F), "func @f(%a: f64, %b: f64) -> f64 {\n"
                      "  %p = mul %a, %b : f64\n"
                      "  %0 = sub %p, %p : f64\n"
                      "  return %0\n"
                      "}\n");
  EXPECT_FALSE(eliminateCommonSubexpressions(F));
}

TEST(CSE, KeepsMaxOperandOrder) {
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), Bv = B.param(F64, "b");
  ValueId M1 = B.binary(OpKind::Max, A, Bv);
  ValueId M2 = B.binary(OpKind::Max, Bv, A);
  ValueId M3 = B.binary(OpKind::Max, A, Bv);
  F.ResultType = F64;
  B.ret(B.binary(OpKind::Add, B.binary(OpKind::Add, M1, M2), M3));
  EXPECT_TRUE(eliminateCommonSubexpressions(F));
  EXPECT_EQ(print(F), "func @f(%a: f64, %b: f64) -> f64 {\n"
                      "  %0 = max %a, %b : f64\n"
                      "  %1 = max %b, %a : f64\n"
                      "  %2 = add %0, %1 : f64\n"
                      "  %3 = add %2, %0 : f64\n"
                      "  return %3\n"
                      "}\n");
}

TEST(CSE, ConstantsCompareBitwise) {
  Function F("f");
  Builder B(F);
  ValueId P0 = B.constant(F64, 0.0), N0 = B.constant(F64, -0.0);
  ValueId Q0 = B.constant(F64, 0.0);
  ValueId Na1 = B.constant(F64, NaN), Na2 = B.constant(F64, NaN);
  ValueId I0 = B.constant(I64, 0);
  (void)I0;
  ValueId S = B.binary(OpKind::Add, B.binary(OpKind::Add, P0, N0), Q0);
  ValueId R = B.binary(OpKind::Add, S, B.binary(OpKind::Add, Na1, Na2));
  F.ResultType = F64;
  B.ret(R);
  EXPECT_TRUE(eliminateCommonSubexpressions(F));
  EXPECT_EQ(print(F), "func @f() -> f64 {\n"
                      "  %0 = const 0 : f64\n"
                      "  %1 = const -0 : f64\n"
                      "  %2 = const nan : f64\n"
                      "  %3 = const 0 : i64\n"
                      "  %4 = add %0, %1 : f64\n"
                      "  %5 = add %4, %0 : f64\n"
                      "  %6 = add %2, %2 : f64\n"
                      "  %7 = add %5, %6 : f64\n"
                      "  return %7\n"
                      "}\n");
}

TEST(CSE, TransitiveAndParamsKept) {
  Function F("f");
  Builder B(F);
  ValueId A = B.param(F64, "a"), A2 = B.param(F64, "a2");
  (void)A2;
  ValueId E1 = B.unary(OpKind::Exp, A);
  ValueId E2 = B.unary(OpKind::Exp, A);
  ValueId S1 = B.binary(OpKind::Add, E1, A);
  ValueId S2 = B.binary(OpKind::Add, A, E2);
  F.ResultType = F64;
  B.ret(B.binary(OpKind::Div, S1, S2));
  EXPECT_TRUE(eliminateCommonSubexpressions(F));
  EXPECT_EQ(print(F), "func @f(%a: f64, %a2: f64) -> f64 {\n"
                      "  %0 = exp %a : f64\n"
                      "  %1 = add %0, %a : f64\n"
                      "  %2 = div %1, %1 : f64\n"
                      "  return %2\n"
                      "}\n");
}

//===----------------------------------------------------------------------===//
// DCE
//===----------------------------------------------------------------------===//

TEST(DCE, RemovesUnusedKeepsParams) {
  Function F("f");
  Builder B(F);
  ValueId X = B.param(F64, "x"), Y = B.param(F64, "unused");
  (void)Y;
  ValueId Dead = B.unary(OpKind::Exp, X);
  B.binary(OpKind::Mul, Dead, Dead);
  ValueId Live = B.unary(OpKind::Sin, X);
  F.ResultType = F64;
  B.ret(Live);
  EXPECT_TRUE(eliminateDeadCode(F));
  EXPECT_EQ(verifyFunction(F), "");
  EXPECT_EQ(print(F), "func @f(%x: f64, %unused: f64) -> f64 {\n"
                      "  %0 = sin %x : f64\n"
                      "  return %0\n"
                      "}\n");
  EXPECT_FALSE(eliminateDeadCode(F));
}

//===----------------------------------------------------------------------===//
// Inlining
//===----------------------------------------------------------------------===//

/// h(x) = x * x; g(x) = h(x) + 1; f(x, y) = g(x) * y, plus a call to a
/// derived function that must stay.
void buildChain(Module &M) {
  Function &H = M.addFunction("h");
  {
    Builder B(H);
    ValueId X = B.param(F64, "x");
    B.setNextName("sq");
    ValueId R = B.binary(OpKind::Mul, X, X);
    H.ResultType = F64;
    B.ret(R);
  }
  Function &G = M.addFunction("g");
  {
    Builder B(G);
    ValueId X = B.param(F64, "x");
    ValueId C = B.call(H, {X});
    ValueId R = B.binary(OpKind::Add, C, B.constant(F64, 1));
    G.ResultType = F64;
    B.ret(R);
  }
  DerivedDecl D;
  D.Name = "dh";
  D.Of = "h";
  D.Wrt = {0};
  M.Derived.push_back(D);
  // f is added after g but calls it; callers may come before callees too.
  Function &F = M.addFunction("f");
  {
    Builder B(F);
    ValueId X = B.param(F64, "x"), Y = B.param(F64, "y");
    ValueId C = B.call(G, {X});
    ValueId Dh = B.call("dh", F64, {X});
    ValueId R = B.binary(OpKind::Mul, B.binary(OpKind::Mul, C, Y), Dh);
    F.ResultType = F64;
    B.ret(R);
  }
}

TEST(Inline, TwoLevelChain) {
  Module M;
  buildChain(M);
  ASSERT_EQ(verifyModule(M), "");
  EXPECT_TRUE(inlineCalls(M));
  EXPECT_EQ(verifyModule(M), "");
  EXPECT_EQ(print(*M.lookup("f")), "func @f(%x: f64, %y: f64) -> f64 {\n"
                                   "  %sq = mul %x, %x : f64\n"
                                   "  %0 = const 1 : f64\n"
                                   "  %1 = add %sq, %0 : f64\n"
                                   "  %2 = call @dh(%x) : f64\n"
                                   "  %3 = mul %1, %y : f64\n"
                                   "  %4 = mul %3, %2 : f64\n"
                                   "  return %4\n"
                                   "}\n");
  EXPECT_EQ(print(*M.lookup("g")), "func @g(%x: f64) -> f64 {\n"
                                   "  %sq = mul %x, %x : f64\n"
                                   "  %0 = const 1 : f64\n"
                                   "  %1 = add %sq, %0 : f64\n"
                                   "  return %1\n"
                                   "}\n");
  EXPECT_FALSE(inlineCalls(M));
}

TEST(Inline, CycleIsLeftAlone) {
  Module M;
  Function &A = M.addFunction("a");
  Function &B = M.addFunction("b");
  A.ResultType = B.ResultType = F64;
  {
    Builder Bd(A);
    ValueId X = Bd.param(F64, "x");
    Bd.ret(Bd.call("b", F64, {X}));
  }
  {
    Builder Bd(B);
    ValueId X = Bd.param(F64, "x");
    Bd.ret(Bd.call("a", F64, {X}));
  }
  EXPECT_FALSE(inlineCalls(M));
  EXPECT_EQ(verifyModule(M), "");
}

//===----------------------------------------------------------------------===//
// Pipeline
//===----------------------------------------------------------------------===//

TEST(Pipeline, UnknownPass) {
  Module M;
  buildChain(M);
  llvm::Error E = runPipeline(M, {"inline", "frobnicate"});
  ASSERT_TRUE(static_cast<bool>(E));
  EXPECT_EQ(llvm::toString(std::move(E)), "unknown pass 'frobnicate'");
  // Nothing ran.
  EXPECT_NE(print(*M.lookup("f")).find("call @g"), std::string::npos);
}

TEST(Pipeline, Registry) {
  EXPECT_EQ(getPasses().size(), 4u);
  for (const std::string &Name : getDefaultPipeline())
    EXPECT_NE(lookupPass(Name), nullptr) << Name;
  EXPECT_EQ(lookupPass("nope"), nullptr);
}

TEST(Pipeline, DefaultPipelineToFixedPoint) {
  Module M;
  buildChain(M);
  // f2(x) = g(2) * (x * 1) - g(2) * x: everything about g folds.
  Function &F2 = M.addFunction("f2");
  {
    Builder B(F2);
    ValueId X = B.param(F64, "x");
    ValueId G2 = B.call(*M.lookup("g"), {B.constant(F64, 2)});
    ValueId L =
        B.binary(OpKind::Mul, G2, B.binary(OpKind::Mul, X, B.constant(F64, 1)));
    ValueId G2b = B.call(*M.lookup("g"), {B.constant(F64, 2)});
    ValueId R = B.binary(OpKind::Sub, L, B.binary(OpKind::Mul, X, G2b));
    F2.ResultType = F64;
    B.ret(R);
  }
  std::string Log;
  llvm::raw_string_ostream OS(Log);
  PipelineOptions Opts;
  Opts.MaxIterations = 10;
  Opts.PrintAfterEach = &OS;
  ASSERT_FALSE(static_cast<bool>(runPipeline(M, getDefaultPipeline(), Opts)));
  EXPECT_EQ(verifyModule(M), "");
  EXPECT_NE(Log.find("; *** IR after inline ***\nfunc @h"), std::string::npos);
  EXPECT_NE(Log.find("; *** IR after dce ***\n"), std::string::npos);
  EXPECT_EQ(print(F2), "func @f2(%x: f64) -> f64 {\n"
                       "  %0 = const 5 : f64\n"
                       "  %1 = mul %0, %x : f64\n"
                       "  %2 = sub %1, %1 : f64\n"
                       "  return %2\n"
                       "}\n");
}

TEST(Pipeline, VerifierFailureIsReported) {
  Module M;
  Function &F = M.addFunction("bad");
  Builder B(F);
  ValueId X = B.param(F64, "x");
  B.ret(X);
  F.ResultType = I32; // broken on purpose
  llvm::Error E = runPipeline(M, {"dce"});
  ASSERT_TRUE(static_cast<bool>(E));
  EXPECT_EQ(
      llvm::toString(std::move(E))
          .rfind(
              "internal error: IR verification failed after pass 'dce': @bad",
              0),
      0u);
}

} // namespace
