//===- Check.cpp - The gradient check of a .nn file ----------------------===//
//
// For each function of the file with float parameters and float results,
// at each point:
//   - one expression computes f(x), vjp(f)(x, w) for a random upstream w,
//     grad(f)(x) when f is a float scalar, and f(x +- t v) along a random
//     direction v (the adjoint identity <J v, w> = <v, J^T w>, with J v by
//     central difference);
//   - one expression per float parameter computes f(x +- h e_i) for each
//     coordinate i of it (at most MaxCoords, chosen at random).
// Each is compiled by the JIT like a REPL input, with the point written as
// literals. The differences are taken here, in f64, on the values the
// compiled code returns. A point where f is not finite, or where the two
// one-sided differences of some coordinate disagree (a kink of relu, max
// or abs under the step), is replaced by another and counted as moved.
//
//===----------------------------------------------------------------------===//
#include "nnc/Check/Check.h"
#include "nnc/AST/AST.h"
#include "nnc/JIT/Candidate.h"
#include "nnc/JIT/Engine.h"
#include "nnc/JIT/Repl.h"
#include "nnc/JIT/Session.h"
#include "nnc/JIT/Value.h"
#include "nnc/Support/SplitMix.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/Format.h"
#include <algorithm>
#include <cstdio>
#include <cmath>
#include <map>
#include <optional>

using namespace nnc;
using namespace nnc::check;
using jit::Value;

