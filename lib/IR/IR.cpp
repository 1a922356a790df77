//===- IR.cpp - Types, op tables, functions and the builder ---------------===//
#include "nnc/IR/IR.h"
#include <cassert>
#include "llvm/ADT/STLExtras.h"
#include <charconv>

using namespace nnc;
using namespace nnc::ir;

Type Type::tensor(ElementKind K, Shape S) {
  Type T(K);
  T.Dims = std::move(S);
  return T;
}

Type Type::withElementKind(ElementKind K) const {
  assert(!IsTuple && "element kind of a tuple");
  return tensor(K, Dims);
}

void ir::collectDimVars(const Type &T, std::vector<std::string> &Out) {
  if (T.isTuple()) {
    for (const Type &E : T.getElements())
      collectDimVars(E, Out);
    return;
  }
  for (const Dim &D : T.getShape())
    for (const std::string &V : D.Vars)
      if (!llvm::is_contained(Out, V))
        Out.push_back(V);
}

Type ir::substitute(const Type &T, const DimSubstitution &S) {
  if (T.isTuple()) {
    std::vector<Type> Elements;
    for (const Type &E : T.getElements())
      Elements.push_back(substitute(E, S));
    return Type::tuple(std::move(Elements));
  }
  if (S.empty() || T.isScalar())
    return T;
  Shape Dims;
  for (const Dim &D : T.getShape())
    Dims.push_back(substitute(D, S));
  return Type::tensor(T.getElementKind(), std::move(Dims));
}

bool ir::bindDims(const Type &Formal, const Type &Actual, DimSubstitution &S) {
  if (Formal.isTuple() != Actual.isTuple())
    return false;
  if (Formal.isTuple()) {
    if (Formal.getElements().size() != Actual.getElements().size())
      return false;
    for (size_t I = 0; I < Formal.getElements().size(); ++I)
      if (!bindDims(Formal.getElements()[I], Actual.getElements()[I], S))
        return false;
    return true;
  }
  if (Formal.getElementKind() != Actual.getElementKind() ||
      Formal.getRank() != Actual.getRank())
    return false;
  for (unsigned I = 0; I < Formal.getRank(); ++I) {
    const Dim &F = Formal.getShape()[I];
    const Dim &A = Actual.getShape()[I];
    if (F.Factor > 1 && F.Vars.size() == 1 && A.isConstant() &&
        A.Factor % F.Factor == 0 &&
        llvm::none_of(S, [&](const auto &P) { return P.first == F.Vars[0]; })) {
      // Seen scaled only (`2*n` given 6): bound by division, as at run time.
      S.emplace_back(F.Vars[0], Dim::constant(A.Factor / F.Factor));
      continue;
    }
    if (F.Factor != 1 || F.Vars.size() != 1)
      continue; // checked once every plain variable is bound
    auto It =
        llvm::find_if(S, [&](const auto &P) { return P.first == F.Vars[0]; });
    if (It == S.end())
      S.emplace_back(F.Vars[0], Actual.getShape()[I]);
    else if (It->second != Actual.getShape()[I])
      return false;
  }
  return true;
}

Type Type::tuple(std::vector<Type> Elements) {
  Type T;
  T.IsTuple = true;
  T.Elements = std::move(Elements);
  return T;
}

void Type::print(llvm::raw_ostream &OS) const {
  if (!IsTuple) {
    OS << getElementKindName(Elem);
    if (!Dims.empty()) {
      OS << '[';
      for (size_t I = 0; I < Dims.size(); ++I) {
        if (I)
          OS << ", ";
        Dims[I].print(OS);
      }
      OS << ']';
    }
    return;
  }
  OS << '(';
  for (size_t I = 0; I < Elements.size(); ++I) {
    if (I)
      OS << ", ";
    Elements[I].print(OS);
  }
  OS << ')';
}

std::string Type::str() const {
  std::string S;
  llvm::raw_string_ostream OS(S);
  print(OS);
  return S;
}

llvm::StringRef ir::getOpName(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return Spelling;
#include "nnc/IR/Ops.def"
  }
  return "?";
}

OpClass ir::getOpClass(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return OpClass::Class;
#include "nnc/IR/Ops.def"
  }
  return OpClass::Other;
}

