//===- CheckIndex.cpp - Indexing and structural tensor ops ----------------===//
//
// Issue 12's structural ops: NumPy's basic indexing (`x[i]`, `x[:, 1:3]`,
// `x[::2]`, `x[..., -1]`), concat, stack, zeros, ones, full, permute (and
// transpose of any rank), flatten, keepdims, and the slice/unslice
// built-ins that --emit=nn prints derivatives with.
//
// A window's size must be a dimension: a constant times a product of
// variables. Slices of a constant axis are checked here; a constant-length
// slice of a variable axis (`x[:, 1:3]` of `f32[B, n]`) is checked when it
// runs (the start and the axis are run-time values), as is an index that
// is an expression. A slice whose size would be `n - 1` is an error that
// says so.
//
//===----------------------------------------------------------------------===//
#include "Checker.h"
#include "SliceBounds.h"

using namespace nnc;
using namespace nnc::sema;

Type Checker::checkIndex(IndexExpr &E) {
  Type T = checkExpr(*E.Base, nullptr);
  bool OK = T.isValid();
  if (OK && !T.isTensor()) {
    Diags.report(E.Base->getRange(), DiagID::err_index_not_tensor, T.str());
    OK = false;
  }
  int Ellipsis = -1;
  unsigned Explicit = 0;
  for (size_t I = 0; I < E.Items.size(); ++I) {
    if (E.Items[I].TheKind != IndexItem::Ellipsis) {
      ++Explicit;
    } else if (Ellipsis >= 0) {
      Diags.report(E.Items[I].Range, DiagID::err_ellipsis);
      OK = false;
    } else {
      Ellipsis = I;
    }
  }
  if (OK && Explicit > T.getRank()) {
    Diags.report(E.getRange(), DiagID::err_index_count, T.str(), T.getRank(),
                 Explicit);
    OK = false;
  }
  Type I64 = Type::scalar(ElementKind::I64);
  if (!OK) {
    // Still type the indices, so their own mistakes are reported too.
    for (IndexItem &It : E.Items)
      for (ExprPtr *P : {&It.Start, &It.Stop, &It.Step})
        if (*P)
          checkExpr(**P, &I64);
    return Type();
  }
  unsigned R = T.getRank();
  E.Axes.assign(R, {});
  for (unsigned A = 0; A < R; ++A)
    E.Axes[A].Size = T.Dims[A];
  unsigned Axis = 0;
  for (size_t I = 0; I < E.Items.size(); ++I) {
    IndexItem &It = E.Items[I];
    if (It.TheKind == IndexItem::Ellipsis) {
      Axis += R - Explicit;
      continue;
    }
    const Dim &N = T.Dims[Axis];
    IndexExpr::AxisWindow &W = E.Axes[Axis];
    if (It.TheKind == IndexItem::Single) {
      W.Drop = true;
      W.Size = Dim::constant(1);
      if (std::optional<int64_t> L = getIntLiteral(*It.Start)) {
        checkExpr(*It.Start, &I64);
        // Checked here when the axis is a constant; against a variable
        // one when it runs (a negative index counts from the end).
        if (N.isConstant() && (*L < -N.Factor || *L >= N.Factor)) {
          Diags.report(It.Range, DiagID::err_index_range, *L, Axis, T.str());
          OK = false;
        }
        W.Start = N.isConstant() && *L < 0 ? *L + N.Factor : *L;
      } else {
        Type IT = checkExpr(*It.Start, &I64);
        if (!IT.isValid()) {
          OK = false;
        } else if (!IT.isIntScalar()) {
          Diags.report(It.Start->getRange(), DiagID::err_index_type,
                       IT.str());
          OK = false;
        } else if (IT != I64 && !coerce(It.Start, I64, "an index")) {
          OK = false;
        }
        W.Item = I;
      }
      ++Axis;
      continue;
    }
    std::optional<BoundForm> Bounds[3];
    const char *PartNames[3] = {"start", "stop", "step"};
    ExprPtr *Parts[3] = {&It.Start, &It.Stop, &It.Step};
    bool PartsOK = true;
    for (unsigned J = 0; J < 3; ++J) {
      if (!*Parts[J])
        continue;
      if (!checkExpr(**Parts[J], &I64).isValid()) {
        PartsOK = false;
        continue;
      }
      std::string Why;
      Bounds[J] = evalBound(**Parts[J], Why);
      if (J == 2 && Bounds[J] &&
          (!Bounds[J]->isConstant() || Bounds[J]->Const < 1)) {
        Bounds[J].reset();
        Why = "it is not a positive constant";
      }
      if (!Bounds[J]) {
        Diags.report((*Parts[J])->getRange(), DiagID::err_slice_literal,
                     PartNames[J],
                     (J == 2 ? "a positive integer constant ("
                             : "an integer expression of literals and "
                               "dimension variables, with + - * (") +
                         Why + ")");
        PartsOK = false;
      }
    }
    if (!PartsOK ||
        !sliceWindow(Diags, It.Range, N, Axis, T, Bounds[0], Bounds[1],
                     Bounds[2] ? Bounds[2]->Const : 1, Bounds[2].has_value(),
                     W))
      OK = false;
    ++Axis;
  }
  if (!OK)
    return Type();
  Shape S;
  for (const IndexExpr::AxisWindow &W : E.Axes)
    if (!W.Drop)
      S.push_back(W.Size);
  return Type::tensor(T.Elem, std::move(S));
}

