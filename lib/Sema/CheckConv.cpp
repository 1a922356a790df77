//===- CheckConv.cpp - Shapes of convolution and pooling ------------------===//
//
// Convolution and pooling (issue 12). conv2d, max_pool2d, avg_pool2d and
// the gradient built-ins that AD's rules use (and `--emit=nn` prints) take
// rank-4 float tensors in NCHW order, and a window, stride and padding that
// are each one integer or [height, width]. Their output extents are computed
// here at compile time with nnc/Support/Window.h, the function the IR's
// type rule uses; a size that the shape model (a constant times a product
// of dimension variables) cannot express is an error that says so.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"

using namespace nnc;
using namespace nnc::sema;

/// The largest stride, padding or pooling window accepted: far beyond any
/// image, small enough that 2 * padding never overflows.
static constexpr int64_t MaxWindowInt = 1 << 20;

/// An integer literal in [Min, MaxWindowInt], or std::nullopt.
static std::optional<unsigned> getWindowLiteral(const Expr &E, int64_t Min) {
  auto *N = llvm::dyn_cast<NumberExpr>(&E);
  if (!N || !N->IsInteger || N->IntValue < Min || N->IntValue > MaxWindowInt)
    return std::nullopt;
  return static_cast<unsigned>(N->IntValue);
}

std::optional<std::array<unsigned, 2>>
Checker::getWindowPair(const Arg &A, llvm::StringRef What, llvm::StringRef Name,
                       int64_t Min) {
  Expr &E = *A.Value;
  // PyTorch writes a pair as a tuple, `stride=(1, 2)`; the language's
  // lists are `[...]`, as in `axis=[0, 2]`.
  if (llvm::isa<TupleExpr>(E)) {
    Diags.report(E.getRange(), DiagID::err_window_list, What, Name,
                 "a tuple: write it in brackets");
    return std::nullopt;
  }
  auto *L = llvm::dyn_cast<TensorLitExpr>(&E);
  if (!L) {
    std::optional<unsigned> V = getWindowLiteral(E, Min);
    if (!V) {
      Diags.report(E.getRange(), DiagID::err_window_literal, What, Name, Min);
      return std::nullopt;
    }
    E.Ty = Type::scalar(ElementKind::I64);
    return std::array<unsigned, 2>{*V, *V};
  }
  if (L->Elements.size() != 2) {
    Diags.report(E.getRange(), DiagID::err_window_list, What, Name,
                 "a list of " + std::to_string(L->Elements.size()));
    return std::nullopt;
  }
  std::array<unsigned, 2> Pair;
  for (unsigned I = 0; I < 2; ++I) {
    Expr &X = *L->Elements[I];
    std::optional<unsigned> V = getWindowLiteral(X, Min);
    if (!V) {
      Diags.report(X.getRange(), DiagID::err_window_literal, What,
                   (Name + (I ? "'s width" : "'s height")).str(), Min);
      return std::nullopt;
    }
    X.Ty = Type::scalar(ElementKind::I64);
    Pair[I] = *V;
  }
  E.Ty = Type::tensor(ElementKind::I64, {Dim::constant(2)});
  return Pair;
}

