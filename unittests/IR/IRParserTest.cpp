//===- IRParserTest.cpp - Tests of nnc::parseIRModule ---------------------===//
//
// The parser reads back what ir::printModule writes: printing a parsed
// module reproduces its text, value names map to op ids, constants come
// back bit for bit. Malformed text gets a diagnostic with a location and
// never a crash: a fuzz loop mutates printed modules and checks that every
// mutant either parses into a module that verifies and prints back stably,
// or is rejected with an error.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IRParser.h"
#include "../Common/IRTestHelpers.h"
#include "nnc/IR/IR.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/raw_ostream.h"
#include "gtest/gtest.h"
#include <bit>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

using namespace nnc;
using namespace nnc::ir;

namespace {

using namespace nnc::ir::testing;

/// One parse of one text: the module (or null) and the diagnostics.
struct Parsed {
  std::unique_ptr<Module> M;
  std::string Diags;
  unsigned NumErrors = 0;
  /// The buffer, for locations.
  llvm::StringRef Text;
  llvm::SourceMgr SM;

  explicit operator bool() const { return M != nullptr; }
  /// `line:col` of \p Loc.
  std::string where(llvm::SMLoc Loc) const {
    auto [Line, Col] = SM.getLineAndColumn(Loc);
    return std::to_string(Line) + ":" + std::to_string(Col);
  }
};

std::unique_ptr<Parsed> parse(llvm::StringRef Text) {
  auto P = std::make_unique<Parsed>();
  unsigned ID = P->SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, "test.nnir"), llvm::SMLoc());
  P->Text = P->SM.getMemoryBuffer(ID)->getBuffer();
  llvm::raw_string_ostream OS(P->Diags);
  DiagnosticEngine Diags(P->SM, OS);
  Diags.setErrorLimit(0);
  llvm::Expected<std::unique_ptr<Module>> M = parseIRModule(ID, Diags);
  P->NumErrors = Diags.getNumErrors();
  if (M)
    P->M = std::move(*M);
  else
    llvm::consumeError(M.takeError());
  return P;
}

/// Parses \p Text, which must be valid, and prints the module again.
std::string reprint(llvm::StringRef Text) {
  auto P = parse(Text);
  EXPECT_TRUE(*P) << P->Diags;
  return *P ? print(*P->M) : "";
}

