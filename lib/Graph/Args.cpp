//===- Args.cpp - The point a function is drawn at -----------------------===//
//
// Each parameter gets a value: a number, a .npy file, seeded standard
// normal numbers (randn), a value the REPL computed, or, for an instance's
// parameters, its initializer's at the seed. Dimension variables get their
// sizes from --dims and from the values' shapes, and then give randn
// values their shapes. The values reach the compiled code as .nn literals.
//
//===----------------------------------------------------------------------===//
#include "GraphInternal.h"
#include "nnc/Check/Check.h"
#include "nnc/Data/Dataset.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Session.h"
#include "nnc/Support/SplitMix.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Endian.h"
#include <cmath>
#include <cstring>

using namespace nnc;
using namespace nnc::graph;

namespace {

using Rng = SplitMix64;

/// One parameter's value: its numbers row-major, as doubles.
struct ArgValue {
  ElementKind Kind = ElementKind::F64;
  std::vector<int64_t> Shape;
  std::vector<double> Data;
  /// Where it came from, for messages.
  std::string From;
};

std::string formatNumber(double V, bool Float) {
  if (std::isnan(V))
    return "(0.0 / 0.0)";
  if (std::isinf(V))
    return V > 0 ? "(1.0 / 0.0)" : "(-1.0 / 0.0)";
  if (!Float)
    return std::to_string(int64_t(V));
  char Buf[40];
  std::snprintf(Buf, sizeof(Buf), "%.17g", V);
  std::string S = Buf;
  if (S.find_first_of(".en") == std::string::npos)
    S += ".0";
  return S;
}

void writeLiteral(std::string &Out, llvm::ArrayRef<int64_t> Shape,
                  llvm::ArrayRef<double> Data, bool Float, size_t &Pos) {
  if (Shape.empty()) {
    Out += formatNumber(Data[Pos++], Float);
    return;
  }
  Out += '[';
  for (int64_t I = 0; I < Shape[0]; ++I) {
    if (I)
      Out += ", ";
    writeLiteral(Out, Shape.drop_front(), Data, Float, Pos);
  }
  Out += ']';
}

/// The value as .nn source of the parameter's element kind.
std::string literalText(const ArgValue &A, ElementKind Param) {
  if (Param == ElementKind::Bool && A.Shape.empty())
    return A.Data[0] != 0 ? "true" : "false";
  std::string Text;
  size_t Pos = 0;
  writeLiteral(Text, A.Shape, A.Data, isFloatKind(Param), Pos);
  if (Param == ElementKind::F64 || Param == ElementKind::I64)
    return Text;
  return getElementKindName(Param).str() + "(" + Text + ")";
}

ArgValue fromValue(const jit::Value &V) {
  ArgValue A;
  if (V.getKind() == jit::Value::ScalarValue) {
    A.Kind = V.getScalar().Kind;
  } else {
    A.Kind = V.getTensorElementKind();
    A.Shape = V.getShape();
  }
  A.Data = check::flattenValue(V);
  return A;
}

llvm::Expected<ArgValue> fromNpy(llvm::StringRef Path) {
  auto Arr = data::readNpy(Path);
  if (!Arr)
    return Arr.takeError();
  ArgValue A;
  A.Shape.assign(Arr->Shape.begin(), Arr->Shape.end());
  A.From = ("'" + Path + "'").str();
  int64_t N = Arr->getNumElements();
  const uint8_t *P = Arr->Bytes.data();
  for (int64_t I = 0; I < N; ++I) {
    using namespace llvm::support;
    switch (Arr->Type) {
    case data::DType::F32: {
      uint32_t Bits = endian::read32le(P + 4 * I);
      float F;
      std::memcpy(&F, &Bits, 4);
      A.Data.push_back(F);
      A.Kind = ElementKind::F32;
      break;
    }
    case data::DType::F64: {
      uint64_t Bits = endian::read64le(P + 8 * I);
      double D;
      std::memcpy(&D, &Bits, 8);
      A.Data.push_back(D);
      A.Kind = ElementKind::F64;
      break;
    }
    case data::DType::I32:
      A.Data.push_back(int32_t(endian::read32le(P + 4 * I)));
      A.Kind = ElementKind::I32;
      break;
    case data::DType::I64:
      A.Data.push_back(double(int64_t(endian::read64le(P + 8 * I))));
      A.Kind = ElementKind::I64;
      break;
    case data::DType::U8:
      A.Data.push_back(P[I]);
      A.Kind = ElementKind::I32;
      break;
    }
  }
  if (N == 0)
    return error("--at: " + A.From + " has no elements");
  return A;
}

/// The size of \p D under \p B, or nothing when a variable is unbound.
std::optional<int64_t> evalDim(const Dim &D, const Bindings &B) {
  int64_t N = D.Factor;
  for (const std::string &V : D.Vars) {
    auto It = B.find(V);
    if (It == B.end())
      return std::nullopt;
    N *= It->second;
  }
  return N;
}

} // namespace