namespace {

/// Denominator floor of the relative error: two gradients both below it
/// are compared by their difference in units of it.
constexpr double Tiny = 1e-10;
/// Step of the directional difference, along v with entries in [-1, 1].
constexpr double DirStep = 1e-5;
/// Relative step of a coordinate: h = RelStep * max(1, |x_i|).
constexpr double RelStep = 1e-5;
/// Coordinates of one parameter differenced per point, at most.
constexpr size_t MaxCoords = 48;
/// Points tried per point asked for, before a function fails.
constexpr unsigned MaxTriesPerPoint = 10;

using Rng = SplitMix64;

std::string formatNumber(double V) {
  char Buf[40];
  std::snprintf(Buf, sizeof(Buf), "%.17g", V);
  std::string S = Buf;
  // A float literal, so that it never reads as an integer.
  if (S.find_first_of(".en") == std::string::npos)
    S += ".0";
  return S;
}

double asDouble(const jit::Scalar &S) {
  return isFloatKind(S.Kind) ? S.Float : double(S.Int);
}

void flatten(const Value &V, std::vector<double> &Out) {
  switch (V.getKind()) {
  case Value::ScalarValue:
    Out.push_back(asDouble(V.getScalar()));
    return;
  case Value::TupleValue:
    for (const Value &E : V.getElements())
      flatten(E, Out);
    return;
  case Value::TensorValue:
    for (const jit::Scalar &S : V.getTensorData())
      Out.push_back(asDouble(S));
    return;
  }
}

std::vector<double> flatten(const Value &V) {
  std::vector<double> Out;
  flatten(V, Out);
  return Out;
}

/// The leaves of \p T in order (a tuple's, flattened).
void leaves(const ast::Type &T, std::vector<ast::Type> &Out) {
  if (T.isTuple())
    for (const ast::Type &E : T.Elements)
      leaves(E, Out);
  else
    Out.push_back(T);
}

using Bindings = std::map<std::string, int64_t>;

std::vector<int64_t> evalShape(const Shape &S, const Bindings &B) {
  std::vector<int64_t> Out;
  for (const Dim &D : S) {
    int64_t N = D.Factor;
    for (const std::string &V : D.Vars) {
      auto It = B.find(V);
      N *= It == B.end() ? 1 : It->second;
    }
    Out.push_back(N);
  }
  return Out;
}

int64_t numElements(const std::vector<int64_t> &Shape) {
  int64_t N = 1;
  for (int64_t D : Shape)
    N *= D;
  return N;
}

/// A literal of \p Shape holding \p Data (row-major), or integer zeros.
void writeLiteral(llvm::raw_ostream &OS, llvm::ArrayRef<int64_t> Shape,
                  llvm::ArrayRef<double> Data, bool Float, size_t &Pos) {
  if (Shape.empty()) {
    OS << (Float ? formatNumber(Data[Pos]) : "0");
    ++Pos;
    return;
  }
  OS << '[';
  for (int64_t I = 0; I < Shape[0]; ++I) {
    if (I)
      OS << ", ";
    writeLiteral(OS, Shape.drop_front(), Data, Float, Pos);
  }
  OS << ']';
}

/// One argument at a point.
struct ArgValue {
  std::string Name;
  bool Float = false;
  bool Bool = false;
  std::vector<int64_t> Shape; // empty for a scalar
  std::vector<double> Data;   // row-major; zeros for an integer
};

std::string argText(const ArgValue &A) {
  if (A.Bool)
    return "false";
  std::string S;
  llvm::raw_string_ostream OS(S);
  size_t Pos = 0;
  writeLiteral(OS, A.Shape, A.Data, A.Float, Pos);
  return S;
}

std::string callText(llvm::StringRef Callee,
                     const std::vector<ArgValue> &Args,
                     llvm::ArrayRef<std::string> Extra = {}) {
  std::string S = (Callee + "(").str();
  bool First = true;
  for (const ArgValue &A : Args) {
    S += (First ? "" : ", ") + argText(A);
    First = false;
  }
  for (const std::string &E : Extra) {
    S += (First ? "" : ", ") + E;
    First = false;
  }
  return S + ")";
}

/// Whether the one-sided differences \p Right and \p Left disagree as at a
/// kink: by more than 0.1% of the larger and more than 1e-4 (a smooth
/// function's differ by about h f'', 1e-5 f''). NaN counts as a kink.
bool isKink(double Right, double Left) {
  double D = std::fabs(Right - Left);
  double Bound =
      std::max(1e-3 * std::max(std::fabs(Right), std::fabs(Left)), 1e-4);
  return !(D <= Bound);
}

/// Keeps the worst of two errors; NaN is the worst.
double worse(double A, double B) {
  if (std::isnan(A) || std::isnan(B))
    return std::nan("");
  return std::max(A, B);
}

/// A checkable function: its name, parameters and result leaves.
struct Target {
  const ast::FnDecl *Fn;
  std::vector<ast::Type> ResultLeaves;
  std::vector<unsigned> FloatParams;
  /// How the table names a layer method and its parameters (`net.loss`,
  /// `fc1.W`); Fn's own names otherwise.
  std::string Display;
  std::vector<std::string> ParamDisplay;
  std::string name() const { return Display.empty() ? Fn->Name : Display; }
  std::string paramName(unsigned I) const {
    return ParamDisplay.empty() ? Fn->Params[I].Name : ParamDisplay[I];
  }
};

class Checker {
public:
  Checker(const CheckOptions &Opts, jit::Session &S, jit::Engine &JIT)
      : Opts(Opts), S(S), JIT(JIT), R(Opts.Seed) {}

  void checkFunction(const Target &T, CheckReport &Report);

private:
  std::optional<Value> evaluate(const std::string &Expr, std::string &Error);
  std::vector<ArgValue> samplePoint(const Target &T, bool First,
                                    Bindings &B);

