//===- SliceBounds.cpp - Slice bounds as forms in dimension variables -----===//
#include "SliceBounds.h"
#include "llvm/ADT/StringExtras.h"

using namespace nnc;
using namespace nnc::ast;
using namespace nnc::sema;

static std::string keyOf(const Dim &D) { return llvm::join(D.Vars, "*"); }

BoundForm BoundForm::ofDim(const Dim &D) {
  if (D.isConstant())
    return constant(D.Factor);
  BoundForm F;
  F.Terms[keyOf(D)] = D.Factor;
  return F;
}

bool BoundForm::fromEnd() const {
  bool Negative = Const < 0;
  for (const auto &[K, C] : Terms) {
    if (C > 0)
      return false;
    Negative |= C < 0;
  }
  return Const <= 0 && Negative;
}

std::optional<Dim> BoundForm::asDim() const {
  if (Terms.empty())
    return Const > 0 ? std::optional(Dim::constant(Const)) : std::nullopt;
  if (Const != 0 || Terms.size() != 1 || Terms.begin()->second <= 0)
    return std::nullopt;
  Dim D = Dim::constant(Terms.begin()->second);
  llvm::SmallVector<llvm::StringRef, 2> Vars;
  llvm::StringRef(Terms.begin()->first).split(Vars, '*');
  for (llvm::StringRef V : Vars)
    D = D * Dim::var(V);
  return D;
}

std::optional<BoundForm> BoundForm::plus(const BoundForm &O,
                                         int64_t Sign) const {
  BoundForm R = *this;
  auto Add = [&](int64_t &To, int64_t V) {
    int64_t S;
    return !__builtin_mul_overflow(V, Sign, &S) &&
           !__builtin_add_overflow(To, S, &To);
  };
  if (!Add(R.Const, O.Const))
    return std::nullopt;
  for (const auto &[K, C] : O.Terms)
    if (!Add(R.Terms[K], C))
      return std::nullopt;
  std::erase_if(R.Terms, [](const auto &T) { return T.second == 0; });
  return R;
}

std::string BoundForm::str() const {
  std::string S;
  auto Put = [&](int64_t C, const std::string &K) {
    if (S.empty())
      S = C < 0 ? "-" : "";
    else
      S += C < 0 ? " - " : " + ";
    uint64_t A = C < 0 ? -static_cast<uint64_t>(C) : C;
    if (K.empty())
      S += std::to_string(A);
    else
      S += (A == 1 ? "" : std::to_string(A) + "*") + K;
  };
  for (const auto &[K, C] : Terms)
    Put(C, K);
  if (Const != 0 || Terms.empty())
    Put(Const, "");
  return S;
}

std::optional<BoundForm> sema::evalBound(const Expr &E, std::string &Why) {
  auto Scale = [&](BoundForm F, int64_t K) -> std::optional<BoundForm> {
    if (__builtin_mul_overflow(F.Const, K, &F.Const))
      return std::nullopt;
    for (auto &[Name, C] : F.Terms)
      if (__builtin_mul_overflow(C, K, &C))
        return std::nullopt;
    std::erase_if(F.Terms, [](const auto &T) { return T.second == 0; });
    return F;
  };
  auto Overflow = [&]() -> std::optional<BoundForm> {
    Why = "it overflows a 64-bit integer";
    return std::nullopt;
  };
  switch (E.getKind()) {
  case Expr::EK_Number: {
    auto &N = llvm::cast<NumberExpr>(E);
    if (N.IsInteger)
      return BoundForm::constant(N.IntValue);
    Why = "'" + N.Spelling + "' is not an integer";
    return std::nullopt;
  }
  case Expr::EK_Name: {
    auto &N = llvm::cast<NameExpr>(E);
    if (N.Ref == NameExpr::DimVar)
      return BoundForm::ofDim(Dim::var(N.Name));
    Why = "'" + N.Name + "' is a value known only when the code runs; "
          "slice(x, [starts], [sizes]) takes run-time starts";
    return std::nullopt;
  }
  case Expr::EK_Unary: {
    auto &U = llvm::cast<UnaryExpr>(E);
    if (U.Op != UnaryOp::Neg)
      break;
    std::optional<BoundForm> F = evalBound(*U.Operand, Why);
    if (!F)
      return std::nullopt;
    std::optional<BoundForm> R = Scale(*F, -1);
    return R ? R : Overflow();
  }
  case Expr::EK_Binary: {
    auto &Bin = llvm::cast<BinaryExpr>(E);
    if (Bin.Op != BinaryOp::Add && Bin.Op != BinaryOp::Sub &&
        Bin.Op != BinaryOp::Mul)
      break;
    std::optional<BoundForm> L = evalBound(*Bin.LHS, Why);
    if (!L)
      return std::nullopt;
    std::optional<BoundForm> R = evalBound(*Bin.RHS, Why);
    if (!R)
      return std::nullopt;
    std::optional<BoundForm> Out;
    if (Bin.Op != BinaryOp::Mul) {
      Out = L->plus(*R, Bin.Op == BinaryOp::Add ? 1 : -1);
    } else if (L->isConstant() || R->isConstant()) {
      Out = L->isConstant() ? Scale(*R, L->Const) : Scale(*L, R->Const);
    } else {
      Why = "a product of dimension variables is not a linear form";
      return std::nullopt;
    }
    return Out ? Out : Overflow();
  }
  default:
    break;
  }
  Why = "only + - * of integer literals and dimension variables make a "
        "bound";
  return std::nullopt;
}

