//===- ConvGradCheckTest.cpp - Convolution and pooling rules vs differences ===//
//
// Convolution and pooling (issue 12). Each test writes @f with one window
// op (or a small network of them) and gradCheck checks its vjp and the vjp
// of that vjp with the reference evaluator (GradCheck.h): gradients against
// central differences in f64 (relative error <= 1e-6, NaN fails), the
// adjoint identity, second derivatives, and the optimized pipeline. Shapes
// cover stride and padding combinations, size-1 dimensions (a batch of 1,
// one channel, a 1x1 image), non-square kernels, rectangular windows,
// strides and paddings (1xN and Nx1 among them) and symbolic sizes.
//
//===----------------------------------------------------------------------===//
#include "GradCheck.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cstdio>
#include <numeric>
#include <random>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

const std::vector<DimBinding> Batches = {
    {{"b", 1}, {"c", 1}, {"k", 1}},
    {{"b", 2}, {"c", 3}, {"k", 2}},
    {{"b", 1}, {"c", 2}, {"k", 3}},
};

void check(const std::string &Text,
           const std::vector<DimBinding> &Shapes = Batches) {
  expectGradCheck(Text, Shapes, 40);
}

std::string shape(const std::string &A, const std::string &B, int H, int W) {
  return "f64[" + A + ", " + B + ", " + std::to_string(H) + ", " +
         std::to_string(W) + "]";
}

int extent(int In, int K, int Stride, int Pad) {
  return (In + 2 * Pad - K) / Stride + 1;
}

/// One integer, or [rows, columns] when they differ (the IR's form).
std::string pair(int Rows, int Cols) {
  if (Rows == Cols)
    return std::to_string(Rows);
  return "[" + std::to_string(Rows) + ", " + std::to_string(Cols) + "]";
}

struct Conv {
  int H, W, R, S, SH, SW, PH, PW;
};
// Stride and padding combinations, odd sizes, non-square kernels, a 1x1
// image and kernel, a kernel as large as the padded image; then
// rectangular strides and paddings, with 1xN and Nx1 kernels and a
// one-row image.
const Conv Convs[] = {
    {5, 4, 3, 3, 1, 1, 1, 1}, {5, 6, 3, 2, 2, 2, 1, 1},
    {6, 5, 2, 3, 2, 2, 0, 0}, {1, 1, 1, 1, 1, 1, 0, 0},
    {4, 3, 3, 3, 3, 3, 1, 1}, {3, 3, 5, 5, 1, 1, 1, 1},
    {4, 4, 1, 1, 2, 2, 0, 0}, {5, 7, 3, 2, 1, 2, 1, 0},
    {6, 9, 1, 4, 2, 1, 0, 2}, {7, 3, 3, 1, 3, 1, 2, 0},
    {1, 6, 1, 3, 1, 2, 0, 1}, {4, 5, 3, 3, 2, 1, 0, 1},
};

std::string attrs(int SH, int SW, int PH, int PW) {
  return " stride=" + pair(SH, SW) + " padding=" + pair(PH, PW);
}

TEST(ConvGradCheck, Conv2d) {
  for (const Conv &C : Convs) {
    int P = extent(C.H, C.R, C.SH, C.PH), Q = extent(C.W, C.S, C.SW, C.PW);
    std::string Y = shape("b", "k", P, Q);
    check("func @f(%x: " + shape("b", "c", C.H, C.W) + ", %w: " +
          shape("k", "c", C.R, C.S) + ") -> " + Y + " {\n  %y = conv2d %x, %w" +
          attrs(C.SH, C.SW, C.PH, C.PW) + " : " + Y + "\n  return %y\n}\n");
  }
}

TEST(ConvGradCheck, Conv2dGradientOps) {
  // The gradient ops as functions of their own: first and second
  // derivatives of each (their rules are again conv2d and its gradients).
  for (const Conv &C : Convs) {
    int P = extent(C.H, C.R, C.SH, C.PH), Q = extent(C.W, C.S, C.SW, C.PW);
    std::string X = shape("b", "c", C.H, C.W), Wt = shape("k", "c", C.R, C.S),
                Y = shape("b", "k", P, Q), A = attrs(C.SH, C.SW, C.PH, C.PW);
    check("func @f(%dy: " + Y + ", %w: " + Wt + ") -> " + X +
          " {\n  %r = conv2d_grad_input %dy, %w" + A + " : " + X +
          "\n  return %r\n}\n");
    check("func @f(%x: " + X + ", %dy: " + Y + ") -> " + Wt +
          " {\n  %r = conv2d_grad_weight %x, %dy" + A + " : " + Wt +
          "\n  return %r\n}\n");
  }
}

