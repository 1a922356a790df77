//===- GradCheck.cpp - Finite-difference checks of derived IR -------------===//
#include "GradCheck.h"
#include "nnc/AD/AD.h"
#include "nnc/IR/IRParser.h"
#include "nnc/Support/Diagnostics.h"
#include "nnc/Transforms/Passes.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "gtest/gtest.h"
#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <random>

using namespace nnc;
using namespace nnc::ir;
using namespace nnc::ir::testing;

static double WorstSeen = 0;

double nnc::ir::testing::worstErrorSeen() { return WorstSeen; }

void nnc::ir::testing::expectGradCheck(const std::string &Text,
                                       const std::vector<DimBinding> &Shapes,
                                       unsigned FirstSeed, Inputs In,
                                       const std::string &LabelDim,
                                       bool SecondOrder) {
  unsigned Seed = FirstSeed;
  for (const DimBinding &Dims : Shapes) {
    std::string Where;
    for (const auto &[Name, Size] : Dims)
      Where += Name + "=" + std::to_string(Size) + " ";
    GradCheckResult R =
        gradCheck(Text, Dims, In, Seed++, LabelDim, SecondOrder);
    ASSERT_EQ(R.Failure, "") << Where << "\n" << Text;
    EXPECT_LE(R.WorstGrad, Tolerance) << Where << "\n" << Text;
    EXPECT_LE(R.WorstAdjoint, Tolerance) << Where << "\n" << Text;
    EXPECT_LE(R.WorstSecond, Tolerance) << Where << "\n" << Text;
    EXPECT_LE(R.WorstPipeline, PipelineTolerance) << Where << "\n" << Text;
  }
}

std::unique_ptr<Module> nnc::ir::testing::parseIR(const std::string &Text) {
  llvm::SourceMgr SM;
  unsigned ID = SM.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(Text, "test.nnir"), llvm::SMLoc());
  std::string Diags;
  llvm::raw_string_ostream OS(Diags);
  DiagnosticEngine DE(SM, OS);
  llvm::Expected<std::unique_ptr<Module>> M = parseIRModule(ID, DE);
  if (!M) {
    llvm::consumeError(M.takeError());
    ADD_FAILURE() << "IR does not parse:\n" << Diags << "\n" << Text;
    return nullptr;
  }
  return std::move(*M);
}

namespace {

/// The leaves of a value, in order.
void leaves(const Value &V, std::vector<const Value *> &Out) {
  if (!V.IsTuple) {
    Out.push_back(&V);
    return;
  }
  for (const Value &E : V.Elements)
    leaves(E, Out);
}
std::vector<const Value *> leaves(const Value &V) {
  std::vector<const Value *> Out;
  leaves(V, Out);
  return Out;
}

double dot(const Value &A, const Value &B) {
  std::vector<const Value *> LA = leaves(A), LB = leaves(B);
  double S = 0;
  for (size_t I = 0; I < LA.size(); ++I)
    for (size_t E = 0; E < LA[I]->Data.size(); ++E)
      S += LA[I]->Data[E] * LB.at(I)->Data.at(E);
  return S;
}

std::vector<int64_t> concreteShape(const Type &T, const DimBinding &Dims) {
  std::vector<int64_t> S;
  for (const Dim &D : T.getShape()) {
    int64_t N = D.Factor;
    for (const std::string &V : D.Vars)
      N *= Dims.at(V);
    S.push_back(N);
  }
  return S;
}

/// The larger of two errors, where a NaN or inf error is the worst of all:
/// std::max(0.0, NaN) is 0.0, which would let a NaN gradient pass.
double worse(double A, double B) {
  if (!std::isfinite(A) || !std::isfinite(B))
    return std::numeric_limits<double>::infinity();
  return std::max(A, B);
}

/// |A - B|, or inf when either is NaN or inf: a non-finite value in a
/// compared gradient is a failure, never a match.
double distance(double A, double B) {
  if (!std::isfinite(A) || !std::isfinite(B))
    return std::numeric_limits<double>::infinity();
  return std::fabs(A - B);
}

class Checker {
public:
  Checker(const DimBinding &Dims, Inputs In, unsigned Seed,
          std::string LabelDim)
      : Dims(Dims), In(In), Rng(Seed), LabelDim(std::move(LabelDim)) {}

  GradCheckResult run(const std::string &Text, bool SecondOrder);

private:
  DimBinding Dims;
  Inputs In;
  std::mt19937 Rng;
  std::string LabelDim;
  GradCheckResult R;

