//===- IREvaluator.cpp - A reference interpreter of the IR, for tests -----===//
//
// Each op is a loop over the elements of its result. Tensor indices go
// through row-major multi-indices (`unravel` / `ravel`), which is slow and
// plainly correct. Reductions see a tensor as [Outer, N, Inner] around
// their axis.
//
//===----------------------------------------------------------------------===//
#include "IREvaluator.h"
#include "llvm/Support/FormatVariadic.h"
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

int64_t nnc::ir::testing::numElements(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

namespace {

using Index = std::vector<int64_t>;

Index unravel(int64_t Flat, const std::vector<int64_t> &Shape) {
  Index I(Shape.size());
  for (size_t D = Shape.size(); D-- > 0;) {
    I[D] = Flat % Shape[D];
    Flat /= Shape[D];
  }
  return I;
}

int64_t ravel(const Index &I, const std::vector<int64_t> &Shape) {
  int64_t Flat = 0;
  for (size_t D = 0; D < Shape.size(); ++D)
    Flat = Flat * Shape[D] + I[D];
  return Flat;
}

/// The index of the broadcast source element for result index \p Out:
/// trailing dims align, a source dim of 1 reads element 0.
int64_t broadcastSource(const Index &Out, const std::vector<int64_t> &From) {
  Index In(From.size());
  size_t Off = Out.size() - From.size();
  for (size_t D = 0; D < From.size(); ++D)
    In[D] = From[D] == 1 ? 0 : Out[Off + D];
  return ravel(In, From);
}

/// Rounds or wraps \p V to what kind \p K holds.
double normalize(ElementKind K, double V) {
  switch (K) {
  case ElementKind::F32:
    return static_cast<float>(V);
  case ElementKind::I32:
    return static_cast<int32_t>(
        static_cast<uint32_t>(static_cast<uint64_t>(static_cast<int64_t>(V))));
  case ElementKind::Bool:
    return V != 0;
  default:
    return V;
  }
}

double floatToInt(double X, ElementKind To) {
  if (std::isnan(X))
    return 0;
  double T = std::trunc(X);
  double Lo = To == ElementKind::I32 ? -2147483648.0 : -9.2233720368547758e18;
  double Hi = To == ElementKind::I32 ? 2147483647.0 : 9.2233720368547758e18;
  return std::min(std::max(T, Lo), Hi);
}

double sigmoid(double X) { return 1 / (1 + std::exp(-X)); }

/// Whether \p X replaces the running maximum (Greater) or minimum \p Best,
/// as the generated code decides: strictly better, so ties keep the first;
/// a NaN wins once, so it propagates and argmax finds the first one.
bool isBetter(double X, double Best, bool Greater) {
  if (std::isnan(X))
    return !std::isnan(Best);
  return Greater ? X > Best : X < Best;
}

/// The softmax family subtracts the row maximum, found as reduce_max does
/// (a NaN wins), so exp() cannot overflow. As in the generated code,
/// logsumexp (\p ZeroIfInfinite) shifts by 0 when the maximum is infinite
/// (or there is none); softmax and log_softmax shift by it anyway.
template <typename AtFn>
double softmaxShift(int64_t N, AtFn At, bool ZeroIfInfinite) {
  double Mx = -std::numeric_limits<double>::infinity();
  for (int64_t I = 0; I < N; ++I)
    if (isBetter(At(I), Mx, /*Greater=*/true))
      Mx = At(I);
  if (ZeroIfInfinite && !(std::fabs(Mx) < std::numeric_limits<double>::infinity()))
    return 0;
  return Mx;
}

/// A 64-bit mix (splitmix64), the random ops' counter-based generator.
uint64_t mix(uint64_t X) {
  X += 0x9e3779b97f4a7c15ULL;
  X = (X ^ (X >> 30)) * 0xbf58476d1ce4e5b9ULL;
  X = (X ^ (X >> 27)) * 0x94d049bb133111ebULL;
  return X ^ (X >> 31);
}
double uniform(uint64_t Seed, uint64_t Stream, uint64_t I) {
  uint64_t H = mix(mix(mix(Seed) ^ Stream) ^ I);
  return static_cast<double>(H >> 11) * 0x1.0p-53;
}

class Evaluator {
public:
  explicit Evaluator(const Module &M) : M(M) {}
  llvm::Expected<Value> run(const Function &F, const std::vector<Value> &Args);

private:
  const Module &M;
  std::map<std::string, int64_t> Dims;
  std::string Error;

  int64_t dim(const Dim &D) {
    int64_t N = D.Factor;
    for (const std::string &V : D.Vars) {
      auto It = Dims.find(V);
      if (It == Dims.end()) {
        Error = "unbound dimension " + V;
        return 0;
      }
      N *= It->second;
    }
    return N;
  }
  std::vector<int64_t> shape(const Type &T) {
    std::vector<int64_t> S;
    for (const Dim &D : T.getShape())
      S.push_back(dim(D));
    return S;
  }
  Value blank(const Type &T) {
    Value R;
    R.Kind = T.getElementKind();
    R.Shape = shape(T);
    R.Data.assign(numElements(R.Shape), 0);
    return R;
  }
  bool bind(const Type &T, const Value &V);
  Value evalOp(const Function &F, const Op &O, std::vector<Value> &Vals);
  Value elementwise(const Op &O, const std::vector<const Value *> &In);
};

bool Evaluator::bind(const Type &T, const Value &V) {
  if (T.isTuple() != V.IsTuple)
    return false;
  if (T.isTuple()) {
    if (T.getElements().size() != V.Elements.size())
      return false;
    for (size_t I = 0; I < V.Elements.size(); ++I)
      if (!bind(T.getElements()[I], V.Elements[I]))
        return false;
    return true;
  }
  if (T.getRank() != V.Shape.size() ||
      static_cast<int64_t>(V.Data.size()) != numElements(V.Shape))
    return false;
  for (size_t I = 0; I < V.Shape.size(); ++I) {
    const Dim &D = T.getShape()[I];
    if (D.Factor == 1 && D.Vars.size() == 1)
      Dims.try_emplace(D.Vars[0], V.Shape[I]);
  }
  return true;
}

llvm::Expected<Value> Evaluator::run(const Function &F,
                                     const std::vector<Value> &Args) {
  auto Fail = [](std::string Msg) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), Msg);
  };
  if (Args.size() != F.getNumParams())
    return Fail(llvm::formatv("@{0} takes {1} arguments, got {2}", F.Name,
                              F.getNumParams(), Args.size()));
  for (unsigned I = 0; I < Args.size(); ++I)
    if (!bind(F.getParamType(I), Args[I]))
      return Fail(llvm::formatv("argument {0} of @{1} does not fit {2}", I,
                                F.Name, F.getParamType(I).str()));
  // Compound dimensions (`2*n`) must agree with the bound variables.
  for (unsigned I = 0; I < Args.size(); ++I)
    if (F.getParamType(I).isLeaf() && shape(F.getParamType(I)) != Args[I].Shape)
      return Fail(llvm::formatv("argument {0} of @{1}: inconsistent dims", I,
                                F.Name));
  std::vector<Value> Vals(F.Ops.size());
  for (size_t I = 0; I < F.Ops.size(); ++I) {
    const Op &O = F.Ops[I];
    if (O.Kind == OpKind::Param) {
      Vals[I] = Args[O.getIndex()];
      continue;
    }
    if (O.Kind == OpKind::Return)
      return Vals[O.Operands[0]];
    Vals[I] = evalOp(F, O, Vals);
    if (!Error.empty())
      return Fail(llvm::formatv("@{0}, op {1} ({2}): {3}", F.Name, I,
                                getOpName(O.Kind), Error));
  }
  return Fail("@" + F.Name + " has no return");
}