TEST(ConvGradCheck, SymbolicSizes) {
  // Stride 1 with 2 * padding == R - 1 keeps H and W (the pools' halving
  // of 2 * h is in test/EndToEnd/conv-values.test: the reference
  // evaluator binds plain variables only).
  check(R"(
func @f(%x: f64[b, c, h, w], %w: f64[k, c, 3, 3]) -> f64[b, k, h, w] {
  %y = conv2d %x, %w stride=1 padding=1 : f64[b, k, h, w]
  %t = tanh %y : f64[b, k, h, w]
  return %t
}
)",
        {{{"b", 1}, {"c", 2}, {"k", 1}, {"h", 3}, {"w", 1}},
         {{"b", 2}, {"c", 1}, {"k", 2}, {"h", 2}, {"w", 4}}});
  // A non-square kernel over a symbolic height and a literal width, then
  // the data gradient back to x's shape.
  check(R"(
func @f(%x: f64[b, c, h, 4], %w: f64[k, c, 3, 5]) -> f64[b, c, h, 4] {
  %y = conv2d %x, %w stride=1 padding=1 : f64[b, k, h, 2]
  %z = conv2d_grad_input %y, %w stride=1 padding=1 : f64[b, c, h, 4]
  return %z
}
)",
        {{{"b", 1}, {"c", 2}, {"k", 1}, {"h", 4}},
         {{"b", 2}, {"c", 1}, {"k", 2}, {"h", 1}}});
}

struct Pool {
  int H, W, KH, KW, SH, SW, PH, PW;
};
// Square windows, then rectangular ones: a 2x3 window at its default
// stride, PyTorch's (3, 2) window with stride (2, 1) and padding (1, 0),
// and 1x4 and 4x1 windows.
const Pool Pools[] = {
    {4, 6, 2, 2, 2, 2, 0, 0}, {5, 5, 3, 3, 2, 2, 1, 1},
    {5, 4, 2, 2, 1, 1, 0, 0}, {1, 1, 1, 1, 1, 1, 0, 0},
    {6, 5, 3, 3, 3, 3, 1, 1}, {5, 7, 2, 3, 2, 3, 0, 0},
    {7, 6, 3, 2, 2, 1, 1, 0}, {5, 8, 1, 4, 1, 2, 0, 1},
    {9, 3, 4, 1, 3, 1, 2, 0},
};

TEST(ConvGradCheck, Pools) {
  // The max-pool ops are piecewise: a difference step that reorders two
  // elements of a window jumps. So x enters as 0.01 x + o, o a constant
  // permutation of 0..n-1: each window's maximum is o's, whatever x, and
  // the routing is still exercised everywhere (ties cannot occur).
  std::mt19937 Gen(5);
  for (auto [N, C] : {std::pair(1, 1), std::pair(2, 3)}) {
    for (const Pool &Pl : Pools) {
      int P = extent(Pl.H, Pl.KH, Pl.SH, Pl.PH),
          Q = extent(Pl.W, Pl.KW, Pl.SW, Pl.PW);
      std::string NS = std::to_string(N), CS = std::to_string(C);
      std::string X = shape(NS, CS, Pl.H, Pl.W), Y = shape(NS, CS, P, Q);
      std::vector<int> Perm(N * C * Pl.H * Pl.W);
      std::iota(Perm.begin(), Perm.end(), 0);
      std::shuffle(Perm.begin(), Perm.end(), Gen);
      std::string O = "[";
      for (size_t I = 0; I < Perm.size(); ++I)
        O += (I ? ", " : "") + std::to_string(Perm[I]);
      std::string Shift = "  %o = const " + O + "] : " + X +
                          "\n  %h = const 0.01 : f64\n  %hs = broadcast %h : " +
                          X + "\n  %xh = mul %x, %hs : " + X +
                          "\n  %xo = add %xh, %o : " + X + "\n";
      std::string A =
          " kernel=" + pair(Pl.KH, Pl.KW) + attrs(Pl.SH, Pl.SW, Pl.PH, Pl.PW);
      std::vector<DimBinding> None = {{}};
      for (const char *Op : {"max_pool2d", "avg_pool2d"})
        check("func @f(%x: " + X + ") -> " + Y + " {\n" + Shift + "  %y = " +
                  Op + " %xo" + A + " : " + Y + "\n  return %y\n}\n",
              None);
      check("func @f(%dy: " + Y + ") -> " + X +
                " {\n  %r = avg_pool2d_grad %dy" + A + " : " + X +
                "\n  return %r\n}\n",
            None);
      // Routed by x, linear in dy and g; x gets no gradient.
      check("func @f(%x: " + X + ", %dy: " + Y + ") -> " + X + " {\n" + Shift +
                "  %r = max_pool2d_grad %xo, %dy" + A + " : " + X +
                "\n  return %r\n}\n",
            None);
      check("func @f(%x: " + X + ", %g: " + X + ") -> " + Y + " {\n" + Shift +
                "  %r = max_pool2d_gather %xo, %g" + A + " : " + Y +
                "\n  return %r\n}\n",
            None);
    }
  }
}