  double uniform(double Lo, double Hi) {
    return std::uniform_real_distribution<double>(Lo, Hi)(Rng);
  }
  /// A random value of type \p T; \p ForInput follows the Inputs policy,
  /// otherwise (directions, cotangents) uniform in [-1, 1].
  Value random(const Type &T, bool ForInput) {
    if (T.isTuple()) {
      std::vector<Value> Parts;
      for (const Type &E : T.getElements())
        Parts.push_back(random(E, ForInput));
      return Value::tuple(std::move(Parts));
    }
    Value V = Value::tensor(concreteShape(T, Dims), {}, T.getElementKind());
    int64_t N = numElements(V.Shape);
    for (int64_t I = 0; I < N; ++I) {
      if (T.isInt()) {
        int64_t C = Dims.count(LabelDim) ? Dims.at(LabelDim) : 4;
        V.Data.push_back(
            std::uniform_int_distribution<int64_t>(0, C - 1)(Rng));
      } else if (T.isBool()) {
        V.Data.push_back(Rng() % 2);
      } else if (!ForInput || In == Inputs::Any) {
        V.Data.push_back(uniform(-1, 1));
      } else if (In == Inputs::Positive) {
        V.Data.push_back(uniform(0.5, 2));
      } else {
        V.Data.push_back(uniform(0.2, 1) * (Rng() % 2 ? 1 : -1));
      }
    }
    return V;
  }

  bool eval(const Module &M, const char *Name, const std::vector<Value> &Args,
            Value &Out) {
    llvm::Expected<Value> V = evaluate(M, *M.lookup(Name), Args);
    if (!V) {
      R.Failure = llvm::toString(V.takeError());
      return false;
    }
    Out = std::move(*V);
    return true;
  }

  /// d/dt Fn(t) at 0 by central differences, Richardson-extrapolated.
  double derivative(const std::function<double(double)> &Fn) {
    const double H = 1e-3;
    auto D = [&](double S) { return (Fn(S) - Fn(-S)) / (2 * S); };
    return (4 * D(H / 2) - D(H)) / 3;
  }