Value Evaluator::elementwise(const Op &O, const std::vector<const Value *> &In) {
  Value R = blank(O.Ty);
  ElementKind InKind = In.empty() ? R.Kind : In[0]->Kind;
  bool Float = isFloatKind(InKind);
  for (size_t E = 0; E < R.Data.size(); ++E) {
    double A = In.size() > 0 ? In[0]->Data[E] : 0;
    double B = In.size() > 1 ? In[1]->Data[E] : 0;
    double Y = 0;
    switch (O.Kind) {
    case OpKind::Add: Y = A + B; break;
    case OpKind::Sub: Y = A - B; break;
    case OpKind::Mul: Y = A * B; break;
    case OpKind::Div:
      if (Float)
        Y = A / B;
      else
        Y = B == 0 ? 0 : std::trunc(A / B);
      break;
    case OpKind::Neg: Y = -A; break;
    case OpKind::Max: Y = A >= B ? A : B; break;
    case OpKind::Min: Y = A <= B ? A : B; break;
    case OpKind::Abs: Y = std::fabs(A); break;
    case OpKind::Pow: Y = std::pow(A, B); break;
    case OpKind::Exp: Y = std::exp(A); break;
    case OpKind::Log: Y = std::log(A); break;
    case OpKind::Sqrt: Y = std::sqrt(A); break;
    case OpKind::Tanh: Y = std::tanh(A); break;
    case OpKind::Sigmoid: Y = sigmoid(A); break;
    case OpKind::Relu: Y = A > 0 || std::isnan(A) ? A : 0; break;
    case OpKind::Sin: Y = std::sin(A); break;
    case OpKind::Cos: Y = std::cos(A); break;
    case OpKind::Softplus: Y = std::log1p(std::exp(A)); break;
    // Element-wise ops and statistics (issue 12): libm's erf and erfc,
    // not the compiler's polynomials; PyTorch's definitions otherwise.
    case OpKind::LeakyRelu: Y = A > 0 ? A : A * B; break;
    case OpKind::Elu: Y = A > 0 ? A : B * std::expm1(A); break;
    case OpKind::Erf: Y = std::erf(A); break;
    case OpKind::Gelu: Y = A * 0.5 * std::erfc(-A / std::sqrt(2.0)); break;
    case OpKind::Sign: Y = A > 0 ? 1 : A < 0 ? -1 : 0; break;
    case OpKind::Maximum:
      Y = std::isnan(A) || std::isnan(B) ? NAN : std::max(A, B);
      break;
    case OpKind::Minimum:
      Y = std::isnan(A) || std::isnan(B) ? NAN : std::min(A, B);
      break;
    case OpKind::Clamp: {
      double Lo = B, Hi = In[2]->Data[E];
      Y = std::isnan(A) || std::isnan(Lo) || std::isnan(Hi)
              ? NAN
              : std::min(std::max(A, Lo), Hi);
      break;
    }
    case OpKind::Lt: Y = A < B; break;
    case OpKind::Le: Y = A <= B; break;
    case OpKind::Gt: Y = A > B; break;
    case OpKind::Ge: Y = A >= B; break;
    case OpKind::Eq: Y = A == B; break;
    case OpKind::Ne: Y = A != B; break;
    case OpKind::And: Y = A != 0 && B != 0; break;
    case OpKind::Or: Y = A != 0 || B != 0; break;
    case OpKind::Not: Y = A == 0; break;
    case OpKind::Select: Y = A != 0 ? B : In[2]->Data[E]; break;
    case OpKind::Convert:
      if (isFloatKind(InKind) && !isFloatKind(R.Kind) &&
          R.Kind != ElementKind::Bool)
        Y = floatToInt(A, R.Kind);
      else
        Y = A;
      break;
    default:
      Error = "not an element-wise op";
      return R;
    }
    R.Data[E] = normalize(R.Kind, Y);
  }
  return R;
}