/// A module using every op kind, every type, name clashes, unnamed values
/// and parameters, and every kind of declaration.
std::unique_ptr<Module> buildKitchenSink() {
  auto M = std::make_unique<Module>();
  {
    Function &F = M->addFunction("sink");
    F.ResultType = Type::tuple({F64, Type::tuple({F32, I32}), I64, Bool});
    F.ResultNames = {"a", "b", "c", "d", "e"};
    Builder B(F);
    ValueId X = B.param(F64, "x");
    ValueId Y = B.param(F64, ""); // printed %arg1
    ValueId S = B.param(F32, "s");
    ValueId K = B.param(I32, "k");
    ValueId N = B.param(I64, "n");
    ValueId P = B.param(Bool, "p");
    ValueId V = X;
    for (OpKind Op : {OpKind::Add, OpKind::Sub, OpKind::Mul, OpKind::Div,
                      OpKind::Max, OpKind::Min, OpKind::Pow,
                      OpKind::Maximum, OpKind::Minimum, OpKind::LeakyRelu,
                      OpKind::Elu}) {
      B.setNextName("v"); // v, v.1, v.2, ...
      V = B.binary(Op, V, Y);
    }
    for (OpKind Op : {OpKind::Neg, OpKind::Abs, OpKind::Exp, OpKind::Log,
                      OpKind::Sqrt, OpKind::Tanh, OpKind::Sigmoid,
                      OpKind::Relu, OpKind::Sin, OpKind::Cos,
                      OpKind::Softplus, OpKind::Erf, OpKind::Gelu,
                      OpKind::Sign})
      V = B.unary(Op, V); // unnamed
    B.setNextName("x"); // clashes with the parameter: %x.1
    ValueId C = B.binary(OpKind::Lt, V, X);
    ValueId C2 = B.binary(OpKind::Le, X, V);
    ValueId C3 = B.binary(OpKind::Gt, K, K);
    ValueId C4 = B.binary(OpKind::Ge, N, N);
    ValueId C5 = B.binary(OpKind::Eq, P, C);
    ValueId C6 = B.binary(OpKind::Ne, C2, C3);
    ValueId L = B.binary(OpKind::And, C5, C6);
    L = B.binary(OpKind::Or, L, C4);
    L = B.unary(OpKind::Not, L);
    ValueId Sel = B.select(L, V, B.constant(F64, -0.0));
    ValueId SF = B.binary(OpKind::Mul, S, B.convert(Sel, ElementKind::F32));
    ValueId KI = B.binary(OpKind::Add, K, B.constant(I32, -2147483648.0));
    ValueId NI = B.binary(OpKind::Sub, N, B.constant(I64, -5));
    ValueId Inner = B.tuple({SF, KI});
    ValueId T = B.tuple({Sel, Inner});
    ValueId E = B.extract(T, 1);
    ValueId E0 = B.extract(E, 0);
    ValueId Call = B.call("helper", F64, {X, Y});
    ValueId Sum = B.binary(OpKind::Add, Call, B.convert(E0, ElementKind::F64));
    B.ret(B.tuple({Sum, Inner, NI, B.constant(Bool, 1)}));
  }
  {
    Function &F = M->addFunction("helper");
    F.Exported = false;
    F.ResultType = F64;
    F.BackwardFn = "helper.backward";
    Builder B(F);
    ValueId X = B.param(F64, "x");
    ValueId Y = B.param(F64, "y");
    ValueId Specials[] = {
        B.constant(F64, std::numeric_limits<double>::infinity()),
        B.constant(F64, -std::numeric_limits<double>::infinity()),
        B.constant(F64, std::numeric_limits<double>::quiet_NaN()),
        B.constant(F64, -std::numeric_limits<double>::quiet_NaN()),
        B.constant(F64, std::numeric_limits<double>::denorm_min()),
        B.constant(F64, std::numeric_limits<double>::max()),
        B.constant(F64, 0.1)};
    ValueId V = B.binary(OpKind::Mul, X, Y);
    for (ValueId C : Specials)
      V = B.binary(OpKind::Add, V, C);
    B.ret(V);
  }
  {
    Function &F = M->addFunction("helper.backward");
    F.Exported = false;
    F.ResultType = Type::tuple({F64, F64});
    Builder B(F);
    ValueId X = B.param(F64, "x");
    ValueId Y = B.param(F64, "y");
    ValueId G = B.param(F64, "g");
    B.ret(B.tuple({B.binary(OpKind::Mul, G, Y), B.binary(OpKind::Mul, G, X)}));
  }
  {
    // Convolution and pooling (issue 12): every window op and attribute.
    Function &F = M->addFunction("windows");
    Type X = Type::tensor(ElementKind::F32, {Dim::var("b"), Dim::constant(2),
                                             Dim::constant(7), Dim::constant(6)});
    Type Wt = Type::tensor(ElementKind::F32, {Dim::constant(3), Dim::constant(2),
                                              Dim::constant(3), Dim::constant(2)});
    F.ResultType = Type::tuple({X, X, Wt, X, X, X, X, Wt, X});
    Builder B(F);
    ValueId XV = B.param(X, "x");
    ValueId WV = B.param(Wt, "w");
    // Square windows print as one integer, rectangular ones as lists.
    Window Conv = Window::square(0, 2, 1), Pool = Window::square(3, 2, 1);
    Window RectConv{{0, 0}, {1, 2}, {2, 0}}, RectPool{{2, 3}, {3, 1}, {1, 0}};
    ValueId Y = B.window(OpKind::Conv2d, {XV, WV}, Conv);
    ValueId DX = B.window(OpKind::Conv2dGradInput, {Y, WV}, Conv, &X);
    ValueId DW = B.window(OpKind::Conv2dGradWeight, {XV, Y}, Conv, &Wt);
    ValueId MP = B.window(OpKind::MaxPool2d, {XV}, Pool);
    ValueId MG = B.window(OpKind::MaxPool2dGrad, {XV, MP}, Pool);
    ValueId Gt = B.window(OpKind::MaxPool2dGather, {XV, MG}, Pool);
    ValueId AP = B.window(OpKind::AvgPool2d, {XV}, Pool);
    ValueId AG = B.window(OpKind::AvgPool2dGrad,
                          {B.binary(OpKind::Add, AP, Gt)}, Pool, &X);
    ValueId Y2 = B.window(OpKind::Conv2d, {XV, WV}, RectConv);
    ValueId DX2 = B.window(OpKind::Conv2dGradInput, {Y2, WV}, RectConv, &X);
    ValueId DW2 = B.window(OpKind::Conv2dGradWeight, {XV, Y2}, RectConv, &Wt);
    ValueId MP2 = B.window(OpKind::MaxPool2d, {XV}, RectPool);
    ValueId MG2 = B.window(OpKind::MaxPool2dGrad, {XV, MP2}, RectPool);
    ValueId Gt2 = B.window(OpKind::MaxPool2dGather, {XV, MG2}, RectPool);
    ValueId AP2 = B.window(OpKind::AvgPool2d, {XV}, RectPool);
    ValueId AG2 = B.window(OpKind::AvgPool2dGrad,
                           {B.binary(OpKind::Add, AP2, Gt2)}, RectPool, &X);
    B.ret(B.tuple({DX, MG, DW, AG, XV, DX2, MG2, DW2, AG2}));
  }
  M->Derived.push_back({"dhelper", DeriveKind::Grad, "helper", {0, 1}, true, {}});
  M->Derived.push_back(
      {"vg", DeriveKind::ValueAndGrad, "helper", {1}, false, {}});
  M->Derived.push_back({"vj", DeriveKind::Vjp, "helper", {0}, true, {}});
  M->Derived.push_back({"dh0", DeriveKind::Grad, "helper", {0}, false, {}});
  M->Derived.push_back({"d2", DeriveKind::Grad, "dh0", {1}, true, {}});
  return M;
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(IRParserTest, KitchenSinkRoundTrips) {
  std::unique_ptr<Module> M = buildKitchenSink();
  ASSERT_EQ(verifyModule(*M), "");
  std::string Text = print(*M);
  EXPECT_EQ(reprint(Text), Text);
}

TEST(IRParserTest, ParsedModuleMatchesTheBuiltOne) {
  std::unique_ptr<Module> M = buildKitchenSink();
  auto P = parse(print(*M));
  ASSERT_TRUE(*P) << P->Diags;
  const Module &R = *P->M;
  ASSERT_EQ(R.Functions.size(), M->Functions.size());
  for (size_t FI = 0; FI < M->Functions.size(); ++FI) {
    const Function &A = *M->Functions[FI], &B = *R.Functions[FI];
    EXPECT_EQ(A.Name, B.Name);
    EXPECT_EQ(A.Exported, B.Exported);
    EXPECT_EQ(A.ResultType, B.ResultType);
    EXPECT_EQ(A.ResultNames, B.ResultNames);
    EXPECT_EQ(A.BackwardFn, B.BackwardFn);
    ASSERT_EQ(A.Ops.size(), B.Ops.size()) << A.Name;
    for (size_t I = 0; I < A.Ops.size(); ++I) {
      const Op &OA = A.Ops[I], &OB = B.Ops[I];
      SCOPED_TRACE(A.Name + " op " + std::to_string(I));
      EXPECT_EQ(OA.Kind, OB.Kind);
      EXPECT_EQ(OA.Ty, OB.Ty);
      EXPECT_EQ(OA.Operands, OB.Operands);
      EXPECT_EQ(OA.Callee, OB.Callee);
      if (OA.Kind == OpKind::Const && OA.Ty.isFloat())
        EXPECT_EQ(std::bit_cast<uint64_t>(OA.FloatValue),
                  std::bit_cast<uint64_t>(OB.FloatValue))
            << OA.FloatValue << " vs " << OB.FloatValue;
      else
        EXPECT_EQ(OA.IntValue, OB.IntValue);
      EXPECT_TRUE(OA.Attr == OB.Attr);
      // Hints come back, except the parameter without one, printed %arg1.
      if (OA.Kind == OpKind::Param && OA.Name.empty())
        EXPECT_EQ(OB.Name, "arg" + std::to_string(I));
      else
        EXPECT_EQ(OA.Name, OB.Name);
    }
  }
  ASSERT_EQ(R.Derived.size(), M->Derived.size());
  for (size_t I = 0; I < M->Derived.size(); ++I) {
    EXPECT_EQ(R.Derived[I].Name, M->Derived[I].Name);
    EXPECT_EQ(R.Derived[I].Kind, M->Derived[I].Kind);
    EXPECT_EQ(R.Derived[I].Of, M->Derived[I].Of);
    EXPECT_EQ(R.Derived[I].Wrt, M->Derived[I].Wrt);
    EXPECT_EQ(R.Derived[I].Exported, M->Derived[I].Exported);
  }
}

TEST(IRParserTest, EmptyInputIsAnEmptyModule) {
  for (const char *Text : {"", "  \n\t\r\n", "; only a comment", "; a\n; b\n"}) {
    auto P = parse(Text);
    ASSERT_TRUE(*P) << P->Diags;
    EXPECT_TRUE(P->M->Functions.empty());
    EXPECT_TRUE(P->M->Derived.empty());
    EXPECT_EQ(P->Diags, "");
  }
}

TEST(IRParserTest, ModuleIsNamedAfterTheBuffer) {
  auto P = parse("");
  ASSERT_TRUE(*P);
  EXPECT_EQ(P->M->Name, "test.nnir");
}

TEST(IRParserTest, LayoutIsFree) {
  const char *Printed = "func @f(%x: f64) -> (f64, f64) {\n"
                        "  %0 = neg %x : f64\n"
                        "  %1 = tuple %0, %x : (f64, f64)\n"
                        "  return %1\n"
                        "}\n";
  EXPECT_EQ(reprint("func @f(%x:f64)->(f64,f64){%0=neg %x:f64 %1=tuple %0,"
                    "%x:(f64,f64) return %1}"),
            Printed);
  EXPECT_EQ(reprint("func\n@f\n(\n%x\n:\nf64\n)\n->\n(f64\n,\nf64)\n{\n"
                    "%0 = neg %x ; comment\n: f64\r\n%1 = tuple %0, %x :"
                    "(f64, f64)\treturn %1\n}"),
            Printed);
}

TEST(IRParserTest, ValueNamesMapToOpIds) {
  auto P = parse("func @f(%a: f64, %b: f64) -> f64 {\n"
                 "  %7 = mul %b, %a : f64\n"
                 "  %s = add %7, %b : f64\n"
                 "  %s.1 = sub %s, %7 : f64\n"
                 "  return %s.1\n"
                 "}\n");
  ASSERT_TRUE(*P) << P->Diags;
  const Function &F = *P->M->Functions[0];
  ASSERT_EQ(F.Ops.size(), 6u);
  EXPECT_EQ(F.getNumParams(), 2u);
  EXPECT_EQ(F.Ops[0].getIndex(), 0u);
  EXPECT_EQ(F.Ops[1].getIndex(), 1u);
  using Ids = llvm::SmallVector<ValueId, 3>;
  EXPECT_EQ(F.Ops[2].Operands, (Ids{1, 0}));
  EXPECT_EQ(F.Ops[3].Operands, (Ids{2, 1}));
  EXPECT_EQ(F.Ops[4].Operands, (Ids{3, 2}));
  EXPECT_EQ(F.Ops[5].Kind, OpKind::Return);
  EXPECT_EQ(F.Ops[5].Operands, (Ids{4}));
  EXPECT_EQ(F.Ops[5].Ty, F64);
  // %7 is a number: no hint. %s.1 is the printer's second %s: hint s.
  EXPECT_EQ(F.Ops[2].Name, "");
  EXPECT_EQ(F.Ops[3].Name, "s");
  EXPECT_EQ(F.Ops[4].Name, "s");
}

TEST(IRParserTest, SuffixIsDroppedOnlyWhereThePrinterWouldAddIt) {
  auto P = parse("func @f(%x: f64) -> f64 {\n"
                 "  %x.1 = neg %x : f64\n"   // second x: hint x
                 "  %y.1 = neg %x.1 : f64\n" // no %y: hint y.1
                 "  %z = neg %y.1 : f64\n"
                 "  %z.2 = neg %z : f64\n"   // z.1 is free: hint z.2
                 "  %z.1 = neg %z.2 : f64\n" // z.1 is what z gives: hint z
                 "  %w.01 = neg %z.1 : f64\n"
                 "  return %w.01\n"
                 "}\n");
  ASSERT_TRUE(*P) << P->Diags;
  const Function &F = *P->M->Functions[0];
  EXPECT_EQ(F.Ops[1].Name, "x");
  EXPECT_EQ(F.Ops[2].Name, "y.1");
  EXPECT_EQ(F.Ops[3].Name, "z");
  EXPECT_EQ(F.Ops[4].Name, "z.2");
  EXPECT_EQ(F.Ops[5].Name, "z");
  EXPECT_EQ(F.Ops[6].Name, "w.01");
  EXPECT_EQ(print(*P->M), P->Text);
}

TEST(IRParserTest, NumbersAreRenumbered) {
  EXPECT_EQ(reprint("func @f(%x: f64) -> f64 {\n"
                    "  %5 = neg %x : f64\n"
                    "  %n = neg %5 : f64\n"
                    "  %2 = neg %n : f64\n"
                    "  return %2\n"
                    "}\n"),
            "func @f(%x: f64) -> f64 {\n"
            "  %0 = neg %x : f64\n"
            "  %n = neg %0 : f64\n"
            "  %1 = neg %n : f64\n"
            "  return %1\n"
            "}\n");
}

TEST(IRParserTest, LocationsPointIntoTheText) {
  auto P = parse("func @f(%x: f64) -> f64 {\n"
                 "  %y = neg %x : f64\n"
                 "  return %y\n"
                 "}\n"
                 "func internal @g = grad @f wrt(0)\n");
  ASSERT_TRUE(*P) << P->Diags;
  const Function &F = *P->M->Functions[0];
  EXPECT_EQ(P->where(F.Loc), "1:6");
  EXPECT_EQ(P->where(F.Ops[0].Loc), "1:9");
  EXPECT_EQ(P->where(F.Ops[1].Loc), "2:3");
  EXPECT_EQ(P->where(F.Ops[2].Loc), "3:3");
  EXPECT_EQ(P->where(P->M->Derived[0].Loc), "5:15");
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

/// The constant of `%0 = const <Literal> : <Ty>`, or null with the error.
const Op *parseConstant(std::unique_ptr<Parsed> &P, llvm::StringRef Literal,
                        llvm::StringRef Ty) {
  P = parse(("func @f() -> " + Ty + " {\n  %0 = const " + Literal + " : " +
             Ty + "\n  return %0\n}\n")
                .str());
  return *P ? &P->M->Functions[0]->Ops[0] : nullptr;
}

TEST(IRParserTest, FloatConstantsAreExact) {
  std::unique_ptr<Parsed> P;
  auto Bits = [&](llvm::StringRef Lit) -> uint64_t {
    const Op *O = parseConstant(P, Lit, "f64");
    EXPECT_TRUE(O) << Lit.str() << "\n" << P->Diags;
    return O ? std::bit_cast<uint64_t>(O->FloatValue) : 0;
  };
  EXPECT_EQ(Bits("0.1"), std::bit_cast<uint64_t>(0.1));
  EXPECT_EQ(Bits("-0"), std::bit_cast<uint64_t>(-0.0));
  EXPECT_EQ(Bits("0"), 0u);
  EXPECT_EQ(Bits("5e-324"), 1u);
  EXPECT_EQ(Bits("1.7976931348623157e+308"),
            std::bit_cast<uint64_t>(std::numeric_limits<double>::max()));
  EXPECT_EQ(Bits("inf"),
            std::bit_cast<uint64_t>(std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Bits("-inf"),
            std::bit_cast<uint64_t>(-std::numeric_limits<double>::infinity()));
  EXPECT_EQ(Bits("7"), std::bit_cast<uint64_t>(7.0));
  const Op *NaN = parseConstant(P, "nan", "f64");
  ASSERT_TRUE(NaN);
  EXPECT_TRUE(std::isnan(NaN->FloatValue));
  EXPECT_FALSE(std::signbit(NaN->FloatValue));
  const Op *NegNaN = parseConstant(P, "-nan", "f64");
  ASSERT_TRUE(NegNaN);
  EXPECT_TRUE(std::isnan(NegNaN->FloatValue));
  EXPECT_TRUE(std::signbit(NegNaN->FloatValue));
  // Every printed double reads back to the same bits.
  std::mt19937_64 Rng(7);
  for (int I = 0; I < 200; ++I) {
    double D = std::bit_cast<double>(Rng());
    if (std::isnan(D))
      continue;
    EXPECT_EQ(Bits(formatDouble(D)), std::bit_cast<uint64_t>(D))
        << formatDouble(D);
  }
}

TEST(IRParserTest, F32ConstantsHoldAFloat) {
  std::unique_ptr<Parsed> P;
  const Op *O = parseConstant(P, "0.1", "f32");
  ASSERT_TRUE(O) << P->Diags;
  EXPECT_EQ(O->FloatValue, static_cast<double>(0.1f));
  EXPECT_EQ(print(*P->M), "func @f() -> f32 {\n"
                          "  %0 = const 0.10000000149011612 : f32\n"
                          "  return %0\n"
                          "}\n");
}

TEST(IRParserTest, IntegerAndBoolConstants) {
  std::unique_ptr<Parsed> P;
  struct {
    const char *Lit, *Ty;
    int64_t Value;
  } Good[] = {{"-2147483648", "i32", INT32_MIN},
              {"2147483647", "i32", INT32_MAX},
              {"-9223372036854775808", "i64", INT64_MIN},
              {"9223372036854775807", "i64", INT64_MAX},
              {"0", "i64", 0},
              {"true", "bool", 1},
              {"false", "bool", 0}};
  for (const auto &G : Good) {
    const Op *O = parseConstant(P, G.Lit, G.Ty);
    ASSERT_TRUE(O) << G.Lit << "\n" << P->Diags;
    EXPECT_EQ(O->IntValue, G.Value) << G.Lit;
  }
  struct {
    const char *Lit, *Ty;
  } Bad[] = {{"2147483648", "i32"},   {"-2147483649", "i32"},
             {"9223372036854775808", "i64"}, {"1.0", "i64"},
             {"1e3", "i32"},          {"0x10", "i32"},
             {"true", "i32"},         {"1", "bool"},
             {"nan", "i32"},          {"false", "f64"},
             {"1e400", "f64"},        {"1..2", "f64"},
             {"1.5.", "f64"},         {"infinity", "f64"},
             {"--1", "f64"},          {"1", "(f64)"},
             {"1", "()"}};
  for (const auto &B : Bad) {
    EXPECT_FALSE(parseConstant(P, B.Lit, B.Ty)) << B.Lit << " : " << B.Ty;
    EXPECT_EQ(P->NumErrors, 1u) << P->Diags;
  }
  parseConstant(P, "2147483648", "i32");
  EXPECT_NE(P->Diags.find("test.nnir:2:14: error: '2147483648' is not a "
                          "constant of type 'i32'"),
            std::string::npos)
      << P->Diags;
}

//===----------------------------------------------------------------------===//
// Errors
//===----------------------------------------------------------------------===//

/// The diagnostics of \p Text, which must be rejected.
std::string errorsOf(llvm::StringRef Text) {
  auto P = parse(Text);
  EXPECT_FALSE(*P) << Text.str();
  EXPECT_GT(P->NumErrors, 0u) << Text.str();
  return P->Diags;
}

#define EXPECT_DIAG(Text, Diag)                                                \
  do {                                                                         \
    std::string D = errorsOf(Text);                                            \
    EXPECT_NE(D.find(Diag), std::string::npos) << D;                          \
  } while (0)

TEST(IRParserTest, UndefinedAndLaterValues) {
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = add %x, %nope : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:16: error: use of undefined value '%nope'");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = neg %1 : f64\n"
              "  %1 = neg %x : f64\n  return %0\n}\n",
              "test.nnir:2:12: error: use of value '%1' before its definition");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  return %y\n}\n"
              "func @g(%y: f64) -> f64 {\n  return %y\n}\n",
              "test.nnir:2:10: error: use of undefined value '%y'");
}