Type Checker::applyKeepDims(CallExpr &E, const Type &In, const Type &Reduced) {
  const Arg *A = findArg(E, "keepdims");
  if (!A || !Reduced.isValid())
    return Reduced;
  auto *V = llvm::dyn_cast<BoolExpr>(A->Value.get());
  if (!V) {
    Diags.report(A->Value->getRange(), DiagID::err_expected,
                 "'true' or 'false'");
    return Type();
  }
  A->Value->Ty = Type::scalar(ElementKind::Bool);
  if (!V->Value)
    return Reduced;
  // The reduced axes stay, as size 1 (NumPy's keepdims).
  E.KeepDims = true;
  Shape S = In.Dims;
  for (unsigned K = 0; K < S.size(); ++K)
    if (!E.Axes.empty() ? llvm::is_contained(E.Axes, K)
                        : E.Axis < 0 || K == static_cast<unsigned>(E.Axis))
      S[K] = Dim::constant(1);
  return Type::tensor(Reduced.Elem, std::move(S));
}

/// The permutation literal `[0, 2, 1]` of a tensor of rank \p Rank
/// (negative axes count from the end), or nullopt.
static std::optional<std::vector<int64_t>> getPermutation(const Expr &E,
                                                          unsigned Rank) {
  auto *L = llvm::dyn_cast<TensorLitExpr>(&E);
  if (!L || L->Elements.size() != Rank)
    return std::nullopt;
  std::vector<int64_t> P;
  std::vector<bool> Seen(Rank);
  for (const ExprPtr &X : L->Elements) {
    std::optional<int64_t> V = getIntLiteral(*X);
    if (V && *V < 0)
      *V += Rank;
    if (!V || *V < 0 || *V >= Rank || Seen[*V])
      return std::nullopt;
    Seen[*V] = true;
    P.push_back(*V);
  }
  return P;
}

/// The source text of \p E, for messages.
static std::string textOf(const Expr &E) {
  llvm::SMRange R = E.getRange();
  return std::string(R.Start.getPointer(),
                     R.End.getPointer() - R.Start.getPointer());
}