  const CheckOptions &Opts;
  jit::Session &S;
  jit::Engine &JIT;
  Rng R;
};

std::optional<Value> Checker::evaluate(const std::string &Expr,
                                       std::string &Error) {
  return evaluateExpression(S, JIT, Expr, Error);
}

std::vector<ArgValue> Checker::samplePoint(const Target &T, bool First,
                                           Bindings &B) {
  B.clear();
  std::vector<ArgValue> Args;
  for (const ast::Param &P : T.Fn->Params)
    for (const Dim &D : P.Ty.Dims)
      for (const std::string &V : D.Vars)
        if (!B.count(V))
          B[V] = 2 + int64_t(R.next() % 3);
  for (const ast::Param &P : T.Fn->Params) {
    ArgValue A;
    A.Name = P.Name;
    A.Float = P.Ty.isFloat();
    A.Bool = P.Ty.isBoolLeaf();
    A.Shape = evalShape(P.Ty.Dims, B);
    int64_t N = numElements(A.Shape);
    for (int64_t I = 0; I < N; ++I)
      A.Data.push_back(A.Float ? R.uniform(-2, 2) : 0.0);
    if (First && A.Float && A.Shape.empty())
      for (const auto &[Name, V] : Opts.At)
        if (Name == P.Name)
          A.Data[0] = V;
    Args.push_back(std::move(A));
  }
  return Args;
}

void Checker::checkFunction(const Target &T, CheckReport &Report) {
  const ast::FnDecl &F = *T.Fn;
  bool ScalarResult =
      T.ResultLeaves.size() == 1 && T.ResultLeaves[0].isFloatScalar();
  size_t NF = T.FloatParams.size();
  std::vector<CheckRow> Rows(NF + 1);
  for (size_t J = 0; J < NF; ++J)
    Rows[J].Argument = T.paramName(T.FloatParams[J]);
  Rows[NF].Argument = "<Jv,w>";
  std::string Note = F.Backward ? "user backward rule" : "";
  auto Finish = [&](llvm::StringRef Failure) {
    for (CheckRow &Row : Rows) {
      Row.Function = T.name();
      if (!Failure.empty()) {
        Row.Failed = true;
        if (Row.Points == 0) // nothing was measured
          Row.MaxRelError = std::nan("");
        Row.Note = Failure.str();
      } else {
        Row.Failed = !(Row.MaxRelError <= Opts.Tol);
        Row.Note = Note;
      }
      Report.Rows.push_back(Row);
    }
  };

  unsigned Done = 0, Moved = 0;
  for (unsigned Try = 0; Done < Opts.Points; ++Try) {
    if (Try >= Opts.Points * MaxTriesPerPoint) {
      for (CheckRow &Row : Rows)
        Row.Moved = Moved;
      return Finish(llvm::formatv("only {0} of {1} points found where the "
                                  "function is finite and smooth",
                                  Done, Opts.Points)
                        .str());
    }
    Bindings B;
    std::vector<ArgValue> X = samplePoint(T, Try == 0, B);
    // The upstream gradient w, one leaf per result leaf, and a direction v.
    std::vector<std::string> WText;
    std::vector<double> W;
    for (const ast::Type &L : T.ResultLeaves) {
      ArgValue A;
      A.Float = true;
      A.Shape = evalShape(L.Dims, B);
      for (int64_t I = 0, N = numElements(A.Shape); I < N; ++I)
        A.Data.push_back(R.uniform(-1, 1));
      W.insert(W.end(), A.Data.begin(), A.Data.end());
      WText.push_back(argText(A));
    }
    std::vector<ArgValue> XPlus = X, XMinus = X;
    std::vector<std::vector<double>> V(X.size());
    for (unsigned P : T.FloatParams)
      for (size_t I = 0; I < X[P].Data.size(); ++I) {
        double D = R.uniform(-1, 1);
        V[P].push_back(D);
        XPlus[P].Data[I] += DirStep * D;
        XMinus[P].Data[I] -= DirStep * D;
      }
    // <w, f(x)>: the scalar whose gradient is vjp(f)(x, w).
    auto Project = [&](const Value &Y) {
      std::vector<double> Flat = flatten(Y);
      double Sum = 0;
      for (size_t I = 0; I < Flat.size() && I < W.size(); ++I)
        Sum += Flat[I] * W[I];
      return Sum;
    };

    std::string Main = "(" + callText(F.Name, X) + ", " +
                       callText("vjp(" + F.Name + ")", X, WText) + ", " +
                       callText(F.Name, XPlus) + ", " +
                       callText(F.Name, XMinus);
    if (ScalarResult)
      Main += ", " + callText("grad(" + F.Name + ")", X);
    Main += ")";
    std::string Error;
    std::optional<Value> M = evaluate(Main, Error);
    if (!M) {
      if (Try == 0 && Done == 0) {
        // The function is not differentiable as written (or does not run):
        // reported, not counted as a failure of its gradient.
        CheckRow Row;
        Row.Function = T.name();
        Row.Argument = "-";
        Row.Skipped = true;
        Row.Note = "not checked: " + Error;
        Report.Rows.push_back(Row);
        return;
      }
      return Finish("evaluation failed: " + Error);
    }
    const std::vector<Value> &Parts = M->getElements();
    // What the coordinates' differences differentiate: f itself when it is
    // a scalar (against grad(f)), else <w, f> (against vjp(f)(x, w)).
    auto Objective = [&](const Value &Y) {
      return ScalarResult ? flatten(Y)[0] : Project(Y);
    };
    double G0 = Project(Parts[0]), F0 = Objective(Parts[0]);
    if (!std::isfinite(G0) || !std::isfinite(F0)) {
      ++Moved;
      continue;
    }
    // The gradients by parameter, from grad(f) for a scalar f (which must
    // agree with vjp; the adjoint identity checks vjp), else from vjp.
    const Value &Grad = ScalarResult ? Parts[4] : Parts[1];
    std::vector<std::vector<double>> Reverse;
    if (NF == 1)
      Reverse.push_back(flatten(Grad));
    else
      for (const Value &E : Grad.getElements())
        Reverse.push_back(flatten(E));

    bool Kink = false;
    std::vector<double> Errors(NF + 1, 0);
    // The adjoint identity.
    double GPlus = Project(Parts[2]), GMinus = Project(Parts[3]);
    Kink |= isKink((GPlus - G0) / DirStep, (G0 - GMinus) / DirStep);
    double Jv = (GPlus - GMinus) / (2 * DirStep);
    std::vector<double> VJP = flatten(Parts[1]);
    double VtJw = 0;
    size_t K = 0;
    for (unsigned P : T.FloatParams)
      for (double D : V[P])
        VtJw += D * (K < VJP.size() ? VJP[K++] : std::nan(""));
    Errors[NF] = relativeError(Jv, VtJw);

    for (size_t J = 0; J < NF && !Kink; ++J) {
      unsigned P = T.FloatParams[J];
      size_t N = X[P].Data.size();
      std::vector<size_t> Coords;
      for (size_t I = 0; I < N; ++I)
        Coords.push_back(I);
      // A random subset of a large parameter.
      for (size_t I = 0; I + 1 < N && Coords.size() > MaxCoords; ++I)
        std::swap(Coords[I], Coords[I + R.next() % (N - I)]);
      if (Coords.size() > MaxCoords)
        Coords.resize(MaxCoords);
      std::string Expr = "(";
      std::vector<double> Steps;
      for (size_t I : Coords) {
        double H = RelStep * std::max(1.0, std::fabs(X[P].Data[I]));
        std::vector<ArgValue> Y = X;
        Y[P].Data[I] = X[P].Data[I] + H;
        Expr += callText(F.Name, Y) + ", ";
        Y[P].Data[I] = X[P].Data[I] - H;
        Expr += callText(F.Name, Y) + ", ";
        // The steps as the literals round them.
        Steps.push_back((X[P].Data[I] + H) - X[P].Data[I]);
        Steps.push_back(X[P].Data[I] - (X[P].Data[I] - H));
      }
      Expr.resize(Expr.size() - 2);
      Expr += ")";
      std::optional<Value> D = evaluate(Expr, Error);
      if (!D)
        return Finish("evaluation failed: " + Error);
      const std::vector<Value> &Ys = D->getElements();
      double MaxDiff = 0, MaxA = 0, MaxB = 0;
      bool NaN = false;
      for (size_t C = 0; C < Coords.size(); ++C) {
        double Plus = Objective(Ys[2 * C]), Minus = Objective(Ys[2 * C + 1]);
        double HR = Steps[2 * C], HL = Steps[2 * C + 1];
        Kink |= isKink((Plus - F0) / HR, (F0 - Minus) / HL);
        double Numeric = (Plus - Minus) / (HR + HL);
        double A = Coords[C] < Reverse[J].size() ? Reverse[J][Coords[C]]
                                                 : std::nan("");
        NaN |= !std::isfinite(A) || !std::isfinite(Numeric);
        MaxDiff = std::max(MaxDiff, std::fabs(A - Numeric));
        MaxA = std::max(MaxA, std::fabs(A));
        MaxB = std::max(MaxB, std::fabs(Numeric));
      }
      Errors[J] = NaN ? std::nan("")
                      : MaxDiff / std::max({MaxA, MaxB, Tiny});
    }
    if (Kink) {
      ++Moved;
      continue;
    }
    ++Done;
    for (size_t J = 0; J <= NF; ++J) {
      Rows[J].MaxRelError = worse(Rows[J].MaxRelError, Errors[J]);
      Rows[J].Points = Done;
    }
  }
  for (CheckRow &Row : Rows)
    Row.Moved = Moved;
  Finish("");
}

} // namespace