Type Checker::checkWindowBuiltin(CallExpr &E, Builtin B) {
  llvm::StringRef Name = getBuiltinName(B);
  std::string What = ("'" + Name + "'").str();
  bool IsConv = B == Builtin::Conv2d || B == Builtin::Conv2dGradInput ||
                B == Builtin::Conv2dGradWeight;
  // Positional operands: tensors, then the pools' window, then a shape.
  unsigned Tensors = B == Builtin::MaxPool2d || B == Builtin::AvgPool2d ||
                             B == Builtin::AvgPool2dGrad
                         ? 1
                         : 2;
  bool HasKernel = !IsConv;
  bool HasShape = B == Builtin::Conv2dGradInput ||
                  B == Builtin::Conv2dGradWeight ||
                  B == Builtin::AvgPool2dGrad;
  size_t Positional = Tensors + HasKernel + HasShape;
  if (!checkArgNames(E, {"stride", "padding"}, Positional, Positional))
    return Type();

  // The tensors: rank 4, of one float type.
  llvm::SmallVector<Type, 2> T;
  for (unsigned I = 0; I < Tensors; ++I) {
    ExprPtr &X = E.Args[I].Value;
    Type XT = checkExpr(*X, nullptr);
    if (!XT.isValid())
      return Type();
    if (!XT.isFloat() || XT.getRank() != 4) {
      Diags.report(X->getRange(), DiagID::err_expected_type, What,
                   "a rank-4 float tensor (NCHW)", XT.str());
      return Type();
    }
    if (I && XT.Elem != T[0].Elem) {
      Diags.report(X->getRange(), DiagID::err_expected_type, What,
                   ("tensors of one element type, '" +
                    getElementKindName(T[0].Elem) + "' as the first")
                       .str(),
                   XT.str());
      return Type();
    }
    T.push_back(XT);
  }
  ElementKind K = T[0].Elem;
  Window W;
  if (HasKernel) {
    std::optional<std::array<unsigned, 2>> Kernel =
        getWindowPair(E.Args[Tensors], What, "the window", 1);
    if (!Kernel)
      return Type();
    W.Kernel = *Kernel;
    W.Stride = *Kernel; // PyTorch's default
  }
  std::optional<Type> Given;
  if (HasShape) {
    Expr &S = *E.Args[Tensors + HasKernel].Value;
    std::optional<Shape> Sh = getShapeArg(S);
    if (!Sh)
      return Type();
    Given = Type::tensor(K, *Sh);
    if (Given->getRank() != 4) {
      Diags.report(S.getRange(), DiagID::err_expected_type, What,
                   "a shape of rank 4", Given->str());
      return Type();
    }
    E.ShapeArg = *Sh;
  }
  if (const Arg *A = findArg(E, "stride")) {
    std::optional<std::array<unsigned, 2>> V =
        getWindowPair(*A, What, "the stride", 1);
    if (!V)
      return Type();
    W.Stride = *V;
  }
  if (const Arg *A = findArg(E, "padding")) {
    std::optional<std::array<unsigned, 2>> V =
        getWindowPair(*A, What, "the padding", 0);
    if (!V)
      return Type();
    W.Pad = *V;
  }
  // PyTorch's rule, which keeps an image position in every window: a
  // pool's padding is at most half its window, along each axis.
  for (unsigned I = 0; HasKernel && I < 2; ++I) {
    if (2 * W.Pad[I] <= W.Kernel[I])
      continue;
    const Expr &P = *findArg(E, "padding")->Value;
    const auto *L = llvm::dyn_cast<TensorLitExpr>(&P);
    Diags.report(L ? L->Elements[I]->getRange() : P.getRange(),
                 DiagID::err_pool_padding, What, renderWindowPair(W.Pad),
                 std::to_string(W.Kernel[0]) + "x" +
                     std::to_string(W.Kernel[1]));
    return Type();
  }
  E.Win = W;

  // The input x and, for a convolution, the weight w.
  const Type *X = nullptr, *Wt = nullptr, *Out = nullptr;
  switch (B) {
  case Builtin::Conv2d:
    X = &T[0], Wt = &T[1];
    break;
  case Builtin::Conv2dGradInput: // (dy, w, x's shape)
    X = &*Given, Wt = &T[1], Out = &T[0];
    break;
  case Builtin::Conv2dGradWeight: // (x, dy, w's shape)
    X = &T[0], Wt = &*Given, Out = &T[1];
    break;
  case Builtin::AvgPool2dGrad: // (dy, k, x's shape)
    X = &*Given, Out = &T[0];
    break;
  case Builtin::MaxPool2dGather:
    if (T[1] != T[0]) {
      Diags.report(E.getRange(), DiagID::err_shape_mismatch, What,
                   T[0].str(), T[1].str());
      return Type();
    }
    [[fallthrough]];
  default: // the pools, max_pool2d_grad (x, dy, k)
    X = &T[0];
    if (B == Builtin::MaxPool2dGrad)
      Out = &T[1];
    break;
  }
  Dim Channels = X->Dims[1];
  int64_t KH = W.Kernel[0], KW = W.Kernel[1];
  std::string Against = "a " + std::to_string(KH) + "x" +
                        std::to_string(KW) + " window";
  if (Wt) {
    const Shape &WS = Wt->Dims;
    Against = "weight '" + Wt->str() + "'";
    if (WS[1] != X->Dims[1]) {
      Diags.report(E.getRange(), DiagID::err_conv_channels, What, X->str(),
                   X->Dims[1].str(), Wt->str(), WS[1].str());
      return Type();
    }
    if (!WS[2].isConstant() || !WS[3].isConstant()) {
      Diags.report(E.getRange(), DiagID::err_window, What,
                   "the kernel's height and width must be constants", X->str(),
                   Against, renderWindowPair(W.Stride),
                   renderWindowPair(W.Pad));
      return Type();
    }
    Channels = WS[0];
    KH = WS[2].Factor;
    KW = WS[3].Factor;
  }
  std::string Why;
  std::optional<Dim> P =
      getWindowExtent(X->Dims[2], KH, W.Stride[0], W.Pad[0], 0, Why);
  std::optional<Dim> Q =
      P ? getWindowExtent(X->Dims[3], KW, W.Stride[1], W.Pad[1], 1, Why)
        : std::nullopt;
  if (!P || !Q) {
    Diags.report(E.getRange(), DiagID::err_window, What, Why, X->str(), Against,
                 renderWindowPair(W.Stride), renderWindowPair(W.Pad));
    return Type();
  }
  Type Result = Type::tensor(K, {X->Dims[0], Channels, *P, *Q});
  if (!Out)
    return Result;
  // A gradient op: its upstream operand has the window's output shape.
  if (*Out != Result) {
    Diags.report(E.getRange(), DiagID::err_window_grad, What, Out->str(),
                 Result.str(), X->str());
    return Type();
  }
  return B == Builtin::Conv2dGradWeight ? *Wt : *X;
}
