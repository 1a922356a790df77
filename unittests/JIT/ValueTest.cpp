//===- ValueTest.cpp - Printing REPL values -------------------------------===//
//
// Scalars print with the fewest digits that read back, in their own
// precision, a float always with a point or an exponent (Python's repr);
// tuples in parentheses; tensors as NumPy prints them (columns aligned,
// floats in one format, rows under each other, lines wrapped, long axes cut
// around `...`). Every expected tensor string is NumPy 1.24's
// np.array2string(a, separator=', ') of the same array.
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
  EXPECT_EQ(formatScalar(Scalar::f64(-12)), "-12.0");
  EXPECT_EQ(formatScalar(Scalar::f64(0.1)), "0.1");
  EXPECT_EQ(formatScalar(Scalar::f64(0.7310585786300049)),
            "0.7310585786300049");
  EXPECT_EQ(formatScalar(Scalar::f64(1e300)), "1e+300");
  EXPECT_EQ(formatScalar(Scalar::f64(-0.0)), "-0.0");
  // Python's repr: positional from 1e-4 up to 1e16, scientific outside.
  EXPECT_EQ(formatScalar(Scalar::f64(1e16)), "1e+16");
  EXPECT_EQ(formatScalar(Scalar::f64(123456789012345.0)),
            "123456789012345.0");
  EXPECT_EQ(formatScalar(Scalar::f64(1e-5)), "1e-05");
  EXPECT_EQ(formatScalar(Scalar::f64(1e-4)), "0.0001");
  EXPECT_EQ(formatScalar(Scalar::f32(1.0f / 3)), "0.33333334");
  EXPECT_EQ(formatScalar(Scalar::f32(2)), "2.0");
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
  EXPECT_EQ(toString(T), "(-4.0, -4.0, (3.0, true))");
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
  EXPECT_EQ(toString(Floats), "[1. , 0.5]");
  Value Zero = Value::tensor(ElementKind::F32, {}, {Scalar::f32(2.5f)});
  EXPECT_EQ(toString(Zero), "2.5");
}

Value floats(std::vector<int64_t> Shape, std::vector<double> V,
             ElementKind K = ElementKind::F64) {
  std::vector<Scalar> Data;
  for (double X : V)
    Data.push_back(K == ElementKind::F32 ? Scalar::f32(static_cast<float>(X))
                                         : Scalar::f64(X));
  return Value::tensor(K, std::move(Shape), std::move(Data));
}

TEST(ValueTest, FloatTensorsPrintAsNumPy) {
  // At most 8 digits after the point; an f32 in its own precision.
  EXPECT_EQ(toString(floats({2}, {1.0 / 3, 2.0 / 3})),
            "[0.33333333, 0.66666667]");
  EXPECT_EQ(toString(floats({3}, {0.1, 0.2, 0.3}, ElementKind::F32)),
            "[0.1, 0.2, 0.3]");
  // More than three decimal orders apart, or from 1e8: scientific, with
  // one mantissa precision for all.
  EXPECT_EQ(toString(floats({3}, {1e-5, 1.5, -2.0})),
            "[ 1.0e-05,  1.5e+00, -2.0e+00]");
  EXPECT_EQ(toString(floats({2}, {1e20, 1.0})), "[1.e+20, 1.e+00]");
  // Non-finite values take the column's width.
  EXPECT_EQ(toString(floats({4}, {HUGE_VAL, -HUGE_VAL, std::nan(""), 1.5})),
            "[ inf, -inf,  nan,  1.5]");
}

TEST(ValueTest, WideTensorsWrap) {
  // 75 columns by default, as NumPy's linewidth.
  std::vector<double> Quarters;
  for (int I = 0; I < 40; ++I)
    Quarters.push_back(I / 4.0);
  PrintOptions Narrow;
  Narrow.LineWidth = 40;
  EXPECT_EQ(toString(floats({40}, Quarters), Narrow),
            "[0.  , 0.25, 0.5 , 0.75, 1.  , 1.25,\n"
            " 1.5 , 1.75, 2.  , 2.25, 2.5 , 2.75,\n"
            " 3.  , 3.25, 3.5 , 3.75, 4.  , 4.25,\n"
            " 4.5 , 4.75, 5.  , 5.25, 5.5 , 5.75,\n"
            " 6.  , 6.25, 6.5 , 6.75, 7.  , 7.25,\n"
            " 7.5 , 7.75, 8.  , 8.25, 8.5 , 8.75,\n"
            " 9.  , 9.25, 9.5 , 9.75]");
  std::vector<double> Twelve;
  for (int I = 0; I < 12; ++I)
    Twelve.push_back(I);
  Narrow.LineWidth = 20;
  EXPECT_EQ(toString(floats({2, 6}, Twelve), Narrow),
            "[[ 0.,  1.,  2.,\n"
            "   3.,  4.,  5.],\n"
            " [ 6.,  7.,  8.,\n"
            "   9., 10., 11.]]");
  EXPECT_EQ(toString(iota({30})),
            "[ 0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15, "
            "16, 17,\n"
            " 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29]");
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
