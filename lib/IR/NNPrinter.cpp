//===- NNPrinter.cpp - IR printed back as .nn source ----------------------===//
//
// `nnc --emit=nn` shows derived functions as source a person reads and nnc
// compiles again. A value used once and not named in the source is printed
// inside the expression that uses it; every other value becomes a `let`.
// Constants are always written in place, since literals adapt to their
// context. Parentheses follow the grammar's precedence exactly, and the
// tree is kept as it is: floating-point addition is not associative.
//
// Tensor ops print as the built-ins that write them: `x @ W`,
// `sum(x, axis=1)`, `reshape(x, [n, 3])`, `iota([n, 3], axis=0)`; a
// dimension used as a value is its variable's name (`2 * n` for a product),
// so dimension variables are reserved as names. Tensor constants are
// nested `[...]` literals.
//
//===----------------------------------------------------------------------===//
#include "ValueNames.h"
#include "nnc/IR/IR.h"
#include "llvm/ADT/StringSet.h"
#include <algorithm>
#include <cmath>

using namespace nnc;
using namespace nnc::ir;

namespace {

constexpr unsigned MaxInlineDepth = 12;

// Binding strength, loosest first, as in grammar/NN.g4.
enum Prec { POr = 1, PAnd, PCmp, PAdd, PMul, PUnary, PPow, PAtom };

struct Rendered {
  std::string Text;
  int P;
};

const char *const Keywords[] = {"fn",   "let",  "return", "layer", "param",
                                "backward", "if", "else", "true", "false"};
const char *const BuiltinNames[] = {
    "exp", "log", "sqrt", "tanh", "sigmoid", "relu", "abs", "sin", "cos",
    "pow", "max", "min", "select", "f32", "f64", "i32", "i64", "grad",
    "value_and_grad", "vjp", "sum", "argmax", "logsumexp", "softmax",
    "log_softmax", "transpose", "reshape", "broadcast", "sum_to", "iota",
    "onehot", "pick", "rand", "randn",
    // Indexing and structural ops (issue 12, tensorops).
    "concat", "stack", "zeros", "ones", "full", "permute", "flatten",
    "slice", "unslice",
    // Convolution and pooling (issue 12).
    "conv2d", "conv2d_grad_input", "conv2d_grad_weight", "max_pool2d",
    "max_pool2d_grad", "max_pool2d_gather", "avg_pool2d", "avg_pool2d_grad"};

/// The built-in function an op prints as, or "" for operators and ops
/// without one.
llvm::StringRef getBuiltinName(OpKind K) {
  switch (K) {
  case OpKind::ReduceSum:
    return "sum";
  case OpKind::ReduceMax:
  case OpKind::Max:
    return "max";
  case OpKind::ReduceMin:
  case OpKind::Min:
    return "min";
  case OpKind::Abs:
    return "abs";
  // Element-wise ops and statistics (issue 12).
  case OpKind::Sign:
  case OpKind::Maximum:
  case OpKind::Minimum:
  case OpKind::Clamp:
    return getOpName(K);
  case OpKind::ArgMax:
  case OpKind::LogSumExp:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::Transpose:
  case OpKind::Reshape:
  case OpKind::Broadcast:
  case OpKind::SumTo:
  case OpKind::Iota:
  case OpKind::OneHot:
  case OpKind::Pick:
  case OpKind::Rand:
  case OpKind::Randn:
  // Indexing and structural ops (issue 12, tensorops).
  case OpKind::Slice:
  case OpKind::Unslice:
  case OpKind::Concat:
  case OpKind::Permute:
    return getOpName(K);
  default:
    return getOpClass(K) == OpClass::Math ? getOpName(K) : "";
  }
}

/// A dimension as an i64 expression: `3`, `n`, `2 * B * n`.
Rendered renderDim(const Dim &D) {
  std::string S;
  if (D.Factor != 1 || D.Vars.empty())
    S = std::to_string(D.Factor);
  for (const std::string &V : D.Vars)
    S += (S.empty() ? "" : " * ") + V;
  bool Product = D.Vars.size() + (D.Factor != 1) > 1;
  return {S, Product ? PMul : (D.Factor < 0 ? PUnary : PAtom)};
}

std::string renderShape(const Shape &S) {
  std::string R = "[";
  for (size_t I = 0; I < S.size(); ++I)
    R += (I ? ", " : "") + renderDim(S[I]).Text;
  return R + "]";
}

class FunctionPrinter {
public:
  FunctionPrinter(const Function &F, llvm::StringSet<> Reserved,
                  const llvm::StringMap<std::string> &FnNames)
      : F(F), FnNames(FnNames) {
    // Dimension variables are values in the body (`dim n` prints `n`).
    for (const std::string &V : F.getDimVars())
      Reserved.insert(V);
    Uses.assign(F.Ops.size(), 0);
    for (const Op &O : F.Ops)
      for (ValueId V : O.Operands)
        ++Uses[V];
    IsLet.assign(F.Ops.size(), false);
    // How deeply an inlined value nests brackets: past MaxInlineDepth it
    // becomes a `let`, so the output stays readable and within the
    // parser's bracket limit however deep the IR's expressions are.
    std::vector<unsigned> Depth(F.Ops.size(), 0);
    for (size_t I = F.getNumParams(); I < F.Ops.size(); ++I) {
      const Op &O = F.Ops[I];
      if (O.Kind == OpKind::Return || O.Kind == OpKind::Const)
        continue;
      for (ValueId V : O.Operands)
        Depth[I] = std::max(Depth[I], IsLet[V] ? 0u : Depth[V] + 1);
      IsLet[I] = Uses[I] != 1 || !O.Name.empty() || Depth[I] > MaxInlineDepth;
      if (IsLet[I])
        Depth[I] = 0;
    }
    Names = assignValueNames(F, '_', true, Reserved, &IsLet);
    Text.assign(F.Ops.size(), {});
  }