bool CheckReport::passed() const {
  return llvm::none_of(Rows, [](const CheckRow &R) { return R.Failed; });
}

double check::relativeError(double A, double B) {
  if (!std::isfinite(A) || !std::isfinite(B))
    return std::nan("");
  return std::fabs(A - B) / std::max({std::fabs(A), std::fabs(B), Tiny});
}

std::string check::widenToF64(llvm::StringRef Text) {
  std::string Out = Text.str();
  auto IsIdent = [](char C) { return llvm::isAlnum(C) || C == '_'; };
  for (size_t I = Out.find("f32"); I != std::string::npos;
       I = Out.find("f32", I + 3))
    if ((I == 0 || !IsIdent(Out[I - 1])) &&
        (I + 3 == Out.size() || !IsIdent(Out[I + 3])))
      Out[I + 2] = '4', Out[I + 1] = '6';
  return Out;
}

/// Why \p F cannot be checked, or empty.
static std::string whyNotCheckable(const ast::FnDecl &F, Target &T) {
  leaves(F.Result, T.ResultLeaves);
  for (const ast::Type &L : T.ResultLeaves)
    if (!L.isFloat())
      return "its result is not made of floats";
  for (unsigned I = 0; I < F.Params.size(); ++I) {
    const ast::Type &P = F.Params[I].Ty;
    if (P.isFloat())
      T.FloatParams.push_back(I);
    else if (P.isBoolLeaf() && !P.isScalar())
      return "a bool tensor parameter has no literal";
  }
  if (T.FloatParams.empty())
    return "it has no float parameter";
  return "";
}