TEST(ConvGradCheck, SmallCNN) {
  // conv, relu-free smooth activation, pool, conv, sum: the rules compose.
  check(R"(
func @f(%x: f64[b, c, 6, 6], %w1: f64[k, c, 3, 3], %w2: f64[2, k, 2, 2]) -> f64 {
  %y = conv2d %x, %w1 stride=1 padding=1 : f64[b, k, 6, 6]
  %t = tanh %y : f64[b, k, 6, 6]
  %p = max_pool2d %t kernel=2 stride=2 padding=0 : f64[b, k, 3, 3]
  %a = avg_pool2d %p kernel=2 stride=1 padding=1 : f64[b, k, 4, 4]
  %z = conv2d %a, %w2 stride=2 padding=0 : f64[b, 2, 2, 2]
  %s = sin %z : f64[b, 2, 2, 2]
  %r = reshape %s : f64[8*b]
  %l = reduce_sum %r axis=0 : f64
  return %l
}
)");
}

TEST(ConvGradCheck, RectangularCNN) {
  // Rectangular windows compose: a 3x2 kernel of stride [1, 2] and a 3x1
  // average pool, each keeping the rows of a symbolic height; a 1x3 kernel
  // and a 1x3 average pool. (Max pools are piecewise: Pools checks them
  // with the windows' maxima kept apart.)
  check(R"(
func @f(%x: f64[b, c, h, 8], %w1: f64[k, c, 3, 2]) -> f64[b, k, h, 5] {
  %y = conv2d %x, %w1 stride=[1, 2] padding=[1, 1] : f64[b, k, h, 5]
  %t = tanh %y : f64[b, k, h, 5]
  %p = avg_pool2d %t kernel=[3, 1] stride=1 padding=[1, 0] : f64[b, k, h, 5]
  return %p
}
)",
        {{{"b", 1}, {"c", 2}, {"k", 1}, {"h", 3}},
         {{"b", 2}, {"c", 1}, {"k", 2}, {"h", 4}}});
  check(R"(
func @f(%x: f64[b, c, 5, 7], %w: f64[k, c, 1, 3]) -> f64 {
  %y = conv2d %x, %w stride=[2, 1] padding=[0, 1] : f64[b, k, 3, 7]
  %s = sin %y : f64[b, k, 3, 7]
  %a = avg_pool2d %s kernel=[1, 3] stride=[1, 2] padding=[0, 1] : f64[b, k, 3, 4]
  %r = reshape %a : f64[12*b*k]
  %l = reduce_sum %r axis=0 : f64
  return %l
}
)");
}

TEST(ConvGradCheck, HarnessCatchesAWrongConvRule) {
  // A user rule for conv2d whose data gradient convolves with w instead of
  // its transpose (the kernel not flipped, channels not swapped): the
  // check must fail.
  GradCheckResult R = gradCheck(R"(
func @f(%x: f64[b, c, 4, 4], %w: f64[c, c, 3, 3]) -> f64[b, c, 4, 4] backward @fb {
  %y = conv2d %x, %w stride=1 padding=1 : f64[b, c, 4, 4]
  return %y
}
func internal @fb(%x: f64[b, c, 4, 4], %w: f64[c, c, 3, 3], %g: f64[b, c, 4, 4]) -> (f64[b, c, 4, 4], f64[c, c, 3, 3]) {
  %wrong = conv2d %g, %w stride=1 padding=1 : f64[b, c, 4, 4]
  %dw = conv2d_grad_weight %x, %g stride=1 padding=1 : f64[c, c, 3, 3]
  %r = tuple %wrong, %dw : (f64[b, c, 4, 4], f64[c, c, 3, 3])
  return %r
}
)",
                                {{"b", 1}, {"c", 2}}, Inputs::Any, 3, "c",
                                false);
  EXPECT_EQ(R.Failure, "");
  EXPECT_GT(R.WorstGrad, 0.1);
  EXPECT_GT(R.WorstAdjoint, 0.1);
}

} // namespace