  /// Prints the lets and the return of the body, indented by two spaces.
  void printBody(llvm::raw_ostream &OS) {
    unsigned NumParams = F.getNumParams();
    for (unsigned I = 0; I < NumParams; ++I)
      Text[I] = {Names[I], PAtom};
    for (size_t I = NumParams; I < F.Ops.size(); ++I) {
      const Op &O = F.Ops[I];
      if (O.Kind == OpKind::Return) {
        OS << "  return " << Text[O.Operands[0]].Text << ";\n";
        break;
      }
      Rendered R = render(O);
      if (!IsLet[I]) {
        Text[I] = std::move(R);
        continue;
      }
      OS << "  let " << Names[I] << " = " << R.Text << ";\n";
      Text[I] = {Names[I], PAtom};
    }
  }

  std::string paramList() const {
    std::string S;
    for (unsigned I = 0, E = F.getNumParams(); I < E; ++I) {
      if (I)
        S += ", ";
      S += Names[I] + ": " + F.getParamType(I).str();
    }
    return S;
  }

  llvm::StringRef paramName(unsigned I) const { return Names[I]; }

private:
  std::string operand(ValueId V, int MinPrec) {
    const Rendered &R = Text[V];
    if (R.P >= MinPrec)
      return R.Text;
    return "(" + R.Text + ")";
  }

  std::string callee(llvm::StringRef Name) const {
    auto It = FnNames.find(Name);
    return It == FnNames.end() ? Name.str() : It->second;
  }

  Rendered constant(const Op &O) {
    if (O.Ty.isTensor())
      return {tensorLiteral(O, 0, 0), PAtom};
    if (O.Ty.isBool())
      return {O.IntValue ? "true" : "false", PAtom};
    if (!O.Ty.isFloat()) {
      std::string S = std::to_string(O.IntValue);
      return {S, O.IntValue < 0 ? PUnary : PAtom};
    }
    return floatLiteral(O.FloatValue);
  }

