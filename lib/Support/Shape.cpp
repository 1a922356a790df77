//===- Shape.cpp - Tensor shapes with symbolic dimensions -----------------===//
#include "nnc/Support/Shape.h"
#include "llvm/ADT/STLExtras.h"

using namespace nnc;

Dim Dim::var(llvm::StringRef Name) {
  Dim D;
  D.Vars.push_back(Name.str());
  return D;
}

Dim Dim::operator*(const Dim &O) const {
  Dim R;
  // An overflowing size saturates to the invalid factor -1, which every
  // product keeps and Sema and the IR parser report.
  if (!isValid() || !O.isValid() ||
      __builtin_mul_overflow(Factor, O.Factor, &R.Factor))
    return Dim{-1, {}};
  R.Vars = Vars;
  R.Vars.append(O.Vars.begin(), O.Vars.end());
  llvm::sort(R.Vars);
  if (R.Factor == 0)
    R.Vars.clear();
  return R;
}

void Dim::print(llvm::raw_ostream &OS) const {
  bool First = true;
  if (Factor != 1 || Vars.empty()) {
    OS << Factor;
    First = false;
  }
  for (const std::string &V : Vars) {
    OS << (First ? "" : "*") << V;
    First = false;
  }
}

std::string Dim::str() const {
  std::string S;
  llvm::raw_string_ostream OS(S);
  print(OS);
  return S;
}

Dim nnc::getNumElements(const Shape &S) {
  Dim N = Dim::constant(1);
  for (const Dim &D : S)
    N = N * D;
  return N;
}

Dim nnc::getByteSize(ElementKind K, const Shape &S) {
  return Dim::constant(getElementSize(K)) * getNumElements(S);
}

std::string nnc::shapeToString(const Shape &S) {
  std::string R = "[";
  for (size_t I = 0; I < S.size(); ++I)
    R += (I ? ", " : "") + S[I].str();
  return R + "]";
}

std::optional<Shape> nnc::getBroadcastShape(const Shape &A, const Shape &B) {
  size_t N = std::max(A.size(), B.size());
  Shape R(N);
  for (size_t I = 0; I < N; ++I) {
    // Align trailing dimensions; a missing leading dimension acts as 1.
    const Dim *DA = I < A.size() ? &A[A.size() - 1 - I] : nullptr;
    const Dim *DB = I < B.size() ? &B[B.size() - 1 - I] : nullptr;
    Dim &Out = R[N - 1 - I];
    if (!DA || DA->isOne())
      Out = DB ? *DB : *DA;
    else if (!DB || DB->isOne() || *DA == *DB)
      Out = *DA;
    else
      return std::nullopt;
  }
  return R;
}

bool nnc::broadcastsTo(const Shape &From, const Shape &To) {
  if (From.size() > To.size())
    return false;
  for (size_t I = 0; I < From.size(); ++I) {
    const Dim &F = From[From.size() - 1 - I];
    if (!F.isOne() && F != To[To.size() - 1 - I])
      return false;
  }
  return true;
}

std::optional<Shape> nnc::getMatMulShape(const Shape &A, const Shape &B) {
  if (A.empty() || B.empty() || A.size() > 2 || B.size() > 2)
    return std::nullopt;
  if (A.back() != B.front())
    return std::nullopt;
  Shape R;
  if (A.size() == 2)
    R.push_back(A[0]);
  if (B.size() == 2)
    R.push_back(B[1]);
  return R;
}


Dim nnc::substitute(const Dim &D, const DimSubstitution &S) {
  Dim R = Dim::constant(D.Factor);
  for (const std::string &V : D.Vars) {
    auto It = llvm::find_if(S, [&](const auto &P) { return P.first == V; });
    R = R * (It == S.end() ? Dim::var(V) : It->second);
  }
  return R;
}

Shape nnc::substitute(const Shape &S, const DimSubstitution &Sub) {
  Shape R;
  for (const Dim &D : S)
    R.push_back(substitute(D, Sub));
  return R;
}

bool nnc::bindShape(const Shape &Formal, const Shape &Actual,
                    DimSubstitution &S) {
  if (Formal.size() != Actual.size())
    return false;
  for (size_t I = 0; I < Formal.size(); ++I) {
    const Dim &F = Formal[I];
    if (F.Factor != 1 || F.Vars.size() != 1)
      continue;
    auto It =
        llvm::find_if(S, [&](const auto &P) { return P.first == F.Vars[0]; });
    if (It == S.end())
      S.emplace_back(F.Vars[0], Actual[I]);
    else if (It->second != Actual[I])
      return false;
  }
  return true;
}

std::optional<Dim> nnc::addDims(const Dim &A, const Dim &B) {
  if (A.Vars != B.Vars || !A.isValid() || !B.isValid())
    return std::nullopt;
  int64_t Sum = 0;
  if (__builtin_add_overflow(A.Factor, B.Factor, &Sum))
    return std::nullopt;
  return Dim{Sum, A.Vars};
}