TEST(IRParserTest, Redefinitions) {
  std::string D = errorsOf("func @f(%x: f64) -> f64 {\n  %x = neg %x : f64\n"
                           "  return %x\n}\n");
  EXPECT_NE(D.find("test.nnir:2:3: error: redefinition of '%x'"),
            std::string::npos)
      << D;
  EXPECT_NE(D.find("test.nnir:1:9: note: previous definition is here"),
            std::string::npos)
      << D;
  EXPECT_DIAG("func @f() -> f64 {\n  %0 = const 1 : f64\n  return %0\n}\n"
              "func @f = grad @f wrt(0)\n",
              "test.nnir:5:6: error: redefinition of '@f'");
}

TEST(IRParserTest, SyntaxErrors) {
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = frob %x : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:8: error: unknown op 'frob'");
  EXPECT_DIAG("func @f(%x: f16) -> f64 {\n  return %x\n}\n",
              "test.nnir:1:13: error: unknown type 'f16'");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = add %x : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:8: error: 'add' takes 2 operands, but 1 was given");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = sin %x, %x : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:8: error: 'sin' takes 1 operand, but 2 were given");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n}\n",
              "test.nnir:2:1: error: unexpected '}'; expected an op or "
              "'return'");
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  return %x\n",
              "test.nnir:3:1: error: unexpected end of file; expected '}' "
              "after the return");
  EXPECT_DIAG("func @f(%x: f64) f64 {\n  return %x\n}\n",
              "test.nnir:1:18: error: unexpected 'f64'; expected '->'");
  EXPECT_DIAG("func @f(%x) -> f64 {\n  return %x\n}\n",
              "test.nnir:1:11: error: unexpected ')'; expected ':'");
  EXPECT_DIAG("func @f() -> f64 {\n  %0 = const : f64\n  return %0\n}\n",
              "test.nnir:2:14: error: unexpected ':'; expected a constant");
  EXPECT_DIAG("func f() -> f64 {\n}\n",
              "test.nnir:1:6: error: unexpected 'f'; expected a function "
              "name");
  EXPECT_DIAG("@f\n", "test.nnir:1:1: error: unexpected function name '@f'; "
                      "expected 'func'");
  EXPECT_DIAG("func @f() -> f64 {\n  %0 = const 1 : f64 $\n  return %0\n}\n",
              "test.nnir:2:22: error: unexpected character '$'");
  EXPECT_DIAG("func @f() -> f64 {\n  % = const 1 : f64\n}\n",
              "test.nnir:2:3: error: expected a name after '%'");
  EXPECT_DIAG("func @f() -> f64 {\n  \xC3\xA9 = const 1 : f64\n}\n",
              "test.nnir:2:3: error: unexpected character U+00E9 '\xC3\xA9'");
  EXPECT_DIAG("func @f() -> f64 {\n  \xFF\n}\n",
              "test.nnir:2:3: error: source is not valid UTF-8");
  EXPECT_DIAG(llvm::StringRef("func @f() -> f64 {\n  \0\n}\n", 23),
              "test.nnir:2:3: error: unexpected character U+0000");
  EXPECT_DIAG("func @d = hessian @f wrt(0)\n",
              "test.nnir:1:11: error: unexpected 'hessian'; expected 'grad', "
              "'value_and_grad', 'vjp' or 'train_step'");
  EXPECT_DIAG("func @d = grad @f wrt(99999999999)\n",
              "test.nnir:1:23: error: invalid number literal '99999999999'");
}