int ir::getOpArity(OpKind K) {
  switch (K) {
#define OP(Name, Spelling, NumOperands, Class)                                 \
  case OpKind::Name:                                                           \
    return NumOperands;
#include "nnc/IR/Ops.def"
  }
  return -1;
}

bool ir::hasAxis(OpKind K) {
  switch (K) {
  case OpKind::ReduceSum:
  case OpKind::ReduceMax:
  case OpKind::ReduceMin:
  case OpKind::ArgMax:
  case OpKind::LogSumExp:
  case OpKind::Softmax:
  case OpKind::LogSoftmax:
  case OpKind::Iota:
    return true;
  default:
    return false;
  }
}

llvm::StringRef ir::getDeriveKindName(DeriveKind K) {
  switch (K) {
  case DeriveKind::Grad:
    return "grad";
  case DeriveKind::ValueAndGrad:
    return "value_and_grad";
  case DeriveKind::Vjp:
    return "vjp";
  case DeriveKind::TrainStep:
    return "train_step";
  }
  return "?";
}

Module::Instance Module::makeOptimizerState(const Instance &Net,
                                            Optimizer O) {
  Instance S;
  S.Name = Net.Name + "." + getOptimizerName(O).str();
  S.IsState = true;
  for (const std::string &Prefix : getStatePrefixes(O))
    for (const auto &[Name, Ty] : Net.Params)
      S.Params.emplace_back(Prefix + "." + Name, Ty);
  if (hasStepCount(O))
    S.Params.emplace_back("t", Type::scalar(ElementKind::I64));
  return S;
}

double Op::getConstAsDouble() const {
  return Ty.isFloat() ? FloatValue : static_cast<double>(IntValue);
}

std::vector<std::string> Function::getDimVars() const {
  std::vector<std::string> Vars;
  for (unsigned I = 0, E = getNumParams(); I < E; ++I)
    collectDimVars(Ops[I].Ty, Vars);
  return Vars;
}

const Module::Instance *Module::lookupInstance(llvm::StringRef N) const {
  for (const Instance &I : Instances)
    if (I.Name == N)
      return &I;
  return nullptr;
}

unsigned Function::getNumParams() const {
  unsigned N = 0;
  while (N < Ops.size() && Ops[N].Kind == OpKind::Param)
    ++N;
  return N;
}

Function *Module::lookup(llvm::StringRef FnName) {
  for (auto &F : Functions)
    if (F->Name == FnName)
      return F.get();
  return nullptr;
}

const Function *Module::lookup(llvm::StringRef FnName) const {
  return const_cast<Module *>(this)->lookup(FnName);
}

const DerivedDecl *Module::lookupDerived(llvm::StringRef DName) const {
  for (const DerivedDecl &D : Derived)
    if (D.Name == DName)
      return &D;
  return nullptr;
}

Function &Module::addFunction(std::string FnName) {
  Functions.push_back(std::make_unique<Function>(std::move(FnName)));
  return *Functions.back();
}

//===----------------------------------------------------------------------===//
// Builder
//===----------------------------------------------------------------------===//

ValueId Builder::push(Op O) {
  O.Loc = O.Loc.isValid() ? O.Loc : Loc;
  if (O.Name.empty()) {
    O.Name = std::move(NextName);
  }
  NextName.clear();
  F.Ops.push_back(std::move(O));
  return static_cast<ValueId>(F.Ops.size() - 1);
}

ValueId Builder::append(Op O) { return push(std::move(O)); }

ValueId Builder::param(Type Ty, std::string Name) {
  assert((F.Ops.empty() || F.Ops.back().Kind == OpKind::Param) &&
         "parameters come before every other op");
  Op O;
  O.Kind = OpKind::Param;
  O.Ty = std::move(Ty);
  O.IntValue = static_cast<int64_t>(F.Ops.size());
  O.Name = std::move(Name);
  return push(std::move(O));
}

ValueId Builder::constant(Type Ty, double Value) {
  assert(Ty.isScalar() && "constants are scalars");
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = Ty;
  if (Ty.isFloat()) {
    O.FloatValue = Ty.getElementKind() == ElementKind::F32
                       ? static_cast<double>(static_cast<float>(Value))
                       : Value;
  } else if (Ty.isBool()) {
    O.IntValue = Value != 0;
  } else {
    assert(Value == static_cast<double>(static_cast<int64_t>(Value)) &&
           "an integer constant from a double must be exact; use intConstant");
    O.IntValue = static_cast<int64_t>(Value);
    if (Ty.getElementKind() == ElementKind::I32)
      O.IntValue = static_cast<int32_t>(O.IntValue);
  }
  return push(std::move(O));
}

