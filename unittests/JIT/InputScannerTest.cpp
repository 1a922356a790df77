//===- InputScannerTest.cpp - Where REPL inputs end -----------------------===//
#include "nnc/JIT/InputScanner.h"
#include "gtest/gtest.h"

using namespace nnc::jit;

namespace {

TEST(InputScannerTest, Classify) {
  EXPECT_EQ(classifyInput(""), InputKind::Empty);
  EXPECT_EQ(classifyInput("  // a comment\n/* and another */"),
            InputKind::Empty);
  EXPECT_EQ(classifyInput(":help"), InputKind::Command);
  EXPECT_EQ(classifyInput("  :type f"), InputKind::Command);
  EXPECT_EQ(classifyInput("fn f(x) = x"), InputKind::Declaration);
  EXPECT_EQ(classifyInput("/* c */ let x = 1;"), InputKind::Declaration);
  EXPECT_EQ(classifyInput("layer L { }"), InputKind::Declaration);
  EXPECT_EQ(classifyInput("f(1, 2)"), InputKind::Expression);
  EXPECT_EQ(classifyInput("fnord(1)"), InputKind::Expression);
  // An unterminated comment is left to the parser to report.
  EXPECT_EQ(classifyInput("/* open"), InputKind::Expression);
}

TEST(InputScannerTest, Complete) {
  EXPECT_TRUE(isInputComplete("f(1, 2)"));
  EXPECT_TRUE(isInputComplete("fn f(x) = x"));
  EXPECT_TRUE(isInputComplete("fn f(x) { return x; }"));
  EXPECT_TRUE(isInputComplete(":load a(b.nn"));
  // Closing brackets that were never opened: the parser's to report.
  EXPECT_TRUE(isInputComplete("f(1))"));
  EXPECT_TRUE(isInputComplete("x // trailing comment with ( and +"));
  EXPECT_TRUE(isInputComplete("f(1) /* ( */"));

  EXPECT_FALSE(isInputComplete("f(1,"));
  EXPECT_FALSE(isInputComplete("fn f(x) {\n  let y = x;"));
  EXPECT_FALSE(isInputComplete("[1, [2"));
  EXPECT_FALSE(isInputComplete("fn f(x) ="));
  EXPECT_FALSE(isInputComplete("1 +"));
  EXPECT_FALSE(isInputComplete("a &&"));
  EXPECT_FALSE(isInputComplete("fn f(x) ->"));
  EXPECT_FALSE(isInputComplete("if"));
  EXPECT_FALSE(isInputComplete("/* still open"));
}

TEST(InputScannerTest, EndsWithToken) {
  EXPECT_TRUE(endsWithToken("f(1);", ';'));
  EXPECT_TRUE(endsWithToken("f(1); // done", ';'));
  EXPECT_FALSE(endsWithToken("f(1)", ';'));
  EXPECT_TRUE(endsWithToken("fn f(x) { return x; }", '}'));
}

} // namespace