TEST(IRParserTest, OneErrorPerDeclaration) {
  // After an error the parser skips to the next `func`.
  auto P = parse("func @f() -> f64 {\n  %0 = bad : f64\n  %1 = worse\n}\n"
                 "skipped garbage\n"
                 "func @g() -> f64 {\n  return %nothing\n}\n"
                 "func @h() -> f64 {\n  %0 = const 1 : f64\n  return %0\n}\n"
                 "more garbage\n");
  EXPECT_FALSE(*P);
  EXPECT_EQ(P->NumErrors, 3u) << P->Diags;
  EXPECT_NE(P->Diags.find("test.nnir:2:8: error: unknown op 'bad'"),
            std::string::npos);
  EXPECT_NE(P->Diags.find("test.nnir:7:10: error: use of undefined value "
                          "'%nothing'"),
            std::string::npos);
  EXPECT_NE(P->Diags.find("test.nnir:13:1: error: unexpected 'more'; "
                          "expected 'func'"),
            std::string::npos);
}

TEST(IRParserTest, AttributesAreCheckedNumbers) {
  // An axis is an unsigned 32-bit number, then checked against the rank.
  EXPECT_DIAG("func @f(%x: f64[2]) -> f64 {\n"
              "  %0 = reduce_sum %x axis=4294967296 : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:27: error: invalid number literal '4294967296'");
  EXPECT_DIAG("func @f(%x: f64[2]) -> f64 {\n"
              "  %0 = reduce_sum %x axis=1 : f64\n"
              "  return %0\n}\n",
              "@f: op 1 (reduce_sum): reduction axis or shape");
  EXPECT_DIAG("func @f(%s: i64) -> f64[3] {\n"
              "  %0 = randn %s axis=1 : f64[3]\n"
              "  return %0\n}\n",
              "expected 'stream'");
}