/// Ceiling of A / B for A >= 0, B >= 1, without overflow.
static int64_t ceilDiv(int64_t A, int64_t B) {
  return A == 0 ? 0 : (A - 1) / B + 1;
}

bool sema::sliceWindow(DiagnosticEngine &Diags, llvm::SMRange Where,
                       const Dim &N, unsigned Axis, const Type &T,
                       const std::optional<BoundForm> &Start,
                       const std::optional<BoundForm> &Stop, int64_t Step,
                       bool StepWritten, IndexExpr::AxisWindow &W) {
  std::string Text = (Start ? Start->str() : "") + ":" +
                     (Stop ? Stop->str() : "") +
                     (StepWritten ? ":" + std::to_string(Step) : "");
  W.Step = Step;
  auto Report = [&](DiagID ID) {
    Diags.report(Where, ID, Text, Axis, T.str());
    return false;
  };
  BoundForm Whole = BoundForm::ofDim(N);
  // NumPy's normalization: a negative bound counts from the end.
  auto Normalize = [&](const std::optional<BoundForm> &B,
                       const BoundForm &Missing) -> std::optional<BoundForm> {
    if (!B)
      return Missing;
    return B->fromEnd() ? Whole.plus(*B, 1) : B;
  };
  std::optional<BoundForm> S = Normalize(Start, BoundForm::constant(0));
  std::optional<BoundForm> E = Normalize(Stop, Whole);
  std::optional<BoundForm> Len = S && E ? E->plus(*S, -1) : std::nullopt;
  if (!Len)
    return Report(DiagID::err_slice_range);
  if (N.isConstant() && S->isConstant() && E->isConstant()) {
    // Checked here, and never clamped, unlike NumPy: a bound outside the
    // axis is almost always a mistake.
    if (S->Const < 0 || S->Const > N.Factor || E->Const < 0 ||
        E->Const > N.Factor)
      return Report(DiagID::err_slice_range);
  }
  std::optional<Dim> Size = Len->asDim();
  if (Len->isConstant() && !Size)
    return Report(DiagID::err_slice_empty);
  if (!Size || (Step != 1 && !Size->isConstant())) {
    // The size would depend on a variable in a way no dimension can hold:
    // `n - 1`, `n / 2`.
    std::string L = Len->str();
    if (Step != 1)
      L = (L.find(' ') == std::string::npos ? L : "(" + L + ")") + " / " +
          std::to_string(Step) + ", rounded up";
    Diags.report(Where, DiagID::err_slice_shape, Text, Axis, T.str(), L);
    return false;
  }
  W.Size = Size->isConstant() ? Dim::constant(ceilDiv(Size->Factor, Step))
                              : *Size;
  // The start: a constant, or a run-time value from the dimensions (checked
  // against the axis when the slice runs).
  W.Start = S->Const;
  W.StartTerms.clear();
  for (const auto &[K, C] : S->Terms) {
    BoundForm M;
    M.Terms[K] = 1;
    W.StartTerms.push_back({C, *M.asDim()});
  }
  return true;
}
