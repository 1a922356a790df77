//===- ReplTest.cpp - Evaluating inputs against a session -----------------===//
//
// Repl::evaluate prints results and diagnostics and reports what an input
// would change; the session changes only when the outcome is applied, and
// never after a failure.
//
//===----------------------------------------------------------------------===//
#include "nnc/JIT/Repl.h"
#include "gtest/gtest.h"

using namespace nnc::jit;

namespace {

class ReplTest : public ::testing::Test {
protected:
  /// Runs \p Text as the input on line \p Line; returns what it printed.
  std::string run(const std::string &Text, unsigned Line = 1) {
    Out.clear();
    Err.clear();
    LastOk = R.run({Text, "<stdin>", Line});
    return Out;
  }

  std::string Out, Err;
  llvm::raw_string_ostream OutOS{Out}, ErrOS{Err};
  Repl R{OutOS, ErrOS};
  bool LastOk = false;
};

TEST_F(ReplTest, ValuesAndGradients) {
  EXPECT_EQ(run("fn f(x, y, z) = (x + y) * z"), "");
  EXPECT_TRUE(LastOk);
  EXPECT_EQ(run("f(-2, 5, -4)"), "-12.0\n");
  EXPECT_EQ(run("grad(f)(-2, 5, -4)"), "(-4.0, -4.0, 3.0)\n");
  // An i64 stays an integer: the two print differently.
  EXPECT_EQ(run("i64(3) * 2"), "6\n");
  EXPECT_EQ(run("grad(f)"), "fn(x: f64, y: f64, z: f64) -> (f64, f64, f64)\n");
  EXPECT_EQ(R.getSession().getNames(), std::vector<std::string>{"f"});
}

TEST_F(ReplTest, FailuresLeaveTheSessionAlone) {
  run("fn f(x) = 2 * x");
  run("fn g(x) = f(x) + 1");
  Session Before = R.getSession();
  for (const char *Bad :
       {"fn f(x, y) = x", "fn g(x) = nosuch(x)", "fn h(x) = x; fn k(x) = +",
        "f(1, 2)", "fn f(x) = f(x)", ":nosuch", "fn __nnc_expr() = 1"}) {
    run(Bad, 7);
    EXPECT_FALSE(LastOk) << Bad;
    EXPECT_FALSE(Err.empty()) << Bad;
    ASSERT_EQ(R.getSession().getDecls().size(), Before.getDecls().size());
    for (size_t I = 0; I < Before.getDecls().size(); ++I)
      EXPECT_EQ(R.getSession().getDecls()[I].Text,
                Before.getDecls()[I].Text);
    EXPECT_EQ(run("g(3)"), "7.0\n") << Bad;
  }
}

TEST_F(ReplTest, DiagnosticsNameTheInputLine) {
  run("nosuch(1)", 42);
  EXPECT_EQ(Err, "<stdin>:42:1: error: call to undeclared function 'nosuch'\n"
                 "nosuch(1)\n"
                 "^~~~~~\n");
  // An error in an accepted declaration points where it was typed.
  run("fn f(x) = x", 3);
  run("fn g(x) = f(x)", 5);
  run("fn f(x, y) = x", 9);
  EXPECT_EQ(Err.substr(0, Err.find('\n')),
            "<stdin>:5:11: error: 'f' takes 2 arguments, but 1 was given");
}

TEST_F(ReplTest, RedefinitionReachesCallers) {
  // At x = 5 the old and the new f differ in value and slope (at x = 3,
  // x * x == 3 * x would hide a caller that kept the old f).
  run("fn f(x) = x * x");
  run("fn g(x) = f(x) + 1");
  run("fn dg = grad(g)");
  EXPECT_EQ(run("(g(5), dg(5))"), "(26.0, 10.0)\n");
  run("fn f(x) = 3 * x");
  EXPECT_TRUE(LastOk);
  EXPECT_EQ(run("(g(5), dg(5), grad(g)(5))"), "(16.0, 3.0, 3.0)\n");
  // Replaced in place: the order of first definition stays.
  EXPECT_EQ(R.getSession().getNames(),
            (std::vector<std::string>{"f", "g", "dg"}));
}

TEST_F(ReplTest, Outcomes) {
  Outcome O = R.evaluate({"fn a(x) = x; fn b(x) = a(x)", "<stdin>", 1});
  EXPECT_TRUE(O.Ok);
  ASSERT_EQ(O.Added.size(), 2u);
  EXPECT_EQ(O.Added[1].Name, "b");
  EXPECT_EQ(O.Added[1].Text, "             fn b(x) = a(x)\n;");
  // Not applied: the session is still empty.
  EXPECT_TRUE(R.getSession().getDecls().empty());
  EXPECT_TRUE(R.evaluate({":reset", "<stdin>", 1}).Reset);
  EXPECT_TRUE(R.evaluate({":q", "<stdin>", 1}).Quit);
}

} // namespace