  /// Axis \p Axis of tensor constant \p O from element \p First on, as
  /// nested brackets.
  std::string tensorLiteral(const Op &O, unsigned Axis, size_t First) {
    const Shape &S = O.Ty.getShape();
    size_t Stride = 1;
    for (size_t D = Axis + 1; D < S.size(); ++D)
      Stride *= static_cast<size_t>(S[D].Factor);
    std::string R = "[";
    for (int64_t I = 0; I < S[Axis].Factor; ++I) {
      R += I ? ", " : "";
      size_t At = First + I * Stride;
      if (Axis + 1 < S.size()) {
        R += tensorLiteral(O, Axis + 1, At);
      } else {
        double V = O.Data[At];
        R += O.Ty.isBool()    ? std::string(V != 0 ? "true" : "false")
             : O.Ty.isFloat() ? floatLiteral(V).Text
                              : std::to_string(static_cast<int64_t>(V));
      }
    }
    return R + "]";
  }

  Rendered floatLiteral(double V) {
    // Literals cannot spell NaN or infinity; a division can.
    if (std::isnan(V))
      return {"0.0 / 0.0", PMul};
    if (std::isinf(V))
      return {V > 0 ? "1.0 / 0.0" : "-1.0 / 0.0", PMul};
    std::string S = formatDouble(V);
    if (S.find_first_of(".en") == std::string::npos)
      S += ".0";
    return {S, std::signbit(V) ? PUnary : PAtom};
  }