/// Adds to \p T a row skipped for \p Why, or checks it.
static void checkTarget(Checker &Ch, Target &T, CheckReport &Report) {
  std::string Why = whyNotCheckable(*T.Fn, T);
  if (Why.empty())
    return Ch.checkFunction(T, Report);
  CheckRow Row;
  Row.Function = T.name();
  Row.Argument = "-";
  Row.Skipped = true;
  Row.Note = "not checked: " + Why;
  Report.Rows.push_back(Row);
}

namespace {
/// A method of a layer instance, as its IR function.
struct MethodRef {
  std::string Display; // net.loss
  std::string IRName;  // net_loss
};
} // namespace

/// Checks the methods \p Methods of the file's instances. A method is not
/// called by name in an expression (its parameters live in the instance),
/// so its IR function, which takes them first (`net_loss(fc1.W, ...)`), is
/// printed back as .nn source with the functions it calls and their
/// backward rules, and checked as a plain function in a session of its
/// own: the derivatives AD builds from it are those of `grad(net.loss)`.
static llvm::Error checkMethods(const jit::Session &S,
                                llvm::ArrayRef<MethodRef> Methods,
                                const CheckOptions &Opts, jit::Engine &JIT,
                                CheckReport &Report) {
  auto Internal = [](const llvm::Twine &Message) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "internal error: " + Message);
  };
  std::string Errs;
  llvm::raw_string_ostream ES(Errs);
  jit::Candidate Lowered(S, ES, false);
  Lowered.addSession();
  if (!Lowered.check() || !Lowered.lower())
    return Internal("the file's layers do not lower: " + Errs);
  const ir::Module &M = Lowered.getIR();
  ir::Module Out;
  llvm::StringSet<> Copied;
  std::vector<const ir::Function *> Work;
  for (const MethodRef &R : Methods)
    if (const ir::Function *F = M.lookup(R.IRName))
      Work.push_back(F);
  while (!Work.empty()) {
    const ir::Function *F = Work.back();
    Work.pop_back();
    if (!Copied.insert(F->Name).second)
      continue;
    Out.Functions.push_back(std::make_unique<ir::Function>(*F));
    for (const ir::Op &O : F->Ops)
      if (O.Kind == ir::OpKind::Call)
        if (const ir::Function *G = M.lookup(O.Callee))
          Work.push_back(G);
    if (!F->BackwardFn.empty())
      if (const ir::Function *G = M.lookup(F->BackwardFn))
        Work.push_back(G);
  }
  std::string Source;
  llvm::raw_string_ostream SOS(Source);
  ir::printModuleAsNN(Out, SOS);

  std::optional<jit::Session> Read = jit::readFile(Source, "<methods>", ES);
  if (!Read)
    return Internal("the methods do not compile as functions: " + Errs);
  jit::Session &MS = *Read;
  jit::Candidate Typed(MS, ES, false);
  Typed.addSession();
  if (!Typed.check())
    return Internal("the methods do not compile as functions: " + Errs);
  Checker Ch(Opts, MS, JIT);
  for (const MethodRef &R : Methods) {
    const ir::Function *F = M.lookup(R.IRName);
    const ast::FnDecl *Fn = nullptr;
    for (const ast::DeclPtr &D : Typed.getAST().Decls)
      if (auto *FD = llvm::dyn_cast<ast::FnDecl>(D.get()))
        if (FD->Name == R.IRName)
          Fn = FD;
    if (!F || !Fn || Fn->Params.size() != F->getNumParams())
      return Internal("no function for method '" + R.Display + "'");
    Target T{Fn, {}, {}, R.Display, {}};
    for (unsigned I = 0; I < F->getNumParams(); ++I)
      T.ParamDisplay.push_back(F->getParamName(I).str());
    checkTarget(Ch, T, Report);
  }
  return llvm::Error::success();
}