ValueId Builder::intConstant(Type Ty, int64_t Value) {
  assert((Ty.isInt() || Ty.isBool()) && "integer constants are integers");
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = Ty;
  O.IntValue = Ty.isBool() ? Value != 0
               : Ty.getElementKind() == ElementKind::I32
                   ? static_cast<int32_t>(Value)
                   : Value;
  return push(std::move(O));
}

ValueId Builder::unary(OpKind K, ValueId A) {
  assert(getOpArity(K) == 1 && "not a unary op");
  Op O;
  O.Kind = K;
  const Type &TA = F.typeOf(A);
  switch (getOpClass(K)) {
  case OpClass::Arith:
    assert((TA.isFloat() || TA.isInt()) && "arithmetic on numbers");
    O.Ty = TA;
    break;
  case OpClass::Math:
    assert(TA.isFloat() && "math functions take floats");
    O.Ty = TA;
    break;
  case OpClass::Logic:
    assert(TA.isBool() && "logic on bools");
    O.Ty = TA;
    break;
  default:
    assert(false && "use the dedicated builder");
  }
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::binary(OpKind K, ValueId A, ValueId B) {
  assert(getOpArity(K) == 2 && "not a binary op");
  const Type &TA = F.typeOf(A);
  assert(TA == F.typeOf(B) && "binary operands share a type");
  Op O;
  O.Kind = K;
  switch (getOpClass(K)) {
  case OpClass::Arith:
    assert((TA.isFloat() || TA.isInt()) && "arithmetic on numbers");
    O.Ty = TA;
    break;
  case OpClass::Math:
    assert(TA.isFloat() && "math functions take floats");
    O.Ty = TA;
    break;
  case OpClass::Cmp:
    assert(TA.isLeaf() && "comparison of scalars or tensors");
    O.Ty = TA.withElementKind(ElementKind::Bool);
    break;
  case OpClass::Logic:
    assert(TA.isBool() && "logic on bools");
    O.Ty = TA;
    break;
  default:
    assert(false && "use the dedicated builder");
  }
  O.Operands = {A, B};
  return push(std::move(O));
}

ValueId Builder::select(ValueId C, ValueId A, ValueId B) {
  assert(F.typeOf(C).isBool() && "select condition is bool");
  assert(F.typeOf(A) == F.typeOf(B) && "select arms share a type");
  assert(F.typeOf(C).getShape() == F.typeOf(A).getShape() &&
         "select condition has the arms' shape");
  Op O;
  O.Kind = OpKind::Select;
  O.Ty = F.typeOf(A);
  O.Operands = {C, A, B};
  return push(std::move(O));
}

ValueId Builder::convert(ValueId A, ElementKind To) {
  assert(F.typeOf(A).isLeaf() && "convert scalars or tensors");
  Op O;
  O.Kind = OpKind::Convert;
  O.Ty = F.typeOf(A).withElementKind(To);
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::call(const Function &Callee, llvm::ArrayRef<ValueId> Args) {
  assert(Args.size() == Callee.getNumParams() && "call arity");
  return call(Callee.Name, Callee.ResultType, Args);
}

ValueId Builder::call(llvm::StringRef Callee, Type Result,
                      llvm::ArrayRef<ValueId> Args) {
  Op O;
  O.Kind = OpKind::Call;
  O.Ty = std::move(Result);
  O.Callee = Callee.str();
  O.Operands.assign(Args.begin(), Args.end());
  return push(std::move(O));
}

ValueId Builder::tuple(llvm::ArrayRef<ValueId> Elements) {
  std::vector<Type> Types;
  for (ValueId E : Elements)
    Types.push_back(F.typeOf(E));
  Op O;
  O.Kind = OpKind::Tuple;
  O.Ty = Type::tuple(std::move(Types));
  O.Operands.assign(Elements.begin(), Elements.end());
  return push(std::move(O));
}

ValueId Builder::extract(ValueId T, unsigned Index) {
  const Type &TT = F.typeOf(T);
  assert(TT.isTuple() && Index < TT.getElements().size() && "extract index");
  Op O;
  O.Kind = OpKind::Extract;
  O.Ty = TT.getElements()[Index];
  O.IntValue = Index;
  O.Operands = {T};
  return push(std::move(O));
}

void Builder::ret(ValueId V) {
  Op O;
  O.Kind = OpKind::Return;
  O.Ty = F.typeOf(V);
  O.Operands = {V};
  push(std::move(O));
}

ValueId ir::inlineCall(Builder &B, const Function &Callee,
                       llvm::ArrayRef<ValueId> Args) {
  DimSubstitution Dims;
  for (size_t I = 0; I < Args.size(); ++I) {
    [[maybe_unused]] bool Bound = bindDims(
        Callee.getParamType(I), B.getFunction().typeOf(Args[I]), Dims);
    assert(Bound && "call argument does not fit its parameter");
  }
  // A callee's own dimension variable may also name a different caller
  // dimension; substitution is simultaneous, so that is fine.
  std::vector<ValueId> Map(Callee.Ops.size());
  for (size_t I = 0; I < Callee.Ops.size(); ++I) {
    const Op &Src = Callee.Ops[I];
    if (Src.Kind == OpKind::Param) {
      Map[I] = Args[Src.IntValue];
      continue;
    }
    if (Src.Kind == OpKind::Return)
      return Map[Src.Operands[0]];
    Op Copy = Src;
    for (ValueId &V : Copy.Operands)
      V = Map[V];
    if (!Dims.empty()) {
      Copy.Ty = substitute(Copy.Ty, Dims);
      if (Copy.Kind == OpKind::DimValue)
        Copy.DimAttr = substitute(Copy.DimAttr, Dims);
    }
    Map[I] = B.append(std::move(Copy));
  }
  assert(false && "function without return");
  return 0;
}

//===----------------------------------------------------------------------===//
// Tensor builders
//===----------------------------------------------------------------------===//

ValueId Builder::tensorConstant(Type Ty, std::vector<double> Data) {
  assert(Ty.isTensor() && getNumElements(Ty.getShape()).isConstant() &&
         static_cast<int64_t>(Data.size()) ==
             getNumElements(Ty.getShape()).Factor &&
         "tensor constant of a constant shape");
  if (Ty.getElementKind() == ElementKind::F32)
    for (double &V : Data)
      V = static_cast<float>(V);
  Op O;
  O.Kind = OpKind::Const;
  O.Ty = std::move(Ty);
  O.Data = std::move(Data);
  return push(std::move(O));
}

ValueId Builder::splat(Type Ty, double Value) {
  Type Elem = Ty.getElementType();
  ValueId C = Elem.isFloat() ? constant(Elem, Value)
                             : intConstant(Elem, static_cast<int64_t>(Value));
  return broadcast(C, Ty);
}

ValueId Builder::broadcast(ValueId A, const Type &Ty) {
  const Type &TA = F.typeOf(A);
  if (TA == Ty)
    return A;
  assert(TA.isLeaf() && TA.getElementKind() == Ty.getElementKind() &&
         broadcastsTo(TA.getShape(), Ty.getShape()) && "broadcast shapes");
  Op O;
  O.Kind = OpKind::Broadcast;
  O.Ty = Ty;
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::sumTo(ValueId A, const Type &Ty) {
  const Type &TA = F.typeOf(A);
  if (TA == Ty)
    return A;
  assert(TA.isLeaf() && TA.getElementKind() == Ty.getElementKind() &&
         broadcastsTo(Ty.getShape(), TA.getShape()) && "sum_to shapes");
  Op O;
  O.Kind = OpKind::SumTo;
  O.Ty = Ty;
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::reshape(ValueId A, const Type &Ty) {
  const Type &TA = F.typeOf(A);
  if (TA == Ty)
    return A;
  assert(TA.getElementKind() == Ty.getElementKind() &&
         getNumElements(TA.getShape()) == getNumElements(Ty.getShape()) &&
         "reshape keeps the number of elements");
  Op O;
  O.Kind = OpKind::Reshape;
  O.Ty = Ty;
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::reduce(OpKind K, ValueId A, unsigned Axis) {
  const Type &TA = F.typeOf(A);
  assert(hasAxis(K) && Axis < TA.getRank() && "reduction axis");
  Shape S = TA.getShape();
  S.erase(S.begin() + Axis);
  ElementKind EK = K == OpKind::ArgMax ? ElementKind::I64 : TA.getElementKind();
  Op O;
  O.Kind = K;
  O.Ty = Type::tensor(EK, std::move(S));
  O.IntValue = Axis;
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::softmax(OpKind K, ValueId A, unsigned Axis) {
  const Type &TA = F.typeOf(A);
  assert((K == OpKind::Softmax || K == OpKind::LogSoftmax) && TA.isFloat() &&
         Axis < TA.getRank() && "softmax axis");
  Op O;
  O.Kind = K;
  O.Ty = TA;
  O.IntValue = Axis;
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::matmul(ValueId A, ValueId B) {
  const Type &TA = F.typeOf(A), &TB = F.typeOf(B);
  std::optional<Shape> S = getMatMulShape(TA.getShape(), TB.getShape());
  assert(S && TA.getElementKind() == TB.getElementKind() && "matmul shapes");
  Op O;
  O.Kind = OpKind::MatMul;
  O.Ty = Type::tensor(TA.getElementKind(), std::move(*S));
  O.Operands = {A, B};
  return push(std::move(O));
}

ValueId Builder::transpose(ValueId A) {
  const Type &TA = F.typeOf(A);
  assert(TA.getRank() == 2 && "transpose of a matrix");
  Op O;
  O.Kind = OpKind::Transpose;
  O.Ty = Type::tensor(TA.getElementKind(),
                      {TA.getShape()[1], TA.getShape()[0]});
  O.Operands = {A};
  return push(std::move(O));
}

ValueId Builder::onehot(ValueId Labels, Dim Classes, ElementKind K) {
  const Type &TL = F.typeOf(Labels);
  assert(TL.isInt() && "onehot of integer labels");
  Shape S = TL.getShape();
  S.push_back(std::move(Classes));
  Op O;
  O.Kind = OpKind::OneHot;
  O.Ty = Type::tensor(K, std::move(S));
  O.Operands = {Labels};
  return push(std::move(O));
}

ValueId Builder::pick(ValueId X, ValueId Labels) {
  const Type &TX = F.typeOf(X), &TL = F.typeOf(Labels);
  assert(TL.isInt() && TX.getRank() == TL.getRank() + 1 &&
         Shape(TX.getShape().begin(), TX.getShape().end() - 1) ==
             TL.getShape() &&
         "pick shapes");
  Op O;
  O.Kind = OpKind::Pick;
  O.Ty = Type::tensor(TX.getElementKind(), TL.getShape());
  O.Operands = {X, Labels};
  return push(std::move(O));
}

ValueId Builder::iota(const Type &Ty, unsigned Axis) {
  assert(Ty.getElementKind() == ElementKind::I64 && Axis < Ty.getRank() &&
         "iota of i64 along an axis");
  Op O;
  O.Kind = OpKind::Iota;
  O.Ty = Ty;
  O.IntValue = Axis;
  return push(std::move(O));
}

ValueId Builder::dim(Dim D) {
  Op O;
  O.Kind = OpKind::DimValue;
  O.Ty = Type::scalar(ElementKind::I64);
  O.DimAttr = std::move(D);
  return push(std::move(O));
}

ValueId Builder::random(OpKind K, ValueId Seed, unsigned Stream,
                        const Type &Ty) {
  assert((K == OpKind::Rand || K == OpKind::Randn) && Ty.isFloat() &&
         F.typeOf(Seed) == Type::scalar(ElementKind::I64) && "random op");
  Op O;
  O.Kind = K;
  O.Ty = Ty;
  O.IntValue = Stream;
  O.Operands = {Seed};
  return push(std::move(O));
}

std::string ir::formatDouble(double V) {
  char Buf[64];
  auto Res = std::to_chars(Buf, Buf + sizeof(Buf), V);
  return std::string(Buf, Res.ptr);
}

static void flattenInto(const ir::Type &T, std::vector<ir::Type> &Out) {
  if (T.isLeaf()) {
    Out.push_back(T);
    return;
  }
  for (const ir::Type &E : T.getElements())
    flattenInto(E, Out);
}

std::vector<ir::Type> ir::flattenLeaves(const Type &T) {
  std::vector<Type> Out;
  flattenInto(T, Out);
  return Out;
}