std::string graph::formatType(ElementKind K, llvm::ArrayRef<int64_t> Shape) {
  std::string S = getElementKindName(K).str();
  if (Shape.empty())
    return S;
  S += "[";
  for (size_t I = 0; I < Shape.size(); ++I) {
    if (I)
      S += ",";
    S += std::to_string(Shape[I]);
  }
  return S + "]";
}

static std::vector<int64_t> concreteShape(const ir::Type &T,
                                          const Bindings &Dims) {
  std::vector<int64_t> Shape;
  for (const Dim &D : T.getShape())
    Shape.push_back(evalDim(D, Dims).value_or(-1));
  return Shape;
}

std::string graph::formatTupleType(const ir::Type &T, const Bindings &Dims) {
  if (!T.isTuple())
    return formatType(T.getElementKind(), concreteShape(T, Dims));
  std::string S = "(";
  for (const ir::Type &E : T.getElements()) {
    if (S.size() > 1)
      S += ", ";
    S += formatTupleType(E, Dims);
  }
  return S + ")";
}

std::string graph::zeroText(const ir::Type &T, const Bindings &Dims) {
  std::string Zero = "0.0";
  if (T.isTensor()) {
    Zero = "broadcast(0.0, [";
    std::vector<int64_t> Shape = concreteShape(T, Dims);
    for (size_t I = 0; I < Shape.size(); ++I) {
      if (I)
        Zero += ", ";
      Zero += std::to_string(Shape[I]);
    }
    Zero += "])";
  }
  if (T.getElementKind() == ElementKind::F32)
    return "f32(" + Zero + ")";
  return Zero;
}

std::optional<ArgSpec> graph::parseArgSpec(llvm::StringRef Text) {
  Text = Text.trim();
  ArgSpec A;
  if (Text == "randn") {
    A.Kind = ArgSpec::Randn;
    return A;
  }
  if (Text.ends_with(".npy")) {
    A.Kind = ArgSpec::Npy;
    A.Path = Text.str();
    return A;
  }
  double V;
  if (Text.empty() || !llvm::to_float(Text, V) || !std::isfinite(V))
    return std::nullopt;
  A.Scalar = V;
  return A;
}