llvm::Expected<CheckReport> check::checkSource(llvm::StringRef Text,
                                               llvm::StringRef SourceName,
                                               const CheckOptions &Opts,
                                               llvm::raw_ostream &Diag) {
  auto Failed = [] {
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the file does not compile");
  };
  // The file as a session: parsed here, then checked with Sema for the
  // types of its functions.
  std::optional<jit::Session> Read =
      jit::readFile(widenToF64(Text), SourceName, Diag);
  if (!Read)
    return Failed();
  jit::Session &S = *Read;
  jit::Candidate Typed(S, Diag, false);
  Typed.addSession();
  if (!Typed.check())
    return Failed();

  // The methods of every instance, `net.loss` for `let net = Net(...)`.
  std::vector<MethodRef> Methods;
  for (const ast::DeclPtr &D : Typed.getAST().Decls)
    if (const auto *L = llvm::dyn_cast<ast::LetDecl>(D.get()); L && L->Layer)
      for (const ast::LayerMember &Mem : L->Layer->Members)
        if (Mem.TheKind == ast::LayerMember::Method)
          Methods.push_back({L->Name + "." + Mem.Name, L->Name + "_" + Mem.Name});
  auto Wanted = [&](llvm::StringRef Name) {
    return Opts.Functions.empty() || llvm::is_contained(Opts.Functions, Name);
  };
  for (const std::string &Name : Opts.Functions) {
    bool IsMethod = llvm::any_of(
        Methods, [&](const MethodRef &R) { return R.Display == Name; });
    const jit::SessionDecl *SD = S.lookup(Name);
    if (!IsMethod && !SD)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "no function '" + Name + "' in " +
                                         SourceName);
  }
  auto JIT = jit::Engine::create();
  if (!JIT)
    return JIT.takeError();
  Checker Ch(Opts, S, **JIT);
  CheckReport Report;
  for (const ast::DeclPtr &D : Typed.getAST().Decls) {
    const auto *F = llvm::dyn_cast<ast::FnDecl>(D.get());
    if (!F || !Wanted(F->Name))
      continue;
    Target T{F, {}, {}, "", {}};
    checkTarget(Ch, T, Report);
  }
  llvm::erase_if(Methods,
                 [&](const MethodRef &R) { return !Wanted(R.Display); });
  if (!Methods.empty())
    if (llvm::Error E = checkMethods(S, Methods, Opts, **JIT, Report))
      return E;
  return Report;
}