TEST(IRParserTest, VerifierErrorsAreReportedAtTheFunction) {
  std::string D = errorsOf("func @f(%x: f64, %k: i32) -> f64 {\n"
                           "  %0 = add %x, %k : f64\n"
                           "  return %0\n"
                           "}\n");
  EXPECT_NE(D.find("test.nnir:1:6: error: invalid IR: @f: op 2 (add): "
                   "operand type differs from result type"),
            std::string::npos)
      << D;
  EXPECT_NE(D.find("test.nnir:2:3: note: op 2 is here"), std::string::npos)
      << D;
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = call @g(%x) : f64\n"
              "  return %0\n}\n",
              "error: invalid IR: @f: op 1 (call): call to unknown function "
              "@g");
  EXPECT_DIAG("func @f(%x: f64) -> i32 {\n  return %x\n}\n",
              "error: invalid IR: @f: op 1 (return): returned type differs");
}

TEST(IRParserTest, DerivedDeclarationsAreChecked) {
  const char *F = "func @f(%x: f64, %k: i32) -> f64 {\n"
                  "  return %x\n"
                  "}\n";
  auto With = [&](const char *Decl) { return std::string(F) + Decl; };
  EXPECT_DIAG(With("func @d = grad @g wrt(0)\n"),
              "test.nnir:4:16: error: use of undeclared function '@g'");
  EXPECT_DIAG(With("func @d = grad @f wrt(2)\n"),
              "test.nnir:4:23: error: wrt index 2 is out of range: '@f' has 2 "
              "parameters");
  EXPECT_DIAG(With("func @d = grad @f wrt(1)\n"),
              "test.nnir:4:23: error: cannot differentiate with respect to "
              "parameter 1 of type 'i32'");
  EXPECT_DIAG(With("func @d = grad @f wrt(0, 0)\n"),
              "test.nnir:4:26: error: wrt index 0 is listed twice");
  EXPECT_DIAG(With("func @d = grad @f wrt()\n"),
              "error: '@d' differentiates with respect to no parameter");
  EXPECT_DIAG(With("func @d = grad @e wrt(0)\nfunc @e = grad @f wrt(0)\n"),
              "error: '@d' must be declared after '@e', which it needs");
  EXPECT_DIAG(With("func @v = value_and_grad @f wrt(0)\n"
                   "func @d = grad @v wrt(0)\n"),
              "error: 'grad' needs a function with a floating-point scalar "
              "result, but '@v' returns '(f64, f64)'");
  // The signatures AD will give: a vjp takes the upstream gradient last.
  auto P = parse(With("func @v = vjp @f wrt(0)\nfunc @d = vjp @v wrt(0, 2)\n"
                      "func @g(%x: f64, %k: i32) -> f64 {\n"
                      "  %0 = call @d(%x, %k, %x, %x) : (f64, f64)\n"
                      "  %1 = extract %0, 1 : f64\n"
                      "  return %1\n"
                      "}\n"));
  EXPECT_TRUE(*P) << P->Diags;
  EXPECT_DIAG(With("func @v = vjp @f wrt(0)\n"
                   "func @g(%x: f64) -> f64 {\n"
                   "  %0 = call @v(%x, %x, %x) : f64\n"
                   "  return %0\n"
                   "}\n"),
              "error: invalid IR: @g: op 1 (call): call argument type");
}

