//===- TensorRules.cpp - Vector-Jacobian rules of the tensor ops ----------===//
//
// For y = op(a, ...) with upstream adjoint g = dL/dy (g has y's type), each
// rule adds dL/da, of a's type, to a's adjoint. Every rule is built from
// ops that have rules themselves (broadcast, sum_to, reshape, matmul,
// select, ...), so derivatives can be differentiated again.
//
// Reductions remove an axis; their rules put it back with `expandAxis`:
// reshape to the "keep dims" shape (the axis as size 1), then broadcast.
// reduce_max/min route the gradient to the first extremal element, as the
// scalar max gate does for ties: the mask `iota == argmax` along the axis
// selects exactly one element per reduced row.
//
//===----------------------------------------------------------------------===//
#include "Adjoints.h"

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ad;

/// Broadcasts \p G, whose shape is \p To's without \p Axis, back to \p To
/// (of G's element kind): every element of a reduced row gets the row's
/// value.
static ValueId expandAxis(Builder &B, ValueId G, const Type &To,
                          unsigned Axis) {
  ElementKind K = B.getFunction().typeOf(G).getElementKind();
  Type Target = To.withElementKind(K);
  // A leading axis needs no reshape: broadcasting aligns trailing dims.
  if (Axis == 0)
    return B.broadcast(G, Target);
  Shape Keep = To.getShape();
  Keep[Axis] = Dim::constant(1);
  return B.broadcast(B.reshape(G, Type::tensor(K, Keep)), Target);
}

/// A tensor of \p T's shape with each dim of \p S.
static Type shaped(const Type &T, Shape S) {
  return Type::tensor(T.getElementKind(), std::move(S));
}