  Rendered render(const Op &O) {
    auto Bin = [&](const char *Sym, int P, bool RightAssoc = false) {
      std::string L = operand(O.Operands[0], RightAssoc ? P + 1 : P);
      std::string R = operand(O.Operands[1], RightAssoc ? P : P + 1);
      return Rendered{L + " " + Sym + " " + R, P};
    };
    auto Fn = [&](llvm::StringRef Name, std::string Extra = "") {
      std::string S = Name.str() + "(";
      for (size_t I = 0; I < O.Operands.size(); ++I)
        S += (I ? ", " : "") + operand(O.Operands[I], POr);
      if (!Extra.empty())
        S += (O.Operands.empty() ? "" : ", ") + Extra;
      return Rendered{S + ")", PAtom};
    };
    std::string Axis =
        hasAxis(O.Kind) ? "axis=" + std::to_string(O.getAxis()) : "";
    // Indexing and structural ops (issue 12, tensorops): `concat([a, b],
    // axis=1)`, `permute(x, [0, 2, 1])`, and a slice and its adjoint as
    // the built-ins that take run-time starts, `slice(x, [i, 0], [1, n])`
    // and `unslice(g, [i, 0], [B, n])`, with `[steps]` when one is not 1.
    auto List = [](auto Values) {
      std::string S = "[";
      for (size_t I = 0; I < Values.size(); ++I)
        S += (I ? ", " : "") + std::to_string(Values[I]);
      return S + "]";
    };
    switch (O.Kind) {
    case OpKind::Concat: {
      std::string S = "concat([";
      for (size_t I = 0; I < O.Operands.size(); ++I)
        S += (I ? ", " : "") + operand(O.Operands[I], POr);
      return {S + "], " + Axis + ")", PAtom};
    }
    case OpKind::Permute:
      return {"permute(" + operand(O.Operands[0], POr) + ", " +
                  List(O.getPerm()) + ")",
              PAtom};
    case OpKind::Slice:
    case OpKind::Unslice: {
      std::string S = getOpName(O.Kind).str() + "(" +
                      operand(O.Operands[0], POr) + ", [";
      for (size_t I = 1; I < O.Operands.size(); ++I)
        S += (I > 1 ? ", " : "") + operand(O.Operands[I], POr);
      S += "], " + renderShape(O.Ty.getShape());
      if (llvm::any_of(O.getSteps(), [](int64_t X) { return X != 1; }))
        S += ", " + List(O.getSteps());
      return {S + ")", PAtom};
    }
    default:
      break;
    }
    // Reductions and the softmax family: `sum(x, axis=1)`; iota also
    // spells its shape, below.
    if (hasAxis(O.Kind) && O.Kind != OpKind::Iota)
      return Fn(getBuiltinName(O.Kind), Axis);
    switch (O.Kind) {
    case OpKind::Const:
      return constant(O);
    case OpKind::Add:
      return Bin("+", PAdd);
    case OpKind::Sub:
      return Bin("-", PAdd);
    case OpKind::Mul:
      return Bin("*", PMul);
    case OpKind::Div:
      return Bin("/", PMul);
    case OpKind::Pow:
      return Bin("^", PPow, /*RightAssoc=*/true);
    case OpKind::Lt:
      return Bin("<", PCmp);
    case OpKind::Le:
      return Bin("<=", PCmp);
    case OpKind::Gt:
      return Bin(">", PCmp);
    case OpKind::Ge:
      return Bin(">=", PCmp);
    case OpKind::Eq:
      return Bin("==", PCmp);
    case OpKind::Ne:
      return Bin("!=", PCmp);
    case OpKind::And:
      return Bin("&&", PAnd);
    case OpKind::Or:
      return Bin("||", POr);
    case OpKind::Neg:
      return {"-" + operand(O.Operands[0], PPow), PUnary};
    case OpKind::Not:
      return {"!" + operand(O.Operands[0], PPow), PUnary};
    case OpKind::Convert:
      return Fn(getElementKindName(O.Ty.getElementKind()));
    case OpKind::Call:
      return Fn(callee(O.Callee));
    case OpKind::Tuple: {
      std::string S = "(";
      for (size_t I = 0; I < O.Operands.size(); ++I)
        S += (I ? ", " : "") + operand(O.Operands[I], POr);
      return {S + ")", PAtom};
    }
    case OpKind::MatMul:
      return Bin("@", PMul);
    case OpKind::Broadcast: {
      // A literal alone reads back as f64: spell any other kind.
      const Op &X = F.op(O.Operands[0]);
      Rendered R = Fn(getBuiltinName(O.Kind), renderShape(O.Ty.getShape()));
      if (X.Kind == OpKind::Const && X.Ty.isScalar() &&
          X.Ty.getElementKind() != ElementKind::F64 &&
          X.Ty.getElementKind() != ElementKind::Bool) {
        std::string Kind = getElementKindName(X.Ty.getElementKind()).str();
        R.Text = "broadcast(" + Kind + "(" + constant(X).Text + "), " +
                 renderShape(O.Ty.getShape()) + ")";
      }
      return R;
    }
    case OpKind::Reshape:
    case OpKind::SumTo:
      return Fn(getBuiltinName(O.Kind), renderShape(O.Ty.getShape()));
    case OpKind::Iota:
      return Fn("iota", renderShape(O.Ty.getShape()) + ", " + Axis);
    case OpKind::OneHot: {
      // onehot gives f64 rows; another float kind is a conversion of them.
      Rendered R = Fn("onehot", renderDim(O.Ty.getShape().back()).Text);
      if (O.Ty.getElementKind() != ElementKind::F64)
        R.Text = getElementKindName(O.Ty.getElementKind()).str() + "(" +
                 R.Text + ")";
      return R;
    }
    case OpKind::DimValue:
      return renderDim(O.getDim());
    case OpKind::Rand:
    case OpKind::Randn:
      return Fn(getOpName(O.Kind), renderShape(O.Ty.getShape()) +
                                       ", stream=" +
                                       std::to_string(O.getStream()));
    // Convolution and pooling (issue 12): `max_pool2d(x, 2, stride=2,
    // padding=0)`, `conv2d_grad_input(dy, w, [B, C, H, W], stride=1, ...)`.
    case OpKind::Conv2d:
    case OpKind::Conv2dGradInput:
    case OpKind::Conv2dGradWeight:
    case OpKind::MaxPool2d:
    case OpKind::MaxPool2dGrad:
    case OpKind::MaxPool2dGather:
    case OpKind::AvgPool2d:
    case OpKind::AvgPool2dGrad: {
      const Window &W = O.getWindow();
      std::string Extra;
      if (W.isPool())
        Extra += renderWindowPair(W.Kernel) + ", ";
      if (O.Kind == OpKind::Conv2dGradInput ||
          O.Kind == OpKind::Conv2dGradWeight ||
          O.Kind == OpKind::AvgPool2dGrad)
        Extra += renderShape(O.Ty.getShape()) + ", ";
      Extra += "stride=" + renderWindowPair(W.Stride) +
               ", padding=" + renderWindowPair(W.Pad);
      return Fn(getOpName(O.Kind), Extra);
    }
    case OpKind::Extract: {
      const Op &T = F.op(O.Operands[0]);
      if (T.Kind == OpKind::Tuple)
        return Text[T.Operands[O.getIndex()]];
      // The surface language has no tuple projection: say so in the output
      // rather than print something that means another thing.
      return {"/* element " + std::to_string(O.getIndex()) + " of " +
                  Text[O.Operands[0]].Text + ": not expressible in .nn */",
              PAtom};
    }
    default:
      return Fn(getOpName(O.Kind));
    }
  }