llvm::Expected<Point>
graph::bindParameters(const ir::Function &F, llvm::StringRef Instance,
                      const ir::Module &M, const GraphOptions &Opts,
                      jit::Engine &JIT, llvm::StringRef InitName) {
  unsigned NumParams = F.getNumParams();
  unsigned First = 0, Count = 0;
  if (!Instance.empty()) {
    First = F.ParamStruct.First;
    Count = F.ParamStruct.Count;
  }
  auto InStruct = [&](unsigned I) { return I >= First && I < First + Count; };
  // Messages about values name the option they came from.
  std::string At = Opts.UsePositional ? "" : "--at: ";
  std::vector<std::optional<ArgSpec>> Specs(NumParams);
  if (Opts.UsePositional) {
    unsigned Expected = NumParams - Count;
    if (Opts.Positional.size() != Expected)
      return error("'" + Opts.Function + "' takes " +
                   std::to_string(Expected) + " argument" +
                   (Expected == 1 ? "" : "s") + ", but " +
                   std::to_string(Opts.Positional.size()) +
                   (Opts.Positional.size() == 1 ? " was" : " were") +
                   " given");
    for (unsigned I = 0, K = 0; I < NumParams; ++I)
      if (!InStruct(I))
        Specs[I] = Opts.Positional[K++];
  }
  for (const auto &[Name, Spec] : Opts.At) {
    unsigned I = 0;
    while (I < NumParams && F.getParamName(I) != Name)
      ++I;
    if (I == NumParams)
      return error("--at: '" + Opts.Function + "' has no parameter '" + Name +
                   "'");
    if (Specs[I])
      return error("--at: parameter '" + Name + "' is given twice");
    Specs[I] = Spec;
  }

  std::vector<std::optional<ArgValue>> Values(NumParams);
  // The instance's parameters not given: its initializer's, at the seed.
  bool NeedInit = false;
  for (unsigned I = First; I < First + Count; ++I)
    NeedInit |= !Specs[I];
  if (NeedInit) {
    const ir::Function *Init = M.lookup(InitName);
    if (!Init)
      return error("internal error: no initializer of '" + Instance + "'");
    ir::Module IM;
    IM.Functions.push_back(std::make_unique<ir::Function>(*Init));
    std::string Source;
    llvm::raw_string_ostream SOS(Source);
    ir::printModuleAsNN(IM, SOS);
    std::string Errs;
    llvm::raw_string_ostream ES(Errs);
    std::optional<jit::Session> Read =
        jit::readFile(Source, "<graph init>", ES);
    if (!Read)
      return error("internal error: the initializer does not compile: " +
                   Errs);
    jit::Session &IS = *Read;
    std::string Why;
    std::optional<jit::Value> V = check::evaluateExpression(
        IS, JIT, (InitName + "(" + std::to_string(Opts.Seed) + ")").str(),
        Why);
    if (!V)
      return error("cannot run the initializer of '" + Instance + "': " + Why);
    std::vector<jit::Value> Parts = V->getKind() == jit::Value::TupleValue
                                        ? V->getElements()
                                        : std::vector<jit::Value>{*V};
    if (Parts.size() != Count)
      return error("internal error: the initializer's result has the wrong "
                   "size");
    for (unsigned I = First; I < First + Count; ++I)
      if (!Specs[I]) {
        Values[I] = fromValue(Parts[I - First]);
        Values[I]->From = "the initializer";
      }
  }

  Point P;
  for (const auto &[Name, Size] : Opts.Dims) {
    bool Known = false;
    for (unsigned I = 0; I < NumParams; ++I)
      for (const Dim &D : F.getParam(I).Ty.getShape())
        Known |= llvm::is_contained(D.Vars, Name);
    if (!Known)
      return error("--dims: '" + Opts.Function + "' has no dimension '" +
                   Name + "'");
    if (Size < 1)
      return error("--dims: give '" + Name + "' a size of 1 or more");
    P.Dims[Name] = Size;
  }

  // The values given, checked against their parameters' types; their
  // shapes bind dimension variables.
  for (unsigned I = 0; I < NumParams; ++I) {
    const ir::Type &T = F.getParamType(I);
    std::string PName = F.getParamName(I).str();
    std::string Typed = "parameter '" + PName + "' is " + T.str();
    if (!Specs[I] && !Values[I])
      return error("--at: give a value for parameter '" + PName + "' of '" +
                   Opts.Function + "'");
    if (T.isTuple())
      return error("cannot draw '" + Opts.Function + "': " + Typed);
    if (Specs[I]) {
      switch (Specs[I]->Kind) {
      case ArgSpec::Randn:
        if (!T.isFloat())
          return error("--at: randn draws floats, but " + Typed);
        continue; // its shape comes from the dimensions
      case ArgSpec::Number:
        if (T.isTensor())
          return error("--at: " + Typed + ": give FILE.npy or randn");
        Values[I] = ArgValue{ElementKind::F64, {}, {Specs[I]->Scalar}, ""};
        Values[I]->From = "the number given";
        break;
      case ArgSpec::Npy: {
        auto A = fromNpy(Specs[I]->Path);
        if (!A)
          return A.takeError();
        Values[I] = std::move(*A);
        break;
      }
      case ArgSpec::Given:
        if (Specs[I]->Value.getKind() == jit::Value::TupleValue)
          return error("argument " + std::to_string(I - Count + 1) +
                       " is a tuple, but " + Typed);
        Values[I] = fromValue(Specs[I]->Value);
        Values[I]->From = "argument " + std::to_string(I - Count + 1);
        break;
      }
    }
    ArgValue &A = *Values[I];
    // The REPL's `[0, 1]` is an f64 literal; as an argument of integer
    // labels it is what the user meant.
    bool Integral = llvm::all_of(
        A.Data, [](double D) { return std::isfinite(D) && D == std::trunc(D); });
    if (isFloatKind(A.Kind) && !T.isFloat() && !T.isBool() && Integral &&
        Specs[I] && Specs[I]->Kind == ArgSpec::Given)
      A.Kind = T.getElementKind();
    if (!isFloatKind(A.Kind) && !T.isFloat() &&
        T.isBool() != (A.Kind == ElementKind::Bool))
      return error(At + A.From + " holds " + getElementKindName(A.Kind) +
                   ", but " + Typed);
    if (isFloatKind(A.Kind) && !T.isFloat())
      return error(At + A.From + " holds floats, but " + Typed);
    if (A.Shape.size() != T.getRank())
      return error(At + A.From + " has shape " + data::formatShape(A.Shape) +
                   ", but " + Typed);
    for (size_t K = 0; K < A.Shape.size(); ++K) {
      const Dim &D = T.getShape()[K];
      if (D.Factor != 1 || D.Vars.size() != 1)
        continue;
      auto [It, New] = P.Dims.emplace(D.Vars[0], A.Shape[K]);
      if (!New && It->second != A.Shape[K])
        return error(At + A.From + " has shape " +
                     data::formatShape(A.Shape) + ", which makes " +
                     D.Vars[0] + " = " + std::to_string(A.Shape[K]) +
                     ", but " + D.Vars[0] + " = " +
                     std::to_string(It->second) + " already (" + Typed +
                     ")");
    }
  }
  // Every shape agrees once all variables are bound; randn fills its own.
  Rng R(Opts.Seed);
  for (unsigned I = 0; I < NumParams; ++I) {
    const ir::Type &T = F.getParamType(I);
    std::string Typed =
        "parameter '" + F.getParamName(I).str() + "' is " + T.str();
    std::vector<int64_t> Shape;
    for (const Dim &D : T.getShape()) {
      std::optional<int64_t> N = evalDim(D, P.Dims);
      if (!N) {
        std::string Missing;
        for (const std::string &V : D.Vars)
          if (!P.Dims.count(V))
            Missing = V;
        return error("--dims: give the size of '" + Missing + "' (" + Typed +
                     "), e.g. --dims " + Missing + "=4");
      }
      Shape.push_back(*N);
    }
    if (!Values[I]) {
      ArgValue A;
      A.Kind = T.getElementKind();
      A.Shape = Shape;
      int64_t N = 1;
      for (int64_t S : Shape)
        N *= S;
      constexpr int64_t MaxRandn = 1 << 20;
      if (N > MaxRandn)
        return error("--at: randn: " + Typed + ", more than " +
                     std::to_string(MaxRandn) + " numbers");
      for (int64_t K = 0; K < N; ++K)
        A.Data.push_back(R.normal());
      Values[I] = std::move(A);
    } else if (Values[I]->Shape != Shape) {
      return error(At + Values[I]->From + " has shape " +
                   data::formatShape(Values[I]->Shape) + ", but " + Typed +
                   " (" + formatType(T.getElementKind(), Shape) + ")");
    }
    P.Args.push_back(literalText(*Values[I], T.getElementKind()));
  }
  return P;
}
