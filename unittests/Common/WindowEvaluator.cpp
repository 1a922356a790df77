//===- WindowEvaluator.cpp - Reference convolution and pooling, for tests -===//
//
// Convolution and pooling (issue 12) in the reference evaluator: each op
// written from its definition with plain loops over NCHW indices (the
// gradients as the scatters they are the transposes of), independently of
// CodeGen's im2col and matrix kernel.
//
//===----------------------------------------------------------------------===//
#include "IREvaluator.h"
#include <cmath>
#include <limits>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

namespace {

struct Dims4 {
  int64_t N, C, H, W;
  explicit Dims4(const std::vector<int64_t> &S)
      : N(S[0]), C(S[1]), H(S[2]), W(S[3]) {}
  int64_t at(int64_t A, int64_t B, int64_t I, int64_t J) const {
    return ((A * C + B) * H + I) * W + J;
  }
};

/// Whether the NaN-aware comparison of reduce_max prefers \p X to \p Best:
/// strictly greater, or the first NaN.
bool better(double X, double Best) {
  return X > Best || (std::isnan(X) && !std::isnan(Best));
}

} // namespace

Value nnc::ir::testing::evaluateWindowOp(const Op &O,
                                         const std::vector<const Value *> &In,
                                         Value R) {
  const Window &Win = O.getWindow();
  // Strides and paddings along the rows (H) and the columns (W).
  int64_t SH = Win.Stride[0], SW = Win.Stride[1];
  int64_t PH = Win.Pad[0], PW = Win.Pad[1];
  auto Inside = [](int64_t I, int64_t N) { return I >= 0 && I < N; };
  auto Round = [&](double V) {
    return R.Kind == ElementKind::F32 ? double(float(V)) : V;
  };
  switch (O.Kind) {
  case OpKind::Conv2d:
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight: {
    // y[n,k,p,q] = sum_{c,r,s} x[n,c,p SH + r - PH, q SW + s - PW] w[k,c,r,s]
    const Value *X = O.Kind == OpKind::Conv2dGradInput ? &R : In[0];
    const Value *Wt = O.Kind == OpKind::Conv2dGradWeight ? &R : In[1];
    const Value *Y = O.Kind == OpKind::Conv2d             ? &R
                     : O.Kind == OpKind::Conv2dGradInput ? In[0]
                                                         : In[1];
    Dims4 XD(X->Shape), WD(Wt->Shape), YD(Y->Shape);
    for (int64_t N = 0; N < YD.N; ++N)
      for (int64_t K = 0; K < YD.C; ++K)
        for (int64_t P = 0; P < YD.H; ++P)
          for (int64_t Q = 0; Q < YD.W; ++Q) {
            double Sum = 0;
            for (int64_t C = 0; C < XD.C; ++C)
              for (int64_t Rr = 0; Rr < WD.H; ++Rr)
                for (int64_t S = 0; S < WD.W; ++S) {
                  int64_t H = P * SH + Rr - PH, Wc = Q * SW + S - PW;
                  if (!Inside(H, XD.H) || !Inside(Wc, XD.W))
                    continue;
                  int64_t XI = XD.at(N, C, H, Wc), WI = WD.at(K, C, Rr, S);
                  int64_t YI = YD.at(N, K, P, Q);
                  if (O.Kind == OpKind::Conv2d)
                    Sum += X->Data[XI] * Wt->Data[WI];
                  else if (O.Kind == OpKind::Conv2dGradInput)
                    R.Data[XI] = Round(R.Data[XI] + Y->Data[YI] * Wt->Data[WI]);
                  else
                    R.Data[WI] = Round(R.Data[WI] + Y->Data[YI] * X->Data[XI]);
                }
            if (O.Kind == OpKind::Conv2d)
              R.Data[YD.at(N, K, P, Q)] = Round(Sum);
          }
    return R;
  }
  default:
    break;
  }
  // The pools: x is operand 0 (avg_pool2d_grad: the result's shape), the
  // output the pooled shape.
  const std::vector<int64_t> &XS =
      O.Kind == OpKind::AvgPool2dGrad ? R.Shape : In[0]->Shape;
  const std::vector<int64_t> &YS =
      O.Kind == OpKind::MaxPool2dGrad   ? In[1]->Shape
      : O.Kind == OpKind::AvgPool2dGrad ? In[0]->Shape
                                        : R.Shape;
  Dims4 XD(XS), YD(YS);
  int64_t KH = Win.Kernel[0], KW = Win.Kernel[1];
  double Area = double(KH * KW);
  for (int64_t N = 0; N < YD.N; ++N)
    for (int64_t C = 0; C < YD.C; ++C)
      for (int64_t P = 0; P < YD.H; ++P)
        for (int64_t Q = 0; Q < YD.W; ++Q) {
          int64_t YI = YD.at(N, C, P, Q);
          double Best = -std::numeric_limits<double>::infinity(), Sum = 0;
          int64_t Arg = -1;
          for (int64_t Rr = 0; Rr < KH; ++Rr)
            for (int64_t S = 0; S < KW; ++S) {
              int64_t H = P * SH + Rr - PH, Wc = Q * SW + S - PW;
              if (!Inside(H, XD.H) || !Inside(Wc, XD.W))
                continue;
              int64_t XI = XD.at(N, C, H, Wc);
              if (O.Kind == OpKind::AvgPool2dGrad) {
                R.Data[XI] = Round(R.Data[XI] + Round(In[0]->Data[YI] / Area));
                continue;
              }
              double V = In[0]->Data[XI];
              Sum = Round(Sum + V);
              if (Arg < 0 || better(V, Best)) {
                Best = V;
                Arg = XI;
              }
            }
          switch (O.Kind) {
          case OpKind::MaxPool2d:
            R.Data[YI] = Best;
            break;
          case OpKind::MaxPool2dGather:
            R.Data[YI] = In[1]->Data[Arg];
            break;
          case OpKind::MaxPool2dGrad:
            R.Data[Arg] = Round(R.Data[Arg] + In[1]->Data[YI]);
            break;
          case OpKind::AvgPool2d:
            R.Data[YI] = Round(Sum / Area);
            break;
          default:
            break;
          }
        }
  return R;
}
