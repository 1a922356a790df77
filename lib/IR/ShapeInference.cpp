//===- ShapeInference.cpp - Every op's type rule, once --------------------===//
//
// The result type of each op kind from its operands' types and its
// attribute. ir::Builder computes the types it creates with inferType and
// the verifier checks every op against it (checkOpType), so a rule is
// written once and the two cannot disagree. Element-wise ops take operands
// of one shape: broadcasting is explicit in the IR.
//
//===----------------------------------------------------------------------===//
#include "nnc/IR/IR.h"

using namespace nnc;
using namespace nnc::ir;

namespace {

/// One rule application: the operand types, the op, and the first broken
/// rule's description.
class Inference {
public:
  Inference(const Op &O, llvm::ArrayRef<const Type *> Operands)
      : O(O), Operands(Operands) {}

  std::optional<Type> run();
  std::string Why;

private:
  const Op &O;
  llvm::ArrayRef<const Type *> Operands;

  const Type &T(unsigned J) const { return *Operands[J]; }
  std::nullopt_t fail(const char *Message) {
    Why = Message;
    return std::nullopt;
  }
  /// Every operand has operand 0's type (element-wise ops of one class).
  bool operandsAgree() const {
    for (const Type *X : Operands)
      if (*X != T(0))
        return false;
    return true;
  }
  /// \p In without the op's axis, or none when the axis is out of range.
  std::optional<Shape> withoutAxis(const Type &In) const {
    if (O.getAxis() >= In.getRank())
      return std::nullopt;
    Shape S = In.getShape();
    S.erase(S.begin() + O.getAxis());
    return S;
  }
  std::optional<Type> elementwise();
  std::optional<Type> other();
  std::optional<Type> tensor();
  std::optional<Type> slice();
  // Convolution and pooling (issue 12).
  std::optional<Type> window();
  std::optional<Shape> slide(const Shape &X, const Dim &KH, const Dim &KW,
                             const Dim &Channels);
};

} // namespace

std::optional<Type> Inference::run() {
  switch (getOpClass(O.Kind)) {
  case OpClass::Leaf:
    if (!O.Ty.isLeaf())
      return fail(O.Kind == OpKind::Param
                      ? "parameters must be scalars or tensors"
                      : "constant must be a scalar or a tensor");
    if (O.Kind == OpKind::Const && O.Ty.isTensor()) {
      Dim N = getNumElements(O.Ty.getShape());
      if (!N.isConstant() || N.Factor != static_cast<int64_t>(O.Data.size()))
        return fail("tensor constant size");
    }
    return O.Ty;
  case OpClass::Arith:
  case OpClass::Math:
  case OpClass::Cmp:
  case OpClass::Logic:
    return elementwise();
  case OpClass::Other:
    return other();
  }
  return fail("unknown op class");
}

std::optional<Type> Inference::elementwise() {
  switch (getOpClass(O.Kind)) {
  case OpClass::Arith:
    if (!operandsAgree())
      return fail("operand type differs from result type");
    if (!T(0).isFloat() && !T(0).isInt())
      return fail("arithmetic on a non-number");
    return T(0);
  case OpClass::Math:
    if (!operandsAgree())
      return fail("operand type differs from result type");
    if (!T(0).isFloat())
      return fail("math function on a non-float");
    return T(0);
  case OpClass::Cmp:
    if (!operandsAgree() || !T(0).isLeaf())
      return fail("comparison types");
    return T(0).withElementKind(ElementKind::Bool);
  default: // Logic
    if (!operandsAgree())
      return fail("logic operand type differs from result type");
    if (!T(0).isBool())
      return fail("logic result is not bool");
    return T(0);
  }
}

std::optional<Type> Inference::other() {
  switch (O.Kind) {
  case OpKind::Select:
    if (!T(0).isBool() || T(1) != T(2) ||
        T(0).getShape() != T(1).getShape())
      return fail("select types");
    return T(1);
  case OpKind::Convert:
    // The target element kind is the result type's.
    if (!O.Ty.isLeaf() || !T(0).isLeaf() ||
        O.Ty.getShape() != T(0).getShape())
      return fail("convert of a non-scalar or to another shape");
    return O.Ty;
  case OpKind::Call:
    // The callee's signature is the module's: the verifier checks it.
    return O.Ty;
  case OpKind::Tuple: {
    std::vector<Type> Elements;
    for (const Type *X : Operands)
      Elements.push_back(*X);
    return Type::tuple(std::move(Elements));
  }
  case OpKind::Extract:
    if (!T(0).isTuple() || O.getIndex() >= T(0).getElements().size())
      return fail("extract index or type");
    return T(0).getElements()[O.getIndex()];
  case OpKind::Return:
    return T(0);
  default:
    return tensor();
  }
}