Value Evaluator::evalOp(const Function &F, const Op &O,
                        std::vector<Value> &Vals) {
  std::vector<const Value *> In;
  for (ValueId V : O.Operands)
    In.push_back(&Vals[V]);
  auto Reduction = [&](const Value &X, unsigned Axis, int64_t &Outer,
                       int64_t &N, int64_t &Inner) {
    Outer = Inner = 1;
    for (unsigned D = 0; D < Axis; ++D)
      Outer *= X.Shape[D];
    N = X.Shape[Axis];
    for (size_t D = Axis + 1; D < X.Shape.size(); ++D)
      Inner *= X.Shape[D];
  };
  switch (O.Kind) {
  case OpKind::Const: {
    Value R = blank(O.Ty);
    if (O.Ty.isTensor())
      R.Data = O.Data;
    else
      R.Data = {O.Ty.isFloat() ? O.FloatValue
                               : static_cast<double>(O.IntValue)};
    return R;
  }
  case OpKind::Tuple: {
    std::vector<Value> Parts;
    for (const Value *V : In)
      Parts.push_back(*V);
    return Value::tuple(std::move(Parts));
  }
  case OpKind::Extract:
    return In[0]->Elements.at(O.getIndex());
  case OpKind::Select:
    // A scalar condition picks a whole tuple (dropout in evaluation).
    if (O.Ty.isTuple())
      return In[0]->Data.at(0) != 0 ? *In[1] : *In[2];
    return elementwise(O, In);
  case OpKind::Call: {
    const Function *Callee = M.lookup(O.Callee);
    if (!Callee) {
      Error = "unknown function @" + O.Callee;
      return {};
    }
    std::vector<Value> Args;
    for (const Value *V : In)
      Args.push_back(*V);
    llvm::Expected<Value> R = Evaluator(M).run(*Callee, Args);
    if (!R) {
      Error = llvm::toString(R.takeError());
      return {};
    }
    return *R;
  }
  case OpKind::Broadcast: {
    Value R = blank(O.Ty);
    for (size_t E = 0; E < R.Data.size(); ++E)
      R.Data[E] = In[0]->Data[broadcastSource(unravel(E, R.Shape),
                                              In[0]->Shape)];
    return R;
  }
  case OpKind::SumTo: {
    Value R = blank(O.Ty);
    for (size_t E = 0; E < In[0]->Data.size(); ++E)
      R.Data[broadcastSource(unravel(E, In[0]->Shape), R.Shape)] +=
          In[0]->Data[E];
    for (double &V : R.Data)
      V = normalize(R.Kind, V);
    return R;
  }
  case OpKind::Reshape: {
    Value R = blank(O.Ty);
    R.Data = In[0]->Data;
    return R;
  }
  case OpKind::Transpose: {
    Value R = blank(O.Ty);
    int64_t Rows = R.Shape[0], Cols = R.Shape[1];
    for (int64_t I = 0; I < Rows; ++I)
      for (int64_t J = 0; J < Cols; ++J)
        R.Data[I * Cols + J] = In[0]->Data[J * Rows + I];
    return R;
  }
  case OpKind::MatMul: {
    // Vectors as matrices: a [k] left operand is [1, k], a [k] right
    // operand [k, 1].
    const Value &X = *In[0], &Y = *In[1];
    int64_t Rows = X.Shape.size() == 2 ? X.Shape[0] : 1;
    int64_t K = X.Shape.back();
    int64_t Cols = Y.Shape.size() == 2 ? Y.Shape[1] : 1;
    Value R = blank(O.Ty);
    for (int64_t I = 0; I < Rows; ++I)
      for (int64_t J = 0; J < Cols; ++J) {
        double S = 0;
        for (int64_t L = 0; L < K; ++L)
          S += X.Data[I * K + L] * Y.Data[L * Cols + J];
        R.Data[I * Cols + J] = normalize(R.Kind, S);
      }
    return R;
  }
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ArgMax:
  case OpKind::LogSumExp: {
    const Value &X = *In[0];
    int64_t Outer, N, Inner;
    Reduction(X, O.getAxis(), Outer, N, Inner);
    Value R = blank(O.Ty);
    for (int64_t A = 0; A < Outer; ++A)
      for (int64_t C = 0; C < Inner; ++C) {
        auto At = [&](int64_t I) { return X.Data[(A * N + I) * Inner + C]; };
        // In the element kind's precision, in the generated code's order,
        // so f32 sums round as the compiled ones do.
        auto Round = [&](double V) { return normalize(R.Kind, V); };
        double Y = 0;
        if (O.Kind == OpKind::ReduceSum) {
          for (int64_t I = 0; I < N; ++I)
            Y = Round(Y + At(I));
        } else if (O.Kind == OpKind::LogSumExp) {
          double Shift = softmaxShift(N, At, /*ZeroIfInfinite=*/true);
          double S = 0;
          for (int64_t I = 0; I < N; ++I)
            S = Round(S + Round(std::exp(Round(At(I) - Shift))));
          Y = Shift + Round(std::log(S));
        } else {
          // Starts from the identity of the reduction (argmax from -inf at
          // index 0), so an empty axis gives -inf (+inf for min).
          bool Greater = O.Kind != OpKind::ReduceMin;
          double Best = Greater ? -std::numeric_limits<double>::infinity()
                                : std::numeric_limits<double>::infinity();
          int64_t BestIndex = 0;
          for (int64_t I = 0; I < N; ++I)
            if (isBetter(At(I), Best, Greater)) {
              Best = At(I);
              BestIndex = I;
            }
          Y = O.Kind == OpKind::ArgMax ? static_cast<double>(BestIndex) : Best;
        }
        R.Data[A * Inner + C] = normalize(R.Kind, Y);
      }
    return R;
  }
  case OpKind::Softmax:
  case OpKind::LogSoftmax: {
    const Value &X = *In[0];
    int64_t Outer, N, Inner;
    Reduction(X, O.getAxis(), Outer, N, Inner);
    Value R = blank(O.Ty);
    auto Round = [&](double V) { return normalize(R.Kind, V); };
    for (int64_t A = 0; A < Outer; ++A)
      for (int64_t C = 0; C < Inner; ++C) {
        auto At = [&](int64_t I) { return X.Data[(A * N + I) * Inner + C]; };
        double Shift = softmaxShift(N, At, /*ZeroIfInfinite=*/false);
        double S = 0;
        for (int64_t I = 0; I < N; ++I)
          S = Round(S + Round(std::exp(Round(At(I) - Shift))));
        for (int64_t I = 0; I < N; ++I) {
          double Z = Round(At(I) - Shift);
          R.Data[(A * N + I) * Inner + C] =
              Round(O.Kind == OpKind::Softmax ? Round(std::exp(Z)) / S
                                              : Z - Round(std::log(S)));
        }
      }
    return R;
  }
  case OpKind::OneHot: {
    Value R = blank(O.Ty);
    int64_t C = R.Shape.back();
    for (size_t I = 0; I < In[0]->Data.size(); ++I) {
      double L = In[0]->Data[I];
      if (L >= 0 && L < C)
        R.Data[I * C + static_cast<int64_t>(L)] = 1;
    }
    return R;
  }
  case OpKind::Pick: {
    Value R = blank(O.Ty);
    int64_t C = In[0]->Shape.back();
    for (size_t I = 0; I < R.Data.size(); ++I) {
      double L = In[1]->Data[I];
      if (L < 0 || L >= C) {
        Error = "label out of range";
        return R;
      }
      R.Data[I] = In[0]->Data[I * C + static_cast<int64_t>(L)];
    }
    return R;
  }
  case OpKind::Iota: {
    Value R = blank(O.Ty);
    for (size_t E = 0; E < R.Data.size(); ++E)
      R.Data[E] = static_cast<double>(unravel(E, R.Shape)[O.getAxis()]);
    return R;
  }
  case OpKind::DimValue:
    return Value::scalar(static_cast<double>(dim(O.getDim())),
                         ElementKind::I64);
  case OpKind::Rand:
  case OpKind::Randn: {
    Value R = blank(O.Ty);
    auto Seed = static_cast<uint64_t>(static_cast<int64_t>(In[0]->item()));
    for (size_t E = 0; E < R.Data.size(); ++E) {
      double U = uniform(Seed, O.getStream(), 2 * E);
      if (O.Kind == OpKind::Randn) {
        // Box-Muller; 1 - U is in (0, 1], so the log is finite.
        double U2 = uniform(Seed, O.getStream(), 2 * E + 1);
        U = std::sqrt(-2 * std::log(1 - U)) * std::cos(2 * M_PI * U2);
      }
      R.Data[E] = normalize(R.Kind, U);
    }
    return R;
  }
  // Indexing and structural ops (issue 12, tensorops), element by element
  // from the definitions: slice reads whole[start + i * step], unslice
  // writes there, concat finds each element's part by its index.
  case OpKind::Slice:
  case OpKind::Unslice: {
    bool IsSlice = O.Kind == OpKind::Slice;
    Value R = blank(O.Ty);
    const Value &X = *In[0];
    const std::vector<int64_t> &Whole = IsSlice ? X.Shape : R.Shape;
    const std::vector<int64_t> &Window = IsSlice ? R.Shape : X.Shape;
    for (size_t K = 0; K < Whole.size(); ++K) {
      int64_t Start = static_cast<int64_t>(In[K + 1]->item()), Span = 0;
      if (__builtin_mul_overflow(Window[K] - 1, O.getSteps()[K], &Span) ||
          Start < 0 || Start > Whole[K] - 1 - Span) {
        Error = "slice out of range";
        return R;
      }
    }
    for (int64_t E = 0; E < numElements(Window); ++E) {
      Index I = unravel(E, Window);
      for (size_t K = 0; K < I.size(); ++K)
        I[K] = static_cast<int64_t>(In[K + 1]->item()) +
               I[K] * O.getSteps()[K];
      int64_t W = ravel(I, Whole);
      if (IsSlice)
        R.Data[E] = X.Data[W];
      else
        R.Data[W] = X.Data[E];
    }
    return R;
  }
  case OpKind::Concat: {
    Value R = blank(O.Ty);
    unsigned Axis = O.getAxis();
    for (size_t E = 0; E < R.Data.size(); ++E) {
      Index I = unravel(E, R.Shape);
      size_t Part = 0;
      while (I[Axis] >= In[Part]->Shape[Axis])
        I[Axis] -= In[Part++]->Shape[Axis];
      R.Data[E] = In[Part]->Data[ravel(I, In[Part]->Shape)];
    }
    return R;
  }
  case OpKind::Permute: {
    Value R = blank(O.Ty);
    for (size_t E = 0; E < R.Data.size(); ++E) {
      Index I = unravel(E, R.Shape), From(I.size());
      for (size_t K = 0; K < I.size(); ++K)
        From[O.getPerm()[K]] = I[K];
      R.Data[E] = In[0]->Data[ravel(From, In[0]->Shape)];
    }
    return R;
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
    return evaluateWindowOp(O, In, blank(O.Ty));
  default:
    (void)F;
    return elementwise(O, In);
  }
}

} // namespace

llvm::Expected<Value> nnc::ir::testing::evaluate(const Module &M, const Function &F,
                                        const std::vector<Value> &Args) {
  return Evaluator(M).run(F, Args);
}