Type Checker::checkStructural(CallExpr &E, Builtin B, const Type *Expected) {
  llvm::StringRef Name = getBuiltinName(B);
  std::string What = ("'" + Name + "'").str();
  Type I64 = Type::scalar(ElementKind::I64);
  // A tensor operand of rank MinRank or more.
  auto Operand = [&](ExprPtr &X, unsigned MinRank) -> Type {
    Type T = checkExpr(*X, nullptr);
    if (T.isValid() && (!T.isLeaf() || T.getRank() < MinRank)) {
      Diags.report(X->getRange(), DiagID::err_needs_tensor, What,
                   MinRank ? "at least " + std::to_string(MinRank)
                           : std::string("0 or more"),
                   T.str());
      return Type();
    }
    return T;
  };
  // `f32` and its siblings, as the element type of zeros, ones and full.
  auto ElementArg = [&](const Arg &A) -> std::optional<ElementKind> {
    auto *N = llvm::dyn_cast<NameExpr>(A.Value.get());
    std::optional<ElementKind> K =
        N ? parseElementKind(N->Name) : std::nullopt;
    if (!K)
      Diags.report(A.Value->getRange(), DiagID::err_element_type, Name);
    return K;
  };
  auto Permuted = [&](const Type &T, const std::vector<int64_t> &P) {
    E.Ints = P;
    Shape S;
    for (int64_t A : P)
      S.push_back(T.Dims[A]);
    return Type::tensor(T.Elem, std::move(S));
  };

  switch (B) {
  case Builtin::Transpose:
  case Builtin::Permute: {
    size_t Min = B == Builtin::Permute ? 2 : 1;
    if (!checkArgNames(E, {}, Min, 2))
      return Type();
    Type T = Operand(E.Args[0].Value, 1);
    if (!T.isValid())
      return T;
    unsigned R = T.getRank();
    if (E.Args.size() == 1) {
      // NumPy's: the axes reversed. A vector is unchanged, a matrix is
      // the rank-2 transpose.
      if (R <= 2)
        return R == 1 ? T : Type::tensor(T.Elem, {T.Dims[1], T.Dims[0]});
      std::vector<int64_t> P;
      for (unsigned A = R; A-- > 0;)
        P.push_back(A);
      return Permuted(T, P);
    }
    Expr &PE = *E.Args[1].Value;
    std::optional<std::vector<int64_t>> P = getPermutation(PE, R);
    if (!P) {
      Diags.report(PE.getRange(), DiagID::err_permutation, Name, textOf(PE),
                   T.str());
      return Type();
    }
    return Permuted(T, *P);
  }
  case Builtin::Flatten: {
    if (!checkArgNames(E, {"start"}, 1, 1))
      return Type();
    Type T = Operand(E.Args[0].Value, 1);
    if (!T.isValid())
      return T;
    // PyTorch's nn.Flatten: every axis from `start` (default 1, after the
    // batch axis) into one.
    unsigned Start = 1;
    if (const Arg *A = findArg(E, "start")) {
      std::optional<unsigned> S = getAxis(*A, T.getRank(), What, T);
      if (!S)
        return Type();
      Start = *S;
    } else if (T.getRank() < 2) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_needs_tensor,
                   What, "at least 2 (or give 'start=0')", T.str());
      return Type();
    }
    Shape S(T.Dims.begin(), T.Dims.begin() + Start);
    S.push_back(getNumElements(Shape(T.Dims.begin() + Start, T.Dims.end())));
    return Type::tensor(T.Elem, std::move(S));
  }
  case Builtin::Zeros:
  case Builtin::Ones:
  case Builtin::Full: {
    bool IsFull = B == Builtin::Full;
    if (!checkArgNames(E, {}, IsFull ? 2 : 1, IsFull ? 3 : 2))
      return Type();
    std::optional<Shape> S = getShapeArg(*E.Args[0].Value);
    if (!S)
      return Type();
    size_t TypeArg = IsFull ? 2 : 1;
    std::optional<ElementKind> K;
    if (E.Args.size() > TypeArg && !(K = ElementArg(E.Args[TypeArg])))
      return Type();
    // Without a type, the context's, as for literals; f64 otherwise.
    if (!K && Expected && Expected->isLeaf())
      K = Expected->Elem;
    if (!IsFull) {
      E.ShapeArg = *S;
      return Type::tensor(K.value_or(ElementKind::F64), std::move(*S));
    }
    ExprPtr &V = E.Args[1].Value;
    Type Hint = Type::scalar(K.value_or(ElementKind::F64));
    Type VT = checkExpr(*V, K ? &Hint : nullptr);
    if (!VT.isValid())
      return VT;
    if (!VT.isScalar()) {
      Diags.report(V->getRange(), DiagID::err_expected_type, What,
                   "a scalar fill value", VT.str());
      return Type();
    }
    if (E.Args.size() > TypeArg && VT != Hint && !coerce(V, Hint, What))
      return Type();
    E.ShapeArg = *S;
    return Type::tensor(V->Ty.Elem, std::move(*S));
  }
  case Builtin::Concat:
  case Builtin::Stack: {
    if (!checkArgNames(E, {"axis"}, 1, 1))
      return Type();
    auto *L = llvm::dyn_cast<TensorLitExpr>(E.Args[0].Value.get());
    if (!L || L->Elements.empty()) {
      Diags.report(E.Args[0].Value->getRange(), DiagID::err_tensor_list,
                   Name);
      return Type();
    }
    // Values first; literal parts then take their element type.
    std::optional<ElementKind> K;
    bool OK = true;
    for (int Pass = 0; Pass < 2; ++Pass)
      for (ExprPtr &X : L->Elements) {
        if (isUntypedLiteral(*X) != (Pass == 1))
          continue;
        Type Hint = Type::scalar(K.value_or(ElementKind::F64));
        Type T = checkExpr(*X, Pass == 1 && K ? &Hint : nullptr);
        unsigned MinRank = B == Builtin::Concat ? 1 : 0;
        if (T.isValid() && (!T.isLeaf() || T.getRank() < MinRank)) {
          Diags.report(X->getRange(), DiagID::err_needs_tensor, What,
                       MinRank ? "at least 1" : "0 or more", T.str());
          T = Type();
        }
        if (!T.isValid()) {
          OK = false;
          continue;
        }
        if (!K)
          K = T.Elem;
      }
    if (!OK)
      return Type();
    for (ExprPtr &X : L->Elements) {
      if (X->Ty.Elem == *K)
        continue;
      Type Want = X->Ty.withElementKind(*K);
      if (X->Ty.isFloat() && Want.isFloat()) {
        Diags.report(X->getRange(), DiagID::err_float_mix, What,
                     L->Elements[0]->Ty.str(), X->Ty.str(),
                     getElementKindName(*K));
        return Type();
      }
      if (!coerce(X, Want, What))
        return Type();
    }
    const Type &First = L->Elements[0]->Ty;
    unsigned R = First.getRank();
    if (B == Builtin::Stack) {
      for (ExprPtr &X : L->Elements)
        if (X->Ty != First) {
          Diags.report(X->getRange(), DiagID::err_concat_shapes, Name,
                       First.str(), X->Ty.str(), "");
          return Type();
        }
      Shape S = First.Dims;
      S.insert(S.begin(), Dim::constant(L->Elements.size()));
      Type Result = Type::tensor(*K, S);
      E.Axis = 0;
      if (const Arg *A = findArg(E, "axis")) {
        std::optional<unsigned> Axis = getAxis(*A, R + 1, What, Result);
        if (!Axis)
          return Type();
        E.Axis = *Axis;
      }
      S = First.Dims;
      S.insert(S.begin() + E.Axis, Dim::constant(L->Elements.size()));
      return Type::tensor(*K, std::move(S));
    }
    E.Axis = 0;
    if (const Arg *A = findArg(E, "axis")) {
      std::optional<unsigned> Axis = getAxis(*A, R, What, First);
      if (!Axis)
        return Type();
      E.Axis = *Axis;
    }
    Shape S = First.Dims;
    std::string Outside = " outside axis " + std::to_string(E.Axis);
    for (size_t J = 1; J < L->Elements.size(); ++J) {
      const Type &T = L->Elements[J]->Ty;
      bool Fits = T.getRank() == R;
      for (unsigned A = 0; Fits && A < R; ++A)
        Fits = A == static_cast<unsigned>(E.Axis) || T.Dims[A] == S[A];
      if (!Fits) {
        Diags.report(L->Elements[J]->getRange(), DiagID::err_concat_shapes,
                     Name, First.str(), T.str(), Outside);
        return Type();
      }
      std::optional<Dim> Sum = addDims(S[E.Axis], T.Dims[E.Axis]);
      if (!Sum) {
        Diags.report(L->Elements[J]->getRange(), DiagID::err_concat_dim, Name,
                     S[E.Axis].str(), T.Dims[E.Axis].str(), E.Axis);
        return Type();
      }
      S[E.Axis] = *Sum;
    }
    return Type::tensor(*K, std::move(S));
  }
  case Builtin::Slice:
  case Builtin::Unslice: {
    // slice(x, [starts], [window], [steps]) and unslice(g, [starts],
    // [whole], [steps]): what derivatives of indexing are written with.
    if (!checkArgNames(E, {}, 3, 4))
      return Type();
    Type T = Operand(E.Args[0].Value, 1);
    auto *Starts = llvm::dyn_cast<TensorLitExpr>(E.Args[1].Value.get());
    std::optional<Shape> S = getShapeArg(*E.Args[2].Value);
    if (!T.isValid() || !S)
      return Type();
    unsigned R = T.getRank();
    if (!Starts || Starts->Elements.size() != R) {
      Diags.report(E.Args[1].Value->getRange(), DiagID::err_expected,
                   "a list of " + std::to_string(R) +
                       " starts in brackets, one per axis");
      return Type();
    }
    for (ExprPtr &X : Starts->Elements) {
      Type ST = checkExpr(*X, &I64);
      if (!ST.isValid())
        return ST;
      if (!ST.isIntScalar()) {
        Diags.report(X->getRange(), DiagID::err_index_type, ST.str());
        return Type();
      }
      if (ST != I64 && !coerce(X, I64, What))
        return Type();
    }
    E.Ints.assign(R, 1);
    if (E.Args.size() == 4) {
      auto *Steps = llvm::dyn_cast<TensorLitExpr>(E.Args[3].Value.get());
      for (size_t J = 0; Steps && J < Steps->Elements.size(); ++J) {
        std::optional<int64_t> V = getIntLiteral(*Steps->Elements[J]);
        if (!V || *V < 1 || J >= R)
          Steps = nullptr;
        else
          E.Ints[J] = *V;
      }
      if (!Steps || Steps->Elements.size() != R) {
        Diags.report(E.Args[3].Value->getRange(), DiagID::err_expected,
                     "a list of " + std::to_string(R) +
                         " positive integer steps in brackets");
        return Type();
      }
      for (ExprPtr &X : Steps->Elements)
        checkExpr(*X, &I64);
    }
    bool IsSlice = B == Builtin::Slice;
    Type Given = Type::tensor(T.Elem, *S);
    const Type &Whole = IsSlice ? T : Given, &Window = IsSlice ? Given : T;
    // The rule of ir::inferType: a constant window fits a constant axis
    // (the rest is checked with the starts when it runs).
    bool Fits = S->size() == R;
    for (unsigned A = 0; Fits && A < R; ++A) {
      const Dim &N = Whole.Dims[A], &W = Window.Dims[A];
      if (W == N && E.Ints[A] == 1)
        continue;
      Fits = !W.isConstant() ||
             (W.Factor >= 1 && (!N.isConstant() ||
                                W.Factor - 1 <= (N.Factor - 1) / E.Ints[A]));
    }
    if (!Fits) {
      std::string Steps = "[";
      for (size_t J = 0; J < E.Ints.size(); ++J)
        Steps += (J ? ", " : "") + std::to_string(E.Ints[J]);
      Diags.report(E.getRange(), DiagID::err_slice_sizes, Name,
                   Window.str(), Whole.str(), Steps + "]");
      return Type();
    }
    E.ShapeArg = *S;
    return Given;
  }
  default:
    return Type();
  }
}