bool ad::emitTensorVJP(ValueId V, ValueId G, Adjoints &A) {
  Builder &B = A.builder();
  // Copies: emitting appends to the vector these live in.
  const Op O = B.getFunction().op(V);
  auto Arg = [&](unsigned I) { return O.Operands[I]; };
  auto TypeOf = [&](ValueId X) { return B.getFunction().typeOf(X); };
  auto Acc = [&](unsigned I, auto Make) {
    if (A.isActive(Arg(I)))
      A.accumulate(Arg(I), Make());
  };
  auto Mul = [&](ValueId X, ValueId Y) { return B.binary(OpKind::Mul, X, Y); };
  const Type TA = O.Operands.empty() ? Type() : TypeOf(Arg(0));
  unsigned Axis = hasAxis(O.Kind) ? O.getAxis() : 0;

  switch (O.Kind) {
  case OpKind::Broadcast:
    // y[i] = a[i mod shape(a)]: every copy of a[j] adds its gradient,
    // da = sum_to(g, shape(a)).
    Acc(0, [&] { return B.sumTo(G, TA); });
    return true;
  case OpKind::SumTo:
    // y = sum of the copies of a: each gets the whole gradient,
    // da = broadcast(g, shape(a)).
    Acc(0, [&] { return B.broadcast(G, TA); });
    return true;
  case OpKind::Reshape:
    // A permutation-free relabelling of the elements: da = reshape(g).
    Acc(0, [&] { return B.reshape(G, TA); });
    return true;
  case OpKind::Transpose:
    // y[i, j] = a[j, i]: da = g^T.
    Acc(0, [&] { return B.transpose(G); });
    return true;

  case OpKind::MatMul: {
    // C = A @ B, C[i, j] = sum_k A[i, k] B[k, j]:
    //   dA = dC @ B^T, dB = A^T @ dC.
    // Vectors are the rank-1 cases: a [k] left operand is a row, a [k]
    // right operand a column, and the outer products they need are built
    // as [m, 1] @ [1, k].
    ValueId X = Arg(0), Y = Arg(1);
    const Type TX = TA, TY = TypeOf(Y);
    auto Column = [&](ValueId Vec) { // [n] -> [n, 1]
      const Type T = TypeOf(Vec);
      return B.reshape(Vec, shaped(T, {T.getShape()[0], Dim::constant(1)}));
    };
    auto Row = [&](ValueId Vec) { // [n] -> [1, n]
      const Type T = TypeOf(Vec);
      return B.reshape(Vec, shaped(T, {Dim::constant(1), T.getShape()[0]}));
    };
    if (TX.getRank() == 2 && TY.getRank() == 2) {
      // [m, k] @ [k, n]: dA = dC @ B^T, dB = A^T @ dC.
      Acc(0, [&] { return B.matmul(G, B.transpose(Y)); });
      Acc(1, [&] { return B.matmul(B.transpose(X), G); });
    } else if (TX.getRank() == 2) {
      // [m, k] @ [k] -> [m]: dA[i, j] = dC[i] B[j] (an outer product),
      // dB = A^T @ dC.
      Acc(0, [&] {
        ValueId L = Column(G); // named: argument order is unspecified
        return B.matmul(L, Row(Y));
      });
      Acc(1, [&] { return B.matmul(B.transpose(X), G); });
    } else if (TY.getRank() == 2) {
      // [k] @ [k, n] -> [n]: dA = B @ dC (= dC @ B^T as a vector),
      // dB[i, j] = A[i] dC[j].
      Acc(0, [&] { return B.matmul(Y, G); });
      Acc(1, [&] {
        ValueId L = Column(X);
        return B.matmul(L, Row(G));
      });
    } else {
      // [k] @ [k] -> scalar, sum_i A[i] B[i]: dA = dC B, dB = dC A.
      Acc(0, [&] { return Mul(B.broadcast(G, TX), Y); });
      Acc(1, [&] { return Mul(B.broadcast(G, TY), X); });
    }
    return true;
  }

  case OpKind::ReduceSum:
    // y = sum_axis a: each element of a row gets the row's gradient.
    Acc(0, [&] { return expandAxis(B, G, TA, Axis); });
    return true;
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
    // y = a[argmax]: the gradient goes to the first maximal element (the
    // first minimal one for min, found as the first maximum of -a), zero
    // elsewhere: da = (iota_axis == argmax) ? broadcast(g) : 0.
    Acc(0, [&] {
      ValueId Src = O.Kind == OpKind::ReduceMax
                        ? Arg(0)
                        : B.unary(OpKind::Neg, Arg(0));
      ValueId Idx = B.reduce(OpKind::ArgMax, Src, Axis);
      const Type TI = TA.withElementKind(ElementKind::I64);
      ValueId Iota = B.iota(TI, Axis);
      ValueId Mask = B.binary(OpKind::Eq, Iota, expandAxis(B, Idx, TI, Axis));
      ValueId Spread = expandAxis(B, G, TA, Axis);
      return B.select(Mask, Spread, zeroOf(B, TA));
    });
    return true;
  case OpKind::LogSumExp:
    // y = log sum_axis exp(a): dy/da = exp(a) / sum exp(a) = exp(a - y),
    // da = exp(a - broadcast(y)) * broadcast(g). Written with the forward
    // value rather than softmax(a), as PyTorch does: a row holding +inf has
    // y = inf and gives NaN only where a is infinite (softmax(a) is NaN
    // throughout), and the values agree with PyTorch's to the last bit.
    Acc(0, [&] {
      ValueId Y = expandAxis(B, V, TA, Axis);
      ValueId E = B.unary(OpKind::Exp, B.binary(OpKind::Sub, Arg(0), Y));
      return Mul(E, expandAxis(B, G, TA, Axis));
    });
    return true;
  case OpKind::Softmax:
    // y = softmax(a): dy_i/da_j = y_i (delta_ij - y_j), so
    // da = y * (g - broadcast(sum_axis(g * y))).
    Acc(0, [&] {
      ValueId Dot = B.reduce(OpKind::ReduceSum, Mul(G, V), Axis);
      return Mul(V, B.binary(OpKind::Sub, G, expandAxis(B, Dot, TA, Axis)));
    });
    return true;
  case OpKind::LogSoftmax:
    // y = a - logsumexp(a): dy_i/da_j = delta_ij - softmax(a)_j, so
    // da = g - softmax(a) * broadcast(sum_axis g).
    Acc(0, [&] {
      ValueId Sum = B.reduce(OpKind::ReduceSum, G, Axis);
      ValueId S = B.softmax(OpKind::Softmax, Arg(0), Axis);
      return B.binary(OpKind::Sub, G, Mul(S, expandAxis(B, Sum, TA, Axis)));
    });
    return true;
  case OpKind::Pick:
    // y[..] = x[.., label[..]]: dx = onehot(label) * broadcast(g) along the
    // class axis; the integer labels get nothing.
    Acc(0, [&] {
      unsigned Last = TA.getRank() - 1;
      ValueId Hot =
          B.onehot(Arg(1), TA.getShape()[Last], TA.getElementKind());
      return Mul(Hot, expandAxis(B, G, TA, Last));
    });
    return true;

  // Indexing and structural ops (issue 12, tensorops).
  case OpKind::Slice:
  case OpKind::Unslice: {
    // slice: y[i] = a[start + i * step] along each axis, so each element
    // of a read once gets its g and the rest 0: da = unslice(g). unslice
    // is the adjoint (its transpose): da = slice(g). The integer starts
    // get nothing.
    llvm::SmallVector<ValueId, 4> Starts(O.Operands.begin() + 1,
                                         O.Operands.end());
    Acc(0, [&] {
      return O.Kind == OpKind::Slice
                 ? B.unslice(G, Starts, O.getSteps(), TA)
                 : B.slice(G, Starts, O.getSteps(), TA);
    });
    return true;
  }
  case OpKind::Concat: {
    // y = [a0; a1; ...] along the axis: each part's gradient is its window
    // of g, at the sum of the earlier parts' sizes.
    Type I64 = Type::scalar(ElementKind::I64);
    ValueId Zero = B.intConstant(I64, 0), Offset = Zero;
    for (unsigned J = 0; J < O.Operands.size(); ++J) {
      const Type TJ = TypeOf(Arg(J));
      llvm::SmallVector<ValueId, 4> Starts(TJ.getRank(), Zero);
      Starts[Axis] = Offset;
      Acc(J, [&] {
        llvm::SmallVector<int64_t, 4> Steps(TJ.getRank(), 1);
        return B.slice(G, Starts, Steps, TJ);
      });
      if (J + 1 < O.Operands.size())
        Offset = B.binary(OpKind::Add, Offset, B.dim(TJ.getShape()[Axis]));
    }
    return true;
  }
  case OpKind::Permute: {
    // y axis i is a's axis p[i]: da = permute(g, p^-1).
    llvm::ArrayRef<unsigned> P = O.getPerm();
    llvm::SmallVector<unsigned, 4> Inverse(P.size());
    for (unsigned I = 0; I < P.size(); ++I)
      Inverse[P[I]] = I;
    Acc(0, [&] { return B.permute(G, Inverse); });
    return true;
  }

  case OpKind::OneHot:
  case OpKind::ArgMax:
  case OpKind::Iota:
  case OpKind::DimValue:
  case OpKind::Rand:
  case OpKind::Randn:
    // Integer inputs or none, or (random numbers) no dependence on a
    // float operand: no gradient.
    return true;

  // Convolution and pooling (issue 12).
  case OpKind::Conv2d:
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight:
  case OpKind::MaxPool2d:
  case OpKind::MaxPool2dGrad:
  case OpKind::MaxPool2dGather:
  case OpKind::AvgPool2d:
  case OpKind::AvgPool2dGrad:
    return emitWindowVJP(V, G, A);

    // The rest are Rules.cpp's.
#define OP(Name, Spelling, NumOperands, Class, Attr, Props)                    \
  case OpKind::Name:
#define TENSOR_OP(Name, Spelling, NumOperands, Class, Attr, Props)
#include "nnc/IR/Ops.def"
    return false;
  }
  return false;
}