  const Function &F;
  const llvm::StringMap<std::string> &FnNames;
  std::vector<std::string> Names;
  std::vector<unsigned> Uses;
  std::vector<bool> IsLet;
  std::vector<Rendered> Text;
};

} // namespace

void ir::printModuleAsNN(const Module &M, llvm::raw_ostream &OS) {
  // Builtins that some function uses as ops: a user function with one of
  // those names would capture the uses when the output is read back.
  llvm::StringSet<> UsedBuiltins;
  for (const auto &F : M.Functions)
    for (const Op &O : F->Ops)
      if (!getBuiltinName(O.Kind).empty())
        UsedBuiltins.insert(getBuiltinName(O.Kind));
  llvm::StringMap<std::string> FnNames;
  llvm::StringSet<> Reserved;
  for (const char *K : Keywords)
    Reserved.insert(K);
  for (const char *B : BuiltinNames)
    Reserved.insert(B);
  // Every math op is the built-in of its name.
#define OP(Name, Spelling, NumOperands, Class, Attr, Props)                    \
  if (OpClass::Class == OpClass::Math)                                         \
    Reserved.insert(Spelling);
#include "nnc/IR/Ops.def"
  llvm::StringSet<> BackwardFns, Taken;
  for (const auto &F : M.Functions)
    Taken.insert(F->Name);
  for (const auto &F : M.Functions) {
    if (!F->BackwardFn.empty())
      BackwardFns.insert(F->BackwardFn);
    std::string Printed = F->Name;
    if (UsedBuiltins.contains(Printed))
      Printed += "_fn";
    // A sub-layer's method (`net.fc1.forward`) is an identifier in .nn.
    if (Printed.find('.') != std::string::npos) {
      std::replace(Printed.begin(), Printed.end(), '.', '_');
      std::string Base = Printed;
      for (unsigned I = 1; Taken.contains(Printed); ++I)
        Printed = Base + "_" + std::to_string(I);
      Taken.insert(Printed);
    }
    FnNames[F->Name] = Printed;
    Reserved.insert(Printed);
  }

  bool First = true;
  for (const auto &F : M.Functions) {
    if (BackwardFns.contains(F->Name))
      continue;
    if (!First)
      OS << '\n';
    First = false;
    if (FnNames[F->Name] != F->Name)
      OS << "// '" << F->Name << "' is renamed: "
         << (F->Name.find('.') != std::string::npos
                 ? "'.' cannot appear in a .nn name\n"
                 : "its name is a built-in this module also uses\n");
    FunctionPrinter P(*F, Reserved, FnNames);
    OS << "fn " << FnNames[F->Name] << '(' << P.paramList() << ") -> "
       << F->ResultType.str() << " {\n";
    P.printBody(OS);
    OS << '}';
    if (!F->BackwardFn.empty()) {
      if (const Function *B = M.lookup(F->BackwardFn)) {
        FunctionPrinter BP(*B, Reserved, FnNames);
        OS << " backward(" << BP.paramName(B->getNumParams() - 1) << ") {\n";
        BP.printBody(OS);
        OS << '}';
      }
    }
    OS << '\n';
  }
}