void check::printReport(const CheckReport &R, const CheckOptions &Opts,
                        llvm::raw_ostream &OS) {
  size_t FW = 8, AW = 8;
  for (const CheckRow &Row : R.Rows) {
    FW = std::max(FW, Row.Function.size());
    AW = std::max(AW, Row.Argument.size());
  }
  OS << llvm::left_justify("function", FW) << "  "
     << llvm::left_justify("argument", AW) << "  max rel error  points  moved"
     << "  result\n";
  unsigned Passed = 0, Failed = 0, Skipped = 0;
  for (const CheckRow &Row : R.Rows) {
    OS << llvm::left_justify(Row.Function, FW) << "  "
       << llvm::left_justify(Row.Argument, AW) << "  ";
    if (Row.Skipped) {
      OS << llvm::left_justify("-", 13) << "  " << llvm::right_justify("-", 6)
         << "  " << llvm::right_justify("-", 5) << "  skipped";
      ++Skipped;
    } else {
      std::string E = std::isnan(Row.MaxRelError)
                          ? "nan"
                          : llvm::formatv("{0:e2}", Row.MaxRelError).str();
      OS << llvm::left_justify(E, 13) << "  "
         << llvm::right_justify(std::to_string(Row.Points), 6) << "  "
         << llvm::right_justify(std::to_string(Row.Moved), 5) << "  "
         << (Row.Failed ? "FAIL" : "ok");
      ++(Row.Failed ? Failed : Passed);
    }
    if (!Row.Note.empty())
      OS << "  (" << Row.Note << ")";
    OS << '\n';
  }
  OS << Passed << " passed, " << Failed << " failed, " << Skipped
     << " skipped (tolerance " << llvm::formatv("{0:e1}", Opts.Tol)
     << ", seed " << Opts.Seed << ")\n";
}

std::optional<Value> check::evaluateExpression(jit::Session &S,
                                               jit::Engine &JIT,
                                               llvm::StringRef Expr,
                                               std::string &Error) {
  jit::Input In;
  In.Text = Expr.str();
  In.SourceName = "<check>";
  std::string Errs;
  llvm::raw_string_ostream ES(Errs);
  bool FunctionValued = false;
  std::unique_ptr<jit::Candidate> C =
      jit::compileExpression(S, In, ES, false, /*MaxOps=*/0, FunctionValued);
  auto FirstLine = [](llvm::StringRef Text) {
    return Text.split('\n').first.str();
  };
  if (!C) {
    Error = FirstLine(Errs);
    return std::nullopt;
  }
  auto Code = JIT.compile(C->getIR(), jit::ExprWrapperName);
  if (!Code) {
    Error = FirstLine(llvm::toString(Code.takeError()));
    return std::nullopt;
  }
  // The session's values and instances' parameters, which the wrapper
  // takes as arguments (none for a file's session).
  jit::bindSessionArgs(**Code, S);
  (*Code)->call();
  llvm::Expected<Value> V = (*Code)->result();
  if (!V) {
    Error = FirstLine(llvm::toString(V.takeError()));
    return std::nullopt;
  }
  return std::move(*V);
}

std::vector<double> check::flattenValue(const Value &V) { return flatten(V); }
