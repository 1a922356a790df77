//===- ValueTest.cpp - Printing REPL values -------------------------------===//
//
// Scalars print with the fewest digits that read back, in their own
// precision; tuples in parentheses; tensors as NumPy prints them (columns
// aligned, rows under each other, long axes cut around `...`). Tensors do
// not reach the REPL yet, so they are built here by hand.
//
//===----------------------------------------------------------------------===//
#include "nnc/JIT/Value.h"
#include "gtest/gtest.h"
#include <cmath>

using namespace nnc;
using namespace nnc::jit;

namespace {

Value f64(double V) { return Value::scalar(Scalar::f64(V)); }

Value iota(std::vector<int64_t> Shape) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  std::vector<Scalar> Data;
  for (int64_t I = 0; I < N; ++I)
    Data.push_back(Scalar::i64(I));
  return Value::tensor(ElementKind::I64, std::move(Shape), std::move(Data));
}

TEST(ValueTest, Scalars) {
  EXPECT_EQ(formatScalar(Scalar::f64(-12)), "-12");
  EXPECT_EQ(formatScalar(Scalar::f64(0.1)), "0.1");
  EXPECT_EQ(formatScalar(Scalar::f64(0.7310585786300049)),
            "0.7310585786300049");
  EXPECT_EQ(formatScalar(Scalar::f64(1e300)), "1e+300");
  EXPECT_EQ(formatScalar(Scalar::f64(-0.0)), "-0");
  // Every NaN prints as NumPy prints it, whatever its sign bit.
  EXPECT_EQ(formatScalar(Scalar::f64(std::nan(""))), "nan");
  EXPECT_EQ(formatScalar(Scalar::f64(-std::nan(""))), "nan");
  EXPECT_EQ(formatScalar(Scalar::f32(-std::nanf(""))), "nan");
  EXPECT_EQ(formatScalar(Scalar::f64(-HUGE_VAL)), "-inf");
  // An f32 prints its own shortest digits, not its double's.
  EXPECT_EQ(formatScalar(Scalar::f32(0.1f)), "0.1");
  EXPECT_EQ(formatScalar(Scalar::f64(static_cast<float>(0.1))),
            "0.10000000149011612");
  EXPECT_EQ(formatScalar(Scalar::i32(-7)), "-7");
  EXPECT_EQ(formatScalar(Scalar::i64(INT64_MIN)), "-9223372036854775808");
  EXPECT_EQ(formatScalar(Scalar::boolean(true)), "true");
  EXPECT_EQ(formatScalar(Scalar::boolean(false)), "false");
}

TEST(ValueTest, Tuples) {
  Value T = Value::tuple(
      {f64(-4), f64(-4), Value::tuple({f64(3), Value::scalar(Scalar::boolean(true))})});
  EXPECT_EQ(toString(T), "(-4, -4, (3, true))");
  EXPECT_EQ(toString(Value::tuple({})), "()");
}

TEST(ValueTest, Tensors) {
  EXPECT_EQ(toString(iota({3})), "[0, 1, 2]");
  EXPECT_EQ(toString(iota({0})), "[]");
  // Columns take the width of the widest element.
  EXPECT_EQ(toString(iota({2, 6})), "[[ 0,  1,  2,  3,  4,  5],\n"
                                    " [ 6,  7,  8,  9, 10, 11]]");
  // A blank line between the blocks of a 3-d tensor.
  EXPECT_EQ(toString(iota({2, 2, 2})), "[[[0, 1],\n"
                                       "  [2, 3]],\n"
                                       "\n"
                                       " [[4, 5],\n"
                                       "  [6, 7]]]");
  Value Floats = Value::tensor(ElementKind::F64, {2},
                               {Scalar::f64(1), Scalar::f64(0.5)});
  EXPECT_EQ(toString(Floats), "[  1, 0.5]");
  Value Zero = Value::tensor(ElementKind::F32, {}, {Scalar::f32(2.5f)});
  EXPECT_EQ(toString(Zero), "2.5");
}

TEST(ValueTest, LongTensorsAreSummarized) {
  // Up to the threshold everything prints; past it, each long axis keeps
  // three items at each end.
  EXPECT_EQ(toString(iota({1000})).find("..."), std::string::npos);
  EXPECT_EQ(toString(iota({1001})),
            "[   0,    1,    2, ...,  998,  999, 1000]");
  EXPECT_EQ(toString(iota({100, 100})),
            "[[   0,    1,    2, ...,   97,   98,   99],\n"
            " [ 100,  101,  102, ...,  197,  198,  199],\n"
            " [ 200,  201,  202, ...,  297,  298,  299],\n"
            " ...,\n"
            " [9700, 9701, 9702, ..., 9797, 9798, 9799],\n"
            " [9800, 9801, 9802, ..., 9897, 9898, 9899],\n"
            " [9900, 9901, 9902, ..., 9997, 9998, 9999]]");
  PrintOptions Small;
  Small.Threshold = 4;
  Small.EdgeItems = 1;
  EXPECT_EQ(toString(iota({5}), Small), "[0, ..., 4]");
}

} // namespace
