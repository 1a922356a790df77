//===- Rules.cpp - One vector-Jacobian rule per op kind -------------------===//
//
// For y = op(a, b, ...) and upstream adjoint g = dL/dy, each rule adds
// g * dy/da to the adjoint of a, and so on. Rules reuse forward values
// (y itself for exp, tanh, sigmoid and sqrt) instead of recomputing them,
// and skip operands that do not depend on what we differentiate.
// Non-differentiable points follow PyTorch: relu'(0) = 0, abs'(0) = 0;
// max/min ties route the gradient to the first operand (the language's
// rule; PyTorch's maximum splits it).
//
// Element-wise ops take operands of one shape, scalar or tensor, so these
// rules are shape-polymorphic: every constant they use is splat to the
// op's type. The tensor ops' rules are in TensorRules.cpp.
//
// The switch names every op kind and has no default: an op added to
// Ops.def without a rule here is a compile error (-Werror=switch).
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ad;

ValueId ad::zeroOf(Builder &B, const Type &T) {
  if (T.isLeaf())
    return B.splat(T, 0);
  std::vector<ValueId> Parts;
  for (const Type &E : T.getElements())
    Parts.push_back(zeroOf(B, E));
  return B.tuple(Parts);
}

/// Element-wise sum of two values of the same tuple type.
static ValueId addTuples(Builder &B, ValueId L, ValueId R) {
  // A copy: the builder appends to the ops the type lives in.
  const Type T = B.getFunction().typeOf(L);
  std::vector<ValueId> Parts;
  for (unsigned J = 0; J < T.getElements().size(); ++J) {
    ValueId A = B.extract(L, J), C = B.extract(R, J);
    Parts.push_back(T.getElements()[J].isTuple()
                        ? addTuples(B, A, C)
                        : B.binary(OpKind::Add, A, C));
  }
  return B.tuple(Parts);
}

void Adjoints::accumulate(ValueId V, ValueId G) {
  if (!isActive(V))
    return;
  // A copy: the builder appends to the ops the type lives in.
  const Type T = B.getFunction().typeOf(V);
  if (T.isTuple()) {
    // Tuples do not add: their adjoints are kept per element.
    for (unsigned I = 0; I < T.getElements().size(); ++I)
      accumulateElement(V, I, B.extract(G, I));
    return;
  }
  if (!Adj[V]) {
    Adj[V] = G;
    return;
  }
  // The value fans out: gradients from its uses add.
  Adj[V] = B.binary(OpKind::Add, *Adj[V], G);
}

void Adjoints::accumulateElement(ValueId V, unsigned I, ValueId G) {
  if (!isActive(V))
    return;
  auto &Elts = ElementAdj[V];
  if (Elts.size() <= I)
    Elts.resize(B.getFunction().typeOf(V).getElements().size());
  if (!Elts[I]) {
    Elts[I] = G;
  } else if (B.getFunction().typeOf(G).isTuple()) {
    Elts[I] = addTuples(B, *Elts[I], G); // a nested tuple
  } else {
    Elts[I] = B.binary(OpKind::Add, *Elts[I], G);
  }
}

std::optional<ValueId> Adjoints::getTuple(ValueId V) {
  const auto &Elts = ElementAdj[V];
  if (Elts.empty())
    return std::nullopt;
  // A copy: the builder appends to the ops the type lives in.
  const Type T = B.getFunction().typeOf(V);
  std::vector<ValueId> Parts;
  for (unsigned I = 0; I < T.getElements().size(); ++I)
    Parts.push_back(I < Elts.size() && Elts[I] ? *Elts[I]
                                               : zeroOf(B, T.getElements()[I]));
  return B.tuple(Parts);
}

