//===- ConvRules.cpp - Vector-Jacobian rules of convolution and pooling ---===//
//
// Convolution and pooling (issue 12). Write C(x, w) for conv2d, Gx(dy, w)
// for conv2d_grad_input and Gw(x, dy) for conv2d_grad_weight: C is
// bilinear and
//   <dy, C(x, w)> = <Gx(dy, w), x> = <Gw(x, dy), w> =: T(x, w, dy),
// a form linear in each of its three arguments. Each op's VJP is a
// partial derivative of T, so it is again one of the three ops: the rules
// close over {C, Gx, Gw}, and every derivative of every order exists.
//
// The max-pool ops pick, in each window of x, its first maximal element
// (as reduce_max's rule does for ties). As functions of x they are locally
// constant routings, so x gets no gradient through the routing itself:
// max_pool2d(x) = gather(x, x) sends dy to the picked elements
// (max_pool2d_grad), and gather(x, g) and grad(x, dy), linear in g and dy,
// are each other's transposes. The average pool is linear: avg_pool2d and
// avg_pool2d_grad are transposes of each other.
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ad;

bool ad::emitWindowVJP(ValueId V, ValueId G, Adjoints &A) {
  Builder &B = A.builder();
  // Copies: emitting appends to the vector these live in.
  const Op O = B.getFunction().op(V);
  const Window W = O.getWindow();
  auto Arg = [&](unsigned I) { return O.Operands[I]; };
  auto TypeOf = [&](ValueId X) { return B.getFunction().typeOf(X); };
  auto Acc = [&](unsigned I, auto Make) {
    if (A.isActive(Arg(I)))
      A.accumulate(Arg(I), Make());
  };
  auto Win = [&](OpKind K, std::initializer_list<ValueId> Operands,
                const Type *Given = nullptr) {
    return B.window(K, Operands, W, Given);
  };

  switch (O.Kind) {
  case OpKind::Conv2d: {
    // y = C(x, w): dx = Gx(g, w), dw = Gw(x, g).
    const Type TX = TypeOf(Arg(0)), TW = TypeOf(Arg(1));
    Acc(0, [&] { return Win(OpKind::Conv2dGradInput, {G, Arg(1)}, &TX); });
    Acc(1, [&] { return Win(OpKind::Conv2dGradWeight, {Arg(0), G}, &TW); });
    return true;
  }
  case OpKind::Conv2dGradInput: {
    // y = Gx(dy, w), of x's type: <g, Gx(dy, w)> = T(g, w, dy), so
    // d dy = C(g, w) and dw = Gw(g, dy).
    const Type TW = TypeOf(Arg(1));
    Acc(0, [&] { return Win(OpKind::Conv2d, {G, Arg(1)}); });
    Acc(1, [&] { return Win(OpKind::Conv2dGradWeight, {G, Arg(0)}, &TW); });
    return true;
  }
  case OpKind::Conv2dGradWeight: {
    // y = Gw(x, dy), of w's type: <g, Gw(x, dy)> = T(x, g, dy), so
    // dx = Gx(dy, g) and d dy = C(x, g).
    const Type TX = TypeOf(Arg(0));
    Acc(0, [&] { return Win(OpKind::Conv2dGradInput, {Arg(1), G}, &TX); });
    Acc(1, [&] { return Win(OpKind::Conv2d, {Arg(0), G}); });
    return true;
  }
  case OpKind::MaxPool2d:
    // y = x at each window's first maximum: dx = g routed there.
    Acc(0, [&] { return Win(OpKind::MaxPool2dGrad, {Arg(0), G}); });
    return true;
  case OpKind::MaxPool2dGrad:
    // y = dy routed by x's maxima: linear in dy, whose gradient is g read
    // at the same places; locally constant in x.
    Acc(1, [&] { return Win(OpKind::MaxPool2dGather, {Arg(0), G}); });
    return true;
  case OpKind::MaxPool2dGather:
    // y = g' read at x's maxima: the transpose routes g back.
    Acc(1, [&] { return Win(OpKind::MaxPool2dGrad, {Arg(0), G}); });
    return true;
  case OpKind::AvgPool2d: {
    const Type TX = TypeOf(Arg(0));
    Acc(0, [&] { return Win(OpKind::AvgPool2dGrad, {G}, &TX); });
    return true;
  }
  case OpKind::AvgPool2dGrad:
    Acc(0, [&] { return Win(OpKind::AvgPool2d, {G}); });
    return true;
  default:
    return false;
  }
}