TEST(IRParserTest, RecursionIsRejected) {
  EXPECT_DIAG("func @f(%x: f64) -> f64 {\n  %0 = call @f(%x) : f64\n"
              "  return %0\n}\n",
              "test.nnir:2:3: error: recursive call to '@f' is not allowed");
  // A backward rule may call its function: that is no recursion.
  auto P = parse("func @f(%x: f64) -> f64 backward @r {\n  return %x\n}\n"
                 "func @r(%x: f64, %g: f64) -> f64 {\n"
                 "  %0 = call @f(%x) : f64\n  %1 = mul %0, %g : f64\n"
                 "  return %1\n}\n"
                 "func @df = grad @f wrt(0)\n");
  EXPECT_TRUE(*P) << P->Diags;
}

TEST(IRParserTest, RuleCallingTheGradientBeingBuiltIsRecursion) {
  // AD would expand @df inside @df (the .nn front end lets this through).
  EXPECT_DIAG("func @f(%x: f64) -> f64 backward @r {\n"
              "  %0 = sin %x : f64\n  return %0\n}\n"
              "func @r(%x: f64, %g: f64) -> f64 {\n"
              "  %0 = call @df(%x) : f64\n  %1 = mul %g, %0 : f64\n"
              "  return %1\n}\n"
              "func @df = grad @f wrt(0)\n",
              "test.nnir:6:3: error: recursive call to '@df' is not allowed");
}