bool ad::emitVJP(const Module &M, ValueId V, ValueId G, Adjoints &A) {
  Builder &B = A.builder();
  // The op is copied: emitting appends to the same vector.
  const Op O = B.getFunction().op(V);
  auto Active = [&](unsigned I) { return A.isActive(O.Operands[I]); };
  auto Arg = [&](unsigned I) { return O.Operands[I]; };
  // A constant of the op's type: a scalar, or a scalar broadcast.
  auto Const = [&](double C) { return B.splat(O.Ty, C); };
  auto Mul = [&](ValueId X, ValueId Y) { return B.binary(OpKind::Mul, X, Y); };
  auto Div = [&](ValueId X, ValueId Y) { return B.binary(OpKind::Div, X, Y); };
  auto Neg = [&](ValueId X) { return B.unary(OpKind::Neg, X); };
  auto Acc = [&](unsigned I, auto Make) {
    if (Active(I))
      A.accumulate(Arg(I), Make());
  };
  auto Route = [&](ValueId Cond, unsigned IfTrue, unsigned IfFalse) {
    // d/da select(c, a, b) = c ? 1 : 0, d/db = c ? 0 : 1
    Acc(IfTrue, [&] { return B.select(Cond, G, zeroOf(B, O.Ty)); });
    Acc(IfFalse, [&] { return B.select(Cond, zeroOf(B, O.Ty), G); });
  };

  switch (O.Kind) {
  case OpKind::Param:
  case OpKind::Const:
  case OpKind::Return:
  case OpKind::Lt:
  case OpKind::Le:
  case OpKind::Gt:
  case OpKind::Ge:
  case OpKind::Eq:
  case OpKind::Ne:
  case OpKind::And:
  case OpKind::Or:
  case OpKind::Not:
    return true; // constants, and bools carry no gradient
  case OpKind::Add:
    // d/da a + b = 1, d/db a + b = 1
    Acc(0, [&] { return G; });
    Acc(1, [&] { return G; });
    return true;
  case OpKind::Sub:
    // d/da a - b = 1, d/db a - b = -1
    Acc(0, [&] { return G; });
    Acc(1, [&] { return Neg(G); });
    return true;
  case OpKind::Mul:
    // d/da a * b = b, d/db a * b = a
    Acc(0, [&] { return Mul(G, Arg(1)); });
    Acc(1, [&] { return Mul(G, Arg(0)); });
    return true;
  case OpKind::Div:
    // d/da a / b = 1 / b, d/db a / b = -a / b^2 = -y / b
    Acc(0, [&] { return Div(G, Arg(1)); });
    Acc(1, [&] { return Neg(Div(Mul(G, V), Arg(1))); });
    return true;
  case OpKind::Neg:
    // d/da -a = -1
    Acc(0, [&] { return Neg(G); });
    return true;
  case OpKind::Max:
    // max(a, b) = a >= b ? a : b: the tie goes to a
    Route(B.binary(OpKind::Ge, Arg(0), Arg(1)), 0, 1);
    return true;
  case OpKind::Min:
    // min(a, b) = a <= b ? a : b: the tie goes to a
    Route(B.binary(OpKind::Le, Arg(0), Arg(1)), 0, 1);
    return true;
  case OpKind::Abs:
    // d/da |a| = sign(a), and 0 at a = 0
    Acc(0, [&] {
      ValueId Zero = Const(0);
      ValueId Pos = B.binary(OpKind::Gt, Arg(0), Zero);
      ValueId NegSide = B.binary(OpKind::Lt, Arg(0), Zero);
      return B.select(Pos, G, B.select(NegSide, Neg(G), Zero));
    });
    return true;
  case OpKind::Pow: {
    // d/da a^b = b * a^(b-1), d/db a^b = a^b * log(a)
    // A constant exponent may be splat to a tensor: look through that.
    const Op *Exponent = &B.getFunction().op(Arg(1));
    if (Exponent->Kind == OpKind::Broadcast)
      Exponent = &B.getFunction().op(Exponent->Operands[0]);
    bool ConstNonZero = Exponent->isConst() && Exponent->Ty.isScalar() &&
                        Exponent->FloatValue != 0;
    Acc(0, [&] {
      ValueId Bm1 = B.binary(OpKind::Sub, Arg(1), Const(1));
      ValueId D = Mul(G, Mul(Arg(1), B.binary(OpKind::Pow, Arg(0), Bm1)));
      if (ConstNonZero)
        return D;
      // a^0 is constant 1: its gradient is 0 even where a^-1 is infinite.
      ValueId IsZero = B.binary(OpKind::Eq, Arg(1), Const(0));
      return B.select(IsZero, Const(0), D);
    });
    Acc(1, [&] {
      // At a = 0 the limit is 0 (log 0 = -inf would give NaN), as PyTorch.
      ValueId D = Mul(G, Mul(V, B.unary(OpKind::Log, Arg(0))));
      ValueId AIsZero = B.binary(OpKind::Eq, Arg(0), Const(0));
      return B.select(AIsZero, Const(0), D);
    });
    return true;
  }
  case OpKind::Exp:
    // d/da e^a = e^a = y
    Acc(0, [&] { return Mul(G, V); });
    return true;
  case OpKind::Log:
    // d/da log a = 1 / a
    Acc(0, [&] { return Div(G, Arg(0)); });
    return true;
  case OpKind::Sqrt:
    // d/da sqrt(a) = 1 / (2 sqrt(a)) = 1 / (2 y)
    Acc(0, [&] { return Div(G, Mul(Const(2), V)); });
    return true;
  case OpKind::Tanh:
    // d/da tanh a = 1 - tanh^2 a = 1 - y^2
    Acc(0, [&] {
      return Mul(G, B.binary(OpKind::Sub, Const(1), Mul(V, V)));
    });
    return true;
  case OpKind::Sigmoid:
    // d/da sigmoid(a) = sigmoid(a) (1 - sigmoid(a)) = y (1 - y)
    Acc(0, [&] {
      return Mul(G, Mul(V, B.binary(OpKind::Sub, Const(1), V)));
    });
    return true;
  case OpKind::Relu:
    // d/da relu(a) = a > 0 ? 1 : 0
    Acc(0, [&] {
      return B.select(B.binary(OpKind::Gt, Arg(0), Const(0)), G, Const(0));
    });
    return true;
  case OpKind::Sin:
    // d/da sin a = cos a
    Acc(0, [&] { return Mul(G, B.unary(OpKind::Cos, Arg(0))); });
    return true;
  case OpKind::Cos:
    // d/da cos a = -sin a
    Acc(0, [&] { return Neg(Mul(G, B.unary(OpKind::Sin, Arg(0)))); });
    return true;
  case OpKind::Softplus:
    // d/da log(1 + e^a) = e^a / (1 + e^a) = sigmoid(a)
    Acc(0, [&] { return Mul(G, B.unary(OpKind::Sigmoid, Arg(0))); });
    return true;
  // Element-wise ops and statistics (issue 12). The kinks follow PyTorch
  // (checked against torch 1.13): leaky_relu'(0) = slope, elu'(0) = alpha,
  // maximum/minimum split a tie's gradient in halves, clamp passes it to x
  // on the closed interval [lo, hi].
  case OpKind::Sign:
    return true; // piecewise constant: no gradient
  case OpKind::LeakyRelu: {
    // y = a > 0 ? a : s a: dy/da = a > 0 ? 1 : s, dy/ds = a > 0 ? 0 : a
    ValueId Pos = B.binary(OpKind::Gt, Arg(0), Const(0));
    Acc(0, [&] { return B.select(Pos, G, Mul(G, Arg(1))); });
    Acc(1, [&] { return B.select(Pos, Const(0), Mul(G, Arg(0))); });
    return true;
  }
  case OpKind::Elu: {
    // y = a > 0 ? a : s (e^a - 1): dy/da = a <= 0 ? s e^a : 1 (so a NaN
    // passes the gradient, as PyTorch's elu_backward), dy/ds = e^a - 1.
    ValueId NonPos = B.binary(OpKind::Le, Arg(0), Const(0));
    ValueId E = B.unary(OpKind::Exp, Arg(0));
    Acc(0, [&] { return B.select(NonPos, Mul(G, Mul(Arg(1), E)), G); });
    Acc(1, [&] {
      return B.select(NonPos, Mul(G, B.binary(OpKind::Sub, E, Const(1))),
                      Const(0));
    });
    return true;
  }
  case OpKind::Erf:
    // d/da erf(a) = 2 / sqrt(pi) e^(-a^2)
    Acc(0, [&] {
      ValueId E = B.unary(OpKind::Exp, Neg(Mul(Arg(0), Arg(0))));
      return Mul(G, Mul(Const(1.1283791670955126), E));
    });
    return true;
  case OpKind::Gelu:
    // d/da a Phi(a) = Phi(a) + a phi(a), Phi(a) = (1 + erf(a / sqrt 2)) / 2,
    // phi(a) = e^(-a^2 / 2) / sqrt(2 pi)
    Acc(0, [&] {
      ValueId Erf = B.unary(OpKind::Erf, Mul(Arg(0), Const(0.70710678118654752)));
      ValueId Phi = Mul(Const(0.5), B.binary(OpKind::Add, Const(1), Erf));
      ValueId E = B.unary(OpKind::Exp,
                          Mul(Const(-0.5), Mul(Arg(0), Arg(0))));
      ValueId Dens = Mul(Const(0.3989422804014327), E);
      return Mul(G, B.binary(OpKind::Add, Phi, Mul(Arg(0), Dens)));
    });
    return true;
  case OpKind::Maximum:
  case OpKind::Minimum: {
    // The larger (smaller) operand gets the gradient, each half of it on a
    // tie; a NaN gives it to both (torch: where(a == b, g / 2, g) masked
    // where a < b, resp. a > b).
    bool Max = O.Kind == OpKind::Maximum;
    ValueId Tie = B.binary(OpKind::Eq, Arg(0), Arg(1));
    ValueId Half = Mul(G, Const(0.5));
    ValueId ALoses = B.binary(Max ? OpKind::Lt : OpKind::Gt, Arg(0), Arg(1));
    ValueId BLoses = B.binary(Max ? OpKind::Gt : OpKind::Lt, Arg(0), Arg(1));
    Acc(0, [&] {
      return B.select(Tie, Half, B.select(ALoses, Const(0), G));
    });
    Acc(1, [&] {
      return B.select(Tie, Half, B.select(BLoses, Const(0), G));
    });
    return true;
  }
  case OpKind::Clamp: {
    // torch.clamp's rule: x gets it on lo <= x <= hi, lo where x < lo and
    // lo < hi, hi where x > hi or hi < lo (a NaN bound gives none to x).
    auto And = [&](ValueId X, ValueId Y) {
      return B.binary(OpKind::And, X, Y);
    };
    auto Or = [&](ValueId X, ValueId Y) { return B.binary(OpKind::Or, X, Y); };
    ValueId X = Arg(0), Lo = Arg(1), Hi = Arg(2);
    Acc(0, [&] {
      return B.select(And(B.binary(OpKind::Ge, X, Lo),
                          B.binary(OpKind::Le, X, Hi)),
                      G, Const(0));
    });
    Acc(1, [&] {
      return B.select(And(B.binary(OpKind::Lt, X, Lo),
                          B.binary(OpKind::Lt, Lo, Hi)),
                      G, Const(0));
    });
    Acc(2, [&] {
      return B.select(Or(B.binary(OpKind::Gt, X, Hi),
                         B.binary(OpKind::Lt, Hi, Lo)),
                      G, Const(0));
    });
    return true;
  }
  case OpKind::Select:
    // The gradient flows to the arm that was chosen.
    Route(Arg(0), 1, 2);
    return true;
  case OpKind::Convert:
    // A float-to-float conversion passes the gradient back, converted.
    Acc(0, [&] {
      return B.convert(G, B.getFunction().typeOf(Arg(0)).getElementKind());
    });
    return true;
  case OpKind::Tuple:
    for (unsigned I = 0; I < O.Operands.size(); ++I)
      Acc(I, [&] { return B.extract(G, I); });
    return true;
  case OpKind::Extract:
    A.accumulateElement(Arg(0), O.getIndex(), G);
    return true;
  case OpKind::Call: {
    // A call that survived expansion has a user-written backward rule: it
    // takes the arguments and the upstream gradient, and returns one
    // gradient per parameter.
    const Function *Callee = M.lookup(O.Callee);
    const Function *Rule = Callee ? M.lookup(Callee->BackwardFn) : nullptr;
    if (!Rule)
      return false; // every other call was expanded: a bug upstream
    std::vector<ValueId> Args(O.Operands.begin(), O.Operands.end());
    Args.push_back(G);
    ValueId Grads = cloneExpanded(M, B, *Rule, Args);
    if (O.Operands.size() == 1) {
      Acc(0, [&] { return Grads; });
      return true;
    }
    for (unsigned I = 0; I < O.Operands.size(); ++I)
      Acc(I, [&] { return B.extract(Grads, I); });
    return true;
  }
#define OP(Name, Spelling, NumOperands, Class, Attr, Props)
#define TENSOR_OP(Name, Spelling, NumOperands, Class, Attr, Props)             \
  case OpKind::Name:
#include "nnc/IR/Ops.def"
    return emitTensorVJP(V, G, A);
  }
  return false;
}