  void note(double &Worst, double Err) {
    Worst = worse(Worst, Err);
    WorstSeen = worse(WorstSeen, Err);
  }
};

GradCheckResult Checker::run(const std::string &Text, bool SecondOrder) {
  std::unique_ptr<Module> Base = parseIR(Text);
  if (!Base) {
    R.Failure = "parse";
    return R;
  }
  const Function &F0 = *Base->lookup("f");
  std::vector<unsigned> Wrt;
  std::string WrtList;
  for (unsigned I = 0; I < F0.getNumParams(); ++I)
    if (F0.getParamType(I).isFloat()) {
      WrtList += (Wrt.empty() ? "" : ", ") + std::to_string(I);
      Wrt.push_back(I);
    }
  std::string Derived = Text + "\nfunc @vf = vjp @f wrt(" + WrtList + ")\n";
  if (SecondOrder)
    Derived += "func @vvf = vjp @vf wrt(" + WrtList + ")\n";

  auto Build = [&](bool Optimize) -> std::unique_ptr<Module> {
    std::unique_ptr<Module> M = parseIR(Derived);
    if (!M)
      return nullptr;
    if (llvm::Error E = differentiateModule(*M)) {
      R.Failure = llvm::toString(std::move(E));
      return nullptr;
    }
    if (Optimize) {
      PipelineOptions Opts;
      Opts.MaxIterations = 4;
      if (llvm::Error E = runPipeline(*M, getDefaultPipeline(), Opts)) {
        R.Failure = llvm::toString(std::move(E));
        return nullptr;
      }
    }
    std::string Err = verifyModule(*M);
    if (!Err.empty())
      R.Failure = "invalid IR: " + Err;
    return Err.empty() ? std::move(M) : nullptr;
  };
  std::unique_ptr<Module> M = Build(false);
  if (!M)
    return R;
  const Function &F = *M->lookup("f");

  std::vector<Value> X;
  for (unsigned I = 0; I < F.getNumParams(); ++I)
    X.push_back(random(F.getParamType(I), true));
  Value W = random(F.ResultType, false);
  std::vector<Value> VfArgs = X;
  for (const Value *L : leaves(W))
    VfArgs.push_back(*L);
  Value G;
  if (!eval(*M, "vf", VfArgs, G))
    return R;
  // One gradient per wrt parameter.
  std::vector<Value> Grads =
      Wrt.size() == 1 ? std::vector<Value>{G} : G.Elements;

  // <f(x), w> with parameter P moved by T along direction Dir.
  auto Loss = [&](const std::vector<Value> &Args) {
    Value Y;
    if (!eval(*M, "f", Args, Y))
      return std::nan("");
    return dot(Y, W);
  };
  for (size_t K = 0; K < Wrt.size(); ++K) {
    unsigned P = Wrt[K];
    const Value &GP = Grads[K];
    double Diff = 0, Scale = 1e-10;
    for (size_t E = 0; E < X[P].Data.size(); ++E) {
      double FD = derivative([&](double T) {
        std::vector<Value> Args = X;
        Args[P].Data[E] += T;
        return Loss(Args);
      });
      Diff = worse(Diff, distance(FD, GP.Data[E]));
      if (std::isfinite(Diff))
        Scale = std::max({Scale, std::fabs(FD), std::fabs(GP.Data[E])});
    }
    note(R.WorstGrad, Diff / Scale);
  }

  // <J v, w> = <v, J^T w>.
  std::vector<Value> V(X.size());
  double Dual = 0, Mag = 1e-10;
  for (size_t K = 0; K < Wrt.size(); ++K) {
    V[Wrt[K]] = random(F.getParamType(Wrt[K]), false);
    Dual += dot(V[Wrt[K]], Grads[K]);
    for (size_t E = 0; E < Grads[K].Data.size(); ++E)
      Mag += std::fabs(V[Wrt[K]].Data[E] * Grads[K].Data[E]);
  }
  auto Moved = [&](double T) {
    std::vector<Value> Args = X;
    for (unsigned P : Wrt)
      for (size_t E = 0; E < Args[P].Data.size(); ++E)
        Args[P].Data[E] += T * V[P].Data[E];
    return Args;
  };
  double Primal = derivative([&](double T) { return Loss(Moved(T)); });
  note(R.WorstAdjoint, distance(Primal, Dual) / Mag);

  // Second order: <d/dt vf(x + t v, w), u> = <v, vvf(x, w, u)>.
  std::vector<Value> VvfArgs = VfArgs;
  Value H;
  if (SecondOrder) {
    Value U = random(M->lookup("vf")->ResultType, false);
    for (const Value *L : leaves(U))
      VvfArgs.push_back(*L);
    if (!eval(*M, "vvf", VvfArgs, H))
      return R;
    std::vector<Value> HGrads =
        Wrt.size() == 1 ? std::vector<Value>{H} : H.Elements;
    double Dual2 = 0, Mag2 = 1e-10;
    for (size_t K = 0; K < Wrt.size(); ++K) {
      Dual2 += dot(V[Wrt[K]], HGrads[K]);
      for (size_t E = 0; E < HGrads[K].Data.size(); ++E)
        Mag2 += std::fabs(V[Wrt[K]].Data[E] * HGrads[K].Data[E]);
    }
    double Primal2 = derivative([&](double T) {
      std::vector<Value> Args = Moved(T);
      for (const Value *L : leaves(W))
        Args.push_back(*L);
      Value Y;
      if (!eval(*M, "vf", Args, Y))
        return std::nan("");
      return dot(Y, U);
    });
    note(R.WorstSecond, distance(Primal2, Dual2) / Mag2);
  }

  // The optimized module computes the same values.
  std::unique_ptr<Module> Opt = Build(true);
  if (!Opt)
    return R;
  auto Compare = [&](const char *Name, const std::vector<Value> &Args,
                     const Value &Want) {
    Value Got;
    if (!eval(*Opt, Name, Args, Got))
      return;
    std::vector<const Value *> LW = leaves(Want), LG = leaves(Got);
    double Diff = 0, Scale = 1e-300;
    for (size_t I = 0; I < LW.size(); ++I)
      for (size_t E = 0; E < LW[I]->Data.size(); ++E) {
        Diff = worse(Diff, distance(LW[I]->Data[E], LG.at(I)->Data.at(E)));
        if (std::isfinite(Diff))
          Scale = std::max(Scale, std::fabs(LW[I]->Data[E]));
      }
    R.WorstPipeline = worse(R.WorstPipeline, Diff / Scale);
  };
  Compare("vf", VfArgs, G);
  if (SecondOrder)
    Compare("vvf", VvfArgs, H);
  return R;
}

} // namespace

GradCheckResult nnc::ir::testing::gradCheck(const std::string &Text,
                                   const DimBinding &Dims, Inputs In,
                                   unsigned Seed, const std::string &LabelDim,
                                   bool SecondOrder) {
  return Checker(Dims, In, Seed, LabelDim).run(Text, SecondOrder);
}