TEST(IRParserTest, BackwardRuleSignature) {
  EXPECT_DIAG("func @f(%x: f64, %y: f64) -> f64 backward @r {\n"
              "  return %x\n}\n"
              "func @r(%x: f64, %y: f64, %g: f64) -> f64 {\n  return %g\n}\n",
              "test.nnir:1:43: error: '@r' cannot be the backward rule of "
              "'@f': it must take (f64, f64, f64) and return (f64, f64)");
}

TEST(IRParserTest, DeepTypesAreRefused) {
  std::string Deep(300, '(');
  Deep = "func @f() -> " + Deep + "f64" + std::string(300, ')') + " {\n}\n";
  EXPECT_DIAG(Deep, "test.nnir:1:270: error: brackets nested too deeply "
                    "(limit 256)");
  std::string Fine = "func @f(%x: f64) -> " + std::string(200, '(') + "f64" +
                     std::string(200, ')') + " {\n";
  std::string Ty = "f64";
  for (int I = 0; I < 200; ++I) {
    Fine += "  %" + std::to_string(I) + " = tuple %" +
            (I ? std::to_string(I - 1) : std::string("x")) + " : (" + Ty +
            ")\n";
    Ty = "(" + Ty + ")";
  }
  Fine += "  return %199\n}\n";
  EXPECT_EQ(reprint(Fine), Fine);
}