std::optional<Type> Inference::tensor() {
  for (const Type *X : Operands)
    if (!X->isLeaf())
      return fail("tensor op on a tuple");
  if (!O.Ty.isLeaf())
    return fail("tensor op with a tuple result");
  // For the ops whose result type is given: the element kind is kept.
  bool SameKind =
      Operands.empty() || T(0).getElementKind() == O.Ty.getElementKind();
  switch (O.Kind) {
  case OpKind::Broadcast:
    if (!SameKind || !broadcastsTo(T(0).getShape(), O.Ty.getShape()))
      return fail("broadcast shapes");
    return O.Ty;
  case OpKind::SumTo:
    if (!SameKind || !broadcastsTo(O.Ty.getShape(), T(0).getShape()))
      return fail("sum_to shapes");
    return O.Ty;
  case OpKind::Reshape:
    if (!SameKind || getNumElements(T(0).getShape()) !=
                         getNumElements(O.Ty.getShape()))
      return fail("reshape changes the number of elements");
    return O.Ty;
  case OpKind::Transpose:
    if (T(0).getRank() != 2)
      return fail("transpose shapes");
    return Type::tensor(T(0).getElementKind(),
                        {T(0).getShape()[1], T(0).getShape()[0]});
  case OpKind::MatMul: {
    std::optional<Shape> S = getMatMulShape(T(0).getShape(), T(1).getShape());
    if (!S || T(0).getElementKind() != T(1).getElementKind() || T(0).isBool())
      return fail("matmul shapes");
    return Type::tensor(T(0).getElementKind(), std::move(*S));
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::LogSumExp: {
    std::optional<Shape> S = withoutAxis(T(0));
    if (!S || T(0).isBool())
      return fail("reduction axis or shape");
    if (O.Kind == OpKind::LogSumExp && !T(0).isFloat())
      return fail("logsumexp of a non-float");
    return Type::tensor(T(0).getElementKind(), std::move(*S));
  }
  case OpKind::ArgMax: {
    std::optional<Shape> S = withoutAxis(T(0));
    if (!S || T(0).isBool())
      return fail("argmax axis or shape");
    return Type::tensor(ElementKind::I64, std::move(*S));
  }
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
    if (!T(0).isFloat() || O.getAxis() >= T(0).getRank())
      return fail("softmax axis or type");
    return T(0);
  case OpKind::OneHot: {
    // The classes (the last dimension) and the element kind are given.
    if (!T(0).isInt() || O.Ty.getRank() != T(0).getRank() + 1 ||
        O.Ty.isBool())
      return fail("onehot types");
    Shape S = O.Ty.getShape();
    S.pop_back();
    if (S != T(0).getShape())
      return fail("onehot shape");
    return O.Ty;
  }
  case OpKind::Pick: {
    if (!T(1).isInt() || T(0).getRank() != T(1).getRank() + 1)
      return fail("pick types");
    Shape S = T(0).getShape();
    S.pop_back();
    if (S != T(1).getShape())
      return fail("pick shape");
    return Type::tensor(T(0).getElementKind(), std::move(S));
  }
  case OpKind::Iota:
    if (O.Ty.getElementKind() != ElementKind::I64 ||
        O.getAxis() >= O.Ty.getRank())
      return fail("iota axis or type");
    return O.Ty;
  case OpKind::DimValue:
    return Type::scalar(ElementKind::I64);
  case OpKind::Rand:
  case OpKind::Randn:
    if (T(0) != Type::scalar(ElementKind::I64) || !O.Ty.isFloat())
      return fail("random op types");
    return O.Ty;
  // Indexing and structural ops (issue 12, tensorops).
  case OpKind::Slice:
  case OpKind::Unslice:
    return slice();
  case OpKind::Concat: {
    unsigned Axis = O.getAxis();
    if (Operands.empty() || Axis >= T(0).getRank())
      return fail("concat axis");
    Shape S = T(0).getShape();
    for (size_t J = 1; J < Operands.size(); ++J) {
      const Shape &P = T(J).getShape();
      if (T(J).getElementKind() != T(0).getElementKind() ||
          P.size() != S.size())
        return fail("concat operand types");
      for (unsigned K = 0; K < S.size(); ++K)
        if (K != Axis && P[K] != S[K])
          return fail("concat shapes");
      std::optional<Dim> Sum = addDims(S[Axis], P[Axis]);
      if (!Sum)
        return fail("concat size is not a dimension");
      S[Axis] = *Sum;
    }
    return Type::tensor(T(0).getElementKind(), std::move(S));
  }
  case OpKind::Permute: {
    llvm::ArrayRef<unsigned> P = O.getPerm();
    if (P.size() != T(0).getRank() || P.empty())
      return fail("permutation rank");
    std::vector<bool> Seen(P.size());
    Shape S;
    for (unsigned A : P) {
      if (A >= P.size() || Seen[A])
        return fail("not a permutation");
      Seen[A] = true;
      S.push_back(T(0).getShape()[A]);
    }
    return Type::tensor(T(0).getElementKind(), std::move(S));
  }
  // Convolution and pooling (issue 12).
  case OpKind::Conv2d:
  case OpKind::Conv2dGradInput:
  case OpKind::Conv2dGradWeight:
  case OpKind::MaxPool2d:
  case OpKind::MaxPool2dGrad:
  case OpKind::MaxPool2dGather:
  case OpKind::AvgPool2d:
  case OpKind::AvgPool2dGrad:
    return window();
  default:
    return fail("no type rule for this op");
  }
}

/// slice: the result (given) is a window of operand 0; unslice: operand
/// 0 is a window of the result (given). A constant window must fit a
/// constant axis; the rest (a constant window of a variable axis, a part
/// of a concatenation) is checked with the starts, run-time i64 values,
/// when the op runs.
std::optional<Type> Inference::slice() {
  bool IsSlice = O.Kind == OpKind::Slice;
  const Type &Whole = IsSlice ? T(0) : O.Ty;
  const Type &Window = IsSlice ? O.Ty : T(0);
  unsigned R = Whole.getRank();
  llvm::ArrayRef<int64_t> Steps = O.getSteps();
  if (R == 0 || Window.getRank() != R || Operands.size() != R + 1 ||
      Steps.size() != R || Whole.getElementKind() != Window.getElementKind())
    return fail("slice ranks or types");
  for (unsigned K = 0; K < R; ++K) {
    if (T(K + 1) != Type::scalar(ElementKind::I64))
      return fail("slice starts must be i64 scalars");
    const Dim &N = Whole.getShape()[K], &W = Window.getShape()[K];
    int64_t Step = Steps[K];
    if (Step < 1)
      return fail("slice steps must be positive");
    if (W == N && Step == 1)
      continue;
    if (W.isConstant() && W.Factor < 1)
      return fail("slice window is empty");
    if (W.isConstant() && N.isConstant() &&
        (W.Factor - 1 > (N.Factor - 1) / Step))
      return fail("slice window does not fit the axis");
  }
  return O.Ty;
}

// Convolution and pooling (issue 12).

/// [B, Channels, P, Q]: \p X ([B, C, H, W]) under a window of KH x KW.
std::optional<Shape> Inference::slide(const Shape &X, const Dim &KH,
                                      const Dim &KW, const Dim &Channels) {
  if (!KH.isConstant() || !KW.isConstant()) {
    Why = "the window's size must be a constant";
    return std::nullopt;
  }
  const Window &W = O.getWindow();
  std::optional<Dim> P =
      getWindowExtent(X[2], KH.Factor, W.Stride[0], W.Pad[0], 0, Why);
  if (!P)
    return std::nullopt;
  std::optional<Dim> Q =
      getWindowExtent(X[3], KW.Factor, W.Stride[1], W.Pad[1], 1, Why);
  if (!Q)
    return std::nullopt;
  return Shape{X[0], Channels, *P, *Q};
}

std::optional<Type> Inference::window() {
  const Window &W = O.getWindow();
  ElementKind K = T(0).getElementKind();
  // The ops whose result type is an input's check it as an operand.
  bool Given = O.Kind == OpKind::Conv2dGradInput ||
               O.Kind == OpKind::Conv2dGradWeight ||
               O.Kind == OpKind::AvgPool2dGrad;
  llvm::SmallVector<const Type *, 3> All(Operands.begin(), Operands.end());
  if (Given)
    All.push_back(&O.Ty);
  for (const Type *X : All)
    if (!X->isFloat() || X->getRank() != 4 || X->getElementKind() != K)
      return fail("convolution and pooling take rank-4 tensors of one float "
                  "type");
  bool Pool = O.Kind != OpKind::Conv2d && O.Kind != OpKind::Conv2dGradInput &&
              O.Kind != OpKind::Conv2dGradWeight;
  if (Pool ? !W.Kernel[0] || !W.Kernel[1] : W.isPool())
    return fail("a pool's window is its kernel, conv2d's its weight's shape");
  if (Pool && (2 * W.Pad[0] > W.Kernel[0] || 2 * W.Pad[1] > W.Kernel[1]))
    return fail("pooling padding is more than half the window");
  Dim KH = Dim::constant(W.Kernel[0]), KW = Dim::constant(W.Kernel[1]);
  auto Same = [&](std::optional<Shape> S, const Type &Want) -> bool {
    if (S && *S != Want.getShape())
      Why = "the gradient's shape does not match the window's output";
    return S && *S == Want.getShape();
  };
  auto Conv = [&](const Type &X, const Type &Wt) -> std::optional<Shape> {
    const Shape &WS = Wt.getShape();
    if (X.getShape()[1] != WS[1]) {
      Why = "conv2d input channels differ from the weight's";
      return std::nullopt;
    }
    return slide(X.getShape(), WS[2], WS[3], WS[0]);
  };
  switch (O.Kind) {
  case OpKind::Conv2d: {
    std::optional<Shape> S = Conv(T(0), T(1));
    if (!S)
      return std::nullopt;
    return Type::tensor(K, std::move(*S));
  }
  case OpKind::Conv2dGradInput: // (dy, w) -> x
    if (!Same(Conv(O.Ty, T(1)), T(0)))
      return std::nullopt;
    return O.Ty;
  case OpKind::Conv2dGradWeight: // (x, dy) -> w
    if (!Same(Conv(T(0), O.Ty), T(1)))
      return std::nullopt;
    return O.Ty;
  case OpKind::MaxPool2d:
  case OpKind::AvgPool2d: {
    std::optional<Shape> S = slide(T(0).getShape(), KH, KW, T(0).getShape()[1]);
    if (!S)
      return std::nullopt;
    return Type::tensor(K, std::move(*S));
  }
  case OpKind::MaxPool2dGrad: // (x, dy) -> x
    if (!Same(slide(T(0).getShape(), KH, KW, T(0).getShape()[1]), T(1)))
      return std::nullopt;
    return T(0);
  case OpKind::MaxPool2dGather: { // (x, g) -> pooled
    if (T(1) != T(0))
      return fail("max_pool2d_gather's operands differ in type");
    std::optional<Shape> S = slide(T(0).getShape(), KH, KW, T(0).getShape()[1]);
    if (!S)
      return std::nullopt;
    return Type::tensor(K, std::move(*S));
  }
  case OpKind::AvgPool2dGrad: // (dy) -> x
    if (!Same(slide(O.Ty.getShape(), KH, KW, O.Ty.getShape()[1]), T(0)))
      return std::nullopt;
    return O.Ty;
  default:
    return fail("not a window op");
  }
}

std::optional<Type> ir::inferType(const Op &O,
                                  llvm::ArrayRef<const Type *> Operands,
                                  std::string *Why) {
  Inference I(O, Operands);
  std::optional<Type> T = I.run();
  if (!T && Why)
    *Why = std::move(I.Why);
  return T;
}

std::string ir::checkOpType(const Op &O,
                            llvm::ArrayRef<const Type *> Operands) {
  int Arity = getOpArity(O.Kind);
  if (Arity >= 0 && Operands.size() != static_cast<size_t>(Arity))
    return "wrong number of operands";
  if (O.Attr.index() != static_cast<size_t>(getAttrKind(O.Kind)))
    return "attribute of the wrong kind";
  std::string Why;
  std::optional<Type> T = inferType(O, Operands, &Why);
  if (!T)
    return Why;
  if (*T == O.Ty)
    return "";
  switch (getOpClass(O.Kind)) {
  case OpClass::Arith:
  case OpClass::Math:
    return "operand type differs from result type";
  case OpClass::Cmp:
    return "comparison types";
  case OpClass::Logic:
    return "logic operand type differs from result type";
  default:
    return "result type " + O.Ty.str() + " differs from " + T->str() +
           ", the type its operands give";
  }
}