TEST(IRParserTest, ErrorLimitStopsTheParser) {
  std::string Text;
  for (int I = 0; I < 100; ++I)
    Text += "func @f" + std::to_string(I) + "() -> f64 {\n  %0 = bad\n}\n";
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, "test.nnir"), llvm::SMLoc());
  std::string Out;
  llvm::raw_string_ostream OS(Out);
  DiagnosticEngine Diags(SM, OS);
  Diags.setErrorLimit(5);
  llvm::Expected<std::unique_ptr<Module>> M = parseIRModule(ID, Diags);
  EXPECT_FALSE(M);
  llvm::consumeError(M.takeError());
  EXPECT_EQ(Diags.getNumErrors(), 5u);
  EXPECT_NE(Out.find("too many errors emitted"), std::string::npos) << Out;
}

//===----------------------------------------------------------------------===//
// Fuzzing
//===----------------------------------------------------------------------===//

/// Checks one mutant: it is rejected with an error, or it parses into a
/// module that verifies and prints back stably.
void checkMutant(const std::string &Text) {
  auto P = parse(Text);
  if (!*P) {
    ASSERT_GT(P->NumErrors, 0u) << "rejected without an error:\n" << Text;
    return;
  }
  ASSERT_EQ(P->NumErrors, 0u) << P->Diags;
  ASSERT_EQ(verifyModule(*P->M), "") << Text;
  std::string Once = print(*P->M);
  auto Again = parse(Once);
  ASSERT_TRUE(*Again) << Again->Diags << "\nprinted from:\n" << Text;
  ASSERT_EQ(print(*Again->M), Once) << "from:\n" << Text;
}

TEST(IRParserTest, FuzzedPrinterOutputNeverCrashes) {
  std::string Seed = print(*buildKitchenSink());
  // Pieces of IR text to splice in: the mutants keep looking like IR, so
  // they get deep into the parser.
  const char *Pieces[] = {
      "%",      "@",       "%0",     "%x",     "%v.1",   "%arg1", "@helper",
      "@sink",  "(",       ")",      "{",      "}",      ",",     ":",
      "=",      "->",      "-",      ";",      "\n",     " ",     "f64",
      "f32",    "i32",     "i64",    "bool",   "()",     "(f64)", "func",
      "internal", "return", "const", "call",   "tuple",  "extract",
      "add",    "neg",     "select", "param",  "nan",    "-inf",  "1e999",
      "-0",     "99999999999999999999", "true", "wrt",   "grad",  "vjp",
      "value_and_grad", "results", "backward", "\xC3\xA9", "\xFF"};
  std::mt19937 Rng(20261127);
  auto Pick = [&](size_t N) {
    return std::uniform_int_distribution<size_t>(0, N - 1)(Rng);
  };
  for (int Iter = 0; Iter < 10000; ++Iter) {
    std::string Text = Seed;
    unsigned Edits = 1 + Pick(4);
    for (unsigned E = 0; E < Edits && !Text.empty(); ++E) {
      size_t At = Pick(Text.size());
      switch (Pick(6)) {
      case 0: // delete a run
        Text.erase(At, 1 + Pick(12));
        break;
      case 1: // insert a piece
        Text.insert(At, Pieces[Pick(std::size(Pieces))]);
        break;
      case 2: // replace a byte
        Text[At] = static_cast<char>(Pick(256));
        break;
      case 3: // duplicate a line
      {
        size_t Start = Text.rfind('\n', At);
        Start = Start == std::string::npos ? 0 : Start + 1;
        size_t End = Text.find('\n', At);
        End = End == std::string::npos ? Text.size() : End + 1;
        Text.insert(Start, Text.substr(Start, End - Start));
        break;
      }
      case 4: // swap two digits or names: change an operand
      {
        size_t D = Text.find_first_of("0123456789", At);
        if (D != std::string::npos)
          Text[D] = static_cast<char>('0' + Pick(10));
        break;
      }
      default: // truncate
        Text.resize(At);
        break;
      }
    }
    SCOPED_TRACE("iteration " + std::to_string(Iter));
    checkMutant(Text);
    if (HasFatalFailure())
      return;
  }
}

} // namespace
